/*
 * fileio.h - read evidence files, read-only, with a size cap, hashing as we go.
 *
 * Evidence is never written: files are opened O_RDONLY (with O_NOATIME where
 * the kernel allows it), and the SHA-256 of every byte read is computed in
 * the same pass so reports can name exactly what they relied on.
 */
#ifndef HVTPM_FILEIO_H
#define HVTPM_FILEIO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/diag.h"

/* Default cap for files loaded whole (configs, KP dumps, PFX, XML). */
#define HV_LOAD_CAP_DEFAULT (256u * 1024 * 1024)

typedef struct {
	uint8_t *data;
	size_t len;
	uint8_t sha256[32];
	char sha256_hex[65];
} hv_blob;

enum {
	HV_OPEN_NOFOLLOW = 1, /* refuse a symbolic link as the final component */
};

/*
 * Loads the whole file.  Fails with HV_ERR_LIMIT when larger than cap,
 * HV_ERR_IO when it cannot be opened/read or is not a regular file.
 * A finding naming the file is added on failure.
 */
hv_err hv_file_load(const char *path, size_t cap, int flags, hv_blob *out, hv_findings *f);
/* Wraps bytes already in memory (e.g. an archive member); copies them. */
void hv_blob_from_mem(hv_blob *out, const void *data, size_t len);
void hv_blob_free(hv_blob *b);

/* Opens read-only for random access (large disks); returns fd or -1. */
int hv_open_ro(const char *path, int flags, hv_findings *f);
/* pread that retries short reads; returns bytes read (short only at EOF) or -1. */
long long hv_pread_full(int fd, void *buf, size_t n, uint64_t off);

void hv_sha256(const void *data, size_t len, uint8_t out[32]);
void hv_sha256_hex(const uint8_t dig[32], char out[65]);

#endif
