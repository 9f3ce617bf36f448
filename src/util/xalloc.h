/*
 * xalloc.h - allocation that cannot return NULL.
 *
 * Sizes taken from evidence are bounded by the readers before they reach
 * these functions, so a failure here is a genuine out-of-memory: the tool
 * prints one line and exits with the internal-error code (5).
 */
#ifndef HVTPM_XALLOC_H
#define HVTPM_XALLOC_H

#include <stddef.h>

void *xmalloc(size_t n);
void *xcalloc(size_t n, size_t size);
void *xrealloc(void *p, size_t n);
/* Grow an array of elem-sized items so that it holds at least need items. */
void *xgrow(void *p, size_t *cap, size_t need, size_t elem);
char *xstrdup(const char *s);
char *xstrndup(const char *s, size_t n);
void *xmemdup(const void *p, size_t n);
_Noreturn void xalloc_die(void);

#endif
