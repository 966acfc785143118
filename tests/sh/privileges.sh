#!/bin/bash
# The least memdiag needs, tested: a Kamailio that runs as its own user
# (as Debian's unit runs it) is fully usable by memdiag running as that
# same user and nothing more, and a user without those rights gets one
# line naming the missing right and the fix, never a half-done action.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/lib/common.sh"
. "$top_srcdir/tests/lib/kam.sh"
[ "$(id -u)" = 0 ] || skip "needs root to create test users"
command -v setpriv >/dev/null || skip "setpriv (util-linux) is not installed"
command -v useradd >/dev/null || skip "useradd is not installed"

KU=memdiag-t-kam
OU=memdiag-t-op
for u in $KU $OU; do
	id "$u" >/dev/null 2>&1 || useradd -r -M -s /usr/sbin/nologin "$u" ||
	    skip "cannot create user $u"
done
as() { local u=$1; shift; setpriv --reuid="$u" --regid="$u" --clear-groups "$@"; }

chmod 755 "$T_TMP"
kam_prepare priv
chown "$KU:" "$KAM_DIR"
# Kamailio drops to its user after start-up; its ctl socket is 0600
kamailio -DD -E -f "$top_srcdir/tests/lib/proxy.cfg" -Y "$KAM_DIR" \
    -P "$KAM_PIDFILE" -u "$KU" -g "$KU" -A "CTLSOCK=\"$KAM_CTL\"" \
    -A "LPORT=$KAM_PORT" -A STOCK_LOG -m 16 -M 4 >"$KAM_LOG" 2>&1 &
KAM_PID=$!
kam_wait_ready
check "the ctl socket is the proxy user's, mode 0600" \
    test "$(stat -c %U:%a "$KAM_DIR/ctl.sock")" = "$KU:600"

# no rights at all: refused, with the right and the fix named
expect_status 77 "another user cannot inspect it" as $OU "$MEMDIAG" inspect --target "$KAM_PID"
check "names /proc/PID/exe and CAP_SYS_PTRACE" grep -q "exe.*CAP_SYS_PTRACE" "$T_TMP/err"
expect_status 69 "another user cannot reach its RPC" as $OU "$MEMDIAG" rpc --rpc "$KAM_CTL" core.version
check "names the socket's rights and the fix" grep -q "Permission denied (run memdiag as the proxy's user" "$T_TMP/err"
expect_status 77 "another user cannot take a dump" as $OU "$MEMDIAG" dump --target "$KAM_PID" \
    --state-dir "$T_TMP/op-state" --run-dir "$T_TMP/op-run"
check "and nothing was changed on the proxy" test "$(kam_rpc cfg.get core memlog)" = 5

# exactly the proxy's rights: everything works
mkdir -p "$T_TMP/state" "$T_TMP/run"
chown "$KU:" "$T_TMP/state" "$T_TMP/run"
expect_status 0 "the proxy's user can inspect it" as $KU "$MEMDIAG" inspect --json --target "$KAM_PID"
check "every process may be signalled" jq -e '[.main, .children[]] | all(.signal_ok)' "$T_TMP/out"
expect_status 0 "the proxy's user can take every dump" as $KU "$MEMDIAG" dump --json \
    --target "$KAM_PIDFILE" --state-dir "$T_TMP/state" --run-dir "$T_TMP/run"
check "every process answered" jq -e '[.processes[] | .path] | all(. != "none")' "$T_TMP/out"
check "memlog restored" test "$(kam_rpc cfg.get core memlog)" = 5
finish
