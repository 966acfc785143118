# Start and stop throwaway OpenSIPS instances for tests.
#
#   osips_start NAME [-DDEFINE[=VALUE]...] [opensips args...]
#       start tests/lib/opensips.cfg in the foreground (-F, logging to
#       stderr) with its own runtime dir (-w), pid file, MI datagram socket
#       and MI fifo, on a free port on 127.0.0.1. Arguments -DNAME[=VALUE]
#       (a capital after -D) are defines of opensips.cfg, passed to m4;
#       the others go to opensips, e.g. -a Q_MALLOC_DBG -m 16 -M 4.
#       Sets OSIPS_PID, OSIPS_PORT, OSIPS_DIR, OSIPS_LOG (its stderr),
#       OSIPS_MI (the datagram socket), OSIPS_FIFO, OSIPS_PIDFILE, and
#       registers osips_stop for the test's exit.
#       With OSIPS_NS set (tests/lib/netns.sh's NS), it runs inside that
#       network namespace (ip netns exec execs it: OSIPS_PID is its own).
#   osips_stop                      SIGTERM by PID, wait, SIGKILL
#   osips_use X.Y.Z                 pick (and build) the release to run
#   osips_mi CMD [PARAMS]           JSON-RPC over OSIPS_MI; PARAMS is JSON
#                                   (an object of named params), e.g.
#                                   osips_mi mem_shm_dump '{"log_level":2}';
#                                   prints the reply, fails on an error one
#                                   (4.0 names work too: mem:shm_dump)
#   osips_mi_fifo CMD [PARAMS]      the same over OSIPS_FIFO
#
# OSIPS_TARGET=opensips-X.Y.Z (default opensips-3.6.8) picks the release,
# built from ../shared/targets by tests/lib/build-target.sh once per
# machine; the test skips, saying why, where the tarball is absent.
# OPENSIPS and OSIPS_MPATH, when both set, name a build to use instead.
#
# Source tests/lib/common.sh first. Never touches /run or /var: every path
# is under T_TMP. Needs m4 (opensips.cfg's preprocessor) and python3 (MI).

: "${OSIPS_TARGET:=opensips-3.6.8}"

# The opensips binary and its module dir: OPENSIPS, OSIPS_MPATH.
osips_binary() {
	local prefix rc=0
	[ -n "${OPENSIPS:-}" ] && [ -n "${OSIPS_MPATH:-}" ] && return 0
	prefix=$(bash "$top_srcdir/tests/lib/build-target.sh" \
	    "$OSIPS_TARGET") || rc=$?
	case $rc in
	0)	OPENSIPS=$prefix/sbin/opensips
		OSIPS_MPATH=$prefix/lib/opensips/modules ;;
	77) skip "$OSIPS_TARGET: not built (no tarball in ../shared/targets)" ;;
	*) echo "FAIL: building $OSIPS_TARGET"; exit 1 ;;
	esac
	command -v m4 >/dev/null || skip "m4 is not installed"
	command -v python3 >/dev/null || skip "python3 is not installed"
}

# osips_use X.Y.Z: the release the next osips_start runs, built now if it
# is not yet; 1 (said, or failed as a check) where it cannot be: a test
# that loops over versions goes on to the next.
osips_use() {
	local rc=0
	export OSIPS_TARGET=opensips-$1
	unset OPENSIPS OSIPS_MPATH
	bash "$top_srcdir/tests/lib/build-target.sh" "$OSIPS_TARGET" \
	    >/dev/null 2>"$T_TMP/build.err" || rc=$?
	case $rc in
	0) return 0 ;;
	77) echo "skipped $OSIPS_TARGET: $(cat "$T_TMP/build.err")" ;;
	*) fail "$OSIPS_TARGET: $(cat "$T_TMP/build.err")" ;;
	esac
	return 1
}

osips_free_udp_port() {
	local port i
	for i in $(seq 1 200); do
		port=$(( $(od -An -N2 -tu2 /dev/urandom) % 30000 + 20000 ))
		if ! ss -Hlun "sport = :$port" 2>/dev/null | grep -q . &&
		   ! ss -Hltn "sport = :$port" 2>/dev/null | grep -q .; then
			echo "$port"
			return 0
		fi
	done
	return 1
}

# Wait until the OpenSIPS started as OSIPS_PID answers MI and says it is
# ready: the MI processes are forked first, the core status becomes
# "running" once every process is forked.
osips_wait_ready() {
	local i
	t_on_exit osips_stop
	for i in $(seq 1 150); do
		if ! kill -0 "$OSIPS_PID" 2>/dev/null; then
			echo "opensips exited at start:"; tail -20 "$OSIPS_LOG"
			return 1
		fi
		if [ -S "$OSIPS_MI" ] && osips_mi sr_get_status \
		    '{"group":"core"}' 2>/dev/null | grep -q '"Readiness":true'
		then
			return 0
		fi
		sleep 0.1
	done
	echo "opensips was not ready (MI) within 15 s:"; tail -20 "$OSIPS_LOG"
	return 1
}

osips_start() {
	local name=$1 a pp
	local -a args=()
	shift
	osips_binary
	OSIPS_DIR=$(mktemp -d "$T_TMP/osips-$name.XXXXXX")
	OSIPS_PORT=$(osips_free_udp_port)
	OSIPS_LOG=$OSIPS_DIR/opensips.log
	OSIPS_PIDFILE=$OSIPS_DIR/opensips.pid
	OSIPS_MI=$OSIPS_DIR/mi.sock
	OSIPS_FIFO=$OSIPS_DIR/mi.fifo
	# opensips runs -p's command itself, split at blanks (no shell)
	case $OSIPS_DIR$OSIPS_MPATH in
	*[[:space:]]*) skip "a blank in $OSIPS_DIR or $OSIPS_MPATH (opensips -p)" ;;
	esac
	pp="m4 -P -DLPORT=$OSIPS_PORT -DRUNDIR=$OSIPS_DIR -DMPATH=$OSIPS_MPATH"
	for a in "$@"; do
		case $a in
		-D[A-Z]*) pp+=" $a" ;;
		*) args+=("$a") ;;
		esac
	done
	${OSIPS_NS:+ip netns exec "$OSIPS_NS"} "$OPENSIPS" -F \
	    -f "$top_srcdir/tests/lib/opensips.cfg" -p "$pp" \
	    -w "$OSIPS_DIR" -P "$OSIPS_PIDFILE" ${args[@]+"${args[@]}"} \
	    >"$OSIPS_LOG" 2>&1 &
	OSIPS_PID=$!
	osips_wait_ready
}

osips_stop() {
	local i
	[ -n "${OSIPS_PID:-}" ] || return 0
	if kill -0 "$OSIPS_PID" 2>/dev/null; then
		# the main process stops its children and waits for them
		kill -TERM "$OSIPS_PID" 2>/dev/null || true
		for i in $(seq 1 100); do
			kill -0 "$OSIPS_PID" 2>/dev/null || break
			sleep 0.1
		done
		kill -KILL "$OSIPS_PID" 2>/dev/null || true
	fi
	wait "$OSIPS_PID" 2>/dev/null || true
	OSIPS_PID=
}

# osips_mi CMD [PARAMS-JSON]: one JSON-RPC request over the mi_datagram
# unix socket, the reply to a socket of our own bound in OSIPS_DIR.
osips_mi() {
	python3 - "$OSIPS_MI" "$OSIPS_DIR" "$@" <<'EOF'
import json, os, socket, sys
sock, rundir, method = sys.argv[1:4]
req = {"jsonrpc": "2.0", "method": method, "id": 1}
if len(sys.argv) > 4:
    req["params"] = json.loads(sys.argv[4])
me = os.path.join(rundir, "mi-reply.%d.sock" % os.getpid())
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(me)
s.settimeout(10)
try:
    s.sendto(json.dumps(req).encode(), sock)
    data = s.recv(1 << 20).decode()
finally:
    s.close()
    os.unlink(me)
print(data)
# a JSON-RPC error, or mi_datagram's own plain-text "400 Parse_error" /
# "500 Internal error" (e.g. a reply over 65457 bytes)
try:
    sys.exit(1 if "error" in json.loads(data) else 0)
except ValueError:
    sys.exit(1)
EOF
}

# osips_mi_fifo CMD [PARAMS-JSON]: the same over the mi_fifo fifo, whose
# request is ":REPLY_FIFO:" then the JSON-RPC text; REPLY_FIFO is a name
# (no "." nor "/") in the module's reply_dir (RUNDIR), made by us. OpenSIPS
# opens it non-blocking, 4 tries 80 ms apart: our reader is there first.
osips_mi_fifo() {
	local reply req rc=0 cat
	reply=reply_$$_$RANDOM
	req="{\"jsonrpc\":\"2.0\",\"method\":\"$1\",\"id\":1"
	[ $# -lt 2 ] || req+=",\"params\":$2"
	req+="}"
	mkfifo -m 600 "$OSIPS_DIR/$reply"
	timeout 10 cat "$OSIPS_DIR/$reply" &
	cat=$!
	printf ':%s:%s\n' "$reply" "$req" >"$OSIPS_FIFO"
	wait "$cat" || rc=1
	rm -f "$OSIPS_DIR/$reply"
	return $rc
}
