#!/bin/bash
# The units as built: systemd-analyze security --offline rates each at
# 2.0 or less (4.9 before their system-call filter, /proc and device
# confinement), every key parses (systemd-analyze verify: no unknown key,
# no invalid value), and they give memdiag no gate rights by default
# (CAP_NET_ADMIN and netlink come with a drop-in, memdiag(8)).
. "${top_srcdir:-$(dirname "$0")/../..}/tests/lib/common.sh"
command -v systemd-analyze >/dev/null || skip "systemd-analyze is not installed"
systemd-analyze security --help 2>/dev/null | grep -q -- --offline ||
    skip "systemd-analyze has no --offline (systemd < 250)"

for u in memdiag memdiag-check; do
	f=$top_builddir/systemd/$u.service
	check "$u.service is built" test -s "$f"
	systemd-analyze security --offline=yes "$f" >"$T_TMP/$u.sec" 2>&1 || true
	level=$(sed -n 's/.*Overall exposure level for [^:]*: \([0-9.]*\).*/\1/p' \
	    "$T_TMP/$u.sec")
	echo "    $u.service: exposure $level"
	check "$u.service: exposure $level <= 2.0" awk -v l="$level" \
	    'BEGIN { exit !(l != "" && l <= 2.0) }'
	check "$u.service: system calls filtered" grep -q \
	    "✓ SystemCallFilter=~@privileged" "$T_TMP/$u.sec"
	systemd-analyze verify "$f" >"$T_TMP/$u.verify" 2>&1 || true
	check "$u.service: every key parses" sh -c "! grep -Ei \
	    'unknown key|invalid|failed to parse|ignoring' '$T_TMP/$u.verify'"
	check "$u.service: no gate rights unless a drop-in gives them" sh -c \
	    "! grep -E '^(AmbientCapabilities|CapabilityBoundingSet|RestrictAddressFamilies)=.*(CAP_NET_ADMIN|AF_NETLINK)' '$f'"
done
finish
