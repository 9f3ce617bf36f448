/* strbuf.h - one growable string type, after git's strbuf. */
#ifndef HVTPM_STRBUF_H
#define HVTPM_STRBUF_H

#include <stdarg.h>
#include <stddef.h>

typedef struct {
	char *buf;   /* always NUL-terminated once anything was added */
	size_t len;
	size_t cap;
} strbuf;

#define STRBUF_INIT { NULL, 0, 0 }

void sb_add(strbuf *sb, const char *s, size_t n);
void sb_adds(strbuf *sb, const char *s);
void sb_addc(strbuf *sb, char c);
void sb_addf(strbuf *sb, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void sb_vaddf(strbuf *sb, const char *fmt, va_list ap);
/* Returns the string ("" when empty); still owned by sb. */
const char *sb_str(const strbuf *sb);
/* Hands the string to the caller (never NULL, no spare room) and resets sb. */
char *sb_detach(strbuf *sb);
void sb_reset(strbuf *sb);
void sb_free(strbuf *sb);

#endif
