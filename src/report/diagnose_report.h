/*
 * diagnose_report.h - the diagnose result for people (text) and machines
 * (JSON, schema in man/hvtpm.1 under JSON OUTPUT).
 */
#ifndef HVTPM_DIAGNOSE_REPORT_H
#define HVTPM_DIAGNOSE_REPORT_H

#include <stdio.h>
#include <time.h>

#include <json-c/json.h>

#include "analysis/evaluate.h"
#include "analysis/filter.h"
#include "report/out.h"
#include "util/strbuf.h"
#include "model/evidence.h"

json_object *dx_vm_json(const evidence *e, const dx_result *r, const dx_vm *d);
/*
 * One evidence file: path, sha256, sha256_scope, size, kind, format, class,
 * what, status, error, claimed_format; a PFX also weak_protection[].
 */
json_object *dx_evidence_file_json(const evidence *e, size_t file);
json_object *dx_evidence_json(const evidence *e);
/*
 * The "errors" array: one entry per file whose status is not ok, then the
 * warnings and errors met while reading; each {path, offset (number or
 * null), class, reason}.  A file's offset is where reading it failed
 * (evidence_error_offsets).
 */
json_object *dx_errors_json(const evidence *e);
/* One file's entry of that array; offsets from evidence_error_offsets(). */
json_object *dx_file_error_json(const evidence *e, size_t file, const uint64_t *offsets);
/* {vms[], verdicts[], expiring_before} or NULL (JSON null) when f leaves nothing out. */
json_object *dx_filter_json(const vm_filter *f);
/* The whole diagnose document; f is the filter applied (NULL: none). */
json_object *dx_report_json(const evidence *e, const dx_result *r, const vm_filter *f);
/*
 * The text report, fitted to out_width(): header, the summary table (one
 * line per VM, in r's order), the one-line answer, each VM's details, and
 * the evidence section.
 */
void dx_report_text(FILE *o, const evidence *e, const dx_result *r, const vm_filter *f);
/* One line per VM of r: VM, VERDICT, DAYS LEFT, WHAT IS MISSING (table.h). */
void dx_summary_table(FILE *o, const evidence *e, const dx_result *r, size_t width);
/* What a VM lacks for a restore, in a few words (the WHAT IS MISSING cell); owned. */
char *dx_missing_text(const evidence *e, const verdict *v);
/* Days left of the certificates the verdict relies on, or "-". */
void dx_days_text(const verdict *v, char out[24]);
out_colour dx_verdict_colour(verdict_kind k);
/* "Only VMs named ...; with verdict ...; whose certificates expire before ..." */
void dx_filter_text(strbuf *sb, const vm_filter *f);
/*
 * The evidence section: counts per class, then every file not used as it
 * is, one (wrapped) line each: damaged, unrecognised, unreadable, skipped,
 * weakly protected PFX exports, and (when list_locked) PFX files not opened.
 */
void dx_evidence_text(FILE *o, const evidence *e, bool list_locked, size_t npasswords,
		      size_t width);
/* The weaknesses of a PFX file's protection (up to max into out); how many there are. */
size_t dx_weaknesses(const evidence *e, size_t file, const char **out, size_t max);
/*
 * The evidence's warnings and errors on stderr ("WHO: error: ..."), except
 * those of PFX files that only lack their password: one line counts them
 * and says how to give a password.
 */
void dx_findings_text(FILE *o, const char *who, const evidence *e, hv_sev min,
		      size_t npasswords);
/* {vms, files, classes {used, damaged, unrecognised, unreadable, skipped}, verdicts {}, exit_code} */
json_object *dx_summary_json(const evidence *e, const dx_result *r);

#endif
