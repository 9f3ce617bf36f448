/*
 * vdisk.h - a read-only virtual disk: VHDX, VHD (fixed, dynamic,
 * differencing) or raw, detected by content, with its differencing chain.
 *
 * vdisk_read() returns bytes of the VIRTUAL disk: unallocated and zero
 * blocks read as zeros, blocks absent from a differencing layer come from
 * its parent.  Nothing is ever written: a dirty VHDX log is replayed into
 * an in-memory overlay of the file (see vhdx.h).
 *
 * Two counters let reports say what they relied on without hashing the
 * whole disk: the bytes actually read from the files, and the SHA-256 of
 * every metadata read, in read order, each one hashed as
 *   file-offset (u64 LE) || length (u64 LE) || bytes
 * (container headers, region tables, BATs, bitmaps, logs, and the virtual
 * sectors that partition and BitLocker readers fetch with vdisk_read_meta).
 *
 * Parent files are found through a caller-supplied resolver so that the
 * evidence layer controls the path policy.  vdisk_default_resolver() tries
 * the locator's relative path next to the child, then the absolute path
 * (flagged as outside the evidence tree), then a file-name search in a
 * caller-given list.
 */
#ifndef HVTPM_VDISK_H
#define HVTPM_VDISK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/diag.h"

#define VDISK_MAX_CHAIN 16     /* default depth cap of a differencing chain */

enum {
	VDISK_NOFOLLOW = 1,      /* same value as HV_OPEN_NOFOLLOW: refuse symlinks */
	VDISK_NO_PARENT = 2,     /* open the given layer only; parent reads give zeros */
	VDISK_NO_LOG_REPLAY = 4, /* do not replay a dirty VHDX log (results best effort) */
	VDISK_MEM_BORROW = 8,    /* vdisk_open_mem: use the caller's bytes (must outlive it) */
};

typedef enum {
	VDISK_FMT_RAW = 0,
	VDISK_FMT_VHD,
	VDISK_FMT_VHDX,
} vdisk_format;

typedef enum {
	VDISK_KIND_FIXED = 0,
	VDISK_KIND_DYNAMIC,
	VDISK_KIND_DIFFERENCING,
} vdisk_kind;

/* What a differencing layer says about its parent (UTF-8; NULL when absent). */
typedef struct {
	char *parent_linkage;   /* VHDX "{GUID}" / VHD parent UUID, canonical upper case */
	char *parent_linkage2;  /* VHDX only */
	char *relative_path;    /* as stored, backslashes kept */
	char *volume_path;      /* VHDX "\\?\Volume{...}\..." */
	char *absolute_path;    /* VHDX absolute_win32_path / VHD W2ku locator */
	char *name;             /* VHD parent unicode name */
} vdisk_parent_hint;

/* One file of the chain, leaf first. */
typedef struct {
	char *path;
	vdisk_format format;
	vdisk_kind kind;
	uint64_t file_size;
	char data_write_guid[37];  /* VHDX DataWriteGuid / VHD footer UUID; "" for raw */
	char *parent_linkage;      /* what this layer expects of its parent, or NULL */
	bool ok;                   /* the link to the parent is verified (true for a base) */
	bool outside_tree;         /* the resolver found it outside the evidence tree */
	char *problem;             /* why the link is not ok, or NULL */
} vdisk_layer_info;

/*
 * Resolver: given the child's path and its hint, store a newly allocated
 * path of the parent in *parent_path.  Set *outside_tree when the path lies
 * outside the caller's evidence tree.  Return HV_OK, or an error with a
 * finding explaining what was tried.
 */
typedef hv_err (*vdisk_resolver_fn)(void *ctx, const char *child_path,
				    const vdisk_parent_hint *hint, char **parent_path,
				    bool *outside_tree, hv_findings *f);

/* Context of vdisk_default_resolver: extra files to search by name. */
typedef struct {
	const char *const *files;
	size_t nfiles;
} vdisk_search_list;

hv_err vdisk_default_resolver(void *ctx, const char *child_path,
			      const vdisk_parent_hint *hint, char **parent_path,
			      bool *outside_tree, hv_findings *f);

typedef struct {
	int flags;                  /* VDISK_* */
	vdisk_resolver_fn resolve;  /* NULL: vdisk_default_resolver */
	void *resolve_ctx;          /* for the default resolver: a vdisk_search_list or NULL */
	unsigned max_depth;         /* 0: VDISK_MAX_CHAIN */
} vdisk_opts;

typedef struct vdisk vdisk;

/*
 * Opens a disk read-only.  On HV_OK *out is usable even when the chain is
 * broken (see vdisk_chain_ok); errors of the leaf itself fail the open.
 */
hv_err vdisk_open(const char *path, int flags, vdisk **out, hv_findings *f);
hv_err vdisk_open_ex(const char *path, const vdisk_opts *o, vdisk **out, hv_findings *f);
/*
 * The same for a file the caller has open read-only as fd (a duplicate is
 * kept; the caller keeps fd): the very file it read, whatever its path
 * names now.  path names it in findings and is where parents are looked
 * for; o->flags' VDISK_NOFOLLOW applies to the parents only.
 */
hv_err vdisk_open_fd(int fd, const char *path, const vdisk_opts *o, vdisk **out, hv_findings *f);
/* Same detection on bytes in memory (copied unless VDISK_MEM_BORROW); no parents. */
hv_err vdisk_open_mem(const void *data, size_t len, const char *name, int flags,
		      vdisk **out, hv_findings *f);
void vdisk_close(vdisk *vd);

/*
 * Reads n bytes of the virtual disk at off.  [off, off+n) must lie inside
 * the virtual size (HV_ERR_LIMIT otherwise).  Data that cannot be read
 * (past the end of a file, a corrupt BAT entry, a missing parent) is
 * returned as zeros with HV_ERR_CORRUPT and a finding kept by the vdisk.
 */
hv_err vdisk_read(vdisk *vd, uint64_t off, void *buf, size_t n);
/* Like vdisk_read, and adds the bytes to the metadata SHA-256. */
hv_err vdisk_read_meta(vdisk *vd, uint64_t off, void *buf, size_t n);
/* Moves the findings collected while reading into dst. */
void vdisk_take_findings(vdisk *vd, hv_findings *dst);

uint64_t vdisk_size(const vdisk *vd);
uint32_t vdisk_sector_size(const vdisk *vd);          /* logical: the unit of LBAs */
uint32_t vdisk_physical_sector_size(const vdisk *vd);
/* True when the logical sector size was declared by the container (not raw). */
bool vdisk_sector_size_known(const vdisk *vd);
vdisk_format vdisk_get_format(const vdisk *vd);
const char *vdisk_format_name(vdisk_format fmt);       /* "raw", "vhd", "vhdx" */
const char *vdisk_kind_name(vdisk_kind kind);          /* "fixed", "dynamic", "differencing" */
const char *vdisk_name(const vdisk *vd);               /* path or memory name of the leaf */

size_t vdisk_chain_len(const vdisk *vd);
const vdisk_layer_info *vdisk_chain(const vdisk *vd, size_t i);
/* True when every link of the chain was resolved and verified. */
bool vdisk_chain_ok(const vdisk *vd);
/* "leaf.avhdx (vhdx differencing) -> base.vhdx (vhdx dynamic)"; caller frees. */
char *vdisk_chain_describe(const vdisk *vd);

/* Dirty VHDX log on any layer; entries replayed into the overlay; replay failure. */
bool vdisk_dirty_log(const vdisk *vd);
uint32_t vdisk_log_replayed(const vdisk *vd);
bool vdisk_log_replay_failed(const vdisk *vd);
/* True when something makes the results best effort (log, headers, chain, reads). */
bool vdisk_best_effort(const vdisk *vd);

uint64_t vdisk_bytes_read(const vdisk *vd);
/* Lower-case hex SHA-256 of the metadata read so far (see the top of this file). */
void vdisk_metadata_sha256(const vdisk *vd, char out[65]);

/*
 * ---- For the container readers (vhdx.c, vhd.c): one backing file. ----
 * A vd_file reads bytes of one container file through the optional
 * in-memory overlay, counts them and hashes metadata reads.
 */
typedef struct vd_file vd_file;

/*
 * Reads n bytes at file offset off.  Bytes past the end of the file are
 * zeros and make the result HV_ERR_CORRUPT; HV_ERR_IO on a read error.
 * meta: add the bytes to the metadata SHA-256.
 */
hv_err vd_file_read(vd_file *vf, uint64_t off, void *buf, size_t n, bool meta);
/* Size including the overlay (a replayed log may extend the file). */
uint64_t vd_file_size(const vd_file *vf);
const char *vd_file_name(const vd_file *vf);
/* Overlays len bytes at off (data NULL: zeros).  Later overlays win. */
void vd_file_overlay(vd_file *vf, uint64_t off, const void *data, uint64_t len);
/* Makes reads up to size succeed even past the real end (log LastFileOffset). */
void vd_file_extend(vd_file *vf, uint64_t size);

/* Where a run of virtual bytes comes from, as answered by a container's map. */
typedef enum {
	VD_EXT_FILE = 0,  /* file bytes at file_off */
	VD_EXT_ZERO,      /* zeros */
	VD_EXT_PARENT,    /* the parent layer at the same virtual offset */
	VD_EXT_BAD,       /* unreadable (corrupt mapping): zeros and HV_ERR_CORRUPT */
} vd_ext_kind;

typedef struct {
	vd_ext_kind kind;
	uint64_t file_off;
	uint64_t len;     /* > 0, <= the length asked for */
} vd_extent;

#endif
