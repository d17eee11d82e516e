#!/bin/sh
# Installs what crashwatch needs to build, run and test on Debian 12
# (bookworm). Idempotent; run as root or with sudo available.
set -eu
SUDO=
[ "$(id -u)" -eq 0 ] || SUDO=sudo
# the Debian package and its booted test (scripts/build-deb.sh, tests/system/nspawn.sh)
PACKAGING="dpkg-dev debhelper fakeroot lintian debootstrap systemd-container"
PACKAGES="build-essential autoconf automake pkg-config git curl ca-certificates python3 unzip
 libelf-dev libdw-dev elfutils binutils libcapstone-dev libzstd-dev zstd libsqlite3-dev sqlite3
 libcurl4-openssl-dev libssl-dev libsystemd-dev systemd libjson-c-dev libinih-dev libcmocka-dev
 clang libclang-rt-14-dev golang-1.19-go time gdb libseccomp-dev strace"
missing=
for p in $PACKAGES $PACKAGING; do
	dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done
if [ -n "$missing" ]; then
	echo "setup-deps: installing:$missing" >&2
	$SUDO apt-get update -qq
	DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends $missing >&2
fi
