/*
 * ossl.h - the OpenSSL 3 library context owned by hvtpm.
 *
 * One context with the "default" and "legacy" providers loaded, so that old
 * Windows PFX files (RC2-40 certificate bags) open.  Created on first use,
 * thread-safe.  Whether the legacy provider could be loaded is recorded, so
 * a PFX that needs it can be reported as "legacy provider unavailable"
 * rather than as a wrong password.
 */
#ifndef HVTPM_OSSL_H
#define HVTPM_OSSL_H

#include <stdbool.h>

#include <openssl/types.h>

OSSL_LIB_CTX *hv_ossl_ctx(void);
bool hv_ossl_legacy_available(void);
/* Drains OpenSSL's error queue into one short line (static buffer per thread). */
const char *hv_ossl_error(void);

#endif
