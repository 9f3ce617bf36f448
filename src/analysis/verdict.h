/*
 * verdict.h - restore or rebuild: the decision for one VM.
 *
 * Inputs are the evidence model only (no bytes, no printing).  Each verdict
 * carries its reasons as short sentences a person can check against the
 * evidence, each marked confirmed (read from the evidence) or inferred
 * (reasoned from documented-but-unverified behaviour).
 */
#ifndef HVTPM_VERDICT_H
#define HVTPM_VERDICT_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include "model/evidence.h"
#include "util/hashidx.h"
#include "util/strmap.h"

typedef enum {
	V_NO_VTPM = 0,
	V_RESTORABLE,
	V_RESTORABLE_EXPIRED,
	V_DEGRADED,
	V_NEEDS_PASSWORD,
	V_HGS,
	V_UNKNOWN,
	V_REBUILD,
	V_REBUILD_DATA_LOSS,
} verdict_kind;

/* "no_vtpm", "restorable", "restorable_expired", ... (snake_case, as JSON writes them). */
const char *verdict_name(verdict_kind v);
/*
 * The verdict named by s[0..len): its name in any letter case, with '-'
 * accepted for '_' (the spelling of schema 1).  False when none is.
 */
bool verdict_from_name(const char *s, size_t len, verdict_kind *out);
/* Exit code contribution: 0, 1 or 2. */
int verdict_exit_code(verdict_kind v);

typedef struct {
	char *text;
	bool inferred;       /* false = confirmed from the evidence */
} vd_reason;

/* What the evidence holds for one certificate a VM needs. */
typedef enum { HOLD_NOWHERE = 0, HOLD_CERT_ONLY, HOLD_WITH_KEY } hold_state;

typedef struct {
	const hv_cert *cert;     /* as embedded in the KP */
	const char *role;        /* "encryption" or "signing" */
	uint32_t wrapping_id;
	bool owner;
	hold_state state;
	size_t *holdings;        /* indexes into evidence.holdings */
	size_t nholdings;
	long days_left;
	bool expired;
	bool expiring;           /* within warn_days */
} vd_cert;

typedef struct {
	uint32_t id;
	bool owner;
	bool local;              /* both certificates follow the local guardian pattern */
	hold_state enc, sig;
} vd_wrapping;

typedef struct {
	verdict_kind kind;
	vd_reason *reasons;
	size_t nreasons;
	vd_cert *certs;          /* every certificate of the chosen KP */
	size_t ncerts;
	vd_wrapping *wraps;
	size_t nwraps;
	size_t kp;               /* index of the KP the verdict is about (SIZE_MAX: none) */
	int best_wrapping;       /* index into wraps of the wrapping to restore with, or -1 */
	size_t *import_files;    /* evidence files to import (restorable) */
	size_t nimport;
	size_t *locked_files;    /* PFX files that could not be opened and may hold a key */
	size_t nlocked;
	size_t nlocked_other;    /* locked PFX files named after another host's guardian */
	bool no_password_given;  /* the locked files were tried without any candidate */
} verdict;

typedef struct {
	time_t at;               /* evaluation date */
	int warn_days;
} verdict_opts;

/*
 * What a verdict may know about how the evidence was read, beyond the
 * evidence itself (all optional: NULL or zero members mean "not known").
 */
typedef struct {
	bool passwords_known;    /* npasswords is set */
	size_t npasswords;       /* PFX password candidates given (0: none was given) */
	const strmap *needed;    /* SHA-256 of every certificate some VM of the whole
				    evidence needs (verdict_needed_build), or NULL */
	const struct verdict_lists *lists; /* made once for the evidence, or NULL */
} verdict_context;

/*
 * What every VM's verdict looks through, listed once per evidence set so
 * that a verdict costs the size of these lists, not of the whole evidence
 * (a verdict per VM over every file is quadratic in the estate).
 */
typedef struct verdict_lists {
	struct {
		size_t file;    /* a PFX file that was not opened, in evidence order */
		char *host;     /* the host its name names (export script pattern), or NULL */
	} *locked;
	size_t nlocked;
	/* The same files by host, so that a verdict looks only at its own hosts'
	 * (positions in locked, ascending): */
	size_t *hostless;    /* names no host: every VM's */
	size_t nhostless;
	strmap locked_hosts; /* host in ASCII lower case -> index into host_locked */
	struct {
		size_t *pos;
		size_t n;
	} *host_locked;
	size_t nhosts;
	size_t *others;  /* holdings of local guardian certificates that no VM of
			    needed needs, in evidence order */
	size_t nothers;
	char *others_text;   /* those certificates grouped by host, as a verdict names them */
	size_t others_total; /* distinct certificates in others_text */
	hashidx by_cert;     /* every holding, under the hash of its SHA-256 (verdict.c) */
} verdict_lists;

/* Builds l for e; needed as verdict_needed_build made it for the whole evidence. */
void verdict_lists_build(const evidence *e, const strmap *needed, verdict_lists *l);
void verdict_lists_free(verdict_lists *l);

/*
 * The certificates the key protectors of every VM of e name, by SHA-256
 * (values unused).  With it, a verdict that names the local guardian
 * certificates the evidence holds for no VM at all (a wrong export) does
 * not also name those that other VMs need.
 */
void verdict_needed_build(const evidence *e, strmap *m);

void verdict_for_vm(const evidence *e, size_t vmi, const verdict_opts *o, verdict *v);
/* The same with what is known of how the evidence was read (c may be NULL). */
void verdict_for_vm_in(const evidence *e, size_t vmi, const verdict_opts *o,
		       const verdict_context *c, verdict *v);
/*
 * The wrapping a one-line summary of the verdict shows: the one restored
 * with (best_wrapping), else the owner, else the first; -1 when none.
 */
int verdict_shown_wrapping(const verdict *v);
/* The certificate of role ("encryption", "signing") of wrapping index w, or NULL. */
const vd_cert *verdict_cert(const verdict *v, int w, const char *role);
/*
 * When the certificates of the shown wrapping expire: the earlier notAfter
 * of the two and its days left at the evaluation date.  False when the
 * verdict relies on no certificate.
 */
bool verdict_expiry(const verdict *v, time_t *not_after, long *days_left);
void verdict_free(verdict *v);

#endif
