/* xmlsafe.c - hardened libxml2 parsing for untrusted XML. */
#include "formats/xmlsafe.h"

#include <ctype.h>
#include <string.h>

#include <libxml/parser.h>
#include <libxml/xmlerror.h>

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

static int depth_ok(const xmlNode *n, int depth)
{
	if (depth > HV_XML_MAX_DEPTH)
		return 0;
	for (const xmlNode *c = n; c; c = c->next)
		if (c->type == XML_ELEMENT_NODE && c->children && !depth_ok(c->children, depth + 1))
			return 0;
	return 1;
}

xmlDocPtr xml_parse_safe(const void *data, size_t len, const char *src, uint64_t offset,
			 hv_findings *f)
{
	if (len > HV_XML_MAX_BYTES) {
		findings_add(f, HV_SEV_ERROR, src, offset,
			     "XML document of %zu bytes is over the %u-byte cap", len,
			     HV_XML_MAX_BYTES);
		return NULL;
	}
	xmlSetExternalEntityLoader(no_external);
	xmlSetGenericErrorFunc(NULL, quiet);
	xmlParserCtxtPtr ctxt = xmlNewParserCtxt();
	if (!ctxt)
		xalloc_die();
	/* No XML_PARSE_NOENT (that would substitute entities), no DTD loading. */
	int opts = XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING | XML_PARSE_NOCDATA;
	xmlDocPtr doc = xmlCtxtReadMemory(ctxt, data, (int)len, NULL, NULL, opts);
	if (!doc) {
		const xmlError *e = xmlCtxtGetLastError(ctxt);
		findings_add(f, HV_SEV_ERROR, src, offset, "XML is not well-formed: %s (line %d)",
			     e && e->message ? e->message : "parse error", e ? e->line : 0);
		xmlFreeParserCtxt(ctxt);
		return NULL;
	}
	xmlFreeParserCtxt(ctxt);
	if (doc->intSubset || doc->extSubset) {
		/* Hyper-V and MS-KPS documents never carry a DTD; one that does is hostile
		 * or not ours.  Refuse instead of reasoning about entities. */
		findings_add(f, HV_SEV_ERROR, src, offset,
			     "XML has a document type declaration (refused: entities are never expanded)");
		xmlFreeDoc(doc);
		return NULL;
	}
	xmlNode *root = xmlDocGetRootElement(doc);
	if (!root || !depth_ok(root, 1)) {
		findings_add(f, HV_SEV_ERROR, src, offset,
			     root ? "XML nesting deeper than %d levels" : "XML has no root element",
			     HV_XML_MAX_DEPTH);
		xmlFreeDoc(doc);
		return NULL;
	}
	return doc;
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
