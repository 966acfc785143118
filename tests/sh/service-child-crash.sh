#!/bin/bash
# A diagnosis that dies inside the service (SIGKILL while its test calls
# run, memlog lowered): the service does what `memdiag cleanup` does
# at once, so the proxy's memlog is back and no state file is left, and
# it goes on watching.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/lib/common.sh"
. "$top_srcdir/tests/lib/kam.sh"
command -v pgrep >/dev/null || skip "pgrep is not installed"

kam_start crash "$top_srcdir/tests/lib/proxy.cfg" -m 4 -M 4 -A STOCK_LOG
MEMLOG=$(kam_rpc cfg.get core memlog)
S=$T_TMP/state
cat >"$T_TMP/memdiag.conf" <<EOT
state_dir = "$S";
run_dir = "$T_TMP/run";
targets = ( { name = "edge"; target = "$KAM_PIDFILE";
    allow_gate = true; gate = "none"; calls = 200; settle = 2.0;
    quiet_max = 30.0; trigger = { memory_errors = true; };
    sample_interval = 1.0; min_interval = 3600; } );
EOT
"$MEMDIAG" -c "$T_TMP/memdiag.conf" -v >"$T_TMP/svc.out" 2>"$T_TMP/svc.err" &
SVC=$!
t_on_exit "kill -TERM $SVC 2>/dev/null; wait $SVC 2>/dev/null"
check "the service watches the proxy" wait_for 10 grep -q "edge: watching" \
    "$T_TMP/svc.err"
# a burst exhausts the 4 MB pool: memory errors, a diagnosis
"$MEMDIAG" call --proxy "127.0.0.1:$KAM_PORT" --calls 300 --rate 300 \
    --concurrency 300 --timeout 10000 >/dev/null 2>&1 || true
check "a diagnosis runs its test calls" wait_for 90 grep -q \
    "round 1: [0-9]* test calls" "$T_TMP/svc.err"
check "memlog was lowered for its dumps" test \
    "$(kam_rpc cfg.get core memlog)" != "$MEMLOG"
CHILD=$(pgrep -P "$SVC" | head -1)
check "the diagnosis is a child of the service (pid ${CHILD:-none})" \
    test -n "$CHILD"
kill -KILL "$CHILD" 2>/dev/null || true
check "the service says it died and cleans up" wait_for 10 grep -q \
    "edge: after the dead diagnosis: opened 0 gates, restored the settings of 1 run" \
    "$T_TMP/svc.err"
check "memlog is back ($MEMLOG)" test "$(kam_rpc cfg.get core memlog)" = "$MEMLOG"
check "no state file left" sh -c "! ls '$S'/settings-* >/dev/null 2>&1"
check "the service goes on" kill -0 "$SVC"
[ "$T_FAILS" -gt 0 ] && grep -v "call md\|late retrans" "$T_TMP/svc.err" |
    tail -25 | sed 's/^/    service: /'
finish
