/* certgen.h - test-only certificates made with the OpenSSL API (fast EC keys). */
#ifndef HVTPM_CERTGEN_H
#define HVTPM_CERTGEN_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include <openssl/evp.h>
#include <openssl/x509.h>

/*
 * A self-signed certificate with subject CN=cn valid [nb, na] on key k, with a
 * random 128-bit serial.  The CN is stored as UTF8String without the 64
 * character upper bound (Windows writes longer Shielded VM subjects).
 */
X509 *certgen_with_key(const char *cn, EVP_PKEY *k, time_t nb, time_t na);
/* The same on a fresh P-256 key. */
X509 *certgen_self_signed(const char *cn, time_t nb, time_t na, EVP_PKEY **key_out);
/* DER of x (malloc'd). */
uint8_t *certgen_der(X509 *x, size_t *len);

#endif
