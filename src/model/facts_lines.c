/* facts_lines.c - a facts file's lines split and parsed on a helper thread (facts_lines.h). */
#include "model/facts_lines.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "util/lines.h"
#include "util/strbuf.h"
#include "util/xalloc.h"

/* Lines in a row; text holds each line followed by '\0' (offsets, since it grows). */
typedef struct batch {
	strbuf text;
	size_t *off;
	facts_line *v;
	size_t n, cap;
	bool last;               /* no line follows this batch */
	struct batch *next_spent;
} batch;

struct facts_lines {
	hv_source *s;
	size_t max;
	pthread_t thread;
	pthread_mutex_t mu;
	pthread_cond_t moved;    /* a batch queued or taken, or stopping */
	batch *queue[FACTS_LINES_QUEUED];
	size_t head, count;
	bool stop;               /* the loader is done: the helper ends early */
	batch *spent;            /* batches the loader is done with: the helper frees
				    them, so that memory goes back to the arena it came from */
	/* the helper's own, until it ends: */
	batch *cur;              /* being filled */
	batch *pool;             /* spent batches, emptied, to be filled again: freeing a
				    batch's text made malloc consolidate its arena each time */
	strbuf part;             /* a line cut by a window */
	bool over;               /* a line over the cap was met */
	hv_err rc;               /* of src_stream */
	hv_findings found;       /* its findings */
	/* the loader's: */
	batch *taking;           /* the batch lines are taken from */
	size_t next;
	bool done;
};

static batch *batch_new(facts_lines *fl)
{
	batch *b = fl->pool;
	if (!b)
		return xcalloc(1, sizeof(batch));
	fl->pool = b->next_spent;
	b->next_spent = NULL;
	return b;
}

/* Empties b (its objects freed, its room kept) into the helper's pool. */
static void batch_recycle(facts_lines *fl, batch *b)
{
	for (size_t i = 0; i < b->n; i++)
		json_object_put(b->v[i].obj);
	b->n = 0;
	b->last = false;
	if (b->text.cap > 2 * FACTS_LINES_BATCH_BYTES)
		sb_free(&b->text); /* the room of one long line is not kept */
	else
		sb_reset(&b->text);
	b->next_spent = fl->pool;
	fl->pool = b;
}

static void batch_free(batch *b)
{
	if (!b)
		return;
	for (size_t i = 0; i < b->n; i++)
		json_object_put(b->v[i].obj);
	sb_free(&b->text);
	free(b->off);
	free(b->v);
	free(b);
}

static void batch_add(batch *b, const char *s, size_t n, facts_line_status st)
{
	b->v = xgrow(b->v, &b->cap, b->n + 1, sizeof *b->v);
	b->off = xrealloc(b->off, b->cap * sizeof *b->off);
	b->off[b->n] = b->text.len;
	b->v[b->n] = (facts_line){ NULL, n, NULL, st };
	if (st != FL_TOO_LONG) {
		sb_add(&b->text, s, n);
		sb_addc(&b->text, '\0');
	}
	b->n++;
}

static void free_list(batch *b)
{
	while (b) {
		batch *next = b->next_spent;
		batch_free(b);
		b = next;
	}
}

/* Parses every line of b (on the helper) and points the lines at their text. */
static void batch_parse(batch *b, json_tokener *tok)
{
	for (size_t i = 0; i < b->n; i++) {
		facts_line *l = &b->v[i];
		if (l->status == FL_TOO_LONG)
			continue;
		l->text = b->text.buf + b->off[i];
		if (memchr(l->text, '\0', l->len)) {
			l->status = FL_NUL;
			continue;
		}
		json_tokener_reset(tok);
		json_object *o = json_tokener_parse_ex(tok, l->text, (int)l->len);
		if (!o || json_tokener_get_parse_end(tok) != l->len ||
		    !json_object_is_type(o, json_type_object)) {
			json_object_put(o);
			l->status = FL_NOT_OBJECT;
			continue;
		}
		l->obj = o;
	}
}

/* Hands the batch being filled to the loader; false when the loader stopped. */
static bool push(facts_lines *fl, json_tokener *tok, bool last)
{
	batch *b = fl->cur;
	fl->cur = NULL;
	b->last = last;
	batch_parse(b, tok);
	pthread_mutex_lock(&fl->mu);
	while (fl->count == FACTS_LINES_QUEUED && !fl->stop)
		pthread_cond_wait(&fl->moved, &fl->mu);
	bool stopped = fl->stop;
	batch *spent = fl->spent;
	fl->spent = NULL;
	if (!stopped) {
		fl->queue[(fl->head + fl->count) % FACTS_LINES_QUEUED] = b;
		fl->count++;
		pthread_cond_broadcast(&fl->moved);
	}
	pthread_mutex_unlock(&fl->mu);
	while (spent) {
		batch *next = spent->next_spent;
		batch_recycle(fl, spent);
		spent = next;
	}
	if (stopped)
		batch_free(b);
	return !stopped;
}

typedef struct {
	facts_lines *fl;
	json_tokener *tok;
} helper_ctx;

static bool add_line(void *ctx, const char *s, size_t n)
{
	helper_ctx *h = ctx;
	facts_lines *fl = h->fl;
	if (!fl->cur)
		fl->cur = batch_new(fl);
	batch_add(fl->cur, s, n, FL_OK);
	if (fl->cur->n < FACTS_LINES_BATCH && fl->cur->text.len < FACTS_LINES_BATCH_BYTES)
		return true;
	return push(fl, h->tok, false);
}

/* Splits a window into lines, as facts_load's serial reading does (lines_feed). */
static bool on_window(void *ctx, span_t w, uint64_t offset, size_t body)
{
	(void)offset;
	helper_ctx *h = ctx;
	lines_status st = lines_feed(&h->fl->part, h->fl->max, (const char *)w.data, body,
				     add_line, h);
	if (st == LINES_TOO_LONG)
		h->fl->over = true;
	return st == LINES_MORE;
}

static void *helper(void *arg)
{
	facts_lines *fl = arg;
	helper_ctx h = { fl, json_tokener_new_ex(32) };
	if (!h.tok)
		xalloc_die();
	fl->rc = src_stream(fl->s, 0, on_window, &h, &fl->found);
	if (!fl->cur)
		fl->cur = batch_new(fl);
	if (fl->over)
		batch_add(fl->cur, NULL, 0, FL_TOO_LONG);
	else if (fl->rc == HV_OK && fl->part.len)
		batch_add(fl->cur, fl->part.buf, fl->part.len, FL_OK); /* no '\n' after the last */
	push(fl, h.tok, true);
	json_tokener_free(h.tok);
	sb_free(&fl->part);
	free_list(fl->pool);
	fl->pool = NULL;
	return NULL;
}

facts_lines *facts_lines_start(hv_source *s, size_t max)
{
	facts_lines *fl = xcalloc(1, sizeof *fl);
	fl->s = s;
	fl->max = max;
	pthread_mutex_init(&fl->mu, NULL);
	pthread_cond_init(&fl->moved, NULL);
	if (pthread_create(&fl->thread, NULL, helper, fl) != 0) {
		pthread_cond_destroy(&fl->moved);
		pthread_mutex_destroy(&fl->mu);
		free(fl);
		return NULL;
	}
	return fl;
}

facts_line *facts_lines_next(facts_lines *fl)
{
	while (!fl->done) {
		if (fl->taking && fl->next < fl->taking->n)
			return &fl->taking->v[fl->next++];
		if (fl->taking && fl->taking->last) {
			fl->done = true;
			break;
		}
		pthread_mutex_lock(&fl->mu);
		if (fl->taking) { /* back to the helper, to be freed there */
			fl->taking->next_spent = fl->spent;
			fl->spent = fl->taking;
		}
		while (fl->count == 0)
			pthread_cond_wait(&fl->moved, &fl->mu);
		fl->taking = fl->queue[fl->head];
		fl->head = (fl->head + 1) % FACTS_LINES_QUEUED;
		fl->count--;
		pthread_cond_broadcast(&fl->moved);
		pthread_mutex_unlock(&fl->mu);
		fl->next = 0;
	}
	return NULL;
}

hv_err facts_lines_finish(facts_lines *fl, hv_findings *f)
{
	pthread_mutex_lock(&fl->mu);
	fl->stop = true;
	pthread_cond_broadcast(&fl->moved);
	pthread_mutex_unlock(&fl->mu);
	pthread_join(fl->thread, NULL);
	free_list(fl->spent);
	batch_free(fl->taking);
	for (size_t i = 0; i < fl->count; i++)
		batch_free(fl->queue[(fl->head + i) % FACTS_LINES_QUEUED]);
	hv_err rc = fl->rc;
	findings_move(f, &fl->found);
	findings_free(&fl->found);
	pthread_cond_destroy(&fl->moved);
	pthread_mutex_destroy(&fl->mu);
	free(fl);
	return rc;
}
