/*
 * cert_report.c - one certificate as aligned text or as a JSON object.
 *
 * Every string that came from evidence is escaped before it reaches a
 * terminal (cert_report_escape); json-c escapes JSON strings itself.
 */
#include "report/cert_report.h"

#include <stdlib.h>
#include <string.h>

#include "report/out.h"
#include "util/strbuf.h"
#include "util/xalloc.h"

#define CERT_TEXT_WIDTH 20 /* label column of the text rendering */

/* Length of the valid UTF-8 sequence at s (1..4), or 0 when invalid. */
static size_t utf8_seq(const unsigned char *s)
{
	size_t n;
	unsigned int cp;

	if (s[0] < 0x80)
		return 1;
	if ((s[0] & 0xE0) == 0xC0) {
		n = 2;
		cp = s[0] & 0x1F;
	} else if ((s[0] & 0xF0) == 0xE0) {
		n = 3;
		cp = s[0] & 0x0F;
	} else if ((s[0] & 0xF8) == 0xF0) {
		n = 4;
		cp = s[0] & 0x07;
	} else {
		return 0;
	}
	for (size_t i = 1; i < n; i++) {
		if ((s[i] & 0xC0) != 0x80)
			return 0; /* also stops at the terminating NUL */
		cp = (cp << 6) | (s[i] & 0x3F);
	}
	static const unsigned int min_cp[5] = { 0, 0, 0x80, 0x800, 0x10000 };
	if (cp < min_cp[n] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
		return 0;
	/* C1 controls (U+0080..U+009F) are escaped like C0 ones. */
	if (cp >= 0x80 && cp <= 0x9F)
		return 0;
	return n;
}

char *cert_report_escape(const char *s)
{
	strbuf sb = STRBUF_INIT;
	const unsigned char *p = (const unsigned char *)s;

	if (s == NULL)
		return xstrdup("-");
	while (*p) {
		size_t n = utf8_seq(p);
		if (n == 0 || (n == 1 && (*p < 0x20 || *p == 0x7F))) {
			sb_addf(&sb, "\\x%02X", *p);
			p++;
			continue;
		}
		sb_add(&sb, (const char *)p, n);
		p += n;
	}
	return sb_detach(&sb);
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
