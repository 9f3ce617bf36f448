/*
 * walk.h - visit the files under the paths a user gave, deterministically.
 *
 * Directories are read in byte order of their entry names, so two runs
 * over the same tree visit files in the same order.  Symbolic links are
 * not followed unless asked; with following on, a directory already on
 * the current path (a loop) is reported and not entered again.  Depth is
 * capped.  Paths named on the command line are always opened (the user
 * named them), but a link among them is reported as such.
 */
#ifndef HVTPM_WALK_H
#define HVTPM_WALK_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/stat.h>

#include "util/diag.h"

#define WALK_MAX_DEPTH 64

typedef struct {
	bool follow_symlinks;
} walk_opts;

/* Called for every regular file; return false to stop the walk. */
typedef bool (*walk_fn)(const char *path, const struct stat *st, const char *root, void *ctx);

/*
 * Walks every path.  Problems become findings and the walk goes on: paths
 * that cannot be read (missing, unreadable directory, dangling link) are
 * errors, paths skipped by policy (link not followed, loop, depth cap) are
 * warnings.  Returns the number of paths that could not be read.
 */
size_t walk_paths(char *const *paths, size_t n, const walk_opts *o, walk_fn fn, void *ctx,
		  hv_findings *f);

#endif
