#!/bin/bash
# memdiag call through a slow network (the kernel has no netem): a UDP
# relay (tests/tools/udp_relay) holds every datagram 200 ms +- 100 ms each way
# and 10 % of them 200 ms more, so many overtake others. Kamailio sends
# both legs through the relay (-A UAS_VIA, force_rport). The call
# engine's counts must stay right (placed = completed + failed + timeout,
# and every call completes) and the calls in flight, as the relay sees
# them, must never exceed --concurrency.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/lib/common.sh"
. "$top_srcdir/tests/lib/kam.sh"
command -v jq >/dev/null || skip "jq is not installed"

RELAY=$top_builddir/tests/tools/udp_relay
CALLS=60
K=8
BACK=$(kam_free_udp_port)
kam_start delay "$top_srcdir/tests/lib/proxy.cfg" \
    -A "UAS_VIA=\"sip:127.0.0.1:$BACK\"" || { fail "kamailio"; finish; }

# relay_start DELAY JITTER REORDER: sets RELAY_PID, RELAY_PORT
relay_start() {
	"$RELAY" "$KAM_PORT" "$BACK" "$1" "$2" "$3" "$T_TMP/relay.stats" \
	    >"$T_TMP/relay.out" 2>"$T_TMP/relay.err" &
	RELAY_PID=$!
	# waited for: on SIGTERM it writes its stats into $T_TMP
	t_on_exit "kill $RELAY_PID 2>/dev/null; wait $RELAY_PID 2>/dev/null"
	for _ in $(seq 1 50); do
		RELAY_PORT=$(sed -n 's/^port //p' "$T_TMP/relay.out")
		[ -n "$RELAY_PORT" ] && return 0
		sleep 0.1
	done
	return 1
}
relay_stop() {
	kill -TERM "$RELAY_PID"
	wait "$RELAY_PID" || true
}
stat_of() { awk -v k="$1" '$1 == k { print $2 }' "$T_TMP/relay.stats"; }

relay_start 200 100 10 || { fail "relay did not start"; finish; }
t0=$(date +%s.%N)
expect_status 0 "$CALLS calls through a 200+-100 ms relay" \
    "$MEMDIAG" call --proxy "127.0.0.1:$RELAY_PORT" --calls "$CALLS" \
    --rate 50 --concurrency "$K" --json
t1=$(date +%s.%N)
relay_stop
J=$T_TMP/delay.json
cp "$T_TMP/out" "$J"
cat "$T_TMP/relay.stats"
jq -c '{placed, completed, failed, timeout, latency_ms}' "$J"
echo "took $(echo "$t0 $t1" | awk '{ printf "%.1f", $2 - $1 }') s"

check "placed = completed + failed + timeout" jq -e \
    '.placed == .completed + ([.failed[]] | add // 0) + .timeout' "$J"
check "all $CALLS placed and completed" jq -e --argjson n "$CALLS" \
    '.placed == $n and .completed == $n and .timeout == 0' "$J"
check "latency shows the delay (p50 >= 400 ms)" jq -e '.latency_ms.p50 >= 400' "$J"
check "the relay saw all $CALLS calls" test "$(stat_of calls)" = "$CALLS"
check "the relay saw every call end" test "$(stat_of open)" = 0
check "datagrams were overtaken ($(stat_of overtaken))" \
    test "$(stat_of overtaken)" -gt 0
max=$(stat_of max_inflight)
check "calls in flight at the relay <= $K (max $max)" test "$max" -le "$K"
check "the bound was reached (max $max >= $((K - 2)))" test "$max" -ge $((K - 2))

# a tighter bound holds as well: with --concurrency 2 the relay sees at
# most 2 calls in flight (against 8 above)
relay_start 200 100 10 || { fail "relay did not start"; finish; }
expect_status 0 "20 calls, --concurrency 2" \
    "$MEMDIAG" call --proxy "127.0.0.1:$RELAY_PORT" --calls 20 --rate 50 \
    --concurrency 2 --json
relay_stop
check "calls in flight at the relay <= 2 (max $(stat_of max_inflight))" \
    test "$(stat_of max_inflight)" -le 2
check "20 of 20 completed" jq -e '.completed == 20' "$T_TMP/out"
finish
