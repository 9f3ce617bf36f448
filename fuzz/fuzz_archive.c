/*
 * fuzz_archive.c - libFuzzer harness for the archive walker (zip, tar,
 * tar.gz/.bz2/.xz, 7-Zip) and its caps against archive bombs.
 *
 *   make -f fuzz/Makefile fuzz/out/fuzz_archive
 *   fuzz/out/fuzz_archive -runs=10000 fuzz/corpus/archive
 *
 * The input is walked in memory as audit walks an archive file; every
 * member handed over is read to its last byte, nested archives are
 * entered, skipped members and results are looked at, and the walker's
 * promises are checked: no member longer than the member cap, no more
 * bytes handed over than counted as expanded.  Seeds in
 * fuzz/corpus/archive are synthesized (see the README there).
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "model/archive.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

typedef struct {
	uint64_t handed;     /* bytes of members handed over */
	size_t nested;
	unsigned sum;        /* reads every byte */
} fuzz_ctx;

static void on_file(void *ctx, const char *path, const uint8_t *d, size_t len)
{
	fuzz_ctx *c = ctx;
	if (len > ARC_MEMBER_CAP || strchr(path, '!') == NULL)
		abort(); /* over the member cap, or a member name without its archive */
	for (size_t i = 0; i < len; i++)
		c->sum += d[i];
	c->handed += len;
}

static size_t on_nested_begin(void *ctx, const char *path, const uint8_t *d, size_t len,
			      const char *format)
{
	fuzz_ctx *c = ctx;
	(void)path;
	(void)d;
	(void)len;
	(void)format;
	return c->nested++;
}

static void on_nested_end(void *ctx, size_t handle, const arc_result *r)
{
	fuzz_ctx *c = ctx;
	if (handle >= c->nested || (r->status != HV_OK && r->reason == NULL))
		abort();
}

static void on_skipped(void *ctx, const arc_skipped *s)
{
	(void)ctx;
	if (s->path == NULL || s->reason == NULL)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	fuzz_ctx c = { 0 };
	arc_sink sink = { on_file, on_nested_begin, on_nested_end, on_skipped, &c };
	arc_result r;
	hv_findings f = { 0 };

	(void)arc_sniff(span_make(data, size));
	if (arc_walk_mem("fuzz.arc", data, size, &sink, &r, &f) == HV_OK) {
		if (c.handed > r.expanded || (r.status != HV_OK && r.reason == NULL))
			abort(); /* every byte handed over was counted against the caps */
	}
	arc_result_free(&r);
	for (size_t i = 0; i < f.n; i++)
		free(finding_format(&f.v[i]));
	findings_free(&f);
	return 0;
}
