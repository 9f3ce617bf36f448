/* xalloc.c - allocation that cannot return NULL. */
#include "util/xalloc.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/exitcode.h"

_Noreturn void xalloc_die(void)
{
	fputs("hvtpm: out of memory\n", stderr);
	exit(HV_EXIT_INTERNAL);
}

void *xmalloc(size_t n)
{
	void *p = malloc(n ? n : 1);
	if (!p)
		xalloc_die();
	return p;
}

void *xcalloc(size_t n, size_t size)
{
	void *p = calloc(n ? n : 1, size ? size : 1);
	if (!p)
		xalloc_die();
	return p;
}

void *xrealloc(void *p, size_t n)
{
	void *q = realloc(p, n ? n : 1);
	if (!q)
		xalloc_die();
	return q;
}

void *xgrow(void *p, size_t *cap, size_t need, size_t elem)
{
	if (need <= *cap)
		return p;
	/* by half again, not double: large arrays (a file per piece of evidence) waste less */
	size_t c = *cap ? *cap : 8;
	while (c < need) {
		if (c > SIZE_MAX / 3 * 2)
			xalloc_die();
		c += c / 2 > 8 ? c / 2 : 8; /* a cap of 1 still grows */
	}
	if (elem && c > SIZE_MAX / elem)
		xalloc_die();
	p = xrealloc(p, c * elem);
	*cap = c;
	return p;
}

char *xstrdup(const char *s)
{
	return xmemdup(s, strlen(s) + 1);
}

char *xstrndup(const char *s, size_t n)
{
	size_t l = strnlen(s, n);
	char *d = xmalloc(l + 1);
	memcpy(d, s, l);
	d[l] = '\0';
	return d;
}

void *xmemdup(const void *p, size_t n)
{
	void *d = xmalloc(n);
	if (n)
		memcpy(d, p, n);
	return d;
}
