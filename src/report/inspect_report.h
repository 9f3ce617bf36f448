/*
 * inspect_report.h - one file's facts (model/facts.h) in full, for people
 * (aligned text) or machines (one JSON object per file, streamed).
 *
 * JSON (schema_version 2), per file: path (+ path_bytes when not UTF-8),
 * sha256, sha256_scope ("file" | "metadata"), size, format {id, description}
 * or null, class (used | damaged | unrecognised | unreadable | skipped),
 * status (ok | io | format | corrupt | unsupported | limit | password |
 * internal), error, what, claimed_format, findings[] {severity, offset,
 * message}, and what the file holds: container, host_registry, vm,
 * key_protectors[] {location, origin, heuristic, form, empty,
 * payload_sha256, input, key_protector, error}, current_vs_last_known_good,
 * tree, pfx, certificates, guardian, disk, guest_state (report/vmgs_report.h),
 * embedded_repositories[] {offset,
 * container, vm, key_protectors (by location)}, carve {candidates, hits}.
 * Keys that do not apply are absent.
 */
#ifndef HVTPM_INSPECT_REPORT_H
#define HVTPM_INSPECT_REPORT_H

#include <stdbool.h>
#include <stdio.h>
#include <time.h>

#include <json-c/json.h>

#include "model/facts.h"
#include "report/findings_report.h"

typedef struct {
	time_t at;          /* certificate validity evaluated at */
	bool tree;          /* show the configuration tree */
} inspect_report_opts;

void inspect_report_text(FILE *o, const file_facts *x, const inspect_report_opts *ro);
json_object *inspect_report_json(const file_facts *x, const inspect_report_opts *ro);

/* The streamed JSON document: {schema_version, tool, generated_at, files: [...], summary}. */
void inspect_json_begin(FILE *o, const char *generated_at);
/*
 * One file of the document in two steps, the first where files are read in
 * parallel: the element's text (takes file; caller frees), then that text
 * written as element index.
 */
char *inspect_json_file_text(json_object *file, size_t *len);
void inspect_json_file_put(FILE *o, const char *text, size_t len, size_t index);
void inspect_json_end(FILE *o, const size_t nclass[], size_t nfiles, int exit_code);

#endif
