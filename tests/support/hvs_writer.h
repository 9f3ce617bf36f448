/*
 * hvs_writer.h - test-only writer of HyperVStorage files (.vmcx/.vmrs
 * layout, format 0x0400) from a kv_node tree, plus helpers to build trees
 * and to re-seal checksums after a test has damaged a structure on purpose.
 *
 * The file it writes follows docs/hyperv-storage.md: two file
 * headers (copy 0 active, copy 1 one sequence older), the root object
 * table at 0x2000, key tables of 0x1000 bytes from 0x3000 (each ending in
 * a Free entry that fills its tail), file objects, optional chained object
 * tables, and a replay log whose header (and pending entries) carry
 * correct checksums.  Strings are written as Hyper-V does: UTF-16LE
 * without a terminator, 12 bytes of slack after every value.
 *
 * Used by the unit tests, the fuzz seeds and the benchmarks; never linked
 * into hvtpm.
 */
#ifndef HVTPM_HVS_WRITER_H
#define HVTPM_HVS_WRITER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "formats/kvtree.h"

#define HVS_TABLE_SIZE 0x1000u
#define HVS_FILEOBJ_THRESHOLD 2048u

typedef enum {
	HVS_CHAIN_NONE = 0,   /* one object table (chains anyway when it overflows) */
	HVS_CHAIN_LAST_SLOT,  /* openvmm: the last slot (226) of a table links the next */
	HVS_CHAIN_ANY_SLOT,   /* dissect reading: the link sits right after the objects */
} hvs_chain;

typedef enum {
	HVS_ORDER_PARENTS_FIRST = 0, /* depth-first, a parent before its children */
	HVS_ORDER_CHILDREN_FIRST,    /* reversed: every child before its parent */
} hvs_order;

/* One pending replay-log entry: rewrites the entry of path with a new value. */
typedef struct {
	const char *path;      /* e.g. "configuration/properties/name" (first match) */
	const kv_node *value;  /* new value (name ignored); must fit the old entry */
	bool bad_entry_crc;    /* damage the log entry checksum */
	bool bad_data_crc;     /* damage the data checksum */
} hvs_log_patch;

/* Where an input node was written. */
typedef struct {
	const kv_node *node;
	uint64_t entry_off;        /* absolute offset of the key entry */
	uint32_t entry_size;
	uint16_t table_index;
	uint32_t table_off;        /* offset inside its key table */
	uint64_t file_object_off;  /* 0 when the value is inline */
} hvs_placed;

typedef struct {
	hvs_placed *placed;
	size_t nplaced;
	uint64_t *key_tables;      /* offset of key table index i+1 */
	size_t nkey_tables;
	uint64_t *object_tables;   /* root first, then the chain */
	size_t nobject_tables;
	uint64_t *chain_slots;     /* offset of each object-table entry that links a table */
	size_t nchain_slots;
	uint64_t log_off, log_size;
} hvs_write_info;

typedef struct {
	uint32_t fileobj_threshold;      /* 0: 2048; values of >= this many bytes go out of line */
	uint32_t max_entries_per_table;  /* 0: as many as fit in 0x1000 bytes */
	hvs_order order;
	hvs_chain chain;
	uint32_t objtable_capacity;      /* objects per object table, 1..226 (0: 226) */
	uint16_t sequence;               /* header copy 0 (0: 2); copy 1 gets sequence - 1 */
	uint32_t format_version;         /* 0: 0x0400 */
	bool string_nul;                 /* count a UTF-16 terminator (openvmm writer style) */
	const hvs_log_patch *patches;    /* pending replay-log entries (dirty file) */
	size_t npatches;
	uint32_t stale_log_entries;      /* valid-looking leftovers after the pending ones */
	bool trim_log;                   /* end the file at the last log byte used */
	hvs_write_info *info;            /* filled when not NULL; release with hvs_info_free */
} hvs_write_opts;

/*
 * Writes root's children (root itself is the virtual root and is not
 * stored) as a HyperVStorage file.  opts may be NULL.  Returns a malloc'd
 * buffer and its length, or NULL when the tree cannot be written (name of
 * 255 bytes or more, tree deeper than KV_MAX_DEPTH, a patch path that does
 * not exist or does not fit).
 */
uint8_t *hvs_write(const kv_node *root, const hvs_write_opts *opts, size_t *len);
void hvs_info_free(hvs_write_info *info);
/* Placement of a node, or NULL. */
const hvs_placed *hvs_info_find(const hvs_write_info *info, const kv_node *n);
/* Placement of kv_path(root, path), or NULL. */
const hvs_placed *hvs_info_path(const hvs_write_info *info, const kv_node *root,
				const char *path);

/* ---- tree building (intermediate nodes are created as needed) ---------- */

kv_node *hvs_tree_new(void);
/* Finds or creates the node at path ("a/b/c"); a part that only names a leaf
 * gets a new node sibling of the same name. */
kv_node *hvs_node(kv_node *root, const char *path);
/* Appends a new child even if a sibling has the same name. */
kv_node *hvs_add(kv_node *parent, const char *name, kv_type t);
/* Set the leaf at path (created, or overwritten when it is a leaf). */
kv_node *hvs_set_str(kv_node *root, const char *path, const char *s);
kv_node *hvs_set_int(kv_node *root, const char *path, int64_t v);
kv_node *hvs_set_uint(kv_node *root, const char *path, uint64_t v);
kv_node *hvs_set_double(kv_node *root, const char *path, double v);
kv_node *hvs_set_bool(kv_node *root, const char *path, bool v);
kv_node *hvs_set_bytes(kv_node *root, const char *path, const void *p, size_t n);

/* ---- checksum re-sealing after deliberate damage ----------------------- */

void hvs_fix_header_crc(uint8_t *buf, size_t off);       /* file header at off */
void hvs_fix_object_entry_crc(uint8_t *buf, size_t off); /* 18-byte object entry */
void hvs_fix_key_table_crc(uint8_t *buf, size_t off);    /* 10-byte key table header */
/* Key entry at off (value length from its type); false for unknown types. */
bool hvs_fix_entry_crc(uint8_t *buf, size_t len, size_t off);
void hvs_fix_log_header_crc(uint8_t *buf, size_t off);
void hvs_fix_log_entry_crc(uint8_t *buf, size_t off);   /* 28-byte log entry */

#endif
