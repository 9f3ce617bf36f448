/*
 * hostile.h - test-only generator of hostile evidence (issue #11).
 *
 * The evidence hvtpm reads may come from a compromised machine: a tenant
 * names its VM, an attacker names a file in a backup.  hostile_lay_out()
 * writes a tree of synthesized evidence in which every string an attacker
 * controls carries one of the hostile strings below: VM names (HyperVStorage
 * .vmcx and legacy XML), switch names, disk paths, Secure Boot template ids,
 * file and folder names, archive member names (zip and tar.gz), the stems of
 * loose key protector files (which become a VM's name and id), certificate
 * subjects (the host part of a Shielded VM guardian's subject), GPT
 * partition names and BitLocker volume descriptions.
 *
 * Every hostile string carries an ASCII marker ("PWN" and a letter) so that
 * a checker can find where it landed.  The same tree can be laid out as a
 * twin: the same files and verdicts with a benign name ("benign07") in place
 * of each hostile string, to compare the shape of what hvtpm writes.
 *
 * Nothing here is real: keys and certificates are generated on the spot,
 * configurations by tests/support/hvs_writer.c, guest state files by
 * tests/support/vmgs_writer.c, key protectors by tests/support/kp_writer.c,
 * disks by tests/support/vhdx_writer.c and fve_writer.c, PFX files through
 * the OpenSSL API and archives through libarchive.  See tests/hostile/README.
 */
#ifndef HVTPM_HOSTILE_H
#define HVTPM_HOSTILE_H

#include <stdbool.h>
#include <stddef.h>

typedef struct {
	const char *id;      /* short ASCII name of the attack */
	const char *marker;  /* ASCII marker inside text ("PWNA" ...) */
	const char *text;    /* the hostile bytes (may be invalid UTF-8) */
} hostile_str;

extern const hostile_str hostile_strings[];
extern const size_t hostile_count;

/* The password of the PFX files laid out for restorable VMs (in passwords.txt). */
#define HOSTILE_PASSWORD "hostile-evidence-pw-Q7x"

/*
 * What each VM made from string i is meant to be (i % HOSTILE_KINDS): the
 * plan writer has a different body for each.
 */
enum {
	HOSTILE_KIND_RESTORABLE = 0,   /* both PFX files open with HOSTILE_PASSWORD */
	HOSTILE_KIND_NEEDS_PASSWORD,   /* PFX files whose password is not given */
	HOSTILE_KIND_REBUILD,          /* no PFX; the OS disk has a recovery password */
	HOSTILE_KIND_DATA_LOSS,        /* no PFX; the OS disk has a TPM protector only */
	HOSTILE_KIND_UNKNOWN,          /* vTPM enabled, no guest state file */
	HOSTILE_KINDS
};

/* The string laid out for slot i: hostile_strings[i].text, or "benignNN" for the twin. */
const char *hostile_text(size_t i, bool twin);

/*
 * Writes dir/evidence/ (the tree) and dir/passwords.txt.  dir must exist.
 * Returns false with a message on stderr when something cannot be written.
 */
bool hostile_lay_out(const char *dir, bool twin);

#endif
