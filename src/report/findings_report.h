/*
 * findings_report.h - what the readers noted, warned about and refused:
 * one line each on stderr ("hvtpm CMD: error: FILE: offset 0x..: message",
 * the line escaped for the terminal), or a JSON array.
 */
#ifndef HVTPM_FINDINGS_REPORT_H
#define HVTPM_FINDINGS_REPORT_H

#include <stdio.h>

#include <json-c/json.h>

#include "util/diag.h"

/* Prints the findings at or above min, one escaped line each. */
void findings_print(FILE *o, const char *who, const hv_findings *f, hv_sev min);
/*
 * The same, except that the "weak protection: ..." notes a PFX reader makes
 * (one per weak parameter) are folded into one line for the file: how many,
 * the first, and where the rest are listed.  f holds one file's findings.
 */
void findings_print_grouped(FILE *o, const char *who, const hv_findings *f, hv_sev min);
/* [{severity, offset, message}] */
json_object *findings_json(const hv_findings *f);

#endif
