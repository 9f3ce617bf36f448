/*
 * fuzz_vhdx.c - libFuzzer harness for the virtual-disk layer (VHDX with log
 * replay, VHD, raw) and everything read through it: partitions, BitLocker
 * metadata, the survivability decision and the JSON report.
 *
 * A VHDX is at least a few MiB, mostly zeros, so inputs may be sparse:
 *   "HVSP" | u32 image size (<= FUZZ_MAX_IMAGE) | records { u32 offset,
 *   u16 length, bytes }
 * places the records into a zeroed image of that size.  Any other input is
 * used as the file itself.  Seeds in fuzz/corpus/vhdx are synthesized.
 */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "analysis/survive.h"
#include "support/disk_check.h"
#include "formats/vdisk.h"
#include "report/disk_report.h"
#include "util/bytes.h"

#define FUZZ_MAX_IMAGE (8u * 1024 * 1024)
#define SPARSE_MAGIC "HVSP"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Builds the sparse image; NULL when the input is not in the sparse form. */
static uint8_t *sparse_image(const uint8_t *data, size_t size, size_t *len)
{
	if (size < 8 || memcmp(data, SPARSE_MAGIC, 4) != 0)
		return NULL;
	uint32_t n = ld32le(data + 4);
	if (n == 0 || n > FUZZ_MAX_IMAGE)
		return NULL;
	uint8_t *img = calloc(1, n);
	if (!img)
		return NULL;
	size_t p = 8;
	while (size - p >= 6) {
		uint32_t off = ld32le(data + p);
		uint16_t l = ld16le(data + p + 4);
		p += 6;
		if (l > size - p)
			l = (uint16_t)(size - p);
		if (off < n)
			memcpy(img + off, data + p, l < n - off ? l : n - off);
		p += l;
	}
	*len = n;
	return img;
}

static void exercise(vdisk *vd)
{
	uint8_t buf[8192];
	uint64_t sz = vdisk_size(vd);
	uint64_t at[4] = { 0, sz / 2, sz > sizeof buf ? sz - sizeof buf : 0, 1024 * 1024 };
	for (int i = 0; i < 4; i++) {
		size_t n = sz - at[i] < sizeof buf ? (size_t)(sz - at[i]) : sizeof buf;
		if (at[i] <= sz)
			(void)vdisk_read(vd, at[i], buf, n);
	}
	hv_findings f = { 0 };
	disk_check a;
	(void)disk_check_read(vd, &a, &f);
	json_object *j = disk_report_json(&a.f, &a.s);
	(void)json_object_to_json_string(j);
	json_object_put(j);
	disk_check_free(&a);
	findings_free(&f);
}

/* Opens and exercises; returns whether the disk had a dirty log. */
static bool run(const uint8_t *src, size_t len, int flags)
{
	hv_findings f = { 0 };
	vdisk *vd = NULL;
	bool dirty = false;
	if (vdisk_open_mem(src, len, "fuzz.vhdx", flags | VDISK_MEM_BORROW, &vd, &f) == HV_OK) {
		dirty = vdisk_dirty_log(vd);
		exercise(vd);
		free(vdisk_chain_describe(vd));
		vdisk_close(vd);
	}
	findings_free(&f);
	return dirty;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	size_t len = size;
	uint8_t *img = sparse_image(data, size, &len);
	const uint8_t *src = img ? img : data;
	if (run(src, len, 0))
		(void)run(src, len, VDISK_NO_LOG_REPLAY);
	free(img);
	return 0;
}
