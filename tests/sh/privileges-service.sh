#!/bin/bash
# Least privilege of the service and the nightly check, against
# Kamailios that run as their own user with Debian's 0755 runtime dir:
# 1. `memdiag check --all` as a dedicated user with exactly the rights of
#    systemd/memdiag-check.service.in (its groups, ambient capabilities,
#    bounding set and umask, given with setpriv, its /proc, a private
#    mount with ProtectProc= and ProcSubset=, and its SystemCallFilter=
#    through libseccomp, tests/tools/seccomp_exec) takes its dumps, saves
#    the report 0600 in a 0700 state dir of that user, restores memlog;
# 2. each capability dropped in turn: those a passive check needs refuse
#    with one line naming the capability and status 77 before the proxy
#    is touched (its log does not grow, memlog stays 5); CAP_NET_ADMIN is
#    not in the units: a target with allow_gate and the nft gate is
#    refused (77) naming it, memlog restored; with ctl's socket given to memdiag's group (0660) it
#    needs neither CAP_DAC_OVERRIDE nor, with rpc, log and proxy in its
#    config, any DAC capability: CAP_SYS_PTRACE and CAP_KILL are enough;
# 3. the service with the rights of systemd/memdiag.service.in watches
#    the proxy and listens on loopback only (ss); a non-loopback
#    metrics_listen is refused by memdiag -n unless metrics_listen_any;
# 4. a password file its group may read is refused by memdiag -n (78).
. "${top_srcdir:-$(dirname "$0")/../..}/tests/lib/common.sh"
. "$top_srcdir/tests/lib/kam.sh"
[ "$(id -u)" = 0 ] || skip "needs root to create test users"
command -v kamailio >/dev/null || skip "kamailio is not installed"
command -v setpriv >/dev/null || skip "setpriv (util-linux) is not installed"
command -v unshare >/dev/null || skip "unshare (util-linux) is not installed"
command -v useradd >/dev/null || skip "useradd is not installed"
command -v ss >/dev/null || skip "ss (iproute2) is not installed"
command -v curl >/dev/null || skip "curl is not installed"
command -v jq >/dev/null || skip "jq is not installed"

KU=memdiag-t-kam
SU=memdiag-t-svc
for u in $KU $SU; do
	id "$u" >/dev/null 2>&1 || useradd -r -M -s /usr/sbin/nologin "$u" ||
	    skip "cannot create user $u"
done

# unit_key UNIT KEY: a key's value in one of the units as shipped
unit_key() { sed -n "s/^$2=//p" "$top_srcdir/systemd/$1.service.in"; }

# the system calls a unit's SystemCallFilter= allows, one per line: its
# allow-list's groups expanded, less those of its ~deny lines
expand_calls() {
	local x
	for x in "$@"; do
		case $x in
		@*) expand_calls $(systemd-analyze syscall-filter "$x" |
		    sed '1d; /#/d') ;;
		*) echo "$x" ;;
		esac
	done
}
unit_calls() {
	# shellcheck disable=SC2046
	expand_calls $(unit_key "$1" SystemCallFilter | grep -v '^~') |
	    sort -u >"$T_TMP/$1.allow"
	# shellcheck disable=SC2046
	expand_calls $(unit_key "$1" SystemCallFilter | sed -n 's/^~//p') |
	    sort -u >"$T_TMP/$1.deny"
	comm -23 "$T_TMP/$1.allow" "$T_TMP/$1.deny" >"$T_TMP/$1.calls"
}
SECCOMP=$top_builddir/tests/tools/seccomp_exec
if [ -x "$SECCOMP" ] && command -v systemd-analyze >/dev/null; then
	unit_calls memdiag
	unit_calls memdiag-check
	echo "    system calls allowed: $(wc -l <"$T_TMP/memdiag.calls") (memdiag.service)"
	check "the filter bites: chroot(2) (@privileged) fails even as root" \
	    sh -c "! '$SECCOMP' '$T_TMP/memdiag.calls' chroot / true 2>/dev/null"
	check "... and is what refused it (chroot works without)" chroot / true
else
	echo "    no seccomp_exec (libseccomp-dev) or systemd-analyze: the units' system-call filters are not applied"
	SECCOMP=
fi

# as_unit UNIT CAPS CMD...: CMD as $SU with the unit's groups and umask,
# and exactly CAPS (CAP_X ...) as ambient capabilities and bounding set;
# with AS_EXEC=exec it replaces the (sub)shell, so $! is memdiag's PID
AS_EXEC=
as_unit() {
	local unit=$1 caps=$2 set=-all c groups
	shift 2
	for c in $caps; do
		c=${c#CAP_}
		set="$set,+${c,,}"
	done
	groups=$(unit_key "$unit" SupplementaryGroups | tr ' ' ,)
	# the unit's /proc (ProtectProc=, ProcSubset=): a private proc
	# mount with its options, as systemd makes it
	$AS_EXEC unshare -m --propagation private sh -c \
	    'mount -t proc -o "hidepid=$1,subset=$2" proc /proc; shift 2
	     exec "$@"' sh "$(unit_key "$unit" ProtectProc)" \
	    "$(unit_key "$unit" ProcSubset)" \
	    setpriv --reuid="$SU" --regid="$SU" --groups="$groups" \
	    --inh-caps="$set" --ambient-caps="$set" --bounding-set="$set" \
	    -- ${SECCOMP:+"$SECCOMP" "$T_TMP/$unit.calls"} \
	    sh -c 'umask "$1"; shift; exec "$@"' sh \
	    "$(unit_key "$unit" UMask)" "$@"
}

# start_kam NAME [kamailio args...]: a Kamailio as $KU, ctl socket 0600
start_kam() {
	local name=$1
	shift
	kam_prepare "$name"
	chown "$KU:" "$KAM_DIR"
	chmod 755 "$KAM_DIR"	# Debian's RuntimeDirectory=kamailio
	kamailio -DD -E -f "$top_srcdir/tests/lib/proxy.cfg" \
	    -Y "$KAM_DIR" -P "$KAM_PIDFILE" -u "$KU" -g "$KU" \
	    -A "CTLSOCK=\"$KAM_CTL\"" -A "LPORT=$KAM_PORT" -A STOCK_LOG \
	    -m 16 -M 4 "$@" >"$KAM_LOG" 2>&1 &
	KAM_PID=$!
	kam_wait_ready
}

# conf FILE TARGET-KEYS: a one-target config of $SU's state and run dirs
conf() {
	cat >"$1" <<EOF
state_dir = "$S";
run_dir = "$R";
targets = ( { name = "edge"; settle = 1.0; observe = 0; $2 } );
EOF
	chmod 644 "$1"
}

chmod 755 "$T_TMP"
# the build directory may be private (CI's is 0700): the users run a copy
cp "$MEMDIAG" "$T_TMP/memdiag"
chmod 755 "$T_TMP/memdiag"
MEMDIAG=$T_TMP/memdiag
S=$T_TMP/state
R=$T_TMP/run
mkdir -m 700 "$S" "$R"
chown "$SU:" "$S" "$R"

CHECK_CAPS=$(unit_key memdiag-check AmbientCapabilities)
check "memdiag-check: bounding set = ambient capabilities" test \
    "$(unit_key memdiag-check CapabilityBoundingSet)" = "$CHECK_CAPS"
check "memdiag: bounding set = ambient capabilities" test \
    "$(unit_key memdiag CapabilityBoundingSet)" = \
    "$(unit_key memdiag AmbientCapabilities)"

# A: the stock ctl socket (0600, the proxy's user)
start_kam stock
A_PID=$KAM_PID A_CTL=$KAM_CTL A_LOG=$KAM_LOG A_PORT=$KAM_PORT
A_PIDFILE=$KAM_PIDFILE
t_on_exit "KAM_PID=$A_PID; kam_stop"
check "the ctl socket is the proxy user's, mode 0600" \
    test "$(stat -c %U:%a "${A_CTL#unix:}")" = "$KU:600"
conf "$T_TMP/a.conf" "target = \"$A_PIDFILE\";"

# 1. the nightly check with exactly the unit's rights
expect_status 0 "check --all as $SU with $CHECK_CAPS" \
    as_unit memdiag-check "$CHECK_CAPS" "$MEMDIAG" check --all -c "$T_TMP/a.conf"
check "a verdict: healthy" grep -q "^edge: healthy (status 0)" "$T_TMP/out"
check "the proxy printed its shm dump" grep -q "Memory status (shm)" "$A_LOG"
check "memlog restored (5)" test "$(kamcmd -s "$A_CTL" cfg.get core memlog)" = 5
J=$(ls "$S"/history/edge/*.json 2>/dev/null | head -1)
check "the report is saved in the state dir" test -s "$J"
check "a passive report" sh -c \
    "jq -e '.passive == true and .verdict == \"healthy\"' '$J' >/dev/null"
check "everything saved is $SU's" sh -c \
    "test -z \"\$(find '$S' ! -user $SU)\""
check "files 0600, directories 0700" sh -c \
    "test -z \"\$(find '$S' -type f ! -perm 600; find '$S' -type d ! -perm 700)\""

# 2. each capability dropped in turn
for cap in $CHECK_CAPS; do
	caps=$(echo " $CHECK_CAPS " | sed "s/ $cap / /")
	size=$(stat -c %s "$A_LOG")
	if [ "$cap" = CAP_NET_ADMIN ]; then
		expect_status 0 "without $cap: a passive check works" \
		    as_unit memdiag-check "$caps" "$MEMDIAG" check --all \
		    -c "$T_TMP/a.conf"
		continue
	fi
	expect_status 77 "without $cap: refused" as_unit memdiag-check "$caps" \
	    "$MEMDIAG" check --all -c "$T_TMP/a.conf"
	check "without $cap: one line names it" test \
	    "$(grep -c "$cap.*memdiag(8), PRIVILEGES" "$T_TMP/err")" = 1
	check "without $cap: the proxy was not touched (log $size bytes)" \
	    test "$(stat -c %s "$A_LOG")" = "$size"
	check "without $cap: memlog still 5" \
	    test "$(kamcmd -s "$A_CTL" cfg.get core memlog)" = 5
	check "without $cap: no setting left to restore" sh -c \
	    "! ls '$S'/settings-* >/dev/null 2>&1"
done
if [ "$T_FAILS" -gt 0 ]; then
	sed 's/^/    err: /' "$T_TMP/err"
fi
# the gate is the operator's choice: a drop-in gives it (memdiag(8))
conf "$T_TMP/gate.conf" "target = \"$A_PIDFILE\"; allow_gate = true;
    gate = \"nft\"; calls = 10;"
expect_status 77 "allow_gate with the nft gate, without CAP_NET_ADMIN: refused" \
    as_unit memdiag-check "$CHECK_CAPS" "$MEMDIAG" check --all \
    -c "$T_TMP/gate.conf"
check "the line names CAP_NET_ADMIN and where to read" grep -q \
    "CAP_NET_ADMIN.*memdiag(8), PRIVILEGES" "$T_TMP/err"
check "memlog restored (5)" test "$(kamcmd -s "$A_CTL" cfg.get core memlog)" = 5

# B: the ctl socket given to memdiag's group
start_kam group -A "CTLGROUP=\"$SU\""
B_CTL=$KAM_CTL
t_on_exit "KAM_PID=$KAM_PID; kam_stop"
check "the ctl socket is $SU's group's, mode 0660" \
    test "$(stat -c %G:%a "${B_CTL#unix:}")" = "$SU:660"
conf "$T_TMP/b.conf" "target = \"$KAM_PIDFILE\";"
conf "$T_TMP/b-set.conf" "target = \"$KAM_PIDFILE\"; rpc = \"$B_CTL\";
    log = \"$KAM_LOG\"; proxy = \"127.0.0.1:$KAM_PORT\";"
expect_status 0 "group socket: CAP_SYS_PTRACE CAP_KILL CAP_DAC_READ_SEARCH" \
    as_unit memdiag-check "CAP_SYS_PTRACE CAP_KILL CAP_DAC_READ_SEARCH" \
    "$MEMDIAG" check --all -c "$T_TMP/b.conf"
size=$(stat -c %s "$KAM_LOG")
expect_status 77 "group socket, no DAC capability, nothing set: refused" \
    as_unit memdiag-check "CAP_SYS_PTRACE CAP_KILL" \
    "$MEMDIAG" check --all -c "$T_TMP/b.conf"
check "it names /proc/PID/fd and the fixes" grep -q \
    "fd: Permission denied .*CAP_DAC_READ_SEARCH.*rpc, log and proxy set" \
    "$T_TMP/err"
check "and did not touch the proxy" test "$(stat -c %s "$KAM_LOG")" = "$size"
expect_status 0 "group socket, rpc, log and proxy set: CAP_SYS_PTRACE CAP_KILL" \
    as_unit memdiag-check "CAP_SYS_PTRACE CAP_KILL" \
    "$MEMDIAG" check --all -c "$T_TMP/b-set.conf"
check "memlog restored (5)" test "$(kamcmd -s "$B_CTL" cfg.get core memlog)" = 5

# 3. the service, with memdiag.service's rights
M=$(kam_free_udp_port)
cat >"$T_TMP/svc.conf" <<EOF
state_dir = "$S";
run_dir = "$R";
metrics_listen = "127.0.0.1:$M";
targets = ( { name = "edge"; target = "$A_PIDFILE"; sample_interval = 1.0;
    observe = 0;
    trigger = { memory_errors = true; }; } );
EOF
chmod 644 "$T_TMP/svc.conf"
(AS_EXEC=exec; as_unit memdiag "$(unit_key memdiag AmbientCapabilities)" \
    "$MEMDIAG" -c "$T_TMP/svc.conf") >"$T_TMP/svc.out" 2>"$T_TMP/svc.err" &
SVC=$!
t_on_exit "kill -TERM $SVC 2>/dev/null; wait $SVC 2>/dev/null"
for i in $(seq 1 50); do
	grep -q "watching" "$T_TMP/svc.err" 2>/dev/null && break
	sleep 0.1
done
check "the service watches the proxy" grep -q \
    "edge: watching .*pid $A_PID" "$T_TMP/svc.err"
check "it runs as $SU" test "$(stat -c %U "/proc/$SVC")" = "$SU"
check "metrics on 127.0.0.1:$M" sh -c \
    "curl -sf http://127.0.0.1:$M/metrics | grep -q 'target=\"edge\"'"
ss -Hltnup >"$T_TMP/ss"
grep "pid=$SVC," "$T_TMP/ss" >"$T_TMP/ss.svc" || true
sed 's/^/    ss: /' "$T_TMP/ss.svc"
check "ss shows memdiag's listening socket" test -s "$T_TMP/ss.svc"
check "every socket memdiag listens on is loopback" sh -c \
    "! awk '{ print \$5 }' '$T_TMP/ss.svc' | grep -vq '^127\.0\.0\.1:\|^\[::1\]:'"
kill -TERM "$SVC" 2>/dev/null
got=0
wait "$SVC" || got=$?
check "the service stops on SIGTERM (status $got)" test "$got" = 0

sed "s/127.0.0.1:$M/0.0.0.0:$M/" "$T_TMP/svc.conf" >"$T_TMP/any.conf"
expect_status 78 "metrics_listen 0.0.0.0 is refused" "$MEMDIAG" -n -c "$T_TMP/any.conf"
check "the error says how to allow it" grep -q \
    "any.conf:3: metrics_listen: 0.0.0.0:$M is not a loopback address.*metrics_listen_any" \
    "$T_TMP/err"
echo "metrics_listen_any = true;" >>"$T_TMP/any.conf"
expect_status 0 "... unless metrics_listen_any = true" "$MEMDIAG" -n -c "$T_TMP/any.conf"

# 4. a password file its group may read
echo s3cret >"$T_TMP/edge.secret"
chown "$SU:" "$T_TMP/edge.secret"
chmod 640 "$T_TMP/edge.secret"
conf "$T_TMP/pw.conf" "target = \"$A_PIDFILE\"; mode = \"registered\";
    user = \"memdiag\"; password_file = \"$T_TMP/edge.secret\";"
expect_status 78 "a password file mode 0640 is refused" as_unit memdiag \
    "$(unit_key memdiag AmbientCapabilities)" "$MEMDIAG" -n -c "$T_TMP/pw.conf"
check "the error names the file and the fix" grep -q \
    "password_file $T_TMP/edge.secret: mode 0640 .*chmod 600" "$T_TMP/err"
chmod 600 "$T_TMP/edge.secret"
expect_status 0 "mode 0600 is taken" as_unit memdiag \
    "$(unit_key memdiag AmbientCapabilities)" "$MEMDIAG" -n -c "$T_TMP/pw.conf"
finish
