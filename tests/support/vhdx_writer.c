/* vhdx_writer.c - VHDX/VHD/GPT fixture writers for tests (see vhdx_writer.h). */
#include "support/vhdx_writer.h"

#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "util/bytes.h"
#include "util/crc.h"
#include "util/text.h"

#define MIB (1024u * 1024u)
#define PAGE 4096u
#define META_OFF (2u * MIB)
#define BAT_OFF (3u * MIB)
#define LOG_OFF MIB
#define LOG_LEN MIB

static bool pw(int fd, const void *b, size_t n, uint64_t off)
{
	return pwrite(fd, b, n, (off_t)off) == (ssize_t)n;
}

static bool all_zero(const uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (p[i])
			return false;
	return true;
}

/* Writes the non-zero pages of b. */
static bool pw_sparse(int fd, const uint8_t *b, size_t n, uint64_t off)
{
	for (size_t i = 0; i < n; i += PAGE) {
		size_t k = n - i < PAGE ? n - i : PAGE;
		if (!all_zero(b + i, k) && !pw(fd, b + i, k, off + i))
			return false;
	}
	return true;
}

bool tw_write_sparse(const char *path, const uint8_t *buf, uint64_t len)
{
	int fd = open(path, O_CREAT | O_TRUNC | O_WRONLY, 0644);
	if (fd < 0)
		return false;
	bool ok = pw_sparse(fd, buf, (size_t)len, 0) && ftruncate(fd, (off_t)len) == 0;
	return close(fd) == 0 && ok;
}

bool tw_poke(const char *path, uint64_t off, uint8_t x)
{
	int fd = open(path, O_RDWR);
	uint8_t b;
	bool ok = fd >= 0 && pread(fd, &b, 1, (off_t)off) == 1;
	b ^= x;
	ok = ok && pw(fd, &b, 1, off);
	if (fd >= 0)
		close(fd);
	return ok;
}

static void put_guid(uint8_t *p, const char *s)
{
	guid_parse(s, p);
}

/* ---- VHDX ---- */

typedef struct {
	const vhdxw_spec *s;
	uint32_t bs, lss, pss, cr;
	uint64_t spb, pb, nchunks, entries, bat_len;
	uint64_t *bat;
	uint8_t **bitmap;       /* per chunk, 1 MiB, or NULL */
	uint64_t next;          /* next free file offset */
} vx;

static void header(uint8_t *h, const vhdxw_spec *s, uint64_t seq)
{
	memset(h, 0, PAGE);
	memcpy(h, "head", 4);
	st64le(h + 8, seq);
	memcpy(h + 16, s->file_write_guid, 16);
	memcpy(h + 32, s->data_write_guid, 16);
	st16le(h + 66, 1);
	st32le(h + 68, LOG_LEN);
	st64le(h + 72, LOG_OFF);
	st32le(h + 4, hv_crc32c(h, PAGE));
}

static void region_table(uint8_t *t, const vx *v)
{
	memset(t, 0, 0x10000);
	memcpy(t, "regi", 4);
	st32le(t + 8, 2);
	put_guid(t + 16, "2DC27766-F623-4200-9D64-115E9BFD4A08");
	st64le(t + 32, BAT_OFF);
	st32le(t + 40, (uint32_t)v->bat_len);
	st32le(t + 44, 1);
	put_guid(t + 48, "8B7CA206-4790-4B9A-B8FE-575F050F886E");
	st64le(t + 64, META_OFF);
	st32le(t + 72, MIB);
	st32le(t + 76, 1);
	st32le(t + 4, hv_crc32c(t, 0x10000));
}

static void meta_item(uint8_t *m, int i, const char *g, uint32_t off, uint32_t len, uint32_t fl)
{
	uint8_t *e = m + 32 + 32 * i;
	put_guid(e, g);
	st32le(e + 16, off);
	st32le(e + 20, len);
	st32le(e + 24, fl);
}

/* Builds the parent locator at p; returns its length. */
static uint32_t locator(uint8_t *p, const vhdxw_spec *s)
{
	const char *keys[5] = { "parent_linkage", "parent_linkage2", "relative_path",
				"volume_path", "absolute_win32_path" };
	const char *vals[5] = { s->parent_linkage, s->parent_linkage2, s->relative_path,
				s->volume_path, s->absolute_path };
	uint16_t n = 0;
	for (int i = 0; i < 5; i++)
		n += vals[i] != NULL;
	put_guid(p, "B04AEFB7-D19E-4A81-B789-25B8E9445913");
	st16le(p + 18, n);
	uint32_t str = 20 + 12u * n;
	int k = 0;
	for (int i = 0; i < 5; i++) {
		if (!vals[i])
			continue;
		size_t kl, vl;
		uint8_t *ku = utf8_to_utf16le(keys[i], &kl), *vu = utf8_to_utf16le(vals[i], &vl);
		uint8_t *e = p + 20 + 12 * k++;
		st32le(e, str);
		memcpy(p + str, ku, kl);
		str += (uint32_t)kl;
		st32le(e + 4, str);
		memcpy(p + str, vu, vl);
		str += (uint32_t)vl;
		st16le(e + 8, (uint16_t)kl);
		st16le(e + 10, (uint16_t)vl);
		free(ku);
		free(vu);
	}
	return str;
}

static bool write_metadata(int fd, const vx *v)
{
	const vhdxw_spec *s = v->s;
	uint8_t *m = calloc(1, 0x20000);
	memcpy(m, "metadata", 8);
	uint32_t base = 0x10000, req = 4, vreq = 6;
	meta_item(m, 0, "CAA16737-FA36-4D43-B3B6-33F0AA44E76B", base, 8, req);
	st32le(m + base, v->bs);
	st32le(m + base + 4, (s->fixed ? 1u : 0u) | (s->has_parent ? 2u : 0u));
	meta_item(m, 1, "2FA54224-CD1B-4876-B211-5DBED83BF4B8", base + 8, 8, vreq);
	st64le(m + base + 8, s->virtual_size);
	meta_item(m, 2, "8141BF1D-A96F-4709-BA47-F233A8FAAB5F", base + 16, 4, vreq);
	st32le(m + base + 16, v->lss);
	meta_item(m, 3, "CDA348C7-445D-4471-9CC9-E9885251C556", base + 20, 4, vreq);
	st32le(m + base + 20, v->pss);
	meta_item(m, 4, "BECA12AB-B2E6-4523-93EF-C309E000C746", base + 24, 16, vreq);
	memcpy(m + base + 24, s->data_write_guid, 16);
	uint16_t n = 5;
	if (s->has_parent) {
		uint32_t ll = locator(m + base + 48, s);
		meta_item(m, n++, "A8D35F2D-B30B-454D-ABF7-D3D84834AB0C", base + 48, ll, req);
	}
	st16le(m + 10, n);
	bool ok = pw_sparse(fd, m, 0x20000, META_OFF);
	free(m);
	return ok;
}

static bool sector_present(const vx *v, const uint8_t *image, uint64_t image_len,
			   const uint8_t *present, uint64_t lba, bool block_nonzero)
{
	(void)image;
	(void)image_len;
	if (present)
		return present[lba] != 0;
	return v->s->fixed || block_nonzero;
}

static void copy_block(uint8_t *dst, const uint8_t *image, uint64_t image_len, uint64_t off,
		       size_t n)
{
	memset(dst, 0, n);
	if (off < image_len)
		memcpy(dst, image + off, image_len - off < n ? (size_t)(image_len - off) : n);
}

static bool write_block(int fd, vx *v, uint64_t b, const uint8_t *image, uint64_t image_len,
			const uint8_t *present, uint8_t *buf)
{
	if (!present && !v->s->fixed && b * v->bs >= image_len) {
		v->bat[b + b / v->cr] = 0;
		return true;
	}
	copy_block(buf, image, image_len, b * v->bs, v->bs);
	bool nz = !all_zero(buf, v->bs);
	uint64_t np = 0, nsec = 0;
	for (uint64_t k = 0; k < v->spb; k++) {
		uint64_t lba = b * v->spb + k;
		if (lba * v->lss >= v->s->virtual_size)
			break;
		nsec++;
		if (sector_present(v, image, image_len, present, lba, nz))
			np++;
		else
			memset(buf + k * v->lss, 0, v->lss);
	}
	uint64_t idx = b + b / v->cr;
	if (np == 0) {
		v->bat[idx] = 0;
		return true;
	}
	uint64_t off = v->next;
	v->next += v->bs;
	bool partial = np < nsec && v->s->has_parent;
	v->bat[idx] = off | (partial ? 7u : 6u);
	if (partial) {
		uint64_t chunk = b / v->cr;
		if (!v->bitmap[chunk])
			v->bitmap[chunk] = calloc(1, MIB);
		for (uint64_t k = 0; k < nsec; k++) {
			uint64_t s = (b % v->cr) * v->spb + k;
			if (present[b * v->spb + k])
				v->bitmap[chunk][s / 8] |= (uint8_t)(1u << (s % 8));
		}
	}
	return pw_sparse(fd, buf, v->bs, off);
}

static bool write_ident_headers(int fd, const vx *v)
{
	uint8_t id[PAGE] = { 0 };
	memcpy(id, "vhdxfile", 8);
	size_t cl;
	uint8_t *cu = utf8_to_utf16le("hvtpm test writer", &cl);
	memcpy(id + 8, cu, cl);
	free(cu);
	uint8_t h[PAGE], *t = malloc(0x10000);
	bool ok = pw(fd, id, sizeof id, 0);
	header(h, v->s, 1);
	ok = ok && pw(fd, h, PAGE, 0x10000);
	header(h, v->s, 2);
	ok = ok && pw(fd, h, PAGE, 0x20000);
	region_table(t, v);
	ok = ok && pw(fd, t, 0x10000, 0x30000) && pw(fd, t, 0x10000, 0x40000);
	free(t);
	return ok;
}

bool vhdxw_write(const char *path, const vhdxw_spec *s, const uint8_t *image,
		 uint64_t image_len, const uint8_t *present)
{
	vx v = { .s = s };
	v.bs = s->block_size ? s->block_size : MIB;
	v.lss = s->logical_sector ? s->logical_sector : 512;
	v.pss = s->physical_sector ? s->physical_sector : 4096;
	v.cr = (uint32_t)(((uint64_t)1 << 23) * v.lss / v.bs);
	v.spb = v.bs / v.lss;
	v.pb = (s->virtual_size + v.bs - 1) / v.bs;
	v.nchunks = (v.pb + v.cr - 1) / v.cr;
	v.entries = s->has_parent ? v.nchunks * (v.cr + 1) : v.pb + (v.pb - 1) / v.cr;
	v.bat_len = (v.entries * 8 + MIB - 1) / MIB * MIB;
	v.bat = calloc(v.entries, 8);
	v.bitmap = calloc(v.nchunks, sizeof *v.bitmap);
	v.next = BAT_OFF + v.bat_len;
	int fd = open(path, O_CREAT | O_TRUNC | O_RDWR, 0644);
	uint8_t *buf = malloc(v.bs);
	bool ok = fd >= 0 && write_ident_headers(fd, &v) && write_metadata(fd, &v);
	for (uint64_t b = 0; ok && b < v.pb; b++)
		ok = write_block(fd, &v, b, image, image_len, present, buf);
	for (uint64_t k = 0; ok && k < v.nchunks; k++) {
		if (!v.bitmap[k])
			continue;
		v.bat[(k + 1) * v.cr + k] = v.next | 6u;
		ok = pw_sparse(fd, v.bitmap[k], MIB, v.next);
		v.next += MIB;
	}
	uint8_t *raw = calloc(v.entries, 8);
	for (uint64_t i = 0; i < v.entries; i++)
		st64le(raw + i * 8, v.bat[i]);
	ok = ok && pw(fd, raw, (size_t)v.entries * 8, BAT_OFF) && ftruncate(fd, (off_t)v.next) == 0;
	free(raw);
	for (uint64_t k = 0; k < v.nchunks; k++)
		free(v.bitmap[k]);
	free(v.bitmap);
	free(v.bat);
	free(buf);
	if (fd >= 0 && close(fd) != 0)
		ok = false;
	return ok;
}

static int current_header(int fd, uint8_t h[2][PAGE])
{
	bool ok[2];
	for (int i = 0; i < 2; i++)
		ok[i] = pread(fd, h[i], PAGE, 0x10000 * (i + 1)) == PAGE && !memcmp(h[i], "head", 4) &&
			ld32le(h[i] + 4) == hv_crc32c_zeroed(h[i], PAGE, 4, 4);
	if (ok[0] && ok[1])
		return ld64le(h[1] + 8) > ld64le(h[0] + 8) ? 1 : 0;
	return ok[0] ? 0 : ok[1] ? 1 : -1;
}

bool vhdxw_data_write_guid(const char *path, uint8_t out[16])
{
	uint8_t h[2][PAGE];
	int fd = open(path, O_RDONLY);
	int c = fd >= 0 ? current_header(fd, h) : -1;
	if (fd >= 0)
		close(fd);
	if (c < 0)
		return false;
	memcpy(out, h[c] + 32, 16);
	return true;
}

bool vhdxw_set_log_guid(const char *path, const uint8_t guid[16])
{
	uint8_t h[2][PAGE];
	int fd = open(path, O_RDWR);
	bool ok = fd >= 0;
	for (int i = 0; ok && i < 2; i++) {
		ok = pread(fd, h[i], PAGE, 0x10000 * (i + 1)) == PAGE;
		memcpy(h[i] + 48, guid, 16);
		st32le(h[i] + 4, 0);
		st32le(h[i] + 4, hv_crc32c(h[i], PAGE));
		ok = ok && pw(fd, h[i], PAGE, 0x10000 * (i + 1));
	}
	if (fd >= 0)
		close(fd);
	return ok;
}

bool vhdxw_log_entry(const char *path, uint32_t pos, uint64_t seq, uint32_t tail,
		     const vhdxw_log_desc *d, size_t nd, const uint8_t guid[16])
{
	uint8_t h[2][PAGE];
	int fd = open(path, O_RDWR);
	int c = fd >= 0 ? current_header(fd, h) : -1;
	if (c < 0) {
		if (fd >= 0)
			close(fd);
		return false;
	}
	uint64_t loff = ld64le(h[c] + 72), llen = ld32le(h[c] + 68);
	off_t fsz = lseek(fd, 0, SEEK_END);
	size_t dsec = (nd + 2 + 127) / 128, ndata = 0;
	for (size_t i = 0; i < nd; i++)
		ndata += d[i].page != NULL;
	size_t total = (dsec + ndata) * PAGE;
	uint8_t *e = calloc(1, total);
	memcpy(e, "loge", 4);
	st32le(e + 8, (uint32_t)total);
	st32le(e + 12, tail);
	st64le(e + 16, seq);
	st32le(e + 24, (uint32_t)nd);
	memcpy(e + 32, guid, 16);
	st64le(e + 48, (uint64_t)fsz);
	st64le(e + 56, (uint64_t)fsz);
	size_t k = 0;
	for (size_t i = 0; i < nd; i++) {
		uint8_t *q = e + 64 + 32 * i;
		memcpy(q, d[i].page ? "desc" : "zero", 4);
		st64le(q + 16, d[i].file_offset);
		st64le(q + 24, seq);
		if (!d[i].page) {
			st64le(q + 8, d[i].zero_len);
			continue;
		}
		memcpy(q + 8, d[i].page, 8);
		memcpy(q + 4, d[i].page + PAGE - 4, 4);
		uint8_t *ds = e + (dsec + k++) * PAGE;
		memcpy(ds, "data", 4);
		st32le(ds + 4, (uint32_t)(seq >> 32));
		memcpy(ds + 8, d[i].page + 8, PAGE - 12);
		st32le(ds + PAGE - 4, (uint32_t)seq);
	}
	st32le(e + 4, hv_crc32c(e, total));
	bool ok = true;
	for (size_t i = 0; ok && i < total; i += PAGE)
		ok = pw(fd, e + i, PAGE, loff + (pos + i) % llen);
	free(e);
	close(fd);
	return ok;
}

/* ---- VHD ---- */

static uint32_t vhd_sum(const uint8_t *p, size_t n)
{
	uint32_t s = 0;
	for (size_t i = 0; i < n; i++)
		s += p[i];
	return ~s;
}

static void st64be(uint8_t *p, uint64_t v)
{
	st32be(p, (uint32_t)(v >> 32));
	st32be(p + 4, (uint32_t)v);
}

static void vhd_footer(uint8_t *f, const vhdw_spec *s)
{
	memset(f, 0, 512);
	memcpy(f, "conectix", 8);
	st32be(f + 8, 2);
	st32be(f + 12, 0x00010000);
	st64be(f + 16, 512);
	st32be(f + 24, 0x2A000000);
	memcpy(f + 28, "hvtp", 4);
	st32be(f + 32, 0x00010000);
	memcpy(f + 36, "Wi2k", 4);
	st64be(f + 40, s->size);
	st64be(f + 48, s->size);
	st32be(f + 56, 0xFFFF10FF);
	st32be(f + 60, s->type);
	memcpy(f + 68, s->uuid, 16);
	st32be(f + 64, vhd_sum(f, 512));
}

static uint64_t vhd_locator(int fd, uint8_t *loc, uint32_t code, const char *path, uint64_t at,
			    bool *ok)
{
	size_t n;
	uint8_t *u = utf8_to_utf16le(path, &n);
	uint64_t space = (n + 511) / 512 * 512;
	st32be(loc, code);
	st32be(loc + 4, (uint32_t)space);
	st32be(loc + 8, (uint32_t)n);
	st64be(loc + 16, at);
	*ok = *ok && pw(fd, u, n, at);
	free(u);
	return at + space;
}

static void vhd_dyn_header(uint8_t *d, const vhdw_spec *s, uint32_t entries, uint32_t bs)
{
	memset(d, 0, 1024);
	memcpy(d, "cxsparse", 8);
	st64be(d + 8, UINT64_MAX);
	st64be(d + 16, 1536);
	st32be(d + 24, 0x00010000);
	st32be(d + 28, entries);
	st32be(d + 32, bs);
	memcpy(d + 40, s->parent_uuid, 16);
	if (s->parent_name) {
		size_t n;
		uint8_t *u = utf8_to_utf16le(s->parent_name, &n);
		for (size_t i = 0; i + 1 < n && i + 1 < 512; i += 2) {
			d[64 + i] = u[i + 1];
			d[64 + i + 1] = u[i];
		}
		free(u);
	}
}

bool vhdw_write(const char *path, const vhdw_spec *s, const uint8_t *image, uint64_t image_len,
		const uint8_t *present)
{
	uint32_t bs = s->block_size ? s->block_size : 2 * MIB, spb = bs / 512;
	uint32_t entries = (uint32_t)((s->size + bs - 1) / bs);
	uint32_t bm = ((spb + 7) / 8 + 511) / 512 * 512;
	uint64_t bat_len = ((uint64_t)entries * 4 + 511) / 512 * 512;
	uint8_t ft[512], dh[1024];
	uint8_t *bat = malloc(bat_len), *blk = malloc(bm + bs);
	memset(bat, 0xFF, bat_len);
	int fd = open(path, O_CREAT | O_TRUNC | O_RDWR, 0644);
	bool ok = fd >= 0;
	vhd_dyn_header(dh, s, entries, bs);
	uint64_t next = 1536 + bat_len;
	if (s->w2ru)
		next = vhd_locator(fd, dh + 576, 0x57327275u, s->w2ru, next, &ok);
	if (s->w2ku)
		next = vhd_locator(fd, dh + 600, 0x57326B75u, s->w2ku, next, &ok);
	st32be(dh + 36, vhd_sum(dh, 1024));
	for (uint32_t b = 0; ok && b < entries; b++) {
		memset(blk, 0, bm);
		copy_block(blk + bm, image, image_len, (uint64_t)b * bs, bs);
		bool any = false, nz = !all_zero(blk + bm, bs);
		for (uint32_t k = 0; k < spb && (uint64_t)b * bs + k * 512ull < s->size; k++) {
			bool p = present ? present[(uint64_t)b * spb + k] != 0 : nz;
			if (p)
				blk[k / 8] |= (uint8_t)(0x80u >> (k % 8));
			else
				memset(blk + bm + (size_t)k * 512, 0, 512);
			any |= p;
		}
		if (!any)
			continue;
		st32be(bat + 4 * b, (uint32_t)(next / 512));
		ok = pw_sparse(fd, blk, bm + bs, next);
		next += bm + bs;
	}
	vhd_footer(ft, s);
	ok = ok && pw(fd, ft, 512, 0) && pw(fd, dh, 1024, 512) && pw(fd, bat, bat_len, 1536) &&
	     pw(fd, ft, 512, next) && ftruncate(fd, (off_t)(next + 512)) == 0;
	free(bat);
	free(blk);
	if (fd >= 0 && close(fd) != 0)
		ok = false;
	return ok;
}

/* ---- GPT ---- */

static void gpt_header(uint8_t *h, uint64_t my, uint64_t alt, uint64_t first, uint64_t last,
		       uint64_t arr, uint32_t acrc)
{
	memset(h, 0, 92);
	memcpy(h, "EFI PART", 8);
	st32le(h + 8, 0x00010000);
	st32le(h + 12, 92);
	st64le(h + 24, my);
	st64le(h + 32, alt);
	st64le(h + 40, first);
	st64le(h + 48, last);
	for (int i = 0; i < 16; i++)
		h[56 + i] = (uint8_t)(0x40 + i);
	st64le(h + 72, arr);
	st32le(h + 80, 128);
	st32le(h + 84, 128);
	st32le(h + 88, acrc);
	st32le(h + 16, hv_crc32(h, 92));
}

/* Fills head ((2 + asec) sectors from LBA 0) and tail (asec + 1 sectors before the end). */
static bool gpt_pieces(uint8_t *head, uint8_t *tail, uint64_t nsec, uint32_t ss, uint64_t asec,
		       const gptw_part *p, size_t n)
{
	if (nsec < 2 * asec + 4 || n > 128)
		return false;
	uint8_t arr[128 * 128] = { 0 };
	for (size_t i = 0; i < n; i++) {
		uint8_t *e = arr + 128 * i;
		put_guid(e, p[i].type_guid);
		for (int k = 0; k < 16; k++)
			e[16 + k] = (uint8_t)(0x10 * (i + 1) + k);
		st64le(e + 32, p[i].first_lba);
		st64le(e + 40, p[i].last_lba);
		if (p[i].name) {
			size_t nl;
			uint8_t *u = utf8_to_utf16le(p[i].name, &nl);
			memcpy(e + 56, u, nl < 72 ? nl : 72);
			free(u);
		}
	}
	uint32_t acrc = hv_crc32(arr, sizeof arr);
	uint64_t last = nsec - 1, first_usable = 2 + asec, last_usable = last - 1 - asec;
	memset(head, 0, (2 + asec) * ss);
	memset(tail, 0, (asec + 1) * ss);
	uint8_t *m = head + 446;
	m[4] = 0xEE;
	st32le(m + 8, 1);
	st32le(m + 12, nsec - 1 > 0xFFFFFFFFu ? 0xFFFFFFFFu : (uint32_t)(nsec - 1));
	head[510] = 0x55;
	head[511] = 0xAA;
	memcpy(head + 2 * ss, arr, sizeof arr);
	memcpy(tail, arr, sizeof arr);
	gpt_header(head + ss, 1, last, first_usable, last_usable, 2, acrc);
	gpt_header(tail + asec * ss, last, 1, first_usable, last_usable, last - asec, acrc);
	return true;
}

bool gptw_build(uint8_t *img, uint64_t len, uint32_t ss, const gptw_part *p, size_t n)
{
	uint64_t nsec = len / ss, asec = (128 * 128 + ss - 1) / ss;
	if (nsec < 2 * asec + 4)
		return false;
	return gpt_pieces(img, img + (nsec - 1 - asec) * ss, nsec, ss, asec, p, n);
}

bool gptw_write_file(const char *path, uint64_t len, uint32_t ss, const gptw_part *p, size_t n)
{
	uint64_t nsec = len / ss, asec = (128 * 128 + ss - 1) / ss;
	uint8_t *head = malloc((2 + asec) * ss), *tail = malloc((asec + 1) * ss);
	int fd = open(path, O_CREAT | O_WRONLY, 0644);
	bool ok = fd >= 0 && gpt_pieces(head, tail, nsec, ss, asec, p, n) &&
		  pw(fd, head, (2 + asec) * ss, 0) &&
		  pw(fd, tail, (asec + 1) * ss, (nsec - 1 - asec) * ss) &&
		  ftruncate(fd, (off_t)len) == 0;
	if (fd >= 0 && close(fd) != 0)
		ok = false;
	free(head);
	free(tail);
	return ok;
}
