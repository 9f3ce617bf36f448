/* base64.c - strict base64 decoding: count and validate first, then decode. */
#include "util/base64.h"

#include "util/xalloc.h"

/*
 * What each byte is: 1 + its value for the 64 symbols, B64_SPACE, B64_PAD,
 * or 0 (outside the alphabet).  One load instead of a chain of ranges.
 */
enum { B64_OUTSIDE = 0, B64_SPACE = 65, B64_PAD = 66 };

static const uint8_t b64_class[256] = {
	['A'] = 1, ['B'] = 2, ['C'] = 3, ['D'] = 4, ['E'] = 5, ['F'] = 6, ['G'] = 7, ['H'] = 8,
	['I'] = 9, ['J'] = 10, ['K'] = 11, ['L'] = 12, ['M'] = 13, ['N'] = 14, ['O'] = 15,
	['P'] = 16, ['Q'] = 17, ['R'] = 18, ['S'] = 19, ['T'] = 20, ['U'] = 21, ['V'] = 22,
	['W'] = 23, ['X'] = 24, ['Y'] = 25, ['Z'] = 26, ['a'] = 27, ['b'] = 28, ['c'] = 29,
	['d'] = 30, ['e'] = 31, ['f'] = 32, ['g'] = 33, ['h'] = 34, ['i'] = 35, ['j'] = 36,
	['k'] = 37, ['l'] = 38, ['m'] = 39, ['n'] = 40, ['o'] = 41, ['p'] = 42, ['q'] = 43,
	['r'] = 44, ['s'] = 45, ['t'] = 46, ['u'] = 47, ['v'] = 48, ['w'] = 49, ['x'] = 50,
	['y'] = 51, ['z'] = 52, ['0'] = 53, ['1'] = 54, ['2'] = 55, ['3'] = 56, ['4'] = 57,
	['5'] = 58, ['6'] = 59, ['7'] = 60, ['8'] = 61, ['9'] = 62, ['+'] = 63, ['/'] = 64,
	[' '] = B64_SPACE, ['\t'] = B64_SPACE, ['\r'] = B64_SPACE, ['\n'] = B64_SPACE,
	['\v'] = B64_SPACE, ['\f'] = B64_SPACE, ['='] = B64_PAD,
};

/* The symbol's value 0-63, or -1 for any other byte. */
static int b64_value(unsigned char c)
{
	uint8_t k = b64_class[c];
	return k >= 1 && k <= 64 ? k - 1 : -1;
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
		uint8_t k = b64_class[(unsigned char)s[i]];
		if (k == B64_SPACE)
			continue;
		if (k == B64_PAD) {
			(*pad)++;
			continue;
		}
		if (k == B64_OUTSIDE)
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
