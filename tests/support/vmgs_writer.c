/* vmgs_writer.c - VMGS v1/v3 fixture writer for tests (see vmgs_writer.h). */
#include "support/vmgs_writer.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "support/vhdx_writer.h"
#include "util/bytes.h"
#include "util/crc.h"
#include "util/strbuf.h"
#include "util/text.h"

#define SECTOR 512u
#define V1_HDR 0x60u
#define V1_PART_LBA 64u       /* first LBA of the VMGS partition */
#define GPT_TAIL 34u          /* sectors after the last usable LBA: array + header + 1 */
#define V3_HDR 168u
#define V3_BLOCK 4096u
#define V3_FT_BLOCK 2u
#define BIOS_GUID "ac6b8dc1-3257-4a70-b1b2-a9c9215659ad"
#define VMGS_TYPE "700F0C12-1515-4E4D-8D32-53F685BF44AF"
#define X509_GUID "A5C059A1-94E4-4AA7-87B5-AB155C2BF072"

/* ---- JSON (shaped like Python's json.dumps, which vmgs-utils uses) ---- */

static void json_str(strbuf *sb, const char *s)
{
	sb_addc(sb, '"');
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if (*p == '"' || *p == '\\') {
			sb_addc(sb, '\\');
			sb_addc(sb, (char)*p);
		} else if (*p < 0x20) {
			sb_addf(sb, "\\u%04x", *p);
		} else {
			sb_addc(sb, (char)*p);
		}
	}
	sb_addc(sb, '"');
}

static void json_bytes(strbuf *sb, const uint8_t *p, size_t n)
{
	sb_addc(sb, '[');
	for (size_t i = 0; i < n; i++)
		sb_addf(sb, i ? ", %u" : "%u", p[i]);
	sb_addc(sb, ']');
}

static void json_value(strbuf *sb, const vmgsw_value *v)
{
	switch (v->kind) {
	case VMGSW_BYTES:
		json_bytes(sb, v->bytes, v->len);
		break;
	case VMGSW_STRING:
		json_str(sb, v->str ? v->str : "");
		break;
	case VMGSW_NUMBER:
		sb_addf(sb, "%lld", (long long)v->number);
		break;
	case VMGSW_BOOL:
		sb_adds(sb, v->number ? "true" : "false");
		break;
	case VMGSW_RAW:
		sb_adds(sb, v->str ? v->str : "null");
		break;
	case VMGSW_OBJECT:
		sb_addc(sb, '{');
		for (size_t i = 0; i < v->nmembers; i++) {
			if (i)
				sb_adds(sb, ", ");
			json_str(sb, v->members[i].name);
			sb_adds(sb, ": ");
			json_value(sb, &v->members[i]);
		}
		sb_addc(sb, '}');
		break;
	}
}

static void json_nvram(strbuf *sb, const vmgsw_uefi_var *u, size_t n)
{
	sb_adds(sb, "\"Nvram\": {\"Vendors\": {");
	bool first_vendor = true;
	for (size_t i = 0; i < n; i++) {
		bool seen = false;
		for (size_t k = 0; k < i; k++)
			seen |= guid_str_eq(u[k].vendor, u[i].vendor);
		if (seen)
			continue;
		if (!first_vendor)
			sb_adds(sb, ", ");
		first_vendor = false;
		json_str(sb, u[i].vendor);
		sb_adds(sb, ": {\"Variables\": {");
		bool first_var = true;
		for (size_t k = i; k < n; k++) {
			if (!guid_str_eq(u[k].vendor, u[i].vendor))
				continue;
			if (!first_var)
				sb_adds(sb, ", ");
			first_var = false;
			json_str(sb, u[k].name);
			sb_addf(sb, ": {\"Attributes\": %u, \"Data\": ", u[k].attributes);
			json_bytes(sb, u[k].data, u[k].len);
			sb_addc(sb, '}');
		}
		sb_adds(sb, "}}");
	}
	sb_adds(sb, "}}");
}

static void json_device(strbuf *sb, const vmgsw_device *d, const vmgsw_state *st, bool nvram)
{
	json_str(sb, d->guid);
	sb_adds(sb, ": {\"Version\": {\"Major\": 1, \"Minor\": 0}");
	if (d->type) {
		sb_adds(sb, ", \"Type\": ");
		json_str(sb, d->type);
	}
	sb_adds(sb, ", \"States\": {");
	for (size_t i = 0; i < d->nstates; i++) {
		if (i)
			sb_adds(sb, ", ");
		json_str(sb, d->states[i].name);
		sb_adds(sb, ": ");
		json_value(sb, &d->states[i]);
	}
	if (nvram) {
		if (d->nstates)
			sb_adds(sb, ", ");
		json_nvram(sb, st->uefi, st->nuefi);
	}
	sb_adds(sb, "}}");
}

char *vmgsw_json(const vmgsw_state *st)
{
	strbuf sb = STRBUF_INIT;
	if (st->json) {
		sb_adds(&sb, st->json);
		return sb_detach(&sb);
	}
	bool bios_listed = false;
	sb_adds(&sb, "{\"Version\": {\"Major\": 1, \"Minor\": 0}, \"Devices\": {");
	for (size_t i = 0; i < st->ndevices; i++) {
		bool bios = guid_str_eq(st->devices[i].guid, BIOS_GUID);
		if (i)
			sb_adds(&sb, ", ");
		json_device(&sb, &st->devices[i], st, bios && st->nuefi);
		bios_listed |= bios;
	}
	if (st->nuefi && !bios_listed) {
		vmgsw_device bios = { BIOS_GUID, NULL, NULL, 0 };
		if (st->ndevices)
			sb_adds(&sb, ", ");
		json_device(&sb, &bios, st, true);
	}
	sb_adds(&sb, "}}");
	return sb_detach(&sb);
}

/* UTF-16LE of the document plus a NUL code unit. */
static uint8_t *state_utf16(const vmgsw_state *st, size_t *n)
{
	char *j = vmgsw_json(st);
	size_t u;
	uint8_t *w = utf8_to_utf16le(j, &u);
	free(j);
	uint8_t *out = calloc(1, u + 2);
	if (out)
		memcpy(out, w, u);
	free(w);
	*n = u + 2;
	return out;
}

uint8_t *vmgsw_siglist_x509(const uint8_t *const *ders, const size_t *lens, size_t n,
			    const char *owner, size_t *out_len)
{
	size_t total = 0;
	for (size_t i = 0; i < n; i++)
		total += 28 + 16 + lens[i];
	uint8_t *b = calloc(1, total ? total : 1), *p = b;
	if (!b)
		return NULL;
	for (size_t i = 0; i < n; i++) {
		guid_parse(X509_GUID, p);
		st32le(p + 16, (uint32_t)(28 + 16 + lens[i]));
		st32le(p + 20, 0);
		st32le(p + 24, (uint32_t)(16 + lens[i]));
		guid_parse(owner, p + 28);
		memcpy(p + 44, ders[i], lens[i]);
		p += 28 + 16 + lens[i];
	}
	*out_len = total;
	return b;
}

/* ---- VHD containers (big-endian) ---- */

static void st64be(uint8_t *p, uint64_t v)
{
	st32be(p, (uint32_t)(v >> 32));
	st32be(p + 4, (uint32_t)v);
}

static uint32_t ones_sum(const uint8_t *p, size_t n)
{
	uint32_t s = 0;
	for (size_t i = 0; i < n; i++)
		s += p[i];
	return ~s;
}

static void vhd_footer(uint8_t *f, uint64_t size, uint32_t type, uint64_t data_offset)
{
	memset(f, 0, SECTOR);
	memcpy(f, "conectix", 8);
	st32be(f + 8, 2);
	st32be(f + 12, 0x00010000);
	st64be(f + 16, data_offset);
	memcpy(f + 28, "win ", 4);
	st32be(f + 32, 0x000A0000);
	memcpy(f + 36, "Wi2k", 4);
	st64be(f + 40, size);
	st64be(f + 48, size);
	st32be(f + 56, 0x0400100Fu);
	st32be(f + 60, type);
	for (int i = 0; i < 16; i++)
		f[68 + i] = (uint8_t)(0xA0 + i);
	st32be(f + 64, ones_sum(f, SECTOR));
}

static uint8_t *vhd_fixed(const uint8_t *img, uint64_t size, size_t *len)
{
	uint8_t *out = malloc(size + SECTOR);
	if (!out)
		return NULL;
	memcpy(out, img, size);
	vhd_footer(out + size, size, 2, UINT64_MAX);
	*len = size + SECTOR;
	return out;
}

static bool block_used(const uint8_t *img, uint64_t size, uint64_t off, uint32_t bs)
{
	for (uint64_t i = off; i < off + bs && i < size; i++)
		if (img[i])
			return true;
	return false;
}

static uint8_t *vhd_dynamic(const uint8_t *img, uint64_t size, uint32_t bs, size_t *len)
{
	uint32_t entries = (uint32_t)((size + bs - 1) / bs);
	uint32_t bitmap = ((bs / SECTOR + 7) / 8 + SECTOR - 1) / SECTOR * SECTOR;
	uint64_t bat_len = ((uint64_t)entries * 4 + SECTOR - 1) / SECTOR * SECTOR;
	uint64_t used = 0;
	for (uint32_t b = 0; b < entries; b++)
		used += block_used(img, size, (uint64_t)b * bs, bs);
	uint64_t total = 3 * SECTOR + bat_len + used * (bitmap + bs) + SECTOR;
	uint8_t *out = calloc(1, total);
	if (!out)
		return NULL;
	uint8_t *dh = out + SECTOR, *bat = out + 3 * SECTOR;
	memset(bat, 0xFF, bat_len);
	uint64_t next = 3 * SECTOR + bat_len;
	for (uint32_t b = 0; b < entries; b++) {
		uint64_t off = (uint64_t)b * bs;
		if (!block_used(img, size, off, bs))
			continue;
		st32be(bat + 4 * b, (uint32_t)(next / SECTOR));
		memset(out + next, 0xFF, bitmap);
		memcpy(out + next + bitmap, img + off, size - off < bs ? size - off : bs);
		next += bitmap + bs;
	}
	memcpy(dh, "cxsparse", 8);
	st64be(dh + 8, UINT64_MAX);
	st64be(dh + 16, 3 * SECTOR);
	st32be(dh + 24, 0x00010000);
	st32be(dh + 28, entries);
	st32be(dh + 32, bs);
	st32be(dh + 36, ones_sum(dh, 1024));
	vhd_footer(out, size, 3, SECTOR);
	memcpy(out + next, out, SECTOR);
	*len = total;
	return out;
}

/* ---- v1 ---- */

typedef struct {
	uint8_t *cur, *old;
	size_t cur_len, old_len;
	uint64_t alloc;          /* blocks per locator */
	uint64_t pblocks;        /* partition blocks */
} v1_parts;

static void v1_locator(uint8_t *l, uint64_t lba, uint64_t count, uint32_t size)
{
	memset(l, 0, 0x20);
	st64le(l, lba);
	st64le(l + 8, count);
	st32le(l + 16, size);
}

static void v1_header(uint8_t *h, const vmgsw_spec *s, uint32_t seq, uint32_t active,
		      const uint64_t lba[2], uint64_t count, const uint32_t size[2], bool bad_crc)
{
	memset(h, 0, V1_HDR);
	memcpy(h, "GUESTRTS", 8);
	st32le(h + 8, s->header_version ? s->header_version : 0x00010000u);
	st32le(h + 16, seq);
	st32le(h + 20, V1_HDR);
	st32le(h + 24, 0x20);
	st32le(h + 28, active);
	for (int k = 0; k < 2; k++)
		v1_locator(h + 0x20 + 0x20 * k, lba[k], count, size[k]);
	st32le(h + 12, hv_crc32(h, V1_HDR) ^ (bad_crc ? 0x5A5A5A5Au : 0));
}

/* Writes headers and data into the partition at part (pblocks x 512 bytes). */
static void v1_fill_partition(uint8_t *part, const vmgsw_spec *s, v1_parts *p,
			      vmgsw_layout *lay)
{
	uint32_t ai = s->active_index & 1, seq = s->sequence ? s->sequence : 7;
	uint64_t lba[2];
	uint32_t size[2];
	lba[ai] = 2;
	lba[1 - ai] = 2 + p->alloc;
	size[ai] = (uint32_t)p->cur_len;
	size[1 - ai] = (uint32_t)p->old_len;
	memcpy(part + lba[ai] * SECTOR, p->cur, p->cur_len);
	if (p->old)
		memcpy(part + lba[1 - ai] * SECTOR, p->old, p->old_len);
	if (s->damage & VMGSW_DMG_BAD_UTF16)
		st16le(part + lba[ai] * SECTOR + 4, 0xD800);
	if (s->damage & VMGSW_DMG_TRUNCATE)
		size[ai] = (uint32_t)(p->cur_len / 4 * 2);
	if (s->damage & VMGSW_DMG_SIZE_PAST_ALLOC)
		size[ai] = (uint32_t)(p->alloc * SECTOR + 1);
	lay->current_offset = lay->partition_offset + lba[ai] * SECTOR;
	lay->older_offset = lay->partition_offset + lba[1 - ai] * SECTOR;
	lay->current_size = size[ai];
	lay->older_size = size[1 - ai];
	if (s->damage & VMGSW_DMG_LOCATOR_OOB)
		lba[ai] = p->pblocks + 10;
	int nh = s->newer_header & 1;
	uint32_t oseq = seq - ((s->damage & VMGSW_DMG_SEQ_GAP) ? 2 : 1);
	v1_header(part + nh * SECTOR, s, seq, ai, lba, p->alloc, size,
		  s->damage & (nh ? VMGSW_DMG_CRC1 : VMGSW_DMG_CRC0));
	v1_header(part + (1 - nh) * SECTOR, s, oseq, 1 - ai, lba, p->alloc, size,
		  s->damage & (nh ? VMGSW_DMG_CRC0 : VMGSW_DMG_CRC1));
	for (int i = 0; i < 2; i++)
		lay->header_offset[i] = lay->partition_offset + (uint64_t)i * SECTOR;
}

static uint8_t *v1_image(const vmgsw_spec *s, v1_parts *p, uint64_t *size, vmgsw_layout *lay)
{
	uint64_t need = (p->cur_len > p->old_len ? p->cur_len : p->old_len) + SECTOR - 1;
	p->alloc = need / SECTOR + 1;
	p->pblocks = 2 + 2 * p->alloc;
	uint64_t first = s->bare ? 0 : V1_PART_LBA;
	uint64_t nsec = s->bare ? p->pblocks : (first + p->pblocks + GPT_TAIL + 7) / 8 * 8;
	if (s->disk_size / SECTOR > nsec)
		nsec = s->disk_size / SECTOR;
	if (s->bare)
		p->pblocks = nsec;
	*size = nsec * SECTOR;
	uint8_t *img = calloc(1, *size);
	if (!img)
		return NULL;
	if (!s->bare) {
		gptw_part gp = { first, nsec - GPT_TAIL, VMGS_TYPE, "VMGS" };
		p->pblocks = gp.last_lba - gp.first_lba + 1;
		if (!gptw_build(img, *size, SECTOR, &gp, 1)) {
			free(img);
			return NULL;
		}
	}
	lay->block_size = SECTOR;
	lay->disk_size = *size;
	lay->partition_offset = first * SECTOR;
	lay->partition_blocks = p->pblocks;
	v1_fill_partition(img + first * SECTOR, s, p, lay);
	return img;
}

static uint8_t *build_v1(const vmgsw_spec *s, size_t *len, vmgsw_layout *lay)
{
	v1_parts p = { 0 };
	p.cur = state_utf16(&s->current, &p.cur_len);
	if (s->older)
		p.old = state_utf16(s->older, &p.old_len);
	uint64_t size = 0;
	uint8_t *img = p.cur && (!s->older || p.old) ? v1_image(s, &p, &size, lay) : NULL;
	uint8_t *out = NULL;
	if (img && s->bare) {
		out = img;
		*len = size;
		img = NULL;
	} else if (img) {
		uint32_t bs = s->vhd_block_size ? s->vhd_block_size : 4096;
		out = s->dynamic ? vhd_dynamic(img, size, bs, len) : vhd_fixed(img, size, len);
	}
	free(img);
	free(p.cur);
	free(p.old);
	return out;
}

/* ---- v3 ---- */

static void v3_header(uint8_t *h, const vmgsw_spec *s, uint32_t seq, bool bad_crc)
{
	memset(h, 0, V3_HDR);
	memcpy(h, "GUESTRTS", 8);
	st32le(h + 8, s->header_version ? s->header_version : 0x00030000u);
	st32le(h + 16, seq);
	st32le(h + 20, V3_HDR);
	st32le(h + 24, V3_FT_BLOCK);
	st32le(h + 28, 1);
	st16le(h + 32, s->encryption_algorithm);
	if (s->encryption_algorithm)
		for (int i = 0; i < 32; i++)
			h[0x24 + 32 + i] = (uint8_t)(0x11 * (i + 1));
	st32le(h + 12, hv_crc32(h, V3_HDR) ^ (bad_crc ? 0x5A5A5A5Au : 0));
}

static void v3_entry(uint8_t *e, uint32_t block, uint32_t alloc, uint64_t valid, uint32_t attr)
{
	st32le(e, block);
	st32le(e + 4, alloc);
	st64le(e + 8, valid);
	if (attr & 1)
		for (int i = 0; i < 28; i++)
			e[16 + i] = (uint8_t)(0x30 + i);
	st32le(e + 44, attr);
}

static uint8_t *build_v3(const vmgsw_spec *s, size_t *len, vmgsw_layout *lay)
{
	uint64_t blocks = V3_FT_BLOCK + 1;
	for (size_t i = 0; i < s->nfiles; i++)
		blocks += s->files[i].len ? (s->files[i].len + V3_BLOCK - 1) / V3_BLOCK : 1;
	uint64_t size = (blocks + 1) * V3_BLOCK;
	if (s->disk_size > size)
		size = s->disk_size / SECTOR * SECTOR;
	uint8_t *img = calloc(1, size);
	if (!img)
		return NULL;
	uint32_t seq = s->sequence ? s->sequence : 7;
	int nh = s->newer_header & 1;
	v3_header(img + nh * SECTOR, s, seq, s->damage & (nh ? VMGSW_DMG_CRC1 : VMGSW_DMG_CRC0));
	v3_header(img + (1 - nh) * SECTOR, s, seq - ((s->damage & VMGSW_DMG_SEQ_GAP) ? 2 : 1),
		  s->damage & (nh ? VMGSW_DMG_CRC0 : VMGSW_DMG_CRC1));
	uint8_t *ft = img + V3_FT_BLOCK * V3_BLOCK;
	v3_entry(ft, V3_FT_BLOCK, 1, V3_BLOCK, 0);
	uint32_t next = V3_FT_BLOCK + 1;
	for (size_t i = 0; i < s->nfiles; i++) {
		const vmgsw_v3_file *f = &s->files[i];
		uint32_t alloc = f->len ? (uint32_t)((f->len + V3_BLOCK - 1) / V3_BLOCK) : 1;
		if (f->id == 0 || f->id >= 64)
			continue;
		v3_entry(ft + 64 * f->id, next, alloc, f->len, f->attributes);
		if (f->len)
			memcpy(img + (uint64_t)next * V3_BLOCK, f->data, f->len);
		next += alloc;
	}
	lay->block_size = V3_BLOCK;
	lay->disk_size = size;
	lay->header_offset[0] = 0;
	lay->header_offset[1] = SECTOR;
	lay->file_table_offset = V3_FT_BLOCK * V3_BLOCK;
	uint8_t *out = vhd_fixed(img, size, len);
	free(img);
	return out;
}

/* ---- entry points ---- */

uint8_t *vmgsw_build_ex(const vmgsw_spec *s, size_t *len, vmgsw_layout *lay)
{
	vmgsw_layout tmp;
	if (!lay)
		lay = &tmp;
	memset(lay, 0, sizeof *lay);
	if (s->version == 3)
		return build_v3(s, len, lay);
	if (s->version != 0 && s->version != 1)
		return NULL;
	return build_v1(s, len, lay);
}

uint8_t *vmgsw_build(const vmgsw_spec *s, size_t *len)
{
	return vmgsw_build_ex(s, len, NULL);
}

bool vmgsw_write(const char *path, const vmgsw_spec *s)
{
	size_t n;
	uint8_t *b = vmgsw_build(s, &n);
	if (!b)
		return false;
	FILE *fp = fopen(path, "wb");
	bool ok = fp && fwrite(b, 1, n, fp) == n;
	if (fp && fclose(fp) != 0)
		ok = false;
	free(b);
	return ok;
}
