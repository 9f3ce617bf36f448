/* eval_windows.c - verdicts judged on helper threads, handed on in order. */
#include "analysis/eval_windows.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "util/xalloc.h"

#define EVAL_MAX_THREADS 16

typedef struct {
	const evidence *e;
	const verdict_opts *o;
	const verdict_context *c;
	time_t generated_at;
	eval_prepare_fn prepare;
	void *ctx;
	size_t window, nwin;
	size_t depth;       /* results held at once: a ring of slots */
	dx_result *res;
	void **made;        /* what prepare made of each slot's window */
	bool *ready;
	size_t next;        /* the next window to judge */
	size_t consumed;    /* windows handed to the caller */
	pthread_mutex_t mu;
	pthread_cond_t cv;
} eval_run;

/* The evidence set seen through window k: everything shared, the VMs cut. */
static evidence view_of(const eval_run *r, size_t k)
{
	evidence v = *r->e;
	size_t start = k * r->window;
	v.vms = r->e->vms + start;
	v.nvms = r->e->nvms - start < r->window ? r->e->nvms - start : r->window;
	return v;
}

static void *judge(const eval_run *r, size_t k, dx_result *out)
{
	evidence v = view_of(r, k);
	dx_evaluate_in(&v, r->o, r->c, r->generated_at, out);
	return r->prepare ? r->prepare(r->ctx, &v, k * r->window, out) : NULL;
}

static void *helper(void *arg)
{
	eval_run *r = arg;
	pthread_mutex_lock(&r->mu);
	for (;;) {
		/* a slot is free once the window depth before it was handed on */
		while (r->next < r->nwin && r->next >= r->consumed + r->depth)
			pthread_cond_wait(&r->cv, &r->mu);
		if (r->next >= r->nwin)
			break;
		size_t k = r->next++;
		pthread_mutex_unlock(&r->mu);
		dx_result out;
		void *made = judge(r, k, &out);
		pthread_mutex_lock(&r->mu);
		r->res[k % r->depth] = out;
		r->made[k % r->depth] = made;
		r->ready[k % r->depth] = true;
		pthread_cond_broadcast(&r->cv);
	}
	pthread_mutex_unlock(&r->mu);
	return NULL;
}

static void run_serial(const eval_run *r, eval_window_fn fn)
{
	for (size_t k = 0; k < r->nwin; k++) {
		dx_result out;
		void *made = judge(r, k, &out);
		evidence v = view_of(r, k);
		fn(r->ctx, &v, k * r->window, &out, made);
		dx_result_free(&out);
	}
}

/* On the caller's thread: waits for window k, hands it to fn, frees its slot. */
static void hand_on(eval_run *r, size_t k, eval_window_fn fn)
{
	size_t s = k % r->depth;
	pthread_mutex_lock(&r->mu);
	while (!r->ready[s])
		pthread_cond_wait(&r->cv, &r->mu);
	pthread_mutex_unlock(&r->mu);
	evidence v = view_of(r, k);
	fn(r->ctx, &v, k * r->window, &r->res[s], r->made[s]);
	dx_result_free(&r->res[s]);
	pthread_mutex_lock(&r->mu);
	r->ready[s] = false;
	r->consumed++;
	pthread_cond_broadcast(&r->cv);
	pthread_mutex_unlock(&r->mu);
}

void eval_windows(const evidence *e, const verdict_opts *o, const verdict_context *c,
		  time_t generated_at, size_t window, unsigned threads, eval_prepare_fn prepare,
		  eval_window_fn fn, void *ctx)
{
	eval_run r;
	memset(&r, 0, sizeof r);
	r.e = e;
	r.o = o;
	r.c = c;
	r.generated_at = generated_at;
	r.prepare = prepare;
	r.ctx = ctx;
	r.window = window ? window : 1;
	r.nwin = (e->nvms + r.window - 1) / r.window;
	if (threads > EVAL_MAX_THREADS)
		threads = EVAL_MAX_THREADS;
	if (threads < 2 || r.nwin < 2) {
		run_serial(&r, fn);
		return;
	}
	r.depth = threads + 1;
	r.res = xcalloc(r.depth, sizeof *r.res);
	r.made = xcalloc(r.depth, sizeof *r.made);
	r.ready = xcalloc(r.depth, sizeof *r.ready);
	pthread_mutex_init(&r.mu, NULL);
	pthread_cond_init(&r.cv, NULL);
	pthread_t th[EVAL_MAX_THREADS];
	unsigned started = 0;
	for (; started < threads; started++)
		if (pthread_create(&th[started], NULL, helper, &r) != 0)
			break;
	if (!started) /* no thread to be had: the caller's does it all */
		run_serial(&r, fn);
	for (size_t k = 0; started && k < r.nwin; k++)
		hand_on(&r, k, fn);
	for (unsigned i = 0; i < started; i++)
		pthread_join(th[i], NULL);
	pthread_mutex_destroy(&r.mu);
	pthread_cond_destroy(&r.cv);
	free(r.res);
	free(r.made);
	free(r.ready);
}
