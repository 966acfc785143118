#!/bin/bash
# Calls through a real Kamailio on a lossy path: inside a private network
# namespace, nftables drops one UDP datagram in LOSS (default 10) at random.
# RFC 3261's retransmissions must carry every call through: timers A and E
# for requests, G for the 486, the UAS's own 2xx retransmission until the
# ACK, the re-ACK of a retransmitted 2xx, and the stored 2xx for an INVITE
# retransmitted after it. (The cancel flow is left out: a lost 180 is
# never repeated, so the UAC has nothing to cancel on.) With MEMDIAG_FULL=1
# memdiag runs under valgrind memcheck, so those paths are checked too.

# shellcheck disable=SC2016 # jq filters are single-quoted on purpose
: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
. "$top_srcdir/tests/lib/common.sh"
. "$top_srcdir/tests/lib/kam.sh"

command -v kamailio >/dev/null || skip "kamailio is not installed"
command -v jq >/dev/null || skip "jq is not installed"
command -v nft >/dev/null || skip "nft is not installed"
[ "$(id -u)" = 0 ] || skip "needs root for a network namespace"
[ -x "$MEMDIAG" ] || { echo "FAIL: $MEMDIAG is not built"; exit 1; }

if [ -z "${CALL_LOSS_NS:-}" ]; then
	ns=memdiag-loss-$$
	ip netns add "$ns" || skip "cannot create a network namespace"
	t_on_exit "ip netns del $ns"
	ip netns exec "$ns" ip link set lo up
	rc=0
	CALL_LOSS_NS=$ns ip netns exec "$ns" bash "$0" || rc=$?
	exit $rc
fi

jqv() { jq -r "$1" "$T_TMP/out"; }
md() { "$MEMDIAG" "$@"; }
if [ "${MEMDIAG_FULL:-}" = 1 ] && command -v valgrind >/dev/null; then
	# memcheck's own failure is 99, never a status memdiag uses
	md() {
		valgrind -q --leak-check=full --error-exitcode=99 \
		    --errors-for-leak-kinds=definite,indirect "$MEMDIAG" "$@"
	}
fi
loss=${LOSS:-10}
nft -f - <<NFT
table inet memdiag_loss {
	chain input {
		type filter hook input priority 0; policy accept;
		meta l4proto udp numgen random mod $loss == 0 counter drop
	}
}
NFT

kam_start lossy "$top_srcdir/tests/lib/proxy.cfg" -A WITH_REGISTRAR
expect_status 0 "calls complete although 1 datagram in $loss is lost" \
    md call --proxy "127.0.0.1:$KAM_PORT" --mode registered \
    --calls 60 --rate 100 --concurrency 20 --mix ok,busy,message,register \
    --json
check "all 60 completed" eval '[ "$(jqv .completed)" = 60 ]'
dropped=$(nft list table inet memdiag_loss | awk '/counter/ { print $(NF-3) }')
echo "    nftables dropped $dropped datagrams"
check "the path did lose datagrams" eval '[ "${dropped:-0}" -gt 0 ]'
kam_stop
finish
