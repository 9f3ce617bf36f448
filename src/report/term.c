/* term.c - evidence text made inert for terminals. */
#include "report/term.h"

#include <stdlib.h>
#include <string.h>

#include "util/text.h"

bool term_unsafe(unsigned long cp)
{
	return cp < 0x20 || cp == 0x7F || (cp >= 0x80 && cp <= 0x9F) || cp == 0x061C ||
	       cp == 0x200E || cp == 0x200F || (cp >= 0x202A && cp <= 0x202E) ||
	       (cp >= 0x2066 && cp <= 0x2069) || cp == 0x2028 || cp == 0x2029;
}

void term_add(strbuf *sb, const char *s)
{
	if (!s) {
		sb_addc(sb, '-');
		return;
	}
	size_t len = strlen(s);
	for (size_t i = 0; i < len;) {
		uint32_t cp;
		size_t n = utf8_next(s + i, len - i, &cp);
		if (!n) {
			sb_addf(sb, "\\x%02X", (unsigned char)s[i]);
			i++;
			continue;
		}
		if (cp < 0x80 && term_unsafe(cp))
			sb_addf(sb, "\\x%02X", (unsigned)cp);
		else if (term_unsafe(cp))
			sb_addf(sb, "\\u%04X", (unsigned)cp);
		else
			sb_add(sb, s + i, n);
		i += n;
	}
}

char *term_escape(const char *s)
{
	strbuf sb = STRBUF_INIT;
	sb_adds(&sb, "");
	term_add(&sb, s);
	return sb_detach(&sb);
}

void term_put(FILE *o, const char *s)
{
	char *e = term_escape(s);
	fputs(e, o);
	free(e);
}

/* East Asian wide and fullwidth ranges (a coarse table: enough to fit columns). */
static bool wide(uint32_t cp)
{
	return (cp >= 0x1100 && cp <= 0x115F) || (cp >= 0x2E80 && cp <= 0xA4CF) ||
	       (cp >= 0xAC00 && cp <= 0xD7A3) || (cp >= 0xF900 && cp <= 0xFAFF) ||
	       (cp >= 0xFE30 && cp <= 0xFE4F) || (cp >= 0xFF00 && cp <= 0xFF60) ||
	       (cp >= 0xFFE0 && cp <= 0xFFE6) || (cp >= 0x1F300 && cp <= 0x1FAFF) ||
	       (cp >= 0x20000 && cp <= 0x3FFFD);
}

size_t term_columns(const char *s)
{
	size_t cols = 0, len = strlen(s);
	for (size_t i = 0; i < len;) {
		uint32_t cp;
		size_t n = utf8_next(s + i, len - i, &cp);
		if (!n) {
			n = 1;
			cp = '?';
		}
		i += n;
		if (cp >= 0x300 && cp <= 0x36F)
			continue; /* combining marks take no column */
		cols += wide(cp) ? 2 : 1;
	}
	return cols;
}
