/* out.c - shared output helpers. */
#include "report/out.h"

#include <limits.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "util/strbuf.h"
#include "util/text.h"

static bool colour;
static size_t term_width;

void out_init_width(FILE *stream)
{
	term_width = 0;
	if (!isatty(fileno(stream)))
		return;
	const char *c = getenv("COLUMNS");
	if (c && *c) {
		char *end;
		long v = strtol(c, &end, 10);
		if (!*end && v >= 20 && v <= 1000) {
			term_width = (size_t)v;
			return;
		}
	}
	struct winsize ws;
	if (ioctl(fileno(stream), TIOCGWINSZ, &ws) == 0 && ws.ws_col >= 20)
		term_width = ws.ws_col;
	else
		term_width = 80;
}

size_t out_width(void)
{
	return term_width;
}

void out_init_colour(FILE *stream)
{
	const char *nc = getenv("NO_COLOR");
	const char *term = getenv("TERM");
	colour = isatty(fileno(stream)) && !(nc && *nc) && !(term && strcmp(term, "dumb") == 0);
}

bool out_colour_on(void)
{
	return colour;
}

const char *out_c(out_colour c)
{
	if (!colour)
		return "";
	switch (c) {
	case C_NONE: return "\033[0m";
	case C_BOLD: return "\033[1m";
	case C_RED: return "\033[1;31m";
	case C_YELLOW: return "\033[1;33m";
	case C_GREEN: return "\033[1;32m";
	case C_DIM: return "\033[2m";
	case C_CYAN: return "\033[36m";
	}
	return "";
}

void out_kv(FILE *o, const char *indent, int width, const char *label, const char *fmt, ...)
{
	fprintf(o, "%s%s:%*s ", indent ? indent : "", label,
		width > (int)strlen(label) ? width - (int)strlen(label) : 0, "");
	va_list ap;
	va_start(ap, fmt);
	vfprintf(o, fmt, ap);
	va_end(ap);
	fputc('\n', o);
}

/* json_text of s, len bytes, already known to be (valid) or not to be UTF-8. */
static json_object *json_text_len(const char *s, size_t len, bool valid)
{
	if (valid && len <= INT_MAX)
		return json_object_new_string_len(s, (int)len);
	strbuf sb = STRBUF_INIT;
	for (size_t i = 0; i < len;) {
		uint32_t cp;
		size_t n = utf8_next(s + i, len - i, &cp);
		if (n) {
			sb_add(&sb, s + i, n);
			i += n;
		} else {
			sb_adds(&sb, "\xEF\xBF\xBD"); /* U+FFFD */
			i++;
		}
	}
	json_object *o = json_object_new_string(sb_str(&sb));
	sb_free(&sb);
	return o;
}

json_object *json_text(const char *s)
{
	if (!s)
		return NULL;
	size_t len = strlen(s);
	return json_text_len(s, len, utf8_valid(s, len));
}

void jadd_str(json_object *o, const char *key, const char *val)
{
	size_t len = val ? strlen(val) : 0;
	bool valid = !val || utf8_valid(val, len);
	json_object_object_add(o, key, val ? json_text_len(val, len, valid) : NULL);
	if (valid)
		return;
	/* Not UTF-8 (a file name on the machine running hvtpm): the exact bytes too. */
	char *hex = hex_dup((const uint8_t *)val, len, false);
	strbuf k = STRBUF_INIT;
	sb_addf(&k, "%s_bytes", key);
	json_object_object_add(o, sb_str(&k), json_object_new_string(hex));
	sb_free(&k);
	free(hex);
}

void enum_id(const char *id, char *out, size_t n)
{
	size_t k = 0;
	for (; id && id[k] && k + 1 < n; k++) {
		char c = id[k];
		if (c >= 'A' && c <= 'Z')
			c = (char)(c - 'A' + 'a');
		else if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')))
			c = '_';
		out[k] = c;
	}
	if (n)
		out[k] = '\0';
}

json_object *json_enum(const char *id)
{
	if (!id)
		return NULL;
	char buf[64];
	enum_id(id, buf, sizeof buf);
	return json_object_new_string(buf);
}

void jadd_enum(json_object *o, const char *key, const char *id)
{
	json_object_object_add(o, key, json_enum(id));
}

void jadd_int(json_object *o, const char *key, int64_t val)
{
	json_object_object_add(o, key, json_object_new_int64(val));
}

void jadd_bool(json_object *o, const char *key, bool val)
{
	json_object_object_add(o, key, json_object_new_boolean(val));
}

void jadd_null(json_object *o, const char *key)
{
	json_object_object_add(o, key, NULL);
}

void out_json(FILE *o, json_object *doc)
{
	fputs(json_object_to_json_string_ext(doc, JSON_C_TO_STRING_PRETTY |
							  JSON_C_TO_STRING_SPACED |
							  JSON_C_TO_STRING_NOSLASHESCAPE),
	      o);
	fputc('\n', o);
}

void out_indented_sb(strbuf *sb, const char *s, const char *pad)
{
	for (;;) {
		const char *nl = strchr(s, '\n');
		size_t n = nl ? (size_t)(nl - s) + 1 : strlen(s);
		sb_add(sb, s, n);
		if (!nl)
			return;
		sb_adds(sb, pad);
		s = nl + 1;
	}
}

char *out_json_nested_text(json_object *v, const char *lead, const char *pad, size_t *len)
{
	strbuf sb = STRBUF_INIT;
	sb_adds(&sb, lead);
	out_indented_sb(&sb, json_object_to_json_string_ext(v, JSON_C_TO_STRING_PRETTY |
								  JSON_C_TO_STRING_SPACED |
								  JSON_C_TO_STRING_NOSLASHESCAPE),
			pad);
	json_object_put(v);
	*len = sb.len;
	return sb_detach(&sb);
}

void out_indented(FILE *o, const char *s, const char *pad)
{
	strbuf sb = STRBUF_INIT;
	out_indented_sb(&sb, s, pad);
	fwrite(sb.buf, 1, sb.len, o);
	sb_free(&sb);
}

char *out_json_line_text(json_object *doc, size_t *len)
{
	strbuf sb = STRBUF_INIT;
	sb_adds(&sb, json_object_to_json_string_ext(doc, JSON_C_TO_STRING_PLAIN |
								 JSON_C_TO_STRING_NOSLASHESCAPE));
	sb_addc(&sb, '\n');
	*len = sb.len;
	return sb_detach(&sb);
}

void out_json_line(FILE *o, json_object *doc)
{
	size_t len;
	char *t = out_json_line_text(doc, &len);
	fwrite(t, 1, len, o);
	free(t);
}
