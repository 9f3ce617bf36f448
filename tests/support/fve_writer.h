/*
 * fve_writer.h - synthesizes BitLocker (FVE) metadata for tests: a volume
 * boot sector and three metadata copies with block header, dataset header,
 * description, VMK entries of chosen protection types (with the nested
 * entries Windows writes for each type), an FVEK entry and the CRC32 of
 * docs/disk.md s.7.2.  No cryptography: key blobs are filler.
 */
#ifndef HVTPM_FVE_WRITER_H
#define HVTPM_FVE_WRITER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define FVEW_MAX_PROTECTORS 8

typedef enum {
	FVEW_NORMAL = 0,   /* Windows 7+ identifier 4967D63B-... */
	FVEW_EOW,          /* used-space-only identifier 92A84D3B-... */
	FVEW_TOGO,         /* FAT boot sector, identifier at +424 */
	FVEW_VISTA,        /* EB 52 90 "-FVE-FS-" (version 1) */
	FVEW_UNKNOWN_ID,   /* "-FVE-FS-" with a made-up identifier */
} fvew_kind;

typedef struct {
	uint16_t type;          /* raw protection type, e.g. 0x0800 */
	uint8_t guid[16];       /* mixed-endian bytes */
	uint64_t last_change;   /* FILETIME */
	bool escrow_hint;       /* add a value type 0x15 datum */
	uint16_t entry_version; /* 0: 1 (3 for a clear key) */
} fvew_protector;

typedef struct {
	fvew_kind kind;
	uint16_t bytes_per_sector;     /* 0: 512 */
	uint16_t state_current, state_next;  /* 0: 4 (encrypted) */
	uint32_t method;               /* raw u32 at dataset +36 */
	uint8_t volume_guid[16];
	uint64_t created;              /* FILETIME */
	const char *description;       /* UTF-8, NULL: no description entry */
	fvew_protector prot[FVEW_MAX_PROTECTORS];
	size_t nprot;
	uint64_t block_offset[3];      /* 0: 0x10000, 0x30000, 0x50000 */
	unsigned bad_crc_mask;         /* bit i: copy i gets a wrong CRC */
	unsigned zero_mask;            /* bit i: copy i is left zero */
	bool no_fvek;
	uint16_t raw_entry_size;       /* non-zero: append an entry with this size field */
} fvew_spec;

/* Typical values: normal kind, XTS-AES-128, state 4/4, fixed GUIDs and times. */
void fvew_default(fvew_spec *s);
/* Adds a protector with a GUID derived from seed. */
void fvew_add(fvew_spec *s, uint16_t type, uint8_t seed);
/* Bytes of volume the layout needs (highest block offset + block). */
size_t fvew_needed(const fvew_spec *s);
/* Writes into vol (len bytes, zero-filled by the caller); false when it does not fit. */
bool fvew_build(const fvew_spec *s, uint8_t *vol, size_t len);

#endif
