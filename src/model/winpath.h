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
 *
 * A configuration read from an archive member is resolved inside that
 * archive, never on disk (winpath_resolve_member): the candidates are
 * members of the same archive, marked in_archive, named "ARCHIVE!MEMBER"
 * with the member part normalised on its own (".." never leaves the
 * archive).  Which paths are archive members is known from where the file
 * was read (file_facts.member_at), never guessed from a '!' in a name: a
 * file on disk may have any name.
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
	bool in_archive;    /* a member of the configuration's archive: looked up among the
			       evidence, never on disk (exists is false) */
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
/*
 * The same for a configuration that is a member of an archive: archive is
 * the archive's display path, member_dir the member's folder inside it
 * ("." at the top).  Every candidate is in_archive and nothing is checked
 * on disk.  Returns 0 (existence is decided among the evidence).
 */
size_t winpath_resolve_member(const char *winpath, winpath_kind kind, const char *archive,
			      const char *member_dir, winpath_list *out);
/*
 * The lookup key of an evidence path: for an archive member (member_at > 0:
 * where the member part starts, after "ARCHIVE!"), the archive part as it is
 * and the member part normalised; else the whole path normalised.  The
 * candidates of winpath_resolve_member are already in this form.  Caller frees.
 */
char *winpath_key(const char *path, size_t member_at);
void winpath_list_free(winpath_list *l);

#endif
