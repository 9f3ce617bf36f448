/*
 * facts_load.c - loads facts files into an offline collector
 * (model/facts_file.h; the layout is in docs/facts.md).
 *
 * A facts file comes from another machine and is read as hostile as any
 * evidence: every line is bounded (FACTS_LINE_MAX), every number, index
 * and enumeration is range-checked, the end line proves that nothing was
 * cut, reordered or changed by accident (record count and SHA-256 of the
 * lines), and the first problem stops the load with the file and line
 * named.
 */
#include "model/facts_file.h"

#include <inttypes.h>
#include <json-c/json.h>
#include <openssl/evp.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "formats/cert.h"
#include "model/collect_internal.h"
#include "model/facts_fields.h"
#include "model/facts_lines.h"
#include "model/pipeline.h"
#include "util/base64.h"
#include "util/lines.h"
#include "util/source.h"
#include "util/strbuf.h"
#include "util/text.h"
#include "util/xalloc.h"

typedef const char *(*name_fn)(int);

/* ---- enumerations by name ---- */

static const char *kind_n(int v) { return ev_kind_name((ev_kind)v); }
static const char *class_n(int v) { return ev_class_name((ev_class)v); }
static const char *origin_n(int v) { return kp_origin_name((kp_origin)v); }
static const char *err_n(int v) { return hv_err_code((hv_err)v); }
static const char *sev_n(int v) { return hv_sev_name((hv_sev)v); }
static const char *role_n(int v) { return cert_role_name((cert_role)v); }

/* ==== loading ========================================================================== */

typedef struct {
	collector *c;
	evidence *e;
	hv_findings *f;
	const char *path;        /* the facts file */
	size_t line;
	hv_err rc;
	const char *prefix;      /* "label:" when shards differ, else NULL */
	size_t *files;           /* this file's file numbers -> evidence index */
	size_t nfiles, capfiles;
	const hv_cert **certs;   /* this file's certificate numbers -> pooled */
	size_t ncerts, capcerts;
	bool late;               /* after the "late" record */
	char **deferred;         /* late records, loaded after every file's main records */
	size_t ndeferred, capdeferred;
	size_t *deferred_line;
} loader;

static bool fail(loader *L, hv_err rc, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static bool fail(loader *L, hv_err rc, const char *fmt, ...)
{
	if (L->rc != HV_OK)
		return false;
	strbuf sb = STRBUF_INIT;
	if (L->line)
		sb_addf(&sb, "line %zu: ", L->line);
	va_list ap;
	va_start(ap, fmt);
	sb_vaddf(&sb, fmt, ap);
	va_end(ap);
	findings_add(L->f, HV_SEV_ERROR, L->path, HV_NO_OFFSET, "%s", sb_str(&sb));
	sb_free(&sb);
	L->rc = rc;
	return false;
}

/* ---- values ---- */

static bool hex_digest_valid(const char *s)
{
	size_t n = 0;
	for (; s[n]; n++)
		if (!((s[n] >= '0' && s[n] <= '9') || (s[n] >= 'a' && s[n] <= 'f')))
			return false;
	return n == 64;
}

static json_object *member(loader *L, json_object *o, const char *k)
{
	json_object *v = NULL;
	if (!json_object_object_get_ex(o, k, &v)) {
		fail(L, HV_ERR_CORRUPT, "'%s' is missing", k);
		return NULL;
	}
	return v;
}

/* A string value (or {"hex": ...}); *out NULL for null when nullable. Caller frees. */
static bool get_str(loader *L, json_object *o, const char *k, bool nullable, char **out)
{
	*out = NULL;
	json_object *v = NULL;
	if (!json_object_object_get_ex(o, k, &v))
		return fail(L, HV_ERR_CORRUPT, "'%s' is missing", k);
	if (!v) {
		if (!nullable)
			return fail(L, HV_ERR_CORRUPT, "'%s' is null", k);
		return true;
	}
	if (json_object_is_type(v, json_type_string)) {
		const char *s = json_object_get_string(v);
		size_t n = (size_t)json_object_get_string_len(v);
		if (memchr(s, '\0', n) || !utf8_valid(s, n))
			return fail(L, HV_ERR_CORRUPT, "'%s' is not a valid string", k);
		*out = xmemdup(s, n + 1);
		return true;
	}
	json_object *h = NULL;
	if (!json_object_is_type(v, json_type_object) || json_object_object_length(v) != 1 ||
	    !json_object_object_get_ex(v, "hex", &h) || !json_object_is_type(h, json_type_string))
		return fail(L, HV_ERR_CORRUPT, "'%s' is not a string", k);
	const char *s = json_object_get_string(h);
	size_t n = (size_t)json_object_get_string_len(h);
	if (n % 2 || n == 0)
		return fail(L, HV_ERR_CORRUPT, "'%s' has a bad hex form", k);
	char *r = xmalloc(n / 2 + 1);
	for (size_t i = 0; i < n / 2; i++) {
		unsigned a, b;
		if (!facts_hex_val(s[2 * i], &a) || !facts_hex_val(s[2 * i + 1], &b) || (a == 0 && b == 0)) {
			free(r);
			return fail(L, HV_ERR_CORRUPT, "'%s' has a bad hex form", k);
		}
		r[i] = (char)(a << 4 | b);
	}
	r[n / 2] = '\0';
	*out = r;
	return true;
}

/* A string with the shard prefix (paths). */
static bool get_path(loader *L, json_object *o, const char *k, bool nullable, char **out)
{
	if (!get_str(L, o, k, nullable, out))
		return false;
	if (*out && L->prefix) {
		strbuf sb = STRBUF_INIT;
		sb_adds(&sb, L->prefix);
		sb_adds(&sb, *out);
		free(*out);
		*out = sb_detach(&sb);
	}
	return true;
}

static bool get_pooled(loader *L, json_object *o, const char *k, bool nullable, const char **out)
{
	char *s;
	*out = NULL;
	if (!get_str(L, o, k, nullable, &s))
		return false;
	*out = evidence_intern_str(L->e, s);
	free(s);
	return true;
}

static bool num_of(loader *L, json_object *v, const char *k, uint64_t max, uint64_t *out)
{
	*out = 0;
	if (!v || !json_object_is_type(v, json_type_int) || json_object_get_int64(v) < 0)
		return fail(L, HV_ERR_CORRUPT, "'%s' is not a number >= 0", k);
	*out = json_object_get_uint64(v);
	if (*out > max)
		return fail(L, HV_ERR_CORRUPT, "'%s' is out of range", k);
	return true;
}

static bool get_u64(loader *L, json_object *o, const char *k, uint64_t max, uint64_t *out)
{
	*out = 0;
	json_object *v = member(L, o, k);
	return v && num_of(L, v, k, max, out);
}

/* A number or null (*has false). */
static bool get_opt_u64(loader *L, json_object *o, const char *k, uint64_t max, bool *has,
			uint64_t *out)
{
	json_object *v = NULL;
	*has = false;
	*out = 0;
	if (!json_object_object_get_ex(o, k, &v))
		return fail(L, HV_ERR_CORRUPT, "'%s' is missing", k);
	if (!v)
		return true;
	*has = true;
	return num_of(L, v, k, max, out);
}

static bool get_i64(loader *L, json_object *o, const char *k, int64_t min, int64_t max,
		    int64_t *out)
{
	*out = 0;
	json_object *v = member(L, o, k);
	if (!v || !json_object_is_type(v, json_type_int))
		return v ? fail(L, HV_ERR_CORRUPT, "'%s' is not a number", k) : false;
	*out = json_object_get_int64(v);
	if (*out < min || *out > max)
		return fail(L, HV_ERR_CORRUPT, "'%s' is out of range", k);
	return true;
}

static bool get_bool(loader *L, json_object *o, const char *k, bool *out)
{
	*out = false;
	json_object *v = member(L, o, k);
	if (!v || !json_object_is_type(v, json_type_boolean))
		return v ? fail(L, HV_ERR_CORRUPT, "'%s' is not true or false", k) : false;
	*out = json_object_get_boolean(v);
	return true;
}

static bool get_enum(loader *L, json_object *o, const char *k, name_fn name, int n, int *out)
{
	char *s;
	*out = 0;
	if (!get_str(L, o, k, false, &s))
		return false;
	for (int i = 0; i < n; i++) {
		if (strcmp(name(i), s) == 0) {
			free(s);
			*out = i;
			return true;
		}
	}
	free(s);
	return fail(L, HV_ERR_CORRUPT, "'%s' has an unknown value", k);
}

/* An array member (NULL and a failure when it is not one, or too long). */
static json_object *get_array(loader *L, json_object *o, const char *k)
{
	json_object *v = member(L, o, k);
	if (!v)
		return NULL;
	if (!json_object_is_type(v, json_type_array) || json_object_array_length(v) > FACTS_LIST_MAX) {
		fail(L, HV_ERR_CORRUPT, "'%s' is not a list", k);
		return NULL;
	}
	return v;
}

static json_object *get_object(loader *L, json_object *o, const char *k, bool nullable)
{
	json_object *v = NULL;
	if (!json_object_object_get_ex(o, k, &v)) {
		fail(L, HV_ERR_CORRUPT, "'%s' is missing", k);
		return NULL;
	}
	if (!v) {
		if (!nullable)
			fail(L, HV_ERR_CORRUPT, "'%s' is null", k);
		return NULL;
	}
	if (!json_object_is_type(v, json_type_object)) {
		fail(L, HV_ERR_CORRUPT, "'%s' is not an object", k);
		return NULL;
	}
	return v;
}

/* Element i of array a read as a string (pooled or owned), by the readers above. */
static bool str_item(loader *L, json_object *a, size_t i, bool pooled, void *out)
{
	json_object *wrap = json_object_new_object();
	json_object_object_add(wrap, "v", json_object_get(json_object_array_get_idx(a, i)));
	bool ok = pooled ? get_pooled(L, wrap, "v", false, (const char **)out)
			 : get_str(L, wrap, "v", false, (char **)out);
	json_object_put(wrap);
	return ok;
}

/* A list of pooled strings. */
static bool get_pooled_list(loader *L, json_object *o, const char *k, const char ***out, size_t *n)
{
	json_object *a = get_array(L, o, k);
	*out = NULL;
	*n = 0;
	if (!a)
		return false;
	size_t len = json_object_array_length(a);
	*out = xcalloc(len + 1, sizeof **out);
	for (; *n < len; (*n)++)
		if (!str_item(L, a, *n, true, &(*out)[*n]))
			return false;
	return true;
}

/* A list of strings the caller owns (NULL-terminated array). */
static bool get_str_list(loader *L, json_object *o, const char *k, char ***out, size_t *n)
{
	json_object *a = get_array(L, o, k);
	*out = NULL;
	*n = 0;
	if (!a)
		return false;
	size_t len = json_object_array_length(a);
	*out = xcalloc(len + 1, sizeof **out);
	for (; *n < len; (*n)++)
		if (!str_item(L, a, *n, false, &(*out)[*n]))
			return false;
	return true;
}

/* ---- references ---- */

static bool file_ref(loader *L, json_object *o, const char *k, size_t *out)
{
	*out = 0;
	uint64_t n;
	if (!get_u64(L, o, k, SIZE_MAX - 1, &n))
		return false;
	if (n >= L->nfiles || L->files[n] == SIZE_MAX)
		return fail(L, HV_ERR_CORRUPT, "'%s' names a file not (yet) in the facts", k);
	*out = L->files[n];
	return true;
}

static bool cert_of(loader *L, json_object *o, const char *k, bool nullable, const hv_cert **out)
{
	bool has;
	uint64_t n;
	*out = NULL;
	if (!get_opt_u64(L, o, k, SIZE_MAX - 1, &has, &n))
		return false;
	if (!has)
		return nullable ? true : fail(L, HV_ERR_CORRUPT, "'%s' is null", k);
	if (n >= L->ncerts)
		return fail(L, HV_ERR_CORRUPT, "'%s' names a certificate not (yet) in the facts", k);
	*out = L->certs[n];
	return true;
}

/* ---- disk facts ---- */

static bool get_fields(loader *L, json_object *o, void *base, const fdesc *d, size_t n)
{
	char *b = base;
	for (size_t i = 0; i < n; i++) {
		const fdesc *x = &d[i];
		void *p = b + x->off;
		uint64_t v;
		int64_t iv;
		char *s;
		if (d == part_f && strcmp(x->key, "mbr_type") == 0) {
			if (!get_u64(L, o, x->key, UINT8_MAX, &v))
				return false;
			((part_entry *)base)->mbr_type = (uint8_t)v;
			continue;
		}
		switch (x->t) {
		case FT_BOOL:
			if (!get_bool(L, o, x->key, p))
				return false;
			break;
		case FT_U16:
			if (!get_u64(L, o, x->key, UINT16_MAX, &v))
				return false;
			*(uint16_t *)p = (uint16_t)v;
			break;
		case FT_U32:
			if (!get_u64(L, o, x->key, UINT32_MAX, &v))
				return false;
			*(uint32_t *)p = (uint32_t)v;
			break;
		case FT_U64:
			if (!get_u64(L, o, x->key, UINT64_MAX, &v))
				return false;
			*(uint64_t *)p = v;
			break;
		case FT_INT:
			if (!get_i64(L, o, x->key, INT32_MIN, INT32_MAX, &iv))
				return false;
			*(int *)p = (int)iv;
			break;
		case FT_UINT:
			if (!get_u64(L, o, x->key, UINT32_MAX, &v))
				return false;
			*(unsigned *)p = (unsigned)v;
			break;
		case FT_ENUM:
			if (!get_u64(L, o, x->key, x->arg, &v))
				return false;
			*(int *)p = (int)v;
			break;
		case FT_STR:
			if (!get_str(L, o, x->key, true, (char **)p))
				return false;
			break;
		case FT_POOL:
			if (!get_pooled(L, o, x->key, true, (const char **)p))
				return false;
			break;
		case FT_CHARS:
			if (!get_str(L, o, x->key, true, &s))
				return false;
			if (s && strlen(s) >= x->arg) {
				free(s);
				return fail(L, HV_ERR_CORRUPT, "'%s' is too long", x->key);
			}
			memset(p, 0, x->arg);
			if (s)
				memcpy(p, s, strlen(s));
			free(s);
			break;
		case FT_HEX16:
			if (!get_str(L, o, x->key, false, &s))
				return false;
			if (strlen(s) != 32) {
				free(s);
				return fail(L, HV_ERR_CORRUPT, "'%s' is not 16 bytes of hex", x->key);
			}
			for (int k = 0; k < 16; k++) {
				unsigned hi, lo;
				if (!facts_hex_val(s[2 * k], &hi) || !facts_hex_val(s[2 * k + 1], &lo)) {
					free(s);
					return fail(L, HV_ERR_CORRUPT, "'%s' is not hex", x->key);
				}
				((uint8_t *)p)[k] = (uint8_t)(hi << 4 | lo);
			}
			free(s);
			break;
		}
	}
	return true;
}

static bool get_u64_list(loader *L, json_object *o, const char *k, uint64_t *v, size_t n,
			 uint64_t max)
{
	json_object *a = get_array(L, o, k);
	if (!a)
		return false;
	if (json_object_array_length(a) != n)
		return fail(L, HV_ERR_CORRUPT, "'%s' should have %zu entries", k, n);
	for (size_t i = 0; i < n; i++)
		if (!num_of(L, json_object_array_get_idx(a, i), k, max, &v[i]))
			return false;
	return true;
}

static bool volume_from(loader *L, json_object *o, bde_volume *v)
{
	uint64_t b[BDE_BLOCKS] = { 0 };
	if (!get_fields(L, o, v, vol_f, vol_fn) ||
	    !get_u64_list(L, o, "block_offset", v->block_offset, BDE_BLOCKS, UINT64_MAX) ||
	    !get_u64_list(L, o, "block_status", b, BDE_BLOCKS, BDE_BLOCK_UNREADABLE) ||
	    !get_u64_list(L, o, "eow_offset", v->eow_offset, 2, UINT64_MAX))
		return false;
	if (v->block_used < -1 || v->block_used >= BDE_BLOCKS)
		return fail(L, HV_ERR_CORRUPT, "'block_used' is out of range");
	for (int k = 0; k < BDE_BLOCKS; k++)
		v->block_status[k] = (bde_block_status)b[k];
	json_object *pr = get_array(L, o, "protectors");
	if (!pr)
		return false;
	size_t n = json_object_array_length(pr);
	v->prot = xcalloc(n + 1, sizeof *v->prot);
	for (size_t k = 0; k < n; k++) {
		json_object *x = json_object_array_get_idx(pr, k);
		if (!json_object_is_type(x, json_type_object))
			return fail(L, HV_ERR_CORRUPT, "a protector is not an object");
		v->nprot++;
		if (!get_fields(L, x, &v->prot[k], prot_f, prot_fn))
			return false;
	}
	return true;
}

static bool disk_from(loader *L, json_object *o, disk_facts *d)
{
	if (!get_fields(L, o, d, disk_f, disk_fn))
		return false;
	json_object *chain = get_array(L, o, "chain");
	if (!chain)
		return false;
	size_t n = json_object_array_length(chain);
	d->chain = xcalloc(n + 1, sizeof *d->chain);
	for (size_t i = 0; i < n; i++) {
		json_object *x = json_object_array_get_idx(chain, i);
		if (!json_object_is_type(x, json_type_object))
			return fail(L, HV_ERR_CORRUPT, "a chain entry is not an object");
		d->nchain++;
		if (!get_fields(L, x, &d->chain[i], layer_f, layer_fn))
			return false;
	}
	json_object *t = get_object(L, o, "partitions", false);
	if (!t || !get_fields(L, t, &d->parts, table_f, table_fn))
		return false;
	json_object *parts = get_array(L, t, "entries");
	if (!parts)
		return false;
	n = json_object_array_length(parts);
	d->parts.v = xcalloc(n + 1, sizeof *d->parts.v);
	d->vols = xcalloc(n + 1, sizeof *d->vols);
	d->vol_rc = xcalloc(n + 1, sizeof *d->vol_rc);
	for (size_t i = 0; i < n; i++) {
		json_object *x = json_object_array_get_idx(parts, i);
		if (!json_object_is_type(x, json_type_object))
			return fail(L, HV_ERR_CORRUPT, "a partition is not an object");
		d->parts.n++;
		d->vols[i].block_used = -1;
		int rc;
		if (!get_fields(L, x, &d->parts.v[i], part_f, part_fn) ||
		    !get_enum(L, x, "volume_rc", err_n, HV_ERR_INTERNAL + 1, &rc))
			return false;
		d->vol_rc[i] = (hv_err)rc;
		json_object *vo = get_object(L, x, "volume", false);
		if (!vo || !volume_from(L, vo, &d->vols[i]))
			return false;
	}
	return true;
}

/* ---- export manifests ---- */

static bool chars_into(loader *L, json_object *o, const char *k, char *dst, size_t cap)
{
	char *s;
	if (!get_str(L, o, k, false, &s))
		return false;
	bool ok = strlen(s) < cap;
	if (ok)
		memcpy(dst, s, strlen(s) + 1);
	free(s);
	return ok || fail(L, HV_ERR_CORRUPT, "'%s' is too long", k);
}

static bool manifest_from(loader *L, json_object *o, export_facts *m)
{
	int64_t t;
	if (!get_str(L, o, "host", true, &m->host) ||
	    !get_i64(L, o, "created", INT64_MIN, INT64_MAX, &t))
		return false;
	m->created = (time_t)t;
	json_object *a = get_array(L, o, "entries");
	if (!a)
		return false;
	size_t n = json_object_array_length(a);
	m->v = xcalloc(n + 1, sizeof *m->v);
	for (size_t i = 0; i < n; i++) {
		json_object *x = json_object_array_get_idx(a, i);
		export_fact *e = &m->v[i];
		int role;
		int64_t nb, na;
		if (!json_object_is_type(x, json_type_object))
			return fail(L, HV_ERR_CORRUPT, "a manifest entry is not an object");
		m->n++;
		if (!get_str(L, x, "file", false, &e->file) ||
		    !chars_into(L, x, "thumbprint", e->thumbprint, sizeof e->thumbprint) ||
		    !get_enum(L, x, "role", role_n, CERT_ROLE_SIGNING + 1, &role) ||
		    !get_str(L, x, "host", true, &e->host) ||
		    !get_i64(L, x, "not_before", INT64_MIN, INT64_MAX, &nb) ||
		    !get_i64(L, x, "not_after", INT64_MIN, INT64_MAX, &na) ||
		    !chars_into(L, x, "sha256", e->sha256, sizeof e->sha256) ||
		    !get_bool(L, x, "private_key", &e->has_private_key))
			return false;
		e->role = (cert_role)role;
		e->not_before = (time_t)nb;
		e->not_after = (time_t)na;
	}
	return true;
}

/* ---- records ---- */

static bool load_cert(loader *L, json_object *o)
{
	uint64_t n;
	char *b64 = NULL;
	if (!get_u64(L, o, "n", SIZE_MAX - 1, &n) || !get_str(L, o, "der", false, &b64))
		return false;
	if (!b64) /* not nullable: get_str never says yes without a string */
		return fail(L, HV_ERR_INTERNAL, "'der' came back empty");
	if (n != L->ncerts) {
		free(b64);
		return fail(L, HV_ERR_CORRUPT, "certificate %" PRIu64 " out of order", n);
	}
	uint8_t *der = NULL;
	size_t len = 0;
	const char *why = NULL;
	bool ok = hv_base64_decode(b64, strlen(b64), FACTS_DER_MAX, B64_PAD_REQUIRED, &der, &len, &why);
	free(b64);
	if (!ok)
		return fail(L, HV_ERR_CORRUPT, "certificate %" PRIu64 ": %s", n, why ? why : "bad base64");
	hv_cert c;
	hv_findings tmp = { 0 };
	hv_err rc = cert_from_der(der, len, &c, L->path, HV_NO_OFFSET, &tmp);
	free(der);
	findings_free(&tmp);
	if (rc != HV_OK)
		return fail(L, HV_ERR_CORRUPT, "certificate %" PRIu64 " does not parse", n);
	L->certs = xgrow(L->certs, &L->capcerts, L->ncerts + 1, sizeof *L->certs);
	L->certs[L->ncerts++] = evidence_intern_cert(L->e, &c);
	cert_free(&c);
	return true;
}

static bool load_file(loader *L, json_object *o)
{
	uint64_t n, size;
	char *path = NULL, *sha = NULL, *error = NULL, *claimed = NULL;
	int kind, cls, status;
	bool meta, input_error;
	const char *format, *what;
	if (!get_u64(L, o, "n", SIZE_MAX - 1, &n))
		return false;
	if (n != L->nfiles)
		return fail(L, HV_ERR_CORRUPT, "file %" PRIu64 " out of order", n);
	bool ok = get_path(L, o, "path", false, &path) && get_u64(L, o, "size", UINT64_MAX, &size) &&
		  get_str(L, o, "sha256", true, &sha) && get_bool(L, o, "sha256_metadata", &meta) &&
		  get_enum(L, o, "kind", kind_n, EV_KIND_COUNT, &kind) &&
		  get_enum(L, o, "class", class_n, EVC_COUNT, &cls) &&
		  get_pooled(L, o, "format", true, &format) && get_pooled(L, o, "what", true, &what) &&
		  get_enum(L, o, "status", err_n, HV_ERR_INTERNAL + 1, &status) &&
		  get_str(L, o, "error", true, &error) && get_str(L, o, "claimed", true, &claimed) &&
		  get_bool(L, o, "input_error", &input_error);
	if (ok && sha && !hex_digest_valid(sha))
		ok = fail(L, HV_ERR_CORRUPT, "'sha256' is not a SHA-256");
	const char **weak = NULL;
	size_t nweak = 0;
	ok = ok && get_pooled_list(L, o, "weak", &weak, &nweak);
	disk_facts *disk = NULL;
	json_object *dj = ok ? get_object(L, o, "disk", true) : NULL;
	if (ok && dj) {
		disk = xcalloc(1, sizeof *disk);
		ok = disk_from(L, dj, disk);
	}
	export_facts *man = NULL;
	json_object *mj = ok && L->rc == HV_OK ? get_object(L, o, "manifest", true) : NULL;
	if (ok && mj) {
		man = xcalloc(1, sizeof *man);
		ok = manifest_from(L, mj, man);
	}
	if (!ok || L->rc != HV_OK) {
		free(path);
		free(sha);
		free(error);
		free(claimed);
		free(weak);
		if (disk) {
			disk_facts_free(disk);
			free(disk);
		}
		export_facts_free(man);
		free(man);
		return false;
	}
	size_t f = evidence_add_file(L->e, path, sha, size);
	free(path);
	free(sha);
	ev_file *r = &L->e->files[f];
	r->kind = (ev_kind)kind;
	r->format_id = format;
	r->sha256_metadata = meta;
	r->what = what;
	r->status = (hv_err)status;
	r->input_error = input_error;
	ev_file_extra k = { error, claimed, weak, nweak, disk, man };
	evidence_file_extra(L->e, f, &k);
	evidence_set_class(L->e, f, (ev_class)cls);
	L->files = xgrow(L->files, &L->capfiles, L->nfiles + 1, sizeof *L->files);
	L->files[L->nfiles++] = f;
	return true;
}

static bool load_holding(loader *L, json_object *o)
{
	size_t file;
	const hv_cert *pc;
	bool key;
	char *detail;
	if (!file_ref(L, o, "file", &file) || !cert_of(L, o, "cert", false, &pc) ||
	    !get_bool(L, o, "private_key", &key) || !get_str(L, o, "detail", true, &detail))
		return false;
	hv_cert c;
	if (cert_copy(pc, &c) != HV_OK)
		xalloc_die();
	evidence_add_holding(L->e, file, &c, key, detail);
	free(detail);
	return true;
}

static bool load_finding(loader *L, json_object *o)
{
	int sev;
	char *file, *msg;
	bool has;
	uint64_t off;
	if (!get_enum(L, o, "severity", sev_n, HV_SEV_ERROR + 1, &sev) ||
	    !get_opt_u64(L, o, "offset", UINT64_MAX - 1, &has, &off))
		return false;
	if (!get_path(L, o, "file", true, &file))
		return false;
	if (!get_str(L, o, "message", false, &msg)) {
		free(file);
		return false;
	}
	findings_add(&L->e->findings, (hv_sev)sev, file, has ? off : HV_NO_OFFSET, "%s", msg);
	free(file);
	free(msg);
	return true;
}

static bool kp_from(loader *L, json_object *o, ev_kp *k)
{
	memset(k, 0, sizeof *k);
	if (!json_object_is_type(o, json_type_object))
		return fail(L, HV_ERR_CORRUPT, "a key protector is not an object");
	int origin;
	uint64_t v, owner, unwraps;
	char *sha = NULL;
	bool has_owner;
	const char *location = NULL, *form = NULL;
	k->strs_pooled = true; /* the same few strings for every VM of an estate */
	if (!file_ref(L, o, "file", &k->file) || !get_pooled(L, o, "location", true, &location) ||
	    !get_pooled(L, o, "form", true, &form) ||
	    !get_enum(L, o, "origin", origin_n, KP_OLDER + 1, &origin) ||
	    !get_bool(L, o, "empty", &k->empty) || !get_bool(L, o, "heuristic", &k->heuristic) ||
	    !get_opt_u64(L, o, "owner_id", UINT32_MAX, &has_owner, &owner) ||
	    !get_opt_u64(L, o, "max_offline_unwraps", UINT64_MAX, &k->has_max_offline_unwraps,
			 &unwraps) ||
	    !get_u64(L, o, "signature_failures", SIZE_MAX - 1, &v))
		return false;
	k->location = (char *)location;
	k->form = (char *)form;
	k->origin = (kp_origin)origin;
	k->has_owner = has_owner;
	k->owner_id = (uint32_t)owner;
	k->max_offline_unwraps = unwraps;
	k->sig_failures = (size_t)v;
	if (!get_bool(L, o, "guardian_signature_failed", &k->sig_failed_guardian) ||
	    !get_u64(L, o, "failed_wrapping", UINT32_MAX, &v))
		return false;
	k->sig_failed_wrapping = (uint32_t)v;
	if (!get_pooled_list(L, o, "algorithms", &k->algorithms, &k->nalgorithms) ||
	    !get_str(L, o, "sha256", true, &sha))
		return false;
	if (sha && !hex_digest_valid(sha)) {
		free(sha);
		return fail(L, HV_ERR_CORRUPT, "'sha256' is not a SHA-256");
	}
	if (sha)
		memcpy(k->sha256, sha, 65);
	free(sha);
	json_object *ws = get_array(L, o, "wrappings");
	if (!ws)
		return false;
	size_t n = json_object_array_length(ws);
	k->w = xcalloc(n + 1, sizeof *k->w);
	for (size_t i = 0; i < n; i++) {
		json_object *x = json_object_array_get_idx(ws, i);
		ev_wrapping *w = &k->w[i];
		uint64_t id, parent;
		if (!json_object_is_type(x, json_type_object))
			return fail(L, HV_ERR_CORRUPT, "a wrapping is not an object");
		if (!get_u64(L, x, "id", UINT32_MAX, &id) ||
		    !get_opt_u64(L, x, "parent_id", UINT32_MAX, &w->has_parent, &parent) ||
		    !get_bool(L, x, "is_owner", &w->is_owner) ||
		    !cert_of(L, x, "encryption", true, &w->enc) ||
		    !cert_of(L, x, "signing", true, &w->sig))
			return false;
		w->id = (uint32_t)id;
		w->parent_id = (uint32_t)parent;
		k->nw++;
	}
	return true;
}

static bool candidates_from(loader *L, json_object *o, winpath_list *l)
{
	json_object *a = get_array(L, o, "candidates");
	if (!a)
		return false;
	size_t n = json_object_array_length(a);
	l->v = xcalloc(n + 1, sizeof *l->v);
	for (size_t i = 0; i < n; i++) {
		json_object *x = json_object_array_get_idx(a, i);
		if (!json_object_is_type(x, json_type_object))
			return fail(L, HV_ERR_CORRUPT, "a path candidate is not an object");
		winpath_candidate *w = &l->v[i];
		if (!get_path(L, x, "path", false, &w->path))
			return false;
		l->n++;
		if (!get_bool(L, x, "exists", &w->exists))
			return false;
		/* Only found files and members of the configuration's archive are written
		 * (collect.c keep_usable): a candidate not there on disk is a member. */
		w->in_archive = !w->exists;
	}
	return true;
}

static bool settings_from(loader *L, json_object *o, ev_settings *s)
{
	int64_t gen, mem, cpu, sb;
	if (!get_i64(L, o, "generation", 0, 2, &gen) ||
	    !get_i64(L, o, "memory_mb", 0, INT64_MAX, &mem) ||
	    !get_i64(L, o, "processors", 0, INT64_MAX, &cpu) ||
	    !get_i64(L, o, "secure_boot", -1, 1, &sb) ||
	    !get_str(L, o, "secure_boot_template", true, &s->secure_boot_template))
		return false;
	s->generation = (int)gen;
	s->memory_mb = mem;
	s->processors = cpu;
	s->secure_boot = (int)sb;
	if (!get_str_list(L, o, "switches", &s->switches, &s->nswitches))
		return false;
	return true;
}

static bool load_config(loader *L, json_object *o)
{
	collector *c = L->c;
	config_rec *r = segvec_push(&c->configs);
	bool tpm;
	json_object *t = NULL;
	if (!file_ref(L, o, "file", &r->file) || !get_str(L, o, "id", false, &r->id) ||
	    !get_str(L, o, "name", true, &r->name) || !get_bool(L, o, "vtpm_device", &r->vtpm_device))
		return false;
	if (!json_object_object_get_ex(o, "tpm_enabled", &t))
		return fail(L, HV_ERR_CORRUPT, "'tpm_enabled' is missing");
	r->tpm_enabled = TRI_UNKNOWN;
	if (t) {
		if (!get_bool(L, o, "tpm_enabled", &tpm))
			return false;
		r->tpm_enabled = tpm ? TRI_YES : TRI_NO;
	}
	json_object *so = get_object(L, o, "settings", false);
	if (!so || !settings_from(L, so, &r->settings))
		return false;
	json_object *disks = get_array(L, o, "disks");
	if (!disks)
		return false;
	size_t n = json_object_array_length(disks);
	r->settings.disks = xcalloc(n + 1, sizeof *r->settings.disks);
	r->disk_resolved = xcalloc(n + 1, sizeof *r->disk_resolved);
	for (size_t i = 0; i < n; i++) {
		json_object *d = json_object_array_get_idx(disks, i);
		if (!json_object_is_type(d, json_type_object))
			return fail(L, HV_ERR_CORRUPT, "a disk is not an object");
		if (!get_str(L, d, "path", false, &r->settings.disks[i]))
			return false;
		r->settings.ndisks++;
		r->ndisk_resolved++;
		if (!candidates_from(L, d, &r->disk_resolved[i]))
			return false;
	}
	json_object *g = get_object(L, o, "guest_state", true);
	if (L->rc != HV_OK)
		return false;
	if (g && (!get_str(L, g, "path", false, &r->guest_state_path) ||
		  !candidates_from(L, g, &r->gs_resolved)))
		return false;
	json_object *kps = get_array(L, o, "key_protectors");
	if (!kps)
		return false;
	n = json_object_array_length(kps);
	r->kps = n ? xcalloc(n, sizeof *r->kps) : NULL; /* most configurations hold none */
	for (size_t i = 0; i < n; i++) {
		if (!kp_from(L, json_object_array_get_idx(kps, i), &r->kps[r->nkps])) {
			ev_kp_release(&r->kps[r->nkps]);
			return false;
		}
		r->nkps++;
	}
	return true;
}

static bool load_loose(loader *L, json_object *o)
{
	collector *c = L->c;
	ev_kp k;
	char *id = NULL, *name = NULL;
	json_object *ko = get_object(L, o, "key_protector", false);
	if (!ko || !get_str(L, o, "hint_id", true, &id))
		return false;
	if (!get_str(L, o, "hint_name", false, &name)) {
		free(id);
		return false;
	}
	if (!kp_from(L, ko, &k)) {
		ev_kp_release(&k);
		free(id);
		free(name);
		return false;
	}
	c->loose = xgrow(c->loose, &c->caploose, c->nloose + 1, sizeof *c->loose);
	loose_kp *l = &c->loose[c->nloose++];
	l->kp = k;
	l->hint_id = id;
	l->hint_name = name;
	return true;
}

/* ---- lines ---- */

typedef struct {
	char *label;
	char **roots;
	size_t nroots;
	uint64_t npasswords;
} header;

static void header_free(header *h)
{
	free(h->label);
	for (size_t i = 0; i < h->nroots; i++)
		free(h->roots[i]);
	free(h->roots);
	memset(h, 0, sizeof *h);
}

/* Short printable ASCII (a tool name from the header, quoted in a message). */
static bool printable_ascii(const char *s)
{
	size_t n = 0;
	for (; s[n]; n++)
		if (s[n] < 0x20 || s[n] > 0x7e || n >= 64)
			return false;
	return true;
}

static bool header_from(loader *L, json_object *o, header *h)
{
	json_object *t = NULL;
	if (!json_object_object_get_ex(o, "t", &t) || !json_object_is_type(t, json_type_string) ||
	    strcmp(json_object_get_string(t), "hvtpm-facts") != 0)
		return fail(L, HV_ERR_FORMAT, "not an hvtpm facts file (no header line)");
	json_object *v = NULL;
	if (!json_object_object_get_ex(o, "schema_version", &v) || !json_object_is_type(v, json_type_int))
		return fail(L, HV_ERR_FORMAT, "not an hvtpm facts file (no schema_version)");
	int64_t sv = json_object_get_int64(v);
	if (sv != FACTS_SCHEMA_VERSION) {
		json_object *tool = NULL;
		json_object_object_get_ex(o, "tool", &tool);
		const char *by = tool && json_object_is_type(tool, json_type_string)
					 ? json_object_get_string(tool) : "an unknown tool";
		return fail(L, HV_ERR_UNSUPPORTED,
			    "facts schema %" PRId64 " (written by %s); this hvtpm reads schema %d%s", sv,
			    printable_ascii(by) ? by : "another version",
			    FACTS_SCHEMA_VERSION,
			    sv > FACTS_SCHEMA_VERSION ? ": use a newer hvtpm" : ": write the facts again");
	}
	if (!get_str(L, o, "shard", false, &h->label) ||
	    !get_u64(L, o, "passwords", SIZE_MAX - 1, &h->npasswords))
		return false;
	if (!get_str_list(L, o, "roots", &h->roots, &h->nroots))
		return false;
	return true;
}

static bool defer(loader *L, const char *line, size_t len)
{
	L->deferred = xgrow(L->deferred, &L->capdeferred, L->ndeferred + 1, sizeof *L->deferred);
	L->deferred_line = xrealloc(L->deferred_line, L->capdeferred * sizeof *L->deferred_line);
	L->deferred[L->ndeferred] = xmemdup(line, len + 1);
	L->deferred[L->ndeferred][len] = '\0';
	L->deferred_line[L->ndeferred++] = L->line;
	return true;
}

/* One record other than the header and the end line. */
static bool dispatch(loader *L, json_object *o, const char *t)
{
	if (strcmp(t, "cert") == 0)
		return load_cert(L, o);
	if (strcmp(t, "file") == 0)
		return load_file(L, o);
	if (strcmp(t, "holding") == 0)
		return load_holding(L, o);
	if (strcmp(t, "finding") == 0)
		return load_finding(L, o);
	if (strcmp(t, "config") == 0)
		return !L->late ? load_config(L, o) : fail(L, HV_ERR_CORRUPT, "a configuration after 'late'");
	if (strcmp(t, "loose") == 0)
		return !L->late ? load_loose(L, o) : fail(L, HV_ERR_CORRUPT, "a key protector after 'late'");
	return fail(L, HV_ERR_CORRUPT, "unknown record type");
}

typedef struct {
	loader *L;
	json_tokener *tok;
	strbuf part;              /* a line cut by a window */
	EVP_MD_CTX *sha;
	uint64_t records;
	bool header_only;         /* pass 0: stop after the header */
	header *hdr;
	bool ended;
	char end_sha[65];         /* of the lines, as the end line confirmed */
} reading;

static json_object *parse_line(reading *r, const char *s, size_t n)
{
	loader *L = r->L;
	if (memchr(s, '\0', n)) {
		fail(L, HV_ERR_CORRUPT, "a NUL byte");
		return NULL;
	}
	json_tokener_reset(r->tok);
	json_object *o = json_tokener_parse_ex(r->tok, s, (int)n);
	if (!o || json_tokener_get_parse_end(r->tok) != n ||
	    !json_object_is_type(o, json_type_object)) {
		json_object_put(o);
		fail(L, HV_ERR_CORRUPT, "not a JSON object");
		return NULL;
	}
	return o;
}

static bool check_end(reading *r, json_object *o)
{
	loader *L = r->L;
	uint64_t records;
	char *sha = NULL;
	if (!get_u64(L, o, "records", UINT64_MAX, &records) || !get_str(L, o, "sha256", false, &sha))
		return false;
	unsigned char md[32];
	unsigned int mdlen = 0;
	EVP_DigestFinal_ex(r->sha, md, &mdlen);
	char hex[65];
	for (int i = 0; i < 32; i++)
		snprintf(hex + 2 * i, 3, "%02x", md[i]);
	bool ok = records == r->records && strcmp(sha, hex) == 0;
	free(sha);
	if (!ok)
		return fail(L, HV_ERR_CORRUPT, "the lines before do not match the end line "
					       "(changed, reordered or cut)");
	memcpy(r->end_sha, hex, sizeof hex);
	r->ended = true;
	return true;
}

/*
 * Loads line s (n bytes) whose JSON object o was parsed already (parsed
 * ahead or by one_line); the checks that depend on the order of the lines
 * are made here.  o stays the caller's.
 */
static bool load_line(reading *r, const char *s, size_t n, json_object *o)
{
	loader *L = r->L;
	json_object *tv = NULL;
	const char *t = json_object_object_get_ex(o, "t", &tv) && json_object_is_type(tv, json_type_string)
				? json_object_get_string(tv) : NULL;
	bool ok;
	if (L->line == 1) {
		ok = header_from(L, o, r->hdr);
	} else if (!t) {
		ok = fail(L, HV_ERR_CORRUPT, "no record type");
	} else if (strcmp(t, "end") == 0) {
		return check_end(r, o);
	} else if (strcmp(t, "hvtpm-facts") == 0) {
		ok = fail(L, HV_ERR_CORRUPT, "a second header");
	} else if (strcmp(t, "late") == 0) {
		ok = !L->late || fail(L, HV_ERR_CORRUPT, "a second 'late' record");
		L->late = true;
	} else if (L->late) {
		ok = defer(L, s, n);
	} else {
		ok = dispatch(L, o, t);
	}
	if (ok) {
		EVP_DigestUpdate(r->sha, s, n);
		EVP_DigestUpdate(r->sha, "\n", 1);
		r->records++;
	}
	return ok && !(r->header_only && L->line == 1);
}

/* The checks every line gets before it is parsed; false (failed) when it must not be. */
static bool line_opens(reading *r, size_t n)
{
	loader *L = r->L;
	L->line++;
	if (r->ended)
		return fail(L, HV_ERR_CORRUPT, "text after the end line");
	if (n > FACTS_LINE_MAX)
		return fail(L, HV_ERR_LIMIT, "a line longer than %u bytes", FACTS_LINE_MAX);
	return true;
}

static bool one_line(reading *r, const char *s, size_t n)
{
	if (!line_opens(r, n))
		return false;
	json_object *o = parse_line(r, s, n);
	if (!o)
		return false;
	bool ok = load_line(r, s, n, o);
	json_object_put(o);
	return ok;
}

/* A line parsed ahead (facts_lines): the same checks and messages as one_line. */
static bool one_parsed_line(reading *r, const facts_line *l)
{
	loader *L = r->L;
	if (l->status == FL_TOO_LONG) {
		L->line++;
		return fail(L, HV_ERR_LIMIT, "a line longer than %u bytes", FACTS_LINE_MAX);
	}
	if (!line_opens(r, l->len))
		return false;
	if (l->status == FL_NUL)
		return fail(L, HV_ERR_CORRUPT, "a NUL byte");
	if (l->status != FL_OK)
		return fail(L, HV_ERR_CORRUPT, "not a JSON object");
	return load_line(r, l->text, l->len, l->obj);
}

static bool serial_line(void *ctx, const char *s, size_t n)
{
	return one_line(ctx, s, n);
}

static bool on_window(void *ctx, span_t w, uint64_t offset, size_t body)
{
	(void)offset;
	reading *r = ctx;
	lines_status st = lines_feed(&r->part, FACTS_LINE_MAX, (const char *)w.data, body,
				     serial_line, r);
	if (st == LINES_TOO_LONG) {
		r->L->line++;
		return fail(r->L, HV_ERR_LIMIT, "a line longer than %u bytes", FACTS_LINE_MAX);
	}
	return st == LINES_MORE;
}

/*
 * Reads one facts file: the header only (pass 0) or every line, loading the
 * records before "late" and keeping those after it for later.
 */
static hv_err read_facts(loader *L, header *h, bool header_only, char end_sha[65], char sha[65])
{
	hv_source *s = NULL;
	hv_findings tmp = { 0 };
	if (src_open(L->path, L->path, 0, &s, &tmp) != HV_OK) {
		const char *why = tmp.n ? tmp.v[tmp.n - 1].msg : "cannot open";
		findings_add(L->f, HV_SEV_ERROR, L->path, HV_NO_OFFSET, "%s", why);
		findings_free(&tmp);
		return HV_ERR_IO;
	}
	reading r = { .L = L, .header_only = header_only, .hdr = h };
	r.tok = json_tokener_new_ex(32);
	r.sha = EVP_MD_CTX_new();
	if (!r.tok || !r.sha || !EVP_DigestInit_ex(r.sha, EVP_sha256(), NULL))
		xalloc_die();
	L->line = 0;
	hv_err rc;
	facts_lines *fl = !header_only && pipeline_default_threads() > 0
				  ? facts_lines_start(s, FACTS_LINE_MAX) : NULL;
	if (fl) { /* lines parsed ahead */
		const facts_line *l;
		while ((l = facts_lines_next(fl)) && one_parsed_line(&r, l))
			;
		rc = facts_lines_finish(fl, &tmp);
	} else {
		rc = src_stream(s, 0, on_window, &r, &tmp);
	}
	if (L->rc == HV_OK && rc != HV_OK) {
		const char *why = tmp.n ? tmp.v[tmp.n - 1].msg : "cannot read";
		findings_add(L->f, HV_SEV_ERROR, L->path, HV_NO_OFFSET, "%s", why);
		L->rc = HV_ERR_IO;
	}
	if (L->rc == HV_OK && r.part.len)
		one_line(&r, r.part.buf, r.part.len);
	if (L->rc == HV_OK && !header_only && !r.ended)
		fail(L, HV_ERR_CORRUPT, "cut short: no end line after line %zu", L->line);
	if (L->rc == HV_OK && L->line == 0)
		fail(L, HV_ERR_FORMAT, "empty: not an hvtpm facts file");
	if (L->rc == HV_OK && !header_only) {
		memcpy(end_sha, r.end_sha, 65);
		if (src_sha256(s, sha, &tmp) != HV_OK)
			sha[0] = '\0';
	}
	findings_free(&tmp);
	sb_free(&r.part);
	json_tokener_free(r.tok);
	EVP_MD_CTX_free(r.sha);
	src_close(s);
	return L->rc;
}

/*
 * Which files are archive members, from the structure the facts keep: every
 * archive read has a record of its own (after its members), so a file is a
 * member of the archive whose path, followed by '!', begins its path (the
 * innermost such archive).  A '!' in any other name is part of the name.
 */
static void mark_members(evidence *e)
{
	strmap archives = STRMAP_INIT;
	for (size_t i = 0; i < e->nfiles; i++)
		if (e->files[i].kind == EV_ARCHIVE)
			strmap_put(&archives, xstrdup(e->files[i].path), i);
	for (size_t i = 0; i < e->nfiles && archives.n; i++) {
		ev_file *f = &e->files[i];
		char *p = xstrdup(f->path);
		for (char *bang = strrchr(p, '!'); bang && !f->member_at; bang = strrchr(p, '!')) {
			*bang = '\0';
			if (strmap_get(&archives, p) != SIZE_MAX)
				f->member_at = (size_t)(bang - p) + 1;
		}
		free(p);
	}
	strmap_free(&archives);
}

static void loader_free(loader *L)
{
	free(L->files);
	free(L->certs);
	for (size_t i = 0; i < L->ndeferred; i++)
		free(L->deferred[i]);
	free(L->deferred);
	free(L->deferred_line);
}

/* The records after "late": files read while tying evidence to VMs. */
static hv_err load_deferred(loader *L)
{
	L->late = false; /* the deferred records load as any other now */
	for (size_t i = 0; i < L->ndeferred && L->rc == HV_OK; i++) {
		L->line = L->deferred_line[i];
		json_object *o = json_tokener_parse(L->deferred[i]);
		json_object *tv = NULL;
		if (o && json_object_object_get_ex(o, "t", &tv) && json_object_is_type(tv, json_type_string)) {
			const char *t = json_object_get_string(tv);
			if (strcmp(t, "config") == 0 || strcmp(t, "loose") == 0)
				fail(L, HV_ERR_CORRUPT, "a %s record after 'late'", t);
			else
				dispatch(L, o, t);
		} else {
			fail(L, HV_ERR_CORRUPT, "not a JSON object");
		}
		json_object_put(o);
	}
	return L->rc;
}

void facts_loaded_free(facts_loaded *l)
{
	for (size_t i = 0; i < l->nroots; i++)
		free(l->roots[i]);
	free(l->roots);
	for (size_t i = 0; i < l->nfiles; i++)
		free(l->sha256[i]);
	free(l->sha256);
	memset(l, 0, sizeof *l);
}

hv_err facts_load(collector *c, char *const *files, size_t n, facts_loaded *out, hv_findings *f)
{
	memset(out, 0, sizeof *out);
	loader *L = xcalloc(n + 1, sizeof *L);
	header *h = xcalloc(n + 1, sizeof *h);
	hv_err rc = HV_OK;
	for (size_t i = 0; i < n && rc == HV_OK; i++) {
		L[i] = (loader){ .c = c, .e = c->e, .f = f, .path = files[i] };
		rc = read_facts(&L[i], &h[i], true, NULL, NULL);
		L[i].rc = HV_OK;
		L[i].line = 0;
	}
	/* Labels: paths keep their form when every shard has the same label. */
	size_t labels = 0;
	for (size_t i = 0; i < n && rc == HV_OK; i++) {
		bool seen = false;
		for (size_t k = 0; k < i && !seen; k++)
			seen = strcmp(h[k].label, h[i].label) == 0;
		labels += !seen;
		for (size_t k = 0; k < i && rc == HV_OK; k++) {
			if (strcmp(h[k].label, h[i].label) != 0)
				continue;
			for (size_t a = 0; a < h[i].nroots && rc == HV_OK; a++)
				for (size_t b = 0; b < h[k].nroots && rc == HV_OK; b++)
					if (strcmp(h[i].roots[a], h[k].roots[b]) == 0) {
						L[i].line = 1;
						fail(&L[i], HV_ERR_CORRUPT,
						     "shard '%s' covers the same path as %s: the same shard "
						     "given twice", h[i].label, files[k]);
						rc = L[i].rc;
						out->duplicate = true;
					}
		}
	}
	out->nshards = labels;
	out->sha256 = xcalloc(n + 1, sizeof *out->sha256);
	char (*ends)[65] = xcalloc(n + 1, sizeof *ends);
	for (size_t i = 0; i < n && rc == HV_OK; i++) {
		strbuf pre = STRBUF_INIT;
		if (labels > 1) {
			sb_adds(&pre, h[i].label);
			sb_adds(&pre, ":");
		}
		L[i].prefix = labels > 1 ? sb_str(&pre) : NULL;
		header hh = { 0 };
		out->sha256[i] = xcalloc(1, 65);
		out->nfiles++;
		rc = read_facts(&L[i], &hh, false, ends[i], out->sha256[i]);
		header_free(&hh);
		for (size_t k = 0; k < i && rc == HV_OK; k++) {
			if (strcmp(ends[k], ends[i]) == 0) {
				L[i].line = 0;
				fail(&L[i], HV_ERR_CORRUPT, "the same facts as %s", files[k]);
				rc = L[i].rc;
				out->duplicate = true;
			}
		}
		if (rc == HV_OK) {
			for (size_t r = 0; r < h[i].nroots; r++) {
				out->roots = xrealloc(out->roots, (out->nroots + 1) * sizeof *out->roots);
				strbuf sb = STRBUF_INIT;
				sb_adds(&sb, L[i].prefix ? L[i].prefix : "");
				sb_adds(&sb, h[i].roots[r]);
				out->roots[out->nroots++] = sb_detach(&sb);
			}
			if (h[i].npasswords > out->npasswords)
				out->npasswords = (size_t)h[i].npasswords;
		}
		L[i].prefix = NULL;
		sb_free(&pre);
	}
	for (size_t i = 0; i < n && rc == HV_OK; i++) {
		strbuf pre = STRBUF_INIT;
		if (labels > 1) {
			sb_adds(&pre, h[i].label);
			sb_adds(&pre, ":");
		}
		L[i].prefix = labels > 1 ? sb_str(&pre) : NULL;
		rc = load_deferred(&L[i]);
		sb_free(&pre);
	}
	if (rc == HV_OK)
		mark_members(c->e);
	for (size_t i = 0; i < n; i++) {
		loader_free(&L[i]);
		header_free(&h[i]);
	}
	free(ends);
	free(L);
	free(h);
	return rc;
}
