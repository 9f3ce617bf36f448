/*
 * evidence.h - everything hvtpm read, and the VMs it found in it.
 *
 * The evidence set is the model the analysis works on: every file read
 * (path, SHA-256, what it was, whether it could be read), every certificate
 * held by that evidence (with or without its private key), every container
 * that could not be opened (a PFX without the right password), and the VMs,
 * each with its configuration files and key protectors.
 */
#ifndef HVTPM_EVIDENCE_H
#define HVTPM_EVIDENCE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "formats/cert.h"
#include "model/disk_facts.h"
#include "model/export_facts.h"
#include "util/diag.h"

typedef enum {
	EV_UNKNOWN = 0,
	EV_VM_CONFIG,      /* .vmcx or legacy .xml VM configuration */
	EV_RUNTIME_STATE,  /* .vmrs */
	EV_HOST_REGISTRY,  /* host data.vmcx */
	EV_GUEST_STATE,    /* .vmgs or another container searched for a KP */
	EV_KEY_PROTECTOR,  /* a saved key protector (Get-VMKeyProtector output ...) */
	EV_PFX,
	EV_CERTIFICATE,    /* .cer/.crt/.pem/.p7b: certificates without keys */
	EV_GUARDIAN,       /* guardian metadata XML */
	EV_DISK,           /* VHDX/VHD/raw disk */
	EV_ARCHIVE,
	EV_MANIFEST,       /* export manifest of `hvtpm script export` */
} ev_kind;

#define EV_KIND_COUNT (EV_MANIFEST + 1)

const char *ev_kind_name(ev_kind k);

/* The one class every file given or found ends in (see model/facts.h). */
typedef enum {
	EVC_USED = 0,       /* read, and what it holds is part of the evidence */
	EVC_DAMAGED,        /* recognised (by content or by its name) but damaged */
	EVC_UNRECOGNISED,   /* not a format hvtpm reads, nothing found by scanning */
	EVC_UNREADABLE,     /* could not be opened or read */
	EVC_SKIPPED,        /* left out by policy (links, caps, nesting, budgets) */
} ev_class;

#define EVC_COUNT 5

/* "used", "damaged", "unrecognised", "unreadable", "skipped". */
const char *ev_class_name(ev_class c);

/* What few files have, kept beside their record so that the record stays small. */
typedef struct ev_file_extra {
	char *error;         /* one line when status != HV_OK */
	char *claimed;       /* the format its name claims when the content differs, or NULL */
	const char **weak;   /* weak export protection, one line each (pooled strings) */
	size_t nweak;
	disk_facts *disk;    /* a disk image: what was read of it, or NULL */
	export_facts *manifest; /* an export manifest: what it lists, or NULL */
} ev_file_extra;

typedef struct {
	/* pointers and sizes first, then the small fields: 128 bytes, one per piece of evidence */
	char *path;          /* as given or found; archive members as "archive!member" */
	size_t member_at;    /* an archive member: where its member path starts (after
				"archive!"); 0 for a file on disk (file_facts.member_at) */
	uint64_t size;
	const char *format_id; /* the reader that took it (model/identify.h), or NULL */
	const char *what;    /* one-line description for people (pooled: evidence_intern_str) */
	struct ev_file_extra *extra; /* what few files have (ev_file_error() ...), or NULL */
	ev_kind kind;
	ev_class cls;
	hv_err status;       /* HV_OK, or why it could not be used */
	char sha256[65];
	bool sha256_metadata; /* a large disk image: the hash covers the metadata read */
	bool input_error;    /* counts towards exit code 4 (damaged, unreadable, refused) */
} ev_file;

/* The rarely set facts of a file (NULL or 0 when it has none). */
static inline const char *ev_file_error_or(const ev_file *f, const char *otherwise)
{
	return f->extra && f->extra->error ? f->extra->error : otherwise;
}
static inline const char *ev_file_error(const ev_file *f)
{
	return ev_file_error_or(f, NULL);
}
static inline const char *ev_file_claimed(const ev_file *f)
{
	return f->extra ? f->extra->claimed : NULL;
}
static inline const char *const *ev_file_weak(const ev_file *f, size_t *n)
{
	*n = f->extra ? f->extra->nweak : 0;
	return f->extra ? f->extra->weak : NULL;
}
static inline const disk_facts *ev_file_disk(const ev_file *f)
{
	return f->extra ? f->extra->disk : NULL;
}
static inline const export_facts *ev_file_manifest(const ev_file *f)
{
	return f->extra ? f->extra->manifest : NULL;
}

/* A certificate some evidence file holds. */
typedef struct {
	hv_cert cert;        /* a view of the pooled copy (evidence_intern_cert): not owned */
	size_t file;         /* index into files */
	bool has_private_key;
	char *detail;        /* e.g. "opened with password-file line 2" */
} ev_holding;

typedef enum { TRI_UNKNOWN = -1, TRI_NO = 0, TRI_YES = 1 } tri;

typedef struct {
	uint32_t id;
	uint32_t parent_id;
	bool has_parent;
	bool is_owner;
	const hv_cert *enc;  /* borrowed from the KP document; NULL when undecodable */
	const hv_cert *sig;
} ev_wrapping;

typedef enum {
	KP_CURRENT = 0,  /* under a name for the current protector (security/keys/key_protector ...) */
	KP_LKG,          /* under a name for the last-known-good protector */
	KP_DUMP,         /* a saved key protector file (Get-VMKeyProtector output ...) */
	KP_CARVED,       /* carved out of other bytes (heuristic) */
	KP_FOUND,        /* a tree or document value under another name (heuristic) */
	KP_OLDER,        /* in the older copy of a guest state file */
} kp_origin;

/* "current", "last_known_good", "saved", "carved", "found", "older_copy". */
const char *kp_origin_name(kp_origin o);

typedef struct {
	/* pointers and sizes first, then the small fields (176 bytes) */
	size_t file;         /* where it was found */
	char *location;      /* tree path, byte offset, or "whole file" (pooled once settled) */
	char *form;          /* saved form / encoding (pooled once settled) */
	uint64_t max_offline_unwraps;
	ev_wrapping *w;
	size_t nw;
	/* What the decoded document said, kept once the document is freed: */
	size_t sig_failures;     /* signatures that checked and failed */
	const char **algorithms; /* every @Algorithm URI in document order (pooled strings) */
	size_t nalgorithms;
	void *doc;           /* the decoded document (kp_doc*), owned; NULL once settled */
	void (*doc_free)(void *);
	kp_origin origin;
	uint32_t owner_id;
	uint32_t sig_failed_wrapping; /* unless sig_failed_guardian: the first wrapping
				       * whose certificate signature failed */
	bool empty;          /* 00 00 00 04: no key protector */
	bool heuristic;      /* found by scanning, not by a documented structure */
	bool has_owner;
	bool has_max_offline_unwraps;
	bool sig_failed_guardian;  /* the guardian signature over the wrappings is one of them */
	bool strs_pooled;    /* location and form are the evidence set's (evidence_intern_str) */
	char sha256[65];     /* of the KP payload bytes */
} ev_kp;

/* Frees what a key protector owns (its document too, when not settled). */
void ev_kp_release(ev_kp *kp);

/* What a rebuild needs of a VM's configuration (the plan is made from it). */
typedef struct {
	int generation;      /* 1, 2, or 0 unknown */
	int64_t memory_mb;   /* 0 unknown */
	int64_t processors;  /* 0 unknown */
	int secure_boot;     /* -1 unknown, 0 off, 1 on */
	char *secure_boot_template;
	char **disks;        /* virtual disk paths as the configuration names them */
	size_t ndisks;
	char **switches;     /* virtual switch of each network adapter ("" unknown) */
	size_t nswitches;
} ev_settings;

void ev_settings_free(ev_settings *s);

typedef struct {
	char *id;            /* canonical VM GUID, or a name for KP-only entries */
	char *name;
	size_t *configs;     /* indexes of configuration files */
	size_t nconfigs;
	bool has_settings;   /* settings below come from the first configuration */
	ev_settings settings;
	size_t vm_file;      /* the file the settings come from */
	tri tpm_enabled;     /* from security/settings when present */
	bool tpm_setting_seen;
	bool vtpm_device;    /* the vTPM device is in the manifest */
	ev_kp *kps;
	size_t nkps;
	size_t *disks;       /* indexes of disk files resolved for this VM */
	size_t ndisks;
	char **missing;      /* things the config names that were not found */
	size_t nmissing;
} ev_vm;

typedef struct {
	ev_file *files;
	size_t nfiles, capfiles;
	ev_holding *holdings;
	size_t nholdings, capholdings;
	ev_vm *vms;
	size_t nvms, capvms;
	hv_findings findings; /* warnings and errors, with file and offset */
	size_t nclass[EVC_COUNT]; /* files per class */
	/* Every distinct certificate once (by the SHA-256 of its DER): holdings and key
	 * protector wrappings point here, so a host's pair costs the same for 1 VM or 10,000. */
	hv_cert **certs;
	size_t ncerts, capcerts;
	void *cert_index;     /* strmap*, private to evidence.c */
	/* Strings many records share (descriptions, algorithm URIs), once each. */
	char **strs;
	size_t nstrs, capstrs;
	void *str_index;      /* strmap*, private to evidence.c */
} evidence;

void evidence_init(evidence *e);
void evidence_free(evidence *e);
size_t evidence_add_file(evidence *e, const char *path, const char *sha256, uint64_t size);
/*
 * Gives file f its rarely set facts (taken: freed with the evidence); an
 * extra record is made only when one of them is set.
 */
void evidence_file_extra(evidence *e, size_t f, const ev_file_extra *x);
/* Sets the file's class (keeping the per-class counts right). */
void evidence_set_class(evidence *e, size_t file, ev_class cls);
/*
 * Where reading each file failed: per file (nfiles entries, caller frees),
 * the byte offset of the first error finding about it that has one, else
 * HV_NO_OFFSET.  Derived from the findings alone, so that an audit and a
 * merge of its facts give the same answer.
 */
uint64_t *evidence_error_offsets(const evidence *e);
/* Takes ownership of *c (zeroed on return); the holding points at the pooled copy. */
void evidence_add_holding(evidence *e, size_t file, hv_cert *c, bool has_key, const char *detail);
/*
 * The evidence set's one copy of c (made now when it is new: facts and DER,
 * the parsed X509 dropped).  The pointer stays valid until evidence_free.
 */
const hv_cert *evidence_intern_cert(evidence *e, const hv_cert *c);
/* The pool index of c (the same DER), or SIZE_MAX when it is not pooled. */
size_t evidence_cert_index(const evidence *e, const hv_cert *c);
/*
 * Settles a key protector into the evidence set: its wrappings point at
 * pooled certificates, what the reports and the verdict read of its
 * document (signature failures, algorithm URIs) is copied into it, and the
 * document is freed.
 */
void evidence_settle_kp(evidence *e, ev_kp *kp);
/* The evidence set's one copy of s (NULL stays NULL); valid until evidence_free. */
const char *evidence_intern_str(evidence *e, const char *s);
/* Finds or creates the VM entry with this id (case-insensitive GUID match). */
ev_vm *evidence_vm(evidence *e, const char *id);
ev_kp *evidence_vm_add_kp(ev_vm *vm);

#endif
