/* pfx_fixtures.c - PFX fixtures built with the OpenSSL API (see pfx_fixtures.h). */
#include "support/pfx_fixtures.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/objects.h>
#include <openssl/pem.h>
#include <openssl/pkcs12.h>
#include <openssl/rand.h>

#include "support/testutil.h"

#define FX_ITER 2048
#define FX_PROTECTED_PASSWORD_OID "1.3.6.1.4.1.311.17.4"

static X509 *load_cert(const char *path)
{
	FILE *f = fopen(path, "r");
	X509 *x = f != NULL ? PEM_read_X509(f, NULL, NULL, NULL) : NULL;

	if (f != NULL)
		fclose(f);
	return x;
}

static EVP_PKEY *load_key(const char *path)
{
	FILE *f = fopen(path, "r");
	EVP_PKEY *k = f != NULL ? PEM_read_PrivateKey(f, NULL, NULL, NULL) : NULL;

	if (f != NULL)
		fclose(f);
	return k;
}

static bool write_p12(PKCS12 *p12, const char *out)
{
	unsigned char *der = NULL;
	int n = p12 != NULL ? i2d_PKCS12(p12, &der) : -1;

	if (n <= 0)
		return false;
	tu_write(out, der, (size_t)n);
	OPENSSL_free(der);
	return true;
}

bool pfxfx_null_password(const char *cert_pem, const char *key_pem, const char *out)
{
	X509 *x = load_cert(cert_pem);
	EVP_PKEY *k = load_key(key_pem);
	PKCS12 *p12 = NULL;
	bool ok;

	if (x != NULL && k != NULL)
		p12 = PKCS12_create(NULL, "null password", k, x, NULL, 0, 0, 0, 0, 0);
	ok = write_p12(p12, out);
	PKCS12_free(p12);
	X509_free(x);
	EVP_PKEY_free(k);
	ERR_clear_error();
	return ok;
}

/* Wraps bag lists into an AuthenticatedSafe and sets the MAC. */
static PKCS12 *assemble(STACK_OF(PKCS7) *safes, const char *mac_pass)
{
	PKCS12 *p12 = PKCS12_add_safes(safes, 0);

	if (p12 != NULL && !PKCS12_set_mac(p12, mac_pass, -1, NULL, 0, FX_ITER, NULL)) {
		PKCS12_free(p12);
		p12 = NULL;
	}
	return p12;
}

bool pfxfx_mismatch(const char *cert_pem, const char *key_pem, const char *pass,
		    const char *out)
{
	static const unsigned char id[4] = { 0xDE, 0xAD, 0xBE, 0xEF };
	X509 *x = load_cert(cert_pem);
	EVP_PKEY *k = load_key(key_pem);
	STACK_OF(PKCS12_SAFEBAG) *bags = NULL;
	STACK_OF(PKCS7) *safes = NULL;
	PKCS12_SAFEBAG *cb, *kb;
	PKCS12 *p12 = NULL;
	bool ok = false;

	if (x == NULL || k == NULL)
		goto done;
	cb = PKCS12_add_cert(&bags, x);
	kb = PKCS12_add_key(&bags, k, 0, FX_ITER, NID_pbe_WithSHA1And3_Key_TripleDES_CBC, pass);
	if (cb == NULL || kb == NULL || !PKCS12_add_localkeyid(cb, (unsigned char *)id, 4) ||
	    !PKCS12_add_localkeyid(kb, (unsigned char *)id, 4))
		goto done;
	if (PKCS12_add_safe(&safes, bags, -1, 0, NULL) == 0)
		goto done;
	p12 = assemble(safes, pass);
	ok = write_p12(p12, out);
done:
	PKCS12_free(p12);
	sk_PKCS7_pop_free(safes, PKCS7_free);
	sk_PKCS12_SAFEBAG_pop_free(bags, PKCS12_SAFEBAG_free);
	X509_free(x);
	EVP_PKEY_free(k);
	ERR_clear_error();
	return ok;
}

bool pfxfx_dpapi_ng(const char *cert_pem, const char *key_pem, const char *out)
{
	unsigned char rnd[24], blob[64];
	char pass[2 * sizeof(rnd) + 1];
	X509 *x = load_cert(cert_pem);
	EVP_PKEY *k = load_key(key_pem);
	STACK_OF(PKCS12_SAFEBAG) *enc = NULL, *plain = NULL;
	STACK_OF(PKCS7) *safes = NULL;
	PKCS12 *p12 = NULL;
	int nid = OBJ_txt2nid(FX_PROTECTED_PASSWORD_OID);
	bool ok = false;

	if (nid == NID_undef)
		nid = OBJ_create(FX_PROTECTED_PASSWORD_OID, "hvtpmTestProtectedPassword",
				 "PKCS#12 protected password secret bag (test)");
	if (x == NULL || k == NULL || nid == NID_undef || RAND_bytes(rnd, sizeof(rnd)) != 1 ||
	    RAND_bytes(blob, sizeof(blob)) != 1)
		goto done;
	for (size_t i = 0; i < sizeof(rnd); i++)
		snprintf(pass + 2 * i, 3, "%02x", rnd[i]);
	if (PKCS12_add_cert(&enc, x) == NULL ||
	    PKCS12_add_key(&enc, k, 0, FX_ITER, NID_aes_256_cbc, pass) == NULL ||
	    PKCS12_add_secret(&plain, nid, blob, sizeof(blob)) == NULL)
		goto done;
	if (PKCS12_add_safe(&safes, enc, NID_aes_256_cbc, FX_ITER, pass) == 0 ||
	    PKCS12_add_safe(&safes, plain, -1, 0, NULL) == 0)
		goto done;
	p12 = assemble(safes, pass);
	ok = write_p12(p12, out);
done:
	OPENSSL_cleanse(pass, sizeof(pass));
	PKCS12_free(p12);
	sk_PKCS7_pop_free(safes, PKCS7_free);
	sk_PKCS12_SAFEBAG_pop_free(enc, PKCS12_SAFEBAG_free);
	sk_PKCS12_SAFEBAG_pop_free(plain, PKCS12_SAFEBAG_free);
	X509_free(x);
	EVP_PKEY_free(k);
	ERR_clear_error();
	return ok;
}

static bool random_pass(char *pass, size_t n)
{
	unsigned char rnd[16];

	if (n < 2 * sizeof(rnd) + 1 || RAND_bytes(rnd, sizeof(rnd)) != 1)
		return false;
	for (size_t i = 0; i < sizeof(rnd); i++)
		snprintf(pass + 2 * i, 3, "%02x", rnd[i]);
	return true;
}

bool pfxfx_enveloped(const char *cert_pem, const char *key_pem, const char *out)
{
	static const char payload[] = "opaque safe contents";
	char pass[64];
	X509 *x = load_cert(cert_pem);
	EVP_PKEY *k = load_key(key_pem);
	STACK_OF(X509) *rcpt = sk_X509_new_null();
	STACK_OF(PKCS12_SAFEBAG) *enc = NULL;
	STACK_OF(PKCS7) *safes = sk_PKCS7_new_null();
	BIO *in = BIO_new_mem_buf(payload, (int)sizeof(payload));
	PKCS7 *env = NULL;
	PKCS12 *p12 = NULL;
	bool ok = false;

	if (x == NULL || k == NULL || rcpt == NULL || safes == NULL || in == NULL ||
	    !random_pass(pass, sizeof(pass)) || !sk_X509_push(rcpt, x))
		goto done;
	env = PKCS7_encrypt(rcpt, in, EVP_aes_256_cbc(), PKCS7_BINARY);
	if (env == NULL || !sk_PKCS7_push(safes, env))
		goto done;
	env = NULL;
	if (PKCS12_add_cert(&enc, x) == NULL ||
	    PKCS12_add_safe(&safes, enc, NID_aes_256_cbc, FX_ITER, pass) == 0)
		goto done;
	p12 = assemble(safes, pass);
	ok = write_p12(p12, out);
done:
	OPENSSL_cleanse(pass, sizeof(pass));
	PKCS7_free(env);
	PKCS12_free(p12);
	BIO_free(in);
	sk_PKCS7_pop_free(safes, PKCS7_free);
	sk_PKCS12_SAFEBAG_pop_free(enc, PKCS12_SAFEBAG_free);
	sk_X509_free(rcpt);
	X509_free(x);
	EVP_PKEY_free(k);
	ERR_clear_error();
	return ok;
}

bool pfxfx_patch(const char *path, const void *pat, size_t n, size_t at, uint8_t v, bool last)
{
	size_t len;
	uint8_t *b = tu_read(path, &len);
	uint8_t *hit = NULL;

	if (b == NULL || at >= n)
		return false;
	for (size_t i = 0; i + n <= len; i++) {
		if (memcmp(b + i, pat, n) == 0) {
			hit = b + i;
			if (!last)
				break;
		}
	}
	if (hit != NULL) {
		hit[at] = v;
		tu_write(path, b, len);
	}
	free(b);
	return hit != NULL;
}

bool pfxfx_remac(const char *path, const char *pass)
{
	size_t len;
	uint8_t *b = tu_read(path, &len);
	const unsigned char *p = b;
	PKCS12 *p12 = b != NULL ? d2i_PKCS12(NULL, &p, (long)len) : NULL;
	bool ok = p12 != NULL && PKCS12_set_mac(p12, pass, -1, NULL, 0, FX_ITER, NULL) == 1 &&
		  write_p12(p12, path);

	PKCS12_free(p12);
	free(b);
	ERR_clear_error();
	return ok;
}

bool pfxfx_set_mac_iter(const char *path, long iter)
{
	size_t len;
	uint8_t *b = tu_read(path, &len);
	const unsigned char *p = b;
	PKCS12 *p12 = b != NULL ? d2i_PKCS12(NULL, &p, (long)len) : NULL;
	const ASN1_INTEGER *it = NULL;
	bool ok = false;

	if (p12 != NULL) {
		PKCS12_get0_mac(NULL, NULL, NULL, &it, p12);
		/* The accessor is read-only; this fixture deliberately edits in place. */
		ok = it != NULL && ASN1_INTEGER_set((ASN1_INTEGER *)it, iter) == 1 &&
		     write_p12(p12, path);
	}
	PKCS12_free(p12);
	free(b);
	ERR_clear_error();
	return ok;
}
