/* main.c - parse global options and dispatch to a command. */
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#if defined(__GLIBC__)
#include <malloc.h>
#endif

#include "cli/cli.h"
#include "report/term.h"
#include "util/exitcode.h"

static const struct cli_command commands[] = {
	{ "inspect", cmd_inspect, "show what a file is and what it holds" },
	{ "diagnose", cmd_diagnose, "restore or rebuild: a verdict and a plan per VM" },
	{ "audit", cmd_audit, "audit whole backup trees and archives" },
	{ "merge", cmd_merge, "one report from the facts files of several audits" },
	{ "script", cmd_script, "PowerShell for the host: export, import, collect" },
};

static void usage(FILE *out)
{
	fputs("usage: hvtpm COMMAND [OPTIONS] ARGS...\n"
	      "       hvtpm -h | --help | -V | --version\n\n"
	      "Offline forensic and recovery utility for Hyper-V VMs with a virtual TPM.\n\n"
	      "Commands:\n",
	      out);
	for (size_t i = 0; i < sizeof commands / sizeof *commands; i++)
		fprintf(out, "  %-10s %s\n", commands[i].name, commands[i].summary);
	fputs("\nRun 'hvtpm help COMMAND' (or 'hvtpm COMMAND --help') for a command's options;\n"
	      "see hvtpm(1).\n"
	      "Exit status: 0 ok, 1 attention needed, 2 rebuild needed, 3 usage error,\n"
	      "4 input error, 5 internal error.\n",
	      out);
}

void cli_err(const char *cmd, const char *fmt, ...)
{
	va_list ap;
	fprintf(stderr, "hvtpm%s%s: ", cmd ? " " : "", cmd ? cmd : "");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

int cli_usage_error(const char *cmd)
{
	fprintf(stderr, "Try 'hvtpm%s%s --help'.\n", cmd ? " " : "", cmd ? cmd : "");
	return HV_EXIT_USAGE;
}

bool cli_parse_format(const char *cmd, const char *arg, out_format *out, bool allow_csv)
{
	bool html = strcmp(cmd, "inspect") != 0; /* a page for the verdict commands only */
	if (strcmp(arg, "text") == 0)
		*out = OUT_TEXT;
	else if (strcmp(arg, "json") == 0)
		*out = OUT_JSON;
	else if (allow_csv && strcmp(arg, "csv") == 0)
		*out = OUT_CSV;
	else if (allow_csv && strcmp(arg, "jsonl") == 0)
		*out = OUT_JSONL;
	else if (html && strcmp(arg, "html") == 0)
		*out = OUT_HTML;
	else {
		char *esc = term_escape(arg);
		cli_err(cmd, "unknown --format '%s' (expected %s)", esc,
			allow_csv ? "text, json, csv, jsonl or html"
				  : html ? "text, json or html" : "text or json");
		free(esc);
		return false;
	}
	return true;
}

static const struct cli_command *find_command(const char *name)
{
	for (size_t i = 0; i < sizeof commands / sizeof *commands; i++)
		if (strcmp(name, commands[i].name) == 0)
			return &commands[i];
	return NULL;
}

static int unknown_command(const char *name)
{
	char *esc = term_escape(name);
	cli_err(NULL, "unknown command '%s' (expected inspect, diagnose, audit, merge or script)", esc);
	free(esc);
	return cli_usage_error(NULL);
}

/* "hvtpm help [COMMAND [SUBCOMMAND]]": the command's own --help. */
static int help(int argc, char **argv)
{
	if (argc < 3) {
		usage(stdout);
		return HV_EXIT_OK;
	}
	const struct cli_command *c = find_command(argv[2]);
	if (!c)
		return unknown_command(argv[2]);
	char name[16], flag[] = "--help";
	snprintf(name, sizeof name, "%s", c->name);
	if (argc >= 4 && strcmp(c->name, "script") == 0) {
		char *args[] = { name, argv[3], flag, NULL };
		return c->run(3, args);
	}
	char *args[] = { name, flag, NULL };
	return c->run(2, args);
}

int main(int argc, char **argv)
{
	/* No core dumps: passwords may be in memory. */
	struct rlimit rl = { 0, 0 };
	setrlimit(RLIMIT_CORE, &rl);
#if defined(__GLIBC__) && defined(M_MMAP_THRESHOLD)
	/*
	 * Blocks of 256 KiB and more get pages of their own, always.  glibc
	 * otherwise raises this threshold each time such a block is freed, and
	 * the arrays an audit grows (one record per file, per VM) then move
	 * inside the heap, leaving their old copies as holes: about a sixth of
	 * the peak memory of a 40,000-VM audit.
	 */
	mallopt(M_MMAP_THRESHOLD, 256 * 1024);
#endif

	if (argc < 2) {
		usage(stderr);
		return HV_EXIT_USAGE;
	}
	const char *c = argv[1];
	if (strcmp(c, "--help") == 0 || strcmp(c, "-h") == 0) {
		usage(stdout);
		return HV_EXIT_OK;
	}
	if (strcmp(c, "help") == 0) {
		optind = 1;
		return help(argc, argv);
	}
	if (strcmp(c, "--version") == 0 || strcmp(c, "-V") == 0) {
		printf("hvtpm %s\n", HVTPM_VERSION);
		return HV_EXIT_OK;
	}
	const struct cli_command *cmd = find_command(c);
	if (!cmd)
		return unknown_command(c);
	optind = 1;
	return cmd->run(argc - 1, argv + 1);
}
