/*
 * cmd_inspect.c - hvtpm inspect: what a file is, and what it holds.
 *
 * Files, folders and archives go through the same pipeline as diagnose and
 * audit (model/pipeline.h): the same reader decides what each file is.
 * This command only renders each file's facts as they come (JSON is
 * written file by file, never held whole).
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli/cli.h"
#include "model/pipeline.h"
#include "report/findings_report.h"
#include "report/inspect_report.h"
#include "report/out.h"
#include "util/exitcode.h"
#include "util/text.h"

static const char usage_text[] =
	"usage: hvtpm inspect [OPTIONS] FILE|DIR...\n"
	"\n"
	"Shows what each file is (detected by content, not by name) and what it holds:\n"
	"VM configurations (.vmcx, .vmrs, data.vmcx, legacy .xml), guest state files\n"
	"(.vmgs), key protectors in any saved form or embedded in other files, PFX and\n"
	"certificate files, guardian metadata, virtual disks (VHDX, VHD, raw) with their\n"
	"BitLocker protectors, and archives (.zip, .tar, .tar.gz/.bz2/.xz, .7z: every\n"
	"member, read in memory).\n"
	"\n"
	"Options:\n"
	"  --tree                   print the whole configuration key/value tree\n"
	"  --format text|json       output format (text)\n"
	"  --at DATE                evaluate certificate validity at DATE (default now)\n"
	"  --password-file FILE     PFX password candidates, one per line\n"
	"  --ask-password           prompt for a PFX password (no echo)\n"
	"  --try-default-passwords  also try common export-script passwords (P@ssword)\n"
	"  --follow-symlinks        follow symbolic links inside directories\n"
	"  -h, --help               this help\n"
	"\n"
	"Every file ends in one class: used, damaged, unrecognised, unreadable or\n"
	"skipped.\n"
	"Long options are never abbreviated.  The same files and --at give the same\n"
	"bytes: generated_at is SOURCE_DATE_EPOCH when set, else --at, else now.\n"
	"Exit status: 0 every file read; 3 usage error; 4 a file is damaged, unreadable,\n"
	"skipped or could not be opened; 5 internal error.\n";

enum {
	O_TREE = 1000,
	O_FORMAT,
	O_AT,
	O_PWFILE,
	O_ASK,
	O_DEFAULTS,
	O_FOLLOW,
};

static const struct option longopts[] = {
	{ "tree", no_argument, NULL, O_TREE },
	{ "format", required_argument, NULL, O_FORMAT },
	{ "at", required_argument, NULL, O_AT },
	{ "password-file", required_argument, NULL, O_PWFILE },
	{ "ask-password", no_argument, NULL, O_ASK },
	{ "try-default-passwords", no_argument, NULL, O_DEFAULTS },
	{ "follow-symlinks", no_argument, NULL, O_FOLLOW },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

typedef struct {
	inspect_report_opts ro;
	bool json;
	size_t count;
	size_t nclass[EVC_COUNT];
	size_t locked;      /* PFX files that need a password we do not have */
	int rc;
} run_state;

/*
 * Exit status 4: a file that is damaged, unreadable or skipped, that could
 * not be opened (a PFX without its password), or whose reading met an error.
 */
static int file_exit_code(const file_facts *x)
{
	if (x->status == HV_ERR_INTERNAL)
		return HV_EXIT_INTERNAL;
	if (x->cls == EVC_DAMAGED || x->cls == EVC_UNREADABLE || x->cls == EVC_SKIPPED ||
	    x->status != HV_OK || findings_count(&x->findings, HV_SEV_ERROR))
		return HV_EXIT_INPUT;
	return HV_EXIT_OK;
}

/* On the thread that read the file: its paths resolved, its JSON made. */
static void prepare(void *ctx, file_facts *x)
{
	const run_state *rs = ctx;
	if (x->vm)
		vm_resolve_paths(x->vm, x->root, x->member_at);
	if (rs->json)
		x->prepared = inspect_json_file_text(inspect_report_json(x, &rs->ro),
						     &x->prepared_len);
}

static void on_file(void *ctx, file_facts *x)
{
	run_state *rs = ctx;
	findings_print_grouped(stderr, "hvtpm inspect", &x->findings, HV_SEV_NOTE);
	if (rs->json) {
		inspect_json_file_put(stdout, x->prepared, x->prepared_len, rs->count);
	} else {
		if (rs->count)
			fputc('\n', stdout);
		inspect_report_text(stdout, x, &rs->ro);
	}
	rs->count++;
	rs->nclass[x->cls]++;
	rs->locked += x->status == HV_ERR_PASSWORD;
	int rc = file_exit_code(x);
	if (rc > rs->rc)
		rs->rc = rc;
}

typedef struct {
	out_format fmt;
	bool tree, follow;
	time_t at;
	bool at_given;
	hv_pw_options pwo;
} inspect_args;

/* Returns -1 to go on, else the exit code. */
static int parse_args(int argc, char **argv, inspect_args *a)
{
	int c;
	while ((c = cli_getopt("inspect", argc, argv, "h", longopts)) != -1) {
		switch (c) {
		case 'h':
			fputs(usage_text, stdout);
			return HV_EXIT_OK;
		case O_TREE:
			a->tree = true;
			break;
		case O_FORMAT:
			if (!cli_parse_format("inspect", optarg, &a->fmt, false))
				return cli_usage_error("inspect");
			break;
		case O_AT:
			if (!cli_parse_date("inspect", "--at", optarg, &a->at))
				return cli_usage_error("inspect");
			a->at_given = true;
			break;
		case O_PWFILE:
			a->pwo.file = optarg;
			break;
		case O_ASK:
			a->pwo.ask = true;
			break;
		case O_DEFAULTS:
			a->pwo.defaults = true;
			break;
		case O_FOLLOW:
			a->follow = true;
			break;
		default:
			return cli_usage_error("inspect");
		}
	}
	if (optind >= argc) {
		cli_err("inspect", "no file given");
		return cli_usage_error("inspect");
	}
	return -1;
}

int cmd_inspect(int argc, char **argv)
{
	inspect_args a = { OUT_TEXT, false, false, time(NULL), false, { NULL, true, false, false } };
	int rc = parse_args(argc, argv, &a);
	if (rc >= 0)
		return rc;
	out_init_colour(stdout);
	hv_passwords pw;
	passwords_init(&pw);
	hv_findings f = { 0 };
	if (passwords_collect(&pw, &a.pwo, &f) != HV_OK) {
		findings_print(stderr, "hvtpm inspect", &f, HV_SEV_NOTE);
		findings_free(&f);
		passwords_free(&pw);
		return HV_EXIT_USAGE;
	}
	run_state rs;
	memset(&rs, 0, sizeof rs);
	rs.ro.at = a.at;
	rs.ro.tree = a.tree;
	rs.json = a.fmt == OUT_JSON;
	pipeline_opts po;
	memset(&po, 0, sizeof po);
	po.id.pw = &pw;
	po.id.keep = true;
	po.id.tree = a.tree;
	po.id.follow_symlinks = a.follow;
	po.follow_symlinks = a.follow;
	po.threads = pipeline_default_threads();
	po.on_file = on_file;
	po.prepare = prepare;
	po.ctx = &rs;
	if (rs.json) {
		char g[32];
		time_to_iso(cli_generated_at(a.at_given, a.at, time(NULL)), g);
		inspect_json_begin(stdout, g);
	}
	pipeline_run(argv + optind, (size_t)(argc - optind), &po);
	if (rs.locked && !pw.n)
		fprintf(stderr, "hvtpm inspect: %zu PFX file%s could not be opened: no password was "
				"given. Give one with --password-file FILE, --ask-password or "
				"HVTPM_PFX_PASSWORD, or try --try-default-passwords (passwords of common "
				"export scripts, P@ssword among them).\n",
			rs.locked, rs.locked == 1 ? "" : "s");
	passwords_free(&pw);
	if (rs.json)
		inspect_json_end(stdout, rs.nclass, rs.count, rs.rc);
	if (fflush(stdout) != 0)
		return HV_EXIT_INTERNAL;
	return rs.rc;
}
