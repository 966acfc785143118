#!/bin/bash
# make check-full: the Debian package. dpkg-buildpackage -us -uc -b builds
# memdiag_VERSION_ARCH.deb from a copy of the tree (its unit tests run in
# the build); lintian finds no error or warning; installed (dpkg -i, this
# machine as the root) it puts the binary, both man pages, the commented
# configuration as a conffile, the units (the service neither enabled nor
# started: nothing is configured yet; the nightly timer enabled) and the
# memdiag user in place; `memdiag --version` and `memdiag -n -c
# /etc/memdiag/memdiag.conf` work; the installed units rate 2.0 or less;
# purged, nothing is left but the user (policy keeps users).
. "${top_srcdir:-$(dirname "$0")/../..}/tests/lib/common.sh"
[ "$(id -u)" = 0 ] || skip "installs a package: needs root"
for c in dpkg-buildpackage dh lintian git; do
	command -v $c >/dev/null || skip "$c is not installed (debhelper, lintian)"
done
[ -d "$top_srcdir/debian" ] || skip "no debian/ in $top_srcdir"
git -C "$top_srcdir" rev-parse >/dev/null 2>&1 || skip "$top_srcdir is not a git tree"
if dpkg-query -W -f='${Status}' memdiag 2>/dev/null | grep -q "ok installed"; then
	skip "a memdiag package is installed already; not touching it"
fi

B=$T_TMP/build/memdiag
mkdir -p "$B"
(cd "$top_srcdir" && git ls-files -z | xargs -0 cp --parents -t "$B")
cp -r "$top_srcdir/debian" "$B/"
t_on_exit "dpkg -P memdiag >/dev/null 2>&1"
# the package's own test step runs its unit tests: not the TESTS of the
# make check-full that runs this script, which make passes down in
# MAKEFLAGS (it would run every integration test inside the build)
(cd "$B" && env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL -u TESTS \
    dpkg-buildpackage -us -uc -b) >"$T_TMP/build.log" 2>&1 || true
DEB=$(ls "$T_TMP"/build/memdiag_*_*.deb 2>/dev/null | head -1)
check "dpkg-buildpackage built $(basename "${DEB:-none}")" test -s "$DEB"
[ -s "$DEB" ] || { tail -20 "$T_TMP/build.log"; finish; }
check "its unit tests ran in the build, none failed" sh -c \
    "grep -q '^# PASS: *[1-9]' '$T_TMP/build.log' && grep -q '^# FAIL: *0' '$T_TMP/build.log'"
lintian --tag-display-limit 0 "$T_TMP"/build/memdiag_*.changes >"$T_TMP/lintian" 2>&1 || true
sed 's/^/    lintian: /' "$T_TMP/lintian" | grep -v "root privileges" || true
check "lintian: no error, no warning" sh -c "! grep -q '^[EW]:' '$T_TMP/lintian'"

dpkg-deb -c "$DEB" | awk '{ print $6 }' >"$T_TMP/files"
for f in ./usr/sbin/memdiag ./usr/share/man/man8/memdiag.8.gz \
    ./usr/share/man/man5/memdiag.conf.5.gz ./etc/memdiag/memdiag.conf \
    ./lib/systemd/system/memdiag.service \
    ./lib/systemd/system/memdiag-check.service \
    ./lib/systemd/system/memdiag-check.timer \
    ./usr/lib/sysusers.d/memdiag.conf; do
	check "the package holds $f" grep -qx "$f" "$T_TMP/files"
done
dpkg-deb -e "$DEB" "$T_TMP/control"
check "the configuration is a conffile" grep -qx /etc/memdiag/memdiag.conf \
    "$T_TMP/control/conffiles"

check "dpkg -i installs it" sh -c "dpkg -i '$DEB' >'$T_TMP/install.log' 2>&1"
sed 's/^/    dpkg: /' "$T_TMP/install.log" | tail -3
check "memdiag --version" sh -c "/usr/sbin/memdiag --version | grep -q '^memdiag [0-9]'"
check "memdiag -n -c /etc/memdiag/memdiag.conf" /usr/sbin/memdiag -n -c /etc/memdiag/memdiag.conf
check "the memdiag user exists" getent passwd memdiag
check "the service is not enabled (nothing configured yet)" sh -c \
    "! ls /etc/systemd/system/multi-user.target.wants/memdiag.service 2>/dev/null"
check "the nightly timer is enabled" test -e \
    /etc/systemd/system/timers.target.wants/memdiag-check.timer
if command -v systemd-analyze >/dev/null; then
	for u in memdiag memdiag-check; do
		l=$(systemd-analyze security --offline=yes "/lib/systemd/system/$u.service" 2>&1 |
		    sed -n 's/.*Overall exposure level for [^:]*: \([0-9.]*\).*/\1/p')
		check "installed $u.service: exposure $l <= 2.0" awk -v l="$l" \
		    'BEGIN { exit !(l != "" && l <= 2.0) }'
		systemd-analyze verify "/lib/systemd/system/$u.service" >"$T_TMP/verify" 2>&1 || true
		check "installed $u.service: systemd-analyze verify is clean" \
		    sh -c "! grep -v 'not found\\|man:' '$T_TMP/verify' | grep -q ."
	done
fi
mkdir -p /var/lib/memdiag/history
check "dpkg -P purges it" sh -c "dpkg -P memdiag >/dev/null 2>&1"
for f in /usr/sbin/memdiag /etc/memdiag /lib/systemd/system/memdiag.service \
    /usr/lib/sysusers.d/memdiag.conf /var/lib/memdiag \
    /etc/systemd/system/timers.target.wants/memdiag-check.timer; do
	check "purged: $f is gone" test ! -e "$f"
done
check "the user stays (policy)" getent passwd memdiag
finish
