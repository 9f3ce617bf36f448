/*
 * certfile.c - certificate files without a password container.
 *
 * Forms read (detected by content):
 *   DER X.509       SEQUENCE { SEQUENCE tbsCertificate { [0] version | INTEGER serial ...
 *   DER PKCS#7      SEQUENCE { OID signedData (1.2.840.113549.1.7.2), [0] SignedData }
 *                   ("certs-only" bundles as written by Windows and by
 *                   openssl crl2pkcs7 -nocrl); only the certificates are used
 *   PEM             "-----BEGIN <label>-----" ... "-----END <label>-----" blocks,
 *                   any text around them ignored.  Labels:
 *                     CERTIFICATE, X509 CERTIFICATE, TRUSTED CERTIFICATE  certificates
 *                     PKCS7                                               bundle
 *                     PRIVATE KEY (PKCS#8), RSA/EC/DSA PRIVATE KEY        unencrypted key
 *                     ENCRYPTED PRIVATE KEY, or a traditional key with
 *                     "Proc-Type: 4,ENCRYPTED"                            needs a password
 *                   other labels (CRL, CERTIFICATE REQUEST, PUBLIC KEY) are noted and skipped.
 *
 * An unencrypted private key found in a PEM file is decoded only to be
 * checked against the certificates of the same file (X509_check_private_key
 * plus a pairwise consistency check) and freed at once; its PEM bytes are
 * wiped after decoding.
 */
#include "formats/certfile.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/asn1.h>
#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/pem.h>
#include <openssl/pkcs7.h>
#include <openssl/x509.h>

#include "util/ossl.h"
#include "util/xalloc.h"

#define PEM_BEGIN "-----BEGIN "
#define PEM_END "-----END "
#define PEM_DASHES "-----"
#define PEM_LABEL_MAX 64
#define PEM_SNIFF_WINDOW (64u * 1024)
#define PEM_ENCRYPTED_HDR "ENCRYPTED"
#define ASN1_ERROR_RET 0x80
#define ASN1_CONSTRUCTED 0x20
#define DER_CTX_0 0xA0
#define OID_SIGNED_DATA "\x2A\x86\x48\x86\xF7\x0D\x01\x07\x02"
#define OID_SIGNED_DATA_LEN 9

typedef enum {
	PEM_KIND_CERT = 0,
	PEM_KIND_TRUSTED_CERT,
	PEM_KIND_PKCS7,
	PEM_KIND_PKCS8_KEY,
	PEM_KIND_RSA_KEY,
	PEM_KIND_EC_KEY,
	PEM_KIND_DSA_KEY,
	PEM_KIND_ENCRYPTED_KEY,
	PEM_KIND_OTHER,
} pem_kind;

static const struct {
	const char *label;
	pem_kind kind;
} pem_labels[] = {
	{ "CERTIFICATE", PEM_KIND_CERT },
	{ "X509 CERTIFICATE", PEM_KIND_CERT },
	{ "TRUSTED CERTIFICATE", PEM_KIND_TRUSTED_CERT },
	{ "PKCS7", PEM_KIND_PKCS7 },
	{ "PRIVATE KEY", PEM_KIND_PKCS8_KEY },
	{ "RSA PRIVATE KEY", PEM_KIND_RSA_KEY },
	{ "EC PRIVATE KEY", PEM_KIND_EC_KEY },
	{ "DSA PRIVATE KEY", PEM_KIND_DSA_KEY },
	{ "ENCRYPTED PRIVATE KEY", PEM_KIND_ENCRYPTED_KEY },
};

const char *certfile_kind_name(certfile_kind k)
{
	switch (k) {
	case CERTFILE_DER: return "der";
	case CERTFILE_PEM: return "pem";
	case CERTFILE_P7B_DER: return "pkcs7_der";
	}
	return "unknown";
}

static pem_kind pem_kind_of(const char *label)
{
	for (size_t i = 0; i < sizeof(pem_labels) / sizeof(pem_labels[0]); i++) {
		if (strcmp(label, pem_labels[i].label) == 0)
			return pem_labels[i].kind;
	}
	return PEM_KIND_OTHER;
}

/* ---- DER shape ---- */

typedef struct {
	int tag;
	bool constructed;
	uint64_t hdr, len;
} der_hdr;

static bool der_read(span_t s, uint64_t off, der_hdr *h)
{
	const unsigned char *p;
	long len = 0, omax;
	int r, cls;

	if (off >= s.len)
		return false;
	omax = s.len - off > (uint64_t)LONG_MAX ? LONG_MAX : (long)(s.len - off);
	p = s.data + off;
	ERR_set_mark();
	r = ASN1_get_object(&p, &len, &h->tag, &cls, omax);
	ERR_pop_to_mark();
	if (r == ASN1_ERROR_RET)
		return false;
	h->tag |= cls;            /* context tags keep their class bits (0x80) */
	h->constructed = (r & ASN1_CONSTRUCTED) != 0;
	h->hdr = (uint64_t)(p - (s.data + off));
	h->len = len > 0 ? (uint64_t)len : 0;
	return true;
}

static bool der_is_p7(span_t s)
{
	der_hdr outer, oid;

	return der_read(s, 0, &outer) && outer.tag == V_ASN1_SEQUENCE && outer.constructed &&
	       der_read(s, outer.hdr, &oid) && oid.tag == V_ASN1_OBJECT &&
	       oid.len == OID_SIGNED_DATA_LEN &&
	       span_eq(s, outer.hdr + oid.hdr, OID_SIGNED_DATA, OID_SIGNED_DATA_LEN);
}

static bool der_is_x509(span_t s)
{
	der_hdr outer, tbs, first;

	if (!der_read(s, 0, &outer) || outer.tag != V_ASN1_SEQUENCE || !outer.constructed)
		return false;
	if (!der_read(s, outer.hdr, &tbs) || tbs.tag != V_ASN1_SEQUENCE || !tbs.constructed)
		return false;
	if (!der_read(s, outer.hdr + tbs.hdr, &first))
		return false;
	return (first.tag == (V_ASN1_CONTEXT_SPECIFIC | 0) && first.constructed) ||
	       first.tag == V_ASN1_INTEGER;
}

static const uint8_t *find_bytes(span_t s, uint64_t from, const char *lit)
{
	if (from >= s.len)
		return NULL;
	return memmem(s.data + from, s.len - from, lit, strlen(lit));
}

bool certfile_sniff(span_t data)
{
	span_t head = data;

	if (der_is_p7(data) || der_is_x509(data))
		return true;
	if (head.len > PEM_SNIFF_WINDOW)
		head.len = PEM_SNIFF_WINDOW;
	return find_bytes(head, 0, PEM_BEGIN) != NULL;
}

/* ---- result building ---- */

typedef struct {
	const char *src;
	hv_findings *f;
	certfile *out;
	OSSL_LIB_CTX *lib;
	EVP_PKEY **pkeys;         /* parallel to out->keys while reading */
	size_t pkeys_cap;
	size_t bad_blocks;        /* PEM blocks whose base64 or DER does not decode */
} cf_ctx;

static void cf_status(cf_ctx *c, hv_err e, uint64_t off, const char *msg)
{
	findings_add(c->f, HV_SEV_ERROR, c->src, off, "%s", msg);
	if (c->out->status == HV_OK) {
		c->out->status = e;
		c->out->reason = xstrdup(msg);
	}
}

static bool room_for_cert(cf_ctx *c, uint64_t off)
{
	if (c->out->ncerts < CERTFILE_MAX_CERTS)
		return true;
	cf_status(c, HV_ERR_LIMIT, off, "more certificates than the limit; the rest is ignored");
	return false;
}

static certfile_cert *push_cert(cf_ctx *c, uint64_t off)
{
	certfile *o = c->out;
	certfile_cert *cc;

	o->certs = xrealloc(o->certs, (o->ncerts + 1) * sizeof(*o->certs));
	cc = &o->certs[o->ncerts];
	memset(cc, 0, sizeof(*cc));
	cc->key = -1;
	cc->offset = off;
	return cc;
}

static void add_x509(cf_ctx *c, X509 *x, uint64_t off)
{
	certfile_cert *cc;

	if (!room_for_cert(c, off))
		return;
	cc = push_cert(c, off);
	if (cert_from_x509(x, &cc->cert) != HV_OK) {
		findings_add(c->f, HV_SEV_WARN, c->src, off, "certificate cannot be read");
		return;
	}
	c->out->ncerts++;
}

static void add_der_cert(cf_ctx *c, const uint8_t *der, size_t len, uint64_t off)
{
	certfile_cert *cc;

	if (!room_for_cert(c, off))
		return;
	cc = push_cert(c, off);
	if (cert_from_der(der, len, &cc->cert, c->src, off, c->f) == HV_OK)
		c->out->ncerts++;
}

/* Adds every certificate of a PKCS#7 SignedData; false when it is not one. */
static bool add_p7(cf_ctx *c, const uint8_t *der, size_t len, uint64_t off)
{
	const unsigned char *p = der;
	PKCS7 *p7 = len <= LONG_MAX ? d2i_PKCS7(NULL, &p, (long)len) : NULL;
	STACK_OF(X509) *certs = NULL;

	if (p7 == NULL || !PKCS7_type_is_signed(p7) || p7->d.sign == NULL) {
		PKCS7_free(p7);
		ERR_clear_error();
		return false;
	}
	certs = p7->d.sign->cert;
	for (int i = 0; certs != NULL && i < sk_X509_num(certs); i++)
		add_x509(c, sk_X509_value(certs, i), off);
	if (certs == NULL || sk_X509_num(certs) == 0)
		findings_add(c->f, HV_SEV_NOTE, c->src, off, "PKCS#7 bundle holds no certificate");
	PKCS7_free(p7);
	return true;
}

/* ---- keys ---- */

static void push_key(cf_ctx *c, EVP_PKEY *pkey, bool encrypted, const char *label,
		     uint64_t off)
{
	certfile *o = c->out;
	certfile_key *k;

	o->keys = xrealloc(o->keys, (o->nkeys + 1) * sizeof(*o->keys));
	c->pkeys = xgrow(c->pkeys, &c->pkeys_cap, o->nkeys + 1, sizeof(*c->pkeys));
	k = &o->keys[o->nkeys];
	memset(k, 0, sizeof(*k));
	k->encrypted = encrypted;
	k->matched_cert = -1;
	k->offset = off;
	snprintf(k->pem_label, sizeof(k->pem_label), "%s", label);
	if (pkey != NULL) {
		const char *t = EVP_PKEY_get0_type_name(pkey);
		snprintf(k->alg, sizeof(k->alg), "%s", t != NULL ? t : "unknown");
		k->bits = EVP_PKEY_get_bits(pkey);
	}
	c->pkeys[o->nkeys] = pkey;
	o->nkeys++;
	if (encrypted) {
		o->key_needs_password = true;
		findings_add(c->f, HV_SEV_NOTE, c->src, off, "encrypted private key (%s): needs "
			     "a password; not decrypted", label);
	} else {
		o->private_key_present = true;
		findings_add(c->f, HV_SEV_WARN, c->src, off,
			     "private key present in PEM, unencrypted (%s)", label);
	}
}

static EVP_PKEY *decode_key(cf_ctx *c, pem_kind kind, const unsigned char *der, long len)
{
	const unsigned char *p = der;
	PKCS8_PRIV_KEY_INFO *p8;
	EVP_PKEY *pkey = NULL;
	int type = kind == PEM_KIND_RSA_KEY ? EVP_PKEY_RSA
		   : kind == PEM_KIND_EC_KEY ? EVP_PKEY_EC : EVP_PKEY_DSA;

	if (kind == PEM_KIND_PKCS8_KEY) {
		p8 = d2i_PKCS8_PRIV_KEY_INFO(NULL, &p, len);
		if (p8 != NULL)
			pkey = EVP_PKCS82PKEY_ex(p8, c->lib, NULL);
		PKCS8_PRIV_KEY_INFO_free(p8);
	} else {
		pkey = d2i_PrivateKey_ex(type, NULL, &p, len, c->lib, NULL);
	}
	ERR_clear_error();
	return pkey;
}

static bool key_consistent(cf_ctx *c, EVP_PKEY *pkey)
{
	EVP_PKEY_CTX *pc = EVP_PKEY_CTX_new_from_pkey(c->lib, pkey, NULL);
	int r = pc != NULL ? EVP_PKEY_pairwise_check(pc) : 0;

	EVP_PKEY_CTX_free(pc);
	ERR_clear_error();
	return r == 1 || r == -2;
}

/* Pairs every decoded key with the certificates it verifiably belongs to. */
static void pair_keys(cf_ctx *c)
{
	certfile *o = c->out;

	if (c->pkeys == NULL)
		return;
	for (size_t k = 0; k < o->nkeys; k++) {
		EVP_PKEY *pkey = c->pkeys[k];
		bool ok;

		if (pkey == NULL)
			continue;
		ok = key_consistent(c, pkey);
		for (size_t j = 0; j < o->ncerts && ok; j++) {
			if (X509_check_private_key(o->certs[j].cert.x509, pkey) != 1) {
				ERR_clear_error();
				continue;
			}
			if (!o->certs[j].has_private_key)
				o->certs[j].key = (int)k;
			o->certs[j].has_private_key = true;
			if (o->keys[k].matched_cert < 0)
				o->keys[k].matched_cert = (int)j;
		}
		if (!ok)
			findings_add(c->f, HV_SEV_WARN, c->src, o->keys[k].offset,
				     "private key is inconsistent; not counted");
		else if (o->keys[k].matched_cert < 0)
			findings_add(c->f, HV_SEV_WARN, c->src, o->keys[k].offset,
				     "private key (%s %d bits) matches no certificate in the file",
				     o->keys[k].alg, o->keys[k].bits);
		EVP_PKEY_free(pkey);
		c->pkeys[k] = NULL;
	}
}

/* ---- PEM ---- */

/* Finds the next block at or after *pos; fills label and the block span. */
static bool pem_next(span_t s, uint64_t *pos, char *label, uint64_t *start, uint64_t *end)
{
	const uint8_t *b = find_bytes(s, *pos, PEM_BEGIN);
	const uint8_t *lab, *dash, *e;
	char endline[PEM_LABEL_MAX + 16];
	size_t n;

	if (b == NULL)
		return false;
	*start = (uint64_t)(b - s.data);
	lab = b + strlen(PEM_BEGIN);
	dash = find_bytes(s, (uint64_t)(lab - s.data), PEM_DASHES);
	if (dash == NULL || (size_t)(dash - lab) >= PEM_LABEL_MAX ||
	    memchr(lab, '\n', (size_t)(dash - lab)) != NULL) {
		*pos = (uint64_t)(lab - s.data);
		label[0] = '\0';
		*end = *pos;
		return true;
	}
	n = (size_t)(dash - lab);
	memcpy(label, lab, n);
	label[n] = '\0';
	snprintf(endline, sizeof(endline), PEM_END "%s" PEM_DASHES, label);
	e = find_bytes(s, (uint64_t)(dash - s.data), endline);
	if (e == NULL) {
		*end = s.len;
		*pos = s.len;
		return true;
	}
	*end = (uint64_t)(e - s.data) + strlen(endline);
	*pos = *end;
	return true;
}

static void pem_block(cf_ctx *c, span_t s, const char *label, uint64_t start, uint64_t end)
{
	pem_kind kind = pem_kind_of(label);
	BIO *bio = BIO_new_mem_buf(s.data + start, (int)(end - start));
	char *name = NULL, *header = NULL;
	unsigned char *der = NULL;
	long len = 0;
	bool encrypted;

	if (bio == NULL || PEM_read_bio(bio, &name, &header, &der, &len) != 1) {
		ERR_clear_error();
		c->bad_blocks++;
		findings_add(c->f, HV_SEV_WARN, c->src, start,
			     "PEM block \"%s\" cannot be decoded; skipped", label);
		BIO_free(bio);
		return;
	}
	BIO_free(bio);
	encrypted = header != NULL && strstr(header, PEM_ENCRYPTED_HDR) != NULL;
	switch (kind) {
	case PEM_KIND_CERT:
		add_der_cert(c, der, (size_t)len, start);
		break;
	case PEM_KIND_TRUSTED_CERT: {
		const unsigned char *p = der;
		X509 *x = d2i_X509_AUX(NULL, &p, len);
		if (x != NULL)
			add_x509(c, x, start);
		else
			findings_add(c->f, HV_SEV_WARN, c->src, start,
				     "TRUSTED CERTIFICATE block does not decode");
		X509_free(x);
		ERR_clear_error();
		break;
	}
	case PEM_KIND_PKCS7:
		if (!add_p7(c, der, (size_t)len, start))
			findings_add(c->f, HV_SEV_WARN, c->src, start,
				     "PKCS7 block is not a SignedData certificate bundle");
		break;
	case PEM_KIND_ENCRYPTED_KEY:
		push_key(c, NULL, true, label, start);
		break;
	case PEM_KIND_PKCS8_KEY:
	case PEM_KIND_RSA_KEY:
	case PEM_KIND_EC_KEY:
	case PEM_KIND_DSA_KEY:
		if (encrypted) {
			push_key(c, NULL, true, label, start);
			break;
		}
		push_key(c, decode_key(c, kind, der, len), false, label, start);
		if (c->pkeys[c->out->nkeys - 1] == NULL)
			findings_add(c->f, HV_SEV_WARN, c->src, start,
				     "private key block \"%s\" does not decode", label);
		break;
	case PEM_KIND_OTHER:
		findings_add(c->f, HV_SEV_NOTE, c->src, start,
			     "PEM block \"%s\" is not a certificate or key; skipped", label);
		break;
	}
	OPENSSL_free(name);
	OPENSSL_free(header);
	OPENSSL_clear_free(der, (size_t)len);
}

static void read_pem(cf_ctx *c, span_t s)
{
	char label[PEM_LABEL_MAX];
	uint64_t pos = 0, start, end;
	size_t blocks = 0;

	while (pem_next(s, &pos, label, &start, &end)) {
		if (++blocks > CERTFILE_MAX_BLOCKS) {
			cf_status(c, HV_ERR_LIMIT, start, "more PEM blocks than the limit; "
				  "the rest is ignored");
			break;
		}
		if (label[0] == '\0' || end == start) {
			findings_add(c->f, HV_SEV_WARN, c->src, start, "malformed PEM BEGIN line");
			continue;
		}
		if (end == s.len && !span_eq(s, end - strlen(PEM_DASHES), PEM_DASHES,
					     strlen(PEM_DASHES))) {
			cf_status(c, HV_ERR_CORRUPT, start,
				  "PEM block has no END line (truncated)");
			continue;
		}
		pem_block(c, s, label, start, end);
	}
	if (blocks == 0)
		cf_status(c, HV_ERR_FORMAT, 0, "no PEM block found");
	else if (c->bad_blocks && c->out->ncerts == 0 && c->out->nkeys == 0)
		cf_status(c, HV_ERR_CORRUPT, 0, "no PEM block could be decoded");
}

hv_err certfile_read(span_t data, const char *src, certfile *out, hv_findings *f)
{
	cf_ctx c;

	memset(out, 0, sizeof(*out));
	c = (cf_ctx){ src, f, out, hv_ossl_ctx(), NULL, 0, 0 };
	if (c.lib == NULL) {
		cf_status(&c, HV_ERR_INTERNAL, HV_NO_OFFSET, "OpenSSL context unavailable");
		return out->status;
	}
	if (data.len > CERTFILE_MAX_SIZE || data.len > INT_MAX) {
		cf_status(&c, HV_ERR_LIMIT, HV_NO_OFFSET, "certificate file too large");
		return out->status;
	}
	if (der_is_p7(data)) {
		out->kind = CERTFILE_P7B_DER;
		if (!add_p7(&c, data.data, data.len, 0))
			cf_status(&c, HV_ERR_CORRUPT, 0, "PKCS#7 bundle does not decode");
	} else if (der_is_x509(data)) {
		out->kind = CERTFILE_DER;
		add_der_cert(&c, data.data, data.len, 0);
		if (out->ncerts == 0)
			cf_status(&c, HV_ERR_CORRUPT, 0, "DER certificate does not decode");
	} else if (certfile_sniff(data)) {
		out->kind = CERTFILE_PEM;
		read_pem(&c, data);
	} else {
		cf_status(&c, HV_ERR_FORMAT, 0, "not a certificate file (DER, PEM or PKCS#7)");
	}
	pair_keys(&c);
	free(c.pkeys);
	if (out->status == HV_OK && out->ncerts == 0 && out->kind == CERTFILE_PEM)
		findings_add(f, HV_SEV_NOTE, src, HV_NO_OFFSET, "the file holds no certificate");
	return out->status;
}

void certfile_free(certfile *c)
{
	if (c == NULL)
		return;
	for (size_t i = 0; i < c->ncerts; i++)
		cert_free(&c->certs[i].cert);
	free(c->certs);
	free(c->keys);
	free(c->reason);
	memset(c, 0, sizeof(*c));
}
