#!/bin/bash
# The service observes a passive target without end (trigger.continuous):
# `memdiag check NAME --rolling` judges the newest window of `observe`
# seconds after every sample. Against a real Kamailio that leaks an
# htable item per INVITE under its users' traffic (memdiag's call engine,
# 20 calls/s): STATUS says "observing"; a leak verdict is kept in the
# history (rolling: true) naming the site per INVITE; the metrics carry
# the site's growth; the nightly `memdiag check` finds the target locked
# by the observation and reports its newest judgement; SIGTERM ends it
# all with the proxy's settings restored.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/lib/common.sh"
. "$top_srcdir/tests/lib/kam.sh"
command -v jq >/dev/null || skip "jq is not installed"
NOTIFY_LISTEN=$top_builddir/tests/tools/notify_listen
[ -x "$NOTIFY_LISTEN" ] || skip "tests/tools/notify_listen is not built"

kam_start rolling "$top_srcdir/tests/lib/proxy.cfg" -m 64 -A WITH_LEAK
MEMLOG=$(kam_rpc cfg.get core memlog)
SUMMARY=$(kam_rpc cfg.get core mem_summary)
"$MEMDIAG" call --proxy "127.0.0.1:$KAM_PORT" --calls 100000 --rate 20 \
    --concurrency 60 >/dev/null 2>&1 &
USERS=$!
t_on_exit "kill $USERS 2>/dev/null"

S=$T_TMP/state
CONF=$T_TMP/memdiag.conf
cat >"$CONF" <<EOF
state_dir = "$S";
run_dir = "$T_TMP/run";
metrics_file = "$T_TMP/memdiag.prom";
targets = (
  { name = "edge"; target = "$KAM_PIDFILE"; observe = 60.0;
    sample_interval = 1.0; min_interval = 3600; }
);
EOF
expect_status 0 "memdiag -n: the configuration is good" "$MEMDIAG" -n -c "$CONF"

N=$T_TMP/notify.sock
"$NOTIFY_LISTEN" "$N" >"$T_TMP/notify" 2>&1 &
t_on_exit "kill $! 2>/dev/null"
wait_for 5 test -S "$N"
NOTIFY_SOCKET=$N "$MEMDIAG" -c "$CONF" -v >"$T_TMP/svc.out" 2>"$T_TMP/svc.err" &
SVC=$!
t_on_exit "kill -TERM $SVC 2>/dev/null; wait $SVC 2>/dev/null"

check "STATUS: edge is observed" wait_for 30 grep -q "STATUS=edge: observing" \
    "$T_TMP/notify"
check "the child observes without end" wait_for 10 grep -q \
    "observing without end, judging every window of 60 s" "$T_TMP/svc.err"
check "a window's verdict is kept in the history within 3 minutes" \
    wait_for 180 sh -c "ls '$S'/history/edge/*.json >/dev/null 2>&1"
R=$(ls "$S"/history/edge/*.json 2>/dev/null | tail -1)
[ -n "$R" ] && jq -c '{verdict, reason}' "$R" | sed 's/^/    /'
check "the kept window: a leak, rolling, passive" jq -e \
    '.verdict == "leak" and .rolling == true and .passive == true' "$R"
check "the htable site first, per INVITE" jq -e \
    '.pools[0].suspects[0] | .func == "ht_cell_new" and .method == "INVITE"' \
    "$R"
check "its chart: the site's bytes against the INVITEs" grep -q \
    "bytes kept per INVITE" "${R%.json}.svg"
check "the metrics carry the site's growth" wait_for 20 grep -q \
    'memdiag_site_growth_bytes_per_request{target="edge",pool="shm",site="htable: .*ht_cell_new.*",method="INVITE"}' \
    "$T_TMP/memdiag.prom"
check "the service still observes (the child did not end)" grep -q \
    "STATUS=edge: observing" "$T_TMP/notify"
n=$(ls "$S"/history/edge/*.json | wc -l)
sleep 10
check "the same verdict is not kept again at every window" \
    test "$(ls "$S"/history/edge/*.json | wc -l)" = "$n"

# the nightly check meanwhile: the target is the observation's
expect_status 2 "memdiag check: the observation's newest judgement" \
    "$MEMDIAG" check -c "$CONF" --json edge
check "said to come from the service" jq -e \
    '.[0].observed_by_service == true and .[0].verdict == "leak"' \
    "$T_TMP/out"
check "the check kept nothing of its own" \
    test "$(ls "$S"/history/edge/*.json | wc -l)" = "$n"

kill -TERM "$SVC"
got=0
wait "$SVC" || got=$?
check "the service exited 0 on SIGTERM (status $got)" test "$got" = 0
check "no memdiag process is left" sh -c "! pgrep -f '[m]emdiag check -c $CONF' >/dev/null"
# a value as the proxy says it; a read that fails (kamcmd under load) is
# tried again, a value read is never
cfg_now() {
	local v i
	for i in 1 2 3; do
		v=$(kam_rpc cfg.get core "$1" 2>&1) && { echo "$v"; return; }
		sleep 1
	done
	echo "no answer: $v"
}
now=$(cfg_now memlog)
check "memlog restored ($MEMLOG; it says $now)" test "$now" = "$MEMLOG"
now=$(cfg_now mem_summary)
check "mem_summary restored ($SUMMARY; it says $now)" test "$now" = "$SUMMARY"
check "the interrupted window was not kept" \
    test "$(ls "$S"/history/edge/*.json | wc -l)" = "$n"
kill "$USERS" 2>/dev/null
finish
