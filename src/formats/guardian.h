/*
 * guardian.h - guardian metadata XML: HGS metadata.xml and Export-HgsGuardian
 * files (<Metadata> with <GuardianInformation>, MS-KPS 6.4), or any XML that
 * merely lists base64 certificates (read liberally, and said so).
 */
#ifndef HVTPM_GUARDIAN_H
#define HVTPM_GUARDIAN_H

#include <stdbool.h>
#include <stddef.h>

#include "formats/cert.h"
#include "util/bytes.h"
#include "util/diag.h"

#define GUARDIAN_MAX_CERTS 256 /* certificates kept per document */

typedef struct {
	char *element;   /* local name of the element that held it, e.g. "SigningCertificate" */
	long line;
	hv_cert cert;
} guardian_cert;

typedef struct {
	char *root;            /* local name of the root element */
	char *ns;              /* its namespace URI, NULL when none */
	bool is_metadata;      /* <Metadata> with <GuardianInformation> */
	char *name;            /* guardian name when the file carries one, else NULL */
	char *version;         /* Metadata/@Version or GuardianInformation/Version, else NULL */
	guardian_cert *certs;
	size_t ncerts;
} guardian_doc;

/*
 * Cheap look at the head of the file: an XML document (BOM optional, UTF-8 or
 * UTF-16LE) whose first element's local name is Metadata or
 * GuardianInformation, or whose DOCTYPE names one of them.
 */
bool guardian_sniff(span_t file);

/*
 * Parses the file (UTF-8 with/without BOM or UTF-16 with BOM).  HV_ERR_FORMAT
 * when it is not XML (and not guardian_sniff()ed) or holds no readable
 * certificate at all; HV_ERR_CORRUPT when guardian_sniff() matched but the
 * document is not well-formed or is refused by the XML parser (DTD).
 */
hv_err guardian_decode(span_t file, const char *src, guardian_doc *out, hv_findings *f);
void guardian_free(guardian_doc *g);

#endif
