/*
 * kp_input.c - unwrap the saved forms of a key protector down to its XML.
 *
 * Each round looks at the current bytes and peels one layer:
 *   1. OctetString [confirmed: OMI wsbuf.c, key-protector.md 2.2]: be32 at 0
 *      equals the total size -> strip 4 bytes; a size of exactly 4 is "no key
 *      protector" (reported, not an error).
 *   2. Text (UTF-16LE BOM -> transcoded; UTF-8 BOM stripped; else valid UTF-8
 *      without NUL bytes):
 *        starts with '<' and the root is Protector/Wrappings -> the payload;
 *        starts with '<' otherwise -> CIM-XML, bytes from a VALUE.ARRAY;
 *        only decimal numbers 0..255 -> Out-File lines [inferred: PowerShell
 *        formats a byte[] one element per line];
 *        only base64 -> decoded.
 *   3. Binary that is not an OctetString but has XML at +4: a length prefix
 *      that disagrees with the size -> warning, then the bytes after it
 *      (up to the prefix's end when that lies inside the buffer).
 * At most KP_INPUT_MAX_LAYERS rounds; the payload is capped at the XML cap.
 */
#include "formats/kp_input.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "formats/kp.h"
#include "formats/xmlsafe.h"
#include "util/base64.h"
#include "util/strbuf.h"
#include "util/text.h"
#include "util/xalloc.h"

#define OCTET_HDR 4
#define MAX_NAME 64                /* element names looked at when sniffing the root */
#define DEFAULT_PROPERTY "KeyProtector"

static const uint8_t BOM_UTF8[3] = { 0xEF, 0xBB, 0xBF };
static const uint8_t BOM_UTF16LE[2] = { 0xFF, 0xFE };

const char *kp_form_name(kp_form form)
{
	switch (form) {
	case KP_FORM_XML:
		return "XML";
	case KP_FORM_OCTET_STRING:
		return "OctetString";
	case KP_FORM_DECIMAL_LINES:
		return "decimal lines";
	case KP_FORM_BASE64:
		return "base64";
	case KP_FORM_CIM_ARRAY:
		return "CIM VALUE.ARRAY";
	}
	return "unknown";
}

const char *kp_text_enc_name(kp_text_enc enc)
{
	switch (enc) {
	case KP_TEXT_UTF8:
		return "UTF-8";
	case KP_TEXT_UTF8_BOM:
		return "UTF-8 BOM";
	case KP_TEXT_UTF16LE_BOM:
		return "UTF-16LE BOM";
	case KP_TEXT_BINARY:
		break;
	}
	return "binary";
}

/* The bytes being unwrapped: a view of the file, or an owned decoded buffer. */
typedef struct {
	const uint8_t *p;
	size_t n;
	uint8_t *owned;
	uint64_t off;   /* offset in the file while p still points into it */
} cur_buf;

static void cur_replace(cur_buf *c, uint8_t *data, size_t n)
{
	free(c->owned);
	c->owned = data;
	c->p = data;
	c->n = n;
	c->off = HV_NO_OFFSET;
}

static void cur_skip_bytes(cur_buf *c, size_t k, size_t n)
{
	c->p += k;
	c->n = n;
	if (c->off != HV_NO_OFFSET)
		c->off += k;
}

typedef struct {
	char *s;          /* NUL-terminated UTF-8 */
	size_t n;
	kp_text_enc enc;
	size_t skipped;   /* BOM bytes skipped (UTF-8 only) */
} text_view;

/* Reads the bytes as text; false for binary. */
static bool as_text(const uint8_t *p, size_t n, text_view *t)
{
	memset(t, 0, sizeof(*t));
	if (n >= 2 && memcmp(p, BOM_UTF16LE, 2) == 0) {
		t->s = utf16le_to_utf8(p + 2, n - 2);
		t->n = strlen(t->s);
		t->enc = KP_TEXT_UTF16LE_BOM;
		return true;
	}
	if (n >= 3 && memcmp(p, BOM_UTF8, 3) == 0) {
		t->enc = KP_TEXT_UTF8_BOM;
		t->skipped = 3;
	} else {
		t->enc = KP_TEXT_UTF8;
	}
	const char *s = (const char *)p + t->skipped;
	size_t len = n - t->skipped;
	if (memchr(s, '\0', len) != NULL || !utf8_valid(s, len))
		return false;
	t->s = xstrndup(s, len);
	t->n = len;
	return true;
}

static bool is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* Local name of the first element start tag, skipping declarations/comments/PIs. */
static bool root_name(const char *s, char name[MAX_NAME + 1])
{
	for (;;) {
		while (is_space(*s))
			s++;
		if (*s != '<')
			return false;
		if (s[1] == '?' || s[1] == '!') {
			const char *end = strchr(s, '>');
			if (end == NULL)
				return false;
			s = end + 1;
			continue;
		}
		s++;
		size_t n = strcspn(s, " \t\r\n/>");
		if (n == 0 || n > MAX_NAME)
			return false;
		const char *colon = memchr(s, ':', n);
		if (colon != NULL) {
			n -= (size_t)(colon + 1 - s);
			s = colon + 1;
		}
		memcpy(name, s, n);
		name[n] = '\0';
		return true;
	}
}

/* Out-File decimal lines: numbers 0..255 separated by white space. */
static bool decimal_lines(const char *s, size_t n, size_t cap, uint8_t **out, size_t *outlen,
			  bool *crlf)
{
	size_t count = 0;

	*crlf = false;
	for (size_t i = 0; i < n;) {
		if (is_space(s[i])) {
			if (s[i] == '\r' && i + 1 < n && s[i + 1] == '\n')
				*crlf = true;
			i++;
			continue;
		}
		unsigned v = 0, digits = 0;
		while (i < n && s[i] >= '0' && s[i] <= '9') {
			v = v * 10 + (unsigned)(s[i] - '0');
			if (++digits > 3)
				return false;
			i++;
		}
		if (digits == 0 || v > 255 || (i < n && !is_space(s[i])))
			return false;
		count++;
	}
	if (count == 0 || count > cap)
		return false;
	uint8_t *b = xmalloc(count);
	size_t k = 0;
	for (size_t i = 0; i < n;) {
		if (is_space(s[i])) {
			i++;
			continue;
		}
		unsigned v = 0;
		while (i < n && s[i] >= '0' && s[i] <= '9')
			v = v * 10 + (unsigned)(s[i++] - '0');
		b[k++] = (uint8_t)v;
	}
	*out = b;
	*outlen = count;
	return true;
}

/* Strips an XML declaration (its encoding label no longer applies after transcoding). */
static void drop_declaration(text_view *t)
{
	const char *s = t->s;

	while (is_space(*s))
		s++;
	if (strncmp(s, "<?xml", 5) != 0 || !is_space(s[5]))
		return;
	const char *end = strstr(s, "?>");
	if (end == NULL)
		return;
	end += 2;
	size_t rest = t->n - (size_t)(end - t->s);
	memmove(t->s, end, rest + 1);
	t->n = rest;
}

/* ------------------------------------------------------------ CIM-XML */

/* Next element in document order under top, without recursion. */
static xmlNode *next_elem(xmlNode *n, const xmlNode *top)
{
	if (n->children != NULL)
		return n->children;
	while (n != NULL && n != top && n->next == NULL)
		n = n->parent;
	return n == NULL || n == top ? NULL : n->next;
}

/* Bytes of a VALUE.ARRAY of decimal VALUEs; false when any value is not a byte. */
static bool value_array_bytes(const xmlNode *va, size_t cap, uint8_t **out, size_t *len)
{
	size_t n = 0, k = 0;

	for (xmlNode *v = va->children; v; v = v->next)
		if (xml_is(v, "VALUE") && ++n > cap)
			return false;
	if (n == 0)
		return false;
	uint8_t *b = xmalloc(n);
	for (xmlNode *v = va->children; v; v = v->next) {
		if (!xml_is(v, "VALUE"))
			continue;
		char *t = xml_text(v);
		char *end = NULL;
		unsigned long x = strtoul(t, &end, 10);
		bool ok = *t >= '0' && *t <= '9' && *end == '\0' && x <= 255 && strlen(t) <= 3;
		free(t);
		if (!ok) {
			free(b);
			return false;
		}
		b[k++] = (uint8_t)x;
	}
	*out = b;
	*len = n;
	return true;
}

/* The NAME of the PROPERTY.ARRAY holding va, or NULL. */
static char *array_property(const xmlNode *va)
{
	const xmlNode *p = va->parent;

	return p != NULL && xml_is(p, "PROPERTY.ARRAY") ? xml_attr(p, "NAME") : NULL;
}

typedef struct {
	const char *src;
	uint64_t off;
	hv_findings *f;
	const char *want;   /* requested property or NULL */
} cim_req;

static hv_err cim_bytes(const cim_req *r, const text_view *t, size_t cap, uint8_t **out,
			size_t *len, char **prop)
{
	xmlDocPtr doc = xml_parse_safe(t->s, t->n, r->src, r->off, r->f);
	xmlNode *best = NULL, *first = NULL;
	strbuf others = STRBUF_INIT;
	const char *want = r->want ? r->want : DEFAULT_PROPERTY;

	if (doc == NULL)
		return HV_ERR_FORMAT;
	xmlNode *root = xmlDocGetRootElement(doc);
	for (xmlNode *n = root; n != NULL; n = next_elem(n, root)) {
		if (!xml_is(n, "VALUE.ARRAY"))
			continue;
		char *name = array_property(n);
		if (best == NULL && name != NULL && strcasecmp(name, want) == 0)
			best = n;
		if (first == NULL)
			first = n;
		free(name);
	}
	if (best == NULL && r->want == NULL)
		best = first;
	for (xmlNode *n = root; n != NULL && best != NULL; n = next_elem(n, root)) {
		char *name = n != best && xml_is(n, "VALUE.ARRAY") ? array_property(n) : NULL;
		if (name != NULL && others.len < 512)
			sb_addf(&others, "%s%.64s", others.len ? ", " : "", name);
		free(name);
	}
	hv_err e = HV_ERR_FORMAT;
	if (best == NULL) {
		findings_add(r->f, HV_SEV_ERROR, r->src, r->off, "XML is neither a key protector "
			     "nor a CIM document with a %s byte array", want);
	} else if (!value_array_bytes(best, cap, out, len)) {
		findings_add(r->f, HV_SEV_ERROR, r->src, r->off, "CIM VALUE.ARRAY (line %ld) holds "
			     "values that are not bytes 0..255, or none", xmlGetLineNo(best));
	} else {
		*prop = array_property(best);
		if (others.len)
			findings_add(r->f, HV_SEV_NOTE, r->src, r->off, "CIM document also holds "
				     "byte arrays: %s", sb_str(&others));
		e = HV_OK;
	}
	sb_free(&others);
	xmlFreeDoc(doc);
	return e;
}

/* ------------------------------------------------------------ layers */

typedef struct {
	const char *src;
	const char *want;
	hv_findings *f;
	kp_input *in;
	cur_buf cur;
} norm_ctx;

static kp_layer *push(norm_ctx *c, kp_form form, kp_text_enc enc)
{
	kp_layer *l = &c->in->layers[c->in->nlayers++];

	l->form = form;
	l->enc = enc;
	return l;
}

static uint64_t here(const norm_ctx *c)
{
	return c->cur.off;
}

/* XML at p (BOM or '<' after optional white space)? */
static bool looks_xml(const uint8_t *p, size_t n)
{
	size_t i = 0;

	if (n >= 3 && memcmp(p, BOM_UTF8, 3) == 0)
		return true;
	if (n >= 2 && memcmp(p, BOM_UTF16LE, 2) == 0)
		return true;
	while (i < n && i < 16 && is_space((char)p[i]))
		i++;
	return i < n && p[i] == '<';
}

/* The payload is the text: final layer. */
static hv_err take_xml(norm_ctx *c, text_view *t)
{
	kp_input *in = c->in;

	push(c, KP_FORM_XML, t->enc);
	if (t->enc == KP_TEXT_UTF16LE_BOM)
		drop_declaration(t);
	if (t->n > HV_XML_MAX_BYTES) {
		findings_add(c->f, HV_SEV_ERROR, c->src, here(c), "key protector XML of %zu bytes "
			     "is over the %u-byte cap", t->n, HV_XML_MAX_BYTES);
		return HV_ERR_LIMIT;
	}
	in->payload = (uint8_t *)t->s;
	in->len = t->n;
	t->s = NULL;
	in->payload_offset = t->enc == KP_TEXT_UTF16LE_BOM || here(c) == HV_NO_OFFSET
				     ? HV_NO_OFFSET
				     : here(c) + t->skipped;
	return HV_OK;
}

/* One text layer; *done when the payload was reached. */
static hv_err text_layer(norm_ctx *c, text_view *t, bool *done)
{
	const size_t cap = (size_t)HV_XML_MAX_BYTES + OCTET_HDR;
	const char *s = t->s;
	char name[MAX_NAME + 1];
	uint8_t *b = NULL;
	size_t n = 0;
	bool crlf = false;

	*done = false;
	while (is_space(*s))
		s++;
	if (*s == '<') {
		if (root_name(s, name) &&
		    (strcmp(name, "Protector") == 0 || strcmp(name, "Wrappings") == 0)) {
			*done = true;
			return take_xml(c, t);
		}
		cim_req r = { c->src, here(c), c->f, c->want };
		char *prop = NULL;
		hv_err e = cim_bytes(&r, t, cap, &b, &n, &prop);
		if (e != HV_OK)
			return e;
		push(c, KP_FORM_CIM_ARRAY, t->enc);
		free(c->in->property);
		c->in->property = prop;
	} else if (decimal_lines(t->s, t->n, cap, &b, &n, &crlf)) {
		push(c, KP_FORM_DECIMAL_LINES, t->enc)->crlf = crlf;
	} else if (hv_base64_decode(t->s, t->n, cap, 0, &b, &n, NULL) && n >= OCTET_HDR) {
		push(c, KP_FORM_BASE64, t->enc)->crlf = strstr(t->s, "\r\n") != NULL;
	} else {
		free(b);
		findings_add(c->f, HV_SEV_ERROR, c->src, here(c), "text that is neither key "
			     "protector XML, decimal byte lines nor base64");
		return HV_ERR_FORMAT;
	}
	cur_replace(&c->cur, b, n);
	return HV_OK;
}

/* A 4-byte prefix in front of XML that does not match the size. */
static bool mismatched_prefix(norm_ctx *c)
{
	cur_buf *cb = &c->cur;

	if (cb->n <= OCTET_HDR || !looks_xml(cb->p + OCTET_HDR, cb->n - OCTET_HDR) ||
	    looks_xml(cb->p, OCTET_HDR))
		return false;
	uint32_t v = ld32be(cb->p);
	size_t take = cb->n - OCTET_HDR;
	if (v > OCTET_HDR && v < cb->n) {
		take = v - OCTET_HDR;
		findings_add(c->f, HV_SEV_WARN, c->src, here(c), "length prefix %u is smaller than "
			     "the %zu bytes present; %zu trailing bytes ignored", v, cb->n,
			     cb->n - v);
	} else {
		findings_add(c->f, HV_SEV_WARN, c->src, here(c), "length prefix %u disagrees with "
			     "the %zu bytes present; reading the bytes after it", v, cb->n);
	}
	push(c, KP_FORM_OCTET_STRING, KP_TEXT_BINARY)->length_mismatch = true;
	cur_skip_bytes(cb, OCTET_HDR, take);
	return true;
}

static hv_err one_layer(norm_ctx *c, bool *done)
{
	cur_buf *cb = &c->cur;
	text_view t;

	*done = false;
	if (cb->n >= OCTET_HDR && ld32be(cb->p) == cb->n) {
		push(c, KP_FORM_OCTET_STRING, KP_TEXT_BINARY);
		if (cb->n == OCTET_HDR) {
			c->in->empty = true;
			*done = true;
			return HV_OK;
		}
		cur_skip_bytes(cb, OCTET_HDR, cb->n - OCTET_HDR);
		return HV_OK;
	}
	if (as_text(cb->p, cb->n, &t)) {
		hv_err e = text_layer(c, &t, done);
		free(t.s);
		return e;
	}
	if (mismatched_prefix(c))
		return HV_OK;
	findings_add(c->f, HV_SEV_ERROR, c->src, here(c), "%zu bytes in no known key protector "
		     "form", cb->n);
	return HV_ERR_FORMAT;
}

static char *describe(const kp_input *in)
{
	strbuf sb = STRBUF_INIT;

	for (size_t i = 0; i < in->nlayers; i++) {
		const kp_layer *l = &in->layers[i];
		sb_addf(&sb, "%s%s", i ? " > " : "", kp_form_name(l->form));
		if (l->form == KP_FORM_CIM_ARRAY && in->property)
			sb_addf(&sb, " %.64s", in->property);
		if (l->enc != KP_TEXT_BINARY || l->crlf || l->length_mismatch) {
			sb_adds(&sb, " (");
			if (l->length_mismatch)
				sb_adds(&sb, "length prefix disagrees");
			else
				sb_adds(&sb, kp_text_enc_name(l->enc));
			if (l->form == KP_FORM_DECIMAL_LINES || l->form == KP_FORM_BASE64)
				sb_adds(&sb, l->crlf ? ", CRLF" : ", LF");
			sb_adds(&sb, ")");
		}
	}
	if (in->empty)
		sb_adds(&sb, " = no key protector");
	return sb_detach(&sb);
}

hv_err kp_input_normalize_property(span_t file, const char *src, const char *property,
				   kp_input *out, hv_findings *f)
{
	norm_ctx c = { .src = src, .want = property, .f = f, .in = out };
	hv_err e = HV_OK;
	bool done = false;

	memset(out, 0, sizeof(*out));
	out->payload_offset = HV_NO_OFFSET;
	if (file.len > KP_INPUT_MAX_FILE) {
		findings_add(f, HV_SEV_ERROR, src, 0, "%zu bytes is over the %u-byte key protector "
			     "input cap", file.len, KP_INPUT_MAX_FILE);
		return HV_ERR_LIMIT;
	}
	if (file.len == 0) {
		findings_add(f, HV_SEV_ERROR, src, 0, "empty file");
		return HV_ERR_FORMAT;
	}
	c.cur = (cur_buf){ file.data, file.len, NULL, 0 };
	while (!done && e == HV_OK) {
		if (out->nlayers == KP_INPUT_MAX_LAYERS) {
			findings_add(f, HV_SEV_ERROR, src, 0, "more than %d nested encodings: "
				     "refused", KP_INPUT_MAX_LAYERS);
			e = HV_ERR_LIMIT;
			break;
		}
		e = one_layer(&c, &done);
	}
	free(c.cur.owned);
	if (e != HV_OK) {
		kp_input_free(out);
		return e;
	}
	out->description = describe(out);
	return HV_OK;
}

hv_err kp_input_normalize(span_t file, const char *src, kp_input *out, hv_findings *f)
{
	return kp_input_normalize_property(file, src, NULL, out, f);
}

void kp_input_free(kp_input *in)
{
	if (in == NULL)
		return;
	free(in->payload);
	free(in->property);
	free(in->description);
	memset(in, 0, sizeof(*in));
	in->payload_offset = HV_NO_OFFSET;
}
