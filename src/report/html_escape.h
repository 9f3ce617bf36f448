/*
 * html_escape.h - the one HTML escaper for every value read from evidence.
 *
 * VM names, paths, subjects and host names are attacker-controlled.  The
 * same escaping is safe in HTML text, in RCDATA (<title>), in SVG <text>
 * and in double- or single-quoted attribute values; it is never meant for
 * <script>, <style>, URLs or event attributes, and the reports put no
 * evidence there.
 *
 *   & < > " '                        &amp; &lt; &gt; &quot; &#39;
 *   U+0000-U+001F, U+007F            \xNN  (TAB, CR and LF too: a name with a
 *                                          line break shows it)
 *   U+0080-U+009F (C1 controls)      \uNNNN
 *   bidi controls (U+061C, U+200E, U+200F, U+202A-U+202E, U+2066-U+2069),
 *   line and paragraph separators (U+2028, U+2029), invisible format
 *   characters (U+200B, U+2060-U+2064, U+206A-U+206F, U+FEFF,
 *   U+FFF9-U+FFFB), tag characters (U+E0000-U+E007F) and noncharacters
 *   (U+FDD0-U+FDEF, U+xFFFE, U+xFFFF)
 *                                    \uNNNN or \u{NNNNN}: visible and inert
 *   bytes that are not valid UTF-8   U+FFFD, one per byte
 * Everything else (printable ASCII, letters of every script, U+200C/U+200D
 * joiners) is copied as it is.
 */
#ifndef HVTPM_HTML_ESCAPE_H
#define HVTPM_HTML_ESCAPE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "util/strbuf.h"

/* True when the code point is shown as an escape (controls, bidi, invisible format). */
bool html_cp_hidden(uint32_t cp);
/* Appends len bytes of s, escaped, to sb. */
void html_escape_add(strbuf *sb, const char *s, size_t len);
/* Writes s escaped; NULL writes nothing. */
void html_escape_put(FILE *o, const char *s);
/* A new escaped copy of s (NULL gives ""); the caller frees. */
char *html_escape(const char *s);
/*
 * The first max characters of s (a byte that is not valid UTF-8 counts as
 * one), with "…" appended when s was longer, as a new unescaped string for
 * html_escape_put.  The caller frees.
 */
char *html_truncate(const char *s, size_t max);

#endif
