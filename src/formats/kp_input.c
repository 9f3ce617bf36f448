/*
 * kp_input.c - unwrap the saved forms of a key protector down to its XML.
 *
 * Each round looks at the current bytes and peels one layer:
 *   1. OctetString [confirmed: OMI wsbuf.c, docs/key-protector.md s.2.2]: be32 at 0
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
 *
 * Damaged forms are HV_ERR_CORRUPT, not HV_ERR_FORMAT ("not a key protector"),
 * when the bytes are clearly an attempt at that form [synthesized thresholds]:
 *   - decimal lines: at least DEC_ATTEMPT_MIN tokens are bytes 0..255 and at
 *     most one token in DEC_BAD_RATIO is not (a value over 255, a word);
 *   - base64: starts with a base64 character, every white-space separated
 *     token but the last is at least B64_ATTEMPT_RUN characters long, the
 *     first one holds a character that is not a hex digit (a hash is not an
 *     attempt) and at most one character in B64_BAD_RATIO is outside the
 *     alphabet, yet the text does not decode (bad character, cut short);
 *   - CIM-XML: the text holds <VALUE.ARRAY/<PROPERTY.ARRAY but does not
 *     parse, or the array of the requested property (KeyProtector by default)
 *     holds a value that is not a byte;
 *   - a length prefix smaller than the bytes present in front of a
 *     Protector/Wrappings document that continues past the prefix's end.
 * Anything else (random bytes, other XML, PFX, ...) stays HV_ERR_FORMAT.
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
#define DEC_ATTEMPT_MIN 16         /* byte tokens before text counts as decimal lines */
#define DEC_BAD_RATIO 8            /* at most one bad token per this many good ones */
#define B64_ATTEMPT_RUN 64         /* shortest base64 line (PowerShell wraps at 76) */
#define B64_BAD_RATIO 32           /* at most one foreign character per this many */
#define PREFIX_SNIFF_BYTES 512     /* bytes after a length prefix looked at for the root */
#define CIM_VALUE_ARRAY "<VALUE.ARRAY"
#define CIM_PROPERTY_ARRAY "<PROPERTY.ARRAY"

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

/* What a scan of white-space separated tokens found. */
typedef struct {
	size_t good;       /* tokens that are bytes 0..255 */
	size_t bad;        /* other tokens */
	size_t bad_line;   /* 1-based line of the first bad token */
	bool crlf;
} dec_scan;

/* Length of the token at s[i..n) when it is a decimal byte, else 0. */
static size_t byte_token(const char *s, size_t i, size_t n)
{
	unsigned v = 0;
	size_t k = 0;

	while (i + k < n && s[i + k] >= '0' && s[i + k] <= '9' && k <= 3)
		v = v * 10 + (unsigned)(s[i + k++] - '0');
	if (k == 0 || k > 3 || v > 255 || (i + k < n && !is_space(s[i + k])))
		return 0;
	return k;
}

static void scan_decimal(const char *s, size_t n, dec_scan *d)
{
	size_t line = 1;

	memset(d, 0, sizeof(*d));
	for (size_t i = 0; i < n;) {
		if (is_space(s[i])) {
			if (s[i] == '\r' && i + 1 < n && s[i + 1] == '\n')
				d->crlf = true;
			line += s[i++] == '\n';
			continue;
		}
		size_t k = byte_token(s, i, n);
		if (k != 0) {
			d->good++;
			i += k;
			continue;
		}
		if (d->bad++ == 0)
			d->bad_line = line;
		while (i < n && !is_space(s[i]))
			i++;
	}
}

/*
 * Out-File decimal lines: numbers 0..255 separated by white space.
 * HV_ERR_FORMAT when the text is no such list, HV_ERR_CORRUPT (with a
 * finding) when it is one with values that are not bytes.
 */
static hv_err decimal_lines(const char *s, size_t n, size_t cap, uint8_t **out, size_t *outlen,
			    bool *crlf, const char *src, uint64_t off, hv_findings *f)
{
	dec_scan d;

	scan_decimal(s, n, &d);
	*crlf = d.crlf;
	if (d.bad != 0) {
		if (d.good < DEC_ATTEMPT_MIN || d.bad > d.good / DEC_BAD_RATIO)
			return HV_ERR_FORMAT;
		findings_add(f, HV_SEV_ERROR, src, off, "decimal byte lines: line %zu is not a "
			     "number 0..255 (%zu such lines among %zu values)", d.bad_line, d.bad,
			     d.good);
		return HV_ERR_CORRUPT;
	}
	if (d.good == 0)
		return HV_ERR_FORMAT;
	if (d.good > cap) {
		findings_add(f, HV_SEV_ERROR, src, off, "%zu decimal byte values are over the "
			     "%zu-byte cap", d.good, cap);
		return HV_ERR_LIMIT;
	}
	size_t count = d.good;
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
	return HV_OK;
}

/* ------------------------------------------------------------ base64 */

static bool is_b64_char(char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
	       c == '+' || c == '/' || c == '=';
}

static bool is_hex_char(char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

/*
 * Text that is meant as base64 (see the top of the file); *bad_at is the
 * index of the first character outside the alphabet, or n when none.
 */
static bool base64_attempt(const char *s, size_t n, size_t *bad_at)
{
	size_t alpha = 0, foreign = 0, tokens = 0, tok_len = 0;
	bool short_token = false, non_hex = false;

	*bad_at = n;
	for (size_t i = 0; i <= n; i++) {
		if (i == n || is_space(s[i])) {
			if (tok_len != 0) {
				if (short_token)   /* a short token before this one */
					return false;
				short_token = tok_len < B64_ATTEMPT_RUN;
				tokens++;
			}
			tok_len = 0;
			continue;
		}
		if (tokens == 0 && tok_len == 0 && !is_b64_char(s[i]))
			return false;
		if (tokens == 0 && !is_hex_char(s[i]))
			non_hex = true;
		tok_len++;
		if (is_b64_char(s[i])) {
			alpha++;
		} else if (foreign++ == 0) {
			*bad_at = i;
		}
	}
	if (tokens == 0 || !non_hex || (tokens == 1 && short_token))
		return false;
	return foreign <= alpha / B64_BAD_RATIO;
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
	xmlDocPtr doc;
	hv_err pe = xml_parse_bounded(t->s, t->n, r->src, r->off, &doc, r->f);
	xmlNode *best = NULL, *first = NULL;
	strbuf others = STRBUF_INIT;
	const char *want = r->want ? r->want : DEFAULT_PROPERTY;

	if (pe != HV_OK) {
		if (strstr(t->s, CIM_VALUE_ARRAY) == NULL && strstr(t->s, CIM_PROPERTY_ARRAY) == NULL)
			return HV_ERR_FORMAT;
		if (pe == HV_ERR_CORRUPT)
			findings_add(r->f, HV_SEV_ERROR, r->src, r->off, "CIM-XML document with "
				     "byte arrays is damaged (not well-formed, cut or refused)");
		return pe;
	}
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
		char *name = array_property(best);
		if (name != NULL && strcasecmp(name, want) == 0)
			e = HV_ERR_CORRUPT;   /* the key protector array itself is damaged */
		free(name);
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

/* Base64 text, the last text form tried. */
static hv_err base64_layer(norm_ctx *c, const text_view *t, size_t cap)
{
	uint8_t *b = NULL;
	size_t n = 0, bad_at = 0;
	const char *why = NULL;

	bool ok = hv_base64_decode(t->s, t->n, cap, 0, &b, &n, &why);

	if (ok && n >= OCTET_HDR) {
		push(c, KP_FORM_BASE64, t->enc)->crlf = strstr(t->s, "\r\n") != NULL;
		cur_replace(&c->cur, b, n);
		return HV_OK;
	}
	free(b);
	if (ok) {
		findings_add(c->f, HV_SEV_ERROR, c->src, here(c), "base64 text of %zu bytes "
			     "decodes to %zu bytes: too short for a key protector", t->n, n);
		return HV_ERR_FORMAT;
	}
	if (!base64_attempt(t->s, t->n, &bad_at)) {
		findings_add(c->f, HV_SEV_ERROR, c->src, here(c), "text that is neither key "
			     "protector XML, decimal byte lines nor base64");
		return HV_ERR_FORMAT;
	}
	bool in_file = here(c) != HV_NO_OFFSET && t->enc != KP_TEXT_UTF16LE_BOM;
	if (bad_at < t->n)
		findings_add(c->f, HV_SEV_ERROR, c->src, in_file ? here(c) + t->skipped + bad_at
								: here(c),
			     "base64 text: character %zu (0x%02X) is not base64%s%s", bad_at,
			     (unsigned)(uint8_t)t->s[bad_at], why ? ": " : "", why ? why : "");
	else
		findings_add(c->f, HV_SEV_ERROR, c->src, here(c), "base64 text of %zu characters "
			     "does not decode%s%s (cut short?)", t->n, why ? ": " : "",
			     why ? why : "");
	return HV_ERR_CORRUPT;
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
	} else {
		hv_err e = decimal_lines(t->s, t->n, cap, &b, &n, &crlf, c->src, here(c), c->f);
		if (e == HV_OK)
			push(c, KP_FORM_DECIMAL_LINES, t->enc)->crlf = crlf;
		else if (e != HV_ERR_FORMAT)
			return e;
		else
			return base64_layer(c, t, cap);
	}
	cur_replace(&c->cur, b, n);
	return HV_OK;
}

/* A Protector/Wrappings root at p (UTF-8, BOM optional, or UTF-16LE with BOM)? */
static bool protector_root(const uint8_t *p, size_t n)
{
	char name[MAX_NAME + 1];
	size_t k = n < PREFIX_SNIFF_BYTES ? n : PREFIX_SNIFF_BYTES;
	char *head;

	if (n >= 2 && memcmp(p, BOM_UTF16LE, 2) == 0) {
		head = utf16le_to_utf8(p + 2, (k - 2) & ~(size_t)1);
	} else {
		size_t bom = n >= 3 && memcmp(p, BOM_UTF8, 3) == 0 ? 3 : 0;
		head = xstrndup((const char *)p + bom, k - bom);
	}
	bool hit = root_name(head, name) &&
		   (strcmp(name, "Protector") == 0 || strcmp(name, "Wrappings") == 0);
	free(head);
	return hit;
}

/* Index one past the last byte that is not white space or NUL. */
static size_t content_end(const uint8_t *p, size_t n)
{
	while (n > 0 && (p[n - 1] == 0 || is_space((char)p[n - 1])))
		n--;
	return n;
}

/*
 * A 4-byte prefix in front of XML that does not match the size: HV_OK when
 * read past (warning), HV_ERR_FORMAT when the bytes are not that, and
 * HV_ERR_CORRUPT when a smaller prefix would cut a key protector document.
 */
static hv_err mismatched_prefix(norm_ctx *c)
{
	cur_buf *cb = &c->cur;

	if (cb->n <= OCTET_HDR || !looks_xml(cb->p + OCTET_HDR, cb->n - OCTET_HDR) ||
	    looks_xml(cb->p, OCTET_HDR))
		return HV_ERR_FORMAT;
	uint32_t v = ld32be(cb->p);
	size_t take = cb->n - OCTET_HDR;
	size_t end = content_end(cb->p, cb->n);
	if (v < cb->n && end > v && cb->p[end - 1] == '>' &&
	    protector_root(cb->p + OCTET_HDR, cb->n - OCTET_HDR)) {
		findings_add(c->f, HV_SEV_ERROR, c->src, here(c), "length prefix %u ends inside "
			     "the key protector document that runs to byte %zu", v, end);
		return HV_ERR_CORRUPT;
	}
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
	return HV_OK;
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
	hv_err e = mismatched_prefix(c);
	if (e != HV_ERR_FORMAT)
		return e;
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
