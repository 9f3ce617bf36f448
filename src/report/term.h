/*
 * term.h - the one writer of evidence text to a terminal.
 *
 * Every string that comes from evidence (paths, archive member names, VM
 * names, GPT partition names, BitLocker descriptions, certificate subjects)
 * reaches stdout text reports and stderr diagnostics through term_escape()
 * or term_put().  What could move the cursor, change colours, ring the
 * bell, start a new line or reorder the text is shown as a visible escape
 * instead of being sent:
 *
 *   C0 controls and DEL                 \xNN    (ESC, BEL, CR, LF, TAB ...)
 *   C1 controls U+0080..U+009F          \u0085  (NEL, CSI U+009B, OSC U+009D ...)
 *   bidi controls                       \u202E  (U+061C, U+200E, U+200F,
 *                                                U+202A..U+202E, U+2066..U+2069)
 *   line and paragraph separators       \u2028, \u2029
 *   invalid UTF-8 bytes                 \xNN
 *
 * A backslash is kept as it is (Windows paths stay readable): a name that
 * spells "\x1B" shows those four characters; the JSON output has the exact
 * bytes when it matters.
 * Everything else (printable ASCII and other Unicode) is kept, so names in
 * any script stay readable.
 */
#ifndef HVTPM_TERM_H
#define HVTPM_TERM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "util/strbuf.h"

/* Appends s escaped (NULL: "-"). */
void term_add(strbuf *sb, const char *s);
/* s escaped, as a new string (NULL: "-"). */
char *term_escape(const char *s);
/* Writes s escaped. */
void term_put(FILE *o, const char *s);
/* True when the code point is shown as an escape. */
bool term_unsafe(unsigned long cp);
/* Display columns of a string already escaped (one per code point; wide CJK counted as 2). */
size_t term_columns(const char *s);

#endif
