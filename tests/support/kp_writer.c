/* kp_writer.c - synthesized key protectors for tests and samples (see kp_writer.h). */
#include "support/kp_writer.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/rsa.h>
#include <openssl/x509v3.h>

#include "util/strbuf.h"
#include "util/text.h"
#include "util/xalloc.h"

#define KPW_RANDOM_SIG_LEN 256
#define KPW_CIPHER_LEN 256
#define KPW_B64_WRAP 76
#define KPW_SERIAL_BITS 127
#define SECONDS_PER_DAY 86400L

static void die(const char *what)
{
	fprintf(stderr, "kp_writer: %s failed\n", what);
	ERR_print_errors_fp(stderr);
	abort();
}

/* ------------------------------------------------------------ randomness */

static uint64_t rng_state = 0x687674706DULL;

void kpw_seed(uint64_t seed)
{
	rng_state = seed;
}

/* splitmix64 */
static uint64_t rng_next(void)
{
	uint64_t z = (rng_state += 0x9E3779B97F4A7C15ULL);

	z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
	z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
	return z ^ (z >> 31);
}

void kpw_random(uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		p[i] = (uint8_t)(rng_next() >> 24);
}

/* ---------------------------------------------------------- certificates */

static X509_NAME *cn_name(const char *cn)
{
	X509_NAME *nm = X509_NAME_new();
	/* A plain UTF8String type (not MBSTRING_*) skips the 64-character CN limit. */
	X509_NAME_ENTRY *e = X509_NAME_ENTRY_create_by_NID(NULL, NID_commonName, V_ASN1_UTF8STRING,
							  (const unsigned char *)cn, -1);

	if (nm == NULL || e == NULL || !X509_NAME_add_entry(nm, e, -1, 0))
		die("X509_NAME");
	X509_NAME_ENTRY_free(e);
	return nm;
}

static void add_ext(X509 *x, X509 *issuer, int nid, const char *value)
{
	X509V3_CTX ctx;

	X509V3_set_ctx(&ctx, issuer, x, NULL, NULL, 0);
	X509_EXTENSION *e = X509V3_EXT_conf_nid(NULL, &ctx, nid, value);
	if (e == NULL || !X509_add_ext(x, e, -1))
		die("X509_add_ext");
	X509_EXTENSION_free(e);
}

kpw_cert *kpw_cert_new(const char *cn, int bits, int days, const kpw_cert *issuer)
{
	kpw_cert *c = xcalloc(1, sizeof(*c));
	X509 *x = X509_new();
	BIGNUM *bn = BN_new();
	unsigned char *der = NULL;

	c->key = EVP_RSA_gen((unsigned)bits);
	if (c->key == NULL || x == NULL || bn == NULL)
		die("key generation");
	X509_set_version(x, 2);
	if (!BN_rand(bn, KPW_SERIAL_BITS, BN_RAND_TOP_ONE, BN_RAND_BOTTOM_ANY) ||
	    BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(x)) == NULL)
		die("serial");
	BN_free(bn);
	X509_gmtime_adj(X509_getm_notBefore(x), -SECONDS_PER_DAY);
	X509_gmtime_adj(X509_getm_notAfter(x), (long)days * SECONDS_PER_DAY - SECONDS_PER_DAY);
	X509_NAME *nm = cn_name(cn);
	X509_set_subject_name(x, nm);
	X509_set_issuer_name(x, issuer ? X509_get_subject_name(issuer->x509) : nm);
	X509_NAME_free(nm);
	X509_set_pubkey(x, c->key);
	add_ext(x, issuer ? issuer->x509 : x, NID_key_usage,
		"critical,digitalSignature,keyEncipherment,dataEncipherment");
	if (!X509_sign(x, issuer ? issuer->key : c->key, EVP_sha256()))
		die("X509_sign");
	int n = i2d_X509(x, &der);
	if (n <= 0)
		die("i2d_X509");
	c->x509 = x;
	c->der = xmemdup(der, (size_t)n);
	c->der_len = (size_t)n;
	OPENSSL_free(der);
	return c;
}

void kpw_cert_free(kpw_cert *c)
{
	if (c == NULL)
		return;
	EVP_PKEY_free(c->key);
	X509_free(c->x509);
	free(c->der);
	free(c);
}

uint8_t *kpw_sign(const kpw_cert *c, const char *scheme, const void *data, size_t n,
		  size_t *siglen)
{
	EVP_MD_CTX *m = EVP_MD_CTX_new();
	EVP_PKEY_CTX *pc = NULL;
	size_t len = 0;

	if (m == NULL || EVP_DigestSignInit(m, &pc, EVP_sha256(), NULL, c->key) != 1)
		die("EVP_DigestSignInit");
	if (strcmp(scheme, "pss-sha256") == 0 &&
	    (EVP_PKEY_CTX_set_rsa_padding(pc, RSA_PKCS1_PSS_PADDING) != 1 ||
	     EVP_PKEY_CTX_set_rsa_pss_saltlen(pc, RSA_PSS_SALTLEN_DIGEST) != 1))
		die("PSS padding");
	if (EVP_DigestSign(m, NULL, &len, data, n) != 1)
		die("EVP_DigestSign");
	uint8_t *sig = xmalloc(len);
	if (EVP_DigestSign(m, sig, &len, data, n) != 1)
		die("EVP_DigestSign");
	EVP_MD_CTX_free(m);
	*siglen = len;
	return sig;
}

/* -------------------------------------------------------------- base64 */

static void b64_add(strbuf *sb, const uint8_t *p, size_t n, size_t wrap, const char *eol)
{
	static const char tbl[] =
		"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	size_t col = 0;

	for (size_t i = 0; i < n; i += 3) {
		uint32_t v = (uint32_t)p[i] << 16;
		size_t left = n - i;
		if (left > 1)
			v |= (uint32_t)p[i + 1] << 8;
		if (left > 2)
			v |= p[i + 2];
		if (wrap && col == wrap) {
			sb_adds(sb, eol);
			col = 0;
		}
		sb_addc(sb, tbl[(v >> 18) & 63]);
		sb_addc(sb, tbl[(v >> 12) & 63]);
		sb_addc(sb, left > 1 ? tbl[(v >> 6) & 63] : '=');
		sb_addc(sb, left > 2 ? tbl[v & 63] : '=');
		col += 4;
	}
}

char *kpw_base64(const void *p, size_t n)
{
	strbuf sb = STRBUF_INIT;

	b64_add(&sb, p, n, 0, "");
	return sb_detach(&sb);
}

static void b64_random(strbuf *sb, size_t n)
{
	uint8_t *b = xmalloc(n);

	kpw_random(b, n);
	b64_add(sb, b, n, 0, "");
	free(b);
}

/* -------------------------------------------------------------- document */

typedef struct {
	strbuf *sb;
	const char *p;   /* "" or "prefix:" */
} emit;

static void open_tag(emit *e, const char *name, const char *attr, const char *val)
{
	sb_addf(e->sb, "<%s%s", e->p, name);
	if (attr)
		sb_addf(e->sb, " %s=\"%s\"", attr, val);
	sb_addc(e->sb, '>');
}

static void close_tag(emit *e, const char *name)
{
	sb_addf(e->sb, "</%s%s>", e->p, name);
}

static void signature(emit *e, const char *alg, const uint8_t *sig, size_t len)
{
	open_tag(e, "Signature", "Algorithm", alg ? alg : KPW_ALG_RSA_SHA256);
	open_tag(e, "SignatureValue", NULL, NULL);
	if (sig)
		b64_add(e->sb, sig, len, 0, "");
	else
		b64_random(e->sb, KPW_RANDOM_SIG_LEN);
	close_tag(e, "SignatureValue");
	close_tag(e, "Signature");
}

static void cert_elem(emit *e, const char *name, const uint8_t *der, size_t len,
		      const char *literal)
{
	if (der == NULL && literal == NULL)
		return;
	open_tag(e, name, NULL, NULL);
	if (literal)
		sb_adds(e->sb, literal);
	else
		b64_add(e->sb, der, len, 0, "");
	close_tag(e, name);
}

static void wrapping(emit *e, const kpw_wrapping *w)
{
	char num[16];

	open_tag(e, "Wrapping", NULL, NULL);
	snprintf(num, sizeof(num), "%u", w->id);
	open_tag(e, "Id", NULL, NULL);
	sb_adds(e->sb, num);
	close_tag(e, "Id");
	cert_elem(e, "SigningCertificate", w->signing_der, w->signing_len, w->signing_b64);
	snprintf(num, sizeof(num), "%u", w->parent_id);
	open_tag(e, "SigningCertificateSignature", w->omit_parent ? NULL : "ParentWrappingId",
		 num);
	signature(e, w->sig_alg, w->signing_sig, w->signing_sig_len);
	close_tag(e, "SigningCertificateSignature");
	cert_elem(e, "EncryptionCertificate", w->encryption_der, w->encryption_len,
		  w->encryption_b64);
	open_tag(e, "EncryptionCertificateSignature", NULL, NULL);
	signature(e, w->sig_alg, w->encryption_sig, w->encryption_sig_len);
	close_tag(e, "EncryptionCertificateSignature");
	open_tag(e, "TransportKey", NULL, NULL);
	open_tag(e, "EncryptedData", "Algorithm", w->transport_alg ? w->transport_alg
								    : KPW_ALG_TRANSPORT);
	open_tag(e, "CipherValue", NULL, NULL);
	b64_random(e->sb, KPW_CIPHER_LEN);
	close_tag(e, "CipherValue");
	close_tag(e, "EncryptedData");
	close_tag(e, "TransportKey");
	close_tag(e, "Wrapping");
}

static char *prefix_of(const kpw_doc *d)
{
	strbuf sb = STRBUF_INIT;

	if (d->prefix)
		sb_addf(&sb, "%s:", d->prefix);
	return sb_detach(&sb);
}

/* Start tag of the namespace-declaring element. */
static void ns_open(emit *e, const kpw_doc *d, const char *name, const char *extra)
{
	sb_addf(e->sb, "<%s%s xmlns%s%s=\"%s\"%s>", e->p, name, d->prefix ? ":" : "",
		d->prefix ? d->prefix : "", d->ns ? d->ns : KPW_NS, extra ? extra : "");
}

static void wrappings_inner(emit *e, const kpw_doc *d)
{
	for (size_t i = 0; i < d->n; i++)
		wrapping(e, &d->w[i]);
}

/*
 * The pseudo-random parts are drawn in document order, so the canonical form
 * and the document agree only when produced from the same generator state:
 * both are built from one rendering of the inner element.
 */
static char *render_inner(const kpw_doc *d, const char *p)
{
	strbuf sb = STRBUF_INIT;
	emit e = { &sb, p };

	wrappings_inner(&e, d);
	return sb_detach(&sb);
}

static uint64_t inner_seed(const kpw_doc *d)
{
	return 0x4b5057ULL ^ ((uint64_t)d->n << 20) ^ d->guardian_wrapping_id;
}

char *kpw_wrappings_c14n(const kpw_doc *d, size_t *len)
{
	char *p = prefix_of(d);
	uint64_t saved = rng_state;
	strbuf sb = STRBUF_INIT;
	emit e = { &sb, p };

	rng_state = inner_seed(d);
	char *inner = render_inner(d, p);
	rng_state = saved;
	ns_open(&e, d, "Wrappings", NULL);
	sb_adds(&sb, inner);
	close_tag(&e, "Wrappings");
	free(inner);
	free(p);
	*len = sb.len;
	return sb_detach(&sb);
}

char *kpw_xml(const kpw_doc *d, size_t *len)
{
	char *p = prefix_of(d);
	strbuf sb = STRBUF_INIT;
	emit e = { &sb, p };
	char attr[64] = "";
	char num[16];

	uint64_t saved = rng_state;
	rng_state = inner_seed(d);
	char *inner = render_inner(d, p);
	rng_state = saved;
	if (d->declaration)
		sb_adds(&sb, "<?xml version=\"1.0\" encoding=\"utf-8\"?>\r\n");
	if (d->max_offline_unwraps >= 0)
		snprintf(attr, sizeof(attr), " MaxOfflineUnwraps=\"%ld\"", d->max_offline_unwraps);
	ns_open(&e, d, "Protector", attr);
	open_tag(&e, "Wrappings", NULL, NULL);
	sb_adds(&sb, inner);
	close_tag(&e, "Wrappings");
	open_tag(&e, "TransportKeySignature", NULL, NULL);
	open_tag(&e, "KeyDerivationMethod", "Algorithm", KPW_ALG_KDF);
	close_tag(&e, "KeyDerivationMethod");
	signature(&e, KPW_ALG_RSA_SHA256, NULL, 0);
	close_tag(&e, "TransportKeySignature");
	snprintf(num, sizeof(num), "%u", d->guardian_wrapping_id);
	open_tag(&e, "GuardianSignature", "WrappingId", num);
	signature(&e, d->guardian_sig_alg, d->guardian_sig, d->guardian_sig_len);
	close_tag(&e, "GuardianSignature");
	close_tag(&e, "Protector");
	free(inner);
	free(p);
	*len = sb.len;
	return sb_detach(&sb);
}

/* --------------------------------------------------------------- forms */

const char *kpw_form_name(kpw_form form)
{
	static const char *const names[KPW_FORM_COUNT] = {
		"octet-string", "outfile-utf16-crlf", "outfile-utf8-lf", "outfile-utf8-bom-crlf",
		"base64", "xml-utf8", "xml-utf8-bom", "xml-utf16", "cim-array",
	};
	return (unsigned)form < KPW_FORM_COUNT ? names[form] : "unknown";
}

uint8_t *kpw_frame(const void *payload, size_t n, size_t *len)
{
	uint8_t *b = xmalloc(n + 4);
	uint32_t total = (uint32_t)(n + 4);

	b[0] = (uint8_t)(total >> 24);
	b[1] = (uint8_t)(total >> 16);
	b[2] = (uint8_t)(total >> 8);
	b[3] = (uint8_t)total;
	memcpy(b + 4, payload, n);
	*len = n + 4;
	return b;
}

static uint8_t *decimal_lines(const uint8_t *p, size_t n, const char *eol, size_t *len)
{
	strbuf sb = STRBUF_INIT;

	for (size_t i = 0; i < n; i++)
		sb_addf(&sb, "%u%s", p[i], eol);
	*len = sb.len;
	return (uint8_t *)sb_detach(&sb);
}

static uint8_t *with_prefix(const uint8_t *pre, size_t np, uint8_t *body, size_t nb, size_t *len)
{
	uint8_t *b = xmalloc(np + nb + 1);

	memcpy(b, pre, np);
	memcpy(b + np, body, nb);
	free(body);
	*len = np + nb;
	return b;
}

static uint8_t *utf16_bom(uint8_t *utf8, size_t *len)
{
	static const uint8_t bom[2] = { 0xFF, 0xFE };
	size_t n16 = 0;
	uint8_t *u16 = utf8_to_utf16le((const char *)utf8, &n16);

	free(utf8);
	return with_prefix(bom, 2, u16, n16, len);
}

static uint8_t *cim_array(const uint8_t *p, size_t n, size_t *len)
{
	strbuf sb = STRBUF_INIT;

	sb_adds(&sb, "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<CIM CIMVERSION=\"2.0\" "
		     "DTDVERSION=\"2.0\"><DECLARATION><DECLGROUP><VALUE.OBJECT>\n"
		     "<INSTANCE CLASSNAME=\"Msvm_TPMSettingData\">\n"
		     "<PROPERTY NAME=\"ElementName\" TYPE=\"string\"><VALUE>TPM</VALUE>"
		     "</PROPERTY>\n"
		     "<PROPERTY.ARRAY NAME=\"KeyProtector\" TYPE=\"uint8\"><VALUE.ARRAY>\n");
	for (size_t i = 0; i < n; i++)
		sb_addf(&sb, "<VALUE>%u</VALUE>\n", p[i]);
	sb_adds(&sb, "</VALUE.ARRAY></PROPERTY.ARRAY>\n"
		     "<PROPERTY.ARRAY NAME=\"LastKnownGoodKeyProtector\" TYPE=\"uint8\">"
		     "<VALUE.ARRAY>"
		     "<VALUE>0</VALUE><VALUE>0</VALUE><VALUE>0</VALUE><VALUE>4</VALUE>"
		     "</VALUE.ARRAY></PROPERTY.ARRAY>\n"
		     "</INSTANCE>\n</VALUE.OBJECT></DECLGROUP></DECLARATION></CIM>\n");
	*len = sb.len;
	return (uint8_t *)sb_detach(&sb);
}

uint8_t *kpw_save(const void *xml, size_t n, kpw_form form, size_t *len)
{
	static const uint8_t bom8[3] = { 0xEF, 0xBB, 0xBF };
	size_t fl = 0, tl = 0;
	uint8_t *framed = kpw_frame(xml, n, &fl);
	uint8_t *out = NULL;
	strbuf sb = STRBUF_INIT;

	switch (form) {
	case KPW_FORM_OCTET_STRING:
		*len = fl;
		return framed;
	case KPW_FORM_OUTFILE_UTF16_CRLF:
		out = utf16_bom(decimal_lines(framed, fl, "\r\n", &tl), len);
		break;
	case KPW_FORM_OUTFILE_UTF8_LF:
		out = decimal_lines(framed, fl, "\n", len);
		break;
	case KPW_FORM_OUTFILE_UTF8_BOM_CRLF:
		out = decimal_lines(framed, fl, "\r\n", &tl);
		out = with_prefix(bom8, 3, out, tl, len);
		break;
	case KPW_FORM_BASE64:
		b64_add(&sb, framed, fl, KPW_B64_WRAP, "\r\n");
		sb_adds(&sb, "\r\n");
		*len = sb.len;
		out = (uint8_t *)sb_detach(&sb);
		break;
	case KPW_FORM_XML_UTF8:
		out = xmemdup(xml, n);
		*len = n;
		break;
	case KPW_FORM_XML_UTF8_BOM:
		out = with_prefix(bom8, 3, xmemdup(xml, n), n, len);
		break;
	case KPW_FORM_XML_UTF16: {
		char *s = xstrndup(xml, n);
		out = utf16_bom((uint8_t *)s, len);
		break;
	}
	case KPW_FORM_CIM_ARRAY:
	case KPW_FORM_COUNT:
		out = cim_array(framed, fl, len);
		break;
	}
	free(framed);
	return out;
}

/* ------------------------------------------------------------ guardians */

kpw_guardian kpw_guardian_new(const char *guardian, const char *host, int days)
{
	kpw_guardian g;
	char cn[512];

	snprintf(cn, sizeof(cn), "Shielded VM Signing Certificate (%s) (%s)", guardian, host);
	g.signing = kpw_cert_new(cn, 2048, days, NULL);
	snprintf(cn, sizeof(cn), "Shielded VM Encryption Certificate (%s) (%s)", guardian, host);
	g.encryption = kpw_cert_new(cn, 2048, days, NULL);
	return g;
}

void kpw_guardian_free(kpw_guardian *g)
{
	kpw_cert_free(g->signing);
	kpw_cert_free(g->encryption);
	g->signing = g->encryption = NULL;
}

kpw_wrapping kpw_wrapping_for(const kpw_guardian *g, uint32_t id, uint32_t parent_id)
{
	kpw_wrapping w;

	memset(&w, 0, sizeof(w));
	w.id = id;
	w.parent_id = parent_id;
	w.signing_der = g->signing->der;
	w.signing_len = g->signing->der_len;
	w.encryption_der = g->encryption->der;
	w.encryption_len = g->encryption->der_len;
	return w;
}
