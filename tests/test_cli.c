/*
 * test_cli.c - end-to-end: the hvtpm binary over samples/ and the corpus.
 *
 * Every verdict of samples/ with its exit code, reasons and JSON fields;
 * --at moving a VM from restorable to restorable-expired on the right day;
 * plans with the right cmdlets and never a password; usage and input
 * errors with their documented exit codes.
 */
#include <fcntl.h>
#include <json-c/json.h>
#include <openssl/pkcs12.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "support/testutil.h"
#include "util/strbuf.h"
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
	/* samples/README.md names each folder's verdict as the reports spell it */
	char *readme = tu_join(tu_srcdir(), "samples/README.md");
	size_t len;
	char *text = (char *)tu_read(readme, &len);
	ck_assert_ptr_nonnull(text);
	size_t rows = 0;
	for (char *line = strtok(text, "\n"); line; line = strtok(NULL, "\n")) {
		char folder[128], verdict[64];
		if (sscanf(line, "| `%127[^`]` | `%63[^`]` |", folder, verdict) != 2)
			continue;
		char *slash = strrchr(folder, '/');
		if (slash && slash[1] == '\0')
			*slash = '\0';
		slash = strrchr(folder, '/');
		json_object *v = vm_named(doc, slash ? slash + 1 : folder);
		ck_assert_msg(strcmp(gets(v, "verdict"), verdict) == 0, "README: %s is %s, report: %s",
			      folder, verdict, gets(v, "verdict"));
		rows++;
	}
	ck_assert_uint_eq(rows, 9);
	free(text);
	free(readme);
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
	ck_assert_ptr_nonnull(strstr(gets(kp, "location"),
				     "guest state JSON Devices/736e6aa9-a3f8-49c0-9550-a963214d259a"
				     "/States/KeyProtector"));
	ck_assert_str_eq(gets(kp, "origin"), "current");
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
	/* --plan-dir too, however the folder is spelled */
	char *pdir = tu_join(s, "restorable/plans/");
	char *argv2[] = { (char *)tu_bin(), "diagnose", "--plan-dir", pdir, s, NULL };
	r = tu_run(argv2, NULL, NULL);
	ck_assert_int_eq(r.status, 3);
	ck_assert_ptr_nonnull(strstr(r.err, "inside the evidence"));
	struct stat st;
	ck_assert_int_ne(stat(pdir, &st), 0);
	tu_run_free(&r);
	free(pdir);
	free(target);
	free(s);
}
END_TEST

/*
 * A file named as evidence protects the whole Hyper-V VM folder it belongs
 * to, and symbolic links lead neither into it nor around it.
 */
START_TEST(plan_out_refuses_the_whole_export_and_links_into_it)
{
	char *dir = tu_mkdtemp(), *s = samples();
	ck_assert_int_eq(tu_sh("cp -r '%s/restorable' '%s/' && cd '%s/restorable/app01' && "
			       "mkdir -p Snapshots 'Virtual Hard Disks' "
			       "'Virtual Machines/1A2B3C4D-5E6F-4A1B-8C9D-0E1F2A3B4C02' && "
			       "mkdir ../../out && ln -s ../restorable/app01 ../../out/vmdir && "
			       "ln -s '../restorable/app01/Virtual Machines/"
			       "1A2B3C4D-5E6F-4A1B-8C9D-0E1F2A3B4C02.vmcx' ../../out/vm.vmcx && "
			       "ln -s ../restorable/app01/plan.ps1 ../../out/dangling.ps1",
			       s, dir, dir),
			 0);
	char *vmcx = tu_join(dir, "restorable/app01/Virtual Machines/"
				  "1A2B3C4D-5E6F-4A1B-8C9D-0E1F2A3B4C02.vmcx");
	char *vmfolder = tu_join(dir, "restorable/app01/Virtual Machines");
	char *link = tu_join(dir, "out/vm.vmcx");
	static const struct {
		const char *target; /* relative to dir */
		int evidence;       /* 0 the .vmcx, 1 its folder, 2 the link to the .vmcx */
		const char *refused; /* the message, or NULL: written */
	} cases[] = {
		{ "restorable/app01/plan.ps1", 0, "inside the evidence" },
		{ "restorable/app01/Snapshots/plan.ps1", 0, "inside the evidence" },
		{ "restorable/app01/Virtual Hard Disks/plan.ps1", 0, "inside the evidence" },
		{ "restorable/app01/Virtual Machines/1A2B3C4D-5E6F-4A1B-8C9D-0E1F2A3B4C02/plan.ps1",
		  0, "inside the evidence" },
		{ "restorable/app01/Snapshots/plan.ps1", 1, "inside the evidence" },
		{ "out/vmdir/plan.ps1", 0, "inside the evidence" }, /* through a folder link */
		{ "out/dangling.ps1", 0, "never writes through a link" }, /* a link to a new file */
		{ "out/plan.ps1", 2, "inside the evidence" },       /* beside a link named as evidence */
		{ "restorable/app01/plan.ps1", 2, "inside the evidence" }, /* where it leads */
		{ "restorable/plan.ps1", 0, NULL }, /* beside the VM folder: allowed */
		{ "out/plan2.ps1", 0, NULL },
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		char *target = tu_join(dir, cases[i].target);
		const char *ev = cases[i].evidence == 0 ? vmcx : cases[i].evidence == 1 ? vmfolder
												 : link;
		char *argv[] = { (char *)tu_bin(), "diagnose", "--plan-out", target, (char *)ev,
				 NULL };
		tu_run_result r = tu_run(argv, NULL, NULL);
		size_t n;
		uint8_t *made = tu_read(target, &n);
		if (cases[i].refused) {
			ck_assert_msg(r.status == 3 && strstr(r.err, cases[i].refused),
				      "%s <- %d: exit %d %s", cases[i].target, cases[i].evidence,
				      r.status, r.err);
			ck_assert_msg(!made, "%s was written", cases[i].target);
		} else {
			ck_assert_msg(r.status <= 2 && made, "%s: exit %d %s", cases[i].target,
				      r.status, r.err);
		}
		free(made);
		tu_run_free(&r);
		/* nothing was written where the links lead */
		char *inside = tu_join(dir, "restorable/app01/plan.ps1");
		ck_assert_ptr_null(tu_read(inside, &n));
		free(inside);
		/* --plan-dir: the same rule for the folder it would make */
		if (cases[i].refused && strcmp(cases[i].refused, "inside the evidence") == 0) {
			char *argv2[] = { (char *)tu_bin(), "diagnose", "--plan-dir", target,
					  (char *)ev, NULL };
			r = tu_run(argv2, NULL, NULL);
			ck_assert_msg(r.status == 3 && strstr(r.err, "inside the evidence"),
				      "--plan-dir %s: exit %d %s", cases[i].target, r.status, r.err);
			struct stat st;
			ck_assert_int_ne(lstat(target, &st), 0);
			tu_run_free(&r);
		}
		free(target);
	}
	free(vmcx);
	free(vmfolder);
	free(link);
	free(s);
	tu_rmtree(dir);
	free(dir);
}
END_TEST

START_TEST(usage_and_input_errors_have_their_codes)
{
	tu_run_result r = tu_hvtpm("--help", NULL);
	ck_assert_int_eq(r.status, 0);
	ck_assert_ptr_nonnull(strstr(r.out, "diagnose"));
	ck_assert_ptr_nonnull(strstr(r.out, "hvtpm -h | --help | -V | --version"));
	tu_run_free(&r);
	/* -V is --version, documented as such in --help (above) and in the manual */
	static const char *const version[] = { "--version", "-V" };
	char *first = NULL;
	for (size_t i = 0; i < 2; i++) {
		r = tu_hvtpm(version[i], NULL);
		ck_assert_int_eq(r.status, 0);
		ck_assert_ptr_nonnull(strstr(r.out, "hvtpm "));
		if (!first)
			first = strdup(r.out);
		else
			ck_assert_str_eq(r.out, first);
		tu_run_free(&r);
	}
	free(first);
	char *manp = tu_join(tu_srcdir(), "man/hvtpm.1");
	size_t mlen;
	char *man = (char *)tu_read(manp, &mlen);
	ck_assert_ptr_nonnull(man);
	ck_assert_ptr_nonnull(strstr(man, ".Fl h | \\-help | V | \\-version"));
	ck_assert_ptr_nonnull(strstr(man, ".It Fl V , Fl \\-version"));
	free(man);
	free(manp);
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
	/* more password candidates than the cap: one line naming it, then usage error */
	char *pwdir = tu_mkdtemp(), *many = tu_join(pwdir, "many.txt");
	char lines[300 * 8] = "";
	for (int i = 1; i <= 300; i++)
		snprintf(lines + strlen(lines), sizeof lines - strlen(lines), "pw%d\n", i);
	tu_write(many, lines, strlen(lines));
	for (size_t i = 0; i < 3; i++) {
		r = tu_hvtpm(cmds[i], "--password-file", many, pwdir, NULL);
		ck_assert_int_eq(r.status, 3);
		ck_assert_ptr_nonnull(strstr(r.err, "at most 256 are taken"));
		ck_assert_ptr_eq(strchr(r.err, '\n'), r.err + r.errlen - 1); /* one line */
		ck_assert_uint_eq(r.outlen, 0);
		tu_run_free(&r);
	}
	tu_rmtree(pwdir);
	free(many);
	free(pwdir);
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
	/* JSON: every entry of "errors" has an offset (a number or null); the file's own
	 * entry has the offset of the first error met in it, as its findings do. A PFX
	 * without its password is listed the same way in summary.pfx_not_opened. */
	char *pfx = tu_join(s, "needs-password/dc02-certs/"
			       "Shielded_VM_Signing_Certificate_(UntrustedGuardian)_(HV2022-01).pfx");
	char *pfx2 = tu_join(d, "locked.pfx");
	size_t pn;
	uint8_t *pb = tu_read(pfx, &pn);
	ck_assert_ptr_nonnull(pb);
	tu_write(pfx2, pb, pn);
	free(pb);
	static const char *const runs[][3] = { { "diagnose", "json", "errors" },
					       { "audit", "json", "errors" },
					       { "audit", "jsonl", "errors" },
					       { "audit", "json", "pfx_not_opened" } };
	for (size_t k = 0; k < sizeof runs / sizeof *runs; k++) {
		r = tu_hvtpm(runs[k][0], "--format", runs[k][1], d, NULL);
		ck_assert_int_eq(r.status, 4);
		json_object *doc;
		if (strcmp(runs[k][1], "jsonl") == 0) { /* the summary record is the last line */
			char *last = r.out + r.outlen - 1;
			while (last > r.out && last[-1] != '\n')
				last--;
			doc = json_tokener_parse(last);
			ck_assert_ptr_nonnull(doc);
		} else {
			doc = parse(&r);
		}
		json_object *arr = strcmp(runs[k][2], "pfx_not_opened") == 0
					   ? get(get(doc, "summary"), runs[k][2])
					   : get(doc, runs[k][2]);
		size_t n2 = json_object_array_length(arr);
		ck_assert_uint_gt(n2, 0);
		bool file_entry = false;
		int64_t first_error = -1;
		for (size_t i = 0; i < n2; i++) {
			json_object *x = json_object_array_get_idx(arr, i), *o = NULL;
			ck_assert_msg(json_object_object_get_ex(x, "offset", &o), "%s %s %s[%zu]: "
				      "no offset", runs[k][0], runs[k][1], runs[k][2], i);
			ck_assert(o == NULL || json_object_is_type(o, json_type_int));
			const char *cls = gets(x, "class");
			if (strcmp(cls, "error") == 0 && o && first_error < 0 &&
			    strstr(gets(x, "path"), "broken.vmcx"))
				first_error = json_object_get_int64(o);
		}
		for (size_t i = 0; i < n2 && strcmp(runs[k][2], "errors") == 0; i++) {
			json_object *x = json_object_array_get_idx(arr, i), *o = NULL;
			if (strcmp(gets(x, "class"), "corrupt") != 0)
				continue;
			ck_assert(json_object_object_get_ex(x, "offset", &o) && o);
			ck_assert_int_ge(first_error, 0);
			ck_assert_int_eq(json_object_get_int64(o), first_error);
			file_entry = true;
		}
		ck_assert(file_entry || strcmp(runs[k][2], "errors") != 0);
		json_object_put(doc);
		tu_run_free(&r);
	}
	free(pfx);
	free(pfx2);
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
	/* VMGS v1: the vTPM device's state, a JSON byte array */
	char *gs = tu_join(s, "restorable/app01/Virtual Machines/1A2B3C4D-5E6F-4A1B-8C9D-0E1F2A3B4C02.vmgs");
	r = tu_hvtpm("inspect", gs, NULL);
	ck_assert_int_eq(r.status, 0);
	ck_assert_ptr_nonnull(strstr(r.out, "VMGS v1 in a fixed vhd disk"));
	ck_assert_ptr_nonnull(strstr(r.out, "key protector: guest state JSON Devices/"
					    "736e6aa9-a3f8-49c0-9550-a963214d259a/States/KeyProtector (current)"));
	ck_assert_ptr_nonnull(strstr(r.out, "LastKnownGoodKeyProtector (last_known_good)"));
	ck_assert_ptr_nonnull(strstr(r.out, "db: CN=Sample UEFI CA (synthesized)"));
	tu_run_free(&r);
	free(gs);
	/* the older placeholder layout: a repository inside a VHD, found by scanning */
	gs = tu_join(s, "restorable-expired/sql01/Virtual Machines/2B3C4D5E-6F7A-4B2C-9D0E-1F2A3B4C5D03.vmgs");
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

/* inspect dates its JSON as diagnose and audit do: SOURCE_DATE_EPOCH, else --at, else now. */
START_TEST(inspect_json_is_dated_like_the_other_commands)
{
	char *s = samples();
	char *kp = tu_join(s, "hgs/shielded01.kp");
	static const struct {
		const char *env, *at, *want;
	} cases[] = {
		{ "SOURCE_DATE_EPOCH=1790000000", NULL, "2026-09-21T14:13:20Z" },
		{ NULL, "2026-06-01", "2026-06-01T00:00:00Z" },
		{ "SOURCE_DATE_EPOCH=1790000000", "2026-06-01", "2026-09-21T14:13:20Z" },
		{ "SOURCE_DATE_EPOCH=not-a-number", "2026-06-01", "2026-06-01T00:00:00Z" },
	};
	char *first = NULL;
	for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
		char *const env[] = { (char *)cases[i].env, NULL };
		char *argv[8] = { (char *)tu_bin(), "inspect", "--format", "json" };
		size_t n = 4;
		if (cases[i].at) {
			argv[n++] = "--at";
			argv[n++] = (char *)cases[i].at;
		}
		argv[n++] = kp;
		argv[n] = NULL;
		for (int k = 0; k < 2; k++) { /* twice: the same bytes */
			tu_run_result r = tu_run(argv, cases[i].env ? env : NULL, NULL);
			ck_assert_int_eq(r.status, 0);
			json_object *doc = parse(&r);
			ck_assert_msg(strcmp(gets(doc, "generated_at"), cases[i].want) == 0,
				      "case %zu: generated_at %s, want %s", i,
				      gets(doc, "generated_at"), cases[i].want);
			json_object_put(doc);
			if (k == 0) {
				first = r.out;
				r.out = NULL;
			} else {
				ck_assert_str_eq(r.out, first);
				free(first);
			}
			tu_run_free(&r);
		}
	}
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

/*
 * Keys whose values are enumerations hvtpm defines (never evidence text).
 * "format" is not one of them: it names the reader that took a file, the
 * same identifier in inspect, diagnose and audit (hyperv-storage, ...).
 */
static const char *const enum_keys[] = {
	"verdict", "kind", "class", "status", "held", "origin", "survivability", "role",
	"confidence", "sha256_scope", "severity", "classification", "scheme", "type",
	"opened_by_source", "controller", "rule", "format",
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

/* ---- a terminal for the tests: hvtpm on a pseudo-terminal of a given width ------------ */

/*
 * Runs argv with stdout on a pty of cols columns (NO_COLOR set; COLUMNS set
 * to columns_env, or removed when NULL) and stderr to /dev/null; returns
 * stdout with the terminal's CR removed.
 */
static char *run_on_pty(char *const argv[], int cols, const char *columns_env, int *status)
{
	int m = posix_openpt(O_RDWR | O_NOCTTY);
	ck_assert_int_ge(m, 0);
	ck_assert_int_eq(grantpt(m), 0);
	ck_assert_int_eq(unlockpt(m), 0);
	char *sname = strdup(ptsname(m));
	struct winsize ws = { .ws_row = 50, .ws_col = (unsigned short)cols };
	pid_t pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		setsid();
		int s = open(sname, O_RDWR);
		if (s < 0)
			_exit(126);
		ioctl(s, TIOCSWINSZ, &ws);
		int nul = open("/dev/null", O_WRONLY);
		dup2(s, STDOUT_FILENO);
		dup2(nul, STDERR_FILENO);
		close(m);
		setenv("NO_COLOR", "1", 1);
		if (columns_env)
			setenv("COLUMNS", columns_env, 1);
		else
			unsetenv("COLUMNS");
		execv(argv[0], argv);
		_exit(127);
	}
	free(sname);
	strbuf sb = STRBUF_INIT;
	sb_adds(&sb, "");
	char buf[4096];
	for (;;) {
		ssize_t n = read(m, buf, sizeof buf);
		if (n <= 0)
			break; /* EIO once the child has closed the terminal */
		for (ssize_t i = 0; i < n; i++)
			if (buf[i] != '\r')
				sb_addc(&sb, buf[i]);
	}
	close(m);
	int st = 0;
	waitpid(pid, &st, 0);
	*status = WIFEXITED(st) ? WEXITSTATUS(st) : 128;
	return sb_detach(&sb);
}

/* The longest line of s, in columns (UTF-8 aware). */
static size_t widest_line(const char *s, const char **which)
{
	size_t best = 0;
	for (const char *p = s; *p;) {
		const char *e = strchr(p, '\n');
		size_t n = e ? (size_t)(e - p) : strlen(p);
		size_t cols = 0;
		for (size_t i = 0; i < n; i++)
			cols += ((unsigned char)p[i] & 0xC0) != 0x80;
		if (cols > best) {
			best = cols;
			*which = p;
		}
		p += n + (e ? 1 : 0);
	}
	return best;
}

/* Every thumbprint and host the JSON report names appears whole in text. */
static void all_named_whole(json_object *doc, const char *text)
{
	size_t n = 0;
	json_object *vms = get(doc, "vms");
	for (size_t i = 0; i < json_object_array_length(vms); i++) {
		json_object *cs = get(json_object_array_get_idx(vms, i), "certificates");
		for (size_t k = 0; k < json_object_array_length(cs); k++) {
			json_object *c = json_object_array_get_idx(cs, k);
			const char *tp = gets(c, "thumbprint_sha1");
			ck_assert_msg(strstr(text, tp) != NULL, "thumbprint %s cut", tp);
			json_object *h = NULL;
			if (json_object_object_get_ex(c, "host", &h) && h)
				ck_assert_msg(strstr(text, json_object_get_string(h)) != NULL,
					      "host %s cut", json_object_get_string(h));
			n++;
		}
	}
	ck_assert_uint_gt(n, 10);
}

START_TEST(text_fits_the_terminal_and_pipes_get_whole_lines)
{
	char *s = samples(), *pw = pwfile();
	tu_run_result j = diagnose_json("2026-11-28");
	json_object *doc = parse(&j);
	static const char *const cmds[] = { "diagnose", "audit" };
	for (size_t c = 0; c < 2; c++) {
		char *argv[] = { (char *)tu_bin(), (char *)cmds[c], "--password-file", pw, "--at",
				 "2026-11-28", s, NULL };
		static const struct {
			int cols;
			const char *env;
			size_t want;
		} terms[] = { { 80, NULL, 80 }, { 200, "64", 64 }, { 100, "abc", 100 } };
		for (size_t t = 0; t < 3; t++) {
			int st;
			char *out = run_on_pty(argv, terms[t].cols, terms[t].env, &st);
			ck_assert_int_eq(st, 2);
			const char *line = "";
			size_t w = widest_line(out, &line);
			ck_assert_msg(w <= terms[t].want, "%s at %zu columns: a line of %zu: %.120s",
				      cmds[c], terms[t].want, w, line);
			all_named_whole(doc, out);
			ck_assert_ptr_null(strchr(out, '\033'));
			free(out);
		}
		/* not a terminal: whole lines, even when COLUMNS is set */
		char *env[] = { "COLUMNS=80", NULL };
		tu_run_result r = tu_run(argv, env, NULL);
		const char *line = "";
		ck_assert_uint_gt(widest_line(r.out, &line), 100);
		all_named_whole(doc, r.out);
		tu_run_free(&r);
	}
	json_object_put(doc);
	tu_run_free(&j);
	free(s);
	free(pw);
}
END_TEST

/* One line per VM, worst first, then the details in the same order. */
START_TEST(text_opens_with_a_summary_table_worst_first)
{
	char *s = samples(), *pw = pwfile();
	char *argv[] = { (char *)tu_bin(), "diagnose", "--password-file", pw, "--at", "2026-11-28",
			 s, NULL };
	tu_run_result r = tu_run(argv, NULL, NULL);
	ck_assert_int_eq(r.status, 2);
	static const char *const order[] = { "web03", "web02", "dc02", "app03", "file01", "sql01",
					     "shielded01", "app01", "web-legacy" };
	const char *table = strstr(r.out, "WHAT IS MISSING");
	ck_assert_ptr_nonnull(table);
	const char *answer = strstr(r.out, "Exit status 2: ");
	ck_assert_ptr_nonnull(answer);
	const char *prev = table, *prev_detail = answer;
	for (size_t i = 0; i < sizeof order / sizeof *order; i++) {
		char row[64], head[64];
		snprintf(row, sizeof row, "\n  %s ", order[i]);
		snprintf(head, sizeof head, "\nVM %s ", order[i]);
		const char *at = strstr(table, row), *d = strstr(answer, head);
		ck_assert_msg(at && at > prev && at < answer, "%s out of order in the table", order[i]);
		ck_assert_msg(d && d > prev_detail, "%s details out of order", order[i]);
		prev = at;
		prev_detail = d;
	}
	/* what is missing names the host whose keys are missing */
	ck_assert_ptr_nonnull(strstr(r.out, "encryption and signing private keys of host HV-RETIRED"));
	ck_assert_ptr_nonnull(strstr(r.out, "signing private key of host HV2019-02"));
	ck_assert_ptr_nonnull(strstr(r.out, "the password of 2 PFX files"));
	tu_run_free(&r);
	/* audit opens the same way */
	char *argv2[] = { (char *)tu_bin(), "audit", "--password-file", pw, "--at", "2026-11-28",
			  s, NULL };
	r = tu_run(argv2, NULL, NULL);
	table = strstr(r.out, "WHAT IS MISSING");
	ck_assert_ptr_nonnull(table);
	ck_assert(strstr(table, "\n  web03 ") < strstr(table, "\n  web-legacy "));
	ck_assert(strstr(r.out, "WHAT IS MISSING") < strstr(r.out, "Certificates (14), by date"));
	tu_run_free(&r);
	free(s);
	free(pw);
}
END_TEST

static size_t count_vms(const tu_run_result *r)
{
	json_object *doc = parse(r);
	size_t n = json_object_array_length(get(doc, "vms"));
	json_object_put(doc);
	return n;
}

START_TEST(filters_select_vms_by_verdict_expiry_and_name)
{
	char *s = samples(), *pw = pwfile();
	static const char *const cmds[] = { "diagnose", "audit" };
	for (size_t c = 0; c < 2; c++) {
		/* both spellings of a verdict, any case */
		char *a1[] = { (char *)tu_bin(), (char *)cmds[c], "--format", "json", "--password-file",
			       pw, "--at", "2026-11-28", "--verdict", "REBUILD,needs-password",
			       "--verdict", "rebuild_data_loss", s, NULL };
		tu_run_result r = tu_run(a1, NULL, NULL);
		ck_assert_int_eq(r.status, 2);
		json_object *doc = parse(&r);
		json_object *vms = get(doc, "vms");
		ck_assert_uint_eq(json_object_array_length(vms), 3);
		for (size_t i = 0; i < 3; i++) {
			const char *v = gets(json_object_array_get_idx(vms, i), "verdict");
			ck_assert(strcmp(v, "rebuild") == 0 || strcmp(v, "needs_password") == 0 ||
				  strcmp(v, "rebuild_data_loss") == 0);
		}
		json_object *f = get(doc, "filter");
		ck_assert_uint_eq(json_object_array_length(get(f, "verdicts")), 3);
		ck_assert_int_eq(json_object_get_int(get(get(doc, "summary"), "vms_in_evidence")), 9);
		json_object_put(doc);
		tu_run_free(&r);
		/* only what is fine: the exit status covers the VMs reported */
		char *a2[] = { (char *)tu_bin(), (char *)cmds[c], "--format", "json", "--password-file",
			       pw, "--at", "2026-11-28", "--verdict", "restorable,no_vtpm", s, NULL };
		r = tu_run(a2, NULL, NULL);
		ck_assert_int_eq(r.status, 0);
		ck_assert_uint_eq(count_vms(&r), 2);
		tu_run_free(&r);
		/* certificates expiring before 2027-03-01: sql01 (expired) and web02 */
		char *a3[] = { (char *)tu_bin(), (char *)cmds[c], "--format", "json", "--password-file",
			       pw, "--at", "2026-11-28", "--expiring-before", "2027-03-01", s, NULL };
		r = tu_run(a3, NULL, NULL);
		doc = parse(&r);
		vms = get(doc, "vms");
		ck_assert_uint_eq(json_object_array_length(vms), 2);
		ck_assert_str_eq(gets(get(doc, "filter"), "expiring_before"), "2027-03-01T00:00:00Z");
		json_object_put(doc);
		tu_run_free(&r);
		/* a verdict that does not exist, an impossible date */
		r = tu_hvtpm(cmds[c], "--verdict", "rebuilt", s, NULL);
		ck_assert_int_eq(r.status, 3);
		ck_assert_ptr_nonnull(strstr(r.err, "no verdict 'rebuilt'"));
		ck_assert_ptr_nonnull(strstr(r.err, "rebuild_data_loss"));
		tu_run_free(&r);
		r = tu_hvtpm(cmds[c], "--expiring-before", "2027-02-29", s, NULL);
		ck_assert_int_eq(r.status, 3);
		ck_assert_ptr_nonnull(strstr(r.err, "--expiring-before wants an ISO 8601 date"));
		tu_run_free(&r);
	}
	/* --vm: any case, repeatable; a name that is not there lists those that are */
	char *a4[] = { (char *)tu_bin(), "diagnose", "--format", "json", "--password-file", pw,
		       "--vm", "SQL01", "--vm", "{1a2b3c4d-5e6f-4a1b-8c9d-0e1f2a3b4c02}", s, NULL };
	tu_run_result r = tu_run(a4, NULL, NULL);
	ck_assert_uint_eq(count_vms(&r), 2);
	tu_run_free(&r);
	r = tu_hvtpm("diagnose", "--vm", "SQL99", s, NULL);
	ck_assert_int_eq(r.status, 3);
	ck_assert_ptr_nonnull(strstr(r.err, "hvtpm diagnose: no VM 'SQL99' in the evidence"));
	ck_assert_ptr_nonnull(strstr(r.err, "VMs found (9): "));
	ck_assert_ptr_nonnull(strstr(r.err, "sql01"));
	ck_assert_ptr_nonnull(strstr(r.err, "web-legacy"));
	tu_run_free(&r);
	free(s);
	free(pw);
}
END_TEST

/* tests/pscheck over every .ps1 of dir; returns how many passed. */
static size_t pscheck_dir(const char *dir)
{
	char *script = tu_join(tu_srcdir(), "tests/pscheck/check.cjs");
	char cmd[4096];
	snprintf(cmd, sizeof cmd, "node '%s' '%s'/*.ps1", script, dir);
	free(script);
	char *argv[] = { "sh", "-c", cmd, NULL };
	tu_run_result r = tu_run(argv, NULL, NULL);
	ck_assert_msg(r.status == 0, "pscheck failed (%d):\n%s%s", r.status, r.out, r.err);
	size_t ok = 0;
	for (const char *p = r.out; (p = strstr(p, "ok ")); p++)
		ok++;
	tu_run_free(&r);
	return ok;
}

/* Every plan the samples produce parses, one script for all VMs or one per VM. */
START_TEST(plans_for_every_sample_parse_as_powershell)
{
	char *s = samples(), *pw = pwfile();
	char *d = tu_mkdtemp();
	char *all = tu_join(d, "all.ps1"), *nopw = tu_join(d, "all-no-password.ps1");
	char *per = tu_join(d, "per-vm");
	char *a1[] = { (char *)tu_bin(), "diagnose", "--plan-out", all, "--password-file", pw,
		       "--at", "2026-11-28", s, NULL };
	tu_run_result r = tu_run(a1, NULL, NULL);
	ck_assert_msg(r.status == 2, "%d %s", r.status, r.err);
	tu_run_free(&r);
	char *a2[] = { (char *)tu_bin(), "diagnose", "--plan-out", nopw, "--at", "2026-11-28", s,
		       NULL };
	r = tu_run(a2, NULL, NULL);
	tu_run_free(&r);
	char *a3[] = { (char *)tu_bin(), "diagnose", "--plan-dir", per, "--password-file", pw,
		       "--at", "2026-11-28", s, NULL };
	r = tu_run(a3, NULL, NULL);
	ck_assert_msg(r.status == 2, "%d %s", r.status, r.err);
	tu_run_free(&r);
	/* one section per VM, each -WhatIf-able and selectable */
	size_t n;
	char *txt = (char *)tu_read(all, &n);
	ck_assert_ptr_nonnull(txt);
	size_t sections = 0;
	for (const char *p = txt; (p = strstr(p, "# ==== VM ")); p++)
		sections++;
	ck_assert_uint_eq(sections, 9);
	ck_assert_ptr_nonnull(strstr(txt, "param([string[]]$Only, [switch]$RegenerateGuardian)"));
	ck_assert_ptr_nonnull(strstr(txt, "SupportsShouldProcess"));
	ck_assert_ptr_null(strstr(txt, "Sample-Only-Export-2026"));
	free(txt);
	/* a second run never overwrites */
	r = tu_run(a3, NULL, NULL);
	ck_assert_int_eq(r.status, 3);
	ck_assert_ptr_nonnull(strstr(r.err, "exists already"));
	tu_run_free(&r);
	char *copy = tu_join(d, "per-vm/*.ps1");
	ck_assert_int_eq(tu_sh("cp %s '%s'", copy, d), 0);
	free(copy);
	ck_assert_uint_eq(pscheck_dir(d), 9 + 2);
	tu_rmtree(d);
	free(d);
	free(all);
	free(nopw);
	free(per);
	free(s);
	free(pw);
}
END_TEST

/* degraded: the encryption PFX the evidence holds is imported before anything is checked. */
START_TEST(degraded_plan_imports_what_the_evidence_holds)
{
	char *s = samples(), *pw = pwfile();
	char *d = tu_join(s, "degraded");
	char *argv[] = { (char *)tu_bin(), "diagnose", "--format", "json", "--password-file", pw,
			 d, NULL };
	tu_run_result r = tu_run(argv, NULL, NULL);
	json_object *doc = parse(&r);
	json_object *plan = get(vm_named(doc, "file01"), "plan");
	const char *s1 = json_object_get_string(json_object_array_get_idx(plan, 0));
	ck_assert_msg(strncmp(s1, "Import ", 7) == 0 && strstr(s1, "Encryption_Certificate"),
		      "step 1: %s", s1);
	ck_assert_ptr_nonnull(strstr(json_object_get_string(json_object_array_get_idx(plan, 2)),
				     "Find the signing private key"));
	json_object_put(doc);
	tu_run_free(&r);
	r = plan_for("degraded", "file01");
	ck_assert_ptr_null(strstr(r.out, "$Files = @(\n)"));
	const char *files = strstr(r.out, "$Files = @(\n    ");
	ck_assert_ptr_nonnull(files);
	ck_assert(strstr(files, "Encryption_Certificate") < strstr(files, ")\n"));
	ck_assert_ptr_nonnull(strstr(r.out, "Import-PfxCertificate"));
	tu_run_free(&r);
	/* a plan with nothing to import asks for no password */
	r = plan_for("hgs", "shielded01");
	ck_assert_ptr_null(strstr(r.out, "Read-Host -AsSecureString -Prompt 'PFX password'"));
	tu_run_free(&r);
	free(d);
	free(s);
	free(pw);
}
END_TEST

START_TEST(no_password_given_says_so_once)
{
	char *s = samples();
	char *d = tu_join(s, "restorable");
	tu_run_result r = tu_hvtpm("diagnose", "--at", "2026-11-28", d, NULL);
	ck_assert_int_eq(r.status, 1);
	/* stderr: one line, no per-file error */
	ck_assert_ptr_null(strstr(r.err, "error:"));
	ck_assert_ptr_nonnull(strstr(r.err, "2 PFX files could not be opened: no password was "
					    "given"));
	ck_assert_ptr_nonnull(strstr(r.err, "--try-default-passwords"));
	ck_assert_ptr_null(strchr(strchr(r.err, '\n') + 1, '\n'));
	/* the report: the reason, the plan and one evidence line per locked file */
	ck_assert_ptr_nonnull(strstr(r.out, "no password was given"));
	ck_assert_ptr_null(strstr(r.out, "2 passwords tried"));
	ck_assert_ptr_nonnull(strstr(r.out, "--try-default-passwords (the passwords of common "
					    "export scripts, P@ssword among them)"));
	size_t listed = 0;
	for (const char *p = r.out; (p = strstr(p, "  not opened   ")); p++)
		listed++;
	ck_assert_uint_eq(listed, 2);
	tu_run_free(&r);
	/* audit lists the locked files once, in their own section */
	r = tu_hvtpm("audit", "--at", "2026-11-28", d, NULL);
	ck_assert_ptr_nonnull(strstr(r.out, "PFX files that could not be opened (2)"));
	ck_assert_ptr_null(strstr(r.out, "  not opened   "));
	ck_assert_ptr_null(strstr(r.err, "error:"));
	tu_run_free(&r);
	free(d);
	free(s);
}
END_TEST

/* Windows PowerShell 5.1: "P@ssword" > pw.txt is UTF-16LE with a BOM and CRLF. */
START_TEST(utf16_password_file_from_windows_powershell_opens_the_pfx)
{
	static const char pass[] = "Sample-Only-Export-2026";
	uint8_t b[2 + 2 * (sizeof pass + 1)];
	size_t n = 0;
	b[n++] = 0xFF;
	b[n++] = 0xFE;
	for (size_t i = 0; i < sizeof pass - 1; i++) {
		b[n++] = (uint8_t)pass[i];
		b[n++] = 0;
	}
	b[n++] = '\r';
	b[n++] = 0;
	b[n++] = '\n';
	b[n++] = 0;
	char *t = tu_mkdtemp();
	char *pw = tu_join(t, "pw.txt");
	tu_write(pw, b, n);
	char *s = samples();
	char *d = tu_join(s, "restorable");
	char *argv[] = { (char *)tu_bin(), "diagnose", "--format", "json", "--password-file", pw,
			 "--at", "2026-11-28", d, NULL };
	tu_run_result r = tu_run(argv, NULL, NULL);
	ck_assert_msg(r.status == 0, "exit %d: %s", r.status, r.err);
	json_object *doc = parse(&r);
	ck_assert_str_eq(gets(vm_named(doc, "app01"), "verdict"), "restorable");
	json_object_put(doc);
	tu_run_free(&r);
	/* UTF-16BE with its BOM too */
	for (size_t i = 0; i + 1 < n; i += 2) {
		uint8_t x = b[i];
		b[i] = b[i + 1];
		b[i + 1] = x;
	}
	tu_write(pw, b, n);
	r = tu_run(argv, NULL, NULL);
	ck_assert_int_eq(r.status, 0);
	tu_run_free(&r);
	free(d);
	free(s);
	free(pw);
	tu_rmtree(t);
	free(t);
}
END_TEST

/* A PFX re-exported with P@ssword (what the seed export script uses). */
static void reexport(const char *src, const char *from_pw, const char *dst, const char *to_pw)
{
	size_t n;
	uint8_t *b = tu_read(src, &n);
	ck_assert_ptr_nonnull(b);
	const unsigned char *p = b;
	PKCS12 *in = d2i_PKCS12(NULL, &p, (long)n);
	ck_assert_ptr_nonnull(in);
	EVP_PKEY *k = NULL;
	X509 *x = NULL;
	ck_assert_int_eq(PKCS12_parse(in, from_pw, &k, &x, NULL), 1);
	PKCS12 *out = PKCS12_create(to_pw, NULL, k, x, NULL, NID_aes_256_cbc, NID_aes_256_cbc,
				    10000, 10000, 0);
	ck_assert_ptr_nonnull(out);
	unsigned char *d = NULL;
	int l = i2d_PKCS12(out, &d);
	ck_assert_int_gt(l, 0);
	tu_write(dst, d, (size_t)l);
	OPENSSL_free(d);
	PKCS12_free(out);
	PKCS12_free(in);
	EVP_PKEY_free(k);
	X509_free(x);
	free(b);
}

START_TEST(default_passwords_open_a_seed_script_export)
{
	char *s = samples();
	char *t = tu_mkdtemp();
	ck_assert_int_eq(tu_sh("cp -R '%s/restorable/app01' '%s/'", s, t), 0);
	static const char *const roles[] = { "Encryption", "Signing" };
	for (int i = 0; i < 2; i++) {
		char src[512], dst[512];
		snprintf(src, sizeof src,
			 "%s/restorable/pfx-backup/Shielded_VM_%s_Certificate_(UntrustedGuardian)_"
			 "(HV2019-01).pfx", s, roles[i]);
		snprintf(dst, sizeof dst, "%s/%s.pfx", t, roles[i]);
		reexport(src, "Sample-Only-Export-2026", dst, "P@ssword");
	}
	tu_run_result r = tu_hvtpm("diagnose", "--at", "2026-11-28", t, NULL);
	ck_assert_int_eq(r.status, 1); /* needs_password */
	ck_assert_ptr_nonnull(strstr(r.err, "--try-default-passwords"));
	tu_run_free(&r);
	r = tu_hvtpm("diagnose", "--try-default-passwords", "--at", "2026-11-28", t, NULL);
	ck_assert_msg(r.status == 0, "exit %d\n%s", r.status, r.out);
	ck_assert_ptr_nonnull(strstr(r.out, "restorable"));
	ck_assert_ptr_null(strstr(r.out, "P@ssword\n"));
	tu_run_free(&r);
	tu_rmtree(t);
	free(t);
	free(s);
}
END_TEST

/* A legacy export's weak parameters: one line per file, a note, the details in JSON. */
START_TEST(weak_protection_is_one_line_per_file)
{
	char *s = samples(), *pw = pwfile();
	char *d = tu_join(s, "restorable-expired/certs");
	char *argv[] = { (char *)tu_bin(), "inspect", "--password-file", pw, d, NULL };
	tu_run_result r = tu_run(argv, NULL, NULL);
	ck_assert_int_eq(r.status, 0);
	size_t lines = 0;
	for (const char *p = r.err; (p = strstr(p, "weak protection")); p++)
		lines++;
	ck_assert_uint_eq(lines, 2);
	ck_assert_ptr_nonnull(strstr(r.err, "hvtpm inspect: note: "));
	ck_assert_ptr_null(strstr(r.err, "error"));
	ck_assert_ptr_null(strstr(r.err, "warning"));
	tu_run_free(&r);
	char *argv2[] = { (char *)tu_bin(), "diagnose", "--format", "json", "--password-file", pw,
			  d, NULL };
	r = tu_run(argv2, NULL, NULL);
	ck_assert_str_eq(r.err, "");
	json_object *doc = parse(&r);
	json_object *ev = get(doc, "evidence");
	size_t pfx = 0;
	for (size_t i = 0; i < json_object_array_length(ev); i++) {
		json_object *f = json_object_array_get_idx(ev, i);
		if (strcmp(gets(f, "kind"), "pfx") != 0)
			continue;
		ck_assert_uint_eq(json_object_array_length(get(f, "weak_protection")), 5);
		pfx++;
	}
	ck_assert_uint_eq(pfx, 2);
	json_object_put(doc);
	tu_run_free(&r);
	char *argv3[] = { (char *)tu_bin(), "diagnose", "--password-file", pw, d, NULL };
	r = tu_run(argv3, NULL, NULL);
	lines = 0;
	for (const char *p = r.out; (p = strstr(p, "\n  weak         ")); p++)
		lines++;
	ck_assert_uint_eq(lines, 2);
	tu_run_free(&r);
	free(d);
	free(s);
	free(pw);
}
END_TEST

/* The reader expects the 48-digit password: name the protector as manage-bde does. */
START_TEST(recovery_password_is_named_by_its_id_not_shown_as_the_password)
{
	tu_run_result r = plan_for("rebuild", "web02");
	tu_run_free(&r);
	char *s = samples();
	char *d = tu_join(s, "rebuild");
	/* the protector's GUID, as the JSON detail of the disk gives it */
	r = tu_hvtpm("diagnose", "--format", "json", "--at", "2026-11-28", d, NULL);
	const char *g = strstr(r.out, "\"type\": \"recovery_password\"");
	ck_assert_ptr_nonnull(g);
	const char *q = g;
	while (q > r.out && strncmp(q, "\"guid\": \"", 9) != 0)
		q--;
	ck_assert(q > r.out);
	char guid[37];
	snprintf(guid, sizeof guid, "%s", q + 9);
	tu_run_free(&r);
	r = tu_hvtpm("diagnose", "--at", "2026-11-28", d, NULL);
	char want[96];
	snprintf(want, sizeof want, "Numerical Password ID {%s}", guid);
	ck_assert_msg(strstr(r.out, want) != NULL, "no '%s' in %.2000s", want, r.out);
	snprintf(want, sizeof want, "recovery key ID %.8s;", guid);
	ck_assert_ptr_nonnull(strstr(r.out, want));
	ck_assert_ptr_nonnull(strstr(r.out, "the 48-digit recovery password is not on the disk"));
	snprintf(want, sizeof want, "recovery password %.4s", guid);
	ck_assert_ptr_null(strstr(r.out, want));
	tu_run_free(&r);
	free(d);
	free(s);
}
END_TEST

/* The VM's host pair is missing but another host's is there: name it. */
START_TEST(another_hosts_certificates_are_named)
{
	char *s = samples(), *pw = pwfile();
	char *a = tu_join(s, "rebuild/web02"), *b = tu_join(s, "restorable/pfx-backup");
	/* the pair in pfx-backup is app01's (samples are regenerated: read, not written here) */
	tu_run_result r = diagnose_json("2026-11-28");
	json_object *doc = parse(&r);
	json_object *cs = get(vm_named(doc, "app01"), "certificates");
	char enc[41], sig[41];
	for (size_t i = 0; i < 2; i++) {
		json_object *c = json_object_array_get_idx(cs, i);
		snprintf(strcmp(gets(c, "role"), "encryption") == 0 ? enc : sig, 41, "%s",
			 gets(c, "thumbprint_sha1"));
	}
	json_object_put(doc);
	tu_run_free(&r);
	char *argv[] = { (char *)tu_bin(), "diagnose", "--format", "json", "--password-file", pw,
			 a, b, NULL };
	r = tu_run(argv, NULL, NULL);
	doc = parse(&r);
	json_object *v = vm_named(doc, "web02");
	ck_assert_str_eq(gets(v, "verdict"), "rebuild");
	json_object *rs = get(v, "reasons");
	const char *named = NULL;
	for (size_t i = 0; i < json_object_array_length(rs); i++) {
		const char *t = json_object_get_string(json_object_array_get_idx(rs, i));
		if (strstr(t, "other local guardian certificate"))
			named = t;
	}
	ck_assert_ptr_nonnull(named);
	ck_assert_ptr_nonnull(strstr(named, "HV2019-01 ("));
	char want[96];
	snprintf(want, sizeof want, "encryption %s with its key", enc);
	ck_assert_msg(strstr(named, want) != NULL, "%s", named);
	snprintf(want, sizeof want, "signing %s with its key", sig);
	ck_assert_msg(strstr(named, want) != NULL, "%s", named);
	ck_assert_ptr_nonnull(strstr(named, "another host"));
	json_object_put(doc);
	tu_run_free(&r);
	free(a);
	free(b);
	free(s);
	free(pw);
}
END_TEST

/* The long options an --help text lists (the lines that start with "  -"). */
static size_t help_options(const char *help, char opts[][32], size_t max)
{
	size_t n = 0;
	for (const char *l = help; l && *l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : NULL) {
		if (strncmp(l, "  -", 3) != 0)
			continue;
		const char *e = strchr(l, '\n');
		for (const char *p = l; (p = strstr(p, "--")) && (!e || p < e); p += 2) {
			size_t k = 2;
			while ((p[k] >= 'a' && p[k] <= 'z') || p[k] == '-')
				k++;
			if (k > 2 && n < max && k < 32) {
				memcpy(opts[n], p, k);
				opts[n][k] = '\0';
				n++;
				break; /* one option per line: the first */
			}
		}
	}
	return n;
}

static char *bash_complete(const char *words)
{
	char *file = tu_join(tu_srcdir(), "completions/hvtpm.bash");
	char cmd[2048];
	snprintf(cmd, sizeof cmd,
		 "source '%s'; COMP_WORDS=(%s); COMP_CWORD=$((${#COMP_WORDS[@]}-1)); _hvtpm; "
		 "printf '%%s\\n' \"${COMPREPLY[@]}\"", file, words);
	free(file);
	char *argv[] = { "bash", "--norc", "-c", cmd, NULL };
	tu_run_result r = tu_run(argv, NULL, NULL);
	ck_assert_msg(r.status == 0, "bash: %s", r.err);
	char *out = strdup(r.out);
	tu_run_free(&r);
	return out;
}

/* Every option of every --help is completed, and nothing else; verdicts and formats too. */
START_TEST(bash_completion_knows_every_option_and_verdict)
{
	static const struct {
		const char *help[3], *words;
	} cmds[] = {
		{ { "inspect", "--help", NULL }, "hvtpm inspect --" },
		{ { "diagnose", "--help", NULL }, "hvtpm diagnose --" },
		{ { "audit", "--help", NULL }, "hvtpm audit --" },
		{ { "merge", "--help", NULL }, "hvtpm merge --" },
		{ { "script", "export", "--help" }, "hvtpm script export --" },
		{ { "script", "import", "--help" }, "hvtpm script import --" },
		{ { "script", "collect", "--help" }, "hvtpm script collect --" },
	};
	for (size_t i = 0; i < sizeof cmds / sizeof *cmds; i++) {
		tu_run_result h = tu_hvtpm(cmds[i].help[0], cmds[i].help[1], cmds[i].help[2], NULL);
		char opts[40][32];
		size_t n = help_options(h.out, opts, 40);
		ck_assert_uint_gt(n, 2);
		char *got = bash_complete(cmds[i].words);
		size_t lines = 0;
		for (const char *p = got; (p = strchr(p, '\n')); p++)
			lines++;
		ck_assert_msg(lines == n, "%s: %zu completions, %zu options in --help:\n%s",
			      cmds[i].words, lines, n, got);
		for (size_t k = 0; k < n; k++) {
			char want[40];
			snprintf(want, sizeof want, "%s\n", opts[k]);
			ck_assert_msg(strstr(got, want) != NULL, "%s: %s not completed", cmds[i].words,
				      opts[k]);
		}
		free(got);
		tu_run_free(&h);
	}
	char *got = bash_complete("hvtpm audit --verdict rebuild,ne");
	ck_assert_str_eq(got, "rebuild,needs_password\n");
	free(got);
	got = bash_complete("hvtpm diagnose --verdict re");
	ck_assert_str_eq(got, "restorable\nrestorable_expired\nrebuild\nrebuild_data_loss\n");
	free(got);
	got = bash_complete("hvtpm audit --format ''");
	ck_assert_str_eq(got, "text\njson\ncsv\njsonl\nhtml\n");
	free(got);
	got = bash_complete("hvtpm merge --format ''");
	ck_assert_str_eq(got, "text\njson\ncsv\njsonl\nhtml\n");
	free(got);
	got = bash_complete("hvtpm di");
	ck_assert_str_eq(got, "diagnose\n");
	free(got);
	got = bash_complete("hvtpm help s");
	ck_assert_str_eq(got, "script\n");
	free(got);
	/* every verdict of the man page is offered */
	got = bash_complete("hvtpm audit --verdict ''");
	static const char *const verdicts[] = { "no_vtpm", "restorable", "restorable_expired",
						"degraded", "needs_password", "hgs", "unknown",
						"rebuild", "rebuild_data_loss" };
	for (size_t k = 0; k < 9; k++)
		ck_assert_ptr_nonnull(strstr(got, verdicts[k]));
	free(got);
}
END_TEST

/* zsh: the function loads, and completes a verdict list and an option in a real shell. */
START_TEST(zsh_completion_works_in_zsh)
{
	if (!tu_have("zsh"))
		TEST_SKIP("zsh not installed");
	char *dir = tu_join(tu_srcdir(), "completions");
	char *file = tu_join(dir, "_hvtpm");
	char *a1[] = { "zsh", "-n", file, NULL };
	tu_run_result r = tu_run(a1, NULL, NULL);
	ck_assert_msg(r.status == 0, "zsh -n: %s", r.err);
	tu_run_free(&r);
	static const struct {
		const char *typed, *want;
	} cases[] = {
		{ "hvtpm audit --verdict rebuild,ne", "hvtpm audit --verdict rebuild,needs_password" },
		{ "hvtpm diagnose --plan-d", "hvtpm diagnose --plan-dir" },
		{ "hvtpm audit --table c", "hvtpm audit --table certs" },
	};
	for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
		char script[2048];
		snprintf(script, sizeof script,
			 "zmodload zsh/zpty\n"
			 "zpty z zsh -f -i\n"
			 "zpty -w z \"PROMPT='> '; fpath=(%s \\$fpath); autoload -U compinit; "
			 "compinit -u -D; unsetopt zle_bracketed_paste 2>/dev/null\"\n"
			 "sleep 1\n"
			 "zpty -w -n z $'%s\\t'\n"
			 "sleep 2\n"
			 "zpty -w -n z $'\\x01echo LINE:\\x05\\n'\n"
			 "sleep 1\n"
			 "out=''\n"
			 "while zpty -r -t z chunk; do out+=$chunk; done\n"
			 "print -r -- \"$out\" | tr -d '\\r' | grep -a 'LINE:' | tail -1\n"
			 "zpty -d z\n",
			 dir, cases[i].typed);
		char *a2[] = { "zsh", "-f", "-c", script, NULL };
		r = tu_run(a2, NULL, NULL);
		char want[256];
		snprintf(want, sizeof want, "LINE:%s", cases[i].want);
		ck_assert_msg(strstr(r.out, want) != NULL, "typed %s, got %s", cases[i].typed, r.out);
		tu_run_free(&r);
	}
	free(file);
	free(dir);
}
END_TEST

/* Every option --help lists is documented in the man page, and the verdicts with it. */
START_TEST(help_and_man_page_agree)
{
	char *manp = tu_join(tu_srcdir(), "man/hvtpm.1");
	size_t n;
	char *man = (char *)tu_read(manp, &n);
	ck_assert_ptr_nonnull(man);
	static const char *const cmds[][3] = {
		{ "inspect", "--help", NULL }, { "diagnose", "--help", NULL },
		{ "audit", "--help", NULL }, { "script", "export", "--help" },
		{ "script", "import", "--help" }, { "script", "collect", "--help" },
	};
	for (size_t i = 0; i < sizeof cmds / sizeof *cmds; i++) {
		tu_run_result h = tu_hvtpm(cmds[i][0], cmds[i][1], cmds[i][2], NULL);
		const char *line = "";
		ck_assert_msg(widest_line(h.out, &line) <= 80, "%s --help: %.90s", cmds[i][0], line);
		char opts[40][32];
		size_t k = help_options(h.out, opts, 40);
		for (size_t j = 0; j < k; j++) {
			char want[48];
			snprintf(want, sizeof want, "Fl \\-%s", opts[j] + 2);
			ck_assert_msg(strstr(man, want) != NULL, "%s: %s not in the man page",
				      cmds[i][0], opts[j]);
		}
		tu_run_free(&h);
	}
	static const char *const verdicts[] = { "no_vtpm", "restorable_expired", "degraded",
						"needs_password", "hgs", "rebuild_data_loss" };
	static const char *const with_verdicts[] = { "diagnose", "audit" };
	for (size_t c = 0; c < 2; c++) {
		tu_run_result h = tu_hvtpm(with_verdicts[c], "--help", NULL);
		for (size_t v = 0; v < sizeof verdicts / sizeof *verdicts; v++) {
			char want[48];
			snprintf(want, sizeof want, ".It Cm %s\n", verdicts[v]);
			ck_assert_msg(strstr(man, want) != NULL, "%s not in VERDICTS", verdicts[v]);
			ck_assert_msg(strstr(h.out, verdicts[v]) != NULL, "%s --help lacks %s",
				      with_verdicts[c], verdicts[v]);
		}
		ck_assert_ptr_nonnull(strstr(h.out, "--verdict LIST"));
		ck_assert_ptr_nonnull(strstr(h.out, "--expiring-before DATE"));
		ck_assert_ptr_nonnull(strstr(h.out, "never abbreviated"));
		tu_run_free(&h);
	}
	ck_assert_ptr_nonnull(strstr(man, "(currently 2)"));
	ck_assert_ptr_nonnull(strstr(man, "OWASP"));
	ck_assert_ptr_null(strstr(man, "restorable-expired"));
	free(man);
	free(manp);
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
	tcase_add_test(tc, plan_out_refuses_the_whole_export_and_links_into_it);
	tcase_add_test(tc, usage_and_input_errors_have_their_codes);
	tcase_add_test(tc, corrupt_config_is_an_input_error_naming_file_and_offset);
	tcase_add_test(tc, inspect_reports_every_corpus_file);
	tcase_add_test(tc, inspect_saved_kp_and_guest_state);
	tcase_add_test(tc, inspect_json_is_dated_like_the_other_commands);
	tcase_add_test(tc, colour_only_on_a_terminal);
	tcase_add_test(tc, options_are_spelled_in_full_and_values_never_echoed);
	tcase_add_test(tc, help_command_prints_the_command_help);
	tcase_add_test(tc, impossible_dates_are_usage_errors);
	tcase_add_test(tc, json_enum_values_are_one_style);
	tcase_add_test(tc, text_fits_the_terminal_and_pipes_get_whole_lines);
	tcase_add_test(tc, text_opens_with_a_summary_table_worst_first);
	tcase_add_test(tc, filters_select_vms_by_verdict_expiry_and_name);
	tcase_add_test(tc, plans_for_every_sample_parse_as_powershell);
	tcase_add_test(tc, degraded_plan_imports_what_the_evidence_holds);
	tcase_add_test(tc, no_password_given_says_so_once);
	tcase_add_test(tc, utf16_password_file_from_windows_powershell_opens_the_pfx);
	tcase_add_test(tc, default_passwords_open_a_seed_script_export);
	tcase_add_test(tc, weak_protection_is_one_line_per_file);
	tcase_add_test(tc, recovery_password_is_named_by_its_id_not_shown_as_the_password);
	tcase_add_test(tc, another_hosts_certificates_are_named);
	tcase_add_test(tc, bash_completion_knows_every_option_and_verdict);
	tcase_add_test(tc, zsh_completion_works_in_zsh);
	tcase_add_test(tc, help_and_man_page_agree);
	suite_add_tcase(s, tc);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
