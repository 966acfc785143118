#!/bin/sh
# Replays the SIP fuzz target's corpus and every crash it ever found
# through the call engine (built as a plain program, under the sanitizers
# when the build has them).
. "${top_srcdir:-$(dirname "$0")/../..}/tests/lib/common.sh"

bin=$top_builddir/tests/fuzz/replay_sip
[ -x "$bin" ] || { echo "FAIL: $bin not built"; exit 1; }
check "corpus and crashes of sip replay cleanly" \
    "$bin" "$top_srcdir/tests/fuzz/corpus/sip" "$top_srcdir/tests/fuzz/crashes/sip"
finish
