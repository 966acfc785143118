#!/bin/bash
# memdiag check (what the nightly timer runs) against a real Kamailio:
# passive by default, each result saved with its chart; three nights make
# a floor trend; a name not in the config is a usage error; the service
# and the check never act on one target at once (75); memdiag -n checks
# a config with FILE:LINE errors; the units it installs are valid.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/lib/common.sh"
. "$top_srcdir/tests/lib/kam.sh"
command -v jq >/dev/null || skip "jq is not installed"

kam_start nightly "$top_srcdir/tests/lib/proxy.cfg" -m 16 -M 4 -A STOCK_LOG
MEMLOG=$(kam_rpc cfg.get core memlog)
S=$T_TMP/state
CONF=$T_TMP/memdiag.conf
cat >"$CONF" <<EOF
state_dir = "$S";
run_dir = "$T_TMP/run";
metrics_file = "$T_TMP/memdiag.prom";
targets = ( { name = "edge"; target = "$KAM_PIDFILE"; settle = 2.0;
    observe = 0; } );
EOF

for night in 1 2 3; do
	expect_status 0 "night $night: healthy, passive" "$MEMDIAG" check --all -c "$CONF"
	cp "$T_TMP/out" "$T_TMP/night$night"
	sleep 1	# one saved diagnosis per second at most: names are times
done
check "one line per target, with where it is saved" grep -q \
    "^edge: healthy (status 0): .*" "$T_TMP/night1"
check "three diagnoses saved" test "$(ls "$S"/history/edge/*.json | wc -l)" = 3
check "each with its chart" test "$(ls "$S"/history/edge/2*.svg | wc -l)" = 3
check "the text names the chart" grep -q "^  chart: $S/history/edge/2.*\.svg" "$T_TMP/night1"
check "the floors' chart" test -s "$S/history/edge/floors.svg"
J=$(ls "$S"/history/edge/*.json | tail -1)
check "passive: no gate, no test calls" jq -e \
    '.passive == true and .gate.backend == "none" and .load.rate == 0' "$J"
check "a timeline for the chart" jq -e '.timeline.samples | length > 0' "$J"
check "the third night reports the floor's trend" grep -q \
    "floor trend over 3 diagnoses" "$T_TMP/night3"
check "memlog restored ($MEMLOG)" test "$(kam_rpc cfg.get core memlog)" = "$MEMLOG"
check "metrics file written" grep -q 'memdiag_verdict{target="edge",verdict="healthy"} 1' \
    "$T_TMP/memdiag.prom"

expect_status 0 "check NAME --json" "$MEMDIAG" check -c "$CONF" --json edge
check "--json: an array of reports" jq -e '.[0].name == "edge" and .[0].verdict == "healthy"' "$T_TMP/out"
expect_status 64 "a name not in the config" "$MEMDIAG" check -c "$CONF" nosuch
expect_status 64 "neither --all nor a name" "$MEMDIAG" check -c "$CONF"

# a run on the same target holds its lock: the check exits 75
"$MEMDIAG" gate --target "$KAM_PIDFILE" --gate none --hold 20 \
    --run-dir "$T_TMP/run" >/dev/null 2>&1 &
G=$!
t_on_exit "kill $G 2>/dev/null"
sleep 1
expect_status 75 "the target is locked by another memdiag" \
    "$MEMDIAG" check --all -c "$CONF"
kill $G 2>/dev/null; wait $G 2>/dev/null || true
check "a locked run is not saved as a diagnosis" \
    test "$(ls "$S"/history/edge/*.json | wc -l)" = 4

# memdiag -n
cat >"$T_TMP/bad.conf" <<EOF
targets = (
  { name = "edge";
    target = "/run/kamailio/kamailio.pid";
    calls = "many"; }
);
EOF
expect_status 78 "memdiag -n: a wrong type" "$MEMDIAG" -n -c "$T_TMP/bad.conf"
check "the error names FILE:LINE" grep -q "^$T_TMP/bad.conf:4: " "$T_TMP/err"
expect_status 66 "memdiag -n: no such file" "$MEMDIAG" -n -c "$T_TMP/none.conf"
expect_status 0 "memdiag -n: the example config" "$MEMDIAG" -n -c \
    "$top_srcdir/etc/memdiag.conf"

# the units as installed
if command -v systemd-analyze >/dev/null; then
	for u in memdiag.service memdiag-check.service; do
		sed -e "s|@sbindir@|$(dirname "$MEMDIAG")|g" \
		    -e "s|@sysconfdir@|/etc|g" -e "s|@statedir@|$S|g" \
		    -e "s|@rundir@|$T_TMP/run|g" "$top_srcdir/systemd/$u.in" \
		    >"$T_TMP/$u"
	done
	cp "$top_srcdir/systemd/memdiag-check.timer" "$T_TMP/"
	# verify complains about the binary's path only when it is missing
	check "systemd-analyze verify: the units" sh -c \
	    "systemd-analyze verify '$T_TMP/memdiag.service' '$T_TMP/memdiag-check.service' '$T_TMP/memdiag-check.timer' 2>&1 | grep -v 'memdiag.conf\|Failed to prepare\|not found' | tee '$T_TMP/verify' ; ! grep -qi 'error\|invalid\|unknown' '$T_TMP/verify'"
	check "the timer is persistent and spread" sh -c \
	    "grep -q '^Persistent=true' '$T_TMP/memdiag-check.timer' && grep -q '^RandomizedDelaySec=' '$T_TMP/memdiag-check.timer'"
fi
finish
