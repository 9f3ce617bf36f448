/*
 * survive.h - would the data of a VM disk survive a rebuild with a fresh
 * vTPM?  Decided from the BitLocker protectors listed by formats/bitlocker
 * (nothing is decrypted).  Rule [inferred, docs/disk.md s.8]:
 *
 *   suspended      a clear-key protector exists: the volume opens without keys
 *   survivable     a recovery password, external key (startup key or .BEK),
 *                  password or certificate protector exists
 *   tpm_only       only TPM-family protectors (TPM, TPM+PIN, TPM+startup key,
 *                  TPM+PIN+startup key): the old vTPM is the only way in
 *   not_encrypted  no BitLocker, or BitLocker in state decrypted
 *   unknown        metadata unreadable/unsupported, no protectors, or only
 *                  protector types we do not know
 *
 * For a whole disk the volumes combine as: tpm_only > unknown > survivable >
 * suspended > not_encrypted (the worst volume decides).
 */
#ifndef HVTPM_SURVIVE_H
#define HVTPM_SURVIVE_H

#include <stddef.h>

#include "formats/bitlocker.h"
#include "formats/partition.h"
#include "formats/vdisk.h"
#include "model/disk_facts.h"
#include "util/diag.h"

typedef enum {
	SURV_NOT_ENCRYPTED = 0,
	SURV_SUSPENDED,
	SURV_SURVIVABLE,
	SURV_UNKNOWN,
	SURV_TPM_ONLY,
} surv_kind;

typedef struct {
	surv_kind kind;
	char *reason;      /* one line naming the protectors that decide, owned */
} surv_result;

/* "not_encrypted", "suspended", "survivable", "unknown", "tpm_only". */
const char *surv_kind_id(surv_kind k);

/* Decision for one volume: v as filled by bde_read, read_rc its result. */
void survive_volume(const bde_volume *v, hv_err read_rc, surv_result *out);
/* Decision for one partition that is not BitLocker (by its classification). */
void survive_partition(const part_entry *p, surv_result *out);
/* Combines n results (the worst decides); a copy of the deciding reason. */
void survive_combine(const surv_result *r, size_t n, surv_result *out);
void surv_result_free(surv_result *r);

/* The decision for every partition of a disk, and for the disk as a whole. */
typedef struct {
	surv_result *surv;    /* one per partition of the disk facts */
	size_t n;
	surv_result overall;
} disk_survival;

/* Decides from what was read of a disk (model/disk_facts.h). */
void survive_disk(const disk_facts *d, disk_survival *out);
void disk_survival_free(disk_survival *s);

#endif
