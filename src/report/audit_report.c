/* audit_report.c - certificate index, summary and the audit as text, JSON, JSONL and CSV. */
#include "report/audit_report.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "report/csv.h"
#include "report/manifest_report.h"
#include "report/out.h"
#include "report/table.h"
#include "report/term.h"
#include "util/strbuf.h"
#include "util/text.h"
#include "util/xalloc.h"


/* ---- ordering ------------------------------------------------------------------------ */

static int cmp_vm_id(const void *a, const void *b)
{
	const ev_vm *x = a, *y = b;
	return strcmp(x->id, y->id);
}

void audit_sort_vms(evidence *e)
{
	if (e->nvms > 1)
		qsort(e->vms, e->nvms, sizeof *e->vms, cmp_vm_id); /* ids are unique */
}

/* ---- the certificate index ----------------------------------------------------------- */

/* A reference to a certificate: a VM needs it, or a file holds it. */
typedef struct {
	const hv_cert *cert;
	bool held;           /* a holding (else a key protector's use) */
	size_t idx;          /* holding index, or VM index */
	const char *role;    /* for uses */
} cert_ref;

static int cmp_ref(const void *a, const void *b)
{
	const cert_ref *x = a, *y = b;
	int c = strcmp(x->cert->sha256, y->cert->sha256);
	if (c)
		return c;
	if (x->held != y->held)
		return x->held ? -1 : 1;
	return (x->idx > y->idx) - (x->idx < y->idx);
}

typedef struct {
	cert_ref *v;
	size_t n, cap;
} ref_list;

static void add_ref(ref_list *l, const hv_cert *c, bool held, size_t idx, const char *role)
{
	if (!c || !c->der)
		return;
	l->v = xgrow(l->v, &l->cap, l->n + 1, sizeof *l->v);
	cert_ref *r = &l->v[l->n++];
	r->cert = c;
	r->held = held;
	r->idx = idx;
	r->role = role;
}

static void collect_refs(const evidence *e, ref_list *l)
{
	for (size_t i = 0; i < e->nholdings; i++)
		add_ref(l, &e->holdings[i].cert, true, i, NULL);
	for (size_t v = 0; v < e->nvms; v++) {
		const ev_vm *vm = &e->vms[v];
		for (size_t k = 0; k < vm->nkps; k++) {
			for (size_t w = 0; w < vm->kps[k].nw; w++) {
				add_ref(l, vm->kps[k].w[w].enc, false, v, "encryption");
				add_ref(l, vm->kps[k].w[w].sig, false, v, "signing");
			}
		}
	}
	if (l->n > 1)
		qsort(l->v, l->n, sizeof *l->v, cmp_ref);
}

static void push_unique(size_t **arr, size_t *n, size_t x)
{
	for (size_t i = 0; i < *n; i++)
		if ((*arr)[i] == x)
			return;
	*arr = xrealloc(*arr, (*n + 1) * sizeof **arr);
	(*arr)[(*n)++] = x;
}

static bool contains(const size_t *arr, size_t n, size_t x)
{
	for (size_t i = 0; i < n; i++)
		if (arr[i] == x)
			return true;
	return false;
}

/* Fills c from the refs [from, to) that share one certificate. */
static void fill_cert(const evidence *e, const cert_ref *v, size_t from, size_t to, time_t at,
		      int warn_days, au_cert *c)
{
	memset(c, 0, sizeof *c);
	c->cert = v[from].cert; /* holdings sort first: a holding's copy when there is one */
	size_t *files = NULL, nfiles = 0;
	for (size_t i = from; i < to; i++) {
		if (!v[i].held) {
			if (!c->role)
				c->role = v[i].role;
			if (c->nvms && c->vms[c->nvms - 1] == v[i].idx)
				continue; /* uses sort by VM: repeats are adjacent */
			c->vms = xrealloc(c->vms, (c->nvms + 1) * sizeof *c->vms);
			c->vms[c->nvms++] = v[i].idx;
			continue;
		}
		const ev_holding *h = &e->holdings[v[i].idx];
		if (h->has_private_key)
			push_unique(&c->with_key, &c->nwith, h->file);
		else
			push_unique(&files, &nfiles, h->file);
	}
	for (size_t i = 0; i < nfiles; i++)
		if (!contains(c->with_key, c->nwith, files[i]))
			push_unique(&c->without_key, &c->nwithout, files[i]);
	free(files);
	if (!c->role)
		c->role = cert_role_name(c->cert->role);
	c->days_left = cert_days_left(c->cert, at);
	c->expired = c->cert->not_after < at;
	c->expiring = !c->expired && c->days_left <= warn_days;
	c->not_yet_valid = c->cert->not_before > at;
}

static int cmp_cert_date(const void *a, const void *b)
{
	const au_cert *x = a, *y = b;
	if (x->cert->not_after != y->cert->not_after)
		return x->cert->not_after < y->cert->not_after ? -1 : 1;
	return strcmp(x->cert->thumbprint, y->cert->thumbprint);
}

static int cmp_by_sha(const void *a, const void *b, void *ctx)
{
	const audit_result *r = ctx;
	return strcmp(r->certs[*(const size_t *)a].cert->sha256,
		      r->certs[*(const size_t *)b].cert->sha256);
}

void audit_begin(const evidence *e, time_t at, int warn_days, audit_result *a)
{
	memset(a, 0, sizeof *a);
	a->evaluated_at = at;
	a->warn_days = warn_days;
	ref_list l = { NULL, 0, 0 };
	collect_refs(e, &l);
	size_t distinct = 0; /* refs are many (every VM's), certificates few */
	for (size_t i = 0; i < l.n; i++)
		distinct += !i || strcmp(l.v[i].cert->sha256, l.v[i - 1].cert->sha256) != 0;
	a->certs = xcalloc(distinct + 1, sizeof *a->certs);
	for (size_t i = 0; i < l.n;) {
		size_t j = i + 1;
		while (j < l.n && strcmp(l.v[j].cert->sha256, l.v[i].cert->sha256) == 0)
			j++;
		fill_cert(e, l.v, i, j, at, warn_days, &a->certs[a->ncerts++]);
		i = j;
	}
	free(l.v);
	if (a->ncerts > 1)
		qsort(a->certs, a->ncerts, sizeof *a->certs, cmp_cert_date);
	a->by_sha = xcalloc(a->ncerts + 1, sizeof *a->by_sha);
	for (size_t i = 0; i < a->ncerts; i++)
		a->by_sha[i] = i;
	if (a->ncerts > 1)
		qsort_r(a->by_sha, a->ncerts, sizeof *a->by_sha, cmp_by_sha, a);
	a->vms = xcalloc(e->nvms + 1, sizeof *a->vms);
	a->single = xcalloc(e->nvms + 1, sizeof *a->single);
}

/* The index entry of a certificate (binary search over by_sha). */
static const au_cert *find_cert(const audit_result *a, const hv_cert *c)
{
	size_t lo = 0, hi = a->ncerts;
	while (c && lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int k = strcmp(a->certs[a->by_sha[mid]].cert->sha256, c->sha256);
		if (k == 0)
			return &a->certs[a->by_sha[mid]];
		if (k < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

/* ---- per VM ------------------------------------------------------------------------- */

/* How many files hold the private keys the verdict relies on, and the scarcest. */
static void count_copies(const vd_cert *ve, const vd_cert *vs, au_vm *row)
{
	if (row->kind != V_RESTORABLE && row->kind != V_RESTORABLE_EXPIRED &&
	    row->kind != V_DEGRADED)
		return;
	const au_cert *keys[2] = { ve && ve->state == HOLD_WITH_KEY ? row->enc : NULL,
				   vs && vs->state == HOLD_WITH_KEY ? row->sig : NULL };
	for (int i = 0; i < 2; i++) {
		if (!keys[i])
			continue;
		if (!row->key_copies || keys[i]->nwith < row->key_copies)
			row->key_copies = keys[i]->nwith;
		if (keys[i]->nwith == 1 && !row->single)
			row->single = keys[i];
	}
}

void audit_vm_row(const audit_result *a, const evidence *e, size_t vm, const verdict *v,
		  au_vm *row)
{
	memset(row, 0, sizeof *row);
	row->vm = vm;
	row->kind = v->kind;
	row->kp = v->kp;
	int w = verdict_shown_wrapping(v);
	const vd_cert *ve = verdict_cert(v, w, "encryption");
	const vd_cert *vs = verdict_cert(v, w, "signing");
	row->enc = ve ? find_cert(a, ve->cert) : NULL;
	row->sig = vs ? find_cert(a, vs->cert) : NULL;
	row->has_expiry = verdict_expiry(v, &row->first_not_after, &row->days_left);
	row->missing = dx_missing_text(e, v);
	count_copies(ve, vs, row);
}

void audit_add_row(audit_result *a, au_vm *row)
{
	a->vms[a->nvms] = *row;
	memset(row, 0, sizeof *row);
	a->counts[a->vms[a->nvms].kind]++;
	if (a->vms[a->nvms].single)
		a->single[a->nsingle++] = a->nvms;
	a->nvms++;
}

void audit_add_vm(audit_result *a, const evidence *e, size_t vm, const verdict *v)
{
	au_vm row;
	audit_vm_row(a, e, vm, v, &row);
	audit_add_row(a, &row);
}

void audit_end(const evidence *e, int exit_code, audit_result *a)
{
	a->exit_code = exit_code;
	a->expiring = xcalloc(a->ncerts + 1, sizeof *a->expiring);
	a->unneeded = xcalloc(a->ncerts + 1, sizeof *a->unneeded);
	for (size_t i = 0; i < a->ncerts; i++) {
		const au_cert *c = &a->certs[i];
		if (c->expired || c->expiring)
			a->expiring[a->nexpiring++] = i;
		if (!c->nvms && (c->nwith || c->nwithout))
			a->unneeded[a->nunneeded++] = i;
	}
	a->pfx_failed = xcalloc(e->nfiles + 1, sizeof *a->pfx_failed);
	for (size_t i = 0; i < e->nfiles; i++) {
		if (e->files[i].status == HV_OK)
			continue;
		a->nfile_errors++;
		if (e->files[i].kind == EV_PFX)
			a->pfx_failed[a->npfx_failed++] = i;
	}
}

void audit_free(audit_result *a)
{
	for (size_t i = 0; i < a->ncerts; i++) {
		free(a->certs[i].vms);
		free(a->certs[i].with_key);
		free(a->certs[i].without_key);
	}
	free(a->certs);
	free(a->by_sha);
	for (size_t i = 0; i < a->nvms; i++)
		free(a->vms[i].missing);
	free(a->vms);
	free(a->expiring);
	free(a->unneeded);
	free(a->pfx_failed);
	free(a->single);
	mc_result_free(&a->manifests);
	memset(a, 0, sizeof *a);
}

/* ---- JSON ---------------------------------------------------------------------------- */

static const char *cert_status(const au_cert *c)
{
	if (c->expired)
		return "expired";
	if (c->not_yet_valid)
		return "not_yet_valid";
	return c->expiring ? "expiring" : "valid";
}

static json_object *file_list_json(const evidence *e, const size_t *files, size_t n)
{
	json_object *a = json_object_new_array();
	for (size_t i = 0; i < n; i++) {
		const ev_file *f = &e->files[files[i]];
		json_object *j = json_object_new_object();
		jadd_str(j, "path", f->path);
		jadd_str(j, "sha256", f->sha256[0] ? f->sha256 : NULL);
		json_object_array_add(a, j);
	}
	return a;
}

json_object *audit_cert_json(const evidence *e, const au_cert *c)
{
	json_object *o = json_object_new_object();
	jadd_str(o, "thumbprint_sha1", c->cert->thumbprint);
	jadd_str(o, "sha256", c->cert->sha256);
	jadd_str(o, "subject", c->cert->subject);
	jadd_enum(o, "role", c->role);
	jadd_str(o, "guardian", c->cert->guardian);
	jadd_str(o, "host", c->cert->host);
	jadd_bool(o, "local_guardian_pattern", c->cert->role != CERT_ROLE_OTHER);
	jadd_str(o, "not_before", c->cert->not_before_iso);
	jadd_str(o, "not_after", c->cert->not_after_iso);
	jadd_int(o, "days_left", c->days_left);
	jadd_enum(o, "status", cert_status(c));
	json_object *vms = json_object_new_array();
	for (size_t i = 0; i < c->nvms; i++) {
		json_object *j = json_object_new_object();
		jadd_str(j, "id", e->vms[c->vms[i]].id);
		jadd_str(j, "name", e->vms[c->vms[i]].name);
		json_object_array_add(vms, j);
	}
	json_object_object_add(o, "vms", vms);
	json_object_object_add(o, "held_with_private_key", file_list_json(e, c->with_key, c->nwith));
	json_object_object_add(o, "held_without_private_key",
			       file_list_json(e, c->without_key, c->nwithout));
	return o;
}

static json_object *single_json(const evidence *e, const au_vm *v, bool whose)
{
	if (!v->single)
		return NULL;
	const ev_vm *vm = &e->vms[v->vm];
	json_object *o = json_object_new_object();
	if (whose) {
		jadd_str(o, "id", vm->id);
		jadd_str(o, "name", vm->name);
		jadd_enum(o, "verdict", verdict_name(v->kind));
	}
	jadd_str(o, "thumbprint_sha1", v->single->cert->thumbprint);
	jadd_enum(o, "role", v->single->role);
	jadd_str(o, "path", e->files[v->single->with_key[0]].path);
	return o;
}

json_object *audit_vm_json(const evidence *e, const dx_result *r, const dx_vm *d,
			   const au_vm *row)
{
	json_object *o = dx_vm_json(e, r, d);
	jadd_int(o, "private_key_copies", (int64_t)row->key_copies);
	json_object_object_add(o, "single_copy", single_json(e, row, false));
	return o;
}

json_object *audit_summary_json(const evidence *e, const audit_result *a)
{
	json_object *o = json_object_new_object();
	jadd_int(o, "vms", (int64_t)a->nvms);
	jadd_int(o, "vms_in_evidence", (int64_t)e->nvms);
	jadd_int(o, "files", (int64_t)e->nfiles);
	json_object *cl = json_object_new_object();
	for (int c = 0; c < EVC_COUNT; c++)
		jadd_int(cl, ev_class_name((ev_class)c), (int64_t)e->nclass[c]);
	json_object_object_add(o, "classes", cl);
	json_object *vc = json_object_new_object();
	for (int k = 0; k <= V_REBUILD_DATA_LOSS; k++)
		jadd_int(vc, verdict_name((verdict_kind)k), (int64_t)a->counts[k]);
	json_object_object_add(o, "verdicts", vc);
	jadd_int(o, "certificates", (int64_t)a->ncerts);
	json_object *ex = json_object_new_array();
	for (size_t i = 0; i < a->nexpiring; i++) {
		const au_cert *c = &a->certs[a->expiring[i]];
		json_object *j = json_object_new_object();
		jadd_str(j, "thumbprint_sha1", c->cert->thumbprint);
		jadd_enum(j, "role", c->role);
		jadd_str(j, "guardian", c->cert->guardian);
		jadd_str(j, "host", c->cert->host);
		jadd_str(j, "not_after", c->cert->not_after_iso);
		jadd_int(j, "days_left", c->days_left);
		jadd_enum(j, "status", cert_status(c));
		jadd_int(j, "vm_count", (int64_t)c->nvms);
		json_object_array_add(ex, j);
	}
	json_object_object_add(o, "expired_or_expiring", ex);
	json_object *pf = json_object_new_array();
	uint64_t *offsets = evidence_error_offsets(e);
	for (size_t i = 0; i < a->npfx_failed; i++)
		json_object_array_add(pf, dx_file_error_json(e, a->pfx_failed[i], offsets));
	free(offsets);
	json_object_object_add(o, "pfx_not_opened", pf);
	json_object *un = json_object_new_array();
	for (size_t i = 0; i < a->nunneeded; i++) {
		const au_cert *c = &a->certs[a->unneeded[i]];
		json_object *j = json_object_new_object();
		jadd_str(j, "thumbprint_sha1", c->cert->thumbprint);
		jadd_str(j, "subject", c->cert->subject);
		jadd_str(j, "not_after", c->cert->not_after_iso);
		json_object_object_add(j, "held_with_private_key",
				       file_list_json(e, c->with_key, c->nwith));
		json_object_object_add(j, "held_without_private_key",
				       file_list_json(e, c->without_key, c->nwithout));
		json_object_array_add(un, j);
	}
	json_object_object_add(o, "certificates_no_vm_needs", un);
	json_object *sg = json_object_new_array();
	for (size_t i = 0; i < a->nsingle; i++)
		json_object_array_add(sg, single_json(e, &a->vms[a->single[i]], true));
	json_object_object_add(o, "single_copy_vms", sg);
	jadd_int(o, "files_with_errors", (int64_t)a->nfile_errors);
	jadd_int(o, "exit_code", a->exit_code);
	return o;
}

/* ---- streamed JSON document ---------------------------------------------------------- */

#define JSON_FLAGS (JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED | \
		    JSON_C_TO_STRING_NOSLASHESCAPE)

/* "  "key": value" of the top-level object; takes v. */
static void member(FILE *o, const char *key, json_object *v, bool *first)
{
	fputs(*first ? "{\n  " : ",\n  ", o);
	*first = false;
	json_object *k = json_object_new_string(key);
	fputs(json_object_to_json_string_ext(k, JSON_FLAGS), o);
	json_object_put(k);
	fputs(": ", o);
	out_indented(o, json_object_to_json_string_ext(v, JSON_FLAGS), "  ");
	json_object_put(v);
}

static void array_open(FILE *o, const char *key, bool *first)
{
	fputs(*first ? "{\n  " : ",\n  ", o);
	*first = false;
	fprintf(o, "\"%s\": [", key);
}

/* One array element; takes v. */
static void array_item(FILE *o, json_object *v, size_t i)
{
	size_t len;
	char *t = audit_json_vm_text(v, &len);
	audit_json_vm_put(o, t, len, i);
	free(t);
}

static void array_close(FILE *o, size_t n)
{
	fputs(n ? "\n  ]" : "]", o);
}

/* Streams a json-c array built elsewhere, element by element. */
static void array_of(FILE *o, const char *key, json_object *arr, bool *first)
{
	array_open(o, key, first);
	size_t n = json_object_array_length(arr);
	for (size_t i = 0; i < n; i++)
		array_item(o, json_object_get(json_object_array_get_idx(arr, i)), i);
	array_close(o, n);
	json_object_put(arr);
}

static void evidence_stream(FILE *o, const evidence *e, bool *first)
{
	array_open(o, "evidence", first);
	for (size_t i = 0; i < e->nfiles; i++)
		array_item(o, dx_evidence_file_json(e, i), i);
	array_close(o, e->nfiles);
}

void audit_json_begin(FILE *o, time_t generated_at, time_t evaluated_at, int warn_days,
		      const vm_filter *f)
{
	char g[32], at[32];
	time_to_iso(generated_at, g);
	time_to_iso(evaluated_at, at);
	bool first = true;
	member(o, "schema_version", json_object_new_int64(HVTPM_SCHEMA_VERSION), &first);
	member(o, "tool", json_object_new_string("hvtpm " HVTPM_VERSION), &first);
	member(o, "generated_at", json_object_new_string(g), &first);
	member(o, "evaluated_at", json_object_new_string(at), &first);
	member(o, "warn_days", json_object_new_int64(warn_days), &first);
	json_object *fj = dx_filter_json(f);
	if (fj)
		member(o, "filter", fj, &first);
	else
		fputs(",\n  \"filter\": null", o);
	array_open(o, "vms", &first);
}

char *audit_json_vm_text(json_object *vm, size_t *len)
{
	return out_json_nested_text(vm, "", "    ", len);
}

void audit_json_vm_put(FILE *o, const char *text, size_t len, size_t index)
{
	fputs(index ? ",\n    " : "\n    ", o);
	fwrite(text, 1, len, o);
}

void audit_json_end(FILE *o, const evidence *e, const audit_result *a)
{
	bool first = false;
	array_close(o, a->nvms);
	array_open(o, "certificates", &first);
	for (size_t i = 0; i < a->ncerts; i++)
		array_item(o, audit_cert_json(e, &a->certs[i]), i);
	array_close(o, a->ncerts);
	array_open(o, "manifests", &first);
	for (size_t i = 0; i < a->manifests.nm; i++)
		array_item(o, manifest_report_json(e, &a->manifests, i, a->npasswords), i);
	array_close(o, a->manifests.nm);
	member(o, "summary", audit_summary_json(e, a), &first);
	evidence_stream(o, e, &first);
	array_of(o, "errors", dx_errors_json(e), &first);
	fputs("\n}\n", o);
}

/* ---- JSONL --------------------------------------------------------------------------- */

/* {"type": type, ...v} on one line, newline included; takes v; caller frees. */
static char *record_text(const char *type, json_object *v, size_t *len)
{
	json_object *r = json_object_new_object();
	jadd_str(r, "type", type);
	json_object_object_foreach(v, key, val)
		json_object_object_add(r, key, json_object_get(val));
	json_object_put(v);
	char *t = out_json_line_text(r, len);
	json_object_put(r);
	return t;
}

static void record(FILE *o, const char *type, json_object *v)
{
	size_t len;
	char *t = record_text(type, v, &len);
	fwrite(t, 1, len, o);
	free(t);
}

char *audit_jsonl_vm_text(json_object *vm, size_t *len)
{
	return record_text("vm", vm, len);
}

void audit_jsonl_end(FILE *o, const evidence *e, const audit_result *a)
{
	for (size_t i = 0; i < a->ncerts; i++)
		record(o, "certificate", audit_cert_json(e, &a->certs[i]));
	for (size_t i = 0; i < a->manifests.nm; i++)
		record(o, "manifest", manifest_report_json(e, &a->manifests, i, a->npasswords));
	json_object *s = audit_summary_json(e, a);
	char at[32];
	time_to_iso(a->evaluated_at, at);
	jadd_str(s, "evaluated_at", at);
	jadd_int(s, "warn_days", a->warn_days);
	json_object_object_add(s, "errors", dx_errors_json(e));
	record(o, "summary", s);
}

/* ---- CSV ----------------------------------------------------------------------------- */

static void join_files(strbuf *sb, const evidence *e, const size_t *files, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (i)
			sb_addc(sb, ';');
		sb_adds(sb, e->files[files[i]].path);
	}
}

static void csv_vm(FILE *o, const evidence *e, const au_vm *v)
{
	const ev_vm *vm = &e->vms[v->vm];
	strbuf cfg = STRBUF_INIT, miss = STRBUF_INIT;
	join_files(&cfg, e, vm->configs, vm->nconfigs);
	for (size_t i = 0; i < vm->nmissing; i++) {
		if (i)
			sb_addc(&miss, ';');
		sb_adds(&miss, vm->missing[i]);
	}
	char code[8], date[32] = "", days[24] = "", copies[24];
	snprintf(code, sizeof code, "%d", verdict_exit_code(v->kind));
	if (v->has_expiry) {
		time_to_iso(v->first_not_after, date);
		snprintf(days, sizeof days, "%ld", v->days_left);
	}
	snprintf(copies, sizeof copies, "%zu", v->key_copies);
	const csv_cell cells[] = {
		csv_txt(vm->id),
		csv_txt(vm->name),
		csv_txt(verdict_name(v->kind)),
		{ code, true },
		csv_txt(vm->tpm_enabled == TRI_UNKNOWN ? NULL
			: vm->tpm_enabled == TRI_YES ? "true" : "false"),
		csv_txt(sb_str(&cfg)),
		csv_txt(v->kp < vm->nkps ? e->files[vm->kps[v->kp].file].path : NULL),
		csv_txt(v->enc ? v->enc->cert->thumbprint : NULL),
		csv_txt(v->sig ? v->sig->cert->thumbprint : NULL),
		csv_txt(date),
		{ days, true },
		{ copies, true },
		csv_txt(v->single ? "yes" : "no"),
		csv_txt(sb_str(&miss)),
	};
	csv_write_row(o, cells, sizeof cells / sizeof *cells);
	sb_free(&cfg);
	sb_free(&miss);
}

static void csv_cert(FILE *o, const evidence *e, const au_cert *c)
{
	strbuf ids = STRBUF_INIT, with = STRBUF_INIT, without = STRBUF_INIT;
	for (size_t i = 0; i < c->nvms; i++) {
		if (i)
			sb_addc(&ids, ';');
		sb_adds(&ids, e->vms[c->vms[i]].id);
	}
	join_files(&with, e, c->with_key, c->nwith);
	join_files(&without, e, c->without_key, c->nwithout);
	char days[24], nvm[24];
	snprintf(days, sizeof days, "%ld", c->days_left);
	snprintf(nvm, sizeof nvm, "%zu", c->nvms);
	const csv_cell cells[] = {
		csv_txt(c->cert->thumbprint),
		csv_txt(c->cert->sha256),
		csv_txt(c->role),
		csv_txt(c->cert->guardian),
		csv_txt(c->cert->host),
		csv_txt(c->cert->subject),
		csv_txt(c->cert->not_before_iso),
		csv_txt(c->cert->not_after_iso),
		{ days, true },
		csv_txt(cert_status(c)),
		{ nvm, true },
		csv_txt(sb_str(&ids)),
		csv_txt(sb_str(&with)),
		csv_txt(sb_str(&without)),
	};
	csv_write_row(o, cells, sizeof cells / sizeof *cells);
	sb_free(&ids);
	sb_free(&with);
	sb_free(&without);
}

void audit_report_csv(FILE *o, const evidence *e, const audit_result *a, au_table t)
{
	static const char *const vm_head[] = {
		"id", "name", "verdict", "exit_code", "tpm_enabled", "config_files",
		"key_protector_source", "encryption_thumbprint", "signing_thumbprint",
		"first_not_after", "days_left", "private_key_copies", "single_copy", "missing",
	};
	static const char *const cert_head[] = {
		"thumbprint_sha1", "sha256", "role", "guardian", "host", "subject", "not_before",
		"not_after", "days_left", "status", "vm_count", "vm_ids", "files_with_key",
		"files_without_key",
	};
	if (t == AU_TABLE_VMS) {
		csv_write_texts(o, vm_head, sizeof vm_head / sizeof *vm_head);
		for (size_t i = 0; i < a->nvms; i++)
			csv_vm(o, e, &a->vms[i]);
	} else {
		csv_write_texts(o, cert_head, sizeof cert_head / sizeof *cert_head);
		for (size_t i = 0; i < a->ncerts; i++)
			csv_cert(o, e, &a->certs[i]);
	}
}

/* ---- text ---------------------------------------------------------------------------- */

static out_colour status_colour(const au_cert *c)
{
	return c->expired ? C_RED : c->expiring || c->not_yet_valid ? C_YELLOW : C_NONE;
}

static const char *cert_name(const au_cert *c)
{
	return c->cert->guardian ? c->cert->guardian : c->cert->subject;
}

/* A blank line, then a section title wrapped to width. */
static void title(FILE *o, size_t width, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static void title(FILE *o, size_t width, const char *fmt, ...)
{
	strbuf sb = STRBUF_INIT;
	va_list ap;
	va_start(ap, fmt);
	sb_vaddf(&sb, fmt, ap);
	va_end(ap);
	fputc('\n', o);
	text_wrap(o, width, "", "  ", sb_str(&sb));
	sb_free(&sb);
}

static int cmp_row_urgent(const void *pa, const void *pb, void *ctx)
{
	const evidence *e = ctx;
	const au_vm *a = *(const au_vm *const *)pa, *b = *(const au_vm *const *)pb;
	int ua = verdict_urgency(a->kind), ub = verdict_urgency(b->kind);
	if (ua != ub)
		return ua < ub ? -1 : 1;
	if (a->has_expiry != b->has_expiry)
		return a->has_expiry ? -1 : 1;
	if (a->has_expiry && a->first_not_after != b->first_not_after)
		return a->first_not_after < b->first_not_after ? -1 : 1;
	const ev_vm *va = &e->vms[a->vm], *vb = &e->vms[b->vm];
	int c = name_casecmp(va->name ? va->name : "", vb->name ? vb->name : "");
	return c ? c : strcmp(va->id, vb->id);
}

/* The VMs worst first: VM, VERDICT, DAYS LEFT, COPIES, WHAT IS MISSING. */
static void text_summary(FILE *o, const evidence *e, const audit_result *a, size_t width)
{
	static const tb_col cols[] = {
		{ "VM", TB_WRAP, 10, false, false },
		{ "VERDICT", TB_FIXED, 0, false, false },
		{ "DAYS LEFT", TB_WRAP, 4, true, false },
		{ "COPIES", TB_FIXED, 0, true, false },
		{ "WHAT IS MISSING", TB_WRAP, 12, false, false },
	};
	const au_vm **rows = xcalloc(a->nvms + 1, sizeof *rows);
	for (size_t i = 0; i < a->nvms; i++)
		rows[i] = &a->vms[i];
	if (a->nvms > 1)
		qsort_r(rows, a->nvms, sizeof *rows, cmp_row_urgent, (void *)e);
	table *t = table_new(cols, 5);
	for (size_t i = 0; i < a->nvms; i++) {
		const au_vm *v = rows[i];
		const ev_vm *vm = &e->vms[v->vm];
		char days[24] = "", copies[24] = "";
		if (v->has_expiry)
			snprintf(days, sizeof days, "%ld", v->days_left);
		if (v->key_copies)
			snprintf(copies, sizeof copies, "%zu", v->key_copies);
		const char *cells[] = { vm->name ? vm->name : vm->id, verdict_name(v->kind), days,
					copies, v->missing };
		out_colour col[5] = { C_NONE, dx_verdict_colour(v->kind), C_NONE,
				      v->single ? C_YELLOW : C_NONE };
		table_add(t, cells, col);
	}
	table_print(o, t, "  ", width);
	table_free(t);
	free(rows);
}

static void text_answer(FILE *o, const audit_result *a, size_t width)
{
	const char *what;
	switch (a->exit_code) {
	case 0: what = "every VM reported can be restored as it is"; break;
	case 1: what = a->nvms ? "attention needed, but no VM must be rebuilt" : "no VM was found";
		break;
	case 2: what = "at least one VM must be rebuilt and BitLocker re-keyed"; break;
	default: what = "some evidence could not be read (see Evidence below)"; break;
	}
	strbuf sb = STRBUF_INIT;
	sb_addf(&sb, "Exit status %d: %s.", a->exit_code, what);
	if (a->nsingle)
		sb_addf(&sb, " %zu VM%s depend%s on a private key held in one file only.", a->nsingle,
			a->nsingle == 1 ? "" : "s", a->nsingle == 1 ? "s" : "");
	if (a->nexpiring)
		sb_addf(&sb, " %zu certificate%s expired or expire%s within %d days.", a->nexpiring,
			a->nexpiring == 1 ? " has" : "s have", a->nexpiring == 1 ? "s" : "",
			a->warn_days);
	if (a->manifests.bad)
		sb_addf(&sb, " %zu exported certificate%s missing, changed or not opening (see Export "
			     "manifests below).", a->manifests.bad,
			a->manifests.bad == 1 ? " is" : "s are");
	text_wrap(o, width, "", "", sb_str(&sb));
	sb_free(&sb);
}

static void text_verdicts(FILE *o, const audit_result *a, size_t width)
{
	strbuf sb = STRBUF_INIT;
	sb_adds(&sb, "Verdicts:");
	bool any = false;
	for (int rank = 0; rank <= V_REBUILD_DATA_LOSS; rank++) { /* worst first */
		verdict_kind v = V_NO_VTPM;
		for (int u = V_NO_VTPM; u <= V_REBUILD_DATA_LOSS; u++)
			if (verdict_urgency((verdict_kind)u) == rank)
				v = (verdict_kind)u;
		if (!a->counts[v])
			continue;
		sb_addf(&sb, "%s %zu %s%s%s", any ? "," : "", a->counts[v],
			out_c(dx_verdict_colour(v)), verdict_name(v), out_c(C_NONE));
		any = true;
	}
	if (!any)
		sb_adds(&sb, " no VM found");
	sb_addc(&sb, '.');
	text_wrap(o, width, "", "  ", sb_str(&sb));
	sb_free(&sb);
}

/* A certificate table: the date, days, status, role, name and host stay on the line. */
static table *cert_table(bool counts)
{
	static const tb_col cols[] = {
		{ "NOT AFTER", TB_FIXED, 0, false, false },
		{ "DAYS", TB_FIXED, 0, true, false },
		{ "ROLE", TB_FIXED, 0, false, true },
		{ "GUARDIAN/SUBJECT", TB_WRAP, 16, false, false },
		{ "HOST", TB_FIXED, 0, false, false },
		{ "STATUS", TB_FIXED, 0, false, true },
		{ "THUMBPRINT", TB_FIXED, 0, false, true },
		{ "VMS", TB_FIXED, 0, true, true },
		{ "WITH KEY", TB_FIXED, 0, true, true },
		{ "CERT ONLY", TB_FIXED, 0, true, true },
	};
	return table_new(cols, counts ? 10 : 8);
}

static void cert_row(table *t, const au_cert *c, bool counts)
{
	char days[24], nvm[24], nw[24], nwo[24];
	snprintf(days, sizeof days, "%ld", c->days_left);
	snprintf(nvm, sizeof nvm, "%zu", c->nvms);
	snprintf(nw, sizeof nw, "%zu", c->nwith);
	snprintf(nwo, sizeof nwo, "%zu", c->nwithout);
	const char *cells[] = { c->cert->not_after_iso, days, c->role, cert_name(c),
				c->cert->host, cert_status(c), c->cert->thumbprint, nvm, nw, nwo };
	out_colour col[10] = { C_NONE, status_colour(c), C_NONE, C_NONE, C_NONE, status_colour(c),
			       C_NONE, C_NONE, c->nvms && !c->nwith ? C_RED : C_NONE };
	(void)counts;
	table_add(t, cells, col);
}

static void text_expiring(FILE *o, const audit_result *a, size_t width)
{
	title(o, width, "Expired or expiring certificates, by date (%zu):", a->nexpiring);
	if (!a->nexpiring)
		return;
	table *t = cert_table(false);
	for (size_t i = 0; i < a->nexpiring; i++)
		cert_row(t, &a->certs[a->expiring[i]], false);
	table_print(o, t, "  ", width);
	table_free(t);
}

static void text_pfx_failed(FILE *o, const evidence *e, const audit_result *a, size_t width)
{
	title(o, width, "PFX files that could not be opened (%zu):", a->npfx_failed);
	strbuf sb = STRBUF_INIT;
	for (size_t i = 0; i < a->npfx_failed; i++) {
		const ev_file *f = &e->files[a->pfx_failed[i]];
		sb_reset(&sb);
		term_add(&sb, f->path);
		text_wrap(o, width, "  ", "    ", sb_str(&sb));
		sb_reset(&sb);
		if (f->status == HV_ERR_PASSWORD && !a->npasswords) {
			sb_adds(&sb, "needs a password, and none was given (--password-file, "
				     "--ask-password, --try-default-passwords)");
		} else {
			term_add(&sb, ev_file_error_or(f, hv_err_name(f->status)));
		}
		text_wrap(o, width, "      ", "      ", sb_str(&sb));
	}
	sb_free(&sb);
}

static void text_unneeded(FILE *o, const evidence *e, const audit_result *a, size_t width)
{
	title(o, width, "Certificates held that no VM needs (%zu):", a->nunneeded);
	if (!a->nunneeded)
		return;
	static const tb_col cols[] = {
		{ "NOT AFTER", TB_FIXED, 0, false, false },
		{ "KEY", TB_FIXED, 0, false, false },
		{ "SUBJECT", TB_WRAP, 16, false, false },
		{ "FIRST FILE", TB_CUT_MIDDLE, 24, false, false },
		{ "THUMBPRINT", TB_FIXED, 0, false, true },
	};
	table *t = table_new(cols, 5);
	for (size_t i = 0; i < a->nunneeded; i++) {
		const au_cert *c = &a->certs[a->unneeded[i]];
		size_t f = c->nwith ? c->with_key[0] : c->without_key[0];
		const char *cells[] = { c->cert->not_after_iso, c->nwith ? "yes" : "no",
					c->cert->subject, e->files[f].path, c->cert->thumbprint };
		table_add(t, cells, NULL);
	}
	table_print(o, t, "  ", width);
	table_free(t);
}

static void text_single(FILE *o, const evidence *e, const audit_result *a, size_t width)
{
	title(o, width, "VMs whose private key exists in one file only (%zu): keep a second copy",
	      a->nsingle);
	if (!a->nsingle)
		return;
	static const tb_col cols[] = {
		{ "VM", TB_WRAP, 12, false, false },
		{ "ROLE", TB_FIXED, 0, false, false },
		{ "ONLY COPY", TB_CUT_MIDDLE, 24, false, false },
		{ "THUMBPRINT", TB_FIXED, 0, false, true },
		{ "ID", TB_FIXED, 0, false, true },
	};
	table *t = table_new(cols, 5);
	for (size_t i = 0; i < a->nsingle; i++) {
		const au_vm *v = &a->vms[a->single[i]];
		const ev_vm *vm = &e->vms[v->vm];
		const char *cells[] = { vm->name ? vm->name : vm->id, v->single->role,
					e->files[v->single->with_key[0]].path,
					v->single->cert->thumbprint, vm->id };
		table_add(t, cells, NULL);
	}
	table_print(o, t, "  ", width);
	table_free(t);
}

static void text_certs(FILE *o, const audit_result *a, size_t width)
{
	title(o, width, "Certificates (%zu), by date:", a->ncerts);
	if (!a->ncerts)
		return;
	table *t = cert_table(true);
	for (size_t i = 0; i < a->ncerts; i++)
		cert_row(t, &a->certs[i], true);
	table_print(o, t, "  ", width);
	table_free(t);
}

void audit_report_text(FILE *o, const evidence *e, const audit_result *a)
{
	size_t width = out_width();
	char at[32];
	time_to_iso(a->evaluated_at, at);
	strbuf sb = STRBUF_INIT;
	sb_addf(&sb, "%shvtpm audit%s: %zu VM%s in %zu evidence file(s), evaluated at %s (warn "
		     "within %d days)", out_c(C_BOLD), out_c(C_NONE), a->nvms,
		a->nvms == 1 ? "" : "s", e->nfiles, at, a->warn_days);
	text_wrap(o, width, "", "  ", sb_str(&sb));
	if (a->filter && vm_filter_active(a->filter)) {
		sb_reset(&sb);
		dx_filter_text(&sb, a->filter);
		sb_addf(&sb, ": %zu of the %zu VMs in the evidence; the certificate sections cover "
			     "the whole evidence.", a->nvms, e->nvms);
		text_wrap(o, width, "", "  ", sb_str(&sb));
	}
	sb_free(&sb);
	fputc('\n', o);
	if (a->nvms) {
		text_summary(o, e, a, width);
		fputc('\n', o);
	}
	text_answer(o, a, width);
	fputc('\n', o);
	text_verdicts(o, a, width);
	fprintf(o, "Certificates: %zu distinct\n", a->ncerts);
	text_expiring(o, a, width);
	text_pfx_failed(o, e, a, width);
	manifest_report_text(o, e, &a->manifests, a->npasswords, width);
	text_unneeded(o, e, a, width);
	text_single(o, e, a, width);
	fputc('\n', o);
	dx_evidence_text(o, e, false, a->npasswords, width);
	text_certs(o, a, width);
	fputs("\n(Reasons, plans and the SHA-256 of every file: --format json)\n", o);
}
