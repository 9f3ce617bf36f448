/*
 * kp_writer.h - test-only writer of synthesized key protectors.
 *
 * Builds MS-KPS <Protector> documents with any number of wrappings, with
 * certificates generated here through the OpenSSL API (RSA, any subject
 * length: Windows subjects exceed the 64-character CN limit the openssl
 * tool enforces), and saves them in every form a user may hand to hvtpm.
 *
 * Everything is synthesized: CipherValues and unspecified signatures are
 * pseudo-random bytes from a fixed seed (reproducible output for samples/).
 * Signatures the tests verify are computed over the forms kp.c documents:
 * certificate signatures over the signed certificate's DER, the guardian
 * signature over the exclusive-C14N form of <Wrappings>, which this writer
 * emits literally (it writes <Wrappings> already in canonical form).
 */
#ifndef HVTPM_KP_WRITER_H
#define HVTPM_KP_WRITER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <openssl/evp.h>
#include <openssl/x509.h>

#define KPW_NS "http://schemas.microsoft.com/kps/2014/07"
#define KPW_ALG_RSA_SHA256 "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256"
#define KPW_ALG_RSA_PSS_SHA256 "http://www.w3.org/2007/05/xmldsig-more#sha256-rsa-MGF1"
#define KPW_ALG_TRANSPORT "http://www.w3.org/2001/04/xmlenc#rsa-oaep-mgf1p"
#define KPW_ALG_KDF "urn:hvtpm:synthesized:kdf"

typedef struct {
	EVP_PKEY *key;
	X509 *x509;
	uint8_t *der;
	size_t der_len;
} kpw_cert;

/*
 * RSA certificate with subject CN=cn, valid from one day ago for days days.
 * Self-signed when issuer is NULL, else signed by issuer (whose subject
 * becomes the issuer name).  Never NULL (aborts on failure).
 */
kpw_cert *kpw_cert_new(const char *cn, int bits, int days, const kpw_cert *issuer);
void kpw_cert_free(kpw_cert *c);

/* Signs data with c's key: scheme "pkcs1-sha256" or "pss-sha256". Caller frees. */
uint8_t *kpw_sign(const kpw_cert *c, const char *scheme, const void *data, size_t n,
		  size_t *siglen);

/* base64 of n bytes, one line, NUL-terminated. Caller frees. */
char *kpw_base64(const void *p, size_t n);

/* Deterministic pseudo-random bytes (fixed seed; kpw_seed() restarts the sequence). */
void kpw_seed(uint64_t seed);
void kpw_random(uint8_t *p, size_t n);

typedef struct {
	uint32_t id;
	uint32_t parent_id;              /* == id for the owner */
	bool omit_parent;                /* leave out @ParentWrappingId */
	const uint8_t *signing_der;      /* NULL: element omitted unless signing_b64 */
	size_t signing_len;
	const uint8_t *encryption_der;
	size_t encryption_len;
	const char *signing_b64;         /* literal text instead of base64(signing_der) */
	const char *encryption_b64;
	const char *sig_alg;             /* both certificate signatures; NULL: KPW_ALG_RSA_SHA256 */
	const uint8_t *signing_sig;      /* NULL: 256 pseudo-random bytes */
	size_t signing_sig_len;
	const uint8_t *encryption_sig;
	size_t encryption_sig_len;
	const char *transport_alg;       /* NULL: KPW_ALG_TRANSPORT */
} kpw_wrapping;

typedef struct {
	const char *prefix;              /* namespace prefix; NULL: default namespace */
	const char *ns;                  /* NULL: KPW_NS */
	long max_offline_unwraps;        /* < 0: attribute omitted */
	bool declaration;                /* emit <?xml version="1.0" encoding="utf-8"?> */
	uint32_t guardian_wrapping_id;
	const char *guardian_sig_alg;    /* NULL: KPW_ALG_RSA_SHA256 */
	const uint8_t *guardian_sig;     /* NULL: pseudo-random */
	size_t guardian_sig_len;
	const kpw_wrapping *w;
	size_t n;
} kpw_doc;

/* Exclusive-C14N bytes of the document's <Wrappings> element. Caller frees. */
char *kpw_wrappings_c14n(const kpw_doc *d, size_t *len);
/* The whole document, UTF-8 without BOM. Caller frees. */
char *kpw_xml(const kpw_doc *d, size_t *len);

typedef enum {
	KPW_FORM_OCTET_STRING = 0,     /* be32 total length + XML (Get-VMKeyProtector bytes) */
	KPW_FORM_OUTFILE_UTF16_CRLF,   /* Windows PowerShell 5.1 Out-File of those bytes */
	KPW_FORM_OUTFILE_UTF8_LF,      /* PowerShell 7 Out-File, no BOM */
	KPW_FORM_OUTFILE_UTF8_BOM_CRLF,
	KPW_FORM_BASE64,               /* [Convert]::ToBase64String of the bytes, wrapped at 76 */
	KPW_FORM_XML_UTF8,             /* bare XML */
	KPW_FORM_XML_UTF8_BOM,
	KPW_FORM_XML_UTF16,            /* bare XML, UTF-16LE with BOM */
	KPW_FORM_CIM_ARRAY,            /* CIM-XML instance with PROPERTY.ARRAY KeyProtector */
	KPW_FORM_COUNT
} kpw_form;

const char *kpw_form_name(kpw_form form);
/* be32 total length + payload. Caller frees. */
uint8_t *kpw_frame(const void *payload, size_t n, size_t *len);
/* The XML document saved in that form. Caller frees. */
uint8_t *kpw_save(const void *xml, size_t n, kpw_form form, size_t *len);

/* Convenience: owner-only document with fresh "Shielded VM" certificates for guardian/host. */
typedef struct {
	kpw_cert *signing;
	kpw_cert *encryption;
} kpw_guardian;

kpw_guardian kpw_guardian_new(const char *guardian, const char *host, int days);
void kpw_guardian_free(kpw_guardian *g);
/* A wrapping for g with pseudo-random signatures. */
kpw_wrapping kpw_wrapping_for(const kpw_guardian *g, uint32_t id, uint32_t parent_id);

#endif
