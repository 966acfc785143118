#!/bin/bash
# A full disk and a read-only disk under the state directory: saving a
# diagnosis fails with one line naming the file and the reason, the
# program does not crash, the diagnoses saved before stay whole, no
# temporary file is left behind, and saving works again once there is
# room. The disk is a 160 KiB tmpfs in a mount namespace of the test's
# own, so nothing outside sees it and it goes away with the test.
if [ "${HISTORY_DISK_NS:-}" != 1 ]; then
	unshare --mount --propagation private true 2>/dev/null ||
	    { echo "SKIP: cannot make a mount namespace (unshare -m)"; exit 77; }
	HISTORY_DISK_NS=1 exec unshare --mount --propagation private \
	    bash "$0" "$@"
fi
. "${top_srcdir:-$(dirname "$0")/../..}/tests/lib/common.sh"
command -v jq >/dev/null || skip "jq is not installed"

DRIVE=$top_builddir/tests/tools/history_drive
S=$T_TMP/disk
mkdir "$S"
mount -t tmpfs -o size=160k,mode=0700 memdiag-test "$S" ||
    skip "cannot mount a tmpfs"
t_on_exit "umount -l '$S' 2>/dev/null"
D=$S/history/edge

# one night saved while there is room
night() {	# night N: the leak fixture, N days later
	jq --argjson d "$1" '.timeline.start += $d * 86400' \
	    "$FIXTURES/diag/leak.json" >"$T_TMP/night$1.json"
}
night 0
check "a diagnosis saved while there is room" \
    sh -c "'$DRIVE' save '$S' edge '$T_TMP/night0.json' 10 >'$T_TMP/saved'"
first=$(jq -r .json "$T_TMP/saved")
cp "$first" "$T_TMP/first.json"
cp "$D/floors.svg" "$T_TMP/floors.svg"

# fill the disk
dd if=/dev/zero of="$S/fill" bs=4k 2>/dev/null || true
echo "free after filling: $(df -k --output=avail "$S" | tail -1) KiB"
night 1
st=0
"$DRIVE" save "$S" edge "$T_TMP/night1.json" 10 >"$T_TMP/out" 2>&1 || st=$?
echo "full disk: status $st: $(cat "$T_TMP/out")"
check "full disk: an error, not a crash (status 1)" test "$st" = 1
check "full disk: one line" test "$(wc -l <"$T_TMP/out")" = 1
check "full disk: names the file under the state directory" \
    grep -q "^$D/.*: No space left on device$" "$T_TMP/out"
check "full disk: the earlier diagnosis is whole" cmp "$first" "$T_TMP/first.json"
check "full disk: floors.svg is whole" cmp "$D/floors.svg" "$T_TMP/floors.svg"
check "full disk: no temporary file left" \
    test -z "$(find "$S/history" -name '.*' -print)"
check "full disk: only the first night on disk" \
    test "$(ls "$D"/*.json | wc -l)" = 1

# room again
rm "$S/fill"
check "room again: saved" "$DRIVE" save "$S" edge "$T_TMP/night1.json" 10
check "room again: two nights" test "$(ls "$D"/*.json | wc -l)" = 2
check "room again: both parse" jq -e -s 'length == 2' "$D"/*.json

# read-only
mount -o remount,ro "$S"
night 2
st=0
"$DRIVE" save "$S" edge "$T_TMP/night2.json" 10 >"$T_TMP/out" 2>&1 || st=$?
echo "read-only: status $st: $(cat "$T_TMP/out")"
check "read-only: an error, not a crash (status 1)" test "$st" = 1
check "read-only: names the reason" grep -q "^$D.*: Read-only file system$" "$T_TMP/out"
umount "$S"
finish
