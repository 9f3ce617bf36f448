/* fve_writer.c - synthesized BitLocker metadata for tests (layout in fve_writer.h). */
#include "support/fve_writer.h"

#include <stdlib.h>
#include <string.h>

#include "util/bytes.h"
#include "util/crc.h"
#include "util/text.h"

#define BLOCK_MAX 0x10000
#define BLK_HDR 64
#define DS_HDR 48

typedef struct {
	uint8_t *p;
	size_t n, cap;
} bb;

static void bb_put(bb *b, const void *d, size_t n)
{
	if (b->n + n > b->cap) {
		b->cap = (b->n + n) * 2 + 64;
		b->p = realloc(b->p, b->cap);
	}
	if (d)
		memcpy(b->p + b->n, d, n);
	else
		memset(b->p + b->n, 0, n);
	b->n += n;
}

static void bb_u16(bb *b, uint16_t v)
{
	uint8_t x[2];
	st16le(x, v);
	bb_put(b, x, 2);
}

static void bb_u32(bb *b, uint32_t v)
{
	uint8_t x[4];
	st32le(x, v);
	bb_put(b, x, 4);
}

static void bb_u64(bb *b, uint64_t v)
{
	uint8_t x[8];
	st64le(x, v);
	bb_put(b, x, 8);
}

/* Deterministic filler standing in for key material. */
static void bb_fill(bb *b, size_t n, uint8_t seed)
{
	for (size_t i = 0; i < n; i++) {
		uint8_t c = (uint8_t)(seed * 31 + i * 7 + 1);
		bb_put(b, &c, 1);
	}
}

static void entry(bb *out, uint16_t type, uint16_t vtype, uint16_t ver, const bb *val)
{
	bb_u16(out, (uint16_t)(8 + val->n));
	bb_u16(out, type);
	bb_u16(out, vtype);
	bb_u16(out, ver);
	bb_put(out, val->p, val->n);
}

static void utf16_string(bb *v, const char *s)
{
	size_t n;
	uint8_t *u = utf8_to_utf16le(s, &n);
	bb_put(v, u, n);
	bb_u16(v, 0);
	free(u);
}

static void nested_string(bb *out, const char *s)
{
	bb v = { 0 };
	utf16_string(&v, s);
	entry(out, 0, 0x2, 1, &v);
	free(v.p);
}

static void aes_ccm(bb *out, uint16_t type, uint64_t ft, uint32_t counter)
{
	bb v = { 0 };
	bb_u64(&v, ft);
	bb_u32(&v, counter);
	bb_fill(&v, 16 + 44, (uint8_t)counter);
	entry(out, type, 0x5, 1, &v);
	free(v.p);
}

static void stretch_key(bb *out, uint32_t method, uint64_t ft, uint32_t counter)
{
	bb v = { 0 };
	bb_u32(&v, method);
	bb_fill(&v, 16, (uint8_t)(counter + 100));
	aes_ccm(&v, 0, ft, counter);
	entry(out, 0, 0x3, 1, &v);
	free(v.p);
}

static void simple(bb *out, uint16_t vtype, uint32_t head, size_t fill, uint8_t seed)
{
	bb v = { 0 };
	bb_u32(&v, head);
	bb_fill(&v, fill, seed);
	entry(out, 0, vtype, 1, &v);
	free(v.p);
}

/* Nested entries as Windows writes them for each protection type. */
static void vmk_nested(bb *v, const fvew_protector *p, uint32_t *ctr)
{
	uint64_t ft = p->last_change;
	switch (p->type) {
	case 0x0800:
		nested_string(v, "DiskPassword");
		stretch_key(v, 0x1000, ft, (*ctr)++);
		aes_ccm(v, 0, ft, (*ctr)++);
		break;
	case 0x0200:
		nested_string(v, "ExternalKey");
		simple(v, 0x4, 0x2000, 0, 4);
		aes_ccm(v, 0, ft, (*ctr)++);
		break;
	case 0x2000:
		stretch_key(v, 0x1001, ft, (*ctr)++);
		aes_ccm(v, 0, ft, (*ctr)++);
		break;
	case 0x0000:
		simple(v, 0x1, 0x2003, 32, 1);
		aes_ccm(v, 0, ft, (*ctr)++);
		break;
	case 0x1000:
		simple(v, 0xE, 0, 64, 14);
		aes_ccm(v, 0, ft, (*ctr)++);
		break;
	default: /* TPM family and anything else: a TPM blob */
		simple(v, 0x6, 0x00000B01, 64, 6);
		break;
	}
	if (p->escrow_hint)
		simple(v, 0x15, 0, 12, 21);
}

static void vmk_entry(bb *out, const fvew_protector *p, uint32_t *ctr)
{
	bb v = { 0 };
	bb_put(&v, p->guid, 16);
	bb_u64(&v, p->last_change);
	bb_u16(&v, 0);
	bb_u16(&v, p->type);
	vmk_nested(&v, p, ctr);
	uint16_t ver = p->entry_version ? p->entry_version : p->type == 0 ? 3 : 1;
	entry(out, 0x2, 0x8, ver, &v);
	free(v.p);
}

static void dataset_entries(const fvew_spec *s, bb *e)
{
	uint32_t ctr = 1;
	bb v = { 0 };
	bb_u64(&v, 0x8000);
	bb_u64(&v, 0x2000);
	entry(e, 0xF, 0xF, 1, &v);
	free(v.p);
	if (s->description) {
		bb d = { 0 };
		utf16_string(&d, s->description);
		entry(e, 0x7, 0x2, 1, &d);
		free(d.p);
	}
	for (size_t i = 0; i < s->nprot; i++)
		vmk_entry(e, &s->prot[i], &ctr);
	if (!s->no_fvek)
		aes_ccm(e, 0x3, s->created, ctr++);
	if (s->raw_entry_size) {
		bb_u16(e, s->raw_entry_size);
		bb_u16(e, 0x2);
		bb_u16(e, 0x8);
		bb_u16(e, 1);
	}
}

/* The block: header, dataset header, entries, CRC.  Returns its length. */
static size_t build_block(const fvew_spec *s, uint8_t *out, bool bad_crc)
{
	bb e = { 0 };
	dataset_entries(s, &e);
	size_t ds = DS_HDR + e.n;
	size_t info = (BLK_HDR + ds + 15) / 16 * 16;
	memset(out, 0, info + 8);
	memcpy(out, "-FVE-FS-", 8);
	st16le(out + 8, (uint16_t)(info / 16));
	st16le(out + 10, 2);
	st16le(out + 12, s->state_current ? s->state_current : 4);
	st16le(out + 14, s->state_next ? s->state_next : 4);
	st64le(out + 16, fvew_needed(s));
	st32le(out + 28, 16);
	for (int i = 0; i < 3; i++)
		st64le(out + 32 + 8 * i, s->block_offset[i]);
	st64le(out + 56, 0x8000);
	uint8_t *d = out + BLK_HDR;
	st32le(d, (uint32_t)ds);
	st32le(d + 4, 1);
	st32le(d + 8, DS_HDR);
	st32le(d + 12, (uint32_t)ds);
	memcpy(d + 16, s->volume_guid, 16);
	st32le(d + 32, 12);
	st32le(d + 36, s->method);
	st64le(d + 40, s->created);
	memcpy(d + DS_HDR, e.p, e.n);
	free(e.p);
	uint32_t crc = hv_crc32(out, info);
	st32le(out + info + 4, bad_crc ? crc ^ 1 : crc);
	return info + 8;
}

static void boot_sector(const fvew_spec *s, uint8_t *b)
{
	static const uint8_t normal[16] = { 0x3b, 0xd6, 0x67, 0x49, 0x29, 0x2e, 0xd8, 0x4a,
					    0x83, 0x99, 0xf6, 0xa3, 0x39, 0xe3, 0xd0, 0x01 };
	static const uint8_t eow[16] = { 0x3b, 0x4d, 0xa8, 0x92, 0x80, 0xdd, 0x0e, 0x4d,
					 0x9e, 0x4e, 0xb1, 0xe3, 0x28, 0x4e, 0xae, 0xd8 };
	static const uint8_t other[16] = { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16 };
	b[0] = 0xEB;
	b[1] = s->kind == FVEW_VISTA ? 0x52 : 0x58;
	b[2] = 0x90;
	memcpy(b + 3, s->kind == FVEW_TOGO ? "MSWIN4.1" : "-FVE-FS-", 8);
	st16le(b + 11, s->bytes_per_sector ? s->bytes_per_sector : 512);
	b[13] = 8;
	b[21] = 0xF8;
	b[510] = 0x55;
	b[511] = 0xAA;
	if (s->kind == FVEW_VISTA) {
		st64le(b + 56, s->block_offset[0] / 4096);
		return;
	}
	size_t g = s->kind == FVEW_TOGO ? 424 : 160, o = s->kind == FVEW_TOGO ? 440 : 176;
	if (s->kind == FVEW_TOGO)
		memcpy(b + 82, "FAT32   ", 8);
	memcpy(b + g, s->kind == FVEW_EOW ? eow : s->kind == FVEW_UNKNOWN_ID ? other : normal, 16);
	for (int i = 0; i < 3; i++)
		st64le(b + o + 8 * i, s->block_offset[i]);
	if (s->kind == FVEW_EOW) {
		st64le(b + 200, s->block_offset[2] + BLOCK_MAX);
		st64le(b + 208, s->block_offset[2] + BLOCK_MAX + 4096);
	}
}

void fvew_default(fvew_spec *s)
{
	memset(s, 0, sizeof *s);
	s->kind = FVEW_NORMAL;
	s->method = 0x8004;
	for (int i = 0; i < 16; i++)
		s->volume_guid[i] = (uint8_t)(0xA0 + i);
	s->created = 132781901407315780ull; /* 2021-10-08T18:09:00.731578Z */
	s->description = "TESTHOST C: 1/2/2024";
	s->block_offset[0] = 0x10000;
	s->block_offset[1] = 0x30000;
	s->block_offset[2] = 0x50000;
}

void fvew_add(fvew_spec *s, uint16_t type, uint8_t seed)
{
	if (s->nprot >= FVEW_MAX_PROTECTORS)
		return;
	fvew_protector *p = &s->prot[s->nprot++];
	memset(p, 0, sizeof *p);
	p->type = type;
	for (int i = 0; i < 16; i++)
		p->guid[i] = (uint8_t)(seed * 16 + i);
	p->last_change = s->created + 10000000ull * seed;
}

size_t fvew_needed(const fvew_spec *s)
{
	uint64_t m = 0;
	for (int i = 0; i < 3; i++)
		if (s->block_offset[i] > m)
			m = s->block_offset[i];
	return (size_t)m + BLOCK_MAX;
}

bool fvew_build(const fvew_spec *s, uint8_t *vol, size_t len)
{
	if (len < fvew_needed(s))
		return false;
	boot_sector(s, vol);
	if (s->kind == FVEW_VISTA)
		return true;
	uint8_t *blk = calloc(1, BLOCK_MAX * 2);
	size_t n = build_block(s, blk, false);
	bool ok = n <= BLOCK_MAX;
	for (int i = 0; ok && i < 3; i++) {
		if (s->zero_mask & (1u << i))
			continue;
		build_block(s, vol + s->block_offset[i], s->bad_crc_mask & (1u << i));
	}
	free(blk);
	return ok;
}
