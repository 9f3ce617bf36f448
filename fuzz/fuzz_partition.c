/*
 * fuzz_partition.c - libFuzzer harness for the GPT/MBR reader and the
 * boot-sector classification of every partition, on the input taken as a
 * raw disk (sector 512, with the 4096 retry of raw disks).  Seeds in
 * fuzz/corpus/partition are small synthesized disks: GPT with 512 and 4096
 * sectors, a damaged primary GPT, MBR with an extended partition chain.
 */
#include <stdint.h>
#include <stdlib.h>

#include "formats/partition.h"
#include "formats/vdisk.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	hv_findings f = { 0 };
	vdisk *vd = NULL;
	if (vdisk_open_mem(data, size, "fuzz.img", VDISK_MEM_BORROW, &vd, &f) == HV_OK) {
		part_table t;
		(void)part_read(vd, &t, &f);
		for (size_t i = 0; i < t.n; i++) {
			(void)part_class_name(t.v[i].cls);
			(void)part_scheme_name(t.v[i].scheme);
		}
		part_table_free(&t);
		vdisk_take_findings(vd, &f);
		vdisk_close(vd);
	}
	findings_free(&f);
	return 0;
}
