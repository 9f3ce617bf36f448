/*
 * test_hostile.c - the hvtpm binary over hostile evidence (issue #11), every
 * command in every format.  tests/hostile/ lays out the evidence (VM names,
 * file and folder names, archive members, certificate subjects, partition
 * names and BitLocker descriptions carrying terminal escapes, forged lines,
 * PowerShell breakouts, spreadsheet formulas and HTML) and, for comparison,
 * its twin: the same tree with a benign name in place of each hostile one.
 *
 *   text (stdout and stderr of every run)  valid UTF-8; no C0 control but LF
 *                                          and TAB, no DEL, no C1 control, no
 *                                          bidi control or line separator; no
 *                                          line starting with "FAKE"
 *   JSON, JSONL                            strict UTF-8, strict json-c parse;
 *                                          names kept exactly; bytes that are
 *                                          not UTF-8 kept in *_bytes
 *   CSV                                    no cell starts a formula unless it
 *                                          is a number hvtpm computed; the
 *                                          quote in front is the only change
 *   HTML                                   well-formed; as an HTML parser sees
 *                                          it, no element, attribute, comment
 *                                          or script text the twin page lacks
 *   PowerShell (plans and host scripts)    tests/pscheck: printable ASCII, the
 *                                          same parse as UTF-8 and Windows-1252,
 *                                          markers inside literals; and the
 *                                          skeleton (every literal masked) is
 *                                          the twin's: no evidence byte outside
 *                                          a literal
 *
 * Each checker is a plain function returning why it rejects, and the first
 * tests feed each one output that is deliberately unsafe: a checker that
 * cannot fail proves nothing.
 */
#include <dirent.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <json-c/json.h>
#include <libxml/HTMLparser.h>
#include <libxml/parser.h>
#include <libxml/tree.h>

#include "hostile/hostile.h"
#include "support/testutil.h"
#include "util/strbuf.h"

#define SDE "SOURCE_DATE_EPOCH=1790000000"
#define AT "2026-10-01"

/* The hostile tree and its twin, laid out once by main() before the tests fork. */
typedef struct {
	char *root, *ev, *pw;
	bool twin;
} tree;
static tree H, T;
static char *scratch;

/* ---- running hvtpm -------------------------------------------------------------------- */

/* Runs hvtpm with the NULL-terminated arguments (a fixed SOURCE_DATE_EPOCH). */
static tu_run_result hv(const char *a0, ...)
{
	const char *argv[128];
	size_t n = 0;
	argv[n++] = tu_bin();
	va_list ap;
	va_start(ap, a0);
	for (const char *a = a0; a && n < 127; a = va_arg(ap, const char *))
		argv[n++] = a;
	va_end(ap);
	argv[n] = NULL;
	char *env[] = { SDE, NULL };
	return tu_run((char *const *)argv, env, NULL);
}

static tu_run_result hv_argv(const char *const *args)
{
	const char *argv[256];
	size_t n = 0;
	argv[n++] = tu_bin();
	for (size_t i = 0; args[i] && n < 255; i++)
		argv[n++] = args[i];
	argv[n] = NULL;
	char *env[] = { SDE, NULL };
	return tu_run((char *const *)argv, env, NULL);
}

static char *path_in(const tree *t, const char *sub)
{
	return tu_join(t->ev, sub);
}

/* ---- the checkers ------------------------------------------------------------------- */

static char *why(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static char *why(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	char *s = NULL;
	if (vasprintf(&s, fmt, ap) < 0)
		s = strdup(fmt);
	va_end(ap);
	return s;
}

/* Strict UTF-8 (no overlong form, no surrogate, nothing past U+10FFFF): its length, or 0. */
static size_t u8(const unsigned char *s, size_t n, uint32_t *cp)
{
	if (!n)
		return 0;
	if (s[0] < 0x80) {
		*cp = s[0];
		return 1;
	}
	size_t len = s[0] >= 0xC2 && s[0] <= 0xDF ? 2 : s[0] >= 0xE0 && s[0] <= 0xEF ? 3
		   : s[0] >= 0xF0 && s[0] <= 0xF4 ? 4 : 0;
	if (!len || len > n)
		return 0;
	uint32_t c = s[0] & (0x7F >> len);
	for (size_t i = 1; i < len; i++) {
		if ((s[i] & 0xC0) != 0x80)
			return 0;
		c = (c << 6) | (s[i] & 0x3F);
	}
	static const uint32_t least[5] = { 0, 0, 0x80, 0x800, 0x10000 };
	if (c < least[len] || c > 0x10FFFF || (c >= 0xD800 && c <= 0xDFFF))
		return 0;
	*cp = c;
	return len;
}

static char *utf8_check(const char *buf, size_t len)
{
	for (size_t i = 0; i < len;) {
		uint32_t cp;
		size_t n = u8((const unsigned char *)buf + i, len - i, &cp);
		if (!n)
			return why("byte 0x%02X at offset %zu is not UTF-8", (unsigned char)buf[i], i);
		i += n;
	}
	return NULL;
}

/* What must never reach a terminal: controls, bidi controls, line separators. */
static bool term_bad(uint32_t cp)
{
	return (cp < 0x20 && cp != '\n' && cp != '\t') || cp == 0x7F ||
	       (cp >= 0x80 && cp <= 0x9F) || cp == 0x061C || cp == 0x200E || cp == 0x200F ||
	       (cp >= 0x202A && cp <= 0x202E) || (cp >= 0x2066 && cp <= 0x2069) ||
	       cp == 0x2028 || cp == 0x2029;
}

/* Text for a terminal: see the top of this file. */
static char *check_text(const char *buf, size_t len)
{
	size_t line = 1;
	bool bol = true;
	for (size_t i = 0; i < len;) {
		if (bol) {
			size_t k = i;
			while (k < len && buf[k] == ' ')
				k++;
			if (len - k >= 4 && memcmp(buf + k, "FAKE", 4) == 0)
				return why("line %zu starts with FAKE (a forged line): %.60s", line,
					   buf + i);
		}
		uint32_t cp;
		size_t n = u8((const unsigned char *)buf + i, len - i, &cp);
		if (!n)
			return why("line %zu: byte 0x%02X is not UTF-8", line, (unsigned char)buf[i]);
		if (term_bad(cp)) {
			size_t from = i > 30 ? i - 30 : 0;
			return why("line %zu: U+%04X reaches the terminal (after \"%.*s\")", line,
				   (unsigned)cp, (int)(i - from), buf + from);
		}
		bol = cp == '\n';
		line += bol;
		i += n;
	}
	return NULL;
}

/* One JSON document: strict UTF-8, strict json-c parse of the whole text. */
static char *check_json_doc(const char *buf, size_t len, json_object **out)
{
	char *w = utf8_check(buf, len);
	if (w)
		return w;
	json_tokener *tok = json_tokener_new();
	json_tokener_set_flags(tok, JSON_TOKENER_STRICT | JSON_TOKENER_VALIDATE_UTF8);
	json_object *j = json_tokener_parse_ex(tok, buf, (int)len);
	enum json_tokener_error e = json_tokener_get_error(tok);
	size_t used = json_tokener_get_parse_end(tok);
	json_tokener_free(tok);
	if (!j || e != json_tokener_success) {
		json_object_put(j);
		return why("not strict JSON: %s", json_tokener_error_desc(e));
	}
	for (size_t i = used; i < len; i++) {
		if (buf[i] != '\n' && buf[i] != ' ') {
			json_object_put(j);
			return why("text after the JSON document at offset %zu", i);
		}
	}
	if (out)
		*out = j;
	else
		json_object_put(j);
	return NULL;
}

/* JSON Lines: every line one strict document. */
static char *check_jsonl(const char *buf, size_t len, size_t *lines)
{
	*lines = 0;
	for (size_t i = 0; i < len;) {
		const char *nl = memchr(buf + i, '\n', len - i);
		size_t l = nl ? (size_t)(nl - (buf + i)) : len - i;
		char *w = check_json_doc(buf + i, l, NULL);
		if (w) {
			char *r = why("line %zu: %s", *lines + 1, w);
			free(w);
			return r;
		}
		(*lines)++;
		i += l + 1;
	}
	return NULL;
}

/* ---- CSV ---- */

typedef struct {
	char **cells; /* as read (quotes removed, the guard quote kept) */
	size_t n, cap;
	size_t *row_of;
} csv_doc;

static void csv_add(csv_doc *d, strbuf *cell, size_t row)
{
	if (d->n == d->cap) {
		d->cap = d->cap ? 2 * d->cap : 64;
		d->cells = realloc(d->cells, d->cap * sizeof *d->cells);
		d->row_of = realloc(d->row_of, d->cap * sizeof *d->row_of);
	}
	d->row_of[d->n] = row;
	d->cells[d->n++] = strdup(sb_str(cell));
	sb_reset(cell);
}

static void csv_free(csv_doc *d)
{
	for (size_t i = 0; i < d->n; i++)
		free(d->cells[i]);
	free(d->cells);
	free(d->row_of);
	memset(d, 0, sizeof *d);
}

static bool is_number(const char *s)
{
	if (*s == '-')
		s++;
	if (!*s)
		return false;
	for (; *s; s++)
		if (!((*s >= '0' && *s <= '9') || *s == '.'))
			return false;
	return true;
}

/*
 * RFC 4180 (rows end with CRLF; quoted fields may hold anything, "" for ");
 * no cell may start with = + @ TAB CR, and one starting with - must be a number.
 */
static char *check_csv(const char *buf, size_t len, csv_doc *d)
{
	memset(d, 0, sizeof *d);
	strbuf cell = STRBUF_INIT;
	sb_adds(&cell, "");
	size_t row = 0;
	for (size_t i = 0; i < len;) {
		if (buf[i] == '"') {
			for (i++;; i++) {
				if (i >= len) {
					sb_free(&cell);
					return why("row %zu: a quoted cell never ends", row + 1);
				}
				if (buf[i] == '"' && i + 1 < len && buf[i + 1] == '"') {
					sb_addc(&cell, '"');
					i++;
				} else if (buf[i] == '"') {
					i++;
					break;
				} else {
					sb_addc(&cell, buf[i]);
				}
			}
		} else {
			while (i < len && buf[i] != ',' && buf[i] != '\r' && buf[i] != '\n' &&
			       buf[i] != '"')
				sb_addc(&cell, buf[i++]);
		}
		csv_add(d, &cell, row);
		if (i < len && buf[i] == ',') {
			i++;
		} else if (i + 1 < len && buf[i] == '\r' && buf[i + 1] == '\n') {
			i += 2;
			row++;
		} else {
			sb_free(&cell);
			return why("row %zu: 0x%02X where a comma or CRLF belongs", row + 1,
				   i < len ? (unsigned char)buf[i] : 0);
		}
	}
	sb_free(&cell);
	for (size_t k = 0; k < d->n; k++) {
		const char *c = d->cells[k];
		if (strchr("=+@\t\r", c[0]) && c[0])
			return why("row %zu: a cell starts a formula: %.40s", d->row_of[k] + 1, c);
		if (c[0] == '-' && !is_number(c))
			return why("row %zu: a cell starts with '-' and is no number: %.40s",
				   d->row_of[k] + 1, c);
	}
	return NULL;
}

/* ---- HTML ---- */

typedef struct {
	strbuf names;    /* "|element|" and "|@attribute|" entries */
	size_t scripts;
	char *bad;       /* the first problem */
} html_walk;

static void html_note(html_walk *w, const char *prefix, const char *name)
{
	char key[256];
	snprintf(key, sizeof key, "|%s%s|", prefix, name);
	if (!strstr(sb_str(&w->names), key))
		sb_adds(&w->names, key + 1); /* names ends with '|' */
}

static void html_visit(xmlNode *n, html_walk *w, bool in_script, const html_walk *allowed)
{
	for (; n && !w->bad; n = n->next) {
		if (n->type == XML_ELEMENT_NODE) {
			const char *name = (const char *)n->name;
			bool script = strcmp(name, "script") == 0 || strcmp(name, "style") == 0;
			w->scripts += strcmp(name, "script") == 0;
			char key[256];
			snprintf(key, sizeof key, "|%s|", name);
			if (allowed && !strstr(sb_str(&allowed->names), key))
				w->bad = why("element <%s> that the twin page does not have", name);
			html_note(w, "", name);
			for (xmlAttr *a = n->properties; a && !w->bad; a = a->next) {
				const char *an = (const char *)a->name;
				snprintf(key, sizeof key, "|@%s|", an);
				if ((an[0] == 'o' || an[0] == 'O') && (an[1] == 'n' || an[1] == 'N'))
					w->bad = why("event attribute %s on <%s>", an, name);
				else if (allowed && !strstr(sb_str(&allowed->names), key))
					w->bad = why("attribute %s on <%s> that the twin page does not have",
						     an, name);
				html_note(w, "@", an);
			}
			html_visit(n->children, w, script, allowed);
		} else if (n->type == XML_COMMENT_NODE) {
			if (n->content && strstr((const char *)n->content, "PWN"))
				w->bad = why("evidence inside an HTML comment");
		} else if ((n->type == XML_TEXT_NODE || n->type == XML_CDATA_SECTION_NODE) &&
			   in_script) {
			if (n->content && strstr((const char *)n->content, "PWN"))
				w->bad = why("evidence inside <script> or <style>");
		}
	}
}

/* Walks the page as an HTML parser reads it; allowed: the twin's walk (NULL: collect only). */
static char *html_read(const char *buf, size_t len, html_walk *w, const html_walk *allowed)
{
	memset(w, 0, sizeof *w);
	sb_adds(&w->names, "|");
	htmlDocPtr doc = htmlReadMemory(buf, (int)len, "report.html", "UTF-8",
				       HTML_PARSE_NONET | HTML_PARSE_NOERROR | HTML_PARSE_NOWARNING);
	if (!doc)
		return why("the HTML parser read nothing");
	html_visit(xmlDocGetRootElement(doc), w, false, allowed);
	xmlFreeDoc(doc);
	if (w->bad) {
		char *r = w->bad;
		w->bad = NULL;
		return r;
	}
	return NULL;
}

static void html_walk_free(html_walk *w)
{
	sb_free(&w->names);
	free(w->bad);
}

/* The page: UTF-8, well-formed XML, and nothing an HTML parser sees that the twin lacks. */
static char *check_html(const char *buf, size_t len, const char *twin, size_t twin_len)
{
	char *r = utf8_check(buf, len);
	if (r)
		return r;
	xmlDocPtr x = xmlReadMemory(buf, (int)len, "report.html", "UTF-8",
				    XML_PARSE_NONET | XML_PARSE_HUGE | XML_PARSE_NOERROR |
					    XML_PARSE_NOWARNING);
	if (!x)
		return why("the page is not well-formed");
	xmlFreeDoc(x);
	html_walk tw, hw;
	r = html_read(twin, twin_len, &tw, NULL);
	if (!r)
		r = html_read(buf, len, &hw, &tw);
	if (!r && hw.scripts != tw.scripts)
		r = why("%zu <script> elements, the twin page has %zu", hw.scripts, tw.scripts);
	html_walk_free(&tw);
	html_walk_free(&hw);
	return r;
}

/* ---- PowerShell (tests/pscheck) ---- */

/*
 * node tests/pscheck/check.cjs --skeleton --marker PWN? ... FILE...: one run
 * for many files (loading the grammar takes seconds).  ok[i] tells whether
 * pscheck accepted files[i]; the output is returned for messages.
 */
static char *pscheck(char *const *files, size_t n, bool *ok)
{
	const char *argv[600];
	size_t k = 0;
	char *script = tu_join(tu_srcdir(), "tests/pscheck/check.cjs");
	argv[k++] = "node";
	argv[k++] = script;
	argv[k++] = "--skeleton";
	for (size_t i = 0; i < hostile_count; i++) {
		argv[k++] = "--marker";
		argv[k++] = hostile_strings[i].marker;
	}
	ck_assert_uint_lt(k + n, 600);
	for (size_t i = 0; i < n; i++)
		argv[k++] = files[i];
	argv[k] = NULL;
	tu_run_result r = tu_run((char *const *)argv, NULL, NULL);
	free(script);
	ck_assert_msg(r.status == 0 || r.status == 1, "pscheck could not run (%d):\n%.1000s%.1000s",
		      r.status, r.out, r.err);
	/* "ok NAME" or "FAIL NAME: why", one line per file in order */
	const char *line = r.out;
	for (size_t i = 0; i < n; i++) {
		ck_assert_msg(line && *line, "pscheck said nothing about %s:\n%.1000s", files[i],
			      r.out);
		ok[i] = strncmp(line, "ok ", 3) == 0;
		line = strchr(line, '\n');
		line = line ? line + 1 : NULL;
	}
	char *out = r.out;
	r.out = NULL;
	tu_run_free(&r);
	return out;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The lines of the skeletons of files, sorted (a multiset). */
static char **skeleton_lines(char *const *files, size_t n, size_t *count)
{
	char **v = NULL;
	size_t cnt = 0, cap = 0;
	for (size_t i = 0; i < n; i++) {
		strbuf p = STRBUF_INIT;
		sb_addf(&p, "%s.skeleton", files[i]);
		size_t len;
		char *s = (char *)tu_read(sb_str(&p), &len);
		ck_assert_msg(s != NULL, "no skeleton %s", sb_str(&p));
		sb_free(&p);
		for (char *line = strtok(s, "\n"); line; line = strtok(NULL, "\n")) {
			if (cnt == cap) {
				cap = cap ? 2 * cap : 256;
				v = realloc(v, cap * sizeof *v);
			}
			v[cnt++] = strdup(line);
		}
		free(s);
	}
	qsort(v, cnt, sizeof *v, cmp_str);
	*count = cnt;
	return v;
}

static void lines_free(char **v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

/*
 * The scripts made from hostile evidence (hf) against those made from the
 * twin (tf), once pscheck has run over them (hok, tok): pscheck accepted
 * all (ASCII, the same parse in UTF-8 and Windows-1252, markers only in
 * literals); no marker in a hostile skeleton, no benign name in a twin
 * skeleton, and the same skeleton lines on both sides.
 */
static char *compare_scripts(char *const *hf, const bool *hok, size_t hn, char *const *tf,
			     const bool *tok, size_t tn)
{
	for (size_t i = 0; i < hn; i++)
		if (!hok[i])
			return why("pscheck rejects %s", hf[i]);
	for (size_t i = 0; i < tn; i++)
		if (!tok[i])
			return why("pscheck rejects the twin's %s", tf[i]);
	char *res = NULL;
	size_t hc, tc;
	char **hl = skeleton_lines(hf, hn, &hc), **tl = skeleton_lines(tf, tn, &tc);
	for (size_t i = 0; i < hc && !res; i++)
		if (strstr(hl[i], "PWN"))
			res = why("evidence outside a literal: %s", hl[i]);
	for (size_t i = 0; i < tc && !res; i++)
		if (strstr(tl[i], "benign"))
			res = why("twin evidence outside a literal: %s", tl[i]);
	for (size_t i = 0; i < hc && i < tc && !res; i++)
		if (strcmp(hl[i], tl[i]) != 0)
			res = why("skeletons differ:\n  hostile: %s\n  twin:    %s", hl[i], tl[i]);
	if (!res && hc != tc)
		res = why("skeletons differ: %zu lines against the twin's %zu", hc, tc);
	lines_free(hl, hc);
	lines_free(tl, tc);
	return res;
}

/* pscheck over hostile and twin scripts together, then compare_scripts. */
static char *check_scripts(char *const *hf, size_t hn, char *const *tf, size_t tn)
{
	char *all[512];
	bool ok[512];
	ck_assert_uint_le(hn + tn, 512);
	memcpy(all, hf, hn * sizeof *hf);
	memcpy(all + hn, tf, tn * sizeof *tf);
	char *out = pscheck(all, hn + tn, ok);
	char *r = compare_scripts(hf, ok, hn, tf, ok + hn, tn);
	if (r) {
		strbuf fails = STRBUF_INIT;
		sb_adds(&fails, "");
		for (const char *l = out; l && *l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : NULL)
			if (strncmp(l, "FAIL", 4) == 0)
				sb_add(&fails, l, strcspn(l, "\n") + 1);
		char *w = why("%s\n%s", r, sb_str(&fails));
		sb_free(&fails);
		free(r);
		r = w;
	}
	free(out);
	return r;
}

/* ---- assertions ---------------------------------------------------------------------- */

#define ASSERT_OK(check, what)                                                          \
	do {                                                                            \
		char *w_ = (check);                                                     \
		ck_assert_msg(w_ == NULL, "%.200s: %.2000s", (what), w_ ? w_ : "");     \
	} while (0)

#define ASSERT_FAILS(check, what)                                                       \
	do {                                                                            \
		char *w_ = (check);                                                     \
		ck_assert_msg(w_ != NULL, "the checker let through %.500s", (what));    \
		free(w_);                                                               \
	} while (0)

/* stdout as text and stderr as text. */
static void assert_text_run(const tu_run_result *r, const char *what)
{
	char label[256];
	snprintf(label, sizeof label, "%s (stdout)", what);
	ASSERT_OK(check_text(r->out, r->outlen), label);
	snprintf(label, sizeof label, "%s (stderr)", what);
	ASSERT_OK(check_text(r->err, r->errlen), label);
}

/* Every hostile string's marker appears in s (the evidence did reach the output). */
static void assert_all_markers(const char *s, const char *what)
{
	for (size_t i = 0; i < hostile_count; i++)
		ck_assert_msg(strstr(s, hostile_strings[i].marker) != NULL,
			      "%s: nothing of %s (%s) in the output", what, hostile_strings[i].id,
			      hostile_strings[i].marker);
}

static bool valid_utf8(const char *s)
{
	char *w = utf8_check(s, strlen(s));
	free(w);
	return w == NULL;
}

static void assert_exit(const tu_run_result *r, int max, const char *what)
{
	ck_assert_msg(r->status >= 0 && r->status <= max, "%s: exit %d\n%.1000s", what, r->status,
		      r->err);
}

/* ---- the checkers can fail ---------------------------------------------------------- */

START_TEST(text_checker_rejects_what_a_terminal_would_run)
{
	static const char *const bad[] = {
		"VM a\x1B[31mred\n", "VM a\x1B]0;title\x07\n", "ok\nFAKE: verdict restorable\n",
		"ok\n  FAKE: verdict\n", "a\rb\n", "c1 \xC2\x9B" "2J\n", "nel \xC2\x85\n",
		"rlo \xE2\x80\xAE\n", "ls \xE2\x80\xA8\n", "del \x7F\n", "bad \xFF\n",
		"overlong \xC0\xAF\n", "surrogate \xED\xA0\x80\n", "bs \x08\n",
	};
	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
		ASSERT_FAILS(check_text(bad[i], strlen(bad[i])), bad[i]);
	const char *good = "VM a\\x1B[31m \\u202E \xC3\xA9 \xF0\x9F\x98\x80\ttab\n  ok FAKE\n";
	ASSERT_OK(check_text(good, strlen(good)), "escaped text");
}
END_TEST

START_TEST(json_checkers_reject_bad_utf8_and_bad_json)
{
	static const char *const bad[] = {
		"{\"path\": \"a\xFF\"}", "{\"a\": 1", "{\"a\": 1} x", "{\"a\": 01}",
		"{\"a\": \"\xED\xA0\x80\"}",
	};
	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
		ASSERT_FAILS(check_json_doc(bad[i], strlen(bad[i]), NULL), bad[i]);
	const char *good = "{\"path\": \"a\\u001b\\u2028\xC3\xA9\"}\n";
	ASSERT_OK(check_json_doc(good, strlen(good), NULL), "good JSON");
	size_t lines;
	const char *jl = "{\"a\": 1}\n{\"b\": \"\xFF\"}\n";
	ASSERT_FAILS(check_jsonl(jl, strlen(jl), &lines), "JSONL with a bad line");
	jl = "{\"a\": 1}\n{\"b\": 2}\n";
	ASSERT_OK(check_jsonl(jl, strlen(jl), &lines), "good JSONL");
	ck_assert_uint_eq(lines, 2);
}
END_TEST

START_TEST(csv_checker_rejects_live_formulas)
{
	static const char *const bad[] = {
		"name\r\n=HYPERLINK(\"x\")\r\n", "a,\"@SUM(1)\"\r\n", "a,-2+3+cmd\r\n",
		"a,\"\t=1\"\r\n", "a,\"\r=1\"\r\n", "a,+cmd\r\n", "a,\"unterminated\r\n",
		"a\nb\r\n",
	};
	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
		csv_doc d;
		ASSERT_FAILS(check_csv(bad[i], strlen(bad[i]), &d), bad[i]);
		csv_free(&d);
	}
	const char *good = "a,\"'=HYPERLINK(\"\"x\"\")\",-12,\"'\t=1\",\"x,\"\"y\"\"\"\r\n";
	csv_doc d;
	ASSERT_OK(check_csv(good, strlen(good), &d), "neutralised CSV");
	ck_assert_uint_eq(d.n, 5);
	ck_assert_str_eq(d.cells[4], "x,\"y\"");
	csv_free(&d);
}
END_TEST

START_TEST(html_checker_rejects_markup_that_got_through)
{
	const char *twin = "<!DOCTYPE html><html><head><script>var a=1;</script></head>"
			   "<body><main><p class=\"x\">benign01</p></main></body></html>";
	static const char *const bad[] = {
		"<!DOCTYPE html><html><head><script>var a=1;</script></head><body><main>"
		"<p class=\"x\"><img src=x onerror=y>PWNQ</p></main></body></html>",
		"<!DOCTYPE html><html><head><script>var a=1;</script></head><body><main>"
		"<p class=\"x\" onmouseover=\"y\">PWNR</p></main></body></html>",
		"<!DOCTYPE html><html><head><script>var a=1;</script></head><body><main>"
		"<p class=\"x\"><!-- PWNQ --></p></main></body></html>",
		"<!DOCTYPE html><html><head><script>var a=1;</script></head><body><main>"
		"<p class=\"x\"></p><script>PWNQ</script></main></body></html>",
		"<!DOCTYPE html><html><head><script>var a=1;</script></head><body><main>"
		"<p class=\"x\" title=\"a\" x='PWNR'>t</p></main></body></html>",
		"<!DOCTYPE html><html><head><script>var a=1;</script></head><body><main>"
		"<p class=\"x\">a</script><b>PWNQ</b></p></main></body></html>",
	};
	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
		ASSERT_FAILS(check_html(bad[i], strlen(bad[i]), twin, strlen(twin)), bad[i]);
	const char *good = "<!DOCTYPE html><html><head><script>var a=1;</script></head>"
			   "<body><main><p class=\"x\">&lt;img onerror=y&gt;&quot;PWNQ</p>"
			   "</main></body></html>";
	ASSERT_OK(check_html(good, strlen(good), twin, strlen(twin)), "escaped page");
}
END_TEST

/* Writes text to a new file scratch/checker-name and returns its path. */
static char *scratch_file(const char *name, const char *text)
{
	strbuf n = STRBUF_INIT;
	sb_addf(&n, "checker-%s", name);
	char *p = tu_join(scratch, sb_str(&n));
	sb_free(&n);
	tu_write(p, text, strlen(text));
	return p;
}

START_TEST(script_checker_rejects_evidence_outside_literals)
{
	const char *twin = "$VMName = 'benign01'\n$VMId = ('' + 'benign01' + [char]0x000A)\n"
			   "Write-Host \"== $VMName\"\n";
	static const char *const cases[] = {
		/* accepted: the names as the literal writer makes them */
		"$VMName = ('' + '#> PWNA' + [char]0x000A + '<#')\n$VMId = 'PWNA'''\n"
		"Write-Host \"== $VMName\"\n",
		/* the old header: evidence in a comment */
		"# VM: PWNA\n$VMName = 'PWNA'\n$VMId = ('' + 'x' + [char]0x000A)\n"
		"Write-Host \"== $VMName\"\n",
		/* a line of its own */
		"$VMName = 'x'\n$VMId = ('' + 'x' + [char]0x000A)\nWrite-Host \"== $VMName\"\n"
		"Start-Process PWNA\n",
		/* a double-quoted string, where $() runs (pscheck's marker check passes it) */
		"$VMName = \"$(PWND)\"\n$VMId = ('' + 'x' + [char]0x000A)\n"
		"Write-Host \"== $VMName\"\n",
		/* a literal that closed early */
		"$VMName = 'x'; PWNB; 'y'\n$VMId = ('' + 'x' + [char]0x000A)\n"
		"Write-Host \"== $VMName\"\n",
		/* literals around code */
		"$VMName = 'x' + (PWNB) + 'y'\n$VMId = ('' + 'x' + [char]0x000A)\n"
		"Write-Host \"== $VMName\"\n",
		/* not ASCII */
		"$VMName = 'web\xD0\x91PWNB'\n$VMId = ('' + 'x' + [char]0x000A)\n"
		"Write-Host \"== $VMName\"\n",
		/* does not parse */
		"$VMName = 'x\n$VMId = ('' + 'x' + [char]0x000A)\nWrite-Host \"== $VMName\"\n",
	};
	size_t n = sizeof cases / sizeof *cases;
	char *files[16];
	bool ok[16];
	files[0] = scratch_file("twin.ps1", twin);
	for (size_t i = 0; i < n; i++) {
		char name[32];
		snprintf(name, sizeof name, "case%zu.ps1", i);
		files[i + 1] = scratch_file(name, cases[i]);
	}
	char *out = pscheck(files, n + 1, ok);
	ck_assert_msg(ok[0], "pscheck rejects the twin:\n%.1000s", out);
	ASSERT_OK(compare_scripts(files + 1, ok + 1, 1, files, ok, 1), "literals only");
	for (size_t i = 1; i < n; i++)
		ASSERT_FAILS(compare_scripts(files + 1 + i, ok + 1 + i, 1, files, ok, 1), cases[i]);
	/* a twin whose own names leaked is caught as well */
	char *leak = scratch_file("twin-leak.ps1", "# benign01\n$VMName = 'benign01'\n");
	bool lok = true;
	char *o2 = pscheck(&leak, 1, &lok);
	ASSERT_FAILS(compare_scripts(files + 1, ok + 1, 1, &leak, &lok, 1), "a leaking twin");
	free(o2);
	free(leak);
	free(out);
	for (size_t i = 0; i <= n; i++)
		free(files[i]);
}
END_TEST

/* ---- inspect ------------------------------------------------------------------------- */

START_TEST(inspect_text_shows_every_name_inert)
{
	tu_run_result r = hv("inspect", "--at", AT, "--password-file", H.pw, H.ev, NULL);
	assert_exit(&r, 4, "inspect");
	assert_text_run(&r, "inspect");
	assert_all_markers(r.out, "inspect");
	tu_run_free(&r);
	char *ex = path_in(&H, "exports"), *lg = path_in(&H, "legacy");
	r = hv("inspect", "--tree", ex, lg, NULL);
	assert_exit(&r, 4, "inspect --tree");
	assert_text_run(&r, "inspect --tree");
	assert_all_markers(r.out, "inspect --tree");
	tu_run_free(&r);
	free(ex);
	free(lg);
}
END_TEST

START_TEST(inspect_json_is_strict_utf8_and_keeps_bytes)
{
	tu_run_result r = hv("inspect", "--format", "json", "--at", AT, "--password-file", H.pw,
			     H.ev, NULL);
	assert_exit(&r, 4, "inspect --format json");
	ASSERT_OK(check_text(r.err, r.errlen), "inspect json (stderr)");
	json_object *j = NULL;
	ASSERT_OK(check_json_doc(r.out, r.outlen, &j), "inspect --format json");
	const char *text = json_object_to_json_string_ext(j, JSON_C_TO_STRING_PLAIN);
	assert_all_markers(text, "inspect --format json");
	/* the file named with bytes that are not UTF-8 keeps them in path_bytes */
	const char *raw = hostile_strings[9].text;
	ck_assert(!valid_utf8(raw));
	strbuf hex = STRBUF_INIT;
	for (const unsigned char *p = (const unsigned char *)raw; *p; p++)
		sb_addf(&hex, "%02x", *p);
	ck_assert_msg(strstr(text, sb_str(&hex)) != NULL, "no *_bytes holds %s", sb_str(&hex));
	sb_free(&hex);
	json_object_put(j);
	tu_run_free(&r);
}
END_TEST

/* ---- diagnose ------------------------------------------------------------------------ */

/* The evidence without the locked PFX folder: rebuild verdicts instead of needs_password. */
static void unlocked_args(const tree *t, const char **args, size_t *n, char **owned)
{
	static const char *const subs[] = { "exports", "pfx", "loose", "legacy", "certs",
					    "archives", "disks" };
	for (size_t i = 0; i < sizeof subs / sizeof *subs; i++) {
		owned[i] = path_in(t, subs[i]);
		args[(*n)++] = owned[i];
	}
	args[*n] = NULL;
}

START_TEST(diagnose_text_shows_every_name_inert)
{
	for (int pass = 0; pass < 2; pass++) {
		const char *args[32] = { "diagnose", "--at", AT, "--password-file", H.pw };
		size_t n = 5;
		char *owned[8] = { 0 };
		if (pass == 0) {
			args[n++] = H.ev;
			args[n] = NULL;
		} else {
			unlocked_args(&H, args, &n, owned);
		}
		tu_run_result r = hv_argv(args);
		assert_exit(&r, 2, "diagnose");
		assert_text_run(&r, "diagnose");
		assert_all_markers(r.out, "diagnose");
		ck_assert_ptr_nonnull(strstr(r.out, pass ? "rebuild_data_loss" : "needs_password"));
		tu_run_free(&r);
		for (size_t i = 0; i < 8; i++)
			free(owned[i]);
	}
}
END_TEST

/* The name of every VM in a diagnose/audit JSON document. */
static bool has_vm_named(json_object *doc, const char *name)
{
	json_object *vms = NULL;
	if (!json_object_object_get_ex(doc, "vms", &vms))
		return false;
	for (size_t i = 0; i < json_object_array_length(vms); i++) {
		json_object *n = NULL;
		if (json_object_object_get_ex(json_object_array_get_idx(vms, i), "name", &n) &&
		    n && strcmp(json_object_get_string(n), name) == 0)
			return true;
	}
	return false;
}

START_TEST(diagnose_json_keeps_every_name_exactly)
{
	tu_run_result r = hv("diagnose", "--format", "json", "--at", AT, "--password-file", H.pw,
			     H.ev, NULL);
	assert_exit(&r, 2, "diagnose --format json");
	ASSERT_OK(check_text(r.err, r.errlen), "diagnose json (stderr)");
	json_object *j = NULL;
	ASSERT_OK(check_json_doc(r.out, r.outlen, &j), "diagnose --format json");
	for (size_t i = 0; i < hostile_count; i++) {
		const char *t = hostile_strings[i].text;
		if (valid_utf8(t))
			ck_assert_msg(has_vm_named(j, t), "no VM named exactly as %s",
				      hostile_strings[i].id);
	}
	json_object_put(j);
	tu_run_free(&r);
}
END_TEST

/* Runs cmd --format html on a tree (the whole evidence). */
static tu_run_result html_page(const char *cmd, const tree *t)
{
	return hv(cmd, "--format", "html", "--at", AT, "--password-file", t->pw, t->ev, NULL);
}

START_TEST(html_pages_hold_evidence_as_text_only)
{
	static const char *const cmds[] = { "diagnose", "audit" };
	for (size_t c = 0; c < 2; c++) {
		tu_run_result h = html_page(cmds[c], &H), t = html_page(cmds[c], &T);
		assert_exit(&h, 2, cmds[c]);
		assert_exit(&t, 2, cmds[c]);
		ASSERT_OK(check_text(h.err, h.errlen), cmds[c]);
		ASSERT_OK(check_html(h.out, h.outlen, t.out, t.outlen), cmds[c]);
		assert_all_markers(h.out, cmds[c]);
		tu_run_free(&h);
		tu_run_free(&t);
	}
}
END_TEST

/* ---- audit --------------------------------------------------------------------------- */

START_TEST(audit_text_shows_every_name_inert)
{
	tu_run_result r = hv("audit", "--at", AT, "--password-file", H.pw, H.ev, NULL);
	assert_exit(&r, 4, "audit");
	assert_text_run(&r, "audit");
	assert_all_markers(r.out, "audit");
	tu_run_free(&r);
}
END_TEST

START_TEST(audit_json_and_jsonl_are_strict)
{
	tu_run_result r = hv("audit", "--format", "json", "--at", AT, "--password-file", H.pw,
			     H.ev, NULL);
	assert_exit(&r, 4, "audit --format json");
	ASSERT_OK(check_text(r.err, r.errlen), "audit json (stderr)");
	json_object *j = NULL;
	ASSERT_OK(check_json_doc(r.out, r.outlen, &j), "audit --format json");
	assert_all_markers(json_object_to_json_string_ext(j, JSON_C_TO_STRING_PLAIN),
			   "audit --format json");
	for (size_t i = 0; i < hostile_count; i++)
		if (valid_utf8(hostile_strings[i].text))
			ck_assert_msg(has_vm_named(j, hostile_strings[i].text),
				      "no VM named exactly as %s", hostile_strings[i].id);
	json_object_put(j);
	tu_run_free(&r);

	r = hv("audit", "--format", "jsonl", "--at", AT, "--password-file", H.pw, H.ev, NULL);
	assert_exit(&r, 4, "audit --format jsonl");
	ASSERT_OK(check_text(r.err, r.errlen), "audit jsonl (stderr)");
	size_t lines;
	ASSERT_OK(check_jsonl(r.out, r.outlen, &lines), "audit --format jsonl");
	ck_assert_uint_gt(lines, hostile_count);
	assert_all_markers(r.out, "audit --format jsonl");
	tu_run_free(&r);
}
END_TEST

START_TEST(audit_csv_neutralises_formulas_reversibly)
{
	static const char *const tables[] = { "vms", "certs" };
	for (size_t t = 0; t < 2; t++) {
		tu_run_result r = hv("audit", "--format", "csv", "--table", tables[t], "--at", AT,
				     "--password-file", H.pw, H.ev, NULL);
		assert_exit(&r, 4, "audit --format csv");
		ASSERT_OK(check_text(r.err, r.errlen), "audit csv (stderr)");
		csv_doc d;
		ASSERT_OK(check_csv(r.out, r.outlen, &d), tables[t]);
		assert_all_markers(r.out, tables[t]);
		if (t == 0) {
			/* each formula-like VM name is a cell with one quote in front */
			for (size_t i = 0; i < hostile_count; i++) {
				const char *s = hostile_strings[i].text;
				if (!strchr("=+-@\t\r", s[0]))
					continue;
				bool seen = false;
				for (size_t k = 0; k < d.n && !seen; k++)
					seen = d.cells[k][0] == '\'' && strcmp(d.cells[k] + 1, s) == 0;
				ck_assert_msg(seen, "no cell '%s", hostile_strings[i].id);
			}
		}
		csv_free(&d);
		tu_run_free(&r);
	}
}
END_TEST

/* ---- PowerShell ---------------------------------------------------------------------- */

/* The .ps1 files of a folder (sorted), as new paths. */
static size_t ps1_files(const char *dir, char **out, size_t max)
{
	DIR *d = opendir(dir);
	ck_assert_ptr_nonnull(d);
	size_t n = 0;
	for (struct dirent *e; (e = readdir(d)) && n < max;) {
		size_t l = strlen(e->d_name);
		if (l > 4 && strcmp(e->d_name + l - 4, ".ps1") == 0) {
			ck_assert_msg(e->d_name[0] != '-' && e->d_name[0] != '.',
				      "plan file name %s looks like an option or a hidden file",
				      e->d_name);
			for (const char *c = e->d_name; *c; c++)
				ck_assert_msg((*c >= 'A' && *c <= 'Z') || (*c >= 'a' && *c <= 'z') ||
						      (*c >= '0' && *c <= '9') || strchr("._-", *c),
					      "plan file name %s", e->d_name);
			out[n++] = tu_join(dir, e->d_name);
		}
	}
	closedir(d);
	qsort(out, n, sizeof *out, cmp_str);
	return n;
}

/*
 * Writes the plans of one tree into out/: --plan powershell to stdout, --plan-out,
 * and --plan-dir; for the whole evidence (needs_password) and without the locked
 * PFX files (rebuild).  Returns the script paths.
 */
static size_t write_plans(const tree *t, const char *out, char **files, size_t max)
{
	size_t n = 0;
	for (int pass = 0; pass < 2; pass++) {
		char name[64], *owned[8] = { 0 };
		const char *ev[16];
		size_t ne = 0;
		if (pass == 0) {
			ev[ne++] = t->ev;
			ev[ne] = NULL;
		} else {
			unlocked_args(t, ev, &ne, owned);
		}
		for (int mode = 0; mode < 3; mode++) {
			const char *args[32] = { "diagnose", "--at", AT, "--password-file", t->pw };
			size_t k = 5;
			snprintf(name, sizeof name, "%d-%d%s", pass, mode, mode == 2 ? "" : ".ps1");
			char *target = tu_join(out, name);
			if (mode == 0) {
				args[k++] = "--plan";
				args[k++] = "powershell";
			} else {
				args[k++] = mode == 1 ? "--plan-out" : "--plan-dir";
				args[k++] = target;
			}
			for (size_t i = 0; i < ne; i++)
				args[k++] = ev[i];
			args[k] = NULL;
			tu_run_result r = hv_argv(args);
			assert_exit(&r, 2, "diagnose --plan");
			ASSERT_OK(check_text(r.err, r.errlen), "diagnose --plan (stderr)");
			if (mode == 0) {
				tu_write(target, r.out, r.outlen);
			} else {
				ck_assert_uint_eq(r.outlen, 0);
			}
			if (mode == 2) {
				n += ps1_files(target, files + n, max - n);
				free(target);
			} else {
				files[n++] = target;
			}
			tu_run_free(&r);
		}
		for (size_t i = 0; i < 8; i++)
			free(owned[i]);
	}
	return n;
}

START_TEST(plans_keep_every_evidence_byte_inside_literals)
{
	char *dir = tu_mkdtemp();
	char *hd = tu_join(dir, "hostile"), *td = tu_join(dir, "twin");
	ck_assert_int_eq(mkdir(hd, 0755), 0);
	ck_assert_int_eq(mkdir(td, 0755), 0);
	char *hf[256], *tf[256];
	size_t hn = write_plans(&H, hd, hf, 256), tn = write_plans(&T, td, tf, 256);
	ck_assert_uint_eq(hn, tn);
	ck_assert_uint_gt(hn, 2 * hostile_count); /* --plan-dir: one script per VM */
	/* the names did reach the plans (as literals) */
	size_t len;
	char *all = (char *)tu_read(hf[0], &len);
	assert_all_markers(all, "diagnose --plan powershell");
	free(all);
	ASSERT_OK(check_scripts(hf, hn, tf, tn), "plans");
	for (size_t i = 0; i < hn; i++)
		free(hf[i]);
	for (size_t i = 0; i < tn; i++)
		free(tf[i]);
	free(hd);
	free(td);
	tu_rmtree(dir);
	free(dir);
}
END_TEST

/* hvtpm script ... with every hostile string as --dest/--from/--vm, into dir/name. */
static char *host_script(const char *dir, const char *name, const char *const *args, bool twin)
{
	const char *argv[128];
	size_t n = 0;
	char *out = tu_join(dir, name);
	for (size_t i = 0; args[i]; i++) {
		if (strcmp(args[i], "@VMS") == 0) {
			for (size_t k = 0; k < hostile_count && n < 120; k++) {
				argv[n++] = "--vm";
				argv[n++] = hostile_text(k, twin);
			}
		} else if (strncmp(args[i], "@", 1) == 0) {
			argv[n++] = hostile_text((size_t)atoi(args[i] + 1), twin);
		} else {
			argv[n++] = args[i];
		}
	}
	argv[n++] = "--out";
	argv[n++] = out;
	argv[n] = NULL;
	tu_run_result r = hv_argv(argv);
	ck_assert_msg(r.status == 0, "hvtpm %s: exit %d\n%.1000s", args[1], r.status, r.err);
	ASSERT_OK(check_text(r.err, r.errlen), "hvtpm script (stderr)");
	tu_run_free(&r);
	return out;
}

START_TEST(host_scripts_keep_arguments_inside_literals)
{
	static const char *const runs[][8] = {
		{ "script", "export", "--dest", "@0", NULL },
		{ "script", "export", "--dest", "@1", NULL },
		{ "script", "export", "--dest", "@3", NULL },
		{ "script", "import", "--from", "@2", NULL },
		{ "script", "import", "--from", "@9", NULL },
		{ "script", "collect", "--dest", "@5", "@VMS", NULL },
		{ "script", "collect", "--dest", "@16", "@VMS", "--export-vm",
		  "--include-certificates", NULL },
	};
	size_t n = sizeof runs / sizeof *runs;
	char *dir = tu_mkdtemp();
	char *hf[16], *tf[16];
	for (size_t i = 0; i < n; i++) {
		char name[32];
		snprintf(name, sizeof name, "h%zu.ps1", i);
		hf[i] = host_script(dir, name, runs[i], false);
		snprintf(name, sizeof name, "t%zu.ps1", i);
		tf[i] = host_script(dir, name, runs[i], true);
	}
	size_t len;
	char *collect = (char *)tu_read(hf[n - 1], &len);
	assert_all_markers(collect, "script collect");
	free(collect);
	ASSERT_OK(check_scripts(hf, n, tf, n), "host scripts");
	for (size_t i = 0; i < n; i++) {
		free(hf[i]);
		free(tf[i]);
	}
	tu_rmtree(dir);
	free(dir);
}
END_TEST

/* ---- errors and filters echo evidence and arguments too ------------------------------ */

START_TEST(messages_about_hostile_arguments_are_inert)
{
	for (size_t i = 0; i < hostile_count; i++) {
		const char *s = hostile_strings[i].text;
		strbuf p = STRBUF_INIT;
		sb_addf(&p, "%s/%s", H.root, s);
		for (char *c = p.buf + strlen(H.root) + 1; *c; c++)
			if (*c == '/')
				*c = '_';
		/* a file that is not there, a filter that matches nothing, a bad verdict */
		tu_run_result r = hv("inspect", sb_str(&p), NULL);
		ck_assert_int_eq(r.status, 4);
		assert_text_run(&r, "inspect of a missing file");
		tu_run_free(&r);
		r = hv("diagnose", "--vm", s, H.ev, NULL);
		assert_text_run(&r, "diagnose --vm");
		tu_run_free(&r);
		r = hv("audit", "--verdict", s, H.ev, NULL);
		ck_assert_int_eq(r.status, 3);
		assert_text_run(&r, "audit --verdict");
		tu_run_free(&r);
		r = hv("diagnose", "--at", s, H.ev, NULL);
		ck_assert_int_eq(r.status, 3);
		assert_text_run(&r, "diagnose --at");
		tu_run_free(&r);
		sb_free(&p);
	}
}
END_TEST

/* ---- the layout is what it claims ---------------------------------------------------- */

START_TEST(twin_has_the_same_verdicts)
{
	tu_run_result h = hv("audit", "--format", "csv", "--at", AT, "--password-file", H.pw, H.ev,
			     NULL);
	tu_run_result t = hv("audit", "--format", "csv", "--at", AT, "--password-file", T.pw, T.ev,
			     NULL);
	csv_doc hd, td;
	ASSERT_OK(check_csv(h.out, h.outlen, &hd), "hostile csv");
	ASSERT_OK(check_csv(t.out, t.outlen, &td), "twin csv");
	/* the verdict column (3rd) per row, counted */
	static const char *const verdicts[] = { "no_vtpm", "restorable", "needs_password",
						"unknown", "rebuild", "rebuild_data_loss" };
	for (size_t v = 0; v < sizeof verdicts / sizeof *verdicts; v++) {
		size_t a = 0, b = 0;
		for (size_t k = 0; k < hd.n; k++)
			a += strcmp(hd.cells[k], verdicts[v]) == 0;
		for (size_t k = 0; k < td.n; k++)
			b += strcmp(td.cells[k], verdicts[v]) == 0;
		ck_assert_msg(a == b, "%s: %zu hostile, %zu twin", verdicts[v], a, b);
	}
	csv_free(&hd);
	csv_free(&td);
	tu_run_free(&h);
	tu_run_free(&t);
}
END_TEST

/* ---- main ---------------------------------------------------------------------------- */

/* (Outside a test, Check's assertions cannot run: no tu_* helper here.) */
static void tree_make(tree *t, const char *name, bool twin)
{
	t->twin = twin;
	if (asprintf(&t->root, "%s/%s", scratch, name) < 0 ||
	    asprintf(&t->ev, "%s/evidence", t->root) < 0 ||
	    asprintf(&t->pw, "%s/passwords.txt", t->root) < 0 || mkdir(t->root, 0755) != 0 ||
	    !hostile_lay_out(t->root, twin)) {
		fprintf(stderr, "test_hostile: cannot lay out %s\n", t->root);
		exit(1);
	}
}

static void tree_free(tree *t)
{
	free(t->root);
	free(t->ev);
	free(t->pw);
}

int main(void)
{
	scratch = strdup("/tmp/hvtpm-test-XXXXXX");
	if (!mkdtemp(scratch)) {
		perror("test_hostile: mkdtemp");
		return 1;
	}
	tree_make(&H, "hostile", false);
	tree_make(&T, "twin", true);
	Suite *s = suite_create("hostile");
	TCase *tc = tcase_create("checkers");
	tcase_add_test(tc, text_checker_rejects_what_a_terminal_would_run);
	tcase_add_test(tc, json_checkers_reject_bad_utf8_and_bad_json);
	tcase_add_test(tc, csv_checker_rejects_live_formulas);
	tcase_add_test(tc, html_checker_rejects_markup_that_got_through);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, script_checker_rejects_evidence_outside_literals);
	suite_add_tcase(s, tc);
	TCase *te = tcase_create("evidence");
	tcase_set_timeout(te, 180);
	tcase_add_test(te, twin_has_the_same_verdicts);
	tcase_add_test(te, inspect_text_shows_every_name_inert);
	tcase_add_test(te, inspect_json_is_strict_utf8_and_keeps_bytes);
	tcase_add_test(te, diagnose_text_shows_every_name_inert);
	tcase_add_test(te, diagnose_json_keeps_every_name_exactly);
	tcase_add_test(te, html_pages_hold_evidence_as_text_only);
	tcase_add_test(te, audit_text_shows_every_name_inert);
	tcase_add_test(te, audit_json_and_jsonl_are_strict);
	tcase_add_test(te, audit_csv_neutralises_formulas_reversibly);
	tcase_add_test(te, plans_keep_every_evidence_byte_inside_literals);
	tcase_add_test(te, host_scripts_keep_arguments_inside_literals);
	tcase_add_test(te, messages_about_hostile_arguments_are_inert);
	suite_add_tcase(s, te);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	tu_rmtree(scratch);
	free(scratch);
	tree_free(&H);
	tree_free(&T);
	return failed ? 1 : 0;
}
