# The diagnosis' scenarios against a real Kamailio, for tests/diag-*.sh
# and bench/verdict. Source tests/lib/common.sh and tests/lib/kam.sh first.
#
#   scen_run NAME ALLOC     start the proxy for scenario NAME under
#       allocator ALLOC (qm, fm, tlsf: shm -x and pkg -X), run memdiag
#       --target on it, check what the scenario must show, stop the proxy.
#       Sets SCEN_STATUS (memdiag's), SCEN_SECS (time to verdict),
#       SCEN_JSON (the report), SCEN_OK (1: every check passed).
#   scen_list               every scenario's name
#
# Scenarios (tests/lib/proxy.cfg's defines; all with Debian's stock
# log settings, memlog=5, which memdiag must lower and restore):
#   healthy   nothing kept                                  -> healthy
#   leak      an htable item per INVITE (520 B, 1 fragment) -> leak
#   grow      8 bytes per call, no new fragment             -> leak
#   grow1     1 byte per call, no new fragment              -> leak, or
#             inconclusive saying it is below what the run can see
#   pkgleak   the workers' pkg: $var grows by the Call-ID   -> leak
#   busy      an item per call answered 486 only, --mix busy -> leak
#   busyok    the same proxy with the default mix (all ok)  -> healthy
#   held      an item per call freed by htable's timer after 15-20 s,
#             longer than the settle window                 -> healthy
#   heldshort the same with --quiet-max 15, too short for the timer:
#             never a leak unqualified; inconclusive naming the timer the
#             config declares (or leak saying the timer could hold it)
#   small     a 4 MB pool a burst exhausted before the run  -> pool-too-small
#
# Each asserts the verdict, the top suspect, bytes per call within 10 %
# of the leaking site's growth in the proxy's own summaries (memdiag dump
# before and after), memlog restored, no gate left, and no allocation
# failure caused by memdiag's own calls.

SCEN_ALL="healthy leak grow grow1 pkgleak busy busyok held heldshort small"
scen_list() { echo "$SCEN_ALL"; }

# Kamailio's arguments for a scenario
scen_args() {
	case $1 in
	healthy) echo "-m 16 -M 4" ;;
	leak) echo "-m 16 -M 4 -A WITH_LEAK" ;;
	grow) echo "-m 16 -M 4 -A WITH_GROW" ;;
	grow1) echo "-m 16 -M 4 -A WITH_GROW -A 'GROW_STR=\"a\"'" ;;
	pkgleak) echo "-m 16 -M 4 -A WITH_PKG_LEAK" ;;
	busy|busyok) echo "-m 16 -M 4 -A WITH_BUSY_LEAK" ;;
	held|heldshort) echo "-m 16 -M 4 -A WITH_HELD" ;;
	small) echo "-m 4 -M 4" ;;
	esac
}

# memdiag --target's options per scenario: N calls per round
scen_opts() {
	case $1 in
	grow1) echo "--calls ${SCEN_CALLS_SLOW:-200}" ;;
	busy) echo "--calls ${SCEN_CALLS:-40} --mix busy" ;;
	small) echo "--calls 20" ;;
	heldshort) echo "--calls ${SCEN_CALLS:-40} --quiet-max 15" ;;
	# fm's pkg floors move by a few hundred bytes: rounds big enough
	pkgleak) echo "--calls ${SCEN_CALLS_PKG:-200}" ;;
	*) echo "--calls ${SCEN_CALLS:-40}" ;;
	esac
}

# what the scenario must end with: status verdict pool process func
scen_want() {
	case $1 in
	healthy|busyok|held) echo "0 healthy" ;;
	leak|busy) echo "2 leak shm - ht_cell_new" ;;
	grow|grow1) echo "2 leak shm - ht_cell_new" ;;
	pkgleak) echo "2 leak pkg udp-receiver set_var_value" ;;
	small) echo "1 pool-too-small" ;;
	heldshort) echo "3 inconclusive" ;;
	esac
}

# bytes held at FUNC in POOL, summed over every dump memdiag dump takes
scen_site_bytes() {
	local pool=$1 func=$2 out=$T_TMP/site.json
	"$MEMDIAG" dump --target "$KAM_PIDFILE" --pool "$pool" --json \
	    --state-dir "$T_TMP/state" --run-dir "$T_TMP/run" >"$out" 2>/dev/null ||
	    { echo -1; return; }
	jq --arg p "$pool" --arg f "$func" \
	    '[.dumps[] | select(.pool == $p) | .sites[] | select(.func == $f) | .bytes] | add // 0' "$out"
}

scen_failures() {
	grep -cE "could not allocate|no more shm|out of mem|Free fragment not found" \
	    "$KAM_LOG" || true
}

scen_check() {
	local what=$1; shift
	T_COUNT=$((T_COUNT + 1))
	if "$@" >/dev/null; then ok "$SCEN_TAG: $what"; else fail "$SCEN_TAG: $what"; SCEN_OK=0; fi
}

scen_run() {
	local name=$1 alloc=$2 want status verdict pool proc func t0 before
	local s0=0 s1 total truth kargs
	SCEN_TAG="${SCEN_PREFIX:-}$name/$alloc"
	SCEN_OK=1
	SCEN_JSON=$T_TMP/$name-$alloc.json
	# shellcheck disable=SC2046
	eval "kargs=($(scen_args "$name"))"
	kam_start "$name-$alloc" "$top_srcdir/tests/lib/proxy.cfg" \
	    "${kargs[@]}" -x "$alloc" -X "$alloc" -A STOCK_LOG ||
	    { fail "$SCEN_TAG: kamailio did not start"; SCEN_OK=0; return; }
	read -r status verdict pool proc func <<<"$(scen_want "$name")"
	if [ "$name" = small ]; then
		# a burst before the run exhausts the 4 MB pool
		"$MEMDIAG" call --proxy "127.0.0.1:$KAM_PORT" --calls 300 \
		    --rate 300 --concurrency 300 --timeout 10000 >/dev/null 2>&1 || true
		# an operator comes later: the burst's transactions are gone
		for i in $(seq 1 60); do
			kam_rpc tm.stats | grep -q "current: 0$" && break
			sleep 0.5
		done
	fi
	before=$(scen_failures)
	if [ -n "${func:-}" ]; then
		# one call first, so that what a leak allocates once (an
		# htable cell that later calls grow) is not counted per call
		"$MEMDIAG" call --proxy "127.0.0.1:$KAM_PORT" --calls 1 \
		    $(scen_opts "$name" | sed 's/--calls [0-9]*//') >/dev/null 2>&1 || true
		# the proxy's own summaries: the site before, and after
		s0=$(scen_site_bytes "$pool" "$func")
	fi
	t0=$(date +%s.%N)
	# shellcheck disable=SC2046
	"$MEMDIAG" --target "$KAM_PIDFILE" --gate none --settle 3 \
	    --state-dir "$T_TMP/state" --run-dir "$T_TMP/run" --json \
	    $(scen_opts "$name") >"$SCEN_JSON" 2>"$T_TMP/$name-$alloc.err" &&
	    SCEN_STATUS=0 || SCEN_STATUS=$?
	SCEN_SECS=$(echo "$(date +%s.%N) - $t0" | bc)
	echo "$SCEN_TAG: status $SCEN_STATUS in ${SCEN_SECS%.*} s: $(jq -r .reason "$SCEN_JSON" 2>/dev/null)"
	jq -c '.pools[] | select(.verdict != "healthy" or .pool == "shm" or
	    .process == "udp receiver") | {process, verdict, baseline_used,
	    floors: [.rounds[].settled_used]}' "$SCEN_JSON" 2>/dev/null | sed "s|^|$SCEN_TAG: |" || true
	if [ "$name" = heldshort ] && [ "$SCEN_STATUS" = 2 ] &&
	    jq -e '.reason | test("timer longer than the run")' "$SCEN_JSON" >/dev/null; then
		status=2 verdict=leak	# qualified: the timer could hold it
	fi
	if [ "$name" = grow1 ] && [ "$SCEN_STATUS" = 3 ] &&
	    jq -e '.reason | test("below what")' "$SCEN_JSON" >/dev/null; then
		# honest about a leak it cannot see: allowed
		status=3 verdict=inconclusive func=
	fi
	scen_check "status $status (got $SCEN_STATUS)" test "$SCEN_STATUS" = "$status"
	scen_check "verdict $verdict" jq -e --arg v "$verdict" '.verdict == $v' "$SCEN_JSON"
	scen_check "settings restored" jq -e '.settings_restored' "$SCEN_JSON"
	scen_check "memlog back to 5" test "$(kam_rpc cfg.get core memlog)" = 5
	scen_check "no gate left" sh -c "! ls '$T_TMP/run' 2>/dev/null | grep -q gate"
	scen_check "memdiag's calls caused no allocation failure" \
	    test "$(scen_failures)" = "$before"
	scen_check "quiet time reported per round" \
	    jq -e '.quiet.rounds | length >= 1 and all(. > 0)' "$SCEN_JSON"
	if [ -n "${func:-}" ]; then
		local sel='.pools[] | select(.pool == $p and .verdict == "leak")'
		[ "$pool" = pkg ] && sel='.pools[] | select(.pool == $p and .process == "udp receiver")'
		s1=$(scen_site_bytes "$pool" "$func")
		total=$(jq '[.pools[0].rounds[].calls] | add' "$SCEN_JSON")
		truth=$(echo "scale=3; ($s1 - $s0) / $total" | bc)
		echo "$SCEN_TAG: $func grew $s0 -> $s1 bytes over $total calls: $truth per call"
		scen_check "$pool leaks" jq -e --arg p "$pool" "$sel | .verdict == \"leak\"" "$SCEN_JSON"
		scen_check "top suspect $func" jq -e --arg p "$pool" --arg f "$func" \
		    "$sel | .suspects[0].func == \$f" "$SCEN_JSON"
		scen_check "bytes per call within 10% of the site's $truth" jq -e \
		    --arg p "$pool" --argjson t "$truth" \
		    "$sel | (.bytes_per_call - \$t) | fabs <= 0.1 * \$t" "$SCEN_JSON"
	fi
	case $name in
	grow|grow1)
		scen_check "no new fragment per call" jq -e \
		    '.pools[0].suspects[0].count_per_call == 0' "$SCEN_JSON" ;;
	leak)
		scen_check "one fragment per call" jq -e \
		    '.pools[0].suspects[0].count_per_call == 1' "$SCEN_JSON" ;;
	heldshort)
		scen_check "the timer is named and not waited for" jq -e \
		    '.quiet.timer.waited == false and (.reason | test("configuration declares|timer longer than the run"))' \
		    "$SCEN_JSON" ;;
	held)
		scen_check "htable's timer read from the config and waited out" \
		    jq -e '.quiet.timer.seconds == 20 and .quiet.timer.waited' "$SCEN_JSON" ;;
	small)
		scen_check "a larger pool recommended" jq -e '.recommendation.value > 4' "$SCEN_JSON"
		scen_check "test calls paced below the default" jq -e '.load.rate < 50' "$SCEN_JSON" ;;
	pkgleak)
		scen_check "shm back to its floor: tm's transactions waited out" \
		    jq -e '.pools[0].verdict == "healthy"' "$SCEN_JSON"
		if [ "$alloc" = tlsf ]; then
			scen_check "frozen pkg.stats seen, pkg judged from dumps" \
			    jq -e '.pkg_stats_frozen == true' "$SCEN_JSON"
		else
			scen_check "pkg.stats trusted" jq -e '.pkg_stats_frozen == false' "$SCEN_JSON"
		fi ;;
	esac
	kam_stop
}
