/*
 * filter.h - which VMs a report covers, and in which order people read them.
 *
 * A filter keeps a VM when every given condition holds:
 *   vms              --vm: its id (GUID, braces and case ignored) or its name
 *                    (letter case ignored) is one of these
 *   verdicts         --verdict: its verdict is one of these
 *   expiring_before  --expiring-before: the certificates its verdict relies on
 *                    (verdict_expiry) expire before this instant; a VM with
 *                    no such certificate is not kept
 *
 * Urgency (worst first): rebuild_data_loss, rebuild, needs_password,
 * unknown, degraded, restorable_expired, hgs, restorable, no_vtpm; then the
 * sooner expiry, then the name and the id.
 */
#ifndef HVTPM_FILTER_H
#define HVTPM_FILTER_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include "analysis/evaluate.h"
#include "analysis/verdict.h"
#include "model/evidence.h"

typedef struct {
	const char *const *vms;  /* NULL/0: every VM */
	size_t nvms;
	unsigned verdicts;       /* bit (1u << verdict_kind) per verdict kept; 0: every verdict */
	bool expiring_given;
	time_t expiring_before;
} vm_filter;

/* True when the filter leaves anything out. */
bool vm_filter_active(const vm_filter *f);
/*
 * Parses a comma-separated list of verdict names (verdict_from_name: any
 * case, '-' for '_') into *mask (bits added).  On a bad name returns false
 * with *bad and *badlen naming it.
 */
bool vm_filter_parse_verdicts(const char *list, unsigned *mask, const char **bad,
			      size_t *badlen);
/* True when want names vm: its id (GUID, braces and case ignored) or its name (case ignored). */
bool vm_matches(const ev_vm *vm, const char *want);
/* Compares two names ignoring letter case (ASCII, Latin-1, Greek, Cyrillic); 0 when equal. */
int name_casecmp(const char *a, const char *b);
/* True when the VM and its verdict pass every condition of f. */
bool vm_filter_keep(const vm_filter *f, const ev_vm *vm, const verdict *v);

/* Lower is more urgent (the order above). */
int verdict_urgency(verdict_kind k);
/* Orders r worst first (see above); a stable, total order. */
void dx_sort_urgent(const evidence *e, dx_result *r);
/* Keeps only the VMs of r that f keeps. */
void dx_apply_filter(const evidence *e, dx_result *r, const vm_filter *f);

#endif
