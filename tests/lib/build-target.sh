#!/bin/bash
# build-target.sh kamailio-X.Y.Z
#
# Build a released Kamailio from its source tarball (shared/targets/, see its
# README.md) once per machine, into a cache outside the source tree, and
# print the install prefix on stdout. $prefix/sbin/kamailio finds its modules
# by itself (the default module path is compiled in), so no mpath is needed.
#
#   exit 0   built, now or by an earlier call
#   exit 77  the tarball (or a build tool we may not install) is absent: skip
#   exit 1   a build step failed; stderr names the step and the build log
#
# Environment: MEMDIAG_TARGETS      directory of the tarballs
#                                   (default $top_srcdir/../shared/targets)
#              MEMDIAG_TARGET_CACHE cache root
#                                   (default ${XDG_CACHE_HOME:-~/.cache}/memdiag-targets)
#              top_srcdir           repository root (default: ../.. from here)
set -eu

# What the tests' Kamailio configs (tests/lib/proxy.cfg) may load. Part of
# the stamp, so changing this list rebuilds.
MODULES="tm tmx sl rr pv xlog textops siputils maxfwd ctl cfg_rpc kex corex"
MODULES+=" htable dispatcher jsonrpcs sanity usrloc registrar auth dialog rtimer"

me=build-target
if [ $# -ne 1 ] || ! [[ $1 =~ ^kamailio-[0-9]+\.[0-9]+\.[0-9]+$ ]]; then
	echo "usage: $0 kamailio-X.Y.Z" >&2
	exit 2
fi
name=$1
top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}
targets=${MEMDIAG_TARGETS:-$top_srcdir/../shared/targets}
tarball=$targets/$name.tar.xz
if [ ! -r "$tarball" ]; then
	echo "$me: no $tarball (a clone without shared/targets)" >&2
	exit 77
fi

cache=${MEMDIAG_TARGET_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/memdiag-targets}
mkdir -p "$cache"
cache=$(cd "$cache" && pwd)	# the prefix is compiled in: it must be absolute
prefix=$cache/$name
stamp="$(sha256sum <"$tarball" | cut -d' ' -f1) $MODULES"

built() {
	[ -x "$prefix/sbin/kamailio" ] &&
	    [ "$(cat "$prefix/.memdiag-stamp" 2>/dev/null)" = "$stamp" ]
}
built && { echo "$prefix"; exit 0; }

# One build at a time per cache: a second caller waits here, then finds the
# first one's result. The same lock also keeps two apt-get runs apart.
exec 9>"$cache/.lock"
flock 9
built && { echo "$prefix"; exit 0; }

log=$cache/$name.log	# kept after a failure, overwritten by the next try
: >"$log"
fail() { echo "$me: $name: step '$1' failed, see $log" >&2; exit 1; }
run() {
	local step=$1; shift
	echo "== $step: $*" >>"$log"
	"$@" >>"$log" 2>&1 </dev/null || fail "$step"
}

# Leftovers of a build that was killed; nobody else builds while we hold
# the lock. Building under the cache root keeps the final rename atomic.
rm -rf "$cache/.build-$name".*
tmp=$(mktemp -d "$cache/.build-$name.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
src=$tmp/src stage=$tmp/stage
mkdir "$src"
run extract tar -xJf "$tarball" -C "$src" --strip-components=1

# Kamailio 6.0+ has a CMake build; 5.8 only the Makefile one.
tools="bison flex gcc make"
[ -f "$src/CMakeLists.txt" ] && tools="$tools cmake pkg-config"
missing=
for t in $tools; do command -v "$t" >/dev/null || missing+=" $t"; done
if [ -n "$missing" ]; then
	missing=${missing# }
	if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null; then
		echo "$me: building $name needs: $missing" >&2
		exit 77
	fi
	# A fresh machine may have no package lists yet: update only then.
	# shellcheck disable=SC2086 # one argument per package
	run "apt-get install $missing" env DEBIAN_FRONTEND=noninteractive sh -c \
	    'apt-get install -y -q "$@" || { apt-get update -q &&
	     apt-get install -y -q "$@"; }' sh $missing
fi

jobs=$(nproc 2>/dev/null || echo 2)
# lib/, not lib64/ (the Makefile's default on x86_64) nor a multiarch dir:
# one layout for every version. MEMDBG is on by default in both builds;
# it is what defines DBG_SR_MEMORY (file/function/line in memory dumps),
# so ask for it rather than trust the default.
if [ -f "$src/CMakeLists.txt" ]; then
	run configure cmake -S "$src" -B "$tmp/build" \
	    -DCMAKE_INSTALL_PREFIX="$prefix" -DCMAKE_INSTALL_LIBDIR=lib \
	    -DCMAKE_BUILD_TYPE=RelWithDebInfo -DMEMDBG=ON -DBUILD_DOC=OFF \
	    -DMODULE_GROUP_NAME="" -DINCLUDE_MODULES="$MODULES"
	run build cmake --build "$tmp/build" -j "$jobs"
	run install env DESTDIR="$stage" cmake --install "$tmp/build"
else
	# The Makefile builds (all modules - exclude_modules) + include_modules:
	# excluding every module leaves exactly our list.
	all=$(cd "$src/src/modules" && echo *)
	mk=(make -C "$src" prefix="$prefix" LIBDIR=lib MEMDBG=1)
	run configure "${mk[@]}" cfg include_modules="$MODULES" \
	    exclude_modules="$all"
	run build "${mk[@]}" -j"$jobs" all
	run install "${mk[@]}" basedir="$stage" install
fi

new=$stage$prefix
moddir=$prefix/lib/kamailio/modules
for m in $MODULES; do
	[ -f "$new/lib/kamailio/modules/$m.so" ] || fail "install of module $m"
done
info=$("$new/sbin/kamailio" -I 2>&1) || fail "kamailio -I"
echo "$info" >>"$log"
grep -q 'Compile flags:.*DBG_SR_MEMORY' <<<"$info" || fail "check DBG_SR_MEMORY"
grep -qxF "  Default paths to modules: $moddir" <<<"$info" ||
    fail "check module path $moddir"

echo "$stamp" >"$new/.memdiag-stamp"
# A build of another tarball or module list is replaced; rename(2) keeps
# readers from ever seeing a half-installed prefix.
if [ -e "$prefix" ]; then mv "$prefix" "$tmp/old"; fi
mv "$new" "$prefix"
echo "$prefix"
