#!/bin/sh
# Builds the Debian package of this checkout (Debian 12 or later):
#   scripts/build-deb.sh [OUTDIR]      (default OUTDIR: build-deb/)
# installs the build dependencies (apt-get build-dep, as root or through
# sudo), builds in a copy of the tree with `dpkg-buildpackage -us -uc -b`,
# checks the result with lintian (fails on errors) and leaves
# crashwatch_VERSION_ARCH.deb, the -dbgsym package and the .changes in OUTDIR.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
out=${1:-$top/build-deb}
SUDO=
[ "$(id -u)" -eq 0 ] || SUDO=sudo

need=
for p in dpkg-dev debhelper lintian fakeroot; do
	dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null | grep -q "install ok installed" || need="$need $p"
done
if [ -n "$need" ] || ! (cd "$top" && dpkg-checkbuilddeps) >/dev/null 2>&1; then
	echo "build-deb: installing the build dependencies" >&2
	$SUDO apt-get update -qq
	# shellcheck disable=SC2086
	[ -z "$need" ] || DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends $need >&2
	(cd "$top" && DEBIAN_FRONTEND=noninteractive $SUDO apt-get build-dep -y -qq ./) >&2
fi

# A copy of the sources (tracked and new files, not build directories), so
# that the tree and its parent directory stay as they are.
work=$(mktemp -d "${TMPDIR:-/tmp}/crashwatch-deb.XXXXXX")
trap 'rm -rf "$work"' EXIT INT TERM
version=$(cd "$top" && dpkg-parsechangelog -S Version)
src=$work/crashwatch-$version
mkdir -p "$src"
(cd "$top" && git ls-files -z -co --exclude-standard | xargs -0 tar -cf - --no-recursion) | tar -xf - -C "$src"

# Run from a make (tests/system/nspawn.sh under `make check`), the
# environment carries that make's command-line variables in MAKEFLAGS, such
# as automake's TEST_LOGS naming the whole suite: the package's own build
# and test must not inherit them.
unset MAKEFLAGS MFLAGS MAKELEVEL MAKEOVERRIDES
(cd "$src" && dpkg-buildpackage -us -uc -b >"$work/build.log" 2>&1) || {
	tail -60 "$work/build.log" >&2
	echo "build-deb: dpkg-buildpackage failed (log above)" >&2
	exit 1
}
changes=$(ls "$work"/crashwatch_"$version"_*.changes)
lintian --fail-on error "$changes" >&2 || {
	echo "build-deb: lintian found errors" >&2
	exit 1
}
mkdir -p "$out"
cp "$work"/*.deb "$work"/*.changes "$work"/*.buildinfo "$out/"
ls "$out"/crashwatch*_"$version"_*.deb
