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
#include "model/evidence.h"

json_object *dx_vm_json(const evidence *e, const dx_result *r, const dx_vm *d);
/* One evidence file: path, sha256, sha256_scope, size, kind, format, class, what, status, error. */
json_object *dx_evidence_file_json(const ev_file *f);
json_object *dx_evidence_json(const evidence *e);
json_object *dx_errors_json(const evidence *e);
json_object *dx_report_json(const evidence *e, const dx_result *r);
void dx_report_text(FILE *o, const evidence *e, const dx_result *r);
/* The evidence section: counts per class, then every file not used as it is. */
void dx_evidence_text(FILE *o, const evidence *e);
/* {vms, files, classes {used, damaged, unrecognised, unreadable, skipped}, verdicts {}, exit_code} */
json_object *dx_summary_json(const evidence *e, const dx_result *r);

#endif
