#!/bin/bash
# memdiag call through a real Kamailio: every flow of --mix in direct mode
# (stateful relay to the Request-URI) and in registered mode (registrar
# and location lookup, as Debian's stock routing does), with the counts
# of each flow checked and the UAS's registration gone at the end.

# shellcheck disable=SC2016 # jq filters are single-quoted on purpose
: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
. "$top_srcdir/tests/lib/common.sh"
. "$top_srcdir/tests/lib/kam.sh"

command -v kamailio >/dev/null || skip "kamailio is not installed"
command -v jq >/dev/null || skip "jq is not installed"
[ -x "$MEMDIAG" ] || { echo "FAIL: $MEMDIAG is not built"; exit 1; }
CFG=$top_srcdir/tests/lib/proxy.cfg

jqv() { jq -r "$1" "$T_TMP/out"; }

# every_flow_completed FLOWS N: each flow placed N and completed N
every_flow_completed() {
	local f
	for f in $1; do
		[ "$(jqv ".flows.$f.placed")" = "$2" ] &&
		[ "$(jqv ".flows.$f.completed")" = "$2" ] &&
		[ "$(jqv ".flows.$f.failed | length")" = 0 ] &&
		[ "$(jqv ".flows.$f.timeout")" = 0 ] ||
		{ echo "    flow $f: $(jqv ".flows.$f")"; return 1; }
	done
}

kam_start direct "$CFG"
P=127.0.0.1:$KAM_PORT

expect_status 0 "direct: default flow (ok)" \
    "$MEMDIAG" call --proxy "$P" --calls 5 --rate 50 --json
check "direct: 5 ok calls completed, latency measured" \
    eval '[ "$(jqv .placed)" = 5 ] && [ "$(jqv .completed)" = 5 ] &&
    [ "$(jqv .mix)" = ok:1 ] && [ "$(jqv .latency_ms.p50)" != null ]'

for flow in ok busy cancel message; do
	expect_status 0 "direct: flow $flow alone" \
	    "$MEMDIAG" call --proxy "$P" --calls 3 --rate 100 --mix "$flow" \
	    --json
	check "direct: 3 $flow calls completed" every_flow_completed "$flow" 3
done

expect_status 0 "direct: weighted mix" \
    "$MEMDIAG" call --proxy "$P" --calls 40 --rate 200 --concurrency 8 \
    --mix ok:2,busy,cancel,message:4 --json
check "direct: the mix is spread by weight" \
    eval '[ "$(jqv .flows.ok.placed)" = 10 ] &&
    [ "$(jqv .flows.busy.placed)" = 5 ] &&
    [ "$(jqv .flows.cancel.placed)" = 5 ] &&
    [ "$(jqv .flows.message.placed)" = 20 ] && [ "$(jqv .completed)" = 40 ]'

expect_status 0 "direct: hold time and body padding" \
    "$MEMDIAG" call --proxy "$P" --calls 4 --rate 100 --hold 300 \
    --body-pad 2000 --mix ok,message --json
check "direct: held and padded calls completed" every_flow_completed \
    "ok message" 2

expect_status 0 "direct: text output" \
    "$MEMDIAG" call --proxy "$P" --calls 2 --mix ok,busy
check "direct: text names the flows" \
    grep -q 'placed 2, completed 2, failed 0, timeout 0' "$T_TMP/out"
kam_stop

kam_start registered "$CFG" -A WITH_REGISTRAR
P=127.0.0.1:$KAM_PORT
expect_status 0 "registered: every flow" \
    "$MEMDIAG" call --proxy "$P" --mode registered --calls 25 --rate 200 \
    --concurrency 5 --mix ok,busy,cancel,register,message --json
check "registered: 5 calls of each flow completed" every_flow_completed \
    "ok busy cancel register message" 5
check "registered: the UAS's and the flow's contacts are removed" \
    eval '! kam_rpc ul.dump | grep -q "sip:.*@127.0.0.1:[0-9]"'
# A contact on 127.0.0.1:PORT is not the proxy's own domain (its alias
# carries a port), so direct calls are relayed here too.
expect_status 0 "registered config: direct calls are relayed" \
    "$MEMDIAG" call --proxy "$P" --mode direct --calls 2 --json
kam_stop

finish
