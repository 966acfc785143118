# Network namespaces for the gate's tests. Source tests/lib/common.sh and
# tests/lib/kam.sh first.
#
#   ns_new NAME        create memdiag-test-$$-NAME with its loopback up,
#                      deleted (with everything in it) when the test exits,
#                      however it exits; sets NS. Skips (77) only when the
#                      machine has no network namespaces or no nftables.
#   ns_run CMD...      run CMD inside $NS
#   kam_start_ns NAME CFG [kamailio args...]
#                      kam_start, but Kamailio listens inside $NS (on
#                      127.0.0.1:$KAM_PORT); same variables, same kam_stop
#
# Only namespaces this test created are touched; the host's own network
# and ruleset are not.

ns_new() {
	local name=memdiag-test-$$-$1
	[ "$(id -u)" = 0 ] || skip "network namespaces need root"
	command -v ip >/dev/null || skip "ip(8) is not installed"
	command -v nft >/dev/null || skip "nftables is not installed"
	ip netns add "$name" 2>"$T_TMP/netns.err" ||
	    skip "no network namespaces: $(cat "$T_TMP/netns.err")"
	t_on_exit "ip netns del $name 2>/dev/null"
	NS=$name
	ip netns exec "$NS" ip link set lo up
	ip netns exec "$NS" nft list tables >/dev/null 2>"$T_TMP/nft.err" ||
	    skip "no nftables in a namespace: $(cat "$T_TMP/nft.err")"
}

ns_run() {
	ip netns exec "$NS" "$@"
}

kam_start_ns() {
	local name=$1 cfg=$2
	shift 2
	command -v kamailio >/dev/null || skip "kamailio is not installed"
	kam_prepare "$name"
	# ip netns exec execs kamailio: $! is Kamailio's own PID
	ip netns exec "$NS" kamailio -DD -E -f "$cfg" -Y "$KAM_DIR" \
	    -P "$KAM_PIDFILE" -A "CTLSOCK=\"$KAM_CTL\"" -A "LPORT=$KAM_PORT" \
	    "$@" >"$KAM_LOG" 2>&1 &
	KAM_PID=$!
	kam_wait_ready
}

# A dispatcher peer in the namespace: 127.0.0.2:PEER_PORT answers the
# proxy's pings from 127.0.0.4, an address nobody exempts (its answers
# pass only as SIP responses); $T_TMP/ds.list names it for -A DS_LIST.
ns_peer_start() {
	PEER_PORT=$(( (RANDOM % 10000) + 10000 ))
	echo "1 sip:127.0.0.2:$PEER_PORT" >"$T_TMP/ds.list"
	ip netns exec "$NS" "$top_builddir/tests/tools/gate_probe" answer \
	    "127.0.0.2:$PEER_PORT" 127.0.0.4 >"$T_TMP/peer.log" 2>&1 &
	PEER_PID=$!
	t_on_exit "kill $PEER_PID 2>/dev/null"
}
