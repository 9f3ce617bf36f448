/*
 * read_config.c - configuration trees: HyperVStorage (.vmcx, .vmrs,
 * data.vmcx) and legacy XML.  A tree becomes a host registry, a VM
 * configuration or a runtime state, and every byte-array and string value
 * in it is tested for a key protector (model/kp_search.h).
 */
#include "model/readers.h"

#include <stdlib.h>
#include <string.h>

#include "formats/hvstore.h"
#include "formats/vmxml.h"
#include "model/kp_search.h"
#include "util/text.h"
#include "util/xalloc.h"

char *readers_stem(const char *path, size_t member_at)
{
	if (member_at > strlen(path))
		member_at = 0;
	const char *b = strrchr(path + member_at, '/');
	b = b ? b + 1 : path + member_at;
	const char *dot = strrchr(b, '.');
	return xstrndup(b, dot && dot != b ? (size_t)(dot - b) : strlen(b));
}

static void on_host_registry(const kv_node *root, file_facts *x, const char *fmtname)
{
	x->host = xcalloc(1, sizeof *x->host);
	hostreg_from_tree(root, x->path, x->host, &x->findings);
	facts_set(x, EV_HOST_REGISTRY, EVC_USED, "Hyper-V host VM registry (%s), %zu registered VM(s)",
		  fmtname, x->host->nvms);
}

/* The tree of a configuration reader: a registry, a VM or a runtime state. */
static void on_tree(kv_node *root, const identify_opts *o, file_facts *x, const char *fmtname)
{
	if (hostreg_is(root)) {
		on_host_registry(root, x, fmtname);
		return;
	}
	vm_model *vm = xcalloc(1, sizeof *vm);
	if (vm_from_tree(root, x->path, vm, &x->findings) != HV_OK) {
		vm_free(vm);
		free(vm);
		facts_set(x, EV_VM_CONFIG, EVC_DAMAGED, "%s", fmtname);
		facts_fail(x, EVC_DAMAGED, HV_ERR_FORMAT, "%s tree without a VM configuration root",
			   fmtname);
		return;
	}
	x->vm = vm;
	kps_search_tree(root, 0, NULL, o->keep, x);
	if (vm->kind == VM_KIND_RUNTIME_STATE || !vm->id) {
		char *stem = readers_stem(x->path, x->member_at);
		x->hint_id = guid_canonical(stem);
		free(stem);
		facts_set(x, EV_RUNTIME_STATE, EVC_USED, "Hyper-V runtime state (%s)", fmtname);
		return;
	}
	facts_set(x, EV_VM_CONFIG, EVC_USED, "Hyper-V VM configuration (%s), version %u.%u", fmtname,
		  vm->version_major, vm->version_minor);
}

static void keep_or_free_tree(kv_node **root, const identify_opts *o, file_facts *x)
{
	if (o->tree && !x->tree) {
		x->tree = *root;
		*root = NULL;
	}
	kv_free(*root);
	*root = NULL;
}

hv_err read_hyperv_storage(hv_source *s, const identify_opts *o, file_facts *out)
{
	hvstore *h = xcalloc(1, sizeof *h);
	out->store = h;
	hv_err rc = hvstore_read(src_span(s), out->path, 0, h, &out->findings);
	if (rc != HV_OK) {
		facts_set(out, EV_VM_CONFIG, EVC_DAMAGED, "HyperVStorage file");
		facts_fail(out, EVC_DAMAGED, rc, "HyperVStorage file could not be read: %s",
			   hv_err_name(rc));
		keep_or_free_tree(&h->root, o, out);
		return rc;
	}
	on_tree(h->root, o, out, h->dirty ? "HyperVStorage, dirty log replayed in memory"
					  : "HyperVStorage");
	if (h->dirty)
		findings_add(&out->findings, HV_SEV_NOTE, out->path, HV_NO_OFFSET,
			     "replay log had %u pending entries: %u applied to an in-memory view, "
			     "%u skipped; the file was not changed",
			     h->log_pending, h->log_replayed, h->log_skipped);
	keep_or_free_tree(&h->root, o, out);
	return HV_OK;
}

hv_err read_vm_xml(hv_source *s, const identify_opts *o, file_facts *out)
{
	kv_node *root = NULL;
	hv_err rc = vmxml_read(src_span(s), out->path, &root, &out->findings);
	if (rc != HV_OK) {
		facts_set(out, EV_VM_CONFIG, EVC_DAMAGED, "legacy XML configuration");
		facts_fail(out, EVC_DAMAGED, rc, "legacy XML configuration could not be read: %s",
			   hv_err_name(rc));
		kv_free(root);
		return rc;
	}
	on_tree(root, o, out, "legacy XML");
	keep_or_free_tree(&root, o, out);
	return HV_OK;
}
