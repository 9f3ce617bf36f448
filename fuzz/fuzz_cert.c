/*
 * fuzz_cert.c - libFuzzer harness for the certificate facts and their report.
 *
 *   clang -fsanitize=fuzzer,address,undefined -Isrc -D_GNU_SOURCE fuzz/fuzz_cert.c \
 *       <library sources> $(pkg-config --cflags --libs libcrypto libxml-2.0 json-c zlib)
 *   ./fuzz_cert -runs=10000 fuzz/corpus/cert
 *
 * The input is parsed as DER (cert_from_der, then cert_from_x509 on the
 * result, which must give the same thumbprint) and, as a NUL-terminated
 * string, through the Shielded VM subject parser and the terminal escaper.
 * Seeds in fuzz/corpus/cert are synthesized (see the README).
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "formats/cert.h"
#include "report/cert_report.h"

#define FUZZ_AT 1798675200 /* fixed report time: 2027-01-01 */

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void strings(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1);
	cert_role role;
	char *g, *h;

	if (s == NULL)
		return;
	memcpy(s, data, size);
	s[size] = '\0';
	if (cert_parse_shielded_cn(s, &role, &g, &h) && (role == CERT_ROLE_OTHER || !g || !h))
		abort();
	free(g);
	free(h);
	free(cert_report_escape(s));
	free(s);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	hv_findings f = { 0 };
	hv_cert c, d;

	if (cert_from_der(data, size, &c, "fuzz.der", 0, &f) == HV_OK) {
		json_object *j = cert_report_json(&c, FUZZ_AT);
		FILE *null = fopen("/dev/null", "w");
		(void)json_object_to_json_string(j);
		json_object_put(j);
		if (null != NULL) {
			cert_report_text(null, &c, FUZZ_AT, "  ");
			fclose(null);
		}
		(void)cert_days_left(&c, 0);
		(void)cert_days_left(&c, (time_t)INT64_MAX);
		if (cert_from_x509(c.x509, &d) == HV_OK) {
			if (strcmp(c.thumbprint, d.thumbprint) != 0 && c.der_len == d.der_len &&
			    memcmp(c.der, d.der, c.der_len) == 0)
				abort();
			cert_free(&d);
		}
		cert_free(&c);
	}
	strings(data, size);
	findings_free(&f);
	return 0;
}
