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
 * No password candidates are given (the PFX reader still tries the NULL and
 * empty passwords).  Seeds: samples/, tests/bad/ and every fuzz/corpus/
 * directory (see fuzz/Makefile).
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

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

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	evidence e;
	collect_opts o = { 0 };
	json_object *j;

	o.open_archives = true; /* as audit: members of an archive input are read too */

	evidence_init(&e);
	collector *c = collector_new(&e, &o);
	collector_add_mem(c, "fuzz-input", data, size);
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
