#!/bin/bash
# memdiag quick start: install what is needed (Debian 12), build, start a
# throwaway Kamailio on a free loopback port (its own runtime dir, never
# /run/kamailio), put a little traffic through it, take its memory dumps
# and let memdiag read them. The Kamailio is stopped when this ends.
set -eu
cd "$(dirname "$0")"
top=$(pwd)
sh .ci/install-deps
if [ ! -x build/daemon/memdiag ]; then
	autoreconf -fi >/dev/null
	mkdir -p build
	(cd build && ../configure -q && make -j2 >/dev/null)
fi
MEMDIAG=$top/build/daemon/memdiag
top_srcdir=$top
. tests/lib/common.sh
. tests/lib/kam.sh

kam_start demo tests/kamailio/proxy.cfg -m 32 -M 4
echo "started kamailio pid $KAM_PID on 127.0.0.1:$KAM_PORT (runtime dir $KAM_DIR)"
for i in $(seq 1 20); do
	printf 'OPTIONS sip:127.0.0.1:%s SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:9;branch=z9hG4bKqs%s\r\nFrom: <sip:qs@127.0.0.1>;tag=%s\r\nTo: <sip:127.0.0.1>\r\nCall-ID: qs-%s\r\nCSeq: 1 OPTIONS\r\nMax-Forwards: 70\r\nContent-Length: 0\r\n\r\n' \
	    "$KAM_PORT" "$i" "$i" "$i" >/dev/udp/127.0.0.1/"$KAM_PORT"
done
sleep 1
before=$(stat -c %s "$KAM_LOG")
kam_rpc cfg.set_now_int core mem_summary 15 >/dev/null
kill -USR1 "$KAM_PID"
sleep 1
tail -c +$((before + 1)) "$KAM_LOG" >"$T_TMP/dump.log"
echo "SIGUSR1 wrote $(wc -l <"$T_TMP/dump.log") log lines; memdiag's reading of them:"
echo
"$MEMDIAG" analyze "$T_TMP/dump.log"
