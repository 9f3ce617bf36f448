/*
 * certfile.h - certificate files without a password container: DER
 * (.cer/.crt), PEM (one or many CERTIFICATE blocks), and PKCS#7 bundles
 * (.p7b, DER or PEM).  Format notes in certfile.c.
 *
 * A certificate read here is "present, no private key" unless the same PEM
 * file carries an unencrypted private key that verifiably belongs to it
 * (checked like a PFX key, never by name).  Encrypted PEM keys are reported
 * as needing a password; they are not decrypted.  Detection is by content,
 * never by file name.
 */
#ifndef HVTPM_CERTFILE_H
#define HVTPM_CERTFILE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "formats/cert.h"
#include "util/bytes.h"
#include "util/diag.h"

#define CERTFILE_MAX_SIZE (16u * 1024 * 1024)
#define CERTFILE_MAX_CERTS 512
#define CERTFILE_MAX_BLOCKS 1024   /* PEM blocks of any kind */

typedef enum {
	CERTFILE_DER = 0,         /* one DER certificate */
	CERTFILE_PEM,             /* PEM blocks */
	CERTFILE_P7B_DER,         /* PKCS#7 SignedData certificate bundle, DER */
} certfile_kind;

typedef struct {
	hv_cert cert;
	bool has_private_key;     /* a private key in the same file verifiably matches */
	int key;                  /* index into certfile.keys, or -1 */
	uint64_t offset;          /* where its block or structure starts */
} certfile_cert;

typedef struct {
	char alg[16];             /* "" when encrypted */
	int bits;
	bool encrypted;           /* needs a password; not read */
	int matched_cert;         /* index into certfile.certs, or -1 */
	uint64_t offset;          /* PEM block offset */
	char pem_label[32];       /* "PRIVATE KEY", "RSA PRIVATE KEY", ... */
} certfile_key;

typedef struct {
	hv_err status;
	char *reason;             /* one line when status != HV_OK */
	certfile_kind kind;
	certfile_cert *certs;
	size_t ncerts;
	certfile_key *keys;
	size_t nkeys;
	bool private_key_present;     /* an unencrypted private key block was found */
	bool key_needs_password;      /* an encrypted private key block was found */
} certfile;

/* True for DER X.509, DER PKCS#7 SignedData, or text with a PEM BEGIN line. */
bool certfile_sniff(span_t data);
hv_err certfile_read(span_t data, const char *src, certfile *out, hv_findings *f);
void certfile_free(certfile *c);
const char *certfile_kind_name(certfile_kind k);

#endif
