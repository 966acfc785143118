#!/bin/bash
# The operator's first run: Debian's own kamailio.cfg, started
# the way Debian's kamailio.service starts it (a daemon running as user
# kamailio, logging to syslog, ctl socket and pid file in /run/kamailio),
# diagnosed with nothing but its pid file given. It runs inside private
# network and mount namespaces: their own loopback (the stock config
# listens on every address, so the host's 5060 is never in the way), their
# own /run (a tmpfs: /run/kamailio is the test's) and /dev (whose /dev/log
# is the socket of an rsyslogd of the test's own, writing a file in the
# test's directory). The host's /dev/log, /run/kamailio and ruleset are
# not touched. The default nft gate is used: the namespace's ruleset is
# the test's own.
#
# Then the journal-only machine, as far as it goes without a journald:
# with no syslog daemon and /dev/log pointing at journald's socket,
# discovery must choose the journal and say why.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/lib/common.sh"

KAMAILIO=/usr/sbin/kamailio
STOCK_CFG=/etc/kamailio/kamailio.cfg
PIDFILE=/run/kamailio/kamailio.pid
PY=/usr/bin/python3	# an ELF binary: its name becomes the comm

# stop_pid PID: SIGTERM, wait for it to be gone (SIGKILL after 10 s).
# Kamailio's main process is no child of ours (it daemonizes): poll.
stop_pid() {
	local pid=$1 i
	kill -0 "$pid" 2>/dev/null || return 0
	kill -TERM "$pid" 2>/dev/null || true
	for i in $(seq 1 100); do
		kill -0 "$pid" 2>/dev/null || return 0
		sleep 0.1
	done
	kill -KILL "$pid" 2>/dev/null || true
	for i in $(seq 1 50); do
		kill -0 "$pid" 2>/dev/null || return 0
		sleep 0.1
	done
}

if [ "${DIAG_DEBIAN_INNER:-}" != 1 ]; then
	[ "$(id -u)" = 0 ] || skip "needs root for private namespaces"
	for c in unshare rsyslogd jq kamcmd nft ip; do
		command -v "$c" >/dev/null || skip "$c is not installed"
	done
	[ -x "$KAMAILIO" ] && [ -r "$STOCK_CFG" ] ||
	    skip "Debian's kamailio package is not installed"
	id kamailio >/dev/null 2>&1 || skip "no kamailio user"
	[ -x "$PY" ] || skip "$PY is not installed"
	# Debian's own file, unmodified: its md5 is the package's
	want=$(dpkg-query -W -f='${Conffiles}\n' kamailio 2>/dev/null |
	    awk -v f="$STOCK_CFG" '$1 == f { print $2 }')
	[ -n "$want" ] && [ "$(md5sum <"$STOCK_CFG" | cut -d' ' -f1)" = \
	    "$want" ] || skip "$STOCK_CFG is not Debian's unmodified file"
	# whatever the inner run leaves behind (killed itself), by PID
	: >"$T_TMP/pids"
	t_on_exit 'while read -r p; do stop_pid "$p"; done <"$T_TMP/pids"'
	got=0
	DIAG_DEBIAN_INNER=1 DIAG_DEBIAN_DIR=$T_TMP unshare --mount \
	    --net --propagation private "$BASH" "$0" || got=$?
	exit "$got"
fi

# ---- inside the namespaces ----
ip link set lo up
# /dev of our own: the usual nodes bound in, /dev/log left to rsyslogd
# (in the outer run's directory: removed once the namespace is gone)
DEV=$DIAG_DEBIAN_DIR/dev
mkdir -p "$DEV"
t_on_exit 'umount -R /run /dev 2>/dev/null; umount -R "$DEV" 2>/dev/null'
for n in null zero random urandom full tty; do
	: >"$DEV/$n"
	mount --bind "/dev/$n" "$DEV/$n"
done
mount --rbind "$DEV" /dev
# /run of our own, /run/kamailio as the unit's RuntimeDirectory makes it
mount -t tmpfs -o mode=0755 memdiag-test-run /run
install -d -o kamailio -g kamailio -m 0770 /run/kamailio

# rsyslogd of our own, writing files as Debian 12's does (RFC 3339)
mkdir -p "$T_TMP/rsyslog"
SYSLOG=$T_TMP/syslog
cat >"$T_TMP/rsyslog.conf" <<EOF
global(workDirectory="$T_TMP/rsyslog")
module(load="imuxsock" SysSock.Name="/dev/log" SysSock.RateLimit.Interval="0")
*.* action(type="omfile" file="$SYSLOG" template="RSYSLOG_FileFormat")
EOF
rsyslogd -n -f "$T_TMP/rsyslog.conf" -i "$T_TMP/rsyslog/rsyslogd.pid" \
    >"$T_TMP/rsyslogd.out" 2>&1 &
RSYSLOG_PID=$!
echo "$RSYSLOG_PID" >>"$DIAG_DEBIAN_DIR/pids"
t_on_exit 'stop_pid $RSYSLOG_PID'
for i in $(seq 1 50); do
	[ -S /dev/log ] && break
	sleep 0.1
done
[ -S /dev/log ] || { cat "$T_TMP/rsyslogd.out"; fail "rsyslogd made no /dev/log"; finish; }

# Kamailio as Debian's unit and init script start it
cp "$STOCK_CFG" "$T_TMP/kamailio.cfg"
"$KAMAILIO" -P "$PIDFILE" -f "$T_TMP/kamailio.cfg" -m 64 -M 8 \
    -u kamailio -g kamailio >"$T_TMP/kamailio.out" 2>&1 ||
    { cat "$T_TMP/kamailio.out"; fail "kamailio did not start"; finish; }
KAM_PID=$(cat "$PIDFILE")
echo "$KAM_PID" >>"$DIAG_DEBIAN_DIR/pids"
t_on_exit 'stop_pid $KAM_PID'
CTL=unix:/run/kamailio/kamailio_ctl
for i in $(seq 1 100); do
	kamcmd -s "$CTL" core.version >/dev/null 2>&1 && break
	sleep 0.1
done
check "the stock Kamailio answers on its ctl socket" \
    kamcmd -s "$CTL" core.version

# what discovery finds with only the pid file
expect_status 0 "inspect with only the pid file" "$MEMDIAG" inspect --json \
    --target "$PIDFILE"
cp "$T_TMP/out" "$T_TMP/inspect.json"
check "the log is the syslog file rsyslogd writes" jq -e --arg f "$SYSLOG" \
    '.log.kind == "syslog" and .log.path == $f and (.log.why | test("rsyslogd"))' \
    "$T_TMP/inspect.json"
check "the ctl socket in /run/kamailio is the first candidate" jq -e \
    '.ctl[0] == "unix:/run/kamailio/kamailio_ctl"' "$T_TMP/inspect.json"

# the diagnosis, nothing but the pid file (and the test's own dirs)
start=$(date +%s)
expect_status 0 "memdiag --target $PIDFILE: healthy" "$MEMDIAG" \
    --target "$PIDFILE" --json --state-dir "$T_TMP/state" \
    --run-dir "$T_TMP/run"
echo "diagnosis took $(($(date +%s) - start)) s"
J=$T_TMP/diag.json
cp "$T_TMP/out" "$J"
cp "$T_TMP/err" "$T_TMP/diag.err"
sed 's/^/    stderr: /' "$T_TMP/diag.err"
check "verdict healthy" jq -e '.verdict == "healthy"' "$J"
check "registered mode chosen, after a direct call got 403" jq -e \
    '.load.why | test("registered mode") and test("got 403")' "$J"
check "every test call completed" jq -e \
    '[.pools[] | select(.pool == "shm") | .rounds[] | .calls > 0 and .completed == .calls and .failed == 0] | (length > 0 and all)' "$J"
check "the default nft gate was used" jq -e '.gate.backend == "nft"' "$J"
check "settings restored" jq -e '.settings_restored == true' "$J"
check "memlog is back to the stock 5" \
    test "$(kamcmd -s "$CTL" cfg.get core memlog)" = 5
check "the RPC socket found in /run/kamailio" \
    grep -q "rpc unix:/run/kamailio/kamailio_ctl," "$T_TMP/diag.err"
check "the log found through syslog: the rsyslogd file" \
    grep -q "log $SYSLOG: syslog(3); its /dev/log is read by rsyslogd" \
    "$T_TMP/diag.err"
check "the dumps came through the syslog file" \
    grep -q "qm_sums" "$SYSLOG"
check "memdiag's calls made the proxy log no allocation failure" \
    test "$(jq '.memory_errors | length' "$J")" = 0

# ---- the journal-only machine ----
# No syslog daemon; /dev/log is a link to journald's socket, as systemd
# sets it up. No journald runs: discovery alone is checked.
stop_pid "$RSYSLOG_PID"
rm -f /dev/log
mkdir -p /run/systemd/journal
"$PY" -c 'import socket, sys
socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM).bind(sys.argv[1])' \
    /run/systemd/journal/dev-log
ln -s /run/systemd/journal/dev-log /dev/log
expect_status 0 "inspect on a journal-only machine" "$MEMDIAG" inspect \
    --json --target "$PIDFILE"
check "journal-only: the journal is chosen, and why" jq -e \
    '.log.kind == "journal" and (.log.why | test("journald"))' "$T_TMP/out"
jq -r '.log.why' "$T_TMP/out" | sed 's/^/    why: /'

# /dev/log a socket of its own (not a link to journald's path): the
# process reading it says it is journald
rm -f /dev/log
ln -s "$(readlink -f "$PY")" "$T_TMP/systemd-journald"
"$T_TMP/systemd-journald" -c 'import socket, sys, time
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1])
time.sleep(60)' /dev/log &
JD_PID=$!
echo "$JD_PID" >>"$DIAG_DEBIAN_DIR/pids"
t_on_exit 'stop_pid $JD_PID'
for i in $(seq 1 50); do
	[ -S /dev/log ] && break
	sleep 0.1
done
expect_status 0 "inspect, /dev/log read by systemd-journald" "$MEMDIAG" \
    inspect --json --target "$PIDFILE"
check "journal chosen from the reader's name" jq -e \
    '.log.kind == "journal" and (.log.why | test("read by systemd-journal"))' \
    "$T_TMP/out"
finish
