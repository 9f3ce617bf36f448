/*
 * fuzz_collect.c - libFuzzer harness for the collector end to end: one
 * input file recognised by content and read by whichever reader claims it
 * (HyperVStorage, legacy XML, PFX, guardian metadata, certificate files,
 * key protectors in every saved form, embedded repositories and carving,
 * and, as audit does, the members of zip/tar/7-Zip archives),
 * then tied to its VM, judged and reported as hvtpm diagnose does.
 *
 *   make -f fuzz/Makefile fuzz/out/fuzz_collect
 *   fuzz/out/fuzz_collect -runs=10000 fuzz/out/work samples tests/bad fuzz/corpus
 *
 * The input goes through the same pipeline as a file named on the command
 * line: it is written to a private temporary file (no extension, so it is
 * recognised by content alone) that the collector reads.  No password
 * candidates are given (the PFX reader still tries the NULL and empty
 * passwords).  Seeds: samples/, tests/bad/ and every fuzz/corpus/
 * directory (see fuzz/Makefile).
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <json-c/json.h>

#include "analysis/verdict.h"
#include "model/collect.h"
#include "model/evidence.h"
#include "report/diagnose_report.h"

#define FUZZ_AT 1798675200 /* fixed evaluation time: 2027-01-01 */
#define FUZZ_WARN_DAYS 30

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void judge(const evidence *e)
{
	verdict_opts vo = { FUZZ_AT, FUZZ_WARN_DAYS };

	for (size_t i = 0; i < e->nvms; i++) {
		verdict v;
		verdict_for_vm(e, i, &vo, &v);
		if (verdict_exit_code(v.kind) < 0 || verdict_exit_code(v.kind) > 2)
			abort(); /* documented range of a verdict's exit code */
		verdict_free(&v);
	}
}

/* The private file every input is written to (made once per process). */
static const char *input_path(void)
{
	static char path[64];
	if (!path[0]) {
		char dir[] = "/tmp/hvtpm-fuzz-XXXXXX";
		if (!mkdtemp(dir))
			abort();
		snprintf(path, sizeof path, "%s/fuzz-input", dir);
	}
	return path;
}

static void put_input(const char *path, const uint8_t *data, size_t size)
{
	FILE *f = fopen(path, "wb");
	if (!f || (size && fwrite(data, 1, size, f) != size) || fclose(f) != 0)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	evidence e;
	collect_opts o = { 0 };
	json_object *j;
	char *path = (char *)input_path();

	put_input(path, data, size);
	evidence_init(&e);
	collector *c = collector_new(&e, &o);
	collector_add_paths(c, &path, 1); /* archives are opened, as by every command */
	collector_finish(c);
	judge(&e);
	j = dx_evidence_json(&e);
	(void)json_object_to_json_string(j);
	json_object_put(j);
	j = dx_errors_json(&e);
	(void)json_object_to_json_string(j);
	json_object_put(j);
	for (size_t i = 0; i < e.findings.n; i++)
		free(finding_format(&e.findings.v[i]));
	evidence_free(&e);
	return 0;
}
