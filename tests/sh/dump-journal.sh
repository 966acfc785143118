#!/bin/bash
# memdiag dump reading the systemd journal through sd-journal. Test
# machines run no journald, so its part is played by a relay: Kamailio
# logs through syslog(3) to a socket in its private mount namespace, each
# datagram becomes a journal entry (_PID from the syslog tag, MESSAGE
# without the header, as journald stores them), and systemd-journal-remote
# writes the journal file memdiag follows (--log journal-dir:DIR).
. "${top_srcdir:-$(dirname "$0")/../..}/tests/lib/common.sh"
. "$top_srcdir/tests/lib/kam.sh"
[ "$(id -u)" = 0 ] || skip "needs root for a private mount namespace"
command -v jq >/dev/null || skip "jq is not installed"
command -v socat >/dev/null || skip "socat is not installed"
JR=
for f in /lib/systemd/systemd-journal-remote /usr/lib/systemd/systemd-journal-remote; do
	[ -x "$f" ] && JR=$f
done
[ -n "$JR" ] || skip "systemd-journal-remote is not installed"

DEV=$T_TMP/dev
JDIR=$T_TMP/journal
mkdir -p "$DEV" "$JDIR"
# datagram -> export entry, stamped when it arrives (as journald does);
# the free list's continuation lines are dropped
n=0
socat -u "UNIX-RECV:$DEV/log" STDOUT | while IFS= read -r line; do
	case $line in $'\t'*) continue ;; esac
	[[ $line =~ \[([0-9]+)\]:\ (.*)$ ]] || continue
	n=$((n + 1))
	now=${EPOCHREALTIME/./}
	printf '__CURSOR=s=memdiag-test;i=%d\n__REALTIME_TIMESTAMP=%s\n' "$n" "$now"
	printf '__MONOTONIC_TIMESTAMP=%d\n_BOOT_ID=0123456789abcdef0123456789abcdef\n' "$n"
	printf '_PID=%s\nSYSLOG_IDENTIFIER=kamailio\nMESSAGE=%s\n\n' \
	    "${BASH_REMATCH[1]}" "${BASH_REMATCH[2]}"
done | "$JR" -o "$JDIR/remote.journal" - >"$T_TMP/relay.err" 2>&1 &
relay=$!
t_on_exit "pkill -P $$ socat 2>/dev/null; kill $relay 2>/dev/null"
for i in $(seq 1 50); do [ -S "$DEV/log" ] && break; sleep 0.1; done

kam_start_syslog journal "$DEV" -f "$top_srcdir/tests/lib/proxy.cfg" \
    -A STOCK_LOG -A CHILDREN=2 -m 16 -M 4
for i in $(seq 1 50); do [ -s "$JDIR/remote.journal" ] && break; sleep 0.1; done
check "the relay writes a journal file" test -s "$JDIR/remote.journal"

shm=$(kam_rpc core.shmmem | awk '$1 == "used:" { print $2 }')
expect_status 0 "dump through the journal" "$MEMDIAG" dump --json \
    --target "$KAM_PIDFILE" --log "journal-dir:$JDIR" \
    --state-dir "$T_TMP/state" --run-dir "$T_TMP/run"
J=$T_TMP/dump.json
cp "$T_TMP/out" "$J"
nproc=$(kam_rpc core.psx | grep -c '^	PID:')
check "every process answered" jq -e --argjson n "$nproc" '(.processes | length) == $n and ([.processes[] | .path] | all(. != "none"))' "$J"
check "one complete dump per process, plus shm" jq -e --argjson n "$nproc" '([.dumps[] | select(.complete)] | length) == $n + 1' "$J"
check "shm dump equals core.shmmem" jq -e --argjson u "$shm" '[.dumps[] | select(.pool == "shm")][0].used == $u' "$J"
check "memlog restored" test "$(kam_rpc cfg.get core memlog)" = 5
finish
