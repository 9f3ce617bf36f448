/* test_util.c - the shared utility layer: cursor, CRCs, text, findings. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "support/testutil.h"
#include "util/base64.h"
#include "util/bytes.h"
#include "util/crc.h"
#include "util/diag.h"
#include "util/fileio.h"
#include "util/hashidx.h"
#include "util/lines.h"
#include "util/segvec.h"
#include "util/strbuf.h"
#include "util/strmap.h"
#include "util/text.h"
#include "util/xalloc.h"

START_TEST(span_reads_are_bounded)
{
	uint8_t b[8] = { 1, 2, 3, 4, 5, 6, 7, 8 };
	span_t s = span_make(b, sizeof b);
	uint32_t v;
	uint64_t w;
	ck_assert(span_u32le(s, 4, &v));
	ck_assert_uint_eq(v, 0x08070605);
	ck_assert(!span_u32le(s, 5, &v));
	ck_assert(!span_u64le(s, 1, &w));
	ck_assert(!span_u32le(s, UINT64_MAX - 1, &v));
	ck_assert(span_u32be(s, 0, &v));
	ck_assert_uint_eq(v, 0x01020304);
	span_t sub;
	ck_assert(!span_sub(s, 4, 5, &sub));
	ck_assert(span_sub(s, 8, 0, &sub));
}
END_TEST

START_TEST(cursor_error_is_sticky)
{
	uint8_t b[5] = { 0xAA, 1, 0, 0, 0 };
	cursor_t c = cursor_at(span_make(b, sizeof b), 0);
	ck_assert_uint_eq(cur_u8(&c), 0xAA);
	ck_assert_uint_eq(cur_u32le(&c), 1);
	ck_assert(!c.err);
	ck_assert_uint_eq(cur_u8(&c), 0);
	ck_assert(c.err);
	c.pos = 0;
	ck_assert_uint_eq(cur_u8(&c), 0); /* still failing */
}
END_TEST

START_TEST(crc_sanity_values)
{
	uint8_t z[18] = { 0 };
	ck_assert_uint_eq(hv_crc32(z, sizeof z), 0x671BCF4D); /* value from the format notes */
	ck_assert_uint_eq(hv_crc32("123456789", 9), 0xCBF43926);
	ck_assert_uint_eq(hv_crc32c("123456789", 9), 0xE3069283);
	uint8_t b[12] = { 'a', 'b', 0xFF, 0xFF, 0xFF, 0xFF, 'c' };
	uint8_t c[12] = { 'a', 'b', 0, 0, 0, 0, 'c' };
	ck_assert_uint_eq(hv_crc32_zeroed(b, 12, 2, 4), hv_crc32(c, 12));
	ck_assert_uint_eq(hv_crc32c_zeroed(b, 12, 2, 4), hv_crc32c(c, 12));
	ck_assert_uint_ne(hv_crc32_zeroed(b, 12, 10, 4), hv_crc32(b, 12));
}
END_TEST

START_TEST(utf16_round_trip_and_bad_surrogates)
{
	size_t n;
	uint8_t *u = utf8_to_utf16le("Other Location \xe2\x82\xac\xf0\x9f\x98\x80", &n);
	char *s = utf16le_to_utf8(u, n);
	ck_assert_str_eq(s, "Other Location \xe2\x82\xac\xf0\x9f\x98\x80");
	free(s);
	free(u);
	uint8_t bad[6] = { 0x00, 0xD8, 'A', 0, 0, 0 }; /* lone high surrogate, trailing NUL */
	s = utf16le_to_utf8(bad, sizeof bad);
	ck_assert_str_eq(s, "\xef\xbf\xbd" "A");
	free(s);
	ck_assert(utf8_valid("abc", 3));
	ck_assert(!utf8_valid("\xc0\x80", 2));
	ck_assert(!utf8_valid("\xed\xa0\x80", 3));
}
END_TEST

START_TEST(guid_mixed_endian)
{
	const uint8_t g[16] = { 0x66, 0x77, 0xc2, 0x2d, 0x23, 0xf6, 0x00, 0x42,
				0x9d, 0x64, 0x11, 0x5e, 0x9b, 0xfd, 0x4a, 0x08 };
	char s[37];
	guid_format(g, s);
	ck_assert_str_eq(s, "2DC27766-F623-4200-9D64-115E9BFD4A08");
	uint8_t back[16];
	ck_assert(guid_parse("{2dc27766-f623-4200-9d64-115e9bfd4a08}", back));
	ck_assert_mem_eq(back, g, 16);
	ck_assert(guid_str_eq("2DC27766-F623-4200-9D64-115E9BFD4A08",
			      "{2dc27766-f623-4200-9d64-115e9bfd4a08}"));
	ck_assert(!guid_parse("2DC27766-F623-4200-9D64-115E9BFD4A0", back));
	ck_assert(!guid_parse("2DC27766xF623-4200-9D64-115E9BFD4A08", back));
}
END_TEST

START_TEST(times_render_and_parse)
{
	char s[32];
	/* 2021-08-22T21:41:00.717226Z, the creation time of a corpus VM. */
	ck_assert(filetime_to_iso(132741420607172260ull, s));
	ck_assert_str_eq(s, "2021-08-22T21:41:00.717226Z");
	ck_assert(!filetime_to_iso(0, s));
	time_t t;
	ck_assert(iso_parse("2026-10-01", &t));
	time_to_iso(t, s);
	ck_assert_str_eq(s, "2026-10-01T00:00:00Z");
	ck_assert(iso_parse("2026-10-01T12:30:00+02:00", &t));
	time_to_iso(t, s);
	ck_assert_str_eq(s, "2026-10-01T10:30:00Z");
	ck_assert(!iso_parse("2026-13-01", &t));
	ck_assert(!iso_parse("yesterday", &t));
	ck_assert(!iso_parse("2026-10-01T10:30:00Zjunk", &t));
}
END_TEST

START_TEST(impossible_dates_are_refused)
{
	/* Reported: --at 2026-02-30 became 2026-03-02, +99:00 was accepted. */
	static const char *const bad[] = {
		"2026-02-30", "2026-02-29", "1900-02-29", "2100-02-29", "2026-04-31",
		"2026-06-31", "2026-09-31", "2026-11-31", "2026-01-32", "2026-00-10",
		"2026-10-00", "2026-10-01T24:00", "2026-10-01T23:60", "2026-10-01T23:59:60",
		"2026-10-01T12:00:00+99:00", "2026-10-01T12:00:00+14:01",
		"2026-10-01T12:00:00-14:30", "2026-10-01T12:00:00+05:60",
		"2026-10-01T12:00:00+0560", "2026-10-01T12:00:00+5", "2026-10-01T12:00:00.",
		"2026-10-01T12:00:00.5x", "2026-10-01 ", "2026-10-01T", "2026-10-01T12",
		"2026-10-01T12:00:00Z ", "2026-10-01junk", "2026-2-01", "+2026-10-01", "",
	};
	static const struct {
		const char *in, *utc;
	} good[] = {
		{ "2024-02-29", "2024-02-29T00:00:00Z" },
		{ "2000-02-29T23:59:59Z", "2000-02-29T23:59:59Z" },
		{ "2026-12-31T23:59:59.999", "2026-12-31T23:59:59Z" },
		{ "2026-10-01T00:30:00+14:00", "2026-09-30T10:30:00Z" },
		{ "2026-10-01T00:30:00-1200", "2026-10-01T12:30:00Z" },
		{ "2026-10-01 08:15", "2026-10-01T08:15:00Z" },
		{ "2026-04-30T12:00:00-14:00", "2026-05-01T02:00:00Z" },
	};
	time_t t;
	char s[32];

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		ck_assert_msg(!iso_parse(bad[i], &t), "'%s' accepted", bad[i]);
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		ck_assert_msg(iso_parse(good[i].in, &t), "'%s' refused", good[i].in);
		time_to_iso(t, s);
		ck_assert_str_eq(s, good[i].utc);
	}
}
END_TEST

START_TEST(findings_are_one_line_with_offset)
{
	hv_findings f = { 0 };
	findings_add(&f, HV_SEV_WARN, "a.vmcx", 0x1000, "bad CRC\nsecond line");
	findings_add(&f, HV_SEV_ERROR, NULL, HV_NO_OFFSET, "plain");
	ck_assert_uint_eq(findings_count(&f, HV_SEV_WARN), 2);
	ck_assert_uint_eq(findings_count(&f, HV_SEV_ERROR), 1);
	char *l = finding_format(&f.v[0]);
	ck_assert_str_eq(l, "a.vmcx: offset 0x1000: bad CRC second line");
	free(l);
	findings_free(&f);
}
END_TEST

START_TEST(file_load_hashes_and_caps)
{
	char *d = tu_mkdtemp();
	char *p = tu_join(d, "f.bin");
	tu_write(p, "abc", 3);
	hv_blob b;
	hv_findings f = { 0 };
	ck_assert_int_eq(hv_file_load(p, 1024, 0, &b, &f), HV_OK);
	ck_assert_uint_eq(b.len, 3);
	ck_assert_str_eq(b.sha256_hex,
			 "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
	hv_blob_free(&b);
	ck_assert_int_eq(hv_file_load(p, 2, 0, &b, &f), HV_ERR_LIMIT);
	ck_assert_int_eq(hv_file_load(d, 1024, 0, &b, &f), HV_ERR_IO);
	char *l = tu_join(d, "link");
	ck_assert_int_eq(symlink(p, l), 0);
	ck_assert_int_eq(hv_file_load(l, 1024, HV_OPEN_NOFOLLOW, &b, &f), HV_ERR_IO);
	ck_assert_int_eq(hv_file_load(l, 1024, 0, &b, &f), HV_OK);
	hv_blob_free(&b);
	findings_free(&f);
	tu_rmtree(d);
	free(l);
	free(p);
	free(d);
}
END_TEST

START_TEST(strbuf_grows)
{
	strbuf sb = STRBUF_INIT;
	ck_assert_str_eq(sb_str(&sb), "");
	for (int i = 0; i < 1000; i++)
		sb_addf(&sb, "%d,", i);
	ck_assert_uint_eq(strlen(sb_str(&sb)), sb.len);
	ck_assert(strncmp(sb_str(&sb), "0,1,2,", 6) == 0);
	sb_free(&sb);
}
END_TEST

/*
 * Values shared by one hash come back in the order added, across growth
 * and across a probe run that wraps past the end of the table.
 */
/* Arrays grow from any capacity, a capacity of 1 included (it once looped for ever). */
START_TEST(xgrow_grows_from_any_capacity)
{
	for (size_t start = 0; start < 4; start++) {
		size_t cap = start;
		char *p = start ? xcalloc(start, 1) : NULL;
		for (size_t need = 1; need < 5000; need++) {
			p = xgrow(p, &cap, need, 1);
			ck_assert_uint_ge(cap, need);
			p[need - 1] = 'x';
		}
		ck_assert_uint_lt(cap, 5000 * 2); /* by half again, not more than double */
		free(p);
	}
}
END_TEST

START_TEST(hashidx_keeps_order_per_hash)
{
	hashidx m = HASHIDX_INIT;
	size_t pos = 0;
	ck_assert_uint_eq(hashidx_next(&m, 7, &pos), SIZE_MAX);
	/* hashes 1023 and 2047 land in the last slot of a 1024-slot table and wrap */
	const uint64_t hs[] = { 1023, 2047, 1023, 5, 2047, 1023 };
	for (size_t i = 0; i < 6; i++)
		hashidx_add(&m, hs[i], i);
	for (size_t i = 0; i < 5000; i++) /* several doublings */
		hashidx_add(&m, hashidx_str("filler") + i * 7919, 100 + i);
	hashidx_add(&m, 1023, 9000);
	const size_t want1023[] = { 0, 2, 5, 9000 }, want2047[] = { 1, 4 };
	pos = 0;
	for (size_t i = 0; i < 4; i++)
		ck_assert_uint_eq(hashidx_next(&m, 1023, &pos), want1023[i]);
	ck_assert_uint_eq(hashidx_next(&m, 1023, &pos), SIZE_MAX);
	pos = 0;
	for (size_t i = 0; i < 2; i++)
		ck_assert_uint_eq(hashidx_next(&m, 2047, &pos), want2047[i]);
	ck_assert_uint_eq(hashidx_next(&m, 2047, &pos), SIZE_MAX);
	pos = 0;
	ck_assert_uint_eq(hashidx_next(&m, 5, &pos), 3);
	pos = 0;
	ck_assert_uint_eq(hashidx_next(&m, 6, &pos), SIZE_MAX);
	for (size_t i = 0; i < 5000; i += 499) {
		pos = 0;
		ck_assert_uint_eq(hashidx_next(&m, hashidx_str("filler") + i * 7919, &pos), 100 + i);
	}
	ck_assert_uint_eq(m.n, 5007);
	hashidx_free(&m);
	ck_assert_uint_eq(hashidx_str(""), 1469598103934665603ull);
	ck_assert(hashidx_str("a") != hashidx_str("b"));
}
END_TEST

/* put keeps a key's first value, set replaces it; both across growth. */
START_TEST(strmap_put_keeps_set_replaces)
{
	strmap m = STRMAP_INIT;
	char k[32];
	for (size_t i = 0; i < 3000; i++) {
		snprintf(k, sizeof k, "key-%zu", i);
		strmap_put(&m, xstrdup(k), i);
	}
	strmap_put(&m, xstrdup("key-7"), 99);
	ck_assert_uint_eq(strmap_get(&m, "key-7"), 7);
	strmap_set(&m, xstrdup("key-7"), 99);
	ck_assert_uint_eq(strmap_get(&m, "key-7"), 99);
	strmap_set(&m, xstrdup("new"), 5);
	ck_assert_uint_eq(strmap_get(&m, "new"), 5);
	ck_assert_uint_eq(m.n, 3001);
	ck_assert_uint_eq(strmap_get(&m, "key-2999"), 2999);
	ck_assert_uint_eq(strmap_get(&m, "absent"), SIZE_MAX);
	char *low = ascii_lower("MiXeD-Ä");
	ck_assert_str_eq(low, "mixed-Ä"); /* bytes past ASCII are left alone */
	free(low);
	strmap_free(&m);
}
END_TEST

START_TEST(base64_strictness)
{
	uint8_t *b;
	size_t n;
	const char *why;
	ck_assert(hv_base64_decode("TWFu\nTQ==", 9, 16, B64_PAD_REQUIRED, &b, &n, &why));
	ck_assert_uint_eq(n, 4);
	ck_assert_mem_eq(b, "ManM", 4);
	free(b);
	ck_assert(!hv_base64_decode("TQ", 2, 16, B64_PAD_REQUIRED, NULL, &n, &why));
	ck_assert_str_eq(why, "length is not a multiple of 4");
	ck_assert(hv_base64_decode("TQ", 2, 16, 0, NULL, &n, NULL));
	ck_assert(!hv_base64_decode("TQ==TQ==", 8, 16, 0, NULL, &n, &why));
	ck_assert_str_eq(why, "data after padding");
	ck_assert(!hv_base64_decode("TQ===", 5, 16, 0, NULL, &n, &why));
	ck_assert(!hv_base64_decode("TWFu", 4, 2, 0, NULL, &n, &why));
	ck_assert_str_eq(why, "decoded data over the size cap");
}
END_TEST

/* Every length 0-300 of every byte value round-trips through OpenSSL's encoder. */
START_TEST(base64_agrees_with_openssl)
{
	uint8_t in[300];
	for (size_t i = 0; i < sizeof in; i++)
		in[i] = (uint8_t)(i * 7 + 3);
	char enc[4 * sizeof in / 3 + 8];
	for (size_t len = 0; len <= sizeof in; len++) {
		int m = EVP_EncodeBlock((unsigned char *)enc, in, (int)len);
		uint8_t *b;
		size_t n;
		ck_assert(hv_base64_decode(enc, (size_t)m, len, B64_PAD_REQUIRED, &b, &n, NULL));
		ck_assert_uint_eq(n, len);
		ck_assert_mem_eq(b, in, len);
		free(b);
	}
	for (int c = 0; c < 256; c++) { /* outside the alphabet, space and '=' */
		char s[5] = { 'T', 'W', 'F', (char)c, '\0' };
		size_t n;
		bool symbol = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
			      (c >= '0' && c <= '9') || c == '+' || c == '/';
		bool space = c == ' ' || (c >= '\t' && c <= '\r');
		ck_assert_int_eq(hv_base64_decode(s, 4, 16, 0, NULL, &n, NULL),
				 symbol || space || c == '=');
	}
}
END_TEST

/* utf8_valid reads ASCII a word at a time: a bad byte is found wherever it is. */
START_TEST(utf8_valid_everywhere_in_a_line)
{
	char s[41];
	for (size_t at = 0; at < 40; at++) {
		memset(s, 'a', 40);
		s[40] = '\0';
		ck_assert(utf8_valid(s, 40));
		s[at] = (char)0xFF; /* never UTF-8 */
		ck_assert_msg(!utf8_valid(s, 40), "0xFF at %zu", at);
		s[at] = (char)0xC3; /* a lead byte cut by the end, or followed by ASCII */
		ck_assert(!utf8_valid(s, 40));
		if (at + 1 < 40) {
			s[at + 1] = (char)0xA9; /* U+00E9 */
			ck_assert(utf8_valid(s, 40));
		}
		ck_assert(utf8_valid(s, at)); /* only what precedes it */
	}
	ck_assert(utf8_valid("", 0));
	ck_assert(!utf8_valid("abcdefgh\xED\xA0\x80", 11)); /* a surrogate, after a word */
}
END_TEST

/* Elements stay where they are; the consumed front goes segment by segment. */
START_TEST(segvec_drops_only_whole_segments)
{
	segvec v = SEGVEC_INIT(size_t);
	size_t n = 2 * SEGVEC_PER + 100;
	size_t *first = segvec_push(&v);
	*first = 7;
	for (size_t i = 1; i < n; i++)
		*(size_t *)segvec_push(&v) = i * 3;
	ck_assert_uint_eq(v.n, n);
	ck_assert_ptr_eq(segvec_at(&v, 0), first); /* never moved by growth */
	for (size_t i = 1; i < n; i++)
		ck_assert_uint_eq(*(size_t *)segvec_at(&v, i), i * 3);
	segvec_drop_front(&v, SEGVEC_PER - 1); /* the first segment is still in use */
	ck_assert_uint_eq(v.dropped, 0);
	segvec_drop_front(&v, SEGVEC_PER + 5);
	ck_assert_uint_eq(v.dropped, 1);
	ck_assert_uint_eq(*(size_t *)segvec_at(&v, SEGVEC_PER), SEGVEC_PER * 3);
	segvec_drop_front(&v, SIZE_MAX); /* past the end: the last, partial segment stays */
	ck_assert_uint_eq(v.dropped, 2);
	ck_assert_uint_eq(*(size_t *)segvec_at(&v, n - 1), (n - 1) * 3);
	ck_assert_uint_eq(*(size_t *)segvec_push(&v), 0); /* zeroed */
	segvec_free(&v);
	ck_assert_uint_eq(v.n, 0);
	*(size_t *)segvec_push(&v) = 1; /* usable again */
	ck_assert_uint_eq(*(size_t *)segvec_at(&v, 0), 1);
	segvec_free(&v);
}
END_TEST

/* Collects lines as "a|bb|" for lines_feed; stops after stop_after lines. */
typedef struct {
	strbuf got;
	size_t n, stop_after;
} line_sink;

static bool sink_line(void *ctx, const char *s, size_t n)
{
	line_sink *k = ctx;
	sb_add(&k->got, s, n);
	sb_addc(&k->got, '|');
	return ++k->n != k->stop_after;
}

/* Lines come whole wherever the windows cut them; the cap and a stop end the feed. */
START_TEST(lines_whole_across_windows)
{
	static const char text[] = "one\ntwo two\n\nthree\nfour";
	for (size_t w = 1; w <= sizeof text; w++) { /* every window size */
		line_sink k = { STRBUF_INIT, 0, 0 };
		strbuf part = STRBUF_INIT;
		for (size_t at = 0; at < sizeof text - 1; at += w) {
			size_t len = sizeof text - 1 - at < w ? sizeof text - 1 - at : w;
			ck_assert_int_eq(lines_feed(&part, 16, text + at, len, sink_line, &k), LINES_MORE);
		}
		ck_assert_str_eq(k.got.buf, "one|two two||three|");
		ck_assert_str_eq(sb_str(&part), "four"); /* the last line, no '\n': the caller's */
		sb_free(&part);
		sb_free(&k.got);
	}
	line_sink k = { STRBUF_INIT, 0, 2 };
	strbuf part = STRBUF_INIT;
	ck_assert_int_eq(lines_feed(&part, 16, text, sizeof text - 1, sink_line, &k), LINES_STOPPED);
	ck_assert_str_eq(k.got.buf, "one|two two|");
	sb_free(&k.got);
	k = (line_sink){ STRBUF_INIT, 0, 0 };
	ck_assert_int_eq(lines_feed(&part, 5, "abc\n", 4, sink_line, &k), LINES_MORE);
	ck_assert_int_eq(lines_feed(&part, 5, "abcd", 4, sink_line, &k), LINES_MORE);
	ck_assert_int_eq(lines_feed(&part, 5, "ef\n", 3, sink_line, &k), LINES_TOO_LONG);
	ck_assert_str_eq(k.got.buf, "abc|");
	sb_free(&k.got);
	sb_free(&part);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("util");
	TCase *tc = tcase_create("core");
	tcase_add_test(tc, span_reads_are_bounded);
	tcase_add_test(tc, cursor_error_is_sticky);
	tcase_add_test(tc, crc_sanity_values);
	tcase_add_test(tc, utf16_round_trip_and_bad_surrogates);
	tcase_add_test(tc, guid_mixed_endian);
	tcase_add_test(tc, times_render_and_parse);
	tcase_add_test(tc, impossible_dates_are_refused);
	tcase_add_test(tc, findings_are_one_line_with_offset);
	tcase_add_test(tc, file_load_hashes_and_caps);
	tcase_add_test(tc, strbuf_grows);
	tcase_add_test(tc, xgrow_grows_from_any_capacity);
	tcase_add_test(tc, hashidx_keeps_order_per_hash);
	tcase_add_test(tc, base64_strictness);
	tcase_add_test(tc, lines_whole_across_windows);
	tcase_add_test(tc, segvec_drops_only_whole_segments);
	tcase_add_test(tc, utf8_valid_everywhere_in_a_line);
	tcase_add_test(tc, base64_agrees_with_openssl);
	tcase_add_test(tc, strmap_put_keeps_set_replaces);
	suite_add_tcase(s, tc);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
