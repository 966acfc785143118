#!/bin/sh
# The man page is lint-clean and names every command and option the
# binary's usage lists.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/lib/common.sh"
command -v mandoc >/dev/null || skip "mandoc is not installed"
page=$top_srcdir/man/memdiag.8
check "mandoc -T lint is clean" sh -c "mandoc -T lint -W warning '$page' >'$T_TMP/lint' 2>&1; test ! -s '$T_TMP/lint' || { cat '$T_TMP/lint'; false; }"
mandoc -T ascii "$page" | sed 's/.\x08//g' >"$T_TMP/page.txt"
"$MEMDIAG" --help >"$T_TMP/usage" 2>&1
for word in $(grep -o -- '--[a-z-]*' "$T_TMP/usage" | sort -u) \
    $(awk '$1 == "memdiag" { print $2 }' "$T_TMP/usage" | grep -v '^-' | sort -u); do
	check "the man page names $word" grep -q -- "$word" "$T_TMP/page.txt"
done
finish
