#!/bin/bash
# build-target.sh kamailio-X.Y.Z | opensips-X.Y.Z
#
# Build a released proxy from its source tarball (shared/targets/, see its
# README.md) once per machine, into a cache outside the source tree, and
# print the install prefix on stdout. The cache, its stamp and lock, the
# tools installed with apt and the atomic install are common; each project
# has its module list, its tools, its build and its checks below.
#
# Kamailio: $prefix/sbin/kamailio finds its modules by itself (the default
# module path is compiled in), so no mpath is needed. OpenSIPS: the modules
# are in $prefix/lib/opensips/modules/; it compiles no module path in, so a
# config loads them through mpath (tests/lib/opensips.cfg's MPATH, which
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

me=build-target
if [ $# -ne 1 ] || ! [[ $1 =~ ^(kamailio|opensips)-[0-9]+\.[0-9]+\.[0-9]+$ ]]; then
	echo "usage: $0 kamailio-X.Y.Z | opensips-X.Y.Z" >&2
	exit 2
fi
name=$1
project=${name%%-*}

# What the tests' configs may load (tests/lib/proxy.cfg, opensips.cfg).
# Part of the stamp, so changing a list rebuilds.
case $project in
kamailio)
	MODULES="tm tmx sl rr pv xlog textops siputils maxfwd ctl cfg_rpc kex corex"
	MODULES+=" htable dispatcher jsonrpcs sanity usrloc registrar auth dialog rtimer"
	;;
opensips)
	# UDP and TCP are in the core
	MODULES="tm sl rr maxfwd signaling sipmsgops textops cfgutils"
	MODULES+=" mi_fifo mi_datagram cachedb_local statistics dialog usrloc"
	MODULES+=" registrar auth"
	;;
esac

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
	[ -x "$prefix/sbin/$project" ] &&
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

tools="bison flex gcc make"
case $project in
# Kamailio 6.0+ has a CMake build; 5.8 only the Makefile one.
kamailio) [ -f "$src/CMakeLists.txt" ] && tools="$tools cmake pkg-config" ;;
# m4 is not a build tool: tests/lib/opensips.cfg goes through it (-p m4).
# Debian's bison depends on it anyway.
opensips) tools="$tools m4" ;;
esac
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
new=$stage$prefix

build_kamailio() {
	local all moddir info
	local -a mk
	# lib/, not lib64/ (the Makefile's default on x86_64) nor a multiarch
	# dir: one layout for every version. MEMDBG is on by default in both
	# builds; it is what defines DBG_SR_MEMORY (file/function/line in
	# memory dumps), so ask for it rather than trust the default.
	if [ -f "$src/CMakeLists.txt" ]; then
		run configure cmake -S "$src" -B "$tmp/build" \
		    -DCMAKE_INSTALL_PREFIX="$prefix" -DCMAKE_INSTALL_LIBDIR=lib \
		    -DCMAKE_BUILD_TYPE=RelWithDebInfo -DMEMDBG=ON -DBUILD_DOC=OFF \
		    -DMODULE_GROUP_NAME="" -DINCLUDE_MODULES="$MODULES"
		run build cmake --build "$tmp/build" -j "$jobs"
		run install env DESTDIR="$stage" cmake --install "$tmp/build"
	else
		# The Makefile builds (all modules - exclude_modules) +
		# include_modules: excluding every module leaves our list.
		all=$(cd "$src/src/modules" && echo *)
		mk=(make -C "$src" prefix="$prefix" LIBDIR=lib MEMDBG=1)
		run configure "${mk[@]}" cfg include_modules="$MODULES" \
		    exclude_modules="$all"
		run build "${mk[@]}" -j"$jobs" all
		run install "${mk[@]}" basedir="$stage" install
	fi
	moddir=$prefix/lib/kamailio/modules
	info=$("$new/sbin/kamailio" -I 2>&1) || fail "kamailio -I"
	echo "$info" >>"$log"
	grep -q 'Compile flags:.*DBG_SR_MEMORY' <<<"$info" ||
	    fail "check DBG_SR_MEMORY"
	grep -qxF "  Default paths to modules: $moddir" <<<"$info" ||
	    fail "check module path $moddir"
}

build_opensips() {
	local all info f
	local -a mk
	# The Makefile builds (all modules - exclude_modules) +
	# include_modules: excluding every module leaves exactly our list.
	# Makefile.conf (copied from Makefile.conf.template on the first make)
	# has DEFS with every allocator (F_MALLOC Q_MALLOC HP_MALLOC
	# F_PARALLEL_MALLOC) and DBG_MALLOC, which adds their _DBG flavours
	# (-a Q_MALLOC_DBG: file/function/line per fragment in memory dumps);
	# checked below. FASTER=1 builds the modules in parallel.
	# Makefile.defs takes CFLAGS from the environment and, if it is set,
	# none of its own (-O9 -g ...). lib/, not lib64/: one layout for all.
	all=$(cd "$src/modules" && echo *)
	mk=(env -u CFLAGS -u LDFLAGS make -C "$src" prefix="$prefix" LIBDIR=lib
	    FASTER=1 exclude_modules="$all" include_modules="$MODULES")
	run build "${mk[@]}" -j"$jobs" app modules
	# Not "make install": it also builds menuconfig (ncurses) and
	# installs docs, man pages, templates and a default config.
	run install "${mk[@]}" basedir="$stage" install-modules
	run install-bin install -D -m 0755 "$src/opensips" \
	    "$stage$prefix/sbin/opensips"
	info=$("$new/sbin/opensips" -V 2>&1) || fail "opensips -V"
	echo "$info" >>"$log"
	for f in Q_MALLOC F_MALLOC HP_MALLOC DBG_MALLOC; do
		grep -q "^flags: .*\b$f\b" <<<"$info" || fail "check flag $f"
	done
}

"build_$project"
for m in $MODULES; do
	[ -f "$new/lib/$project/modules/$m.so" ] || fail "install of module $m"
done

echo "$stamp" >"$new/.memdiag-stamp"
# A build of another tarball or module list is replaced; rename(2) keeps
# readers from ever seeing a half-installed prefix.
if [ -e "$prefix" ]; then mv "$prefix" "$tmp/old"; fi
mv "$new" "$prefix"
echo "$prefix"
