/*
 * collect_internal.h - the collector's state, shared by collect.c (folding
 * files in) and associate.c (tying evidence to VMs).  Not for other users.
 */
#ifndef HVTPM_COLLECT_INTERNAL_H
#define HVTPM_COLLECT_INTERNAL_H

#include "model/collect.h"
#include "model/pipeline.h"
#include "model/vm.h"
#include "model/winpath.h"
#include "util/hashidx.h"
#include "util/segvec.h"
#include "util/strmap.h"

/* A key protector found outside a VM configuration, tied to a VM at the end. */
typedef struct {
	ev_kp kp;
	char *hint_id;      /* VM id from the file name or an embedded tree */
	char *hint_name;    /* file base name without extension */
} loose_kp;

/*
 * A configuration read, kept until the end ties everything together: only
 * what association and the plan need (the parsed model is freed at once).
 * Resolved path candidates keep only those association can use (a file
 * there, inside the tree, or an archive member).
 */
typedef struct {
	size_t file;
	char *id;           /* canonical VM id */
	char *name;
	bool vtpm_device;
	tri tpm_enabled;    /* TRI_UNKNOWN when security/settings does not say */
	ev_settings settings;
	winpath_list *disk_resolved;  /* one per settings.disks entry */
	size_t ndisk_resolved;
	char *guest_state_path;       /* as written, or NULL */
	winpath_list gs_resolved;
	ev_kp *kps;         /* the protectors its own tree holds */
	size_t nkps;
} config_rec;

void config_rec_free(config_rec *r);
/* Frees the loose protectors (their records too, unless moved to a VM). */
void collector_free_loose(collector *c);

struct collector {
	evidence *e;
	collect_opts o;
	loose_kp *loose;
	size_t nloose, caploose;
	segvec configs;     /* config_rec, in evidence order; association frees them as it
			     * ties them to VMs, segment by segment */
	hashidx normal;     /* the files on disk: hash of the path lexically normalised
			     * -> file indexes (the paths are compared on a hit) */
	hashidx members;    /* the archive members, by the hash of winpath_key */
	size_t indexed;     /* files entered in the indexes */
	strmap vm_ids;      /* canonical VM id -> index into evidence.vms */
	size_t vms_mapped;  /* VMs entered in vm_ids */
	strmap vm_names;    /* VM name in ASCII lower case -> the lowest index of that name */
	size_t vms_named;   /* VMs entered in vm_names */
	size_t nowned;      /* files association knows guest state owners of */
	bool offline;       /* state loaded from facts: nothing is read */
	bool associating;   /* files read now are recorded only (no new VMs, no protectors) */
	struct pfx_cache *pfx;  /* PFX copies opened once */
};

/* Ties configurations, loose protectors and disks to VMs (associate.c). */
void collector_associate(collector *c);
/* The pipeline options the collector reads with. */
void collector_pipeline_opts(collector *c, pipeline_opts *p);

#endif
