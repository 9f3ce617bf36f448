/*
 * export_manifest.h - the manifest that `hvtpm script export` writes beside
 * the PFX files it exports, and the check of a folder against it.
 *
 * File: hvtpm-export-manifest.json (EXPORT_MANIFEST_NAME), UTF-8 without BOM
 * as written ([IO.File]::WriteAllText with UTF8Encoding($false)); a UTF-8
 * BOM or UTF-16LE with BOM (a copy re-saved by an editor) is read too.
 *
 *   {
 *     "hvtpm_export_manifest": 1,          marker; its value is the format version
 *     "generator": "hvtpm 0.1.0 script export",
 *     "created": "2026-09-01T10:00:00Z",   UTC, when the export ran
 *     "host": "HV01",                      $env:COMPUTERNAME of the exporting host
 *     "store": "Cert:\\LocalMachine\\Shielded VM Local Certificates",
 *     "crypto": "AES256_SHA256",           or "TripleDES_SHA1"
 *     "crypto_reason": "...",              why 3DES was used ("" with AES)
 *     "certificates": [
 *       {
 *         "file": "Shielded_VM_Encryption_Certificate_(UntrustedGuardian)_(HV01).pfx",
 *         "thumbprint": "<40 hex, SHA-1 of the DER>",
 *         "role": "encryption",            or "signing"
 *         "subject": "CN=Shielded VM Encryption Certificate (UntrustedGuardian) (HV01)",
 *         "guardian": "UntrustedGuardian",
 *         "host": "HV01",                  from the subject: the host that CREATED it
 *         "not_before": "2016-10-01T00:00:00Z",
 *         "not_after": "2026-10-01T00:00:00Z",
 *         "sha256": "<64 hex of the PFX file>",
 *         "has_private_key": true,         Get-PfxData saw the key in the file
 *         "in_store": true                 false: listed by an earlier run, not exported in
 *                                          this one (gone from the store), file still there
 *       }
 *     ]
 *   }
 *
 * Members the reader does not know are ignored (a later version 1 writer
 * may add some); a marker value other than 1 is a version this reader does
 * not read.  Windows PowerShell 5.1 may serialise an array as
 * {"value": [...], "Count": n}: that form of "certificates" is accepted.
 *
 * PFX file names (the rule of the field-tested export scripts, so existing
 * backups and hvtpm keep matching): the subject without its leading "CN=",
 * every space replaced by "_", plus ".pfx".  When two certificates would get
 * the same name (a regenerated guardian keeps its subject), the others get
 * "_<THUMBPRINT>" before ".pfx"; the last parenthesised group, which hvtpm
 * reads as the host name, stays the host.  Characters Windows forbids in file
 * names (never present in real host names) become "_".
 */
#ifndef HVTPM_EXPORT_MANIFEST_H
#define HVTPM_EXPORT_MANIFEST_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include "formats/cert.h"
#include "util/bytes.h"
#include "util/diag.h"

#define EXPORT_MANIFEST_NAME "hvtpm-export-manifest.json"
#define EXPORT_MANIFEST_MARKER "hvtpm_export_manifest"
#define EXPORT_MANIFEST_VERSION 1
#define EXPORT_MANIFEST_MAX_SIZE (4u * 1024 * 1024) /* larger: HV_ERR_LIMIT */
#define EXPORT_MANIFEST_MAX_ENTRIES 4096             /* more: HV_ERR_LIMIT */
#define EXPORT_MANIFEST_MAX_DEPTH 16                 /* JSON nesting */
#define EXPORT_MANIFEST_MAX_TEXT 1024                /* bytes in one string field */

typedef struct {
	char *file;               /* base name of the PFX, as written */
	char thumbprint[41];      /* upper-case hex */
	cert_role role;           /* CERT_ROLE_ENCRYPTION or CERT_ROLE_SIGNING */
	char *subject;            /* "CN=Shielded VM ... (<guardian>) (<host>)" */
	char *guardian;
	char *host;               /* from the subject */
	time_t not_before, not_after;
	char sha256[65];          /* lower-case hex of the PFX file */
	bool has_private_key;
	bool in_store;            /* "in_store" (true when the member is absent) */
	bool name_follows_rule;   /* file is export_pfx_file_name(subject[, thumbprint]) */
} export_entry;

typedef struct {
	long version;
	char *generator;          /* NULL when absent */
	char *created;            /* as written */
	time_t created_at;
	char *host;               /* the exporting host */
	char *store;              /* NULL when absent */
	char *crypto;             /* NULL when absent */
	char *crypto_reason;      /* NULL when absent */
	export_entry *entries;
	size_t n;
} export_manifest;

/* True when data looks like a manifest: JSON whose head names the marker. */
bool export_manifest_sniff(span_t data);

/*
 * Reads a manifest.  HV_ERR_FORMAT: not JSON, or JSON without the marker;
 * HV_ERR_CORRUPT: the marker is there but the document is damaged or a field
 * is missing or invalid (the finding names the entry and the field);
 * HV_ERR_UNSUPPORTED: another format version; HV_ERR_LIMIT: over a cap.
 * out is always initialised; free it with export_manifest_free.
 */
hv_err export_manifest_read(span_t data, const char *src, export_manifest *out,
			    hv_findings *f);
void export_manifest_free(export_manifest *m);

/*
 * The export script's file name for a certificate subject ("CN=..."), with
 * "_<thumbprint>" before ".pfx" when thumbprint is not NULL.  NULL when the
 * subject does not start with "CN=".
 */
char *export_pfx_file_name(const char *subject, const char *thumbprint);

/* ---- checking a folder against its manifest (pure: the caller did the I/O) ---------- */

typedef enum {
	EXPORT_OPEN_UNKNOWN = 0,  /* not tried, or no password candidate opened it */
	EXPORT_OPEN_OK,           /* opened (the MAC verified, every bag read) */
	EXPORT_OPEN_FAILED,       /* damaged, unsupported, not PKCS#12 */
} export_open_state;

/* A file found beside the manifest. */
typedef struct {
	const char *name;                   /* base name */
	const char *sha256;                 /* hex of its bytes (either case); NULL: not hashed */
	export_open_state open;
	/* When opened: thumbprints (hex, either case) of the certificates it holds
	 * together with their private keys. */
	const char *const *key_thumbprints;
	size_t nkey_thumbprints;
} export_found_file;

typedef enum {
	EXPORT_ST_OK = 0,         /* present, unchanged, opens and holds the key */
	EXPORT_ST_UNCHECKED,      /* present and unchanged, but not opened (password unknown) */
	EXPORT_ST_MISSING,        /* no file of that name */
	EXPORT_ST_CHANGED,        /* its SHA-256 differs from the manifest */
	EXPORT_ST_NO_OPEN,        /* unchanged or not hashed, but it does not open */
	EXPORT_ST_NO_KEY,         /* opens, but without this certificate and its private key;
				     or not opened here and the export recorded it without */
} export_status;

typedef struct {
	size_t entry;             /* index into the manifest's entries */
	export_status status;
	size_t file;              /* index into the found files; SIZE_MAX when missing */
	bool sha256_checked;      /* the found file had a SHA-256 to compare */
} export_check;

typedef struct {
	export_check *v;          /* one per manifest entry, in manifest order */
	size_t n;
	size_t *unlisted;         /* found .pfx files no entry names (indices) */
	size_t nunlisted;
	size_t bad;               /* entries whose status is neither OK nor UNCHECKED */
} export_check_result;

/*
 * Compares the manifest with the files found beside it.  File names match
 * case-insensitively (ASCII), as on Windows.  Never fails.
 */
void export_manifest_check(const export_manifest *m, const export_found_file *files,
			   size_t nfiles, export_check_result *out);
void export_check_free(export_check_result *r);

/* "ok", "unchecked", "missing", "changed", "does-not-open", "no-private-key". */
const char *export_status_name(export_status s);
/* One sentence on what the status means and what to do. */
const char *export_status_advice(export_status s);

#endif
