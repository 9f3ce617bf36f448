/*
 * vhdx.c - MS-VHDX v1.0 reader (Hyper-V .vhdx / .avhdx).
 *
 * Sources: MS-VHDX (learn.microsoft.com/openspecs/windows_protocols/ms-vhdx),
 * read for understanding: qemu block/vhdx*.c, libvhdi and dissect notes.
 * See docs/disk.md s.2.  All integers little-endian; GUIDs in the
 * Microsoft mixed-endian layout.
 *
 * File layout (first 1 MiB in 64 KiB slots) [confirmed]:
 *   0x00000  file identifier "vhdxfile" + creator UTF-16LE (512 bytes)
 *   0x10000  header 1 (4 KiB)     0x20000  header 2 (4 KiB)
 *   0x30000  region table 1 (64 KiB)   0x40000  region table 2 (64 KiB)
 *
 * Header: +0 "head", +4 CRC-32C over 4 KiB (field zeroed), +8 SequenceNumber
 * u64, +16 FileWriteGuid, +32 DataWriteGuid, +48 LogGuid, +64 LogVersion u16
 * (0), +66 Version u16 (1), +68 LogLength u32, +72 LogOffset u64 (both
 * multiples of 1 MiB).  Current header: the valid one, or of two valid ones
 * the higher sequence; equal sequences are accepted when byte-identical
 * (Disk2VHD quirk); none valid -> corrupt.
 *
 * Region table: +0 "regi", +4 CRC-32C over 64 KiB, +8 EntryCount (<= 2047);
 * entries at +16, 32 bytes: GUID, FileOffset u64, Length u32, Required u32.
 * BAT 2DC27766-..., metadata 8B7CA206-...; an unknown required region makes
 * the file unreadable (HV_ERR_UNSUPPORTED).
 *
 * Metadata table at the metadata region: "metadata", reserved u16, count u16
 * (<= 2047); entries at +32: ItemId GUID, Offset u32 (>= 64 KiB, relative to
 * the region), Length u32, flags u32 (bit 2 IsRequired).  Items: file
 * parameters (BlockSize u32, flags u32: bit0 LeaveBlockAllocated, bit1
 * HasParent), virtual size u64, logical and physical sector size u32, page-83
 * virtual disk id GUID, parent locator (20-byte header: type GUID, reserved
 * u16, count u16; 12-byte key/value entries: KeyOffset u32, ValueOffset u32,
 * KeyLength u16, ValueLength u16; UTF-16LE strings).
 *
 * BAT entry u64: bits 0-2 state, 20-63 FileOffsetMB.  chunk_ratio =
 * 2^23 * LogicalSectorSize / BlockSize; block b at index b + b/chunk_ratio,
 * sector bitmap of chunk k at (k+1)*chunk_ratio + k.  Payload states: 0 not
 * present (parent in a differencing disk, else zeros), 1 undefined, 2 zero,
 * 3 unmapped, 5 unmapped (v0.95): zeros; 6 fully present; 7 partially
 * present (differencing only; sector bitmap bit i of byte j = sector 8j+i,
 * 1 = this file).  4 is reserved.
 *
 * Log (LogGuid not zero): a ring of 4 KiB sectors at LogOffset.  Entry: +0
 * "loge", +4 CRC-32C over EntryLength bytes, +8 EntryLength, +12 Tail, +16
 * SequenceNumber, +24 DescriptorCount, +32 LogGuid, +48 FlushedFileOffset,
 * +56 LastFileOffset; 32-byte descriptors follow ("zero": +8 length, +16 file
 * offset, +24 seq; "desc": +4 trailing 4 bytes, +8 leading 8 bytes, +16 file
 * offset, +24 seq), (count+2)/128 sectors rounded up, then one "data" sector
 * per "desc" (+4 seq high, +8 4084 bytes, +4092 seq low).  The active
 * sequence is the chain of consecutive valid entries (sequence + 1, each
 * right after the previous) with the highest last sequence, from the entry
 * its last Tail points to [confirmed: MS-VHDX 2.3.3; Tail use per spec].
 * It is applied in order to the vd_file overlay; the file is never written.
 */
#include "formats/vhdx.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "util/bytes.h"
#include "util/crc.h"
#include "util/text.h"
#include "util/xalloc.h"

#define MIB (1024u * 1024u)
#define VHDX_IDENT_SIG "vhdxfile"
#define VHDX_CREATOR_OFF 8
#define VHDX_CREATOR_LEN 512
#define VHDX_HEADER_OFF(i) (0x10000u * ((i) + 1))
#define VHDX_HEADER_SIZE 4096
#define VHDX_RTAB_OFF(i) (0x30000u + 0x10000u * (i))
#define VHDX_RTAB_SIZE 0x10000
#define VHDX_RTAB_MAX 2047
#define VHDX_META_TABLE_SIZE 0x10000
#define VHDX_META_MAX 2047
#define VHDX_MIN_BLOCK MIB
#define VHDX_MAX_BLOCK (256u * MIB)
#define VHDX_MAX_VSIZE (64ull << 40)
#define VHDX_FIRST_REGION MIB
#define VHDX_LOCATOR_MAX 0x10000
#define VHDX_LOCATOR_HDR 20
#define VHDX_LOCATOR_ENTRY 12

/* header fields */
#define H_CSUM 4
#define H_SEQ 8
#define H_FWG 16
#define H_DWG 32
#define H_LOGG 48
#define H_LOGVER 64
#define H_VER 66
#define H_LOGLEN 68
#define H_LOGOFF 72

/* log */
#define LOG_SECTOR 4096
#define LOG_HDR 64
#define LOG_DESC 32
#define LOG_DATA_LEAD 8
#define LOG_DATA_BODY 4084
#define LOG_MAX_REPLAY (64u * MIB)
#define LOG_SCAN_BUDGET (256ull * MIB)
#define LOG_MAX_FILE_OFFSET (1ull << 50)

/* BAT */
#define BAT_STATE_MASK 7u
#define BAT_RESERVED_MASK 0xFFFF8ull
#define BAT_PAGE_ENTRIES 512
#define BAT_CACHE_PAGES 8
#define BAT_MAX_FINDINGS 32
#define SB_BLOCK_SIZE MIB
#define SB_MAX_READ 4096

enum {
	PB_NOT_PRESENT = 0,
	PB_UNDEFINED = 1,
	PB_ZERO = 2,
	PB_UNMAPPED = 3,
	PB_UNMAPPED_V095 = 5,
	PB_FULLY_PRESENT = 6,
	PB_PARTIALLY_PRESENT = 7,
	SB_NOT_PRESENT = 0,
	SB_PRESENT = 6,
};

static const char GUID_BAT[] = "2DC27766-F623-4200-9D64-115E9BFD4A08";
static const char GUID_METADATA[] = "8B7CA206-4790-4B9A-B8FE-575F050F886E";
static const char GUID_FILE_PARAMS[] = "CAA16737-FA36-4D43-B3B6-33F0AA44E76B";
static const char GUID_VIRTUAL_SIZE[] = "2FA54224-CD1B-4876-B211-5DBED83BF4B8";
static const char GUID_LOGICAL_SECTOR[] = "8141BF1D-A96F-4709-BA47-F233A8FAAB5F";
static const char GUID_PHYSICAL_SECTOR[] = "CDA348C7-445D-4471-9CC9-E9885251C556";
static const char GUID_PAGE83[] = "BECA12AB-B2E6-4523-93EF-C309E000C746";
static const char GUID_PARENT_LOCATOR[] = "A8D35F2D-B30B-454D-ABF7-D3D84834AB0C";
static const char GUID_VHDX_LOCATOR_TYPE[] = "B04AEFB7-D19E-4A81-B789-25B8E9445913";

typedef struct {
	uint64_t page;
	bool used;
	uint64_t e[BAT_PAGE_ENTRIES];
} bat_page;

struct vhdx {
	vd_file *vf;
	const char *name;
	vhdx_info info;
	uint64_t sectors_per_block;
	bat_page cache[BAT_CACHE_PAGES];
	unsigned bat_findings;
};

static bool guid_is(const uint8_t *g, const char *s)
{
	uint8_t want[16];
	return guid_parse(s, want) && memcmp(g, want, 16) == 0;
}

static bool is_zero(const uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (p[i])
			return false;
	return true;
}

static bool pow2(uint64_t v)
{
	return v && !(v & (v - 1));
}

bool vhdx_sniff(const uint8_t *p, size_t n)
{
	return n >= 8 && memcmp(p, VHDX_IDENT_SIG, 8) == 0;
}

const char *vhdx_block_state_name(unsigned state)
{
	switch (state) {
	case PB_NOT_PRESENT: return "not present";
	case PB_UNDEFINED: return "undefined";
	case PB_ZERO: return "zero";
	case PB_UNMAPPED: return "unmapped";
	case PB_UNMAPPED_V095: return "unmapped (v0.95)";
	case PB_FULLY_PRESENT: return "fully present";
	case PB_PARTIALLY_PRESENT: return "partially present";
	}
	return "reserved";
}

/* ---- file identifier and headers ---- */

static hv_err read_ident(vhdx *x, hv_findings *f)
{
	uint8_t id[VHDX_CREATOR_OFF + VHDX_CREATOR_LEN];
	hv_err rc = vd_file_read(x->vf, 0, id, sizeof id, true);
	if (rc == HV_ERR_IO)
		return rc;
	if (!vhdx_sniff(id, sizeof id)) {
		findings_add(f, HV_SEV_ERROR, x->name, 0, "no \"vhdxfile\" identifier");
		return HV_ERR_FORMAT;
	}
	x->info.creator = utf16le_to_utf8(id + VHDX_CREATOR_OFF, VHDX_CREATOR_LEN);
	return HV_OK;
}

static bool header_valid(const uint8_t *h)
{
	return memcmp(h, "head", 4) == 0 &&
	       ld32le(h + H_CSUM) == hv_crc32c_zeroed(h, VHDX_HEADER_SIZE, H_CSUM, 4);
}

static int choose_header(vhdx *x, uint8_t h[2][VHDX_HEADER_SIZE], const bool ok[2],
			 hv_findings *f)
{
	if (ok[0] && ok[1]) {
		uint64_t s0 = ld64le(h[0] + H_SEQ), s1 = ld64le(h[1] + H_SEQ);
		if (s0 != s1)
			return s1 > s0 ? 1 : 0;
		if (memcmp(h[0], h[1], VHDX_HEADER_SIZE) != 0) {
			findings_add(f, HV_SEV_WARN, x->name, VHDX_HEADER_OFF(0),
				     "both headers have sequence %llu but differ; using header 1",
				     (unsigned long long)s0);
			x->info.best_effort = true;
		}
		return 0;
	}
	for (int i = 0; i < 2; i++) {
		if (!ok[i])
			continue;
		findings_add(f, HV_SEV_WARN, x->name, VHDX_HEADER_OFF(1 - i),
			     "header %d is invalid (signature or CRC-32C); using header %d",
			     2 - i, i + 1);
		return i;
	}
	return -1;
}

static hv_err read_headers(vhdx *x, hv_findings *f)
{
	uint8_t h[2][VHDX_HEADER_SIZE];
	bool ok[2];
	for (int i = 0; i < 2; i++) {
		hv_err rc = vd_file_read(x->vf, VHDX_HEADER_OFF(i), h[i], VHDX_HEADER_SIZE, true);
		if (rc == HV_ERR_IO)
			return rc;
		ok[i] = rc == HV_OK && header_valid(h[i]);
		x->info.header_bad[i] = !ok[i];
	}
	int c = choose_header(x, h, ok, f);
	if (c < 0) {
		findings_add(f, HV_SEV_ERROR, x->name, VHDX_HEADER_OFF(0),
			     "neither header is valid (signature or CRC-32C)");
		return HV_ERR_CORRUPT;
	}
	const uint8_t *p = h[c];
	vhdx_info *i = &x->info;
	i->header_used = c;
	i->sequence = ld64le(p + H_SEQ);
	memcpy(i->file_write_guid, p + H_FWG, 16);
	memcpy(i->data_write_guid, p + H_DWG, 16);
	memcpy(i->log_guid, p + H_LOGG, 16);
	i->log_version = ld16le(p + H_LOGVER);
	i->version = ld16le(p + H_VER);
	i->log_length = ld32le(p + H_LOGLEN);
	i->log_offset = ld64le(p + H_LOGOFF);
	if (i->version != 1) {
		findings_add(f, HV_SEV_ERROR, x->name, VHDX_HEADER_OFF(c) + H_VER,
			     "header version %u is not supported", i->version);
		return HV_ERR_UNSUPPORTED;
	}
	i->dirty = !is_zero(i->log_guid, 16);
	return HV_OK;
}

/* ---- log replay ---- */

typedef struct {
	uint32_t sec;      /* first sector in the ring */
	uint32_t nsec;
	uint32_t tail;     /* byte offset in the log */
	uint64_t seq;
	uint32_t ndesc;
	uint64_t flushed, last;
} log_ent;

typedef struct {
	const uint8_t *log;
	uint32_t nsec;
	const uint8_t *guid;
	uint8_t *tmp;
	uint64_t budget;
	bool over_budget;
} log_scan;

static void ring_copy(const log_scan *s, uint32_t sec, uint32_t nsec, uint8_t *dst)
{
	for (uint32_t i = 0; i < nsec; i++)
		memcpy(dst + (size_t)i * LOG_SECTOR,
		       s->log + (size_t)((sec + i) % s->nsec) * LOG_SECTOR, LOG_SECTOR);
}

static uint64_t desc_sectors(uint32_t ndesc)
{
	return ((uint64_t)ndesc + 2 + 127) / 128;
}

/* Descriptors and data sectors of the entry copied to s->tmp. */
static bool log_descs_valid(const log_scan *s, const log_ent *e)
{
	uint64_t dsec = desc_sectors(e->ndesc), ndata = 0;
	for (uint32_t k = 0; k < e->ndesc; k++) {
		const uint8_t *d = s->tmp + LOG_HDR + (size_t)k * LOG_DESC;
		uint64_t foff = ld64le(d + 16);
		if (ld64le(d + 24) != e->seq || foff % LOG_SECTOR || foff > LOG_MAX_FILE_OFFSET)
			return false;
		if (memcmp(d, "zero", 4) == 0) {
			uint64_t zl = ld64le(d + 8);
			if (zl % LOG_SECTOR || zl > LOG_MAX_FILE_OFFSET)
				return false;
		} else if (memcmp(d, "desc", 4) == 0) {
			uint64_t ds = dsec + ndata++;
			if (ds >= e->nsec)
				return false;
			const uint8_t *p = s->tmp + ds * LOG_SECTOR;
			uint64_t seq = ((uint64_t)ld32le(p + 4) << 32) | ld32le(p + LOG_SECTOR - 4);
			if (memcmp(p, "data", 4) != 0 || seq != e->seq)
				return false;
		} else {
			return false;
		}
	}
	return true;
}

static bool log_entry_at(log_scan *s, uint32_t sec, log_ent *e)
{
	const uint8_t *h = s->log + (size_t)sec * LOG_SECTOR;
	uint64_t len = (uint64_t)s->nsec * LOG_SECTOR;
	if (memcmp(h, "loge", 4) != 0 || memcmp(h + 32, s->guid, 16) != 0)
		return false;
	uint32_t elen = ld32le(h + 8);
	e->sec = sec;
	e->tail = ld32le(h + 12);
	e->seq = ld64le(h + 16);
	e->ndesc = ld32le(h + 24);
	e->flushed = ld64le(h + 48);
	e->last = ld64le(h + 56);
	if (elen == 0 || elen % LOG_SECTOR || elen > len || e->seq == 0 ||
	    e->tail % LOG_SECTOR || e->tail >= len)
		return false;
	e->nsec = elen / LOG_SECTOR;
	if (desc_sectors(e->ndesc) > e->nsec)
		return false;
	if (s->budget < elen) {
		s->over_budget = true;
		return false;
	}
	s->budget -= elen;
	ring_copy(s, sec, e->nsec, s->tmp);
	if (!log_descs_valid(s, e))
		return false;
	return ld32le(s->tmp + 4) == hv_crc32c_zeroed(s->tmp, elen, 4, 4);
}

/* Applies one entry (already validated) to the overlay. */
static void log_apply(vhdx *x, log_scan *s, const log_ent *e)
{
	ring_copy(s, e->sec, e->nsec, s->tmp);
	uint64_t dsec = desc_sectors(e->ndesc), ndata = 0;
	uint8_t page[LOG_SECTOR];
	for (uint32_t k = 0; k < e->ndesc; k++) {
		const uint8_t *d = s->tmp + LOG_HDR + (size_t)k * LOG_DESC;
		uint64_t foff = ld64le(d + 16);
		if (memcmp(d, "zero", 4) == 0) {
			vd_file_overlay(x->vf, foff, NULL, ld64le(d + 8));
			continue;
		}
		const uint8_t *p = s->tmp + (dsec + ndata++) * LOG_SECTOR;
		memcpy(page, d + 8, LOG_DATA_LEAD);
		memcpy(page + LOG_DATA_LEAD, p + 8, LOG_DATA_BODY);
		memcpy(page + LOG_DATA_LEAD + LOG_DATA_BODY, d + 4, 4);
		vd_file_overlay(x->vf, foff, page, LOG_SECTOR);
	}
}

/* Finds the active sequence; returns its entries in order (count in *n). */
static log_ent *log_active(vhdx *x, log_scan *s, size_t *n, hv_findings *f)
{
	log_ent *ent = xcalloc(s->nsec, sizeof *ent);
	bool *valid = xcalloc(s->nsec, 1), *has_pred = xcalloc(s->nsec, 1);
	for (uint32_t i = 0; i < s->nsec; i++)
		valid[i] = log_entry_at(s, i, &ent[i]);
	for (uint32_t i = 0; i < s->nsec; i++) {
		uint32_t j = (i + (valid[i] ? ent[i].nsec : 0)) % s->nsec;
		if (valid[i] && valid[j] && ent[j].seq == ent[i].seq + 1)
			has_pred[j] = true;
	}
	uint32_t best = UINT32_MAX;
	uint64_t best_last = 0;
	for (uint32_t i = 0; i < s->nsec; i++) {
		if (!valid[i] || has_pred[i])
			continue;
		uint32_t c = i, steps = 0;
		for (;;) {
			uint32_t j = (c + ent[c].nsec) % s->nsec;
			if (++steps >= s->nsec || !valid[j] || ent[j].seq != ent[c].seq + 1)
				break;
			c = j;
		}
		if (best == UINT32_MAX || ent[c].seq > best_last) {
			best = i;
			best_last = ent[c].seq;
		}
	}
	log_ent *seq = NULL;
	*n = 0;
	if (best != UINT32_MAX) {
		seq = xcalloc(s->nsec, sizeof *seq);
		uint32_t c = best;
		for (;;) {
			seq[(*n)++] = ent[c];
			uint32_t j = (c + ent[c].nsec) % s->nsec;
			if (*n >= s->nsec || !valid[j] || ent[j].seq != ent[c].seq + 1)
				break;
			c = j;
		}
		size_t from = *n;
		for (size_t k = 0; k < *n; k++)
			if ((uint64_t)seq[k].sec * LOG_SECTOR == seq[*n - 1].tail)
				from = k;
		if (from == *n) {
			findings_add(f, HV_SEV_WARN, x->name, x->info.log_offset,
				     "log tail does not point into the newest sequence; "
				     "replaying all %zu entries", *n);
			x->info.best_effort = true;
			from = 0;
		}
		memmove(seq, seq + from, (*n - from) * sizeof *seq);
		*n -= from;
	}
	free(ent);
	free(valid);
	free(has_pred);
	return seq;
}

static hv_err log_check_region(vhdx *x, hv_findings *f)
{
	const vhdx_info *i = &x->info;
	uint64_t fsz = vd_file_size(x->vf);
	if (i->log_offset < VHDX_FIRST_REGION || i->log_offset % MIB || i->log_length == 0 ||
	    i->log_length % MIB || i->log_offset > fsz || i->log_length > fsz - i->log_offset) {
		findings_add(f, HV_SEV_WARN, x->name, VHDX_HEADER_OFF(i->header_used) + H_LOGLEN,
			     "log region (offset 0x%llx, length 0x%x) is not valid",
			     (unsigned long long)i->log_offset, i->log_length);
		return HV_ERR_CORRUPT;
	}
	if (i->log_length > LOG_MAX_REPLAY) {
		findings_add(f, HV_SEV_WARN, x->name, i->log_offset,
			     "log of %u bytes is over the %u-byte replay cap", i->log_length,
			     LOG_MAX_REPLAY);
		return HV_ERR_LIMIT;
	}
	if (i->log_version != 0) {
		findings_add(f, HV_SEV_WARN, x->name, VHDX_HEADER_OFF(i->header_used) + H_LOGVER,
			     "log version %u is not supported", i->log_version);
		return HV_ERR_UNSUPPORTED;
	}
	return HV_OK;
}

static void replay_failed(vhdx *x, hv_findings *f, const char *why)
{
	x->info.log_replay_failed = true;
	x->info.best_effort = true;
	findings_add(f, HV_SEV_WARN, x->name, x->info.log_offset,
		     "dirty log not replayed (%s): results are best effort", why);
}

static void replay_log(vhdx *x, int flags, hv_findings *f)
{
	if (flags & VDISK_NO_LOG_REPLAY) {
		replay_failed(x, f, "replay disabled");
		return;
	}
	if (log_check_region(x, f) != HV_OK) {
		replay_failed(x, f, "bad log region");
		return;
	}
	uint8_t *log = xmalloc(x->info.log_length);
	if (vd_file_read(x->vf, x->info.log_offset, log, x->info.log_length, true) != HV_OK) {
		free(log);
		replay_failed(x, f, "log unreadable");
		return;
	}
	log_scan s = { log, x->info.log_length / LOG_SECTOR, x->info.log_guid,
		       xmalloc(x->info.log_length), LOG_SCAN_BUDGET, false };
	size_t n = 0;
	log_ent *seq = log_active(x, &s, &n, f);
	uint64_t fsz = vd_file_size(x->vf);
	if (s.over_budget) {
		replay_failed(x, f, "log scan limit reached");
	} else if (n == 0) {
		findings_add(f, HV_SEV_NOTE, x->name, x->info.log_offset,
			     "LogGuid is set but the log holds no valid sequence; nothing replayed");
	} else {
		bool ok = true;
		for (size_t k = 0; k < n && ok; k++)
			ok = seq[k].flushed <= fsz;
		if (!ok) {
			replay_failed(x, f, "file shorter than the log's FlushedFileOffset");
		} else {
			uint64_t last = 0;
			for (size_t k = 0; k < n; k++) {
				log_apply(x, &s, &seq[k]);
				if (seq[k].last > last && seq[k].last <= LOG_MAX_FILE_OFFSET)
					last = seq[k].last;
			}
			vd_file_extend(x->vf, last);
			x->info.log_replayed = (uint32_t)n;
			x->info.log_first_seq = seq[0].seq;
			x->info.log_last_seq = seq[n - 1].seq;
			findings_add(f, HV_SEV_WARN, x->name, x->info.log_offset,
				     "dirty log: %zu entries (sequence %llu-%llu) replayed in memory",
				     n, (unsigned long long)seq[0].seq,
				     (unsigned long long)seq[n - 1].seq);
		}
	}
	free(seq);
	free(s.tmp);
	free(log);
}

/* ---- region table ---- */

static bool rtab_valid(const uint8_t *t)
{
	return memcmp(t, "regi", 4) == 0 && ld32le(t + 8) <= VHDX_RTAB_MAX &&
	       ld32le(t + 4) == hv_crc32c_zeroed(t, VHDX_RTAB_SIZE, 4, 4);
}

static hv_err region_entry(vhdx *x, const uint8_t *e, uint64_t at, hv_findings *f)
{
	uint64_t off = ld64le(e + 16);
	uint32_t len = ld32le(e + 24), req = ld32le(e + 28) & 1;
	bool bat = guid_is(e, GUID_BAT), meta = guid_is(e, GUID_METADATA);
	if (!bat && !meta) {
		char g[37];
		guid_format(e, g);
		if (req) {
			findings_add(f, HV_SEV_ERROR, x->name, at,
				     "unknown required region %s", g);
			return HV_ERR_UNSUPPORTED;
		}
		findings_add(f, HV_SEV_NOTE, x->name, at, "unknown optional region %s ignored", g);
		return HV_OK;
	}
	uint64_t fsz = vd_file_size(x->vf);
	if (off < VHDX_FIRST_REGION || off % MIB || len == 0 || len % MIB || off > fsz ||
	    len > fsz - off) {
		findings_add(f, HV_SEV_ERROR, x->name, at,
			     "%s region at 0x%llx length 0x%x is out of bounds or misaligned",
			     bat ? "BAT" : "metadata", (unsigned long long)off, len);
		return HV_ERR_CORRUPT;
	}
	uint64_t *o = bat ? &x->info.bat_offset : &x->info.metadata_offset;
	uint32_t *l = bat ? &x->info.bat_length : &x->info.metadata_length;
	if (*o) {
		findings_add(f, HV_SEV_ERROR, x->name, at, "duplicate %s region",
			     bat ? "BAT" : "metadata");
		return HV_ERR_CORRUPT;
	}
	*o = off;
	*l = len;
	return HV_OK;
}

static bool ranges_overlap(uint64_t a, uint64_t alen, uint64_t b, uint64_t blen)
{
	return a < b + blen && b < a + alen;
}

static hv_err read_regions(vhdx *x, hv_findings *f)
{
	uint8_t *t[2] = { xmalloc(VHDX_RTAB_SIZE), xmalloc(VHDX_RTAB_SIZE) };
	bool ok[2] = { false, false };
	hv_err rc = HV_OK;
	for (int i = 0; i < 2 && rc == HV_OK; i++) {
		hv_err r = vd_file_read(x->vf, VHDX_RTAB_OFF(i), t[i], VHDX_RTAB_SIZE, true);
		rc = r == HV_ERR_IO ? r : HV_OK;
		ok[i] = r == HV_OK && rtab_valid(t[i]);
		x->info.region_table_bad[i] = !ok[i];
	}
	int c = ok[0] ? 0 : ok[1] ? 1 : -1;
	if (rc == HV_OK && c < 0) {
		findings_add(f, HV_SEV_ERROR, x->name, VHDX_RTAB_OFF(0),
			     "neither region table is valid (signature, count or CRC-32C)");
		rc = HV_ERR_CORRUPT;
	} else if (rc == HV_OK && !ok[1 - c]) {
		findings_add(f, HV_SEV_WARN, x->name, VHDX_RTAB_OFF(1 - c),
			     "region table %d is invalid; using table %d", 2 - c, c + 1);
	}
	if (rc == HV_OK) {
		x->info.region_table_used = c;
		uint32_t n = ld32le(t[c] + 8);
		for (uint32_t k = 0; k < n && rc == HV_OK; k++)
			rc = region_entry(x, t[c] + 16 + 32 * k, VHDX_RTAB_OFF(c) + 16 + 32 * k, f);
	}
	if (rc == HV_OK && (!x->info.bat_offset || !x->info.metadata_offset)) {
		findings_add(f, HV_SEV_ERROR, x->name, VHDX_RTAB_OFF(c), "%s region missing",
			     x->info.bat_offset ? "metadata" : "BAT");
		rc = HV_ERR_CORRUPT;
	}
	if (rc == HV_OK && ranges_overlap(x->info.bat_offset, x->info.bat_length,
					  x->info.metadata_offset, x->info.metadata_length)) {
		findings_add(f, HV_SEV_ERROR, x->name, VHDX_RTAB_OFF(c),
			     "BAT and metadata regions overlap");
		rc = HV_ERR_CORRUPT;
	}
	free(t[0]);
	free(t[1]);
	return rc;
}

/* ---- metadata ---- */

typedef struct {
	const char *guid;
	uint32_t min_len;
	bool required;
	bool seen;
} meta_item;

enum { MI_FILE_PARAMS, MI_VSIZE, MI_LSS, MI_PSS, MI_PAGE83, MI_LOCATOR, MI_COUNT };

static void locator_add(vhdx *x, char *k, char *v)
{
	for (size_t i = 0; i < x->info.nlocator; i++) {
		if (strcasecmp(x->info.locator[i].key, k) == 0) {
			free(k);
			free(v);
			return;
		}
	}
	size_t cap = x->info.nlocator;
	x->info.locator = xgrow(x->info.locator, &cap, x->info.nlocator + 1,
				sizeof *x->info.locator);
	x->info.locator[x->info.nlocator].key = k;
	x->info.locator[x->info.nlocator++].value = v;
}

static hv_err parse_locator(vhdx *x, span_t s, uint64_t at, hv_findings *f)
{
	uint16_t n;
	if (!span_u16le(s, 18, &n) || s.len < VHDX_LOCATOR_HDR) {
		findings_add(f, HV_SEV_ERROR, x->name, at, "parent locator too short");
		return HV_ERR_CORRUPT;
	}
	memcpy(x->info.locator_type, s.data, 16);
	if (!guid_is(s.data, GUID_VHDX_LOCATOR_TYPE))
		findings_add(f, HV_SEV_WARN, x->name, at, "parent locator type is not VHDX");
	if (n > VHDX_LOCATOR_MAX_KV ||
	    !span_has(s, VHDX_LOCATOR_HDR, (uint64_t)n * VHDX_LOCATOR_ENTRY)) {
		findings_add(f, HV_SEV_ERROR, x->name, at + 18,
			     "parent locator count %u does not fit", n);
		return HV_ERR_CORRUPT;
	}
	for (uint16_t i = 0; i < n; i++) {
		uint64_t eo = VHDX_LOCATOR_HDR + (uint64_t)i * VHDX_LOCATOR_ENTRY;
		const uint8_t *e = s.data + eo;
		uint32_t ko = ld32le(e), vo = ld32le(e + 4);
		uint16_t kl = ld16le(e + 8), vl = ld16le(e + 10);
		if (kl == 0 || !span_has(s, ko, kl) || !span_has(s, vo, vl)) {
			findings_add(f, HV_SEV_ERROR, x->name, at + eo,
				     "parent locator entry %u points outside the item", i);
			return HV_ERR_CORRUPT;
		}
		locator_add(x, utf16le_to_utf8(s.data + ko, kl), utf16le_to_utf8(s.data + vo, vl));
	}
	return HV_OK;
}

static hv_err meta_value(vhdx *x, int which, span_t v, uint64_t at, hv_findings *f)
{
	vhdx_info *i = &x->info;
	switch (which) {
	case MI_FILE_PARAMS: {
		uint32_t fl = ld32le(v.data + 4);
		i->block_size = ld32le(v.data);
		i->leave_blocks_allocated = fl & 1;
		i->has_parent = (fl >> 1) & 1;
		return HV_OK;
	}
	case MI_VSIZE:
		i->virtual_size = ld64le(v.data);
		return HV_OK;
	case MI_LSS:
		i->logical_sector_size = ld32le(v.data);
		return HV_OK;
	case MI_PSS:
		i->physical_sector_size = ld32le(v.data);
		return HV_OK;
	case MI_PAGE83:
		memcpy(i->virtual_disk_id, v.data, 16);
		i->have_virtual_disk_id = true;
		return HV_OK;
	default:
		return parse_locator(x, v, at, f);
	}
}

static hv_err meta_entry(vhdx *x, meta_item *items, const uint8_t *e, uint64_t at,
			 hv_findings *f)
{
	uint32_t off = ld32le(e + 16), len = ld32le(e + 20), fl = ld32le(e + 24);
	int which = -1;
	for (int k = 0; k < MI_COUNT; k++)
		if (guid_is(e, items[k].guid))
			which = k;
	if (which < 0) {
		char g[37];
		guid_format(e, g);
		if (fl & 4) {
			findings_add(f, HV_SEV_ERROR, x->name, at, "unknown required metadata %s", g);
			return HV_ERR_UNSUPPORTED;
		}
		return HV_OK;
	}
	if (items[which].seen) {
		findings_add(f, HV_SEV_ERROR, x->name, at, "duplicate metadata item %s",
			     items[which].guid);
		return HV_ERR_CORRUPT;
	}
	items[which].seen = true;
	uint32_t cap = which == MI_LOCATOR ? VHDX_LOCATOR_MAX : 64;
	if (off < VHDX_META_TABLE_SIZE || len < items[which].min_len || len > cap ||
	    off > x->info.metadata_length || len > x->info.metadata_length - off) {
		findings_add(f, HV_SEV_ERROR, x->name, at,
			     "metadata item %s: offset 0x%x length %u out of bounds",
			     items[which].guid, off, len);
		return HV_ERR_CORRUPT;
	}
	uint8_t *buf = xmalloc(len);
	uint64_t fo = x->info.metadata_offset + off;
	hv_err rc = vd_file_read(x->vf, fo, buf, len, true);
	if (rc == HV_OK)
		rc = meta_value(x, which, span_make(buf, len), fo, f);
	free(buf);
	return rc;
}

static hv_err read_metadata(vhdx *x, hv_findings *f)
{
	meta_item items[MI_COUNT] = {
		[MI_FILE_PARAMS] = { GUID_FILE_PARAMS, 8, true, false },
		[MI_VSIZE] = { GUID_VIRTUAL_SIZE, 8, true, false },
		[MI_LSS] = { GUID_LOGICAL_SECTOR, 4, true, false },
		[MI_PSS] = { GUID_PHYSICAL_SECTOR, 4, true, false },
		[MI_PAGE83] = { GUID_PAGE83, 16, false, false },
		[MI_LOCATOR] = { GUID_PARENT_LOCATOR, VHDX_LOCATOR_HDR, false, false },
	};
	uint64_t mo = x->info.metadata_offset;
	if (x->info.metadata_length < VHDX_META_TABLE_SIZE) {
		findings_add(f, HV_SEV_ERROR, x->name, mo, "metadata region too small");
		return HV_ERR_CORRUPT;
	}
	uint8_t *t = xmalloc(VHDX_META_TABLE_SIZE);
	hv_err rc = vd_file_read(x->vf, mo, t, VHDX_META_TABLE_SIZE, true);
	uint16_t n = ld16le(t + 10);
	if (rc == HV_OK && (memcmp(t, "metadata", 8) != 0 || n > VHDX_META_MAX)) {
		findings_add(f, HV_SEV_ERROR, x->name, mo, "bad metadata table header");
		rc = HV_ERR_CORRUPT;
	}
	for (uint16_t k = 0; k < n && rc == HV_OK; k++)
		rc = meta_entry(x, items, t + 32 + 32 * k, mo + 32 + 32 * k, f);
	free(t);
	for (int k = 0; k < MI_COUNT && rc == HV_OK; k++) {
		if (items[k].required && !items[k].seen) {
			findings_add(f, HV_SEV_ERROR, x->name, mo, "metadata item %s missing",
				     items[k].guid);
			rc = HV_ERR_CORRUPT;
		}
	}
	if (rc == HV_OK && !items[MI_PAGE83].seen)
		findings_add(f, HV_SEV_WARN, x->name, mo, "virtual disk id (page 83) missing");
	if (rc == HV_OK && x->info.has_parent && !items[MI_LOCATOR].seen) {
		findings_add(f, HV_SEV_ERROR, x->name, mo,
			     "differencing disk without a parent locator");
		rc = HV_ERR_CORRUPT;
	}
	return rc;
}

static hv_err check_geometry(vhdx *x, hv_findings *f)
{
	vhdx_info *i = &x->info;
	uint64_t mo = i->metadata_offset;
	if (!pow2(i->block_size) || i->block_size < VHDX_MIN_BLOCK ||
	    i->block_size > VHDX_MAX_BLOCK) {
		findings_add(f, HV_SEV_ERROR, x->name, mo, "block size %u is not a power of two "
			     "between 1 and 256 MiB", i->block_size);
		return HV_ERR_CORRUPT;
	}
	if ((i->logical_sector_size != 512 && i->logical_sector_size != 4096) ||
	    (i->physical_sector_size != 512 && i->physical_sector_size != 4096)) {
		findings_add(f, HV_SEV_ERROR, x->name, mo, "sector sizes %u/%u not 512 or 4096",
			     i->logical_sector_size, i->physical_sector_size);
		return HV_ERR_CORRUPT;
	}
	if (i->virtual_size == 0 || i->virtual_size > VHDX_MAX_VSIZE ||
	    i->virtual_size % i->logical_sector_size) {
		findings_add(f, HV_SEV_ERROR, x->name, mo, "virtual size %llu is not valid",
			     (unsigned long long)i->virtual_size);
		return HV_ERR_CORRUPT;
	}
	i->chunk_ratio = (uint32_t)(((uint64_t)1 << 23) * i->logical_sector_size /
				    i->block_size);
	x->sectors_per_block = i->block_size / i->logical_sector_size;
	uint64_t pb = (i->virtual_size + i->block_size - 1) / i->block_size;
	uint64_t sb = (pb + i->chunk_ratio - 1) / i->chunk_ratio;
	i->bat_entries = i->has_parent ? sb * (i->chunk_ratio + 1)
				       : pb + (pb - 1) / i->chunk_ratio;
	if (i->bat_entries > i->bat_length / 8) {
		findings_add(f, HV_SEV_ERROR, x->name, i->bat_offset,
			     "BAT region of %u bytes is too small for %llu entries",
			     i->bat_length, (unsigned long long)i->bat_entries);
		return HV_ERR_CORRUPT;
	}
	return HV_OK;
}

/* ---- BAT ---- */

static void bat_finding(vhdx *x, hv_findings *f, uint64_t idx, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static void bat_finding(vhdx *x, hv_findings *f, uint64_t idx, const char *fmt, ...)
{
	if (x->bat_findings < BAT_MAX_FINDINGS) {
		char msg[160];
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(msg, sizeof msg, fmt, ap);
		va_end(ap);
		findings_add(f, HV_SEV_WARN, x->name, x->info.bat_offset + idx * 8,
			     "BAT entry %llu: %s", (unsigned long long)idx, msg);
	} else if (x->bat_findings == BAT_MAX_FINDINGS) {
		findings_add(f, HV_SEV_WARN, x->name, x->info.bat_offset,
			     "further BAT problems not reported");
	}
	x->bat_findings++;
	x->info.best_effort = true;
}

static bool is_bitmap_index(const vhdx *x, uint64_t idx)
{
	return idx % ((uint64_t)x->info.chunk_ratio + 1) == x->info.chunk_ratio;
}

static void bat_check(vhdx *x, uint64_t idx, uint64_t e, hv_findings *f)
{
	unsigned st = e & BAT_STATE_MASK;
	uint64_t off = (e >> 20) << 20, fsz = vd_file_size(x->vf);
	bool sb = is_bitmap_index(x, idx);
	uint64_t need = sb ? SB_BLOCK_SIZE : x->info.block_size;
	bool present = sb ? st == SB_PRESENT
			  : st == PB_FULLY_PRESENT || st == PB_PARTIALLY_PRESENT;
	if (sb && st != SB_PRESENT && st != SB_NOT_PRESENT)
		bat_finding(x, f, idx, "sector bitmap state %u is not valid", st);
	else if (!sb && st == 4)
		bat_finding(x, f, idx, "payload state %u is reserved", st);
	else if (!sb && st == PB_PARTIALLY_PRESENT && !x->info.has_parent)
		bat_finding(x, f, idx, "state %u (partially present) in a disk without parent",
			    st);
	if (!present)
		return;
	if (off < VHDX_FIRST_REGION)
		bat_finding(x, f, idx, "block offset 0x%llx lies in the header area",
			    (unsigned long long)off);
	else if (off > fsz || need > fsz - off)
		bat_finding(x, f, idx, "block at 0x%llx extends past the end of the file",
			    (unsigned long long)off);
}

static hv_err bat_get(vhdx *x, uint64_t idx, uint64_t *e, hv_findings *f)
{
	*e = 0;
	if (idx >= x->info.bat_entries)
		return HV_ERR_CORRUPT;
	uint64_t page = idx / BAT_PAGE_ENTRIES;
	bat_page *p = &x->cache[page % BAT_CACHE_PAGES];
	if (!p->used || p->page != page) {
		uint64_t first = page * BAT_PAGE_ENTRIES;
		uint64_t n = x->info.bat_entries - first;
		if (n > BAT_PAGE_ENTRIES)
			n = BAT_PAGE_ENTRIES;
		uint8_t raw[BAT_PAGE_ENTRIES * 8];
		p->used = false;
		hv_err rc = vd_file_read(x->vf, x->info.bat_offset + first * 8, raw,
					 (size_t)n * 8, true);
		if (rc != HV_OK)
			return rc;
		for (uint64_t k = 0; k < n; k++) {
			p->e[k] = ld64le(raw + k * 8);
			bat_check(x, first + k, p->e[k], f);
		}
		p->page = page;
		p->used = true;
	}
	*e = p->e[idx % BAT_PAGE_ENTRIES];
	return HV_OK;
}

/* Run of equal sector-bitmap bits for a partially present block. */
static hv_err bitmap_run(vhdx *x, uint64_t blk, uint64_t inb, uint64_t run, uint64_t boff,
			 vd_extent *e, hv_findings *f)
{
	uint32_t cr = x->info.chunk_ratio, lss = x->info.logical_sector_size;
	uint64_t chunk = blk / cr, sbe;
	hv_err rc = bat_get(x, (chunk + 1) * cr + chunk, &sbe, f);
	uint64_t sboff = (sbe >> 20) << 20;
	if (rc != HV_OK || (sbe & BAT_STATE_MASK) != SB_PRESENT || sboff < VHDX_FIRST_REGION) {
		e->kind = VD_EXT_BAD;
		e->len = run;
		return rc == HV_ERR_IO ? rc : HV_OK;
	}
	uint64_t s0 = (blk % cr) * x->sectors_per_block + inb / lss;
	uint64_t nsec = (inb + run - 1) / lss - inb / lss + 1;
	uint64_t maxsec = (uint64_t)SB_MAX_READ * 8 - s0 % 8;
	if (nsec > maxsec)
		nsec = maxsec;
	uint64_t b0 = s0 / 8, nb = (s0 + nsec - 1) / 8 - b0 + 1;
	uint8_t bm[SB_MAX_READ + 1];
	rc = vd_file_read(x->vf, sboff + b0, bm, (size_t)nb, true);
	if (rc != HV_OK) {
		e->kind = VD_EXT_BAD;
		e->len = run;
		return rc == HV_ERR_IO ? rc : HV_OK;
	}
	uint64_t k = 0;
	bool first = (bm[0] >> (s0 % 8)) & 1;
	while (k < nsec) {
		uint64_t s = s0 + k;
		if (((bm[s / 8 - b0] >> (s % 8)) & 1) != first)
			break;
		k++;
	}
	uint64_t len = (inb / lss + k) * lss - inb;
	e->len = len < run ? len : run;
	e->kind = first ? VD_EXT_FILE : VD_EXT_PARENT;
	e->file_off = boff + inb;
	return HV_OK;
}

hv_err vhdx_map(vhdx *x, uint64_t voff, uint64_t len, vd_extent *e, hv_findings *f)
{
	uint64_t bs = x->info.block_size, blk = voff / bs, inb = voff % bs;
	uint64_t run = bs - inb, ent;
	if (run > len)
		run = len;
	if (voff >= x->info.virtual_size) {
		e->kind = VD_EXT_ZERO;
		e->len = run;
		return HV_OK;
	}
	e->len = run;
	e->file_off = 0;
	hv_err rc = bat_get(x, blk + blk / x->info.chunk_ratio, &ent, f);
	if (rc != HV_OK) {
		e->kind = VD_EXT_BAD;
		return rc == HV_ERR_IO ? rc : HV_OK;
	}
	uint64_t boff = (ent >> 20) << 20;
	switch (ent & BAT_STATE_MASK) {
	case PB_NOT_PRESENT:
		e->kind = x->info.has_parent ? VD_EXT_PARENT : VD_EXT_ZERO;
		return HV_OK;
	case PB_UNDEFINED:
	case PB_ZERO:
	case PB_UNMAPPED:
	case PB_UNMAPPED_V095:
		e->kind = VD_EXT_ZERO;
		return HV_OK;
	case PB_FULLY_PRESENT:
		e->kind = boff < VHDX_FIRST_REGION ? VD_EXT_BAD : VD_EXT_FILE;
		e->file_off = boff + inb;
		return HV_OK;
	case PB_PARTIALLY_PRESENT:
		if (x->info.has_parent && boff >= VHDX_FIRST_REGION)
			return bitmap_run(x, blk, inb, run, boff, e, f);
		e->kind = VD_EXT_BAD;
		return HV_OK;
	default:
		e->kind = VD_EXT_BAD;
		return HV_OK;
	}
}

/* ---- open / close ---- */

hv_err vhdx_open(vd_file *vf, int flags, vhdx **out, hv_findings *f)
{
	vhdx *x = xcalloc(1, sizeof *x);
	x->vf = vf;
	x->name = vd_file_name(vf);
	*out = NULL;
	hv_err rc = read_ident(x, f);
	if (rc == HV_OK)
		rc = read_headers(x, f);
	if (rc == HV_OK && x->info.dirty)
		replay_log(x, flags, f);
	if (rc == HV_OK)
		rc = read_regions(x, f);
	if (rc == HV_OK)
		rc = read_metadata(x, f);
	if (rc == HV_OK)
		rc = check_geometry(x, f);
	if (rc != HV_OK) {
		vhdx_close(x);
		return rc;
	}
	if (x->info.header_bad[0] || x->info.header_bad[1] || x->info.region_table_bad[0] ||
	    x->info.region_table_bad[1])
		x->info.best_effort = true;
	*out = x;
	return HV_OK;
}

const vhdx_info *vhdx_get_info(const vhdx *x)
{
	return &x->info;
}

const char *vhdx_locator_get(const vhdx *x, const char *key)
{
	for (size_t i = 0; i < x->info.nlocator; i++)
		if (strcasecmp(x->info.locator[i].key, key) == 0)
			return x->info.locator[i].value;
	return NULL;
}

void vhdx_close(vhdx *x)
{
	if (!x)
		return;
	for (size_t i = 0; i < x->info.nlocator; i++) {
		free(x->info.locator[i].key);
		free(x->info.locator[i].value);
	}
	free(x->info.locator);
	free(x->info.creator);
	free(x);
}
