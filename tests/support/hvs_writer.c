/* hvs_writer.c - test-only HyperVStorage writer; layout notes in hvs_writer.h. */
#include "support/hvs_writer.h"

#include <stdlib.h>
#include <string.h>

#include "util/bytes.h"
#include "util/crc.h"
#include "util/text.h"
#include "util/xalloc.h"

#define W_SIGNATURE        0x01282014u
#define W_VERSION          0x0400u
#define W_HDR_SIZE         0x2Eu
#define W_HDR_COPY1        0x1000u
#define W_OT_ROOT          0x2000u
#define W_OT_SIGNATURE     0x01110001u
#define W_OT_ENTRIES       227u
#define W_OT_ENTRY_SIZE    18u
#define W_KT_FIRST         0x3000u
#define W_KT_SIGNATURE     0x0002u
#define W_KT_HDR_SIZE      10u
#define W_KE_HDR_SIZE      21u
#define W_SLACK            12u
#define W_LOG_SIGNATURE    0x01110003u
#define W_LOG_HDR_SIZE     0x22u
#define W_LOG_ENTRY_SIZE   0x1Cu
#define W_LOG_REGION       0x1000u
#define W_LOG_MAX_ENTRIES  ((W_LOG_REGION - W_LOG_HDR_SIZE) / W_LOG_ENTRY_SIZE)
#define W_FREE_FILL        0xFDu

enum { WT_FREE = 1, WT_INT = 3, WT_UINT = 4, WT_DOUBLE = 5, WT_STRING = 6, WT_ARRAY = 7,
       WT_BOOL = 8, WT_NODE = 9 };
enum { WO_OBJECT_TABLE = 1, WO_KEY_TABLE = 2, WO_FILE_OBJECT = 3 };

typedef struct {
	const kv_node *n;
	size_t parent;          /* item index, SIZE_MAX for the virtual root */
	uint32_t seq, next_seq;
	uint8_t *raw;           /* String/Array payload (UTF-16LE or bytes) */
	size_t nraw;
	bool fobj;
	uint32_t esize;
	uint16_t table;
	uint32_t off;
	uint64_t fo_off;
} witem;

typedef struct {
	uint8_t type;
	uint64_t off;
	uint32_t size;
} wobj;

typedef struct {
	const hvs_write_opts *o;
	uint32_t threshold;
	witem *it;
	size_t nit, capit;
	size_t ntables;
	wobj *obj;
	size_t nobj, capobj;
	uint64_t end;           /* next free aligned offset */
	uint8_t *buf;
	size_t len;
} wctx;

static uint64_t align_up(uint64_t v)
{
	return (v + HVS_TABLE_SIZE - 1) & ~(uint64_t)(HVS_TABLE_SIZE - 1);
}

static uint8_t wire_type(kv_type t)
{
	switch (t) {
	case KV_NODE: return WT_NODE;
	case KV_INT: return WT_INT;
	case KV_UINT: return WT_UINT;
	case KV_DOUBLE: return WT_DOUBLE;
	case KV_STRING: return WT_STRING;
	case KV_BYTES: return WT_ARRAY;
	case KV_BOOL: return WT_BOOL;
	}
	return 0;
}

/* Payload of a String or Array value; false for other types. */
static bool raw_value(const kv_node *n, bool string_nul, uint8_t **raw, size_t *nraw)
{
	if (n->type == KV_BYTES) {
		*nraw = n->nbytes;
		*raw = xmemdup(n->bytes ? n->bytes : (const uint8_t *)"", n->nbytes);
		return true;
	}
	if (n->type != KV_STRING)
		return false;
	size_t l;
	uint8_t *u = utf8_to_utf16le(n->str ? n->str : "", &l);
	if (string_nul) {
		u = xrealloc(u, l + 2);
		u[l] = u[l + 1] = 0;
		l += 2;
	}
	*raw = u;
	*nraw = l;
	return true;
}

static uint32_t value_len(const witem *w)
{
	if (w->fobj)
		return 12;
	switch (w->n->type) {
	case KV_BOOL: return 4;
	case KV_NODE: return 12;
	case KV_STRING:
	case KV_BYTES: return (uint32_t)(4 + w->nraw);
	default: return 8;
	}
}

static bool item_prepare(wctx *c, witem *w)
{
	size_t nl = strlen(w->n->name);
	if (nl >= 255)
		return false;
	if (raw_value(w->n, c->o->string_nul, &w->raw, &w->nraw)) {
		if (w->nraw > UINT32_MAX)
			return false;
		w->fobj = w->nraw >= c->threshold;
	}
	w->esize = (uint32_t)(W_KE_HDR_SIZE + nl + 1 + value_len(w) + W_SLACK);
	/* Leave room for the Free entry that closes every table. */
	return w->esize <= HVS_TABLE_SIZE - W_KT_HDR_SIZE - W_KE_HDR_SIZE - 1;
}

typedef struct {
	const kv_node *n;
	size_t parent;
	uint32_t seq;
	size_t depth;
} wframe;

static uint32_t kid_seq(const kv_node *parent, size_t i)
{
	return parent->kids[i]->seq ? parent->kids[i]->seq : (uint32_t)i + 1;
}

static void push_kids(wframe **st, size_t *cap, size_t *top, const kv_node *n, size_t me,
		      size_t depth)
{
	for (size_t i = n->nkids; i-- > 0;) {
		*st = xgrow(*st, cap, *top + 1, sizeof **st);
		(*st)[(*top)++] = (wframe){ n->kids[i], me, kid_seq(n, i), depth };
	}
}

/* Preorder list of all nodes below root with parent links and sequences. */
static bool flatten(wctx *c, const kv_node *root)
{
	size_t cap = 0, top = 0;
	wframe *st = NULL;
	bool ok = true;
	push_kids(&st, &cap, &top, root, SIZE_MAX, 1);
	while (top && ok) {
		wframe f = st[--top];
		if (f.depth > KV_MAX_DEPTH) {
			ok = false;
			break;
		}
		c->it = xgrow(c->it, &c->capit, c->nit + 1, sizeof *c->it);
		size_t me = c->nit++;
		witem *w = &c->it[me];
		memset(w, 0, sizeof *w);
		w->n = f.n;
		w->parent = f.parent;
		w->seq = f.seq;
		w->next_seq = 1;
		for (size_t i = 0; i < f.n->nkids; i++)
			if (kid_seq(f.n, i) >= w->next_seq)
				w->next_seq = kid_seq(f.n, i) + 1;
		ok = item_prepare(c, w);
		push_kids(&st, &cap, &top, f.n, me, f.depth + 1);
	}
	free(st);
	return ok;
}

/* Assigns tables and offsets in emission order. */
static void place_entries(wctx *c)
{
	uint32_t off = HVS_TABLE_SIZE, count = 0;
	uint32_t maxper = c->o->max_entries_per_table;
	for (size_t k = 0; k < c->nit; k++) {
		size_t i = c->o->order == HVS_ORDER_CHILDREN_FIRST ? c->nit - 1 - k : k;
		witem *w = &c->it[i];
		uint32_t rem = HVS_TABLE_SIZE - off;
		bool full = (maxper && count >= maxper) || w->esize > rem ||
			    (rem - w->esize > 0 && rem - w->esize <= W_KE_HDR_SIZE);
		if (full) {
			c->ntables++;
			off = W_KT_HDR_SIZE;
			count = 0;
		}
		w->table = (uint16_t)c->ntables;
		w->off = off;
		off += w->esize;
		count++;
	}
}

static void add_obj(wctx *c, uint8_t type, uint64_t off, uint32_t size)
{
	c->obj = xgrow(c->obj, &c->capobj, c->nobj + 1, sizeof *c->obj);
	c->obj[c->nobj++] = (wobj){ type, off, size };
}

static void encode_value(const witem *w, const kv_node *v, uint8_t *p)
{
	if (w->fobj) {
		st32le(p, (uint32_t)w->nraw);
		st64le(p + 4, w->fo_off);
		return;
	}
	switch (v->type) {
	case KV_NODE:
		st64le(p, 0);
		st32le(p + 8, w->next_seq);
		break;
	case KV_INT: st64le(p, (uint64_t)v->v.i); break;
	case KV_UINT: st64le(p, v->v.u); break;
	case KV_DOUBLE: {
		uint64_t bits;
		memcpy(&bits, &v->v.d, sizeof bits);
		st64le(p, bits);
		break;
	}
	case KV_BOOL: st32le(p, v->v.b ? 1 : 0); break;
	case KV_STRING:
	case KV_BYTES:
		st32le(p, (uint32_t)w->nraw);
		memcpy(p + 4, w->raw, w->nraw);
		break;
	}
}

/* Encodes item w with value v into e (w->esize bytes, zeroed). */
static void encode_entry(const wctx *c, const witem *w, const kv_node *v, uint8_t *e)
{
	size_t nl = strlen(w->n->name);
	uint8_t flags = (uint8_t)((w->n->flags & ~1u) | (w->fobj ? 1u : 0u));
	e[0] = wire_type(v->type);
	e[1] = flags;
	st32le(e + 2, w->esize);
	if (w->parent != SIZE_MAX) {
		const witem *p = &c->it[w->parent];
		st16le(e + 6, p->table);
		st32le(e + 8, p->off);
	}
	st32le(e + 16, w->seq);
	e[20] = (uint8_t)(nl + 1);
	memcpy(e + W_KE_HDR_SIZE, w->n->name, nl);
	encode_value(w, v, e + W_KE_HDR_SIZE + nl + 1);
	size_t covered = W_KE_HDR_SIZE + nl + 1 + value_len(w);
	st32le(e + 12, hv_crc32_zeroed(e, covered, 12, 4));
}

static uint64_t table_off(uint16_t index)
{
	return W_KT_FIRST + (uint64_t)(index - 1) * HVS_TABLE_SIZE;
}

static void write_free_entry(uint8_t *p, uint32_t size)
{
	memset(p, W_FREE_FILL, size);
	memset(p, 0, W_KE_HDR_SIZE);
	p[0] = WT_FREE;
	st32le(p + 2, size);
}

static void write_key_tables(wctx *c)
{
	uint32_t *used = xcalloc(c->ntables + 1, sizeof *used);
	for (size_t i = 0; i < c->nit; i++) {
		witem *w = &c->it[i];
		encode_entry(c, w, w->n, c->buf + table_off(w->table) + w->off);
		if (w->off + w->esize > used[w->table])
			used[w->table] = w->off + w->esize;
		if (w->fobj)
			memcpy(c->buf + w->fo_off, w->raw, w->nraw);
	}
	for (uint16_t t = 1; t <= c->ntables; t++) {
		uint8_t *p = c->buf + table_off(t);
		st16le(p, W_KT_SIGNATURE);
		st16le(p + 2, t);
		st16le(p + 4, (uint16_t)(t + 6));
		hvs_fix_key_table_crc(c->buf, table_off(t));
		uint32_t u = used[t] ? used[t] : W_KT_HDR_SIZE;
		if (u < HVS_TABLE_SIZE)
			write_free_entry(p + u, HVS_TABLE_SIZE - u);
	}
	free(used);
}

static void write_obj_entry(uint8_t *e, uint8_t type, uint64_t off, uint32_t size)
{
	e[0] = type;
	st64le(e + 5, off);
	st32le(e + 13, size);
	e[17] = 1;
	hvs_fix_object_entry_crc(e, 0);
}

/* Writes the object tables; chain tables were allocated at chain_off[]. */
static void write_object_tables(wctx *c, const uint64_t *tabs, size_t ntabs, uint32_t per,
				hvs_write_info *info)
{
	size_t next = 0;
	for (size_t t = 0; t < ntabs; t++) {
		uint8_t *p = c->buf + tabs[t];
		st32le(p, W_OT_SIGNATURE);
		st32le(p + 4, W_OT_ENTRIES);
		for (uint32_t s = 0; s < W_OT_ENTRIES; s++)
			hvs_fix_object_entry_crc(p, 8 + (size_t)s * W_OT_ENTRY_SIZE);
		for (uint32_t s = 0; s < per && next < c->nobj; s++, next++)
			write_obj_entry(p + 8 + (size_t)s * W_OT_ENTRY_SIZE, c->obj[next].type,
					c->obj[next].off, c->obj[next].size);
		if (t + 1 == ntabs)
			continue;
		uint32_t slot = c->o->chain == HVS_CHAIN_ANY_SLOT ? per : W_OT_ENTRIES - 1;
		uint64_t eo = tabs[t] + 8 + (uint64_t)slot * W_OT_ENTRY_SIZE;
		write_obj_entry(c->buf + eo, WO_OBJECT_TABLE, tabs[t + 1], HVS_TABLE_SIZE);
		if (info) {
			info->chain_slots = xrealloc(info->chain_slots,
						     (info->nchain_slots + 1) * sizeof(uint64_t));
			info->chain_slots[info->nchain_slots++] = eo;
		}
	}
}

static void write_header(uint8_t *p, uint16_t seq, uint32_t version, uint64_t log_off,
			 uint64_t log_size)
{
	st32le(p, W_SIGNATURE);
	st16le(p + 8, seq);
	st32le(p + 0x0A, version);
	st32le(p + 0x16, HVS_TABLE_SIZE);
	st64le(p + 0x1A, log_off);
	st64le(p + 0x22, log_size);
	st32le(p + 0x2A, W_LOG_REGION);
	hvs_fix_header_crc(p, 0);
}

static void write_log_entry(uint8_t *e, uint64_t dest, uint32_t size, uint64_t inlog,
			    uint32_t data_crc, bool bad_entry_crc)
{
	st64le(e, dest);
	st32le(e + 0x08, size);
	st64le(e + 0x0C, inlog);
	st32le(e + 0x18, data_crc);
	hvs_fix_log_entry_crc(e, 0);
	if (bad_entry_crc)
		e[0x14] ^= 0x01;
}

static size_t find_item(const wctx *c, const kv_node *n)
{
	for (size_t i = 0; i < c->nit; i++)
		if (c->it[i].n == n)
			return i;
	return SIZE_MAX;
}

/* A patch's replacement entry; NULL when the path is absent or it does not fit. */
static uint8_t *patch_entry(const wctx *c, const kv_node *root, const hvs_log_patch *pt,
			    uint32_t *size, uint64_t *dest)
{
	size_t i = find_item(c, kv_path(root, pt->path));
	if (i == SIZE_MAX || !pt->value)
		return NULL;
	witem w = c->it[i];
	w.raw = NULL;
	w.nraw = 0;
	w.fobj = false;
	if (pt->value->type != w.n->type && (pt->value->type == KV_NODE || w.n->type == KV_NODE))
		return NULL;
	kv_node tmp = *w.n;
	tmp.type = pt->value->type;
	w.n = &tmp;
	raw_value(pt->value, c->o->string_nul, &w.raw, &w.nraw);
	size_t need = W_KE_HDR_SIZE + strlen(tmp.name) + 1 + value_len(&w);
	uint8_t *e = NULL;
	if (w.nraw < c->threshold && need <= w.esize) {
		e = xcalloc(1, w.esize);
		encode_entry(c, &w, pt->value, e);
		*size = w.esize;
		*dest = table_off(w.table) + w.off;
	}
	free(w.raw);
	return e;
}

static bool write_log(wctx *c, const kv_node *root, uint64_t log_off)
{
	const hvs_write_opts *o = c->o;
	uint8_t *h = c->buf + log_off;
	st32le(h, W_LOG_SIGNATURE);
	st32le(h + 0x08, (uint32_t)o->npatches);
	st32le(h + 0x0D, W_LOG_MAX_ENTRIES);
	hvs_fix_log_header_crc(c->buf, log_off);
	for (size_t i = 0; i < o->npatches; i++) {
		uint32_t size;
		uint64_t dest, inlog = (uint64_t)(i + 1) * W_LOG_REGION;
		uint8_t *e = patch_entry(c, root, &o->patches[i], &size, &dest);
		if (!e)
			return false;
		memcpy(c->buf + log_off + inlog, e, size);
		uint32_t dcrc = hv_crc32(e, size) ^ (o->patches[i].bad_data_crc ? 1u : 0u);
		write_log_entry(h + W_LOG_HDR_SIZE + i * W_LOG_ENTRY_SIZE, dest, size, inlog, dcrc,
				o->patches[i].bad_entry_crc);
		free(e);
	}
	for (size_t s = 0; s < o->stale_log_entries; s++) {
		/* A leftover that would wipe the root object table if applied. */
		size_t i = o->npatches + s;
		uint64_t inlog = W_LOG_REGION - W_HDR_SIZE;
		write_log_entry(h + W_LOG_HDR_SIZE + i * W_LOG_ENTRY_SIZE, W_OT_ROOT, W_HDR_SIZE,
				inlog, hv_crc32(h + inlog, W_HDR_SIZE), false);
	}
	return true;
}

static void record_info(const wctx *c, hvs_write_info *info, const uint64_t *tabs, size_t ntabs)
{
	info->nplaced = c->nit;
	info->placed = xcalloc(c->nit ? c->nit : 1, sizeof *info->placed);
	for (size_t i = 0; i < c->nit; i++) {
		const witem *w = &c->it[i];
		info->placed[i] = (hvs_placed){ w->n, table_off(w->table) + w->off, w->esize,
						w->table, w->off, w->fobj ? w->fo_off : 0 };
	}
	info->nkey_tables = c->ntables;
	info->key_tables = xcalloc(c->ntables ? c->ntables : 1, sizeof(uint64_t));
	for (size_t t = 0; t < c->ntables; t++)
		info->key_tables[t] = table_off((uint16_t)(t + 1));
	info->nobject_tables = ntabs;
	info->object_tables = xmemdup(tabs, ntabs * sizeof *tabs);
}

/* Lays out file objects, chained object tables and the log after the key tables. */
static size_t layout_tail(wctx *c, uint32_t per, uint64_t **tabs_out)
{
	for (uint16_t t = 1; t <= c->ntables; t++)
		add_obj(c, WO_KEY_TABLE, table_off(t), HVS_TABLE_SIZE);
	c->end = table_off((uint16_t)(c->ntables + 1));
	for (size_t i = 0; i < c->nit; i++) {
		witem *w = &c->it[i];
		if (!w->fobj)
			continue;
		w->fo_off = c->end;
		add_obj(c, WO_FILE_OBJECT, c->end, (uint32_t)align_up(w->nraw));
		c->end += align_up(w->nraw);
	}
	size_t ntabs = c->nobj > per ? (c->nobj + per - 1) / per : 1;
	uint64_t *tabs = xcalloc(ntabs, sizeof *tabs);
	tabs[0] = W_OT_ROOT;
	for (size_t t = 1; t < ntabs; t++) {
		tabs[t] = c->end;
		c->end += HVS_TABLE_SIZE;
	}
	*tabs_out = tabs;
	return ntabs;
}

static uint32_t objects_per_table(const hvs_write_opts *o)
{
	uint32_t per = o->objtable_capacity ? o->objtable_capacity : W_OT_ENTRIES - 1;
	return per > W_OT_ENTRIES - 1 ? W_OT_ENTRIES - 1 : per;
}

static uint8_t *emit(wctx *c, const kv_node *root, size_t *len)
{
	const hvs_write_opts *o = c->o;
	uint64_t *tabs;
	uint32_t per = objects_per_table(o);
	size_t ntabs = layout_tail(c, per, &tabs);
	uint64_t log_off = c->end;
	size_t nlog = o->npatches > 3 ? o->npatches : 3;
	uint64_t log_size = W_LOG_REGION * (1 + (uint64_t)nlog);
	if (o->npatches + o->stale_log_entries > W_LOG_MAX_ENTRIES) {
		free(tabs);
		return NULL;
	}
	c->len = (size_t)(log_off + log_size);
	c->buf = xcalloc(1, c->len);
	write_key_tables(c);
	write_object_tables(c, tabs, ntabs, per, o->info);
	uint16_t seq = o->sequence ? o->sequence : 2;
	uint32_t ver = o->format_version ? o->format_version : W_VERSION;
	write_header(c->buf, seq, ver, log_off, log_size);
	write_header(c->buf + W_HDR_COPY1, (uint16_t)(seq - 1), ver, log_off, log_size);
	bool ok = write_log(c, root, log_off);
	if (ok && o->trim_log) {
		uint64_t used = o->npatches ? W_LOG_REGION * (1 + (uint64_t)o->npatches)
			: W_LOG_HDR_SIZE + (uint64_t)o->stale_log_entries * W_LOG_ENTRY_SIZE;
		c->len = (size_t)(log_off + used);
	}
	if (ok && o->info) {
		record_info(c, o->info, tabs, ntabs);
		o->info->log_off = log_off;
		o->info->log_size = log_size;
	}
	free(tabs);
	if (!ok) {
		free(c->buf);
		return NULL;
	}
	*len = c->len;
	return c->buf;
}

uint8_t *hvs_write(const kv_node *root, const hvs_write_opts *opts, size_t *len)
{
	static const hvs_write_opts defaults;
	wctx c;
	memset(&c, 0, sizeof c);
	c.o = opts ? opts : &defaults;
	c.threshold = c.o->fileobj_threshold ? c.o->fileobj_threshold : HVS_FILEOBJ_THRESHOLD;
	if (c.o->info)
		memset(c.o->info, 0, sizeof *c.o->info);
	uint8_t *out = NULL;
	if (flatten(&c, root)) {
		place_entries(&c);
		if (c.ntables <= UINT16_MAX)
			out = emit(&c, root, len);
	}
	for (size_t i = 0; i < c.nit; i++)
		free(c.it[i].raw);
	free(c.it);
	free(c.obj);
	return out;
}

void hvs_info_free(hvs_write_info *info)
{
	if (!info)
		return;
	free(info->placed);
	free(info->key_tables);
	free(info->object_tables);
	free(info->chain_slots);
	memset(info, 0, sizeof *info);
}

const hvs_placed *hvs_info_find(const hvs_write_info *info, const kv_node *n)
{
	for (size_t i = 0; n && i < info->nplaced; i++)
		if (info->placed[i].node == n)
			return &info->placed[i];
	return NULL;
}

const hvs_placed *hvs_info_path(const hvs_write_info *info, const kv_node *root,
				const char *path)
{
	return hvs_info_find(info, kv_path(root, path));
}

/* ---- tree building ----------------------------------------------------- */

kv_node *hvs_tree_new(void)
{
	return kv_new(NULL, KV_NODE);
}

kv_node *hvs_add(kv_node *parent, const char *name, kv_type t)
{
	kv_node *n = kv_new(name, t);
	kv_add_child(parent, n);
	return n;
}

static kv_node *find_kid(const kv_node *n, const char *name, bool leaf)
{
	for (size_t i = 0; i < n->nkids; i++) {
		kv_node *k = n->kids[i];
		if (strcmp(k->name, name) == 0 && (leaf ? k->nkids == 0 : k->type == KV_NODE))
			return k;
	}
	return NULL;
}

/* Walks path, creating missing nodes; the last part is a leaf when leaf. */
static kv_node *walk(kv_node *root, const char *path, bool leaf)
{
	kv_node *cur = root;
	const char *p = path;
	while (*p) {
		const char *e = strchr(p, '/');
		size_t l = e ? (size_t)(e - p) : strlen(p);
		char *part = xstrndup(p, l);
		bool last = !e || !e[1];
		kv_node *next = find_kid(cur, part, last && leaf);
		cur = next ? next : hvs_add(cur, part, KV_NODE);
		free(part);
		p += l + (e ? 1 : 0);
	}
	return cur;
}

kv_node *hvs_node(kv_node *root, const char *path)
{
	return walk(root, path, false);
}

static kv_node *leaf(kv_node *root, const char *path, kv_type t)
{
	kv_node *n = walk(root, path, true);
	free(n->str);
	free(n->bytes);
	n->str = NULL;
	n->bytes = NULL;
	n->nbytes = 0;
	n->type = t;
	return n;
}

kv_node *hvs_set_str(kv_node *root, const char *path, const char *s)
{
	kv_node *n = leaf(root, path, KV_STRING);
	n->str = xstrdup(s);
	return n;
}

kv_node *hvs_set_int(kv_node *root, const char *path, int64_t v)
{
	kv_node *n = leaf(root, path, KV_INT);
	n->v.i = v;
	return n;
}

kv_node *hvs_set_uint(kv_node *root, const char *path, uint64_t v)
{
	kv_node *n = leaf(root, path, KV_UINT);
	n->v.u = v;
	return n;
}

kv_node *hvs_set_double(kv_node *root, const char *path, double v)
{
	kv_node *n = leaf(root, path, KV_DOUBLE);
	n->v.d = v;
	return n;
}

kv_node *hvs_set_bool(kv_node *root, const char *path, bool v)
{
	kv_node *n = leaf(root, path, KV_BOOL);
	n->v.b = v;
	return n;
}

kv_node *hvs_set_bytes(kv_node *root, const char *path, const void *p, size_t n)
{
	kv_node *x = leaf(root, path, KV_BYTES);
	x->bytes = n ? xmemdup(p, n) : NULL;
	x->nbytes = n;
	return x;
}

/* ---- checksum re-sealing ----------------------------------------------- */

void hvs_fix_header_crc(uint8_t *buf, size_t off)
{
	st32le(buf + off + 4, hv_crc32_zeroed(buf + off, W_HDR_SIZE, 4, 4));
}

void hvs_fix_object_entry_crc(uint8_t *buf, size_t off)
{
	st32le(buf + off + 1, hv_crc32_zeroed(buf + off, W_OT_ENTRY_SIZE, 1, 4));
}

void hvs_fix_key_table_crc(uint8_t *buf, size_t off)
{
	st32le(buf + off + 6, hv_crc32_zeroed(buf + off, W_KT_HDR_SIZE, 6, 4));
}

bool hvs_fix_entry_crc(uint8_t *buf, size_t len, size_t off)
{
	if (off > len || len - off < W_KE_HDR_SIZE)
		return false;
	uint8_t *e = buf + off;
	size_t vo = W_KE_HDR_SIZE + e[20], vlen;
	if (e[1] & 1) {
		vlen = 12;
	} else {
		switch (e[0]) {
		case WT_INT: case WT_UINT: case WT_DOUBLE: vlen = 8; break;
		case WT_BOOL: vlen = 4; break;
		case WT_NODE: vlen = 12; break;
		case WT_STRING:
		case WT_ARRAY:
			if (len - off < vo + 4)
				return false;
			vlen = 4 + (size_t)ld32le(e + vo);
			break;
		default: return false;
		}
	}
	if (len - off < vo || len - off - vo < vlen)
		return false;
	st32le(e + 12, hv_crc32_zeroed(e, vo + vlen, 12, 4));
	return true;
}

void hvs_fix_log_header_crc(uint8_t *buf, size_t off)
{
	st32le(buf + off + 4, hv_crc32_zeroed(buf + off, W_LOG_HDR_SIZE, 4, 4));
}

void hvs_fix_log_entry_crc(uint8_t *buf, size_t off)
{
	st32le(buf + off + 0x14, hv_crc32_zeroed(buf + off, W_LOG_ENTRY_SIZE, 0x14, 4));
}
