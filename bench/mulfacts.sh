#!/bin/sh
# mulfacts.sh FACTS K OUTDIR - K copies of one facts file (audit --facts-out),
# written as the facts of K shards of distinct VMs, for the merge benchmark.
#
# Copy I (1..K) is OUTDIR/shard-III.facts with:
#   - the shard label LABEL-I (LABEL: the one in FACTS), so paths stay apart;
#   - every upper-case GUID (VM ids, and the paths and hints that carry
#     them) starting with the four hex digits of I, and every VM name
#     vm-N renamed vmI-N, so that no VM of one copy is a VM of another;
#   - its end line made again: the record count and the SHA-256 of the lines
#     before it (docs/facts.md, "Lines").
# The certificates, PFX files and hosts are the same in every copy: the
# merged estate has K times the VMs and files, not more certificates.
# POSIX sh and sed only.
set -eu
[ $# -eq 3 ] || { echo "usage: mulfacts.sh FACTS K OUTDIR" >&2; exit 2; }
in=$1
k=$2
dir=$3
mkdir -p "$dir"
label=$(sed -n '1s/.*"shard":"\([^"]*\)".*/\1/p' "$in")
hex='[0-9A-F]'
i=1
while [ "$i" -le "$k" ]; do
	f="$dir/shard-$(printf %03d "$i").facts"
	pfx=$(printf %04X "$i")
	sed -e '$d' \
		-e "1s/\"shard\":\"[^\"]*\"/\"shard\":\"$label-$i\"/" \
		-e "s/$hex$hex$hex$hex\\($hex\\{4\\}-$hex\\{4\\}-$hex\\{4\\}-$hex\\{4\\}-$hex\\{12\\}\\)/$pfx\\1/g" \
		-e "s/vm-\\([0-9]\\)/vm$i-\\1/g" "$in" >"$f.tmp"
	n=$(wc -l <"$f.tmp")
	sha=$(sha256sum <"$f.tmp" | cut -c1-64)
	printf '{"t":"end","records":%d,"sha256":"%s"}\n' "$n" "$sha" >>"$f.tmp"
	mv "$f.tmp" "$f"
	i=$((i + 1))
done
