#!/bin/bash
# Live: memdiag analyze reads the dumps of a real Kamailio, and its figures
# agree with the proxy's own (core.shmmem, pkg.stats) taken at the same
# quiet moment. qm always; fm and tlsf too with MEMDIAG_FULL=1.
#
# What the proxy's RPCs can be held to (tests/fixtures/kamailio/README.md):
# on a quiet proxy core.shmmem equals the shm dump's header to the byte
# under all three allocators, and pkg.stats equals the main process's pkg
# dump. For a worker, pkg.stats is a copy the worker refreshes while it
# handles a SIP message: exact under qm, 2048 bytes above the dump under fm
# once the worker has handled a message, and under tlsf the same frozen
# figure for every process, so not comparable.

# shellcheck disable=SC2016 # jq filters are single-quoted on purpose
: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
. "$top_srcdir/tests/lib/common.sh"
. "$top_srcdir/tests/lib/kam.sh"

command -v jq >/dev/null || skip "jq is not installed"
command -v kamailio >/dev/null || skip "kamailio is not installed"
command -v kamcmd >/dev/null || skip "kamcmd is not installed"
[ -x "$MEMDIAG" ] || { echo "FAIL: $MEMDIAG is not built"; exit 1; }

ALLOCS=qm
[ "${MEMDIAG_FULL:-}" = 1 ] && ALLOCS="qm fm tlsf"
CFG=$top_srcdir/tests/lib/proxy.cfg

# coreutils printf: one write, one datagram (bash's builtin writes per line)
sip_send() { env printf '%s' "$1" >"/dev/udp/127.0.0.1/$KAM_PORT"; }

sip_options() {
	local m
	printf -v m 'OPTIONS sip:127.0.0.1:%s SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:9;branch=z9hG4bK-o%s\r\nFrom: <sip:test@127.0.0.1>;tag=o%s\r\nTo: <sip:127.0.0.1>\r\nCall-ID: opt-%s@memdiag-test\r\nCSeq: 1 OPTIONS\r\nMax-Forwards: 70\r\nContent-Length: 0\r\n\r\n' \
	    "$KAM_PORT" "$RANDOM$RANDOM" "$RANDOM" "$RANDOM$RANDOM"
	sip_send "$m"
}

# an INVITE that loops through the proxy until Max-Forwards runs out (483):
# tm transactions that are all freed ~5 s later
sip_invite_loop() {
	local m
	printf -v m 'INVITE sip:loop@127.0.0.1:%s SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:9;branch=z9hG4bK-i%s\r\nFrom: <sip:test@127.0.0.1>;tag=i%s\r\nTo: <sip:loop@127.0.0.1>\r\nCall-ID: loop-%s@memdiag-test\r\nCSeq: 1 INVITE\r\nMax-Forwards: 4\r\nContent-Length: 0\r\n\r\n' \
	    "$KAM_PORT" "$RANDOM$RANDOM" "$RANDOM" "$RANDOM$RANDOM"
	sip_send "$m"
}

rpc_field() { kam_rpc "$1" | awk -v k="$2:" '$1 == k { print $2; exit }'; }

# settle: no transaction left and shm used unchanged for 1 s
settle() {
	local last='' now
	for _ in $(seq 1 40); do
		now="$(rpc_field tm.stats current) $(rpc_field core.shmmem used)"
		[ "${now%% *}" = 0 ] && [ "$now" = "$last" ] && return 0
		last=$now
		sleep 0.5
	done
	echo "proxy did not settle (tm current, shm used: $now)"
	return 1
}

# wait_log FROM: until the log has grown past FROM and then not for 0.5 s
wait_log() {
	local from=$1 last=-1 same=0 now
	for _ in $(seq 1 50); do
		[ "$(stat -c %s "$KAM_LOG")" -gt "$from" ] && break
		sleep 0.1
	done
	for _ in $(seq 1 100); do
		now=$(stat -c %s "$KAM_LOG")
		if [ "$now" = "$last" ]; then
			same=$((same + 1))
			[ "$same" -ge 5 ] && return 0
		else
			same=0
		fi
		last=$now
		sleep 0.1
	done
}

# pkg_stats_used PID: pkg.stats' used for PID, from the snapshot
pkg_stats_used() {
	awk -v p="$1" '$1 == "pid:" { pid = $2 }
	    $1 == "used:" && pid == p { print $2; exit }' "$T_TMP/pkg.stats"
}

# jcheck "what" FILTER [jq args]: FILTER must be true on the analysis
jcheck() {
	local what=$1 filter=$2
	shift 2
	check "$ALLOC: $what" jq_true "$@" "$filter"
}
# shellcheck disable=SC2317 # called through check
jq_true() { jq -e "$@" "$JSON" >/dev/null; }

run_alloc() {
	ALLOC=$1
	local main worker from log main_stats worker_stats
	kam_start "$ALLOC" "$CFG" -x "$ALLOC" -X "$ALLOC" -m 16 -M 4 ||
	    { fail "$ALLOC: kamailio did not start"; return; }
	main=$KAM_PID
	worker=$(kam_rpc core.psx | awk '$1 == "PID:" { pid = $2 }
	    /DSC: udp receiver child=0 / { print pid; exit }')

	for _ in 1 2 3 4; do sip_options; done
	sip_invite_loop
	sip_invite_loop
	settle || { fail "$ALLOC: proxy did not settle"; kam_stop; return; }

	kam_rpc cfg.set_now_int core mem_summary 15 >/dev/null
	kam_rpc core.shmmem >"$T_TMP/shmmem"
	kam_rpc pkg.stats >"$T_TMP/pkg.stats"
	from=$(stat -c %s "$KAM_LOG")
	kill -USR1 "$KAM_PID"
	wait_log "$from"
	kam_rpc cfg.set_now_int core mem_summary 5 >/dev/null
	kill -USR1 "$worker"
	wait_log "$(stat -c %s "$KAM_LOG")"
	log=$T_TMP/$ALLOC.log
	tail -c "+$((from + 1))" "$KAM_LOG" >"$log"
	kam_stop

	expect_status 0 "$ALLOC: memdiag analyze --json on the new log lines" \
	    "$MEMDIAG" analyze --json "$log"
	JSON=$T_TMP/$ALLOC.json
	cp "$T_TMP/out" "$JSON"

	main_stats=$(pkg_stats_used "$main")
	worker_stats=$(pkg_stats_used "$worker")
	local a=(--arg alloc "$ALLOC" --argjson main "$main"
	    --argjson worker "$worker"
	    --argjson total "$(awk '$1 == "total:" { print $2 }' "$T_TMP/shmmem")"
	    --argjson used "$(awk '$1 == "used:" { print $2 }' "$T_TMP/shmmem")"
	    --argjson real "$(awk '$1 == "real_used:" { print $2 }' "$T_TMP/shmmem")"
	    --argjson mainpkg "${main_stats:-null}"
	    --argjson workerpkg "${worker_stats:-null}")

	jcheck "three dumps: main pkg, shm, worker pkg" \
	    '[.dumps[] | "\(.pid) \(.pool)"] | sort ==
	     (["\($main) pkg", "\($main) shm", "\($worker) pkg"] | sort)' "${a[@]}"
	jcheck "every dump complete, allocator $ALLOC" \
	    'all(.dumps[]; .complete == true and .allocator == $alloc)' "${a[@]}"
	jcheck "sum of site bytes equals used in every dump" \
	    'all(.dumps[]; .used != null and ([.sites[].bytes] | add) == .used)'
	jcheck "shm used/real_used/heap_size equal core.shmmem's" \
	    '.dumps[] | select(.pool == "shm") | .used == $used and
	     .real_used == $real and .heap_size == $total' "${a[@]}"
	jcheck "main pkg used equals pkg.stats'" \
	    '.dumps[] | select(.pool == "pkg" and .pid == $main) |
	     .used == $mainpkg and .process_no == 0' "${a[@]}"
	case $ALLOC in
	qm)
		jcheck "worker pkg used equals pkg.stats'" \
		    '.dumps[] | select(.pid == $worker) | .used == $workerpkg
		     and .process_no == 1' "${a[@]}"
		;;
	fm)
		jcheck "worker pkg used within 2048 below pkg.stats'" \
		    '.dumps[] | select(.pid == $worker) |
		     ($workerpkg - .used) as $d | $d >= 0 and $d <= 2048
		     and .process_no == 1' "${a[@]}"
		;;
	tlsf)
		jcheck "worker pkg dump from process 1" \
		    '.dumps[] | select(.pid == $worker) | .process_no == 1 and
		     .used > 0 and .used < .heap_size' "${a[@]}"
		;;
	esac
}

for alloc in $ALLOCS; do
	run_alloc "$alloc"
done
finish
