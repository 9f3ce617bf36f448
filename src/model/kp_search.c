/* kp_search.c - key protectors in saved files, tree values, embedded repositories, carved. */
#include "model/kp_search.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "formats/hvstore.h"
#include "formats/kp.h"
#include "formats/kp_carve.h"
#include "formats/kp_input.h"
#include "model/vm.h"
#include "util/fileio.h"
#include "util/strbuf.h"
#include "util/xalloc.h"

kps_name_role kps_role_of_name(const char *name)
{
	if (!name)
		return KPS_NAME_OTHER;
	if (strcasecmp(name, "key_protector") == 0 || strcasecmp(name, "KeyProtector") == 0)
		return KPS_NAME_CURRENT;
	if (strcasecmp(name, "lkg_key_protector") == 0 ||
	    strcasecmp(name, "LastKnownGoodKeyProtector") == 0)
		return KPS_NAME_LKG;
	return KPS_NAME_OTHER;
}

/* ---- one blob ------------------------------------------------------------------------ */

static void kp_doc_release(void *p)
{
	kp_free(p);
	free(p);
}

static void fill_wrappings(ev_kp *kp, kp_doc *d, bool keep)
{
	kp->doc = d;
	kp->doc_free = kp_doc_release;
	kp->w = xcalloc(d->n ? d->n : 1, sizeof *kp->w);
	kp->nw = d->n;
	for (size_t i = 0; i < d->n; i++) {
		kp_wrapping *w = &d->w[i];
		kp->w[i].id = w->id;
		kp->w[i].parent_id = w->parent_id;
		kp->w[i].has_parent = w->has_parent;
		kp->w[i].is_owner = w->is_owner;
		kp->w[i].enc = w->encryption.der ? &w->encryption : NULL;
		kp->w[i].sig = w->signing.der ? &w->signing : NULL;
		if (!keep) { /* the verdict and the reports read the facts and the DER only */
			cert_drop_parsed(&w->encryption);
			cert_drop_parsed(&w->signing);
		}
	}
	if (d->owner >= 0) {
		kp->has_owner = true;
		kp->owner_id = d->w[d->owner].id;
	}
	kp->max_offline_unwraps = d->max_offline_unwraps;
	kp->has_max_offline_unwraps = d->has_max_offline_unwraps;
}

static hv_err decode_payload(const kp_input *in, const char *src, uint64_t base, bool keep,
			     ev_kp *kp, hv_findings *f)
{
	uint8_t dig[32];
	hv_sha256(in->payload, in->len, dig);
	hv_sha256_hex(dig, kp->sha256);
	kp_doc *d = xcalloc(1, sizeof *d);
	uint64_t off = in->payload_offset == HV_NO_OFFSET || base == HV_NO_OFFSET
		       ? HV_NO_OFFSET : base + in->payload_offset;
	hv_err rc = kp_decode(span_make(in->payload, in->len), src, off, d, f);
	if (rc != HV_OK) {
		kp_doc_release(d);
		return rc;
	}
	fill_wrappings(kp, d, keep);
	return HV_OK;
}

hv_err kps_probe(span_t bytes, const char *src, uint64_t base, bool keep, ev_kp *kp,
		 kp_input **input, hv_findings *f)
{
	memset(kp, 0, sizeof *kp);
	if (input)
		*input = NULL;
	hv_findings tmp = { 0 };
	kp_input in;
	hv_err rc = kp_input_normalize(bytes, src, &in, &tmp);
	if (rc == HV_OK) {
		kp->form = xstrdup(in.description ? in.description : kp_form_name(in.layers[0].form));
		kp->empty = in.empty;
		if (!in.empty)
			rc = decode_payload(&in, src, base, keep, kp, &tmp);
		if (rc == HV_OK && input && keep) {
			*input = xmalloc(sizeof **input);
			**input = in;
		} else {
			kp_input_free(&in);
		}
	}
	if (rc == HV_ERR_FORMAT) {
		findings_free(&tmp);
		free(kp->form);
		kp->form = NULL;
		return rc;
	}
	findings_move(f, &tmp);
	if (rc != HV_OK) {
		free(kp->form);
		kp->form = NULL;
	}
	return rc;
}

/* ---- configuration trees --------------------------------------------------------------- */

typedef struct {
	uint64_t base;
	const char *container;
	bool keep;
	file_facts *out;
} tree_walk;

static char *tree_location(const tree_walk *t, const kv_node *n)
{
	strbuf sb = STRBUF_INIT;
	if (t->container)
		sb_addf(&sb, "%s, ", t->container);
	char *p = kv_path_of(n);
	sb_addf(&sb, "tree %s", p);
	free(p);
	if (n->offset != HV_NO_OFFSET)
		sb_addf(&sb, " (entry at 0x%llX)", (unsigned long long)t->base + (unsigned long long)n->offset);
	return sb_detach(&sb);
}

/* True when one of the first n protectors of x has this payload SHA-256. */
static bool seen_before(const file_facts *x, size_t n, const char *sha256)
{
	for (size_t i = 0; i < n && i < x->nkps; i++)
		if (x->kps[i].rc == HV_OK && strcmp(x->kps[i].kp.sha256, sha256) == 0)
			return true;
	return false;
}

bool kps_try_value(const kps_value *v, bool keep, file_facts *x)
{
	if (!v->bytes.data || (v->role == KPS_NAME_OTHER && v->bytes.len < KPS_MIN_UNNAMED))
		return false;
	if (x->nkps >= KPS_MAX_HITS)
		return false;
	ev_kp kp;
	kp_input *in = NULL;
	hv_findings tmp = { 0 };
	hv_err rc = kps_probe(v->bytes, x->path, v->offset, keep, &kp, keep ? &in : NULL, &tmp);
	if (rc == HV_ERR_FORMAT)
		return false;
	if (rc != HV_OK && v->role == KPS_NAME_OTHER) {
		/* Something under another name that starts like a protector: a warning only. */
		for (size_t i = 0; i < tmp.n; i++)
			if (tmp.v[i].sev == HV_SEV_ERROR)
				tmp.v[i].sev = HV_SEV_WARN;
		findings_move(&x->findings, &tmp);
		return false;
	}
	if (v->seen && rc == HV_OK && seen_before(x, v->seen, kp.sha256)) {
		findings_free(&tmp);
		ev_kp_release(&kp);
		if (in) {
			kp_input_free(in);
			free(in);
		}
		return false;
	}
	findings_move(&x->findings, &tmp);
	kp.location = xstrdup(v->location);
	kp.origin = v->older ? KP_OLDER : v->role == KPS_NAME_CURRENT ? KP_CURRENT
				 : v->role == KPS_NAME_LKG ? KP_LKG : KP_FOUND;
	kp.heuristic = v->heuristic || v->role == KPS_NAME_OTHER;
	fact_kp *fk = facts_add_kp(x, &kp);
	fk->input = in;
	fk->rc = rc;
	return true;
}

static void try_value(tree_walk *t, const kv_node *n)
{
	char *where = tree_location(t, n);
	kps_value v = {
		.bytes = n->type == KV_BYTES ? span_make(n->bytes, n->nbytes)
					     : span_make(n->str, n->str ? strlen(n->str) : 0),
		.role = kps_role_of_name(n->name),
		.offset = n->offset == HV_NO_OFFSET ? HV_NO_OFFSET : t->base + n->offset,
		.location = where,
		.heuristic = t->container != NULL,
	};
	kps_try_value(&v, t->keep, t->out);
	free(where);
}

static void walk_tree(tree_walk *t, const kv_node *n)
{
	if (n->type == KV_BYTES || n->type == KV_STRING)
		try_value(t, n);
	for (size_t i = 0; i < n->nkids; i++)
		walk_tree(t, n->kids[i]);
}

void kps_search_tree(const kv_node *root, uint64_t base, const char *container, bool keep,
		     file_facts *out)
{
	if (!root)
		return;
	tree_walk t = { base, container, keep, out };
	walk_tree(&t, root);
}

/* ---- scanning whole files ------------------------------------------------------------- */

typedef struct {
	uint64_t start, end;
} byte_range;

typedef struct {
	hv_source *src;
	bool keep;
	file_facts *out;
	byte_range used[KPS_MAX_REPOS];
	size_t nused;
	size_t repos_seen;
} scan_ctx;

static bool inside_repository(const scan_ctx *c, uint64_t off)
{
	for (size_t i = 0; i < c->nused; i++)
		if (off >= c->used[i].start && off < c->used[i].end)
			return true;
	return false;
}

static void read_repository(scan_ctx *c, uint64_t off)
{
	file_facts *x = c->out;
	span_t all = src_span(c->src), sub;
	if (!span_sub(all, off, all.len - off, &sub))
		return;
	x->repos = xrealloc(x->repos, (x->nrepos + 1) * sizeof *x->repos);
	fact_repo *r = &x->repos[x->nrepos];
	memset(r, 0, sizeof *r);
	if (hvstore_read(sub, x->path, off, &r->store, &x->findings) != HV_OK) {
		hvstore_free(&r->store);
		return;
	}
	x->nrepos++;
	r->offset = off;
	c->used[c->nused].start = off;
	c->used[c->nused++].end = off + r->store.extent;
	r->has_vm = vm_from_tree(r->store.root, x->path, &r->vm, &x->findings) == HV_OK;
	if (r->has_vm && r->vm.id && !x->hint_id)
		x->hint_id = xstrdup(r->vm.id);
	char container[64];
	snprintf(container, sizeof container, "repository at 0x%llX", (unsigned long long)off);
	kps_search_tree(r->store.root, off, container, c->keep, x);
	if (!c->keep) { /* the model keeps what it needs; the tree goes */
		kv_free(r->store.root);
		r->store.root = NULL;
	}
}

static bool same_cert(const hv_cert *a, const hv_cert *b)
{
	if (!a || !b)
		return a == b;
	return strcmp(a->thumbprint, b->thumbprint) == 0;
}

/* True when a protector already found in this file has the same wrappings as d. */
static bool already_found(const file_facts *x, const kp_doc *d)
{
	for (size_t i = 0; i < x->nkps; i++) {
		const ev_kp *k = &x->kps[i].kp;
		if (k->nw != d->n)
			continue;
		bool same = true;
		for (size_t w = 0; w < d->n && same; w++) {
			const hv_cert *enc = d->w[w].encryption.der ? &d->w[w].encryption : NULL;
			const hv_cert *sig = d->w[w].signing.der ? &d->w[w].signing : NULL;
			same = k->w[w].id == d->w[w].id && same_cert(k->w[w].enc, enc) &&
			       same_cert(k->w[w].sig, sig);
		}
		if (same)
			return true;
	}
	return false;
}

static void take_hit(scan_ctx *c, kp_carve_hit *h, uint64_t at)
{
	file_facts *x = c->out;
	ev_kp kp;
	memset(&kp, 0, sizeof kp);
	kp_doc *d = xmalloc(sizeof *d);
	*d = h->doc; /* the decoded document moves out of the carve result */
	memset(&h->doc, 0, sizeof h->doc);
	h->result = HV_ERR_FORMAT;
	uint8_t dig[32];
	hv_sha256(src_span(c->src).data + at, (size_t)h->length, dig);
	hv_sha256_hex(dig, kp.sha256);
	fill_wrappings(&kp, d, c->keep);
	kp.origin = KP_CARVED;
	kp.heuristic = true;
	strbuf sb = STRBUF_INIT;
	sb_addf(&sb, "carved at offset 0x%llX", (unsigned long long)at);
	kp.location = sb_detach(&sb);
	sb_addf(&sb, "XML (%s%s%s)", kp_carve_enc_name(h->enc), h->bom ? ", BOM" : "",
		h->length_prefix ? ", OctetString length prefix" : "");
	kp.form = sb_detach(&sb);
	facts_add_kp(x, &kp)->rc = HV_OK;
	x->carve_hits++;
}

static void carve_window(scan_ctx *c, span_t win, uint64_t off, size_t body)
{
	file_facts *x = c->out;
	kp_carve_result r;
	hv_findings tmp = { 0 };
	if (kp_carve(win, x->path, &r, &tmp) != HV_OK) {
		kp_carve_free(&r);
		findings_free(&tmp);
		return;
	}
	for (size_t i = 0; i < tmp.n; i++)
		if (tmp.v[i].offset != HV_NO_OFFSET)
			tmp.v[i].offset += off;
	findings_move(&x->findings, &tmp);
	for (size_t i = 0; i < r.n; i++) {
		kp_carve_hit *h = &r.v[i];
		if (h->offset >= body)
			continue; /* starts in the look-ahead: the next window takes it */
		x->carve_candidates++;
		uint64_t at = off + h->offset;
		if (h->result != HV_OK || inside_repository(c, at) || already_found(x, &h->doc) ||
		    x->nkps >= KPS_MAX_HITS)
			continue;
		take_hit(c, h, at);
	}
	kp_carve_free(&r);
}

static bool scan_window(void *ctx, span_t win, uint64_t off, size_t body)
{
	scan_ctx *c = ctx;
	uint64_t offs[KPS_MAX_REPOS];
	size_t n = hvstore_scan(win, offs, KPS_MAX_REPOS);
	if (n > KPS_MAX_REPOS)
		n = KPS_MAX_REPOS;
	for (size_t i = 0; i < n; i++) {
		if (offs[i] >= body || inside_repository(c, off + offs[i]))
			continue;
		if (c->repos_seen++ >= KPS_MAX_REPOS) {
			findings_add(&c->out->findings, HV_SEV_WARN, c->out->path, off + offs[i],
				     "more than %d embedded HyperVStorage repositories: the rest are "
				     "not read", KPS_MAX_REPOS);
			break;
		}
		read_repository(c, off + offs[i]);
	}
	carve_window(c, win, off, body);
	return true;
}

void kps_scan_source(hv_source *s, bool keep, file_facts *out)
{
	scan_ctx c;
	memset(&c, 0, sizeof c);
	c.src = s;
	c.keep = keep;
	c.out = out;
	src_stream(s, KP_CARVE_MAX_DOC, scan_window, &c, &out->findings);
}
