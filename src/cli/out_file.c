/*
 * out_file.c - new output files, kept out of the evidence (out_file.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli/cli.h"
#include "cli/out_file.h"
#include "model/export_layout.h"
#include "report/term.h"
#include "util/xalloc.h"

/* True when folder a is folder b or inside it (both resolved). */
static bool within(const char *a, const char *b)
{
	size_t l = strlen(b);
	if (l == 1 && b[0] == '/')
		return true;
	return strncmp(a, b, l) == 0 && (a[l] == '\0' || a[l] == '/');
}

/*
 * True when folder rd (resolved) is where evidence folder f protects: f
 * itself (also everything inside when whole is set), and when f is part of a
 * Hyper-V VM's folder, everything inside its root.
 */
static bool guarded_by(const char *rd, const char *f, bool whole)
{
	if (whole ? within(rd, f) : strcmp(rd, f) == 0)
		return true;
	bool layout;
	char *root = export_root(f, &layout);
	bool inside = layout && within(rd, root);
	free(root);
	return inside;
}

/* The folder part of path, resolved (NULL when it does not resolve). */
static char *resolved_folder(const char *path)
{
	char *copy = xstrdup(path);
	char *slash = strrchr(copy, '/');
	const char *dir = slash ? (slash == copy ? "/" : (*slash = '\0', copy)) : ".";
	char *r = realpath(dir, NULL);
	free(copy);
	return r;
}

bool out_inside_evidence(const char *target, char *const *ev, size_t n)
{
	char *t = xstrdup(target); /* "dir/" names dir: its parent decides */
	for (size_t l = strlen(t); l > 1 && t[l - 1] == '/'; l--)
		t[l - 1] = '\0';
	char *rd = resolved_folder(t);
	free(t);
	bool inside = false;
	for (size_t i = 0; rd && i < n && !inside; i++) {
		char *re = realpath(ev[i], NULL);
		struct stat st;
		if (!re || stat(re, &st) != 0) {
			free(re);
			continue;
		}
		if (S_ISDIR(st.st_mode)) {
			inside = guarded_by(rd, re, true);
		} else {
			/* a file named directly: its folder, and the folder it was named in */
			char *f = resolved_folder(re), *named = resolved_folder(ev[i]);
			inside = (f && guarded_by(rd, f, false)) ||
				 (named && guarded_by(rd, named, false));
			free(f);
			free(named);
		}
		free(re);
	}
	free(rd);
	return inside;
}

bool out_refuse_inside(const char *cmd, const char *option, const char *target,
		       char *const *ev, size_t n)
{
	if (!out_inside_evidence(target, ev, n))
		return false;
	char *esc = term_escape(target);
	cli_err(cmd, "refusing to write %s (%s) inside the evidence or the Hyper-V VM folder "
		     "it belongs to", esc, option);
	free(esc);
	return true;
}

FILE *out_create(const char *cmd, const char *path)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0644);
	FILE *o = fd >= 0 ? fdopen(fd, "w") : NULL;
	if (!o) {
		int err = errno;
		struct stat st;
		const char *why = err != EEXIST ? ""
				  : lstat(path, &st) == 0 && S_ISLNK(st.st_mode)
					  ? " (it is a link: hvtpm never writes through a link)"
					  : " (an existing file is never overwritten)";
		char *esc = term_escape(path);
		cli_err(cmd, "cannot create %s: %s%s", esc, strerror(err), why);
		free(esc);
		if (fd >= 0)
			close(fd);
	}
	return o;
}
