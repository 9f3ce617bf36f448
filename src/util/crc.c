/* crc.c - CRC-32 through zlib; CRC-32C (Castagnoli) with a small table. */
#include "util/crc.h"

#include <pthread.h>
#include <zlib.h>

static uint32_t crc32_part(uint32_t crc, const uint8_t *p, size_t n)
{
	while (n) {
		uInt chunk = n > 0x40000000u ? 0x40000000u : (uInt)n;
		crc = (uint32_t)crc32(crc, p, chunk);
		p += chunk;
		n -= chunk;
	}
	return crc;
}

uint32_t hv_crc32(const void *data, size_t len)
{
	return crc32_part((uint32_t)crc32(0, Z_NULL, 0), data, len);
}

static const uint8_t zeros[64];

uint32_t hv_crc32_zeroed(const void *data, size_t len, size_t field, size_t flen)
{
	const uint8_t *p = data;
	uint32_t c = (uint32_t)crc32(0, Z_NULL, 0);
	if (field > len || flen > len - field || flen > sizeof zeros)
		return hv_crc32(data, len) ^ 0xFFFFFFFFu; /* never matches a real CRC of this data */
	c = crc32_part(c, p, field);
	c = crc32_part(c, zeros, flen);
	return crc32_part(c, p + field + flen, len - field - flen);
}

static uint32_t c32c_table[256];
static pthread_once_t c32c_once = PTHREAD_ONCE_INIT;

static void c32c_init(void)
{
	for (uint32_t i = 0; i < 256; i++) {
		uint32_t c = i;
		for (int k = 0; k < 8; k++)
			c = (c & 1) ? (c >> 1) ^ 0x82F63B78u : c >> 1;
		c32c_table[i] = c;
	}
}

static uint32_t c32c_update(uint32_t crc, const uint8_t *p, size_t n)
{
	pthread_once(&c32c_once, c32c_init);
	while (n--)
		crc = c32c_table[(crc ^ *p++) & 0xFF] ^ (crc >> 8);
	return crc;
}

uint32_t hv_crc32c(const void *data, size_t len)
{
	return c32c_update(0xFFFFFFFFu, data, len) ^ 0xFFFFFFFFu;
}

uint32_t hv_crc32c_zeroed(const void *data, size_t len, size_t field, size_t flen)
{
	const uint8_t *p = data;
	if (field > len || flen > len - field || flen > sizeof zeros)
		return hv_crc32c(data, len) ^ 0xFFFFFFFFu;
	uint32_t c = c32c_update(0xFFFFFFFFu, p, field);
	c = c32c_update(c, zeros, flen);
	c = c32c_update(c, p + field + flen, len - field - flen);
	return c ^ 0xFFFFFFFFu;
}
