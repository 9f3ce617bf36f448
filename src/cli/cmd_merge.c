/* cmd_merge.c - hvtpm merge: decide once over the facts several audits wrote. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/audit_run.h"
#include "cli/cli.h"
#include "model/facts_file.h"
#include "report/findings_report.h"
#include "report/out.h"
#include "report/term.h"
#include "util/exitcode.h"

static const char usage_text[] =
	"usage: hvtpm merge [OPTIONS] FACTS...\n"
	"\n"
	"Ties together the facts files that 'hvtpm audit --facts-out' wrote on several\n"
	"machines (VMs on one, the PFX vault on another) and prints the report one\n"
	"audit over all their paths would print, in any audit format.  Nothing but the\n"
	"facts files is read: no evidence, no password.  When the shards carry\n"
	"different labels (audit --shard, default the host name), every path is shown\n"
	"as LABEL:PATH.\n"
	"\n"
	"Options:\n"
	"  --at DATE                evaluate certificates at DATE (ISO 8601; default now)\n"
	"  --warn-days N            certificates expiring within N days: expiring (90)\n"
	"  --format FORMAT          text, json, csv, jsonl or html (text)\n"
	"  --table vms|certs        the table --format csv writes (vms)\n"
	"  --verdict LIST           only VMs with these verdicts (comma-separated)\n"
	"  --expiring-before DATE   only VMs whose certificates expire before DATE\n"
	"  -q, --quiet              only errors on stderr\n"
	"  -h, --help               this help\n"
	"\n"
	"A facts file from another schema version, a damaged or cut one (its end line\n"
	"proves the lines before it) stops the merge with the file and line named\n"
	"(exit 4); the same shard given twice is a usage error (exit 3).  Otherwise the\n"
	"exit status is audit's.\n";

static const struct option longopts[] = {
	{ "at", required_argument, NULL, OPT_AT },
	{ "warn-days", required_argument, NULL, OPT_WARN_DAYS },
	{ "format", required_argument, NULL, OPT_FORMAT },
	{ "table", required_argument, NULL, OPT_TABLE },
	{ "verdict", required_argument, NULL, OPT_VERDICT },
	{ "expiring-before", required_argument, NULL, OPT_EXPIRING_BEFORE },
	{ "quiet", no_argument, NULL, 'q' },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

/* Returns -1 to go on, else the exit code. */
static int parse_args(int argc, char **argv, audit_opts *o)
{
	int c;
	while ((c = cli_getopt("merge", argc, argv, "qh", longopts)) != -1) {
		if (c == 'h') {
			fputs(usage_text, stdout);
			return HV_EXIT_OK;
		}
		if (c == OPT_FORMAT) {
			if (!cli_parse_format("merge", optarg, &o->fmt, true))
				return cli_usage_error("merge");
			continue;
		}
		if (c == OPT_TABLE) {
			if (!audit_parse_table(optarg, &o->table)) {
				cli_err("merge", "--table wants vms or certs, not '%s'", optarg);
				return cli_usage_error("merge");
			}
			o->table_given = true;
			continue;
		}
		int h = dx_opts_parse("merge", &o->dx, c == 'q' ? OPT_QUIET : c, optarg);
		if (h <= 0)
			return cli_usage_error("merge");
	}
	if (o->table_given && o->fmt != OUT_CSV) {
		cli_err("merge", "--table applies to --format csv only");
		return cli_usage_error("merge");
	}
	if (optind >= argc) {
		cli_err("merge", "no facts file given");
		return cli_usage_error("merge");
	}
	return -1;
}

static int load_error(const hv_findings *f, hv_err rc, const facts_loaded *fl)
{
	findings_print(stderr, "hvtpm merge", f, HV_SEV_WARN);
	if (fl->duplicate)
		return HV_EXIT_USAGE;
	return rc == HV_ERR_INTERNAL ? HV_EXIT_INTERNAL : HV_EXIT_INPUT;
}

int cmd_merge(int argc, char **argv)
{
	audit_opts o;
	memset(&o, 0, sizeof o);
	dx_opts_init(&o.dx);
	int rc = parse_args(argc, argv, &o);
	if (rc >= 0) {
		dx_opts_free(&o.dx);
		return rc;
	}
	char *const *files = argv + optind;
	size_t nfiles = (size_t)(argc - optind);
	out_init_colour(stdout);
	out_init_width(stdout);

	evidence e;
	evidence_init(&e);
	collector *c = collector_new_offline(&e);
	facts_loaded fl;
	hv_findings problems = { 0 };
	hv_err lrc = facts_load(c, files, nfiles, &fl, &problems);
	if (lrc == HV_OK)
		collector_finish(c);
	else
		collector_discard(c);
	if (lrc != HV_OK) {
		rc = load_error(&problems, lrc, &fl);
	} else {
		o.dx.npasswords = fl.npasswords;
		if (!o.dx.quiet)
			for (size_t i = 0; i < fl.nfiles; i++) {
				char *esc = term_escape(files[i]);
				fprintf(stderr, "hvtpm merge: note: %s: facts read (sha256 %s)\n", esc,
					fl.sha256[i]);
				free(esc);
			}
		rc = audit_run("merge", &o, &e, fl.roots, fl.nroots);
	}
	findings_free(&problems);
	facts_loaded_free(&fl);
	evidence_free(&e);
	dx_opts_free(&o.dx);
	return rc;
}
