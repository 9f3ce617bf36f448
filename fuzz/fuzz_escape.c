/*
 * fuzz_escape.c - libFuzzer harness for the writers that make evidence text
 * inert in a sink, with their invariants asserted on every input:
 *
 *   terminal (report/term.h)   no control byte (C0, DEL), no C1 control, bidi
 *                              control or line/paragraph separator, and valid
 *                              UTF-8 (checked against the list below, not
 *                              with term_unsafe(), the function under test)
 *   JSON (json_text)           valid UTF-8 that json-c reads back, equal to
 *                              the input wherever the input was valid UTF-8
 *   PowerShell (ps_lit)        printable ASCII only; the expression reads back
 *                              to the input (invalid bytes as U+FFFD)
 *
 * The input is taken as a NUL-terminated string (NULs inside end it).  Seeds
 * in fuzz/corpus/escape are hostile names (see the README there).
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "report/out.h"
#include "report/ps_literal.h"
#include "report/term.h"
#include "util/strbuf.h"
#include "util/text.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* What must never reach a terminal, stated here again (not term_unsafe()). */
static bool terminal_bad(uint32_t cp)
{
	return cp < 0x20 || cp == 0x7F || (cp >= 0x80 && cp <= 0x9F) || cp == 0x061C ||
	       cp == 0x200E || cp == 0x200F || (cp >= 0x202A && cp <= 0x202E) ||
	       (cp >= 0x2066 && cp <= 0x2069) || cp == 0x2028 || cp == 0x2029;
}

static void check_terminal(const char *s)
{
	char *e = term_escape(s);
	size_t len = strlen(e);
	if (!utf8_valid(e, len))
		abort();
	for (size_t i = 0; i < len; i++) /* not a single control byte */
		if ((unsigned char)e[i] < 0x20 || e[i] == 0x7F)
			abort();
	for (size_t i = 0; i < len;) {
		uint32_t cp;
		size_t n = utf8_next(e + i, len - i, &cp);
		if (!n || terminal_bad(cp))
			abort();
		i += n;
	}
	/* term_add appends the same text */
	strbuf sb = STRBUF_INIT;
	sb_adds(&sb, "<");
	term_add(&sb, s);
	if (strncmp(sb_str(&sb) + 1, e, len) != 0 || sb.len != len + 1)
		abort();
	sb_free(&sb);
	free(e);
}

static void check_json(const char *s)
{
	json_object *j = json_text(s);
	const char *text = json_object_to_json_string_ext(j, JSON_C_TO_STRING_PLAIN);
	if (!utf8_valid(text, strlen(text)))
		abort();
	json_object *back = json_tokener_parse(text);
	if (!back || !json_object_is_type(back, json_type_string))
		abort();
	if (utf8_valid(s, strlen(s)) && strcmp(json_object_get_string(back), s) != 0)
		abort();
	json_object_put(back);
	json_object_put(j);
}

/* Reads ps_lit's output back: 'text' pieces and [char]0xHHHH pieces joined by " + ". */
static void check_powershell(const char *s)
{
	char *l = ps_lit(s);
	strbuf back = STRBUF_INIT;
	sb_adds(&back, "");
	const char *p = l;
	for (const char *q = l; *q; q++) /* printable ASCII, one line */
		if (*q < 0x20 || *q >= 0x7F)
			abort();
	bool paren = *p == '(';
	p += paren;
	uint32_t high = 0;
	while (*p && *p != ')') {
		if (*p == '\'') {
			for (p++;; p++) {
				if (!*p)
					abort();
				if (p[0] == '\'' && p[1] == '\'') {
					sb_addc(&back, '\'');
					p++;
				} else if (*p == '\'') {
					p++;
					break;
				} else {
					sb_addc(&back, *p);
				}
			}
		} else if (strncmp(p, "[char]0x", 8) == 0) {
			uint32_t u = (uint32_t)strtoul(p + 8, NULL, 16);
			p += 12;
			if (u >= 0xD800 && u <= 0xDBFF) {
				high = u;
			} else {
				uint32_t cp = u >= 0xDC00 && u <= 0xDFFF
					      ? 0x10000 + ((high - 0xD800) << 10) + (u - 0xDC00) : u;
				char *one = NULL;
				uint8_t u16[4] = { (uint8_t)cp, (uint8_t)(cp >> 8) };
				if (cp >= 0x10000) {
					uint32_t c = cp - 0x10000, hi = 0xD800 + (c >> 10);
					uint32_t lo = 0xDC00 + (c & 0x3FF);
					u16[0] = (uint8_t)hi;
					u16[1] = (uint8_t)(hi >> 8);
					u16[2] = (uint8_t)lo;
					u16[3] = (uint8_t)(lo >> 8);
					one = utf16le_to_utf8(u16, 4);
				} else {
					one = utf16le_to_utf8(u16, 2);
				}
				sb_adds(&back, cp == 0 ? "" : one);
				free(one);
			}
		} else {
			abort();
		}
		if (strncmp(p, " + ", 3) == 0)
			p += 3;
	}
	if (paren && *p != ')')
		abort();
	/* What ps_lit promises: the input, invalid UTF-8 bytes as U+FFFD. */
	strbuf want = STRBUF_INIT;
	sb_adds(&want, "");
	size_t len = strlen(s);
	for (size_t i = 0; i < len;) {
		uint32_t cp;
		size_t n = utf8_next(s + i, len - i, &cp);
		if (!n) {
			sb_adds(&want, "\xEF\xBF\xBD");
			i++;
		} else {
			sb_add(&want, s + i, n);
			i += n;
		}
	}
	if (strcmp(sb_str(&want), sb_str(&back)) != 0)
		abort();
	sb_free(&want);
	sb_free(&back);
	free(l);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1);
	if (!s)
		return 0;
	memcpy(s, data, size);
	s[size] = '\0';
	check_terminal(s);
	check_json(s);
	check_powershell(s);
	free(s);
	return 0;
}
