/*
 * manifest_check.c - each export manifest of the evidence against the files
 * beside it.  The comparison of one entry with one file is the format's own
 * (export_manifest_check); here the files are found in the evidence and
 * described as that check wants them: SHA-256, whether the PFX opened, and
 * which certificates it holds with their private keys.
 */
#include "analysis/manifest_check.h"

#include <ctype.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "util/exitcode.h"
#include "util/strbuf.h"
#include "util/strmap.h"
#include "util/xalloc.h"

/*
 * Bytes of the file's path that name its folder, the separator included
 * (see the header): inside an archive never less than "archive!" (known from
 * where the file was read, not from a '!' in its name).
 */
static size_t folder_len(const ev_file *f)
{
	const char *from = f->path + f->member_at;
	const char *slash = strrchr(from, '/');
	const char *b = slash ? slash + 1 : from;
	return (size_t)(b - f->path);
}

/* The lookup key of a file: its folder as it is, its name in lower case (ASCII). */
static char *key_of(const char *folder, size_t flen, const char *name)
{
	strbuf sb = STRBUF_INIT;
	sb_add(&sb, folder, flen);
	for (const char *p = name; *p; p++)
		sb_addc(&sb, (char)tolower((unsigned char)*p));
	return sb_detach(&sb);
}

static bool is_pfx_name(const char *name)
{
	size_t l = strlen(name);
	return l > 4 && strcasecmp(name + l - 4, ".pfx") == 0;
}

/* ---- what the check needs to know of a file ------------------------------------------ */

typedef struct {
	strmap paths;             /* key_of(file) -> first evidence.files index */
	size_t *first_holding;    /* per file: its first holding, SIZE_MAX: none */
	size_t *next_holding;     /* per holding: the file's next one */
} file_index;

static void index_build(const evidence *e, file_index *ix)
{
	memset(ix, 0, sizeof *ix);
	for (size_t i = 0; i < e->nfiles; i++) {
		const char *p = e->files[i].path;
		size_t fl = folder_len(&e->files[i]);
		strmap_put(&ix->paths, key_of(p, fl, p + fl), i);
	}
	ix->first_holding = xcalloc(e->nfiles + 1, sizeof *ix->first_holding);
	ix->next_holding = xcalloc(e->nholdings + 1, sizeof *ix->next_holding);
	for (size_t i = 0; i < e->nfiles; i++)
		ix->first_holding[i] = SIZE_MAX;
	for (size_t h = e->nholdings; h-- > 0;) {
		size_t f = e->holdings[h].file;
		if (f >= e->nfiles)
			continue;
		ix->next_holding[h] = ix->first_holding[f];
		ix->first_holding[f] = h;
	}
}

static void index_free(file_index *ix)
{
	strmap_free(&ix->paths);
	free(ix->first_holding);
	free(ix->next_holding);
}

/*
 * Whether the file opened.  A PFX no password opened is "not tried" when no
 * password was given, and does not open when some were; anything that is
 * not a readable PFX does not open; a file left out by policy was not tried.
 */
static export_open_state open_state(const ev_file *f, bool passwords_given)
{
	if (f->cls == EVC_SKIPPED)
		return EXPORT_OPEN_UNKNOWN;
	if (f->kind != EV_PFX || f->cls != EVC_USED)
		return EXPORT_OPEN_FAILED;
	if (f->status == HV_OK)
		return EXPORT_OPEN_OK;
	if (f->status == HV_ERR_PASSWORD && !passwords_given)
		return EXPORT_OPEN_UNKNOWN;
	return EXPORT_OPEN_FAILED;
}

/* Fills ff for evidence file i; thumbs (owned by the caller) gets the key thumbprints. */
static void describe(const evidence *e, const file_index *ix, size_t i, bool passwords_given,
		     const char *name, export_found_file *ff, const char ***thumbs)
{
	const ev_file *f = &e->files[i];
	memset(ff, 0, sizeof *ff);
	ff->name = name;
	ff->sha256 = f->sha256[0] && !f->sha256_metadata ? f->sha256 : NULL;
	ff->open = open_state(f, passwords_given);
	size_t n = 0;
	for (size_t h = ix->first_holding[i]; h != SIZE_MAX; h = ix->next_holding[h])
		n += e->holdings[h].has_private_key;
	*thumbs = xcalloc(n + 1, sizeof **thumbs);
	for (size_t h = ix->first_holding[i]; h != SIZE_MAX; h = ix->next_holding[h])
		if (e->holdings[h].has_private_key)
			(*thumbs)[ff->nkey_thumbprints++] = e->holdings[h].cert.thumbprint;
	ff->key_thumbprints = *thumbs;
}

/* ---- one manifest -------------------------------------------------------------------- */

static void check_one(const evidence *e, const file_index *ix, size_t file, bool passwords_given,
		      mc_result *r)
{
	const ev_file *mf = &e->files[file];
	const export_facts *x = ev_file_manifest(mf);
	size_t flen = folder_len(mf);
	size_t cap = x->n ? x->n : 1;
	export_manifest tmp;
	memset(&tmp, 0, sizeof tmp);
	tmp.entries = xcalloc(cap, sizeof *tmp.entries);
	tmp.n = x->n;
	export_found_file *found = xcalloc(cap, sizeof *found);
	const char ***thumbs = xcalloc(cap, sizeof *thumbs);
	size_t *at = xcalloc(cap, sizeof *at); /* evidence index of found[k] */
	size_t nfound = 0;
	mc_manifest *m = &r->m[r->nm++];
	memset(m, 0, sizeof *m);
	m->file = file;
	m->first = r->n;
	m->n = x->n;
	r->v = xrealloc(r->v, (r->n + cap) * sizeof *r->v);
	for (size_t k = 0; k < x->n; k++) {
		const export_fact *ef = &x->v[k];
		export_entry *te = &tmp.entries[k];
		te->file = ef->file; /* borrowed: tmp.entries is freed alone */
		memcpy(te->thumbprint, ef->thumbprint, sizeof te->thumbprint);
		memcpy(te->sha256, ef->sha256, sizeof te->sha256);
		te->role = ef->role;
		te->has_private_key = ef->has_private_key;
		char *key = key_of(mf->path, flen, ef->file);
		size_t hit = strmap_get(&ix->paths, key);
		free(key);
		mc_entry *c = &r->v[r->n + k];
		memset(c, 0, sizeof *c);
		c->manifest = file;
		c->entry = k;
		c->file = SIZE_MAX;
		if (hit != SIZE_MAX && hit != file) {
			describe(e, ix, hit, passwords_given, ef->file, &found[nfound], &thumbs[nfound]);
			at[nfound++] = hit;
			c->path = xstrdup(e->files[hit].path);
		} else {
			strbuf sb = STRBUF_INIT;
			sb_add(&sb, mf->path, flen);
			sb_adds(&sb, ef->file);
			c->path = sb_detach(&sb);
		}
	}
	export_check_result cr;
	export_manifest_check(&tmp, found, nfound, &cr);
	for (size_t k = 0; k < x->n; k++) {
		mc_entry *c = &r->v[r->n + k];
		c->status = cr.v[k].status;
		c->file = cr.v[k].file == SIZE_MAX ? SIZE_MAX : at[cr.v[k].file];
		if (mc_status_bad(c->status))
			m->bad++;
		else if (c->status == EXPORT_ST_UNCHECKED)
			r->unchecked++;
	}
	r->n += x->n;
	r->bad += m->bad;
	export_check_free(&cr);
	for (size_t k = 0; k < nfound; k++)
		free(thumbs[k]);
	free(thumbs);
	free(found);
	free(at);
	free(tmp.entries);
}

/* The .pfx files beside each manifest that none of its entries names. */
static void find_unlisted(const evidence *e, mc_result *r)
{
	for (size_t i = 0; i < e->nfiles; i++) {
		const char *p = e->files[i].path;
		size_t fl = folder_len(&e->files[i]);
		if (!is_pfx_name(p + fl))
			continue;
		for (size_t k = 0; k < r->nm; k++) {
			mc_manifest *m = &r->m[k];
			const char *mp = e->files[m->file].path;
			if (folder_len(&e->files[m->file]) != fl || memcmp(mp, p, fl) != 0)
				continue;
			bool named = false;
			for (size_t j = m->first; j < m->first + m->n && !named; j++)
				named = r->v[j].file == i;
			if (named)
				continue;
			m->unlisted = xrealloc(m->unlisted, (m->nunlisted + 1) * sizeof *m->unlisted);
			m->unlisted[m->nunlisted++] = i;
		}
	}
}

void manifest_check(const evidence *e, bool passwords_given, mc_result *r)
{
	memset(r, 0, sizeof *r);
	size_t n = 0;
	for (size_t i = 0; i < e->nfiles; i++)
		n += ev_file_manifest(&e->files[i]) != NULL && e->files[i].cls == EVC_USED;
	if (!n)
		return;
	r->m = xcalloc(n, sizeof *r->m);
	file_index ix;
	index_build(e, &ix);
	for (size_t i = 0; i < e->nfiles; i++)
		if (ev_file_manifest(&e->files[i]) && e->files[i].cls == EVC_USED)
			check_one(e, &ix, i, passwords_given, r);
	index_free(&ix);
	find_unlisted(e, r);
}

void mc_result_free(mc_result *r)
{
	for (size_t i = 0; i < r->n; i++)
		free(r->v[i].path);
	free(r->v);
	for (size_t i = 0; i < r->nm; i++)
		free(r->m[i].unlisted);
	free(r->m);
	memset(r, 0, sizeof *r);
}

bool mc_status_bad(export_status s)
{
	return s != EXPORT_ST_OK && s != EXPORT_ST_UNCHECKED;
}

int mc_exit_code(const mc_result *r)
{
	return r->bad ? HV_EXIT_ATTENTION : HV_EXIT_OK;
}
