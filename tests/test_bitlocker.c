/*
 * test_bitlocker.c - the six real BitLocker volumes of the corpus
 * (tests/corpus/bitlocker, facts in tests/corpus/README.md s.2.3), each
 * wrapped into a GPT disk (sparse) and a dynamic VHDX made by qemu-img, must
 * yield exactly the documented facts; cryptsetup bitlkDump is the
 * independent oracle for the protector list, on the corpus volumes and on
 * synthesized ones.
 *
 * The images decompress to up to 2.9 GB: they are streamed through zlib,
 * only non-zero 64 KiB pieces are written (sparse files), and the stream is
 * stopped after the furthest FVE metadata block named by the boot sector
 * (the volume size comes from the gzip trailer).
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>
#include <zlib.h>

#include "analysis/survive.h"
#include "formats/bitlocker.h"
#include "formats/partition.h"
#include "formats/vdisk.h"
#include "support/disk_check.h"
#include "support/fve_writer.h"
#include "support/testutil.h"
#include "support/vhdx_writer.h"
#include "util/bytes.h"
#include "util/text.h"

#define MIB (1024u * 1024u)
#define PIECE 0x10000u
#define BASIC_DATA "EBD0A0A2-B9E5-4433-87C0-68B6B72699C7"

/* ---- streaming a corpus volume into sparse files ---- */

typedef struct {
	char *dir;
	char *vol;      /* the volume alone (for bitlkDump) */
	char *raw;      /* GPT disk, volume at 1 MiB */
	uint64_t vsize;
} wrapped;

static uint64_t gzip_isize(const char *gz)
{
	int fd = open(gz, O_RDONLY);
	ck_assert_int_ge(fd, 0);
	off_t end = lseek(fd, 0, SEEK_END);
	uint8_t b[4];
	ck_assert_int_eq(pread(fd, b, 4, end - 4), 4);
	close(fd);
	return ld32le(b);
}

static bool zero(const uint8_t *p, size_t n)
{
	static const uint8_t z[PIECE];
	return memcmp(p, z, n) == 0;
}

static void put(int fd, const uint8_t *p, size_t n, uint64_t off)
{
	ck_assert_int_eq(pwrite(fd, p, n, (off_t)off), (ssize_t)n);
}

static void wrap_corpus(const char *gz, wrapped *w)
{
	w->dir = tu_mkdtemp();
	w->vol = tu_join(w->dir, "volume.bin");
	w->raw = tu_join(w->dir, "disk.raw");
	w->vsize = gzip_isize(gz);
	ck_assert_uint_eq(w->vsize % 512, 0);
	uint64_t dsize = MIB + (w->vsize + MIB - 1) / MIB * MIB + MIB;
	gptw_part part = { 2048, 2048 + w->vsize / 512 - 1, BASIC_DATA, "Basic data partition" };
	ck_assert(gptw_write_file(w->raw, dsize, 512, &part, 1));
	int vfd = open(w->vol, O_CREAT | O_TRUNC | O_WRONLY, 0644);
	int dfd = open(w->raw, O_WRONLY);
	ck_assert(vfd >= 0 && dfd >= 0);
	gzFile g = gzopen(gz, "rb");
	ck_assert_ptr_nonnull(g);
	gzbuffer(g, 256 * 1024);
	uint8_t *buf = malloc(MIB);
	uint64_t off = 0, stop = w->vsize;
	for (;;) {
		int r = gzread(g, buf, MIB);
		ck_assert_int_ge(r, 0);
		if (r == 0)
			break;
		if (off == 0) { /* the boot sector names the metadata blocks */
			uint64_t m = 0;
			for (int i = 0; i < 3; i++)
				if (ld64le(buf + 176 + 8 * i) > m)
					m = ld64le(buf + 176 + 8 * i);
			if (m + PIECE < stop)
				stop = m + PIECE;
		}
		for (size_t k = 0; k < (size_t)r; k += PIECE) {
			size_t n = (size_t)r - k < PIECE ? (size_t)r - k : PIECE;
			if (zero(buf + k, n))
				continue;
			put(vfd, buf + k, n, off + k);
			put(dfd, buf + k, n, MIB + off + k);
		}
		off += (uint64_t)r;
		if (off >= stop)
			break;
	}
	gzclose(g);
	free(buf);
	ck_assert_int_eq(ftruncate(vfd, (off_t)w->vsize), 0);
	close(vfd);
	close(dfd);
}

static void wrapped_free(wrapped *w)
{
	tu_rmtree(w->dir);
	free(w->dir);
	free(w->vol);
	free(w->raw);
}

/* ---- the documented facts (corpus README 2.3) ---- */

typedef struct {
	const char *guid;
	uint16_t type;
	const char *name;   /* nested name string, or NULL for none */
} pfact;

typedef struct {
	const char *file;
	part_class cls;
	uint16_t method;
	uint32_t method_raw;
	const char *volume_guid;
	pfact prot[3];
	size_t nprot;
	uint16_t state_current, state_next;
	uint64_t blocks[3];
	bde_block_status status[3];
	const char *description;
	const char *created;
	uint64_t encrypted_size;
	surv_kind surv;
	bool cryptsetup_reads_it;
} cfact;

#define DESC_1008 "DESKTOP-QNI1MMF TestVolume 10/8/2021"
#define OK3 { BDE_BLOCK_OK, BDE_BLOCK_OK, BDE_BLOCK_OK }
#define BLOCKS_A { 0x21F0000, 0x2946000, 0x309B000 }

static const cfact facts[] = {
	{ "aes_128.bin.gz", PART_CLASS_BITLOCKER, 0x8002, 0x80028002,
	  "bf4cf543-fdab-4dcd-8409-718f3334c6bd",
	  { { "b1ca4ba2-ae7c-447c-8395-a484fc010f1b", 0x2000, NULL } }, 1, 4, 4, BLOCKS_A, OK3,
	  DESC_1008, "2021-10-08T18:09:00.720166Z", 65994752, SURV_SURVIVABLE, true },
	{ "aes-xts_128.bin.gz", PART_CLASS_BITLOCKER, 0x8004, 0x80048004,
	  "19540fda-3072-4554-9ddc-9df7343ef068",
	  { { "55faeded-603a-459f-8f6b-325cf781f971", 0x2000, NULL } }, 1, 4, 4, BLOCKS_A, OK3,
	  DESC_1008, "2021-10-08T18:09:21.614496Z", 65994752, SURV_SURVIVABLE, true },
	{ "recovery_password.bin.gz", PART_CLASS_BITLOCKER, 0x8004, 0x00008004,
	  "8e6909f1-6ba3-49ea-bf8d-ec83fab656cd",
	  { { "3c116b76-c67b-484e-b439-ce2ed68b561e", 0x0800, "DiskPassword" },
	    { "6dd54bcd-633d-4836-9ebc-44fa02f1776d", 0x2000, NULL } }, 2, 4, 4, BLOCKS_A, OK3,
	  DESC_1008, "2021-10-08T18:09:40.451228Z", 65994752, SURV_SURVIVABLE, true },
	{ "decrypted.bin.gz", PART_CLASS_BITLOCKER_EOW, 0x0000, 0,
	  "5990e160-faf6-4ad6-becd-2ced35d2b4d5", { { NULL, 0, NULL } }, 0, 1, 1, BLOCKS_A, OK3,
	  NULL, "2021-10-12T16:24:19.617784Z", 0, SURV_NOT_ENCRYPTED, false },
	{ "eow_partial.bin.gz", PART_CLASS_BITLOCKER_EOW, 0x8002, 0x80028002,
	  "9a1ecf8f-7004-4ca6-b587-33503bf0aa30",
	  { { "fd2a5af1-71e3-4729-a771-bc365f0ac9f9", 0x2000, NULL } }, 1, 4, 4,
	  { 0x21F0000, 0x93F0000, 0x105F0000 }, OK3, "DESKTOP-QNI1MMF TestVolume 10/12/2021",
	  "2021-10-12T16:46:07.731578Z", 1072627712, SURV_SURVIVABLE, true },
	{ "win7_partial.bin.gz", PART_CLASS_BITLOCKER, 0x8003, 0x00008003,
	  "e52e1db4-e1b9-474b-92f6-a2a33b34491a",
	  { { "6732dbac-3c5f-4e5d-a0cc-a367de2ee3a3", 0x0200, NULL },
	    { "8f716353-9c42-4c8e-a3bc-768def089e9d", 0x0800, NULL },
	    { "f705a303-c66a-46bb-acbe-61d73c93d052", 0x0000, NULL } }, 3, 3, 1,
	  { 0x2E2C000, 0x9C9D5000, 0xAB599000 },
	  { BDE_BLOCK_OK, BDE_BLOCK_ZEROED, BDE_BLOCK_ZEROED }, "USER-PC C: 10/21/2021",
	  "2021-10-21T20:29:27.961952Z", 1143820288, SURV_SUSPENDED, true },
};

static void check_volume(const cfact *c, const disk_check *a, const char *what)
{
	ck_assert_msg(a->f.parts.n == 1, "%s: %zu partitions", what, a->f.parts.n);
	const part_entry *p = &a->f.parts.v[0];
	ck_assert_int_eq(p->cls, c->cls);
	ck_assert_int_eq(a->f.vol_rc[0], HV_OK);
	const bde_volume *v = &a->f.vols[0];
	ck_assert_uint_eq(v->version, 2);
	ck_assert_uint_eq(v->bytes_per_sector, 512);
	ck_assert_uint_eq(v->method, c->method);
	ck_assert_uint_eq(v->method_raw, c->method_raw);
	ck_assert_msg(strcasecmp(v->volume_guid_str, c->volume_guid) == 0, "%s: volume %s", what,
		      v->volume_guid_str);
	ck_assert_uint_eq(v->state_current, c->state_current);
	ck_assert_uint_eq(v->state_next, c->state_next);
	ck_assert_uint_eq(v->encrypted_size, c->encrypted_size);
	for (int i = 0; i < 3; i++) {
		ck_assert_uint_eq(v->block_offset[i], c->blocks[i]);
		ck_assert_int_eq(v->block_status[i], c->status[i]);
	}
	ck_assert_int_eq(v->block_used, 0);
	ck_assert(v->crc_verified);
	ck_assert(!v->copies_differ);
	if (c->description)
		ck_assert_str_eq(v->description, c->description);
	else
		ck_assert_ptr_null(v->description);
	char iso[32];
	ck_assert(filetime_to_iso(v->creation_time, iso));
	ck_assert_str_eq(iso, c->created);
	ck_assert_uint_eq(v->nprot, c->nprot);
	for (size_t i = 0; i < c->nprot; i++) {
		ck_assert_msg(strcasecmp(v->prot[i].guid_str, c->prot[i].guid) == 0,
			      "%s: protector %zu is %s", what, i, v->prot[i].guid_str);
		ck_assert_uint_eq(v->prot[i].type_value, c->prot[i].type);
		if (c->prot[i].name)
			ck_assert_str_eq(v->prot[i].name, c->prot[i].name);
		else
			ck_assert_ptr_null(v->prot[i].name);
		if (c->prot[i].type == 0x0800)
			ck_assert_uint_eq(strncasecmp(v->prot[i].recovery_key_id, c->prot[i].guid, 8), 0);
		else
			ck_assert_str_eq(v->prot[i].recovery_key_id, "");
	}
	ck_assert_int_eq(v->has_fvek, c->nprot > 0);
	ck_assert_int_eq(a->s.overall.kind, c->surv);
}

/* ---- cryptsetup bitlkDump ---- */

static const char *cryptsetup_protection(uint16_t t)
{
	switch (t) {
	case 0x0000: return "VMK protected with clear key";
	case 0x0100: return "VMK protected with TPM";
	case 0x0200: return "VMK protected with startup key";
	case 0x0500: return "VMK protected with TPM and PIN";
	case 0x0800: return "VMK protected with recovery passphrase";
	case 0x1000: return "VMK protected with smart card";
	case 0x2000: return "VMK protected with passphrase";
	}
	return "VMK with unknown protection";
}

static char *field(char *line, const char *key)
{
	char *p = strstr(line, key);
	if (!p)
		return NULL;
	p += strlen(key);
	while (*p == ' ' || *p == '\t')
		p++;
	return p;
}

/* Compares bitlkDump's view of vol with v; false when bitlkDump refuses the volume. */
static bool same_as_cryptsetup(const char *vol, const bde_volume *v)
{
	char *argv[] = { "cryptsetup", "bitlkDump", (char *)vol, NULL };
	tu_run_result r = tu_run(argv, NULL, NULL);
	if (r.status != 0) {
		tu_run_free(&r);
		return false;
	}
	size_t n = 0;
	bool in_vmk = false, keyslots = false;
	for (char *line = strtok(r.out, "\n"); line; line = strtok(NULL, "\n")) {
		char *x;
		if (strstr(line, "Keyslots:"))
			keyslots = true;
		if (keyslots && strstr(line, ": VMK")) {
			in_vmk = true;
			n++;
			continue;
		}
		if (keyslots && strstr(line, ": FVEK"))
			in_vmk = false;
		if (!keyslots && (x = field(line, "GUID:")))
			ck_assert_int_eq(strcasecmp(x, v->volume_guid_str), 0);
		if (!keyslots && (x = field(line, "Description:")))
			ck_assert_str_eq(x, v->description ? v->description : "");
		if (!in_vmk || n == 0 || n > v->nprot)
			continue;
		if ((x = field(line, "GUID:")))
			ck_assert_int_eq(strcasecmp(x, v->prot[n - 1].guid_str), 0);
		if ((x = field(line, "Protection:")))
			ck_assert_str_eq(x, cryptsetup_protection(v->prot[n - 1].type_value));
		if ((x = field(line, "Name:")))
			ck_assert_str_eq(x, v->prot[n - 1].name ? v->prot[n - 1].name : "");
	}
	ck_assert_uint_eq(n, v->nprot);
	tu_run_free(&r);
	return true;
}

/* ---- corpus ---- */

static void assess_file(const char *path, disk_check *a, vdisk **vd, hv_findings *f)
{
	ck_assert_int_eq(vdisk_open(path, 0, vd, f), HV_OK);
	ck_assert_int_eq(disk_check_read(*vd, a, f), HV_OK);
}

static void corpus_case(const cfact *c)
{
	char *gz = tu_corpus("bitlocker", c->file);
	wrapped w;
	wrap_corpus(gz, &w);
	hv_findings f = { 0 };
	vdisk *vd;
	disk_check a;
	assess_file(w.raw, &a, &vd, &f);
	check_volume(c, &a, "raw disk");
	ck_assert_uint_lt(vdisk_bytes_read(vd), 2 * MIB);
	disk_check_free(&a);
	vdisk_close(vd);
	if (tu_have("qemu-img")) {
		char *vx = tu_join(w.dir, "disk.vhdx");
		ck_assert_int_eq(tu_sh("qemu-img convert -f raw -O vhdx -o subformat=dynamic "
				       "'%s' '%s'", w.raw, vx), 0);
		assess_file(vx, &a, &vd, &f);
		ck_assert_int_eq(vdisk_get_format(vd), VDISK_FMT_VHDX);
		check_volume(c, &a, "vhdx");
		disk_check_free(&a);
		vdisk_close(vd);
		free(vx);
	}
	if (tu_have("cryptsetup")) {
		assess_file(w.raw, &a, &vd, &f);
		ck_assert_int_eq(same_as_cryptsetup(w.vol, &a.f.vols[0]), c->cryptsetup_reads_it);
		disk_check_free(&a);
		vdisk_close(vd);
	}
	findings_free(&f);
	wrapped_free(&w);
	free(gz);
}

START_TEST(corpus_volume)
{
	corpus_case(&facts[_i]);
}
END_TEST

/* ---- synthesized volumes against cryptsetup ---- */

START_TEST(synthesized_volumes_match_cryptsetup)
{
	if (!tu_have("cryptsetup"))
		TEST_SKIP("cryptsetup not installed");
	static const uint16_t sets[][4] = {
		{ 0x0100, 0x0800, 0, 0 }, { 0x0500, 0x0200, 0, 0 }, { 0x2000, 0x1000, 0x0100, 0 },
		{ 0x0000, 0x0100, 0, 0 },
	};
	static const size_t nset[] = { 2, 2, 3, 2 };
	char *dir = tu_mkdtemp(), *p = tu_join(dir, "v.bin");
	for (size_t k = 0; k < 4; k++) {
		fvew_spec s;
		fvew_default(&s);
		for (size_t i = 0; i < nset[k]; i++)
			fvew_add(&s, sets[k][i], (uint8_t)(i + 1));
		size_t len = 64 * MIB;
		uint8_t *vol = calloc(1, len);
		ck_assert(fvew_build(&s, vol, len));
		ck_assert(tw_write_sparse(p, vol, len));
		hv_findings f = { 0 };
		vdisk *vd;
		ck_assert_int_eq(vdisk_open_mem(vol, len, "v.bin", VDISK_MEM_BORROW, &vd, &f), HV_OK);
		bde_volume v;
		ck_assert_int_eq(bde_read(vd, 0, len, &v, &f), HV_OK);
		ck_assert_uint_eq(v.nprot, nset[k]);
		ck_assert(same_as_cryptsetup(p, &v));
		bde_volume_free(&v);
		vdisk_close(vd);
		findings_free(&f);
		free(vol);
	}
	tu_rmtree(dir);
	free(p);
	free(dir);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("bitlocker");
	TCase *tc = tcase_create("corpus");
	tcase_set_timeout(tc, 180);
	tcase_add_loop_test(tc, corpus_volume, 0, (int)(sizeof facts / sizeof facts[0]));
	suite_add_tcase(s, tc);
	tc = tcase_create("oracle");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, synthesized_volumes_match_cryptsetup);
	suite_add_tcase(s, tc);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
