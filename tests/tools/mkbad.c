/*
 * mkbad.c - writes tests/bad/: crafted malformed inputs for every reader,
 * with tests/bad/EXPECTED saying what hvtpm inspect must answer for each.
 *
 *   make BUILD=build/x build/x/tests/tools/mkbad && build/x/tests/tools/mkbad tests/bad
 *
 * Every file is built here from synthesized material (test writers in
 * tests/support, throwaway RSA-1024 and P-256 keys made on the spot, fixed
 * pseudo-random filler), then damaged in one precise way.  Nothing comes
 * from a third-party corpus.  Certificates are new on every run, so a
 * regeneration changes the bytes of the files that embed them (not what
 * they test).  Each file stays under BAD_MAX_FILE bytes.
 *
 * EXPECTED has one line per file, tab-separated:
 *   name  exit  class  description
 * exit is hvtpm inspect's exit status (4: input error; 0 for the few inputs
 * that are damaged but legitimately readable, kept to pin the fallback);
 * class is the error class hvtpm names for the file (the "error" member of
 * the JSON output, or a word of the message), "-" when only the exit status
 * and an error line are checked.  tests/test_bad.c runs every line.
 *
 * Virtual disks big enough to hold a VHDX metadata region (3 MiB and more)
 * or to be taken as disks by inspect (over 64 MiB) are not committed: the
 * test builds those at run time (test_bad.c, "disks").
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <archive.h>
#include <archive_entry.h>
#include <openssl/evp.h>
#include <openssl/pkcs12.h>
#include <openssl/x509.h>

#include "formats/kvtree.h"
#include "support/certgen.h"
#include "support/hvs_writer.h"
#include "support/kp_writer.h"
#include "util/bytes.h"
#include "util/crc.h"
#include "util/strbuf.h"
#include "util/xalloc.h"

#define BAD_MAX_FILE (256u * 1024 - 1)
#define BAD_PFX_PASSWORD "mkbad-throwaway"
#define BAD_PFX_ITER 16

#define HVS_HDR1 0x1000u
#define HVS_HDR_VERSION 0x0Au
#define HVS_HDR_ALIGN 0x16u
#define HVS_HDR_LOG_OFF 0x1Au
#define HVS_OT 0x2000u
#define HVS_OT_ENTRY(i) (HVS_OT + 8u + 18u * (i))
#define HVS_OTE_OFF 5u
#define HVS_OTE_SIZE 13u
#define HVS_KE_SIZE 2u
#define HVS_KE_PTABLE 6u
#define HVS_KE_POFF 8u
#define HVS_KT_CRC 6u
#define HVS_LOG_COUNT 8u

static const char *outdir;
static const char *command = "inspect"; /* the hvtpm command EXPECTED names for put() */
static const char *controldir; /* optional: the undamaged originals, for review */
static strbuf expected;
static size_t nfiles;

static void die(const char *what)
{
	fprintf(stderr, "mkbad: %s: %s\n", what, errno ? strerror(errno) : "failed");
	exit(1);
}

/* Writes one case and its EXPECTED line. */
static void put(const char *name, int code, const char *cls, const char *desc, const void *p,
		size_t n)
{
	char path[4096];
	if (n > BAD_MAX_FILE) {
		errno = EFBIG;
		die(name);
	}
	snprintf(path, sizeof path, "%s/%s", outdir, name);
	FILE *f = fopen(path, "wb");
	if (!f || (n && fwrite(p, 1, n, f) != n) || fclose(f) != 0)
		die(path);
	sb_addf(&expected, "%s\t%s\t%d\t%s\t%s\n", name, command, code, cls, desc);
	nfiles++;
}

/* The undamaged original a group of cases starts from (written only on request). */
static void control(const char *name, const void *p, size_t n)
{
	char path[4096];
	if (!controldir)
		return;
	snprintf(path, sizeof path, "%s/%s", controldir, name);
	FILE *f = fopen(path, "wb");
	if (!f || (n && fwrite(p, 1, n, f) != n) || fclose(f) != 0)
		die(path);
}

static void put_str(const char *name, int code, const char *cls, const char *desc,
		    const char *s)
{
	put(name, code, cls, desc, s, strlen(s));
}

static uint8_t *dup_bytes(const void *p, size_t n)
{
	uint8_t *d = xmalloc(n ? n : 1);
	if (n)
		memcpy(d, p, n);
	return d;
}

static char *kp_owner_xml(size_t *len);

/* ====================================================================== */
/* HyperVStorage                                                          */
/* ====================================================================== */

typedef struct {
	kv_node *tree;
	uint8_t *buf;
	size_t len;
	hvs_write_info info;
} hvs_sample;

static kv_node *hvs_tree(void)
{
	kv_node *r = hvs_tree_new();
	hvs_set_str(r, "configuration/properties/name", "bad-input-vm");
	hvs_set_str(r, "configuration/properties/global_id",
		    "0BAD0BAD-0000-4000-8000-000000000001");
	hvs_set_int(r, "configuration/properties/version", 2304);
	hvs_set_int(r, "configuration/properties/subtype", 1);
	hvs_set_bool(r, "configuration/settings/tpm_enabled", true);
	char longs[1501];
	for (int i = 0; i < 1500; i++)
		longs[i] = (char)('a' + i % 26);
	longs[1500] = '\0';
	hvs_set_str(r, "configuration/properties/notes", longs);
	size_t n, fl;
	char *xml = kp_owner_xml(&n);
	uint8_t *framed = kpw_frame(xml, n, &fl);
	hvs_set_bytes(r, "configuration/security/keys/key_protector", framed, fl);
	free(framed);
	free(xml);
	return r;
}

static void hvs_make(hvs_sample *s, kv_node *tree, hvs_write_opts *o)
{
	hvs_write_opts def = { 0 };
	if (!o)
		o = &def;
	memset(s, 0, sizeof *s);
	s->tree = tree ? tree : hvs_tree();
	o->info = &s->info;
	s->buf = hvs_write(s->tree, o, &s->len);
	if (!s->buf)
		die("hvs_write");
}

static void hvs_free(hvs_sample *s)
{
	free(s->buf);
	hvs_info_free(&s->info);
	kv_free(s->tree);
}

static const hvs_placed *hvs_at(const hvs_sample *s, const char *path)
{
	const hvs_placed *p = hvs_info_path(&s->info, s->tree, path);
	if (!p)
		die(path);
	return p;
}

/* Re-parents the entry of child under the node entry of parent (CRC resealed). */
static void hvs_reparent(hvs_sample *s, const hvs_placed *child, const hvs_placed *parent)
{
	st16le(s->buf + child->entry_off + HVS_KE_PTABLE, parent->table_index);
	st32le(s->buf + child->entry_off + HVS_KE_POFF, parent->table_off);
	if (!hvs_fix_entry_crc(s->buf, s->len, child->entry_off))
		die("hvs_fix_entry_crc");
}

static void hvs_truncations(void)
{
	hvs_sample s;
	hvs_make(&s, NULL, NULL);
	control("hvs.vmcx", s.buf, s.len);
	const hvs_placed *fo = hvs_at(&s, "configuration/security/keys/key_protector");
	uint64_t kt0 = s.info.key_tables[0];
	uint64_t ktn = s.info.key_tables[s.info.nkey_tables - 1];
	put("hvs-trunc-in-header0.vmcx", 4, "corrupt",
	    "HyperVStorage cut inside file header copy 0 (20 bytes)", s.buf, 20);
	put("hvs-trunc-header0-struct.vmcx", 4, "corrupt",
	    "HyperVStorage cut right after the 0x2E-byte header copy 0", s.buf, 0x2E);
	put("hvs-trunc-after-header0.vmcx", 4, "corrupt",
	    "HyperVStorage cut at 0x1000: header copy 1 and object table missing", s.buf, 0x1000);
	put("hvs-trunc-in-header1.vmcx", 4, "corrupt",
	    "HyperVStorage cut inside header copy 1 (0x1010)", s.buf, 0x1010);
	put("hvs-trunc-after-headers.vmcx", 4, "corrupt",
	    "HyperVStorage cut at 0x2000: root object table missing", s.buf, 0x2000);
	put("hvs-trunc-in-objtable-hdr.vmcx", 4, "corrupt",
	    "HyperVStorage cut inside the object table header (0x2004)", s.buf, 0x2004);
	put("hvs-trunc-in-objtable.vmcx", 4, "corrupt",
	    "HyperVStorage cut inside the root object table (0x2040)", s.buf, 0x2040);
	put("hvs-trunc-at-keytable1.vmcx", 4, "corrupt",
	    "HyperVStorage cut where key table 1 starts", s.buf, kt0);
	put("hvs-trunc-in-keytable1-hdr.vmcx", 4, "corrupt",
	    "HyperVStorage cut inside the 10-byte header of key table 1", s.buf, kt0 + 6);
	put("hvs-trunc-in-keytable1.vmcx", 4, "corrupt",
	    "HyperVStorage cut in the middle of key table 1", s.buf, kt0 + 0x800);
	put("hvs-trunc-in-last-keytable.vmcx", 4, "corrupt",
	    "HyperVStorage cut in the middle of the last key table", s.buf, ktn + 0x100);
	put("hvs-trunc-in-fileobject.vmcx", 4, "corrupt",
	    "HyperVStorage cut inside the file object of the key protector", s.buf,
	    fo->file_object_off + 100);
	put("hvs-trunc-in-log.vmcx", 0, "-",
	    "HyperVStorage cut inside the replay log header: tree intact, warning only",
	    s.buf, s.info.log_off + 0x10);
	hvs_free(&s);
}

static void hvs_headers(void)
{
	hvs_sample s;
	hvs_make(&s, NULL, NULL);
	uint8_t *b = dup_bytes(s.buf, s.len);
	b[0x20] ^= 1;
	b[HVS_HDR1 + 0x20] ^= 1;
	put("hvs-both-headers-bad-crc.vmcx", 4, "corrupt",
	    "HyperVStorage with a CRC mismatch in both header copies", b, s.len);
	memcpy(b, s.buf, s.len);
	b[0x20] ^= 1;
	put("hvs-header0-bad-crc.vmcx", 0, "-",
	    "HyperVStorage with header copy 0 damaged: copy 1 is used, warning only", b, s.len);
	memcpy(b, s.buf, s.len);
	b[HVS_HDR1] ^= 0xFF;
	b[0x20] ^= 1;
	put("hvs-header1-bad-sig-header0-bad-crc.vmcx", 4, "corrupt",
	    "HyperVStorage: header copy 1 signature broken, copy 0 CRC mismatch", b, s.len);
	memcpy(b, s.buf, s.len);
	st16le(b + HVS_HDR_VERSION, 0x0500);
	hvs_fix_header_crc(b, 0);
	st16le(b + HVS_HDR1 + HVS_HDR_VERSION, 0x0500);
	hvs_fix_header_crc(b, HVS_HDR1);
	put("hvs-version-0500.vmcx", 4, "unsupported",
	    "HyperVStorage format version 0x0500 in both headers (CRCs valid)", b, s.len);
	memcpy(b, s.buf, s.len);
	for (size_t h = 0; h <= HVS_HDR1; h += HVS_HDR1) {
		st32le(b + h + HVS_HDR_ALIGN, 0x1234);
		hvs_fix_header_crc(b, h);
	}
	put("hvs-alignment-not-pow2.vmcx", 4, "corrupt",
	    "HyperVStorage data alignment 0x1234 (not a power of two) in both headers", b, s.len);
	memcpy(b, s.buf, s.len);
	for (size_t h = 0; h <= HVS_HDR1; h += HVS_HDR1) {
		st32le(b + h + HVS_HDR_ALIGN, 0x80000000u);
		hvs_fix_header_crc(b, h);
	}
	put("hvs-alignment-2gib.vmcx", 4, "corrupt",
	    "HyperVStorage data alignment 0x80000000 in both headers", b, s.len);
	free(b);
	put("hvs-signature-only.vmcx", 4, "corrupt", "HyperVStorage: the 4-byte signature alone",
	    s.buf, 4);
	hvs_free(&s);

	hvs_write_opts o = { .format_version = 0x0300 };
	hvs_make(&s, NULL, &o);
	put("hvs-version-0300.vmcx", 4, "unsupported",
	    "HyperVStorage format version 0x0300 (written consistently)", s.buf, s.len);
	hvs_free(&s);
}

static void hvs_objects(void)
{
	hvs_sample s;
	hvs_make(&s, NULL, NULL);
	uint8_t *b = dup_bytes(s.buf, s.len);

	st64le(b + HVS_OT_ENTRY(0) + HVS_OTE_OFF, 0x7FFFFFFFF000ull);
	hvs_fix_object_entry_crc(b, HVS_OT_ENTRY(0));
	put("hvs-objentry-offset-past-eof.vmcx", 4, "corrupt",
	    "HyperVStorage object table entry 0 points at 0x7FFFFFFFF000", b, s.len);
	memcpy(b, s.buf, s.len);
	st64le(b + HVS_OT_ENTRY(0) + HVS_OTE_OFF, UINT64_MAX & ~0xFFFull);
	hvs_fix_object_entry_crc(b, HVS_OT_ENTRY(0));
	put("hvs-objentry-offset-u64max.vmcx", 4, "corrupt",
	    "HyperVStorage object table entry 0 offset near 2^64 (offset + size wraps)", b, s.len);
	memcpy(b, s.buf, s.len);
	st32le(b + HVS_OT_ENTRY(0) + HVS_OTE_SIZE, 0xFFFFF000u);
	hvs_fix_object_entry_crc(b, HVS_OT_ENTRY(0));
	put("hvs-objentry-size-4gib.vmcx", 4, "corrupt",
	    "HyperVStorage key table object of size 0xFFFFF000 (near 2^32)", b, s.len);
	memcpy(b, s.buf, s.len);
	st32le(b + HVS_OT + 4, 0xFFFFFFFFu);
	put("hvs-objtable-count-4g.vmcx", 0, "-",
	    "HyperVStorage object table claiming 0xFFFFFFFF entries: only the 227 that fit are "
	    "read (warning)",
	    b, s.len);
	memcpy(b, s.buf, s.len);
	st32le(b + HVS_OT, 0xDEADBEEFu);
	put("hvs-objtable-bad-signature.vmcx", 4, "corrupt",
	    "HyperVStorage root object table signature destroyed", b, s.len);
	memcpy(b, s.buf, s.len);
	/* Entry 1 names the same key table as entry 0: two tables overlap. */
	memcpy(b + HVS_OT_ENTRY(1), b + HVS_OT_ENTRY(0), 18);
	put("hvs-objentries-overlap.vmcx", 4, "corrupt",
	    "HyperVStorage object entries 0 and 1 name the same bytes (overlapping tables)", b,
	    s.len);
	memcpy(b, s.buf, s.len);
	/* Entry 0 becomes an object table that points at the root table: a cycle. */
	b[HVS_OT_ENTRY(0)] = 1;
	st64le(b + HVS_OT_ENTRY(0) + HVS_OTE_OFF, HVS_OT);
	st32le(b + HVS_OT_ENTRY(0) + HVS_OTE_SIZE, 0x1000);
	hvs_fix_object_entry_crc(b, HVS_OT_ENTRY(0));
	put("hvs-objtable-cycle.vmcx", 4, "-",
	    "HyperVStorage object entry 0 turned into a link back to the root table: the loop "
	    "is not followed (warning), key table 1 is lost, no configuration root (error)",
	    b, s.len);
	memcpy(b, s.buf, s.len);
	size_t fo = HVS_OT_ENTRY(s.info.nkey_tables); /* the first file object */
	st64le(b + fo + HVS_OTE_OFF, 0x0000FFFFFFFF0000ull);
	hvs_fix_object_entry_crc(b, fo);
	put("hvs-fileobj-past-eof.vmcx", 4, "corrupt",
	    "HyperVStorage file object placed at 0xFFFFFFFF0000, past the end", b, s.len);
	memcpy(b, s.buf, s.len);
	st32le(b + fo + HVS_OTE_SIZE, 0xFFFFF000u);
	hvs_fix_object_entry_crc(b, fo);
	put("hvs-fileobj-size-4g.vmcx", 4, "corrupt",
	    "HyperVStorage file object of size 0xFFFFF000 (near 2^32)", b, s.len);
	memcpy(b, s.buf, s.len);
	st16le(b + s.info.key_tables[0], 0x0BAD);
	put("hvs-keytable-bad-signature.vmcx", 4, "corrupt",
	    "HyperVStorage key table 1 signature destroyed", b, s.len);
	memcpy(b, s.buf, s.len);
	for (size_t i = 0; i < s.info.nkey_tables; i++)
		b[s.info.key_tables[i] + HVS_KT_CRC] ^= 0x55;
	put("hvs-keytables-bad-crc.vmcx", 0, "-",
	    "HyperVStorage: every key table header fails its CRC; entries checked one by one "
	    "(warning)",
	    b, s.len);
	free(b);
	hvs_free(&s);
}

static void hvs_entries(void)
{
	hvs_sample s;
	hvs_make(&s, NULL, NULL);
	uint8_t *b = dup_bytes(s.buf, s.len);
	const hvs_placed *v = hvs_at(&s, "configuration/properties/version");

	st32le(b + v->entry_off + HVS_KE_SIZE, 0xFFFFFFFFu);
	put("hvs-entry-size-all-ones.vmcx", 4, "corrupt",
	    "HyperVStorage key entry size 0xFFFFFFFF (near 2^32) breaks the table walk", b,
	    s.len);
	memcpy(b, s.buf, s.len);
	st32le(b + v->entry_off + HVS_KE_SIZE, 0x00100000u);
	put("hvs-entry-size-past-table.vmcx", 4, "corrupt",
	    "HyperVStorage key entry size 1 MiB, past the end of its 4 KiB table", b, s.len);
	memcpy(b, s.buf, s.len);
	st32le(b + v->entry_off + HVS_KE_SIZE, 3);
	put("hvs-entry-size-3.vmcx", 4, "corrupt",
	    "HyperVStorage key entry size 3, shorter than an entry header", b, s.len);
	free(b);
	hvs_free(&s);

	/* Parent cycle: properties <-> settings. */
	hvs_make(&s, NULL, NULL);
	const hvs_placed *pa = hvs_at(&s, "configuration/properties");
	const hvs_placed *pb = hvs_at(&s, "configuration/settings");
	hvs_reparent(&s, pa, pb);
	hvs_reparent(&s, pb, pa);
	put("hvs-parent-cycle.vmcx", 0, "-",
	    "HyperVStorage nodes that are each other's parent: reported as orphans (warning)",
	    s.buf, s.len);
	hvs_free(&s);

	hvs_make(&s, NULL, NULL);
	pa = hvs_at(&s, "configuration/properties");
	hvs_reparent(&s, pa, pa);
	put("hvs-parent-self.vmcx", 0, "-",
	    "HyperVStorage node that is its own parent: reported as an orphan (warning)", s.buf,
	    s.len);
	hvs_free(&s);

	/* Nesting: a 40-deep chain hung under the bottom of another 40-deep chain. */
	kv_node *t = hvs_tree();
	char path[4096] = "configuration";
	for (int i = 0; i < 40; i++)
		strcat(path, "/d");
	hvs_node(t, path);
	char path2[4096] = "e";
	for (int i = 0; i < 39; i++)
		strcat(path2, "/e");
	hvs_node(t, path2);
	hvs_make(&s, t, NULL);
	hvs_reparent(&s, hvs_at(&s, "e"), hvs_at(&s, path));
	put("hvs-depth-82.vmcx", 4, "corrupt",
	    "HyperVStorage tree nested 82 deep through re-parenting (cap 64)", s.buf, s.len);
	hvs_free(&s);
}

static void hvs_log(void)
{
	hvs_sample s;
	hvs_make(&s, NULL, NULL);
	uint8_t *b = dup_bytes(s.buf, s.len);
	for (size_t h = 0; h <= HVS_HDR1; h += HVS_HDR1) {
		st64le(b + h + HVS_HDR_LOG_OFF, 0xFFFFFFFFFFFF0000ull);
		hvs_fix_header_crc(b, h);
	}
	put("hvs-log-offset-past-eof.vmcx", 0, "-",
	    "HyperVStorage replay log offset near 2^64: log ignored with a warning", b, s.len);
	memcpy(b, s.buf, s.len);
	st32le(b + s.info.log_off + HVS_LOG_COUNT, 0xFFFFFFFFu);
	hvs_fix_log_header_crc(b, s.info.log_off);
	put("hvs-log-count-4g.vmcx", 0, "-",
	    "HyperVStorage replay log claiming 0xFFFFFFFF pending entries: warning only", b,
	    s.len);
	free(b);
	hvs_free(&s);
}

/* ====================================================================== */
/* Legacy XML configuration                                               */
/* ====================================================================== */

#define XML_DECL "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n"
#define XML_BODY                                                                           \
	"<configuration>\n"                                                                \
	"  <properties>\n"                                                                 \
	"    <name type=\"string\">bad-xml-vm</name>\n"                                    \
	"    <global_id type=\"string\">0BAD0BAD-0000-4000-8000-000000000002</global_id>\n" \
	"  </properties>\n"                                                                \
	"</configuration>\n"

static void xml_deep(strbuf *sb, const char *open, const char *close, int depth,
		     const char *elem)
{
	sb_adds(sb, open);
	for (int i = 0; i < depth; i++)
		sb_addf(sb, "<%s>", elem);
	for (int i = 0; i < depth; i++)
		sb_addf(sb, "</%s>", elem);
	sb_adds(sb, close);
}

static void put_utf16(const char *name, int code, const char *cls, const char *desc,
		      const char *s, bool bom, size_t cut)
{
	size_t n = strlen(s);
	uint8_t *b = xmalloc(2 * n + 2);
	size_t k = 0;
	if (bom) {
		b[k++] = 0xFF;
		b[k++] = 0xFE;
	}
	for (size_t i = 0; i < n; i++) {
		b[k++] = (uint8_t)s[i];
		b[k++] = 0;
	}
	put(name, code, cls, desc, b, cut && cut < k ? cut : k);
	free(b);
}

/* <root a0="" a1="" ...></root> with n attributes on the root. */
static void xml_attributes(strbuf *sb, const char *root, const char *ns, size_t n)
{
	sb_addf(sb, XML_DECL "<%s%s", root, ns);
	for (size_t i = 0; i < n; i++)
		sb_addf(sb, " a%zu=\"\"", i);
	sb_addf(sb, "></%s>\n", root);
}

/* Documents whose parsing cost libxml2 2.9 would not bound (the larger ones are
 * zipped by archive_cases). */
static void xml_cost_cases(strbuf *sb)
{
	sb_reset(sb);
	xml_attributes(sb, "configuration", "", 65);
	put_str("xml-attrs-65.xml", 4, "limit",
		"legacy XML whose root has 65 attributes (cap 64 per element)", sb_str(sb));
	sb_reset(sb);
	xml_attributes(sb, "Protector", " xmlns=\"" KPW_NS "\"", 65);
	put_str("kp-attrs-65.xml", 4, "limit",
		"key protector whose root has 65 attributes (cap 64 per element)", sb_str(sb));
	sb_reset(sb);
	sb_adds(sb, XML_DECL "<configuration>");
	for (int d = 0; d < 33; d++)
		sb_addf(sb, "<a xmlns:p%d=\"urn:%d\" xmlns:q%d=\"urn:%d\">", d, d, d, d);
	put_str("xml-ns-in-scope-66.xml", 4, "limit",
		"legacy XML with 66 namespace declarations in scope (cap 64)", sb_str(sb));
	put_str("xml-shift-jis.xml", 4, "unsupported",
		"legacy XML declaring Shift_JIS (its bytes can hide markup from the pre-scan)",
		"<?xml version=\"1.0\" encoding=\"Shift_JIS\"?>\n" XML_BODY);
	put_utf16("xml-utf16-declares-latin1.xml", 4, "unsupported",
		  "legacy XML in UTF-16LE declaring ISO-8859-1 (libxml2 would switch to it)",
		  "<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?>\n" XML_BODY, true, 0);
	sb_reset(sb);
	/* The pre-scan stops at the unquoted value; libxml2 must stop there as well. */
	sb_adds(sb, XML_DECL "<configuration><x a=1/><b");
	for (int i = 0; i < 20000; i++)
		sb_addf(sb, " a%d=\"\"", i);
	sb_adds(sb, "/></configuration>\n");
	put_str("xml-error-then-20000-attrs.xml", 4, "corrupt",
		"legacy XML: an unquoted value, then an element of 20,000 attributes", sb_str(sb));
}

static void vmxml_cases(void)
{
	strbuf sb = { 0 };
	const char *full = XML_DECL XML_BODY;
	control("config.xml", full, strlen(full));

	put("xml-trunc-half.xml", 4, "corrupt", "legacy XML configuration cut in half", full,
	    strlen(full) / 2);
	put("xml-trunc-after-root-tag.xml", 4, "corrupt",
	    "legacy XML configuration cut right after the root start tag", full,
	    strlen(XML_DECL) + 16);
	put_str("xml-unclosed-root.xml", 4, "corrupt", "legacy XML without </configuration>",
		XML_DECL "<configuration><properties><name type=\"string\">x</name>"
			 "</properties>\n");
	put_str("xml-mismatched-tags.xml", 4, "corrupt", "legacy XML with crossed end tags",
		XML_DECL "<configuration><properties><name type=\"string\">x</properties></name>"
			 "</configuration>\n");
	put_str("xml-two-roots.xml", 4, "corrupt", "legacy XML with two root elements",
		XML_DECL XML_BODY "<configuration/>\n");
	put_str("xml-undefined-entity.xml", 4, "corrupt",
		"legacy XML referencing an undeclared entity",
		XML_DECL "<configuration><properties><name type=\"string\">&xxe;</name>"
			 "</properties></configuration>\n");
	put_str("xml-xxe-system.xml", 4, "corrupt",
		"legacy XML with a DOCTYPE declaring an external entity (XXE, /etc/passwd)",
		"<?xml version=\"1.0\"?>\n<!DOCTYPE configuration [\n"
		"  <!ENTITY xxe SYSTEM \"file:///etc/passwd\">\n]>\n"
		"<configuration><properties><name type=\"string\">&xxe;</name></properties>"
		"</configuration>\n");
	put_str("xml-xxe-parameter.xml", 4, "corrupt",
		"legacy XML with an external parameter entity fetched over the network",
		"<?xml version=\"1.0\"?>\n<!DOCTYPE configuration [\n"
		"  <!ENTITY % ext SYSTEM \"http://127.0.0.1:9/evil.dtd\">\n  %ext;\n]>\n"
		"<configuration/>\n");
	sb_adds(&sb, "<?xml version=\"1.0\"?>\n<!DOCTYPE configuration [\n"
		     "  <!ENTITY lol \"lol\">\n");
	sb_adds(&sb, "  <!ENTITY lol1 \"&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;\">\n");
	for (int i = 2; i <= 9; i++)
		sb_addf(&sb,
			  "  <!ENTITY lol%d \"&lol%d;&lol%d;&lol%d;&lol%d;&lol%d;&lol%d;&lol%d;"
			  "&lol%d;&lol%d;&lol%d;\">\n",
			  i, i - 1, i - 1, i - 1, i - 1, i - 1, i - 1, i - 1, i - 1, i - 1, i - 1);
	sb_adds(&sb, "]>\n<configuration><properties><name type=\"string\">&lol9;</name>"
		     "</properties></configuration>\n");
	put_str("xml-billion-laughs.xml", 4, "corrupt",
		"legacy XML billion-laughs entity expansion (10^9 'lol')", sb_str(&sb));
	sb_reset(&sb);
	sb_adds(&sb, "<?xml version=\"1.0\"?>\n<!DOCTYPE configuration [\n"
		     "  <!ENTITY big \"");
	for (int i = 0; i < 4000; i++)
		sb_adds(&sb, "AAAAAAAAAAAAAAAA");
	sb_adds(&sb, "\">\n]>\n<configuration><a>");
	for (int i = 0; i < 3000; i++)
		sb_adds(&sb, "&big;");
	sb_adds(&sb, "</a></configuration>\n");
	put_str("xml-quadratic-blowup.xml", 4, "corrupt",
		"legacy XML quadratic blowup: a 64 KB entity referenced 3000 times", sb_str(&sb));
	sb_reset(&sb);
	xml_deep(&sb, XML_DECL "<configuration>", "</configuration>\n", 100, "a");
	put_str("xml-depth-100.xml", 4, "-", "legacy XML nested 100 deep (cap 64)", sb_str(&sb));
	sb_reset(&sb);
	xml_deep(&sb, XML_DECL "<configuration>", "</configuration>\n", 5000, "a");
	put_str("xml-depth-5000.xml", 4, "-", "legacy XML nested 5000 deep (cap 64)", sb_str(&sb));
	sb_reset(&sb);
	put("xml-bad-utf8.xml", 4, "corrupt", "legacy XML declared UTF-8 holding FF FE C3",
	    XML_DECL "<configuration><properties><name type=\"string\">\xff\xfe\xc3</name>"
		     "</properties></configuration>\n",
	    strlen(XML_DECL) + 72);
	put_str("xml-overlong-utf8.xml", 4, "corrupt",
		"legacy XML with an overlong UTF-8 encoding of '<' (C0 BC)",
		XML_DECL "<configuration><properties><name type=\"string\">\xc0\xbc</name>"
			 "</properties></configuration>\n");
	put_str("xml-unknown-encoding.xml", 4, "corrupt",
		"legacy XML declaring encoding EBCDIC-FOO",
		"<?xml version=\"1.0\" encoding=\"EBCDIC-FOO\"?>\n" XML_BODY);
	put_utf16("xml-utf16-trunc.xml", 4, "corrupt",
		  "legacy XML in UTF-16LE with BOM cut in the middle",
		  "<?xml version=\"1.0\" encoding=\"utf-16\"?>\n" XML_BODY, true, 200);
	{
		strbuf u = { 0 };
		sb_adds(&u, "<?xml version=\"1.0\" encoding=\"utf-16\"?>\n<configuration><p>");
		size_t n = strlen(sb_str(&u));
		uint8_t *b = xmalloc(2 * n + 64);
		size_t k = 0;
		b[k++] = 0xFF;
		b[k++] = 0xFE;
		for (size_t i = 0; i < n; i++) {
			b[k++] = (uint8_t)sb_str(&u)[i];
			b[k++] = 0;
		}
		/* An unpaired high surrogate, then the end of the document. */
		b[k++] = 0x00;
		b[k++] = 0xD8;
		b[k++] = 'x';
		b[k++] = 0;
		const char *tail = "</p></configuration>";
		for (size_t i = 0; tail[i]; i++) {
			b[k++] = (uint8_t)tail[i];
			b[k++] = 0;
		}
		put("xml-utf16-lone-surrogate.xml", 4, "corrupt",
		    "legacy XML in UTF-16LE with an unpaired high surrogate", b, k);
		free(b);
		sb_free(&u);
	}
	put_str("xml-attr-unquoted.xml", 4, "corrupt", "legacy XML attribute value without quotes",
		XML_DECL "<configuration><properties><name type=string>x</name>"
			 "</properties>"
			 "</configuration>\n");
	put_str("xml-comment-unterminated.xml", 4, "corrupt",
		"legacy XML with a comment that never ends",
		XML_DECL "<configuration><!-- properties <name>x</name></configuration>\n");
	put_str("xml-cdata-unterminated.xml", 4, "corrupt",
		"legacy XML with a CDATA section that never ends",
		XML_DECL "<configuration><a><![CDATA[x</a></configuration>\n");
	put_str("xml-charref-nul.xml", 4, "corrupt", "legacy XML with the character reference &#0;",
		XML_DECL "<configuration><a>&#0;</a></configuration>\n");
	put_str("xml-charref-out-of-range.xml", 4, "corrupt",
		"legacy XML with the character reference &#x110000; (beyond Unicode)",
		XML_DECL "<configuration><a>&#x110000;</a></configuration>\n");
	put_str("xml-nul-in-name.xml", 4, "corrupt",
		"legacy XML with a control character in a name",
		XML_DECL "<configuration><prop\x01erties/></configuration>\n");
	xml_cost_cases(&sb);
	sb_free(&sb);
}

/* ====================================================================== */
/* Key protectors                                                         */
/* ====================================================================== */

static kpw_guardian kp_g;

static char *kp_xml_doc(const kpw_doc *d, size_t *len)
{
	return kpw_xml(d, len);
}

static char *kp_owner_xml(size_t *len)
{
	kpw_wrapping w = kpw_wrapping_for(&kp_g, 1, 1);
	kpw_doc d = { .max_offline_unwraps = -1, .declaration = true, .guardian_wrapping_id = 1,
		      .w = &w, .n = 1 };
	return kp_xml_doc(&d, len);
}

/* Replaces the first occurrence of from in s (length *n) by to. */
static char *replace(const char *s, size_t n, const char *from, const char *to, size_t *out)
{
	const char *p = memmem(s, n, from, strlen(from));
	if (!p)
		die(from);
	size_t a = (size_t)(p - s), fl = strlen(from), tl = strlen(to);
	char *r = xmalloc(n - fl + tl + 1);
	memcpy(r, s, a);
	memcpy(r + a, to, tl);
	memcpy(r + a + tl, p + fl, n - a - fl);
	*out = n - fl + tl;
	r[*out] = '\0';
	return r;
}

/* The text between <tag> and </tag> (first occurrence) replaced by repl. */
static char *replace_elem(const char *s, size_t n, const char *tag, const char *repl,
			  size_t *out)
{
	char open[128], close[128];
	snprintf(open, sizeof open, "<%s>", tag);
	snprintf(close, sizeof close, "</%s>", tag);
	const char *a = memmem(s, n, open, strlen(open));
	if (!a)
		die(tag);
	a += strlen(open);
	const char *b = memmem(a, n - (size_t)(a - s), close, strlen(close));
	if (!b)
		die(tag);
	size_t pre = (size_t)(a - s), rl = strlen(repl), post = n - (size_t)(b - s);
	char *r = xmalloc(pre + rl + post + 1);
	memcpy(r, s, pre);
	memcpy(r + pre, repl, rl);
	memcpy(r + pre + rl, b, post);
	*out = pre + rl + post;
	r[*out] = '\0';
	return r;
}

static void kp_put_elem(const char *name, const char *cls, const char *desc, const char *xml,
			size_t n, const char *tag, const char *repl)
{
	size_t m;
	char *x = replace_elem(xml, n, tag, repl, &m);
	put(name, 4, cls, desc, x, m);
	free(x);
}

static void kp_cases(void)
{
	size_t n, m;
	char *xml = kp_owner_xml(&n);
	char *x;
	control("kp.xml", xml, n);
	for (kpw_form k = 0; k < KPW_FORM_COUNT; k++) {
		size_t l;
		char cn[64];
		uint8_t *c = kpw_save(xml, n, k, &l);
		snprintf(cn, sizeof cn, "kp-form-%s", kpw_form_name(k));
		control(cn, c, l);
		free(c);
	}

	put("kp-trunc-half.xml", 4, "-", "key protector XML cut in half", xml, n / 2);
	const char *w = memmem(xml, n, "<Wrapping>", 10);
	put("kp-trunc-in-wrapping.xml", 4, "-",
	    "key protector XML cut just inside <Wrapping>", xml, (size_t)(w - xml) + 12);
	{
		const char *root = memmem(xml, n, "<Protector", 10);
		const char *gt = strchr(root, '>');
		put("kp-trunc-after-root-tag.xml", 4, "-",
		    "key protector XML cut right after the <Protector ...> start tag", xml,
		    (size_t)(gt - xml) + 1);
	}
	put("kp-trunc-before-end.xml", 4, "-",
	    "key protector XML missing its last 5 bytes", xml, n - 5);
	x = replace(xml, n, KPW_NS, "http://schemas.microsoft.com/kps/2099/01", &m);
	put("kp-wrong-namespace.xml", 4, "-",
	    "key protector with the MS-KPS namespace changed to a 2099 one", x, m);
	free(x);
	x = replace(xml, n, " xmlns=\"" KPW_NS "\"", "", &m);
	put("kp-no-namespace.xml", 4, "-", "key protector without any namespace", x, m);
	free(x);
	kp_put_elem("kp-bad-base64-cert.xml", "-",
		    "key protector SigningCertificate that is not base64 ('!!' and '*')", xml, n,
		    "SigningCertificate", "MIIB!!not*base64**");
	kp_put_elem("kp-base64-bad-padding.xml", "-",
		    "key protector EncryptionCertificate with padding in the middle", xml, n,
		    "EncryptionCertificate", "MII=BAAA==AAA");
	{
		uint8_t junk[300];
		kpw_seed(77);
		kpw_random(junk, sizeof junk);
		char *b64 = kpw_base64(junk, sizeof junk);
		kp_put_elem("kp-cert-random-bytes.xml", "-",
			    "key protector SigningCertificate holding 300 random bytes", xml, n,
			    "SigningCertificate", b64);
		free(b64);
		/* A DER SEQUENCE of two INTEGERs: well-formed DER, not a certificate. */
		static const uint8_t der[] = { 0x30, 0x06, 0x02, 0x01, 0x05, 0x02, 0x01, 0x07 };
		b64 = kpw_base64(der, sizeof der);
		kp_put_elem("kp-cert-der-not-x509.xml", "-",
			    "key protector EncryptionCertificate: valid DER that is no certificate",
			    xml, n, "EncryptionCertificate", b64);
		free(b64);
		b64 = kpw_base64(kp_g.signing->der, kp_g.signing->der_len / 2);
		kp_put_elem("kp-cert-trunc-der.xml", "-",
			    "key protector SigningCertificate cut to half its DER", xml, n,
			    "SigningCertificate", b64);
		free(b64);
		/* Outer SEQUENCE length claims 4 GiB. */
		uint8_t *big = dup_bytes(kp_g.signing->der, kp_g.signing->der_len);
		uint8_t hdr[] = { 0x30, 0x84, 0xFF, 0xFF, 0xFF, 0xF0 };
		size_t hl = 2 + (big[1] & 0x7F);
		uint8_t *d2 = xmalloc(kp_g.signing->der_len - hl + sizeof hdr);
		memcpy(d2, hdr, sizeof hdr);
		memcpy(d2 + sizeof hdr, big + hl, kp_g.signing->der_len - hl);
		b64 = kpw_base64(d2, kp_g.signing->der_len - hl + sizeof hdr);
		kp_put_elem("kp-cert-der-len-4g.xml", "-",
			    "key protector certificate whose DER length says 0xFFFFFFF0", xml, n,
			    "SigningCertificate", b64);
		free(b64);
		free(d2);
		free(big);
	}
	x = replace_elem(xml, n, "SignatureValue", "***", &m);
	put("kp-sigvalue-not-base64.xml", 0, "-",
	    "key protector SignatureValue that is not base64: never verifiable offline anyway "
	    "(warning)",
	    x, m);
	free(x);
	kp_put_elem("kp-id-not-number.xml", "-", "key protector wrapping Id 'one'", xml, n, "Id",
		    "one");
	kp_put_elem("kp-id-overflow.xml", "-", "key protector wrapping Id 99999999999999999999",
		    xml, n, "Id", "99999999999999999999");
	{
		const char *a = memmem(xml, n, "<Wrappings>", 11);
		const char *b = memmem(xml, n, "</Wrappings>", 12);
		strbuf sb = { 0 };
		sb_add(&sb, xml, (size_t)(a - xml) + 11);
		sb_adds(&sb, (const char *)b);
		put_str("kp-no-wrapping.xml", 4, "-", "key protector whose <Wrappings> is empty",
			sb_str(&sb));
		sb_free(&sb);
		sb_add(&sb, xml, (size_t)(a - xml) + 11);
		for (int i = 0; i < 10000; i++)
			sb_adds(&sb, "<Wrapping/>");
		sb_adds(&sb, (const char *)b);
		put_str("kp-10000-wrappings.xml", 4, "limit",
			"key protector with 10,000 (empty) wrappings (cap 4096)", sb_str(&sb));
		sb_free(&sb);
	}
	{
		kpw_wrapping ws[2] = { kpw_wrapping_for(&kp_g, 1, 1),
				       kpw_wrapping_for(&kp_g, 2, 2) };
		kpw_doc d = { .max_offline_unwraps = -1, .declaration = true,
			      .guardian_wrapping_id = 1, .w = ws, .n = 2 };
		size_t l;
		char *y = kp_xml_doc(&d, &l);
		put("kp-two-owners.xml", 4, "-",
		    "key protector with two self-parented (owner) wrappings", y, l);
		free(y);
		ws[1] = kpw_wrapping_for(&kp_g, 2, 7);
		y = kp_xml_doc(&d, &l);
		put("kp-dangling-parent.xml", 4, "-",
		    "key protector wrapping 2 whose parent 7 does not exist", y, l);
		free(y);
	}
	{
		/* Two wrappings, neither self-parented: no owner. */
		kpw_wrapping ws[2] = { kpw_wrapping_for(&kp_g, 1, 2),
				       kpw_wrapping_for(&kp_g, 2, 1) };
		kpw_doc d = { .max_offline_unwraps = -1, .declaration = true,
			      .guardian_wrapping_id = 1, .w = ws, .n = 2 };
		size_t l;
		char *y = kp_xml_doc(&d, &l);
		put("kp-parent-cycle.xml", 4, "-",
		    "key protector whose two wrappings are each other's parent (no owner)", y, l);
		free(y);
	}
	{
		strbuf sb = { 0 };
		sb_adds(&sb, "<?xml version=\"1.0\"?>\n<!DOCTYPE Protector [\n"
			     "  <!ENTITY a0 \"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\">\n");
		for (int i = 1; i <= 9; i++) {
			sb_addf(&sb, "  <!ENTITY a%d \"", i);
			for (int k = 0; k < 10; k++)
				sb_addf(&sb, "&a%d;", i - 1);
			sb_adds(&sb, "\">\n");
		}
		sb_adds(&sb, "]>\n<Protector xmlns=\"" KPW_NS "\">"
			     "<Wrappings><Wrapping><Id>&a9;</Id>"
			     "</Wrapping></Wrappings></Protector>\n");
		put_str("kp-billion-laughs.xml", 4, "-",
			"key protector with a billion-laughs DTD in front of <Protector>",
			sb_str(&sb));
		sb_free(&sb);
		sb_adds(&sb, "<?xml version=\"1.0\"?>\n<!DOCTYPE Protector [\n"
			     "  <!ENTITY xxe SYSTEM \"file:///etc/hostname\">\n]>\n"
			     "<Protector xmlns=\"" KPW_NS "\"><Wrappings><Wrapping><Id>&xxe;</Id>"
			     "</Wrapping></Wrappings></Protector>\n");
		put_str("kp-xxe.xml", 4, "-",
			"key protector with an external entity (XXE) in the wrapping Id",
			sb_str(&sb));
		sb_free(&sb);
		xml_deep(&sb, "<Protector xmlns=\"" KPW_NS "\"><Wrappings><Wrapping>",
			 "</Wrapping></Wrappings></Protector>\n", 200, "Parameters");
		put_str("kp-depth-200.xml", 4, "-", "key protector nested 200 elements deep",
			sb_str(&sb));
		sb_free(&sb);
	}

	/* Saved forms. */
	uint8_t *framed;
	size_t fl;
	framed = kpw_frame(xml, n, &fl);
	uint8_t *b = dup_bytes(framed, fl);
	st32be(b, 0xFFFFFFF0u);
	put("kp-octet-len-4g.kp", 0, "-",
	    "OctetString key protector whose length prefix says 0xFFFFFFF0: the bytes present "
	    "are read (warning)",
	    b, fl);
	st32be(b, 9);
	put("kp-octet-len-9.kp", 4, "corrupt",
	    "OctetString key protector whose length prefix says 9: the prefix ends inside the "
	    "document",
	    b, fl);
	memcpy(b, framed, fl);
	put("kp-octet-trunc.kp", 4, "-",
	    "OctetString key protector cut in the middle of its XML", b, fl / 2);
	put("kp-octet-len-only.kp", 4, "format",
	    "4 bytes 00 00 10 FC (a length prefix and nothing else), named .kp: damaged", b, 4);
	free(b);
	{
		size_t l;
		uint8_t *s = kpw_save(xml, n, KPW_FORM_OUTFILE_UTF16_CRLF, &l);
		put("kp-outfile-trunc.txt", 4, "-",
		    "Out-File decimal lines (UTF-16LE) cut at a third", s, l / 3 & ~(size_t)1);
		uint8_t *t = dup_bytes(s, l);
		/* Line 5 ("x\r\n" in UTF-16) becomes 999. */
		size_t line = 0, at = 2;
		while (line < 4 && at + 1 < l) {
			if (t[at] == '\n')
				line++;
			at += 2;
		}
		memcpy(t + at, "9\0009\0009\0", 6);
		put("kp-outfile-value-999.txt", 4, "corrupt",
		    "Out-File decimal lines whose fifth value is 999: a damaged key protector",
		    t, l);
		free(t);
		free(s);
		s = kpw_save(xml, n, KPW_FORM_BASE64, &l);
		t = dup_bytes(s, l);
		t[100] = '*';
		t[101] = '!';
		put("kp-base64-form-bad-char.b64", 4, "corrupt",
		    "base64-saved key protector with '*!' in the middle",
		    t, l);
		put("kp-base64-form-trunc.b64", 4, "corrupt",
		    "base64-saved key protector cut after 501 characters",
		    s, 501);
		free(t);
		free(s);
		s = kpw_save(xml, n, KPW_FORM_CIM_ARRAY, &l);
		put("kp-cim-trunc.xml", 4, "corrupt",
		    "CIM-XML key protector instance cut in half",
		    s, l / 2);
		size_t cl;
		char *c = replace((const char *)s, l, "<VALUE.ARRAY>\n<VALUE>",
				  "<VALUE.ARRAY>\n<VALUE>-7", &cl);
		put("kp-cim-negative-value.xml", 4, "corrupt",
		    "CIM-XML KeyProtector array whose first value is -70",
		    c, cl);
		free(c);
		free(s);
		s = kpw_save(xml, n, KPW_FORM_XML_UTF16, &l);
		put("kp-utf16-trunc.xml", 4, "-",
		    "UTF-16LE key protector XML cut in the middle (even length)", s,
		    l / 2 & ~(size_t)1);
		put("kp-utf16-odd-length.xml", 4, "-",
		    "UTF-16LE key protector XML with an odd byte count (last unit cut)", s,
		    (l - 2) | 1);
		free(s);
	}
	{
		/* base64 of base64 of ... of the XML: 8 layers (cap 6). */
		uint8_t *cur = dup_bytes(framed, fl);
		size_t cl = fl;
		for (int i = 0; i < 8; i++) {
			char *e = kpw_base64(cur, cl);
			free(cur);
			cl = strlen(e);
			cur = (uint8_t *)e;
		}
		put("kp-base64-8-layers.b64", 4, "limit",
		    "key protector base64-encoded 8 times over (layer cap 6)", cur, cl);
		free(cur);
	}
	free(framed);
	free(xml);
}

/* ====================================================================== */
/* Guardian metadata                                                      */
/* ====================================================================== */

static void guardian_cases(void)
{
	char *enc = kpw_base64(kp_g.encryption->der, kp_g.encryption->der_len);
	char *sig = kpw_base64(kp_g.signing->der, kp_g.signing->der_len);
	strbuf sb = { 0 };
	sb_addf(&sb,
		  "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<Metadata xmlns=\"%s\" "
		  "Version=\"1\"><GuardianInformation><Version>1</Version><Name>BadGuardian</Name>"
		  "<EncryptionCertificate>%s</EncryptionCertificate><SigningCertificate>%s"
		  "</SigningCertificate></GuardianInformation></Metadata>\n",
		  KPW_NS, enc, sig);
	control("guardian.xml", sb_str(&sb), sb.len);
	put("guardian-trunc.xml", 4, "corrupt", "guardian metadata XML cut in half",
	    sb_str(&sb), sb.len / 2);
	size_t m;
	char *x = replace_elem(sb_str(&sb), sb.len, "EncryptionCertificate", "!!!*not base64*", &m);
	put("guardian-bad-base64.xml", 0, "-",
	    "guardian metadata whose EncryptionCertificate is not base64: the signing "
	    "certificate is still read (warning)",
	    x, m);
	free(x);
	char *half = kpw_base64(kp_g.signing->der, kp_g.signing->der_len / 3);
	x = replace_elem(sb_str(&sb), sb.len, "SigningCertificate", half, &m);
	put("guardian-cert-trunc-der.xml", 4, "-",
	    "guardian metadata whose SigningCertificate is a third of a DER certificate", x, m);
	free(x);
	free(half);
	x = replace(sb_str(&sb), sb.len, "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n",
		    "<?xml version=\"1.0\"?>\n<!DOCTYPE Metadata [<!ENTITY x SYSTEM "
		    "\"file:///etc/passwd\">]>\n",
		    &m);
	put("guardian-xxe.xml", 4, "corrupt",
	    "guardian metadata behind a DOCTYPE with an XXE entity: refused by the XML parser",
	    x, m);
	free(x);
	x = replace(sb_str(&sb), sb.len, "</Metadata>", "</Metadata><Metadata/>", &m);
	put("guardian-two-roots.xml", 4, "corrupt",
	    "guardian metadata with two root elements",
	    x, m);
	free(x);
	sb_free(&sb);
	free(enc);
	free(sig);
}

/* ====================================================================== */
/* Certificates                                                           */
/* ====================================================================== */

static void cert_cases(void)
{
	EVP_PKEY *k = NULL;
	X509 *c = certgen_self_signed("mkbad throwaway certificate", 1700000000, 1900000000, &k);
	size_t n;
	uint8_t *der = certgen_der(c, &n);
	control("cert.cer", der, n);
	put("cert-trunc-half.cer", 4, "corrupt", "DER certificate cut in half", der, n / 2);
	put("cert-trunc-last-byte.cer", 4, "corrupt", "DER certificate missing its last byte",
	    der, n - 1);
	put("cert-trunc-in-tbs.cer", 4, "corrupt",
	    "DER certificate cut 40 bytes in, inside tbsCertificate", der, 40);
	uint8_t *b = dup_bytes(der, n);
	/* 30 82 L L | 30 (81 L | 82 L L) | A0 03 02 01 02 | 02 len serial | 30 (algorithm) */
	size_t tbs_hdr = der[5] & 0x80 ? 2u + (der[5] & 0x7Fu) : 2u;
	size_t serial = 4 + tbs_hdr + 5;
	size_t alg = serial + 2 + der[serial + 1];
	if (der[1] != 0x82 || der[serial] != 0x02 || der[alg] != 0x30)
		die("certificate layout");
	b[alg] = 0x04;
	put("cert-bad-inner-tag.cer", 4, "corrupt",
	    "DER certificate whose signature AlgorithmIdentifier is tagged OCTET STRING", b, n);
	memcpy(b, der, n);
	b[alg + 1] = 0x7F;
	put("cert-inner-len-past-end.cer", 4, "corrupt",
	    "DER certificate whose AlgorithmIdentifier length runs past tbsCertificate", b, n);
	memcpy(b, der, n);
	b[serial + 1] = 0x7F;
	put("cert-serial-len-past-end.cer", 4, "corrupt",
	    "DER certificate whose serial number claims 127 bytes", b, n);
	free(b);
	/* Long-form outer length pointing past the end. */
	b = xmalloc(n + 4);
	memcpy(b, der, n);
	b[2] = (uint8_t)(b[2] + 0x10);
	put("cert-len-past-end.cer", 4, "corrupt",
	    "DER certificate whose outer length runs 4 KiB past the end", b, n);
	free(b);
	char *b64 = kpw_base64(der, n);
	strbuf sb = { 0 };
	sb_addf(&sb, "-----BEGIN CERTIFICATE-----\n%.*s\n", 200, b64);
	put_str("cert-pem-no-end.pem", 4, "corrupt",
		"PEM certificate cut after 200 base64 characters, no END line", sb_str(&sb));
	sb_reset(&sb);
	sb_addf(&sb, "-----BEGIN CERTIFICATE-----\n%.*s*!%s\n-----END CERTIFICATE-----\n", 64,
		  b64, b64 + 66);
	put_str("cert-pem-bad-base64.pem", 4, "corrupt",
		"PEM certificate with '*!' inside its base64", sb_str(&sb));
	sb_reset(&sb);
	char *h64 = kpw_base64(der, n / 2);
	sb_addf(&sb, "-----BEGIN CERTIFICATE-----\n%s\n-----END CERTIFICATE-----\n", h64);
	put_str("cert-pem-trunc-der.pem", 4, "-",
		"PEM certificate whose base64 holds only half the DER", sb_str(&sb));
	sb_reset(&sb);
	sb_addf(&sb, "-----BEGIN CERTIFICATE-----\n%.64s\n-----END CERTIFICATE-----\n"
		     "-----BEGIN CERTIFICATE-----\n!!!!\n-----END CERTIFICATE-----\n", b64);
	put_str("cert-pem-two-bad-blocks.pem", 4, "corrupt",
		"PEM file with two CERTIFICATE blocks, neither of which decodes", sb_str(&sb));
	sb_reset(&sb);
	put_str("cert-pem-empty.pem", 4, "-", "PEM certificate block with nothing inside",
		"-----BEGIN CERTIFICATE-----\n-----END CERTIFICATE-----\n");
	static const uint8_t p7[] = { 0x30, 0x0F, 0x06, 0x09, 0x2A, 0x86, 0x48, 0x86, 0xF7,
				      0x0D, 0x01, 0x07, 0x02, 0xA0, 0x82, 0x40, 0x00 };
	put("cert-p7b-trunc.p7b", 4, "corrupt",
	    "PKCS#7 signedData (p7b) whose content claims 16 KiB and stops", p7, sizeof p7);
	sb_free(&sb);
	free(h64);
	free(b64);
	free(der);
	X509_free(c);
	EVP_PKEY_free(k);
}

/* ====================================================================== */
/* PFX                                                                    */
/* ====================================================================== */

static uint8_t *pfx_make(size_t *len, const char *pass, int iter)
{
	EVP_PKEY *k = NULL;
	X509 *c = certgen_self_signed("Shielded VM Encryption Certificate (MkBad) (BADHOST)",
				      1700000000, 1900000000, &k);
	PKCS12 *p = PKCS12_create(pass, "mkbad", k, c, NULL, NID_aes_256_cbc, NID_aes_256_cbc,
				  iter, iter, 0);
	if (!p)
		die("PKCS12_create");
	unsigned char *der = NULL;
	int n = i2d_PKCS12(p, &der);
	if (n <= 0)
		die("i2d_PKCS12");
	uint8_t *r = dup_bytes(der, (size_t)n);
	*len = (size_t)n;
	OPENSSL_free(der);
	PKCS12_free(p);
	X509_free(c);
	EVP_PKEY_free(k);
	return r;
}

/* Offset of the last OCTET STRING of 32 bytes (the SHA-256 MAC digest). */
static size_t pfx_mac_digest(const uint8_t *b, size_t n)
{
	for (size_t i = n - 34; i > 0; i--)
		if (b[i] == 0x04 && b[i + 1] == 0x20)
			return i + 2;
	die("MAC digest");
	return 0;
}

static void pfx_cases(void)
{
	size_t n;
	uint8_t *p = pfx_make(&n, BAD_PFX_PASSWORD, BAD_PFX_ITER);
	uint8_t *b = dup_bytes(p, n);
	control("pfx.pfx", p, n);

	put("pfx-trunc-half.pfx", 4, "-", "PFX cut in half", p, n / 2);
	put("pfx-trunc-before-mac.pfx", 4, "-", "PFX cut before its MacData", p, n - 60);
	put("pfx-trunc-64.pfx", 4, "-", "PFX cut after 64 bytes", p, 64);
	b[pfx_mac_digest(b, n) + 5] ^= 0x40;
	put("pfx-mac-corrupted.pfx", 4, "corrupt",
	    "PFX whose MAC digest has one bit flipped: the right password decrypts, the MAC "
	    "fails",
	    b, n);
	memcpy(b, p, n);
	b[n / 2] ^= 0xFF;
	b[n / 2 + 1] ^= 0xFF;
	put("pfx-authsafe-damaged.pfx", 4, "-",
	    "PFX with two bytes of the AuthenticatedSafe flipped",
	    b, n);
	memcpy(b, p, n);
	kpw_seed(99);
	kpw_random(b + 40, n - 40);
	put("pfx-garbage-body.pfx", 4, "-",
	    "PFX header and version followed by pseudo-random bytes", b, n);
	memcpy(b, p, n);
	/* Outer length (30 82 hi lo) claims 0xFFFF bytes. */
	if (b[1] == 0x82) {
		b[2] = 0xFF;
		b[3] = 0xFF;
	}
	put("pfx-outer-len-past-end.pfx", 4, "-", "PFX whose outer SEQUENCE claims 64 KiB", b, n);
	free(b);
	free(p);

	p = pfx_make(&n, "a-password-nobody-has", BAD_PFX_ITER);
	put("pfx-other-password.pfx", 4, "password",
	    "intact PFX protected by a password not in the list", p, n);
	free(p);

	/* MAC iteration count 2^31-1: over the documented cap. */
	p = pfx_make(&n, BAD_PFX_PASSWORD, BAD_PFX_ITER);
	b = dup_bytes(p, n);
	for (size_t i = n - 3; i > n - 16; i--) {
		if (b[i] == 0x02 && b[i + 1] == 0x01 && b[i + 2] == BAD_PFX_ITER && i + 3 == n) {
			uint8_t *c = xmalloc(n + 3);
			memcpy(c, b, i);
			static const uint8_t big[] = { 0x02, 0x04, 0x7F, 0xFF, 0xFF, 0xFF };
			memcpy(c + i, big, sizeof big);
			/* Fix the outer (30 82 hi lo) and MacData (30 len) lengths. */
			size_t outer = ((size_t)c[2] << 8 | c[3]) + 3;
			c[2] = (uint8_t)(outer >> 8);
			c[3] = (uint8_t)outer;
			size_t md = pfx_mac_digest(c, i) - 2;
			/* MacData SEQUENCE header sits before DigestInfo: find 30 xx 30. */
			for (size_t j = md; j > 4; j--)
				if (c[j] == 0x30 && c[j + 2] == 0x30 && j + 2 + c[j + 1] == n) {
					c[j + 1] = (uint8_t)(c[j + 1] + 3);
					break;
				}
			put("pfx-mac-iter-2g.pfx", 4, "-",
			    "PFX with a MAC iteration count of 2^31-1 (cap 1,000,000)", c, n + 3);
			free(c);
			break;
		}
	}
	free(b);
	free(p);
}

/* ====================================================================== */
/* Short disk images (VHDX headers only)                                  */
/* ====================================================================== */

#define VHDX_HDR(i) (0x10000u * ((i) + 1))
#define VHDX_RT(i) (0x30000u + 0x10000u * (i))

static void vhdx_header(uint8_t *b, size_t off, uint64_t seq, uint16_t version)
{
	memcpy(b + off, "head", 4);
	st64le(b + off + 8, seq);
	memset(b + off + 16, 0x11, 32); /* FileWriteGuid, DataWriteGuid */
	st16le(b + off + 64, 0);        /* LogVersion */
	st16le(b + off + 66, version);
	st32le(b + off + 68, 0x100000);  /* LogLength */
	st64le(b + off + 72, 0x100000);  /* LogOffset */
	st32le(b + off + 4, 0);
	st32le(b + off + 4, hv_crc32c(b + off, 4096));
}

static void vhdx_region_table(uint8_t *b, size_t off, uint32_t count)
{
	static const uint8_t bat[16] = { 0x66, 0x77, 0xC2, 0x2D, 0x23, 0xF6, 0x00, 0x42,
					 0x9D, 0x64, 0x11, 0x5E, 0x9B, 0xFD, 0x4A, 0x08 };
	static const uint8_t meta[16] = { 0x06, 0xA2, 0x7C, 0x8B, 0x90, 0x47, 0x9A, 0x4B,
					  0xB8, 0xFE, 0x57, 0x5F, 0x05, 0x0F, 0x88, 0x6E };
	memcpy(b + off, "regi", 4);
	st32le(b + off + 8, count);
	memcpy(b + off + 16, bat, 16);
	st64le(b + off + 32, 0x200000);
	st32le(b + off + 40, 0x100000);
	st32le(b + off + 44, 1);
	memcpy(b + off + 48, meta, 16);
	st64le(b + off + 64, 0x100000);
	st32le(b + off + 72, 0x100000);
	st32le(b + off + 76, 1);
	st32le(b + off + 4, 0);
	st32le(b + off + 4, hv_crc32c(b + off, 0x10000));
}

static void vhdx_cases(void)
{
	size_t n = 0x3FFFF;
	uint8_t *b = xcalloc(1, n);
	memcpy(b, "vhdxfile", 8);
	memcpy(b + 8, "m\0k\0b\0a\0d\0", 10);
	put("vhdx-ident-only.vhdx", 4, "corrupt", "VHDX: the file identifier and nothing else", b,
	    512);
	vhdx_header(b, VHDX_HDR(0), 1, 1);
	vhdx_header(b, VHDX_HDR(1), 2, 1);
	put("vhdx-trunc-in-header2.vhdx", 4, "-", "VHDX cut inside header 2 (0x20800 bytes)", b,
	    0x20800);
	b[VHDX_HDR(0) + 40] ^= 1;
	b[VHDX_HDR(1) + 40] ^= 1;
	put("vhdx-both-headers-bad-crc.vhdx", 4, "corrupt",
	    "VHDX with a CRC-32C mismatch in both headers", b, VHDX_HDR(1) + 0x1000);
	vhdx_header(b, VHDX_HDR(0), 1, 2);
	vhdx_header(b, VHDX_HDR(1), 2, 2);
	put("vhdx-version-2.vhdx", 4, "unsupported", "VHDX whose two headers say version 2", b,
	    VHDX_HDR(1) + 0x1000);
	vhdx_header(b, VHDX_HDR(0), 1, 1);
	vhdx_header(b, VHDX_HDR(1), 1, 1);
	b[VHDX_HDR(1) + 16] ^= 0x22;
	st32le(b + VHDX_HDR(1) + 4, 0);
	st32le(b + VHDX_HDR(1) + 4, hv_crc32c(b + VHDX_HDR(1), 4096));
	put("vhdx-headers-same-seq-differ.vhdx", 4, "corrupt",
	    "VHDX: both headers valid with the same sequence but different contents", b,
	    VHDX_HDR(1) + 0x1000);
	vhdx_header(b, VHDX_HDR(0), 1, 1);
	vhdx_header(b, VHDX_HDR(1), 2, 1);
	put("vhdx-no-region-tables.vhdx", 4, "corrupt",
	    "VHDX with valid headers, cut before the region tables", b, VHDX_HDR(1) + 0x1000);
	vhdx_region_table(b, VHDX_RT(0), 2);
	put("vhdx-trunc-in-region-table1.vhdx", 4, "corrupt",
	    "VHDX cut in the middle of region table 1 (region table 2 absent)", b,
	    VHDX_RT(0) + 0x8000);
	free(b);
}

/* ====================================================================== */
/* Archives (hvtpm audit)                                                 */
/* ====================================================================== */

#define ARC_OUT_CAP (1024u * 1024)
#define MIB (1024u * 1024)

typedef struct {
	struct archive *a;
	uint8_t *buf;
	size_t used;
} arc_writer;

static void arc_open(arc_writer *w, const char *kind)
{
	w->a = archive_write_new();
	w->buf = xmalloc(ARC_OUT_CAP);
	w->used = 0;
	int rc;
	if (strcmp(kind, "zip") == 0) {
		rc = archive_write_set_format_zip(w->a);
		if (rc == ARCHIVE_OK)
			rc = archive_write_zip_set_compression_deflate(w->a);
	} else {
		rc = archive_write_set_format_pax_restricted(w->a);
		if (rc == ARCHIVE_OK && strcmp(kind, "tar.gz") == 0)
			rc = archive_write_add_filter_gzip(w->a);
		else if (rc == ARCHIVE_OK && strcmp(kind, "tar.xz") == 0)
			rc = archive_write_add_filter_xz(w->a);
	}
	if (rc != ARCHIVE_OK || archive_write_set_bytes_in_last_block(w->a, 1) != ARCHIVE_OK ||
	    archive_write_open_memory(w->a, w->buf, ARC_OUT_CAP, &w->used) != ARCHIVE_OK)
		die(archive_error_string(w->a));
}

/* One regular member: len bytes of data, or of zeros when data is NULL. */
static void arc_member(arc_writer *w, const char *name, const void *data, size_t len)
{
	static uint8_t zero[MIB];
	struct archive_entry *e = archive_entry_new();
	archive_entry_set_pathname(e, name);
	archive_entry_set_filetype(e, AE_IFREG);
	archive_entry_set_perm(e, 0644);
	archive_entry_set_size(e, (la_int64_t)len);
	archive_entry_set_mtime(e, 1700000000, 0);
	if (archive_write_header(w->a, e) != ARCHIVE_OK)
		die(archive_error_string(w->a));
	for (size_t done = 0; done < len;) {
		size_t n = len - done < sizeof zero ? len - done : sizeof zero;
		if (archive_write_data(w->a, data ? (const uint8_t *)data + done : zero, n) !=
		    (la_ssize_t)n)
			die(archive_error_string(w->a));
		done += n;
	}
	archive_entry_free(e);
}

static uint8_t *arc_close(arc_writer *w, size_t *len)
{
	if (archive_write_close(w->a) != ARCHIVE_OK)
		die(archive_error_string(w->a));
	archive_write_free(w->a);
	*len = w->used;
	return w->buf;
}

/* One member in a zip, put as a case. */
static void arc_zip_one(arc_writer *w, const char *name, int code, const char *cls,
			const char *desc, const char *member, const strbuf *doc)
{
	size_t n;
	arc_open(w, "zip");
	arc_member(w, member, doc->buf, doc->len);
	uint8_t *b = arc_close(w, &n);
	put(name, code, cls, desc, b, n);
	free(b);
}

/* The reported XML cost cases, zipped small: libxml2 2.9 spent seconds to minutes
 * or 875 MiB on each. */
static void xml_cost_archives(arc_writer *w)
{
	strbuf sb = { 0 };
	xml_attributes(&sb, "configuration", "", 80000);
	arc_zip_one(w, "arc-zip-xml-80000-attrs.zip", 4, "limit",
		    "zip of a legacy XML configuration whose root has 80,000 attributes",
		    "vm.xml", &sb);
	sb_reset(&sb);
	sb_addf(&sb, "<Protector xmlns=\"%s\"", KPW_NS);
	for (int i = 0; i < 1350000; i++)
		sb_adds(&sb, " a=\"\"");
	sb_adds(&sb, "><Wrappings/></Protector>");
	arc_zip_one(w, "arc-zip-kp-1350000-attrs.zip", 4, "limit",
		    "zip of a key protector whose root has 1,350,000 attributes", "kp.xml", &sb);
	sb_reset(&sb);
	sb_adds(&sb, XML_DECL "<configuration>");
	while (sb.len < 16u * 1024 * 1024 - 64)
		sb_adds(&sb, "<a/>");
	sb_adds(&sb, "</configuration>\n");
	arc_zip_one(w, "arc-zip-xml-16mib-elements.zip", 4, "limit",
		    "zip of a 16 MiB legacy XML configuration of <a/> elements (4 million)",
		    "vm.xml", &sb);
	sb_reset(&sb);
	while (sb.len < 16u * 1024 * 1024 - 64)
		sb_adds(&sb, "<a/>");
	const char *was = command;
	command = "inspect"; /* no VM in it: audit would say so with exit 1 */
	arc_zip_one(w, "arc-zip-16mib-foreign-elements.zip", 0, "-",
		    "zip of 16 MiB of <a/><a/>... (no root of ours): not recognised, bounded "
		    "memory",
		    "a.xml", &sb);
	command = was;
	sb_free(&sb);
}

static void archive_cases(void)
{
	arc_writer w;
	size_t n;
	uint8_t *b;
	size_t xl;
	char *xml = kp_owner_xml(&xl);

	command = "audit";
	arc_open(&w, "zip");
	arc_member(&w, "zeros.bin", NULL, 200 * MIB);
	b = arc_close(&w, &n);
	put("arc-zip-bomb.zip", 4, "limit",
	    "zip of 200 KiB whose member inflates to 200 MiB (member cap 64 MiB)", b, n);
	/* The same with both headers claiming 1000 bytes: the cap holds on the bytes read. */
	if (memcmp(b, "PK\3\4", 4) != 0)
		die("zip layout");
	st32le(b + 22, 1000);
	uint8_t *cd = memmem(b, n, "PK\1\2", 4);
	if (!cd)
		die("zip central directory");
	st32le(cd + 24, 1000);
	put("arc-zip-bomb-lying-sizes.zip", 4, "limit",
	    "zip bomb whose local and central headers say the member is 1000 bytes", b, n);
	free(b);

	arc_open(&w, "tar.gz");
	for (int i = 0; i < 3; i++) {
		char name[32];
		snprintf(name, sizeof name, "zeros-%d.bin", i);
		arc_member(&w, name, NULL, 40 * MIB);
	}
	b = arc_close(&w, &n);
	put("arc-tgz-ratio-bomb.tar.gz", 4, "limit",
	    "tar.gz of 120 KiB expanding to 3 x 40 MiB (members under the cap, ratio over 100:1)",
	    b, n);
	free(b);

	/* tar > zip > tar > member: nested deeper than one level. */
	arc_open(&w, "tar");
	arc_member(&w, "deep/kp.xml", xml, xl);
	size_t l2;
	uint8_t *lvl2 = arc_close(&w, &l2);
	arc_open(&w, "zip");
	arc_member(&w, "level2.tar", lvl2, l2);
	size_t l1;
	uint8_t *lvl1 = arc_close(&w, &l1);
	arc_open(&w, "tar");
	arc_member(&w, "level1.zip", lvl1, l1);
	b = arc_close(&w, &n);
	put("arc-nested-3-deep.tar", 4, "limit",
	    "tar holding a zip holding a tar holding a key protector (nesting cap 1)", b, n);
	free(b);
	free(lvl1);
	free(lvl2);

	arc_open(&w, "zip");
	char text[16384];
	for (size_t i = 0; i < sizeof text; i++)
		text[i] = (char)('a' + (i * 7 + i / 13) % 26);
	arc_member(&w, "notes.txt", text, sizeof text);
	arc_member(&w, "kp.xml", xml, xl);
	b = arc_close(&w, &n);
	size_t data = 30u + ld16le(b + 26) + ld16le(b + 28);
	uint8_t *d = dup_bytes(b, n);
	for (size_t i = 8; i < 40; i++)
		d[data + i] ^= 0x5A;
	put("arc-zip-damaged-deflate.zip", 4, "-",
	    "zip whose first member's deflate stream is damaged (the second is intact)", d, n);
	free(d);
	cd = memmem(b, n, "PK\1\2", 4);
	put("arc-zip-no-central-directory.zip", 4, "-",
	    "zip cut where its central directory starts", b, (size_t)(cd - b));
	put("arc-zip-trunc-in-member.zip", 4, "-", "zip cut inside its first member", b,
	    data + 100);
	free(b);

	arc_open(&w, "tar.gz");
	arc_member(&w, "kp.xml", xml, xl);
	arc_member(&w, "notes.txt", text, sizeof text);
	b = arc_close(&w, &n);
	put("arc-tgz-trunc.tar.gz", 4, "-", "tar.gz whose gzip stream is cut in half", b, n / 2);
	free(b);

	arc_open(&w, "tar.xz");
	arc_member(&w, "kp.xml", xml, xl);
	arc_member(&w, "notes.txt", text, sizeof text);
	b = arc_close(&w, &n);
	d = dup_bytes(b, n);
	d[n / 2] ^= 0xFF;
	put("arc-txz-damaged.tar.xz", 4, "-", "tar.xz with one byte of the xz stream flipped", d,
	    n);
	free(d);
	free(b);

	arc_open(&w, "tar");
	arc_member(&w, "kp.xml", xml, xl);
	b = arc_close(&w, &n);
	b[148] ^= 0x07; /* header checksum field */
	put("arc-tar-bad-header-checksum.tar", 4, "-",
	    "tar whose only header fails its checksum", b, n);
	free(b);

	xml_cost_archives(&w);

	/* Names that would escape an extraction directory: nothing is extracted. */
	arc_open(&w, "zip");
	arc_member(&w, "../../../../tmp/hvtpm-escaped.txt", "escape", 6);
	arc_member(&w, "/etc/hvtpm-absolute.txt", "absolute", 8);
	b = arc_close(&w, &n);
	command = "inspect"; /* inspect opens archives too; audit would add "no VM" (exit 1) */
	put("arc-zip-path-traversal.zip", 0, "-",
	    "zip members named ../../../../tmp/... and /etc/...: read in memory, never extracted",
	    b, n);
	free(b);
	free(xml);
	command = "inspect";
}

/* ====================================================================== */
/* Odds and ends                                                          */
/* ====================================================================== */

static void misc_cases(void)
{
	/* A VMGS-like container with a damaged repository at 4 KiB. */
	hvs_sample s;
	hvs_make(&s, NULL, NULL);
	size_t n = 0x1000 + s.len;
	uint8_t *g = xcalloc(1, n);
	memcpy(g, "GUESTRTS", 8);
	memcpy(g + 0x1000, s.buf, s.len);
	st32le(g + 0x1000 + HVS_OT, 0xDEADBEEFu);
	put("vmgs-embedded-repo-corrupt.vmgs", 4, "-",
	    "guest state file (VMGS v3 signature) holding a repository whose object table "
	    "signature is destroyed",
	    g, n);
	free(g);
	hvs_free(&s);
	/* A HyperVStorage signature at 0 and nothing else of the format. */
	uint8_t b[4096] = { 0x14, 0x20, 0x28, 0x01 };
	kpw_seed(5);
	kpw_random(b + 4, sizeof b - 4);
	put("hvs-signature-then-noise.vmcx", 4, "corrupt",
	    "HyperVStorage signature followed by 4 KiB of pseudo-random bytes", b, sizeof b);
}

int main(int argc, char **argv)
{
	if (argc != 2 && argc != 3) {
		fprintf(stderr, "usage: mkbad OUTDIR [CONTROLDIR]\n");
		return 2;
	}
	outdir = argv[1];
	controldir = argc == 3 ? argv[2] : NULL;
	if (mkdir(outdir, 0755) != 0 && errno != EEXIST)
		die(outdir);
	if (controldir && mkdir(controldir, 0755) != 0 && errno != EEXIST)
		die(controldir);
	sb_adds(&expected,
		"# tests/bad/EXPECTED - written by tests/tools/mkbad.c; read by tests/test_bad.c,\n"
		"# which runs the named hvtpm command (text and JSON) on each file with a\n"
		"# password"
		" file holding the throwaway PFX password \"" BAD_PFX_PASSWORD "\" (archives are\n"
		"# opened by every command).\n"
		"# exit: the expected exit status (4 input error, including a file whose name\n"
		"# claims a format it does not hold; 0 damaged but readable, or not recognised).\n"
		"# class: the status code (corrupt, unsupported, limit, password, format) in the\n"
		"# JSON \"status\" member or in the message, \"-\" when only the status and an\n"
		"# error line naming the file count.\n"
		"# name\tcommand\texit\tclass\tdescription\n");
	kp_g.signing = kpw_cert_new("Shielded VM Signing Certificate (MkBad) (BADHOST)", 1024,
				    3650, NULL);
	kp_g.encryption = kpw_cert_new("Shielded VM Encryption Certificate (MkBad) (BADHOST)",
				       1024, 3650, NULL);
	hvs_truncations();
	hvs_headers();
	hvs_objects();
	hvs_entries();
	hvs_log();
	misc_cases();
	vmxml_cases();
	kp_cases();
	guardian_cases();
	cert_cases();
	pfx_cases();
	vhdx_cases();
	archive_cases();
	kpw_guardian_free(&kp_g);
	char path[4096];
	snprintf(path, sizeof path, "%s/EXPECTED", outdir);
	FILE *f = fopen(path, "w");
	if (!f || fputs(sb_str(&expected), f) == EOF || fclose(f) != 0)
		die(path);
	sb_free(&expected);
	fprintf(stderr, "mkbad: %zu files in %s\n", nfiles, outdir);
	return 0;
}
