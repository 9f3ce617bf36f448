/* certgen.c - test-only certificates made with the OpenSSL API. */
#include "support/certgen.h"

#include <stdlib.h>
#include <string.h>

#include <openssl/ec.h>
#include <openssl/rand.h>
#include <openssl/x509v3.h>

X509 *certgen_with_key(const char *cn, EVP_PKEY *k, time_t nb, time_t na)
{
	X509 *x = X509_new();
	if (!x)
		return NULL;
	X509_set_version(x, 2);
	unsigned char serial[16];
	RAND_bytes(serial, sizeof serial);
	serial[0] &= 0x7F;
	BIGNUM *bn = BN_bin2bn(serial, sizeof serial, NULL);
	BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(x));
	BN_free(bn);
	ASN1_TIME_set(X509_getm_notBefore(x), nb);
	ASN1_TIME_set(X509_getm_notAfter(x), na);
	X509_NAME *n = X509_get_subject_name(x);
	/* V_ASN1_UTF8STRING, not MBSTRING_UTF8: no 64-character upper bound. */
	X509_NAME_add_entry_by_txt(n, "CN", V_ASN1_UTF8STRING, (const unsigned char *)cn, -1, -1, 0);
	X509_set_issuer_name(x, n);
	X509_set_pubkey(x, k);
	if (!X509_sign(x, k, EVP_sha256())) {
		X509_free(x);
		return NULL;
	}
	return x;
}

X509 *certgen_self_signed(const char *cn, time_t nb, time_t na, EVP_PKEY **key_out)
{
	EVP_PKEY *k = EVP_EC_gen("P-256");
	if (!k)
		return NULL;
	X509 *x = certgen_with_key(cn, k, nb, na);
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
