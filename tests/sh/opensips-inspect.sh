#!/bin/bash
# memdiag against a real OpenSIPS (3.6.8 and 4.0.1, built from
# ../shared/targets by tests/lib/build-target.sh): `inspect` finds the
# process, its MI datagram socket and FIFO (from /proc, whatever its
# configuration's preprocessor did), its log (stderror_enabled), and
# asks it over MI its version and pools; it says what memdiag can and
# cannot do with it (sites only with a *_DBG allocator). `memdiag rpc`
# speaks its MI over both transports, a JSON-RPC error its own status;
# `memdiag dump` takes its shm and every process's pkg over MI
# (mem_shm_dump, mem_pkg_dump) at a log level it logs, changing nothing.
# OSIPS_VERSIONS narrows the versions.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/lib/common.sh"
. "$top_srcdir/tests/lib/opensips.sh"
command -v jq >/dev/null || skip "jq is not installed"

ran=0
for v in ${OSIPS_VERSIONS:-3.6.8 4.0.1}; do
	osips_use "$v" || continue
	ran=1

	# --- with site information (Q_MALLOC_DBG) ---
	osips_start "dbg-$v" -a Q_MALLOC_DBG -m 32 -M 8
	expect_status 0 "$v: inspect" "$MEMDIAG" inspect --target "$OSIPS_PIDFILE" \
	    --json
	cp "$T_TMP/out" "$T_TMP/inspect-$v.json"
	check "$v: the process and its children" jq -e \
	    '.flavour == "opensips" and (.children | length) >= 5' "$T_TMP/out"
	check "$v: its MI socket and FIFO found" jq -e --arg s "$OSIPS_MI" \
	    --arg f "$OSIPS_FIFO" '(.ctl | index("dgram:" + $s)) == 0 and
	    any(.ctl[]; startswith("fifo:" + $f + ","))' "$T_TMP/out"
	check "$v: its log is its stderr file" jq -e --arg l "$OSIPS_LOG" \
	    '.log.kind == "file" and .log.path == $l' "$T_TMP/out"
	check "$v: it says its version over MI" jq -e --arg v "$v" \
	    '.proxy.version | startswith("OpenSIPS (" + $v)' "$T_TMP/out"
	check "$v: its pools from its statistics (32 MB shm, 8 MB pkg)" jq -e \
	    '.proxy.shm.size == 33554432 and .proxy.pkg.size == 8388608 and
	    .proxy.shm.name == "Q_MALLOC_DBG"' "$T_TMP/out"
	check "$v: can dump on demand and name the sites" jq -e \
	    '[.abilities[] | select(.can) | .what] |
	    any(test("dump its memory")) and any(test("name the allocation"))' \
	    "$T_TMP/out"
	check "$v: can diagnose it and count its transactions" jq -e \
	    '[.abilities[] | select(.can) | .what] |
	    any(test("^diagnose")) and any(test("transactions in flight"))' \
	    "$T_TMP/out"

	# memdiag rpc over both transports
	expect_status 0 "$v: rpc version over mi_datagram" "$MEMDIAG" rpc \
	    --rpc "dgram:$OSIPS_MI" version
	check "$v: the reply is its version" grep -q "OpenSIPS ($v" "$T_TMP/out"
	expect_status 0 "$v: rpc get_statistics over mi_fifo" "$MEMDIAG" rpc \
	    --rpc "fifo:$OSIPS_FIFO,$OSIPS_DIR/" get_statistics \
	    '{"statistics": ["shmem:"]}'
	check "$v: shmem:total_size in the reply" jq -e \
	    '."shmem:total_size" == 33554432' "$T_TMP/out"
	check "$v: no reply FIFO left in its reply_dir" sh -c \
	    "! ls '$OSIPS_DIR'/memdiag_* 2>/dev/null"
	expect_status 65 "$v: an unknown MI command is a data error" \
	    "$MEMDIAG" rpc --rpc "dgram:$OSIPS_MI" no_such_command
	check "$v: named as JSON-RPC's method not found" grep -q \
	    "no_such_command: error -32601" "$T_TMP/err"

	# memdiag dump over MI, after calls through it
	"$MEMDIAG" call --proxy "127.0.0.1:$OSIPS_PORT" --calls 50 --rate 25 \
	    --concurrency 10 >/dev/null 2>&1 || true
	level=$(osips_mi log_level | jq '[.result.Processes[]."Log level"] | min')
	expect_status 0 "$v: dump over MI" "$MEMDIAG" dump --target \
	    "$OSIPS_PID" --json --state-dir "$T_TMP/s" --run-dir "$T_TMP/r"
	# the SIP workers and timer handlers can be asked (its IPC); the
	# attendant, time_keeper and timer cannot, and say so
	recv=$(osips_mi ps | jq -r '.result.Processes[] |
	    select(.Type | test("SIP receiver|Timer handler")) | .PID' | sort)
	check "$v: an shm dump and the pkg of every worker and timer handler" jq -e \
	    --arg want "$(echo $recv)" '([.dumps[] | select(.pool == "shm")] |
	    length) == 1 and ([.dumps[] | select(.pool == "pkg") | .pid] |
	    map(tostring) | sort) as $got | ($want | split(" ")) - $got ==
	    []' "$T_TMP/out"
	check "$v: the processes it cannot ask are said, not failed" grep -q \
	    "cannot dump its pkg on demand (no IPC there)" "$T_TMP/err"
	check "$v: tm's transactions among the shm sites" jq -e \
	    '.dumps[] | select(.pool == "shm") | any(.sites[];
	    .func == "build_cell")' "$T_TMP/out"
	check "$v: its log level unchanged ($level)" test "$(osips_mi \
	    log_level | jq '[.result.Processes[]."Log level"] | min')" = \
	    "$level"
	osips_stop

	# --- the default allocator: no sites, and inspect says so ---
	osips_start "plain-$v"
	expect_status 0 "$v: inspect (default allocator)" "$MEMDIAG" inspect \
	    --target "$OSIPS_PID" --json
	check "$v: cannot name sites without a _DBG allocator, and why" jq -e \
	    '.abilities[] | select(.what == "name the allocation sites") |
	    (.can | not) and (.why | test("-a Q_MALLOC_DBG"))' "$T_TMP/out"
	osips_stop
done
[ "$ran" = 1 ] || skip "no OpenSIPS release tarball in ../shared/targets"
finish
