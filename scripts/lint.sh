#!/bin/sh
# lint.sh - static checks run by `make lint`; exits non-zero on any finding.
#
#   cppcheck    warning, style, performance and portability checks over src/,
#               suppressions in scripts/cppcheck.supp (each with its reason),
#               json-c macros described in scripts/cppcheck-jsonc.cfg
#   clang-tidy  the checks in .clang-tidy over every src/*/*.c (warnings are
#               errors), compiled as the Makefile compiles them
#   mandoc      -Tlint of man/hvtpm.1 at level warning (when mandoc is installed)
#
# LINT_JOBS (default 2) clang-tidy processes run in parallel.
set -u
cd "$(dirname "$0")/.." || exit 2
jobs=${LINT_JOBS:-2}
fail=0
missing=""
for t in cppcheck clang-tidy pkg-config; do
	command -v "$t" >/dev/null 2>&1 || missing="$missing $t"
done
if [ -n "$missing" ]; then
	echo "lint: missing tools:$missing (apt-get install cppcheck clang-tidy pkg-config)" >&2
	exit 2
fi
pkgflags=$(pkg-config --cflags libcrypto libxml-2.0 json-c zlib libarchive) || exit 2
out=$(mktemp) || exit 2
trap 'rm -f "$out"' EXIT

echo "== cppcheck"
if ! cppcheck --quiet --std=c11 --enable=warning,style,performance,portability \
	--inline-suppr --suppressions-list=scripts/cppcheck.supp \
	--library=scripts/cppcheck-jsonc.cfg --error-exitcode=1 -j "$jobs" \
	-Isrc -D_GNU_SOURCE -DHVTPM_VERSION='"lint"' \
	--template='{file}:{line}: {severity}: {id}: {message}' src 2>"$out"; then
	cat "$out"
	echo "lint: cppcheck found problems" >&2
	fail=1
elif [ -s "$out" ]; then
	cat "$out"
	fail=1
fi

echo "== clang-tidy ($(ls src/*/*.c | wc -l) files)"
export LINT_CFLAGS="-std=c11 -Isrc -D_GNU_SOURCE -DHVTPM_VERSION=\"lint\" $pkgflags"
# shellcheck disable=SC2016,SC2086
if ! ls src/*/*.c | xargs -P "$jobs" -n 1 sh -c 'clang-tidy --quiet "$@" -- $LINT_CFLAGS' \
	clang-tidy >"$out" 2>&1; then
	noise='^[0-9]+ warnings? (and [0-9]+ errors? )?generated\.$|^Suppressed [0-9]+ warnings'
	noise="$noise|^Use -header-filter|^Error while processing"
	grep -v -E "$noise" "$out"
	echo "lint: clang-tidy found problems" >&2
	fail=1
fi

if command -v mandoc >/dev/null 2>&1; then
	echo "== mandoc -Tlint"
	if ! mandoc -Tlint -W warning man/hvtpm.1 >"$out" 2>&1; then
		cat "$out"
		echo "lint: mandoc found problems in man/hvtpm.1" >&2
		fail=1
	fi
else
	echo "== mandoc not installed: man page not linted (apt-get install mandoc)"
fi

[ "$fail" -eq 0 ] && echo "lint: clean"
exit "$fail"
