/*
 * partition.c - GPT and MBR reader for virtual disks.
 *
 * Sources: UEFI specification (GPT), libyal libvsgpt/libvsmbr notes; see
 * docs/disk.md s.6.  All LBAs are in LOGICAL-sector units (512, or
 * 4096 on 4Kn disks): the GPT header is at LBA 1, i.e. byte 512 or 4096.
 *
 * MBR (sector 0): 55 AA at 510; four 16-byte entries at 446: +0 flags (0x80
 *   boot), +4 type, +8 StartLBA u32, +12 NumSectors u32.  0xEE protective:
 *   the disk is GPT.  0x05/0x0F/0x85 extended: a chain of EBRs, each with the
 *   logical partition (start relative to this EBR) and the link to the next
 *   EBR (relative to the extended partition); capped at PART_MAX_LOGICAL and
 *   required to move forward.
 * GPT header (92 bytes at LBA 1; backup at the last LBA): +0 "EFI PART", +8
 *   revision 0x00010000, +12 HeaderSize (92..sector), +16 CRC32 (zlib, field
 *   zeroed), +24 MyLBA, +32 AlternateLBA, +40 FirstUsable, +48 LastUsable,
 *   +56 DiskGUID, +72 PartitionEntryLBA, +80 NumEntries, +84 EntrySize (>= 128,
 *   multiple of 8), +88 CRC32 of the entry array.  A bad primary (header or
 *   array) falls back to the backup.
 * GPT entry: +0 TypeGUID, +16 UniqueGUID, +32 FirstLBA, +40 LastLBA
 *   (inclusive), +48 attributes, +56 name UTF-16LE (72 bytes).
 * A disk whose sector 0 is itself a volume boot sector (no table) is listed
 * as one whole-disk entry with index 0.
 */
#include "formats/partition.h"

#include <stdlib.h>
#include <string.h>

#include "util/bytes.h"
#include "util/crc.h"
#include "util/text.h"
#include "util/xalloc.h"

#define MBR_SIZE 512
#define MBR_SIG_OFF 510
#define MBR_ENTRIES_OFF 446
#define MBR_ENTRY_SIZE 16
#define MBR_TYPE_PROTECTIVE 0xEE
#define MBR_TYPE_NTFS 0x07

#define GPT_SIG "EFI PART"
#define GPT_REVISION 0x00010000u
#define GPT_MIN_HDR 92
#define GPT_HDR_CRC 16
#define GPT_MY_LBA 24
#define GPT_ALT_LBA 32
#define GPT_FIRST_USABLE 40
#define GPT_LAST_USABLE 48
#define GPT_DISK_GUID 56
#define GPT_ENTRY_LBA 72
#define GPT_NUM_ENTRIES 80
#define GPT_ENTRY_SIZE 84
#define GPT_ARRAY_CRC 88
#define GPT_MIN_ENTRY 128
#define GPT_E_TYPE 0
#define GPT_E_UNIQUE 16
#define GPT_E_FIRST 32
#define GPT_E_LAST 40
#define GPT_E_ATTR 48
#define GPT_E_NAME 56
#define GPT_E_NAME_LEN 72

static const char GUID_BASIC_DATA[] = "EBD0A0A2-B9E5-4433-87C0-68B6B72699C7";

static const struct {
	const char *guid;
	const char *name;
} gpt_types[] = {
	{ GUID_BASIC_DATA, "basic data" },
	{ "C12A7328-F81F-11D2-BA4B-00A0C93EC93B", "EFI system" },
	{ "E3C9E316-0B5C-4DB8-817D-F92DF00215AE", "Microsoft reserved" },
	{ "DE94BBA4-06D1-4D40-A16A-BFD50179D6AC", "Windows recovery" },
	{ "5808C8AA-7E8F-42E0-85D2-E1E90434CFB3", "LDM metadata (unsupported)" },
	{ "AF9B60A0-1431-4F62-BC68-3311714A69AD", "LDM data (unsupported)" },
	{ "E75CAF8F-F680-4CEE-AFA3-B001E56EFC2D", "Storage Spaces (unsupported)" },
	{ "21686148-6449-6E6F-744E-656564454649", "BIOS boot" },
	{ "0FC63DAF-8483-4772-8E79-3D69D8477DE4", "Linux file system" },
	{ "0657FD6D-A4AB-43C4-84E5-0933C84B4F4F", "Linux swap" },
	{ "E6D6D379-F507-44C2-A23C-238F2A3DF928", "Linux LVM" },
};

typedef struct {
	vdisk *vd;
	uint32_t ss;
	uint64_t nsec;       /* disk size in logical sectors */
	hv_findings *f;
	const char *name;
} pctx;

typedef struct {
	uint64_t my, alt, first_usable, last_usable, entry_lba;
	uint32_t nent, esize, array_crc;
	uint8_t disk_guid[16];
	bool header_ok;      /* signature and CRC good (alt usable) */
} gpt_hdr;

static bool guid_is(const uint8_t *g, const char *s)
{
	uint8_t want[16];
	return guid_parse(s, want) && memcmp(g, want, 16) == 0;
}

const char *part_gpt_type_name(const uint8_t guid[16])
{
	static const uint8_t zero[16];
	if (memcmp(guid, zero, 16) == 0)
		return "unused";
	for (size_t i = 0; i < sizeof gpt_types / sizeof gpt_types[0]; i++)
		if (guid_is(guid, gpt_types[i].guid))
			return gpt_types[i].name;
	return "unknown";
}

const char *part_mbr_type_name(uint8_t t)
{
	switch (t) {
	case 0x00: return "unused";
	case 0x01: return "FAT12";
	case 0x04:
	case 0x06:
	case 0x0E: return "FAT16";
	case 0x05:
	case 0x0F:
	case 0x85: return "extended";
	case 0x07: return "NTFS/exFAT/BitLocker";
	case 0x0B:
	case 0x0C: return "FAT32";
	case 0x27: return "hidden NTFS (Windows recovery)";
	case 0x42: return "LDM dynamic disk (unsupported)";
	case 0x82: return "Linux swap";
	case 0x83: return "Linux";
	case 0x8E: return "Linux LVM";
	case 0xEE: return "GPT protective";
	case 0xEF: return "EFI system";
	}
	return "unknown";
}

const char *part_scheme_name(part_scheme s)
{
	switch (s) {
	case PART_SCHEME_NONE: return "none";
	case PART_SCHEME_MBR: return "mbr";
	case PART_SCHEME_GPT: return "gpt";
	}
	return "none";
}

const char *part_class_name(part_class c)
{
	switch (c) {
	case PART_CLASS_NOT_EXAMINED: return "not_examined";
	case PART_CLASS_BITLOCKER: return "bitlocker";
	case PART_CLASS_BITLOCKER_EOW: return "bitlocker_used_space_only";
	case PART_CLASS_BITLOCKER_TOGO: return "bitlocker_to_go";
	case PART_CLASS_BITLOCKER_VISTA: return "bitlocker_vista";
	case PART_CLASS_BITLOCKER_UNKNOWN_ID: return "bitlocker_unknown_identifier";
	case PART_CLASS_NTFS: return "ntfs";
	case PART_CLASS_OTHER: return "other";
	case PART_CLASS_EMPTY: return "empty";
	case PART_CLASS_UNREADABLE: return "unreadable";
	}
	return "other";
}

bool part_class_is_bitlocker(part_class c)
{
	return c >= PART_CLASS_BITLOCKER && c <= PART_CLASS_BITLOCKER_UNKNOWN_ID;
}

static part_class class_of(bde_boot_kind k)
{
	switch (k) {
	case BDE_BOOT_BITLOCKER: return PART_CLASS_BITLOCKER;
	case BDE_BOOT_BITLOCKER_EOW: return PART_CLASS_BITLOCKER_EOW;
	case BDE_BOOT_BITLOCKER_TOGO: return PART_CLASS_BITLOCKER_TOGO;
	case BDE_BOOT_BITLOCKER_VISTA: return PART_CLASS_BITLOCKER_VISTA;
	case BDE_BOOT_BITLOCKER_UNKNOWN_ID: return PART_CLASS_BITLOCKER_UNKNOWN_ID;
	case BDE_BOOT_NTFS: return PART_CLASS_NTFS;
	case BDE_BOOT_EMPTY: return PART_CLASS_EMPTY;
	default: return PART_CLASS_OTHER;
	}
}

void part_table_free(part_table *t)
{
	if (!t)
		return;
	for (size_t i = 0; i < t->n; i++)
		free(t->v[i].name);
	free(t->v);
	memset(t, 0, sizeof *t);
}

static part_entry *add_entry(part_table *t)
{
	t->v = xrealloc(t->v, (t->n + 1) * sizeof *t->v);
	part_entry *e = &t->v[t->n++];
	memset(e, 0, sizeof *e);
	return e;
}

/* Sets offset/size from the LBAs and classifies when examine is set. */
static void place_and_classify(pctx *c, part_entry *e, bool examine)
{
	if (e->first_lba > e->last_lba || e->last_lba >= c->nsec) {
		findings_add(c->f, HV_SEV_WARN, c->name, HV_NO_OFFSET,
			     "partition %u (LBA %llu-%llu) lies outside the disk (%llu sectors)",
			     e->index, (unsigned long long)e->first_lba,
			     (unsigned long long)e->last_lba, (unsigned long long)c->nsec);
		e->cls = PART_CLASS_UNREADABLE;
		return;
	}
	e->offset = e->first_lba * c->ss;
	e->size = (e->last_lba - e->first_lba + 1) * c->ss;
	if (!examine)
		return;
	uint8_t bs[BDE_BOOT_SECTOR];
	if (e->size < sizeof bs || vdisk_read_meta(c->vd, e->offset, bs, sizeof bs) != HV_OK) {
		e->cls = PART_CLASS_UNREADABLE;
		return;
	}
	e->boot_kind = bde_classify_boot_sector(span_make(bs, sizeof bs));
	e->cls = class_of(e->boot_kind);
}

/* ---- GPT ---- */

static bool gpt_header_at(pctx *c, uint64_t lba, gpt_hdr *g, const char **why)
{
	memset(g, 0, sizeof *g);
	uint8_t *h = xmalloc(c->ss);
	bool ok = false;
	*why = "unreadable";
	if (lba >= c->nsec || vdisk_read_meta(c->vd, lba * c->ss, h, c->ss) != HV_OK)
		goto out;
	uint32_t hsz = ld32le(h + 12);
	*why = "no signature";
	if (memcmp(h, GPT_SIG, 8) != 0)
		goto out;
	*why = "bad header size or CRC32";
	if (hsz < GPT_MIN_HDR || hsz > c->ss ||
	    ld32le(h + GPT_HDR_CRC) != hv_crc32_zeroed(h, hsz, GPT_HDR_CRC, 4))
		goto out;
	g->header_ok = true;
	g->my = ld64le(h + GPT_MY_LBA);
	g->alt = ld64le(h + GPT_ALT_LBA);
	g->first_usable = ld64le(h + GPT_FIRST_USABLE);
	g->last_usable = ld64le(h + GPT_LAST_USABLE);
	memcpy(g->disk_guid, h + GPT_DISK_GUID, 16);
	g->entry_lba = ld64le(h + GPT_ENTRY_LBA);
	g->nent = ld32le(h + GPT_NUM_ENTRIES);
	g->esize = ld32le(h + GPT_ENTRY_SIZE);
	g->array_crc = ld32le(h + GPT_ARRAY_CRC);
	*why = "revision not 1.0";
	if ((ld32le(h + 8) >> 16) != 1)
		goto out;
	*why = "MyLBA does not point to itself";
	if (g->my != lba)
		goto out;
	*why = "entry count or size not sane";
	if (g->nent > PART_MAX_GPT_ENTRIES || g->esize < GPT_MIN_ENTRY || g->esize % 8 ||
	    (uint64_t)g->nent * g->esize > PART_MAX_GPT_ARRAY)
		goto out;
	uint64_t asec = ((uint64_t)g->nent * g->esize + c->ss - 1) / c->ss;
	*why = "entry array outside the disk";
	if (g->entry_lba >= c->nsec || asec > c->nsec - g->entry_lba)
		goto out;
	ok = true;
out:
	free(h);
	return ok;
}

static uint8_t *gpt_array(pctx *c, const gpt_hdr *g)
{
	size_t n = (size_t)g->nent * g->esize;
	uint8_t *a = xmalloc(n ? n : 1);
	if (vdisk_read_meta(c->vd, g->entry_lba * c->ss, a, n) != HV_OK ||
	    hv_crc32(a, n) != g->array_crc) {
		free(a);
		return NULL;
	}
	return a;
}

static void gpt_fill(pctx *c, part_table *t, const gpt_hdr *g, const uint8_t *a)
{
	static const uint8_t zero[16];
	t->scheme = PART_SCHEME_GPT;
	memcpy(t->disk_guid, g->disk_guid, 16);
	guid_format(t->disk_guid, t->disk_guid_str);
	for (uint32_t i = 0; i < g->nent; i++) {
		const uint8_t *p = a + (size_t)i * g->esize;
		if (memcmp(p + GPT_E_TYPE, zero, 16) == 0)
			continue;
		part_entry *e = add_entry(t);
		e->index = i + 1;
		e->scheme = PART_SCHEME_GPT;
		memcpy(e->type_guid, p + GPT_E_TYPE, 16);
		memcpy(e->unique_guid, p + GPT_E_UNIQUE, 16);
		guid_format(e->type_guid, e->type_guid_str);
		e->type_name = part_gpt_type_name(e->type_guid);
		e->first_lba = ld64le(p + GPT_E_FIRST);
		e->last_lba = ld64le(p + GPT_E_LAST);
		e->attributes = ld64le(p + GPT_E_ATTR);
		e->name = utf16le_to_utf8(p + GPT_E_NAME, GPT_E_NAME_LEN);
		place_and_classify(c, e, guid_is(e->type_guid, GUID_BASIC_DATA));
	}
}

/* Returns true when a GPT (primary or backup) was read into t. */
static bool gpt_read(pctx *c, part_table *t)
{
	gpt_hdr p, b;
	const char *why;
	uint8_t *a = NULL;
	bool pok = gpt_header_at(c, 1, &p, &why);
	if (pok && !(a = gpt_array(c, &p))) {
		pok = false;
		why = "entry array CRC32 mismatch";
	}
	if (pok) {
		gpt_fill(c, t, &p, a);
		free(a);
		return true;
	}
	t->gpt_primary_bad = true;
	const char *pwhy = why;
	uint64_t blba = p.header_ok && p.alt && p.alt < c->nsec ? p.alt : c->nsec - 1;
	bool bok = gpt_header_at(c, blba, &b, &why);
	if (bok && !(a = gpt_array(c, &b))) {
		bok = false;
		why = "entry array CRC32 mismatch";
	}
	if (!bok) {
		t->gpt_backup_bad = true;
		if (t->protective_mbr)
			findings_add(c->f, HV_SEV_ERROR, c->name, c->ss,
				     "GPT unreadable: primary %s, backup at LBA %llu %s", pwhy,
				     (unsigned long long)blba, why);
		return false;
	}
	findings_add(c->f, HV_SEV_WARN, c->name, c->ss,
		     "primary GPT is damaged (%s); using the backup at LBA %llu", pwhy,
		     (unsigned long long)blba);
	t->gpt_backup_used = true;
	gpt_fill(c, t, &b, a);
	free(a);
	return true;
}

/* ---- MBR ---- */

static bool is_extended(uint8_t t)
{
	return t == 0x05 || t == 0x0F || t == 0x85;
}

static void mbr_entry(pctx *c, part_table *t, unsigned index, const uint8_t *p, uint64_t base)
{
	uint8_t type = p[4];
	uint32_t start = ld32le(p + 8), count = ld32le(p + 12);
	if (count == 0)
		return;
	part_entry *e = add_entry(t);
	e->index = index;
	e->scheme = PART_SCHEME_MBR;
	e->mbr_type = type;
	e->type_name = part_mbr_type_name(type);
	e->attributes = p[0];
	e->first_lba = base + start;
	e->last_lba = e->first_lba + count - 1;
	place_and_classify(c, e, type == MBR_TYPE_NTFS);
}

static void ebr_chain(pctx *c, part_table *t, uint64_t ext)
{
	uint8_t s[MBR_SIZE];
	uint64_t ebr = ext;
	for (unsigned k = 0; k < PART_MAX_LOGICAL; k++) {
		if (ebr >= c->nsec || vdisk_read_meta(c->vd, ebr * c->ss, s, sizeof s) != HV_OK ||
		    s[MBR_SIG_OFF] != 0x55 || s[MBR_SIG_OFF + 1] != 0xAA) {
			findings_add(c->f, HV_SEV_WARN, c->name, ebr * c->ss,
				     "extended boot record unreadable or without 55 AA");
			return;
		}
		const uint8_t *l = s + MBR_ENTRIES_OFF, *n = l + MBR_ENTRY_SIZE;
		if (l[4])
			mbr_entry(c, t, 5 + k, l, ebr);
		uint64_t next = ext + ld32le(n + 8);
		if (!is_extended(n[4]) || ld32le(n + 8) == 0)
			return;
		if (next <= ebr) {
			findings_add(c->f, HV_SEV_WARN, c->name, ebr * c->ss,
				     "EBR chain does not move forward; stopped");
			return;
		}
		ebr = next;
	}
	findings_add(c->f, HV_SEV_WARN, c->name, ext * c->ss,
		     "more than %d logical partitions; the rest ignored", PART_MAX_LOGICAL);
}

static void mbr_fill(pctx *c, part_table *t, const uint8_t *s)
{
	t->scheme = PART_SCHEME_MBR;
	for (unsigned i = 0; i < 4; i++) {
		const uint8_t *p = s + MBR_ENTRIES_OFF + MBR_ENTRY_SIZE * i;
		if (!p[4])
			continue;
		if (is_extended(p[4]) && ld32le(p + 8))
			ebr_chain(c, t, ld32le(p + 8));
		else
			mbr_entry(c, t, i + 1, p, 0);
	}
}

/* ---- top level ---- */

static void whole_disk(pctx *c, part_table *t, bde_boot_kind k)
{
	t->scheme = PART_SCHEME_NONE;
	part_entry *e = add_entry(t);
	e->index = 0;
	e->scheme = PART_SCHEME_NONE;
	e->type_name = "whole disk";
	e->first_lba = 0;
	e->last_lba = c->nsec - 1;
	e->offset = 0;
	e->size = c->nsec * c->ss;
	e->boot_kind = k;
	e->cls = class_of(k);
}

static hv_err read_with(vdisk *vd, uint32_t ss, part_table *t, hv_findings *f)
{
	memset(t, 0, sizeof *t);
	pctx c = { vd, ss, vdisk_size(vd) / ss, f, vdisk_name(vd) };
	t->sector_size = ss;
	uint8_t s[MBR_SIZE];
	if (c.nsec < 2)
		return HV_OK;
	hv_err rc = vdisk_read_meta(vd, 0, s, sizeof s);
	if (rc != HV_OK) {
		findings_add(f, HV_SEV_ERROR, c.name, 0, "sector 0 unreadable");
		return rc;
	}
	bde_boot_kind k = bde_classify_boot_sector(span_make(s, sizeof s));
	if (k != BDE_BOOT_EMPTY && k != BDE_BOOT_OTHER) {
		whole_disk(&c, t, k);
		return HV_OK;
	}
	bool sig = s[MBR_SIG_OFF] == 0x55 && s[MBR_SIG_OFF + 1] == 0xAA;
	for (int i = 0; sig && i < 4; i++)
		if (s[MBR_ENTRIES_OFF + MBR_ENTRY_SIZE * i + 4] == MBR_TYPE_PROTECTIVE)
			t->protective_mbr = true;
	if (gpt_read(&c, t))
		return HV_OK;
	if (t->protective_mbr)
		return HV_ERR_CORRUPT;
	if (sig)
		mbr_fill(&c, t, s);
	return HV_OK;
}

hv_err part_read(vdisk *vd, part_table *out, hv_findings *f)
{
	hv_findings tmp = { 0 };
	hv_err rc = read_with(vd, vdisk_sector_size(vd), out, &tmp);
	if (out->scheme != PART_SCHEME_GPT && !vdisk_sector_size_known(vd) &&
	    vdisk_sector_size(vd) != 4096) {
		part_table t4;
		hv_findings tmp4 = { 0 };
		hv_err rc4 = read_with(vd, 4096, &t4, &tmp4);
		if (rc4 == HV_OK && t4.scheme == PART_SCHEME_GPT) {
			part_table_free(out);
			findings_free(&tmp);
			*out = t4;
			tmp = tmp4;
			rc = rc4;
			findings_add(&tmp, HV_SEV_NOTE, vdisk_name(vd), HV_NO_OFFSET,
				     "GPT found with 4096-byte sectors (sector size not declared by the container)");
		} else {
			part_table_free(&t4);
			findings_free(&tmp4);
		}
	}
	findings_move(f, &tmp);
	findings_free(&tmp);
	return rc;
}
