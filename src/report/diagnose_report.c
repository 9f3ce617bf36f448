/* diagnose_report.c - verdicts, reasons, certificates and plans as text or JSON. */
#include "report/diagnose_report.h"

#include <stdlib.h>
#include <string.h>

#include "analysis/kp_diff.h"
#include "analysis/survive.h"
#include "formats/kp.h"
#include "report/disk_report.h"
#include "report/kp_report.h"
#include "report/out.h"
#include "report/table.h"
#include "report/term.h"
#include "util/strbuf.h"
#include "util/strmap.h"
#include "util/text.h"
#include "util/xalloc.h"

#define WEAK_MAX 32 /* weaknesses listed per PFX file */

static const char *hold_name(hold_state s)
{
	switch (s) {
	case HOLD_WITH_KEY: return "with_private_key";
	case HOLD_CERT_ONLY: return "certificate_only";
	case HOLD_NOWHERE: return "nowhere";
	}
	return "nowhere";
}

static json_object *str_array(const char *const *v, size_t n)
{
	json_object *a = json_object_new_array();
	for (size_t i = 0; i < n; i++)
		json_object_array_add(a, json_text(v[i]));
	return a;
}

static json_object *kp_json(const evidence *e, const ev_kp *kp)
{
	json_object *o = json_object_new_object();
	jadd_str(o, "source", e->files[kp->file].path);
	jadd_str(o, "source_sha256", e->files[kp->file].sha256);
	jadd_str(o, "location", kp->location);
	jadd_str(o, "form", kp->form);
	jadd_enum(o, "origin", kp_origin_name(kp->origin));
	jadd_bool(o, "heuristic", kp->heuristic);
	jadd_bool(o, "empty", kp->empty);
	jadd_str(o, "payload_sha256", kp->sha256[0] ? kp->sha256 : NULL);
	if (kp->has_owner)
		jadd_int(o, "owner_wrapping_id", kp->owner_id);
	else
		jadd_null(o, "owner_wrapping_id");
	jadd_int(o, "max_offline_unwraps", (int64_t)kp->max_offline_unwraps);
	json_object *ws = json_object_new_array();
	for (size_t i = 0; i < kp->nw; i++) {
		const ev_wrapping *w = &kp->w[i];
		json_object *j = json_object_new_object();
		jadd_int(j, "id", w->id);
		if (w->has_parent)
			jadd_int(j, "parent_id", w->parent_id);
		else
			jadd_null(j, "parent_id");
		jadd_bool(j, "is_owner", w->is_owner);
		jadd_str(j, "encryption_thumbprint_sha1", w->enc ? w->enc->thumbprint : NULL);
		jadd_str(j, "signing_thumbprint_sha1", w->sig ? w->sig->thumbprint : NULL);
		json_object_array_add(ws, j);
	}
	json_object_object_add(o, "wrappings", ws);
	return o;
}

static json_object *cert_json(const evidence *e, const dx_result *r, const vd_cert *c)
{
	json_object *o = json_object_new_object();
	jadd_enum(o, "role", c->role);
	jadd_int(o, "wrapping_id", c->wrapping_id);
	jadd_bool(o, "owner", c->owner);
	jadd_str(o, "guardian", c->cert->guardian);
	jadd_str(o, "host", c->cert->host);
	jadd_bool(o, "local_guardian_pattern", c->cert->role != CERT_ROLE_OTHER);
	jadd_str(o, "thumbprint_sha1", c->cert->thumbprint);
	jadd_str(o, "subject", c->cert->subject);
	jadd_str(o, "not_before", c->cert->not_before_iso);
	jadd_str(o, "not_after", c->cert->not_after_iso);
	jadd_int(o, "days_left", c->days_left);
	jadd_bool(o, "expired", c->expired);
	jadd_bool(o, "expiring", c->expiring);
	jadd_enum(o, "held", hold_name(c->state));
	json_object *ev = json_object_new_array();
	for (size_t i = 0; i < c->nholdings; i++) {
		const ev_holding *h = &e->holdings[c->holdings[i]];
		json_object *j = json_object_new_object();
		jadd_str(j, "path", e->files[h->file].path);
		jadd_str(j, "sha256", e->files[h->file].sha256);
		jadd_bool(j, "has_private_key", h->has_private_key);
		jadd_str(j, "detail", h->detail);
		json_object_array_add(ev, j);
	}
	json_object_object_add(o, "evidence", ev);
	(void)r;
	return o;
}

/* A VM's disk: where, its hash, and whether its data survives a rebuild. */
static json_object *disk_json(const ev_file *f)
{
	json_object *j = json_object_new_object();
	jadd_str(j, "path", f->path);
	jadd_str(j, "sha256", f->sha256[0] ? f->sha256 : NULL);
	jadd_enum(j, "sha256_scope", f->sha256[0] ? (f->sha256_metadata ? "metadata" : "file") : NULL);
	if (!ev_file_disk(f)) {
		jadd_null(j, "survivability");
		jadd_str(j, "survivability_reason", ev_file_error_or(f, "not read"));
		jadd_null(j, "detail");
		return j;
	}
	disk_survival sv;
	survive_disk(ev_file_disk(f), &sv);
	jadd_enum(j, "survivability", surv_kind_id(sv.overall.kind));
	jadd_str(j, "survivability_reason", sv.overall.reason);
	json_object_object_add(j, "detail", disk_report_json(ev_file_disk(f), &sv));
	disk_survival_free(&sv);
	return j;
}

/* The current and the last-known-good KP of a VM, when it has both. */
static bool current_and_lkg(const ev_vm *vm, const ev_kp **cur, const ev_kp **lkg)
{
	*cur = *lkg = NULL;
	for (size_t i = 0; i < vm->nkps; i++) {
		const ev_kp *k = &vm->kps[i];
		if (k->empty || !k->nw)
			continue;
		if (k->origin == KP_CURRENT && !*cur)
			*cur = k;
		else if (k->origin == KP_LKG && !*lkg)
			*lkg = k;
	}
	return *cur && *lkg;
}

json_object *dx_vm_json(const evidence *e, const dx_result *r, const dx_vm *d)
{
	const ev_vm *vm = &e->vms[d->vm];
	const verdict *v = &d->v;
	json_object *o = json_object_new_object();
	jadd_str(o, "id", vm->id);
	jadd_str(o, "name", vm->name);
	jadd_enum(o, "verdict", verdict_name(v->kind));
	jadd_int(o, "exit_code", verdict_exit_code(v->kind));
	json_object *rs = json_object_new_array(), *rd = json_object_new_array();
	for (size_t i = 0; i < v->nreasons; i++) {
		json_object_array_add(rs, json_text(v->reasons[i].text));
		json_object *j = json_object_new_object();
		jadd_str(j, "text", v->reasons[i].text);
		jadd_enum(j, "confidence", v->reasons[i].inferred ? "inferred" : "confirmed");
		json_object_array_add(rd, j);
	}
	json_object_object_add(o, "reasons", rs);
	json_object_object_add(o, "reason_details", rd);
	json_object *cf = json_object_new_array();
	for (size_t i = 0; i < vm->nconfigs; i++)
		json_object_array_add(cf, json_text(e->files[vm->configs[i]].path));
	json_object_object_add(o, "config_files", cf);
	if (vm->tpm_enabled == TRI_UNKNOWN)
		jadd_null(o, "tpm_enabled");
	else
		jadd_bool(o, "tpm_enabled", vm->tpm_enabled == TRI_YES);
	jadd_bool(o, "vtpm_device_present", vm->vtpm_device);
	json_object *kps = json_object_new_array();
	for (size_t i = 0; i < vm->nkps; i++) {
		json_object *k = kp_json(e, &vm->kps[i]);
		jadd_bool(k, "used_for_verdict", i == v->kp);
		json_object_array_add(kps, k);
	}
	json_object_object_add(o, "key_protectors", kps);
	const ev_kp *cur, *lkg;
	if (current_and_lkg(vm, &cur, &lkg)) {
		kp_diff diff;
		ev_kp_compare(cur, lkg, &diff);
		json_object_object_add(o, "current_vs_last_known_good", kp_compare_report_json(&diff));
		kp_diff_free(&diff);
	} else {
		jadd_null(o, "current_vs_last_known_good");
	}
	json_object *cs = json_object_new_array();
	for (size_t i = 0; i < v->ncerts; i++)
		json_object_array_add(cs, cert_json(e, r, &v->certs[i]));
	json_object_object_add(o, "certificates", cs);
	json_object *ds = json_object_new_array();
	for (size_t i = 0; i < vm->ndisks; i++)
		json_object_array_add(ds, disk_json(&e->files[vm->disks[i]]));
	json_object_object_add(o, "disks", ds);
	json_object_object_add(o, "missing", str_array((const char *const *)vm->missing, vm->nmissing));
	json_object_object_add(o, "plan", str_array((const char *const *)d->p.steps, d->p.nsteps));
	return o;
}

size_t dx_weaknesses(const evidence *e, size_t file, const char **out, size_t max)
{
	size_t n;
	const char *const *weak = ev_file_weak(&e->files[file], &n);
	for (size_t i = 0; i < n && i < max; i++)
		out[i] = weak[i];
	return n;
}

json_object *dx_evidence_file_json(const evidence *e, size_t file)
{
	const ev_file *f = &e->files[file];
	json_object *j = json_object_new_object();
	jadd_str(j, "path", f->path);
	jadd_str(j, "sha256", f->sha256[0] ? f->sha256 : NULL);
	jadd_enum(j, "sha256_scope", f->sha256[0] ? (f->sha256_metadata ? "metadata" : "file") : NULL);
	jadd_int(j, "size", (int64_t)f->size);
	jadd_enum(j, "kind", ev_kind_name(f->kind));
	jadd_str(j, "format", f->format_id); /* the reader's identifier, as inspect's format.id */
	jadd_enum(j, "class", ev_class_name(f->cls));
	jadd_str(j, "what", f->what);
	jadd_enum(j, "status", hv_err_code(f->status));
	jadd_str(j, "error", ev_file_error(f));
	jadd_str(j, "claimed_format", ev_file_claimed(f));
	if (f->kind == EV_PFX) {
		const char *w[WEAK_MAX];
		size_t n = dx_weaknesses(e, file, w, WEAK_MAX);
		json_object *a = json_object_new_array();
		for (size_t i = 0; i < n && i < WEAK_MAX; i++)
			json_object_array_add(a, json_text(w[i]));
		json_object_object_add(j, "weak_protection", a);
	}
	return j;
}

json_object *dx_filter_json(const vm_filter *f)
{
	if (!f || !vm_filter_active(f))
		return NULL;
	json_object *o = json_object_new_object();
	json_object *vms = json_object_new_array();
	for (size_t i = 0; i < f->nvms; i++)
		json_object_array_add(vms, json_text(f->vms[i]));
	json_object_object_add(o, "vms", vms);
	json_object *vs = json_object_new_array();
	for (int k = V_NO_VTPM; k <= V_REBUILD_DATA_LOSS; k++)
		if (f->verdicts & (1u << k))
			json_object_array_add(vs, json_enum(verdict_name((verdict_kind)k)));
	json_object_object_add(o, "verdicts", vs);
	if (f->expiring_given) {
		char b[32];
		time_to_iso(f->expiring_before, b);
		jadd_str(o, "expiring_before", b);
	} else {
		jadd_null(o, "expiring_before");
	}
	return o;
}

json_object *dx_summary_json(const evidence *e, const dx_result *r)
{
	json_object *o = json_object_new_object();
	jadd_int(o, "vms", (int64_t)r->nvms);
	jadd_int(o, "vms_in_evidence", (int64_t)e->nvms);
	jadd_int(o, "files", (int64_t)e->nfiles);
	json_object *c = json_object_new_object();
	for (int i = 0; i < EVC_COUNT; i++)
		jadd_int(c, ev_class_name((ev_class)i), (int64_t)e->nclass[i]);
	json_object_object_add(o, "classes", c);
	size_t counts[V_REBUILD_DATA_LOSS + 1];
	dx_count(r, counts);
	json_object *vc = json_object_new_object();
	for (int k = 0; k <= V_REBUILD_DATA_LOSS; k++)
		jadd_int(vc, verdict_name((verdict_kind)k), (int64_t)counts[k]);
	json_object_object_add(o, "verdicts", vc);
	jadd_int(o, "exit_code", dx_exit_code(e, r));
	return o;
}

json_object *dx_evidence_json(const evidence *e)
{
	json_object *a = json_object_new_array();
	for (size_t i = 0; i < e->nfiles; i++)
		json_object_array_add(a, dx_evidence_file_json(e, i));
	return a;
}

static void add_offset(json_object *j, uint64_t offset)
{
	if (offset != HV_NO_OFFSET)
		jadd_int(j, "offset", (int64_t)offset);
	else
		jadd_null(j, "offset");
}

json_object *dx_file_error_json(const evidence *e, size_t file, const uint64_t *offsets)
{
	const ev_file *f = &e->files[file];
	json_object *j = json_object_new_object();
	jadd_str(j, "path", f->path);
	add_offset(j, offsets[file]);
	jadd_enum(j, "class", hv_err_code(f->status));
	jadd_str(j, "reason", ev_file_error(f));
	return j;
}

json_object *dx_errors_json(const evidence *e)
{
	json_object *a = json_object_new_array();
	uint64_t *offsets = evidence_error_offsets(e);
	for (size_t i = 0; i < e->nfiles; i++)
		if (e->files[i].status != HV_OK)
			json_object_array_add(a, dx_file_error_json(e, i, offsets));
	free(offsets);
	for (size_t i = 0; i < e->findings.n; i++) {
		const hv_finding *x = &e->findings.v[i];
		if (x->sev < HV_SEV_WARN)
			continue;
		json_object *j = json_object_new_object();
		jadd_str(j, "path", x->file);
		add_offset(j, x->offset);
		jadd_enum(j, "class", hv_sev_name(x->sev));
		jadd_str(j, "reason", x->msg);
		json_object_array_add(a, j);
	}
	return a;
}

json_object *dx_report_json(const evidence *e, const dx_result *r, const vm_filter *f)
{
	json_object *o = json_object_new_object();
	char g[32], at[32];
	time_to_iso(r->generated_at, g);
	time_to_iso(r->evaluated_at, at);
	jadd_int(o, "schema_version", HVTPM_SCHEMA_VERSION);
	jadd_str(o, "tool", "hvtpm " HVTPM_VERSION);
	jadd_str(o, "generated_at", g);
	jadd_str(o, "evaluated_at", at);
	jadd_int(o, "warn_days", r->warn_days);
	json_object_object_add(o, "filter", dx_filter_json(f));
	json_object *vms = json_object_new_array();
	for (size_t i = 0; i < r->nvms; i++)
		json_object_array_add(vms, dx_vm_json(e, r, &r->vms[i]));
	json_object_object_add(o, "vms", vms);
	json_object_object_add(o, "evidence", dx_evidence_json(e));
	json_object_object_add(o, "summary", dx_summary_json(e, r));
	json_object_object_add(o, "errors", dx_errors_json(e));
	return o;
}

out_colour dx_verdict_colour(verdict_kind k)
{
	switch (verdict_exit_code(k)) {
	case 0: return C_GREEN;
	case 1: return C_YELLOW;
	default: return C_RED;
	}
}

/* "encryption and signing private keys", "signing private key" ... */
static void missing_keys(strbuf *sb, const verdict *v, int w)
{
	const vd_cert *ce = verdict_cert(v, w, "encryption"), *cs = verdict_cert(v, w, "signing");
	bool me = ce && ce->state != HOLD_WITH_KEY, ms = cs && cs->state != HOLD_WITH_KEY;
	const vd_cert *any = me ? ce : cs;
	if (!me && !ms) {
		sb_adds(sb, "private keys");
		return;
	}
	sb_addf(sb, "%s%s%s private key%s", me ? "encryption" : "", me && ms ? " and " : "",
		ms ? "signing" : "", me && ms ? "s" : "");
	if (any->cert->host)
		sb_addf(sb, " of host %s", any->cert->host);
	else if (any->cert->subject)
		sb_addf(sb, " of %s", any->cert->subject);
}

char *dx_missing_text(const evidence *e, const verdict *v)
{
	(void)e;
	strbuf sb = STRBUF_INIT;
	long days = 0;
	time_t na;
	bool exp = verdict_expiry(v, &na, &days);
	switch (v->kind) {
	case V_NO_VTPM:
		sb_adds(&sb, "nothing (no vTPM)");
		break;
	case V_RESTORABLE:
		sb_adds(&sb, "nothing");
		break;
	case V_RESTORABLE_EXPIRED:
		sb_adds(&sb, exp && days < 0 ? "nothing; the certificates have expired"
					     : "nothing; the certificates expire soon");
		break;
	case V_DEGRADED:
	case V_REBUILD:
	case V_REBUILD_DATA_LOSS:
		missing_keys(&sb, v, verdict_shown_wrapping(v));
		if (v->kind == V_REBUILD_DATA_LOSS)
			sb_adds(&sb, "; a disk is TPM-only");
		break;
	case V_NEEDS_PASSWORD:
		if (v->no_password_given)
			sb_addf(&sb, "a password (none was given) for %zu PFX file%s", v->nlocked,
				v->nlocked == 1 ? "" : "s");
		else
			sb_addf(&sb, "the password of %zu PFX file%s", v->nlocked,
				v->nlocked == 1 ? "" : "s");
		break;
	case V_HGS:
		sb_adds(&sb, "a host of its Host Guardian Service");
		break;
	case V_UNKNOWN:
		sb_adds(&sb, "its key protector (.vmgs, .vmrs or a saved one)");
		break;
	}
	return sb_detach(&sb);
}

void dx_days_text(const verdict *v, char out[24])
{
	time_t na;
	long days;
	if (verdict_expiry(v, &na, &days))
		snprintf(out, 24, "%ld", days);
	else
		snprintf(out, 24, "-");
}

/* The one-line answer under the table. */
static void answer(FILE *o, const evidence *e, const dx_result *r, size_t width)
{
	int rc = dx_exit_code(e, r);
	const char *what;
	switch (rc) {
	case 0: what = "every VM reported can be restored as it is"; break;
	case 1: what = r->nvms ? "attention needed, but no VM must be rebuilt"
			       : "no VM was found"; break;
	case 2: what = "at least one VM must be rebuilt and BitLocker re-keyed"; break;
	default: what = "some evidence could not be read (see Evidence at the end)"; break;
	}
	strbuf sb = STRBUF_INIT;
	sb_addf(&sb, "Exit status %d: %s.%s", rc, what,
		r->nvms ? " Details per VM follow, in the same order." : "");
	text_wrap(o, width, "", "", sb_str(&sb));
	sb_free(&sb);
}

void dx_summary_table(FILE *o, const evidence *e, const dx_result *r, size_t width)
{
	static const tb_col cols[] = {
		{ "VM", TB_WRAP, 10, false, false },
		{ "VERDICT", TB_FIXED, 0, false, false },
		{ "DAYS LEFT", TB_WRAP, 4, true, false },
		{ "WHAT IS MISSING", TB_WRAP, 12, false, false },
	};
	table *t = table_new(cols, 4);
	for (size_t i = 0; i < r->nvms; i++) {
		const dx_vm *d = &r->vms[i];
		const ev_vm *vm = &e->vms[d->vm];
		char days[24];
		dx_days_text(&d->v, days);
		char *miss = dx_missing_text(e, &d->v);
		const char *cells[] = { vm->name ? vm->name : vm->id, verdict_name(d->v.kind), days,
					miss };
		out_colour col[4] = { C_NONE, dx_verdict_colour(d->v.kind) };
		table_add(t, cells, col);
		free(miss);
	}
	table_print(o, t, "  ", width);
	table_free(t);
}

static void text_cert(FILE *o, const evidence *e, const vd_cert *c, size_t width)
{
	strbuf sb = STRBUF_INIT;
	sb_addf(&sb, "%-10s w%-3u %s  guardian ", c->role, c->wrapping_id, c->cert->thumbprint);
	term_add(&sb, c->cert->guardian ? c->cert->guardian : c->cert->subject);
	sb_adds(&sb, ", host ");
	term_add(&sb, c->cert->host);
	text_wrap(o, width, "    ", "                    ", sb_str(&sb));
	sb_reset(&sb);
	sb_addf(&sb, "valid %s .. %s, %s%ld days left%s%s", c->cert->not_before_iso,
		c->cert->not_after_iso, c->expired || c->expiring ? out_c(C_YELLOW) : "",
		c->days_left, c->expired ? " (expired)" : "",
		c->expired || c->expiring ? out_c(C_NONE) : "");
	text_wrap(o, width, "                    ", "                    ", sb_str(&sb));
	if (!c->nholdings) {
		sb_reset(&sb);
		sb_addf(&sb, "held: %snowhere in the evidence%s", out_c(C_RED), out_c(C_NONE));
		text_wrap(o, width, "                    ", "                      ", sb_str(&sb));
	}
	for (size_t i = 0; i < c->nholdings; i++) {
		const ev_holding *h = &e->holdings[c->holdings[i]];
		sb_reset(&sb);
		sb_adds(&sb, "held: ");
		term_add(&sb, e->files[h->file].path);
		sb_addf(&sb, " (%s)", h->has_private_key ? "with private key" : "certificate only");
		text_wrap(o, width, "                    ", "                      ", sb_str(&sb));
	}
	sb_free(&sb);
}

static void text_kps(FILE *o, const evidence *e, const ev_vm *vm, const verdict *v,
		     size_t width)
{
	if (!vm->nkps)
		return;
	fputs("  key protectors:\n", o);
	strbuf sb = STRBUF_INIT;
	for (size_t i = 0; i < vm->nkps; i++) {
		const ev_kp *kp = &vm->kps[i];
		sb_reset(&sb);
		sb_addf(&sb, "%c %-15s ", i == v->kp ? '*' : ' ', kp_origin_name(kp->origin));
		term_add(&sb, e->files[kp->file].path);
		sb_adds(&sb, ", ");
		term_add(&sb, kp->location);
		sb_addf(&sb, "%s%s", kp->empty ? " (empty)" : "", kp->heuristic ? " (heuristic)" : "");
		text_wrap(o, width, "    ", "                      ", sb_str(&sb));
	}
	sb_free(&sb);
	const ev_kp *cur, *lkg;
	if (current_and_lkg(vm, &cur, &lkg)) {
		kp_diff diff;
		ev_kp_compare(cur, lkg, &diff);
		if (diff.same) {
			text_wrap(o, width, "  ", "    ", "last-known-good key protector: the same "
							   "wrappings as the current one");
		} else {
			text_wrap(o, width, "  ", "    ", "last-known-good key protector DIFFERS from "
							   "the current one:");
			char *buf = NULL;
			size_t len = 0;
			FILE *m = open_memstream(&buf, &len);
			if (m) {
				kp_compare_report_text(m, &diff);
				fclose(m);
				text_wrap_block(o, width, buf);
				free(buf);
			}
		}
		kp_diff_free(&diff);
	}
}

static void text_disks(FILE *o, const evidence *e, const ev_vm *vm, size_t width)
{
	strbuf sb = STRBUF_INIT;
	for (size_t i = 0; i < vm->ndisks; i++) {
		const ev_file *f = &e->files[vm->disks[i]];
		const char *sk = "not read";
		disk_survival sv = { 0 };
		if (ev_file_disk(f)) {
			survive_disk(ev_file_disk(f), &sv);
			sk = surv_kind_id(sv.overall.kind);
		}
		sb_reset(&sb);
		term_add(&sb, f->path);
		sb_addf(&sb, ": %s", sk);
		text_wrap(o, width, "  disk:     ", "            ", sb_str(&sb));
		disk_survival_free(&sv);
	}
	for (size_t i = 0; i < vm->nmissing; i++) {
		sb_reset(&sb);
		term_add(&sb, vm->missing[i]);
		text_wrap(o, width, "  missing:  ", "            ", sb_str(&sb));
	}
	sb_free(&sb);
}

static void text_vm(FILE *o, const evidence *e, const dx_vm *d, size_t width)
{
	const ev_vm *vm = &e->vms[d->vm];
	const verdict *v = &d->v;
	strbuf sb = STRBUF_INIT;
	sb_addf(&sb, "%sVM ", out_c(C_BOLD));
	term_add(&sb, vm->name ? vm->name : "(unnamed)");
	sb_addf(&sb, "%s  ", out_c(C_NONE));
	term_add(&sb, vm->id);
	text_wrap(o, width, "", "    ", sb_str(&sb));
	fprintf(o, "  verdict:  %s%s%s\n", out_c(dx_verdict_colour(v->kind)), verdict_name(v->kind),
		out_c(C_NONE));
	fputs("  why:\n", o);
	for (size_t i = 0; i < v->nreasons; i++) {
		sb_reset(&sb);
		sb_adds(&sb, v->reasons[i].inferred ? "(inferred) " : "");
		term_add(&sb, v->reasons[i].text);
		text_wrap(o, width, "    - ", "      ", sb_str(&sb));
	}
	text_kps(o, e, vm, v, width);
	if (v->ncerts) {
		fputs("  certificates:\n", o);
		for (size_t i = 0; i < v->ncerts; i++)
			text_cert(o, e, &v->certs[i], width);
	}
	text_disks(o, e, vm, width);
	if (d->p.nsteps) {
		fputs("  plan:\n", o);
		for (size_t i = 0; i < d->p.nsteps; i++) {
			char num[32];
			snprintf(num, sizeof num, "    %zu. ", i + 1);
			sb_reset(&sb);
			term_add(&sb, d->p.steps[i]);
			text_wrap(o, width, num, "       ", sb_str(&sb));
		}
	}
	sb_free(&sb);
	fputc('\n', o);
}

void dx_evidence_text(FILE *o, const evidence *e, bool list_locked, size_t npasswords,
		      size_t width)
{
	strbuf sb = STRBUF_INIT;
	sb_addf(&sb, "Evidence: %zu file(s):", e->nfiles);
	for (int c = 0; c < EVC_COUNT; c++)
		sb_addf(&sb, "%s %zu %s", c ? "," : "", e->nclass[c], ev_class_name((ev_class)c));
	sb_adds(&sb, ".");
	text_wrap(o, width, "", "  ", sb_str(&sb));
	for (size_t i = 0; i < e->nfiles; i++) {
		const ev_file *f = &e->files[i];
		const char *w[1];
		size_t nweak = f->status == HV_OK ? dx_weaknesses(e, i, w, 1) : 0;
		bool locked = f->cls == EVC_USED && f->status != HV_OK;
		if (f->cls == EVC_USED && f->status == HV_OK && !nweak)
			continue;
		if (locked && !list_locked)
			continue;
		sb_reset(&sb);
		term_add(&sb, f->path);
		sb_adds(&sb, ": ");
		const char *label = ev_class_name(f->cls);
		if (nweak) {
			label = "weak";
			sb_addf(&sb, "weak protection (%zu): ", nweak);
			term_add(&sb, w[0]);
			sb_adds(&sb, nweak > 1 ? ", ... (--format json lists all)" : "");
		} else if (locked && f->status == HV_ERR_PASSWORD && !npasswords) {
			label = "not opened";
			sb_adds(&sb, "needs a password, and none was given (--password-file, "
				     "--ask-password, --try-default-passwords)");
		} else {
			if (locked)
				label = "not opened";
			term_add(&sb, ev_file_error_or(f, f->what));
		}
		char first[32];
		snprintf(first, sizeof first, "  %-12s ", label);
		text_wrap(o, width, first, "               ", sb_str(&sb));
	}
	sb_free(&sb);
}

void dx_findings_text(FILE *o, const char *who, const evidence *e, hv_sev min,
		      size_t npasswords)
{
	size_t locked = 0;
	strmap paths = STRMAP_INIT; /* the PFX files that only lack their password */
	for (size_t k = 0; k < e->nfiles; k++) {
		const ev_file *f = &e->files[k];
		if (f->kind == EV_PFX && f->status == HV_ERR_PASSWORD) {
			strmap_put(&paths, xstrdup(f->path), k);
			locked++;
		}
	}
	for (size_t i = 0; i < e->findings.n; i++) {
		const hv_finding *x = &e->findings.v[i];
		if (x->sev < min || (x->file && strmap_get(&paths, x->file) != SIZE_MAX))
			continue;
		char *l = finding_format(x);
		fprintf(o, "%s: %s: ", who, hv_sev_name(x->sev));
		term_put(o, l);
		fputc('\n', o);
		free(l);
	}
	strmap_free(&paths);
	if (!locked || min > HV_SEV_WARN)
		return;
	if (!npasswords)
		fprintf(o, "%s: %zu PFX file%s could not be opened: no password was given. Give one "
			   "with --password-file FILE, --ask-password or HVTPM_PFX_PASSWORD, or try "
			   "--try-default-passwords (passwords of common export scripts, P@ssword "
			   "among them).\n",
			who, locked, locked == 1 ? "" : "s");
	else
		fprintf(o, "%s: %zu PFX file%s could not be opened with the %zu password%s given "
			   "(listed in the report).\n",
			who, locked, locked == 1 ? "" : "s", npasswords, npasswords == 1 ? "" : "s");
}

void dx_report_text(FILE *o, const evidence *e, const dx_result *r, const vm_filter *f)
{
	size_t width = out_width();
	char at[32];
	time_to_iso(r->evaluated_at, at);
	strbuf sb = STRBUF_INIT;
	sb_addf(&sb, "%shvtpm diagnose%s: %zu VM%s, evaluated at %s (warn within %d days)",
		out_c(C_BOLD), out_c(C_NONE), r->nvms, r->nvms == 1 ? "" : "s", at, r->warn_days);
	text_wrap(o, width, "", "  ", sb_str(&sb));
	if (f && vm_filter_active(f)) {
		sb_reset(&sb);
		dx_filter_text(&sb, f);
		sb_addf(&sb, ": %zu of the %zu VMs in the evidence.", r->nvms, e->nvms);
		text_wrap(o, width, "", "  ", sb_str(&sb));
	}
	sb_free(&sb);
	fputc('\n', o);
	if (r->nvms) {
		dx_summary_table(o, e, r, width);
		fputc('\n', o);
	}
	answer(o, e, r, width);
	fputc('\n', o);
	for (size_t i = 0; i < r->nvms; i++)
		text_vm(o, e, &r->vms[i], width);
	if (!r->nvms && !e->nvms)
		fprintf(o, "%sNo VM was found in the evidence%s: no configuration, key protector or "
			   "guest state file.\n\n", out_c(C_YELLOW), out_c(C_NONE));
	dx_evidence_text(o, e, true, r->passwords_known ? r->npasswords : 1, width);
	fputs("(SHA-256 of every file: --format json, field \"evidence\")\n", o);
}

void dx_filter_text(strbuf *sb, const vm_filter *f)
{
	sb_adds(sb, "Only VMs");
	const char *sep = " ";
	if (f->nvms) {
		sb_addf(sb, "%snamed ", sep);
		for (size_t i = 0; i < f->nvms; i++) {
			sb_adds(sb, i ? ", " : "");
			term_add(sb, f->vms[i]);
		}
		sep = "; ";
	}
	if (f->verdicts) {
		sb_addf(sb, "%swith verdict ", sep);
		bool first = true;
		for (int k = V_NO_VTPM; k <= V_REBUILD_DATA_LOSS; k++) {
			if (!(f->verdicts & (1u << k)))
				continue;
			sb_addf(sb, "%s%s", first ? "" : " or ", verdict_name((verdict_kind)k));
			first = false;
		}
		sep = "; ";
	}
	if (f->expiring_given) {
		char b[32];
		time_to_iso(f->expiring_before, b);
		sb_addf(sb, "%swhose certificates expire before %s", sep, b);
	}
}
