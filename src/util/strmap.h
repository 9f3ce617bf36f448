/*
 * strmap.h - string -> index map (open addressing, FNV-1a), so that lookups
 * by path or id stay constant-time and the collector linear in the size of
 * the evidence.
 */
#ifndef HVTPM_STRMAP_H
#define HVTPM_STRMAP_H

#include <stddef.h>
#include <stdint.h>

typedef struct {
	char *key;
	size_t val;
} strmap_slot;

typedef struct {
	strmap_slot *v;
	size_t cap, n;      /* cap is 0 or a power of two */
} strmap;

#define STRMAP_INIT { NULL, 0, 0 }

/* The value stored for key, or SIZE_MAX. */
size_t strmap_get(const strmap *m, const char *key);
/* Takes ownership of key; a key already present keeps its first value (key freed). */
void strmap_put(strmap *m, char *key, size_t val);
/* Takes ownership of key; the value is val whether key was present or not. */
void strmap_set(strmap *m, char *key, size_t val);
void strmap_free(strmap *m);

#endif
