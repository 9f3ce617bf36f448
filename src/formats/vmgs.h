/*
 * vmgs.h - reader for Hyper-V guest state files (.vmgs).
 *
 * Two generations are read (format notes at the top of vmgs.c and in
 * docs/vmgs.md):
 *   v1  on-prem Hyper-V: a VHD holding a GPT disk; the partition of type
 *       VMGS_V1_PARTITION_TYPE starts with two "GUESTRTS" data headers whose
 *       locators point at UTF-16LE JSON text (the guest state: devices and
 *       their states, UEFI variables among them).  A bare partition image
 *       (no GPT, headers at disk byte 0) is read too.
 *   v3  OpenHCL "BlockStorage" (Azure confidential/trusted VMs): recognised
 *       and its file table reported; file contents are not read.
 *
 * Pure: reads through a vdisk (open in-memory bytes with vdisk_open_mem),
 * never prints, never writes.  Findings name the offset in the VIRTUAL disk
 * (equal to the file offset for a fixed VHD or a raw image).
 *
 * Key protectors are not decoded here.  Every byte array and every string of
 * the guest state JSON is kept as a vmgs_blob with its JSON path, for the
 * caller to test; names that look like a key protector carry a role hint.
 */
#ifndef HVTPM_VMGS_H
#define HVTPM_VMGS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "formats/cert.h"
#include "formats/vdisk.h"
#include "util/bytes.h"
#include "util/diag.h"

#define VMGS_SIGNATURE "GUESTRTS"
#define VMGS_V1_PARTITION_TYPE "700F0C12-1515-4E4D-8D32-53F685BF44AF"
#define VMGS_VERSION_1 0x00010000u
#define VMGS_VERSION_2 0x00020000u
#define VMGS_VERSION_3 0x00030000u

/* Device instance GUIDs of the guest state JSON (docs/hyperv-storage.md s.9.2). */
#define VMGS_DEVICE_BIOS "AC6B8DC1-3257-4A70-B1B2-A9C9215659AD"
#define VMGS_DEVICE_TPM "736E6AA9-A3F8-49C0-9550-A963214D259A"
#define VMGS_DEVICE_GUEST_STATE "917BD8CB-3BB6-4124-9383-B7D21AC07F79"

/* UEFI vendor GUIDs. */
#define VMGS_EFI_GLOBAL_VARIABLE "8BE4DF61-93CA-11D2-AA0D-00E098032B8C"
#define VMGS_EFI_IMAGE_SECURITY_DB "D719B2CB-3D3A-4596-A3BC-DAD00E67656F"

/*
 * Caps.  Memory while one copy is decoded is bounded by about
 * 3 x VMGS_MAX_DATA_SIZE (the stored bytes, their UTF-8 form and the
 * strings kept) plus about 65 bytes per JSON element for the json-c tree,
 * which is dropped once walked (about 120 MiB at the caps).  The element
 * count and depth are checked on the UTF-16 text BEFORE json-c sees it.
 */
#define VMGS_MAX_DATA_SIZE (16u * 1024 * 1024) /* bytes of one copy's data */
#define VMGS_MAX_JSON_DEPTH 32                 /* nested objects and arrays */
#define VMGS_MAX_JSON_ELEMENTS (1u << 20)      /* values, counted by separators */
#define VMGS_MAX_BLOBS 4096                    /* blobs kept per copy; more are counted */
#define VMGS_MAX_JSON_PATH 1024                /* bytes of a blob's path; longer ones cut */
#define VMGS_MAX_CERTS 256                     /* certificates kept per copy */
#define VMGS_V3_FILES 64                       /* entries of the v3 file table */

/* ---- guest state (v1) ---- */

typedef enum {
	VMGS_ROLE_NONE = 0,
	VMGS_ROLE_CURRENT,          /* named like "KeyProtector" / "key_protector" */
	VMGS_ROLE_LAST_KNOWN_GOOD,  /* named like "LastKnownGoodKeyProtector" / "lkg_key_protector" */
} vmgs_kp_role;

/* A byte array or string of the JSON, to be tested for a key protector. */
typedef struct {
	char *json_path;     /* "Devices/<key>/States/<name>/...", JSON-pointer escaping
				(~0 for '~', ~1 for '/'), array items by index */
	bool path_cut;       /* the path was longer than VMGS_MAX_JSON_PATH and was cut */
	uint8_t *bytes;      /* the array as bytes, or the string as UTF-8 (NUL added, not counted) */
	size_t len;
	bool is_string;
	vmgs_kp_role role;   /* a hint from the names on the path; nothing was decoded */
} vmgs_blob;

typedef enum {
	VMGS_STATE_BYTES = 0,  /* array of integers 0-255 */
	VMGS_STATE_STRING,
	VMGS_STATE_NUMBER,
	VMGS_STATE_BOOL,
	VMGS_STATE_NULL,
	VMGS_STATE_OBJECT,
	VMGS_STATE_ARRAY,      /* any other array */
} vmgs_state_kind;

/* One member of a device's "States" object.  No raw bytes: sizes and hashes. */
typedef struct {
	char *name;
	vmgs_state_kind kind;
	uint64_t size;         /* BYTES: bytes; STRING: UTF-8 bytes; OBJECT/ARRAY: members */
	char sha256[65];       /* BYTES/STRING: of the bytes; "" otherwise (or no digests) */
	int64_t number;        /* NUMBER (integers; a fraction is truncated), BOOL (0/1) */
	size_t nblobs;         /* byte arrays and strings at or below this state */
	uint64_t blob_bytes;   /* their total length */
	vmgs_kp_role role;     /* hint from the state name */
} vmgs_state;

typedef struct {
	char *key;             /* the member name as stored */
	char guid[37];         /* canonical upper case, "" when key is not a GUID */
	const char *name;      /* from the known list (vmgs_device_name), or NULL */
	char *type;            /* the "Type" string, or NULL */
	bool has_version;
	int64_t version_major, version_minor;
	vmgs_state *states;
	size_t nstates;
} vmgs_device;

/* An X.509 certificate from an EFI_SIGNATURE_LIST (EFI_CERT_X509_GUID entry). */
typedef struct {
	char owner[37];        /* SignatureOwner GUID */
	hv_cert cert;          /* facts; the parsed X509 object is dropped (cert_drop_parsed) */
} vmgs_sig_cert;

typedef struct {
	char *vendor;          /* canonical GUID, or the key as stored when not a GUID */
	const char *vendor_name; /* "EFI global variable", "image security database", or NULL */
	char *name;
	char *device;          /* key of the device whose States.Nvram holds it */
	bool has_attributes;
	uint32_t attributes;
	bool has_data;
	size_t size;
	char sha256[65];       /* of the data; "" without digests */
	bool is_signature_db;  /* PK, KEK, db, dbx, dbt, dbr (and *Default): parsed as lists */
	bool siglist_bad;      /* the signature lists did not parse to the end */
	size_t nlists, nx509, nsha256, nother;
	vmgs_sig_cert *certs;
	size_t ncerts;
} vmgs_uefi_var;

typedef struct {
	bool present;          /* a locator names this copy (data_size > 0) */
	bool decoded;          /* the JSON was read and walked */
	hv_err status;         /* HV_OK, or why it was not decoded */
	int header;            /* header (0/1) whose locator names it */
	int locator;           /* locator index (0/1) */
	uint64_t offset;       /* disk byte offset of the data */
	uint32_t data_size;
	char sha256[65];       /* of the data_size bytes as stored; "" without digests */
	size_t text_units;     /* UTF-16 code units of JSON text */
	bool terminated;       /* a NUL code unit ended the text */
	bool has_version;
	int64_t version_major, version_minor;
	vmgs_device *devices;
	size_t ndevices;
	vmgs_uefi_var *uefi;
	size_t nuefi;
	int secure_boot;       /* SecureBoot variable: 1, 0, or -1 when absent */
	int setup_mode;        /* SetupMode variable: 1, 0, or -1 when absent */
	bool pk_present;       /* a PK variable with data */
	size_t ncerts;         /* certificates kept over all variables */
	vmgs_blob *blobs;
	size_t nblobs;
	size_t blobs_dropped;  /* beyond VMGS_MAX_BLOBS: counted, not kept */
	uint64_t blob_bytes;
} vmgs_guest_state;

/* ---- v1 container ---- */

typedef struct {
	uint64_t lba;          /* first block, relative to the partition */
	uint64_t count;        /* blocks */
	uint32_t data_size;    /* bytes */
	uint64_t offset;       /* disk byte offset of the data (valid when in_bounds) */
	bool in_bounds;        /* inside the partition, data_size <= count x block */
	const char *problem;   /* why not, or NULL */
} vmgs_locator;

typedef struct {
	uint64_t offset;       /* disk byte offset */
	bool present;          /* "GUESTRTS" signature */
	bool empty;            /* every byte zero (never written) */
	bool crc_ok;
	bool valid;            /* signature, version, sizes, active index and CRC */
	const char *problem;   /* why not valid, or NULL */
	uint32_t version, checksum, sequence, header_size, locator_size, active_index;
	vmgs_locator loc[2];
} vmgs_v1_header;

/* ---- v3 ---- */

typedef struct {
	uint64_t offset;
	bool present, empty, crc_ok, valid;
	const char *problem;
	uint32_t version, checksum, sequence, header_size;
	uint32_t file_table_offset, file_table_size;   /* in 4 KiB blocks */
	uint16_t encryption_algorithm;                 /* 0 none, 1 AES-256-GCM */
	uint16_t markers;                              /* bit 0: reprovisioned */
	bool metadata_key[2];                          /* a wrapped metadata key is present */
} vmgs_v3_header;

typedef struct {
	uint32_t id;
	const char *name;          /* vmgs_v3_file_name(id) */
	uint32_t block_offset;     /* 4 KiB blocks */
	uint32_t allocation_blocks;
	uint64_t valid_data_size;
	uint32_t attributes;       /* copy of the extended attributes (newer writers; else 0) */
	bool encrypted;            /* attribute bit 0 */
	bool authenticated;        /* attribute bit 1 */
	bool has_auth_tag;         /* nonce or authentication tag non-zero */
	bool in_bounds;
	const char *problem;
} vmgs_v3_file;

/* ---- the file ---- */

typedef struct {
	int version;               /* 1 or 3; 0 when not recognised */
	vdisk_format disk_format;
	vdisk_kind disk_kind;
	uint64_t disk_size;
	uint32_t block_size;       /* v1: logical sector size; v3: 4096 */
	bool best_effort;          /* something was damaged; what was read is reported */

	/* v1 */
	bool bare_partition;       /* no GPT: the headers start at disk byte 0 */
	unsigned partition_index;  /* GPT entry number (1-based) */
	uint64_t partition_offset, partition_size, partition_blocks;
	vmgs_v1_header hdr[2];
	int active_header;         /* v1 and v3: 0 or 1, -1 when none */
	uint32_t sequence;         /* of the active header */
	uint32_t active_index;     /* locator of the current copy */
	uint32_t data_size;        /* of the current copy */
	vmgs_guest_state current;  /* locators[active_index] of the active header */
	vmgs_guest_state older;    /* the other locator: an older guest state, when valid */

	/* v3 */
	vmgs_v3_header hdr3[2];
	vmgs_v3_file *files;       /* allocated entries only */
	size_t nfiles;
} vmgs_file;

/*
 * True when vd looks like a guest state file: a GPT with a partition of
 * type VMGS_V1_PARTITION_TYPE, or "GUESTRTS" at disk byte 0 or at the
 * second sector (v3, or a bare v1 partition).  No findings.
 */
bool vmgs_sniff_vdisk(vdisk *vd);

/*
 * Reads a guest state file.  name is used in findings (NULL: vdisk_name).
 *   HV_OK           read; warnings may name a damaged header copy used around
 *   HV_ERR_FORMAT   not a guest state file (no VMGS partition, no GUESTRTS)
 *   HV_ERR_CORRUPT  a guest state file, but damaged: both headers invalid,
 *                   sequence numbers not one apart, the current locator out
 *                   of bounds, data past its allocation, truncated JSON,
 *                   invalid UTF-16, a byte array with a value outside 0-255,
 *                   a v3 file table outside the disk
 *   HV_ERR_UNSUPPORTED  a header version this reader does not read (v2, or
 *                   an unknown v1 data header version)
 *   HV_ERR_LIMIT    data larger than VMGS_MAX_DATA_SIZE, JSON deeper than
 *                   VMGS_MAX_JSON_DEPTH or with more than VMGS_MAX_JSON_ELEMENTS
 *   HV_ERR_IO       the disk could not be read
 * On any result *out holds what could be read (container and header facts,
 * and the older copy when the current one is damaged); call vmgs_free().
 * The older copy failing to decode is a warning, not an error.
 */
hv_err vmgs_read(vdisk *vd, const char *name, vmgs_file *out, hv_findings *f);

/*
 * What vmgs_read_ex computes besides the structure, the findings and the
 * blobs.  digests: the SHA-256 of each copy, state and UEFI variable; when
 * false every such sha256 is "" (a reader after the key protectors only,
 * whose file is hashed whole anyway).  vmgs_read reads with digests.
 */
typedef struct {
	bool digests;
} vmgs_read_opts;

hv_err vmgs_read_ex(vdisk *vd, const char *name, const vmgs_read_opts *o, vmgs_file *out,
		    hv_findings *f);
void vmgs_free(vmgs_file *v);

/* ---- salvage (best effort, for damaged files) ---- */

#define VMGS_SALVAGE_MIN 16                /* numbers an array needs to be handed on */
#define VMGS_SALVAGE_MIN_STRING 64         /* characters a string needs */
#define VMGS_SALVAGE_MAX_TEXT (8u << 20)   /* bytes of UTF-16 text one value may span */

/* A value of the guest state JSON text found by scanning raw bytes. */
typedef struct {
	uint64_t offset;       /* of the '[' or opening '"' (base + index in the bytes) */
	const char *name;      /* the member name written before it, printable ASCII
				  ('?' for anything else), "" when none could be read */
	vmgs_kp_role role;     /* hint from that name */
	const uint8_t *bytes;  /* the numbers as bytes, or the string's characters */
	size_t len;
	bool is_string;
} vmgs_salvaged;

/* Receives each value found (bytes valid during the call); false stops the scan. */
typedef bool (*vmgs_salvage_fn)(void *ctx, const vmgs_salvaged *v);

/*
 * Best-effort search of the bytes of a guest state file that does not read
 * (headers, locators or JSON damaged, file cut short) for what its UTF-16LE
 * JSON text still holds [inferred: the text is as docs/vmgs.md describes it;
 * nothing else of the file is trusted]: every member value that is an array
 * of at least VMGS_SALVAGE_MIN numbers 0-255 ("Name": [0, 0, 19, ...]) or a
 * string of at least VMGS_SALVAGE_MIN_STRING printable ASCII characters
 * without escapes, complete (closed) within VMGS_SALVAGE_MAX_TEXT bytes, with
 * the member name written before it.  Code units are read at even offsets of
 * data; only values that start before body are handed on (the rest of data
 * is look-ahead, as for src_stream windows); base is data's offset in the
 * file.  Linear in the bytes; nothing is allocated beyond one value.  Returns
 * the number of values handed on.
 */
size_t vmgs_salvage(span_t data, size_t body, uint64_t base, vmgs_salvage_fn fn, void *ctx);

/* "Microsoft Virtual BIOS (UEFI)", ... for a device GUID (any case, braces ok); NULL if unknown. */
const char *vmgs_device_name(const char *guid);
/* "BIOS_NVRAM", ... for a v3 file id; "unknown" otherwise. */
const char *vmgs_v3_file_name(uint32_t id);
const char *vmgs_role_name(vmgs_kp_role r);            /* "none", "current", "last_known_good" */
const char *vmgs_state_kind_name(vmgs_state_kind k);   /* "bytes", "string", ... */
/* Role hint for one JSON member name (case-insensitive; '_', '-', ' ' ignored). */
vmgs_kp_role vmgs_role_of_name(const char *name);

#endif
