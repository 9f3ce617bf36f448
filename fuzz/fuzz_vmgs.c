/*
 * fuzz_vmgs.c - libFuzzer harness for the guest state reader (.vmgs):
 * VHD/raw container, GPT, v1 data headers, UTF-16 JSON guest state with
 * its UEFI certificates, v3 headers and file table; and the salvage scan
 * of damaged files over the same bytes (whole, and as a window whose
 * second half is look-ahead).
 *
 * The input is the file itself, opened with vdisk_open_mem.  Seeds in
 * fuzz/corpus/vmgs are synthesized by tests/support/vmgs_writer.c; the
 * bare-partition seeds (headers at byte 0, no VHD) keep the JSON within
 * reach of small mutations.  Every result is walked, then freed.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "formats/vdisk.h"
#include "formats/vmgs.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static size_t touch_state(const vmgs_guest_state *g)
{
	size_t sum = 0;
	for (size_t i = 0; i < g->nblobs; i++)
		sum += strlen(g->blobs[i].json_path) + g->blobs[i].len + g->blobs[i].role +
		       (g->blobs[i].len ? g->blobs[i].bytes[g->blobs[i].len - 1] : 0);
	for (size_t i = 0; i < g->ndevices; i++)
		for (size_t k = 0; k < g->devices[i].nstates; k++)
			sum += strlen(g->devices[i].states[k].name) + g->devices[i].states[k].size;
	for (size_t i = 0; i < g->nuefi; i++)
		for (size_t k = 0; k < g->uefi[i].ncerts; k++)
			sum += strlen(g->uefi[i].certs[k].cert.subject ?
				      g->uefi[i].certs[k].cert.subject : "");
	return sum;
}

static bool on_salvaged(void *ctx, const vmgs_salvaged *v)
{
	size_t *sum = ctx;
	*sum += strlen(v->name) + v->len + v->role + (v->len ? v->bytes[v->len - 1] : 0);
	return true;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	hv_findings f = { 0 };
	vdisk *vd = NULL;
	if (vdisk_open_mem(data, size, "fuzz.vmgs", VDISK_MEM_BORROW, &vd, &f) == HV_OK) {
		vmgs_file v;
		(void)vmgs_sniff_vdisk(vd);
		(void)vmgs_read(vd, NULL, &v, &f);
		volatile size_t sink = touch_state(&v.current) + touch_state(&v.older);
		for (size_t i = 0; i < v.nfiles; i++)
			sink += strlen(v.files[i].name);
		(void)sink;
		vmgs_free(&v);
		vdisk_close(vd);
	}
	findings_free(&f);
	size_t salvaged = 0;
	(void)vmgs_salvage(span_make(data, size), size, 0, on_salvaged, &salvaged);
	(void)vmgs_salvage(span_make(data, size), size / 2, 0, on_salvaged, &salvaged);
	volatile size_t keep = salvaged;
	(void)keep;
	return 0;
}
