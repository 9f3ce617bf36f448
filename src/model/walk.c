/* walk.c - deterministic, link-aware traversal of evidence trees. */
#include "model/walk.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "util/strbuf.h"
#include "util/strmap.h"
#include "util/xalloc.h"

#ifndef O_NOATIME
#define O_NOATIME 0
#endif

typedef struct {
	dev_t dev;
	ino_t ino;
} dir_id;

/* Directories entered so far (open addressing on device and inode). */
typedef struct {
	dir_id *v;
	bool *used;
	size_t cap, n;
} dir_set;

typedef struct {
	const walk_opts *o;
	walk_fn fn;
	walk_problem_fn problem_fn;
	void *ctx;
	const char *root;
	dir_set seen;
	strmap named;   /* the paths named -> index into given */
	bool *given;    /* named path i was given to the callback as a file */
	size_t depth;
	size_t unreadable;
	bool stop;
} walker;

static size_t dir_hash(const dir_id *d, size_t cap)
{
	uint64_t h = (uint64_t)d->dev * 0x9E3779B97F4A7C15ull ^ (uint64_t)d->ino;
	h ^= h >> 29;
	h *= 0xBF58476D1CE4E5B9ull;
	return (size_t)(h ^ (h >> 32)) & (cap - 1);
}

/* Adds d; false when it was already there. */
static bool dir_set_add(dir_set *s, dir_id d)
{
	if ((s->n + 1) * 2 > s->cap) {
		dir_set g = { NULL, NULL, s->cap ? s->cap * 2 : 256, 0 };
		g.v = xcalloc(g.cap, sizeof *g.v);
		g.used = xcalloc(g.cap, sizeof *g.used);
		for (size_t i = 0; i < s->cap; i++)
			if (s->used[i])
				dir_set_add(&g, s->v[i]);
		free(s->v);
		free(s->used);
		*s = g;
	}
	size_t i = dir_hash(&d, s->cap);
	for (; s->used[i]; i = (i + 1) & (s->cap - 1))
		if (s->v[i].dev == d.dev && s->v[i].ino == d.ino)
			return false;
	s->used[i] = true;
	s->v[i] = d;
	s->n++;
	return true;
}

static int cmp_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void skipped(walker *w, const char *path, const char *reason)
{
	w->problem_fn(path, WALK_SKIPPED, reason, w->ctx);
}

static void unreadable(walker *w, const char *path, const char *what, int err)
{
	strbuf sb = STRBUF_INIT;
	if (err)
		sb_addf(&sb, "%s: %s", what, strerror(err));
	else
		sb_adds(&sb, what);
	w->problem_fn(path, WALK_UNREADABLE, sb_str(&sb), w->ctx);
	sb_free(&sb);
	w->unreadable++;
}

static void visit(walker *w, const char *path, bool named);

/* Opens a directory read-only without touching its access time where allowed. */
static DIR *open_dir(const char *path)
{
	int of = O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NONBLOCK;
	int fd = open(path, of | O_NOATIME);
	if (fd < 0 && errno == EPERM)
		fd = open(path, of);
	if (fd < 0)
		return NULL;
	DIR *d = fdopendir(fd);
	if (!d) {
		int e = errno;
		close(fd);
		errno = e;
	}
	return d;
}

static char **list_dir(walker *w, const char *path, size_t *n)
{
	DIR *d = open_dir(path);
	*n = 0;
	if (!d) {
		unreadable(w, path, "cannot read directory", errno);
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
	if (!dir_set_add(&w->seen, (dir_id){ st->st_dev, st->st_ino })) {
		skipped(w, path, "directory already walked (reached again through a symbolic "
				 "link): not entered again");
		return;
	}
	if (w->depth >= WALK_MAX_DEPTH) {
		skipped(w, path, "directory nesting deeper than the walk cap: not entered");
		return;
	}
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

static const char *not_regular(mode_t m)
{
	if (S_ISFIFO(m))
		return "a FIFO: not read";
	if (S_ISCHR(m) || S_ISBLK(m))
		return "a device: not read";
	if (S_ISSOCK(m))
		return "a socket: not read";
	return "not a regular file or directory: not read";
}

/*
 * False when the file at path was given to the callback before.  Only a
 * named path can be met twice: a path found in a directory is made of the
 * directory's path, and each directory is entered once.
 */
static bool first_time(walker *w, const char *path)
{
	size_t i = strmap_get(&w->named, path);
	if (i == SIZE_MAX)
		return true;
	if (w->given[i])
		return false;
	w->given[i] = true;
	return true;
}

static void visit(walker *w, const char *path, bool named)
{
	struct stat st;
	if (lstat(path, &st) != 0) {
		unreadable(w, path, "cannot read", errno);
		return;
	}
	bool named_link = named && S_ISLNK(st.st_mode);
	if (S_ISLNK(st.st_mode)) {
		if (!w->o->follow_symlinks && !named) {
			skipped(w, path, "symbolic link not followed (use --follow-symlinks)");
			return;
		}
		if (stat(path, &st) != 0) {
			if (errno == ELOOP)
				skipped(w, path, "symbolic link loop: not followed");
			else
				unreadable(w, path, "dangling symbolic link", errno);
			return;
		}
	}
	if (S_ISDIR(st.st_mode)) {
		visit_dir(w, path, &st);
	} else if (S_ISREG(st.st_mode)) {
		if (first_time(w, path) && !w->fn(path, &st, w->root, named_link, w->ctx))
			w->stop = true;
	} else {
		/* Named or found: never opened, and evidence that could not be read. */
		unreadable(w, path, not_regular(st.st_mode), 0);
	}
}

size_t walk_paths(char *const *paths, size_t n, const walk_opts *o, walk_fn fn,
		  walk_problem_fn problem, void *ctx)
{
	walker w;
	memset(&w, 0, sizeof w);
	w.o = o;
	w.fn = fn;
	w.problem_fn = problem;
	w.ctx = ctx;
	w.given = xcalloc(n + 1, sizeof *w.given);
	for (size_t i = 0; i < n; i++)
		strmap_put(&w.named, xstrdup(paths[i]), i); /* a repeat keeps the first */
	for (size_t i = 0; i < n && !w.stop; i++) {
		w.root = paths[i];
		visit(&w, paths[i], true);
	}
	free(w.seen.v);
	free(w.seen.used);
	strmap_free(&w.named);
	free(w.given);
	return w.unreadable;
}
