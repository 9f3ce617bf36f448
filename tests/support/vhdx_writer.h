/*
 * vhdx_writer.h - virtual-disk fixture writers for the disk tests and the
 * fuzz seeds: VHDX (dynamic, fixed, differencing with partially present
 * blocks, any sector size), dirty-log entries injected into an existing
 * VHDX, legacy VHD (dynamic and differencing), a GPT builder for any sector
 * size (sfdisk cannot make 4Kn tables in a file), and sparse file output.
 * Layouts follow MS-VHDX and the notes in docs/disk.md s.2-s.4.
 */
#ifndef HVTPM_VHDX_WRITER_H
#define HVTPM_VHDX_WRITER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* ---- VHDX ---- */

typedef struct {
	uint64_t virtual_size;
	uint32_t block_size;          /* 0: 1 MiB */
	uint32_t logical_sector;      /* 0: 512 */
	uint32_t physical_sector;     /* 0: 4096 */
	bool fixed;                   /* every block fully present */
	uint8_t data_write_guid[16];
	uint8_t file_write_guid[16];
	bool has_parent;
	const char *parent_linkage;   /* "{GUID}" */
	const char *parent_linkage2;
	const char *relative_path;
	const char *volume_path;
	const char *absolute_path;
} vhdxw_spec;

/*
 * Writes a VHDX whose virtual disk holds image (image_len bytes, the rest
 * zero).  present: one byte per logical sector, 1 = stored in this file
 * (differencing: the others come from the parent); NULL = every sector of a
 * non-zero block.  Blocks whose sectors are all present are "fully present",
 * some present "partially present" (with a sector bitmap), none "not present".
 */
bool vhdxw_write(const char *path, const vhdxw_spec *s, const uint8_t *image,
		 uint64_t image_len, const uint8_t *present);

/* The DataWriteGuid of the current header of a VHDX file (no validation beyond CRC). */
bool vhdxw_data_write_guid(const char *path, uint8_t out[16]);

/* One log descriptor: a 4 KiB page, or (page NULL) zero_len bytes of zeros. */
typedef struct {
	uint64_t file_offset;
	const uint8_t *page;
	uint64_t zero_len;
} vhdxw_log_desc;

/* Sets LogGuid in both headers (CRC-32C recomputed). */
bool vhdxw_set_log_guid(const char *path, const uint8_t guid[16]);
/*
 * Writes one log entry at byte pos of the log region (wrapping in the
 * ring), with sequence seq and Tail tail, for the given descriptors.
 * guid must be the LogGuid the headers carry.
 */
bool vhdxw_log_entry(const char *path, uint32_t pos, uint64_t seq, uint32_t tail,
		     const vhdxw_log_desc *d, size_t nd, const uint8_t guid[16]);

/* ---- VHD ---- */

typedef struct {
	uint32_t type;                /* 3 dynamic, 4 differencing */
	uint64_t size;                /* current size, a multiple of 512 */
	uint32_t block_size;          /* 0: 2 MiB */
	uint8_t uuid[16];
	uint8_t parent_uuid[16];
	const char *parent_name;
	const char *w2ru;
	const char *w2ku;
} vhdw_spec;

bool vhdw_write(const char *path, const vhdw_spec *s, const uint8_t *image, uint64_t image_len,
		const uint8_t *present);

/* ---- GPT and files ---- */

typedef struct {
	uint64_t first_lba, last_lba;
	const char *type_guid;
	const char *name;
} gptw_part;

/* Protective MBR, primary and backup GPT with 128 entries, for sector size ss. */
bool gptw_build(uint8_t *img, uint64_t len, uint32_t ss, const gptw_part *p, size_t n);
/* The same written into a file of len bytes (created if needed, other bytes untouched). */
bool gptw_write_file(const char *path, uint64_t len, uint32_t ss, const gptw_part *p, size_t n);

/* XORs one byte of a file with x. */
bool tw_poke(const char *path, uint64_t off, uint8_t x);
/* Writes buf to path as a sparse file of exactly len bytes (zero 4 KiB pages skipped). */
bool tw_write_sparse(const char *path, const uint8_t *buf, uint64_t len);

#endif
