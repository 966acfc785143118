#!/bin/bash
# Target discovery and refusals against a real Kamailio on loopback:
# memdiag finds the main process, its children, the listening address,
# the ctl socket and the log file by itself, and refuses anything that is
# not a verified proxy.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/lib/common.sh"
. "$top_srcdir/tests/lib/kam.sh"
command -v jq >/dev/null || skip "jq is not installed"

kam_start target "$top_srcdir/tests/lib/proxy.cfg" -m 16 -M 4 -A CHILDREN=4
expect_status 0 "inspect by pid file" "$MEMDIAG" inspect --json --target "$KAM_PIDFILE"
cp "$T_TMP/out" "$T_TMP/inspect.json"
J=$T_TMP/inspect.json
check "main pid" jq -e --argjson p "$KAM_PID" '.main.pid == $p' "$J"
kam_rpc core.psx | grep -c '^	PID:' >"$T_TMP/nproc"
check "every child found (core.psx count)" jq -e --argjson n "$(cat "$T_TMP/nproc")" '(.children | length) == $n - 1' "$J"
check "listening address" jq -e --arg a "udp:127.0.0.1:$KAM_PORT" '.listen == [$a]' "$J"
check "ctl socket found" jq -e --arg c "$KAM_CTL" '.ctl[0] == $c' "$J"
check "log file found" jq -e --arg l "$KAM_LOG" '.log.kind == "file" and .log.path == $l' "$J"
check "pool sizes from the command line" jq -e '.shm_mb == 16 and .pkg_mb == 4' "$J"
check "version and build flags over RPC" jq -e '(.proxy.version | test("^kamailio 5")) and (.proxy.flags | test("Q_MALLOC"))' "$J"
check "allocators and pool sizes over RPC" jq -e '.proxy.shm.name == "q_malloc" and .proxy.shm.size == 16777216 and .proxy.pkg.size == 4194304' "$J"
check "every process may get SIGUSR1" jq -e '[.main, .children[]] | all(.signal_ok)' "$J"
check "what memdiag can do with it: everything, qm and kex here" jq -e \
    '(.abilities | length) == 5 and (.abilities | all(.can and .why == null))' "$J"
expect_status 0 "inspect by PID" "$MEMDIAG" inspect --target "$KAM_PID"
check "the text says it too" grep -q "can: *name the allocation sites" "$T_TMP/out"

worker=$(jq -r '.children[0].pid' "$J")
expect_status 77 "a worker given as the target" "$MEMDIAG" inspect --target "$worker"
check "says to give the main process" grep -q "give the main process" "$T_TMP/err"

sleep 300 & sp=$!
t_on_exit "kill $sp 2>/dev/null"
# until the forked shell has become sleep
for i in $(seq 1 50); do
	case $(readlink "/proc/$sp/exe") in */sleep) break ;; esac
	sleep 0.1
done
expect_status 77 "sleep is no proxy" "$MEMDIAG" inspect --target "$sp"
check "names the executable" grep -q "/sleep, which is no known proxy" "$T_TMP/err"

bash -c 'trap "" USR1; trap ": caught" USR2; sleep 300' & bp=$!
t_on_exit "kill $bp 2>/dev/null"
expect_status 77 "a process catching signals that is no proxy" "$MEMDIAG" inspect --target "$bp"

# a proxy under a name the built-in list does not know: refused, unless
# --proxy-exe names it
t_on_exit "KAM_PID=$KAM_PID; kam_stop"
cp "$(command -v kamailio)" "$T_TMP/edge-proxy"
kam_prepare renamed
"$T_TMP/edge-proxy" -DD -E -f "$top_srcdir/tests/lib/proxy.cfg" \
    -Y "$KAM_DIR" -P "$KAM_PIDFILE" -A "CTLSOCK=\"$KAM_CTL\"" \
    -A "LPORT=$KAM_PORT" >"$KAM_LOG" 2>&1 &
KAM_PID=$!
kam_wait_ready
expect_status 77 "a proxy binary of another name" "$MEMDIAG" inspect --target "$KAM_PIDFILE"
check "says how to allow it" grep -q "edge-proxy, which is no known proxy (kamailio, .*--proxy-exe" "$T_TMP/err"
expect_status 0 "allowed with --proxy-exe" "$MEMDIAG" inspect --target "$KAM_PIDFILE" --proxy-exe kamailio,edge-proxy
check "and inspected: its ctl socket found" grep -q "ctl.sock" "$T_TMP/out"
expect_status 0 "memdiag dump takes --proxy-exe too" "$MEMDIAG" dump --target "$KAM_PIDFILE" --proxy-exe edge-proxy --pool shm --state-dir "$T_TMP/state" --run-dir "$T_TMP/run"
expect_status 64 "--proxy-exe takes names, not paths" "$MEMDIAG" inspect --target "$KAM_PIDFILE" --proxy-exe /usr/sbin/kamailio
kam_stop

expect_status 69 "no such process" "$MEMDIAG" inspect --target 2147483646
expect_status 69 "pid file missing" "$MEMDIAG" inspect --target "$T_TMP/none.pid"
echo "not-a-pid" >"$T_TMP/bad.pid"
expect_status 65 "pid file with garbage" "$MEMDIAG" inspect --target "$T_TMP/bad.pid"
check "names file and line" grep -q "bad.pid:1" "$T_TMP/err"
if ! busctl --system status >/dev/null 2>&1; then
	expect_status 69 "a unit name without systemd" "$MEMDIAG" inspect --target kamailio
fi
expect_status 64 "no --target" "$MEMDIAG" inspect
finish
