/*
 * read_manifest.c - the export manifest `hvtpm script export` writes beside
 * the PFX files (formats/export_manifest.h): recognised by its content,
 * kept in the evidence in compact form (model/export_facts.h) for the
 * audit to compare with the files beside it.
 */
#include "model/readers.h"

#include <stdlib.h>

#include "formats/export_manifest.h"
#include "util/xalloc.h"

/* The reader's last error message (taken out of f: it becomes the file's reason). */
static char *take_error(hv_findings *f)
{
	for (size_t i = f->n; i-- > 0;) {
		if (f->v[i].sev != HV_SEV_ERROR)
			continue;
		char *msg = f->v[i].msg;
		free(f->v[i].file);
		for (size_t k = i + 1; k < f->n; k++)
			f->v[k - 1] = f->v[k];
		f->n--;
		return msg;
	}
	return NULL;
}

hv_err read_export_manifest(hv_source *s, const identify_opts *o, file_facts *out)
{
	(void)o;
	if (src_size(s) > EXPORT_MANIFEST_MAX_SIZE) {
		facts_set(out, EV_MANIFEST, EVC_SKIPPED, "hvtpm export manifest");
		facts_fail(out, EVC_SKIPPED, HV_ERR_LIMIT,
			   "export manifest of %llu bytes is over the %u-byte cap",
			   (unsigned long long)src_size(s), EXPORT_MANIFEST_MAX_SIZE);
		return HV_ERR_LIMIT;
	}
	export_manifest m;
	hv_findings tmp = { 0 };
	hv_err rc = export_manifest_read(src_span(s), out->path, &m, &tmp);
	if (rc == HV_ERR_FORMAT) { /* JSON, but not a manifest: the next bidder tries */
		findings_free(&tmp);
		export_manifest_free(&m);
		return rc;
	}
	if (rc != HV_OK) {
		char *why = take_error(&tmp);
		facts_set(out, EV_MANIFEST, EVC_DAMAGED, "hvtpm export manifest that could not be read");
		facts_fail(out, EVC_DAMAGED, rc, "%s", why ? why : hv_err_name(rc));
		free(why);
	} else {
		facts_set(out, EV_MANIFEST, EVC_USED,
			  "hvtpm export manifest: %zu certificate(s) exported on %s at %s", m.n,
			  m.host, m.created);
		out->manifest = export_facts_from(&m);
	}
	findings_move(&out->findings, &tmp);
	export_manifest_free(&m);
	return rc;
}
