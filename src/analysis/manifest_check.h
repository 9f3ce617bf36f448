/*
 * manifest_check.h - the export manifests of an evidence set compared with
 * the PFX files beside them (hvtpm audit).  Each certificate an export
 * wrote (formats/export_manifest.h) gets an export_status:
 *
 *   ok              the file is there, has the SHA-256 the manifest gives,
 *                   opens, and holds that certificate with its private key
 *   unchecked       there and unchanged, but not opened: no password was
 *                   given (or a cap left it unread)
 *   missing         no file of that name beside the manifest
 *   changed         its SHA-256 differs from the manifest's
 *   does-not-open   unchanged but it does not open: damaged, unreadable,
 *                   protection not supported, or no password given opens it
 *   no-private-key  opens, but without that certificate and its private key
 *
 * The last four are problems: they make the audit's exit status at least
 * 1 (attention).
 *
 * "Beside": the evidence file whose path is the manifest's folder followed
 * by the entry's file name, compared without regard to ASCII letter case
 * as on Windows.  The folder is the manifest's path up to its last '/';
 * inside an archive (ev_file.member_at: known from where the file was read,
 * never from a '!' in a name), a member at the top of the archive has the
 * folder "archive!", so "a.zip!m.json" and "a.zip!x.pfx" are beside each
 * other, and "a.zip!dir/m.json" and "a.zip!dir/x.pfx" too.
 *
 * Pure data: nothing printed (report/audit_report.c renders it).
 */
#ifndef HVTPM_MANIFEST_CHECK_H
#define HVTPM_MANIFEST_CHECK_H

#include <stdbool.h>
#include <stddef.h>

#include "formats/export_manifest.h"
#include "model/evidence.h"

/* One certificate a manifest lists. */
typedef struct {
	size_t manifest;          /* evidence.files index of the manifest */
	size_t entry;             /* index into that file's export_facts */
	export_status status;
	size_t file;              /* evidence.files index of the PFX; SIZE_MAX: missing */
	char *path;               /* the PFX's path, or where it was looked for (owned) */
} mc_entry;

/* One manifest of the evidence (a used export-manifest file). */
typedef struct {
	size_t file;              /* evidence.files index of the manifest */
	size_t first, n;          /* its entries: mc_result.v[first .. first + n) */
	size_t bad;               /* of them, problems */
	size_t *unlisted;         /* evidence.files indexes of .pfx files beside it no entry names */
	size_t nunlisted;
} mc_manifest;

typedef struct {
	mc_manifest *m;           /* in evidence order */
	size_t nm;
	mc_entry *v;              /* manifest by manifest, each in manifest order */
	size_t n;
	size_t bad;               /* entries that are problems */
	size_t unchecked;         /* entries unchecked */
} mc_result;

/*
 * Compares every manifest of e with the files beside it.  passwords_given:
 * PFX password candidates were given, so a PFX none of them opens does not
 * open (else it is unchecked).  Never fails.
 */
void manifest_check(const evidence *e, bool passwords_given, mc_result *r);
void mc_result_free(mc_result *r);

/* True for missing, changed, does-not-open and no-private-key. */
bool mc_status_bad(export_status s);
/* The exit status the manifests add: HV_EXIT_ATTENTION when any entry is a problem. */
int mc_exit_code(const mc_result *r);

#endif
