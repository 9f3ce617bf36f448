/*
 * kp_input.h - every form in which a key protector gets saved, normalised
 * to the UTF-8 XML payload that kp_decode() reads.
 *
 * Forms (they nest; each is one layer, outermost first):
 *   OctetString   4-byte big-endian total length + payload; 00 00 00 04 = no KP
 *   decimal lines Out-File of a byte[]: one decimal 0..255 per line, UTF-16LE
 *                 with BOM (Windows PowerShell 5.1) or UTF-8 with/without BOM
 *                 (PowerShell 6+), CRLF or LF
 *   base64        base64 text, line-wrapped or not
 *   CIM array     CIM-XML <VALUE.ARRAY> of decimal <VALUE>s, possibly inside a
 *                 larger instance (<PROPERTY.ARRAY NAME="KeyProtector">)
 *   XML           the <Protector> document: UTF-8 with/without BOM, or
 *                 UTF-16LE with BOM (transcoded to UTF-8)
 */
#ifndef HVTPM_KP_INPUT_H
#define HVTPM_KP_INPUT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/bytes.h"
#include "util/diag.h"

#define KP_INPUT_MAX_FILE (128u * 1024 * 1024) /* larger inputs are refused */
#define KP_INPUT_MAX_LAYERS 6                 /* deeper nesting is refused */

typedef enum {
	KP_FORM_XML = 0,
	KP_FORM_OCTET_STRING,
	KP_FORM_DECIMAL_LINES,
	KP_FORM_BASE64,
	KP_FORM_CIM_ARRAY,
} kp_form;

typedef enum {
	KP_TEXT_BINARY = 0,   /* not read as text */
	KP_TEXT_UTF8,
	KP_TEXT_UTF8_BOM,
	KP_TEXT_UTF16LE_BOM,
} kp_text_enc;

typedef struct {
	kp_form form;
	kp_text_enc enc;        /* how this layer's text was encoded */
	bool crlf;              /* decimal lines / base64: CRLF line ends seen */
	bool length_mismatch;   /* OctetString: prefix disagreed with the size */
} kp_layer;

typedef struct {
	kp_layer layers[KP_INPUT_MAX_LAYERS]; /* outermost first */
	size_t nlayers;
	bool empty;               /* OctetString of length 4: the VM has no key protector */
	uint8_t *payload;         /* UTF-8 XML without BOM; NULL when empty */
	size_t len;
	uint64_t payload_offset;  /* offset of payload in the file, HV_NO_OFFSET when decoded */
	char *property;           /* CIM property the bytes came from, or NULL */
	char *description;        /* "decimal lines (UTF-16LE BOM, CRLF) > OctetString > XML" */
} kp_input;

/*
 * Recognises and unwraps file.  HV_OK with empty set for "no key protector";
 * HV_ERR_FORMAT when no known form matches; HV_ERR_LIMIT over the caps.
 * In a CIM document the "KeyProtector" property is taken (or the first byte
 * array when there is none); the others are named in a note.
 */
hv_err kp_input_normalize(span_t file, const char *src, kp_input *out, hv_findings *f);
/* Same, taking the CIM property with that NAME (e.g. "LastKnownGoodKeyProtector"). */
hv_err kp_input_normalize_property(span_t file, const char *src, const char *property,
				   kp_input *out, hv_findings *f);
void kp_input_free(kp_input *in);
const char *kp_form_name(kp_form form);
const char *kp_text_enc_name(kp_text_enc enc);

#endif
