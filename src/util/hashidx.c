/* hashidx.c - hash -> indexes (open addressing, linear probing). */
#include "util/hashidx.h"

#include <stdlib.h>
#include <string.h>

#include "util/xalloc.h"

#define HASHIDX_MIN_CAP 1024

uint64_t hashidx_str(const char *s)
{
	uint64_t h = 1469598103934665603ull;
	for (; *s; s++) {
		h ^= (unsigned char)*s;
		h *= 1099511628211ull;
	}
	return h;
}

/* Linear probing keeps the values of one hash in the order they were added. */
static void place(hashidx_slot *v, size_t cap, uint64_t h, size_t val)
{
	size_t mask = cap - 1;
	size_t i = (size_t)h & mask;
	while (v[i].val != SIZE_MAX)
		i = (i + 1) & mask;
	v[i].h = h;
	v[i].val = val;
}

static hashidx_slot *empty_table(size_t cap)
{
	hashidx_slot *v = xcalloc(cap, sizeof *v);
	for (size_t i = 0; i < cap; i++)
		v[i].val = SIZE_MAX;
	return v;
}

void hashidx_add(hashidx *m, uint64_t h, size_t val)
{
	if ((m->n + 1) * 2 > m->cap) {
		size_t cap = m->cap ? m->cap * 2 : HASHIDX_MIN_CAP;
		hashidx_slot *v = empty_table(cap);
		/* re-placed in table order: a run of one hash keeps its order */
		size_t mask = m->cap - 1, start = 0;
		while (m->cap && m->v[start].val != SIZE_MAX)
			start = (start + 1) & mask; /* begin after an empty slot */
		for (size_t k = 0; k < m->cap; k++) {
			const hashidx_slot *s = &m->v[(start + k) & mask];
			if (s->val != SIZE_MAX)
				place(v, cap, s->h, s->val);
		}
		free(m->v);
		m->v = v;
		m->cap = cap;
	}
	place(m->v, m->cap, h, val);
	m->n++;
}

size_t hashidx_next(const hashidx *m, uint64_t h, size_t *pos)
{
	if (!m->cap)
		return SIZE_MAX;
	size_t mask = m->cap - 1;
	for (;;) {
		if (*pos >= m->cap)
			return SIZE_MAX;
		const hashidx_slot *s = &m->v[((size_t)h + *pos) & mask];
		if (s->val == SIZE_MAX)
			return SIZE_MAX;
		(*pos)++;
		if (s->h == h)
			return s->val;
	}
}

void hashidx_free(hashidx *m)
{
	free(m->v);
	memset(m, 0, sizeof *m);
}
