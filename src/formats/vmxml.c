/*
 * vmxml.c - legacy Hyper-V XML virtual machine configuration.
 *
 * Format (docs/hyperv-storage.md s.10; [confirmed on sample
 * files: 2 files] unless marked):
 *
 *   file      Virtual Machines\<VMID>.xml, UTF-16LE with BOM FF FE, declaration
 *             <?xml version="1.0" encoding="UTF-16" standalone="yes"?>, CRLF.
 *             UTF-8 is accepted as well [inferred: hand-edited copies].
 *   root      <configuration>; the tree below it is the same as the binary
 *             HyperVStorage tree and element names equal the binary key names
 *             (_<guid>_, vdev001, Feature_<GUID>, NVRAM variables ...).
 *   node      an element WITHOUT a type attribute (it may be empty).
 *   leaf      an element WITH a type attribute:
 *               string   text as written; an empty element is ""
 *               integer  decimal, 64-bit (FILETIMEs occur)   -> KV_INT
 *                        [inferred] values above INT64_MAX   -> KV_UINT
 *               bool     True / False, case-insensitive      -> KV_BOOL
 *               boolean  accepted as bool [confirmed: D2 loader]
 *               bytes    base64, wrapped at 64 columns, ends with a newline
 *                        before the closing tag              -> KV_BYTES
 *             No double or unsigned type has been seen.
 *
 * Defensive handling [inferred]:
 *   - XML goes through xml_parse_bounded only (no DTD, no entity expansion,
 *     no network; size, count and depth caps checked before parsing, over a
 *     cap is HV_ERR_LIMIT).
 *   - A type other than the four above: finding, value kept as a string.
 *   - An integer or bool that does not parse: finding, kept as a string.
 *   - Bad base64: finding, the leaf is skipped.
 *   - Text inside a node element or elements inside a leaf: finding, ignored.
 *   - Depth is capped at KV_MAX_DEPTH and the element count at
 *     VMXML_MAX_NODES; the tree is built iteratively (no recursion).
 *   - At most VMXML_MAX_WARNINGS such warnings are listed, then one line
 *     with the number left out.
 *   - seq is the 1-based document order among element siblings; XML has no
 *     byte offsets, so every node's offset is HV_NO_OFFSET and findings name
 *     the line where libxml2 knows it.
 */
#include "formats/vmxml.h"

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <libxml/tree.h>

#include "formats/xmlsafe.h"
#include "util/base64.h"
#include "util/strbuf.h"
#include "util/xalloc.h"

#define ROOT_NAME "configuration"
#define TYPE_ATTR "type"

#define SNIFF_MAX_UNITS 1024   /* characters looked at by vmxml_sniff */
#define DOCTYPE_OPEN "<!DOCTYPE"
#define VMXML_MAX_WARNINGS 100 /* value/structure warnings listed per document */
#define BOM_UTF16LE "\xFF\xFE"
#define BOM_UTF8 "\xEF\xBB\xBF"

typedef enum {
	LEAF_STRING,
	LEAF_INTEGER,
	LEAF_BOOL,
	LEAF_BYTES,
	LEAF_UNKNOWN,
} leaf_kind;

/* ---- sniffing ------------------------------------------------------ */

/* Copies up to cap characters of the document start as ASCII ('?' for others). */
static size_t sniff_chars(span_t d, char *out, size_t cap)
{
	size_t pos = 0, n = 0;
	bool wide = false;
	if (span_eq(d, 0, BOM_UTF16LE, 2)) {
		wide = true;
		pos = 2;
	} else if (span_eq(d, 0, BOM_UTF8, 3)) {
		pos = 3;
	} else if (d.len >= 2 && d.data[0] == '<' && d.data[1] == 0) {
		wide = true; /* UTF-16LE without a BOM */
	}
	while (n < cap) {
		unsigned c;
		if (wide) {
			if (!span_has(d, pos, 2))
				break;
			c = ld16le(d.data + pos);
			pos += 2;
		} else {
			if (pos >= d.len)
				break;
			c = d.data[pos++];
		}
		if (c == 0)
			break;
		out[n++] = (char)(c < 0x80 ? c : '?');
	}
	return n;
}

static size_t skip_ws(const char *s, size_t n, size_t i)
{
	while (i < n && (s[i] == ' ' || s[i] == '\t' || s[i] == '\r' || s[i] == '\n'))
		i++;
	return i;
}

/* Index just past the first occurrence of end at or after i, or n. */
static size_t skip_past(const char *s, size_t n, size_t i, const char *end)
{
	size_t el = strlen(end);
	for (; i + el <= n; i++)
		if (memcmp(s + i, end, el) == 0)
			return i + el;
	return n;
}

/* True when s[i..] is ROOT_NAME followed by a delimiter (end of a name). */
static bool root_name_at(const char *s, size_t n, size_t i)
{
	const size_t rl = strlen(ROOT_NAME);
	if (n - i < rl + 1 || memcmp(s + i, ROOT_NAME, rl) != 0)
		return false;
	char after = s[i + rl];
	return after == '>' || after == '/' || after == '[' || after == ' ' || after == '\t' ||
	       after == '\r' || after == '\n';
}

/*
 * A document type declaration naming the configuration root claims the
 * file even though its internal subset may be longer than the window:
 * vmxml_read then refuses the DTD (entity attacks are reported, not
 * passed over as an unrecognised file).
 */
bool vmxml_sniff(span_t data)
{
	char s[SNIFF_MAX_UNITS];
	size_t n = sniff_chars(data, s, sizeof s);
	size_t i = skip_ws(s, n, 0);
	const size_t dl = strlen(DOCTYPE_OPEN);
	while (i < n) {
		if (n - i >= 2 && memcmp(s + i, "<?", 2) == 0)
			i = skip_past(s, n, i + 2, "?>");
		else if (n - i >= 4 && memcmp(s + i, "<!--", 4) == 0)
			i = skip_past(s, n, i + 4, "-->");
		else if (n - i > dl && memcmp(s + i, DOCTYPE_OPEN, dl) == 0)
			return root_name_at(s, n, skip_ws(s, n, i + dl));
		else
			break;
		i = skip_ws(s, n, i);
	}
	return n - i >= 2 && s[i] == '<' && root_name_at(s, n, i + 1);
}

/* ---- values -------------------------------------------------------- */

static leaf_kind leaf_kind_of(const char *type)
{
	if (strcasecmp(type, "string") == 0)
		return LEAF_STRING;
	if (strcasecmp(type, "integer") == 0)
		return LEAF_INTEGER;
	if (strcasecmp(type, "bool") == 0 || strcasecmp(type, "boolean") == 0)
		return LEAF_BOOL;
	if (strcasecmp(type, "bytes") == 0)
		return LEAF_BYTES;
	return LEAF_UNKNOWN;
}

/* Trimmed copy of s. */
static char *trim_dup(const char *s)
{
	while (*s && isspace((unsigned char)*s))
		s++;
	size_t l = strlen(s);
	while (l && isspace((unsigned char)s[l - 1]))
		l--;
	return xstrndup(s, l);
}

static bool parse_integer(const char *text, kv_node *k)
{
	char *t = trim_dup(text);
	const char *p = t[0] == '-' || t[0] == '+' ? t + 1 : t;
	bool ok = *p != '\0';
	for (const char *q = p; ok && *q; q++)
		ok = *q >= '0' && *q <= '9';
	if (ok) {
		char *end;
		errno = 0;
		long long v = strtoll(t, &end, 10);
		if (errno == 0 && *end == '\0') {
			k->type = KV_INT;
			k->v.i = v;
		} else if (errno == ERANGE && t[0] != '-') {
			errno = 0;
			unsigned long long u = strtoull(t, &end, 10);
			ok = errno == 0 && *end == '\0';
			if (ok) {
				k->type = KV_UINT;
				k->v.u = u;
			}
		} else {
			ok = false;
		}
	}
	free(t);
	return ok;
}

static bool parse_bool(const char *text, kv_node *k)
{
	char *t = trim_dup(text);
	bool ok = true;
	if (strcasecmp(t, "true") == 0)
		k->v.b = true;
	else if (strcasecmp(t, "false") == 0)
		k->v.b = false;
	else
		ok = false;
	free(t);
	if (ok)
		k->type = KV_BOOL;
	return ok;
}

/* Concatenation of the direct text and CDATA children of e. */
static char *direct_text(const xmlNode *e, bool *has_elements)
{
	strbuf sb = STRBUF_INIT;
	sb_add(&sb, "", 0);
	*has_elements = false;
	for (const xmlNode *c = e->children; c; c = c->next) {
		if ((c->type == XML_TEXT_NODE || c->type == XML_CDATA_SECTION_NODE) && c->content)
			sb_adds(&sb, (const char *)c->content);
		else if (c->type == XML_ELEMENT_NODE)
			*has_elements = true;
	}
	return sb_detach(&sb);
}

static bool all_space(const char *s)
{
	for (; *s; s++)
		if (!isspace((unsigned char)*s))
			return false;
	return true;
}

/* ---- tree ---------------------------------------------------------- */

typedef struct {
	const char *file;
	hv_findings *f;
	size_t nodes;
	size_t warnings;  /* value/structure warnings seen (only the first few are listed) */
} build_ctx;

typedef struct {
	const xmlNode *x;
	kv_node *k;
	unsigned depth;
} frame;

static void warn_at(build_ctx *b, const xmlNode *x, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void warn_at(build_ctx *b, const xmlNode *x, const char *fmt, ...)
{
	if (++b->warnings > VMXML_MAX_WARNINGS)
		return;
	strbuf sb = STRBUF_INIT;
	va_list ap;
	va_start(ap, fmt);
	sb_vaddf(&sb, fmt, ap);
	va_end(ap);
	findings_add(b->f, HV_SEV_WARN, b->file, HV_NO_OFFSET, "line %ld: %s",
		     xmlGetLineNo(x), sb_str(&sb));
	sb_free(&sb);
}

/* Builds a leaf; returns NULL when the leaf is skipped. */
static kv_node *make_leaf(build_ctx *b, const xmlNode *x, const char *type)
{
	const char *name = (const char *)x->name;
	bool has_el;
	char *text = direct_text(x, &has_el);
	if (has_el)
		warn_at(b, x, "leaf <%s type=\"%s\"> has child elements; they are ignored",
			name, type);
	kv_node *k = kv_new(name, KV_STRING);
	leaf_kind kind = leaf_kind_of(type);
	bool ok = true;
	switch (kind) {
	case LEAF_STRING:
		break;
	case LEAF_INTEGER:
		ok = parse_integer(text, k);
		if (ok && k->type == KV_UINT)
			warn_at(b, x, "<%s> integer is above INT64_MAX; kept unsigned", name);
		break;
	case LEAF_BOOL:
		ok = parse_bool(text, k);
		break;
	case LEAF_BYTES: {
		const char *why;
		size_t n = 0;
		uint8_t *p = NULL;
		if (!hv_base64_decode(text, strlen(text), SIZE_MAX, B64_PAD_REQUIRED, &p, &n, &why))
			p = NULL;
		if (!p) {
			warn_at(b, x, "<%s type=\"bytes\">: bad base64 (%s); entry skipped", name,
				why);
			free(text);
			kv_free(k);
			return NULL;
		}
		k->type = KV_BYTES;
		k->bytes = p;
		k->nbytes = n;
		break;
	}
	case LEAF_UNKNOWN:
		warn_at(b, x, "<%s> has unknown type \"%s\"; kept as a string", name, type);
		break;
	}
	if (!ok)
		warn_at(b, x, "<%s>: value is not a valid %s; kept as a string", name, type);
	if (k->type == KV_STRING) {
		k->str = text;
		text = NULL;
	}
	free(text);
	return k;
}

/* Adds the element children of fr->x to fr->k; pushes node children on the stack. */
static hv_err build_children(build_ctx *b, const frame *fr, frame **stack, size_t *top,
			     size_t *cap)
{
	uint32_t seq = 0;
	bool text_warned = false;
	for (const xmlNode *c = fr->x->children; c; c = c->next) {
		if ((c->type == XML_TEXT_NODE || c->type == XML_CDATA_SECTION_NODE) &&
		    c->content && !all_space((const char *)c->content) && !text_warned) {
			warn_at(b, c, "text inside node <%s> is ignored",
				(const char *)fr->x->name);
			text_warned = true;
		}
		if (c->type != XML_ELEMENT_NODE)
			continue;
		if (++b->nodes > VMXML_MAX_NODES) {
			findings_add(b->f, HV_SEV_ERROR, b->file, HV_NO_OFFSET,
				     "line %ld: more than %u elements (refused)", xmlGetLineNo(c),
				     VMXML_MAX_NODES);
			return HV_ERR_LIMIT;
		}
		char *type = xml_attr(c, TYPE_ATTR);
		kv_node *k;
		if (type) {
			k = make_leaf(b, c, type);
			free(type);
			if (!k)
				continue;
		} else {
			if (fr->depth + 1 > KV_MAX_DEPTH) {
				findings_add(b->f, HV_SEV_ERROR, b->file, HV_NO_OFFSET,
					     "line %ld: nesting deeper than %d levels",
					     xmlGetLineNo(c), KV_MAX_DEPTH);
				return HV_ERR_CORRUPT;
			}
			k = kv_new((const char *)c->name, KV_NODE);
			*stack = xgrow(*stack, cap, *top + 1, sizeof **stack);
			(*stack)[(*top)++] = (frame){ c, k, fr->depth + 1 };
		}
		k->seq = ++seq;
		kv_add_child(fr->k, k);
	}
	return HV_OK;
}

static hv_err build_tree(build_ctx *b, const xmlNode *xroot, kv_node *kroot)
{
	size_t cap = 0, top = 0;
	frame *stack = NULL;
	stack = xgrow(stack, &cap, 1, sizeof *stack);
	stack[top++] = (frame){ xroot, kroot, 1 };
	hv_err e = HV_OK;
	while (top && e == HV_OK) {
		frame fr = stack[--top];
		e = build_children(b, &fr, &stack, &top, &cap);
	}
	free(stack);
	return e;
}

hv_err vmxml_read(span_t data, const char *name, kv_node **root, hv_findings *f)
{
	*root = NULL;
	if (data.len > HV_XML_MAX_BYTES) {
		findings_add(f, HV_SEV_ERROR, name, HV_NO_OFFSET,
			     "XML configuration of %zu bytes is over the %u-byte cap", data.len,
			     HV_XML_MAX_BYTES);
		return HV_ERR_LIMIT;
	}
	bool looks_right = vmxml_sniff(data);
	xmlDocPtr doc;
	hv_err pe = xml_parse_bounded(data.data, data.len, name, 0, &doc, f);
	if (pe != HV_OK)
		return pe == HV_ERR_CORRUPT && !looks_right ? HV_ERR_FORMAT : pe;
	const xmlNode *x = xmlDocGetRootElement(doc);
	if (!xml_is(x, ROOT_NAME)) {
		findings_add(f, HV_SEV_ERROR, name, HV_NO_OFFSET,
			     "line %ld: root element is <%s>, not <%s>: not a Hyper-V XML "
			     "configuration", xmlGetLineNo(x), (const char *)x->name, ROOT_NAME);
		xmlFreeDoc(doc);
		return HV_ERR_FORMAT;
	}
	kv_node *vroot = kv_new("", KV_NODE);
	kv_node *cfg = kv_new(ROOT_NAME, KV_NODE);
	cfg->seq = 1;
	kv_add_child(vroot, cfg);
	build_ctx b = { name, f, 1, 0 };
	hv_err e = build_tree(&b, x, cfg);
	if (b.warnings > VMXML_MAX_WARNINGS)
		findings_add(f, HV_SEV_WARN, name, HV_NO_OFFSET,
			     "%zu more warnings about values and structure were not listed",
			     b.warnings - VMXML_MAX_WARNINGS);
	xmlFreeDoc(doc);
	if (e != HV_OK) {
		kv_free(vroot);
		return e;
	}
	*root = vroot;
	return HV_OK;
}
