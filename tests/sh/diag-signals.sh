#!/bin/bash
# SIGTERM, SIGINT and SIGHUP in every phase of memdiag --target, against
# a real Kamailio with Debian's stock log settings (memlog 5, so memdiag
# must lower it to see dumps). The phase comes from memdiag's own
# "diag: A -> B" lines, and its warning names the phase the signal found
# it in. For each: memdiag exits within 5 s with status 3, the reason
# names the signal, memlog and mem_summary are back, no state file is
# left, and the proxy is alive and answers SIP. A signal in FINISH (the
# measurements are done; the gate opens, settings go back) does not undo
# the verdict. Then, with the nft gate in a network namespace: SIGTERM
# in CALLS leaves no gate; SIGKILL in CALLS (gated, memlog lowered)
# leaves the gate to the kernel's element timeout, and the next memdiag
# cleanup puts memlog back. (make check-full: about two minutes.)
. "${top_srcdir:-$(dirname "$0")/../..}/tests/lib/common.sh"
. "$top_srcdir/tests/lib/kam.sh"
. "$top_srcdir/tests/lib/netns.sh"
command -v jq >/dev/null || skip "jq is not installed"

RELAY=$top_builddir/tests/tools/udp_relay
PROBE=$top_builddir/tests/tools/gate_probe
S=$T_TMP/state
R=$T_TMP/run
now() { date +%s.%N; }
since() { echo "$(now) $1" | awk '{ printf "%.2f", $1 - $2 }'; }
lt() { awk -v a="$1" -v b="$2" 'BEGIN { exit !(a < b) }'; }
# wait_line PATTERN FILE [SECONDS]
wait_line() {
	for _ in $(seq 1 $(( ${3:-60} * 20 ))); do
		grep -q -- "$1" "$2" 2>/dev/null && return 0
		sleep 0.05
	done
	return 1
}
no_state_file() { ! ls "$S"/settings-* >/dev/null 2>&1; }
settings_back() {
	test "$(kam_rpc cfg.get core memlog)" = 5 &&
	    test "$(kam_rpc cfg.get core mem_summary)" = 12
}
sip_answers() {
	"$MEMDIAG" call --proxy "127.0.0.1:$KAM_PORT" --calls 2 >/dev/null 2>&1
}

kam_start sig "$top_srcdir/tests/lib/proxy.cfg" -m 16 -M 4 -A STOCK_LOG ||
    { fail "kamailio"; finish; }

# A proxy address that swallows everything (datagrams held 60 s): the
# OPTIONS ping gets no answer for 3 s, a window inside PREFLIGHT.
"$RELAY" "$KAM_PORT" 0 60000 0 0 "$T_TMP/sink.stats" >"$T_TMP/sink.out" 2>&1 &
SINK_PID=$!
# (waited for: on SIGTERM it writes its stats into $T_TMP)
t_on_exit "kill $SINK_PID 2>/dev/null; wait $SINK_PID 2>/dev/null"
wait_line "^port " "$T_TMP/sink.out" 5 || { fail "sink relay"; finish; }
SINK=127.0.0.1:$(sed -n 's/^port //p' "$T_TMP/sink.out")

# md_start PHASE: memdiag --target in the background, sets MD
md_start() {
	local extra
	case $1 in
	PREFLIGHT) extra="--proxy $SINK --calls 20" ;;
	CALLS) extra="--calls 300" ;;
	*) extra="--calls 20" ;;
	esac
	# shellcheck disable=SC2086
	"$MEMDIAG" --target "$KAM_PIDFILE" --gate none --rounds 1 --settle 2 \
	    --quiet-max 20 --state-dir "$S" --run-dir "$R" --json -v $extra \
	    >"$T_TMP/md.json" 2>"$T_TMP/md.err" &
	MD=$!
	t_on_exit "kill -KILL $MD 2>/dev/null"
}

# case SIG PHASE MARK: SIG once MARK (a state line) is in memdiag's log
sig_case() {
	local sig=$1 phase=$2 mark=$3 t0 el got=0
	md_start "$phase"
	if ! wait_line "$mark" "$T_TMP/md.err"; then
		fail "$sig/$phase: never saw '$mark'"
		kill -KILL "$MD" 2>/dev/null; wait "$MD" 2>/dev/null || true
		sed 's/^/    /' "$T_TMP/md.err" | grep -v "call md" | tail -5
		return
	fi
	sleep 0.2
	t0=$(now)
	kill -"$sig" "$MD" || fail "$sig/$phase: memdiag gone before the signal"
	wait "$MD" || got=$?
	el=$(since "$t0")
	echo "$sig in $phase: exit $got after $el s"
	check "$sig/$phase: caught in $phase" \
	    grep -q "SIG$sig in $phase: opening the gate" "$T_TMP/md.err"
	check "$sig/$phase: status 3 (got $got)" test "$got" = 3
	check "$sig/$phase: exit within 5 s ($el s)" lt "$el" 5
	check "$sig/$phase: inconclusive, the reason names SIG$sig" jq -e \
	    --arg s "SIG$sig" '.verdict == "inconclusive" and
	    (.reason | contains($s)) and .settings_restored' "$T_TMP/md.json"
	check "$sig/$phase: memlog 5, mem_summary 12 again" settings_back
	check "$sig/$phase: no state file left" no_state_file
	check "$sig/$phase: proxy alive and answering SIP" sip_answers
}

for sig in TERM INT HUP; do
	sig_case $sig PREFLIGHT "START -> PREFLIGHT"
	sig_case $sig QUIET "PREFLIGHT -> QUIET (baseline)"
	sig_case $sig DUMP "QUIET -> DUMP (baseline)"
	sig_case $sig CALLS "DUMP -> CALLS (round 1)"
done

# FINISH lasts a few milliseconds (gate open, two RPCs, the report): a
# signal sent when its line shows mostly finds memdiag gone. Whatever it
# hits, the settings go back and the status is the verdict's (0 or 3,
# with one round); death by the signal's default action (129 for SIGHUP)
# would fail.
sig=HUP
md_start FINISH
wait_line "-> FINISH" "$T_TMP/md.err" 90 || fail "$sig/FINISH: not reached"
kill -"$sig" "$MD" 2>/dev/null && hit=yes || hit="no (already gone)"
got=0; wait "$MD" || got=$?
echo "$sig in FINISH: delivered $hit, exit $got"
check "$sig/FINISH: status 0 or 3 (got $got)" test "$got" = 0 -o "$got" = 3
check "$sig/FINISH: memlog 5, mem_summary 12 again" settings_back
check "$sig/FINISH: no state file left" no_state_file
check "$sig/FINISH: proxy alive and answering SIP" sip_answers
kam_stop
kill "$SINK_PID"
wait "$SINK_PID" || true

# ---- the nft gate, in a network namespace ----
ns_new sig
kam_start_ns gsig "$top_srcdir/tests/lib/proxy.cfg" -m 16 -M 4 \
    -A STOCK_LOG || { fail "kamailio in $NS"; finish; }
user_ok() { ns_run "$PROBE" ask 127.0.0.3 "127.0.0.1:$KAM_PORT" 300; }
user_blocked() { ! user_ok; }
tables() { ns_run nft list tables | grep -c "memdiag_gate_" || true; }
md_ns() {
	ip netns exec "$NS" "$MEMDIAG" --target "$KAM_PID" --gate nft \
	    --calls 300 --rounds 1 --settle 2 --quiet-max 20 --state-dir "$S" \
	    --run-dir "$R" --json -v >"$T_TMP/md.json" 2>"$T_TMP/md.err" &
	MD=$!
	t_on_exit "kill -KILL $MD 2>/dev/null"
}

md_ns
wait_line "DUMP -> CALLS (round 1)" "$T_TMP/md.err" || fail "gated: no CALLS"
check "gated: the gate is closed in CALLS" test "$(tables)" = 1
t0=$(now)
kill -TERM "$MD"
got=0; wait "$MD" || got=$?
el=$(since "$t0")
echo "gated SIGTERM in CALLS: exit $got after $el s"
check "gated SIGTERM: status 3 (got $got)" test "$got" = 3
check "gated SIGTERM: exit within 5 s ($el s)" lt "$el" 5
check "gated SIGTERM: no memdiag table left" test "$(tables)" = 0
check "gated SIGTERM: a user gets answers" user_ok
check "gated SIGTERM: memlog 5, mem_summary 12 again" settings_back
check "gated SIGTERM: no state file left" no_state_file

md_ns
wait_line "DUMP -> CALLS (round 1)" "$T_TMP/md.err" || fail "gated: no CALLS"
check "SIGKILL: memlog lowered before the kill" test "$(kam_rpc cfg.get core memlog)" = 2
t0=$(now)
kill -KILL "$MD"
wait "$MD" 2>/dev/null || true
check "SIGKILL: users blocked right after the kill" user_blocked
for _ in $(seq 1 60); do
	user_ok && break
	sleep 0.25
done
el=$(since "$t0")
echo "gated SIGKILL in CALLS: users answered again after $el s"
check "SIGKILL: users answered again" user_ok
check "SIGKILL: ... within 15 s ($el s; the gate's element is 10 s)" lt "$el" 15
check "SIGKILL: the state file stays behind" sh -c "ls '$S'/settings-* >/dev/null 2>&1"
check "SIGKILL: memlog still lowered" test "$(kam_rpc cfg.get core memlog)" = 2
expect_status 0 "memdiag cleanup after the SIGKILL" \
    ip netns exec "$NS" "$MEMDIAG" cleanup --state-dir "$S" --run-dir "$R"
check "cleanup: memlog 5, mem_summary 12 again" settings_back
check "cleanup: no state file left" no_state_file
check "cleanup: no memdiag table left" test "$(tables)" = 0
finish
