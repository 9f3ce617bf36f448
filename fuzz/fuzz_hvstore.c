/*
 * fuzz_hvstore.c - libFuzzer harness for the HyperVStorage reader.
 *
 * Reads the input as a repository starting at byte 0, then scans it for
 * embedded repositories and reads the first few of those as well (the path
 * taken for .vmgs guest-state files).  Everything is freed each run.
 */
#include <stddef.h>
#include <stdint.h>

#include "formats/hvstore.h"

#define FUZZ_MAX_EMBEDDED 4

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void read_one(span_t s, uint64_t base)
{
	hvstore h;
	hv_findings f = { 0 };
	(void)hvstore_read(s, "fuzz", base, &h, &f);
	if (h.root)
		(void)kv_count(h.root);
	hvstore_free(&h);
	findings_free(&f);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	span_t s = span_make(data, size);
	uint64_t offs[FUZZ_MAX_EMBEDDED];
	(void)hvstore_sniff(s);
	read_one(s, 0);
	size_t n = hvstore_scan(s, offs, FUZZ_MAX_EMBEDDED);
	for (size_t i = 0; i < n && i < FUZZ_MAX_EMBEDDED; i++)
		if (offs[i] != 0 && offs[i] < size)
			read_one(span_make(data + offs[i], size - (size_t)offs[i]), offs[i]);
	return 0;
}
