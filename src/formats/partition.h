/*
 * partition.h - GPT and MBR partition tables of a virtual disk, with every
 * basic-data / MBR 0x07 partition classified by its boot sector
 * (BitLocker variants, NTFS, other).  Format notes at the top of
 * partition.c and in docs/disk.md s.6.
 */
#ifndef HVTPM_PARTITION_H
#define HVTPM_PARTITION_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "formats/bitlocker.h"
#include "formats/vdisk.h"
#include "util/diag.h"

#define PART_MAX_GPT_ENTRIES 4096      /* NumberOfPartitionEntries accepted */
#define PART_MAX_GPT_ARRAY (1u << 20)  /* bytes of the entry array accepted */
#define PART_MAX_LOGICAL 128           /* EBR chain length */

typedef enum {
	PART_SCHEME_NONE = 0,  /* no table: the disk is one volume or unknown */
	PART_SCHEME_MBR,
	PART_SCHEME_GPT,
} part_scheme;

typedef enum {
	PART_CLASS_NOT_EXAMINED = 0,  /* type not basic data / 0x07: named by type only */
	PART_CLASS_BITLOCKER,
	PART_CLASS_BITLOCKER_EOW,
	PART_CLASS_BITLOCKER_TOGO,
	PART_CLASS_BITLOCKER_VISTA,
	PART_CLASS_BITLOCKER_UNKNOWN_ID,
	PART_CLASS_NTFS,
	PART_CLASS_OTHER,
	PART_CLASS_EMPTY,             /* boot sector all zero */
	PART_CLASS_UNREADABLE,        /* out of the disk or read error */
} part_class;

typedef struct {
	unsigned index;          /* GPT entry number (1-based); MBR 1-4, logical 5+; 0 = whole disk */
	part_scheme scheme;
	uint8_t type_guid[16];   /* GPT */
	uint8_t unique_guid[16]; /* GPT */
	char type_guid_str[37];  /* GPT type GUID, or "" for MBR */
	uint8_t mbr_type;        /* MBR type byte, 0 for GPT */
	const char *type_name;   /* "basic data", "EFI system", "MSR", ... */
	uint64_t first_lba, last_lba;   /* in logical sectors, inclusive */
	uint64_t offset, size;          /* bytes */
	uint64_t attributes;            /* GPT attributes / MBR boot flag */
	char *name;                     /* GPT name (UTF-8), or NULL */
	part_class cls;
	bde_boot_kind boot_kind;        /* when examined */
} part_entry;

typedef struct {
	part_scheme scheme;
	uint32_t sector_size;     /* the LBA unit used */
	uint8_t disk_guid[16];    /* GPT */
	char disk_guid_str[37];
	bool protective_mbr;
	bool gpt_backup_used;     /* the primary GPT was bad */
	bool gpt_primary_bad, gpt_backup_bad;
	part_entry *v;
	size_t n;
} part_table;

/*
 * Reads the partition table of vd.  Tries the container's logical sector
 * size first; on a raw disk without GPT at 512 it also tries 4096.
 * HV_OK with scheme NONE when there is no table (a whole-disk volume is
 * then listed as entry 0).  HV_ERR_CORRUPT when a protective MBR promises a
 * GPT that is unreadable in both copies.
 */
hv_err part_read(vdisk *vd, part_table *out, hv_findings *f);
void part_table_free(part_table *t);

const char *part_scheme_name(part_scheme s);   /* "none", "mbr", "gpt" */
const char *part_class_name(part_class c);     /* "bitlocker", "ntfs", ... */
bool part_class_is_bitlocker(part_class c);
/* Name of a GPT type GUID (mixed-endian bytes) or MBR type byte. */
const char *part_gpt_type_name(const uint8_t guid[16]);
const char *part_mbr_type_name(uint8_t type);

#endif
