/*
 * gen_estate.c - a synthetic Hyper-V estate for the audit benchmark.
 *
 *   usage: gen_estate OUTDIR NVMS NPFX
 *
 * Writes OUTDIR/estate/ (the tree to audit) and OUTDIR/passwords.txt (the
 * PFX password, outside the tree).  Everything is made up and deterministic
 * (fixed seeds): no real host, key or certificate.
 *
 * The estate: NPFX/4 Hyper-V hosts, each with a local "UntrustedGuardian"
 * (an encryption and a signing certificate valid for ten years, created on
 * dates spread over 2016-2025, so some expire around the --at date of the
 * benchmark), and NVMS VM exports spread over the hosts.  Each VM export is
 * a .vmcx configuration (TPM enabled) and a guest state file holding a key
 * protector wrapped for its host's guardian (with real certificate and
 * guardian signatures), padded with pseudo-random bytes to the guest state
 * size (HVTPM_BENCH_VMGS_KIB, default 256 KiB; real ones are larger).
 * Each host's two certificates are exported as PFX files (AES-256, 2000
 * iterations, as Windows does), normally twice (pfx/ and a byte-identical
 * backup copy), with variations by host: certificates lost, signing
 * certificate kept without its key, unknown password, a single copy.  The
 * VMs of three hosts and the PFX copies of one host are stored in archives
 * (zip, tar.gz, 7-Zip) instead of folders.  Exports of retired hosts'
 * guardians, which no VM needs, bring the PFX files up to NPFX.
 *
 * RSA key generation is slow, so a handful of key pairs is made once and
 * reused by every certificate (each certificate is still distinct).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include <archive.h>
#include <archive_entry.h>
#include <openssl/bn.h>
#include <openssl/evp.h>
#include <openssl/pkcs12.h>
#include <openssl/x509.h>

#include "formats/kvtree.h"
#include "support/certgen.h"
#include "support/hvs_writer.h"
#include "support/kp_writer.h"
#include "support/vmgs_writer.h"
#include "util/bytes.h"
#include "util/ossl.h"
#include "util/text.h"

#define PASSWORD "bench-estate-export-2026"
#define OTHER_PASSWORD "not-in-the-password-file"
#define NKEYS 4
#define PFX_ITER 2000
#define ARCHIVED_HOSTS 3
#define DAY 86400L
#define TEN_YEARS (3652L * DAY)

#define DEV_SCSI "d422512d-2bf2-4752-809d-7b82b5fcb1b4"
#define DEV_GUEST_STATE "917bd8cb-3bb6-4124-9383-b7d21ac07f79"
#define DEV_VTPM "736e6aa9-a3f8-49c0-9550-a963214d259a"

/* How the certificates of a host were kept (host index modulo 20). */
enum { HOST_LOST = 0, HOST_SIG_CERT_ONLY = 1, HOST_LOCKED = 2, HOST_SINGLE_COPY = 3 };

static const char *outdir;
static EVP_PKEY *keys[NKEYS];
static uint64_t rng = 0x9E3779B97F4A7C15ull;
static unsigned long long files_written, bytes_written, pfx_written;

static void die(const char *what)
{
	fprintf(stderr, "gen_estate: %s: %s\n", what, strerror(errno));
	exit(1);
}

static uint64_t next_rand(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

static void fill_rand(uint8_t *p, size_t n)
{
	size_t i = 0;
	for (; i + 8 <= n; i += 8)
		st64le(p + i, next_rand());
	for (; i < n; i++)
		p[i] = (uint8_t)next_rand();
}

static void mkdirs(char *path)
{
	for (char *p = path + 1; *p; p++) {
		if (*p == '/') {
			*p = '\0';
			if (mkdir(path, 0755) != 0 && errno != EEXIST)
				die(path);
			*p = '/';
		}
	}
}

static void put(const char *rel, const void *data, size_t len)
{
	char path[4096];
	snprintf(path, sizeof path, "%s/%s", outdir, rel);
	mkdirs(path);
	FILE *f = fopen(path, "wb");
	if (!f || fwrite(data, 1, len, f) != len || fclose(f) != 0)
		die(path);
	files_written++;
	bytes_written += len;
}

/* ---- archives ------------------------------------------------------------------------ */

typedef struct {
	struct archive *a;
} arc_out;

static void arc_open(arc_out *o, const char *rel, const char *kind)
{
	char path[4096];
	snprintf(path, sizeof path, "%s/%s", outdir, rel);
	mkdirs(path);
	o->a = archive_write_new();
	if (strcmp(kind, "zip") == 0) {
		archive_write_set_format_zip(o->a);
	} else if (strcmp(kind, "7z") == 0) {
		archive_write_set_format_7zip(o->a);
		archive_write_set_format_option(o->a, "7zip", "compression", "deflate");
	} else {
		archive_write_set_format_pax_restricted(o->a);
		archive_write_add_filter_gzip(o->a);
	}
	if (archive_write_open_filename(o->a, path) != ARCHIVE_OK)
		die(archive_error_string(o->a));
	files_written++;
}

static void arc_put(arc_out *o, const char *name, const void *data, size_t len)
{
	struct archive_entry *e = archive_entry_new();
	archive_entry_set_pathname(e, name);
	archive_entry_set_filetype(e, AE_IFREG);
	archive_entry_set_perm(e, 0644);
	archive_entry_set_size(e, (la_int64_t)len);
	archive_entry_set_mtime(e, 1748736000, 0);
	if (archive_write_header(o->a, e) != ARCHIVE_OK ||
	    archive_write_data(o->a, data, len) != (la_ssize_t)len)
		die(archive_error_string(o->a));
	archive_entry_free(e);
}

static void arc_close(arc_out *o, const char *rel)
{
	if (archive_write_close(o->a) != ARCHIVE_OK)
		die(archive_error_string(o->a));
	archive_write_free(o->a);
	o->a = NULL;
	char path[4096];
	struct stat st;
	snprintf(path, sizeof path, "%s/%s", outdir, rel);
	if (stat(path, &st) == 0)
		bytes_written += (unsigned long long)st.st_size;
}

/* Where a file goes: a folder under estate/, or an archive. */
typedef struct {
	arc_out *arc;
	char prefix[256];  /* folder (relative to outdir) or member prefix */
} sink;

static void emit(const sink *s, const char *rel, const void *data, size_t len)
{
	char p[1024];
	snprintf(p, sizeof p, "%s/%s", s->prefix, rel);
	if (s->arc)
		arc_put(s->arc, p, data, len);
	else
		put(p, data, len);
}

/* ---- certificates -------------------------------------------------------------------- */

typedef struct {
	X509 *x;
	EVP_PKEY *k;  /* borrowed from keys[] */
	uint8_t *der;
	size_t len;
} cert;

static cert make_cert(const char *cn, EVP_PKEY *k, time_t nb, time_t na)
{
	cert c = { certgen_with_key(cn, k, nb, na), k, NULL, 0 };
	if (!c.x)
		die("certificate");
	c.der = certgen_der(c.x, &c.len);
	if (!c.der)
		die("i2d_X509");
	return c;
}

static void cert_release(cert *c)
{
	X509_free(c->x);
	free(c->der);
}

typedef struct {
	char host[32];
	cert enc, sig;
	uint8_t *sig_on_sig, *sig_on_enc;   /* certificate signatures, once per host */
	size_t sig_on_sig_len, sig_on_enc_len;
} guardian;

static kpw_cert as_kpw(const cert *c)
{
	kpw_cert k = { c->k, c->x, c->der, c->len };
	return k;
}

static void make_guardian(guardian *g, size_t h)
{
	char cn[256];
	snprintf(g->host, sizeof g->host, "HV%04zu", h);
	time_t nb = 1451606400 + (time_t)((h * 7919) % 3650) * DAY; /* 2016-01-01 + spread */
	snprintf(cn, sizeof cn, "Shielded VM Encryption Certificate (UntrustedGuardian) (%s)",
		 g->host);
	g->enc = make_cert(cn, keys[(2 * h) % NKEYS], nb, nb + TEN_YEARS);
	snprintf(cn, sizeof cn, "Shielded VM Signing Certificate (UntrustedGuardian) (%s)",
		 g->host);
	g->sig = make_cert(cn, keys[(2 * h + 1) % NKEYS], nb, nb + TEN_YEARS);
	kpw_cert ks = as_kpw(&g->sig);
	g->sig_on_sig = kpw_sign(&ks, "pkcs1-sha256", g->sig.der, g->sig.len, &g->sig_on_sig_len);
	g->sig_on_enc = kpw_sign(&ks, "pkcs1-sha256", g->enc.der, g->enc.len, &g->sig_on_enc_len);
}

static void guardian_release(guardian *g)
{
	cert_release(&g->enc);
	cert_release(&g->sig);
	free(g->sig_on_sig);
	free(g->sig_on_enc);
}

static uint8_t *pfx_bytes(const cert *c, const char *pass, size_t *len)
{
	PKCS12 *p = PKCS12_create_ex((char *)pass, NULL, c->k, c->x, NULL, NID_aes_256_cbc,
				     NID_aes_256_cbc, PFX_ITER, PFX_ITER, 0, hv_ossl_ctx(), NULL);
	if (!p)
		die("PKCS12_create_ex");
	PKCS12_set_mac(p, pass, -1, NULL, 0, PFX_ITER, EVP_sha256());
	unsigned char *d = NULL;
	int l = i2d_PKCS12(p, &d);
	PKCS12_free(p);
	uint8_t *out = malloc((size_t)l);
	memcpy(out, d, (size_t)l);
	OPENSSL_free(d);
	*len = (size_t)l;
	return out;
}

/* One export, written to the main folder and (byte for byte) to the backup when given. */
static void write_pfx(const sink *main_copy, const sink *backup, const guardian *g,
		      const cert *c, const char *role, const char *pass)
{
	char name[256];
	size_t len;
	uint8_t *b = pfx_bytes(c, pass, &len);
	snprintf(name, sizeof name, "Shielded_VM_%s_Certificate_(UntrustedGuardian)_(%s).pfx",
		 role, g->host);
	emit(main_copy, name, b, len);
	pfx_written++;
	if (backup) {
		emit(backup, name, b, len);
		pfx_written++;
	}
	free(b);
}

static void write_host_certs(size_t h, const guardian *g, arc_out *zip)
{
	int kind = (int)(h % 20);
	if (kind == HOST_LOST)
		return;
	sink main_copy = { NULL, "" }, backup = { NULL, "" };
	snprintf(main_copy.prefix, sizeof main_copy.prefix, "estate/pfx/%s", g->host);
	snprintf(backup.prefix, sizeof backup.prefix, "estate/backup/certs/%s", g->host);
	if (zip) {
		backup.arc = zip;
		snprintf(backup.prefix, sizeof backup.prefix, "certs/%s", g->host);
	}
	const char *pass = kind == HOST_LOCKED ? OTHER_PASSWORD : PASSWORD;
	const sink *second = kind == HOST_SINGLE_COPY ? NULL : &backup;
	write_pfx(&main_copy, second, g, &g->enc, "Encryption", pass);
	if (kind == HOST_SIG_CERT_ONLY) {
		emit(&main_copy, "Shielded_VM_Signing_Certificate.cer", g->sig.der, g->sig.len);
		return;
	}
	write_pfx(&main_copy, second, g, &g->sig, "Signing", pass);
}

/* ---- VMs ----------------------------------------------------------------------------- */

/* Get-VMKeyProtector bytes: OctetString length, BOM, MS-KPS XML with real signatures. */
static uint8_t *kp_blob(const guardian *g, size_t *len)
{
	kpw_wrapping w;
	memset(&w, 0, sizeof w);
	w.id = 1;
	w.parent_id = 1;
	w.signing_der = g->sig.der;
	w.signing_len = g->sig.len;
	w.encryption_der = g->enc.der;
	w.encryption_len = g->enc.len;
	w.signing_sig = g->sig_on_sig;
	w.signing_sig_len = g->sig_on_sig_len;
	w.encryption_sig = g->sig_on_enc;
	w.encryption_sig_len = g->sig_on_enc_len;
	kpw_doc d;
	memset(&d, 0, sizeof d);
	d.max_offline_unwraps = 0;
	d.guardian_wrapping_id = 1;
	d.w = &w;
	d.n = 1;
	size_t cl, xl;
	char *c14n = kpw_wrappings_c14n(&d, &cl);
	kpw_cert ks = as_kpw(&g->sig);
	uint8_t *gsig = kpw_sign(&ks, "pkcs1-sha256", c14n, cl, &d.guardian_sig_len);
	d.guardian_sig = gsig;
	char *xml = kpw_xml(&d, &xl);
	uint8_t *withbom = malloc(xl + 3);
	memcpy(withbom, "\xEF\xBB\xBF", 3);
	memcpy(withbom + 3, xml, xl);
	uint8_t *framed = kpw_frame(withbom, xl + 3, len);
	free(withbom);
	free(xml);
	free(c14n);
	free(gsig);
	return framed;
}

static void vdev(kv_node *r, int i, const char *device, const char *instance, const char *name)
{
	char p[128];
	snprintf(p, sizeof p, "configuration/manifest/vdev%03d/device", i);
	hvs_set_str(r, p, device);
	snprintf(p, sizeof p, "configuration/manifest/vdev%03d/instance", i);
	hvs_set_str(r, p, instance);
	snprintf(p, sizeof p, "configuration/manifest/vdev%03d/name", i);
	hvs_set_str(r, p, name);
}

static void write_config(const sink *s, const char *name, const char *id)
{
	kv_node *r = hvs_tree_new();
	char p[512], w[512];
	hvs_set_str(r, "configuration/properties/name", name);
	hvs_set_str(r, "configuration/properties/global_id", id);
	hvs_set_str(r, "configuration/properties/type_id", "Virtual Machines");
	hvs_set_int(r, "configuration/properties/version", 0x0A00);
	hvs_set_int(r, "configuration/properties/subtype", 1);
	hvs_set_str(r, "configuration/settings/global/logical_id", id);
	hvs_set_int(r, "configuration/settings/memory/bank/size", 4096);
	hvs_set_int(r, "configuration/settings/processors/count", 2);
	const char *scsi = "4E3B1A1C-2A2F-4B51-9F0C-5D2C1E6A7B01";
	vdev(r, 0, DEV_SCSI, scsi, "Synthetic SCSI Controller");
	vdev(r, 1, DEV_GUEST_STATE, DEV_GUEST_STATE, "Microsoft Guest Runtime State");
	vdev(r, 2, DEV_VTPM, DEV_VTPM, "Microsoft Virtual TPM Device");
	hvs_set_int(r, "configuration/manifest/size", 3);
	snprintf(p, sizeof p, "configuration/_%s_/controller0/drive0/type", scsi);
	hvs_set_str(r, p, "VHD");
	snprintf(p, sizeof p, "configuration/_%s_/controller0/drive0/pathname", scsi);
	snprintf(w, sizeof w, "D:\\Hyper-V\\%s\\Virtual Hard Disks\\%s.vhdx", name, name);
	hvs_set_str(r, p, w);
	snprintf(p, sizeof p, "configuration/_%s_/StateFilePath", DEV_GUEST_STATE);
	snprintf(w, sizeof w, "D:\\Hyper-V\\%s\\Virtual Machines\\%s.vmgs", name, id);
	hvs_set_str(r, p, w);
	hvs_set_bool(r, "configuration/security/settings/tpm_enabled", true);
	hvs_set_bool(r, "configuration/security/settings/encrypt_state_migration", true);
	hvs_write_opts o;
	memset(&o, 0, sizeof o);
	o.sequence = 12;
	size_t len;
	uint8_t *b = hvs_write(r, &o, &len);
	kv_free(r);
	if (!b)
		die("hvs_write");
	snprintf(p, sizeof p, "Virtual Machines/%s.vmcx", id);
	emit(s, p, b, len);
	free(b);
}

/*
 * A guest state file in the VMGS v1 layout, as tests/tools/mksamples.c
 * writes it: the key protector a byte array of the vTPM device's states,
 * the virtual disk padded to size (zeros, as a fresh Hyper-V file is).
 */
static void write_vmgs(const sink *s, const char *id, const guardian *g, size_t size)
{
	size_t kplen;
	uint8_t *kp = kp_blob(g, &kplen);
	uint8_t nv[256];
	fill_rand(nv, sizeof nv);
	vmgsw_value states[2] = {
		{ .name = "TpmState", .kind = VMGSW_BYTES, .bytes = nv, .len = sizeof nv },
		{ .name = "KeyProtector", .kind = VMGSW_BYTES, .bytes = kp, .len = kplen },
	};
	vmgsw_device dev = { "736e6aa9-a3f8-49c0-9550-a963214d259a", "Microsoft Virtual TPM",
			     states, 2 };
	vmgsw_spec spec;
	memset(&spec, 0, sizeof spec);
	spec.version = 1;
	spec.current.devices = &dev;
	spec.current.ndevices = 1;
	size_t total;
	uint8_t *img = vmgsw_build(&spec, &total);
	if (img && total < size) { /* larger: padded to the size asked */
		free(img);
		spec.disk_size = (size - 512) & ~(uint64_t)0xFFFF;
		img = vmgsw_build(&spec, &total);
	}
	free(kp);
	if (!img)
		die("vmgsw_build");
	char p[512];
	snprintf(p, sizeof p, "Virtual Machines/%s.vmgs", id);
	emit(s, p, img, total);
	free(img);
}

static void guid_from_rand(char out[37])
{
	uint8_t g[16];
	fill_rand(g, sizeof g);
	g[7] = (uint8_t)((g[7] & 0x0F) | 0x40);
	g[8] = (uint8_t)((g[8] & 0x3F) | 0x80);
	guid_format(g, out);
}

int main(int argc, char **argv)
{
	if (argc != 4) {
		fprintf(stderr, "usage: gen_estate OUTDIR NVMS NPFX\n");
		return 2;
	}
	outdir = argv[1];
	size_t nvms = strtoul(argv[2], NULL, 10), npfx = strtoul(argv[3], NULL, 10);
	const char *kib = getenv("HVTPM_BENCH_VMGS_KIB");
	size_t gs_size = (kib ? strtoul(kib, NULL, 10) : 256) * 1024;
	size_t nhosts = npfx / 4 > ARCHIVED_HOSTS ? npfx / 4 : ARCHIVED_HOSTS + 1;
	if (nvms < nhosts)
		nvms = nhosts;
	kpw_seed(1);
	for (int i = 0; i < NKEYS; i++)
		if (!(keys[i] = EVP_RSA_gen(2048)))
			die("EVP_RSA_gen");
	static const char *const kinds[ARCHIVED_HOSTS] = { "zip", "tar.gz", "7z" };
	arc_out certzip = { NULL };
	arc_open(&certzip, "estate/backup/certs-2024.zip", "zip");
	for (size_t h = 0; h < nhosts; h++) {
		guardian g;
		make_guardian(&g, h);
		write_host_certs(h, &g, h == nhosts / 2 ? &certzip : NULL);
		arc_out ao = { NULL };
		char arcname[256];
		size_t archived = nhosts - 1 - h; /* the last hosts go into archives */
		if (archived < ARCHIVED_HOSTS) {
			snprintf(arcname, sizeof arcname, "estate/archives/%s-export.%s", g.host,
				 kinds[archived]);
			arc_open(&ao, arcname, kinds[archived]);
		}
		for (size_t v = h; v < nvms; v += nhosts) {
			char id[37], name[32];
			guid_from_rand(id);
			snprintf(name, sizeof name, "vm-%05zu", v);
			sink s = { ao.a ? &ao : NULL, "" };
			if (ao.a)
				snprintf(s.prefix, sizeof s.prefix, "%s", name);
			else
				snprintf(s.prefix, sizeof s.prefix, "estate/hosts/%s/%s", g.host, name);
			write_config(&s, name, id);
			write_vmgs(&s, id, &g, gs_size);
		}
		if (ao.a)
			arc_close(&ao, arcname);
		guardian_release(&g);
	}
	arc_close(&certzip, "estate/backup/certs-2024.zip");
	/* Up to NPFX: exports of retired hosts' guardians, which no VM needs any more. */
	for (size_t h = nhosts; pfx_written < npfx; h++) {
		guardian g;
		make_guardian(&g, h);
		sink retired = { NULL, "estate/pfx/retired" };
		write_pfx(&retired, NULL, &g, &g.enc, "Encryption", PASSWORD);
		if (pfx_written < npfx)
			write_pfx(&retired, NULL, &g, &g.sig, "Signing", PASSWORD);
		guardian_release(&g);
	}
	char pw[4096];
	snprintf(pw, sizeof pw, "%s\n", PASSWORD);
	put("passwords.txt", pw, strlen(pw));
	for (int i = 0; i < NKEYS; i++)
		EVP_PKEY_free(keys[i]);
	printf("gen_estate: %zu VMs on %zu hosts, %llu files (%llu PFX), %llu bytes in %s\n",
	       nvms, nhosts, files_written - 1, pfx_written, bytes_written, outdir);
	return 0;
}
