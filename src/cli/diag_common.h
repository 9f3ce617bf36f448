/*
 * diag_common.h - what diagnose and audit share: evidence options, running
 * the collector, computing every VM's verdict, and the exit code.
 */
#ifndef HVTPM_DIAG_COMMON_H
#define HVTPM_DIAG_COMMON_H

#include <stdbool.h>
#include <stdio.h>
#include <time.h>

#include "analysis/evaluate.h"
#include "analysis/filter.h"
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
	vm_filter filter;        /* --verdict, --expiring-before (and --vm for diagnose) */
	const char **vms;        /* storage behind filter.vms */
	size_t npasswords;       /* candidates collected (dx_collect) */
	FILE *facts_out;         /* audit --facts-out: the facts are written there */
	const char *shard;       /* its shard label */
	bool facts_failed;       /* writing the facts failed (dx_collect said so) */
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
	OPT_VERDICT,
	OPT_EXPIRING_BEFORE,
	OPT_PLAN_DIR,
	OPT_FACTS_OUT,
	OPT_SHARD,
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
	{ "verdict", required_argument, NULL, OPT_VERDICT },                      \
	{ "expiring-before", required_argument, NULL, OPT_EXPIRING_BEFORE },      \
	{ "quiet", no_argument, NULL, 'q' },                                      \
	{ "help", no_argument, NULL, 'h' },                                       \
	{ NULL, 0, NULL, 0 }

void dx_opts_init(dx_opts *o);
void dx_opts_free(dx_opts *o);
/* Adds a --vm value (repeatable); false with a usage error when too many. */
bool dx_opts_add_vm(const char *cmd, dx_opts *o, const char *want);
/* Handles a shared option; returns 1 handled, 0 not shared, -1 usage error. */
int dx_opts_parse(const char *cmd, dx_opts *o, int opt, const char *arg);

/*
 * Reads every path into e (passwords collected and wiped here; their number
 * kept in o->npasswords), writing the facts to o->facts_out when set (a
 * write error is printed and sets o->facts_failed); false: usage error.
 */
bool dx_collect(const char *cmd, dx_opts *o, char *const *paths, size_t n, evidence *e,
		void (*progress)(void *, const char *, uint64_t), void *progress_ctx);
/* The verdict options of the command line. */
verdict_opts dx_verdict_opts(const dx_opts *o);
/* What the verdicts may know of the reading (the passwords given; after dx_collect). */
verdict_context dx_verdict_context(const dx_opts *o);
/*
 * Prints warnings and errors of the evidence on stderr, one line each.  A
 * PFX that could not be opened for want of its password is not repeated
 * here (the report lists it); one line says how many there are and, when
 * no password was given, which options give one.
 */
void dx_print_findings(const char *cmd, const evidence *e, const dx_opts *o);
/*
 * With --vm: every name given must match a VM of the evidence.  Prints
 * "no VM 'X' in the evidence" and the names found; false when one is missing.
 */
bool dx_check_vms(const char *cmd, const dx_opts *o, const evidence *e);
/* The generated_at of a deterministic report: SOURCE_DATE_EPOCH, else --at, else now. */
time_t dx_generated_at(const dx_opts *o, time_t now);

#endif
