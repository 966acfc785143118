#!/bin/bash
# A Kamailio in its own PID namespace (as in a container): its log lines,
# core.psx and mem_dump_pkg speak namespace PIDs, while memdiag signals
# host PIDs. memdiag maps one to the other through NSpid in
# /proc/PID/status, and every process's dump still arrives.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/lib/common.sh"
. "$top_srcdir/tests/lib/kam.sh"
[ "$(id -u)" = 0 ] || skip "needs root for a PID namespace"
command -v unshare >/dev/null || skip "unshare is not installed"
command -v jq >/dev/null || skip "jq is not installed"

kam_prepare pidns
unshare --pid --fork --kill-child kamailio -DD -E \
    -f "$top_srcdir/tests/lib/proxy.cfg" -Y "$KAM_DIR" -P "$KAM_PIDFILE" \
    -A "CTLSOCK=\"$KAM_CTL\"" -A "LPORT=$KAM_PORT" -A STOCK_LOG \
    -A CHILDREN=2 -m 16 -M 4 >"$KAM_LOG" 2>&1 &
upid=$!
t_on_exit "kill $upid 2>/dev/null"
for i in $(seq 1 50); do
	KAM_PID=$(pgrep -P "$upid" -x kamailio || true)
	[ -n "$KAM_PID" ] && break
	sleep 0.1
done
[ -n "$KAM_PID" ] || { echo "FAIL: kamailio did not start"; tail "$KAM_LOG"; exit 1; }
kam_wait_ready
check "the pid file holds the namespace PID" test "$(cat "$KAM_PIDFILE")" != "$KAM_PID"
kam_rpc core.psx >"$T_TMP/psx"
check "core.psx reports namespace PIDs, not host PIDs" sh -c "! grep -q 'PID: $KAM_PID\$' '$T_TMP/psx'"

expect_status 0 "dump of a proxy in a PID namespace" "$MEMDIAG" dump --json \
    --target "$KAM_PID" --state-dir "$T_TMP/state" --run-dir "$T_TMP/run"
J=$T_TMP/dump.json
cp "$T_TMP/out" "$J"
nproc=$(kam_rpc core.psx | grep -c '^	PID:')
check "every process answered" jq -e --argjson n "$nproc" '(.processes | length) == $n and ([.processes[] | .path] | all(. != "none"))' "$J"
check "roles learnt from core.psx" jq -e '[.processes[] | .role != null] | all' "$J"
check "one complete dump per process, plus shm" jq -e --argjson n "$nproc" '([.dumps[] | select(.complete)] | length) == $n + 1' "$J"
check "memlog restored" test "$(kam_rpc cfg.get core memlog)" = 5
finish
