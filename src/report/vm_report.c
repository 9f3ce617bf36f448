/* vm_report.c - text and JSON output of VM models, host registries and kv trees. */
#include "report/vm_report.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "report/out.h"
#include "report/term.h"
#include "util/diag.h"
#include "util/fileio.h"
#include "util/strbuf.h"
#include "util/text.h"
#include "util/xalloc.h"

#define LABEL_WIDTH 27 /* label column of the text summaries (longest label + 1) */

/* ---- safe strings --------------------------------------------------- */

/*
 * Evidence string for a terminal, through the one terminal writer
 * (report/term.h); with quote set it is put in double quotes and a quote
 * inside is escaped as well, so the result is unambiguous.
 */
static void sb_add_safe(strbuf *sb, const char *s, bool quote)
{
	if (!quote) {
		term_add(sb, s);
		return;
	}
	char *t = term_escape(s);
	sb_addc(sb, '"');
	for (const char *p = t; *p; p++) {
		if (*p == '"')
			sb_addc(sb, '\\');
		sb_addc(sb, *p);
	}
	sb_addc(sb, '"');
	free(t);
}

static char *safe_dup(const char *s, bool quote)
{
	strbuf sb = STRBUF_INIT;
	sb_add(&sb, "", 0);
	if (s)
		sb_add_safe(&sb, s, quote);
	return sb_detach(&sb);
}

/* Evidence text for JSON: the one JSON string writer (report/out.h). */
static json_object *jstr(const char *s)
{
	return json_text(s);
}

static json_object *jint_if(bool has, int64_t v)
{
	return has ? json_object_new_int64(v) : NULL;
}

static json_object *jbool_if(bool has, bool v)
{
	return has ? json_object_new_boolean(v) : NULL;
}

static void put(json_object *o, const char *key, json_object *v)
{
	json_object_object_add(o, key, v);
}

static json_object *joffset(uint64_t off)
{
	return off == HV_NO_OFFSET ? NULL : json_object_new_uint64(off);
}

static void sha256_hex_of(const uint8_t *p, size_t n, char hex[65])
{
	uint8_t dig[32];
	hv_sha256(p ? (const void *)p : (const void *)"", n, dig);
	hv_sha256_hex(dig, hex);
}

/* ---- text helpers --------------------------------------------------- */

static void line(FILE *out, const char *label, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* "  label:<pad> value" through the shared aligned-line helper. */
static void line(FILE *out, const char *label, const char *fmt, ...)
{
	strbuf v = STRBUF_INIT;
	va_list ap;
	va_start(ap, fmt);
	sb_vaddf(&v, fmt, ap);
	va_end(ap);
	out_kv(out, "  ", LABEL_WIDTH, label, "%s", sb_str(&v));
	sb_free(&v);
}

/* Prints label: s (safe, unquoted), or "absent". */
static void line_str(FILE *out, const char *label, const char *s)
{
	if (!s) {
		line(out, label, "absent");
		return;
	}
	char *t = safe_dup(s, false);
	line(out, label, "%s", *t ? t : "(empty)");
	free(t);
}

static const char *yes_no(bool b)
{
	return b ? "yes" : "no";
}

static void text_flag(FILE *out, const char *name, const vm_flag *fl)
{
	if (!fl->present)
		line(out, name, "absent");
	else if (!fl->valid)
		line(out, name, "unreadable (stored as %s)", kv_type_name(fl->type));
	else
		line(out, name, "%s (%s %lld)", fl->value ? "true" : "false",
		     kv_type_name(fl->type), (long long)fl->raw);
}

static void text_candidates(FILE *out, const winpath_list *l)
{
	for (size_t i = 0; i < l->n; i++) {
		const winpath_candidate *c = &l->v[i];
		char *p = safe_dup(c->path, false);
		const char *state = c->in_archive ? "a member of the same archive (looked up among "
						    "the members read)"
				    : c->outside_tree ? "outside the evidence tree, not checked"
				    : c->via_symlink ? "through a symbolic link, not followed"
				    : c->exists ? "found" : "not found";
		line(out, "  candidate", "%s (%s): %s", p, winpath_rule_name(c->rule), state);
		free(p);
	}
}

/* ---- VM text -------------------------------------------------------- */

static void text_identity(FILE *out, const vm_model *vm)
{
	line_str(out, "source", vm->source_path);
	line(out, "kind", "%s", vm_kind_name(vm->kind));
	line_str(out, "name", vm->name);
	if (vm->id)
		line(out, "id", "%s (%s)", vm->id, vm->id_source);
	else
		line_str(out, "id", vm->id_raw);
	if (vm->has_version)
		line(out, "configuration version", "%u.%u (%lld)", vm->version_major,
		     vm->version_minor, (long long)vm->version_raw);
	else
		line(out, "configuration version", "absent");
	if (!vm->has_subtype)
		line(out, "generation", "absent");
	else if (vm->generation)
		line(out, "generation", "%d (subtype %lld)", vm->generation,
		     (long long)vm->subtype);
	else
		line(out, "generation", "unknown (subtype %lld)", (long long)vm->subtype);
	line(out, "creation time", "%s", vm->has_creation_time ? vm->creation_time : "absent");
}

static void text_firmware(FILE *out, const vm_model *vm)
{
	if (vm->has_secure_boot)
		line(out, "secure boot", "%s", vm->secure_boot ? "on" : "off");
	else
		line(out, "secure boot", "absent");
	line_str(out, "secure boot template", vm->secure_boot_template);
	if (vm->has_nvram)
		line(out, "UEFI NVRAM entries", "%zu", vm->nvram_entries);
	line(out, "vTPM device in manifest", "%s%s", yes_no(vm->vtpm_device_present),
	     vm->vtpm_device_present ? " (does not by itself mean the TPM is enabled)" : "");
	const vm_security *s = &vm->security;
	line(out, "security node", "%s", s->node_present ? "present" : "absent");
	if (!s->settings_present)
		return;
	text_flag(out, "tpm_enabled", &s->tpm_enabled);
	text_flag(out, "shielding_requested", &s->shielding_requested);
	text_flag(out, "ksd_enabled", &s->ksd_enabled);
	text_flag(out, "vbs_opt_out", &s->vbs_opt_out);
	text_flag(out, "encrypt_state_migration", &s->encrypt_state_migration);
	text_flag(out, "data_protection_requested", &s->data_protection_requested);
	if (s->migration_key_expected)
		line(out, "migration key for version", "%s", s->migration_key_expected);
}

static void text_devices(FILE *out, const vm_model *vm)
{
	if (vm->has_memory)
		line(out, "memory", "%lld MB", (long long)vm->memory_mb);
	else
		line(out, "memory", "absent");
	if (vm->has_processors)
		line(out, "processors", "%lld", (long long)vm->processors);
	else
		line(out, "processors", "absent");
	if (vm->has_manifest)
		line(out, "manifest devices", "%zu", vm->ndevices);
	for (size_t i = 0; i < vm->nnics; i++) {
		const vm_nic *n = &vm->nics[i];
		char *fn = safe_dup(n->friendly_name, true);
		char *mac = safe_dup(n->mac, false);
		char *sw = safe_dup(n->switch_name, true);
		line(out, "network adapter", "%s MAC %s switch %s%s", fn, *mac ? mac : "absent",
		     sw, n->synthetic ? " (synthetic)" : " (heuristic: has a MacAddress)");
		free(fn);
		free(mac);
		free(sw);
	}
	for (size_t i = 0; i < vm->ndrives; i++) {
		const vm_drive *d = &vm->drives[i];
		char label[64];
		snprintf(label, sizeof label, "drive %s %u:%u", vm_ctrl_name(d->ctrl),
			 d->ctrl_index, d->drive_index);
		char *p = safe_dup(d->path, false);
		line(out, label, "%s %s%s", d->type_raw ? d->type_raw : "(no type)",
		     *p ? p : "(no path)", d->in_manifest ? "" : " [controller not in manifest]");
		free(p);
		text_candidates(out, &d->resolved);
	}
	line_str(out, "guest state file", vm->guest_state_path);
	text_candidates(out, &vm->guest_state_resolved);
}

static void text_keys(FILE *out, const vm_model *vm)
{
	for (size_t i = 0; i < vm->nkeys; i++) {
		const vm_key_blob *k = &vm->keys[i];
		char hex[65];
		sha256_hex_of(k->data, k->len, hex);
		char *p = safe_dup(k->kv_path, false);
		if (k->offset == HV_NO_OFFSET)
			line(out, "key blob", "%s, %zu bytes, sha256 %s", p, k->len, hex);
		else
			line(out, "key blob", "%s, %zu bytes at offset 0x%" PRIX64 ", sha256 %s", p,
			     k->len, k->offset, hex);
		free(p);
	}
}

void vm_report_text(FILE *out, const vm_model *vm)
{
	fprintf(out, "Virtual machine\n");
	text_identity(out, vm);
	text_firmware(out, vm);
	text_devices(out, vm);
	text_keys(out, vm);
}

/* ---- VM JSON -------------------------------------------------------- */

static json_object *json_flag(const vm_flag *fl)
{
	if (!fl->present)
		return NULL;
	json_object *o = json_object_new_object();
	put(o, "value", jbool_if(fl->valid, fl->value));
	put(o, "type", json_object_new_string(kv_type_name(fl->type)));
	put(o, "raw", jint_if(fl->valid, fl->raw));
	put(o, "offset", joffset(fl->offset));
	return o;
}

/* The JSON identifier of a resolution rule (winpath_rule_name is display text). */
static const char *rule_id(winpath_rule r)
{
	switch (r) {
	case WINPATH_SAME_FOLDER: return "same_folder";
	case WINPATH_VHD_FOLDER: return "vhd_folder";
	case WINPATH_PARENT_VHD_FOLDER: return "parent_vhd_folder";
	}
	return "unknown";
}

static json_object *json_candidates(const winpath_list *l)
{
	json_object *a = json_object_new_array();
	for (size_t i = 0; i < l->n; i++) {
		const winpath_candidate *c = &l->v[i];
		json_object *o = json_object_new_object();
		put(o, "path", jstr(c->path));
		put(o, "rule", json_enum(rule_id(c->rule)));
		put(o, "exists", json_object_new_boolean(c->exists));
		put(o, "outside_tree", json_object_new_boolean(c->outside_tree));
		put(o, "via_symlink", json_object_new_boolean(c->via_symlink));
		put(o, "in_archive", json_object_new_boolean(c->in_archive));
		json_object_array_add(a, o);
	}
	return a;
}

static json_object *json_security(const vm_security *s)
{
	json_object *o = json_object_new_object();
	put(o, "tpm_enabled", json_flag(&s->tpm_enabled));
	put(o, "shielding_requested", json_flag(&s->shielding_requested));
	put(o, "ksd_enabled", json_flag(&s->ksd_enabled));
	put(o, "vbs_opt_out", json_flag(&s->vbs_opt_out));
	put(o, "encrypt_state_migration", json_flag(&s->encrypt_state_migration));
	put(o, "data_protection_requested", json_flag(&s->data_protection_requested));
	put(o, "node_present", json_object_new_boolean(s->node_present));
	put(o, "settings_present", json_object_new_boolean(s->settings_present));
	put(o, "migration_key_expected", jstr(s->migration_key_expected));
	return o;
}

static json_object *json_nics(const vm_model *vm)
{
	json_object *a = json_object_new_array();
	for (size_t i = 0; i < vm->nnics; i++) {
		const vm_nic *n = &vm->nics[i];
		json_object *o = json_object_new_object();
		put(o, "instance", jstr(n->instance));
		put(o, "synthetic", json_object_new_boolean(n->synthetic));
		put(o, "device_name", jstr(n->device_name));
		put(o, "name", jstr(n->friendly_name));
		put(o, "mac", jstr(n->mac));
		put(o, "switch", jstr(n->switch_name));
		put(o, "connected", jbool_if(n->has_connected, n->connected));
		put(o, "static_mac", jbool_if(n->has_static_mac, n->static_mac));
		json_object_array_add(a, o);
	}
	return a;
}

static json_object *json_drives(const vm_model *vm)
{
	json_object *a = json_object_new_array();
	for (size_t i = 0; i < vm->ndrives; i++) {
		const vm_drive *d = &vm->drives[i];
		json_object *o = json_object_new_object();
		put(o, "controller", json_enum(vm_ctrl_name(d->ctrl)));
		put(o, "controller_instance", jstr(d->ctrl_instance));
		put(o, "in_manifest", json_object_new_boolean(d->in_manifest));
		put(o, "controller_index", json_object_new_int64(d->ctrl_index));
		put(o, "drive_index", json_object_new_int64(d->drive_index));
		put(o, "type", jstr(d->type_raw));
		put(o, "is_disk", json_object_new_boolean(vm_drive_is_disk(d)));
		put(o, "path", jstr(d->path));
		put(o, "offset", joffset(d->offset));
		put(o, "resolved", json_candidates(&d->resolved));
		json_object_array_add(a, o);
	}
	return a;
}

static json_object *json_keys(const vm_model *vm)
{
	json_object *a = json_object_new_array();
	for (size_t i = 0; i < vm->nkeys; i++) {
		const vm_key_blob *k = &vm->keys[i];
		char hex[65];
		sha256_hex_of(k->data, k->len, hex);
		json_object *o = json_object_new_object();
		put(o, "name", jstr(k->name));
		put(o, "path", jstr(k->kv_path));
		put(o, "offset", joffset(k->offset));
		put(o, "length", json_object_new_uint64(k->len));
		put(o, "sha256", json_object_new_string(hex));
		json_object_array_add(a, o);
	}
	return a;
}

static json_object *json_devices(const vm_model *vm)
{
	json_object *a = json_object_new_array();
	for (size_t i = 0; i < vm->ndevices; i++) {
		const vm_device *d = &vm->devices[i];
		json_object *o = json_object_new_object();
		put(o, "vdev", jstr(d->vdev));
		put(o, "device", jstr(d->device));
		put(o, "instance", jstr(d->instance));
		put(o, "name", jstr(d->name));
		put(o, "flags", jint_if(d->has_flags, d->flags));
		json_object_array_add(a, o);
	}
	return a;
}

static void json_identity(json_object *o, const vm_model *vm)
{
	put(o, "source", jstr(vm->source_path));
	put(o, "kind", json_enum(vm_kind_name(vm->kind)));
	put(o, "name", jstr(vm->name));
	put(o, "id", jstr(vm->id ? vm->id : vm->id_raw));
	put(o, "id_is_guid", json_object_new_boolean(vm->id != NULL));
	put(o, "id_source", jstr(vm->id_source));
	json_object *v = NULL;
	if (vm->has_version) {
		v = json_object_new_object();
		put(v, "raw", json_object_new_int64(vm->version_raw));
		put(v, "major", json_object_new_int64(vm->version_major));
		put(v, "minor", json_object_new_int64(vm->version_minor));
	}
	put(o, "config_version", v);
	put(o, "generation", jint_if(vm->has_subtype && vm->generation, vm->generation));
	put(o, "subtype", jint_if(vm->has_subtype, vm->subtype));
	put(o, "creation_time", vm->has_creation_time ? jstr(vm->creation_time) : NULL);
}

json_object *vm_report_json(const vm_model *vm)
{
	json_object *o = json_object_new_object();
	json_identity(o, vm);
	json_object *sb = json_object_new_object();
	put(sb, "enabled", jbool_if(vm->has_secure_boot, vm->secure_boot));
	put(sb, "template_id", jstr(vm->secure_boot_template));
	put(o, "secure_boot", sb);
	put(o, "nvram_entries", vm->has_nvram ? json_object_new_uint64(vm->nvram_entries) : NULL);
	put(o, "vtpm_device_present", json_object_new_boolean(vm->vtpm_device_present));
	put(o, "security_settings", json_security(&vm->security));
	put(o, "memory_mb", jint_if(vm->has_memory, vm->memory_mb));
	put(o, "processors", jint_if(vm->has_processors, vm->processors));
	put(o, "manifest_size", jint_if(vm->has_manifest_size, vm->manifest_size));
	put(o, "devices", json_devices(vm));
	put(o, "network_adapters", json_nics(vm));
	put(o, "drives", json_drives(vm));
	put(o, "guest_state_path", jstr(vm->guest_state_path));
	put(o, "guest_state_resolved", json_candidates(&vm->guest_state_resolved));
	put(o, "key_blobs", json_keys(vm));
	return o;
}

/* ---- kv tree -------------------------------------------------------- */

typedef void (*node_fn)(const kv_node *n, void *arg);

/* Pre-order walk of everything below root, children in stored order. */
static void walk(const kv_node *root, node_fn fn, void *arg)
{
	size_t cap = 0, top = 0;
	const kv_node **stack = NULL;
	stack = xgrow(stack, &cap, root->nkids + 1, sizeof *stack);
	for (size_t i = root->nkids; i-- > 0;)
		stack[top++] = root->kids[i];
	while (top) {
		const kv_node *n = stack[--top];
		fn(n, arg);
		stack = xgrow(stack, &cap, top + n->nkids + 1, sizeof *stack);
		for (size_t i = n->nkids; i-- > 0;)
			stack[top++] = n->kids[i];
	}
	free(stack);
}

static void sb_add_value(strbuf *sb, const kv_node *n)
{
	char hex[65];
	switch (n->type) {
	case KV_NODE:
		sb_addf(sb, "(%zu children)", n->nkids);
		break;
	case KV_INT:
		sb_addf(sb, "%" PRId64, n->v.i);
		break;
	case KV_UINT:
		sb_addf(sb, "%" PRIu64, n->v.u);
		break;
	case KV_DOUBLE:
		sb_addf(sb, "%.17g", n->v.d);
		break;
	case KV_BOOL:
		sb_adds(sb, n->v.b ? "true" : "false");
		break;
	case KV_STRING:
		sb_add_safe(sb, n->str ? n->str : "", true);
		break;
	case KV_BYTES:
		sha256_hex_of(n->bytes, n->nbytes, hex);
		sb_addf(sb, "%zu bytes sha256 %s", n->nbytes, hex);
		break;
	}
}

static void text_node(const kv_node *n, void *arg)
{
	FILE *out = arg;
	char *path = kv_path_of(n);
	strbuf sb = STRBUF_INIT;
	sb_add_safe(&sb, path, false);
	sb_addf(&sb, " (%s) ", kv_type_name(n->type));
	sb_add_value(&sb, n);
	if (n->file_object)
		sb_adds(&sb, " [file object]");
	if (n->offset != HV_NO_OFFSET)
		sb_addf(&sb, " @0x%" PRIX64, n->offset);
	fprintf(out, "%s\n", sb_str(&sb));
	sb_free(&sb);
	free(path);
}

void kv_report_tree_text(FILE *out, const kv_node *root)
{
	if (root)
		walk(root, text_node, out);
}

static json_object *json_value(const kv_node *n)
{
	switch (n->type) {
	case KV_NODE: return NULL;
	case KV_INT: return json_object_new_int64(n->v.i);
	case KV_UINT: return json_object_new_uint64(n->v.u);
	case KV_DOUBLE: return json_object_new_double(n->v.d);
	case KV_BOOL: return json_object_new_boolean(n->v.b);
	case KV_STRING: return jstr(n->str ? n->str : "");
	case KV_BYTES: return NULL;
	}
	return NULL;
}

static void json_node(const kv_node *n, void *arg)
{
	json_object *a = arg;
	json_object *o = json_object_new_object();
	char *path = kv_path_of(n);
	put(o, "path", jstr(path));
	free(path);
	put(o, "type", json_object_new_string(kv_type_name(n->type)));
	put(o, "seq", json_object_new_int64(n->seq));
	put(o, "offset", joffset(n->offset));
	if (n->type == KV_NODE) {
		put(o, "children", json_object_new_uint64(n->nkids));
	} else if (n->type == KV_BYTES) {
		char hex[65];
		sha256_hex_of(n->bytes, n->nbytes, hex);
		put(o, "length", json_object_new_uint64(n->nbytes));
		put(o, "sha256", json_object_new_string(hex));
	} else {
		put(o, "value", json_value(n));
	}
	if (n->file_object)
		put(o, "file_object", json_object_new_boolean(true));
	json_object_array_add(a, o);
}

json_object *kv_report_tree_json(const kv_node *root)
{
	json_object *o = json_object_new_object();
	json_object *a = json_object_new_array();
	if (root)
		walk(root, json_node, a);
	put(o, "nodes", a);
	return o;
}

/* ---- host registry -------------------------------------------------- */

static void text_entries(FILE *out, const char *label, const hostreg_entry *v, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		char *p = safe_dup(v[i].path, false);
		line(out, label, "%s %s", v[i].id, v[i].path ? p : "(not a string)");
		free(p);
	}
}

void hostreg_report_text(FILE *out, const hostreg *h)
{
	fprintf(out, "Hyper-V host VM registry\n");
	line_str(out, "source", h->source_path);
	if (h->has_format_version)
		line(out, "format version", "%lld", (long long)h->format_version);
	else
		line(out, "format version", "absent");
	line_str(out, "registry id", h->reg_id);
	line(out, "registered VMs", "%zu", h->nvms);
	text_entries(out, "VM", h->vms, h->nvms);
	line(out, "cache entries", "%zu", h->ncache);
	text_entries(out, "cache", h->cache, h->ncache);
	if (h->has_resource_types)
		line(out, "resource types", "%zu", h->resource_types);
	else
		line(out, "resource types", "absent");
}

static json_object *json_entries(const hostreg_entry *v, size_t n)
{
	json_object *a = json_object_new_array();
	for (size_t i = 0; i < n; i++) {
		json_object *o = json_object_new_object();
		put(o, "id", jstr(v[i].id));
		put(o, "path", jstr(v[i].path));
		put(o, "offset", joffset(v[i].offset));
		json_object_array_add(a, o);
	}
	return a;
}

json_object *hostreg_report_json(const hostreg *h)
{
	json_object *o = json_object_new_object();
	put(o, "source", jstr(h->source_path));
	put(o, "format_version", jint_if(h->has_format_version, h->format_version));
	put(o, "reg_id", jstr(h->reg_id));
	put(o, "virtual_machines", json_entries(h->vms, h->nvms));
	put(o, "virtual_machines_cache", json_entries(h->cache, h->ncache));
	put(o, "resource_types", h->has_resource_types ? json_object_new_uint64(h->resource_types)
							: NULL);
	return o;
}
