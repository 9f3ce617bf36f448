/* diag_common.c - options, evaluation and exit codes shared by diagnose and audit. */
#include "cli/diag_common.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "report/findings_report.h"
#include "report/term.h"
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

bool dx_collect(const char *cmd, const dx_opts *o, char *const *paths, size_t n, evidence *e,
		void (*progress)(void *, const char *, uint64_t), void *progress_ctx)
{
	(void)cmd;
	hv_passwords pw;
	passwords_init(&pw);
	if (passwords_collect(&pw, &o->pw, &e->findings) != HV_OK) {
		dx_print_findings(e, false);
		passwords_free(&pw);
		return false;
	}
	collect_opts co = { .pw = &pw, .follow_symlinks = o->follow_symlinks,
			    .progress = progress, .progress_ctx = progress_ctx };
	collector *col = collector_new(e, &co);
	collector_add_paths(col, paths, n);
	collector_finish(col);
	passwords_free(&pw); /* wiped: no secret is needed after the PFX files are open */
	return true;
}

verdict_opts dx_verdict_opts(const dx_opts *o)
{
	verdict_opts v = { o->at, o->warn_days };
	return v;
}

void dx_print_findings(const evidence *e, bool quiet)
{
	findings_print(stderr, "hvtpm", &e->findings, quiet ? HV_SEV_ERROR : HV_SEV_WARN);
}
