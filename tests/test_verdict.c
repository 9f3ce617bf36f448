/* test_verdict.c - the restore-or-rebuild decision and its plans, on built evidence. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "analysis/eval_windows.h"
#include "analysis/evaluate.h"
#include "analysis/filter.h"
#include "analysis/plan.h"
#include "analysis/verdict.h"
#include "report/plan_ps.h"
#include "model/evidence.h"
#include "support/certgen.h"
#include "support/testutil.h"
#include "util/strbuf.h"
#include "util/text.h"
#include "util/xalloc.h"

#define DAY 86400L

static time_t T0; /* 2016-11-01: a host set up in late 2016 */

typedef struct {
	hv_cert enc, sig;
} pair;

static void make_pair(pair *p, const char *guardian, const char *host, time_t nb, time_t na)
{
	char cn[256];
	snprintf(cn, sizeof cn, "Shielded VM Encryption Certificate (%s) (%s)", guardian, host);
	X509 *x = certgen_self_signed(cn, nb, na, NULL);
	ck_assert_int_eq(cert_from_x509(x, &p->enc), HV_OK);
	X509_free(x);
	snprintf(cn, sizeof cn, "Shielded VM Signing Certificate (%s) (%s)", guardian, host);
	x = certgen_self_signed(cn, nb, na, NULL);
	ck_assert_int_eq(cert_from_x509(x, &p->sig), HV_OK);
	X509_free(x);
}

static void make_other(pair *p, const char *name, time_t nb, time_t na)
{
	char cn[256];
	snprintf(cn, sizeof cn, "encryption.%s", name);
	X509 *x = certgen_self_signed(cn, nb, na, NULL);
	ck_assert_int_eq(cert_from_x509(x, &p->enc), HV_OK);
	X509_free(x);
	snprintf(cn, sizeof cn, "signing.%s", name);
	x = certgen_self_signed(cn, nb, na, NULL);
	ck_assert_int_eq(cert_from_x509(x, &p->sig), HV_OK);
	X509_free(x);
}

static void copy_cert(const hv_cert *src, hv_cert *dst)
{
	ck_assert_int_eq(cert_from_der(src->der, src->der_len, dst, "copy", HV_NO_OFFSET, NULL),
			 HV_OK);
}

/* A VM whose current KP has the given wrappings (first one is the owner). */
/* A PFX no candidate opened, recorded as the collector records one: used, status password. */
static void add_locked_pfx(evidence *e, const char *path, const char *why)
{
	size_t f = evidence_add_file(e, path, NULL, 10);
	e->files[f].kind = EV_PFX;
	e->files[f].status = HV_ERR_PASSWORD;
	ev_file_extra x = { .error = xstrdup(why) };
	evidence_file_extra(e, f, &x);
}

static ev_vm *vm_with_kp(evidence *e, const char *id, pair *w, size_t nw)
{
	size_t f = evidence_add_file(e, "vm.kp", NULL, 100);
	e->files[f].kind = EV_KEY_PROTECTOR;
	ev_vm *vm = evidence_vm(e, id);
	ev_kp *kp = evidence_vm_add_kp(vm);
	kp->file = f;
	kp->origin = KP_DUMP;
	kp->w = calloc(nw, sizeof *kp->w);
	kp->nw = nw;
	for (size_t i = 0; i < nw; i++) {
		kp->w[i].id = (uint32_t)i + 1;
		kp->w[i].parent_id = 1;
		kp->w[i].is_owner = i == 0;
		kp->w[i].enc = &w[i].enc;
		kp->w[i].sig = &w[i].sig;
	}
	kp->has_owner = true;
	kp->owner_id = 1;
	return vm;
}

static void hold(evidence *e, const char *path, const hv_cert *c, bool key)
{
	size_t f = evidence_add_file(e, path, NULL, 10);
	e->files[f].kind = EV_PFX;
	hv_cert copy;
	copy_cert(c, &copy);
	evidence_add_holding(e, f, &copy, key, NULL);
}

static verdict run(evidence *e, time_t at)
{
	verdict v;
	verdict_opts o = { at, 90 };
	verdict_for_vm(e, 0, &o, &v);
	return v;
}

static bool has_reason(const verdict *v, const char *needle)
{
	for (size_t i = 0; i < v->nreasons; i++)
		if (strstr(v->reasons[i].text, needle))
			return true;
	return false;
}

static void free_pair(pair *p)
{
	cert_free(&p->enc);
	cert_free(&p->sig);
}

static void setup(void)
{
	ck_assert(iso_parse("2016-11-01", &T0));
}

START_TEST(restorable_with_both_keys)
{
	evidence e;
	evidence_init(&e);
	pair p;
	make_pair(&p, "UntrustedGuardian", "HV01", T0, T0 + 3652 * DAY);
	vm_with_kp(&e, "11111111-2222-3333-4444-555555555555", &p, 1);
	hold(&e, "enc.pfx", &p.enc, true);
	hold(&e, "sig.pfx", &p.sig, true);
	verdict v = run(&e, T0 + 365 * DAY);
	ck_assert_str_eq(verdict_name(v.kind), "restorable");
	ck_assert_int_eq(verdict_exit_code(v.kind), 0);
	ck_assert_uint_eq(v.nimport, 2);
	ck_assert(has_reason(&v, p.enc.thumbprint));
	plan pl;
	plan_vm pv = { .name = "web01" };
	plan_build(&e, &v, &pv, &pl);
	ck_assert(pl.nsteps >= 3);
	ck_assert_ptr_nonnull(strstr(pl.steps[0], "enc.pfx"));
	plan_free(&pl);
	verdict_free(&v);
	free_pair(&p);
	evidence_free(&e);
}
END_TEST

START_TEST(expiry_moves_restorable_to_expired_on_the_right_day)
{
	evidence e;
	evidence_init(&e);
	pair p;
	time_t na = T0 + 3652 * DAY;
	make_pair(&p, "UntrustedGuardian", "HV01", T0, na);
	vm_with_kp(&e, "11111111-2222-3333-4444-555555555555", &p, 1);
	hold(&e, "both.pfx", &p.enc, true);
	hold(&e, "both.pfx", &p.sig, true);
	/* warn-days 90: restorable 91 days before notAfter, expired-warning at 90. */
	verdict v = run(&e, na - 91 * DAY);
	ck_assert_str_eq(verdict_name(v.kind), "restorable");
	verdict_free(&v);
	v = run(&e, na - 89 * DAY);
	ck_assert_str_eq(verdict_name(v.kind), "restorable_expired");
	ck_assert(has_reason(&v, "expires on"));
	verdict_free(&v);
	v = run(&e, na + DAY);
	ck_assert_str_eq(verdict_name(v.kind), "restorable_expired");
	ck_assert(has_reason(&v, "expired on"));
	ck_assert_int_eq(verdict_exit_code(v.kind), 1);
	verdict_free(&v);
	free_pair(&p);
	evidence_free(&e);
}
END_TEST

START_TEST(encryption_key_only_is_degraded)
{
	evidence e;
	evidence_init(&e);
	pair p;
	make_pair(&p, "UntrustedGuardian", "HV01", T0, T0 + 3652 * DAY);
	vm_with_kp(&e, "11111111-2222-3333-4444-555555555555", &p, 1);
	hold(&e, "enc.pfx", &p.enc, true);
	hold(&e, "sig.cer", &p.sig, false);
	verdict v = run(&e, T0 + DAY * 10);
	ck_assert_str_eq(verdict_name(v.kind), "degraded");
	ck_assert(has_reason(&v, "certificate only"));
	bool inferred = false;
	for (size_t i = 0; i < v.nreasons; i++)
		inferred |= v.reasons[i].inferred;
	ck_assert(inferred);
	verdict_free(&v);
	free_pair(&p);
	evidence_free(&e);
}
END_TEST

START_TEST(locked_pfx_means_needs_password_never_rebuild)
{
	evidence e;
	evidence_init(&e);
	pair p;
	make_pair(&p, "UntrustedGuardian", "HV01", T0, T0 + 3652 * DAY);
	vm_with_kp(&e, "11111111-2222-3333-4444-555555555555", &p, 1);
	add_locked_pfx(&e, "locked.pfx", "wrong password (MAC check failed for 3 candidates)");
	verdict v = run(&e, T0 + DAY);
	ck_assert_str_eq(verdict_name(v.kind), "needs_password");
	ck_assert(has_reason(&v, "locked.pfx"));
	ck_assert_uint_eq(v.nlocked, 1);
	verdict_free(&v);
	free_pair(&p);
	evidence_free(&e);
}
END_TEST

START_TEST(only_hgs_guardian_is_hgs)
{
	evidence e;
	evidence_init(&e);
	pair p[2];
	make_pair(&p[0], "UntrustedGuardian", "HV01", T0, T0 + 3652 * DAY);
	make_other(&p[1], "hgs.contoso.com", T0, T0 + 3652 * DAY);
	vm_with_kp(&e, "11111111-2222-3333-4444-555555555555", p, 2);
	verdict v = run(&e, T0 + DAY);
	ck_assert_str_eq(verdict_name(v.kind), "hgs");
	ck_assert(!has_reason(&v, "Guardian metadata"));
	verdict_free(&v);
	/* Guardian metadata naming that HGS: the verdict says which fabric can unwrap. */
	size_t f = evidence_add_file(&e, "hgs-metadata.xml", NULL, 10);
	e.files[f].kind = EV_GUARDIAN;
	hv_cert copy;
	copy_cert(&p[1].enc, &copy);
	evidence_add_holding(&e, f, &copy, false, NULL);
	v = run(&e, T0 + DAY);
	ck_assert_str_eq(verdict_name(v.kind), "hgs");
	ck_assert(has_reason(&v, "Guardian metadata hgs-metadata.xml lists the encryption certificate"));
	verdict_free(&v);
	free_pair(&p[0]);
	free_pair(&p[1]);
	evidence_free(&e);
}
END_TEST

START_TEST(no_keys_at_all_is_rebuild_with_plan)
{
	evidence e;
	evidence_init(&e);
	pair p;
	make_pair(&p, "UntrustedGuardian", "HV01", T0, T0 + 3652 * DAY);
	vm_with_kp(&e, "11111111-2222-3333-4444-555555555555", &p, 1);
	hold(&e, "enc.cer", &p.enc, false);
	verdict v = run(&e, T0 + DAY);
	ck_assert_str_eq(verdict_name(v.kind), "rebuild");
	ck_assert_int_eq(verdict_exit_code(v.kind), 2);
	ck_assert(has_reason(&v, "present without its private key"));
	ck_assert(has_reason(&v, "not in the evidence"));
	const char *disks[] = { "C:\\VMs\\web01\\Virtual Hard Disks\\web01.vhdx" };
	const char *sw[] = { "External" };
	plan_vm pv = { .name = "web01", .id = "11111111-2222-3333-4444-555555555555",
		       .generation = 2, .memory_mb = 4096, .processors = 2, .secure_boot = 1,
		       .secure_boot_template = "1734C6E8-3154-4DDA-BA5F-A874CC483422",
		       .disks = disks, .ndisks = 1, .switches = sw, .nswitches = 1 };
	char *buf = NULL;
	size_t len = 0;
	FILE *o = open_memstream(&buf, &len);
	plan_powershell(o, &e, &v, &pv, "2026-11-28T00:00:00Z");
	fclose(o);
	ck_assert_ptr_nonnull(strstr(buf, "New-VM -Name $NewName -Generation 2 -MemoryStartupBytes 4096MB"));
	ck_assert_ptr_nonnull(strstr(buf, "Set-VMKeyProtector -VMName $NewName -NewLocalKeyProtector"));
	ck_assert_ptr_nonnull(strstr(buf, "Enable-VMTPM"));
	ck_assert_ptr_nonnull(strstr(buf, "manage-bde -protectors -add C: -tpm"));
	ck_assert_ptr_nonnull(strstr(buf, "Add-BitLockerKeyProtector -MountPoint C: -RecoveryPasswordProtector"));
	ck_assert_ptr_nonnull(strstr(buf, "'C:\\VMs\\web01\\Virtual Hard Disks\\web01.vhdx'"));
	ck_assert_ptr_nonnull(strstr(buf, "SupportsShouldProcess"));
	free(buf);
	verdict_free(&v);
	free_pair(&p);
	evidence_free(&e);
}
END_TEST

START_TEST(last_known_good_is_used_when_current_cannot_unwrap)
{
	evidence e;
	evidence_init(&e);
	pair cur, old;
	make_pair(&cur, "UntrustedGuardian", "NEWHOST", T0, T0 + 3652 * DAY);
	make_pair(&old, "UntrustedGuardian", "OLDHOST", T0, T0 + 3652 * DAY);
	ev_vm *vm = vm_with_kp(&e, "11111111-2222-3333-4444-555555555555", &cur, 1);
	ev_kp *lkg = evidence_vm_add_kp(vm);
	lkg->origin = KP_LKG;
	lkg->w = calloc(1, sizeof *lkg->w);
	lkg->nw = 1;
	lkg->w[0] = (ev_wrapping){ 1, 1, true, true, &old.enc, &old.sig };
	hold(&e, "old.pfx", &old.enc, true);
	hold(&e, "old.pfx", &old.sig, true);
	verdict v = run(&e, T0 + DAY);
	ck_assert_str_eq(verdict_name(v.kind), "restorable");
	ck_assert_uint_eq(v.kp, 1);
	ck_assert(has_reason(&v, "RestoreLastKnownGoodKeyProtector"));
	verdict_free(&v);
	free_pair(&cur);
	free_pair(&old);
	evidence_free(&e);
}
END_TEST

START_TEST(no_kp_is_no_vtpm_unless_tpm_enabled)
{
	evidence e;
	evidence_init(&e);
	ev_vm *vm = evidence_vm(&e, "{aaaaaaaa-2222-3333-4444-555555555555}");
	ck_assert_str_eq(vm->id, "AAAAAAAA-2222-3333-4444-555555555555");
	vm->nconfigs = 0;
	verdict v = run(&e, T0);
	ck_assert_str_eq(verdict_name(v.kind), "no_vtpm");
	verdict_free(&v);
	vm->tpm_enabled = TRI_YES;
	vm->tpm_setting_seen = true;
	v = run(&e, T0);
	ck_assert_str_eq(verdict_name(v.kind), "unknown");
	ck_assert(has_reason(&v, "guest state file"));
	verdict_free(&v);
	evidence_free(&e);
}
END_TEST

/* degraded: the encryption PFX is in the import list, the plan imports it first. */
START_TEST(degraded_imports_the_key_it_has)
{
	evidence e;
	evidence_init(&e);
	pair p;
	make_pair(&p, "UntrustedGuardian", "HV01", T0, T0 + 3652 * DAY);
	vm_with_kp(&e, "11111111-2222-3333-4444-555555555555", &p, 1);
	hold(&e, "enc.pfx", &p.enc, true);
	hold(&e, "sig.cer", &p.sig, false);
	verdict v = run(&e, T0 + DAY * 10);
	ck_assert_str_eq(verdict_name(v.kind), "degraded");
	ck_assert_uint_eq(v.nimport, 1);
	ck_assert_str_eq(e.files[v.import_files[0]].path, "enc.pfx");
	plan pl;
	plan_vm pv = { .name = "file01" };
	plan_build(&e, &v, &pv, &pl);
	ck_assert_msg(strncmp(pl.steps[0], "Import enc.pfx", 14) == 0, "%s", pl.steps[0]);
	ck_assert_ptr_nonnull(strstr(pl.steps[1], p.enc.thumbprint));
	ck_assert_ptr_nonnull(strstr(pl.steps[2], "Find the signing private key"));
	ck_assert_ptr_nonnull(strstr(pl.steps[2], "HV01"));
	plan_free(&pl);
	verdict_free(&v);
	free_pair(&p);
	evidence_free(&e);
}
END_TEST

/* No candidate given: the reason and the plan say so, and name --try-default-passwords. */
START_TEST(no_password_given_is_said)
{
	evidence e;
	evidence_init(&e);
	pair p;
	make_pair(&p, "UntrustedGuardian", "HV01", T0, T0 + 3652 * DAY);
	vm_with_kp(&e, "11111111-2222-3333-4444-555555555555", &p, 1);
	add_locked_pfx(&e, "locked.pfx", "wrong password: 2 passwords tried");
	verdict v;
	verdict_opts o = { T0 + DAY, 90 };
	verdict_context x = { .passwords_known = true, .npasswords = 0 };
	verdict_for_vm_in(&e, 0, &o, &x, &v);
	ck_assert_str_eq(verdict_name(v.kind), "needs_password");
	ck_assert(v.no_password_given);
	ck_assert(has_reason(&v, "no password was given"));
	ck_assert(!has_reason(&v, "2 passwords tried"));
	plan pl;
	plan_vm pv = { .name = "x" };
	plan_build(&e, &v, &pv, &pl);
	ck_assert_ptr_nonnull(strstr(pl.steps[0], "--try-default-passwords"));
	plan_free(&pl);
	verdict_free(&v);
	free_pair(&p);
	evidence_free(&e);
}
END_TEST

/* The evidence holds another host's pair: the rebuild reason names it, thumbprints whole. */
START_TEST(rebuild_names_another_hosts_pair)
{
	evidence e;
	evidence_init(&e);
	pair mine, other;
	make_pair(&mine, "UntrustedGuardian", "HV-OLD", T0, T0 + 3652 * DAY);
	make_pair(&other, "UntrustedGuardian", "HV-NEW", T0, T0 + 3652 * DAY);
	vm_with_kp(&e, "11111111-2222-3333-4444-555555555555", &mine, 1);
	hold(&e, "new-enc.pfx", &other.enc, true);
	hold(&e, "new-sig.pfx", &other.sig, true);
	verdict v = run(&e, T0 + DAY);
	ck_assert_str_eq(verdict_name(v.kind), "rebuild");
	ck_assert(has_reason(&v, "HV-NEW (encryption "));
	ck_assert(has_reason(&v, other.enc.thumbprint));
	ck_assert(has_reason(&v, other.sig.thumbprint));
	verdict_free(&v);
	/* a pair another VM of the evidence needs is not "the wrong export" */
	vm_with_kp(&e, "22222222-2222-3333-4444-555555555555", &other, 1);
	verdict_opts o = { T0 + DAY, 90 };
	strmap needed = STRMAP_INIT;
	verdict_needed_build(&e, &needed);
	verdict_context x = { .passwords_known = true, .npasswords = 1, .needed = &needed };
	verdict_for_vm_in(&e, 0, &o, &x, &v);
	ck_assert(!has_reason(&v, "HV-NEW"));
	verdict_free(&v);
	strmap_free(&needed);
	free_pair(&mine);
	free_pair(&other);
	evidence_free(&e);
}
END_TEST

/* The reasons of two verdicts, one line each, compared whole. */
static char *reasons_of(const verdict *v)
{
	strbuf sb = STRBUF_INIT;
	sb_addf(&sb, "%s\n", verdict_name(v->kind));
	for (size_t i = 0; i < v->nreasons; i++)
		sb_addf(&sb, "%s\n", v->reasons[i].text);
	return sb_detach(&sb);
}

/*
 * An estate's evidence: VMs of one host whose keys are lost, the pairs of
 * five other hosts held (some twice, some with their keys), a locked PFX.
 */
static void other_hosts_estate(evidence *e, pair *mine, pair others[5], size_t nvms)
{
	evidence_init(e);
	make_pair(mine, "UntrustedGuardian", "HV-LOST", T0, T0 + 3652 * DAY);
	for (int h = 0; h < 5; h++) {
		char host[16];
		snprintf(host, sizeof host, "HV-%02d", h);
		make_pair(&others[h], "UntrustedGuardian", host, T0, T0 + 3652 * DAY);
		hold(e, "enc.pfx", &others[h].enc, h % 2 == 0);
		hold(e, "sig.pfx", &others[h].sig, false);
		if (h < 2)
			hold(e, "copy.pfx", &others[h].sig, true); /* the same certificate again, keyed */
	}
	add_locked_pfx(e, "Shielded_VM_Encryption_Certificate_(UntrustedGuardian)_(HV-03).pfx",
		       "wrong password");
	add_locked_pfx(e, "Shielded_VM_Signing_Certificate_(UntrustedGuardian)_(hv-04).pfx",
		       "wrong password"); /* HV-04's VMs', whatever the case */
	add_locked_pfx(e, "vault.pfx", "wrong password"); /* names no host: every VM's */
	for (size_t i = 0; i < nvms; i++) {
		char id[64];
		snprintf(id, sizeof id, "%08zx-2222-3333-4444-555555555555", i + 1);
		vm_with_kp(e, id, i % 3 ? mine : &others[4], 1); /* every third: HV-04's */
	}
}

/* other_hosts_estate with what an audit builds once for it. */
typedef struct {
	evidence e;
	pair mine, others[5];
	strmap needed;
	verdict_lists lists;
} estate_fixture;

static void estate_fixture_new(estate_fixture *f, size_t nvms)
{
	other_hosts_estate(&f->e, &f->mine, f->others, nvms);
	f->needed = (strmap)STRMAP_INIT;
	verdict_needed_build(&f->e, &f->needed);
	verdict_lists_build(&f->e, &f->needed, &f->lists);
}

static void estate_fixture_free(estate_fixture *f)
{
	verdict_lists_free(&f->lists);
	strmap_free(&f->needed);
	free_pair(&f->mine);
	for (int h = 0; h < 5; h++)
		free_pair(&f->others[h]);
	evidence_free(&f->e);
}

/* A verdict made with the evidence's lists says what the same verdict says without them. */
START_TEST(verdict_lists_change_nothing)
{
	estate_fixture f;
	estate_fixture_new(&f, 6);
	evidence e = f.e;
	verdict_opts o = { T0 + DAY, 90 };
	verdict_context bare = { .passwords_known = true, .npasswords = 1, .needed = &f.needed };
	verdict_context with = bare;
	with.lists = &f.lists;
	bool named_more = false;
	unsigned locked_seen = 0;
	for (size_t i = 0; i < e.nvms; i++) {
		verdict a, b;
		verdict_for_vm_in(&e, i, &o, &bare, &a);
		verdict_for_vm_in(&e, i, &o, &with, &b);
		char *ra = reasons_of(&a), *rb = reasons_of(&b);
		ck_assert_str_eq(ra, rb);
		named_more |= strstr(ra, "and 1 more host(s)") != NULL;
		ck_assert_uint_eq(a.nlocked, b.nlocked);
		ck_assert_uint_eq(a.nlocked_other, b.nlocked_other);
		for (size_t k = 0; k < a.nlocked; k++)
			ck_assert_uint_eq(a.locked_files[k], b.locked_files[k]);
		locked_seen |= 1u << a.nlocked; /* 1 (vault.pfx) or 2 (and HV-04's) */
		ck_assert_uint_eq(a.ncerts, b.ncerts);
		for (size_t k = 0; k < a.ncerts; k++) {
			ck_assert_int_eq(a.certs[k].state, b.certs[k].state);
			ck_assert_uint_eq(a.certs[k].nholdings, b.certs[k].nholdings);
			for (size_t h = 0; h < a.certs[k].nholdings; h++)
				ck_assert_uint_eq(a.certs[k].holdings[h], b.certs[k].holdings[h]);
		}
		free(ra);
		free(rb);
		verdict_free(&a);
		verdict_free(&b);
	}
	ck_assert(named_more); /* four other hosts: three named, one counted */
	ck_assert_uint_eq(locked_seen, (1u << 1) | (1u << 2));
	estate_fixture_free(&f);
}
END_TEST

typedef struct {
	strbuf sb;
	size_t next; /* the VM the next window must start at */
} windows_seen;

/* On the judging thread: the window's first VM id, to be handed on with it. */
static void *window_first(void *ctx, const evidence *view, size_t start, const dx_result *r)
{
	(void)ctx;
	(void)start;
	(void)r;
	return xstrdup(view->vms[0].id);
}

static void note_window(void *ctx, const evidence *view, size_t start, const dx_result *r,
			void *made)
{
	windows_seen *w = ctx;
	ck_assert_str_eq(made, view->vms[0].id); /* made for this window, not another */
	free(made);
	ck_assert_uint_eq(start, w->next);
	w->next += view->nvms;
	for (size_t i = 0; i < r->nvms; i++) {
		char *t = reasons_of(&r->vms[i].v);
		sb_addf(&w->sb, "%zu %s %s", start + r->vms[i].vm, view->vms[r->vms[i].vm].id, t);
		free(t);
	}
}

/* Windows judged on other threads come in order, the same as on one thread. */
START_TEST(windows_come_in_order_whatever_the_threads)
{
	estate_fixture f;
	estate_fixture_new(&f, 41);
	evidence e = f.e;
	verdict_opts o = { T0 + DAY, 90 };
	verdict_context x = { .passwords_known = true, .npasswords = 1, .needed = &f.needed,
			      .lists = &f.lists };
	static const unsigned threads[] = { 0, 1, 2, 5 };
	static const size_t windows[] = { 1, 3, 41, 100 };
	char *first = NULL;
	for (size_t t = 0; t < 4; t++)
		for (size_t w = 0; w < 4; w++) {
			windows_seen seen = { STRBUF_INIT, 0 };
			eval_windows(&e, &o, &x, 0, windows[w], threads[t], window_first,
				     note_window, &seen);
			ck_assert_uint_eq(seen.next, e.nvms);
			if (!first) {
				first = sb_detach(&seen.sb);
				continue;
			}
			ck_assert_msg(strcmp(first, sb_str(&seen.sb)) == 0,
				      "%u threads, windows of %zu differ", threads[t], windows[w]);
			sb_free(&seen.sb);
		}
	ck_assert_ptr_nonnull(strstr(first, "HV-LOST"));
	free(first);
	estate_fixture_free(&f);
}
END_TEST

START_TEST(verdict_names_filters_and_urgency)
{
	verdict_kind k;
	ck_assert(verdict_from_name("rebuild-data-loss", 17, &k));
	ck_assert_int_eq(k, V_REBUILD_DATA_LOSS);
	ck_assert(verdict_from_name("Needs_Password", 14, &k));
	ck_assert_int_eq(k, V_NEEDS_PASSWORD);
	ck_assert(!verdict_from_name("rebuilt", 7, &k));
	unsigned mask = 0;
	const char *bad = NULL;
	size_t badlen = 0;
	ck_assert(vm_filter_parse_verdicts("rebuild, no-vtpm,hgs", &mask, &bad, &badlen));
	ck_assert_uint_eq(mask, (1u << V_REBUILD) | (1u << V_NO_VTPM) | (1u << V_HGS));
	ck_assert(!vm_filter_parse_verdicts("hgs,,rebuild", &mask, &bad, &badlen));
	ck_assert_uint_eq(badlen, 0);
	for (int a = V_NO_VTPM; a <= V_REBUILD_DATA_LOSS; a++)
		for (int b = V_NO_VTPM; b <= V_REBUILD_DATA_LOSS; b++)
			if (verdict_exit_code((verdict_kind)a) > verdict_exit_code((verdict_kind)b))
				ck_assert_int_lt(verdict_urgency((verdict_kind)a),
						 verdict_urgency((verdict_kind)b));
	ck_assert_int_eq(name_casecmp("SQL01", "sql01"), 0);
	ck_assert_int_eq(name_casecmp("\xC3\x84RGER", "\xC3\xA4rger"), 0); /* Ä / ä */
	ck_assert_int_eq(name_casecmp("\xD0\x91", "\xD0\xB1"), 0);         /* Б / б */
	ck_assert_int_ne(name_casecmp("sql01", "sql02"), 0);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("verdict");
	TCase *tc = tcase_create("core");
	tcase_add_checked_fixture(tc, setup, NULL);
	tcase_add_test(tc, restorable_with_both_keys);
	tcase_add_test(tc, expiry_moves_restorable_to_expired_on_the_right_day);
	tcase_add_test(tc, encryption_key_only_is_degraded);
	tcase_add_test(tc, locked_pfx_means_needs_password_never_rebuild);
	tcase_add_test(tc, only_hgs_guardian_is_hgs);
	tcase_add_test(tc, no_keys_at_all_is_rebuild_with_plan);
	tcase_add_test(tc, last_known_good_is_used_when_current_cannot_unwrap);
	tcase_add_test(tc, no_kp_is_no_vtpm_unless_tpm_enabled);
	tcase_add_test(tc, degraded_imports_the_key_it_has);
	tcase_add_test(tc, no_password_given_is_said);
	tcase_add_test(tc, rebuild_names_another_hosts_pair);
	tcase_add_test(tc, verdict_names_filters_and_urgency);
	tcase_add_test(tc, verdict_lists_change_nothing);
	tcase_add_test(tc, windows_come_in_order_whatever_the_threads);
	suite_add_tcase(s, tc);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
