/*
 * hashidx.h - hash -> indexes, for maps whose keys live elsewhere (the path
 * of an evidence file, say): the caller hashes its key, walks the indexes
 * stored under that hash (in the order they were added) and checks each
 * against its own copy of the key.  16 bytes a slot, no key copies.
 */
#ifndef HVTPM_HASHIDX_H
#define HVTPM_HASHIDX_H

#include <stddef.h>
#include <stdint.h>

typedef struct {
	uint64_t h;
	size_t val; /* SIZE_MAX: empty */
} hashidx_slot;

typedef struct {
	hashidx_slot *v;
	size_t cap, n; /* cap is 0 or a power of two */
} hashidx;

#define HASHIDX_INIT { NULL, 0, 0 }

/* FNV-1a over a NUL-terminated string. */
uint64_t hashidx_str(const char *s);
/* Adds val under h (several values may share a hash). */
void hashidx_add(hashidx *m, uint64_t h, size_t val);
/*
 * The next value stored under h, or SIZE_MAX when there is none left;
 * *pos starts at 0 and is advanced.  Values come in the order added.
 */
size_t hashidx_next(const hashidx *m, uint64_t h, size_t *pos);
void hashidx_free(hashidx *m);

#endif
