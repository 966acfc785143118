#!/bin/bash
# Every diagnosis scenario (tests/lib/scenario.sh) on every allocator:
# qm, fm and tlsf, shm (-x) and pkg (-X) alike (make check-full). Each
# asserts the verdict, the top suspect, bytes per call within 10 % of the
# leaking site's growth in the proxy's own summaries, memlog restored, no
# gate left, and no allocation failure caused by memdiag's own calls.
# Under tlsf, Kamailio 5.6's pkg.stats never moves: the pkg leak must be
# found from the dumps. MATRIX_ALLOCS and MATRIX_SCENARIOS narrow it.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/lib/common.sh"
. "$top_srcdir/tests/lib/kam.sh"
. "$top_srcdir/tests/lib/scenario.sh"
command -v jq >/dev/null || skip "jq is not installed"
command -v bc >/dev/null || skip "bc is not installed"

for alloc in ${MATRIX_ALLOCS:-qm fm tlsf}; do
	for name in ${MATRIX_SCENARIOS:-$(scen_list)}; do
		scen_run "$name" "$alloc"
		[ "$SCEN_OK" = 1 ] || sed 's/^/    memdiag: /' \
		    "$T_TMP/$name-$alloc.err" | tail -15
	done
done
finish
