/*
 * test_html.c - hvtpm audit|diagnose --format html: the escaper, the page's
 * structure (parsed as XML with libxml2: the page is written well-formed),
 * determinism, and the page in a real browser.
 *
 * The browser tests load each page in headless Chromium (Debian's chromium
 * package, driven by tests/browser/check.cjs with playwright-core; both are
 * installed by scripts/test-deps.sh) and check the DOM against the CLI's own
 * JSON: verdict tiles, VM rows, the filter and the sorting; that no request
 * leaves the page and no CSP violation occurs; that the text of closed
 * <details> is laid out under print media; that a hostile VM name, file
 * name or certificate host never runs (window.__pwned stays unset); and
 * that markup injected past the escaper is still inert under the page's
 * Content-Security-Policy.  They FAIL when Chromium is missing: make check
 * installs it.  The samples' audit is saved as <build>/report-audit.png.
 */
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <json-c/json.h>
#include <libxml/parser.h>
#include <libxml/xpath.h>
#include <openssl/evp.h>
#include <openssl/pkcs12.h>

#include "analysis/verdict.h"
#include "report/html_assets.h"
#include "report/html_escape.h"
#include "support/hvs_writer.h"
#include "support/kp_writer.h"
#include "support/testutil.h"
#include "util/fileio.h"
#include "util/ossl.h"
#include "util/text.h"

#define AT "2026-10-01"
#define EPOCH "SOURCE_DATE_EPOCH=1790000000"
#define HOSTILE_PW "hostile-pw-Zq8-never-printed"
#define DEV_GUEST_STATE "917bd8cb-3bb6-4124-9383-b7d21ac07f79"
#define DEV_VTPM "736e6aa9-a3f8-49c0-9550-a963214d259a"
#define HOSTILE_ID "11111111-2222-4333-8444-555555555555"

/* A VM name, a certificate host and two file names an attacker chose. */
static const char hostile_name[] =
	"<script>window.__pwned=1</script><img src=x onerror=\"window.__pwned=2\">'\"&amp; "
	"\xE2\x80\xAE\x1B[31mevil\xC2\x85\xE2\x80\xA8";
static const char hostile_name_shown[] =
	"<script>window.__pwned=1</script><img src=x onerror=\"window.__pwned=2\">'\"&amp; "
	"\\u202E\\x1B[31mevil\\u0085\\u2028";
static const char hostile_host[] = "<svg onload=window.__pwned=3>\"'&\xE2\x80\xAE";
static const char hostile_host_shown[] = "<svg onload=window.__pwned=3>\"'&\\u202E";
static const char hostile_pfx[] =
	"Shielded_VM_Encryption_Certificate_(UntrustedGuardian)_(x)"
	"<img src=x onerror=window.__pwned=4>\"'&\xE2\x80\xAE\x1B[31m\xFF.pfx";
static const char hostile_kp[] = "<b onmouseover=window.__pwned=5>kp\xE2\x80\xAE\x1B\xFF.kp";

/* ---- helpers ------------------------------------------------------------------------- */

static char *build_dir(void)
{
	char *b = strdup(tu_bin());
	char *d = strdup(dirname(b));
	free(b);
	return d;
}

static char *samples(void)
{
	return tu_join(tu_srcdir(), "samples");
}

static char *sample_passwords(void)
{
	return tu_join(tu_srcdir(), "samples/passwords.txt");
}

/* hvtpm CMD --format FMT --password-file PW [--at AT] PATH with SOURCE_DATE_EPOCH. */
static tu_run_result run(const char *cmd, const char *fmt, const char *pw, const char *at,
			 const char *path)
{
	char *argv[16];
	size_t n = 0;
	argv[n++] = (char *)tu_bin();
	argv[n++] = (char *)cmd;
	argv[n++] = "-q";
	argv[n++] = "--format";
	argv[n++] = (char *)fmt;
	argv[n++] = "--password-file";
	argv[n++] = (char *)pw;
	if (at) {
		argv[n++] = "--at";
		argv[n++] = (char *)at;
	}
	argv[n++] = (char *)path;
	argv[n] = NULL;
	char *env[] = { EPOCH, NULL };
	tu_run_result r = tu_run(argv, env, NULL);
	ck_assert_msg(r.status <= 4, "hvtpm %s exited %d: %s", cmd, r.status, r.err);
	return r;
}

static tu_run_result samples_page(const char *cmd)
{
	char *s = samples(), *pw = sample_passwords();
	tu_run_result r = run(cmd, "html", pw, AT, s);
	free(s);
	free(pw);
	return r;
}

static json_object *samples_json(const char *cmd)
{
	char *s = samples(), *pw = sample_passwords();
	tu_run_result r = run(cmd, "json", pw, AT, s);
	json_object *j = json_tokener_parse(r.out);
	ck_assert_ptr_nonnull(j);
	tu_run_free(&r);
	free(s);
	free(pw);
	return j;
}

static json_object *jget(json_object *o, const char *key)
{
	json_object *v = NULL;
	ck_assert_msg(json_object_object_get_ex(o, key, &v), "no key %s", key);
	return v;
}

static char *write_tmp(const char *dir, const char *name, const char *data, size_t len)
{
	char *p = tu_join(dir, name);
	tu_write(p, data, len);
	return p;
}

/* The page as XML (it is written well-formed), with an XPath context. */
typedef struct {
	xmlDocPtr doc;
	xmlXPathContextPtr xp;
} xdoc;

static xdoc xparse(const char *s, size_t len)
{
	xdoc d;
	d.doc = xmlReadMemory(s, (int)len, "report.html", "UTF-8", XML_PARSE_NONET | XML_PARSE_HUGE);
	ck_assert_msg(d.doc != NULL, "the page is not well-formed XML");
	d.xp = xmlXPathNewContext(d.doc);
	return d;
}

static void xfree(xdoc *d)
{
	xmlXPathFreeContext(d->xp);
	xmlFreeDoc(d->doc);
}

static double xnum(xdoc *d, const char *expr)
{
	xmlXPathObjectPtr r = xmlXPathEvalExpression(BAD_CAST expr, d->xp);
	ck_assert_msg(r != NULL, "bad XPath %s", expr);
	double v = xmlXPathCastToNumber(r);
	xmlXPathFreeObject(r);
	return v;
}

static char *xstr(xdoc *d, const char *expr)
{
	xmlXPathObjectPtr r = xmlXPathEvalExpression(BAD_CAST expr, d->xp);
	ck_assert_msg(r != NULL, "bad XPath %s", expr);
	xmlChar *s = xmlXPathCastToString(r);
	xmlXPathFreeObject(r);
	char *out = strdup((const char *)s);
	xmlFree(s);
	return out;
}

/* The verdict enum value of a verdict name (as verdict_name spells it). */
static int verdict_rank(const char *name)
{
	for (int k = 0; k <= V_REBUILD_DATA_LOSS; k++)
		if (strcmp(verdict_name((verdict_kind)k), name) == 0)
			return k;
	ck_abort_msg("unknown verdict %s", name);
	return -1;
}

/* 'sha256-<base64>' of s, as the CSP names an inline block. */
static void csp_hash(const char *s, char out[64])
{
	uint8_t dig[32];
	hv_sha256(s, strlen(s), dig);
	unsigned char b64[48];
	EVP_EncodeBlock(b64, dig, 32);
	snprintf(out, 64, "'sha256-%s'", (const char *)b64);
}

/* What any page must be: self-contained, one script and one style, both in the CSP. */
static void assert_self_contained(xdoc *d, const char *raw)
{
	ck_assert_double_eq(xnum(d, "count(//script)"), 1);
	ck_assert_double_eq(xnum(d, "count(//style)"), 1);
	ck_assert_double_eq(xnum(d, "count(//@*[starts-with(translate(name(),'ON','on'),'on')])"), 0);
	ck_assert_double_eq(xnum(d, "count(//@src|//@srcset|//@action|//@formaction|//@style)"), 0);
	ck_assert_double_eq(xnum(d, "count(//@href[not(starts-with(., '#'))])"), 0);
	ck_assert_double_eq(xnum(d, "count(//@*[local-name()='href'][not(starts-with(., '#'))])"), 0);
	ck_assert_double_eq(xnum(d, "count(//link|//img|//iframe|//object|//embed|//form|//base|"
				    "//audio|//video|//image|//use|//foreignObject)"), 0);
	ck_assert_ptr_null(strstr(raw, "http:"));
	ck_assert_ptr_null(strstr(raw, "https:"));
	ck_assert_ptr_null(strstr(raw, "@import"));
	for (const char *p = raw; (p = strstr(p, "url(")); p += 4)
		ck_assert_msg(p[4] == '#', "url() that is not a fragment: %.40s", p);
	char *csp = xstr(d, "string(//meta[@http-equiv='Content-Security-Policy']/@content)");
	ck_assert_str_eq(csp, html_csp());
	ck_assert_ptr_nonnull(strstr(csp, "default-src 'none'"));
	char *js = xstr(d, "string(//script)"), *css = xstr(d, "string(//style)");
	ck_assert_str_eq(js, html_js);
	ck_assert_str_eq(css, html_css);
	char h[64];
	csp_hash(js, h);
	ck_assert_msg(strstr(csp, h) && strstr(strstr(csp, "script-src"), h), "script hash");
	csp_hash(css, h);
	ck_assert_msg(strstr(csp, h) && strstr(strstr(csp, "style-src"), h), "style hash");
	ck_assert_ptr_null(strstr(csp, "unsafe"));
	free(csp);
	free(js);
	free(css);
}

/* ---- the escaper --------------------------------------------------------------------- */

START_TEST(escape_markup_quotes_controls_bidi_and_bad_utf8)
{
	static const struct {
		const char *in, *out;
	} cases[] = {
		{ "web01", "web01" },
		{ "<script>alert(1)</script>", "&lt;script&gt;alert(1)&lt;/script&gt;" },
		{ "a\"b'c&d", "a&quot;b&#39;c&amp;d" },
		{ "&amp;", "&amp;amp;" },
		{ "tab\tnl\ncr\r", "tab\\x09nl\\x0Acr\\x0D" },
		{ "\x1B[31mred\x7F", "\\x1B[31mred\\x7F" },
		{ "c1\xC2\x85\xC2\x9B", "c1\\u0085\\u009B" },
		{ "rlo\xE2\x80\xAEgpj.exe", "rlo\\u202Egpj.exe" },
		{ "\xE2\x81\xA6iso\xE2\x81\xA9", "\\u2066iso\\u2069" },
		{ "ls\xE2\x80\xA8ps\xE2\x80\xA9", "ls\\u2028ps\\u2029" },
		{ "zw\xE2\x80\x8B\xEF\xBB\xBF", "zw\\u200B\\uFEFF" },
		{ "tag\xF3\xA0\x80\x81", "tag\\u{E0001}" },
		{ "nc\xEF\xBF\xBE\xEF\xB7\x90", "nc\\uFFFE\\uFDD0" },
		{ "bad\xFF\xC0\x80", "bad\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD" },
		{ "cut\xE2\x82", "cut\xEF\xBF\xBD\xEF\xBF\xBD" },
		{ "sur\xED\xA0\x80", "sur\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD" },
		{ "caf\xC3\xA9 \xE6\x97\xA5\xE6\x9C\xAC \xD7\xA9\xD7\x9C\xD7\x95\xD7\x9D \xF0\x9F\x94\x91",
		  "caf\xC3\xA9 \xE6\x97\xA5\xE6\x9C\xAC \xD7\xA9\xD7\x9C\xD7\x95\xD7\x9D \xF0\x9F\x94\x91" },
		{ "zwj\xE2\x80\x8D", "zwj\xE2\x80\x8D" },
		{ "", "" },
	};
	for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
		char *e = html_escape(cases[i].in);
		ck_assert_msg(strcmp(e, cases[i].out) == 0, "case %zu: got '%s'", i, e);
		free(e);
	}
	char *e = html_escape(NULL);
	ck_assert_str_eq(e, "");
	free(e);
}
END_TEST

/* Whatever the bytes: valid UTF-8, no markup character, every & an entity, XML text. */
START_TEST(escape_output_is_inert_for_any_bytes)
{
	static const char *const ents[] = { "&amp;", "&lt;", "&gt;", "&quot;", "&#39;" };
	uint64_t x = 0x9E3779B97F4A7C15ull;
	for (int round = 0; round < 3000; round++) {
		char in[64];
		size_t n = 1 + (size_t)(round % 63);
		for (size_t i = 0; i < n; i++) {
			x ^= x << 13;
			x ^= x >> 7;
			x ^= x << 17;
			static const char pool[] = "<>&\"'\x1B\x7F\xC2\x85\xE2\x80\xAE\xFF\xED\xA0" "a";
			in[i] = (x >> 60) & 1 ? (char)(x >> 8) : pool[(x >> 16) % (sizeof pool - 1)];
			if (!in[i])
				in[i] = 'z';
		}
		in[n] = '\0';
		char *e = html_escape(in);
		size_t len = strlen(e);
		ck_assert(utf8_valid(e, len));
		ck_assert_ptr_null(strpbrk(e, "<>\"'"));
		for (const char *p = e; (p = strchr(p, '&')); p++) {
			bool ok = false;
			for (size_t k = 0; k < 5; k++)
				ok |= strncmp(p, ents[k], strlen(ents[k])) == 0;
			ck_assert_msg(ok, "bare & in '%s'", e);
		}
		for (size_t i = 0; i < len;) {
			uint32_t cp;
			size_t m = utf8_next(e + i, len - i, &cp);
			ck_assert(m > 0);
			ck_assert_msg(!html_cp_hidden(cp), "U+%04X left in '%s'", cp, e);
			i += m;
		}
		char doc[1024];
		int dl = snprintf(doc, sizeof doc, "<p a=\"%s\" b='%s'>%s</p>", e, e, e);
		xmlDocPtr d = xmlReadMemory(doc, dl, "x.xml", "UTF-8", XML_PARSE_NONET);
		ck_assert_msg(d != NULL, "not XML text: %s", e);
		xmlFreeDoc(d);
		free(e);
	}
}
END_TEST

START_TEST(truncate_counts_characters)
{
	char *t = html_truncate("HV2016-03.contoso.example", 9);
	ck_assert_str_eq(t, "HV2016-03\xE2\x80\xA6");
	free(t);
	t = html_truncate("\xE6\x97\xA5\xE6\x9C\xAC\xE8\xAA\x9E", 2); /* three CJK characters */
	ck_assert_str_eq(t, "\xE6\x97\xA5\xE6\x9C\xAC\xE2\x80\xA6");
	free(t);
	t = html_truncate("short", 9);
	ck_assert_str_eq(t, "short");
	free(t);
	t = html_truncate("\xFF\xFE\xFD", 2);
	ck_assert_str_eq(t, "\xFF\xFE\xE2\x80\xA6");
	free(t);
}
END_TEST

/* ---- the page without a browser ------------------------------------------------------ */

START_TEST(audit_page_structure_matches_the_json)
{
	tu_run_result r = samples_page("audit");
	json_object *j = samples_json("audit");
	xdoc d = xparse(r.out, r.outlen);
	assert_self_contained(&d, r.out);
	ck_assert(strncmp(r.out, "<!DOCTYPE html>\n<html lang=\"en\">", 31) == 0);
	json_object *vms = jget(j, "vms"), *verdicts = jget(jget(j, "summary"), "verdicts");
	size_t n = json_object_array_length(vms);
	ck_assert_uint_eq(n, 9);
	/* the tiles: one per verdict, counts as in the JSON */
	ck_assert_double_eq(xnum(&d, "count(//ul[@class='tiles']/li)"), V_REBUILD_DATA_LOSS + 1);
	json_object_object_foreach(verdicts, name, count) {
		char q[256];
		snprintf(q, sizeof q, "number(//ul[@class='tiles']/li[@data-verdict='%s']/@data-count)",
			 name);
		ck_assert_double_eq(xnum(&d, q), json_object_get_int(count));
	}
	/* the VM table: every VM once, worst verdict first, reasons in <details> closed */
	ck_assert_double_eq(xnum(&d, "count(//table[@id='vm-table']/tbody/tr)"), (double)n);
	ck_assert_double_eq(xnum(&d, "count(//table[@id='vm-table']/caption)"), 1);
	ck_assert_double_eq(xnum(&d, "count(//table[@id='vm-table']/thead//th[@scope='col'])"), 7);
	int last = V_REBUILD_DATA_LOSS + 1;
	for (size_t i = 1; i <= n; i++) {
		char q[160];
		snprintf(q, sizeof q, "string(//table[@id='vm-table']/tbody/tr[%zu]/@data-verdict)", i);
		char *v = xstr(&d, q);
		int k = verdict_rank(v);
		ck_assert_int_le(k, last);
		last = k;
		free(v);
	}
	for (size_t i = 0; i < n; i++) {
		json_object *vm = json_object_array_get_idx(vms, i);
		const char *id = json_object_get_string(jget(vm, "id"));
		char q[256];
		snprintf(q, sizeof q, "string(//table[@id='vm-table']/tbody/tr[td[2]='%s']/@data-verdict)",
			 id);
		char *v = xstr(&d, q);
		ck_assert_str_eq(v, json_object_get_string(jget(vm, "verdict")));
		free(v);
		snprintf(q, sizeof q, "count(//details[@class='vm'][summary/h3[contains(., '%s')]])",
			 id);
		ck_assert_double_eq(xnum(&d, q), 1);
	}
	ck_assert_double_eq(xnum(&d, "count(//details)"), (double)n);
	ck_assert_double_eq(xnum(&d, "count(//details[@open])"), 0);
	ck_assert_double_eq(xnum(&d, "count(//details//ul[@class='reasons']/li)"),
			    xnum(&d, "count(//details//span[@class='conf' or @class='conf inf'])"));
	/* the certificate and evidence tables */
	json_object *certs = jget(j, "certificates"), *ev = jget(j, "evidence");
	ck_assert_double_eq(xnum(&d, "count(//table[@id='cert-table']/tbody/tr)"),
			    (double)json_object_array_length(certs));
	ck_assert_double_eq(xnum(&d, "count(//table[@id='evidence-table']/tbody/tr)"),
			    (double)json_object_array_length(ev));
	for (size_t i = 0; i < json_object_array_length(ev); i++) {
		json_object *f = json_object_array_get_idx(ev, i);
		json_object *sha = jget(f, "sha256");
		if (json_object_is_type(sha, json_type_string))
			ck_assert_ptr_nonnull(strstr(r.out, json_object_get_string(sha)));
	}
	/* the timeline: a bar per certificate a VM needs, the 2016 host's cliff marked */
	ck_assert_double_eq(xnum(&d, "count(//svg[@class='timeline']//g[@class='bar'])"), 14);
	ck_assert_double_eq(xnum(&d, "count(//svg[@class='timeline']//g[@class='bar']"
				     "[@data-status='expiring']/text[@class='hl'][contains(., 'HV2016-03')])"),
			    2);
	ck_assert_double_eq(xnum(&d, "count(//svg[@class='timeline']/line[@class='at'])"), 1);
	ck_assert_double_eq(xnum(&d, "count(//section[@id='expiry']//li[contains(., '2026-10-20')])"),
			    2);
	char *at = xstr(&d, "string(//dd[@id='evaluated-at'])");
	ck_assert_str_eq(at, AT "T00:00:00Z");
	free(at);
	xfree(&d);
	json_object_put(j);
	tu_run_free(&r);
}
END_TEST

START_TEST(pages_are_deterministic)
{
	static const char *const cmds[] = { "audit", "diagnose" };
	for (size_t i = 0; i < 2; i++) {
		tu_run_result a = samples_page(cmds[i]), b = samples_page(cmds[i]);
		ck_assert_uint_gt(a.outlen, 1000);
		ck_assert_uint_eq(a.outlen, b.outlen);
		ck_assert_msg(memcmp(a.out, b.out, a.outlen) == 0, "%s: two runs differ", cmds[i]);
		ck_assert_msg(strstr(a.out, "2026-09-21T14:13:20Z"), "%s: SOURCE_DATE_EPOCH", cmds[i]);
		ck_assert_int_eq(a.status, 2);
		tu_run_free(&a);
		tu_run_free(&b);
	}
}
END_TEST

START_TEST(diagnose_page_structure)
{
	tu_run_result r = samples_page("diagnose");
	xdoc d = xparse(r.out, r.outlen);
	assert_self_contained(&d, r.out);
	ck_assert_double_eq(xnum(&d, "count(//table[@id='vm-table']/tbody/tr)"), 9);
	ck_assert_double_eq(xnum(&d, "count(//details[@class='vm'])"), 9);
	ck_assert_double_eq(xnum(&d, "sum(//ul[@class='tiles']/li/@data-count)"), 9);
	char *h1 = xstr(&d, "string(//h1)");
	ck_assert_ptr_nonnull(strstr(h1, "diagnose"));
	free(h1);
	xfree(&d);
	tu_run_free(&r);

	/* --vm: one VM, and only the certificates it needs */
	char *s = samples(), *pw = sample_passwords();
	char *argv[] = { (char *)tu_bin(), "diagnose", "-q", "--format", "html", "--password-file",
			 pw, "--at", AT, "--vm", "sql01", s, NULL };
	char *env[] = { EPOCH, NULL };
	r = tu_run(argv, env, NULL);
	ck_assert_int_eq(r.status, 1);
	d = xparse(r.out, r.outlen);
	ck_assert_double_eq(xnum(&d, "count(//table[@id='vm-table']/tbody/tr)"), 1);
	ck_assert_double_eq(xnum(&d, "count(//table[@id='cert-table']/tbody/tr)"), 2);
	ck_assert_double_eq(xnum(&d, "count(//svg[@class='timeline']//g[@class='bar'])"), 2);
	xfree(&d);
	tu_run_free(&r);
	free(s);
	free(pw);
}
END_TEST

START_TEST(format_html_is_for_diagnose_and_audit_only)
{
	char *s = samples();
	tu_run_result r = tu_hvtpm("audit", "--format", "htm", s, NULL);
	ck_assert_int_eq(r.status, 3);
	ck_assert_ptr_nonnull(strstr(r.err, "html"));
	tu_run_free(&r);
	r = tu_hvtpm("audit", "--format", "html", "--table", "certs", s, NULL);
	ck_assert_int_eq(r.status, 3);
	tu_run_free(&r);
	r = tu_hvtpm("inspect", "--format", "html", s, NULL);
	ck_assert_int_eq(r.status, 3);
	ck_assert_ptr_nonnull(strstr(r.err, "text or json"));
	tu_run_free(&r);
	r = tu_hvtpm("diagnose", "--format", "csv", s, NULL);
	ck_assert_int_eq(r.status, 3);
	ck_assert_ptr_nonnull(strstr(r.err, "text, json or html"));
	tu_run_free(&r);
	free(s);
}
END_TEST

/* ---- hostile evidence ---------------------------------------------------------------- */

static uint8_t *pfx_bytes(const kpw_cert *c, const char *pass, size_t *len)
{
	PKCS12 *p = PKCS12_create_ex((char *)pass, NULL, c->key, c->x509, NULL, NID_aes_256_cbc,
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

static uint8_t *vmcx_bytes(const char *name, size_t *len)
{
	kv_node *r = hvs_tree_new();
	char p[256], w[512];
	hvs_set_str(r, "configuration/properties/name", name);
	hvs_set_str(r, "configuration/properties/global_id", HOSTILE_ID);
	hvs_set_int(r, "configuration/properties/version", 0x0A00);
	hvs_set_int(r, "configuration/properties/subtype", 1);
	hvs_set_str(r, "configuration/manifest/vdev000/device", DEV_GUEST_STATE);
	hvs_set_str(r, "configuration/manifest/vdev000/instance", DEV_GUEST_STATE);
	hvs_set_str(r, "configuration/manifest/vdev000/name", "Microsoft Guest Runtime State");
	hvs_set_str(r, "configuration/manifest/vdev001/device", DEV_VTPM);
	hvs_set_str(r, "configuration/manifest/vdev001/instance", DEV_VTPM);
	hvs_set_str(r, "configuration/manifest/vdev001/name", "Microsoft Virtual TPM Device");
	snprintf(p, sizeof p, "configuration/_%s_/StateFilePath", DEV_GUEST_STATE);
	snprintf(w, sizeof w, "D:\\Hyper-V\\%s\\Virtual Machines\\%s.vmgs", name, HOSTILE_ID);
	hvs_set_str(r, p, w);
	hvs_set_bool(r, "configuration/security/settings/tpm_enabled", true);
	uint8_t *b = hvs_write(r, NULL, len);
	kv_free(r);
	ck_assert_ptr_nonnull(b);
	return b;
}

static uint8_t *vmgs_bytes(const uint8_t *kp, size_t kplen, size_t *len)
{
	size_t rlen;
	kv_node *r = hvs_tree_new();
	hvs_set_int(r, "configuration/properties/version", 0x0A00);
	hvs_set_bytes(r, "configuration/security/keys/key_protector", kp, kplen);
	uint8_t *repo = hvs_write(r, NULL, &rlen);
	kv_free(r);
	ck_assert_ptr_nonnull(repo);
	*len = 0x10000 + rlen;
	uint8_t *img = calloc(1, *len);
	memcpy(img, "GUESTRTS", 8);
	memcpy(img + 0x10000, repo, rlen);
	free(repo);
	return img;
}

/*
 * dir/evidence: a VM named hostile_name (configuration and guest state), its
 * guardian's host hostile_host, its encryption key in a PFX named hostile_pfx,
 * and the key protector again as a dump named hostile_kp (a second VM named
 * after the file).  dir/pw.txt holds HOSTILE_PW.
 */
static void hostile_evidence(const char *dir)
{
	kpw_guardian g = kpw_guardian_new("UntrustedGuardian", hostile_host, 3650);
	kpw_wrapping w = kpw_wrapping_for(&g, 1, 1);
	kpw_doc doc;
	memset(&doc, 0, sizeof doc);
	doc.max_offline_unwraps = -1;
	doc.guardian_wrapping_id = 1;
	doc.w = &w;
	doc.n = 1;
	size_t xl, kl, l;
	char *xml = kpw_xml(&doc, &xl);
	uint8_t *kp = kpw_frame(xml, xl, &kl);
	char p[512];
	uint8_t *b = vmcx_bytes(hostile_name, &l);
	snprintf(p, sizeof p, "evidence/vm/Virtual Machines/%s.vmcx", HOSTILE_ID);
	free(write_tmp(dir, p, (const char *)b, l));
	free(b);
	b = vmgs_bytes(kp, kl, &l);
	snprintf(p, sizeof p, "evidence/vm/Virtual Machines/%s.vmgs", HOSTILE_ID);
	free(write_tmp(dir, p, (const char *)b, l));
	free(b);
	snprintf(p, sizeof p, "evidence/dumps/%s", hostile_kp);
	free(write_tmp(dir, p, (const char *)kp, kl));
	b = pfx_bytes(g.encryption, HOSTILE_PW, &l);
	snprintf(p, sizeof p, "evidence/certs/%s", hostile_pfx);
	free(write_tmp(dir, p, (const char *)b, l));
	free(b);
	free(write_tmp(dir, "pw.txt", HOSTILE_PW "\n", strlen(HOSTILE_PW) + 1));
	free(kp);
	free(xml);
	kpw_guardian_free(&g);
}

static tu_run_result hostile_page(const char *dir, const char *cmd)
{
	char *pw = tu_join(dir, "pw.txt"), *ev = tu_join(dir, "evidence");
	tu_run_result r = run(cmd, "html", pw, NULL, ev);
	free(pw);
	free(ev);
	return r;
}

START_TEST(hostile_names_are_text_and_no_secret_appears)
{
	char *dir = tu_mkdtemp();
	hostile_evidence(dir);
	static const char *const cmds[] = { "audit", "diagnose" };
	for (size_t c = 0; c < 2; c++) {
		tu_run_result r = hostile_page(dir, cmds[c]);
		xdoc d = xparse(r.out, r.outlen);
		assert_self_contained(&d, r.out);
		ck_assert_double_eq(xnum(&d, "count(//table[@id='vm-table']/tbody/tr)"), 2);
		/* the name is exactly its visible form, as text, in the table and the details */
		char q[512];
		snprintf(q, sizeof q, "count(//table[@id='vm-table']/tbody/tr[td[2]='%s'])", HOSTILE_ID);
		ck_assert_double_eq(xnum(&d, q), 1);
		snprintf(q, sizeof q, "string(//table[@id='vm-table']/tbody/tr[td[2]='%s']/td[1])",
			 HOSTILE_ID);
		char *name = xstr(&d, q);
		ck_assert_str_eq(name, hostile_name_shown);
		free(name);
		char *host = xstr(&d, "string(//table[@id='cert-table']/tbody/tr[1]/td[3]/text())");
		ck_assert_str_eq(host, hostile_host_shown);
		free(host);
		ck_assert_double_eq(xnum(&d, "count(//svg[@class='timeline']//g[@class='bar'])"), 2);
		ck_assert_double_eq(xnum(&d, "count(//script)"), 1);
		ck_assert_double_eq(xnum(&d, "count(//svg[@onload]|//img|//*[@onmouseover])"), 0);
		/* the evidence paths and the dump's VM name, escaped */
		ck_assert_ptr_nonnull(strstr(r.out, "&lt;img src=x onerror=window.__pwned=4&gt;"
						    "&quot;&#39;&amp;\\u202E\\x1B[31m\xEF\xBF\xBD.pfx"));
		ck_assert_ptr_nonnull(strstr(r.out, "&lt;b onmouseover=window.__pwned=5&gt;kp"));
		/* no raw hidden characters, no secret */
		ck_assert_ptr_null(strstr(r.out, "\xE2\x80\xAE"));
		ck_assert_ptr_null(strstr(r.out, "\x1B"));
		ck_assert_ptr_null(strstr(r.out, "\xC2\x85"));
		ck_assert(utf8_valid(r.out, r.outlen));
		ck_assert_ptr_null(strstr(r.out, HOSTILE_PW));
		ck_assert_ptr_null(strstr(r.out, "PRIVATE KEY"));
		ck_assert_ptr_nonnull(strstr(r.out, "password-file line 1"));
		xfree(&d);
		tu_run_free(&r);
	}
	tu_rmtree(dir);
	free(dir);
}
END_TEST

/* ---- in the browser ------------------------------------------------------------------ */

/* node tests/browser/check.cjs ARGS: one JSON object per page (an array). */
static json_object *browse(const char *args)
{
	char *script = tu_join(tu_srcdir(), "tests/browser/check.cjs");
	char cmd[8192];
	snprintf(cmd, sizeof cmd, "node '%s' %s", script, args);
	free(script);
	char *argv[] = { "sh", "-c", cmd, NULL };
	tu_run_result r = tu_run(argv, NULL, NULL);
	ck_assert_msg(r.status == 0,
		      "the browser check failed (exit %d): headless Chromium is needed for these "
		      "tests (run 'sh scripts/test-deps.sh' as root, or 'make check'):\n%s%s",
		      r.status, r.out, r.err);
	json_object *all = json_object_new_array();
	char *save = NULL;
	for (char *line = strtok_r(r.out, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		json_object *j = json_tokener_parse(line);
		ck_assert_msg(j != NULL, "not JSON: %.200s", line);
		json_object_array_add(all, j);
	}
	tu_run_free(&r);
	return all;
}

static const char *jstr(json_object *o, const char *key)
{
	return json_object_get_string(jget(o, key));
}

/* Only the page itself reached the network layer (the harness aborts anything else there). */
static void assert_only_page_sent(json_object *pg)
{
	json_object *sent = jget(pg, "sent");
	ck_assert_msg(json_object_array_length(sent) == 1, "sent: %s",
		      json_object_to_json_string(sent));
	ck_assert_str_eq(json_object_get_string(json_object_array_get_idx(sent, 0)), jstr(pg, "url"));
}

/* Nothing requested but the page, no CSP violation, no error, nothing executed. */
static void assert_quiet(json_object *pg)
{
	json_object *req = jget(pg, "requests");
	ck_assert_msg(json_object_array_length(req) == 1, "requests: %s",
		      json_object_to_json_string(req));
	ck_assert_str_eq(json_object_get_string(json_object_array_get_idx(req, 0)), jstr(pg, "url"));
	assert_only_page_sent(pg);
	ck_assert_uint_eq(json_object_array_length(jget(pg, "blocked")), 0);
	ck_assert_msg(json_object_array_length(jget(pg, "csp")) == 0, "CSP violations: %s",
		      json_object_to_json_string(jget(pg, "csp")));
	ck_assert_msg(json_object_array_length(jget(pg, "console_errors")) == 0, "console: %s",
		      json_object_to_json_string(jget(pg, "console_errors")));
	ck_assert_msg(json_object_array_length(jget(pg, "page_errors")) == 0, "errors: %s",
		      json_object_to_json_string(jget(pg, "page_errors")));
	ck_assert(!json_object_get_boolean(jget(pg, "pwned")));
	ck_assert_int_eq(json_object_get_int(jget(pg, "event_attributes")), 0);
	ck_assert_int_eq(json_object_get_int(jget(pg, "scripts")), 1);
	ck_assert_int_eq(json_object_get_int(jget(pg, "pages")), 1);
}

static char *save_page(const char *dir, const char *name, const tu_run_result *r)
{
	return write_tmp(dir, name, r->out, r->outlen);
}

START_TEST(browser_samples_audit_counts_filter_sort_print_screenshot)
{
	char *dir = tu_mkdtemp(), *bd = build_dir();
	tu_run_result r = samples_page("audit");
	char *page = save_page(dir, "audit.html", &r);
	tu_run_free(&r);
	json_object *j = samples_json("audit");
	char *png = tu_join(bd, "report-audit.png"), *pdf = tu_join(dir, "audit.pdf");
	remove(png);
	char args[4096];
	snprintf(args, sizeof args, "--interact --screenshot '%s' --pdf '%s' '%s'", png, pdf, page);
	json_object *all = browse(args);
	ck_assert_uint_eq(json_object_array_length(all), 1);
	json_object *pg = json_object_array_get_idx(all, 0);
	assert_quiet(pg);
	/* the tiles say what the JSON says, for every verdict */
	json_object *verdicts = jget(jget(j, "summary"), "verdicts"), *tiles = jget(pg, "tiles");
	ck_assert_int_eq(json_object_object_length(tiles), V_REBUILD_DATA_LOSS + 1);
	json_object_object_foreach(verdicts, name, count)
		ck_assert_int_eq(json_object_get_int(jget(tiles, name)), json_object_get_int(count));
	/* one row per VM, with its verdict; all shown; details closed */
	json_object *vms = jget(j, "vms"), *rows = jget(pg, "rows");
	size_t n = json_object_array_length(vms);
	ck_assert_uint_eq(json_object_array_length(rows), n);
	for (size_t i = 0; i < n; i++) {
		json_object *vm = json_object_array_get_idx(vms, i);
		bool found = false;
		for (size_t k = 0; k < n && !found; k++) {
			json_object *row = json_object_array_get_idx(rows, k);
			if (strcmp(jstr(row, "id"), jstr(vm, "id")) != 0)
				continue;
			found = true;
			ck_assert_str_eq(jstr(row, "name"), jstr(vm, "name"));
			ck_assert_str_eq(jstr(row, "verdict"), jstr(vm, "verdict"));
			ck_assert(json_object_get_boolean(jget(row, "visible")));
		}
		ck_assert_msg(found, "no row for %s", jstr(vm, "id"));
	}
	ck_assert_int_eq(json_object_get_int(jget(pg, "details")), (int)n);
	ck_assert_int_eq(json_object_get_int(jget(pg, "details_open")), 0);
	ck_assert(json_object_get_boolean(jget(pg, "controls_visible")));
	ck_assert_int_eq(json_object_get_int(jget(pg, "sort_buttons")), 7);
	ck_assert_int_eq(json_object_get_int(jget(pg, "timeline_bars")), 14);
	json_object *hot = jget(pg, "timeline_hot");
	ck_assert_uint_eq(json_object_array_length(hot), 2);
	ck_assert_ptr_nonnull(strstr(json_object_get_string(json_object_array_get_idx(hot, 0)),
				     "HV2016-03"));
	/* the filter shows exactly a verdict's VMs; sorting reorders */
	json_object *it = jget(pg, "interact"), *filter = jget(it, "filter");
	json_object_object_foreach(verdicts, vname, vcount) {
		json_object *got = NULL;
		if (json_object_get_int(vcount))
			ck_assert(json_object_object_get_ex(filter, vname, &got));
		if (got)
			ck_assert_int_eq(json_object_get_int(got), json_object_get_int(vcount));
	}
	ck_assert_int_eq(json_object_get_int(jget(filter, "")), (int)n);
	json_object *sort = jget(it, "sort");
	ck_assert_str_eq(json_object_get_string(json_object_array_get_idx(jget(sort, "days_ascending"),
									  0)), "sql01");
	ck_assert_str_eq(json_object_get_string(json_object_array_get_idx(jget(sort, "name_ascending"),
									  0)), "app01");
	ck_assert_str_eq(json_object_get_string(json_object_array_get_idx(jget(sort, "days_descending"),
									  n - 1)), "sql01");
	/* print: closed reasons are laid out; the PDF exists; the screenshot is a PNG */
	json_object *print = jget(pg, "print");
	ck_assert_int_gt(json_object_get_int(jget(print, "closed_reasons")), 9);
	ck_assert_int_eq(json_object_get_int(jget(print, "closed_reasons_visible")),
			 json_object_get_int(jget(print, "closed_reasons")));
	ck_assert_int_gt(json_object_get_int(jget(pg, "pdf_bytes")), 10000);
	size_t plen = 0;
	uint8_t *p = tu_read(png, &plen);
	ck_assert_msg(p != NULL, "no screenshot at %s", png);
	ck_assert_uint_gt(plen, 10000);
	ck_assert(memcmp(p, "\x89PNG\r\n\x1A\n", 8) == 0);
	free(p);
	json_object_put(all);
	json_object_put(j);
	free(png);
	free(pdf);
	free(page);
	free(bd);
	tu_rmtree(dir);
	free(dir);
}
END_TEST

START_TEST(browser_without_script_is_a_plain_table)
{
	char *dir = tu_mkdtemp();
	tu_run_result r = samples_page("audit");
	char *page = save_page(dir, "audit.html", &r);
	tu_run_free(&r);
	char args[4096];
	snprintf(args, sizeof args, "--no-script '%s'", page);
	json_object *all = browse(args);
	json_object *pg = json_object_array_get_idx(all, 0);
	ck_assert_uint_eq(json_object_array_length(jget(pg, "requests")), 1);
	assert_only_page_sent(pg);
	ck_assert(!json_object_get_boolean(jget(pg, "controls_visible")));
	ck_assert_int_eq(json_object_get_int(jget(pg, "sort_buttons")), 0);
	json_object *rows = jget(pg, "rows");
	ck_assert_uint_eq(json_object_array_length(rows), 9);
	int last = V_REBUILD_DATA_LOSS + 1;
	for (size_t i = 0; i < 9; i++) {
		json_object *row = json_object_array_get_idx(rows, i);
		ck_assert(json_object_get_boolean(jget(row, "visible")));
		int k = verdict_rank(jstr(row, "verdict"));
		ck_assert_int_le(k, last);
		last = k;
	}
	json_object *print = jget(pg, "print");
	ck_assert_int_eq(json_object_get_int(jget(print, "closed_reasons_visible")),
			 json_object_get_int(jget(print, "closed_reasons")));
	json_object_put(all);
	free(page);
	tu_rmtree(dir);
	free(dir);
}
END_TEST

START_TEST(browser_diagnose_and_hostile_pages_run_nothing_and_fetch_nothing)
{
	char *dir = tu_mkdtemp();
	hostile_evidence(dir);
	tu_run_result r = samples_page("diagnose");
	char *diag = save_page(dir, "diagnose.html", &r);
	tu_run_free(&r);
	r = hostile_page(dir, "audit");
	char *ha = save_page(dir, "hostile-audit.html", &r);
	tu_run_free(&r);
	r = hostile_page(dir, "diagnose");
	char *hd = save_page(dir, "hostile-diagnose.html", &r);
	tu_run_free(&r);
	char args[4096];
	snprintf(args, sizeof args, "--interact '%s' '%s' '%s'", diag, ha, hd);
	json_object *all = browse(args);
	ck_assert_uint_eq(json_object_array_length(all), 3);
	for (size_t i = 0; i < 3; i++)
		assert_quiet(json_object_array_get_idx(all, i));
	json_object *pg = json_object_array_get_idx(all, 0);
	ck_assert_uint_eq(json_object_array_length(jget(pg, "rows")), 9);
	for (size_t i = 1; i < 3; i++) {
		pg = json_object_array_get_idx(all, i);
		json_object *rows = jget(pg, "rows");
		ck_assert_uint_eq(json_object_array_length(rows), 2);
		bool seen = false;
		for (size_t k = 0; k < 2; k++) {
			json_object *row = json_object_array_get_idx(rows, k);
			if (strcmp(jstr(row, "id"), HOSTILE_ID) == 0) {
				ck_assert_str_eq(jstr(row, "name"), hostile_name_shown);
				seen = true;
			}
		}
		ck_assert(seen);
	}
	json_object_put(all);
	free(diag);
	free(ha);
	free(hd);
	tu_rmtree(dir);
	free(dir);
}
END_TEST

/* Markup that got past the escaper (as if it had failed) is inert under the page's CSP. */
START_TEST(browser_csp_makes_injected_markup_inert)
{
	static const char payload[] =
		"<script>window.__pwned=1</script>"
		"<img src=\"x.png\" onerror=\"window.__pwned=2\"/>"
		"<svg onload=\"window.__pwned=3\"></svg>"
		"<div style=\"background:url(x.png)\" data-x=\"1\">styled</div>"
		"<link rel=\"stylesheet\" href=\"x.css\"/>"
		"<iframe src=\"data:text/html,hi\"></iframe>"
		"<object data=\"x.swf\"></object>"
		"<a href=\"javascript:window.__pwned=6\" id=\"js-link\">link</a>"
		"<form action=\"x\"><button id=\"sub\">go</button></form>"
		"<base href=\"http://127.0.0.1:9/\"/>"
		"<img src=\"http://127.0.0.1:9/beacon.gif\"/>";
	char *dir = tu_mkdtemp();
	tu_run_result r = samples_page("audit");
	const char *main_at = strstr(r.out, "<main>");
	ck_assert_ptr_nonnull(main_at);
	size_t head = (size_t)(main_at - r.out) + 6;
	size_t len = r.outlen + sizeof payload;
	char *inj = malloc(len);
	memcpy(inj, r.out, head);
	memcpy(inj + head, payload, sizeof payload - 1);
	memcpy(inj + head + sizeof payload - 1, r.out + head, r.outlen - head);
	char *page = write_tmp(dir, "injected.html", inj, len - 1);
	free(inj);
	tu_run_free(&r);
	char args[4096];
	snprintf(args, sizeof args, "'%s'", page);
	json_object *all = browse(args);
	json_object *pg = json_object_array_get_idx(all, 0);
	ck_assert(!json_object_get_boolean(jget(pg, "pwned")));
	/* the browser tried the injected fetches; CSP stopped each before the network */
	assert_only_page_sent(pg);
	json_object *req = jget(pg, "requests"), *blocked = jget(pg, "blocked");
	ck_assert_uint_ge(json_object_array_length(req), 2);
	ck_assert_uint_eq(json_object_array_length(blocked), json_object_array_length(req) - 1);
	for (size_t i = 0; i < json_object_array_length(blocked); i++)
		ck_assert_str_eq(jstr(json_object_array_get_idx(blocked, i), "reason"), "csp");
	ck_assert_msg(json_object_array_length(jget(pg, "csp")) >= 4, "CSP violations: %s",
		      json_object_to_json_string(jget(pg, "csp")));
	/* the page's own script still ran */
	ck_assert(json_object_get_boolean(jget(pg, "controls_visible")));
	json_object_put(all);
	free(page);
	tu_rmtree(dir);
	free(dir);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("html");
	TCase *tc = tcase_create("page");
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, escape_markup_quotes_controls_bidi_and_bad_utf8);
	tcase_add_test(tc, escape_output_is_inert_for_any_bytes);
	tcase_add_test(tc, truncate_counts_characters);
	tcase_add_test(tc, audit_page_structure_matches_the_json);
	tcase_add_test(tc, pages_are_deterministic);
	tcase_add_test(tc, diagnose_page_structure);
	tcase_add_test(tc, format_html_is_for_diagnose_and_audit_only);
	tcase_add_test(tc, hostile_names_are_text_and_no_secret_appears);
	suite_add_tcase(s, tc);
	TCase *tb = tcase_create("browser");
	tcase_set_timeout(tb, 180);
	tcase_add_test(tb, browser_samples_audit_counts_filter_sort_print_screenshot);
	tcase_add_test(tb, browser_without_script_is_a_plain_table);
	tcase_add_test(tb, browser_diagnose_and_hostile_pages_run_nothing_and_fetch_nothing);
	tcase_add_test(tb, browser_csp_makes_injected_markup_inert);
	suite_add_tcase(s, tb);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
