#!/bin/sh
# Hostile config files: malformed syntax, wrong types, huge and
# negative numbers, empty, missing, a directory, a FIFO, binary junk, 10 MB,
# deep nesting, duplicate names, a missing required key, a world-readable
# password file. Each gives status 78 (66: cannot open) and one error line
# "FILE:LINE: message" ("FILE: ..." for 66), never a crash or a hang.
# Then the loader's fuzz corpus replays (under the sanitizers in an ASan
# build).
. "${top_srcdir:-$(dirname "$0")/../..}/tests/lib/common.sh"

bin=$top_builddir/tests/tools/conf_drive
[ -x "$bin" ] || { fail "$bin not built"; finish; }
fx=$FIXTURES/conf

# conf_rejects STATUS LINE FILE WHAT: conf_check FILE exits STATUS with
# exactly one line on stderr, "FILE:LINE: " (LINE "-": "FILE: ") + WHAT
conf_rejects() {
	local want=$1 line=$2 file=$3 what=$4 got=0 prefix
	T_COUNT=$((T_COUNT + 1))
	timeout 20 "$bin" "$file" >"$T_TMP/out" 2>"$T_TMP/err" || got=$?
	if [ "$line" = - ]; then prefix="$file: "; else prefix="$file:$line: "; fi
	if [ "$got" != "$want" ]; then
		fail "$(basename "$file"): status $got, wanted $want"
		head -5 "$T_TMP/err" | sed 's/^/    stderr: /'
	elif [ "$(wc -l <"$T_TMP/err")" -ne 1 ]; then
		fail "$(basename "$file"): not one line on stderr"
		head -5 "$T_TMP/err" | sed 's/^/    stderr: /'
	elif ! grep -qF -- "$prefix$what" "$T_TMP/err"; then
		fail "$(basename "$file"): wanted \"$prefix$what\", got \"$(cat "$T_TMP/err")\""
	else
		ok "$(basename "$file"): $(cat "$T_TMP/err") (status $got)"
	fi
}

conf_rejects 78 6 "$fx/syntax.conf" "syntax error"
conf_rejects 78 4 "$fx/wrong-type.conf" "calls: expected an integer, not a string"
conf_rejects 78 4 "$fx/huge-float.conf" "quiet_max: 1e+300 is out of range (1 to 3600)"
conf_rejects 78 4 "$fx/huge-int.conf" "calls: 99999999999999999999 is out of range"
conf_rejects 78 4 "$fx/wrapping-int.conf" "calls: 4294967396 is out of range"
conf_rejects 78 4 "$fx/negative.conf" "gate_budget: -900 is out of range (10 to 86400)"
conf_rejects 78 1 "$fx/empty.conf" "no targets"
conf_rejects 78 1 "$fx/comments-only.conf" "no targets"
conf_rejects 78 4 "$fx/duplicate-names.conf" "name: \"edge\" is already the name of the target at line 2"
conf_rejects 78 2 "$fx/missing-target.conf" "target \"edge\": target (pid file, PID or systemd unit) is required"
conf_rejects 78 4 "$fx/unknown-key.conf" "unknown key \"alow_gate\""
conf_rejects 78 2 "$fx/include.conf" "@include is not supported"
conf_rejects 78 5 "$fx/hook-incomplete.conf" "gate \"hook\" needs both gate_hook_close and gate_hook_open"
conf_rejects 78 1 "$fx/metrics-any.conf" "metrics_listen: 0.0.0.0:9477 is not a loopback address"
conf_rejects 78 4 "$fx/mixed-array.conf" "mismatched element type in array"

# what cannot be opened, or is not a file
conf_rejects 66 - "$T_TMP/missing.conf" "cannot open: No such file or directory"
mkdir "$T_TMP/dir.conf"
conf_rejects 66 - "$T_TMP/dir.conf" "cannot open: a directory"
mkfifo "$T_TMP/fifo.conf"
conf_rejects 66 - "$T_TMP/fifo.conf" "cannot open: not a regular file"
conf_rejects 66 - /dev/zero "cannot open: not a regular file"

# binary junk: with NUL bytes, and without (every byte but NUL, twice)
awk 'BEGIN { srand(7); for (i = 0; i < 65536; i++) printf "%c", int(rand() * 256) }' \
    </dev/null >"$T_TMP/junk.conf"
printf 'targets = (\001\000\002' >"$T_TMP/nul.conf"
conf_rejects 78 1 "$T_TMP/nul.conf" "a NUL byte: not a text file"
LC_ALL=C awk 'BEGIN { for (r = 0; r < 2; r++) for (i = 1; i < 256; i++) printf "%c", i }' \
    </dev/null >"$T_TMP/bytes.conf"
conf_rejects 78 1 "$T_TMP/bytes.conf" "syntax error"
T_COUNT=$((T_COUNT + 1))
got=0; timeout 20 "$bin" "$T_TMP/junk.conf" 2>"$T_TMP/err" || got=$?
if [ "$got" = 78 ] && grep -q "^$T_TMP/junk.conf:[0-9]*: " "$T_TMP/err"; then
	ok "random junk: $(cat "$T_TMP/err") (status 78)"
else
	fail "random junk: status $got, $(cat "$T_TMP/err")"
fi

# 10 MB: refused before libconfig sees it
head -c 10485760 /dev/zero | tr '\0' '#' >"$T_TMP/big.conf"
conf_rejects 78 1 "$T_TMP/big.conf" "larger than 1048576 bytes: not a memdiag.conf"

# deep nesting: beyond libconfig's parser stack, and within it
awk 'BEGIN { printf "a = "; for (i = 0; i < 100000; i++) printf "("; for (i = 0; i < 100000; i++) printf ")"; print ";" }' \
    </dev/null >"$T_TMP/deep.conf"
conf_rejects 78 1 "$T_TMP/deep.conf" "memory exhausted"
awk 'BEGIN { printf "targets = ({ name = \"a\"; target = \"1\"; trigger = "; for (i = 0; i < 1000; i++) printf "{ x = "; printf "1"; for (i = 0; i < 1000; i++) printf "; }"; print "; });" }' \
    </dev/null >"$T_TMP/deep-groups.conf"
conf_rejects 78 1 "$T_TMP/deep-groups.conf" "unknown key \"trigger.x\" in a target"

# a password file group or others may read
echo s3cret >"$T_TMP/edge.secret"
chmod 644 "$T_TMP/edge.secret"
cat >"$T_TMP/password.conf" <<EOC
targets = (
  { name = "edge";
    target = "1";
    mode = "registered"; user = "memdiag";
    password_file = "$T_TMP/edge.secret";
  }
);
EOC
conf_rejects 78 5 "$T_TMP/password.conf" "password_file $T_TMP/edge.secret: mode 0644 lets group or others read or write it (chmod 600 it)"
chmod 600 "$T_TMP/edge.secret"
expect_status 0 "the same with mode 0600 loads" "$bin" "$T_TMP/password.conf"

# the commented example loads
expect_status 0 "etc/memdiag.conf loads" "$bin" "$top_srcdir/etc/memdiag.conf"

# the fuzz target over its corpus and every crash it found
replay=$top_builddir/tests/fuzz/replay_conf
crashes=$top_srcdir/tests/fuzz/crashes/conf
check "the conf fuzz corpus replays cleanly" "$replay" \
    "$top_srcdir/tests/fuzz/corpus/conf" $( [ -d "$crashes" ] && echo "$crashes")
finish
