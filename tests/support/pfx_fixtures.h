/*
 * pfx_fixtures.h - PFX fixtures the openssl command line cannot make,
 * built with the OpenSSL API at test time from PEM files the suite
 * generated a moment earlier (throwaway keys, never committed).
 */
#ifndef HVTPM_PFX_FIXTURES_H
#define HVTPM_PFX_FIXTURES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* A PFX whose MAC and encryption use the NULL password (PKCS12_create with pass NULL). */
bool pfxfx_null_password(const char *cert_pem, const char *key_pem, const char *out);
/*
 * A PFX holding cert_pem and an unrelated key_pem in one plain SafeContents,
 * both carrying the same localKeyId; the key is 3DES-shrouded with pass.
 */
bool pfxfx_mismatch(const char *cert_pem, const char *key_pem, const char *pass,
		    const char *out);
/*
 * The layout inferred for a DPAPI-NG ("-ProtectTo") export: bags encrypted
 * with a random password that is never revealed, plus a plain secretBag of
 * type 1.3.6.1.4.1.311.17.4 holding an opaque blob.
 */
bool pfxfx_dpapi_ng(const char *cert_pem, const char *key_pem, const char *out);
/*
 * Public-key privacy mode: an AuthenticatedSafe whose first entry is a
 * PKCS#7 envelopedData (to cert_pem's key), plus the usual encrypted bags
 * under a random password.
 */
bool pfxfx_enveloped(const char *cert_pem, const char *key_pem, const char *out);
/* Replaces byte `at` of the first (or last) occurrence of pat in the file with v. */
bool pfxfx_patch(const char *path, const void *pat, size_t n, size_t at, uint8_t v, bool last);
/* Recomputes the MAC of a PFX with pass (after a patch inside the authSafe). */
bool pfxfx_remac(const char *path, const char *pass);

/* Rewrites the MAC iteration count (the MAC value is left stale on purpose). */
bool pfxfx_set_mac_iter(const char *path, long iter);

#endif
