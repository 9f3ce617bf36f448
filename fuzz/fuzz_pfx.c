/*
 * fuzz_pfx.c - libFuzzer harness for the PFX/PKCS#12 reader, the
 * certificate-file reader and their reports.
 *
 *   clang -fsanitize=fuzzer,address,undefined -Isrc -D_GNU_SOURCE fuzz/fuzz_pfx.c \
 *       <library sources> $(pkg-config --cflags --libs libcrypto json-c ...)
 *   ./fuzz_pfx -runs=5000 fuzz/corpus/pfx
 *
 * Every input goes through pfx_open_ex with two fixed candidates (after the
 * built-in NULL and empty passwords) and through certfile_read; whatever
 * opens is rendered as text and JSON.  Each input gets a small file budget
 * of key-derivation iterations (FUZZ_KDF_BUDGET) and no run budget, so the
 * budget paths are exercised and a long run never drains a shared budget.
 * Seeds in fuzz/corpus/pfx are synthesized files with throwaway keys (see
 * the README there).
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "formats/certfile.h"
#include "formats/pfx.h"
#include "util/passwords.h"
#include "report/pfx_report.h"

#define FUZZ_AT 1798675200   /* fixed report time: 2027-01-01 */
#define FUZZ_KDF_BUDGET 100000 /* iterations per input: the seeds' 2048 x a few */

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void render_pfx(const pfx_file *p)
{
	json_object *j = pfx_report_json("fuzz.pfx", p, FUZZ_AT);
	FILE *null = fopen("/dev/null", "w");

	(void)json_object_to_json_string(j);
	json_object_put(j);
	if (null != NULL) {
		pfx_report_text(null, "fuzz.pfx", p, FUZZ_AT);
		fclose(null);
	}
}

static void render_certfile(const certfile *c)
{
	json_object *j = certfile_report_json("fuzz.pem", c, FUZZ_AT);

	(void)json_object_to_json_string(j);
	json_object_put(j);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const cands[] = { "fuzz", "P@ssword" };
	span_t s = span_make(data, size);
	hv_findings f = { 0 };
	hv_passwords pw;
	pfx_file p;
	certfile c;

	passwords_init(&pw);
	for (size_t i = 0; i < sizeof(cands) / sizeof(cands[0]); i++)
		passwords_add(&pw, cands[i], strlen(cands[i]), PW_SRC_FILE, (unsigned)i + 1, &f);
	(void)pfx_sniff(s);
	(void)certfile_sniff(s);
	pfx_open_opts opts = { .pw = &pw, .file_kdf_budget = FUZZ_KDF_BUDGET };
	pfx_open_ex(s, "fuzz.pfx", &opts, &p, &f);
	render_pfx(&p);
	pfx_free(&p);
	certfile_read(s, "fuzz.pem", &c, &f);
	render_certfile(&c);
	certfile_free(&c);
	passwords_free(&pw);
	findings_free(&f);
	return 0;
}
