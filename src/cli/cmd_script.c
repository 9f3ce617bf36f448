/*
 * cmd_script.c - hvtpm script export|import|collect: PowerShell scripts for
 * the Hyper-V host (report/host_scripts.h).  hvtpm runs offline; the scripts
 * run on the host.  They hold no password and never overwrite a file; this
 * command never overwrites one either (--out creates the file, O_EXCL).
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli/cli.h"
#include "cli/out_file.h"
#include "report/host_scripts.h"
#include "report/term.h"
#include "util/exitcode.h"
#include "util/strbuf.h"
#include "util/text.h"
#include "util/xalloc.h"

#define CMD "script"
#define MAX_PATH_BYTES 4096  /* --dest / --from */
#define MAX_VM_NAME 1024     /* bytes of one --vm (Hyper-V allows 100 characters) */
#define MAX_VMS 1024         /* --vm given this many times at most */

static const char usage_text[] =
	"usage: hvtpm script export  [--dest PATH] [--warn-days N] [--out FILE]\n"
	"       hvtpm script import  --from PATH [--out FILE]\n"
	"       hvtpm script collect [--dest PATH] [--vm NAME]... [--export-vm]\n"
	"                            [--include-certificates] [--warn-days N]\n"
	"                            [--out FILE]\n"
	"\n"
	"Writes a PowerShell script to run on a Hyper-V host (elevated; try -WhatIf\n"
	"first).  The scripts hold no password: they ask for one.\n"
	"\n"
	"  export   export every Shielded VM (UntrustedGuardian) certificate of the host\n"
	"           to PFX files named like the export scripts in use, prove each opens\n"
	"           with its private key, and write a manifest of what was exported\n"
	"  import   import the PFX files of such a folder into the Shielded VM store\n"
	"  collect  gather VM configurations, key protectors, security settings and the\n"
	"           guardian list for hvtpm diagnose\n"
	"\n"
	"Run 'hvtpm script COMMAND --help' for its options.  The script goes to stdout,\n"
	"or to --out FILE, which must not exist yet.\n"
	"Exit status: 0 ok, 3 usage error, 5 internal error.\n";

static const char export_usage[] =
	"usage: hvtpm script export [--dest PATH] [--warn-days N] [--out FILE]\n"
	"\n"
	"A script that exports every certificate of Cert:\\LocalMachine\\Shielded VM Local\n"
	"Certificates whose subject is 'Shielded VM Encryption|Signing Certificate\n"
	"(UntrustedGuardian) (<any host>)', of any age, to PFX files named\n"
	"<subject without CN=, spaces as _>.pfx (AES-256 where the host supports it),\n"
	"checks that each opens and holds its private key (Get-PfxData), and writes\n"
	"hvtpm-export-manifest.json beside them.  Identical exports are kept.\n"
	"\n"
	"Options:\n"
	"  --dest PATH      folder on the host for the PFX files (C:\\hvtpm-backup)\n"
	"  --warn-days N    warn about certificates expiring within N days (90)\n"
	"  --out FILE       write the script to FILE (must not exist) instead of stdout\n"
	"  -h, --help       this help\n"
	"Script parameters: -Dest, -WarnDays, -AnyGuardian, -TripleDES, -WhatIf.\n";

static const char import_usage[] =
	"usage: hvtpm script import --from PATH [--out FILE]\n"
	"\n"
	"A script that imports the PFX files of a folder (only Shielded VM certificates)\n"
	"into Cert:\\LocalMachine\\Shielded VM Local Certificates, creating the store when\n"
	"missing, compares them with the export manifest when there is one, and checks\n"
	"that every certificate is in the store with its private key.  It never deletes\n"
	"anything.\n"
	"\n"
	"Options:\n"
	"  --from PATH      folder on the host holding the PFX files\n"
	"  --out FILE       write the script to FILE (must not exist) instead of stdout\n"
	"  -h, --help       this help\n"
	"Script parameters: -From, -NotExportable, -WhatIf.\n";

static const char collect_usage[] =
	"usage: hvtpm script collect [--dest PATH] [--vm NAME]... [--export-vm]\n"
	"                            [--include-certificates] [--warn-days N]\n"
	"                            [--out FILE]\n"
	"\n"
	"A script that gathers on a host what hvtpm diagnose needs: per VM its\n"
	"configuration files (or an Export-VM), its key protector as raw bytes\n"
	"(Get-VMKeyProtector), its Get-VMSecurity facts as JSON, the guardian list\n"
	"(Get-HgsGuardian) and, if asked, the certificate export; then it prints the\n"
	"hvtpm diagnose command to run.\n"
	"\n"
	"Options:\n"
	"  --dest PATH              folder on the host (C:\\hvtpm-collect)\n"
	"  --vm NAME                only this VM (repeatable; default every VM)\n"
	"  --export-vm              Export-VM each VM (disks included) instead of copying\n"
	"                           its configuration files\n"
	"  --include-certificates   also export the Shielded VM certificates\n"
	"  --warn-days N            with --include-certificates: warning horizon (90)\n"
	"  --out FILE               write the script to FILE (must not exist), not stdout\n"
	"  -h, --help               this help\n"
	"Script parameters: -Dest, -VMName, -ExportVM, -IncludeCertificates, -WarnDays,\n"
	"-AnyGuardian, -TripleDES, -WhatIf.\n";

enum {
	OPT_DEST = 1000,
	OPT_FROM,
	OPT_OUT,
	OPT_WARN_DAYS,
	OPT_VM,
	OPT_EXPORT_VM,
	OPT_INCLUDE_CERTS,
};

static const struct option longopts[] = {
	{ "dest", required_argument, NULL, OPT_DEST },
	{ "from", required_argument, NULL, OPT_FROM },
	{ "out", required_argument, NULL, OPT_OUT },
	{ "warn-days", required_argument, NULL, OPT_WARN_DAYS },
	{ "vm", required_argument, NULL, OPT_VM },
	{ "export-vm", no_argument, NULL, OPT_EXPORT_VM },
	{ "include-certificates", no_argument, NULL, OPT_INCLUDE_CERTS },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

typedef enum { SCRIPT_EXPORT, SCRIPT_IMPORT, SCRIPT_COLLECT } script_kind;

static const struct {
	const char *name;
	script_kind kind;
	const char *usage;
	void (*write)(strbuf *, const host_script_opts *);
	const char *allowed; /* options (by enum offset letter) the command takes */
} kinds[] = {
	{ "export", SCRIPT_EXPORT, export_usage, host_script_export, "dow" },
	{ "import", SCRIPT_IMPORT, import_usage, host_script_import, "fo" },
	{ "collect", SCRIPT_COLLECT, collect_usage, host_script_collect, "dowvxi" },
};

typedef struct {
	host_script_opts h;
	const char *out;
	const char **vms;
	size_t nvms;
} script_args;

/* The long name of an option code. */
static const char *opt_name(int c)
{
	for (const struct option *o = longopts; o->name; o++)
		if (o->val == c)
			return o->name;
	return "?";
}

/* The letter of an option in kinds[].allowed. */
static char opt_letter(int c)
{
	switch (c) {
	case OPT_DEST:
		return 'd';
	case OPT_FROM:
		return 'f';
	case OPT_OUT:
		return 'o';
	case OPT_WARN_DAYS:
		return 'w';
	case OPT_VM:
		return 'v';
	case OPT_EXPORT_VM:
		return 'x';
	case OPT_INCLUDE_CERTS:
		return 'i';
	}
	return '?';
}

static bool parse_days(const char *s, int *out)
{
	char *end;
	errno = 0;
	long v = strtol(s, &end, 10);
	if (errno || end == s || *end || v < 0 || v > HOST_SCRIPT_MAX_WARN_DAYS) {
		cli_err(CMD, "--warn-days wants a whole number of days from 0 to %d, not '%s'",
			HOST_SCRIPT_MAX_WARN_DAYS, s);
		return false;
	}
	*out = (int)v;
	return true;
}

/* A value that goes into the script: not empty, not too long. */
static bool text_ok(const char *opt, const char *s, size_t max)
{
	size_t n = strlen(s);
	if (n == 0 || n > max) {
		cli_err(CMD, "--%s wants a value of 1 to %zu bytes", opt, max);
		return false;
	}
	return true;
}

static bool take_vm(script_args *a, const char *name)
{
	if (!text_ok("vm", name, MAX_VM_NAME))
		return false;
	if (a->nvms >= MAX_VMS) {
		cli_err(CMD, "--vm given more than %d times", MAX_VMS);
		return false;
	}
	a->vms = xrealloc(a->vms, (a->nvms + 1) * sizeof *a->vms);
	a->vms[a->nvms++] = name;
	return true;
}

/* One option; false after a usage error was printed. */
static bool take_opt(script_args *a, int c, const char *arg)
{
	switch (c) {
	case OPT_DEST:
		a->h.dest = arg;
		return text_ok("dest", arg, MAX_PATH_BYTES);
	case OPT_FROM:
		a->h.from = arg;
		return text_ok("from", arg, MAX_PATH_BYTES);
	case OPT_OUT:
		a->out = arg;
		return text_ok("out", arg, MAX_PATH_BYTES);
	case OPT_WARN_DAYS:
		return parse_days(arg, &a->h.warn_days);
	case OPT_VM:
		return take_vm(a, arg);
	case OPT_EXPORT_VM:
		a->h.export_vm = true;
		return true;
	case OPT_INCLUDE_CERTS:
		a->h.include_certificates = true;
		return true;
	}
	return false;
}

/* Returns -1 when parsed, else the exit code (help or usage error). */
static int parse(int argc, char **argv, size_t k, script_args *a)
{
	int c;
	while ((c = cli_getopt(CMD, argc, argv, ":h", longopts)) != -1) {
		if (c == 'h') {
			fputs(kinds[k].usage, stdout);
			return HV_EXIT_OK;
		}
		if (c == '?' || c == ':')
			return cli_usage_error(CMD);
		if (!strchr(kinds[k].allowed, opt_letter(c))) {
			cli_err(CMD, "%s does not take --%s", kinds[k].name, opt_name(c));
			return cli_usage_error(CMD);
		}
		if (!take_opt(a, c, optarg))
			return cli_usage_error(CMD);
	}
	if (optind < argc) {
		char *esc = term_escape(argv[optind]);
		cli_err(CMD, "%s takes no arguments ('%s')", kinds[k].name, esc);
		free(esc);
		return cli_usage_error(CMD);
	}
	if (kinds[k].kind == SCRIPT_IMPORT && !a->h.from) {
		cli_err(CMD, "import needs --from PATH (the folder of the PFX files on the host)");
		return cli_usage_error(CMD);
	}
	return -1;
}

/* SOURCE_DATE_EPOCH (reproducible output), else now. */
static void stamp(char out[32])
{
	time_to_iso(cli_generated_at(false, 0, time(NULL)), out);
}

static int write_script(const strbuf *sb, const char *out)
{
	if (!out) {
		fwrite(sb_str(sb), 1, sb->len, stdout);
		if (fflush(stdout) != 0 || ferror(stdout)) {
			cli_err(CMD, "writing the script to stdout failed");
			return HV_EXIT_INTERNAL;
		}
		return HV_EXIT_OK;
	}
	FILE *o = out_create(CMD, out);
	if (!o)
		return HV_EXIT_USAGE;
	size_t n = fwrite(sb_str(sb), 1, sb->len, o);
	if (fclose(o) != 0 || n != sb->len) {
		cli_err(CMD, "writing %s failed", out);
		return HV_EXIT_INTERNAL;
	}
	return HV_EXIT_OK;
}

static int run(size_t k, int argc, char **argv)
{
	script_args a;
	memset(&a, 0, sizeof a);
	host_script_opts_init(&a.h);
	int rc = parse(argc, argv, k, &a);
	if (rc < 0) {
		char at[32];
		stamp(at);
		a.h.generated_at = at;
		a.h.vms = a.vms;
		a.h.nvms = a.nvms;
		strbuf sb = STRBUF_INIT;
		kinds[k].write(&sb, &a.h);
		rc = write_script(&sb, a.out);
		sb_free(&sb);
	}
	free(a.vms);
	return rc;
}

int cmd_script(int argc, char **argv)
{
	if (argc < 2) {
		cli_err(CMD, "which script? export, import or collect");
		return cli_usage_error(CMD);
	}
	const char *sub = argv[1];
	if (strcmp(sub, "--help") == 0 || strcmp(sub, "-h") == 0 || strcmp(sub, "help") == 0) {
		fputs(usage_text, stdout);
		return HV_EXIT_OK;
	}
	for (size_t k = 0; k < sizeof kinds / sizeof *kinds; k++) {
		if (strcmp(sub, kinds[k].name) == 0) {
			optind = 1;
			return run(k, argc - 1, argv + 1);
		}
	}
	cli_err(CMD, "unknown script '%s' (expected export, import or collect)", sub);
	return cli_usage_error(CMD);
}
