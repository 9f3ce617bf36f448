/*
 * ossl.c - the OpenSSL 3 library context owned by hvtpm.
 *
 * The context is created once (pthread_once) and lives until exit; it is
 * never freed because readers may hold objects bound to it until the very
 * end.  The "default" provider must load; the "legacy" provider (RC2, RC4,
 * DES, MD4...) is optional: old Windows PFX files need it for their RC2-40
 * certificate bags, and its absence is recorded so that such files can be
 * reported as "legacy provider unavailable" instead of "wrong password".
 */
#include "util/ossl.h"

#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/provider.h>

#define OSSL_ERR_LINE_MAX 256
#define OSSL_ERR_MAX_ENTRIES 3

static pthread_once_t ossl_once = PTHREAD_ONCE_INIT;
static OSSL_LIB_CTX *ossl_ctx;
static bool ossl_legacy;

static void ossl_init(void)
{
	OSSL_LIB_CTX *ctx = OSSL_LIB_CTX_new();

	if (ctx == NULL)
		return;
	if (OSSL_PROVIDER_load(ctx, "default") == NULL) {
		OSSL_LIB_CTX_free(ctx);
		ERR_clear_error();
		return;
	}
	ossl_legacy = OSSL_PROVIDER_load(ctx, "legacy") != NULL;
	/* A missing legacy module only leaves noise in the error queue. */
	ERR_clear_error();
	ossl_ctx = ctx;
}

OSSL_LIB_CTX *hv_ossl_ctx(void)
{
	pthread_once(&ossl_once, ossl_init);
	return ossl_ctx;
}

bool hv_ossl_legacy_available(void)
{
	pthread_once(&ossl_once, ossl_init);
	return ossl_legacy;
}

/* Appends the reason of one queued error: "lib: reason" when available. */
static void ossl_append(char *buf, size_t cap, unsigned long e)
{
	const char *reason = ERR_reason_error_string(e);
	const char *lib = ERR_lib_error_string(e);
	size_t used = strlen(buf);
	char one[128];

	if (used + 1 >= cap)
		return;
	if (reason != NULL)
		snprintf(one, sizeof(one), "%s%s%s", lib != NULL ? lib : "",
			 lib != NULL ? ": " : "", reason);
	else
		snprintf(one, sizeof(one), "error %08lx", e);
	snprintf(buf + used, cap - used, "%s%s", used > 0 ? "; " : "", one);
}

const char *hv_ossl_error(void)
{
	static _Thread_local char line[OSSL_ERR_LINE_MAX];
	unsigned long e;
	int n = 0;

	line[0] = '\0';
	while ((e = ERR_get_error()) != 0) {
		if (n++ < OSSL_ERR_MAX_ENTRIES)
			ossl_append(line, sizeof(line), e);
	}
	if (line[0] == '\0')
		snprintf(line, sizeof(line), "no OpenSSL error recorded");
	return line;
}
