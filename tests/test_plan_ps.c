/*
 * test_plan_ps.c - the PowerShell literal writer and the plan scripts built
 * with it, checked against hostile VM names and paths: every script must be
 * printable ASCII, parse with a real PowerShell grammar (tests/pscheck, read
 * as UTF-8 and as Windows-1252) and keep every evidence byte inside a
 * string literal.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "analysis/plan.h"
#include "analysis/verdict.h"
#include "model/evidence.h"
#include "report/plan_ps.h"
#include "report/ps_literal.h"
#include "support/certgen.h"
#include "support/testutil.h"
#include "util/strbuf.h"
#include "util/text.h"

#define MARK "PWNED"

/* Names an attacker could give a VM or a file (each carries the marker). */
static const char *const hostile[] = {
	"#> # web01\nStart-Process " MARK ".exe\n<#",
	"web\xD0\x91'; Start-Process " MARK "; #",                 /* D0 91 = U+0411; 0x91 is a quote in cp1252 */
	"x\xE2\x80\x99; Start-Process " MARK "; \xE2\x80\x98",    /* U+2019 / U+2018 quote PowerShell strings */
	"$(Start-Process " MARK ")`\"@'",
	"a\rStart-Process " MARK "\r\n#",
	"line\xE2\x80\xA8" MARK "\xC2\x85next\xE2\x80\xAE" "evil",   /* U+2028, NEL, RLO */
	"\xFF\xFE" MARK "'\x80",                                  /* invalid UTF-8 */
	"\xF0\x9F\x98\x80 " MARK " \x1B[31m\x07",                 /* non-BMP, ESC, BEL */
	"C:\\VMs\\" MARK "\\Virtual Hard Disks\\x.vhdx",
	"",
};

/* ---- a reader of ps_lit output (test-only) to prove it is lossless ---------------- */

static void put_cp(strbuf *sb, uint32_t cp)
{
	char b[5] = { 0 };
	if (cp < 0x80) {
		b[0] = (char)cp;
	} else if (cp < 0x800) {
		b[0] = (char)(0xC0 | (cp >> 6));
		b[1] = (char)(0x80 | (cp & 0x3F));
	} else if (cp < 0x10000) {
		b[0] = (char)(0xE0 | (cp >> 12));
		b[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
		b[2] = (char)(0x80 | (cp & 0x3F));
	} else {
		b[0] = (char)(0xF0 | (cp >> 18));
		b[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
		b[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
		b[3] = (char)(0x80 | (cp & 0x3F));
	}
	sb_adds(sb, b);
}

/* Evaluates 'lit' or ('' + 'lit' + [char]0xHHHH ...) back to UTF-8; NULL when malformed. */
static char *ps_eval(const char *e)
{
	strbuf sb = STRBUF_INIT;
	sb_adds(&sb, "");
	bool paren = *e == '(';
	if (paren)
		e++;
	uint32_t high = 0;
	for (;;) {
		if (*e == '\'') {
			for (e++;; e++) {
				if (*e == '\0')
					goto bad;
				if (*e == '\'' && e[1] == '\'') {
					sb_addc(&sb, '\'');
					e++;
				} else if (*e == '\'') {
					e++;
					break;
				} else {
					sb_addc(&sb, *e);
				}
			}
		} else if (strncmp(e, "[char]0x", 8) == 0) {
			char *end;
			uint32_t u = (uint32_t)strtoul(e + 8, &end, 16);
			if (end != e + 12)
				goto bad;
			e = end;
			if (u >= 0xD800 && u <= 0xDBFF) {
				high = u;
			} else if (u >= 0xDC00 && u <= 0xDFFF) {
				put_cp(&sb, 0x10000 + ((high - 0xD800) << 10) + (u - 0xDC00));
				high = 0;
			} else {
				put_cp(&sb, u);
			}
		} else {
			goto bad;
		}
		if (strncmp(e, " + ", 3) == 0) {
			e += 3;
			continue;
		}
		break;
	}
	if (paren && *e++ != ')')
		goto bad;
	if (*e)
		goto bad;
	return sb_detach(&sb);
bad:
	sb_free(&sb);
	return NULL;
}

/* What ps_lit promises to keep: the string, with invalid UTF-8 bytes as U+FFFD. */
static char *expected_text(const char *s)
{
	strbuf sb = STRBUF_INIT;
	sb_adds(&sb, "");
	size_t len = strlen(s);
	for (size_t i = 0; i < len;) {
		uint32_t cp;
		size_t n = utf8_next(s + i, len - i, &cp);
		if (!n) {
			put_cp(&sb, 0xFFFD);
			i++;
		} else {
			sb_add(&sb, s + i, n);
			i += n;
		}
	}
	return sb_detach(&sb);
}

START_TEST(literal_plain_ascii_is_one_quoted_string)
{
	char *l = ps_lit("web01");
	ck_assert_str_eq(l, "'web01'");
	free(l);
	l = ps_lit("O'Brien");
	ck_assert_str_eq(l, "'O''Brien'");
	free(l);
	l = ps_lit(NULL);
	ck_assert_str_eq(l, "''");
	free(l);
	l = ps_lit("web\xD0\x91" "01");
	ck_assert_str_eq(l, "('' + 'web' + [char]0x0411 + '01')");
	free(l);
	l = ps_lit("\xF0\x9F\x98\x80");
	ck_assert_str_eq(l, "('' + [char]0xD83D + [char]0xDE00)");
	free(l);
}
END_TEST

START_TEST(literal_is_ascii_and_lossless_for_hostile_text)
{
	for (size_t i = 0; i < sizeof hostile / sizeof *hostile; i++) {
		char *l = ps_lit(hostile[i]);
		for (const char *p = l; *p; p++)
			ck_assert_msg(*p >= 0x20 && *p < 0x7F, "case %zu: byte 0x%02x", i,
				      (unsigned char)*p);
		char *back = ps_eval(l);
		ck_assert_msg(back != NULL, "case %zu: cannot read back %s", i, l);
		char *want = expected_text(hostile[i]);
		ck_assert_str_eq(back, want);
		free(want);
		free(back);
		free(l);
	}
}
END_TEST

/* ---- whole plans ---------------------------------------------------------------- */

typedef struct {
	evidence e;
	hv_cert enc, sig;
	verdict v;
	vd_cert certs[2];
	vd_wrapping wrap;
	size_t files[2];
} plan_case;

static void case_init(plan_case *c, verdict_kind kind, const char *path)
{
	memset(c, 0, sizeof *c);
	evidence_init(&c->e);
	X509 *x = certgen_self_signed("Shielded VM Encryption Certificate (UntrustedGuardian) (HV01)",
				      0, 2000000000, NULL);
	ck_assert_int_eq(cert_from_x509(x, &c->enc), HV_OK);
	X509_free(x);
	x = certgen_self_signed("Shielded VM Signing Certificate (UntrustedGuardian) (HV01)", 0,
				2000000000, NULL);
	ck_assert_int_eq(cert_from_x509(x, &c->sig), HV_OK);
	X509_free(x);
	c->files[0] = evidence_add_file(&c->e, path, NULL, 10);
	c->files[1] = evidence_add_file(&c->e, "plain.pfx", NULL, 10);
	c->v.kind = kind;
	c->wrap.id = 1;
	c->certs[0] = (vd_cert){ .cert = &c->enc, .role = "encryption", .wrapping_id = 1 };
	c->certs[1] = (vd_cert){ .cert = &c->sig, .role = "signing", .wrapping_id = 1 };
	c->v.certs = c->certs;
	c->v.ncerts = 2;
	c->v.wraps = &c->wrap;
	c->v.nwraps = 1;
	c->v.best_wrapping = 0;
	c->v.import_files = c->files;
	c->v.nimport = 2;
	c->v.locked_files = c->files;
	c->v.nlocked = 2;
}

static void case_free(plan_case *c)
{
	cert_free(&c->enc);
	cert_free(&c->sig);
	evidence_free(&c->e);
}

/* Writes the plan of every verdict for name/path into dir; returns how many. */
static size_t write_plans(const char *dir, size_t n, const char *name)
{
	size_t count = 0;
	for (int k = V_NO_VTPM; k <= V_REBUILD_DATA_LOSS; k++) {
		plan_case c;
		case_init(&c, (verdict_kind)k, name);
		const char *disks[] = { name, "C:\\disk.vhdx" };
		const char *sw[] = { name, "" };
		plan_vm pv = { .name = name, .id = name, .generation = 2, .memory_mb = 2048,
			       .processors = 2, .secure_boot = 1, .secure_boot_template = name,
			       .disks = disks, .ndisks = 2, .switches = sw, .nswitches = 2,
			       .config_path = name };
		char file[64];
		snprintf(file, sizeof file, "plan-%zu-%d.ps1", n, k);
		char *p = tu_join(dir, file);
		FILE *o = fopen(p, "w");
		ck_assert_ptr_nonnull(o);
		plan_powershell(o, &c.e, &c.v, &pv, "2026-12-01T00:00:00Z");
		ck_assert_int_eq(fclose(o), 0);
		free(p);
		case_free(&c);
		count++;
	}
	return count;
}

static tu_run_result pscheck(const char *dir, const char *extra)
{
	char *script = tu_join(tu_srcdir(), "tests/pscheck/check.cjs");
	char cmd[4096];
	snprintf(cmd, sizeof cmd, "node '%s' --marker " MARK " %s '%s'/*.ps1", script,
		 extra ? extra : "", dir);
	free(script);
	char *argv[] = { "sh", "-c", cmd, NULL };
	return tu_run(argv, NULL, NULL);
}

START_TEST(hostile_names_stay_inside_literals_in_every_plan)
{
	char *dir = tu_mkdtemp();
	size_t plans = 0;
	for (size_t i = 0; i < sizeof hostile / sizeof *hostile; i++)
		plans += write_plans(dir, i, hostile[i]);
	tu_run_result r = pscheck(dir, NULL);
	ck_assert_msg(r.status == 0, "pscheck failed (%d):\n%s%s", r.status, r.out, r.err);
	size_t ok = 0;
	for (const char *p = r.out; (p = strstr(p, "ok ")); p++)
		ok++;
	ck_assert_uint_eq(ok, plans);
	tu_run_free(&r);
	tu_rmtree(dir);
	free(dir);
}
END_TEST

/* The checker itself must catch what it is there to catch. */
START_TEST(checker_rejects_raw_evidence_in_code_or_comments)
{
	static const char *const bad[] = {
		"# VM: x\nStart-Process " MARK "\n",       /* the old header injection */
		"$VMName = 'web'\n# " MARK "\n",           /* marker in a comment */
		"$VMName = 'web\xC3\xA9'\n",               /* not ASCII */
		"$VMName = 'unterminated\n",               /* does not parse */
	};
	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
		char *dir = tu_mkdtemp();
		char *p = tu_join(dir, "bad.ps1");
		tu_write(p, bad[i], strlen(bad[i]));
		tu_run_result r = pscheck(dir, NULL);
		ck_assert_msg(r.status == 1, "case %zu: checker exit %d:\n%s%s", i, r.status, r.out,
			      r.err);
		ck_assert_ptr_nonnull(strstr(r.out, "FAIL bad.ps1"));
		tu_run_free(&r);
		free(p);
		tu_rmtree(dir);
		free(dir);
	}
}
END_TEST

/* One script for every VM: each hostile name in its own section, the whole parses. */
START_TEST(one_script_for_many_vms_keeps_every_name_in_literals)
{
	size_t n = sizeof hostile / sizeof *hostile;
	plan_case *cases = calloc(n, sizeof *cases);
	dx_result r;
	memset(&r, 0, sizeof r);
	r.vms = calloc(n, sizeof *r.vms);
	const char *disks[] = { NULL, "C:\\disk.vhdx" };
	for (size_t i = 0; i < n; i++) {
		case_init(&cases[i], (verdict_kind)(i % (V_REBUILD_DATA_LOSS + 1)), hostile[i]);
		dx_vm *d = &r.vms[r.nvms++];
		d->v = cases[i].v;
		d->pv = (plan_vm){ .name = hostile[i], .id = hostile[i], .generation = 2,
				   .memory_mb = 1024, .processors = 1, .secure_boot = 1,
				   .secure_boot_template = hostile[i], .disks = disks + 1,
				   .ndisks = 1, .config_path = hostile[i] };
	}
	char *dir = tu_mkdtemp();
	char *p = tu_join(dir, "all.ps1");
	FILE *o = fopen(p, "w");
	ck_assert_ptr_nonnull(o);
	plan_powershell_all(o, &cases[0].e, &r, "2026-12-01T00:00:00Z");
	ck_assert_int_eq(fclose(o), 0);
	size_t len;
	char *txt = (char *)tu_read(p, &len);
	size_t sections = 0;
	for (const char *q = txt; (q = strstr(q, "# ==== VM ")); q++)
		sections++;
	ck_assert_uint_eq(sections, n);
	ck_assert_ptr_nonnull(strstr(txt, "param([string[]]$Only, [switch]$RegenerateGuardian)"));
	free(txt);
	tu_run_result res = pscheck(dir, NULL);
	ck_assert_msg(res.status == 0, "pscheck failed (%d):\n%s%s", res.status, res.out, res.err);
	tu_run_free(&res);
	for (size_t i = 0; i < n; i++)
		case_free(&cases[i]);
	free(cases);
	free(r.vms);
	free(p);
	tu_rmtree(dir);
	free(dir);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("plan_ps");
	TCase *tc = tcase_create("core");
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, literal_plain_ascii_is_one_quoted_string);
	tcase_add_test(tc, literal_is_ascii_and_lossless_for_hostile_text);
	tcase_add_test(tc, hostile_names_stay_inside_literals_in_every_plan);
	tcase_add_test(tc, checker_rejects_raw_evidence_in_code_or_comments);
	tcase_add_test(tc, one_script_for_many_vms_keeps_every_name_in_literals);
	suite_add_tcase(s, tc);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
