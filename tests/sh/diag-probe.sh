#!/bin/bash
# memdiag's own traffic never travels further than the proxy it tests.
# A proxy that relays every request to its Request-URI, its own address
# included (no "OPTIONS to myself" branch), once looped memdiag's OPTIONS
# through itself ten times per probe and exhausted a small pool: the ping
# now carries Max-Forwards 0 and any answer, 483 included, proves the
# proxy alive. Test calls that the proxy routes on (here: back through
# itself first) reach memdiag through two proxies: they are refused and
# the diagnosis stops, inconclusive, naming why. A memory error on one of
# memdiag's own calls (Debian's log_prefix names the Call-ID) stops it at
# once.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/lib/common.sh"
. "$top_srcdir/tests/lib/kam.sh"
command -v jq >/dev/null || skip "jq is not installed"

tm_total() { kam_rpc tm.stats | awk '$1 == "total:" { print $2 }'; }
diag() {
	"$MEMDIAG" --target "$KAM_PID" --state-dir "$T_TMP/s" \
	    --run-dir "$T_TMP/r" --json "$@"
}

# --- the ping: answered, and no transaction made of it ---
kam_start loop "$top_srcdir/tests/lib/proxy.cfg" -m 4 -A NO_KEEPALIVE
t0=$(tm_total)
expect_status 0 "a passive look at a proxy that relays OPTIONS to itself" \
    diag --passive --observe 0 -v -v
check "the ping made no transaction ($t0 -> $(tm_total))" \
    test "$(tm_total)" = "$t0"
check "the ping was answered 483 at the first hop" \
    grep -q "OPTIONS to .*: 483" "$T_TMP/err"
kam_stop

# --- test calls that take two proxy hops: refused, the run stops ---
kam_start twice "$top_srcdir/tests/lib/proxy.cfg" -A RELAY_TWICE
expect_status 3 "calls routed on through a second hop: inconclusive" \
    diag --gate none --calls 10 --settle 1 -v
check "the reason names the two proxies" jq -e \
    '.reason | test("crossed 2 proxies")' "$T_TMP/out"
no_calls() { ! grep -q -- "-> CALLS" "$T_TMP/err"; }
check "it stopped before any round of calls" no_calls
kam_stop

# --- a memory error on memdiag's own call stops it at once ---
# the pool is not out of memory at the start (8 % free), but each call
# keeps ~20 KB: the first round runs it out
kam_start full "$top_srcdir/tests/lib/proxy.cfg" -m 4 -A STOCK_LOG \
    -A NEARFULL -A LEAK_BIG
big=$(head -c 30000 /dev/zero | tr '\0' x)
shm_free() { kam_rpc core.shmmem | awk '$1 == "free:" { print $2 }'; }
i=0
while [ "$(shm_free)" -gt 360000 ] && [ $i -lt 400 ]; do
	i=$((i + 1))
	kam_rpc htable.sets fill "b$i" "$big" >/dev/null 2>&1 || break
done
echo "    filled: $(shm_free) bytes of shm free"
expect_status 3 "its own call failed for memory: inconclusive" \
    diag --gate none --calls 40 --settle 1 -v
check "the reason says its own traffic failed to get memory" jq -e \
    '.reason | test("failed to allocate .* memdiag.s own test traffic")' \
    "$T_TMP/out"
tag=$(grep -o 'md[0-9a-f]\{8\}-[0-9]*' "$T_TMP/err" | head -1 | cut -d- -f1)
n=$(grep -c "$tag.*\(alloc\|memory\)" "$KAM_LOG" || true)
echo "    the proxy logged $n memory errors on memdiag's calls ($tag)"
check "some, and few: it placed no call after the first failure" \
    test "$n" -ge 1 -a "$n" -le 20

finish
