#!/bin/bash
# The proxy fails in the middle of a diagnosis: it exits (noticed at once
# through a pidfd), or it stops answering RPC (SIGSTOP). memdiag aborts,
# reports inconclusive (3) with the reason, signals nothing further; what
# it could not restore then is restored by the next start (cleanup), to
# that same proxy only.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/lib/common.sh"
. "$top_srcdir/tests/lib/kam.sh"
command -v jq >/dev/null || skip "jq is not installed"

S=$T_TMP/state
R=$T_TMP/run
# diag_bg NAME: memdiag --target in the background, $! is memdiag
diag_bg() {
	"$MEMDIAG" --target "$KAM_PIDFILE" --gate none --calls 40 --settle 2 \
	    --quiet-max 20 --state-dir "$S" --run-dir "$R" --json -v \
	    >"$T_TMP/$1.json" 2>"$T_TMP/$1.err" &
	MD=$!
	t_on_exit "kill $MD 2>/dev/null"
}
# wait_phase FILE PHASE: until memdiag's log says it entered PHASE
wait_phase() {
	local i
	for i in $(seq 1 300); do
		grep -q -- "-> $2" "$1" && return 0
		sleep 0.1
	done
	return 1
}
# wait_exit PID: ST is its status once it exits (at most 30 s; not in a
# subshell: only this shell can wait for its child)
wait_exit() {
	local i
	for i in $(seq 1 300); do
		kill -0 "$1" 2>/dev/null || break
		sleep 0.1
	done
	ST=0
	wait "$1" || ST=$?
}

# 1. the proxy exits during the test calls
kam_start dies "$top_srcdir/tests/lib/proxy.cfg" -m 16 -M 4 -A STOCK_LOG
diag_bg dies
check "the diagnosis reached its test calls" wait_phase "$T_TMP/dies.err" CALLS
t0=$(date +%s%N)
kam_stop
wait_exit "$MD"
st=$ST
ms=$(( ($(date +%s%N) - t0) / 1000000 ))
check "inconclusive (3) when the proxy exits (status $st, $ms ms after)" test "$st" = 3
check "within 3 s of the proxy's exit" test "$ms" -lt 3000
check "the reason names the exit" jq -e '.verdict == "inconclusive" and (.reason | test("exited during CALLS"))' "$T_TMP/dies.json"
check "no signal is sent after the exit" sh -c "! awk '/exited during/ { gone = 1 } gone && /SIGUSR1/' '$T_TMP/dies.err' | grep -q ."
check "the state file of a proxy that is gone is removed by cleanup" sh -c \
    "'$MEMDIAG' cleanup --state-dir '$S' --run-dir '$R' >/dev/null 2>&1; ! ls '$S'/settings-* >/dev/null 2>&1"

# 2. the proxy stops answering (SIGSTOP) during the quiet period
kam_start hangs "$top_srcdir/tests/lib/proxy.cfg" -m 16 -M 4 -A STOCK_LOG
MEMLOG=$(kam_rpc cfg.get core memlog)
diag_bg hangs
check "the diagnosis reached a quiet period" wait_phase "$T_TMP/hangs.err" QUIET
kill -STOP "$KAM_PID" $(pgrep -P "$KAM_PID")
t_on_exit "kill -CONT $KAM_PID $(pgrep -P "$KAM_PID" | tr '\n' ' ') 2>/dev/null"
wait_exit "$MD"
st=$ST
check "inconclusive (3) when RPC stops answering (status $st)" test "$st" = 3
check "the reason names the timeout" jq -e '.verdict == "inconclusive" and (.reason | test("timed out|timeout"))' "$T_TMP/hangs.json"
kill -CONT "$KAM_PID" $(pgrep -P "$KAM_PID")
sleep 0.5
if [ "$(kam_rpc cfg.get core memlog)" != "$MEMLOG" ]; then
	# it could not restore a stopped proxy: the next start does
	check "what it could not restore is left for cleanup" sh -c "ls '$S'/settings-* >/dev/null 2>&1"
	"$MEMDIAG" cleanup --state-dir "$S" --run-dir "$R" >/dev/null 2>&1 || true
fi
check "memlog back to $MEMLOG" test "$(kam_rpc cfg.get core memlog)" = "$MEMLOG"
check "the proxy still works" kam_rpc core.uptime
finish
