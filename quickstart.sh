#!/bin/bash
# memdiag quick start: install what is needed (Debian 12), build, start a
# throwaway Kamailio on a free loopback port (its own runtime dir, never
# /run/kamailio), put a little traffic through it, take its memory dumps
# and let memdiag read them. The Kamailio is stopped when this ends.
set -eu
cd "$(dirname "$0")"
top=$(pwd)
sh .ci/install-deps
if [ ! -f build/Makefile ]; then
	autoreconf -fi >/dev/null
	mkdir -p build
	(cd build && ../configure -q)
fi
make -C build -j2 >/dev/null
MEMDIAG=$top/build/daemon/memdiag
top_srcdir=$top
. tests/lib/common.sh
. tests/lib/kam.sh

# Debian's stock log settings (memlog=5 above debug=2): SIGUSR1 alone
# would print nothing; memdiag lowers memlog while it works and restores it
kam_start demo tests/lib/proxy.cfg -m 64 -M 8 -A STOCK_LOG -A CHILDREN=4
echo "started kamailio pid $KAM_PID on 127.0.0.1:$KAM_PORT (runtime dir $KAM_DIR)"
echo
echo "== what memdiag finds out about it by itself"
"$MEMDIAG" inspect --target "$KAM_PIDFILE"
echo
echo "== the diagnosis: quiet period, baseline dumps, 3 rounds of test calls,"
echo "   dumps after each, verdict (no users here, so no traffic gate)"
status=0
"$MEMDIAG" --target "$KAM_PIDFILE" --gate none --calls 100 \
    --state-dir "$T_TMP/state" --run-dir "$T_TMP/run" || status=$?
echo
echo "memdiag exited $status (0 healthy, 1 pool too small or fragmentation,"
echo "2 leak or corruption, 3 inconclusive); memlog is $(kam_rpc cfg.get core memlog) again"
