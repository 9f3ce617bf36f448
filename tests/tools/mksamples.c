/*
 * mksamples.c - builds samples/: one synthesized VM export per verdict.
 *
 * Everything here is made up for the demo: certificates and keys are
 * generated on the spot (never those of a real host), configurations are
 * written by the test HyperVStorage writer, key protectors by the test KP
 * writer.  Run by `make samples`; the output is committed so that `make demo`
 * does not depend on it.
 *
 *   usage: mksamples OUTDIR
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include <openssl/evp.h>
#include <openssl/pkcs12.h>
#include <openssl/x509.h>

#include "formats/kvtree.h"
#include "model/vm.h"
#include "support/certgen.h"
#include "support/fve_writer.h"
#include "support/hvs_writer.h"
#include "support/vhdx_writer.h"
#include "support/kp_writer.h"
#include "support/vmgs_writer.h"
#include "util/bytes.h"
#include "util/ossl.h"
#include "util/text.h"

#define SAMPLE_PASSWORD "Sample-Only-Export-2026"   /* listed in samples/passwords.txt */
#define LOCKED_PASSWORD "not-in-the-password-file" /* for the needs-password sample */

#define DEV_SCSI "d422512d-2bf2-4752-809d-7b82b5fcb1b4"
#define DEV_GUEST_STATE "917bd8cb-3bb6-4124-9383-b7d21ac07f79"
#define DEV_BIOS "ac6b8dc1-3257-4a70-b1b2-a9c9215659ad"
#define DEV_VTPM "736e6aa9-a3f8-49c0-9550-a963214d259a"
#define DEV_NIC "2fc216b0-d2e2-4967-9b6d-b8a5c9ca2778"
#define WIN_TEMPLATE "1734C6E8-3154-4DDA-BA5F-A874CC483422"

static const char *outdir;

static void die(const char *what)
{
	fprintf(stderr, "mksamples: %s: %s\n", what, strerror(errno));
	exit(1);
}

static void mkdirs(const char *path)
{
	char buf[4096];
	snprintf(buf, sizeof buf, "%s", path);
	for (char *p = buf + 1; *p; p++) {
		if (*p == '/') {
			*p = '\0';
			mkdir(buf, 0755);
			*p = '/';
		}
	}
	mkdir(buf, 0755);
}

static void put(const char *rel, const void *data, size_t len)
{
	char path[4096];
	snprintf(path, sizeof path, "%s/%s", outdir, rel);
	char *slash = strrchr(path, '/');
	*slash = '\0';
	mkdirs(path);
	*slash = '/';
	FILE *f = fopen(path, "wb");
	if (!f || fwrite(data, 1, len, f) != len || fclose(f) != 0)
		die(path);
}

static time_t day(const char *iso)
{
	time_t t;
	if (!iso_parse(iso, &t))
		exit(2);
	return t;
}

/* ---- certificates -------------------------------------------------------------------- */

typedef struct {
	X509 *x;
	EVP_PKEY *k;
	uint8_t *der;
	size_t len;
} cert;

static cert make_cert(const char *cn, time_t nb, time_t na)
{
	cert c;
	c.k = EVP_RSA_gen(2048);
	c.x = c.k ? certgen_with_key(cn, c.k, nb, na) : NULL;
	if (!c.x)
		die("certificate");
	c.der = certgen_der(c.x, &c.len);
	return c;
}

typedef struct {
	cert enc, sig;
	const char *guardian, *host;
} guardian;

static guardian make_guardian(const char *g, const char *host, const char *created, int years)
{
	char cn[256];
	guardian r = { .guardian = g, .host = host };
	time_t nb = day(created);
	time_t na = nb + (time_t)years * 365 * 86400 + (years / 4) * 86400;
	snprintf(cn, sizeof cn, "Shielded VM Encryption Certificate (%s) (%s)", g, host);
	r.enc = make_cert(cn, nb, na);
	snprintf(cn, sizeof cn, "Shielded VM Signing Certificate (%s) (%s)", g, host);
	r.sig = make_cert(cn, nb, na);
	return r;
}

/* An HGS-style guardian: certificates that do not follow the local pattern. */
static guardian make_hgs(const char *name, const char *created)
{
	char cn[256];
	guardian r = { .guardian = name, .host = NULL };
	time_t nb = day(created);
	snprintf(cn, sizeof cn, "encryption.%s", name);
	r.enc = make_cert(cn, nb, nb + 5 * 365 * 86400L);
	snprintf(cn, sizeof cn, "signing.%s", name);
	r.sig = make_cert(cn, nb, nb + 5 * 365 * 86400L);
	return r;
}

/* A PFX as Windows exports it: legacy (RC2-40 certs, 3DES key) or AES-256. */
static void write_pfx(const char *rel, const cert *c, const char *pass, bool legacy)
{
	OSSL_LIB_CTX *ctx = hv_ossl_ctx();
	int nid_cert = legacy ? NID_pbe_WithSHA1And40BitRC2_CBC : NID_aes_256_cbc;
	int nid_key = legacy ? NID_pbe_WithSHA1And3_Key_TripleDES_CBC : NID_aes_256_cbc;
	PKCS12 *p = PKCS12_create_ex((char *)pass, NULL, c->k, c->x, NULL, nid_key, nid_cert,
				     2000, 2000, 0, ctx, NULL);
	if (!p)
		die("PKCS12_create_ex");
	if (!legacy)
		PKCS12_set_mac(p, pass, -1, NULL, 0, 2000, EVP_sha256());
	unsigned char *d = NULL;
	int l = i2d_PKCS12(p, &d);
	put(rel, d, (size_t)l);
	OPENSSL_free(d);
	PKCS12_free(p);
}

static void pfx_name(char *out, size_t n, const char *dir, const char *role, const guardian *g)
{
	/* The file name the common export script gives: subject with '_' for spaces. */
	snprintf(out, n, "%s/Shielded_VM_%s_Certificate_(%s)_(%s).pfx", dir, role, g->guardian,
		 g->host);
}

/* ---- key protectors ------------------------------------------------------------------ */

static kpw_cert as_kpw(const cert *c)
{
	kpw_cert k = { c->k, c->x, c->der, c->len };
	return k;
}

/*
 * A KP whose certificate signatures are real (over the DER of the signed
 * certificate, the form hvtpm verifies) and whose guardian signature covers
 * exc-c14n(Wrappings).  The transport key and its signature are random.
 */
static char *kp_xml(const guardian *const *gs, size_t n, size_t *len)
{
	kpw_wrapping w[4];
	uint8_t *sigs[8] = { 0 };
	memset(w, 0, sizeof w);
	kpw_cert owner = as_kpw(&gs[0]->sig);
	for (size_t i = 0; i < n; i++) {
		kpw_cert ks = as_kpw(&gs[i]->sig);
		w[i].id = (uint32_t)i + 1;
		w[i].parent_id = 1;
		w[i].signing_der = gs[i]->sig.der;
		w[i].signing_len = gs[i]->sig.len;
		w[i].encryption_der = gs[i]->enc.der;
		w[i].encryption_len = gs[i]->enc.len;
		sigs[2 * i] = kpw_sign(&owner, "pkcs1-sha256", gs[i]->sig.der, gs[i]->sig.len,
				       &w[i].signing_sig_len);
		w[i].signing_sig = sigs[2 * i];
		sigs[2 * i + 1] = kpw_sign(&ks, "pkcs1-sha256", gs[i]->enc.der, gs[i]->enc.len,
					   &w[i].encryption_sig_len);
		w[i].encryption_sig = sigs[2 * i + 1];
	}
	kpw_doc d;
	memset(&d, 0, sizeof d);
	d.max_offline_unwraps = 0;
	d.guardian_wrapping_id = 1;
	d.w = w;
	d.n = n;
	size_t cl;
	char *c14n = kpw_wrappings_c14n(&d, &cl);
	uint8_t *gsig = kpw_sign(&owner, "pkcs1-sha256", c14n, cl, &d.guardian_sig_len);
	d.guardian_sig = gsig;
	char *xml = kpw_xml(&d, len);
	free(c14n);
	free(gsig);
	for (size_t i = 0; i < 8; i++)
		free(sigs[i]);
	return xml;
}

/* The bytes Get-VMKeyProtector returns: OctetString length + UTF-8 BOM + XML. */
static uint8_t *kp_blob(const guardian *const *gs, size_t n, size_t *len)
{
	size_t xl;
	char *xml = kp_xml(gs, n, &xl);
	uint8_t *withbom = malloc(xl + 3);
	memcpy(withbom, "\xEF\xBB\xBF", 3);
	memcpy(withbom + 3, xml, xl);
	uint8_t *framed = kpw_frame(withbom, xl + 3, len);
	free(withbom);
	free(xml);
	return framed;
}

/* ---- VM configurations --------------------------------------------------------------- */

typedef struct {
	const char *name;
	const char *id;
	const char *folder;      /* export folder under outdir */
	bool tpm;                /* security/settings/tpm_enabled */
	int memory_mb;
	int cpus;
	const char *switch_name;
} vmspec;

static void config_path(char *out, size_t n, const vmspec *v, const char *ext)
{
	snprintf(out, n, "%s/Virtual Machines/%s.%s", v->folder, v->id, ext);
}

static void vdev(kv_node *root, int i, const char *device, const char *instance, const char *name)
{
	char p[128];
	snprintf(p, sizeof p, "configuration/manifest/vdev%03d/device", i);
	hvs_set_str(root, p, device);
	snprintf(p, sizeof p, "configuration/manifest/vdev%03d/instance", i);
	hvs_set_str(root, p, instance);
	snprintf(p, sizeof p, "configuration/manifest/vdev%03d/name", i);
	hvs_set_str(root, p, name);
	snprintf(p, sizeof p, "configuration/manifest/vdev%03d/flags", i);
	hvs_set_int(root, p, 0);
}

static void write_config(const vmspec *v)
{
	kv_node *r = hvs_tree_new();
	char p[512], w[512];
	hvs_set_str(r, "configuration/properties/name", v->name);
	hvs_set_str(r, "configuration/properties/global_id", v->id);
	hvs_set_str(r, "configuration/properties/type_id", "Virtual Machines");
	hvs_set_int(r, "configuration/properties/version", 0x0A00); /* 10.0 */
	hvs_set_int(r, "configuration/properties/subtype", 1);     /* Generation 2 */
	uint8_t ft[8];
	st64le(ft, 133900000000000000ull); /* 2025-04-24 */
	hvs_set_bytes(r, "configuration/properties/creation_time", ft, 8);
	hvs_set_str(r, "configuration/settings/global/logical_id", v->id);
	hvs_set_int(r, "configuration/settings/memory/bank/size", v->memory_mb);
	hvs_set_int(r, "configuration/settings/processors/count", v->cpus);
	const char *scsi = "4E3B1A1C-2A2F-4B51-9F0C-5D2C1E6A7B01";
	const char *nic = "8A3C2E10-5B6D-4F7A-8C9D-0E1F2A3B4C5D";
	vdev(r, 0, DEV_SCSI, scsi, "Synthetic SCSI Controller");
	vdev(r, 1, DEV_GUEST_STATE, DEV_GUEST_STATE, "Microsoft Guest Runtime State");
	vdev(r, 2, DEV_BIOS, DEV_BIOS, "Microsoft Virtual BIOS");
	vdev(r, 3, DEV_VTPM, DEV_VTPM, "Microsoft Virtual TPM Device");
	vdev(r, 4, DEV_NIC, nic, "Network Adapter");
	hvs_set_int(r, "configuration/manifest/size", 5);
	snprintf(p, sizeof p, "configuration/_%s_/controller0/drive0/type", scsi);
	hvs_set_str(r, p, "VHD");
	snprintf(p, sizeof p, "configuration/_%s_/controller0/drive0/pathname", scsi);
	snprintf(w, sizeof w, "D:\\Hyper-V\\%s\\Virtual Hard Disks\\%s.vhdx", v->name, v->name);
	hvs_set_str(r, p, w);
	snprintf(p, sizeof p, "configuration/_%s_/StateFilePath", DEV_GUEST_STATE);
	snprintf(w, sizeof w, "D:\\Hyper-V\\%s\\Virtual Machines\\%s.vmgs", v->name, v->id);
	hvs_set_str(r, p, w);
	snprintf(p, sizeof p, "configuration/_%s_/secure_boot_enabled", DEV_BIOS);
	hvs_set_bool(r, p, true);
	snprintf(p, sizeof p, "configuration/_%s_/secure_boot_template_id", DEV_BIOS);
	hvs_set_str(r, p, WIN_TEMPLATE);
	snprintf(p, sizeof p, "configuration/_%s_/VDEVVersion", DEV_VTPM);
	hvs_set_int(r, p, 0x100);
	snprintf(p, sizeof p, "configuration/_%s_/FriendlyName", nic);
	hvs_set_str(r, p, "Network Adapter");
	snprintf(p, sizeof p, "configuration/_%s_/MacAddress", nic);
	hvs_set_str(r, p, "00-15-5D-0A-0B-0C");
	snprintf(p, sizeof p, "configuration/_%s_/SwitchName", nic);
	hvs_set_str(r, p, v->switch_name);
	if (v->tpm) {
		hvs_set_bool(r, "configuration/security/settings/tpm_enabled", true);
		hvs_set_bool(r, "configuration/security/settings/encrypt_state_migration", true);
		hvs_set_bool(r, "configuration/security/settings/shielding_requested", false);
		hvs_set_bool(r, "configuration/security/settings/ksd_enabled", false);
	}
	hvs_write_opts o;
	memset(&o, 0, sizeof o);
	o.sequence = 12;
	size_t len;
	uint8_t *b = hvs_write(r, &o, &len);
	config_path(p, sizeof p, v, "vmcx");
	put(p, b, len);
	free(b);
	kv_free(r);
}

/*
 * The older placeholder layout of a guest state file, kept for one sample:
 * a fixed-VHD-shaped container whose payload holds a HyperVStorage
 * repository with security/keys at a 4 KiB boundary (what hvtpm searched
 * for before the VMGS v1 layout was known).
 */
static void write_vmgs_placeholder(const vmspec *v, const uint8_t *kp, size_t kplen, const uint8_t *lkg,
		       size_t lkglen)
{
	kv_node *r = hvs_tree_new();
	hvs_set_int(r, "configuration/properties/version", 0x0A00);
	hvs_set_bytes(r, "configuration/security/keys/key_protector", kp, kplen);
	if (lkg)
		hvs_set_bytes(r, "configuration/security/keys/lkg_key_protector", lkg, lkglen);
	uint8_t nv[512];
	kpw_random(nv, sizeof nv);
	hvs_set_bytes(r, "configuration/security/vtpm/vtpm_engine_nvram", nv, sizeof nv);
	hvs_write_opts o;
	memset(&o, 0, sizeof o);
	size_t rlen;
	uint8_t *repo = hvs_write(r, &o, &rlen);
	kv_free(r);
	size_t data = 0x10000 + ((rlen + 0xFFF) & ~(size_t)0xFFF);
	size_t total = data + 512;
	uint8_t *img = calloc(1, total);
	memcpy(img + 512, "EFI PART", 8); /* the v1 files are GPT disks inside a VHD */
	memcpy(img + 0x10000, repo, rlen);
	uint8_t *f = img + data; /* VHD footer, big-endian, fixed disk */
	memcpy(f, "conectix", 8);
	st32be(f + 8, 2);
	st32be(f + 12, 0x00010000);
	memset(f + 16, 0xFF, 8);
	memcpy(f + 28, "vmgs", 4);
	st32be(f + 60, 2);
	uint64_t sz = data;
	st32be(f + 40, (uint32_t)(sz >> 32));
	st32be(f + 44, (uint32_t)sz);
	st32be(f + 48, (uint32_t)(sz >> 32));
	st32be(f + 52, (uint32_t)sz);
	uint32_t sum = 0;
	for (int i = 0; i < 512; i++)
		sum += f[i];
	st32be(f + 64, ~sum);
	char p[512];
	config_path(p, sizeof p, v, "vmgs");
	put(p, img, total);
	free(img);
	free(repo);
}

/*
 * A guest state file in the VMGS v1 layout (docs/vmgs.md): a fixed VHD
 * holding a GPT disk whose VMGS partition holds the guest state as UTF-16LE
 * JSON.  The key protector is a byte array of the vTPM device's states,
 * named KeyProtector (and LastKnownGoodKeyProtector): where Hyper-V keeps it
 * on a real host is not confirmed, this is the shape hvtpm looks for.  The
 * UEFI loader device carries SecureBoot and a db holding one certificate.
 */
static void write_vmgs(const vmspec *v, const uint8_t *kp, size_t kplen, const uint8_t *lkg,
		       size_t lkglen)
{
	uint8_t nv[512];
	kpw_random(nv, sizeof nv);
	vmgsw_value tpm_states[3] = {
		{ .name = "TpmState", .kind = VMGSW_BYTES, .bytes = nv, .len = sizeof nv },
		{ .name = "KeyProtector", .kind = VMGSW_BYTES, .bytes = kp, .len = kplen },
		{ .name = "LastKnownGoodKeyProtector", .kind = VMGSW_BYTES, .bytes = lkg,
		  .len = lkglen },
	};
	vmgsw_device dev = { VM_DEV_VTPM, "Microsoft Virtual TPM", tpm_states, lkg ? 3 : 2 };
	kpw_cert *db = kpw_cert_new("Sample UEFI CA (synthesized)", 1024, 3650, NULL);
	const uint8_t *ders[1] = { db->der };
	size_t lens[1] = { db->der_len }, dblen;
	uint8_t *dbdata = vmgsw_siglist_x509(ders, lens, 1, "77FA9ABD-0359-4D32-BD60-28F4E78F784B",
					     &dblen);
	static const uint8_t on[1] = { 1 };
	vmgsw_uefi_var uefi[2] = {
		{ "8BE4DF61-93CA-11D2-AA0D-00E098032B8C", "SecureBoot", 0x06, on, 1 },
		{ "D719B2CB-3D3A-4596-A3BC-DAD00E67656F", "db", 0x27, dbdata, dblen },
	};
	vmgsw_spec spec;
	memset(&spec, 0, sizeof spec);
	spec.version = 1;
	spec.current.devices = &dev;
	spec.current.ndevices = 1;
	spec.current.uefi = uefi;
	spec.current.nuefi = 2;
	size_t len;
	uint8_t *b = vmgsw_build(&spec, &len);
	if (!b)
		die("vmgsw_build");
	char p[512];
	config_path(p, sizeof p, v, "vmgs");
	put(p, b, len);
	free(b);
	free(dbdata);
	kpw_cert_free(db);
}

/* ---- virtual disks ------------------------------------------------------------------- */

/*
 * The VM's OS disk: a dynamic VHDX holding a GPT disk whose basic-data
 * partition is a BitLocker volume (metadata only: no file system, nothing
 * encrypted) with the given protector types.
 */
static void write_disk(const vmspec *v, const uint16_t *types, size_t ntypes)
{
	const uint64_t vsize = 64ull << 20, part = 1ull << 20;
	fvew_spec fs;
	fvew_default(&fs);
	char desc[128];
	snprintf(desc, sizeof desc, "%s C: 4/24/2025", v->name);
	fs.description = desc;
	for (size_t i = 0; i < ntypes; i++)
		fvew_add(&fs, types[i], (uint8_t)(0x40 + i));
	size_t need = fvew_needed(&fs);
	uint64_t ilen = part + need;
	uint8_t *img = calloc(1, (size_t)vsize);
	gptw_part gp = { 2048, vsize / 512 - 34, "EBD0A0A2-B9E5-4433-87C0-68B6B72699C7",
			 "Basic data partition" };
	if (!gptw_build(img, vsize, 512, &gp, 1) || !fvew_build(&fs, img + part, need))
		die("disk image");
	vhdxw_spec vs;
	memset(&vs, 0, sizeof vs);
	vs.virtual_size = vsize;
	kpw_random(vs.data_write_guid, 16);
	kpw_random(vs.file_write_guid, 16);
	char rel[512], path[4096];
	snprintf(rel, sizeof rel, "%s/Virtual Hard Disks/%s.vhdx", v->folder, v->name);
	snprintf(path, sizeof path, "%s/%s", outdir, rel);
	char *slash = strrchr(path, '/');
	*slash = '\0';
	mkdirs(path);
	*slash = '/';
	(void)ilen;
	if (!vhdxw_write(path, &vs, img, vsize, NULL))
		die(path);
	free(img);
}

/* ---- the scenarios ------------------------------------------------------------------- */

/* A row of the README's table; the verdict as the reports spell it (no_vtpm, not no-vtpm). */
static void readme_note(FILE *rd, const char *folder, const char *verdict, const char *what)
{
	fprintf(rd, "| `%s/` | `", folder);
	for (const char *v = verdict; *v; v++)
		fputc(*v == '-' ? '_' : *v, rd);
	fprintf(rd, "` | %s |\n", what);
}

int main(int argc, char **argv)
{
	if (argc != 2) {
		fputs("usage: mksamples OUTDIR\n", stderr);
		return 3;
	}
	outdir = argv[1];
	mkdirs(outdir);
	kpw_seed(20261128);

	/* Local guardians of four hosts and one HGS. */
	guardian h16 = make_guardian("UntrustedGuardian", "HV2016-03", "2016-10-20", 10);
	guardian h19 = make_guardian("UntrustedGuardian", "HV2019-01", "2019-05-14", 10);
	guardian h19b = make_guardian("UntrustedGuardian", "HV2019-02", "2019-06-03", 10);
	guardian h22 = make_guardian("UntrustedGuardian", "HV2022-01", "2022-09-01", 10);
	guardian hold = make_guardian("UntrustedGuardian", "HV-RETIRED", "2017-02-01", 10);
	guardian hgs = make_hgs("hgs.fabrikam.example", "2024-01-10");

	char p[512];
	size_t n;
	uint8_t *kp;

	/* no-vtpm */
	vmspec v1 = { "web-legacy", "0C5E9A41-6D2B-4F11-9B1E-2F7C8A3D4E01", "no-vtpm/web-legacy",
		      false, 2048, 2, "LAN" };
	write_config(&v1);

	/* restorable: KP in the guest state file, both PFX with keys (AES-256 exports). */
	vmspec v2 = { "app01", "1A2B3C4D-5E6F-4A1B-8C9D-0E1F2A3B4C02", "restorable/app01", true,
		      8192, 4, "LAN" };
	write_config(&v2);
	const guardian *g2[] = { &h19 };
	kp = kp_blob(g2, 1, &n);
	write_vmgs(&v2, kp, n, kp, n);
	free(kp);
	pfx_name(p, sizeof p, "restorable/pfx-backup", "Encryption", &h19);
	write_pfx(p, &h19.enc, SAMPLE_PASSWORD, false);
	pfx_name(p, sizeof p, "restorable/pfx-backup", "Signing", &h19);
	write_pfx(p, &h19.sig, SAMPLE_PASSWORD, false);

	/* restorable-expired: a host from late 2016, legacy exports. */
	vmspec v3 = { "sql01", "2B3C4D5E-6F7A-4B2C-9D0E-1F2A3B4C5D03", "restorable-expired/sql01",
		      true, 16384, 8, "SAN-A" };
	write_config(&v3);
	const guardian *g3[] = { &h16 };
	kp = kp_blob(g3, 1, &n);
	write_vmgs_placeholder(&v3, kp, n, NULL, 0); /* the older layout, still read */
	free(kp);
	pfx_name(p, sizeof p, "restorable-expired/certs", "Encryption", &h16);
	write_pfx(p, &h16.enc, SAMPLE_PASSWORD, true);
	pfx_name(p, sizeof p, "restorable-expired/certs", "Signing", &h16);
	write_pfx(p, &h16.sig, SAMPLE_PASSWORD, true);

	/* degraded: the encryption key exported, the signing certificate only as .cer. */
	vmspec v4 = { "file01", "3C4D5E6F-7A8B-4C3D-8E1F-2A3B4C5D6E04", "degraded/file01", true,
		      4096, 2, "LAN" };
	write_config(&v4);
	const guardian *g4[] = { &h19b };
	kp = kp_blob(g4, 1, &n);
	write_vmgs(&v4, kp, n, NULL, 0);
	free(kp);
	pfx_name(p, sizeof p, "degraded/file01-certs", "Encryption", &h19b);
	write_pfx(p, &h19b.enc, SAMPLE_PASSWORD, false);
	snprintf(p, sizeof p, "degraded/file01-certs/signing-(HV2019-02).cer");
	put(p, h19b.sig.der, h19b.sig.len);

	/* needs-password: the PFX exists but its password is not in passwords.txt. */
	vmspec v5 = { "dc02", "4D5E6F7A-8B9C-4D4E-9F2A-3B4C5D6E7F05", "needs-password/dc02", true,
		      4096, 2, "LAN" };
	write_config(&v5);
	const guardian *g5[] = { &h22 };
	kp = kp_blob(g5, 1, &n);
	write_vmgs(&v5, kp, n, NULL, 0);
	free(kp);
	pfx_name(p, sizeof p, "needs-password/dc02-certs", "Encryption", &h22);
	write_pfx(p, &h22.enc, LOCKED_PASSWORD, false);
	pfx_name(p, sizeof p, "needs-password/dc02-certs", "Signing", &h22);
	write_pfx(p, &h22.sig, LOCKED_PASSWORD, false);

	/* hgs: owned by a Host Guardian Service; the KP was saved with Out-File. */
	vmspec v6 = { "shielded01", "5E6F7A8B-9C0D-4E5F-8A3B-4C5D6E7F8A06", "hgs/shielded01", true,
		      4096, 2, "Fabric" };
	write_config(&v6);
	const guardian *g6[] = { &hgs };
	size_t xl;
	char *xml = kp_xml(g6, 1, &xl);
	uint8_t *saved = kpw_save(xml, xl, KPW_FORM_OUTFILE_UTF16_CRLF, &n);
	put("hgs/shielded01.kp", saved, n);
	free(saved);
	free(xml);

	/* rebuild: the old host is gone; only the encryption certificate, without key. */
	vmspec v7 = { "web02", "6F7A8B9C-0D1E-4F6A-9B4C-5D6E7F8A9B07", "rebuild/web02", true, 4096,
		      2, "LAN" };
	write_config(&v7);
	const guardian *g7[] = { &hold };
	kp = kp_blob(g7, 1, &n);
	write_vmgs(&v7, kp, n, NULL, 0);
	free(kp);
	put("rebuild/web02-encryption-(HV-RETIRED).cer", hold.enc.der, hold.enc.len);
	const uint16_t tpm_and_recovery[] = { 0x0100, 0x0800 };
	write_disk(&v7, tpm_and_recovery, 2);

	/* rebuild-data-loss: the same situation, but BitLocker has only a TPM protector. */
	guardian hgone = make_guardian("UntrustedGuardian", "HV2017-07", "2017-03-15", 10);
	vmspec v9 = { "web03", "8B9C0D1E-2F3A-4B8C-9D6E-7F8A9B0C1D09", "rebuild-data-loss/web03",
		      true, 4096, 2, "LAN" };
	write_config(&v9);
	const guardian *g9[] = { &hgone };
	kp = kp_blob(g9, 1, &n);
	write_vmgs(&v9, kp, n, NULL, 0);
	free(kp);
	const uint16_t tpm_only[] = { 0x0100 };
	write_disk(&v9, tpm_only, 1);

	/* unknown: vTPM enabled, but the guest state file was not backed up. */
	vmspec v8 = { "app03", "7A8B9C0D-1E2F-4A7B-8C5D-6E7F8A9B0C08", "unknown/app03", true, 4096, 2,
		      "LAN" };
	write_config(&v8);

	put("passwords.txt", SAMPLE_PASSWORD "\n", strlen(SAMPLE_PASSWORD) + 1);

	snprintf(p, sizeof p, "%s/README.md", outdir);
	FILE *rd = fopen(p, "w");
	if (!rd)
		die(p);
	fputs("# samples/ — synthesized evidence, one VM per verdict\n\n"
	      "**Everything in this folder is synthesized** by `tests/tools/mksamples.c`\n"
	      "(`make samples`). The certificates and private keys were generated for these\n"
	      "samples only and belong to no real host; the configurations were written by the\n"
	      "project's test HyperVStorage writer, the key protectors by its test KP writer.\n"
	      "The guest state files are in the VMGS v1 layout (a VHD holding a GPT disk whose\n"
	      "VMGS partition holds the guest state as UTF-16LE JSON, see docs/vmgs.md); the key\n"
	      "protector is a byte array of the vTPM device's states named `KeyProtector`. Where a\n"
	      "real host keeps it is not confirmed. `restorable-expired/sql01` keeps the older\n"
	      "placeholder layout (a VHD around a HyperVStorage repository) that hvtpm still reads.\n\n"
	      "The PFX password of every sample export is in `passwords.txt` — except for\n"
	      "`needs-password/`, whose password is deliberately not there.\n\n"
	      "    ./hvtpm diagnose --password-file samples/passwords.txt samples/\n\n"
	      "| folder | verdict | what it shows |\n|---|---|---|\n",
	      rd);
	readme_note(rd, "no-vtpm/web-legacy", "no-vtpm", "Gen 2 VM without a vTPM");
	readme_note(rd, "restorable/app01", "restorable",
		    "KP inside the guest state file (current and last-known-good); both PFX "
		    "exports (AES-256) with their keys");
	readme_note(rd, "restorable-expired/sql01", "restorable-expired",
		    "guardian of a host set up in October 2016: expired in October 2026; "
		    "legacy RC2-40/3DES exports");
	readme_note(rd, "degraded/file01", "degraded",
		    "encryption key exported, signing certificate only as .cer");
	readme_note(rd, "needs-password/dc02", "needs-password",
		    "PFX exports whose password is not in passwords.txt");
	readme_note(rd, "hgs/shielded01", "hgs",
		    "KP owned by a Host Guardian Service, saved with `Get-VMKeyProtector | Out-File` "
		    "(UTF-16LE decimal lines) as `hgs/shielded01.kp`");
	readme_note(rd, "rebuild/web02", "rebuild",
		    "the original host's guardian is gone; only its encryption certificate "
		    "survives, without a key; the OS disk (a small VHDX holding only BitLocker "
		    "metadata) has a recovery password, so the rebuild is survivable");
	readme_note(rd, "rebuild-data-loss/web03", "rebuild-data-loss",
		    "like rebuild, but the OS disk's BitLocker volume has only a TPM protector: "
		    "a rebuild cannot unlock it");
	readme_note(rd, "unknown/app03", "unknown",
		    "vTPM enabled but the guest state file was not backed up");
	fclose(rd);
	return 0;
}
