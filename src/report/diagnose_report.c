/* diagnose_report.c - verdicts, reasons, certificates and plans as text or JSON. */
#include "report/diagnose_report.h"

#include <stdlib.h>
#include <string.h>

#include "analysis/survive.h"
#include "formats/kp.h"
#include "report/cert_report.h"
#include "report/disk_report.h"
#include "report/kp_report.h"
#include "report/out.h"
#include "util/text.h"

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
		json_object_array_add(a, json_object_new_string(v[i]));
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
	if (!f->disk) {
		jadd_null(j, "survivability");
		jadd_str(j, "survivability_reason", f->error ? f->error : "not read");
		jadd_null(j, "detail");
		return j;
	}
	disk_survival sv;
	survive_disk(f->disk, &sv);
	jadd_enum(j, "survivability", surv_kind_id(sv.overall.kind));
	jadd_str(j, "survivability_reason", sv.overall.reason);
	json_object_object_add(j, "detail", disk_report_json(f->disk, &sv));
	disk_survival_free(&sv);
	return j;
}

/* The current and the last-known-good KP of a VM, when it has both. */
static bool current_and_lkg(const ev_vm *vm, const ev_kp **cur, const ev_kp **lkg)
{
	*cur = *lkg = NULL;
	for (size_t i = 0; i < vm->nkps; i++) {
		const ev_kp *k = &vm->kps[i];
		if (!k->doc)
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
		json_object_array_add(rs, json_object_new_string(v->reasons[i].text));
		json_object *j = json_object_new_object();
		jadd_str(j, "text", v->reasons[i].text);
		jadd_enum(j, "confidence", v->reasons[i].inferred ? "inferred" : "confirmed");
		json_object_array_add(rd, j);
	}
	json_object_object_add(o, "reasons", rs);
	json_object_object_add(o, "reason_details", rd);
	json_object *cf = json_object_new_array();
	for (size_t i = 0; i < vm->nconfigs; i++)
		json_object_array_add(cf, json_object_new_string(e->files[vm->configs[i]].path));
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
		kp_compare(cur->doc, lkg->doc, &diff);
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

json_object *dx_evidence_file_json(const ev_file *f)
{
	json_object *j = json_object_new_object();
	jadd_str(j, "path", f->path);
	jadd_str(j, "sha256", f->sha256[0] ? f->sha256 : NULL);
	jadd_enum(j, "sha256_scope", f->sha256[0] ? (f->sha256_metadata ? "metadata" : "file") : NULL);
	jadd_int(j, "size", (int64_t)f->size);
	jadd_enum(j, "kind", ev_kind_name(f->kind));
	jadd_enum(j, "format", f->format_id);
	jadd_enum(j, "class", ev_class_name(f->cls));
	jadd_str(j, "what", f->what);
	jadd_enum(j, "status", hv_err_code(f->status));
	jadd_str(j, "error", f->error);
	jadd_str(j, "claimed_format", f->claimed);
	return j;
}

json_object *dx_summary_json(const evidence *e, const dx_result *r)
{
	json_object *o = json_object_new_object();
	jadd_int(o, "vms", (int64_t)r->nvms);
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
		json_object_array_add(a, dx_evidence_file_json(&e->files[i]));
	return a;
}

json_object *dx_errors_json(const evidence *e)
{
	json_object *a = json_object_new_array();
	for (size_t i = 0; i < e->nfiles; i++) {
		const ev_file *f = &e->files[i];
		if (f->status == HV_OK)
			continue;
		json_object *j = json_object_new_object();
		jadd_str(j, "path", f->path);
		jadd_enum(j, "class", hv_err_code(f->status));
		jadd_str(j, "reason", f->error);
		json_object_array_add(a, j);
	}
	for (size_t i = 0; i < e->findings.n; i++) {
		const hv_finding *x = &e->findings.v[i];
		if (x->sev < HV_SEV_WARN)
			continue;
		json_object *j = json_object_new_object();
		jadd_str(j, "path", x->file);
		if (x->offset != HV_NO_OFFSET)
			jadd_int(j, "offset", (int64_t)x->offset);
		else
			jadd_null(j, "offset");
		jadd_enum(j, "class", hv_sev_name(x->sev));
		jadd_str(j, "reason", x->msg);
		json_object_array_add(a, j);
	}
	return a;
}

json_object *dx_report_json(const evidence *e, const dx_result *r)
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
	json_object *vms = json_object_new_array();
	for (size_t i = 0; i < r->nvms; i++)
		json_object_array_add(vms, dx_vm_json(e, r, &r->vms[i]));
	json_object_object_add(o, "vms", vms);
	json_object_object_add(o, "evidence", dx_evidence_json(e));
	json_object_object_add(o, "summary", dx_summary_json(e, r));
	json_object_object_add(o, "errors", dx_errors_json(e));
	return o;
}

static out_colour verdict_colour(verdict_kind k)
{
	switch (verdict_exit_code(k)) {
	case 0: return C_GREEN;
	case 1: return C_YELLOW;
	default: return C_RED;
	}
}

static void text_cert(FILE *o, const evidence *e, const vd_cert *c)
{
	char *subj = cert_report_escape(c->cert->guardian ? c->cert->guardian : c->cert->subject);
	char *host = cert_report_escape(c->cert->host);
	fprintf(o, "    %-10s w%-3u %s  guardian %s, host %s\n", c->role, c->wrapping_id,
		c->cert->thumbprint, subj, host);
	fprintf(o, "    %-10s      valid %s .. %s, %s%ld days left%s%s\n", "", c->cert->not_before_iso,
		c->cert->not_after_iso, c->expired || c->expiring ? out_c(C_YELLOW) : "",
		c->days_left, c->expired ? " (expired)" : "",
		c->expired || c->expiring ? out_c(C_NONE) : "");
	if (!c->nholdings)
		fprintf(o, "    %-10s      held: %snowhere in the evidence%s\n", "", out_c(C_RED),
			out_c(C_NONE));
	for (size_t i = 0; i < c->nholdings; i++) {
		const ev_holding *h = &e->holdings[c->holdings[i]];
		char *p = cert_report_escape(e->files[h->file].path);
		fprintf(o, "    %-10s      held: %s (%s)\n", "", p,
			h->has_private_key ? "with private key" : "certificate only");
		free(p);
	}
	free(subj);
	free(host);
}

static void text_vm(FILE *o, const evidence *e, const dx_vm *d)
{
	const ev_vm *vm = &e->vms[d->vm];
	const verdict *v = &d->v;
	char *name = cert_report_escape(vm->name ? vm->name : "(unnamed)");
	fprintf(o, "%sVM %s%s  %s\n", out_c(C_BOLD), name, out_c(C_NONE), vm->id);
	free(name);
	fprintf(o, "  verdict:  %s%s%s\n", out_c(verdict_colour(v->kind)), verdict_name(v->kind),
		out_c(C_NONE));
	fputs("  why:\n", o);
	for (size_t i = 0; i < v->nreasons; i++) {
		char *t = cert_report_escape(v->reasons[i].text);
		fprintf(o, "    - %s%s\n", v->reasons[i].inferred ? "(inferred) " : "", t);
		free(t);
	}
	if (vm->nkps) {
		fputs("  key protectors:\n", o);
		for (size_t i = 0; i < vm->nkps; i++) {
			const ev_kp *kp = &vm->kps[i];
			char *p = cert_report_escape(e->files[kp->file].path);
			char *l = cert_report_escape(kp->location);
			fprintf(o, "    %c %-15s %s, %s%s%s\n", i == v->kp ? '*' : ' ',
				kp_origin_name(kp->origin), p, l, kp->empty ? " (empty)" : "",
				kp->heuristic ? " (heuristic)" : "");
			free(p);
			free(l);
		}
	}
	const ev_kp *cur, *lkg;
	if (current_and_lkg(vm, &cur, &lkg)) {
		kp_diff diff;
		kp_compare(cur->doc, lkg->doc, &diff);
		if (diff.same) {
			fputs("  last-known-good key protector: the same wrappings as the current one\n", o);
		} else {
			fputs("  last-known-good key protector DIFFERS from the current one:\n", o);
			kp_compare_report_text(o, &diff);
		}
		kp_diff_free(&diff);
	}
	if (v->ncerts) {
		fputs("  certificates:\n", o);
		for (size_t i = 0; i < v->ncerts; i++)
			text_cert(o, e, &v->certs[i]);
	}
	for (size_t i = 0; i < vm->ndisks; i++) {
		const ev_file *f = &e->files[vm->disks[i]];
		char *p = cert_report_escape(f->path);
		const char *sk = "not read";
		disk_survival sv = { 0 };
		if (f->disk) {
			survive_disk(f->disk, &sv);
			sk = surv_kind_id(sv.overall.kind);
		}
		fprintf(o, "  disk:     %s: %s\n", p, sk);
		disk_survival_free(&sv);
		free(p);
	}
	for (size_t i = 0; i < vm->nmissing; i++) {
		char *m = cert_report_escape(vm->missing[i]);
		fprintf(o, "  missing:  %s\n", m);
		free(m);
	}
	if (d->p.nsteps) {
		fputs("  plan:\n", o);
		for (size_t i = 0; i < d->p.nsteps; i++) {
			char *s = cert_report_escape(d->p.steps[i]);
			fprintf(o, "    %zu. %s\n", i + 1, s);
			free(s);
		}
	}
	fputc('\n', o);
}

void dx_evidence_text(FILE *o, const evidence *e)
{
	fprintf(o, "Evidence: %zu file(s):", e->nfiles);
	for (int c = 0; c < EVC_COUNT; c++)
		fprintf(o, "%s %zu %s", c ? "," : "", e->nclass[c], ev_class_name((ev_class)c));
	fputs(".\n", o);
	for (size_t i = 0; i < e->nfiles; i++) {
		const ev_file *f = &e->files[i];
		if (f->cls == EVC_USED && f->status == HV_OK)
			continue;
		char *p = cert_report_escape(f->path);
		char *m = cert_report_escape(f->error ? f->error : f->what);
		fprintf(o, "  %-12s %s: %s\n", f->cls == EVC_USED ? "not opened" : ev_class_name(f->cls),
			p, m);
		free(p);
		free(m);
	}
}

void dx_report_text(FILE *o, const evidence *e, const dx_result *r)
{
	char at[32];
	time_to_iso(r->evaluated_at, at);
	size_t counts[V_REBUILD_DATA_LOSS + 1];
	dx_count(r, counts);
	fprintf(o, "%shvtpm diagnose%s: %zu VM(s), evaluated at %s (warn within %d days)\n",
		out_c(C_BOLD), out_c(C_NONE), r->nvms, at, r->warn_days);
	for (int k = 0; k <= V_REBUILD_DATA_LOSS; k++)
		if (counts[k])
			fprintf(o, "  %s%-18s%s %zu\n", out_c(verdict_colour((verdict_kind)k)),
				verdict_name((verdict_kind)k), out_c(C_NONE), counts[k]);
	fputc('\n', o);
	for (size_t i = 0; i < r->nvms; i++)
		text_vm(o, e, &r->vms[i]);
	if (!r->nvms && !e->nvms)
		fprintf(o, "%sNo VM was found in the evidence%s: no configuration, key protector or "
			   "guest state file.\n\n", out_c(C_YELLOW), out_c(C_NONE));
	dx_evidence_text(o, e);
	fputs("(SHA-256 of every file: --format json, field \"evidence\")\n", o);
}
