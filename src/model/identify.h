/*
 * identify.h - what a file is, decided in one place for every command.
 *
 * One table of formats (libarchive style): each row has a stable id, a
 * description, a bid (how sure it is, from the first and last bytes, the
 * size and the name) and a reader.  identify_read() asks every row, lets
 * the best bidders read in order until one accepts the bytes, and falls
 * back to scanning for embedded HyperVStorage repositories and key
 * protector documents.  A file that nothing accepts is unrecognised, or
 * damaged when its name claims a format (a .vmcx, .vmrs, .vmgs, .vhdx,
 * .pfx ... that does not read as one).
 *
 * inspect, diagnose and audit all read through here, so they always agree
 * on what a file is.
 */
#ifndef HVTPM_IDENTIFY_H
#define HVTPM_IDENTIFY_H

#include <stdbool.h>
#include <stddef.h>

#include "model/facts.h"
#include "util/passwords.h"
#include "util/source.h"

#define IDENTIFY_HEAD 65536u   /* bytes the bids see at the start of a file */
#define IDENTIFY_TAIL 512u     /* ... and at its end */

struct pfx_cache;

typedef struct {
	const hv_passwords *pw;   /* PFX password candidates (may be NULL) */
	struct pfx_cache *pfx_cache; /* byte-identical PFX copies opened once (NULL: each) */
	bool keep;                /* keep every detail for inspect (parsed certificates,
				     saved-form layers, container facts) */
	bool tree;                /* keep the configuration tree too */
	bool follow_symlinks;     /* a disk's differencing parents may be reached through links */
} identify_opts;

/* What the bids see. */
typedef struct {
	span_t head;              /* the first IDENTIFY_HEAD bytes (or the whole file) */
	span_t tail;              /* the last IDENTIFY_TAIL bytes */
	uint64_t size;
	const char *name;         /* the file's base name (of the member inside an archive) */
} identify_view;

/* A row of the table. */
typedef struct format_row {
	const char *id;           /* stable identifier, e.g. "hyperv_storage" */
	const char *description;  /* for people */
	ev_kind kind;
	const char *const *extensions; /* names that claim this format (lower case, no dot) */
	int (*bid)(const identify_view *v);   /* 0: not mine; higher: more certain */
	/* Reads the source into out; HV_ERR_FORMAT when the bytes are not this
	 * format after all (the next bidder tries).  Any other result means the
	 * row took the file (out says whether it is usable). */
	hv_err (*read)(hv_source *s, const identify_opts *o, file_facts *out);
	const char *const *names;      /* whole base names that claim it (NULL: none) */
} format_row;

/* The table, in a fixed order (ties in bids go to the earlier row). */
const format_row *identify_rows(size_t *n);
/* The row with this id, or NULL. */
const format_row *identify_row(const char *id);

/* The row whose names include the file's base name, else whose extensions include
 * its extension, or NULL. */
const format_row *identify_claimed(const char *name, size_t member_at);

/* True when the file looks like an archive the pipeline opens (zip, tar, 7z ...). */
bool identify_is_archive(const identify_view *v);
/* Fills the view of a source (head and tail spans point into it). */
void identify_view_of(hv_source *s, const char *name, identify_view *v);

/*
 * Recognises and reads one source (not an archive: the pipeline walks those
 * itself); out must be facts_init()ed.  The SHA-256 of the source is
 * always set (for a large disk image, of the metadata read, as said by
 * sha256_metadata).
 */
void identify_read(hv_source *s, const char *name, const identify_opts *o, file_facts *x);

#endif
