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
# would print nothing; memdiag lowers memlog for the dump and restores it
kam_start demo tests/kamailio/proxy.cfg -m 32 -M 4 -A STOCK_LOG -A CHILDREN=4
echo "started kamailio pid $KAM_PID on 127.0.0.1:$KAM_PORT (runtime dir $KAM_DIR)"
echo
echo "== what memdiag finds out about it by itself"
"$MEMDIAG" inspect --target "$KAM_PIDFILE"
echo
echo "== 200 test calls through it"
"$MEMDIAG" call --proxy "127.0.0.1:$KAM_PORT" --calls 200 --rate 100 \
    --concurrency 20 --mix ok:3,busy,cancel,message
sleep 6		# tm keeps finished transactions about 5 s
echo
echo "== its memory dumps, taken safely (memlog is $(kam_rpc cfg.get core memlog) now)"
"$MEMDIAG" dump --target "$KAM_PIDFILE" --state-dir "$T_TMP/state" \
    --run-dir "$T_TMP/run"
echo
echo "memlog is $(kam_rpc cfg.get core memlog) again"
