/*
 * test_pfx.c - PFX/PKCS#12 reader, certificate files, password candidates
 * and the PFX reports.
 *
 * Fixtures are made at run time with the openssl command line (and, for
 * what it cannot make, the OpenSSL API in support/pfx_fixtures.c) in a
 * temporary directory: throwaway RSA-2048 keys with the Shielded VM subject
 * pattern, 10-year validity.  No private key is committed.
 */
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <json-c/json.h>

#include "formats/certfile.h"
#include "formats/pfx.h"
#include "model/collect.h"
#include "model/pipeline.h"
#include "report/audit_report.h"
#include "report/diagnose_report.h"
#include "report/inspect_report.h"
#include "util/passwords.h"
#include "report/pfx_report.h"
#include "support/pfx_fixtures.h"
#include "support/testutil.h"
#include "util/diag.h"
#include "util/ossl.h"
#include "util/strbuf.h"

#define CANARY "Xq7-Zebra-Canary-91!"
#define OTHER_PASS "other-pass-7"
#define DEFAULT_PASS "P@ssword"
#define ENC_CN "Shielded VM Encryption Certificate (UntrustedGuardian) (HOST01)"
#define SIG_CN "Shielded VM Signing Certificate (UntrustedGuardian) (HOST01)"
#define RC2_40 "pbeWithSHA1And40BitRC2-CBC"
#define TDES "pbeWithSHA1And3-KeyTripleDES-CBC"
#define AES_PBES2 "PBES2 (PBKDF2-HMAC-SHA256, AES-256-CBC)"
#define MS_CSP "Microsoft Enhanced RSA and AES Cryptographic Provider"
#define REPORT_AT 1798675200   /* 2027-01-01T00:00:00Z */

static char *fx;             /* fixture directory, NULL when openssl is missing */
static bool fx_ok;

/* ---- fixture creation (once, in the parent process) ---- */

static int sh_in(const char *cmd)
{
	return tu_sh("cd '%s' && { %s ; } >/dev/null 2>&1", fx, cmd);
}

static bool make_keys(void)
{
	return sh_in("openssl req -x509 -newkey rsa:2048 -nodes -keyout enc.key -out enc.crt "
		     "-days 3650 -subj '/CN=" ENC_CN "'") == 0 &&
	       sh_in("openssl req -x509 -newkey rsa:2048 -nodes -keyout sig.key -out sig.crt "
		     "-days 3650 -subj '/CN=" SIG_CN "'") == 0;
}

static bool make_pfx_cli(void)
{
	return sh_in("openssl pkcs12 -export -legacy -in enc.crt -inkey enc.key -iter 2048 "
		     "-passout 'pass:" CANARY "' -out legacy.pfx") == 0 &&
	       sh_in("openssl pkcs12 -export -in enc.crt -inkey enc.key -certpbe AES-256-CBC "
		     "-keypbe AES-256-CBC -macalg sha256 -iter 2048 "
		     "-passout 'pass:" CANARY "' -out aes.pfx") == 0 &&
	       sh_in("openssl pkcs12 -export -in enc.crt -inkey enc.key -certpbe AES-256-CBC "
		     "-keypbe AES-256-CBC -macalg sha256 -iter 20000 "
		     "-passout 'pass:" OTHER_PASS "' -out strong.pfx") == 0 &&
	       /* The reported costly file: a 1-iteration MAC over 1,000,000-iteration PBES2. */
	       sh_in("openssl pkcs12 -export -in enc.crt -inkey enc.key -certpbe AES-256-CBC "
		     "-keypbe AES-256-CBC -macalg sha256 -iter 1000000 -nomaciter "
		     "-passout 'pass:" OTHER_PASS "' -out slow.pfx") == 0 &&
	       sh_in("openssl pkcs12 -export -in enc.crt -inkey enc.key -iter 2048 -nomac "
		     "-passout 'pass:" OTHER_PASS "' -out nomac.pfx") == 0 &&
	       sh_in("openssl pkcs12 -export -in enc.crt -inkey enc.key -passout pass: "
		     "-out empty.pfx") == 0 &&
	       sh_in("openssl pkcs12 -export -in enc.crt -nokeys -passout 'pass:" OTHER_PASS
		     "' -out nokey.pfx") == 0 &&
	       sh_in("openssl pkcs12 -export -in enc.crt -inkey enc.key -certfile sig.crt "
		     "-passout 'pass:" OTHER_PASS "' -out chain.pfx") == 0 &&
	       sh_in("openssl pkcs12 -export -in enc.crt -inkey enc.key -name 'Encryption "
		     "cert' -CSP '" MS_CSP "' -passout 'pass:" DEFAULT_PASS "' -out csp.pfx") == 0;
}

static bool make_damaged(void)
{
	/* MacData ends with salt (04 08 + 8 bytes) and iterations (02 02 08 00). */
	return sh_in("cp aes.pfx badmac.pfx && cp aes.pfx trunc.pfx && cp aes.pfx "
		     "badcipher.pfx && cp aes.pfx badmacalg.pfx") == 0 &&
	       tu_sh("cd '%s' && len=$(wc -c < aes.pfx) && head -c $((len / 2)) aes.pfx "
		     "> trunc.pfx", fx) == 0 &&
	       tu_sh("cd '%s' && printf 'certificate backup notes\\n' > notes.txt", fx) == 0;
}

static bool flip_mac_byte(void)
{
	char *p = tu_join(fx, "badmac.pfx");
	size_t len;
	uint8_t *b = tu_read(p, &len);
	bool ok = b != NULL && len > 20 && b[len - 14] == 0x04 && b[len - 13] == 0x08;

	if (ok) {
		b[len - 15] ^= 0x01;   /* last byte of the MAC value */
		tu_write(p, b, len);
	}
	free(b);
	free(p);
	return ok;
}

static bool patch_algorithms(void)
{
	/* AES-256-CBC OID TLV: the first occurrence is the encrypted certificate safe. */
	static const uint8_t aes256[] = { 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03,
					  0x04, 0x01, 0x2A };
	static const uint8_t sha256[] = { 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03,
					  0x04, 0x02, 0x01 };
	char *bc = tu_join(fx, "badcipher.pfx"), *bm = tu_join(fx, "badmacalg.pfx");
	char *hi = tu_join(fx, "costly.pfx");
	bool ok = pfxfx_patch(bc, aes256, sizeof(aes256), 10, 0x7F, false) &&
		  pfxfx_remac(bc, CANARY) &&
		  pfxfx_patch(bm, sha256, sizeof(sha256), 10, 0x7F, true);

	ok = ok && tu_sh("cp '%s/aes.pfx' '%s'", fx, hi) == 0 &&
	     pfxfx_set_mac_iter(hi, 50L * 1000 * 1000);
	free(hi);
	free(bc);
	free(bm);
	return ok;
}

static bool make_api_fixtures(void)
{
	char *ec = tu_join(fx, "enc.crt"), *ek = tu_join(fx, "enc.key");
	char *sk = tu_join(fx, "sig.key");
	char *np = tu_join(fx, "null.pfx"), *mm = tu_join(fx, "mismatch.pfx");
	char *dp = tu_join(fx, "dpapi.pfx"), *ev = tu_join(fx, "enveloped.pfx");
	bool ok = pfxfx_null_password(ec, ek, np) && pfxfx_mismatch(ec, sk, OTHER_PASS, mm) &&
		  pfxfx_dpapi_ng(ec, ek, dp) && pfxfx_enveloped(ec, ek, ev);

	free(ev);
	free(ec);
	free(ek);
	free(sk);
	free(np);
	free(mm);
	free(dp);
	return ok;
}

static bool make_cert_files(void)
{
	return sh_in("openssl x509 -in enc.crt -outform DER -out enc.cer") == 0 &&
	       sh_in("cat enc.crt sig.crt > both.pem") == 0 &&
	       sh_in("openssl crl2pkcs7 -nocrl -certfile both.pem -outform DER -out both.p7b")
		       == 0 &&
	       sh_in("openssl crl2pkcs7 -nocrl -certfile both.pem -out both_pem.p7b") == 0 &&
	       sh_in("cat enc.crt enc.key > withkey.pem") == 0 &&
	       sh_in("cat sig.crt enc.key > wrongkey.pem") == 0 &&
	       sh_in("openssl pkey -in enc.key -aes256 -passout pass:x -out enc_key.enc") == 0 &&
	       sh_in("cat enc.crt enc_key.enc > withenc.pem") == 0;
}

static void fixtures_setup(void)
{
	if (!tu_have("openssl"))
		return;
	fx = tu_mkdtemp();
	fx_ok = make_keys() && make_pfx_cli() && make_damaged() && flip_mac_byte() &&
		patch_algorithms() && make_api_fixtures() && make_cert_files();
}

static void fixtures_teardown(void)
{
	if (fx != NULL)
		tu_rmtree(fx);
	free(fx);
	fx = NULL;
}

#define NEED_FIXTURES()                                                         \
	do {                                                                    \
		if (fx == NULL)                                                 \
			TEST_SKIP("openssl command line not available");        \
		ck_assert_msg(fx_ok, "fixture creation failed in %s", fx);      \
	} while (0)

/* ---- helpers ---- */

typedef struct {
	uint8_t *data;
	size_t len;
	pfx_file pfx;
	hv_findings f;
} opened;

static void pw_add(hv_passwords *pw, const char *s, unsigned line)
{
	ck_assert_int_eq(passwords_add(pw, s, strlen(s), PW_SRC_FILE, line, NULL), HV_OK);
}

static hv_err open_fx(const char *name, const hv_passwords *pw, opened *o)
{
	char *p = tu_join(fx, name);

	memset(o, 0, sizeof(*o));
	o->data = tu_read(p, &o->len);
	ck_assert_msg(o->data != NULL, "missing fixture %s", p);
	free(p);
	return pfx_open(span_make(o->data, o->len), name, pw, &o->pfx, &o->f);
}

static void close_fx(opened *o)
{
	pfx_free(&o->pfx);
	findings_free(&o->f);
	free(o->data);
}

static bool has_finding(const hv_findings *f, hv_sev sev, const char *needle)
{
	for (size_t i = 0; i < f->n; i++) {
		if (f->v[i].sev == sev && strstr(f->v[i].msg, needle) != NULL)
			return true;
	}
	return false;
}

static const pfx_bag *bag_of(const pfx_file *p, pfx_bag_type t)
{
	for (size_t i = 0; i < p->nbags; i++) {
		if (p->bags[i].type == t)
			return &p->bags[i];
	}
	ck_abort_msg("no bag of type %s", pfx_bag_type_name(t));
	return NULL;
}

static char *text_report(const pfx_file *p, const char *name)
{
	char *buf = NULL;
	size_t n = 0;
	FILE *m = open_memstream(&buf, &n);

	ck_assert_ptr_nonnull(m);
	pfx_report_text(m, name, p, REPORT_AT);
	fclose(m);
	return buf;
}

static char *json_report(const pfx_file *p, const char *name)
{
	json_object *j = pfx_report_json(name, p, REPORT_AT);
	char *s = strdup(json_object_to_json_string_ext(j, JSON_C_TO_STRING_PLAIN));

	json_object_put(j);
	return s;
}

/* ---- opening and per-bag facts ---- */

START_TEST(legacy_rc2_3des_opens_with_password)
{
	hv_passwords pw;
	opened o;

	NEED_FIXTURES();
	passwords_init(&pw);
	pw_add(&pw, "wrong-one", 1);
	pw_add(&pw, CANARY, 2);
	ck_assert_int_eq(open_fx("legacy.pfx", &pw, &o), HV_OK);
	ck_assert_int_eq(o.pfx.opened_by, 1);
	ck_assert_str_eq(o.pfx.opened_by_label, "password-file line 2");
	ck_assert(o.pfx.mac.present && o.pfx.mac.verified);
	ck_assert_str_eq(o.pfx.mac.digest, "SHA1");
	ck_assert_int_eq(o.pfx.mac.iterations, 2048);
	ck_assert(o.pfx.mac.weak);
	ck_assert_str_eq(bag_of(&o.pfx, PFX_BAG_CERT)->pbe.alg, RC2_40);
	ck_assert_int_eq(bag_of(&o.pfx, PFX_BAG_CERT)->pbe.iterations, 2048);
	ck_assert_str_eq(bag_of(&o.pfx, PFX_BAG_SHROUDED_KEY)->pbe.alg, TDES);
	ck_assert(bag_of(&o.pfx, PFX_BAG_SHROUDED_KEY)->pbe.weak);
	ck_assert_uint_eq(o.pfx.ncerts, 1);
	ck_assert_str_eq(o.pfx.certs[0].cert.subject, "CN=" ENC_CN);
	ck_assert(o.pfx.certs[0].has_private_key);
	ck_assert_uint_eq(o.pfx.nkeys, 1);
	ck_assert_str_eq(o.pfx.keys[0].alg, "RSA");
	ck_assert_int_eq(o.pfx.keys[0].bits, 2048);
	ck_assert_int_eq(o.pfx.keys[0].matched_cert, 0);
	ck_assert(has_finding(&o.f, HV_SEV_WARN, "40-bit RC2"));
	ck_assert(has_finding(&o.f, HV_SEV_WARN, "MAC uses SHA1"));
	close_fx(&o);
	passwords_free(&pw);
}
END_TEST

START_TEST(pbes2_aes_iterations_and_weak_threshold)
{
	hv_passwords pw;
	opened o;

	NEED_FIXTURES();
	passwords_init(&pw);
	pw_add(&pw, OTHER_PASS, 1);
	ck_assert_int_eq(open_fx("strong.pfx", &pw, &o), HV_OK);
	ck_assert_str_eq(o.pfx.mac.digest, "SHA256");
	ck_assert_str_eq(bag_of(&o.pfx, PFX_BAG_CERT)->pbe.alg, AES_PBES2);
	ck_assert_int_eq(bag_of(&o.pfx, PFX_BAG_CERT)->pbe.iterations, 20000);
	ck_assert(!bag_of(&o.pfx, PFX_BAG_CERT)->pbe.weak);
	ck_assert_int_eq(bag_of(&o.pfx, PFX_BAG_SHROUDED_KEY)->pbe.iterations, 20000);
	ck_assert(!bag_of(&o.pfx, PFX_BAG_SHROUDED_KEY)->pbe.weak);
	ck_assert(o.pfx.certs[0].has_private_key);
	close_fx(&o);

	ck_assert_int_eq(open_fx("aes.pfx", NULL, &o), HV_ERR_PASSWORD);
	close_fx(&o);
	passwords_free(&pw);
	passwords_init(&pw);
	pw_add(&pw, CANARY, 1);
	ck_assert_int_eq(open_fx("aes.pfx", &pw, &o), HV_OK);
	ck_assert_str_eq(bag_of(&o.pfx, PFX_BAG_CERT)->pbe.alg, AES_PBES2);
	ck_assert_int_eq(bag_of(&o.pfx, PFX_BAG_CERT)->pbe.iterations, 2048);
	ck_assert(bag_of(&o.pfx, PFX_BAG_CERT)->pbe.weak);   /* 2048 < PFX_WEAK_ITER_MIN */
	ck_assert(has_finding(&o.f, HV_SEV_WARN, "2048 key-derivation iterations"));
	close_fx(&o);
	passwords_free(&pw);
}
END_TEST

START_TEST(null_and_empty_passwords_differ)
{
	opened o;

	NEED_FIXTURES();
	ck_assert_int_eq(open_fx("empty.pfx", NULL, &o), HV_OK);
	ck_assert_int_eq(o.pfx.opened_by, PFX_CAND_EMPTY);
	ck_assert_str_eq(o.pfx.opened_by_label, "empty password");
	ck_assert(o.pfx.certs[0].has_private_key);
	close_fx(&o);
	ck_assert_int_eq(open_fx("null.pfx", NULL, &o), HV_OK);
	ck_assert_int_eq(o.pfx.opened_by, PFX_CAND_NULL);
	ck_assert_str_eq(o.pfx.opened_by_label, "no password (NULL)");
	ck_assert(o.pfx.certs[0].has_private_key);
	close_fx(&o);
}
END_TEST

START_TEST(wrong_password_is_password_error)
{
	hv_passwords pw;
	opened o;

	NEED_FIXTURES();
	passwords_init(&pw);
	pw_add(&pw, "not-it", 1);
	pw_add(&pw, "nor-this", 2);
	ck_assert_int_eq(open_fx("aes.pfx", &pw, &o), HV_ERR_PASSWORD);
	ck_assert_int_eq(o.pfx.opened_by, PFX_CAND_NONE);
	ck_assert_ptr_null(o.pfx.opened_by_label);
	ck_assert(!o.pfx.mac.verified);
	ck_assert_ptr_nonnull(strstr(o.pfx.reason, "wrong password"));
	ck_assert_ptr_nonnull(strstr(o.pfx.reason, "4 passwords tried"));
	ck_assert_ptr_nonnull(strstr(o.pfx.reason, "password-file line 2"));
	ck_assert_uint_eq(o.pfx.ncerts, 0);   /* the certificate bag is encrypted */
	close_fx(&o);
	passwords_free(&pw);
}
END_TEST

START_TEST(no_mac_reports_integrity_and_decrypts)
{
	hv_passwords pw;
	opened o;

	NEED_FIXTURES();
	passwords_init(&pw);
	pw_add(&pw, "bad", 1);
	pw_add(&pw, OTHER_PASS, 2);
	ck_assert_int_eq(open_fx("nomac.pfx", &pw, &o), HV_OK);
	ck_assert(!o.pfx.mac.present);
	ck_assert(has_finding(&o.f, HV_SEV_WARN, "integrity of the file is not protected"));
	ck_assert_str_eq(o.pfx.opened_by_label, "password-file line 2");
	ck_assert(o.pfx.certs[0].has_private_key);
	close_fx(&o);
	ck_assert_int_eq(open_fx("nomac.pfx", NULL, &o), HV_ERR_PASSWORD);
	close_fx(&o);
	passwords_free(&pw);
}
END_TEST

START_TEST(certificate_only_has_no_private_key)
{
	hv_passwords pw;
	opened o;

	NEED_FIXTURES();
	passwords_init(&pw);
	pw_add(&pw, OTHER_PASS, 1);
	ck_assert_int_eq(open_fx("nokey.pfx", &pw, &o), HV_OK);
	ck_assert_uint_eq(o.pfx.ncerts, 1);
	ck_assert_uint_eq(o.pfx.nkeys, 0);
	ck_assert(!o.pfx.certs[0].has_private_key);
	ck_assert_int_eq(o.pfx.certs[0].key, -1);
	close_fx(&o);
	passwords_free(&pw);
}
END_TEST

START_TEST(mismatched_key_is_not_paired)
{
	hv_passwords pw;
	opened o;

	NEED_FIXTURES();
	passwords_init(&pw);
	pw_add(&pw, OTHER_PASS, 1);
	ck_assert_int_eq(open_fx("mismatch.pfx", &pw, &o), HV_OK);
	ck_assert_uint_eq(o.pfx.ncerts, 1);
	ck_assert_uint_eq(o.pfx.nkeys, 1);
	/* Same localKeyId attribute on both, yet the key belongs to another certificate. */
	ck_assert_str_eq(o.pfx.certs[0].local_key_id, "DEADBEEF");
	ck_assert_str_eq(o.pfx.keys[0].local_key_id, "DEADBEEF");
	ck_assert(!o.pfx.certs[0].has_private_key);
	ck_assert_int_eq(o.pfx.keys[0].matched_cert, -1);
	ck_assert(o.pfx.keys[0].decrypted && o.pfx.keys[0].consistent);
	ck_assert(has_finding(&o.f, HV_SEV_WARN, "matches no certificate"));
	ck_assert(has_finding(&o.f, HV_SEV_WARN, "share local key id DEADBEEF"));
	close_fx(&o);
	passwords_free(&pw);
}
END_TEST

START_TEST(chain_pairs_only_the_owner)
{
	hv_passwords pw;
	opened o;
	int enc = -1, sig = -1;

	NEED_FIXTURES();
	passwords_init(&pw);
	pw_add(&pw, OTHER_PASS, 1);
	ck_assert_int_eq(open_fx("chain.pfx", &pw, &o), HV_OK);
	ck_assert_uint_eq(o.pfx.ncerts, 2);
	for (size_t i = 0; i < o.pfx.ncerts; i++) {
		if (o.pfx.certs[i].cert.role == CERT_ROLE_ENCRYPTION)
			enc = (int)i;
		if (o.pfx.certs[i].cert.role == CERT_ROLE_SIGNING)
			sig = (int)i;
	}
	ck_assert(enc >= 0 && sig >= 0);
	ck_assert(o.pfx.certs[enc].has_private_key);
	ck_assert(!o.pfx.certs[sig].has_private_key);
	ck_assert_int_eq(o.pfx.keys[0].matched_cert, enc);
	close_fx(&o);
	passwords_free(&pw);
}
END_TEST

START_TEST(csp_and_friendly_name_attributes)
{
	hv_passwords pw;
	opened o;

	NEED_FIXTURES();
	passwords_init(&pw);
	ck_assert_int_eq(passwords_add_defaults(&pw, NULL), HV_OK);
	ck_assert_int_eq(open_fx("csp.pfx", &pw, &o), HV_OK);
	ck_assert_str_eq(o.pfx.opened_by_label, "default list #1");
	ck_assert_int_eq(o.pfx.opened_by_source, PW_SRC_DEFAULT);
	ck_assert_uint_eq(o.pfx.opened_by_position, 1);
	ck_assert_str_eq(o.pfx.certs[0].friendly_name, "Encryption cert");
	ck_assert_str_eq(o.pfx.keys[0].csp, MS_CSP);
	ck_assert(o.pfx.certs[0].has_private_key);
	close_fx(&o);
	passwords_free(&pw);
}
END_TEST

/* ---- distinct failures ---- */

START_TEST(corrupted_mac_is_corrupt_not_password)
{
	hv_passwords pw;
	opened o;

	NEED_FIXTURES();
	passwords_init(&pw);
	pw_add(&pw, CANARY, 1);
	ck_assert_int_eq(open_fx("badmac.pfx", &pw, &o), HV_ERR_CORRUPT);
	ck_assert_ptr_nonnull(strstr(o.pfx.reason, "MAC or the contents are damaged"));
	ck_assert(!o.pfx.mac.verified);
	close_fx(&o);
	passwords_free(&pw);
}
END_TEST

/* ---- key-derivation cost ---- */

static hv_err open_fx_opts(const char *name, const pfx_open_opts *opts, opened *o)
{
	char *p = tu_join(fx, name);

	memset(o, 0, sizeof(*o));
	o->data = tu_read(p, &o->len);
	ck_assert_msg(o->data != NULL, "missing fixture %s", p);
	free(p);
	return pfx_open_ex(span_make(o->data, o->len), name, opts, &o->pfx, &o->f);
}

static double now_s(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

START_TEST(wrong_mac_skips_costly_probes)
{
	hv_passwords pw;
	opened o;

	NEED_FIXTURES();
	passwords_init(&pw);
	pw_add(&pw, "wrong-1", 1);
	pw_add(&pw, "wrong-2", 2);
	pw_add(&pw, "wrong-3", 3);
	/* Five MAC checks of 1 iteration; the five 1,000,000-iteration probes of the
	 * contents (about 2 s) are not made, and counted as skipped. */
	double t0 = now_s();
	ck_assert_int_eq(open_fx("slow.pfx", &pw, &o), HV_ERR_PASSWORD);
	ck_assert_double_lt(now_s() - t0, 0.3);
	ck_assert_uint_eq(o.pfx.mac.iterations, 1);
	ck_assert_uint_eq(o.pfx.kdf_iterations, 5);
	ck_assert_uint_eq(o.pfx.probes_skipped, 5);
	ck_assert(!o.pfx.kdf_budget_exhausted);
	ck_assert_ptr_nonnull(strstr(o.pfx.reason, "not probed for damage"));
	close_fx(&o);
	/* The right password still opens it: six MAC checks, one derivation per part. */
	pw_add(&pw, OTHER_PASS, 4);
	ck_assert_int_eq(open_fx("slow.pfx", &pw, &o), HV_OK);
	ck_assert_uint_eq(o.pfx.kdf_iterations, 6 + 2u * 1000 * 1000);
	ck_assert(o.pfx.certs[0].has_private_key);
	close_fx(&o);
	passwords_free(&pw);
}
END_TEST

START_TEST(file_budget_exhausted_is_not_wrong_password)
{
	hv_passwords pw;
	opened o;

	NEED_FIXTURES();
	passwords_init(&pw);
	pw_add(&pw, CANARY, 1);
	/* aes.pfx: MAC and parts at 2048 iterations; the password is the third attempt. */
	pfx_open_opts opts = { .pw = &pw, .file_kdf_budget = 2 * 2048 };
	ck_assert_int_eq(open_fx_opts("aes.pfx", &opts, &o), HV_ERR_LIMIT);
	ck_assert(o.pfx.kdf_budget_exhausted);
	ck_assert_uint_eq(o.pfx.kdf_asked, 2048);
	ck_assert_uint_eq(o.pfx.kdf_left, 0);
	ck_assert_uint_eq(o.pfx.kdf_iterations, 2 * 2048);
	ck_assert_ptr_nonnull(strstr(o.pfx.reason, "not opened: key-derivation budget "
						   "exhausted (2048 iterations asked, 0 left "
						   "of the per-file"));
	close_fx(&o);
	/* Raised, it opens: 3 MAC checks + certificate safe + key. */
	opts.file_kdf_budget = 5 * 2048;
	ck_assert_int_eq(open_fx_opts("aes.pfx", &opts, &o), HV_OK);
	ck_assert_uint_eq(o.pfx.kdf_iterations, 5 * 2048);
	close_fx(&o);
	/* The process budget of pfx_open is charged too. */
	uint64_t before = pfx_kdf_budget_left(pfx_process_kdf_budget());
	ck_assert_int_eq(open_fx("aes.pfx", &pw, &o), HV_OK);
	ck_assert_uint_eq(before - pfx_kdf_budget_left(pfx_process_kdf_budget()), 5 * 2048);
	close_fx(&o);
	passwords_free(&pw);
}
END_TEST

typedef struct {
	const hv_passwords *pw;
	pfx_kdf_budget *run;
	opened o;
	hv_err rc;
} opener;

static void *open_in_thread(void *arg)
{
	opener *t = arg;
	pfx_open_opts opts = { .pw = t->pw, .run_budget = t->run };

	t->rc = open_fx_opts("aes.pfx", &opts, &t->o);
	return NULL;
}

/* Opens aes.pfx in two threads sharing a run budget of total iterations. */
static void open_twice(const hv_passwords *pw, uint64_t total, opener t[2], uint64_t *left)
{
	pfx_kdf_budget run;
	pthread_t th[2];

	pfx_kdf_budget_init(&run, total);
	for (int i = 0; i < 2; i++) {
		t[i] = (opener){ .pw = pw, .run = &run };
		ck_assert_int_eq(pthread_create(&th[i], NULL, open_in_thread, &t[i]), 0);
	}
	for (int i = 0; i < 2; i++)
		ck_assert_int_eq(pthread_join(th[i], NULL), 0);
	*left = pfx_kdf_budget_left(&run);
}

/* inspect's view of one file, through the pipeline as cmd_inspect reads it. */
typedef struct {
	ev_class cls;
	hv_err status;
	char *json;
} inspected;

static void on_inspected(void *ctx, file_facts *x)
{
	inspected *in = ctx;
	inspect_report_opts ro;
	memset(&ro, 0, sizeof(ro));
	ro.at = REPORT_AT;
	json_object *j = inspect_report_json(x, &ro);
	in->cls = x->cls;
	in->status = x->status;
	in->json = strdup(json_object_to_json_string_ext(j, JSON_C_TO_STRING_PLAIN));
	json_object_put(j);
}

static const char *jget(json_object *o, const char *k)
{
	json_object *v = NULL;
	ck_assert_msg(json_object_object_get_ex(o, k, &v), "no %s", k);
	return json_object_get_string(v);
}

/*
 * A PFX the run's key-derivation budget cannot pay for is skipped by policy
 * (status limit, the budget named), never damaged: the same class in the
 * evidence, every report built on it, and inspect.
 */
START_TEST(budget_refusal_is_skipped_by_policy_not_damaged)
{
	NEED_FIXTURES();
	char *path = tu_join(fx, "aes.pfx");
	hv_passwords pw;
	passwords_init(&pw);
	pw_add(&pw, CANARY, 1);
	/* Less than one 2048-iteration attempt left for the rest of this (forked) test. */
	pfx_kdf_budget_init(pfx_process_kdf_budget(), 1000);

	evidence e;
	evidence_init(&e);
	collect_opts co = { .pw = &pw };
	collector *col = collector_new(&e, &co);
	collector_add_paths(col, &path, 1);
	collector_finish(col);
	ck_assert_uint_eq(e.nfiles, 1);
	const ev_file *f = &e.files[0];
	ck_assert_str_eq(ev_class_name(f->cls), "skipped");
	ck_assert_int_eq(f->status, HV_ERR_LIMIT);
	ck_assert(f->input_error); /* refused by a cap: exit status 4, as documented */
	ck_assert_ptr_nonnull(strstr(ev_file_error(f), "key-derivation budget exhausted"));
	ck_assert_uint_eq(e.nclass[EVC_SKIPPED], 1);
	ck_assert_uint_eq(e.nclass[EVC_DAMAGED], 0);

	/* diagnose and audit JSON: the evidence entry, the errors, the summary counts */
	json_object *ev = dx_evidence_file_json(&e, 0);
	ck_assert_str_eq(jget(ev, "class"), "skipped");
	ck_assert_str_eq(jget(ev, "status"), "limit");
	json_object_put(ev);
	json_object *errs = dx_errors_json(&e);
	ck_assert_uint_ge(json_object_array_length(errs), 1);
	ck_assert_str_eq(jget(json_object_array_get_idx(errs, 0), "class"), "limit");
	json_object_put(errs);
	audit_result a;
	audit_begin(&e, REPORT_AT, 90, &a);
	audit_end(&e, 4, &a);
	json_object *sum = audit_summary_json(&e, &a);
	json_object *cl = NULL, *n = NULL;
	ck_assert(json_object_object_get_ex(sum, "classes", &cl));
	ck_assert(json_object_object_get_ex(cl, "skipped", &n));
	ck_assert_int_eq(json_object_get_int(n), 1);
	ck_assert(json_object_object_get_ex(cl, "damaged", &n));
	ck_assert_int_eq(json_object_get_int(n), 0);
	ck_assert(json_object_object_get_ex(sum, "files_with_errors", &n));
	ck_assert_int_eq(json_object_get_int(n), 1);
	ck_assert(json_object_object_get_ex(sum, "pfx_not_opened", &n));
	ck_assert_uint_eq(json_object_array_length(n), 1);
	json_object_put(sum);
	/* text: the evidence line says skipped, with the reason */
	char *txt = NULL;
	size_t tl = 0;
	FILE *m = open_memstream(&txt, &tl);
	dx_evidence_text(m, &e, true, pw.n, 200);
	fclose(m);
	ck_assert_msg(strstr(txt, "0 damaged") && strstr(txt, "1 skipped"), "%s", txt);
	ck_assert_msg(strstr(txt, "skipped      ") && strstr(txt, "key-derivation budget"), "%s",
		      txt);
	free(txt);
	audit_free(&a);
	evidence_free(&e);

	/* inspect */
	inspected in = { EVC_USED, HV_OK, NULL };
	pipeline_opts po;
	memset(&po, 0, sizeof(po));
	po.id.pw = &pw;
	po.id.keep = true;
	po.on_file = on_inspected;
	po.ctx = &in;
	pipeline_run(&path, 1, &po);
	ck_assert_str_eq(ev_class_name(in.cls), "skipped");
	ck_assert_int_eq(in.status, HV_ERR_LIMIT);
	json_object *ij = json_tokener_parse(in.json);
	ck_assert_str_eq(jget(ij, "class"), "skipped");
	ck_assert_str_eq(jget(ij, "status"), "limit");
	json_object_put(ij);
	free(in.json);

	pfx_kdf_budget_init(pfx_process_kdf_budget(), PFX_RUN_KDF_BUDGET);
	passwords_free(&pw);
	free(path);
}
END_TEST

START_TEST(run_budget_shared_by_threads)
{
	const uint64_t one = 5 * 2048; /* what opening aes.pfx costs */
	hv_passwords pw;
	opener t[2];
	uint64_t left;

	NEED_FIXTURES();
	passwords_init(&pw);
	pw_add(&pw, CANARY, 1);
	open_twice(&pw, 2 * one, t, &left);
	ck_assert_int_eq(t[0].rc, HV_OK);
	ck_assert_int_eq(t[1].rc, HV_OK);
	ck_assert_uint_eq(left, 0);
	for (int i = 0; i < 2; i++)
		close_fx(&t[i].o);
	/* Enough for one: whatever the interleaving, no more than the budget is spent,
	 * and a file that is not opened says so as a budget, not a password, matter. */
	open_twice(&pw, one, t, &left);
	ck_assert_uint_eq(t[0].o.pfx.kdf_iterations + t[1].o.pfx.kdf_iterations + left, one);
	ck_assert_uint_lt(left, 2048);
	ck_assert(t[0].rc != HV_OK || t[1].rc != HV_OK);
	for (int i = 0; i < 2; i++) {
		if (t[i].rc != HV_OK) {
			ck_assert_int_eq(t[i].rc, HV_ERR_LIMIT);
			ck_assert(t[i].o.pfx.kdf_budget_exhausted);
			ck_assert_ptr_nonnull(strstr(t[i].o.pfx.reason, "per-run budget"));
		}
		close_fx(&t[i].o);
	}
	passwords_free(&pw);
}
END_TEST

START_TEST(truncated_and_not_pfx)
{
	opened o;

	NEED_FIXTURES();
	ck_assert_int_eq(open_fx("trunc.pfx", NULL, &o), HV_ERR_CORRUPT);
	ck_assert_ptr_nonnull(strstr(o.pfx.reason, "truncated"));
	close_fx(&o);
	ck_assert_int_eq(open_fx("notes.txt", NULL, &o), HV_ERR_FORMAT);
	ck_assert_ptr_nonnull(strstr(o.pfx.reason, "not a PKCS#12"));
	close_fx(&o);
	ck_assert_int_eq(open_fx("enc.cer", NULL, &o), HV_ERR_FORMAT);
	close_fx(&o);
	ck_assert_int_eq(open_fx("both.p7b", NULL, &o), HV_ERR_FORMAT);
	close_fx(&o);
}
END_TEST

START_TEST(unsupported_algorithms_are_named)
{
	hv_passwords pw;
	opened o;

	NEED_FIXTURES();
	passwords_init(&pw);
	pw_add(&pw, CANARY, 1);
	ck_assert_int_eq(open_fx("badcipher.pfx", &pw, &o), HV_ERR_UNSUPPORTED);
	ck_assert(o.pfx.mac.verified);
	ck_assert_ptr_nonnull(strstr(o.pfx.reason, "unsupported algorithm"));
	ck_assert_ptr_nonnull(strstr(o.pfx.reason, "2.16.840.1.101.3.4.1.127"));
	close_fx(&o);
	ck_assert_int_eq(open_fx("badmacalg.pfx", &pw, &o), HV_ERR_UNSUPPORTED);
	ck_assert_ptr_nonnull(strstr(o.pfx.reason, "MAC digest 2.16.840.1.101.3.4.2.127"));
	close_fx(&o);
	/* 50 million MAC iterations: refused before any key derivation. */
	ck_assert_int_eq(open_fx("costly.pfx", &pw, &o), HV_ERR_LIMIT);
	ck_assert_int_eq(o.pfx.mac.iterations, 50L * 1000 * 1000);
	ck_assert_ptr_nonnull(strstr(o.pfx.reason, "limit"));
	close_fx(&o);
	passwords_free(&pw);
}
END_TEST

START_TEST(dpapi_ng_is_named_never_wrong_password)
{
	hv_passwords pw;
	opened o;

	NEED_FIXTURES();
	passwords_init(&pw);
	pw_add(&pw, CANARY, 1);
	ck_assert_int_eq(open_fx("dpapi.pfx", &pw, &o), HV_ERR_UNSUPPORTED);
	ck_assert(o.pfx.dpapi_ng);
	ck_assert_ptr_nonnull(strstr(o.pfx.reason, "protected to an Active Directory principal "
					   "(DPAPI-NG); cannot be opened offline"));
	ck_assert_ptr_null(strstr(o.pfx.reason, "wrong password"));
	ck_assert_str_eq(bag_of(&o.pfx, PFX_BAG_SECRET)->type_oid, "1.3.6.1.4.1.311.17.4");
	close_fx(&o);
	ck_assert_int_eq(open_fx("enveloped.pfx", &pw, &o), HV_ERR_UNSUPPORTED);
	ck_assert(o.pfx.dpapi_ng);
	ck_assert_int_eq(o.pfx.safes[0].type, PFX_SAFE_ENVELOPED);
	ck_assert_ptr_nonnull(strstr(o.pfx.reason, "(DPAPI-NG); cannot be opened offline "
					   "(envelopedData"));
	close_fx(&o);
	passwords_free(&pw);
}
END_TEST

/* ---- the password never leaks ---- */

static void assert_no_canary(const opened *o, const char *name)
{
	char *t = text_report(&o->pfx, name), *j = json_report(&o->pfx, name);

	ck_assert_msg(strstr(t, CANARY) == NULL, "password in text report of %s", name);
	ck_assert_msg(strstr(j, CANARY) == NULL, "password in JSON report of %s", name);
	ck_assert(o->pfx.reason == NULL || strstr(o->pfx.reason, CANARY) == NULL);
	for (size_t i = 0; i < o->f.n; i++) {
		char *s = finding_format(&o->f.v[i]);
		ck_assert_msg(strstr(s, CANARY) == NULL, "password in finding: %s", s);
		free(s);
	}
	free(t);
	free(j);
}

/* Runs in its own forked process (CK_FORK): the context must not exist yet. */
START_TEST(legacy_provider_missing_is_named)
{
	hv_passwords pw;
	opened o;

	NEED_FIXTURES();
	if (getenv("CK_FORK") != NULL && strcmp(getenv("CK_FORK"), "no") == 0)
		TEST_SKIP("needs CK_FORK to start with a fresh OpenSSL context");
	setenv("OPENSSL_MODULES", "/nonexistent/hvtpm-no-modules", 1);
	if (hv_ossl_legacy_available())
		TEST_SKIP("the legacy provider was already loaded in this process");
	passwords_init(&pw);
	pw_add(&pw, CANARY, 1);
	ck_assert_int_eq(open_fx("legacy.pfx", &pw, &o), HV_ERR_UNSUPPORTED);
	ck_assert(o.pfx.mac.verified);                 /* the password was right */
	ck_assert_ptr_nonnull(strstr(o.pfx.reason, "legacy provider unavailable"));
	ck_assert_ptr_nonnull(strstr(o.pfx.reason, RC2_40));
	ck_assert_ptr_null(strstr(o.pfx.reason, "password"));
	/* The 3DES key bag still opens: the key is there, its certificate is not readable. */
	ck_assert(o.pfx.keys[0].decrypted);
	assert_no_canary(&o, "legacy.pfx");
	close_fx(&o);
	passwords_free(&pw);
}
END_TEST

START_TEST(password_never_in_findings_or_reports)
{
	static const char *const files[] = { "aes.pfx", "legacy.pfx", "badmac.pfx",
					     "trunc.pfx", "dpapi.pfx", "badcipher.pfx",
					     "strong.pfx", "mismatch.pfx", "nomac.pfx" };
	hv_passwords pw;
	opened o;

	NEED_FIXTURES();
	passwords_init(&pw);
	pw_add(&pw, "first-" CANARY, 1);
	pw_add(&pw, CANARY, 2);
	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		open_fx(files[i], &pw, &o);
		assert_no_canary(&o, files[i]);
		close_fx(&o);
	}
	ck_assert_ptr_null(strstr(pw.v[1].label, CANARY));
	passwords_free(&pw);
}
END_TEST

START_TEST(report_json_fields)
{
	hv_passwords pw;
	opened o;
	json_object *j, *v, *c0;
	char *t;

	NEED_FIXTURES();
	passwords_init(&pw);
	pw_add(&pw, CANARY, 3);
	ck_assert_int_eq(open_fx("legacy.pfx", &pw, &o), HV_OK);
	j = pfx_report_json("legacy.pfx", &o.pfx, REPORT_AT);
	ck_assert(json_object_object_get_ex(j, "status", &v));
	ck_assert_str_eq(json_object_get_string(v), "ok");
	ck_assert(json_object_object_get_ex(j, "opened_by", &v));
	ck_assert_str_eq(json_object_get_string(json_object_object_get(v, "source")),
			 "password_file");
	ck_assert_int_eq(json_object_get_int(json_object_object_get(v, "position")), 3);
	ck_assert(json_object_object_get_ex(j, "certificates", &v));
	c0 = json_object_array_get_idx(v, 0);
	ck_assert(json_object_get_boolean(json_object_object_get(c0, "has_private_key")));
	ck_assert_ptr_nonnull(json_object_object_get(c0, "certificate"));
	ck_assert(json_object_object_get_ex(j, "weaknesses", &v));
	ck_assert_int_gt(json_object_array_length(v), 0);
	ck_assert(json_object_object_get_ex(j, "bags", &v));
	ck_assert_uint_eq(json_object_array_length(v), o.pfx.nbags);
	json_object_put(j);
	t = text_report(&o.pfx, "legacy.pfx");
	ck_assert_ptr_nonnull(strstr(t, "password-file line 3"));
	ck_assert_ptr_nonnull(strstr(t, RC2_40 ", 2048 iterations [weak]"));
	ck_assert_ptr_nonnull(strstr(t, "yes (key #0)"));
	ck_assert_ptr_nonnull(strstr(t, "CN=" ENC_CN));
	free(t);
	close_fx(&o);
	passwords_free(&pw);
}
END_TEST

/* ---- certificate files ---- */

static hv_err read_cf(const char *name, certfile *c, hv_findings *f)
{
	char *p = tu_join(fx, name);
	size_t len;
	uint8_t *b = tu_read(p, &len);
	hv_err e;

	ck_assert_ptr_nonnull(b);
	ck_assert_msg(certfile_sniff(span_make(b, len)), "%s not sniffed", name);
	ck_assert(!pfx_sniff(span_make(b, len)));
	e = certfile_read(span_make(b, len), name, c, f);
	free(b);
	free(p);
	return e;
}

START_TEST(cert_files_der_pem_p7b)
{
	static const struct {
		const char *name;
		certfile_kind kind;
		size_t n;
	} cases[] = {
		{ "enc.cer", CERTFILE_DER, 1 },
		{ "both.pem", CERTFILE_PEM, 2 },
		{ "both.p7b", CERTFILE_P7B_DER, 2 },
		{ "both_pem.p7b", CERTFILE_PEM, 2 },
	};

	NEED_FIXTURES();
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		certfile c;
		hv_findings f = { 0 };
		ck_assert_int_eq(read_cf(cases[i].name, &c, &f), HV_OK);
		ck_assert_int_eq(c.kind, cases[i].kind);
		ck_assert_uint_eq(c.ncerts, cases[i].n);
		for (size_t k = 0; k < c.ncerts; k++)
			ck_assert(!c.certs[k].has_private_key);
		ck_assert(!c.private_key_present);
		ck_assert_ptr_nonnull(strstr(c.certs[0].cert.subject, "Shielded VM"));
		certfile_free(&c);
		findings_free(&f);
	}
}
END_TEST

START_TEST(pem_keys_are_checked_not_trusted)
{
	certfile c;
	hv_findings f = { 0 };

	NEED_FIXTURES();
	ck_assert_int_eq(read_cf("withkey.pem", &c, &f), HV_OK);
	ck_assert(c.private_key_present);
	ck_assert(c.certs[0].has_private_key);
	ck_assert(has_finding(&f, HV_SEV_WARN, "private key present in PEM"));
	certfile_free(&c);
	findings_free(&f);

	ck_assert_int_eq(read_cf("wrongkey.pem", &c, &f), HV_OK);
	ck_assert(c.private_key_present);
	ck_assert(!c.certs[0].has_private_key);
	ck_assert_int_eq(c.keys[0].matched_cert, -1);
	certfile_free(&c);
	findings_free(&f);

	ck_assert_int_eq(read_cf("withenc.pem", &c, &f), HV_OK);
	ck_assert(c.key_needs_password);
	ck_assert(!c.private_key_present);
	ck_assert(c.keys[0].encrypted);
	ck_assert(!c.certs[0].has_private_key);
	certfile_free(&c);
	findings_free(&f);
}
END_TEST

START_TEST(cert_file_rejects_pfx_and_text)
{
	char *p;
	size_t len;
	uint8_t *b;
	certfile c;
	hv_findings f = { 0 };

	NEED_FIXTURES();
	p = tu_join(fx, "aes.pfx");
	b = tu_read(p, &len);
	ck_assert(pfx_sniff(span_make(b, len)));
	ck_assert(!certfile_sniff(span_make(b, len)));
	ck_assert_int_eq(certfile_read(span_make(b, len), "aes.pfx", &c, &f), HV_ERR_FORMAT);
	certfile_free(&c);
	free(b);
	free(p);
	ck_assert_int_eq(certfile_read(span_make("-----BEGIN CERTIFICATE-----\nAAAA", 32),
				       "cut.pem", &c, &f), HV_ERR_CORRUPT);
	certfile_free(&c);
	findings_free(&f);
}
END_TEST

/* ---- password sources ---- */

START_TEST(password_file_crlf_bom_and_empty_lines)
{
	static const char text[] = "\xEF\xBB\xBF" "alpha\r\n\r\nbeta\r\n gamma \nlast";
	char *dir = tu_mkdtemp(), *p = tu_join(dir, "pw.txt");
	hv_passwords pw;
	hv_findings f = { 0 };

	tu_write(p, text, sizeof(text) - 1);
	passwords_init(&pw);
	ck_assert_int_eq(passwords_add_file(&pw, p, &f), HV_OK);
	ck_assert_uint_eq(pw.n, 4);
	ck_assert_str_eq(pw.v[0].secret, "alpha");
	ck_assert_str_eq(pw.v[0].label, "password-file line 1");
	ck_assert_str_eq(pw.v[1].secret, "beta");
	ck_assert_str_eq(pw.v[1].label, "password-file line 3");
	ck_assert_str_eq(pw.v[2].secret, " gamma ");
	ck_assert_uint_eq(pw.v[2].position, 4);
	ck_assert_str_eq(pw.v[3].secret, "last");
	passwords_free(&pw);
	ck_assert_ptr_null(pw.v);
	passwords_init(&pw);
	ck_assert_int_eq(passwords_add_file(&pw, "/nonexistent/pw.txt", &f), HV_ERR_IO);
	ck_assert_uint_eq(pw.n, 0);
	passwords_free(&pw);
	findings_free(&f);
	tu_rmtree(dir);
	free(dir);
	free(p);
}
END_TEST

/* passwords_add_file on exactly these bytes; the candidates in pw. */
static hv_err read_pw_bytes(const void *b, size_t n, hv_passwords *pw, hv_findings *f)
{
	char *dir = tu_mkdtemp(), *p = tu_join(dir, "pw.txt");

	tu_write(p, b, n);
	passwords_init(pw);
	hv_err e = passwords_add_file(pw, p, f);
	tu_rmtree(dir);
	free(dir);
	free(p);
	return e;
}

START_TEST(password_file_encodings)
{
	/* "P@ssword" > pw.txt in Windows PowerShell 5.1: UTF-16LE, BOM, CRLF. */
	static const char ps51[] = "\xFF\xFE" "P\0@\0s\0s\0w\0o\0r\0d\0\r\0\n\0"
				   " \0\xE4\0 \0\r\0\n\0" "\x3D\xD8\x11\xDD\r\0\n\0";
	static const char be[] = "\xFE\xFF" "\0P\0@\0s\0s\0w\0o\0r\0d\0\n\0x";
	static const char utf8[] = "caf\xC3\xA9\r\nlatin-1 \xE9\n";
	hv_passwords pw;
	hv_findings f = { 0 };

	ck_assert_int_eq(read_pw_bytes(ps51, sizeof(ps51) - 1, &pw, &f), HV_OK);
	ck_assert_uint_eq(pw.n, 3);
	ck_assert_str_eq(pw.v[0].secret, "P@ssword");
	ck_assert_str_eq(pw.v[1].secret, " \xC3\xA4 ");        /* spaces kept, U+00E4 */
	ck_assert_str_eq(pw.v[2].secret, "\xF0\x9F\x94\x91"); /* U+1F511, a pair */
	ck_assert_str_eq(pw.v[2].label, "password-file line 3");
	passwords_free(&pw);
	ck_assert_int_eq(read_pw_bytes(be, sizeof(be) - 1, &pw, &f), HV_OK);
	ck_assert_uint_eq(pw.n, 2);
	ck_assert_str_eq(pw.v[0].secret, "P@ssword");
	ck_assert_str_eq(pw.v[1].secret, "x");
	passwords_free(&pw);
	/* No BOM: UTF-8, and bytes that are not UTF-8 kept (OpenSSL reads them as Latin-1). */
	ck_assert_int_eq(read_pw_bytes(utf8, sizeof(utf8) - 1, &pw, &f), HV_OK);
	ck_assert_uint_eq(pw.n, 2);
	ck_assert_str_eq(pw.v[0].secret, "caf\xC3\xA9");
	ck_assert_str_eq(pw.v[1].secret, "latin-1 \xE9");
	passwords_free(&pw);
	/* A line of NUL bytes only is padding, skipped like an empty line. */
	ck_assert_int_eq(read_pw_bytes("alpha\n\0\0\r\nbeta\n\0", 16, &pw, &f), HV_OK);
	ck_assert_uint_eq(pw.n, 2);
	ck_assert_str_eq(pw.v[1].secret, "beta");
	ck_assert_uint_eq(pw.v[1].position, 3);
	passwords_free(&pw);
	ck_assert_uint_eq(f.n, 0);
	findings_free(&f);
}
END_TEST

START_TEST(password_file_bad_encodings_name_the_line)
{
	static const struct {
		const char *bytes;
		size_t n;
		const char *needle;
	} bad[] = {
		/* line 2 holds a high surrogate followed by 'x' */
		{ "\xFF\xFE" "s\0e\0c\0r\0e\0t\0\n\0\x00\xD8x\0", 20, "line 2 holds an unpaired" },
		{ "\xFF\xFE" "s\0e\0c\0r\0e\0t\0x", 15, "line 1 holds an odd number" },
		{ "\xEF\xBB\xBF" "secret\nsecret\nsecret\xC3(\n", 26, "line 3 holds bytes that" },
		{ "s\0e\0c\0r\0e\0t\0", 12, "line 1 holds a NUL byte" },
	};
	hv_passwords pw;
	hv_findings f = { 0 };

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		ck_assert_int_eq(read_pw_bytes(bad[i].bytes, bad[i].n, &pw, &f), HV_ERR_FORMAT);
		ck_assert_uint_eq(pw.n, 0);
		ck_assert_uint_eq(f.n, 1);
		char *line = finding_format(&f.v[0]);
		ck_assert_msg(strstr(line, bad[i].needle) && strstr(line, "pw.txt"), "%s", line);
		ck_assert_msg(!strstr(line, "secret") && !strchr(line, '\n'), "%s", line);
		free(line);
		passwords_free(&pw);
		findings_free(&f);
	}
}
END_TEST

START_TEST(powershell_password_file_opens_pfx)
{
	static const char ps51[] = "\xFF\xFE" "P\0@\0s\0s\0w\0o\0r\0d\0\r\0\n\0";
	hv_passwords pw;
	hv_findings f = { 0 };
	opened o;

	NEED_FIXTURES();
	ck_assert_int_eq(read_pw_bytes(ps51, sizeof(ps51) - 1, &pw, &f), HV_OK);
	ck_assert_int_eq(open_fx("csp.pfx", &pw, &o), HV_OK); /* exported with P@ssword */
	ck_assert_str_eq(o.pfx.opened_by_label, "password-file line 1");
	close_fx(&o);
	passwords_free(&pw);
	findings_free(&f);
}
END_TEST

START_TEST(password_sources_in_documented_order)
{
	char *dir = tu_mkdtemp(), *p = tu_join(dir, "pw.txt");
	const char *const *defs = passwords_default_list();
	hv_pw_options opt = { p, true, false, true };
	hv_passwords pw;
	hv_findings f = { 0 };
	size_t nd = 0;

	while (defs[nd] != NULL)
		nd++;
	ck_assert_str_eq(defs[0], DEFAULT_PASS);
	tu_write(p, "from-file\n", 10);
	setenv(PW_ENV_VAR, "from-env", 1);
	passwords_init(&pw);
	ck_assert_int_eq(passwords_collect(&pw, &opt, &f), HV_OK);
	unsetenv(PW_ENV_VAR);
	ck_assert_uint_eq(pw.n, 2 + nd);
	ck_assert_int_eq(pw.v[0].source, PW_SRC_FILE);
	ck_assert_str_eq(pw.v[1].secret, "from-env");
	ck_assert_str_eq(pw.v[1].label, "environment " PW_ENV_VAR);
	for (size_t i = 0; i < nd; i++) {
		char want[48];
		snprintf(want, sizeof(want), "default list #%zu", i + 1);
		ck_assert_str_eq(pw.v[2 + i].label, want);
		ck_assert_str_eq(pw.v[2 + i].secret, defs[i]);
	}
	passwords_free(&pw);
	findings_free(&f);
	tu_rmtree(dir);
	free(dir);
	free(p);
}
END_TEST

START_TEST(prompt_without_terminal_is_clear_error)
{
	pid_t pid = fork();
	int st = 0;

	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		hv_passwords pw;
		hv_findings f = { 0 };
		hv_err e;
		setsid();   /* no controlling terminal: /dev/tty cannot be opened */
		passwords_init(&pw);
		e = passwords_add_prompt(&pw, "PFX password: ", &f);
		_exit(e == HV_ERR_IO && pw.n == 0 && f.n == 1 &&
		      strstr(f.v[0].msg, "needs a terminal") != NULL ? 0 : 1);
	}
	ck_assert_int_eq(waitpid(pid, &st, 0), pid);
	ck_assert(WIFEXITED(st));
	ck_assert_int_eq(WEXITSTATUS(st), 0);
}
END_TEST

START_TEST(duplicates_and_limits)
{
	hv_passwords pw;
	hv_findings f = { 0 };
	char big[PW_MAX_LEN + 2];

	passwords_init(&pw);
	memset(big, 'a', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	ck_assert_int_eq(passwords_add(&pw, big, strlen(big), PW_SRC_FILE, 1, &f),
			 HV_ERR_LIMIT);
	ck_assert_uint_eq(pw.n, 0);
	ck_assert(has_finding(&f, HV_SEV_ERROR, "password-file line 1 is longer than 1024 bytes"));
	ck_assert_ptr_null(strstr(f.v[0].msg, "aaaa"));
	passwords_free(&pw);
	findings_free(&f);
}
END_TEST

/* Over the candidate cap: one error naming the cap and the first line past it, not one per line. */
START_TEST(candidate_cap_is_one_error_naming_the_cap)
{
	strbuf sb = STRBUF_INIT;
	for (int i = 1; i <= 300; i++)
		sb_addf(&sb, "pw%d\r\n", i);
	hv_passwords pw;
	hv_findings f = { 0 };
	ck_assert_int_eq(read_pw_bytes(sb.buf, sb.len, &pw, &f), HV_ERR_LIMIT);
	ck_assert_uint_eq(f.n, 1);
	ck_assert_int_eq(f.v[0].sev, HV_SEV_ERROR);
	ck_assert_ptr_nonnull(f.v[0].file); /* the password file */
	ck_assert_ptr_nonnull(strstr(f.v[0].msg, "password-file line 257 would be PFX password "
						 "candidate 257: at most 256 are taken"));
	ck_assert_ptr_null(strstr(f.v[0].msg, "pw257"));
	passwords_free(&pw);
	findings_free(&f);
	/* 256 lines are taken; a source after them is the one past the cap */
	sb_reset(&sb);
	for (int i = 1; i <= 256; i++)
		sb_addf(&sb, "pw%d\n", i);
	ck_assert_int_eq(read_pw_bytes(sb.buf, sb.len, &pw, &f), HV_OK);
	ck_assert_uint_eq(pw.n, 256);
	ck_assert_int_eq(passwords_add_defaults(&pw, &f), HV_ERR_LIMIT);
	ck_assert_uint_eq(f.n, 1);
	ck_assert_ptr_nonnull(strstr(f.v[0].msg, "default list #1 would be PFX password "
						 "candidate 257"));
	passwords_free(&pw);
	findings_free(&f);
	sb_free(&sb);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("pfx");
	TCase *tc = tcase_create("pfx");
	TCase *tp = tcase_create("passwords");
	SRunner *sr;
	int failed;

	tcase_add_unchecked_fixture(tc, fixtures_setup, fixtures_teardown);
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, legacy_rc2_3des_opens_with_password);
	tcase_add_test(tc, pbes2_aes_iterations_and_weak_threshold);
	tcase_add_test(tc, null_and_empty_passwords_differ);
	tcase_add_test(tc, wrong_password_is_password_error);
	tcase_add_test(tc, no_mac_reports_integrity_and_decrypts);
	tcase_add_test(tc, certificate_only_has_no_private_key);
	tcase_add_test(tc, mismatched_key_is_not_paired);
	tcase_add_test(tc, chain_pairs_only_the_owner);
	tcase_add_test(tc, csp_and_friendly_name_attributes);
	tcase_add_test(tc, corrupted_mac_is_corrupt_not_password);
	tcase_add_test(tc, wrong_mac_skips_costly_probes);
	tcase_add_test(tc, file_budget_exhausted_is_not_wrong_password);
	tcase_add_test(tc, run_budget_shared_by_threads);
	tcase_add_test(tc, budget_refusal_is_skipped_by_policy_not_damaged);
	tcase_add_test(tc, powershell_password_file_opens_pfx);
	tcase_add_test(tc, truncated_and_not_pfx);
	tcase_add_test(tc, unsupported_algorithms_are_named);
	tcase_add_test(tc, dpapi_ng_is_named_never_wrong_password);
	tcase_add_test(tc, legacy_provider_missing_is_named);
	tcase_add_test(tc, password_never_in_findings_or_reports);
	tcase_add_test(tc, report_json_fields);
	tcase_add_test(tc, cert_files_der_pem_p7b);
	tcase_add_test(tc, pem_keys_are_checked_not_trusted);
	tcase_add_test(tc, cert_file_rejects_pfx_and_text);
	suite_add_tcase(s, tc);
	tcase_add_test(tp, password_file_crlf_bom_and_empty_lines);
	tcase_add_test(tp, password_file_encodings);
	tcase_add_test(tp, password_file_bad_encodings_name_the_line);
	tcase_add_test(tp, password_sources_in_documented_order);
	tcase_add_test(tp, prompt_without_terminal_is_clear_error);
	tcase_add_test(tp, duplicates_and_limits);
	tcase_add_test(tp, candidate_cap_is_one_error_naming_the_cap);
	suite_add_tcase(s, tp);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
