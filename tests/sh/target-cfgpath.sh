#!/bin/bash
# A proxy started with a relative -f: Kamailio leaves the directory it
# was started from, so memdiag finds the file through the proxy's PWD
# (/proc/PID/environ) and reads the module timers it declares; where
# neither PWD nor the working directory holds it, the warning names the
# file that was meant.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/lib/common.sh"
. "$top_srcdir/tests/lib/kam.sh"

mkdir -p "$T_TMP/start"
cp "$top_srcdir/tests/lib/proxy.cfg" "$T_TMP/start/relative.cfg"
diag() {
	"$MEMDIAG" --target "$KAM_PID" --passive --observe 0 \
	    --state-dir "$T_TMP/s" \
	    --run-dir "$T_TMP/r" "$@"
}

cd "$T_TMP/start"
kam_start rel relative.cfg -A WITH_HELD
cd - >/dev/null
check "the proxy left its start directory" \
    test "$(readlink "/proc/$KAM_PID/cwd")" != "$T_TMP/start"
expect_status 0 "a passive look" diag
check "its module timer is read from the relative -f" grep -q \
    "QUIET waits .*htable.*($T_TMP/start/relative.cfg)" "$T_TMP/err"
unseen() { ! grep -q "go unseen" "$T_TMP/err"; }
check "no 'timers go unseen' warning" unseen

# the file is gone from where it was started: say which file was meant
mv "$T_TMP/start/relative.cfg" "$T_TMP/moved.cfg"
expect_status 0 "a passive look, the file moved away" diag
check "the warning names -f relative.cfg and the start directory" grep -q \
    "\-f relative.cfg is relative to the directory it was started from.*$T_TMP/start" \
    "$T_TMP/err"

finish
