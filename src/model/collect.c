/*
 * collect.c - folds each file's facts into the evidence set: its record
 * (class, SHA-256, what it is), the certificates it holds, its disk facts,
 * the VM configuration it is, and the key protectors it holds (kept with
 * their configuration, or set aside to be tied to a VM at the end).
 */
#include "model/collect_internal.h"

#include <stdlib.h>
#include <string.h>

#include "model/facts_file.h"
#include "model/pfx_cache.h"
#include "model/pipeline.h"
#include "model/readers.h"
#include "util/xalloc.h"

collector *collector_new(evidence *e, const collect_opts *o)
{
	collector *c = xcalloc(1, sizeof *c);
	c->configs = (segvec)SEGVEC_INIT(config_rec);
	c->e = e;
	c->o = *o;
	c->pfx = pfx_cache_new();
	return c;
}

collector *collector_new_offline(evidence *e)
{
	collect_opts o;
	memset(&o, 0, sizeof o);
	collector *c = collector_new(e, &o);
	c->offline = true;
	return c;
}

/* Exit status 4: damaged or unreadable evidence, or evidence a cap refused. */
static bool is_input_error(const file_facts *x)
{
	return x->cls == EVC_DAMAGED || x->cls == EVC_UNREADABLE ||
	       (x->cls == EVC_SKIPPED && x->status == HV_ERR_LIMIT);
}

static size_t add_file_record(evidence *e, file_facts *x)
{
	size_t f = evidence_add_file(e, x->path, x->sha256[0] ? x->sha256 : NULL, x->size);
	ev_file *r = &e->files[f];
	r->member_at = x->member_at;
	r->kind = x->kind;
	r->format_id = x->format_id;
	r->sha256_metadata = x->sha256_metadata;
	r->what = evidence_intern_str(e, x->what);
	ev_file_extra k = { x->error, x->claimed, NULL, x->nweak, x->disk, x->manifest };
	if (x->nweak) {
		k.weak = xcalloc(x->nweak, sizeof *k.weak);
		for (size_t i = 0; i < x->nweak; i++)
			k.weak[i] = evidence_intern_str(e, x->weak[i]);
	}
	evidence_file_extra(e, f, &k);
	x->error = x->claimed = NULL;
	x->disk = NULL;
	x->manifest = NULL;
	r->status = x->status;
	r->input_error = is_input_error(x);
	evidence_set_class(e, f, x->cls);
	return f;
}

static void add_loose(collector *c, ev_kp *kp, const char *hint_id, const char *path,
		      size_t member_at)
{
	c->loose = xgrow(c->loose, &c->caploose, c->nloose + 1, sizeof *c->loose);
	loose_kp *l = &c->loose[c->nloose++];
	l->kp = *kp;
	memset(kp, 0, sizeof *kp);
	l->hint_id = hint_id ? xstrdup(hint_id) : NULL;
	l->hint_name = readers_stem(path, member_at);
}

/*
 * Keeps the candidates association can use (see resolved_file in
 * associate.c): files found on disk inside the evidence tree, and members of
 * the configuration's own archive (written to a facts file with exists
 * false: the loader knows them by that).
 */
static void keep_usable(winpath_list *l)
{
	size_t n = 0;
	for (size_t i = 0; i < l->n; i++) {
		winpath_candidate *w = &l->v[i];
		bool keep = w->in_archive || (!w->via_symlink && w->exists && !w->outside_tree);
		if (keep)
			l->v[n++] = *w;
		else
			free(w->path);
	}
	l->n = n;
	if (!n) {
		free(l->v);
		l->v = NULL;
	}
}

static void settings_of(const vm_model *m, ev_settings *s)
{
	s->generation = m->generation;
	s->memory_mb = m->has_memory ? m->memory_mb : 0;
	s->processors = m->has_processors ? m->processors : 0;
	s->secure_boot = m->has_secure_boot ? (m->secure_boot ? 1 : 0) : -1;
	s->secure_boot_template = m->secure_boot_template ? xstrdup(m->secure_boot_template) : NULL;
	s->disks = xcalloc(m->ndrives + 1, sizeof *s->disks);
	s->switches = xcalloc(m->nnics + 1, sizeof *s->switches);
	for (size_t i = 0; i < m->nnics; i++)
		s->switches[s->nswitches++] = xstrdup(m->nics[i].switch_name ? m->nics[i].switch_name : "");
}

/* The configuration's record: its paths resolved now (against its root), the model freed. */
static void add_config(collector *c, size_t file, file_facts *x)
{
	config_rec *r = segvec_push(&c->configs);
	vm_model *m = x->vm;
	vm_resolve_paths(m, x->root, x->member_at);
	r->file = file;
	r->id = xstrdup(m->id);
	r->name = m->name ? xstrdup(m->name) : NULL;
	r->vtpm_device = m->vtpm_device_present;
	const vm_flag *t = &m->security.tpm_enabled;
	r->tpm_enabled = t->present && t->valid ? (t->value ? TRI_YES : TRI_NO) : TRI_UNKNOWN;
	settings_of(m, &r->settings);
	r->disk_resolved = xcalloc(m->ndrives + 1, sizeof *r->disk_resolved);
	for (size_t i = 0; i < m->ndrives; i++) {
		vm_drive *d = &m->drives[i];
		if (!vm_drive_is_disk(d) || !d->path || !*d->path)
			continue;
		size_t k = r->settings.ndisks++;
		r->settings.disks[k] = xstrdup(d->path);
		r->disk_resolved[k] = d->resolved;
		memset(&d->resolved, 0, sizeof d->resolved);
		keep_usable(&r->disk_resolved[k]);
	}
	r->ndisk_resolved = r->settings.ndisks;
	if (m->guest_state_path && *m->guest_state_path) {
		r->guest_state_path = xstrdup(m->guest_state_path);
		r->gs_resolved = m->guest_state_resolved;
		memset(&m->guest_state_resolved, 0, sizeof m->guest_state_resolved);
		keep_usable(&r->gs_resolved);
	}
}

void config_rec_free(config_rec *r)
{
	free(r->id);
	free(r->name);
	ev_settings_free(&r->settings);
	for (size_t i = 0; i < r->ndisk_resolved; i++)
		winpath_list_free(&r->disk_resolved[i]);
	free(r->disk_resolved);
	free(r->guest_state_path);
	winpath_list_free(&r->gs_resolved);
	for (size_t i = 0; i < r->nkps; i++)
		ev_kp_release(&r->kps[i]); /* moved to the VM unless association never ran */
	free(r->kps);
}

/* A key protector found by name whose bytes did not decode: a fact, not a protector. */
static bool usable(const fact_kp *k)
{
	return k->rc == HV_OK;
}

void collector_add(collector *c, file_facts *x)
{
	evidence *e = c->e;
	size_t f = add_file_record(e, x);
	/* Notes stay with inspect: the evidence keeps what diagnose and audit print. */
	for (size_t i = 0; i < x->findings.n; i++)
		if (x->findings.v[i].sev >= HV_SEV_WARN)
			findings_add(&e->findings, x->findings.v[i].sev, x->findings.v[i].file,
				     x->findings.v[i].offset, "%s", x->findings.v[i].msg);
	for (size_t i = 0; i < x->ncerts; i++)
		evidence_add_holding(e, f, &x->certs[i].cert, x->certs[i].has_private_key,
				     x->certs[i].detail);
	if (c->associating)
		return; /* a file a configuration names, read late: its record is enough */
	bool config = x->kind == EV_VM_CONFIG && x->vm && x->vm->id && x->cls == EVC_USED;
	if (config)
		add_config(c, f, x);
	for (size_t i = 0; i < x->nkps; i++) {
		if (!usable(&x->kps[i]))
			continue;
		ev_kp *kp = &x->kps[i].kp;
		kp->file = f;
		evidence_settle_kp(e, kp);
		if (config) {
			config_rec *r = segvec_at(&c->configs, c->configs.n - 1);
			r->kps = xrealloc(r->kps, (r->nkps + 1) * sizeof *r->kps);
			r->kps[r->nkps++] = *kp;
			memset(kp, 0, sizeof *kp);
		} else {
			add_loose(c, kp, x->hint_id, x->path, x->member_at);
		}
	}
}

static void on_facts(void *ctx, file_facts *x)
{
	collector_add(ctx, x);
}

void collector_pipeline_opts(collector *c, pipeline_opts *p)
{
	memset(p, 0, sizeof *p);
	p->id.pw = c->o.pw;
	p->id.pfx_cache = c->pfx;
	p->id.follow_symlinks = c->o.follow_symlinks;
	p->follow_symlinks = c->o.follow_symlinks;
	p->threads = c->associating ? 0 : c->o.threads;
	p->on_file = on_facts;
	p->ctx = c;
	p->progress = c->o.progress;
	p->progress_ctx = c->o.progress_ctx;
}

void collector_add_paths(collector *c, char *const *paths, size_t n)
{
	pipeline_opts p;
	collector_pipeline_opts(c, &p);
	pipeline_run(paths, n, &p);
}

void collector_finish(collector *c)
{
	if (c->o.facts)
		facts_write_collected(c->o.facts, c);
	collector_associate(c);
	if (c->o.facts)
		facts_write_late(c->o.facts, c);
	collector_discard(c);
}

void collector_free_loose(collector *c)
{
	for (size_t i = 0; i < c->nloose; i++) {
		ev_kp_release(&c->loose[i].kp); /* moved to its VM unless association never ran */
		free(c->loose[i].hint_id);
		free(c->loose[i].hint_name);
	}
	free(c->loose);
	c->loose = NULL;
	c->nloose = c->caploose = 0;
}

void collector_discard(collector *c)
{
	for (size_t i = 0; i < c->configs.n; i++)
		config_rec_free(segvec_at(&c->configs, i));
	segvec_free(&c->configs);
	collector_free_loose(c);
	hashidx_free(&c->normal);
	hashidx_free(&c->members);
	strmap_free(&c->vm_ids);
	strmap_free(&c->vm_names);
	pfx_cache_free(c->pfx);
	free(c);
}
