#!/bin/sh
# memdiag analyze / diff from the command line: exit statuses, one-line
# errors naming file and line, JSON that parses with the keys of
# memdiag(8), JSON.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/lib/common.sh"
command -v jq >/dev/null || skip "jq is not installed"
H=$FIXTURES/hand

expect_status 0 "analyze a complete dump" "$MEMDIAG" analyze "$H/openser1x.log"
check "text names the top site" grep -q "init_fifo(310)" "$T_TMP/out"
expect_status 0 "analyze --json" "$MEMDIAG" analyze --json "$H/opensips.log"
check "JSON has the fixed keys" jq -e '
    (.dumps | length) == 2 and
    (.dumps[0] | has("pid") and has("process_no") and has("pool") and
      has("allocator") and has("heap_size") and has("used") and
      has("real_used") and has("free") and has("max_used") and
      has("used_fragments") and has("complete") and has("sites") and
      has("corruption")) and
    (.dumps[0].sites[0] | has("module") and has("file") and has("func") and
      has("line") and has("count") and has("bytes")) and
    (.memory_errors[0] | has("pid") and has("pool") and has("text"))' \
    "$T_TMP/out"
check "heap sizes beyond 32 bits" jq -e '.dumps[1].heap_size == 3221225472' "$T_TMP/out"
check "unknown figures are null" jq -e '.dumps[0].sites[0].module == null' "$T_TMP/out"

expect_status 0 "analyze from stdin" sh -c "'$MEMDIAG' analyze - < '$H/interleave.log'"
check "stdin named in the report" grep -q "<stdin>" "$T_TMP/out"

expect_status 2 "corruption makes the status 2" "$MEMDIAG" analyze "$H/corruption.log"
check "corruption comes first" sh -c "head -3 '$T_TMP/out' | grep -q CORRUPTION"

expect_status 65 "no dump found" "$MEMDIAG" analyze "$H/memerrors.log"
check "the error names the file" grep -q "memerrors.log: no memory dump found" "$T_TMP/err"
check "the error is one line" test "$(wc -l < "$T_TMP/err")" -eq 1
check "memory errors are still reported" grep -q "build_cell" "$T_TMP/out"

printf ' 0(1) INFO: qm_status: qm_status(): (0x1):\n 0(1) INFO: qm_status: qm_status(): heap size= x\n' >"$T_TMP/bad.log"
expect_status 65 "malformed header line" "$MEMDIAG" analyze "$T_TMP/bad.log"
check "file:line in the error" grep -q "bad.log:2: malformed" "$T_TMP/err"

expect_status 0 "truncated dump is not an error" "$MEMDIAG" analyze --json "$H/truncated.log"
check "truncated dump marked incomplete" jq -e '.dumps[0].complete == false' "$T_TMP/out"
check "warning names the line" grep -q "truncated.log:17: warning" "$T_TMP/err"

# a paste of status figures from several processes, no header lines
expect_status 0 "a headless paste of several processes" \
    "$MEMDIAG" analyze --json "$H/fm-paste-pids.log"
check "one incomplete fm dump per run of figures" jq -e '
    [.dumps[] | [.pid, .heap_size, .allocator, .complete]] ==
    [[8219, 4194304, "fm", false], [8219, 16777216, "fm", false],
     [8222, 4194304, "fm", false]]' "$T_TMP/out"

expect_status 66 "missing file" "$MEMDIAG" analyze "$T_TMP/nonexistent"
check "the error names the file" grep -q "nonexistent: cannot open" "$T_TMP/err"
expect_status 66 "a directory" "$MEMDIAG" analyze "$T_TMP"
expect_status 64 "no argument" "$MEMDIAG" analyze
expect_status 64 "unknown option" "$MEMDIAG" analyze --bogus x
expect_status 64 "unknown command" "$MEMDIAG" frobnicate

expect_status 0 "diff" "$MEMDIAG" diff --json "$H/interleave.log" "$H/interleave.log"
check "diff JSON keys" jq -e '(.pairs | length) == 2 and
    (.pairs[0] | has("pool") and has("pid_before") and has("pid_after") and
     has("used_delta") and has("real_used_delta") and has("sites")) and
    .pairs[0].used_delta == 0 and (.pairs[0].sites | length) == 0' "$T_TMP/out"
expect_status 64 "diff needs two files" "$MEMDIAG" diff "$H/interleave.log"
expect_status 66 "diff with a missing file" "$MEMDIAG" diff "$H/interleave.log" "$T_TMP/nope"
finish
