/* hostreg.c - the host registry of VMs (data.vmcx); key paths in hostreg.h. */
#include "model/hostreg.h"

#include <stdlib.h>
#include <string.h>

#include "util/text.h"
#include "util/xalloc.h"

#define ROOT_NAME "Configurations"

bool hostreg_is(const kv_node *root)
{
	const kv_node *r = kv_child(root, ROOT_NAME);
	return r && r->type == KV_NODE;
}

typedef struct {
	const kv_node *n;
	size_t pos;
} seq_ent;

static int seq_cmp(const void *a, const void *b)
{
	const seq_ent *x = a, *y = b;
	if (x->n->seq != y->n->seq)
		return x->n->seq < y->n->seq ? -1 : 1;
	return x->pos < y->pos ? -1 : x->pos > y->pos;
}

/* Children of n ordered by insertion sequence (stable: ties keep their place). */
static const kv_node **by_seq(const kv_node *n)
{
	seq_ent *e = xcalloc(n->nkids + 1, sizeof *e);
	for (size_t i = 0; i < n->nkids; i++)
		e[i] = (seq_ent){ n->kids[i], i };
	qsort(e, n->nkids, sizeof *e, seq_cmp);
	const kv_node **v = xcalloc(n->nkids + 1, sizeof *v);
	for (size_t i = 0; i < n->nkids; i++)
		v[i] = e[i].n;
	free(e);
	return v;
}

static size_t read_list(const kv_node *list, const char *file, hostreg_entry **out,
			hv_findings *f)
{
	size_t n = 0, cap = 0;
	const kv_node **kids = by_seq(list);
	for (size_t i = 0; i < list->nkids; i++) {
		const kv_node *k = kids[i];
		char g[39];
		char *p = kv_path_of(k);
		if (!kv_name_guid(k->name, g)) {
			findings_add(f, HV_SEV_WARN, file, k->offset,
				     "%s is not named _<GUID>_; skipped", p);
		} else if (n == HOSTREG_MAX_ENTRIES) {
			findings_add(f, HV_SEV_WARN, file, k->offset,
				     "more than %u entries; %s and the rest are ignored",
				     HOSTREG_MAX_ENTRIES, p);
			free(p);
			break;
		} else {
			*out = xgrow(*out, &cap, n + 1, sizeof **out);
			hostreg_entry *e = &(*out)[n++];
			e->id = guid_canonical(g);
			e->path = k->type == KV_STRING ? xstrdup(k->str) : NULL;
			e->offset = k->offset;
			if (!e->path)
				findings_add(f, HV_SEV_WARN, file, k->offset,
					     "%s is a %s, expected a path string", p,
					     kv_type_name(k->type));
		}
		free(p);
	}
	free(kids);
	return n;
}

hv_err hostreg_from_tree(const kv_node *root, const char *source_path, hostreg *out,
			 hv_findings *f)
{
	memset(out, 0, sizeof *out);
	out->source_path = source_path ? xstrdup(source_path) : NULL;
	const kv_node *r = root ? kv_child(root, ROOT_NAME) : NULL;
	if (!r || r->type != KV_NODE) {
		findings_add(f, HV_SEV_ERROR, source_path, HV_NO_OFFSET,
			     "no \"%s\" root node: not a Hyper-V host VM registry", ROOT_NAME);
		return HV_ERR_FORMAT;
	}
	out->has_format_version = kv_get_int(r, "FormatVersion", &out->format_version);
	const char *reg = kv_get_str(r, "RegID");
	out->reg_id = reg ? xstrdup(reg) : NULL;
	const kv_node *vms = kv_child(r, "VirtualMachines");
	if (vms)
		out->nvms = read_list(vms, source_path, &out->vms, f);
	else
		findings_add(f, HV_SEV_NOTE, source_path, HV_NO_OFFSET,
			     "host registry has no VirtualMachines list");
	const kv_node *cache = kv_child(r, "VirtualMachinesCache");
	if (cache)
		out->ncache = read_list(cache, source_path, &out->cache, f);
	const kv_node *rt = kv_child(r, "ResourceTypes");
	if (rt) {
		out->has_resource_types = true;
		out->resource_types = rt->nkids;
	}
	return HV_OK;
}

static void free_entries(hostreg_entry *v, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(v[i].id);
		free(v[i].path);
	}
	free(v);
}

void hostreg_free(hostreg *h)
{
	if (!h)
		return;
	free(h->source_path);
	free(h->reg_id);
	free_entries(h->vms, h->nvms);
	free_entries(h->cache, h->ncache);
	memset(h, 0, sizeof *h);
}
