/*
 * pfx_cache.h - a PFX file is opened once per content: a byte-identical
 * copy (the same SHA-256) takes the first copy's result (status, reason,
 * certificates, keys) without deriving a key again.  Safe to share between
 * threads: a copy met while its twin is being opened waits for it.
 */
#ifndef HVTPM_PFX_CACHE_H
#define HVTPM_PFX_CACHE_H

#include <stdbool.h>

#include "model/facts.h"

typedef struct pfx_cache pfx_cache;

pfx_cache *pfx_cache_new(void);
void pfx_cache_free(pfx_cache *c);

/*
 * Looks the content up.  Returns true and fills out (what, status, error,
 * certificates) when a copy was already opened; otherwise the caller owns
 * the key and must call pfx_cache_put() with its result (even a failed
 * one), so that waiting copies go on.
 */
bool pfx_cache_take(pfx_cache *c, const char sha256[65], file_facts *out);
void pfx_cache_put(pfx_cache *c, const char sha256[65], const file_facts *result);

#endif
