/* table.c - tables and wrapped lines fitted to the terminal (see table.h). */
#include "report/table.h"

#include <stdlib.h>
#include <string.h>

#include "report/term.h"
#include "util/strbuf.h"
#include "util/text.h"
#include "util/xalloc.h"

#define GAP 2          /* spaces between two columns */
#define BELOW_INDENT 4 /* extra indent of the "label value" line under a row */

struct table {
	tb_col *cols;
	size_t ncols;
	char **cells;          /* row-major, escaped */
	out_colour *colour;
	size_t nrows, caprows;
};

/* ---- measuring ------------------------------------------------------------------------ */

/* Bytes of the next unit of s (a colour sequence or one code point); *cols its columns. */
static size_t unit(const char *s, size_t *cols)
{
	if (s[0] == '\033' && s[1] == '[') {
		size_t i = 2;
		while (s[i] && s[i] != 'm')
			i++;
		*cols = 0;
		return s[i] ? i + 1 : i;
	}
	uint32_t cp;
	size_t n = utf8_next(s, strnlen(s, 4), &cp);
	if (!n)
		n = 1;
	char buf[5];
	memcpy(buf, s, n);
	buf[n] = '\0';
	*cols = term_columns(buf);
	return n;
}

size_t text_columns(const char *text)
{
	size_t cols = 0;
	for (const char *p = text; *p;) {
		size_t c;
		p += unit(p, &c);
		cols += c;
	}
	return cols;
}

/* Bytes of the longest prefix of s (up to n bytes) that takes at most cols columns. */
static size_t prefix_for(const char *s, size_t n, size_t cols)
{
	size_t i = 0, used = 0;
	while (i < n && s[i]) {
		size_t c, b = unit(s + i, &c);
		if (used + c > cols)
			break;
		used += c;
		i += b;
	}
	return i;
}

/* ---- wrapping --------------------------------------------------------------------------- */

typedef struct {
	char **v;
	size_t n;
} lines;

static void lines_add(lines *l, const char *s, size_t n)
{
	l->v = xrealloc(l->v, (l->n + 1) * sizeof *l->v);
	l->v[l->n++] = xstrndup(s, n);
}

static void lines_free(lines *l)
{
	for (size_t i = 0; i < l->n; i++)
		free(l->v[i]);
	free(l->v);
	memset(l, 0, sizeof *l);
}

/* Breaks text into lines of at most w columns (w 0: one line). */
static void wrap_lines(const char *text, size_t w, lines *out)
{
	size_t len = strlen(text);
	if (!w || text_columns(text) <= w) {
		lines_add(out, text, len);
		return;
	}
	size_t pos = 0;
	while (pos < len) {
		if (out->n)
			while (text[pos] == ' ')
				pos++;
		if (pos >= len)
			break;
		const char *rest = text + pos;
		size_t room = prefix_for(rest, len - pos, w);
		if (pos + room >= len) {
			lines_add(out, rest, len - pos);
			break;
		}
		size_t brk = room;
		while (brk > 0 && rest[brk] != ' ' && rest[brk - 1] != ' ')
			brk--;
		if (brk == 0) { /* a word longer than a line: break after a separator if one is near */
			brk = room;
			while (brk > room / 2 && !strchr("/\\_-", rest[brk - 1]))
				brk--;
			if (brk <= room / 2)
				brk = room ? room : unit(rest, &(size_t){ 0 });
		}
		size_t end = brk;
		while (end > 0 && rest[end - 1] == ' ')
			end--;
		lines_add(out, rest, end ? end : brk);
		pos += brk;
	}
	if (!out->n)
		lines_add(out, "", 0);
}

void text_wrap(FILE *o, size_t width, const char *first, const char *hang, const char *text)
{
	size_t ind = text_columns(first) > text_columns(hang) ? text_columns(first)
							     : text_columns(hang);
	size_t w = width > ind + 20 ? width - ind : width ? 20 : 0;
	lines l = { NULL, 0 };
	wrap_lines(text, w, &l);
	for (size_t i = 0; i < l.n; i++) {
		fputs(i ? hang : first, o);
		fputs(l.v[i], o);
		fputc('\n', o);
	}
	lines_free(&l);
}

void text_wrap_block(FILE *o, size_t width, const char *block)
{
	strbuf first = STRBUF_INIT, hang = STRBUF_INIT, line = STRBUF_INIT;
	for (const char *p = block; *p;) {
		const char *e = strchr(p, '\n');
		size_t n = e ? (size_t)(e - p) : strlen(p);
		size_t sp = 0;
		while (sp < n && p[sp] == ' ')
			sp++;
		sb_reset(&first);
		sb_reset(&hang);
		sb_reset(&line);
		sb_add(&first, p, sp);
		sb_add(&hang, p, sp);
		sb_adds(&hang, "  ");
		sb_add(&line, p + sp, n - sp);
		text_wrap(o, width, sb_str(&first), sb_str(&hang), sb_str(&line));
		p += n + (e ? 1 : 0);
	}
	sb_free(&first);
	sb_free(&hang);
	sb_free(&line);
}

/* s with its middle replaced by "..." so that it takes at most w columns. */
static char *cut_middle(const char *s, size_t w)
{
	size_t cols = text_columns(s);
	if (cols <= w || w < 5)
		return xstrdup(s);
	size_t keep = w - 3, left = keep / 3, right = keep - left;
	size_t len = strlen(s);
	size_t lb = prefix_for(s, len, left);
	/* the right part: skip units until what is left fits */
	size_t rb = 0, skipped = 0, need = cols - right;
	while (rb < len && skipped < need) {
		size_t c;
		rb += unit(s + rb, &c);
		skipped += c;
	}
	strbuf sb = STRBUF_INIT;
	sb_add(&sb, s, lb);
	sb_adds(&sb, "...");
	sb_adds(&sb, s + rb);
	return sb_detach(&sb);
}

/* ---- tables ----------------------------------------------------------------------------- */

static size_t longest_word(const char *s);

table *table_new(const tb_col *cols, size_t ncols)
{
	table *t = xcalloc(1, sizeof *t);
	t->cols = xcalloc(ncols, sizeof *t->cols);
	memcpy(t->cols, cols, ncols * sizeof *cols);
	t->ncols = ncols;
	for (size_t i = 0; i < ncols; i++) {
		/* a wrapped column's heading may wrap too, down to its longest word */
		size_t h = cols[i].fit == TB_WRAP ? longest_word(cols[i].head)
						  : text_columns(cols[i].head);
		if (t->cols[i].min < h)
			t->cols[i].min = h;
	}
	return t;
}

void table_add(table *t, const char *const *cells, const out_colour *colour)
{
	if (t->nrows == t->caprows) {
		t->caprows = t->caprows ? t->caprows * 2 : 32;
		t->cells = xrealloc(t->cells, t->caprows * t->ncols * sizeof *t->cells);
		t->colour = xrealloc(t->colour, t->caprows * t->ncols * sizeof *t->colour);
	}
	for (size_t i = 0; i < t->ncols; i++) {
		const char *c = cells[i] && *cells[i] ? cells[i] : "-";
		t->cells[t->nrows * t->ncols + i] = term_escape(c);
		t->colour[t->nrows * t->ncols + i] = colour ? colour[i] : C_NONE;
	}
	t->nrows++;
}

size_t table_rows(const table *t)
{
	return t->nrows;
}

void table_free(table *t)
{
	if (!t)
		return;
	for (size_t i = 0; i < t->nrows * t->ncols; i++)
		free(t->cells[i]);
	free(t->cells);
	free(t->colour);
	free(t->cols);
	free(t);
}

/* Columns of the longest word of s (a run without spaces). */
static size_t longest_word(const char *s)
{
	size_t best = 0, cur = 0;
	for (const char *p = s; *p;) {
		size_t c, b = unit(p, &c);
		if (*p == ' ')
			cur = 0;
		else if ((cur += c) > best)
			best = cur;
		p += b;
	}
	return best;
}

/* Shrinks the active TB_WRAP/TB_CUT_MIDDLE columns, widest first, down to floor[]. */
static size_t shrink(const table *t, size_t total, size_t width, size_t *w, const bool *active,
		     const size_t *floor)
{
	while (total > width) {
		size_t best = t->ncols;
		for (size_t i = 0; i < t->ncols; i++) {
			if (!active[i] || t->cols[i].fit == TB_FIXED || w[i] <= floor[i])
				continue;
			if (best == t->ncols || w[i] > w[best])
				best = i;
		}
		if (best == t->ncols)
			break;
		w[best]--;
		total--;
	}
	return total;
}

/*
 * Natural widths, then the fitting of table.h: wrapped columns shrink no
 * further than their longest word while columns can still move under the
 * row; only then are words broken.  Fills w and active.
 */
static void fit(const table *t, size_t width, size_t indent, size_t *w, bool *active)
{
	size_t *natural = xcalloc(t->ncols, sizeof *natural);
	size_t *soft = xcalloc(t->ncols, sizeof *soft);
	for (size_t i = 0; i < t->ncols; i++) {
		natural[i] = text_columns(t->cols[i].head);
		soft[i] = t->cols[i].min;
		for (size_t r = 0; r < t->nrows; r++) {
			const char *cell = t->cells[r * t->ncols + i];
			size_t c = text_columns(cell);
			if (c > natural[i])
				natural[i] = c;
			if (t->cols[i].fit == TB_WRAP && longest_word(cell) > soft[i])
				soft[i] = longest_word(cell);
		}
		if (soft[i] > natural[i])
			soft[i] = natural[i];
		active[i] = true;
	}
	for (;;) {
		size_t total = indent, n = 0;
		for (size_t i = 0; i < t->ncols; i++) {
			w[i] = natural[i];
			if (active[i]) {
				total += w[i] + (n ? GAP : 0);
				n++;
			}
		}
		if (!width)
			break;
		total = shrink(t, total, width, w, active, soft);
		if (total <= width)
			break;
		size_t last = t->ncols;
		for (size_t i = 0; i < t->ncols; i++)
			if (active[i] && t->cols[i].below)
				last = i;
		if (last == t->ncols) {
			size_t *hard = xcalloc(t->ncols, sizeof *hard);
			for (size_t i = 0; i < t->ncols; i++)
				hard[i] = t->cols[i].min;
			shrink(t, total, width, w, active, hard);
			free(hard);
			break;
		}
		active[last] = false;
	}
	free(soft);
	free(natural);
}

static void put_cell(FILE *o, const char *s, size_t w, bool right, bool last, out_colour k)
{
	size_t c = text_columns(s);
	size_t pad = w > c ? w - c : 0;
	if (right)
		fprintf(o, "%*s", (int)pad, "");
	fputs(k ? out_c(k) : "", o);
	fputs(s, o);
	fputs(k ? out_c(C_NONE) : "", o);
	if (!right && !last)
		fprintf(o, "%*s", (int)pad, "");
}

static size_t last_active(const bool *active, size_t n)
{
	size_t last = 0;
	for (size_t i = 0; i < n; i++)
		if (active[i])
			last = i;
	return last;
}

/* One row of cells (the heading when cells is the column heads): wrapped lines side by side. */
static void print_cells(FILE *o, const table *t, const char *const *cells,
			const out_colour *colour, const char *indent, size_t width, const size_t *w,
			const bool *active)
{
	lines *cl = xcalloc(t->ncols, sizeof *cl);
	size_t height = 1, last = last_active(active, t->ncols);
	for (size_t i = 0; i < t->ncols; i++) {
		if (!active[i])
			continue;
		const char *c = cells[i];
		if (!width || t->cols[i].fit == TB_FIXED) {
			lines_add(&cl[i], c, strlen(c));
		} else if (t->cols[i].fit == TB_CUT_MIDDLE) {
			char *cut = cut_middle(c, w[i]);
			lines_add(&cl[i], cut, strlen(cut));
			free(cut);
		} else {
			wrap_lines(c, w[i], &cl[i]);
		}
		if (cl[i].n > height)
			height = cl[i].n;
	}
	for (size_t k = 0; k < height; k++) {
		fputs(indent, o);
		bool first = true;
		for (size_t i = 0; i < t->ncols; i++) {
			if (!active[i])
				continue;
			fprintf(o, "%*s", first ? 0 : GAP, "");
			first = false;
			const char *s = k < cl[i].n ? cl[i].v[k] : "";
			put_cell(o, s, w[i], t->cols[i].right, i == last, *s ? colour[i] : C_NONE);
		}
		fputc('\n', o);
	}
	for (size_t i = 0; i < t->ncols; i++)
		lines_free(&cl[i]);
	free(cl);
}

/* The cells moved under the row: "label value" pairs, a pair never broken across lines. */
static void print_below(FILE *o, const table *t, size_t r, const char *indent, size_t width,
			const bool *active)
{
	strbuf in = STRBUF_INIT, line = STRBUF_INIT, pair = STRBUF_INIT;
	sb_addf(&in, "%s%*s", indent, BELOW_INDENT, "");
	size_t room = width > text_columns(sb_str(&in)) ? width - text_columns(sb_str(&in)) : 0;
	for (size_t i = 0; i < t->ncols; i++) {
		if (active[i])
			continue;
		sb_reset(&pair);
		for (const char *h = t->cols[i].head; *h; h++) {
			char ch = *h;
			if (ch >= 'A' && ch <= 'Z')
				ch = (char)(ch + ('a' - 'A'));
			sb_addc(&pair, ch);
		}
		sb_addc(&pair, ' ');
		sb_adds(&pair, t->cells[r * t->ncols + i]);
		if (line.len && room &&
		    text_columns(sb_str(&line)) + GAP + text_columns(sb_str(&pair)) > room) {
			text_wrap(o, width, sb_str(&in), sb_str(&in), sb_str(&line));
			sb_reset(&line);
		}
		if (line.len)
			sb_adds(&line, "  ");
		sb_adds(&line, sb_str(&pair));
	}
	if (line.len)
		text_wrap(o, width, sb_str(&in), sb_str(&in), sb_str(&line));
	sb_free(&in);
	sb_free(&line);
	sb_free(&pair);
}

static void print_row(FILE *o, const table *t, size_t r, const char *indent, size_t width,
		      const size_t *w, const bool *active)
{
	print_cells(o, t, (const char *const *)&t->cells[r * t->ncols], &t->colour[r * t->ncols],
		    indent, width, w, active);
	print_below(o, t, r, indent, width, active);
}

void table_print(FILE *o, const table *t, const char *indent, size_t width)
{
	size_t *w = xcalloc(t->ncols, sizeof *w);
	bool *active = xcalloc(t->ncols, sizeof *active);
	fit(t, width, text_columns(indent), w, active);
	const char **heads = xcalloc(t->ncols, sizeof *heads);
	out_colour *bold = xcalloc(t->ncols, sizeof *bold);
	for (size_t i = 0; i < t->ncols; i++) {
		heads[i] = t->cols[i].head;
		bold[i] = C_BOLD;
	}
	print_cells(o, t, heads, bold, indent, width, w, active);
	free(heads);
	free(bold);
	for (size_t r = 0; r < t->nrows; r++)
		print_row(o, t, r, indent, width, w, active);
	free(w);
	free(active);
}
