/*
 * test_cli.c - end-to-end: the hvtpm binary over samples/ and the corpus.
 *
 * Every verdict of samples/ with its exit code, reasons and JSON fields;
 * --at moving a VM from restorable to restorable-expired on the right day;
 * plans with the right cmdlets and never a password; usage and input
 * errors with their documented exit codes.
 */
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "support/testutil.h"
#include "util/text.h"

static char *samples(void)
{
	return tu_join(tu_srcdir(), "samples");
}

static char *pwfile(void)
{
	return tu_join(tu_srcdir(), "samples/passwords.txt");
}

static json_object *parse(const tu_run_result *r)
{
	json_object *j = json_tokener_parse(r->out);
	ck_assert_msg(j != NULL, "output is not JSON: %.200s", r->out);
	return j;
}

static json_object *get(json_object *o, const char *k)
{
	json_object *v = NULL;
	ck_assert_msg(json_object_object_get_ex(o, k, &v), "no field %s", k);
	return v;
}

static const char *gets(json_object *o, const char *k)
{
	return json_object_get_string(get(o, k));
}

static json_object *vm_named(json_object *doc, const char *name)
{
	json_object *vms = get(doc, "vms");
	for (size_t i = 0; i < json_object_array_length(vms); i++) {
		json_object *v = json_object_array_get_idx(vms, i);
		json_object *n = NULL;
		if (json_object_object_get_ex(v, "name", &n) && n &&
		    strcmp(json_object_get_string(n), name) == 0)
			return v;
	}
	ck_abort_msg("VM %s not in the report", name);
	return NULL;
}

static tu_run_result diagnose_json(const char *at)
{
	char *s = samples(), *pw = pwfile();
	char *argv[] = { (char *)tu_bin(), "diagnose", "--format", "json", "--password-file", pw,
			 "--at", (char *)at, s, NULL };
	tu_run_result r = tu_run(argv, NULL, NULL);
	free(s);
	free(pw);
	return r;
}

START_TEST(every_sample_gets_its_verdict)
{
	static const struct {
		const char *vm, *verdict;
	} want[] = {
		{ "web-legacy", "no_vtpm" }, { "app01", "restorable" },
		{ "sql01", "restorable_expired" }, { "file01", "degraded" },
		{ "dc02", "needs_password" }, { "shielded01", "hgs" },
		{ "web02", "rebuild" }, { "web03", "rebuild_data_loss" }, { "app03", "unknown" },
	};
	tu_run_result r = diagnose_json("2026-11-28");
	ck_assert_int_eq(r.status, 2); /* a rebuild is among them: the highest code wins */
	json_object *doc = parse(&r);
	ck_assert_int_eq(json_object_get_int(get(doc, "schema_version")), 2);
	ck_assert_str_eq(gets(doc, "evaluated_at"), "2026-11-28T00:00:00Z");
	ck_assert_ptr_nonnull(gets(doc, "generated_at"));
	ck_assert_uint_eq(json_object_array_length(get(doc, "vms")), 9);
	for (size_t i = 0; i < sizeof want / sizeof *want; i++) {
		json_object *v = vm_named(doc, want[i].vm);
		ck_assert_msg(strcmp(gets(v, "verdict"), want[i].verdict) == 0, "%s: %s, want %s",
			      want[i].vm, gets(v, "verdict"), want[i].verdict);
		ck_assert_uint_gt(json_object_array_length(get(v, "reasons")), 0);
		ck_assert_ptr_nonnull(get(v, "config_files"));
		ck_assert_ptr_nonnull(get(v, "key_protectors"));
		ck_assert_ptr_nonnull(get(v, "certificates"));
	}
	/* Every file read is listed with its SHA-256. */
	json_object *ev = get(doc, "evidence");
	ck_assert_uint_ge(json_object_array_length(ev), 20);
	for (size_t i = 0; i < json_object_array_length(ev); i++) {
		const char *sha = gets(json_object_array_get_idx(ev, i), "sha256");
		ck_assert_msg(sha && strlen(sha) == 64, "evidence %zu without sha256", i);
	}
	json_object_put(doc);
	tu_run_free(&r);
}
END_TEST

START_TEST(restorable_json_names_files_keys_and_kp_location)
{
	tu_run_result r = diagnose_json("2026-11-28");
	json_object *doc = parse(&r);
	json_object *v = vm_named(doc, "app01");
	ck_assert_str_eq(gets(v, "id"), "1A2B3C4D-5E6F-4A1B-8C9D-0E1F2A3B4C02");
	json_object *kp = json_object_array_get_idx(get(v, "key_protectors"), 0);
	ck_assert_ptr_nonnull(strstr(gets(kp, "source"), ".vmgs"));
	ck_assert_ptr_nonnull(strstr(gets(kp, "location"), "security/keys/key_protector"));
	ck_assert_int_eq(json_object_get_int(get(kp, "owner_wrapping_id")), 1);
	json_object *certs = get(v, "certificates");
	ck_assert_uint_eq(json_object_array_length(certs), 2);
	for (size_t i = 0; i < 2; i++) {
		json_object *c = json_object_array_get_idx(certs, i);
		const char *tp = gets(c, "thumbprint_sha1");
		ck_assert_uint_eq(strlen(tp), 40);
		for (const char *p = tp; *p; p++)
			ck_assert_msg(!(*p >= 'a' && *p <= 'f'), "thumbprint not upper case: %s", tp);
		ck_assert_str_eq(gets(c, "guardian"), "UntrustedGuardian");
		ck_assert_str_eq(gets(c, "host"), "HV2019-01");
		json_object *held = json_object_array_get_idx(get(c, "evidence"), 0);
		ck_assert(json_object_get_boolean(get(held, "has_private_key")));
		ck_assert_uint_eq(strlen(gets(held, "sha256")), 64);
		ck_assert_ptr_nonnull(strstr(gets(held, "path"), ".pfx"));
	}
	json_object_put(doc);
	tu_run_free(&r);
}
END_TEST

/* The day a restorable VM turns restorable-expired with --warn-days 90. */
START_TEST(at_moves_restorable_to_expired_on_the_right_day)
{
	tu_run_result r = diagnose_json("2026-11-28");
	json_object *doc = parse(&r);
	json_object *c = json_object_array_get_idx(get(vm_named(doc, "app01"), "certificates"), 0);
	time_t na;
	ck_assert(iso_parse(gets(c, "not_after"), &na));
	json_object_put(doc);
	tu_run_free(&r);
	char before[32], after[32];
	time_to_iso(na - 91 * 86400L, before);
	time_to_iso(na - 89 * 86400L, after);
	r = diagnose_json(before);
	doc = parse(&r);
	ck_assert_str_eq(gets(vm_named(doc, "app01"), "verdict"), "restorable");
	json_object_put(doc);
	tu_run_free(&r);
	r = diagnose_json(after);
	doc = parse(&r);
	ck_assert_str_eq(gets(vm_named(doc, "app01"), "verdict"), "restorable_expired");
	json_object_put(doc);
	tu_run_free(&r);
}
END_TEST

START_TEST(exit_codes_per_verdict)
{
	char *s = samples(), *pw = pwfile();
	static const struct {
		const char *dir;
		int code;
	} want[] = {
		{ "no-vtpm", 0 }, { "restorable", 0 }, { "restorable-expired", 1 },
		{ "unknown", 1 }, { "hgs", 1 }, { "rebuild", 2 }, { "rebuild-data-loss", 2 },
	};
	for (size_t i = 0; i < sizeof want / sizeof *want; i++) {
		char *d = tu_join(s, want[i].dir);
		char *argv[] = { (char *)tu_bin(), "diagnose", "--password-file", pw, "--at",
				 "2026-11-28", d, NULL };
		tu_run_result r = tu_run(argv, NULL, NULL);
		ck_assert_msg(r.status == want[i].code, "%s: exit %d, want %d\n%s", want[i].dir,
			      r.status, want[i].code, r.err);
		tu_run_free(&r);
		free(d);
	}
	free(s);
	free(pw);
}
END_TEST

START_TEST(wrong_password_is_needs_password_never_rebuild)
{
	char *d = tu_mkdtemp();
	char *pw = tu_join(d, "pw.txt");
	tu_write(pw, "wrong-one\r\nanother-wrong\r\n", 27);
	char *s = samples();
	char *vm = tu_join(s, "restorable");
	char *argv[] = { (char *)tu_bin(), "diagnose", "--format", "json", "--password-file", pw,
			 vm, NULL };
	tu_run_result r = tu_run(argv, NULL, NULL);
	ck_assert_int_eq(r.status, 1);
	json_object *doc = parse(&r);
	json_object *v = vm_named(doc, "app01");
	ck_assert_str_eq(gets(v, "verdict"), "needs_password");
	ck_assert_ptr_null(strstr(r.out, "wrong-one"));
	ck_assert_ptr_null(strstr(r.err, "wrong-one"));
	ck_assert_ptr_null(strstr(r.out, "another-wrong"));
	json_object_put(doc);
	tu_run_free(&r);
	/* The same through the environment variable. */
	char *env[] = { "HVTPM_PFX_PASSWORD=Sample-Only-Export-2026", NULL };
	char *argv2[] = { (char *)tu_bin(), "diagnose", vm, NULL };
	r = tu_run(argv2, env, NULL);
	ck_assert_int_eq(r.status, 0);
	ck_assert_ptr_nonnull(strstr(r.out, "restorable"));
	ck_assert_ptr_null(strstr(r.out, "Sample-Only-Export-2026"));
	ck_assert_ptr_null(strstr(r.err, "Sample-Only-Export-2026"));
	tu_run_free(&r);
	free(vm);
	free(s);
	free(pw);
	tu_rmtree(d);
	free(d);
}
END_TEST

static tu_run_result plan_for(const char *dir, const char *vm)
{
	char *s = samples(), *pw = pwfile();
	char *d = tu_join(s, dir);
	char *argv[] = { (char *)tu_bin(), "diagnose", "--plan", "powershell", "--vm", (char *)vm,
			 "--password-file", pw, "--at", "2026-11-28", d, NULL };
	tu_run_result r = tu_run(argv, NULL, NULL);
	free(d);
	free(s);
	free(pw);
	return r;
}

START_TEST(disks_decide_whether_a_rebuild_survives)
{
	tu_run_result r = diagnose_json("2026-11-28");
	json_object *doc = parse(&r);
	json_object *v = vm_named(doc, "web02");
	json_object *d = json_object_array_get_idx(get(v, "disks"), 0);
	ck_assert_str_eq(gets(d, "survivability"), "survivable");
	ck_assert_ptr_nonnull(strstr(gets(d, "survivability_reason"), "recovery key ID"));
	json_object *bl = NULL;
	json_object *parts = get(get(d, "detail"), "partitions");
	for (size_t i = 0; i < json_object_array_length(parts); i++) {
		json_object *b = get(json_object_array_get_idx(parts, i), "bitlocker");
		if (b)
			bl = b;
	}
	ck_assert_ptr_nonnull(bl);
	ck_assert_uint_eq(json_object_array_length(get(bl, "protectors")), 2);
	v = vm_named(doc, "web03");
	ck_assert_str_eq(gets(v, "verdict"), "rebuild_data_loss");
	ck_assert_int_eq(json_object_get_int(get(v, "exit_code")), 2);
	d = json_object_array_get_idx(get(v, "disks"), 0);
	ck_assert_str_eq(gets(d, "survivability"), "tpm_only");
	bool loud = false;
	json_object *rs = get(v, "reasons");
	for (size_t i = 0; i < json_object_array_length(rs); i++)
		loud |= strstr(json_object_get_string(json_object_array_get_idx(rs, i)), "DATA LOSS") != NULL;
	ck_assert(loud);
	json_object_put(doc);
	tu_run_free(&r);
}
END_TEST

START_TEST(plans_have_the_right_cmdlets_and_no_password)
{
	static const struct {
		const char *dir, *vm;
		const char *must[3];
	} want[] = {
		{ "restorable", "app01", { "Import-PfxCertificate", "Shielded VM Local Certificates", "Import-VM" } },
		{ "restorable-expired", "sql01", { "Import-PfxCertificate", "New-HgsGuardian", "Remove-HgsGuardian" } },
		{ "rebuild", "web02", { "New-VM", "Enable-VMTPM", "manage-bde -protectors -add C: -RecoveryPassword" } },
		{ "hgs", "shielded01", { "Get-HgsClientConfiguration", NULL, NULL } },
		{ "unknown", "app03", { "Get-VMKeyProtector", NULL, NULL } },
		{ "no-vtpm", "web-legacy", { "Import-VM", NULL, NULL } },
	};
	for (size_t i = 0; i < sizeof want / sizeof *want; i++) {
		tu_run_result r = plan_for(want[i].dir, want[i].vm);
		ck_assert_msg(strstr(r.out, "SupportsShouldProcess") != NULL, "%s: no -WhatIf support",
			      want[i].vm);
		for (int k = 0; k < 3 && want[i].must[k]; k++)
			ck_assert_msg(strstr(r.out, want[i].must[k]) != NULL, "%s plan lacks %s",
				      want[i].vm, want[i].must[k]);
		ck_assert_ptr_null(strstr(r.out, "Sample-Only-Export-2026"));
		tu_run_free(&r);
	}
}
END_TEST

START_TEST(plan_out_refuses_the_evidence_folder)
{
	char *s = samples();
	char *target = tu_join(s, "restorable/plan.ps1");
	char *argv[] = { (char *)tu_bin(), "diagnose", "--plan-out", target, "--vm", "app01", s, NULL };
	tu_run_result r = tu_run(argv, NULL, NULL);
	ck_assert_int_eq(r.status, 3);
	ck_assert_ptr_nonnull(strstr(r.err, "inside the evidence"));
	size_t n;
	ck_assert_ptr_null(tu_read(target, &n));
	tu_run_free(&r);
	free(target);
	free(s);
}
END_TEST

START_TEST(usage_and_input_errors_have_their_codes)
{
	tu_run_result r = tu_hvtpm("--help", NULL);
	ck_assert_int_eq(r.status, 0);
	ck_assert_ptr_nonnull(strstr(r.out, "diagnose"));
	tu_run_free(&r);
	r = tu_hvtpm("--version", NULL);
	ck_assert_int_eq(r.status, 0);
	ck_assert_ptr_nonnull(strstr(r.out, "hvtpm "));
	tu_run_free(&r);
	const char *cmds[] = { "inspect", "diagnose", "audit" };
	for (size_t i = 0; i < 3; i++) {
		r = tu_hvtpm(cmds[i], "--help", NULL);
		ck_assert_int_eq(r.status, 0);
		ck_assert_ptr_nonnull(strstr(r.out, "usage: hvtpm"));
		tu_run_free(&r);
		r = tu_hvtpm(cmds[i], "--no-such-option", "x", NULL);
		ck_assert_int_eq(r.status, 3);
		tu_run_free(&r);
	}
	r = tu_hvtpm("frobnicate", NULL);
	ck_assert_int_eq(r.status, 3);
	tu_run_free(&r);
	r = tu_hvtpm("diagnose", "--at", "yesterday", ".", NULL);
	ck_assert_int_eq(r.status, 3);
	tu_run_free(&r);
	r = tu_hvtpm("diagnose", "--format", "xml", ".", NULL);
	ck_assert_int_eq(r.status, 3);
	tu_run_free(&r);
	r = tu_hvtpm("inspect", "/nonexistent/file.vmcx", NULL);
	ck_assert_int_eq(r.status, 4);
	ck_assert_ptr_nonnull(strstr(r.err, "/nonexistent/file.vmcx"));
	tu_run_free(&r);
	/* A mistyped evidence path is an input error, not "no VM, all fine". */
	const char *walkers[] = { "diagnose", "audit" };
	for (size_t i = 0; i < 2; i++) {
		r = tu_hvtpm(walkers[i], "/nonexistent/evidence-dir", NULL);
		ck_assert_msg(r.status == 4, "%s: exit %d", walkers[i], r.status);
		ck_assert_ptr_nonnull(strstr(r.err, "/nonexistent/evidence-dir"));
		tu_run_free(&r);
	}
}
END_TEST

START_TEST(corrupt_config_is_an_input_error_naming_file_and_offset)
{
	char *d = tu_mkdtemp();
	char *s = samples();
	char *src = tu_join(s, "no-vtpm/web-legacy/Virtual Machines/0C5E9A41-6D2B-4F11-9B1E-2F7C8A3D4E01.vmcx");
	size_t n;
	uint8_t *b = tu_read(src, &n);
	ck_assert_ptr_nonnull(b);
	b[4] ^= 0xFF;          /* header copy 0 CRC */
	b[0x1000 + 4] ^= 0xFF; /* header copy 1 CRC */
	char *dst = tu_join(d, "broken.vmcx");
	tu_write(dst, b, n);
	tu_run_result r = tu_hvtpm("inspect", dst, NULL);
	ck_assert_int_eq(r.status, 4);
	ck_assert_ptr_nonnull(strstr(r.err, "broken.vmcx"));
	ck_assert_ptr_nonnull(strstr(r.err, "offset 0x"));
	tu_run_free(&r);
	r = tu_hvtpm("diagnose", d, NULL);
	ck_assert_int_eq(r.status, 4);
	tu_run_free(&r);
	free(b);
	free(src);
	free(dst);
	free(s);
	tu_rmtree(d);
	free(d);
}
END_TEST

START_TEST(inspect_reports_every_corpus_file)
{
	const char *names[] = { "test.vmcx", "test.VMRS", "data.vmcx",
				"EC04F346-DB96-4700-AF5B-77B3C56C38BD.vmcx",
				"993F7B33-6057-4D1E-A1FE-A1A1D77BE974.vmcx",
				"B90AC31B-C6F8-479F-9B91-07B894A6A3F6.xml",
				"D351C151-DAC7-4042-B434-B72D522C1E4A.xml" };
	char *first = tu_corpus("hyperv", names[0]);
	if (!first)
		TEST_SKIP("../shared corpus not present");
	free(first);
	for (size_t i = 0; i < sizeof names / sizeof *names; i++) {
		char *p = tu_corpus("hyperv", names[i]);
		tu_run_result r = tu_hvtpm("inspect", "--format", "json", p, NULL);
		ck_assert_msg(r.status == 0, "%s: exit %d: %s", names[i], r.status, r.err);
		json_object *doc = parse(&r);
		json_object *f = json_object_array_get_idx(get(doc, "files"), 0);
		ck_assert_uint_eq(strlen(gets(f, "sha256")), 64);
		json_object_put(doc);
		tu_run_free(&r);
		r = tu_hvtpm("inspect", "--tree", p, NULL);
		ck_assert_int_eq(r.status, 0);
		ck_assert_ptr_nonnull(strstr(r.out, "/configuration") ? r.out : strstr(r.out, "/Configurations"));
		tu_run_free(&r);
		free(p);
	}
	char *p = tu_corpus("hyperv", "993F7B33-6057-4D1E-A1FE-A1A1D77BE974.vmcx");
	tu_run_result r = tu_hvtpm("inspect", p, NULL);
	ck_assert_ptr_nonnull(strstr(r.out, "Default Generation 2"));
	ck_assert_ptr_nonnull(strstr(r.out, "993F7B33-6057-4D1E-A1FE-A1A1D77BE974"));
	ck_assert_ptr_nonnull(strstr(r.out, "35e5ed640df7f941bdc8213ba0dc57d4cdad0b2adeef67764129bf6dfcbaef4c"));
	tu_run_free(&r);
	free(p);
}
END_TEST

START_TEST(inspect_saved_kp_and_guest_state)
{
	char *s = samples();
	char *kp = tu_join(s, "hgs/shielded01.kp");
	tu_run_result r = tu_hvtpm("inspect", "--format", "json", kp, NULL);
	ck_assert_int_eq(r.status, 0);
	ck_assert_ptr_nonnull(strstr(r.out, "decimal lines (UTF-16LE BOM, CRLF)"));
	ck_assert_ptr_nonnull(strstr(r.out, "encryption.hgs.fabrikam.example"));
	ck_assert_ptr_null(strstr(r.out, "CipherValue"));
	tu_run_free(&r);
	char *gs = tu_join(s, "restorable/app01/Virtual Machines/1A2B3C4D-5E6F-4A1B-8C9D-0E1F2A3B4C02.vmgs");
	r = tu_hvtpm("inspect", gs, NULL);
	ck_assert_int_eq(r.status, 0);
	ck_assert_ptr_nonnull(strstr(r.out, "embedded HyperVStorage repository at 0x10000"));
	ck_assert_ptr_nonnull(strstr(r.out, "/configuration/security/keys/key_protector"));
	tu_run_free(&r);
	free(gs);
	free(kp);
	free(s);
}
END_TEST

START_TEST(colour_only_on_a_terminal)
{
	char *s = samples();
	char *d = tu_join(s, "restorable");
	tu_run_result r = tu_hvtpm("diagnose", d, NULL);
	ck_assert_ptr_null(strchr(r.out, '\033'));
	tu_run_free(&r);
	free(d);
	free(s);
}
END_TEST


/* Long options are never abbreviated; a mistyped one is named, its value never shown. */
START_TEST(options_are_spelled_in_full_and_values_never_echoed)
{
	static const char *const cmds[] = { "inspect", "diagnose", "audit" };
	for (size_t i = 0; i < 3; i++) {
		tu_run_result r = tu_hvtpm(cmds[i], "--password", "S3cret-Value", "/nonexistent", NULL);
		ck_assert_msg(r.status == 3, "%s: exit %d", cmds[i], r.status);
		ck_assert_ptr_null(strstr(r.err, "S3cret-Value"));
		ck_assert_ptr_null(strstr(r.out, "S3cret-Value"));
		char want[96];
		snprintf(want, sizeof want, "hvtpm %s: unknown option '--password'", cmds[i]);
		ck_assert_msg(strstr(r.err, want) != NULL, "%s", r.err);
		ck_assert_ptr_nonnull(strstr(r.err, "--password-file"));
		ck_assert_ptr_nonnull(strstr(r.err, "never taken from the command line"));
		tu_run_free(&r);
		r = tu_hvtpm(cmds[i], "--password=S3cret-Value", "/nonexistent", NULL);
		ck_assert_int_eq(r.status, 3);
		ck_assert_ptr_null(strstr(r.err, "S3cret-Value"));
		tu_run_free(&r);
	}
	static const char *const bad[][3] = {
		{ "diagnose", "--form", "json" },      /* a prefix of --format */
		{ "audit", "--follow", "x" },          /* a prefix of --follow-symlinks */
		{ "diagnose", "--quiet=1", "x" },      /* takes no value */
		{ "diagnose", "-z", "x" },
	};
	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
		tu_run_result r = tu_hvtpm(bad[i][0], bad[i][1], bad[i][2], NULL);
		ck_assert_msg(r.status == 3, "%s %s: exit %d", bad[i][0], bad[i][1], r.status);
		char want[64];
		snprintf(want, sizeof want, "hvtpm %s: ", bad[i][0]);
		ck_assert_msg(strncmp(r.err, want, strlen(want)) == 0, "%s", r.err);
		ck_assert_ptr_null(strstr(r.err, "unrecognized"));
		tu_run_free(&r);
	}
	tu_run_result r = tu_hvtpm("diagnose", "--at", NULL);
	ck_assert_int_eq(r.status, 3);
	ck_assert_ptr_nonnull(strstr(r.err, "hvtpm diagnose: option '--at' needs a value"));
	tu_run_free(&r);
	r = tu_hvtpm("script", "export", "--outfile=x", NULL);
	ck_assert_int_eq(r.status, 3);
	ck_assert_ptr_nonnull(strstr(r.err, "hvtpm script: unknown option '--outfile'"));
	tu_run_free(&r);
}
END_TEST

START_TEST(help_command_prints_the_command_help)
{
	static const char *const cmds[] = { "inspect", "diagnose", "audit", "script" };
	for (size_t i = 0; i < 4; i++) {
		tu_run_result a = tu_hvtpm("help", cmds[i], NULL);
		tu_run_result b = tu_hvtpm(cmds[i], "--help", NULL);
		ck_assert_int_eq(a.status, 0);
		ck_assert_int_eq(b.status, 0);
		ck_assert_str_eq(a.out, b.out);
		tu_run_free(&a);
		tu_run_free(&b);
	}
	tu_run_result a = tu_hvtpm("help", "script", "collect", NULL);
	tu_run_result b = tu_hvtpm("script", "collect", "--help", NULL);
	ck_assert_str_eq(a.out, b.out);
	ck_assert_ptr_nonnull(strstr(a.out, "usage: hvtpm script collect"));
	tu_run_free(&a);
	tu_run_free(&b);
	a = tu_hvtpm("help", NULL);
	ck_assert_int_eq(a.status, 0);
	ck_assert_ptr_nonnull(strstr(a.out, "hvtpm help COMMAND"));
	tu_run_free(&a);
	a = tu_hvtpm("help", "frobnicate", NULL);
	ck_assert_int_eq(a.status, 3);
	ck_assert_ptr_nonnull(strstr(a.err, "unknown command 'frobnicate'"));
	tu_run_free(&a);
}
END_TEST

/* Dates the calendar does not have, and offsets no zone has, are usage errors. */
START_TEST(impossible_dates_are_usage_errors)
{
	static const char *const bad[] = {
		"2026-02-30", "2025-02-29", "2026-13-01", "2026-10-01T24:00:00Z",
		"2026-10-01T12:00:00+99:00", "2026-10-01T12:00:00+14:30", "2026-10-01T23:59:60Z",
		"2026-10-01x", "yesterday",
	};
	char *s = samples();
	char *d = tu_join(s, "no-vtpm");
	static const char *const cmds[] = { "inspect", "diagnose", "audit" };
	for (size_t c = 0; c < 3; c++) {
		for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
			tu_run_result r = tu_hvtpm(cmds[c], "--at", bad[i], d, NULL);
			ck_assert_msg(r.status == 3, "%s --at %s: exit %d", cmds[c], bad[i], r.status);
			ck_assert_ptr_nonnull(strstr(r.err, "--at wants an ISO 8601 date"));
			ck_assert_ptr_nonnull(strstr(r.err, bad[i]));
			ck_assert_str_eq(r.out, "");
			tu_run_free(&r);
		}
	}
	/* Real dates with offsets are taken, and an offset moves the instant. */
	tu_run_result r = tu_hvtpm("diagnose", "--format", "json", "--at",
				   "2024-02-29T01:00:00+02:00", d, NULL);
	ck_assert_int_eq(r.status, 0);
	json_object *doc = parse(&r);
	ck_assert_str_eq(gets(doc, "evaluated_at"), "2024-02-28T23:00:00Z");
	json_object_put(doc);
	tu_run_free(&r);
	free(d);
	free(s);
}
END_TEST

/* Keys whose values are enumerations hvtpm defines (never evidence text). */
static const char *const enum_keys[] = {
	"verdict", "kind", "class", "status", "held", "origin", "survivability", "role",
	"confidence", "sha256_scope", "severity", "classification", "scheme", "type",
	"opened_by_source", "format", "controller", "rule",
};

static bool snake(const char *s)
{
	if (!*s)
		return false;
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') || *s == '_'))
			return false;
	return true;
}

/*
 * Checks every enumerated value in doc; *seen counts them.  inspect's VM
 * drives carry the configuration's own "type" text (evidence, e.g. "VHD"),
 * so "type" is checked for the other commands only.
 */
static void check_enums(json_object *o, const char *where, size_t *seen)
{
	bool inspect = strcmp(where, "inspect") == 0;
	if (json_object_is_type(o, json_type_array)) {
		for (size_t i = 0; i < json_object_array_length(o); i++)
			check_enums(json_object_array_get_idx(o, i), where, seen);
		return;
	}
	if (!json_object_is_type(o, json_type_object))
		return;
	json_object_object_foreach(o, key, val) {
		for (size_t k = 0; k < sizeof enum_keys / sizeof *enum_keys; k++) {
			if (strcmp(key, enum_keys[k]) != 0 || !json_object_is_type(val, json_type_string))
				continue;
			if (inspect && strcmp(key, "type") == 0)
				continue;
			const char *v = json_object_get_string(val);
			ck_assert_msg(snake(v), "%s: %s = \"%s\" is not snake_case", where, key, v);
			(*seen)++;
		}
		/* the verdict counts of a summary are keyed by verdict name */
		if (strcmp(key, "verdicts") == 0 && json_object_is_type(val, json_type_object)) {
			json_object_object_foreach(val, vk, vv) {
				(void)vv;
				ck_assert_msg(snake(vk), "%s: verdict key %s", where, vk);
			}
		}
		check_enums(val, where, seen);
	}
}

START_TEST(json_enum_values_are_one_style)
{
	char *s = samples(), *pw = pwfile();
	static const char *const runs[][4] = {
		{ "diagnose", "json", NULL, NULL }, { "audit", "json", NULL, NULL },
		{ "audit", "jsonl", NULL, NULL }, { "inspect", "json", NULL, NULL },
	};
	for (size_t i = 0; i < sizeof runs / sizeof *runs; i++) {
		char *argv[] = { (char *)tu_bin(), (char *)runs[i][0], "--format", (char *)runs[i][1],
				 "--password-file", pw, "--at", "2026-11-28", s, NULL };
		tu_run_result r = tu_run(argv, NULL, NULL);
		size_t seen = 0;
		const char *line = r.out;
		bool lines = strcmp(runs[i][1], "jsonl") == 0;
		while (line && *line) {
			json_object *doc = json_tokener_parse(line);
			ck_assert_msg(doc != NULL, "%s: not JSON", runs[i][0]);
			if (json_object_object_get_ex(doc, "schema_version", NULL))
				ck_assert_int_eq(json_object_get_int(get(doc, "schema_version")), 2);
			check_enums(doc, runs[i][0], &seen);
			json_object_put(doc);
			line = lines ? strchr(line, '\n') : NULL;
			if (line)
				line++;
		}
		ck_assert_uint_gt(seen, 20);
		tu_run_free(&r);
	}
	free(s);
	free(pw);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("cli");
	TCase *tc = tcase_create("e2e");
	tcase_set_timeout(tc, 600);
	tcase_add_test(tc, every_sample_gets_its_verdict);
	tcase_add_test(tc, restorable_json_names_files_keys_and_kp_location);
	tcase_add_test(tc, at_moves_restorable_to_expired_on_the_right_day);
	tcase_add_test(tc, exit_codes_per_verdict);
	tcase_add_test(tc, wrong_password_is_needs_password_never_rebuild);
	tcase_add_test(tc, disks_decide_whether_a_rebuild_survives);
	tcase_add_test(tc, plans_have_the_right_cmdlets_and_no_password);
	tcase_add_test(tc, plan_out_refuses_the_evidence_folder);
	tcase_add_test(tc, usage_and_input_errors_have_their_codes);
	tcase_add_test(tc, corrupt_config_is_an_input_error_naming_file_and_offset);
	tcase_add_test(tc, inspect_reports_every_corpus_file);
	tcase_add_test(tc, inspect_saved_kp_and_guest_state);
	tcase_add_test(tc, colour_only_on_a_terminal);
	tcase_add_test(tc, options_are_spelled_in_full_and_values_never_echoed);
	tcase_add_test(tc, help_command_prints_the_command_help);
	tcase_add_test(tc, impossible_dates_are_usage_errors);
	tcase_add_test(tc, json_enum_values_are_one_style);
	suite_add_tcase(s, tc);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
