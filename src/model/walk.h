/*
 * walk.h - visit the files under the paths a user gave, deterministically.
 *
 * Directories are read in byte order of their entry names, so two runs
 * over the same tree visit files in the same order.  Symbolic links are
 * not followed unless asked; with following on, every directory is
 * entered once (its device and inode are remembered), so neither a loop
 * nor a lattice of links multiplies the walk.  Depth is capped.  A path
 * named on the command line is followed when it is a symbolic link (as
 * find -H does: the user named it), keeps the name it was given, and must
 * still lead to a regular file or a directory; links found inside
 * directories are followed only with follow_symlinks.  Directories are
 * opened with O_NOATIME where the kernel allows it, so the walk leaves
 * access times alone.
 *
 * Each file is given to the callback once under a path: a path named
 * twice, or named and also found inside a directory named, comes once,
 * where it is first met.  No other path can come twice (a directory is
 * entered once), so only the named paths are remembered, not every file.
 *
 * Every path ends in one of three places: a regular file (file callback),
 * a path that could not be read (missing, unreadable directory, dangling
 * link, a FIFO, device or socket, named or found: WALK_UNREADABLE), or one
 * left out by policy (a link not followed, a loop, the depth cap:
 * WALK_SKIPPED).
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

typedef enum { WALK_UNREADABLE = 0, WALK_SKIPPED } walk_problem;

/*
 * Called for every regular file; return false to stop the walk.  named_link:
 * path is a symbolic link named on the command line, followed (st is its
 * target's): open it following that last link.
 */
typedef bool (*walk_fn)(const char *path, const struct stat *st, const char *root,
			bool named_link, void *ctx);
/* Called for every path that is not a regular file to read (reason: one line). */
typedef void (*walk_problem_fn)(const char *path, walk_problem kind, const char *reason,
				void *ctx);

/* Walks every path; returns the number of paths that could not be read. */
size_t walk_paths(char *const *paths, size_t n, const walk_opts *o, walk_fn fn,
		  walk_problem_fn problem, void *ctx);

#endif
