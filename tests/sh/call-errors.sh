#!/bin/bash
# memdiag call when things go wrong: a proxy that answers 503, a proxy that
# is not there (OPTIONS unanswered: 69, quickly), bad command lines (64),
# an unreadable password file (66), and datagrams from strangers while
# calls run (the socket only hears the proxy).

# shellcheck disable=SC2016 # jq filters are single-quoted on purpose
: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
. "$top_srcdir/tests/lib/common.sh"
. "$top_srcdir/tests/lib/kam.sh"

command -v kamailio >/dev/null || skip "kamailio is not installed"
command -v jq >/dev/null || skip "jq is not installed"
[ -x "$MEMDIAG" ] || { echo "FAIL: $MEMDIAG is not built"; exit 1; }
CFG=$top_srcdir/tests/lib/proxy.cfg

jqv() { jq -r "$1" "$T_TMP/out"; }

expect_status 64 "no --proxy" "$MEMDIAG" call --calls 1
expect_status 64 "--proxy without a port" "$MEMDIAG" call --proxy 127.0.0.1
expect_status 64 "unknown flow" "$MEMDIAG" call --proxy 127.0.0.1:9 \
    --mix ok,dance
expect_status 64 "bad --mode" "$MEMDIAG" call --proxy 127.0.0.1:9 \
    --mode sideways
expect_status 64 "--calls 0" "$MEMDIAG" call --proxy 127.0.0.1:9 --calls 0
expect_status 64 "--user without --password-file" "$MEMDIAG" call \
    --proxy 127.0.0.1:9 --user memdiag
expect_status 66 "password file unreadable" "$MEMDIAG" call \
    --proxy 127.0.0.1:9 --user memdiag --password-file "$T_TMP/none"

# Nobody listens: the OPTIONS gets no answer, memdiag gives up after its
# application timeout (3 s; ICMP may end it sooner), not Timer F's 32 s.
port=$(kam_free_udp_port)
start=$(date +%s)
expect_status 69 "OPTIONS to a port nobody listens on" \
    "$MEMDIAG" call --proxy "127.0.0.1:$port" --calls 1
check "69 within 5 s" eval '[ $(( $(date +%s) - start )) -le 5 ]'
check "the error names the proxy" grep -q "127.0.0.1:$port does not answer" \
    "$T_TMP/err"

kam_start busy "$CFG" -A REPLY_503
P=127.0.0.1:$KAM_PORT
expect_status 1 "a proxy that answers 503" \
    "$MEMDIAG" call --proxy "$P" --calls 6 --rate 100 --mix ok,message \
    --json
check "INVITEs failed with 503, MESSAGEs completed" \
    eval '[ "$(jqv ".failed[\"503\"]")" = 3 ] &&
    [ "$(jqv ".flows.ok.failed[\"503\"]")" = 3 ] &&
    [ "$(jqv .flows.message.completed)" = 3 ] &&
    [ "$(jqv .completed)" = 3 ] && [ "$(jqv .timeout)" = 0 ]'
check "no latency without a 200" eval '[ "$(jqv .latency_ms.max)" = null ]'
kam_stop

kam_start noise "$CFG"
P=127.0.0.1:$KAM_PORT
"$MEMDIAG" call --proxy "$P" --calls 40 --rate 40 --json >"$T_TMP/noisy" \
    2>"$T_TMP/noisy.err" &
md=$!
sleep 0.3
# Datagrams to memdiag's socket from other ports: the kernel keeps them
# out (the socket is connected to the proxy), the calls go on.
ports=$(ss -Hunp | awk -v pid="pid=$md," '$0 ~ pid {print $3}' |
    sed 's/.*://')
check "memdiag's UDP socket is found" test -n "$ports"
for p in $ports; do
	for i in 1 2 3 4 5; do
		env printf 'garbage %s\r\n\r\n' "$i" >"/dev/udp/127.0.0.1/$p"
		env printf 'SIP/2.0 200 OK\r\nCall-ID: x\r\n\r\n' \
		    >"/dev/udp/127.0.0.1/$p"
	done
done
# INVITEs for calls memdiag never placed, relayed by the proxy: counted,
# logged once, dropped.
for i in 1 2 3 4 5; do
	env printf '%s\r\n' "INVITE sip:x@127.0.0.1:${ports%% *} SIP/2.0" \
	    "Via: SIP/2.0/UDP 127.0.0.1:9;branch=z9hG4bKnoise$i;rport" \
	    "From: <sip:noise@127.0.0.1>;tag=n$i" "To: <sip:x@127.0.0.1>" \
	    "Call-ID: noise-$i-$$" "CSeq: 1 INVITE" "Max-Forwards: 70" \
	    "Content-Length: 0" "" >"/dev/udp/127.0.0.1/$KAM_PORT"
done
rc=0
wait "$md" || rc=$?
cp "$T_TMP/noisy" "$T_TMP/out"
check "strangers' datagrams do not disturb the calls" \
    eval '[ "$rc" = 0 ] && [ "$(jqv .completed)" = 40 ]'
check "unexpected INVITEs are counted" \
    eval '[ "$(jqv ".dropped[\"unexpected request\"]")" -ge 5 ]'
check "and logged once" \
    eval '[ "$(grep -c "dropped unexpected request" "$T_TMP/noisy.err")" = 1 ]'
kam_stop

finish
