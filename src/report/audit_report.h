/*
 * audit_report.h - the audit of a whole backup tree: each VM's diagnose
 * verdict, an index of every certificate (who needs it, which evidence
 * files hold it with and without its private key) and a summary.
 *
 * Order is part of the output contract (same evidence, same --at, same
 * bytes): VMs by id (byte order of the canonical upper-case GUID),
 * certificates by notAfter then SHA-1 thumbprint, evidence files in walk
 * order (directory entries in byte order, archive members as stored).
 *
 * JSON (schema_version 2): the diagnose document (schema_version, tool,
 * generated_at, evaluated_at, warn_days, filter, vms, evidence, errors; each VM as
 * dx_vm_json plus private_key_copies and single_copy {thumbprint_sha1, role,
 * path} or null) with two more top-level keys:
 *   certificates[]  thumbprint_sha1, sha256, subject, role, guardian, host,
 *                   local_guardian_pattern, not_before, not_after, days_left,
 *                   status (valid|expiring|expired|not_yet_valid), vms[]
 *                   {id, name}, held_with_private_key[] and
 *                   held_without_private_key[] {path, sha256}
 *   summary         vms, vms_in_evidence, files, verdicts {name: count, every verdict},
 *                   certificates, expired_or_expiring[] (by date),
 *                   pfx_not_opened[] {path, class, reason},
 *                   certificates_no_vm_needs[], single_copy_vms[]
 *                   {id, name, verdict, thumbprint_sha1, role, path},
 *                   files_with_errors, exit_code
 * The document is written element by element as VMs are evaluated, never
 * held whole in memory.
 *
 *   manifests[]     every export manifest of the evidence against the PFX
 *                   files beside it (report/manifest_report.h); after
 *                   certificates, [] when there is none
 *
 * JSONL: one object per line, each with "type" first: "vm" records (the
 * VM object above), then "certificate" records, then "manifest" records,
 * then one "summary" record (the summary object plus "errors", the
 * diagnose error list).
 *
 * CSV (report/csv.h: RFC 4180, CRLF line ends, fields with a comma, quote,
 * CR or LF quoted, quotes doubled, text cells starting with = + - @ TAB CR
 * or ' written with a ' in front; lists inside a cell joined with ';'), one
 * table:
 *   vms    id,name,verdict,exit_code,tpm_enabled,config_files,
 *          key_protector_source,encryption_thumbprint,signing_thumbprint,
 *          first_not_after,days_left,private_key_copies,single_copy,missing
 *   certs  thumbprint_sha1,sha256,role,guardian,host,subject,not_before,
 *          not_after,days_left,status,vm_count,vm_ids,files_with_key,
 *          files_without_key
 */
#ifndef HVTPM_AUDIT_REPORT_H
#define HVTPM_AUDIT_REPORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <time.h>

#include "analysis/filter.h"
#include "analysis/manifest_check.h"
#include "analysis/verdict.h"
#include "model/evidence.h"
#include "report/diagnose_report.h"

/* One distinct certificate (by the SHA-256 of its DER) across the evidence. */
typedef struct {
	const hv_cert *cert;     /* one copy: a holding's, else a key protector's */
	const char *role;        /* as key protectors use it, else from its name */
	long days_left;
	bool expired;            /* notAfter before --at */
	bool expiring;           /* not expired, notAfter within --warn-days */
	bool not_yet_valid;      /* notBefore after --at */
	size_t *vms;             /* evidence.vms indexes of the VMs that need it, in order */
	size_t nvms;
	size_t *with_key;        /* evidence.files indexes holding it with its private key */
	size_t nwith;
	size_t *without_key;     /* ... holding it without (and not also with) */
	size_t nwithout;
} au_cert;

/* What the audit keeps of one VM's verdict. */
typedef struct {
	size_t vm;               /* index into evidence.vms */
	verdict_kind kind;
	size_t kp;               /* the key protector the verdict is about (SIZE_MAX: none) */
	const au_cert *enc, *sig; /* the certificates of the wrapping shown for it */
	time_t first_not_after;  /* the earlier notAfter of the two (0: none) */
	long days_left;
	size_t key_copies;       /* files holding the scarcer private key needed (0: none) */
	const au_cert *single;   /* a needed private key held in exactly one file, or NULL */
	char *missing;           /* what it lacks for a restore, in a few words (owned) */
	bool has_expiry;         /* first_not_after and days_left are set */
} au_vm;

typedef struct {
	time_t evaluated_at;
	int warn_days;
	au_cert *certs;          /* by notAfter, then thumbprint */
	size_t ncerts;
	size_t *by_sha;          /* certs indexes by certificate SHA-256 */
	au_vm *vms;              /* in evidence order (audit_sort_vms: by id) */
	size_t nvms;
	size_t counts[V_REBUILD_DATA_LOSS + 1];
	size_t *expiring;        /* certs indexes, expired or expiring, by date */
	size_t nexpiring;
	size_t *unneeded;        /* certs held by the evidence that no VM needs */
	size_t nunneeded;
	size_t *pfx_failed;      /* evidence.files indexes of PFX files not opened */
	size_t npfx_failed;
	size_t *single;          /* vms indexes whose private keys exist once */
	size_t nsingle;
	size_t nfile_errors;     /* evidence files with a status other than ok */
	int exit_code;
	size_t npasswords;       /* PFX password candidates given */
	const vm_filter *filter; /* the filter applied (NULL: none) */
	mc_result manifests;     /* export manifests against the files beside them (the
				    caller fills it with manifest_check; freed by audit_free) */
} audit_result;

typedef enum { AU_TABLE_VMS = 0, AU_TABLE_CERTS } au_table;

/* Sorts the VMs of e by id, in place: the order of every audit output. */
void audit_sort_vms(evidence *e);
/*
 * The audit is built in three steps: the certificate index (from the
 * evidence alone), then each VM's verdict in evidence order (the verdict
 * may be freed afterwards), then the summary.
 */
void audit_begin(const evidence *e, time_t at, int warn_days, audit_result *a);
/* Only the VMs kept by a filter are added; the certificate index is not filtered. */
void audit_add_vm(audit_result *a, const evidence *e, size_t vm, const verdict *v);
/*
 * The same in two steps, the first where verdicts are judged in parallel:
 * the VM's row (a only read), then the row added in evidence order (taken).
 */
void audit_vm_row(const audit_result *a, const evidence *e, size_t vm, const verdict *v,
		  au_vm *row);
void audit_add_row(audit_result *a, au_vm *row);
void audit_end(const evidence *e, int exit_code, audit_result *a);
void audit_free(audit_result *a);

/* A VM for JSON and JSONL: dx_vm_json (r and d as dx_evaluate made them for e) plus
 * private_key_copies and single_copy. */
json_object *audit_vm_json(const evidence *e, const dx_result *r, const dx_vm *d,
			   const au_vm *row);
json_object *audit_cert_json(const evidence *e, const au_cert *c);
json_object *audit_summary_json(const evidence *e, const audit_result *a);

/*
 * JSON, streamed: begin, every VM in order, end.  A VM's element is made
 * as text where it may run in parallel (takes vm; caller frees), then put
 * as element index in order.
 */
void audit_json_begin(FILE *o, time_t generated_at, time_t evaluated_at, int warn_days,
		      const vm_filter *f);
char *audit_json_vm_text(json_object *vm, size_t *len);
void audit_json_vm_put(FILE *o, const char *text, size_t len, size_t index);
void audit_json_end(FILE *o, const evidence *e, const audit_result *a);
/* JSONL: every VM record as it is evaluated (its line made as text, vm taken), then the rest. */
char *audit_jsonl_vm_text(json_object *vm, size_t *len);
void audit_jsonl_end(FILE *o, const evidence *e, const audit_result *a);
/*
 * Text, fitted to out_width(): the summary table of VMs worst first (VM,
 * VERDICT, DAYS LEFT, COPIES, WHAT IS MISSING), the one-line answer, then
 * the certificate and evidence sections.
 */
void audit_report_text(FILE *o, const evidence *e, const audit_result *a);
void audit_report_csv(FILE *o, const evidence *e, const audit_result *a, au_table t);

#endif
