/*
 * cli.h - the command table and what every command shares.
 *
 * main() only parses the global options and dispatches; each command lives
 * in its own cmd_<name>.c with the uniform entry point below.
 */
#ifndef HVTPM_CLI_H
#define HVTPM_CLI_H

#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <time.h>

typedef int (*cmd_fn)(int argc, char **argv);

struct cli_command {
	const char *name;
	cmd_fn run;
	const char *summary;
};

int cmd_inspect(int argc, char **argv);
int cmd_diagnose(int argc, char **argv);
int cmd_audit(int argc, char **argv);
int cmd_merge(int argc, char **argv);
int cmd_script(int argc, char **argv);

typedef enum { OUT_TEXT = 0, OUT_JSON, OUT_CSV, OUT_JSONL, OUT_HTML } out_format;

/*
 * Parses a --format value (csv and jsonl only with allow_csv, html for every command but
 * inspect); prints a usage error and returns false when bad.
 */
bool cli_parse_format(const char *cmd, const char *arg, out_format *out, bool allow_csv);
/* "hvtpm CMD: message" on stderr, one line. */
void cli_err(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Prints "Try 'hvtpm CMD --help'." and returns the usage exit code. */
int cli_usage_error(const char *cmd);

/*
 * getopt_long() without abbreviations (cli/opts.c): on the first call the
 * whole command line is checked against the tables, every long option
 * spelled in full; an unknown or malformed option is reported as
 * "hvtpm CMD: unknown option '--name'", by its name only (a value after
 * '=' or in the next word is never shown), and '?' is returned.
 */
int cli_getopt(const char *cmd, int argc, char **argv, const char *shortopts,
	       const struct option *longopts);
/* The check cli_getopt makes first; true when every option is known and complete. */
bool cli_check_options(const char *cmd, int argc, char *const *argv, const char *shortopts,
		       const struct option *longopts);
/* Parses an --at / --expiring-before date; prints a usage error naming opt when bad. */
bool cli_parse_date(const char *cmd, const char *opt, const char *arg, time_t *out);
/*
 * The date of reproducible output, the same for every command: SOURCE_DATE_EPOCH
 * when it is a number of 0 or more (anything else is ignored), else the --at date
 * when one was given, else now.
 */
time_t cli_generated_at(bool at_given, time_t at, time_t now);

#endif
