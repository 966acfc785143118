#!/bin/bash
# memdiag --target when the disk under its state directory is full: a
# 64 KiB tmpfs, filled, in a private mount namespace (unshare -m), so
# nothing outside this test sees it. The safety rule: the original value
# of a proxy setting is on disk before the setting changes.
#  1. Debian's stock memlog (5 > debug 2): the dumps cannot be made
#     visible without lowering memlog, whose value cannot be saved: the
#     run is inconclusive (3), says in one line what it could not save,
#     and changes nothing on the proxy.
#  2. memlog already low and mem_summary already what memdiag asks for:
#     the shm dumps need no change and the diagnosis goes on; the
#     children's pkg dumps (mem_dump_pkg, which must be saved first) are
#     not taken, and the report says why.
# (make check-full: about half a minute.)
. "${top_srcdir:-$(dirname "$0")/../..}/tests/lib/common.sh"
. "$top_srcdir/tests/lib/kam.sh"
command -v jq >/dev/null || skip "jq is not installed"
command -v unshare >/dev/null || skip "unshare is not installed"
[ "$(id -u)" = 0 ] || skip "mounting a tmpfs needs root"
unshare -m --propagation private true 2>/dev/null ||
    skip "no private mount namespaces here"

S=$T_TMP/state
R=$T_TMP/run
mkdir -p "$S" "$R"

# full_run OUT: memdiag with the state directory on a full tmpfs; OUT gets
# the JSON, OUT.err stderr, OUT.rc the status, OUT.ls what the state
# directory held after the run (besides the filler).
full_run() {
	local out=$1
	shift
	# shellcheck disable=SC2016
	unshare -m --propagation private bash -c '
		S=$1; out=$2; shift 2
		mount -t tmpfs -o size=64k,mode=0750 memdiag-full "$S" || exit 99
		dd if=/dev/zero of="$S/fill" bs=4k 2>/dev/null
		echo x >"$S/probe" 2>/dev/null && exit 98	# not full
		rm -f "$S/probe"
		rc=0
		"$@" >"$out" 2>"$out.err" || rc=$?
		echo "$rc" >"$out.rc"
		ls -A "$S" | grep -v "^fill$" >"$out.ls" || true
		df -k "$S" | tail -1 >"$out.df"
	' full "$S" "$out" "$MEMDIAG" --target "$KAM_PIDFILE" --gate none \
	    --calls 20 --rounds 1 --settle 2 --quiet-max 20 --state-dir "$S" \
	    --run-dir "$R" --json "$@"
	local ns=$?
	[ "$ns" = 0 ] || { fail "the full tmpfs could not be set up ($ns)"; return 1; }
	echo "$out: status $(cat "$out.rc"); $(cat "$out.df")"
	grep -v "call md" "$out.err" | sed 's/^/    stderr: /' | tail -5
}
setting() { kam_rpc cfg.get core "$1"; }

# 1. memlog must be lowered: nothing may change
kam_start stock "$top_srcdir/tests/lib/proxy.cfg" -m 16 -M 4 -A STOCK_LOG ||
    { fail "kamailio"; finish; }
before="$(setting memlog) $(setting mem_summary) $(setting mem_dump_pkg) $(setting debug)"
O=$T_TMP/stock
full_run "$O" || finish
check "status 3 (inconclusive)" test "$(cat "$O.rc")" = 3
check "JSON: inconclusive, the reason names the state file and ENOSPC" jq -e \
    '.verdict == "inconclusive" and (.reason | test("cannot save the proxy.s settings")) and (.reason | test("No space left on device")) and (.reason | test("settings-kamailio-"))' "$O"
check "the last stderr line says what could not be saved" sh -c \
    "tail -1 '$O.err' | grep -q \"cannot save the proxy's settings before changing them: No space left\""
check "settings_restored (nothing to restore)" jq -e '.settings_restored' "$O"
after="$(setting memlog) $(setting mem_summary) $(setting mem_dump_pkg) $(setting debug)"
echo "memlog mem_summary mem_dump_pkg debug: before $before, after $after"
check "no setting changed ($after)" test "$before" = "$after"
check "no state file (nor temporary) left on the full disk" test ! -s "$O.ls"
check "the proxy printed no dump" sh -c "! grep -q 'Memory status' '$KAM_LOG'"
check "the proxy answers" sh -c "kamcmd -s '$KAM_CTL' core.uptime >/dev/null"
kam_stop

# 2. memlog already low (1), mem_summary already 31: the shm dumps go on
kam_start low "$top_srcdir/tests/lib/proxy.cfg" -m 16 -M 4 \
    -A MEM_SUMMARY=31 || { fail "kamailio"; finish; }
before="$(setting memlog) $(setting mem_summary) $(setting mem_dump_pkg) $(setting debug)"
O=$T_TMP/low
full_run "$O" || finish
rc=$(cat "$O.rc")
check "status is a verdict's (0-3), not an error (got $rc)" test "$rc" -le 3
check "JSON: the shm pool was measured at the baseline and after" jq -e \
    '.pools[] | select(.pool == "shm") | .baseline_used > 0 and (.rounds | length) == 1 and .rounds[0].completed == 20' "$O"
check "stderr says the children's pkg dumps were not taken, and why" \
    grep -q "cannot save the proxy's settings before changing them: .*No space left" "$O.err"
after="$(setting memlog) $(setting mem_summary) $(setting mem_dump_pkg) $(setting debug)"
echo "memlog mem_summary mem_dump_pkg debug: before $before, after $after"
check "no setting changed ($after)" test "$before" = "$after"
check "no state file (nor temporary) left on the full disk" test ! -s "$O.ls"
check "the proxy printed shm dumps" grep -q "Memory status (shm)" "$KAM_LOG"
finish
