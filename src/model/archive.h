/*
 * archive.h - evidence inside archives, read in memory through libarchive.
 *
 * Formats opened (recognised by content, never by name): zip (as written by
 * Compress-Archive and by Info-ZIP), tar (POSIX ustar/pax and GNU), 7-Zip,
 * and tar compressed with gzip, bzip2 or xz.  Nothing is ever extracted:
 * each regular member is read into memory and handed to the caller under
 * the name "ARCHIVE!MEMBER" (the member name as stored, so absolute names
 * and ".." stay visible; libarchive turns the '\' separators of zips
 * written on Windows into '/').
 *
 * Caps against archive bombs, all counted per archive named on the command
 * line or found in a folder, nested archives included:
 *
 *   ARC_MEMBER_CAP    a member larger than this is not read: its first
 *                     ARC_HEAD_BYTES are looked at (a VHDX or dynamic VHD is
 *                     recognised and recorded as a disk) and the rest is
 *                     skipped; any other member over the cap is refused
 *   ARC_TOTAL_CAP     bytes decompressed in all; over it the archive is
 *                     refused from that point on
 *   ARC_RATIO_CAP     bytes decompressed per byte of archive; checked once
 *                     ARC_RATIO_FLOOR bytes were decompressed, so that small
 *                     archives of highly compressible configurations pass
 *   ARC_MAX_MEMBERS   entries read
 *   ARC_MAX_DEPTH     an archive inside an archive is opened from memory;
 *                     one inside that is reported, not opened
 *
 * A refusal is a finding naming the archive and the member plus an event
 * for the caller; the walk of other evidence goes on.  Links, devices and
 * encrypted members are reported and skipped.  A file whose first bytes
 * look like gzip/bzip2/xz but which decompresses to no tar is no archive
 * here (HV_ERR_FORMAT, nothing reported): the caller reads it as a plain
 * file.  One whose stream cannot be decompressed (a half-written backup) is
 * a damaged archive: an error is reported.
 */
#ifndef HVTPM_ARCHIVE_H
#define HVTPM_ARCHIVE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/bytes.h"
#include "util/diag.h"

#define ARC_MEMBER_CAP (64u * 1024 * 1024)      /* members are held whole in memory */
#define ARC_TOTAL_CAP (1024ull * 1024 * 1024)
#define ARC_RATIO_CAP 100u
#define ARC_RATIO_FLOOR (64ull * 1024 * 1024)
#define ARC_MAX_MEMBERS 100000u
#define ARC_MAX_DEPTH 1
#define ARC_HEAD_BYTES 4096u                    /* read of a member over the cap */
#define ARC_SNIFF_BYTES 512u                    /* bytes arc_sniff wants to see */

/* A member recorded without its content. */
typedef struct {
	const char *path;     /* "archive!member" */
	uint64_t size;        /* as the entry header says (0 when unknown) */
	bool size_known;
	bool disk;            /* over the cap, but its first bytes are a disk image */
	bool vhd;             /* ... a VHD (dynamic or differencing); else VHDX */
	hv_err err;           /* HV_OK for links, devices and disks; the refusal otherwise */
	const char *reason;   /* one line */
} arc_skipped;

typedef struct {
	char format[48];      /* "zip", "tar (gzip)", "7-Zip" ... */
	uint64_t entries;     /* entries seen, directories included */
	uint64_t members;     /* regular members read whole */
	uint64_t expanded;    /* bytes decompressed (this archive and those inside it) */
	hv_err status;        /* HV_OK, or why the walk stopped early */
	char *reason;         /* one line when status != HV_OK */
	bool hashed;          /* sha256 holds the hash of the archive file (arc_walk_fd) */
	char sha256[65];
} arc_result;

/* What the caller does with what is found; ctx is passed back. */
typedef struct {
	/* A regular member read whole (not an archive, or an archive nested too deep). */
	void (*file)(void *ctx, const char *path, const uint8_t *data, size_t len);
	/* An archive inside the archive, about to be opened; returns a handle for end. */
	size_t (*nested_begin)(void *ctx, const char *path, const uint8_t *data, size_t len,
			       const char *format);
	/* The nested archive is done (or was refused); r says how it went. */
	void (*nested_end)(void *ctx, size_t handle, const arc_result *r);
	/* A member not read: link, device, encrypted, over a cap, too deeply nested. */
	void (*skipped)(void *ctx, const arc_skipped *s);
	void *ctx;
} arc_sink;

/*
 * True when head (at least the first ARC_SNIFF_BYTES of a file, or all of a
 * shorter one) starts like an archive this module opens.  A hint only:
 * arc_walk_* decide.
 */
bool arc_sniff(span_t head);

/*
 * Walks the archive held in data (an archive file loaded whole).  Findings
 * name path and the member.  Returns HV_ERR_FORMAT, having called nothing,
 * when data is no archive after all; otherwise HV_OK (r->status says
 * whether a cap or damage stopped the walk early).  Free r with
 * arc_result_free in every case.
 */
hv_err arc_walk_mem(const char *path, const uint8_t *data, size_t len, const arc_sink *s,
		    arc_result *r, hv_findings *f);

/*
 * The same for an archive file too large to load (size bytes on fd, which
 * is read from offset 0 and not closed).  The file's SHA-256 is computed
 * in the same pass for tar-based archives; zip and 7-Zip are read with
 * seeks, so their hash takes a second sequential pass.
 */
hv_err arc_walk_fd(const char *path, int fd, uint64_t size, const arc_sink *s, arc_result *r,
		   hv_findings *f);

void arc_result_free(arc_result *r);

#endif
