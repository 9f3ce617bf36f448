/*
 * vmgs_writer.h - test-only writer of Hyper-V guest state files (.vmgs):
 * VMGS v1 (fixed or dynamic VHD, GPT with the VMGS partition, two data
 * headers, UTF-16LE JSON guest state, an optional older copy) and VMGS v3
 * (fixed VHD, headers, file table).  Layouts as read by src/formats/vmgs.c
 * (see docs/vmgs.md); damage knobs for the reader's error paths.
 *
 * Everything is built in memory; the result is deterministic for a given
 * spec (no random bytes), so fuzz seeds and samples are reproducible.
 */
#ifndef HVTPM_VMGS_WRITER_H
#define HVTPM_VMGS_WRITER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* ---- guest state description (v1 JSON) ---- */

typedef enum {
	VMGSW_BYTES = 0,  /* JSON array of numbers 0-255 */
	VMGSW_STRING,
	VMGSW_NUMBER,
	VMGSW_BOOL,
	VMGSW_OBJECT,
	VMGSW_RAW,        /* str is inserted verbatim as the JSON value */
} vmgsw_kind;

typedef struct vmgsw_value {
	const char *name;                   /* member name */
	vmgsw_kind kind;
	const uint8_t *bytes;               /* BYTES */
	size_t len;
	const char *str;                    /* STRING (UTF-8), RAW */
	int64_t number;                     /* NUMBER, BOOL */
	const struct vmgsw_value *members;  /* OBJECT */
	size_t nmembers;
} vmgsw_value;

typedef struct {
	const char *guid;           /* member name under "Devices" */
	const char *type;           /* "Type" string, or NULL to leave it out */
	const vmgsw_value *states;  /* members of "States" */
	size_t nstates;
} vmgsw_device;

typedef struct {
	const char *vendor;         /* vendor GUID */
	const char *name;
	uint32_t attributes;
	const uint8_t *data;
	size_t len;
} vmgsw_uefi_var;

typedef struct {
	const vmgsw_device *devices;
	size_t ndevices;
	/* Written as States.Nvram.Vendors.<vendor>.Variables.<name>.{Attributes, Data}
	 * of the BIOS device AC6B8DC1-...; the device is added when not listed. */
	const vmgsw_uefi_var *uefi;
	size_t nuefi;
	const char *json;           /* when set: this UTF-8 text is the whole document */
} vmgsw_state;

/* ---- damage (v1; CRC bits apply to v3 too) ---- */

enum {
	VMGSW_DMG_CRC0 = 1 << 0,            /* header slot 0: wrong checksum */
	VMGSW_DMG_CRC1 = 1 << 1,            /* header slot 1: wrong checksum */
	VMGSW_DMG_SEQ_GAP = 1 << 2,         /* the older header's sequence is 2 below, not 1 */
	VMGSW_DMG_LOCATOR_OOB = 1 << 3,     /* current locator starts past the partition (CRC ok) */
	VMGSW_DMG_TRUNCATE = 1 << 4,        /* current data_size cut to about half, no terminator */
	VMGSW_DMG_BAD_UTF16 = 1 << 5,       /* code unit 2 of the current text becomes U+D800 */
	VMGSW_DMG_SIZE_PAST_ALLOC = 1 << 6, /* current data_size = allocation + 1 (CRC ok) */
};

/* ---- v3 ---- */

typedef struct {
	uint32_t id;                /* 1..62 (0 is the file table, written always) */
	const uint8_t *data;
	size_t len;
	uint32_t attributes;        /* bit 0 encrypted, bit 1 authenticated */
} vmgsw_v3_file;

typedef struct {
	int version;                /* 1 (also 0) or 3 */
	bool dynamic;               /* v1: dynamic VHD instead of fixed */
	uint32_t vhd_block_size;    /* dynamic VHD block size; 0 = 4096 */
	bool bare;                  /* v1: the partition image alone (no VHD, no GPT) */
	uint64_t disk_size;         /* virtual disk size; 0 = as small as fits */
	vmgsw_state current;
	const vmgsw_state *older;   /* v1: written to the other locator; NULL = that locator empty */
	uint32_t sequence;          /* of the newer header; 0 = 7 */
	int newer_header;           /* slot (0/1) holding the newer sequence */
	uint32_t active_index;      /* v1: locator of the current copy (0/1) */
	uint32_t header_version;    /* 0 = 0x00010000 (v1) / 0x00030000 (v3) */
	unsigned damage;            /* VMGSW_DMG_* */
	const vmgsw_v3_file *files; /* v3 */
	size_t nfiles;
	uint16_t encryption_algorithm; /* v3 header field */
} vmgsw_spec;

/* Where the writer put things (virtual-disk byte offsets). */
typedef struct {
	uint32_t block_size;
	uint64_t disk_size;
	uint64_t partition_offset, partition_blocks;
	uint64_t header_offset[2];
	uint64_t current_offset, older_offset;
	uint32_t current_size, older_size;  /* data_size as written */
	uint64_t file_table_offset;         /* v3 */
} vmgsw_layout;

/* The file (VHD footer included); NULL on a bad spec.  Free with free(). */
uint8_t *vmgsw_build(const vmgsw_spec *s, size_t *len);
uint8_t *vmgsw_build_ex(const vmgsw_spec *s, size_t *len, vmgsw_layout *lay);
bool vmgsw_write(const char *path, const vmgsw_spec *s);

/* The UTF-8 JSON document the writer makes of st (malloc'd). */
char *vmgsw_json(const vmgsw_state *st);

/*
 * EFI_SIGNATURE_LISTs of type EFI_CERT_X509_GUID, one list per certificate,
 * each with owner GUID owner: the Data of a PK/KEK/db variable (malloc'd).
 */
uint8_t *vmgsw_siglist_x509(const uint8_t *const *ders, const size_t *lens, size_t n,
			    const char *owner, size_t *out_len);

#endif
