/*
 * winpath.h - Windows paths found in VM configurations, and where the file
 * they name may be in a copied evidence tree.
 *
 * A path written by Windows ("C:\Disks\vm.vhdx") is kept as written and is
 * also resolved, by its base name, against the folder the configuration was
 * found in.  Search order (after dissect.target's Hyper-V loader, see
 * docs/disk.md s.4.4):
 *
 *   disks        <config dir>/<base>, <config dir>/Virtual Hard Disks/<base>,
 *                <config dir>/../Virtual Hard Disks/<base>
 *   guest state  <config dir>/<base> only (the .vmgs sits next to its .vmcx)
 *
 * Checking is read-only (lstat) and never follows a symbolic link: a
 * candidate whose path goes through a link is reported with via_symlink and
 * not checked further.  A candidate that lies outside the evidence tree the
 * user gave is reported with outside_tree and is not checked either.
 */
#ifndef HVTPM_WINPATH_H
#define HVTPM_WINPATH_H

#include <stdbool.h>
#include <stddef.h>

typedef enum {
	WINPATH_DISK = 0,
	WINPATH_GUEST_STATE,
} winpath_kind;

typedef enum {
	WINPATH_SAME_FOLDER = 0,     /* <config dir>/<base> */
	WINPATH_VHD_FOLDER,          /* <config dir>/Virtual Hard Disks/<base> */
	WINPATH_PARENT_VHD_FOLDER,   /* <config dir>/../Virtual Hard Disks/<base> */
} winpath_rule;

typedef struct {
	char *path;         /* local candidate path, lexically normalised */
	winpath_rule rule;
	bool outside_tree;  /* resolves outside the evidence root: not checked */
	bool via_symlink;   /* a component is a symbolic link: not followed, not checked */
	bool exists;        /* a regular file is there (checked with lstat) */
} winpath_candidate;

typedef struct {
	winpath_candidate *v;
	size_t n;
} winpath_list;

/* "Virtual Hard Disks" etc. */
const char *winpath_rule_name(winpath_rule r);

/*
 * Base name of a Windows path: the part after the last '\' or '/' (and after
 * a drive "X:").  NULL when there is none or it is "." or "..".  Caller frees.
 */
char *winpath_basename(const char *winpath);

/*
 * Lexically normalises a local path: collapses "//", removes "." and resolves
 * ".." against earlier components (never above "/" for absolute paths).
 * Caller frees.
 */
char *winpath_normalize(const char *path);

/*
 * Fills out with the candidates for winpath (see the order above) and checks
 * each one.  config_dir is the folder the configuration file was found in;
 * evidence_root is the directory the user gave (NULL: no tree given, nothing
 * is outside).  Relative config_dir/evidence_root are taken relative to the
 * current directory.  Returns the number of candidates that exist.
 */
size_t winpath_resolve(const char *winpath, winpath_kind kind, const char *config_dir,
		       const char *evidence_root, winpath_list *out);
void winpath_list_free(winpath_list *l);

#endif
