/*
 * eval_windows.h - the VMs of a large evidence set judged a window at a
 * time, the next windows on other threads while the caller writes out the
 * one before: what a report holds at once is a few windows, not every
 * verdict, and writing and judging use every core.  The caller sees the
 * windows in evidence order, on its own thread, whatever the number of
 * threads, so what it writes does not depend on it.
 */
#ifndef HVTPM_EVAL_WINDOWS_H
#define HVTPM_EVAL_WINDOWS_H

#include <stddef.h>
#include <time.h>

#include "analysis/evaluate.h"

/*
 * Called once per window, in order: view shares everything with the
 * evidence set but holds the window's VMs only (view->vms[0] is VM start of
 * the set); r is the window's result (dx_vm.vm indexes view->vms), freed
 * after the call.
 */
typedef void (*eval_window_fn)(void *ctx, const evidence *view, size_t start, const dx_result *r,
			       void *made);
/*
 * Called on the thread that judged each window, before fn gets it: what it
 * returns is given to fn as made (fn frees it).  It must touch nothing but
 * what it only reads.  May be NULL (made is then NULL).
 */
typedef void *(*eval_prepare_fn)(void *ctx, const evidence *view, size_t start,
				 const dx_result *r);

/*
 * Judges the VMs of e in windows of window VMs with dx_evaluate_in (c is
 * shared by every window: give c->needed and c->lists built for the whole
 * of e) on threads other threads (none when threads is 0 or 1: all on the
 * caller's), and calls fn for each window in order.
 */
void eval_windows(const evidence *e, const verdict_opts *o, const verdict_context *c,
		  time_t generated_at, size_t window, unsigned threads, eval_prepare_fn prepare,
		  eval_window_fn fn, void *ctx);

#endif
