#!/bin/bash
# memdiag acts on the files runs leave in its run and state directories
# (a gate's open command, settings to restore on the proxy): only on its
# own. A gate state file another user planted, or one anybody may write,
# is left alone and its command never runs; a lock file that is a
# symlink is refused, and the file it points to is not truncated.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/lib/common.sh"
. "$top_srcdir/tests/lib/kam.sh"
[ "$(id -u)" = 0 ] || skip "needs root to plant another user's file"
id nobody >/dev/null 2>&1 || skip "no user nobody"

R=$T_TMP/run
S=$T_TMP/state
mkdir -m 700 "$R" "$S"
plant() {	# FILE: a gate state file whose open command leaves a mark
	cat >"$1" <<EOT
{"owner_pid": 999999, "owner_starttime": 1, "watchdog_pid": 999998,
 "watchdog_starttime": 1, "open": ["/bin/sh", "-c", "touch $T_TMP/ran"],
 "timeout": 5}
EOT
}

plant "$R/gate-hook-999999-1.json"
chown nobody "$R/gate-hook-999999-1.json"
expect_status 69 "cleanup with another user's gate file in the run dir: left alone" \
    "$MEMDIAG" cleanup --run-dir "$R" --state-dir "$S"
check "its command did not run" test ! -e "$T_TMP/ran"
check "it says why, naming the owner" grep -q \
    "gate-hook-999999-1.json: owned by uid [0-9]*, mode 0644: not memdiag's own" \
    "$T_TMP/err"
check "and leaves the file" test -e "$R/gate-hook-999999-1.json"

chown root "$R/gate-hook-999999-1.json"
chmod 666 "$R/gate-hook-999999-1.json"
expect_status 69 "cleanup with a gate file anybody may write: left alone" \
    "$MEMDIAG" cleanup --run-dir "$R" --state-dir "$S"
check "its command did not run" test ! -e "$T_TMP/ran"

rm "$R/gate-hook-999999-1.json"
ln -s "$T_TMP/elsewhere.json" "$R/gate-hook-999999-1.json"
plant "$T_TMP/elsewhere.json"
"$MEMDIAG" cleanup --run-dir "$R" --state-dir "$S" >/dev/null 2>&1 || true
check "a symlinked gate file is not followed" test ! -e "$T_TMP/ran"

rm "$R/gate-hook-999999-1.json"
plant "$R/gate-hook-999999-1.json"
chmod 600 "$R/gate-hook-999999-1.json"
expect_status 0 "memdiag's own dead run's gate file" \
    "$MEMDIAG" cleanup --run-dir "$R" --state-dir "$S"
check "its open command runs" test -e "$T_TMP/ran"

# a lock that is a symlink to a file of value
kam_start trust "$top_srcdir/tests/lib/proxy.cfg"
st=$(awk '{ print $22 }' "/proc/$KAM_PID/stat")
echo "precious" >"$T_TMP/victim"
ln -s "$T_TMP/victim" "$R/kamailio-$KAM_PID-$st.lock"
expect_status 77 "a lock file that is a symlink: refused" "$MEMDIAG" dump \
    --target "$KAM_PID" --pool shm --state-dir "$S" --run-dir "$R"
check "the file it points to is intact" grep -qx precious "$T_TMP/victim"
sed 's/^/    /' "$T_TMP/err" | tail -2
finish
