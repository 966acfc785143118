#!/bin/bash
# Capture real binrpc replies from Kamailio as the fuzz corpus of the
# reply decoder (tests/fuzz/corpus/binrpc/).
#
#   tests/fuzz/capture-binrpc.sh [OUTDIR]
#
# Starts a throwaway Kamailio (tests/lib/kam.sh) with dispatcher, puts socat between kamcmd and the ctl socket, and keeps
# the bytes Kamailio sent back for each RPC, one file per reply.

top_srcdir=$(cd "$(dirname "$0")/../.." && pwd)
. "$top_srcdir/tests/lib/common.sh"
. "$top_srcdir/tests/lib/kam.sh"

OUT=${1:-$top_srcdir/tests/fuzz/corpus/binrpc}
command -v socat >/dev/null || { echo "socat is not installed"; exit 1; }
mkdir -p "$OUT"

DS=$T_TMP/dispatcher.list
printf '1 sip:127.0.0.1:5099 0 0 weight=50\n1 sip:127.0.0.1:5098 0 5\n2 sip:127.0.0.1:5097\n' >"$DS"
kam_start cap "$top_srcdir/tests/lib/proxy.cfg" -m 16 -M 4 \
    -A WITH_DISPATCHER -A "DS_LIST=\"$DS\"" || exit 1

# capture NAME RPC [ARGS...]: one connection, one reply
capture() {
	local name=$1 proxy=$T_TMP/proxy.sock i pid
	shift
	rm -f "$proxy" "$T_TMP/reply"
	socat -R "$T_TMP/reply" UNIX-LISTEN:"$proxy" \
	    UNIX-CONNECT:"${KAM_CTL#unix:}" &
	pid=$!
	for i in $(seq 1 50); do [ -S "$proxy" ] && break; sleep 0.05; done
	kamcmd -s "unix:$proxy" "$@" >/dev/null 2>&1
	wait "$pid"
	cp "$T_TMP/reply" "$OUT/$name"
	echo "$name: $(wc -c <"$OUT/$name") bytes"
}

capture core.shmmem core.shmmem
capture core.shmmem_k core.shmmem k
capture pkg.stats pkg.stats
capture core.psx core.psx
capture core.ps core.ps
capture tm.stats tm.stats
capture mod.mem_stats_core_shm mod.mem_stats core shm
capture mod.mem_stats_all_all mod.mem_stats all all
capture mod.mem_statsx_tm_shm mod.mem_statsx tm shm
capture cfg.get_core_memlog cfg.get core memlog
capture cfg.get_core cfg.get core
capture cfg.set_now_int cfg.set_now_int core memlog 1
capture core.version core.version
capture core.info core.info
capture core.uptime core.uptime
capture core.sockets_list core.sockets_list
capture dispatcher.list dispatcher.list
capture dispatcher.list_full dispatcher.list full
capture fault-no-command core.nosuchthing
capture fault-not-readable cfg.get tm fr_timer
capture fault-bad-param core.shmmem x
capture system.listMethods system.listMethods
