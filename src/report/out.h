/*
 * out.h - small helpers every report uses: colour only on a terminal
 * (and never when NO_COLOR is set), aligned "label: value" lines, and
 * json-c values that may be absent.
 */
#ifndef HVTPM_OUT_H
#define HVTPM_OUT_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include <json-c/json.h>

#include "util/strbuf.h"

typedef enum { C_NONE = 0, C_BOLD, C_RED, C_YELLOW, C_GREEN, C_DIM, C_CYAN } out_colour;

/* Decides once whether stdout gets colour (TTY and no NO_COLOR). */
void out_init_colour(FILE *stream);
bool out_colour_on(void);
/* Returns the escape sequence for c (or "" when colour is off); C_NONE resets. */
const char *out_c(out_colour c);

/*
 * Decides once the width text reports fit (report/table.h): 0 (whole lines)
 * when stream is not a terminal; on a terminal the COLUMNS environment
 * variable when it is a number from 20 to 1000, else the terminal's width
 * (TIOCGWINSZ), else 80.
 */
void out_init_width(FILE *stream);
size_t out_width(void);

/* "  label:<pad> value\n" with labels padded to width. */
void out_kv(FILE *o, const char *indent, int width, const char *label, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));

/*
 * The one JSON string writer for evidence text: valid UTF-8 whatever the
 * bytes (an invalid byte becomes U+FFFD).  NULL gives NULL (JSON null).
 */
json_object *json_text(const char *s);
/*
 * json-c helpers: NULL strings become JSON null.  jadd_str writes every
 * string through json_text; when the value is not valid UTF-8 it adds
 * "<key>_bytes" with the exact bytes in lower-case hex, so nothing is lost.
 */
void jadd_str(json_object *o, const char *key, const char *val);
/*
 * The one writer of enumerated values (verdicts, classes, states, kinds,
 * roles, origins): every such value in hvtpm's JSON is lower-case
 * snake_case, [a-z0-9_]+.  id is one of hvtpm's own names, never evidence
 * text; a '-' or ' ' in it is written as '_' and upper case as lower case,
 * so the rule holds whatever the table a name comes from.  NULL: null.
 */
void jadd_enum(json_object *o, const char *key, const char *id);
/* The same value as a json-c string (for arrays and object keys). */
json_object *json_enum(const char *id);
/* Writes the snake_case form of id into out (n bytes, NUL-terminated). */
void enum_id(const char *id, char *out, size_t n);
void jadd_int(json_object *o, const char *key, int64_t val);
void jadd_bool(json_object *o, const char *key, bool val);
void jadd_null(json_object *o, const char *key);
/* Prints a JSON document (pretty, deterministic key order as inserted) and a newline. */
void out_json(FILE *o, json_object *doc);
/* One-line JSON (for JSONL) and a newline. */
void out_json_line(FILE *o, json_object *doc);
/* The same line in memory (made where reports are made in parallel); caller frees. */
char *out_json_line_text(json_object *doc, size_t *len);
/*
 * Writes s with pad after every newline: a pretty JSON text nested one
 * level deeper in a document written piece by piece.
 */
void out_indented(FILE *o, const char *s, const char *pad);
/* The same appended to sb. */
void out_indented_sb(strbuf *sb, const char *s, const char *pad);
/*
 * v as pretty JSON (out_json's form) after lead, nested with pad after every
 * newline: an element of a document written piece by piece, made where
 * reports are made in parallel.  Takes v; caller frees.
 */
char *out_json_nested_text(json_object *v, const char *lead, const char *pad, size_t *len);

/*
 * 2: every enumerated value snake_case (verdicts no_vtpm, restorable_expired,
 * needs_password, rebuild_data_loss; evidence kind; certificate status
 * not_yet_valid); filter, vms_in_evidence and weak_protection fields.
 */
#define HVTPM_SCHEMA_VERSION 2

#endif
