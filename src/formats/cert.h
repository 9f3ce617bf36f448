/*
 * cert.h - the facts hvtpm reports for an X.509 certificate, shared by the
 * key-protector, guardian-metadata and PFX readers.
 *
 * The Shielded VM subject pattern is
 *   CN=Shielded VM {Encryption|Signing} Certificate (<guardian>) (<host>)
 * A certificate that does not follow it gets role CERT_ROLE_OTHER and no
 * guardian/host: it is reported as such, never guessed.
 */
#ifndef HVTPM_CERT_H
#define HVTPM_CERT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include <openssl/x509.h>

#include "util/diag.h"

typedef enum {
	CERT_ROLE_OTHER = 0,   /* not a Shielded VM certificate name */
	CERT_ROLE_ENCRYPTION,
	CERT_ROLE_SIGNING,
} cert_role;

typedef struct {
	X509 *x509;               /* owned reference */
	uint8_t *der;             /* owned DER bytes */
	size_t der_len;
	char thumbprint[41];      /* SHA-1 of the DER, upper-case hex (Windows "Thumbprint") */
	char sha256[65];          /* SHA-256 of the DER, lower-case hex */
	char *subject;            /* RFC 2253-like one-line form, e.g. "CN=..." */
	char *issuer;
	char *serial;             /* upper-case hex */
	time_t not_before, not_after;
	char not_before_iso[32], not_after_iso[32];
	char key_alg[16];         /* "RSA", "EC", ... */
	int key_bits;
	char *key_usage;          /* comma-separated names, "" when absent */
	char *ext_key_usage;      /* comma-separated names or OIDs, "" when absent */
	char *sig_alg;            /* signature algorithm name */
	bool self_signed;         /* issuer == subject and the signature verifies */
	cert_role role;
	char *guardian;           /* from the subject pattern, or NULL */
	char *host;               /* from the subject pattern, or NULL */
} hv_cert;

/*
 * Parses DER.  On failure adds a finding naming src (and offset when known).
 * Each distinct certificate is parsed once per process: a DER met again is
 * copied from the first parse (thread-safe).
 */
hv_err cert_from_der(const uint8_t *der, size_t len, hv_cert *out, const char *src,
		     uint64_t offset, hv_findings *f);
/*
 * A copy of src (its own strings and DER; the parsed X509, when there is
 * one, shared by reference).  Free both with cert_free.
 */
hv_err cert_copy(const hv_cert *src, hv_cert *dst);
/* Takes a new reference on x. */
hv_err cert_from_x509(X509 *x, hv_cert *out);
void cert_free(hv_cert *c);
/*
 * Frees the parsed X509 object and keeps the DER and every fact above, for
 * evidence sets that hold thousands of certificates.  A certificate is then
 * present when der != NULL (x509 is NULL); reports that print a certificate
 * in full (cert_report) need the parsed object and must not be given one.
 */
void cert_drop_parsed(hv_cert *c);
/* Whole days from at until notAfter (negative once expired). */
long cert_days_left(const hv_cert *c, time_t at);
const char *cert_role_name(cert_role r);
/* Parses a Shielded VM subject CN; false when it does not follow the pattern. */
bool cert_parse_shielded_cn(const char *cn, cert_role *role, char **guardian, char **host);

#endif
