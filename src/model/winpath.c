/* winpath.c - Windows paths from VM configurations resolved in an evidence tree. */
#include "model/winpath.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/strbuf.h"
#include "util/xalloc.h"

#define VHD_FOLDER "Virtual Hard Disks"
#define MAX_COMPONENTS 4096 /* a longer local path is not checked */

static const winpath_rule disk_rules[] = {
	WINPATH_SAME_FOLDER,
	WINPATH_VHD_FOLDER,
	WINPATH_PARENT_VHD_FOLDER,
};

const char *winpath_rule_name(winpath_rule r)
{
	switch (r) {
	case WINPATH_SAME_FOLDER: return "same folder";
	case WINPATH_VHD_FOLDER: return VHD_FOLDER;
	case WINPATH_PARENT_VHD_FOLDER: return "../" VHD_FOLDER;
	}
	return "?";
}

char *winpath_basename(const char *winpath)
{
	if (!winpath)
		return NULL;
	const char *b = winpath;
	if (((b[0] >= 'A' && b[0] <= 'Z') || (b[0] >= 'a' && b[0] <= 'z')) && b[1] == ':')
		b += 2;
	for (const char *p = b; *p; p++)
		if (*p == '\\' || *p == '/')
			b = p + 1;
	if (!*b || strcmp(b, ".") == 0 || strcmp(b, "..") == 0)
		return NULL;
	return xstrdup(b);
}

char *winpath_normalize(const char *path)
{
	bool abs = path[0] == '/';
	size_t cap = 0, n = 0;
	const char **part = NULL;
	size_t *plen = NULL, pcap = 0;
	const char *p = path;
	while (*p) {
		while (*p == '/')
			p++;
		if (!*p)
			break;
		const char *e = strchr(p, '/');
		size_t l = e ? (size_t)(e - p) : strlen(p);
		bool dotdot = l == 2 && p[0] == '.' && p[1] == '.';
		bool last_up = n > 0 && plen[n - 1] == 2 && memcmp(part[n - 1], "..", 2) == 0;
		if (l == 1 && p[0] == '.') {
			/* drop */
		} else if (dotdot && n > 0 && !last_up) {
			n--;
		} else if (dotdot && abs) {
			/* ".." above "/" stays at "/" */
		} else {
			part = xgrow(part, &cap, n + 1, sizeof *part);
			plen = xgrow(plen, &pcap, n + 1, sizeof *plen);
			part[n] = p;
			plen[n++] = l;
		}
		p += l;
	}
	strbuf sb = STRBUF_INIT;
	if (abs)
		sb_addc(&sb, '/');
	for (size_t i = 0; i < n; i++) {
		if (i)
			sb_addc(&sb, '/');
		sb_add(&sb, part[i], plen[i]);
	}
	if (!sb.len)
		sb_addc(&sb, '.');
	free(part);
	free(plen);
	return sb_detach(&sb);
}

/* Absolute, normalised form of path (relative to the current directory). */
static char *absolute(const char *path)
{
	if (path[0] == '/')
		return winpath_normalize(path);
	char *cwd = getcwd(NULL, 0);
	strbuf sb = STRBUF_INIT;
	sb_addf(&sb, "%s/%s", cwd ? cwd : "/", path);
	free(cwd);
	char *r = winpath_normalize(sb_str(&sb));
	sb_free(&sb);
	return r;
}

/* True when path equals dir or lies below it (both absolute and normalised). */
static bool is_below(const char *path, const char *dir)
{
	size_t l = strlen(dir);
	if (strcmp(dir, "/") == 0)
		return true;
	return strncmp(path, dir, l) == 0 && (path[l] == '\0' || path[l] == '/');
}

/*
 * Checks the components of abs_path below abs_base with lstat, never
 * following a link.  Sets via_symlink or exists on c.
 */
static void check_components(const char *abs_path, const char *abs_base, winpath_candidate *c)
{
	size_t start = strcmp(abs_base, "/") == 0 ? 0 : strlen(abs_base);
	char *buf = xstrdup(abs_path);
	size_t len = strlen(buf), steps = 0;
	for (size_t i = start + 1; i <= len && steps < MAX_COMPONENTS; i++) {
		if (buf[i] != '/' && buf[i] != '\0')
			continue;
		steps++;
		char saved = buf[i];
		buf[i] = '\0';
		struct stat st;
		int r = lstat(buf, &st);
		buf[i] = saved;
		if (r != 0)
			break;
		if (S_ISLNK(st.st_mode)) {
			c->via_symlink = true;
			break;
		}
		if (i == len)
			c->exists = S_ISREG(st.st_mode);
		else if (!S_ISDIR(st.st_mode))
			break;
	}
	free(buf);
}

static char *candidate_path(const char *dir, winpath_rule r, const char *base)
{
	strbuf sb = STRBUF_INIT;
	switch (r) {
	case WINPATH_SAME_FOLDER:
		sb_addf(&sb, "%s/%s", dir, base);
		break;
	case WINPATH_VHD_FOLDER:
		sb_addf(&sb, "%s/" VHD_FOLDER "/%s", dir, base);
		break;
	case WINPATH_PARENT_VHD_FOLDER:
		sb_addf(&sb, "%s/../" VHD_FOLDER "/%s", dir, base);
		break;
	}
	char *r2 = winpath_normalize(sb_str(&sb));
	sb_free(&sb);
	return r2;
}

size_t winpath_resolve(const char *winpath, winpath_kind kind, const char *config_dir,
		       const char *evidence_root, winpath_list *out)
{
	out->v = NULL;
	out->n = 0;
	char *base = winpath_basename(winpath);
	if (!base || !config_dir) {
		free(base);
		return 0;
	}
	char *abs_root = evidence_root ? absolute(evidence_root) : NULL;
	char *abs_cfg = absolute(config_dir);
	char *check_base;
	if (abs_root) {
		check_base = xstrdup(abs_root);
	} else {
		/* Without a tree, check below the config folder's parent (covers every rule). */
		strbuf sb = STRBUF_INIT;
		sb_addf(&sb, "%s/..", abs_cfg);
		check_base = winpath_normalize(sb_str(&sb));
		sb_free(&sb);
	}
	/* The guest state file sits next to its configuration: only that folder. */
	size_t nrules = kind == WINPATH_GUEST_STATE ? 1 : sizeof disk_rules / sizeof disk_rules[0];
	out->v = xcalloc(nrules, sizeof *out->v);
	size_t found = 0;
	for (size_t i = 0; i < nrules; i++) {
		winpath_candidate *c = &out->v[out->n++];
		c->rule = disk_rules[i];
		c->path = candidate_path(config_dir, c->rule, base);
		char *abs_c = candidate_path(abs_cfg, c->rule, base);
		c->outside_tree = abs_root && !is_below(abs_c, abs_root);
		if (!c->outside_tree && is_below(abs_c, check_base))
			check_components(abs_c, check_base, c);
		found += c->exists;
		free(abs_c);
	}
	free(check_base);
	free(abs_cfg);
	free(abs_root);
	free(base);
	return found;
}

/* archive + "!" + the member path rel, normalised on its own. */
static char *member_candidate(const char *archive, const char *rel)
{
	char *norm = winpath_normalize(rel);
	strbuf sb = STRBUF_INIT;
	sb_addf(&sb, "%s!%s", archive, norm);
	free(norm);
	return sb_detach(&sb);
}

size_t winpath_resolve_member(const char *winpath, winpath_kind kind, const char *archive,
			      const char *member_dir, winpath_list *out)
{
	out->v = NULL;
	out->n = 0;
	char *base = winpath_basename(winpath);
	if (!base || !archive || !member_dir) {
		free(base);
		return 0;
	}
	size_t nrules = kind == WINPATH_GUEST_STATE ? 1 : sizeof disk_rules / sizeof disk_rules[0];
	out->v = xcalloc(nrules, sizeof *out->v);
	for (size_t i = 0; i < nrules; i++) {
		winpath_candidate *c = &out->v[out->n++];
		c->rule = disk_rules[i];
		char *rel = candidate_path(member_dir, c->rule, base);
		c->path = member_candidate(archive, rel);
		c->in_archive = true;
		free(rel);
	}
	free(base);
	return 0;
}

char *winpath_key(const char *path, size_t member_at)
{
	size_t len = strlen(path);
	if (member_at == 0 || member_at > len || path[member_at - 1] != '!')
		return winpath_normalize(path);
	char *archive = xstrndup(path, member_at - 1);
	char *k = member_candidate(archive, path + member_at);
	free(archive);
	return k;
}

void winpath_list_free(winpath_list *l)
{
	for (size_t i = 0; l && i < l->n; i++)
		free(l->v[i].path);
	if (l) {
		free(l->v);
		l->v = NULL;
		l->n = 0;
	}
}
