#!/bin/bash
# A floor is never read while something the dumps set off still holds
# memory. Here every OPTIONS (memdiag's pings that wake the children to
# dump their pkg, every round under tlsf, whose pkg.stats is frozen)
# stores ~20 KB in htable for 3 s, so shm right after the dumps is up by
# tens of KB. The floor is read once shm has settled again: the leak's
# floors grow in proportion to every round's calls, the rounds in the
# report are those floors, and each says what the dumps left for a while.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/lib/common.sh"
. "$top_srcdir/tests/lib/kam.sh"
command -v jq >/dev/null || skip "jq is not installed"

kam_start floor "$top_srcdir/tests/lib/proxy.cfg" -x tlsf -m 32 \
    -A WITH_LEAK -A WAKE_HOLDS
expect_status 2 "a leak under tlsf, with pings that hold memory: leak" \
    "$MEMDIAG" --target "$KAM_PID" --gate none --calls 100 \
    --state-dir "$T_TMP/s" --run-dir "$T_TMP/r" --json
J=$T_TMP/out
check "every round saw the dumps' transient (> 16 KB)" jq -e '
    [.pools[0].rounds[].dump_transient] | all(. > 16384)' "$J"
check "and read its floor after it, not before the dumps" jq -e '
    [.pools[0].rounds[].floor_before_dump] | all(. == false)' "$J"
# bytes per call of each round's floor growth, within 5 % of each other
# (a transient in a floor adds tens of KB to one round, not another)
check "each round's growth per call agrees within 5 %" jq -e '
    .pools[0] as $p |
    [range(1; $p.rounds | length) as $i |
        ($p.rounds[$i].settled_used - $p.rounds[$i - 1].settled_used) /
        $p.rounds[$i].calls] as $g |
    ($g | min) > 0 and (($g | max) - ($g | min)) / ($g | min) < 0.05' "$J"
check "the report says what the dumps left" grep -q \
    "settled again at .* after the dumps" "$T_TMP/err"

finish
