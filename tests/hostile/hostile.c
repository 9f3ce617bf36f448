/*
 * hostile.c - lays out hostile evidence (see hostile.h and README).
 *
 *   evidence/exports/F/Virtual Machines/GUID.vmcx    name, switch, disk path and Secure
 *                                                    Boot template: the hostile string
 *   evidence/exports/F/Virtual Machines/GUID.vmgs    its key protector (guardian host:
 *                                                    the hostile string)
 *   evidence/exports/F/Virtual Hard Disks/D.vhdx     rebuild kinds: GPT partition name and
 *                                                    BitLocker description hostile
 *   evidence/disks/D.vhdx                            the other kinds: the same, a disk of
 *                                                    no VM
 *   evidence/pfx/F/F.enc.pfx, F.sig.pfx              restorable kind (HOSTILE_PASSWORD)
 *   evidence/locked/F/F.enc.pfx, F.sig.pfx           needs-password kind (another password):
 *                                                    without this folder, the VMs whose
 *                                                    certificates are missing get the
 *                                                    rebuild verdicts
 *   evidence/loose/F.saved.kp                        a saved key protector: its stem is
 *                                                    the VM's name and id
 *   evidence/legacy/F/Virtual Machines/GUID.xml      a legacy XML configuration named
 *                                                    after the string (XML-legal
 *                                                    characters; the others as U+FFFD)
 *   evidence/certs/F.cer                             a certificate whose CN is the string
 *   evidence/archives/hostile.zip, hostile.tar.gz    members F.zip.kp / F.tar.kp and
 *                                                    F/F.cer
 *
 * F is the string with '/' as '_' (a file name cannot hold it), D the same
 * with '\' as '_' too (a disk path is resolved by its base name).
 */
#include "hostile/hostile.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <archive.h>
#include <archive_entry.h>
#include <openssl/pkcs12.h>
#include <openssl/x509.h>

#include "formats/kvtree.h"
#include "model/vm.h"
#include "support/fve_writer.h"
#include "support/hvs_writer.h"
#include "support/kp_writer.h"
#include "support/vhdx_writer.h"
#include "support/vmgs_writer.h"
#include "util/ossl.h"
#include "util/strbuf.h"
#include "util/text.h"

/*
 * The attacks of issue #11.  Every string carries its marker; none holds a
 * NUL (no file name, XML or UTF-16 string can).
 */
const hostile_str hostile_strings[] = {
	/* a comment closer, a payload on a line of its own, a comment opener */
	{ "ps-comment", "PWNA", "#> # web01\nStart-Process PWNA.exe\n<#" },
	/* D0 91 (U+0411): 0x91 is U+2018, a PowerShell quote, in Windows-1252 */
	{ "cp1252-quote", "PWNB", "web\xD0\x91'; Start-Process PWNB; #\xD0\x91" },
	/* U+2018..U+201B and U+201C/U+201D quote PowerShell strings */
	{ "smart-quotes", "PWNC",
	  "x\xE2\x80\x98\xE2\x80\x99\xE2\x80\x9A\xE2\x80\x9B\xE2\x80\x9C\xE2\x80\x9D"
	  "; Start-Process PWNC; \xE2\x80\x99" },
	/* subexpression, backtick escapes, here-string opener, variables */
	{ "subexpression", "PWND", "$(Start-Process PWND)`n`\"@'\"$env:COMPUTERNAME${x}" },
	/* ANSI: clear screen, colour, OSC window title, OSC 8 hyperlink */
	{ "ansi-osc", "PWNE",
	  "\x1B[2J\x1B[1;31mPWNE\x1B]0;owned\x07\x1B]8;;file:x\x1B\\link\x1B]8;;\x1B\\\x1B[0m" },
	/* CR and LF forging a line of output */
	{ "forged-line", "PWNF", "ok\rFAKE: verdict restorable PWNF\nFAKE: verdict restorable" },
	/* C1 controls: CSI U+009B, OSC U+009D, ST U+009C, NEL U+0085 */
	{ "c1-controls", "PWNG",
	  "PWNG\xC2\x9B" "2J\xC2\x9D" "0;t\xC2\x9C\xC2\x85" "FAKE: next line" },
	/* bidi override U+202E, line and paragraph separators, isolates, RLM */
	{ "bidi-separators", "PWNH",
	  "PWNH\xE2\x80\xAE" "exe.cod\xE2\x80\xA8" "FAKE: ls\xE2\x80\xA9\xE2\x81\xA6x\xE2\x81\xA9\xE2\x80\x8F" },
	/* DEL, BEL, backspaces over the text, VT, FF, SUB, SOH */
	{ "del-bel", "PWNI", "PWNI\x7F\x07\x08\x08\x08" "FAKE\x0B\x0C\x1A\x01" },
	/* invalid UTF-8: stray bytes, overlong '/', a surrogate, past U+10FFFF */
	{ "invalid-utf8", "PWNJ", "PWNJ\xFF\xFE\x80\xC0\xAF\xED\xA0\x80\xF5\x80\x80\x80" "end" },
	/* spreadsheet formulas (OWASP CSV injection) */
	{ "csv-equals", "PWNK", "=HYPERLINK(\"http:x.test\",\"PWNK\")" },
	{ "csv-plus", "PWNL", "+cmd|' /C calc'!A0 PWNL" },
	{ "csv-minus", "PWNM", "-2+3+cmd|' /C calc'!A0 PWNM" },
	{ "csv-at", "PWNN", "@SUM(1+1)*cmd|' /C calc'!A0 PWNN" },
	{ "csv-tab", "PWNO", "\t=1+1 PWNO" },
	{ "csv-cr", "PWNP", "\r=1+1 PWNP" },
	/* HTML: leave a script, an element with an event handler, a comment opener */
	{ "html-markup", "PWNQ",
	  "</script><img src=x onerror=window.__pwned=1>\"'&<b>PWNQ</b><!--" },
	/* HTML attribute breakout and SVG */
	{ "html-attribute", "PWNR",
	  "\" onmouseover=\"window.__pwned=2\" x='PWNR' <svg onload=window.__pwned=3>" },
};
const size_t hostile_count = sizeof hostile_strings / sizeof hostile_strings[0];

#define LOCKED_PASSWORD "not-given-to-hvtpm-9Lr"
#define KEY_BITS 1024 /* throwaway keys; quick to make */
#define DAYS 3650

const char *hostile_text(size_t i, bool twin)
{
	static char benign[64][16];
	if (!twin)
		return hostile_strings[i].text;
	snprintf(benign[i % 64], sizeof benign[0], "benign%02zu", i);
	return benign[i % 64];
}

/* ---- files --------------------------------------------------------------------------- */

static bool mkdirs(const char *path)
{
	char *buf = strdup(path);
	bool ok = buf != NULL;
	for (char *p = buf ? buf + 1 : NULL; ok && *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		ok = mkdir(buf, 0755) == 0 || errno == EEXIST;
		*p = '/';
	}
	ok = ok && (mkdir(buf, 0755) == 0 || errno == EEXIST);
	if (!ok)
		fprintf(stderr, "hostile: mkdir %s: %s\n", path, strerror(errno));
	free(buf);
	return ok;
}

/* Writes dir/rel (creating its folders). */
static bool put(const char *dir, const char *rel, const void *data, size_t len)
{
	strbuf p = STRBUF_INIT;
	sb_addf(&p, "%s/%s", dir, rel);
	char *slash = strrchr(p.buf, '/');
	*slash = '\0';
	bool ok = mkdirs(p.buf);
	*slash = '/';
	FILE *f = ok ? fopen(p.buf, "wb") : NULL;
	ok = f && fwrite(data, 1, len, f) == len;
	if (f && fclose(f) != 0)
		ok = false;
	if (!ok)
		fprintf(stderr, "hostile: cannot write %s: %s\n", p.buf, strerror(errno));
	sb_free(&p);
	return ok;
}

/* s with each byte of `bad` as '_' (a new string). */
static char *replace_bytes(const char *s, const char *bad)
{
	char *r = strdup(s);
	for (char *p = r; *p; p++)
		if (strchr(bad, *p))
			*p = '_';
	return r;
}

/* ---- certificates, PFX, key protectors ----------------------------------------------- */

typedef struct {
	kpw_cert *sig, *enc;
} guardian;

static guardian guardian_new(const char *host)
{
	char cn[1024];
	guardian g;
	snprintf(cn, sizeof cn, "Shielded VM Signing Certificate (UntrustedGuardian) (%s)", host);
	g.sig = kpw_cert_new(cn, KEY_BITS, DAYS, NULL);
	snprintf(cn, sizeof cn, "Shielded VM Encryption Certificate (UntrustedGuardian) (%s)", host);
	g.enc = kpw_cert_new(cn, KEY_BITS, DAYS, NULL);
	return g;
}

static void guardian_free(guardian *g)
{
	kpw_cert_free(g->sig);
	kpw_cert_free(g->enc);
}

static uint8_t *pfx_bytes(const kpw_cert *c, const char *pass, size_t *len)
{
	PKCS12 *p = PKCS12_create_ex((char *)pass, NULL, c->key, c->x509, NULL, NID_aes_256_cbc,
				     NID_aes_256_cbc, 2000, 2000, 0, hv_ossl_ctx(), NULL);
	if (!p)
		return NULL;
	PKCS12_set_mac(p, pass, -1, NULL, 0, 2000, EVP_sha256());
	unsigned char *d = NULL;
	int l = i2d_PKCS12(p, &d);
	PKCS12_free(p);
	if (l <= 0)
		return NULL;
	uint8_t *out = malloc((size_t)l);
	memcpy(out, d, (size_t)l);
	OPENSSL_free(d);
	*len = (size_t)l;
	return out;
}

/* The Get-VMKeyProtector bytes of an owner-only protector for g (caller frees). */
static uint8_t *kp_bytes(const guardian *g, size_t *len)
{
	kpw_guardian kg = { g->sig, g->enc };
	kpw_wrapping w = kpw_wrapping_for(&kg, 1, 1);
	kpw_doc doc;
	memset(&doc, 0, sizeof doc);
	doc.max_offline_unwraps = 0;
	doc.guardian_wrapping_id = 1;
	doc.w = &w;
	doc.n = 1;
	size_t xl;
	char *xml = kpw_xml(&doc, &xl);
	uint8_t *kp = kpw_frame(xml, xl, len);
	free(xml);
	return kp;
}

/* ---- configurations ------------------------------------------------------------------ */

#define DEV_SCSI_INSTANCE "4E3B1A1C-2A2F-4B51-9F0C-5D2C1E6A7B01"
#define DEV_NIC_INSTANCE "8A3C2E10-5B6D-4F7A-8C9D-0E1F2A3B4C5D"

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

/* A Gen 2 configuration named name, with a vTPM, a disk named disk and a NIC. */
static uint8_t *vmcx_bytes(const char *name, const char *id, const char *disk, size_t *len)
{
	kv_node *r = hvs_tree_new();
	strbuf p = STRBUF_INIT, w = STRBUF_INIT;
	hvs_set_str(r, "configuration/properties/name", name);
	hvs_set_str(r, "configuration/properties/global_id", id);
	hvs_set_str(r, "configuration/properties/type_id", "Virtual Machines");
	hvs_set_int(r, "configuration/properties/version", 0x0A00);
	hvs_set_int(r, "configuration/properties/subtype", 1);
	hvs_set_str(r, "configuration/settings/global/logical_id", id);
	hvs_set_int(r, "configuration/settings/memory/bank/size", 2048);
	hvs_set_int(r, "configuration/settings/processors/count", 2);
	vdev(r, 0, VM_DEV_SCSI, DEV_SCSI_INSTANCE, "Synthetic SCSI Controller");
	vdev(r, 1, VM_DEV_GUEST_STATE, VM_DEV_GUEST_STATE, "Microsoft Guest Runtime State");
	vdev(r, 2, VM_DEV_BIOS, VM_DEV_BIOS, "Microsoft Virtual BIOS");
	vdev(r, 3, VM_DEV_VTPM, VM_DEV_VTPM, "Microsoft Virtual TPM Device");
	vdev(r, 4, VM_DEV_SYNTH_ETHERNET, DEV_NIC_INSTANCE, "Network Adapter");
	hvs_set_int(r, "configuration/manifest/size", 5);
	sb_addf(&p, "configuration/_%s_/controller0/drive0/type", DEV_SCSI_INSTANCE);
	hvs_set_str(r, sb_str(&p), "VHD");
	sb_reset(&p);
	sb_addf(&p, "configuration/_%s_/controller0/drive0/pathname", DEV_SCSI_INSTANCE);
	sb_addf(&w, "D:\\Hyper-V\\%s\\Virtual Hard Disks\\%s.vhdx", name, disk);
	hvs_set_str(r, sb_str(&p), sb_str(&w));
	sb_reset(&p);
	sb_reset(&w);
	sb_addf(&p, "configuration/_%s_/StateFilePath", VM_DEV_GUEST_STATE);
	sb_addf(&w, "D:\\Hyper-V\\%s\\Virtual Machines\\%s.vmgs", name, id);
	hvs_set_str(r, sb_str(&p), sb_str(&w));
	sb_reset(&p);
	sb_addf(&p, "configuration/_%s_/secure_boot_enabled", VM_DEV_BIOS);
	hvs_set_bool(r, sb_str(&p), true);
	sb_reset(&p);
	sb_addf(&p, "configuration/_%s_/secure_boot_template_id", VM_DEV_BIOS);
	hvs_set_str(r, sb_str(&p), name);
	sb_reset(&p);
	sb_addf(&p, "configuration/_%s_/FriendlyName", DEV_NIC_INSTANCE);
	hvs_set_str(r, sb_str(&p), name);
	sb_reset(&p);
	sb_addf(&p, "configuration/_%s_/MacAddress", DEV_NIC_INSTANCE);
	hvs_set_str(r, sb_str(&p), "00-15-5D-0A-0B-0C");
	sb_reset(&p);
	sb_addf(&p, "configuration/_%s_/SwitchName", DEV_NIC_INSTANCE);
	hvs_set_str(r, sb_str(&p), name);
	hvs_set_bool(r, "configuration/security/settings/tpm_enabled", true);
	hvs_set_bool(r, "configuration/security/settings/encrypt_state_migration", true);
	uint8_t *b = hvs_write(r, NULL, len);
	kv_free(r);
	sb_free(&p);
	sb_free(&w);
	return b;
}

/* A guest state file (VMGS v1) holding kp as the vTPM's KeyProtector. */
static uint8_t *vmgs_bytes(const uint8_t *kp, size_t kplen, size_t *len)
{
	uint8_t nv[256];
	kpw_random(nv, sizeof nv);
	vmgsw_value states[2] = {
		{ .name = "TpmState", .kind = VMGSW_BYTES, .bytes = nv, .len = sizeof nv },
		{ .name = "KeyProtector", .kind = VMGSW_BYTES, .bytes = kp, .len = kplen },
	};
	vmgsw_device dev = { VM_DEV_VTPM, "Microsoft Virtual TPM", states, 2 };
	vmgsw_spec spec;
	memset(&spec, 0, sizeof spec);
	spec.version = 1;
	spec.current.devices = &dev;
	spec.current.ndevices = 1;
	return vmgsw_build(&spec, len);
}

/* s for an XML text node: markup escaped, CR as a reference, what XML cannot hold as U+FFFD. */
static void xml_text(strbuf *sb, const char *s)
{
	size_t len = strlen(s);
	for (size_t i = 0; i < len;) {
		uint32_t cp;
		size_t n = utf8_next(s + i, len - i, &cp);
		if (!n) {
			sb_adds(sb, "\xEF\xBF\xBD");
			i++;
			continue;
		}
		if (cp == '&')
			sb_adds(sb, "&amp;");
		else if (cp == '<')
			sb_adds(sb, "&lt;");
		else if (cp == '>')
			sb_adds(sb, "&gt;");
		else if (cp == '\r')
			sb_adds(sb, "&#xD;");
		else if ((cp < 0x20 && cp != '\t' && cp != '\n') || cp == 0xFFFE || cp == 0xFFFF)
			sb_adds(sb, "\xEF\xBF\xBD");
		else
			sb_add(sb, s + i, n);
		i += n;
	}
}

/* A Windows Server 2012 R2 configuration (no vTPM) named name. */
static char *legacy_xml(const char *name, const char *id)
{
	strbuf sb = STRBUF_INIT;
	sb_adds(&sb, "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\n"
		     "<configuration>\n"
		     "  <properties>\n"
		     "    <name type=\"string\">");
	xml_text(&sb, name);
	sb_addf(&sb, "</name>\n"
		     "    <global_id type=\"string\">%s</global_id>\n"
		     "    <type_id type=\"string\">Virtual Machines</type_id>\n"
		     "    <version type=\"integer\">1280</version>\n"
		     "    <subtype type=\"integer\">0</subtype>\n"
		     "  </properties>\n"
		     "  <manifest>\n"
		     "    <size type=\"integer\">0</size>\n"
		     "  </manifest>\n"
		     "  <settings>\n"
		     "    <memory><bank><size type=\"integer\">1024</size></bank></memory>\n"
		     "  </settings>\n"
		     "</configuration>\n",
		id);
	return sb_detach(&sb);
}

/* ---- disks --------------------------------------------------------------------------- */

/* A dynamic VHDX: GPT partition named name holding BitLocker metadata described as name. */
static bool write_disk(const char *path, const char *name, bool tpm_only, uint64_t vsize)
{
	const uint64_t part = 1ull << 20;
	fvew_spec fs;
	fvew_default(&fs);
	fs.description = name;
	fvew_add(&fs, 0x0100, 0x40); /* TPM */
	if (!tpm_only)
		fvew_add(&fs, 0x0800, 0x41); /* recovery password */
	size_t need = fvew_needed(&fs);
	uint8_t *img = calloc(1, (size_t)vsize);
	gptw_part gp = { 2048, vsize / 512 - 34, "EBD0A0A2-B9E5-4433-87C0-68B6B72699C7", name };
	bool ok = img && gptw_build(img, vsize, 512, &gp, 1) && fvew_build(&fs, img + part, need);
	vhdxw_spec vs;
	memset(&vs, 0, sizeof vs);
	vs.virtual_size = vsize;
	kpw_random(vs.data_write_guid, 16);
	kpw_random(vs.file_write_guid, 16);
	strbuf d = STRBUF_INIT;
	sb_adds(&d, path);
	*strrchr(d.buf, '/') = '\0';
	ok = ok && mkdirs(d.buf) && vhdxw_write(path, &vs, img, vsize, NULL);
	if (!ok)
		fprintf(stderr, "hostile: cannot write the disk %s\n", path);
	sb_free(&d);
	free(img);
	return ok;
}

/* ---- archives ------------------------------------------------------------------------ */

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
		uint8_t *p = realloc(m->data, m->cap);
		if (!p)
			return -1;
		m->data = p;
	}
	memcpy(m->data + m->len, buf, n);
	m->len += n;
	return (la_ssize_t)n;
}

typedef struct {
	char *name;
	uint8_t *data;
	size_t len;
} member;

/* Packs the members as zip (raw-byte names) or gzip'd GNU tar; NULL on failure. */
static uint8_t *pack(const member *m, size_t n, bool zip, size_t *len)
{
	membuf b = { NULL, 0, 0 };
	struct archive *a = archive_write_new();
	bool ok = true;
	if (zip) {
		archive_write_set_format_zip(a);
	} else {
		archive_write_set_format_gnutar(a);
		archive_write_add_filter_gzip(a);
	}
	archive_write_set_bytes_in_last_block(a, 1);
	ok = archive_write_open(a, &b, NULL, mem_write, NULL) == ARCHIVE_OK;
	for (size_t i = 0; ok && i < n; i++) {
		struct archive_entry *e = archive_entry_new();
		archive_entry_copy_pathname(e, m[i].name);
		archive_entry_set_filetype(e, AE_IFREG);
		archive_entry_set_perm(e, 0644);
		archive_entry_set_size(e, (la_int64_t)m[i].len);
		archive_entry_set_mtime(e, 1700000000, 0);
		int rc = archive_write_header(a, e); /* a name in no charset only warns */
		ok = rc == ARCHIVE_OK || rc == ARCHIVE_WARN;
		ok = ok && archive_write_data(a, m[i].data, m[i].len) == (la_ssize_t)m[i].len;
		archive_entry_free(e);
	}
	if (ok)
		ok = archive_write_close(a) == ARCHIVE_OK;
	if (!ok)
		fprintf(stderr, "hostile: libarchive: %s\n", archive_error_string(a));
	archive_write_free(a);
	if (!ok) {
		free(b.data);
		return NULL;
	}
	*len = b.len;
	return b.data;
}

/* ---- the tree ------------------------------------------------------------------------ */

static bool lay_out_one(const char *root, size_t i, bool twin, const guardian *loose,
			member *zip, member *tar)
{
	const char *t = hostile_text(i, twin);
	int kind = (int)(i % HOSTILE_KINDS);
	char *f = replace_bytes(t, "/");
	char *d = replace_bytes(t, "/\\");
	char id[40], xid[40];
	snprintf(id, sizeof id, "6A1E0000-0000-4000-8000-%012zX", i + 1);
	snprintf(xid, sizeof xid, "6A1E0000-0000-4000-9000-%012zX", i + 1);
	strbuf p = STRBUF_INIT;
	bool ok = true;
	size_t len;
	uint8_t *b;

	/*
	 * The VM's own guardian; its certificate subjects carry the string as host
	 * (with '(' and ')' as '_': a host in parentheses would not match the
	 * local guardian pattern and the VM would get the hgs verdict instead).
	 */
	char *host = replace_bytes(t, "()");
	guardian g = guardian_new(host);
	free(host);
	b = vmcx_bytes(t, id, d, &len);
	sb_addf(&p, "exports/%s/Virtual Machines/%s.vmcx", f, id);
	ok = ok && b && put(root, sb_str(&p), b, len);
	free(b);
	if (kind != HOSTILE_KIND_UNKNOWN) {
		size_t kl;
		uint8_t *kp = kp_bytes(&g, &kl);
		b = vmgs_bytes(kp, kl, &len);
		sb_reset(&p);
		sb_addf(&p, "exports/%s/Virtual Machines/%s.vmgs", f, id);
		ok = ok && b && put(root, sb_str(&p), b, len);
		free(b);
		free(kp);
	}
	if (kind == HOSTILE_KIND_REBUILD || kind == HOSTILE_KIND_DATA_LOSS) {
		sb_reset(&p);
		sb_addf(&p, "%s/exports/%s/Virtual Hard Disks/%s.vhdx", root, f, d);
		ok = ok && write_disk(sb_str(&p), t, kind == HOSTILE_KIND_DATA_LOSS, 64ull << 20);
	} else {
		/* a disk of no VM, for its partition name and BitLocker description */
		sb_reset(&p);
		sb_addf(&p, "%s/disks/%s.vhdx", root, d);
		ok = ok && write_disk(sb_str(&p), t, false, 8ull << 20);
	}
	if (kind == HOSTILE_KIND_RESTORABLE || kind == HOSTILE_KIND_NEEDS_PASSWORD) {
		const char *pw = kind == HOSTILE_KIND_RESTORABLE ? HOSTILE_PASSWORD : LOCKED_PASSWORD;
		const kpw_cert *certs[2] = { g.enc, g.sig };
		const char *suffix[2] = { "enc", "sig" };
		for (int k = 0; k < 2 && ok; k++) {
			b = pfx_bytes(certs[k], pw, &len);
			sb_reset(&p);
			sb_addf(&p, "%s/%s/%s.%s.pfx",
				kind == HOSTILE_KIND_RESTORABLE ? "pfx" : "locked", f, f, suffix[k]);
			ok = b && put(root, sb_str(&p), b, len);
			free(b);
		}
	}

	/*
	 * A saved key protector named after the string: its stem names a VM.
	 * ".saved" keeps that VM apart from the configuration of the same name.
	 */
	size_t kl;
	uint8_t *kp = kp_bytes(loose, &kl);
	sb_reset(&p);
	sb_addf(&p, "loose/%s.saved.kp", f);
	ok = ok && put(root, sb_str(&p), kp, kl);

	/* a legacy configuration named after it */
	char *xml = legacy_xml(t, xid);
	sb_reset(&p);
	sb_addf(&p, "legacy/%s/Virtual Machines/%s.xml", f, xid);
	ok = ok && put(root, sb_str(&p), xml, strlen(xml));
	free(xml);

	/* a certificate whose subject is the string itself */
	kpw_cert *c = kpw_cert_new(t, KEY_BITS, DAYS, NULL);
	sb_reset(&p);
	sb_addf(&p, "certs/%s.cer", f);
	ok = ok && put(root, sb_str(&p), c->der, c->der_len);

	/* archive members: a key protector and a certificate in a folder */
	sb_reset(&p);
	sb_addf(&p, "%s.zip.kp", f);
	zip[0] = (member){ strdup(sb_str(&p)), kp, kl };
	sb_reset(&p);
	sb_addf(&p, "%s/%s.cer", f, f);
	uint8_t *der = malloc(c->der_len);
	memcpy(der, c->der, c->der_len);
	zip[1] = (member){ strdup(sb_str(&p)), der, c->der_len };
	sb_reset(&p);
	sb_addf(&p, "%s.tar.kp", f);
	uint8_t *kp2 = malloc(kl);
	memcpy(kp2, kp, kl);
	tar[0] = (member){ strdup(sb_str(&p)), kp2, kl };
	sb_reset(&p);
	sb_addf(&p, "%s/%s.cer", f, f);
	der = malloc(c->der_len);
	memcpy(der, c->der, c->der_len);
	tar[1] = (member){ strdup(sb_str(&p)), der, c->der_len };

	kpw_cert_free(c);
	guardian_free(&g);
	sb_free(&p);
	free(f);
	free(d);
	return ok;
}

bool hostile_lay_out(const char *dir, bool twin)
{
	kpw_seed(20261111);
	strbuf root = STRBUF_INIT;
	sb_addf(&root, "%s/evidence", dir);
	bool ok = mkdirs(sb_str(&root));
	/* the loose key protectors' guardian: a host whose certificates are gone */
	guardian loose = guardian_new("HV-GONE");
	size_t n = hostile_count;
	member *zip = calloc(2 * n, sizeof *zip), *tar = calloc(2 * n, sizeof *tar);
	for (size_t i = 0; ok && i < n; i++)
		ok = lay_out_one(sb_str(&root), i, twin, &loose, zip + 2 * i, tar + 2 * i);
	size_t len;
	uint8_t *b = ok ? pack(zip, 2 * n, true, &len) : NULL;
	ok = ok && b && put(sb_str(&root), "archives/hostile.zip", b, len);
	free(b);
	b = ok ? pack(tar, 2 * n, false, &len) : NULL;
	ok = ok && b && put(sb_str(&root), "archives/hostile.tar.gz", b, len);
	free(b);
	for (size_t i = 0; i < 2 * n; i++) {
		free(zip[i].name);
		free(zip[i].data);
		free(tar[i].name);
		free(tar[i].data);
	}
	free(zip);
	free(tar);
	guardian_free(&loose);
	ok = ok && put(dir, "passwords.txt", HOSTILE_PASSWORD "\n", strlen(HOSTILE_PASSWORD) + 1);
	sb_free(&root);
	return ok;
}
