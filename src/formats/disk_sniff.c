/*
 * disk_sniff.c - disk and volume images recognised by signature.
 *
 * Layouts (docs/disk.md s.5; details in s.2, s.3, s.6, s.7):
 *   VHDX   "vhdxfile" at 0 [confirmed: MS-VHDX 2.2.1]
 *   VHD    512-byte footer "conectix" at size-512;
 *          dynamic and differencing disks also keep a copy at 0 [confirmed:
 *          VHD spec, libvhdi]
 *   GPT    "EFI PART" at byte 512 (512-byte sectors) or 4096 (4Kn)
 *   MBR    55 AA at 510; each of the four 16-byte entries at 446 has a boot
 *          flag of 00 or 80 and, when its type is not zero, a non-zero start
 *          and length [our plausibility rule: a FAT or NTFS boot sector also
 *          ends in 55 AA, so the volume kinds below are checked first]
 *   volume a boot sector that bitlocker.c classifies as BitLocker (any
 *          variant), NTFS, FAT, exFAT or ReFS
 */
#include "formats/disk_sniff.h"

#include <string.h>

#include "formats/bitlocker.h"
#include "formats/vhd.h"
#include "formats/vhdx.h"

#define MBR_TABLE 446
#define MBR_ENTRY 16

static bool mbr_plausible(span_t head)
{
	if (head.len < 512 || head.data[510] != 0x55 || head.data[511] != 0xAA)
		return false;
	bool any = false;
	for (int i = 0; i < 4; i++) {
		const uint8_t *e = head.data + MBR_TABLE + i * MBR_ENTRY;
		if (e[0] != 0x00 && e[0] != 0x80)
			return false;
		if (e[4] == 0)
			continue;
		if (ld32le(e + 8) == 0 || ld32le(e + 12) == 0)
			return false;
		any = true;
	}
	return any;
}

static bool volume_boot_sector(span_t head)
{
	if (head.len < 512)
		return false;
	bde_boot_kind k = bde_classify_boot_sector(span_make(head.data, 512));
	return bde_boot_is_bitlocker(k) || k == BDE_BOOT_NTFS || k == BDE_BOOT_FAT ||
	       k == BDE_BOOT_EXFAT || k == BDE_BOOT_REFS;
}

disk_sniff_kind disk_sniff(span_t head, span_t tail, uint64_t size)
{
	if (head.len >= 8 && vhdx_sniff(head.data, head.len))
		return DISK_SNIFF_VHDX;
	if (head.len >= 512 && vhd_sniff_footer(head.data, 512))
		return DISK_SNIFF_VHD;
	if (size >= 512 && tail.len >= 512 && vhd_sniff_footer(tail.data + tail.len - 512, 512))
		return DISK_SNIFF_VHD;
	if (span_eq(head, 512, "EFI PART", 8) || span_eq(head, 4096, "EFI PART", 8))
		return DISK_SNIFF_GPT;
	if (volume_boot_sector(head))
		return DISK_SNIFF_VOLUME;
	if (mbr_plausible(head))
		return DISK_SNIFF_MBR;
	return DISK_SNIFF_NONE;
}

const char *disk_sniff_name(disk_sniff_kind k)
{
	switch (k) {
	case DISK_SNIFF_VHDX: return "vhdx";
	case DISK_SNIFF_VHD: return "vhd";
	case DISK_SNIFF_GPT: return "gpt";
	case DISK_SNIFF_MBR: return "mbr";
	case DISK_SNIFF_VOLUME: return "volume";
	case DISK_SNIFF_NONE: return "none";
	}
	return "none";
}
