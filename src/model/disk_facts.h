/*
 * disk_facts.h - what hvtpm read of a virtual disk: the container (VHDX,
 * VHD, raw), its differencing chain, the partition table and the BitLocker
 * metadata of every BitLocker partition.  Facts only: whether the data
 * survives a rebuild is decided by analysis/survive.h.
 *
 * Only metadata is read (headers, BATs, logs, partition tables, FVE
 * blocks); metadata_sha256 covers exactly those bytes (see vdisk.h).
 */
#ifndef HVTPM_DISK_FACTS_H
#define HVTPM_DISK_FACTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "formats/bitlocker.h"
#include "formats/partition.h"
#include "formats/vdisk.h"
#include "util/diag.h"

/* One file of the differencing chain, leaf first (a copy of vdisk_layer_info). */
typedef struct {
	char *path;
	vdisk_format format;
	vdisk_kind kind;
	uint64_t file_size;
	char data_write_guid[37];
	char *parent_linkage;
	bool ok;
	bool outside_tree;
	char *problem;
} disk_layer;

typedef struct {
	vdisk_format format;
	vdisk_kind kind;
	uint64_t virtual_size;
	uint32_t logical_sector_size, physical_sector_size;
	bool dirty_log;
	uint32_t log_replayed;
	bool log_replay_failed;
	bool best_effort;
	bool chain_ok;
	disk_layer *chain;
	size_t nchain;
	uint64_t bytes_read;
	char metadata_sha256[65];
	hv_err parts_rc;         /* result of reading the partition table */
	part_table parts;
	bde_volume *vols;        /* parts.n entries; boot_kind EMPTY when not BitLocker */
	hv_err *vol_rc;          /* parts.n entries; HV_ERR_FORMAT when not read */
} disk_facts;

/*
 * Reads the partition table of vd and the FVE metadata of every BitLocker
 * partition, and copies the container facts.  Findings of vd's reads move
 * into f.  Returns the partition table's result; *out is always filled.
 */
hv_err disk_facts_read(vdisk *vd, disk_facts *out, hv_findings *f);
void disk_facts_free(disk_facts *d);

#endif
