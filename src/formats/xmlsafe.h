/*
 * xmlsafe.h - the one way hvtpm parses XML from evidence.
 *
 * libxml2 with no network access, no external entity or DTD loading, no
 * entity substitution (entities stay as references and are never expanded,
 * so billion-laughs documents stay small), and a size cap checked before
 * parsing.  Encoding comes from the BOM/declaration (UTF-8 or UTF-16).
 */
#ifndef HVTPM_XMLSAFE_H
#define HVTPM_XMLSAFE_H

#include <stdbool.h>
#include <stddef.h>

#include <libxml/tree.h>

#include "util/diag.h"

#define HV_XML_MAX_BYTES (16u * 1024 * 1024) /* documents larger than this are refused */
#define HV_XML_MAX_DEPTH 64                   /* deeper element nesting is refused */

/*
 * Parses data as XML.  Returns NULL and adds a finding naming src on
 * failure (size cap, not well-formed, DTD with entity declarations).
 * offset is the position of data inside src, for findings.
 */
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
