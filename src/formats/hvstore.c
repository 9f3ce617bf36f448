/*
 * hvstore.c - reader for the HyperVStorage container (.vmcx, .vmrs, .vsv,
 * host data.vmcx, Resource Types\*.vmcx).
 *
 * Sources: microsoft/openvmm support/hvs_file (FORMAT.md, MIT) and
 * fox-it/dissect.hypervisor (read for understanding only, no code taken),
 * checked against five Windows-written files; see
 * docs/hyperv-storage.md.  Confidence: [C] confirmed by a source
 * and by sample files, [S] confirmed on sample files only, [I] inferred.
 *
 * All integers are little-endian, all structures packed.  Every offset in
 * the repository is relative to its first byte (a repository embedded in a
 * larger file is read from a span that starts there; findings add "base").
 * Every checksum is plain CRC-32 (zlib crc32) over the structure with its
 * own checksum field zeroed [C].  It is not CRC-32C.
 *
 * LAYOUT (alignment 0x1000 in every sample)
 *   0x0000  file header copy 0            0x1000  file header copy 1
 *   0x2000  root object table (fixed, whatever the alignment) [C]
 *   then    key tables, file objects, free objects, more object tables and
 *           the replay log, each at an aligned offset named by an object
 *           table entry (the log is named by the file header).
 *   The file may end before replay_log_offset + replay_log_size [S].
 *
 * FILE HEADER (0x2E bytes, twice) [C]
 *   0x00 u32 signature 0x01282014    0x04 u32 checksum
 *   0x08 u16 sequence                0x0A u32 format_version (0x0400 only)
 *   0x0E u32 data_version (0)        0x12 u32 flags (0)
 *   0x16 u32 data_alignment (<= 0x10000; must be a power of two [I])
 *   0x1A u64 replay_log_offset       0x22 u64 replay_log_size
 *   0x2A u32 replay_log_header_size (0x1000)
 *   The valid copy (signature and CRC) with the newer sequence is active
 *   [C]; u16 wrap-around is treated as serial-number arithmetic, so 0
 *   after 0xFFFF is newer [I].  One bad copy is a warning, two an error.
 *
 * REPLAY LOG at replay_log_offset [S]
 *   header 0x22 bytes: 0x00 u32 signature 0x01110003, 0x04 u32 checksum,
 *   0x08 u32 current_entries_count (0 = clean), 0x0C u8 reserved,
 *   0x0D u32 maximum_number_of_entries (145), 0x11 17 bytes change tracking.
 *   entries of 0x1C bytes from +0x22: 0x00 u64 destination_offset,
 *   0x08 u32 destination_size, 0x0C u64 offset_inside_log, 0x14 u32 entry
 *   checksum (of the 28 bytes), 0x18 u32 data checksum (of the data).
 *   (openvmm's defs.rs puts the checksum first; every sample contradicts
 *   it, so the order above is used.)  Entries at index >= count are stale.
 *   A dirty file (count > 0) is replayed [I]: entries 0..count-1 in order,
 *   both CRCs and all bounds checked, applied to a private copy; a bad
 *   entry is skipped with a warning.  The evidence buffer is never written.
 *
 * OBJECT TABLE [C]
 *   header 8 bytes: u32 signature 0x01110001, u32 entries_count (227).
 *   entries of 0x12 bytes: 0x00 u8 type (0 empty, 1 object table, 2 key
 *   table, 3 file object, 4 free; 5..7 listed by dissect, skipped),
 *   0x01 u32 checksum, 0x05 u64 file_offset, 0x0D u32 size, 0x11 u8 flags
 *   (1 = allocated).  Empty all-zero entries carry checksum 0x671BCF4D.
 *   Chaining [I, no sample]: openvmm reserves the last slot for a type-1
 *   entry, dissect follows any type-1 entry; every type-1 entry is followed
 *   here, with a visited set, a cap on tables and a cap on entries.
 *
 * KEY TABLE (object type 2, 0x1000 bytes in every sample) [C]
 *   header 10 bytes: u16 signature 0x0002, u16 table_index (1-based),
 *   u16 sequence, u32 checksum (of the 10 header bytes only).  If two
 *   tables share an index the newer sequence wins [I].
 *   Entries are packed from +0x0A; walk while a 21-byte header fits,
 *   advance by size, stop on size 0.
 *   entry header 0x15 bytes: 0x00 u8 type, 0x01 u8 flags (0x01 value is in
 *   a file object, 0x02 subcomponent, 0x04 sequence change tracking),
 *   0x02 u32 size (whole entry incl. slack), 0x06 u16 parent_table_index
 *   (0 = child of the virtual root), 0x08 u32 parent_offset (from the start
 *   of the parent's key table), 0x0C u32 checksum, 0x10 u32
 *   insertion_sequence, 0x14 u8 name_size (incl. NUL); then the UTF-8 name,
 *   the value and slack.  Checksum = CRC-32 of header (checksum zeroed),
 *   name and value[0..vlen); the slack is excluded [C].
 *
 * VALUE TYPES (vlen = bytes covered by the entry checksum) [C]
 *   1 Free (skipped, no checksum)   3 Int int64 (8)    4 UInt uint64 (8)
 *   5 Double binary64 (8; no sample) 6 String u32 len + UTF-16LE (4+len;
 *   Hyper-V does not count a terminator, openvmm does: trailing NULs are
 *   stripped)   7 Array u32 len + bytes (4+len)   8 Bool int32 (4)
 *   9 Node u64 change_tracking_sequence + u32 next_insertion_sequence (12)
 *   2 and anything else: reported and skipped by size.
 *   With flag 0x01 the value is {u32 size, u64 offset} (vlen 12 [I]) and
 *   the data is size raw bytes at offset, inside a type-3 object; for a
 *   String those bytes are UTF-16LE without length prefix [C: dissect].
 *
 * TREE [S]
 *   Parents may live in a LATER key table than their children, so every
 *   entry is indexed by (table_index, offset) first and linked second.
 *   Siblings may share a name; they are kept as a list ordered by
 *   insertion_sequence.  Dangling parents, parents that are not nodes and
 *   parent cycles are reported as orphans and not attached; nesting deeper
 *   than KV_MAX_DEPTH is refused as corrupt.
 *
 * SEVERITY POLICY
 *   A lost structure (object table, key table or file object outside the
 *   data, overlapping tables, an entry size that breaks the table walk) is
 *   an error and makes the result HV_ERR_CORRUPT, with the part that could
 *   be read kept in h->root.  A bad single entry (checksum, value, name,
 *   file-object pointer, orphan) is a warning: it is skipped, counted and
 *   the rest of the file is read.
 */
#include "formats/hvstore.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "util/crc.h"
#include "util/strbuf.h"
#include "util/text.h"
#include "util/xalloc.h"

/* File header. */
#define HDR_COPY_STRIDE     0x1000u
#define HDR_SIZE            0x2Eu
#define HDR_CRC             0x04u
#define HDR_SEQ             0x08u
#define HDR_VERSION         0x0Au
#define HDR_ALIGN           0x16u
#define HDR_LOG_OFF         0x1Au
#define HDR_LOG_SIZE        0x22u
#define HDR_LOG_HDR_SIZE    0x2Au
#define HDR_MAX_ALIGN       0x10000u

/* Replay log. */
#define LOG_SIGNATURE       0x01110003u
#define LOG_HDR_SIZE        0x22u
#define LOG_CRC             0x04u
#define LOG_COUNT           0x08u
#define LOG_MAX             0x0Du
#define LOG_ENTRY_SIZE      0x1Cu
#define LOG_E_DEST          0x00u
#define LOG_E_SIZE          0x08u
#define LOG_E_INLOG         0x0Cu
#define LOG_E_CRC           0x14u
#define LOG_E_DATA_CRC      0x18u
#define LOG_DEFAULT_REGION  0x1000u
#define LOG_MAX_ENTRIES     4096u   /* far above the 145 that fit in 4 KiB */

/* Object tables. */
#define OT_ROOT_OFF         0x2000u
#define OT_MIN_EXTENT       0x1000u
#define OT_MAX_SIZE         0x100000u
#define OT_SIGNATURE        0x01110001u
#define OT_HDR_SIZE         8u
#define OT_ENTRY_SIZE       18u
#define OT_E_CRC            1u
#define OT_E_OFF            5u
#define OT_E_SIZE           13u
#define OT_E_FLAGS          17u
#define OT_FLAG_ALLOCATED   0x01u
#define OT_MAX_TABLES       4096u

enum {
	OBJ_EMPTY = 0,
	OBJ_OBJECT_TABLE = 1,
	OBJ_KEY_TABLE = 2,
	OBJ_FILE_OBJECT = 3,
	OBJ_FREE = 4,
	OBJ_UNKNOWN_HEADER = 5,
	OBJ_REPLAY_LOG = 6,
	OBJ_CHANGE_TRACKING = 7,
};

/* Key tables and entries. */
#define KT_SIGNATURE        0x0002u
#define KT_HDR_SIZE         10u
#define KT_INDEX            2u
#define KT_SEQ              4u
#define KT_CRC              6u
#define KT_MAX_SIZE         0x100000u
#define KT_MAX_TABLES       65535u

#define KE_HDR_SIZE         21u
#define KE_FLAGS            1u
#define KE_SIZE             2u
#define KE_PTABLE           6u
#define KE_POFF             8u
#define KE_CRC              12u
#define KE_SEQ              16u
#define KE_NAME_SIZE        20u
#define KE_FLAG_FILE_OBJECT 0x01u
#define FILE_OBJECT_REF     12u

enum {
	VT_FREE = 1,
	VT_INT = 3,
	VT_UINT = 4,
	VT_DOUBLE = 5,
	VT_STRING = 6,
	VT_ARRAY = 7,
	VT_BOOL = 8,
	VT_NODE = 9,
};

typedef struct {
	bool present;       /* signature found */
	bool valid;         /* complete and CRC correct */
	uint16_t seq;
	uint32_t version, alignment, log_hdr_size;
	uint64_t log_off, log_size;
} hv_header;

typedef struct {
	uint64_t off;       /* of the table in the repository */
	uint32_t size;
	uint64_t ref;       /* object-table entry that names it */
	uint16_t index, seq;
	bool keep;
} hv_keytable;

typedef struct {
	uint64_t off, size;
	uint64_t ref;
} hv_extent;

#define REC_ROOT SIZE_MAX
#define REC_NONE (SIZE_MAX - 1)

enum { ST_NEW, ST_BUSY, ST_OK, ST_BAD };
enum { WHY_NONE, WHY_DANGLING, WHY_NOT_NODE, WHY_CYCLE, WHY_DEPTH, WHY_BELOW };

typedef struct {
	uint16_t table, ptable;
	uint32_t off, poff;
	uint64_t rel;       /* entry offset in the repository */
	kv_node *node;
	size_t parent;      /* index into recs, REC_ROOT or REC_NONE */
	uint32_t depth;
	uint8_t state, why;
} hv_rec;

typedef struct {
	span_t d;           /* the view parsed: the input or the patched copy */
	const char *name;
	uint64_t base;
	hv_findings *f;
	hvstore *h;
	bool corrupt;
	uint64_t ot_entries;
	hv_keytable *kt;
	size_t nkt, capkt;
	hv_extent *fo;
	size_t nfo, capfo;
	uint64_t fo_bytes;  /* out-of-line value bytes read so far */
	hv_rec *recs;
	size_t nrecs, caprecs;
} hv_ctx;

static void report(hv_ctx *c, hv_sev sev, uint64_t rel, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static void report(hv_ctx *c, hv_sev sev, uint64_t rel, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	findings_vadd(c->f, sev, c->name, rel == HV_NO_OFFSET ? HV_NO_OFFSET : c->base + rel, fmt,
		      ap);
	va_end(ap);
	if (sev == HV_SEV_ERROR)
		c->corrupt = true;
}

static unsigned long long ull(uint64_t v)
{
	return (unsigned long long)v;
}

static const char *object_type_name(uint8_t t)
{
	switch (t) {
	case OBJ_EMPTY: return "empty";
	case OBJ_OBJECT_TABLE: return "object table";
	case OBJ_KEY_TABLE: return "key table";
	case OBJ_FILE_OBJECT: return "file object";
	case OBJ_FREE: return "free";
	case OBJ_UNKNOWN_HEADER: return "unknown header";
	case OBJ_REPLAY_LOG: return "replay log";
	case OBJ_CHANGE_TRACKING: return "change-tracking buffer";
	}
	return "unknown";
}

static const char *value_type_name(uint8_t t)
{
	switch (t) {
	case VT_FREE: return "Free";
	case VT_INT: return "Int";
	case VT_UINT: return "UInt";
	case VT_DOUBLE: return "Double";
	case VT_STRING: return "String";
	case VT_ARRAY: return "Array";
	case VT_BOOL: return "Bool";
	case VT_NODE: return "Node";
	}
	return "unknown";
}

/* Serial-number comparison of u16 sequences: 0 after 0xFFFF is newer. */
static bool seq_newer(uint16_t a, uint16_t b)
{
	uint16_t d = (uint16_t)(a - b);
	return d != 0 && d < 0x8000u;
}

static bool is_pow2(uint32_t v)
{
	return v && !(v & (v - 1));
}

/* ---- file header ------------------------------------------------------ */

static void header_parse(span_t d, uint64_t off, hv_header *hd)
{
	uint32_t sig;
	span_t s;
	memset(hd, 0, sizeof *hd);
	if (!span_u32le(d, off, &sig) || sig != HVSTORE_SIGNATURE)
		return;
	hd->present = true;
	if (!span_sub(d, off, HDR_SIZE, &s))
		return;
	if (ld32le(s.data + HDR_CRC) != hv_crc32_zeroed(s.data, HDR_SIZE, HDR_CRC, 4))
		return;
	hd->valid = true;
	hd->seq = ld16le(s.data + HDR_SEQ);
	hd->version = ld32le(s.data + HDR_VERSION);
	hd->alignment = ld32le(s.data + HDR_ALIGN);
	hd->log_off = ld64le(s.data + HDR_LOG_OFF);
	hd->log_size = ld64le(s.data + HDR_LOG_SIZE);
	hd->log_hdr_size = ld32le(s.data + HDR_LOG_HDR_SIZE);
}

static const char *header_problem(span_t d, uint64_t off, const hv_header *hd)
{
	if (!span_has(d, off, 4))
		return "missing (data too short)";
	if (!hd->present)
		return "has no HyperVStorage signature";
	if (!span_has(d, off, HDR_SIZE))
		return "is truncated";
	return "fails its checksum";
}

/* A valid header whose fields the reader cannot use. */
static hv_err header_fields_check(hv_ctx *c, const hv_header *hd, uint64_t off)
{
	if (hd->version != HVSTORE_VERSION_SUPPORTED) {
		report(c, HV_SEV_ERROR, off, "unsupported HyperVStorage format version 0x%04X "
		       "(only 0x%04X is read)", hd->version, HVSTORE_VERSION_SUPPORTED);
		return HV_ERR_UNSUPPORTED;
	}
	if (!is_pow2(hd->alignment) || hd->alignment > HDR_MAX_ALIGN) {
		report(c, HV_SEV_ERROR, off, "invalid data alignment 0x%X in the file header",
		       hd->alignment);
		return HV_ERR_CORRUPT;
	}
	return HV_OK;
}

static hv_err headers_read(hv_ctx *c, hv_header *active)
{
	hv_header hd[2];
	for (int i = 0; i < 2; i++)
		header_parse(c->d, (uint64_t)i * HDR_COPY_STRIDE, &hd[i]);
	if (!hd[0].present && !hd[1].present) {
		report(c, HV_SEV_ERROR, 0, "no HyperVStorage signature at 0x0 or 0x1000");
		return HV_ERR_FORMAT;
	}
	for (int i = 0; i < 2; i++) {
		uint64_t off = (uint64_t)i * HDR_COPY_STRIDE;
		c->h->header_seq[i] = hd[i].seq;
		if (hd[i].valid)
			continue;
		c->h->header_crc_bad[i] = true;
		report(c, HV_SEV_WARN, off, "file header copy %d %s", i,
		       header_problem(c->d, off, &hd[i]));
	}
	if (!hd[0].valid && !hd[1].valid) {
		report(c, HV_SEV_ERROR, 0, "both file header copies are invalid");
		return HV_ERR_CORRUPT;
	}
	int a = !hd[0].valid || (hd[1].valid && seq_newer(hd[1].seq, hd[0].seq));
	*active = hd[a];
	c->h->active_header = a;
	c->h->sequence = hd[a].seq;
	c->h->format_version = hd[a].version;
	c->h->alignment = hd[a].alignment;
	c->h->log_offset = hd[a].log_off;
	c->h->log_size = hd[a].log_size;
	return header_fields_check(c, &hd[a], (uint64_t)a * HDR_COPY_STRIDE);
}

/* ---- replay log -------------------------------------------------------- */

/* Applies pending entry i to *copy (made on first use); false when skipped. */
static bool log_apply(hv_ctx *c, const hv_header *hd, uint32_t i, uint8_t **copy)
{
	uint64_t eo = hd->log_off + LOG_HDR_SIZE + (uint64_t)i * LOG_ENTRY_SIZE;
	span_t e, src;
	if (!span_sub(c->d, eo, LOG_ENTRY_SIZE, &e)) {
		report(c, HV_SEV_WARN, eo, "replay log entry %u lies beyond the end of the data; "
		       "skipped", i);
		return false;
	}
	uint64_t dest = ld64le(e.data + LOG_E_DEST);
	uint32_t size = ld32le(e.data + LOG_E_SIZE);
	uint64_t inlog = ld64le(e.data + LOG_E_INLOG);
	if (ld32le(e.data + LOG_E_CRC) != hv_crc32_zeroed(e.data, LOG_ENTRY_SIZE, LOG_E_CRC, 4)) {
		report(c, HV_SEV_WARN, eo, "replay log entry %u fails its checksum; skipped", i);
		return false;
	}
	if (inlog > hd->log_size || size > hd->log_size - inlog ||
	    inlog > UINT64_MAX - hd->log_off ||
	    !span_sub(c->d, hd->log_off + inlog, size, &src)) {
		report(c, HV_SEV_WARN, eo, "replay log entry %u: data (0x%X bytes at log offset "
		       "0x%llX) lies outside the log or the data; skipped", i, size, ull(inlog));
		return false;
	}
	if (ld32le(e.data + LOG_E_DATA_CRC) != hv_crc32(src.data, src.len)) {
		report(c, HV_SEV_WARN, eo, "replay log entry %u: data checksum mismatch; skipped",
		       i);
		return false;
	}
	if (!span_has(c->d, dest, size)) {
		report(c, HV_SEV_WARN, eo, "replay log entry %u: destination 0x%llX (+0x%X) lies "
		       "beyond the end of the data; skipped", i, ull(dest), size);
		return false;
	}
	if (!*copy)
		*copy = xmemdup(c->d.data, c->d.len);
	memcpy(*copy + dest, src.data, size);
	return true;
}

static uint32_t log_entry_limit(const hv_header *hd, uint32_t max_field)
{
	uint64_t region = hd->log_hdr_size ? hd->log_hdr_size : LOG_DEFAULT_REGION;
	if (hd->log_size && region > hd->log_size)
		region = hd->log_size;
	uint64_t fit = region > LOG_HDR_SIZE ? (region - LOG_HDR_SIZE) / LOG_ENTRY_SIZE : 0;
	uint64_t lim = max_field < fit ? max_field : fit;
	return (uint32_t)(lim < LOG_MAX_ENTRIES ? lim : LOG_MAX_ENTRIES);
}

/*
 * Checks the log header; when entries are pending, replays them into a
 * private copy of the data.  Returns that copy, or NULL when none was made.
 */
static uint8_t *log_replay(hv_ctx *c, const hv_header *hd)
{
	hvstore *h = c->h;
	span_t lh;
	uint8_t *copy = NULL;
	if (!span_sub(c->d, hd->log_off, LOG_HDR_SIZE, &lh)) {
		report(c, HV_SEV_WARN, hd->log_off, "replay log header lies beyond the end of the "
		       "data (0x%zX bytes); pending changes cannot be detected", c->d.len);
		return NULL;
	}
	if (ld32le(lh.data) != LOG_SIGNATURE ||
	    ld32le(lh.data + LOG_CRC) != hv_crc32_zeroed(lh.data, LOG_HDR_SIZE, LOG_CRC, 4)) {
		report(c, HV_SEV_WARN, hd->log_off, "replay log header is invalid (signature or "
		       "checksum); pending changes cannot be detected");
		return NULL;
	}
	uint32_t count = ld32le(lh.data + LOG_COUNT);
	if (count == 0)
		return NULL;
	h->dirty = true;
	h->log_pending = count;
	uint32_t limit = log_entry_limit(hd, ld32le(lh.data + LOG_MAX));
	uint32_t n = count < limit ? count : limit;
	for (uint32_t i = 0; i < n; i++) {
		if (log_apply(c, hd, i, &copy))
			h->log_replayed++;
		else
			h->log_skipped++;
	}
	if (count > n) {
		h->log_skipped += count - n;
		report(c, HV_SEV_WARN, hd->log_off, "replay log claims %u pending entries, at most "
		       "%u fit; the rest were skipped", count, n);
	}
	report(c, HV_SEV_NOTE, hd->log_off, "dirty file: replay log has %u pending entries; "
	       "%u applied to a private copy, %u skipped", count, h->log_replayed, h->log_skipped);
	return copy;
}

/* ---- object tables ----------------------------------------------------- */

static void add_key_table(hv_ctx *c, uint64_t ref, uint64_t off, uint32_t size, uint8_t flags)
{
	if (size < KT_HDR_SIZE || size > KT_MAX_SIZE) {
		report(c, HV_SEV_ERROR, ref, "object table entry names a key table at 0x%llX with "
		       "invalid size 0x%X", ull(c->base + off), size);
		return;
	}
	if (!span_has(c->d, off, size)) {
		report(c, HV_SEV_ERROR, ref, "key table at 0x%llX (0x%X bytes) lies beyond the end "
		       "of the data (0x%zX bytes)", ull(c->base + off), size, c->d.len);
		return;
	}
	if (c->nkt >= KT_MAX_TABLES) {
		report(c, HV_SEV_ERROR, ref, "more than %u key tables; the rest are ignored",
		       KT_MAX_TABLES);
		return;
	}
	if (!(flags & OT_FLAG_ALLOCATED))
		report(c, HV_SEV_NOTE, ref, "key table at 0x%llX is not flagged allocated; read "
		       "anyway", ull(c->base + off));
	c->kt = xgrow(c->kt, &c->capkt, c->nkt + 1, sizeof *c->kt);
	hv_keytable *t = &c->kt[c->nkt++];
	memset(t, 0, sizeof *t);
	t->off = off;
	t->size = size;
	t->ref = ref;
}

static void add_file_object(hv_ctx *c, uint64_t ref, uint64_t off, uint32_t size)
{
	if (!span_has(c->d, off, size)) {
		report(c, HV_SEV_ERROR, ref, "file object at 0x%llX (0x%X bytes) lies beyond the "
		       "end of the data (0x%zX bytes)", ull(c->base + off), size, c->d.len);
		return;
	}
	c->fo = xgrow(c->fo, &c->capfo, c->nfo + 1, sizeof *c->fo);
	c->fo[c->nfo].off = off;
	c->fo[c->nfo].size = size;
	c->fo[c->nfo].ref = ref;
	c->nfo++;
}

static void push_extent(hv_extent **v, size_t *n, size_t *cap, uint64_t off, uint64_t size,
			uint64_t ref)
{
	*v = xgrow(*v, cap, *n + 1, sizeof **v);
	(*v)[*n].off = off;
	(*v)[*n].size = size;
	(*v)[*n].ref = ref;
	(*n)++;
}

typedef struct {
	hv_extent *todo;
	size_t ntodo, captodo, next;
	uint64_t *seen;
	size_t nseen, capseen;
} ot_walk;

static void object_entry(hv_ctx *c, ot_walk *w, uint64_t eo, uint32_t i)
{
	const uint8_t *e = c->d.data + eo;
	uint8_t type = e[0];
	uint64_t off = ld64le(e + OT_E_OFF);
	uint32_t size = ld32le(e + OT_E_SIZE);
	if (ld32le(e + OT_E_CRC) != hv_crc32_zeroed(e, OT_ENTRY_SIZE, OT_E_CRC, 4)) {
		report(c, HV_SEV_WARN, eo, "object table entry %u (%s) fails its checksum; ignored",
		       i, object_type_name(type));
		return;
	}
	switch (type) {
	case OBJ_OBJECT_TABLE:
		push_extent(&w->todo, &w->ntodo, &w->captodo, off, size, eo);
		break;
	case OBJ_KEY_TABLE:
		add_key_table(c, eo, off, size, e[OT_E_FLAGS]);
		break;
	case OBJ_FILE_OBJECT:
		add_file_object(c, eo, off, size);
		break;
	case OBJ_EMPTY:
	case OBJ_FREE:
	case OBJ_UNKNOWN_HEADER:
	case OBJ_REPLAY_LOG:
	case OBJ_CHANGE_TRACKING:
		break;
	default:
		report(c, HV_SEV_WARN, eo, "object table entry %u has unknown type %u; ignored", i,
		       type);
	}
}

/* Reads one object table; false when its header is unusable. */
static bool object_table(hv_ctx *c, ot_walk *w, const hv_extent *t, bool root)
{
	uint32_t sig, count;
	uint64_t where = root ? t->off : t->ref;
	if (!span_u32le(c->d, t->off, &sig) || !span_u32le(c->d, t->off + 4, &count)) {
		report(c, HV_SEV_ERROR, where, "object table at 0x%llX lies beyond the end of the "
		       "data (0x%zX bytes)", ull(c->base + t->off), c->d.len);
		return false;
	}
	if (sig != OT_SIGNATURE) {
		report(c, HV_SEV_ERROR, t->off, "object table has a bad signature 0x%08X", sig);
		return false;
	}
	uint64_t cap = (t->size - OT_HDR_SIZE) / OT_ENTRY_SIZE;
	uint64_t avail = (c->d.len - (t->off + OT_HDR_SIZE)) / OT_ENTRY_SIZE;
	uint64_t n = count;
	if (n > cap) {
		report(c, HV_SEV_WARN, t->off, "object table claims %u entries, only %llu fit in "
		       "its 0x%llX bytes", count, ull(cap), ull(t->size));
		n = cap;
	}
	if (n > avail) {
		report(c, HV_SEV_ERROR, t->off, "object table is truncated: %llu of %llu entries "
		       "lie beyond the end of the data", ull(n - avail), ull(n));
		n = avail;
	}
	if (c->ot_entries + n > c->d.len / OT_ENTRY_SIZE) {
		report(c, HV_SEV_ERROR, t->off, "object tables hold more entries than the data "
		       "can; table ignored");
		return true;
	}
	c->ot_entries += n;
	for (uint64_t i = 0; i < n; i++)
		object_entry(c, w, t->off + OT_HDR_SIZE + i * OT_ENTRY_SIZE, (uint32_t)i);
	return true;
}

static bool chained_table_ok(hv_ctx *c, ot_walk *w, const hv_extent *t)
{
	for (size_t i = 0; i < w->nseen; i++) {
		if (w->seen[i] == t->off) {
			report(c, HV_SEV_WARN, t->ref, "object table chain loops back to 0x%llX; "
			       "not followed", ull(c->base + t->off));
			return false;
		}
	}
	if (w->nseen >= OT_MAX_TABLES) {
		report(c, HV_SEV_ERROR, t->ref, "more than %u object tables; the rest are ignored",
		       OT_MAX_TABLES);
		return false;
	}
	if (t->size < OT_HDR_SIZE || t->size > OT_MAX_SIZE) {
		report(c, HV_SEV_ERROR, t->ref, "chained object table at 0x%llX has invalid size "
		       "0x%llX", ull(c->base + t->off), ull(t->size));
		return false;
	}
	return true;
}

static hv_err object_tables_read(hv_ctx *c)
{
	ot_walk w = { 0 };
	hv_err rc = HV_OK;
	uint64_t root_size = c->h->alignment > OT_MIN_EXTENT ? c->h->alignment : OT_MIN_EXTENT;
	push_extent(&w.todo, &w.ntodo, &w.captodo, OT_ROOT_OFF, root_size, OT_ROOT_OFF);
	while (w.next < w.ntodo) {
		hv_extent t = w.todo[w.next++];
		bool root = w.nseen == 0;
		if (!root && !chained_table_ok(c, &w, &t))
			continue;
		w.seen = xgrow(w.seen, &w.capseen, w.nseen + 1, sizeof *w.seen);
		w.seen[w.nseen++] = t.off;
		if (!object_table(c, &w, &t, root) && root) {
			rc = HV_ERR_CORRUPT;
			break;
		}
	}
	c->h->object_tables = (uint32_t)w.nseen;
	free(w.todo);
	free(w.seen);
	return rc;
}

/* ---- key tables -------------------------------------------------------- */

static void key_table_header(hv_ctx *c, hv_keytable *t)
{
	const uint8_t *p = c->d.data + t->off;
	uint16_t sig = ld16le(p);
	if (sig != KT_SIGNATURE) {
		report(c, HV_SEV_ERROR, t->off, "key table has a bad signature 0x%04X; not read",
		       sig);
		return;
	}
	t->index = ld16le(p + KT_INDEX);
	t->seq = ld16le(p + KT_SEQ);
	if (ld32le(p + KT_CRC) != hv_crc32_zeroed(p, KT_HDR_SIZE, KT_CRC, 4))
		report(c, HV_SEV_WARN, t->off, "key table header fails its checksum; index %u used "
		       "as stored, entries checked one by one", t->index);
	if (t->index == 0) {
		report(c, HV_SEV_ERROR, t->off, "key table has index 0 (reserved for the root); "
		       "not read");
		return;
	}
	t->keep = true;
}

static int kt_by_off(const void *a, const void *b)
{
	const hv_keytable *x = *(hv_keytable *const *)a, *y = *(hv_keytable *const *)b;
	return x->off < y->off ? -1 : x->off > y->off;
}

static int kt_by_index(const void *a, const void *b)
{
	const hv_keytable *x = *(hv_keytable *const *)a, *y = *(hv_keytable *const *)b;
	if (x->index != y->index)
		return x->index < y->index ? -1 : 1;
	return x->off < y->off ? -1 : x->off > y->off;
}

static void key_tables_drop_overlaps(hv_ctx *c, hv_keytable **v)
{
	uint64_t end = 0;
	qsort(v, c->nkt, sizeof *v, kt_by_off);
	for (size_t i = 0; i < c->nkt; i++) {
		if (!v[i]->keep)
			continue;
		if (v[i]->off < end) {
			report(c, HV_SEV_ERROR, v[i]->ref, "key table at 0x%llX overlaps another "
			       "key table; not read", ull(c->base + v[i]->off));
			v[i]->keep = false;
			continue;
		}
		end = v[i]->off + v[i]->size;
	}
}

static void key_tables_drop_duplicates(hv_ctx *c, hv_keytable **v)
{
	qsort(v, c->nkt, sizeof *v, kt_by_index);
	hv_keytable *best = NULL;
	for (size_t i = 0; i < c->nkt; i++) {
		hv_keytable *t = v[i];
		if (!t->keep)
			continue;
		if (!best || best->index != t->index) {
			best = t;
			continue;
		}
		hv_keytable *loser = seq_newer(t->seq, best->seq) ? best : t;
		if (loser == best)
			best = t;
		loser->keep = false;
		report(c, HV_SEV_WARN, loser->off, "two key tables have index %u; the one at "
		       "0x%llX (sequence %u) is newer and used",
		       t->index, ull(c->base + best->off), best->seq);
	}
}

static void key_tables_prepare(hv_ctx *c)
{
	if (!c->nkt)
		return;
	hv_keytable **v = xmalloc(c->nkt * sizeof *v);
	for (size_t i = 0; i < c->nkt; i++) {
		v[i] = &c->kt[i];
		key_table_header(c, v[i]);
	}
	key_tables_drop_overlaps(c, v);
	key_tables_drop_duplicates(c, v);
	free(v);
	for (size_t i = 0; i < c->nkt; i++)
		if (c->kt[i].keep)
			c->h->key_tables++;
}

/* ---- key entries ------------------------------------------------------- */

static bool value_type_known(uint8_t t)
{
	return t == VT_INT || t == VT_UINT || t == VT_DOUBLE || t == VT_STRING ||
	       t == VT_ARRAY || t == VT_BOOL || t == VT_NODE;
}

/* Bytes of a known-type value covered by the entry checksum. */
static uint64_t value_length(uint8_t type, uint8_t flags, const uint8_t *v, uint32_t avail)
{
	if (flags & KE_FLAG_FILE_OBJECT)
		return FILE_OBJECT_REF;
	switch (type) {
	case VT_BOOL:
		return 4;
	case VT_NODE:
		return 12;
	case VT_STRING:
	case VT_ARRAY:
		return avail < 4 ? 4 : 4 + (uint64_t)ld32le(v);
	}
	return 8; /* Int, UInt, Double */
}

static int extent_cmp(const void *a, const void *b)
{
	const hv_extent *x = a, *y = b;
	return x->off < y->off ? -1 : x->off > y->off;
}

/* c->fo is sorted by offset once all object tables are read. */
static bool file_object_covered(const hv_ctx *c, uint64_t off, uint64_t size)
{
	size_t lo = 0, hi = c->nfo;
	while (lo < hi) { /* first extent that starts after off */
		size_t mid = lo + (hi - lo) / 2;
		if (c->fo[mid].off <= off)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo == 0)
		return false;
	const hv_extent *x = &c->fo[lo - 1];
	return off - x->off <= x->size && size <= x->size - (off - x->off);
}

/* Locates an out-of-line value; false (and a warning) when unusable. */
static bool file_object_data(hv_ctx *c, const uint8_t *ref, uint64_t rel, span_t *out)
{
	uint32_t size = ld32le(ref);
	uint64_t off = ld64le(ref + 4);
	if (!span_sub(c->d, off, size, out)) {
		report(c, HV_SEV_WARN, rel, "value's file object at 0x%llX (0x%X bytes) lies "
		       "beyond the end of the data; entry skipped", ull(c->base + off), size);
		return false;
	}
	if (size > c->d.len - c->fo_bytes) {
		report(c, HV_SEV_WARN, rel, "file objects referenced so far add up to more than "
		       "the data size; entry skipped");
		return false;
	}
	c->fo_bytes += size;
	if (!file_object_covered(c, off, size))
		report(c, HV_SEV_WARN, rel, "value's file object at 0x%llX is not covered by a "
		       "file-object entry of the object table; read anyway", ull(c->base + off));
	c->h->file_objects++;
	return true;
}

static char *entry_name(hv_ctx *c, const uint8_t *p, uint8_t n, uint64_t rel)
{
	size_t l = strnlen((const char *)p, n);
	char *s = xstrndup((const char *)p, l);
	if (utf8_valid(s, l))
		return s;
	for (size_t i = 0; i < l; i++)
		if ((unsigned char)s[i] >= 0x80)
			s[i] = '?';
	report(c, HV_SEV_WARN, rel, "key name is not valid UTF-8; shown as \"%s\"", s);
	return s;
}

/* Builds the node for a checked entry; NULL (with a warning) when unusable. */
static kv_node *entry_node(hv_ctx *c, const uint8_t *e, uint8_t type, uint8_t flags,
			   const uint8_t *v, uint64_t rel)
{
	span_t data = { NULL, 0 };
	bool fobj = flags & KE_FLAG_FILE_OBJECT;
	if (fobj) {
		if (type != VT_STRING && type != VT_ARRAY) {
			report(c, HV_SEV_WARN, rel, "%s entry is flagged as a file object; skipped",
			       value_type_name(type));
			return NULL;
		}
		if (!file_object_data(c, v, rel, &data))
			return NULL;
	} else if (type == VT_STRING || type == VT_ARRAY) {
		data = span_make(v + 4, ld32le(v));
	}
	static const kv_type map[] = {
		[VT_INT] = KV_INT, [VT_UINT] = KV_UINT, [VT_DOUBLE] = KV_DOUBLE,
		[VT_STRING] = KV_STRING, [VT_ARRAY] = KV_BYTES, [VT_BOOL] = KV_BOOL,
		[VT_NODE] = KV_NODE,
	};
	char *name = entry_name(c, e + KE_HDR_SIZE, e[KE_NAME_SIZE], rel);
	kv_node *n = kv_new(name, map[type]);
	free(name);
	switch (type) {
	case VT_INT: n->v.i = (int64_t)ld64le(v); break;
	case VT_UINT: n->v.u = ld64le(v); break;
	case VT_DOUBLE: {
		uint64_t bits = ld64le(v);
		memcpy(&n->v.d, &bits, sizeof n->v.d);
		break;
	}
	case VT_BOOL: n->v.b = ld32le(v) != 0; break;
	case VT_STRING: n->str = utf16le_to_utf8(data.data, data.len); break;
	case VT_ARRAY:
		n->nbytes = data.len;
		n->bytes = data.len ? xmemdup(data.data, data.len) : NULL;
		break;
	}
	n->offset = c->base + rel;
	n->seq = ld32le(e + KE_SEQ);
	n->flags = flags;
	n->file_object = fobj;
	return n;
}

static void add_rec(hv_ctx *c, const hv_keytable *t, uint32_t off, const uint8_t *e,
		    kv_node *n)
{
	c->recs = xgrow(c->recs, &c->caprecs, c->nrecs + 1, sizeof *c->recs);
	hv_rec *r = &c->recs[c->nrecs++];
	memset(r, 0, sizeof *r);
	r->table = t->index;
	r->off = off;
	r->ptable = ld16le(e + KE_PTABLE);
	r->poff = ld32le(e + KE_POFF);
	r->rel = t->off + off;
	r->node = n;
}

/* Checks one live entry and builds its node; NULL (with a warning) when bad. */
static kv_node *key_entry_check(hv_ctx *c, const uint8_t *e, uint32_t esize, uint64_t rel)
{
	uint8_t type = e[0], flags = e[KE_FLAGS], nsz = e[KE_NAME_SIZE];
	if (!value_type_known(type)) {
		report(c, HV_SEV_WARN, rel, "entry has unknown value type %u; skipped", type);
		return NULL;
	}
	if ((uint64_t)KE_HDR_SIZE + nsz > esize) {
		report(c, HV_SEV_WARN, rel, "key name (%u bytes) runs past the end of the entry "
		       "(0x%X bytes); entry skipped", nsz, esize);
		return NULL;
	}
	uint32_t vo = KE_HDR_SIZE + nsz, avail = esize - vo;
	uint64_t vlen = value_length(type, flags, e + vo, avail);
	if (vlen > avail) {
		report(c, HV_SEV_WARN, rel, "%s value (0x%llX bytes) runs past the end of the "
		       "entry (0x%X bytes); entry skipped",
		       value_type_name(type), ull(vlen), esize);
		return NULL;
	}
	uint32_t crc = hv_crc32_zeroed(e, vo + (size_t)vlen, KE_CRC, 4);
	if (ld32le(e + KE_CRC) != crc) {
		report(c, HV_SEV_WARN, rel, "key entry fails its checksum (stored 0x%08X, computed "
		       "0x%08X); skipped", ld32le(e + KE_CRC), crc);
		return NULL;
	}
	return entry_node(c, e, type, flags, e + vo, rel);
}

/* One entry of esize bytes (already bounded by the table). */
static void key_entry(hv_ctx *c, const hv_keytable *t, uint32_t off, uint32_t esize)
{
	const uint8_t *e = c->d.data + t->off + off;
	if (e[0] == VT_FREE) {
		c->h->free_entries++;
		return;
	}
	kv_node *n = key_entry_check(c, e, esize, t->off + off);
	if (!n) {
		c->h->bad_entries++;
		return;
	}
	c->h->live_entries++;
	add_rec(c, t, off, e, n);
}

static bool all_zero(const uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (p[i])
			return false;
	return true;
}

static void key_table_walk(hv_ctx *c, const hv_keytable *t)
{
	const uint8_t *p = c->d.data + t->off;
	uint32_t off = KT_HDR_SIZE;
	while ((uint64_t)off + KE_HDR_SIZE <= t->size) {
		uint32_t esize = ld32le(p + off + KE_SIZE);
		if (esize == 0) {
			if (!all_zero(p + off, t->size - off))
				report(c, HV_SEV_WARN, t->off + off, "key entry has size 0; the "
				       "rest of key table %u (0x%X bytes) is not read",
				       t->index, t->size - off);
			return;
		}
		if (esize < KE_HDR_SIZE || esize > t->size - off) {
			c->h->bad_entries++;
			report(c, HV_SEV_ERROR, t->off + off, "key entry size 0x%X runs past the "
			       "end of key table %u; the rest of the table (0x%X bytes) is not "
			       "read", esize, t->index, t->size - off);
			return;
		}
		key_entry(c, t, off, esize);
		off += esize;
	}
}

/* ---- tree -------------------------------------------------------------- */

static int rec_cmp(const void *a, const void *b)
{
	const hv_rec *x = a, *y = b;
	if (x->table != y->table)
		return x->table < y->table ? -1 : 1;
	return x->off < y->off ? -1 : x->off > y->off;
}

static size_t rec_find(const hv_ctx *c, uint16_t table, uint32_t off)
{
	size_t lo = 0, hi = c->nrecs;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		const hv_rec *r = &c->recs[mid];
		if (r->table == table && r->off == off)
			return mid;
		if (r->table < table || (r->table == table && r->off < off))
			lo = mid + 1;
		else
			hi = mid;
	}
	return REC_NONE;
}

static void link_parents(hv_ctx *c)
{
	for (size_t i = 0; i < c->nrecs; i++) {
		hv_rec *r = &c->recs[i];
		if (r->ptable == 0) {
			r->parent = REC_ROOT;
			continue;
		}
		size_t p = rec_find(c, r->ptable, r->poff);
		if (p == REC_NONE)
			r->why = WHY_DANGLING;
		else if (c->recs[p].node->type != KV_NODE)
			r->why = WHY_NOT_NODE;
		r->parent = r->why ? REC_NONE : p;
	}
}

/*
 * Walks up from rec i until the root, a resolved entry, a missing parent
 * or a cycle, then settles every entry on the way.  stack holds nrecs.
 */
static void resolve_chain(hv_ctx *c, size_t i, size_t *stack)
{
	size_t top = 0, j = i;
	uint8_t st = ST_OK;
	uint32_t depth = 0;
	for (;;) {
		hv_rec *r = &c->recs[j];
		if (r->state == ST_OK || r->state == ST_BAD) {
			st = r->state;
			depth = r->depth;
			break;
		}
		if (r->state == ST_BUSY) {
			size_t k = top;
			while (k > 0 && stack[k - 1] != j)
				k--;
			for (k = k ? k - 1 : 0; k < top; k++)
				c->recs[stack[k]].why = WHY_CYCLE;
			st = ST_BAD;
			break;
		}
		r->state = ST_BUSY;
		stack[top++] = j;
		if (r->parent == REC_ROOT || r->parent == REC_NONE) {
			st = r->parent == REC_ROOT ? ST_OK : ST_BAD;
			break;
		}
		j = r->parent;
	}
	while (top) {
		hv_rec *r = &c->recs[stack[--top]];
		if (st == ST_BAD || r->why) {
			if (!r->why)
				r->why = WHY_BELOW;
			r->state = st = ST_BAD;
			continue;
		}
		r->depth = ++depth;
		if (depth > KV_MAX_DEPTH) {
			r->why = WHY_DEPTH;
			r->state = st = ST_BAD;
			continue;
		}
		r->state = ST_OK;
	}
}

static void report_orphan(hv_ctx *c, const hv_rec *r)
{
	const char *nm = r->node->name;
	switch (r->why) {
	case WHY_DANGLING:
		report(c, HV_SEV_WARN, r->rel, "orphan entry \"%s\": parent (key table %u, offset "
		       "0x%X) does not exist; not attached", nm, r->ptable, r->poff);
		break;
	case WHY_NOT_NODE:
		report(c, HV_SEV_WARN, r->rel, "orphan entry \"%s\": parent (key table %u, offset "
		       "0x%X) is not a node; not attached", nm, r->ptable, r->poff);
		break;
	case WHY_CYCLE:
		report(c, HV_SEV_WARN, r->rel, "orphan entry \"%s\": part of a parent cycle; not "
		       "attached", nm);
		break;
	case WHY_DEPTH:
		report(c, HV_SEV_ERROR, r->rel, "entry \"%s\" is nested deeper than %d levels; not "
		       "attached", nm, KV_MAX_DEPTH);
		break;
	}
}

static void tree_build(hv_ctx *c)
{
	size_t below = 0;
	if (c->nrecs > 1)
		qsort(c->recs, c->nrecs, sizeof *c->recs, rec_cmp);
	link_parents(c);
	size_t *stack = xmalloc((c->nrecs ? c->nrecs : 1) * sizeof *stack);
	for (size_t i = 0; i < c->nrecs; i++)
		if (c->recs[i].state == ST_NEW)
			resolve_chain(c, i, stack);
	free(stack);
	for (size_t i = 0; i < c->nrecs; i++) {
		hv_rec *r = &c->recs[i];
		if (r->state == ST_OK) {
			kv_node *p = r->parent == REC_ROOT ? c->h->root : c->recs[r->parent].node;
			kv_add_child(p, r->node);
			continue;
		}
		c->h->orphans++;
		if (r->why == WHY_BELOW)
			below++;
		else
			report_orphan(c, r);
	}
	if (below)
		report(c, HV_SEV_WARN, HV_NO_OFFSET, "%zu further entries below orphaned entries "
		       "were not attached", below);
	for (size_t i = 0; i < c->nrecs; i++)
		if (c->recs[i].state != ST_OK)
			kv_free(c->recs[i].node);
	kv_sort(c->h->root);
}

/* ---- public ------------------------------------------------------------ */

bool hvstore_sniff(span_t data)
{
	uint32_t sig;
	if (span_u32le(data, 0, &sig) && sig == HVSTORE_SIGNATURE)
		return true;
	return span_u32le(data, HDR_COPY_STRIDE, &sig) && sig == HVSTORE_SIGNATURE;
}

static void ctx_free(hv_ctx *c)
{
	free(c->kt);
	free(c->fo);
	free(c->recs);
}

static hv_err read_body(hv_ctx *c)
{
	hv_err rc = object_tables_read(c);
	if (rc != HV_OK)
		return rc;
	if (c->nfo > 1)
		qsort(c->fo, c->nfo, sizeof *c->fo, extent_cmp);
	key_tables_prepare(c);
	c->h->root = kv_new(NULL, KV_NODE);
	c->h->root->offset = c->base;
	for (size_t i = 0; i < c->nkt; i++)
		if (c->kt[i].keep)
			key_table_walk(c, &c->kt[i]);
	tree_build(c);
	return c->corrupt ? HV_ERR_CORRUPT : HV_OK;
}

/* Bytes from the repository start to the end of the last structure it uses. */
static uint64_t repository_extent(const hv_ctx *c, const hv_header *hd)
{
	uint64_t end = 2 * HDR_COPY_STRIDE + 0x1000; /* both headers and the root object table */
	for (size_t i = 0; i < c->nkt; i++)
		if (c->kt[i].off + c->kt[i].size > end)
			end = c->kt[i].off + c->kt[i].size;
	for (size_t i = 0; i < c->nfo; i++)
		if (c->fo[i].off + c->fo[i].size > end)
			end = c->fo[i].off + c->fo[i].size;
	if (hd->log_off < c->d.len && hd->log_size <= UINT64_MAX - hd->log_off &&
	    hd->log_off + hd->log_size > end)
		end = hd->log_off + hd->log_size;
	return end < c->d.len ? end : c->d.len;
}

hv_err hvstore_read(span_t data, const char *name, uint64_t base, hvstore *out,
		    hv_findings *f)
{
	hv_ctx c;
	hv_header hd;
	memset(out, 0, sizeof *out);
	memset(&c, 0, sizeof c);
	out->base_offset = base;
	c.d = data;
	c.name = name;
	c.base = base;
	c.f = f;
	c.h = out;
	hv_err rc = headers_read(&c, &hd);
	if (rc != HV_OK)
		return rc;
	uint8_t *copy = log_replay(&c, &hd);
	if (copy)
		c.d = span_make(copy, data.len);
	rc = read_body(&c);
	out->extent = repository_extent(&c, &hd);
	free(copy);
	ctx_free(&c);
	return rc;
}

void hvstore_free(hvstore *h)
{
	if (!h)
		return;
	kv_free(h->root);
	h->root = NULL;
}

/* Signature, CRC and supported version at off. */
static bool header_at(span_t data, uint64_t off)
{
	hv_header hd;
	header_parse(data, off, &hd);
	return hd.valid && hd.version == HVSTORE_VERSION_SUPPORTED;
}

size_t hvstore_scan(span_t data, uint64_t *offsets, size_t max)
{
	size_t n = 0;
	uint64_t last = UINT64_MAX;
	for (uint64_t off = 0; off + HDR_SIZE <= data.len; off += HDR_COPY_STRIDE) {
		uint32_t sig;
		if (!span_u32le(data, off, &sig) || sig != HVSTORE_SIGNATURE)
			continue;
		/* Copy 1 of a repository already found is not a new repository. */
		if (last != UINT64_MAX && off == last + HDR_COPY_STRIDE)
			continue;
		if (!header_at(data, off) && !header_at(data, off + HDR_COPY_STRIDE))
			continue;
		if (n < max)
			offsets[n] = off;
		n++;
		last = off;
	}
	return n;
}
