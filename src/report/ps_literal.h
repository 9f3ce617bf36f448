/*
 * ps_literal.h - the one writer of evidence-derived strings into PowerShell.
 *
 * Every string that comes from evidence (VM names, ids, paths, subjects)
 * reaches a generated script only through ps_lit(): an expression that
 * evaluates to exactly that string and is made of printable ASCII alone.
 *
 *   'web01'                                  printable ASCII: one single-quoted literal
 *   'O''Brien'                               the quote doubled
 *   ('web' + [char]0x0411 + '01')            anything else built from its code point
 *   ('' + [char]0x000A + 'x')                (control characters, C1, bidi, quotes such
 *                                            as U+2019, every non-ASCII character)
 *
 * Pure ASCII means the script reads the same in every decoder: Windows
 * PowerShell 5.1 reads a BOM-less script in the ANSI code page, where the
 * UTF-8 bytes of an innocent character can decode to a quote character.
 * Invalid UTF-8 bytes (possible in file names on the machine running hvtpm)
 * become U+FFFD.  Evidence text never goes into a comment: callers put it in
 * a variable and refer to that.
 */
#ifndef HVTPM_PS_LITERAL_H
#define HVTPM_PS_LITERAL_H

#include <stdbool.h>
#include <stddef.h>

#include "util/strbuf.h"

/* Appends the expression for s (NULL: the empty string). */
void ps_lit_add(strbuf *sb, const char *s);
/* The expression for s as a new string. */
char *ps_lit(const char *s);
/* True when c may appear in a generated script at all (printable ASCII, LF). */
bool ps_script_byte_ok(unsigned char c);

#endif
