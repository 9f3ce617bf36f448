/*
 * test_kp.c - key protector: decoding, structure checks, signatures, every
 * saved form, comparison, carving and guardian metadata.
 *
 * All key protectors are synthesized by tests/support/kp_writer with
 * certificates generated at test time.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/evp.h>
#include <openssl/pkcs12.h>
#include <openssl/x509.h>

#include "formats/guardian.h"
#include "formats/kp.h"
#include "util/base64.h"
#include "formats/kp_carve.h"
#include "formats/kp_input.h"
#include "report/kp_report.h"
#include "support/kp_writer.h"
#include "support/testutil.h"
#include "util/strbuf.h"
#include "util/text.h"
#include "util/xalloc.h"

#define TEST_DAYS 3650
#define MANY_WRAPPINGS 10000

/* Windows thumbprint computed independently of cert.c. */
static void thumbprint(const kpw_cert *c, char out[41])
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int n = 0;

	ck_assert(X509_digest(c->x509, EVP_sha1(), md, &n) == 1);
	hex_encode(md, n, true, out);
}

static bool has_finding(const hv_findings *f, const char *needle)
{
	for (size_t i = 0; i < f->n; i++)
		if (strstr(f->v[i].msg, needle) != NULL)
			return true;
	return false;
}

static hv_err decode_doc(const kpw_doc *d, kp_doc *out, hv_findings *f)
{
	size_t n;
	char *xml = kpw_xml(d, &n);
	hv_err e = kp_decode(span_make(xml, n), "test.kp", 0, out, f);
	free(xml);
	return e;
}

static kpw_doc doc_of(const kpw_wrapping *w, size_t n, uint32_t guardian_id)
{
	kpw_doc d;

	memset(&d, 0, sizeof(d));
	d.max_offline_unwraps = 0;
	d.w = w;
	d.n = n;
	d.guardian_wrapping_id = guardian_id;
	return d;
}

START_TEST(owner_only)
{
	kpw_guardian g = kpw_guardian_new("UntrustedGuardian", "HV-HOST-0001.contoso.test",
					  TEST_DAYS);
	kpw_wrapping w = kpw_wrapping_for(&g, 1, 1);
	kpw_doc d = doc_of(&w, 1, 1);
	d.declaration = true;
	hv_findings f = { 0 };
	kp_doc kp;
	char tp[41];

	ck_assert_int_eq(decode_doc(&d, &kp, &f), HV_OK);
	ck_assert_uint_eq(kp.n, 1);
	ck_assert_int_eq(kp.owner, 0);
	ck_assert_uint_eq(kp.owner_count, 1);
	ck_assert_uint_eq(kp.problems, 0);
	ck_assert(kp.has_max_offline_unwraps);
	ck_assert_uint_eq(kp.max_offline_unwraps, 0);
	ck_assert_str_eq(kp.ns_prefix, "");
	const kp_wrapping *o = &kp.w[0];
	ck_assert(o->is_owner && o->chains_to_owner && o->has_id && o->has_parent);
	ck_assert_uint_eq(o->id, 1);
	thumbprint(g.signing, tp);
	ck_assert_str_eq(o->signing.thumbprint, tp);
	thumbprint(g.encryption, tp);
	ck_assert_str_eq(o->encryption.thumbprint, tp);
	ck_assert_int_eq(o->signing.role, CERT_ROLE_SIGNING);
	ck_assert_int_eq(o->encryption.role, CERT_ROLE_ENCRYPTION);
	ck_assert_str_eq(o->encryption.guardian, "UntrustedGuardian");
	ck_assert_str_eq(o->encryption.host, "HV-HOST-0001.contoso.test");
	ck_assert_str_eq(o->transport_alg, KPW_ALG_TRANSPORT);
	ck_assert_uint_eq(o->transport_cipher_len, 256);
	ck_assert_uint_eq(o->signing_sig.value_len, 256);
	ck_assert_str_eq(o->signing_sig.algorithm, KPW_ALG_RSA_SHA256);
	/* Pseudo-random signature bytes: the owner's key did not make them. */
	ck_assert_int_eq(o->signing_sig.status, KP_SIG_FAILED);
	ck_assert_int_eq(o->encryption_sig.status, KP_SIG_FAILED);
	ck_assert(kp.has_guardian_sig && kp.has_guardian_sig_id);
	ck_assert_uint_eq(kp.guardian_sig_wrapping_id, 1);
	ck_assert_int_eq(kp.guardian_sig.status, KP_SIG_FAILED);
	ck_assert_int_eq(kp.tks_sig.status, KP_SIG_NOT_VERIFIABLE);
	ck_assert_str_eq(kp.tks_kdf_alg, KPW_ALG_KDF);
	ck_assert_uint_eq(kp.nalgorithms, 3);
	ck_assert_uint_eq(f.n, 0);

	/* Reports never carry the signature or cipher values. */
	char *txt = NULL;
	size_t tl = 0;
	FILE *mf = open_memstream(&txt, &tl);
	kp_report_text(mf, &kp, time(NULL));
	json_object *j = kp_report_json(&kp, time(NULL));
	out_json(mf, j);
	fclose(mf);
	json_object_put(j);
	size_t xl;
	char *xml = kpw_xml(&d, &xl);
	const char *sv = strstr(xml, "SignatureValue>");
	const char *cv = strstr(xml, "CipherValue>");
	ck_assert_ptr_nonnull(sv);
	ck_assert_ptr_nonnull(cv);
	char frag[33];
	memcpy(frag, sv + 15, 32);
	frag[32] = '\0';
	ck_assert_ptr_null(strstr(txt, frag));
	memcpy(frag, cv + 12, 32);
	ck_assert_ptr_null(strstr(txt, frag));
	ck_assert_ptr_nonnull(strstr(txt, o->signing.thumbprint));
	ck_assert_ptr_nonnull(strstr(txt, "\"owner_wrapping_id\": 1"));
	free(xml);
	free(txt);

	kp_free(&kp);
	findings_free(&f);
	kpw_guardian_free(&g);
}
END_TEST

START_TEST(owner_and_two_hgs_guardians)
{
	kpw_guardian o = kpw_guardian_new("UntrustedGuardian", "HV1", TEST_DAYS);
	kpw_cert *hs1 = kpw_cert_new("HGS Signing hgs1.fabric.test", 2048, 365, NULL);
	kpw_cert *he1 = kpw_cert_new("HGS Encryption hgs1.fabric.test", 2048, 365, NULL);
	kpw_guardian h1 = { hs1, he1 };
	kpw_cert *hs2 = kpw_cert_new("HGS Signing dr.fabric.test", 2048, 365, NULL);
	kpw_cert *he2 = kpw_cert_new("HGS Encryption dr.fabric.test", 2048, 365, NULL);
	kpw_guardian h2 = { hs2, he2 };
	kpw_wrapping w[3] = { kpw_wrapping_for(&h1, 2, 7), kpw_wrapping_for(&o, 7, 7),
			      kpw_wrapping_for(&h2, 3, 7) };
	kpw_doc d = doc_of(w, 3, 7);
	d.prefix = "kps";
	d.max_offline_unwraps = 3;
	hv_findings f = { 0 };
	kp_doc kp;

	ck_assert_int_eq(decode_doc(&d, &kp, &f), HV_OK);
	ck_assert_uint_eq(kp.n, 3);
	ck_assert_int_eq(kp.owner, 1);
	ck_assert_str_eq(kp.ns_prefix, "kps");
	ck_assert_uint_eq(kp.max_offline_unwraps, 3);
	ck_assert(!kp.w[0].is_owner && kp.w[0].chains_to_owner);
	ck_assert(!kp.w[2].is_owner && kp.w[2].chains_to_owner);
	ck_assert_uint_eq(kp.w[0].parent_id, 7);
	ck_assert_int_eq(kp.w[0].signing.role, CERT_ROLE_OTHER);
	ck_assert_ptr_null(kp.w[0].signing.guardian);
	ck_assert_str_eq(kp.w[2].encryption.subject, "CN=HGS Encryption dr.fabric.test");
	ck_assert_uint_eq(kp.problems, 0);
	ck_assert_int_eq(kp_find_wrapping(&kp, 3), 2);
	ck_assert_int_eq(kp_find_wrapping(&kp, 4), -1);
	kp_free(&kp);
	findings_free(&f);
	kpw_guardian_free(&o);
	kpw_guardian_free(&h1);
	kpw_guardian_free(&h2);
}
END_TEST

START_TEST(structure_deviations_are_findings)
{
	kpw_guardian o = kpw_guardian_new("G", "H", TEST_DAYS);
	/* 1 owner; 2 -> 9 (dangling); 3 <-> 4 (cycle); 5 -> 3 (into the cycle); 6 no parent. */
	kpw_wrapping w[6] = { kpw_wrapping_for(&o, 1, 1), kpw_wrapping_for(&o, 2, 9),
			      kpw_wrapping_for(&o, 3, 4), kpw_wrapping_for(&o, 4, 3),
			      kpw_wrapping_for(&o, 5, 3), kpw_wrapping_for(&o, 6, 6) };
	w[5].omit_parent = true;
	kpw_doc d = doc_of(w, 6, 1);
	hv_findings f = { 0 };
	kp_doc kp;

	ck_assert_int_eq(decode_doc(&d, &kp, &f), HV_OK);
	ck_assert_int_eq(kp.owner, 0);
	ck_assert(kp.w[0].chains_to_owner);
	for (size_t i = 1; i < 6; i++)
		ck_assert_msg(!kp.w[i].chains_to_owner, "wrapping %zu chains", i);
	ck_assert(has_finding(&f, "ParentWrappingId 9 names no wrapping"));
	ck_assert(has_finding(&f, "Wrapping Id 3 (line"));
	ck_assert(has_finding(&f, "Wrapping Id 6 (line 1): ParentWrappingId is missing"));
	ck_assert(kp.problems >= 5);
	kp_free(&kp);
	findings_free(&f);

	/* Two self-parented wrappings: the owner is ambiguous. */
	kpw_wrapping two[2] = { kpw_wrapping_for(&o, 1, 1), kpw_wrapping_for(&o, 2, 2) };
	d = doc_of(two, 2, 1);
	ck_assert_int_eq(decode_doc(&d, &kp, &f), HV_OK);
	ck_assert_int_eq(kp.owner, -1);
	ck_assert_uint_eq(kp.owner_count, 2);
	ck_assert(has_finding(&f, "owner is ambiguous"));
	kp_free(&kp);
	findings_free(&f);

	/* No self-parented wrapping at all. */
	kpw_wrapping none[1] = { kpw_wrapping_for(&o, 1, 2) };
	d = doc_of(none, 1, 1);
	ck_assert_int_eq(decode_doc(&d, &kp, &f), HV_OK);
	ck_assert_int_eq(kp.owner, -1);
	ck_assert(has_finding(&f, "no owner"));
	kp_free(&kp);
	findings_free(&f);
	kpw_guardian_free(&o);
}
END_TEST

START_TEST(lkg_differs)
{
	kpw_guardian o = kpw_guardian_new("UntrustedGuardian", "HV1", TEST_DAYS);
	kpw_guardian g1 = kpw_guardian_new("Old", "HV2", TEST_DAYS);
	kpw_guardian g2 = kpw_guardian_new("New", "HV3", TEST_DAYS);
	kpw_wrapping wa[2] = { kpw_wrapping_for(&o, 1, 1), kpw_wrapping_for(&g1, 2, 1) };
	kpw_wrapping wb[2] = { kpw_wrapping_for(&o, 1, 1), kpw_wrapping_for(&g2, 2, 1) };
	wb[1].transport_alg = "urn:example:other-transport";
	kpw_doc da = doc_of(wa, 2, 1), db = doc_of(wb, 2, 1);
	db.max_offline_unwraps = 5;
	hv_findings f = { 0 };
	kp_doc a, b, a2;
	kp_diff diff;
	char tp[41];

	ck_assert_int_eq(decode_doc(&da, &a, &f), HV_OK);
	ck_assert_int_eq(decode_doc(&db, &b, &f), HV_OK);
	kpw_seed(99); /* new random parts: a KP rewritten at boot */
	ck_assert_int_eq(decode_doc(&da, &a2, &f), HV_OK);

	kp_compare(&a, &a2, &diff);
	ck_assert(diff.same);
	ck_assert_uint_eq(diff.n_common, 2);
	kp_diff_free(&diff);

	kp_compare(&a, &b, &diff);
	ck_assert(!diff.same);
	ck_assert(!diff.owner_differs);
	ck_assert(diff.max_offline_differs);
	ck_assert_uint_eq(diff.n_common, 1);
	ck_assert_uint_eq(diff.n_only_a, 1);
	ck_assert_uint_eq(diff.n_only_b, 1);
	thumbprint(g1.encryption, tp);
	ck_assert_str_eq(diff.only_a[0].encryption, tp);
	thumbprint(g2.signing, tp);
	ck_assert_str_eq(diff.only_b[0].signing, tp);
	thumbprint(o.signing, tp);
	ck_assert_str_eq(diff.owner_a.signing, tp);
	ck_assert_uint_eq(diff.n_alg_only_a, 0);
	ck_assert_uint_eq(diff.n_alg_only_b, 1);
	ck_assert_str_eq(diff.alg_only_b[0], "urn:example:other-transport");

	json_object *j = kp_compare_report_json(&diff);
	json_object *v;
	ck_assert(json_object_object_get_ex(j, "same", &v));
	ck_assert(!json_object_get_boolean(v));
	ck_assert(json_object_object_get_ex(j, "only_in_current", &v));
	ck_assert_uint_eq(json_object_array_length(v), 1);
	json_object_put(j);
	kp_diff_free(&diff);

	/* Another owner. */
	kpw_wrapping wc[1] = { kpw_wrapping_for(&g2, 1, 1) };
	kpw_doc dc = doc_of(wc, 1, 1);
	kp_doc c;
	ck_assert_int_eq(decode_doc(&dc, &c, &f), HV_OK);
	kp_compare(&a, &c, &diff);
	ck_assert(diff.owner_differs);
	kp_diff_free(&diff);

	kp_free(&a);
	kp_free(&a2);
	kp_free(&b);
	kp_free(&c);
	findings_free(&f);
	kpw_guardian_free(&o);
	kpw_guardian_free(&g1);
	kpw_guardian_free(&g2);
}
END_TEST

START_TEST(every_saved_form_gives_the_same_owner)
{
	kpw_guardian o = kpw_guardian_new("UntrustedGuardian", "HV-Ünïcode", TEST_DAYS);
	kpw_guardian g = kpw_guardian_new("Second", "HV2", TEST_DAYS);
	kpw_wrapping w[2] = { kpw_wrapping_for(&o, 1, 1), kpw_wrapping_for(&g, 2, 1) };
	kpw_doc d = doc_of(w, 2, 1);
	d.declaration = true;
	size_t xl;
	char *xml = kpw_xml(&d, &xl);
	char tp[41];
	static const kp_form outer[KPW_FORM_COUNT] = {
		KP_FORM_OCTET_STRING, KP_FORM_DECIMAL_LINES, KP_FORM_DECIMAL_LINES,
		KP_FORM_DECIMAL_LINES, KP_FORM_BASE64, KP_FORM_XML, KP_FORM_XML, KP_FORM_XML,
		KP_FORM_CIM_ARRAY,
	};

	thumbprint(o.signing, tp);
	for (int form = 0; form < KPW_FORM_COUNT; form++) {
		size_t n;
		uint8_t *file = kpw_save(xml, xl, (kpw_form)form, &n);
		hv_findings f = { 0 };
		kp_input in;
		kp_doc kp;
		const char *name = kpw_form_name((kpw_form)form);

		ck_assert_msg(kp_input_normalize(span_make(file, n), name, &in, &f) == HV_OK,
			      "%s not normalised", name);
		ck_assert_msg(!in.empty, "%s", name);
		ck_assert_msg(in.layers[0].form == outer[form], "%s: outer form %s", name,
			      kp_form_name(in.layers[0].form));
		ck_assert_int_eq(in.layers[in.nlayers - 1].form, KP_FORM_XML);
		ck_assert_msg(kp_decode(span_make(in.payload, in.len), name, in.payload_offset, &kp,
					&f) == HV_OK, "%s not decoded", name);
		ck_assert_int_eq(kp.owner, 0);
		ck_assert_str_eq(kp.w[0].signing.thumbprint, tp);
		ck_assert_str_eq(kp.w[0].encryption.host, "HV-Ünïcode");
		ck_assert_msg(findings_count(&f, HV_SEV_WARN) == 0, "%s: %s", name,
			      f.n ? f.v[0].msg : "");
		kp_free(&kp);
		kp_input_free(&in);
		findings_free(&f);
		free(file);
	}
	/* Layer details. */
	size_t n;
	uint8_t *file = kpw_save(xml, xl, KPW_FORM_OUTFILE_UTF16_CRLF, &n);
	hv_findings f = { 0 };
	kp_input in;
	ck_assert_int_eq(kp_input_normalize(span_make(file, n), "x", &in, &f), HV_OK);
	ck_assert_uint_eq(in.nlayers, 3);
	ck_assert_int_eq(in.layers[0].enc, KP_TEXT_UTF16LE_BOM);
	ck_assert(in.layers[0].crlf);
	ck_assert_int_eq(in.layers[1].form, KP_FORM_OCTET_STRING);
	ck_assert_str_eq(in.description, "decimal lines (UTF-16LE BOM, CRLF) > OctetString > XML "
					 "(UTF-8)");
	ck_assert_uint_eq(in.payload_offset, HV_NO_OFFSET);
	kp_input_free(&in);
	free(file);

	file = kpw_save(xml, xl, KPW_FORM_OCTET_STRING, &n);
	ck_assert_int_eq(kp_input_normalize(span_make(file, n), "x", &in, &f), HV_OK);
	ck_assert_uint_eq(in.payload_offset, 4);
	ck_assert_uint_eq(in.len, xl);
	ck_assert_int_eq(memcmp(in.payload, xml, xl), 0);
	kp_input_free(&in);
	free(file);

	/* The CIM instance also holds the last-known-good property (here: no KP). */
	file = kpw_save(xml, xl, KPW_FORM_CIM_ARRAY, &n);
	ck_assert_int_eq(kp_input_normalize(span_make(file, n), "x", &in, &f), HV_OK);
	ck_assert_str_eq(in.property, "KeyProtector");
	ck_assert(has_finding(&f, "LastKnownGoodKeyProtector"));
	kp_input_free(&in);
	ck_assert_int_eq(kp_input_normalize_property(span_make(file, n), "x",
						     "LastKnownGoodKeyProtector", &in, &f), HV_OK);
	ck_assert(in.empty);
	ck_assert_ptr_null(in.payload);
	kp_input_free(&in);
	ck_assert_int_eq(kp_input_normalize_property(span_make(file, n), "x", "Nope", &in, &f),
			 HV_ERR_FORMAT);
	free(file);
	findings_free(&f);

	/* Out-File with trailing blank lines. */
	file = kpw_save(xml, xl, KPW_FORM_OUTFILE_UTF8_LF, &n);
	file = xrealloc(file, n + 4);
	memcpy(file + n, "\n\n\r\n", 4);
	ck_assert_int_eq(kp_input_normalize(span_make(file, n + 4), "x", &in, &f), HV_OK);
	ck_assert_uint_eq(in.len, xl);
	kp_input_free(&in);
	free(file);
	findings_free(&f);

	free(xml);
	kpw_guardian_free(&o);
	kpw_guardian_free(&g);
}
END_TEST

START_TEST(no_key_protector)
{
	static const uint8_t raw[4] = { 0, 0, 0, 4 };
	static const char lines[] = "0\r\n0\r\n0\r\n4\r\n";
	hv_findings f = { 0 };
	kp_input in;

	ck_assert_int_eq(kp_input_normalize(span_make(raw, 4), "empty.kp", &in, &f), HV_OK);
	ck_assert(in.empty);
	ck_assert_ptr_null(in.payload);
	ck_assert_str_eq(in.description, "OctetString = no key protector");
	kp_input_free(&in);
	ck_assert_int_eq(kp_input_normalize(span_make(lines, strlen(lines)), "e.txt", &in, &f),
			 HV_OK);
	ck_assert(in.empty);
	ck_assert_int_eq(in.layers[0].form, KP_FORM_DECIMAL_LINES);
	kp_input_free(&in);
	ck_assert_uint_eq(f.n, 0);
}
END_TEST

START_TEST(rejected_inputs)
{
	static const char out_of_range[] = "0\n0\n1\n256\n";
	static const char prose[] = "hello, this is not a key protector\n";
	static const uint8_t bin[6] = { 1, 2, 3, 0, 0xFF, 7 };
	hv_findings f = { 0 };
	kp_input in;

	ck_assert_int_eq(kp_input_normalize(span_make(out_of_range, strlen(out_of_range)), "a",
					    &in, &f), HV_ERR_FORMAT);
	ck_assert_int_eq(kp_input_normalize(span_make(prose, strlen(prose)), "b", &in, &f),
			 HV_ERR_FORMAT);
	ck_assert_int_eq(kp_input_normalize(span_make(bin, sizeof bin), "c", &in, &f),
			 HV_ERR_FORMAT);
	ck_assert_int_eq(kp_input_normalize(span_make(bin, 0), "d", &in, &f), HV_ERR_FORMAT);
	ck_assert_uint_eq(f.n, 4);
	ck_assert_str_eq(f.v[2].file, "c");
	/* Base64 of base64 of ... nests beyond the layer cap. */
	char *s = xstrdup("<Protector xmlns=\"" KPW_NS "\"/>");
	for (int i = 0; i < KP_INPUT_MAX_LAYERS + 1; i++) {
		strbuf sb = STRBUF_INIT;
		static const char tbl[] =
			"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
		size_t n = strlen(s);
		for (size_t k = 0; k < n; k += 3) {
			uint32_t v = (uint32_t)(uint8_t)s[k] << 16;
			if (k + 1 < n)
				v |= (uint32_t)(uint8_t)s[k + 1] << 8;
			if (k + 2 < n)
				v |= (uint8_t)s[k + 2];
			sb_addc(&sb, tbl[(v >> 18) & 63]);
			sb_addc(&sb, tbl[(v >> 12) & 63]);
			sb_addc(&sb, k + 1 < n ? tbl[(v >> 6) & 63] : '=');
			sb_addc(&sb, k + 2 < n ? tbl[v & 63] : '=');
		}
		free(s);
		s = sb_detach(&sb);
	}
	ck_assert_int_eq(kp_input_normalize(span_make(s, strlen(s)), "deep", &in, &f),
			 HV_ERR_LIMIT);
	free(s);
	findings_free(&f);
}
END_TEST

START_TEST(length_prefix_disagrees)
{
	kpw_guardian o = kpw_guardian_new("G", "H", TEST_DAYS);
	kpw_wrapping w = kpw_wrapping_for(&o, 1, 1);
	kpw_doc d = doc_of(&w, 1, 1);
	size_t xl, n;
	char *xml = kpw_xml(&d, &xl);
	uint8_t *file = kpw_save(xml, xl, KPW_FORM_OCTET_STRING, &n);
	hv_findings f = { 0 };
	kp_input in;
	kp_doc kp;

	file[2] ^= 0x40; /* prefix now larger than the file */
	ck_assert_int_eq(kp_input_normalize(span_make(file, n), "bad.kp", &in, &f), HV_OK);
	ck_assert(in.layers[0].length_mismatch);
	ck_assert(has_finding(&f, "disagrees"));
	ck_assert_int_eq(kp_decode(span_make(in.payload, in.len), "bad.kp", 4, &kp, &f), HV_OK);
	ck_assert_uint_eq(kp.n, 1);
	kp_free(&kp);
	kp_input_free(&in);
	findings_free(&f);

	/* Prefix smaller than the file: trailing bytes after the document are ignored. */
	file[2] ^= 0x40;
	file = xrealloc(file, n + 7);
	memcpy(file + n, "garbage", 7);
	ck_assert_int_eq(kp_input_normalize(span_make(file, n + 7), "trail.kp", &in, &f), HV_OK);
	ck_assert(has_finding(&f, "7 trailing bytes ignored"));
	ck_assert_uint_eq(in.len, xl);
	kp_input_free(&in);
	findings_free(&f);
	free(file);
	free(xml);
	kpw_guardian_free(&o);
}
END_TEST

START_TEST(truncated_and_foreign_documents)
{
	kpw_guardian o = kpw_guardian_new("G", "H", TEST_DAYS);
	kpw_wrapping w = kpw_wrapping_for(&o, 1, 1);
	kpw_doc d = doc_of(&w, 1, 1);
	size_t xl;
	char *xml = kpw_xml(&d, &xl);
	hv_findings f = { 0 };
	kp_doc kp;

	/* Starts like a Protector document: damaged, not foreign. */
	ck_assert_int_eq(kp_decode(span_make(xml, xl / 2), "t.kp", 0, &kp, &f), HV_ERR_CORRUPT);
	ck_assert(has_finding(&f, "not well-formed"));
	ck_assert_uint_eq(kp.n, 0);
	ck_assert_ptr_null(kp.w);
	free(xml);
	findings_free(&f);

	d.ns = "http://example.com/not-kps";
	xml = kpw_xml(&d, &xl);
	ck_assert_int_eq(kp_decode(span_make(xml, xl), "ns.kp", 0, &kp, &f), HV_ERR_FORMAT);
	ck_assert(has_finding(&f, "http://example.com/not-kps"));
	free(xml);
	findings_free(&f);

	static const char other[] = "<Config><Wrappings/></Config>";
	ck_assert_int_eq(kp_decode(span_make(other, strlen(other)), "o", 0, &kp, &f),
			 HV_ERR_FORMAT);
	static const char nons[] = "<Protector><Wrappings/></Protector>";
	ck_assert_int_eq(kp_decode(span_make(nons, strlen(nons)), "o", 0, &kp, &f),
			 HV_ERR_FORMAT);
	ck_assert(has_finding(&f, "(none)"));
	ck_assert_int_eq(kp_decode(span_make(nons, 0), "o", 0, &kp, &f), HV_ERR_FORMAT);
	findings_free(&f);
	kpw_guardian_free(&o);
}
END_TEST

START_TEST(hostile_xml_is_refused)
{
	static const char xxe[] =
		"<?xml version=\"1.0\"?>\n<!DOCTYPE Protector [<!ENTITY x SYSTEM "
		"\"file:///etc/passwd\">]>\n<Protector xmlns=\"" KPW_NS "\"><Wrappings><Wrapping>"
		"<Id>&x;</Id></Wrapping></Wrappings></Protector>";
	static const char lol[] =
		"<?xml version=\"1.0\"?>\n<!DOCTYPE Protector [\n<!ENTITY a \"aaaaaaaaaa\">\n"
		"<!ENTITY b \"&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;\">\n"
		"<!ENTITY c \"&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;\">\n"
		"<!ENTITY d \"&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;\">\n"
		"<!ENTITY e \"&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;\">\n"
		"<!ENTITY f \"&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;\">\n"
		"<!ENTITY g \"&f;&f;&f;&f;&f;&f;&f;&f;&f;&f;\">\n"
		"<!ENTITY h \"&g;&g;&g;&g;&g;&g;&g;&g;&g;&g;\">\n"
		"<!ENTITY i \"&h;&h;&h;&h;&h;&h;&h;&h;&h;&h;\">\n]>\n"
		"<Protector xmlns=\"" KPW_NS "\" MaxOfflineUnwraps=\"&i;\"><Wrappings/>"
		"</Protector>";
	const char *docs[2] = { xxe, lol };
	hv_findings f = { 0 };
	kp_doc kp;
	kp_input in;

	for (int i = 0; i < 2; i++) {
		/* A Protector behind a hostile DTD: refused, and a damaged key protector. */
		ck_assert_int_eq(kp_decode(span_make(docs[i], strlen(docs[i])), "h", 0, &kp, &f),
				 HV_ERR_CORRUPT);
		/* Refused either for its DTD or by libxml2's entity-loop guard. */
		ck_assert(has_finding(&f, "document type declaration") ||
			  has_finding(&f, "entity reference loop"));
		findings_free(&f);
		/* Through the input normaliser: refused too (never expanded). */
		hv_err e = kp_input_normalize(span_make(docs[i], strlen(docs[i])), "h", &in, &f);
		if (e == HV_OK) {
			ck_assert_int_eq(kp_decode(span_make(in.payload, in.len), "h", 0, &kp, &f),
					 HV_ERR_CORRUPT);
			kp_input_free(&in);
		}
		findings_free(&f);
	}
}
END_TEST

static double now_s(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

START_TEST(attribute_flood_refused_before_parsing)
{
	/* Reported: 80,000 attributes took 30+ s as a key protector (libxml2's
	 * duplicate check is quadratic).  Refused by the pre-scan in milliseconds,
	 * as a key protector over a cap; the same in a CIM-XML instance, and as
	 * foreign XML (not a key protector) when it does not look like one. */
	strbuf sb = STRBUF_INIT;
	hv_findings f = { 0 };
	kp_doc kp;
	kp_input in;

	sb_adds(&sb, "<Protector xmlns=\"" KPW_NS "\"");
	for (int i = 0; i < 80000; i++)
		sb_addf(&sb, " a%d=\"\"", i);
	sb_adds(&sb, "><Wrappings/></Protector>");
	double t0 = now_s();
	ck_assert_int_eq(kp_decode(span_make(sb.buf, sb.len), "flood.kp", 0, &kp, &f),
			 HV_ERR_LIMIT);
	ck_assert(has_finding(&f, "more than 64 attributes"));
	ck_assert_int_eq(kp_input_normalize(span_make(sb.buf, sb.len), "flood.kp", &in, &f),
			 HV_OK);
	ck_assert_int_eq(kp_decode(span_make(in.payload, in.len), "flood.kp", 0, &kp, &f),
			 HV_ERR_LIMIT);
	kp_input_free(&in);
	findings_free(&f);
	sb_reset(&sb);
	sb_adds(&sb, "<INSTANCE CLASSNAME=\"Msps_KeyProtector\">"
		     "<PROPERTY.ARRAY NAME=\"KeyProtector\" TYPE=\"uint8\"");
	for (int i = 0; i < 80000; i++)
		sb_addf(&sb, " a%d=\"\"", i);
	sb_adds(&sb, "><VALUE.ARRAY><VALUE>1</VALUE></VALUE.ARRAY></PROPERTY.ARRAY></INSTANCE>");
	ck_assert_int_eq(kp_input_normalize(span_make(sb.buf, sb.len), "flood.xml", &in, &f),
			 HV_ERR_LIMIT);
	findings_free(&f);
	sb_reset(&sb);
	sb_adds(&sb, "<a");
	for (int i = 0; i < 80000; i++)
		sb_addf(&sb, " a%d=\"\"", i);
	sb_adds(&sb, "/>");
	ck_assert_int_eq(kp_decode(span_make(sb.buf, sb.len), "other.xml", 0, &kp, &f),
			 HV_ERR_FORMAT);
	findings_free(&f);
	ck_assert_double_lt(now_s() - t0, 0.5);
	sb_free(&sb);
}
END_TEST

START_TEST(unreadable_certificates)
{
	kpw_guardian o = kpw_guardian_new("G", "H", TEST_DAYS);
	kpw_wrapping w[3] = { kpw_wrapping_for(&o, 1, 1), kpw_wrapping_for(&o, 2, 1),
			      kpw_wrapping_for(&o, 3, 1) };
	w[1].signing_b64 = "MIIB!!not*base64";
	w[2].encryption_b64 = "AAECAwQFBgcICQoLDA0ODxAREhM="; /* 20 bytes, not DER */
	kpw_doc d = doc_of(w, 3, 1);
	hv_findings f = { 0 };
	kp_doc kp;

	ck_assert_int_eq(decode_doc(&d, &kp, &f), HV_OK);
	ck_assert_uint_eq(kp.n, 3);
	ck_assert_ptr_null(kp.w[1].signing.x509);
	ck_assert_ptr_nonnull(kp.w[1].encryption.x509);
	ck_assert_ptr_nonnull(kp.w[2].signing.x509);
	ck_assert_ptr_null(kp.w[2].encryption.x509);
	ck_assert(has_finding(&f, "Wrapping Id 2 (line 1): SigningCertificate is not base64"));
	ck_assert(has_finding(&f,
			      "Wrapping Id 3 (line 1): EncryptionCertificate: not a DER X.509"));
	ck_assert(kp.w[1].chains_to_owner);
	ck_assert_int_eq(kp.w[1].signing_sig.status, KP_SIG_NOT_VERIFIABLE);
	ck_assert_int_eq(kp.w[2].encryption_sig.status, KP_SIG_NOT_VERIFIABLE);
	ck_assert(kp.problems >= 2);
	kp_free(&kp);
	findings_free(&f);
	kpw_guardian_free(&o);
}
END_TEST

START_TEST(many_wrappings_are_bounded)
{
	kpw_wrapping *w = xcalloc(MANY_WRAPPINGS, sizeof(*w));
	hv_findings f = { 0 };
	kp_doc kp;

	for (uint32_t i = 0; i < MANY_WRAPPINGS; i++) {
		w[i].id = i + 1;
		w[i].parent_id = i == 0 ? 1 : i; /* a long chain up to the owner */
	}
	kpw_doc d = doc_of(w, MANY_WRAPPINGS, 1);
	time_t t0 = time(NULL);
	ck_assert_int_eq(decode_doc(&d, &kp, &f), HV_ERR_LIMIT);
	ck_assert(has_finding(&f, "more than 4096 wrappings"));
	ck_assert_uint_eq(kp.n, 0);
	findings_free(&f);

	/* Exactly at the cap: decoded, the chain is followed without recursion. */
	d.n = KP_MAX_WRAPPINGS;
	ck_assert_int_eq(decode_doc(&d, &kp, &f), HV_OK);
	ck_assert_uint_eq(kp.n, KP_MAX_WRAPPINGS);
	ck_assert(kp.w[KP_MAX_WRAPPINGS - 1].chains_to_owner);
	ck_assert(f.n <= 65 + 1);
	ck_assert(has_finding(&f, "further key protector findings not listed"));
	ck_assert(time(NULL) - t0 < 60);
	kp_free(&kp);
	findings_free(&f);
	free(w);
}
END_TEST

START_TEST(signatures_verified_failed_not_verifiable)
{
	kpw_guardian o = kpw_guardian_new("UntrustedGuardian", "HV1", TEST_DAYS);
	kpw_guardian g1 = kpw_guardian_new("G1", "HV2", TEST_DAYS);
	kpw_guardian g2 = kpw_guardian_new("G2", "HV3", TEST_DAYS);
	kpw_guardian g3 = kpw_guardian_new("G3", "HV4", TEST_DAYS);
	kpw_wrapping w[4] = { kpw_wrapping_for(&o, 1, 1), kpw_wrapping_for(&g1, 2, 1),
			      kpw_wrapping_for(&g2, 3, 1), kpw_wrapping_for(&g3, 4, 1) };
	size_t l[8];
	uint8_t *s[8];
	static const char other[] = "bytes of some other form";

	/* Owner: both signatures by its own signing key over the DER. */
	s[0] = kpw_sign(o.signing, "pkcs1-sha256", o.encryption->der, o.encryption->der_len, &l[0]);
	s[1] = kpw_sign(o.signing, "pkcs1-sha256", o.signing->der, o.signing->der_len, &l[1]);
	w[0].encryption_sig = s[0], w[0].encryption_sig_len = l[0];
	w[0].signing_sig = s[1], w[0].signing_sig_len = l[1];
	/* G1: signing cert signed by the owner; encryption sig over unknown bytes. */
	s[2] = kpw_sign(o.signing, "pkcs1-sha256", g1.signing->der, g1.signing->der_len, &l[2]);
	s[3] = kpw_sign(g1.signing, "pkcs1-sha256", other, strlen(other), &l[3]);
	w[1].signing_sig = s[2], w[1].signing_sig_len = l[2];
	w[1].encryption_sig = s[3], w[1].encryption_sig_len = l[3];
	/* G2: RSA-PSS; encryption verified, signing cert signed by the wrong key. */
	w[2].sig_alg = KPW_ALG_RSA_PSS_SHA256;
	s[4] = kpw_sign(g2.signing, "pss-sha256", g2.encryption->der, g2.encryption->der_len,
			&l[4]);
	s[5] = kpw_sign(g2.signing, "pss-sha256", g2.signing->der, g2.signing->der_len, &l[5]);
	w[2].encryption_sig = s[4], w[2].encryption_sig_len = l[4];
	w[2].signing_sig = s[5], w[2].signing_sig_len = l[5];
	/* G3: unknown algorithm URI; PKCS#1 v1.5 SHA-256 still recognised, PSS over other bytes. */
	w[3].sig_alg = "urn:example:unknown-signature";
	s[6] = kpw_sign(g3.signing, "pkcs1-sha256", g3.encryption->der, g3.encryption->der_len,
			&l[6]);
	s[7] = kpw_sign(o.signing, "pss-sha256", other, strlen(other), &l[7]);
	w[3].encryption_sig = s[6], w[3].encryption_sig_len = l[6];
	w[3].signing_sig = s[7], w[3].signing_sig_len = l[7];

	kpw_doc d = doc_of(w, 4, 1);
	size_t cl, gl;
	char *canon = kpw_wrappings_c14n(&d, &cl);
	uint8_t *gs = kpw_sign(o.signing, "pkcs1-sha256", canon, cl, &gl);
	d.guardian_sig = gs;
	d.guardian_sig_len = gl;
	hv_findings f = { 0 };
	kp_doc kp;

	ck_assert_int_eq(decode_doc(&d, &kp, &f), HV_OK);
	ck_assert_int_eq(kp.w[0].encryption_sig.status, KP_SIG_VERIFIED);
	ck_assert_str_eq(kp.w[0].encryption_sig.reason,
			 "RSA PKCS#1 v1.5 SHA-256 over the certificate DER");
	ck_assert_int_eq(kp.w[0].signing_sig.status, KP_SIG_VERIFIED);
	ck_assert_int_eq(kp.w[1].signing_sig.status, KP_SIG_VERIFIED);
	ck_assert_int_eq(kp.w[1].encryption_sig.status, KP_SIG_NOT_VERIFIABLE);
	ck_assert_ptr_nonnull(strstr(kp.w[1].encryption_sig.reason, "unknown form"));
	ck_assert_int_eq(kp.w[2].encryption_sig.status, KP_SIG_VERIFIED);
	ck_assert_ptr_nonnull(strstr(kp.w[2].encryption_sig.reason, "RSA-PSS"));
	ck_assert_int_eq(kp.w[2].signing_sig.status, KP_SIG_FAILED);
	ck_assert_int_eq(kp.w[3].encryption_sig.status, KP_SIG_VERIFIED);
	ck_assert_ptr_nonnull(strstr(kp.w[3].encryption_sig.reason, "not recognised"));
	ck_assert_int_eq(kp.w[3].signing_sig.status, KP_SIG_NOT_VERIFIABLE);
	ck_assert_str_eq(kp.w[3].signing_sig.reason, "algorithm URI not recognised");
	ck_assert_int_eq(kp.guardian_sig.status, KP_SIG_VERIFIED);
	ck_assert_ptr_nonnull(strstr(kp.guardian_sig.reason, "exclusive C14N"));
	kp_free(&kp);

	/* The same guardian signature no longer verifies once a wrapping changes. */
	w[3].transport_alg = "urn:example:changed";
	ck_assert_int_eq(decode_doc(&d, &kp, &f), HV_OK);
	ck_assert_int_eq(kp.guardian_sig.status, KP_SIG_NOT_VERIFIABLE);
	kp_free(&kp);
	/* A PSS signature by another key fails the structure check. */
	w[2].encryption_sig = s[7], w[2].encryption_sig_len = l[7];
	ck_assert_int_eq(decode_doc(&d, &kp, &f), HV_OK);
	ck_assert_int_eq(kp.w[2].encryption_sig.status, KP_SIG_FAILED);
	kp_free(&kp);
	/* PSS by the right key over other bytes is well formed: not verifiable. */
	size_t l9;
	uint8_t *s9 = kpw_sign(g2.signing, "pss-sha256", other, strlen(other), &l9);
	w[2].encryption_sig = s9, w[2].encryption_sig_len = l9;
	ck_assert_int_eq(decode_doc(&d, &kp, &f), HV_OK);
	ck_assert_int_eq(kp.w[2].encryption_sig.status, KP_SIG_NOT_VERIFIABLE);
	kp_free(&kp);
	free(s9);

	for (int i = 0; i < 8; i++)
		free(s[i]);
	free(gs);
	free(canon);
	findings_free(&f);
	kpw_guardian_free(&o);
	kpw_guardian_free(&g1);
	kpw_guardian_free(&g2);
	kpw_guardian_free(&g3);
}
END_TEST

START_TEST(base64_decoder)
{
	uint8_t *b;
	size_t n;

	ck_assert(hv_base64_decode("TWFu", 4, 16, 0, &b, &n, NULL));
	ck_assert_uint_eq(n, 3);
	ck_assert_int_eq(memcmp(b, "Man", 3), 0);
	free(b);
	ck_assert(hv_base64_decode(" TW\r\nE= ", 8, 16, 0, &b, &n, NULL));
	ck_assert_uint_eq(n, 2);
	free(b);
	ck_assert(hv_base64_decode("TQ", 2, 16, 0, &b, &n, NULL));
	ck_assert_uint_eq(n, 1);
	ck_assert_int_eq(b[0], 'M');
	free(b);
	ck_assert(!hv_base64_decode("TQ=a", 4, 16, 0, NULL, &n, NULL));
	ck_assert(!hv_base64_decode("T", 1, 16, 0, NULL, &n, NULL));
	ck_assert(!hv_base64_decode("TWFu=", 5, 16, 0, NULL, &n, NULL));
	ck_assert(!hv_base64_decode("TW-u", 4, 16, 0, NULL, &n, NULL));
	ck_assert(!hv_base64_decode("TWFuTWFu", 8, 5, 0, NULL, &n, NULL));
	ck_assert(hv_base64_decode("", 0, 16, 0, NULL, &n, NULL));
	ck_assert_uint_eq(n, 0);
}
END_TEST

/* Places bytes at off inside buf. */
static void put(uint8_t *buf, size_t off, const void *p, size_t n)
{
	memcpy(buf + off, p, n);
}

START_TEST(carving_in_random_bytes)
{
	enum { BUF = 200000, A = 1001, B = 50003, C = 120007, D = 150001 };
	kpw_guardian o = kpw_guardian_new("UntrustedGuardian", "HV1", TEST_DAYS);
	kpw_wrapping w = kpw_wrapping_for(&o, 1, 1);
	kpw_doc d = doc_of(&w, 1, 1);
	uint8_t *buf = xmalloc(BUF);
	size_t xl, dl, n16, pl;
	char tp[41];

	kpw_seed(7);
	kpw_random(buf, BUF);
	thumbprint(o.signing, tp);
	d.declaration = true;
	char *xml_decl = kpw_xml(&d, &dl);
	d.declaration = false;
	char *xml = kpw_xml(&d, &xl);
	/* A: UTF-8 with BOM and declaration, no prefix. */
	uint8_t *a = kpw_save(xml_decl, dl, KPW_FORM_XML_UTF8_BOM, &n16);
	put(buf, A, a, n16);
	size_t a_len = n16;
	free(a);
	/* B: UTF-16LE with BOM, declaration, length prefix. */
	uint8_t *u16 = kpw_save(xml_decl, dl, KPW_FORM_XML_UTF16, &n16);
	uint8_t *b = kpw_frame(u16, n16, &pl);
	put(buf, B, b, pl);
	size_t b_len = pl;
	free(b);
	free(u16);
	/* C: UTF-8 without BOM, length prefix. */
	uint8_t *c = kpw_frame(xml, xl, &pl);
	put(buf, C, c, pl);
	free(c);
	/* D: UTF-16LE without BOM or prefix. */
	size_t nd;
	uint8_t *d16 = utf8_to_utf16le(xml, &nd);
	put(buf, D, d16, nd);
	free(d16);

	hv_findings f = { 0 };
	kp_carve_result r;
	ck_assert_int_eq(kp_carve(span_make(buf, BUF), "dump.bin", &r, &f), HV_OK);
	ck_assert_uint_eq(r.n, 4);
	static const uint64_t offs[4] = { A, B, C, D };
	static const kp_carve_enc encs[4] = { KP_CARVE_UTF8, KP_CARVE_UTF16LE, KP_CARVE_UTF8,
					      KP_CARVE_UTF16LE };
	static const bool boms[4] = { true, true, false, false };
	static const bool prefixes[4] = { false, true, true, false };
	for (int i = 0; i < 4; i++) {
		const kp_carve_hit *h = &r.v[i];
		ck_assert_msg(h->offset == offs[i], "hit %d at %" PRIu64, i, h->offset);
		ck_assert_int_eq(h->enc, encs[i]);
		ck_assert_int_eq(h->bom, boms[i]);
		ck_assert_int_eq(h->length_prefix, prefixes[i]);
		ck_assert_int_eq(h->result, HV_OK);
		ck_assert_int_eq(h->doc.owner, 0);
		ck_assert_str_eq(h->doc.w[0].signing.thumbprint, tp);
	}
	ck_assert(r.v[0].declaration && r.v[1].declaration && !r.v[2].declaration);
	ck_assert_uint_eq(r.v[0].length, a_len);
	ck_assert_uint_eq(r.v[1].length, b_len);
	ck_assert_uint_eq(r.v[2].length, xl + 4);
	ck_assert_uint_eq(r.v[3].length, nd);
	ck_assert_uint_eq(r.v[0].xml_offset, A + 3 + 40);
	json_object *j = kp_carve_report_json(&r, time(NULL));
	json_object *v;
	ck_assert(json_object_object_get_ex(j, "heuristic", &v) && json_object_get_boolean(v));
	json_object_put(j);
	kp_carve_free(&r);
	findings_free(&f);

	/* A start tag whose end was cut off is skipped, the next document still found. */
	memset(buf + C + 4 + xl - 12, 'x', 12);
	ck_assert_int_eq(kp_carve(span_make(buf, BUF), "dump.bin", &r, &f), HV_OK);
	ck_assert_uint_eq(r.n, 3);
	ck_assert_uint_eq(r.v[2].offset, D);
	ck_assert_uint_eq(r.skipped, 1);
	kp_carve_free(&r);
	findings_free(&f);

	free(xml);
	free(xml_decl);
	free(buf);
	kpw_guardian_free(&o);
}
END_TEST

START_TEST(carving_is_linear)
{
	/* 4 MiB of start tags without any end: each byte is searched once. */
	static const char tag[] = "<Protector a ";
	size_t n = 4u * 1024 * 1024, k = strlen(tag);
	char *buf = xmalloc(n);
	for (size_t i = 0; i < n; i++)
		buf[i] = tag[i % k];
	/* Close tags in both encodings scattered far apart, none preceded by a start. */
	hv_findings f = { 0 };
	kp_carve_result r;
	clock_t t0 = clock();
	ck_assert_int_eq(kp_carve(span_make(buf, n), "tags", &r, &f), HV_OK);
	double secs = (double)(clock() - t0) / CLOCKS_PER_SEC;
	ck_assert_uint_eq(r.n, 0);
	ck_assert_uint_eq(r.candidates, n / k);
	ck_assert_msg(secs < 20, "carving took %.1f s", secs);
	kp_carve_free(&r);
	findings_free(&f);

	/* Many complete but tiny documents: capped number of hits. */
	static const char tiny[] = "<Protector xmlns=\"" KPW_NS "\"></Protector>";
	size_t tl = strlen(tiny), count = KP_CARVE_MAX_HITS + 10;
	char *many = xmalloc(tl * count);
	for (size_t i = 0; i < count; i++)
		memcpy(many + i * tl, tiny, tl);
	ck_assert_int_eq(kp_carve(span_make(many, tl * count), "tiny", &r, &f), HV_OK);
	ck_assert_uint_eq(r.n, KP_CARVE_MAX_HITS);
	ck_assert_uint_eq(r.skipped, 10);
	ck_assert_int_eq(r.v[0].result, HV_OK);
	kp_carve_free(&r);
	findings_free(&f);
	free(many);
	free(buf);
}
END_TEST

static char *metadata_xml(const char *ns, const kpw_guardian *g, const char *name_attr)
{
	strbuf sb = STRBUF_INIT;
	char *enc = kpw_base64(g->encryption->der, g->encryption->der_len);
	char *sig = kpw_base64(g->signing->der, g->signing->der_len);

	sb_addf(&sb, "<?xml version=\"1.0\" encoding=\"utf-8\"?>\r\n<Metadata xmlns=\"%s\" "
		     "Version=\"1\"%s%s%s><GuardianInformation><Version>2</Version>"
		     "<EncryptionCertificate>%s</EncryptionCertificate>\r\n"
		     "<SigningCertificate>\r\n%s\r\n</SigningCertificate>"
		     "<EncryptionCertificateSignature><Signature Algorithm=\"" KPW_ALG_RSA_SHA256
		     "\"><SignatureValue>AAAA</SignatureValue></Signature>"
		     "</EncryptionCertificateSignature><SigningCertificateSelfSignature>"
		     "<Signature Algorithm=\"" KPW_ALG_RSA_SHA256 "\"><SignatureValue>AAAA"
		     "</SignatureValue></Signature></SigningCertificateSelfSignature>"
		     "</GuardianInformation><ds:Signature xmlns:ds=\"http://www.w3.org/2000/09/"
		     "xmldsig#\"/></Metadata>\r\n", ns, name_attr ? " Name=\"" : "",
		name_attr ? name_attr : "", name_attr ? "\"" : "", enc, sig);
	free(enc);
	free(sig);
	return sb_detach(&sb);
}

START_TEST(guardian_metadata)
{
	kpw_guardian g = kpw_guardian_new("HGS Lab", "hgs01", TEST_DAYS);
	char *xml = metadata_xml(KPW_NS, &g, NULL);
	hv_findings f = { 0 };
	guardian_doc gd;
	char tp[41];

	ck_assert_int_eq(guardian_decode(span_make(xml, strlen(xml)), "m.xml", &gd, &f), HV_OK);
	ck_assert(gd.is_metadata);
	ck_assert_str_eq(gd.root, "Metadata");
	ck_assert_str_eq(gd.ns, KPW_NS);
	ck_assert_str_eq(gd.version, "1");
	ck_assert_ptr_null(gd.name);
	ck_assert_uint_eq(gd.ncerts, 2);
	ck_assert_str_eq(gd.certs[0].element, "EncryptionCertificate");
	ck_assert_str_eq(gd.certs[1].element, "SigningCertificate");
	thumbprint(g.encryption, tp);
	ck_assert_str_eq(gd.certs[0].cert.thumbprint, tp);
	ck_assert_str_eq(gd.certs[1].cert.guardian, "HGS Lab");
	ck_assert_uint_eq(f.n, 0);
	json_object *j = guardian_report_json(&gd, time(NULL));
	json_object *v;
	ck_assert(json_object_object_get_ex(j, "certificates", &v));
	ck_assert_uint_eq(json_object_array_length(v), 2);
	json_object_put(j);
	guardian_free(&gd);

	/* Same file as UTF-16LE with BOM (the parser follows the BOM). */
	size_t n;
	uint8_t *u16 = kpw_save(xml, strlen(xml), KPW_FORM_XML_UTF16, &n);
	ck_assert_int_eq(guardian_decode(span_make(u16, n), "m16.xml", &gd, &f), HV_OK);
	ck_assert_uint_eq(gd.ncerts, 2);
	guardian_free(&gd);
	free(u16);
	free(xml);

	/* Another namespace and a Name attribute: recorded, not required. */
	xml = metadata_xml("urn:example:guardian", &g, "Fabric A");
	ck_assert_int_eq(guardian_decode(span_make(xml, strlen(xml)), "m2.xml", &gd, &f), HV_OK);
	ck_assert_str_eq(gd.ns, "urn:example:guardian");
	ck_assert_str_eq(gd.name, "Fabric A");
	guardian_free(&gd);
	free(xml);
	findings_free(&f);
	kpw_guardian_free(&g);
}
END_TEST

START_TEST(guardian_liberal_and_refused)
{
	kpw_guardian g = kpw_guardian_new("G", "H", TEST_DAYS);
	char *enc = kpw_base64(g.encryption->der, g.encryption->der_len);
	char *sig = kpw_base64(g.signing->der, g.signing->der_len);
	strbuf sb = STRBUF_INIT;
	hv_findings f = { 0 };
	guardian_doc gd;

	sb_addf(&sb, "<List><GuardianName>lab</GuardianName><Item>%s</Item><Other><Blob>%s</Blob>"
		     "</Other><EncryptionCertificate>@@@</EncryptionCertificate></List>", enc, sig);
	ck_assert_int_eq(guardian_decode(span_make(sb.buf, sb.len), "l.xml", &gd, &f), HV_OK);
	ck_assert(!gd.is_metadata);
	ck_assert_ptr_null(gd.ns);
	ck_assert_str_eq(gd.name, "lab");
	ck_assert_uint_eq(gd.ncerts, 2);
	ck_assert_str_eq(gd.certs[1].element, "Blob");
	ck_assert(has_finding(&f, "liberal reading"));
	ck_assert(has_finding(&f, "<EncryptionCertificate> (line 1) is not base64"));
	guardian_free(&gd);
	findings_free(&f);
	sb_free(&sb);

	static const char none[] = "<Metadata><GuardianInformation/></Metadata>";
	ck_assert_int_eq(guardian_decode(span_make(none, strlen(none)), "n.xml", &gd, &f),
			 HV_ERR_FORMAT);
	/* A key protector is not guardian metadata, although it holds certificates. */
	kpw_wrapping w = kpw_wrapping_for(&g, 1, 1);
	kpw_doc d = doc_of(&w, 1, 1);
	size_t xl;
	char *xml = kpw_xml(&d, &xl);
	ck_assert_int_eq(guardian_decode(span_make(xml, xl), "kp.xml", &gd, &f), HV_ERR_FORMAT);
	ck_assert(has_finding(&f, "is a key protector"));
	free(xml);
	static const char junk[] = "not xml at all";
	ck_assert_int_eq(guardian_decode(span_make(junk, strlen(junk)), "j.xml", &gd, &f),
			 HV_ERR_FORMAT);
	findings_free(&f);
	free(enc);
	free(sig);
	kpw_guardian_free(&g);
}
END_TEST

/* kp_input_normalize on a copy of text; the result code, findings in f. */
static hv_err norm_text(const char *t, size_t n, hv_findings *f)
{
	kp_input in;
	hv_err e = kp_input_normalize(span_make(t, n), "d", &in, f);

	if (e == HV_OK)
		kp_input_free(&in);
	return e;
}

/* s with the text from `from` up to `to` (exclusive) replaced by rep. */
static char *splice(const char *s, const char *from, const char *to, const char *rep)
{
	strbuf sb = STRBUF_INIT;

	sb_add(&sb, s, (size_t)(from - s));
	sb_adds(&sb, rep);
	sb_adds(&sb, to);
	return sb_detach(&sb);
}

START_TEST(damaged_forms_are_corrupt)
{
	kpw_guardian o = kpw_guardian_new("G", "H", TEST_DAYS);
	kpw_wrapping w = kpw_wrapping_for(&o, 1, 1);
	kpw_doc d = doc_of(&w, 1, 1);
	size_t xl, n;
	char *xml = kpw_xml(&d, &xl);
	hv_findings f = { 0 };
	kp_doc kp;

	/* Decimal lines: the fifth value 999, then a word on line 3. */
	char *dec = (char *)kpw_save(xml, xl, KPW_FORM_OUTFILE_UTF8_LF, &n);
	dec = xrealloc(dec, n + 1);
	dec[n] = '\0';
	const char *line5 = dec;
	for (int i = 0; i < 4; i++)
		line5 = strchr(line5, '\n') + 1;
	char *bad = splice(dec, line5, strchr(line5, '\n'), "999");
	ck_assert_int_eq(norm_text(bad, strlen(bad), &f), HV_ERR_CORRUPT);
	ck_assert(has_finding(&f, "line 5 is not a number 0..255"));
	findings_free(&f);
	free(bad);
	const char *line3 = strchr(strchr(dec, '\n') + 1, '\n') + 1;
	bad = splice(dec, line3, strchr(line3, '\n'), "abc");
	ck_assert_int_eq(norm_text(bad, strlen(bad), &f), HV_ERR_CORRUPT);
	ck_assert(has_finding(&f, "line 3"));
	findings_free(&f);
	free(bad);
	free(dec);

	/* base64: cut short, then a foreign character. */
	char *b64 = (char *)kpw_save(xml, xl, KPW_FORM_BASE64, &n);
	ck_assert_int_eq(norm_text(b64, 501, &f), HV_ERR_CORRUPT);
	ck_assert(has_finding(&f, "does not decode"));
	findings_free(&f);
	b64[100] = '*';
	ck_assert_int_eq(norm_text(b64, n, &f), HV_ERR_CORRUPT);
	ck_assert(has_finding(&f, "character 100 (0x2A) is not base64"));
	ck_assert_uint_eq(f.v[0].offset, 100);
	findings_free(&f);
	free(b64);

	/* CIM-XML: cut in half, then a negative value in the KeyProtector array. */
	char *cim = (char *)kpw_save(xml, xl, KPW_FORM_CIM_ARRAY, &n);
	cim = xrealloc(cim, n + 1);
	cim[n] = '\0';
	ck_assert_int_eq(norm_text(cim, n / 2, &f), HV_ERR_CORRUPT);
	ck_assert(has_finding(&f, "CIM-XML document with byte arrays is damaged"));
	findings_free(&f);
	const char *v = strstr(strstr(cim, "<VALUE.ARRAY"), "<VALUE>") + strlen("<VALUE>");
	bad = splice(cim, v, v, "-");
	ck_assert_int_eq(norm_text(bad, strlen(bad), &f), HV_ERR_CORRUPT);
	ck_assert(has_finding(&f, "not bytes 0..255"));
	findings_free(&f);
	free(bad);
	free(cim);

	/* A length prefix of 9 in front of the whole document. */
	uint8_t *oct = kpw_save(xml, xl, KPW_FORM_OCTET_STRING, &n);
	oct[0] = oct[1] = oct[2] = 0;
	oct[3] = 9;
	ck_assert_int_eq(norm_text((const char *)oct, n, &f), HV_ERR_CORRUPT);
	ck_assert(has_finding(&f, "length prefix 9 ends inside"));
	findings_free(&f);
	free(oct);

	/* kp_decode: a UTF-16LE Protector cut in half; a declaration and a cut root. */
	uint8_t *u16 = kpw_save(xml, xl, KPW_FORM_XML_UTF16, &n);
	ck_assert_int_eq(kp_decode(span_make(u16, n / 2 & ~(size_t)1), "u", 0, &kp, &f),
			 HV_ERR_CORRUPT);
	free(u16);
	static const char cut[] = "<?xml version=\"1.0\"?>\n<!-- saved -->\n<kps:Protector x";
	ck_assert_int_eq(kp_decode(span_make(cut, strlen(cut)), "c", 0, &kp, &f),
			 HV_ERR_CORRUPT);
	findings_free(&f);
	free(xml);
	kpw_guardian_free(&o);
}
END_TEST

/* Every reader says "not mine" (HV_ERR_FORMAT) for bytes that are no KP or metadata. */
static void assert_foreign(const void *p, size_t n, const char *what)
{
	hv_findings f = { 0 };
	kp_doc kp;
	guardian_doc g;

	ck_assert_msg(norm_text(p, n, &f) == HV_ERR_FORMAT, "normalize: %s", what);
	ck_assert_msg(kp_decode(span_make(p, n), "x", 0, &kp, &f) == HV_ERR_FORMAT,
		      "kp_decode: %s", what);
	ck_assert_msg(!guardian_sniff(span_make(p, n)), "sniff: %s", what);
	ck_assert_msg(guardian_decode(span_make(p, n), "x", &g, &f) == HV_ERR_FORMAT,
		      "guardian_decode: %s", what);
	findings_free(&f);
}

START_TEST(foreign_bytes_stay_format)
{
	uint8_t rnd[4096];
	kpw_seed(7);
	kpw_random(rnd, sizeof(rnd));
	assert_foreign(rnd, sizeof(rnd), "random bytes");

	kpw_guardian o = kpw_guardian_new("G", "H", TEST_DAYS);
	PKCS12 *p12 = PKCS12_create("pw", "x", o.encryption->key, o.encryption->x509, NULL, 0, 0,
				    0, 0, 0);
	ck_assert_ptr_nonnull(p12);
	unsigned char *der = NULL;
	int dl = i2d_PKCS12(p12, &der);
	ck_assert_int_gt(dl, 0);
	assert_foreign(der, (size_t)dl, "a PFX");
	OPENSSL_free(der);
	PKCS12_free(p12);
	kpw_guardian_free(&o);

	static const char *const texts[] = {
		"<?xml version=\"1.0\"?>\n<configuration>\n<properties><name type=\"string\">vm"
		"</name></properties>\n<settings><global_id type=\"string\">x</global_id>"
		"</settings>\n</configuration>\n",
		"<html><body><p>not closed</body>",
		"<?xml version=\"1.0\"?><!DOCTYPE html><html/>",
		"The quick brown fox jumps over the lazy dog, again and again and again.\n",
		"9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08  disk.vhdx\n",
		"1000\n2000\n3000\n4000\n5000\n6000\n7000\n8000\n9000\n10000\n",
		"1\n2\nabc\n",
		"-----BEGIN CERTIFICATE-----\nMIIBkTCB+wIJAKHBfpegPjMCMA0GCSqGSIb3DQEBCwUAMA0xCzAJBgNVBAMMAmNh"
		"MB4XDTIw\n-----END CERTIFICATE-----\n",
	};
	for (size_t i = 0; i < sizeof(texts) / sizeof(texts[0]); i++)
		assert_foreign(texts[i], strlen(texts[i]), texts[i]);
}
END_TEST

START_TEST(guardian_damaged_is_corrupt)
{
	kpw_guardian g = kpw_guardian_new("HGS Lab", "hgs01", TEST_DAYS);
	char *xml = metadata_xml(KPW_NS, &g, NULL);
	size_t n = strlen(xml);
	hv_findings f = { 0 };
	guardian_doc gd;

	ck_assert(guardian_sniff(span_make(xml, n)));
	ck_assert_int_eq(guardian_decode(span_make(xml, n / 2), "t.xml", &gd, &f),
			 HV_ERR_CORRUPT);
	ck_assert(has_finding(&f, "guardian metadata XML is damaged"));
	findings_free(&f);

	char *dtd = splice(xml, xml, strstr(xml, "<Metadata"),
			   "<?xml version=\"1.0\"?>\n<!DOCTYPE Metadata [<!ENTITY x SYSTEM "
			   "\"file:///etc/passwd\">]>\n");
	ck_assert(guardian_sniff(span_make(dtd, strlen(dtd))));
	ck_assert_int_eq(guardian_decode(span_make(dtd, strlen(dtd)), "x.xml", &gd, &f),
			 HV_ERR_CORRUPT);
	findings_free(&f);
	free(dtd);

	const char *end = strstr(xml, "</Metadata>") + strlen("</Metadata>");
	char *two = splice(xml, end, end, "<Metadata/>");
	ck_assert_int_eq(guardian_decode(span_make(two, strlen(two)), "2.xml", &gd, &f),
			 HV_ERR_CORRUPT);
	findings_free(&f);
	free(two);

	size_t un;
	uint8_t *u16 = kpw_save(xml, n, KPW_FORM_XML_UTF16, &un);
	ck_assert(guardian_sniff(span_make(u16, un)));
	ck_assert(guardian_sniff(span_make(u16 + 2, un - 2)));   /* no BOM */
	ck_assert_int_eq(guardian_decode(span_make(u16, un / 2 & ~(size_t)1), "u.xml", &gd, &f),
			 HV_ERR_CORRUPT);
	findings_free(&f);
	free(u16);

	static const char info[] = "\xEF\xBB\xBF<!-- x --><g:GuardianInformation xmlns:g=\"u\">";
	ck_assert(guardian_sniff(span_make(info, strlen(info))));
	static const char other[] = "<Other><Metadata/></Other>";
	ck_assert(!guardian_sniff(span_make(other, strlen(other))));
	ck_assert(!guardian_sniff(span_make(other, 0)));
	static const char broken[] = "<Other><Metadata>";
	ck_assert_int_eq(guardian_decode(span_make(broken, strlen(broken)), "o.xml", &gd, &f),
			 HV_ERR_FORMAT);
	findings_free(&f);
	free(xml);
	kpw_guardian_free(&g);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("kp");
	TCase *tc = tcase_create("core");
	tcase_set_timeout(tc, 240);
	tcase_add_test(tc, owner_only);
	tcase_add_test(tc, owner_and_two_hgs_guardians);
	tcase_add_test(tc, structure_deviations_are_findings);
	tcase_add_test(tc, lkg_differs);
	tcase_add_test(tc, every_saved_form_gives_the_same_owner);
	tcase_add_test(tc, no_key_protector);
	tcase_add_test(tc, rejected_inputs);
	tcase_add_test(tc, length_prefix_disagrees);
	tcase_add_test(tc, truncated_and_foreign_documents);
	tcase_add_test(tc, hostile_xml_is_refused);
	tcase_add_test(tc, attribute_flood_refused_before_parsing);
	tcase_add_test(tc, unreadable_certificates);
	tcase_add_test(tc, many_wrappings_are_bounded);
	tcase_add_test(tc, signatures_verified_failed_not_verifiable);
	tcase_add_test(tc, base64_decoder);
	tcase_add_test(tc, carving_in_random_bytes);
	tcase_add_test(tc, carving_is_linear);
	tcase_add_test(tc, guardian_metadata);
	tcase_add_test(tc, guardian_liberal_and_refused);
	tcase_add_test(tc, damaged_forms_are_corrupt);
	tcase_add_test(tc, foreign_bytes_stay_format);
	tcase_add_test(tc, guardian_damaged_is_corrupt);
	suite_add_tcase(s, tc);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
