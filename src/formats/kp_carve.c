/*
 * kp_carve.c - carve MS-KPS <Protector> documents out of arbitrary bytes.
 *
 * HEURISTIC [inferred: docs/key-protector.md s.5.4; nothing documents where a KP sits
 * inside .vmrs/.vmgs or memory].  The scan anchors on start tags whose local
 * name is "Protector" (any prefix), in UTF-8 or UTF-16LE, then:
 *   - end: the next "</[prefix:]Protector>" in the same encoding, at most
 *     KP_CARVE_MAX_DOC bytes ahead;
 *   - start: extended backwards over an "<?xml ...?>" declaration (within
 *     DECL_LOOKBACK bytes), a byte-order mark, and a 4-byte big-endian length
 *     prefix when its value equals 4 + the document length;
 *   - the range is decoded with kp_decode (UTF-16LE transcoded first).
 * Cost: one pass over the data plus, per encoding, one forward-only search
 * for end tags (a cached position; no byte is searched twice), and the
 * decoding of each hit (bounded by KP_CARVE_MAX_DOC).  After a hit the scan
 * continues after its end.
 */
#include "formats/kp_carve.h"

#include <stdlib.h>
#include <string.h>

#include "util/text.h"
#include "util/xalloc.h"

#define NAME_MAX_UNITS 64       /* longest qualified element name considered */
#define DECL_LOOKBACK 256       /* bytes searched backwards for an XML declaration */
#define LEN_PREFIX 4
#define LOCAL_NAME "Protector"

static const uint8_t BOM8[3] = { 0xEF, 0xBB, 0xBF };
static const uint8_t BOM16[2] = { 0xFF, 0xFE };

const char *kp_carve_enc_name(kp_carve_enc e)
{
	return e == KP_CARVE_UTF16LE ? "UTF-16LE" : "UTF-8";
}

/* Character unit width of an encoding. */
static size_t unit(kp_carve_enc e)
{
	return e == KP_CARVE_UTF16LE ? 2 : 1;
}

/* ASCII character at unit k from p, or -1 (not ASCII in this encoding / out of range). */
static int ch_at(span_t s, uint64_t p, size_t k, kp_carve_enc e)
{
	uint64_t at = p + k * unit(e);

	if (!span_has(s, at, unit(e)))
		return -1;
	if (e == KP_CARVE_UTF16LE && s.data[at + 1] != 0)
		return -1;
	return s.data[at] < 0x80 ? s.data[at] : -1;
}

static bool name_char(int c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c == '.' || c == '-' || c == '_' || c == ':';
}

static bool is_blank(int c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

static bool tag_end_char(int c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '>' || c == '/';
}

/* After '<' at p: is this a start tag of a (prefixed) Protector? */
static bool protector_start(span_t s, uint64_t p, kp_carve_enc e)
{
	char name[NAME_MAX_UNITS + 1];
	size_t n = 0;
	int c;

	while (n < NAME_MAX_UNITS && name_char(c = ch_at(s, p, n + 1, e)))
		name[n++] = (char)c;
	if (n == 0 || n == NAME_MAX_UNITS || !tag_end_char(ch_at(s, p, n + 1, e)))
		return false;
	name[n] = '\0';
	const char *local = strrchr(name, ':');
	local = local ? local + 1 : name;
	return strcmp(local, LOCAL_NAME) == 0;
}

/* The pattern "Protector>" in an encoding. */
typedef struct {
	uint8_t b[2 * sizeof(LOCAL_NAME ">")];
	size_t n;
} pattern;

static pattern close_pattern(kp_carve_enc e)
{
	static const char txt[] = LOCAL_NAME ">";
	pattern pt;
	size_t u = unit(e);

	memset(&pt, 0, sizeof(pt));
	for (size_t i = 0; i + 1 < sizeof(txt); i++)
		pt.b[i * u] = (uint8_t)txt[i];
	pt.n = (sizeof(txt) - 1) * u;
	return pt;
}

/* Is the "Protector>" at p the tail of "</" [prefix ":"] "Protector>"? */
static bool is_close_tag(span_t s, uint64_t p, kp_carve_enc e)
{
	size_t u = unit(e);
	uint64_t q = p;
	int c;

	if (q < 2 * u)
		return false;
	c = ch_at(s, q - u, 0, e);
	if (c == ':') {
		q -= u;
		size_t n = 0;
		while (q >= u && n < NAME_MAX_UNITS && name_char(c = ch_at(s, q - u, 0, e)) &&
		       c != ':') {
			q -= u;
			n++;
		}
		if (n == 0)
			return false;
	}
	return q >= 2 * u && ch_at(s, q - u, 0, e) == '/' && ch_at(s, q - 2 * u, 0, e) == '<';
}

/*
 * Forward-only search for end tags.  Invariant: no end tag starts in
 * [from, scan) other than at found (found == UINT64_MAX: none known).
 */
typedef struct {
	kp_carve_enc enc;
	pattern pt;
	uint64_t scan;
	uint64_t found;
} end_cache;

/* Position of the "Protector>" of the next end tag at or after i, within the cap. */
static uint64_t next_end(span_t s, end_cache *c, uint64_t i)
{
	if (c->found != UINT64_MAX && c->found >= i)
		return c->found - i <= KP_CARVE_MAX_DOC ? c->found : UINT64_MAX;
	uint64_t start = c->scan > i ? c->scan : i;
	uint64_t limit = s.len - i > KP_CARVE_MAX_DOC ? i + KP_CARVE_MAX_DOC : s.len;
	while (start < limit) {
		size_t avail = (size_t)(s.len - start);
		const uint8_t *hit = memmem(s.data + start, avail, c->pt.b, c->pt.n);
		if (hit == NULL || (uint64_t)(hit - s.data) >= limit)
			break;
		uint64_t p = (uint64_t)(hit - s.data);
		if (is_close_tag(s, p, c->enc)) {
			c->found = p;
			c->scan = p;
			return p;
		}
		start = p + 1;
	}
	c->scan = limit;
	c->found = UINT64_MAX;
	return UINT64_MAX;
}

/* Extends the hit start backwards over declaration, BOM and length prefix. */
static void hit_start(span_t s, kp_carve_hit *h, uint64_t end)
{
	size_t u = unit(h->enc);
	uint64_t p = h->xml_offset;
	uint64_t q = p;

	/* Optional white space, then "?>" of a declaration that begins "<?xml". */
	while (q >= u && is_blank(ch_at(s, q - u, 0, h->enc)) && p - q < DECL_LOOKBACK)
		q -= u;
	if (q >= 2 * u && ch_at(s, q - u, 0, h->enc) == '>' &&
	    ch_at(s, q - 2 * u, 0, h->enc) == '?') {
		for (uint64_t b = q - 2 * u; b + DECL_LOOKBACK >= q && b >= u; b -= u) {
			if (ch_at(s, b - u, 0, h->enc) == '<' && ch_at(s, b, 0, h->enc) == '?' &&
			    ch_at(s, b, 1, h->enc) == 'x' && ch_at(s, b, 2, h->enc) == 'm' &&
			    ch_at(s, b, 3, h->enc) == 'l') {
				p = b - u;
				h->declaration = true;
				break;
			}
		}
	}
	if (h->enc == KP_CARVE_UTF8 && p >= 3 && memcmp(s.data + p - 3, BOM8, 3) == 0) {
		p -= 3;
		h->bom = true;
	} else if (h->enc == KP_CARVE_UTF16LE && p >= 2 && memcmp(s.data + p - 2, BOM16, 2) == 0) {
		p -= 2;
		h->bom = true;
	}
	h->offset = p;
	if (p >= LEN_PREFIX && ld32be(s.data + p - LEN_PREFIX) == end - p + LEN_PREFIX) {
		h->offset = p - LEN_PREFIX;
		h->length_prefix = true;
	}
	h->length = end - h->offset;
}

/* Removes an XML declaration from UTF-8 text (its encoding label no longer applies). */
static size_t drop_declaration(char *t, size_t n)
{
	if (strncmp(t, "<?xml", 5) != 0)
		return n;
	char *end = strstr(t, "?>");
	if (end == NULL)
		return n;
	end += 2;
	size_t rest = n - (size_t)(end - t);
	memmove(t, end, rest + 1);
	return rest;
}

static void decode_hit(span_t s, kp_carve_hit *h, const char *src, hv_findings *f)
{
	uint64_t doc = h->offset + (h->length_prefix ? LEN_PREFIX : 0);
	uint64_t len = h->offset + h->length - doc;

	if (h->enc == KP_CARVE_UTF8) {
		h->result = kp_decode(span_make(s.data + doc, (size_t)len), src, doc, &h->doc, f);
		return;
	}
	size_t skip = h->bom ? 2 : 0;
	char *t = utf16le_to_utf8(s.data + doc + skip, (size_t)(len - skip));
	size_t n = drop_declaration(t, strlen(t));
	h->result = kp_decode(span_make(t, n), src, doc, &h->doc, f);
	free(t);
}

static bool try_at(span_t s, uint64_t i, kp_carve_enc e, end_cache *ec, kp_carve_result *r,
		   const char *src, hv_findings *f, uint64_t *next)
{
	if (!protector_start(s, i, e))
		return false;
	r->candidates++;
	uint64_t close = next_end(s, ec, i);
	if (close == UINT64_MAX || r->n == KP_CARVE_MAX_HITS) {
		r->skipped++;
		return false;
	}
	r->v = xgrow(r->v, &r->cap, r->n + 1, sizeof(*r->v));
	kp_carve_hit *h = &r->v[r->n++];
	memset(h, 0, sizeof(*h));
	h->enc = e;
	h->xml_offset = i;
	hit_start(s, h, close + ec->pt.n);
	decode_hit(s, h, src, f);
	*next = close + ec->pt.n;
	return true;
}

hv_err kp_carve(span_t data, const char *src, kp_carve_result *out, hv_findings *f)
{
	end_cache e8 = { KP_CARVE_UTF8, close_pattern(KP_CARVE_UTF8), 0, UINT64_MAX };
	end_cache e16 = { KP_CARVE_UTF16LE, close_pattern(KP_CARVE_UTF16LE), 0, UINT64_MAX };
	uint64_t i = 0;

	memset(out, 0, sizeof(*out));
	while (i < data.len) {
		const uint8_t *lt = memchr(data.data + i, '<', (size_t)(data.len - i));
		if (lt == NULL)
			break;
		i = (uint64_t)(lt - data.data);
		uint64_t next = i + 1;
		bool wide = i + 1 < data.len && data.data[i + 1] == 0;
		try_at(data, i, wide ? KP_CARVE_UTF16LE : KP_CARVE_UTF8, wide ? &e16 : &e8, out,
		       src, f, &next);
		i = next;
	}
	if (out->skipped)
		findings_add(f, HV_SEV_NOTE, src, HV_NO_OFFSET, "carving: %zu Protector start tags "
			     "without an end tag within %u bytes (or over the %d-hit cap) skipped",
			     out->skipped, KP_CARVE_MAX_DOC, KP_CARVE_MAX_HITS);
	return HV_OK;
}

void kp_carve_free(kp_carve_result *r)
{
	if (r == NULL)
		return;
	for (size_t i = 0; i < r->n; i++)
		kp_free(&r->v[i].doc);
	free(r->v);
	memset(r, 0, sizeof(*r));
}
