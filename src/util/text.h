/* text.h - encodings and renderings shared by readers and reports. */
#ifndef HVTPM_TEXT_H
#define HVTPM_TEXT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

/*
 * UTF-16LE (nbytes, odd trailing byte ignored) to a new NUL-terminated UTF-8
 * string.  Unpaired surrogates become U+FFFD.  Embedded U+0000 code units
 * are kept out: trailing ones are stripped, inner ones become U+FFFD.
 */
char *utf16le_to_utf8(const uint8_t *p, size_t nbytes);
/* UTF-8 to UTF-16LE (no terminator); *nbytes receives the length. */
uint8_t *utf8_to_utf16le(const char *s, size_t *nbytes);
/*
 * Decodes one UTF-8 sequence at str (len bytes available): returns its
 * length and the code point, or 0 when the bytes there are no valid UTF-8
 * (overlong forms, surrogates and values past U+10FFFF are invalid).
 */
size_t utf8_next(const void *str, size_t len, uint32_t *cp);
/* True when s (len bytes) is valid UTF-8. */
bool utf8_valid(const char *s, size_t len);

void hex_encode(const uint8_t *p, size_t n, bool upper, char *out /* 2n+1 */);
/* The value of hex digit c (either case), or -1. */
int hex_value(int c);
/* New string of 2n hex digits. */
char *hex_dup(const uint8_t *p, size_t n, bool upper);

/* Formats 16 bytes in the Microsoft mixed-endian GUID layout, upper case. */
void guid_format(const uint8_t g[16], char out[37]);
/* Parses "xxxxxxxx-xxxx-..." with or without braces into the mixed-endian bytes. */
bool guid_parse(const char *s, uint8_t g[16]);
/* Case-insensitive GUID string comparison ignoring braces. */
bool guid_str_eq(const char *a, const char *b);
/* A copy of s with A-Z made a-z (as strcasecmp compares in the C locale); caller frees. */
char *ascii_lower(const char *s);
/* Canonical upper-case form without braces; NULL when s is not a GUID. */
char *guid_canonical(const char *s);

/* FILETIME (100 ns since 1601-01-01 UTC) to ISO 8601 "…Z" with microseconds. */
bool filetime_to_iso(uint64_t ft, char out[32]);
/* Unix seconds to "YYYY-MM-DDTHH:MM:SSZ". */
void time_to_iso(time_t t, char out[32]);
/*
 * Parses ISO 8601 date or date-time (Z or +hh:mm offsets) to Unix seconds;
 * false for impossible dates, times or offsets (see text.c) and trailing text.
 */
bool iso_parse(const char *s, time_t *out);

#endif
