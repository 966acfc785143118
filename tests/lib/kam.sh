# Start and stop throwaway Kamailio instances for tests.
#
#   kam_start NAME CFG [kamailio args...]   start in the foreground (-DD -E)
#       with its own runtime dir, pid file, ctl socket and a free port on
#       127.0.0.1; sets KAM_PID, KAM_PORT, KAM_CTL (unix:PATH), KAM_DIR,
#       KAM_LOG (its stderr) and registers kam_stop for the test's exit.
#   kam_stop                                SIGTERM by PID, wait, SIGKILL
#   kam_rpc CMD [ARGS...]                   kamcmd against KAM_CTL
#   kam_free_udp_port                       print a free 127.0.0.1 UDP port
#
# KAM_TARGET=kamailio-X.Y.Z runs a release built from ../shared/targets
# (tests/lib/build-target.sh, once per machine) instead of Debian's; the
# test skips, saying why, where the tarball is absent.
#
# Source tests/lib/common.sh first. Never touches /run/kamailio.

# The kamailio binary to start: KAMAILIO.
kam_binary() {
	local prefix rc=0
	[ -n "${KAMAILIO:-}" ] && return 0
	if [ -z "${KAM_TARGET:-}" ]; then
		command -v kamailio >/dev/null ||
		    skip "kamailio is not installed"
		KAMAILIO=kamailio
		return 0
	fi
	prefix=$(bash "$top_srcdir/tests/lib/build-target.sh" "$KAM_TARGET") ||
	    rc=$?
	case $rc in
	0) KAMAILIO=$prefix/sbin/kamailio ;;
	77) skip "$KAM_TARGET: not built (no tarball in ../shared/targets)" ;;
	*) echo "FAIL: building $KAM_TARGET"; exit 1 ;;
	esac
}

kam_free_udp_port() {
	local port i
	for i in $(seq 1 200); do
		# not $RANDOM: dash has none, and every port would be 20000
		port=$(( $(od -An -N2 -tu2 /dev/urandom) % 30000 + 20000 ))
		if ! ss -Hlun "sport = :$port" 2>/dev/null | grep -q . &&
		   ! ss -Hltn "sport = :$port" 2>/dev/null | grep -q .; then
			echo "$port"
			return 0
		fi
	done
	return 1
}

# The names a test's Kamailio lives under (kam_start, kam_start_ns).
kam_prepare() {
	KAM_DIR=$(mktemp -d "$T_TMP/kam-$1.XXXXXX")
	KAM_PORT=$(kam_free_udp_port)
	KAM_CTL="unix:$KAM_DIR/ctl.sock"
	KAM_LOG=$KAM_DIR/kamailio.log
	KAM_PIDFILE=$KAM_DIR/kamailio.pid
}

# Wait until the Kamailio started as KAM_PID answers RPC.
kam_wait_ready() {
	local i
	t_on_exit kam_stop
	for i in $(seq 1 100); do
		if ! kill -0 "$KAM_PID" 2>/dev/null; then
			echo "kamailio exited at start:"; tail -20 "$KAM_LOG"
			return 1
		fi
		if [ -S "$KAM_DIR/ctl.sock" ] &&
		    kamcmd -s "$KAM_CTL" core.uptime >/dev/null 2>&1; then
			return 0
		fi
		sleep 0.1
	done
	echo "kamailio did not answer RPC within 10 s:"; tail -20 "$KAM_LOG"
	return 1
}

kam_start() {
	local name=$1 cfg=$2
	shift 2
	kam_binary
	kam_prepare "$name"
	"$KAMAILIO" -DD -E -f "$cfg" -Y "$KAM_DIR" -P "$KAM_PIDFILE" \
	    -A "CTLSOCK=\"$KAM_CTL\"" -A "LPORT=$KAM_PORT" "$@" \
	    >"$KAM_LOG" 2>&1 &
	KAM_PID=$!
	kam_wait_ready
}

# kam_start_syslog NAME DEV [kamailio args...]: like kam_start, but logging
# through syslog(3) (no -E, log_stderror=no) from a private mount namespace
# whose /dev is DEV, so that /dev/log is whatever the test binds at DEV/log.
kam_start_syslog() {
	local name=$1 dev=$2
	shift 2
	command -v kamailio >/dev/null || skip "kamailio is not installed"
	command -v unshare >/dev/null || skip "unshare is not installed"
	kam_prepare "$name"
	# shellcheck disable=SC2016
	unshare -m --propagation private bash -c '
		set -e
		dev=$1; shift
		for n in null zero random urandom full; do
			: >"$dev/$n"
			mount --bind "/dev/$n" "$dev/$n"
		done
		mount --rbind "$dev" /dev
		exec /usr/sbin/kamailio "$@"' kam-ns "$dev" -DD \
	    -Y "$KAM_DIR" -P "$KAM_PIDFILE" -A "CTLSOCK=\"$KAM_CTL\"" \
	    -A "LPORT=$KAM_PORT" -A LOG_SYSLOG "$@" >"$KAM_LOG" 2>&1 &
	KAM_PID=$!
	kam_wait_ready
}

kam_stop() {
	local i
	[ -n "${KAM_PID:-}" ] || return 0
	if kill -0 "$KAM_PID" 2>/dev/null; then
		kill -TERM "$KAM_PID" 2>/dev/null || true
		for i in $(seq 1 100); do
			kill -0 "$KAM_PID" 2>/dev/null || break
			sleep 0.1
		done
		kill -KILL "$KAM_PID" 2>/dev/null || true
	fi
	wait "$KAM_PID" 2>/dev/null || true
	KAM_PID=
}

kam_rpc() {
	kamcmd -s "$KAM_CTL" "$@"
}
