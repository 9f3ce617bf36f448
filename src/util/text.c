/* text.c - encodings and renderings. */
#include "util/text.h"

#include <ctype.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "util/bytes.h"
#include "util/strbuf.h"
#include "util/xalloc.h"

static void put_utf8(strbuf *sb, uint32_t cp)
{
	char b[4];
	if (cp < 0x80) {
		b[0] = (char)cp;
		sb_add(sb, b, 1);
	} else if (cp < 0x800) {
		b[0] = (char)(0xC0 | (cp >> 6));
		b[1] = (char)(0x80 | (cp & 0x3F));
		sb_add(sb, b, 2);
	} else if (cp < 0x10000) {
		b[0] = (char)(0xE0 | (cp >> 12));
		b[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
		b[2] = (char)(0x80 | (cp & 0x3F));
		sb_add(sb, b, 3);
	} else {
		b[0] = (char)(0xF0 | (cp >> 18));
		b[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
		b[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
		b[3] = (char)(0x80 | (cp & 0x3F));
		sb_add(sb, b, 4);
	}
}

char *utf16le_to_utf8(const uint8_t *p, size_t nbytes)
{
	size_t n = nbytes / 2;
	while (n > 0 && ld16le(p + 2 * (n - 1)) == 0)
		n--;
	strbuf sb = STRBUF_INIT;
	sb_add(&sb, "", 0);
	for (size_t i = 0; i < n; i++) {
		uint32_t u = ld16le(p + 2 * i);
		if (u >= 0xD800 && u <= 0xDBFF && i + 1 < n) {
			uint32_t lo = ld16le(p + 2 * (i + 1));
			if (lo >= 0xDC00 && lo <= 0xDFFF) {
				put_utf8(&sb, 0x10000 + ((u - 0xD800) << 10) + (lo - 0xDC00));
				i++;
				continue;
			}
		}
		if ((u >= 0xD800 && u <= 0xDFFF) || u == 0)
			u = 0xFFFD;
		put_utf8(&sb, u);
	}
	return sb_detach(&sb);
}

size_t utf8_next(const void *str, size_t len, uint32_t *cp)
{
	const unsigned char *s = str;
	if (len == 0)
		return 0;
	unsigned char c = s[0];
	size_t n;
	uint32_t v, min;
	if (c < 0x80) {
		*cp = c;
		return 1;
	} else if ((c & 0xE0) == 0xC0) {
		n = 2; v = c & 0x1F; min = 0x80;
	} else if ((c & 0xF0) == 0xE0) {
		n = 3; v = c & 0x0F; min = 0x800;
	} else if ((c & 0xF8) == 0xF0) {
		n = 4; v = c & 0x07; min = 0x10000;
	} else {
		return 0;
	}
	if (n > len)
		return 0;
	for (size_t i = 1; i < n; i++) {
		if ((s[i] & 0xC0) != 0x80)
			return 0;
		v = (v << 6) | (s[i] & 0x3F);
	}
	if (v < min || v > 0x10FFFF || (v >= 0xD800 && v <= 0xDFFF))
		return 0;
	*cp = v;
	return n;
}

bool utf8_valid(const char *s, size_t len)
{
	const unsigned char *u = (const unsigned char *)s;
	for (size_t i = 0; i < len;) {
		uint64_t w;
		if (i + 8 <= len && (memcpy(&w, u + i, 8), !(w & 0x8080808080808080ull))) {
			i += 8; /* eight ASCII bytes at once: most text is ASCII */
			continue;
		}
		uint32_t cp;
		size_t n = utf8_next(u + i, len - i, &cp);
		if (!n)
			return false;
		i += n;
	}
	return true;
}

uint8_t *utf8_to_utf16le(const char *s, size_t *nbytes)
{
	size_t len = strlen(s);
	uint8_t *out = xmalloc(len * 4 + 2);
	size_t o = 0;
	const unsigned char *u = (const unsigned char *)s;
	for (size_t i = 0; i < len;) {
		uint32_t cp;
		size_t n = utf8_next(u + i, len - i, &cp);
		if (!n) {
			cp = 0xFFFD;
			n = 1;
		}
		i += n;
		if (cp >= 0x10000) {
			cp -= 0x10000;
			st16le(out + o, (uint16_t)(0xD800 + (cp >> 10)));
			st16le(out + o + 2, (uint16_t)(0xDC00 + (cp & 0x3FF)));
			o += 4;
		} else {
			st16le(out + o, (uint16_t)cp);
			o += 2;
		}
	}
	*nbytes = o;
	return out;
}

void hex_encode(const uint8_t *p, size_t n, bool upper, char *out)
{
	const char *hx = upper ? "0123456789ABCDEF" : "0123456789abcdef";
	for (size_t i = 0; i < n; i++) {
		out[2 * i] = hx[p[i] >> 4];
		out[2 * i + 1] = hx[p[i] & 15];
	}
	out[2 * n] = '\0';
}

char *hex_dup(const uint8_t *p, size_t n, bool upper)
{
	char *s = xmalloc(2 * n + 1);
	hex_encode(p, n, upper, s);
	return s;
}

void guid_format(const uint8_t g[16], char out[37])
{
	snprintf(out, 37, "%08X-%04X-%04X-%02X%02X-%02X%02X%02X%02X%02X%02X", ld32le(g),
		 ld16le(g + 4), ld16le(g + 6), g[8], g[9], g[10], g[11], g[12], g[13], g[14],
		 g[15]);
}

int hex_value(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = tolower(c);
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

bool guid_parse(const char *s, uint8_t g[16])
{
	size_t len = strlen(s);
	if (len == 38 && s[0] == '{' && s[37] == '}') {
		s++;
		len = 36;
	}
	if (len != 36 || s[8] != '-' || s[13] != '-' || s[18] != '-' || s[23] != '-')
		return false;
	uint8_t raw[16];
	int k = 0;
	for (size_t i = 0; i < 36; i++) {
		if (i == 8 || i == 13 || i == 18 || i == 23)
			continue;
		int h = hex_value((unsigned char)s[i]), l = hex_value((unsigned char)s[i + 1]);
		if (h < 0 || l < 0)
			return false;
		raw[k++] = (uint8_t)(h << 4 | l);
		i++;
	}
	/* raw is in textual (big-endian) order; store mixed-endian. */
	g[0] = raw[3]; g[1] = raw[2]; g[2] = raw[1]; g[3] = raw[0];
	g[4] = raw[5]; g[5] = raw[4];
	g[6] = raw[7]; g[7] = raw[6];
	memcpy(g + 8, raw + 8, 8);
	return true;
}

char *guid_canonical(const char *s)
{
	uint8_t g[16];
	if (!s || !guid_parse(s, g))
		return NULL;
	char out[37];
	guid_format(g, out);
	return xstrdup(out);
}

bool guid_str_eq(const char *a, const char *b)
{
	uint8_t ga[16], gb[16];
	if (!a || !b || !guid_parse(a, ga) || !guid_parse(b, gb))
		return false;
	return memcmp(ga, gb, 16) == 0;
}

char *ascii_lower(const char *s)
{
	char *k = xstrdup(s);
	for (char *p = k; *p; p++)
		if (*p >= 'A' && *p <= 'Z')
			*p = (char)(*p - 'A' + 'a');
	return k;
}

/* Days from civil date (proleptic Gregorian), after H. Hinnant. */
static int64_t days_from_civil(int64_t y, unsigned m, unsigned d)
{
	y -= m <= 2;
	int64_t era = (y >= 0 ? y : y - 399) / 400;
	unsigned yoe = (unsigned)(y - era * 400);
	unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + (int64_t)doe - 719468;
}

static void civil_from_days(int64_t z, int64_t *y, unsigned *m, unsigned *d)
{
	z += 719468;
	int64_t era = (z >= 0 ? z : z - 146096) / 146097;
	unsigned doe = (unsigned)(z - era * 146097);
	unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	int64_t yy = (int64_t)yoe + era * 400;
	unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	unsigned mp = (5 * doy + 2) / 153;
	*d = doy - (153 * mp + 2) / 5 + 1;
	*m = mp < 10 ? mp + 3 : mp - 9;
	*y = yy + (*m <= 2);
}

static void fmt_secs(int64_t secs, char out[32], long usec, bool with_usec)
{
	int64_t days = secs >= 0 ? secs / 86400 : -((-secs + 86399) / 86400);
	int64_t rem = secs - days * 86400;
	int64_t y;
	unsigned m, d;
	civil_from_days(days, &y, &m, &d);
	if (y < 0 || y > 9999) {
		snprintf(out, 32, "out-of-range");
		return;
	}
	unsigned hh = (unsigned)(rem / 3600) % 24, mm = (unsigned)(rem / 60 % 60) % 60,
		 ss = (unsigned)(rem % 60) % 60;
	char tmp[80];
	if (with_usec)
		snprintf(tmp, sizeof tmp, "%04u-%02u-%02uT%02u:%02u:%02u.%06luZ", (unsigned)y,
			 m % 13, d % 32, hh, mm, ss, (unsigned long)usec % 1000000);
	else
		snprintf(tmp, sizeof tmp, "%04u-%02u-%02uT%02u:%02u:%02uZ", (unsigned)y, m % 13,
			 d % 32, hh, mm, ss);
	size_t l = strnlen(tmp, 31);
	memcpy(out, tmp, l);
	out[l] = '\0';
}

bool filetime_to_iso(uint64_t ft, char out[32])
{
	/* Seconds between 1601-01-01 and 1970-01-01. */
	const uint64_t epoch_delta = 11644473600ull;
	uint64_t secs = ft / 10000000ull;
	long usec = (long)((ft % 10000000ull) / 10);
	if (ft == 0 || secs > 253402300799ull + epoch_delta) { /* beyond 9999-12-31 */
		out[0] = '\0';
		return false;
	}
	fmt_secs((int64_t)secs - (int64_t)epoch_delta, out, usec, true);
	return true;
}

void time_to_iso(time_t t, char out[32])
{
	fmt_secs((int64_t)t, out, 0, false);
}

static bool take_num(const char **p, int digits, int *v)
{
	int x = 0;
	for (int i = 0; i < digits; i++) {
		if (!isdigit((unsigned char)(*p)[i]))
			return false;
		x = x * 10 + ((*p)[i] - '0');
	}
	*p += digits;
	*v = x;
	return true;
}

/*
 * ISO 8601 as --at takes it: YYYY-MM-DD, optionally followed by T (or a
 * space) hh:mm[:ss[.fraction]] and Z or an offset +hh:mm / +hhmm.  Values
 * that name no instant are refused, never normalised: a day the month does
 * not have (2026-02-30; leap years by the Gregorian rule), hour 24 and over,
 * minute or second 60 and over (a leap second 23:59:60 has no Unix time of
 * its own: refused), an offset beyond +-14:00 (the widest any zone uses,
 * UTC+14 Line Islands, UTC-12) or with minutes over 59, and anything after.
 */
#define ISO_MAX_OFFSET_H 14

static bool leap_year(int y)
{
	return y % 4 == 0 && (y % 100 != 0 || y % 400 == 0);
}

static int days_in_month(int y, int m)
{
	static const int days[12] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
	return m == 2 && leap_year(y) ? 29 : days[m - 1];
}

/* "hh:mm[:ss[.fraction]]" at *p. */
static bool take_time(const char **p, int *h, int *mi, int *se)
{
	if (!take_num(p, 2, h) || *(*p)++ != ':' || !take_num(p, 2, mi))
		return false;
	if (**p == ':') {
		(*p)++;
		if (!take_num(p, 2, se))
			return false;
		if (**p == '.') {
			if (!isdigit((unsigned char)*++*p))
				return false;
			while (isdigit((unsigned char)**p))
				(*p)++;
		}
	}
	return *h <= 23 && *mi <= 59 && *se <= 59;
}

/* "Z", "+hh:mm", "+hhmm" or "-..." at *p, as seconds east of UTC; nothing is UTC. */
static bool take_offset(const char **p, long *off)
{
	int sign, oh, om;

	*off = 0;
	if (**p == 'Z') {
		(*p)++;
		return true;
	}
	if (**p != '+' && **p != '-')
		return true;
	sign = *(*p)++ == '-' ? -1 : 1;
	if (!take_num(p, 2, &oh))
		return false;
	if (**p == ':')
		(*p)++;
	if (!take_num(p, 2, &om) || om > 59 || oh * 60 + om > ISO_MAX_OFFSET_H * 60)
		return false;
	*off = sign * (oh * 3600L + om * 60L);
	return true;
}

bool iso_parse(const char *s, time_t *out)
{
	int y, mo, d, h = 0, mi = 0, se = 0;
	long off = 0;
	const char *p = s;

	if (!take_num(&p, 4, &y) || *p++ != '-' || !take_num(&p, 2, &mo) || *p++ != '-' ||
	    !take_num(&p, 2, &d))
		return false;
	if (mo < 1 || mo > 12 || d < 1 || d > days_in_month(y, mo))
		return false;
	if (*p == 'T' || *p == ' ') {
		p++;
		if (!take_time(&p, &h, &mi, &se) || !take_offset(&p, &off))
			return false;
	}
	if (*p != '\0')
		return false;
	int64_t days = days_from_civil(y, (unsigned)mo, (unsigned)d);
	*out = (time_t)(days * 86400 + h * 3600 + mi * 60 + se - off);
	return true;
}
