/*
 * manifest_report.h - the export manifest check of hvtpm audit
 * (analysis/manifest_check.h) as text and JSON; the HTML page has its own
 * section (html_report.c) built on the same words.
 *
 * Status spelling, the same in every output: ok, unchecked, missing,
 * changed, does_not_open, no_private_key.
 *
 * JSON, one object per manifest (the "manifests" array of the audit
 * document, "manifest" records of JSONL):
 *   path, sha256            the manifest file
 *   host, created           the exporting host and when the export ran
 *   problems                entries that are missing, changed, do not open or
 *                           lack the private key
 *   certificates[]          file (as the manifest names it), path (of the file
 *                           found, or where it was looked for), thumbprint_sha1,
 *                           role, host, not_before, not_after, sha256 (as
 *                           exported), found_sha256 (null: missing or not
 *                           hashed), status, reason
 *   unlisted[]              {path, sha256} of .pfx files beside it that no
 *                           entry names
 */
#ifndef HVTPM_MANIFEST_REPORT_H
#define HVTPM_MANIFEST_REPORT_H

#include <stddef.h>
#include <stdio.h>

#include <json-c/json.h>

#include "analysis/manifest_check.h"
#include "model/evidence.h"
#include "util/strbuf.h"

/* The status as every output spells it. */
const char *manifest_status_id(export_status s);
/*
 * What an entry's status means for that file, in one sentence; raw: it may
 * hold evidence text (an error naming a file), so escape it for the sink.
 * npasswords: PFX password candidates given.
 */
void manifest_reason(strbuf *sb, const evidence *e, const mc_entry *c, size_t npasswords);
/* "encryption certificate of HV01" (raw: the host is evidence text). */
void manifest_entry_label(strbuf *sb, const evidence *e, const mc_entry *c);

/*
 * The audit's text section: a count line, then one line per problem.
 * Nothing when the evidence holds no export manifest.
 */
void manifest_report_text(FILE *o, const evidence *e, const mc_result *r, size_t npasswords,
			  size_t width);
/* Manifest k of r as JSON (the object above). */
json_object *manifest_report_json(const evidence *e, const mc_result *r, size_t k,
				  size_t npasswords);

#endif
