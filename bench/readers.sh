#!/bin/sh
# readers.sh - reader benchmarks, each next to a reference tool on the same bytes.
#   configs: read+hash+parse+model 5,000 .vmcx vs sha256sum   (target: <= 2x)
#   pfx:     pfx_open per file vs openssl pkcs12 -info -noout
#   disk:    a 100 GiB sparse dynamic VHDX: bytes read and time vs qemu-img info
#            (targets: < 16 MiB read, < 0.2 s)
set -eu
B=${BUILD:-build}
OUT=bench/out
mkdir -p "$OUT"
BR="$B/tools/bench_readers"
ncfg=${HVTPM_BENCH_CONFIGS:-5000}
npfx=${HVTPM_BENCH_PFX:-200}

if [ ! -d "$OUT/configs" ] || [ "$(ls "$OUT/configs" | wc -l)" -ne "$ncfg" ]; then
	rm -rf "$OUT/configs"
	"$BR" configs "$OUT/configs" "$ncfg"
fi
cat "$OUT"/configs/* >/dev/null   # same warm cache for both runs
echo "== configuration files ($ncfg .vmcx)"
t0=$(date +%s.%N)
find "$OUT/configs" -type f -print0 | xargs -0 sha256sum >/dev/null
t1=$(date +%s.%N)
"$BR" read "$OUT/configs"
t2=$(date +%s.%N)
awk -v a="$t0" -v b="$t1" -v c="$t2" 'BEGIN {
	h = b - a; r = c - b;
	printf "sha256sum: %.3f s; hvtpm read+model: %.3f s; ratio %.2f (target <= 2.00)\n", h, r, r / h }'

if [ ! -d "$OUT/pfx" ] || [ "$(ls "$OUT/pfx" | wc -l)" -ne "$npfx" ]; then
	rm -rf "$OUT/pfx"
	"$BR" pfx "$OUT/pfx" "$npfx"
fi
echo "== PFX files ($npfx, half AES-256, half RC2-40/3DES)"
t0=$(date +%s.%N)
for f in "$OUT"/pfx/*.pfx; do
	openssl pkcs12 -info -noout -legacy -in "$f" -passin pass:bench-only >/dev/null 2>&1 || true
done
t1=$(date +%s.%N)
"$BR" open "$OUT/pfx"
t2=$(date +%s.%N)
awk -v a="$t0" -v b="$t1" -v c="$t2" -v n="$npfx" 'BEGIN {
	printf "openssl pkcs12 -info: %.1f files/s; hvtpm: %.1f files/s\n", n / (b - a), n / (c - b) }'

echo "== 100 GiB dynamic VHDX (sparse)"
if command -v qemu-img >/dev/null 2>&1; then
	rm -f "$OUT/big.vhdx"
	qemu-img create -q -f vhdx -o subformat=dynamic "$OUT/big.vhdx" 100G
	"$BR" disk "$OUT/big.vhdx"
	t0=$(date +%s.%N)
	qemu-img info "$OUT/big.vhdx" >/dev/null
	t1=$(date +%s.%N)
	awk -v a="$t0" -v b="$t1" 'BEGIN { printf "qemu-img info: %.4f s\n", b - a }'
	rm -f "$OUT/big.vhdx"
else
	echo "qemu-img not installed: disk benchmark skipped"
fi
