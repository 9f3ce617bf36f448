/*
 * collect.c - recognise evidence by content, read it, and group it per VM.
 *
 * Recognition order (first match wins): HyperVStorage, legacy XML config,
 * PKCS#12, certificate files, guardian metadata, a saved key protector in
 * any form, VHDX/VHD disks; anything else is searched for embedded
 * HyperVStorage repositories and carved for key protector documents (the
 * guest state file case; results labelled heuristic).
 */
#include "model/collect.h"

#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <json-c/json.h>

#include "formats/certfile.h"
#include "formats/guardian.h"
#include "formats/hvstore.h"
#include "formats/kp.h"
#include "formats/kp_carve.h"
#include "formats/kp_input.h"
#include "formats/pfx.h"
#include "formats/vdisk.h"
#include "formats/vmxml.h"
#include "analysis/survive.h"
#include "report/disk_report.h"
#include "model/archive.h"
#include "model/hostreg.h"
#include "model/vm.h"
#include "model/walk.h"
#include "util/fileio.h"
#include "util/strbuf.h"
#include "util/text.h"
#include "util/xalloc.h"

#define SCAN_MAX_REPOS 64   /* embedded repositories read per file */
#define CARVE_MAX_HITS 64   /* carved key protectors per file */

/* A key protector found outside a VM configuration, tied to a VM at the end. */
typedef struct {
	ev_kp kp;
	char *hint_id;      /* VM id from the file name or an embedded tree */
	char *hint_name;    /* file base name without extension */
} loose_kp;

/* A configuration read, kept until finish ties everything together. */
typedef struct {
	size_t file;
	vm_model *vm;
	char *root;
} config_rec;

/*
 * String -> index map (open addressing, FNV-1a): keeps path and VM lookups
 * constant-time so that the collector stays linear in the size of the tree.
 */
typedef struct {
	char *key;
	size_t val;
} map_slot;

typedef struct {
	map_slot *v;
	size_t cap, n;      /* cap is 0 or a power of two */
} str_map;

#define MAP_MIN_CAP 1024

static uint64_t str_hash(const char *s)
{
	uint64_t h = 1469598103934665603ull;
	for (; *s; s++) {
		h ^= (unsigned char)*s;
		h *= 1099511628211ull;
	}
	return h;
}

static map_slot *map_slot_for(const str_map *m, const char *key)
{
	size_t mask = m->cap - 1;
	size_t i = (size_t)str_hash(key) & mask;
	while (m->v[i].key && strcmp(m->v[i].key, key) != 0)
		i = (i + 1) & mask;
	return &m->v[i];
}

static size_t map_get(const str_map *m, const char *key)
{
	if (!m->cap)
		return SIZE_MAX;
	const map_slot *s = map_slot_for(m, key);
	return s->key ? s->val : SIZE_MAX;
}

/* Takes key; a key already present keeps its first value. */
static void map_put(str_map *m, char *key, size_t val)
{
	if ((m->n + 1) * 2 > m->cap) {
		str_map g = { xcalloc(m->cap ? m->cap * 2 : MAP_MIN_CAP, sizeof *g.v), 0, 0 };
		g.cap = m->cap ? m->cap * 2 : MAP_MIN_CAP;
		for (size_t i = 0; i < m->cap; i++)
			if (m->v[i].key)
				*map_slot_for(&g, m->v[i].key) = m->v[i];
		g.n = m->n;
		free(m->v);
		*m = g;
	}
	map_slot *s = map_slot_for(m, key);
	if (s->key) {
		free(key);
		return;
	}
	s->key = key;
	s->val = val;
	m->n++;
}

static void map_free(str_map *m)
{
	for (size_t i = 0; i < m->cap; i++)
		free(m->v[i].key);
	free(m->v);
	memset(m, 0, sizeof *m);
}

typedef struct pfx_pool pfx_pool;

/* A PFX opened once, by content hash. */
typedef struct {
	char sha256[65];
	size_t file;        /* the first copy */
} pfx_seen;

struct collector {
	evidence *e;
	collect_opts o;
	const char *root;   /* the path the user gave that this file was found under */
	loose_kp *loose;
	size_t nloose, caploose;
	config_rec *configs;
	size_t nconfigs, capconfigs;
	pfx_seen *pfx;
	size_t npfx, cappfx;
	str_map paths;      /* evidence paths as recorded -> first file index */
	str_map normal;     /* the same, lexically normalised (find_file) */
	size_t indexed;     /* files entered in both maps */
	str_map vm_ids;     /* canonical VM id -> index into evidence.vms */
	size_t vms_mapped;  /* VMs entered in vm_ids */
	pfx_pool *pool;     /* PFX files being opened on other threads, or NULL */
};

collector *collector_new(evidence *e, const collect_opts *o)
{
	collector *c = xcalloc(1, sizeof *c);
	c->e = e;
	c->o = *o;
	if (!c->o.whole_cap)
		c->o.whole_cap = COLLECT_WHOLE_CAP;
	return c;
}

/* ---- small helpers ------------------------------------------------------------------- */

static void set_what(evidence *e, size_t f, ev_kind k, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static void set_what(evidence *e, size_t f, ev_kind k, const char *fmt, ...)
{
	strbuf sb = STRBUF_INIT;
	va_list ap;
	va_start(ap, fmt);
	sb_vaddf(&sb, fmt, ap);
	va_end(ap);
	free(e->files[f].what);
	e->files[f].what = sb_detach(&sb);
	e->files[f].kind = k;
}

/* File base name without directory and extension. */
static char *stem(const char *path)
{
	const char *b = strrchr(path, '/');
	b = b ? b + 1 : path;
	const char *bang = strrchr(b, '!');
	if (bang)
		b = bang + 1;
	const char *dot = strrchr(b, '.');
	return xstrndup(b, dot && dot != b ? (size_t)(dot - b) : strlen(b));
}

static void kp_doc_release(void *p)
{
	kp_free(p);
	free(p);
}

static void fill_wrappings(ev_kp *kp, kp_doc *d)
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
		kp->w[i].enc = w->encryption.x509 ? &w->encryption : NULL;
		kp->w[i].sig = w->signing.x509 ? &w->signing : NULL;
		/* The verdict and the reports read the facts and the DER only. */
		cert_drop_parsed(&w->encryption);
		cert_drop_parsed(&w->signing);
	}
	if (d->owner >= 0) {
		kp->has_owner = true;
		kp->owner_id = d->w[d->owner].id;
	}
	kp->max_offline_unwraps = d->max_offline_unwraps;
}

static void vm_model_release(void *p)
{
	vm_free(p);
	free(p);
}

/* ---- key protectors ------------------------------------------------------------------ */

/*
 * Normalises and decodes a KP blob into kp.  HV_ERR_FORMAT: the bytes are no
 * key protector at all; another error: a damaged one (findings say why).
 */
static hv_err kp_from_bytes(span_t bytes, const char *src, uint64_t base, ev_kp *kp,
			    hv_findings *f)
{
	kp_input in;
	hv_err rc = kp_input_normalize(bytes, src, &in, f);
	if (rc != HV_OK)
		return rc;
	kp->form = xstrdup(in.description ? in.description : kp_form_name(in.layers[0].form));
	if (in.empty) {
		kp->empty = true;
		kp_input_free(&in);
		return HV_OK;
	}
	uint8_t dig[32];
	hv_sha256(in.payload, in.len, dig);
	hv_sha256_hex(dig, kp->sha256);
	kp_doc *d = xcalloc(1, sizeof *d);
	uint64_t off = in.payload_offset == HV_NO_OFFSET ? HV_NO_OFFSET : base + in.payload_offset;
	rc = kp_decode(span_make(in.payload, in.len), src, off, d, f);
	kp_input_free(&in);
	if (rc != HV_OK) {
		kp_doc_release(d);
		free(kp->form);
		kp->form = NULL;
		return rc;
	}
	fill_wrappings(kp, d);
	return HV_OK;
}

/* *kp moves into the list (its members are owned there): not const. */
/* cppcheck-suppress constParameter */
static void add_loose(collector *c, ev_kp *kp, const char *hint_id, const char *path)
{
	c->loose = xgrow(c->loose, &c->caploose, c->nloose + 1, sizeof *c->loose);
	loose_kp *l = &c->loose[c->nloose++];
	l->kp = *kp;
	l->hint_id = hint_id ? xstrdup(hint_id) : NULL;
	l->hint_name = stem(path);
}

/* The KP blobs a configuration tree carries under security/keys. */
static size_t tree_kps(collector *c, size_t file, const vm_model *vm, ev_vm *dest,
		       const char *hint_id, uint64_t base, const char *container)
{
	size_t found = 0;
	const char *path = c->e->files[file].path;
	for (size_t i = 0; i < vm->nkeys; i++) {
		const vm_key_blob *b = &vm->keys[i];
		kp_origin origin;
		if (strcmp(b->name, "key_protector") == 0)
			origin = KP_CURRENT;
		else if (strcmp(b->name, "lkg_key_protector") == 0)
			origin = KP_LKG;
		else
			continue;
		ev_kp kp;
		memset(&kp, 0, sizeof kp);
		if (kp_from_bytes(span_make(b->data, b->len), path, b->offset, &kp,
				  &c->e->findings) != HV_OK)
			continue;
		kp.file = file;
		kp.origin = origin;
		strbuf sb = STRBUF_INIT;
		if (container)
			sb_addf(&sb, "%s, ", container);
		sb_addf(&sb, "tree %s", b->kv_path);
		if (b->offset != HV_NO_OFFSET)
			sb_addf(&sb, " (entry at 0x%llX)", (unsigned long long)base + b->offset);
		kp.location = sb_detach(&sb);
		kp.heuristic = container != NULL;
		if (dest) {
			ev_kp *slot = evidence_vm_add_kp(dest);
			*slot = kp;
		} else {
			add_loose(c, &kp, hint_id, path);
		}
		found++;
	}
	return found;
}

/* ---- per format ---------------------------------------------------------------------- */

static void on_vm_tree(collector *c, size_t file, kv_node *root, const char *fmtname)
{
	evidence *e = c->e;
	const char *path = e->files[file].path;
	if (hostreg_is(root)) {
		hostreg h;
		hostreg_from_tree(root, path, &h, &e->findings);
		set_what(e, file, EV_HOST_REGISTRY, "Hyper-V host VM registry (%s), %zu registered VM(s)",
			 fmtname, h.nvms);
		hostreg_free(&h);
		return;
	}
	vm_model *vm = xcalloc(1, sizeof *vm);
	if (vm_from_tree(root, path, vm, &e->findings) != HV_OK) {
		evidence_fail(e, file, HV_ERR_FORMAT, "%s tree without a VM configuration root", fmtname);
		vm_free(vm);
		free(vm);
		return;
	}
	if (vm->kind == VM_KIND_RUNTIME_STATE || !vm->id) {
		char *s = stem(path);
		char *id = guid_canonical(s);
		set_what(e, file, EV_RUNTIME_STATE, "Hyper-V runtime state (%s)", fmtname);
		tree_kps(c, file, vm, NULL, id, 0, NULL);
		free(id);
		free(s);
		vm_free(vm);
		free(vm);
		return;
	}
	set_what(e, file, EV_VM_CONFIG, "Hyper-V VM configuration (%s), version %u.%u", fmtname,
		 vm->version_major, vm->version_minor);
	c->configs = xgrow(c->configs, &c->capconfigs, c->nconfigs + 1, sizeof *c->configs);
	config_rec *r = &c->configs[c->nconfigs++];
	r->file = file;
	r->vm = vm;
	r->root = c->root ? xstrdup(c->root) : NULL;
}

static void on_hvstore(collector *c, size_t file, span_t s)
{
	evidence *e = c->e;
	hvstore h;
	hv_err rc = hvstore_read(s, e->files[file].path, 0, &h, &e->findings);
	if (rc != HV_OK) {
		evidence_fail(e, file, rc, "HyperVStorage file could not be read: %s", hv_err_name(rc));
		hvstore_free(&h);
		return;
	}
	on_vm_tree(c, file, h.root, h.dirty ? "HyperVStorage, dirty log replayed in memory"
					    : "HyperVStorage");
	if (h.dirty)
		findings_add(&e->findings, HV_SEV_NOTE, e->files[file].path, HV_NO_OFFSET,
			     "replay log had %u pending entries: %u applied to an in-memory view, %u "
			     "skipped; the file was not changed",
			     h.log_pending, h.log_replayed, h.log_skipped);
	hvstore_free(&h);
}

static void on_vmxml(collector *c, size_t file, span_t s)
{
	evidence *e = c->e;
	kv_node *root = NULL;
	hv_err rc = vmxml_read(s, e->files[file].path, &root, &e->findings);
	if (rc != HV_OK) {
		evidence_fail(e, file, rc, "legacy XML configuration could not be read: %s",
			      hv_err_name(rc));
		return;
	}
	on_vm_tree(c, file, root, "legacy XML");
	kv_free(root);
}

static const pfx_seen *pfx_cached(const collector *c, const char *sha)
{
	for (size_t i = 0; i < c->npfx; i++)
		if (strcmp(c->pfx[i].sha256, sha) == 0)
			return &c->pfx[i];
	return NULL;
}

/* A byte-identical copy of a PFX already opened: same result, no new key derivation. */
static void pfx_copy_of(collector *c, size_t file, const pfx_seen *seen)
{
	evidence *e = c->e;
	const ev_file *first = &e->files[seen->file];
	set_what(e, file, EV_PFX, "%s (identical to %s, opened once)", first->what ? first->what : "PFX",
		 first->path);
	if (first->status != HV_OK) {
		evidence_fail(e, file, first->status, "%s", first->error ? first->error : "");
		e->files[file].input_error = first->input_error;
	}
	size_t n = e->nholdings;
	for (size_t i = 0; i < n; i++) {
		if (e->holdings[i].file != seen->file)
			continue;
		hv_cert copy;
		const hv_cert *src = &e->holdings[i].cert;
		if (cert_from_der(src->der, src->der_len, &copy, NULL, HV_NO_OFFSET, NULL) == HV_OK)
			evidence_add_holding(e, file, &copy, e->holdings[i].has_private_key,
					     e->holdings[i].detail);
	}
}

/* What pfx_open() found, entered in the evidence (p and tmp are consumed). */
static void pfx_record(collector *c, size_t file, hv_err rc, pfx_file *pp, hv_findings *ft)
{
	evidence *e = c->e;
	pfx_file p = *pp;
	hv_findings tmp = *ft;
	memset(ft, 0, sizeof *ft);
	/* Weak PBE/MAC parameters are a fact about the export, not a problem with the
	 * evidence: kept as notes (hvtpm inspect shows them in full). */
	for (size_t i = 0; i < tmp.n; i++)
		if (tmp.v[i].sev == HV_SEV_WARN && strncmp(tmp.v[i].msg, "weak protection", 15) == 0)
			tmp.v[i].sev = HV_SEV_NOTE;
	findings_move(&e->findings, &tmp);
	if (rc != HV_OK) {
		set_what(e, file, EV_PFX, "PFX (PKCS#12) that could not be opened");
		evidence_fail(e, file, rc, "%s", p.reason ? p.reason : hv_err_name(rc));
		/* A locked PFX is not corrupt evidence: it decides needs-password. */
		e->files[file].input_error = rc == HV_ERR_CORRUPT || rc == HV_ERR_IO;
	} else {
		set_what(e, file, EV_PFX, "PFX (PKCS#12), %zu certificate(s), %zu key(s), opened with %s",
			 p.ncerts, p.nkeys, p.opened_by_label ? p.opened_by_label : "no password");
	}
	for (size_t i = 0; i < p.ncerts; i++) {
		hv_cert copy;
		const hv_cert *src = &p.certs[i].cert;
		if (cert_from_der(src->der, src->der_len, &copy, NULL, HV_NO_OFFSET, NULL) != HV_OK)
			continue;
		strbuf d = STRBUF_INIT;
		sb_addf(&d, "opened with %s", p.opened_by_label ? p.opened_by_label : "no password");
		evidence_add_holding(e, file, &copy, p.certs[i].has_private_key, sb_str(&d));
		sb_free(&d);
	}
	pfx_free(&p);
	memset(pp, 0, sizeof *pp);
}

/* ---- PFX files opened on worker threads (collect_opts.pfx_threads) ------------------- */

/*
 * Opening a PFX (key derivation, key checks) costs milliseconds of CPU and
 * needs nothing but its bytes and the passwords, so with pfx_threads set
 * it runs on worker threads while the walk goes on.  Results are entered
 * in the evidence at collector_finish(), in the order the files were
 * found, whatever the number of threads: the output does not depend on it.
 */
typedef struct {
	size_t file;
	size_t copy_of;      /* SIZE_MAX: to open; else a byte-identical copy of that file */
	uint8_t *data;
	size_t len;
	char *path;
	hv_err rc;
	pfx_file p;
	hv_findings f;
} pfx_job;

struct pfx_pool {
	pthread_mutex_t mu;
	pthread_cond_t cv;
	pfx_job **jobs;      /* in file order; pointers stay valid while the array grows */
	size_t n, cap;
	size_t next;         /* first job no thread has taken */
	bool closing;
	pthread_t *threads;
	size_t nthreads;
	const hv_passwords *pw;
};

static void pfx_job_run(pfx_job *j, const hv_passwords *pw)
{
	j->rc = pfx_open(span_make(j->data, j->len), j->path, pw, &j->p, &j->f);
	free(j->data);
	j->data = NULL;
}

/* Takes and runs jobs; returns once the pool is closing and none is left. */
static void *pfx_worker(void *arg)
{
	pfx_pool *q = arg;
	pthread_mutex_lock(&q->mu);
	for (;;) {
		while (q->next == q->n && !q->closing)
			pthread_cond_wait(&q->cv, &q->mu);
		if (q->next == q->n)
			break;
		pfx_job *j = q->jobs[q->next++];
		if (j->copy_of != SIZE_MAX)
			continue;
		pthread_mutex_unlock(&q->mu);
		pfx_job_run(j, q->pw);
		pthread_mutex_lock(&q->mu);
	}
	pthread_mutex_unlock(&q->mu);
	return NULL;
}

static pfx_pool *pfx_pool_new(const hv_passwords *pw, unsigned threads)
{
	pfx_pool *q = xcalloc(1, sizeof *q);
	pthread_mutex_init(&q->mu, NULL);
	pthread_cond_init(&q->cv, NULL);
	q->pw = pw;
	q->threads = xcalloc(threads, sizeof *q->threads);
	for (unsigned i = 0; i < threads; i++)
		if (pthread_create(&q->threads[q->nthreads], NULL, pfx_worker, q) == 0)
			q->nthreads++;
	return q; /* no thread at all still works: the jobs run in pfx_pool_finish */
}

static void pfx_pool_add(pfx_pool *q, pfx_job *j)
{
	pthread_mutex_lock(&q->mu);
	q->jobs = xgrow(q->jobs, &q->cap, q->n + 1, sizeof *q->jobs);
	q->jobs[q->n++] = j;
	pthread_cond_signal(&q->cv);
	pthread_mutex_unlock(&q->mu);
}

static void on_pfx_deferred(collector *c, size_t file, span_t s, const pfx_seen *seen)
{
	if (!c->pool)
		c->pool = pfx_pool_new(c->o.pw, c->o.pfx_threads);
	pfx_job *j = xcalloc(1, sizeof *j);
	j->file = file;
	j->copy_of = seen ? seen->file : SIZE_MAX;
	if (!seen) {
		j->data = xmemdup(s.data, s.len);
		j->len = s.len;
		j->path = xstrdup(c->e->files[file].path);
	}
	set_what(c->e, file, EV_PFX, "PFX (PKCS#12)");
	pfx_pool_add(c->pool, j);
}

/* Helps with what is left, waits for the threads, and enters every result in order. */
static void pfx_pool_finish(collector *c)
{
	pfx_pool *q = c->pool;
	if (!q)
		return;
	pthread_mutex_lock(&q->mu);
	q->closing = true;
	pthread_cond_broadcast(&q->cv);
	pthread_mutex_unlock(&q->mu);
	pfx_worker(q);
	for (size_t i = 0; i < q->nthreads; i++)
		pthread_join(q->threads[i], NULL);
	for (size_t i = 0; i < q->n; i++) {
		pfx_job *j = q->jobs[i];
		if (j->copy_of != SIZE_MAX) {
			pfx_seen seen = { "", j->copy_of };
			pfx_copy_of(c, j->file, &seen);
		} else {
			pfx_record(c, j->file, j->rc, &j->p, &j->f);
		}
		free(j->path);
		free(j);
	}
	pthread_mutex_destroy(&q->mu);
	pthread_cond_destroy(&q->cv);
	free(q->jobs);
	free(q->threads);
	free(q);
	c->pool = NULL;
}

static void on_pfx(collector *c, size_t file, span_t s)
{
	evidence *e = c->e;
	const pfx_seen *seen = pfx_cached(c, e->files[file].sha256);
	if (seen && !c->o.pfx_threads) {
		pfx_copy_of(c, file, seen);
		return;
	}
	if (!seen) {
		c->pfx = xgrow(c->pfx, &c->cappfx, c->npfx + 1, sizeof *c->pfx);
		memcpy(c->pfx[c->npfx].sha256, e->files[file].sha256, 65);
		c->pfx[c->npfx++].file = file;
	}
	if (c->o.pfx_threads) {
		on_pfx_deferred(c, file, s, seen);
		return;
	}
	pfx_file p;
	hv_findings tmp = { 0 };
	hv_err rc = pfx_open(s, e->files[file].path, c->o.pw, &p, &tmp);
	pfx_record(c, file, rc, &p, &tmp);
}

static bool on_certfile(collector *c, size_t file, span_t s)
{
	evidence *e = c->e;
	certfile cf;
	hv_findings quiet = { 0 };
	hv_err rc = certfile_read(s, e->files[file].path, &cf, &quiet);
	if (rc != HV_OK || cf.ncerts == 0) {
		certfile_free(&cf);
		findings_free(&quiet);
		return false;
	}
	findings_move(&e->findings, &quiet);
	set_what(e, file, EV_CERTIFICATE, "certificate file (%s), %zu certificate(s)%s",
		 certfile_kind_name(cf.kind), cf.ncerts,
		 cf.key_needs_password ? ", encrypted private key not read" : "");
	for (size_t i = 0; i < cf.ncerts; i++) {
		hv_cert copy;
		const hv_cert *src = &cf.certs[i].cert;
		if (cert_from_der(src->der, src->der_len, &copy, NULL, HV_NO_OFFSET, NULL) == HV_OK)
			evidence_add_holding(e, file, &copy, cf.certs[i].has_private_key,
					     cf.certs[i].has_private_key ? "key in the same file"
									 : "certificate only");
	}
	certfile_free(&cf);
	return true;
}

static bool on_kp_file(collector *c, size_t file, span_t s)
{
	evidence *e = c->e;
	ev_kp kp;
	memset(&kp, 0, sizeof kp);
	hv_findings quiet = { 0 };
	hv_err rc = kp_from_bytes(s, e->files[file].path, 0, &kp, &quiet);
	if (rc != HV_OK) {
		/* HV_ERR_FORMAT is "not a KP"; anything else a damaged one. */
		if (rc == HV_ERR_FORMAT) {
			findings_free(&quiet);
			return false;
		}
		findings_move(&e->findings, &quiet);
		evidence_fail(e, file, rc, "damaged saved key protector: not read, not carved");
		return true;
	}
	findings_move(&e->findings, &quiet);
	kp.file = file;
	kp.origin = KP_DUMP;
	kp.location = xstrdup("whole file");
	set_what(e, file, EV_KEY_PROTECTOR, "saved key protector (%s)%s", kp.form,
		 kp.empty ? ": empty, the VM has no key protector" : "");
	char *s2 = stem(e->files[file].path);
	char *id = guid_canonical(s2);
	add_loose(c, &kp, id, e->files[file].path);
	free(id);
	free(s2);
	return true;
}

static bool same_cert_ptr(const hv_cert *a, const hv_cert *b)
{
	if (!a || !b)
		return a == b;
	return strcmp(a->thumbprint, b->thumbprint) == 0;
}

/* True when a KP already found in this file has the same wrappings as d. */
static bool already_found(const collector *c, size_t file, const kp_doc *d)
{
	for (size_t i = 0; i < c->nloose; i++) {
		const ev_kp *k = &c->loose[i].kp;
		if (k->file != file || k->nw != d->n)
			continue;
		bool same = true;
		for (size_t w = 0; w < d->n && same; w++) {
			const hv_cert *enc = d->w[w].encryption.der ? &d->w[w].encryption : NULL;
			const hv_cert *sig = d->w[w].signing.der ? &d->w[w].signing : NULL;
			same = k->w[w].id == d->w[w].id && same_cert_ptr(k->w[w].enc, enc) &&
			       same_cert_ptr(k->w[w].sig, sig);
		}
		if (same)
			return true;
	}
	return false;
}

/*
 * Carves key protector documents out of arbitrary bytes (heuristic).  A
 * document with the same wrappings as one already read from an embedded
 * repository of the same file is that same key protector: not added twice.
 */
static size_t carve_kps(collector *c, size_t file, span_t s, uint64_t base)
{
	evidence *e = c->e;
	kp_carve_result r;
	hv_findings tmp = { 0 };
	if (kp_carve(s, e->files[file].path, &r, &tmp) != HV_OK || r.n == 0) {
		kp_carve_free(&r);
		findings_free(&tmp);
		return 0;
	}
	findings_move(&e->findings, &tmp);
	size_t found = 0;
	char *st = stem(e->files[file].path);
	char *id = guid_canonical(st);
	for (size_t i = 0; i < r.n && i < CARVE_MAX_HITS; i++) {
		kp_carve_hit *h = &r.v[i];
		if (h->result != HV_OK || already_found(c, file, &h->doc))
			continue;
		ev_kp kp;
		memset(&kp, 0, sizeof kp);
		kp_doc *d = xmalloc(sizeof *d);
		*d = h->doc; /* take the decoded document from the carve result */
		memset(&h->doc, 0, sizeof h->doc);
		h->result = HV_ERR_FORMAT;
		fill_wrappings(&kp, d);
		kp.file = file;
		kp.origin = KP_CARVED;
		kp.heuristic = true;
		strbuf sb = STRBUF_INIT;
		sb_addf(&sb, "carved at offset 0x%llX", (unsigned long long)base + h->offset);
		kp.location = sb_detach(&sb);
		sb_addf(&sb, "XML (%s%s%s)", kp_carve_enc_name(h->enc), h->bom ? ", BOM" : "",
			h->length_prefix ? ", OctetString length prefix" : "");
		kp.form = sb_detach(&sb);
		add_loose(c, &kp, id, e->files[file].path);
		found++;
	}
	free(id);
	free(st);
	kp_carve_free(&r);
	return found;
}

/* Guardian metadata (Export-HgsGuardian, HGS metadata.xml): certificates without keys. */
static bool guardian_file(collector *c, size_t file, span_t s)
{
	evidence *e = c->e;
	guardian_doc g;
	hv_findings tmp = { 0 };
	hv_err rc = guardian_decode(s, e->files[file].path, &g, &tmp);
	if (rc == HV_ERR_FORMAT) {
		findings_free(&tmp);
		return false;
	}
	findings_move(&e->findings, &tmp);
	if (rc != HV_OK) {
		/* Recognised as guardian metadata, then damaged: not carved. */
		evidence_fail(e, file, rc, "damaged guardian metadata: not read, not carved");
		guardian_free(&g);
		return true;
	}
	set_what(e, file, EV_GUARDIAN, "guardian metadata%s%s, %zu certificate(s)",
		 g.name ? " for " : "", g.name ? g.name : "", g.ncerts);
	for (size_t i = 0; i < g.ncerts; i++) {
		hv_cert copy;
		const hv_cert *src = &g.certs[i].cert;
		if (!src->der || cert_from_der(src->der, src->der_len, &copy, NULL, HV_NO_OFFSET, NULL) != HV_OK)
			continue;
		evidence_add_holding(e, file, &copy, false, "guardian metadata (public keys only)");
	}
	guardian_free(&g);
	return true;
}

/* ---- containers: embedded repositories and carving -------------------------------- */

static bool has_disk_signature(span_t s, bool *vhd)
{
	*vhd = false;
	if (span_eq(s, 0, "vhdxfile", 8))
		return true;
	if (s.len >= 512 && span_eq(s, s.len - 512, "conectix", 8)) {
		*vhd = true;
		return true;
	}
	return false;
}

/*
 * Searches an unrecognised file for HyperVStorage repositories at 4 KiB
 * boundaries (the guest state file case) and reads security/keys in each.
 */
typedef struct {
	uint64_t start, end;
} byte_range;

static size_t scan_repositories(collector *c, size_t file, span_t s, byte_range *used,
				size_t *nused)
{
	evidence *e = c->e;
	*nused = 0;
	uint64_t offs[SCAN_MAX_REPOS];
	size_t n = hvstore_scan(s, offs, SCAN_MAX_REPOS);
	size_t found = 0;
	if (n > SCAN_MAX_REPOS) {
		findings_add(&e->findings, HV_SEV_WARN, e->files[file].path, HV_NO_OFFSET,
			     "%zu embedded HyperVStorage repositories; only the first %d were read", n,
			     SCAN_MAX_REPOS);
		n = SCAN_MAX_REPOS;
	}
	for (size_t i = 0; i < n; i++) {
		span_t sub;
		if (!span_sub(s, offs[i], s.len - offs[i], &sub))
			continue;
		hvstore h;
		if (hvstore_read(sub, e->files[file].path, offs[i], &h, &e->findings) != HV_OK) {
			hvstore_free(&h);
			continue;
		}
		used[*nused].start = offs[i];
		used[(*nused)++].end = offs[i] + h.extent;
		vm_model vm;
		if (vm_from_tree(h.root, e->files[file].path, &vm, &e->findings) == HV_OK) {
			char container[64];
			snprintf(container, sizeof container, "repository at 0x%llX",
				 (unsigned long long)offs[i]);
			char *st = stem(e->files[file].path);
			char *id = vm.id ? xstrdup(vm.id) : guid_canonical(st);
			found += tree_kps(c, file, &vm, NULL, id, offs[i], container);
			free(id);
			free(st);
		}
		vm_free(&vm);
		hvstore_free(&h);
	}
	return found;
}

static void on_unrecognised(collector *c, size_t file, span_t s)
{
	evidence *e = c->e;
	bool vhd;
	bool disk = has_disk_signature(s, &vhd);
	bool vmgs3 = span_eq(s, 0, "GUESTRTS", 8);
	byte_range used[SCAN_MAX_REPOS];
	size_t nused;
	size_t kps = scan_repositories(c, file, s, used, &nused);
	/* Carve only the bytes no repository read above covers: a key protector
	 * stored inside a repository is not decoded twice. */
	uint64_t pos = 0;
	for (size_t i = 0; i <= nused; i++) {
		uint64_t end = i < nused ? used[i].start : s.len;
		span_t gap;
		if (end > pos && span_sub(s, pos, end - pos, &gap))
			kps += carve_kps(c, file, gap, pos);
		if (i < nused && used[i].end > pos)
			pos = used[i].end;
	}
	if (kps || vmgs3) {
		set_what(e, file, EV_GUEST_STATE, "%s searched for key protectors: %zu found (heuristic)",
			 vmgs3 ? "guest state file (VMGS v3)" : vhd ? "guest state or VHD container"
								  : "container",
			 kps);
		return;
	}
	if (disk) {
		set_what(e, file, EV_DISK, "%s disk image", vhd ? "VHD" : "VHDX");
		return;
	}
	set_what(e, file, EV_UNKNOWN, "not recognised (no key protector found by scanning)");
}

/* ---- dispatch ------------------------------------------------------------------------ */

static void process(collector *c, size_t file, span_t s)
{
	if (hvstore_sniff(s))
		on_hvstore(c, file, s);
	else if (vmxml_sniff(s))
		on_vmxml(c, file, s);
	else if (pfx_sniff(s))
		on_pfx(c, file, s);
	else if (guardian_file(c, file, s))
		;
	else if (certfile_sniff(s) && on_certfile(c, file, s))
		;
	else if (!on_kp_file(c, file, s))
		on_unrecognised(c, file, s);
	if (c->o.progress)
		c->o.progress(c->o.progress_ctx, c->e->files[file].path, s.len);
}

/* ---- archives (open_archives: audit) -------------------------------------------------- */

/* A disk inside an archive is not opened by path later: members are never extracted. */
static void not_a_disk_to_open(evidence *e, size_t file)
{
	ev_file *f = &e->files[file];
	f->disk_assessed = true;
	f->disk_surv = SURV_UNKNOWN;
	free(f->disk_reason);
	f->disk_reason = xstrdup("inside an archive: its metadata is not read (members are "
				 "never extracted)");
}

static void arc_member(void *ctx, const char *path, const uint8_t *data, size_t len)
{
	collector *c = ctx;
	size_t file = c->e->nfiles;
	collector_add_mem(c, path, data, len);
	not_a_disk_to_open(c->e, file);
}

static size_t arc_nested_begin(void *ctx, const char *path, const uint8_t *data, size_t len,
			       const char *format)
{
	collector *c = ctx;
	size_t file = evidence_add_file(c->e, path, NULL, len);
	uint8_t dig[32];
	hv_sha256(data, len, dig);
	hv_sha256_hex(dig, c->e->files[file].sha256);
	set_what(c->e, file, EV_ARCHIVE, "%s archive", format);
	not_a_disk_to_open(c->e, file);
	return file;
}

static void arc_done(void *ctx, size_t file, const arc_result *r)
{
	collector *c = ctx;
	set_what(c->e, file, EV_ARCHIVE, "%s archive, %llu entries, %llu members read in memory "
		 "(%llu bytes)", r->format, (unsigned long long)r->entries,
		 (unsigned long long)r->members, (unsigned long long)r->expanded);
	if (r->status != HV_OK)
		evidence_fail(c->e, file, r->status, "%s", r->reason ? r->reason : "");
}

/* A member recorded without its content (links and devices are findings only). */
static void arc_skipped_member(void *ctx, const arc_skipped *k)
{
	collector *c = ctx;
	if (k->err == HV_OK && !k->disk)
		return;
	size_t file = evidence_add_file(c->e, k->path, NULL, k->size);
	not_a_disk_to_open(c->e, file);
	if (k->disk)
		set_what(c->e, file, EV_DISK, "%s", k->reason);
	else
		set_what(c->e, file, EV_UNKNOWN, "archive member not read");
	if (k->err != HV_OK)
		evidence_fail(c->e, file, k->err, "%s", k->reason);
}

static const arc_sink *archive_sink(collector *c, arc_sink *s)
{
	s->file = arc_member;
	s->nested_begin = arc_nested_begin;
	s->nested_end = arc_done;
	s->skipped = arc_skipped_member;
	s->ctx = c;
	return s;
}

/* An archive loaded whole: false when the bytes are no archive (read them as a file). */
static bool on_archive_mem(collector *c, size_t file, span_t s)
{
	if (!c->o.open_archives || !arc_sniff(s))
		return false;
	arc_sink sink;
	arc_result r;
	if (arc_walk_mem(c->e->files[file].path, s.data, s.len, archive_sink(c, &sink), &r,
			 &c->e->findings) != HV_OK)
		return false;
	arc_done(c, file, &r);
	arc_result_free(&r);
	return true;
}

/* An archive too large to load, streamed from fd. */
static bool on_archive_fd(collector *c, size_t file, int fd)
{
	arc_sink sink;
	arc_result r;
	if (!c->o.open_archives ||
	    arc_walk_fd(c->e->files[file].path, fd, c->e->files[file].size, archive_sink(c, &sink),
			&r, &c->e->findings) != HV_OK)
		return false;
	if (r.hashed)
		memcpy(c->e->files[file].sha256, r.sha256, 65);
	arc_done(c, file, &r);
	arc_result_free(&r);
	return true;
}

/* Brings the path maps up to date with the evidence files. */
static void index_files(collector *c)
{
	const evidence *e = c->e;
	for (; c->indexed < e->nfiles; c->indexed++) {
		const char *p = e->files[c->indexed].path;
		map_put(&c->paths, xstrdup(p), c->indexed);
		map_put(&c->normal, winpath_normalize(p), c->indexed);
	}
}

static bool already_seen(collector *c, const char *path)
{
	index_files(c);
	return map_get(&c->paths, path) != SIZE_MAX;
}

/* A file too large to read whole: only a disk is expected at that size. */
static void on_large(collector *c, size_t file, const char *path)
{
	evidence *e = c->e;
	hv_findings tmp = { 0 };
	int fd = hv_open_ro(path, c->o.follow_symlinks ? 0 : HV_OPEN_NOFOLLOW, &tmp);
	findings_move(&e->findings, &tmp);
	if (fd < 0) {
		evidence_fail(e, file, HV_ERR_IO, "cannot open");
		return;
	}
	if (on_archive_fd(c, file, fd)) {
		close(fd);
		return;
	}
	uint8_t head[8], tail[8];
	bool vhdx = hv_pread_full(fd, head, 8, 0) == 8 && memcmp(head, "vhdxfile", 8) == 0;
	bool vhd = e->files[file].size >= 512 &&
		   hv_pread_full(fd, tail, 8, e->files[file].size - 512) == 8 &&
		   memcmp(tail, "conectix", 8) == 0;
	close(fd);
	if (vhdx || vhd) {
		set_what(e, file, EV_DISK, "%s disk image (not hashed whole: only metadata is read)",
			 vhdx ? "VHDX" : "VHD");
		return;
	}
	set_what(e, file, EV_UNKNOWN, "not read: over the %zu-byte cap for files read whole",
		 c->o.whole_cap);
}

static bool on_file(const char *path, const struct stat *st, const char *root, void *ctx)
{
	collector *c = ctx;
	evidence *e = c->e;
	if (already_seen(c, path))
		return true;
	c->root = root;
	size_t file = evidence_add_file(e, path, NULL, (uint64_t)st->st_size);
	if ((uint64_t)st->st_size > c->o.whole_cap) {
		on_large(c, file, path);
		return true;
	}
	hv_blob b;
	hv_err rc = hv_file_load(path, c->o.whole_cap, c->o.follow_symlinks ? 0 : HV_OPEN_NOFOLLOW,
				 &b, &e->findings);
	if (rc != HV_OK) {
		evidence_fail(e, file, rc, "cannot read the file");
		return true;
	}
	memcpy(e->files[file].sha256, b.sha256_hex, 65);
	e->files[file].size = b.len;
	if (!on_archive_mem(c, file, span_make(b.data, b.len)))
		process(c, file, span_make(b.data, b.len));
	hv_blob_free(&b);
	return true;
}

void collector_add_paths(collector *c, char *const *paths, size_t n)
{
	walk_opts wo = { c->o.follow_symlinks };
	c->e->unreadable += walk_paths(paths, n, &wo, on_file, c, &c->e->findings);
	c->root = NULL;
}

void collector_add_mem(collector *c, const char *path, const uint8_t *data, size_t len)
{
	evidence *e = c->e;
	size_t file = evidence_add_file(e, path, NULL, len);
	uint8_t dig[32];
	hv_sha256(data, len, dig);
	hv_sha256_hex(dig, e->files[file].sha256);
	process(c, file, span_make(data, len));
}

/* ---- tying evidence to VMs ----------------------------------------------------------- */

static size_t find_file(collector *c, const char *path)
{
	index_files(c);
	char *want = winpath_normalize(path);
	size_t hit = map_get(&c->normal, want);
	free(want);
	return hit;
}

/*
 * An archive member named by a resolved path: such a path never exists on
 * disk (the member was read in memory), so it is looked up in the evidence.
 */
static size_t member_file(collector *c, const winpath_candidate *w)
{
	if (!c->o.open_archives || w->exists || w->via_symlink || !strchr(w->path, '!'))
		return SIZE_MAX;
	return find_file(c, w->path);
}

/*
 * The VM entry for id through the collector's map.  A VM the map does not
 * know is either one evidence_vm() made for someone else (found by its
 * linear search) or a new one: a new entry is made by evidence_vm() in a
 * scratch set and moved over, so that 10,000 new VMs do not cost 50 million
 * GUID comparisons.  Keys: the canonical GUID, or the id as given when it is
 * no GUID (the matching rule of evidence_vm()).
 */
static ev_vm *vm_for_id(collector *c, const char *id)
{
	evidence *e = c->e;
	char *canon = guid_canonical(id);
	const char *key = canon ? canon : id;
	size_t i = map_get(&c->vm_ids, key);
	if (i >= e->nvms) {
		for (; c->vms_mapped < e->nvms; c->vms_mapped++) {
			const char *vid = e->vms[c->vms_mapped].id;
			char *k = guid_canonical(vid);
			map_put(&c->vm_ids, k ? k : xstrdup(vid), c->vms_mapped);
		}
		i = map_get(&c->vm_ids, key);
	}
	if (i >= e->nvms) {
		evidence scratch;
		evidence_init(&scratch);
		ev_vm *nv = evidence_vm(&scratch, id);
		e->vms = xgrow(e->vms, &e->capvms, e->nvms + 1, sizeof *e->vms);
		e->vms[e->nvms] = *nv;
		free(scratch.vms); /* the entry's contents now belong to e */
		i = e->nvms++;
		map_put(&c->vm_ids, xstrdup(key), i);
		c->vms_mapped = e->nvms;
	}
	free(canon);
	return &e->vms[i];
}

static void add_missing(ev_vm *vm, const char *what, const char *path)
{
	strbuf sb = STRBUF_INIT;
	sb_addf(&sb, "%s %s (not found in the evidence)", what, path);
	vm->missing = xrealloc(vm->missing, (vm->nmissing + 1) * sizeof *vm->missing);
	vm->missing[vm->nmissing++] = sb_detach(&sb);
}

static void push_file(size_t **arr, size_t *n, size_t x)
{
	for (size_t i = 0; i < *n; i++)
		if ((*arr)[i] == x)
			return;
	*arr = xrealloc(*arr, (*n + 1) * sizeof **arr);
	(*arr)[(*n)++] = x;
}

static void json_release(void *p)
{
	json_object_put(p);
}

/*
 * Reads a VM disk's metadata (VHDX/VHD/raw, partitions, BitLocker) once, and
 * records whether its data would survive a rebuild with a fresh vTPM.
 */
static void assess_disk(collector *c, size_t file)
{
	evidence *e = c->e;
	ev_file *f = &e->files[file];
	if (f->disk_assessed)
		return;
	f->disk_assessed = true;
	vdisk_opts vo;
	memset(&vo, 0, sizeof vo);
	vo.flags = c->o.follow_symlinks ? 0 : VDISK_NOFOLLOW;
	/* Differencing parents: next to the child, then the absolute path (flagged as
	 * outside the tree), then any evidence file of the same name. */
	const char **names = xcalloc(e->nfiles + 1, sizeof *names);
	for (size_t i = 0; i < e->nfiles; i++)
		names[i] = e->files[i].path;
	vdisk_search_list sl = { names, e->nfiles };
	vo.resolve_ctx = &sl;
	vdisk *vd = NULL;
	hv_err rc = vdisk_open_ex(f->path, &vo, &vd, &e->findings);
	free(names);
	if (rc != HV_OK) {
		f->disk_surv = SURV_UNKNOWN;
		f->disk_reason = xstrdup("the disk could not be read");
		evidence_fail(e, file, rc, "disk could not be read: %s", hv_err_name(rc));
		return;
	}
	disk_assessment a;
	survive_assess_disk(vd, &a, &e->findings);
	f = &e->files[file];
	f->disk_surv = (int)a.overall.kind;
	f->disk_reason = xstrdup(a.overall.reason ? a.overall.reason : "");
	f->disk_json = disk_report_json(vd, &a);
	f->disk_json_free = json_release;
	if (!f->sha256[0])
		vdisk_metadata_sha256(vd, f->sha256);
	free(f->what);
	strbuf sb = STRBUF_INIT;
	sb_addf(&sb, "%s disk (%s); only metadata read, sha256 is of the metadata bytes read",
		vdisk_format_name(vdisk_get_format(vd)), surv_kind_id(a.overall.kind));
	f->what = sb_detach(&sb);
	f->kind = EV_DISK;
	disk_assessment_free(&a);
	vdisk_close(vd);
}

/* The evidence file a resolved Windows path points at, registering disks not yet seen. */
static size_t resolved_file(collector *c, const winpath_list *l, bool disk)
{
	for (size_t i = 0; i < l->n; i++) {
		const winpath_candidate *w = &l->v[i];
		size_t f = member_file(c, w);
		if (f != SIZE_MAX)
			return f;
		if (!w->exists || w->outside_tree || w->via_symlink)
			continue;
		f = find_file(c, w->path);
		if (f != SIZE_MAX)
			return f;
		if (disk) {
			struct stat st;
			uint64_t size = lstat(w->path, &st) == 0 ? (uint64_t)st.st_size : 0;
			f = evidence_add_file(c->e, w->path, NULL, size);
			on_large(c, f, w->path);
			return f;
		}
	}
	return SIZE_MAX;
}

static void attach_config(collector *c, config_rec *r)
{
	vm_model *m = r->vm;
	vm_resolve_paths(m, r->root);
	ev_vm *vm = vm_for_id(c, m->id);
	push_file(&vm->configs, &vm->nconfigs, r->file);
	if (!vm->name && m->name)
		vm->name = xstrdup(m->name);
	if (m->vtpm_device_present)
		vm->vtpm_device = true;
	const vm_flag *t = &m->security.tpm_enabled;
	if (t->present && t->valid) {
		vm->tpm_setting_seen = true;
		vm->tpm_enabled = t->value ? TRI_YES : TRI_NO;
	}
	tree_kps(c, r->file, m, vm, m->id, 0, NULL);
	vm = vm_for_id(c, m->id); /* tree_kps may not move it, but stay safe */
	for (size_t i = 0; i < m->ndrives; i++) {
		const vm_drive *d = &m->drives[i];
		if (!vm_drive_is_disk(d) || !d->path || !*d->path)
			continue;
		size_t f = resolved_file(c, &d->resolved, true);
		vm = vm_for_id(c, m->id);
		if (f == SIZE_MAX) {
			add_missing(vm, "disk", d->path);
		} else {
			assess_disk(c, f);
			vm = vm_for_id(c, m->id);
			push_file(&vm->disks, &vm->ndisks, f);
		}
	}
	if (m->guest_state_path && *m->guest_state_path &&
	    resolved_file(c, &m->guest_state_resolved, false) == SIZE_MAX)
		add_missing(vm, "guest state file", m->guest_state_path);
	if (!vm->vm) {
		vm->vm = m;
		vm->vm_free = vm_model_release;
		vm->vm_file = r->file;
		r->vm = NULL;
	}
}

/* For each evidence file, the first VM whose configuration names it as guest state. */
static size_t *guest_state_owners(collector *c)
{
	evidence *e = c->e;
	size_t *own = xmalloc((e->nfiles + 1) * sizeof *own);
	for (size_t i = 0; i <= e->nfiles; i++)
		own[i] = SIZE_MAX;
	for (size_t v = 0; v < e->nvms; v++) {
		const vm_model *m = e->vms[v].vm;
		if (!m || !m->guest_state_path)
			continue;
		for (size_t k = 0; k < m->guest_state_resolved.n; k++) {
			const winpath_candidate *w = &m->guest_state_resolved.v[k];
			size_t f = w->exists ? find_file(c, w->path) : member_file(c, w);
			if (f < e->nfiles && own[f] == SIZE_MAX)
				own[f] = v;
		}
	}
	return own;
}

/* The VM a loose key protector belongs to; SIZE_MAX when none. */
static size_t owner_of(collector *c, const loose_kp *l, const size_t *gs_owner)
{
	evidence *e = c->e;
	if (gs_owner[l->kp.file] != SIZE_MAX)
		return gs_owner[l->kp.file];
	for (size_t v = 0; l->hint_id && v < e->nvms; v++)
		if (guid_str_eq(e->vms[v].id, l->hint_id))
			return v;
	for (size_t v = 0; l->hint_name && v < e->nvms; v++)
		if (e->vms[v].name && strcasecmp(e->vms[v].name, l->hint_name) == 0)
			return v;
	return SIZE_MAX;
}

static void attach_loose(collector *c, loose_kp *l, const size_t *gs_owner)
{
	evidence *e = c->e;
	size_t v = owner_of(c, l, gs_owner);
	ev_vm *vm;
	if (v == SIZE_MAX) {
		vm = evidence_vm(e, l->hint_id ? l->hint_id : l->hint_name);
		if (!vm->name)
			vm->name = xstrdup(l->hint_name);
	} else {
		vm = &e->vms[v];
	}
	ev_kp *slot = evidence_vm_add_kp(vm);
	*slot = l->kp;
	memset(&l->kp, 0, sizeof l->kp);
}

void collector_finish(collector *c)
{
	pfx_pool_finish(c);
	for (size_t i = 0; i < c->nconfigs; i++)
		attach_config(c, &c->configs[i]);
	size_t *gs_owner = guest_state_owners(c);
	for (size_t i = 0; i < c->nloose; i++) {
		attach_loose(c, &c->loose[i], gs_owner);
		free(c->loose[i].hint_id);
		free(c->loose[i].hint_name);
	}
	free(gs_owner);
	for (size_t i = 0; i < c->nconfigs; i++) {
		if (c->configs[i].vm) {
			vm_free(c->configs[i].vm);
			free(c->configs[i].vm);
		}
		free(c->configs[i].root);
	}
	free(c->configs);
	free(c->loose);
	free(c->pfx);
	map_free(&c->paths);
	map_free(&c->normal);
	map_free(&c->vm_ids);
	free(c);
}
