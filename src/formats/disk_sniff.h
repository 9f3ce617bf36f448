/*
 * disk_sniff.h - is this a disk or volume image?  Decided by signatures
 * only, whatever the file size: VHDX ("vhdxfile" at 0), VHD (the
 * "conectix" footer at the end, or its copy at 0 for dynamic and
 * differencing disks), a GPT ("EFI PART" at LBA 1 for 512- or 4096-byte
 * sectors), an MBR whose four entries are plausible, or a volume boot
 * sector (BitLocker, NTFS, FAT, exFAT, ReFS) ending in 55 AA.  Random bytes
 * are none of these.
 */
#ifndef HVTPM_DISK_SNIFF_H
#define HVTPM_DISK_SNIFF_H

#include <stdint.h>

#include "util/bytes.h"

typedef enum {
	DISK_SNIFF_NONE = 0,
	DISK_SNIFF_VHDX,
	DISK_SNIFF_VHD,        /* footer or footer copy */
	DISK_SNIFF_GPT,
	DISK_SNIFF_MBR,
	DISK_SNIFF_VOLUME,     /* a volume boot sector: BitLocker, NTFS, FAT, exFAT, ReFS */
} disk_sniff_kind;

/*
 * head: the first bytes of the file (at least 8 KiB where the file has
 * them); tail: its last 512 bytes (or fewer for a shorter file); size: the
 * file size.
 */
disk_sniff_kind disk_sniff(span_t head, span_t tail, uint64_t size);
/* "vhdx", "vhd", "gpt", "mbr", "volume", "none". */
const char *disk_sniff_name(disk_sniff_kind k);

#endif
