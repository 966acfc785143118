#!/bin/bash
# memdiag --target's report parts against the real Kamailio on loopback
# (--gate none, small rounds): --nagios prints one status line with
# perfdata and exits 0-3 only (a usage error is UNKNOWN, 3); --bundle DIR
# holds the text and JSON reports, the dumps, the proxy's log during the
# run, its version, modules and memory settings, and refuses a foreign
# non-empty directory; memory errors a burst caused before the run are
# found in the log's history and reported as such; progress goes to
# stderr, never stdout.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/lib/common.sh"
. "$top_srcdir/tests/lib/kam.sh"
command -v jq >/dev/null || skip "jq is not installed"

S=$T_TMP/state
R=$T_TMP/run
B=$T_TMP/bundle
diag() {
	"$MEMDIAG" --target "$KAM_PIDFILE" --gate none --calls 10 --settle 2 \
	    --state-dir "$S" --run-dir "$R" "$@"
}
alloc_failures() {
	grep -c "could not allocate\|no more shm\|out of mem" "$KAM_LOG" || true
}

# 1. usage errors: 64, or UNKNOWN (3) and one line once --nagios is given
expect_status 64 "a bad option: usage error" "$MEMDIAG" --target 1 --no-such
expect_status 3 "a bad option with --nagios: UNKNOWN" \
    "$MEMDIAG" --target 1 --no-such --nagios
check "one UNKNOWN line on stdout" sh -c "test \$(wc -l <'$T_TMP/out') = 1 &&
    grep -q '^MEMDIAG UNKNOWN - ' '$T_TMP/out'"
expect_status 3 "--nagios with --json: UNKNOWN" \
    "$MEMDIAG" --target 1 --nagios --json
mkdir "$T_TMP/foreign"
echo keep >"$T_TMP/foreign/notes"
expect_status 64 "--bundle into a foreign non-empty directory: refused" \
    "$MEMDIAG" --target 1 --bundle "$T_TMP/foreign"
check "the foreign directory untouched" test "$(ls "$T_TMP/foreign")" = notes

# 2. healthy, with --nagios and --bundle
kam_start healthy "$top_srcdir/tests/lib/proxy.cfg" -m 16 -M 4 -A STOCK_LOG
# two rounds, one for case 3: each QUIET waits out tm's 5 s timer
expect_status 0 "healthy: status 0" diag --rounds 2 --nagios --bundle "$B"
cp "$T_TMP/out" "$T_TMP/nagios"
cp "$T_TMP/err" "$T_TMP/nagios.err"
cat "$T_TMP/nagios"
check "one line on stdout" test "$(wc -l <"$T_TMP/nagios")" = 1
check "MEMDIAG OK - healthy: REASON |" grep -q '^MEMDIAG OK - healthy: [^|]* |' "$T_TMP/nagios"
check "perfdata: shm used, the pool's size as max" \
    grep -Eq "'shm_used'=[0-9]+B;;;0;16777216( |\$)" "$T_TMP/nagios"
check "perfdata: shm floor growth and bytes per call" \
    grep -Eq "'shm_floor_growth'=-?[0-9]+B 'shm_bytes_per_call'=[0-9.]+B" "$T_TMP/nagios"
check "perfdata: the UDP workers' pkg" grep -q "'pkg_udp_receiver_used'=" "$T_TMP/nagios"
check "progress on stderr: phases with memory now and floor" \
    grep -Eq "progress: CALLS round 1, [0-9]+ s: shm [0-9.]+ [KM]iB, floor [0-9.]+ [KM]iB" "$T_TMP/nagios.err"
check "bundle directory 0700" test "$(stat -c %a "$B")" = 700
for f in MANIFEST report.txt report.json dumps.json proxy-log.txt \
    version.txt proxy.json; do
	check "bundle: $f, 0600" test "$(stat -c %a "$B/$f" 2>/dev/null)" = 600
done
check "report.json parses, healthy as the line says" jq -e '.verdict == "healthy"' "$B/report.json"
check "report.txt is the text report" grep -q "^kamailio pid $KAM_PID .*: healthy" "$B/report.txt"
check "dumps.json: the baseline's shm dump" jq -e '.rounds[0].shm.dumps | map(select(.pool == "shm")) | length == 1' "$B/dumps.json"
check "proxy-log.txt: the raw dumps (baseline, 2 rounds), as analyze reads them" sh -c \
    "'$MEMDIAG' analyze --json '$B/proxy-log.txt' | jq -e '[.dumps[] | select(.pool == \"shm\")] | length == 3'"
ver=$(kamailio -v | sed -n 's/^version: \(kamailio [0-9.]*\).*/\1/p')
check "version.txt: $ver, over RPC" grep -q "over RPC: $ver" "$B/version.txt"
check "version.txt: build flags (core.flags)" grep -q "DBG_SR_MEMORY" "$B/version.txt"
check "version.txt: the executable was not run" sh -c \
    "! grep -q '/proc/[0-9]*/exe' '$B/version.txt'"
check "proxy.json: loaded modules" jq -e '.rpc["core.modules"] | index("tm") != null' "$B/proxy.json"
check "proxy.json: memory settings as they were" \
    jq -e '.memory.shm_mb == 16 and .memory.pkg_mb == 4 and .memory.memlog == 5 and .rpc["shm.info"].size == 16777216' "$B/proxy.json"
check "no memory error before the run" jq -e '.before_run.memory_errors == 0' "$B/report.json"
kam_stop

# 3. a 4 MB pool a burst exhausted before memdiag starts: the errors are
# only in the log's past, found there and reported as before the run
kam_start small "$top_srcdir/tests/lib/proxy.cfg" -m 4 -M 4
"$MEMDIAG" call --proxy "127.0.0.1:$KAM_PORT" --calls 300 --rate 300 \
    --concurrency 300 --timeout 10000 >/dev/null 2>&1 || true
before=$(alloc_failures)
check "the burst exhausted the pool ($before failures logged)" test "$before" -gt 0
# --mode direct: no probe call into the pool the burst still fills
expect_status 1 "undersized pool: pool-too-small (1)" diag --json --mode direct \
    --rounds 1 --bundle "$B"
J=$T_TMP/small.json
cp "$T_TMP/out" "$J"
check "verdict pool-too-small" jq -e '.verdict == "pool-too-small"' "$J"
check "errors before the run counted" jq -e '.before_run.memory_errors > 0 and .before_run.memory_errors == ([.memory_errors[] | select(.before_run) | .count] | add)' "$J"
check "the text report says so too" grep -q "^before the run: [1-9][0-9]* memory errors in the log" "$B/report.txt"
check "each flagged before_run, shm named" jq -e '[.memory_errors[] | select(.before_run)] | length > 0 and all(.pool == "shm" or .pool == null)' "$J"
check "high-water mark at the start: the whole pool" jq -e '.before_run.shm_max_used >= 0.99 * .before_run.shm_size' "$J"
check "memdiag's own calls caused no allocation failure" test "$(alloc_failures)" = "$before"
check "a previous bundle is replaced" jq -e '.verdict == "pool-too-small"' "$B/report.json"
finish
