#!/bin/sh
# deps.sh - make sure the build dependencies are present.
# As root on Debian/Ubuntu, missing packages are installed with apt-get;
# otherwise the exact install command is printed and the build stops.
set -u
need=""
check() { # pkg-config-name debian-package
	pkg-config --exists "$1" 2>/dev/null || need="$need $2"
}
command -v pkg-config >/dev/null 2>&1 || need="$need pkg-config"
command -v cc >/dev/null 2>&1 || need="$need gcc"
command -v make >/dev/null 2>&1 || need="$need make"
command -v openssl >/dev/null 2>&1 || need="$need openssl"
if command -v pkg-config >/dev/null 2>&1; then
	check libcrypto libssl-dev
	check libxml-2.0 libxml2-dev
	check zlib zlib1g-dev
	check json-c libjson-c-dev
	check libarchive libarchive-dev
	check check check
fi
[ -z "$need" ] && exit 0
cmd="apt-get install -y$need"
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
	echo "hvtpm: installing build dependencies:$need" >&2
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq >/dev/null && apt-get install -y -qq $need >/dev/null || {
		echo "hvtpm: '$cmd' failed" >&2
		exit 1
	}
	exit 0
fi
echo "hvtpm: missing build dependencies. Install them with:" >&2
echo "    sudo $cmd" >&2
exit 1
