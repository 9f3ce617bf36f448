/*
 * pfx_report.c - text and JSON for PFX files and certificate files.
 *
 * Every string that came from the file (friendly names, CSP names, reasons
 * quoting OIDs) goes through cert_report_escape before it reaches a
 * terminal.  The model holds no password, so none can be printed.
 */
#include "report/pfx_report.h"

#include <stdlib.h>

#include "report/cert_report.h"
#include "report/out.h"

#define LABEL_WIDTH 16
#define INDENT1 "  "
#define INDENT2 "    "
#define INDENT3 "      "

const char *pfx_report_status_code(hv_err e)
{
	return hv_err_code(e);
}

static const char *opened_source_code(const pfx_file *p)
{
	if (p->opened_by == PFX_CAND_NULL)
		return "no_password";
	if (p->opened_by == PFX_CAND_EMPTY)
		return "empty_password";
	switch (p->opened_by_source) {
	case PW_SRC_FILE: return "password_file";
	case PW_SRC_ENV: return "environment";
	case PW_SRC_PROMPT: return "prompt";
	case PW_SRC_DEFAULT: return "default_list";
	}
	return "unknown";
}

/* Prints label: value with value escaped for the terminal ("-" when NULL). */
static void kv_escaped(FILE *o, const char *indent, const char *label, const char *val)
{
	char *e = cert_report_escape(val);

	out_kv(o, indent, LABEL_WIDTH, label, "%s", e);
	free(e);
}

/* ---- PFX text ---- */

static void text_mac(FILE *o, const pfx_file *p)
{
	if (!p->mac.present) {
		out_kv(o, INDENT1, LABEL_WIDTH, "mac", "absent (integrity not protected)");
		return;
	}
	out_kv(o, INDENT1, LABEL_WIDTH, "mac", "%s, %ld iterations, salt %zu bytes, %s%s",
	       p->mac.digest, p->mac.iterations, p->mac.salt_len,
	       p->mac.verified ? "verified" : "not verified", p->mac.weak ? ", weak" : "");
}

static void text_safes_and_bags(FILE *o, const pfx_file *p)
{
	fprintf(o, INDENT1 "contents:\n");
	for (size_t i = 0; i < p->nsafes; i++) {
		const pfx_safe *s = &p->safes[i];
		fprintf(o, INDENT2 "safe #%zu  %-14s %s", i, pfx_safe_type_name(s->type),
			s->pbe.alg);
		if (s->pbe.iterations > 0)
			fprintf(o, ", %ld iterations", s->pbe.iterations);
		fprintf(o, "%s%s\n", s->pbe.weak ? " [weak]" : "",
			s->decrypted ? "" : " [not read]");
		for (size_t b = 0; b < p->nbags; b++) {
			const pfx_bag *g = &p->bags[b];
			if (g->safe != (int)i)
				continue;
			fprintf(o, INDENT3 "bag #%zu  %-14s %s", b, pfx_bag_type_name(g->type),
				g->pbe.alg);
			if (g->pbe.iterations > 0)
				fprintf(o, ", %ld iterations", g->pbe.iterations);
			fprintf(o, "%s%s%s\n", g->pbe.weak ? " [weak]" : "",
				g->type_oid != NULL ? "  type " : "",
				g->type_oid != NULL ? g->type_oid : "");
		}
	}
}

static void text_certs(FILE *o, const pfx_file *p, time_t at)
{
	fprintf(o, INDENT1 "certificates: %zu\n", p->ncerts);
	for (size_t i = 0; i < p->ncerts; i++) {
		const pfx_cert *c = &p->certs[i];
		fprintf(o, INDENT2 "certificate #%zu\n", i);
		if (c->has_private_key)
			out_kv(o, INDENT3, LABEL_WIDTH, "private key", "yes (key #%d)", c->key);
		else
			out_kv(o, INDENT3, LABEL_WIDTH, "private key", "no");
		if (c->friendly_name != NULL)
			kv_escaped(o, INDENT3, "friendly name", c->friendly_name);
		if (c->local_key_id != NULL)
			out_kv(o, INDENT3, LABEL_WIDTH, "local key id", "%s", c->local_key_id);
		if (c->csp != NULL)
			kv_escaped(o, INDENT3, "provider", c->csp);
		cert_report_text(o, &c->cert, at, INDENT3);
	}
}

static void text_keys(FILE *o, const pfx_file *p)
{
	fprintf(o, INDENT1 "private keys: %zu\n", p->nkeys);
	for (size_t i = 0; i < p->nkeys; i++) {
		const pfx_key *k = &p->keys[i];
		if (!k->decrypted)
			fprintf(o, INDENT2 "key #%zu  not decrypted\n", i);
		else if (k->matched_cert >= 0)
			fprintf(o, INDENT2 "key #%zu  %s %d bits, belongs to certificate #%d\n",
				i, k->alg, k->bits, k->matched_cert);
		else
			fprintf(o, INDENT2 "key #%zu  %s %d bits, %s\n", i, k->alg, k->bits,
				k->consistent ? "matches no certificate in the file"
					      : "inconsistent key");
		if (k->csp != NULL)
			kv_escaped(o, INDENT3, "provider", k->csp);
		if (k->friendly_name != NULL)
			kv_escaped(o, INDENT3, "friendly name", k->friendly_name);
	}
}

void pfx_report_text(FILE *o, const char *name, const pfx_file *p, time_t at)
{
	char *n = cert_report_escape(name);

	fprintf(o, "PFX %s\n", n);
	free(n);
	out_kv(o, INDENT1, LABEL_WIDTH, "status", "%s", hv_err_name(p->status));
	if (p->reason != NULL)
		kv_escaped(o, INDENT1, "reason", p->reason);
	if (p->opened_by_label != NULL)
		out_kv(o, INDENT1, LABEL_WIDTH, "opened by", "%s", p->opened_by_label);
	else if (p->status == HV_OK)
		out_kv(o, INDENT1, LABEL_WIDTH, "opened by", "no password needed");
	if (p->dpapi_ng)
		out_kv(o, INDENT1, LABEL_WIDTH, "protected to", "an Active Directory principal "
		       "(DPAPI-NG)");
	text_mac(o, p);
	text_safes_and_bags(o, p);
	text_certs(o, p, at);
	text_keys(o, p);
	if (p->nweak > 0) {
		fprintf(o, INDENT1 "weaknesses:\n");
		for (size_t i = 0; i < p->nweak; i++) {
			char *w = cert_report_escape(p->weaknesses[i]);
			fprintf(o, INDENT2 "- %s\n", w);
			free(w);
		}
	}
}

/* ---- PFX JSON ---- */

static json_object *json_opened_by(const pfx_file *p)
{
	json_object *o;

	if (p->opened_by_label == NULL)
		return NULL;
	o = json_object_new_object();
	jadd_str(o, "source", opened_source_code(p));
	jadd_int(o, "position", p->opened_by >= 0 ? p->opened_by_position : 0);
	jadd_str(o, "label", p->opened_by_label);
	return o;
}

static json_object *json_mac(const pfx_mac *m)
{
	json_object *o = json_object_new_object();

	jadd_bool(o, "present", m->present);
	jadd_str(o, "digest", m->present ? m->digest : NULL);
	jadd_int(o, "iterations", m->iterations);
	jadd_int(o, "salt_length", (int64_t)m->salt_len);
	jadd_bool(o, "verified", m->verified);
	jadd_bool(o, "weak", m->weak);
	return o;
}

static void json_pbe(json_object *o, const pfx_pbe *pbe)
{
	jadd_str(o, "pbe", pbe->alg);
	jadd_int(o, "iterations", pbe->iterations);
	jadd_bool(o, "weak", pbe->weak);
}

static json_object *json_safes(const pfx_file *p)
{
	json_object *a = json_object_new_array();

	for (size_t i = 0; i < p->nsafes; i++) {
		json_object *o = json_object_new_object();
		jadd_int(o, "index", (int64_t)i);
		jadd_str(o, "type", pfx_safe_type_name(p->safes[i].type));
		json_pbe(o, &p->safes[i].pbe);
		jadd_bool(o, "decrypted", p->safes[i].decrypted);
		jadd_int(o, "bag_count", (int64_t)p->safes[i].nbags);
		json_object_array_add(a, o);
	}
	return a;
}

static json_object *json_bags(const pfx_file *p)
{
	json_object *a = json_object_new_array();

	for (size_t i = 0; i < p->nbags; i++) {
		json_object *o = json_object_new_object();
		jadd_int(o, "index", (int64_t)i);
		jadd_str(o, "type", pfx_bag_type_name(p->bags[i].type));
		jadd_int(o, "safe", p->bags[i].safe);
		json_pbe(o, &p->bags[i].pbe);
		jadd_str(o, "type_oid", p->bags[i].type_oid);
		json_object_array_add(a, o);
	}
	return a;
}

static json_object *json_certs(const pfx_file *p, time_t at)
{
	json_object *a = json_object_new_array();

	for (size_t i = 0; i < p->ncerts; i++) {
		const pfx_cert *c = &p->certs[i];
		json_object *o = json_object_new_object();
		jadd_int(o, "index", (int64_t)i);
		jadd_bool(o, "has_private_key", c->has_private_key);
		if (c->has_private_key)
			jadd_int(o, "key_index", c->key);
		else
			jadd_null(o, "key_index");
		jadd_str(o, "friendly_name", c->friendly_name);
		jadd_str(o, "local_key_id", c->local_key_id);
		jadd_str(o, "csp", c->csp);
		json_object_object_add(o, "certificate", cert_report_json(&c->cert, at));
		json_object_array_add(a, o);
	}
	return a;
}

static json_object *json_keys(const pfx_file *p)
{
	json_object *a = json_object_new_array();

	for (size_t i = 0; i < p->nkeys; i++) {
		const pfx_key *k = &p->keys[i];
		json_object *o = json_object_new_object();
		jadd_int(o, "index", (int64_t)i);
		jadd_str(o, "algorithm", k->decrypted ? k->alg : NULL);
		jadd_int(o, "bits", k->bits);
		jadd_bool(o, "decrypted", k->decrypted);
		jadd_bool(o, "consistent", k->consistent);
		if (k->matched_cert >= 0)
			jadd_int(o, "matched_certificate", k->matched_cert);
		else
			jadd_null(o, "matched_certificate");
		jadd_str(o, "friendly_name", k->friendly_name);
		jadd_str(o, "local_key_id", k->local_key_id);
		jadd_str(o, "csp", k->csp);
		json_object_array_add(a, o);
	}
	return a;
}

json_object *pfx_report_json(const char *name, const pfx_file *p, time_t at)
{
	json_object *o = json_object_new_object();
	json_object *w = json_object_new_array();

	jadd_str(o, "file", name);
	jadd_str(o, "format", "pfx");
	jadd_str(o, "status", pfx_report_status_code(p->status));
	jadd_str(o, "reason", p->reason);
	json_object_object_add(o, "opened_by", json_opened_by(p));
	jadd_bool(o, "dpapi_ng", p->dpapi_ng);
	jadd_int(o, "version", p->version);
	json_object_object_add(o, "mac", json_mac(&p->mac));
	json_object_object_add(o, "safes", json_safes(p));
	json_object_object_add(o, "bags", json_bags(p));
	json_object_object_add(o, "certificates", json_certs(p, at));
	json_object_object_add(o, "keys", json_keys(p));
	for (size_t i = 0; i < p->nweak; i++)
		json_object_array_add(w, json_text(p->weaknesses[i]));
	json_object_object_add(o, "weaknesses", w);
	return o;
}

/* ---- certificate files ---- */

void certfile_report_text(FILE *o, const char *name, const certfile *c, time_t at)
{
	char *n = cert_report_escape(name);

	fprintf(o, "Certificate file %s (%s)\n", n, certfile_kind_name(c->kind));
	free(n);
	out_kv(o, INDENT1, LABEL_WIDTH, "status", "%s", hv_err_name(c->status));
	if (c->reason != NULL)
		kv_escaped(o, INDENT1, "reason", c->reason);
	out_kv(o, INDENT1, LABEL_WIDTH, "private key", "%s%s",
	       c->private_key_present ? "present in PEM (unencrypted)" : "none readable",
	       c->key_needs_password ? "; an encrypted key needs a password" : "");
	fprintf(o, INDENT1 "certificates: %zu\n", c->ncerts);
	for (size_t i = 0; i < c->ncerts; i++) {
		fprintf(o, INDENT2 "certificate #%zu\n", i);
		out_kv(o, INDENT3, LABEL_WIDTH, "private key", "%s",
		       c->certs[i].has_private_key ? "yes (same PEM file)"
						   : "no (present, no private key)");
		cert_report_text(o, &c->certs[i].cert, at, INDENT3);
	}
	for (size_t i = 0; i < c->nkeys; i++) {
		const certfile_key *k = &c->keys[i];
		char *label = cert_report_escape(k->pem_label);
		fprintf(o, INDENT2 "key #%zu  %s, %s\n", i, label,
			k->encrypted ? "encrypted, not read"
				     : k->matched_cert >= 0 ? "belongs to a certificate above"
							    : "matches no certificate");
		free(label);
	}
}

json_object *certfile_report_json(const char *name, const certfile *c, time_t at)
{
	json_object *o = json_object_new_object();
	json_object *certs = json_object_new_array(), *keys = json_object_new_array();

	jadd_str(o, "file", name);
	jadd_str(o, "format", certfile_kind_name(c->kind));
	jadd_str(o, "status", pfx_report_status_code(c->status));
	jadd_str(o, "reason", c->reason);
	jadd_bool(o, "private_key_present", c->private_key_present);
	jadd_bool(o, "key_needs_password", c->key_needs_password);
	for (size_t i = 0; i < c->ncerts; i++) {
		json_object *e = json_object_new_object();
		jadd_int(e, "index", (int64_t)i);
		jadd_int(e, "offset", (int64_t)c->certs[i].offset);
		jadd_bool(e, "has_private_key", c->certs[i].has_private_key);
		if (c->certs[i].has_private_key)
			jadd_int(e, "key_index", c->certs[i].key);
		else
			jadd_null(e, "key_index");
		json_object_object_add(e, "certificate", cert_report_json(&c->certs[i].cert, at));
		json_object_array_add(certs, e);
	}
	for (size_t i = 0; i < c->nkeys; i++) {
		const certfile_key *k = &c->keys[i];
		json_object *e = json_object_new_object();
		jadd_int(e, "index", (int64_t)i);
		jadd_str(e, "pem_label", k->pem_label);
		jadd_str(e, "algorithm", k->encrypted ? NULL : k->alg);
		jadd_int(e, "bits", k->bits);
		jadd_bool(e, "encrypted", k->encrypted);
		if (k->matched_cert >= 0)
			jadd_int(e, "matched_certificate", k->matched_cert);
		else
			jadd_null(e, "matched_certificate");
		jadd_int(e, "offset", (int64_t)k->offset);
		json_object_array_add(keys, e);
	}
	json_object_object_add(o, "certificates", certs);
	json_object_object_add(o, "keys", keys);
	return o;
}
