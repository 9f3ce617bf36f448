/*
 * disk_report.h - a virtual disk, its partitions, BitLocker protectors and
 * the rebuild survivability, as aligned text or JSON.
 *
 * JSON keys (snake_case, stable): format, kind, path, virtual_size,
 * logical_sector_size, physical_sector_size, dirty_log, log_entries_replayed,
 * log_replay_failed, best_effort, chain_ok, chain[] {path, format, kind,
 * data_write_guid, parent_linkage, ok, outside_tree, problem},
 * partition_scheme, partitions[] {index, scheme, type_guid, type_name,
 * mbr_type, first_lba, last_lba, offset, size, name, classification,
 * bitlocker, survivability, survivability_reason}, survivability,
 * survivability_reason, bytes_read, metadata_sha256.
 * bitlocker (null unless the partition is BitLocker): {version, identifier,
 * state {current, current_name, next, next_name}, method, method_value,
 * method_name, volume_guid, created, description, metadata_block_used
 * (1-3 or null), metadata_crc_verified, metadata_blocks[] {offset, status},
 * encrypted_size, protectors[] {guid, type, type_value, type_inferred, name,
 * last_change, recovery_key_id, recovery_key_id_inferred, win32_type,
 * possibly_escrowed}}.  recovery_key_id (first 8 hex digits of a recovery
 * password protector's GUID) and possibly_escrowed are [inferred].
 */
#ifndef HVTPM_DISK_REPORT_H
#define HVTPM_DISK_REPORT_H

#include <stdio.h>

#include <json-c/json.h>

#include "analysis/survive.h"
#include "formats/vdisk.h"

void disk_report_text(FILE *o, const disk_facts *a, const disk_survival *sv);
json_object *disk_report_json(const disk_facts *a, const disk_survival *sv);
/* The "bitlocker" object of one volume (also used by other reports). */
json_object *disk_report_bitlocker_json(const bde_volume *v);

#endif
