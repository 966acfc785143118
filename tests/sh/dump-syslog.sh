#!/bin/bash
# memdiag dump when Kamailio logs through syslog(3), as Debian's unit runs
# it (no -E, log_stderror=no): Kamailio runs in a private mount namespace
# whose /dev/log is the datagram socket memdiag binds (--log syslog:PATH),
# the way rsyslog would forward to it. Every process's dump arrives in
# syslog form, with the PID only in the tag.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/lib/common.sh"
. "$top_srcdir/tests/lib/kam.sh"
[ "$(id -u)" = 0 ] || skip "needs root for a private mount namespace"
command -v jq >/dev/null || skip "jq is not installed"

DEV=$T_TMP/dev
mkdir -p "$DEV"
kam_start_syslog syslog "$DEV" -f "$top_srcdir/tests/lib/proxy.cfg" \
    -A STOCK_LOG -A CHILDREN=2 -m 16 -M 4

expect_status 0 "dump through a syslog socket" "$MEMDIAG" dump --json \
    --target "$KAM_PIDFILE" --log "syslog:$DEV/log" \
    --state-dir "$T_TMP/state" --run-dir "$T_TMP/run"
J=$T_TMP/dump.json
cp "$T_TMP/out" "$J"
nproc=$(kam_rpc core.psx | grep -c '^	PID:')
check "every process answered" jq -e --argjson n "$nproc" '(.processes | length) == $n and ([.processes[] | .path] | all(. != "none"))' "$J"
check "one complete dump per process, plus shm" jq -e --argjson n "$nproc" '([.dumps[] | select(.complete)] | length) == $n + 1' "$J"
check "PIDs from the syslog tag, no process numbers" jq -e '[.dumps[] | .pid > 0 and .process_no == null] | all' "$J"
check "sites add up to used" jq -e '[.dumps[] | select(.used != null) | ([.sites[].bytes] | add) == .used] | all' "$J"
check "memlog restored" test "$(kam_rpc cfg.get core memlog)" = 5
check "the socket is gone afterwards" test ! -e "$DEV/log"
finish
