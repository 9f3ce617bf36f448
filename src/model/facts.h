/*
 * facts.h - what reading one file found: the typed result of the one
 * recognition pipeline (model/identify.h), shared by every command.
 *
 * inspect renders a file's facts in full; diagnose and audit fold them into
 * the evidence set (model/collect.h) and drop them.  Every file given or
 * found ends in exactly one class:
 *
 *   used          read, and what it holds is part of the evidence
 *   damaged       recognised (by its content, or by a name that claims a
 *                 format: .vmcx, .vmrs, .vmgs, .vhdx, .pfx ...) but it does
 *                 not read as that format
 *   unrecognised  no format hvtpm reads, and nothing found by scanning it
 *   unreadable    could not be opened or read (missing, permissions, I/O)
 *   skipped       left out by policy: a link not followed, a loop, an
 *                 archive member over the size cap or nested too deep, a
 *                 PFX whose key-derivation budget ran out
 */
#ifndef HVTPM_FACTS_H
#define HVTPM_FACTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "formats/certfile.h"
#include "formats/guardian.h"
#include "formats/hvstore.h"
#include "formats/kp.h"
#include "formats/kp_carve.h"
#include "formats/kp_input.h"
#include "formats/pfx.h"
#include "formats/vmgs.h"
#include "model/disk_facts.h"
#include "model/evidence.h"
#include "model/hostreg.h"
#include "model/vm.h"
#include "util/diag.h"

/* A certificate the file holds (PFX, certificate file, guardian metadata). */
typedef struct {
	hv_cert cert;
	bool has_private_key;
	char *detail;          /* "opened with password-file line 2", "certificate only" */
} fact_cert;

/* A key protector found in the file, with the form it was saved in. */
typedef struct {
	ev_kp kp;              /* location, form, origin, wrappings, decoded document */
	kp_input *input;       /* the saved-form layers (inspect only), or NULL */
	hv_err rc;             /* HV_OK, or why a protector found by name did not decode */
} fact_kp;

/* A HyperVStorage repository found inside another file (heuristic). */
typedef struct {
	uint64_t offset;
	hvstore store;         /* container facts; the tree is kept in store.root */
	vm_model vm;           /* its VM model when it has a configuration root */
	bool has_vm;
} fact_repo;

typedef struct {
	/* identity */
	char *path;            /* display path ("archive!member" inside archives) */
	size_t member_at;      /* an archive member: where its member path starts in path
				  (after "archive!"); 0 for a file on disk, whatever its name */
	uint64_t size;
	char sha256[65];       /* "" when not computed */
	bool sha256_metadata;  /* a large disk: the hash covers the metadata read, not every byte */
	/* recognition */
	const char *format_id;     /* stable identifier of the reader that took it, or NULL */
	const char *format_desc;   /* its description for people */
	ev_kind kind;
	ev_class cls;
	hv_err status;         /* HV_OK, or the error behind damaged/unreadable/skipped */
	char *what;            /* one line for people */
	char *error;           /* one line when status != HV_OK */
	char *claimed;         /* the format the file name claims, when it differs, or NULL */
	hv_findings findings;  /* warnings and errors of the readers, naming the file */
	char **weak;           /* weak export protection (a PFX's PBE/MAC), one line each */
	size_t nweak;
	char *hint_id;         /* VM id the file name or an embedded tree gives, or NULL */
	const char *root;      /* the path given on the command line it was found under */

	/* what it holds (each NULL/0 when absent) */
	hvstore *store;        /* HyperVStorage container facts */
	kv_node *tree;         /* configuration tree (kept when asked) */
	vm_model *vm;          /* VM configuration or runtime state */
	hostreg *host;         /* host VM registry */
	fact_kp *kps;
	size_t nkps;
	fact_cert *certs;
	size_t ncerts;
	pfx_file *pfx;
	certfile *certfile;
	guardian_doc *guardian;
	disk_facts *disk;
	vmgs_file *vmgs;       /* a guest state file in the VMGS layout */
	export_facts *manifest; /* an export manifest (what the evidence keeps of it) */
	fact_repo *repos;
	size_t nrepos;
	size_t carve_candidates;   /* Protector start tags seen by the carver */
	size_t carve_hits;
	/* what the pipeline's prepare hook made of the file on the thread that read
	 * it (its report text, say), or NULL; freed with the facts */
	char *prepared;
	size_t prepared_len;
} file_facts;

void facts_init(file_facts *x, const char *path, uint64_t size);
void facts_free(file_facts *x);
/* Sets kind, class and the one-line description. */
void facts_set(file_facts *x, ev_kind kind, ev_class cls, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
/* Records an error: status, class and the one-line reason. */
void facts_fail(file_facts *x, ev_class cls, hv_err err, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
/* Takes ownership of *c (zeroed on return). */
void facts_add_cert(file_facts *x, hv_cert *c, bool has_key, const char *detail);
/* Adds a key protector; takes ownership of kp's members (kp zeroed). */
fact_kp *facts_add_kp(file_facts *x, ev_kp *kp);

#endif
