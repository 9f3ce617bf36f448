/* base64.c - strict base64 decoding: count and validate first, then decode. */
#include "util/base64.h"

#include "util/xalloc.h"

static int b64_value(unsigned char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+')
		return 62;
	if (c == '/')
		return 63;
	return -1;
}

static bool b64_space(unsigned char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\v' || c == '\f';
}

static bool fail(const char **why, const char *reason)
{
	if (why)
		*why = reason;
	return false;
}

/* Counts symbols and padding; false on a character or padding out of place. */
static bool b64_count(const char *s, size_t n, size_t *sym, size_t *pad, const char **why)
{
	*sym = *pad = 0;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (b64_space(c))
			continue;
		if (c == '=') {
			(*pad)++;
			continue;
		}
		if (b64_value(c) < 0)
			return fail(why, "character outside the base64 alphabet");
		if (*pad)
			return fail(why, "data after padding");
		(*sym)++;
	}
	return true;
}

bool hv_base64_decode(const char *s, size_t n, size_t cap, int flags, uint8_t **out,
		      size_t *outlen, const char **why)
{
	size_t sym, pad;
	if (out)
		*out = NULL;
	*outlen = 0;
	if (why)
		*why = NULL;
	if (!b64_count(s, n, &sym, &pad, why))
		return false;
	size_t rem = sym % 4;
	if (rem == 1)
		return fail(why, "a dangling symbol at the end");
	if (pad > 2 || (rem == 0 && pad) || (rem == 3 && pad > 1))
		return fail(why, "too much padding");
	if ((flags & B64_PAD_REQUIRED) && (sym + pad) % 4 != 0)
		return fail(why, "length is not a multiple of 4");
	size_t len = sym / 4 * 3 + (rem == 2 ? 1 : rem == 3 ? 2 : 0);
	if (len > cap)
		return fail(why, "decoded data over the size cap");
	*outlen = len;
	if (!out)
		return true;
	uint8_t *b = xmalloc(len ? len : 1);
	uint32_t acc = 0;
	size_t k = 0, got = 0;
	for (size_t i = 0; i < n && k < len; i++) {
		int v = b64_value((unsigned char)s[i]);
		if (v < 0)
			continue;
		acc = (acc << 6) | (uint32_t)v;
		if (++got == 4) {
			b[k++] = (uint8_t)(acc >> 16);
			b[k++] = (uint8_t)(acc >> 8);
			b[k++] = (uint8_t)acc;
			acc = 0;
			got = 0;
		}
	}
	if (got == 2) {
		b[k++] = (uint8_t)(acc >> 4);
	} else if (got == 3) {
		b[k++] = (uint8_t)(acc >> 10);
		b[k++] = (uint8_t)(acc >> 2);
	}
	*out = b;
	return true;
}
