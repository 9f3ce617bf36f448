/*
 * source.h - evidence bytes of any size, read-only.
 *
 * A source is either a file or bytes already in memory (an archive member).
 * A file is opened O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC, with
 * O_NOFOLLOW unless links are followed and O_NOATIME where the kernel
 * allows it, and the open descriptor must be a regular file (a FIFO or a
 * device swapped in after the walk looked at the name is refused, never
 * read).  Nothing is ever written.
 *
 * Small files (up to SRC_READ_MAX) are read into memory and hashed in the
 * same pass.  Larger ones are mapped read-only: a reader touches only the
 * pages it looks at, and a sequential pass (src_stream) releases pages
 * behind it, so memory stays bounded whatever the file size; holes of a
 * sparse file are never read (they hash as zeros).  If a mapped file is
 * truncated while it is read, the pages past the new end read as zeros
 * instead of killing the process, and the source says so (src_changed).
 */
#ifndef HVTPM_SOURCE_H
#define HVTPM_SOURCE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/bytes.h"
#include "util/diag.h"

#define SRC_READ_MAX (4u * 1024 * 1024)    /* read whole up to this size; map above */
#define SRC_WINDOW (16u * 1024 * 1024)     /* bytes a sequential pass holds at once */

enum {
	SRC_NOFOLLOW = 1, /* refuse a symbolic link as the last path component */
};

typedef struct hv_source hv_source;

/*
 * Opens path read-only.  display names the file in findings (NULL: path).
 * HV_ERR_IO with a finding when it cannot be opened, is not a regular file
 * or cannot be read.
 */
hv_err src_open(const char *path, const char *display, int flags, hv_source **out,
		hv_findings *f);
/* Bytes in memory, borrowed (they must outlive the source); hashed on demand. */
hv_source *src_mem(const char *display, const uint8_t *data, size_t len);
void src_close(hv_source *s);

const char *src_name(const hv_source *s);
uint64_t src_size(const hv_source *s);
/* True when the source is a mapped file (larger than SRC_READ_MAX). */
bool src_mapped(const hv_source *s);
/* The descriptor of a file source (-1 for memory); owned by the source. */
int src_fd(const hv_source *s);

/*
 * All the bytes as one span.  For a mapped file the span covers the
 * mapping: only the pages a reader touches are read (and stay resident
 * until src_release).
 */
span_t src_span(const hv_source *s);
/* Gives back the pages of a mapped file (a no-op for the others). */
void src_release(hv_source *s);

/*
 * A sequential pass over every byte, window by window: fn is called with
 * consecutive spans of at most SRC_WINDOW bytes (plus `overlap` bytes of
 * look-ahead past the window's end where the file has them) and the
 * window's offset; holes of a sparse file are not passed (is_data false
 * for them is implied: fn sees only data).  The SHA-256 of the whole file
 * is computed in the same pass, holes included.  fn returns false to stop
 * early (then no hash is stored).  Pages are released behind the pass.
 */
typedef bool (*src_window_fn)(void *ctx, span_t window, uint64_t offset, size_t body);
hv_err src_stream(hv_source *s, size_t overlap, src_window_fn fn, void *ctx, hv_findings *f);

/* SHA-256 of every byte (lower-case hex), computed once (a src_stream pass counts). */
hv_err src_sha256(hv_source *s, char hex[65], hv_findings *f);
/* True once a SHA-256 was computed for this source. */
bool src_hashed(const hv_source *s);

/* True when the file shrank or failed while it was being read (pages read as zeros). */
bool src_changed(const hv_source *s);

#endif
