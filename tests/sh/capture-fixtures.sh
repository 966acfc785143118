#!/bin/bash
# Capture real Kamailio memory dumps as fixtures for the dump parser.
#
#   tests/sh/capture-fixtures.sh [OUTDIR]     (default tests/fixtures/kamailio)
#
# Starts throwaway Kamailio instances (tests/lib/kam.sh, small pools), sends
# a little SIP traffic, lets it settle, and for every case writes into
# OUTDIR/<alloc>-<case>/:
#   dump.log       only the log bytes the trigger produced
#   cmd.txt        what was done
#   rpc-*.txt      core.shmmem, pkg.stats, mod.mem_stats taken at the quiet
#                  moment right before the trigger
#   expect.env     KEY=VALUE figures parsed from those RPC outputs
# See tests/fixtures/kamailio/README.md. Needs root (mount namespace for the
# syslog captures), kamailio, kamcmd, rsyslogd and systemd-journal-remote.

top_srcdir=$(cd "$(dirname "$0")/../.." && pwd)
. "$top_srcdir/tests/lib/common.sh"
. "$top_srcdir/tests/lib/kam.sh"

OUT=${1:-$top_srcdir/tests/fixtures/kamailio}
CFG=$top_srcdir/tests/lib/proxy.cfg
POOLS="-m 16 -M 4"
ALLOCS=${ALLOCS:-"qm fm tlsf"}

die() { echo "capture-fixtures: $*" >&2; exit 1; }

for t in kamailio kamcmd rsyslogd unshare; do
	command -v "$t" >/dev/null || die "$t is not installed"
done
JREMOTE=/lib/systemd/systemd-journal-remote
[ -x "$JREMOTE" ] || die "$JREMOTE missing (apt-get install systemd-journal-remote)"
[ "$(id -u)" = 0 ] || die "run as root (mount namespace for the syslog captures)"

mkdir -p "$OUT"
KAM_VERSION=$(kamailio -v | head -1 | sed 's/ *$//')

# ---- SIP datagrams -------------------------------------------------------
# bash's printf writes line by line; coreutils printf sends one datagram.
sip_send() {
	env printf '%s' "$1" >"/dev/udp/127.0.0.1/$KAM_PORT"
}

sip_options() {
	local m
	printf -v m 'OPTIONS sip:127.0.0.1:%s SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:9;branch=z9hG4bK-o%s\r\nFrom: <sip:fixture@127.0.0.1>;tag=o%s\r\nTo: <sip:127.0.0.1>\r\nCall-ID: opt-%s@fixture\r\nCSeq: 1 OPTIONS\r\nMax-Forwards: 70\r\nContent-Length: 0\r\n\r\n' \
	    "$KAM_PORT" "$RANDOM$RANDOM" "$RANDOM" "$RANDOM$RANDOM"
	sip_send "$m"
}

# sip_invite RURI MAXFWD CALLID: one INVITE with a small SDP body. Replies
# go to 127.0.0.1:9 (discard), so nobody ACKs; tm still frees everything
# within ~6 s.
sip_invite() {
	local m body
	body=$'v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio 4000 RTP/AVP 0\r\n'
	printf -v m 'INVITE %s SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:9;branch=z9hG4bK-i%s\r\nFrom: <sip:fixture@127.0.0.1>;tag=i%s\r\nTo: <%s>\r\nCall-ID: %s\r\nCSeq: 1 INVITE\r\nContact: <sip:fixture@127.0.0.1:9>\r\nMax-Forwards: %s\r\nContent-Type: application/sdp\r\nContent-Length: %d\r\n\r\n%s' \
	    "$1" "$RANDOM$RANDOM" "$RANDOM" "$1" "$3" "$2" "${#body}" "$body"
	sip_send "$m"
}

# A few OPTIONS (answered 200 by the proxy) and INVITEs that loop through
# the proxy itself until Max-Forwards runs out (483): tm transactions,
# record-route, forwarding, relayed replies in both workers.
traffic() {
	local i
	for i in 1 2 3 4 5 6; do sip_options; done
	for i in 1 2 3; do
		sip_invite "sip:loop@127.0.0.1:$KAM_PORT" 6 "loop-$i-$RANDOM@fixture"
	done
}

# ---- waiting -------------------------------------------------------------
shm_used() { kam_rpc core.shmmem | awk '$1 == "used:" { print $2 }'; }
tm_current() { kam_rpc tm.stats | awk '$1 == "current:" { print $2 }'; }

# settle: tm has no transaction left and shm used did not move for 1.5 s
settle() {
	local i last='' now
	for i in $(seq 1 60); do
		now="$(tm_current) $(shm_used)"
		if [ "${now%% *}" = 0 ] && [ "$now" = "$last" ]; then
			return 0
		fi
		last=$now
		sleep 0.5
	done
	die "proxy did not settle within 30 s (tm current, shm used: $now)"
}

fsize() { stat -c %s "$1"; }

# wait_log FILE SIZE: wait for FILE to grow past SIZE, then until it has
# not grown for 1 s; gives up after 10 s without growth.
wait_log() {
	local f=$1 from=$2 i last=-1 same=0 now
	for i in $(seq 1 100); do
		[ "$(fsize "$f")" -gt "$from" ] && break
		sleep 0.1
	done
	for i in $(seq 1 300); do
		now=$(fsize "$f")
		if [ "$now" = "$last" ]; then
			same=$((same + 1))
			[ "$same" -ge 10 ] && return 0
		else
			same=0
		fi
		last=$now
		sleep 0.1
	done
}

# ---- process list --------------------------------------------------------
# ps_pid DESC-PREFIX: PID of the first process whose core.psx DSC starts so
ps_pid() {
	kam_rpc core.psx | awk -v want="$1" '
		$1 == "PID:" { pid = $2 }
		$1 == "DSC:" { sub(/^[ \t]*DSC: /, ""); if (index($0, want) == 1) { print pid; exit } }'
}

# ---- one case ------------------------------------------------------------
# snapshot DIR TARGET_PID MEMSUM: the proxy's own figures, right now
snapshot() {
	local d=$1 target=$2 memsum=$3
	kam_rpc core.shmmem >"$d/rpc-core.shmmem.txt"
	kam_rpc pkg.stats >"$d/rpc-pkg.stats.txt"
	kam_rpc mod.mem_stats all shm >"$d/rpc-mod.mem_stats-shm.txt"
	kam_rpc mod.mem_stats all pkg >"$d/rpc-mod.mem_stats-pkg.txt"
	{
		echo "# parsed from rpc-*.txt by tests/sh/capture-fixtures.sh"
		echo "KAMAILIO_VERSION=\"$KAM_VERSION\""
		echo "ALLOC=$ALLOC"
		echo "POOL_SIZES=\"$POOL_SIZES\""
		echo "MEM_SUMMARY=$memsum"
		echo "MAIN_PID=$KAM_PID"
		echo "TARGET_PID=$target"
		awk '$1 == "total:" { print "SHM_TOTAL=" $2 }
		     $1 == "used:" { print "SHM_USED=" $2 }
		     $1 == "real_used:" { print "SHM_REAL_USED=" $2 }
		     $1 == "free:" { print "SHM_FREE=" $2 }
		     $1 == "max_used:" { print "SHM_MAX_USED=" $2 }' \
		    "$d/rpc-core.shmmem.txt"
		awk '$1 == "pid:" { pid = $2 }
		     $1 == "used:" { print "PKG_USED_" pid "=" $2 }
		     $1 == "real_used:" { print "PKG_REAL_USED_" pid "=" $2 }
		     $1 == "total_size:" { print "PKG_TOTAL_" pid "=" $2 }' \
		    "$d/rpc-pkg.stats.txt"
	} >"$d/expect.env"
}

# capture CASE TARGET_PID MEMSUM LOG "what was done" TRIGGER...
capture() {
	local name=$1 target=$2 memsum=$3 log=$4 what=$5 d from
	shift 5
	d=$OUT/$ALLOC-$name
	rm -rf "$d"
	mkdir -p "$d"
	snapshot "$d" "$target" "$memsum"
	from=$(fsize "$log")
	"$@"
	wait_log "$log" "$from"
	tail -c "+$((from + 1))" "$log" >"$d/dump.log"
	{
		echo "# $KAM_VERSION"
		echo "kamailio -DD -f tests/lib/proxy.cfg -x $ALLOC -X $ALLOC $POOL_SIZES $KAM_EXTRA"
		echo "$what"
		echo "trigger: $*"
		echo "main pid $KAM_PID, target pid $target"
	} >"$d/cmd.txt"
	verify "$d"
	echo "captured $d: $(wc -l <"$d/dump.log") lines, $(fsize "$d/dump.log") bytes"
}

# verify DIR: print how the dump's header figures compare with the RPC's
verify() {
	local d=$1
	(
		# shellcheck disable=SC1091
		. "$d/expect.env"
		awk -v shm="$SHM_USED" -v shmr="$SHM_REAL_USED" '
			/Memory status \(shm\)/ { pool = "shm"; next }
			/Memory status \(pkg\)/ { pool = "pkg"; next }
			/[ :]used= [0-9]+, used\+overhead=/ {
				s = $0; sub(/.*used= /, "", s); u = s + 0
				sub(/.*used\+overhead=/, "", s); r = s + 0
				if (pool == "shm")
					printf "  shm dump used=%d real_used=%d; core.shmmem used=%d real_used=%d%s\n", u, r, shm, shmr, (u == shm && r == shmr) ? " (equal)" : " (DIFFER)"
				else if (pool == "pkg") {
					p = $0
					if (match(p, /^ *[0-9]+\([0-9]+\)/))
						p = substr(p, RSTART, RLENGTH)
					else if (match(p, /\[[0-9]+\]: /))
						p = substr(p, RSTART, RLENGTH)
					gsub(/.*[([]|[)\]].*/, "", p)
					print "  pkg dump pid " p " used=" u " real_used=" r
				}
				pool = ""
			}' "$d/dump.log"
	) >"$d/.verify"
	while read -r line; do
		case $line in
		*"pkg dump pid"*)
			local pid used want
			pid=$(echo "$line" | awk '{ print $4 }')
			used=${line#* used=}
			used=${used%% *}
			want=$(sed -n "s/^PKG_USED_$pid=//p" "$d/expect.env")
			if [ "$used" = "$want" ]; then
				line="$line; pkg.stats used=$want (equal)"
			else
				line="$line; pkg.stats used=${want:-?} (DIFFER)"
			fi
			;;
		esac
		echo "$line"
	done <"$d/.verify"
	rm -f "$d/.verify"
}

set_memsum() {
	kam_rpc cfg.set_now_int core mem_summary "$1" >/dev/null
}

# wake_worker PID LOG: OPTIONS until the worker has printed its pkg dump
# (the kernel hands each datagram to whichever worker waits)
wake_worker() {
	local pid=$1 log=$2 i
	for i in $(seq 1 20); do
		sip_options
		sleep 0.3
		grep -q "^ *[0-9]*($pid) .*of process $pid" "$log" && return 0
	done
	die "worker $pid did not print its pkg dump"
}

# ---- one allocator, -E capture ---------------------------------------------
capture_alloc() {
	ALLOC=$1
	POOL_SIZES=$POOLS
	KAM_EXTRA="-E (tests/lib/kam.sh)"
	# shellcheck disable=SC2086
	kam_start "$ALLOC" "$CFG" -x "$ALLOC" -X "$ALLOC" $POOLS
	local log=$KAM_LOG worker ctl
	worker=$(ps_pid "udp receiver child=0")
	ctl=$(ps_pid "ctl handler")
	traffic
	settle

	set_memsum 15
	capture sigusr1-main-ms15 "$KAM_PID" 15 "$log" \
	    "kam_rpc cfg.set_now_int core mem_summary 15; SIGUSR1 to the main process" \
	    kill -USR1 "$KAM_PID"
	set_memsum 12
	capture sigusr1-main-ms12 "$KAM_PID" 12 "$log" \
	    "kam_rpc cfg.set_now_int core mem_summary 12; SIGUSR1 to the main process" \
	    kill -USR1 "$KAM_PID"
	set_memsum 31
	capture sigusr1-main-ms31 "$KAM_PID" 31 "$log" \
	    "kam_rpc cfg.set_now_int core mem_summary 31; SIGUSR1 to the main process" \
	    kill -USR1 "$KAM_PID"
	set_memsum 5
	capture sigusr1-worker-ms5 "$worker" 5 "$log" \
	    "kam_rpc cfg.set_now_int core mem_summary 5; SIGUSR1 to idle UDP worker $worker (udp receiver child=0)" \
	    kill -USR1 "$worker"
	set_memsum 16
	capture rpc-mem_dump_shm "$ctl" 16 "$log" \
	    "kam_rpc cfg.set_now_int core mem_summary 16; then the trigger; printed at ALERT by the ctl handler $ctl" \
	    kam_rpc cfg.set_now_int core mem_dump_shm 1
	set_memsum 21
	capture rpc-pkg_summary-worker "$worker" 21 "$log" \
	    "kam_rpc cfg.set_now_int core mem_summary 21; kam_rpc corex.pkg_summary pid $worker; then OPTIONS datagrams until worker $worker woke up and printed" \
	    pkg_summary_worker "$worker" "$log"
	kam_stop
}

pkg_summary_worker() {
	kam_rpc corex.pkg_summary pid "$1" >/dev/null
	wake_worker "$1" "$2"
}

# ---- stock Debian log settings, and an overloaded pool -----------------------
capture_stock() {
	ALLOC=qm
	POOL_SIZES="-m 4 -M 4"
	KAM_EXTRA="-A STOCK_LOG -E (tests/lib/kam.sh)"
	# shellcheck disable=SC2086
	kam_start stock "$CFG" -A STOCK_LOG -x qm -X qm $POOL_SIZES
	local log=$KAM_LOG from n d i port
	traffic
	settle
	from=$(fsize "$log")
	kill -USR1 "$KAM_PID"
	sleep 2
	n=$(tail -c "+$((from + 1))" "$log" | wc -l)
	kam_rpc cfg.set_now_int core memlog 1 >/dev/null
	capture stock-log "$KAM_PID" 12 "$log" \
	    "-A STOCK_LOG: debug=2 memlog=5 memdbg=5 log_prefix, mem_summary left at its default (12). SIGUSR1 to the main process with memlog=5 printed $n lines. Then kam_rpc cfg.set_now_int core memlog 1 and SIGUSR1 again (captured)" \
	    kill -USR1 "$KAM_PID"
	[ "$n" = 0 ] || echo "warning: SIGUSR1 with memlog=5 printed $n lines"

	# 300 INVITEs to a port nobody listens on: each transaction waits for
	# fr_timer (30 s), so the 4 MB pool runs out after ~100
	port=$(kam_free_udp_port)
	d=$OUT/qm-memerr-burst
	rm -rf "$d"
	mkdir -p "$d"
	snapshot "$d" "" 12
	from=$(fsize "$log")
	for i in $(seq 1 300); do
		sip_invite "sip:nobody@127.0.0.1:$port" 70 "burst-$i@fixture"
	done
	wait_log "$log" "$from"
	tail -c "+$((from + 1))" "$log" >"$d/dump.log"
	{
		echo "# $KAM_VERSION"
		echo "kamailio -DD -f tests/lib/proxy.cfg -x qm -X qm $POOL_SIZES $KAM_EXTRA, memlog lowered to 1 (after the stock-log case)"
		echo "300 INVITEs (small SDP body) to sip:nobody@127.0.0.1:$port, where nothing listens, sent back to back;"
		echo "each transaction waits 30 s for fr_timer, so the 4 MB shm pool runs out. The RPC files are from before the burst."
		echo "main pid $KAM_PID"
	} >"$d/cmd.txt"
	echo "captured $d: $(grep -c ERROR "$d/dump.log") ERROR lines"
	kam_stop
}

# ---- syslog through rsyslogd -------------------------------------------------
# rsyslogd runs on the host with its own config, pid and work dir and
# listens on $SYSDEV/log only; Kamailio runs in a private mount namespace
# whose /dev is $SYSDEV (the few device nodes it needs bind-mounted in).
RSYS_PID=
rsyslog_start() {
	local w=$T_TMP/rsyslog
	SYSDEV=$T_TMP/dev
	mkdir -p "$w" "$SYSDEV"
	RFC3339_LOG=$w/rfc3339.log
	CLASSIC_LOG=$w/classic.log
	: >"$RFC3339_LOG"
	: >"$CLASSIC_LOG"
	cat >"$w/rsyslog.conf" <<-EOF
	global(workDirectory="$w")
	module(load="imuxsock" SysSock.Use="off")
	input(type="imuxsock" Socket="$SYSDEV/log" RateLimit.Interval="0")
	action(type="omfile" file="$RFC3339_LOG" template="RSYSLOG_FileFormat")
	action(type="omfile" file="$CLASSIC_LOG" template="RSYSLOG_TraditionalFileFormat")
	EOF
	rsyslogd -n -f "$w/rsyslog.conf" -i "$w/rsyslogd.pid" \
	    >"$w/rsyslogd.out" 2>&1 &
	RSYS_PID=$!
	t_on_exit rsyslog_stop
	for i in $(seq 1 50); do
		[ -S "$SYSDEV/log" ] && return 0
		sleep 0.1
	done
	cat "$w/rsyslogd.out"
	die "rsyslogd did not create $SYSDEV/log"
}

rsyslog_stop() {
	[ -n "$RSYS_PID" ] || return 0
	kill -TERM "$RSYS_PID" 2>/dev/null || true
	wait "$RSYS_PID" 2>/dev/null || true
	RSYS_PID=
}

# kam_start_syslog NAME ARGV0 [args]: like kam_start, without -E, in a
# private mount namespace where /dev/log is rsyslogd's socket
kam_start_syslog() {
	local name=$1 argv0=$2 i
	shift 2
	KAM_DIR=$(mktemp -d "$T_TMP/kam-$name.XXXXXX")
	KAM_PORT=$(kam_free_udp_port)
	KAM_CTL="unix:$KAM_DIR/ctl.sock"
	KAM_LOG=$KAM_DIR/kamailio.log
	KAM_PIDFILE=$KAM_DIR/kamailio.pid
	# shellcheck disable=SC2016
	unshare -m --propagation private bash -c '
		set -e
		dev=$1 argv0=$2; shift 2
		for n in null zero random urandom full; do
			[ -e "$dev/$n" ] || : >"$dev/$n"
			mount --bind "/dev/$n" "$dev/$n"
		done
		mount --rbind "$dev" /dev
		exec -a "$argv0" /usr/sbin/kamailio "$@"' \
	    kam-ns "$SYSDEV" "$argv0" -DD -f "$CFG" -Y "$KAM_DIR" \
	    -P "$KAM_PIDFILE" -A "CTLSOCK=\"$KAM_CTL\"" -A "LPORT=$KAM_PORT" \
	    -A LOG_SYSLOG "$@" >"$KAM_LOG" 2>&1 &
	KAM_PID=$!
	t_on_exit kam_stop
	for i in $(seq 1 100); do
		kill -0 "$KAM_PID" 2>/dev/null ||
		    { tail -20 "$KAM_LOG"; die "kamailio exited at start"; }
		if [ -S "$KAM_DIR/ctl.sock" ] &&
		    kamcmd -s "$KAM_CTL" core.uptime >/dev/null 2>&1; then
			return 0
		fi
		sleep 0.1
	done
	die "kamailio did not answer RPC within 10 s"
}

# syslog_case CASE ARGV0 FILE: one instance, one SIGUSR1, keep FILE's part
syslog_case() {
	local name=$1 argv0=$2 file=$3
	ALLOC=qm
	POOL_SIZES=$POOLS
	KAM_EXTRA="-A LOG_SYSLOG (no -E; argv[0] $argv0; unshare -m with /dev/log -> rsyslogd)"
	# shellcheck disable=SC2086
	kam_start_syslog "$name" "$argv0" -x qm -X qm $POOLS
	traffic
	settle
	set_memsum 10
	capture "$name" "$KAM_PID" 10 "$file" \
	    "kam_rpc cfg.set_now_int core mem_summary 10 (shm status + shm summary); SIGUSR1 to the main process; rsyslogd $(rsyslogd -v | head -1 | awk '{ print $2 }') template $4" \
	    kill -USR1 "$KAM_PID"
	kam_stop
}

capture_syslog() {
	rsyslog_start
	syslog_case syslog-rfc3339 /usr/sbin/kamailio "$RFC3339_LOG" RSYSLOG_FileFormat
	syslog_case syslog-classic kamailio "$CLASSIC_LOG" RSYSLOG_TraditionalFileFormat
	rsyslog_stop
}

# ---- journald formats, converted from the RFC 3339 capture -------------------
# syslog_to_export < rsyslog RSYSLOG_FileFormat lines: journal export stream
# (rsyslog's #012/#011 escapes undone: journald keeps the raw bytes)
syslog_to_export() {
	local host=$1 boot=$2
	awk -v host="$host" -v boot="$boot" '
	function unesc(s,   r, i, c) {
		r = ""
		while ((i = index(s, "#")) > 0) {
			c = substr(s, i + 1, 3)
			if (c ~ /^[0-7][0-7][0-7]$/) {
				r = r substr(s, 1, i - 1) sprintf("%c", (substr(c,1,1) * 64 + substr(c,2,1) * 8 + substr(c,3,1)))
				s = substr(s, i + 4)
			} else {
				r = r substr(s, 1, i)
				s = substr(s, i + 1)
			}
		}
		return r s
	}
	function usec(ts,   cmd, v) {
		cmd = "date -u -d \"" ts "\" +%s%N"
		cmd | getline v
		close(cmd)
		return substr(v, 1, length(v) - 3)
	}
	{
		ts = $1
		tag = $3
		msg = $0
		sub(/^[^ ]+ [^ ]+ [^ ]+ /, "", msg)
		ident = tag; sub(/\[.*/, "", ident)
		pid = tag; sub(/^[^[]*\[/, "", pid); sub(/\].*/, "", pid)
		msg = unesc(msg)
		prio = 6
		if (msg ~ /^NOTICE:/) prio = 5
		else if (msg ~ /^ERROR:/) prio = 3
		else if (msg ~ /^WARNING:/) prio = 4
		else if (msg ~ /^ALERT:/) prio = 1
		else if (msg ~ /^DEBUG:/) prio = 7
		printf "__REALTIME_TIMESTAMP=%s\n", usec(ts)
		printf "__MONOTONIC_TIMESTAMP=%d\n", 1000000 + NR
		printf "_BOOT_ID=%s\n", boot
		printf "_TRANSPORT=syslog\nPRIORITY=%d\nSYSLOG_FACILITY=3\n", prio
		printf "SYSLOG_IDENTIFIER=%s\nSYSLOG_PID=%s\n_PID=%s\n_COMM=kamailio\n_EXE=/usr/sbin/kamailio\n", ident, pid, pid
		printf "_HOSTNAME=%s\n", host
		if (index(msg, "\n")) {
			# binary field: name, newline, 64-bit LE length, data, newline
			n = length(msg)
			printf "MESSAGE\n"
			for (i = 0; i < 8; i++) { printf "%c", n % 256; n = int(n / 256) }
			printf "%s\n", msg
		} else
			printf "MESSAGE=%s\n", msg
		printf "\n"
	}'
}

capture_journal() {
	local src=$OUT/qm-syslog-rfc3339 host boot j d
	host=$(awk 'NR == 1 { print $2 }' "$src/dump.log")
	boot=$(tr -d '-' </proc/sys/kernel/random/boot_id)
	j=$T_TMP/journal
	mkdir -p "$j"
	LC_ALL=C syslog_to_export "$host" "$boot" <"$src/dump.log" >"$j/in.export"
	"$JREMOTE" -o "$j/fixture.journal" "$j/in.export" >"$j/remote.out" 2>&1 ||
	    { cat "$j/remote.out"; die "systemd-journal-remote failed"; }
	for f in export short; do
		d=$OUT/qm-journal-$f
		rm -rf "$d"
		mkdir -p "$d"
		cp "$src"/rpc-*.txt "$src/expect.env" "$d/"
		journalctl --file "$j/fixture.journal" -o "$f" >"$d/dump.log"
		{
			echo "# converted from a real capture: ../qm-syslog-rfc3339/dump.log"
			echo "rsyslog lines -> journal export stream (rsyslog's #012/#011 escapes undone, PRIORITY from the level word,"
			echo "__REALTIME_TIMESTAMP from the RFC 3339 stamp) -> systemd-journal-remote -o fixture.journal ->"
			echo "journalctl --file fixture.journal -o $f"
			echo "rpc-*.txt and expect.env are copies of the source capture's."
		} >"$d/cmd.txt"
		echo "converted $d: $(fsize "$d/dump.log") bytes"
	done
}

# ---- main ----------------------------------------------------------------------
for a in $ALLOCS; do
	capture_alloc "$a"
done
capture_stock
capture_syslog
capture_journal
echo "fixtures in $OUT ($(du -sh "$OUT" | cut -f1))"
