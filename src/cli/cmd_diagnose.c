/* cmd_diagnose.c - hvtpm diagnose: restore or rebuild, per VM, with reasons and a plan. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cli/cli.h"
#include "cli/diag_common.h"
#include "cli/out_file.h"
#include "report/diagnose_report.h"
#include "report/html_report.h"
#include "report/plan_ps.h"
#include "report/out.h"
#include "report/term.h"
#include "util/exitcode.h"
#include "util/strbuf.h"
#include "util/text.h"
#include "util/xalloc.h"

static const char usage_text[] =
	"usage: hvtpm diagnose [OPTIONS] EVIDENCE...\n"
	"\n"
	"Says for each VM found in the evidence whether it can be restored with the\n"
	"certificates at hand or must be rebuilt, why, and what to do.  EVIDENCE is any\n"
	"mix of VM folders, .vmcx/.xml configs, .vmrs/.vmgs files, saved key protectors,\n"
	"PFX/certificate files, guardian XML and directories (read recursively).\n"
	"The text report opens with one line per VM, worst first, then the details.\n"
	"\n"
	"Options:\n"
	"  --at DATE                evaluate certificates at DATE (ISO 8601; default now)\n"
	"  --warn-days N            expiring within N days counts as expired (90)\n"
	"  --format text|json|html  output format (text)\n"
	"  --vm NAME|ID             only this VM (name in any case, or id; repeatable)\n"
	"  --verdict LIST           only VMs with these verdicts (comma-separated, e.g.\n"
	"                           rebuild,rebuild_data_loss,needs_password)\n"
	"  --expiring-before DATE   only VMs whose certificates expire before DATE\n"
	"  --plan powershell        print one PowerShell script for every VM reported\n"
	"  --plan-out FILE          write that script to FILE (a new file, not inside\n"
	"                           the evidence or the VM folder it belongs to)\n"
	"  --plan-dir DIR           write one script per VM into the new folder DIR\n"
	"  --password-file FILE     PFX password candidates, one per line\n"
	"  --ask-password           prompt for a PFX password (no echo)\n"
	"  --try-default-passwords  also try common export-script passwords (P@ssword)\n"
	"  --follow-symlinks        follow symbolic links inside evidence directories\n"
	"  -q, --quiet              only errors on stderr\n"
	"  -h, --help               this help\n"
	"\n"
	"Verdicts: no_vtpm, restorable, restorable_expired, degraded, needs_password,\n"
	"hgs, unknown, rebuild, rebuild_data_loss.  Long options are never abbreviated.\n"
	"The HVTPM_PFX_PASSWORD environment variable is also tried.  Never put a\n"
	"password on the command line.\n"
	"Exit status: 0 every VM reported no_vtpm or restorable; 1 attention needed;\n"
	"2 rebuild; 3 usage error; 4 input error; 5 internal error (the highest applies).\n";

static const struct option longopts[] = {
	{ "plan", required_argument, NULL, OPT_PLAN },
	{ "plan-out", required_argument, NULL, OPT_PLAN_OUT },
	{ "plan-dir", required_argument, NULL, OPT_PLAN_DIR },
	{ "vm", required_argument, NULL, OPT_VM },
	DX_COMMON_LONGOPTS,
};

/*
 * A file name made of [A-Za-z0-9._-] from evidence text (at most max bytes);
 * never starting with '.' (hidden) or '-' (an option to the tools that
 * handle the file next).
 */
static void safe_name(strbuf *sb, const char *s, size_t max)
{
	size_t n = 0;
	for (; s && *s && n < max; s++, n++) {
		char c = *s;
		bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
			  ((c == '-' || c == '.') && n > 0);
		if (!ok)
			c = '_';
		sb_addc(sb, c);
	}
	if (!n)
		sb_adds(sb, "vm");
}

/* Creates DIR/NAME.ps1 exclusively (NAME-2.ps1, ... when taken); NULL with a message. */
static FILE *create_plan_file(const char *dir, const ev_vm *vm, strbuf *path)
{
	strbuf base = STRBUF_INIT;
	safe_name(&base, vm->name ? vm->name : vm->id, 48);
	sb_addc(&base, '_');
	safe_name(&base, vm->id, 8);
	for (int k = 1; k < 1000; k++) {
		sb_reset(path);
		sb_addf(path, "%s/%s", dir, sb_str(&base));
		if (k > 1)
			sb_addf(path, "-%d", k);
		sb_adds(path, ".ps1");
		int fd = open(sb_str(path), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0644);
		if (fd >= 0) {
			sb_free(&base);
			FILE *o = fdopen(fd, "w");
			if (!o)
				close(fd);
			return o;
		}
		if (errno != EEXIST)
			break;
	}
	sb_free(&base);
	char *esc = term_escape(sb_str(path));
	cli_err("diagnose", "cannot create %s: %s", esc, strerror(errno));
	free(esc);
	return NULL;
}

/* --plan-dir: a new folder with one script per VM. */
static int write_plan_dir(const evidence *e, const dx_result *r, const char *dir,
			  const char *at)
{
	if (mkdir(dir, 0755) != 0) {
		char *esc = term_escape(dir);
		cli_err("diagnose", errno == EEXIST ? "refusing to write into %s: it exists already "
						      "(--plan-dir makes a new folder)"
						    : "cannot create the folder %s: %s",
			esc, strerror(errno));
		free(esc);
		return HV_EXIT_USAGE;
	}
	strbuf path = STRBUF_INIT;
	int rc = HV_EXIT_OK;
	for (size_t i = 0; i < r->nvms && rc == HV_EXIT_OK; i++) {
		FILE *o = create_plan_file(dir, &e->vms[r->vms[i].vm], &path);
		if (!o) {
			rc = HV_EXIT_INTERNAL;
			break;
		}
		plan_powershell(o, e, &r->vms[i].v, &r->vms[i].pv, at);
		if (fclose(o) != 0) {
			cli_err("diagnose", "writing a plan into the plan folder failed");
			rc = HV_EXIT_INTERNAL;
		}
	}
	sb_free(&path);
	return rc;
}

/* --plan powershell [--plan-out FILE]: one script for every VM reported. */
static int write_plan(const evidence *e, const dx_result *r, const char *plan_out,
		      const char *at)
{
	if (!r->nvms) {
		cli_err("diagnose", "no VM to write a plan for");
		return HV_EXIT_USAGE;
	}
	FILE *o = stdout;
	if (plan_out && !(o = out_create("diagnose", plan_out)))
		return HV_EXIT_USAGE;
	plan_powershell_all(o, e, r, at);
	if (o != stdout && fclose(o) != 0) {
		char *esc = term_escape(plan_out);
		cli_err("diagnose", "writing %s failed", esc);
		free(esc);
		return HV_EXIT_INTERNAL;
	}
	return HV_EXIT_OK;
}

typedef struct {
	dx_opts o;
	out_format fmt;
	const char *plan_kind, *plan_out, *plan_dir;
} diag_args;

/* Returns -1 to go on, else the exit code. */
static int parse_args(int argc, char **argv, diag_args *a)
{
	int c;
	while ((c = cli_getopt("diagnose", argc, argv, "qh", longopts)) != -1) {
		int h = dx_opts_parse("diagnose", &a->o, c == 'q' ? OPT_QUIET : c, optarg);
		if (h < 0)
			return cli_usage_error("diagnose");
		if (h > 0)
			continue;
		switch (c) {
		case 'h':
			fputs(usage_text, stdout);
			return HV_EXIT_OK;
		case OPT_FORMAT:
			if (!cli_parse_format("diagnose", optarg, &a->fmt, false))
				return cli_usage_error("diagnose");
			break;
		case OPT_PLAN:
			if (strcmp(optarg, "powershell") != 0) {
				char *esc = term_escape(optarg);
				cli_err("diagnose", "--plan knows only 'powershell', not '%s'", esc);
				free(esc);
				return cli_usage_error("diagnose");
			}
			a->plan_kind = optarg;
			break;
		case OPT_PLAN_OUT:
			a->plan_out = optarg;
			break;
		case OPT_PLAN_DIR:
			a->plan_dir = optarg;
			break;
		case OPT_VM:
			if (!dx_opts_add_vm("diagnose", &a->o, optarg))
				return cli_usage_error("diagnose");
			break;
		default:
			return cli_usage_error("diagnose");
		}
	}
	if (optind >= argc) {
		cli_err("diagnose", "no evidence given");
		return cli_usage_error("diagnose");
	}
	if (a->plan_out && a->plan_dir) {
		cli_err("diagnose", "--plan-out and --plan-dir exclude each other");
		return cli_usage_error("diagnose");
	}
	if ((a->plan_out || a->plan_dir) && !a->plan_kind)
		a->plan_kind = "powershell";
	if (a->plan_kind && a->fmt != OUT_TEXT) {
		cli_err("diagnose", "--plan writes PowerShell: --format does not apply to it");
		return cli_usage_error("diagnose");
	}
	const char *target = a->plan_out ? a->plan_out : a->plan_dir;
	if (!target)
		return -1;
	if (out_refuse_inside("diagnose", a->plan_out ? "--plan-out" : "--plan-dir", target,
			      argv + optind, (size_t)(argc - optind)))
		return cli_usage_error("diagnose");
	return -1;
}

static int report(const diag_args *a, const evidence *e, dx_result *r, char *const *paths,
		  size_t npaths)
{
	char g[32];
	time_to_iso(r->generated_at, g);
	if (a->plan_dir)
		return write_plan_dir(e, r, a->plan_dir, g);
	if (a->plan_kind)
		return write_plan(e, r, a->plan_out, g);
	if (a->fmt == OUT_JSON) {
		json_object *j = dx_report_json(e, r, &a->o.filter);
		out_json(stdout, j);
		json_object_put(j);
	} else if (a->fmt == OUT_HTML) {
		html_meta hm = { paths, npaths, r->generated_at };
		(void)html_report_diagnose(stdout, e, r, &hm); /* ferror(stdout) in the caller */
	} else {
		dx_report_text(stdout, e, r, &a->o.filter);
	}
	return HV_EXIT_OK;
}

int cmd_diagnose(int argc, char **argv)
{
	diag_args a;
	memset(&a, 0, sizeof a);
	dx_opts_init(&a.o);
	int rc = parse_args(argc, argv, &a);
	if (rc >= 0) {
		dx_opts_free(&a.o);
		return rc;
	}
	char *const *paths = argv + optind;
	size_t npaths = (size_t)(argc - optind);
	out_init_colour(stdout);
	out_init_width(stdout);

	evidence e;
	evidence_init(&e);
	if (!dx_collect("diagnose", &a.o, paths, npaths, &e, NULL, NULL)) {
		evidence_free(&e);
		dx_opts_free(&a.o);
		return HV_EXIT_USAGE;
	}
	dx_print_findings("diagnose", &e, &a.o);
	if (!dx_check_vms("diagnose", &a.o, &e)) {
		evidence_free(&e);
		dx_opts_free(&a.o);
		return HV_EXIT_USAGE;
	}
	dx_result r;
	verdict_opts vo = dx_verdict_opts(&a.o);
	verdict_context vc = dx_verdict_context(&a.o);
	dx_evaluate_in(&e, &vo, &vc, dx_generated_at(&a.o, time(NULL)), &r);
	dx_apply_filter(&e, &r, &a.o.filter);
	if (a.fmt != OUT_JSON)
		dx_sort_urgent(&e, &r);
	rc = report(&a, &e, &r, paths, npaths);
	if (rc == HV_EXIT_OK)
		rc = dx_exit_code(&e, &r);
	if (fflush(stdout) != 0 || ferror(stdout))
		rc = HV_EXIT_INTERNAL;
	dx_result_free(&r);
	evidence_free(&e);
	dx_opts_free(&a.o);
	return rc;
}
