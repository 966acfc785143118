#!/bin/bash
# The passive diagnosis over a window (--observe): no gate, no test call,
# the users' own traffic as the load. Users here are memdiag's call
# engine at 20 calls/s through a real Kamailio. A leak per INVITE (an
# htable item per Call-ID) is named with its bytes per INVITE, within
# 10 % of the site's growth in the proxy's own dumps taken around the
# window; the same traffic without the leak is healthy with its
# sensitivity stated; no traffic is inconclusive, never healthy. memdiag's
# own CPU while it observes stays under 1 % of a core.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/lib/common.sh"
. "$top_srcdir/tests/lib/kam.sh"
command -v jq >/dev/null || skip "jq is not installed"

users() {	# CALLS: the users, in the background
	"$MEMDIAG" call --proxy "127.0.0.1:$KAM_PORT" --calls "$1" --rate 20 \
	    --concurrency 40 >"$T_TMP/users.out" 2>&1 &
	USERS=$!
	t_on_exit "kill $USERS 2>/dev/null"
	sleep 3
}
observe() {	# its CPU on the last line of stderr: "cpu USER SYS real REAL"
	local TIMEFORMAT='cpu %3U %3S real %3R'
	time "$MEMDIAG" --target "$KAM_PID" --passive --observe "$1" \
	    --state-dir "$T_TMP/s" --run-dir "$T_TMP/r" --json
}
invites() {
	kam_rpc stats.get_statistics rcv_requests_invite |
	    awk '{ print $NF }'
}
site_bytes() {	# the htable site's bytes in a dump of shm now
	"$MEMDIAG" dump --target "$KAM_PID" --pool shm --json \
	    --state-dir "$T_TMP/s" --run-dir "$T_TMP/r" 2>/dev/null |
	    jq '[.dumps[] | select(.pool == "shm") | .sites[] |
	        select(.func == "ht_cell_new") | .bytes] | add // 0'
}

# --- a leak per INVITE under steady traffic ---
kam_start leak "$top_srcdir/tests/lib/proxy.cfg" -A WITH_LEAK
users 3000
i0=$(invites); b0=$(site_bytes)	# the counters as the dump begins
expect_status 2 "a leak under the users' traffic: leak" observe 60
i1=$(invites); b1=$(site_bytes)
truth=$(echo "$b0 $b1 $i0 $i1" | awk '{ printf "%.2f", ($2 - $1) / ($4 - $3) }')
got=$(jq '.pools[0].suspects[0].bytes_per_request' "$T_TMP/out")
echo "    ht_cell_new: $got bytes per INVITE observed, $truth in the dumps"
check "the leaking site first, per INVITE" jq -e \
    '.pools[0].suspects[0] | .func == "ht_cell_new" and .method == "INVITE"' \
    "$T_TMP/out"
check "bytes per INVITE within 10 % of the dumps' ($got vs $truth)" \
    awk -v a="$got" -v b="$truth" 'BEGIN { exit !(b > 0 && (a - b) / b < 0.1 && (b - a) / b < 0.1) }'
check "the time to a full pool is given" jq -e \
    '.pools[0].seconds_to_full > 0' "$T_TMP/out"
check "the requests per method are counted" jq -e \
    '.pools[0].requests.INVITE > 500 and .observe_seconds >= 55' "$T_TMP/out"
check "no gate and no test call" grep -q "no gate, no test call" \
    "$T_TMP/err"
cpu=$(awk '$1 == "cpu" { printf "%.2f", 100 * ($2 + $3) / $5 }' "$T_TMP/err")
echo "    memdiag's own CPU while observing: $cpu % of a core ($(grep '^cpu' "$T_TMP/err"))"
# the target is the real binary's; ASan and UBSan (sanitize-full.sh)
# make every instruction several times dearer
limit=1
[ -n "${MEMDIAG_SANITIZED:-}" ] && limit=5
check "memdiag's own CPU under $limit % of a core ($cpu %)" awk -v c="$cpu" \
    -v l="$limit" 'BEGIN { exit !(c != "" && c < l) }'
kill "$USERS" 2>/dev/null || true
kam_stop

# --- the same traffic, no leak: healthy, and how sensitive ---
kam_start clean "$top_srcdir/tests/lib/proxy.cfg"
users 1500
expect_status 0 "no leak under the users' traffic: healthy" observe 40
# a suspect's own series, to tell a false leak's cause afterwards
jq -c '.pools[] | select(.suspects | length > 0) | {pool, process,
    inflight: .series.inflight, requests: .series.requests,
    bytes: .suspects[0].series, fragments: .suspects[0].fragments}' \
    "$T_TMP/out" 2>/dev/null | cut -c1-900 | sed 's/^/    /'
check "its sensitivity is stated" jq -e \
    '.reason | test("no site grew by more than [0-9.]+ bytes per INVITE over [0-9]+ INVITEs")' \
    "$T_TMP/out"
kill "$USERS" 2>/dev/null || true

# --- no traffic: nothing to judge from ---
sleep 6
expect_status 3 "no traffic: inconclusive, never healthy" observe 20
check "it says there was no traffic" jq -e \
    '.reason | test("no request reached the proxy")' "$T_TMP/out"

finish
