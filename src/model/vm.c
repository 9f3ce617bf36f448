/*
 * vm.c - the VM model built from a configuration key/value tree.
 *
 * Key paths (below /configuration; docs/hyperv-storage.md s.9):
 *   properties/name, properties/global_id (fallback settings/global/logical_id),
 *   properties/version ((major<<8)|minor), properties/subtype (0 Gen1, 1 Gen2),
 *   properties/creation_time (8-byte FILETIME array)         [confirmed on samples]
 *   manifest/size, manifest/vdevNNN/{device,instance,name,flags}  [confirmed]
 *   _<BIOS>_/secure_boot_enabled, secure_boot_template_id, nvram  [confirmed]
 *   _<controller instance>_/controllerN/driveM/{type,pathname}    [confirmed]
 *     IDE: instance = device GUID; in 5.0 XML files the IDE (and floppy)
 *     controller is missing from the manifest but its node holds the boot
 *     disk, so those nodes are also looked up directly       [confirmed on samples]
 *     SCSI: the node is named after the manifest instance    [confirmed on samples]
 *   _<guest state>_/StateFilePath (.vmgs)                    [confirmed on samples]
 *   settings/memory/bank/size (MB), settings/processors/count [confirmed on samples]
 *   _<nic instance>_/{FriendlyName,MacAddress,SwitchName,IsConnected,
 *     MacAddressIsStatic} for "Synthetic Ethernet Port" devices [confirmed on
 *     samples]; another device whose node has a MacAddress string is kept as a
 *     network adapter too [inferred: legacy adapters were not in the samples]
 *   security/settings/{tpm_enabled, shielding_requested, ksd_enabled,
 *     vbs_opt_out, encrypt_state_migration (version >= 0x701) or
 *     data_protection_requested (older)}: Bool expected, Int/UInt accepted,
 *     the type seen is recorded                              [inferred]
 *   security/keys/{key_protector, lkg_key_protector, ...}: byte arrays [inferred]
 *
 * A "configuration" tree without name, id and manifest is runtime state
 * (.vmrs), not a VM configuration [confirmed on samples: test.VMRS].
 */
#include "model/vm.h"

#include <stdlib.h>
#include <string.h>

#include "util/bytes.h"
#include "util/text.h"
#include "util/xalloc.h"

#define ROOT_NAME "configuration"
#define FILETIME_BYTES 8
#define MAX_INDEX 9999u /* controllerN / driveM indexes above this are ignored */

/* Controller devices whose config nodes hold drives. */
static const struct {
	const char *guid;
	vm_ctrl_kind kind;
	bool direct; /* also looked up by its device GUID when not in the manifest */
} controllers[] = {
	{ VM_DEV_IDE, VM_CTRL_IDE, true },
	{ VM_DEV_SCSI, VM_CTRL_SCSI, false },
	{ VM_DEV_FLOPPY, VM_CTRL_FLOPPY, true },
};
#define NCONTROLLERS (sizeof controllers / sizeof controllers[0])

/* Configuration children named _<GUID>_, sorted by GUID bytes then position. */
typedef struct {
	uint8_t g[16];
	size_t pos;
	const kv_node *n;
} guid_ent;

typedef struct {
	const char *file;
	hv_findings *f;
	bool drives_capped; /* the drive cap was reported */
	guid_ent *ix;       /* device nodes, for lookups that stay fast on hostile trees */
	size_t nix;
} ctx;

const char *vm_kind_name(vm_kind k)
{
	switch (k) {
	case VM_KIND_CONFIG: return "configuration";
	case VM_KIND_RUNTIME_STATE: return "runtime state";
	}
	return "?";
}

const char *vm_ctrl_name(vm_ctrl_kind c)
{
	switch (c) {
	case VM_CTRL_IDE: return "IDE";
	case VM_CTRL_SCSI: return "SCSI";
	case VM_CTRL_FLOPPY: return "floppy";
	}
	return "?";
}

const char *vm_drive_type_name(vm_drive_type t)
{
	switch (t) {
	case VM_DRIVE_NONE: return "NONE";
	case VM_DRIVE_VHD: return "VHD";
	case VM_DRIVE_ISO: return "ISO";
	case VM_DRIVE_VFD: return "VFD";
	case VM_DRIVE_OTHER: return "other";
	case VM_DRIVE_MISSING: return "missing";
	}
	return "?";
}

bool vm_drive_is_disk(const vm_drive *d)
{
	return d->type == VM_DRIVE_VHD;
}

static vm_drive_type drive_type_of(const char *s)
{
	if (!s)
		return VM_DRIVE_MISSING;
	if (strcmp(s, "VHD") == 0)
		return VM_DRIVE_VHD;
	if (strcmp(s, "ISO") == 0)
		return VM_DRIVE_ISO;
	if (strcmp(s, "VFD") == 0)
		return VM_DRIVE_VFD;
	if (strcmp(s, "NONE") == 0)
		return VM_DRIVE_NONE;
	return VM_DRIVE_OTHER;
}

static char *dup_or_null(const char *s)
{
	return s ? xstrdup(s) : NULL;
}

/* ---- device nodes by GUID ------------------------------------------ */

static int guid_ent_cmp(const void *a, const void *b)
{
	const guid_ent *x = a, *y = b;
	int c = memcmp(x->g, y->g, sizeof x->g);
	if (c)
		return c;
	return x->pos < y->pos ? -1 : x->pos > y->pos;
}

static void index_build(ctx *c, const kv_node *cfg)
{
	c->ix = xcalloc(cfg->nkids + 1, sizeof *c->ix);
	for (size_t i = 0; i < cfg->nkids; i++) {
		char g[39];
		guid_ent *e = &c->ix[c->nix];
		if (kv_name_guid(cfg->kids[i]->name, g) && guid_parse(g, e->g)) {
			e->pos = i;
			e->n = cfg->kids[i];
			c->nix++;
		}
	}
	qsort(c->ix, c->nix, sizeof *c->ix, guid_ent_cmp);
}

/* First configuration child named _<guid>_ (any case, braces optional), or NULL. */
static const kv_node *device_node(const ctx *c, const char *guid)
{
	uint8_t g[16];
	if (!guid || !guid_parse(guid, g))
		return NULL;
	size_t lo = 0, hi = c->nix;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (memcmp(c->ix[mid].g, g, sizeof g) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < c->nix && memcmp(c->ix[lo].g, g, sizeof g) == 0 ? c->ix[lo].n : NULL;
}

/* ---- typed reads that say when an entry has an unexpected type ------ */

static const char *get_str(ctx *c, const kv_node *n, const char *path)
{
	const kv_node *x = kv_path(n, path);
	if (!x)
		return NULL;
	if (x->type != KV_STRING) {
		char *p = kv_path_of(x);
		findings_add(c->f, HV_SEV_WARN, c->file, x->offset,
			     "%s is a %s, expected a string; ignored", p, kv_type_name(x->type));
		free(p);
		return NULL;
	}
	return x->str;
}

static bool get_int(ctx *c, const kv_node *n, const char *path, int64_t *v)
{
	const kv_node *x = kv_path(n, path);
	if (!x)
		return false;
	if (x->type == KV_UINT && x->v.u > INT64_MAX) {
		char *p = kv_path_of(x);
		findings_add(c->f, HV_SEV_WARN, c->file, x->offset,
			     "%s = %llu is out of range; ignored", p, (unsigned long long)x->v.u);
		free(p);
		return false;
	}
	if (x->type != KV_INT && x->type != KV_UINT) {
		char *p = kv_path_of(x);
		findings_add(c->f, HV_SEV_WARN, c->file, x->offset,
			     "%s is a %s, expected an integer; ignored", p, kv_type_name(x->type));
		free(p);
		return false;
	}
	return kv_get_int(n, path, v);
}

static bool get_bool(ctx *c, const kv_node *n, const char *path, bool *v)
{
	const kv_node *x = kv_path(n, path);
	if (!x)
		return false;
	if (x->type != KV_BOOL && x->type != KV_INT && x->type != KV_UINT) {
		char *p = kv_path_of(x);
		findings_add(c->f, HV_SEV_WARN, c->file, x->offset,
			     "%s is a %s, expected a bool; ignored", p, kv_type_name(x->type));
		free(p);
		return false;
	}
	return kv_get_bool(n, path, v);
}

/* ---- identity and properties --------------------------------------- */

static void read_identity(ctx *c, const kv_node *cfg, vm_model *vm)
{
	vm->name = dup_or_null(get_str(c, cfg, "properties/name"));
	const char *gid = get_str(c, cfg, "properties/global_id");
	const char *lid = get_str(c, cfg, "settings/global/logical_id");
	const char *id = gid ? gid : lid;
	if (!id)
		return;
	vm->id_source = gid ? "properties/global_id" : "settings/global/logical_id";
	vm->id = guid_canonical(id);
	if (!vm->id) {
		vm->id_raw = xstrdup(id);
		findings_add(c->f, HV_SEV_WARN, c->file, HV_NO_OFFSET,
			     "VM id \"%s\" (%s) is not a GUID", id, vm->id_source);
	}
	if (gid && lid && !guid_str_eq(gid, lid))
		findings_add(c->f, HV_SEV_WARN, c->file, HV_NO_OFFSET,
			     "properties/global_id %s and settings/global/logical_id %s differ",
			     gid, lid);
}

static void read_version(ctx *c, const kv_node *cfg, vm_model *vm)
{
	if (!get_int(c, cfg, "properties/version", &vm->version_raw))
		return;
	vm->has_version = true;
	vm->version_major = (unsigned)((uint64_t)vm->version_raw >> 8 & 0xFF);
	vm->version_minor = (unsigned)((uint64_t)vm->version_raw & 0xFF);
	if (vm->version_raw < 0 || vm->version_raw > 0xFFFF)
		findings_add(c->f, HV_SEV_WARN, c->file, HV_NO_OFFSET,
			     "configuration version %lld is outside 0..0xFFFF",
			     (long long)vm->version_raw);
}

static void read_generation(ctx *c, const kv_node *cfg, vm_model *vm)
{
	if (!get_int(c, cfg, "properties/subtype", &vm->subtype))
		return;
	vm->has_subtype = true;
	if (vm->subtype == 0 || vm->subtype == 1) {
		vm->generation = (int)vm->subtype + 1;
		return;
	}
	findings_add(c->f, HV_SEV_NOTE, c->file, HV_NO_OFFSET,
		     "properties/subtype %lld is neither Generation 1 (0) nor 2 (1)",
		     (long long)vm->subtype);
}

static void read_creation_time(ctx *c, const kv_node *cfg, vm_model *vm)
{
	const kv_node *x = kv_path(cfg, "properties/creation_time");
	if (!x)
		return;
	uint64_t ft = 0;
	bool ok = false;
	if (x->type == KV_BYTES && x->nbytes == FILETIME_BYTES) {
		ft = ld64le(x->bytes);
		ok = true;
	} else if ((x->type == KV_INT && x->v.i >= 0) || x->type == KV_UINT) {
		ft = x->type == KV_INT ? (uint64_t)x->v.i : x->v.u;
		ok = true;
	}
	if (ok && filetime_to_iso(ft, vm->creation_time)) {
		vm->has_creation_time = true;
		return;
	}
	findings_add(c->f, HV_SEV_WARN, c->file, x->offset,
		     "properties/creation_time (%s, %zu bytes) is not a usable FILETIME",
		     kv_type_name(x->type), x->nbytes);
}

static void read_bios(ctx *c, vm_model *vm)
{
	const kv_node *bios = device_node(c, VM_DEV_BIOS);
	if (!bios)
		return;
	vm->bios_present = true;
	vm->has_secure_boot = get_bool(c, bios, "secure_boot_enabled", &vm->secure_boot);
	const char *tpl = get_str(c, bios, "secure_boot_template_id");
	if (tpl) {
		vm->secure_boot_template = guid_canonical(tpl);
		if (!vm->secure_boot_template)
			vm->secure_boot_template = xstrdup(tpl);
	}
	const kv_node *nv = kv_child(bios, "nvram");
	if (nv && nv->type == KV_NODE) {
		vm->has_nvram = true;
		vm->nvram_entries = nv->nkids;
	}
}

static void read_resources(ctx *c, const kv_node *cfg, vm_model *vm)
{
	vm->has_memory = get_int(c, cfg, "settings/memory/bank/size", &vm->memory_mb);
	vm->has_processors = get_int(c, cfg, "settings/processors/count", &vm->processors);
}

/* ---- manifest ------------------------------------------------------ */

static bool is_vdev_name(const char *s)
{
	if (strncmp(s, "vdev", 4) != 0 || !s[4])
		return false;
	for (s += 4; *s; s++)
		if (*s < '0' || *s > '9')
			return false;
	return true;
}

static void read_manifest(ctx *c, const kv_node *cfg, vm_model *vm)
{
	const kv_node *m = kv_child(cfg, "manifest");
	if (!m || m->type != KV_NODE)
		return;
	vm->has_manifest = true;
	vm->has_manifest_size = get_int(c, m, "size", &vm->manifest_size);
	size_t cap = 0;
	for (size_t i = 0; i < m->nkids; i++) {
		const kv_node *v = m->kids[i];
		if (v->type != KV_NODE || !is_vdev_name(v->name))
			continue;
		if (vm->ndevices == VM_MAX_DEVICES) {
			findings_add(c->f, HV_SEV_WARN, c->file, v->offset,
				     "manifest has more than %u devices; the rest are ignored",
				     VM_MAX_DEVICES);
			break;
		}
		vm->devices = xgrow(vm->devices, &cap, vm->ndevices + 1, sizeof *vm->devices);
		vm_device *d = &vm->devices[vm->ndevices++];
		memset(d, 0, sizeof *d);
		d->vdev = xstrdup(v->name);
		d->device = dup_or_null(get_str(c, v, "device"));
		d->instance = dup_or_null(get_str(c, v, "instance"));
		d->name = dup_or_null(get_str(c, v, "name"));
		d->has_flags = get_int(c, v, "flags", &d->flags);
		if (d->device && guid_str_eq(d->device, VM_DEV_VTPM))
			vm->vtpm_device_present = true;
	}
	if (vm->has_manifest_size && vm->manifest_size != (int64_t)vm->ndevices)
		findings_add(c->f, HV_SEV_NOTE, c->file, HV_NO_OFFSET,
			     "manifest/size is %lld but %zu vdev entries were found",
			     (long long)vm->manifest_size, vm->ndevices);
}

/* ---- network adapters ---------------------------------------------- */

static void read_nics(ctx *c, vm_model *vm)
{
	size_t cap = 0, nseen = 0;
	const kv_node **seen = xcalloc(vm->ndevices + 1, sizeof *seen);
	for (size_t i = 0; i < vm->ndevices; i++) {
		const vm_device *d = &vm->devices[i];
		const kv_node *node = device_node(c, d->instance);
		bool dup = false;
		for (size_t s = 0; node && s < nseen && !dup; s++)
			dup = seen[s] == node;
		if (dup)
			continue; /* one adapter per configuration node */
		if (node)
			seen[nseen++] = node;
		bool synth = d->device && guid_str_eq(d->device, VM_DEV_SYNTH_ETHERNET);
		const kv_node *mac = node ? kv_child(node, "MacAddress") : NULL;
		if (!synth && !(mac && mac->type == KV_STRING))
			continue;
		vm->nics = xgrow(vm->nics, &cap, vm->nnics + 1, sizeof *vm->nics);
		vm_nic *n = &vm->nics[vm->nnics++];
		memset(n, 0, sizeof *n);
		n->instance = guid_canonical(d->instance);
		if (!n->instance)
			n->instance = dup_or_null(d->instance);
		n->synthetic = synth;
		n->device_name = dup_or_null(d->name);
		if (!node) {
			findings_add(c->f, HV_SEV_NOTE, c->file, HV_NO_OFFSET,
				     "network adapter %s (%s) has no configuration node",
				     d->vdev, d->instance ? d->instance : "no instance");
			continue;
		}
		n->friendly_name = dup_or_null(get_str(c, node, "FriendlyName"));
		n->mac = dup_or_null(get_str(c, node, "MacAddress"));
		n->switch_name = dup_or_null(get_str(c, node, "SwitchName"));
		n->has_connected = get_bool(c, node, "IsConnected", &n->connected);
		n->has_static_mac = get_bool(c, node, "MacAddressIsStatic", &n->static_mac);
	}
	free(seen);
}

/* ---- drives -------------------------------------------------------- */

/* "controller12" with prefix "controller" -> 12; false when not that shape. */
static bool indexed_name(const char *s, const char *prefix, unsigned *idx)
{
	size_t pl = strlen(prefix);
	if (strncmp(s, prefix, pl) != 0 || !s[pl] || strlen(s + pl) > 4)
		return false;
	unsigned v = 0;
	for (s += pl; *s; s++) {
		if (*s < '0' || *s > '9')
			return false;
		v = v * 10 + (unsigned)(*s - '0');
	}
	if (v > MAX_INDEX)
		return false;
	*idx = v;
	return true;
}

static void add_drive(ctx *c, vm_model *vm, size_t *cap, const kv_node *drive,
		      vm_ctrl_kind kind, const char *inst, bool listed, unsigned ci, unsigned di)
{
	if (vm->ndrives == VM_MAX_DRIVES) {
		if (!c->drives_capped)
			findings_add(c->f, HV_SEV_WARN, c->file, drive->offset,
				     "more than %u drive slots; the rest are ignored",
				     VM_MAX_DRIVES);
		c->drives_capped = true;
		return;
	}
	vm->drives = xgrow(vm->drives, cap, vm->ndrives + 1, sizeof *vm->drives);
	vm_drive *d = &vm->drives[vm->ndrives++];
	memset(d, 0, sizeof *d);
	d->ctrl = kind;
	d->ctrl_instance = xstrdup(inst);
	d->in_manifest = listed;
	d->ctrl_index = ci;
	d->drive_index = di;
	d->type_raw = dup_or_null(get_str(c, drive, "type"));
	d->type = drive_type_of(d->type_raw);
	d->path = dup_or_null(get_str(c, drive, "pathname"));
	const kv_node *pn = kv_child(drive, "pathname");
	d->offset = pn ? pn->offset : drive->offset;
	if (d->type == VM_DRIVE_OTHER)
		findings_add(c->f, HV_SEV_NOTE, c->file, d->offset,
			     "%s controller %u drive %u has unknown type \"%s\"",
			     vm_ctrl_name(kind), ci, di, d->type_raw);
}

static void read_controller(ctx *c, vm_model *vm, size_t *cap, const kv_node *node,
			    vm_ctrl_kind kind, bool listed)
{
	char g[39];
	if (!kv_name_guid(node->name, g))
		return;
	char *inst = guid_canonical(g);
	for (size_t i = 0; i < node->nkids; i++) {
		const kv_node *ctl = node->kids[i];
		unsigned ci, di;
		if (ctl->type != KV_NODE || !indexed_name(ctl->name, "controller", &ci))
			continue;
		for (size_t j = 0; j < ctl->nkids; j++) {
			const kv_node *drv = ctl->kids[j];
			if (drv->type == KV_NODE && indexed_name(drv->name, "drive", &di))
				add_drive(c, vm, cap, drv, kind, inst, listed, ci, di);
		}
	}
	free(inst);
}

static int controller_of(const char *device)
{
	for (size_t k = 0; device && k < NCONTROLLERS; k++)
		if (guid_str_eq(device, controllers[k].guid))
			return (int)k;
	return -1;
}

static void read_drives(ctx *c, vm_model *vm)
{
	const kv_node *seen[VM_MAX_DEVICES + NCONTROLLERS];
	size_t nseen = 0, cap = 0;
	for (size_t i = 0; i < vm->ndevices; i++) {
		const vm_device *d = &vm->devices[i];
		int k = controller_of(d->device);
		if (k < 0)
			continue;
		const kv_node *node = device_node(c, d->instance);
		if (!node) {
			findings_add(c->f, HV_SEV_NOTE, c->file, HV_NO_OFFSET,
				     "manifest %s lists %s instance %s but it has no "
				     "configuration node", d->vdev,
				     vm_ctrl_name(controllers[k].kind),
				     d->instance ? d->instance : "(none)");
			continue;
		}
		bool dup = false;
		for (size_t s = 0; s < nseen; s++)
			dup |= seen[s] == node;
		if (dup)
			continue;
		seen[nseen++] = node;
		read_controller(c, vm, &cap, node, controllers[k].kind, true);
	}
	for (size_t k = 0; k < NCONTROLLERS; k++) {
		if (!controllers[k].direct)
			continue;
		const kv_node *node = device_node(c, controllers[k].guid);
		bool dup = !node;
		for (size_t s = 0; s < nseen && node; s++)
			dup |= seen[s] == node;
		if (dup)
			continue;
		seen[nseen++] = node;
		if (vm->has_manifest)
			findings_add(c->f, HV_SEV_NOTE, c->file, node->offset,
				     "%s controller node %s is not listed in the manifest; its "
				     "drives are read anyway", vm_ctrl_name(controllers[k].kind),
				     node->name);
		read_controller(c, vm, &cap, node, controllers[k].kind, false);
	}
}

/* ---- guest state --------------------------------------------------- */

static void read_guest_state(ctx *c, vm_model *vm)
{
	const kv_node *gs = device_node(c, VM_DEV_GUEST_STATE);
	if (!gs)
		return;
	vm->has_guest_state_device = true;
	vm->guest_state_path = dup_or_null(get_str(c, gs, "StateFilePath"));
}

/* ---- security ------------------------------------------------------ */

static const struct {
	const char *name;
	size_t off;
} security_flags[] = {
	{ "tpm_enabled", offsetof(vm_security, tpm_enabled) },
	{ "shielding_requested", offsetof(vm_security, shielding_requested) },
	{ "ksd_enabled", offsetof(vm_security, ksd_enabled) },
	{ "vbs_opt_out", offsetof(vm_security, vbs_opt_out) },
	{ "encrypt_state_migration", offsetof(vm_security, encrypt_state_migration) },
	{ "data_protection_requested", offsetof(vm_security, data_protection_requested) },
};

static void read_flag(ctx *c, const kv_node *settings, const char *name, vm_flag *fl)
{
	const kv_node *x = kv_child(settings, name);
	if (!x)
		return;
	fl->present = true;
	fl->type = x->type;
	fl->offset = x->offset;
	switch (x->type) {
	case KV_BOOL:
		fl->valid = true;
		fl->value = x->v.b;
		fl->raw = x->v.b;
		return;
	case KV_INT:
		fl->valid = true;
		fl->value = x->v.i != 0;
		fl->raw = x->v.i;
		break;
	case KV_UINT:
		fl->valid = true;
		fl->value = x->v.u != 0;
		fl->raw = (int64_t)x->v.u;
		break;
	default:
		findings_add(c->f, HV_SEV_WARN, c->file, x->offset,
			     "security/settings/%s is a %s, not a Bool/Int/UInt; value unknown",
			     name, kv_type_name(x->type));
		return;
	}
	findings_add(c->f, HV_SEV_NOTE, c->file, x->offset,
		     "security/settings/%s is stored as %s, not Bool (read as %s)", name,
		     kv_type_name(x->type), fl->value ? "true" : "false");
}

static void read_security(ctx *c, const kv_node *cfg, vm_model *vm)
{
	vm_security *s = &vm->security;
	if (vm->has_version)
		s->migration_key_expected = vm->version_raw >= VM_VERSION_ENCRYPT_STATE_MIGRATION
						    ? "encrypt_state_migration"
						    : "data_protection_requested";
	const kv_node *sec = kv_child(cfg, "security");
	if (!sec)
		return;
	s->node_present = true;
	const kv_node *set = kv_child(sec, "settings");
	if (!set || set->type != KV_NODE)
		return;
	s->settings_present = true;
	for (size_t i = 0; i < sizeof security_flags / sizeof security_flags[0]; i++)
		read_flag(c, set, security_flags[i].name,
			  (vm_flag *)((char *)s + security_flags[i].off));
	bool newer = vm->version_raw >= VM_VERSION_ENCRYPT_STATE_MIGRATION;
	const vm_flag *want = newer ? &s->encrypt_state_migration : &s->data_protection_requested;
	const vm_flag *other = newer ? &s->data_protection_requested : &s->encrypt_state_migration;
	if (s->migration_key_expected && !want->present && other->present)
		findings_add(c->f, HV_SEV_NOTE, c->file, other->offset,
			     "VM version 0x%llX expects security/settings/%s, but only the "
			     "other migration key is present", (unsigned long long)vm->version_raw,
			     s->migration_key_expected);
}

static void read_keys(ctx *c, const kv_node *cfg, vm_model *vm)
{
	const kv_node *keys = kv_path(cfg, "security/keys");
	if (!keys)
		return;
	size_t cap = 0;
	for (size_t i = 0; i < keys->nkids; i++) {
		const kv_node *k = keys->kids[i];
		char *p = kv_path_of(k);
		if (k->type != KV_BYTES) {
			findings_add(c->f, HV_SEV_WARN, c->file, k->offset,
				     "%s is a %s, not a byte array; not taken as a key blob", p,
				     kv_type_name(k->type));
			free(p);
			continue;
		}
		if (k->nbytes == 0)
			findings_add(c->f, HV_SEV_WARN, c->file, k->offset,
				     "%s is empty (Hyper-V refuses an empty key protector)", p);
		vm->keys = xgrow(vm->keys, &cap, vm->nkeys + 1, sizeof *vm->keys);
		vm_key_blob *b = &vm->keys[vm->nkeys++];
		b->name = xstrdup(k->name);
		b->kv_path = p;
		b->offset = k->offset;
		b->len = k->nbytes;
		b->data = k->nbytes ? xmemdup(k->bytes, k->nbytes) : NULL;
	}
}

/* ---- entry points -------------------------------------------------- */

hv_err vm_from_tree(const kv_node *root, const char *source_path, vm_model *out,
		    hv_findings *f)
{
	memset(out, 0, sizeof *out);
	out->source_path = dup_or_null(source_path);
	ctx c = { source_path, f, false, NULL, 0 };
	const kv_node *cfg = root ? kv_child(root, ROOT_NAME) : NULL;
	if (!cfg || cfg->type != KV_NODE) {
		findings_add(f, HV_SEV_ERROR, source_path, HV_NO_OFFSET,
			     "no \"%s\" root node: not a VM configuration or runtime state",
			     ROOT_NAME);
		return HV_ERR_FORMAT;
	}
	index_build(&c, cfg);
	read_identity(&c, cfg, out);
	read_version(&c, cfg, out);
	read_generation(&c, cfg, out);
	read_creation_time(&c, cfg, out);
	read_bios(&c, out);
	read_resources(&c, cfg, out);
	read_manifest(&c, cfg, out);
	read_nics(&c, out);
	read_drives(&c, out);
	read_guest_state(&c, out);
	read_security(&c, cfg, out);
	read_keys(&c, cfg, out);
	free(c.ix);
	bool has_identity = out->name || out->id || out->id_raw;
	out->kind = has_identity || out->has_manifest ? VM_KIND_CONFIG : VM_KIND_RUNTIME_STATE;
	return HV_OK;
}

/* Folder of a local path ("." when it has none). */
static char *dir_of(const char *path)
{
	const char *slash = path ? strrchr(path, '/') : NULL;
	if (!slash)
		return xstrdup(".");
	if (slash == path)
		return xstrdup("/");
	return xstrndup(path, (size_t)(slash - path));
}

/* One Windows path of the configuration, on disk or inside its archive. */
static void resolve_one(const char *winpath, winpath_kind kind, const char *dir,
			const char *archive, const char *evidence_root, winpath_list *out)
{
	if (archive)
		winpath_resolve_member(winpath, kind, archive, dir, out);
	else
		winpath_resolve(winpath, kind, dir, evidence_root, out);
}

void vm_resolve_paths(vm_model *vm, const char *evidence_root, size_t member_at)
{
	const char *src = vm->source_path;
	bool member = src && member_at > 0 && member_at <= strlen(src) && src[member_at - 1] == '!';
	char *archive = member ? xstrndup(src, member_at - 1) : NULL;
	char *dir = dir_of(member ? src + member_at : src);
	for (size_t i = 0; i < vm->ndrives; i++) {
		vm_drive *d = &vm->drives[i];
		winpath_list_free(&d->resolved);
		if (d->path && *d->path)
			resolve_one(d->path, WINPATH_DISK, dir, archive, evidence_root, &d->resolved);
	}
	winpath_list_free(&vm->guest_state_resolved);
	if (vm->guest_state_path && *vm->guest_state_path)
		resolve_one(vm->guest_state_path, WINPATH_GUEST_STATE, dir, archive, evidence_root,
			    &vm->guest_state_resolved);
	free(dir);
	free(archive);
}

void vm_free(vm_model *vm)
{
	if (!vm)
		return;
	free(vm->source_path);
	free(vm->name);
	free(vm->id);
	free(vm->id_raw);
	free(vm->secure_boot_template);
	for (size_t i = 0; i < vm->ndevices; i++) {
		free(vm->devices[i].vdev);
		free(vm->devices[i].device);
		free(vm->devices[i].instance);
		free(vm->devices[i].name);
	}
	free(vm->devices);
	for (size_t i = 0; i < vm->nnics; i++) {
		free(vm->nics[i].instance);
		free(vm->nics[i].device_name);
		free(vm->nics[i].friendly_name);
		free(vm->nics[i].mac);
		free(vm->nics[i].switch_name);
	}
	free(vm->nics);
	for (size_t i = 0; i < vm->ndrives; i++) {
		free(vm->drives[i].ctrl_instance);
		free(vm->drives[i].type_raw);
		free(vm->drives[i].path);
		winpath_list_free(&vm->drives[i].resolved);
	}
	free(vm->drives);
	free(vm->guest_state_path);
	winpath_list_free(&vm->guest_state_resolved);
	for (size_t i = 0; i < vm->nkeys; i++) {
		free(vm->keys[i].name);
		free(vm->keys[i].kv_path);
		free(vm->keys[i].data);
	}
	free(vm->keys);
	memset(vm, 0, sizeof *vm);
}
