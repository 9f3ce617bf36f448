/*
 * kp_report.c - text and JSON renderings of key protectors, their saved
 * forms, comparisons, carve hits and guardian metadata.
 *
 * Evidence strings (URIs, names) are escaped for terminals through
 * cert_report_escape; JSON strings are escaped by json-c.  Only lengths of
 * CipherValue/SignatureValue exist in the model, so none can leak here.
 */
#include "report/kp_report.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "report/cert_report.h"
#include "util/xalloc.h"

#define KP_TEXT_WIDTH 24
#define CERT_INDENT "        "

/* A labelled line; an empty label continues the previous one (no colon). */
static void text_line(FILE *o, const char *indent, const char *label, const char *value)
{
	char *v = cert_report_escape(value);

	if (*label)
		out_kv(o, indent, KP_TEXT_WIDTH, label, "%s", v);
	else
		fprintf(o, "%s%*s%s\n", indent, KP_TEXT_WIDTH + 2, "", v);
	free(v);
}

/* ------------------------------------------------------------------ JSON */

static json_object *sig_json(const kp_signature *s)
{
	json_object *o = json_object_new_object();

	jadd_bool(o, "present", s->present);
	jadd_str(o, "algorithm", s->algorithm);
	jadd_int(o, "value_length", (int64_t)s->value_len);
	jadd_str(o, "status", kp_sig_status_name(s->status));
	jadd_str(o, "reason", s->reason);
	return o;
}

static void add_cert(json_object *o, const char *key, const hv_cert *c, time_t at)
{
	json_object_object_add(o, key, c->x509 ? cert_report_json(c, at) : NULL);
}

static json_object *wrapping_json(const kp_wrapping *w, time_t at)
{
	json_object *o = json_object_new_object();
	json_object *alg = json_object_new_object();
	json_object *sig = json_object_new_object();

	if (w->has_id)
		jadd_int(o, "id", w->id);
	else
		jadd_null(o, "id");
	if (w->has_parent)
		jadd_int(o, "parent_id", w->parent_id);
	else
		jadd_null(o, "parent_id");
	jadd_bool(o, "is_owner", w->is_owner);
	jadd_bool(o, "chains_to_owner", w->chains_to_owner);
	jadd_int(o, "line", w->line);
	add_cert(o, "signing_certificate", &w->signing, at);
	add_cert(o, "encryption_certificate", &w->encryption, at);
	jadd_str(alg, "signing_certificate_signature", w->signing_sig.algorithm);
	jadd_str(alg, "encryption_certificate_signature", w->encryption_sig.algorithm);
	jadd_str(alg, "transport_key", w->transport_alg);
	json_object_object_add(o, "algorithms", alg);
	jadd_int(o, "transport_key_cipher_length", (int64_t)w->transport_cipher_len);
	json_object_object_add(sig, "signing_certificate", sig_json(&w->signing_sig));
	json_object_object_add(sig, "encryption_certificate", sig_json(&w->encryption_sig));
	json_object_object_add(o, "signatures", sig);
	return o;
}

json_object *kp_report_json(const kp_doc *d, time_t at)
{
	json_object *o = json_object_new_object();
	json_object *algs = json_object_new_array();
	json_object *ws = json_object_new_array();

	jadd_str(o, "namespace_prefix", d->ns_prefix);
	if (d->has_max_offline_unwraps)
		json_object_object_add(o, "max_offline_unwraps",
				       json_object_new_uint64(d->max_offline_unwraps));
	else
		jadd_null(o, "max_offline_unwraps");
	if (d->owner >= 0 && d->w[d->owner].has_id)
		jadd_int(o, "owner_wrapping_id", d->w[d->owner].id);
	else
		jadd_null(o, "owner_wrapping_id");
	jadd_int(o, "owner_count", (int64_t)d->owner_count);
	if (d->has_guardian_sig_id)
		jadd_int(o, "guardian_signature_wrapping_id", d->guardian_sig_wrapping_id);
	else
		jadd_null(o, "guardian_signature_wrapping_id");
	json_object_object_add(o, "guardian_signature",
			       d->has_guardian_sig ? sig_json(&d->guardian_sig) : NULL);
	jadd_str(o, "key_derivation_algorithm", d->tks_kdf_alg);
	json_object_object_add(o, "transport_key_signature",
			       d->tks_sig.present ? sig_json(&d->tks_sig) : NULL);
	for (size_t i = 0; i < d->nalgorithms; i++)
		json_object_array_add(algs, json_text(d->algorithms[i]));
	json_object_object_add(o, "algorithms", algs);
	jadd_int(o, "problems", (int64_t)d->problems);
	for (size_t i = 0; i < d->n; i++)
		json_object_array_add(ws, wrapping_json(&d->w[i], at));
	json_object_object_add(o, "wrappings", ws);
	return o;
}

/* ------------------------------------------------------------------ text */

static void sig_text(FILE *o, const char *indent, const char *label, const kp_signature *s)
{
	char *r = cert_report_escape(s->reason);

	out_kv(o, indent, KP_TEXT_WIDTH, label, "%s%s%s", kp_sig_status_name(s->status),
	       s->reason ? " - " : "", s->reason ? r : "");
	free(r);
}

static void cert_block(FILE *o, const char *label, const hv_cert *c, time_t at)
{
	fprintf(o, "    %s:\n", label);
	if (c->x509)
		cert_report_text(o, c, at, CERT_INDENT);
	else
		fprintf(o, "%s(missing or unreadable)\n", CERT_INDENT);
}

static void wrapping_text(FILE *o, const kp_wrapping *w, size_t idx, time_t at)
{
	char id[40], parent[48];

	if (w->has_id)
		snprintf(id, sizeof(id), "%u", w->id);
	else
		snprintf(id, sizeof(id), "#%zu (no Id)", idx + 1);
	if (!w->has_parent)
		snprintf(parent, sizeof(parent), "(none)");
	else if (w->is_owner)
		snprintf(parent, sizeof(parent), "%u (self: owner)", w->parent_id);
	else
		snprintf(parent, sizeof(parent), "%u", w->parent_id);
	fprintf(o, "\n  Wrapping %s%s\n", id, w->is_owner ? " - owner" : " - guardian");
	out_kv(o, "    ", KP_TEXT_WIDTH, "parent wrapping", "%s", parent);
	out_kv(o, "    ", KP_TEXT_WIDTH, "chains to owner", "%s",
	       w->chains_to_owner ? "yes" : "NO");
	char *alg = cert_report_escape(w->transport_alg);
	out_kv(o, "    ", KP_TEXT_WIDTH, "transport key", "%s, %zu-byte cipher value", alg,
	       w->transport_cipher_len);
	free(alg);
	cert_block(o, "signing certificate", &w->signing, at);
	sig_text(o, "    ", "signing cert signature", &w->signing_sig);
	cert_block(o, "encryption certificate", &w->encryption, at);
	sig_text(o, "    ", "encryption cert sig.", &w->encryption_sig);
}

void kp_report_text(FILE *o, const kp_doc *d, time_t at)
{
	fprintf(o, "Key protector (MS-KPS Protector)\n");
	text_line(o, "  ", "namespace prefix", *d->ns_prefix ? d->ns_prefix : "(default)");
	if (d->has_max_offline_unwraps)
		out_kv(o, "  ", KP_TEXT_WIDTH, "MaxOfflineUnwraps", "%" PRIu64,
		       d->max_offline_unwraps);
	else
		out_kv(o, "  ", KP_TEXT_WIDTH, "MaxOfflineUnwraps", "(absent)");
	if (d->owner >= 0)
		out_kv(o, "  ", KP_TEXT_WIDTH, "wrappings", "%zu (owner Id %u, %zu guardian%s)",
		       d->n, d->w[d->owner].id, d->n - 1, d->n == 2 ? "" : "s");
	else
		out_kv(o, "  ", KP_TEXT_WIDTH, "wrappings",
		       "%zu (%zu self-parented: no single owner)", d->n, d->owner_count);
	if (d->has_guardian_sig) {
		if (d->has_guardian_sig_id)
			out_kv(o, "  ", KP_TEXT_WIDTH, "guardian signature by", "wrapping %u",
			       d->guardian_sig_wrapping_id);
		sig_text(o, "  ", "guardian signature", &d->guardian_sig);
	}
	if (d->tks_sig.present)
		sig_text(o, "  ", "transport key sig.", &d->tks_sig);
	for (size_t i = 0; i < d->nalgorithms; i++)
		text_line(o, "  ", i == 0 ? "algorithms" : "", d->algorithms[i]);
	out_kv(o, "  ", KP_TEXT_WIDTH, "structural problems", "%zu", d->problems);
	for (size_t i = 0; i < d->n; i++)
		wrapping_text(o, &d->w[i], i, at);
}

/* ----------------------------------------------------------- saved forms */

json_object *kp_input_report_json(const kp_input *in)
{
	json_object *o = json_object_new_object();
	json_object *layers = json_object_new_array();

	jadd_str(o, "description", in->description);
	jadd_bool(o, "empty", in->empty);
	jadd_str(o, "property", in->property);
	for (size_t i = 0; i < in->nlayers; i++) {
		json_object *l = json_object_new_object();
		jadd_str(l, "form", kp_form_name(in->layers[i].form));
		jadd_str(l, "encoding", kp_text_enc_name(in->layers[i].enc));
		jadd_bool(l, "crlf", in->layers[i].crlf);
		jadd_bool(l, "length_mismatch", in->layers[i].length_mismatch);
		json_object_array_add(layers, l);
	}
	json_object_object_add(o, "layers", layers);
	return o;
}

void kp_input_report_text(FILE *o, const kp_input *in)
{
	text_line(o, "  ", "saved form", in->description);
	if (in->empty)
		out_kv(o, "  ", KP_TEXT_WIDTH, "key protector", "none (00 00 00 04)");
}

/* ------------------------------------------------------------- compare */

static json_object *pair_json(const kp_pair *p)
{
	json_object *o = json_object_new_object();

	jadd_str(o, "signing_thumbprint", *p->signing ? p->signing : NULL);
	jadd_str(o, "encryption_thumbprint", *p->encryption ? p->encryption : NULL);
	return o;
}

static json_object *pairs_json(const kp_pair *p, size_t n)
{
	json_object *a = json_object_new_array();

	for (size_t i = 0; i < n; i++)
		json_object_array_add(a, pair_json(&p[i]));
	return a;
}

static json_object *strs_json(char *const *s, size_t n)
{
	json_object *a = json_object_new_array();

	for (size_t i = 0; i < n; i++)
		json_object_array_add(a, json_text(s[i]));
	return a;
}

json_object *kp_compare_report_json(const kp_diff *d)
{
	json_object *o = json_object_new_object();

	jadd_bool(o, "same", d->same);
	jadd_bool(o, "owner_differs", d->owner_differs);
	json_object_object_add(o, "owner_current", pair_json(&d->owner_a));
	json_object_object_add(o, "owner_last_known_good", pair_json(&d->owner_b));
	jadd_bool(o, "max_offline_unwraps_differs", d->max_offline_differs);
	jadd_int(o, "common_wrappings", (int64_t)d->n_common);
	json_object_object_add(o, "only_in_current", pairs_json(d->only_a, d->n_only_a));
	json_object_object_add(o, "only_in_last_known_good", pairs_json(d->only_b, d->n_only_b));
	json_object_object_add(o, "algorithms_only_in_current",
			       strs_json(d->alg_only_a, d->n_alg_only_a));
	json_object_object_add(o, "algorithms_only_in_last_known_good",
			       strs_json(d->alg_only_b, d->n_alg_only_b));
	return o;
}

static void pairs_text(FILE *o, const char *label, const kp_pair *p, size_t n)
{
	char line[128];

	for (size_t i = 0; i < n; i++) {
		const char *sg = *p[i].signing ? p[i].signing : "-";
		const char *en = *p[i].encryption ? p[i].encryption : "-";
		snprintf(line, sizeof(line), "signing %s / encryption %s", sg, en);
		text_line(o, "  ", i == 0 ? label : "", line);
	}
}

void kp_compare_report_text(FILE *o, const kp_diff *d)
{
	fprintf(o, "Current vs last-known-good key protector: %s\n",
		d->same ? "same certificates, owner and settings" : "DIFFERENT");
	out_kv(o, "  ", KP_TEXT_WIDTH, "owner", "%s", d->owner_differs ? "differs" : "same");
	if (d->owner_differs) {
		pairs_text(o, "owner (current)", &d->owner_a, 1);
		pairs_text(o, "owner (last known good)", &d->owner_b, 1);
	}
	out_kv(o, "  ", KP_TEXT_WIDTH, "MaxOfflineUnwraps", "%s",
	       d->max_offline_differs ? "differs" : "same");
	out_kv(o, "  ", KP_TEXT_WIDTH, "common wrappings", "%zu", d->n_common);
	pairs_text(o, "only in current", d->only_a, d->n_only_a);
	pairs_text(o, "only in last known good", d->only_b, d->n_only_b);
	for (size_t i = 0; i < d->n_alg_only_a; i++)
		text_line(o, "  ", i == 0 ? "algorithms only current" : "", d->alg_only_a[i]);
	for (size_t i = 0; i < d->n_alg_only_b; i++)
		text_line(o, "  ", i == 0 ? "algorithms only LKG" : "", d->alg_only_b[i]);
}

/* --------------------------------------------------------------- carving */

json_object *kp_carve_report_json(const kp_carve_result *r, time_t at)
{
	json_object *o = json_object_new_object();
	json_object *hits = json_object_new_array();

	jadd_bool(o, "heuristic", true);
	jadd_int(o, "candidates", (int64_t)r->candidates);
	jadd_int(o, "skipped", (int64_t)r->skipped);
	for (size_t i = 0; i < r->n; i++) {
		const kp_carve_hit *h = &r->v[i];
		json_object *j = json_object_new_object();
		jadd_int(j, "offset", (int64_t)h->offset);
		jadd_int(j, "xml_offset", (int64_t)h->xml_offset);
		jadd_int(j, "length", (int64_t)h->length);
		jadd_str(j, "encoding", kp_carve_enc_name(h->enc));
		jadd_bool(j, "bom", h->bom);
		jadd_bool(j, "declaration", h->declaration);
		jadd_bool(j, "length_prefix", h->length_prefix);
		jadd_str(j, "result", hv_err_code(h->result));
		json_object_object_add(j, "key_protector",
				       h->result == HV_OK ? kp_report_json(&h->doc, at) : NULL);
		json_object_array_add(hits, j);
	}
	json_object_object_add(o, "hits", hits);
	return o;
}

void kp_carve_report_text(FILE *o, const kp_carve_result *r, time_t at)
{
	fprintf(o, "Carved key protectors (HEURISTIC): %zu hits, %zu candidates, %zu skipped\n",
		r->n, r->candidates, r->skipped);
	for (size_t i = 0; i < r->n; i++) {
		const kp_carve_hit *h = &r->v[i];
		fprintf(o, "\nHit %zu at offset 0x%" PRIX64 " (%" PRIu64 " bytes, %s%s%s%s): %s\n",
			i + 1, h->offset, h->length, kp_carve_enc_name(h->enc),
			h->bom ? ", BOM" : "", h->declaration ? ", XML declaration" : "",
			h->length_prefix ? ", length prefix" : "", hv_err_name(h->result));
		if (h->result == HV_OK)
			kp_report_text(o, &h->doc, at);
	}
}

/* -------------------------------------------------------------- guardian */

json_object *guardian_report_json(const guardian_doc *g, time_t at)
{
	json_object *o = json_object_new_object();
	json_object *certs = json_object_new_array();

	jadd_str(o, "root", g->root);
	jadd_str(o, "namespace", g->ns);
	jadd_bool(o, "is_metadata", g->is_metadata);
	jadd_str(o, "name", g->name);
	jadd_str(o, "version", g->version);
	for (size_t i = 0; i < g->ncerts; i++) {
		json_object *c = json_object_new_object();
		jadd_str(c, "element", g->certs[i].element);
		jadd_int(c, "line", g->certs[i].line);
		json_object_object_add(c, "certificate", cert_report_json(&g->certs[i].cert, at));
		json_object_array_add(certs, c);
	}
	json_object_object_add(o, "certificates", certs);
	return o;
}

void guardian_report_text(FILE *o, const guardian_doc *g, time_t at)
{
	fprintf(o, "Guardian %s\n", g->is_metadata ? "metadata" : "certificate list (liberal "
		"reading)");
	text_line(o, "  ", "root element", g->root);
	text_line(o, "  ", "namespace", g->ns ? g->ns : "(none)");
	text_line(o, "  ", "name", g->name ? g->name : "(not in the file)");
	if (g->version)
		text_line(o, "  ", "version", g->version);
	for (size_t i = 0; i < g->ncerts; i++) {
		char *e = cert_report_escape(g->certs[i].element);
		fprintf(o, "    %s (line %ld):\n", e, g->certs[i].line);
		free(e);
		cert_report_text(o, &g->certs[i].cert, at, CERT_INDENT);
	}
}
