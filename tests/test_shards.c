/*
 * test_shards.c - audit --facts-out and merge: one report from several shards.
 *
 * The promise under test: merging the facts that audits of shards A, B, ...
 * wrote prints byte for byte what one audit of A B ... prints, in every
 * format, with the same exit status; also when a VM's configuration is in
 * one shard and its PFX files in another, on the samples and on an estate
 * made by the benchmark's generator (folders, zip, tar.gz and 7-Zip).  And
 * the facts file is hostile input like any other: damaged, cut, another
 * schema, the same shard twice each stop the merge with a named line.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <check.h>
#include <json-c/json.h>
#include <openssl/evp.h>

#include "model/facts_lines.h"
#include "support/testutil.h"
#include "util/strbuf.h"

#define AT "2026-06-01"
#define MAX_ARGS 64

static char *tmp;              /* per-run scratch directory */
static char *samples_dir, *pwfile;

static void setup(void)
{
	tmp = tu_mkdtemp();
	samples_dir = tu_join(tu_srcdir(), "samples");
	pwfile = tu_join(samples_dir, "passwords.txt");
}

static void teardown(void)
{
	tu_rmtree(tmp);
	free(tmp);
	free(samples_dir);
	free(pwfile);
}

static char *const env[] = { "SOURCE_DATE_EPOCH=1790000000", "HVTPM_THREADS=2", NULL };
/* No helper thread: merge parses the facts lines on its own thread, not ahead. */
static char *const env_serial[] = { "SOURCE_DATE_EPOCH=1790000000", "HVTPM_THREADS=0", NULL };

static tu_run_result run_in(char *const *e, const char *const *a, const char *const *b)
{
	const char *argv[MAX_ARGS];
	size_t n = 0;
	argv[n++] = tu_bin();
	for (size_t i = 0; a && a[i]; i++)
		argv[n++] = a[i];
	for (size_t i = 0; b && b[i]; i++)
		argv[n++] = b[i];
	argv[n] = NULL;
	ck_assert_uint_lt(n, MAX_ARGS);
	return tu_run((char *const *)argv, e, NULL);
}

/* Runs hvtpm with args (NULL-terminated list of lists). */
static tu_run_result run(const char *const *a, const char *const *b)
{
	return run_in(env, a, b);
}

/* run(), also without helper threads: the same exit, output and diagnostics. */
static tu_run_result run_both(const char *const *a, const char *const *b)
{
	tu_run_result r = run_in(env, a, b), s = run_in(env_serial, a, b);
	ck_assert_int_eq(r.status, s.status);
	ck_assert_msg(r.outlen == s.outlen && memcmp(r.out, s.out, r.outlen) == 0,
		      "threads change the output");
	ck_assert_str_eq(r.err, s.err);
	tu_run_free(&s);
	return r;
}

static void put(const char *path, const char *data, size_t len);
static void assert_refused(const char *f, int status, const char *msg);

static char *facts_path(const char *name)
{
	return tu_join(tmp, name);
}

/* audit --facts-out for one shard; returns the facts file's path. */
static char *audit_shard(const char *name, const char *label, const char *pw, const char *const *paths)
{
	char *f = facts_path(name);
	unlink(f);
	const char *a[] = { "audit", "-q", "--at", AT, "--password-file", pw, "--facts-out", f,
			    label ? "--shard" : NULL, label, NULL };
	tu_run_result r = run(a, paths);
	ck_assert_msg(r.status <= 2, "shard audit failed (%d): %s", r.status, r.err);
	tu_run_free(&r);
	return f;
}

/* One audit of every path against merge of the shards, in each format. */
static void assert_merge_equals_union(const char *pw, const char *const *const *shards, size_t n)
{
	const char *all[MAX_ARGS];
	char *facts[8];
	size_t k = 0;
	for (size_t i = 0; i < n; i++) {
		char name[32];
		snprintf(name, sizeof name, "shard%zu.facts", i);
		facts[i] = audit_shard(name, NULL, pw, shards[i]);
		for (size_t j = 0; shards[i][j]; j++)
			all[k++] = shards[i][j];
	}
	all[k] = NULL;
	facts[n] = NULL;
	static const char *const formats[] = { "json", "text", "csv", "jsonl", "html" };
	for (size_t f = 0; f < sizeof formats / sizeof *formats; f++) {
		const char *a[] = { "audit", "-q", "--at", AT, "--password-file", pw, "--format",
				    formats[f], NULL };
		tu_run_result u = run(a, all);
		const char *m[] = { "merge", "-q", "--at", AT, "--format", formats[f], NULL };
		tu_run_result g = run_both(m, (const char *const *)facts);
		ck_assert_msg(g.status == u.status, "%s: exit %d vs %d: %s", formats[f], g.status,
			      u.status, g.err);
		ck_assert_uint_gt(u.outlen, 100);
		ck_assert_msg(u.outlen == g.outlen && memcmp(u.out, g.out, u.outlen) == 0,
			      "%s: merge differs from one audit", formats[f]);
		tu_run_free(&u);
		tu_run_free(&g);
	}
	for (size_t i = 0; i < n; i++)
		free(facts[i]);
}

static char *sample(const char *sub)
{
	return tu_join(samples_dir, sub);
}

START_TEST(samples_merge_byte_identical)
{
	char *a = sample("restorable/app01"), *b = sample("restorable/pfx-backup");
	char *c = sample("restorable-expired"), *d = sample("rebuild"), *e = sample("degraded");
	char *f = sample("needs-password"), *g = sample("hgs"), *h = sample("no-vtpm");
	char *i = sample("unknown"), *j = sample("rebuild-data-loss");
	/* app01's configuration in one shard, its PFX files in another */
	const char *s1[] = { a, d, e, NULL }, *s2[] = { b, c, f, NULL }, *s3[] = { g, h, i, j, NULL };
	const char *const *three[] = { s1, s2, s3 };
	assert_merge_equals_union(pwfile, three, 3);
	const char *whole[] = { samples_dir, NULL };
	const char *const *one[] = { whole };
	assert_merge_equals_union(pwfile, one, 1);
	free(a), free(b), free(c), free(d), free(e), free(f), free(g), free(h), free(i), free(j);
}
END_TEST

START_TEST(generated_estate_in_three_shards)
{
	const char *gen = getenv("HVTPM_GEN_ESTATE");
	ck_assert_msg(gen && *gen, "HVTPM_GEN_ESTATE is not set (make check sets it)");
	char *out = tu_join(tmp, "estate-out");
	ck_assert_int_eq(tu_sh("HVTPM_BENCH_VMGS_KIB=16 '%s' '%s' 60 32 >/dev/null", gen, out), 0);
	char *est = tu_join(out, "estate"), *pw = tu_join(out, "passwords.txt");
	char *hosts = tu_join(est, "hosts"), *pfx = tu_join(est, "pfx");
	char *backup = tu_join(est, "backup"), *arch = tu_join(est, "archives");
	const char *s1[] = { hosts, NULL }, *s2[] = { pfx, backup, NULL }, *s3[] = { arch, NULL };
	const char *const *shards[] = { s1, s2, s3 };
	assert_merge_equals_union(pw, shards, 3);

	/* no secret travels: neither the password nor any key material */
	char *f = facts_path("shard1.facts");
	size_t len;
	char *text = (char *)tu_read(f, &len);
	size_t pwlen;
	char *pwtext = (char *)tu_read(pw, &pwlen);
	char *nl = strchr(pwtext, '\n');
	if (nl)
		*nl = '\0';
	ck_assert_uint_gt(strlen(pwtext), 4);
	ck_assert_ptr_null(memmem(text, len, pwtext, strlen(pwtext)));
	ck_assert_ptr_null(memmem(text, len, "PRIVATE", 7));
	ck_assert_ptr_nonnull(memmem(text, len, "\"private_key\":true", 18));
	free(text);
	free(f);
	f = facts_path("shard0.facts");
	text = (char *)tu_read(f, &len);
	ck_assert_ptr_null(memmem(text, len, "Wrapping", 8)); /* no protector XML, no transport key */
	ck_assert_ptr_null(memmem(text, len, "TransportKey", 12));
	free(text);
	free(pwtext);
	free(f);
	free(out), free(est), free(pw), free(hosts), free(pfx), free(backup), free(arch);
}
END_TEST

START_TEST(labels_keep_shards_apart)
{
	char *a = sample("restorable/app01"), *b = sample("restorable/pfx-backup");
	const char *s1[] = { a, NULL }, *s2[] = { b, NULL };
	char *fa = audit_shard("a.facts", "site-a", pwfile, s1);
	char *fb = audit_shard("b.facts", "site-b", pwfile, s2);
	const char *m[] = { "merge", "-q", "--at", AT, "--format", "json", fa, fb, NULL };
	tu_run_result r = run(m, NULL);
	ck_assert_int_eq(r.status, 0);
	json_object *doc = json_tokener_parse(r.out);
	ck_assert_ptr_nonnull(doc);
	json_object *ev;
	ck_assert(json_object_object_get_ex(doc, "evidence", &ev));
	size_t n = json_object_array_length(ev), pa = 0, pb = 0;
	for (size_t i = 0; i < n; i++) {
		json_object *p;
		ck_assert(json_object_object_get_ex(json_object_array_get_idx(ev, i), "path", &p));
		const char *s = json_object_get_string(p);
		pa += strncmp(s, "site-a:", 7) == 0;
		pb += strncmp(s, "site-b:", 7) == 0;
	}
	ck_assert_uint_eq(pa + pb, n);
	ck_assert_uint_gt(pa, 0);
	ck_assert_uint_eq(pb, 2);
	/* the VM of site-a is restorable from the PFX files of site-b */
	ck_assert_ptr_nonnull(strstr(r.out, "\"verdict\": \"restorable\""));
	json_object_put(doc);
	tu_run_free(&r);
	free(fa), free(fb), free(a), free(b);
}
END_TEST

/* Writes path with data. */
static void put(const char *path, const char *data, size_t len)
{
	unlink(path);
	tu_write(path, data, len);
}

static tu_run_result merge1(const char *f)
{
	const char *m[] = { "merge", "-q", "--at", AT, f, NULL };
	return run_both(m, NULL);
}

static void assert_refused(const char *f, int status, const char *msg)
{
	tu_run_result r = merge1(f);
	ck_assert_msg(r.status == status, "%s: exit %d, wanted %d: %s", f, r.status, status, r.err);
	ck_assert_msg(strstr(r.err, msg), "%s: no '%s' in: %s", f, msg, r.err);
	ck_assert_uint_eq(r.outlen, 0); /* no report from part of the facts */
	size_t lines = 0;
	for (size_t i = 0; i < r.errlen; i++)
		lines += r.err[i] == '\n';
	ck_assert_msg(lines == 1, "%s: not a one-line error: %s", f, r.err);
	tu_run_free(&r);
}

/*
 * text (a facts file) with extra copies of its first finding record until it
 * has at least min lines, and the end line made again: a long facts file
 * that proves itself.
 */
static char *lengthened(const char *text, size_t min, size_t *outlen)
{
	const char *end = strstr(text, "{\"t\":\"end\"");
	const char *fin = strstr(text, "{\"t\":\"finding\"");
	ck_assert_ptr_nonnull(end);
	ck_assert_ptr_nonnull(fin);
	size_t finlen = (size_t)(strchr(fin, '\n') + 1 - fin), lines = 0;
	strbuf sb = STRBUF_INIT;
	sb_add(&sb, text, (size_t)(end - text));
	for (size_t i = 0; i < sb.len; i++)
		lines += sb.buf[i] == '\n';
	for (; lines < min; lines++)
		sb_add(&sb, fin, finlen);
	unsigned char md[32];
	unsigned int mdlen;
	ck_assert(EVP_Digest(sb.buf, sb.len, md, &mdlen, EVP_sha256(), NULL));
	sb_addf(&sb, "{\"t\":\"end\",\"records\":%zu,\"sha256\":\"", lines);
	for (unsigned i = 0; i < mdlen; i++)
		sb_addf(&sb, "%02x", md[i]);
	sb_adds(&sb, "\"}\n");
	*outlen = sb.len;
	return sb_detach(&sb);
}

START_TEST(damaged_facts_stop_the_merge)
{
	const char *s1[] = { samples_dir, NULL };
	char *f = audit_shard("good.facts", NULL, pwfile, s1);
	size_t len;
	char *text = (char *)tu_read(f, &len);
	char *bad = facts_path("bad.facts");

	/* cut in the middle of a line, and cut at a line end (no end line) */
	put(bad, text, len / 2);
	assert_refused(bad, 4, "line ");
	char *third = text;
	for (int i = 0; i < 3; i++)
		third = strchr(third, '\n') + 1;
	put(bad, text, (size_t)(third - text));
	assert_refused(bad, 4, "cut short: no end line after line 3");

	/* one byte changed in a record: the end line no longer matches */
	char *copy = malloc(len + 1);
	ck_assert_ptr_nonnull(copy);
	memcpy(copy, text, len);
	char *sz = strstr(copy, "\"size\":");
	ck_assert_ptr_nonnull(sz);
	sz[7] = sz[7] == '1' ? '2' : '1';
	put(bad, copy, len);
	assert_refused(bad, 4, "do not match the end line");

	/* another schema */
	memcpy(copy, text, len);
	char *sv = strstr(copy, "\"schema_version\":1");
	ck_assert_ptr_nonnull(sv);
	sv[17] = '9';
	put(bad, copy, len);
	assert_refused(bad, 4, "facts schema 9");

	/* a record naming a file that is not there */
	memcpy(copy, text, len);
	char *h = strstr(copy, "{\"t\":\"holding\",\"file\":");
	ck_assert_ptr_nonnull(h);
	h[strlen("{\"t\":\"holding\",\"file\":")] = '9';
	put(bad, copy, len);
	assert_refused(bad, 4, "names a file not (yet) in the facts");

	/* a NUL byte in a record, a record that is not JSON, text after the end line */
	memcpy(copy, text, len);
	char *rec = strchr(copy, '\n') + 1;
	char *rec2 = strchr(rec, '\n') + 1;
	rec[3] = '\0';
	put(bad, copy, len);
	assert_refused(bad, 4, "line 2: a NUL byte");
	memcpy(copy, text, len);
	rec2[0] = '[';
	put(bad, copy, len);
	assert_refused(bad, 4, "line 3: not a JSON object");
	char *more = malloc(len + 8);
	ck_assert_ptr_nonnull(more);
	memcpy(more, text, len);
	memcpy(more + len, "{}\n", 3);
	put(bad, more, len + 3);
	assert_refused(bad, 4, "text after the end line");
	free(more);

	/* past the first batches of lines parsed ahead: read whole, then damaged */
	size_t longlen, want_line = 3 * FACTS_LINES_BATCH + 10;
	char *longer = lengthened(text, 4 * FACTS_LINES_BATCH, &longlen);
	put(bad, longer, longlen);
	tu_run_result lr = merge1(bad);
	ck_assert_msg(lr.status < 3, "%s", lr.err);
	tu_run_free(&lr);
	char *line = longer;
	for (size_t i = 1; i < want_line; i++)
		line = strchr(line, '\n') + 1;
	*line = '[';
	put(bad, longer, longlen);
	char want[64];
	snprintf(want, sizeof want, "line %zu: not a JSON object", want_line);
	assert_refused(bad, 4, want);
	free(longer);

	/* not a facts file at all; an empty one */
	put(bad, "{\"t\":\"end\"}\n", 12);
	assert_refused(bad, 4, "not an hvtpm facts file");
	put(bad, "", 0);
	assert_refused(bad, 4, "not an hvtpm facts file");

	/* the same shard twice, under two names */
	char *again = facts_path("again.facts");
	put(again, text, len);
	const char *m[] = { "merge", "-q", f, again, NULL };
	tu_run_result r = run(m, NULL);
	ck_assert_int_eq(r.status, 3);
	ck_assert_ptr_nonnull(strstr(r.err, "the same shard given twice"));
	tu_run_free(&r);
	free(again);
	free(copy);
	free(text);
	free(bad);
	free(f);
}
END_TEST

START_TEST(facts_out_never_overwrites)
{
	char *f = facts_path("exists.facts");
	put(f, "keep", 4);
	char *a = sample("rebuild");
	const char *args[] = { "audit", "-q", "--facts-out", f, a, NULL };
	tu_run_result r = run(args, NULL);
	ck_assert_int_eq(r.status, 3);
	ck_assert_ptr_nonnull(strstr(r.err, "never overwritten"));
	tu_run_free(&r);
	size_t len;
	char *t = (char *)tu_read(f, &len);
	ck_assert_uint_eq(len, 4);
	free(t);
	const char *args2[] = { "audit", "-q", "--shard", "x", a, NULL };
	r = run(args2, NULL);
	ck_assert_int_eq(r.status, 3);
	tu_run_free(&r);
	free(a);
	free(f);
}
END_TEST

/* The facts file is never written into the evidence nor the VM folder it belongs to. */
START_TEST(facts_out_stays_out_of_the_evidence)
{
	char *ev = facts_path("ev");
	ck_assert_int_eq(tu_sh("cp -R '%s/restorable/app01' '%s'", samples_dir, ev), 0);
	char *vmdir = tu_join(ev, "Virtual Machines");
	const char *targets[] = { "x.facts", "Virtual Machines/x.facts" };
	for (size_t i = 0; i < sizeof targets / sizeof *targets; i++) {
		char *f = tu_join(ev, targets[i]);
		/* named as a folder, and as one file inside the VM folder */
		const char *a1[] = { "audit", "-q", "--facts-out", f, ev, NULL };
		const char *a2[] = { "audit", "-q", "--facts-out", f, vmdir, NULL };
		for (int k = 0; k < 2; k++) {
			tu_run_result r = run(k ? a2 : a1, NULL);
			ck_assert_int_eq(r.status, 3);
			ck_assert_ptr_nonnull(strstr(r.err, "inside the evidence"));
			ck_assert_ptr_nonnull(strstr(r.err, "--facts-out"));
			tu_run_free(&r);
			ck_assert_int_ne(access(f, F_OK), 0);
		}
		free(f);
	}
	/* beside it is fine */
	char *ok = facts_path("beside.facts");
	const char *a3[] = { "audit", "-q", "--facts-out", ok, ev, NULL };
	tu_run_result r = run(a3, NULL);
	ck_assert_int_ne(r.status, 3);
	tu_run_free(&r);
	ck_assert_int_eq(access(ok, F_OK), 0);
	free(ok);
	free(vmdir);
	free(ev);
}
END_TEST

START_TEST(paths_that_are_not_utf8_survive_the_trip)
{
	char *dir = tu_join(tmp, "odd");
	ck_assert_int_eq(tu_sh("mkdir -p '%s' && cp -r '%s/restorable/app01' '%s/vm-\\377\\376'", dir,
			       samples_dir, dir), 0);
	ck_assert_int_eq(tu_sh("cd '%s' && mv \"vm-\\377\\376\" \"$(printf 'vm-\\377\\376')\"", dir), 0);
	char *b = sample("restorable/pfx-backup");
	const char *s1[] = { dir, NULL }, *s2[] = { b, NULL };
	const char *const *shards[] = { s1, s2 };
	assert_merge_equals_union(pwfile, shards, 2);
	free(b);
	free(dir);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("shards");
	TCase *tc = tcase_create("facts");
	tcase_add_unchecked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 300);
	tcase_add_test(tc, samples_merge_byte_identical);
	tcase_add_test(tc, generated_estate_in_three_shards);
	tcase_add_test(tc, labels_keep_shards_apart);
	tcase_add_test(tc, damaged_facts_stop_the_merge);
	tcase_add_test(tc, facts_out_never_overwrites);
	tcase_add_test(tc, facts_out_stays_out_of_the_evidence);
	tcase_add_test(tc, paths_that_are_not_utf8_survive_the_trip);
	suite_add_tcase(s, tc);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
