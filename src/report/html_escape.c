/* html_escape.c - evidence text made safe and visible in HTML (rules in html_escape.h). */
#include "report/html_escape.h"

#include <string.h>

#include "util/text.h"

bool html_cp_hidden(uint32_t cp)
{
	if (cp < 0x20 || (cp >= 0x7F && cp <= 0x9F))
		return true;
	if (cp == 0x061C || cp == 0x200B || cp == 0x200E || cp == 0x200F || cp == 0xFEFF)
		return true;
	if ((cp >= 0x2028 && cp <= 0x202E) || (cp >= 0x2060 && cp <= 0x2064) ||
	    (cp >= 0x2066 && cp <= 0x206F))
		return true;
	if ((cp >= 0xFDD0 && cp <= 0xFDEF) || (cp & 0xFFFE) == 0xFFFE) /* noncharacters */
		return true;
	return (cp >= 0xFFF9 && cp <= 0xFFFB) || (cp >= 0xE0000 && cp <= 0xE007F);
}

void html_escape_add(strbuf *sb, const char *s, size_t len)
{
	size_t i = 0;
	while (i < len) {
		size_t run = i; /* a run of bytes copied as they are */
		while (run < len) {
			unsigned char c = (unsigned char)s[run];
			if (c < 0x20 || c == 0x7F || c >= 0x80 || strchr("&<>\"'", c))
				break;
			run++;
		}
		sb_add(sb, s + i, run - i);
		i = run;
		if (i >= len)
			break;
		unsigned char c = (unsigned char)s[i];
		switch (c) {
		case '&': sb_adds(sb, "&amp;"); i++; continue;
		case '<': sb_adds(sb, "&lt;"); i++; continue;
		case '>': sb_adds(sb, "&gt;"); i++; continue;
		case '"': sb_adds(sb, "&quot;"); i++; continue;
		case '\'': sb_adds(sb, "&#39;"); i++; continue;
		default: break;
		}
		if (c < 0x80) { /* C0 control or DEL */
			sb_addf(sb, "\\x%02X", c);
			i++;
			continue;
		}
		uint32_t cp;
		size_t n = utf8_next(s + i, len - i, &cp);
		if (!n) {
			sb_adds(sb, "\xEF\xBF\xBD"); /* U+FFFD */
			i++;
			continue;
		}
		if (!html_cp_hidden(cp))
			sb_add(sb, s + i, n);
		else if (cp > 0xFFFF)
			sb_addf(sb, "\\u{%05X}", cp);
		else
			sb_addf(sb, "\\u%04X", cp);
		i += n;
	}
}

void html_escape_put(FILE *o, const char *s)
{
	if (!s || !*s)
		return;
	strbuf sb = STRBUF_INIT;
	html_escape_add(&sb, s, strlen(s));
	fputs(sb_str(&sb), o);
	sb_free(&sb);
}

char *html_escape(const char *s)
{
	strbuf sb = STRBUF_INIT;
	if (s)
		html_escape_add(&sb, s, strlen(s));
	return sb_detach(&sb);
}

char *html_truncate(const char *s, size_t max)
{
	strbuf sb = STRBUF_INIT;
	s = s ? s : "";
	size_t len = strlen(s), i = 0;
	for (size_t chars = 0; i < len && chars < max; chars++) {
		uint32_t cp;
		size_t n = utf8_next(s + i, len - i, &cp);
		i += n ? n : 1;
	}
	sb_add(&sb, s, i);
	if (i < len)
		sb_adds(&sb, "\xE2\x80\xA6"); /* U+2026 */
	return sb_detach(&sb);
}
