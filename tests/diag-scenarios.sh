#!/bin/bash
# memdiag --target on harder cases (make check-full): a pkg leak in the
# UDP workers (which worker takes a call is the kernel's choice, so the
# workers are judged together), and memory an htable timer holds for 15 s,
# longer than the settle window: whatever the timer's phase, never a leak;
# and a pool too small for a burst that exhausted it.
. "${top_srcdir:-$(dirname "$0")/..}/tests/lib/common.sh"
. "$top_srcdir/tests/lib/kam.sh"
command -v jq >/dev/null || skip "jq is not installed"

S=$T_TMP/state
R=$T_TMP/run
diag() {
	"$MEMDIAG" --target "$KAM_PIDFILE" --gate none --calls 40 --settle 3 \
	    --state-dir "$S" --run-dir "$R" --json "$@"
}

# 1. pkg leak: $var(acc) grows by the Call-ID in the worker that took it
kam_start pkgleak "$top_srcdir/tests/kamailio/proxy.cfg" -m 16 -M 4 \
    -A WITH_PKG_LEAK
expect_status 2 "pkg leak: verdict leak" diag
J=$T_TMP/pkg.json
cp "$T_TMP/out" "$J"
check "the UDP workers leak, together" jq -e '.pools[] | select(.pool == "pkg" and .process == "udp receiver") | .verdict == "leak" and .processes == 2' "$J"
check "shm does not" jq -e '.pools[] | select(.pool == "shm") | .verdict != "leak"' "$J"
check "suspect: pv set_var_value" jq -e '.pools[] | select(.process == "udp receiver") | .suspects[0].func == "set_var_value"' "$J"
kam_stop

# 2. held by a timer, not leaked
kam_start held "$top_srcdir/tests/kamailio/proxy.cfg" -m 16 -M 4 -A WITH_HELD
got=0
diag >"$T_TMP/held.json" 2>"$T_TMP/held.err" || got=$?
check "held by a timer: healthy or inconclusive, not leak (status $got)" \
    sh -c "test $got = 0 || test $got = 3"
jq -r '.reason' "$T_TMP/held.json" || true
kam_stop

# 3. a 4 MB pool that a burst of calls exhausted: memory comes back to its
# floor, the high-water mark says the pool was full; memdiag's own calls,
# paced from free memory, cause no allocation failure
kam_start small "$top_srcdir/tests/kamailio/proxy.cfg" -m 4 -M 4
"$MEMDIAG" call --proxy "127.0.0.1:$KAM_PORT" --calls 300 --rate 300 \
    --concurrency 300 --timeout 10000 >/dev/null 2>&1 || true
before=$(grep -c "could not allocate\|no more shm\|out of mem" "$KAM_LOG" || true)
check "the burst exhausted the pool ($before failures logged)" test "$before" -gt 0
expect_status 1 "undersized pool: verdict pool-too-small" diag --calls 20
J=$T_TMP/small.json
cp "$T_TMP/out" "$J"
check "shm: pool-too-small, with a larger size recommended" jq -e '.verdict == "pool-too-small" and .recommendation.value > 4' "$J"
check "test calls paced below the default" jq -e '.load.rate < 50' "$J"
check "memdiag's calls caused no allocation failure" \
    test "$(grep -c "could not allocate\|no more shm\|out of mem" "$KAM_LOG" || true)" = "$before"
finish
