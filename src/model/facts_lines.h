/*
 * facts_lines.h - a facts file's lines split and parsed ahead of the loader.
 *
 * Parsing a line of JSON costs about as much as loading the record it
 * holds.  A helper thread reads the file (src_stream), splits it into lines
 * and parses each with json-c, a batch at a time; the loader takes the
 * lines in file order on its own thread.  At most FACTS_LINES_QUEUED
 * batches wait, so memory stays bounded whatever the size of the file.
 *
 * Only splitting and parsing happen ahead: every check that depends on the
 * order of the lines (line numbers, the end line, the digest) stays with
 * the loader, which therefore reports exactly what the serial reading
 * reports.  Lines longer than the cap are not parsed; the first one ends
 * the stream.
 */
#ifndef HVTPM_FACTS_LINES_H
#define HVTPM_FACTS_LINES_H

#include <json-c/json.h>
#include <stdbool.h>
#include <stddef.h>

#include "util/diag.h"
#include "util/source.h"

#define FACTS_LINES_BATCH       256        /* lines per batch ... */
#define FACTS_LINES_BATCH_BYTES (1u << 19) /* ... or bytes of text, whichever comes first */
#define FACTS_LINES_QUEUED      2          /* batches parsed ahead of the loader */

typedef enum {
	FL_OK = 0,        /* obj is a JSON object */
	FL_NUL,           /* the line holds a NUL byte (not parsed) */
	FL_NOT_OBJECT,    /* not one JSON object (obj NULL) */
	FL_TOO_LONG,      /* longer than the cap: text and obj NULL; the last line */
} facts_line_status;

typedef struct {
	const char *text;          /* the line without its '\n', NUL-terminated */
	size_t len;
	json_object *obj;          /* FL_OK: the parse, freed with its batch (next call) */
	facts_line_status status;
} facts_line;

typedef struct facts_lines facts_lines;

/*
 * Starts the helper on s (which must outlive facts_lines_finish); max: the
 * line cap.  NULL when no thread could be started (then read serially).
 */
facts_lines *facts_lines_start(hv_source *s, size_t max);
/*
 * The next line, valid until the next call; NULL after the last one (the
 * file's end, a read error, or a line over the cap).
 */
facts_line *facts_lines_next(facts_lines *fl);
/*
 * Stops the helper (whether every line was taken or not) and frees what is
 * left.  Returns how the reading ended (HV_OK, or the src_stream error,
 * whose findings are moved to f).
 */
hv_err facts_lines_finish(facts_lines *fl, hv_findings *f);

#endif
