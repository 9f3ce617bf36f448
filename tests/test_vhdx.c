/*
 * test_vhdx.c - VHDX and VHD container behaviour on synthesized files: the
 * dirty log (overlay, Tail, zero descriptors, damaged entries, evidence
 * untouched), header and region-table fallback, sanity checks, hostile
 * BAT entries and truncation, differencing chains (partially present
 * blocks, linkage, missing parents, resolver policy, cycles, depth cap)
 * and legacy VHD differencing disks.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "analysis/survive.h"
#include "formats/vdisk.h"
#include "formats/vhd.h"
#include "formats/vhdx.h"
#include "support/disk_check.h"
#include "support/fve_writer.h"
#include "support/testutil.h"
#include "support/vhdx_writer.h"
#include "util/bytes.h"
#include "util/crc.h"
#include "util/fileio.h"
#include "util/text.h"

#define MIB (1024u * 1024u)
#define VSIZE (16u * MIB)
#define BAT_OFF (3u * MIB)       /* where vhdx_writer puts the BAT */
#define META_OFF (2u * MIB)      /* and the metadata region */
#define BASIC_DATA "EBD0A0A2-B9E5-4433-87C0-68B6B72699C7"

static const uint8_t DWG[16] = { 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88,
				 0x99, 0xAA, 0xBB, 0xCC, 0xDD, 0xEE, 0xF0, 0x01 };

/* 16 MiB image: block 0 and block 2 carry patterns, the rest zero. */
static uint8_t *pattern_image(void)
{
	uint8_t *img = calloc(1, VSIZE);
	for (size_t k = 0; k < 8192; k++) {
		img[k] = (uint8_t)('A' + k % 23);
		img[2 * MIB + k] = (uint8_t)('a' + k % 19);
	}
	return img;
}

static char *write_base(const char *dir, const char *name, const uint8_t *img)
{
	char *p = tu_join(dir, name);
	vhdxw_spec w = { .virtual_size = VSIZE };
	memcpy(w.data_write_guid, DWG, 16);
	ck_assert(vhdxw_write(p, &w, img, VSIZE, NULL));
	return p;
}

static void file_sha(const char *p, uint8_t out[32])
{
	size_t n;
	uint8_t *b = tu_read(p, &n);
	ck_assert_ptr_nonnull(b);
	hv_sha256(b, n, out);
	free(b);
}

static void read_at(const char *p, uint64_t off, void *buf, size_t n)
{
	int fd = open(p, O_RDONLY);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(pread(fd, buf, n, (off_t)off), (ssize_t)n);
	close(fd);
}

static void write_at(const char *p, uint64_t off, const void *buf, size_t n)
{
	int fd = open(p, O_WRONLY);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(pwrite(fd, buf, n, (off_t)off), (ssize_t)n);
	close(fd);
}

static bool has_finding(const hv_findings *f, const char *needle)
{
	for (size_t i = 0; i < f->n; i++)
		if (strstr(f->v[i].msg, needle))
			return true;
	return false;
}

static bool block_equals(vdisk *vd, uint64_t off, const uint8_t *want, size_t n)
{
	uint8_t *b = malloc(n);
	ck_assert_int_eq(vdisk_read(vd, off, b, n), HV_OK);
	bool eq = memcmp(b, want, n) == 0;
	free(b);
	return eq;
}

static bool block_is_zero(vdisk *vd, uint64_t off, size_t n)
{
	uint8_t *z = calloc(1, n);
	bool eq = block_equals(vd, off, z, n);
	free(z);
	return eq;
}

/* The BAT page with entry `to` set to entry `from`. */
static void bat_page_copying(const char *p, int from, int to, uint8_t page[4096])
{
	read_at(p, BAT_OFF, page, 4096);
	memcpy(page + 8 * to, page + 8 * from, 8);
}

static const uint8_t LOG_GUID[16] = { 0x4C, 0x4F, 0x47, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13 };

/* ---- dirty log ---- */

START_TEST(dirty_log_replays_into_overlay_only)
{
	char *dir = tu_mkdtemp();
	uint8_t *img = pattern_image();
	char *p = write_base(dir, "dirty.vhdx", img);
	uint8_t page[4096];
	bat_page_copying(p, 0, 1, page);
	vhdxw_log_desc d = { BAT_OFF, page, 0 };
	ck_assert(vhdxw_set_log_guid(p, LOG_GUID));
	ck_assert(vhdxw_log_entry(p, 0, 10, 0, &d, 1, LOG_GUID));
	uint8_t before[32], after[32];
	file_sha(p, before);

	hv_findings f = { 0 };
	vdisk *vd;
	ck_assert_int_eq(vdisk_open(p, 0, &vd, &f), HV_OK);
	ck_assert(vdisk_dirty_log(vd));
	ck_assert_uint_eq(vdisk_log_replayed(vd), 1);
	ck_assert(!vdisk_log_replay_failed(vd));
	ck_assert(block_equals(vd, MIB, img, 8192));      /* block 1 now maps block 0's data */
	ck_assert(block_equals(vd, 0, img, 8192));
	ck_assert(has_finding(&f, "replayed in memory"));
	vdisk_close(vd);
	file_sha(p, after);
	ck_assert_mem_eq(before, after, 32);

	ck_assert_int_eq(vdisk_open(p, VDISK_NO_LOG_REPLAY, &vd, &f), HV_OK);
	ck_assert(vdisk_dirty_log(vd));
	ck_assert(vdisk_log_replay_failed(vd));
	ck_assert(vdisk_best_effort(vd));
	ck_assert(block_is_zero(vd, MIB, 8192));
	vdisk_close(vd);
	findings_free(&f);
	free(img);
	tu_rmtree(dir);
	free(p);
	free(dir);
}
END_TEST

START_TEST(log_tail_selects_the_active_sequence)
{
	char *dir = tu_mkdtemp();
	uint8_t *img = pattern_image();
	for (int tail_to_first = 0; tail_to_first < 2; tail_to_first++) {
		char *p = write_base(dir, "tail.vhdx", img);
		uint8_t a[4096], b[4096];
		read_at(p, META_OFF + 0x10000, a, sizeof a); /* A: virtual size 8 MiB */
		st64le(a + 8, 8 * MIB);
		bat_page_copying(p, 2, 3, b);                /* B: block 3 maps block 2 */
		vhdxw_log_desc da = { META_OFF + 0x10000, a, 0 }, db = { BAT_OFF, b, 0 };
		ck_assert(vhdxw_set_log_guid(p, LOG_GUID));
		ck_assert(vhdxw_log_entry(p, 0, 10, 0, &da, 1, LOG_GUID));
		ck_assert(vhdxw_log_entry(p, 8192, 11, tail_to_first ? 0 : 8192, &db, 1, LOG_GUID));
		hv_findings f = { 0 };
		vdisk *vd;
		ck_assert_int_eq(vdisk_open(p, 0, &vd, &f), HV_OK);
		ck_assert_uint_eq(vdisk_log_replayed(vd), tail_to_first ? 2 : 1);
		ck_assert_uint_eq(vdisk_size(vd), tail_to_first ? 8 * MIB : VSIZE);
		ck_assert(block_equals(vd, 3 * MIB, img + 2 * MIB, 8192));
		vdisk_close(vd);
		findings_free(&f);
		free(p);
	}
	free(img);
	tu_rmtree(dir);
	free(dir);
}
END_TEST

START_TEST(log_changes_metadata_and_zero_descriptors)
{
	char *dir = tu_mkdtemp();
	uint8_t *img = pattern_image();
	char *p = write_base(dir, "meta.vhdx", img);
	uint8_t page[4096];
	read_at(p, META_OFF + 0x10000, page, 4096);
	ck_assert_uint_eq(ld64le(page + 8), VSIZE); /* virtual size item */
	st64le(page + 8, 8 * MIB);
	vhdxw_log_desc d[2] = { { META_OFF + 0x10000, page, 0 }, { BAT_OFF, NULL, 4096 } };
	ck_assert(vhdxw_set_log_guid(p, LOG_GUID));
	ck_assert(vhdxw_log_entry(p, 4096, 7, 4096, d, 2, LOG_GUID)); /* wraps nothing, at +4K */
	hv_findings f = { 0 };
	vdisk *vd;
	ck_assert_int_eq(vdisk_open(p, 0, &vd, &f), HV_OK);
	ck_assert_uint_eq(vdisk_size(vd), 8 * MIB);
	ck_assert(block_is_zero(vd, 0, 8192)); /* the BAT page was zeroed */
	vdisk_close(vd);

	/* a damaged entry is not replayed */
	ck_assert(tw_poke(p, MIB + 4096 + 100, 0x40));
	ck_assert_int_eq(vdisk_open(p, 0, &vd, &f), HV_OK);
	ck_assert(vdisk_dirty_log(vd));
	ck_assert_uint_eq(vdisk_log_replayed(vd), 0);
	ck_assert_uint_eq(vdisk_size(vd), VSIZE);
	ck_assert(has_finding(&f, "no valid sequence"));
	vdisk_close(vd);
	findings_free(&f);
	free(img);
	tu_rmtree(dir);
	free(p);
	free(dir);
}
END_TEST

START_TEST(log_entry_wrapping_the_ring)
{
	char *dir = tu_mkdtemp();
	uint8_t *img = pattern_image();
	char *p = write_base(dir, "wrap.vhdx", img);
	uint8_t page[4096];
	bat_page_copying(p, 2, 5, page);
	vhdxw_log_desc d = { BAT_OFF, page, 0 };
	uint32_t pos = MIB - 4096; /* header sector last, data sector first in the ring */
	ck_assert(vhdxw_set_log_guid(p, LOG_GUID));
	ck_assert(vhdxw_log_entry(p, pos, 3, pos, &d, 1, LOG_GUID));
	hv_findings f = { 0 };
	vdisk *vd;
	ck_assert_int_eq(vdisk_open(p, 0, &vd, &f), HV_OK);
	ck_assert_uint_eq(vdisk_log_replayed(vd), 1);
	ck_assert(block_equals(vd, 5 * MIB, img + 2 * MIB, 8192));
	vdisk_close(vd);
	findings_free(&f);
	free(img);
	tu_rmtree(dir);
	free(p);
	free(dir);
}
END_TEST

/* ---- headers, region tables, sanity ---- */

static void rewrite_header(const char *p, int which, void (*edit)(uint8_t *))
{
	uint8_t h[4096];
	read_at(p, 0x10000 * (which + 1), h, sizeof h);
	edit(h);
	st32le(h + 4, 0);
	st32le(h + 4, hv_crc32c(h, sizeof h));
	write_at(p, 0x10000 * (which + 1), h, sizeof h);
}

static void seq_one(uint8_t *h)
{
	st64le(h + 8, 1);
}

static void seq_one_other_guid(uint8_t *h)
{
	st64le(h + 8, 1);
	h[32] ^= 0x5A;
}

START_TEST(header_fallback_and_equal_sequences)
{
	char *dir = tu_mkdtemp();
	uint8_t *img = pattern_image();
	char *p = write_base(dir, "h1.vhdx", img);
	hv_findings f = { 0 };
	vdisk *vd;
	ck_assert(tw_poke(p, 0x10000 + 4, 1)); /* header 1: CRC field damaged */
	ck_assert_int_eq(vdisk_open(p, 0, &vd, &f), HV_OK);
	ck_assert(has_finding(&f, "header 1 is invalid"));
	ck_assert(vdisk_best_effort(vd));
	ck_assert(block_equals(vd, 2 * MIB, img + 2 * MIB, 8192));
	vdisk_close(vd);
	free(p);
	p = write_base(dir, "h.vhdx", img);
	ck_assert(tw_poke(p, 0x20000 + 100, 1)); /* header 2 (sequence 2, current) damaged */
	ck_assert_int_eq(vdisk_open(p, 0, &vd, &f), HV_OK);
	ck_assert(has_finding(&f, "header 2 is invalid"));
	ck_assert(block_equals(vd, 0, img, 8192));
	vdisk_close(vd);
	ck_assert(tw_poke(p, 0x10000 + 100, 1));
	ck_assert_int_eq(vdisk_open(p, 0, &vd, &f), HV_ERR_CORRUPT);
	ck_assert(has_finding(&f, "neither header is valid"));
	findings_free(&f);
	free(p);

	p = write_base(dir, "eq.vhdx", img);
	rewrite_header(p, 1, seq_one); /* now byte-identical to header 1 */
	ck_assert_int_eq(vdisk_open(p, 0, &vd, &f), HV_OK);
	ck_assert_uint_eq(findings_count(&f, HV_SEV_WARN), 0);
	ck_assert(!vdisk_best_effort(vd));
	vdisk_close(vd);
	rewrite_header(p, 1, seq_one_other_guid);
	ck_assert_int_eq(vdisk_open(p, 0, &vd, &f), HV_OK);
	ck_assert(has_finding(&f, "but differ"));
	ck_assert(vdisk_best_effort(vd));
	ck_assert_str_eq(vdisk_chain(vd, 0)->data_write_guid, "44332211-6655-8877-99AA-BBCCDDEEF001");
	vdisk_close(vd);
	findings_free(&f);
	free(img);
	tu_rmtree(dir);
	free(p);
	free(dir);
}
END_TEST

static void set_u32(const char *p, uint64_t off, uint32_t v)
{
	uint8_t b[4];
	st32le(b, v);
	write_at(p, off, b, 4);
}

static void add_region(const char *p, uint32_t required)
{
	for (int i = 0; i < 2; i++) {
		uint8_t *t = malloc(0x10000);
		read_at(p, 0x30000 + 0x10000 * i, t, 0x10000);
		uint32_t n = ld32le(t + 8);
		uint8_t *e = t + 16 + 32 * n;
		guid_parse("01234567-89AB-CDEF-0123-456789ABCDEF", e);
		st64le(e + 16, 8 * MIB);
		st32le(e + 24, MIB);
		st32le(e + 28, required);
		st32le(t + 8, n + 1);
		st32le(t + 4, 0);
		st32le(t + 4, hv_crc32c(t, 0x10000));
		write_at(p, 0x30000 + 0x10000 * i, t, 0x10000);
		free(t);
	}
}

START_TEST(region_tables_and_metadata_checks)
{
	char *dir = tu_mkdtemp();
	uint8_t *img = pattern_image();
	hv_findings f = { 0 };
	vdisk *vd;
	char *p = write_base(dir, "r.vhdx", img);
	ck_assert(tw_poke(p, 0x30000 + 40, 1));
	ck_assert_int_eq(vdisk_open(p, 0, &vd, &f), HV_OK);
	ck_assert(has_finding(&f, "region table 1 is invalid"));
	vdisk_close(vd);
	ck_assert(tw_poke(p, 0x40000 + 40, 1));
	ck_assert_int_eq(vdisk_open(p, 0, &vd, &f), HV_ERR_CORRUPT);
	free(p);

	p = write_base(dir, "opt.vhdx", img);
	add_region(p, 0);
	ck_assert_int_eq(vdisk_open(p, 0, &vd, &f), HV_OK);
	ck_assert(has_finding(&f, "unknown optional region"));
	vdisk_close(vd);
	free(p);
	p = write_base(dir, "req.vhdx", img);
	add_region(p, 1);
	ck_assert_int_eq(vdisk_open(p, 0, &vd, &f), HV_ERR_UNSUPPORTED);
	ck_assert(has_finding(&f, "unknown required region"));
	free(p);

	/* metadata values and items */
	static const struct {
		uint64_t off[2];
		uint32_t val[2];
		hv_err want;
		const char *finding;
	} e[] = {
		{ { META_OFF + 0x10000, 0 }, { 3 * MIB, 0 }, HV_ERR_CORRUPT, "not a power of two" },
		{ { META_OFF + 0x10000 + 16, 0 }, { 1024, 0 }, HV_ERR_CORRUPT, "not 512 or 4096" },
		{ { META_OFF + 0x10000 + 4, 0 }, { 2, 0 }, HV_ERR_CORRUPT, "without a parent locator" },
		{ { META_OFF + 32 + 32 * 4 + 4, META_OFF + 32 + 32 * 4 + 24 }, { 0x12345678, 2 },
		  HV_OK, "page 83) missing" },
		{ { META_OFF + 32 + 32 * 4 + 4, 0 }, { 0x12345678, 0 }, HV_ERR_UNSUPPORTED,
		  "unknown required metadata" },
		{ { META_OFF + 32 + 32 * 1 + 16, 0 }, { 0x100, 0 }, HV_ERR_CORRUPT, "out of bounds" },
		{ { META_OFF + 32 + 32 * 2, META_OFF + 32 + 32 * 2 + 24 }, { 0x81F80337, 2 },
		  HV_ERR_CORRUPT, "missing" },
	};
	for (size_t i = 0; i < sizeof e / sizeof e[0]; i++) {
		p = write_base(dir, "m.vhdx", img);
		for (int k = 0; k < 2 && e[i].off[k]; k++)
			set_u32(p, e[i].off[k], e[i].val[k]);
		findings_free(&f);
		hv_err rc = vdisk_open(p, 0, &vd, &f);
		ck_assert_msg(rc == e[i].want, "case %zu: %s", i, hv_err_name(rc));
		ck_assert_msg(has_finding(&f, e[i].finding), "case %zu: no \"%s\"", i,
			      e[i].finding);
		if (rc == HV_OK)
			vdisk_close(vd);
		free(p);
	}
	findings_free(&f);
	free(img);
	tu_rmtree(dir);
	free(dir);
}
END_TEST

START_TEST(hostile_bat_entries_and_truncation)
{
	char *dir = tu_mkdtemp();
	uint8_t *img = pattern_image();
	char *p = write_base(dir, "bat.vhdx", img);
	uint8_t e[8];
	st64le(e, (4096ull << 20) | 6); /* block 2 at 4 GiB: past the end */
	write_at(p, BAT_OFF + 16, e, 8);
	st64le(e, 7); /* block 4: partially present in a disk without parent */
	write_at(p, BAT_OFF + 32, e, 8);
	hv_findings f = { 0 };
	vdisk *vd;
	ck_assert_int_eq(vdisk_open(p, 0, &vd, &f), HV_OK);
	uint8_t *b = malloc(MIB);
	ck_assert_int_eq(vdisk_read(vd, 2 * MIB, b, 4096), HV_ERR_CORRUPT);
	ck_assert_int_eq(vdisk_read(vd, 4 * MIB, b, 4096), HV_ERR_CORRUPT);
	ck_assert_int_eq(vdisk_read(vd, 0, b, 4096), HV_OK);
	ck_assert_int_eq(vdisk_read(vd, VSIZE - 10, b, 20), HV_ERR_LIMIT);
	vdisk_take_findings(vd, &f);
	ck_assert(has_finding(&f, "past the end of the file"));
	ck_assert(has_finding(&f, "partially present"));
	ck_assert(vdisk_best_effort(vd));
	vdisk_close(vd);
	free(p);

	static const uint64_t cut[] = { 4, 0x10000 + 100, 0x50000, 2 * MIB + 100, 3 * MIB + 10 };
	for (size_t i = 0; i < sizeof cut / sizeof cut[0]; i++) {
		p = write_base(dir, "t.vhdx", img);
		ck_assert_int_eq(truncate(p, (off_t)cut[i]), 0);
		hv_err rc = vdisk_open(p, 0, &vd, &f);
		if (cut[i] < 8) {
			ck_assert_int_eq(rc, HV_OK); /* too short to be anything but raw */
			ck_assert_int_eq(vdisk_get_format(vd), VDISK_FMT_RAW);
			vdisk_close(vd);
		} else {
			ck_assert_int_ne(rc, HV_OK);
		}
		free(p);
	}
	/* a dynamic disk cut inside a data block reads zeros and says so */
	p = write_base(dir, "cut.vhdx", img);
	uint64_t data0;
	read_at(p, BAT_OFF, e, 8);
	data0 = ld64le(e) >> 20 << 20;
	ck_assert_int_eq(truncate(p, (off_t)(data0 + 4096)), 0);
	ck_assert_int_eq(vdisk_open(p, 0, &vd, &f), HV_OK);
	ck_assert_int_eq(vdisk_read(vd, 0, b, 8192), HV_ERR_CORRUPT);
	ck_assert_mem_eq(b, img, 4096);
	vdisk_close(vd);
	free(b);
	findings_free(&f);
	free(img);
	tu_rmtree(dir);
	free(p);
	free(dir);
}
END_TEST

/* ---- differencing chains ---- */

typedef struct {
	char *dir;
	uint8_t *base_img, *child_img, *present;
	size_t len;
	char *base;
} chain_fx;

/* GPT disk with a BitLocker volume: TPM only in the base, + recovery password in the child. */
static uint8_t *bl_disk(bool with_recovery, size_t len)
{
	fvew_spec s;
	fvew_default(&s);
	fvew_add(&s, 0x0100, 1);
	if (with_recovery)
		fvew_add(&s, 0x0800, 2);
	uint8_t *d = calloc(1, len);
	gptw_part part = { 2048, len / 512 - 2048 - 40, BASIC_DATA, "OS" };
	ck_assert(gptw_build(d, len, 512, &part, 1));
	ck_assert(fvew_build(&s, d + MIB, len - 2 * MIB));
	return d;
}

static void chain_setup(chain_fx *c)
{
	c->dir = tu_mkdtemp();
	c->len = VSIZE;
	c->base_img = bl_disk(false, c->len);
	c->child_img = bl_disk(true, c->len);
	for (size_t k = 0; k < MIB; k++) /* a whole block rewritten in the child */
		c->child_img[10 * MIB + k] = (uint8_t)(k % 251);
	c->present = calloc(1, c->len / 512);
	for (size_t s = 0; s < c->len / 512; s++)
		c->present[s] = memcmp(c->base_img + s * 512, c->child_img + s * 512, 512) != 0;
	c->base = tu_join(c->dir, "base.vhdx");
	vhdxw_spec w = { .virtual_size = c->len };
	memcpy(w.data_write_guid, DWG, 16);
	ck_assert(vhdxw_write(c->base, &w, c->base_img, c->len, NULL));
}

static char *chain_child(chain_fx *c, const char *name, const char *linkage, const char *rel,
			 const char *abs)
{
	char *p = tu_join(c->dir, name);
	vhdxw_spec w = { .virtual_size = c->len, .has_parent = true, .parent_linkage = linkage,
			 .relative_path = rel, .absolute_path = abs };
	w.data_write_guid[0] = (uint8_t)name[0];
	ck_assert(vhdxw_write(p, &w, c->child_img, c->len, c->present));
	return p;
}

static void chain_free(chain_fx *c)
{
	tu_rmtree(c->dir);
	free(c->dir);
	free(c->base);
	free(c->base_img);
	free(c->child_img);
	free(c->present);
}

#define LINK "{44332211-6655-8877-99AA-BBCCDDEEF001}"

START_TEST(differencing_chain_reads_the_leaf)
{
	chain_fx c;
	chain_setup(&c);
	char *child = chain_child(&c, "child.avhdx", LINK, ".\\base.vhdx", "C:\\VMs\\base.vhdx");
	hv_findings f = { 0 };
	vdisk *vd;
	ck_assert_int_eq(vdisk_open(child, 0, &vd, &f), HV_OK);
	ck_assert_uint_eq(vdisk_chain_len(vd), 2);
	ck_assert(vdisk_chain_ok(vd));
	ck_assert_int_eq(vdisk_chain(vd, 0)->kind, VDISK_KIND_DIFFERENCING);
	ck_assert_str_eq(vdisk_chain(vd, 0)->parent_linkage, "44332211-6655-8877-99AA-BBCCDDEEF001");
	ck_assert_str_eq(vdisk_chain(vd, 1)->data_write_guid, vdisk_chain(vd, 0)->parent_linkage);
	ck_assert(!vdisk_chain(vd, 1)->outside_tree);
	ck_assert(block_equals(vd, 0, c.child_img, c.len));
	disk_check a;
	ck_assert_int_eq(disk_check_read(vd, &a, &f), HV_OK);
	ck_assert_int_eq(a.s.overall.kind, SURV_SURVIVABLE);
	disk_check_free(&a);
	char *desc = vdisk_chain_describe(vd);
	ck_assert_ptr_nonnull(strstr(desc, "child.avhdx (vhdx differencing) -> "));
	free(desc);
	vdisk_close(vd);

	/* the base alone shows the stale, TPM-only list */
	ck_assert_int_eq(vdisk_open(c.base, 0, &vd, &f), HV_OK);
	ck_assert_int_eq(disk_check_read(vd, &a, &f), HV_OK);
	ck_assert_int_eq(a.s.overall.kind, SURV_TPM_ONLY);
	disk_check_free(&a);
	vdisk_close(vd);

	/* the leaf alone: parent data is missing */
	ck_assert_int_eq(vdisk_open(child, VDISK_NO_PARENT, &vd, &f), HV_OK);
	ck_assert(!vdisk_chain_ok(vd));
	uint8_t b[512];
	ck_assert_int_eq(vdisk_read(vd, 0, b, sizeof b), HV_ERR_CORRUPT);
	vdisk_close(vd);
	findings_free(&f);
	free(child);
	chain_free(&c);
}
END_TEST

START_TEST(broken_parent_links_are_reported)
{
	chain_fx c;
	chain_setup(&c);
	hv_findings f = { 0 };
	vdisk *vd;
	char *bad = chain_child(&c, "bad.avhdx", "{00000000-1111-2222-3333-444444444444}",
				"base.vhdx", NULL);
	ck_assert_int_eq(vdisk_open(bad, 0, &vd, &f), HV_OK);
	ck_assert(!vdisk_chain_ok(vd));
	ck_assert(vdisk_best_effort(vd));
	const vdisk_layer_info *l = vdisk_chain(vd, 0);
	ck_assert(!l->ok);
	ck_assert_ptr_nonnull(strstr(l->problem, "00000000-1111-2222-3333-444444444444"));
	ck_assert_ptr_nonnull(strstr(l->problem, "44332211-6655-8877-99AA-BBCCDDEEF001"));
	ck_assert(block_equals(vd, 0, c.child_img, c.len)); /* still read, best effort */
	vdisk_close(vd);
	free(bad);

	char *miss = chain_child(&c, "miss.avhdx", LINK, "missing.vhdx", NULL);
	ck_assert_int_eq(vdisk_open(miss, 0, &vd, &f), HV_OK);
	ck_assert_uint_eq(vdisk_chain_len(vd), 1);
	ck_assert_ptr_nonnull(strstr(vdisk_chain(vd, 0)->problem, "parent not found"));
	ck_assert(has_finding(&f, "missing.vhdx"));
	disk_check a;
	disk_check_read(vd, &a, &f);
	ck_assert(has_finding(&f, "missing parent"));
	disk_check_free(&a);
	char *desc = vdisk_chain_describe(vd);
	ck_assert_ptr_nonnull(strstr(desc, "(parent missing)"));
	free(desc);
	vdisk_close(vd);
	free(miss);

	char *self = chain_child(&c, "self.avhdx", LINK, "self.avhdx", NULL);
	ck_assert_int_eq(vdisk_open(self, 0, &vd, &f), HV_OK);
	ck_assert_ptr_nonnull(strstr(vdisk_chain(vd, 0)->problem, "cycle"));
	vdisk_close(vd);
	free(self);
	findings_free(&f);
	chain_free(&c);
}
END_TEST

static int resolver_calls;

static hv_err fixed_resolver(void *ctx, const char *child, const vdisk_parent_hint *h,
			     char **parent, bool *outside, hv_findings *f)
{
	(void)child;
	(void)f;
	resolver_calls++;
	ck_assert_str_eq(h->relative_path, "nowhere\\x.vhdx");
	ck_assert_str_eq(h->parent_linkage, "44332211-6655-8877-99AA-BBCCDDEEF001");
	*parent = strdup(ctx);
	*outside = false;
	return HV_OK;
}

START_TEST(resolver_policy)
{
	chain_fx c;
	chain_setup(&c);
	hv_findings f = { 0 };
	vdisk *vd;
	/* case-insensitive relative path */
	char *ci = chain_child(&c, "ci.avhdx", LINK, "BASE.VHDX", NULL);
	ck_assert_int_eq(vdisk_open(ci, 0, &vd, &f), HV_OK);
	ck_assert(vdisk_chain_ok(vd));
	vdisk_close(vd);
	free(ci);

	/* absolute path: found, but flagged as outside the tree */
	char *abs = chain_child(&c, "abs.avhdx", LINK, "gone\\base.vhdx", c.base);
	ck_assert_int_eq(vdisk_open(abs, 0, &vd, &f), HV_OK);
	ck_assert(vdisk_chain_ok(vd));
	ck_assert(vdisk_chain(vd, 1)->outside_tree);
	ck_assert(has_finding(&f, "outside the evidence tree"));
	vdisk_close(vd);
	free(abs);

	/* by name from the caller's list */
	char *named = chain_child(&c, "named.avhdx", LINK, "elsewhere\\base.vhdx",
				  "D:\\x\\base.vhdx");
	const char *files[] = { "/nonexistent/base.vhdx", c.base };
	vdisk_search_list sl = { files, 2 };
	vdisk_opts o = { .resolve_ctx = &sl };
	ck_assert_int_eq(vdisk_open_ex(named, &o, &vd, &f), HV_OK);
	ck_assert(vdisk_chain_ok(vd));
	ck_assert(!vdisk_chain(vd, 1)->outside_tree);
	vdisk_close(vd);
	ck_assert_int_eq(vdisk_open(named, 0, &vd, &f), HV_OK); /* without the list */
	ck_assert(!vdisk_chain_ok(vd));
	vdisk_close(vd);
	free(named);

	/* the caller's own resolver */
	char *own = chain_child(&c, "own.avhdx", LINK, "nowhere\\x.vhdx", NULL);
	vdisk_opts o2 = { .resolve = fixed_resolver, .resolve_ctx = c.base };
	resolver_calls = 0;
	ck_assert_int_eq(vdisk_open_ex(own, &o2, &vd, &f), HV_OK);
	ck_assert_int_eq(resolver_calls, 1);
	ck_assert(vdisk_chain_ok(vd));
	vdisk_close(vd);

	/* depth cap: own -> base is 2 files */
	vdisk_opts o3 = { .resolve = fixed_resolver, .resolve_ctx = c.base, .max_depth = 1 };
	ck_assert_int_eq(vdisk_open_ex(own, &o3, &vd, &f), HV_OK);
	ck_assert(!vdisk_chain_ok(vd));
	ck_assert_ptr_nonnull(strstr(vdisk_chain(vd, 0)->problem, "deeper than 1"));
	vdisk_close(vd);
	free(own);
	findings_free(&f);
	chain_free(&c);
}
END_TEST

START_TEST(vhd_differencing_chain)
{
	chain_fx c;
	chain_setup(&c);
	char *base = tu_join(c.dir, "base.vhd"), *child = tu_join(c.dir, "child.vhd");
	vhdw_spec b = { .type = 3, .size = c.len };
	memset(b.uuid, 0x42, 16);
	ck_assert(vhdw_write(base, &b, c.base_img, c.len, NULL));
	vhdw_spec d = { .type = 4, .size = c.len, .parent_name = "base.vhd",
			.w2ru = ".\\base.vhd", .w2ku = "C:\\VMs\\base.vhd" };
	memset(d.uuid, 0x43, 16);
	memset(d.parent_uuid, 0x42, 16);
	ck_assert(vhdw_write(child, &d, c.child_img, c.len, c.present));
	hv_findings f = { 0 };
	vdisk *vd;
	ck_assert_int_eq(vdisk_open(child, 0, &vd, &f), HV_OK);
	ck_assert_int_eq(vdisk_get_format(vd), VDISK_FMT_VHD);
	ck_assert_uint_eq(vdisk_chain_len(vd), 2);
	ck_assert(vdisk_chain_ok(vd));
	ck_assert(block_equals(vd, 0, c.child_img, c.len));
	disk_check a;
	ck_assert_int_eq(disk_check_read(vd, &a, &f), HV_OK);
	ck_assert_int_eq(a.s.overall.kind, SURV_SURVIVABLE);
	disk_check_free(&a);
	vdisk_close(vd);
	ck_assert_int_eq(vdisk_open(base, 0, &vd, &f), HV_OK);
	ck_assert(block_equals(vd, 0, c.base_img, c.len));
	vdisk_close(vd);

	/* wrong parent UUID */
	memset(d.parent_uuid, 0x99, 16);
	ck_assert(vhdw_write(child, &d, c.child_img, c.len, c.present));
	ck_assert_int_eq(vdisk_open(child, 0, &vd, &f), HV_OK);
	ck_assert(!vdisk_chain_ok(vd));
	ck_assert_ptr_nonnull(strstr(vdisk_chain(vd, 0)->problem, "parent UUID"));
	vdisk_close(vd);

	/* a damaged end footer falls back to the copy at offset 0 */
	size_t n;
	uint8_t *raw = tu_read(base, &n);
	ck_assert(tw_poke(base, n - 512 + 70, 1));
	ck_assert_int_eq(vdisk_open(base, 0, &vd, &f), HV_OK);
	ck_assert(has_finding(&f, "copy at offset 0"));
	ck_assert(block_equals(vd, 0, c.base_img, c.len));
	vdisk_close(vd);
	free(raw);
	findings_free(&f);
	free(base);
	free(child);
	chain_free(&c);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("vhdx");
	TCase *tc = tcase_create("log");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, dirty_log_replays_into_overlay_only);
	tcase_add_test(tc, log_tail_selects_the_active_sequence);
	tcase_add_test(tc, log_changes_metadata_and_zero_descriptors);
	tcase_add_test(tc, log_entry_wrapping_the_ring);
	suite_add_tcase(s, tc);
	tc = tcase_create("structure");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, header_fallback_and_equal_sequences);
	tcase_add_test(tc, region_tables_and_metadata_checks);
	tcase_add_test(tc, hostile_bat_entries_and_truncation);
	suite_add_tcase(s, tc);
	tc = tcase_create("chains");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, differencing_chain_reads_the_leaf);
	tcase_add_test(tc, broken_parent_links_are_reported);
	tcase_add_test(tc, resolver_policy);
	tcase_add_test(tc, vhd_differencing_chain);
	suite_add_tcase(s, tc);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
