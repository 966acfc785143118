#!/bin/bash
# memdiag --target against the real Kamailio on loopback, without a gate
# (--gate none keeps it fast and free of nftables): a healthy proxy is
# healthy (status 0); a proxy that keeps an htable item per INVITE leaks
# (status 2), the leaking site is the top suspect with its bytes per call,
# memdiag's own calls made the proxy log no allocation failure, and the
# settings memdiag lowered are back afterwards, also after a SIGINT.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/lib/common.sh"
. "$top_srcdir/tests/lib/kam.sh"
command -v jq >/dev/null || skip "jq is not installed"

S=$T_TMP/state
R=$T_TMP/run
CALLS=${DIAG_CALLS:-40}
diag() {
	# --settle 3: tm.stats must also show no transaction left
	"$MEMDIAG" --target "$KAM_PIDFILE" --gate none --calls "$CALLS" --settle 3 \
	    --state-dir "$S" --run-dir "$R" --json "$@"
}
no_alloc_failure() {
	! grep -E "could not allocate|no more shm|out of mem|Free fragment not found" "$KAM_LOG"
}
secs() { echo $(( $(date +%s) - $1 )); }

# 1. healthy: every floor comes back to the byte
kam_start healthy "$top_srcdir/tests/lib/proxy.cfg" -m 16 -M 4 -A STOCK_LOG
t0=$(date +%s)
expect_status 0 "healthy proxy: verdict healthy" diag
echo "time to verdict: $(secs "$t0") s"
J=$T_TMP/healthy.json
cp "$T_TMP/out" "$J"
check "JSON says healthy" jq -e '.verdict == "healthy"' "$J"
check "every pool healthy" jq -e '[.pools[].verdict] | all(. == "healthy")' "$J"
check "three rounds, N N 2N" jq -e --argjson n "$CALLS" '[.pools[0].rounds[].calls] == [$n, $n, 2 * $n]' "$J"
check "every call completed" jq -e '[.pools[0].rounds[] | .failed] | all(. == 0)' "$J"
check "shm floors the same after every round" jq -e '[.pools[0].rounds[].settled_used] | unique | length == 1' "$J"
check "pkg pools per role" jq -e '[.pools[] | select(.pool == "pkg") | .process] | index("udp receiver") != null' "$J"
check "target, gate, load keys" jq -e '.target.pid > 0 and .gate.backend == "none" and .load.rate > 0 and .quiet_seconds > 0 and .recommendation == null' "$J"
check "settings restored (JSON)" jq -e '.settings_restored' "$J"
check "memlog back to 5" test "$(kam_rpc cfg.get core memlog)" = 5
check "mem_summary back to 12" test "$(kam_rpc cfg.get core mem_summary)" = 12
check "no state file left" sh -c "! ls '$S'/settings-* 2>/dev/null | grep -q ."
check "no allocation failure in the proxy's log" no_alloc_failure
kam_stop

# 2. an shm leak of one htable item per call
kam_start leak "$top_srcdir/tests/lib/proxy.cfg" -m 16 -M 4 -A STOCK_LOG \
    -A WITH_LEAK
t0=$(date +%s)
expect_status 2 "leaking proxy: verdict leak" diag
echo "time to verdict: $(secs "$t0") s"
J=$T_TMP/leak.json
cp "$T_TMP/out" "$J"
check "JSON says leak" jq -e '.verdict == "leak"' "$J"
check "the shm pool leaks" jq -e '.pools[] | select(.pool == "shm") | .verdict == "leak"' "$J"
check "top suspect: htable ht_cell_new" jq -e '.pools[] | select(.pool == "shm") | .suspects[0] | .module == "htable" and .func == "ht_cell_new"' "$J"
# the truth: what the leaking site grew by per call, over the rounds after the first
site=$(kam_rpc mod.mem_stats htable shm | awk -F': ' '/ht_cell_new/ { print $2 + 0 }')
total=$(jq '[.pools[] | select(.pool == "shm") | .rounds[].calls] | add' "$J")
echo "ht_cell_new holds $site bytes after $total calls"
check "bytes_per_call within 10% of the site's growth per call" jq -e \
    --argjson site "$site" --argjson total "$total" \
    '.pools[] | select(.pool == "shm") | (.bytes_per_call - $site / $total) | fabs <= 0.1 * ($site / $total)' "$J"
check "one fragment per call at the site" jq -e '.pools[] | select(.pool == "shm") | .suspects[0].count_per_call == 1' "$J"
check "settings restored (JSON)" jq -e '.settings_restored' "$J"
check "memlog back to 5" test "$(kam_rpc cfg.get core memlog)" = 5
check "no allocation failure in the proxy's log" no_alloc_failure

# 3. SIGINT in the middle: settings restored, inconclusive (3)
# not through diag(): $! must be memdiag itself
"$MEMDIAG" --target "$KAM_PIDFILE" --gate none --calls 400 --settle 3 \
    --state-dir "$S" --run-dir "$R" --json >"$T_TMP/int.json" 2>"$T_TMP/int.err" &
md=$!
t_on_exit "kill -9 $md 2>/dev/null"
for i in $(seq 1 300); do
	grep -q "CALLS" "$T_TMP/int.err" 2>/dev/null && break
	sleep 0.1
done
check "memlog lowered while it runs" test "$(kam_rpc cfg.get core memlog)" = 2
kill -INT "$md"
got=0; wait "$md" || got=$?
check "SIGINT: status 3 (got $got)" test "$got" = 3
check "SIGINT: inconclusive, settings restored" jq -e '.verdict == "inconclusive" and .settings_restored' "$T_TMP/int.json"
check "SIGINT: memlog back to 5" test "$(kam_rpc cfg.get core memlog)" = 5
finish
