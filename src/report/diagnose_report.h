/*
 * diagnose_report.h - the diagnose result for people (text) and machines
 * (JSON, schema in man/hvtpm.1 under JSON OUTPUT).
 */
#ifndef HVTPM_DIAGNOSE_REPORT_H
#define HVTPM_DIAGNOSE_REPORT_H

#include <stdio.h>
#include <time.h>

#include <json-c/json.h>

#include "analysis/plan.h"
#include "analysis/verdict.h"
#include "model/evidence.h"

/* One VM's verdict, plan and the facts behind them. */
typedef struct {
	size_t vm;          /* index into evidence.vms */
	verdict v;
	plan p;
	plan_vm pv;
	/* storage behind pv's arrays */
	const char **disk_paths;
	const char **switch_names;
} dx_vm;

typedef struct {
	time_t generated_at;
	time_t evaluated_at;
	int warn_days;
	dx_vm *vms;
	size_t nvms;
} dx_result;

json_object *dx_vm_json(const evidence *e, const dx_result *r, const dx_vm *d);
/* One evidence file: path, sha256, size, kind, what, status, error. */
json_object *dx_evidence_file_json(const ev_file *f);
json_object *dx_evidence_json(const evidence *e);
json_object *dx_errors_json(const evidence *e);
json_object *dx_report_json(const evidence *e, const dx_result *r);
void dx_report_text(FILE *o, const evidence *e, const dx_result *r);
/* Summary line counts: how many VMs per verdict, in verdict order. */
void dx_count(const dx_result *r, size_t counts[V_REBUILD_DATA_LOSS + 1]);

#endif
