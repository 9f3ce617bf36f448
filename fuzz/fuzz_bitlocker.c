/*
 * fuzz_bitlocker.c - libFuzzer harness for the BitLocker FVE metadata
 * reader: the input is a volume (boot sector at 0, metadata copies at the
 * offsets it names), read through the raw in-memory disk, then decided and
 * rendered as JSON.  Seeds in fuzz/corpus/bitlocker are small synthesized
 * volumes with metadata copies at 4, 12 and 20 KiB.
 */
#include <stdint.h>
#include <stdlib.h>

#include <json-c/json.h>

#include "analysis/survive.h"
#include "formats/bitlocker.h"
#include "formats/vdisk.h"
#include "report/disk_report.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	(void)bde_classify_boot_sector(span_make(data, size));
	hv_findings f = { 0 };
	vdisk *vd = NULL;
	if (vdisk_open_mem(data, size, "fuzz.vol", VDISK_MEM_BORROW, &vd, &f) == HV_OK) {
		bde_volume v;
		hv_err rc = bde_read(vd, 0, size, &v, &f);
		surv_result r;
		survive_volume(&v, rc, &r);
		json_object *j = disk_report_bitlocker_json(&v);
		(void)json_object_to_json_string(j);
		json_object_put(j);
		surv_result_free(&r);
		bde_volume_free(&v);
		vdisk_close(vd);
	}
	findings_free(&f);
	return 0;
}
