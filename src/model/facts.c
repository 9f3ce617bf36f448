/* facts.c - the result of reading one file. */
#include "model/facts.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "util/strbuf.h"
#include "util/xalloc.h"

void facts_init(file_facts *x, const char *path, uint64_t size)
{
	memset(x, 0, sizeof *x);
	x->path = xstrdup(path);
	x->size = size;
	x->cls = EVC_UNRECOGNISED;
}

static void free_kp(fact_kp *k)
{
	free(k->kp.location);
	free(k->kp.form);
	free(k->kp.w);
	if (k->kp.doc && k->kp.doc_free)
		k->kp.doc_free(k->kp.doc);
	if (k->input) {
		kp_input_free(k->input);
		free(k->input);
	}
}

static void free_payload(file_facts *x)
{
	if (x->store) {
		hvstore_free(x->store);
		free(x->store);
	}
	kv_free(x->tree);
	if (x->vm) {
		vm_free(x->vm);
		free(x->vm);
	}
	if (x->host) {
		hostreg_free(x->host);
		free(x->host);
	}
	for (size_t i = 0; i < x->nkps; i++)
		free_kp(&x->kps[i]);
	free(x->kps);
	for (size_t i = 0; i < x->ncerts; i++) {
		cert_free(&x->certs[i].cert);
		free(x->certs[i].detail);
	}
	free(x->certs);
	if (x->pfx) {
		pfx_free(x->pfx);
		free(x->pfx);
	}
	if (x->certfile) {
		certfile_free(x->certfile);
		free(x->certfile);
	}
	if (x->guardian) {
		guardian_free(x->guardian);
		free(x->guardian);
	}
	if (x->disk) {
		disk_facts_free(x->disk);
		free(x->disk);
	}
	if (x->vmgs) {
		vmgs_free(x->vmgs);
		free(x->vmgs);
	}
	export_facts_free(x->manifest);
	free(x->manifest);
	for (size_t i = 0; i < x->nrepos; i++) {
		hvstore_free(&x->repos[i].store);
		vm_free(&x->repos[i].vm);
	}
	free(x->repos);
	for (size_t i = 0; i < x->nweak; i++)
		free(x->weak[i]);
	free(x->weak);
}

void facts_free(file_facts *x)
{
	free_payload(x);
	free(x->path);
	free(x->what);
	free(x->error);
	free(x->claimed);
	free(x->hint_id);
	free(x->prepared);
	findings_free(&x->findings);
	memset(x, 0, sizeof *x);
}

void facts_set(file_facts *x, ev_kind kind, ev_class cls, const char *fmt, ...)
{
	strbuf sb = STRBUF_INIT;
	va_list ap;
	va_start(ap, fmt);
	sb_vaddf(&sb, fmt, ap);
	va_end(ap);
	free(x->what);
	x->what = sb_detach(&sb);
	x->kind = kind;
	x->cls = cls;
}

void facts_fail(file_facts *x, ev_class cls, hv_err err, const char *fmt, ...)
{
	strbuf sb = STRBUF_INIT;
	va_list ap;
	va_start(ap, fmt);
	sb_vaddf(&sb, fmt, ap);
	va_end(ap);
	free(x->error);
	x->error = sb_detach(&sb);
	x->status = err;
	x->cls = cls;
}

void facts_add_cert(file_facts *x, hv_cert *c, bool has_key, const char *detail)
{
	x->certs = xrealloc(x->certs, (x->ncerts + 1) * sizeof *x->certs);
	fact_cert *fc = &x->certs[x->ncerts++];
	fc->cert = *c;
	memset(c, 0, sizeof *c);
	fc->has_private_key = has_key;
	fc->detail = detail ? xstrdup(detail) : NULL;
}

fact_kp *facts_add_kp(file_facts *x, ev_kp *kp)
{
	x->kps = xrealloc(x->kps, (x->nkps + 1) * sizeof *x->kps);
	fact_kp *k = &x->kps[x->nkps++];
	memset(k, 0, sizeof *k);
	k->kp = *kp;
	memset(kp, 0, sizeof *kp);
	return k;
}
