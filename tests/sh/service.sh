#!/bin/bash
# The service (memdiag -c FILE) in the foreground against two real
# Kamailios: sd_notify messages on a NOTIFY_SOCKET the test binds (READY,
# STATUS with the phase, STOPPING); a burst that makes a proxy log
# allocation failures triggers a diagnosis whose report appears in the
# state directory, passive without allow_gate and with test calls with
# it; SIGHUP with a broken config keeps the old one and says why; SIGTERM
# during a diagnosis ends it with the proxy's memlog restored; metrics on
# the loopback endpoint and in the textfile.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/lib/common.sh"
. "$top_srcdir/tests/lib/kam.sh"
command -v jq >/dev/null || skip "jq is not installed"
command -v curl >/dev/null || skip "curl is not installed"
NOTIFY_LISTEN=$top_builddir/tests/tools/notify_listen
[ -x "$NOTIFY_LISTEN" ] || skip "tests/tools/notify_listen is not built"

burst() {
	"$MEMDIAG" call --proxy "127.0.0.1:$1" --calls 300 --rate 300 \
	    --concurrency 300 --timeout 10000 >/dev/null 2>&1 || true
}
failures() { grep -c "could not allocate\|no more shm\|out of mem" "$1" || true; }

# two proxies with pools small enough for a burst to exhaust
kam_start small "$top_srcdir/tests/lib/proxy.cfg" -m 4 -M 4 -A STOCK_LOG
A_PID=$KAM_PID A_PORT=$KAM_PORT A_PIDFILE=$KAM_PIDFILE A_LOG=$KAM_LOG A_CTL=$KAM_CTL
t_on_exit "KAM_PID=$A_PID; kam_stop"
kam_start full "$top_srcdir/tests/lib/proxy.cfg" -m 4 -M 4 -A STOCK_LOG
B_PORT=$KAM_PORT B_PIDFILE=$KAM_PIDFILE B_LOG=$KAM_LOG
B_MEMLOG=$(kam_rpc cfg.get core memlog)

S=$T_TMP/state
M=$(kam_free_udp_port)
CONF=$T_TMP/memdiag.conf
cat >"$CONF" <<EOF
state_dir = "$S";
run_dir = "$T_TMP/run";
metrics_file = "$T_TMP/memdiag.prom";
metrics_listen = "127.0.0.1:$M";
targets = (
  { name = "small"; target = "$A_PIDFILE"; observe = 0;
    trigger = { memory_errors = true; };
    sample_interval = 1.0; min_interval = 3600; settle = 2.0; },
  { name = "full"; target = "$B_PIDFILE";
    allow_gate = true; gate = "none"; calls = 20; settle = 2.0;
    quiet_max = 30.0;
    trigger = { memory_errors = true; };
    sample_interval = 1.0; min_interval = 3600; }
);
EOF
cp "$CONF" "$T_TMP/good.conf"
expect_status 0 "memdiag -n: the configuration is good" "$MEMDIAG" -n -c "$CONF"

N=$T_TMP/notify.sock
"$NOTIFY_LISTEN" "$N" >"$T_TMP/notify" 2>&1 &
NL_PID=$!
t_on_exit "kill $NL_PID 2>/dev/null"
wait_for 5 test -S "$N"

NOTIFY_SOCKET=$N "$MEMDIAG" -c "$CONF" -v >"$T_TMP/svc.out" 2>"$T_TMP/svc.err" &
SVC=$!
t_on_exit "kill -TERM $SVC 2>/dev/null; wait $SVC 2>/dev/null"

check "READY=1 on the notify socket" wait_for 10 grep -q "READY=1" "$T_TMP/notify"
check "STATUS: both targets watched" wait_for 10 grep -q \
    "STATUS=small: watching; full: watching" "$T_TMP/notify"
check "metrics on the loopback endpoint" wait_for 10 sh -c \
    "curl -sf http://127.0.0.1:$M/metrics | grep -q 'target=\"small\"'"
check "nothing else answers there" sh -c \
    "! curl -sf http://127.0.0.1:$M/other >/dev/null"

# 0. a line from another process in the proxy's log is not the proxy's
echo "0(4194000) ERROR: <core> [core/mem/q_malloc.c:423]: qm_malloc(): qm_malloc(0x7f, 4096) called from x: y(1) - not enough free shm memory" >>"$A_LOG"
sleep 3
check "a memory error from a PID not the proxy's starts nothing" sh -c \
    "! grep -q 'STATUS=small: diagnosing' '$T_TMP/notify'"

# 1. allocation failures on the passive target: a passive diagnosis
burst "$A_PORT"
check "the burst made the proxy log allocation failures" test "$(failures "$A_LOG")" -gt 0
check "STATUS: small is being diagnosed" wait_for 20 grep -q \
    "STATUS=small: diagnosing" "$T_TMP/notify"
check "a report for small appears in the state directory" wait_for 90 \
    sh -c "ls '$S'/history/small/*.json >/dev/null 2>&1"
R=$(ls "$S"/history/small/*.json | head -1)
check "it was passive, triggered by the memory errors" jq -e \
    '.passive == true and (.trigger | test("memory error"))' "$R"
check "its chart is beside it" sh -c "ls '$S'/history/small/*.svg >/dev/null"
check "the metrics file names the verdict" wait_for 20 grep -q \
    'memdiag_verdict{target="small"' "$T_TMP/memdiag.prom"
check "STATUS: small back to watching" wait_for 30 grep -q \
    "STATUS=small: watching" "$T_TMP/notify"

# 2. SIGHUP with a broken config: the old one stays
echo 'targets = ( { name = "x"; target = 12; alow_gate = true; } );' >"$CONF"
kill -HUP "$SVC"
check "a broken config on SIGHUP is logged with FILE:LINE" wait_for 10 grep -q \
    "reload: $CONF:[0-9]*: .*keeping the configuration in use" "$T_TMP/svc.err"
check "the service is still running" kill -0 "$SVC"
cp "$T_TMP/good.conf" "$CONF"
kill -HUP "$SVC"
check "a good config on SIGHUP is taken" wait_for 10 grep -q \
    "reloaded $CONF: 2 targets" "$T_TMP/svc.err"
check "min_interval holds across reloads: small not diagnosed again" \
    test "$(ls "$S"/history/small/*.json | wc -l)" = 1

# 3. allocation failures on the target that allows test calls; SIGTERM
# while its diagnosis runs
burst "$B_PORT"
check "the burst made the second proxy log allocation failures" test "$(failures "$B_LOG")" -gt 0
check "STATUS: full reaches its test calls or quiet period" wait_for 60 grep -Eq \
    "STATUS=.*full: diagnosing, (QUIET|CALLS)" "$T_TMP/notify"
kill -TERM "$SVC"
t0=$(date +%s%N)
got=0
wait "$SVC" || got=$?
ms=$(( ($(date +%s%N) - t0) / 1000000 ))
check "the service exited 0 after SIGTERM ($ms ms, status $got)" test "$got" = 0
check "it stopped within 5 s" test "$ms" -lt 5000
check "STOPPING=1 on the notify socket" grep -q "STOPPING=1" "$T_TMP/notify"
check "the diagnosis it ran restored memlog ($B_MEMLOG)" \
    test "$(kam_rpc cfg.get core memlog)" = "$B_MEMLOG"
check "no setting left to restore in the state directory" sh -c \
    "! ls '$S'/settings-* >/dev/null 2>&1"
R=$(ls "$S"/history/full/*.json 2>/dev/null | head -1)
check "the interrupted diagnosis is saved, not passive" jq -e \
    '.passive == false and .status == 3' "$R"
check "both proxies still run" sh -c "kill -0 $A_PID && kill -0 $KAM_PID"
if [ "$T_FAILS" -gt 0 ]; then
	sed 's/^/    service: /' "$T_TMP/svc.err" | tail -40
	sed 's/^/    notify: /' "$T_TMP/notify" | tail -20
fi
finish
