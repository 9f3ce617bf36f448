/*
 * collect.h - read every piece of evidence and group it per VM.
 *
 * The collector walks the paths it is given (and, for audit, archive
 * members handed to it in memory), recognises each file by its content,
 * runs the matching reader, and records in the evidence set: the file with
 * its SHA-256, the certificates it holds, the key protectors it contains,
 * and the VM it belongs to.  collector_finish() then ties guest state
 * files, runtime state files and key protector dumps to their VMs.
 *
 * Nothing here prints or decides: the analysis reads the evidence set.
 */
#ifndef HVTPM_COLLECT_H
#define HVTPM_COLLECT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "model/evidence.h"
#include "util/passwords.h"

/* Files up to this size are read whole (and hashed in the same pass). */
#define COLLECT_WHOLE_CAP (64u * 1024 * 1024)

typedef struct {
	const hv_passwords *pw;   /* PFX password candidates, may be NULL */
	bool follow_symlinks;
	size_t whole_cap;         /* 0: COLLECT_WHOLE_CAP */
	bool open_archives;       /* read zip/tar/7z members in memory (model/archive.h) */
	/* PFX files are opened on this many worker threads, their results entered
	 * in file order at collector_finish(); 0: opened in place, one by one. */
	unsigned pfx_threads;
	/* Called after each file (for progress lines); may be NULL. */
	void (*progress)(void *ctx, const char *path, uint64_t bytes);
	void *progress_ctx;
} collect_opts;

typedef struct collector collector;

collector *collector_new(evidence *e, const collect_opts *o);
/* Walks files and directories. */
void collector_add_paths(collector *c, char *const *paths, size_t n);
/* One file whose bytes are already in memory (an archive member). */
void collector_add_mem(collector *c, const char *path, const uint8_t *data, size_t len);
/* Ties loose evidence to VMs and frees the collector. */
void collector_finish(collector *c);

#endif
