/*
 * vhd.h - reader for legacy VHD containers (Virtual PC / Hyper-V 2008):
 * fixed, dynamic and differencing; big-endian.  Layout notes at the top of
 * vhd.c and in docs/disk.md s.3.
 */
#ifndef HVTPM_VHD_H
#define HVTPM_VHD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "formats/vdisk.h"
#include "util/diag.h"

#define VHD_FOOTER_SIZE 512

enum {
	VHD_TYPE_FIXED = 2,
	VHD_TYPE_DYNAMIC = 3,
	VHD_TYPE_DIFFERENCING = 4,
};

typedef struct {
	uint32_t disk_type;
	uint64_t current_size;
	uint64_t original_size;
	uint8_t uuid[16];
	uint32_t timestamp;          /* seconds since 2000-01-01 UTC */
	char creator_app[5];
	char creator_os[5];
	uint32_t creator_version;
	bool footer_from_copy;       /* the footer at the end was bad: copy at 0 used */
	bool footer_checksum_bad;    /* the footer used failed its checksum (kept, best effort) */
	uint64_t bat_offset;
	uint32_t max_table_entries;
	uint32_t block_size;
	uint32_t bitmap_size;        /* bytes before each block's data, a multiple of 512 */
	uint8_t parent_uuid[16];
	uint32_t parent_timestamp;
	char *parent_name;           /* UTF-8 from UTF-16BE */
	char *parent_w2ru;           /* relative Windows path locator, UTF-8 */
	char *parent_w2ku;           /* absolute Windows path locator, UTF-8 */
	bool best_effort;
} vhd_info;

typedef struct vhd vhd;

/* True when the 512 bytes at p are a VHD footer ("conectix"). */
bool vhd_sniff_footer(const uint8_t *p, size_t n);
hv_err vhd_open(vd_file *vf, vhd **out, hv_findings *f);
const vhd_info *vhd_get_info(const vhd *h);
hv_err vhd_map(vhd *h, uint64_t voff, uint64_t len, vd_extent *e, hv_findings *f);
void vhd_close(vhd *h);
const char *vhd_type_name(uint32_t disk_type);

#endif
