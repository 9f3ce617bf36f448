/* kp_diff.c - current vs last-known-good key protector, on settled evidence. */
#include "analysis/kp_diff.h"

#include <stdlib.h>
#include <string.h>

#include "util/strbuf.h"
#include "util/xalloc.h"

/* "SIGNING/ENCRYPTION" thumbprints of a wrapping ("" for a missing certificate). */
static char *pair_key(const ev_wrapping *w)
{
	strbuf sb = STRBUF_INIT;
	sb_addf(&sb, "%s/%s", w->sig ? w->sig->thumbprint : "", w->enc ? w->enc->thumbprint : "");
	return sb_detach(&sb);
}

static int str_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Sorted, de-duplicated pair keys of every wrapping. */
static char **pair_keys(const ev_kp *k, size_t *n)
{
	char **v = xcalloc(k->nw ? k->nw : 1, sizeof *v);
	size_t m = 0;
	for (size_t i = 0; i < k->nw; i++)
		v[i] = pair_key(&k->w[i]);
	if (k->nw > 1)
		qsort(v, k->nw, sizeof *v, str_cmp);
	for (size_t i = 0; i < k->nw; i++) {
		if (m > 0 && strcmp(v[m - 1], v[i]) == 0)
			free(v[i]);
		else
			v[m++] = v[i];
	}
	*n = m;
	return v;
}

static kp_pair pair_from_key(const char *key)
{
	const char *slash = strchr(key, '/');
	kp_pair p = { xstrndup(key, (size_t)(slash - key)), xstrdup(slash + 1) };
	return p;
}

static const ev_wrapping *owner_of(const ev_kp *k)
{
	for (size_t i = 0; k->has_owner && i < k->nw; i++)
		if (k->w[i].is_owner && k->w[i].id == k->owner_id)
			return &k->w[i];
	return NULL;
}

static kp_pair owner_pair(const ev_kp *k)
{
	const ev_wrapping *w = owner_of(k);
	if (!w) {
		kp_pair p = { xstrdup(""), xstrdup("") };
		return p;
	}
	char *key = pair_key(w);
	kp_pair p = pair_from_key(key);
	free(key);
	return p;
}

static bool has_alg(const ev_kp *k, const char *uri)
{
	for (size_t i = 0; i < k->nalgorithms; i++)
		if (strcmp(k->algorithms[i], uri) == 0)
			return true;
	return false;
}

static char **algs_only(const ev_kp *a, const ev_kp *b, size_t *n)
{
	char **r = xcalloc(a->nalgorithms ? a->nalgorithms : 1, sizeof *r);
	*n = 0;
	for (size_t i = 0; i < a->nalgorithms; i++)
		if (!has_alg(b, a->algorithms[i]))
			r[(*n)++] = xstrdup(a->algorithms[i]);
	return r;
}

void ev_kp_compare(const ev_kp *a, const ev_kp *b, kp_diff *out)
{
	size_t na, nb, i = 0, j = 0;
	char **ka = pair_keys(a, &na), **kb = pair_keys(b, &nb);
	memset(out, 0, sizeof *out);
	out->only_a = xcalloc(na ? na : 1, sizeof(kp_pair));
	out->only_b = xcalloc(nb ? nb : 1, sizeof(kp_pair));
	while (i < na || j < nb) {
		int cmp = i == na ? 1 : j == nb ? -1 : strcmp(ka[i], kb[j]);
		if (cmp == 0) {
			out->n_common++;
			i++;
			j++;
		} else if (cmp < 0) {
			out->only_a[out->n_only_a++] = pair_from_key(ka[i++]);
		} else {
			out->only_b[out->n_only_b++] = pair_from_key(kb[j++]);
		}
	}
	for (size_t k = 0; k < na; k++)
		free(ka[k]);
	for (size_t k = 0; k < nb; k++)
		free(kb[k]);
	free(ka);
	free(kb);
	out->owner_a = owner_pair(a);
	out->owner_b = owner_pair(b);
	out->owner_differs = strcmp(out->owner_a.signing, out->owner_b.signing) != 0 ||
			     strcmp(out->owner_a.encryption, out->owner_b.encryption) != 0 ||
			     (owner_of(a) == NULL) != (owner_of(b) == NULL);
	out->max_offline_differs = a->has_max_offline_unwraps != b->has_max_offline_unwraps ||
				   a->max_offline_unwraps != b->max_offline_unwraps;
	out->alg_only_a = algs_only(a, b, &out->n_alg_only_a);
	out->alg_only_b = algs_only(b, a, &out->n_alg_only_b);
	out->same = !out->owner_differs && !out->max_offline_differs && out->n_only_a == 0 &&
		    out->n_only_b == 0 && out->n_alg_only_a == 0 && out->n_alg_only_b == 0;
}
