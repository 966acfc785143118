#!/bin/bash
# memdiag --target with the nft gate, against a leaking Kamailio in a
# network namespace this test creates (and deletes): a user's requests
# get no answer while the diagnosis runs, memdiag's own calls complete
# through the gate, the verdict is leak (status 2), and the gate is open
# and gone afterwards. (make check-full: it takes about a minute.)
. "${top_srcdir:-$(dirname "$0")/..}/tests/lib/common.sh"
. "$top_srcdir/tests/lib/kam.sh"
. "$top_srcdir/tests/lib/netns.sh"
command -v jq >/dev/null || skip "jq is not installed"

PROBE=$top_builddir/tests/gate_probe
S=$T_TMP/state
R=$T_TMP/run
ns_new diag
kam_start_ns diag "$top_srcdir/tests/kamailio/proxy.cfg" -m 16 -M 4 \
    -A STOCK_LOG -A WITH_LEAK || { fail "kamailio in $NS"; finish; }
user_ok() { ns_run "$PROBE" ask 127.0.0.3 "127.0.0.1:$KAM_PORT" 300; }
user_blocked() { ! user_ok; }
tables() { ns_run nft list tables | grep -c "memdiag_gate_" || true; }

check "a user gets answers before" user_ok
ip netns exec "$NS" "$MEMDIAG" --target "$KAM_PID" --gate nft --calls 40 \
    --settle 3 --state-dir "$S" --run-dir "$R" --json \
    >"$T_TMP/diag.json" 2>"$T_TMP/diag.err" &
md=$!
t_on_exit "kill -KILL $md 2>/dev/null"
for i in $(seq 1 300); do
	grep -q "PREFLIGHT -> QUIET" "$T_TMP/diag.err" 2>/dev/null && break
	sleep 0.1
done
check "the gate is closed while it runs" test "$(tables)" = 1
check "a user gets no answer meanwhile" user_blocked
got=0; wait "$md" || got=$?
check "verdict leak, status 2 (got $got)" test "$got" = 2
J=$T_TMP/diag.json
check "JSON: leak through the nft gate" jq -e '.verdict == "leak" and .gate.backend == "nft" and .gate.closed_s > 0' "$J"
check "memdiag's calls completed through the gate" jq -e '[.pools[0].rounds[].failed] | all(. == 0)' "$J"
check "top suspect ht_cell_new" jq -e '.pools[0].suspects[0].func == "ht_cell_new"' "$J"
check "settings restored" jq -e '.settings_restored' "$J"
check "no gate left" test "$(tables)" = 0
check "a user gets answers after" user_ok
finish
