/*
 * collect.h - the evidence set of diagnose and audit: every file the
 * pipeline reads (model/pipeline.h) is folded into it (its record with
 * class and SHA-256, the certificates it holds, the key protectors it
 * contains, the VM configuration it is), then collector_finish() ties
 * configurations, guest state and runtime state files, key protector dumps
 * and disks to their VMs (model/associate.c).
 *
 * Nothing here prints or decides: the analysis reads the evidence set.
 */
#ifndef HVTPM_COLLECT_H
#define HVTPM_COLLECT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "model/evidence.h"
#include "model/facts.h"
#include "util/passwords.h"

typedef struct {
	const hv_passwords *pw;   /* PFX password candidates, may be NULL */
	bool follow_symlinks;
	unsigned threads;         /* worker threads reading files (0: none) */
	/* Called as each file starts (for progress lines); may be NULL. */
	void (*progress)(void *ctx, const char *path, uint64_t bytes);
	void *progress_ctx;
	/* When set, collector_finish writes the facts there (model/facts_file.h). */
	struct facts_writer *facts;
} collect_opts;

typedef struct collector collector;

collector *collector_new(evidence *e, const collect_opts *o);
/*
 * A collector that reads nothing: its state comes from facts files
 * (facts_load), and association never opens a file.
 */
collector *collector_new_offline(evidence *e);
/* Reads every path through the pipeline and folds each file in. */
void collector_add_paths(collector *c, char *const *paths, size_t n);
/* Folds one file's facts in (taking what the evidence keeps). */
void collector_add(collector *c, file_facts *x);
/* Ties loose evidence to VMs and frees the collector. */
void collector_finish(collector *c);
/* Frees the collector without tying anything (after a failed facts_load). */
void collector_discard(collector *c);

#endif
