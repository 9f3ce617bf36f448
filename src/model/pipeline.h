/*
 * pipeline.h - every command reads evidence the same way: walk the paths
 * given (model/walk.h), open each file read-only (util/source.h), open
 * archives and walk their members in memory (model/archive.h), recognise
 * and read every file through the one format table (model/identify.h), and
 * hand each file's facts to the caller, in walk order.
 *
 * Every path given or found produces exactly one file_facts, including the
 * ones that could not be read or were skipped, so a report can account for
 * every input.  An archive's own facts follow those of its members.
 */
#ifndef HVTPM_PIPELINE_H
#define HVTPM_PIPELINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "model/facts.h"
#include "model/identify.h"

typedef struct {
	identify_opts id;
	bool follow_symlinks;
	/* Worker threads that read files (0: read in the calling thread).  The
	 * output is the same whatever the number. */
	unsigned threads;
	/* Receives each file's facts; it may take what it wants (zeroing the
	 * fields it takes); the pipeline frees the rest when it returns. */
	void (*on_file)(void *ctx, file_facts *x);
	void *ctx;
	/* Called with ctx on the thread that read each file, before on_file gets
	 * it (root set, error line added), for work that may run in parallel
	 * (file_facts.prepared); may be NULL.  It must touch nothing but x and
	 * what it only reads. */
	void (*prepare)(void *ctx, file_facts *x);
	/* Called as each file starts (progress lines); may be NULL. */
	void (*progress)(void *ctx, const char *path, uint64_t bytes);
	void *progress_ctx;
} pipeline_opts;

/* Walks and reads every path; returns the number of files handed to on_file. */
size_t pipeline_run(char *const *paths, size_t n, const pipeline_opts *o);

/* Reads one file outside a walk (a disk named by a configuration, say). */
void pipeline_read_path(const char *path, const pipeline_opts *o);

/* Worker threads to use: HVTPM_THREADS when set (0 = none), else one per CPU
 * (none on a single CPU). */
unsigned pipeline_default_threads(void);

#endif
