#!/bin/bash
# memdiag --target on the harder cases, on qm (make check-full; every
# allocator: tests/sh/diag-matrix.sh): a pkg leak in the UDP workers (which
# worker takes a call is the kernel's choice, so the workers are judged
# together); memory an htable timer holds for 15-20 s, longer than the
# settle window, which QUIET reads from the proxy's configuration and
# waits out, so it is healthy, never a leak; a pool too small for a burst
# that exhausted it. The pkg leak used to come out inconclusive under CPU
# load, its shm floor holding tm's transactions: QUIET now waits for tm's
# wait timer and for the transactions to drain before a floor counts.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/lib/common.sh"
. "$top_srcdir/tests/lib/kam.sh"
. "$top_srcdir/tests/lib/scenario.sh"
command -v jq >/dev/null || skip "jq is not installed"
command -v bc >/dev/null || skip "bc is not installed"

for name in pkgleak held small; do
	scen_run "$name" qm
	[ "$SCEN_OK" = 1 ] || sed 's/^/    memdiag: /' "$T_TMP/$name-qm.err" |
	    tail -15
done
finish
