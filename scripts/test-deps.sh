#!/bin/sh
# test-deps.sh - what the test suite needs beyond the build, so that every
# test runs and none is skipped: the oracle tools the disk and certificate
# tests compare against (qemu-img, sfdisk, cryptsetup, mmls, openssl), strace
# and setpriv for the integrity and secrets tests, Node.js, the PowerShell
# grammar used to check generated scripts (tests/pscheck), headless Chromium
# and the playwright-core driver that loads the HTML reports (tests/browser).
# The npm packages come from the npm registry, pinned by each folder's
# package-lock.json; Chromium is Debian's chromium package (no browser is
# downloaded by npm: --ignore-scripts).  As root on Debian, what is missing
# is installed with apt-get; otherwise the command is printed and the tests
# stop.
set -u
root=$(dirname "$0")/..

# apt_need WHAT PACKAGE...: installs the packages as root, else says how.
apt_need() {
	what=$1
	shift
	if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
		echo "hvtpm: installing $* for the tests" >&2
		export DEBIAN_FRONTEND=noninteractive
		apt-get update -qq >/dev/null &&
			apt-get install -y -qq --no-install-recommends "$@" >/dev/null || {
			echo "hvtpm: 'apt-get install -y $*' failed" >&2
			exit 1
		}
	else
		echo "hvtpm: the tests need $what: sudo apt-get install -y $*" >&2
		exit 1
	fi
}

# npm_ci DIR WHAT: npm ci in DIR when its lock file changed since the last install.
npm_ci() {
	dir=$root/tests/$1
	stamp="$dir/node_modules/.hvtpm-lock"
	if [ ! -f "$stamp" ] || ! cmp -s "$dir/package-lock.json" "$stamp"; then
		echo "hvtpm: installing $2 (npm ci in tests/$1)" >&2
		(cd "$dir" && npm ci --ignore-scripts --no-audit --no-fund --loglevel=error >/dev/null) || {
			echo "hvtpm: 'npm ci' in tests/$1 failed" >&2
			exit 1
		}
		cp "$dir/package-lock.json" "$stamp"
	fi
}

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
tool zsh zsh
tool mandoc mandoc
if [ -n "$need" ]; then
	# shellcheck disable=SC2086
	apt_need "the oracle and tracing tools" $need
fi
if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
	apt_need "Node.js and npm" nodejs npm
fi
if [ ! -x "${HVTPM_CHROMIUM:-/usr/bin/chromium}" ]; then
	apt_need "headless Chromium" chromium fonts-dejavu-core
fi
npm_ci pscheck "the test-only PowerShell grammar"
npm_ci browser "the test-only browser driver (playwright-core)"
exit 0
