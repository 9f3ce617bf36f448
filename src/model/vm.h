/*
 * vm.h - a Hyper-V virtual machine as described by one configuration tree.
 *
 * Built from the key/value tree of any configuration reader (.vmcx, .vmrs,
 * legacy .xml), so nothing here knows the file format.  Every field is
 * optional: a "has_" flag or a NULL pointer says whether it was present.
 * Key paths and their confidence: docs/hyperv-storage.md s.9.
 */
#ifndef HVTPM_VM_H
#define HVTPM_VM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "formats/kvtree.h"
#include "model/winpath.h"
#include "util/diag.h"

/* Device GUIDs (manifest "device" values). */
#define VM_DEV_IDE            "83f8638b-8dca-4152-9eda-2ca8b33039b4"
#define VM_DEV_SCSI           "d422512d-2bf2-4752-809d-7b82b5fcb1b4"
#define VM_DEV_FLOPPY         "8f0d2762-0b00-4e04-af4f-19010527cb93"
#define VM_DEV_GUEST_STATE    "917bd8cb-3bb6-4124-9383-b7d21ac07f79"
#define VM_DEV_BIOS           "ac6b8dc1-3257-4a70-b1b2-a9c9215659ad"
#define VM_DEV_VTPM           "736e6aa9-a3f8-49c0-9550-a963214d259a"
#define VM_DEV_SYNTH_ETHERNET "2fc216b0-d2e2-4967-9b6d-b8a5c9ca2778"

/* The VM version from which encrypt_state_migration replaces
 * data_protection_requested [inferred, docs/hyperv-storage.md s.9.4]. */
#define VM_VERSION_ENCRYPT_STATE_MIGRATION 0x701

#define VM_MAX_DEVICES 4096  /* manifest entries kept */
#define VM_MAX_DRIVES 4096   /* drive slots kept */

typedef enum {
	VM_KIND_CONFIG = 0,     /* a VM configuration (.vmcx, .xml) */
	VM_KIND_RUNTIME_STATE,  /* root "configuration" without name, id or manifest (.vmrs) */
} vm_kind;

typedef enum {
	VM_CTRL_IDE = 0,
	VM_CTRL_SCSI,
	VM_CTRL_FLOPPY,
} vm_ctrl_kind;

typedef enum {
	VM_DRIVE_NONE = 0,
	VM_DRIVE_VHD,
	VM_DRIVE_ISO,
	VM_DRIVE_VFD,
	VM_DRIVE_OTHER,   /* type string present but unknown; see type_raw */
	VM_DRIVE_MISSING, /* no type entry */
} vm_drive_type;

typedef struct {
	char *vdev;       /* "vdev001" */
	char *device;     /* device GUID as written */
	char *instance;   /* instance GUID as written */
	char *name;       /* "Synthetic SCSI Controller" */
	bool has_flags;
	int64_t flags;
} vm_device;

typedef struct {
	vm_ctrl_kind ctrl;
	char *ctrl_instance;  /* canonical GUID of the controller's config node */
	bool in_manifest;     /* false: node found directly (5.0 IDE trap) */
	unsigned ctrl_index;  /* N of controllerN */
	unsigned drive_index; /* M of driveM */
	vm_drive_type type;
	char *type_raw;       /* NULL when absent */
	char *path;           /* pathname as written; NULL when absent */
	uint64_t offset;      /* of the pathname entry, or HV_NO_OFFSET */
	winpath_list resolved; /* filled by vm_resolve_paths */
} vm_drive;

typedef struct {
	char *instance;     /* canonical instance GUID */
	bool synthetic;     /* device is the Synthetic Ethernet Port */
	char *device_name;  /* manifest name */
	char *friendly_name;
	char *mac;
	char *switch_name;
	bool has_connected;
	bool connected;
	bool has_static_mac;
	bool static_mac;
} vm_nic;

/* A security/settings flag: Bool, Int or UInt accepted, the type seen recorded. */
typedef struct {
	bool present;
	bool valid;     /* stored as Bool/Int/UInt */
	bool value;
	kv_type type;
	int64_t raw;    /* the stored integer (0/1 for Bool) */
	uint64_t offset;
} vm_flag;

typedef struct {
	bool node_present;      /* /configuration/security */
	bool settings_present;  /* /configuration/security/settings */
	vm_flag tpm_enabled;
	vm_flag shielding_requested;
	vm_flag ksd_enabled;
	vm_flag vbs_opt_out;
	vm_flag encrypt_state_migration;
	vm_flag data_protection_requested;
	/* Which of the two migration keys the VM version selects; NULL without a version. */
	const char *migration_key_expected;
} vm_security;

typedef struct {
	char *name;        /* kv name under security/keys */
	char *kv_path;     /* "/configuration/security/keys/key_protector" */
	uint64_t offset;   /* file offset of the entry, or HV_NO_OFFSET */
	uint8_t *data;
	size_t len;
} vm_key_blob;

typedef struct {
	char *source_path;
	vm_kind kind;

	char *name;
	char *id;                 /* canonical upper-case GUID */
	const char *id_source;    /* "properties/global_id" or "settings/global/logical_id" */
	char *id_raw;             /* as written when it is not a GUID (id stays NULL) */

	bool has_version;
	int64_t version_raw;
	unsigned version_major, version_minor;

	bool has_subtype;
	int64_t subtype;          /* raw */
	int generation;           /* 1, 2, or 0 when the subtype is another value */

	bool has_creation_time;
	char creation_time[32];   /* ISO 8601 UTC */

	bool has_secure_boot;
	bool secure_boot;
	char *secure_boot_template; /* canonical GUID, or as written when not a GUID */

	bool bios_present;        /* Virtual BIOS config node */
	bool has_nvram;
	size_t nvram_entries;     /* children of the BIOS nvram node */

	bool vtpm_device_present; /* in the manifest; does NOT mean the TPM is enabled */
	vm_security security;

	bool has_memory;
	int64_t memory_mb;
	bool has_processors;
	int64_t processors;

	bool has_manifest;
	bool has_manifest_size;
	int64_t manifest_size;    /* manifest/size as written */
	vm_device *devices;       /* manifest vdevNNN entries in order */
	size_t ndevices;

	vm_nic *nics;
	size_t nnics;
	vm_drive *drives;
	size_t ndrives;

	bool has_guest_state_device;
	char *guest_state_path;   /* StateFilePath as written */
	winpath_list guest_state_resolved;

	vm_key_blob *keys;
	size_t nkeys;
} vm_model;

/*
 * Builds the model from a reader's virtual root (whose child is
 * "configuration").  source_path names the file in findings and is kept.
 * HV_ERR_FORMAT when there is no "configuration" root.  Oddities (bad
 * types, ids that disagree, ...) become findings; *out is always
 * initialised and must be freed with vm_free.
 */
hv_err vm_from_tree(const kv_node *root, const char *source_path, vm_model *out,
		    hv_findings *f);
void vm_free(vm_model *vm);
/*
 * Resolves every drive path and the guest state path against the folder of
 * vm->source_path (see winpath.h); evidence_root may be NULL.  member_at:
 * 0 for a configuration read from a file on disk; for one read from an
 * archive member, where the member part of source_path starts (after
 * "ARCHIVE!"): the paths are then resolved inside that archive.
 */
void vm_resolve_paths(vm_model *vm, const char *evidence_root, size_t member_at);

const char *vm_kind_name(vm_kind k);
const char *vm_ctrl_name(vm_ctrl_kind c);
const char *vm_drive_type_name(vm_drive_type t);
/* Disks are the drives of type VHD. */
bool vm_drive_is_disk(const vm_drive *d);

#endif
