/* diag_common.c - options, evaluation and exit codes shared by diagnose and audit. */
#include "cli/diag_common.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "model/facts_file.h"
#include "model/pipeline.h"
#include "report/findings_report.h"
#include "report/diagnose_report.h"
#include "report/term.h"
#include "util/exitcode.h"
#include "util/strbuf.h"
#include "util/text.h"
#include "util/xalloc.h"

/* "hvtpm CMD", the prefix of every line on stderr. */
static const char *cmd_label(const char *cmd)
{
	if (strcmp(cmd, "diagnose") == 0)
		return "hvtpm diagnose";
	if (strcmp(cmd, "audit") == 0)
		return "hvtpm audit";
	return "hvtpm";
}

#define MAX_VMS 1024        /* --vm given this many times at most */
#define NAMES_LISTED 20     /* VM names listed when --vm matches none */

void dx_opts_init(dx_opts *o)
{
	memset(o, 0, sizeof *o);
	o->at = time(NULL);
	o->warn_days = 90;
	o->pw.use_env = true;
}

void dx_opts_free(dx_opts *o)
{
	free(o->vms);
	o->vms = NULL;
	o->filter.vms = NULL;
	o->filter.nvms = 0;
}

bool dx_opts_add_vm(const char *cmd, dx_opts *o, const char *want)
{
	if (o->filter.nvms >= MAX_VMS) {
		cli_err(cmd, "--vm given more than %d times", MAX_VMS);
		return false;
	}
	o->vms = xrealloc(o->vms, (o->filter.nvms + 1) * sizeof *o->vms);
	o->vms[o->filter.nvms++] = want;
	o->filter.vms = o->vms;
	return true;
}

static bool parse_verdicts(const char *cmd, dx_opts *o, const char *arg)
{
	const char *bad = NULL;
	size_t badlen = 0;
	if (vm_filter_parse_verdicts(arg, &o->filter.verdicts, &bad, &badlen))
		return true;
	char *name = xstrndup(bad, badlen);
	char *esc = term_escape(name);
	strbuf all = STRBUF_INIT;
	for (int k = V_NO_VTPM; k <= V_REBUILD_DATA_LOSS; k++)
		sb_addf(&all, "%s%s", k ? ", " : "", verdict_name((verdict_kind)k));
	cli_err(cmd, "--verdict: no verdict '%s' (verdicts: %s; several separated by commas)", esc,
		sb_str(&all));
	sb_free(&all);
	free(esc);
	free(name);
	return false;
}

int dx_opts_parse(const char *cmd, dx_opts *o, int opt, const char *arg)
{
	switch (opt) {
	case OPT_AT:
		if (!cli_parse_date(cmd, "--at", arg, &o->at))
			return -1;
		o->at_given = true;
		return 1;
	case OPT_WARN_DAYS: {
		char *end;
		errno = 0;
		long d = strtol(arg, &end, 10);
		if (errno || *end || end == arg || d < 0 || d > 36500) {
			char *esc = term_escape(arg);
			cli_err(cmd, "--warn-days wants a number of days from 0 to 36500, not '%s'", esc);
			free(esc);
			return -1;
		}
		o->warn_days = (int)d;
		return 1;
	}
	case OPT_VERDICT:
		return parse_verdicts(cmd, o, arg) ? 1 : -1;
	case OPT_EXPIRING_BEFORE:
		if (!cli_parse_date(cmd, "--expiring-before", arg, &o->filter.expiring_before))
			return -1;
		o->filter.expiring_given = true;
		return 1;
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

bool dx_collect(const char *cmd, dx_opts *o, char *const *paths, size_t n, evidence *e,
		void (*progress)(void *, const char *, uint64_t), void *progress_ctx)
{
	hv_passwords pw;
	passwords_init(&pw);
	if (passwords_collect(&pw, &o->pw, &e->findings) != HV_OK) {
		findings_print(stderr, cmd_label(cmd), &e->findings, HV_SEV_WARN);
		passwords_free(&pw);
		return false;
	}
	o->npasswords = pw.n;
	collect_opts co = { .pw = &pw, .follow_symlinks = o->follow_symlinks,
			    .threads = pipeline_default_threads(),
			    .progress = progress, .progress_ctx = progress_ctx };
	facts_meta fm = { o->shard, paths, n, pw.n };
	co.facts = o->facts_out ? facts_write_begin(o->facts_out, &fm) : NULL;
	collector *col = collector_new(e, &co);
	collector_add_paths(col, paths, n);
	collector_finish(col);
	if (co.facts && !facts_write_end(co.facts)) {
		cli_err(cmd, "could not write the facts file: %s", strerror(errno));
		o->facts_failed = true;
	}
	passwords_free(&pw); /* wiped: no secret is needed after the PFX files are open */
	return true;
}

verdict_opts dx_verdict_opts(const dx_opts *o)
{
	verdict_opts v = { .at = o->at, .warn_days = o->warn_days };
	return v;
}

verdict_context dx_verdict_context(const dx_opts *o)
{
	verdict_context c = { .passwords_known = true, .npasswords = o->npasswords };
	return c;
}

void dx_print_findings(const char *cmd, const evidence *e, const dx_opts *o)
{
	dx_findings_text(stderr, cmd_label(cmd), e, o->quiet ? HV_SEV_ERROR : HV_SEV_WARN,
			 o->npasswords);
}

bool dx_check_vms(const char *cmd, const dx_opts *o, const evidence *e)
{
	bool ok = true;
	for (size_t i = 0; i < o->filter.nvms; i++) {
		bool found = false;
		for (size_t k = 0; k < e->nvms && !found; k++)
			found = vm_matches(&e->vms[k], o->filter.vms[i]);
		if (found)
			continue;
		char *esc = term_escape(o->filter.vms[i]);
		cli_err(cmd, "no VM '%s' in the evidence (names are matched whatever their case, "
			     "ids with or without braces)", esc);
		free(esc);
		ok = false;
	}
	if (ok)
		return true;
	strbuf sb = STRBUF_INIT;
	for (size_t k = 0; k < e->nvms && k < NAMES_LISTED; k++) {
		const ev_vm *vm = &e->vms[k];
		sb_adds(&sb, k ? ", " : "");
		term_add(&sb, vm->name ? vm->name : vm->id);
	}
	if (e->nvms > NAMES_LISTED)
		sb_addf(&sb, " and %zu more", e->nvms - NAMES_LISTED);
	if (e->nvms)
		cli_err(cmd, "VMs found (%zu): %s", e->nvms, sb_str(&sb));
	else
		cli_err(cmd, "no VM was found in the evidence at all");
	sb_free(&sb);
	return false;
}

time_t dx_generated_at(const dx_opts *o, time_t now)
{
	return cli_generated_at(o->at_given, o->at, now);
}
