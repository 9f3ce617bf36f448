/*
 * kp_search.h - key protectors wherever they are: a saved file in any form,
 * any byte-array or string value of a configuration tree, any value of a
 * guest state document, HyperVStorage repositories embedded in other files,
 * and documents carved out of arbitrary bytes.
 *
 * Where a protector is found by a documented or well-known name its role
 * is set: security/keys/key_protector and the TPM device's KeyProtector are
 * the current protector, lkg_key_protector / LastKnownGoodKeyProtector the
 * last-known-good one [inferred: docs/hyperv-storage.md s.9.4; the WMI class
 * Msvm_TPMSettingData names the two properties].  A protector found under
 * any other name, or carved, is labelled heuristic.
 */
#ifndef HVTPM_KP_SEARCH_H
#define HVTPM_KP_SEARCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "formats/kvtree.h"
#include "model/evidence.h"
#include "model/facts.h"
#include "util/bytes.h"
#include "util/source.h"

#define KPS_MAX_REPOS 64     /* embedded repositories read per file */
#define KPS_MAX_HITS 64      /* key protectors kept per file */
#define KPS_MIN_UNNAMED 64   /* values under other names shorter than this are not tried */

/* What a value's name says about the protector it may hold. */
typedef enum {
	KPS_NAME_OTHER = 0,
	KPS_NAME_CURRENT,
	KPS_NAME_LKG,
} kps_name_role;

/* key_protector, KeyProtector, lkg_key_protector, LastKnownGoodKeyProtector (any case). */
kps_name_role kps_role_of_name(const char *name);

/*
 * Tries bytes as a key protector in every saved form (kp_input.h) and
 * decodes it.  HV_OK: *kp is filled (possibly an empty protector);
 * HV_ERR_FORMAT: not a key protector; another error: a damaged one (the
 * findings say why).  base is the offset of bytes in src (HV_NO_OFFSET when
 * decoded).  keep: keep the parsed certificates and, when input is not
 * NULL, the saved-form layers (for inspect).
 */
hv_err kps_probe(span_t bytes, const char *src, uint64_t base, bool keep, ev_kp *kp,
		 kp_input **input, hv_findings *f);

/* One value to test: its bytes, what its name says, and where it is. */
typedef struct {
	span_t bytes;
	kps_name_role role;
	uint64_t offset;         /* in the file, or HV_NO_OFFSET */
	const char *location;    /* "tree /configuration/...", "guest state JSON Devices/..." */
	bool heuristic;          /* found by scanning, or in a place not documented */
	bool older;              /* from an older copy (guest state): origin KP_OLDER */
	size_t seen;             /* the file's first `seen` protectors were read before (from
				    its structure): a value whose payload has the SHA-256 of
				    one of them is that protector seen again, not added */
} kps_value;

/*
 * Tests one value.  Values under other names shorter than KPS_MIN_UNNAMED
 * are not tried; one that fails to decode is a warning when unnamed, and
 * a recorded failure (fact_kp.rc) when named.  True when a protector (or a
 * named failure) was added to out.
 */
bool kps_try_value(const kps_value *v, bool keep, file_facts *out);

/*
 * Tests every byte-array and string value of a configuration tree.  Found
 * protectors are added to out with the tree path; container names the
 * repository they came from ("repository at 0x2000") or is NULL for the
 * file's own tree.
 */
void kps_search_tree(const kv_node *root, uint64_t base, const char *container, bool keep,
		     file_facts *out);

/*
 * Searches the whole source for embedded HyperVStorage repositories (their
 * trees are searched as above) and carves key protector documents from
 * the bytes no repository covers.  One sequential pass that also hashes the
 * file; memory stays bounded whatever its size.  Results are heuristic.
 */
void kps_scan_source(hv_source *s, bool keep, file_facts *out);

#endif
