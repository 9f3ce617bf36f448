/*
 * cmd_inspect.c - hvtpm inspect: what a file is, and what it holds.
 *
 * The format is detected by content, in the same order the collector uses.
 * Every report names the file and its SHA-256.  Directories are walked and
 * each file in them is inspected.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli/cli.h"
#include "cli/inspect.h"
#include "model/walk.h"
#include "report/out.h"
#include "util/exitcode.h"
#include "util/fileio.h"
#include "util/text.h"

static const char usage_text[] =
	"usage: hvtpm inspect [OPTIONS] FILE|DIR...\n"
	"\n"
	"Shows what each file is (detected by content, not by name) and what it holds:\n"
	"VM configurations (.vmcx, .vmrs, data.vmcx, legacy .xml), key protectors in any\n"
	"saved form or embedded in other files, PFX and certificate files, guardian\n"
	"metadata, and virtual disks (VHDX, VHD, raw) with their BitLocker protectors.\n"
	"\n"
	"Options:\n"
	"  --tree                   print the whole configuration key/value tree\n"
	"  --format text|json       output format (text)\n"
	"  --at DATE                evaluate certificate validity at DATE (default now)\n"
	"  --password-file FILE     PFX password candidates, one per line\n"
	"  --ask-password           prompt for a PFX password (no echo)\n"
	"  --try-default-passwords  also try a short list of common export passwords\n"
	"  --follow-symlinks        follow symbolic links inside directories\n"
	"  -h, --help               this help\n"
	"\n"
	"Exit status: 0 every file read; 3 usage error; 4 a file is unreadable, corrupt,\n"
	"unsupported or could not be opened; 5 internal error.\n";

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
	inspect_opts io;
	json_object *files;  /* JSON mode: one object per file */
	int rc;
	size_t count;
} run_state;

static bool on_file(const char *path, const struct stat *st, const char *root, void *ctx)
{
	(void)st;
	(void)root;
	run_state *rs = ctx;
	if (rs->count++ && !rs->files)
		fputc('\n', stdout);
	int rc = inspect_path(path, &rs->io, rs->files);
	if (rc > rs->rc)
		rs->rc = rc;
	return true;
}

int cmd_inspect(int argc, char **argv)
{
	run_state rs;
	memset(&rs, 0, sizeof rs);
	rs.io.at = time(NULL);
	out_format fmt = OUT_TEXT;
	hv_pw_options pwo = { NULL, true, false, false };
	bool follow = false;
	int c;
	while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		switch (c) {
		case 'h':
			fputs(usage_text, stdout);
			return HV_EXIT_OK;
		case O_TREE:
			rs.io.tree = true;
			break;
		case O_FORMAT:
			if (!cli_parse_format("inspect", optarg, &fmt, false))
				return cli_usage_error("inspect");
			break;
		case O_AT:
			if (!iso_parse(optarg, &rs.io.at)) {
				cli_err("inspect", "--at wants an ISO 8601 date, not '%s'", optarg);
				return cli_usage_error("inspect");
			}
			break;
		case O_PWFILE:
			pwo.file = optarg;
			break;
		case O_ASK:
			pwo.ask = true;
			break;
		case O_DEFAULTS:
			pwo.defaults = true;
			break;
		case O_FOLLOW:
			follow = true;
			break;
		default:
			return cli_usage_error("inspect");
		}
	}
	if (optind >= argc) {
		cli_err("inspect", "no file given");
		return cli_usage_error("inspect");
	}
	out_init_colour(stdout);
	hv_passwords pw;
	passwords_init(&pw);
	hv_findings f = { 0 };
	if (passwords_collect(&pw, &pwo, &f) != HV_OK) {
		for (size_t i = 0; i < f.n; i++) {
			char *l = finding_format(&f.v[i]);
			cli_err("inspect", "%s", l);
			free(l);
		}
		findings_free(&f);
		passwords_free(&pw);
		return HV_EXIT_USAGE;
	}
	rs.io.pw = &pw;
	rs.io.follow_symlinks = follow;
	if (fmt == OUT_JSON)
		rs.files = json_object_new_array();
	walk_opts wo = { follow };
	walk_paths(argv + optind, (size_t)(argc - optind), &wo, on_file, &rs, &f);
	passwords_free(&pw);
	for (size_t i = 0; i < f.n; i++) {
		char *l = finding_format(&f.v[i]);
		cli_err("inspect", "%s", l);
		free(l);
	}
	if (findings_count(&f, HV_SEV_WARN) && rs.rc < HV_EXIT_INPUT)
		rs.rc = HV_EXIT_INPUT;
	findings_free(&f);
	if (rs.files) {
		json_object *doc = json_object_new_object();
		char g[32];
		time_to_iso(time(NULL), g);
		jadd_int(doc, "schema_version", HVTPM_SCHEMA_VERSION);
		jadd_str(doc, "tool", "hvtpm " HVTPM_VERSION);
		jadd_str(doc, "generated_at", g);
		json_object_object_add(doc, "files", rs.files);
		out_json(stdout, doc);
		json_object_put(doc);
	}
	if (fflush(stdout) != 0)
		return HV_EXIT_INTERNAL;
	return rs.rc;
}
