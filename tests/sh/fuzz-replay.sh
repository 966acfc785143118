#!/bin/sh
# Replays every fuzz corpus input and every crash ever found through the
# fuzz targets, built as plain programs (under the sanitizers when the
# build has them).
. "${top_srcdir:-$(dirname "$0")/../..}/tests/lib/common.sh"

for target in dump binrpc sip conf; do
	bin=$top_builddir/tests/fuzz/replay_$target
	[ -x "$bin" ] || { fail "$bin not built"; continue; }
	check "corpus and crashes of $target replay cleanly" \
	    "$bin" "$top_srcdir/tests/fuzz/corpus/$target" \
	    "$top_srcdir/tests/fuzz/crashes/$target"
done
finish
