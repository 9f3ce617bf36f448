#!/bin/sh
# test-deps.sh - what the test suite needs beyond the build, so that every
# test runs and none is skipped: the oracle tools the disk and certificate
# tests compare against (qemu-img, sfdisk, cryptsetup, mmls, openssl), strace
# and setpriv for the integrity and secrets tests, Node.js and the PowerShell
# grammar used to check generated scripts (tests/pscheck, from the npm
# registry, pinned by its package-lock.json).  As root on Debian, what is
# missing is installed with apt-get; otherwise the command is printed and
# the tests stop.
set -u
dir=$(dirname "$0")/../tests/pscheck
need=""
tool() { # command debian-package
	command -v "$1" >/dev/null 2>&1 || need="$need $2"
}
tool qemu-img qemu-utils
tool sfdisk fdisk
tool cryptsetup cryptsetup-bin
tool mmls sleuthkit
tool openssl openssl
tool strace strace
tool setpriv util-linux
if [ -n "$need" ]; then
	if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
		echo "hvtpm: installing test tools:$need" >&2
		export DEBIAN_FRONTEND=noninteractive
		apt-get update -qq >/dev/null && apt-get install -y -qq --no-install-recommends $need \
			>/dev/null || {
			echo "hvtpm: 'apt-get install -y$need' failed" >&2
			exit 1
		}
	else
		echo "hvtpm: the tests need:$need (sudo apt-get install -y$need)" >&2
		exit 1
	fi
fi
if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
	if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
		echo "hvtpm: installing nodejs and npm for the tests" >&2
		export DEBIAN_FRONTEND=noninteractive
		apt-get update -qq >/dev/null && apt-get install -y -qq nodejs npm >/dev/null || {
			echo "hvtpm: 'apt-get install -y nodejs npm' failed" >&2
			exit 1
		}
	else
		echo "hvtpm: the tests need Node.js and npm: sudo apt-get install -y nodejs npm" >&2
		exit 1
	fi
fi
stamp="$dir/node_modules/.hvtpm-lock"
if [ ! -f "$stamp" ] || ! cmp -s "$dir/package-lock.json" "$stamp"; then
	echo "hvtpm: installing the test-only PowerShell grammar (npm ci in tests/pscheck)" >&2
	(cd "$dir" && npm ci --ignore-scripts --no-audit --no-fund --loglevel=error >/dev/null) || {
		echo "hvtpm: 'npm ci' in tests/pscheck failed" >&2
		exit 1
	}
	cp "$dir/package-lock.json" "$stamp"
fi
exit 0
