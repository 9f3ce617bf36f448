/* segvec.c - an array in segments whose consumed front is freed (segvec.h). */
#include "util/segvec.h"

#include <stdlib.h>
#include <string.h>

#include "util/xalloc.h"

void *segvec_push(segvec *v)
{
	size_t k = v->n / SEGVEC_PER, at = v->n % SEGVEC_PER;
	if (k == v->nseg) {
		v->seg = xgrow(v->seg, &v->capseg, v->nseg + 1, sizeof *v->seg);
		v->seg[v->nseg++] = xcalloc(SEGVEC_PER, v->elem);
	}
	v->n++;
	return (char *)v->seg[k] + at * v->elem;
}

void *segvec_at(const segvec *v, size_t i)
{
	size_t k = i / SEGVEC_PER;
	if (i >= v->n || k < v->dropped)
		abort(); /* a programming error, never evidence */
	return (char *)v->seg[k] + (i % SEGVEC_PER) * v->elem;
}

void segvec_drop_front(segvec *v, size_t upto)
{
	size_t whole = (upto > v->n ? v->n : upto) / SEGVEC_PER;
	for (; v->dropped < whole; v->dropped++) {
		free(v->seg[v->dropped]);
		v->seg[v->dropped] = NULL;
	}
}

void segvec_free(segvec *v)
{
	for (size_t k = v->dropped; k < v->nseg; k++)
		free(v->seg[k]);
	free(v->seg);
	size_t elem = v->elem;
	memset(v, 0, sizeof *v);
	v->elem = elem;
}
