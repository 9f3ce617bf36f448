/* ps_literal.c - evidence strings as pure-ASCII PowerShell expressions. */
#include "report/ps_literal.h"

#include <string.h>

#include "util/text.h"

/* Characters a single-quoted literal may hold as they are: printable ASCII. */
static bool plain(uint32_t cp)
{
	return cp >= 0x20 && cp < 0x7F;
}

static void add_char(strbuf *sb, uint32_t cp)
{
	if (cp >= 0x10000) { /* .NET strings are UTF-16: a surrogate pair */
		cp -= 0x10000;
		sb_addf(sb, "[char]0x%04X + [char]0x%04X", 0xD800u + (cp >> 10), 0xDC00u + (cp & 0x3FF));
	} else {
		sb_addf(sb, "[char]0x%04X", cp);
	}
}

void ps_lit_add(strbuf *sb, const char *s)
{
	s = s ? s : "";
	size_t len = strlen(s);
	bool all_plain = true;
	for (size_t i = 0; i < len && all_plain; i++)
		all_plain = plain((unsigned char)s[i]);
	if (all_plain) {
		sb_addc(sb, '\'');
		for (size_t i = 0; i < len; i++) {
			if (s[i] == '\'')
				sb_addc(sb, '\'');
			sb_addc(sb, s[i]);
		}
		sb_addc(sb, '\'');
		return;
	}
	/* ('' + ...): the first operand is a string, so + concatenates. */
	sb_adds(sb, "(''");
	bool in_literal = false;
	for (size_t i = 0; i < len;) {
		uint32_t cp;
		size_t n = utf8_next(s + i, len - i, &cp);
		if (!n) {
			cp = 0xFFFD;
			n = 1;
		}
		i += n;
		if (plain(cp)) {
			if (!in_literal)
				sb_adds(sb, " + '");
			in_literal = true;
			if (cp == '\'')
				sb_addc(sb, '\'');
			sb_addc(sb, (char)cp);
			continue;
		}
		if (in_literal)
			sb_addc(sb, '\'');
		in_literal = false;
		sb_adds(sb, " + ");
		add_char(sb, cp);
	}
	if (in_literal)
		sb_addc(sb, '\'');
	sb_addc(sb, ')');
}

char *ps_lit(const char *s)
{
	strbuf sb = STRBUF_INIT;
	ps_lit_add(&sb, s);
	return sb_detach(&sb);
}

bool ps_script_byte_ok(unsigned char c)
{
	return c == '\n' || (c >= 0x20 && c < 0x7F);
}
