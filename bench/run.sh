#!/bin/sh
# run.sh - hvtpm benchmarks against the targets of issues 14 and 16 (make bench).
#
# Every figure is measured in this run, next to a reference measured in the
# same run (sha256sum over the same bytes), with the page cache warm:
#
#   1. audit: synthetic estates (bench/gen_estate.c) of 10,000 and 40,000 VM
#      exports (configuration + guest state file with a key protector), one
#      PFX file per ten VMs and a few archives; audit wall time, CPU, peak RSS
#      next to sha256sum; the 40k/10k scaling.
#   2. threads: the smallest estate audited again with HVTPM_THREADS=1 and 4;
#      the JSON reports and the facts files compared byte for byte.
#   3. configurations: 5,000 copies of the three real .vmcx files of
#      tests/corpus; audit (read + hash + parse + model) in files/s, and
#      inspect --format json, inspect --tree --format json next to sha256sum
#      (best of 3 runs each: they are short, and the machine may be busy).
#   4. merge: the facts of the smallest estate multiplied into shards of
#      distinct VMs (bench/mulfacts.sh) up to 200,000 VMs; merge wall time
#      and peak RSS.
#
# It ends with one "measured vs target" line per goal (also in
# bench/out/summary.txt).  A benchmark, not a test: it reports, it never
# fails on a missed target.  See bench/README.md.
#
# Environment:
#   HVTPM_BIN             the program (default ./hvtpm)
#   BUILD                 where make put libhvtpm.a (default build)
#   CC                    compiler for the estate generator (default cc)
#   HVTPM_BENCH_SIZES     estates, in VMs (default "10000 40000")
#   HVTPM_BENCH_VMGS_KIB  guest state file size asked of the generator (default 64)
#   HVTPM_BENCH_CONFIGS   configuration copies (default 5000)
#   HVTPM_BENCH_MERGE_VMS VMs the merged facts describe (default 200000; 0 skips)
#   HVTPM_BENCH_THREADS   thread counts compared with the default (default "1 4")
#   HVTPM_BENCH_RUNS      runs of each configuration measurement, the best
#                         kept (default 3; the estates and the merge run once)
#   HVTPM_BENCH_QUICK     when set (make bench-quick): sizes "1000 4000", 1,000
#                         configurations, 20,000 merged VMs, unless set above
#   HVTPM_BENCH_ESTATES   a folder holding estate-N folders made by another
#                         checkout's run.sh; used read-only instead of
#                         generating (never written to)
# Estates are kept in bench/out/ and made again only when the generator or
# the sizes change.
set -eu
LC_ALL=C
export LC_ALL

here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/.." && pwd)
out="$here/out"
build=${BUILD:-build}
case $build in /*) ;; *) build="$top/$build" ;; esac
bin=${HVTPM_BIN:-$top/hvtpm}
cc=${CC:-cc}
if [ -n "${HVTPM_BENCH_QUICK:-}" ]; then # make bench-quick: a few minutes
	sizes=${HVTPM_BENCH_SIZES:-"1000 4000"}
	ncfg=${HVTPM_BENCH_CONFIGS:-1000}
	merge_vms=${HVTPM_BENCH_MERGE_VMS:-20000}
else
	sizes=${HVTPM_BENCH_SIZES:-"10000 40000"}
	ncfg=${HVTPM_BENCH_CONFIGS:-5000}
	merge_vms=${HVTPM_BENCH_MERGE_VMS:-200000}
fi
vmgs_kib=${HVTPM_BENCH_VMGS_KIB:-64}
threads_alt=${HVTPM_BENCH_THREADS:-"1 4"}
runs=${HVTPM_BENCH_RUNS:-3}
reuse=${HVTPM_BENCH_ESTATES:-}
at=2026-06-01
ncpu=$(nproc 2>/dev/null || getconf _NPROCESSORS_ONLN)

mkdir -p "$out"
[ -x "$bin" ] || { echo "bench: $bin not built (make hvtpm)" >&2; exit 1; }
[ -f "$build/libhvtpm.a" ] || { echo "bench: $build/libhvtpm.a not built" >&2; exit 1; }

pkgs="libcrypto libxml-2.0 zlib json-c libarchive"
# shellcheck disable=SC2046,SC2086 # pkg-config's flags are words
$cc -std=c11 -O2 -D_GNU_SOURCE -I"$top/src" -I"$top/tests" $(pkg-config --cflags $pkgs) \
	-o "$out/gen_estate" "$here/gen_estate.c" "$top/tests/support/hvs_writer.c" \
	"$top/tests/support/kp_writer.c" "$top/tests/support/certgen.c" \
	"$top/tests/support/vmgs_writer.c" "$top/tests/support/vhdx_writer.c" "$build/libhvtpm.a" \
	$(pkg-config --libs $pkgs) -lpthread
$cc -std=c11 -O2 -D_GNU_SOURCE -o "$out/rusage" "$here/rusage.c"

gen_id=$(cat "$here/gen_estate.c" "$top/tests/support/hvs_writer.c" \
	"$top/tests/support/kp_writer.c" "$top/tests/support/certgen.c" \
	"$top/tests/support/vmgs_writer.c" "$top/tests/support/vhdx_writer.c" | sha256sum | cut -c1-16)

# ---- machine --------------------------------------------------------------------------

cpu_model=$(sed -n 's/^model name[[:space:]]*: *//p' /proc/cpuinfo 2>/dev/null | head -n 1)
ram_mib=$(awk '/^MemTotal:/ { printf "%d", $2 / 1024 }' /proc/meminfo 2>/dev/null || echo '?')
machine="$ncpu CPUs (${cpu_model:-unknown CPU}), ${ram_mib} MiB RAM, $(uname -sr)"
echo "bench: $(date -u '+%Y-%m-%d %H:%M UTC'); $machine"
echo "bench: load $(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null || echo unknown) at start"

# ---- helpers ------------------------------------------------------------------------------

# estate N NPFX: sets dir to an estate of N VMs, generated unless the same
# generator already made it (here, or in $reuse, which is only read)
estate() {
	stamp="$gen_id $1 $2 $vmgs_kib"
	if [ -n "$reuse" ] && [ -f "$reuse/estate-$1/passwords.txt" ]; then
		dir="$reuse/estate-$1"
		if [ -f "$dir/.stamp" ] && [ "$(cat "$dir/.stamp")" = "$stamp" ]; then
			return
		fi
		if [ ! -f "$dir/.stamp" ]; then
			echo "bench: $dir has no stamp: taken as it is"
			return
		fi
	fi
	dir="$out/estate-$1"
	if [ -f "$dir/.stamp" ] && [ "$(cat "$dir/.stamp")" = "$stamp" ]; then
		return
	fi
	rm -rf "$dir"
	start=$(date +%s)
	HVTPM_BENCH_VMGS_KIB=$vmgs_kib "$out/gen_estate" "$dir" "$1" "$2"
	echo "bench: generated in $(($(date +%s) - start)) s"
	echo "$stamp" >"$dir/.stamp"
}

# measure OUTFILE COMMAND...: runs it, stdout to OUTFILE, stderr kept in
# bench/out/.stderr; sets wall, rss_kib, code, cpu
measure() {
	o=$1
	shift
	"$out/rusage" "$out/.rusage" "$@" >"$o" 2>"$out/.stderr" || true
	read -r wall rss_kib code cpu <"$out/.rusage"
}

# best N OUTFILE COMMAND...: measure N times; keeps the shortest wall time
# (with its CPU time) and the largest peak RSS
best() {
	k=$1
	shift
	bw=
	brss=0
	while [ "$k" -gt 0 ]; do
		measure "$@"
		if [ -z "$bw" ] || awk -v a="$wall" -v b="$bw" 'BEGIN { exit !(a < b) }'; then
			bw=$wall
			bc=$cpu
		fi
		[ "$rss_kib" -le "$brss" ] || brss=$rss_kib
		k=$((k - 1))
	done
	wall=$bw
	cpu=$bc
	rss_kib=$brss
}

sha_of_tree() {
	best "${2:-1}" /dev/null sh -c "find '$1' -type f -print0 | xargs -0 sha256sum"
}

warm() {
	find "$1" -type f -print0 | xargs -0 cat >/dev/null
}

mib() {
	awk -v k="$1" 'BEGIN { printf "%.1f", k / 1024 }'
}

summary="$out/summary.txt"
: >"$summary"
# goal TEXT MEASURED OP LIMIT UNIT: one "measured vs target" line
# (OP: le, lt or ge; UNIT printed after both numbers)
goal() {
	awk -v t="$1" -v m="$2" -v op="$3" -v l="$4" -v u="$5" 'BEGIN {
		if (m == "" || m == "-") { st = "not measured" }
		else if ((op == "le" && m + 0 <= l + 0) || (op == "lt" && m + 0 < l + 0) ||
			 (op == "ge" && m + 0 >= l + 0)) { st = "met" }
		else if (op == "ge") { st = sprintf("MISSED (%.0f%% short)", 100 * (l - m) / l) }
		else { st = sprintf("MISSED (%.0f%% over)", 100 * (m - l) / l) }
		sym = op == "le" ? "<=" : op == "lt" ? "<" : ">="
		printf "%-50s %16s  vs %-16s %s\n", t, m u, sym " " l u, st }' >>"$summary"
}
# note TEXT VALUE: a line without a numeric target
note() {
	printf '%-50s %16s  %s\n' "$1" "$2" "${3:-}" >>"$summary"
}

# ---- 1. audit over the estates ------------------------------------------------------------

report="$out/report.txt"
: >"$report"
first=
for n in $sizes; do
	npfx=$((n / 10))
	estate "$n" "$npfx"
	files=$(find "$dir/estate" -type f | wc -l)
	bytes=$(du -sb "$dir/estate" | cut -f1)
	pfx=$(find "$dir/estate" -type f -name '*.pfx' | wc -l)
	distinct=$(find "$dir/estate" -type f -name '*.pfx' -print0 | xargs -0 sha256sum |
		cut -c1-64 | sort -u | wc -l)
	vmgs=$(find "$dir/estate" -type f -name '*.vmgs' | head -n 1)
	vmgs_bytes=$(stat -c %s "$vmgs" 2>/dev/null || echo 0)
	warm "$dir/estate"

	sha_of_tree "$dir/estate"
	sha_wall=$wall sha_cpu=$cpu
	measure "$out/audit-$n.json" "$bin" audit -q --at "$at" \
		--password-file "$dir/passwords.txt" --format json "$dir/estate"
	audit_wall=$wall audit_rss=$rss_kib audit_code=$code audit_cpu=$cpu
	ratio=$(awk -v a="$audit_wall" -v s="$sha_wall" 'BEGIN { printf "%.2f", a / s }')
	echo "$n $files $bytes $pfx $distinct $sha_wall $audit_wall $ratio $(mib "$audit_rss")" \
		"$audit_code $sha_cpu $audit_cpu $vmgs_bytes" >>"$report"
	printf 'bench: %s VMs: %s files (%s bytes, guest state files of %s bytes, %s PFX, %s distinct): ' \
		"$n" "$files" "$bytes" "$vmgs_bytes" "$pfx" "$distinct"
	printf 'sha256sum %ss (CPU %ss), audit %ss (CPU %ss, x%s), peak RSS %s MiB, exit %s\n' \
		"$sha_wall" "$sha_cpu" "$audit_wall" "$audit_cpu" "$ratio" "$(mib "$audit_rss")" \
		"$audit_code"
	[ -n "$first" ] || { first=$n; first_dir=$dir; }
done

echo
echo "hvtpm audit (warm page cache, --format json to a file, $ncpu CPUs," \
	"load $(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null || echo unknown))"
awk '
BEGIN {
	printf "%6s %6s %6s %5s %5s | %9s %9s | %9s %9s | %6s %5s | %8s\n", "VMs", "files",
	       "MiB", "PFX", "dist", "sha wall", "sha CPU", "aud wall", "aud CPU", "wall x",
	       "cores", "peak MiB"
}
{
	printf "%6d %6d %6.0f %5d %5d | %9.2f %9.2f | %9.2f %9.2f | %6.2f %5.2f | %8.1f\n",
	       $1, $2, $3 / 1048576, $4, $5, $6, $11, $7, $12, $8, $12 / $7, $9
}' "$report"
echo

while read -r n files bytes pfx distinct sha_wall audit_wall ratio rss code sha_cpu audit_cpu \
	vmgs_bytes; do
	goal "audit wall / sha256sum wall, $n VMs" "$ratio" le 1.00 x
	limit=128
	[ "$n" -le 40000 ] || limit=160
	goal "audit peak RSS, $n VMs" "$rss" lt "$limit" " MiB"
	cores=$(awk -v c="$audit_cpu" -v w="$audit_wall" 'BEGIN { printf "%.2f", c / w }')
	goal "audit cores busy (CPU/wall), $n VMs" "$cores" ge \
		"$(awk -v n="$ncpu" 'BEGIN { printf "%.2f", 0.85 * n }')" ""
done <"$report"
nsizes=$(wc -l <"$report")
if [ "$nsizes" -ge 2 ]; then
	# shellcheck disable=SC2046 # numbers
	set -- $(awk 'NR == 1 { n1 = $1; t1 = $7; c1 = $12; r1 = $9 }
		END { printf "%d %d %.2f %.2f %.2f %.2f %.1f", n1, $1, $7 / t1, 1.05 * $1 / n1,
		      $12 / c1, $9 / r1, $1 / n1 }' "$report")
	goal "audit wall $2 VMs / $1 VMs (linear)" "$3" le "$4" x
	note "  audit CPU, $2 VMs / $1 VMs" "$5x" "(peak RSS x$6; VMs x$7)"
fi

# ---- 2. the same output whatever the number of threads ---------------------------------------

if [ -n "$first" ]; then
	n=$first
	dir=$first_dir
	same=identical
	detail="$ncpu (default)"
	base_wall=$(awk 'NR == 1 { print $7 }' "$report")
	rm -f "$out"/threads-*.facts
	for t in $threads_alt; do
		measure "$out/threads-$t.json" env HVTPM_THREADS="$t" "$bin" audit -q --at "$at" \
			--password-file "$dir/passwords.txt" --format json \
			--facts-out "$out/threads-$t.facts" --shard bench "$dir/estate"
		echo "bench: $n VMs, HVTPM_THREADS=$t (and --facts-out): audit ${wall}s" \
			"(CPU ${cpu}s), peak RSS $(mib "$rss_kib") MiB, exit $code"
		[ "$t" != 1 ] || one_wall=$wall
		cmp -s "$out/audit-$n.json" "$out/threads-$t.json" || same="DIFFERENT"
		[ "$t" = "${threads_alt%% *}" ] ||
			cmp -s "$out/threads-${threads_alt%% *}.facts" "$out/threads-$t.facts" ||
			same="DIFFERENT"
		detail="$detail, $t"
	done
	note "same JSON and facts, HVTPM_THREADS=$detail" "$same" \
		"vs identical ($n VMs)"
	[ -z "${one_wall:-}" ] || note "  audit wall, 1 thread / default threads" \
		"$(awk -v a="$one_wall" -v b="$base_wall" 'BEGIN { printf "%.2f", a / b }')x" \
		"($n VMs; the 1-thread run also writes facts)"
fi

# ---- 3. configurations: audit rate, inspect streaming ---------------------------------------

cfgdir="$out/corpus-configs"
corpus="$top/tests/corpus/hyperv"
set -- "$corpus/test.vmcx" "$corpus/EC04F346-DB96-4700-AF5B-77B3C56C38BD.vmcx" \
	"$corpus/993F7B33-6057-4D1E-A1FE-A1A1D77BE974.vmcx"
cstamp="$ncfg $(cat "$@" | sha256sum | cut -c1-16)"
if [ ! -f "$cfgdir/.stamp" ] || [ "$(cat "$cfgdir/.stamp")" != "$cstamp" ]; then
	rm -rf "$cfgdir"
	mkdir -p "$cfgdir"
	i=0
	while [ "$i" -lt "$ncfg" ]; do
		for f in "$@"; do
			[ "$i" -lt "$ncfg" ] || break
			cp "$f" "$cfgdir/$(printf %05d "$i")-${f##*/}"
			i=$((i + 1))
		done
	done
	echo "$cstamp" >"$cfgdir/.stamp"
fi
warm "$cfgdir"
sha_of_tree "$cfgdir" "$runs"
sha_wall=$wall
best "$runs" /dev/null "$bin" audit -q --at "$at" --format json "$cfgdir"
rate=$(awk -v n="$ncfg" -v w="$wall" 'BEGIN { printf "%.0f", n / w }')
echo "bench: $ncfg configurations (best of $runs): sha256sum ${sha_wall}s; audit ${wall}s" \
	"(CPU ${cpu}s, $rate files/s), peak RSS $(mib "$rss_kib") MiB"
goal "configurations read+hash+parse+model (audit)" "$rate" ge 3500 " files/s"
for tree in "" --tree; do
	# shellcheck disable=SC2086 # $tree: no word or one
	best "$runs" /dev/null "$bin" inspect $tree --format json "$cfgdir"
	ratio=$(awk -v a="$wall" -v s="$sha_wall" 'BEGIN { printf "%.2f", a / s }')
	rate=$(awk -v n="$ncfg" -v w="$wall" 'BEGIN { printf "%.0f", n / w }')
	echo "bench: inspect ${tree:+$tree }--format json, $ncfg configurations: ${wall}s" \
		"(CPU ${cpu}s, $rate files/s, x$ratio sha256sum), peak RSS $(mib "$rss_kib") MiB"
	goal "inspect ${tree:+$tree }--format json wall / sha256sum" "$ratio" le 3.00 x
	goal "inspect ${tree:+$tree }--format json peak RSS" "$(mib "$rss_kib")" lt 64 " MiB"
done

# ---- 4. merge of facts describing merge_vms VMs ------------------------------------------------

if [ "$merge_vms" -gt 0 ] && [ -n "$first" ]; then
	base="$out/threads-${threads_alt%% *}.facts"
	shards=$(((merge_vms + first - 1) / first))
	mdir="$out/merge-$merge_vms"
	mstamp="$(cat "$base" "$here/mulfacts.sh" | sha256sum | cut -c1-64) $shards"
	if [ ! -f "$mdir/.stamp" ] || [ "$(cat "$mdir/.stamp")" != "$mstamp" ]; then
		rm -rf "$mdir"
		mkdir -p "$mdir"
		sh "$here/mulfacts.sh" "$base" "$shards" "$mdir"
		echo "$mstamp" >"$mdir/.stamp"
	fi
	warm "$mdir"
	# The report (gigabytes at 200,000 VMs) is not kept: a sed on the other end
	# of the pipe takes the VM count from its summary (its CPU time is counted).
	measure "$out/merge.vms" sh -c "{ '$bin' merge -q --at '$at' --format json \
		'$mdir'/*.facts; echo \$? >'$out/merge.rc'; } | sed -n '/^    \"vms\": /p'"
	vms=$(tr -dc 0-9 <"$out/merge.vms")
	echo "bench: merge of $shards facts files ($(du -sm "$mdir" | cut -f1) MiB, ${vms:-?} VMs):" \
		"${wall}s (CPU ${cpu}s), peak RSS $(mib "$rss_kib") MiB, exit $(cat "$out/merge.rc")"
	note "merge wall time, ${vms:-?} VMs ($shards shards)" "${wall} s" "(no target)"
	goal "merge peak RSS, ${vms:-?} VMs" "$(mib "$rss_kib")" lt 160 " MiB"
fi

echo
echo "== measured vs target ($(date -u '+%Y-%m-%d'), $machine)"
cat "$summary"
