#!/bin/sh
# run.sh - run Check test binaries and add up their results.
# Each binary prints Check's own summary line; this script adds the total
# as "N passed, N failed, N skipped" and exits non-zero on any failure.
# Tests that cannot run here (a missing oracle tool, say) print
# a line starting with "SKIP:" and are counted as skipped, not passed.
set -u
pass=0 fail=0 skip=0 broken=0
out=$(mktemp) || exit 1
trap 'rm -f "$out"' EXIT
for t in "$@"; do
	name=$(basename "$t")
	if [ -n "${HVTPM_ONLY:-}" ] && [ "$name" != "$HVTPM_ONLY" ]; then continue; fi
	"$t" >"$out" 2>&1
	rc=$?
	cat "$out"
	line=$(grep -E '^[0-9]+%: Checks: ' "$out" | tail -n 1)
	if [ -z "$line" ]; then
		echo "run.sh: $name printed no Check summary (exit $rc)"
		broken=$((broken + 1))
		continue
	fi
	n=$(echo "$line" | sed -E 's/.*Checks: ([0-9]+).*/\1/')
	f=$(echo "$line" | sed -E 's/.*Failures: ([0-9]+).*/\1/')
	e=$(echo "$line" | sed -E 's/.*Errors: ([0-9]+).*/\1/')
	s=$(grep -c '^SKIP:' "$out")
	pass=$((pass + n - f - e - s))
	fail=$((fail + f + e))
	skip=$((skip + s))
	[ "$rc" -ne 0 ] && [ $((f + e)) -eq 0 ] && broken=$((broken + 1))
done
fail=$((fail + broken))
echo "$pass passed, $fail failed, $skip skipped"
[ "$fail" -eq 0 ]
