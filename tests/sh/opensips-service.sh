#!/bin/bash
# The service (systemctl start memdiag) watching a real OpenSIPS (3.6.8
# from ../shared/targets; skipped, saying why, without it) over its MI:
# it finds the proxy, its MI and its log, samples its shm, and observes
# the passive target without end. Under its users' traffic (memdiag's
# call engine, 20 calls/s) with a cachedb_local entry kept per INVITE, a
# window's leak verdict is kept in the history naming the site per
# request; the metrics carry the pool; the nightly `memdiag check` reports
# the observation's newest judgement; SIGTERM ends it all with status 0.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/lib/common.sh"
. "$top_srcdir/tests/lib/opensips.sh"
command -v jq >/dev/null || skip "jq is not installed"
command -v curl >/dev/null || skip "curl is not installed"

osips_use "${OSIPS_VERSION:-3.6.8}" || skip "no OpenSIPS built"
osips_start rolling -a Q_MALLOC_DBG -m 64 -M 8 -DWITH_SHM_LEAK
"$MEMDIAG" call --proxy "127.0.0.1:$OSIPS_PORT" --calls 100000 --rate 20 \
    --concurrency 60 >/dev/null 2>&1 &
USERS=$!
t_on_exit "kill $USERS 2>/dev/null"

S=$T_TMP/state
CONF=$T_TMP/memdiag.conf
PORT=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
cat >"$CONF" <<EOF
state_dir = "$S";
run_dir = "$T_TMP/run";
metrics_file = "$T_TMP/memdiag.prom";
metrics_listen = "127.0.0.1:$PORT";
targets = (
  { name = "sbc"; target = "$OSIPS_PIDFILE"; observe = 60.0;
    sample_interval = 1.0; min_interval = 3600; }
);
EOF
expect_status 0 "memdiag -n: the configuration is good" "$MEMDIAG" -n -c "$CONF"

"$MEMDIAG" -c "$CONF" -v >"$T_TMP/svc.out" 2>"$T_TMP/svc.err" &
SVC=$!
t_on_exit "kill -TERM $SVC 2>/dev/null; wait $SVC 2>/dev/null"

check "it watches the OpenSIPS over its MI" wait_for 30 grep -Eq \
    "sbc: watching opensips pid $OSIPS_PID \(rpc (dgram|fifo):" "$T_TMP/svc.err"
metrics() { curl -s "http://127.0.0.1:$PORT/metrics" >"$T_TMP/m" && grep -q "$1" "$T_TMP/m"; }
check "its shm sampled over MI into the metrics" wait_for 20 metrics \
    'memdiag_shm_size_bytes{target="sbc"} 67108864$'
check "up" metrics 'memdiag_up{target="sbc"} 1$'
check "the child observes without end" wait_for 20 grep -q \
    "observing without end, judging every window of 60 s" "$T_TMP/svc.err"
check "a window's verdict is kept in the history within 3 minutes" \
    wait_for 180 sh -c "ls '$S'/history/sbc/*.json >/dev/null 2>&1"
R=$(ls "$S"/history/sbc/*.json 2>/dev/null | tail -1)
[ -n "$R" ] && jq -c '{verdict, reason}' "$R" | cut -c1-300 | sed 's/^/    /'
check "the kept window: a leak, rolling, passive" jq -e \
    '.verdict == "leak" and .rolling == true and .passive == true' "$R"
check "cachedb_local's insert first, per request" jq -e \
    '.pools[0].suspects[0] | .func == "_lcache_htable_insert" and .method == "request"' \
    "$R"

expect_status 2 "memdiag check: the observation's newest judgement" \
    "$MEMDIAG" check -c "$CONF" --json sbc
check "said to come from the service" jq -e \
    '.[0].observed_by_service == true and .[0].verdict == "leak"' \
    "$T_TMP/out"

kill -TERM "$SVC"
got=0
wait "$SVC" || got=$?
check "the service exited 0 on SIGTERM (status $got)" test "$got" = 0
check "no memdiag process is left" sh -c "! pgrep -f '[m]emdiag check -c $CONF' >/dev/null"
kill "$USERS" 2>/dev/null
finish
