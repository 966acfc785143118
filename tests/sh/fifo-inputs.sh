#!/bin/bash
# A FIFO where a file is expected (the pid file, the proxy's log, its
# config, memdiag's own config) is refused with one line, never waited
# on: opening a FIFO for reading blocks until a writer comes.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/lib/common.sh"
. "$top_srcdir/tests/lib/kam.sh"
command -v timeout >/dev/null || skip "timeout is not installed"

mkfifo "$T_TMP/fifo"
run() { timeout 20 "$MEMDIAG" "$@" --state-dir "$T_TMP/s" --run-dir "$T_TMP/r"; }

expect_status 66 "a FIFO as the pid file" timeout 20 "$MEMDIAG" inspect \
    --target "$T_TMP/fifo"
check "... says it is not a regular file" grep -q \
    "$T_TMP/fifo: cannot read pid file: not a regular file" "$T_TMP/err"
expect_status 66 "a FIFO as memdiag's config" timeout 20 "$MEMDIAG" -n \
    -c "$T_TMP/fifo"

cp "$top_srcdir/tests/lib/proxy.cfg" "$T_TMP/proxy.cfg"
kam_start fifo "$T_TMP/proxy.cfg"
got=0
run --target "$KAM_PID" --passive --observe 0 --log "$T_TMP/fifo" \
    >"$T_TMP/out" 2>"$T_TMP/err" || got=$?
check "a FIFO as the proxy's log: no hang (status $got)" test "$got" != 124
check "... and one line names it" grep -q "$T_TMP/fifo" "$T_TMP/err"
sed 's/^/    /' "$T_TMP/err" | grep "fifo" | head -3
check "... not a regular file" grep -q "not a regular file" "$T_TMP/err"

# the proxy's config replaced by a FIFO after it started: memdiag reads
# it for the timers it declares
rm "$T_TMP/proxy.cfg"
mkfifo "$T_TMP/proxy.cfg"
got=0
run --target "$KAM_PID" --passive --observe 0 >"$T_TMP/out" 2>"$T_TMP/err" ||
    got=$?
check "a FIFO as the proxy's config: no hang (status $got)" test "$got" != 124
check "... and it is named" grep -q "proxy.cfg: not a regular file" "$T_TMP/err"
grep "proxy.cfg" "$T_TMP/err" | sed 's/^/    /' | head -2
finish
