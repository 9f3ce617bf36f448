/* bytes.c - bounds-checked access to untrusted byte buffers. */
#include "util/bytes.h"

#include <string.h>

bool span_sub(span_t s, uint64_t off, uint64_t n, span_t *out)
{
	if (!span_has(s, off, n)) {
		out->data = NULL;
		out->len = 0;
		return false;
	}
	out->data = s.data + off;
	out->len = (size_t)n;
	return true;
}

bool span_u8(span_t s, uint64_t off, uint8_t *v)
{
	if (!span_has(s, off, 1))
		return false;
	*v = s.data[off];
	return true;
}

bool span_u16le(span_t s, uint64_t off, uint16_t *v)
{
	if (!span_has(s, off, 2))
		return false;
	*v = ld16le(s.data + off);
	return true;
}

bool span_u32le(span_t s, uint64_t off, uint32_t *v)
{
	if (!span_has(s, off, 4))
		return false;
	*v = ld32le(s.data + off);
	return true;
}

bool span_u64le(span_t s, uint64_t off, uint64_t *v)
{
	if (!span_has(s, off, 8))
		return false;
	*v = ld64le(s.data + off);
	return true;
}

bool span_u16be(span_t s, uint64_t off, uint16_t *v)
{
	if (!span_has(s, off, 2))
		return false;
	*v = (uint16_t)((s.data[off] << 8) | s.data[off + 1]);
	return true;
}

bool span_u32be(span_t s, uint64_t off, uint32_t *v)
{
	if (!span_has(s, off, 4))
		return false;
	*v = ld32be(s.data + off);
	return true;
}

bool span_u64be(span_t s, uint64_t off, uint64_t *v)
{
	if (!span_has(s, off, 8))
		return false;
	*v = ((uint64_t)ld32be(s.data + off) << 32) | ld32be(s.data + off + 4);
	return true;
}

bool span_eq(span_t s, uint64_t off, const void *lit, size_t n)
{
	return span_has(s, off, n) && memcmp(s.data + off, lit, n) == 0;
}

const uint8_t *cur_take(cursor_t *c, uint64_t n)
{
	if (c->err || !span_has(c->s, c->pos, n)) {
		c->err = true;
		return NULL;
	}
	const uint8_t *p = c->s.data + c->pos;
	c->pos += n;
	return p;
}

void cur_skip(cursor_t *c, uint64_t n)
{
	(void)cur_take(c, n);
}

uint8_t cur_u8(cursor_t *c)
{
	const uint8_t *p = cur_take(c, 1);
	return p ? p[0] : 0;
}

uint16_t cur_u16le(cursor_t *c)
{
	const uint8_t *p = cur_take(c, 2);
	return p ? ld16le(p) : 0;
}

uint32_t cur_u32le(cursor_t *c)
{
	const uint8_t *p = cur_take(c, 4);
	return p ? ld32le(p) : 0;
}

uint64_t cur_u64le(cursor_t *c)
{
	const uint8_t *p = cur_take(c, 8);
	return p ? ld64le(p) : 0;
}

uint32_t cur_u32be(cursor_t *c)
{
	const uint8_t *p = cur_take(c, 4);
	return p ? ld32be(p) : 0;
}
