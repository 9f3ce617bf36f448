/*
 * xmlsafe.h - the one way hvtpm parses XML from evidence.
 *
 * libxml2 with no network access, no external entity or DTD loading, no
 * entity substitution (entities stay as references and are never expanded,
 * so billion-laughs documents stay small), and caps checked before libxml2
 * builds anything: the size, then a linear pre-scan of the bytes (xmlscan.h)
 * for the counts below, the nesting depth and the encoding.  libxml2 never
 * works past what the pre-scan counted (see xmlscan.h).  Encoding comes
 * from the BOM/declaration (UTF-8 or UTF-16).
 *
 * The caps leave a wide margin over real documents: a legacy Hyper-V
 * configuration has about 2,000 elements with one or two attributes each, a
 * key protector about 100 elements with at most a handful, and one or two
 * namespace declarations.  At the caps libxml2 parses in well under a second.
 */
#ifndef HVTPM_XMLSAFE_H
#define HVTPM_XMLSAFE_H

#include <stdbool.h>
#include <stddef.h>

#include <libxml/tree.h>

#include "util/diag.h"

#define HV_XML_MAX_BYTES (16u * 1024 * 1024) /* documents larger than this are refused */
#define HV_XML_MAX_DEPTH 64u                  /* deeper element nesting is refused */
#define HV_XML_MAX_ATTRS_PER_ELEMENT 64u      /* attributes (xmlns included) in one tag */
#define HV_XML_MAX_ATTRIBUTES 524288u         /* attributes in the whole document */
#define HV_XML_MAX_ELEMENTS 262144u           /* elements (VMXML_MAX_NODES, vmxml.h) */
#define HV_XML_MAX_OTHER_NODES 262144u        /* comments, PIs and CDATA sections */
#define HV_XML_MAX_NS_IN_SCOPE 64u            /* namespace declarations of open elements */

/*
 * Parses data as XML into *doc (the caller frees it with xmlFreeDoc).
 * offset is the position of data inside src; findings name src and
 * offset + the byte the refusal is about.  Returns:
 *   HV_ERR_LIMIT        over a cap above (nothing was parsed);
 *   HV_ERR_UNSUPPORTED  an encoding hvtpm does not read (see xmlscan.h);
 *   HV_ERR_CORRUPT      not well-formed, a DTD, no root element.
 * The caller decides whether CORRUPT means "not this format".
 */
hv_err xml_parse_bounded(const void *data, size_t len, const char *src, uint64_t offset,
			 xmlDocPtr *doc, hv_findings *f);

/* xml_parse_bounded returning the document or NULL (the reason is in f). */
xmlDocPtr xml_parse_safe(const void *data, size_t len, const char *src, uint64_t offset,
			 hv_findings *f);

/* Local name equality, ignoring any namespace prefix. */
bool xml_is(const xmlNode *n, const char *local);
/* Local name and namespace URI equality (ns NULL = no namespace required). */
bool xml_is_ns(const xmlNode *n, const char *ns, const char *local);
/* First element child with that local name, or NULL. */
xmlNode *xml_child(const xmlNode *n, const char *local);
/* Text content of an element, trimmed of surrounding white space; caller frees. */
char *xml_text(const xmlNode *n);
/* Attribute value (no namespace); caller frees, NULL when absent. */
char *xml_attr(const xmlNode *n, const char *name);

#endif
