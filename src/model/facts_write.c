/*
 * facts_write.c - writes the collector's state as a facts file (model/facts_file.h;
 * the layout is in docs/facts.md).  Records follow the order a reading met
 * them, so that a loader rebuilds the same evidence set.
 */
#include "model/facts_file.h"

#include <json-c/json.h>
#include <openssl/evp.h>
#include <stdlib.h>
#include <string.h>

#include "model/collect_internal.h"
#include "model/facts_fields.h"
#include "util/text.h"
#include "util/xalloc.h"

#define JSON_FLAGS (JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE)

/* ==== values =========================================================================== */

/* A string: as is when UTF-8, else {"hex": "..."} (lossless). */
static json_object *str_json(const char *s)
{
	if (!s)
		return NULL;
	size_t n = strlen(s);
	if (utf8_valid(s, n))
		return json_object_new_string(s);
	static const char hx[] = "0123456789abcdef";
	char *h = xmalloc(2 * n + 1);
	for (size_t i = 0; i < n; i++) {
		h[2 * i] = hx[(unsigned char)s[i] >> 4];
		h[2 * i + 1] = hx[(unsigned char)s[i] & 15];
	}
	h[2 * n] = '\0';
	json_object *o = json_object_new_object();
	json_object_object_add(o, "hex", json_object_new_string(h));
	free(h);
	return o;
}

static void put_str(json_object *o, const char *k, const char *s)
{
	json_object_object_add(o, k, str_json(s));
}

static void put_u64(json_object *o, const char *k, uint64_t v)
{
	json_object_object_add(o, k, json_object_new_uint64(v));
}

static void put_bool(json_object *o, const char *k, bool v)
{
	json_object_object_add(o, k, json_object_new_boolean(v));
}

static json_object *str_array(const char *const *v, size_t n)
{
	json_object *a = json_object_new_array_ext((int)n);
	for (size_t i = 0; i < n; i++)
		json_object_array_add(a, str_json(v[i]));
	return a;
}

/* ==== writing ========================================================================== */

struct facts_writer {
	FILE *out;
	EVP_MD_CTX *sha;
	uint64_t records;
	size_t files_written;    /* evidence files written so far */
	size_t holdings_written;
	size_t findings_written;
	size_t certs_written;    /* pooled certificates written (cert n = pool index) */
	bool failed;
};

static void emit(facts_writer *w, json_object *o)
{
	const char *s = json_object_to_json_string_ext(o, JSON_FLAGS);
	size_t n = strlen(s);
	if (fwrite(s, 1, n, w->out) != n || fputc('\n', w->out) == EOF)
		w->failed = true;
	EVP_DigestUpdate(w->sha, s, n);
	EVP_DigestUpdate(w->sha, "\n", 1);
	w->records++;
	json_object_put(o);
}

static json_object *record(const char *type)
{
	json_object *o = json_object_new_object();
	json_object_object_add(o, "t", json_object_new_string(type));
	return o;
}

facts_writer *facts_write_begin(FILE *out, const facts_meta *m)
{
	facts_writer *w = xcalloc(1, sizeof *w);
	w->out = out;
	w->sha = EVP_MD_CTX_new();
	if (!w->sha || !EVP_DigestInit_ex(w->sha, EVP_sha256(), NULL))
		xalloc_die();
	json_object *o = record("hvtpm-facts");
	json_object_object_add(o, "schema_version", json_object_new_int(FACTS_SCHEMA_VERSION));
	json_object_object_add(o, "tool", json_object_new_string("hvtpm " HVTPM_VERSION));
	put_str(o, "shard", m->shard);
	json_object_object_add(o, "roots", str_array((const char *const *)m->roots, m->nroots));
	put_u64(o, "passwords", m->npasswords);
	emit(w, o);
	return w;
}

/* ---- certificates: written once, before the first record that names them ---- */

static json_object *cert_ref(facts_writer *w, const evidence *e, const hv_cert *c)
{
	if (!c || !c->der)
		return NULL;
	size_t k = evidence_cert_index(e, c);
	if (k == SIZE_MAX)
		return NULL;
	for (; w->certs_written <= k; w->certs_written++) {
		const hv_cert *p = e->certs[w->certs_written];
		char *b = xmalloc(4 * ((p->der_len + 2) / 3) + 1);
		EVP_EncodeBlock((unsigned char *)b, p->der, (int)p->der_len);
		json_object *o = record("cert");
		put_u64(o, "n", w->certs_written);
		json_object_object_add(o, "der", json_object_new_string(b));
		free(b);
		emit(w, o);
	}
	return json_object_new_uint64(k);
}

/* part_entry.mbr_type is a uint8_t: its table row carries offset 0 and is special-cased. */
static void put_fields(json_object *o, const void *base, const fdesc *d, size_t n)
{
	const char *b = base;
	for (size_t i = 0; i < n; i++) {
		const fdesc *x = &d[i];
		const void *p = b + x->off;
		char h[33];
		if (d == part_f && strcmp(x->key, "mbr_type") == 0) {
			put_u64(o, x->key, ((const part_entry *)base)->mbr_type);
			continue;
		}
		switch (x->t) {
		case FT_BOOL: put_bool(o, x->key, *(const bool *)p); break;
		case FT_U16: put_u64(o, x->key, *(const uint16_t *)p); break;
		case FT_U32: put_u64(o, x->key, *(const uint32_t *)p); break;
		case FT_U64: put_u64(o, x->key, *(const uint64_t *)p); break;
		case FT_INT: json_object_object_add(o, x->key, json_object_new_int(*(const int *)p)); break;
		case FT_UINT: put_u64(o, x->key, *(const unsigned *)p); break;
		case FT_ENUM: put_u64(o, x->key, (uint64_t)*(const int *)p); break;
		case FT_STR:
		case FT_POOL: put_str(o, x->key, *(const char *const *)p); break;
		case FT_CHARS: put_str(o, x->key, (const char *)p); break;
		case FT_HEX16:
			facts_hex16(h, p);
			json_object_object_add(o, x->key, json_object_new_string(h));
			break;
		}
	}
}

static json_object *disk_json(const disk_facts *d)
{
	json_object *o = json_object_new_object();
	put_fields(o, d, disk_f, disk_fn);
	json_object *chain = json_object_new_array();
	for (size_t i = 0; i < d->nchain; i++) {
		json_object *l = json_object_new_object();
		put_fields(l, &d->chain[i], layer_f, layer_fn);
		json_object_array_add(chain, l);
	}
	json_object_object_add(o, "chain", chain);
	json_object *t = json_object_new_object();
	put_fields(t, &d->parts, table_f, table_fn);
	json_object *parts = json_object_new_array();
	for (size_t i = 0; i < d->parts.n; i++) {
		json_object *p = json_object_new_object();
		put_fields(p, &d->parts.v[i], part_f, part_fn);
		const bde_volume *v = &d->vols[i];
		json_object_object_add(p, "volume_rc", json_object_new_string(hv_err_code(d->vol_rc[i])));
		json_object *vo = json_object_new_object();
		put_fields(vo, v, vol_f, vol_fn);
		json_object *bo = json_object_new_array(), *bs = json_object_new_array();
		for (int k = 0; k < BDE_BLOCKS; k++) {
			json_object_array_add(bo, json_object_new_uint64(v->block_offset[k]));
			json_object_array_add(bs, json_object_new_uint64(v->block_status[k]));
		}
		json_object_object_add(vo, "block_offset", bo);
		json_object_object_add(vo, "block_status", bs);
		json_object *eow = json_object_new_array();
		for (int k = 0; k < 2; k++)
			json_object_array_add(eow, json_object_new_uint64(v->eow_offset[k]));
		json_object_object_add(vo, "eow_offset", eow);
		json_object *pr = json_object_new_array();
		for (size_t k = 0; k < v->nprot; k++) {
			json_object *x = json_object_new_object();
			put_fields(x, &v->prot[k], prot_f, prot_fn);
			json_object_array_add(pr, x);
		}
		json_object_object_add(vo, "protectors", pr);
		json_object_object_add(p, "volume", vo);
		json_object_array_add(parts, p);
	}
	json_object_object_add(t, "entries", parts);
	json_object_object_add(o, "partitions", t);
	return o;
}

static json_object *manifest_json(const export_facts *m)
{
	json_object *o = json_object_new_object();
	put_str(o, "host", m->host);
	json_object_object_add(o, "created", json_object_new_int64((int64_t)m->created));
	json_object *a = json_object_new_array();
	for (size_t i = 0; i < m->n; i++) {
		const export_fact *x = &m->v[i];
		json_object *e = json_object_new_object();
		put_str(e, "file", x->file);
		put_str(e, "thumbprint", x->thumbprint);
		put_str(e, "role", cert_role_name(x->role));
		put_str(e, "host", x->host);
		json_object_object_add(e, "not_before", json_object_new_int64((int64_t)x->not_before));
		json_object_object_add(e, "not_after", json_object_new_int64((int64_t)x->not_after));
		put_str(e, "sha256", x->sha256);
		put_bool(e, "private_key", x->has_private_key);
		json_object_array_add(a, e);
	}
	json_object_object_add(o, "entries", a);
	return o;
}

/* ---- files, holdings, findings ---- */

static void write_file(facts_writer *w, const evidence *e, size_t i)
{
	const ev_file *f = &e->files[i];
	json_object *o = record("file");
	put_u64(o, "n", i);
	put_str(o, "path", f->path);
	put_u64(o, "size", f->size);
	put_str(o, "sha256", f->sha256[0] ? f->sha256 : NULL);
	put_bool(o, "sha256_metadata", f->sha256_metadata);
	put_str(o, "kind", ev_kind_name(f->kind));
	put_str(o, "class", ev_class_name(f->cls));
	put_str(o, "format", f->format_id);
	put_str(o, "what", f->what);
	put_str(o, "status", hv_err_code(f->status));
	put_str(o, "error", ev_file_error(f));
	put_str(o, "claimed", ev_file_claimed(f));
	put_bool(o, "input_error", f->input_error);
	size_t nweak;
	const char *const *weak = ev_file_weak(f, &nweak);
	json_object_object_add(o, "weak", str_array(weak, nweak));
	const disk_facts *d = ev_file_disk(f);
	json_object_object_add(o, "disk", d ? disk_json(d) : NULL);
	const export_facts *m = ev_file_manifest(f);
	json_object_object_add(o, "manifest", m ? manifest_json(m) : NULL);
	emit(w, o);
}

static void write_holding(facts_writer *w, const evidence *e)
{
	const ev_holding *h = &e->holdings[w->holdings_written++];
	json_object *c = cert_ref(w, e, &h->cert);
	json_object *o = record("holding");
	put_u64(o, "file", h->file);
	json_object_object_add(o, "cert", c);
	put_bool(o, "private_key", h->has_private_key);
	put_str(o, "detail", h->detail);
	emit(w, o);
}

static void write_findings(facts_writer *w, const evidence *e)
{
	for (; w->findings_written < e->findings.n; w->findings_written++) {
		const hv_finding *x = &e->findings.v[w->findings_written];
		json_object *o = record("finding");
		put_str(o, "severity", hv_sev_name(x->sev));
		put_str(o, "file", x->file);
		json_object_object_add(o, "offset", x->offset == HV_NO_OFFSET
							    ? NULL : json_object_new_uint64(x->offset));
		put_str(o, "message", x->msg);
		emit(w, o);
	}
}

/* ---- configurations and key protectors ---- */

static json_object *kp_json(facts_writer *w, const evidence *e, const ev_kp *k)
{
	json_object *ws = json_object_new_array();
	for (size_t i = 0; i < k->nw; i++) {
		const ev_wrapping *x = &k->w[i];
		json_object *o = json_object_new_object();
		put_u64(o, "id", x->id);
		json_object_object_add(o, "parent_id",
				       x->has_parent ? json_object_new_uint64(x->parent_id) : NULL);
		put_bool(o, "is_owner", x->is_owner);
		json_object_object_add(o, "encryption", cert_ref(w, e, x->enc));
		json_object_object_add(o, "signing", cert_ref(w, e, x->sig));
		json_object_array_add(ws, o);
	}
	json_object *o = json_object_new_object();
	put_u64(o, "file", k->file);
	put_str(o, "location", k->location);
	put_str(o, "form", k->form);
	put_str(o, "origin", kp_origin_name(k->origin));
	put_bool(o, "empty", k->empty);
	put_bool(o, "heuristic", k->heuristic);
	json_object_object_add(o, "owner_id", k->has_owner ? json_object_new_uint64(k->owner_id) : NULL);
	json_object_object_add(o, "max_offline_unwraps", k->has_max_offline_unwraps
				       ? json_object_new_uint64(k->max_offline_unwraps) : NULL);
	json_object_object_add(o, "wrappings", ws);
	put_u64(o, "signature_failures", k->sig_failures);
	put_bool(o, "guardian_signature_failed", k->sig_failed_guardian);
	put_u64(o, "failed_wrapping", k->sig_failed_wrapping);
	json_object_object_add(o, "algorithms", str_array(k->algorithms, k->nalgorithms));
	put_str(o, "sha256", k->sha256[0] ? k->sha256 : NULL);
	return o;
}

static json_object *candidates_json(const winpath_list *l)
{
	json_object *a = json_object_new_array();
	for (size_t i = 0; i < l->n; i++) {
		json_object *o = json_object_new_object();
		put_str(o, "path", l->v[i].path);
		put_bool(o, "exists", l->v[i].exists);
		json_object_array_add(a, o);
	}
	return a;
}

static const config_rec *config_at(const collector *c, size_t i)
{
	return segvec_at(&c->configs, i);
}

static void write_config(facts_writer *w, const evidence *e, const config_rec *r)
{
	json_object *kps = json_object_new_array();
	for (size_t i = 0; i < r->nkps; i++)
		json_object_array_add(kps, kp_json(w, e, &r->kps[i]));
	const ev_settings *s = &r->settings;
	json_object *so = json_object_new_object();
	json_object_object_add(so, "generation", json_object_new_int(s->generation));
	json_object_object_add(so, "memory_mb", json_object_new_int64(s->memory_mb));
	json_object_object_add(so, "processors", json_object_new_int64(s->processors));
	json_object_object_add(so, "secure_boot", json_object_new_int(s->secure_boot));
	put_str(so, "secure_boot_template", s->secure_boot_template);
	json_object_object_add(so, "switches", str_array((const char *const *)s->switches,
							 s->nswitches));
	json_object *disks = json_object_new_array();
	for (size_t i = 0; i < r->ndisk_resolved; i++) {
		json_object *d = json_object_new_object();
		put_str(d, "path", s->disks[i]);
		json_object_object_add(d, "candidates", candidates_json(&r->disk_resolved[i]));
		json_object_array_add(disks, d);
	}
	json_object *o = record("config");
	put_u64(o, "file", r->file);
	put_str(o, "id", r->id);
	put_str(o, "name", r->name);
	put_bool(o, "vtpm_device", r->vtpm_device);
	json_object_object_add(o, "tpm_enabled", r->tpm_enabled == TRI_UNKNOWN
							 ? NULL : json_object_new_boolean(r->tpm_enabled == TRI_YES));
	json_object_object_add(o, "settings", so);
	json_object_object_add(o, "disks", disks);
	if (r->guest_state_path) {
		json_object *g = json_object_new_object();
		put_str(g, "path", r->guest_state_path);
		json_object_object_add(g, "candidates", candidates_json(&r->gs_resolved));
		json_object_object_add(o, "guest_state", g);
	} else {
		json_object_object_add(o, "guest_state", NULL);
	}
	json_object_object_add(o, "key_protectors", kps);
	emit(w, o);
}

static void write_loose(facts_writer *w, const evidence *e, const loose_kp *l)
{
	json_object *k = kp_json(w, e, &l->kp);
	json_object *o = record("loose");
	put_str(o, "hint_id", l->hint_id);
	put_str(o, "hint_name", l->hint_name);
	json_object_object_add(o, "key_protector", k);
	emit(w, o);
}

/*
 * Files in order, each followed by its holdings, then its configuration or
 * loose protectors (so a loader meets certificates in the order a reading
 * did); findings come after the files.
 */
static void write_files(facts_writer *w, const collector *c, bool with_vms)
{
	const evidence *e = c->e;
	size_t ci = 0, li = 0;
	for (; w->files_written < e->nfiles; w->files_written++) {
		size_t f = w->files_written;
		write_file(w, e, f);
		while (w->holdings_written < e->nholdings &&
		       e->holdings[w->holdings_written].file <= f)
			write_holding(w, e);
		if (!with_vms)
			continue;
		for (; ci < c->configs.n && config_at(c, ci)->file <= f; ci++)
			write_config(w, e, config_at(c, ci));
		for (; li < c->nloose && c->loose[li].kp.file <= f; li++)
			write_loose(w, e, &c->loose[li]);
	}
	while (w->holdings_written < e->nholdings)
		write_holding(w, e);
	for (; with_vms && ci < c->configs.n; ci++)
		write_config(w, e, config_at(c, ci));
	for (; with_vms && li < c->nloose; li++)
		write_loose(w, e, &c->loose[li]);
	write_findings(w, e);
}

void facts_write_collected(facts_writer *w, const collector *c)
{
	write_files(w, c, true);
}

void facts_write_late(facts_writer *w, const collector *c)
{
	emit(w, record("late"));
	write_files(w, c, false);
}

bool facts_write_end(facts_writer *w)
{
	unsigned char md[32];
	unsigned int mdlen = 0;
	EVP_DigestFinal_ex(w->sha, md, &mdlen);
	char hex[65];
	for (int i = 0; i < 32; i++)
		snprintf(hex + 2 * i, 3, "%02x", md[i]);
	json_object *o = record("end");
	put_u64(o, "records", w->records);
	json_object_object_add(o, "sha256", json_object_new_string(hex));
	const char *s = json_object_to_json_string_ext(o, JSON_FLAGS);
	bool ok = !w->failed && fprintf(w->out, "%s\n", s) > 0 && fflush(w->out) == 0 &&
		  !ferror(w->out);
	json_object_put(o);
	EVP_MD_CTX_free(w->sha);
	free(w);
	return ok;
}

