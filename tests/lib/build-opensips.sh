#!/bin/bash
# build-opensips.sh opensips-X.Y.Z
#
# Build a released OpenSIPS from its source tarball (shared/targets/, see its
# README.md) once per machine, into a cache outside the source tree, and
# print the install prefix on stdout: $prefix/sbin/opensips and the modules
# in $prefix/lib/opensips/modules/. OpenSIPS compiles no module path in:
# a config loads them through mpath (tests/lib/opensips.cfg's MPATH, which
# tests/lib/opensips.sh passes).
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

# What the tests' OpenSIPS config (tests/lib/opensips.cfg) may load. Part of
# the stamp, so changing this list rebuilds. UDP and TCP are in the core.
MODULES="tm sl rr maxfwd signaling sipmsgops textops cfgutils"
MODULES+=" mi_fifo mi_datagram cachedb_local statistics dialog usrloc"
MODULES+=" registrar auth"

me=build-opensips
if [ $# -ne 1 ] || ! [[ $1 =~ ^opensips-[0-9]+\.[0-9]+\.[0-9]+$ ]]; then
	echo "usage: $0 opensips-X.Y.Z" >&2
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
cache=$(cd "$cache" && pwd)	# the prefix is compiled in (default -f): absolute
prefix=$cache/$name
stamp="$(sha256sum <"$tarball" | cut -d' ' -f1) $MODULES"

built() {
	[ -x "$prefix/sbin/opensips" ] &&
	    [ "$(cat "$prefix/.memdiag-stamp" 2>/dev/null)" = "$stamp" ]
}
built && { echo "$prefix"; exit 0; }

# One build at a time per cache (the same lock as build-target.sh's: it
# also keeps two apt-get runs apart). A second caller waits here, then
# finds the first one's result.
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

# m4 is not a build tool: tests/lib/opensips.cfg goes through it (-p m4).
# Debian's bison depends on it anyway.
tools="bison flex gcc make m4"
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
# The Makefile builds (all modules - exclude_modules) + include_modules:
# excluding every module leaves exactly our list. Makefile.conf (copied
# from Makefile.conf.template on the first make) has DEFS with every
# allocator (F_MALLOC Q_MALLOC HP_MALLOC F_PARALLEL_MALLOC) and DBG_MALLOC,
# which adds their _DBG flavours (-a Q_MALLOC_DBG: file/function/line per
# fragment in memory dumps); checked below. FASTER=1 builds the modules in
# parallel. Makefile.defs takes CFLAGS from the environment and, if it is
# set, none of its own (-O9 -g ...).
# lib/, not lib64/ (the Makefile's default on x86_64): one layout for all.
all=$(cd "$src/modules" && echo *)
mk=(env -u CFLAGS -u LDFLAGS make -C "$src" prefix="$prefix" LIBDIR=lib
    FASTER=1 exclude_modules="$all" include_modules="$MODULES")
run build "${mk[@]}" -j"$jobs" app modules
# Not "make install": it also builds menuconfig (ncurses) and installs
# docs, man pages, templates and a default config we never use.
run install "${mk[@]}" basedir="$stage" install-modules
run install-bin install -D -m 0755 "$src/opensips" "$stage$prefix/sbin/opensips"

new=$stage$prefix
for m in $MODULES; do
	[ -f "$new/lib/opensips/modules/$m.so" ] || fail "install of module $m"
done
info=$("$new/sbin/opensips" -V 2>&1) || fail "opensips -V"
echo "$info" >>"$log"
for f in Q_MALLOC F_MALLOC HP_MALLOC DBG_MALLOC; do
	grep -q "^flags: .*\b$f\b" <<<"$info" || fail "check flag $f"
done

echo "$stamp" >"$new/.memdiag-stamp"
# A build of another tarball or module list is replaced; rename(2) keeps
# readers from ever seeing a half-installed prefix.
if [ -e "$prefix" ]; then mv "$prefix" "$tmp/old"; fi
mv "$new" "$prefix"
echo "$prefix"
