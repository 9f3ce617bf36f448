/* evidence.c - the evidence set: files, certificates held, VMs. */
#include "model/evidence.h"

#include <stdlib.h>
#include <string.h>

#include "formats/kp.h"
#include "util/strbuf.h"
#include "util/strmap.h"
#include "util/text.h"
#include "util/xalloc.h"

const char *ev_kind_name(ev_kind k)
{
	switch (k) {
	case EV_UNKNOWN: return "unknown";
	case EV_VM_CONFIG: return "vm_config";
	case EV_RUNTIME_STATE: return "runtime_state";
	case EV_HOST_REGISTRY: return "host_registry";
	case EV_GUEST_STATE: return "guest_state";
	case EV_KEY_PROTECTOR: return "key_protector";
	case EV_PFX: return "pfx";
	case EV_CERTIFICATE: return "certificate";
	case EV_GUARDIAN: return "guardian_metadata";
	case EV_DISK: return "disk";
	case EV_ARCHIVE: return "archive";
	case EV_MANIFEST: return "export_manifest";
	}
	return "unknown";
}

const char *kp_origin_name(kp_origin o)
{
	switch (o) {
	case KP_CURRENT: return "current";
	case KP_LKG: return "last_known_good";
	case KP_DUMP: return "saved";
	case KP_CARVED: return "carved";
	case KP_FOUND: return "found";
	case KP_OLDER: return "older_copy";
	}
	return "current";
}

const char *ev_class_name(ev_class c)
{
	switch (c) {
	case EVC_USED: return "used";
	case EVC_DAMAGED: return "damaged";
	case EVC_UNRECOGNISED: return "unrecognised";
	case EVC_UNREADABLE: return "unreadable";
	case EVC_SKIPPED: return "skipped";
	}
	return "unrecognised";
}

void evidence_init(evidence *e)
{
	memset(e, 0, sizeof *e);
}

void ev_kp_release(ev_kp *kp)
{
	if (!kp->strs_pooled) {
		free(kp->location);
		free(kp->form);
	}
	free(kp->w);
	free(kp->algorithms);
	if (kp->doc && kp->doc_free)
		kp->doc_free(kp->doc);
	memset(kp, 0, sizeof *kp);
}

void ev_settings_free(ev_settings *s)
{
	free(s->secure_boot_template);
	for (size_t i = 0; i < s->ndisks; i++)
		free(s->disks[i]);
	free(s->disks);
	for (size_t i = 0; i < s->nswitches; i++)
		free(s->switches[i]);
	free(s->switches);
	memset(s, 0, sizeof *s);
}

static void vm_release(ev_vm *vm)
{
	free(vm->id);
	free(vm->name);
	free(vm->configs);
	ev_settings_free(&vm->settings);
	for (size_t i = 0; i < vm->nkps; i++)
		ev_kp_release(&vm->kps[i]);
	free(vm->kps);
	free(vm->disks);
	for (size_t i = 0; i < vm->nmissing; i++)
		free(vm->missing[i]);
	free(vm->missing);
}

void evidence_free(evidence *e)
{
	for (size_t i = 0; i < e->nfiles; i++) {
		free(e->files[i].path);
		ev_file_extra *x = e->files[i].extra;
		if (!x)
			continue;
		free(x->error);
		free(x->claimed);
		free(x->weak);
		if (x->disk) {
			disk_facts_free(x->disk);
			free(x->disk);
		}
		export_facts_free(x->manifest);
		free(x->manifest);
		free(x);
	}
	free(e->files);
	for (size_t i = 0; i < e->nholdings; i++)
		free(e->holdings[i].detail);
	free(e->holdings);
	for (size_t i = 0; i < e->ncerts; i++) {
		cert_free(e->certs[i]);
		free(e->certs[i]);
	}
	free(e->certs);
	if (e->cert_index) {
		strmap_free(e->cert_index);
		free(e->cert_index);
	}
	for (size_t i = 0; i < e->nstrs; i++)
		free(e->strs[i]);
	free(e->strs);
	if (e->str_index) {
		strmap_free(e->str_index);
		free(e->str_index);
	}
	for (size_t i = 0; i < e->nvms; i++)
		vm_release(&e->vms[i]);
	free(e->vms);
	findings_free(&e->findings);
	memset(e, 0, sizeof *e);
}

size_t evidence_add_file(evidence *e, const char *path, const char *sha256, uint64_t size)
{
	e->files = xgrow(e->files, &e->capfiles, e->nfiles + 1, sizeof *e->files);
	ev_file *f = &e->files[e->nfiles];
	memset(f, 0, sizeof *f);
	f->path = xstrdup(path);
	if (sha256)
		memcpy(f->sha256, sha256, 64);
	f->size = size;
	f->cls = EVC_USED;
	e->nclass[EVC_USED]++;
	return e->nfiles++;
}

void evidence_file_extra(evidence *e, size_t f, const ev_file_extra *x)
{
	if (!x->error && !x->claimed && !x->nweak && !x->disk && !x->manifest) {
		free((void *)x->weak); /* an empty list, taken all the same */
		return;
	}
	ev_file_extra *k = xmalloc(sizeof *k);
	*k = *x;
	e->files[f].extra = k;
}

void evidence_set_class(evidence *e, size_t file, ev_class cls)
{
	ev_file *f = &e->files[file];
	e->nclass[f->cls]--;
	f->cls = cls;
	e->nclass[cls]++;
}

uint64_t *evidence_error_offsets(const evidence *e)
{
	uint64_t *off = xmalloc((e->nfiles + 1) * sizeof *off);
	for (size_t i = 0; i < e->nfiles; i++)
		off[i] = HV_NO_OFFSET;
	/* path -> the first error finding with an offset about it (findings are
	 * few; the files of an estate are many, so they are not what is mapped) */
	strmap first = STRMAP_INIT;
	for (size_t i = 0; i < e->findings.n; i++) {
		const hv_finding *x = &e->findings.v[i];
		if (x->sev == HV_SEV_ERROR && x->offset != HV_NO_OFFSET && x->file)
			strmap_put(&first, xstrdup(x->file), i); /* a repeat keeps the first */
	}
	bool *taken = xcalloc(e->findings.n + 1, sizeof *taken);
	for (size_t i = 0; first.n && i < e->nfiles; i++) {
		size_t k = strmap_get(&first, e->files[i].path);
		if (k != SIZE_MAX && !taken[k]) { /* the first file of that path */
			taken[k] = true;
			off[i] = e->findings.v[k].offset;
		}
	}
	free(taken);
	strmap_free(&first);
	return off;
}

const hv_cert *evidence_intern_cert(evidence *e, const hv_cert *c)
{
	if (!c || !c->der)
		return c;
	if (!e->cert_index)
		e->cert_index = xcalloc(1, sizeof(strmap));
	size_t i = strmap_get(e->cert_index, c->sha256);
	if (i != SIZE_MAX)
		return e->certs[i];
	hv_cert *copy = xmalloc(sizeof *copy);
	if (cert_copy(c, copy) != HV_OK)
		xalloc_die();
	cert_drop_parsed(copy); /* the verdict compares DER and reads the facts only */
	e->certs = xgrow(e->certs, &e->capcerts, e->ncerts + 1, sizeof *e->certs);
	e->certs[e->ncerts] = copy;
	strmap_put(e->cert_index, xstrdup(c->sha256), e->ncerts);
	return e->certs[e->ncerts++];
}

size_t evidence_cert_index(const evidence *e, const hv_cert *c)
{
	if (!c || !c->der || !e->cert_index)
		return SIZE_MAX;
	return strmap_get(e->cert_index, c->sha256);
}

/* Replaces an owned certificate by a view of its pooled copy. */
static void borrow(evidence *e, hv_cert *c)
{
	if (!c->der)
		return;
	const hv_cert *p = evidence_intern_cert(e, c);
	cert_free(c);
	*c = *p;
	c->x509 = NULL;
}

const char *evidence_intern_str(evidence *e, const char *s)
{
	if (!s)
		return NULL;
	if (!e->str_index)
		e->str_index = xcalloc(1, sizeof(strmap));
	size_t i = strmap_get(e->str_index, s);
	if (i != SIZE_MAX)
		return e->strs[i];
	e->strs = xgrow(e->strs, &e->capstrs, e->nstrs + 1, sizeof *e->strs);
	e->strs[e->nstrs] = xstrdup(s);
	strmap_put(e->str_index, xstrdup(s), e->nstrs);
	return e->strs[e->nstrs++];
}

/* Signature failures: checked, and wrong (not "cannot be checked"). */
static void settle_signatures(ev_kp *kp, const kp_doc *d)
{
	kp->sig_failed_guardian = d->guardian_sig.status == KP_SIG_FAILED;
	kp->sig_failures = kp->sig_failed_guardian;
	for (size_t i = 0; i < d->n; i++) {
		const kp_wrapping *w = &d->w[i];
		bool bad = w->signing_sig.status == KP_SIG_FAILED ||
			   w->encryption_sig.status == KP_SIG_FAILED;
		if (bad && !kp->sig_failures)
			kp->sig_failed_wrapping = w->id;
		kp->sig_failures += bad;
	}
}

void evidence_settle_kp(evidence *e, ev_kp *kp)
{
	kp_doc *d = kp->doc;
	if (d) {
		for (size_t i = 0; !d->certs_borrowed && i < d->n; i++) {
			borrow(e, &d->w[i].encryption);
			borrow(e, &d->w[i].signing);
		}
		d->certs_borrowed = true;
		settle_signatures(kp, d);
		kp->has_max_offline_unwraps = d->has_max_offline_unwraps;
		kp->algorithms = xcalloc(d->nalgorithms + 1, sizeof *kp->algorithms);
		for (size_t i = 0; i < d->nalgorithms; i++)
			kp->algorithms[kp->nalgorithms++] = evidence_intern_str(e, d->algorithms[i]);
	}
	for (size_t i = 0; i < kp->nw; i++) {
		kp->w[i].enc = evidence_intern_cert(e, kp->w[i].enc);
		kp->w[i].sig = evidence_intern_cert(e, kp->w[i].sig);
	}
	if (d && kp->doc_free)
		kp->doc_free(d);
	kp->doc = NULL;
	if (!kp->strs_pooled) { /* the same few strings for every VM of an estate */
		char *loc = kp->location, *form = kp->form;
		kp->location = (char *)evidence_intern_str(e, loc);
		kp->form = (char *)evidence_intern_str(e, form);
		kp->strs_pooled = true;
		free(loc);
		free(form);
	}
}

void evidence_add_holding(evidence *e, size_t file, hv_cert *c, bool has_key, const char *detail)
{
	e->holdings = xgrow(e->holdings, &e->capholdings, e->nholdings + 1, sizeof *e->holdings);
	ev_holding *h = &e->holdings[e->nholdings++];
	h->cert = *evidence_intern_cert(e, c);
	cert_free(c);
	h->file = file;
	h->has_private_key = has_key;
	h->detail = detail ? xstrdup(detail) : NULL;
}

ev_vm *evidence_vm(evidence *e, const char *id)
{
	for (size_t i = 0; i < e->nvms; i++) {
		const char *x = e->vms[i].id;
		if (strcmp(x, id) == 0 || guid_str_eq(x, id))
			return &e->vms[i];
	}
	e->vms = xgrow(e->vms, &e->capvms, e->nvms + 1, sizeof *e->vms);
	ev_vm *vm = &e->vms[e->nvms++];
	memset(vm, 0, sizeof *vm);
	char *canon = guid_canonical(id);
	vm->id = canon ? canon : xstrdup(id);
	vm->tpm_enabled = TRI_UNKNOWN;
	return vm;
}

ev_kp *evidence_vm_add_kp(ev_vm *vm)
{
	vm->kps = xrealloc(vm->kps, (vm->nkps + 1) * sizeof *vm->kps);
	ev_kp *kp = &vm->kps[vm->nkps++];
	memset(kp, 0, sizeof *kp);
	return kp;
}
