/*
 * pfx.c - reader for PKCS#12 / PFX files (RFC 7292).
 *
 * Layout (DER, BER tolerated by OpenSSL's decoder):
 *   PFX ::= SEQUENCE {
 *     version   INTEGER (3)
 *     authSafe  ContentInfo        -- data (password integrity) or signedData
 *     macData   MacData OPTIONAL   -- { DigestInfo, salt OCTET STRING,
 *                                       iterations INTEGER DEFAULT 1 }
 *   }
 *   authSafe.content = OCTET STRING holding AuthenticatedSafe ::= SEQUENCE OF ContentInfo
 *   each ContentInfo: data (plain SafeContents), encryptedData (password-based
 *   encryption of SafeContents), or envelopedData (public-key encryption).
 *   SafeContents ::= SEQUENCE OF SafeBag { bagId OID, bagValue [0], bagAttributes SET OPTIONAL }
 *   bag types: keyBag, pkcs8ShroudedKeyBag, certBag, crlBag, secretBag, safeContentsBag.
 *   Attributes read: friendlyName (BMPString), localKeyId (OCTET STRING),
 *   Microsoft CSP/KSP name 1.3.6.1.4.1.311.17.1 (BMPString).
 *
 * Passwords [confirmed: OpenSSL p12_kiss.c, docs/key-protector.md s.8.3]: PKCS#12
 * derives keys from the BMPString form of the password including a
 * terminating 0x0000, so the NULL password (no bytes at all) and the empty
 * password (two zero bytes) are different.  We try NULL, "", then the
 * user's candidates, and stop at the first that verifies the MAC: the MAC
 * is checked before anything is decrypted, so a wrong password is told
 * apart from an unsupported cipher, a missing legacy provider or damage.
 * When no candidate verifies the MAC but one decrypts the contents, the
 * MAC (or the contents) is damaged: HV_ERR_CORRUPT, not a wrong password.
 * The privacy password may differ from the integrity one (openssl
 * -twopass): encrypted parts are tried with the MAC password first, then
 * with the other candidates (NULL and empty among them: writers disagree on
 * which of PKCS#12's two "no password" forms the MAC and the contents use).
 *
 * Key-derivation cost (budgets in pfx.h).  A candidate the MAC rejected is
 * wrong for the contents too when the MAC and the contents share one
 * password, as Windows and OpenSSL exports do; decrypting with it can then
 * only succeed on a damaged file, so after a failed MAC the contents are
 * never opened, only probed to tell damage from a wrong password.  That
 * probe is made only when it costs no more iterations than the MAC checks
 * that failed (the usual 2,000-iteration files keep the diagnosis); a file
 * whose MAC is cheap and whose contents ask for 1,000,000 iterations is
 * reported as a wrong password with the probes counted as skipped.  The
 * exception is the file with two passwords (-twopass) whose MAC password is
 * not a candidate: it stays unopened, as it was (the probe never opened).
 *
 * DPAPI-NG ("-ProtectTo", protected to an AD user or group) [inferred]:
 * Windows then encrypts the PFX with a random password and stores that
 * password, protected by DPAPI-NG (a CMS EnvelopedData blob), in a secretBag
 * whose type is szOID_PKCS_12_PROTECTED_PASSWORD_SECRET_BAG_TYPE_ID
 * (1.3.6.1.4.1.311.17.4, wincrypt.h).  Such a bag, or an envelopedData
 * entry in the AuthenticatedSafe, marks the file; when no candidate opens
 * it, it is reported as protected to an Active Directory principal, never
 * as a wrong password.  No real sample was available to confirm the exact
 * layout.
 *
 * Legacy ciphers: RC2-40 (old Windows certificate bags) needs OpenSSL 3's
 * legacy provider; 3DES and AES do not.  Before decrypting, the cipher is
 * fetched from hvtpm's library context so a missing provider is named.
 *
 * Private keys are decrypted only to be checked (X509_check_private_key and
 * a pairwise consistency check) and freed right after pairing.
 */
#include "formats/pfx.h"

#include <inttypes.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/asn1.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/pkcs12.h>
#include <openssl/pkcs7.h>
#include <openssl/x509.h>

#include "util/ossl.h"
#include "util/strbuf.h"
#include "util/text.h"
#include "util/xalloc.h"

#define PFX_VERSION 3
#define OID_PKCS7_PREFIX "\x2A\x86\x48\x86\xF7\x0D\x01\x07"   /* 1.2.840.113549.1.7 */
#define OID_PKCS7_PREFIX_LEN 8
#define OID_MS_PROTECTED_PASSWORD "1.3.6.1.4.1.311.17.4"
#define OID_MS_CSP_NAME "1.3.6.1.4.1.311.17.1"
#define OID_PBMAC1 "1.2.840.113549.1.5.14"
#define ASN1_ERROR_RET 0x80
#define ASN1_TOO_LONG 0x80
#define ASN1_CONSTRUCTED 0x20
#define ASN1_INDEFINITE 0x01
#define PFX_OID_TEXT 80
#define PFX_MAX_ATTEMPTS (PW_MAX_CANDIDATES + 2)

/* ---- small DER header walk over the outer structure (for offsets) ---- */

typedef struct {
	int tag, cls;
	bool constructed, indefinite, too_long;
	uint64_t hdr;   /* header length */
	uint64_t len;   /* content length (0 when indefinite) */
} der_hdr;

static bool der_read(span_t s, uint64_t off, der_hdr *h)
{
	const unsigned char *p;
	long len = 0, omax;
	int r;

	if (off >= s.len)
		return false;
	omax = s.len - off > (uint64_t)LONG_MAX ? LONG_MAX : (long)(s.len - off);
	p = s.data + off;
	ERR_set_mark();
	r = ASN1_get_object(&p, &len, &h->tag, &h->cls, omax);
	ERR_pop_to_mark();
	if (r == ASN1_ERROR_RET)
		return false;
	h->tag |= h->cls;         /* non-universal tags never equal a V_ASN1_* type */
	h->constructed = (r & ASN1_CONSTRUCTED) != 0;
	h->indefinite = (r & ASN1_INDEFINITE) != 0;
	h->too_long = (r & ASN1_TOO_LONG) != 0;
	h->hdr = (uint64_t)(p - (s.data + off));
	h->len = len > 0 ? (uint64_t)len : 0;
	return true;
}

typedef struct {
	long version;
	bool version_ok;
	bool truncated;           /* the outer SEQUENCE runs past the data */
	uint64_t declared_end;
	uint64_t off_authsafe;
	uint64_t off_mac;         /* 0 when not located */
	char authsafe_type[PFX_OID_TEXT];
	int authsafe_nid;
} pfx_layout;

/* Reads the ContentInfo contentType OID at off into l. */
static bool layout_content_type(span_t s, uint64_t off, pfx_layout *l)
{
	der_hdr ci, oid;
	const unsigned char *p;
	ASN1_OBJECT *o;

	if (!der_read(s, off, &ci) || ci.tag != V_ASN1_SEQUENCE || !ci.constructed)
		return false;
	if (!der_read(s, off + ci.hdr, &oid) || oid.tag != V_ASN1_OBJECT || oid.too_long)
		return false;
	p = s.data + off + ci.hdr;
	o = d2i_ASN1_OBJECT(NULL, &p, (long)(oid.hdr + oid.len));
	if (o == NULL) {
		ERR_clear_error();
		return false;
	}
	l->authsafe_nid = OBJ_obj2nid(o);
	OBJ_obj2txt(l->authsafe_type, sizeof(l->authsafe_type), o, 0);
	ASN1_OBJECT_free(o);
	return true;
}

static bool layout_read(span_t s, pfx_layout *l)
{
	der_hdr outer, ver, as;
	uint64_t pos;
	uint8_t b;

	memset(l, 0, sizeof(*l));
	if (!der_read(s, 0, &outer) || outer.tag != V_ASN1_SEQUENCE || !outer.constructed)
		return false;
	l->truncated = outer.too_long;
	l->declared_end = outer.hdr + outer.len;
	pos = outer.hdr;
	if (!der_read(s, pos, &ver) || ver.tag != V_ASN1_INTEGER || ver.constructed ||
	    ver.len < 1 || ver.len > 4 || ver.too_long)
		return false;
	for (uint64_t i = 0; i < ver.len; i++) {
		if (!span_u8(s, pos + ver.hdr + i, &b))
			return false;
		l->version = (l->version << 8) | b;
	}
	l->version_ok = true;
	pos += ver.hdr + ver.len;
	l->off_authsafe = pos;
	if (!layout_content_type(s, pos, l))
		return true;
	if (der_read(s, pos, &as) && !as.indefinite && !as.too_long &&
	    pos + as.hdr + as.len < s.len)
		l->off_mac = pos + as.hdr + as.len;
	return true;
}

bool pfx_sniff(span_t data)
{
	pfx_layout l;
	der_hdr ci, oid;

	if (!layout_read(data, &l) || !l.version_ok)
		return false;
	if (!der_read(data, l.off_authsafe, &ci) || ci.tag != V_ASN1_SEQUENCE)
		return false;
	if (!der_read(data, l.off_authsafe + ci.hdr, &oid) || oid.tag != V_ASN1_OBJECT ||
	    oid.len != OID_PKCS7_PREFIX_LEN + 1)
		return false;
	return span_eq(data, l.off_authsafe + ci.hdr + oid.hdr, OID_PKCS7_PREFIX,
		       OID_PKCS7_PREFIX_LEN);
}

/* ---- names ---- */

const char *pfx_bag_type_name(pfx_bag_type t)
{
	switch (t) {
	case PFX_BAG_KEY: return "key";
	case PFX_BAG_SHROUDED_KEY: return "shrouded_key";
	case PFX_BAG_CERT: return "certificate";
	case PFX_BAG_CRL: return "crl";
	case PFX_BAG_SECRET: return "secret";
	case PFX_BAG_SAFE_CONTENTS: return "safe_contents";
	case PFX_BAG_OTHER: return "other";
	}
	return "other";
}

const char *pfx_safe_type_name(pfx_safe_type t)
{
	switch (t) {
	case PFX_SAFE_DATA: return "data";
	case PFX_SAFE_ENCRYPTED: return "encrypted_data";
	case PFX_SAFE_ENVELOPED: return "enveloped_data";
	case PFX_SAFE_OTHER: return "other";
	}
	return "other";
}

/* ---- reader state ---- */

typedef struct {
	const char *pass;         /* NULL for the NULL password */
	int len;
	int index;                /* PFX_CAND_* or index into the candidates */
	const char *label;
	hv_pw_source source;
	unsigned position;
} pfx_attempt;

typedef struct {
	const char *src;
	hv_findings *f;
	pfx_file *out;
	OSSL_LIB_CTX *lib;
	pfx_layout layout;
	pfx_attempt att[PFX_MAX_ATTEMPTS];
	size_t natt;
	int winner;               /* index into att, -1 until known */
	PKCS12 *p12;
	STACK_OF(PKCS7) *p7s;
	STACK_OF(PKCS12_SAFEBAG) **safe_bags;   /* per safe, when read */
	const PKCS12_SAFEBAG **key_bags;        /* per key */
	size_t key_bags_cap;
	bool limit_hit;
	uint64_t file_left;       /* key-derivation iterations left for this file */
	pfx_kdf_budget *run;      /* NULL: no run budget */
} pfx_ctx;

static void set_status(pfx_ctx *c, hv_err e, uint64_t off, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

/* Records the first failure as the file's status and adds a finding. */
static void set_status(pfx_ctx *c, hv_err e, uint64_t off, const char *fmt, ...)
{
	strbuf sb = STRBUF_INIT;
	va_list ap;

	va_start(ap, fmt);
	sb_vaddf(&sb, fmt, ap);
	va_end(ap);
	findings_add(c->f, HV_SEV_ERROR, c->src, off, "%s", sb_str(&sb));
	if (c->out->status == HV_OK) {
		c->out->status = e;
		free(c->out->reason);
		c->out->reason = sb_detach(&sb);
	}
	sb_free(&sb);
}

/* ---- key-derivation budgets ---- */

void pfx_kdf_budget_init(pfx_kdf_budget *b, uint64_t iterations)
{
	atomic_init(&b->left, iterations);
}

uint64_t pfx_kdf_budget_left(pfx_kdf_budget *b)
{
	return atomic_load(&b->left);
}

pfx_kdf_budget *pfx_process_kdf_budget(void)
{
	static pfx_kdf_budget process = { PFX_RUN_KDF_BUDGET };
	return &process;
}

/* Takes n from b unless it has less; *left is what it had then. */
static bool run_take(pfx_kdf_budget *b, uint64_t n, uint64_t *left)
{
	uint64_t cur = atomic_load(&b->left);

	do {
		*left = cur;
		if (cur < n)
			return false;
	} while (!atomic_compare_exchange_weak(&b->left, &cur, cur - n));
	return true;
}

/* The iterations one attempt at a MAC or PBE declaring iterations costs. */
static uint64_t kdf_cost(long iterations)
{
	return iterations > 0 ? (uint64_t)iterations : 1;
}

/* Pays for one attempt of n iterations; false (nothing taken) when a budget cannot. */
static bool kdf_try_pay(pfx_ctx *c, uint64_t n, uint64_t *left, const char **which)
{
	if (n > c->file_left) {
		*left = c->file_left;
		*which = "per-file";
		return false;
	}
	if (c->run != NULL && !run_take(c->run, n, left)) {
		*which = "per-run";
		return false;
	}
	c->file_left -= n;
	c->out->kdf_iterations += n;
	return true;
}

/* kdf_try_pay, and on failure the file's status: skipped by policy, not wrong. */
static bool kdf_pay(pfx_ctx *c, uint64_t n, const char *what)
{
	uint64_t left;
	const char *which;

	if (kdf_try_pay(c, n, &left, &which))
		return true;
	if (!c->out->kdf_budget_exhausted) {
		c->out->kdf_budget_exhausted = true;
		c->out->kdf_asked = n;
		c->out->kdf_left = left;
		c->out->skipped_by_policy = c->out->status == HV_OK; /* the refusal is the status */
		set_status(c, HV_ERR_LIMIT, HV_NO_OFFSET, "%s not opened: key-derivation budget "
			   "exhausted (%" PRIu64 " iterations asked, %" PRIu64 " left of the %s "
			   "budget)", what, n, left, which);
	}
	return false;
}

static void add_weakness(pfx_ctx *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void add_weakness(pfx_ctx *c, const char *fmt, ...)
{
	pfx_file *p = c->out;
	strbuf sb = STRBUF_INIT;
	va_list ap;

	va_start(ap, fmt);
	sb_vaddf(&sb, fmt, ap);
	va_end(ap);
	for (size_t i = 0; i < p->nweak; i++) {
		if (strcmp(p->weaknesses[i], sb_str(&sb)) == 0) {
			sb_free(&sb);
			return;
		}
	}
	findings_add(c->f, HV_SEV_WARN, c->src, HV_NO_OFFSET, "weak protection: %s", sb_str(&sb));
	p->weaknesses = xrealloc(p->weaknesses, (p->nweak + 1) * sizeof(*p->weaknesses));
	p->weaknesses[p->nweak++] = sb_detach(&sb);
}

static void obj_text(const ASN1_OBJECT *o, char *buf, size_t n)
{
	if (o == NULL || OBJ_obj2txt(buf, (int)n, o, 1) <= 0)
		snprintf(buf, n, "(none)");
}

/* ---- PBE description and cipher availability ---- */

/* "hmacWithSHA256" -> "HMAC-SHA256"; other names unchanged. */
static void prf_name(int nid, char *buf, size_t n)
{
	const char *sn = OBJ_nid2sn(nid);
	static const char pre[] = "hmacWith";

	if (sn != NULL && strncmp(sn, pre, sizeof(pre) - 1) == 0)
		snprintf(buf, n, "HMAC-%s", sn + sizeof(pre) - 1);
	else
		snprintf(buf, n, "%s", sn != NULL ? sn : "unknown PRF");
}

static bool cipher_is_legacy(const char *name)
{
	static const char *const legacy[] = { "RC2", "RC4", "RC5", "DES-CBC", "DES-ECB", "DESX",
					      "BF", "CAST", "IDEA", "SEED", NULL };

	for (size_t i = 0; legacy[i] != NULL; i++) {
		if (strncasecmp(name, legacy[i], strlen(legacy[i])) == 0)
			return true;
	}
	return false;
}

typedef enum { PBE_OK = 0, PBE_UNKNOWN, PBE_NO_CIPHER, PBE_NEEDS_LEGACY, PBE_TOO_COSTLY } pbe_avail;

typedef struct {
	pfx_pbe pbe;
	char cipher[40];          /* cipher name to fetch, "" when unknown */
	pbe_avail avail;
} pbe_info;

static long asn1_int_get(const ASN1_INTEGER *i)
{
	long v = i != NULL ? ASN1_INTEGER_get(i) : 0;
	return v < 0 ? 0 : v;
}

static void describe_pbes2(const ASN1_TYPE *param, pbe_info *pi)
{
	PBE2PARAM *p2 = ASN1_TYPE_unpack_sequence(ASN1_ITEM_rptr(PBE2PARAM), param);
	char kdf[40] = "unknown KDF", prf[32];
	int enc_nid, kdf_nid;

	if (p2 == NULL || p2->keyfunc == NULL || p2->encryption == NULL) {
		snprintf(pi->pbe.alg, sizeof(pi->pbe.alg), "PBES2 (malformed parameters)");
		PBE2PARAM_free(p2);
		return;
	}
	kdf_nid = OBJ_obj2nid(p2->keyfunc->algorithm);
	if (kdf_nid == NID_id_pbkdf2) {
		PBKDF2PARAM *k = ASN1_TYPE_unpack_sequence(ASN1_ITEM_rptr(PBKDF2PARAM),
							  p2->keyfunc->parameter);
		if (k != NULL) {
			prf_name(k->prf != NULL ? OBJ_obj2nid(k->prf->algorithm)
						: NID_hmacWithSHA1, prf, sizeof(prf));
			snprintf(kdf, sizeof(kdf), "PBKDF2-%s", prf);
			pi->pbe.iterations = asn1_int_get(k->iter);
			PBKDF2PARAM_free(k);
		}
	} else if (kdf_nid != NID_undef) {
		snprintf(kdf, sizeof(kdf), "%s", OBJ_nid2sn(kdf_nid));
	}
	enc_nid = OBJ_obj2nid(p2->encryption->algorithm);
	if (enc_nid != NID_undef) {
		snprintf(pi->cipher, sizeof(pi->cipher), "%s", OBJ_nid2sn(enc_nid));
	} else {
		obj_text(p2->encryption->algorithm, pi->cipher, sizeof(pi->cipher));
		pi->avail = PBE_UNKNOWN;
	}
	snprintf(pi->pbe.alg, sizeof(pi->pbe.alg), "PBES2 (%s, %s)", kdf, pi->cipher);
	if (kdf_nid != NID_id_pbkdf2)
		pi->avail = PBE_UNKNOWN;
	pi->pbe.weak = cipher_is_legacy(pi->cipher);
	PBE2PARAM_free(p2);
}

/* Fills pi from an AlgorithmIdentifier of a PBE (never fails: unknowns are named). */
static void pbe_describe(OSSL_LIB_CTX *lib, const X509_ALGOR *alg, pbe_info *pi)
{
	const ASN1_OBJECT *oid = NULL;
	const void *pval = NULL;
	int ptype, nid, cnid = NID_undef, mnid = NID_undef;

	memset(pi, 0, sizeof(*pi));
	if (alg == NULL) {
		snprintf(pi->pbe.alg, sizeof(pi->pbe.alg), "(missing)");
		pi->avail = PBE_UNKNOWN;
		return;
	}
	X509_ALGOR_get0(&oid, &ptype, &pval, alg);
	nid = OBJ_obj2nid(oid);
	if (nid == NID_pbes2) {
		describe_pbes2(ptype == V_ASN1_SEQUENCE ? alg->parameter : NULL, pi);
	} else if (nid != NID_undef &&
		   EVP_PBE_find(EVP_PBE_TYPE_OUTER, nid, &cnid, &mnid, NULL) == 1) {
		PBEPARAM *pp = ASN1_TYPE_unpack_sequence(ASN1_ITEM_rptr(PBEPARAM), alg->parameter);
		snprintf(pi->pbe.alg, sizeof(pi->pbe.alg), "%s", OBJ_nid2ln(nid));
		pi->pbe.iterations = pp != NULL ? asn1_int_get(pp->iter) : 0;
		PBEPARAM_free(pp);
		if (cnid != NID_undef)
			snprintf(pi->cipher, sizeof(pi->cipher), "%s", OBJ_nid2sn(cnid));
		else
			pi->avail = PBE_UNKNOWN;
		/* Every PKCS#12 and PBES1 scheme derives keys with SHA-1 or MD5. */
		pi->pbe.weak = true;
	} else {
		obj_text(oid, pi->pbe.alg, sizeof(pi->pbe.alg));
		pi->avail = PBE_UNKNOWN;
	}
	ERR_clear_error();
	if (pi->pbe.iterations > 0 && pi->pbe.iterations < PFX_WEAK_ITER_MIN)
		pi->pbe.weak = true;
	if (pi->avail == PBE_OK && pi->pbe.iterations > PFX_MAX_ITER)
		pi->avail = PBE_TOO_COSTLY;
	if (pi->avail == PBE_OK) {
		EVP_CIPHER *ci = EVP_CIPHER_fetch(lib, pi->cipher, NULL);
		if (ci == NULL)
			pi->avail = cipher_is_legacy(pi->cipher) && !hv_ossl_legacy_available()
					    ? PBE_NEEDS_LEGACY : PBE_NO_CIPHER;
		EVP_CIPHER_free(ci);
		ERR_clear_error();
	}
}

static void note_pbe_weakness(pfx_ctx *c, const pfx_pbe *pbe, const char *what)
{
	if (!pbe->weak)
		return;
	if (strstr(pbe->alg, "40BitRC2") != NULL)
		add_weakness(c, "%s encrypted with %s (40-bit RC2)", what, pbe->alg);
	else if (strncmp(pbe->alg, "pbeWith", 7) == 0)
		add_weakness(c, "%s encrypted with %s (SHA-1 based key derivation)", what,
			     pbe->alg);
	else if (pbe->iterations >= PFX_WEAK_ITER_MIN)
		add_weakness(c, "%s encrypted with %s (legacy cipher)", what, pbe->alg);
	if (pbe->iterations > 0 && pbe->iterations < PFX_WEAK_ITER_MIN)
		add_weakness(c, "%s: %ld key-derivation iterations (fewer than %d)", what,
			     pbe->iterations, PFX_WEAK_ITER_MIN);
}

/* Sets the file status when a PBE cannot be used here; returns false then. */
static bool pbe_usable(pfx_ctx *c, const pbe_info *pi, const char *what)
{
	switch (pi->avail) {
	case PBE_OK:
		return true;
	case PBE_NEEDS_LEGACY:
		set_status(c, HV_ERR_UNSUPPORTED, HV_NO_OFFSET,
			   "legacy provider unavailable: %s is encrypted with %s, which needs "
			   "the OpenSSL legacy provider (%s)", what, pi->pbe.alg, pi->cipher);
		return false;
	case PBE_NO_CIPHER:
		set_status(c, HV_ERR_UNSUPPORTED, HV_NO_OFFSET,
			   "unsupported algorithm: %s is encrypted with %s (cipher %s not "
			   "available)", what, pi->pbe.alg, pi->cipher);
		return false;
	case PBE_TOO_COSTLY:
		set_status(c, HV_ERR_LIMIT, HV_NO_OFFSET,
			   "%s asks for %ld key-derivation iterations (limit %d); not attempted",
			   what, pi->pbe.iterations, PFX_MAX_ITER);
		return false;
	case PBE_UNKNOWN:
		break;
	}
	set_status(c, HV_ERR_UNSUPPORTED, HV_NO_OFFSET,
		   "unsupported algorithm: %s is encrypted with %s", what, pi->pbe.alg);
	return false;
}

/* ---- attributes ---- */

static char *attr_bmp(const PKCS12_SAFEBAG *bag, int nid)
{
	const ASN1_TYPE *t = PKCS12_SAFEBAG_get0_attr(bag, nid);
	char *u, *r;

	if (t == NULL || t->type != V_ASN1_BMPSTRING || t->value.bmpstring == NULL)
		return NULL;
	u = OPENSSL_uni2utf8(t->value.bmpstring->data, t->value.bmpstring->length);
	if (u == NULL) {
		ERR_clear_error();
		return NULL;
	}
	r = xstrdup(u);
	OPENSSL_free(u);
	return r;
}

static char *attr_key_id(const PKCS12_SAFEBAG *bag)
{
	const ASN1_TYPE *t = PKCS12_SAFEBAG_get0_attr(bag, NID_localKeyID);

	if (t == NULL || t->type != V_ASN1_OCTET_STRING || t->value.octet_string == NULL)
		return NULL;
	return hex_dup(t->value.octet_string->data, (size_t)t->value.octet_string->length,
		       true);
}

/* ---- bags ---- */

static int add_bag(pfx_ctx *c, pfx_bag_type t, int safe, const pfx_pbe *pbe,
		   const ASN1_OBJECT *type_oid)
{
	pfx_file *p = c->out;
	pfx_bag *b;
	char oid[PFX_OID_TEXT];

	p->bags = xrealloc(p->bags, (p->nbags + 1) * sizeof(*p->bags));
	b = &p->bags[p->nbags];
	memset(b, 0, sizeof(*b));
	b->type = t;
	b->safe = safe;
	if (pbe != NULL)
		b->pbe = *pbe;
	else
		snprintf(b->pbe.alg, sizeof(b->pbe.alg), "none");
	if (type_oid != NULL) {
		obj_text(type_oid, oid, sizeof(oid));
		b->type_oid = xstrdup(oid);
	}
	p->safes[safe].nbags++;
	return (int)p->nbags++;
}

static void add_cert(pfx_ctx *c, const PKCS12_SAFEBAG *bag, int bag_idx)
{
	pfx_file *p = c->out;
	X509 *x = PKCS12_SAFEBAG_get1_cert(bag);
	pfx_cert *pc;

	if (x == NULL) {
		findings_add(c->f, HV_SEV_WARN, c->src, HV_NO_OFFSET,
			     "certificate bag %d does not hold a decodable X.509 certificate: %s",
			     bag_idx, hv_ossl_error());
		return;
	}
	p->certs = xrealloc(p->certs, (p->ncerts + 1) * sizeof(*p->certs));
	pc = &p->certs[p->ncerts];
	memset(pc, 0, sizeof(*pc));
	if (cert_from_x509(x, &pc->cert) != HV_OK) {
		findings_add(c->f, HV_SEV_WARN, c->src, HV_NO_OFFSET,
			     "certificate bag %d: certificate cannot be read", bag_idx);
		X509_free(x);
		return;
	}
	X509_free(x);
	pc->key = -1;
	pc->bag = bag_idx;
	pc->friendly_name = attr_bmp(bag, NID_friendlyName);
	pc->local_key_id = attr_key_id(bag);
	pc->csp = attr_bmp(bag, NID_ms_csp_name);
	p->ncerts++;
}

static void add_key(pfx_ctx *c, const PKCS12_SAFEBAG *bag, int bag_idx)
{
	pfx_file *p = c->out;
	pfx_key *k;

	p->keys = xrealloc(p->keys, (p->nkeys + 1) * sizeof(*p->keys));
	c->key_bags = xgrow(c->key_bags, &c->key_bags_cap, p->nkeys + 1, sizeof(*c->key_bags));
	k = &p->keys[p->nkeys];
	memset(k, 0, sizeof(*k));
	k->matched_cert = -1;
	k->bag = bag_idx;
	k->friendly_name = attr_bmp(bag, NID_friendlyName);
	k->local_key_id = attr_key_id(bag);
	k->csp = attr_bmp(bag, NID_ms_csp_name);
	c->key_bags[p->nkeys] = bag;
	p->nkeys++;
}

static bool is_protected_password_bag(const PKCS12_SAFEBAG *bag)
{
	char oid[PFX_OID_TEXT];

	obj_text(PKCS12_SAFEBAG_get0_bag_type(bag), oid, sizeof(oid));
	return strcmp(oid, OID_MS_PROTECTED_PASSWORD) == 0;
}

static void walk_bags(pfx_ctx *c, const STACK_OF(PKCS12_SAFEBAG) *bags, int safe,
		      const pfx_pbe *safe_pbe, int depth);

static void walk_one_bag(pfx_ctx *c, const PKCS12_SAFEBAG *bag, int safe,
			 const pfx_pbe *safe_pbe, int depth)
{
	pbe_info pi;
	int idx;

	switch (PKCS12_SAFEBAG_get_nid(bag)) {
	case NID_keyBag:
		add_key(c, bag, add_bag(c, PFX_BAG_KEY, safe, safe_pbe, NULL));
		break;
	case NID_pkcs8ShroudedKeyBag: {
		const X509_ALGOR *alg = NULL;
		const X509_SIG *sig = PKCS12_SAFEBAG_get0_pkcs8(bag);
		if (sig != NULL)
			X509_SIG_get0(sig, &alg, NULL);
		pbe_describe(c->lib, alg, &pi);
		add_key(c, bag, add_bag(c, PFX_BAG_SHROUDED_KEY, safe, &pi.pbe, NULL));
		note_pbe_weakness(c, &pi.pbe, "private key");
		break;
	}
	case NID_certBag:
		if (PKCS12_SAFEBAG_get_bag_nid(bag) == NID_x509Certificate) {
			add_cert(c, bag, add_bag(c, PFX_BAG_CERT, safe, safe_pbe, NULL));
		} else {
			idx = add_bag(c, PFX_BAG_CERT, safe, safe_pbe,
				      PKCS12_SAFEBAG_get0_bag_type(bag));
			findings_add(c->f, HV_SEV_NOTE, c->src, HV_NO_OFFSET,
				     "certificate bag %d holds a non-X.509 certificate (%s); "
				     "skipped", idx, c->out->bags[idx].type_oid);
		}
		break;
	case NID_crlBag:
		add_bag(c, PFX_BAG_CRL, safe, safe_pbe, NULL);
		break;
	case NID_secretBag:
		add_bag(c, PFX_BAG_SECRET, safe, safe_pbe, PKCS12_SAFEBAG_get0_bag_type(bag));
		if (is_protected_password_bag(bag))
			c->out->dpapi_ng = true;
		break;
	case NID_safeContentsBag:
		add_bag(c, PFX_BAG_SAFE_CONTENTS, safe, safe_pbe, NULL);
		if (depth + 1 >= PFX_MAX_NEST) {
			findings_add(c->f, HV_SEV_ERROR, c->src, HV_NO_OFFSET,
				     "safeContents bags nested deeper than %d; inner bags skipped",
				     PFX_MAX_NEST);
			c->limit_hit = true;
			break;
		}
		walk_bags(c, PKCS12_SAFEBAG_get0_safes(bag), safe, safe_pbe, depth + 1);
		break;
	default:
		add_bag(c, PFX_BAG_OTHER, safe, safe_pbe, PKCS12_SAFEBAG_get0_type(bag));
		break;
	}
}

static void walk_bags(pfx_ctx *c, const STACK_OF(PKCS12_SAFEBAG) *bags, int safe,
		      const pfx_pbe *safe_pbe, int depth)
{
	int n = bags != NULL ? sk_PKCS12_SAFEBAG_num(bags) : 0;

	for (int i = 0; i < n; i++) {
		if (c->out->nbags >= PFX_MAX_BAGS) {
			if (!c->limit_hit)
				findings_add(c->f, HV_SEV_ERROR, c->src, HV_NO_OFFSET,
					     "more than %d bags; the rest is ignored",
					     PFX_MAX_BAGS);
			c->limit_hit = true;
			return;
		}
		walk_one_bag(c, sk_PKCS12_SAFEBAG_value(bags, i), safe, safe_pbe, depth);
	}
}

/* ---- AuthenticatedSafe ---- */

static const X509_ALGOR *encrypted_alg(PKCS7 *p7)
{
	if (p7->d.encrypted == NULL || p7->d.encrypted->enc_data == NULL)
		return NULL;
	return p7->d.encrypted->enc_data->algorithm;
}

static const ASN1_OCTET_STRING *encrypted_octets(PKCS7 *p7)
{
	if (p7->d.encrypted == NULL || p7->d.encrypted->enc_data == NULL)
		return NULL;
	return p7->d.encrypted->enc_data->enc_data;
}

/* Lists the AuthenticatedSafe and reads every plain SafeContents at once. */
static hv_err read_authsafes(pfx_ctx *c)
{
	pfx_file *p = c->out;
	int n;

	c->p7s = PKCS12_unpack_authsafes(c->p12);
	if (c->p7s == NULL) {
		set_status(c, HV_ERR_CORRUPT, c->layout.off_authsafe,
			   "AuthenticatedSafe cannot be decoded: %s", hv_ossl_error());
		return HV_ERR_CORRUPT;
	}
	n = sk_PKCS7_num(c->p7s);
	if (n > PFX_MAX_SAFES) {
		set_status(c, HV_ERR_LIMIT, c->layout.off_authsafe,
			   "AuthenticatedSafe has %d entries (more than %d)", n, PFX_MAX_SAFES);
		return HV_ERR_LIMIT;
	}
	p->nsafes = (size_t)n;
	p->safes = xcalloc(p->nsafes + 1, sizeof(*p->safes));
	c->safe_bags = xcalloc(p->nsafes + 1, sizeof(*c->safe_bags));
	for (int i = 0; i < n; i++) {
		PKCS7 *p7 = sk_PKCS7_value(c->p7s, i);
		pfx_safe *s = &p->safes[i];
		pbe_info pi;

		snprintf(s->pbe.alg, sizeof(s->pbe.alg), "none");
		if (PKCS7_type_is_data(p7)) {
			s->type = PFX_SAFE_DATA;
			c->safe_bags[i] = PKCS12_unpack_p7data(p7);
			if (c->safe_bags[i] == NULL) {
				set_status(c, HV_ERR_CORRUPT, HV_NO_OFFSET,
					   "SafeContents #%d cannot be decoded: %s", i,
					   hv_ossl_error());
				continue;
			}
			s->decrypted = true;
			walk_bags(c, c->safe_bags[i], i, NULL, 0);
		} else if (PKCS7_type_is_encrypted(p7)) {
			char what[32];
			s->type = PFX_SAFE_ENCRYPTED;
			pbe_describe(c->lib, encrypted_alg(p7), &pi);
			s->pbe = pi.pbe;
			snprintf(what, sizeof(what), "SafeContents #%d", i);
			note_pbe_weakness(c, &pi.pbe, what);
		} else if (PKCS7_type_is_enveloped(p7)) {
			s->type = PFX_SAFE_ENVELOPED;
			p->dpapi_ng = true;
			findings_add(c->f, HV_SEV_NOTE, c->src, HV_NO_OFFSET,
				     "SafeContents #%d is public-key encrypted (envelopedData)", i);
		} else {
			s->type = PFX_SAFE_OTHER;
			findings_add(c->f, HV_SEV_WARN, c->src, HV_NO_OFFSET,
				     "SafeContents #%d has an unexpected content type; skipped", i);
		}
	}
	return HV_OK;
}

/* ---- password attempts and the MAC ---- */

static void build_attempts(pfx_ctx *c, const hv_passwords *pw)
{
	pfx_attempt *a = c->att;

	a[0] = (pfx_attempt){ NULL, 0, PFX_CAND_NULL, "no password (NULL)", 0, 0 };
	a[1] = (pfx_attempt){ "", 0, PFX_CAND_EMPTY, "empty password", 0, 0 };
	c->natt = 2;
	for (size_t i = 0; pw != NULL && i < pw->n && c->natt < PFX_MAX_ATTEMPTS; i++) {
		const hv_password *cand = &pw->v[i];
		bool dup = cand->len == 0;

		for (size_t j = 2; j < c->natt && !dup; j++)
			dup = (size_t)c->att[j].len == cand->len &&
			      memcmp(c->att[j].pass, cand->secret, cand->len) == 0;
		if (dup)
			continue;
		c->att[c->natt++] = (pfx_attempt){ cand->secret, (int)cand->len, (int)i,
						   cand->label, cand->source, cand->position };
	}
}

/* The k-th attempt for decryption: the MAC password first, then the others. */
static size_t attempt_order(const pfx_ctx *c, size_t k)
{
	size_t w;

	if (c->winner < 0)
		return k;
	w = (size_t)c->winner;
	if (k == 0)
		return w;
	return k - 1 < w ? k - 1 : k;
}

/* "no password (NULL), empty password, prompt" (at most a few, then a count). */
static void attempt_list(const pfx_ctx *c, strbuf *sb)
{
	enum { SHOWN = 5 };

	for (size_t i = 0; i < c->natt && i < SHOWN; i++)
		sb_addf(sb, "%s%s", i > 0 ? ", " : "", c->att[i].label);
	if (c->natt > SHOWN)
		sb_addf(sb, " and %zu more", c->natt - SHOWN);
}

static void read_mac_params(pfx_ctx *c)
{
	pfx_mac *m = &c->out->mac;
	const ASN1_OCTET_STRING *mac = NULL, *salt = NULL;
	const X509_ALGOR *alg = NULL;
	const ASN1_INTEGER *iter = NULL;
	const ASN1_OBJECT *oid = NULL;
	int nid;

	m->present = PKCS12_mac_present(c->p12) == 1;
	if (!m->present)
		return;
	PKCS12_get0_mac(&mac, &alg, &salt, &iter, c->p12);
	if (alg != NULL)
		X509_ALGOR_get0(&oid, NULL, NULL, alg);
	nid = OBJ_obj2nid(oid);
	if (nid != NID_undef)
		snprintf(m->digest, sizeof(m->digest), "%s", OBJ_nid2sn(nid));
	else
		obj_text(oid, m->digest, sizeof(m->digest));
	m->iterations = iter != NULL ? asn1_int_get(iter) : 1;
	m->salt_len = salt != NULL ? (size_t)salt->length : 0;
	m->weak = nid == NID_sha1 || nid == NID_md5 || m->iterations < PFX_WEAK_ITER_MIN;
	if (nid == NID_sha1 || nid == NID_md5)
		add_weakness(c, "MAC uses %s", m->digest);
	if (m->iterations < PFX_WEAK_ITER_MIN)
		add_weakness(c, "MAC: %ld iterations (fewer than %d)", m->iterations,
			     PFX_WEAK_ITER_MIN);
}

static bool mac_digest_supported(pfx_ctx *c)
{
	EVP_MD *md = EVP_MD_fetch(c->lib, c->out->mac.digest, NULL);

	ERR_clear_error();
	if (md != NULL) {
		EVP_MD_free(md);
		return true;
	}
	if (strcmp(c->out->mac.digest, OID_PBMAC1) == 0 ||
	    strcasecmp(c->out->mac.digest, "PBMAC1") == 0)
		set_status(c, HV_ERR_UNSUPPORTED, c->layout.off_mac,
			   "unsupported algorithm: MAC algorithm PBMAC1 (RFC 9579) is not "
			   "supported by OpenSSL 3.0");
	else
		set_status(c, HV_ERR_UNSUPPORTED, c->layout.off_mac,
			   "unsupported algorithm: MAC digest %s", c->out->mac.digest);
	return false;
}

static STACK_OF(PKCS12_SAFEBAG) *try_safe(pfx_ctx *c, PKCS7 *p7, const pfx_attempt *a)
{
	const X509_ALGOR *alg = encrypted_alg(p7);
	const ASN1_OCTET_STRING *oct = encrypted_octets(p7);
	STACK_OF(PKCS12_SAFEBAG) *bags = NULL;

	if (alg != NULL && oct != NULL)
		bags = PKCS12_item_decrypt_d2i_ex(alg, ASN1_ITEM_rptr(PKCS12_SAFEBAGS), a->pass,
						  a->len, oct, 1, c->lib, NULL);
	ERR_clear_error();
	return bags;
}

static PKCS8_PRIV_KEY_INFO *try_key(pfx_ctx *c, const PKCS12_SAFEBAG *bag,
				     const pfx_attempt *a)
{
	const X509_SIG *sig = PKCS12_SAFEBAG_get0_pkcs8(bag);
	PKCS8_PRIV_KEY_INFO *p8 = NULL;

	if (sig != NULL)
		p8 = PKCS8_decrypt_ex(sig, a->pass, a->len, c->lib, NULL);
	ERR_clear_error();
	return p8;
}

/* The first encrypted part the damage probe can try: a safe (*p7) or a key bag (*bag). */
static bool probe_target(pfx_ctx *c, PKCS7 **p7, const PKCS12_SAFEBAG **bag, pbe_info *pi)
{
	*p7 = NULL;
	*bag = NULL;
	for (size_t i = 0; i < c->out->nsafes; i++) {
		if (c->out->safes[i].type != PFX_SAFE_ENCRYPTED)
			continue;
		*p7 = sk_PKCS7_value(c->p7s, (int)i);
		pbe_describe(c->lib, encrypted_alg(*p7), pi);
		return pi->avail == PBE_OK;
	}
	for (size_t i = 0; i < c->out->nkeys; i++) {
		const X509_SIG *sig = PKCS12_SAFEBAG_get0_pkcs8(c->key_bags[i]);
		const X509_ALGOR *alg = NULL;

		if (c->out->bags[c->out->keys[i].bag].type != PFX_BAG_SHROUDED_KEY)
			continue;
		if (sig != NULL)
			X509_SIG_get0(sig, &alg, NULL);
		*bag = c->key_bags[i];
		pbe_describe(c->lib, alg, pi);
		return pi->avail == PBE_OK;
	}
	return false;
}

/*
 * Which attempt decrypts the first encrypted part, ignoring the MAC; -1 when
 * none.  Made only when no dearer than the MAC checks (see the top comment);
 * attempts not made are counted in probes_skipped.
 */
static int probe_decrypt(pfx_ctx *c)
{
	const PKCS12_SAFEBAG *bag;
	PKCS7 *p7;
	pbe_info pi;

	if (!probe_target(c, &p7, &bag, &pi))
		return -1;
	uint64_t cost = kdf_cost(pi.pbe.iterations);
	for (size_t k = 0; k < c->natt; k++) {
		uint64_t left;
		const char *which;
		if (cost > kdf_cost(c->out->mac.iterations) ||
		    !kdf_try_pay(c, cost, &left, &which)) {
			c->out->probes_skipped = c->natt - k;
			return -1;
		}
		bool opens;
		if (p7 != NULL) {
			STACK_OF(PKCS12_SAFEBAG) *bags = try_safe(c, p7, &c->att[k]);
			opens = bags != NULL;
			sk_PKCS12_SAFEBAG_pop_free(bags, PKCS12_SAFEBAG_free);
		} else {
			PKCS8_PRIV_KEY_INFO *p8 = try_key(c, bag, &c->att[k]);
			opens = p8 != NULL;
			PKCS8_PRIV_KEY_INFO_free(p8);
		}
		if (opens)
			return (int)k;
	}
	return -1;
}

static void set_dpapi_status(pfx_ctx *c)
{
	bool enveloped = false;

	for (size_t i = 0; i < c->out->nsafes; i++)
		enveloped |= c->out->safes[i].type == PFX_SAFE_ENVELOPED;
	set_status(c, HV_ERR_UNSUPPORTED, HV_NO_OFFSET,
		   "protected to an Active Directory principal (DPAPI-NG); cannot be opened "
		   "offline (%s)", enveloped ? "envelopedData in the AuthenticatedSafe"
					     : "protected-password secret bag "
					       OID_MS_PROTECTED_PASSWORD);
}

/* Verifies the MAC with each attempt; explains the failure precisely. */
static hv_err check_mac(pfx_ctx *c)
{
	strbuf tried = STRBUF_INIT;
	int probe;

	read_mac_params(c);
	if (!c->out->mac.present) {
		add_weakness(c, "no MAC: the integrity of the file is not protected");
		return HV_OK;
	}
	if (!mac_digest_supported(c))
		return HV_ERR_UNSUPPORTED;
	if (c->out->mac.iterations > PFX_MAX_ITER) {
		set_status(c, HV_ERR_LIMIT, c->layout.off_mac, "the MAC asks for %ld iterations "
			   "(limit %d); not attempted", c->out->mac.iterations, PFX_MAX_ITER);
		return HV_ERR_LIMIT;
	}
	for (size_t i = 0; i < c->natt; i++) {
		if (!kdf_pay(c, kdf_cost(c->out->mac.iterations), "the file"))
			return HV_ERR_LIMIT;
		ERR_clear_error();
		if (PKCS12_verify_mac(c->p12, c->att[i].pass, c->att[i].len) == 1) {
			c->winner = (int)i;
			c->out->mac.verified = true;
			return HV_OK;
		}
		if (ERR_peek_error() != 0) {
			set_status(c, HV_ERR_CORRUPT, c->layout.off_mac,
				   "MAC cannot be computed: %s", hv_ossl_error());
			return HV_ERR_CORRUPT;
		}
	}
	if (c->out->dpapi_ng) {
		set_dpapi_status(c);
		return HV_ERR_UNSUPPORTED;
	}
	probe = probe_decrypt(c);
	if (probe >= 0) {
		set_status(c, HV_ERR_CORRUPT, c->layout.off_mac,
			   "MAC does not verify with any password tried, but %s decrypts the "
			   "contents: the MAC or the contents are damaged", c->att[probe].label);
		return HV_ERR_CORRUPT;
	}
	attempt_list(c, &tried);
	if (c->out->probes_skipped > 0)
		sb_addf(&tried, "; the contents were not probed for damage: %zu attempt(s) "
			"skipped, dearer than the MAC checks", c->out->probes_skipped);
	set_status(c, HV_ERR_PASSWORD, c->layout.off_mac,
		   "wrong password: the MAC does not verify with any of the %zu passwords "
		   "tried (%s)", c->natt, sb_str(&tried));
	sb_free(&tried);
	return HV_ERR_PASSWORD;
}

/* Records which attempt decrypted a part (the opener when there is no MAC). */
static void note_opened(pfx_ctx *c, size_t k, const char *what)
{
	if (c->winner < 0) {
		c->winner = (int)k;
	} else if ((int)k != c->winner) {
		findings_add(c->f, HV_SEV_NOTE, c->src, HV_NO_OFFSET,
			     "%s decrypts with %s, not with the MAC password (%s)", what,
			     c->att[k].label, c->att[c->winner].label);
	}
}

static void no_candidate(pfx_ctx *c, const char *what)
{
	strbuf tried = STRBUF_INIT;

	if (c->out->dpapi_ng && !c->out->mac.present) {
		set_dpapi_status(c);
		return;
	}
	attempt_list(c, &tried);
	if (c->out->mac.verified)
		set_status(c, HV_ERR_PASSWORD, HV_NO_OFFSET,
			   "wrong password: %s does not decrypt with the MAC password nor any "
			   "other password tried (%s)", what, sb_str(&tried));
	else
		set_status(c, HV_ERR_PASSWORD, HV_NO_OFFSET,
			   "wrong password: %s does not decrypt with any of the %zu passwords "
			   "tried (%s)", what, c->natt, sb_str(&tried));
	sb_free(&tried);
}

/* ---- decryption of SafeContents ---- */

static void decrypt_safes(pfx_ctx *c)
{
	char what[48];
	pbe_info pi;

	for (size_t i = 0; i < c->out->nsafes; i++) {
		pfx_safe *s = &c->out->safes[i];
		PKCS7 *p7 = sk_PKCS7_value(c->p7s, (int)i);
		STACK_OF(PKCS12_SAFEBAG) *bags = NULL;
		size_t k;

		if (s->type != PFX_SAFE_ENCRYPTED)
			continue;
		snprintf(what, sizeof(what), "encrypted SafeContents #%zu", i);
		pbe_describe(c->lib, encrypted_alg(p7), &pi);
		if (!pbe_usable(c, &pi, what))
			continue;
		for (k = 0; k < c->natt && bags == NULL; k++) {
			if (!kdf_pay(c, kdf_cost(pi.pbe.iterations), what))
				break;
			bags = try_safe(c, p7, &c->att[attempt_order(c, k)]);
		}
		if (bags == NULL) {
			if (!c->out->kdf_budget_exhausted)
				no_candidate(c, what);
			continue;
		}
		note_opened(c, attempt_order(c, k - 1), what);
		c->safe_bags[i] = bags;
		s->decrypted = true;
		walk_bags(c, bags, (int)i, &s->pbe, 0);
	}
}

/* ---- private keys: decrypt, describe, pair, free ---- */

static EVP_PKEY *key_open(pfx_ctx *c, size_t ki)
{
	const PKCS12_SAFEBAG *bag = c->key_bags[ki];
	const pfx_bag *b = &c->out->bags[c->out->keys[ki].bag];
	PKCS8_PRIV_KEY_INFO *p8 = NULL;
	EVP_PKEY *pkey;
	char what[48];
	pbe_info pi;
	const X509_ALGOR *alg = NULL;
	size_t k;

	snprintf(what, sizeof(what), "private key #%zu", ki);
	if (b->type == PFX_BAG_KEY) {
		pkey = EVP_PKCS82PKEY_ex(PKCS12_SAFEBAG_get0_p8inf(bag), c->lib, NULL);
		ERR_clear_error();
		return pkey;
	}
	if (PKCS12_SAFEBAG_get0_pkcs8(bag) != NULL)
		X509_SIG_get0(PKCS12_SAFEBAG_get0_pkcs8(bag), &alg, NULL);
	pbe_describe(c->lib, alg, &pi);
	if (!pbe_usable(c, &pi, what))
		return NULL;
	for (k = 0; k < c->natt && p8 == NULL; k++) {
		if (!kdf_pay(c, kdf_cost(pi.pbe.iterations), what))
			break;
		p8 = try_key(c, bag, &c->att[attempt_order(c, k)]);
	}
	if (p8 == NULL) {
		if (!c->out->kdf_budget_exhausted)
			no_candidate(c, what);
		return NULL;
	}
	note_opened(c, attempt_order(c, k - 1), what);
	pkey = EVP_PKCS82PKEY_ex(p8, c->lib, NULL);
	PKCS8_PRIV_KEY_INFO_free(p8);
	ERR_clear_error();
	return pkey;
}

/*
 * True when the private part of pkey matches its public part: a signature
 * made with it verifies with the public key.  (EVP_PKEY_pairwise_check does
 * the same and more, but costs tens of milliseconds per RSA key, which an
 * audit of thousands of PFX files feels.)  A key type that cannot sign is
 * accepted on the public-key match alone.
 */
static bool key_consistent(pfx_ctx *c, EVP_PKEY *pkey)
{
	static const unsigned char msg[] = "hvtpm: private/public key consistency";
	EVP_MD_CTX *m = EVP_MD_CTX_new();
	unsigned char *sig = NULL;
	size_t siglen = 0;
	int verdict = -1; /* -1: the key cannot sign; 0: mismatch; 1: consistent */

	if (m != NULL && EVP_DigestSignInit_ex(m, NULL, "SHA256", c->lib, NULL, pkey, NULL) == 1 &&
	    EVP_DigestSign(m, NULL, &siglen, msg, sizeof msg) == 1 && siglen > 0 &&
	    siglen <= 1u << 16) {
		sig = xmalloc(siglen);
		if (EVP_DigestSign(m, sig, &siglen, msg, sizeof msg) == 1) {
			EVP_MD_CTX_reset(m);
			verdict = EVP_DigestVerifyInit_ex(m, NULL, "SHA256", c->lib, NULL, pkey,
							  NULL) == 1 &&
				  EVP_DigestVerify(m, sig, siglen, msg, sizeof msg) == 1;
		} else {
			verdict = 0;
		}
	}
	free(sig);
	EVP_MD_CTX_free(m);
	ERR_clear_error();
	return verdict != 0;
}

static void warn_key_id_mismatch(pfx_ctx *c, size_t ki)
{
	const pfx_key *k = &c->out->keys[ki];

	for (size_t j = 0; j < c->out->ncerts && k->local_key_id != NULL; j++) {
		const pfx_cert *pc = &c->out->certs[j];
		if (pc->local_key_id != NULL && strcmp(pc->local_key_id, k->local_key_id) == 0)
			findings_add(c->f, HV_SEV_WARN, c->src, HV_NO_OFFSET,
				     "private key #%zu and certificate %s share local key id %s, "
				     "but the key does not belong to the certificate", ki,
				     pc->cert.thumbprint, k->local_key_id);
	}
}

static bool all_safes_read(const pfx_ctx *c)
{
	for (size_t i = 0; i < c->out->nsafes; i++) {
		if (!c->out->safes[i].decrypted)
			return false;
	}
	return true;
}

static void pair_key(pfx_ctx *c, size_t ki, EVP_PKEY *pkey)
{
	pfx_key *k = &c->out->keys[ki];
	const char *type = EVP_PKEY_get0_type_name(pkey);

	k->decrypted = true;
	snprintf(k->alg, sizeof(k->alg), "%s", type != NULL ? type : "unknown");
	k->bits = EVP_PKEY_get_bits(pkey);
	k->consistent = key_consistent(c, pkey);
	if (!k->consistent)
		findings_add(c->f, HV_SEV_WARN, c->src, HV_NO_OFFSET,
			     "private key #%zu is inconsistent (its private part does not match "
			     "its public part); not counted as a private key", ki);
	for (size_t j = 0; j < c->out->ncerts; j++) {
		pfx_cert *pc = &c->out->certs[j];
		int ok = X509_check_private_key(pc->cert.x509, pkey);
		ERR_clear_error();
		if (ok != 1 || !k->consistent)
			continue;
		if (!pc->has_private_key)
			pc->key = (int)ki;
		pc->has_private_key = true;
		if (k->matched_cert < 0)
			k->matched_cert = (int)j;
	}
	if (k->matched_cert < 0 && k->consistent && all_safes_read(c)) {
		findings_add(c->f, HV_SEV_WARN, c->src, HV_NO_OFFSET,
			     "private key #%zu (%s %d bits) matches no certificate in the file",
			     ki, k->alg, k->bits);
		warn_key_id_mismatch(c, ki);
	}
}

static void read_keys(pfx_ctx *c)
{
	for (size_t i = 0; i < c->out->nkeys; i++) {
		EVP_PKEY *pkey = key_open(c, i);
		if (pkey == NULL) {
			if (c->out->bags[c->out->keys[i].bag].type == PFX_BAG_KEY)
				findings_add(c->f, HV_SEV_WARN, c->src, HV_NO_OFFSET,
					     "private key #%zu cannot be decoded", i);
			continue;
		}
		pair_key(c, i, pkey);
		EVP_PKEY_free(pkey);
	}
}

/* ---- outer structure ---- */

static hv_err parse_outer(pfx_ctx *c, span_t data)
{
	const unsigned char *p = data.data;
	pfx_file *out = c->out;
	size_t used;

	if (!layout_read(data, &c->layout) || !pfx_sniff(data)) {
		set_status(c, HV_ERR_FORMAT, 0, "not a PKCS#12/PFX file (no PFX header: "
			   "SEQUENCE { INTEGER, ContentInfo })");
		return HV_ERR_FORMAT;
	}
	out->version = c->layout.version;
	if (c->layout.truncated) {
		set_status(c, HV_ERR_CORRUPT, 0, "truncated: the PFX structure declares %llu "
			   "bytes but the file has %zu",
			   (unsigned long long)c->layout.declared_end, data.len);
		return HV_ERR_CORRUPT;
	}
	c->p12 = d2i_PKCS12(NULL, &p, (long)data.len);
	if (c->p12 == NULL) {
		set_status(c, HV_ERR_CORRUPT, 0, "damaged: the PFX DER structure does not "
			   "decode (%s)", hv_ossl_error());
		return HV_ERR_CORRUPT;
	}
	used = (size_t)(p - data.data);
	if (used < data.len)
		findings_add(c->f, HV_SEV_WARN, c->src, used,
			     "%zu bytes after the end of the PFX structure are ignored",
			     data.len - used);
	if (out->version != PFX_VERSION) {
		set_status(c, HV_ERR_UNSUPPORTED, 0, "unsupported PFX version %ld (expected %d)",
			   out->version, PFX_VERSION);
		return HV_ERR_UNSUPPORTED;
	}
	if (c->layout.authsafe_nid == NID_pkcs7_signed) {
		set_status(c, HV_ERR_UNSUPPORTED, c->layout.off_authsafe,
			   "unsupported: public-key integrity mode (authSafe is signedData)");
		return HV_ERR_UNSUPPORTED;
	}
	if (c->layout.authsafe_nid != NID_pkcs7_data) {
		set_status(c, HV_ERR_CORRUPT, c->layout.off_authsafe,
			   "authSafe has content type %s instead of data",
			   c->layout.authsafe_type);
		return HV_ERR_CORRUPT;
	}
	return HV_OK;
}

static void finish(pfx_ctx *c)
{
	pfx_file *out = c->out;

	if (c->winner >= 0) {
		const pfx_attempt *a = &c->att[c->winner];
		out->opened_by = a->index;
		out->opened_by_label = xstrdup(a->label);
		out->opened_by_source = a->source;
		out->opened_by_position = a->position;
	}
	if (c->limit_hit && out->status == HV_OK)
		set_status(c, HV_ERR_LIMIT, HV_NO_OFFSET, "the file has more bags than the "
			   "documented limits allow; the report is partial");
	if (out->status == HV_OK && out->ncerts == 0)
		findings_add(c->f, HV_SEV_NOTE, c->src, HV_NO_OFFSET,
			     "the file holds no certificate");
}

static void cleanup(pfx_ctx *c)
{
	for (size_t i = 0; c->safe_bags != NULL && i < c->out->nsafes; i++)
		sk_PKCS12_SAFEBAG_pop_free(c->safe_bags[i], PKCS12_SAFEBAG_free);
	free(c->safe_bags);
	free(c->key_bags);
	sk_PKCS7_pop_free(c->p7s, PKCS7_free);
	PKCS12_free(c->p12);
	ERR_clear_error();
	OPENSSL_cleanse(c->att, sizeof(c->att));
}

hv_err pfx_open(span_t data, const char *src, const hv_passwords *pw, pfx_file *out,
		hv_findings *f)
{
	pfx_open_opts o = { .pw = pw, .run_budget = pfx_process_kdf_budget() };

	return pfx_open_ex(data, src, &o, out, f);
}

hv_err pfx_open_ex(span_t data, const char *src, const pfx_open_opts *o, pfx_file *out,
		   hv_findings *f)
{
	pfx_ctx c;

	memset(out, 0, sizeof(*out));
	out->opened_by = PFX_CAND_NONE;
	memset(&c, 0, sizeof(c));
	c.src = src;
	c.f = f;
	c.out = out;
	c.winner = -1;
	c.file_left = o->file_kdf_budget ? o->file_kdf_budget : PFX_FILE_KDF_BUDGET;
	c.run = o->run_budget;
	c.lib = hv_ossl_ctx();
	if (c.lib == NULL) {
		set_status(&c, HV_ERR_INTERNAL, HV_NO_OFFSET,
			   "the OpenSSL library context cannot be created");
		return out->status;
	}
	if (data.len > PFX_MAX_SIZE) {
		set_status(&c, HV_ERR_LIMIT, HV_NO_OFFSET, "PFX of %zu bytes exceeds the %u-byte "
			   "limit", data.len, PFX_MAX_SIZE);
		return out->status;
	}
	build_attempts(&c, o->pw);
	if (parse_outer(&c, data) == HV_OK && read_authsafes(&c) == HV_OK &&
	    check_mac(&c) == HV_OK) {
		decrypt_safes(&c);
		read_keys(&c);
	}
	finish(&c);
	cleanup(&c);
	return out->status;
}

void pfx_free(pfx_file *p)
{
	if (p == NULL)
		return;
	for (size_t i = 0; i < p->ncerts; i++) {
		cert_free(&p->certs[i].cert);
		free(p->certs[i].friendly_name);
		free(p->certs[i].local_key_id);
		free(p->certs[i].csp);
	}
	for (size_t i = 0; i < p->nkeys; i++) {
		free(p->keys[i].friendly_name);
		free(p->keys[i].local_key_id);
		free(p->keys[i].csp);
	}
	for (size_t i = 0; i < p->nbags; i++)
		free(p->bags[i].type_oid);
	for (size_t i = 0; i < p->nweak; i++)
		free(p->weaknesses[i]);
	free(p->weaknesses);
	free(p->certs);
	free(p->keys);
	free(p->bags);
	free(p->safes);
	free(p->reason);
	free(p->opened_by_label);
	memset(p, 0, sizeof(*p));
}
