/*
 * hostreg.h - the Hyper-V host registry of virtual machines (data.vmcx in
 * C:\ProgramData\Microsoft\Windows\Hyper-V), built from its key/value tree.
 *
 * Key paths (docs/hyperv-storage.md s.9.3) [confirmed on sample files]:
 *   /Configurations/FormatVersion               Int (2 seen)
 *   /Configurations/RegID                       String
 *   /Configurations/VirtualMachines/_<VMID>_    String: path of the VM's .vmcx
 *   /Configurations/VirtualMachinesCache/_<VMID>_  String: cache .vmcx path
 *   /Configurations/ResourceTypes/_<GUID>_      String: Resource Types\<GUID>.vmcx
 */
#ifndef HVTPM_HOSTREG_H
#define HVTPM_HOSTREG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "formats/kvtree.h"
#include "util/diag.h"

#define HOSTREG_MAX_ENTRIES 65536 /* entries kept per list */

typedef struct {
	char *id;        /* canonical upper-case GUID */
	char *path;      /* Windows path as written; NULL when not a string */
	uint64_t offset; /* of the entry, or HV_NO_OFFSET */
} hostreg_entry;

typedef struct {
	char *source_path;
	bool has_format_version;
	int64_t format_version;
	char *reg_id;           /* as written; NULL when absent */
	hostreg_entry *vms;     /* VirtualMachines, in insertion order */
	size_t nvms;
	hostreg_entry *cache;   /* VirtualMachinesCache, in insertion order */
	size_t ncache;
	bool has_resource_types;
	size_t resource_types;  /* number of ResourceTypes entries */
} hostreg;

/* True when the tree's root node is "Configurations". */
bool hostreg_is(const kv_node *root);

/*
 * Builds the registry from a reader's virtual root.  HV_ERR_FORMAT when the
 * root is not "Configurations".  *out is always initialised; free it with
 * hostreg_free.
 */
hv_err hostreg_from_tree(const kv_node *root, const char *source_path, hostreg *out,
			 hv_findings *f);
void hostreg_free(hostreg *h);

#endif
