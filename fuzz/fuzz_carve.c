/*
 * fuzz_carve.c - libFuzzer harness for the heuristic key protector carver.
 *
 *   clang -fsanitize=fuzzer,address,undefined -Isrc -D_GNU_SOURCE fuzz/fuzz_carve.c \
 *       <library sources> $(pkg-config --cflags --libs libcrypto libxml-2.0 json-c zlib)
 *   ./fuzz_carve -runs=10000 fuzz/corpus/carve
 *
 * The input is scanned as arbitrary bytes; hits are checked to lie inside
 * the input and rendered as text and JSON.  Seeds in fuzz/corpus/carve are
 * synthesized (see the README).
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include <json-c/json.h>

#include "formats/kp_carve.h"
#include "report/kp_report.h"

#define FUZZ_AT 1798675200 /* fixed report time: 2027-01-01 */

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	hv_findings f = { 0 };
	kp_carve_result r;
	FILE *null;

	kp_carve(span_make(data, size), "fuzz.bin", &r, &f);
	for (size_t i = 0; i < r.n; i++) {
		const kp_carve_hit *h = &r.v[i];
		if (h->offset > size || h->length > size - h->offset || h->xml_offset < h->offset ||
		    (i > 0 && h->offset < r.v[i - 1].offset + r.v[i - 1].length))
			abort(); /* hits lie inside the input and do not overlap */
	}
	json_object *j = kp_carve_report_json(&r, FUZZ_AT);
	(void)json_object_to_json_string(j);
	json_object_put(j);
	null = fopen("/dev/null", "w");
	if (null != NULL) {
		kp_carve_report_text(null, &r, FUZZ_AT);
		fclose(null);
	}
	kp_carve_free(&r);
	findings_free(&f);
	return 0;
}
