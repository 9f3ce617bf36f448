/*
 * bytes.h - bounds-checked access to untrusted byte buffers.
 *
 * Every reader decodes through these helpers: a read that would run past
 * the end fails instead of overrunning.  Offsets and lengths are u64 so that
 * values taken from a file can be checked before any narrowing.
 */
#ifndef HVTPM_BYTES_H
#define HVTPM_BYTES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct {
	const uint8_t *data;
	size_t len;
} span_t;

static inline span_t span_make(const void *data, size_t len)
{
	span_t s = { (const uint8_t *)data, len };
	return s;
}

/* True when [off, off+n) lies inside s. */
static inline bool span_has(span_t s, uint64_t off, uint64_t n)
{
	return off <= s.len && n <= (uint64_t)s.len - off;
}

/* Sub-span; returns false (and leaves *out empty) when out of bounds. */
bool span_sub(span_t s, uint64_t off, uint64_t n, span_t *out);

bool span_u8(span_t s, uint64_t off, uint8_t *v);
bool span_u16le(span_t s, uint64_t off, uint16_t *v);
bool span_u32le(span_t s, uint64_t off, uint32_t *v);
bool span_u64le(span_t s, uint64_t off, uint64_t *v);
bool span_u16be(span_t s, uint64_t off, uint16_t *v);
bool span_u32be(span_t s, uint64_t off, uint32_t *v);
bool span_u64be(span_t s, uint64_t off, uint64_t *v);
/* Compare n bytes at off with lit; false when out of bounds or different. */
bool span_eq(span_t s, uint64_t off, const void *lit, size_t n);

/* Unchecked little-endian loads for buffers whose size is already proven. */
static inline uint16_t ld16le(const uint8_t *p) { return (uint16_t)(p[0] | (p[1] << 8)); }
static inline uint32_t ld32le(const uint8_t *p)
{
	return (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) |
	       ((uint32_t)p[3] << 24);
}
static inline uint64_t ld64le(const uint8_t *p)
{
	return (uint64_t)ld32le(p) | ((uint64_t)ld32le(p + 4) << 32);
}
static inline uint32_t ld32be(const uint8_t *p)
{
	return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) | ((uint32_t)p[2] << 8) |
	       (uint32_t)p[3];
}
static inline void st16le(uint8_t *p, uint16_t v) { p[0] = (uint8_t)v; p[1] = (uint8_t)(v >> 8); }
static inline void st32le(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)v; p[1] = (uint8_t)(v >> 8); p[2] = (uint8_t)(v >> 16); p[3] = (uint8_t)(v >> 24);
}
static inline void st64le(uint8_t *p, uint64_t v) { st32le(p, (uint32_t)v); st32le(p + 4, (uint32_t)(v >> 32)); }
static inline void st32be(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24); p[1] = (uint8_t)(v >> 16); p[2] = (uint8_t)(v >> 8); p[3] = (uint8_t)v;
}

/*
 * A sequential cursor.  Once a read fails, err stays set and every later
 * read fails too, so a parser can read a whole structure and test err once.
 */
typedef struct {
	span_t s;
	uint64_t pos;
	bool err;
} cursor_t;

static inline cursor_t cursor_at(span_t s, uint64_t pos)
{
	cursor_t c = { s, pos, pos > s.len };
	return c;
}
uint8_t cur_u8(cursor_t *c);
uint16_t cur_u16le(cursor_t *c);
uint32_t cur_u32le(cursor_t *c);
uint64_t cur_u64le(cursor_t *c);
uint32_t cur_u32be(cursor_t *c);
/* Returns a pointer to n bytes and advances, or NULL (and sets err). */
const uint8_t *cur_take(cursor_t *c, uint64_t n);
void cur_skip(cursor_t *c, uint64_t n);

#endif
