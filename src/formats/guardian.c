/*
 * guardian.c - guardian metadata XML (HGS metadata.xml, Export-HgsGuardian).
 *
 * Schema [confirmed: MS-KPS 6.4; docs/key-protector.md s.6.1]:
 *   <Metadata Version=uint [ID]>
 *     <GuardianInformation>
 *       Version, EncryptionCertificate (base64 DER), SigningCertificate (base64
 *       DER), EncryptionCertificateSignature, SigningCertificateSelfSignature,
 *       OtherSigningCertificates?
 *     </GuardianInformation>
 *     <ds:Signature/>
 * That Export-HgsGuardian writes the same schema is [inferred, likely]; the
 * namespace is recorded, never required: elements are matched by local name.
 *
 * Certificates are taken from every leaf element whose local name contains
 * "Certificate" but not "Signature" (so the signature elements are skipped),
 * plus any leaf whose text starts like base64 DER ("MII") - the liberal
 * reading of a bare certificate list, reported as such.  The guardian name
 * is taken from a Name/FriendlyName attribute of the root or
 * GuardianInformation, or a Name/FriendlyName/GuardianName element; there
 * is none in the MS-KPS schema, so it is usually absent.  A key protector
 * document (<Protector>/<Wrappings> root) is refused: it is not metadata.
 *
 * Recognition (guardian_sniff): the first GUARDIAN_SNIFF_BYTES of the file,
 * UTF-8 (BOM optional) or UTF-16LE (BOM, or '<' 00 at the start), skipping
 * the XML declaration, processing instructions and comments: the first
 * element's local name, or the name a DOCTYPE gives, is Metadata or
 * GuardianInformation.  A sniffed document that then fails to parse (cut,
 * DTD refused, two roots) is reported corrupt, not passed over as "not
 * guardian metadata".
 */
#include "formats/guardian.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "formats/kp.h"
#include "formats/xmlsafe.h"
#include "util/base64.h"
#include "util/text.h"
#include "util/xalloc.h"

#define GUARDIAN_CERT_MAX_BYTES (1024u * 1024)
#define GUARDIAN_DER_SNIFF "MII" /* base64 of 30 82 xx: a DER SEQUENCE of 256..65535 bytes */
#define GUARDIAN_SNIFF_BYTES 1024 /* head of the file looked at by guardian_sniff */
#define GUARDIAN_NAME_MAX 64      /* longest element name compared when sniffing */
#define DOCTYPE_OPEN "<!DOCTYPE"
#define COMMENT_OPEN "<!--"

static const uint8_t BOM_UTF8[3] = { 0xEF, 0xBB, 0xBF };
static const uint8_t BOM_UTF16LE[2] = { 0xFF, 0xFE };
static const char *const root_names[] = { "Metadata", "GuardianInformation" };

static const char *const name_attrs[] = { "Name", "FriendlyName" };
static const char *const name_elems[] = { "Name", "FriendlyName", "GuardianName" };

/* Next node in document order under top, without recursion. */
static xmlNode *next_node(xmlNode *n, const xmlNode *top)
{
	if (n->children != NULL)
		return n->children;
	while (n != NULL && n != top && n->next == NULL)
		n = n->parent;
	return n == NULL || n == top ? NULL : n->next;
}

static bool is_leaf(const xmlNode *n)
{
	for (const xmlNode *c = n->children; c; c = c->next)
		if (c->type == XML_ELEMENT_NODE)
			return false;
	return true;
}

static bool named_like_cert(const xmlNode *n)
{
	const char *s = (const char *)n->name;

	return strstr(s, "Certificate") != NULL && strstr(s, "Signature") == NULL;
}

static void add_cert(guardian_doc *g, const xmlNode *n, const char *text, const char *src,
		     hv_findings *f, bool named)
{
	uint8_t *der = NULL;
	size_t len = 0;
	long line = xmlGetLineNo(n);

	if (!hv_base64_decode(text, strlen(text), GUARDIAN_CERT_MAX_BYTES, 0, &der, &len, NULL) ||
	    len == 0) {
		if (named)
			findings_add(f, HV_SEV_WARN, src, HV_NO_OFFSET, "<%.64s> (line %ld) is not "
				     "base64", (const char *)n->name, line);
		free(der);
		return;
	}
	if (g->ncerts == GUARDIAN_MAX_CERTS) {
		findings_add(f, HV_SEV_WARN, src, HV_NO_OFFSET, "more than %d certificates; "
			     "<%.64s> (line %ld) and later ones ignored", GUARDIAN_MAX_CERTS,
			     (const char *)n->name, line);
		free(der);
		return;
	}
	hv_findings tmp = { 0 };
	guardian_cert *gc = &g->certs[g->ncerts];
	if (cert_from_der(der, len, &gc->cert, src, HV_NO_OFFSET, &tmp) == HV_OK) {
		gc->element = xstrdup((const char *)n->name);
		gc->line = line;
		g->ncerts++;
	}
	for (size_t i = 0; i < tmp.n; i++)
		findings_add(f, tmp.v[i].sev, src, HV_NO_OFFSET, "<%.64s> (line %ld): %s",
			     (const char *)n->name, line, tmp.v[i].msg);
	findings_free(&tmp);
	free(der);
}

static xmlNode *child_named(const xmlNode *n, const char *local)
{
	return n ? xml_child(n, local) : NULL;
}

static char *find_name(xmlNode *root, xmlNode *info)
{
	const xmlNode *holders[2] = { root, info };

	const size_t nattrs = sizeof(name_attrs) / sizeof(name_attrs[0]);

	for (size_t h = 0; h < 2; h++)
		for (size_t a = 0; holders[h] && a < nattrs; a++) {
			char *v = xml_attr(holders[h], name_attrs[a]);
			if (v != NULL && *v)
				return v;
			free(v);
		}
	for (xmlNode *n = root; n != NULL; n = next_node(n, root)) {
		if (n->type != XML_ELEMENT_NODE || !is_leaf(n))
			continue;
		for (size_t e = 0; e < sizeof(name_elems) / sizeof(name_elems[0]); e++)
			if (xml_is(n, name_elems[e])) {
				char *v = xml_text(n);
				if (*v)
					return v;
				free(v);
			}
	}
	return NULL;
}

static char *find_version(xmlNode *root, xmlNode *info)
{
	char *v = xml_attr(root, "Version");
	xmlNode *n;

	if (v != NULL)
		return v;
	n = child_named(info, "Version");
	return n ? xml_text(n) : NULL;
}

static void collect_certs(guardian_doc *g, xmlNode *root, const char *src, hv_findings *f)
{
	for (xmlNode *n = root; n != NULL; n = next_node(n, root)) {
		if (n->type != XML_ELEMENT_NODE || !is_leaf(n))
			continue;
		bool named = named_like_cert(n);
		char *t = xml_text(n);
		if (named || strncmp(t, GUARDIAN_DER_SNIFF, strlen(GUARDIAN_DER_SNIFF)) == 0)
			add_cert(g, n, t, src, f, named);
		free(t);
	}
}

/* The head of the file as NUL-terminated UTF-8 (BOM dropped); caller frees. */
static char *sniff_head(span_t file)
{
	const uint8_t *p = file.data;
	size_t n = file.len;

	if (n >= sizeof(BOM_UTF16LE) && memcmp(p, BOM_UTF16LE, sizeof(BOM_UTF16LE)) == 0) {
		n -= sizeof(BOM_UTF16LE);
		n = (n < GUARDIAN_SNIFF_BYTES ? n : GUARDIAN_SNIFF_BYTES) & ~(size_t)1;
		return utf16le_to_utf8(p + sizeof(BOM_UTF16LE), n);
	}
	if (n >= 2 && p[0] == '<' && p[1] == 0)
		return utf16le_to_utf8(p, (n < GUARDIAN_SNIFF_BYTES ? n : GUARDIAN_SNIFF_BYTES) &
					      ~(size_t)1);
	if (n >= sizeof(BOM_UTF8) && memcmp(p, BOM_UTF8, sizeof(BOM_UTF8)) == 0) {
		p += sizeof(BOM_UTF8);
		n -= sizeof(BOM_UTF8);
	}
	return xstrndup((const char *)p, n < GUARDIAN_SNIFF_BYTES ? n : GUARDIAN_SNIFF_BYTES);
}

static const char *skip_space(const char *s)
{
	while (*s == ' ' || *s == '\t' || *s == '\r' || *s == '\n')
		s++;
	return s;
}

/* True when the element name at s (up to white space, '/', '>' or '[') is a root name. */
static bool is_root_name(const char *s)
{
	size_t n = strcspn(s, " \t\r\n/>[");
	const char *colon = memchr(s, ':', n);

	if (colon != NULL) {
		n -= (size_t)(colon + 1 - s);
		s = colon + 1;
	}
	if (n == 0 || n > GUARDIAN_NAME_MAX)
		return false;
	for (size_t i = 0; i < sizeof(root_names) / sizeof(root_names[0]); i++)
		if (strlen(root_names[i]) == n && strncmp(s, root_names[i], n) == 0)
			return true;
	return false;
}

/* Skips the markup at s that is not an element; NULL when the head ends inside it. */
static const char *skip_markup(const char *s)
{
	const char *end;

	if (strncmp(s, COMMENT_OPEN, strlen(COMMENT_OPEN)) == 0) {
		end = strstr(s, "-->");
		return end ? end + 3 : NULL;
	}
	end = strchr(s, '>');
	return end ? end + 1 : NULL;
}

bool guardian_sniff(span_t file)
{
	char *head = sniff_head(file);
	const char *s = head;
	bool hit = false;

	while (s != NULL) {
		s = skip_space(s);
		if (*s != '<')
			break;
		if (strncmp(s, DOCTYPE_OPEN, strlen(DOCTYPE_OPEN)) == 0) {
			hit = is_root_name(skip_space(s + strlen(DOCTYPE_OPEN)));
			break;
		}
		if (s[1] != '?' && s[1] != '!') {
			hit = is_root_name(s + 1);
			break;
		}
		s = skip_markup(s);
	}
	free(head);
	return hit;
}

hv_err guardian_decode(span_t file, const char *src, guardian_doc *out, hv_findings *f)
{
	memset(out, 0, sizeof(*out));
	bool sniffed = guardian_sniff(file);
	xmlDocPtr doc;
	hv_err pe = xml_parse_bounded(file.data, file.len, src, 0, &doc, f);
	if (pe != HV_OK) {
		if (!sniffed)
			return HV_ERR_FORMAT;
		findings_add(f, HV_SEV_ERROR, src, 0, "guardian metadata XML is damaged or "
			     "refused by the XML parser");
		return pe;
	}
	xmlNode *root = xmlDocGetRootElement(doc);
	xmlNode *info = xml_is(root, "Metadata") ? xml_child(root, "GuardianInformation") : NULL;

	if (xml_is(root, "Protector") || xml_is(root, "Wrappings")) {
		/* Its certificates would pass the liberal reading: say what it is instead. */
		findings_add(f, HV_SEV_ERROR, src, HV_NO_OFFSET, "<%s> is a key protector, not "
			     "guardian metadata", (const char *)root->name);
		xmlFreeDoc(doc);
		return HV_ERR_FORMAT;
	}

	out->root = xstrdup((const char *)root->name);
	if (root->ns != NULL && root->ns->href != NULL)
		out->ns = xstrdup((const char *)root->ns->href);
	out->is_metadata = info != NULL;
	out->name = find_name(root, info);
	out->version = out->is_metadata ? find_version(root, info) : NULL;
	out->certs = xcalloc(GUARDIAN_MAX_CERTS, sizeof(*out->certs));
	collect_certs(out, root, src, f);
	xmlFreeDoc(doc);
	if (out->ncerts == 0) {
		findings_add(f, HV_SEV_ERROR, src, HV_NO_OFFSET, "<%.64s> document holds no "
			     "readable certificate", out->root);
		guardian_free(out);
		return HV_ERR_FORMAT;
	}
	if (!out->is_metadata)
		findings_add(f, HV_SEV_NOTE, src, HV_NO_OFFSET, "not <Metadata>/"
			     "<GuardianInformation> guardian metadata: %zu certificates taken "
			     "from a <%.64s> document by element name and content (liberal "
			     "reading)", out->ncerts, out->root);
	return HV_OK;
}

void guardian_free(guardian_doc *g)
{
	if (g == NULL)
		return;
	for (size_t i = 0; i < g->ncerts; i++) {
		free(g->certs[i].element);
		cert_free(&g->certs[i].cert);
	}
	free(g->certs);
	free(g->root);
	free(g->ns);
	free(g->name);
	free(g->version);
	memset(g, 0, sizeof(*g));
}
