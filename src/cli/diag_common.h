/*
 * diag_common.h - what diagnose and audit share: evidence options, running
 * the collector, computing every VM's verdict, and the exit code.
 */
#ifndef HVTPM_DIAG_COMMON_H
#define HVTPM_DIAG_COMMON_H

#include <stdbool.h>
#include <time.h>

#include "analysis/evaluate.h"
#include "model/collect.h"
#include "model/evidence.h"
#include "util/passwords.h"

typedef struct {
	time_t at;
	bool at_given;
	int warn_days;
	bool follow_symlinks;
	bool quiet;
	hv_pw_options pw;
} dx_opts;

/* Long options shared by diagnose and audit (ids from 1000 up). */
enum {
	OPT_AT = 1000,
	OPT_WARN_DAYS,
	OPT_FORMAT,
	OPT_PASSWORD_FILE,
	OPT_ASK_PASSWORD,
	OPT_TRY_DEFAULTS,
	OPT_FOLLOW_SYMLINKS,
	OPT_QUIET,
	OPT_PLAN,
	OPT_PLAN_OUT,
	OPT_VM,
	OPT_TABLE,
};

/* The struct option entries diagnose and audit share (end a table with them). */
#define DX_COMMON_LONGOPTS                                                        \
	{ "at", required_argument, NULL, OPT_AT },                                \
	{ "warn-days", required_argument, NULL, OPT_WARN_DAYS },                  \
	{ "format", required_argument, NULL, OPT_FORMAT },                        \
	{ "password-file", required_argument, NULL, OPT_PASSWORD_FILE },          \
	{ "ask-password", no_argument, NULL, OPT_ASK_PASSWORD },                  \
	{ "try-default-passwords", no_argument, NULL, OPT_TRY_DEFAULTS },         \
	{ "follow-symlinks", no_argument, NULL, OPT_FOLLOW_SYMLINKS },            \
	{ "quiet", no_argument, NULL, 'q' },                                      \
	{ "help", no_argument, NULL, 'h' },                                       \
	{ NULL, 0, NULL, 0 }

void dx_opts_init(dx_opts *o);
/* Handles a shared option; returns 1 handled, 0 not shared, -1 usage error. */
int dx_opts_parse(const char *cmd, dx_opts *o, int opt, const char *arg);

/* Reads every path into e (passwords collected and wiped here); false: usage error. */
bool dx_collect(const char *cmd, const dx_opts *o, char *const *paths, size_t n, evidence *e,
		void (*progress)(void *, const char *, uint64_t), void *progress_ctx);
/* The verdict options of the command line. */
verdict_opts dx_verdict_opts(const dx_opts *o);
/* Prints warnings and errors of the evidence on stderr, one line each. */
void dx_print_findings(const evidence *e, bool quiet);
/* The generated_at of a deterministic report: SOURCE_DATE_EPOCH, else --at, else now. */
time_t dx_generated_at(const dx_opts *o, time_t now);

#endif
