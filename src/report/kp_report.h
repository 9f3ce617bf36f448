/*
 * kp_report.h - key protector documents, saved-form layers, KP comparisons,
 * carve hits and guardian metadata as aligned text or JSON (json-c,
 * snake_case keys, stable order).  CipherValue/SignatureValue contents are
 * never shown (the readers do not even keep them): only lengths.
 */
#ifndef HVTPM_KP_REPORT_H
#define HVTPM_KP_REPORT_H

#include <stdio.h>
#include <time.h>

#include <json-c/json.h>

#include "formats/guardian.h"
#include "formats/kp.h"
#include "formats/kp_carve.h"
#include "formats/kp_input.h"
#include "report/out.h"

/*
 * { namespace_prefix, max_offline_unwraps, owner_wrapping_id, owner_count,
 *   guardian_signature_wrapping_id, guardian_signature{}, key_derivation_algorithm,
 *   transport_key_signature{}, algorithms[], problems,
 *   wrappings[{ id, parent_id, is_owner, chains_to_owner, line,
 *               signing_certificate{cert_report}, encryption_certificate{},
 *               algorithms{signing_certificate_signature,
 *                          encryption_certificate_signature, transport_key},
 *               transport_key_cipher_length,
 *               signatures{ signing_certificate{status, reason, value_length},
 *                           encryption_certificate{...} } }] }
 * Signature status: "verified" | "failed" | "not_verifiable".
 */
json_object *kp_report_json(const kp_doc *d, time_t at);
void kp_report_text(FILE *o, const kp_doc *d, time_t at);

/* { description, empty, property, layers[{form, encoding, crlf, length_mismatch}] } */
json_object *kp_input_report_json(const kp_input *in);
void kp_input_report_text(FILE *o, const kp_input *in);

/* a = current KP, b = last-known-good KP (kp_compare(current, lkg, ...)). */
json_object *kp_compare_report_json(const kp_diff *d);
void kp_compare_report_text(FILE *o, const kp_diff *d);

/* { heuristic: true, hits[{offset, xml_offset, length, encoding, bom, length_prefix,
 *   result, key_protector{...} }], truncated } */
json_object *kp_carve_report_json(const kp_carve_result *r, time_t at);
void kp_carve_report_text(FILE *o, const kp_carve_result *r, time_t at);

/* { root, namespace, is_metadata, name, version, certificates[{element, certificate{}}] } */
json_object *guardian_report_json(const guardian_doc *g, time_t at);
void guardian_report_text(FILE *o, const guardian_doc *g, time_t at);

#endif
