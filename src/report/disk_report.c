/* disk_report.c - virtual disk, partitions, BitLocker protectors: text and JSON. */
#include "report/disk_report.h"

#include <inttypes.h>
#include <stdlib.h>

#include "report/out.h"
#include "report/term.h"
#include "util/text.h"

#define KV_WIDTH 17

/* ---- JSON ---- */

static json_object *chain_json(const disk_facts *d)
{
	json_object *a = json_object_new_array();
	for (size_t i = 0; i < d->nchain; i++) {
		const disk_layer *l = &d->chain[i];
		json_object *o = json_object_new_object();
		jadd_str(o, "path", l->path);
		jadd_str(o, "format", vdisk_format_name(l->format));
		jadd_str(o, "kind", vdisk_kind_name(l->kind));
		jadd_str(o, "data_write_guid", l->data_write_guid[0] ? l->data_write_guid : NULL);
		jadd_str(o, "parent_linkage", l->parent_linkage);
		jadd_bool(o, "ok", l->ok);
		jadd_bool(o, "outside_tree", l->outside_tree);
		jadd_str(o, "problem", l->problem);
		json_object_array_add(a, o);
	}
	return a;
}

static void add_time(json_object *o, const char *key, uint64_t ft)
{
	char iso[32];
	jadd_str(o, key, filetime_to_iso(ft, iso) ? iso : NULL);
}

static json_object *protector_json(const bde_protector *p)
{
	json_object *o = json_object_new_object();
	jadd_str(o, "guid", p->guid_str);
	const char *id = bde_protection_id(p->type_value);
	jadd_str(o, "type", id ? id : "unknown");
	jadd_int(o, "type_value", p->type_value);
	jadd_bool(o, "type_inferred", bde_protection_inferred(p->type_value));
	jadd_str(o, "name", p->name);
	add_time(o, "last_change", p->last_change);
	jadd_str(o, "recovery_key_id", p->recovery_key_id[0] ? p->recovery_key_id : NULL);
	jadd_bool(o, "recovery_key_id_inferred", p->recovery_key_id[0] != '\0');
	int w = bde_win32_protector_type(p->type_value);
	if (w >= 0)
		jadd_int(o, "win32_type", w);
	else
		jadd_null(o, "win32_type");
	jadd_bool(o, "possibly_escrowed", p->possibly_escrowed);
	return o;
}

json_object *disk_report_bitlocker_json(const bde_volume *v)
{
	json_object *o = json_object_new_object();
	jadd_int(o, "version", v->version);
	jadd_str(o, "identifier", bde_boot_kind_name(v->boot_kind));
	json_object *st = json_object_new_object();
	jadd_int(st, "current", v->state_current);
	jadd_str(st, "current_name", bde_state_name(v->state_current));
	jadd_int(st, "next", v->state_next);
	jadd_str(st, "next_name", bde_state_name(v->state_next));
	json_object_object_add(o, "state", st);
	const char *m = bde_method_id(v->method);
	jadd_str(o, "method", m ? m : "unknown");
	jadd_int(o, "method_value", v->method);
	jadd_str(o, "method_name", bde_method_name(v->method));
	jadd_str(o, "volume_guid", v->block_used >= 0 ? v->volume_guid_str : NULL);
	add_time(o, "created", v->creation_time);
	jadd_str(o, "description", v->description);
	if (v->block_used >= 0)
		jadd_int(o, "metadata_block_used", v->block_used + 1);
	else
		jadd_null(o, "metadata_block_used");
	jadd_bool(o, "metadata_crc_verified", v->crc_verified);
	json_object *bl = json_object_new_array();
	for (int i = 0; i < BDE_BLOCKS; i++) {
		json_object *b = json_object_new_object();
		jadd_int(b, "offset", (int64_t)v->block_offset[i]);
		jadd_str(b, "status", bde_block_status_name(v->block_status[i]));
		json_object_array_add(bl, b);
	}
	json_object_object_add(o, "metadata_blocks", bl);
	jadd_int(o, "encrypted_size", (int64_t)v->encrypted_size);
	json_object *pa = json_object_new_array();
	for (size_t i = 0; i < v->nprot; i++)
		json_object_array_add(pa, protector_json(&v->prot[i]));
	json_object_object_add(o, "protectors", pa);
	return o;
}

static json_object *partition_json(const disk_facts *a, const disk_survival *sv, size_t i)
{
	const part_entry *p = &a->parts.v[i];
	json_object *o = json_object_new_object();
	jadd_int(o, "index", p->index);
	jadd_str(o, "scheme", part_scheme_name(p->scheme));
	jadd_str(o, "type_guid", p->type_guid_str[0] ? p->type_guid_str : NULL);
	jadd_str(o, "type_name", p->type_name);
	if (p->scheme == PART_SCHEME_MBR)
		jadd_int(o, "mbr_type", p->mbr_type);
	else
		jadd_null(o, "mbr_type");
	jadd_int(o, "first_lba", (int64_t)p->first_lba);
	jadd_int(o, "last_lba", (int64_t)p->last_lba);
	jadd_int(o, "offset", (int64_t)p->offset);
	jadd_int(o, "size", (int64_t)p->size);
	jadd_str(o, "name", p->name);
	jadd_str(o, "classification", part_class_name(p->cls));
	if (part_class_is_bitlocker(p->cls))
		json_object_object_add(o, "bitlocker", disk_report_bitlocker_json(&a->vols[i]));
	else
		jadd_null(o, "bitlocker");
	jadd_str(o, "survivability", surv_kind_id(sv->surv[i].kind));
	jadd_str(o, "survivability_reason", sv->surv[i].reason);
	return o;
}

json_object *disk_report_json(const disk_facts *a, const disk_survival *sv)
{
	json_object *o = json_object_new_object();
	jadd_str(o, "format", vdisk_format_name(a->format));
	jadd_str(o, "kind", vdisk_kind_name(a->kind));
	jadd_str(o, "path", a->nchain ? a->chain[0].path : NULL);
	jadd_int(o, "virtual_size", (int64_t)a->virtual_size);
	jadd_int(o, "logical_sector_size", a->logical_sector_size);
	jadd_int(o, "physical_sector_size", a->physical_sector_size);
	jadd_bool(o, "dirty_log", a->dirty_log);
	jadd_int(o, "log_entries_replayed", a->log_replayed);
	jadd_bool(o, "log_replay_failed", a->log_replay_failed);
	jadd_bool(o, "best_effort", a->best_effort);
	jadd_bool(o, "chain_ok", a->chain_ok);
	json_object_object_add(o, "chain", chain_json(a));
	jadd_str(o, "partition_scheme", part_scheme_name(a->parts.scheme));
	json_object *pa = json_object_new_array();
	for (size_t i = 0; i < a->parts.n; i++)
		json_object_array_add(pa, partition_json(a, sv, i));
	json_object_object_add(o, "partitions", pa);
	jadd_str(o, "survivability", surv_kind_id(sv->overall.kind));
	jadd_str(o, "survivability_reason", sv->overall.reason);
	jadd_int(o, "bytes_read", (int64_t)a->bytes_read);
	jadd_str(o, "metadata_sha256", a->metadata_sha256);
	return o;
}

/* ---- text ---- */

static void text_chain(FILE *o, const disk_facts *d)
{
	for (size_t i = 0; i < d->nchain; i++) {
		const disk_layer *l = &d->chain[i];
		char *path = term_escape(l->path), *why = term_escape(l->problem ? l->problem : "?");
		fprintf(o, "  %s%zu %s (%s %s)%s%s\n", i ? "<- " : "   ", i, path,
			vdisk_format_name(l->format), vdisk_kind_name(l->kind),
			l->ok ? "" : "  BROKEN: ", l->ok ? "" : why);
		free(path);
		free(why);
	}
}

static void text_partitions(FILE *o, const disk_facts *a)
{
	fprintf(o, "Partitions (%s, %u-byte sectors):\n", part_scheme_name(a->parts.scheme),
		a->parts.sector_size);
	if (a->parts.n == 0) {
		fprintf(o, "  (none)\n");
		return;
	}
	fprintf(o, "  %-3s %-28s %12s %12s  %-26s %s\n", "#", "type", "first LBA", "last LBA",
		"classification", "name");
	for (size_t i = 0; i < a->parts.n; i++) {
		const part_entry *p = &a->parts.v[i];
		char *name = term_escape(p->name ? p->name : "");
		fprintf(o, "  %-3u %-28s %12" PRIu64 " %12" PRIu64 "  %-26s %s\n", p->index,
			p->type_name ? p->type_name : "", p->first_lba, p->last_lba,
			part_class_name(p->cls), name);
		free(name);
	}
}

static void text_protector(FILE *o, const bde_protector *p)
{
	char iso[32];
	fprintf(o, "    %s  %s (0x%04X)%s\n", p->guid_str, bde_protection_name(p->type_value),
		p->type_value, bde_protection_inferred(p->type_value) ? " [inferred]" : "");
	if (p->recovery_key_id[0])
		fprintf(o, "      recovery key ID: %s [inferred]\n", p->recovery_key_id);
	if (filetime_to_iso(p->last_change, iso))
		fprintf(o, "      last change:     %s\n", iso);
	if (p->name) {
		fputs("      name:            ", o);
		term_put(o, p->name);
		fputc('\n', o);
	}
	if (p->possibly_escrowed)
		fprintf(o, "      hint:            backup information present (possibly escrowed)\n");
}

static void text_bitlocker(FILE *o, const bde_volume *v, hv_err rc)
{
	char iso[32];
	const char *in = "    ";
	out_kv(o, in, KV_WIDTH, "Identifier", "%s (version %u)", bde_boot_kind_name(v->boot_kind),
	       v->version);
	if (rc != HV_OK) {
		out_kv(o, in, KV_WIDTH, "Metadata", "not read (%s)", hv_err_name(rc));
		return;
	}
	out_kv(o, in, KV_WIDTH, "State", "%s (%u) -> %s (%u)", bde_state_name(v->state_current),
	       v->state_current, bde_state_name(v->state_next), v->state_next);
	out_kv(o, in, KV_WIDTH, "Method", "%s (0x%04X)", bde_method_name(v->method), v->method);
	out_kv(o, in, KV_WIDTH, "Volume GUID", "%s", v->volume_guid_str);
	out_kv(o, in, KV_WIDTH, "Created", "%s",
	       filetime_to_iso(v->creation_time, iso) ? iso : "(none)");
	char *desc = term_escape(v->description ? v->description : "(none)");
	out_kv(o, in, KV_WIDTH, "Description", "%s", desc);
	free(desc);
	out_kv(o, in, KV_WIDTH, "Metadata copies", "%s, %s, %s; copy %d used%s",
	       bde_block_status_name(v->block_status[0]), bde_block_status_name(v->block_status[1]),
	       bde_block_status_name(v->block_status[2]), v->block_used + 1,
	       v->crc_verified ? "" : " (CRC not verified)");
	fprintf(o, "  Protectors (%zu):\n", v->nprot);
	for (size_t i = 0; i < v->nprot; i++)
		text_protector(o, &v->prot[i]);
}

void disk_report_text(FILE *o, const disk_facts *a, const disk_survival *sv)
{
	char *path = term_escape(a->nchain ? a->chain[0].path : "");
	out_kv(o, "", KV_WIDTH, "Disk", "%s", path);
	free(path);
	out_kv(o, "", KV_WIDTH, "Format", "%s (%s)", vdisk_format_name(a->format),
	       vdisk_kind_name(a->kind));
	out_kv(o, "", KV_WIDTH, "Virtual size", "%" PRIu64 " bytes", a->virtual_size);
	out_kv(o, "", KV_WIDTH, "Sector size", "%u logical, %u physical", a->logical_sector_size,
	       a->physical_sector_size);
	out_kv(o, "", KV_WIDTH, "Dirty log", "%s", !a->dirty_log ? "no"
	       : a->log_replay_failed ? "yes, NOT replayed (best effort)"
				      : "yes, replayed in memory");
	out_kv(o, "", KV_WIDTH, "Chain", "%s", a->chain_ok ? "ok" : "BROKEN");
	text_chain(o, a);
	text_partitions(o, a);
	for (size_t i = 0; i < a->parts.n; i++) {
		const part_entry *p = &a->parts.v[i];
		if (!part_class_is_bitlocker(p->cls))
			continue;
		fprintf(o, "BitLocker volume in partition %u:\n", p->index);
		text_bitlocker(o, &a->vols[i], a->vol_rc[i]);
		fprintf(o, "  Survivability: %s: ", surv_kind_id(sv->surv[i].kind));
		term_put(o, sv->surv[i].reason ? sv->surv[i].reason : "");
		fputc('\n', o);
	}
	out_kv(o, "", KV_WIDTH, "Survivability", "%s%s", surv_kind_id(sv->overall.kind),
	       a->best_effort ? " (best effort)" : "");
	char *why = term_escape(sv->overall.reason ? sv->overall.reason : "");
	out_kv(o, "", KV_WIDTH, "Reason", "%s", why);
	free(why);
	out_kv(o, "", KV_WIDTH, "Bytes read", "%" PRIu64, a->bytes_read);
	out_kv(o, "", KV_WIDTH, "Metadata SHA-256", "%s", a->metadata_sha256);
}
