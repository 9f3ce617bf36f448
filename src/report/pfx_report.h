/*
 * pfx_report.h - a PFX file or a certificate file rendered as aligned text
 * or JSON.  No password ever reaches these functions: a candidate is shown
 * by its label only.
 *
 * PFX JSON keys (snake_case, stable):
 *   file, format ("pfx"), status (ok|io|format|corrupt|unsupported|limit|
 *   password|internal), reason, opened_by {source, position, label} | null,
 *   dpapi_ng, version, mac {present, digest, iterations, salt_length,
 *   verified, weak}, safes[] {index, type, pbe, iterations, weak, decrypted,
 *   bag_count}, bags[] {index, type, safe, pbe, iterations, weak, type_oid},
 *   certificates[] {index, has_private_key, key_index, friendly_name,
 *   local_key_id, csp, certificate (cert_report_json)}, keys[] {index,
 *   algorithm, bits, decrypted, consistent, matched_certificate,
 *   friendly_name, local_key_id, csp}, weaknesses[].
 *   opened_by.source: no_password | empty_password | password_file |
 *   environment | prompt | default_list; position is 0 for the first two.
 *
 * Certificate-file JSON keys: file, format (der|pem|pkcs7_der), status,
 *   reason, private_key_present, key_needs_password, certificates[] {index,
 *   offset, has_private_key, key_index, certificate}, keys[] {index,
 *   pem_label, algorithm, bits, encrypted, matched_certificate, offset}.
 */
#ifndef HVTPM_PFX_REPORT_H
#define HVTPM_PFX_REPORT_H

#include <stdio.h>
#include <time.h>

#include <json-c/json.h>

#include "formats/certfile.h"
#include "formats/pfx.h"

/* Stable snake_case code for a status ("ok", "password", ...). */
const char *pfx_report_status_code(hv_err e);

void pfx_report_text(FILE *o, const char *name, const pfx_file *p, time_t at);
json_object *pfx_report_json(const char *name, const pfx_file *p, time_t at);

void certfile_report_text(FILE *o, const char *name, const certfile *c, time_t at);
json_object *certfile_report_json(const char *name, const certfile *c, time_t at);

#endif
