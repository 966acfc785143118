#!/bin/sh
# memdiag.conf(5) is lint-clean and documents exactly the keys of
# conf_keys[] (the loader's table), each in its section (global or target)
# with the range the loader checks.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/lib/common.sh"
command -v mandoc >/dev/null || skip "mandoc is not installed"
page=$top_srcdir/man/memdiag.conf.5
keys=$top_builddir/tests/tools/conf_keys
[ -x "$keys" ] || { fail "$keys not built"; finish; }

check "mandoc -T lint is clean" sh -c "mandoc -T lint -W warning '$page' >'$T_TMP/lint' 2>&1; test ! -s '$T_TMP/lint' || { cat '$T_TMP/lint'; false; }"

# "KEY SECTION" for every .It Ic in the page's two key lists, and each
# entry's text (to its next .It) on one line in $T_TMP/text/KEY
mkdir "$T_TMP/text"
awk -v dir="$T_TMP/text" '
	/^\.Ss Global keys/ { sec = "global"; next }
	/^\.Ss Target keys/ { sec = "target"; next }
	/^\.S[sh] / { sec = ""; key = ""; next }
	sec != "" && /^\.It Ic / { key = $3; print key, sec; next }
	key != "" { printf "%s ", $0 >> (dir "/" key) }
' "$page" | sort >"$T_TMP/page-keys"
"$keys" | awk '{ print $1, $2 }' | sort >"$T_TMP/table-keys"
check "conf_keys[] has keys" test -s "$T_TMP/table-keys"

while read -r key sec; do
	check "the page documents $key among the $sec keys" \
	    grep -qx "$key $sec" "$T_TMP/page-keys"
done <"$T_TMP/table-keys"
while read -r key sec; do
	check "the page's $key ($sec) is a key of conf_keys[]" \
	    grep -qx "$key $sec" "$T_TMP/table-keys"
done <"$T_TMP/page-keys"

# numbers: the range the loader checks is the one the page states
"$keys" | awk 'NF > 2 { print $1; print $3, $4, $5 }' >"$T_TMP/ranges"
check "conf_keys[] has numbers" test -s "$T_TMP/ranges"
while read -r key && read -r range; do
	check "the page gives $key's range as $range" \
	    grep -qsF "$range" "$T_TMP/text/$key"
done <"$T_TMP/ranges"

# the example installed as /etc/memdiag/memdiag.conf sets only real keys
check "etc/memdiag.conf loads" sh -c '"$1" "$2" >/dev/null' sh \
    "$top_builddir/tests/tools/conf_drive" "$top_srcdir/etc/memdiag.conf"
finish
