/*
 * cert_report.h - one certificate rendered as text or JSON, shared by the
 * key-protector, guardian-metadata and PFX reports.
 *
 * JSON keys (snake_case, stable): role, guardian, host, thumbprint_sha1,
 * sha256, subject, issuer, serial, not_before, not_after, days_left, expired,
 * key_algorithm, key_bits, key_usage[], extended_key_usage[],
 * signature_algorithm, self_signed.  guardian/host are null when the subject
 * does not follow the Shielded VM pattern.
 */
#ifndef HVTPM_CERT_REPORT_H
#define HVTPM_CERT_REPORT_H

#include <stdio.h>
#include <time.h>

#include <json-c/json.h>

#include "formats/cert.h"

/* New JSON object; days_left/expired are computed at time at. NULL cert -> JSON null. */
json_object *cert_report_json(const hv_cert *c, time_t at);
/* Aligned "label: value" lines, each prefixed with indent (may be NULL). */
void cert_report_text(FILE *o, const hv_cert *c, time_t at, const char *indent);
/*
 * Copy of s safe for a terminal: control characters, DEL and invalid UTF-8
 * bytes become \xNN.  NULL gives "-".  Caller frees.
 */
char *cert_report_escape(const char *s);

#endif
