/* xmlscan.c - linear pre-scan of untrusted XML (see xmlscan.h). */
#include "formats/xmlscan.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include <libxml/encoding.h>

#include "formats/xmlsafe.h"

#define STOP SIZE_MAX       /* returned by a step: scanning ends here */
#define MAX_ENC_NAME 64     /* longest encoding name looked up */
#define STOP_MARGIN 256     /* units libxml2 sees past where the scan stopped */

/* The document as code units: bytes, or 16-bit units in either byte order. */
typedef struct {
	const uint8_t *p; /* first unit, after any byte order mark */
	size_t n;         /* whole units */
	size_t skip;      /* bytes of the byte order mark */
	unsigned width;   /* 1 or 2 */
	bool be;
} units;

typedef struct {
	units u;
	xml_scan *s;
	size_t depth;
	size_t ns_in_scope;                  /* namespace declarations of open elements */
	size_t ns_at[HV_XML_MAX_DEPTH + 1];  /* ... declared at each level */
	bool utf8;       /* the bytes are UTF-8 to libxml2 (not another 8-bit encoding) */
	size_t stop;     /* unit where the scan met what is not well-formed, or u.n */
	hv_err err;
} scanner;

/* Counts of the tag being read. */
typedef struct {
	size_t at; /* its '<' */
	size_t attributes;
	size_t ns; /* xmlns and xmlns:prefix among them */
} tag_counts;

static unsigned unit(const units *u, size_t i)
{
	if (u->width == 1)
		return u->p[i];
	const uint8_t *q = u->p + 2 * i;
	return u->be ? (unsigned)(q[0] << 8 | q[1]) : (unsigned)(q[1] << 8 | q[0]);
}

static bool is_space(unsigned c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* Whether the ASCII string lit is at unit i. */
static bool at(const units *u, size_t i, const char *lit)
{
	for (; *lit; lit++, i++)
		if (i >= u->n || unit(u, i) != (unsigned char)*lit)
			return false;
	return true;
}

/* The unit index of the next lit at or after i, or STOP. */
static size_t find(const units *u, size_t i, const char *lit)
{
	if (i >= u->n)
		return STOP;
	if (u->width == 1) {
		const uint8_t *hit = memmem(u->p + i, u->n - i, lit, strlen(lit));
		return hit ? (size_t)(hit - u->p) : STOP;
	}
	for (; i < u->n; i++)
		if (unit(u, i) == (unsigned char)lit[0] && at(u, i, lit))
			return i;
	return STOP;
}

static size_t skip_space(const units *u, size_t i)
{
	while (i < u->n && is_space(unit(u, i)))
		i++;
	return i;
}

/* Ends the scan at unit i, the first that is not well-formed XML. */
static size_t give_up(scanner *sc, size_t i)
{
	if (i < sc->stop)
		sc->stop = i;
	return STOP;
}

static size_t refuse(scanner *sc, hv_err err, size_t i, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static size_t refuse(scanner *sc, hv_err err, size_t i, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(sc->s->why, sizeof sc->s->why, fmt, ap);
	va_end(ap);
	sc->s->at = sc->u.skip + i * sc->u.width;
	sc->err = err;
	return STOP;
}

/* ---- encoding ------------------------------------------------------------------------ */

static bool name_is(const char *name, const char *const *list)
{
	for (; *list; list++)
		if (strcasecmp(name, *list) == 0)
			return true;
	return false;
}

/* Encodings whose bytes below 0x80 are always ASCII characters. */
static bool ascii_safe(const char *name)
{
	static const char *const exact[] = { "UTF-8", "UTF8", "US-ASCII", "ASCII", "LATIN1",
					     "ISO-LATIN-1", "UTF-16", "UTF16", NULL };
	return name_is(name, exact) || strncasecmp(name, "ISO-8859-", 9) == 0 ||
	       strncasecmp(name, "WINDOWS-125", 11) == 0 || strncasecmp(name, "CP125", 5) == 0;
}

/* What libxml2 does with a declaration in a UTF-16 document: ignores UTF-16/UTF-8. */
static bool utf16_safe(const char *name, bool be)
{
	static const char *const exact[] = { "UTF-16", "UTF16", "UTF-8", "UTF8", NULL };
	return name_is(name, exact) || strcasecmp(name, be ? "UTF-16BE" : "UTF-16LE") == 0;
}

/* Units from the first 4 bytes, as libxml2 detects them; false for UCS-4/EBCDIC. */
static bool detect_units(const uint8_t *p, size_t len, units *u)
{
	*u = (units){ .p = p, .n = len, .width = 1 };
	if (len < 4)
		return true;
	if ((p[0] == 0 && p[1] == 0 && (p[2] == 0x3C || (p[2] == 0 && p[3] == 0x3C))) ||
	    (p[0] == 0x3C && p[1] == 0 && p[2] == 0 && p[3] == 0) ||
	    (p[0] == 0 && p[1] == 0x3C && p[2] == 0 && p[3] == 0) ||
	    (p[0] == 0x4C && p[1] == 0x6F && p[2] == 0xA7 && p[3] == 0x94))
		return false;
	if (p[0] == 0x3C && p[1] == 0 && p[2] == 0x3F && p[3] == 0)
		*u = (units){ .p = p, .n = len / 2, .width = 2 };
	else if (p[0] == 0 && p[1] == 0x3C && p[2] == 0 && p[3] == 0x3F)
		*u = (units){ .p = p, .n = len / 2, .width = 2, .be = true };
	else if (p[0] == 0xEF && p[1] == 0xBB && p[2] == 0xBF)
		*u = (units){ .p = p + 3, .n = len - 3, .skip = 3, .width = 1 };
	else if (p[0] == 0xFE && p[1] == 0xFF)
		*u = (units){ .p = p + 2, .n = (len - 2) / 2, .skip = 2, .width = 2, .be = true };
	else if (p[0] == 0xFF && p[1] == 0xFE)
		*u = (units){ .p = p + 2, .n = (len - 2) / 2, .skip = 2, .width = 2 };
	return true;
}

/*
 * The encoding named by an XML declaration at unit 0 into name (empty when
 * there is none); false when the name is longer than MAX_ENC_NAME.
 */
static bool declared_encoding(const units *u, char name[MAX_ENC_NAME + 1])
{
	name[0] = '\0';
	if (!at(u, 0, "<?xml") || u->n < 6 || !is_space(unit(u, 5)))
		return true;
	size_t end = find(u, 5, "?>");
	size_t i = find(u, 5, "encoding");
	if (i == STOP || (end != STOP && i > end) || !is_space(unit(u, i - 1)))
		return true;
	i = skip_space(u, i + 8);
	if (i >= u->n || unit(u, i) != '=')
		return true;
	i = skip_space(u, i + 1);
	if (i >= u->n || (unit(u, i) != '"' && unit(u, i) != '\''))
		return true;
	unsigned q = unit(u, i++);
	size_t k = 0;
	for (; i < u->n && unit(u, i) != q; i++) {
		unsigned c = unit(u, i);
		if (k == MAX_ENC_NAME)
			return false;
		name[k++] = (char)(c < 0x80 ? c : '?');
	}
	name[k] = '\0';
	return true;
}

/* Whether libxml2 has a converter for name (it would switch to it). */
static bool libxml2_knows(const char *name)
{
	xmlCharEncodingHandlerPtr h = xmlFindCharEncodingHandler(name);
	if (!h)
		return false;
	xmlCharEncCloseFunc(h);
	return true;
}

static bool encoding_ok(scanner *sc)
{
	char name[MAX_ENC_NAME + 1];

	if (!declared_encoding(&sc->u, name)) {
		refuse(sc, HV_ERR_UNSUPPORTED, 0, "XML declares an encoding name longer than %d "
		       "characters", MAX_ENC_NAME);
		return false;
	}
	sc->utf8 = sc->u.width == 1 && (!name[0] || strcasecmp(name, "UTF-8") == 0 ||
					 strcasecmp(name, "UTF8") == 0);
	if (!name[0])
		return true;
	bool safe = sc->u.width == 2 ? utf16_safe(name, sc->u.be) : ascii_safe(name);
	if (safe || !libxml2_knows(name))
		return true; /* an unknown name is refused by libxml2 itself */
	refuse(sc, HV_ERR_UNSUPPORTED, 0, "XML %sdeclares encoding \"%s\": not read (hvtpm "
	       "reads XML in UTF-8, ASCII-compatible 8-bit encodings and UTF-16)",
	       sc->u.width == 2 ? "in UTF-16 " : "", name);
	return false;
}

/* ---- markup ------------------------------------------------------------------------- */

/* Units that end a name: white space and the markup characters around names. */
static bool ends_name(unsigned c)
{
	return is_space(c) || c == '>' || c == '/' || c == '<' || c == '=' || c == '"' ||
	       c == '\'';
}

static size_t name_end(const units *u, size_t i)
{
	while (i < u->n && !ends_name(unit(u, i)))
		i++;
	return i;
}

/*
 * Whether the unit at k cannot be in a comment, PI or CDATA section: a control
 * character, U+FFFE/U+FFFF, or (UTF-8) an encoded surrogate.  libxml2 leaves
 * such a section there and reads the rest of it as markup the scan skipped.
 */
static bool bad_in_section(const scanner *sc, size_t k)
{
	const units *u = &sc->u;
	unsigned c = unit(u, k);

	if (c < 0x20)
		return c != '\t' && c != '\n' && c != '\r';
	if (u->width == 2)
		return c == 0xFFFE || c == 0xFFFF;
	if (!sc->utf8 || k + 1 >= u->n)
		return false;
	unsigned c1 = unit(u, k + 1);
	return (c == 0xED && c1 >= 0xA0 && c1 <= 0xBF) ||
	       (c == 0xEF && c1 == 0xBF && k + 2 < u->n && unit(u, k + 2) >= 0xBE);
}

/* The end (lit) of a comment, PI or CDATA section whose body starts at i, or STOP. */
static size_t section_end(scanner *sc, size_t i, const char *lit)
{
	size_t end = find(&sc->u, i, lit);
	size_t stop = end == STOP ? sc->u.n : end;

	for (size_t k = i; k < stop; k++)
		if (bad_in_section(sc, k))
			return give_up(sc, k);
	return end;
}

/* Counts a comment, PI or CDATA section at i; the unit after it, or STOP. */
static size_t count_other(scanner *sc, size_t i, size_t body, const char *lit)
{
	if (++sc->s->others > HV_XML_MAX_OTHER_NODES)
		return refuse(sc, HV_ERR_LIMIT, i, "XML has more than %u comments, processing "
			      "instructions and CDATA sections (cap)", HV_XML_MAX_OTHER_NODES);
	size_t end = section_end(sc, body, lit);
	return end == STOP ? STOP : end + strlen(lit);
}

/* Namespace declarations cost libxml2 a search of those in scope per prefixed name. */
static size_t count_ns(scanner *sc, size_t i, size_t end, tag_counts *t)
{
	const units *u = &sc->u;

	if (!at(u, i, "xmlns") || (end != i + 5 && unit(u, i + 5) != ':'))
		return i;
	if (sc->ns_in_scope + ++t->ns > HV_XML_MAX_NS_IN_SCOPE)
		return refuse(sc, HV_ERR_LIMIT, t->at, "XML has more than %u namespace "
			      "declarations in scope (cap)", HV_XML_MAX_NS_IN_SCOPE);
	return i;
}

/* One name="value" at i, counted; the unit after it, or STOP. */
static size_t attribute(scanner *sc, size_t i, tag_counts *t)
{
	const units *u = &sc->u;
	size_t j = name_end(u, i);

	if (j == i)
		return give_up(sc, i); /* not a name: libxml2 stops here too */
	if (count_ns(sc, i, j, t) == STOP)
		return STOP;
	j = skip_space(u, j);
	if (j >= u->n || unit(u, j) != '=')
		return give_up(sc, j);
	j = skip_space(u, j + 1);
	if (j >= u->n || (unit(u, j) != '"' && unit(u, j) != '\''))
		return give_up(sc, j);
	unsigned q = unit(u, j++);
	while (j < u->n && unit(u, j) != q && unit(u, j) != '<')
		j++;
	if (j >= u->n || unit(u, j) != q)
		return give_up(sc, j); /* cut, or '<' in a value */
	if (++t->attributes > HV_XML_MAX_ATTRS_PER_ELEMENT)
		return refuse(sc, HV_ERR_LIMIT, t->at, "XML element has more than %u attributes "
			      "(cap)", HV_XML_MAX_ATTRS_PER_ELEMENT);
	if (++sc->s->attributes > HV_XML_MAX_ATTRIBUTES)
		return refuse(sc, HV_ERR_LIMIT, i, "XML has more than %u attributes in all (cap)",
			      HV_XML_MAX_ATTRIBUTES);
	return j + 1;
}

/* A start or empty-element tag at i ('<'); the unit after it, or STOP. */
static size_t start_tag(scanner *sc, size_t i)
{
	const units *u = &sc->u;
	tag_counts t = { .at = i };
	size_t j = name_end(u, i + 1);

	size_t level = sc->depth + 1; /* the root is level 1 */

	if (j == i + 1)
		return give_up(sc, j);
	if (++sc->s->elements > HV_XML_MAX_ELEMENTS)
		return refuse(sc, HV_ERR_LIMIT, i, "XML has more than %u elements (cap)",
			      HV_XML_MAX_ELEMENTS);
	if (level > HV_XML_MAX_DEPTH)
		return refuse(sc, HV_ERR_LIMIT, i, "XML nesting deeper than %u levels (cap)",
			      HV_XML_MAX_DEPTH);
	if (level > sc->s->max_depth)
		sc->s->max_depth = level;
	for (;;) {
		j = skip_space(u, j);
		if (j >= u->n)
			return give_up(sc, j);
		unsigned c = unit(u, j);
		if (c == '/')
			return j + 1 < u->n && unit(u, j + 1) == '>' ? j + 2 : give_up(sc, j);
		if (c == '>')
			break;
		j = attribute(sc, j, &t);
		if (j == STOP)
			return STOP;
	}
	sc->depth = level;
	sc->ns_at[level] = t.ns;
	sc->ns_in_scope += t.ns;
	return j + 1;
}

/* An end tag at i ("</"); the unit after it, or STOP. */
static size_t end_tag(scanner *sc, size_t i)
{
	const units *u = &sc->u;
	size_t j = skip_space(u, name_end(u, i + 2));

	if (j >= u->n || unit(u, j) != '>')
		return give_up(sc, j);
	if (sc->depth > 0) {
		sc->ns_in_scope -= sc->ns_at[sc->depth];
		sc->depth--;
	}
	return j + 1;
}

/* The markup at i ('<'); the unit after it, or STOP. */
static size_t markup(scanner *sc, size_t i)
{
	const units *u = &sc->u;

	if (at(u, i, "<!--"))
		return count_other(sc, i, i + 4, "-->");
	if (at(u, i, "<![CDATA["))
		return count_other(sc, i, i + 9, "]]>");
	if (at(u, i, "<!DOCTYPE"))
		/* Hyper-V and MS-KPS documents never carry a DTD; one that does is hostile
		 * or not ours.  Refuse instead of reasoning about entities. */
		return refuse(sc, HV_ERR_CORRUPT, i, "XML has a document type declaration "
			      "(refused: entities are never expanded)");
	if (at(u, i, "<!"))
		return give_up(sc, i + 2);
	if (at(u, i, "<?") && i == 0) { /* the XML declaration: not a node */
		size_t end = section_end(sc, 2, "?>");
		return end == STOP ? STOP : end + 2;
	}
	if (at(u, i, "<?"))
		return count_other(sc, i, i + 2, "?>");
	if (at(u, i, "</"))
		return end_tag(sc, i);
	return start_tag(sc, i);
}

hv_err xml_prescan(const void *data, size_t len, xml_scan *s)
{
	scanner sc = { .s = s, .err = HV_OK };

	memset(s, 0, sizeof(*s));
	if (!detect_units(data, len, &sc.u)) {
		refuse(&sc, HV_ERR_UNSUPPORTED, 0, "XML in UCS-4 or EBCDIC: not read (hvtpm reads "
		       "XML in UTF-8, ASCII-compatible 8-bit encodings and UTF-16)");
		return sc.err;
	}
	sc.stop = sc.u.n;
	if (!encoding_ok(&sc))
		return sc.err;
	for (size_t i = 0; i < sc.u.n;) {
		if (unit(&sc.u, i) != '<') {
			i = find(&sc.u, i, "<");
			continue;
		}
		i = markup(&sc, i);
	}
	s->parse_len = len;
	s->stopped_at = len;
	if (sc.stop < sc.u.n) {
		size_t fed = sc.u.n - sc.stop > STOP_MARGIN ? sc.stop + STOP_MARGIN : sc.u.n;
		s->parse_len = sc.u.skip + fed * sc.u.width;
		s->stopped_at = sc.u.skip + sc.stop * sc.u.width;
	}
	return sc.err;
}
