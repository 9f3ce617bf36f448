/*
 * vmxml.h - reader for the legacy Hyper-V XML virtual machine configuration
 * (Hyper-V 2008 - 2012 R2, configuration version 5.0 and older).
 *
 * Pure: parses bytes from memory through xmlsafe.h, never prints.  The
 * result is the same key/value tree the HyperVStorage reader produces
 * (virtual root -> "configuration" -> ...), so the VM model does not care
 * which format a VM came from.  Format notes are in vmxml.c.
 */
#ifndef HVTPM_VMXML_H
#define HVTPM_VMXML_H

#include <stdbool.h>

#include "formats/kvtree.h"
#include "util/bytes.h"
#include "util/diag.h"

#define VMXML_MAX_NODES 262144u /* more elements than this are refused (HV_ERR_LIMIT) */

/*
 * Cheap check of the first bytes: a UTF-16LE or UTF-8 document (BOM
 * optional) whose first element, after the declaration, comments and
 * processing instructions, is <configuration>.
 */
bool vmxml_sniff(span_t data);

/*
 * Parses a legacy XML configuration.  name is used in findings.  On HV_OK
 * *root receives a new virtual root (free with kv_free); the tree may come
 * with warnings (bad values, unknown types).  Errors: HV_ERR_FORMAT (not XML
 * or not a <configuration> document), HV_ERR_CORRUPT (not well-formed, DTD,
 * too deep), HV_ERR_LIMIT (size or node cap).  *root is NULL on error.
 */
hv_err vmxml_read(span_t data, const char *name, kv_node **root, hv_findings *f);

#endif
