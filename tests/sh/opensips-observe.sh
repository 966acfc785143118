#!/bin/bash
# make check-full: the passive diagnosis (--observe) of a real OpenSIPS
# (3.6.8 and 4.0.1 from ../shared/targets) under its users' traffic
# (memdiag's call engine, 20 calls/s), over its MI: healthy, an shm leak
# from the script (a cachedb_local entry per INVITE: its site named) and
# a pkg leak in the SIP workers (a script variable growing by the
# Call-ID: set_var_value named, in the receivers' group); under the
# default allocator, whose dumps name no site, the shm leak is not
# called healthy: inconclusive, saying to start it with -a Q_MALLOC_DBG.
# OSIPS_VERSIONS and OSIPS_SCENARIOS narrow it.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/lib/common.sh"
. "$top_srcdir/tests/lib/opensips.sh"
command -v jq >/dev/null || skip "jq is not installed"

observe() {	# NAME WANT [opensips args]: start, call, observe 60 s
	local name=$1 want=$2
	shift 2
	osips_start "$name" -m 64 -M 8 "$@"
	"$MEMDIAG" call --proxy "127.0.0.1:$OSIPS_PORT" --calls 3000 \
	    --rate 20 --concurrency 40 >/dev/null 2>&1 &
	t_on_exit "kill $! 2>/dev/null"
	USERS=$!
	# the users' traffic steady first: what tm holds (fr_inv_timeout 30
	# s in opensips.cfg) has filled in
	sleep "${OSIPS_WARMUP:-40}"
	expect_status "$want" "$v $name: status $want" "$MEMDIAG" --target \
	    "$OSIPS_PID" --passive --observe 60 --json --state-dir "$T_TMP/s" \
	    --run-dir "$T_TMP/r"
	jq -c '{verdict, reason}' "$T_TMP/out" | cut -c1-300 | sed 's/^/    /'
	jq -c '.pools[] | {pool, process, verdict}' "$T_TMP/out" |
	    sed 's/^/    /'
	jq -c '{inflight: .pools[0].series.inflight}' "$T_TMP/out" |
	    sed 's/^/    /'
	# a suspect's own series, to tell a false leak's cause afterwards
	jq -c '.pools[] | select(.suspects | length > 0) | {pool, process,
	    requests: .series.requests, bytes: .suspects[0].series,
	    fragments: .suspects[0].fragments}' "$T_TMP/out" 2>/dev/null |
	    cut -c1-900 | sed 's/^/    /'
	kill "$USERS" 2>/dev/null || true
}

ran=0
for v in ${OSIPS_VERSIONS:-3.6.8 4.0.1}; do
	osips_use "$v" || continue
	ran=1
	for s in ${OSIPS_SCENARIOS:-healthy shm pkg nodbg}; do
		case $s in
		healthy)
			observe healthy 0 -a Q_MALLOC_DBG
			check "$v healthy: every pool healthy, the bound said" \
			    jq -e '(.pools | all(.verdict == "healthy")) and
			    (.reason | test("no site grew by more than"))' \
			    "$T_TMP/out" ;;
		shm)
			observe shm 2 -a Q_MALLOC_DBG -DWITH_SHM_LEAK
			check "$v shm: cachedb_local's insert named, per request" \
			    jq -e '.pools[0] | .pool == "shm" and
			    .suspects[0].func == "_lcache_htable_insert" and
			    .suspects[0].method == "request"' "$T_TMP/out" ;;
		pkg)
			observe pkg 2 -a Q_MALLOC_DBG -DWITH_PKG_LEAK
			check "$v pkg: the receivers' pkg, set_var_value named" \
			    jq -e '[.pools[] | select(.verdict == "leak")] |
			    length == 1 and (.[0] | .pool == "pkg" and
			    (.process | startswith("SIP receiver")) and
			    .suspects[0].func == "set_var_value")' \
			    "$T_TMP/out" ;;
		nodbg)
			observe nodbg 3 -DWITH_SHM_LEAK
			check "$v nodbg: no site to judge by, said, not healthy" \
			    jq -e '.pools[0].verdict == "inconclusive" and
			    (.reason | test("-a Q_MALLOC_DBG"))' "$T_TMP/out" ;;
		esac
		osips_stop
	done
done
[ "$ran" = 1 ] || skip "no OpenSIPS release tarball in ../shared/targets"
finish
