#!/bin/bash
# The nft gate and TCP, against a real Kamailio listening on UDP and TCP in
# a network namespace this test creates: while gated, a user's new TCP
# connection is refused; an established one is left alone by default (its
# requests still get answers) and reset with --cut-tcp; after the gate,
# new connections are accepted again.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/lib/common.sh"
. "$top_srcdir/tests/lib/kam.sh"
. "$top_srcdir/tests/lib/netns.sh"

ET=2
PROBE=$top_builddir/tests/tools/gate_probe
RUN=$T_TMP/run
mkdir -p "$RUN"

ns_new tcp
kam_start_ns tcp "$top_srcdir/tests/lib/proxy.cfg" -A WITH_TCP ||
    { fail "kamailio in $NS"; finish; }

udp_user_ok() { ns_run "$PROBE" ask 127.0.0.3 "127.0.0.1:$KAM_PORT" 200; }
# tcp_user ROUNDS INTERVAL_MS: a user's connection, one OPTIONS per round
tcp_user() {
	ns_run "$PROBE" tcp 127.0.0.3 "127.0.0.1:$KAM_PORT" "$1" "$2" 500
}
gate_bg() {
	ip netns exec "$NS" "$MEMDIAG" gate --target "$KAM_PID" --run-dir "$RUN" \
	    --element-timeout $ET "$@" >"$T_TMP/gate.out" 2>"$T_TMP/gate.err" &
	GATE_PID=$!
	t_on_exit "kill -KILL $GATE_PID 2>/dev/null"
}
gate_wait() {
	st=0
	wait "$GATE_PID" || st=$?
}
wait_blocked() {
	local i
	for i in $(seq 1 25); do
		udp_user_ok || return 0
		sleep 0.2
	done
	return 1
}
# est_bg: an established connection asking every 0.3 s for about 4.5 s
est_bg() {
	ip netns exec "$NS" "$PROBE" tcp 127.0.0.3 "127.0.0.1:$KAM_PORT" 15 300 \
	    500 >"$T_TMP/est.out" 2>&1 &
	EST_PID=$!
	t_on_exit "kill $EST_PID 2>/dev/null"
	sleep 0.5
}
est_wait() {
	est=0
	wait "$EST_PID" || est=$?
}

check "a user's TCP request is answered before the gate" tcp_user 1 0

# --- default: new connections refused, established ones left alone ---
est_bg
gate_bg --hold 3
check "the gate closes" wait_blocked
expect_status 3 "a user's new TCP connection is refused while gated" \
    tcp_user 1 0
est_wait
check "the established connection kept its answers" [ "$est" = 0 ]
[ "$est" = 0 ] || sed 's/^/    /' "$T_TMP/est.out"
gate_wait
check "memdiag gate exits 0 (status $st)" [ "$st" = 0 ]
check "it gated TCP too" grep -q "tcp:127.0.0.1:$KAM_PORT" "$T_TMP/gate.err"
check "and said established connections are left alone" \
    grep -q "established ones left alone" "$T_TMP/gate.err"
check "new TCP connections are accepted after the gate" tcp_user 1 0

# --- --cut-tcp: established connections are reset too ---
est_bg
gate_bg --hold 3 --cut-tcp
check "the gate closes (--cut-tcp)" wait_blocked
est_wait
check "the established connection was cut" \
    sh -c "[ $est = 1 ] && grep -q '^closed' '$T_TMP/est.out'"
gate_wait
check "memdiag gate --cut-tcp exits 0 (status $st)" [ "$st" = 0 ]
check "it said established connections are cut" \
    grep -q "established ones cut" "$T_TMP/gate.err"
check "new TCP connections are accepted after --cut-tcp" tcp_user 1 0

finish
