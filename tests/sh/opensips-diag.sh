#!/bin/bash
# make check-full: the gated diagnosis of a real OpenSIPS (3.6.8 and 4.0.1, built from
# ../shared/targets once per machine; skipped, saying why, without them),
# driven over its MI as Kamailio's over binrpc: test calls through it in
# rounds, its floors from get_statistics (shmem:, pkmem:, tm:), its dumps
# by mem_shm_dump/mem_pkg_dump. Under Q_MALLOC_DBG: a healthy proxy is
# healthy (status 0) with every floor back to the byte; a cachedb_local
# entry per INVITE is an shm leak (status 2) named at its site, with its
# bytes per call within 10 % of what shmem:used_size says it grew by; a
# script variable growing in the SIP workers is a pkg leak (status 2) of
# the SIP receivers, set_var_value named. Then, in a network namespace
# this test makes, the nft gate: a user gets no answer while memdiag's
# own calls complete, and the gate is gone afterwards. Under the default
# allocator (no site information) the leak is still a leak of the pool,
# and the report says to start it with -a Q_MALLOC_DBG to name the site.
# A pool a burst ran out of before the run, whose floors come back, is
# too small (status 1), with -m advised. OSIPS_VERSIONS and
# OSIPS_SCENARIOS narrow it.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/lib/common.sh"
. "$top_srcdir/tests/lib/opensips.sh"
. "$top_srcdir/tests/lib/netns.sh"
command -v jq >/dev/null || skip "jq is not installed"

CALLS=${DIAG_CALLS:-40}
diag() {	# WANT WHAT [memdiag args]
	local want=$1 what=$2
	shift 2
	expect_status "$want" "$v $what: status $want" "$MEMDIAG" --target \
	    "$OSIPS_PID" --calls "$CALLS" --settle 3 --state-dir "$T_TMP/s" \
	    --run-dir "$T_TMP/r" --json "$@"
	jq -c '{verdict, reason}' "$T_TMP/out" | cut -c1-300 | sed 's/^/    /'
}
no_alloc_failure() {
	! grep -Ei "no more (shm|pkg)|out of memory|not enough free" "$OSIPS_LOG"
}
shm_used() {
	osips_mi get_statistics '{"statistics":["used_size"]}' |
	    jq '.result["shmem:used_size"]'
}
J=$T_TMP/out

ran=0
for v in ${OSIPS_VERSIONS:-3.6.8 4.0.1}; do
	osips_use "$v" || continue
	ran=1
	for s in ${OSIPS_SCENARIOS:-healthy shm pkg gated small nodbg}; do
		case $s in
		healthy)
			osips_start healthy -a Q_MALLOC_DBG -m 16 -M 4
			diag 0 healthy --gate none
			check "$v healthy: every pool healthy" jq -e \
			    '.verdict == "healthy" and (.pools | all(.verdict == "healthy"))' "$J"
			check "$v healthy: three rounds, N N 2N, all completed" \
			    jq -e --argjson n "$CALLS" '.pools[0] |
			    ([.rounds[].calls] == [$n, $n, 2 * $n]) and
			    ([.rounds[].failed] | all(. == 0))' "$J"
			check "$v healthy: shm floors the same after every round" \
			    jq -e '[.pools[0].rounds[].settled_used] | unique | length == 1' "$J"
			check "$v healthy: the SIP receivers' pkg judged" jq -e \
			    '[.pools[] | select(.pool == "pkg") | .process] | index("SIP receiver") != null' "$J"
			check "$v healthy: OpenSIPS named, nothing to restore" \
			    jq -e '(.target.version | startswith("OpenSIPS")) and .settings_restored' "$J"
			check "$v healthy: no allocation failure" no_alloc_failure
			osips_stop ;;
		shm)
			osips_start shm -a Q_MALLOC_DBG -m 16 -M 4 -DWITH_SHM_LEAK
			before=$(shm_used)
			diag 2 "shm leak" --gate none
			sleep 1
			after=$(shm_used)
			calls=$(jq '[.pools[0].rounds[].calls] | add' "$J")
			# memdiag's probe call leaks one entry too
			echo "    shmem:used_size $before -> $after over $calls + 1 INVITEs"
			check "$v shm: the shm pool leaks, cachedb_local's insert first" \
			    jq -e '.verdict == "leak" and (.pools[0] | .pool == "shm" and
			    .verdict == "leak" and .suspects[0].func == "_lcache_htable_insert" and
			    .suspects[0].count_per_call == 1)' "$J"
			check "$v shm: bytes per call within 10% of shmem:used_size's growth" \
			    jq -e --argjson d "$((after - before))" --argjson n "$((calls + 1))" \
			    '.pools[0].bytes_per_call - $d / $n | fabs <= 0.1 * $d / $n' "$J"
			jq -c '.pools[] | select(.pool == "pkg" and .verdict != "healthy") |
			    {process, verdict, reason}' "$J" | cut -c1-300 | sed 's/^/    /'
			check "$v shm: no pkg pool leaks" jq -e \
			    '[.pools[] | select(.pool == "pkg" and .verdict == "leak")] | length == 0' "$J"
			check "$v shm: no allocation failure" no_alloc_failure
			osips_stop ;;
		pkg)
			osips_start pkg -a Q_MALLOC_DBG -m 16 -M 4 -DWITH_PKG_LEAK
			diag 2 "pkg leak" --gate none
			check "$v pkg: the SIP receivers' pkg leaks, set_var_value named" \
			    jq -e '[.pools[] | select(.verdict == "leak")] |
			    length == 1 and (.[0] | .pool == "pkg" and
			    .process == "SIP receiver" and
			    .suspects[0].func == "set_var_value")' "$J"
			check "$v pkg: shm healthy" jq -e \
			    '.pools[0] | .pool == "shm" and .verdict == "healthy"' "$J"
			osips_stop ;;
		gated)
			ns_new "gated-${v//./}"
			OSIPS_NS=$NS osips_start gated -a Q_MALLOC_DBG -m 16 -M 4 \
			    -DWITH_SHM_LEAK
			PROBE=$top_builddir/tests/tools/gate_probe
			user_ok() { ns_run "$PROBE" ask 127.0.0.3 "127.0.0.1:$OSIPS_PORT" 300; }
			user_blocked() { ! user_ok; }
			tables() { ns_run nft list tables | grep -c "memdiag_gate_" || true; }
			check "$v gated: a user gets answers before" user_ok
			ns_run "$MEMDIAG" --target "$OSIPS_PID" --gate nft \
			    --calls "$CALLS" --settle 3 --state-dir "$T_TMP/s" \
			    --run-dir "$T_TMP/r" --json >"$J" 2>"$T_TMP/gated.err" &
			md=$!
			t_on_exit "kill -KILL $md 2>/dev/null"
			for i in $(seq 1 300); do
				grep -q "PREFLIGHT -> QUIET" "$T_TMP/gated.err" 2>/dev/null && break
				sleep 0.1
			done
			check "$v gated: the gate is closed while it runs" test "$(tables)" = 1
			check "$v gated: a user gets no answer meanwhile" user_blocked
			got=0; wait "$md" || got=$?
			check "$v gated: verdict leak, status 2 (got $got)" test "$got" = 2
			check "$v gated: through the nft gate, every call completed" \
			    jq -e '.verdict == "leak" and .gate.backend == "nft" and
			    .gate.closed_s > 0 and ([.pools[0].rounds[].failed] | all(. == 0))' "$J"
			check "$v gated: the site named" jq -e \
			    '.pools[0].suspects[0].func == "_lcache_htable_insert"' "$J"
			check "$v gated: no gate left" test "$(tables)" = 0
			check "$v gated: a user gets answers after" user_ok
			osips_stop ;;
		small)
			# a burst before the run exhausts a 5 MB pool; an
			# operator comes once its transactions have gone
			osips_start small -a Q_MALLOC_DBG -m 5 -M 4
			"$MEMDIAG" call --proxy "127.0.0.1:$OSIPS_PORT" --calls 300 \
			    --rate 300 --concurrency 300 --timeout 10000 \
			    >/dev/null 2>&1 || true
			for i in $(seq 1 120); do
				[ "$(osips_mi get_statistics '{"statistics":["inuse_transactions"]}' |
				    jq '.result["tm:inuse_transactions"]')" = 0 ] && break
				sleep 0.5
			done
			check "$v small: the burst ran it out of shm" \
			    grep -Eqi "no more shm|not enough free shm|out of memory" "$OSIPS_LOG"
			diag 1 "pool too small" --gate none
			check "$v small: pool too small, -m advised above 5 MB" \
			    jq -e '.verdict == "pool-too-small" and
			    .recommendation.value > 5 and
			    (.recommendation.knob | test("-m [0-9]+"))' "$J"
			check "$v small: its test calls held no more than half the free shm" \
			    jq -e '.load.rate < 50' "$J"
			osips_stop ;;
		nodbg)
			osips_start nodbg -m 16 -M 4 -DWITH_SHM_LEAK
			diag 2 "default allocator, shm leak" --gate none
			check "$v nodbg: the shm pool leaks, no site, -a Q_MALLOC_DBG said" \
			    jq -e '.verdict == "leak" and (.pools[0] | .pool == "shm" and
			    .verdict == "leak") and (tostring | test("Q_MALLOC_DBG"))' "$J"
			osips_stop ;;
		esac
	done
done
[ "$ran" = 1 ] || skip "no OpenSIPS release built (../shared/targets)"
finish
