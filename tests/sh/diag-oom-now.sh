#!/bin/bash
# A proxy out of memory right now, which is when an operator runs memdiag:
# its RPC answers, its pool is all but full, its log shows allocation
# failures. memdiag must not place calls into that, nor call it
# unreachable: it waits, before anything is gated, for what the proxy
# holds to expire (INVITEs it could not answer, kept until tm's timers),
# then diagnoses as usual; if memory never comes back within about
# fr_inv_timer, it says so and judges nothing.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/lib/common.sh"
. "$top_srcdir/tests/lib/kam.sh"
command -v jq >/dev/null || skip "jq is not installed"

echo secret >"$T_TMP/pw"
chmod 600 "$T_TMP/pw"
shm() { kam_rpc core.shmmem | awk -v k="$1:" '$1 == k { print $2 }'; }
diag() {
	"$MEMDIAG" --target "$KAM_PID" --gate none --state-dir "$T_TMP/s" \
	    --run-dir "$T_TMP/r" --json "$@"
}

# --- a burst of INVITEs nobody answers fills a 4 MB pool for 20 s ---
kam_start burst "$top_srcdir/tests/lib/proxy.cfg" -m 4 -A STOCK_LOG \
    -A HOLD_INVITES -A FR_TIMER=20000
"$MEMDIAG" call --proxy "127.0.0.1:$KAM_PORT" --user hold \
    --password-file "$T_TMP/pw" --calls 400 --rate 400 --concurrency 400 \
    --timeout 1000 >/dev/null 2>&1 || true
free=$(shm free); total=$(shm total)
echo "    after the burst: $free of $total bytes free"
check "the burst exhausted the pool (under 5 % free)" \
    test $((free * 20)) -lt "$total"
expect_status 1 "out of memory now, then back: pool-too-small" \
    diag --calls 50 --settle 2
check "it waited for memory to come back first" \
    grep -q "is out of shm now .*waiting up to" "$T_TMP/err"
check "and said when it had" grep -q "shm came back after" "$T_TMP/err"
check "its test calls all completed" jq -e \
    '[.pools[0].rounds[].failed] | all(. == 0)' "$T_TMP/out"
kam_stop

# --- filled for good: it waits about fr_inv_timer, then judges nothing ---
kam_start full "$top_srcdir/tests/lib/proxy.cfg" -m 4 -A NEARFULL \
    -A FR_INV_TIMER=4000
big=$(head -c 30000 /dev/zero | tr '\0' x)
small=$(head -c 2000 /dev/zero | tr '\0' y)
i=0
while [ "$(shm free)" -gt 60000 ] && [ $i -lt 400 ]; do
	i=$((i + 1))
	kam_rpc htable.sets fill "b$i" "$big" >/dev/null 2>&1 || break
done
while [ "$(shm free)" -gt 20000 ] && [ $i -lt 2000 ]; do
	i=$((i + 1))
	kam_rpc htable.sets fill "s$i" "$small" >/dev/null 2>&1 || break
done
echo "    filled: $(shm free) bytes of shm free"
t0=$(date +%s)
expect_status 3 "out of memory for good: inconclusive" diag --calls 20
took=$(( $(date +%s) - t0 ))
check "within fr_inv_timer + wt_timer + 10 s and a margin ($took s)" \
    test "$took" -le 40
check "the reason says it is out of memory now and what to do" jq -e \
    '.reason | test("out of shm now and stayed so .*run memdiag again")' \
    "$T_TMP/out"
no_calls() { ! grep -q -- "-> CALLS" "$T_TMP/err"; }
check "it placed no test call" no_calls

finish
