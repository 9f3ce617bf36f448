/*
 * test_disk.c - virtual disks end to end: qemu-made VHDX/VHD against the raw
 * image, partition tables (GPT, 4Kn, MBR with logical partitions, whole-disk
 * volumes) against mmls, synthesized BitLocker protector sets and their
 * survivability, metadata-copy fallback, the disk report, and the bytes read
 * for a 100 GiB dynamic VHDX.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <json-c/json.h>

#include "analysis/survive.h"
#include "formats/bitlocker.h"
#include "formats/partition.h"
#include "formats/vdisk.h"
#include "report/disk_report.h"
#include "support/disk_check.h"
#include "support/fve_writer.h"
#include "support/testutil.h"
#include "support/vhdx_writer.h"
#include "util/fileio.h"

#define MIB (1024u * 1024u)
#define BASIC_DATA "EBD0A0A2-B9E5-4433-87C0-68B6B72699C7"
#define ESP_TYPE "C12A7328-F81F-11D2-BA4B-00A0C93EC93B"
#define MSR_TYPE "E3C9E316-0B5C-4DB8-817D-F92DF00215AE"

/* ---- fixtures ---- */

static uint8_t *fve_volume(const fvew_spec *s, size_t *len)
{
	size_t n = fvew_needed(s);
	n = (n + MIB - 1) / MIB * MIB;
	uint8_t *v = calloc(1, n);
	ck_assert(fvew_build(s, v, n));
	*len = n;
	return v;
}

/* GPT disk (sector ss) with an ESP, an MSR and the volume as basic data at 1 MiB + 2 MiB. */
static uint8_t *gpt_disk(const uint8_t *vol, size_t vlen, uint32_t ss, size_t *dlen)
{
	size_t n = 4 * MIB + vlen + MIB;
	uint8_t *d = calloc(1, n);
	uint64_t m = MIB / ss;
	gptw_part p[3] = {
		{ m, 2 * m - 1, ESP_TYPE, "EFI system partition" },
		{ 2 * m, 3 * m - 1, MSR_TYPE, "Microsoft reserved partition" },
		{ 3 * m, 3 * m + vlen / ss - 1, BASIC_DATA, "Basic data partition" },
	};
	ck_assert(gptw_build(d, n, ss, p, 3));
	memcpy(d + 3 * MIB, vol, vlen);
	*dlen = n;
	return d;
}

typedef struct {
	vdisk *vd;
	disk_check a;
	hv_findings f;
	uint8_t *img;
} mem_disk;

static void md_open(mem_disk *m, uint8_t *img, size_t len)
{
	memset(m, 0, sizeof *m);
	m->img = img;
	ck_assert_int_eq(vdisk_open_mem(img, len, "mem.img", VDISK_MEM_BORROW, &m->vd, &m->f),
			 HV_OK);
	disk_check_read(m->vd, &m->a, &m->f);
}

static void md_close(mem_disk *m)
{
	disk_check_free(&m->a);
	vdisk_close(m->vd);
	findings_free(&m->f);
	free(m->img);
}

/* Opens a GPT disk around the volume described by s. */
static void md_from_spec(mem_disk *m, const fvew_spec *s)
{
	size_t vl, dl;
	uint8_t *vol = fve_volume(s, &vl);
	uint8_t *d = gpt_disk(vol, vl, 512, &dl);
	free(vol);
	md_open(m, d, dl);
}

static const part_entry *bitlocker_part(const mem_disk *m, size_t *idx)
{
	for (size_t i = 0; i < m->a.f.parts.n; i++) {
		if (part_class_is_bitlocker(m->a.f.parts.v[i].cls)) {
			*idx = i;
			return &m->a.f.parts.v[i];
		}
	}
	return NULL;
}

static bool has_finding(const hv_findings *f, const char *needle)
{
	for (size_t i = 0; i < f->n; i++)
		if (strstr(f->v[i].msg, needle))
			return true;
	return false;
}

/* ---- protector sets ---- */

START_TEST(tpm_only_is_not_survivable)
{
	fvew_spec s;
	fvew_default(&s);
	fvew_add(&s, 0x0100, 1);
	mem_disk m;
	md_from_spec(&m, &s);
	ck_assert_int_eq(m.a.f.parts_rc, HV_OK);
	ck_assert_int_eq(m.a.f.parts.scheme, PART_SCHEME_GPT);
	ck_assert_uint_eq(m.a.f.parts.n, 3);
	ck_assert_str_eq(m.a.f.parts.v[0].type_name, "EFI system");
	ck_assert_int_eq(m.a.f.parts.v[0].cls, PART_CLASS_NOT_EXAMINED);
	ck_assert_str_eq(m.a.f.parts.v[1].type_name, "Microsoft reserved");
	ck_assert_str_eq(m.a.f.parts.v[2].name, "Basic data partition");
	size_t i;
	ck_assert_ptr_nonnull(bitlocker_part(&m, &i));
	ck_assert_uint_eq(i, 2);
	const bde_volume *v = &m.a.f.vols[i];
	ck_assert_int_eq(m.a.f.vol_rc[i], HV_OK);
	ck_assert_uint_eq(v->nprot, 1);
	ck_assert_uint_eq(v->prot[0].type_value, 0x0100);
	ck_assert(v->prot[0].has_tpm_blob);
	ck_assert_str_eq(v->prot[0].recovery_key_id, "");
	ck_assert_str_eq(v->description, "TESTHOST C: 1/2/2024");
	ck_assert_str_eq(v->volume_guid_str, "A3A2A1A0-A5A4-A7A6-A8A9-AAABACADAEAF");
	ck_assert_int_eq(v->block_used, 0);
	ck_assert(v->crc_verified);
	ck_assert(v->has_fvek);
	ck_assert_int_eq(m.a.s.surv[i].kind, SURV_TPM_ONLY);
	ck_assert_int_eq(m.a.s.overall.kind, SURV_TPM_ONLY);
	ck_assert_int_eq(m.a.s.surv[0].kind, SURV_NOT_ENCRYPTED);
	md_close(&m);
}
END_TEST

START_TEST(recovery_password_makes_it_survivable)
{
	fvew_spec s;
	fvew_default(&s);
	fvew_add(&s, 0x0100, 1);
	fvew_add(&s, 0x0800, 2);
	s.prot[1].escrow_hint = true;
	mem_disk m;
	md_from_spec(&m, &s);
	size_t i;
	ck_assert_ptr_nonnull(bitlocker_part(&m, &i));
	const bde_volume *v = &m.a.f.vols[i];
	ck_assert_uint_eq(v->nprot, 2);
	const bde_protector *p = &v->prot[1];
	ck_assert_uint_eq(p->type_value, 0x0800);
	ck_assert_str_eq(p->name, "DiskPassword");
	ck_assert(p->has_stretch_key && p->has_aes_ccm && p->possibly_escrowed);
	ck_assert_str_eq(p->guid_str, "23222120-2524-2726-2829-2A2B2C2D2E2F");
	ck_assert_str_eq(p->recovery_key_id, "23222120");
	ck_assert_int_eq(bde_win32_protector_type(p->type_value), 3);
	ck_assert_int_eq(m.a.s.overall.kind, SURV_SURVIVABLE);
	ck_assert_ptr_nonnull(strstr(m.a.s.overall.reason, "recovery key ID 23222120"));
	ck_assert_ptr_null(strstr(m.a.s.overall.reason, "TPM"));
	md_close(&m);
}
END_TEST

START_TEST(external_key_password_certificate_survive)
{
	const uint16_t types[] = { 0x0200, 0x2000, 0x1000 };
	const char *ids[] = { "external_key", "password", "certificate" };
	for (int k = 0; k < 3; k++) {
		fvew_spec s;
		fvew_default(&s);
		fvew_add(&s, 0x0500, 1);
		fvew_add(&s, types[k], 3);
		mem_disk m;
		md_from_spec(&m, &s);
		size_t i;
		ck_assert_ptr_nonnull(bitlocker_part(&m, &i));
		const bde_protector *p = &m.a.f.vols[i].prot[1];
		ck_assert_str_eq(bde_protection_id(p->type_value), ids[k]);
		if (types[k] == 0x0200) {
			ck_assert_str_eq(p->name, "ExternalKey");
			ck_assert(p->has_use_key);
		}
		if (types[k] == 0x1000)
			ck_assert(p->has_public_key);
		ck_assert_int_eq(m.a.s.overall.kind, SURV_SURVIVABLE);
		ck_assert_ptr_nonnull(strstr(m.a.s.overall.reason, p->guid_str));
		md_close(&m);
	}
}
END_TEST

START_TEST(clear_key_means_suspended)
{
	fvew_spec s;
	fvew_default(&s);
	fvew_add(&s, 0x0100, 1);
	fvew_add(&s, 0x0000, 4);
	mem_disk m;
	md_from_spec(&m, &s);
	size_t i;
	ck_assert_ptr_nonnull(bitlocker_part(&m, &i));
	const bde_protector *p = &m.a.f.vols[i].prot[1];
	ck_assert_uint_eq(p->type_value, 0);
	ck_assert_uint_eq(p->entry_version, 3);
	ck_assert(p->has_clear_key);
	ck_assert_int_eq(m.a.f.vols[i].state_current, 4); /* suspended shows as encrypted */
	ck_assert_int_eq(m.a.s.overall.kind, SURV_SUSPENDED);
	md_close(&m);
}
END_TEST

START_TEST(tpm_family_and_unknown_types)
{
	fvew_spec s;
	fvew_default(&s);
	fvew_add(&s, 0x0300, 1);
	fvew_add(&s, 0x0700, 2);
	fvew_add(&s, 0x0500, 3);
	mem_disk m;
	md_from_spec(&m, &s);
	size_t i;
	ck_assert_ptr_nonnull(bitlocker_part(&m, &i));
	ck_assert(bde_protection_inferred(m.a.f.vols[i].prot[0].type_value));
	ck_assert(bde_protection_inferred(m.a.f.vols[i].prot[1].type_value));
	ck_assert(!bde_protection_inferred(m.a.f.vols[i].prot[2].type_value));
	ck_assert_int_eq(m.a.s.overall.kind, SURV_TPM_ONLY);
	md_close(&m);

	fvew_default(&s);
	fvew_add(&s, 0x0100, 1);
	fvew_add(&s, 0x4000, 2);
	md_from_spec(&m, &s);
	ck_assert_ptr_nonnull(bitlocker_part(&m, &i));
	ck_assert_ptr_null(bde_protection_id(0x4000));
	ck_assert_int_eq(bde_win32_protector_type(0x4000), -1);
	ck_assert_int_eq(m.a.s.overall.kind, SURV_UNKNOWN);
	md_close(&m);
}
END_TEST

START_TEST(used_space_only_to_go_and_vista)
{
	fvew_spec s;
	fvew_default(&s);
	s.kind = FVEW_EOW;
	fvew_add(&s, 0x2000, 1);
	mem_disk m;
	md_from_spec(&m, &s);
	size_t i;
	ck_assert_ptr_nonnull(bitlocker_part(&m, &i));
	ck_assert_int_eq(m.a.f.parts.v[i].cls, PART_CLASS_BITLOCKER_EOW);
	ck_assert_uint_eq(m.a.f.vols[i].eow_offset[0], 0x60000);
	ck_assert_int_eq(m.a.s.overall.kind, SURV_SURVIVABLE);
	md_close(&m);

	fvew_default(&s);
	s.kind = FVEW_TOGO;
	fvew_add(&s, 0x2000, 1);
	md_from_spec(&m, &s);
	ck_assert_ptr_nonnull(bitlocker_part(&m, &i));
	ck_assert_int_eq(m.a.f.parts.v[i].cls, PART_CLASS_BITLOCKER_TOGO);
	ck_assert_uint_eq(m.a.f.vols[i].nprot, 1);
	md_close(&m);

	fvew_default(&s);
	s.kind = FVEW_VISTA;
	md_from_spec(&m, &s);
	ck_assert_ptr_nonnull(bitlocker_part(&m, &i));
	ck_assert_int_eq(m.a.f.parts.v[i].cls, PART_CLASS_BITLOCKER_VISTA);
	ck_assert_int_eq(m.a.f.vol_rc[i], HV_ERR_UNSUPPORTED);
	ck_assert_uint_eq(m.a.f.vols[i].version, 1);
	ck_assert_int_eq(m.a.s.overall.kind, SURV_UNKNOWN);
	ck_assert(has_finding(&m.f, "Vista"));
	md_close(&m);

	fvew_default(&s);
	s.kind = FVEW_UNKNOWN_ID;
	fvew_add(&s, 0x0800, 1);
	md_from_spec(&m, &s);
	ck_assert_ptr_nonnull(bitlocker_part(&m, &i));
	ck_assert_int_eq(m.a.f.parts.v[i].cls, PART_CLASS_BITLOCKER_UNKNOWN_ID);
	ck_assert_uint_eq(m.a.f.vols[i].nprot, 1);
	ck_assert(has_finding(&m.f, "unknown BitLocker identifier"));
	md_close(&m);
}
END_TEST

START_TEST(decrypted_and_plain_volumes)
{
	fvew_spec s;
	fvew_default(&s);
	s.state_current = s.state_next = 1;
	s.method = 0;
	s.no_fvek = true;
	s.description = NULL;
	mem_disk m;
	md_from_spec(&m, &s);
	size_t i;
	ck_assert_ptr_nonnull(bitlocker_part(&m, &i));
	ck_assert_ptr_null(m.a.f.vols[i].description);
	ck_assert_str_eq(bde_state_name(m.a.f.vols[i].state_current), "decrypted");
	ck_assert_str_eq(bde_method_id(m.a.f.vols[i].method), "none");
	ck_assert_int_eq(m.a.s.overall.kind, SURV_NOT_ENCRYPTED);
	md_close(&m);

	/* an NTFS volume: not examined as BitLocker */
	uint8_t *vol = calloc(1, MIB);
	memcpy(vol + 3, "NTFS    ", 8);
	vol[510] = 0x55;
	vol[511] = 0xAA;
	size_t dl;
	uint8_t *d = gpt_disk(vol, MIB, 512, &dl);
	free(vol);
	md_open(&m, d, dl);
	ck_assert_int_eq(m.a.f.parts.v[2].cls, PART_CLASS_NTFS);
	ck_assert_int_eq(m.a.s.overall.kind, SURV_NOT_ENCRYPTED);
	md_close(&m);
}
END_TEST

/* ---- metadata copies ---- */

START_TEST(metadata_copy_fallback)
{
	fvew_spec s;
	fvew_default(&s);
	fvew_add(&s, 0x0800, 1);
	s.bad_crc_mask = 1;
	mem_disk m;
	md_from_spec(&m, &s);
	size_t i;
	ck_assert_ptr_nonnull(bitlocker_part(&m, &i));
	const bde_volume *v = &m.a.f.vols[i];
	ck_assert_int_eq(v->block_status[0], BDE_BLOCK_BAD_CRC);
	ck_assert_int_eq(v->block_used, 1);
	ck_assert(v->crc_verified);
	ck_assert_uint_eq(v->nprot, 1);
	md_close(&m);

	/* win7_partial style: copies 2 and 3 zero-filled */
	fvew_default(&s);
	fvew_add(&s, 0x0800, 1);
	s.zero_mask = 6;
	md_from_spec(&m, &s);
	ck_assert_ptr_nonnull(bitlocker_part(&m, &i));
	v = &m.a.f.vols[i];
	ck_assert_int_eq(v->block_used, 0);
	ck_assert_int_eq(v->block_status[1], BDE_BLOCK_ZEROED);
	ck_assert_int_eq(v->block_status[2], BDE_BLOCK_ZEROED);
	ck_assert_int_eq(m.a.s.overall.kind, SURV_SURVIVABLE);
	md_close(&m);

	/* every CRC bad: used best effort */
	fvew_default(&s);
	fvew_add(&s, 0x0100, 1);
	s.bad_crc_mask = 7;
	md_from_spec(&m, &s);
	ck_assert_ptr_nonnull(bitlocker_part(&m, &i));
	ck_assert_int_eq(m.a.f.vol_rc[i], HV_OK);
	ck_assert(!m.a.f.vols[i].crc_verified);
	ck_assert_int_eq(m.a.f.vols[i].block_used, 0);
	ck_assert(has_finding(&m.f, "no FVE metadata copy passes its CRC32"));
	md_close(&m);

	/* nothing usable */
	fvew_default(&s);
	s.zero_mask = 7;
	md_from_spec(&m, &s);
	ck_assert_ptr_nonnull(bitlocker_part(&m, &i));
	ck_assert_int_eq(m.a.f.vol_rc[i], HV_ERR_CORRUPT);
	ck_assert_int_eq(m.a.s.overall.kind, SURV_UNKNOWN);
	md_close(&m);

	/* copies that differ */
	fvew_default(&s);
	fvew_add(&s, 0x0100, 1);
	size_t vl, dl;
	uint8_t *vol = fve_volume(&s, &vl);
	fvew_add(&s, 0x0800, 2);
	s.zero_mask = 1 | 4; /* only copy 2 rewritten with a second protector */
	ck_assert(fvew_build(&s, vol, vl));
	uint8_t *d = gpt_disk(vol, vl, 512, &dl);
	free(vol);
	md_open(&m, d, dl);
	ck_assert_ptr_nonnull(bitlocker_part(&m, &i));
	ck_assert_int_eq(m.a.f.vols[i].block_used, 0);
	ck_assert(m.a.f.vols[i].copies_differ);
	ck_assert(has_finding(&m.f, "differs"));
	md_close(&m);
}
END_TEST

START_TEST(malformed_entries_stop_the_walk)
{
	const uint16_t sizes[] = { 3, 0x7FFF };
	for (int k = 0; k < 2; k++) {
		fvew_spec s;
		fvew_default(&s);
		fvew_add(&s, 0x0800, 1);
		s.raw_entry_size = sizes[k];
		mem_disk m;
		md_from_spec(&m, &s);
		size_t i;
		ck_assert_ptr_nonnull(bitlocker_part(&m, &i));
		ck_assert_int_eq(m.a.f.vol_rc[i], HV_OK);
		ck_assert_uint_eq(m.a.f.vols[i].nprot, 1);
		ck_assert(has_finding(&m.f, "malformed FVE metadata entry"));
		md_close(&m);
	}
}
END_TEST

/* ---- partitions ---- */

START_TEST(gpt_backup_and_4kn)
{
	fvew_spec s;
	fvew_default(&s);
	fvew_add(&s, 0x0800, 1);
	s.bytes_per_sector = 4096;
	size_t vl, dl;
	uint8_t *vol = fve_volume(&s, &vl);
	uint8_t *d = gpt_disk(vol, vl, 4096, &dl);
	free(vol);
	/* raw 4Kn: found by the 4096 retry */
	mem_disk m;
	md_open(&m, d, dl);
	ck_assert_int_eq(m.a.f.parts.scheme, PART_SCHEME_GPT);
	ck_assert_uint_eq(m.a.f.parts.sector_size, 4096);
	ck_assert_uint_eq(m.a.f.parts.v[2].first_lba, 3 * 256);
	ck_assert_uint_eq(m.a.f.parts.v[2].offset, 3 * MIB);
	ck_assert_int_eq(m.a.f.parts.v[2].cls, PART_CLASS_BITLOCKER);
	ck_assert_uint_eq(m.a.f.vols[2].bytes_per_sector, 4096);
	ck_assert(has_finding(&m.f, "4096-byte sectors"));
	/* damage the primary header: the backup is used */
	m.img[4096 + 20] ^= 0xFF;
	disk_check_free(&m.a);
	disk_check_read(m.vd, &m.a, &m.f);
	ck_assert(m.a.f.parts.gpt_backup_used);
	ck_assert_uint_eq(m.a.f.parts.n, 3);
	ck_assert_int_eq(m.a.s.overall.kind, SURV_SURVIVABLE);
	/* damage the backup too: protective MBR promises a GPT that is gone */
	m.img[dl - 4096 + 20] ^= 0xFF;
	disk_check_free(&m.a);
	ck_assert_int_eq(disk_check_read(m.vd, &m.a, &m.f), HV_ERR_CORRUPT);
	ck_assert_int_eq(m.a.s.overall.kind, SURV_UNKNOWN);
	md_close(&m);
}
END_TEST

START_TEST(vhdx_4kn_uses_logical_sectors)
{
	fvew_spec s;
	fvew_default(&s);
	fvew_add(&s, 0x0200, 1);
	size_t vl, dl;
	uint8_t *vol = fve_volume(&s, &vl);
	uint8_t *d = gpt_disk(vol, vl, 4096, &dl);
	free(vol);
	char *dir = tu_mkdtemp(), *p = tu_join(dir, "4kn.vhdx");
	vhdxw_spec w = { .virtual_size = dl, .logical_sector = 4096, .physical_sector = 4096 };
	w.data_write_guid[0] = 1;
	ck_assert(vhdxw_write(p, &w, d, dl, NULL));
	hv_findings f = { 0 };
	vdisk *vd;
	ck_assert_int_eq(vdisk_open(p, 0, &vd, &f), HV_OK);
	ck_assert_uint_eq(vdisk_sector_size(vd), 4096);
	ck_assert(vdisk_sector_size_known(vd));
	disk_check a;
	ck_assert_int_eq(disk_check_read(vd, &a, &f), HV_OK);
	ck_assert_uint_eq(a.f.parts.sector_size, 4096);
	ck_assert_uint_eq(a.f.parts.v[2].first_lba, 768);
	ck_assert_int_eq(a.s.overall.kind, SURV_SURVIVABLE);
	ck_assert(!has_finding(&f, "4096-byte sectors")); /* declared, not guessed */
	disk_check_free(&a);
	vdisk_close(vd);
	findings_free(&f);
	free(d);
	tu_rmtree(dir);
	free(p);
	free(dir);
}
END_TEST

START_TEST(whole_disk_volume_without_table)
{
	fvew_spec s;
	fvew_default(&s);
	fvew_add(&s, 0x0100, 1);
	size_t vl;
	uint8_t *vol = fve_volume(&s, &vl);
	mem_disk m;
	md_open(&m, vol, vl);
	ck_assert_int_eq(m.a.f.parts.scheme, PART_SCHEME_NONE);
	ck_assert_uint_eq(m.a.f.parts.n, 1);
	ck_assert_uint_eq(m.a.f.parts.v[0].index, 0);
	ck_assert_int_eq(m.a.f.parts.v[0].cls, PART_CLASS_BITLOCKER);
	ck_assert_int_eq(m.a.s.overall.kind, SURV_TPM_ONLY);
	md_close(&m);
	/* all zero: no table, nothing encrypted */
	md_open(&m, calloc(1, MIB), MIB);
	ck_assert_int_eq(m.a.f.parts.scheme, PART_SCHEME_NONE);
	ck_assert_uint_eq(m.a.f.parts.n, 0);
	ck_assert_int_eq(m.a.s.overall.kind, SURV_NOT_ENCRYPTED);
	md_close(&m);
}
END_TEST

/* Partition (start, end) pairs from mmls, in 512-byte sectors. */
static size_t mmls_parts(const char *path, uint64_t out[][2], size_t max)
{
	char *argv[] = { "mmls", (char *)path, NULL };
	tu_run_result r = tu_run(argv, NULL, NULL);
	ck_assert_int_eq(r.status, 0);
	size_t n = 0;
	for (char *line = strtok(r.out, "\n"); line; line = strtok(NULL, "\n")) {
		char slot[32], kind[32];
		unsigned long long a, b, l;
		if (sscanf(line, "%31s %31s %llu %llu %llu", slot, kind, &a, &b, &l) != 5)
			continue;
		if (!strcmp(kind, "Meta") || !strcmp(kind, "-------") || n >= max)
			continue;
		out[n][0] = a;
		out[n++][1] = b;
	}
	tu_run_free(&r);
	return n;
}

static void same_as_mmls(const char *path, const part_table *t)
{
	uint64_t mm[16][2];
	size_t n = mmls_parts(path, mm, 16);
	ck_assert_uint_eq(n, t->n);
	for (size_t i = 0; i < n; i++) {
		bool found = false;
		for (size_t k = 0; k < t->n; k++)
			found |= t->v[k].first_lba == mm[i][0] && t->v[k].last_lba == mm[i][1];
		ck_assert_msg(found, "mmls partition %llu-%llu not listed",
			      (unsigned long long)mm[i][0], (unsigned long long)mm[i][1]);
	}
}

START_TEST(mbr_with_logical_partitions)
{
	if (!tu_have("sfdisk"))
		TEST_SKIP("sfdisk not installed");
	char *dir = tu_mkdtemp(), *raw = tu_join(dir, "mbr.raw");
	ck_assert_int_eq(tu_sh("truncate -s 16M '%s' && printf 'label: dos\\n"
			       "start=2048, size=4096, type=7\\nstart=8192, type=5\\n"
			       "start=10240, size=2048, type=c\\nstart=14336, size=4096, type=7\\n'"
			       " | sfdisk -q '%s'", raw, raw), 0);
	fvew_spec s;
	fvew_default(&s);
	fvew_add(&s, 0x0100, 1);
	size_t vl;
	uint8_t *vol = fve_volume(&s, &vl);
	size_t dl;
	uint8_t *d = tu_read(raw, &dl);
	ck_assert_uint_eq(dl, 16 * MIB);
	memcpy(d + 14336 * 512, vol, vl); /* BitLocker in the second logical */
	memcpy(d + 2048 * 512 + 3, "NTFS    ", 8);
	tu_write(raw, d, dl);
	free(vol);
	mem_disk m;
	md_open(&m, d, dl);
	ck_assert_int_eq(m.a.f.parts.scheme, PART_SCHEME_MBR);
	ck_assert_uint_eq(m.a.f.parts.n, 3);
	ck_assert_uint_eq(m.a.f.parts.v[0].index, 1);
	ck_assert_int_eq(m.a.f.parts.v[0].cls, PART_CLASS_NTFS);
	ck_assert_uint_eq(m.a.f.parts.v[1].index, 5);
	ck_assert_uint_eq(m.a.f.parts.v[1].mbr_type, 0x0C);
	ck_assert_int_eq(m.a.f.parts.v[1].cls, PART_CLASS_NOT_EXAMINED);
	ck_assert_uint_eq(m.a.f.parts.v[2].index, 6);
	ck_assert_uint_eq(m.a.f.parts.v[2].first_lba, 14336);
	ck_assert_int_eq(m.a.f.parts.v[2].cls, PART_CLASS_BITLOCKER);
	ck_assert_int_eq(m.a.s.overall.kind, SURV_TPM_ONLY);
	if (tu_have("mmls"))
		same_as_mmls(raw, &m.a.f.parts);
	md_close(&m);
	tu_rmtree(dir);
	free(raw);
	free(dir);
}
END_TEST

/* ---- qemu-made containers against the raw image ---- */

static uint64_t qemu_virtual_size(const char *path)
{
	char *argv[] = { "qemu-img", "info", "--output=json", (char *)path, NULL };
	tu_run_result r = tu_run(argv, NULL, NULL);
	ck_assert_int_eq(r.status, 0);
	json_object *j = json_tokener_parse(r.out), *v;
	ck_assert_ptr_nonnull(j);
	ck_assert(json_object_object_get_ex(j, "virtual-size", &v));
	uint64_t n = (uint64_t)json_object_get_int64(v);
	json_object_put(j);
	tu_run_free(&r);
	return n;
}

static void same_bytes(vdisk *vd, const uint8_t *raw, size_t len)
{
	uint8_t *b = malloc(MIB);
	for (uint64_t off = 0; off < vdisk_size(vd); off += MIB) {
		size_t n = vdisk_size(vd) - off < MIB ? (size_t)(vdisk_size(vd) - off) : MIB;
		ck_assert_int_eq(vdisk_read(vd, off, b, n), HV_OK);
		for (size_t k = 0; k < n; k++) {
			uint8_t want = off + k < len ? raw[off + k] : 0;
			if (b[k] != want)
				ck_abort_msg("virtual byte %llu differs", (unsigned long long)(off + k));
		}
	}
	free(b);
}

START_TEST(qemu_containers_match_raw)
{
	if (!tu_have("qemu-img") || !tu_have("sfdisk"))
		TEST_SKIP("qemu-img or sfdisk not installed");
	char *dir = tu_mkdtemp(), *raw = tu_join(dir, "disk.raw");
	ck_assert_int_eq(tu_sh("truncate -s 80M '%s' && printf 'label: gpt\\nstart=2048, type="
			       BASIC_DATA "\\n' | sfdisk -q '%s'", raw, raw), 0);
	fvew_spec s;
	fvew_default(&s);
	fvew_add(&s, 0x0100, 1);
	fvew_add(&s, 0x0800, 2);
	size_t vl, rl;
	uint8_t *vol = fve_volume(&s, &vl);
	uint8_t *r = tu_read(raw, &rl);
	memcpy(r + MIB, vol, vl);
	for (size_t k = 0; k < 4096; k++)   /* data in a later block too */
		r[40 * MIB + k] = (uint8_t)(k * 13 + 1);
	tu_write(raw, r, rl);
	free(vol);
	static const struct {
		const char *name, *args;
		vdisk_format fmt;
		vdisk_kind kind;
	} c[] = {
		{ "dyn.vhdx", "-O vhdx -o subformat=dynamic", VDISK_FMT_VHDX, VDISK_KIND_DYNAMIC },
		{ "fixed.vhdx", "-O vhdx -o subformat=fixed", VDISK_FMT_VHDX, VDISK_KIND_FIXED },
		{ "dyn.vhd", "-O vpc", VDISK_FMT_VHD, VDISK_KIND_DYNAMIC },
		{ "fixed.vhd", "-O vpc -o subformat=fixed", VDISK_FMT_VHD, VDISK_KIND_FIXED },
		{ "disk.raw", NULL, VDISK_FMT_RAW, VDISK_KIND_FIXED },
	};
	for (size_t i = 0; i < sizeof c / sizeof c[0]; i++) {
		char *p = tu_join(dir, c[i].name);
		if (c[i].args)
			ck_assert_int_eq(tu_sh("qemu-img convert -f raw %s '%s' '%s'", c[i].args, raw,
					       p), 0);
		hv_findings f = { 0 };
		vdisk *vd;
		ck_assert_int_eq(vdisk_open(p, 0, &vd, &f), HV_OK);
		ck_assert_int_eq(vdisk_get_format(vd), c[i].fmt);
		ck_assert_int_eq(vdisk_chain(vd, 0)->kind, c[i].kind);
		/* qemu counts the footer of a fixed VHD as data; the footer's size is used here */
		uint64_t extra = c[i].fmt == VDISK_FMT_VHD && c[i].kind == VDISK_KIND_FIXED ? 512 : 0;
		ck_assert_uint_eq(vdisk_size(vd) + extra, qemu_virtual_size(p));
		ck_assert_uint_ge(vdisk_size(vd), rl);
		same_bytes(vd, r, rl);
		disk_check a;
		ck_assert_int_eq(disk_check_read(vd, &a, &f), HV_OK);
		ck_assert_uint_eq(a.f.parts.n, 1);
		ck_assert_int_eq(a.f.parts.v[0].cls, PART_CLASS_BITLOCKER);
		ck_assert_uint_eq(a.f.vols[0].nprot, 2);
		ck_assert_int_eq(a.s.overall.kind, SURV_SURVIVABLE);
		ck_assert_uint_eq(findings_count(&f, HV_SEV_WARN), 0);
		if (i == 0 && tu_have("mmls"))
			same_as_mmls(p, &a.f.parts);
		disk_check_free(&a);
		vdisk_close(vd);
		findings_free(&f);
		free(p);
	}
	if (tu_have("mmls")) {
		hv_findings f = { 0 };
		vdisk *vd;
		disk_check a;
		ck_assert_int_eq(vdisk_open(raw, 0, &vd, &f), HV_OK);
		disk_check_read(vd, &a, &f);
		same_as_mmls(raw, &a.f.parts);
		disk_check_free(&a);
		vdisk_close(vd);
		findings_free(&f);
	}
	free(r);
	tu_rmtree(dir);
	free(raw);
	free(dir);
}
END_TEST

/* ---- report ---- */

START_TEST(report_json_and_text)
{
	fvew_spec s;
	fvew_default(&s);
	fvew_add(&s, 0x0100, 1);
	fvew_add(&s, 0x0800, 2);
	mem_disk m;
	md_from_spec(&m, &s);
	json_object *j = disk_report_json(&m.a.f, &m.a.s), *x, *p, *bl, *pr, *y;
	ck_assert(json_object_object_get_ex(j, "format", &x));
	ck_assert_str_eq(json_object_get_string(x), "raw");
	ck_assert(json_object_object_get_ex(j, "virtual_size", &x));
	ck_assert_uint_eq((uint64_t)json_object_get_int64(x), vdisk_size(m.vd));
	ck_assert(json_object_object_get_ex(j, "dirty_log", &x));
	ck_assert(!json_object_get_boolean(x));
	ck_assert(json_object_object_get_ex(j, "chain", &x));
	ck_assert_uint_eq(json_object_array_length(x), 1);
	ck_assert(json_object_object_get_ex(j, "survivability", &x));
	ck_assert_str_eq(json_object_get_string(x), "survivable");
	ck_assert(json_object_object_get_ex(j, "metadata_sha256", &x));
	ck_assert_uint_eq(strlen(json_object_get_string(x)), 64);
	ck_assert(json_object_object_get_ex(j, "partitions", &p));
	ck_assert_uint_eq(json_object_array_length(p), 3);
	x = json_object_array_get_idx(p, 2);
	ck_assert(json_object_object_get_ex(x, "classification", &y));
	ck_assert_str_eq(json_object_get_string(y), "bitlocker");
	ck_assert(json_object_object_get_ex(x, "bitlocker", &bl));
	ck_assert(json_object_object_get_ex(bl, "metadata_block_used", &y));
	ck_assert_int_eq(json_object_get_int(y), 1);
	ck_assert(json_object_object_get_ex(bl, "state", &y));
	ck_assert(json_object_object_get_ex(y, "current_name", &y));
	ck_assert_str_eq(json_object_get_string(y), "encrypted");
	ck_assert(json_object_object_get_ex(bl, "protectors", &pr));
	ck_assert_uint_eq(json_object_array_length(pr), 2);
	y = json_object_array_get_idx(pr, 1);
	ck_assert(json_object_object_get_ex(y, "type", &x));
	ck_assert_str_eq(json_object_get_string(x), "recovery_password");
	ck_assert(json_object_object_get_ex(y, "recovery_key_id", &x));
	ck_assert_str_eq(json_object_get_string(x), "23222120");
	ck_assert(json_object_object_get_ex(y, "last_change", &x));
	ck_assert_str_eq(json_object_get_string(x), "2021-10-08T18:09:02.731578Z");
	json_object_put(j);
	char *buf = NULL;
	size_t len = 0;
	FILE *o = open_memstream(&buf, &len);
	disk_report_text(o, &m.a.f, &m.a.s);
	fclose(o);
	ck_assert_ptr_nonnull(strstr(buf, "recovery key ID: 23222120"));
	ck_assert_ptr_nonnull(strstr(buf, "Survivability:"));
	ck_assert_ptr_nonnull(strstr(buf, "XTS-AES-128 (0x8004)"));
	free(buf);
	md_close(&m);
}
END_TEST

/* ---- bytes read on a big sparse disk ---- */

START_TEST(big_dynamic_vhdx_reads_little)
{
	fvew_spec s;
	fvew_default(&s);
	fvew_add(&s, 0x0100, 1);
	fvew_add(&s, 0x0800, 2);
	size_t vl;
	uint8_t *vol = fve_volume(&s, &vl);
	const uint64_t size = 100ull << 30;
	char *dir = tu_mkdtemp(), *raw = tu_join(dir, "big.raw"), *p = tu_join(dir, "big.vhdx");
	gptw_part part = { 2048, size / 512 - 2048 - 1, BASIC_DATA, "OS" };
	ck_assert(gptw_write_file(raw, size, 512, &part, 1));
	int fd = open(raw, O_RDWR);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(pwrite(fd, vol, vl, MIB), (ssize_t)vl);
	close(fd);
	free(vol);
	bool qemu = tu_have("qemu-img");
	if (qemu) {
		ck_assert_int_eq(tu_sh("qemu-img convert -f raw -O vhdx -o subformat=dynamic,"
				       "block_size=32M '%s' '%s'", raw, p), 0);
	} else {
		vhdxw_spec w = { .virtual_size = size, .block_size = 32 * MIB };
		uint8_t *img = calloc(1, 4 * MIB + vl);
		fd = open(raw, O_RDONLY);
		ck_assert_int_eq(pread(fd, img, 4 * MIB, 0), 4 * MIB);
		close(fd);
		ck_assert(vhdxw_write(p, &w, img, 4 * MIB, NULL));
		free(img);
	}
	hv_findings f = { 0 };
	vdisk *vd;
	ck_assert_int_eq(vdisk_open(p, 0, &vd, &f), HV_OK);
	ck_assert_uint_eq(vdisk_size(vd), size);
	disk_check a;
	ck_assert_int_eq(disk_check_read(vd, &a, &f), HV_OK);
	ck_assert_int_eq(a.s.overall.kind, SURV_SURVIVABLE);
	ck_assert_uint_lt(vdisk_bytes_read(vd), 16 * MIB);
	ck_assert_uint_gt(vdisk_bytes_read(vd), 0);
	disk_check_free(&a);
	vdisk_close(vd);
	findings_free(&f);
	tu_rmtree(dir);
	free(raw);
	free(p);
	free(dir);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("disk");
	TCase *tc = tcase_create("protectors");
	tcase_add_test(tc, tpm_only_is_not_survivable);
	tcase_add_test(tc, recovery_password_makes_it_survivable);
	tcase_add_test(tc, external_key_password_certificate_survive);
	tcase_add_test(tc, clear_key_means_suspended);
	tcase_add_test(tc, tpm_family_and_unknown_types);
	tcase_add_test(tc, used_space_only_to_go_and_vista);
	tcase_add_test(tc, decrypted_and_plain_volumes);
	tcase_add_test(tc, metadata_copy_fallback);
	tcase_add_test(tc, malformed_entries_stop_the_walk);
	tcase_add_test(tc, report_json_and_text);
	suite_add_tcase(s, tc);
	tc = tcase_create("partitions");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, gpt_backup_and_4kn);
	tcase_add_test(tc, vhdx_4kn_uses_logical_sectors);
	tcase_add_test(tc, whole_disk_volume_without_table);
	tcase_add_test(tc, mbr_with_logical_partitions);
	suite_add_tcase(s, tc);
	tc = tcase_create("containers");
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, qemu_containers_match_raw);
	tcase_add_test(tc, big_dynamic_vhdx_reads_little);
	suite_add_tcase(s, tc);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
