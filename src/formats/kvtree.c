/* kvtree.c - the shared key/value tree of Hyper-V configuration readers. */
#include "formats/kvtree.h"

#include <stdlib.h>
#include <string.h>

#include "util/diag.h"
#include "util/strbuf.h"
#include "util/text.h"
#include "util/xalloc.h"

const char *kv_type_name(kv_type t)
{
	switch (t) {
	case KV_NODE: return "node";
	case KV_INT: return "int";
	case KV_UINT: return "uint";
	case KV_DOUBLE: return "double";
	case KV_STRING: return "string";
	case KV_BYTES: return "bytes";
	case KV_BOOL: return "bool";
	}
	return "?";
}

kv_node *kv_new(const char *name, kv_type t)
{
	kv_node *n = xcalloc(1, sizeof *n);
	n->name = xstrdup(name ? name : "");
	n->type = t;
	n->offset = HV_NO_OFFSET;
	return n;
}

void kv_add_child(kv_node *parent, kv_node *child)
{
	parent->kids = xgrow(parent->kids, &parent->capkids, parent->nkids + 1,
			     sizeof *parent->kids);
	parent->kids[parent->nkids++] = child;
	child->parent = parent;
}

typedef struct {
	kv_node *node;
	size_t pos;  /* original position: ties keep their order (a stable sort) */
} kid_slot;

static int cmp_slot(const void *a, const void *b)
{
	const kid_slot *x = a, *y = b;
	if (x->node->seq != y->node->seq)
		return x->node->seq < y->node->seq ? -1 : 1;
	return x->pos < y->pos ? -1 : x->pos > y->pos;
}

/* O(n log n) even for hostile sibling lists (reverse-ordered sequences). */
static void sort_kids(kv_node *n)
{
	if (n->nkids < 2)
		return;
	kid_slot *v = xmalloc(n->nkids * sizeof *v);
	for (size_t i = 0; i < n->nkids; i++) {
		v[i].node = n->kids[i];
		v[i].pos = i;
	}
	qsort(v, n->nkids, sizeof *v, cmp_slot);
	for (size_t i = 0; i < n->nkids; i++)
		n->kids[i] = v[i].node;
	free(v);
}

void kv_sort(kv_node *n)
{
	/* Iterative walk: depth is bounded by readers, but stay stack-safe. */
	size_t cap = 0, top = 0;
	kv_node **stack = NULL;
	stack = xgrow(stack, &cap, 1, sizeof *stack);
	stack[top++] = n;
	while (top) {
		kv_node *x = stack[--top];
		sort_kids(x);
		stack = xgrow(stack, &cap, top + x->nkids, sizeof *stack);
		for (size_t i = 0; i < x->nkids; i++)
			stack[top++] = x->kids[i];
	}
	free(stack);
}

void kv_free(kv_node *n)
{
	if (!n)
		return;
	size_t cap = 0, top = 0;
	kv_node **stack = NULL;
	stack = xgrow(stack, &cap, 1, sizeof *stack);
	stack[top++] = n;
	while (top) {
		kv_node *x = stack[--top];
		stack = xgrow(stack, &cap, top + x->nkids, sizeof *stack);
		for (size_t i = 0; i < x->nkids; i++)
			stack[top++] = x->kids[i];
		free(x->name);
		free(x->str);
		free(x->bytes);
		free(x->kids);
		free(x);
	}
	free(stack);
}

kv_node *kv_child(const kv_node *n, const char *name)
{
	if (!n)
		return NULL;
	for (size_t i = 0; i < n->nkids; i++)
		if (strcmp(n->kids[i]->name, name) == 0)
			return n->kids[i];
	return NULL;
}

bool kv_name_guid(const char *name, char out[39])
{
	size_t l = strlen(name);
	if (l < 3 || name[0] != '_' || name[l - 1] != '_' || l - 2 > 38)
		return false;
	memcpy(out, name + 1, l - 2);
	out[l - 2] = '\0';
	uint8_t g[16];
	return guid_parse(out, g);
}

kv_node *kv_child_guid(const kv_node *n, const char *guid)
{
	if (!n || !guid)
		return NULL;
	char g[39];
	for (size_t i = 0; i < n->nkids; i++)
		if (kv_name_guid(n->kids[i]->name, g) && guid_str_eq(g, guid))
			return n->kids[i];
	return NULL;
}

kv_node *kv_path(const kv_node *n, const char *path)
{
	const kv_node *cur = n;
	const char *p = path;
	char part[256];
	while (cur && *p) {
		const char *e = strchr(p, '/');
		size_t l = e ? (size_t)(e - p) : strlen(p);
		if (l >= sizeof part)
			return NULL;
		memcpy(part, p, l);
		part[l] = '\0';
		if (l)
			cur = kv_child(cur, part);
		p += l + (e ? 1 : 0);
	}
	return (kv_node *)cur;
}

const char *kv_get_str(const kv_node *n, const char *path)
{
	kv_node *x = kv_path(n, path);
	return x && x->type == KV_STRING ? x->str : NULL;
}

bool kv_get_int(const kv_node *n, const char *path, int64_t *v)
{
	kv_node *x = kv_path(n, path);
	if (!x)
		return false;
	switch (x->type) {
	case KV_INT: *v = x->v.i; return true;
	case KV_UINT: *v = (int64_t)x->v.u; return true;
	case KV_BOOL: *v = x->v.b; return true;
	default: return false;
	}
}

bool kv_get_bool(const kv_node *n, const char *path, bool *v)
{
	kv_node *x = kv_path(n, path);
	if (!x)
		return false;
	switch (x->type) {
	case KV_BOOL: *v = x->v.b; return true;
	case KV_INT: *v = x->v.i != 0; return true;
	case KV_UINT: *v = x->v.u != 0; return true;
	default: return false;
	}
}

char *kv_path_of(const kv_node *n)
{
	const kv_node *chain[KV_MAX_DEPTH + 2];
	size_t depth = 0;
	for (const kv_node *x = n; x && x->parent && depth < KV_MAX_DEPTH + 1; x = x->parent)
		chain[depth++] = x;
	strbuf sb = STRBUF_INIT;
	while (depth--) {
		sb_addc(&sb, '/');
		sb_adds(&sb, chain[depth]->name);
	}
	if (!sb.len)
		sb_addc(&sb, '/');
	return sb_detach(&sb);
}

size_t kv_count(const kv_node *n)
{
	size_t c = 0;
	for (size_t i = 0; i < n->nkids; i++)
		c += 1 + kv_count(n->kids[i]);
	return c;
}
