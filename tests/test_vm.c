/*
 * test_vm.c - the VM model, the host registry and their reports: corpus
 * facts (legacy XML, .vmcx, .VMRS, data.vmcx) and hand-built trees.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <json-c/json.h>

#include "formats/hvstore.h"
#include "formats/kvtree.h"
#include "formats/vmxml.h"
#include "model/hostreg.h"
#include "model/vm.h"
#include "report/vm_report.h"
#include "support/testutil.h"
#include "util/fileio.h"
#include "util/text.h"

#define GEN1_XML "B90AC31B-C6F8-479F-9B91-07B894A6A3F6.xml"
#define GEN2_XML "D351C151-DAC7-4042-B434-B72D522C1E4A.xml"
#define GEN1_VMCX "EC04F346-DB96-4700-AF5B-77B3C56C38BD.vmcx"
#define GEN2_VMCX "993F7B33-6057-4D1E-A1FE-A1A1D77BE974.vmcx"
#define BIOS "_ac6b8dc1-3257-4a70-b1b2-a9c9215659ad_"

/* ---- loading corpus files through the matching reader --------------- */

typedef struct {
	hvstore h;
	kv_node *xml;
	const kv_node *root;
	char *path;
} loaded;

static void load(const char *name, loaded *l, hv_findings *f)
{
	memset(l, 0, sizeof *l);
	l->path = tu_corpus("hyperv", name);
	size_t len;
	uint8_t *d = tu_read(l->path, &len);
	ck_assert_ptr_nonnull(d);
	span_t s = span_make(d, len);
	if (vmxml_sniff(s)) {
		ck_assert_int_eq(vmxml_read(s, l->path, &l->xml, f), HV_OK);
		l->root = l->xml;
	} else {
		ck_assert(hvstore_sniff(s));
		ck_assert_int_eq(hvstore_read(s, l->path, 0, &l->h, f), HV_OK);
		l->root = l->h.root;
	}
	free(d);
}

static void unload(loaded *l)
{
	if (l->xml)
		kv_free(l->xml);
	else if (l->root)
		hvstore_free(&l->h);
	free(l->path);
}

static bool any_finding(const hv_findings *f, const char *needle)
{
	for (size_t i = 0; i < f->n; i++)
		if (strstr(f->v[i].msg, needle))
			return true;
	return false;
}

static const vm_drive *find_drive(const vm_model *vm, vm_ctrl_kind c, unsigned ci, unsigned di)
{
	for (size_t i = 0; i < vm->ndrives; i++)
		if (vm->drives[i].ctrl == c && vm->drives[i].ctrl_index == ci &&
		    vm->drives[i].drive_index == di)
			return &vm->drives[i];
	return NULL;
}

static size_t count_disks(const vm_model *vm)
{
	size_t n = 0;
	for (size_t i = 0; i < vm->ndrives; i++)
		n += vm_drive_is_disk(&vm->drives[i]);
	return n;
}

static void assert_slot(const vm_model *vm, vm_ctrl_kind c, unsigned ci, unsigned di,
			const char *type, const char *path)
{
	const vm_drive *d = find_drive(vm, c, ci, di);
	ck_assert_msg(d != NULL, "%s %u:%u missing", vm_ctrl_name(c), ci, di);
	ck_assert_str_eq(d->type_raw, type);
	ck_assert_str_eq(d->path, path);
}

/* The Gen-1 slot layout shared by the XML and the .vmcx Gen-1 samples (README 2.1/2.2). */
static void assert_gen1_slots(const vm_model *vm, const char *disk)
{
	ck_assert_uint_eq(vm->ndrives, 5);
	ck_assert_uint_eq(count_disks(vm), 1);
	assert_slot(vm, VM_CTRL_IDE, 0, 0, "VHD", disk);
	assert_slot(vm, VM_CTRL_IDE, 0, 1, "NONE", "");
	assert_slot(vm, VM_CTRL_IDE, 1, 0, "ISO", "");
	assert_slot(vm, VM_CTRL_IDE, 1, 1, "NONE", "");
	assert_slot(vm, VM_CTRL_FLOPPY, 0, 0, "VFD", "");
	ck_assert_str_eq(find_drive(vm, VM_CTRL_IDE, 0, 0)->ctrl_instance,
			 "83F8638B-8DCA-4152-9EDA-2CA8B33039B4");
}

/* ---- corpus: legacy XML --------------------------------------------- */

START_TEST(xml_gen1_model)
{
	hv_findings f = { 0 };
	loaded l;
	load(GEN1_XML, &l, &f);
	vm_model vm;
	ck_assert_int_eq(vm_from_tree(l.root, l.path, &vm, &f), HV_OK);
	ck_assert_int_eq(vm.kind, VM_KIND_CONFIG);
	ck_assert_str_eq(vm.name, "Default Generation 1");
	ck_assert_str_eq(vm.id, "B90AC31B-C6F8-479F-9B91-07B894A6A3F6");
	ck_assert(vm.has_version);
	ck_assert_int_eq(vm.version_raw, 1280);
	ck_assert_uint_eq(vm.version_major, 5);
	ck_assert_uint_eq(vm.version_minor, 0);
	ck_assert_int_eq(vm.generation, 1);
	ck_assert(vm.has_secure_boot && !vm.secure_boot);
	ck_assert_ptr_null(vm.secure_boot_template);
	ck_assert(!vm.has_creation_time);
	ck_assert(vm.has_manifest_size);
	ck_assert_int_eq(vm.manifest_size, 13);
	ck_assert_uint_eq(vm.ndevices, 13);
	ck_assert(!vm.has_nvram || vm.nvram_entries == 0);
	ck_assert(vm.has_memory);
	ck_assert_int_eq(vm.memory_mb, 512);
	ck_assert(vm.has_processors);
	ck_assert_int_eq(vm.processors, 1);
	ck_assert(!vm.has_guest_state_device);
	ck_assert_ptr_null(vm.guest_state_path);
	ck_assert(!vm.security.node_present);
	ck_assert(!vm.vtpm_device_present);
	ck_assert_uint_eq(vm.nkeys, 0);
	/* Reader trap: the IDE controller is not in the 5.0 manifest but holds the disk. */
	assert_gen1_slots(&vm, "C:\\Disks\\Default Generation 1.vhdx");
	ck_assert(!find_drive(&vm, VM_CTRL_IDE, 0, 0)->in_manifest);
	ck_assert(any_finding(&f, "not listed in the manifest"));
	/* The synthetic network adapter as stored. */
	ck_assert_uint_eq(vm.nnics, 1);
	ck_assert(vm.nics[0].synthetic);
	ck_assert_str_eq(vm.nics[0].friendly_name, "Network Adapter");
	ck_assert_str_eq(vm.nics[0].mac, "00-00-00-00-00-00");
	ck_assert_str_eq(vm.nics[0].switch_name, "");
	ck_assert(vm.nics[0].has_connected && !vm.nics[0].connected);
	vm_free(&vm);
	unload(&l);
	findings_free(&f);
}
END_TEST

START_TEST(xml_gen2_model)
{
	hv_findings f = { 0 };
	loaded l;
	load(GEN2_XML, &l, &f);
	vm_model vm;
	ck_assert_int_eq(vm_from_tree(l.root, l.path, &vm, &f), HV_OK);
	ck_assert_str_eq(vm.name, "Default Generation 2");
	ck_assert_str_eq(vm.id, "D351C151-DAC7-4042-B434-B72D522C1E4A");
	ck_assert_int_eq(vm.version_raw, 1280);
	ck_assert_int_eq(vm.generation, 2);
	ck_assert(vm.has_secure_boot && vm.secure_boot);
	ck_assert_ptr_null(vm.secure_boot_template);
	ck_assert(vm.has_nvram);
	ck_assert_uint_eq(vm.nvram_entries, 6);
	ck_assert_int_eq(vm.manifest_size, 13);
	ck_assert_uint_eq(vm.ndevices, 13);
	ck_assert_int_eq(vm.memory_mb, 512);
	ck_assert_int_eq(vm.processors, 1);
	ck_assert_ptr_null(vm.guest_state_path);
	ck_assert(!vm.security.node_present);
	ck_assert_uint_eq(vm.ndrives, 1);
	assert_slot(&vm, VM_CTRL_SCSI, 0, 0, "VHD", "C:\\Disks\\Default Generation 2.vhdx");
	const vm_drive *d = find_drive(&vm, VM_CTRL_SCSI, 0, 0);
	ck_assert_str_eq(d->ctrl_instance, "3AFC77D9-23AB-4C97-BE1C-F47A18CE3B4A");
	ck_assert(d->in_manifest);
	vm_free(&vm);
	unload(&l);
	findings_free(&f);
}
END_TEST

/* ---- corpus: HyperVStorage ------------------------------------------ */

START_TEST(vmcx_gen1_model)
{
	hv_findings f = { 0 };
	loaded l;
	load(GEN1_VMCX, &l, &f);
	vm_model vm;
	ck_assert_int_eq(vm_from_tree(l.root, l.path, &vm, &f), HV_OK);
	ck_assert_int_eq(vm.kind, VM_KIND_CONFIG);
	ck_assert_str_eq(vm.name, "Default Generation 1");
	ck_assert_str_eq(vm.id, "EC04F346-DB96-4700-AF5B-77B3C56C38BD");
	ck_assert_int_eq(vm.version_raw, 2304);
	ck_assert_uint_eq(vm.version_major, 9);
	ck_assert_uint_eq(vm.version_minor, 0);
	ck_assert_int_eq(vm.generation, 1);
	ck_assert(vm.has_secure_boot && !vm.secure_boot);
	ck_assert_str_eq(vm.secure_boot_template, "00000000-0000-0000-0000-000000000000");
	ck_assert(vm.has_creation_time);
	ck_assert_str_eq(vm.creation_time, "2023-02-17T17:03:06.232140Z");
	ck_assert_int_eq(vm.manifest_size, 37);
	ck_assert_uint_eq(vm.ndevices, 37);
	ck_assert(!vm.vtpm_device_present);
	ck_assert_int_eq(vm.memory_mb, 1024);
	ck_assert_int_eq(vm.processors, 1);
	assert_gen1_slots(&vm, "C:\\Disks\\Default Generation 1.vhdx");
	ck_assert(find_drive(&vm, VM_CTRL_IDE, 0, 0)->in_manifest);
	ck_assert(find_drive(&vm, VM_CTRL_IDE, 0, 0)->offset != HV_NO_OFFSET);
	ck_assert_str_eq(vm.guest_state_path, "C:\\Hyper-V\\EasyToFind\\Virtual Machines\\"
					      "EC04F346-DB96-4700-AF5B-77B3C56C38BD.vmgs");
	ck_assert(!vm.security.node_present);
	vm_free(&vm);
	unload(&l);
	findings_free(&f);
}
END_TEST

START_TEST(vmcx_gen2_model)
{
	hv_findings f = { 0 };
	loaded l;
	load(GEN2_VMCX, &l, &f);
	vm_model vm;
	ck_assert_int_eq(vm_from_tree(l.root, l.path, &vm, &f), HV_OK);
	ck_assert_str_eq(vm.name, "Default Generation 2");
	ck_assert_str_eq(vm.id, "993F7B33-6057-4D1E-A1FE-A1A1D77BE974");
	ck_assert_int_eq(vm.version_raw, 2304);
	ck_assert_int_eq(vm.generation, 2);
	ck_assert(vm.has_secure_boot && vm.secure_boot);
	ck_assert_str_eq(vm.secure_boot_template, "1734C6E8-3154-4DDA-BA5F-A874CC483422");
	ck_assert_str_eq(vm.creation_time, "2023-02-17T17:03:30.381010Z");
	ck_assert_int_eq(vm.manifest_size, 27);
	ck_assert_uint_eq(vm.ndevices, 27);
	/* memory/bank sits in an earlier key table than memory (README reader trap). */
	ck_assert_int_eq(vm.memory_mb, 1024);
	ck_assert_int_eq(vm.processors, 1);
	/* SCSI trap: the node is named after the manifest instance, not the device. */
	ck_assert_uint_eq(vm.ndrives, 1);
	assert_slot(&vm, VM_CTRL_SCSI, 0, 0, "VHD", "C:\\Disks\\Default Generation 2.vhdx");
	ck_assert_str_eq(vm.drives[0].ctrl_instance, "DBCF5442-5B2E-4471-9B01-8AA4C5D0D011");
	ck_assert_str_eq(vm.guest_state_path, "C:\\Hyper-V\\EasyToFind\\Virtual Machines\\"
					      "993F7B33-6057-4D1E-A1FE-A1A1D77BE974.vmgs");
	/* The vTPM device is in the manifest, but without a security node: not enabled. */
	ck_assert(vm.vtpm_device_present);
	ck_assert(!vm.security.node_present);
	ck_assert(!vm.security.tpm_enabled.present);
	ck_assert_uint_eq(vm.nkeys, 0);
	vm_free(&vm);
	unload(&l);
	findings_free(&f);
}
END_TEST

START_TEST(vmcx_other_location_model)
{
	hv_findings f = { 0 };
	loaded l;
	load("test.vmcx", &l, &f);
	vm_model vm;
	ck_assert_int_eq(vm_from_tree(l.root, l.path, &vm, &f), HV_OK);
	ck_assert_str_eq(vm.name, "Other Location");
	ck_assert_str_eq(vm.id, "282874FC-59D6-4F30-BC04-5FDD909C82E0");
	ck_assert_str_eq(vm.creation_time, "2021-08-22T21:41:00.717226Z");
	assert_gen1_slots(&vm, "C:\\Users\\Public\\Documents\\Hyper-V\\Virtual Hard Disks\\"
			       "Other Location.vhdx");
	ck_assert_str_eq(vm.guest_state_path, "C:\\Hyper-V\\EasyToFind\\Virtual Machines\\"
					      "282874FC-59D6-4F30-BC04-5FDD909C82E0.vmgs");
	vm_free(&vm);
	unload(&l);
	findings_free(&f);
}
END_TEST

START_TEST(vmrs_is_runtime_state)
{
	hv_findings f = { 0 };
	loaded l;
	load("test.VMRS", &l, &f);
	vm_model vm;
	ck_assert_int_eq(vm_from_tree(l.root, l.path, &vm, &f), HV_OK);
	ck_assert_int_eq(vm.kind, VM_KIND_RUNTIME_STATE);
	ck_assert_ptr_null(vm.name);
	ck_assert_ptr_null(vm.id);
	ck_assert(vm.has_version);
	ck_assert_int_eq(vm.version_raw, 2304);
	ck_assert_uint_eq(vm.ndrives, 0);
	ck_assert(!hostreg_is(l.root));
	vm_free(&vm);
	unload(&l);
	findings_free(&f);
}
END_TEST

START_TEST(data_vmcx_registry)
{
	static const char *const ids[] = {
		"EC04F346-DB96-4700-AF5B-77B3C56C38BD", "993F7B33-6057-4D1E-A1FE-A1A1D77BE974",
		"A5B56431-CA94-482A-B70A-F1F2B12373BE", "4C57771A-3230-4B92-B029-D63F96518E70",
	};
	static const char *const paths[] = {
		"C:\\Hyper-V\\EasyToFind\\Virtual Machines\\"
		"EC04F346-DB96-4700-AF5B-77B3C56C38BD.vmcx",
		"C:\\Hyper-V\\EasyToFind\\Virtual Machines\\"
		"993F7B33-6057-4D1E-A1FE-A1A1D77BE974.vmcx",
		"C:\\VM\\Other Generation 1\\Virtual Machines\\"
		"A5B56431-CA94-482A-B70A-F1F2B12373BE.vmcx",
		"C:\\VM\\Other Generation 2\\Virtual Machines\\"
		"4C57771A-3230-4B92-B029-D63F96518E70.vmcx",
	};
	hv_findings f = { 0 };
	loaded l;
	load("data.vmcx", &l, &f);
	ck_assert(hostreg_is(l.root));
	hostreg h;
	ck_assert_int_eq(hostreg_from_tree(l.root, l.path, &h, &f), HV_OK);
	ck_assert(h.has_format_version);
	ck_assert_int_eq(h.format_version, 2);
	ck_assert_str_eq(h.reg_id, "A4F9FA6C-ACDE-42F0-9A9E-B2222CF7ED42");
	ck_assert_uint_eq(h.nvms, 4);
	for (size_t i = 0; i < 4; i++) {
		ck_assert_str_eq(h.vms[i].id, ids[i]);
		ck_assert_str_eq(h.vms[i].path, paths[i]);
	}
	ck_assert_uint_eq(h.ncache, 4);
	for (size_t i = 0; i < 4; i++) {
		char want[200];
		snprintf(want, sizeof want, "C:\\ProgramData\\Microsoft\\Windows\\Hyper-V\\"
			 "Virtual Machines Cache\\%s.vmcx", h.cache[i].id);
		ck_assert_str_eq(h.cache[i].path, want);
	}
	ck_assert(h.has_resource_types);
	ck_assert_uint_eq(h.resource_types, 25);
	/* A registry is not a VM. */
	vm_model vm;
	ck_assert_int_eq(vm_from_tree(l.root, l.path, &vm, &f), HV_ERR_FORMAT);
	vm_free(&vm);
	hostreg_free(&h);
	unload(&l);
	findings_free(&f);
}
END_TEST

/* ---- hand-built trees ----------------------------------------------- */

static kv_node *add(kv_node *parent, const char *name, kv_type t)
{
	kv_node *n = kv_new(name, t);
	n->seq = (uint32_t)parent->nkids + 1;
	kv_add_child(parent, n);
	return n;
}

/* Finds or creates the node at "a/b/c" below n. */
static kv_node *node_at(kv_node *n, const char *path)
{
	char *p = strdup(path), *save = NULL;
	for (char *t = strtok_r(p, "/", &save); t; t = strtok_r(NULL, "/", &save)) {
		kv_node *c = kv_child(n, t);
		n = c ? c : add(n, t, KV_NODE);
	}
	free(p);
	return n;
}

static kv_node *put_str(kv_node *n, const char *path, const char *name, const char *s)
{
	kv_node *k = add(node_at(n, path), name, KV_STRING);
	k->str = strdup(s);
	return k;
}

static kv_node *put_int(kv_node *n, const char *path, const char *name, int64_t v)
{
	kv_node *k = add(node_at(n, path), name, KV_INT);
	k->v.i = v;
	return k;
}

static kv_node *put_bool(kv_node *n, const char *path, const char *name, bool v)
{
	kv_node *k = add(node_at(n, path), name, KV_BOOL);
	k->v.b = v;
	return k;
}

static kv_node *put_bytes(kv_node *n, const char *path, const char *name, const void *p,
			  size_t len)
{
	kv_node *k = add(node_at(n, path), name, KV_BYTES);
	k->bytes = len ? malloc(len) : NULL;
	if (len)
		memcpy(k->bytes, p, len);
	k->nbytes = len;
	return k;
}

/* A virtual root with an empty "configuration". */
static kv_node *new_config(kv_node **cfg)
{
	kv_node *root = kv_new("", KV_NODE);
	*cfg = add(root, "configuration", KV_NODE);
	return root;
}

static void add_vdev(kv_node *cfg, const char *vdev, const char *device, const char *instance,
		     const char *name)
{
	char p[64];
	snprintf(p, sizeof p, "manifest/%s", vdev);
	put_str(cfg, p, "device", device);
	put_str(cfg, p, "instance", instance);
	put_str(cfg, p, "name", name);
	put_int(cfg, p, "flags", 1);
}

START_TEST(security_flags_by_storage_type)
{
	kv_node *cfg, *root = new_config(&cfg);
	put_str(cfg, "properties", "name", "sec");
	put_int(cfg, "properties", "version", 0x900);
	put_bool(cfg, "security/settings", "tpm_enabled", true);
	put_int(cfg, "security/settings", "shielding_requested", 0);
	kv_node *u = add(node_at(cfg, "security/settings"), "ksd_enabled", KV_UINT);
	u->v.u = 7;
	u->offset = 0x4242;
	put_str(cfg, "security/settings", "vbs_opt_out", "True");
	put_bool(cfg, "security/settings", "data_protection_requested", true);
	hv_findings f = { 0 };
	vm_model vm;
	ck_assert_int_eq(vm_from_tree(root, "s.vmcx", &vm, &f), HV_OK);
	const vm_security *s = &vm.security;
	ck_assert(s->node_present && s->settings_present);
	ck_assert(s->tpm_enabled.present && s->tpm_enabled.valid && s->tpm_enabled.value);
	ck_assert_int_eq(s->tpm_enabled.type, KV_BOOL);
	ck_assert(s->shielding_requested.valid && !s->shielding_requested.value);
	ck_assert_int_eq(s->shielding_requested.type, KV_INT);
	ck_assert(s->ksd_enabled.valid && s->ksd_enabled.value);
	ck_assert_int_eq(s->ksd_enabled.type, KV_UINT);
	ck_assert_int_eq(s->ksd_enabled.raw, 7);
	ck_assert(s->ksd_enabled.offset == 0x4242);
	ck_assert(s->vbs_opt_out.present && !s->vbs_opt_out.valid);
	ck_assert_int_eq(s->vbs_opt_out.type, KV_STRING);
	ck_assert(!s->encrypt_state_migration.present);
	/* Version 9.0 selects encrypt_state_migration; only the older key is there. */
	ck_assert_str_eq(s->migration_key_expected, "encrypt_state_migration");
	ck_assert(any_finding(&f, "expects security/settings/encrypt_state_migration"));
	ck_assert(any_finding(&f, "vbs_opt_out is a string"));
	ck_assert(any_finding(&f, "ksd_enabled is stored as uint"));
	ck_assert_str_eq(f.v[0].file, "s.vmcx");
	vm_free(&vm);
	kv_free(root);
	findings_free(&f);

	/* Version 7.0 (0x700) still uses data_protection_requested. */
	root = new_config(&cfg);
	put_int(cfg, "properties", "version", 0x700);
	put_bool(cfg, "security/settings", "data_protection_requested", false);
	ck_assert_int_eq(vm_from_tree(root, "s.vmcx", &vm, &f), HV_OK);
	ck_assert_str_eq(vm.security.migration_key_expected, "data_protection_requested");
	ck_assert(vm.security.data_protection_requested.valid);
	ck_assert(!any_finding(&f, "expects"));
	vm_free(&vm);
	kv_free(root);
	findings_free(&f);
}
END_TEST

START_TEST(key_blobs_are_picked_up)
{
	kv_node *cfg, *root = new_config(&cfg);
	put_str(cfg, "properties", "name", "kp");
	const uint8_t kp[] = { 0x00, 0x00, 0x00, 0x10, 'k', 'e', 'y' };
	kv_node *k = put_bytes(cfg, "security/keys", "key_protector", kp, sizeof kp);
	k->offset = 0x9123;
	put_bytes(cfg, "security/keys", "lkg_key_protector", kp, 4);
	put_bytes(cfg, "security/keys", "encrypted_static_key", NULL, 0);
	put_str(cfg, "security/keys", "odd", "not bytes");
	hv_findings f = { 0 };
	vm_model vm;
	ck_assert_int_eq(vm_from_tree(root, "k.vmrs", &vm, &f), HV_OK);
	ck_assert_uint_eq(vm.nkeys, 3);
	ck_assert_str_eq(vm.keys[0].name, "key_protector");
	ck_assert_str_eq(vm.keys[0].kv_path, "/configuration/security/keys/key_protector");
	ck_assert(vm.keys[0].offset == 0x9123);
	ck_assert_uint_eq(vm.keys[0].len, sizeof kp);
	ck_assert_mem_eq(vm.keys[0].data, kp, sizeof kp);
	ck_assert_str_eq(vm.keys[1].name, "lkg_key_protector");
	ck_assert_uint_eq(vm.keys[1].len, 4);
	ck_assert(vm.keys[1].offset == HV_NO_OFFSET);
	ck_assert_uint_eq(vm.keys[2].len, 0);
	ck_assert(any_finding(&f, "encrypted_static_key is empty"));
	ck_assert(any_finding(&f, "odd is a string, not a byte array"));
	/* The model owns a copy: the tree can go first. */
	kv_free(root);
	ck_assert_mem_eq(vm.keys[0].data, kp, sizeof kp);
	vm_free(&vm);
	findings_free(&f);
}
END_TEST

START_TEST(missing_fields_and_fallbacks)
{
	kv_node *cfg, *root = new_config(&cfg);
	hv_findings f = { 0 };
	vm_model vm;
	/* Empty configuration: nothing present, runtime state. */
	ck_assert_int_eq(vm_from_tree(root, "e", &vm, &f), HV_OK);
	ck_assert_int_eq(vm.kind, VM_KIND_RUNTIME_STATE);
	ck_assert(!vm.has_version && !vm.has_subtype && !vm.has_memory && !vm.has_processors);
	ck_assert(!vm.has_secure_boot && !vm.has_creation_time && !vm.has_manifest);
	ck_assert_ptr_null(vm.name);
	ck_assert_ptr_null(vm.id);
	ck_assert_ptr_null(vm.security.migration_key_expected);
	ck_assert_uint_eq(f.n, 0);
	vm_free(&vm);
	/* The id falls back to settings/global/logical_id and is made canonical. */
	put_str(cfg, "settings/global", "logical_id", "{ec04f346-db96-4700-af5b-77b3c56c38bd}");
	put_int(cfg, "properties", "subtype", 2);
	put_bytes(cfg, "properties", "creation_time", "\x01\x02\x03", 3);
	put_str(cfg, "properties", "version", "9.0");
	ck_assert_int_eq(vm_from_tree(root, "e", &vm, &f), HV_OK);
	ck_assert_int_eq(vm.kind, VM_KIND_CONFIG);
	ck_assert_str_eq(vm.id, "EC04F346-DB96-4700-AF5B-77B3C56C38BD");
	ck_assert_str_eq(vm.id_source, "settings/global/logical_id");
	ck_assert(vm.has_subtype);
	ck_assert_int_eq(vm.subtype, 2);
	ck_assert_int_eq(vm.generation, 0);
	ck_assert(!vm.has_creation_time);
	ck_assert(!vm.has_version);
	ck_assert(any_finding(&f, "creation_time"));
	ck_assert(any_finding(&f, "version is a string"));
	vm_free(&vm);
	findings_free(&f);
	/* A global_id that disagrees, and one that is not a GUID. */
	put_str(cfg, "properties", "global_id", "282874FC-59D6-4F30-BC04-5FDD909C82E0");
	ck_assert_int_eq(vm_from_tree(root, "e", &vm, &f), HV_OK);
	ck_assert_str_eq(vm.id, "282874FC-59D6-4F30-BC04-5FDD909C82E0");
	ck_assert(any_finding(&f, "differ"));
	vm_free(&vm);
	findings_free(&f);
	free(kv_path(cfg, "properties/global_id")->str);
	kv_path(cfg, "properties/global_id")->str = strdup("not-a-guid");
	ck_assert_int_eq(vm_from_tree(root, "e", &vm, &f), HV_OK);
	ck_assert_ptr_null(vm.id);
	ck_assert_str_eq(vm.id_raw, "not-a-guid");
	ck_assert(any_finding(&f, "is not a GUID"));
	vm_free(&vm);
	findings_free(&f);
	kv_free(root);
	/* No configuration root at all. */
	root = kv_new("", KV_NODE);
	ck_assert_int_eq(vm_from_tree(root, "x", &vm, &f), HV_ERR_FORMAT);
	vm_free(&vm);
	ck_assert_int_eq(vm_from_tree(NULL, "x", &vm, &f), HV_ERR_FORMAT);
	vm_free(&vm);
	kv_free(root);
	findings_free(&f);
}
END_TEST

START_TEST(guid_case_and_brace_variants)
{
	kv_node *cfg, *root = new_config(&cfg);
	put_str(cfg, "properties", "name", "guids");
	/* Manifest GUIDs in upper case with braces, node names in other spellings. */
	add_vdev(cfg, "vdev001", "{D422512D-2BF2-4752-809D-7B82B5FCB1B4}",
		 "{dbcf5442-5b2e-4471-9b01-8aa4c5d0d011}", "Synthetic SCSI Controller");
	add_vdev(cfg, "vdev002", "736E6AA9-A3F8-49C0-9550-A963214D259A",
		 "736E6AA9-A3F8-49C0-9550-A963214D259A", "Microsoft Virtual TPM Device");
	add_vdev(cfg, "vdev003", "{2FC216B0-D2E2-4967-9B6D-B8A5C9CA2778}",
		 "f564edfd-e9f3-477a-a8b0-bc20229aa012", "Synthetic Ethernet Port");
	put_str(cfg, "_DBCF5442-5B2E-4471-9B01-8AA4C5D0D011_/controller0/drive3", "type", "VHD");
	put_str(cfg, "_DBCF5442-5B2E-4471-9B01-8AA4C5D0D011_/controller0/drive3", "pathname",
		"D:\\x.vhdx");
	put_str(cfg, "_DBCF5442-5B2E-4471-9B01-8AA4C5D0D011_/controller2/drive1", "type", "ISO");
	put_str(cfg, "_DBCF5442-5B2E-4471-9B01-8AA4C5D0D011_/controllerX/drive0", "type", "VHD");
	put_str(cfg, "_DBCF5442-5B2E-4471-9B01-8AA4C5D0D011_/controller1/drive0", "type", "PHD");
	/* The IDE node is not in the manifest and is spelled with braces in upper case. */
	put_str(cfg, "_{83F8638B-8DCA-4152-9EDA-2CA8B33039B4}_/controller0/drive0", "type", "VHD");
	put_str(cfg, "_{83F8638B-8DCA-4152-9EDA-2CA8B33039B4}_/controller0/drive0", "pathname",
		"C:\\boot.vhdx");
	put_bool(cfg, "_AC6B8DC1-3257-4A70-B1B2-A9C9215659AD_", "secure_boot_enabled", true);
	put_str(cfg, "_AC6B8DC1-3257-4A70-B1B2-A9C9215659AD_", "secure_boot_template_id",
		"{1734c6e8-3154-4dda-ba5f-a874cc483422}");
	put_str(cfg, "_{917BD8CB-3BB6-4124-9383-B7D21AC07F79}_", "StateFilePath", "C:\\a\\b.vmgs");
	put_str(cfg, "_F564EDFD-E9F3-477A-A8B0-BC20229AA012_", "MacAddress", "00-15-5D-01-02-03");
	put_str(cfg, "_F564EDFD-E9F3-477A-A8B0-BC20229AA012_", "SwitchName", "Default Switch");
	hv_findings f = { 0 };
	vm_model vm;
	ck_assert_int_eq(vm_from_tree(root, "g.vmcx", &vm, &f), HV_OK);
	ck_assert(vm.vtpm_device_present);
	ck_assert(vm.has_secure_boot && vm.secure_boot);
	ck_assert_str_eq(vm.secure_boot_template, "1734C6E8-3154-4DDA-BA5F-A874CC483422");
	ck_assert_str_eq(vm.guest_state_path, "C:\\a\\b.vmgs");
	ck_assert_uint_eq(vm.ndrives, 4); /* controllerX is not a controller */
	assert_slot(&vm, VM_CTRL_SCSI, 0, 3, "VHD", "D:\\x.vhdx");
	ck_assert_str_eq(find_drive(&vm, VM_CTRL_SCSI, 0, 3)->ctrl_instance,
			 "DBCF5442-5B2E-4471-9B01-8AA4C5D0D011");
	ck_assert_int_eq(find_drive(&vm, VM_CTRL_SCSI, 2, 1)->type, VM_DRIVE_ISO);
	ck_assert_ptr_null(find_drive(&vm, VM_CTRL_SCSI, 2, 1)->path);
	ck_assert_int_eq(find_drive(&vm, VM_CTRL_SCSI, 1, 0)->type, VM_DRIVE_OTHER);
	ck_assert(any_finding(&f, "unknown type \"PHD\""));
	assert_slot(&vm, VM_CTRL_IDE, 0, 0, "VHD", "C:\\boot.vhdx");
	ck_assert(!find_drive(&vm, VM_CTRL_IDE, 0, 0)->in_manifest);
	ck_assert_uint_eq(count_disks(&vm), 2);
	ck_assert_uint_eq(vm.nnics, 1);
	ck_assert_str_eq(vm.nics[0].instance, "F564EDFD-E9F3-477A-A8B0-BC20229AA012");
	ck_assert_str_eq(vm.nics[0].mac, "00-15-5D-01-02-03");
	ck_assert_str_eq(vm.nics[0].switch_name, "Default Switch");
	ck_assert_ptr_null(vm.nics[0].friendly_name);
	vm_free(&vm);
	kv_free(root);
	findings_free(&f);
}
END_TEST

START_TEST(controller_listed_twice_read_once)
{
	kv_node *cfg, *root = new_config(&cfg);
	put_str(cfg, "properties", "name", "dup");
	add_vdev(cfg, "vdev001", VM_DEV_IDE, VM_DEV_IDE, "Microsoft Emulated IDE Controller");
	add_vdev(cfg, "vdev002", VM_DEV_IDE, "{" VM_DEV_IDE "}", "again");
	add_vdev(cfg, "vdev003", VM_DEV_SCSI, "11111111-2222-3333-4444-555555555555", "no node");
	put_str(cfg, "_" VM_DEV_IDE "_/controller0/drive0", "type", "VHD");
	hv_findings f = { 0 };
	vm_model vm;
	ck_assert_int_eq(vm_from_tree(root, "d", &vm, &f), HV_OK);
	ck_assert_uint_eq(vm.ndrives, 1);
	ck_assert(vm.drives[0].in_manifest);
	ck_assert_ptr_null(vm.drives[0].path);
	ck_assert(any_finding(&f, "has no configuration node"));
	vm_free(&vm);
	kv_free(root);
	findings_free(&f);
}
END_TEST

START_TEST(many_devices_stay_fast)
{
	/* Every manifest device looked up among many device nodes: no quadratic scan. */
	kv_node *cfg, *root = new_config(&cfg);
	put_str(cfg, "properties", "name", "wide");
	char name[64], guid[40];
	for (unsigned i = 0; i < VM_MAX_DEVICES; i++) {
		snprintf(name, sizeof name, "vdev%04u", i);
		snprintf(guid, sizeof guid, "%08X-0000-0000-0000-000000000000", i);
		add_vdev(cfg, name, VM_DEV_SCSI, guid, "Synthetic SCSI Controller");
	}
	for (unsigned i = 0; i < 60000; i++) {
		snprintf(name, sizeof name, "_%08x-1111-0000-0000-000000000000_", i);
		add(cfg, name, KV_NODE);
	}
	snprintf(name, sizeof name, "_%08x-0000-0000-0000-000000000000_/controller0/drive0",
		 VM_MAX_DEVICES - 1);
	put_str(cfg, name, "type", "VHD");
	hv_findings f = { 0 };
	vm_model vm;
	clock_t t0 = clock();
	ck_assert_int_eq(vm_from_tree(root, "w", &vm, &f), HV_OK);
	ck_assert((double)(clock() - t0) / CLOCKS_PER_SEC < 3.0);
	ck_assert_uint_eq(vm.ndevices, VM_MAX_DEVICES);
	ck_assert_uint_eq(vm.ndrives, 1);
	vm_free(&vm);
	kv_free(root);
	findings_free(&f);
}
END_TEST

START_TEST(hostreg_hand_built)
{
	kv_node *root = kv_new("", KV_NODE);
	ck_assert(!hostreg_is(root));
	kv_node *r = add(root, "Configurations", KV_NODE);
	ck_assert(hostreg_is(root));
	kv_node *vms = node_at(r, "VirtualMachines");
	/* Stored out of order: the registry follows the insertion sequence. */
	kv_node *b = put_str(r, "VirtualMachines", "_bbbbbbbb-0000-0000-0000-000000000000_", "B");
	kv_node *a = put_str(r, "VirtualMachines", "_{aaaaaaaa-0000-0000-0000-000000000000}_", "A");
	b->seq = 2;
	a->seq = 1;
	put_str(r, "VirtualMachines", "junk", "x")->seq = 3;
	put_int(r, "VirtualMachines", "_cccccccc-0000-0000-0000-000000000000_", 5)->seq = 4;
	ck_assert_uint_eq(vms->nkids, 4);
	hv_findings f = { 0 };
	hostreg h;
	ck_assert_int_eq(hostreg_from_tree(root, "data.vmcx", &h, &f), HV_OK);
	ck_assert(!h.has_format_version);
	ck_assert_ptr_null(h.reg_id);
	ck_assert_uint_eq(h.nvms, 3);
	ck_assert_str_eq(h.vms[0].id, "AAAAAAAA-0000-0000-0000-000000000000");
	ck_assert_str_eq(h.vms[0].path, "A");
	ck_assert_str_eq(h.vms[1].path, "B");
	ck_assert_ptr_null(h.vms[2].path);
	ck_assert(any_finding(&f, "junk is not named _<GUID>_"));
	ck_assert(any_finding(&f, "expected a path string"));
	ck_assert(!h.has_resource_types);
	hostreg_free(&h);
	findings_free(&f);
	kv_free(root);
	root = kv_new("", KV_NODE);
	add(root, "configuration", KV_NODE);
	ck_assert(!hostreg_is(root));
	ck_assert_int_eq(hostreg_from_tree(root, "x", &h, &f), HV_ERR_FORMAT);
	hostreg_free(&h);
	kv_free(root);
	findings_free(&f);
}
END_TEST

/* ---- reports -------------------------------------------------------- */

static char *capture(void (*fn)(FILE *, const void *), const void *arg)
{
	FILE *m = tmpfile();
	ck_assert_ptr_nonnull(m);
	fn(m, arg);
	long n = ftell(m);
	ck_assert_int_ge(n, 0);
	rewind(m);
	char *buf = malloc((size_t)n + 1);
	ck_assert_uint_eq(fread(buf, 1, (size_t)n, m), (size_t)n);
	buf[n] = '\0';
	fclose(m);
	return buf;
}

static void vm_text_cb(FILE *o, const void *a) { vm_report_text(o, a); }
static void tree_text_cb(FILE *o, const void *a) { kv_report_tree_text(o, a); }
static void reg_text_cb(FILE *o, const void *a) { hostreg_report_text(o, a); }

/* Parses JSON text back; fails the test when it is not valid. */
static json_object *reparse(json_object *o)
{
	const char *s = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN);
	json_object *back = json_tokener_parse(s);
	ck_assert_ptr_nonnull(back);
	return back;
}

START_TEST(report_never_shows_key_bytes)
{
	kv_node *cfg, *root = new_config(&cfg);
	put_str(cfg, "properties", "name", "evil\x1b[31m\nname");
	put_int(cfg, "properties", "version", 0x900);
	uint8_t secret[64];
	for (size_t i = 0; i < sizeof secret; i++)
		secret[i] = (uint8_t)(0xA0 + i);
	put_bytes(cfg, "security/keys", "key_protector", secret, sizeof secret)->offset = 0x1234;
	put_bool(cfg, "security/settings", "tpm_enabled", true);
	hv_findings f = { 0 };
	vm_model vm;
	ck_assert_int_eq(vm_from_tree(root, "r.vmcx", &vm, &f), HV_OK);
	char *hex = hex_dup(secret, sizeof secret, false);
	uint8_t dig[32];
	char dhex[65];
	hv_sha256(secret, sizeof secret, dig);
	hv_sha256_hex(dig, dhex);

	char *text = capture(vm_text_cb, &vm);
	ck_assert(strstr(text, "evil\\x1B[31m\\x0Aname") != NULL);
	ck_assert(strchr(text, '\x1b') == NULL);
	ck_assert(strstr(text, dhex) != NULL);
	ck_assert(strstr(text, "64 bytes at offset 0x1234") != NULL);
	ck_assert(strstr(text, "  tpm_enabled:") != NULL);
	/* Labels are padded to one width: every value starts in the same column. */
	size_t col = 0;
	for (char *l = strchr(text, '\n') + 1; *l; l = strchr(l, '\n') + 1) {
		char *colon = strchr(l, ':');
		size_t c = (size_t)(colon - l) + 1;
		while (l[c] == ' ')
			c++;
		if (!col)
			col = c;
		ck_assert_uint_eq(c, col);
	}

	json_object *j = vm_report_json(&vm);
	json_object *back = reparse(j);
	const char *js = json_object_to_json_string(j);
	ck_assert(strstr(js, hex) == NULL);
	json_object *kb = json_object_object_get(back, "key_blobs");
	ck_assert_uint_eq(json_object_array_length(kb), 1);
	json_object *k0 = json_object_array_get_idx(kb, 0);
	ck_assert_str_eq(json_object_get_string(json_object_object_get(k0, "sha256")), dhex);
	ck_assert_int_eq(json_object_get_int64(json_object_object_get(k0, "length")), 64);
	ck_assert_int_eq(json_object_get_int64(json_object_object_get(k0, "offset")), 0x1234);
	ck_assert_str_eq(json_object_get_string(json_object_object_get(k0, "path")),
			 "/configuration/security/keys/key_protector");
	json_object *ss = json_object_object_get(back, "security_settings");
	json_object *te = json_object_object_get(ss, "tpm_enabled");
	ck_assert(json_object_get_boolean(json_object_object_get(te, "value")));
	ck_assert_str_eq(json_object_get_string(json_object_object_get(te, "type")), "bool");
	ck_assert(json_object_object_get_ex(ss, "ksd_enabled", NULL));
	ck_assert_ptr_null(json_object_object_get(ss, "ksd_enabled"));
	json_object *cv = json_object_object_get(back, "config_version");
	ck_assert_int_eq(json_object_get_int(json_object_object_get(cv, "major")), 9);
	ck_assert_str_eq(json_object_get_string(json_object_object_get(back, "name")),
			 "evil\x1b[31m\nname");
	json_object_put(back);
	json_object_put(j);

	/* The whole tree: bytes as length and SHA-256, strings escaped. */
	char *tree = capture(tree_text_cb, root);
	ck_assert(strstr(tree, hex) == NULL);
	ck_assert(strstr(tree, "/configuration/security/keys/key_protector (bytes) 64 bytes "
			       "sha256 ") != NULL);
	ck_assert(strstr(tree, "/configuration/properties/name (string) \"evil\\x1B[31m\\x0Aname\"")
		  != NULL);
	ck_assert(strstr(tree, "@0x1234") != NULL);
	ck_assert(strchr(tree, '\x1b') == NULL);
	json_object *tj = kv_report_tree_json(root);
	json_object *tb = reparse(tj);
	ck_assert(strstr(json_object_to_json_string(tj), hex) == NULL);
	json_object *nodes = json_object_object_get(tb, "nodes");
	ck_assert_uint_eq(json_object_array_length(nodes), kv_count(root));
	json_object_put(tb);
	json_object_put(tj);
	free(tree);
	free(text);
	free(hex);
	vm_free(&vm);
	kv_free(root);
	findings_free(&f);
}
END_TEST

START_TEST(report_invalid_utf8_stays_valid_json)
{
	kv_node *cfg, *root = new_config(&cfg);
	put_str(cfg, "properties", "name", "bad\xC3(\xFF end");
	kv_node *odd = add(cfg, "na\xE9me", KV_NODE);
	(void)odd;
	hv_findings f = { 0 };
	vm_model vm;
	ck_assert_int_eq(vm_from_tree(root, "u", &vm, &f), HV_OK);
	json_object *j = vm_report_json(&vm);
	json_object *back = reparse(j);
	ck_assert_str_eq(json_object_get_string(json_object_object_get(back, "name")),
			 "bad\xEF\xBF\xBD(\xEF\xBF\xBD end");
	json_object_put(back);
	json_object_put(j);
	json_object *tj = kv_report_tree_json(root);
	json_object_put(reparse(tj));
	json_object_put(tj);
	char *tree = capture(tree_text_cb, root);
	ck_assert(strstr(tree, "/configuration/na\\xE9me (node)") != NULL);
	ck_assert(strstr(tree, "\"bad\\xC3(\\xFF end\"") != NULL);
	free(tree);
	vm_free(&vm);
	kv_free(root);
	findings_free(&f);
}
END_TEST

START_TEST(report_hostreg)
{
	kv_node *root = kv_new("", KV_NODE);
	kv_node *r = add(root, "Configurations", KV_NODE);
	put_int(r, "", "FormatVersion", 2);
	put_str(r, "", "RegID", "A4F9FA6C-ACDE-42F0-9A9E-B2222CF7ED42");
	put_str(r, "VirtualMachines", "_EC04F346-DB96-4700-AF5B-77B3C56C38BD_", "C:\\v\\a.vmcx");
	put_str(r, "ResourceTypes", "_03CE9A94-E887-40F3-A166-D9E54C42A5BF_", "C:\\r.vmcx");
	hv_findings f = { 0 };
	hostreg h;
	ck_assert_int_eq(hostreg_from_tree(root, "data.vmcx", &h, &f), HV_OK);
	char *text = capture(reg_text_cb, &h);
	ck_assert(strstr(text, "EC04F346-DB96-4700-AF5B-77B3C56C38BD C:\\v\\a.vmcx") != NULL);
	ck_assert(strstr(text, "format version:") != NULL);
	json_object *j = hostreg_report_json(&h);
	json_object *back = reparse(j);
	ck_assert_int_eq(json_object_get_int(json_object_object_get(back, "format_version")), 2);
	ck_assert_int_eq(json_object_get_int(json_object_object_get(back, "resource_types")), 1);
	json_object *vms = json_object_object_get(back, "virtual_machines");
	ck_assert_uint_eq(json_object_array_length(vms), 1);
	ck_assert_str_eq(json_object_get_string(json_object_object_get(
				 json_object_array_get_idx(vms, 0), "path")), "C:\\v\\a.vmcx");
	json_object_put(back);
	json_object_put(j);
	free(text);
	hostreg_free(&h);
	kv_free(root);
	findings_free(&f);
}
END_TEST

START_TEST(resolve_paths_of_a_model)
{
	char *d = tu_mkdtemp();
	char *cfgfile = tu_join(d, "VM/Virtual Machines/X.vmcx");
	char *disk = tu_join(d, "VM/Virtual Hard Disks/boot.vhdx");
	char *gs = tu_join(d, "VM/Virtual Machines/X.vmgs");
	tu_write(cfgfile, "x", 1);
	tu_write(disk, "x", 1);
	tu_write(gs, "x", 1);
	kv_node *cfg, *root = new_config(&cfg);
	put_str(cfg, "properties", "name", "p");
	put_str(cfg, "_" VM_DEV_IDE "_/controller0/drive0", "type", "VHD");
	put_str(cfg, "_" VM_DEV_IDE "_/controller0/drive0", "pathname", "E:\\VMs\\boot.vhdx");
	put_str(cfg, "_" VM_DEV_IDE "_/controller0/drive1", "type", "NONE");
	put_str(cfg, "_" VM_DEV_IDE "_/controller0/drive1", "pathname", "");
	put_str(cfg, "_" VM_DEV_GUEST_STATE "_", "StateFilePath", "C:\\Hyper-V\\X.vmgs");
	hv_findings f = { 0 };
	vm_model vm;
	ck_assert_int_eq(vm_from_tree(root, cfgfile, &vm, &f), HV_OK);
	char *vmdir = tu_join(d, "VM");
	vm_resolve_paths(&vm, vmdir, 0);
	const vm_drive *b = find_drive(&vm, VM_CTRL_IDE, 0, 0);
	ck_assert_uint_eq(b->resolved.n, 3);
	ck_assert(!b->resolved.v[0].exists);
	ck_assert(!b->resolved.v[1].exists);
	ck_assert(b->resolved.v[2].exists);
	ck_assert_int_eq(b->resolved.v[2].rule, WINPATH_PARENT_VHD_FOLDER);
	ck_assert_str_eq(b->resolved.v[2].path, disk);
	ck_assert_uint_eq(find_drive(&vm, VM_CTRL_IDE, 0, 1)->resolved.n, 0);
	ck_assert_uint_eq(vm.guest_state_resolved.n, 1);
	ck_assert(vm.guest_state_resolved.v[0].exists);
	ck_assert_str_eq(vm.guest_state_resolved.v[0].path, gs);
	/* Resolving again replaces the lists; a narrower tree marks the disk outside. */
	char *vmsdir = tu_join(d, "VM/Virtual Machines");
	vm_resolve_paths(&vm, vmsdir, 0);
	ck_assert_uint_eq(b->resolved.n, 3);
	ck_assert(b->resolved.v[2].outside_tree);
	ck_assert(!b->resolved.v[2].exists);
	json_object *j = vm_report_json(&vm);
	json_object *dr = json_object_array_get_idx(json_object_object_get(j, "drives"), 0);
	json_object *res = json_object_object_get(dr, "resolved");
	ck_assert_uint_eq(json_object_array_length(res), 3);
	ck_assert(json_object_get_boolean(json_object_object_get(
		json_object_array_get_idx(res, 2), "outside_tree")));
	json_object_put(j);
	vm_free(&vm);
	kv_free(root);
	findings_free(&f);
	tu_rmtree(d);
	free(vmsdir);
	free(vmdir);
	free(cfgfile);
	free(disk);
	free(gs);
	free(d);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("vm");
	TCase *corpus = tcase_create("corpus");
	tcase_add_test(corpus, xml_gen1_model);
	tcase_add_test(corpus, xml_gen2_model);
	tcase_add_test(corpus, vmcx_gen1_model);
	tcase_add_test(corpus, vmcx_gen2_model);
	tcase_add_test(corpus, vmcx_other_location_model);
	tcase_add_test(corpus, vmrs_is_runtime_state);
	tcase_add_test(corpus, data_vmcx_registry);
	suite_add_tcase(s, corpus);
	TCase *model = tcase_create("model");
	tcase_set_timeout(model, 30);
	tcase_add_test(model, security_flags_by_storage_type);
	tcase_add_test(model, key_blobs_are_picked_up);
	tcase_add_test(model, missing_fields_and_fallbacks);
	tcase_add_test(model, guid_case_and_brace_variants);
	tcase_add_test(model, controller_listed_twice_read_once);
	tcase_add_test(model, many_devices_stay_fast);
	tcase_add_test(model, hostreg_hand_built);
	suite_add_tcase(s, model);
	TCase *report = tcase_create("report");
	tcase_add_test(report, report_never_shows_key_bytes);
	tcase_add_test(report, report_invalid_utf8_stays_valid_json);
	tcase_add_test(report, report_hostreg);
	tcase_add_test(report, resolve_paths_of_a_model);
	suite_add_tcase(s, report);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
