/* diag_common.c - options, evaluation and exit codes shared by diagnose and audit. */
#include "cli/diag_common.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "model/vm.h"
#include "util/exitcode.h"
#include "util/text.h"
#include "util/xalloc.h"

void dx_opts_init(dx_opts *o)
{
	memset(o, 0, sizeof *o);
	o->at = time(NULL);
	o->warn_days = 90;
	o->pw.use_env = true;
}

int dx_opts_parse(const char *cmd, dx_opts *o, int opt, const char *arg)
{
	switch (opt) {
	case OPT_AT:
		if (!iso_parse(arg, &o->at)) {
			cli_err(cmd, "--at wants an ISO 8601 date such as 2026-10-01 or "
				     "2026-10-01T12:00:00Z, not '%s'", arg);
			return -1;
		}
		o->at_given = true;
		return 1;
	case OPT_WARN_DAYS: {
		char *end;
		errno = 0;
		long d = strtol(arg, &end, 10);
		if (errno || *end || d < 0 || d > 36500) {
			cli_err(cmd, "--warn-days wants a number of days from 0 to 36500, not '%s'", arg);
			return -1;
		}
		o->warn_days = (int)d;
		return 1;
	}
	case OPT_PASSWORD_FILE:
		o->pw.file = arg;
		return 1;
	case OPT_ASK_PASSWORD:
		o->pw.ask = true;
		return 1;
	case OPT_TRY_DEFAULTS:
		o->pw.defaults = true;
		return 1;
	case OPT_FOLLOW_SYMLINKS:
		o->follow_symlinks = true;
		return 1;
	case OPT_QUIET:
		o->quiet = true;
		return 1;
	default:
		return 0;
	}
}

static void fill_plan_vm(const evidence *e, const ev_vm *vm, dx_vm *d)
{
	plan_vm *p = &d->pv;
	memset(p, 0, sizeof *p);
	p->name = vm->name;
	p->id = vm->id;
	p->secure_boot = -1;
	const vm_model *m = vm->vm;
	if (!m)
		return;
	p->config_path = e->files[vm->vm_file].path;
	p->generation = m->generation;
	p->memory_mb = m->has_memory ? m->memory_mb : 0;
	p->processors = m->has_processors ? m->processors : 0;
	if (m->has_secure_boot)
		p->secure_boot = m->secure_boot ? 1 : 0;
	p->secure_boot_template = m->secure_boot_template;
	d->disk_paths = xcalloc(m->ndrives + 1, sizeof *d->disk_paths);
	for (size_t i = 0; i < m->ndrives; i++)
		if (vm_drive_is_disk(&m->drives[i]) && m->drives[i].path && *m->drives[i].path)
			d->disk_paths[p->ndisks++] = m->drives[i].path;
	p->disks = d->disk_paths;
	d->switch_names = xcalloc(m->nnics + 1, sizeof *d->switch_names);
	for (size_t i = 0; i < m->nnics; i++)
		d->switch_names[p->nswitches++] = m->nics[i].switch_name ? m->nics[i].switch_name : "";
	p->switches = d->switch_names;
}

void dx_evaluate(const evidence *e, const dx_opts *o, dx_result *r)
{
	memset(r, 0, sizeof *r);
	r->generated_at = time(NULL);
	r->evaluated_at = o->at;
	r->warn_days = o->warn_days;
	r->vms = xcalloc(e->nvms + 1, sizeof *r->vms);
	verdict_opts vo = { o->at, o->warn_days };
	for (size_t i = 0; i < e->nvms; i++) {
		dx_vm *d = &r->vms[r->nvms++];
		d->vm = i;
		verdict_for_vm(e, i, &vo, &d->v);
		fill_plan_vm(e, &e->vms[i], d);
		plan_build(e, &d->v, &d->pv, &d->p);
	}
}

void dx_result_free(dx_result *r)
{
	for (size_t i = 0; i < r->nvms; i++) {
		verdict_free(&r->vms[i].v);
		plan_free(&r->vms[i].p);
		free(r->vms[i].disk_paths);
		free(r->vms[i].switch_names);
	}
	free(r->vms);
	memset(r, 0, sizeof *r);
}

int dx_exit_code(const evidence *e, const dx_result *r)
{
	int rc = HV_EXIT_OK;
	for (size_t i = 0; i < r->nvms; i++) {
		int c = verdict_exit_code(r->vms[i].v.kind);
		if (c > rc)
			rc = c;
	}
	for (size_t i = 0; i < e->nfiles; i++)
		if (e->files[i].input_error)
			rc = HV_EXIT_INPUT;
	if (e->unreadable)
		rc = HV_EXIT_INPUT;
	return rc;
}

void dx_print_findings(const evidence *e, bool quiet)
{
	for (size_t i = 0; i < e->findings.n; i++) {
		const hv_finding *x = &e->findings.v[i];
		if (x->sev < HV_SEV_WARN || (quiet && x->sev < HV_SEV_ERROR))
			continue;
		char *l = finding_format(x);
		fprintf(stderr, "hvtpm: %s: %s\n", hv_sev_name(x->sev), l);
		free(l);
	}
}
