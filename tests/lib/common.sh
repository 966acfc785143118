# Shared helpers for memdiag's shell tests. Source it; it sets -eu.
set -eu

: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
: "${top_builddir:=$top_srcdir}"
: "${MEMDIAG:=$top_builddir/daemon/memdiag}"
: "${FIXTURES:=$top_srcdir/tests/fixtures}"

T_NAME=$(basename "$0" .sh)
T_FAILS=0
T_COUNT=0

skip() { echo "SKIP: $*"; exit 77; }
fail() { echo "FAIL: $*"; T_FAILS=$((T_FAILS + 1)); }
ok() { echo "ok: $*"; }

# check "what" CMD...: run CMD, count a failure if it fails
check() {
	local what=$1; shift
	T_COUNT=$((T_COUNT + 1))
	if "$@"; then ok "$what"; else fail "$what"; fi
}

# expect_status N "what" CMD...: memdiag's status compared explicitly
# (77 is automake's "skipped" and must never leak out as ours)
expect_status() {
	local want=$1 what=$2 got=0; shift 2
	T_COUNT=$((T_COUNT + 1))
	"$@" >"$T_TMP/out" 2>"$T_TMP/err" || got=$?
	# "2|3": either
	if case "|$want|" in *"|$got|"*) true ;; *) false ;; esac; then
		ok "$what (status $got)"
	else
		fail "$what: status $got, wanted $want"
		# the end says why; the verdict's reason, when it gave one
		tail -8 "$T_TMP/err" | sed 's/^/    stderr: /'
		grep -o '"reason": *"[^"]*"' "$T_TMP/out" 2>/dev/null |
		    head -3 | sed 's/^/    stdout: /' || true
	fi
}

# wait_for SECONDS CMD...: poll every 0.1 s until CMD succeeds
wait_for() {
	local n=$(( $1 * 10 )) i; shift
	for i in $(seq 1 "$n"); do
		"$@" && return 0
		sleep 0.1
	done
	return 1
}

finish() {
	if [ "$T_FAILS" -gt 0 ]; then
		echo "$T_NAME: $T_FAILS of $T_COUNT checks failed"
		exit 1
	fi
	echo "$T_NAME: all $T_COUNT checks passed"
	exit 0
}

T_TMP=$(mktemp -d "${TMPDIR:-/tmp}/memdiag-$T_NAME.XXXXXX")
t_cleanup_hooks=""
t_on_exit() { t_cleanup_hooks="$1; $t_cleanup_hooks"; }
t_exit_trap() {
	local rc=$?
	eval "$t_cleanup_hooks" || true
	rm -rf "$T_TMP"
	exit $rc
}
trap t_exit_trap EXIT
trap 'exit 130' INT TERM
