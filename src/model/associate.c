/*
 * associate.c - ties the evidence to VMs once every file is read: each
 * configuration makes (or joins) the VM of its id; the protectors found in
 * its tree are that VM's; disks and the guest state file it names are
 * looked up in the evidence (a disk not walked but present next to the
 * configuration is read now); protectors found elsewhere (saved files,
 * runtime and guest state files, scanned containers) go to the VM whose
 * configuration names the file as guest state, else to the VM of the id
 * or name their file carries, else to a VM entry of their own.
 *
 * Nothing here decides a verdict.
 */
#include "model/collect_internal.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include "model/winpath.h"
#include "util/strbuf.h"
#include "util/text.h"
#include "util/xalloc.h"

/* ---- lookups ------------------------------------------------------------------------- */

/* Brings the path indexes up to date with the evidence files. */
static void index_files(collector *c)
{
	const evidence *e = c->e;
	for (; c->indexed < e->nfiles; c->indexed++) {
		const ev_file *f = &e->files[c->indexed];
		char *k = f->member_at ? winpath_key(f->path, f->member_at) : winpath_normalize(f->path);
		hashidx_add(f->member_at ? &c->members : &c->normal, hashidx_str(k), c->indexed);
		free(k);
	}
}

/* The key a file is indexed by (see index_files); caller frees. */
static char *file_key(const ev_file *f)
{
	return f->member_at ? winpath_key(f->path, f->member_at) : winpath_normalize(f->path);
}

/* The first file of index m whose key is want, or SIZE_MAX. */
static size_t lookup(const collector *c, const hashidx *m, const char *want)
{
	uint64_t h = hashidx_str(want);
	size_t pos = 0, hit;
	while ((hit = hashidx_next(m, h, &pos)) != SIZE_MAX) {
		char *k = file_key(&c->e->files[hit]);
		bool same = strcmp(k, want) == 0;
		free(k);
		if (same)
			break;
	}
	return hit;
}

/* The evidence file on disk at path (normalised), or SIZE_MAX. */
static size_t find_file(collector *c, const char *path)
{
	index_files(c);
	char *want = winpath_normalize(path);
	size_t hit = lookup(c, &c->normal, want);
	free(want);
	return hit;
}

/*
 * An archive member named by a resolved path: a candidate inside the
 * configuration's archive (in_archive: known from where the configuration
 * was read) never exists on disk, so it is looked up among the evidence
 * files read from archives.
 */
static size_t member_file(collector *c, const winpath_candidate *w)
{
	if (!w->in_archive)
		return SIZE_MAX;
	index_files(c);
	return lookup(c, &c->members, w->path); /* already in winpath_key form */
}

/*
 * The VM entry for id.  A new entry is made by evidence_vm() in a scratch
 * set and moved over, so that 10,000 new VMs do not cost 50 million GUID
 * comparisons.  Keys: the canonical GUID, or the id as given when it is no
 * GUID (the matching rule of evidence_vm()).
 */
static void map_vms(collector *c)
{
	const evidence *e = c->e;
	for (; c->vms_mapped < e->nvms; c->vms_mapped++) {
		const char *vid = e->vms[c->vms_mapped].id;
		char *k = guid_canonical(vid);
		strmap_put(&c->vm_ids, k ? k : xstrdup(vid), c->vms_mapped);
	}
}

/* The index of the VM entry for id, or SIZE_MAX. */
static size_t vm_index(collector *c, const char *id)
{
	map_vms(c);
	char *canon = guid_canonical(id);
	size_t i = strmap_get(&c->vm_ids, canon ? canon : id);
	free(canon);
	return i < c->e->nvms ? i : SIZE_MAX;
}

static ev_vm *vm_for_id(collector *c, const char *id)
{
	evidence *e = c->e;
	size_t i = vm_index(c, id);
	if (i == SIZE_MAX) {
		evidence scratch;
		evidence_init(&scratch);
		ev_vm *nv = evidence_vm(&scratch, id);
		e->vms = xgrow(e->vms, &e->capvms, e->nvms + 1, sizeof *e->vms);
		e->vms[e->nvms] = *nv;
		free(scratch.vms); /* the entry's contents now belong to e */
		i = e->nvms++;
		char *canon = guid_canonical(id);
		strmap_put(&c->vm_ids, canon ? canon : xstrdup(id), i);
		c->vms_mapped = e->nvms;
	}
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

/* The evidence file a resolved Windows path points at; a disk next to the
 * configuration that the walk did not reach is read now. */
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
		if (disk && !c->offline) {
			pipeline_opts p;
			collector_pipeline_opts(c, &p);
			size_t before = c->e->nfiles;
			pipeline_read_path(w->path, &p); /* folds the file in through p's callback */
			/* cppcheck-suppress knownConditionTrueFalse ; the callback adds the file */
			if (c->e->nfiles > before)
				return before;
		}
	}
	return SIZE_MAX;
}

/* ---- configurations -------------------------------------------------------------------- */

static void attach_drives(collector *c, const config_rec *r)
{
	for (size_t i = 0; i < r->ndisk_resolved; i++) {
		size_t f = resolved_file(c, &r->disk_resolved[i], true);
		ev_vm *vm = vm_for_id(c, r->id);
		if (f == SIZE_MAX)
			add_missing(vm, "disk", r->settings.disks[i]);
		else
			push_file(&vm->disks, &vm->ndisks, f);
	}
}

/*
 * Ties configuration r to its VM.  The configuration that gives the VM its
 * settings (its first) also claims, in gs_owner, the files it names as
 * guest state that no earlier configuration claimed.
 */
static void attach_config(collector *c, config_rec *r, size_t *gs_owner)
{
	ev_vm *vm = vm_for_id(c, r->id);
	push_file(&vm->configs, &vm->nconfigs, r->file);
	if (!vm->name && r->name)
		vm->name = xstrdup(r->name);
	if (r->vtpm_device)
		vm->vtpm_device = true;
	if (r->tpm_enabled != TRI_UNKNOWN) {
		vm->tpm_setting_seen = true;
		vm->tpm_enabled = r->tpm_enabled;
	}
	for (size_t i = 0; i < r->nkps; i++) {
		*evidence_vm_add_kp(vm) = r->kps[i];
		memset(&r->kps[i], 0, sizeof r->kps[i]);
	}
	attach_drives(c, r);
	vm = vm_for_id(c, r->id);
	if (r->guest_state_path && resolved_file(c, &r->gs_resolved, false) == SIZE_MAX)
		add_missing(vm, "guest state file", r->guest_state_path);
	if (vm->has_settings)
		return;
	vm->has_settings = true;
	vm->settings = r->settings;
	memset(&r->settings, 0, sizeof r->settings);
	vm->vm_file = r->file;
	size_t v = (size_t)(vm - c->e->vms);
	for (size_t k = 0; k < r->gs_resolved.n; k++) {
		const winpath_candidate *w = &r->gs_resolved.v[k];
		size_t f = w->exists ? find_file(c, w->path) : member_file(c, w);
		if (f < c->nowned && gs_owner[f] == SIZE_MAX)
			gs_owner[f] = v;
	}
}

/* ---- loose key protectors ------------------------------------------------------------ */

/* Enters VM v under its name (case-insensitive, as strcasecmp compares), keeping the lowest index. */
static void name_vm(collector *c, size_t v)
{
	const char *name = c->e->vms[v].name;
	if (!name)
		return;
	char *k = ascii_lower(name);
	size_t had = strmap_get(&c->vm_names, k);
	if (had == SIZE_MAX || v < had)
		strmap_set(&c->vm_names, k, v);
	else
		free(k);
}

/* The first VM named name (case-insensitive), or SIZE_MAX. */
static size_t vm_named(collector *c, const char *name)
{
	for (; c->vms_named < c->e->nvms; c->vms_named++)
		name_vm(c, c->vms_named);
	char *k = ascii_lower(name);
	size_t v = strmap_get(&c->vm_names, k);
	free(k);
	return v;
}

/*
 * The VM a loose key protector belongs to: the VM whose configuration names
 * its file as guest state, else the VM of the GUID its file carries, else
 * the first VM of the name its file carries; else a VM entry of its own
 * (made now, in evidence order).
 */
static size_t loose_owner(collector *c, const loose_kp *l, const size_t *gs_owner)
{
	if (l->kp.file < c->nowned && gs_owner[l->kp.file] != SIZE_MAX)
		return gs_owner[l->kp.file];
	uint8_t g[16];
	size_t v = l->hint_id && guid_parse(l->hint_id, g) ? vm_index(c, l->hint_id) : SIZE_MAX;
	if (v == SIZE_MAX && l->hint_name)
		v = vm_named(c, l->hint_name);
	if (v != SIZE_MAX)
		return v;
	ev_vm *vm = vm_for_id(c, l->hint_id ? l->hint_id : l->hint_name);
	v = (size_t)(vm - c->e->vms);
	if (!vm->name && l->hint_name) {
		vm->name = xstrdup(l->hint_name);
		if (v < c->vms_named)
			name_vm(c, v);
	}
	return v;
}

/*
 * Moves every loose protector into its VM, after the protectors its
 * configurations hold, in evidence order.  The owners are found first (VMs
 * of their own are made in evidence order); the protectors are then moved
 * from the last to the first, so that the array they leave shrinks while
 * the VMs' arrays grow, instead of both being whole at once.
 */
static void attach_loose(collector *c, const size_t *gs_owner)
{
	evidence *e = c->e;
	size_t n = c->nloose;
	size_t *owner = xmalloc((n + 1) * sizeof *owner);
	for (size_t i = 0; i < n; i++)
		owner[i] = loose_owner(c, &c->loose[i], gs_owner);
	size_t *count = xcalloc(e->nvms + 1, sizeof *count); /* loose protectors per VM */
	size_t *next = xcalloc(e->nvms + 1, sizeof *next);   /* one past the slot to fill */
	bool *grown = xcalloc(e->nvms + 1, sizeof *grown);
	for (size_t i = 0; i < n; i++)
		count[owner[i]]++;
	for (size_t i = n; i-- > 0;) {
		size_t v = owner[i];
		ev_vm *vm = &e->vms[v];
		if (!grown[v]) {
			grown[v] = true;
			vm->kps = xrealloc(vm->kps, (vm->nkps + count[v]) * sizeof *vm->kps);
			vm->nkps += count[v];
			next[v] = vm->nkps;
		}
		loose_kp *l = &c->loose[i];
		vm->kps[--next[v]] = l->kp;
		free(l->hint_id);
		free(l->hint_name);
		if (i % 1024 == 0) { /* the moved tail [i, n) goes back */
			c->caploose = i ? i : 1;
			c->loose = xrealloc(c->loose, c->caploose * sizeof *c->loose);
		}
	}
	c->nloose = 0;
	free(owner);
	free(count);
	free(next);
	free(grown);
}

/*
 * Each configuration record is freed once attached (and its segment of the
 * records' array once all of it is), and the loose protectors' array
 * shrinks as they are moved: what association has used goes before the VMs
 * it makes are complete (the peak of an audit's memory).
 */
void collector_associate(collector *c)
{
	c->associating = true;
	/* for each file read so far (every loose protector's), the first VM whose
	 * configuration names it as guest state (a VM's first configuration counts) */
	c->nowned = c->e->nfiles;
	size_t *gs_owner = xmalloc((c->nowned + 1) * sizeof *gs_owner);
	for (size_t i = 0; i <= c->nowned; i++)
		gs_owner[i] = SIZE_MAX;
	for (size_t i = 0; i < c->configs.n; i++) {
		config_rec *r = segvec_at(&c->configs, i);
		attach_config(c, r, gs_owner);
		config_rec_free(r);
		segvec_drop_front(&c->configs, i + 1); /* a whole segment used: gone */
	}
	segvec_free(&c->configs);
	attach_loose(c, gs_owner);
	free(gs_owner);
	collector_free_loose(c);
}
