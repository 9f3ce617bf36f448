/*
 * audit_run.h - what audit and merge share: their options and the
 * evaluation and report of an evidence set, however it was gathered.
 */
#ifndef HVTPM_AUDIT_RUN_H
#define HVTPM_AUDIT_RUN_H

#include <stdbool.h>
#include <stddef.h>

#include "cli/cli.h"
#include "cli/diag_common.h"
#include "report/audit_report.h"

typedef struct {
	dx_opts dx;
	out_format fmt;
	au_table table;
	bool table_given;
	const char *facts_path;  /* audit --facts-out */
} audit_opts;

/* "vms" or "certs" (--table); false for anything else. */
bool audit_parse_table(const char *arg, au_table *t);
/*
 * Prints the evidence's findings, evaluates every VM and writes the report
 * in o->fmt on stdout; paths are what the report names as read.  Returns
 * the exit code.
 */
int audit_run(const char *cmd, audit_opts *o, evidence *e, char *const *paths, size_t npaths);

#endif
