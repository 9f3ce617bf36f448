/*
 * segvec.h - an array in segments, whose front can be given back while
 * the rest is still in use.
 *
 * For records that are made in one long pass and consumed in order by the
 * next (the collector's configuration records, tied to VMs one after the
 * other): each segment is one allocation of SEGVEC_PER elements, large
 * enough that malloc maps it on its own, so a segment freed once consumed
 * goes back to the system at once instead of staying until the whole
 * array is freed.  Elements never move: a pointer to one stays valid until
 * its segment is dropped.
 */
#ifndef HVTPM_SEGVEC_H
#define HVTPM_SEGVEC_H

#include <stddef.h>

#define SEGVEC_PER 2048

typedef struct {
	void **seg;         /* segment k holds elements [k * SEGVEC_PER, (k + 1) * SEGVEC_PER) */
	size_t nseg, capseg;
	size_t n;           /* elements pushed */
	size_t elem;        /* bytes per element */
	size_t dropped;     /* segments freed from the front */
} segvec;

#define SEGVEC_INIT(type) { NULL, 0, 0, 0, sizeof(type), 0 }

/* A new zeroed element at the end. */
void *segvec_push(segvec *v);
/* Element i (i < v->n, and not in a dropped segment). */
void *segvec_at(const segvec *v, size_t i);
/* Frees every segment whose elements all lie before element upto. */
void segvec_drop_front(segvec *v, size_t upto);
/* Frees everything; v can be pushed to again. */
void segvec_free(segvec *v);

#endif
