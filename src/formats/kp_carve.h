/*
 * kp_carve.h - find key protector documents inside arbitrary bytes (memory
 * dumps, guest state files, unknown containers).  HEURISTIC: a hit is a
 * byte range that decodes as an MS-KPS Protector, nothing more is known
 * about where it came from.
 */
#ifndef HVTPM_KP_CARVE_H
#define HVTPM_KP_CARVE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "formats/kp.h"
#include "util/bytes.h"
#include "util/diag.h"

#define KP_CARVE_MAX_HITS 256                   /* further candidates are counted only */
#define KP_CARVE_MAX_DOC (16u * 1024 * 1024)    /* a document's end is looked for this far */

typedef enum {
	KP_CARVE_UTF8 = 0,
	KP_CARVE_UTF16LE,
} kp_carve_enc;

typedef struct {
	uint64_t offset;       /* first byte of the hit (length prefix, BOM or '<') */
	uint64_t xml_offset;   /* the '<' of the Protector start tag */
	uint64_t length;       /* bytes from offset to the end of </Protector> */
	kp_carve_enc enc;
	bool bom;              /* a byte-order mark directly precedes the document */
	bool declaration;      /* an <?xml ...?> declaration precedes the start tag */
	bool length_prefix;    /* a be32 prefix counting itself + the document precedes it */
	hv_err result;         /* kp_decode result */
	kp_doc doc;            /* valid when result == HV_OK */
} kp_carve_hit;

typedef struct {
	kp_carve_hit *v;
	size_t n, cap;
	size_t candidates;     /* start tags seen */
	size_t skipped;        /* no end within KP_CARVE_MAX_DOC, or over the hit cap */
} kp_carve_result;

/*
 * Scans data once (linear in its size; each candidate's end is searched at
 * most KP_CARVE_MAX_DOC bytes ahead and searches are never repeated over the
 * same bytes).  Hits are appended in offset order; findings of a hit's
 * decoding name src and the hit's offset.  Returns HV_OK (no hits is not an
 * error).
 */
hv_err kp_carve(span_t data, const char *src, kp_carve_result *out, hv_findings *f);
void kp_carve_free(kp_carve_result *r);
const char *kp_carve_enc_name(kp_carve_enc e);

#endif
