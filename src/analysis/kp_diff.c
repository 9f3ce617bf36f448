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

static const ev_wrapping *owner_of(const ev_kp *k)
{
	for (size_t i = 0; k->has_owner && i < k->nw; i++)
		if (k->w[i].is_owner && k->w[i].id == k->owner_id)
			return &k->w[i];
	return NULL;
}

/* A settled key protector as one side (its owner key in *owner, freed by the caller). */
static kp_side ev_side(const ev_kp *k, char **owner)
{
	kp_side s = { xcalloc(k->nw ? k->nw : 1, sizeof(char *)), k->nw, NULL,
		      (const char *const *)k->algorithms, k->nalgorithms,
		      k->has_max_offline_unwraps, k->max_offline_unwraps };
	for (size_t i = 0; i < k->nw; i++)
		s.keys[i] = pair_key(&k->w[i]);
	const ev_wrapping *w = owner_of(k);
	*owner = w ? pair_key(w) : NULL;
	s.owner_key = *owner;
	return s;
}

void ev_kp_compare(const ev_kp *a, const ev_kp *b, kp_diff *out)
{
	char *oa, *ob;
	kp_side sa = ev_side(a, &oa), sb = ev_side(b, &ob);
	kp_diff_sides(&sa, &sb, out);
	free(oa);
	free(ob);
}
