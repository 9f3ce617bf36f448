/*
 * pfx.h - reader for PKCS#12 / PFX files (Windows certutil -exportPFX,
 * Export-PfxCertificate, openssl pkcs12 -export).  Format notes in pfx.c.
 *
 * pfx_open answers two questions precisely: can this file be opened (and
 * if not, why: not PKCS#12, wrong password, unsupported algorithm, legacy
 * provider missing, protected to an AD principal, damaged), and which
 * certificates does it hold, each with or without its private key.
 *
 * Private keys are decrypted only to check them against the certificates
 * and are freed at once; the model keeps public facts only.  Passwords are
 * never copied into the model, findings or reasons: a candidate is named by
 * its label.
 */
#ifndef HVTPM_PFX_H
#define HVTPM_PFX_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "formats/cert.h"
#include "util/passwords.h"
#include "util/bytes.h"
#include "util/diag.h"

#define PFX_MAX_SIZE (16u * 1024 * 1024)   /* larger files: HV_ERR_LIMIT */
#define PFX_MAX_SAFES 64                   /* AuthenticatedSafe entries */
#define PFX_MAX_BAGS 1024                  /* SafeBags in the whole file */
#define PFX_MAX_NEST 4                     /* nested safeContents bags */
/*
 * Weak-iteration threshold: fewer than 10000 iterations (MAC or PBE) is
 * flagged.  10000 is the minimum NIST SP 800-63B (2017) asks of PBKDF2 for
 * stored secrets; OpenSSL 3.0 writes 2048 and Windows exports are reported
 * to use 2000 [inferred], so most real files get this warning.
 */
#define PFX_WEAK_ITER_MIN 10000
/*
 * Iteration cap: a MAC or PBE asking for more is refused (HV_ERR_LIMIT)
 * before any key derivation, so a hostile file cannot stall the tool for
 * minutes per password.  Real exports use 2000-600000.
 */
#define PFX_MAX_ITER 1000000
/*
 * Key-derivation budgets.  Every password attempt derives a key with the
 * iterations the file declares (the MAC's, or the PBE's of the part being
 * decrypted); the attempt is paid for from two budgets before it runs:
 *   - per file (PFX_FILE_KDF_BUDGET, pfx_open_opts.file_kdf_budget): about 8
 *     attempts at 2,000,000 iterations, or 8,000 at the 2,000 Windows uses;
 *   - per run (PFX_RUN_KDF_BUDGET, a pfx_kdf_budget shared by every thread
 *     of a run): 2^31 iterations, some minutes of one core.
 * An attempt neither can pay for is not made: the file's status is
 * HV_ERR_LIMIT with kdf_budget_exhausted set, "skipped by policy", never a
 * wrong password.  Iterations are counted as declared, once per attempt
 * (a PKCS#12 PBE derives its key and IV with them: counted once).
 */
#define PFX_FILE_KDF_BUDGET (16ull * 1000 * 1000)
#define PFX_RUN_KDF_BUDGET (1ull << 31)

/* Index values of pfx_file.opened_by for the built-in attempts. */
#define PFX_CAND_NONE (-1)
#define PFX_CAND_NULL (-2)    /* "no password (NULL)" */
#define PFX_CAND_EMPTY (-3)   /* "empty password" */

typedef enum {
	PFX_BAG_KEY = 0,          /* keyBag: unencrypted PKCS#8 */
	PFX_BAG_SHROUDED_KEY,     /* pkcs8ShroudedKeyBag */
	PFX_BAG_CERT,
	PFX_BAG_CRL,
	PFX_BAG_SECRET,
	PFX_BAG_SAFE_CONTENTS,
	PFX_BAG_OTHER,
} pfx_bag_type;

/* How one AuthenticatedSafe entry (a ContentInfo) protects its bags. */
typedef enum {
	PFX_SAFE_DATA = 0,        /* plain SafeContents */
	PFX_SAFE_ENCRYPTED,       /* password-encrypted (encryptedData) */
	PFX_SAFE_ENVELOPED,       /* public-key encrypted (envelopedData) */
	PFX_SAFE_OTHER,
} pfx_safe_type;

typedef struct {
	char alg[96];             /* e.g. "pbeWithSHA1And40BitRC2-CBC",
				     "PBES2 (PBKDF2-HMAC-SHA256, AES-256-CBC)", "none" */
	long iterations;          /* 0 when not encrypted or unknown */
	bool weak;
} pfx_pbe;

typedef struct {
	pfx_safe_type type;
	pfx_pbe pbe;              /* for PFX_SAFE_ENCRYPTED */
	bool decrypted;           /* bags read (always true for DATA) */
	size_t nbags;             /* bags found directly in it */
} pfx_safe;

typedef struct {
	pfx_bag_type type;
	int safe;                 /* index into pfx_file.safes */
	pfx_pbe pbe;              /* effective protection: the safe's PBE, or the
				     shrouded key's own PBE */
	char *type_oid;           /* for PFX_BAG_SECRET/OTHER: the bag or secret type OID */
} pfx_bag;

typedef struct {
	hv_cert cert;
	bool has_private_key;     /* a key in this file verifiably matches it */
	int key;                  /* index into pfx_file.keys, or -1 */
	int bag;                  /* index into pfx_file.bags */
	char *friendly_name;      /* NULL when absent */
	char *local_key_id;       /* upper-case hex, NULL when absent */
	char *csp;                /* Microsoft CSP/KSP name attribute, NULL when absent */
} pfx_cert;

typedef struct {
	char alg[16];             /* "RSA", "EC", ...; "" when it could not be decrypted */
	int bits;
	bool decrypted;
	bool consistent;          /* the private part matches its public part */
	int matched_cert;         /* index into pfx_file.certs, or -1 */
	int bag;
	char *friendly_name;
	char *local_key_id;
	char *csp;
} pfx_key;

typedef struct {
	bool present;
	char digest[32];          /* "SHA1", "SHA256", ... or the OID */
	long iterations;
	size_t salt_len;
	bool verified;
	bool weak;
} pfx_mac;

typedef struct {
	hv_err status;            /* HV_OK when opened and every bag was read */
	char *reason;             /* one line; never contains a password */
	int opened_by;            /* index into the candidates, PFX_CAND_* otherwise */
	char *opened_by_label;    /* "empty password", "password-file line 3", or NULL */
	hv_pw_source opened_by_source;    /* meaningful when opened_by >= 0 */
	unsigned opened_by_position;      /* likewise */
	bool dpapi_ng;            /* protected to an AD principal (markers found) */
	long version;
	pfx_mac mac;
	pfx_safe *safes;
	size_t nsafes;
	pfx_bag *bags;
	size_t nbags;
	pfx_cert *certs;
	size_t ncerts;
	pfx_key *keys;
	size_t nkeys;
	char **weaknesses;        /* one line each */
	size_t nweak;
	/* Key-derivation cost (see PFX_FILE_KDF_BUDGET). */
	uint64_t kdf_iterations;  /* iterations spent on this file */
	bool kdf_budget_exhausted;        /* an attempt was not made: status HV_ERR_LIMIT */
	bool skipped_by_policy;   /* ... and that refusal is the status: the file was left
				     unopened by policy (its bytes may be fine), unlike a
				     file over one of its own caps */
	uint64_t kdf_asked;       /* ... the iterations it asked for */
	uint64_t kdf_left;        /* ... and what the budget that refused it had left */
	size_t probes_skipped;    /* damage-check attempts not made after the MAC failed */
} pfx_file;

/* A budget of key-derivation iterations shared by the threads of a run. */
typedef struct {
	_Atomic uint64_t left;
} pfx_kdf_budget;

void pfx_kdf_budget_init(pfx_kdf_budget *b, uint64_t iterations);
uint64_t pfx_kdf_budget_left(pfx_kdf_budget *b);
/* The budget pfx_open uses: PFX_RUN_KDF_BUDGET for the whole process. */
pfx_kdf_budget *pfx_process_kdf_budget(void);

typedef struct {
	const hv_passwords *pw;       /* the candidates (may be NULL) */
	uint64_t file_kdf_budget;     /* iterations for this file; 0: PFX_FILE_KDF_BUDGET.
					 A --kdf-budget style option raises it here. */
	pfx_kdf_budget *run_budget;   /* shared by the run; NULL: no run budget */
} pfx_open_opts;

/* True when data looks like DER PKCS#12: SEQUENCE { INTEGER, SEQUENCE { OID pkcs7-* ... */
bool pfx_sniff(span_t data);

/*
 * Opens a PFX.  Tries the NULL password, the empty password, then every
 * candidate of o->pw in order, stopping at the first that verifies the MAC,
 * within the key-derivation budgets of o.  Returns out->status; out is
 * always filled (free it with pfx_free) and a finding naming src explains
 * any failure.  HV_ERR_LIMIT with out->skipped_by_policy: not (fully)
 * opened because an attempt did not fit the budget (skipped by policy).
 * Thread-safe: the run budget is the only state shared between calls.
 */
hv_err pfx_open_ex(span_t data, const char *src, const pfx_open_opts *o, pfx_file *out,
		   hv_findings *f);
/* pfx_open_ex with pw, the default file budget and pfx_process_kdf_budget(). */
hv_err pfx_open(span_t data, const char *src, const hv_passwords *pw, pfx_file *out,
		hv_findings *f);
void pfx_free(pfx_file *p);

const char *pfx_bag_type_name(pfx_bag_type t);
const char *pfx_safe_type_name(pfx_safe_type t);

#endif
