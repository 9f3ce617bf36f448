/* evaluate.c - verdicts, plans and exit status for every VM of the evidence. */
#include "analysis/evaluate.h"

#include <stdlib.h>
#include <string.h>

#include "util/exitcode.h"
#include "util/xalloc.h"

static void fill_plan_vm(const evidence *e, const ev_vm *vm, dx_vm *d)
{
	plan_vm *p = &d->pv;
	memset(p, 0, sizeof *p);
	p->name = vm->name;
	p->id = vm->id;
	p->secure_boot = -1;
	if (!vm->has_settings)
		return;
	const ev_settings *s = &vm->settings;
	p->config_path = e->files[vm->vm_file].path;
	p->generation = s->generation;
	p->memory_mb = s->memory_mb;
	p->processors = s->processors;
	p->secure_boot = s->secure_boot;
	p->secure_boot_template = s->secure_boot_template;
	p->disks = (const char *const *)s->disks;
	p->ndisks = s->ndisks;
	p->switches = (const char *const *)s->switches;
	p->nswitches = s->nswitches;
}

void dx_evaluate(const evidence *e, const verdict_opts *o, time_t generated_at, dx_result *r)
{
	dx_evaluate_in(e, o, NULL, generated_at, r);
}

void dx_evaluate_in(const evidence *e, const verdict_opts *o, const verdict_context *c,
		    time_t generated_at, dx_result *r)
{
	memset(r, 0, sizeof *r);
	r->generated_at = generated_at;
	r->evaluated_at = o->at;
	r->warn_days = o->warn_days;
	r->passwords_known = c && c->passwords_known;
	r->npasswords = c ? c->npasswords : 0;
	r->vms = xcalloc(e->nvms + 1, sizeof *r->vms);
	strmap needed = STRMAP_INIT;
	verdict_lists lists;
	memset(&lists, 0, sizeof lists); /* freed whether built here or not */
	verdict_context x = { false, 0, NULL, NULL };
	if (c)
		x = *c;
	if (!x.needed) {
		verdict_needed_build(e, &needed);
		x.needed = &needed;
	}
	if (!x.lists) {
		verdict_lists_build(e, x.needed, &lists);
		x.lists = &lists;
	}
	for (size_t i = 0; i < e->nvms; i++) {
		dx_vm *d = &r->vms[r->nvms++];
		d->vm = i;
		verdict_for_vm_in(e, i, o, &x, &d->v);
		fill_plan_vm(e, &e->vms[i], d);
		plan_build(e, &d->v, &d->pv, &d->p);
	}
	strmap_free(&needed);
	verdict_lists_free(&lists);
}

static void vm_free_one(dx_vm *d)
{
	verdict_free(&d->v);
	plan_free(&d->p);
}

void dx_filter(const evidence *e, dx_result *r,
	       bool (*keep)(const evidence *, const dx_vm *, void *), void *ctx)
{
	size_t k = 0;
	for (size_t i = 0; i < r->nvms; i++) {
		if (keep(e, &r->vms[i], ctx))
			r->vms[k++] = r->vms[i];
		else
			vm_free_one(&r->vms[i]);
	}
	r->nvms = k;
}

void dx_result_free(dx_result *r)
{
	for (size_t i = 0; i < r->nvms; i++)
		vm_free_one(&r->vms[i]);
	free(r->vms);
	memset(r, 0, sizeof *r);
}

void dx_count(const dx_result *r, size_t counts[V_REBUILD_DATA_LOSS + 1])
{
	memset(counts, 0, sizeof(size_t) * (V_REBUILD_DATA_LOSS + 1));
	for (size_t i = 0; i < r->nvms; i++)
		counts[r->vms[i].v.kind]++;
}

int evidence_exit_code(const evidence *e)
{
	for (size_t i = 0; i < e->nfiles; i++)
		if (e->files[i].input_error)
			return HV_EXIT_INPUT;
	return HV_EXIT_OK;
}

int dx_exit_code(const evidence *e, const dx_result *r)
{
	int rc = e->nvms ? HV_EXIT_OK : HV_EXIT_ATTENTION;
	for (size_t i = 0; i < r->nvms; i++) {
		int c = verdict_exit_code(r->vms[i].v.kind);
		if (c > rc)
			rc = c;
	}
	int ev = evidence_exit_code(e);
	return ev > rc ? ev : rc;
}
