#!/bin/bash
# The batch API as the diagnosis uses it (tests/tools/call_batch_drive.c)
# against a real Kamailio: rate and concurrency changed while a batch
# runs, and the socket list names exactly the socket the calls came from.
: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
. "$top_srcdir/tests/lib/common.sh"
. "$top_srcdir/tests/lib/kam.sh"

command -v kamailio >/dev/null || skip "kamailio is not installed"
drive=$top_builddir/tests/tools/call_batch_drive
[ -x "$drive" ] || { echo "FAIL: $drive is not built"; exit 1; }

kam_start batch "$top_srcdir/tests/lib/proxy.cfg"
rc=0
"$drive" "127.0.0.1:$KAM_PORT" >"$T_TMP/drive" 2>"$T_TMP/drive.err" || rc=$?
cat "$T_TMP/drive"
check "the driver's checks passed" eval '[ "$rc" = 0 ]'
sock=$(sed -n 's/^socket udp //p' "$T_TMP/drive")
check "the reported socket is a loopback UDP port" \
    eval 'case "$sock" in 127.0.0.1:[0-9]*) true;; *) false;; esac'
finish
