/* export_facts.c - the compact copy of an export manifest the evidence keeps. */
#include "model/export_facts.h"

#include <stdlib.h>
#include <string.h>

#include "util/xalloc.h"

export_facts *export_facts_from(const export_manifest *m)
{
	export_facts *x = xcalloc(1, sizeof *x);
	x->host = m->host ? xstrdup(m->host) : NULL;
	x->created = m->created_at;
	x->v = xcalloc(m->n ? m->n : 1, sizeof *x->v);
	for (size_t i = 0; i < m->n; i++) {
		const export_entry *s = &m->entries[i];
		export_fact *d = &x->v[x->n++];
		d->file = xstrdup(s->file);
		memcpy(d->thumbprint, s->thumbprint, sizeof d->thumbprint);
		d->role = s->role;
		d->host = s->host ? xstrdup(s->host) : NULL;
		d->not_before = s->not_before;
		d->not_after = s->not_after;
		memcpy(d->sha256, s->sha256, sizeof d->sha256);
		d->has_private_key = s->has_private_key;
	}
	return x;
}

void export_facts_free(export_facts *x)
{
	if (!x)
		return;
	for (size_t i = 0; i < x->n; i++) {
		free(x->v[i].file);
		free(x->v[i].host);
	}
	free(x->v);
	free(x->host);
	memset(x, 0, sizeof *x);
}
