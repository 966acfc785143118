#!/bin/bash
# memdiag dump under faults, on a real Kamailio: the log rotated in the
# middle of the dumps, an RPC socket that accepts and never answers, the
# proxy's ctl handler stopped. Each ends with a clear status and message,
# and the proxy's settings are as they were.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/lib/common.sh"
. "$top_srcdir/tests/lib/kam.sh"
command -v jq >/dev/null || skip "jq is not installed"

kam_start faults "$top_srcdir/tests/lib/proxy.cfg" -m 16 -M 4 \
    -A STOCK_LOG -A CHILDREN=4
S=$T_TMP/state
R=$T_TMP/run
memlog() { kam_rpc cfg.get core memlog; }

# The log is rotated (renamed, a new file created) while the dumps are
# being taken. Kamailio keeps writing to the renamed file, so the rest of
# the dumps never reach the new one: memdiag must say so, not guess.
"$MEMDIAG" dump --json --target "$KAM_PIDFILE" --state-dir "$S" --run-dir "$R" \
    --timeout 3 >"$T_TMP/rot.out" 2>"$T_TMP/rot.err" &
md=$!
for i in $(seq 1 100); do [ "$(memlog)" != 5 ] && break; sleep 0.02; done
mv "$KAM_LOG" "$KAM_LOG.1"
: >"$KAM_LOG"
rc=0
wait "$md" || rc=$?
check "rotation mid-dump: status 3 (inconclusive), not a dump" test "$rc" = 3
check "the rotation is named" grep -q "rotated" "$T_TMP/rot.err"
check "the JSON says which dumps are missing" jq -e '.log_problem != null and ([.processes[] | select(.problem != null)] | length) > 0' "$T_TMP/rot.out"
check "memlog restored after the rotation" test "$(memlog)" = 5

# A socket that accepts connections and never answers
if command -v socat >/dev/null; then
	socat "UNIX-LISTEN:$T_TMP/hang.sock,fork" EXEC:"sleep 60" &
	sp=$!
	t_on_exit "kill $sp 2>/dev/null"
	for i in $(seq 1 50); do [ -S "$T_TMP/hang.sock" ] && break; sleep 0.1; done
	t0=$(date +%s)
	expect_status 69 "an RPC socket that never answers" "$MEMDIAG" dump \
	    --target "$KAM_PID" --rpc "unix:$T_TMP/hang.sock" --state-dir "$S" \
	    --run-dir "$R"
	check "it gives up within seconds" test $(( $(date +%s) - t0 )) -le 10
	check "the timeout is named" grep -q "timed out" "$T_TMP/err"
	check "memlog untouched" test "$(memlog)" = 5
fi

# The proxy's ctl handler stops answering (SIGSTOP): nothing is changed
ctl=$(kam_rpc core.psx | awk '/PID:/ { pid = $2 } /DSC: ctl handler/ { print pid }')
kill -STOP "$ctl"
t_on_exit "kill -CONT $ctl 2>/dev/null"
expect_status 69 "the ctl handler stopped" "$MEMDIAG" dump --target "$KAM_PID" \
    --rpc "$KAM_CTL" --state-dir "$S" --run-dir "$R"
kill -CONT "$ctl"
check "memlog untouched" test "$(memlog)" = 5
check "no state file left" sh -c "! ls '$S'/settings-* 2>/dev/null | grep -q ."
finish
