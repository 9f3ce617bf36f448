/* cmd_diagnose.c - hvtpm diagnose: restore or rebuild, per VM, with reasons and a plan. */
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cli/cli.h"
#include "cli/diag_common.h"
#include "report/diagnose_report.h"
#include "report/plan_ps.h"
#include "report/out.h"
#include "util/exitcode.h"
#include "util/text.h"
#include "util/xalloc.h"

static const char usage_text[] =
	"usage: hvtpm diagnose [OPTIONS] EVIDENCE...\n"
	"\n"
	"Says for each VM found in the evidence whether it can be restored with the\n"
	"certificates at hand or must be rebuilt, why, and what to do.  EVIDENCE is any\n"
	"mix of VM folders, .vmcx/.xml configs, .vmrs/.vmgs files, saved key protectors,\n"
	"PFX/certificate files, guardian XML and directories (read recursively).\n"
	"\n"
	"Options:\n"
	"  --at DATE                evaluate certificate validity at DATE (ISO 8601; default now)\n"
	"  --warn-days N            treat certificates expiring within N days as expired (90)\n"
	"  --format text|json       output format (text)\n"
	"  --plan powershell        print a PowerShell script for the verdict instead\n"
	"  --plan-out FILE          write the plan to FILE (not inside the evidence)\n"
	"  --vm ID|NAME             only this VM\n"
	"  --password-file FILE     PFX password candidates, one per line\n"
	"  --ask-password           prompt for a PFX password (no echo)\n"
	"  --try-default-passwords  also try a short list of common export passwords\n"
	"  --follow-symlinks        follow symbolic links inside evidence directories\n"
	"  -q, --quiet              only errors on stderr\n"
	"  -h, --help               this help\n"
	"\n"
	"The HVTPM_PFX_PASSWORD environment variable is also tried.  Never put a\n"
	"password on the command line.\n"
	"Exit status: 0 every VM no_vtpm or restorable; 1 attention needed; 2 rebuild;\n"
	"3 usage error; 4 input error; 5 internal error (the highest applies).\n";

static const struct option longopts[] = {
	{ "plan", required_argument, NULL, OPT_PLAN },
	{ "plan-out", required_argument, NULL, OPT_PLAN_OUT },
	{ "vm", required_argument, NULL, OPT_VM },
	DX_COMMON_LONGOPTS,
};

/* True when path would land inside one of the evidence paths. */
static bool inside_evidence(const char *path, char *const *ev, size_t n)
{
	char *copy = xstrdup(path);
	char *slash = strrchr(copy, '/');
	const char *dir = slash ? (slash == copy ? "/" : (*slash = '\0', copy)) : ".";
	char rd[PATH_MAX];
	bool inside = false;
	if (realpath(dir, rd)) {
		for (size_t i = 0; i < n && !inside; i++) {
			char re[PATH_MAX];
			if (!realpath(ev[i], re))
				continue;
			size_t l = strlen(re);
			if (strcmp(rd, re) == 0 || (strncmp(rd, re, l) == 0 && rd[l] == '/'))
				inside = true;
			/* a file named directly: its folder counts as evidence too */
			struct stat st;
			if (stat(re, &st) != 0 || S_ISDIR(st.st_mode))
				continue;
			char *ef = xstrdup(re);
			char *s = strrchr(ef, '/');
			if (s && s != ef) {
				*s = '\0';
				if (strcmp(rd, ef) == 0)
					inside = true;
			}
			free(ef);
		}
	}
	free(copy);
	return inside;
}

static bool vm_selected(const evidence *e, size_t i, void *ctx)
{
	const char *want = ctx;
	const ev_vm *vm = &e->vms[i];
	return !want || guid_str_eq(vm->id, want) || strcmp(vm->id, want) == 0 ||
	       (vm->name && strcmp(vm->name, want) == 0);
}

static int write_plan(const evidence *e, dx_result *r, const char *plan_out)
{
	if (r->nvms != 1) {
		cli_err("diagnose", "--plan needs exactly one VM but %zu were found; choose one "
				    "with --vm", r->nvms);
		return HV_EXIT_USAGE;
	}
	FILE *o = stdout;
	if (plan_out) {
		o = fopen(plan_out, "wx");
		if (!o) {
			cli_err("diagnose", "cannot create %s (it must not exist yet)", plan_out);
			return HV_EXIT_USAGE;
		}
	}
	char g[32];
	time_to_iso(r->generated_at, g);
	plan_powershell(o, e, &r->vms[0].v, &r->vms[0].pv, g);
	if (o != stdout && fclose(o) != 0) {
		cli_err("diagnose", "writing %s failed", plan_out);
		return HV_EXIT_INTERNAL;
	}
	return HV_EXIT_OK;
}

int cmd_diagnose(int argc, char **argv)
{
	dx_opts o;
	dx_opts_init(&o);
	out_format fmt = OUT_TEXT;
	const char *plan_kind = NULL, *plan_out = NULL, *want = NULL;
	int c;
	while ((c = cli_getopt("diagnose", argc, argv, "qh", longopts)) != -1) {
		int h = dx_opts_parse("diagnose", &o, c == 'q' ? OPT_QUIET : c, optarg);
		if (h < 0)
			return cli_usage_error("diagnose");
		if (h > 0)
			continue;
		switch (c) {
		case 'h':
			fputs(usage_text, stdout);
			return HV_EXIT_OK;
		case OPT_FORMAT:
			if (!cli_parse_format("diagnose", optarg, &fmt, false))
				return cli_usage_error("diagnose");
			break;
		case OPT_PLAN:
			if (strcmp(optarg, "powershell") != 0) {
				cli_err("diagnose", "--plan knows only 'powershell', not '%s'", optarg);
				return cli_usage_error("diagnose");
			}
			plan_kind = optarg;
			break;
		case OPT_PLAN_OUT:
			plan_out = optarg;
			break;
		case OPT_VM:
			want = optarg;
			break;
		default:
			return cli_usage_error("diagnose");
		}
	}
	if (optind >= argc) {
		cli_err("diagnose", "no evidence given");
		return cli_usage_error("diagnose");
	}
	if (plan_out && !plan_kind)
		plan_kind = "powershell";
	char *const *paths = argv + optind;
	size_t npaths = (size_t)(argc - optind);
	if (plan_out && inside_evidence(plan_out, paths, npaths)) {
		cli_err("diagnose", "refusing to write %s inside the evidence", plan_out);
		return cli_usage_error("diagnose");
	}
	out_init_colour(stdout);

	evidence e;
	evidence_init(&e);
	if (!dx_collect("diagnose", &o, paths, npaths, &e, NULL, NULL)) {
		evidence_free(&e);
		return HV_EXIT_USAGE;
	}
	dx_result r;
	verdict_opts vo = dx_verdict_opts(&o);
	dx_evaluate(&e, &vo, time(NULL), &r);
	dx_filter(&e, &r, vm_selected, (void *)want);
	if (want && r.nvms == 0) {
		cli_err("diagnose", "no VM '%s' in the evidence", want);
		dx_result_free(&r);
		evidence_free(&e);
		return HV_EXIT_USAGE;
	}
	dx_print_findings(&e, o.quiet);
	int rc;
	if (plan_kind) {
		rc = write_plan(&e, &r, plan_out);
		if (rc == HV_EXIT_OK)
			rc = dx_exit_code(&e, &r);
	} else {
		if (fmt == OUT_JSON) {
			json_object *j = dx_report_json(&e, &r);
			out_json(stdout, j);
			json_object_put(j);
		} else {
			dx_report_text(stdout, &e, &r);
		}
		rc = dx_exit_code(&e, &r);
	}
	if (fflush(stdout) != 0)
		rc = HV_EXIT_INTERNAL;
	dx_result_free(&r);
	evidence_free(&e);
	return rc;
}
