#!/bin/bash
# Slow (make check-full): memdiag call under valgrind memcheck, 100 calls
# of every flow through a real Kamailio, in registered mode with digest
# authentication and in direct mode, plus a proxy answering 503 and one
# that is not there: no memory error, nothing lost.

# shellcheck disable=SC2016 # jq filters are single-quoted on purpose
: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
. "$top_srcdir/tests/lib/common.sh"
. "$top_srcdir/tests/lib/kam.sh"

command -v kamailio >/dev/null || skip "kamailio is not installed"
command -v valgrind >/dev/null || skip "valgrind is not installed"
command -v jq >/dev/null || skip "jq is not installed"
[ -x "$MEMDIAG" ] || { echo "FAIL: $MEMDIAG is not built"; exit 1; }
CFG=$top_srcdir/tests/lib/proxy.cfg

jqv() { jq -r "$1" "$T_TMP/out"; }
# memcheck's own failure is 99, never a status memdiag uses
vg() {
	valgrind -q --leak-check=full --show-leak-kinds=definite,indirect \
	    --errors-for-leak-kinds=definite,indirect --error-exitcode=99 \
	    "$MEMDIAG" "$@"
}
echo secret >"$T_TMP/pw"

kam_start vgauth "$CFG" -A WITH_REGISTRAR -A WITH_AUTH -m 128
expect_status 0 "registered, digest, 100 calls of every flow" \
    vg call --proxy "127.0.0.1:$KAM_PORT" --mode registered \
    --user memdiag --password-file "$T_TMP/pw" --calls 500 --rate 200 \
    --concurrency 20 --mix ok,busy,cancel,register,message --json
check "all 500 completed" eval '[ "$(jqv .completed)" = 500 ]'
kam_stop

kam_start vgdirect "$CFG" -m 128
expect_status 0 "direct, 100 calls of every INVITE and MESSAGE flow" \
    vg call --proxy "127.0.0.1:$KAM_PORT" --calls 400 --rate 200 \
    --concurrency 20 --hold 20 --body-pad 500 \
    --mix ok,busy,cancel,message --json
check "all 400 completed" eval '[ "$(jqv .completed)" = 400 ]'
kam_stop

kam_start vg503 "$CFG" -A REPLY_503
expect_status 1 "503 answers" vg call --proxy "127.0.0.1:$KAM_PORT" \
    --calls 100 --rate 200 --json
check "100 failed with 503" eval '[ "$(jqv ".failed[\"503\"]")" = 100 ]'
kam_stop

expect_status 69 "nobody there" vg call --proxy "127.0.0.1:$(kam_free_udp_port)"
finish
