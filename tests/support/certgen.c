/* certgen.c - test-only certificates made with the OpenSSL API. */
#include "support/certgen.h"

#include <stdlib.h>
#include <string.h>

#include <openssl/ec.h>
#include <openssl/x509v3.h>

X509 *certgen_self_signed(const char *cn, time_t nb, time_t na, EVP_PKEY **key_out)
{
	EVP_PKEY *k = EVP_EC_gen("P-256");
	if (!k)
		return NULL;
	X509 *x = X509_new();
	X509_set_version(x, 2);
	static long serial = 1000;
	ASN1_INTEGER_set(X509_get_serialNumber(x), serial++);
	ASN1_TIME_set(X509_getm_notBefore(x), nb);
	ASN1_TIME_set(X509_getm_notAfter(x), na);
	X509_NAME *n = X509_get_subject_name(x);
	/* V_ASN1_UTF8STRING, not MBSTRING_UTF8: Windows writes CNs longer than the
	 * 64-character upper bound OpenSSL enforces for MBSTRING input. */
	X509_NAME_add_entry_by_txt(n, "CN", V_ASN1_UTF8STRING, (const unsigned char *)cn, -1, -1, 0);
	X509_set_issuer_name(x, n);
	X509_set_pubkey(x, k);
	X509_sign(x, k, EVP_sha256());
	if (key_out)
		*key_out = k;
	else
		EVP_PKEY_free(k);
	return x;
}

uint8_t *certgen_der(X509 *x, size_t *len)
{
	unsigned char *der = NULL;
	int n = i2d_X509(x, &der);
	if (n <= 0)
		return NULL;
	uint8_t *out = malloc((size_t)n);
	memcpy(out, der, (size_t)n);
	OPENSSL_free(der);
	*len = (size_t)n;
	return out;
}
