/*
 * fuzz_guardian.c - libFuzzer harness for the guardian metadata reader.
 *
 *   clang -fsanitize=fuzzer,address,undefined -Isrc -D_GNU_SOURCE fuzz/fuzz_guardian.c \
 *       <library sources> $(pkg-config --cflags --libs libcrypto libxml-2.0 json-c zlib)
 *   ./fuzz_guardian -runs=10000 fuzz/corpus/guardian
 *
 * Whatever decodes is rendered as text and JSON.  Seeds in
 * fuzz/corpus/guardian are synthesized (see the README).
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <json-c/json.h>

#include "formats/guardian.h"
#include "report/kp_report.h"

#define FUZZ_AT 1798675200 /* fixed report time: 2027-01-01 */

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	hv_findings f = { 0 };
	guardian_doc g;

	if (guardian_decode(span_make(data, size), "fuzz.xml", &g, &f) == HV_OK) {
		json_object *j = guardian_report_json(&g, FUZZ_AT);
		FILE *null = fopen("/dev/null", "w");
		(void)json_object_to_json_string(j);
		json_object_put(j);
		if (null != NULL) {
			guardian_report_text(null, &g, FUZZ_AT);
			fclose(null);
		}
		guardian_free(&g);
	}
	findings_free(&f);
	return 0;
}
