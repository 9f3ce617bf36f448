#!/bin/sh
# run.sh - hvtpm benchmarks (make bench).
#
# audit: a synthetic estate (bench/gen_estate.c) of 1,000 and of 10,000 VM
# exports (configuration + guest state file with a key protector), 100 and
# 1,000 PFX files and a few archives, audited once each with the page cache
# warm.  Printed in one run: audit wall time and peak RSS, sha256sum wall
# time over the same files, their ratio, and the 1,000 vs 10,000 scaling.
# Targets (issue): audit <= 1.5 x sha256sum, peak RSS < 128 MiB at 10,000
# VMs, cost linear in the number of files.  A benchmark, not a test: it
# reports, it does not fail on a missed target.
#
# Environment: HVTPM_BIN (default ./hvtpm), BUILD (default build: where
# `make` put libhvtpm.a), CC, HVTPM_BENCH_SIZES (default "1000 10000"),
# HVTPM_BENCH_VMGS_KIB (guest state file size, default 256).
# The estates are kept in bench/out/ and made again only when the generator
# or the sizes change.
set -eu

here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/.." && pwd)
out="$here/out"
build=${BUILD:-build}
case $build in /*) ;; *) build="$top/$build" ;; esac
bin=${HVTPM_BIN:-$top/hvtpm}
cc=${CC:-cc}
sizes=${HVTPM_BENCH_SIZES:-"1000 10000"}
vmgs_kib=${HVTPM_BENCH_VMGS_KIB:-256}
at=2026-06-01

mkdir -p "$out"
[ -x "$bin" ] || { echo "bench: $bin not built (make hvtpm)" >&2; exit 1; }
[ -f "$build/libhvtpm.a" ] || { echo "bench: $build/libhvtpm.a not built" >&2; exit 1; }

pkgs="libcrypto libxml-2.0 zlib json-c libarchive"
# shellcheck disable=SC2046
$cc -std=c11 -O2 -D_GNU_SOURCE -I"$top/src" -I"$top/tests" $(pkg-config --cflags $pkgs) \
	-o "$out/gen_estate" "$here/gen_estate.c" "$top/tests/support/hvs_writer.c" \
	"$top/tests/support/kp_writer.c" "$top/tests/support/certgen.c" \
	"$top/tests/support/vmgs_writer.c" "$top/tests/support/vhdx_writer.c" "$build/libhvtpm.a" \
	$(pkg-config --libs $pkgs) -lpthread
$cc -std=c11 -O2 -D_GNU_SOURCE -o "$out/rusage" "$here/rusage.c"

gen_id=$(cat "$here/gen_estate.c" "$top/tests/support/hvs_writer.c" \
	"$top/tests/support/kp_writer.c" "$top/tests/support/certgen.c" \
	"$top/tests/support/vmgs_writer.c" "$top/tests/support/vhdx_writer.c" | sha256sum | cut -c1-16)

# estate DIR NVMS NPFX: generate unless the same generator already made it
estate() {
	stamp="$gen_id $2 $3 $vmgs_kib"
	if [ -f "$1/.stamp" ] && [ "$(cat "$1/.stamp")" = "$stamp" ]; then
		return
	fi
	rm -rf "$1"
	start=$(date +%s)
	HVTPM_BENCH_VMGS_KIB=$vmgs_kib "$out/gen_estate" "$1" "$2" "$3"
	echo "bench: generated in $(($(date +%s) - start)) s"
	echo "$stamp" >"$1/.stamp"
}

# measure COMMAND...: runs it (output discarded); sets wall, rss_kib, code, cpu
measure() {
	"$out/rusage" "$out/.rusage" "$@" >/dev/null 2>"$out/.stderr" || true
	read -r wall rss_kib code cpu <"$out/.rusage"
}

report="$out/report.txt"
: >"$report"
for n in $sizes; do
	npfx=$((n / 10))
	dir="$out/estate-$n"
	estate "$dir" "$n" "$npfx"
	files=$(find "$dir/estate" -type f | wc -l)
	bytes=$(du -sb "$dir/estate" | cut -f1)
	pfx=$(find "$dir/estate" -type f -name '*.pfx' | wc -l)
	distinct=$(find "$dir/estate" -type f -name '*.pfx' -print0 | xargs -0 sha256sum |
		cut -c1-64 | sort -u | wc -l)
	# warm the page cache so that both sides read from memory
	find "$dir/estate" -type f -print0 | xargs -0 cat >/dev/null

	measure sh -c "find '$dir/estate' -type f -print0 | xargs -0 sha256sum"
	sha_wall=$wall sha_cpu=$cpu
	measure "$bin" audit -q --at "$at" --password-file "$dir/passwords.txt" --format json \
		"$dir/estate"
	audit_wall=$wall audit_rss=$rss_kib audit_code=$code audit_cpu=$cpu
	ratio=$(awk -v a="$audit_wall" -v s="$sha_wall" 'BEGIN { printf "%.2f", a / s }')
	rss_mib=$(awk -v k="$audit_rss" 'BEGIN { printf "%.1f", k / 1024 }')
	echo "$n $files $bytes $pfx $distinct $sha_wall $audit_wall $ratio $rss_mib" \
		"$audit_code $sha_cpu $audit_cpu" >>"$report"
	printf 'bench: %s VMs: %s files (%s bytes, %s PFX, %s distinct): ' \
		"$n" "$files" "$bytes" "$pfx" "$distinct"
	printf 'sha256sum %ss (CPU %ss), audit %ss (CPU %ss, x%s), peak RSS %s MiB, exit %s\n' \
		"$sha_wall" "$sha_cpu" "$audit_wall" "$audit_cpu" "$ratio" "$rss_mib" "$audit_code"
done

echo
echo "hvtpm audit benchmark (warm page cache, --format json to /dev/null, $(nproc) CPUs," \
	"load $(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null || echo unknown))"
awk '
BEGIN {
	printf "%6s %6s %6s %5s %5s | %9s %9s | %9s %9s | %6s %6s | %8s\n", "VMs", "files",
	       "MiB", "PFX", "dist", "sha wall", "sha CPU", "aud wall", "aud CPU", "wall x",
	       "CPU x", "peak MiB"
}
{
	printf "%6d %6d %6.0f %5d %5d | %9.2f %9.2f | %9.2f %9.2f | %6.2f %6.2f | %8.1f\n",
	       $1, $2, $3 / 1048576, $4, $5, $6, $11, $7, $12, $8, $12 / $11, $9
	n[NR] = $1; f[NR] = $2; t[NR] = $7; c[NR] = $12; r[NR] = $9
}
END {
	print ""
	print "targets: audit wall <= 1.5 x sha256sum; peak RSS < 128 MiB at 10,000 VMs;" \
	      " cost linear in files"
	if (NR >= 2) {
		printf "scaling %d -> %d VMs: files x%.2f, audit wall x%.2f, audit CPU x%.2f," \
		       " peak RSS x%.2f\n", n[1], n[NR], f[NR] / f[1], t[NR] / t[1], c[NR] / c[1],
		       r[NR] / r[1]
	}
}' "$report"
