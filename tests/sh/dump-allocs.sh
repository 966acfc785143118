#!/bin/bash
# memdiag dump under each allocator Kamailio offers for both pools
# (-x/-X fm, tlsf; qm is dump-cmd.sh's): every process's dump complete,
# shm equal to core.shmmem, the main process's pkg equal to pkg.stats,
# and every summary adding up to its own used.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/lib/common.sh"
. "$top_srcdir/tests/lib/kam.sh"
command -v jq >/dev/null || skip "jq is not installed"

for alloc in fm tlsf; do
	kam_start "$alloc" "$top_srcdir/tests/lib/proxy.cfg" -m 16 -M 4 \
	    -x "$alloc" -X "$alloc" -A STOCK_LOG -A CHILDREN=2
	nproc=$(kam_rpc core.psx | grep -c '^	PID:')
	shm=$(kam_rpc core.shmmem | awk '$1 == "used:" { print $2 }')
	mainpkg=$(kam_rpc pkg.stats | awk -v p="$KAM_PID" '$1 == "pid:" { cur = $2 } $1 == "used:" && cur == p { print $2 }')
	expect_status 0 "$alloc: dump" "$MEMDIAG" dump --json --target "$KAM_PID" \
	    --state-dir "$T_TMP/state" --run-dir "$T_TMP/run"
	J=$T_TMP/$alloc.json
	cp "$T_TMP/out" "$J"
	check "$alloc: allocator recognised" jq -e --arg a "$alloc" '[.dumps[] | .allocator == $a] | all' "$J"
	check "$alloc: one complete dump per process, plus shm" jq -e --argjson n "$nproc" '([.dumps[] | select(.complete)] | length) == $n + 1' "$J"
	check "$alloc: shm equals core.shmmem" jq -e --argjson u "$shm" '[.dumps[] | select(.pool == "shm")][0].used == $u' "$J"
	check "$alloc: main pkg equals pkg.stats" jq -e --argjson u "$mainpkg" --argjson p "$KAM_PID" '[.dumps[] | select(.pool == "pkg" and .pid == $p)][0].used == $u' "$J"
	check "$alloc: sites add up to used" jq -e '[.dumps[] | select(.used != null) | ([.sites[].bytes] | add) == .used] | all' "$J"
	check "$alloc: memlog restored" test "$(kam_rpc cfg.get core memlog)" = 5
	kam_stop
done
finish
