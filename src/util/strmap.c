/* strmap.c - string -> index hash map. */
#include "util/strmap.h"

#include <stdlib.h>
#include <string.h>

#include "util/hashidx.h"
#include "util/xalloc.h"

#define STRMAP_MIN_CAP 1024

static strmap_slot *slot_for(const strmap *m, const char *key)
{
	size_t mask = m->cap - 1;
	size_t i = (size_t)hashidx_str(key) & mask;
	while (m->v[i].key && strcmp(m->v[i].key, key) != 0)
		i = (i + 1) & mask;
	return &m->v[i];
}

size_t strmap_get(const strmap *m, const char *key)
{
	if (!m->cap)
		return SIZE_MAX;
	const strmap_slot *s = slot_for(m, key);
	return s->key ? s->val : SIZE_MAX;
}

static void grow(strmap *m)
{
	size_t cap = m->cap ? m->cap * 2 : STRMAP_MIN_CAP;
	strmap g = { xcalloc(cap, sizeof *g.v), cap, m->n };
	for (size_t i = 0; i < m->cap; i++)
		if (m->v[i].key)
			*slot_for(&g, m->v[i].key) = m->v[i];
	free(m->v);
	*m = g;
}

void strmap_put(strmap *m, char *key, size_t val)
{
	if ((m->n + 1) * 2 > m->cap)
		grow(m);
	strmap_slot *s = slot_for(m, key);
	if (s->key) {
		free(key);
		return;
	}
	s->key = key;
	s->val = val;
	m->n++;
}

void strmap_set(strmap *m, char *key, size_t val)
{
	if ((m->n + 1) * 2 > m->cap)
		grow(m);
	strmap_slot *s = slot_for(m, key);
	if (s->key) {
		free(key);
	} else {
		s->key = key;
		m->n++;
	}
	s->val = val;
}

void strmap_free(strmap *m)
{
	for (size_t i = 0; i < m->cap; i++)
		free(m->v[i].key);
	free(m->v);
	memset(m, 0, sizeof *m);
}
