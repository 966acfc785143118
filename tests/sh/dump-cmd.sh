#!/bin/bash
# memdiag dump against a real Kamailio with Debian's stock log settings
# (memlog=5 > debug=2, so SIGUSR1 alone prints nothing) and 4 UDP workers:
# every process's dump arrives through a safe path, the settings memdiag
# lowered are back afterwards, a kill -9 in the middle is repaired by the
# next start, and a second instance on the same proxy exits 75.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/lib/common.sh"
. "$top_srcdir/tests/lib/kam.sh"
command -v jq >/dev/null || skip "jq is not installed"

kam_start dump "$top_srcdir/tests/lib/proxy.cfg" -m 16 -M 4 \
    -A STOCK_LOG -A CHILDREN=4
S=$T_TMP/state
R=$T_TMP/run
memlog() { kam_rpc cfg.get core memlog; }
check "stock settings: memlog 5" test "$(memlog)" = 5
nproc=$(kam_rpc core.psx | grep -c '^	PID:')
shm_before=$(kam_rpc core.shmmem | awk '$1 == "used:" { print $2 }')

expect_status 0 "dump by pid file" "$MEMDIAG" dump --json --target "$KAM_PIDFILE" \
    --state-dir "$S" --run-dir "$R"
J=$T_TMP/dump.json
cp "$T_TMP/out" "$J"
check "every process was asked" jq -e --argjson n "$nproc" '(.processes | length) == $n' "$J"
check "every process answered through a safe path" jq -e '[.processes[] | .path] | all(. != "none")' "$J"
check "the main process by SIGUSR1" jq -e '.processes[0].path == "signal" and (.processes[0].role | test("main"))' "$J"
check "idle workers through mem_dump_pkg and a wake-up" jq -e '[.processes[] | select(.role | test("udp receiver")) | .path] | all(. == "cfg+wake")' "$J"
check "one complete pkg dump per process" jq -e --argjson n "$nproc" '[.dumps[] | select(.pool == "pkg" and .complete)] | length == $n' "$J"
check "one complete shm dump" jq -e '[.dumps[] | select(.pool == "shm" and .complete)] | length == 1' "$J"
check "shm dump equals core.shmmem" jq -e --argjson u "$shm_before" '[.dumps[] | select(.pool == "shm")][0].used == $u' "$J"
check "sites add up to used" jq -e '[.dumps[] | select(.used != null) | ([.sites[].bytes] | add) == .used] | all' "$J"
check "settings restored (JSON)" jq -e '.settings_restored' "$J"
check "memlog back to 5" test "$(memlog)" = 5
check "mem_summary back to 12" test "$(kam_rpc cfg.get core mem_summary)" = 12
check "mem_dump_pkg back to 0" test "$(kam_rpc cfg.get core mem_dump_pkg)" = 0
check "no state file left" sh -c "! ls '$S'/settings-* 2>/dev/null | grep -q ."

# kill -9 while memlog is lowered: the next start puts it back
"$MEMDIAG" dump --target "$KAM_PIDFILE" --state-dir "$S" --run-dir "$R" \
    >/dev/null 2>&1 &
md=$!
t_on_exit "kill -9 $md 2>/dev/null"
for i in $(seq 1 200); do [ "$(memlog)" = 2 ] && break; sleep 0.02; done
kill -9 "$md"; wait "$md" 2>/dev/null || true
check "memlog was lowered when memdiag died" test "$(memlog)" = 2
check "its state file is left behind" sh -c "ls '$S'/settings-* >/dev/null 2>&1"
expect_status 0 "cleanup restores it" "$MEMDIAG" cleanup --state-dir "$S"
check "memlog back to 5 after cleanup" test "$(memlog)" = 5
check "state file gone" sh -c "! ls '$S'/settings-* 2>/dev/null | grep -q ."

# again, and this time the next dump's start-up repairs it
"$MEMDIAG" dump --target "$KAM_PIDFILE" --state-dir "$S" --run-dir "$R" \
    >/dev/null 2>&1 &
md=$!
for i in $(seq 1 200); do [ "$(memlog)" = 2 ] && break; sleep 0.02; done
kill -9 "$md"; wait "$md" 2>/dev/null || true
expect_status 0 "a new dump after a killed one" "$MEMDIAG" dump --target "$KAM_PID" \
    --state-dir "$S" --run-dir "$R"
check "memlog 5 again" test "$(memlog)" = 5

# one memdiag acts on a proxy at a time
"$MEMDIAG" dump --target "$KAM_PIDFILE" --state-dir "$S" --run-dir "$R" \
    >/dev/null 2>&1 &
md=$!
for i in $(seq 1 200); do ls "$S"/settings-* >/dev/null 2>&1 && break; sleep 0.02; done
expect_status 75 "a second instance on the same proxy" "$MEMDIAG" dump \
    --target "$KAM_PIDFILE" --state-dir "$S" --run-dir "$R"
check "it names the holder" grep -q "locked by another memdiag (pid $md" "$T_TMP/err"
wait "$md"
check "the first one finished and restored memlog" test "$(memlog)" = 5

expect_status 69 "an RPC socket nobody listens on" "$MEMDIAG" dump --target "$KAM_PID" \
    --rpc "unix:$T_TMP/nobody.sock" --state-dir "$S" --run-dir "$R"
check "memlog untouched" test "$(memlog)" = 5
finish
