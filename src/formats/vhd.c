/*
 * vhd.c - legacy VHD reader (Virtual PC / Hyper-V 2008 R2 .vhd).
 *
 * Source: libyal/libvhdi "Virtual Hard Disk (VHD) image format" notes and
 * the Microsoft VHD specification; see docs/disk.md s.3.  All
 * integers BIG-endian.
 *
 * Footer (512 bytes at the end; dynamic/differencing disks keep a copy at 0):
 *   +0 "conectix", +8 features, +12 version 0x00010000, +16 DataOffset u64
 *   (0xFFFFFFFFFFFFFFFF for fixed disks, else the dynamic header), +24 time
 *   (seconds since 2000-01-01), +28 creator application (4 chars), +32
 *   creator version, +36 creator OS (4 chars), +40 original size, +48
 *   current size (the virtual size; CHS-rounded, not a power of two), +56
 *   geometry, +60 disk type (2 fixed, 3 dynamic, 4 differencing), +64
 *   checksum (one's complement of the byte sum, field excluded), +68 UUID.
 * Dynamic header (1024 bytes at DataOffset): +0 "cxsparse", +8 next offset,
 *   +16 BAT offset u64, +24 version, +28 MaxTableEntries u32, +32 BlockSize
 *   u32 (default 2 MiB), +36 checksum, +40 parent UUID, +56 parent time, +64
 *   parent name UTF-16BE (512 bytes), +576 eight 24-byte parent locators
 *   (code u32 "W2ru"/"W2ku"/..., data space u32, data length u32, reserved,
 *   data offset u64; W2ru/W2ku data is a UTF-16LE path).
 * BAT: u32 sector numbers, 0xFFFFFFFF = not allocated.  A block is a sector
 *   bitmap (BlockSize/512 bits, MSB first, padded to 512 bytes) then data.
 *   In a differencing disk bit 1 = this file, 0 = the parent; an absent block
 *   is the parent's.  In a dynamic disk absent blocks read as zeros.
 */
#include "formats/vhd.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/bytes.h"
#include "util/text.h"
#include "util/xalloc.h"

#define VHD_COOKIE "conectix"
#define VHD_DYN_COOKIE "cxsparse"
#define VHD_DYN_SIZE 1024
#define VHD_SECTOR 512
#define VHD_NO_OFFSET UINT64_MAX
#define VHD_UNALLOCATED 0xFFFFFFFFu
#define VHD_MAX_SIZE (64ull << 40)
#define VHD_MIN_BLOCK 4096u
#define VHD_MAX_BLOCK (256u * 1024 * 1024)
#define VHD_MAX_ENTRIES (1u << 24)
#define VHD_LOCATORS 8
#define VHD_LOCATOR_OFF 576
#define VHD_LOCATOR_SIZE 24
#define VHD_LOCATOR_MAX_DATA 0x10000
#define VHD_NAME_OFF 64
#define VHD_NAME_LEN 512
#define VHD_BAT_PAGE 1024
#define VHD_BAT_CACHE 8
#define VHD_MAX_FINDINGS 32
#define VHD_BITMAP_MAX_READ 4096

/* footer fields */
#define F_DATA_OFFSET 16
#define F_TIMESTAMP 24
#define F_CREATOR_APP 28
#define F_CREATOR_VER 32
#define F_CREATOR_OS 36
#define F_ORIG_SIZE 40
#define F_CUR_SIZE 48
#define F_TYPE 60
#define F_CHECKSUM 64
#define F_UUID 68

/* dynamic header fields */
#define D_BAT_OFFSET 16
#define D_MAX_ENTRIES 28
#define D_BLOCK_SIZE 32
#define D_CHECKSUM 36
#define D_PARENT_UUID 40
#define D_PARENT_TIME 56

typedef struct {
	uint64_t page;
	bool used;
	uint32_t e[VHD_BAT_PAGE];
} vhd_bat_page;

struct vhd {
	vd_file *vf;
	const char *name;
	vhd_info info;
	vhd_bat_page cache[VHD_BAT_CACHE];
	unsigned nfindings;
};

static uint64_t ld64be(const uint8_t *p)
{
	return ((uint64_t)ld32be(p) << 32) | ld32be(p + 4);
}

static uint32_t vhd_checksum(const uint8_t *p, size_t n, size_t field)
{
	uint32_t sum = 0;
	for (size_t i = 0; i < n; i++)
		if (i < field || i >= field + 4)
			sum += p[i];
	return ~sum;
}

bool vhd_sniff_footer(const uint8_t *p, size_t n)
{
	return n >= VHD_FOOTER_SIZE && memcmp(p, VHD_COOKIE, 8) == 0;
}

const char *vhd_type_name(uint32_t disk_type)
{
	switch (disk_type) {
	case VHD_TYPE_FIXED: return "fixed";
	case VHD_TYPE_DYNAMIC: return "dynamic";
	case VHD_TYPE_DIFFERENCING: return "differencing";
	}
	return "unknown";
}

static bool footer_ok(const uint8_t *p)
{
	return vhd_sniff_footer(p, VHD_FOOTER_SIZE) &&
	       ld32be(p + F_CHECKSUM) == vhd_checksum(p, VHD_FOOTER_SIZE, F_CHECKSUM);
}

static void take_chars(char out[5], const uint8_t *p)
{
	for (int i = 0; i < 4; i++)
		out[i] = (char)(p[i] >= 0x20 && p[i] < 0x7F ? p[i] : '?');
	out[4] = '\0';
}

/* Picks the footer: end copy, else the copy at 0, else an end copy with a bad checksum. */
static hv_err read_footer(vhd *h, uint8_t ft[VHD_FOOTER_SIZE], hv_findings *f)
{
	uint64_t size = vd_file_size(h->vf);
	uint8_t head[VHD_FOOTER_SIZE];
	if (size < VHD_FOOTER_SIZE)
		return HV_ERR_FORMAT;
	hv_err rc = vd_file_read(h->vf, size - VHD_FOOTER_SIZE, ft, VHD_FOOTER_SIZE, true);
	if (rc != HV_OK)
		return rc;
	if (footer_ok(ft))
		return HV_OK;
	rc = vd_file_read(h->vf, 0, head, VHD_FOOTER_SIZE, true);
	if (rc != HV_OK)
		return rc;
	if (footer_ok(head)) {
		findings_add(f, HV_SEV_WARN, h->name, size - VHD_FOOTER_SIZE,
			     "footer at the end is invalid; using the copy at offset 0");
		memcpy(ft, head, VHD_FOOTER_SIZE);
		h->info.footer_from_copy = true;
		h->info.best_effort = true;
		return HV_OK;
	}
	if (!vhd_sniff_footer(ft, VHD_FOOTER_SIZE)) {
		if (!vhd_sniff_footer(head, VHD_FOOTER_SIZE))
			return HV_ERR_FORMAT;
		memcpy(ft, head, VHD_FOOTER_SIZE);
		h->info.footer_from_copy = true;
	}
	findings_add(f, HV_SEV_WARN, h->name, h->info.footer_from_copy ? 0 :
		     size - VHD_FOOTER_SIZE, "footer checksum mismatch; used best effort");
	h->info.footer_checksum_bad = true;
	h->info.best_effort = true;
	return HV_OK;
}

static hv_err parse_footer(vhd *h, const uint8_t *ft, uint64_t *data_offset, hv_findings *f)
{
	vhd_info *i = &h->info;
	uint64_t at = h->info.footer_from_copy ? 0 : vd_file_size(h->vf) - VHD_FOOTER_SIZE;
	*data_offset = ld64be(ft + F_DATA_OFFSET);
	i->timestamp = ld32be(ft + F_TIMESTAMP);
	take_chars(i->creator_app, ft + F_CREATOR_APP);
	i->creator_version = ld32be(ft + F_CREATOR_VER);
	take_chars(i->creator_os, ft + F_CREATOR_OS);
	i->original_size = ld64be(ft + F_ORIG_SIZE);
	i->current_size = ld64be(ft + F_CUR_SIZE);
	i->disk_type = ld32be(ft + F_TYPE);
	memcpy(i->uuid, ft + F_UUID, 16);
	if (i->disk_type != VHD_TYPE_FIXED && i->disk_type != VHD_TYPE_DYNAMIC &&
	    i->disk_type != VHD_TYPE_DIFFERENCING) {
		findings_add(f, HV_SEV_ERROR, h->name, at + F_TYPE, "disk type %u not supported",
			     i->disk_type);
		return HV_ERR_UNSUPPORTED;
	}
	if (i->current_size == 0 || i->current_size > VHD_MAX_SIZE ||
	    i->current_size % VHD_SECTOR) {
		findings_add(f, HV_SEV_ERROR, h->name, at + F_CUR_SIZE,
			     "current size %llu is not valid", (unsigned long long)i->current_size);
		return HV_ERR_CORRUPT;
	}
	return HV_OK;
}

/* UTF-16BE to UTF-8. */
static char *utf16be_to_utf8(const uint8_t *p, size_t n)
{
	uint8_t *le = xmalloc(n + 1);
	for (size_t k = 0; k + 1 < n; k += 2) {
		le[k] = p[k + 1];
		le[k + 1] = p[k];
	}
	char *s = utf16le_to_utf8(le, n & ~(size_t)1);
	free(le);
	return s;
}

static void read_locator(vhd *h, const uint8_t *loc, uint64_t at, hv_findings *f)
{
	uint32_t code = ld32be(loc), len = ld32be(loc + 8);
	uint64_t off = ld64be(loc + 16), fsz = vd_file_size(h->vf);
	char **dst = code == 0x57327275u ? &h->info.parent_w2ru	/* "W2ru" */
		   : code == 0x57326B75u ? &h->info.parent_w2ku	/* "W2ku" */
					 : NULL;
	if (!dst || *dst || len == 0)
		return;
	if (len > VHD_LOCATOR_MAX_DATA || off > fsz || len > fsz - off) {
		findings_add(f, HV_SEV_WARN, h->name, at, "parent locator data out of bounds");
		return;
	}
	uint8_t *buf = xmalloc(len);
	if (vd_file_read(h->vf, off, buf, len, true) == HV_OK)
		*dst = utf16le_to_utf8(buf, len);
	free(buf);
}

static hv_err parse_dynamic(vhd *h, const uint8_t *d, uint64_t at, hv_findings *f)
{
	vhd_info *i = &h->info;
	uint64_t fsz = vd_file_size(h->vf);
	i->bat_offset = ld64be(d + D_BAT_OFFSET);
	i->max_table_entries = ld32be(d + D_MAX_ENTRIES);
	i->block_size = ld32be(d + D_BLOCK_SIZE);
	bool pow2 = i->block_size && !(i->block_size & (i->block_size - 1));
	if (!pow2 || i->block_size < VHD_MIN_BLOCK || i->block_size > VHD_MAX_BLOCK) {
		findings_add(f, HV_SEV_ERROR, h->name, at + D_BLOCK_SIZE,
			     "block size %u is not valid", i->block_size);
		return HV_ERR_CORRUPT;
	}
	uint64_t need = (i->current_size + i->block_size - 1) / i->block_size;
	if (i->max_table_entries < need || i->max_table_entries > VHD_MAX_ENTRIES ||
	    i->bat_offset > fsz || (uint64_t)i->max_table_entries * 4 > fsz - i->bat_offset) {
		findings_add(f, HV_SEV_ERROR, h->name, at + D_MAX_ENTRIES,
			     "BAT (%u entries at 0x%llx) does not cover the disk or the file",
			     i->max_table_entries, (unsigned long long)i->bat_offset);
		return HV_ERR_CORRUPT;
	}
	uint32_t bits = i->block_size / VHD_SECTOR;
	i->bitmap_size = ((bits + 7) / 8 + VHD_SECTOR - 1) / VHD_SECTOR * VHD_SECTOR;
	if (i->disk_type != VHD_TYPE_DIFFERENCING)
		return HV_OK;
	memcpy(i->parent_uuid, d + D_PARENT_UUID, 16);
	i->parent_timestamp = ld32be(d + D_PARENT_TIME);
	i->parent_name = utf16be_to_utf8(d + VHD_NAME_OFF, VHD_NAME_LEN);
	for (int k = 0; k < VHD_LOCATORS; k++) {
		uint64_t lo = VHD_LOCATOR_OFF + (uint64_t)k * VHD_LOCATOR_SIZE;
		read_locator(h, d + lo, at + lo, f);
	}
	return HV_OK;
}

static hv_err read_dynamic(vhd *h, uint64_t off, hv_findings *f)
{
	uint8_t d[VHD_DYN_SIZE];
	uint64_t fsz = vd_file_size(h->vf);
	if (off > fsz || VHD_DYN_SIZE > fsz - off) {
		findings_add(f, HV_SEV_ERROR, h->name, F_DATA_OFFSET,
			     "dynamic header offset 0x%llx is out of bounds",
			     (unsigned long long)off);
		return HV_ERR_CORRUPT;
	}
	hv_err rc = vd_file_read(h->vf, off, d, sizeof d, true);
	if (rc != HV_OK)
		return rc;
	if (memcmp(d, VHD_DYN_COOKIE, 8) != 0) {
		findings_add(f, HV_SEV_ERROR, h->name, off, "no \"cxsparse\" dynamic header");
		return HV_ERR_CORRUPT;
	}
	if (ld32be(d + D_CHECKSUM) != vhd_checksum(d, sizeof d, D_CHECKSUM)) {
		findings_add(f, HV_SEV_WARN, h->name, off + D_CHECKSUM,
			     "dynamic header checksum mismatch; used best effort");
		h->info.best_effort = true;
	}
	return parse_dynamic(h, d, off, f);
}

hv_err vhd_open(vd_file *vf, vhd **out, hv_findings *f)
{
	vhd *h = xcalloc(1, sizeof *h);
	h->vf = vf;
	h->name = vd_file_name(vf);
	*out = NULL;
	uint8_t ft[VHD_FOOTER_SIZE];
	uint64_t doff = 0;
	hv_err rc = read_footer(h, ft, f);
	if (rc == HV_ERR_FORMAT)
		findings_add(f, HV_SEV_ERROR, h->name, HV_NO_OFFSET, "no VHD footer");
	if (rc == HV_OK)
		rc = parse_footer(h, ft, &doff, f);
	if (rc == HV_OK && h->info.disk_type == VHD_TYPE_FIXED) {
		uint64_t fsz = vd_file_size(vf);
		if (fsz - VHD_FOOTER_SIZE < h->info.current_size) {
			findings_add(f, HV_SEV_WARN, h->name, HV_NO_OFFSET,
				     "fixed disk file holds %llu of %llu data bytes",
				     (unsigned long long)(fsz - VHD_FOOTER_SIZE),
				     (unsigned long long)h->info.current_size);
			h->info.best_effort = true;
		}
	} else if (rc == HV_OK) {
		rc = read_dynamic(h, doff, f);
	}
	if (rc != HV_OK) {
		vhd_close(h);
		return rc;
	}
	*out = h;
	return HV_OK;
}

const vhd_info *vhd_get_info(const vhd *h)
{
	return &h->info;
}

void vhd_close(vhd *h)
{
	if (!h)
		return;
	free(h->info.parent_name);
	free(h->info.parent_w2ru);
	free(h->info.parent_w2ku);
	free(h);
}

/* ---- BAT and mapping ---- */

static void bat_check(vhd *h, uint64_t idx, uint32_t e, hv_findings *f)
{
	if (e == VHD_UNALLOCATED)
		return;
	uint64_t off = (uint64_t)e * VHD_SECTOR, fsz = vd_file_size(h->vf);
	uint64_t need = (uint64_t)h->info.bitmap_size + h->info.block_size;
	if (off >= VHD_SECTOR && off <= fsz && need <= fsz - off)
		return;
	if (h->nfindings < VHD_MAX_FINDINGS)
		findings_add(f, HV_SEV_WARN, h->name, h->info.bat_offset + idx * 4,
			     "BAT entry %llu: block at 0x%llx lies outside the file",
			     (unsigned long long)idx, (unsigned long long)off);
	h->nfindings++;
	h->info.best_effort = true;
}

static hv_err bat_get(vhd *h, uint64_t idx, uint32_t *e, hv_findings *f)
{
	uint64_t page = idx / VHD_BAT_PAGE;
	vhd_bat_page *p = &h->cache[page % VHD_BAT_CACHE];
	if (!p->used || p->page != page) {
		uint64_t first = page * VHD_BAT_PAGE, n = h->info.max_table_entries - first;
		if (n > VHD_BAT_PAGE)
			n = VHD_BAT_PAGE;
		uint8_t raw[VHD_BAT_PAGE * 4];
		p->used = false;
		hv_err rc = vd_file_read(h->vf, h->info.bat_offset + first * 4, raw,
					 (size_t)n * 4, true);
		if (rc != HV_OK)
			return rc;
		for (uint64_t k = 0; k < n; k++) {
			p->e[k] = ld32be(raw + k * 4);
			bat_check(h, first + k, p->e[k], f);
		}
		p->page = page;
		p->used = true;
	}
	*e = p->e[idx % VHD_BAT_PAGE];
	return HV_OK;
}

static hv_err bitmap_run(vhd *h, uint64_t boff, uint64_t inb, uint64_t run, vd_extent *e)
{
	uint64_t s0 = inb / VHD_SECTOR;
	uint64_t nsec = (inb + run - 1) / VHD_SECTOR - s0 + 1;
	uint64_t maxsec = (uint64_t)VHD_BITMAP_MAX_READ * 8 - s0 % 8;
	if (nsec > maxsec)
		nsec = maxsec;
	uint64_t b0 = s0 / 8, nb = (s0 + nsec - 1) / 8 - b0 + 1;
	uint8_t bm[VHD_BITMAP_MAX_READ + 1];
	hv_err rc = vd_file_read(h->vf, boff + b0, bm, (size_t)nb, true);
	if (rc != HV_OK) {
		e->kind = VD_EXT_BAD;
		return rc == HV_ERR_IO ? rc : HV_OK;
	}
	bool first = (bm[0] >> (7 - s0 % 8)) & 1;
	uint64_t k = 0;
	while (k < nsec) {
		uint64_t s = s0 + k;
		if (((bm[s / 8 - b0] >> (7 - s % 8)) & 1) != first)
			break;
		k++;
	}
	uint64_t len = (s0 + k) * VHD_SECTOR - inb;
	e->len = len < run ? len : run;
	e->kind = first ? VD_EXT_FILE : VD_EXT_PARENT;
	e->file_off = boff + h->info.bitmap_size + inb;
	return HV_OK;
}

hv_err vhd_map(vhd *h, uint64_t voff, uint64_t len, vd_extent *e, hv_findings *f)
{
	const vhd_info *i = &h->info;
	e->len = len;
	e->file_off = voff;
	if (voff >= i->current_size) {
		e->kind = VD_EXT_ZERO;
		return HV_OK;
	}
	if (i->disk_type == VHD_TYPE_FIXED) {
		e->kind = VD_EXT_FILE;
		return HV_OK;
	}
	uint64_t blk = voff / i->block_size, inb = voff % i->block_size;
	if (e->len > i->block_size - inb)
		e->len = i->block_size - inb;
	uint32_t ent;
	hv_err rc = bat_get(h, blk, &ent, f);
	if (rc != HV_OK) {
		e->kind = VD_EXT_BAD;
		return rc == HV_ERR_IO ? rc : HV_OK;
	}
	bool diff = i->disk_type == VHD_TYPE_DIFFERENCING;
	if (ent == VHD_UNALLOCATED) {
		e->kind = diff ? VD_EXT_PARENT : VD_EXT_ZERO;
		return HV_OK;
	}
	uint64_t boff = (uint64_t)ent * VHD_SECTOR;
	if (boff < VHD_SECTOR) {
		e->kind = VD_EXT_BAD;
		return HV_OK;
	}
	if (diff)
		return bitmap_run(h, boff, inb, e->len, e);
	e->kind = VD_EXT_FILE;
	e->file_off = boff + i->bitmap_size + inb;
	return HV_OK;
}
