/*
 * cert.c - the facts hvtpm reports for one X.509 certificate.
 *
 * Input is DER (from a key protector, guardian metadata or a PFX).  The
 * certificate is decoded with OpenSSL 3 in hvtpm's library context; every
 * derived value is computed once here so that readers and reports agree:
 *
 *   thumbprint   SHA-1 over the DER, upper-case hex (the Windows "Thumbprint")
 *   sha256       SHA-256 over the DER, lower-case hex
 *   subject      one line, RFC 2253 order, UTF-8 kept, control bytes escaped
 *   serial       upper-case hex of the (possibly negative) INTEGER
 *   validity     notBefore/notAfter as time_t (UTC) and ISO 8601
 *   key          algorithm name and size in bits
 *   KU/EKU       comma-separated names (EKU: short names, else dotted OIDs)
 *   self_signed  issuer == subject AND the signature verifies with the
 *                certificate's own public key
 *
 * Shielded VM subject pattern [confirmed: SAV p. 362, docs/key-protector.md s.7.1]:
 *   CN=Shielded VM {Encryption|Signing} Certificate (<guardian>) (<host>)
 * The host is the last parenthesised group (host names carry no
 * parentheses); the guardian is everything between the first "(" and the
 * last ") (", so a guardian name may itself contain spaces and parentheses.
 * Anything else is CERT_ROLE_OTHER with no guardian or host.
 *
 * Trailing bytes after the DER certificate are reported (warning) and
 * ignored: the certificate's identity is the DER that was consumed.
 */
#include "formats/cert.h"

#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/asn1.h>
#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/x509v3.h>

#include "util/fileio.h"
#include "util/ossl.h"
#include "util/strmap.h"
#include "util/strbuf.h"
#include "util/text.h"
#include "util/xalloc.h"

#define CERT_DER_MAX (1024u * 1024)   /* larger "certificates" are refused */
#define CERT_NAME_MAX (16u * 1024)    /* a one-line name longer than this is cut */
#define CERT_EKU_MAX 64               /* EKU entries listed at most */
#define CERT_OID_TXT 128
#define SECONDS_PER_DAY 86400

#define CERT_CACHE_MAX 4096           /* distinct certificates kept parsed per process */
#define SHIELDED_ENC_PREFIX "Shielded VM Encryption Certificate "
#define SHIELDED_SIG_PREFIX "Shielded VM Signing Certificate "
#define SHIELDED_GROUP_SEP ") ("

const char *cert_role_name(cert_role r)
{
	switch (r) {
	case CERT_ROLE_ENCRYPTION:
		return "encryption";
	case CERT_ROLE_SIGNING:
		return "signing";
	case CERT_ROLE_OTHER:
		break;
	}
	return "other";
}

static bool has_paren(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (s[i] == '(' || s[i] == ')')
			return true;
	return false;
}

bool cert_parse_shielded_cn(const char *cn, cert_role *role, char **guardian, char **host)
{
	cert_role r;
	const char *rest;

	*role = CERT_ROLE_OTHER;
	*guardian = NULL;
	*host = NULL;
	if (cn == NULL)
		return false;
	if (strncmp(cn, SHIELDED_ENC_PREFIX, strlen(SHIELDED_ENC_PREFIX)) == 0) {
		r = CERT_ROLE_ENCRYPTION;
		rest = cn + strlen(SHIELDED_ENC_PREFIX);
	} else if (strncmp(cn, SHIELDED_SIG_PREFIX, strlen(SHIELDED_SIG_PREFIX)) == 0) {
		r = CERT_ROLE_SIGNING;
		rest = cn + strlen(SHIELDED_SIG_PREFIX);
	} else {
		return false;
	}
	size_t len = strlen(rest);
	if (len < 6 || rest[0] != '(' || rest[len - 1] != ')')
		return false;
	/* The last ") (" separates guardian and host. */
	const char *sep = NULL;
	for (const char *p = rest; (p = strstr(p, SHIELDED_GROUP_SEP)) != NULL; p++)
		sep = p;
	if (sep == NULL)
		return false;
	const char *g = rest + 1;
	size_t glen = (size_t)(sep - g);
	const char *h = sep + strlen(SHIELDED_GROUP_SEP);
	size_t hlen = (size_t)(rest + len - 1 - h);
	if (glen == 0 || hlen == 0 || has_paren(h, hlen))
		return false;
	*role = r;
	*guardian = xstrndup(g, glen);
	*host = xstrndup(h, hlen);
	return true;
}

long cert_days_left(const hv_cert *c, time_t at)
{
	long long d, q;

	if (__builtin_sub_overflow((long long)c->not_after, (long long)at, &d))
		return c->not_after > at ? LONG_MAX : LONG_MIN;
	q = d / SECONDS_PER_DAY;

	if (d % SECONDS_PER_DAY != 0 && d < 0)
		q--; /* floor: one second past notAfter is day -1 */
	if (q > LONG_MAX)
		return LONG_MAX;
	if (q < LONG_MIN)
		return LONG_MIN;
	return (long)q;
}

static void digest_hex(const char *alg, const uint8_t *p, size_t n, bool upper, char *out,
		       size_t outcap)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	size_t mdlen = 0;

	out[0] = '\0';
	if (!EVP_Q_digest(hv_ossl_ctx(), alg, NULL, p, n, md, &mdlen) ||
	    mdlen * 2 + 1 > outcap) {
		ERR_clear_error();
		return;
	}
	hex_encode(md, mdlen, upper, out);
}

static char *bio_take(BIO *b)
{
	char *data = NULL;
	long n = BIO_get_mem_data(b, &data);

	if (n <= 0 || data == NULL)
		return xstrdup("");
	if ((unsigned long)n > CERT_NAME_MAX)
		n = CERT_NAME_MAX;
	return xstrndup(data, (size_t)n);
}

static char *name_line(const X509_NAME *nm)
{
	BIO *b = BIO_new(BIO_s_mem());
	char *s;

	if (b == NULL)
		xalloc_die();
	/* RFC 2253 with UTF-8 kept readable; control characters stay escaped. */
	if (nm == NULL || X509_NAME_print_ex(b, nm, 0, XN_FLAG_RFC2253 & ~ASN1_STRFLGS_ESC_MSB) < 0)
		ERR_clear_error();
	s = bio_take(b);
	BIO_free(b);
	return s;
}

static char *serial_hex(const X509 *x)
{
	BIGNUM *bn = ASN1_INTEGER_to_BN(X509_get0_serialNumber(x), NULL);
	char *h, *r;

	if (bn == NULL) {
		ERR_clear_error();
		return xstrdup("");
	}
	h = BN_bn2hex(bn);
	BN_free(bn);
	if (h == NULL)
		xalloc_die();
	r = xstrdup(h);
	OPENSSL_free(h);
	return r;
}

static void asn1_time(const ASN1_TIME *t, time_t *out, char iso[32])
{
	struct tm tm;

	memset(&tm, 0, sizeof(tm));
	*out = 0;
	iso[0] = '\0';
	if (t == NULL || !ASN1_TIME_to_tm(t, &tm)) {
		ERR_clear_error();
		snprintf(iso, 32, "invalid");
		return;
	}
	*out = timegm(&tm);
	time_to_iso(*out, iso);
}

static const char *pkey_name(const EVP_PKEY *k)
{
	static const char *const names[] = { "RSA", "RSA-PSS", "EC", "DSA", "ED25519",
					     "ED448", "X25519", "X448", "DH" };

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (EVP_PKEY_is_a(k, names[i]))
			return names[i];
	const char *t = EVP_PKEY_get0_type_name(k);
	return t != NULL ? t : "unknown";
}

/* Copies s into a fixed buffer, cut to fit. */
static void copy_cut(char *dst, size_t cap, const char *s)
{
	size_t n = strnlen(s, cap - 1);

	memcpy(dst, s, n);
	dst[n] = '\0';
}

static void key_facts(X509 *x, hv_cert *c)
{
	EVP_PKEY *k = X509_get0_pubkey(x);

	if (k != NULL) {
		copy_cut(c->key_alg, sizeof(c->key_alg), pkey_name(k));
		c->key_bits = EVP_PKEY_get_bits(k);
		return;
	}
	ERR_clear_error();
	/* Unsupported key type: name its algorithm OID. */
	ASN1_OBJECT *alg = NULL;
	char oid[CERT_OID_TXT];
	if (X509_PUBKEY_get0_param(&alg, NULL, NULL, NULL, X509_get_X509_PUBKEY(x)) &&
	    alg != NULL && OBJ_obj2txt(oid, sizeof(oid), alg, 0) > 0)
		copy_cut(c->key_alg, sizeof(c->key_alg), oid);
	else
		copy_cut(c->key_alg, sizeof(c->key_alg), "unknown");
	c->key_bits = 0;
}

static char *key_usage_names(X509 *x)
{
	static const struct {
		uint32_t bit;
		const char *name;
	} ku[] = {
		{ KU_DIGITAL_SIGNATURE, "digitalSignature" },
		{ KU_NON_REPUDIATION, "nonRepudiation" },
		{ KU_KEY_ENCIPHERMENT, "keyEncipherment" },
		{ KU_DATA_ENCIPHERMENT, "dataEncipherment" },
		{ KU_KEY_AGREEMENT, "keyAgreement" },
		{ KU_KEY_CERT_SIGN, "keyCertSign" },
		{ KU_CRL_SIGN, "cRLSign" },
		{ KU_ENCIPHER_ONLY, "encipherOnly" },
		{ KU_DECIPHER_ONLY, "decipherOnly" },
	};
	strbuf sb = STRBUF_INIT;
	uint32_t v = X509_get_key_usage(x);

	ERR_clear_error();
	if (v != UINT32_MAX)
		for (size_t i = 0; i < sizeof(ku) / sizeof(ku[0]); i++)
			if (v & ku[i].bit)
				sb_addf(&sb, "%s%s", sb.len ? "," : "", ku[i].name);
	return sb_detach(&sb);
}

static void obj_name(const ASN1_OBJECT *o, char *buf, size_t cap)
{
	int nid = OBJ_obj2nid(o);
	const char *sn = nid != NID_undef ? OBJ_nid2sn(nid) : NULL;

	if (sn != NULL)
		snprintf(buf, cap, "%s", sn);
	else if (OBJ_obj2txt(buf, (int)cap, o, 1) <= 0)
		snprintf(buf, cap, "unknown");
}

static char *ext_key_usage_names(X509 *x)
{
	strbuf sb = STRBUF_INIT;
	EXTENDED_KEY_USAGE *eku = X509_get_ext_d2i(x, NID_ext_key_usage, NULL, NULL);

	ERR_clear_error();
	if (eku == NULL)
		return sb_detach(&sb);
	int n = sk_ASN1_OBJECT_num(eku);
	for (int i = 0; i < n && i < CERT_EKU_MAX; i++) {
		char buf[CERT_OID_TXT];
		obj_name(sk_ASN1_OBJECT_value(eku, i), buf, sizeof(buf));
		sb_addf(&sb, "%s%s", sb.len ? "," : "", buf);
	}
	EXTENDED_KEY_USAGE_free(eku);
	return sb_detach(&sb);
}

static char *sig_alg_name(const X509 *x)
{
	const X509_ALGOR *alg = NULL;
	const ASN1_OBJECT *obj = NULL;
	char buf[CERT_OID_TXT];

	X509_get0_signature(NULL, &alg, x);
	if (alg == NULL)
		return xstrdup("unknown");
	X509_ALGOR_get0(&obj, NULL, NULL, alg);
	int nid = obj != NULL ? OBJ_obj2nid(obj) : NID_undef;
	if (nid != NID_undef && OBJ_nid2ln(nid) != NULL)
		return xstrdup(OBJ_nid2ln(nid));
	if (obj == NULL || OBJ_obj2txt(buf, sizeof(buf), obj, 1) <= 0)
		return xstrdup("unknown");
	return xstrdup(buf);
}

static bool is_self_signed(X509 *x)
{
	EVP_PKEY *k;
	bool ok;

	if (X509_NAME_cmp(X509_get_issuer_name(x), X509_get_subject_name(x)) != 0)
		return false;
	k = X509_get0_pubkey(x);
	ok = k != NULL && X509_verify(x, k) == 1;
	ERR_clear_error();
	return ok;
}

/* The single CN of the subject as UTF-8, or NULL (absent, repeated, unreadable). */
static char *subject_cn(const X509 *x)
{
	const X509_NAME *nm = X509_get_subject_name(x);
	int i = X509_NAME_get_index_by_NID(nm, NID_commonName, -1);
	unsigned char *u = NULL;

	if (i < 0 || X509_NAME_get_index_by_NID(nm, NID_commonName, i) >= 0)
		return NULL;
	const ASN1_STRING *s = X509_NAME_ENTRY_get_data(X509_NAME_get_entry(nm, i));
	int n = ASN1_STRING_to_UTF8(&u, s);
	if (n < 0) {
		ERR_clear_error();
		return NULL;
	}
	char *r = NULL;
	if (memchr(u, '\0', (size_t)n) == NULL)
		r = xstrndup((const char *)u, (size_t)n);
	OPENSSL_free(u);
	return r;
}

/* Fills everything from c->x509 and c->der. */
static void cert_fill(hv_cert *c)
{
	X509 *x = c->x509;
	char *cn;

	digest_hex("SHA1", c->der, c->der_len, true, c->thumbprint, sizeof(c->thumbprint));
	digest_hex("SHA256", c->der, c->der_len, false, c->sha256, sizeof(c->sha256));
	c->subject = name_line(X509_get_subject_name(x));
	c->issuer = name_line(X509_get_issuer_name(x));
	c->serial = serial_hex(x);
	asn1_time(X509_get0_notBefore(x), &c->not_before, c->not_before_iso);
	asn1_time(X509_get0_notAfter(x), &c->not_after, c->not_after_iso);
	key_facts(x, c);
	c->key_usage = key_usage_names(x);
	c->ext_key_usage = ext_key_usage_names(x);
	c->sig_alg = sig_alg_name(x);
	c->self_signed = is_self_signed(x);
	cn = subject_cn(x);
	cert_parse_shielded_cn(cn, &c->role, &c->guardian, &c->host);
	free(cn);
	ERR_clear_error();
}

/*
 * Parsed certificates by the SHA-256 of their DER.  The same two guardian
 * certificates sit in the key protector of every VM of a host, and parsing
 * one (OpenSSL's decoder for its public key above all) costs far more than
 * copying its facts: each distinct certificate is parsed once per process.
 * Shared between threads (X509 objects are reference counted).
 */
static struct {
	pthread_mutex_t mu;
	strmap index;
	hv_cert **v;
	size_t n, cap;
} cache = { PTHREAD_MUTEX_INITIALIZER, STRMAP_INIT, NULL, 0, 0 };

static char *dup_or_null(const char *s)
{
	return s ? xstrdup(s) : NULL;
}

hv_err cert_copy(const hv_cert *src, hv_cert *dst)
{
	*dst = *src;
	if (src->x509 && !X509_up_ref(src->x509)) {
		memset(dst, 0, sizeof *dst);
		return HV_ERR_INTERNAL;
	}
	dst->der = src->der ? xmemdup(src->der, src->der_len) : NULL;
	dst->subject = dup_or_null(src->subject);
	dst->issuer = dup_or_null(src->issuer);
	dst->serial = dup_or_null(src->serial);
	dst->key_usage = dup_or_null(src->key_usage);
	dst->ext_key_usage = dup_or_null(src->ext_key_usage);
	dst->sig_alg = dup_or_null(src->sig_alg);
	dst->guardian = dup_or_null(src->guardian);
	dst->host = dup_or_null(src->host);
	return HV_OK;
}

static bool cache_take(const char sha[65], hv_cert *out)
{
	pthread_mutex_lock(&cache.mu);
	size_t i = strmap_get(&cache.index, sha);
	bool hit = i != SIZE_MAX && cert_copy(cache.v[i], out) == HV_OK;
	pthread_mutex_unlock(&cache.mu);
	return hit;
}

static void cache_put(const char sha[65], const hv_cert *c)
{
	pthread_mutex_lock(&cache.mu);
	if (cache.n < CERT_CACHE_MAX && strmap_get(&cache.index, sha) == SIZE_MAX) {
		hv_cert *copy = xmalloc(sizeof *copy);
		if (cert_copy(c, copy) == HV_OK) {
			cache.v = xgrow(cache.v, &cache.cap, cache.n + 1, sizeof *cache.v);
			cache.v[cache.n] = copy;
			strmap_put(&cache.index, xstrdup(sha), cache.n++);
		} else {
			free(copy);
		}
	}
	pthread_mutex_unlock(&cache.mu);
}

static hv_err cert_parse_der(const uint8_t *der, size_t len, hv_cert *out, const char *src,
			     uint64_t offset, hv_findings *f);

hv_err cert_from_der(const uint8_t *der, size_t len, hv_cert *out, const char *src,
		     uint64_t offset, hv_findings *f)
{
	memset(out, 0, sizeof(*out));
	if (der == NULL || len == 0 || len > CERT_DER_MAX)
		return cert_parse_der(der, len, out, src, offset, f);
	uint8_t dig[32];
	char sha[65];
	hv_sha256(der, len, dig);
	hv_sha256_hex(dig, sha);
	if (cache_take(sha, out))
		return HV_OK;
	hv_err rc = cert_parse_der(der, len, out, src, offset, f);
	/* Only a DER that is the whole input is kept: trailing bytes give a warning each time. */
	if (rc == HV_OK && out->der_len == len)
		cache_put(sha, out);
	return rc;
}

static hv_err cert_parse_der(const uint8_t *der, size_t len, hv_cert *out, const char *src,
			     uint64_t offset, hv_findings *f)
{
	memset(out, 0, sizeof(*out));
	if (der == NULL || len == 0) {
		findings_add(f, HV_SEV_ERROR, src, offset, "empty certificate");
		return HV_ERR_FORMAT;
	}
	if (len > CERT_DER_MAX) {
		findings_add(f, HV_SEV_ERROR, src, offset,
			     "certificate of %zu bytes is over the %u-byte cap", len, CERT_DER_MAX);
		return HV_ERR_LIMIT;
	}
	X509 *x = X509_new_ex(hv_ossl_ctx(), NULL);
	if (x == NULL)
		xalloc_die();
	const unsigned char *p = der;
	if (d2i_X509(&x, &p, (long)len) == NULL) {
		findings_add(f, HV_SEV_ERROR, src, offset, "not a DER X.509 certificate: %s",
			     hv_ossl_error());
		X509_free(x); /* NULL already when d2i freed it */
		return HV_ERR_FORMAT;
	}
	size_t used = (size_t)(p - der);
	if (used < len)
		findings_add(f, HV_SEV_WARN, src, offset,
			     "%zu bytes after the %zu-byte certificate ignored", len - used, used);
	out->x509 = x;
	out->der = xmemdup(der, used);
	out->der_len = used;
	cert_fill(out);
	return HV_OK;
}

hv_err cert_from_x509(X509 *x, hv_cert *out)
{
	unsigned char *der = NULL;
	int n;

	memset(out, 0, sizeof(*out));
	if (x == NULL)
		return HV_ERR_INTERNAL;
	n = i2d_X509(x, &der);
	if (n <= 0) {
		ERR_clear_error();
		return HV_ERR_CORRUPT;
	}
	if (!X509_up_ref(x)) {
		OPENSSL_free(der);
		return HV_ERR_INTERNAL;
	}
	out->x509 = x;
	out->der = xmemdup(der, (size_t)n);
	out->der_len = (size_t)n;
	OPENSSL_free(der);
	cert_fill(out);
	return HV_OK;
}

void cert_drop_parsed(hv_cert *c)
{
	X509_free(c->x509);
	c->x509 = NULL;
}

void cert_free(hv_cert *c)
{
	if (c == NULL)
		return;
	X509_free(c->x509);
	free(c->der);
	free(c->subject);
	free(c->issuer);
	free(c->serial);
	free(c->key_usage);
	free(c->ext_key_usage);
	free(c->sig_alg);
	free(c->guardian);
	free(c->host);
	memset(c, 0, sizeof(*c));
}
