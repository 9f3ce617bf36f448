/*
 * vhdx.h - reader for MS-VHDX v1.0 containers (.vhdx, .avhdx).
 * Layout notes are at the top of vhdx.c and in docs/disk.md s.2.
 *
 * Pure and read-only: bytes come through a vd_file; a dirty log is replayed
 * into the vd_file's in-memory overlay, never into the file.
 */
#ifndef HVTPM_VHDX_H
#define HVTPM_VHDX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "formats/vdisk.h"
#include "util/diag.h"

#define VHDX_LOCATOR_MAX_KV 256   /* parent locator key/value pairs accepted */

typedef struct {
	char *key;
	char *value;
} vhdx_kv;

typedef struct {
	char *creator;                   /* file identifier creator string, UTF-8 */
	int header_used;                 /* 0: header 1 (64 KiB), 1: header 2 (128 KiB) */
	bool header_bad[2];              /* a copy failed signature or CRC-32C */
	uint64_t sequence;
	uint8_t file_write_guid[16];
	uint8_t data_write_guid[16];
	uint8_t log_guid[16];
	uint16_t version, log_version;
	uint32_t log_length;
	uint64_t log_offset;
	int region_table_used;           /* 0 or 1 */
	bool region_table_bad[2];
	uint64_t bat_offset;
	uint32_t bat_length;
	uint64_t metadata_offset;
	uint32_t metadata_length;
	uint32_t block_size;
	bool leave_blocks_allocated;     /* file parameters bit 0 (fixed disk) */
	bool has_parent;                 /* file parameters bit 1 (differencing disk) */
	uint64_t virtual_size;
	uint32_t logical_sector_size;
	uint32_t physical_sector_size;
	uint8_t virtual_disk_id[16];
	bool have_virtual_disk_id;
	uint32_t chunk_ratio;
	uint64_t bat_entries;
	uint8_t locator_type[16];
	vhdx_kv *locator;                /* parent locator entries, in file order */
	size_t nlocator;
	bool dirty;                      /* LogGuid is not zero */
	uint32_t log_replayed;           /* log entries applied to the overlay */
	bool log_replay_failed;
	uint64_t log_first_seq, log_last_seq;
	bool best_effort;                /* a header, log or table problem was worked around */
} vhdx_info;

typedef struct vhdx vhdx;

/* True when p (n bytes, the start of a file) carries the "vhdxfile" identifier. */
bool vhdx_sniff(const uint8_t *p, size_t n);
/*
 * Parses headers, replays a dirty log (unless VDISK_NO_LOG_REPLAY is in
 * flags), reads region table, metadata and parent locator.  Findings name
 * vd_file_name(vf) and the byte offset.
 */
hv_err vhdx_open(vd_file *vf, int flags, vhdx **out, hv_findings *f);
const vhdx_info *vhdx_get_info(const vhdx *x);
/* Value of a parent locator key (case-insensitive), or NULL. */
const char *vhdx_locator_get(const vhdx *x, const char *key);
/*
 * Maps the virtual range [voff, voff+len) (voff inside the disk) to the
 * longest leading run with one source.  BAT problems found on the way go
 * to f (capped).  Returns HV_OK, or HV_ERR_IO when the BAT cannot be read
 * (the extent is then VD_EXT_BAD).
 */
hv_err vhdx_map(vhdx *x, uint64_t voff, uint64_t len, vd_extent *e, hv_findings *f);
void vhdx_close(vhdx *x);

/* Names of the BAT payload states (0-7), for reports and findings. */
const char *vhdx_block_state_name(unsigned state);

#endif
