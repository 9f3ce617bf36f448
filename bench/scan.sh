#!/bin/sh
# scan.sh - a large guest-state-like file (4 GiB of pseudo-random bytes, not
# sparse, a key protector document near its end) read by hvtpm inspect: wall
# time and peak RSS next to sha256sum over the same file, page cache warm.
# Targets (issue 12): peak RSS < 64 MiB, wall time no more than sha256sum's.
# A benchmark: it reports, it does not fail.
#   HVTPM_BENCH_SCAN_GIB (default 4)
set -eu
B=${BUILD:-build}
OUT=bench/out
mkdir -p "$OUT"
BR="$B/tools/bench_readers"
gib=${HVTPM_BENCH_SCAN_GIB:-4}
f="$OUT/scan-$gib.bin"
cc -std=c11 -O2 -D_GNU_SOURCE -o "$OUT/rusage" bench/rusage.c
if [ ! -f "$f" ] || [ "$(stat -c %s "$f")" -ne $((gib * 1073741824)) ]; then
	echo "bench: writing $f ($gib GiB)"
	"$BR" scanfile "$f" "$gib"
fi
cat "$f" >/dev/null # warm the cache for both
"$OUT/rusage" "$OUT/.rusage" sha256sum "$f" >/dev/null
read -r sha_wall sha_rss code sha_cpu <"$OUT/.rusage"
"$OUT/rusage" "$OUT/.rusage" ./hvtpm inspect --format json "$f" >"$OUT/scan.json"
read -r hv_wall hv_rss hv_code hv_cpu <"$OUT/.rusage"
found=$(grep -c '"origin": "carved"' "$OUT/scan.json" || true)
echo "== scanning a $gib GiB guest-state-like file (not sparse)"
awk -v s="$sha_wall" -v h="$hv_wall" -v r="$hv_rss" -v c="$hv_code" -v k="$found" 'BEGIN {
	printf "sha256sum %.2f s; hvtpm inspect %.2f s (x%.2f), peak RSS %.1f MiB, exit %s, " \
	       "key protectors found %d\n", s, h, h / s, r / 1024, c, k
	print "targets: peak RSS < 64 MiB; wall <= sha256sum" }'
