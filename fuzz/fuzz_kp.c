/*
 * fuzz_kp.c - libFuzzer harness for the key protector input normaliser,
 * the MS-KPS decoder, the comparison and the KP reports.
 *
 *   clang -fsanitize=fuzzer,address,undefined -Isrc -D_GNU_SOURCE fuzz/fuzz_kp.c \
 *       <library sources> $(pkg-config --cflags --libs libcrypto libxml-2.0 json-c zlib)
 *   ./fuzz_kp -runs=10000 fuzz/corpus/kp
 *
 * Every input goes through kp_input_normalize (all saved forms) and, when
 * that yields a payload, kp_decode; the raw input is also decoded directly
 * as a payload.  Whatever decodes is compared with itself and rendered as
 * text and JSON.  Seeds in fuzz/corpus/kp are synthesized (see the README).
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include <json-c/json.h>

#include "formats/kp.h"
#include "formats/kp_input.h"
#include "report/kp_report.h"

#define FUZZ_AT 1798675200 /* fixed report time: 2027-01-01 */

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void render(const kp_doc *d)
{
	FILE *null = fopen("/dev/null", "w");
	json_object *j = kp_report_json(d, FUZZ_AT);
	kp_diff diff;

	(void)json_object_to_json_string(j);
	json_object_put(j);
	kp_compare(d, d, &diff);
	if (!diff.same)
		abort(); /* a document always equals itself */
	j = kp_compare_report_json(&diff);
	(void)json_object_to_json_string(j);
	json_object_put(j);
	if (null != NULL) {
		kp_report_text(null, d, FUZZ_AT);
		kp_compare_report_text(null, &diff);
		fclose(null);
	}
	kp_diff_free(&diff);
}

static void decode(const uint8_t *p, size_t n, uint64_t off, hv_findings *f)
{
	kp_doc d;

	if (kp_decode(span_make(p, n), "fuzz.kp", off, &d, f) == HV_OK) {
		render(&d);
		kp_free(&d);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	hv_findings f = { 0 };
	kp_input in;

	if (kp_input_normalize(span_make(data, size), "fuzz.kp", &in, &f) == HV_OK) {
		json_object *j = kp_input_report_json(&in);
		(void)json_object_to_json_string(j);
		json_object_put(j);
		if (in.payload != NULL)
			decode(in.payload, in.len, in.payload_offset, &f);
		kp_input_free(&in);
	}
	decode(data, size, 0, &f);
	for (size_t i = 0; i < f.n; i++)
		free(finding_format(&f.v[i]));
	findings_free(&f);
	return 0;
}
