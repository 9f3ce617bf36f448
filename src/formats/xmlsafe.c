/* xmlsafe.c - hardened libxml2 parsing for untrusted XML. */
#include "formats/xmlsafe.h"

#include <ctype.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include <libxml/parser.h>
#include <libxml/xmlerror.h>

#include "formats/xmlscan.h"
#include "util/xalloc.h"

/* Any attempt to load an external resource is refused. */
static xmlParserInputPtr no_external(const char *url, const char *id, xmlParserCtxtPtr ctxt)
{
	(void)url;
	(void)id;
	(void)ctxt;
	return NULL;
}

static void quiet(void *ctx, const char *msg, ...)
{
	(void)ctx;
	(void)msg;
}

/* libxml2's first fatal error: the later ones follow from it. */
typedef struct {
	char msg[200];
	int line;
	bool seen;
} first_error;

static void keep_first_fatal(void *user, xmlErrorPtr e)
{
	xmlParserCtxtPtr ctxt = user;
	first_error *fe = ctxt->_private;

	if (!e || e->level != XML_ERR_FATAL || fe->seen)
		return;
	fe->seen = true;
	fe->line = e->line;
	snprintf(fe->msg, sizeof fe->msg, "%s", e->message ? e->message : "parse error");
	fe->msg[strcspn(fe->msg, "\r\n")] = '\0';
}

static int depth_ok(const xmlNode *n, unsigned depth)
{
	if (depth > HV_XML_MAX_DEPTH)
		return 0;
	for (const xmlNode *c = n; c; c = c->next)
		if (c->type == XML_ELEMENT_NODE && c->children && !depth_ok(c->children, depth + 1))
			return 0;
	return 1;
}

static uint64_t at_offset(uint64_t offset, size_t at)
{
	return offset == HV_NO_OFFSET ? HV_NO_OFFSET : offset + at;
}

/* Process-wide settings, made once (threads parse in parallel). */
static void xml_once(void)
{
	xmlInitParser();
	xmlSetExternalEntityLoader(no_external);
}

static xmlDocPtr parse(const void *data, size_t len, first_error *fe)
{
	static pthread_once_t once = PTHREAD_ONCE_INIT;
	pthread_once(&once, xml_once);
	xmlSetGenericErrorFunc(NULL, quiet); /* per thread in libxml2 */
	xmlParserCtxtPtr ctxt = xmlNewParserCtxt();
	if (!ctxt)
		xalloc_die();
	ctxt->_private = fe;
	ctxt->sax->serror = keep_first_fatal;
	/* No XML_PARSE_NOENT (that would substitute entities), no DTD loading. */
	int opts = XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING | XML_PARSE_NOCDATA;
	xmlDocPtr doc = xmlCtxtReadMemory(ctxt, data, (int)len, NULL, NULL, opts);
	if (!doc && !fe->seen) {
		const xmlError *e = xmlCtxtGetLastError(ctxt);
		const char *m = e && e->message ? e->message : "parse error";
		snprintf(fe->msg, sizeof fe->msg, "%s", m);
		fe->msg[strcspn(fe->msg, "\r\n")] = '\0';
		fe->line = e ? e->line : 0;
	}
	xmlFreeParserCtxt(ctxt);
	return doc;
}

hv_err xml_parse_bounded(const void *data, size_t len, const char *src, uint64_t offset,
			 xmlDocPtr *doc, hv_findings *f)
{
	xml_scan scan;
	first_error fe = { .seen = false };

	*doc = NULL;
	if (len > HV_XML_MAX_BYTES) {
		findings_add(f, HV_SEV_ERROR, src, offset,
			     "XML document of %zu bytes is over the %u-byte cap", len,
			     HV_XML_MAX_BYTES);
		return HV_ERR_LIMIT;
	}
	hv_err e = xml_prescan(data, len, &scan);
	if (e != HV_OK) {
		findings_add(f, HV_SEV_ERROR, src, at_offset(offset, scan.at), "%s", scan.why);
		return e;
	}
	/* Up to a margin past where the pre-scan met what is not XML (xmlscan.h). */
	xmlDocPtr d = parse(data, scan.parse_len, &fe);
	if (!d) {
		findings_add(f, HV_SEV_ERROR, src, offset, "XML is not well-formed: %s (line %d)",
			     fe.msg, fe.line);
		return HV_ERR_CORRUPT;
	}
	xmlNode *root = xmlDocGetRootElement(d);
	if (d->intSubset || d->extSubset || !root || !depth_ok(root, 1)) {
		/* The pre-scan refused DTDs and deep nesting already: kept as a backstop. */
		findings_add(f, HV_SEV_ERROR, src, offset, root ? "XML has a document type "
			     "declaration or nesting deeper than %u levels" : "XML has no root "
			     "element", HV_XML_MAX_DEPTH);
		xmlFreeDoc(d);
		return HV_ERR_CORRUPT;
	}
	*doc = d;
	return HV_OK;
}

xmlDocPtr xml_parse_safe(const void *data, size_t len, const char *src, uint64_t offset,
			 hv_findings *f)
{
	xmlDocPtr doc;

	return xml_parse_bounded(data, len, src, offset, &doc, f) == HV_OK ? doc : NULL;
}

bool xml_is(const xmlNode *n, const char *local)
{
	return n && n->type == XML_ELEMENT_NODE && strcmp((const char *)n->name, local) == 0;
}

bool xml_is_ns(const xmlNode *n, const char *ns, const char *local)
{
	if (!xml_is(n, local))
		return false;
	if (!ns)
		return true;
	return n->ns && n->ns->href && strcmp((const char *)n->ns->href, ns) == 0;
}

xmlNode *xml_child(const xmlNode *n, const char *local)
{
	for (xmlNode *c = n ? n->children : NULL; c; c = c->next)
		if (xml_is(c, local))
			return c;
	return NULL;
}

char *xml_text(const xmlNode *n)
{
	xmlChar *t = xmlNodeGetContent(n);
	if (!t)
		return xstrdup("");
	const char *s = (const char *)t;
	while (*s && isspace((unsigned char)*s))
		s++;
	size_t l = strlen(s);
	while (l && isspace((unsigned char)s[l - 1]))
		l--;
	char *r = xstrndup(s, l);
	xmlFree(t);
	return r;
}

char *xml_attr(const xmlNode *n, const char *name)
{
	xmlChar *v = xmlGetNoNsProp(n, (const xmlChar *)name);
	if (!v)
		return NULL;
	char *r = xstrdup((const char *)v);
	xmlFree(v);
	return r;
}
