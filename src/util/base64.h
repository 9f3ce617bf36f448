/* base64.h - strict RFC 4648 base64 decoding for text taken from evidence. */
#ifndef HVTPM_BASE64_H
#define HVTPM_BASE64_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum {
	B64_PAD_REQUIRED = 1, /* the length must be a multiple of 4 with '=' padding */
};

/*
 * Decodes n bytes of s: the standard alphabet only, white space anywhere
 * ignored, '=' only at the very end.  Fails (returning false and, when why
 * is not NULL, a static reason) on any other character, misplaced or excess
 * padding, a dangling symbol, or a result larger than cap bytes.  With out
 * NULL it only validates and counts.  The caller frees *out.
 */
bool hv_base64_decode(const char *s, size_t n, size_t cap, int flags, uint8_t **out,
		      size_t *outlen, const char **why);

#endif
