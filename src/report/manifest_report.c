/* manifest_report.c - the export manifest check as text and JSON. */
#include "report/manifest_report.h"

#include <stdint.h>

#include "report/out.h"
#include "report/table.h"
#include "report/term.h"
#include "util/text.h"

const char *manifest_status_id(export_status s)
{
	switch (s) {
	case EXPORT_ST_OK:
		return "ok";
	case EXPORT_ST_UNCHECKED:
		return "unchecked";
	case EXPORT_ST_MISSING:
		return "missing";
	case EXPORT_ST_CHANGED:
		return "changed";
	case EXPORT_ST_NO_OPEN:
		return "does_not_open";
	case EXPORT_ST_NO_KEY:
		return "no_private_key";
	}
	return "unchecked";
}

static const export_fact *fact_of(const evidence *e, const mc_entry *c)
{
	return &ev_file_manifest(&e->files[c->manifest])->v[c->entry];
}

void manifest_entry_label(strbuf *sb, const evidence *e, const mc_entry *c)
{
	const export_fact *x = fact_of(e, c);
	sb_addf(sb, "%s certificate of %s", cert_role_name(x->role), x->host ? x->host : "?");
}

void manifest_reason(strbuf *sb, const evidence *e, const mc_entry *c, size_t npasswords)
{
	const ev_file *f = c->file != SIZE_MAX ? &e->files[c->file] : NULL;
	switch (c->status) {
	case EXPORT_ST_OK:
		sb_adds(sb, "unchanged since the export; opens and holds the private key");
		return;
	case EXPORT_ST_UNCHECKED:
		sb_adds(sb, "unchanged since the export; not opened: ");
		if (f && f->cls == EVC_SKIPPED && ev_file_error(f)) /* left out by policy */
			sb_adds(sb, ev_file_error(f));
		else if (!npasswords)
			sb_adds(sb, "no password was given (--password-file, --ask-password)");
		else
			sb_adds(sb, f ? ev_file_error_or(f, "left out") : "left out");
		return;
	case EXPORT_ST_MISSING:
		sb_adds(sb, "no file of that name beside the manifest: restore it from a second "
			    "copy, or export again on the host");
		return;
	case EXPORT_ST_CHANGED:
		sb_adds(sb, "its SHA-256 differs from the one the manifest records: replaced or "
			    "damaged since the export");
		return;
	case EXPORT_ST_NO_OPEN:
		if (f && f->kind == EV_PFX && f->status == HV_ERR_PASSWORD)
			sb_addf(sb, "unchanged, but none of the %zu password(s) given opens it", npasswords);
		else if (f && ev_file_error(f))
			sb_addf(sb, "does not open: %s", ev_file_error(f));
		else
			sb_adds(sb, "does not open: not a readable PFX file");
		return;
	case EXPORT_ST_NO_KEY:
		if (f && f->kind == EV_PFX && f->status == HV_OK)
			sb_adds(sb, "opens, but does not hold this certificate with its private key");
		else
			sb_adds(sb, "the export recorded it without its private key");
		return;
	}
}

/* ---- text ---------------------------------------------------------------------------- */

void manifest_report_text(FILE *o, const evidence *e, const mc_result *r, size_t npasswords,
			  size_t width)
{
	if (!r->nm)
		return;
	strbuf sb = STRBUF_INIT;
	sb_addf(&sb, "Export manifests (%zu): %zu certificate%s listed, %zu with problems", r->nm,
		r->n, r->n == 1 ? "" : "s", r->bad);
	if (r->unchecked)
		sb_addf(&sb, ", %zu not opened%s", r->unchecked,
			npasswords ? "" : " (no password given)");
	sb_adds(&sb, r->bad ? ":" : ".");
	fputc('\n', o);
	text_wrap(o, width, "", "  ", sb_str(&sb));
	for (size_t i = 0; i < r->n; i++) {
		const mc_entry *c = &r->v[i];
		if (!mc_status_bad(c->status))
			continue;
		strbuf raw = STRBUF_INIT;
		sb_addf(&raw, "%s (", c->path);
		manifest_entry_label(&raw, e, c);
		sb_adds(&raw, "): ");
		manifest_reason(&raw, e, c, npasswords);
		sb_reset(&sb);
		sb_addf(&sb, "%s%s%s: ", out_c(C_RED), manifest_status_id(c->status), out_c(C_NONE));
		term_add(&sb, sb_str(&raw));
		text_wrap(o, width, "  ", "      ", sb_str(&sb));
		sb_free(&raw);
	}
	sb_free(&sb);
}

/* ---- JSON ---------------------------------------------------------------------------- */

static json_object *entry_json(const evidence *e, const mc_entry *c, size_t npasswords)
{
	const export_fact *x = fact_of(e, c);
	const ev_file *f = c->file != SIZE_MAX ? &e->files[c->file] : NULL;
	json_object *o = json_object_new_object();
	char nb[32], na[32];
	time_to_iso(x->not_before, nb);
	time_to_iso(x->not_after, na);
	jadd_str(o, "file", x->file);
	jadd_str(o, "path", c->path);
	jadd_str(o, "thumbprint_sha1", x->thumbprint);
	jadd_enum(o, "role", cert_role_name(x->role));
	jadd_str(o, "host", x->host);
	jadd_str(o, "not_before", nb);
	jadd_str(o, "not_after", na);
	jadd_str(o, "sha256", x->sha256);
	jadd_str(o, "found_sha256", f && f->sha256[0] && !f->sha256_metadata ? f->sha256 : NULL);
	jadd_enum(o, "status", manifest_status_id(c->status));
	strbuf sb = STRBUF_INIT;
	manifest_reason(&sb, e, c, npasswords);
	jadd_str(o, "reason", sb_str(&sb));
	sb_free(&sb);
	return o;
}

json_object *manifest_report_json(const evidence *e, const mc_result *r, size_t k,
				  size_t npasswords)
{
	const mc_manifest *m = &r->m[k];
	const ev_file *f = &e->files[m->file];
	const export_facts *x = ev_file_manifest(f);
	json_object *o = json_object_new_object();
	char created[32];
	time_to_iso(x->created, created);
	jadd_str(o, "path", f->path);
	jadd_str(o, "sha256", f->sha256[0] ? f->sha256 : NULL);
	jadd_str(o, "host", x->host);
	jadd_str(o, "created", created);
	jadd_int(o, "problems", (int64_t)m->bad);
	json_object *a = json_object_new_array();
	for (size_t i = m->first; i < m->first + m->n; i++)
		json_object_array_add(a, entry_json(e, &r->v[i], npasswords));
	json_object_object_add(o, "certificates", a);
	json_object *u = json_object_new_array();
	for (size_t i = 0; i < m->nunlisted; i++) {
		const ev_file *uf = &e->files[m->unlisted[i]];
		json_object *j = json_object_new_object();
		jadd_str(j, "path", uf->path);
		jadd_str(j, "sha256", uf->sha256[0] ? uf->sha256 : NULL);
		json_object_array_add(u, j);
	}
	json_object_object_add(o, "unlisted", u);
	return o;
}
