#!/bin/bash
# The hook gate: operator commands that succeed, fail and hang (each run
# with argv, a timeout and its output logged), the watchdog that opens
# after memdiag is killed with SIGKILL, stopped past its budget, or
# stopped long enough that it no longer renews its lease (11 s), and
# start-up opening a dead run's hook gate while a live run's is left alone.
# The hooks only write to a file, so this needs no namespace; the target
# is a real Kamailio on 127.0.0.1.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/lib/common.sh"
. "$top_srcdir/tests/lib/kam.sh"

RUN=$T_TMP/run
MARK=$T_TMP/mark
HOOK=$T_TMP/hook.sh
mkdir -p "$RUN"
cat >"$HOOK" <<'EOF'
#!/bin/sh
# hook.sh ACTION MARKFILE [fail | hang | failonce FLAGFILE]
echo "$1 $MEMDIAG_GATE_ADDRS"
case "${3:-}" in
fail) echo "cannot $1" >&2; exit 3 ;;
hang) sleep 60 ;;
failonce) if [ -e "$4" ]; then rm -f "$4"; echo "not yet" >&2; exit 4; fi ;;
esac
echo "$1" >>"$2"
EOF
chmod +x "$HOOK"

kam_start hook "$top_srcdir/tests/lib/proxy.cfg" || { fail "kamailio"; finish; }

gate() {
	"$MEMDIAG" gate --target "$KAM_PID" --run-dir "$RUN" --gate hook "$@"
}
# gate_bg ARGS...: in the background; $GATE_PID is memdiag's
gate_bg() {
	"$MEMDIAG" gate --target "$KAM_PID" --run-dir "$RUN" --gate hook "$@" \
	    >"$T_TMP/gate.out" 2>"$T_TMP/gate.err" &
	GATE_PID=$!
	t_on_exit "kill -KILL $GATE_PID 2>/dev/null"
}
gate_wait() {
	st=0
	wait "$GATE_PID" || st=$?
}
marks() { tr '\n' ' ' <"$MARK" 2>/dev/null | sed 's/ $//'; }
# wait_mark WORD SECONDS: until the mark file has WORD
wait_mark() {
	local i
	for i in $(seq 1 $(($2 * 10))); do
		grep -qx "$1" "$MARK" 2>/dev/null && return 0
		sleep 0.1
	done
	return 1
}
now() { date +%s.%N; }
since() { echo "$(now) $1" | awk '{ printf "%.2f", $1 - $2 }'; }
le() { awk -v a="$1" -v b="$2" 'BEGIN { exit !(a <= b) }'; }
states() { ls "$RUN" | grep -c '^gate-hook-' || true; }

# --- a hook that succeeds: close, hold, open; output logged ---
rm -f "$MARK"
expect_status 0 "hooks that succeed" gate --hold 1 \
    --close-cmd "$HOOK close $MARK" --open-cmd "$HOOK open $MARK"
check "closed, then opened" [ "$(marks)" = "close open" ]
check "the hook's output is logged with what it gates" grep -q \
    "hook close (pid [0-9]*): close udp:127.0.0.1:$KAM_PORT" "$T_TMP/err"
check "no state file left" [ "$(states)" = 0 ]

# --- a close that fails aborts, and opens what it may have closed ---
rm -f "$MARK"
expect_status 70 "a failing close aborts" gate --hold 5 \
    --close-cmd "$HOOK close $MARK fail" --open-cmd "$HOOK open $MARK"
check "the failure is logged" grep -q "exited with status 3" "$T_TMP/err"
check "its stderr too" grep -q "cannot close" "$T_TMP/err"
check "the open command ran after the failed close" [ "$(marks)" = "open" ]
check "no state file after a failed close" [ "$(states)" = 0 ]

# --- a close that hangs is killed at its timeout ---
rm -f "$MARK"
t0=$(now)
expect_status 70 "a hanging close is killed" gate --hold 5 \
    --hook-timeout 1 --close-cmd "$HOOK close $MARK hang" \
    --open-cmd "$HOOK open $MARK"
took=$(since "$t0")
check "within its 1 s timeout, not the hold ($took s)" le "$took" 4
check "the timeout is logged" grep -q "did not finish within 1 s" \
    "$T_TMP/err"
check "opened after the hung close" [ "$(marks)" = "open" ]

# --- an open that fails leaves its state for the next start ---
rm -f "$MARK"
touch "$T_TMP/flag"
expect_status 70 "a failing open is an error" gate --hold 0 \
    --close-cmd "$HOOK close $MARK" \
    --open-cmd "$HOOK open $MARK failonce $T_TMP/flag"
check "its state file stays" [ "$(states)" = 1 ]
expect_status 0 "the next start" "$MEMDIAG" gate --target "$KAM_PID" \
    --run-dir "$RUN" --gate none --hold 0
check "opened the gate the dead run left closed" [ "$(marks)" = "close open" ]
check "and removed its state" [ "$(states)" = 0 ]

# --- the watchdog opens after SIGKILL ---
rm -f "$MARK"
gate_bg --hold 60 --close-cmd "$HOOK close $MARK" --open-cmd "$HOOK open $MARK"
check "closed before SIGKILL" wait_mark close 5
t0=$(now)
kill -KILL "$GATE_PID"
gate_wait 2>/dev/null
check "the watchdog opened the gate" wait_mark open 3
took=$(since "$t0")
echo "    opened $took s after SIGKILL"
check "within 1 s of SIGKILL ($took s)" le "$took" 1.5
check "the watchdog says why" grep -q "memdiag died" "$T_TMP/gate.err"
sleep 0.3
check "and removed the state file" [ "$(states)" = 0 ]

# stop_gated BUDGET SECONDS: a hook gate closed, then memdiag stopped
# (SIGSTOP); the watchdog must open it within SECONDS; $took is how long
# it took. stopped_end kills that memdiag.
stop_gated() {
	rm -f "$MARK"
	gate_bg --hold 60 --budget "$1" --close-cmd "$HOOK close $MARK" \
	    --open-cmd "$HOOK open $MARK"
	check "closed before SIGSTOP (budget $1 s)" wait_mark close 5
	t0=$(now)
	kill -STOP "$GATE_PID"
	check "the watchdog opened a stopped memdiag's gate" wait_mark open "$2"
	took=$(since "$t0")
	echo "    opened $took s after SIGSTOP (budget $1 s)"
}
stopped_end() {
	kill -KILL "$GATE_PID"
	kill -CONT "$GATE_PID" 2>/dev/null || true
	gate_wait 2>/dev/null
}

# --- the watchdog opens at the budget when memdiag is stopped ---
stop_gated 2 8
check "at the budget plus the watchdog's 2 s grace ($took s)" le "$took" 5
stopped_end

# --- a stopped memdiag with budget to spare: its lease runs out ---
stop_gated 900 15
check "within the 10 s lease and its second ($took s), like nft's elements" \
    le "$took" 11.5
check "the watchdog says why" grep -q "stopped renewing the gate" \
    "$T_TMP/gate.err"
stopped_end

# --- start-up: a live run's hook gate is left alone, a dead one's opened ---
rm -f "$MARK"
gate_bg --hold 60 --close-cmd "$HOOK close $MARK" --open-cmd "$HOOK open $MARK"
check "closed by a live run" wait_mark close 5
expect_status 75 "a second memdiag on the target is locked out" \
    "$MEMDIAG" gate --target "$KAM_PID" --run-dir "$RUN" --gate none --hold 0
check "the live run's gate stays closed" [ "$(marks)" = "close" ]
check "and its state file stays" [ "$(states)" = 1 ]
WD=$(sed -n 's/.*"watchdog_pid": \([0-9]*\).*/\1/p' "$RUN"/gate-hook-*.json)
check "the state names the watchdog" [ -n "$WD" ]
# systemd's stop kills the whole cgroup: memdiag and its watchdog
kill -KILL "$WD" "$GATE_PID"
gate_wait 2>/dev/null
sleep 0.3
check "nothing opened it" [ "$(marks)" = "close" ]
expect_status 0 "the next start" "$MEMDIAG" gate --target "$KAM_PID" \
    --run-dir "$RUN" --gate none --hold 0
check "opened the dead run's gate" [ "$(marks)" = "close open" ]
check "and removed its state file" [ "$(states)" = 0 ]

finish
