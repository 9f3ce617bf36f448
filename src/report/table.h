/*
 * table.h - text for an 80-column terminal: aligned tables and wrapped
 * lines that fit the width of the terminal, and nothing cut that a reader
 * needs.
 *
 * Width 0 means "do not fit" (standard output is not a terminal: pipes and
 * files get whole lines).  Otherwise a table is fitted in this order:
 *   1. columns marked TB_WRAP (free text) and TB_CUT_MIDDLE (paths) shrink,
 *      the widest first, down to their minimum: wrapped text continues on
 *      the next lines of the row, a path loses its middle ("ab...yz");
 *   2. columns marked below (thumbprints, ids, counts) leave the row, last
 *      first, and are printed under it as "label value" pairs;
 *   3. TB_FIXED cells (host names, thumbprints, dates, verdicts) are never
 *      cut or broken: a row that still does not fit is printed longer.
 * Every cell is evidence text escaped by report/term.h (term_escape) here;
 * widths are measured with term_columns().
 */
#ifndef HVTPM_TABLE_H
#define HVTPM_TABLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "report/out.h"

typedef enum {
	TB_FIXED = 0,   /* never cut, never wrapped */
	TB_WRAP,        /* wrapped at spaces (a longer word is broken) */
	TB_CUT_MIDDLE,  /* one line; the middle is replaced by "..." */
} tb_fit;

typedef struct {
	const char *head;   /* upper-case column heading */
	tb_fit fit;
	size_t min;         /* columns it may shrink to (TB_WRAP, TB_CUT_MIDDLE) */
	bool right;         /* right-aligned (numbers) */
	bool below;         /* may move under the row when the row does not fit */
} tb_col;

typedef struct table table;

table *table_new(const tb_col *cols, size_t ncols);
/* Adds a row: ncols cells (NULL or "" shown as "-"), escaped here; colour per cell or NULL. */
void table_add(table *t, const char *const *cells, const out_colour *colour);
size_t table_rows(const table *t);
/* Prints heading and rows, each line starting with indent, fitted to width (0: not fitted). */
void table_print(FILE *o, const table *t, const char *indent, size_t width);
void table_free(table *t);

/*
 * Writes text (already escaped, or hvtpm's own; colour sequences from
 * out_c() allowed) as lines: the first starts with first, the next ones
 * with hang; broken at spaces to fit width (0: one line).  A word longer
 * than a line is broken where the line ends, so nothing is cut.
 */
void text_wrap(FILE *o, size_t width, const char *first, const char *hang, const char *text);
/*
 * Writes a block of lines another report wrote (already escaped), each
 * wrapped to width with its own leading spaces, plus two, as the indent of
 * its continuation lines.
 */
void text_wrap_block(FILE *o, size_t width, const char *block);
/* Columns text takes on a terminal (colour sequences take none). */
size_t text_columns(const char *text);

#endif
