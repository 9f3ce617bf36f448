/*
 * kp.h - the Hyper-V vTPM key protector (KP): an MS-KPS <Protector> XML
 * document (namespace KP_NS) whose wrappings embed whole DER certificates.
 *
 * kp_decode() reads the XML payload (framing already removed, see
 * kp_input.h), checks the owner/guardian structure and tries to verify the
 * certificate signatures.  CipherValue and SignatureValue contents are never
 * kept: only their decoded lengths.
 */
#ifndef HVTPM_KP_H
#define HVTPM_KP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "formats/cert.h"
#include "util/bytes.h"
#include "util/diag.h"

#define KP_NS "http://schemas.microsoft.com/kps/2014/07"
/* Documents with more wrappings are refused (HV_ERR_LIMIT).  Real KPs hold a
 * handful; 4096 keeps a hostile document within bounded time and memory. */
#define KP_MAX_WRAPPINGS 4096
/* Distinct algorithm URIs recorded per document. */
#define KP_MAX_ALGORITHMS 64

typedef enum {
	KP_SIG_NOT_VERIFIABLE = 0, /* could not be decided; reason says why */
	KP_SIG_VERIFIED,           /* verified over the form named in reason */
	KP_SIG_FAILED,             /* the signer's key did not make this signature */
} kp_sig_status;

typedef struct {
	bool present;          /* the Signature element exists */
	char *algorithm;       /* @Algorithm URI, NULL when absent */
	size_t value_len;      /* decoded SignatureValue length; the value itself is never kept */
	kp_sig_status status;
	char *reason;          /* one line: what verified, or why not */
} kp_signature;

typedef struct {
	bool has_id;
	uint32_t id;
	bool has_parent;
	uint32_t parent_id;      /* SigningCertificateSignature/@ParentWrappingId */
	bool is_owner;           /* self-parented (ParentWrappingId == Id) */
	bool chains_to_owner;    /* following parents reaches the owner */
	long line;               /* line of the <Wrapping> start tag in the payload */
	hv_cert signing;         /* x509 == NULL when missing or unreadable */
	hv_cert encryption;
	kp_signature signing_sig;    /* by the parent's signing certificate */
	kp_signature encryption_sig; /* by this wrapping's signing certificate */
	char *transport_alg;         /* TransportKey/EncryptedData/@Algorithm */
	size_t transport_cipher_len; /* decoded CipherValue length */
} kp_wrapping;

typedef struct {
	char *ns_prefix;            /* prefix used for the KPS namespace ("" = default) */
	bool has_max_offline_unwraps;
	uint64_t max_offline_unwraps;
	kp_wrapping *w;
	size_t n;
	size_t owner_count;         /* self-parented wrappings */
	long owner;                 /* index of the single owner, -1 when none or several */
	bool has_guardian_sig;
	bool has_guardian_sig_id;
	uint32_t guardian_sig_wrapping_id;
	kp_signature guardian_sig;  /* over exc-c14n(Wrappings) by that wrapping's signing cert */
	char *tks_kdf_alg;          /* TransportKeySignature/KeyDerivationMethod/@Algorithm */
	kp_signature tks_sig;       /* TransportKeySignature/Signature (transport-key derived) */
	char **algorithms;          /* every distinct @Algorithm URI, in document order */
	size_t nalgorithms;
	size_t problems;            /* structural deviations reported as findings */
	bool certs_borrowed;        /* the wrappings' certificates belong to someone else (an
				       evidence set's pool): kp_free leaves them alone */
} kp_doc;

/*
 * Decodes an MS-KPS Protector document.  offset is the position of payload
 * inside src (for findings).  HV_ERR_FORMAT when it is not XML in the KPS
 * namespace; HV_ERR_CORRUPT when it starts like a Protector document (or names
 * the KPS namespace) but is not well-formed; HV_ERR_LIMIT over the caps.
 * Structural deviations (no owner,
 * dangling parents, unreadable certificates) are findings, not errors.
 */
hv_err kp_decode(span_t payload, const char *src, uint64_t offset, kp_doc *out,
		 hv_findings *f);
void kp_free(kp_doc *d);
const char *kp_sig_status_name(kp_sig_status s);
/* Index of the wrapping with that Id, or -1. */
long kp_find_wrapping(const kp_doc *d, uint32_t id);

/* Current KP against the last-known-good one (or any two KPs). */
typedef struct {
	char *signing;     /* SHA-1 thumbprints; "" when the certificate is missing */
	char *encryption;
} kp_pair;

typedef struct {
	bool same;                       /* nothing below differs */
	bool owner_differs;
	kp_pair owner_a, owner_b;        /* "" thumbprints when there is no single owner */
	bool max_offline_differs;
	kp_pair *only_a;                 /* wrappings (by certificate pair) only in a */
	size_t n_only_a;
	kp_pair *only_b;
	size_t n_only_b;
	size_t n_common;
	char **alg_only_a;               /* algorithm URIs only in a */
	size_t n_alg_only_a;
	char **alg_only_b;
	size_t n_alg_only_b;
} kp_diff;

/*
 * One side of a comparison, in neutral terms, so that a decoded document
 * (kp_compare) and a settled evidence record compare by the same rules:
 * the "SIGNING/ENCRYPTION" thumbprint key of every wrapping (taken: the
 * array and its strings are freed), the owner wrapping's key (NULL: no
 * single owner; not taken) and the algorithm URIs.
 */
typedef struct {
	char **keys;
	size_t nkeys;
	const char *owner_key;
	const char *const *algorithms;
	size_t nalgorithms;
	bool has_max_offline_unwraps;
	uint64_t max_offline_unwraps;
} kp_side;

void kp_diff_sides(kp_side *a, kp_side *b, kp_diff *out);
void kp_compare(const kp_doc *a, const kp_doc *b, kp_diff *out);
void kp_diff_free(kp_diff *d);

#endif
