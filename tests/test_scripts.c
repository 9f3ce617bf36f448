/*
 * test_scripts.c - `hvtpm script` and the export manifest.
 *
 *   - the manifest reader: every field validated, the error class of each
 *     kind of bad input (format / corrupt / unsupported / limit);
 *   - the folder check: ok, unchecked, missing, changed, does-not-open,
 *     no-private-key, unlisted files;
 *   - the three scripts, over option combinations and hostile --dest, --from
 *     and --vm values: pure ASCII, parsed by a real PowerShell grammar
 *     (tests/pscheck, as UTF-8 and as Windows-1252) with every hostile byte
 *     inside a string literal, the required header, no password literal, and
 *     only the cmdlets on an allow-list;
 *   - the naming rule end to end: a folder laid out exactly as the export
 *     script writes it (PFX files named by the rule, one regenerated guardian
 *     with the thumbprint suffix, the manifest) checks clean; a removed and an
 *     altered file are reported; and hvtpm diagnose, given that folder and the
 *     VM's key protector, finds the keys in the suffixed files and, without
 *     the password, tells the relevant locked files by their names;
 *   - hvtpm audit reads the manifest (in folders and inside archives): the
 *     folder as exported audits clean; a missing, an altered and a PFX that
 *     no longer opens with the password given are each reported, in every
 *     format, and make the exit status 1; a damaged manifest is an input
 *     error (4).
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <archive.h>
#include <archive_entry.h>
#include <json-c/json.h>
#include <openssl/evp.h>
#include <openssl/pkcs12.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>

#include "formats/cert.h"
#include "formats/export_manifest.h"
#include "formats/pfx.h"
#include "report/host_scripts.h"
#include "report/ps_literal.h"
#include "support/kp_writer.h"
#include "support/testutil.h"
#include "util/fileio.h"
#include "util/ossl.h"
#include "util/passwords.h"
#include "util/strbuf.h"
#include "util/text.h"

#define MARK "PWNED"
#define PASS "scripts-test-export"
#define SUBJ_ENC "CN=Shielded VM Encryption Certificate (UntrustedGuardian) (HV01)"
#define SUBJ_SIG "CN=Shielded VM Signing Certificate (UntrustedGuardian) (HV01)"
#define VM_ID "6A1B2C3D-4E5F-4A6B-8C7D-9E0F1A2B3C4D"

static EVP_PKEY *keys[2];

/* ---- manifest text ------------------------------------------------------------------- */

static const char *const entry_ok =
	"{\"file\": \"Shielded_VM_Encryption_Certificate_(UntrustedGuardian)_(HV01).pfx\","
	" \"thumbprint\": \"0123456789abcdef0123456789abcdef01234567\","
	" \"role\": \"encryption\","
	" \"subject\": \"" SUBJ_ENC "\","
	" \"guardian\": \"UntrustedGuardian\", \"host\": \"HV01\","
	" \"not_before\": \"2016-10-01T00:00:00Z\", \"not_after\": \"2026-10-01T00:00:00Z\","
	" \"sha256\": \"ABCDEF0123456789ABCDEF0123456789ABCDEF0123456789ABCDEF0123456789\","
	" \"has_private_key\": true, \"in_store\": true}";

/* A manifest with the given marker line and certificates text. */
static char *manifest_text(const char *marker, const char *certs)
{
	strbuf sb = STRBUF_INIT;
	sb_addf(&sb,
		"{\n  %s,\n  \"generator\": \"hvtpm 0.1.0 script export\",\n"
		"  \"created\": \"2026-09-01T10:00:00Z\",\n  \"host\": \"HV01\",\n"
		"  \"store\": \"Cert:\\\\LocalMachine\\\\Shielded VM Local Certificates\",\n"
		"  \"crypto\": \"AES256_SHA256\",\n  \"crypto_reason\": \"\",\n"
		"  \"certificates\": %s\n}\n",
		marker, certs);
	return sb_detach(&sb);
}

static hv_err read_text(const char *text, size_t len, export_manifest *m)
{
	hv_findings f = { 0 };
	hv_err rc = export_manifest_read(span_make(text, len), "m.json", m, &f);
	findings_free(&f);
	return rc;
}

static hv_err read_manifest(const char *marker, const char *certs)
{
	char *t = manifest_text(marker, certs);
	export_manifest m;
	hv_err rc = read_text(t, strlen(t), &m);
	export_manifest_free(&m);
	free(t);
	return rc;
}

/* entry_ok with one "key": value replaced (value NULL: the member removed). */
static char *entry_with(const char *key, const char *value)
{
	json_object *o = json_tokener_parse(entry_ok);
	ck_assert_ptr_nonnull(o);
	json_object_object_del(o, key);
	if (value)
		json_object_object_add(o, key, json_tokener_parse(value));
	strbuf sb = STRBUF_INIT;
	sb_addf(&sb, "[%s]", json_object_to_json_string(o));
	json_object_put(o);
	return sb_detach(&sb);
}

START_TEST(manifest_reads_every_field)
{
	strbuf certs = STRBUF_INIT;
	sb_addf(&certs, "[%s]", entry_ok);
	char *t = manifest_text("\"hvtpm_export_manifest\": 1", certs.buf);
	export_manifest m;
	ck_assert(export_manifest_sniff(span_make(t, strlen(t))));
	ck_assert_int_eq(read_text(t, strlen(t), &m), HV_OK);
	ck_assert_int_eq(m.version, 1);
	ck_assert_str_eq(m.host, "HV01");
	ck_assert_str_eq(m.crypto, "AES256_SHA256");
	ck_assert_uint_eq(m.n, 1);
	const export_entry *e = &m.entries[0];
	ck_assert_str_eq(e->thumbprint, "0123456789ABCDEF0123456789ABCDEF01234567");
	ck_assert_str_eq(e->sha256, "abcdef0123456789abcdef0123456789abcdef0123456789abcdef0123456789");
	ck_assert_int_eq(e->role, CERT_ROLE_ENCRYPTION);
	ck_assert_str_eq(e->guardian, "UntrustedGuardian");
	ck_assert_str_eq(e->host, "HV01");
	ck_assert(e->has_private_key && e->in_store && e->name_follows_rule);
	time_t want;
	ck_assert(iso_parse("2026-10-01T00:00:00Z", &want));
	ck_assert(e->not_after == want);
	export_manifest_free(&m);
	free(t);
	sb_free(&certs);
}
END_TEST

/* UTF-8 BOM, UTF-16LE with BOM, and Windows PowerShell 5.1's {"value": [...]} array. */
START_TEST(manifest_reads_the_forms_windows_writes)
{
	strbuf certs = STRBUF_INIT;
	sb_addf(&certs, "{\"value\": [%s], \"Count\": 1}", entry_ok);
	char *t = manifest_text("\"hvtpm_export_manifest\": 1", certs.buf);
	export_manifest m;
	ck_assert_int_eq(read_text(t, strlen(t), &m), HV_OK);
	ck_assert_uint_eq(m.n, 1);
	export_manifest_free(&m);

	strbuf bom = STRBUF_INIT;
	sb_adds(&bom, "\xEF\xBB\xBF");
	sb_adds(&bom, t);
	ck_assert_int_eq(read_text(bom.buf, bom.len, &m), HV_OK);
	export_manifest_free(&m);

	size_t n16;
	uint8_t *u16 = utf8_to_utf16le(t, &n16);
	uint8_t *w = malloc(n16 + 2);
	w[0] = 0xFF;
	w[1] = 0xFE;
	memcpy(w + 2, u16, n16);
	ck_assert(export_manifest_sniff(span_make(w, n16 + 2)));
	ck_assert_int_eq(read_text((const char *)w, n16 + 2, &m), HV_OK);
	ck_assert_uint_eq(m.n, 1);
	export_manifest_free(&m);
	free(w);
	free(u16);
	sb_free(&bom);
	free(t);
	sb_free(&certs);
}
END_TEST

START_TEST(manifest_error_classes)
{
	export_manifest m;
	static const char *const not_manifest[] = { "hello", "[1, 2]", "{\"a\": 1}", "" };
	for (size_t i = 0; i < sizeof not_manifest / sizeof *not_manifest; i++) {
		ck_assert_msg(read_text(not_manifest[i], strlen(not_manifest[i]), &m) ==
				      HV_ERR_FORMAT,
			      "case %zu", i);
		ck_assert(!export_manifest_sniff(span_make(not_manifest[i], strlen(not_manifest[i]))));
	}
	ck_assert_int_eq(read_manifest("\"hvtpm_export_manifest\": 2", "[]"), HV_ERR_UNSUPPORTED);
	ck_assert_int_eq(read_manifest("\"hvtpm_export_manifest\": \"1\"", "[]"), HV_ERR_CORRUPT);
	ck_assert_int_eq(read_manifest("\"hvtpm_export_manifest\": 0", "[]"), HV_ERR_CORRUPT);
	ck_assert_int_eq(read_manifest("\"hvtpm_export_manifest\": 1", "[]"), HV_OK);
	ck_assert_int_eq(read_manifest("\"hvtpm_export_manifest\": 1", "{}"), HV_ERR_CORRUPT);
	/* cut, trailing garbage, comments (not strict JSON) */
	char *t = manifest_text("\"hvtpm_export_manifest\": 1", "[]");
	ck_assert_int_eq(read_text(t, strlen(t) / 2, &m), HV_ERR_CORRUPT);
	strbuf sb = STRBUF_INIT;
	sb_adds(&sb, t);
	sb_adds(&sb, "{}");
	ck_assert_int_eq(read_text(sb.buf, sb.len, &m), HV_ERR_CORRUPT);
	free(t);
	sb_free(&sb);
	ck_assert_int_eq(read_manifest("\"hvtpm_export_manifest\": 1 /* x */", "[]"), HV_ERR_CORRUPT);
}
END_TEST

START_TEST(manifest_fields_are_validated)
{
	static const struct {
		const char *key, *value;
	} bad[] = {
		{ "file", NULL },
		{ "file", "\"..\\\\x.pfx\"" },
		{ "file", "\"a/b.pfx\"" },
		{ "file", "\"x.txt\"" },
		{ "file", "\"\"" },
		{ "thumbprint", "\"0123\"" },
		{ "thumbprint", "\"0123456789abcdef0123456789abcdef0123456Z\"" },
		{ "role", "\"owner\"" },
		{ "role", "\"signing\"" }, /* disagrees with the subject */
		{ "subject", "\"CN=web01\"" },
		{ "host", "\"HV02\"" },
		{ "guardian", "\"Other\"" },
		{ "not_before", "\"yesterday\"" },
		{ "not_after", "\"2010-01-01T00:00:00Z\"" }, /* before not_before */
		{ "sha256", "\"abc\"" },
		{ "sha256", "42" },
		{ "has_private_key", "\"yes\"" },
		{ "has_private_key", NULL },
		{ "in_store", "1" },
		{ "subject", "\"CN=Shielded VM Encryption Certificate (UntrustedGuardian) (HV01)\\u0000x\"" },
	};
	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
		char *certs = entry_with(bad[i].key, bad[i].value);
		ck_assert_msg(read_manifest("\"hvtpm_export_manifest\": 1", certs) == HV_ERR_CORRUPT,
			      "case %zu (%s)", i, bad[i].key);
		free(certs);
	}
	/* optional members may be absent */
	char *certs = entry_with("in_store", NULL);
	ck_assert_int_eq(read_manifest("\"hvtpm_export_manifest\": 1", certs), HV_OK);
	free(certs);
	/* two entries for one file */
	strbuf two = STRBUF_INIT;
	sb_addf(&two, "[%s, %s]", entry_ok, entry_ok);
	ck_assert_int_eq(read_manifest("\"hvtpm_export_manifest\": 1", two.buf), HV_ERR_CORRUPT);
	sb_free(&two);
	/* the top level */
	char *t = manifest_text("\"hvtpm_export_manifest\": 1", "[]");
	memcpy(strstr(t, "2026-09-01T10:00:00Z"), "2026-13-01", 10);
	export_manifest m;
	ck_assert_int_eq(read_text(t, strlen(t), &m), HV_ERR_CORRUPT);
	free(t);
}
END_TEST

START_TEST(manifest_caps)
{
	export_manifest m;
	strbuf sb = STRBUF_INIT;
	sb_adds(&sb, "[");
	for (int i = 0; i <= EXPORT_MANIFEST_MAX_ENTRIES; i++)
		sb_adds(&sb, i ? ", {}" : "{}");
	sb_adds(&sb, "]");
	ck_assert_int_eq(read_manifest("\"hvtpm_export_manifest\": 1", sb.buf), HV_ERR_LIMIT);
	sb_reset(&sb);
	for (int i = 0; i < 40; i++)
		sb_adds(&sb, "[");
	for (int i = 0; i < 40; i++)
		sb_adds(&sb, "]");
	ck_assert_int_eq(read_manifest("\"hvtpm_export_manifest\": 1", sb.buf), HV_ERR_CORRUPT);
	sb_free(&sb);
	size_t big = EXPORT_MANIFEST_MAX_SIZE + 1;
	char *b = malloc(big);
	memset(b, ' ', big);
	ck_assert_int_eq(read_text(b, big, &m), HV_ERR_LIMIT);
	free(b);
}
END_TEST

START_TEST(pfx_file_name_rule)
{
	char *n = export_pfx_file_name(SUBJ_ENC, NULL);
	ck_assert_str_eq(n, "Shielded_VM_Encryption_Certificate_(UntrustedGuardian)_(HV01).pfx");
	free(n);
	n = export_pfx_file_name(SUBJ_SIG, "0123456789ABCDEF0123456789ABCDEF01234567");
	ck_assert_str_eq(n, "Shielded_VM_Signing_Certificate_(UntrustedGuardian)_(HV01)_"
			    "0123456789ABCDEF0123456789ABCDEF01234567.pfx");
	free(n);
	n = export_pfx_file_name("CN=Shielded VM Signing Certificate (G) (a:b/c\\d?)", NULL);
	ck_assert_str_eq(n, "Shielded_VM_Signing_Certificate_(G)_(a_b_c_d_).pfx");
	free(n);
	ck_assert_ptr_null(export_pfx_file_name("O=x", NULL));
}
END_TEST

/* ---- the folder check ---------------------------------------------------------------- */

static void two_entry_manifest(export_manifest *m)
{
	strbuf certs = STRBUF_INIT;
	char *second = entry_with("file", "\"Shielded_VM_Encryption_Certificate_(UntrustedGuardian)_"
					  "(HV01)_1111111111111111111111111111111111111111.pfx\"");
	json_object *o = json_tokener_parse(second);
	json_object *e = json_object_array_get_idx(o, 0);
	json_object_object_add(e, "thumbprint",
			       json_object_new_string("1111111111111111111111111111111111111111"));
	sb_addf(&certs, "[%s, %s]", entry_ok, json_object_to_json_string(e));
	json_object_put(o);
	free(second);
	char *t = manifest_text("\"hvtpm_export_manifest\": 1", certs.buf);
	ck_assert_int_eq(read_text(t, strlen(t), m), HV_OK);
	ck_assert_uint_eq(m->n, 2);
	ck_assert(m->entries[1].name_follows_rule);
	free(t);
	sb_free(&certs);
}

START_TEST(check_reports_each_status)
{
	export_manifest m;
	two_entry_manifest(&m);
	const char *sha = "abcdef0123456789abcdef0123456789abcdef0123456789abcdef0123456789";
	const char *const with_key[] = { "0123456789ABCDEF0123456789ABCDEF01234567" };
	export_found_file f[] = {
		{ .name = "shielded_vm_encryption_certificate_(untrustedguardian)_(hv01).PFX",
		  .sha256 = sha, .open = EXPORT_OPEN_OK, .key_thumbprints = with_key,
		  .nkey_thumbprints = 1 },
		{ .name = "stray.pfx", .sha256 = sha },
		{ .name = EXPORT_MANIFEST_NAME },
	};
	export_check_result r;
	export_manifest_check(&m, f, 3, &r);
	ck_assert_int_eq(r.v[0].status, EXPORT_ST_OK);
	ck_assert_uint_eq(r.v[0].file, 0);
	ck_assert_int_eq(r.v[1].status, EXPORT_ST_MISSING);
	ck_assert_uint_eq(r.nunlisted, 1);
	ck_assert_uint_eq(r.unlisted[0], 1);
	ck_assert_uint_eq(r.bad, 1);
	export_check_free(&r);

	static const struct {
		const char *sha;
		export_open_state open;
		size_t nkeys;
		export_status want;
	} cases[] = {
		{ "abcdef0123456789abcdef0123456789abcdef0123456789abcdef0123456789", EXPORT_OPEN_UNKNOWN, 0,
		  EXPORT_ST_UNCHECKED },
		{ "00cdef0123456789abcdef0123456789abcdef0123456789abcdef0123456789", EXPORT_OPEN_OK, 1,
		  EXPORT_ST_CHANGED },
		{ "ABCDEF0123456789ABCDEF0123456789ABCDEF0123456789ABCDEF0123456789", EXPORT_OPEN_FAILED, 0,
		  EXPORT_ST_NO_OPEN },
		{ NULL, EXPORT_OPEN_FAILED, 0, EXPORT_ST_NO_OPEN },
		{ NULL, EXPORT_OPEN_OK, 0, EXPORT_ST_NO_KEY },
		{ NULL, EXPORT_OPEN_OK, 1, EXPORT_ST_OK },
	};
	for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
		export_found_file one = { .name = m.entries[0].file, .sha256 = cases[i].sha,
					  .open = cases[i].open, .key_thumbprints = with_key,
					  .nkey_thumbprints = cases[i].nkeys };
		export_manifest_check(&m, &one, 1, &r);
		ck_assert_msg(r.v[0].status == cases[i].want, "case %zu: %s", i,
			      export_status_name(r.v[0].status));
		ck_assert(r.v[0].sha256_checked == (cases[i].sha != NULL));
		export_check_free(&r);
	}
	/* an export recorded without its key stays a problem until opened */
	m.entries[0].has_private_key = false;
	export_found_file one = { .name = m.entries[0].file, .sha256 = sha };
	export_manifest_check(&m, &one, 1, &r);
	ck_assert_int_eq(r.v[0].status, EXPORT_ST_NO_KEY);
	export_check_free(&r);
	for (int s = EXPORT_ST_OK; s <= EXPORT_ST_NO_KEY; s++)
		ck_assert(*export_status_advice((export_status)s));
	export_manifest_free(&m);
}
END_TEST

/* ---- the scripts --------------------------------------------------------------------- */

/* --dest/--from/--vm values an attacker or an unlucky admin could give (each has MARK). */
static const char *const hostile[] = {
	"C:\\work\\" MARK,
	"C:\\it's\\" MARK "'; Remove-Item C:\\ -Recurse; '",
	"D:\\a\"b$(Start-Process " MARK ")`\"@'",
	"C:\\x\n" MARK "\r\n#> <# $env:X",
	"C:\\Sicherung\\\xC3\x9C" MARK "\xE2\x80\x99; Start-Process " MARK "; \xE2\x80\x98",
	"\\\\server\\share\\" MARK "\xE2\x80\xA8\xC2\x85\xE2\x80\xAE",
	"C:\\" MARK "\xFF\xFE\x80",
	"C:\\\xF0\x9F\x98\x80 " MARK " \x1B[31m",
};

typedef void (*gen_fn)(strbuf *, const host_script_opts *);

static void write_script(const char *dir, const char *name, gen_fn gen, const host_script_opts *o)
{
	strbuf sb = STRBUF_INIT;
	gen(&sb, o);
	for (size_t i = 0; i < sb.len; i++)
		ck_assert_msg(sb.buf[i] == '\n' || (sb.buf[i] >= 0x20 && sb.buf[i] < 0x7F),
			      "%s: byte 0x%02x at %zu", name, (unsigned char)sb.buf[i], i);
	char *p = tu_join(dir, name);
	tu_write(p, sb.buf, sb.len);
	free(p);
	sb_free(&sb);
}

/* Writes every script for option combinations and hostile values; returns how many. */
static size_t write_all(const char *dir)
{
	size_t n = 0;
	char name[64];
	for (size_t i = 0; i <= sizeof hostile / sizeof *hostile; i++) {
		const char *h = i < sizeof hostile / sizeof *hostile ? hostile[i] : NULL;
		host_script_opts o;
		host_script_opts_init(&o);
		o.generated_at = "2026-09-01T00:00:00Z";
		o.dest = h;
		o.from = h ? h : "C:\\work";
		o.warn_days = (int)(i * 30);
		const char *vms[] = { h ? h : "web01", "web02" };
		snprintf(name, sizeof name, "export-%zu.ps1", i);
		write_script(dir, name, host_script_export, &o);
		snprintf(name, sizeof name, "import-%zu.ps1", i);
		write_script(dir, name, host_script_import, &o);
		for (int combo = 0; combo < 4; combo++) {
			o.export_vm = combo & 1;
			o.include_certificates = combo & 2;
			o.vms = combo ? vms : NULL;
			o.nvms = combo ? 2 : 0;
			snprintf(name, sizeof name, "collect-%zu-%d.ps1", i, combo);
			write_script(dir, name, host_script_collect, &o);
		}
		n += 6;
	}
	return n;
}

static tu_run_result pscheck(const char *files, const char *extra)
{
	char *script = tu_join(tu_srcdir(), "tests/pscheck/check.cjs");
	char cmd[4096];
	snprintf(cmd, sizeof cmd, "node '%s' --marker " MARK " %s %s", script, extra ? extra : "",
		 files);
	free(script);
	char *argv[] = { "sh", "-c", cmd, NULL };
	return tu_run(argv, NULL, NULL);
}

START_TEST(scripts_parse_and_keep_hostile_text_in_literals)
{
	char *dir = tu_mkdtemp();
	size_t n = write_all(dir);
	char files[1024];
	snprintf(files, sizeof files, "'%s'/*.ps1", dir);
	tu_run_result r = pscheck(files, NULL);
	ck_assert_msg(r.status == 0, "pscheck failed (%d):\n%s%s", r.status, r.out, r.err);
	size_t ok = 0;
	for (const char *p = r.out; (p = strstr(p, "ok ")); p++)
		ok++;
	ck_assert_uint_eq(ok, n);
	tu_run_free(&r);
	tu_rmtree(dir);
	free(dir);
}
END_TEST

static char *script_text(gen_fn gen, const host_script_opts *o)
{
	strbuf sb = STRBUF_INIT;
	gen(&sb, o);
	return sb_detach(&sb);
}

/* "    [string]$Name = <ps_lit(value)>," is in s. */
static void assert_param(const char *s, const char *name, const char *value)
{
	strbuf want = STRBUF_INIT;
	sb_addf(&want, "\n    [string]$%s = ", name);
	ps_lit_add(&want, value);
	sb_adds(&want, ",\n");
	ck_assert_msg(strstr(s, want.buf), "no %s", want.buf);
	sb_free(&want);
}

/* Every value given to hvtpm is in the script exactly once, as ps_lit() wrote it. */
START_TEST(values_reach_the_script_only_as_literals)
{
	for (size_t i = 0; i < sizeof hostile / sizeof *hostile; i++) {
		host_script_opts o;
		host_script_opts_init(&o);
		o.dest = hostile[i];
		o.from = hostile[i];
		const char *vms[] = { hostile[i], "web01" };
		o.vms = vms;
		o.nvms = 2;
		char *e = script_text(host_script_export, &o);
		char *im = script_text(host_script_import, &o);
		char *c = script_text(host_script_collect, &o);
		assert_param(e, "Dest", hostile[i]);
		assert_param(im, "From", hostile[i]);
		assert_param(c, "Dest", hostile[i]);
		strbuf want = STRBUF_INIT;
		sb_adds(&want, "[string[]]$VMName = @(");
		ps_lit_add(&want, hostile[i]);
		sb_adds(&want, ", 'web01'),\n");
		ck_assert_msg(strstr(c, want.buf), "case %zu: no %s", i, want.buf);
		sb_free(&want);
		/* the marker appears nowhere else (once per value) */
		size_t marks = 0;
		for (const char *p = c; (p = strstr(p, MARK)); p++)
			marks++;
		ck_assert_uint_le(marks, 2 * 2);
		free(e);
		free(im);
		free(c);
	}
}
END_TEST

/* Every -Password takes a variable; nothing that would hold or build a password literal. */
static void assert_no_password(const char *s, const char *what)
{
	static const char *const banned[] = {
		"ConvertTo-SecureString", "AsPlainText", "P@ssword", "certutil", "-p ", "Remove-Item",
		"Remove-HgsGuardian", "Invoke-Expression", "Get-VMTPM", "-Force",
	};
	for (size_t i = 0; i < sizeof banned / sizeof *banned; i++)
		ck_assert_msg(!strstr(s, banned[i]), "%s contains %s", what, banned[i]);
	for (const char *p = s; (p = strstr(p, "-Password ")); p++)
		ck_assert_msg(p[10] == '$', "%s: -Password not followed by a variable: %.40s", what, p);
	ck_assert_msg(strstr(s, "Read-Host -AsSecureString"), "%s: no secure prompt", what);
}

static void assert_header(const char *s, const char *what)
{
	ck_assert_msg(strstr(s, "\n#Requires -RunAsAdministrator\n"), "%s: no #Requires", what);
	ck_assert_msg(strstr(s, "\n[CmdletBinding(SupportsShouldProcess = $true)]\nparam("),
		      "%s: no CmdletBinding", what);
	/* every Export/Import/New-Item/WriteAll/Copy runs behind ShouldProcess: count both */
	ck_assert_msg(strstr(s, "ShouldProcess("), "%s: no ShouldProcess", what);
	ck_assert_msg(strstr(s, "-WhatIf"), "%s: -WhatIf not mentioned", what);
}

START_TEST(scripts_have_the_header_and_no_password)
{
	host_script_opts o;
	host_script_opts_init(&o);
	o.from = "C:\\work";
	o.include_certificates = true;
	char *e = script_text(host_script_export, &o);
	char *i = script_text(host_script_import, &o);
	char *c = script_text(host_script_collect, &o);
	const char *const all[] = { e, i, c };
	const char *const names[] = { "export", "import", "collect" };
	for (size_t k = 0; k < 3; k++) {
		assert_header(all[k], names[k]);
		assert_no_password(all[k], names[k]);
	}
	/* export: both prompts, AES with its fallback reason, the proof, the manifest */
	ck_assert(strstr(e, "'The same password again'"));
	ck_assert(strstr(e, "-CryptoAlgorithmOption AES256_SHA256"));
	ck_assert(strstr(e, "$build -lt 16299"));
	ck_assert(strstr(e, "-NoClobber"));
	ck_assert(strstr(e, "$ManifestName = '" EXPORT_MANIFEST_NAME "'"));
	ck_assert(strstr(e, "hvtpm_export_manifest = 1"));
	ck_assert(strstr(e, "Get-FileHash -LiteralPath $File.Path -Algorithm SHA256"));
	ck_assert(strstr(e, "[int]$WarnDays = 90,"));
	ck_assert(strstr(e, "$DefaultGuardian = 'UntrustedGuardian'"));
	/* import: HasPrivateKey afterwards, store created when missing */
	ck_assert(strstr(i, "HasPrivateKey"));
	ck_assert(strstr(i, "New-Item -Path $Store"));
	ck_assert(strstr(i, "-Exportable"));
	/* collect: raw key protector bytes, named by VM id for hvtpm */
	ck_assert(strstr(c, "[byte[]]$kp = Get-VMKeyProtector -VM $VM -WhatIf:$false"));
	ck_assert(strstr(c, "[IO.File]::WriteAllBytes((Join-Path $dir ($id + '.kp')), $kp)"));
	ck_assert(strstr(c, "[switch]$IncludeCertificates = $true,"));
	ck_assert(strstr(c, "hvtpm diagnose"));
	free(e);
	free(i);
	free(c);
}
END_TEST

static const char *const allowed_cmdlets[] = {
	"ConvertFrom-Json", "ConvertTo-Json", "Export-PfxCertificate", "Export-VM", "ForEach-Object",
	"Get-ChildItem", "Get-Command", "Get-Date", "Get-FileHash", "Get-HgsGuardian", "Get-PfxData",
	"Get-VM", "Get-VMKeyProtector", "Get-VMSecurity", "Import-PfxCertificate", "Join-Path",
	"New-Item", "New-Object", "Out-Null", "Read-Host", "Sort-Object", "Split-Path", "Test-Path",
	"Where-Object", "Write-Host", "Write-Warning",
};

static bool allowed(const char *cmd, const char *script)
{
	for (size_t i = 0; i < sizeof allowed_cmdlets / sizeof *allowed_cmdlets; i++)
		if (strcmp(cmd, allowed_cmdlets[i]) == 0)
			return true;
	/* our own functions, defined in the script itself */
	char def[128];
	snprintf(def, sizeof def, "\nfunction %s {\n", cmd);
	return strstr(cmd, "-Hvtpm") && strstr(script, def);
}

/* The commands one script uses: all allowed, the required ones present. */
static void check_commands(gen_fn gen, const host_script_opts *o, const char *const *required)
{
	char *dir = tu_mkdtemp();
	char *s = script_text(gen, o);
	char *p = tu_join(dir, "s.ps1");
	tu_write(p, s, strlen(s));
	char files[1024];
	snprintf(files, sizeof files, "'%s'", p);
	tu_run_result r = pscheck(files, "--commands");
	ck_assert_msg(r.status == 0, "pscheck failed:\n%s%s", r.out, r.err);
	for (size_t i = 0; required[i]; i++) {
		char want[128];
		snprintf(want, sizeof want, "\ncommand %s\n", required[i]);
		ck_assert_msg(strstr(r.out, want), "required command %s missing", required[i]);
	}
	for (char *line = strtok(r.out, "\n"); line; line = strtok(NULL, "\n")) {
		if (strncmp(line, "command ", 8) == 0)
			ck_assert_msg(allowed(line + 8, s), "command not on the allow-list: %s", line + 8);
	}
	tu_run_free(&r);
	free(p);
	free(s);
	tu_rmtree(dir);
	free(dir);
}

START_TEST(scripts_use_only_allowed_cmdlets)
{
	host_script_opts o;
	host_script_opts_init(&o);
	o.from = "C:\\work";
	o.include_certificates = true;
	o.export_vm = true;
	const char *const exp[] = { "Export-PfxCertificate", "Get-PfxData", "Get-FileHash",
				    "ConvertTo-Json", NULL };
	const char *const imp[] = { "Import-PfxCertificate", "Get-PfxData", "New-Item", NULL };
	const char *const col[] = { "Get-VMKeyProtector", "Get-VMSecurity", "Get-HgsGuardian",
				    "Export-VM", "Export-PfxCertificate", "Get-VM", NULL };
	check_commands(host_script_export, &o, exp);
	check_commands(host_script_import, &o, imp);
	check_commands(host_script_collect, &o, col);
}
END_TEST

/* ---- the command line ---------------------------------------------------------------- */

static tu_run_result run_epoch(const char *a1, const char *a2, const char *a3, const char *a4,
			       const char *a5)
{
	char *argv[] = { (char *)tu_bin(), "script", (char *)a1, (char *)a2, (char *)a3,
			 (char *)a4, (char *)a5, NULL };
	char *env[] = { "SOURCE_DATE_EPOCH=1788220800", NULL }; /* 2026-09-01 */
	return tu_run(argv, env, NULL);
}

START_TEST(cli_writes_the_same_script_and_never_overwrites)
{
	char *dir = tu_mkdtemp();
	char *out = tu_join(dir, "export.ps1");
	tu_run_result r = run_epoch("export", "--dest", "E:\\x", "--out", out);
	ck_assert_msg(r.status == 0, "%s", r.err);
	tu_run_free(&r);
	size_t len;
	uint8_t *got = tu_read(out, &len);
	host_script_opts o;
	host_script_opts_init(&o);
	o.dest = "E:\\x";
	o.generated_at = "2026-09-01T00:00:00Z";
	char *want = script_text(host_script_export, &o);
	ck_assert_uint_eq(len, strlen(want));
	ck_assert(memcmp(got, want, len) == 0);
	/* a second run refuses and leaves the file as it was */
	r = run_epoch("export", "--out", out, NULL, NULL);
	ck_assert_int_eq(r.status, 3);
	ck_assert_ptr_nonnull(strstr(r.err, "never overwritten"));
	tu_run_free(&r);
	size_t len2;
	uint8_t *again = tu_read(out, &len2);
	ck_assert(len2 == len && memcmp(again, got, len) == 0);
	free(again);
	free(got);
	free(want);
	/* stdout */
	r = run_epoch("collect", "--vm", "web01", "--include-certificates", NULL);
	ck_assert_int_eq(r.status, 0);
	ck_assert_ptr_nonnull(strstr(r.out, "[string[]]$VMName = @('web01'),"));
	ck_assert_ptr_nonnull(strstr(r.out, "[switch]$IncludeCertificates = $true,"));
	ck_assert_ptr_nonnull(strstr(r.out, "[switch]$ExportVM,"));
	tu_run_free(&r);
	r = run_epoch("export", "--warn-days", "45", NULL, NULL);
	ck_assert_int_eq(r.status, 0);
	ck_assert_ptr_nonnull(strstr(r.out, "[int]$WarnDays = 45,"));
	ck_assert_ptr_nonnull(strstr(r.out, "made 2026-09-01T00:00:00Z by hvtpm"));
	tu_run_free(&r);
	free(out);
	tu_rmtree(dir);
	free(dir);
}
END_TEST

START_TEST(cli_usage_errors)
{
	static const char *const bad[][4] = {
		{ "import", NULL },                      /* --from is required */
		{ "export", "--from", "C:\\x", NULL },    /* not an export option */
		{ "export", "--vm", "a", NULL },
		{ "import", "--from", "C:\\x", "--dest" },
		{ "export", "--warn-days", "ninety", NULL },
		{ "export", "--warn-days", "-1", NULL },
		{ "export", "--dest", "", NULL },
		{ "export", "extra", NULL, NULL },
		{ "export", "--nope", NULL, NULL },
		{ "frobnicate", NULL, NULL, NULL },
	};
	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
		tu_run_result r = run_epoch(bad[i][0], bad[i][1], bad[i][2], bad[i][3], NULL);
		ck_assert_msg(r.status == 3, "case %zu: exit %d", i, r.status);
		ck_assert_msg(strncmp(r.err, "hvtpm script: ", 14) == 0, "case %zu: %s", i, r.err);
		ck_assert_msg(r.outlen == 0, "case %zu: wrote a script", i);
		tu_run_free(&r);
	}
	tu_run_result r = tu_hvtpm("script", NULL);
	ck_assert_int_eq(r.status, 3);
	ck_assert_ptr_nonnull(strstr(r.err, "hvtpm script: which script?"));
	tu_run_free(&r);
	static const char *const help[][2] = { { "--help", NULL }, { "export", "--help" },
					       { "import", "-h" }, { "collect", "--help" } };
	for (size_t i = 0; i < sizeof help / sizeof *help; i++) {
		r = tu_hvtpm("script", help[i][0], help[i][1], NULL);
		ck_assert_msg(r.status == 0 && strstr(r.out, "usage: hvtpm script"), "help %zu", i);
		tu_run_free(&r);
	}
}
END_TEST

/* ---- the naming rule end to end ------------------------------------------------------ */

typedef struct {
	X509 *x;
	EVP_PKEY *k;
	uint8_t *der;
	size_t len;
	hv_cert c;
} tcert;

static time_t day(const char *iso)
{
	time_t t;
	ck_assert(iso_parse(iso, &t));
	return t;
}

static tcert make_cert(const char *subject, EVP_PKEY *k, time_t nb, time_t na)
{
	static long serial = 100;
	tcert c = { X509_new(), k, NULL, 0, { 0 } };
	X509_set_version(c.x, 2);
	ASN1_INTEGER_set(X509_get_serialNumber(c.x), serial++);
	ASN1_TIME_set(X509_getm_notBefore(c.x), nb);
	ASN1_TIME_set(X509_getm_notAfter(c.x), na);
	X509_NAME *n = X509_get_subject_name(c.x);
	X509_NAME_add_entry_by_txt(n, "CN", V_ASN1_UTF8STRING, (const unsigned char *)subject + 3, -1,
				   -1, 0);
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
	ck_assert_int_eq(cert_from_x509(c.x, &c.c), HV_OK);
	return c;
}

static void cert_done(tcert *c)
{
	X509_free(c->x);
	free(c->der);
	cert_free(&c->c);
}

static uint8_t *pfx_bytes_pw(const tcert *c, const char *password, size_t *len)
{
	PKCS12 *p = PKCS12_create_ex((char *)password, NULL, c->k, c->x, NULL, NID_aes_256_cbc,
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

/* Get-VMKeyProtector bytes for the pair, every signature real. */
static uint8_t *kp_blob(const tcert *enc, const tcert *sig, size_t *len)
{
	kpw_cert ks = { sig->k, sig->x, sig->der, sig->len };
	kpw_wrapping w;
	memset(&w, 0, sizeof w);
	w.id = 1;
	w.parent_id = 1;
	w.signing_der = sig->der;
	w.signing_len = sig->len;
	w.encryption_der = enc->der;
	w.encryption_len = enc->len;
	uint8_t *s1 = kpw_sign(&ks, "pkcs1-sha256", sig->der, sig->len, &w.signing_sig_len);
	uint8_t *s2 = kpw_sign(&ks, "pkcs1-sha256", enc->der, enc->len, &w.encryption_sig_len);
	w.signing_sig = s1;
	w.encryption_sig = s2;
	kpw_doc d;
	memset(&d, 0, sizeof d);
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

typedef struct {
	char *dir;        /* the backup folder the export script would have written */
	char *vmdir;      /* the VM's key protector, as the collect script saves it */
	tcert oldenc, oldsig, newenc, newsig;
	char *names[4];
} backup;

/* The manifest entry the export script writes for c in file name. */
static json_object *entry_json(const tcert *c, const char *name, const uint8_t *pfx, size_t len)
{
	json_object *o = json_object_new_object();
	uint8_t dig[32];
	char hex[65];
	hv_sha256(pfx, len, dig);
	hv_sha256_hex(dig, hex);
	json_object_object_add(o, "file", json_object_new_string(name));
	json_object_object_add(o, "thumbprint", json_object_new_string(c->c.thumbprint));
	json_object_object_add(o, "role", json_object_new_string(cert_role_name(c->c.role)));
	json_object_object_add(o, "subject", json_object_new_string(c->c.subject));
	json_object_object_add(o, "guardian", json_object_new_string(c->c.guardian));
	json_object_object_add(o, "host", json_object_new_string(c->c.host));
	json_object_object_add(o, "not_before", json_object_new_string(c->c.not_before_iso));
	json_object_object_add(o, "not_after", json_object_new_string(c->c.not_after_iso));
	json_object_object_add(o, "sha256", json_object_new_string(hex));
	json_object_object_add(o, "has_private_key", json_object_new_boolean(1));
	json_object_object_add(o, "in_store", json_object_new_boolean(1));
	return o;
}

/*
 * The folder as the export script writes it after a guardian was regenerated:
 * the new pair under the plain names (newest first), the old pair, same
 * subjects, under the names with the thumbprint, and the manifest.  File
 * number locked (0 to 3; -1: none) was exported with another password than
 * PASS, the manifest recording its SHA-256 as written.
 */
static void backup_make_locked(backup *b, int locked)
{
	memset(b, 0, sizeof b[0]);
	char *root = tu_mkdtemp();
	b->dir = tu_join(root, "pfx-backup");
	b->vmdir = tu_join(root, "vm");
	free(root);
	b->oldenc = make_cert(SUBJ_ENC, keys[0], day("2019-01-01"), day("2029-01-01"));
	b->oldsig = make_cert(SUBJ_SIG, keys[1], day("2019-01-01"), day("2029-01-01"));
	b->newenc = make_cert(SUBJ_ENC, keys[0], day("2025-01-01"), day("2035-01-01"));
	b->newsig = make_cert(SUBJ_SIG, keys[1], day("2025-01-01"), day("2035-01-01"));
	const tcert *order[4] = { &b->newenc, &b->newsig, &b->oldenc, &b->oldsig };
	json_object *list = json_object_new_array();
	for (int i = 0; i < 4; i++) {
		const tcert *c = order[i];
		b->names[i] = export_pfx_file_name(c->c.subject, i < 2 ? NULL : c->c.thumbprint);
		size_t len;
		uint8_t *pfx = pfx_bytes_pw(c, i == locked ? "another-password" : PASS, &len);
		char *p = tu_join(b->dir, b->names[i]);
		tu_write(p, pfx, len);
		json_object_array_add(list, entry_json(c, b->names[i], pfx, len));
		free(p);
		free(pfx);
	}
	json_object *doc = json_object_new_object();
	json_object_object_add(doc, EXPORT_MANIFEST_MARKER, json_object_new_int(1));
	json_object_object_add(doc, "generator", json_object_new_string("hvtpm 0.1.0 script export"));
	json_object_object_add(doc, "created", json_object_new_string("2026-09-01T10:00:00Z"));
	json_object_object_add(doc, "host", json_object_new_string("HV01"));
	json_object_object_add(doc, "crypto", json_object_new_string("AES256_SHA256"));
	json_object_object_add(doc, "crypto_reason", json_object_new_string(""));
	json_object_object_add(doc, "certificates", list);
	const char *text = json_object_to_json_string_ext(doc, JSON_C_TO_STRING_PRETTY);
	char *mp = tu_join(b->dir, EXPORT_MANIFEST_NAME);
	tu_write(mp, text, strlen(text));
	free(mp);
	json_object_put(doc);
	/* the VM uses the OLD pair: its keys are in the files with the thumbprint */
	size_t kl;
	uint8_t *kp = kp_blob(&b->oldenc, &b->oldsig, &kl);
	char *kpp = tu_join(b->vmdir, VM_ID ".kp");
	tu_write(kpp, kp, kl);
	free(kpp);
	free(kp);
}

static void backup_make(backup *b)
{
	backup_make_locked(b, -1);
}

static void backup_free(backup *b)
{
	cert_done(&b->oldenc);
	cert_done(&b->oldsig);
	cert_done(&b->newenc);
	cert_done(&b->newsig);
	for (int i = 0; i < 4; i++)
		free(b->names[i]);
	char *root = strdup(b->dir);
	*strrchr(root, '/') = '\0';
	tu_rmtree(root);
	free(root);
	free(b->dir);
	free(b->vmdir);
}

/* What the pipeline will do: list the folder, hash and open each file. */
typedef struct {
	export_found_file f[16];
	char *names[16];
	char *sha[16];
	char *thumb[16][4];
	size_t n;
} found_set;

static void open_found(export_found_file *ff, char *(*thumbs)[4], span_t data, const char *path,
		       const hv_passwords *pw)
{
	pfx_file pf;
	hv_findings fi = { 0 };
	hv_err rc = pfx_open(data, path, pw, &pf, &fi);
	ff->open = rc == HV_OK ? EXPORT_OPEN_OK
				: rc == HV_ERR_PASSWORD ? EXPORT_OPEN_UNKNOWN : EXPORT_OPEN_FAILED;
	for (size_t k = 0; rc == HV_OK && k < pf.ncerts && ff->nkey_thumbprints < 4; k++)
		if (pf.certs[k].has_private_key)
			(*thumbs)[ff->nkey_thumbprints++] = strdup(pf.certs[k].cert.thumbprint);
	ff->key_thumbprints = (const char *const *)*thumbs;
	pfx_free(&pf);
	findings_free(&fi);
}

static void found_scan(found_set *s, const char *dir, const hv_passwords *pw)
{
	memset(s, 0, sizeof *s);
	DIR *d = opendir(dir);
	ck_assert_ptr_nonnull(d);
	for (struct dirent *de; (de = readdir(d)) && s->n < 16;) {
		if (de->d_name[0] == '.')
			continue;
		size_t i = s->n++;
		s->names[i] = strdup(de->d_name);
		s->f[i].name = s->names[i];
		char *p = tu_join(dir, de->d_name);
		size_t len;
		uint8_t *data = tu_read(p, &len);
		uint8_t dig[32];
		s->sha[i] = malloc(65);
		hv_sha256(data, len, dig);
		hv_sha256_hex(dig, s->sha[i]);
		s->f[i].sha256 = s->sha[i];
		if (strstr(de->d_name, ".pfx"))
			open_found(&s->f[i], &s->thumb[i], span_make(data, len), p, pw);
		free(data);
		free(p);
	}
	closedir(d);
}

static void found_free(found_set *s)
{
	for (size_t i = 0; i < s->n; i++) {
		free(s->names[i]);
		free(s->sha[i]);
		for (int k = 0; k < 4; k++)
			free(s->thumb[i][k]);
	}
}

static void check_folder(const backup *b, const hv_passwords *pw, export_check_result *r,
			 export_manifest *m)
{
	char *mp = tu_join(b->dir, EXPORT_MANIFEST_NAME);
	size_t len;
	uint8_t *data = tu_read(mp, &len);
	hv_findings f = { 0 };
	ck_assert(export_manifest_sniff(span_make(data, len)));
	ck_assert_int_eq(export_manifest_read(span_make(data, len), mp, m, &f), HV_OK);
	ck_assert_uint_eq(findings_count(&f, HV_SEV_WARN), 0);
	findings_free(&f);
	free(data);
	free(mp);
	found_set s;
	found_scan(&s, b->dir, pw);
	export_manifest_check(m, s.f, s.n, r);
	found_free(&s);
}

static hv_passwords password(const char *dir)
{
	hv_passwords pw;
	passwords_init(&pw);
	char *p = tu_join(dir, "pw.txt");
	tu_write(p, PASS "\n", strlen(PASS) + 1);
	hv_findings f = { 0 };
	ck_assert_int_eq(passwords_add_file(&pw, p, &f), HV_OK);
	findings_free(&f);
	unlink(p);
	free(p);
	return pw;
}

static export_status status_of_file(const export_manifest *m, const export_check_result *r,
				    const char *name)
{
	for (size_t i = 0; i < r->n; i++)
		if (strcmp(m->entries[r->v[i].entry].file, name) == 0)
			return r->v[i].status;
	ck_abort_msg("%s not in the manifest", name);
	return EXPORT_ST_OK;
}

START_TEST(export_layout_checks_clean_then_reports_damage)
{
	backup b;
	backup_make(&b);
	hv_passwords pw = password(b.vmdir);
	export_manifest m;
	export_check_result r;
	check_folder(&b, &pw, &r, &m);
	ck_assert_uint_eq(r.n, 4);
	for (size_t i = 0; i < r.n; i++) {
		ck_assert_msg(r.v[i].status == EXPORT_ST_OK, "%s: %s", m.entries[i].file,
			      export_status_name(r.v[i].status));
		ck_assert(m.entries[i].name_follows_rule);
	}
	ck_assert_uint_eq(r.bad, 0);
	ck_assert_uint_eq(r.nunlisted, 0);
	ck_assert(strstr(b.names[2], b.oldenc.c.thumbprint));
	export_check_free(&r);
	export_manifest_free(&m);

	/* no password: unchanged files are "unchecked", not failures */
	check_folder(&b, NULL, &r, &m);
	for (size_t i = 0; i < r.n; i++)
		ck_assert_int_eq(r.v[i].status, EXPORT_ST_UNCHECKED);
	ck_assert_uint_eq(r.bad, 0);
	export_check_free(&r);
	export_manifest_free(&m);

	/* remove one, alter another, add a stray PFX */
	char *gone = tu_join(b.dir, b.names[1]);
	ck_assert_int_eq(unlink(gone), 0);
	char *altered = tu_join(b.dir, b.names[2]);
	size_t len;
	uint8_t *data = tu_read(altered, &len);
	data[len / 2] ^= 0x01;
	tu_write(altered, data, len);
	char *stray = tu_join(b.dir, "Shielded_VM_Encryption_Certificate_(UntrustedGuardian)_(HV02).pfx");
	tu_write(stray, data, len);
	free(data);
	check_folder(&b, &pw, &r, &m);
	ck_assert_int_eq(status_of_file(&m, &r, b.names[0]), EXPORT_ST_OK);
	ck_assert_int_eq(status_of_file(&m, &r, b.names[1]), EXPORT_ST_MISSING);
	ck_assert_int_eq(status_of_file(&m, &r, b.names[2]), EXPORT_ST_CHANGED);
	ck_assert_int_eq(status_of_file(&m, &r, b.names[3]), EXPORT_ST_OK);
	ck_assert_uint_eq(r.bad, 2);
	ck_assert_uint_eq(r.nunlisted, 1);
	export_check_free(&r);
	export_manifest_free(&m);
	free(gone);
	free(altered);
	free(stray);
	passwords_free(&pw);
	backup_free(&b);
}
END_TEST

static json_object *diagnose(const backup *b, bool with_password, int *status)
{
	char *pwf = tu_join(b->vmdir, "pw.txt");
	tu_write(pwf, PASS "\n", strlen(PASS) + 1);
	char *argv[] = { (char *)tu_bin(), "diagnose", "--format", "json", "--at", "2026-09-01",
			 with_password ? "--password-file" : b->dir, with_password ? pwf : b->vmdir,
			 with_password ? b->dir : NULL, with_password ? b->vmdir : NULL, NULL };
	tu_run_result r = tu_run(argv, NULL, NULL);
	unlink(pwf);
	free(pwf);
	*status = r.status;
	json_object *j = json_tokener_parse(r.out);
	ck_assert_msg(j != NULL, "diagnose printed no JSON (exit %d): %s", r.status, r.err);
	tu_run_free(&r);
	return j;
}

static json_object *the_vm(json_object *doc)
{
	json_object *vms = NULL;
	ck_assert(json_object_object_get_ex(doc, "vms", &vms));
	ck_assert_uint_eq(json_object_array_length(vms), 1);
	return json_object_array_get_idx(vms, 0);
}

START_TEST(diagnose_recognises_the_export_names)
{
	backup b;
	backup_make(&b);
	int status;
	json_object *doc = diagnose(&b, true, &status);
	json_object *vm = the_vm(doc), *v = NULL;
	ck_assert(json_object_object_get_ex(vm, "verdict", &v));
	ck_assert_str_eq(json_object_get_string(v), "restorable");
	ck_assert_int_eq(status, 0);
	/* the keys came from the files named with the thumbprint */
	const char *text = json_object_to_json_string(vm);
	ck_assert_ptr_nonnull(strstr(text, b.oldenc.c.thumbprint));
	char needle[512];
	snprintf(needle, sizeof needle, "%s", b.names[2]);
	ck_assert_msg(strstr(text, needle), "%s not named in the verdict", needle);
	json_object_put(doc);

	/* locked: a file named for another host is not relevant; ours are (by name) */
	char *other = tu_join(b.dir, "Shielded_VM_Signing_Certificate_(UntrustedGuardian)_(OTHERHOST).pfx");
	char *src = tu_join(b.dir, b.names[0]);
	size_t len;
	uint8_t *data = tu_read(src, &len);
	tu_write(other, data, len);
	free(data);
	doc = diagnose(&b, false, &status);
	vm = the_vm(doc);
	ck_assert(json_object_object_get_ex(vm, "verdict", &v));
	ck_assert_str_eq(json_object_get_string(v), "needs_password");
	json_object *plan = NULL;
	ck_assert(json_object_object_get_ex(vm, "plan", &plan));
	const char *ptext = json_object_to_json_string(plan);
	for (int i = 0; i < 4; i++) {
		/* json-c escapes '/': compare the file name only */
		ck_assert_msg(strstr(ptext, b.names[i]), "%s not among the locked files", b.names[i]);
	}
	ck_assert_msg(!strstr(ptext, "OTHERHOST"), "a file of another host was counted");
	json_object_put(doc);
	free(other);
	free(src);
	backup_free(&b);
}
END_TEST

/* ---- hvtpm audit reads the manifest -------------------------------------------------- */

/* hvtpm audit -q --at 2026-09-01 --format format [--password-file (PASS)] paths... */
static tu_run_result audit_cli(const backup *b, const char *format, bool with_password,
			       char *const *paths)
{
	char *root = strdup(b->dir);
	*strrchr(root, '/') = '\0';
	char *pwf = tu_join(root, "pw.txt"); /* outside the evidence */
	tu_write(pwf, PASS "\n", strlen(PASS) + 1);
	char *argv[16];
	size_t n = 0;
	argv[n++] = (char *)tu_bin();
	argv[n++] = "audit";
	argv[n++] = "-q";
	argv[n++] = "--at";
	argv[n++] = "2026-09-01";
	argv[n++] = "--format";
	argv[n++] = (char *)format;
	if (with_password) {
		argv[n++] = "--password-file";
		argv[n++] = pwf;
	}
	for (size_t i = 0; paths[i] && n + 1 < sizeof argv / sizeof *argv; i++)
		argv[n++] = paths[i];
	argv[n] = NULL;
	tu_run_result r = tu_run(argv, NULL, NULL);
	unlink(pwf);
	free(pwf);
	free(root);
	return r;
}

static json_object *audit_json(const backup *b, bool with_password, char *const *paths,
			       int *status)
{
	tu_run_result r = audit_cli(b, "json", with_password, paths);
	*status = r.status;
	json_object *j = json_tokener_parse(r.out);
	ck_assert_msg(j != NULL, "audit printed no JSON (exit %d): %s", r.status, r.err);
	tu_run_free(&r);
	return j;
}

static json_object *member(json_object *o, const char *key)
{
	json_object *v = NULL;
	ck_assert_msg(json_object_object_get_ex(o, key, &v), "no \"%s\"", key);
	return v;
}

static const char *mstr(json_object *o, const char *key)
{
	return json_object_get_string(member(o, key));
}

/* The only manifest of an audit document (none when n is 0). */
static json_object *the_manifest(json_object *doc, size_t n)
{
	json_object *ms = member(doc, "manifests");
	ck_assert_uint_eq(json_object_array_length(ms), n);
	return n ? json_object_array_get_idx(ms, 0) : NULL;
}

/* The entry of manifest m for file name. */
static json_object *entry_for(json_object *m, const char *name)
{
	json_object *cs = member(m, "certificates");
	for (size_t i = 0; i < json_object_array_length(cs); i++) {
		json_object *c = json_object_array_get_idx(cs, i);
		if (strcmp(mstr(c, "file"), name) == 0)
			return c;
	}
	ck_abort_msg("%s not in the manifest", name);
	return NULL;
}

static const char *status_in(json_object *m, const char *name)
{
	return mstr(entry_for(m, name), "status");
}

static const char *the_verdict(json_object *doc)
{
	return mstr(the_vm(doc), "verdict");
}

START_TEST(audit_checks_the_export_manifest)
{
	backup b;
	backup_make(&b);
	char *paths[] = { b.dir, b.vmdir, NULL };
	int status;

	/* as exported: every entry ok, nothing to report, exit 0 */
	json_object *doc = audit_json(&b, true, paths, &status);
	ck_assert_int_eq(status, 0);
	ck_assert_str_eq(the_verdict(doc), "restorable");
	json_object *m = the_manifest(doc, 1);
	ck_assert_int_eq(json_object_get_int(member(m, "problems")), 0);
	ck_assert_str_eq(mstr(m, "host"), "HV01");
	for (int i = 0; i < 4; i++) {
		json_object *c = entry_for(m, b.names[i]);
		ck_assert_str_eq(mstr(c, "status"), "ok");
		ck_assert_str_eq(mstr(c, "sha256"), mstr(c, "found_sha256"));
	}
	ck_assert_uint_eq(json_object_array_length(member(m, "unlisted")), 0);
	json_object_put(doc);
	tu_run_result r = audit_cli(&b, "text", true, paths);
	ck_assert_int_eq(r.status, 0);
	ck_assert_msg(strstr(r.out, "Export manifests (1): 4 certificates listed, 0 with problems."),
		      "%s", r.out);
	ck_assert(!strstr(r.out, "missing:") && !strstr(r.out, "changed:"));
	tu_run_free(&r);

	/* no password: unchanged files are unchecked, which is no problem of the export */
	doc = audit_json(&b, false, paths, &status);
	ck_assert_str_eq(the_verdict(doc), "needs_password");
	m = the_manifest(doc, 1);
	ck_assert_int_eq(json_object_get_int(member(m, "problems")), 0);
	for (int i = 0; i < 4; i++)
		ck_assert_str_eq(status_in(m, b.names[i]), "unchecked");
	json_object_put(doc);

	/* the new pair (the VM needs the old one): one file gone, one with a byte more,
	 * and a PFX the manifest does not list */
	char *gone = tu_join(b.dir, b.names[1]);
	ck_assert_int_eq(unlink(gone), 0);
	char *altered = tu_join(b.dir, b.names[0]);
	size_t len;
	uint8_t *data = tu_read(altered, &len);
	uint8_t *more = malloc(len + 1);
	memcpy(more, data, len);
	more[len] = 0;
	tu_write(altered, more, len + 1);
	char *stray = tu_join(b.dir, "Shielded_VM_Signing_Certificate_(UntrustedGuardian)_(HV02).pfx");
	tu_write(stray, data, len);
	free(data);
	free(more);
	doc = audit_json(&b, true, paths, &status);
	ck_assert_str_eq(the_verdict(doc), "restorable");
	ck_assert_int_eq(status, 1); /* from the manifest alone */
	ck_assert_int_eq(json_object_get_int(member(member(doc, "summary"), "exit_code")), 1);
	m = the_manifest(doc, 1);
	ck_assert_int_eq(json_object_get_int(member(m, "problems")), 2);
	ck_assert_str_eq(status_in(m, b.names[0]), "changed");
	ck_assert_str_eq(status_in(m, b.names[1]), "missing");
	ck_assert_str_eq(status_in(m, b.names[2]), "ok");
	ck_assert_str_eq(status_in(m, b.names[3]), "ok");
	json_object *miss = entry_for(m, b.names[1]);
	ck_assert(json_object_get_type(member(miss, "found_sha256")) == json_type_null);
	ck_assert_str_eq(mstr(miss, "path"), gone);
	json_object *un = member(m, "unlisted");
	ck_assert_uint_eq(json_object_array_length(un), 1);
	ck_assert_str_eq(mstr(json_object_array_get_idx(un, 0), "path"), stray);
	json_object_put(doc);

	r = audit_cli(&b, "text", true, paths);
	ck_assert_int_eq(r.status, 1);
	ck_assert_msg(strstr(r.out, "Export manifests (1): 4 certificates listed, 2 with problems:"),
		      "%s", r.out);
	char line[1024];
	snprintf(line, sizeof line, "\n  missing: %s (signing certificate of HV01)", gone);
	ck_assert_msg(strstr(r.out, line), "no line for the missing file: %s", r.out);
	snprintf(line, sizeof line, "\n  changed: %s (encryption certificate of HV01)", altered);
	ck_assert_msg(strstr(r.out, line), "no line for the altered file: %s", r.out);
	ck_assert(strstr(r.out, "2 exported certificates are missing, changed or not opening"));
	tu_run_free(&r);

	r = audit_cli(&b, "jsonl", true, paths);
	ck_assert_int_eq(r.status, 1);
	ck_assert(strstr(r.out, "{\"type\":\"manifest\","));
	tu_run_free(&r);

	r = audit_cli(&b, "html", true, paths);
	ck_assert_int_eq(r.status, 1);
	ck_assert(strstr(r.out, "<section id=\"manifests\""));
	ck_assert(strstr(r.out, "<tr data-status=\"missing\">"));
	ck_assert(strstr(r.out, "<tr data-status=\"changed\">"));
	ck_assert(strstr(r.out, "<li id=\"fact-manifests\">2 exported certificates"));
	tu_run_free(&r);

	/* filtered to no VM: the export is no VM's, still reported and still counted */
	char *filtered[] = { "--verdict", "rebuild", b.dir, b.vmdir, NULL };
	doc = audit_json(&b, true, filtered, &status);
	ck_assert_uint_eq(json_object_array_length(member(doc, "vms")), 0);
	ck_assert_int_eq(json_object_get_int(member(the_manifest(doc, 1), "problems")), 2);
	ck_assert_int_eq(status, 1);
	json_object_put(doc);

	free(gone);
	free(altered);
	free(stray);
	backup_free(&b);
}
END_TEST

START_TEST(audit_tells_a_pfx_that_no_longer_opens)
{
	backup b;
	backup_make_locked(&b, 0); /* unchanged since the export, but not with PASS */
	char *paths[] = { b.dir, b.vmdir, NULL };
	int status;
	json_object *doc = audit_json(&b, true, paths, &status);
	ck_assert_str_eq(the_verdict(doc), "restorable");
	ck_assert_int_eq(status, 1);
	json_object *m = the_manifest(doc, 1);
	ck_assert_int_eq(json_object_get_int(member(m, "problems")), 1);
	json_object *c = entry_for(m, b.names[0]);
	ck_assert_str_eq(mstr(c, "status"), "does_not_open");
	ck_assert_str_eq(mstr(c, "sha256"), mstr(c, "found_sha256"));
	for (int i = 1; i < 4; i++)
		ck_assert_str_eq(status_in(m, b.names[i]), "ok");
	json_object_put(doc);
	tu_run_result r = audit_cli(&b, "text", true, paths);
	char *p = tu_join(b.dir, b.names[0]);
	char line[1024];
	snprintf(line, sizeof line, "\n  does_not_open: %s (encryption certificate of HV01)", p);
	ck_assert_msg(strstr(r.out, line), "%s", r.out);
	free(p);
	tu_run_free(&r);
	backup_free(&b);
}
END_TEST

/* merge of the facts of the backup folder and of the VM prints what one audit prints. */
START_TEST(merge_checks_the_manifest_as_audit_does)
{
	backup b;
	backup_make_locked(&b, 0); /* one export no longer opens: a problem to carry over */
	char *root = strdup(b.dir);
	*strrchr(root, '/') = '\0';
	char *pwf = tu_join(root, "pw.txt");
	tu_write(pwf, PASS "\n", strlen(PASS) + 1);
	char *fa = tu_join(root, "certs.facts"), *fb = tu_join(root, "vm.facts");
	const char *const shard[2] = { b.dir, b.vmdir };
	char *const facts[2] = { fa, fb };
	for (int i = 0; i < 2; i++) {
		char *argv[] = { (char *)tu_bin(), "audit", "-q", "--at", "2026-09-01",
				 "--password-file", pwf, "--facts-out", facts[i], (char *)shard[i], NULL };
		tu_run_result r = tu_run(argv, NULL, NULL);
		ck_assert_msg(r.status <= 2, "%s", r.err);
		tu_run_free(&r);
	}
	static const char *const formats[] = { "json", "text", "jsonl", "html" };
	for (size_t f = 0; f < sizeof formats / sizeof *formats; f++) {
		char *paths[] = { b.dir, b.vmdir, NULL };
		tu_run_result u = audit_cli(&b, formats[f], true, paths);
		char *argv[] = { (char *)tu_bin(), "merge", "-q", "--at", "2026-09-01", "--format",
				 (char *)formats[f], fa, fb, NULL };
		tu_run_result m = tu_run(argv, NULL, NULL);
		ck_assert_int_eq(u.status, 1);
		ck_assert_int_eq(m.status, u.status);
		ck_assert_msg(strstr(u.out, "does_not_open"), "%s", u.out);
		ck_assert_msg(u.outlen == m.outlen && memcmp(u.out, m.out, u.outlen) == 0,
			      "%s: merge differs from audit:\n%s\n----\n%s", formats[f], u.out, m.out);
		tu_run_free(&u);
		tu_run_free(&m);
	}
	unlink(fa);
	unlink(fb);
	unlink(pwf);
	free(fa);
	free(fb);
	free(pwf);
	free(root);
	backup_free(&b);
}
END_TEST

/* A zip of the backup folder's files (those with keep[i] set, and the manifest),
 * members named prefix + file name. */
static char *zip_backup(const backup *b, const char *zipname, const char *prefix,
			const bool keep[4])
{
	char *root = strdup(b->dir);
	*strrchr(root, '/') = '\0';
	char *zip = tu_join(root, zipname);
	free(root);
	struct archive *a = archive_write_new();
	archive_write_set_format_zip(a);
	ck_assert_int_eq(archive_write_open_filename(a, zip), ARCHIVE_OK);
	for (int i = 0; i <= 4; i++) {
		if (i < 4 && !keep[i])
			continue;
		const char *name = i < 4 ? b->names[i] : EXPORT_MANIFEST_NAME;
		char *p = tu_join(b->dir, name);
		size_t len;
		uint8_t *data = tu_read(p, &len);
		strbuf mn = STRBUF_INIT;
		sb_addf(&mn, "%s%s", prefix, name);
		struct archive_entry *e = archive_entry_new();
		archive_entry_set_pathname(e, sb_str(&mn));
		archive_entry_set_filetype(e, AE_IFREG);
		archive_entry_set_perm(e, 0644);
		archive_entry_set_size(e, (la_int64_t)len);
		ck_assert_int_eq(archive_write_header(a, e), ARCHIVE_OK);
		ck_assert_int_eq(archive_write_data(a, data, len), (la_ssize_t)len);
		archive_entry_free(e);
		sb_free(&mn);
		free(data);
		free(p);
	}
	ck_assert_int_eq(archive_write_close(a), ARCHIVE_OK);
	archive_write_free(a);
	return zip;
}

START_TEST(audit_checks_manifests_inside_archives)
{
	backup b;
	backup_make(&b);
	const bool all[4] = { true, true, true, true };
	const bool no_new_sig[4] = { true, false, true, true };
	char *top = zip_backup(&b, "top.zip", "", all);
	char *sub = zip_backup(&b, "sub.zip", "certs/pfx-backup/", no_new_sig);
	int status;
	char *paths[] = { top, b.vmdir, NULL };
	json_object *doc = audit_json(&b, true, paths, &status);
	ck_assert_int_eq(status, 0);
	json_object *m = the_manifest(doc, 1);
	strbuf want = STRBUF_INIT;
	sb_addf(&want, "%s!%s", top, EXPORT_MANIFEST_NAME);
	ck_assert_str_eq(mstr(m, "path"), sb_str(&want));
	for (int i = 0; i < 4; i++)
		ck_assert_str_eq(status_in(m, b.names[i]), "ok");
	sb_reset(&want);
	sb_addf(&want, "%s!%s", top, b.names[2]);
	ck_assert_str_eq(mstr(entry_for(m, b.names[2]), "path"), sb_str(&want));
	json_object_put(doc);

	char *paths2[] = { sub, b.vmdir, NULL };
	doc = audit_json(&b, true, paths2, &status);
	ck_assert_int_eq(status, 1);
	m = the_manifest(doc, 1);
	ck_assert_str_eq(status_in(m, b.names[1]), "missing");
	sb_reset(&want);
	sb_addf(&want, "%s!certs/pfx-backup/%s", sub, b.names[1]);
	ck_assert_str_eq(mstr(entry_for(m, b.names[1]), "path"), sb_str(&want));
	for (int i = 0; i < 4; i++)
		if (i != 1)
			ck_assert_str_eq(status_in(m, b.names[i]), "ok");
	json_object_put(doc);
	sb_free(&want);
	unlink(top);
	unlink(sub);
	free(top);
	free(sub);
	backup_free(&b);
}
END_TEST

/* The evidence entry of path in an audit document. */
static json_object *evidence_entry(json_object *doc, const char *path)
{
	json_object *ev = member(doc, "evidence");
	for (size_t i = 0; i < json_object_array_length(ev); i++) {
		json_object *f = json_object_array_get_idx(ev, i);
		if (strcmp(mstr(f, "path"), path) == 0)
			return f;
	}
	ck_abort_msg("%s not in the evidence", path);
	return NULL;
}

START_TEST(audit_damaged_manifest_is_an_input_error)
{
	backup b;
	backup_make(&b);
	char *mp = tu_join(b.dir, EXPORT_MANIFEST_NAME);
	char *paths[] = { b.dir, b.vmdir, NULL };
	int status;

	/* read and used: inspect names the row */
	tu_run_result r = tu_hvtpm("inspect", mp, NULL);
	ck_assert_int_eq(r.status, 0);
	ck_assert_msg(strstr(r.out, "(export_manifest)"), "%s", r.out);
	tu_run_free(&r);
	json_object *doc = audit_json(&b, true, paths, &status);
	json_object *f = evidence_entry(doc, mp);
	ck_assert_str_eq(mstr(f, "kind"), "export_manifest");
	ck_assert_str_eq(mstr(f, "format"), "export_manifest");
	ck_assert_str_eq(mstr(f, "class"), "used");
	json_object_put(doc);

	/* cut in half */
	size_t len;
	uint8_t *data = tu_read(mp, &len);
	tu_write(mp, data, len / 2);
	free(data);
	doc = audit_json(&b, true, paths, &status);
	ck_assert_int_eq(status, 4);
	ck_assert_str_eq(the_verdict(doc), "restorable");
	the_manifest(doc, 0);
	f = evidence_entry(doc, mp);
	ck_assert_str_eq(mstr(f, "kind"), "export_manifest");
	ck_assert_str_eq(mstr(f, "class"), "damaged");
	ck_assert_str_eq(mstr(f, "status"), "corrupt");
	json_object_put(doc);

	/* a field that lies: damaged too */
	char *text = manifest_text("\"hvtpm_export_manifest\": 1",
				   "[{\"file\": \"x.pfx\", \"thumbprint\": \"nothex\"}]");
	tu_write(mp, text, strlen(text));
	free(text);
	doc = audit_json(&b, true, paths, &status);
	ck_assert_int_eq(status, 4);
	ck_assert_str_eq(mstr(evidence_entry(doc, mp), "class"), "damaged");
	json_object_put(doc);

	/* emptied: its name still says what it was */
	tu_write(mp, "", 0);
	doc = audit_json(&b, true, paths, &status);
	ck_assert_int_eq(status, 4);
	f = evidence_entry(doc, mp);
	ck_assert_str_eq(mstr(f, "class"), "damaged");
	ck_assert_str_eq(mstr(f, "kind"), "export_manifest");
	json_object_put(doc);
	free(mp);
	backup_free(&b);
}
END_TEST

int main(void)
{
	for (int i = 0; i < 2; i++) {
		keys[i] = EVP_RSA_gen(2048);
		if (!keys[i])
			return 2;
	}
	Suite *s = suite_create("scripts");
	TCase *tc = tcase_create("core");
	tcase_set_timeout(tc, 180);
	tcase_add_test(tc, manifest_reads_every_field);
	tcase_add_test(tc, manifest_reads_the_forms_windows_writes);
	tcase_add_test(tc, manifest_error_classes);
	tcase_add_test(tc, manifest_fields_are_validated);
	tcase_add_test(tc, manifest_caps);
	tcase_add_test(tc, pfx_file_name_rule);
	tcase_add_test(tc, check_reports_each_status);
	tcase_add_test(tc, scripts_parse_and_keep_hostile_text_in_literals);
	tcase_add_test(tc, values_reach_the_script_only_as_literals);
	tcase_add_test(tc, scripts_have_the_header_and_no_password);
	tcase_add_test(tc, scripts_use_only_allowed_cmdlets);
	tcase_add_test(tc, cli_writes_the_same_script_and_never_overwrites);
	tcase_add_test(tc, cli_usage_errors);
	tcase_add_test(tc, export_layout_checks_clean_then_reports_damage);
	tcase_add_test(tc, diagnose_recognises_the_export_names);
	tcase_add_test(tc, audit_checks_the_export_manifest);
	tcase_add_test(tc, audit_tells_a_pfx_that_no_longer_opens);
	tcase_add_test(tc, merge_checks_the_manifest_as_audit_does);
	tcase_add_test(tc, audit_checks_manifests_inside_archives);
	tcase_add_test(tc, audit_damaged_manifest_is_an_input_error);
	suite_add_tcase(s, tc);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	for (int i = 0; i < 2; i++)
		EVP_PKEY_free(keys[i]);
	return failed ? 1 : 0;
}
