/*
 * vmgs_report.h - a guest state file (formats/vmgs.h) as text or JSON.
 *
 * JSON: {version, container {disk_format, disk_kind, disk_size, block_size,
 * bare_partition, partition {index, offset, size}}, best_effort,
 * active_header, headers[2] {offset, present, empty, crc_ok, valid,
 * problem, version, sequence, active_index, locators[2] {allocation_lba,
 * allocation_count, data_size, offset, in_bounds, problem}}, sequence,
 * active_index, data_size, current, older} where a copy is {decoded,
 * status, header, locator, offset, data_size, sha256, version {major,
 * minor}, devices[] {key, guid, name, type, version, states[] {name, kind,
 * size, sha256, value, byte_strings, key_protector_name}}, uefi_variables[]
 * {vendor, vendor_name, name, device, attributes, size, sha256,
 * signature_database {lists, x509, sha256, other, damaged,
 * certificates[] {owner, certificate}}}, secure_boot, setup_mode,
 * platform_key_present, byte_strings, byte_strings_not_kept} or null; for
 * v3 a "v3" object {headers[], files[] {id, name, size, encrypted,
 * authenticated, has_authentication_tag, in_bounds, problem}}.
 */
#ifndef HVTPM_VMGS_REPORT_H
#define HVTPM_VMGS_REPORT_H

#include <stdio.h>
#include <time.h>

#include <json-c/json.h>

#include "formats/vmgs.h"

void vmgs_report_text(FILE *o, const vmgs_file *g, time_t at);
json_object *vmgs_report_json(const vmgs_file *g, time_t at);

#endif
