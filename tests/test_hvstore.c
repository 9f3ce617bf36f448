/* test_hvstore.c - the HyperVStorage reader: round trips, damage, replay log, corpus. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "formats/hvstore.h"
#include "support/hvs_writer.h"
#include "support/testutil.h"
#include "util/bytes.h"
#include "util/crc.h"
#include "util/text.h"

#define FNAME "t.vmcx"
#define OT_ROOT 0x2000u
#define OT_ENTRY(i) (OT_ROOT + 8u + 18u * (i))

/* ---- helpers ------------------------------------------------------------ */

static hv_err rd(const uint8_t *b, size_t n, hvstore *h, hv_findings *f)
{
	return hvstore_read(span_make(b, n), FNAME, 0, h, f);
}

/* A finding of exactly this severity at this offset whose text contains sub. */
static bool has_finding(const hv_findings *f, hv_sev sev, uint64_t off, const char *sub)
{
	for (size_t i = 0; i < f->n; i++)
		if (f->v[i].sev == sev && f->v[i].offset == off &&
		    (!sub || strstr(f->v[i].msg, sub)) &&
		    f->v[i].file && strcmp(f->v[i].file, FNAME) == 0)
			return true;
	return false;
}

static size_t count_sev(const hv_findings *f, hv_sev sev)
{
	size_t n = 0;
	for (size_t i = 0; i < f->n; i++)
		n += f->v[i].sev == sev;
	return n;
}

/* Gives every node the sequence the writer assigns, then sorts like the reader. */
static void normalize(kv_node *n, int depth)
{
	ck_assert_int_le(depth, KV_MAX_DEPTH + 1);
	for (size_t i = 0; i < n->nkids; i++) {
		if (!n->kids[i]->seq)
			n->kids[i]->seq = (uint32_t)i + 1;
		normalize(n->kids[i], depth + 1);
	}
	kv_sort(n);
}

static void assert_same_value(const kv_node *e, const kv_node *g)
{
	ck_assert_str_eq(g->name, e->name);
	ck_assert_int_eq(g->type, e->type);
	ck_assert_uint_eq(g->flags & ~1u, e->flags & ~1u);
	ck_assert_int_eq(g->file_object, (g->flags & 1) != 0);
	switch (e->type) {
	case KV_INT: ck_assert_int_eq(g->v.i, e->v.i); break;
	case KV_UINT: ck_assert_uint_eq(g->v.u, e->v.u); break;
	case KV_DOUBLE: ck_assert_mem_eq(&g->v.d, &e->v.d, sizeof e->v.d); break;
	case KV_BOOL: ck_assert_int_eq(g->v.b, e->v.b); break;
	case KV_STRING: ck_assert_str_eq(g->str, e->str); break;
	case KV_BYTES:
		ck_assert_uint_eq(g->nbytes, e->nbytes);
		if (e->nbytes)
			ck_assert_mem_eq(g->bytes, e->bytes, e->nbytes);
		break;
	case KV_NODE: break;
	}
}

static void assert_same_tree(const kv_node *e, const kv_node *g, int depth)
{
	ck_assert_int_le(depth, KV_MAX_DEPTH + 1);
	ck_assert_uint_eq(g->nkids, e->nkids);
	for (size_t i = 0; i < e->nkids; i++) {
		assert_same_value(e->kids[i], g->kids[i]);
		ck_assert_uint_eq(g->kids[i]->seq, e->kids[i]->seq);
		ck_assert_ptr_eq(g->kids[i]->parent, g);
		assert_same_tree(e->kids[i], g->kids[i], depth + 1);
	}
}

static const char *const dev_guid[3] = {
	"B637F346-6A0E-4DEC-AF52-BD70CB80A21D",
	"4764334D-E001-4176-82EE-5594EC9B530E",
	"83F8638B-8DCA-4152-9EDA-2CA8B33039B4",
};

/* Every value type, file objects, duplicate sibling names out of seq order. */
static kv_node *sample_tree(void)
{
	kv_node *r = hvs_tree_new();
	hvs_set_str(r, "configuration/properties/name", "VM1");
	hvs_set_str(r, "configuration/properties/global_id",
		    "282874FC-59D6-4F30-BC04-5FDD909C82E0");
	hvs_set_int(r, "configuration/properties/version", 2304);
	hvs_set_int(r, "configuration/properties/subtype", 1);
	hvs_set_int(r, "configuration/properties/negative", -1234567890123LL);
	hvs_set_uint(r, "configuration/properties/big", UINT64_MAX - 7);
	hvs_set_double(r, "configuration/properties/ratio", -3.25);
	hvs_set_str(r, "configuration/properties/notes", "");
	hvs_set_str(r, "configuration/properties/unicode", "Gr\xc3\xbc\xc3\x9f" "e \xe2\x82\xac");
	static const uint8_t ft[8] = { 0x44, 0x2c, 0x2f, 0x4a, 0xa4, 0x97, 0xd7, 0x01 };
	hvs_set_bytes(r, "configuration/properties/creation_time", ft, sizeof ft);
	hvs_set_bytes(r, "configuration/properties/empty_blob", NULL, 0);
	hvs_set_bool(r, "configuration/settings/secure_boot_enabled", true);
	hvs_set_bool(r, "configuration/settings/tpm_enabled", false);
	hvs_node(r, "configuration/empty_node");
	/* 1500 UTF-16 code units = 3000 bytes: out of line. */
	char *longs = malloc(1501);
	for (int i = 0; i < 1500; i++)
		longs[i] = (char)('a' + i % 26);
	longs[1500] = '\0';
	hvs_set_str(r, "configuration/security/long_string", longs);
	free(longs);
	uint8_t *blob = malloc(5000);
	for (int i = 0; i < 5000; i++)
		blob[i] = (uint8_t)(i * 7 + 3);
	hvs_set_bytes(r, "configuration/security/keys/key_protector", blob, 5000);
	free(blob);
	kv_node *m = hvs_node(r, "configuration/global_settings/metrics");
	static const uint32_t seqs[3] = { 2, 3, 1 };
	for (int i = 0; i < 3; i++) {
		kv_node *d = hvs_add(m, "devicetype", KV_NODE);
		d->seq = seqs[i];
		kv_node *g = hvs_set_str(d, "guid", dev_guid[i]);
		g->flags = 0x02;
		hvs_set_int(d, "deviceinstance/metric", i);
	}
	return r;
}

typedef struct {
	kv_node *tree;
	uint8_t *buf;
	size_t len;
	hvs_write_info info;
} sample;

/* The sample tree plus nfill Int leaves, written with o (may be NULL). */
static void sample_make_fill(sample *s, hvs_write_opts *o, int nfill)
{
	hvs_write_opts def = { 0 };
	if (!o)
		o = &def;
	s->tree = sample_tree();
	for (int i = 0; i < nfill; i++) {
		char path[64];
		snprintf(path, sizeof path, "configuration/filler/f%03d", i);
		hvs_set_int(s->tree, path, i);
	}
	o->info = &s->info;
	s->buf = hvs_write(s->tree, o, &s->len);
	ck_assert_ptr_nonnull(s->buf);
	normalize(s->tree, 0);
}

static void sample_make(sample *s, hvs_write_opts *o)
{
	sample_make_fill(s, o, 0);
}

static void sample_free(sample *s)
{
	free(s->buf);
	kv_free(s->tree);
	hvs_info_free(&s->info);
}

static const hvs_placed *placed(const sample *s, const char *path)
{
	const hvs_placed *p = hvs_info_path(&s->info, s->tree, path);
	ck_assert_ptr_nonnull(p);
	return p;
}

/* Reads s and checks that the tree is exactly the input, with no finding. */
static void assert_round_trip(const sample *s, hvstore *h)
{
	hv_findings f = { 0 };
	ck_assert_int_eq(rd(s->buf, s->len, h, &f), HV_OK);
	ck_assert_uint_eq(f.n, 0);
	assert_same_tree(s->tree, h->root, 0);
	findings_free(&f);
}

/* ---- round trips ---------------------------------------------------------- */

START_TEST(round_trip_every_type)
{
	sample s = { 0 };
	sample_make(&s, NULL);
	hvstore h;
	assert_round_trip(&s, &h);
	ck_assert_int_eq(h.active_header, 0);
	ck_assert_uint_eq(h.format_version, 0x0400);
	ck_assert_uint_eq(h.alignment, 0x1000);
	ck_assert_uint_eq(h.sequence, 2);
	ck_assert_uint_eq(h.header_seq[1], 1);
	ck_assert_uint_eq(h.object_tables, 1);
	ck_assert_uint_eq(h.key_tables, s.info.nkey_tables);
	ck_assert_uint_eq(h.live_entries, s.info.nplaced);
	ck_assert_uint_eq(h.free_entries, s.info.nkey_tables);
	ck_assert_uint_eq(h.file_objects, 2);
	ck_assert_uint_eq(h.bad_entries + h.orphans, 0);
	ck_assert(!h.dirty);
	ck_assert_uint_eq(h.log_offset, s.info.log_off);
	/* Offsets, file objects and duplicate order as stored. */
	const kv_node *kp = kv_path(h.root, "configuration/security/keys/key_protector");
	ck_assert(kp->file_object);
	ck_assert_uint_eq(kp->flags & 1, 1);
	ck_assert_uint_eq(kp->offset,
			  placed(&s, "configuration/security/keys/key_protector")->entry_off);
	ck_assert(kv_path(h.root, "configuration/security/long_string")->file_object);
	ck_assert(!kv_path(h.root, "configuration/properties/name")->file_object);
	const kv_node *m = kv_path(h.root, "configuration/global_settings/metrics");
	ck_assert_uint_eq(m->nkids, 3);
	/* Inserted with sequences 2, 3, 1: read back as 3rd, 1st, 2nd. */
	ck_assert_str_eq(kv_get_str(m->kids[0], "guid"), dev_guid[2]);
	ck_assert_str_eq(kv_get_str(m->kids[1], "guid"), dev_guid[0]);
	ck_assert_str_eq(kv_get_str(m->kids[2], "guid"), dev_guid[1]);
	ck_assert_uint_eq(kv_path(m->kids[0], "guid")->flags, 0x02);
	hvstore_free(&h);
	sample_free(&s);
}
END_TEST

START_TEST(round_trip_parent_in_later_table)
{
	hvs_write_opts o = { .order = HVS_ORDER_CHILDREN_FIRST, .max_entries_per_table = 3 };
	sample s = { 0 };
	sample_make(&s, &o);
	const hvs_placed *child = placed(&s, "configuration/properties/name");
	const hvs_placed *parent = placed(&s, "configuration/properties");
	ck_assert_uint_lt(child->table_index, parent->table_index);
	ck_assert_uint_gt(s.info.nkey_tables, 5);
	hvstore h;
	assert_round_trip(&s, &h);
	ck_assert_uint_eq(h.key_tables, s.info.nkey_tables);
	hvstore_free(&h);
	sample_free(&s);
}
END_TEST

static void chained(hvs_chain mode)
{
	hvs_write_opts o = { .chain = mode, .objtable_capacity = 2, .max_entries_per_table = 4 };
	sample s = { 0 };
	sample_make(&s, &o);
	ck_assert_uint_ge(s.info.nobject_tables, 3);
	ck_assert_uint_eq(s.info.nchain_slots, s.info.nobject_tables - 1);
	hvstore h;
	assert_round_trip(&s, &h);
	ck_assert_uint_eq(h.object_tables, s.info.nobject_tables);
	ck_assert_uint_eq(h.file_objects, 2);
	hvstore_free(&h);
	sample_free(&s);
}

START_TEST(round_trip_chained_object_tables_last_slot)
{
	chained(HVS_CHAIN_LAST_SLOT);
}
END_TEST

START_TEST(round_trip_chained_object_tables_any_slot)
{
	chained(HVS_CHAIN_ANY_SLOT);
}
END_TEST

START_TEST(string_terminators_are_stripped)
{
	hvs_write_opts o = { .string_nul = true };
	sample s = { 0 };
	sample_make(&s, &o);
	hvstore h;
	assert_round_trip(&s, &h);
	hvstore_free(&h);
	sample_free(&s);
}
END_TEST

START_TEST(header_sequence_wraps)
{
	/* Copy 0 has sequence 0, copy 1 0xFFFF: 0 follows 0xFFFF and wins. */
	hvs_write_opts o = { .sequence = 0 };
	kv_node *t = sample_tree();
	size_t n;
	uint8_t *b = hvs_write(t, &o, &n);
	st16le(b + 8, 0);
	hvs_fix_header_crc(b, 0);
	st16le(b + 0x1000 + 8, 0xFFFF);
	hvs_fix_header_crc(b, 0x1000);
	hvstore h;
	hv_findings f = { 0 };
	ck_assert_int_eq(rd(b, n, &h, &f), HV_OK);
	ck_assert_int_eq(h.active_header, 0);
	ck_assert_uint_eq(h.sequence, 0);
	hvstore_free(&h);
	/* Copy 1 one newer than copy 0 wins. */
	st16le(b + 0x1000 + 8, 1);
	hvs_fix_header_crc(b, 0x1000);
	ck_assert_int_eq(rd(b, n, &h, &f), HV_OK);
	ck_assert_int_eq(h.active_header, 1);
	ck_assert_uint_eq(h.sequence, 1);
	ck_assert_uint_eq(f.n, 0);
	hvstore_free(&h);
	findings_free(&f);
	free(b);
	kv_free(t);
}
END_TEST

/* ---- damaged headers ------------------------------------------------------ */

START_TEST(bad_header0_falls_back_to_copy1)
{
	sample s = { 0 };
	sample_make(&s, NULL);
	s.buf[0x0E] ^= 0x40; /* data_version, CRC not fixed */
	hvstore h;
	hv_findings f = { 0 };
	ck_assert_int_eq(rd(s.buf, s.len, &h, &f), HV_OK);
	ck_assert(has_finding(&f, HV_SEV_WARN, 0, "checksum"));
	ck_assert_uint_eq(count_sev(&f, HV_SEV_WARN), 1);
	ck_assert_uint_eq(count_sev(&f, HV_SEV_ERROR), 0);
	ck_assert_int_eq(h.active_header, 1);
	ck_assert(h.header_crc_bad[0] && !h.header_crc_bad[1]);
	ck_assert_uint_eq(h.sequence, 1);
	assert_same_tree(s.tree, h.root, 0);
	hvstore_free(&h);
	findings_free(&f);
	sample_free(&s);
}
END_TEST

START_TEST(both_headers_bad_is_corrupt)
{
	sample s = { 0 };
	sample_make(&s, NULL);
	s.buf[0x20] ^= 1;
	s.buf[0x1020] ^= 1;
	hvstore h;
	hv_findings f = { 0 };
	ck_assert_int_eq(rd(s.buf, s.len, &h, &f), HV_ERR_CORRUPT);
	ck_assert_ptr_null(h.root);
	ck_assert(has_finding(&f, HV_SEV_WARN, 0, "copy 0"));
	ck_assert(has_finding(&f, HV_SEV_WARN, 0x1000, "copy 1"));
	ck_assert(has_finding(&f, HV_SEV_ERROR, 0, "both"));
	hvstore_free(&h);
	findings_free(&f);
	sample_free(&s);
}
END_TEST

START_TEST(unsupported_version_is_named)
{
	hvs_write_opts o = { .format_version = 0x0300 };
	kv_node *t = sample_tree();
	size_t n;
	uint8_t *b = hvs_write(t, &o, &n);
	hvstore h;
	hv_findings f = { 0 };
	ck_assert_int_eq(rd(b, n, &h, &f), HV_ERR_UNSUPPORTED);
	ck_assert(has_finding(&f, HV_SEV_ERROR, 0,
			      "unsupported HyperVStorage format version 0x0300"));
	ck_assert_ptr_null(h.root);
	ck_assert_uint_eq(h.format_version, 0x0300);
	hvstore_free(&h);
	findings_free(&f);
	free(b);
	kv_free(t);
}
END_TEST

START_TEST(not_hyperv_storage)
{
	uint8_t z[0x3000] = { 0 };
	hvstore h;
	hv_findings f = { 0 };
	ck_assert(!hvstore_sniff(span_make(z, sizeof z)));
	ck_assert_int_eq(rd(z, sizeof z, &h, &f), HV_ERR_FORMAT);
	ck_assert_int_eq(rd(z, 3, &h, &f), HV_ERR_FORMAT);
	ck_assert_int_eq(rd(NULL, 0, &h, &f), HV_ERR_FORMAT);
	ck_assert(has_finding(&f, HV_SEV_ERROR, 0, "signature"));
	findings_free(&f);
}
END_TEST

/* ---- truncation and structure damage --------------------------------------- */

START_TEST(truncated_at_structure_boundaries)
{
	sample s = { 0 };
	sample_make(&s, NULL);
	hvstore h;
	hv_findings f = { 0 };
	ck_assert(hvstore_sniff(span_make(s.buf, 4)));
	/* Inside header copy 0: signature but no whole header anywhere. */
	ck_assert_int_eq(rd(s.buf, 20, &h, &f), HV_ERR_CORRUPT);
	ck_assert(has_finding(&f, HV_SEV_WARN, 0, "truncated"));
	ck_assert(has_finding(&f, HV_SEV_ERROR, 0, "both"));
	findings_free(&f);
	/* End of copy 0: copy 1 missing (warning), object table missing. */
	ck_assert_int_eq(rd(s.buf, 0x1000, &h, &f), HV_ERR_CORRUPT);
	ck_assert(has_finding(&f, HV_SEV_WARN, 0x1000, "missing"));
	ck_assert(has_finding(&f, HV_SEV_ERROR, OT_ROOT, "beyond the end"));
	ck_assert_ptr_null(h.root);
	findings_free(&f);
	/* Inside the object table. */
	ck_assert_int_eq(rd(s.buf, OT_ROOT + 0x40, &h, &f), HV_ERR_CORRUPT);
	ck_assert(has_finding(&f, HV_SEV_ERROR, OT_ROOT, "truncated"));
	hvstore_free(&h);
	findings_free(&f);
	/* Inside key table 1: the object entry naming it is reported. */
	ck_assert_int_eq(rd(s.buf, s.info.key_tables[0] + 0x800, &h, &f), HV_ERR_CORRUPT);
	ck_assert(has_finding(&f, HV_SEV_ERROR, OT_ENTRY(0), "key table"));
	ck_assert_ptr_nonnull(h.root);
	hvstore_free(&h);
	findings_free(&f);
	/* Inside the file object of the 5000-byte array. */
	uint64_t fo = placed(&s, "configuration/security/keys/key_protector")->file_object_off;
	ck_assert_uint_ne(fo, 0);
	ck_assert_int_eq(rd(s.buf, fo + 100, &h, &f), HV_ERR_CORRUPT);
	/* Objects: the key tables, then the long string, then this array. */
	ck_assert(has_finding(&f, HV_SEV_ERROR, OT_ENTRY(s.info.nkey_tables + 1), "file object"));
	ck_assert_uint_eq(count_sev(&f, HV_SEV_ERROR), 1);
	ck_assert(has_finding(&f, HV_SEV_WARN,
			      placed(&s, "configuration/security/keys/key_protector")->entry_off,
			      "beyond"));
	ck_assert_ptr_null(kv_path(h.root, "configuration/security/keys/key_protector"));
	ck_assert_ptr_nonnull(kv_path(h.root, "configuration/properties/name"));
	hvstore_free(&h);
	findings_free(&f);
	/* Inside the replay log header: the tree is intact, the log is not. */
	ck_assert_int_eq(rd(s.buf, s.info.log_off + 0x10, &h, &f), HV_OK);
	ck_assert(has_finding(&f, HV_SEV_WARN, s.info.log_off, "replay log"));
	assert_same_tree(s.tree, h.root, 0);
	hvstore_free(&h);
	findings_free(&f);
	sample_free(&s);
}
END_TEST

START_TEST(object_entry_past_eof)
{
	sample s = { 0 };
	sample_make(&s, NULL);
	st64le(s.buf + OT_ENTRY(0) + 5, 0x7FFFFFFFF000ull);
	hvs_fix_object_entry_crc(s.buf, OT_ENTRY(0));
	hvstore h;
	hv_findings f = { 0 };
	ck_assert_int_eq(rd(s.buf, s.len, &h, &f), HV_ERR_CORRUPT);
	ck_assert(has_finding(&f, HV_SEV_ERROR, OT_ENTRY(0), "beyond the end"));
	ck_assert_ptr_nonnull(h.root);
	ck_assert_uint_eq(h.key_tables, s.info.nkey_tables - 1);
	hvstore_free(&h);
	findings_free(&f);
	/* A bad object-entry checksum is a warning naming that entry. */
	s.buf[OT_ENTRY(1) + 10] ^= 0x10;
	ck_assert_int_eq(rd(s.buf, s.len, &h, &f), HV_ERR_CORRUPT);
	ck_assert(has_finding(&f, HV_SEV_WARN, OT_ENTRY(1), "checksum"));
	hvstore_free(&h);
	findings_free(&f);
	sample_free(&s);
}
END_TEST

START_TEST(entry_size_all_ones)
{
	sample s = { 0 };
	sample_make(&s, NULL);
	const hvs_placed *p = placed(&s, "configuration/properties/version");
	st32le(s.buf + p->entry_off + 2, 0xFFFFFFFFu);
	hvstore h;
	hv_findings f = { 0 };
	ck_assert_int_eq(rd(s.buf, s.len, &h, &f), HV_ERR_CORRUPT);
	ck_assert(has_finding(&f, HV_SEV_ERROR, p->entry_off, "0xFFFFFFFF"));
	ck_assert_ptr_nonnull(h.root);
	ck_assert_ptr_null(kv_path(h.root, "configuration/properties/version"));
	ck_assert_uint_ge(h.bad_entries, 1);
	hvstore_free(&h);
	findings_free(&f);
	sample_free(&s);
}
END_TEST

START_TEST(name_length_past_table)
{
	/* Full tables leave a short Free tail; turn it into a String entry
	 * whose 255-byte name would run past the end of the table. */
	sample s = { 0 };
	sample_make_fill(&s, NULL, 120);
	ck_assert_uint_ge(s.info.nkey_tables, 2);
	uint64_t t = s.info.key_tables[0], off = 10;
	while (off < 0x1000 && s.buf[t + off] != 1)
		off += ld32le(s.buf + t + off + 2);
	ck_assert_uint_lt(off, 0x1000);
	uint32_t tail = ld32le(s.buf + t + off + 2);
	ck_assert_uint_lt(tail, 21 + 255);
	uint8_t *e = s.buf + t + off;
	e[0] = 6;
	e[20] = 255;
	hvstore h;
	hv_findings f = { 0 };
	ck_assert_int_eq(rd(s.buf, s.len, &h, &f), HV_OK);
	ck_assert(has_finding(&f, HV_SEV_WARN, t + off, "name"));
	ck_assert_uint_eq(h.bad_entries, 1);
	ck_assert_uint_eq(h.free_entries, s.info.nkey_tables - 1);
	assert_same_tree(s.tree, h.root, 0);
	hvstore_free(&h);
	findings_free(&f);
	sample_free(&s);
}
END_TEST

START_TEST(parent_cycle_is_orphaned)
{
	sample s = { 0 };
	sample_make(&s, NULL);
	const hvs_placed *a = placed(&s, "configuration/settings");
	const hvs_placed *b = placed(&s, "configuration/empty_node");
	st16le(s.buf + a->entry_off + 6, b->table_index);
	st32le(s.buf + a->entry_off + 8, b->table_off);
	st16le(s.buf + b->entry_off + 6, a->table_index);
	st32le(s.buf + b->entry_off + 8, a->table_off);
	ck_assert(hvs_fix_entry_crc(s.buf, s.len, a->entry_off));
	ck_assert(hvs_fix_entry_crc(s.buf, s.len, b->entry_off));
	hvstore h;
	hv_findings f = { 0 };
	ck_assert_int_eq(rd(s.buf, s.len, &h, &f), HV_OK);
	ck_assert(has_finding(&f, HV_SEV_WARN, a->entry_off, "cycle"));
	ck_assert(has_finding(&f, HV_SEV_WARN, b->entry_off, "cycle"));
	/* settings had two children: they are lost with it. */
	ck_assert_uint_eq(h.orphans, 4);
	ck_assert(has_finding(&f, HV_SEV_WARN, HV_NO_OFFSET, "2 further entries"));
	ck_assert_ptr_null(kv_path(h.root, "configuration/settings"));
	ck_assert_ptr_null(kv_path(h.root, "configuration/empty_node"));
	ck_assert_ptr_nonnull(kv_path(h.root, "configuration/properties/name"));
	hvstore_free(&h);
	findings_free(&f);
	sample_free(&s);
}
END_TEST

START_TEST(dangling_parent_is_orphaned)
{
	sample s = { 0 };
	sample_make(&s, NULL);
	const hvs_placed *a = placed(&s, "configuration/properties/subtype");
	st32le(s.buf + a->entry_off + 8, 0x0B); /* no entry starts there */
	ck_assert(hvs_fix_entry_crc(s.buf, s.len, a->entry_off));
	hvstore h;
	hv_findings f = { 0 };
	ck_assert_int_eq(rd(s.buf, s.len, &h, &f), HV_OK);
	ck_assert(has_finding(&f, HV_SEV_WARN, a->entry_off, "does not exist"));
	ck_assert_uint_eq(h.orphans, 1);
	ck_assert_uint_eq(count_sev(&f, HV_SEV_WARN), 1);
	ck_assert_ptr_null(kv_path(h.root, "configuration/properties/subtype"));
	/* A parent that is a leaf, not a node. */
	const hvs_placed *leaf = placed(&s, "configuration/properties/version");
	st16le(s.buf + a->entry_off + 6, leaf->table_index);
	st32le(s.buf + a->entry_off + 8, leaf->table_off);
	ck_assert(hvs_fix_entry_crc(s.buf, s.len, a->entry_off));
	hvstore_free(&h);
	findings_free(&f);
	ck_assert_int_eq(rd(s.buf, s.len, &h, &f), HV_OK);
	ck_assert(has_finding(&f, HV_SEV_WARN, a->entry_off, "not a node"));
	hvstore_free(&h);
	findings_free(&f);
	sample_free(&s);
}
END_TEST

START_TEST(bad_entry_crc_is_skipped)
{
	sample s = { 0 };
	sample_make(&s, NULL);
	const hvs_placed *p = placed(&s, "configuration/properties/global_id");
	s.buf[p->entry_off + p->entry_size - 20] ^= 0x01; /* inside the UTF-16 value */
	hvstore h;
	hv_findings f = { 0 };
	ck_assert_int_eq(rd(s.buf, s.len, &h, &f), HV_OK);
	ck_assert(has_finding(&f, HV_SEV_WARN, p->entry_off, "checksum"));
	ck_assert_uint_eq(count_sev(&f, HV_SEV_WARN), 1);
	ck_assert_uint_eq(h.bad_entries, 1);
	ck_assert_uint_eq(h.live_entries, s.info.nplaced - 1);
	ck_assert_ptr_null(kv_path(h.root, "configuration/properties/global_id"));
	ck_assert_str_eq(kv_get_str(h.root, "configuration/properties/name"), "VM1");
	ck_assert_str_eq(kv_get_str(h.root, "configuration/properties/unicode"),
			 "Gr\xc3\xbc\xc3\x9f" "e \xe2\x82\xac");
	/* The slack is not covered: damaging it changes nothing. */
	hvstore_free(&h);
	findings_free(&f);
	s.buf[p->entry_off + p->entry_size - 20] ^= 0x01;
	s.buf[p->entry_off + p->entry_size - 1] ^= 0xFF;
	ck_assert_int_eq(rd(s.buf, s.len, &h, &f), HV_OK);
	ck_assert_uint_eq(f.n, 0);
	hvstore_free(&h);
	findings_free(&f);
	sample_free(&s);
}
END_TEST

START_TEST(unknown_value_type_is_skipped)
{
	sample s = { 0 };
	sample_make(&s, NULL);
	const hvs_placed *p = placed(&s, "configuration/properties/subtype");
	s.buf[p->entry_off] = 2;
	hvstore h;
	hv_findings f = { 0 };
	ck_assert_int_eq(rd(s.buf, s.len, &h, &f), HV_OK);
	ck_assert(has_finding(&f, HV_SEV_WARN, p->entry_off, "unknown value type 2"));
	ck_assert_ptr_null(kv_path(h.root, "configuration/properties/subtype"));
	ck_assert_ptr_nonnull(kv_path(h.root, "configuration/properties/version"));
	hvstore_free(&h);
	findings_free(&f);
	sample_free(&s);
}
END_TEST

START_TEST(file_object_past_eof)
{
	sample s = { 0 };
	sample_make(&s, NULL);
	const hvs_placed *p = placed(&s, "configuration/security/keys/key_protector");
	uint64_t v = p->entry_off + 21 + strlen("key_protector") + 1;
	ck_assert_uint_eq(ld32le(s.buf + v), 5000);
	st64le(s.buf + v + 4, s.len - 100);
	ck_assert(hvs_fix_entry_crc(s.buf, s.len, p->entry_off));
	hvstore h;
	hv_findings f = { 0 };
	ck_assert_int_eq(rd(s.buf, s.len, &h, &f), HV_OK);
	ck_assert(has_finding(&f, HV_SEV_WARN, p->entry_off, "beyond the end"));
	ck_assert_uint_eq(h.bad_entries, 1);
	ck_assert_ptr_null(kv_path(h.root, "configuration/security/keys/key_protector"));
	hvstore_free(&h);
	findings_free(&f);
	/* Size near 2^32 at an in-range offset. */
	st64le(s.buf + v + 4, p->file_object_off);
	st32le(s.buf + v, 0xFFFFFFF0u);
	ck_assert(hvs_fix_entry_crc(s.buf, s.len, p->entry_off));
	ck_assert_int_eq(rd(s.buf, s.len, &h, &f), HV_OK);
	ck_assert(has_finding(&f, HV_SEV_WARN, p->entry_off, "beyond the end"));
	hvstore_free(&h);
	findings_free(&f);
	sample_free(&s);
}
END_TEST

START_TEST(hostile_counts_and_loops)
{
	hvs_write_opts o = { .chain = HVS_CHAIN_LAST_SLOT, .objtable_capacity = 2,
			     .max_entries_per_table = 4 };
	sample s = { 0 };
	sample_make(&s, &o);
	hvstore h;
	hv_findings f = { 0 };
	/* The last chained table links back to the root table. */
	uint64_t last = s.info.object_tables[s.info.nobject_tables - 1];
	uint64_t slot = last + 8 + 18 * 226;
	s.buf[slot] = 1;
	st64le(s.buf + slot + 5, OT_ROOT);
	st32le(s.buf + slot + 13, 0x1000);
	hvs_fix_object_entry_crc(s.buf, slot);
	ck_assert_int_eq(rd(s.buf, s.len, &h, &f), HV_OK);
	ck_assert(has_finding(&f, HV_SEV_WARN, slot, "loops"));
	assert_same_tree(s.tree, h.root, 0);
	hvstore_free(&h);
	findings_free(&f);
	/* An entry count near 2^32 is clamped to what fits. */
	st32le(s.buf + OT_ROOT + 4, 0xFFFFFFFEu);
	ck_assert_int_eq(rd(s.buf, s.len, &h, &f), HV_OK);
	ck_assert(has_finding(&f, HV_SEV_WARN, OT_ROOT, "4294967294"));
	hvstore_free(&h);
	findings_free(&f);
	/* Two key tables with one index: the newer sequence wins. */
	sample_free(&s);
	hvs_write_opts o2 = { .max_entries_per_table = 10 };
	sample_make(&s, &o2);
	ck_assert_uint_ge(s.info.nkey_tables, 2);
	uint64_t t2 = s.info.key_tables[1];
	st16le(s.buf + t2 + 2, 1);
	st16le(s.buf + t2 + 4, 0);
	hvs_fix_key_table_crc(s.buf, t2);
	ck_assert_int_eq(rd(s.buf, s.len, &h, &f), HV_OK);
	ck_assert(has_finding(&f, HV_SEV_WARN, t2, "index 1"));
	ck_assert_uint_eq(h.key_tables, s.info.nkey_tables - 1);
	hvstore_free(&h);
	findings_free(&f);
	/* A bad key-table header checksum is a warning; entries still read. */
	sample_free(&s);
	sample_make(&s, &o2);
	t2 = s.info.key_tables[1];
	s.buf[t2 + 4] ^= 0x20;
	ck_assert_int_eq(rd(s.buf, s.len, &h, &f), HV_OK);
	ck_assert(has_finding(&f, HV_SEV_WARN, t2, "checksum"));
	ck_assert_uint_eq(count_sev(&f, HV_SEV_WARN), 1);
	assert_same_tree(s.tree, h.root, 0);
	hvstore_free(&h);
	findings_free(&f);
	sample_free(&s);
}
END_TEST

START_TEST(depth_cap_is_enforced)
{
	kv_node *r = hvs_tree_new();
	kv_node *n = hvs_node(r, "configuration");
	for (int i = 1; i < KV_MAX_DEPTH; i++)
		n = hvs_add(n, "d", KV_NODE);
	kv_node *leaf = hvs_set_int(r, "configuration/leaf", 7);
	hvs_write_info info;
	hvs_write_opts o = { .info = &info };
	size_t len;
	uint8_t *b = hvs_write(r, &o, &len);
	ck_assert_ptr_nonnull(b);
	hvstore h;
	hv_findings f = { 0 };
	ck_assert_int_eq(rd(b, len, &h, &f), HV_OK);
	ck_assert_uint_eq(kv_count(h.root), KV_MAX_DEPTH + 1);
	hvstore_free(&h);
	/* Re-parent the leaf under the deepest node: depth 65. */
	const hvs_placed *pl = hvs_info_find(&info, leaf), *pd = hvs_info_find(&info, n);
	st16le(b + pl->entry_off + 6, pd->table_index);
	st32le(b + pl->entry_off + 8, pd->table_off);
	ck_assert(hvs_fix_entry_crc(b, len, pl->entry_off));
	ck_assert_int_eq(rd(b, len, &h, &f), HV_ERR_CORRUPT);
	ck_assert(has_finding(&f, HV_SEV_ERROR, pl->entry_off, "deeper"));
	ck_assert_uint_eq(kv_count(h.root), KV_MAX_DEPTH);
	hvstore_free(&h);
	findings_free(&f);
	/* The writer refuses what it cannot write. */
	hvs_add(n, "too_deep", KV_INT);
	ck_assert_ptr_null(hvs_write(r, NULL, &len));
	hvs_info_free(&info);
	free(b);
	kv_free(r);
}
END_TEST

/* ---- replay log ------------------------------------------------------------ */

START_TEST(dirty_log_is_replayed_on_a_copy)
{
	kv_node *nv = kv_new(NULL, KV_STRING);
	nv->str = strdup("VM2");
	kv_node *iv = kv_new(NULL, KV_INT);
	iv->v.i = 2560;
	hvs_log_patch p[2] = { { "configuration/properties/name", nv, false, false },
			       { "configuration/properties/version", iv, false, false } };
	hvs_write_opts o = { .patches = p, .npatches = 2, .stale_log_entries = 2 };
	sample s = { 0 };
	sample_make(&s, &o);
	uint8_t *orig = malloc(s.len);
	memcpy(orig, s.buf, s.len);
	hvstore h;
	hv_findings f = { 0 };
	ck_assert_int_eq(rd(s.buf, s.len, &h, &f), HV_OK);
	ck_assert_mem_eq(s.buf, orig, s.len);
	ck_assert(h.dirty);
	ck_assert_uint_eq(h.log_pending, 2);
	ck_assert_uint_eq(h.log_replayed, 2);
	ck_assert_uint_eq(h.log_skipped, 0);
	ck_assert_str_eq(kv_get_str(h.root, "configuration/properties/name"), "VM2");
	int64_t v;
	ck_assert(kv_get_int(h.root, "configuration/properties/version", &v));
	ck_assert_int_eq(v, 2560);
	ck_assert_uint_eq(count_sev(&f, HV_SEV_WARN), 0);
	ck_assert(has_finding(&f, HV_SEV_NOTE, s.info.log_off, "dirty"));
	/* Everything else is untouched (the stale entries were not applied). */
	hvs_set_str(s.tree, "configuration/properties/name", "VM2");
	hvs_set_int(s.tree, "configuration/properties/version", 2560);
	assert_same_tree(s.tree, h.root, 0);
	hvstore_free(&h);
	findings_free(&f);
	free(orig);
	sample_free(&s);
	kv_free(nv);
	kv_free(iv);
}
END_TEST

START_TEST(dirty_log_bad_entries_are_skipped)
{
	kv_node *nv = kv_new(NULL, KV_STRING);
	nv->str = strdup("VM2");
	kv_node *iv = kv_new(NULL, KV_INT);
	iv->v.i = 2560;
	kv_node *bv = kv_new(NULL, KV_BOOL);
	bv->v.b = false;
	hvs_log_patch p[3] = {
		{ "configuration/properties/name", nv, false, true },
		{ "configuration/properties/version", iv, false, false },
		{ "configuration/settings/secure_boot_enabled", bv, true, false },
	};
	hvs_write_opts o = { .patches = p, .npatches = 3, .trim_log = true };
	sample s = { 0 };
	sample_make(&s, &o);
	uint64_t e0 = s.info.log_off + 0x22, e2 = e0 + 2 * 28;
	hvstore h;
	hv_findings f = { 0 };
	ck_assert_int_eq(rd(s.buf, s.len, &h, &f), HV_OK);
	ck_assert(has_finding(&f, HV_SEV_WARN, e0, "data checksum"));
	ck_assert(has_finding(&f, HV_SEV_WARN, e2, "checksum"));
	ck_assert_uint_eq(count_sev(&f, HV_SEV_WARN), 2);
	ck_assert(h.dirty);
	ck_assert_uint_eq(h.log_replayed, 1);
	ck_assert_uint_eq(h.log_skipped, 2);
	ck_assert_str_eq(kv_get_str(h.root, "configuration/properties/name"), "VM1");
	int64_t v;
	ck_assert(kv_get_int(h.root, "configuration/properties/version", &v));
	ck_assert_int_eq(v, 2560);
	bool b;
	ck_assert(kv_get_bool(h.root, "configuration/settings/secure_boot_enabled", &b));
	ck_assert(b);
	hvstore_free(&h);
	findings_free(&f);
	/* A destination past the end and a pending count near 2^32. */
	st64le(s.buf + e0 + 28, s.len);
	hvs_fix_log_entry_crc(s.buf, e0 + 28);
	st32le(s.buf + s.info.log_off + 8, 0xFFFFFFFFu);
	hvs_fix_log_header_crc(s.buf, s.info.log_off);
	ck_assert_int_eq(rd(s.buf, s.len, &h, &f), HV_OK);
	ck_assert(has_finding(&f, HV_SEV_WARN, e0 + 28, "destination"));
	ck_assert(has_finding(&f, HV_SEV_WARN, s.info.log_off, "4294967295"));
	ck_assert_uint_eq(h.log_replayed, 0);
	ck_assert_uint_eq(h.log_skipped, 0xFFFFFFFFu);
	hvstore_free(&h);
	findings_free(&f);
	sample_free(&s);
	kv_free(nv);
	kv_free(iv);
	kv_free(bv);
}
END_TEST

/* ---- embedded repositories ------------------------------------------------- */

static uint32_t rng_next(uint32_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 17;
	*s ^= *s << 5;
	return *s;
}

START_TEST(embedded_repository_is_found_and_read)
{
	hvs_write_opts o = { .trim_log = true };
	sample s = { 0 };
	sample_make(&s, &o);
	const uint64_t at = 0x5000;
	size_t n = at + s.len + 0x3000;
	uint8_t *big = malloc(n);
	uint32_t seed = 0x12345678u;
	for (size_t i = 0; i < n; i++)
		big[i] = (uint8_t)rng_next(&seed);
	/* A bare signature at 0x2000 (no valid header) must not count. */
	st32le(big + 0x2000, HVSTORE_SIGNATURE);
	memcpy(big + at, s.buf, s.len);
	uint64_t offs[4];
	ck_assert_uint_eq(hvstore_scan(span_make(big, n), offs, 4), 1);
	ck_assert_uint_eq(offs[0], at);
	ck_assert_uint_eq(hvstore_scan(span_make(big, n), offs, 0), 1);
	/* Damage one entry to see base added to finding offsets. */
	const hvs_placed *p = placed(&s, "configuration/properties/global_id");
	big[at + p->entry_off + 30] ^= 1;
	hvstore h;
	hv_findings f = { 0 };
	ck_assert_int_eq(hvstore_read(span_make(big + at, n - at), FNAME, at, &h, &f), HV_OK);
	ck_assert(has_finding(&f, HV_SEV_WARN, at + p->entry_off, "checksum"));
	ck_assert_uint_eq(h.base_offset, at);
	const kv_node *nm = kv_path(h.root, "configuration/properties/name");
	ck_assert_uint_eq(nm->offset, at + placed(&s, "configuration/properties/name")->entry_off);
	ck_assert_str_eq(nm->str, "VM1");
	hvstore_free(&h);
	findings_free(&f);
	/* Header copy 0 destroyed: the scan still reports the start. */
	big[at + 4] ^= 1;
	ck_assert_uint_eq(hvstore_scan(span_make(big, n), offs, 4), 1);
	ck_assert_uint_eq(offs[0], at);
	free(big);
	sample_free(&s);
}
END_TEST

/* ---- corpus ---------------------------------------------------------------- */

typedef struct {
	uint8_t *buf;
	size_t len;
	hvstore h;
	hv_findings f;
} corpus_file;

static void corpus_open(const char *name, corpus_file *c)
{
	char *p = tu_corpus("hyperv", name);
	memset(c, 0, sizeof *c);
	c->buf = tu_read(p, &c->len);
	free(p);
	ck_assert_ptr_nonnull(c->buf);
	ck_assert(hvstore_sniff(span_make(c->buf, c->len)));
	hv_err rc = hvstore_read(span_make(c->buf, c->len), name, 0, &c->h, &c->f);
	for (size_t i = 0; i < c->f.n; i++) {
		char *l = finding_format(&c->f.v[i]);
		if (c->f.v[i].sev >= HV_SEV_WARN)
			ck_abort_msg("unexpected finding: %s", l);
		free(l);
	}
	ck_assert_int_eq(rc, HV_OK);
	ck_assert_uint_eq(c->f.n, 0);
	ck_assert_int_eq(c->h.active_header, 0);
	ck_assert(!c->h.header_crc_bad[0] && !c->h.header_crc_bad[1]);
	ck_assert_uint_eq(c->h.format_version, 0x0400);
	ck_assert_uint_eq(c->h.alignment, 0x1000);
	ck_assert_uint_eq(c->h.object_tables, 1);
	ck_assert(!c->h.dirty);
	ck_assert_uint_eq(c->h.bad_entries + c->h.orphans + c->h.file_objects, 0);
	uint64_t offs[4];
	ck_assert_uint_eq(hvstore_scan(span_make(c->buf, c->len), offs, 4), 1);
	ck_assert_uint_eq(offs[0], 0);
}

static void corpus_close(corpus_file *c)
{
	hvstore_free(&c->h);
	findings_free(&c->f);
	free(c->buf);
}

static void assert_layout(const hvstore *h, uint16_t seq, uint32_t kt, uint32_t live,
			  uint32_t fr, uint64_t log_off, uint64_t log_size)
{
	ck_assert_uint_eq(h->sequence, seq);
	ck_assert_uint_eq(h->header_seq[0], seq);
	ck_assert_uint_eq(h->header_seq[1], seq - 1);
	ck_assert_uint_eq(h->key_tables, kt);
	ck_assert_uint_eq(h->live_entries, live);
	ck_assert_uint_eq(h->free_entries, fr);
	ck_assert_uint_eq(h->log_offset, log_off);
	ck_assert_uint_eq(h->log_size, log_size);
}

static void assert_vm(const kv_node *root, const char *name, const char *id, int64_t subtype)
{
	ck_assert_uint_eq(root->nkids, 1);
	ck_assert_str_eq(root->kids[0]->name, "configuration");
	const kv_node *c = root->kids[0];
	ck_assert_str_eq(kv_get_str(c, "properties/name"), name);
	ck_assert_str_eq(kv_get_str(c, "properties/global_id"), id);
	ck_assert_str_eq(kv_get_str(c, "settings/global/logical_id"), id);
	int64_t v;
	ck_assert(kv_get_int(c, "properties/version", &v));
	ck_assert_int_eq(v, 2304);
	ck_assert(kv_get_int(c, "properties/subtype", &v));
	ck_assert_int_eq(v, subtype);
	ck_assert(kv_get_int(c, "settings/memory/bank/size", &v));
	ck_assert_int_eq(v, 1024);
}

static void assert_creation_time(const kv_node *root, const char *iso)
{
	const kv_node *ct = kv_path(root, "configuration/properties/creation_time");
	ck_assert_ptr_nonnull(ct);
	ck_assert_int_eq(ct->type, KV_BYTES);
	ck_assert_uint_eq(ct->nbytes, 8);
	char s[32];
	ck_assert(filetime_to_iso(ld64le(ct->bytes), s));
	ck_assert_str_eq(s, iso);
}

START_TEST(corpus_test_vmcx)
{
	corpus_file c;
	corpus_open("test.vmcx", &c);
	assert_layout(&c.h, 25, 8, 409, 2, 0xA000, 0x9000);
	assert_vm(c.h.root, "Other Location", "282874FC-59D6-4F30-BC04-5FDD909C82E0", 0);
	assert_creation_time(c.h.root, "2021-08-22T21:41:00.717226Z");
	const kv_node *cfg = c.h.root->kids[0];
	ck_assert_uint_eq(cfg->nkids, 27);
	ck_assert_uint_eq(kv_path(cfg, "manifest")->nkids, 39);
	ck_assert_uint_eq(kv_path(cfg, "properties")->nkids, 11);
	ck_assert_uint_eq(kv_path(cfg, "settings")->nkids, 6);
	/* Section 8.1 of the format notes: "name" at table 6 + 0x6C1. */
	ck_assert_uint_eq(kv_path(cfg, "properties/name")->offset, 0x8000 + 0x6C1);
	ck_assert_uint_eq(kv_path(cfg, "properties/name")->seq, 12);
	corpus_close(&c);
}
END_TEST

START_TEST(corpus_ec04_vmcx)
{
	corpus_file c;
	corpus_open("EC04F346-DB96-4700-AF5B-77B3C56C38BD.vmcx", &c);
	assert_layout(&c.h, 25, 8, 409, 2, 0xA000, 0x9000);
	assert_vm(c.h.root, "Default Generation 1", "EC04F346-DB96-4700-AF5B-77B3C56C38BD", 0);
	assert_creation_time(c.h.root, "2023-02-17T17:03:06.232140Z");
	const kv_node *ide = kv_child_guid(c.h.root->kids[0],
					   "83f8638b-8dca-4152-9eda-2ca8b33039b4");
	ck_assert_str_eq(kv_get_str(ide, "controller0/drive0/pathname"),
			 "C:\\Disks\\Default Generation 1.vhdx");
	corpus_close(&c);
}
END_TEST

START_TEST(corpus_993f_vmcx_parents_in_later_tables)
{
	corpus_file c;
	corpus_open("993F7B33-6057-4D1E-A1FE-A1A1D77BE974.vmcx", &c);
	assert_layout(&c.h, 23, 6, 338, 3, 0x8000, 0x7000);
	assert_vm(c.h.root, "Default Generation 2", "993F7B33-6057-4D1E-A1FE-A1A1D77BE974", 1);
	assert_creation_time(c.h.root, "2023-02-17T17:03:30.381010Z");
	const kv_node *mem = kv_path(c.h.root, "configuration/settings/memory");
	const kv_node *bank = kv_child(mem, "bank"), *sgx = kv_child(mem, "sgx");
	ck_assert_ptr_nonnull(bank);
	ck_assert_ptr_nonnull(sgx);
	ck_assert_ptr_eq(bank->parent, mem);
	ck_assert_ptr_eq(sgx->parent, mem);
	/* Key tables 1-5 sit at 0x3000-0x7000: bank in 4, sgx in 2, memory in 5. */
	ck_assert_uint_eq(mem->offset / 0x1000, 0x7);
	ck_assert_uint_eq(bank->offset / 0x1000, 0x6);
	ck_assert_uint_eq(sgx->offset / 0x1000, 0x4);
	bool on;
	ck_assert(kv_get_bool(c.h.root, "configuration/_ac6b8dc1-3257-4a70-b1b2-a9c9215659ad_/"
			      "secure_boot_enabled", &on));
	ck_assert(on);
	corpus_close(&c);
}
END_TEST

START_TEST(corpus_data_vmcx)
{
	static const char *const vm[4][2] = {
		{ "EC04F346-DB96-4700-AF5B-77B3C56C38BD",
		  "C:\\Hyper-V\\EasyToFind\\Virtual Machines\\"
		  "EC04F346-DB96-4700-AF5B-77B3C56C38BD.vmcx" },
		{ "993F7B33-6057-4D1E-A1FE-A1A1D77BE974",
		  "C:\\Hyper-V\\EasyToFind\\Virtual Machines\\"
		  "993F7B33-6057-4D1E-A1FE-A1A1D77BE974.vmcx" },
		{ "A5B56431-CA94-482A-B70A-F1F2B12373BE",
		  "C:\\VM\\Other Generation 1\\Virtual Machines\\"
		  "A5B56431-CA94-482A-B70A-F1F2B12373BE.vmcx" },
		{ "4C57771A-3230-4B92-B029-D63F96518E70",
		  "C:\\VM\\Other Generation 2\\Virtual Machines\\"
		  "4C57771A-3230-4B92-B029-D63F96518E70.vmcx" },
	};
	corpus_file c;
	corpus_open("data.vmcx", &c);
	assert_layout(&c.h, 105, 3, 39, 4, 0x9000, 0x5000);
	ck_assert_uint_eq(c.len, 49246);
	ck_assert_uint_eq(c.h.root->nkids, 1);
	const kv_node *cfg = c.h.root->kids[0];
	ck_assert_str_eq(cfg->name, "Configurations");
	int64_t v;
	ck_assert(kv_get_int(cfg, "FormatVersion", &v));
	ck_assert_int_eq(v, 2);
	ck_assert_str_eq(kv_get_str(cfg, "RegID"), "A4F9FA6C-ACDE-42F0-9A9E-B2222CF7ED42");
	const kv_node *vms = kv_child(cfg, "VirtualMachines");
	ck_assert_uint_eq(vms->nkids, 4);
	for (int i = 0; i < 4; i++) {
		char g[39];
		ck_assert(kv_name_guid(vms->kids[i]->name, g));
		ck_assert_str_eq(g, vm[i][0]);
		ck_assert_int_eq(vms->kids[i]->type, KV_STRING);
		ck_assert_str_eq(vms->kids[i]->str, vm[i][1]);
	}
	ck_assert_uint_eq(kv_child(cfg, "VirtualMachinesCache")->nkids, 4);
	const kv_node *rt = kv_child(cfg, "ResourceTypes");
	ck_assert_uint_eq(rt->nkids, 25);
	ck_assert_str_eq(rt->kids[0]->name, "_03CE9A94-E887-40F3-A166-D9E54C42A5BF_");
	ck_assert_str_eq(rt->kids[24]->name, "_F6293891-F32F-4930-B2DB-1A8961D9CB75_");
	corpus_close(&c);
}
END_TEST

START_TEST(corpus_test_vmrs_duplicate_siblings)
{
	corpus_file c;
	corpus_open("test.VMRS", &c);
	assert_layout(&c.h, 7, 2, 113, 1, 0x8000, 0x4000);
	ck_assert_uint_eq(c.len, 45092);
	ck_assert_uint_lt(c.len, c.h.log_offset + c.h.log_size);
	const kv_node *cfg = c.h.root->kids[0];
	ck_assert_str_eq(cfg->name, "configuration");
	int64_t v;
	ck_assert(kv_get_int(cfg, "properties/version", &v));
	ck_assert_int_eq(v, 2304);
	ck_assert_ptr_null(kv_path(cfg, "properties/name"));
	const kv_node *m = kv_path(cfg, "global_settings/metrics");
	size_t ndt = 0;
	uint32_t last = 0;
	for (size_t i = 0; i < m->nkids; i++) {
		if (strcmp(m->kids[i]->name, "devicetype") != 0)
			continue;
		ndt++;
		ck_assert_uint_gt(m->kids[i]->seq, last);
		last = m->kids[i]->seq;
		ck_assert_ptr_nonnull(kv_get_str(m->kids[i], "guid"));
		ck_assert_uint_eq(kv_path(m->kids[i], "guid")->flags & 0x02, 0x02);
	}
	ck_assert_uint_eq(ndt, 3);
	corpus_close(&c);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("hvstore");
	TCase *tc = tcase_create("round_trip");
	tcase_add_test(tc, round_trip_every_type);
	tcase_add_test(tc, round_trip_parent_in_later_table);
	tcase_add_test(tc, round_trip_chained_object_tables_last_slot);
	tcase_add_test(tc, round_trip_chained_object_tables_any_slot);
	tcase_add_test(tc, string_terminators_are_stripped);
	tcase_add_test(tc, header_sequence_wraps);
	suite_add_tcase(s, tc);
	tc = tcase_create("damage");
	tcase_add_test(tc, bad_header0_falls_back_to_copy1);
	tcase_add_test(tc, both_headers_bad_is_corrupt);
	tcase_add_test(tc, unsupported_version_is_named);
	tcase_add_test(tc, not_hyperv_storage);
	tcase_add_test(tc, truncated_at_structure_boundaries);
	tcase_add_test(tc, object_entry_past_eof);
	tcase_add_test(tc, entry_size_all_ones);
	tcase_add_test(tc, name_length_past_table);
	tcase_add_test(tc, parent_cycle_is_orphaned);
	tcase_add_test(tc, dangling_parent_is_orphaned);
	tcase_add_test(tc, bad_entry_crc_is_skipped);
	tcase_add_test(tc, unknown_value_type_is_skipped);
	tcase_add_test(tc, file_object_past_eof);
	tcase_add_test(tc, hostile_counts_and_loops);
	tcase_add_test(tc, depth_cap_is_enforced);
	suite_add_tcase(s, tc);
	tc = tcase_create("replay_log");
	tcase_add_test(tc, dirty_log_is_replayed_on_a_copy);
	tcase_add_test(tc, dirty_log_bad_entries_are_skipped);
	tcase_add_test(tc, embedded_repository_is_found_and_read);
	suite_add_tcase(s, tc);
	tc = tcase_create("corpus");
	tcase_add_test(tc, corpus_test_vmcx);
	tcase_add_test(tc, corpus_ec04_vmcx);
	tcase_add_test(tc, corpus_993f_vmcx_parents_in_later_tables);
	tcase_add_test(tc, corpus_data_vmcx);
	tcase_add_test(tc, corpus_test_vmrs_duplicate_siblings);
	suite_add_tcase(s, tc);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
