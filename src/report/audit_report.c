/* audit_report.c - certificate index, summary and the audit as text, JSON, JSONL and CSV. */
#include "report/audit_report.h"

#include <stdlib.h>
#include <string.h>

#include "report/cert_report.h"
#include "report/out.h"
#include "util/strbuf.h"
#include "util/text.h"
#include "util/xalloc.h"

#define NAME_COL_MAX 40      /* text tables: longer free-text cells are cut at the end */
#define CUT_LEFT ((size_t)1 << 30)
#define PATH_COL_MAX (CUT_LEFT | 72) /* paths keep their end (the file name) */

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
	a->certs = xcalloc(l.n + 1, sizeof *a->certs);
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

/* The wrapping the table shows: the verdict's, else the owner, else the first. */
static bool shown_wrapping(const verdict *v, uint32_t *wid)
{
	if (v->best_wrapping >= 0) {
		*wid = v->wraps[v->best_wrapping].id;
		return true;
	}
	for (size_t i = 0; i < v->nwraps; i++) {
		if (v->wraps[i].owner) {
			*wid = v->wraps[i].id;
			return true;
		}
	}
	if (v->nwraps)
		*wid = v->wraps[0].id;
	return v->nwraps > 0;
}

static const vd_cert *wrapping_cert(const verdict *v, uint32_t wid, const char *role)
{
	for (size_t i = 0; i < v->ncerts; i++)
		if (v->certs[i].wrapping_id == wid && strcmp(v->certs[i].role, role) == 0)
			return &v->certs[i];
	return NULL;
}

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

void audit_add_vm(audit_result *a, const evidence *e, size_t vm, const verdict *v)
{
	au_vm *row = &a->vms[a->nvms];
	memset(row, 0, sizeof *row);
	row->vm = vm;
	row->kind = v->kind;
	row->kp = v->kp;
	uint32_t wid = 0;
	bool shown = shown_wrapping(v, &wid);
	const vd_cert *ve = shown ? wrapping_cert(v, wid, "encryption") : NULL;
	const vd_cert *vs = shown ? wrapping_cert(v, wid, "signing") : NULL;
	row->enc = ve ? find_cert(a, ve->cert) : NULL;
	row->sig = vs ? find_cert(a, vs->cert) : NULL;
	const au_cert *first = row->enc;
	if (row->sig && (!first || row->sig->cert->not_after < first->cert->not_after))
		first = row->sig;
	if (first) {
		row->first_not_after = first->cert->not_after;
		row->days_left = first->days_left;
	}
	count_copies(ve, vs, row);
	a->counts[v->kind]++;
	if (row->single)
		a->single[a->nsingle++] = a->nvms;
	a->nvms++;
	(void)e;
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
	free(a->vms);
	free(a->expiring);
	free(a->unneeded);
	free(a->pfx_failed);
	free(a->single);
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
	for (size_t i = 0; i < a->npfx_failed; i++) {
		const ev_file *f = &e->files[a->pfx_failed[i]];
		json_object *j = json_object_new_object();
		jadd_str(j, "path", f->path);
		jadd_enum(j, "class", hv_err_code(f->status));
		jadd_str(j, "reason", f->error);
		json_object_array_add(pf, j);
	}
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

/* Writes s with indent after every newline (the pretty form nested one level deeper). */
static void put_nested(FILE *o, const char *s, const char *indent)
{
	for (; *s; s++) {
		fputc(*s, o);
		if (*s == '\n')
			fputs(indent, o);
	}
}

/* "  "key": value" of the top-level object; takes v. */
static void member(FILE *o, const char *key, json_object *v, bool *first)
{
	fputs(*first ? "{\n  " : ",\n  ", o);
	*first = false;
	json_object *k = json_object_new_string(key);
	fputs(json_object_to_json_string_ext(k, JSON_FLAGS), o);
	json_object_put(k);
	fputs(": ", o);
	put_nested(o, json_object_to_json_string_ext(v, JSON_FLAGS), "  ");
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
	fputs(i ? ",\n    " : "\n    ", o);
	put_nested(o, json_object_to_json_string_ext(v, JSON_FLAGS), "    ");
	json_object_put(v);
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
		array_item(o, dx_evidence_file_json(&e->files[i]), i);
	array_close(o, e->nfiles);
}

void audit_json_begin(FILE *o, time_t generated_at, time_t evaluated_at, int warn_days)
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
	array_open(o, "vms", &first);
}

void audit_json_vm(FILE *o, json_object *vm, size_t index)
{
	array_item(o, vm, index);
}

void audit_json_end(FILE *o, const evidence *e, const audit_result *a)
{
	bool first = false;
	array_close(o, a->nvms);
	array_open(o, "certificates", &first);
	for (size_t i = 0; i < a->ncerts; i++)
		array_item(o, audit_cert_json(e, &a->certs[i]), i);
	array_close(o, a->ncerts);
	member(o, "summary", audit_summary_json(e, a), &first);
	evidence_stream(o, e, &first);
	array_of(o, "errors", dx_errors_json(e), &first);
	fputs("\n}\n", o);
}

/* ---- JSONL --------------------------------------------------------------------------- */

/* {"type": type, ...v} on one line; takes v. */
static void record(FILE *o, const char *type, json_object *v)
{
	json_object *r = json_object_new_object();
	jadd_str(r, "type", type);
	json_object_object_foreach(v, key, val)
		json_object_object_add(r, key, json_object_get(val));
	json_object_put(v);
	out_json_line(o, r);
	json_object_put(r);
}

void audit_jsonl_vm(FILE *o, json_object *vm)
{
	record(o, "vm", vm);
}

void audit_jsonl_end(FILE *o, const evidence *e, const audit_result *a)
{
	for (size_t i = 0; i < a->ncerts; i++)
		record(o, "certificate", audit_cert_json(e, &a->certs[i]));
	json_object *s = audit_summary_json(e, a);
	char at[32];
	time_to_iso(a->evaluated_at, at);
	jadd_str(s, "evaluated_at", at);
	jadd_int(s, "warn_days", a->warn_days);
	json_object_object_add(s, "errors", dx_errors_json(e));
	record(o, "summary", s);
}

/* ---- CSV ----------------------------------------------------------------------------- */

void audit_csv_field(FILE *o, const char *s)
{
	if (!s)
		return;
	if (!strpbrk(s, ",\"\r\n")) {
		fputs(s, o);
		return;
	}
	fputc('"', o);
	for (; *s; s++) {
		if (*s == '"')
			fputc('"', o);
		fputc(*s, o);
	}
	fputc('"', o);
}

static void csv_row(FILE *o, const char *const *cells, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (i)
			fputc(',', o);
		audit_csv_field(o, cells[i]);
	}
	fputs("\r\n", o);
}

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
	if (v->first_not_after) {
		time_to_iso(v->first_not_after, date);
		snprintf(days, sizeof days, "%ld", v->days_left);
	}
	snprintf(copies, sizeof copies, "%zu", v->key_copies);
	const char *cells[] = {
		vm->id, vm->name ? vm->name : "", verdict_name(v->kind), code,
		vm->tpm_enabled == TRI_UNKNOWN ? "" : vm->tpm_enabled == TRI_YES ? "true" : "false",
		sb_str(&cfg), v->kp < vm->nkps ? e->files[vm->kps[v->kp].file].path : "",
		v->enc ? v->enc->cert->thumbprint : "", v->sig ? v->sig->cert->thumbprint : "",
		date, days, copies, v->single ? "yes" : "no", sb_str(&miss),
	};
	csv_row(o, cells, sizeof cells / sizeof *cells);
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
	const char *cells[] = {
		c->cert->thumbprint, c->cert->sha256, c->role,
		c->cert->guardian ? c->cert->guardian : "", c->cert->host ? c->cert->host : "",
		c->cert->subject ? c->cert->subject : "", c->cert->not_before_iso,
		c->cert->not_after_iso, days, cert_status(c), nvm, sb_str(&ids), sb_str(&with),
		sb_str(&without),
	};
	csv_row(o, cells, sizeof cells / sizeof *cells);
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
		csv_row(o, vm_head, sizeof vm_head / sizeof *vm_head);
		for (size_t i = 0; i < a->nvms; i++)
			csv_vm(o, e, &a->vms[i]);
	} else {
		csv_row(o, cert_head, sizeof cert_head / sizeof *cert_head);
		for (size_t i = 0; i < a->ncerts; i++)
			csv_cert(o, e, &a->certs[i]);
	}
}

/* ---- text ---------------------------------------------------------------------------- */

/* An aligned table: cells escaped for the terminal, cut to a column's cap. */
typedef struct {
	size_t ncols;
	char **cells;          /* row-major */
	out_colour *colour;    /* per cell */
	size_t nrows, caprows;
	size_t *width;
} table;

static size_t display_width(const char *s)
{
	size_t w = 0;
	for (; *s; s++)
		w += ((unsigned char)*s & 0xC0) != 0x80;
	return w;
}

/* The byte offset after the first n characters of s. */
static size_t chars_prefix(const char *s, size_t n)
{
	size_t i = 0;
	for (size_t w = 0; s[i] && w < n; w++) {
		i++;
		while (((unsigned char)s[i] & 0xC0) == 0x80)
			i++;
	}
	return i;
}

/* s escaped for the terminal and cut to cap characters (CUT_LEFT: keep the end). */
static char *cell_text(const char *s, size_t cap)
{
	char *t = cert_report_escape(s && *s ? s : "-");
	bool left = cap & CUT_LEFT;
	cap &= ~CUT_LEFT;
	size_t w = display_width(t);
	if (!cap || w <= cap)
		return t;
	strbuf sb = STRBUF_INIT;
	if (left) {
		sb_adds(&sb, "...");
		sb_adds(&sb, t + chars_prefix(t, w - (cap - 3)));
	} else {
		sb_add(&sb, t, chars_prefix(t, cap - 3));
		sb_adds(&sb, "...");
	}
	free(t);
	return sb_detach(&sb);
}

static void table_init(table *t, size_t ncols)
{
	memset(t, 0, sizeof *t);
	t->ncols = ncols;
	t->width = xcalloc(ncols, sizeof *t->width);
}

/* Adds a row of ncols cells; caps[i] limits a column (0: none). */
static void table_row(table *t, const char *const *cells, const size_t *caps,
		      const out_colour *colour)
{
	size_t need = (t->nrows + 1) * t->ncols, cap = t->caprows * t->ncols;
	if (need > cap) {
		size_t rows = t->caprows ? t->caprows * 2 : 64;
		t->cells = xrealloc(t->cells, rows * t->ncols * sizeof *t->cells);
		t->colour = xrealloc(t->colour, rows * t->ncols * sizeof *t->colour);
		t->caprows = rows;
	}
	for (size_t i = 0; i < t->ncols; i++) {
		char *c = cell_text(cells[i], caps ? caps[i] : 0);
		size_t w = display_width(c);
		if (w > t->width[i])
			t->width[i] = w;
		t->cells[t->nrows * t->ncols + i] = c;
		t->colour[t->nrows * t->ncols + i] = colour ? colour[i] : C_NONE;
	}
	t->nrows++;
}

static void table_print(FILE *o, table *t, const char *indent)
{
	for (size_t r = 0; r < t->nrows; r++) {
		fputs(indent, o);
		for (size_t i = 0; i < t->ncols; i++) {
			const char *c = t->cells[r * t->ncols + i];
			out_colour k = r == 0 ? C_BOLD : t->colour[r * t->ncols + i];
			bool last = i + 1 == t->ncols;
			size_t pad = last ? 0 : t->width[i] - display_width(c) + 2;
			fprintf(o, "%s%s%s%*s", k ? out_c(k) : "", c, k ? out_c(C_NONE) : "",
				(int)pad, "");
		}
		fputc('\n', o);
	}
	for (size_t i = 0; i < t->nrows * t->ncols; i++)
		free(t->cells[i]);
	free(t->cells);
	free(t->colour);
	free(t->width);
	memset(t, 0, sizeof *t);
}

static out_colour verdict_colour(verdict_kind k)
{
	switch (verdict_exit_code(k)) {
	case 0: return C_GREEN;
	case 1: return C_YELLOW;
	default: return C_RED;
	}
}

static out_colour status_colour(const au_cert *c)
{
	return c->expired ? C_RED : c->expiring || c->not_yet_valid ? C_YELLOW : C_NONE;
}

static void text_verdicts(FILE *o, const audit_result *a)
{
	fputs("Verdicts:\n", o);
	if (!a->nvms)
		fputs("  (no VM found)\n", o);
	for (int k = 0; k <= V_REBUILD_DATA_LOSS; k++)
		if (a->counts[k])
			fprintf(o, "  %s%-18s%s %zu\n", out_c(verdict_colour((verdict_kind)k)),
				verdict_name((verdict_kind)k), out_c(C_NONE), a->counts[k]);
}

static const char *cert_name(const au_cert *c)
{
	return c->cert->guardian ? c->cert->guardian : c->cert->subject;
}

static void text_expiring(FILE *o, const audit_result *a)
{
	fprintf(o, "\nExpired or expiring certificates, by date (%zu):\n", a->nexpiring);
	if (!a->nexpiring)
		return;
	table t;
	table_init(&t, 8);
	static const char *const head[] = { "NOT AFTER", "DAYS", "STATUS", "ROLE",
					    "GUARDIAN/SUBJECT", "HOST", "THUMBPRINT", "VMS" };
	static const size_t caps[] = { 0, 0, 0, 0, NAME_COL_MAX, NAME_COL_MAX, 0, 0 };
	table_row(&t, head, NULL, NULL);
	for (size_t i = 0; i < a->nexpiring; i++) {
		const au_cert *c = &a->certs[a->expiring[i]];
		char days[24], nvm[24];
		snprintf(days, sizeof days, "%ld", c->days_left);
		snprintf(nvm, sizeof nvm, "%zu", c->nvms);
		const char *cells[] = { c->cert->not_after_iso, days, cert_status(c), c->role,
					cert_name(c), c->cert->host, c->cert->thumbprint, nvm };
		out_colour col[8] = { C_NONE, C_NONE, status_colour(c) };
		table_row(&t, cells, caps, col);
	}
	table_print(o, &t, "  ");
}

static void text_pfx_failed(FILE *o, const evidence *e, const audit_result *a)
{
	fprintf(o, "\nPFX files that could not be opened (%zu):\n", a->npfx_failed);
	for (size_t i = 0; i < a->npfx_failed; i++) {
		const ev_file *f = &e->files[a->pfx_failed[i]];
		char *p = cert_report_escape(f->path), *m = cert_report_escape(f->error);
		fprintf(o, "  %s\n      %s: %s\n", p, hv_err_name(f->status), m);
		free(p);
		free(m);
	}
}

static void text_unneeded(FILE *o, const evidence *e, const audit_result *a)
{
	fprintf(o, "\nCertificates held that no VM needs (%zu):\n", a->nunneeded);
	if (!a->nunneeded)
		return;
	table t;
	table_init(&t, 5);
	static const char *const head[] = { "THUMBPRINT", "NOT AFTER", "SUBJECT", "KEY",
					    "FIRST FILE" };
	static const size_t caps[] = { 0, 0, NAME_COL_MAX, 0, PATH_COL_MAX };
	table_row(&t, head, NULL, NULL);
	for (size_t i = 0; i < a->nunneeded; i++) {
		const au_cert *c = &a->certs[a->unneeded[i]];
		size_t f = c->nwith ? c->with_key[0] : c->without_key[0];
		const char *cells[] = { c->cert->thumbprint, c->cert->not_after_iso,
					c->cert->subject, c->nwith ? "yes" : "no",
					e->files[f].path };
		table_row(&t, cells, caps, NULL);
	}
	table_print(o, &t, "  ");
}

static void text_single(FILE *o, const evidence *e, const audit_result *a)
{
	fprintf(o, "\nVMs whose private key exists in one file only (%zu): keep a second copy\n",
		a->nsingle);
	if (!a->nsingle)
		return;
	table t;
	table_init(&t, 5);
	static const char *const head[] = { "VM", "ID", "ROLE", "THUMBPRINT", "ONLY COPY" };
	static const size_t caps[] = { NAME_COL_MAX, 0, 0, 0, PATH_COL_MAX };
	table_row(&t, head, NULL, NULL);
	for (size_t i = 0; i < a->nsingle; i++) {
		const au_vm *v = &a->vms[a->single[i]];
		const ev_vm *vm = &e->vms[v->vm];
		const char *cells[] = { vm->name, vm->id, v->single->role,
					v->single->cert->thumbprint,
					e->files[v->single->with_key[0]].path };
		table_row(&t, cells, caps, NULL);
	}
	table_print(o, &t, "  ");
}

static void text_file_errors(FILE *o, const evidence *e)
{
	fputc('\n', o);
	dx_evidence_text(o, e);
}

static void text_vms(FILE *o, const evidence *e, const audit_result *a)
{
	fprintf(o, "\nVMs (%zu):\n", a->nvms);
	if (!a->nvms)
		return;
	table t;
	table_init(&t, 7);
	static const char *const head[] = { "VM", "ID", "VERDICT", "FIRST NOT AFTER", "DAYS",
					    "KEY COPIES", "KEY PROTECTOR" };
	static const size_t caps[] = { NAME_COL_MAX, 0, 0, 0, 0, 0, PATH_COL_MAX };
	table_row(&t, head, NULL, NULL);
	for (size_t i = 0; i < a->nvms; i++) {
		const au_vm *v = &a->vms[i];
		const ev_vm *vm = &e->vms[v->vm];
		char date[32] = "", days[24] = "", copies[40] = "";
		if (v->first_not_after) {
			time_to_iso(v->first_not_after, date);
			snprintf(days, sizeof days, "%ld", v->days_left);
		}
		if (v->key_copies)
			snprintf(copies, sizeof copies, "%zu%s", v->key_copies,
				 v->single ? " (single)" : "");
		const char *kp = v->kp < vm->nkps ? e->files[vm->kps[v->kp].file].path : NULL;
		const char *cells[] = { vm->name, vm->id, verdict_name(v->kind), date, days,
					copies, kp };
		out_colour col[7] = { C_NONE, C_NONE, verdict_colour(v->kind) };
		table_row(&t, cells, caps, col);
	}
	table_print(o, &t, "  ");
}

static void text_certs(FILE *o, const audit_result *a)
{
	fprintf(o, "\nCertificates (%zu), by date:\n", a->ncerts);
	if (!a->ncerts)
		return;
	table t;
	table_init(&t, 10);
	static const char *const head[] = { "NOT AFTER", "DAYS", "STATUS", "ROLE",
					    "GUARDIAN/SUBJECT", "HOST", "THUMBPRINT", "VMS",
					    "WITH KEY", "CERT ONLY" };
	static const size_t caps[] = { 0, 0, 0, 0, NAME_COL_MAX, NAME_COL_MAX, 0, 0, 0, 0 };
	table_row(&t, head, NULL, NULL);
	for (size_t i = 0; i < a->ncerts; i++) {
		const au_cert *c = &a->certs[i];
		char days[24], nvm[24], nw[24], nwo[24];
		snprintf(days, sizeof days, "%ld", c->days_left);
		snprintf(nvm, sizeof nvm, "%zu", c->nvms);
		snprintf(nw, sizeof nw, "%zu", c->nwith);
		snprintf(nwo, sizeof nwo, "%zu", c->nwithout);
		const char *cells[] = { c->cert->not_after_iso, days, cert_status(c), c->role,
					cert_name(c), c->cert->host, c->cert->thumbprint, nvm, nw,
					nwo };
		out_colour col[10] = { C_NONE, C_NONE, status_colour(c), C_NONE, C_NONE, C_NONE,
				       C_NONE, C_NONE, c->nvms && !c->nwith ? C_RED : C_NONE };
		table_row(&t, cells, caps, col);
	}
	table_print(o, &t, "  ");
}

void audit_report_text(FILE *o, const evidence *e, const audit_result *a)
{
	char at[32];
	time_to_iso(a->evaluated_at, at);
	fprintf(o, "%shvtpm audit%s: %zu VM(s) in %zu evidence file(s), evaluated at %s (warn "
		   "within %d days)\n\n", out_c(C_BOLD), out_c(C_NONE), a->nvms, e->nfiles, at,
		a->warn_days);
	text_verdicts(o, a);
	fprintf(o, "\nCertificates: %zu distinct\n", a->ncerts);
	text_expiring(o, a);
	text_pfx_failed(o, e, a);
	text_unneeded(o, e, a);
	text_single(o, e, a);
	text_file_errors(o, e);
	text_vms(o, e, a);
	text_certs(o, a);
	fputs("\n(Reasons, plans and the SHA-256 of every file: --format json)\n", o);
}
