#!/bin/bash
# memdiag call against a Kamailio that challenges REGISTER (401) and
# INVITE and MESSAGE (407): digest answers with the right password, a
# clear failure without credentials or with a wrong password.

# shellcheck disable=SC2016 # jq filters are single-quoted on purpose
: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
. "$top_srcdir/tests/lib/common.sh"
. "$top_srcdir/tests/lib/kam.sh"

command -v kamailio >/dev/null || skip "kamailio is not installed"
command -v jq >/dev/null || skip "jq is not installed"
[ -x "$MEMDIAG" ] || { echo "FAIL: $MEMDIAG is not built"; exit 1; }
CFG=$top_srcdir/tests/lib/proxy.cfg

jqv() { jq -r "$1" "$T_TMP/out"; }
echo secret >"$T_TMP/pw"
echo wrong >"$T_TMP/bad"

kam_start auth "$CFG" -A WITH_REGISTRAR -A WITH_AUTH
P=127.0.0.1:$KAM_PORT

expect_status 0 "registered mode, every flow, with credentials" \
    "$MEMDIAG" call --proxy "$P" --mode registered --user memdiag \
    --password-file "$T_TMP/pw" --calls 10 --rate 100 \
    --mix ok,busy,cancel,register,message --json
check "every flow completed through the challenges" \
    eval '[ "$(jqv .completed)" = 10 ] && [ "$(jqv .placed)" = 10 ]'
check "the UAS's registration is removed" \
    eval '! kam_rpc ul.dump | grep -q "sip:.*@127.0.0.1:[0-9]"'

expect_status 0 "direct mode, INVITE and MESSAGE answer 407" \
    "$MEMDIAG" call --proxy "$P" --user memdiag \
    --password-file "$T_TMP/pw" --calls 4 --mix ok,message --json
check "direct calls completed" eval '[ "$(jqv .completed)" = 4 ]'

expect_status 1 "no credentials: calls fail with 407" \
    "$MEMDIAG" call --proxy "$P" --calls 3 --json
check "3 calls failed with 407" eval '[ "$(jqv ".failed[\"407\"]")" = 3 ]'

expect_status 1 "wrong password: calls fail with 407" \
    "$MEMDIAG" call --proxy "$P" --user memdiag \
    --password-file "$T_TMP/bad" --calls 2 --json
check "wrong password counted as 407" \
    eval '[ "$(jqv ".flows.ok.failed[\"407\"]")" = 2 ]'

expect_status 69 "registered mode without credentials: REGISTER refused" \
    "$MEMDIAG" call --proxy "$P" --mode registered --calls 1
check "the error says what to give" \
    grep -q 'answered the UAS.s REGISTER with 401: give --user' "$T_TMP/err"
kam_stop

finish
