#!/bin/bash
# make check-full: the observed diagnosis (--observe) under the users'
# own traffic on qm, fm and tlsf: a leak per INVITE, a leak per REGISTER
# only (users that also register: named per REGISTER, or per INVITE or
# REGISTER when the two counts grew in step), 8 bytes per INVITE
# with no new fragment (and 1 byte over 15 minutes: grow1), a pkg leak
# in the workers, an item every call keeps for 15 s only (levels off:
# not a leak) or for 300 s, longer than the window (a declared timer may
# still free it: not yet a leak), a healthy proxy whose rate doubles
# mid-window, and a leaking proxy that has already run out of shm.
# LIVE_ALLOCS and LIVE_SCENARIOS choose a subset.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/lib/common.sh"
. "$top_srcdir/tests/lib/kam.sh"
command -v jq >/dev/null || skip "jq is not installed"

USERS=
MIX=ok
users() {	# RATE CALLS
	"$MEMDIAG" call --proxy "127.0.0.1:$KAM_PORT" --calls "$2" \
	    --rate "$1" --concurrency 60 --mix "$MIX" >/dev/null 2>&1 &
	t_on_exit "kill $! 2>/dev/null"
	USERS="$USERS $!"
}
stop_users() { kill $USERS 2>/dev/null || true; USERS=; }

# scenario ALLOC NAME: defines, window, expected status, checks
live() {
	local alloc=$1 name=$2 defs obs want
	MIX=ok
	case $name in
	leak) defs="-A WITH_LEAK"; obs=90; want=2 ;;
	register) defs="-A WITH_REGISTRAR -A WITH_REG_LEAK"; obs=90; want=2
		MIX=ok:4,register:1 ;;
	grow) defs="-A WITH_GROW"; obs=150; want=2 ;;
	grow1) defs="-A WITH_GROW -A GROW_STR=\"a\""; obs=900; want=2 ;;
	pkg) defs="-A WITH_PKG_LEAK"; obs=90; want=2 ;;
	held) defs="-A WITH_HELD"; obs=90; want=0 ;;
	heldlong) defs="-A WITH_HELD -A HELD_LONG"; obs=90; want=3 ;;
	double) defs=""; obs=90; want=0 ;;
	oom) defs="-A WITH_LEAK"; obs=60; want="2|3" ;;
	esac
	if [ "$name" = oom ]; then
		# 4 MB of shm: the leak fills it within a few minutes
		kam_start "$alloc-$name" "$top_srcdir/tests/lib/proxy.cfg" \
		    -x "$alloc" -m 4 $defs
		users 40 100000
		check "$alloc oom: the proxy fails to allocate shm" wait_for 600 \
		    grep -qi "no more shm\|not enough shm\|out of memory" \
		    "$KAM_LOG"
	else
		kam_start "$alloc-$name" "$top_srcdir/tests/lib/proxy.cfg" \
		    -x "$alloc" -m 64 $defs
		users 20 $((obs * 30))
	fi
	sleep 3
	if [ "$name" = double ]; then
		( sleep $((obs / 2))
		  "$MEMDIAG" call --proxy "127.0.0.1:$KAM_PORT" --calls \
		      $((obs * 15)) --rate 20 --concurrency 60 >/dev/null 2>&1
		) &
		t_on_exit "kill $! 2>/dev/null"
	fi
	expect_status "$want" "$alloc $name: status $want" "$MEMDIAG" \
	    --target "$KAM_PID" --passive --observe "$obs" \
	    --state-dir "$T_TMP/s" --run-dir "$T_TMP/r" --json
	jq -c '{verdict, reason}' "$T_TMP/out" | sed 's/^/    /'
	# each pool's verdict and first suspect, to read a failure by
	jq -c '.pools[] | {pool, process, verdict,
	    top: (.suspects[0] | if . then "\(.func) \(.bytes_per_request)
	    per \(.method)" else null end)}' "$T_TMP/out" 2>/dev/null |
	    cut -c1-200 | sed 's/^/      /'
	case $name in
	leak|grow)
		check "$alloc $name: the htable site first, per INVITE" jq -e \
		    '.pools[0].suspects[0] | (.func | test("ht_cell_new|ht_set_cell")) and .method == "INVITE"' \
		    "$T_TMP/out" ;;
	esac
	[ "$name" = register ] && check \
	    "$alloc register: the htable site first, per REGISTER (or both)" \
	    jq -e '.pools[0].suspects[0] | .func == "ht_cell_new" and
	        (.method == "REGISTER" or .or_method == "REGISTER")' \
	    "$T_TMP/out"
	[ "$name" = grow ] && check "$alloc grow: 8 bytes per INVITE, +-10 %" \
	    jq -e '.pools[0].suspects[0].bytes_per_request | . > 7.2 and . < 8.8' \
	    "$T_TMP/out"
	[ "$name" = grow1 ] && check "$alloc grow1: 1 byte per INVITE, +-10 %" \
	    jq -e '.pools[0].suspects[0] | (.func | test("ht_cell_new|ht_set_cell")) and
	        (.bytes_per_request | . > 0.9 and . < 1.1)' "$T_TMP/out"
	[ "$name" = pkg ] && check \
	    "$alloc pkg: the receivers' pkg leaks, set_var_value first" \
	    jq -e '[.pools[] | select(.pool == "pkg" and .verdict == "leak")]
	        | .[0] | .process == "udp receiver" and
	        .suspects[0].func == "set_var_value" and
	        .suspects[0].method == "INVITE"' "$T_TMP/out"
	[ "$name" = heldlong ] && check \
	    "$alloc heldlong: the 300 s autoexpire named, not a leak" \
	    jq -e '.reason | test("timer .* declares \\(30[0-9] s\\)")' "$T_TMP/out"
	[ "$name" = oom ] && check \
	    "$alloc oom: failures counted, the htable site first" \
	    jq -e '.allocation_failures.shm > 0 and
	        ((.pools[0].suspects[0].func // .holders[0].func) |
	        test("ht_cell_new"))' "$T_TMP/out"
	stop_users
	kam_stop
}

for alloc in ${LIVE_ALLOCS:-qm fm tlsf}; do
	for name in ${LIVE_SCENARIOS:-leak register grow grow1 pkg held heldlong double oom}; do
		live "$alloc" "$name"
	done
done
finish
