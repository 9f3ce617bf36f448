/* pfx_cache.c - PFX results by content hash, shared between threads. */
#include "model/pfx_cache.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "util/strmap.h"
#include "util/xalloc.h"

typedef struct {
	bool done;
	char *path;          /* the copy that was opened */
	char *what;
	ev_class cls;
	hv_err status;
	char *error;
	hv_cert *certs;      /* DER and facts only */
	bool *has_key;
	char **detail;
	size_t ncerts;
} pfx_entry;

struct pfx_cache {
	pthread_mutex_t mu;
	pthread_cond_t cv;
	strmap index;        /* sha256 -> entry index */
	pfx_entry *v;
	size_t n, cap;
};

pfx_cache *pfx_cache_new(void)
{
	pfx_cache *c = xcalloc(1, sizeof *c);
	pthread_mutex_init(&c->mu, NULL);
	pthread_cond_init(&c->cv, NULL);
	return c;
}

static void entry_free(pfx_entry *e)
{
	free(e->path);
	free(e->what);
	free(e->error);
	for (size_t i = 0; i < e->ncerts; i++) {
		cert_free(&e->certs[i]);
		free(e->detail[i]);
	}
	free(e->certs);
	free(e->has_key);
	free(e->detail);
}

void pfx_cache_free(pfx_cache *c)
{
	if (!c)
		return;
	for (size_t i = 0; i < c->n; i++)
		entry_free(&c->v[i]);
	free(c->v);
	strmap_free(&c->index);
	pthread_mutex_destroy(&c->mu);
	pthread_cond_destroy(&c->cv);
	free(c);
}

static void copy_into(const pfx_entry *e, file_facts *out)
{
	facts_set(out, EV_PFX, e->cls, "%s (identical to %s, opened once)",
		  e->what ? e->what : "PFX", e->path);
	if (e->status != HV_OK)
		facts_fail(out, e->cls, e->status, "%s", e->error ? e->error : "");
	for (size_t i = 0; i < e->ncerts; i++) {
		hv_cert copy;
		if (e->certs[i].der && cert_from_der(e->certs[i].der, e->certs[i].der_len, &copy, NULL, HV_NO_OFFSET,
				  NULL) == HV_OK)
			facts_add_cert(out, &copy, e->has_key[i], e->detail[i]);
	}
}

bool pfx_cache_take(pfx_cache *c, const char sha256[65], file_facts *out)
{
	pthread_mutex_lock(&c->mu);
	size_t i = strmap_get(&c->index, sha256);
	if (i == SIZE_MAX) { /* the caller opens it */
		c->v = xgrow(c->v, &c->cap, c->n + 1, sizeof *c->v);
		memset(&c->v[c->n], 0, sizeof c->v[c->n]);
		strmap_put(&c->index, xstrdup(sha256), c->n++);
		pthread_mutex_unlock(&c->mu);
		return false;
	}
	while (!c->v[i].done)
		pthread_cond_wait(&c->cv, &c->mu);
	copy_into(&c->v[i], out);
	pthread_mutex_unlock(&c->mu);
	return true;
}

void pfx_cache_put(pfx_cache *c, const char sha256[65], const file_facts *r)
{
	pthread_mutex_lock(&c->mu);
	size_t i = strmap_get(&c->index, sha256);
	if (i != SIZE_MAX && !c->v[i].done) {
		pfx_entry *e = &c->v[i];
		e->path = xstrdup(r->path);
		e->what = r->what ? xstrdup(r->what) : NULL;
		e->cls = r->cls;
		e->status = r->status;
		e->error = r->error ? xstrdup(r->error) : NULL;
		e->ncerts = r->ncerts;
		e->certs = xcalloc(r->ncerts + 1, sizeof *e->certs);
		e->has_key = xcalloc(r->ncerts + 1, sizeof *e->has_key);
		e->detail = xcalloc(r->ncerts + 1, sizeof *e->detail);
		for (size_t k = 0; k < r->ncerts; k++) {
			const hv_cert *src = &r->certs[k].cert;
			if (cert_from_der(src->der, src->der_len, &e->certs[k], NULL, HV_NO_OFFSET,
					  NULL) == HV_OK)
				cert_drop_parsed(&e->certs[k]);
			e->has_key[k] = r->certs[k].has_private_key;
			e->detail[k] = r->certs[k].detail ? xstrdup(r->certs[k].detail) : NULL;
		}
		e->done = true;
		pthread_cond_broadcast(&c->cv);
	}
	pthread_mutex_unlock(&c->mu);
}
