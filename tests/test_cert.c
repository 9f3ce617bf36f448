/*
 * test_cert.c - X.509 facts: thumbprints, names, validity, key, usages,
 * self-signature and the Shielded VM subject pattern.
 *
 * Certificates are generated at test time with the openssl command-line
 * tool, which also serves as the oracle for thumbprints and serials.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/x509.h>

#include "formats/cert.h"
#include "report/cert_report.h"
#include "support/kp_writer.h"
#include "support/testutil.h"
#include "util/xalloc.h"

#define TEN_YEARS_DAYS 3650

/* Generates a self-signed RSA-2048 certificate dir/name.der (key dir/name.key). */
static void gen_self(const char *dir, const char *name, const char *subj, const char *ext)
{
	int rc = tu_sh("cd '%s' && openssl req -x509 -newkey rsa:2048 -nodes -keyout %s.key "
		       "-out %s.der -outform DER -days %d -subj \"%s\" %s >/dev/null 2>&1",
		       dir, name, name, TEN_YEARS_DAYS, subj, ext ? ext : "");
	ck_assert_int_eq(rc, 0);
}

/* Runs an openssl x509 query on dir/name.der and returns the value after '='. */
static char *x509_query(const char *dir, const char *name, const char *opt)
{
	char *out = tu_join(dir, "query.txt");
	int rc = tu_sh("cd '%s' && openssl x509 -inform DER -in %s.der -noout %s > query.txt",
		       dir, name, opt);
	ck_assert_int_eq(rc, 0);
	size_t n;
	uint8_t *b = tu_read(out, &n);
	ck_assert_ptr_nonnull(b);
	free(out);
	char *s = (char *)b;
	char *eq = strchr(s, '=');
	ck_assert_ptr_nonnull(eq);
	char *v = xstrdup(eq + 1);
	free(b);
	size_t l = strlen(v);
	while (l && isspace((unsigned char)v[l - 1]))
		v[--l] = '\0';
	return v;
}

/* "AA:BB:..." -> "AABB..." in place. */
static void strip_colons(char *s)
{
	char *w = s;
	for (char *r = s; *r; r++)
		if (*r != ':')
			*w++ = *r;
	*w = '\0';
}

static hv_err load(const char *dir, const char *name, hv_cert *c, hv_findings *f)
{
	char file[256];
	snprintf(file, sizeof(file), "%s.der", name);
	char *path = tu_join(dir, file);
	size_t n;
	uint8_t *der = tu_read(path, &n);
	ck_assert_ptr_nonnull(der);
	hv_err e = cert_from_der(der, n, c, path, 0, f);
	free(der);
	free(path);
	return e;
}

START_TEST(shielded_encryption_certificate)
{
	if (!tu_have("openssl"))
		TEST_SKIP("openssl command-line tool not available");
	char *dir = tu_mkdtemp();
	gen_self(dir, "enc", "/CN=Shielded VM Encryption Certificate (Guardian) (HV-HOST01)",
		 NULL);
	hv_findings f = { 0 };
	hv_cert c;
	ck_assert_int_eq(load(dir, "enc", &c, &f), HV_OK);
	ck_assert_uint_eq(f.n, 0);
	ck_assert_int_eq(c.role, CERT_ROLE_ENCRYPTION);
	ck_assert_str_eq(cert_role_name(c.role), "encryption");
	ck_assert_str_eq(c.guardian, "Guardian");
	ck_assert_str_eq(c.host, "HV-HOST01");
	ck_assert_str_eq(c.subject,
			 "CN=Shielded VM Encryption Certificate (Guardian) (HV-HOST01)");
	ck_assert_str_eq(c.subject, c.issuer);
	ck_assert(c.self_signed);
	ck_assert_str_eq(c.key_alg, "RSA");
	ck_assert_int_eq(c.key_bits, 2048);
	ck_assert_str_eq(c.sig_alg, "sha256WithRSAEncryption");

	char *fp = x509_query(dir, "enc", "-fingerprint -sha1");
	strip_colons(fp);
	ck_assert_str_eq(c.thumbprint, fp);
	free(fp);
	fp = x509_query(dir, "enc", "-fingerprint -sha256");
	strip_colons(fp);
	for (char *p = fp; *p; p++)
		*p = (char)tolower((unsigned char)*p);
	ck_assert_str_eq(c.sha256, fp);
	free(fp);
	char *serial = x509_query(dir, "enc", "-serial");
	ck_assert_str_eq(c.serial, serial);
	free(serial);

	time_t now = time(NULL);
	long left = cert_days_left(&c, now);
	ck_assert(left >= TEN_YEARS_DAYS - 2 && left <= TEN_YEARS_DAYS);
	ck_assert(c.not_before <= now + 60 && c.not_before >= now - 3600);
	ck_assert_uint_eq(strlen(c.not_after_iso), 20);
	ck_assert_int_eq(c.not_after_iso[19], 'Z');
	ck_assert_int_lt(cert_days_left(&c, c.not_after + 1), 0);
	ck_assert_int_eq(cert_days_left(&c, c.not_after), 0);

	/* JSON rendering carries the same facts. */
	json_object *j = cert_report_json(&c, c.not_after - 86400 * 10);
	json_object *v;
	ck_assert(json_object_object_get_ex(j, "thumbprint_sha1", &v));
	ck_assert_str_eq(json_object_get_string(v), c.thumbprint);
	ck_assert(json_object_object_get_ex(j, "days_left", &v));
	ck_assert_int_eq(json_object_get_int(v), 10);
	ck_assert(json_object_object_get_ex(j, "guardian", &v));
	ck_assert_str_eq(json_object_get_string(v), "Guardian");
	ck_assert(json_object_object_get_ex(j, "self_signed", &v));
	ck_assert(json_object_get_boolean(v));
	json_object_put(j);
	char *txt = NULL;
	size_t tlen = 0;
	FILE *mf = open_memstream(&txt, &tlen);
	cert_report_text(mf, &c, c.not_after + 86400 * 3, "  ");
	fclose(mf);
	ck_assert_ptr_nonnull(strstr(txt, c.thumbprint));
	ck_assert_ptr_nonnull(strstr(txt, "expired 3 days ago"));
	ck_assert_ptr_nonnull(strstr(txt, "  host:"));
	free(txt);

	/* The same certificate through cert_from_x509 gives the same facts. */
	hv_cert d;
	ck_assert_int_eq(cert_from_x509(c.x509, &d), HV_OK);
	ck_assert_str_eq(d.thumbprint, c.thumbprint);
	ck_assert_uint_eq(d.der_len, c.der_len);
	ck_assert_int_eq(memcmp(d.der, c.der, c.der_len), 0);
	cert_free(&d);
	cert_free(&c);
	ck_assert_ptr_null(c.x509);
	findings_free(&f);
	tu_rmtree(dir);
	free(dir);
}
END_TEST

START_TEST(guardian_name_with_parentheses)
{
	if (!tu_have("openssl"))
		TEST_SKIP("openssl command-line tool not available");
	char *dir = tu_mkdtemp();
	gen_self(dir, "sig", "/CN=Shielded VM Signing Certificate (Lab (old) guardian) (hv02)",
		 NULL);
	hv_findings f = { 0 };
	hv_cert c;
	ck_assert_int_eq(load(dir, "sig", &c, &f), HV_OK);
	ck_assert_int_eq(c.role, CERT_ROLE_SIGNING);
	ck_assert_str_eq(c.guardian, "Lab (old) guardian");
	ck_assert_str_eq(c.host, "hv02");
	cert_free(&c);
	findings_free(&f);
	tu_rmtree(dir);
	free(dir);
}
END_TEST

START_TEST(non_pattern_subject_and_usages)
{
	if (!tu_have("openssl"))
		TEST_SKIP("openssl command-line tool not available");
	char *dir = tu_mkdtemp();
	gen_self(dir, "hgs", "/O=Contoso/CN=HGS Encryption hgs.contoso.test",
		 "-addext 'keyUsage=critical,digitalSignature,dataEncipherment' "
		 "-addext 'extendedKeyUsage=serverAuth,1.3.6.1.4.1.311.99.1'");
	hv_findings f = { 0 };
	hv_cert c;
	ck_assert_int_eq(load(dir, "hgs", &c, &f), HV_OK);
	ck_assert_int_eq(c.role, CERT_ROLE_OTHER);
	ck_assert_ptr_null(c.guardian);
	ck_assert_ptr_null(c.host);
	ck_assert_str_eq(c.subject, "CN=HGS Encryption hgs.contoso.test,O=Contoso");
	ck_assert_str_eq(c.key_usage, "digitalSignature,dataEncipherment");
	ck_assert_str_eq(c.ext_key_usage, "serverAuth,1.3.6.1.4.1.311.99.1");
	ck_assert(c.self_signed);
	cert_free(&c);

	/* No KU/EKU extension: empty strings, never NULL. */
	gen_self(dir, "plain", "/CN=plain", "-addext 'basicConstraints=CA:FALSE'");
	ck_assert_int_eq(load(dir, "plain", &c, &f), HV_OK);
	ck_assert_str_eq(c.key_usage, "");
	ck_assert_str_eq(c.ext_key_usage, "");
	cert_free(&c);
	ck_assert_uint_eq(f.n, 0);
	findings_free(&f);
	tu_rmtree(dir);
	free(dir);
}
END_TEST

START_TEST(ca_signed_is_not_self_signed)
{
	if (!tu_have("openssl"))
		TEST_SKIP("openssl command-line tool not available");
	char *dir = tu_mkdtemp();
	gen_self(dir, "ca", "/CN=Same Name", NULL);
	/* Leaf A: different subject, signed by the CA. Leaf B: same name as the CA
	 * (issuer == subject) but its own key did not sign it. */
	int rc = tu_sh("cd '%s' && (openssl x509 -inform DER -in ca.der -out ca.pem && "
		       "openssl req -new -newkey rsa:2048 -nodes -keyout a.key -subj '/CN=Leaf A' "
		       "-out a.csr && openssl x509 -req -in a.csr -CA ca.pem -CAkey ca.key "
		       "-CAcreateserial -days 30 -outform DER -out a.der && "
		       "openssl req -new -newkey rsa:2048 -nodes -keyout b.key "
		       "-subj '/CN=Same Name' "
		       "-out b.csr && openssl x509 -req -in b.csr -CA ca.pem -CAkey ca.key "
		       "-CAcreateserial -days 30 -outform DER -out b.der) >/dev/null 2>&1",
		       dir);
	(void)rc;
	rc = tu_sh("cd '%s' && test -s a.der && test -s b.der", dir);
	ck_assert_int_eq(rc, 0);
	hv_findings f = { 0 };
	hv_cert a, b, ca;
	ck_assert_int_eq(load(dir, "ca", &ca, &f), HV_OK);
	ck_assert_int_eq(load(dir, "a", &a, &f), HV_OK);
	ck_assert_int_eq(load(dir, "b", &b, &f), HV_OK);
	ck_assert(ca.self_signed);
	ck_assert(!a.self_signed);
	ck_assert_str_eq(a.issuer, "CN=Same Name");
	ck_assert_str_eq(b.issuer, b.subject);
	ck_assert(!b.self_signed);
	ck_assert_str_ne(a.thumbprint, ca.thumbprint);
	long left = cert_days_left(&a, time(NULL));
	ck_assert(left >= 28 && left <= 30);
	cert_free(&a);
	cert_free(&b);
	cert_free(&ca);
	findings_free(&f);
	tu_rmtree(dir);
	free(dir);
}
END_TEST

START_TEST(garbage_truncated_and_trailing_der)
{
	if (!tu_have("openssl"))
		TEST_SKIP("openssl command-line tool not available");
	char *dir = tu_mkdtemp();
	gen_self(dir, "c", "/CN=Shielded VM Signing Certificate (G) (H)", NULL);
	char *path = tu_join(dir, "c.der");
	size_t n;
	uint8_t *der = tu_read(path, &n);
	ck_assert_ptr_nonnull(der);
	hv_findings f = { 0 };
	hv_cert c;

	uint8_t junk[64];
	for (size_t i = 0; i < sizeof junk; i++)
		junk[i] = (uint8_t)(i * 37 + 11);
	ck_assert_int_eq(cert_from_der(junk, sizeof junk, &c, "junk.der", 0x40, &f), HV_ERR_FORMAT);
	ck_assert_ptr_null(c.x509);
	ck_assert_uint_eq(f.n, 1);
	ck_assert_str_eq(f.v[0].file, "junk.der");
	ck_assert_uint_eq(f.v[0].offset, 0x40);
	ck_assert_int_eq(f.v[0].sev, HV_SEV_ERROR);

	ck_assert_int_eq(cert_from_der(der, n - 1, &c, "trunc.der", 0, &f), HV_ERR_FORMAT);
	ck_assert_int_eq(cert_from_der(der, n / 2, &c, "trunc.der", 0, &f), HV_ERR_FORMAT);
	ck_assert_int_eq(cert_from_der(der, 0, &c, "empty.der", 0, &f), HV_ERR_FORMAT);
	ck_assert_uint_eq(f.n, 4);

	/* Trailing bytes: the certificate is kept, the extra bytes reported. */
	uint8_t *more = xmalloc(n + 5);
	memcpy(more, der, n);
	memset(more + n, 0xEE, 5);
	ck_assert_int_eq(cert_from_der(more, n + 5, &c, "trail.der", 0, &f), HV_OK);
	ck_assert_uint_eq(c.der_len, n);
	ck_assert_uint_eq(f.n, 5);
	ck_assert_int_eq(f.v[4].sev, HV_SEV_WARN);
	ck_assert_ptr_nonnull(strstr(f.v[4].msg, "5 bytes"));
	ck_assert_int_eq(c.role, CERT_ROLE_SIGNING);
	cert_free(&c);
	free(more);
	free(der);
	free(path);
	findings_free(&f);
	tu_rmtree(dir);
	free(dir);
}
END_TEST

START_TEST(shielded_cn_parser)
{
	cert_role r;
	char *g, *h;
	ck_assert(cert_parse_shielded_cn(
		"Shielded VM Encryption Certificate (UntrustedGuardian) (A)", &r, &g, &h));
	ck_assert_int_eq(r, CERT_ROLE_ENCRYPTION);
	ck_assert_str_eq(g, "UntrustedGuardian");
	ck_assert_str_eq(h, "A");
	free(g);
	free(h);
	ck_assert(cert_parse_shielded_cn("Shielded VM Signing Certificate (a) (b) (c)", &r, &g,
					 &h));
	ck_assert_str_eq(g, "a) (b");
	ck_assert_str_eq(h, "c");
	free(g);
	free(h);
	static const char *const bad[] = {
		"Shielded VM Signing Certificate (guardian)",
		"Shielded VM Signing Certificate (guardian) (host) extra",
		"Shielded VM Signing Certificate () (host)",
		"Shielded VM Signing Certificate (g) ()",
		"Shielded VM Signing Certificate (g) (h(x))",
		"Shielded VM Signing Certificate guardian host",
		"Shielded VM Other Certificate (g) (h)",
		"shielded vm signing certificate (g) (h)",
		"HGS Signing",
		"",
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		ck_assert_msg(!cert_parse_shielded_cn(bad[i], &r, &g, &h), "accepted '%s'", bad[i]);
		ck_assert_int_eq(r, CERT_ROLE_OTHER);
		ck_assert_ptr_null(g);
		ck_assert_ptr_null(h);
	}
	ck_assert(!cert_parse_shielded_cn(NULL, &r, &g, &h));
	ck_assert_str_eq(cert_role_name(CERT_ROLE_SIGNING), "signing");
	ck_assert_str_eq(cert_role_name(CERT_ROLE_OTHER), "other");
}
END_TEST

START_TEST(windows_length_subject)
{
	/* Real subjects exceed the 64-character CN bound the openssl tool enforces, so this
	 * one is made through the OpenSSL API; the tool still serves as the oracle. */
	if (!tu_have("openssl"))
		TEST_SKIP("openssl command-line tool not available");
	static const char cn[] =
		"Shielded VM Encryption Certificate (UntrustedGuardian) "
		"(HV-HOST-0001.contoso.test)";
	kpw_cert *k = kpw_cert_new(cn, 2048, TEN_YEARS_DAYS, NULL);
	char *dir = tu_mkdtemp();
	char *path = tu_join(dir, "long.der");
	tu_write(path, k->der, k->der_len);
	hv_findings f = { 0 };
	hv_cert c;
	ck_assert_int_eq(load(dir, "long", &c, &f), HV_OK);
	ck_assert_int_eq(c.role, CERT_ROLE_ENCRYPTION);
	ck_assert_str_eq(c.guardian, "UntrustedGuardian");
	ck_assert_str_eq(c.host, "HV-HOST-0001.contoso.test");
	ck_assert(c.self_signed);
	ck_assert_str_eq(c.key_usage, "digitalSignature,keyEncipherment,dataEncipherment");
	char *fp = x509_query(dir, "long", "-fingerprint -sha1");
	strip_colons(fp);
	ck_assert_str_eq(c.thumbprint, fp);
	free(fp);
	long left = cert_days_left(&c, time(NULL));
	ck_assert(left == TEN_YEARS_DAYS - 1 || left == TEN_YEARS_DAYS - 2);
	ck_assert_int_eq(c.not_after - c.not_before, (time_t)TEN_YEARS_DAYS * 86400);
	cert_free(&c);
	findings_free(&f);
	free(path);
	tu_rmtree(dir);
	free(dir);
	kpw_cert_free(k);
}
END_TEST

START_TEST(escape_for_terminal)
{
	/* C0, DEL, invalid UTF-8 as \xNN; C1 (NEL) and RLO as \uNNNN; a backslash kept. */
	char *e = cert_report_escape("CN=a\x1b[31m\x7f\xc3\xa9\xff\xc0\x80\xc2\x85z\\"
				     "\xe2\x80\xae");
	ck_assert_str_eq(e, "CN=a\\x1B[31m\\x7F\xc3\xa9\\xFF\\xC0\\x80\\u0085z\\\\u202E");
	free(e);
	e = cert_report_escape(NULL);
	ck_assert_str_eq(e, "-");
	free(e);
	ck_assert_ptr_null(cert_report_json(NULL, 0));
}
END_TEST

int main(void)
{
	Suite *s = suite_create("cert");
	TCase *tc = tcase_create("core");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, shielded_encryption_certificate);
	tcase_add_test(tc, guardian_name_with_parentheses);
	tcase_add_test(tc, non_pattern_subject_and_usages);
	tcase_add_test(tc, ca_signed_is_not_self_signed);
	tcase_add_test(tc, garbage_truncated_and_trailing_der);
	tcase_add_test(tc, shielded_cn_parser);
	tcase_add_test(tc, escape_for_terminal);
	tcase_add_test(tc, windows_length_subject);
	suite_add_tcase(s, tc);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
