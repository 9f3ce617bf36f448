/*
 * bitlocker.h - BitLocker (FVE) volume detection and protector listing from
 * the unencrypted FVE metadata.  Nothing is decrypted.  Format notes at the
 * top of bitlocker.c and in docs/disk.md s.7.
 */
#ifndef HVTPM_BITLOCKER_H
#define HVTPM_BITLOCKER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "formats/vdisk.h"
#include "util/bytes.h"
#include "util/diag.h"

#define BDE_BOOT_SECTOR 512
#define BDE_BLOCKS 3

/* What a volume boot sector says. */
typedef enum {
	BDE_BOOT_EMPTY = 0,    /* all zero */
	BDE_BOOT_OTHER,        /* some other file system or nothing known */
	BDE_BOOT_NTFS,         /* "NTFS    ": not encrypted (or fully decrypted) */
	BDE_BOOT_FAT,          /* FAT without BitLocker */
	BDE_BOOT_EXFAT,
	BDE_BOOT_REFS,
	BDE_BOOT_BITLOCKER,    /* Windows 7+ "-FVE-FS-", GUID 4967D63B-... */
	BDE_BOOT_BITLOCKER_EOW,   /* used-space-only GUID 92A84D3B-... */
	BDE_BOOT_BITLOCKER_TOGO,  /* FAT "MSWIN4.1" with the GUID at +424 */
	BDE_BOOT_BITLOCKER_VISTA, /* "-FVE-FS-" with EB 52 90: version 1, unsupported */
	BDE_BOOT_BITLOCKER_UNKNOWN_ID, /* "-FVE-FS-" v2 jump, unknown identifier GUID */
} bde_boot_kind;

bde_boot_kind bde_classify_boot_sector(span_t sector);
bool bde_boot_is_bitlocker(bde_boot_kind k);
/* "bitlocker", "bitlocker_used_space_only", "ntfs", ... (stable, snake_case). */
const char *bde_boot_kind_name(bde_boot_kind k);

/* Status of each of the three metadata copies. */
typedef enum {
	BDE_BLOCK_UNREAD = 0,
	BDE_BLOCK_OK,
	BDE_BLOCK_ZEROED,         /* all-zero header: no copy there */
	BDE_BLOCK_BAD_SIGNATURE,
	BDE_BLOCK_BAD_VERSION,
	BDE_BLOCK_BAD_CRC,        /* structure fine, CRC32 mismatch */
	BDE_BLOCK_BAD_STRUCTURE,  /* sizes or dataset header not sane */
	BDE_BLOCK_OUT_OF_RANGE,   /* offset outside the volume */
	BDE_BLOCK_UNREADABLE,
} bde_block_status;

const char *bde_block_status_name(bde_block_status s);

/* Raw VMK protection types (u16 at VMK +34). */
enum {
	BDE_PROT_CLEAR_KEY = 0x0000,
	BDE_PROT_TPM = 0x0100,
	BDE_PROT_EXTERNAL_KEY = 0x0200,
	BDE_PROT_TPM_STARTUP_KEY = 0x0300,
	BDE_PROT_TPM_PIN = 0x0500,
	BDE_PROT_TPM_PIN_STARTUP_KEY = 0x0700,
	BDE_PROT_RECOVERY_PASSWORD = 0x0800,
	BDE_PROT_CERTIFICATE = 0x1000,
	BDE_PROT_PASSWORD = 0x2000,
};

typedef struct {
	uint8_t guid[16];
	char guid_str[37];          /* upper case, no braces */
	uint64_t last_change;       /* FILETIME */
	uint16_t type_value;        /* raw protection type */
	uint16_t entry_version;
	uint32_t entry_offset;      /* from the start of the metadata block */
	char *name;                 /* first nested string, e.g. "DiskPassword", or NULL */
	bool has_stretch_key;       /* nested value type 3 */
	bool has_use_key;           /* 4 */
	bool has_aes_ccm;           /* 5 */
	bool has_tpm_blob;          /* 6 */
	bool has_clear_key;         /* 1: unprotected key material */
	bool has_public_key;        /* 0xC / 0xE */
	bool possibly_escrowed;     /* 0x15 [inferred]: backup/escrow information */
	char recovery_key_id[9];    /* recovery password only: first 8 hex digits [inferred] */
} bde_protector;

typedef struct {
	bde_boot_kind boot_kind;
	unsigned version;           /* 2 (Windows 7+), 1 (Vista) */
	uint16_t bytes_per_sector;
	uint64_t block_offset[BDE_BLOCKS];   /* from the boot sector */
	bde_block_status block_status[BDE_BLOCKS];
	int block_used;             /* 0..2, or -1 */
	bool crc_verified;          /* the block used passed the CRC32 check */
	bool copies_differ;         /* another good copy differs from the one used */
	uint64_t eow_offset[2];     /* used-space-only volumes */
	uint16_t state_current, state_next;
	uint64_t encrypted_size;
	uint32_t method_raw;        /* u32 at dataset +36 */
	uint16_t method;            /* low 16 bits */
	uint8_t volume_guid[16];
	char volume_guid_str[37];
	uint64_t creation_time;     /* FILETIME */
	char *description;          /* UTF-8, or NULL */
	uint64_t volume_header_offset, volume_header_size;
	bool has_fvek;
	bde_protector *prot;
	size_t nprot;
	uint32_t unknown_entries;   /* dataset entries of other types */
} bde_volume;

/*
 * Reads the FVE metadata of the volume at byte vol_off (vol_len bytes) of
 * vd.  HV_ERR_FORMAT when the boot sector is not BitLocker; HV_ERR_UNSUPPORTED
 * for Vista (v1); HV_ERR_CORRUPT when no metadata copy is usable.  On HV_OK
 * out holds the protectors of the first good copy (CRC checked; copies 2
 * and 3 are the fallback).  out is filled as far as possible in every case
 * and must be released with bde_volume_free.
 */
hv_err bde_read(vdisk *vd, uint64_t vol_off, uint64_t vol_len, bde_volume *out,
		hv_findings *f);
void bde_volume_free(bde_volume *v);

/* Names.  Unknown values give NULL from the *_id functions. */
const char *bde_state_name(uint16_t state);          /* "encrypted", ... or "unknown" */
const char *bde_method_id(uint16_t method);           /* "xts_aes_128", ... */
const char *bde_method_name(uint16_t method);         /* "XTS-AES-128", ... */
const char *bde_protection_id(uint16_t type);         /* "recovery_password", ... */
const char *bde_protection_name(uint16_t type);       /* "recovery password", ... */
/* True for types named from the flag model only (0x0300, 0x0700) [inferred]. */
bool bde_protection_inferred(uint16_t type);
/* Win32 GetKeyProtectorType value (manage-bde numbering), or -1. */
int bde_win32_protector_type(uint16_t type);

#endif
