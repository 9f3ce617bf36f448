/*
 * test_vmgs.c - the guest state reader (.vmgs) on files made by
 * tests/support/vmgs_writer.c: v1 in fixed and dynamic VHDs, active copy by
 * sequence and index, the older copy, blobs with JSON paths and role hints,
 * UEFI certificates, every damaged case with its error and offset, caps,
 * v3 file tables, and files that are not guest state at all.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <openssl/evp.h>
#include <openssl/x509.h>

#include "formats/vdisk.h"
#include "formats/vmgs.h"
#include "support/certgen.h"
#include "support/testutil.h"
#include "support/vhdx_writer.h"
#include "support/vmgs_writer.h"
#include "util/bytes.h"
#include "util/crc.h"
#include "util/fileio.h"
#include "util/strbuf.h"

#define FNAME "t.vmgs"
#define TPM_GUID "736e6aa9-a3f8-49c0-9550-a963214d259a"
#define BIOS_GUID "ac6b8dc1-3257-4a70-b1b2-a9c9215659ad"
#define GS_GUID "917bd8cb-3bb6-4124-9383-b7d21ac07f79"
#define GLOBAL_VAR "8be4df61-93ca-11d2-aa0d-00e098032b8c"
#define SECURITY_DB "d719b2cb-3d3a-4596-a3bc-dad00e67656f"
#define OWNER "77fa9abd-0359-4d32-bd60-28f4e78f784b"
#define DB_CN "Test UEFI CA 2026"
#define PK_CN "Test Platform Key"

/* ---- fixture ------------------------------------------------------------ */

static uint8_t kp_cur[300], kp_lkg[200], kp_old[280], tpm_nv[64];
static const uint8_t one = 1, zero = 0;

static void fill(uint8_t *p, size_t n, unsigned seed)
{
	for (size_t i = 0; i < n; i++)
		p[i] = (uint8_t)(seed * 31 + i * 7 + (i >> 3));
}

typedef struct {
	uint8_t *db, *pk;
	size_t dblen, pklen;
	vmgsw_value tpm_states[5], nested[3], gs_states[1];
	vmgsw_device dev[3];
	vmgsw_uefi_var uefi[4];
	vmgsw_state st;
} fixture;

static uint8_t *cert_der(const char *cn, size_t *n)
{
	time_t now = time(NULL);
	X509 *x = certgen_self_signed(cn, now - 86400, now + 86400 * 365, NULL);
	ck_assert_ptr_nonnull(x);
	uint8_t *d = certgen_der(x, n);
	X509_free(x);
	return d;
}

static uint8_t *siglist_of(const char *cn, size_t *n)
{
	size_t dl;
	uint8_t *der = cert_der(cn, &dl);
	const uint8_t *ders[1] = { der };
	uint8_t *l = vmgsw_siglist_x509(ders, &dl, 1, OWNER, n);
	free(der);
	return l;
}

/*
 * TPM device: KeyProtector (bytes), lkg_key_protector (bytes), TpmState
 * (object: Nvram bytes, Label string, Count number), Enabled (bool),
 * Mode (string).  Guest state device: one string.  UEFI: PK and db with a
 * certificate each, SecureBoot = 1, SetupMode = 0.
 */
static void fixture_make(fixture *x, const uint8_t *kp, size_t kplen)
{
	memset(x, 0, sizeof *x);
	fill(kp_cur, sizeof kp_cur, 1);
	fill(kp_lkg, sizeof kp_lkg, 2);
	fill(kp_old, sizeof kp_old, 3);
	fill(tpm_nv, sizeof tpm_nv, 4);
	x->db = siglist_of(DB_CN, &x->dblen);
	x->pk = siglist_of(PK_CN, &x->pklen);
	x->nested[0] = (vmgsw_value){ .name = "Nvram", .kind = VMGSW_BYTES, .bytes = tpm_nv,
				      .len = sizeof tpm_nv };
	x->nested[1] = (vmgsw_value){ .name = "Label", .kind = VMGSW_STRING, .str = "vTPM 2.0" };
	x->nested[2] = (vmgsw_value){ .name = "Count", .kind = VMGSW_NUMBER, .number = 42 };
	x->tpm_states[0] = (vmgsw_value){ .name = "KeyProtector", .kind = VMGSW_BYTES,
					  .bytes = kp, .len = kplen };
	x->tpm_states[1] = (vmgsw_value){ .name = "lkg_key_protector", .kind = VMGSW_BYTES,
					  .bytes = kp_lkg, .len = sizeof kp_lkg };
	x->tpm_states[2] = (vmgsw_value){ .name = "TpmState", .kind = VMGSW_OBJECT,
					  .members = x->nested, .nmembers = 3 };
	x->tpm_states[3] = (vmgsw_value){ .name = "Enabled", .kind = VMGSW_BOOL, .number = 1 };
	x->tpm_states[4] = (vmgsw_value){ .name = "Mode", .kind = VMGSW_STRING, .str = "local" };
	x->gs_states[0] = (vmgsw_value){ .name = "Owner", .kind = VMGSW_STRING, .str = "hv/1" };
	x->dev[0] = (vmgsw_device){ BIOS_GUID, "Microsoft:UEFI", NULL, 0 };
	x->dev[1] = (vmgsw_device){ TPM_GUID, "Microsoft:vTPM", x->tpm_states, 5 };
	x->dev[2] = (vmgsw_device){ GS_GUID, "Microsoft:GuestState", x->gs_states, 1 };
	x->uefi[0] = (vmgsw_uefi_var){ GLOBAL_VAR, "PK", 0x27, x->pk, x->pklen };
	x->uefi[1] = (vmgsw_uefi_var){ SECURITY_DB, "db", 0x27, x->db, x->dblen };
	x->uefi[2] = (vmgsw_uefi_var){ GLOBAL_VAR, "SecureBoot", 0x06, &one, 1 };
	x->uefi[3] = (vmgsw_uefi_var){ GLOBAL_VAR, "SetupMode", 0x06, &zero, 1 };
	x->st = (vmgsw_state){ x->dev, 3, x->uefi, 4, NULL };
}

static void fixture_free(fixture *x)
{
	free(x->db);
	free(x->pk);
}

/* A state whose only content is one TPM state named name holding raw JSON. */
typedef struct {
	vmgsw_value v;
	vmgsw_device d;
	vmgsw_state st;
} raw_state;

static void raw_make(raw_state *r, const char *name, const char *json)
{
	r->v = (vmgsw_value){ .name = name, .kind = VMGSW_RAW, .str = json };
	r->d = (vmgsw_device){ TPM_GUID, "Microsoft:vTPM", &r->v, 1 };
	r->st = (vmgsw_state){ &r->d, 1, NULL, 0, NULL };
}

/* ---- helpers ------------------------------------------------------------ */

typedef struct {
	uint8_t *buf;
	size_t len;
	vmgsw_layout lay;
	vdisk *vd;
	vmgs_file v;
	hv_findings f;
	hv_err rc;
} run;

static void run_bytes(run *r)
{
	memset(&r->v, 0, sizeof r->v);
	memset(&r->f, 0, sizeof r->f);
	ck_assert_int_eq(vdisk_open_mem(r->buf, r->len, FNAME, 0, &r->vd, &r->f), HV_OK);
	r->rc = vmgs_read(r->vd, FNAME, &r->v, &r->f);
}

static void run_spec(run *r, const vmgsw_spec *s)
{
	memset(r, 0, sizeof *r);
	r->buf = vmgsw_build_ex(s, &r->len, &r->lay);
	ck_assert_ptr_nonnull(r->buf);
	run_bytes(r);
}

static void run_free(run *r)
{
	vmgs_free(&r->v);
	vdisk_close(r->vd);
	findings_free(&r->f);
	free(r->buf);
}

/* A finding of this severity at this offset whose text contains sub. */
static bool has_finding(const hv_findings *f, hv_sev sev, uint64_t off, const char *sub)
{
	for (size_t i = 0; i < f->n; i++)
		if (f->v[i].sev == sev && f->v[i].offset == off && strstr(f->v[i].msg, sub) &&
		    f->v[i].file && strcmp(f->v[i].file, FNAME) == 0)
			return true;
	return false;
}

static void dump_findings(const hv_findings *f)
{
	for (size_t i = 0; i < f->n; i++) {
		char *s = finding_format(&f->v[i]);
		fprintf(stderr, "  [%s] %s\n", hv_sev_name(f->v[i].sev), s);
		free(s);
	}
}

static const vmgs_blob *blob_at(const vmgs_guest_state *g, const char *path)
{
	for (size_t i = 0; i < g->nblobs; i++)
		if (strcmp(g->blobs[i].json_path, path) == 0)
			return &g->blobs[i];
	return NULL;
}

static const vmgs_device *device_of(const vmgs_guest_state *g, const char *guid)
{
	for (size_t i = 0; i < g->ndevices; i++)
		if (strcasecmp(g->devices[i].guid, guid) == 0)
			return &g->devices[i];
	return NULL;
}

static const vmgs_state *state_of(const vmgs_device *d, const char *name)
{
	for (size_t i = 0; d && i < d->nstates; i++)
		if (strcmp(d->states[i].name, name) == 0)
			return &d->states[i];
	return NULL;
}

static const vmgs_uefi_var *var_of(const vmgs_guest_state *g, const char *name)
{
	for (size_t i = 0; i < g->nuefi; i++)
		if (strcmp(g->uefi[i].name, name) == 0)
			return &g->uefi[i];
	return NULL;
}

static void sha_hex(const uint8_t *p, size_t n, char out[65])
{
	uint8_t d[32];
	hv_sha256(p, n, d);
	hv_sha256_hex(d, out);
}

static void assert_blob(const vmgs_guest_state *g, const char *path, const uint8_t *p,
			size_t n, vmgs_kp_role role)
{
	const vmgs_blob *b = blob_at(g, path);
	if (!b)
		ck_abort_msg("no blob at %s", path);
	ck_assert(!b->is_string);
	ck_assert_uint_eq(b->len, n);
	ck_assert_mem_eq(b->bytes, p, n);
	ck_assert_int_eq(b->role, role);
}

#define KP_PATH "Devices/" TPM_GUID "/States/KeyProtector"
#define LKG_PATH "Devices/" TPM_GUID "/States/lkg_key_protector"

/* Everything the fixture promises, in the current copy. */
static void assert_fixture(const vmgs_guest_state *g, const uint8_t *kp, size_t kplen)
{
	ck_assert(g->present);
	ck_assert(g->decoded);
	ck_assert_int_eq(g->status, HV_OK);
	ck_assert(g->terminated);
	ck_assert(g->has_version);
	ck_assert_int_eq(g->version_major, 1);
	ck_assert_uint_eq(g->ndevices, 3);
	const vmgs_device *tpm = device_of(g, "736E6AA9-A3F8-49C0-9550-A963214D259A");
	ck_assert_ptr_nonnull(tpm);
	ck_assert_str_eq(tpm->name, "Microsoft Virtual TPM Device");
	ck_assert_str_eq(tpm->type, "Microsoft:vTPM");
	ck_assert_str_eq(tpm->key, TPM_GUID);
	ck_assert_uint_eq(tpm->nstates, 5);
	const vmgs_state *s = state_of(tpm, "KeyProtector");
	char hex[65];
	sha_hex(kp, kplen, hex);
	ck_assert_int_eq(s->kind, VMGS_STATE_BYTES);
	ck_assert_uint_eq(s->size, kplen);
	ck_assert_str_eq(s->sha256, hex);
	ck_assert_int_eq(s->role, VMGS_ROLE_CURRENT);
	s = state_of(tpm, "TpmState");
	ck_assert_int_eq(s->kind, VMGS_STATE_OBJECT);
	ck_assert_uint_eq(s->size, 3);
	ck_assert_uint_eq(s->nblobs, 2);
	ck_assert_uint_eq(s->blob_bytes, sizeof tpm_nv + strlen("vTPM 2.0"));
	ck_assert_int_eq(state_of(tpm, "Enabled")->kind, VMGS_STATE_BOOL);
	ck_assert_int_eq(state_of(tpm, "Enabled")->number, 1);
	ck_assert_int_eq(state_of(tpm, "Mode")->kind, VMGS_STATE_STRING);
	ck_assert_str_eq(device_of(g, "AC6B8DC1-3257-4A70-B1B2-A9C9215659AD")->name,
			 "Microsoft Virtual BIOS (UEFI loader)");
	ck_assert_str_eq(device_of(g, "917BD8CB-3BB6-4124-9383-B7D21AC07F79")->name,
			 "Microsoft Guest Runtime State");
	assert_blob(g, KP_PATH, kp, kplen, VMGS_ROLE_CURRENT);
	assert_blob(g, LKG_PATH, kp_lkg, sizeof kp_lkg, VMGS_ROLE_LAST_KNOWN_GOOD);
	assert_blob(g, "Devices/" TPM_GUID "/States/TpmState/Nvram", tpm_nv, sizeof tpm_nv,
		    VMGS_ROLE_NONE);
	const vmgs_blob *b = blob_at(g, "Devices/" TPM_GUID "/States/Mode");
	ck_assert(b && b->is_string);
	ck_assert_str_eq((const char *)b->bytes, "local");
	ck_assert_ptr_nonnull(blob_at(g, "Devices/" TPM_GUID "/Type"));
	ck_assert_uint_eq(g->blobs_dropped, 0);
}

static void assert_uefi(const vmgs_guest_state *g)
{
	ck_assert_uint_eq(g->nuefi, 4);
	ck_assert_int_eq(g->secure_boot, 1);
	ck_assert_int_eq(g->setup_mode, 0);
	ck_assert(g->pk_present);
	const vmgs_uefi_var *db = var_of(g, "db");
	ck_assert_ptr_nonnull(db);
	ck_assert_str_eq(db->vendor, "D719B2CB-3D3A-4596-A3BC-DAD00E67656F");
	ck_assert_str_eq(db->vendor_name, "image security database");
	ck_assert_str_eq(db->device, BIOS_GUID);
	ck_assert(db->has_attributes);
	ck_assert_uint_eq(db->attributes, 0x27);
	ck_assert(db->is_signature_db);
	ck_assert(!db->siglist_bad);
	ck_assert_uint_eq(db->nlists, 1);
	ck_assert_uint_eq(db->nx509, 1);
	ck_assert_uint_eq(db->ncerts, 1);
	ck_assert_str_eq(db->certs[0].cert.subject, "CN=" DB_CN);
	ck_assert_str_eq(db->certs[0].owner, "77FA9ABD-0359-4D32-BD60-28F4E78F784B");
	ck_assert_ptr_null(db->certs[0].cert.x509);
	const vmgs_uefi_var *pk = var_of(g, "PK");
	ck_assert_uint_eq(pk->ncerts, 1);
	ck_assert_str_eq(pk->certs[0].cert.subject, "CN=" PK_CN);
	ck_assert_uint_eq(g->ncerts, 2);
	ck_assert(!var_of(g, "SecureBoot")->is_signature_db);
	ck_assert_ptr_nonnull(blob_at(g, "Devices/" BIOS_GUID "/States/Nvram/Vendors/" SECURITY_DB
				      "/Variables/db/Data"));
}

/* ---- round trips ---------------------------------------------------------- */

START_TEST(fixed_vhd_round_trip)
{
	fixture x;
	fixture_make(&x, kp_cur, sizeof kp_cur);
	vmgsw_spec s = { .current = x.st };
	run r;
	run_spec(&r, &s);
	if (r.rc != HV_OK)
		dump_findings(&r.f);
	ck_assert_int_eq(r.rc, HV_OK);
	ck_assert_uint_eq(findings_count(&r.f, HV_SEV_WARN), 0);
	ck_assert_int_eq(r.v.version, 1);
	ck_assert_int_eq(r.v.disk_format, VDISK_FMT_VHD);
	ck_assert_int_eq(r.v.disk_kind, VDISK_KIND_FIXED);
	ck_assert(!r.v.bare_partition);
	ck_assert_uint_eq(r.v.partition_index, 1);
	ck_assert_uint_eq(r.v.partition_offset, r.lay.partition_offset);
	ck_assert_uint_eq(r.v.block_size, 512);
	ck_assert(r.v.hdr[0].valid && r.v.hdr[1].valid);
	ck_assert(r.v.hdr[0].crc_ok);
	ck_assert_int_eq(r.v.active_header, 0);
	ck_assert_uint_eq(r.v.sequence, 7);
	ck_assert_uint_eq(r.v.hdr[1].sequence, 6);
	ck_assert_uint_eq(r.v.active_index, 0);
	ck_assert_uint_eq(r.v.data_size, r.lay.current_size);
	ck_assert_uint_eq(r.v.current.offset, r.lay.current_offset);
	ck_assert(!r.v.best_effort);
	assert_fixture(&r.v.current, kp_cur, sizeof kp_cur);
	assert_uefi(&r.v.current);
	ck_assert(!r.v.older.present);
	ck_assert(vmgs_sniff_vdisk(r.vd));
	run_free(&r);
	fixture_free(&x);
}
END_TEST

START_TEST(digests_only_when_asked)
{
	fixture x;
	fixture_make(&x, kp_cur, sizeof kp_cur);
	vmgsw_spec s = { .current = x.st };
	run r;
	run_spec(&r, &s);
	ck_assert_int_eq(r.rc, HV_OK);
	char hex[65];
	sha_hex(r.buf + r.lay.current_offset, r.lay.current_size, hex);
	ck_assert_str_eq(r.v.current.sha256, hex); /* vmgs_read: every digest */

	vmgs_file lean;
	hv_findings f = { 0 };
	static const vmgs_read_opts none = { .digests = false };
	ck_assert_int_eq(vmgs_read_ex(r.vd, FNAME, &none, &lean, &f), HV_OK);
	const vmgs_guest_state *g = &lean.current;
	ck_assert_str_eq(g->sha256, "");
	ck_assert_uint_eq(g->ndevices, r.v.current.ndevices);
	for (size_t i = 0; i < g->ndevices; i++)
		for (size_t k = 0; k < g->devices[i].nstates; k++)
			ck_assert_str_eq(g->devices[i].states[k].sha256, "");
	for (size_t i = 0; i < g->nuefi; i++)
		ck_assert_str_eq(g->uefi[i].sha256, "");
	/* everything else is read as with digests: blobs, UEFI facts, findings */
	ck_assert_uint_eq(g->nblobs, r.v.current.nblobs);
	assert_blob(g, KP_PATH, kp_cur, sizeof kp_cur, VMGS_ROLE_CURRENT);
	ck_assert_uint_eq(g->nuefi, r.v.current.nuefi);
	ck_assert_int_eq(g->secure_boot, 1);
	ck_assert_uint_eq(g->ncerts, r.v.current.ncerts);
	ck_assert_uint_eq(f.n, r.f.n);
	vmgs_free(&lean);
	findings_free(&f);
	run_free(&r);
	fixture_free(&x);
}
END_TEST

START_TEST(dynamic_vhd_round_trip)
{
	fixture x;
	fixture_make(&x, kp_cur, sizeof kp_cur);
	vmgsw_spec s = { .current = x.st, .dynamic = true };
	run r;
	run_spec(&r, &s);
	ck_assert_int_eq(r.rc, HV_OK);
	ck_assert_int_eq(r.v.disk_kind, VDISK_KIND_DYNAMIC);
	ck_assert_uint_lt(r.len, r.lay.disk_size);
	assert_fixture(&r.v.current, kp_cur, sizeof kp_cur);
	assert_uefi(&r.v.current);
	run_free(&r);
	/* A 2 MiB block as Hyper-V uses, and a larger disk. */
	s.vhd_block_size = 2u * 1024 * 1024;
	s.disk_size = 4u * 1024 * 1024;
	run_spec(&r, &s);
	ck_assert_int_eq(r.rc, HV_OK);
	ck_assert_uint_eq(r.v.disk_size, 4u * 1024 * 1024);
	assert_fixture(&r.v.current, kp_cur, sizeof kp_cur);
	run_free(&r);
	fixture_free(&x);
}
END_TEST

/* Header 1 newer, locator 1 current; locator 0 holds an older state. */
START_TEST(active_copy_by_sequence_and_index)
{
	fixture x, o;
	fixture_make(&x, kp_cur, sizeof kp_cur);
	fixture_make(&o, kp_old, sizeof kp_old);
	vmgsw_spec s = { .current = x.st, .older = &o.st, .newer_header = 1, .active_index = 1,
			 .sequence = 100 };
	run r;
	run_spec(&r, &s);
	ck_assert_int_eq(r.rc, HV_OK);
	ck_assert_int_eq(r.v.active_header, 1);
	ck_assert_uint_eq(r.v.sequence, 100);
	ck_assert_uint_eq(r.v.hdr[0].sequence, 99);
	ck_assert_uint_eq(r.v.active_index, 1);
	ck_assert_int_eq(r.v.current.header, 1);
	ck_assert_int_eq(r.v.current.locator, 1);
	ck_assert_uint_eq(r.v.current.offset, r.lay.current_offset);
	assert_fixture(&r.v.current, kp_cur, sizeof kp_cur);
	/* The older copy is decoded and reported with its own key protector. */
	ck_assert(r.v.older.present && r.v.older.decoded);
	ck_assert_int_eq(r.v.older.locator, 0);
	ck_assert_uint_eq(r.v.older.offset, r.lay.older_offset);
	assert_fixture(&r.v.older, kp_old, sizeof kp_old);
	assert_uefi(&r.v.older);
	ck_assert_str_ne(r.v.current.sha256, r.v.older.sha256);
	run_free(&r);
	fixture_free(&x);
	fixture_free(&o);
}
END_TEST

/* Rewrites the sequence of the header at off (CRC recomputed). */
static void set_sequence(uint8_t *buf, uint64_t off, uint32_t seq)
{
	st32le(buf + off + 16, seq);
	st32le(buf + off + 12, hv_crc32_zeroed(buf + off, 0x60, 12, 4));
}

START_TEST(sequence_wraps_around)
{
	fixture x, o;
	fixture_make(&x, kp_cur, sizeof kp_cur);
	fixture_make(&o, kp_old, sizeof kp_old);
	vmgsw_spec s = { .current = x.st, .older = &o.st, .newer_header = 0 };
	run r;
	memset(&r, 0, sizeof r);
	r.buf = vmgsw_build_ex(&s, &r.len, &r.lay);
	set_sequence(r.buf, r.lay.header_offset[0], 0);           /* newer: 0 */
	set_sequence(r.buf, r.lay.header_offset[1], 0xFFFFFFFFu); /* older: 2^32-1 */
	run_bytes(&r);
	ck_assert_int_eq(r.rc, HV_OK);
	ck_assert_int_eq(r.v.active_header, 0);
	ck_assert_uint_eq(r.v.sequence, 0);
	assert_blob(&r.v.current, KP_PATH, kp_cur, sizeof kp_cur, VMGS_ROLE_CURRENT);
	run_free(&r);
	fixture_free(&x);
	fixture_free(&o);
}
END_TEST

START_TEST(bare_partition_image)
{
	fixture x;
	fixture_make(&x, kp_cur, sizeof kp_cur);
	vmgsw_spec s = { .current = x.st, .bare = true };
	run r;
	run_spec(&r, &s);
	ck_assert_int_eq(r.rc, HV_OK);
	ck_assert_int_eq(r.v.version, 1);
	ck_assert(r.v.bare_partition);
	ck_assert_int_eq(r.v.disk_format, VDISK_FMT_RAW);
	ck_assert_uint_eq(r.v.partition_offset, 0);
	assert_fixture(&r.v.current, kp_cur, sizeof kp_cur);
	ck_assert(has_finding(&r.f, HV_SEV_NOTE, 0, "no GPT"));
	run_free(&r);
	fixture_free(&x);
}
END_TEST

START_TEST(json_paths_are_escaped_and_roles_hinted)
{
	static const uint8_t b[3] = { 1, 2, 3 };
	vmgsw_value inner[2] = {
		{ .name = "LastKnownGoodKeyProtector", .kind = VMGSW_BYTES, .bytes = b, .len = 3 },
		{ .name = "a/b~c", .kind = VMGSW_STRING, .str = "x" },
	};
	vmgsw_value states[2] = {
		{ .name = "Security", .kind = VMGSW_OBJECT, .members = inner, .nmembers = 2 },
		{ .name = "List", .kind = VMGSW_RAW, .str = "[\"s\", [4, 5], {\"k\": [6]}, null]" },
	};
	vmgsw_device d = { TPM_GUID, NULL, states, 2 };
	vmgsw_spec s = { .current = { &d, 1, NULL, 0, NULL } };
	run r;
	run_spec(&r, &s);
	ck_assert_int_eq(r.rc, HV_OK);
	const vmgs_guest_state *g = &r.v.current;
	assert_blob(g, "Devices/" TPM_GUID "/States/Security/LastKnownGoodKeyProtector", b, 3,
		    VMGS_ROLE_LAST_KNOWN_GOOD);
	ck_assert_ptr_nonnull(blob_at(g, "Devices/" TPM_GUID "/States/Security/a~1b~0c"));
	ck_assert_ptr_nonnull(blob_at(g, "Devices/" TPM_GUID "/States/List/0"));
	static const uint8_t b45[2] = { 4, 5 }, b6[1] = { 6 };
	assert_blob(g, "Devices/" TPM_GUID "/States/List/1", b45, 2, VMGS_ROLE_NONE);
	assert_blob(g, "Devices/" TPM_GUID "/States/List/2/k", b6, 1, VMGS_ROLE_NONE);
	ck_assert_uint_eq(g->nblobs, 5);
	const vmgs_state *list = state_of(device_of(g, "736E6AA9-A3F8-49C0-9550-A963214D259A"),
					  "List");
	ck_assert_int_eq(list->kind, VMGS_STATE_ARRAY);
	ck_assert_uint_eq(list->size, 4);
	ck_assert_uint_eq(list->nblobs, 3);
	ck_assert_ptr_null(device_of(g, TPM_GUID)->type);
	run_free(&r);
}
END_TEST

START_TEST(role_names)
{
	ck_assert_int_eq(vmgs_role_of_name("KeyProtector"), VMGS_ROLE_CURRENT);
	ck_assert_int_eq(vmgs_role_of_name("key_protector"), VMGS_ROLE_CURRENT);
	ck_assert_int_eq(vmgs_role_of_name("KEY-PROTECTOR"), VMGS_ROLE_CURRENT);
	ck_assert_int_eq(vmgs_role_of_name("IngressKeyProtector"), VMGS_ROLE_CURRENT);
	ck_assert_int_eq(vmgs_role_of_name("LastKnownGoodKeyProtector"),
			 VMGS_ROLE_LAST_KNOWN_GOOD);
	ck_assert_int_eq(vmgs_role_of_name("lkg_key_protector"), VMGS_ROLE_LAST_KNOWN_GOOD);
	ck_assert_int_eq(vmgs_role_of_name("LKGKeyProtector"), VMGS_ROLE_LAST_KNOWN_GOOD);
	ck_assert_int_eq(vmgs_role_of_name("KeyProtectorType"), VMGS_ROLE_NONE);
	ck_assert_int_eq(vmgs_role_of_name("Protector"), VMGS_ROLE_NONE);
	ck_assert_int_eq(vmgs_role_of_name(""), VMGS_ROLE_NONE);
	ck_assert_int_eq(vmgs_role_of_name(NULL), VMGS_ROLE_NONE);
	ck_assert_str_eq(vmgs_role_name(VMGS_ROLE_LAST_KNOWN_GOOD), "last_known_good");
	ck_assert_str_eq(vmgs_device_name("{736E6AA9-A3F8-49C0-9550-A963214D259A}"),
			 "Microsoft Virtual TPM Device");
	ck_assert_ptr_null(vmgs_device_name("00000000-0000-0000-0000-000000000000"));
	ck_assert_str_eq(vmgs_v3_file_name(6), "KEY_PROTECTOR");
	ck_assert_str_eq(vmgs_v3_file_name(63), "EXTENDED_FILE_TABLE");
	ck_assert_str_eq(vmgs_v3_file_name(12), "unknown");
	ck_assert_str_eq(vmgs_v3_file_name(4000), "unknown");
}
END_TEST

START_TEST(non_ascii_text_round_trips)
{
	/* U+00E9 (2 UTF-8 bytes), U+4E2D (3) and U+1F511 (a surrogate pair). */
	const char *txt = "caf\xC3\xA9 \xE4\xB8\xAD \xF0\x9F\x94\x91";
	vmgsw_value st = { .name = "Note", .kind = VMGSW_STRING, .str = txt };
	vmgsw_device d = { TPM_GUID, NULL, &st, 1 };
	vmgsw_spec s = { .current = { &d, 1, NULL, 0, NULL } };
	run r;
	run_spec(&r, &s);
	ck_assert_int_eq(r.rc, HV_OK);
	const vmgs_blob *b = blob_at(&r.v.current, "Devices/" TPM_GUID "/States/Note");
	ck_assert_ptr_nonnull(b);
	ck_assert_str_eq((const char *)b->bytes, txt);
	ck_assert_uint_eq(b->len, strlen(txt));
	run_free(&r);
}
END_TEST

/* ---- damage --------------------------------------------------------------- */

static void damaged(run *r, unsigned dmg, int newer)
{
	fixture x, o;
	fixture_make(&x, kp_cur, sizeof kp_cur);
	fixture_make(&o, kp_old, sizeof kp_old);
	vmgsw_spec s = { .current = x.st, .older = &o.st, .damage = dmg, .newer_header = newer };
	run_spec(r, &s);
	fixture_free(&x);
	fixture_free(&o);
}

/* ---- salvage -------------------------------------------------------------- */

typedef struct {
	char name[8][64];
	uint8_t *bytes[8];
	size_t len[8];
	uint64_t offset[8];
	vmgs_kp_role role[8];
	bool is_string[8];
	size_t n;
} salvaged;

static bool on_value(void *ctx, const vmgs_salvaged *v)
{
	salvaged *s = ctx;
	ck_assert_uint_lt(s->n, 8);
	snprintf(s->name[s->n], sizeof s->name[0], "%s", v->name);
	s->bytes[s->n] = malloc(v->len);
	memcpy(s->bytes[s->n], v->bytes, v->len);
	s->len[s->n] = v->len;
	s->offset[s->n] = v->offset;
	s->role[s->n] = v->role;
	s->is_string[s->n] = v->is_string;
	s->n++;
	return true;
}

static void salvaged_free(salvaged *s)
{
	for (size_t i = 0; i < s->n; i++)
		free(s->bytes[i]);
	memset(s, 0, sizeof *s);
}

static const char long_text[] = "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"
				"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=";

/*
 * Both headers damaged: the reader gives up, but the JSON text is still in
 * the bytes, and vmgs_salvage finds its values: the byte arrays of at least
 * VMGS_SALVAGE_MIN numbers and the long strings, with the member name before
 * each and the role that name suggests.
 */
START_TEST(salvage_finds_the_values_a_damaged_file_still_holds)
{
	fixture x;
	fixture_make(&x, kp_cur, sizeof kp_cur);
	x.tpm_states[4] = (vmgsw_value){ .name = "Mode", .kind = VMGSW_STRING, .str = long_text };
	vmgsw_spec s = { .current = x.st, .damage = VMGSW_DMG_CRC0 | VMGSW_DMG_CRC1 };
	run r;
	run_spec(&r, &s);
	ck_assert_int_eq(r.rc, HV_ERR_CORRUPT);
	ck_assert(!r.v.current.decoded);
	salvaged got = { .n = 0 };
	size_t n = vmgs_salvage(span_make(r.buf, r.len), r.len, 0, on_value, &got);
	ck_assert_uint_eq(n, got.n);
	int kp = -1, lkg = -1, nv = -1, mode = -1;
	for (size_t i = 0; i < got.n; i++) {
		if (strcmp(got.name[i], "KeyProtector") == 0)
			kp = (int)i;
		else if (strcmp(got.name[i], "lkg_key_protector") == 0)
			lkg = (int)i;
		else if (strcmp(got.name[i], "Nvram") == 0 && got.len[i] == sizeof tpm_nv)
			nv = (int)i;
		else if (strcmp(got.name[i], "Mode") == 0)
			mode = (int)i;
	}
	ck_assert_msg(kp >= 0 && lkg >= 0 && nv >= 0 && mode >= 0, "%zu values", got.n);
	ck_assert_uint_eq(got.len[kp], sizeof kp_cur);
	ck_assert_mem_eq(got.bytes[kp], kp_cur, sizeof kp_cur);
	ck_assert_int_eq(got.role[kp], VMGS_ROLE_CURRENT);
	ck_assert(!got.is_string[kp]);
	/* the offset is that of the '[' (UTF-16LE) inside the current copy's data */
	ck_assert_uint_ge(got.offset[kp], r.lay.current_offset);
	ck_assert_uint_lt(got.offset[kp], r.lay.current_offset + r.lay.current_size);
	ck_assert_uint_eq(r.buf[got.offset[kp]], '[');
	ck_assert_uint_eq(r.buf[got.offset[kp] + 1], 0);
	ck_assert_mem_eq(got.bytes[lkg], kp_lkg, sizeof kp_lkg);
	ck_assert_int_eq(got.role[lkg], VMGS_ROLE_LAST_KNOWN_GOOD);
	ck_assert(got.is_string[mode]);
	ck_assert_uint_eq(got.len[mode], strlen(long_text));
	ck_assert_mem_eq(got.bytes[mode], long_text, strlen(long_text));
	salvaged_free(&got);

	/* a window: only values that start in its body are handed on */
	n = vmgs_salvage(span_make(r.buf, r.len), (size_t)r.lay.current_offset, 0, on_value, &got);
	ck_assert_uint_eq(n, 0);
	ck_assert_uint_eq(got.n, 0);
	run_free(&r);
	fixture_free(&x);
}
END_TEST

/* A file cut short in the middle of the protector's array: that value is lost, others stay. */
START_TEST(salvage_of_a_file_cut_short)
{
	fixture x;
	fixture_make(&x, kp_cur, sizeof kp_cur);
	vmgsw_spec s = { .current = x.st };
	run r;
	run_spec(&r, &s);
	salvaged got = { .n = 0 };
	vmgs_salvage(span_make(r.buf, r.len), r.len, 0, on_value, &got);
	uint64_t kp_at = 0, lkg_at = 0;
	for (size_t i = 0; i < got.n; i++) {
		if (strcmp(got.name[i], "KeyProtector") == 0)
			kp_at = got.offset[i];
		if (strcmp(got.name[i], "lkg_key_protector") == 0)
			lkg_at = got.offset[i];
	}
	ck_assert_uint_gt(kp_at, 0);
	ck_assert_uint_gt(lkg_at, kp_at); /* written in this order */
	salvaged_free(&got);
	/* cut 40 bytes into the lkg array: KeyProtector is whole, lkg_key_protector is not */
	vmgs_salvage(span_make(r.buf, (size_t)lkg_at + 40), (size_t)lkg_at + 40, 0, on_value, &got);
	bool kp = false, lkg = false;
	for (size_t i = 0; i < got.n; i++) {
		kp |= strcmp(got.name[i], "KeyProtector") == 0;
		lkg |= strcmp(got.name[i], "lkg_key_protector") == 0;
	}
	ck_assert(kp && !lkg);
	salvaged_free(&got);
	run_free(&r);
	fixture_free(&x);
}
END_TEST

START_TEST(bad_crc_on_older_header_uses_newer)
{
	run r;
	damaged(&r, VMGSW_DMG_CRC1, 0);
	ck_assert_int_eq(r.rc, HV_OK);
	ck_assert(!r.v.hdr[1].crc_ok && !r.v.hdr[1].valid);
	ck_assert(r.v.hdr[1].present);
	ck_assert_int_eq(r.v.active_header, 0);
	ck_assert(has_finding(&r.f, HV_SEV_WARN, r.lay.header_offset[1], "fails its CRC-32"));
	assert_blob(&r.v.current, KP_PATH, kp_cur, sizeof kp_cur, VMGS_ROLE_CURRENT);
	ck_assert(r.v.older.decoded);
	run_free(&r);
}
END_TEST

/* The newer header is lost: the older one is used and names the older data. */
START_TEST(bad_crc_on_newer_header_uses_older)
{
	run r;
	damaged(&r, VMGSW_DMG_CRC0, 0);
	ck_assert_int_eq(r.rc, HV_OK);
	ck_assert_int_eq(r.v.active_header, 1);
	ck_assert_uint_eq(r.v.sequence, 6);
	ck_assert(has_finding(&r.f, HV_SEV_WARN, r.lay.header_offset[0], "using header 1"));
	ck_assert_uint_eq(r.v.current.offset, r.lay.older_offset);
	assert_blob(&r.v.current, KP_PATH, kp_old, sizeof kp_old, VMGS_ROLE_CURRENT);
	assert_blob(&r.v.older, KP_PATH, kp_cur, sizeof kp_cur, VMGS_ROLE_CURRENT);
	run_free(&r);
}
END_TEST

START_TEST(both_headers_bad_is_corrupt)
{
	run r;
	damaged(&r, VMGSW_DMG_CRC0 | VMGSW_DMG_CRC1, 0);
	ck_assert_int_eq(r.rc, HV_ERR_CORRUPT);
	ck_assert_int_eq(r.v.version, 1);
	ck_assert_int_eq(r.v.active_header, -1);
	ck_assert(has_finding(&r.f, HV_SEV_ERROR, r.lay.header_offset[0], "fails its CRC-32"));
	ck_assert(has_finding(&r.f, HV_SEV_ERROR, r.lay.header_offset[1], "fails its CRC-32"));
	ck_assert(!r.v.current.present);
	run_free(&r);
}
END_TEST

START_TEST(sequence_gap_is_corrupt_but_read)
{
	run r;
	damaged(&r, VMGSW_DMG_SEQ_GAP, 1);
	ck_assert_int_eq(r.rc, HV_ERR_CORRUPT);
	ck_assert(r.v.best_effort);
	ck_assert_int_eq(r.v.active_header, 1);
	ck_assert(has_finding(&r.f, HV_SEV_ERROR, r.lay.header_offset[1] + 16, "not one apart"));
	/* Best effort: the newer header's copy is still decoded. */
	assert_blob(&r.v.current, KP_PATH, kp_cur, sizeof kp_cur, VMGS_ROLE_CURRENT);
	run_free(&r);
}
END_TEST

START_TEST(locator_out_of_bounds_is_corrupt)
{
	run r;
	damaged(&r, VMGSW_DMG_LOCATOR_OOB, 0);
	ck_assert_int_eq(r.rc, HV_ERR_CORRUPT);
	ck_assert(r.v.hdr[0].valid);
	ck_assert(!r.v.hdr[0].loc[0].in_bounds);
	ck_assert_str_eq(r.v.hdr[0].loc[0].problem, "lies outside the partition");
	ck_assert(has_finding(&r.f, HV_SEV_ERROR, r.lay.header_offset[0] + 0x20,
			      "lies outside the partition"));
	ck_assert(!r.v.current.decoded);
	ck_assert_int_eq(r.v.current.status, HV_ERR_CORRUPT);
	/* The older copy is still read: recovery may need it. */
	assert_blob(&r.v.older, KP_PATH, kp_old, sizeof kp_old, VMGS_ROLE_CURRENT);
	run_free(&r);
}
END_TEST

START_TEST(data_size_past_allocation_is_corrupt)
{
	run r;
	damaged(&r, VMGSW_DMG_SIZE_PAST_ALLOC, 0);
	ck_assert_int_eq(r.rc, HV_ERR_CORRUPT);
	ck_assert(has_finding(&r.f, HV_SEV_ERROR, r.lay.header_offset[0] + 0x20,
			      "data size larger than its allocation"));
	run_free(&r);
}
END_TEST

START_TEST(truncated_json_is_corrupt)
{
	run r;
	damaged(&r, VMGSW_DMG_TRUNCATE, 0);
	ck_assert_int_eq(r.rc, HV_ERR_CORRUPT);
	ck_assert(!r.v.current.decoded);
	ck_assert(!r.v.current.terminated);
	ck_assert_uint_eq(r.v.current.text_units * 2, r.lay.current_size);
	ck_assert(has_finding(&r.f, HV_SEV_ERROR, r.lay.current_offset + r.lay.current_size,
			      "truncated"));
	ck_assert(r.v.older.decoded);
	run_free(&r);
}
END_TEST

START_TEST(unpaired_surrogate_is_corrupt)
{
	run r;
	damaged(&r, VMGSW_DMG_BAD_UTF16, 0);
	ck_assert_int_eq(r.rc, HV_ERR_CORRUPT);
	ck_assert(has_finding(&r.f, HV_SEV_ERROR, r.lay.current_offset + 4,
			      "unpaired surrogate U+D800"));
	run_free(&r);
	/* A lone low surrogate, written by hand into the text. */
	damaged(&r, 0, 0);
	vmgs_free(&r.v);
	vdisk_close(r.vd);
	findings_free(&r.f);
	st16le(r.buf + r.lay.current_offset + 6, 0xDC01);
	run_bytes(&r);
	ck_assert_int_eq(r.rc, HV_ERR_CORRUPT);
	ck_assert(has_finding(&r.f, HV_SEV_ERROR, r.lay.current_offset + 6, "U+DC01"));
	run_free(&r);
}
END_TEST

static hv_err read_raw_state(const char *json, run *r)
{
	raw_state rs;
	raw_make(&rs, "Blob", json);
	vmgsw_spec s = { .current = rs.st };
	run_spec(r, &s);
	return r->rc;
}

/* Escaped surrogates in JSON strings must pair up as well (json-c would
 * silently turn a lone one into U+FFFD). */
START_TEST(unpaired_surrogate_escape_is_corrupt)
{
	static const char *const bad[] = { "\"\\ud800x\"", "\"\\udc00\"", "\"\\uD800\\n\"",
					   "\"\\ud800\\ud800\"", "\"ab\\uDBFF\"" };
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		run r;
		ck_assert_int_eq(read_raw_state(bad[i], &r), HV_ERR_CORRUPT);
		bool named = false;
		for (size_t k = 0; k < r.f.n; k++)
			named |= strstr(r.f.v[k].msg, "\\u escape") != NULL &&
				 r.f.v[k].offset > r.lay.current_offset;
		ck_assert_msg(named, "case %zu", i);
		run_free(&r);
	}
	run r;
	ck_assert_int_eq(read_raw_state("[\"\\ud83d\\udd11\", \"\\\\ud800\", \"\\u00e9\"]", &r),
			 HV_OK);
	const vmgs_blob *b = blob_at(&r.v.current, "Devices/" TPM_GUID "/States/Blob/0");
	ck_assert_ptr_nonnull(b);
	ck_assert_str_eq((const char *)b->bytes, "\xF0\x9F\x94\x91");
	b = blob_at(&r.v.current, "Devices/" TPM_GUID "/States/Blob/1");
	ck_assert_str_eq((const char *)b->bytes, "\\ud800");
	run_free(&r);
}
END_TEST

START_TEST(number_outside_byte_range_is_corrupt)
{
	static const char *const bad[] = { "[1, 256]", "[-1]", "[1, 2.5]", "[99999999999999999999]",
					   "[0, 1e3]" };
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		run r;
		ck_assert_int_eq(read_raw_state(bad[i], &r), HV_ERR_CORRUPT);
		ck_assert(has_finding(&r.f, HV_SEV_ERROR, r.lay.current_offset,
				      "/States/Blob: item"));
		ck_assert(!r.v.current.decoded);
		run_free(&r);
	}
	run r;
	ck_assert_int_eq(read_raw_state("[0, 255, 128]", &r), HV_OK);
	static const uint8_t ok[3] = { 0, 255, 128 };
	assert_blob(&r.v.current, "Devices/" TPM_GUID "/States/Blob", ok, 3, VMGS_ROLE_NONE);
	run_free(&r);
	/* Mixed arrays are not byte strings: numbers in them are left alone. */
	ck_assert_int_eq(read_raw_state("[\"x\", 4096]", &r), HV_OK);
	run_free(&r);
}
END_TEST

START_TEST(json_depth_cap)
{
	strbuf sb = STRBUF_INIT;
	for (int i = 0; i < VMGS_MAX_JSON_DEPTH; i++)
		sb_addc(&sb, '[');
	for (int i = 0; i < VMGS_MAX_JSON_DEPTH; i++)
		sb_addc(&sb, ']');
	run r;
	/* The document adds 4 levels (root, Devices, device, States). */
	ck_assert_int_eq(read_raw_state(sb_str(&sb), &r), HV_ERR_LIMIT);
	ck_assert_uint_eq(r.v.current.ndevices, 0);
	const char *j = "{\"Version\": {\"Major\": 1, \"Minor\": 0}, \"Devices\": {\"" TPM_GUID
			"\": {\"Version\": {\"Major\": 1, \"Minor\": 0}, \"Type\": "
			"\"Microsoft:vTPM\", \"States\": {\"Blob\": ";
	/* The 33rd opening bracket is where the cap is hit. */
	size_t at = strlen(j) + (VMGS_MAX_JSON_DEPTH - 4);
	ck_assert(has_finding(&r.f, HV_SEV_ERROR, r.lay.current_offset + 2 * at, "depth"));
	run_free(&r);
	sb_reset(&sb);
	for (int i = 0; i < VMGS_MAX_JSON_DEPTH - 5; i++)
		sb_addc(&sb, '[');
	for (int i = 0; i < VMGS_MAX_JSON_DEPTH - 5; i++)
		sb_addc(&sb, ']');
	ck_assert_int_eq(read_raw_state(sb_str(&sb), &r), HV_OK);
	run_free(&r);
	sb_free(&sb);
}
END_TEST

START_TEST(json_element_cap)
{
	size_t n = VMGS_MAX_JSON_ELEMENTS + 16;
	char *a = malloc(2 * n + 2);
	a[0] = '[';
	for (size_t i = 0; i < n; i++) {
		a[1 + 2 * i] = '7';
		a[2 + 2 * i] = i + 1 < n ? ',' : ']';
	}
	a[2 * n + 1] = '\0';
	run r;
	clock_t t0 = clock();
	ck_assert_int_eq(read_raw_state(a, &r), HV_ERR_LIMIT);
	ck_assert_uint_eq(r.v.current.nblobs, 0);
	/* Refused by the scan, before json-c builds a million objects. */
	ck_assert_double_lt((double)(clock() - t0) / CLOCKS_PER_SEC, 5.0);
	bool named = false;
	for (size_t i = 0; i < r.f.n; i++)
		named |= strstr(r.f.v[i].msg, "element count exceeds the cap") != NULL &&
			 r.f.v[i].offset > r.lay.current_offset &&
			 r.f.v[i].offset < r.lay.current_offset + r.lay.current_size;
	ck_assert(named);
	run_free(&r);
	free(a);
}
END_TEST

START_TEST(blob_cap_counts_the_rest)
{
	size_t n = VMGS_MAX_BLOBS + 10;
	strbuf sb = STRBUF_INIT;
	sb_addc(&sb, '[');
	for (size_t i = 0; i < n; i++)
		sb_addf(&sb, i ? ", \"s%zu\"" : "\"s%zu\"", i);
	sb_addc(&sb, ']');
	run r;
	ck_assert_int_eq(read_raw_state(sb_str(&sb), &r), HV_OK);
	/* The device's Type string is the first blob. */
	ck_assert_uint_eq(r.v.current.nblobs, VMGS_MAX_BLOBS);
	ck_assert_uint_eq(r.v.current.blobs_dropped, n + 1 - VMGS_MAX_BLOBS);
	ck_assert(has_finding(&r.f, HV_SEV_WARN, r.lay.current_offset, "counted, not kept"));
	run_free(&r);
	sb_free(&sb);
}
END_TEST

START_TEST(not_a_guest_state_document)
{
	const char *const docs[] = { "[1, 2]", "{\"Version\": {}}", "{\"Devices\": []}" };
	for (size_t i = 0; i < 3; i++) {
		vmgsw_spec s = { .current = { .json = docs[i] } };
		run r;
		run_spec(&r, &s);
		ck_assert_int_eq(r.rc, HV_ERR_CORRUPT);
		ck_assert(has_finding(&r.f, HV_SEV_ERROR, r.lay.current_offset, "no \"Devices\""));
		run_free(&r);
	}
	vmgsw_spec s = { .current = { .json = "{\"Devices\": {}} x" } };
	run r;
	run_spec(&r, &s);
	ck_assert_int_eq(r.rc, HV_ERR_CORRUPT);
	ck_assert(has_finding(&r.f, HV_SEV_ERROR, r.lay.current_offset + 2 * 16, "syntax error"));
	run_free(&r);
	s.current.json = "{\"Devices\": {} \"Version\": 1}";
	run_spec(&r, &s);
	ck_assert_int_eq(r.rc, HV_ERR_CORRUPT);
	ck_assert(has_finding(&r.f, HV_SEV_ERROR, r.lay.current_offset + 2 * 15, "syntax"));
	run_free(&r);
}
END_TEST

START_TEST(older_copy_damage_is_a_warning)
{
	fixture x;
	fixture_make(&x, kp_cur, sizeof kp_cur);
	vmgsw_state old = { .json = "{\"Devices\": " };
	vmgsw_spec s = { .current = x.st, .older = &old };
	run r;
	run_spec(&r, &s);
	ck_assert_int_eq(r.rc, HV_OK);
	ck_assert_int_eq(r.v.older.status, HV_ERR_CORRUPT);
	ck_assert(!r.v.older.decoded);
	ck_assert(has_finding(&r.f, HV_SEV_WARN, r.lay.older_offset, "could not be decoded"));
	assert_fixture(&r.v.current, kp_cur, sizeof kp_cur);
	run_free(&r);
	/* Without an older copy the empty locator is a note. */
	s.older = NULL;
	run_spec(&r, &s);
	ck_assert_int_eq(r.rc, HV_OK);
	ck_assert(has_finding(&r.f, HV_SEV_NOTE, r.lay.header_offset[0] + 0x40, "no older"));
	run_free(&r);
	fixture_free(&x);
}
END_TEST

START_TEST(unknown_v1_version_is_unsupported)
{
	fixture x;
	fixture_make(&x, kp_cur, sizeof kp_cur);
	vmgsw_spec s = { .current = x.st, .header_version = 0x00010001u };
	run r;
	run_spec(&r, &s);
	ck_assert_int_eq(r.rc, HV_ERR_UNSUPPORTED);
	ck_assert(has_finding(&r.f, HV_SEV_ERROR, r.lay.header_offset[0] + 8, "0x00010001"));
	run_free(&r);
	fixture_free(&x);
}
END_TEST

/* ---- v3 and non-VMGS input ---------------------------------------------------- */

START_TEST(v3_file_table)
{
	static uint8_t nvram[5000], kp[2060], tpm[100];
	fill(nvram, sizeof nvram, 5);
	fill(kp, sizeof kp, 6);
	fill(tpm, sizeof tpm, 7);
	vmgsw_v3_file files[3] = {
		{ 1, nvram, sizeof nvram, 0 },
		{ 3, tpm, sizeof tpm, 3 },
		{ 6, kp, sizeof kp, 0 },
	};
	vmgsw_spec s = { .version = 3, .files = files, .nfiles = 3, .encryption_algorithm = 1,
			 .newer_header = 1, .sequence = 12 };
	run r;
	run_spec(&r, &s);
	if (r.rc != HV_OK)
		dump_findings(&r.f);
	ck_assert_int_eq(r.rc, HV_OK);
	ck_assert_int_eq(r.v.version, 3);
	ck_assert(vmgs_sniff_vdisk(r.vd));
	ck_assert_int_eq(r.v.active_header, 1);
	ck_assert_uint_eq(r.v.sequence, 12);
	ck_assert(r.v.hdr3[0].valid && r.v.hdr3[1].valid);
	ck_assert_uint_eq(r.v.hdr3[1].encryption_algorithm, 1);
	ck_assert(r.v.hdr3[1].metadata_key[0]);
	ck_assert_uint_eq(r.v.nfiles, 4);
	ck_assert_str_eq(r.v.files[0].name, "FILE_TABLE");
	ck_assert_str_eq(r.v.files[1].name, "BIOS_NVRAM");
	ck_assert_uint_eq(r.v.files[1].valid_data_size, sizeof nvram);
	ck_assert_uint_eq(r.v.files[1].allocation_blocks, 2);
	ck_assert(!r.v.files[1].encrypted);
	ck_assert_str_eq(r.v.files[2].name, "TPM_NVRAM");
	ck_assert(r.v.files[2].encrypted && r.v.files[2].authenticated);
	ck_assert(r.v.files[2].has_auth_tag);
	ck_assert_str_eq(r.v.files[3].name, "KEY_PROTECTOR");
	ck_assert(r.v.files[3].in_bounds);
	ck_assert_uint_eq(r.v.current.nblobs, 0);
	run_free(&r);
	/* One bad header: the other is used, with a warning. */
	s.damage = VMGSW_DMG_CRC1;
	run_spec(&r, &s);
	ck_assert_int_eq(r.rc, HV_OK);
	ck_assert_int_eq(r.v.active_header, 0);
	ck_assert(has_finding(&r.f, HV_SEV_WARN, 512, "fails its CRC-32"));
	run_free(&r);
	s.damage = VMGSW_DMG_SEQ_GAP;
	run_spec(&r, &s);
	ck_assert_int_eq(r.rc, HV_ERR_CORRUPT);
	ck_assert_uint_eq(r.v.nfiles, 4);
	run_free(&r);
}
END_TEST

START_TEST(v2_is_unsupported)
{
	vmgsw_spec s = { .version = 3, .header_version = 0x00020000u };
	run r;
	run_spec(&r, &s);
	ck_assert_int_eq(r.rc, HV_ERR_UNSUPPORTED);
	ck_assert(has_finding(&r.f, HV_SEV_ERROR, 8, "0x00020000"));
	run_free(&r);
}
END_TEST

/* The placeholder samples used so far: random bytes in a fixed-VHD shape. */
START_TEST(placeholder_is_not_a_guest_state)
{
	size_t data = 0x20000, total = data + 512;
	uint8_t *img = malloc(total);
	srand(7);
	for (size_t i = 0; i < data; i++)
		img[i] = (uint8_t)rand();
	memcpy(img + 512, "EFI PART", 8);
	memcpy(img + 0x10000, "GUESTRTS", 8); /* not at a header position */
	uint8_t *f = img + data;
	memset(f, 0, 512);
	memcpy(f, "conectix", 8);
	st32be(f + 12, 0x00010000);
	memset(f + 16, 0xFF, 8);
	st32be(f + 44, (uint32_t)data);
	st32be(f + 52, (uint32_t)data);
	st32be(f + 60, 2);
	uint32_t sum = 0;
	for (int i = 0; i < 512; i++)
		sum += f[i];
	st32be(f + 64, ~sum);
	run r;
	memset(&r, 0, sizeof r);
	r.buf = img;
	r.len = total;
	run_bytes(&r);
	ck_assert_int_eq(r.rc, HV_ERR_FORMAT);
	ck_assert_int_eq(r.v.version, 0);
	ck_assert(!vmgs_sniff_vdisk(r.vd));
	ck_assert(has_finding(&r.f, HV_SEV_ERROR, HV_NO_OFFSET, "not a guest state file"));
	run_free(&r);
	/* A GPT disk without the VMGS partition is not one either. */
	uint8_t *disk = calloc(1, 256 * 1024);
	gptw_part p = { 64, 256 * 2 - 40, "EBD0A0A2-B9E5-4433-87C0-68B6B72699C7", "data" };
	ck_assert(gptw_build(disk, 256 * 1024, 512, &p, 1));
	memset(&r, 0, sizeof r);
	r.buf = disk;
	r.len = 256 * 1024;
	run_bytes(&r);
	ck_assert_int_eq(r.rc, HV_ERR_FORMAT);
	run_free(&r);
}
END_TEST

START_TEST(gpt_partition_without_headers_is_corrupt)
{
	uint8_t *disk = calloc(1, 256 * 1024);
	gptw_part p = { 64, 256 * 2 - 40, VMGS_V1_PARTITION_TYPE, "VMGS" };
	ck_assert(gptw_build(disk, 256 * 1024, 512, &p, 1));
	run r;
	memset(&r, 0, sizeof r);
	r.buf = disk;
	r.len = 256 * 1024;
	run_bytes(&r);
	ck_assert(vmgs_sniff_vdisk(r.vd));
	ck_assert_int_eq(r.rc, HV_ERR_CORRUPT);
	ck_assert(has_finding(&r.f, HV_SEV_ERROR, 64 * 512, "is empty"));
	run_free(&r);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("vmgs");
	TCase *tc = tcase_create("v1");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, fixed_vhd_round_trip);
	tcase_add_test(tc, dynamic_vhd_round_trip);
	tcase_add_test(tc, digests_only_when_asked);
	tcase_add_test(tc, active_copy_by_sequence_and_index);
	tcase_add_test(tc, sequence_wraps_around);
	tcase_add_test(tc, bare_partition_image);
	tcase_add_test(tc, json_paths_are_escaped_and_roles_hinted);
	tcase_add_test(tc, role_names);
	tcase_add_test(tc, non_ascii_text_round_trips);
	suite_add_tcase(s, tc);
	tc = tcase_create("damage");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, bad_crc_on_older_header_uses_newer);
	tcase_add_test(tc, bad_crc_on_newer_header_uses_older);
	tcase_add_test(tc, both_headers_bad_is_corrupt);
	tcase_add_test(tc, sequence_gap_is_corrupt_but_read);
	tcase_add_test(tc, locator_out_of_bounds_is_corrupt);
	tcase_add_test(tc, data_size_past_allocation_is_corrupt);
	tcase_add_test(tc, truncated_json_is_corrupt);
	tcase_add_test(tc, unpaired_surrogate_is_corrupt);
	tcase_add_test(tc, unpaired_surrogate_escape_is_corrupt);
	tcase_add_test(tc, number_outside_byte_range_is_corrupt);
	tcase_add_test(tc, json_depth_cap);
	tcase_add_test(tc, json_element_cap);
	tcase_add_test(tc, blob_cap_counts_the_rest);
	tcase_add_test(tc, not_a_guest_state_document);
	tcase_add_test(tc, older_copy_damage_is_a_warning);
	tcase_add_test(tc, unknown_v1_version_is_unsupported);
	suite_add_tcase(s, tc);
	tc = tcase_create("other");
	tcase_add_test(tc, v3_file_table);
	tcase_add_test(tc, v2_is_unsupported);
	tcase_add_test(tc, placeholder_is_not_a_guest_state);
	tcase_add_test(tc, gpt_partition_without_headers_is_corrupt);
	tcase_add_test(tc, salvage_finds_the_values_a_damaged_file_still_holds);
	tcase_add_test(tc, salvage_of_a_file_cut_short);
	suite_add_tcase(s, tc);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
