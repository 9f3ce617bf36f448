/*
 * bench_readers.c - speed of the readers against hashing the same bytes.
 *
 *   bench_readers configs DIR N   write N synthetic .vmcx files into DIR
 *   bench_readers read DIR...     read+hash+parse+model every file, print rate
 *   bench_readers pfx DIR N       write N PFX files (AES-256 and legacy) into DIR
 *   bench_readers open DIR        open every PFX (password from the bench), print rate
 *   bench_readers disk FILE       inspect a virtual disk: bytes read and time
 *   bench_readers scanfile FILE GIB  write a non-sparse guest-state-like file of GIB GiB:
 *                                 pseudo-random bytes, a key protector document (UTF-16LE)
 *                                 1 MiB before the end
 *
 * Only a benchmark: nothing here is a test (see bench/run.sh for targets).
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include <openssl/evp.h>
#include <openssl/pkcs12.h>

#include "analysis/survive.h"
#include "formats/hvstore.h"
#include "formats/pfx.h"
#include "formats/vdisk.h"
#include "model/vm.h"
#include "support/disk_check.h"
#include "support/certgen.h"
#include "support/hvs_writer.h"
#include "support/kp_writer.h"
#include "util/fileio.h"
#include "util/ossl.h"

#define BENCH_PASSWORD "bench-only"

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void write_file(const char *path, const void *p, size_t n)
{
	FILE *f = fopen(path, "wb");
	if (!f || fwrite(p, 1, n, f) != n || fclose(f) != 0) {
		perror(path);
		exit(1);
	}
}

/* A configuration shaped like a real Gen 2 VM (about 400 entries). */
static kv_node *config_tree(unsigned i)
{
	kv_node *r = hvs_tree_new();
	char v[256], p[256];
	snprintf(v, sizeof v, "bench-vm-%05u", i);
	hvs_set_str(r, "configuration/properties/name", v);
	snprintf(v, sizeof v, "%08X-1111-4222-8333-%012u", i, i);
	hvs_set_str(r, "configuration/properties/global_id", v);
	hvs_set_str(r, "configuration/settings/global/logical_id", v);
	hvs_set_int(r, "configuration/properties/version", 0x0A00);
	hvs_set_int(r, "configuration/properties/subtype", 1);
	hvs_set_int(r, "configuration/settings/memory/bank/size", 4096);
	hvs_set_int(r, "configuration/settings/processors/count", 2);
	for (int d = 0; d < 30; d++) {
		snprintf(p, sizeof p, "configuration/manifest/vdev%03d/device", d);
		hvs_set_str(r, p, "d422512d-2bf2-4752-809d-7b82b5fcb1b4");
		snprintf(p, sizeof p, "configuration/manifest/vdev%03d/instance", d);
		snprintf(v, sizeof v, "%08X-2222-4333-8444-%012d", i, d);
		hvs_set_str(r, p, v);
		snprintf(p, sizeof p, "configuration/manifest/vdev%03d/name", d);
		hvs_set_str(r, p, "Synthetic SCSI Controller");
		for (int k = 0; k < 8; k++) {
			snprintf(p, sizeof p, "configuration/_%08X-2222-4333-8444-%012d_/setting%d", i,
				 d, k);
			hvs_set_int(r, p, k);
		}
	}
	hvs_set_bool(r, "configuration/security/settings/tpm_enabled", true);
	return r;
}

static int make_configs(const char *dir, unsigned n)
{
	mkdir(dir, 0755);
	for (unsigned i = 0; i < n; i++) {
		kv_node *t = config_tree(i);
		hvs_write_opts o;
		memset(&o, 0, sizeof o);
		size_t len;
		uint8_t *b = hvs_write(t, &o, &len);
		char path[4096];
		snprintf(path, sizeof path, "%s/%05u.vmcx", dir, i);
		write_file(path, b, len);
		free(b);
		kv_free(t);
	}
	return 0;
}

typedef struct {
	size_t files, bytes, vms;
} tally;

static void read_one(const char *path, tally *t)
{
	hv_findings f = { 0 };
	hv_blob b;
	if (hv_file_load(path, 64u << 20, 0, &b, &f) == HV_OK) {
		hvstore h;
		if (hvstore_read(span_make(b.data, b.len), path, 0, &h, &f) == HV_OK) {
			vm_model vm;
			if (vm_from_tree(h.root, path, &vm, &f) == HV_OK && vm.name)
				t->vms++;
			vm_free(&vm);
			hvstore_free(&h);
		}
		t->files++;
		t->bytes += b.len;
		hv_blob_free(&b);
	}
	findings_free(&f);
}

static int read_dirs(int argc, char **argv)
{
	tally t = { 0, 0, 0 };
	double t0 = now();
	for (int a = 0; a < argc; a++) {
		DIR *d = opendir(argv[a]);
		struct dirent *de;
		while (d && (de = readdir(d)) != NULL) {
			if (de->d_name[0] == '.')
				continue;
			char path[4096];
			snprintf(path, sizeof path, "%s/%s", argv[a], de->d_name);
			read_one(path, &t);
		}
		if (d)
			closedir(d);
	}
	double dt = now() - t0;
	printf("configs: %zu files, %zu VMs modelled, %.1f MB in %.3f s: %.0f files/s, %.1f MB/s\n",
	       t.files, t.vms, t.bytes / 1e6, dt, t.files / dt, t.bytes / 1e6 / dt);
	return 0;
}

static int make_pfx(const char *dir, unsigned n)
{
	mkdir(dir, 0755);
	OSSL_LIB_CTX *ctx = hv_ossl_ctx();
	EVP_PKEY *k = NULL;
	time_t t = time(NULL);
	for (unsigned i = 0; i < n; i++) {
		char cn[128];
		snprintf(cn, sizeof cn, "Shielded VM Encryption Certificate (UntrustedGuardian) (B%04u)", i);
		if (k) {
			EVP_PKEY_free(k);
			k = NULL;
		}
		X509 *x = certgen_self_signed(cn, t - 86400, t + 3650 * 86400L, &k);
		bool legacy = i % 2;
		PKCS12 *p = PKCS12_create_ex(BENCH_PASSWORD, NULL, k, x, NULL,
					     legacy ? NID_pbe_WithSHA1And3_Key_TripleDES_CBC : NID_aes_256_cbc,
					     legacy ? NID_pbe_WithSHA1And40BitRC2_CBC : NID_aes_256_cbc,
					     2000, 2000, 0, ctx, NULL);
		unsigned char *der = NULL;
		int l = i2d_PKCS12(p, &der);
		char path[4096];
		snprintf(path, sizeof path, "%s/%05u.pfx", dir, i);
		write_file(path, der, (size_t)l);
		OPENSSL_free(der);
		PKCS12_free(p);
		X509_free(x);
	}
	EVP_PKEY_free(k);
	return 0;
}

static int open_pfx(const char *dir)
{
	hv_passwords pw;
	passwords_init(&pw);
	hv_findings f = { 0 };
	passwords_add(&pw, BENCH_PASSWORD, strlen(BENCH_PASSWORD), PW_SRC_FILE, 1, &f);
	size_t files = 0, opened = 0;
	double t0 = now();
	DIR *d = opendir(dir);
	struct dirent *de;
	while (d && (de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		char path[4096];
		snprintf(path, sizeof path, "%s/%s", dir, de->d_name);
		hv_blob b;
		if (hv_file_load(path, 16u << 20, 0, &b, &f) != HV_OK)
			continue;
		pfx_file p;
		if (pfx_open(span_make(b.data, b.len), path, &pw, &p, &f) == HV_OK)
			opened++;
		pfx_free(&p);
		hv_blob_free(&b);
		files++;
	}
	if (d)
		closedir(d);
	double dt = now() - t0;
	printf("pfx: %zu files, %zu opened in %.3f s: %.1f files/s\n", files, opened, dt, files / dt);
	findings_free(&f);
	passwords_free(&pw);
	return 0;
}

static int disk(const char *path)
{
	hv_findings f = { 0 };
	double t0 = now();
	vdisk *vd = NULL;
	if (vdisk_open(path, 0, &vd, &f) != HV_OK) {
		fprintf(stderr, "cannot open %s\n", path);
		return 1;
	}
	disk_check a;
	disk_check_read(vd, &a, &f);
	double dt = now() - t0;
	printf("disk: %s, virtual size %.1f GiB, %llu bytes read (%.2f MiB) in %.4f s, %s\n",
	       vdisk_format_name(vdisk_get_format(vd)), vdisk_size(vd) / 1073741824.0,
	       (unsigned long long)vdisk_bytes_read(vd), vdisk_bytes_read(vd) / 1048576.0, dt,
	       surv_kind_id(a.s.overall.kind));
	disk_check_free(&a);
	vdisk_close(vd);
	findings_free(&f);
	return 0;
}

/* xorshift64* stream: fast pseudo-random filler (no sparse pages, not compressible). */
static void fill(uint64_t *st, uint8_t *p, size_t n)
{
	for (size_t i = 0; i + 8 <= n; i += 8) {
		*st ^= *st >> 12;
		*st ^= *st << 25;
		*st ^= *st >> 27;
		uint64_t v = *st * 2685821657736338717ull;
		memcpy(p + i, &v, 8);
	}
}

static int scanfile(const char *path, unsigned gib)
{
	kpw_guardian g = kpw_guardian_new("UntrustedGuardian", "HV-BENCH", 3650);
	kpw_wrapping w = kpw_wrapping_for(&g, 1, 1);
	kpw_doc d;
	memset(&d, 0, sizeof d);
	d.max_offline_unwraps = -1;
	d.guardian_wrapping_id = 1;
	d.w = &w;
	d.n = 1;
	size_t xl, ul;
	char *xml = kpw_xml(&d, &xl);
	uint8_t *kp = kpw_save(xml, xl, KPW_FORM_XML_UTF16, &ul);
	FILE *f = fopen(path, "wb");
	if (!f) {
		perror(path);
		return 1;
	}
	uint64_t total = (uint64_t)gib << 30, at = total - (1u << 20), st = 0x9E3779B97F4A7C15ull;
	size_t chunk = 8u << 20;
	uint8_t *buf = malloc(chunk);
	for (uint64_t off = 0; off < total; off += chunk) {
		fill(&st, buf, chunk);
		if (at >= off && at - off + ul <= chunk)
			memcpy(buf + (at - off), kp, ul);
		if (fwrite(buf, 1, chunk, f) != chunk) {
			perror(path);
			return 1;
		}
	}
	fclose(f);
	free(buf);
	free(kp);
	free(xml);
	kpw_guardian_free(&g);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc == 4 && strcmp(argv[1], "scanfile") == 0)
		return scanfile(argv[2], (unsigned)atoi(argv[3]));
	if (argc >= 4 && strcmp(argv[1], "configs") == 0)
		return make_configs(argv[2], (unsigned)atoi(argv[3]));
	if (argc >= 3 && strcmp(argv[1], "read") == 0)
		return read_dirs(argc - 2, argv + 2);
	if (argc >= 4 && strcmp(argv[1], "pfx") == 0)
		return make_pfx(argv[2], (unsigned)atoi(argv[3]));
	if (argc == 3 && strcmp(argv[1], "open") == 0)
		return open_pfx(argv[2]);
	if (argc == 3 && strcmp(argv[1], "disk") == 0)
		return disk(argv[2]);
	fputs("usage: bench_readers configs DIR N | read DIR... | pfx DIR N | open DIR | disk FILE |"
	      " scanfile FILE GIB\n", stderr);
	return 3;
}
