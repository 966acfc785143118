#!/bin/bash
# The nft gate against a real Kamailio in a network namespace this test
# creates (and deletes, however it ends): users are blocked while memdiag's
# own calls complete and the proxy's dispatcher pings to a peer keep their
# answers; the gate holds across several element timeouts; SIGKILL and
# SIGSTOP let traffic flow again within the element timeout plus a second
# with no one acting; the budget opens it; start-up removes a dead run's
# table and leaves a live one's alone; SIGTERM and the proxy's exit open it.
# Addresses inside the namespace: Kamailio 127.0.0.1:$KAM_PORT, the peer
# 127.0.0.2:$PEER_PORT, users 127.0.0.3, memdiag's calls 127.0.0.1. The
# peer answers the dispatcher's pings from 127.0.0.4, an address nobody
# exempts: they pass only as SIP responses, and with fr_timer at 1 s a
# dropped answer would mark the destination inactive within the gate.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/lib/common.sh"
. "$top_srcdir/tests/lib/kam.sh"
. "$top_srcdir/tests/lib/netns.sh"

ET=${GATE_ET:-2}	# element timeout (tests/sh/gate-nft-slow.sh: the default, 10)
PROBE=$top_builddir/tests/tools/gate_probe
RUN=$T_TMP/run
mkdir -p "$RUN"

ns_new nft
ns_peer_start
kam_start_ns gate "$top_srcdir/tests/lib/proxy.cfg" -A WITH_DISPATCHER \
    -A "DS_LIST=\"$T_TMP/ds.list\"" -A FR_TIMER=1000 ||
    { fail "kamailio in $NS"; finish; }

user_ok() { ns_run "$PROBE" ask 127.0.0.3 "127.0.0.1:$KAM_PORT" "${1:-300}"; }
peer_ok() { ns_run "$PROBE" ask 127.0.0.2 "127.0.0.1:$KAM_PORT" 300; }
now() { date +%s.%N; }
since() { echo "$(now) $1" | awk '{ printf "%.2f", $1 - $2 }'; }
le() { awk -v a="$1" -v b="$2" 'BEGIN { exit !(a <= b) }'; }
tables() { ns_run nft list tables | grep -c "memdiag_gate_" || true; }
# expires: seconds left on the gate's element ("1s328ms" -> 1.328), 0 if none
expires() {
	local t
	t=$(ns_run nft list tables | sed -n 's/^table inet \(memdiag_gate_.*\)/\1/p')
	[ -n "$t" ] || { echo 0; return; }
	ns_run nft list set inet "$t" gate4 | sed -n 's/.*expires \([0-9hms]*\).*/\1/p' |
	    awk '{ s = 0; v = $1
		if (match(v, /[0-9]+s/)) s += substr(v, RSTART, RLENGTH - 1)
		if (match(v, /[0-9]+ms/)) s += substr(v, RSTART, RLENGTH - 2) / 1000
		print s; exit }
	    END { if (NR == 0) print 0 }'
}

# gate_bg ARGS...: memdiag gate in the background, in the namespace
# (ip netns exec execs it, so $! is memdiag's PID; a shell function
# in the background would put a subshell in between)
gate_bg() {
	ip netns exec "$NS" "$MEMDIAG" gate --target "$KAM_PID" --run-dir "$RUN" \
	    --element-timeout $ET "$@" >"$T_TMP/gate.out" 2>"$T_TMP/gate.err" &
	GATE_PID=$!
	t_on_exit "kill -KILL $GATE_PID 2>/dev/null"
}
# wait_blocked: until a user's OPTIONS goes unanswered (5 s at most)
wait_blocked() {
	local i
	for i in $(seq 1 25); do
		user_ok 200 || return 0
		sleep 0.2
	done
	return 1
}
# flows_after T0: seconds from T0 until a user is answered again (about
# 2*ET+5 s at most)
flows_after() {
	local t0=$1 i
	for i in $(seq 1 $((ET * 20 + 50))); do
		if user_ok 100; then since "$t0"; return 0; fi
	done
	echo 99
}
# gate_wait: memdiag's exit status into $st (wait must run in this shell)
gate_wait() {
	st=0
	wait "$GATE_PID" || st=$?
}

expect_status 77 "memdiag outside the proxy's namespace refuses to gate" \
    "$MEMDIAG" gate --target "$KAM_PID" --run-dir "$RUN" --hold 1
check "and says where to run it" grep -q "another network namespace" \
    "$T_TMP/err"
check "a user is answered before the gate" user_ok
for i in $(seq 1 30); do
	kamcmd -s "$KAM_CTL" dispatcher.list | grep -q 'FLAGS: AP' && break
	sleep 0.2
done
check "the dispatcher has its peer active before the gate" \
    sh -c "kamcmd -s '$KAM_CTL' dispatcher.list | grep -q 'FLAGS: AP'"
check "the peer is answered before the gate" peer_ok

# --- closed: users blocked throughout three element timeouts and more,
# memdiag's own calls and the peer get through ---
pings0=$(wc -l <"$T_TMP/peer.log")
t0=$(now)
gate_bg --hold $((ET * 4)) --calls 5
check "the gate closes" wait_blocked
blocked=0 answered=0 min_left=$ET
while le "$(since "$t0")" $((ET * 3 + 1)); do
	if user_ok 200; then answered=$((answered + 1)); else
		blocked=$((blocked + 1)); fi
	left=$(expires)
	le "$left" "$min_left" && min_left=$left
	sleep 0.1
done
check "users blocked for $((ET * 3 + 1)) s, three element timeouts" \
    [ "$answered" = 0 -a "$blocked" -ge 10 ]
[ "$answered" = 0 ] || echo "    $answered of $((answered + blocked)) user probes answered"
# refreshed every ET/3: a refresh that does not reset the timeout shows
# as an element running down towards 0 (and a gate that opens for a while)
check "the element never ran down below half its timeout ($min_left s left)" \
    le "$(echo $ET | awk '{ print $1 / 2 }')" "$min_left"
check "a peer's request passes while gated" peer_ok
check "a user still reaches an address the proxy does not listen on" \
    ns_run "$PROBE" ask 127.0.0.3 "127.0.0.2:$PEER_PORT" 300
check "the proxy's dispatcher still has its peer active while gated" \
    sh -c "kamcmd -s '$KAM_CTL' dispatcher.list | grep -q 'FLAGS: AP'"
check "one gate table while closed" [ "$(tables)" = 1 ]
gate_wait
pings1=$(wc -l <"$T_TMP/peer.log")
check "memdiag gate exits 0 (status $st)" [ "$st" = 0 ]
check "memdiag's 5 test calls completed while gated" \
    grep -q "placed 5, completed 5, failed 0, timeout 0" "$T_TMP/gate.out"
check "the peer got the proxy's pings while gated ($((pings1 - pings0)))" \
    [ $((pings1 - pings0)) -ge 2 ]
check "the gate said what it gated" grep -q \
    "gate nft closed: requests to udp:127.0.0.1:$KAM_PORT.*exempt memdiag udp:127.0.0.1:.*exempt peers 127.0.0.2" \
    "$T_TMP/gate.err"
check "a user is answered after the gate opened" user_ok
check "no gate table left" [ "$(tables)" = 0 ]

# --- SIGKILL: the element expires, nobody cleans up ---
gate_bg --hold 60
check "closed before SIGKILL" wait_blocked
t0=$(now)
kill -KILL "$GATE_PID"
gate_wait 2>/dev/null
took=$(flows_after "$t0")
echo "    users flowed again $took s after SIGKILL"
check "users flow within $ET+1 s after SIGKILL ($took s)" le "$took" $((ET + 1))
check "the dead run's table stays until the next start" [ "$(tables)" = 1 ]
STALE=$(ns_run nft list tables | sed -n 's/^table inet //p')

# --- a live instance's gate is never touched; the dead one's goes ---
gate_bg --hold 30
check "a second gate closes" wait_blocked
LIVE_PID=$GATE_PID
expect_status 75 "another memdiag on the same target is locked out" \
    ns_run "$MEMDIAG" gate --target "$KAM_PID" --run-dir "$RUN" --hold 1
check "its start-up removed the dead run's table" \
    sh -c "! ip netns exec $NS nft list tables | grep -q '$STALE'"
check "and left the live run's table" [ "$(tables)" = 1 ]
check "users still blocked by the live run" wait_blocked
# --- SIGSTOP: the element expires while memdiag is stopped ---
t0=$(now)
kill -STOP "$LIVE_PID"
took=$(flows_after "$t0")
echo "    users flowed again $took s after SIGSTOP"
check "users flow within $ET+1 s after SIGSTOP ($took s)" le "$took" $((ET + 1))
kill -CONT "$LIVE_PID"
check "memdiag closes the lapsed gate again when continued" wait_blocked
kill -TERM "$LIVE_PID"
GATE_PID=$LIVE_PID
gate_wait
check "SIGTERM after a lapse: status 3, the gate did not hold (status $st)" \
    [ "$st" = 3 ]
check "the lapse was reported" grep -q "opened by itself" "$T_TMP/gate.err"
check "users flow after SIGTERM" user_ok
check "no table after SIGTERM" [ "$(tables)" = 0 ]

# --- budget: a hold longer than the budget opens at the budget ---
t0=$(now)
gate_bg --hold 20 --budget 3
check "closed under a 3 s budget" wait_blocked
gate_wait
took=$(since "$t0")
check "status 0 at the budget (status $st)" [ "$st" = 0 ]
check "opened at the budget, not the hold ($took s)" \
    sh -c "awk -v t=$took 'BEGIN { exit !(t >= 3 && t < 5.5) }'"
check "the budget was the reason" grep -q "budget ran out" "$T_TMP/gate.out"
check "users flow after the budget" user_ok

# --- someone else removes the table: the refresh fails, memdiag stops ---
gate_bg --hold 30
check "closed before the table is removed" wait_blocked
ns_run nft delete table inet "$(ns_run nft list tables | sed -n 's/^table inet //p')"
gate_wait
check "a failed refresh ends the gate with 70 (status $st)" [ "$st" = 70 ]
check "and says so" grep -q "could not refresh" "$T_TMP/gate.err"

# --- the proxy exits while gated: the gate opens, status 69 ---
gate_bg --hold 30
check "closed before the proxy stops" wait_blocked
kam_stop
gate_wait
check "the proxy's exit ends the gate with 69 (status $st)" [ "$st" = 69 ]
check "no table after the proxy's exit" [ "$(tables)" = 0 ]

finish
