/* inspect_report.c - everything read from one file, as text or JSON. */
#include "report/inspect_report.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "analysis/survive.h"
#include "report/disk_report.h"
#include "report/findings_report.h"
#include "report/kp_report.h"
#include "report/out.h"
#include "report/pfx_report.h"
#include "util/xalloc.h"
#include "report/store_report.h"
#include "report/term.h"
#include "report/vm_report.h"
#include "report/vmgs_report.h"
#include "util/strbuf.h"

#define KV_WIDTH 16

/* ---- shared --------------------------------------------------------------------------- */

/* The current and the last-known-good protectors of a file, when it has both. */
static bool current_and_lkg(const file_facts *x, const kp_doc **cur, const kp_doc **lkg)
{
	*cur = *lkg = NULL;
	for (size_t i = 0; i < x->nkps; i++) {
		const ev_kp *k = &x->kps[i].kp;
		if (!k->doc)
			continue;
		if (k->origin == KP_CURRENT && !*cur)
			*cur = k->doc;
		else if (k->origin == KP_LKG && !*lkg)
			*lkg = k->doc;
	}
	return *cur && *lkg;
}

/* Files searched as a whole (guest state, unknown containers). */
static bool scanned(const file_facts *x)
{
	return x->format_id && !x->vmgs && (strcmp(x->format_id, "scan") == 0 ||
					    strcmp(x->format_id, "guest_state") == 0);
}

/* ---- text ----------------------------------------------------------------------------- */

static void text_header(FILE *o, const file_facts *x)
{
	fputs(out_c(C_BOLD), o);
	term_put(o, x->path);
	fprintf(o, "%s\n", out_c(C_NONE));
	if (x->format_id)
		out_kv(o, "  ", KV_WIDTH, "format", "%s (%s)", x->format_desc, x->format_id);
	else
		out_kv(o, "  ", KV_WIDTH, "format", "not recognised");
	char *what = term_escape(x->what);
	out_kv(o, "  ", KV_WIDTH, "what", "%s", what);
	free(what);
	if (x->cls != EVC_USED || x->status != HV_OK) {
		char *err = term_escape(x->error ? x->error : "");
		out_kv(o, "  ", KV_WIDTH, "class", "%s%s%s%s%s", x->cls == EVC_USED ? "" : out_c(C_RED),
		       ev_class_name(x->cls), x->cls == EVC_USED ? "" : out_c(C_NONE),
		       *err ? ": " : "", err);
		free(err);
	}
	if (x->sha256[0])
		out_kv(o, "  ", KV_WIDTH, "sha256", "%s%s", x->sha256,
		       x->sha256_metadata ? " (of the metadata read)" : "");
	out_kv(o, "  ", KV_WIDTH, "size", "%" PRIu64 " bytes", x->size);
}

static void text_kps(FILE *o, const file_facts *x, time_t at)
{
	for (size_t i = 0; i < x->nkps; i++) {
		const fact_kp *k = &x->kps[i];
		fputs("\n  key protector: ", o);
		term_put(o, k->kp.location);
		fprintf(o, " (%s%s)%s\n", kp_origin_name(k->kp.origin),
			k->kp.heuristic ? ", heuristic" : "",
			k->kp.empty ? ": empty (no key protector)" : "");
		if (k->rc != HV_OK) {
			fprintf(o, "    does not decode: %s\n", hv_err_name(k->rc));
			continue;
		}
		if (k->input)
			kp_input_report_text(o, k->input);
		if (k->kp.doc)
			kp_report_text(o, k->kp.doc, at);
	}
	const kp_doc *cur, *lkg;
	if (current_and_lkg(x, &cur, &lkg)) {
		kp_diff diff;
		kp_compare(cur, lkg, &diff);
		kp_compare_report_text(o, &diff);
		kp_diff_free(&diff);
	}
}

static void text_repos(FILE *o, const file_facts *x)
{
	for (size_t i = 0; i < x->nrepos; i++) {
		const fact_repo *r = &x->repos[i];
		fprintf(o, "\n  embedded HyperVStorage repository at 0x%" PRIX64 " (heuristic)\n",
			r->offset);
		store_report_text(o, &r->store);
		if (r->has_vm)
			vm_report_text(o, &r->vm);
	}
	if (x->carve_candidates || x->carve_hits)
		fprintf(o, "\n  carving: %zu Protector document(s) seen, %zu key protector(s) kept\n",
			x->carve_candidates, x->carve_hits);
	if (scanned(x) && !x->nkps && !x->nrepos)
		fputs("  nothing found: no embedded HyperVStorage repository, no key protector "
		      "document\n", o);
}

static void text_disk(FILE *o, const disk_facts *d)
{
	disk_survival sv;
	survive_disk(d, &sv);
	disk_report_text(o, d, &sv);
	disk_survival_free(&sv);
}

void inspect_report_text(FILE *o, const file_facts *x, const inspect_report_opts *ro)
{
	text_header(o, x);
	if (x->store)
		store_report_text(o, x->store);
	if (x->host)
		hostreg_report_text(o, x->host);
	if (x->vm)
		vm_report_text(o, x->vm);
	if (x->pfx)
		pfx_report_text(o, x->path, x->pfx, ro->at);
	if (x->certfile)
		certfile_report_text(o, x->path, x->certfile, ro->at);
	if (x->guardian)
		guardian_report_text(o, x->guardian, ro->at);
	if (x->disk)
		text_disk(o, x->disk);
	if (x->vmgs)
		vmgs_report_text(o, x->vmgs, ro->at);
	text_kps(o, x, ro->at);
	text_repos(o, x);
	if (ro->tree && x->tree) {
		fputs("\n  tree:\n", o);
		kv_report_tree_text(o, x->tree);
	}
}

/* ---- JSON ----------------------------------------------------------------------------- */

static json_object *kp_json(const fact_kp *k, time_t at)
{
	json_object *o = json_object_new_object();
	jadd_str(o, "location", k->kp.location);
	jadd_str(o, "origin", kp_origin_name(k->kp.origin));
	jadd_bool(o, "heuristic", k->kp.heuristic);
	jadd_str(o, "form", k->kp.form);
	jadd_bool(o, "empty", k->kp.empty);
	jadd_str(o, "payload_sha256", k->kp.sha256[0] ? k->kp.sha256 : NULL);
	json_object_object_add(o, "input", k->input ? kp_input_report_json(k->input) : NULL);
	json_object_object_add(o, "key_protector", k->kp.doc ? kp_report_json(k->kp.doc, at) : NULL);
	jadd_str(o, "error", k->rc == HV_OK ? NULL : hv_err_code(k->rc));
	return o;
}

static void json_kps(json_object *j, const file_facts *x, time_t at)
{
	if (!x->nkps && !x->vm && x->kind != EV_KEY_PROTECTOR)
		return;
	json_object *a = json_object_new_array();
	for (size_t i = 0; i < x->nkps; i++)
		json_object_array_add(a, kp_json(&x->kps[i], at));
	json_object_object_add(j, "key_protectors", a);
	const kp_doc *cur, *lkg;
	if (current_and_lkg(x, &cur, &lkg)) {
		kp_diff diff;
		kp_compare(cur, lkg, &diff);
		json_object_object_add(j, "current_vs_last_known_good", kp_compare_report_json(&diff));
		kp_diff_free(&diff);
	}
}

static void json_repos(json_object *j, const file_facts *x)
{
	if (x->nrepos || scanned(x)) {
		json_object *a = json_object_new_array();
		for (size_t i = 0; i < x->nrepos; i++) {
			const fact_repo *r = &x->repos[i];
			json_object *o = json_object_new_object();
			jadd_int(o, "offset", (int64_t)r->offset);
			json_object_object_add(o, "container", store_report_json(&r->store));
			json_object_object_add(o, "vm", r->has_vm ? vm_report_json(&r->vm) : NULL);
			json_object_array_add(a, o);
		}
		json_object_object_add(j, "embedded_repositories", a);
		json_object *c = json_object_new_object();
		jadd_int(c, "candidates", (int64_t)x->carve_candidates);
		jadd_int(c, "hits", (int64_t)x->carve_hits);
		json_object_object_add(j, "carve", c);
	}
}

static json_object *disk_json(const disk_facts *d)
{
	disk_survival sv;
	survive_disk(d, &sv);
	json_object *o = disk_report_json(d, &sv);
	disk_survival_free(&sv);
	return o;
}

static void json_identity(json_object *j, const file_facts *x)
{
	jadd_str(j, "path", x->path);
	jadd_str(j, "sha256", x->sha256[0] ? x->sha256 : NULL);
	jadd_str(j, "sha256_scope", x->sha256[0] ? (x->sha256_metadata ? "metadata" : "file")
						 : NULL);
	jadd_int(j, "size", (int64_t)x->size);
	if (x->format_id) {
		json_object *f = json_object_new_object();
		jadd_str(f, "id", x->format_id);
		jadd_str(f, "description", x->format_desc);
		json_object_object_add(j, "format", f);
	} else {
		jadd_null(j, "format");
	}
	jadd_str(j, "class", ev_class_name(x->cls));
	jadd_str(j, "status", hv_err_code(x->status));
	jadd_str(j, "error", x->error);
	jadd_str(j, "what", x->what);
	jadd_str(j, "claimed_format", x->claimed);
	json_object_object_add(j, "findings", findings_json(&x->findings));
}

json_object *inspect_report_json(const file_facts *x, const inspect_report_opts *ro)
{
	json_object *j = json_object_new_object();
	json_identity(j, x);
	if (x->store)
		json_object_object_add(j, "container", store_report_json(x->store));
	if (x->host)
		json_object_object_add(j, "host_registry", hostreg_report_json(x->host));
	if (x->vm)
		json_object_object_add(j, "vm", vm_report_json(x->vm));
	json_kps(j, x, ro->at);
	if (x->pfx)
		json_object_object_add(j, "pfx", pfx_report_json(x->path, x->pfx, ro->at));
	if (x->certfile)
		json_object_object_add(j, "certificates",
				       certfile_report_json(x->path, x->certfile, ro->at));
	if (x->guardian)
		json_object_object_add(j, "guardian", guardian_report_json(x->guardian, ro->at));
	if (x->disk)
		json_object_object_add(j, "disk", disk_json(x->disk));
	if (x->vmgs)
		json_object_object_add(j, "guest_state", vmgs_report_json(x->vmgs, ro->at));
	json_repos(j, x);
	if (ro->tree && x->tree)
		json_object_object_add(j, "tree", kv_report_tree_json(x->tree));
	return j;
}

/* ---- the streamed document ------------------------------------------------------------ */


void inspect_json_begin(FILE *o, const char *generated_at)
{
	json_object *t = json_text(generated_at);
	fprintf(o, "{\n  \"schema_version\": %d,\n  \"tool\": \"hvtpm %s\",\n  \"generated_at\": %s,\n"
		   "  \"files\": [",
		HVTPM_SCHEMA_VERSION, HVTPM_VERSION, json_object_to_json_string(t));
	json_object_put(t);
}

char *inspect_json_file_text(json_object *file, size_t *len)
{
	return out_json_nested_text(file, "    ", "    ", len);
}

void inspect_json_file_put(FILE *o, const char *text, size_t len, size_t index)
{
	fputs(index ? ",\n" : "\n", o);
	fwrite(text, 1, len, o);
}

void inspect_json_end(FILE *o, const size_t nclass[], size_t nfiles, int exit_code)
{
	json_object *s = json_object_new_object();
	jadd_int(s, "files", (int64_t)nfiles);
	json_object *c = json_object_new_object();
	for (int i = 0; i < EVC_COUNT; i++)
		jadd_int(c, ev_class_name((ev_class)i), (int64_t)nclass[i]);
	json_object_object_add(s, "classes", c);
	jadd_int(s, "exit_code", exit_code);
	fputs(nfiles ? "\n  ],\n  \"summary\": " : "],\n  \"summary\": ", o);
	const char *str = json_object_to_json_string_ext(s, JSON_C_TO_STRING_PRETTY |
							      JSON_C_TO_STRING_SPACED);
	out_indented(o, str, "  ");
	fputs("\n}\n", o);
	json_object_put(s);
}
