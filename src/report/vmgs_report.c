/*
 * vmgs_report.c - a guest state file: container, headers, devices and their
 * states, UEFI variables with the certificates of the Secure Boot
 * databases.  State contents are never dumped: their size and SHA-256.
 */
#include "report/vmgs_report.h"

#include <inttypes.h>
#include <stdlib.h>

#include "report/cert_report.h"
#include "report/out.h"
#include "report/term.h"

#define KV_WIDTH 16

/* ---- JSON ---------------------------------------------------------------------------- */

static json_object *locator_json(const vmgs_locator *l)
{
	json_object *o = json_object_new_object();
	jadd_int(o, "allocation_lba", (int64_t)l->lba);
	jadd_int(o, "allocation_count", (int64_t)l->count);
	jadd_int(o, "data_size", l->data_size);
	jadd_int(o, "offset", (int64_t)l->offset);
	jadd_bool(o, "in_bounds", l->in_bounds);
	jadd_str(o, "problem", l->problem);
	return o;
}

static json_object *header_json(const vmgs_v1_header *h)
{
	json_object *o = json_object_new_object();
	jadd_int(o, "offset", (int64_t)h->offset);
	jadd_bool(o, "present", h->present);
	jadd_bool(o, "empty", h->empty);
	jadd_bool(o, "crc_ok", h->crc_ok);
	jadd_bool(o, "valid", h->valid);
	jadd_str(o, "problem", h->problem);
	jadd_int(o, "version", h->version);
	jadd_int(o, "sequence", h->sequence);
	jadd_int(o, "active_index", h->active_index);
	json_object *a = json_object_new_array();
	for (int i = 0; i < 2; i++)
		json_object_array_add(a, locator_json(&h->loc[i]));
	json_object_object_add(o, "locators", a);
	return o;
}

static json_object *state_json(const vmgs_state *st)
{
	json_object *o = json_object_new_object();
	jadd_str(o, "name", st->name);
	jadd_str(o, "kind", vmgs_state_kind_name(st->kind));
	jadd_int(o, "size", (int64_t)st->size);
	jadd_str(o, "sha256", st->sha256[0] ? st->sha256 : NULL);
	if (st->kind == VMGS_STATE_NUMBER || st->kind == VMGS_STATE_BOOL)
		jadd_int(o, "value", st->number);
	jadd_int(o, "byte_strings", (int64_t)st->nblobs);
	jadd_str(o, "key_protector_name", st->role == VMGS_ROLE_NONE ? NULL : vmgs_role_name(st->role));
	return o;
}

static json_object *device_json(const vmgs_device *d)
{
	json_object *o = json_object_new_object();
	jadd_str(o, "key", d->key);
	jadd_str(o, "guid", d->guid[0] ? d->guid : NULL);
	jadd_str(o, "name", d->name);
	jadd_str(o, "type", d->type);
	if (d->has_version) {
		json_object *v = json_object_new_object();
		jadd_int(v, "major", d->version_major);
		jadd_int(v, "minor", d->version_minor);
		json_object_object_add(o, "version", v);
	} else {
		jadd_null(o, "version");
	}
	json_object *a = json_object_new_array();
	for (size_t i = 0; i < d->nstates; i++)
		json_object_array_add(a, state_json(&d->states[i]));
	json_object_object_add(o, "states", a);
	return o;
}

static json_object *uefi_json(const vmgs_uefi_var *u, time_t at)
{
	json_object *o = json_object_new_object();
	jadd_str(o, "vendor", u->vendor);
	jadd_str(o, "vendor_name", u->vendor_name);
	jadd_str(o, "name", u->name);
	jadd_str(o, "device", u->device);
	if (u->has_attributes)
		jadd_int(o, "attributes", u->attributes);
	else
		jadd_null(o, "attributes");
	jadd_int(o, "size", (int64_t)u->size);
	jadd_str(o, "sha256", u->has_data ? u->sha256 : NULL);
	if (u->is_signature_db) {
		json_object *s = json_object_new_object();
		jadd_int(s, "lists", (int64_t)u->nlists);
		jadd_int(s, "x509", (int64_t)u->nx509);
		jadd_int(s, "sha256", (int64_t)u->nsha256);
		jadd_int(s, "other", (int64_t)u->nother);
		jadd_bool(s, "damaged", u->siglist_bad);
		json_object *c = json_object_new_array();
		for (size_t i = 0; i < u->ncerts; i++) {
			json_object *e = json_object_new_object();
			jadd_str(e, "owner", u->certs[i].owner);
			json_object_object_add(e, "certificate", cert_report_json(&u->certs[i].cert, at));
			json_object_array_add(c, e);
		}
		json_object_object_add(s, "certificates", c);
		json_object_object_add(o, "signature_database", s);
	}
	return o;
}

static json_object *tri_json(int v)
{
	return v < 0 ? NULL : json_object_new_boolean(v != 0);
}

static json_object *copy_json(const vmgs_guest_state *g, time_t at)
{
	if (!g->present)
		return NULL;
	json_object *o = json_object_new_object();
	jadd_bool(o, "decoded", g->decoded);
	jadd_str(o, "status", hv_err_code(g->status));
	jadd_int(o, "header", g->header);
	jadd_int(o, "locator", g->locator);
	jadd_int(o, "offset", (int64_t)g->offset);
	jadd_int(o, "data_size", g->data_size);
	jadd_str(o, "sha256", g->sha256[0] ? g->sha256 : NULL);
	if (g->has_version) {
		json_object *v = json_object_new_object();
		jadd_int(v, "major", g->version_major);
		jadd_int(v, "minor", g->version_minor);
		json_object_object_add(o, "version", v);
	} else {
		jadd_null(o, "version");
	}
	json_object *d = json_object_new_array();
	for (size_t i = 0; i < g->ndevices; i++)
		json_object_array_add(d, device_json(&g->devices[i]));
	json_object_object_add(o, "devices", d);
	json_object *u = json_object_new_array();
	for (size_t i = 0; i < g->nuefi; i++)
		json_object_array_add(u, uefi_json(&g->uefi[i], at));
	json_object_object_add(o, "uefi_variables", u);
	json_object_object_add(o, "secure_boot", tri_json(g->secure_boot));
	json_object_object_add(o, "setup_mode", tri_json(g->setup_mode));
	jadd_bool(o, "platform_key_present", g->pk_present);
	jadd_int(o, "byte_strings", (int64_t)g->nblobs);
	jadd_int(o, "byte_strings_not_kept", (int64_t)g->blobs_dropped);
	return o;
}

static json_object *v3_json(const vmgs_file *g)
{
	json_object *o = json_object_new_object();
	json_object *h = json_object_new_array();
	for (int i = 0; i < 2; i++) {
		const vmgs_v3_header *x = &g->hdr3[i];
		json_object *j = json_object_new_object();
		jadd_int(j, "offset", (int64_t)x->offset);
		jadd_bool(j, "valid", x->valid);
		jadd_str(j, "problem", x->problem);
		jadd_int(j, "version", x->version);
		jadd_int(j, "sequence", x->sequence);
		jadd_int(j, "encryption_algorithm", x->encryption_algorithm);
		json_object_array_add(h, j);
	}
	json_object_object_add(o, "headers", h);
	json_object *f = json_object_new_array();
	for (size_t i = 0; i < g->nfiles; i++) {
		const vmgs_v3_file *x = &g->files[i];
		json_object *j = json_object_new_object();
		jadd_int(j, "id", x->id);
		jadd_str(j, "name", x->name);
		jadd_int(j, "size", (int64_t)x->valid_data_size);
		jadd_bool(j, "encrypted", x->encrypted);
		jadd_bool(j, "authenticated", x->authenticated);
		jadd_bool(j, "has_authentication_tag", x->has_auth_tag);
		jadd_bool(j, "in_bounds", x->in_bounds);
		jadd_str(j, "problem", x->problem);
		json_object_array_add(f, j);
	}
	json_object_object_add(o, "files", f);
	return o;
}

json_object *vmgs_report_json(const vmgs_file *g, time_t at)
{
	json_object *o = json_object_new_object();
	jadd_int(o, "version", g->version);
	json_object *c = json_object_new_object();
	jadd_str(c, "disk_format", vdisk_format_name(g->disk_format));
	jadd_str(c, "disk_kind", vdisk_kind_name(g->disk_kind));
	jadd_int(c, "disk_size", (int64_t)g->disk_size);
	jadd_int(c, "block_size", g->block_size);
	jadd_bool(c, "bare_partition", g->bare_partition);
	if (g->version == 1 && !g->bare_partition) {
		json_object *p = json_object_new_object();
		jadd_int(p, "index", g->partition_index);
		jadd_int(p, "offset", (int64_t)g->partition_offset);
		jadd_int(p, "size", (int64_t)g->partition_size);
		json_object_object_add(c, "partition", p);
	}
	json_object_object_add(o, "container", c);
	jadd_bool(o, "best_effort", g->best_effort);
	jadd_int(o, "active_header", g->active_header);
	if (g->version == 3) {
		json_object_object_add(o, "v3", v3_json(g));
		return o;
	}
	json_object *h = json_object_new_array();
	for (int i = 0; i < 2; i++)
		json_object_array_add(h, header_json(&g->hdr[i]));
	json_object_object_add(o, "headers", h);
	jadd_int(o, "sequence", g->sequence);
	jadd_int(o, "active_index", g->active_index);
	jadd_int(o, "data_size", g->data_size);
	json_object_object_add(o, "current", copy_json(&g->current, at));
	json_object_object_add(o, "older", copy_json(&g->older, at));
	return o;
}

/* ---- text ---------------------------------------------------------------------------- */

static void text_header(FILE *o, int i, const vmgs_v1_header *h, bool active)
{
	fprintf(o, "  header %d at 0x%" PRIX64 ": ", i, h->offset);
	if (!h->present) {
		fputs(h->empty ? "empty\n" : "no GUESTRTS signature\n", o);
		return;
	}
	fprintf(o, "sequence %u, locator %u%s%s%s%s\n", h->sequence, h->active_index,
		h->valid ? "" : ", INVALID: ", h->valid ? "" : (h->problem ? h->problem : "?"),
		h->crc_ok ? "" : " (CRC mismatch)", active ? " (active)" : "");
}

static void text_copy(FILE *o, const char *label, const vmgs_guest_state *g, time_t at)
{
	if (!g->present)
		return;
	fprintf(o, "  %s guest state: %u bytes at 0x%" PRIX64 " (header %d, locator %d), %s\n",
		label, g->data_size, g->offset, g->header, g->locator,
		g->decoded ? "decoded" : hv_err_name(g->status));
	if (!g->decoded)
		return;
	for (size_t i = 0; i < g->ndevices; i++) {
		const vmgs_device *d = &g->devices[i];
		fputs("    device ", o);
		term_put(o, d->key);
		fputs(d->name ? " (" : "", o);
		if (d->name)
			fprintf(o, "%s)", d->name);
		if (d->type) {
			fputs(", type ", o);
			term_put(o, d->type);
		}
		fputc('\n', o);
		for (size_t k = 0; k < d->nstates; k++) {
			const vmgs_state *st = &d->states[k];
			fputs("      ", o);
			term_put(o, st->name);
			fprintf(o, ": %s, %" PRIu64 " %s%s%s\n", vmgs_state_kind_name(st->kind), st->size,
				st->kind == VMGS_STATE_BYTES || st->kind == VMGS_STATE_STRING ? "bytes"
											 : "members",
				st->sha256[0] ? ", sha256 " : "", st->sha256);
		}
	}
	fprintf(o, "    UEFI: %zu variable(s), Secure Boot %s, platform key %s\n", g->nuefi,
		g->secure_boot < 0 ? "unknown" : g->secure_boot ? "on" : "off",
		g->pk_present ? "present" : "absent");
	for (size_t i = 0; i < g->nuefi; i++) {
		const vmgs_uefi_var *u = &g->uefi[i];
		for (size_t k = 0; k < u->ncerts; k++) {
			fputs("      ", o);
			term_put(o, u->name);
			fputs(": ", o);
			term_put(o, u->certs[k].cert.subject);
			fprintf(o, " (until %s)\n", u->certs[k].cert.not_after_iso);
		}
	}
	(void)at;
}

void vmgs_report_text(FILE *o, const vmgs_file *g, time_t at)
{
	out_kv(o, "  ", KV_WIDTH, "guest state", "VMGS v%d in a %s %s disk of %" PRIu64 " bytes%s",
	       g->version, vdisk_kind_name(g->disk_kind), vdisk_format_name(g->disk_format),
	       g->disk_size, g->best_effort ? " (best effort: damaged)" : "");
	if (g->version == 3) {
		for (size_t i = 0; i < g->nfiles; i++)
			fprintf(o, "  file %u %s: %" PRIu64 " bytes%s\n", g->files[i].id,
				g->files[i].name, g->files[i].valid_data_size,
				g->files[i].encrypted ? ", encrypted" : "");
		return;
	}
	if (!g->bare_partition)
		out_kv(o, "  ", KV_WIDTH, "partition", "%u at 0x%" PRIX64 ", %" PRIu64 " bytes",
		       g->partition_index, g->partition_offset, g->partition_size);
	for (int i = 0; i < 2; i++)
		text_header(o, i, &g->hdr[i], g->active_header == i);
	text_copy(o, "current", &g->current, at);
	text_copy(o, "older", &g->older, at);
}
