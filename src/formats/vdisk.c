/*
 * vdisk.c - the virtual-disk layer: format detection, the differencing
 * chain, reads through it, counters and the metadata hash.
 *
 * Detection by content, in this order:
 *   "vhdxfile" at offset 0                      -> VHDX (vhdx.c)
 *   "conectix" in the last 512 bytes, or at 0   -> VHD (vhd.c)
 *   anything else                               -> raw (virtual size = file size)
 *
 * Chain: a differencing layer names its parent (VHDX parent locator, VHD
 * parent locators); the resolver turns that into a path, the parent is
 * opened and the link verified (VHDX parent_linkage == parent DataWriteGuid,
 * VHD parent UUID == parent footer UUID).  A broken link is reported in the
 * layer's `problem` and keeps the chain usable best effort: a mismatching
 * parent is still read, a missing one reads as zeros with HV_ERR_CORRUPT.
 * Depth is capped (VDISK_MAX_CHAIN by default) and a file met twice (same
 * device and inode) is a cycle.
 *
 * Metadata hash records: 'F' || file-offset || length || bytes for container
 * metadata (vd_file_read with meta), 'V' || virtual-offset || length || bytes
 * for vdisk_read_meta; offsets and lengths u64 little-endian.
 */
#include "formats/vdisk.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "formats/vhd.h"
#include "formats/vhdx.h"
#include "util/bytes.h"
#include "util/fileio.h"
#include "util/strbuf.h"
#include "util/text.h"
#include "util/xalloc.h"

#define VDISK_HARD_MAX_CHAIN 64      /* cap on max_depth whatever the caller asks */
#define VDISK_MAX_READ_FINDINGS 32   /* findings kept from reads, then one summary */
#define VDISK_SNIFF_LEN 512
#define VDISK_RAW_SECTOR 512
#define VDISK_MAX_OVERLAYS (1u << 20)

typedef struct {
	uint64_t off, len;
	uint8_t *data;        /* NULL: zeros */
} vd_overlay;

struct vd_file {
	int fd;               /* -1 for memory */
	const uint8_t *mem;
	uint8_t *mem_owned;
	uint64_t real_size;   /* bytes really present */
	uint64_t size;        /* real_size extended by overlays / log LastFileOffset */
	char *name;
	dev_t dev;
	ino_t ino;
	vdisk *owner;
	vd_overlay *ovl;
	size_t novl, ovlcap;
	bool eof_reported;
};

typedef struct {
	vdisk_layer_info info;
	vd_file *vf;
	vhdx *x;
	vhd *h;
	uint64_t vsize;
	uint32_t lss, pss;
} vd_layer;

struct vdisk {
	vd_layer *layers;
	size_t nlayers, cap;
	bool chain_ok;
	bool best_effort;
	bool dirty;
	bool replay_failed;
	uint32_t replayed;
	uint64_t bytes_read;
	EVP_MD_CTX *md;
	hv_findings rf;             /* findings from reads */
	unsigned nread_findings;
	bool missing_parent_reported;
};

/* ---- findings from reads, capped ---- */

static void read_finding(vdisk *vd, const char *file, uint64_t off, const char *msg)
{
	if (vd->nread_findings < VDISK_MAX_READ_FINDINGS)
		findings_add(&vd->rf, HV_SEV_WARN, file, off, "%s", msg);
	else if (vd->nread_findings == VDISK_MAX_READ_FINDINGS)
		findings_add(&vd->rf, HV_SEV_WARN, file, HV_NO_OFFSET,
			     "further read problems not reported");
	vd->nread_findings++;
	vd->best_effort = true;
}

static void md_record(vdisk *vd, char tag, uint64_t off, const void *buf, size_t n)
{
	uint8_t rec[17];
	rec[0] = (uint8_t)tag;
	st64le(rec + 1, off);
	st64le(rec + 9, n);
	if (!vd->md)
		return;
	EVP_DigestUpdate(vd->md, rec, sizeof rec);
	EVP_DigestUpdate(vd->md, buf, n);
}

/* ---- vd_file ---- */

static vd_file *vf_new(vdisk *owner, const char *name)
{
	vd_file *vf = xcalloc(1, sizeof *vf);
	vf->fd = -1;
	vf->owner = owner;
	vf->name = xstrdup(name);
	return vf;
}

static void vf_free(vd_file *vf)
{
	if (!vf)
		return;
	if (vf->fd >= 0)
		close(vf->fd);
	for (size_t i = 0; i < vf->novl; i++)
		free(vf->ovl[i].data);
	free(vf->ovl);
	free(vf->mem_owned);
	free(vf->name);
	free(vf);
}

/* Takes the size and identity of the descriptor vf->fd. */
static hv_err vf_stat(vd_file *vf, const char *path, hv_findings *f)
{
	struct stat st;
	if (fstat(vf->fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		findings_add(f, HV_SEV_ERROR, path, HV_NO_OFFSET, "not a regular file");
		return HV_ERR_IO;
	}
	vf->real_size = vf->size = (uint64_t)st.st_size;
	vf->dev = st.st_dev;
	vf->ino = st.st_ino;
	return HV_OK;
}

static hv_err vf_open_path(vd_file *vf, const char *path, int flags, hv_findings *f)
{
	vf->fd = hv_open_ro(path, flags & VDISK_NOFOLLOW ? HV_OPEN_NOFOLLOW : 0, f);
	if (vf->fd < 0)
		return HV_ERR_IO;
	return vf_stat(vf, path, f);
}

/* A descriptor the caller opened: a duplicate is kept (the caller keeps its own). */
static hv_err vf_open_fd(vd_file *vf, int fd, const char *path, hv_findings *f)
{
	vf->fd = fcntl(fd, F_DUPFD_CLOEXEC, 0);
	if (vf->fd < 0) {
		findings_add(f, HV_SEV_ERROR, path, HV_NO_OFFSET, "cannot duplicate the open file: %s",
			     strerror(errno));
		return HV_ERR_IO;
	}
	return vf_stat(vf, path, f);
}

const char *vd_file_name(const vd_file *vf)
{
	return vf->name;
}

uint64_t vd_file_size(const vd_file *vf)
{
	return vf->size;
}

void vd_file_extend(vd_file *vf, uint64_t size)
{
	if (size > vf->size)
		vf->size = size;
}

void vd_file_overlay(vd_file *vf, uint64_t off, const void *data, uint64_t len)
{
	if (len == 0 || off > UINT64_MAX - len || vf->novl >= VDISK_MAX_OVERLAYS)
		return;
	vf->ovl = xgrow(vf->ovl, &vf->ovlcap, vf->novl + 1, sizeof *vf->ovl);
	vd_overlay *o = &vf->ovl[vf->novl++];
	o->off = off;
	o->len = len;
	o->data = data ? xmemdup(data, (size_t)len) : NULL;
	vd_file_extend(vf, off + len);
}

static void apply_overlays(const vd_file *vf, uint64_t off, uint8_t *buf, size_t n)
{
	uint64_t end = off + n;
	for (size_t i = 0; i < vf->novl; i++) {
		const vd_overlay *o = &vf->ovl[i];
		uint64_t oend = o->off + o->len;
		if (oend <= off || o->off >= end)
			continue;
		uint64_t s = o->off > off ? o->off : off;
		uint64_t e = oend < end ? oend : end;
		if (o->data)
			memcpy(buf + (s - off), o->data + (s - o->off), (size_t)(e - s));
		else
			memset(buf + (s - off), 0, (size_t)(e - s));
	}
}

hv_err vd_file_read(vd_file *vf, uint64_t off, void *buf, size_t n, bool meta)
{
	uint8_t *b = buf;
	hv_err rc = HV_OK;
	memset(b, 0, n);
	if (n == 0)
		return HV_OK;
	size_t have = 0;
	if (off < vf->real_size)
		have = vf->real_size - off < n ? (size_t)(vf->real_size - off) : n;
	if (have && vf->mem) {
		memcpy(b, vf->mem + off, have);
	} else if (have) {
		long long r = hv_pread_full(vf->fd, b, have, off);
		if (r < 0) {
			read_finding(vf->owner, vf->name, off, "read error");
			return HV_ERR_IO;
		}
		if ((size_t)r < have) {
			memset(b + r, 0, have - (size_t)r);
			have = (size_t)r; /* the file shrank while open */
		}
	}
	vf->owner->bytes_read += have;
	if (vf->novl)
		apply_overlays(vf, off, b, n);
	if (off > vf->size || n > vf->size - off) {
		if (!vf->eof_reported) {
			char msg[128];
			snprintf(msg, sizeof msg, "read of %zu bytes runs past the end of the file "
				 "(%llu bytes); zeros used", n, (unsigned long long)vf->size);
			read_finding(vf->owner, vf->name, off, msg);
			vf->eof_reported = true;
		}
		rc = HV_ERR_CORRUPT;
	}
	if (meta)
		md_record(vf->owner, 'F', off, b, n);
	return rc;
}

/* ---- layers ---- */

static void layer_free(vd_layer *L)
{
	vhdx_close(L->x);
	vhd_close(L->h);
	vf_free(L->vf);
	free(L->info.path);
	free(L->info.parent_linkage);
	free(L->info.problem);
}

static void guid_str(const uint8_t g[16], char out[37])
{
	guid_format(g, out);
}

static hv_err open_vhdx_layer(vd_layer *L, int flags, hv_findings *f)
{
	hv_err rc = vhdx_open(L->vf, flags, &L->x, f);
	if (rc != HV_OK)
		return rc;
	const vhdx_info *i = vhdx_get_info(L->x);
	L->info.format = VDISK_FMT_VHDX;
	L->info.kind = i->has_parent ? VDISK_KIND_DIFFERENCING
		     : i->leave_blocks_allocated ? VDISK_KIND_FIXED : VDISK_KIND_DYNAMIC;
	L->vsize = i->virtual_size;
	L->lss = i->logical_sector_size;
	L->pss = i->physical_sector_size;
	guid_str(i->data_write_guid, L->info.data_write_guid);
	if (i->has_parent) {
		const char *pl = vhdx_locator_get(L->x, "parent_linkage");
		char *c = pl ? guid_canonical(pl) : NULL;
		L->info.parent_linkage = c ? c : xstrdup(pl ? pl : "");
	}
	return HV_OK;
}

static hv_err open_vhd_layer(vd_layer *L, hv_findings *f)
{
	hv_err rc = vhd_open(L->vf, &L->h, f);
	if (rc != HV_OK)
		return rc;
	const vhd_info *i = vhd_get_info(L->h);
	L->info.format = VDISK_FMT_VHD;
	L->info.kind = i->disk_type == VHD_TYPE_FIXED ? VDISK_KIND_FIXED
		     : i->disk_type == VHD_TYPE_DYNAMIC ? VDISK_KIND_DYNAMIC
							 : VDISK_KIND_DIFFERENCING;
	L->vsize = i->current_size;
	L->lss = L->pss = VDISK_RAW_SECTOR;
	guid_str(i->uuid, L->info.data_write_guid);
	if (i->disk_type == VHD_TYPE_DIFFERENCING) {
		char g[37];
		guid_str(i->parent_uuid, g);
		L->info.parent_linkage = xstrdup(g);
	}
	return HV_OK;
}

/* Detects the format of L->vf and opens the container. */
static hv_err open_container(vd_layer *L, int flags, hv_findings *f)
{
	uint8_t head[VDISK_SNIFF_LEN];
	uint64_t size = vd_file_size(L->vf);
	L->info.file_size = size;
	hv_err rc = vd_file_read(L->vf, 0, head, sizeof head, false);
	if (rc == HV_ERR_IO)
		return rc;
	if (size >= 8 && vhdx_sniff(head, sizeof head))
		return open_vhdx_layer(L, flags, f);
	bool is_vhd = false;
	if (size >= VHD_FOOTER_SIZE) {
		uint8_t tail[VDISK_SNIFF_LEN];
		rc = vd_file_read(L->vf, size - VHD_FOOTER_SIZE, tail, sizeof tail, false);
		if (rc == HV_ERR_IO)
			return rc;
		is_vhd = vhd_sniff_footer(tail, sizeof tail) || vhd_sniff_footer(head, sizeof head);
	}
	if (is_vhd)
		return open_vhd_layer(L, f);
	L->info.format = VDISK_FMT_RAW;
	L->info.kind = VDISK_KIND_FIXED;
	L->vsize = size;
	L->lss = L->pss = VDISK_RAW_SECTOR;
	return HV_OK;
}

static vd_layer *add_layer(vdisk *vd, const char *name)
{
	vd->layers = xgrow(vd->layers, &vd->cap, vd->nlayers + 1, sizeof *vd->layers);
	vd_layer *L = &vd->layers[vd->nlayers++];
	memset(L, 0, sizeof *L);
	L->info.path = xstrdup(name);
	L->info.ok = true;
	L->vf = vf_new(vd, name);
	return L;
}

static void note_layer_state(vdisk *vd, const vd_layer *L)
{
	if (L->x) {
		const vhdx_info *i = vhdx_get_info(L->x);
		vd->dirty |= i->dirty;
		vd->replayed += i->log_replayed;
		vd->replay_failed |= i->log_replay_failed;
		vd->best_effort |= i->best_effort;
	}
	if (L->h)
		vd->best_effort |= vhd_get_info(L->h)->best_effort;
}

static vdisk *vdisk_new(void)
{
	vdisk *vd = xcalloc(1, sizeof *vd);
	vd->chain_ok = true;
	vd->md = EVP_MD_CTX_new();
	if (vd->md && !EVP_DigestInit_ex(vd->md, EVP_sha256(), NULL)) {
		EVP_MD_CTX_free(vd->md);
		vd->md = NULL;
	}
	return vd;
}

void vdisk_close(vdisk *vd)
{
	if (!vd)
		return;
	for (size_t i = 0; i < vd->nlayers; i++)
		layer_free(&vd->layers[i]);
	free(vd->layers);
	EVP_MD_CTX_free(vd->md);
	findings_free(&vd->rf);
	free(vd);
}

/* ---- parent hints and the default resolver ---- */

static void hint_free(vdisk_parent_hint *h)
{
	free(h->parent_linkage);
	free(h->parent_linkage2);
	free(h->relative_path);
	free(h->volume_path);
	free(h->absolute_path);
	free(h->name);
	memset(h, 0, sizeof *h);
}

static char *dup_or_null(const char *s)
{
	return s && *s ? xstrdup(s) : NULL;
}

static void hint_from_layer(const vd_layer *L, vdisk_parent_hint *h)
{
	memset(h, 0, sizeof *h);
	h->parent_linkage = dup_or_null(L->info.parent_linkage);
	if (L->x) {
		h->parent_linkage2 = dup_or_null(vhdx_locator_get(L->x, "parent_linkage2"));
		h->relative_path = dup_or_null(vhdx_locator_get(L->x, "relative_path"));
		h->volume_path = dup_or_null(vhdx_locator_get(L->x, "volume_path"));
		h->absolute_path = dup_or_null(vhdx_locator_get(L->x, "absolute_win32_path"));
	} else if (L->h) {
		const vhd_info *i = vhd_get_info(L->h);
		h->relative_path = dup_or_null(i->parent_w2ru);
		h->absolute_path = dup_or_null(i->parent_w2ku);
		h->name = dup_or_null(i->parent_name);
	}
}

/* Windows path to POSIX separators; strips a leading ".\" or "./". */
static char *posix_path(const char *w)
{
	char *p = xstrdup(w);
	for (char *s = p; *s; s++)
		if (*s == '\\')
			*s = '/';
	while (p[0] == '.' && p[1] == '/')
		memmove(p, p + 2, strlen(p + 2) + 1);
	return p;
}

static bool is_regular(const char *p)
{
	struct stat st;
	return stat(p, &st) == 0 && S_ISREG(st.st_mode);
}

static const char *base_name(const char *p)
{
	const char *b = p;
	for (const char *s = p; *s; s++)
		if (*s == '/' || *s == '\\')
			b = s + 1;
	return b;
}

static char *dir_of(const char *path)
{
	const char *b = base_name(path);
	if (b == path)
		return xstrdup(".");
	return xstrndup(path, (size_t)(b - path - 1 > 0 ? b - path - 1 : 1));
}

/* dir/rel, or a case-insensitive match of rel's last component in its folder. */
static char *find_relative(const char *dir, const char *rel)
{
	strbuf sb = STRBUF_INIT;
	sb_addf(&sb, "%s/%s", dir, rel);
	char *cand = sb_detach(&sb);
	if (is_regular(cand))
		return cand;
	char *folder = dir_of(cand);
	const char *want = base_name(rel);
	char *hit = NULL;
	DIR *d = opendir(folder);
	for (struct dirent *e; d && !hit && (e = readdir(d)) != NULL;) {
		if (strcasecmp(e->d_name, want) != 0)
			continue;
		sb_addf(&sb, "%s/%s", folder, e->d_name);
		hit = sb_detach(&sb);
		if (!is_regular(hit)) {
			free(hit);
			hit = NULL;
		}
	}
	if (d)
		closedir(d);
	free(folder);
	free(cand);
	return hit;
}

static bool looks_windows_absolute(const char *p)
{
	return (isalpha((unsigned char)p[0]) && p[1] == ':') || p[0] == '/' || p[0] == '\\';
}

static char *search_by_name(const vdisk_search_list *l, const char *name)
{
	if (!l || !name || !*name)
		return NULL;
	for (size_t i = 0; i < l->nfiles; i++) {
		if (l->files[i] && strcasecmp(base_name(l->files[i]), name) == 0 &&
		    is_regular(l->files[i]))
			return xstrdup(l->files[i]);
	}
	return NULL;
}

hv_err vdisk_default_resolver(void *ctx, const char *child_path,
			      const vdisk_parent_hint *hint, char **parent_path,
			      bool *outside_tree, hv_findings *f)
{
	*parent_path = NULL;
	*outside_tree = false;
	char *dir = dir_of(child_path);
	char *hit = NULL;
	if (hint->relative_path) {
		char *rel = posix_path(hint->relative_path);
		if (!looks_windows_absolute(rel))
			hit = find_relative(dir, rel);
		free(rel);
	}
	const char *abs[2] = { hint->absolute_path, hint->volume_path };
	for (int i = 0; i < 2 && !hit; i++) {
		if (!abs[i])
			continue;
		char *p = posix_path(abs[i]);
		if (p[0] == '/' && is_regular(p)) {
			hit = p;
			*outside_tree = true;
		} else {
			free(p);
		}
	}
	const char *names[3] = {
		hint->relative_path ? base_name(hint->relative_path) : NULL,
		hint->absolute_path ? base_name(hint->absolute_path) : NULL,
		hint->name ? base_name(hint->name) : NULL,
	};
	for (int i = 0; i < 3 && !hit; i++)
		hit = search_by_name(ctx, names[i]);
	free(dir);
	if (hit) {
		*parent_path = hit;
		return HV_OK;
	}
	findings_add(f, HV_SEV_ERROR, child_path, HV_NO_OFFSET,
		     "parent disk not found (relative path \"%s\", absolute path \"%s\", "
		     "name \"%s\")", hint->relative_path ? hint->relative_path : "",
		     hint->absolute_path ? hint->absolute_path : "", hint->name ? hint->name : "");
	return HV_ERR_IO;
}

/* ---- chain ---- */

static void link_problem(vdisk *vd, vd_layer *child, hv_findings *f, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static void link_problem(vdisk *vd, vd_layer *child, hv_findings *f, const char *fmt, ...)
{
	strbuf sb = STRBUF_INIT;
	va_list ap;
	va_start(ap, fmt);
	sb_vaddf(&sb, fmt, ap);
	va_end(ap);
	child->info.ok = false;
	free(child->info.problem);
	child->info.problem = sb_detach(&sb);
	findings_add(f, HV_SEV_ERROR, child->info.path, HV_NO_OFFSET, "broken chain: %s",
		     child->info.problem);
	vd->chain_ok = false;
	vd->best_effort = true;
}

/* Checks that parent P really is the parent child C asks for. */
static void verify_link(vdisk *vd, vd_layer *C, const vd_layer *P, const vdisk_parent_hint *h,
			hv_findings *f)
{
	if (P->info.format != C->info.format) {
		link_problem(vd, C, f, "parent %s is %s, expected %s", P->info.path,
			     vdisk_format_name(P->info.format), vdisk_format_name(C->info.format));
		return;
	}
	bool match = h->parent_linkage && guid_str_eq(h->parent_linkage, P->info.data_write_guid);
	if (!match && h->parent_linkage2 &&
	    guid_str_eq(h->parent_linkage2, P->info.data_write_guid)) {
		match = true;
		findings_add(f, HV_SEV_NOTE, C->info.path, HV_NO_OFFSET,
			     "parent matched through parent_linkage2");
	}
	if (!match) {
		link_problem(vd, C, f, "%s %s does not match %s %s of parent %s",
			     C->info.format == VDISK_FMT_VHDX ? "parent_linkage" : "parent UUID",
			     h->parent_linkage ? h->parent_linkage : "(missing)",
			     C->info.format == VDISK_FMT_VHDX ? "DataWriteGuid" : "UUID",
			     P->info.data_write_guid, P->info.path);
		return;
	}
	if (P->lss != C->lss)
		link_problem(vd, C, f, "logical sector size %u differs from parent's %u", C->lss,
			     P->lss);
	else if (P->vsize != C->vsize)
		findings_add(f, HV_SEV_WARN, C->info.path, HV_NO_OFFSET,
			     "virtual size %llu differs from parent's %llu",
			     (unsigned long long)C->vsize, (unsigned long long)P->vsize);
}

static bool seen_file(const vdisk *vd, const vd_file *vf)
{
	for (size_t i = 0; i + 1 < vd->nlayers; i++) {
		const vd_file *o = vd->layers[i].vf;
		if (o->fd >= 0 && o->dev == vf->dev && o->ino == vf->ino)
			return true;
	}
	return false;
}

/* Opens the parent of the last layer; false when the chain ends here. */
static bool open_parent(vdisk *vd, const vdisk_opts *o, unsigned max_depth, hv_findings *f)
{
	size_t ci = vd->nlayers - 1;
	if (vd->layers[ci].info.kind != VDISK_KIND_DIFFERENCING)
		return false;
	if (vd->nlayers >= max_depth) {
		link_problem(vd, &vd->layers[ci], f, "chain deeper than %u files", max_depth);
		return false;
	}
	vdisk_parent_hint h;
	hint_from_layer(&vd->layers[ci], &h);
	char *ppath = NULL;
	bool outside = false;
	vdisk_resolver_fn fn = o->resolve ? o->resolve : vdisk_default_resolver;
	hv_err rc = fn(o->resolve_ctx, vd->layers[ci].info.path, &h, &ppath, &outside, f);
	if (rc != HV_OK || !ppath) {
		link_problem(vd, &vd->layers[ci], f, "parent not found");
		free(ppath);
		hint_free(&h);
		return false;
	}
	vd_layer *P = add_layer(vd, ppath);
	vd_layer *C = &vd->layers[ci]; /* add_layer may move the array */
	P->info.outside_tree = outside;
	if (outside)
		findings_add(f, HV_SEV_WARN, ppath, HV_NO_OFFSET,
			     "parent found outside the evidence tree (absolute locator path)");
	rc = vf_open_path(P->vf, ppath, o->flags, f);
	if (rc == HV_OK && seen_file(vd, P->vf)) {
		link_problem(vd, C, f, "parent %s is already in the chain (cycle)", ppath);
		rc = HV_ERR_CORRUPT;
	} else if (rc == HV_OK) {
		rc = open_container(P, o->flags, f);
		if (rc != HV_OK)
			link_problem(vd, C, f, "parent %s cannot be opened (%s)", ppath,
				     hv_err_name(rc));
	} else {
		link_problem(vd, C, f, "parent %s cannot be opened", ppath);
	}
	free(ppath);
	if (rc != HV_OK) {
		layer_free(P);
		vd->nlayers--;
		hint_free(&h);
		return false;
	}
	note_layer_state(vd, P);
	verify_link(vd, C, P, &h, f);
	hint_free(&h);
	return true;
}

/* The leaf is path, or the open descriptor fd (>= 0) named path. */
static hv_err open_leaf(const char *path, int fd, const vdisk_opts *o, vdisk **out,
			hv_findings *f)
{
	vdisk_opts def = { 0 };
	if (!o)
		o = &def;
	*out = NULL;
	vdisk *vd = vdisk_new();
	vd_layer *L = add_layer(vd, path);
	hv_err rc = fd >= 0 ? vf_open_fd(L->vf, fd, path, f) : vf_open_path(L->vf, path, o->flags, f);
	if (rc == HV_OK)
		rc = open_container(L, o->flags, f);
	if (rc != HV_OK) {
		vdisk_close(vd);
		return rc;
	}
	note_layer_state(vd, L);
	unsigned max_depth = o->max_depth ? o->max_depth : VDISK_MAX_CHAIN;
	if (max_depth > VDISK_HARD_MAX_CHAIN)
		max_depth = VDISK_HARD_MAX_CHAIN;
	if (!(o->flags & VDISK_NO_PARENT)) {
		while (open_parent(vd, o, max_depth, f))
			;
	} else if (L->info.kind == VDISK_KIND_DIFFERENCING) {
		vd->chain_ok = false;
		vd->best_effort = true;
		L->info.ok = false;
		L->info.problem = xstrdup("parent not opened (asked not to)");
	}
	*out = vd;
	return HV_OK;
}

hv_err vdisk_open_ex(const char *path, const vdisk_opts *o, vdisk **out, hv_findings *f)
{
	return open_leaf(path, -1, o, out, f);
}

hv_err vdisk_open_fd(int fd, const char *path, const vdisk_opts *o, vdisk **out, hv_findings *f)
{
	return open_leaf(path, fd, o, out, f);
}

hv_err vdisk_open(const char *path, int flags, vdisk **out, hv_findings *f)
{
	vdisk_opts o = { .flags = flags };
	return vdisk_open_ex(path, &o, out, f);
}

hv_err vdisk_open_mem(const void *data, size_t len, const char *name, int flags,
		      vdisk **out, hv_findings *f)
{
	*out = NULL;
	vdisk *vd = vdisk_new();
	vd_layer *L = add_layer(vd, name ? name : "(memory)");
	if (flags & VDISK_MEM_BORROW) {
		L->vf->mem = data;
	} else {
		L->vf->mem_owned = xmemdup(len ? data : "", len ? len : 1);
		L->vf->mem = L->vf->mem_owned;
	}
	L->vf->real_size = L->vf->size = len;
	hv_err rc = open_container(L, flags, f);
	if (rc != HV_OK) {
		vdisk_close(vd);
		return rc;
	}
	note_layer_state(vd, L);
	if (L->info.kind == VDISK_KIND_DIFFERENCING) {
		vd->chain_ok = false;
		vd->best_effort = true;
		L->info.ok = false;
		L->info.problem = xstrdup("parent not resolved for a disk in memory");
	}
	*out = vd;
	return HV_OK;
}

/* ---- reads ---- */

static hv_err worse(hv_err a, hv_err b)
{
	if (a == HV_ERR_IO || b == HV_ERR_IO)
		return HV_ERR_IO;
	return a != HV_OK ? a : b;
}

static hv_err layer_map(vdisk *vd, vd_layer *L, uint64_t off, uint64_t n, vd_extent *e)
{
	if (off >= L->vsize) { /* a parent smaller than its child */
		e->kind = VD_EXT_ZERO;
		e->len = n;
		return HV_OK;
	}
	if (n > L->vsize - off)
		n = L->vsize - off;
	if (L->x)
		return vhdx_map(L->x, off, n, e, &vd->rf);
	if (L->h)
		return vhd_map(L->h, off, n, e, &vd->rf);
	e->kind = VD_EXT_FILE;
	e->file_off = off;
	e->len = n;
	return HV_OK;
}

/* Reads through layer li and, for parent runs, the layers below (depth <= nlayers). */
static hv_err layer_read(vdisk *vd, size_t li, uint64_t off, uint8_t *buf, size_t n)
{
	hv_err rc = HV_OK;
	while (n) {
		if (li >= vd->nlayers) {
			memset(buf, 0, n);
			if (!vd->missing_parent_reported)
				read_finding(vd, vd->layers[vd->nlayers - 1].info.path, HV_NO_OFFSET,
					     "data needed from a missing parent disk read as zeros");
			vd->missing_parent_reported = true;
			return worse(rc, HV_ERR_CORRUPT);
		}
		vd_layer *L = &vd->layers[li];
		vd_extent e = { VD_EXT_BAD, 0, n };
		hv_err r = layer_map(vd, L, off, n, &e);
		if (e.len == 0 || e.len > n)
			e.len = n;
		if (r != HV_OK)
			e.kind = VD_EXT_BAD;
		size_t k = (size_t)e.len;
		switch (e.kind) {
		case VD_EXT_FILE:
			r = vd_file_read(L->vf, e.file_off, buf, k, false);
			break;
		case VD_EXT_ZERO:
			memset(buf, 0, k);
			break;
		case VD_EXT_PARENT:
			r = layer_read(vd, li + 1, off, buf, k);
			break;
		default:
			memset(buf, 0, k);
			r = HV_ERR_CORRUPT;
			vd->best_effort = true;
			break;
		}
		rc = worse(rc, r);
		off += k;
		buf += k;
		n -= k;
	}
	return rc;
}

static hv_err read_common(vdisk *vd, uint64_t off, void *buf, size_t n)
{
	if (off > vdisk_size(vd) || n > vdisk_size(vd) - off) {
		memset(buf, 0, n);
		return HV_ERR_LIMIT;
	}
	return layer_read(vd, 0, off, buf, n);
}

hv_err vdisk_read(vdisk *vd, uint64_t off, void *buf, size_t n)
{
	return read_common(vd, off, buf, n);
}

hv_err vdisk_read_meta(vdisk *vd, uint64_t off, void *buf, size_t n)
{
	hv_err rc = read_common(vd, off, buf, n);
	if (rc != HV_ERR_LIMIT)
		md_record(vd, 'V', off, buf, n);
	return rc;
}

void vdisk_take_findings(vdisk *vd, hv_findings *dst)
{
	findings_move(dst, &vd->rf);
}

/* ---- accessors ---- */

uint64_t vdisk_size(const vdisk *vd)
{
	return vd->layers[0].vsize;
}

uint32_t vdisk_sector_size(const vdisk *vd)
{
	return vd->layers[0].lss;
}

uint32_t vdisk_physical_sector_size(const vdisk *vd)
{
	return vd->layers[0].pss;
}

bool vdisk_sector_size_known(const vdisk *vd)
{
	return vd->layers[0].info.format == VDISK_FMT_VHDX;
}

vdisk_format vdisk_get_format(const vdisk *vd)
{
	return vd->layers[0].info.format;
}

const char *vdisk_name(const vdisk *vd)
{
	return vd->layers[0].info.path;
}

const char *vdisk_format_name(vdisk_format fmt)
{
	switch (fmt) {
	case VDISK_FMT_RAW: return "raw";
	case VDISK_FMT_VHD: return "vhd";
	case VDISK_FMT_VHDX: return "vhdx";
	}
	return "unknown";
}

const char *vdisk_kind_name(vdisk_kind kind)
{
	switch (kind) {
	case VDISK_KIND_FIXED: return "fixed";
	case VDISK_KIND_DYNAMIC: return "dynamic";
	case VDISK_KIND_DIFFERENCING: return "differencing";
	}
	return "unknown";
}

size_t vdisk_chain_len(const vdisk *vd)
{
	return vd->nlayers;
}

const vdisk_layer_info *vdisk_chain(const vdisk *vd, size_t i)
{
	return i < vd->nlayers ? &vd->layers[i].info : NULL;
}

bool vdisk_chain_ok(const vdisk *vd)
{
	return vd->chain_ok;
}

char *vdisk_chain_describe(const vdisk *vd)
{
	strbuf sb = STRBUF_INIT;
	for (size_t i = 0; i < vd->nlayers; i++) {
		const vdisk_layer_info *l = &vd->layers[i].info;
		sb_addf(&sb, "%s%s (%s %s%s)", i ? " -> " : "", l->path,
			vdisk_format_name(l->format), vdisk_kind_name(l->kind),
			l->ok ? "" : ", broken link");
	}
	const vdisk_layer_info *last = &vd->layers[vd->nlayers - 1].info;
	if (last->kind == VDISK_KIND_DIFFERENCING)
		sb_adds(&sb, " -> (parent missing)");
	return sb_detach(&sb);
}

bool vdisk_dirty_log(const vdisk *vd)
{
	return vd->dirty;
}

uint32_t vdisk_log_replayed(const vdisk *vd)
{
	return vd->replayed;
}

bool vdisk_log_replay_failed(const vdisk *vd)
{
	return vd->replay_failed;
}

bool vdisk_best_effort(const vdisk *vd)
{
	return vd->best_effort || !vd->chain_ok;
}

uint64_t vdisk_bytes_read(const vdisk *vd)
{
	return vd->bytes_read;
}

void vdisk_metadata_sha256(const vdisk *vd, char out[65])
{
	uint8_t dig[32] = { 0 };
	unsigned int dl = 32;
	EVP_MD_CTX *c = EVP_MD_CTX_new();
	if (c && vd->md && EVP_MD_CTX_copy_ex(c, vd->md))
		EVP_DigestFinal_ex(c, dig, &dl);
	EVP_MD_CTX_free(c);
	hv_sha256_hex(dig, out);
}
