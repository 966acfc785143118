#!/bin/bash
# memdiag --target with the nft gate, against a leaking Kamailio in a
# network namespace this test creates (and deletes): a user's requests
# get no answer while the diagnosis runs, memdiag's own calls complete
# through the gate, the verdict is leak (status 2), and the gate is open
# and gone afterwards, while a peer in the proxy's dispatcher list is
# answered throughout (engine/hold.c, as for memdiag gate); a proxy that
# never gets quiet ends inconclusive
# when the gate's budget is spent, with the gate open. (make check-full:
# it takes about a minute and a half.)
. "${top_srcdir:-$(dirname "$0")/../..}/tests/lib/common.sh"
. "$top_srcdir/tests/lib/kam.sh"
. "$top_srcdir/tests/lib/netns.sh"
command -v jq >/dev/null || skip "jq is not installed"

PROBE=$top_builddir/tests/tools/gate_probe
S=$T_TMP/state
R=$T_TMP/run
ns_new diag
ns_peer_start
kam_start_ns diag "$top_srcdir/tests/lib/proxy.cfg" -m 16 -M 4 \
    -A STOCK_LOG -A WITH_LEAK -A WITH_DISPATCHER -A DS_PING=30 \
    -A "DS_LIST=\"$T_TMP/ds.list\"" || { fail "kamailio in $NS"; finish; }
user_ok() { ns_run "$PROBE" ask 127.0.0.3 "127.0.0.1:$KAM_PORT" 300; }
peer_ok() { ns_run "$PROBE" ask 127.0.0.2 "127.0.0.1:$KAM_PORT" 300; }
user_blocked() { ! user_ok; }
tables() { ns_run nft list tables | grep -c "memdiag_gate_" || true; }

check "a user gets answers before" user_ok
ip netns exec "$NS" "$MEMDIAG" --target "$KAM_PID" --gate nft --calls 40 \
    --peer 127.0.0.5 \
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
check "the dispatcher's peer gets answers meanwhile" peer_ok
check "the gate names the peers it lets through (dispatcher, --peer)" \
    grep -q "gate nft: .*peers.*127.0.0.5.*127.0.0.2" "$T_TMP/diag.err"
got=0; wait "$md" || got=$?
J=$T_TMP/diag.json
jq -c '{verdict, reason, pools: [.pools[] | {pool, process, verdict,
    reason}]}' "$J" | cut -c1-900 || tail -5 "$T_TMP/diag.err"
check "verdict leak, status 2 (got $got)" test "$got" = 2
check "JSON: leak through the nft gate" jq -e '.verdict == "leak" and .gate.backend == "nft" and .gate.closed_s > 0' "$J"
check "memdiag's calls completed through the gate" jq -e '[.pools[0].rounds[].failed] | all(. == 0)' "$J"
check "top suspect ht_cell_new" jq -e '.pools[0].suspects[0].func == "ht_cell_new"' "$J"
check "settings restored" jq -e '.settings_restored' "$J"
check "no gate left" test "$(tables)" = 0
check "a user gets answers after" user_ok
kam_stop

# A proxy that never gets quiet (a timer stores and expires htable items
# all the time): the gate's budget runs out, the gate opens, the verdict
# is inconclusive and says why.
kam_start_ns noisy "$top_srcdir/tests/lib/proxy.cfg" -m 16 -M 4 \
    -A STOCK_LOG -A NOISY || { fail "noisy kamailio in $NS"; finish; }
t0=$(date +%s)
got=0
ip netns exec "$NS" "$MEMDIAG" --target "$KAM_PID" --gate nft --calls 20 \
    --settle 3 --quiet-max 60 --gate-budget 10 --state-dir "$S" \
    --run-dir "$R" --json >"$T_TMP/noisy.json" 2>"$T_TMP/noisy.err" || got=$?
secs=$(( $(date +%s) - t0 ))
check "never quiet: inconclusive, status 3 (got $got, $secs s)" test "$got" = 3
J=$T_TMP/noisy.json
jq -c '{verdict, reason, quiet_seconds, pools: [.pools[] | {pool, process, verdict, reason}]}' "$J" || tail -5 "$T_TMP/noisy.err"
check "it says the budget ran out before the test calls" jq -e \
    '.verdict == "inconclusive" and (.reason | test("budget"))' "$J"
check "the gate was closed no longer than its budget (+2 s)" jq -e \
    '.gate.closed_s > 0 and .gate.closed_s <= 12' "$J"
check "no gate left after the budget" test "$(tables)" = 0
check "a user gets answers after the budget" user_ok
check "settings restored" jq -e '.settings_restored' "$J"
finish
