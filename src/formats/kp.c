/*
 * kp.c - decode an MS-KPS <Protector> document (the Hyper-V vTPM key protector).
 *
 * Format [confirmed: MS-KPS 2.2.2.x, 6.1; docs/key-protector.md s.3]:
 *   namespace http://schemas.microsoft.com/kps/2014/07, elementFormDefault
 *   qualified: elements are matched by local name AND this namespace URI,
 *   whatever the prefix.
 *
 *   Protector [@MaxOfflineUnwraps uint]
 *     Wrappings
 *       Wrapping (1..n)
 *         Id                              uint32
 *         SigningCertificate              base64 DER X.509
 *         SigningCertificateSignature     [@ParentWrappingId uint32]
 *           Signature [@Algorithm] { Parameters?, SignatureValue base64 }
 *         EncryptionCertificate           base64 DER X.509
 *         EncryptionCertificateSignature
 *           Signature [@Algorithm] { Parameters?, SignatureValue }
 *         TransportKey
 *           EncryptedData [@Algorithm] { Parameters?, CipherValue base64 }
 *     TransportKeySignature
 *       KeyDerivationMethod [@Algorithm]
 *       Signature [@Algorithm] { Parameters?, SignatureValue }
 *     GuardianSignature [@WrappingId uint32]
 *       Signature [@Algorithm] { Parameters?, SignatureValue }
 *
 * Owner = the self-parented wrapping (ParentWrappingId == Id); every other
 * wrapping is a guardian and must chain up to the owner [confirmed: KPS].
 * A bare <Wrappings> root (no Protector) is accepted with a note [inferred].
 *
 * Signatures [the exact signed bytes and the algorithm URIs are NOT public]:
 *   SigningCertificateSignature     signer: parent's signing certificate
 *   EncryptionCertificateSignature  signer: this wrapping's signing certificate
 *   GuardianSignature               signer: signing certificate of @WrappingId,
 *                                   over exc-c14n(Wrappings) [confirmed: KPS
 *                                   describes the form; not checked on a real KP]
 *   TransportKeySignature           key derived from the transport key: never
 *                                   verifiable offline
 * For the certificate signatures the signed bytes tried are, in order: the
 * DER of the signed certificate, then its base64 text [synthesized
 * assumption].  Recognised URIs are the XML-DSig RSA PKCS#1 v1.5, RSA-PSS
 * (MGF1) and ECDSA families.  When no form verifies, an RSA signature is
 * opened with the signer's public key: if it decodes to well-formed padding
 * the key made it over bytes of an unknown form (not_verifiable); if not,
 * the key did not make it (failed).  An unknown URI with an RSA key is still
 * tried as PKCS#1 v1.5 with SHA-1/256/384/512; otherwise not_verifiable.
 *
 * CipherValue and SignatureValue contents are never kept or printed.
 *
 * A payload that does not parse is corrupt (not "not a key protector") when
 * it starts like one: the first KP_SNIFF_BYTES (UTF-8, BOM optional, or
 * UTF-16LE) hold, after the XML declaration, comments and PIs, a first
 * element or DOCTYPE named Protector/Wrappings; or the payload holds the
 * MS-KPS namespace URI (UTF-8 or UTF-16LE).
 */
#include "formats/kp.h"

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libxml/c14n.h>
#include <libxml/xmlIO.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/rsa.h>

#include "formats/xmlsafe.h"
#include "util/ossl.h"
#include "util/strbuf.h"
#include "util/text.h"
#include "util/base64.h"
#include "util/xalloc.h"

#define KP_SIG_MAX_BYTES (64u * 1024)   /* larger SignatureValues are counted, not verified */
#define KP_CERT_MAX_BYTES (1024u * 1024) /* decoded certificate cap */
#define KP_MAX_FINDINGS 64              /* per document; the rest are counted */
#define KP_LINE_MAX 512
#define KP_SNIFF_BYTES 1024             /* head looked at to tell a cut KP from other bytes */
#define KP_SNIFF_NAME_MAX 64

/* ------------------------------------------------------- decode context */

typedef struct {
	const char *src;
	uint64_t off;
	hv_findings *f;
	size_t nfind;
	size_t suppressed;
	kp_doc *d;
	xmlDocPtr doc;
	xmlNode *wrappings;
	xmlNode **sign_sig_val;  /* per wrapping: SigningCertificateSignature SignatureValue */
	xmlNode **enc_sig_val;   /* per wrapping: EncryptionCertificateSignature SignatureValue */
	xmlNode *guardian_val;
} kp_ctx;

static void note(kp_ctx *c, hv_sev sev, bool problem, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static void note(kp_ctx *c, hv_sev sev, bool problem, const char *fmt, ...)
{
	char line[KP_LINE_MAX];
	va_list ap;

	if (problem)
		c->d->problems++;
	if (c->nfind >= KP_MAX_FINDINGS) {
		c->suppressed++;
		return;
	}
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	findings_add(c->f, sev, c->src, c->off, "%s", line);
	c->nfind++;
}

/* "Wrapping Id 7 (line 12)" or "Wrapping #3 (line 12)" when it has no Id. */
static void wname(const kp_wrapping *w, size_t idx, char *buf, size_t cap)
{
	if (w->has_id)
		snprintf(buf, cap, "Wrapping Id %u (line %ld)", w->id, w->line);
	else
		snprintf(buf, cap, "Wrapping #%zu (line %ld)", idx + 1, w->line);
}

static bool kps(const xmlNode *n, const char *local)
{
	return xml_is_ns(n, KP_NS, local);
}

static xmlNode *kps_child(const xmlNode *n, const char *local)
{
	for (xmlNode *c = n ? n->children : NULL; c; c = c->next)
		if (kps(c, local))
			return c;
	return NULL;
}

static bool parse_u64(const char *s, uint64_t max, uint64_t *v)
{
	uint64_t x = 0;

	if (s == NULL)
		return false;
	while (isspace((unsigned char)*s))
		s++;
	if (!isdigit((unsigned char)*s))
		return false;
	for (; isdigit((unsigned char)*s); s++) {
		unsigned d = (unsigned)(*s - '0');
		if (x > (max - d) / 10)
			return false;
		x = x * 10 + d;
	}
	while (isspace((unsigned char)*s))
		s++;
	if (*s != '\0')
		return false;
	*v = x;
	return true;
}

static bool text_u32(const xmlNode *n, uint32_t *v)
{
	uint64_t x;
	char *t = xml_text(n);
	bool ok = parse_u64(t, UINT32_MAX, &x);

	free(t);
	if (ok)
		*v = (uint32_t)x;
	return ok;
}

static bool attr_u32(const xmlNode *n, const char *name, uint32_t *v, bool *present)
{
	uint64_t x;
	char *t = xml_attr(n, name);
	bool ok = parse_u64(t, UINT32_MAX, &x);

	*present = t != NULL;
	free(t);
	if (ok)
		*v = (uint32_t)x;
	return ok;
}

static void add_algorithm(kp_ctx *c, const char *uri)
{
	kp_doc *d = c->d;

	if (uri == NULL)
		return;
	for (size_t i = 0; i < d->nalgorithms; i++)
		if (strcmp(d->algorithms[i], uri) == 0)
			return;
	if (d->nalgorithms == KP_MAX_ALGORITHMS) {
		if (d->algorithms != NULL)
			note(c, HV_SEV_WARN, true, "more than %d distinct algorithm URIs; the rest "
			     "are not listed", KP_MAX_ALGORITHMS);
		return;
	}
	if (d->algorithms == NULL)
		d->algorithms = xcalloc(KP_MAX_ALGORITHMS, sizeof(char *));
	d->algorithms[d->nalgorithms++] = xstrdup(uri);
}

/* Decoded length of a base64 text node; false when it is not base64. */
static bool b64_len(const xmlNode *n, size_t *len)
{
	char *t = xml_text(n);
	bool ok = hv_base64_decode(t, strlen(t), SIZE_MAX, 0, NULL, len, NULL);

	free(t);
	return ok;
}

/* Reads a Signature_T element: Algorithm and SignatureValue length. */
static void read_signature(kp_ctx *c, const xmlNode *holder, kp_signature *s, xmlNode **val,
			   const char *who)
{
	xmlNode *sig = kps_child(holder, "Signature");

	*val = NULL;
	s->status = KP_SIG_NOT_VERIFIABLE;
	if (sig == NULL) {
		note(c, HV_SEV_WARN, true, "%s has no Signature element", who);
		return;
	}
	s->present = true;
	s->algorithm = xml_attr(sig, "Algorithm");
	add_algorithm(c, s->algorithm);
	*val = kps_child(sig, "SignatureValue");
	if (*val == NULL) {
		note(c, HV_SEV_WARN, true, "%s has no SignatureValue", who);
		return;
	}
	if (!b64_len(*val, &s->value_len)) {
		note(c, HV_SEV_WARN, true, "%s: SignatureValue is not base64", who);
		*val = NULL;
	}
}

/* Decodes a certificate element into cert; findings name the wrapping. */
static void read_cert(kp_ctx *c, const xmlNode *w, const char *local, hv_cert *cert,
		      const char *who)
{
	xmlNode *n = kps_child(w, local);
	uint8_t *der = NULL;
	size_t len = 0;

	if (n == NULL) {
		note(c, HV_SEV_WARN, true, "%s has no %s", who, local);
		return;
	}
	char *t = xml_text(n);
	bool ok = hv_base64_decode(t, strlen(t), KP_CERT_MAX_BYTES, 0, &der, &len, NULL);
	free(t);
	if (!ok || len == 0) {
		note(c, HV_SEV_ERROR, true, "%s: %s is not base64 (or over %u bytes)", who, local,
		     KP_CERT_MAX_BYTES);
		free(der);
		return;
	}
	hv_findings tmp = { 0 };
	if (cert_from_der(der, len, cert, c->src, c->off, &tmp) != HV_OK)
		c->d->problems++;
	for (size_t i = 0; i < tmp.n; i++)
		note(c, tmp.v[i].sev, false, "%s: %s: %s", who, local, tmp.v[i].msg);
	findings_free(&tmp);
	free(der);
}

static void read_wrapping(kp_ctx *c, xmlNode *node, size_t idx)
{
	kp_wrapping *w = &c->d->w[idx];
	char who[96];
	xmlNode *n;
	bool present;

	w->line = xmlGetLineNo(node);
	n = kps_child(node, "Id");
	w->has_id = n != NULL && text_u32(n, &w->id);
	wname(w, idx, who, sizeof(who));
	if (!w->has_id)
		note(c, HV_SEV_ERROR, true, "%s: %s", who, n ? "Id is not a uint32" : "no Id");

	read_cert(c, node, "SigningCertificate", &w->signing, who);
	n = kps_child(node, "SigningCertificateSignature");
	if (n == NULL) {
		note(c, HV_SEV_ERROR, true, "%s has no SigningCertificateSignature", who);
	} else {
		w->has_parent = attr_u32(n, "ParentWrappingId", &w->parent_id, &present);
		if (!w->has_parent)
			note(c, HV_SEV_ERROR, true, "%s: ParentWrappingId %s", who,
			     present ? "is not a uint32" : "is missing");
		read_signature(c, n, &w->signing_sig, &c->sign_sig_val[idx], who);
	}
	read_cert(c, node, "EncryptionCertificate", &w->encryption, who);
	n = kps_child(node, "EncryptionCertificateSignature");
	if (n == NULL)
		note(c, HV_SEV_WARN, true, "%s has no EncryptionCertificateSignature", who);
	else
		read_signature(c, n, &w->encryption_sig, &c->enc_sig_val[idx], who);

	n = kps_child(kps_child(node, "TransportKey"), "EncryptedData");
	if (n == NULL) {
		note(c, HV_SEV_WARN, true, "%s has no TransportKey/EncryptedData", who);
		return;
	}
	w->transport_alg = xml_attr(n, "Algorithm");
	add_algorithm(c, w->transport_alg);
	xmlNode *cv = kps_child(n, "CipherValue");
	if (cv == NULL || !b64_len(cv, &w->transport_cipher_len))
		note(c, HV_SEV_WARN, true, "%s: TransportKey CipherValue is %s", who,
		     cv ? "not base64" : "missing");
}

/* ------------------------------------------------------ owner and chains */

typedef struct {
	uint32_t id;
	size_t idx;
} id_ref;

static int id_ref_cmp(const void *a, const void *b)
{
	const id_ref *x = a, *y = b;

	if (x->id != y->id)
		return x->id < y->id ? -1 : 1;
	return x->idx < y->idx ? -1 : x->idx > y->idx;
}

/* Sorted (id, index) table of the wrappings that have an Id. */
static id_ref *id_table(const kp_doc *d, size_t *n)
{
	id_ref *t = xcalloc(d->n ? d->n : 1, sizeof(*t));

	*n = 0;
	for (size_t i = 0; i < d->n; i++)
		if (d->w[i].has_id)
			t[(*n)++] = (id_ref){ d->w[i].id, i };
	qsort(t, *n, sizeof(*t), id_ref_cmp);
	return t;
}

static long id_lookup(const id_ref *t, size_t n, uint32_t id)
{
	size_t lo = 0, hi = n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (t[mid].id < id)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < n && t[lo].id == id ? (long)t[lo].idx : -1;
}

long kp_find_wrapping(const kp_doc *d, uint32_t id)
{
	for (size_t i = 0; i < d->n; i++)
		if (d->w[i].has_id && d->w[i].id == id)
			return (long)i;
	return -1;
}

enum { CHAIN_UNKNOWN = 0, CHAIN_YES, CHAIN_NO, CHAIN_ON_PATH };

/* Marks chains_to_owner for every wrapping; linear, cycle-safe. */
static void mark_chains(kp_doc *d, const long *parent)
{
	unsigned char *state = xcalloc(d->n ? d->n : 1, 1);
	size_t *path = xcalloc(d->n ? d->n : 1, sizeof(size_t));

	for (size_t i = 0; i < d->n; i++) {
		size_t plen = 0, j = i;
		unsigned char result;
		for (;;) {
			if (state[j] == CHAIN_YES || state[j] == CHAIN_NO) {
				result = state[j];
				break;
			}
			if (state[j] == CHAIN_ON_PATH) {
				result = CHAIN_NO; /* cycle without an owner */
				break;
			}
			state[j] = CHAIN_ON_PATH;
			path[plen++] = j;
			if (d->w[j].is_owner) {
				bool the_owner = d->owner < 0 || (size_t)d->owner == j;
				result = the_owner ? CHAIN_YES : CHAIN_NO;
				break;
			}
			if (parent[j] < 0) {
				result = CHAIN_NO;
				break;
			}
			j = (size_t)parent[j];
		}
		for (size_t k = 0; k < plen; k++)
			state[path[k]] = result;
	}
	for (size_t i = 0; i < d->n; i++)
		d->w[i].chains_to_owner = state[i] == CHAIN_YES;
	free(state);
	free(path);
}

static void check_structure(kp_ctx *c, long *parent)
{
	kp_doc *d = c->d;
	size_t nt;
	id_ref *t = id_table(d, &nt);
	char who[96];

	for (size_t k = 1; k < nt; k++)
		if (t[k].id == t[k - 1].id)
			note(c, HV_SEV_ERROR, true, "Wrapping Id %u occurs more than once",
			     t[k].id);
	for (size_t i = 0; i < d->n; i++) {
		kp_wrapping *w = &d->w[i];
		parent[i] = -1;
		w->is_owner = w->has_id && w->has_parent && w->parent_id == w->id;
		if (w->is_owner) {
			d->owner_count++;
			d->owner = (long)i;
		}
		if (!w->has_parent)
			continue;
		parent[i] = id_lookup(t, nt, w->parent_id);
		if (parent[i] < 0) {
			wname(w, i, who, sizeof(who));
			note(c, HV_SEV_ERROR, true, "%s: ParentWrappingId %u names no wrapping",
			     who, w->parent_id);
		}
	}
	if (d->owner_count == 0) {
		d->owner = -1;
		if (d->n > 0)
			note(c, HV_SEV_ERROR, true, "no owner: no wrapping is self-parented");
	} else if (d->owner_count > 1) {
		d->owner = -1;
		note(c, HV_SEV_ERROR, true, "%zu self-parented wrappings: the owner is ambiguous",
		     d->owner_count);
	}
	mark_chains(d, parent);
	for (size_t i = 0; i < d->n; i++) {
		if (d->w[i].chains_to_owner || d->owner_count != 1)
			continue;
		wname(&d->w[i], i, who, sizeof(who));
		note(c, HV_SEV_ERROR, true, "%s does not chain up to the owner "
		     "(parent missing or cyclic)", who);
	}
	free(t);
}

/* ------------------------------------------------------------ signatures */

typedef enum { SCHEME_UNKNOWN = 0, SCHEME_RSA_PKCS1, SCHEME_RSA_PSS, SCHEME_ECDSA } sig_scheme;

static const struct {
	const char *uri;
	sig_scheme scheme;
	const char *md;
	const char *label;
} sig_algs[] = {
	{ "http://www.w3.org/2000/09/xmldsig#rsa-sha1", SCHEME_RSA_PKCS1, "SHA1",
	  "RSA PKCS#1 v1.5 SHA-1" },
	{ "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256", SCHEME_RSA_PKCS1, "SHA256",
	  "RSA PKCS#1 v1.5 SHA-256" },
	{ "http://www.w3.org/2001/04/xmldsig-more#rsa-sha384", SCHEME_RSA_PKCS1, "SHA384",
	  "RSA PKCS#1 v1.5 SHA-384" },
	{ "http://www.w3.org/2001/04/xmldsig-more#rsa-sha512", SCHEME_RSA_PKCS1, "SHA512",
	  "RSA PKCS#1 v1.5 SHA-512" },
	{ "http://www.w3.org/2007/05/xmldsig-more#sha256-rsa-MGF1", SCHEME_RSA_PSS, "SHA256",
	  "RSA-PSS SHA-256" },
	{ "http://www.w3.org/2007/05/xmldsig-more#sha384-rsa-MGF1", SCHEME_RSA_PSS, "SHA384",
	  "RSA-PSS SHA-384" },
	{ "http://www.w3.org/2007/05/xmldsig-more#sha512-rsa-MGF1", SCHEME_RSA_PSS, "SHA512",
	  "RSA-PSS SHA-512" },
	{ "http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha256", SCHEME_ECDSA, "SHA256",
	  "ECDSA SHA-256" },
	{ "http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha384", SCHEME_ECDSA, "SHA384",
	  "ECDSA SHA-384" },
	{ "http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha512", SCHEME_ECDSA, "SHA512",
	  "ECDSA SHA-512" },
};

typedef struct {
	const char *name;
	const uint8_t *p;
	size_t n;
} signed_form;

static void set_status(kp_signature *s, kp_sig_status st, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void set_status(kp_signature *s, kp_sig_status st, const char *fmt, ...)
{
	char line[KP_LINE_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	free(s->reason);
	s->reason = xstrdup(line);
	s->status = st;
}

static bool digest_verify(EVP_PKEY *key, const char *md, int pad, const uint8_t *sig,
			  size_t siglen, const uint8_t *data, size_t n)
{
	EVP_MD_CTX *m = EVP_MD_CTX_new();
	EVP_PKEY_CTX *pc = NULL;
	bool ok = false;

	if (m == NULL)
		xalloc_die();
	if (EVP_DigestVerifyInit_ex(m, &pc, md, hv_ossl_ctx(), NULL, key, NULL) == 1 &&
	    (pad == 0 || (EVP_PKEY_CTX_set_rsa_padding(pc, pad) == 1 &&
			  (pad != RSA_PKCS1_PSS_PADDING ||
			   EVP_PKEY_CTX_set_rsa_pss_saltlen(pc, RSA_PSS_SALTLEN_AUTO) == 1))))
		ok = EVP_DigestVerify(m, sig, siglen, data, n) == 1;
	EVP_MD_CTX_free(m);
	ERR_clear_error();
	return ok;
}

/* Opens an RSA signature with the public key; out receives k bytes. */
static bool rsa_open(EVP_PKEY *key, int pad, const uint8_t *sig, size_t siglen, uint8_t *out,
		     size_t *outlen)
{
	EVP_PKEY_CTX *pc = EVP_PKEY_CTX_new_from_pkey(hv_ossl_ctx(), key, NULL);
	bool ok = false;

	if (pc == NULL)
		xalloc_die();
	if (EVP_PKEY_verify_recover_init(pc) == 1 && EVP_PKEY_CTX_set_rsa_padding(pc, pad) == 1)
		ok = EVP_PKEY_verify_recover(pc, out, outlen, sig, siglen) == 1;
	EVP_PKEY_CTX_free(pc);
	ERR_clear_error();
	return ok;
}

/* MGF1 mask of len bytes from seed, XORed into buf. */
static bool mgf1_xor(const char *md, const uint8_t *seed, size_t seedlen, uint8_t *buf,
		     size_t len)
{
	uint8_t h[EVP_MAX_MD_SIZE], tmp[EVP_MAX_MD_SIZE + 4];
	size_t hl = 0, done = 0;

	if (seedlen > EVP_MAX_MD_SIZE)
		return false;
	memcpy(tmp, seed, seedlen);
	for (uint32_t ctr = 0; done < len; ctr++) {
		tmp[seedlen] = (uint8_t)(ctr >> 24);
		tmp[seedlen + 1] = (uint8_t)(ctr >> 16);
		tmp[seedlen + 2] = (uint8_t)(ctr >> 8);
		tmp[seedlen + 3] = (uint8_t)ctr;
		if (!EVP_Q_digest(hv_ossl_ctx(), md, NULL, tmp, seedlen + 4, h, &hl) || hl == 0) {
			ERR_clear_error();
			return false;
		}
		for (size_t i = 0; i < hl && done < len; i++)
			buf[done++] ^= h[i];
	}
	return true;
}

/*
 * True when the raw RSA opening em (k bytes) is a well-formed EMSA-PSS
 * encoding (RFC 8017 9.1.2 steps 4-10 without the final hash comparison,
 * which needs the unknown signed bytes).
 */
static bool pss_well_formed(const char *md, int mod_bits, uint8_t *em, size_t k)
{
	size_t em_bits = (size_t)mod_bits - 1, em_len = (em_bits + 7) / 8;
	EVP_MD *m = EVP_MD_fetch(hv_ossl_ctx(), md, NULL);
	int hl = m != NULL ? EVP_MD_get_size(m) : 0;

	EVP_MD_free(m);
	ERR_clear_error();
	if (mod_bits < 16 || hl <= 0 || em_len > k || em_len < (size_t)hl + 2)
		return false;
	for (size_t i = 0; i < k - em_len; i++)
		if (em[i] != 0)
			return false;
	em += k - em_len;
	if (em[em_len - 1] != 0xBC)
		return false;
	size_t db_len = em_len - (size_t)hl - 1;
	unsigned top = 8 * (unsigned)em_len - (unsigned)em_bits;
	if (top && (em[0] >> (8 - top)) != 0)
		return false;
	if (!mgf1_xor(md, em + db_len, (size_t)hl, em, db_len))
		return false;
	if (top)
		em[0] &= (uint8_t)(0xFF >> top);
	size_t i = 0;
	while (i < db_len && em[i] == 0)
		i++;
	return i < db_len && em[i] == 0x01;
}

/* Left-pads a short RSA signature to the modulus size. */
static uint8_t *rsa_sig_padded(EVP_PKEY *key, const uint8_t *sig, size_t siglen, size_t *k)
{
	int kb = EVP_PKEY_get_size(key);

	if (kb <= 0 || siglen > (size_t)kb)
		return NULL;
	*k = (size_t)kb;
	uint8_t *p = xcalloc(*k, 1);
	memcpy(p + *k - siglen, sig, siglen);
	return p;
}

/* ECDSA in XML-DSig is raw r||s; OpenSSL wants DER.  NULL when not convertible. */
static uint8_t *ecdsa_raw_to_der(const uint8_t *sig, size_t siglen, size_t *derlen)
{
	if (siglen == 0 || siglen % 2 != 0 || siglen > 2 * 66)
		return NULL;
	ECDSA_SIG *es = ECDSA_SIG_new();
	BIGNUM *r = BN_bin2bn(sig, (int)(siglen / 2), NULL);
	BIGNUM *s = BN_bin2bn(sig + siglen / 2, (int)(siglen / 2), NULL);
	unsigned char *der = NULL;
	uint8_t *out = NULL;
	if (es == NULL || r == NULL || s == NULL || !ECDSA_SIG_set0(es, r, s)) {
		BN_free(r);
		BN_free(s);
		ECDSA_SIG_free(es);
		ERR_clear_error();
		return NULL;
	}
	int n = i2d_ECDSA_SIG(es, &der);
	if (n > 0) {
		out = xmemdup(der, (size_t)n);
		*derlen = (size_t)n;
	}
	OPENSSL_free(der);
	ECDSA_SIG_free(es);
	ERR_clear_error();
	return out;
}

/* Tries every form; returns the index that verified or -1. */
static int try_forms(EVP_PKEY *key, const char *md, int pad, const uint8_t *sig, size_t siglen,
		     const signed_form *forms, size_t nforms)
{
	for (size_t i = 0; i < nforms; i++)
		if (forms[i].p != NULL &&
		    digest_verify(key, md, pad, sig, siglen, forms[i].p, forms[i].n))
			return (int)i;
	return -1;
}

static void verify_rsa(kp_signature *s, EVP_PKEY *key, sig_scheme sch, const char *md,
		       const char *label, const uint8_t *sig, size_t siglen,
		       const signed_form *forms, size_t nforms)
{
	int pad = sch == SCHEME_RSA_PSS ? RSA_PKCS1_PSS_PADDING : RSA_PKCS1_PADDING;
	size_t k = 0;
	uint8_t *full = rsa_sig_padded(key, sig, siglen, &k);

	if (full == NULL) {
		set_status(s, KP_SIG_FAILED, "%zu-byte signature is longer than the signer's "
			   "%d-byte RSA modulus", siglen, EVP_PKEY_get_size(key));
		return;
	}
	int i = try_forms(key, md, pad, full, k, forms, nforms);
	if (i >= 0) {
		set_status(s, KP_SIG_VERIFIED, "%s over the %s", label, forms[i].name);
		free(full);
		return;
	}
	uint8_t *em = xmalloc(k);
	size_t emlen = k;
	bool formed;
	if (sch == SCHEME_RSA_PSS)
		formed = rsa_open(key, RSA_NO_PADDING, full, k, em, &emlen) && emlen == k &&
			 pss_well_formed(md, EVP_PKEY_get_bits(key), em, k);
	else
		formed = rsa_open(key, RSA_PKCS1_PADDING, full, k, em, &emlen);
	free(em);
	free(full);
	if (formed)
		set_status(s, KP_SIG_NOT_VERIFIABLE, "%s padding is well formed under the signer's "
			   "key, but the signed bytes are of an unknown form", label);
	else
		set_status(s, KP_SIG_FAILED, "%s: the signature does not open with the signer's "
			   "public key", label);
}

static void verify_ecdsa(kp_signature *s, EVP_PKEY *key, const char *md, const char *label,
			 const uint8_t *sig, size_t siglen, const signed_form *forms,
			 size_t nforms)
{
	int i = try_forms(key, md, 0, sig, siglen, forms, nforms);
	size_t dl = 0;
	uint8_t *der = i < 0 ? ecdsa_raw_to_der(sig, siglen, &dl) : NULL;

	if (der != NULL)
		i = try_forms(key, md, 0, der, dl, forms, nforms);
	free(der);
	if (i >= 0)
		set_status(s, KP_SIG_VERIFIED, "%s over the %s", label, forms[i].name);
	else
		set_status(s, KP_SIG_NOT_VERIFIABLE, "%s did not verify over any known form; "
			   "ECDSA cannot tell a wrong key from unknown signed bytes", label);
}

/* Unknown URI: an RSA key is still tried as PKCS#1 v1.5 with common hashes. */
static void verify_unknown(kp_signature *s, EVP_PKEY *key, const uint8_t *sig, size_t siglen,
			   const signed_form *forms, size_t nforms)
{
	static const char *const mds[] = { "SHA256", "SHA1", "SHA384", "SHA512" };

	if (EVP_PKEY_is_a(key, "RSA")) {
		for (size_t m = 0; m < sizeof(mds) / sizeof(mds[0]); m++) {
			int i = try_forms(key, mds[m], RSA_PKCS1_PADDING, sig, siglen, forms,
					  nforms);
			if (i >= 0) {
				set_status(s, KP_SIG_VERIFIED, "algorithm URI not recognised; "
					   "verified as RSA PKCS#1 v1.5 %s over the %s", mds[m],
					   forms[i].name);
				return;
			}
		}
	}
	set_status(s, KP_SIG_NOT_VERIFIABLE, "algorithm URI not recognised");
}

/* Decodes the SignatureValue node (transiently) and verifies it. */
static void verify_sig(kp_signature *s, xmlNode *val, const hv_cert *signer,
		       const char *signer_desc, const signed_form *forms, size_t nforms)
{
	uint8_t *sig = NULL;
	size_t siglen = 0;

	if (!s->present) {
		set_status(s, KP_SIG_NOT_VERIFIABLE, "no signature");
		return;
	}
	if (val == NULL) {
		set_status(s, KP_SIG_NOT_VERIFIABLE, "no readable SignatureValue");
		return;
	}
	if (signer == NULL || signer->x509 == NULL || X509_get0_pubkey(signer->x509) == NULL) {
		ERR_clear_error();
		set_status(s, KP_SIG_NOT_VERIFIABLE, "%s is missing or unreadable", signer_desc);
		return;
	}
	if (s->value_len == 0 || s->value_len > KP_SIG_MAX_BYTES) {
		set_status(s, KP_SIG_NOT_VERIFIABLE, "SignatureValue of %zu bytes not checked",
			   s->value_len);
		return;
	}
	char *t = xml_text(val);
	bool ok = hv_base64_decode(t, strlen(t), KP_SIG_MAX_BYTES, 0, &sig, &siglen, NULL);
	free(t);
	if (!ok) {
		set_status(s, KP_SIG_NOT_VERIFIABLE, "SignatureValue is not base64");
		return;
	}
	EVP_PKEY *key = X509_get0_pubkey(signer->x509);
	size_t a = 0, na = sizeof(sig_algs) / sizeof(sig_algs[0]);
	while (a < na && (s->algorithm == NULL || strcmp(sig_algs[a].uri, s->algorithm) != 0))
		a++;
	if (a == na) {
		verify_unknown(s, key, sig, siglen, forms, nforms);
	} else if (sig_algs[a].scheme == SCHEME_ECDSA) {
		if (EVP_PKEY_is_a(key, "EC"))
			verify_ecdsa(s, key, sig_algs[a].md, sig_algs[a].label, sig, siglen, forms,
				     nforms);
		else
			set_status(s, KP_SIG_NOT_VERIFIABLE, "%s named, but %s has a %s key",
				   sig_algs[a].label, signer_desc, signer->key_alg);
	} else if (EVP_PKEY_is_a(key, "RSA")) {
		verify_rsa(s, key, sig_algs[a].scheme, sig_algs[a].md, sig_algs[a].label, sig,
			   siglen, forms, nforms);
	} else {
		set_status(s, KP_SIG_NOT_VERIFIABLE, "%s named, but %s has a %s key",
			   sig_algs[a].label, signer_desc, signer->key_alg);
	}
	/* The signature bytes are not kept. */
	OPENSSL_cleanse(sig, siglen);
	free(sig);
}

/* The certificate forms a certificate signature may cover. */
static void cert_forms(const hv_cert *c, signed_form forms[2], char **b64)
{
	static const char tbl[] =
		"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	strbuf sb = STRBUF_INIT;

	*b64 = NULL;
	forms[0] = (signed_form){ "certificate DER", c->der, c->der_len };
	forms[1] = (signed_form){ "certificate base64 text", NULL, 0 };
	if (c->der == NULL)
		return;
	for (size_t i = 0; i < c->der_len; i += 3) {
		uint32_t v = (uint32_t)c->der[i] << 16;
		size_t left = c->der_len - i;
		if (left > 1)
			v |= (uint32_t)c->der[i + 1] << 8;
		if (left > 2)
			v |= c->der[i + 2];
		sb_addc(&sb, tbl[(v >> 18) & 63]);
		sb_addc(&sb, tbl[(v >> 12) & 63]);
		sb_addc(&sb, (char)(left > 1 ? tbl[(v >> 6) & 63] : '='));
		sb_addc(&sb, (char)(left > 2 ? tbl[v & 63] : '='));
	}
	*b64 = sb_detach(&sb);
	forms[1].p = (const uint8_t *)*b64;
	forms[1].n = strlen(*b64);
}

static void verify_wrapping(kp_ctx *c, size_t i, const long *parent)
{
	kp_wrapping *w = &c->d->w[i];
	signed_form forms[2];
	char *b64;

	cert_forms(&w->encryption, forms, &b64);
	if (w->encryption.x509 == NULL)
		set_status(&w->encryption_sig, KP_SIG_NOT_VERIFIABLE,
			   "the encryption certificate is missing or unreadable");
	else
		verify_sig(&w->encryption_sig, c->enc_sig_val[i], &w->signing,
			   "this wrapping's signing certificate", forms, 2);
	free(b64);

	cert_forms(&w->signing, forms, &b64);
	const hv_cert *signer = parent[i] >= 0 ? &c->d->w[parent[i]].signing : NULL;
	if (w->signing.x509 == NULL)
		set_status(&w->signing_sig, KP_SIG_NOT_VERIFIABLE,
			   "the signing certificate is missing or unreadable");
	else if (signer == NULL)
		set_status(&w->signing_sig, KP_SIG_NOT_VERIFIABLE, "no parent wrapping");
	else
		verify_sig(&w->signing_sig, c->sign_sig_val[i], signer,
			   "the parent's signing certificate", forms, 2);
	free(b64);
}

/* ---------------------------------------------- exc-c14n of <Wrappings> */

static int in_subtree(void *root, xmlNodePtr node, xmlNodePtr parent)
{
	/* Namespace nodes are xmlNs (no parent field): use the element given. */
	xmlNodePtr n = node != NULL && node->type != XML_NAMESPACE_DECL ? node : parent;

	for (; n != NULL; n = n->parent)
		if (n == (xmlNodePtr)root)
			return 1;
	return 0;
}

/* Exclusive C14N (no comments) of the Wrappings element; NULL on failure. */
static uint8_t *wrappings_c14n(xmlDocPtr doc, xmlNode *wrappings, size_t *len)
{
	xmlOutputBufferPtr buf = xmlAllocOutputBuffer(NULL);
	uint8_t *out = NULL;

	if (buf == NULL)
		xalloc_die();
	if (xmlC14NExecute(doc, in_subtree, wrappings, XML_C14N_EXCLUSIVE_1_0, NULL, 0, buf) >=
	    0) {
		const xmlChar *p = xmlOutputBufferGetContent(buf);
		size_t n = xmlOutputBufferGetSize(buf);
		if (p != NULL) {
			out = xmemdup(p, n ? n : 1);
			*len = n;
		}
	}
	xmlOutputBufferClose(buf);
	return out;
}

static void read_protector_sigs(kp_ctx *c, xmlNode *root)
{
	kp_doc *d = c->d;
	xmlNode *tks = kps_child(root, "TransportKeySignature");
	xmlNode *gs = kps_child(root, "GuardianSignature");
	xmlNode *val;
	bool present;

	if (tks != NULL) {
		xmlNode *kdf = kps_child(tks, "KeyDerivationMethod");
		d->tks_kdf_alg = kdf ? xml_attr(kdf, "Algorithm") : NULL;
		add_algorithm(c, d->tks_kdf_alg);
		read_signature(c, tks, &d->tks_sig, &val, "TransportKeySignature");
		if (d->tks_sig.present)
			set_status(&d->tks_sig, KP_SIG_NOT_VERIFIABLE, "keyed from the transport "
				   "key, which only the encryption private key can unwrap");
	} else if (xml_is(root, "Protector")) {
		note(c, HV_SEV_WARN, true, "Protector has no TransportKeySignature");
	}
	if (gs == NULL) {
		if (xml_is(root, "Protector"))
			note(c, HV_SEV_WARN, true, "Protector has no GuardianSignature");
		return;
	}
	d->has_guardian_sig = true;
	d->has_guardian_sig_id = attr_u32(gs, "WrappingId", &d->guardian_sig_wrapping_id,
					  &present);
	if (!d->has_guardian_sig_id)
		note(c, HV_SEV_WARN, true, "GuardianSignature: WrappingId %s",
		     present ? "is not a uint32" : "is missing");
	read_signature(c, gs, &d->guardian_sig, &c->guardian_val, "GuardianSignature");
}

static void verify_guardian_sig(kp_ctx *c)
{
	kp_doc *d = c->d;
	long gi = d->has_guardian_sig_id ? kp_find_wrapping(d, d->guardian_sig_wrapping_id) : -1;

	if (!d->has_guardian_sig)
		return;
	if (gi < 0) {
		set_status(&d->guardian_sig, KP_SIG_NOT_VERIFIABLE,
			   "WrappingId names no wrapping");
		if (d->has_guardian_sig_id)
			note(c, HV_SEV_ERROR, true, "GuardianSignature: WrappingId %u names no "
			     "wrapping", d->guardian_sig_wrapping_id);
		return;
	}
	size_t len = 0;
	uint8_t *canon = c->wrappings ? wrappings_c14n(c->doc, c->wrappings, &len) : NULL;
	if (canon == NULL) {
		set_status(&d->guardian_sig, KP_SIG_NOT_VERIFIABLE,
			   "the Wrappings element could not be canonicalized");
		return;
	}
	signed_form form = { "exclusive C14N of the Wrappings element", canon, len };
	verify_sig(&d->guardian_sig, c->guardian_val, &d->w[gi].signing,
		   "the named wrapping's signing certificate", &form, 1);
	free(canon);
}

/* ------------------------------------------------------------ recognition */

/* The head of the payload as NUL-terminated UTF-8 (BOM dropped); caller frees. */
static char *payload_head(span_t p)
{
	static const uint8_t bom8[3] = { 0xEF, 0xBB, 0xBF };
	const uint8_t *d = p.data;
	size_t n = p.len;
	bool utf16 = false;

	if (n >= 2 && d[0] == 0xFF && d[1] == 0xFE) {
		d += 2;
		n -= 2;
		utf16 = true;
	} else if (n >= 2 && d[1] == 0 && d[0] != 0) {
		utf16 = true;
	} else if (n >= sizeof(bom8) && memcmp(d, bom8, sizeof(bom8)) == 0) {
		d += sizeof(bom8);
		n -= sizeof(bom8);
	}
	if (n > KP_SNIFF_BYTES)
		n = KP_SNIFF_BYTES;
	return utf16 ? utf16le_to_utf8(d, n & ~(size_t)1) : xstrndup((const char *)d, n);
}

static bool protector_name(const char *s)
{
	size_t n = strcspn(s, " \t\r\n/>[");
	const char *colon = memchr(s, ':', n);

	if (colon != NULL) {
		n -= (size_t)(colon + 1 - s);
		s = colon + 1;
	}
	return n > 0 && n <= KP_SNIFF_NAME_MAX &&
	       ((n == strlen("Protector") && strncmp(s, "Protector", n) == 0) ||
		(n == strlen("Wrappings") && strncmp(s, "Wrappings", n) == 0));
}

/* First element (or DOCTYPE) of the head named Protector/Wrappings. */
static bool head_is_protector(const char *s)
{
	while (s != NULL) {
		while (*s == ' ' || *s == '\t' || *s == '\r' || *s == '\n')
			s++;
		if (*s != '<')
			return false;
		if (strncmp(s, "<!DOCTYPE", 9) == 0) {
			s += 9;
			while (*s == ' ' || *s == '\t' || *s == '\r' || *s == '\n')
				s++;
			return protector_name(s);
		}
		if (s[1] != '?' && s[1] != '!')
			return protector_name(s + 1);
		const char *end = strncmp(s, "<!--", 4) == 0 ? strstr(s, "-->") : s;
		end = end ? strchr(end, '>') : NULL;
		s = end ? end + 1 : NULL;
	}
	return false;
}

/* The MS-KPS namespace URI anywhere in the payload, UTF-8 or UTF-16LE. */
static bool holds_kps_ns(span_t p)
{
	const size_t n = strlen(KP_NS);
	uint8_t wide[2 * sizeof(KP_NS)];

	if (memmem(p.data, p.len, KP_NS, n) != NULL)
		return true;
	for (size_t i = 0; i < n; i++) {
		wide[2 * i] = (uint8_t)KP_NS[i];
		wide[2 * i + 1] = 0;
	}
	return memmem(p.data, p.len, wide, 2 * n) != NULL;
}

/* Whether a payload that did not parse was meant to be a key protector. */
static bool starts_like_protector(span_t p)
{
	char *head = payload_head(p);
	bool hit = head_is_protector(head);

	free(head);
	return hit || holds_kps_ns(p);
}

/* ------------------------------------------------------------ top level */

static hv_err check_root(kp_ctx *c, xmlNode *root)
{
	const char *ns = root->ns && root->ns->href ? (const char *)root->ns->href : NULL;

	if (!xml_is(root, "Protector") && !xml_is(root, "Wrappings")) {
		note(c, HV_SEV_ERROR, false, "root element <%.64s> is not an MS-KPS Protector",
		     (const char *)root->name);
		return HV_ERR_FORMAT;
	}
	if (ns == NULL || strcmp(ns, KP_NS) != 0) {
		note(c, HV_SEV_ERROR, false, "<%s> is in namespace '%.128s', not the MS-KPS "
		     "namespace " KP_NS, (const char *)root->name, ns ? ns : "(none)");
		return HV_ERR_FORMAT;
	}
	c->d->ns_prefix = xstrdup(root->ns->prefix ? (const char *)root->ns->prefix : "");
	if (xml_is(root, "Wrappings"))
		note(c, HV_SEV_NOTE, false, "bare <Wrappings> element without a <Protector>");
	return HV_OK;
}

static void read_max_offline(kp_ctx *c, xmlNode *root)
{
	char *v = xml_attr(root, "MaxOfflineUnwraps");

	if (v == NULL)
		return;
	c->d->has_max_offline_unwraps = parse_u64(v, UINT64_MAX, &c->d->max_offline_unwraps);
	if (!c->d->has_max_offline_unwraps)
		note(c, HV_SEV_WARN, true, "MaxOfflineUnwraps is not an unsigned integer");
	free(v);
}

static hv_err read_wrappings(kp_ctx *c)
{
	kp_doc *d = c->d;
	size_t n = 0;

	if (c->wrappings == NULL) {
		note(c, HV_SEV_ERROR, true, "Protector has no Wrappings element");
		return HV_OK;
	}
	for (xmlNode *x = c->wrappings->children; x; x = x->next)
		if (kps(x, "Wrapping") && ++n > KP_MAX_WRAPPINGS)
			break;
	if (n > KP_MAX_WRAPPINGS) {
		note(c, HV_SEV_ERROR, false, "more than %d wrappings: refused", KP_MAX_WRAPPINGS);
		return HV_ERR_LIMIT;
	}
	if (n == 0)
		note(c, HV_SEV_ERROR, true, "Wrappings element holds no Wrapping");
	d->w = xcalloc(n ? n : 1, sizeof(*d->w));
	c->sign_sig_val = xcalloc(n ? n : 1, sizeof(xmlNode *));
	c->enc_sig_val = xcalloc(n ? n : 1, sizeof(xmlNode *));
	for (xmlNode *x = c->wrappings->children; x; x = x->next)
		if (kps(x, "Wrapping"))
			read_wrapping(c, x, d->n++);
	return HV_OK;
}

hv_err kp_decode(span_t payload, const char *src, uint64_t offset, kp_doc *out,
		 hv_findings *f)
{
	kp_ctx c = { .src = src, .off = offset, .f = f, .d = out };
	hv_err e;

	memset(out, 0, sizeof(*out));
	out->owner = -1;
	if (payload.len == 0) {
		note(&c, HV_SEV_ERROR, false, "empty key protector payload");
		return HV_ERR_FORMAT;
	}
	if (payload.len > HV_XML_MAX_BYTES) {
		note(&c, HV_SEV_ERROR, false, "key protector payload of %zu bytes is over the "
		     "%u-byte cap", payload.len, HV_XML_MAX_BYTES);
		return HV_ERR_LIMIT;
	}
	e = xml_parse_bounded(payload.data, payload.len, src, offset, &c.doc, f);
	if (e != HV_OK)
		/* Over a cap or not XML: a key protector's fault only when it looks like one. */
		return starts_like_protector(payload) ? e : HV_ERR_FORMAT;
	xmlNode *root = xmlDocGetRootElement(c.doc);
	e = check_root(&c, root);
	if (e == HV_OK) {
		c.wrappings = xml_is(root, "Wrappings") ? root : kps_child(root, "Wrappings");
		read_max_offline(&c, root);
		e = read_wrappings(&c);
	}
	if (e == HV_OK) {
		long *parent = xcalloc(out->n ? out->n : 1, sizeof(long));
		read_protector_sigs(&c, root);
		check_structure(&c, parent);
		for (size_t i = 0; i < out->n; i++)
			verify_wrapping(&c, i, parent);
		verify_guardian_sig(&c);
		free(parent);
	}
	if (c.suppressed)
		findings_add(f, HV_SEV_NOTE, src, offset, "%zu further key protector findings "
			     "not listed", c.suppressed);
	free(c.sign_sig_val);
	free(c.enc_sig_val);
	xmlFreeDoc(c.doc);
	if (e != HV_OK)
		kp_free(out);
	return e;
}

const char *kp_sig_status_name(kp_sig_status s)
{
	switch (s) {
	case KP_SIG_VERIFIED:
		return "verified";
	case KP_SIG_FAILED:
		return "failed";
	case KP_SIG_NOT_VERIFIABLE:
		break;
	}
	return "not_verifiable";
}

static void sig_free(kp_signature *s)
{
	free(s->algorithm);
	free(s->reason);
}

void kp_free(kp_doc *d)
{
	if (d == NULL)
		return;
	for (size_t i = 0; i < d->n; i++) {
		if (!d->certs_borrowed) {
			cert_free(&d->w[i].signing);
			cert_free(&d->w[i].encryption);
		}
		sig_free(&d->w[i].signing_sig);
		sig_free(&d->w[i].encryption_sig);
		free(d->w[i].transport_alg);
	}
	free(d->w);
	for (size_t i = 0; i < d->nalgorithms; i++)
		free(d->algorithms[i]);
	free(d->algorithms);
	free(d->ns_prefix);
	free(d->tks_kdf_alg);
	sig_free(&d->guardian_sig);
	sig_free(&d->tks_sig);
	memset(d, 0, sizeof(*d));
	d->owner = -1;
}

/* ------------------------------------------------------------- compare */

static char *pair_key(const kp_wrapping *w)
{
	strbuf sb = STRBUF_INIT;

	sb_addf(&sb, "%s/%s", w->signing.der ? w->signing.thumbprint : "",
		w->encryption.der ? w->encryption.thumbprint : "");
	return sb_detach(&sb);
}

static int str_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Sorts keys and drops repeats (freed); returns how many are left. */
static size_t sort_unique(char **k, size_t n)
{
	size_t m = 0;
	if (n > 1)
		qsort(k, n, sizeof(char *), str_cmp);
	for (size_t i = 0; i < n; i++) {
		if (m > 0 && strcmp(k[m - 1], k[i]) == 0)
			free(k[i]);
		else
			k[m++] = k[i];
	}
	return m;
}

static kp_pair pair_from_key(const char *key)
{
	const char *slash = strchr(key, '/');
	kp_pair p;

	p.signing = xstrndup(key, (size_t)(slash - key));
	p.encryption = xstrdup(slash + 1);
	return p;
}

static kp_pair owner_pair(const char *key)
{
	if (key)
		return pair_from_key(key);
	kp_pair p = { xstrdup(""), xstrdup("") };
	return p;
}

static bool has_alg(const kp_side *d, const char *uri)
{
	for (size_t i = 0; i < d->nalgorithms; i++)
		if (strcmp(d->algorithms[i], uri) == 0)
			return true;
	return false;
}

static char **algs_only(const kp_side *a, const kp_side *b, size_t *n)
{
	char **r = xcalloc(a->nalgorithms ? a->nalgorithms : 1, sizeof(char *));

	*n = 0;
	for (size_t i = 0; i < a->nalgorithms; i++)
		if (!has_alg(b, a->algorithms[i]))
			r[(*n)++] = xstrdup(a->algorithms[i]);
	return r;
}

void kp_diff_sides(kp_side *a, kp_side *b, kp_diff *out)
{
	size_t na = sort_unique(a->keys, a->nkeys), nb = sort_unique(b->keys, b->nkeys);
	size_t i = 0, j = 0;

	memset(out, 0, sizeof(*out));
	out->only_a = xcalloc(na ? na : 1, sizeof(kp_pair));
	out->only_b = xcalloc(nb ? nb : 1, sizeof(kp_pair));
	while (i < na || j < nb) {
		int cmp = i == na ? 1 : j == nb ? -1 : strcmp(a->keys[i], b->keys[j]);
		if (cmp == 0) {
			out->n_common++;
			i++;
			j++;
		} else if (cmp < 0) {
			out->only_a[out->n_only_a++] = pair_from_key(a->keys[i++]);
		} else {
			out->only_b[out->n_only_b++] = pair_from_key(b->keys[j++]);
		}
	}
	for (size_t k = 0; k < na; k++)
		free(a->keys[k]);
	for (size_t k = 0; k < nb; k++)
		free(b->keys[k]);
	free(a->keys);
	free(b->keys);
	a->keys = b->keys = NULL;
	out->owner_a = owner_pair(a->owner_key);
	out->owner_b = owner_pair(b->owner_key);
	out->owner_differs = strcmp(out->owner_a.signing, out->owner_b.signing) != 0 ||
			     strcmp(out->owner_a.encryption, out->owner_b.encryption) != 0 ||
			     (a->owner_key == NULL) != (b->owner_key == NULL);
	out->max_offline_differs = a->has_max_offline_unwraps != b->has_max_offline_unwraps ||
				   a->max_offline_unwraps != b->max_offline_unwraps;
	out->alg_only_a = algs_only(a, b, &out->n_alg_only_a);
	out->alg_only_b = algs_only(b, a, &out->n_alg_only_b);
	out->same = !out->owner_differs && !out->max_offline_differs && out->n_only_a == 0 &&
		    out->n_only_b == 0 && out->n_alg_only_a == 0 && out->n_alg_only_b == 0;
}

/* A decoded document as one side (its owner key in *owner, freed by the caller). */
static kp_side doc_side(const kp_doc *d, char **owner)
{
	kp_side s = { xcalloc(d->n ? d->n : 1, sizeof(char *)), d->n, NULL,
		      (const char *const *)d->algorithms, d->nalgorithms,
		      d->has_max_offline_unwraps, d->max_offline_unwraps };

	for (size_t i = 0; i < d->n; i++)
		s.keys[i] = pair_key(&d->w[i]);
	*owner = d->owner >= 0 ? pair_key(&d->w[d->owner]) : NULL;
	s.owner_key = *owner;
	return s;
}

void kp_compare(const kp_doc *a, const kp_doc *b, kp_diff *out)
{
	char *oa, *ob;
	kp_side sa = doc_side(a, &oa), sb = doc_side(b, &ob);

	kp_diff_sides(&sa, &sb, out);
	free(oa);
	free(ob);
}

static void pairs_free(kp_pair *p, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(p[i].signing);
		free(p[i].encryption);
	}
	free(p);
}

void kp_diff_free(kp_diff *d)
{
	if (d == NULL)
		return;
	pairs_free(d->only_a, d->n_only_a);
	pairs_free(d->only_b, d->n_only_b);
	free(d->owner_a.signing);
	free(d->owner_a.encryption);
	free(d->owner_b.signing);
	free(d->owner_b.encryption);
	for (size_t i = 0; i < d->n_alg_only_a; i++)
		free(d->alg_only_a[i]);
	for (size_t i = 0; i < d->n_alg_only_b; i++)
		free(d->alg_only_b[i]);
	free(d->alg_only_a);
	free(d->alg_only_b);
	memset(d, 0, sizeof(*d));
}
