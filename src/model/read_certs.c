/*
 * read_certs.c - where certificates are held: PFX files (with or without
 * their private keys, or locked), certificate files, guardian metadata.
 */
#include "model/readers.h"

#include <stdlib.h>
#include <string.h>

#include "formats/certfile.h"
#include "formats/guardian.h"
#include "formats/pfx.h"
#include "model/pfx_cache.h"
#include "util/strbuf.h"
#include "util/xalloc.h"

/* Adds a copy of c (keep: the reader's structure stays whole for inspect), or moves it. */
static void add_cert(file_facts *x, hv_cert *c, bool keep, bool has_key, const char *detail)
{
	hv_cert copy;
	if (!keep) {
		facts_add_cert(x, c, has_key, detail);
		return;
	}
	if (c->der && cert_from_der(c->der, c->der_len, &copy, NULL, HV_NO_OFFSET, NULL) == HV_OK)
		facts_add_cert(x, &copy, has_key, detail);
}

static hv_err open_pfx(hv_source *s, const identify_opts *o, file_facts *out);

hv_err read_pfx(hv_source *s, const identify_opts *o, file_facts *out)
{
	char sha[65];
	if (!o->pfx_cache || o->keep || src_sha256(s, sha, &out->findings) != HV_OK)
		return open_pfx(s, o, out);
	if (pfx_cache_take(o->pfx_cache, sha, out))
		return out->status;
	hv_err rc = open_pfx(s, o, out);
	pfx_cache_put(o->pfx_cache, sha, out); /* a failure too: copies waiting go on */
	return rc;
}

static hv_err open_pfx(hv_source *s, const identify_opts *o, file_facts *out)
{
	pfx_file *p = xcalloc(1, sizeof *p);
	hv_findings tmp = { 0 };
	hv_err rc = pfx_open(src_span(s), out->path, o->pw, p, &tmp);
	if (rc == HV_ERR_FORMAT) { /* not PKCS#12 after all: the next bidder tries */
		pfx_free(p);
		free(p);
		findings_free(&tmp);
		return rc;
	}
	/* Weak PBE/MAC parameters are a fact about the export, not a problem with
	 * the evidence: notes (inspect shows them in full). */
	for (size_t i = 0; i < tmp.n; i++)
		if (tmp.v[i].sev == HV_SEV_WARN && strncmp(tmp.v[i].msg, "weak protection", 15) == 0)
			tmp.v[i].sev = HV_SEV_NOTE;
	findings_move(&out->findings, &tmp);
	if (p->nweak) {
		out->weak = xcalloc(p->nweak, sizeof *out->weak);
		for (size_t i = 0; i < p->nweak; i++)
			out->weak[i] = xstrdup(p->weaknesses[i]);
		out->nweak = p->nweak;
	}
	const char *by = p->opened_by_label ? p->opened_by_label : "no password";
	if (rc == HV_ERR_LIMIT && p->skipped_by_policy) {
		/* Left unopened for its cost, not for its bytes: skipped by policy. */
		facts_set(out, EV_PFX, EVC_SKIPPED, "PFX (PKCS#12) not opened: key-derivation "
			  "budget spent");
		facts_fail(out, EVC_SKIPPED, rc, "%s", p->reason);
	} else if (rc == HV_ERR_CORRUPT || rc == HV_ERR_IO || rc == HV_ERR_LIMIT) {
		facts_set(out, EV_PFX, EVC_DAMAGED, "PFX (PKCS#12) that could not be read");
		facts_fail(out, EVC_DAMAGED, rc, "%s", p->reason ? p->reason : hv_err_name(rc));
	} else if (rc != HV_OK) {
		/* Locked (password, unsupported algorithm, DPAPI-NG): it decides needs-password. */
		facts_set(out, EV_PFX, EVC_USED, "PFX (PKCS#12) that could not be opened");
		facts_fail(out, EVC_USED, rc, "%s", p->reason ? p->reason : hv_err_name(rc));
	} else {
		facts_set(out, EV_PFX, EVC_USED,
			  "PFX (PKCS#12), %zu certificate(s), %zu key(s), opened with %s", p->ncerts,
			  p->nkeys, by);
	}
	strbuf d = STRBUF_INIT;
	sb_addf(&d, "opened with %s", by);
	for (size_t i = 0; i < p->ncerts; i++)
		add_cert(out, &p->certs[i].cert, o->keep, p->certs[i].has_private_key, sb_str(&d));
	sb_free(&d);
	if (o->keep) {
		out->pfx = p;
	} else {
		pfx_free(p);
		free(p);
	}
	return rc;
}

hv_err read_certificates(hv_source *s, const identify_opts *o, file_facts *out)
{
	certfile *cf = xcalloc(1, sizeof *cf);
	hv_findings tmp = { 0 };
	hv_err rc = certfile_read(src_span(s), out->path, cf, &tmp);
	if (rc == HV_ERR_FORMAT) {
		certfile_free(cf);
		free(cf);
		findings_free(&tmp);
		return rc;
	}
	findings_move(&out->findings, &tmp);
	if (rc != HV_OK) {
		facts_set(out, EV_CERTIFICATE, EVC_DAMAGED, "certificate file");
		facts_fail(out, EVC_DAMAGED, rc, "%s", cf->reason ? cf->reason : hv_err_name(rc));
	} else {
		facts_set(out, EV_CERTIFICATE, EVC_USED, "certificate file (%s), %zu certificate(s)%s",
			  certfile_kind_name(cf->kind), cf->ncerts,
			  cf->key_needs_password ? ", encrypted private key not read" : "");
	}
	for (size_t i = 0; i < cf->ncerts; i++)
		add_cert(out, &cf->certs[i].cert, o->keep, cf->certs[i].has_private_key,
			 cf->certs[i].has_private_key ? "key in the same file" : "certificate only");
	if (o->keep) {
		out->certfile = cf;
	} else {
		certfile_free(cf);
		free(cf);
	}
	return rc;
}

hv_err read_guardian(hv_source *s, const identify_opts *o, file_facts *out)
{
	guardian_doc *g = xcalloc(1, sizeof *g);
	hv_findings tmp = { 0 };
	hv_err rc = guardian_decode(src_span(s), out->path, g, &tmp);
	if (rc == HV_ERR_FORMAT) {
		guardian_free(g);
		free(g);
		findings_free(&tmp);
		return rc;
	}
	findings_move(&out->findings, &tmp);
	if (rc != HV_OK) {
		facts_set(out, EV_GUARDIAN, EVC_DAMAGED, "guardian metadata");
		facts_fail(out, EVC_DAMAGED, rc, "damaged guardian metadata: %s", hv_err_name(rc));
	} else {
		facts_set(out, EV_GUARDIAN, EVC_USED, "guardian metadata%s%s, %zu certificate(s)",
			  g->name ? " for " : "", g->name ? g->name : "", g->ncerts);
		for (size_t i = 0; i < g->ncerts; i++)
			add_cert(out, &g->certs[i].cert, o->keep, false,
				 "guardian metadata (public keys only)");
	}
	if (o->keep) {
		out->guardian = g;
	} else {
		guardian_free(g);
		free(g);
	}
	return rc;
}
