#!/bin/bash
# The tree again under ASan + UBSan (as .ci/run's sanitizer pass: its own
# out-of-tree build, --enable-asan --enable-ubsan --disable-hardening),
# then everything make check runs (unit tests, fuzz regressions, every
# end-to-end script against a real Kamailio: diagnosis, dumper, gate,
# calls, service) with that binary; SANITIZE_TESTS="..." runs fewer.
# Every sanitizer report goes to a file of its own (log_path); any such
# file, or any failing test, fails this one. (make check-full: about ten
# minutes.)
. "${top_srcdir:-$(dirname "$0")/../..}/tests/lib/common.sh"
command -v make >/dev/null || skip "make is not installed"
[ -x "$top_srcdir/configure" ] || skip "no configure script in $top_srcdir"

B=$T_TMP/build
SAN=$T_TMP/reports
mkdir -p "$B" "$SAN"
SANITIZE_TESTS=${SANITIZE_TESTS:-}
# a make of our own, not a job of the make that runs this test; make
# check's set (check-full's MEMDIAG_FULL would put valgrind around the
# sanitized binary)
unset MAKEFLAGS MFLAGS MAKELEVEL MAKEOVERRIDES MEMDIAG_FULL

t0=$(date +%s)
if ! (cd "$B" && "$top_srcdir/configure" -q --enable-asan --enable-ubsan \
    --disable-hardening && make -j2) >"$T_TMP/build.log" 2>&1; then
	tail -30 "$T_TMP/build.log"
	fail "the sanitizer build failed"
	finish
fi
echo "sanitizer build: $(( $(date +%s) - t0 )) s"
check "the sanitizer build has no warning" sh -c "! grep 'warning:' '$T_TMP/build.log'"

t0=$(date +%s)
got=0
# the reports of memdiag run as other users (tests/privileges*.sh) go
# where those users may write
chmod 755 "$T_TMP"
chmod 1777 "$SAN"
# LeakSanitizer stops the world with ptrace, which a process that has
# dropped its privileges (no longer dumpable) refuses: the privilege
# tests run under ASan and UBSan without leak detection, the rest with it
all=${SANITIZE_TESTS:-$(cd "$B" && make -s print-tests)}
leaky= priv=
for t in $all; do
	case $t in
	*/privileges*.sh) priv="$priv $t" ;;
	*) leaky="$leaky $t" ;;
	esac
done
sanitized() {	# LEAKS TESTS...
	local leaks=$1
	shift
	[ -n "$*" ] || return 0
	(cd "$B" && MEMDIAG_SANITIZED=1 \
	    ASAN_OPTIONS="detect_leaks=$leaks:log_path=$SAN/asan:log_exe_name=1" \
	    UBSAN_OPTIONS="print_stacktrace=1:log_path=$SAN/ubsan" \
	    LSAN_OPTIONS="suppressions=$top_srcdir/tests/lib/lsan.supp" \
	    make -j2 check TESTS="$*") >>"$T_TMP/check.log" 2>&1 || got=$?
}
sanitized 1 $leaky
sanitized 0 $priv
echo "tests under the sanitizers: $(( $(date +%s) - t0 )) s"
grep -E "^(PASS|FAIL|SKIP|ERROR|XPASS)|^# " "$T_TMP/check.log" || true
for f in $(grep -l -E "^(FAIL|ERROR)" "$B"/tests/*/*.log 2>/dev/null); do
	echo "---- $f"; tail -20 "$f"
done
check "every test passes with the sanitized binary (make: $got)" test "$got" = 0
check "nothing was skipped" sh -c "! grep -q '^SKIP' '$T_TMP/check.log'"
check "the end-to-end scripts ran" sh -c \
    "test \$(grep -c -E '^PASS: tests/sh/(diag-e2e|dump-cmd)' '$T_TMP/check.log') = 2"
for f in "$SAN"/*; do
	[ -e "$f" ] || continue
	echo "---- sanitizer report $f"; head -30 "$f"
done
check "no sanitizer report ($(ls "$SAN" | wc -l) files)" test -z "$(ls -A "$SAN")"
finish
