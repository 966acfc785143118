#!/bin/bash
# The layers of daemon/ (Makefile.am's map): no include that points up or
# sideways, none without its folder, no two modules that include each
# other, and no symbol used from a layer above; then the same checker on
# copies with one fault planted each, which it must name.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/lib/common.sh"

checker=$top_srcdir/tests/tools/layers.py
lib=$top_builddir/daemon/libmemdiag.a
command -v python3 >/dev/null || skip "python3 is not installed"
[ -f "$lib" ] || skip "$lib is not built"

check "the tree keeps its layers (includes and symbols)" \
    python3 "$checker" "$top_srcdir/daemon" "$lib"

# plant FILE LINE: a copy of daemon/ with LINE appended to FILE; the
# checker must fail and print MESSAGE
planted() {
	local file=$1 line=$2 want=$3
	rm -rf "$T_TMP/d"
	cp -r "$top_srcdir/daemon" "$T_TMP/d"
	printf '%s\n' "$line" >>"$T_TMP/d/$file"
	if python3 "$checker" "$T_TMP/d" >"$T_TMP/faults"; then
		echo "    not found: $line in $file"
		return 1
	fi
	grep -qF -- "$want" "$T_TMP/faults" ||
	    { sed 's/^/    said: /' "$T_TMP/faults"; return 1; }
}
check "a planted upward include is named" planted core/verdict.c \
    '#include "engine/diag.h"' 'core/verdict.c:'
check "... as pointing up" planted core/verdict.c \
    '#include "engine/diag.h"' 'points up (core -> engine)'
check "a neighbour's include is named" planted gate/gate.c \
    '#include "calls/call.h"' 'points sideways (gate -> calls)'
check "an include without its folder is named" planted proxy/rpc.c \
    '#include "xmalloc.h"' 'names no folder'
check "two modules that include each other are named" planted \
    report/trend.h '#include "report/chart.h"' \
    'include cycle: report/chart -> report/trend -> report/chart'

# a symbol used from above: two objects built here, in an archive whose
# members are named as automake names them
symbol_planted() {
	rm -rf "$T_TMP/s"
	mkdir -p "$T_TMP/s/daemon/core" "$T_TMP/s/daemon/face"
	echo 'void face_thing(void); void core_thing(void) { face_thing(); }' \
	    >"$T_TMP/s/daemon/core/planted_core.c"
	echo 'void face_thing(void) {}' >"$T_TMP/s/daemon/face/planted_face.c"
	(cd "$T_TMP/s" &&
	    cc -c daemon/core/planted_core.c -o daemon_libmemdiag_a-planted_core.o &&
	    cc -c daemon/face/planted_face.c -o daemon_libmemdiag_a-planted_face.o &&
	    ar cr lib.a daemon_libmemdiag_a-planted_core.o \
	    daemon_libmemdiag_a-planted_face.o) || return 1
	if python3 "$checker" "$T_TMP/s/daemon" "$T_TMP/s/lib.a" \
	    >"$T_TMP/faults"; then
		return 1
	fi
	grep -qF "planted_core.c (core) uses face_thing from planted_face.c (face)" \
	    "$T_TMP/faults" || { cat "$T_TMP/faults"; return 1; }
}
check "a symbol used from a layer above is named" symbol_planted

finish
