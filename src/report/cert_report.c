/*
 * cert_report.c - one certificate as aligned text or as a JSON object.
 *
 * Every string that came from evidence is escaped before it reaches a
 * terminal (cert_report_escape); json-c escapes JSON strings itself.
 */
#include "report/cert_report.h"

#include "report/term.h"

#include <stdlib.h>
#include <string.h>

#include "report/out.h"
#include "util/strbuf.h"
#include "util/xalloc.h"

#define CERT_TEXT_WIDTH 20 /* label column of the text rendering */

char *cert_report_escape(const char *s)
{
	return term_escape(s);
}

/* Splits a comma-separated list into a JSON array of strings. */
static json_object *list_json(const char *csv)
{
	json_object *a = json_object_new_array();

	if (csv == NULL || *csv == '\0')
		return a;
	const char *p = csv;
	for (;;) {
		const char *e = strchr(p, ',');
		size_t n = e ? (size_t)(e - p) : strlen(p);
		json_object_array_add(a, json_object_new_string_len(p, (int)n));
		if (!e)
			break;
		p = e + 1;
	}
	return a;
}

json_object *cert_report_json(const hv_cert *c, time_t at)
{
	if (c == NULL || c->x509 == NULL)
		return NULL;
	json_object *o = json_object_new_object();
	long left = cert_days_left(c, at);

	jadd_str(o, "role", cert_role_name(c->role));
	jadd_str(o, "guardian", c->guardian);
	jadd_str(o, "host", c->host);
	jadd_str(o, "thumbprint_sha1", c->thumbprint);
	jadd_str(o, "sha256", c->sha256);
	jadd_str(o, "subject", c->subject);
	jadd_str(o, "issuer", c->issuer);
	jadd_str(o, "serial", c->serial);
	jadd_str(o, "not_before", c->not_before_iso);
	jadd_str(o, "not_after", c->not_after_iso);
	jadd_int(o, "days_left", left);
	jadd_bool(o, "expired", at > c->not_after);
	jadd_str(o, "key_algorithm", c->key_alg);
	jadd_int(o, "key_bits", c->key_bits);
	json_object_object_add(o, "key_usage", list_json(c->key_usage));
	json_object_object_add(o, "extended_key_usage", list_json(c->ext_key_usage));
	jadd_str(o, "signature_algorithm", c->sig_alg);
	jadd_bool(o, "self_signed", c->self_signed);
	return o;
}

static void line(FILE *o, const char *indent, const char *label, const char *value)
{
	char *v = cert_report_escape(value);

	out_kv(o, indent, CERT_TEXT_WIDTH, label, "%s", *v ? v : "-");
	free(v);
}

void cert_report_text(FILE *o, const hv_cert *c, time_t at, const char *indent)
{
	if (c == NULL || c->x509 == NULL) {
		out_kv(o, indent, CERT_TEXT_WIDTH, "certificate", "(absent)");
		return;
	}
	long left = cert_days_left(c, at);

	line(o, indent, "role", cert_role_name(c->role));
	if (c->role != CERT_ROLE_OTHER) {
		line(o, indent, "guardian", c->guardian);
		line(o, indent, "host", c->host);
	}
	line(o, indent, "subject", c->subject);
	line(o, indent, "issuer", c->issuer);
	line(o, indent, "thumbprint (SHA-1)", c->thumbprint);
	line(o, indent, "SHA-256", c->sha256);
	line(o, indent, "serial", c->serial);
	line(o, indent, "not before", c->not_before_iso);
	out_kv(o, indent, CERT_TEXT_WIDTH, "not after", "%s (%s%ld days%s)", c->not_after_iso,
	       left < 0 ? "expired " : "", left < 0 ? -left : left, left < 0 ? " ago" : " left");
	out_kv(o, indent, CERT_TEXT_WIDTH, "key", "%s %d bits", c->key_alg, c->key_bits);
	line(o, indent, "key usage", c->key_usage);
	line(o, indent, "extended key usage", c->ext_key_usage);
	line(o, indent, "signature algorithm", c->sig_alg);
	out_kv(o, indent, CERT_TEXT_WIDTH, "self-signed", "%s", c->self_signed ? "yes" : "no");
}
