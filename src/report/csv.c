/* csv.c - CSV cells: RFC 4180 quoting and formula neutralising (see csv.h). */
#include "report/csv.h"

#include <string.h>

bool csv_needs_guard(char c)
{
	return c == '=' || c == '+' || c == '-' || c == '@' || c == '\t' || c == '\r' ||
	       c == '\'';
}

void csv_write_cell(FILE *o, csv_cell c)
{
	const char *s = c.text;
	if (!s)
		return;
	if (c.number) {
		fputs(s, o);
		return;
	}
	bool guard = csv_needs_guard(*s);
	bool quote = strpbrk(s, ",\"\r\n") != NULL;
	if (quote)
		fputc('"', o);
	if (guard)
		fputc('\'', o);
	for (const char *q; (q = strchr(s, '"')); s = q + 1) { /* a quote is doubled */
		fwrite(s, 1, (size_t)(q - s) + 1, o);
		fputc('"', o);
	}
	fputs(s, o);
	if (quote)
		fputc('"', o);
}

void csv_write_row(FILE *o, const csv_cell *cells, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (i)
			fputc(',', o);
		csv_write_cell(o, cells[i]);
	}
	fputs("\r\n", o);
}

void csv_write_texts(FILE *o, const char *const *cells, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (i)
			fputc(',', o);
		csv_write_cell(o, csv_txt(cells[i]));
	}
	fputs("\r\n", o);
}
