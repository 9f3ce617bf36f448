/*
 * kvtree.h - the key/value tree that every Hyper-V configuration reader
 * produces (HyperVStorage .vmcx/.vmrs/data.vmcx and legacy XML), so that
 * everything above the readers does not care which format a VM came from.
 *
 * The root returned by a reader is a virtual, unnamed node; the file's own
 * root ("configuration", "Configurations") is its child.  Siblings may share
 * a name and are kept in insertion-sequence order.
 */
#ifndef HVTPM_KVTREE_H
#define HVTPM_KVTREE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define KV_MAX_DEPTH 64 /* deeper trees are refused as corrupt */

typedef enum {
	KV_NODE = 0,
	KV_INT,
	KV_UINT,
	KV_DOUBLE,
	KV_STRING,
	KV_BYTES,
	KV_BOOL,
} kv_type;

typedef struct kv_node {
	char *name;
	kv_type type;
	union {
		int64_t i;
		uint64_t u;
		double d;
		bool b;
	} v;
	char *str;        /* KV_STRING: UTF-8, NUL-terminated */
	uint8_t *bytes;   /* KV_BYTES */
	size_t nbytes;
	uint64_t offset;  /* where the entry was read (file offset), or HV_NO_OFFSET */
	uint32_t seq;     /* insertion sequence among siblings (1-based; 0 unknown) */
	uint8_t flags;    /* format-specific entry flags as stored */
	bool file_object; /* the value was stored out of line */
	struct kv_node *parent;
	struct kv_node **kids;
	size_t nkids, capkids;
} kv_node;

const char *kv_type_name(kv_type t);

kv_node *kv_new(const char *name, kv_type t);
void kv_add_child(kv_node *parent, kv_node *child);
/* Stable sort of every node's children by seq (recursively). */
void kv_sort(kv_node *n);
void kv_free(kv_node *n);

/* First child with exactly this name. */
kv_node *kv_child(const kv_node *n, const char *name);
/* Child named "_<guid>_": GUIDs compared case-insensitively, braces optional. */
kv_node *kv_child_guid(const kv_node *n, const char *guid);
/* Follows "a/b/c" (exact names, first match at each level); NULL when absent. */
kv_node *kv_path(const kv_node *n, const char *path);

/* Typed getters on kv_path(n, path); false/NULL when absent or of another type. */
const char *kv_get_str(const kv_node *n, const char *path);
/* Accepts INT, UINT and BOOL. */
bool kv_get_int(const kv_node *n, const char *path, int64_t *v);
/* Accepts BOOL, INT and UINT (non-zero = true). */
bool kv_get_bool(const kv_node *n, const char *path, bool *v);

/* "/configuration/properties/name" for a node; caller frees. */
char *kv_path_of(const kv_node *n);
/* Number of nodes below n (n excluded). */
size_t kv_count(const kv_node *n);
/* If name is "_<GUID>_", writes the GUID (without underscores) to out. */
bool kv_name_guid(const char *name, char out[39]);

#endif
