/* test_vmxml.c - the legacy XML configuration reader: corpus files, value types, hostile XML. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "formats/kvtree.h"
#include "formats/vmxml.h"
#include "formats/xmlsafe.h"
#include "support/testutil.h"
#include "util/strbuf.h"
#include "util/text.h"

#define GEN1_XML "B90AC31B-C6F8-479F-9B91-07B894A6A3F6.xml"
#define GEN2_XML "D351C151-DAC7-4042-B434-B72D522C1E4A.xml"
#define BIOS "_ac6b8dc1-3257-4a70-b1b2-a9c9215659ad_"
#define UEFI_VENDOR "_8BE4DF61-93CA-11D2-AA0D-00E098032B8C"

/* Reads a UTF-8 document; returns the error code and the tree. */
static hv_err read_str(const char *xml, kv_node **root, hv_findings *f)
{
	return vmxml_read(span_make(xml, strlen(xml)), "t.xml", root, f);
}

/* The same document as Windows writes it: UTF-16LE with a BOM. */
static hv_err read_utf16(const char *xml, kv_node **root, hv_findings *f)
{
	size_t n;
	uint8_t *u = utf8_to_utf16le(xml, &n);
	uint8_t *b = malloc(n + 2);
	b[0] = 0xFF;
	b[1] = 0xFE;
	memcpy(b + 2, u, n);
	hv_err e = vmxml_read(span_make(b, n + 2), "t.xml", root, f);
	free(u);
	free(b);
	return e;
}

static bool any_finding(const hv_findings *f, const char *needle)
{
	for (size_t i = 0; i < f->n; i++)
		if (strstr(f->v[i].msg, needle))
			return true;
	return false;
}

static kv_node *load_corpus(const char *name, hv_findings *f)
{
	char *p = tu_corpus("hyperv", name);
	size_t len;
	uint8_t *d = tu_read(p, &len);
	ck_assert_ptr_nonnull(d);
	ck_assert(vmxml_sniff(span_make(d, len)));
	kv_node *root = NULL;
	ck_assert_int_eq(vmxml_read(span_make(d, len), p, &root, f), HV_OK);
	free(d);
	free(p);
	return root;
}

/* Child names of n joined with ',' (for order checks). */
static char *child_names(const kv_node *n)
{
	strbuf sb = STRBUF_INIT;
	sb_add(&sb, "", 0);
	for (size_t i = 0; i < n->nkids; i++) {
		if (i)
			sb_addc(&sb, ',');
		sb_adds(&sb, n->kids[i]->name);
	}
	return sb_detach(&sb);
}

START_TEST(corpus_gen1_tree)
{
	hv_findings f = { 0 };
	kv_node *root = load_corpus(GEN1_XML, &f);
	ck_assert_uint_eq(f.n, 0);
	ck_assert_uint_eq(root->nkids, 1);
	kv_node *cfg = kv_child(root, "configuration");
	ck_assert_ptr_nonnull(cfg);
	ck_assert_uint_eq(cfg->nkids, 22); /* corpus README 2.2: direct children of root */
	ck_assert_str_eq(kv_get_str(cfg, "properties/name"), "Default Generation 1");
	ck_assert_str_eq(kv_get_str(cfg, "properties/global_id"),
			 "B90AC31B-C6F8-479F-9B91-07B894A6A3F6");
	ck_assert_str_eq(kv_get_str(cfg, "settings/global/logical_id"),
			 "B90AC31B-C6F8-479F-9B91-07B894A6A3F6");
	int64_t v;
	ck_assert(kv_get_int(cfg, "properties/version", &v));
	ck_assert_int_eq(v, 1280);
	ck_assert_int_eq(kv_path(cfg, "properties/version")->type, KV_INT);
	ck_assert(kv_get_int(cfg, "properties/subtype", &v));
	ck_assert_int_eq(v, 0);
	kv_node *sb = kv_path(cfg, BIOS "/secure_boot_enabled");
	ck_assert_ptr_nonnull(sb);
	ck_assert_int_eq(sb->type, KV_BOOL);
	ck_assert(!sb->v.b);
	ck_assert_ptr_null(kv_path(cfg, BIOS "/secure_boot_template_id"));
	ck_assert_str_eq(kv_get_str(cfg, "_83f8638b-8dca-4152-9eda-2ca8b33039b4_/controller0/"
					 "drive0/pathname"),
			 "C:\\Disks\\Default Generation 1.vhdx");
	/* An empty string element is "" (README: ISO slot with empty path). */
	ck_assert_str_eq(kv_get_str(cfg, "_83f8638b-8dca-4152-9eda-2ca8b33039b4_/controller1/"
					 "drive0/pathname"), "");
	ck_assert(kv_get_int(cfg, "manifest/size", &v));
	ck_assert_int_eq(v, 13);
	ck_assert(kv_get_int(cfg, "settings/memory/bank/size", &v));
	ck_assert_int_eq(v, 512);
	ck_assert(kv_get_int(cfg, "settings/processors/count", &v));
	ck_assert_int_eq(v, 1);
	ck_assert_ptr_null(kv_child(cfg, "security"));
	ck_assert_ptr_null(kv_child_guid(cfg, "917bd8cb-3bb6-4124-9383-b7d21ac07f79"));
	ck_assert_ptr_null(kv_path(cfg, "properties/creation_time"));
	/* A 64-bit integer (FILETIME) stays exact. */
	ck_assert(kv_get_int(cfg, "properties/last_powered_off_time", &v));
	ck_assert(v > (int64_t)UINT32_MAX);
	/* Siblings keep document order and 1-based seq. */
	kv_node *m = kv_child(cfg, "manifest");
	char *names = child_names(m);
	ck_assert(strncmp(names, "size,vdev001,vdev002,", 21) == 0);
	ck_assert(strstr(names, "vdev013,version") != NULL);
	free(names);
	for (size_t i = 0; i < m->nkids; i++) {
		ck_assert_uint_eq(m->kids[i]->seq, i + 1);
		ck_assert(m->kids[i]->offset == HV_NO_OFFSET);
	}
	/* Duplicate sibling names (three devicetype nodes) are all kept. */
	kv_node *metrics = kv_path(cfg, "global_settings/metrics");
	ck_assert_uint_eq(metrics->nkids, 3);
	for (size_t i = 0; i < 3; i++)
		ck_assert_str_eq(metrics->kids[i]->name, "devicetype");
	kv_free(root);
	findings_free(&f);
}
END_TEST

START_TEST(corpus_gen2_tree)
{
	hv_findings f = { 0 };
	kv_node *root = load_corpus(GEN2_XML, &f);
	ck_assert_uint_eq(f.n, 0);
	kv_node *cfg = kv_child(root, "configuration");
	ck_assert_uint_eq(cfg->nkids, 18);
	ck_assert_str_eq(kv_get_str(cfg, "properties/name"), "Default Generation 2");
	int64_t v;
	ck_assert(kv_get_int(cfg, "properties/subtype", &v));
	ck_assert_int_eq(v, 1);
	bool b;
	ck_assert(kv_get_bool(cfg, BIOS "/secure_boot_enabled", &b));
	ck_assert(b);
	ck_assert_str_eq(kv_get_str(cfg, "_3afc77d9-23ab-4c97-be1c-f47a18ce3b4a_/controller0/"
					 "drive0/pathname"),
			 "C:\\Disks\\Default Generation 2.vhdx");
	kv_node *nv = kv_path(cfg, BIOS "/nvram");
	ck_assert_ptr_nonnull(nv);
	ck_assert_uint_eq(nv->nkids, 6);
	char *names = child_names(nv);
	ck_assert_str_eq(names, UEFI_VENDOR "Boot0000," UEFI_VENDOR "Boot0001," UEFI_VENDOR
			 "BootOrder,last_update_time,map,map_max_index");
	free(names);
	ck_assert_uint_eq(kv_path(nv, "map")->nkids, 3);
	/* Wrapped base64 decodes to bytes; whitespace and the final newline are ignored. */
	kv_node *bo = kv_path(nv, UEFI_VENDOR "BootOrder/data");
	ck_assert_int_eq(bo->type, KV_BYTES);
	ck_assert_uint_eq(bo->nbytes, 4);
	kv_node *b0 = kv_path(nv, UEFI_VENDOR "Boot0000/data");
	ck_assert_int_eq(b0->type, KV_BYTES);
	ck_assert_uint_gt(b0->nbytes, 100); /* four wrapped lines */
	/* A UEFI load option starts with u32 attributes (LOAD_OPTION_ACTIVE = 1). */
	ck_assert_uint_eq(b0->bytes[0], 1);
	kv_free(root);
	findings_free(&f);
}
END_TEST

START_TEST(corpus_truncated_is_corrupt)
{
	char *p = tu_corpus("hyperv", GEN1_XML);
	size_t len;
	uint8_t *d = tu_read(p, &len);
	hv_findings f = { 0 };
	kv_node *root = (kv_node *)1;
	/* Cut in the middle (on a UTF-16 code unit boundary). */
	ck_assert_int_eq(vmxml_read(span_make(d, len / 2 & ~(size_t)1), "cut.xml", &root, &f),
			 HV_ERR_CORRUPT);
	ck_assert_ptr_null(root);
	ck_assert_uint_ge(f.n, 1);
	ck_assert_str_eq(f.v[0].file, "cut.xml");
	ck_assert(strstr(f.v[0].msg, "line") != NULL);
	findings_free(&f);
	free(d);
	free(p);
}
END_TEST

START_TEST(leaf_types)
{
	const char *xml =
		"<?xml version=\"1.0\" encoding=\"UTF-16\" standalone=\"yes\"?>\r\n"
		"<configuration>\r\n"
		"  <p>\r\n"
		"    <big type=\"integer\">133211067952232271</big>\r\n"
		"    <neg type=\"integer\">-5</neg>\r\n"
		"    <huge type=\"integer\">18446744073709551615</huge>\r\n"
		"    <t type=\"bool\">True</t>\r\n"
		"    <f type=\"boolean\">FALSE</f>\r\n"
		"    <s type=\"string\">a &amp; b</s>\r\n"
		"    <e type=\"string\"></e>\r\n"
		"    <sp type=\"string\">  two  </sp>\r\n"
		"    <b type=\"bytes\">AAEC\r\nAw==\r\n</b>\r\n"
		"    <eb type=\"bytes\"></eb>\r\n"
		"    <n></n>\r\n"
		"  </p>\r\n"
		"</configuration>\r\n";
	hv_findings f = { 0 };
	kv_node *root;
	ck_assert_int_eq(read_utf16(xml, &root, &f), HV_OK);
	ck_assert_uint_eq(findings_count(&f, HV_SEV_WARN), 1); /* the unsigned one */
	ck_assert(any_finding(&f, "INT64_MAX"));
	kv_node *p = kv_path(root, "configuration/p");
	ck_assert_int_eq(kv_child(p, "big")->type, KV_INT);
	ck_assert_int_eq(kv_child(p, "big")->v.i, 133211067952232271LL);
	ck_assert_int_eq(kv_child(p, "neg")->v.i, -5);
	ck_assert_int_eq(kv_child(p, "huge")->type, KV_UINT);
	ck_assert(kv_child(p, "huge")->v.u == UINT64_MAX);
	ck_assert_int_eq(kv_child(p, "t")->type, KV_BOOL);
	ck_assert(kv_child(p, "t")->v.b);
	ck_assert_int_eq(kv_child(p, "f")->type, KV_BOOL);
	ck_assert(!kv_child(p, "f")->v.b);
	ck_assert_str_eq(kv_get_str(p, "s"), "a & b");
	ck_assert_str_eq(kv_get_str(p, "e"), "");
	ck_assert_str_eq(kv_get_str(p, "sp"), "  two  ");
	kv_node *b = kv_child(p, "b");
	ck_assert_int_eq(b->type, KV_BYTES);
	ck_assert_uint_eq(b->nbytes, 4);
	ck_assert_mem_eq(b->bytes, "\x00\x01\x02\x03", 4);
	ck_assert_int_eq(kv_child(p, "eb")->type, KV_BYTES);
	ck_assert_uint_eq(kv_child(p, "eb")->nbytes, 0);
	ck_assert_int_eq(kv_child(p, "n")->type, KV_NODE);
	ck_assert_uint_eq(kv_child(p, "n")->nkids, 0);
	kv_free(root);
	findings_free(&f);
	/* The same document in UTF-8 gives the same tree. */
	ck_assert_int_eq(read_str(xml + strlen("<?xml version=\"1.0\" encoding=\"UTF-16\" "
					      "standalone=\"yes\"?>\r\n"), &root, &f), HV_OK);
	ck_assert_int_eq(kv_path(root, "configuration/p/big")->v.i, 133211067952232271LL);
	kv_free(root);
	findings_free(&f);
}
END_TEST

START_TEST(bad_values_are_findings)
{
	const char *xml =
		"<configuration>\n"
		"  <ok type=\"string\">x</ok>\n"
		"  <b1 type=\"bytes\">AAE</b1>\n"
		"  <b2 type=\"bytes\">AA=A</b2>\n"
		"  <b3 type=\"bytes\">AA*A</b3>\n"
		"  <b4 type=\"bytes\">AA==AAAA</b4>\n"
		"  <i type=\"integer\">12a</i>\n"
		"  <i2 type=\"integer\">99999999999999999999999</i2>\n"
		"  <bo type=\"bool\">yes</bo>\n"
		"  <d type=\"double\">1.5</d>\n"
		"  <n>stray text<x type=\"string\">y</x></n>\n"
		"  <l type=\"string\">t<c/></l>\n"
		"</configuration>\n";
	hv_findings f = { 0 };
	kv_node *root;
	ck_assert_int_eq(read_str(xml, &root, &f), HV_OK);
	kv_node *cfg = kv_child(root, "configuration");
	/* Bad base64: the leaf is skipped. */
	ck_assert_ptr_null(kv_child(cfg, "b1"));
	ck_assert_ptr_null(kv_child(cfg, "b2"));
	ck_assert_ptr_null(kv_child(cfg, "b3"));
	ck_assert_ptr_null(kv_child(cfg, "b4"));
	ck_assert(any_finding(&f, "line 3: <b1 type=\"bytes\">: bad base64"));
	/* Unparsable integer/bool and unknown types: kept as strings. */
	ck_assert_str_eq(kv_get_str(cfg, "i"), "12a");
	ck_assert_str_eq(kv_get_str(cfg, "i2"), "99999999999999999999999");
	ck_assert_str_eq(kv_get_str(cfg, "bo"), "yes");
	ck_assert_str_eq(kv_get_str(cfg, "d"), "1.5");
	ck_assert(any_finding(&f, "unknown type \"double\""));
	ck_assert(any_finding(&f, "text inside node <n>"));
	ck_assert(any_finding(&f, "has child elements"));
	ck_assert_str_eq(kv_get_str(cfg, "n/x"), "y");
	ck_assert_str_eq(kv_get_str(cfg, "l"), "t");
	ck_assert_str_eq(kv_get_str(cfg, "ok"), "x");
	/* seq follows document order even when leaves were skipped in between. */
	ck_assert_uint_lt(kv_child(cfg, "ok")->seq, kv_child(cfg, "i")->seq);
	for (size_t i = 0; i < f.n; i++) {
		ck_assert_str_eq(f.v[i].file, "t.xml");
		ck_assert(strncmp(f.v[i].msg, "line ", 5) == 0);
	}
	ck_assert_uint_eq(findings_count(&f, HV_SEV_WARN), 10);
	kv_free(root);
	findings_free(&f);
}
END_TEST

START_TEST(warnings_are_capped)
{
	strbuf sb = STRBUF_INIT;
	sb_adds(&sb, "<configuration>");
	for (int i = 0; i < 5000; i++)
		sb_adds(&sb, "<b type=\"bytes\">!!!!</b>");
	sb_adds(&sb, "<ok type=\"integer\">1</ok></configuration>");
	hv_findings f = { 0 };
	kv_node *root;
	ck_assert_int_eq(read_str(sb_str(&sb), &root, &f), HV_OK);
	ck_assert_uint_eq(kv_child(root, "configuration")->nkids, 1);
	ck_assert_uint_lt(f.n, 200);
	ck_assert(strstr(f.v[f.n - 1].msg, "more warnings") != NULL);
	ck_assert(strstr(f.v[f.n - 1].msg, "4900") != NULL);
	kv_free(root);
	findings_free(&f);
	sb_free(&sb);
}
END_TEST

START_TEST(external_entity_refused)
{
	const char *xml = "<?xml version=\"1.0\"?>\n"
			  "<!DOCTYPE configuration [<!ENTITY x SYSTEM \"file:///etc/passwd\">]>\n"
			  "<configuration><a type=\"string\">&x;</a></configuration>\n";
	hv_findings f = { 0 };
	kv_node *root = (kv_node *)1;
	hv_err e = read_str(xml, &root, &f);
	ck_assert(e == HV_ERR_CORRUPT || e == HV_ERR_FORMAT);
	ck_assert_ptr_null(root);
	ck_assert_uint_ge(findings_count(&f, HV_SEV_ERROR), 1);
	findings_free(&f);
}
END_TEST

START_TEST(billion_laughs_refused)
{
	strbuf sb = STRBUF_INIT;
	sb_adds(&sb, "<?xml version=\"1.0\"?>\n<!DOCTYPE configuration [\n"
		     "<!ENTITY l0 \"lollollollollollollollollollol\">\n");
	for (int i = 1; i <= 10; i++)
		sb_addf(&sb, "<!ENTITY l%d \"&l%d;&l%d;&l%d;&l%d;&l%d;"
			"&l%d;&l%d;&l%d;&l%d;&l%d;\">\n",
			i, i - 1, i - 1, i - 1, i - 1, i - 1, i - 1, i - 1, i - 1, i - 1, i - 1);
	sb_adds(&sb, "]>\n<configuration><a type=\"string\">&l10;</a></configuration>\n");
	hv_findings f = { 0 };
	kv_node *root = (kv_node *)1;
	clock_t t0 = clock();
	hv_err e = read_str(sb_str(&sb), &root, &f);
	ck_assert(e == HV_ERR_CORRUPT || e == HV_ERR_FORMAT);
	ck_assert_ptr_null(root);
	ck_assert(any_finding(&f, "document type declaration") || any_finding(&f, "entit"));
	/* No expansion happened: it is refused in well under a second of CPU. */
	ck_assert((double)(clock() - t0) / CLOCKS_PER_SEC < 1.0);
	findings_free(&f);
	sb_free(&sb);
}
END_TEST

static char *nested(int depth)
{
	strbuf sb = STRBUF_INIT;
	sb_adds(&sb, "<configuration>");
	for (int i = 1; i < depth; i++)
		sb_adds(&sb, "<n>");
	for (int i = 1; i < depth; i++)
		sb_adds(&sb, "</n>");
	sb_adds(&sb, "</configuration>");
	return sb_detach(&sb);
}

START_TEST(depth_is_capped)
{
	hv_findings f = { 0 };
	kv_node *root;
	char *x = nested(KV_MAX_DEPTH); /* configuration + 63 nodes = depth 64 */
	ck_assert_int_eq(read_str(x, &root, &f), HV_OK);
	kv_node *n = kv_child(root, "configuration");
	int depth = 1;
	while (n->nkids) {
		n = n->kids[0];
		depth++;
	}
	ck_assert_int_eq(depth, KV_MAX_DEPTH);
	kv_free(root);
	free(x);
	/* Refused by the XML pre-scan, before libxml2 builds a tree. */
	x = nested(KV_MAX_DEPTH + 1);
	ck_assert_int_eq(read_str(x, &root, &f), HV_ERR_LIMIT);
	ck_assert_ptr_null(root);
	free(x);
	x = nested(10000);
	ck_assert_int_eq(read_str(x, &root, &f), HV_ERR_LIMIT);
	ck_assert_ptr_null(root);
	free(x);
	findings_free(&f);
}
END_TEST

START_TEST(node_count_is_capped)
{
	strbuf sb = STRBUF_INIT;
	sb_adds(&sb, "<configuration>");
	for (unsigned i = 0; i < VMXML_MAX_NODES; i++)
		sb_adds(&sb, "<a/>");
	sb_adds(&sb, "</configuration>");
	hv_findings f = { 0 };
	kv_node *root;
	/* configuration + VMXML_MAX_NODES - 1 children is exactly the cap. */
	const char *s = sb_str(&sb);
	char *at_cap = strdup(s);
	memcpy(at_cap + strlen("<configuration>"), "    ", 4);
	ck_assert_int_eq(read_str(at_cap, &root, &f), HV_OK);
	ck_assert_uint_eq(kv_child(root, "configuration")->nkids, VMXML_MAX_NODES - 1);
	kv_free(root);
	free(at_cap);
	ck_assert_int_eq(read_str(s, &root, &f), HV_ERR_LIMIT);
	ck_assert_ptr_null(root);
	ck_assert(any_finding(&f, "elements"));
	findings_free(&f);
	sb_free(&sb);
}
END_TEST

START_TEST(wrong_root_and_not_xml)
{
	hv_findings f = { 0 };
	kv_node *root = (kv_node *)1;
	ck_assert_int_eq(read_str("<Configurations><x type=\"string\">a</x></Configurations>",
				  &root, &f), HV_ERR_FORMAT);
	ck_assert_ptr_null(root);
	ck_assert(any_finding(&f, "root element is <Configurations>"));
	ck_assert_int_eq(read_str("not xml at all", &root, &f), HV_ERR_FORMAT);
	ck_assert_int_eq(read_str("", &root, &f), HV_ERR_FORMAT);
	ck_assert_int_eq(read_str("<configuration><a>", &root, &f), HV_ERR_CORRUPT);
	uint8_t junk[64];
	for (size_t i = 0; i < sizeof junk; i++)
		junk[i] = (uint8_t)(i * 37 + 11);
	ck_assert_int_eq(vmxml_read(span_make(junk, sizeof junk), "j", &root, &f),
			 HV_ERR_FORMAT);
	findings_free(&f);
}
END_TEST

START_TEST(sniff_first_bytes)
{
	const char *yes[] = {
		"<configuration>",
		"<?xml version=\"1.0\"?>\r\n<configuration>",
		"\xEF\xBB\xBF<configuration/>",
		"<?xml version=\"1.0\"?><!-- c --><?pi x?>\n  <configuration a=\"b\">",
	};
	const char *no[] = {
		"", "<configurationX>", "<Configurations>", "<configuration",
		"<foo><configuration>", "<!-- unterminated <configuration>", "hello",
	};
	for (size_t i = 0; i < sizeof yes / sizeof yes[0]; i++)
		ck_assert_msg(vmxml_sniff(span_make(yes[i], strlen(yes[i]))), "%s", yes[i]);
	for (size_t i = 0; i < sizeof no / sizeof no[0]; i++)
		ck_assert_msg(!vmxml_sniff(span_make(no[i], strlen(no[i]))), "%s", no[i]);
	/* UTF-16LE with and without BOM. */
	size_t n;
	uint8_t *u = utf8_to_utf16le("<?xml version=\"1.0\" encoding=\"UTF-16\"?><configuration>",
				     &n);
	ck_assert(vmxml_sniff(span_make(u, n)));
	uint8_t *b = malloc(n + 2);
	b[0] = 0xFF;
	b[1] = 0xFE;
	memcpy(b + 2, u, n);
	ck_assert(vmxml_sniff(span_make(b, n + 2)));
	ck_assert(!vmxml_sniff(span_make(b, 20)));
	free(b);
	free(u);
	/* A HyperVStorage header is not XML. */
	const uint8_t hvs[8] = { 0x14, 0x20, 0x28, 0x01, 0, 0, 0, 0 };
	ck_assert(!vmxml_sniff(span_make(hvs, sizeof hvs)));
}
END_TEST

START_TEST(size_cap_before_parsing)
{
	size_t n = 16u * 1024 * 1024 + 1;
	char *big = malloc(n);
	memset(big, ' ', n);
	memcpy(big, "<configuration>", 15);
	hv_findings f = { 0 };
	kv_node *root = (kv_node *)1;
	ck_assert_int_eq(vmxml_read(span_make(big, n), "big.xml", &root, &f), HV_ERR_LIMIT);
	ck_assert_ptr_null(root);
	ck_assert_uint_eq(f.n, 1);
	findings_free(&f);
	free(big);
}
END_TEST

static double seconds(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

/* <configuration a0="" a1="" ... > with n attributes on the root. */
static void many_attributes(strbuf *sb, const char *root, size_t n)
{
	sb_addf(sb, "<%s", root);
	for (size_t i = 0; i < n; i++)
		sb_addf(sb, " a%zu=\"\"", i);
	sb_addf(sb, "></%s>", root);
}

/* vmxml_read of doc in seconds, expecting rc and a finding holding needle. */
static double timed_read(const strbuf *doc, hv_err rc, const char *needle)
{
	hv_findings f = { 0 };
	kv_node *root = (kv_node *)1;
	double t0 = seconds();
	ck_assert_int_eq(vmxml_read(span_make(doc->buf, doc->len), "t.xml", &root, &f), rc);
	double t = seconds() - t0;
	ck_assert_msg(any_finding(&f, needle), "no finding about '%s'", needle);
	ck_assert_ptr_null(root);
	findings_free(&f);
	return t;
}

START_TEST(attributes_per_element_capped_before_parsing)
{
	strbuf sb = STRBUF_INIT;
	hv_findings f = { 0 };
	kv_node *root;

	/* 64 attributes is real-world plenty and parses; 65 is refused. */
	many_attributes(&sb, "configuration", HV_XML_MAX_ATTRS_PER_ELEMENT);
	ck_assert_int_eq(read_str(sb_str(&sb), &root, &f), HV_OK);
	kv_free(root);
	sb_reset(&sb);
	many_attributes(&sb, "configuration", HV_XML_MAX_ATTRS_PER_ELEMENT + 1);
	ck_assert_int_eq(read_str(sb_str(&sb), &root, &f), HV_ERR_LIMIT);
	ck_assert(any_finding(&f, "more than 64 attributes"));
	ck_assert_uint_eq(f.v[f.n - 1].offset, 0); /* the element's '<' */
	findings_free(&f);
	sb_reset(&sb);
	/* The reported cases: 80,000 attributes took libxml2 15 s, 1.35M minutes. */
	many_attributes(&sb, "configuration", 80000);
	ck_assert_double_lt(timed_read(&sb, HV_ERR_LIMIT, "more than 64 attributes"), 0.2);
	sb_reset(&sb);
	many_attributes(&sb, "configuration", 1350000);
	ck_assert_double_lt(timed_read(&sb, HV_ERR_LIMIT, "more than 64 attributes"), 0.2);
	sb_free(&sb);
}
END_TEST

START_TEST(totals_capped)
{
	strbuf sb = STRBUF_INIT;

	/* 9,000 elements of 60 attributes: each under the cap, 540,000 in all. */
	sb_adds(&sb, "<configuration>");
	for (int i = 0; i < 9000; i++) {
		sb_adds(&sb, "<a");
		for (int k = 0; k < 60; k++)
			sb_addf(&sb, " b%d='x'", k);
		sb_adds(&sb, "/>");
	}
	sb_adds(&sb, "</configuration>");
	timed_read(&sb, HV_ERR_LIMIT, "attributes in all");
	sb_reset(&sb);
	sb_adds(&sb, "<configuration>");
	for (unsigned i = 0; i <= HV_XML_MAX_OTHER_NODES; i++)
		sb_adds(&sb, "<!---->");
	sb_adds(&sb, "</configuration>");
	timed_read(&sb, HV_ERR_LIMIT, "comments, processing instructions");
	sb_reset(&sb);
	/* Namespace declarations in scope: each prefixed name searches them all. */
	for (unsigned d = 0; d <= HV_XML_MAX_NS_IN_SCOPE / 2; d++)
		sb_addf(&sb, "<%s xmlns:p%u='urn:%u' xmlns:q%u='urn:%u'>",
			d ? "a" : "configuration", d, d, d, d);
	timed_read(&sb, HV_ERR_LIMIT, "namespace declarations in scope");
	sb_free(&sb);
}
END_TEST

/* Peak RSS growth (KiB) of vmxml_read(doc) in a fresh child; *rc its result. */
static long rss_growth_kib(const strbuf *doc, hv_err *rc)
{
	int fd[2];
	ck_assert_int_eq(pipe(fd), 0);
	pid_t pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		struct rusage before, after;
		hv_findings f = { 0 };
		kv_node *root = NULL;
		getrusage(RUSAGE_SELF, &before);
		long r[2] = { vmxml_read(span_make(doc->buf, doc->len), "t.xml", &root, &f), 0 };
		getrusage(RUSAGE_SELF, &after);
		r[1] = after.ru_maxrss - before.ru_maxrss;
		_exit(write(fd[1], r, sizeof r) == (ssize_t)sizeof r ? 0 : 1);
	}
	close(fd[1]);
	long r[2] = { -1, -1 };
	ck_assert_int_eq(read(fd[0], r, sizeof r), (ssize_t)sizeof r);
	close(fd[0]);
	int st;
	ck_assert_int_eq(waitpid(pid, &st, 0), pid);
	*rc = (hv_err)r[0];
	return r[1];
}

START_TEST(element_flood_refused_with_bounded_memory)
{
	/* A 16 MiB <a/><a/>... document: libxml2 2.9 peaked at 875 MiB building it. */
	strbuf sb = STRBUF_INIT;
	hv_err rc;

	sb_adds(&sb, "<configuration>");
	while (sb.len < HV_XML_MAX_BYTES - 32)
		sb_adds(&sb, "<a/>");
	sb_adds(&sb, "</configuration>");
	ck_assert_double_lt(timed_read(&sb, HV_ERR_LIMIT, "more than 262144 elements"), 0.5);
	long kib = rss_growth_kib(&sb, &rc);
	ck_assert_int_eq(rc, HV_ERR_LIMIT);
	ck_assert_msg(kib >= 0 && kib < 8 * 1024, "parsing grew the RSS by %ld KiB", kib);
	/* The calibration: at the element cap the tree is built, and costs memory. */
	sb_reset(&sb);
	sb_adds(&sb, "<configuration>");
	for (unsigned i = 1; i < HV_XML_MAX_ELEMENTS; i++)
		sb_adds(&sb, "<a/>");
	sb_adds(&sb, "</configuration>");
	kib = rss_growth_kib(&sb, &rc);
	ck_assert_int_eq(rc, HV_OK);
	ck_assert_msg(kib > 16 * 1024, "the tree of 262,144 elements took only %ld KiB", kib);
	sb_free(&sb);
}
END_TEST

/* A document in UTF-16LE with a BOM, from UTF-8 text. */
static uint8_t *utf16le_doc(const char *xml, size_t *n)
{
	size_t k;
	uint8_t *u = utf8_to_utf16le(xml, &k);
	uint8_t *b = malloc(k + 2);
	b[0] = 0xFF;
	b[1] = 0xFE;
	memcpy(b + 2, u, k);
	free(u);
	*n = k + 2;
	return b;
}

START_TEST(encodings_that_hide_markup_refused)
{
	hv_findings f = { 0 };
	kv_node *root;
	size_t n;

	/* libxml2 switches to a declared encoding: Shift_JIS and UTF-7 bytes can hide
	 * or forge markup from a byte scan, ISO-8859-1 in a UTF-16 file reads the rest
	 * as bytes. */
	ck_assert_int_eq(read_str("<?xml version='1.0' encoding='Shift_JIS'?><configuration/>",
				  &root, &f), HV_ERR_UNSUPPORTED);
	ck_assert(any_finding(&f, "encoding \"Shift_JIS\""));
	ck_assert_int_eq(read_str("<?xml version=\"1.0\" encoding = \"UTF-7\" ?>+ADw-x/+AD4-",
				  &root, &f), HV_ERR_UNSUPPORTED);
	uint8_t *b = utf16le_doc("<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?><configuration/>",
				 &n);
	ck_assert_int_eq(vmxml_read(span_make(b, n), "t.xml", &root, &f), HV_ERR_UNSUPPORTED);
	free(b);
	static const uint8_t ucs4[] = { 0, 0, 0, '<', 0, 0, 0, 'a', 0, 0, 0, '/', 0, 0, 0, '>' };
	ck_assert_int_eq(vmxml_read(span_make(ucs4, sizeof ucs4), "t.xml", &root, &f),
			 HV_ERR_UNSUPPORTED);
	/* A name libxml2 does not know is its error: not well-formed. */
	ck_assert_int_eq(read_str("<?xml version='1.0' encoding='EBCDIC-FOO'?><configuration/>",
				  &root, &f), HV_ERR_CORRUPT);
	/* What Windows and editors write still reads. */
	static const char *const fine[] = {
		"<?xml version='1.0' encoding='utf-8'?><configuration/>",
		"<?xml version='1.0' encoding='windows-1252'?><configuration/>",
		"<?xml version='1.0' encoding='ISO-8859-1' standalone='yes'?><configuration/>",
		"\xEF\xBB\xBF<?xml version='1.0'?><configuration/>",
	};
	for (size_t i = 0; i < sizeof fine / sizeof fine[0]; i++) {
		ck_assert_msg(read_str(fine[i], &root, &f) == HV_OK, "%s", fine[i]);
		kv_free(root);
	}
	b = utf16le_doc("<?xml version=\"1.0\" encoding=\"utf-16\" standalone=\"yes\"?>"
			"<configuration a=\"1\"><x type=\"string\">\xC3\xA9</x>"
			"</configuration>", &n);
	ck_assert_int_eq(vmxml_read(span_make(b, n), "t.xml", &root, &f), HV_OK);
	kv_free(root);
	free(b);
	findings_free(&f);
}
END_TEST

START_TEST(prescan_counts_only_real_attributes)
{
	/* '=', quotes and '>' in values, text, comments, CDATA and PIs are not
	 * attributes: 64 real ones plus all of these still read. */
	strbuf sb = STRBUF_INIT;
	hv_findings f = { 0 };
	kv_node *root;

	sb_adds(&sb, "<?xml version='1.0'?><?pi a=\"1\" b=\"2\"?><configuration");
	for (int i = 0; i < 63; i++)
		sb_addf(&sb, "\n\ta%d = '=\"x>y\"='", i);
	sb_adds(&sb, " z=\"a='b'\"><!-- c=\"1\" <a b='c'> --><![CDATA[ <a b=\"1\" c=\"2\"> ]]>"
		     "<x type=\"string\">k=v; m=n &amp; &lt;y z=\"1\"&gt;</x></configuration>");
	ck_assert_int_eq(read_str(sb_str(&sb), &root, &f), HV_OK);
	kv_free(root);
	findings_free(&f);
	sb_free(&sb);
}
END_TEST

START_TEST(libxml2_never_parses_past_the_prescan)
{
	/* libxml2 2.9 goes on after a fatal error (tree discarded, checks still
	 * quadratic).  Where the pre-scan stops (an unquoted value, '<' in a value, a
	 * control character that ends a comment or PI early for libxml2, "<!" that is
	 * no markup) libxml2 is given only a margin more, never the 80,000 attributes
	 * that follow, or hide in the rest of the comment. */
	static const char *const breaks[] = {
		"<x a=1/>", "<x a='<'/>", "<!-- \x01 ", "<?pi \x02 ", "<!FOO ", "<x/y>",
		"<![CDATA[ \xEF\xBF\xBE ", "<!-- \xED\xA0\x80 ",
	};
	strbuf sb = STRBUF_INIT;

	for (size_t i = 0; i < sizeof breaks / sizeof breaks[0]; i++) {
		sb_adds(&sb, "<configuration>");
		sb_adds(&sb, breaks[i]);
		many_attributes(&sb, "b", 80000);
		sb_adds(&sb, " --> ?> ]]></configuration>");
		ck_assert_double_lt(timed_read(&sb, HV_ERR_CORRUPT, "not well-formed"), 0.2);
		sb_reset(&sb);
	}
	sb_free(&sb);
}
END_TEST

START_TEST(errors_libxml2_goes_on_after_are_bounded)
{
	/* ']]>' in text: libxml2 reports it and reads on; the pre-scan counted the rest.
	 * (Halting libxml2 from its error handler freed the input under it: a crash on
	 * documents over 128 KiB, whose buffer glibc unmaps when freed.) */
	strbuf sb = STRBUF_INIT;

	sb_adds(&sb, "<configuration>]]>");
	while (sb.len < 1024u * 1024)
		sb_adds(&sb, "<a b='c'>text</a>");
	sb_adds(&sb, "</configuration>");
	ck_assert_double_lt(timed_read(&sb, HV_ERR_CORRUPT, "']]>' not allowed"), 5.0);
	sb_free(&sb);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("vmxml");
	TCase *tc = tcase_create("core");
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, corpus_gen1_tree);
	tcase_add_test(tc, corpus_gen2_tree);
	tcase_add_test(tc, corpus_truncated_is_corrupt);
	tcase_add_test(tc, leaf_types);
	tcase_add_test(tc, bad_values_are_findings);
	tcase_add_test(tc, warnings_are_capped);
	tcase_add_test(tc, external_entity_refused);
	tcase_add_test(tc, billion_laughs_refused);
	tcase_add_test(tc, depth_is_capped);
	tcase_add_test(tc, node_count_is_capped);
	tcase_add_test(tc, wrong_root_and_not_xml);
	tcase_add_test(tc, sniff_first_bytes);
	tcase_add_test(tc, size_cap_before_parsing);
	tcase_add_test(tc, attributes_per_element_capped_before_parsing);
	tcase_add_test(tc, totals_capped);
	tcase_add_test(tc, element_flood_refused_with_bounded_memory);
	tcase_add_test(tc, encodings_that_hide_markup_refused);
	tcase_add_test(tc, prescan_counts_only_real_attributes);
	tcase_add_test(tc, libxml2_never_parses_past_the_prescan);
	tcase_add_test(tc, errors_libxml2_goes_on_after_are_bounded);
	suite_add_tcase(s, tc);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
