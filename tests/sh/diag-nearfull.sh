#!/bin/bash
# memdiag --target on a proxy whose shm pool is nearly exhausted before
# the run: an 8 MB pool, an htable filled through RPC (htable.sets) until
# about 90 % of it is in use. The diagnosis paces its own calls from the
# free shm it measures (choose_load in diag.c): its load (--json .load)
# must stay well under the defaults and within half the free shm, every
# one of its calls completes, and the proxy logs no allocation failure.
# Then the control: the default load (50 calls/s, 20 in flight) on the
# same proxy with memdiag call does exhaust it, so the log check can see
# a failure when there is one. (make check-full: about half a minute.)
. "${top_srcdir:-$(dirname "$0")/../..}/tests/lib/common.sh"
. "$top_srcdir/tests/lib/kam.sh"
command -v jq >/dev/null || skip "jq is not installed"

S=$T_TMP/state
R=$T_TMP/run
FAILS="could not allocate|no more shm|out of memory|Free fragment not found"
kam_start nearfull "$top_srcdir/tests/lib/proxy.cfg" -m 8 -M 4 \
    -A STOCK_LOG -A NEARFULL || { fail "kamailio"; finish; }
shm() { kam_rpc core.shmmem | awk -v k="$1" '$1 == k":" { print $2 }'; }
failures() { grep -c -E "$FAILS" "$KAM_LOG" || true; }

# fill: 60000-byte values, then smaller ones, up to 90 % real_used
total=$(shm total)
big=$(head -c 60000 /dev/zero | tr '\0' x)
small=$(head -c 4000 /dev/zero | tr '\0' x)
i=0
while [ $(( $(shm real_used) + 70000 )) -lt $(( total * 90 / 100 )) ]; do
	i=$((i + 1))
	kam_rpc htable.sets fill "b$i" "$big" >/dev/null
done
while [ $(( $(shm real_used) + 5000 )) -lt $(( total * 90 / 100 )) ]; do
	i=$((i + 1))
	kam_rpc htable.sets fill "s$i" "$small" >/dev/null
done
free0=$(shm free)
echo "filled with $i items: real_used $(shm real_used) of $total, free $free0"
check "the pool is about 90 % used" test $(( $(shm real_used) * 100 / total )) -ge 88
check "no allocation failure while filling" test "$(failures)" = 0

J=$T_TMP/diag.json
expect_status 0 "diagnosis of the nearly full proxy: healthy" \
    "$MEMDIAG" --target "$KAM_PIDFILE" --gate none --calls 20 --rounds 2 \
    --settle 2 --quiet-max 30 --state-dir "$S" --run-dir "$R" --json
cp "$T_TMP/out" "$J"
jq -c '.load' "$J"
echo "after the run: free $(shm free), max_used $(shm max_used) of $total"
check "load: rate and calls in flight under the defaults (50, 20)" jq -e \
    '.load.rate < 50 and .load.concurrency < 20' "$J"
check "load: rate x 29 KB x 5.5 s within half the free shm ($free0)" jq -e \
    --argjson free "$free0" '.load.rate * 29000 * 5.5 <= 0.5 * $free * 1.05' "$J"
check "load: calls in flight x 29 KB within half the free shm" jq -e \
    --argjson free "$free0" '.load.concurrency * 29000 <= 0.5 * $free * 1.05' "$J"
# the share pace() defends (it halves the load below 35 % of the free shm)
check "peak shm in every round within 65 % of the free shm above the floor" jq -e \
    --argjson free "$free0" '.pools[] | select(.pool == "shm") | .baseline_used as $b | [.rounds[] | .peak_used - $b <= 0.65 * $free] | all' "$J"
jq -c --argjson free "$free0" '.pools[] | select(.pool == "shm") | .baseline_used as $b | {baseline_used, peaks: [.rounds[].peak_used], share_of_free: [.rounds[] | (.peak_used - $b) / $free]}' "$J"
check "every test call completed" jq -e \
    '[.pools[0].rounds[] | .failed == 0 and .completed == .calls] | all' "$J"
check "no allocation failure in the proxy's log ($(failures))" test "$(failures)" = 0
check "memlog back to 5" test "$(kam_rpc cfg.get core memlog)" = 5

# control: the load memdiag would use on a roomy pool exhausts this one
got=0
"$MEMDIAG" call --proxy "127.0.0.1:$KAM_PORT" --calls 400 --rate 50 \
    --concurrency 20 --json >"$T_TMP/control.json" 2>/dev/null || got=$?
echo "control (50 calls/s, 20 in flight): status $got, $(failures) allocation failures logged"
jq -c '{placed, completed, failed, timeout}' "$T_TMP/control.json" || true
check "control: the unpaced load makes the proxy fail allocations" \
    test "$(failures)" -gt 0
finish
