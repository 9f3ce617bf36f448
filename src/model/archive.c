/*
 * archive.c - walk zip, tar(.gz/.bz2/.xz) and 7-Zip archives in memory.
 *
 * Recognition (arc_sniff), by the first bytes only:
 *   zip        "PK\3\4" at 0 (a local file header) or "PK\5\6" (an empty zip)
 *   7-Zip      37 7A BC AF 27 1C at 0
 *   tar        "ustar" at 257 (POSIX "ustar\0" and GNU "ustar  \0")
 *   gzip       1F 8B 08 at 0         } only when a tar is inside: libarchive is
 *   bzip2      "BZh" 1-9 "1AY&SY"    } given no "raw" format, so a compressed
 *   xz         FD "7zXZ" 00 at 0     } single file is no archive here
 * Version-7 tars without the "ustar" magic are not recognised.
 *
 * libarchive is given only these formats and filters, and only filters
 * built into it (never an external gzip/bzip2/xz program).  Caps and their
 * reasons are in archive.h.  Expansion is counted as the bytes read out of
 * members, plus, for archives whose skipped bytes must still be
 * decompressed (compressed tars, 7-Zip), the declared size of members
 * skipped; zip members are skipped by seeking, without decompression.
 */
#include "model/archive.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <archive.h>
#include <archive_entry.h>
#include <openssl/evp.h>

#include "util/fileio.h"
#include "util/strbuf.h"
#include "util/text.h"
#include "util/xalloc.h"

#define TAR_MAGIC_OFF 257
#define FD_BLOCK (1u << 20)          /* read size when streaming an archive file */
#define MEMBER_CHUNK (256u * 1024)   /* growth step when a member's size is not declared */
#define LA_ERRNO_FILE_FORMAT EILSEQ   /* libarchive's ARCHIVE_ERRNO_FILE_FORMAT on Linux */

static const uint8_t MAGIC_ZIP[4] = { 'P', 'K', 3, 4 };
static const uint8_t MAGIC_ZIP_EMPTY[4] = { 'P', 'K', 5, 6 };
static const uint8_t MAGIC_7Z[6] = { '7', 'z', 0xBC, 0xAF, 0x27, 0x1C };
static const uint8_t MAGIC_GZIP[3] = { 0x1F, 0x8B, 0x08 };
static const uint8_t MAGIC_XZ[6] = { 0xFD, '7', 'z', 'X', 'Z', 0x00 };
static const uint8_t MAGIC_BZIP2_BLOCK[6] = { 0x31, 0x41, 0x59, 0x26, 0x53, 0x59 };

typedef enum { SNIFF_NONE = 0, SNIFF_CONTAINER, SNIFF_COMPRESSED } sniff_kind;

/* Shared by an archive and the archives inside it. */
typedef struct {
	const arc_sink *s;
	hv_findings *f;
	uint64_t archive_size;   /* of the outermost archive: the ratio's denominator */
	uint64_t expanded;
	uint64_t entries;
	hv_err stop;             /* a cap refused the rest */
	char *stop_reason;
} budget;

/* ---- recognition --------------------------------------------------------------------- */

static sniff_kind sniff(span_t h)
{
	if (span_eq(h, 0, MAGIC_ZIP, 4) || span_eq(h, 0, MAGIC_ZIP_EMPTY, 4) ||
	    span_eq(h, 0, MAGIC_7Z, 6) || span_eq(h, TAR_MAGIC_OFF, "ustar", 5))
		return SNIFF_CONTAINER;
	if (span_eq(h, 0, MAGIC_GZIP, 3) || span_eq(h, 0, MAGIC_XZ, 6))
		return SNIFF_COMPRESSED;
	uint8_t lvl;
	if (span_eq(h, 0, "BZh", 3) && span_u8(h, 3, &lvl) && lvl >= '1' && lvl <= '9' &&
	    span_eq(h, 4, MAGIC_BZIP2_BLOCK, 6))
		return SNIFF_COMPRESSED;
	return SNIFF_NONE;
}

bool arc_sniff(span_t head)
{
	return sniff(head) != SNIFF_NONE;
}

/* Zip and 7-Zip are read with seeks (central directory, end header). */
static bool wants_seek(span_t h)
{
	return span_eq(h, 0, "PK", 2) || span_eq(h, 0, MAGIC_7Z, 6);
}

static struct archive *reader_new(void)
{
	struct archive *a = archive_read_new();
	if (!a)
		xalloc_die();
	archive_read_support_format_zip(a);
	archive_read_support_format_tar(a);
	archive_read_support_format_7zip(a);
	/* Only filters built into libarchive: never an external program. */
	if (archive_zlib_version())
		archive_read_support_filter_gzip(a);
	if (archive_bzlib_version())
		archive_read_support_filter_bzip2(a);
	if (archive_liblzma_version())
		archive_read_support_filter_xz(a);
	return a;
}

static void format_name(struct archive *a, char *out, size_t n)
{
	const char *base;
	switch (archive_format(a) & ARCHIVE_FORMAT_BASE_MASK) {
	case ARCHIVE_FORMAT_ZIP: base = "zip"; break;
	case ARCHIVE_FORMAT_TAR: base = "tar"; break;
	case ARCHIVE_FORMAT_7ZIP: base = "7-Zip"; break;
	default: base = "archive"; break;
	}
	const char *flt = NULL;
	switch (archive_filter_code(a, 0)) {
	case ARCHIVE_FILTER_GZIP: flt = "gzip"; break;
	case ARCHIVE_FILTER_BZIP2: flt = "bzip2"; break;
	case ARCHIVE_FILTER_XZ: flt = "xz"; break;
	default: break;
	}
	if (flt)
		snprintf(out, n, "%s (%s)", base, flt);
	else
		snprintf(out, n, "%s", base);
}

/* Skipping a member of these archives decompresses it. */
static bool skip_decompresses(struct archive *a)
{
	return archive_filter_code(a, 0) != ARCHIVE_FILTER_NONE ||
	       (archive_format(a) & ARCHIVE_FORMAT_BASE_MASK) == ARCHIVE_FORMAT_7ZIP;
}

static const char *lib_error(struct archive *a)
{
	const char *m = archive_error_string(a);
	return m && *m ? m : "unknown libarchive error";
}

/* ---- names --------------------------------------------------------------------------- */

/* "archive!member", with bytes that are not UTF-8 shown as \xNN. */
static char *member_path(const char *archive, struct archive_entry *ent)
{
	const char *name = archive_entry_pathname_utf8(ent);
	if (!name)
		name = archive_entry_pathname(ent);
	if (!name || !*name)
		name = "(unnamed member)";
	strbuf sb = STRBUF_INIT;
	sb_adds(&sb, archive);
	sb_addc(&sb, '!');
	size_t len = strlen(name);
	for (size_t i = 0; i < len;) {
		size_t n = 1;
		while (n < 4 && i + n < len && ((unsigned char)name[i + n] & 0xC0) == 0x80)
			n++;
		if (utf8_valid(name + i, n)) {
			sb_add(&sb, name + i, n);
			i += n;
		} else {
			sb_addf(&sb, "\\x%02X", (unsigned char)name[i]);
			i++;
		}
	}
	return sb_detach(&sb);
}

/* ---- caps ---------------------------------------------------------------------------- */

static void refuse(budget *b, const char *path, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void refuse(budget *b, const char *path, const char *fmt, ...)
{
	strbuf sb = STRBUF_INIT;
	va_list ap;
	va_start(ap, fmt);
	sb_vaddf(&sb, fmt, ap);
	va_end(ap);
	findings_add(b->f, HV_SEV_ERROR, path, HV_NO_OFFSET, "%s", sb_str(&sb));
	if (b->stop == HV_OK) {
		b->stop = HV_ERR_LIMIT;
		b->stop_reason = sb_detach(&sb);
	}
	sb_free(&sb);
}

/* Checks that more decompressed bytes stay within the caps; refuses otherwise. */
static bool budget_take(budget *b, uint64_t more, const char *path)
{
	if (b->stop != HV_OK)
		return false;
	uint64_t x = b->expanded + more;
	if (x > ARC_TOTAL_CAP) {
		refuse(b, path, "archive expands to more than %llu bytes (cap): refused from this "
				"member on", (unsigned long long)ARC_TOTAL_CAP);
		return false;
	}
	if (x > ARC_RATIO_FLOOR && x / ARC_RATIO_CAP > b->archive_size) {
		refuse(b, path, "archive expands more than %u:1 (%llu bytes from a %llu-byte "
				"archive): refused as an archive bomb from this member on",
		       ARC_RATIO_CAP, (unsigned long long)x, (unsigned long long)b->archive_size);
		return false;
	}
	b->expanded = x;
	return true;
}

/* ---- members ------------------------------------------------------------------------- */

typedef enum { RD_OK = 0, RD_OVER_CAP, RD_REFUSED, RD_DAMAGED, RD_FATAL } read_status;

typedef struct {
	uint8_t *data;
	size_t len, cap;
} membuf;

/*
 * Reads the current member into m, at most limit bytes (the member cap, or
 * ARC_HEAD_BYTES for a member known to be over it).  RD_OVER_CAP: more data
 * followed; m holds the first limit bytes.
 */
static read_status read_data(struct archive *a, budget *b, const char *path, size_t limit,
			     uint64_t declared, membuf *m)
{
	size_t want = declared && declared <= limit ? (size_t)declared : MEMBER_CHUNK;
	if (want > limit)
		want = limit;
	m->data = xmalloc(want + 1);
	m->cap = want;
	m->len = 0;
	for (;;) {
		if (m->len == m->cap) {
			if (m->cap >= limit) {
				uint8_t probe;
				la_ssize_t r = archive_read_data(a, &probe, 1);
				if (r == 0)
					break;
				return r > 0 ? RD_OVER_CAP : r == ARCHIVE_FATAL ? RD_FATAL : RD_DAMAGED;
			}
			size_t nc = m->cap + MEMBER_CHUNK < limit ? m->cap + MEMBER_CHUNK : limit;
			m->data = xrealloc(m->data, nc + 1);
			m->cap = nc;
		}
		la_ssize_t r = archive_read_data(a, m->data + m->len, m->cap - m->len);
		if (r == 0)
			break;
		if (r < 0)
			return r == ARCHIVE_FATAL ? RD_FATAL : RD_DAMAGED;
		if (!budget_take(b, (uint64_t)r, path))
			return RD_REFUSED;
		m->len += (size_t)r;
	}
	m->data[m->len] = 0;
	return RD_OK;
}

static void emit_skipped(budget *b, const char *path, struct archive_entry *ent, hv_err err,
			 const char *reason)
{
	arc_skipped s;
	memset(&s, 0, sizeof s);
	s.path = path;
	s.size_known = archive_entry_size_is_set(ent);
	s.size = s.size_known && archive_entry_size(ent) > 0 ? (uint64_t)archive_entry_size(ent) : 0;
	s.err = err;
	s.reason = reason;
	b->s->skipped(b->s->ctx, &s);
}

/* A member over the member cap: a disk is recorded, anything else refused. */
static void over_cap(budget *b, const char *path, struct archive_entry *ent, const membuf *head)
{
	span_t h = span_make(head->data, head->len);
	arc_skipped s;
	memset(&s, 0, sizeof s);
	s.path = path;
	s.size_known = archive_entry_size_is_set(ent);
	s.size = s.size_known && archive_entry_size(ent) > 0 ? (uint64_t)archive_entry_size(ent) : 0;
	s.vhd = span_eq(h, 0, "conectix", 8);
	s.disk = s.vhd || span_eq(h, 0, "vhdxfile", 8);
	strbuf sb = STRBUF_INIT;
	if (s.disk) {
		sb_addf(&sb, "%s disk image over the %u-byte cap for members read into memory: "
			     "recognised by its first bytes, not hashed", s.vhd ? "VHD" : "VHDX",
			ARC_MEMBER_CAP);
		s.err = HV_OK;
	} else {
		sb_addf(&sb, "member over the %u-byte cap for members read into memory: not read",
			ARC_MEMBER_CAP);
		s.err = HV_ERR_LIMIT;
		findings_add(b->f, HV_SEV_ERROR, path, HV_NO_OFFSET, "%s", sb_str(&sb));
	}
	s.reason = sb_str(&sb);
	b->s->skipped(b->s->ctx, &s);
	sb_free(&sb);
}

typedef enum { FIRST_ENTRY = 0, FIRST_EOF, FIRST_NONE, FIRST_DAMAGED } first_status;

/*
 * Opens the archive (callbacks already set) and reads its first header.
 * FIRST_NONE: no archive after all (compressed data without a tar inside).
 */
static first_status open_first(struct archive *a, int open_rc, sniff_kind k,
			       struct archive_entry **ent, arc_result *r)
{
	int rc = open_rc == ARCHIVE_OK ? archive_read_next_header(a, ent) : open_rc;
	if (rc == ARCHIVE_OK || rc == ARCHIVE_WARN || rc == ARCHIVE_EOF) {
		format_name(a, r->format, sizeof r->format);
		return rc == ARCHIVE_EOF ? FIRST_EOF : FIRST_ENTRY;
	}
	/* Decompressed fine but no tar inside: no archive.  A stream that cannot be
	 * decompressed (truncated, corrupt) is a damaged archive, not a plain file. */
	if (k == SNIFF_COMPRESSED && archive_errno(a) == LA_ERRNO_FILE_FORMAT)
		return FIRST_NONE;
	format_name(a, r->format, sizeof r->format);
	r->status = HV_ERR_CORRUPT;
	r->reason = xstrdup(lib_error(a));
	return FIRST_DAMAGED;
}

static void walk_entries(struct archive *a, const char *path, int depth, budget *b,
			 arc_result *r, struct archive_entry *first);

/* Opens an archive held in memory; false when it is none (nothing was reported). */
static bool nested_try(const char *path, const uint8_t *data, size_t len, int depth, budget *b)
{
	sniff_kind k = sniff(span_make(data, len));
	struct archive *a = reader_new();
	struct archive_entry *ent = NULL;
	arc_result r;
	memset(&r, 0, sizeof r);
	first_status fs = open_first(a, archive_read_open_memory(a, data, len), k, &ent, &r);
	if (fs == FIRST_NONE) {
		archive_read_free(a);
		return false;
	}
	size_t h = b->s->nested_begin(b->s->ctx, path, data, len, r.format);
	if (fs == FIRST_DAMAGED)
		findings_add(b->f, HV_SEV_ERROR, path, HV_NO_OFFSET, "archive cannot be read: %s",
			     r.reason);
	else
		walk_entries(a, path, depth, b, &r, fs == FIRST_ENTRY ? ent : NULL);
	archive_read_free(a);
	b->s->nested_end(b->s->ctx, h, &r);
	arc_result_free(&r);
	return true;
}

/* A member read whole: an archive to open, one too deep, or a file. */
static void deliver(budget *b, const char *path, int depth, const membuf *m)
{
	span_t s = span_make(m->data, m->len);
	if (arc_sniff(s)) {
		if (depth < ARC_MAX_DEPTH) {
			if (nested_try(path, m->data, m->len, depth + 1, b))
				return;
		} else if (sniff(s) == SNIFF_CONTAINER) {
			arc_skipped k;
			memset(&k, 0, sizeof k);
			k.path = path;
			k.size = m->len;
			k.size_known = true;
			k.err = HV_ERR_LIMIT;
			k.reason = "archive nested deeper than one level: not opened";
			findings_add(b->f, HV_SEV_ERROR, path, HV_NO_OFFSET, "%s", k.reason);
			b->s->skipped(b->s->ctx, &k);
			return;
		}
	}
	b->s->file(b->s->ctx, path, m->data, m->len);
}

/* Handles one regular member; false when the archive cannot go on. */
static bool regular_member(struct archive *a, budget *b, const char *path,
			   struct archive_entry *ent, int depth, arc_result *r)
{
	bool known = archive_entry_size_is_set(ent);
	int64_t sz = known ? archive_entry_size(ent) : 0;
	uint64_t declared = sz > 0 ? (uint64_t)sz : 0;
	bool big = known && declared > ARC_MEMBER_CAP;
	if (big && skip_decompresses(a) && !budget_take(b, declared, path))
		return false; /* skipping it would decompress past a cap */
	membuf m = { NULL, 0, 0 };
	read_status st = read_data(a, b, path, big ? ARC_HEAD_BYTES : ARC_MEMBER_CAP, declared, &m);
	bool go_on = true;
	switch (st) {
	case RD_OK:
		if (big) /* the header said more than there was: read it as it is */
			findings_add(b->f, HV_SEV_WARN, path, HV_NO_OFFSET,
				     "member declares %llu bytes but holds %zu",
				     (unsigned long long)declared, m.len);
		r->members++;
		deliver(b, path, depth, &m);
		break;
	case RD_OVER_CAP:
		over_cap(b, path, ent, &m);
		break;
	case RD_REFUSED:
		emit_skipped(b, path, ent, HV_ERR_LIMIT, b->stop_reason);
		go_on = false;
		break;
	case RD_DAMAGED:
	case RD_FATAL:
		findings_add(b->f, HV_SEV_ERROR, path, HV_NO_OFFSET, "member cannot be read: %s",
			     lib_error(a));
		emit_skipped(b, path, ent, HV_ERR_CORRUPT, lib_error(a));
		go_on = st == RD_DAMAGED;
		if (!go_on) {
			r->status = HV_ERR_CORRUPT;
			free(r->reason);
			r->reason = xstrdup(lib_error(a));
		}
		break;
	}
	free(m.data);
	return go_on;
}

/* Entries that are not regular files: reported, never followed. */
static void special_member(budget *b, const char *path, struct archive_entry *ent)
{
	strbuf sb = STRBUF_INIT;
	const char *hl = archive_entry_hardlink(ent);
	if (hl)
		sb_addf(&sb, "hard link to %s: not read again", hl);
	else if (archive_entry_filetype(ent) == AE_IFLNK)
		sb_addf(&sb, "symbolic link to %s: not followed",
			archive_entry_symlink(ent) ? archive_entry_symlink(ent) : "(nothing)");
	else
		sb_adds(&sb, "not a regular file (device, FIFO or socket): skipped");
	findings_add(b->f, HV_SEV_WARN, path, HV_NO_OFFSET, "%s", sb_str(&sb));
	emit_skipped(b, path, ent, HV_OK, sb_str(&sb));
	sb_free(&sb);
}

static bool one_entry(struct archive *a, const char *apath, int depth, budget *b,
		      arc_result *r, struct archive_entry *ent)
{
	if (++b->entries > ARC_MAX_MEMBERS) {
		refuse(b, apath, "archive holds more than %u entries (cap): the rest is not read",
		       ARC_MAX_MEMBERS);
		return false;
	}
	r->entries++;
	unsigned type = archive_entry_filetype(ent);
	if (type == AE_IFDIR)
		return true;
	char *path = member_path(apath, ent);
	bool go_on = true;
	if (archive_entry_hardlink(ent) || type != AE_IFREG) {
		special_member(b, path, ent);
	} else if (archive_entry_is_encrypted(ent)) {
		const char *why = "encrypted member: not read (no archive passwords are tried)";
		findings_add(b->f, HV_SEV_ERROR, path, HV_NO_OFFSET, "%s", why);
		emit_skipped(b, path, ent, HV_ERR_UNSUPPORTED, why);
	} else {
		go_on = regular_member(a, b, path, ent, depth, r);
	}
	free(path);
	return go_on;
}

static void walk_entries(struct archive *a, const char *path, int depth, budget *b,
			 arc_result *r, struct archive_entry *first)
{
	uint64_t before = b->expanded;
	struct archive_entry *ent = first;
	while (ent && one_entry(a, path, depth, b, r, ent)) {
		int rc = archive_read_next_header(a, &ent);
		if (rc == ARCHIVE_EOF)
			break;
		if (rc != ARCHIVE_OK && rc != ARCHIVE_WARN) {
			r->status = HV_ERR_CORRUPT;
			free(r->reason);
			r->reason = xstrdup(lib_error(a));
			findings_add(b->f, HV_SEV_ERROR, path, HV_NO_OFFSET,
				     "archive damaged after %llu entries: %s; the rest is not read",
				     (unsigned long long)r->entries, r->reason);
			break;
		}
	}
	r->expanded = b->expanded - before;
	if (b->stop != HV_OK && r->status == HV_OK) {
		r->status = b->stop;
		r->reason = xstrdup(b->stop_reason);
	}
}

/* ---- entry points -------------------------------------------------------------------- */

static void budget_init(budget *b, const arc_sink *s, hv_findings *f, uint64_t size)
{
	memset(b, 0, sizeof *b);
	b->s = s;
	b->f = f;
	b->archive_size = size;
}

/* Walks an opened archive from its first header; false when it is no archive. */
static bool walk_top(struct archive *a, int open_rc, sniff_kind k, const char *path,
		     uint64_t size, const arc_sink *s, arc_result *r, hv_findings *f)
{
	struct archive_entry *ent = NULL;
	first_status fs = open_first(a, open_rc, k, &ent, r);
	if (fs == FIRST_NONE)
		return false;
	if (fs == FIRST_DAMAGED) {
		findings_add(f, HV_SEV_ERROR, path, HV_NO_OFFSET, "archive cannot be read: %s",
			     r->reason);
		return true;
	}
	budget b;
	budget_init(&b, s, f, size);
	walk_entries(a, path, 0, &b, r, fs == FIRST_ENTRY ? ent : NULL);
	free(b.stop_reason);
	return true;
}

hv_err arc_walk_mem(const char *path, const uint8_t *data, size_t len, const arc_sink *s,
		    arc_result *r, hv_findings *f)
{
	memset(r, 0, sizeof *r);
	sniff_kind k = sniff(span_make(data, len));
	if (k == SNIFF_NONE)
		return HV_ERR_FORMAT;
	struct archive *a = reader_new();
	bool ok = walk_top(a, archive_read_open_memory(a, data, len), k, path, len, s, r, f);
	archive_read_free(a);
	if (!ok)
		arc_result_free(r);
	return ok ? HV_OK : HV_ERR_FORMAT;
}

/* ---- streaming from a file descriptor ------------------------------------------------ */

typedef struct {
	int fd;
	uint64_t size, pos;
	uint8_t *buf;
	EVP_MD_CTX *md;          /* NULL when the walk seeks: hashed in a second pass */
	bool failed;
	int err;
} fd_src;

static la_ssize_t fd_read(struct archive *a, void *ctx, const void **out)
{
	fd_src *s = ctx;
	long long n = hv_pread_full(s->fd, s->buf, FD_BLOCK, s->pos);
	if (n < 0) {
		s->failed = true;
		s->err = errno;
		archive_set_error(a, s->err, "read failed: %s", strerror(s->err));
		return ARCHIVE_FATAL;
	}
	if (s->md && n > 0)
		EVP_DigestUpdate(s->md, s->buf, (size_t)n);
	s->pos += (uint64_t)n;
	*out = s->buf;
	return (la_ssize_t)n;
}

static la_int64_t fd_seek(struct archive *a, void *ctx, la_int64_t off, int whence)
{
	fd_src *s = ctx;
	int64_t base = whence == SEEK_SET ? 0 : whence == SEEK_CUR ? (int64_t)s->pos
								   : (int64_t)s->size;
	if ((off > 0 && base > INT64_MAX - off) || base + off < 0 ||
	    (uint64_t)(base + off) > s->size) {
		archive_set_error(a, EINVAL, "seek outside the file");
		return ARCHIVE_FATAL;
	}
	s->pos = (uint64_t)(base + off);
	return (la_int64_t)s->pos;
}

/* Hashes from offset from to the end into md (a running hash, or a fresh one). */
static bool hash_rest(fd_src *s, uint64_t from, char out[65])
{
	EVP_MD_CTX *md = s->md;
	bool fresh = md == NULL;
	if (fresh) {
		md = EVP_MD_CTX_new();
		if (!md || !EVP_DigestInit_ex(md, EVP_sha256(), NULL)) {
			EVP_MD_CTX_free(md);
			return false;
		}
	}
	uint64_t pos = from;
	bool ok = true;
	for (;;) {
		long long n = hv_pread_full(s->fd, s->buf, FD_BLOCK, pos);
		if (n < 0) {
			ok = false;
			break;
		}
		if (n == 0)
			break;
		EVP_DigestUpdate(md, s->buf, (size_t)n);
		pos += (uint64_t)n;
	}
	uint8_t dig[32];
	unsigned int dl = 32;
	if (ok && EVP_DigestFinal_ex(md, dig, &dl))
		hv_sha256_hex(dig, out);
	else
		ok = false;
	if (fresh)
		EVP_MD_CTX_free(md);
	return ok;
}

hv_err arc_walk_fd(const char *path, int fd, uint64_t size, const arc_sink *s, arc_result *r,
		   hv_findings *f)
{
	memset(r, 0, sizeof *r);
	uint8_t head[ARC_SNIFF_BYTES];
	long long hn = hv_pread_full(fd, head, sizeof head, 0);
	if (hn <= 0)
		return HV_ERR_FORMAT;
	span_t h = span_make(head, (size_t)hn);
	sniff_kind k = sniff(h);
	if (k == SNIFF_NONE)
		return HV_ERR_FORMAT;
	bool seekable = wants_seek(h);
	fd_src src = { fd, size, 0, xmalloc(FD_BLOCK), NULL, false, 0 };
	if (!seekable) { /* read front to back once: hash in the same pass */
		src.md = EVP_MD_CTX_new();
		if (src.md && !EVP_DigestInit_ex(src.md, EVP_sha256(), NULL)) {
			EVP_MD_CTX_free(src.md);
			src.md = NULL;
		}
	}
	struct archive *a = reader_new();
	if (seekable)
		archive_read_set_seek_callback(a, fd_seek);
	int orc = archive_read_open(a, &src, NULL, fd_read, NULL);
	bool ok = walk_top(a, orc, k, path, size, s, r, f);
	archive_read_free(a);
	if (ok) {
		if (src.failed && r->status == HV_OK) {
			r->status = HV_ERR_IO;
			r->reason = xstrdup(strerror(src.err));
		}
		r->hashed = hash_rest(&src, src.md ? src.pos : 0, r->sha256);
	} else {
		arc_result_free(r);
	}
	EVP_MD_CTX_free(src.md);
	free(src.buf);
	return ok ? HV_OK : HV_ERR_FORMAT;
}

void arc_result_free(arc_result *r)
{
	free(r->reason);
	memset(r, 0, sizeof *r);
}
