/*
 * csv.h - the one writer of CSV cells (RFC 4180: fields with a comma,
 * quote, CR or LF are quoted, quotes doubled; rows end with CRLF).
 *
 * Text cells (VM names, paths, subjects: anything from the evidence, and
 * hvtpm's own words) are neutralised against formula injection as OWASP
 * recommends: a cell that begins with '=', '+', '-', '@', TAB or CR would
 * be run as a formula by a spreadsheet, so it is written with a single
 * quote in front ("=HYPERLINK(...)" becomes "'=HYPERLINK(...)").  A cell
 * that already begins with a quote gets one more, so the rule is
 * reversible: remove one leading quote from any text cell that has one to
 * get the value back.  Numbers hvtpm computed (days left, counts, exit
 * codes) are written as numbers, a minus sign included.
 */
#ifndef HVTPM_CSV_H
#define HVTPM_CSV_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

typedef struct {
	const char *text;   /* NULL: an empty cell */
	bool number;        /* a number hvtpm computed: written as it is */
} csv_cell;

/* A text cell (neutralised and quoted as above). */
static inline csv_cell csv_txt(const char *s)
{
	csv_cell c = { s, false };
	return c;
}

/* True when a text cell starting with c is written with a quote in front. */
bool csv_needs_guard(char c);
/* Writes one cell (no separator). */
void csv_write_cell(FILE *o, csv_cell c);
/* Writes n cells separated by commas, then CRLF. */
void csv_write_row(FILE *o, const csv_cell *cells, size_t n);
/* Writes a row of text cells (a heading). */
void csv_write_texts(FILE *o, const char *const *cells, size_t n);

#endif
