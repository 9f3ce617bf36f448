/* facts_fields.c - the disk facts' field tables (model/facts_fields.h). */
#include "model/facts_fields.h"

_Static_assert(sizeof(vdisk_format) == sizeof(int), "enums are int-sized");
_Static_assert(sizeof(bde_boot_kind) == sizeof(int), "enums are int-sized");
_Static_assert(sizeof(hv_err) == sizeof(int), "enums are int-sized");

const fdesc layer_f[] = {
	FS(disk_layer, path), FE(disk_layer, format, VDISK_FMT_VHDX),
	FE(disk_layer, kind, VDISK_KIND_DIFFERENCING), F64(disk_layer, file_size),
	FC(disk_layer, data_write_guid), FS(disk_layer, parent_linkage), FB(disk_layer, ok),
	FB(disk_layer, outside_tree), FS(disk_layer, problem),
};

const fdesc disk_f[] = {
	FE(disk_facts, format, VDISK_FMT_VHDX), FE(disk_facts, kind, VDISK_KIND_DIFFERENCING),
	F64(disk_facts, virtual_size), F32(disk_facts, logical_sector_size),
	F32(disk_facts, physical_sector_size), FB(disk_facts, dirty_log),
	F32(disk_facts, log_replayed), FB(disk_facts, log_replay_failed),
	FB(disk_facts, best_effort), FB(disk_facts, chain_ok), F64(disk_facts, bytes_read),
	FC(disk_facts, metadata_sha256), FE(disk_facts, parts_rc, HV_ERR_INTERNAL),
};

const fdesc table_f[] = {
	FE(part_table, scheme, PART_SCHEME_GPT), F32(part_table, sector_size),
	FH(part_table, disk_guid), FC(part_table, disk_guid_str), FB(part_table, protective_mbr),
	FB(part_table, gpt_backup_used), FB(part_table, gpt_primary_bad),
	FB(part_table, gpt_backup_bad),
};

const fdesc part_f[] = {
	FU(part_entry, index), FE(part_entry, scheme, PART_SCHEME_GPT), FH(part_entry, type_guid),
	FH(part_entry, unique_guid), FC(part_entry, type_guid_str), { "mbr_type", FT_U16, 0, 0 },
	FP(part_entry, type_name), F64(part_entry, first_lba), F64(part_entry, last_lba),
	F64(part_entry, offset), F64(part_entry, size), F64(part_entry, attributes),
	FS(part_entry, name), FE(part_entry, cls, PART_CLASS_UNREADABLE),
	FE(part_entry, boot_kind, BDE_BOOT_BITLOCKER_UNKNOWN_ID),
};

const fdesc vol_f[] = {
	FE(bde_volume, boot_kind, BDE_BOOT_BITLOCKER_UNKNOWN_ID), FU(bde_volume, version),
	F16(bde_volume, bytes_per_sector), FI(bde_volume, block_used),
	FB(bde_volume, crc_verified), FB(bde_volume, copies_differ),
	F16(bde_volume, state_current), F16(bde_volume, state_next),
	F64(bde_volume, encrypted_size), F32(bde_volume, method_raw), F16(bde_volume, method),
	FH(bde_volume, volume_guid), FC(bde_volume, volume_guid_str),
	F64(bde_volume, creation_time), FS(bde_volume, description),
	F64(bde_volume, volume_header_offset), F64(bde_volume, volume_header_size),
	FB(bde_volume, has_fvek), F32(bde_volume, unknown_entries),
};

const fdesc prot_f[] = {
	FH(bde_protector, guid), FC(bde_protector, guid_str), F64(bde_protector, last_change),
	F16(bde_protector, type_value), F16(bde_protector, entry_version),
	F32(bde_protector, entry_offset), FS(bde_protector, name),
	FB(bde_protector, has_stretch_key), FB(bde_protector, has_use_key),
	FB(bde_protector, has_aes_ccm), FB(bde_protector, has_tpm_blob),
	FB(bde_protector, has_clear_key), FB(bde_protector, has_public_key),
	FB(bde_protector, possibly_escrowed), FC(bde_protector, recovery_key_id),
};

const size_t layer_fn = sizeof(layer_f) / sizeof(layer_f[0]);
const size_t disk_fn = sizeof(disk_f) / sizeof(disk_f[0]);
const size_t table_fn = sizeof(table_f) / sizeof(table_f[0]);
const size_t part_fn = sizeof(part_f) / sizeof(part_f[0]);
const size_t vol_fn = sizeof(vol_f) / sizeof(vol_f[0]);
const size_t prot_fn = sizeof(prot_f) / sizeof(prot_f[0]);

void facts_hex16(char out[33], const uint8_t *b)
{
	static const char hx[] = "0123456789abcdef";
	for (int i = 0; i < 16; i++) {
		out[2 * i] = hx[b[i] >> 4];
		out[2 * i + 1] = hx[b[i] & 15];
	}
	out[32] = '\0';
}


bool facts_hex_val(char c, unsigned *v)
{
	if (c >= '0' && c <= '9')
		*v = (unsigned)(c - '0');
	else if (c >= 'a' && c <= 'f')
		*v = (unsigned)(c - 'a' + 10);
	else
		return false;
	return true;
}
