#!/bin/bash
# memdiag's binrpc client against kamcmd, on a real Kamailio with ctl on a
# unix stream, a unix datagram, a udp and a tcp socket: the same RPCs must
# print the same thing (kamcmd's layout), faults and dead sockets must end
# in one clear line and the right exit status, and a ctl that accepts and
# never answers (its process stopped) must time out on time.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/lib/common.sh"
. "$top_srcdir/tests/lib/kam.sh"

command -v kamcmd >/dev/null || skip "kamcmd is not installed"

UDP_PORT=$(kam_free_udp_port)
TCP_PORT=$UDP_PORT
while [ "$TCP_PORT" = "$UDP_PORT" ]; do TCP_PORT=$(kam_free_udp_port); done
DGRAM=$T_TMP/ctld.sock
kam_start rpc "$top_srcdir/tests/lib/proxy.cfg" -m 32 -M 4 \
    -A "CTLSOCK2=\"udp:127.0.0.1:$UDP_PORT\"" \
    -A "CTLSOCK3=\"unixd:$DGRAM\"" \
    -A "CTLSOCK4=\"tcp:127.0.0.1:$TCP_PORT\"" || exit 1

# kamcmd waits forever for a reply that does not come
kc() { timeout 5 kamcmd "$@"; }

# Numbers that move between two calls (the ctl process's own pkg, shm
# bookkeeping) are masked; everything else must match byte for byte.
mask() {
	sed -E 's/^(	(used|free|real_used|max_used|fragments|total_frags): )[0-9]+$/\1N/'
}

# same ADDR exact|mask RPC [ARGS...]: memdiag rpc and kamcmd print the same
same() {
	local addr=$1 filter=$2 got=0
	shift 2
	T_COUNT=$((T_COUNT + 1))
	"$MEMDIAG" rpc --rpc "$addr" "$@" >"$T_TMP/ours" 2>"$T_TMP/err" ||
	    got=$?
	kc -s "$addr" "$@" >"$T_TMP/theirs" 2>&1 || true
	if [ "$filter" = mask ]; then
		mask <"$T_TMP/ours" >"$T_TMP/a"
		mask <"$T_TMP/theirs" >"$T_TMP/b"
	else
		cp "$T_TMP/ours" "$T_TMP/a"
		cp "$T_TMP/theirs" "$T_TMP/b"
	fi
	if [ "$got" != 0 ]; then
		fail "$addr $*: status $got"
		sed 's/^/    stderr: /' "$T_TMP/err"
	elif [ ! -s "$T_TMP/b" ]; then
		fail "$addr $*: kamcmd printed nothing"
	elif cmp -s "$T_TMP/a" "$T_TMP/b"; then
		ok "$addr $*: same as kamcmd ($(wc -l <"$T_TMP/a") lines)"
	else
		fail "$addr $*: differs from kamcmd"
		diff "$T_TMP/a" "$T_TMP/b" | head -5
	fi
}

for addr in "$KAM_CTL" "udp:127.0.0.1:$UDP_PORT" "unixd:$DGRAM" \
    "tcp:127.0.0.1:$TCP_PORT"; do
	same "$addr" mask core.shmmem
	same "$addr" mask pkg.stats
	same "$addr" exact core.psx
	same "$addr" exact tm.stats
	same "$addr" exact cfg.get core memlog
	same "$addr" exact core.version
done
same "$KAM_CTL" exact mod.mem_stats tm shm
same "$KAM_CTL" exact mod.mem_stats core shm
same "$KAM_CTL" mask mod.mem_stats all pkg
same "$KAM_CTL" exact system.listMethods

# JSON view: one array of top-level values, structs as objects
expect_status 0 "core.shmmem --json" \
    "$MEMDIAG" rpc --rpc "$KAM_CTL" --json core.shmmem
check "core.shmmem --json has real_used" \
    grep -Eq '^    "real_used": [0-9]+,$' "$T_TMP/out"
check "core.shmmem --json is an array" \
    sh -c "head -1 '$T_TMP/out' | grep -qx '\['"

# cfg.set_now_int through memdiag, read back through kamcmd, restored
orig=$("$MEMDIAG" rpc --rpc "$KAM_CTL" cfg.get core memlog)
new=$((orig == 3 ? 2 : 3))
expect_status 0 "cfg.set_now_int core memlog $new" \
    "$MEMDIAG" rpc --rpc "$KAM_CTL" cfg.set_now_int core memlog "$new"
check "kamcmd reads memlog $new back" \
    test "$(kc -s "$KAM_CTL" cfg.get core memlog)" = "$new"
expect_status 0 "cfg.set_now_int core memlog $orig (restore, over udp)" \
    "$MEMDIAG" rpc --rpc "udp:127.0.0.1:$UDP_PORT" cfg.set_now_int \
    core memlog "$orig"
check "kamcmd reads memlog $orig back" \
    test "$(kc -s "$KAM_CTL" cfg.get core memlog)" = "$orig"

# faults: 65 and one line naming socket, method and Kamailio's reason
for addr in "$KAM_CTL" "unixd:$DGRAM"; do
	expect_status 65 "$addr: unknown method" \
	    "$MEMDIAG" rpc --rpc "$addr" core.nosuchthing
	check "$addr: unknown method says so" grep -q \
	    "^memdiag: $addr: core.nosuchthing: no such command (500 command core.nosuchthing not found)" \
	    "$T_TMP/err"
done
expect_status 65 "module not loaded (dialog)" \
    "$MEMDIAG" rpc --rpc "$KAM_CTL" dlg.stats_active
expect_status 65 "400 not readable" \
    "$MEMDIAG" rpc --rpc "$KAM_CTL" cfg.get tm fr_timer
check "400 comes through" grep -q \
    "cfg.get: error 400: Variable exists, but it is not readable" "$T_TMP/err"

# the datagram client removes its reply socket
mkdir "$T_TMP/replies"
expect_status 0 "unixd call with TMPDIR set" \
    env TMPDIR="$T_TMP/replies" "$MEMDIAG" rpc --rpc "unixd:$DGRAM" core.psx
check "reply socket removed" test -z "$(ls -A "$T_TMP/replies")"

# unreachable: 69
expect_status 69 "no socket there" \
    "$MEMDIAG" rpc --rpc "unix:$T_TMP/nothing.sock" core.shmmem
check "says cannot connect" grep -q \
    "unix:$T_TMP/nothing.sock: core.shmmem: cannot connect: No such file" \
    "$T_TMP/err"
expect_status 64 "bad spelling" "$MEMDIAG" rpc --rpc "sctp:x" core.shmmem

# a ctl that accepts and never answers: stop the ctl handler process;
# the kernel still accepts connections for it
CTL_PID=$(kc -s "$KAM_CTL" core.psx | awk '
    /PID:/ { pid = $2 } /DSC: ctl handler/ { print pid }')
if [ -n "$CTL_PID" ]; then
	kill -STOP "$CTL_PID"
	t_on_exit "kill -CONT $CTL_PID 2>/dev/null"
	t0=$(date +%s%N)
	expect_status 69 "hung ctl: stream" \
	    "$MEMDIAG" rpc --rpc "$KAM_CTL" --timeout 1 core.shmmem
	t1=$(date +%s%N)
	check "timeout error names socket and method" grep -qx \
	    "memdiag: $KAM_CTL: core.shmmem: timed out after 1.0 s" \
	    "$T_TMP/err"
	check "timed out in 1 s ($(( (t1 - t0) / 1000000 )) ms)" \
	    test $(( (t1 - t0) / 1000000 )) -ge 950 -a \
	    $(( (t1 - t0) / 1000000 )) -lt 3000
	expect_status 69 "hung ctl: datagram" \
	    "$MEMDIAG" rpc --rpc "unixd:$DGRAM" --timeout 0.5 core.shmmem
	check "datagram timeout" grep -q "timed out after 0.5 s" "$T_TMP/err"
	kill -CONT "$CTL_PID"
	expect_status 0 "answers again once resumed" \
	    "$MEMDIAG" rpc --rpc "$KAM_CTL" core.shmmem
else
	fail "no ctl handler in core.psx"
fi

# a peer that closes without answering (needs socat; optional)
if command -v socat >/dev/null; then
	socat UNIX-LISTEN:"$T_TMP/close.sock" SYSTEM:true &
	spid=$!
	t_on_exit "kill $spid 2>/dev/null"
	for i in $(seq 1 50); do
		[ -S "$T_TMP/close.sock" ] && break
		sleep 0.05
	done
	expect_status 69 "peer closes" \
	    "$MEMDIAG" rpc --rpc "unix:$T_TMP/close.sock" core.shmmem
	check "says closed" grep -q "connection closed by the proxy" \
	    "$T_TMP/err"
fi
finish
