/*
 * fuzz_facts.c - libFuzzer harness for the facts loader (merge).
 *
 *   make fuzz T=facts
 *
 * A facts file ends with a line that proves the lines before it (count and
 * SHA-256), which a mutated input almost never matches.  So that the
 * fuzzer reaches everything behind that check (the late records,
 * association of hostile configuration records and key protectors, the
 * verdicts), the harness drops any end line the input has and appends one
 * that matches, then loads the file, ties the evidence together and
 * evaluates every VM.  Seeds in fuzz/corpus/facts (see the README).
 */
#include <openssl/evp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "analysis/evaluate.h"
#include "model/collect.h"
#include "model/facts_file.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char path[64];

/* The input, its end line (if any) replaced by a matching one. */
static void write_input(const uint8_t *data, size_t size)
{
	size_t keep = size;
	/* drop a last line that claims to be the end line */
	size_t start = size;
	while (start > 0 && data[start - 1] == '\n')
		start--;
	while (start > 0 && data[start - 1] != '\n')
		start--;
	static const char end[] = "{\"t\":\"end\"";
	if (size - start >= sizeof end - 1 && memcmp(data + start, end, sizeof end - 1) == 0)
		keep = start;
	unsigned long long records = 0;
	for (size_t i = 0; i < keep; i++)
		records += data[i] == '\n';
	if (keep && data[keep - 1] != '\n')
		records++;
	unsigned char md[32];
	EVP_MD_CTX *c = EVP_MD_CTX_new();
	EVP_DigestInit_ex(c, EVP_sha256(), NULL);
	EVP_DigestUpdate(c, data, keep);
	if (keep && data[keep - 1] != '\n')
		EVP_DigestUpdate(c, "\n", 1);
	EVP_DigestFinal_ex(c, md, NULL);
	EVP_MD_CTX_free(c);
	FILE *f = fopen(path, "wb");
	if (!f)
		abort();
	fwrite(data, 1, keep, f);
	if (keep && data[keep - 1] != '\n')
		fputc('\n', f);
	fprintf(f, "{\"t\":\"end\",\"records\":%llu,\"sha256\":\"", records);
	for (int i = 0; i < 32; i++)
		fprintf(f, "%02x", md[i]);
	fputs("\"}\n", f);
	fclose(f);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (!path[0])
		snprintf(path, sizeof path, "/tmp/fuzz-facts-%ld.jsonl", (long)getpid());
	write_input(data, size);
	evidence e;
	evidence_init(&e);
	collector *c = collector_new_offline(&e);
	facts_loaded fl;
	hv_findings f = { 0 };
	char *files[] = { path };
	hv_err rc = facts_load(c, files, 1, &fl, &f);
	if (rc != HV_OK) {
		collector_discard(c);
	} else {
		collector_finish(c);
		verdict_opts vo = { .at = 1790000000, .warn_days = 90 };
		dx_result r;
		dx_evaluate(&e, &vo, 1790000000, &r);
		dx_result_free(&r);
	}
	facts_loaded_free(&fl);
	findings_free(&f);
	evidence_free(&e);
	return 0;
}
