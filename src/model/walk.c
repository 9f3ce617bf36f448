/* walk.c - deterministic, link-aware traversal of evidence trees. */
#include "model/walk.h"

#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "util/strbuf.h"
#include "util/xalloc.h"

typedef struct {
	dev_t dev;
	ino_t ino;
} dir_id;

typedef struct {
	const walk_opts *o;
	walk_fn fn;
	void *ctx;
	hv_findings *f;
	const char *root;
	dir_id stack[WALK_MAX_DEPTH + 1];
	size_t depth;
	size_t problems;
	bool stop;
} walker;

static int cmp_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* A path skipped by policy (a link, a loop, the depth cap): a warning. */
static void problem(walker *w, const char *path, const char *what, const char *detail)
{
	if (detail)
		findings_add(w->f, HV_SEV_WARN, path, HV_NO_OFFSET, "%s: %s", what, detail);
	else
		findings_add(w->f, HV_SEV_WARN, path, HV_NO_OFFSET, "%s", what);
}

/* A path that could not be read: an error, counted (exit status 4). */
static void unreadable(walker *w, const char *path, const char *what, const char *detail)
{
	findings_add(w->f, HV_SEV_ERROR, path, HV_NO_OFFSET, "%s: %s", what, detail);
	w->problems++;
}

static void visit(walker *w, const char *path, bool named);

static char **list_dir(walker *w, const char *path, size_t *n)
{
	DIR *d = opendir(path);
	*n = 0;
	if (!d) {
		unreadable(w, path, "cannot read directory", strerror(errno));
		return NULL;
	}
	char **names = NULL;
	size_t cap = 0;
	struct dirent *de;
	while ((de = readdir(d)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		names = xgrow(names, &cap, *n + 1, sizeof *names);
		names[(*n)++] = xstrdup(de->d_name);
	}
	closedir(d);
	if (*n > 1)
		qsort(names, *n, sizeof *names, cmp_names);
	return names;
}

static void visit_dir(walker *w, const char *path, const struct stat *st)
{
	for (size_t i = 0; i < w->depth; i++) {
		if (w->stack[i].dev == st->st_dev && w->stack[i].ino == st->st_ino) {
			problem(w, path, "directory loop through a symbolic link: not entered again", NULL);
			return;
		}
	}
	if (w->depth >= WALK_MAX_DEPTH) {
		problem(w, path, "directory nesting deeper than the walk cap: not entered", NULL);
		return;
	}
	w->stack[w->depth].dev = st->st_dev;
	w->stack[w->depth].ino = st->st_ino;
	w->depth++;
	size_t n;
	char **names = list_dir(w, path, &n);
	for (size_t i = 0; i < n; i++) {
		if (!w->stop) {
			strbuf sb = STRBUF_INIT;
			sb_adds(&sb, path);
			if (sb.len && sb.buf[sb.len - 1] != '/')
				sb_addc(&sb, '/');
			sb_adds(&sb, names[i]);
			visit(w, sb_str(&sb), false);
			sb_free(&sb);
		}
		free(names[i]);
	}
	free(names);
	w->depth--;
}

static void visit(walker *w, const char *path, bool named)
{
	struct stat st;
	if (lstat(path, &st) != 0) {
		unreadable(w, path, "cannot read", strerror(errno));
		return;
	}
	if (S_ISLNK(st.st_mode)) {
		if (!w->o->follow_symlinks && !named) {
			problem(w, path, "symbolic link not followed (use --follow-symlinks)", NULL);
			return;
		}
		if (stat(path, &st) != 0) {
			if (errno == ELOOP)
				problem(w, path, "symbolic link loop: not followed", NULL);
			else
				unreadable(w, path, "dangling symbolic link", strerror(errno));
			return;
		}
	}
	if (S_ISDIR(st.st_mode)) {
		visit_dir(w, path, &st);
	} else if (S_ISREG(st.st_mode)) {
		if (!w->fn(path, &st, w->root, w->ctx))
			w->stop = true;
	} else if (named) {
		problem(w, path, "not a regular file or directory: skipped", NULL);
	}
}

size_t walk_paths(char *const *paths, size_t n, const walk_opts *o, walk_fn fn, void *ctx,
		  hv_findings *f)
{
	walker w;
	memset(&w, 0, sizeof w);
	w.o = o;
	w.fn = fn;
	w.ctx = ctx;
	w.f = f;
	for (size_t i = 0; i < n && !w.stop; i++) {
		w.root = paths[i];
		visit(&w, paths[i], true);
	}
	return w.problems;
}
