/*
 * vm_report.h - text and JSON output of a VM model, a host registry and a
 * whole configuration key/value tree.
 *
 * Output never contains raw key material: byte arrays are shown as their
 * length and SHA-256.  Strings from evidence are printed safely (control
 * characters escaped, invalid UTF-8 replaced).  JSON field names are stable
 * snake_case; absent values are null.
 */
#ifndef HVTPM_VM_REPORT_H
#define HVTPM_VM_REPORT_H

#include <stdio.h>

#include <json-c/json.h>

#include "formats/kvtree.h"
#include "model/hostreg.h"
#include "model/vm.h"

/* Aligned "label: value" summary. */
void vm_report_text(FILE *out, const vm_model *vm);
/* New JSON object (caller puts it). */
json_object *vm_report_json(const vm_model *vm);

/* One line per node: path, type, value. */
void kv_report_tree_text(FILE *out, const kv_node *root);
/* {"nodes": [{"path", "type", "seq", "offset", "value" | "length"+"sha256"}...]} */
json_object *kv_report_tree_json(const kv_node *root);

void hostreg_report_text(FILE *out, const hostreg *h);
json_object *hostreg_report_json(const hostreg *h);

#endif
