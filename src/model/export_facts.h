/*
 * export_facts.h - what the evidence keeps of an export manifest
 * (formats/export_manifest.h, written by `hvtpm script export` beside the
 * PFX files): per exported certificate the file name, thumbprint, role,
 * validity, the SHA-256 of the PFX and whether the export saw its private
 * key.  The audit compares the files beside the manifest with it
 * (analysis/manifest_check.h).
 */
#ifndef HVTPM_EXPORT_FACTS_H
#define HVTPM_EXPORT_FACTS_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include "formats/cert.h"
#include "formats/export_manifest.h"

typedef struct {
	char *file;               /* the PFX's base name, as the manifest gives it */
	char thumbprint[41];      /* upper-case hex */
	cert_role role;           /* CERT_ROLE_ENCRYPTION or CERT_ROLE_SIGNING */
	char *host;               /* the host its subject names (the host that created it) */
	time_t not_before, not_after;
	char sha256[65];          /* of the PFX file as exported, lower-case hex */
	bool has_private_key;     /* the export saw the private key in the file */
} export_fact;

typedef struct {
	char *host;               /* the exporting host */
	time_t created;           /* when the export ran */
	export_fact *v;           /* in manifest order */
	size_t n;
} export_facts;

/* The compact copy of a manifest that was read (HV_OK). */
export_facts *export_facts_from(const export_manifest *m);
/* Frees the members (not x itself). */
void export_facts_free(export_facts *x);

#endif
