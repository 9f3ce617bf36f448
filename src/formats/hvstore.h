/*
 * hvstore.h - reader for the HyperVStorage container (.vmcx, .vmrs, .vsv,
 * host data.vmcx).  Format notes: docs beside the code in hvstore.c and
 * docs/hyperv-storage.md.
 *
 * Pure: reads bytes from memory, never prints, never writes.  A dirty
 * replay log is applied to a private copy only.
 */
#ifndef HVTPM_HVSTORE_H
#define HVTPM_HVSTORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "formats/kvtree.h"
#include "util/bytes.h"
#include "util/diag.h"

#define HVSTORE_SIGNATURE 0x01282014u
#define HVSTORE_VERSION_SUPPORTED 0x0400u

typedef struct {
	kv_node *root;             /* virtual root; owned */
	uint64_t base_offset;      /* where the repository starts in the containing file */
	uint64_t extent;           /* bytes from its start to the end of the last structure used */
	int active_header;         /* 0 (at +0x0000) or 1 (at +0x1000) */
	uint16_t sequence;         /* of the active header */
	uint32_t format_version;
	uint32_t alignment;
	bool header_crc_bad[2];    /* a copy failed its checks */
	uint16_t header_seq[2];    /* sequence of each copy that passed its checks */
	uint64_t log_offset, log_size;
	bool dirty;                /* replay log had pending entries */
	uint32_t log_pending;      /* entries pending in the log */
	uint32_t log_replayed;     /* entries applied to the in-memory view */
	uint32_t log_skipped;      /* entries skipped as bad */
	uint32_t object_tables;
	uint32_t key_tables;
	uint32_t live_entries;
	uint32_t free_entries;
	uint32_t bad_entries;      /* CRC or structure failures, skipped */
	uint32_t orphans;          /* dangling parents or cycles */
	uint32_t file_objects;     /* values read out of line */
} hvstore;

/* True when data starts with a HyperVStorage file header signature (at 0,
 * or at 0x1000 for a file whose first copy is destroyed). */
bool hvstore_sniff(span_t data);

/*
 * Reads a repository that starts at data[0].  name is used in findings;
 * base is added to every offset reported (for repositories embedded in a
 * larger file).  Returns HV_OK with a tree (possibly with warnings), or an
 * error with findings that name the offset.  A damaged single entry is a
 * warning (skipped, counted); a lost structure (table outside the data,
 * entry walk broken, nesting deeper than KV_MAX_DEPTH) gives HV_ERR_CORRUPT
 * and root then holds the part that could be read.  Without usable headers
 * or root object table root is NULL.  Call hvstore_free() in every case.
 */
hv_err hvstore_read(span_t data, const char *name, uint64_t base, hvstore *out,
		    hv_findings *f);
void hvstore_free(hvstore *h);

/*
 * Finds embedded repositories: every 4 KiB-aligned offset where a valid
 * file header (signature, CRC, version 0x0400) starts, or where a
 * signature starts and a valid copy 1 follows 0x1000 later.  The copy 1 of
 * a repository already found is not reported again.  Writes up to max
 * offsets and returns how many were found (may exceed max).  Heuristic.
 */
size_t hvstore_scan(span_t data, uint64_t *offsets, size_t max);

#endif
