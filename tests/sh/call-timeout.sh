#!/bin/bash
# Slow (make check-full): a proxy that answers OPTIONS but swallows every
# other request. INVITE and MESSAGE end with Timer B and F, 64*T1 = 32 s
# after they were sent, counted as timeouts, not failures.

# shellcheck disable=SC2016 # jq filters are single-quoted on purpose
: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
. "$top_srcdir/tests/lib/common.sh"
. "$top_srcdir/tests/lib/kam.sh"

command -v kamailio >/dev/null || skip "kamailio is not installed"
command -v jq >/dev/null || skip "jq is not installed"
[ -x "$MEMDIAG" ] || { echo "FAIL: $MEMDIAG is not built"; exit 1; }

jqv() { jq -r "$1" "$T_TMP/out"; }

kam_start silent "$top_srcdir/tests/lib/proxy.cfg" -A NO_ANSWER
expect_status 1 "a proxy that never answers the calls" \
    "$MEMDIAG" call --proxy "127.0.0.1:$KAM_PORT" --calls 2 --rate 100 \
    --mix ok,message --json
check "both calls timed out, none failed" \
    eval '[ "$(jqv .timeout)" = 2 ] && [ "$(jqv .flows.ok.timeout)" = 1 ] &&
    [ "$(jqv .flows.message.timeout)" = 1 ] &&
    [ "$(jqv ".failed | length")" = 0 ]'
check "after Timer B/F (32 s), not before, not much after" \
    eval 'jq -e ".seconds >= 31.9 and .seconds <= 34" "$T_TMP/out" >/dev/null'
kam_stop
finish
