/*
 * evaluate.h - every VM of an evidence set judged: its verdict, its plan
 * and the settings a rebuild needs, and the exit status they add up to.
 * Shared by diagnose and audit.
 */
#ifndef HVTPM_EVALUATE_H
#define HVTPM_EVALUATE_H

#include <stddef.h>
#include <time.h>

#include "analysis/plan.h"
#include "analysis/verdict.h"
#include "model/evidence.h"

/* One VM's verdict, plan and the facts behind them. */
typedef struct {
	size_t vm;          /* index into evidence.vms */
	verdict v;
	plan p;
	plan_vm pv;         /* views of the evidence */
} dx_vm;

typedef struct {
	time_t generated_at;
	time_t evaluated_at;
	int warn_days;
	bool passwords_known;
	size_t npasswords;  /* PFX password candidates that were given (verdict_context) */
	dx_vm *vms;
	size_t nvms;
} dx_result;

/* Judges every VM of e (in evidence order). */
void dx_evaluate(const evidence *e, const verdict_opts *o, time_t generated_at, dx_result *r);
/*
 * The same with what is known of how the evidence was read (c may be NULL);
 * when c->needed is NULL it is built from e (give it when e is a window of
 * a larger evidence set).
 */
void dx_evaluate_in(const evidence *e, const verdict_opts *o, const verdict_context *c,
		    time_t generated_at, dx_result *r);
/* Keeps only the VMs for which keep(e, its result, ctx) is true (analysis/filter.h). */
void dx_filter(const evidence *e, dx_result *r,
	       bool (*keep)(const evidence *, const dx_vm *, void *), void *ctx);
void dx_result_free(dx_result *r);
/* How many VMs per verdict, in verdict order. */
void dx_count(const dx_result *r, size_t counts[V_REBUILD_DATA_LOSS + 1]);

/*
 * The exit status (man page, EXIT STATUS): the highest of every verdict's
 * (0, 1 or 2), 1 when no VM was found at all, and 4 when any evidence file
 * is damaged, unreadable or refused by a cap.
 */
int dx_exit_code(const evidence *e, const dx_result *r);
/* The evidence part of the exit status alone: 4 or 0. */
int evidence_exit_code(const evidence *e);

#endif
