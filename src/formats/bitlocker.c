/*
 * bitlocker.c - BitLocker (FVE) metadata reader: boot-sector variants, the
 * three metadata copies, and the protector (VMK) list.  Nothing decrypted.
 *
 * Sources (read for understanding): libyal/libbde "BitLocker Drive
 * Encryption (BDE) format" notes, Aorimn/dislocker metadata headers,
 * mbroz/cryptsetup lib/bitlk, fox-it/dissect.fve; docs/disk.md s.7.
 * Little-endian; GUIDs mixed-endian.
 *
 * Volume boot sector (512 bytes):
 *   Windows 7+: EB 58 90 "-FVE-FS-"; +11 BytesPerSector u16; +160 identifier
 *     GUID (4967D63B-2E29-4AD8-8399-F6A339E3D001 normal, 92A84D3B-DD80-4D0E-
 *     9E4E-B1E3284EAED8 used-space-only/EOW); +176/+184/+192 metadata block
 *     offsets u64 (bytes from the volume start); EOW: +200/+208 [confirmed].
 *   Vista (v1): EB 52 90 "-FVE-FS-": not supported (reported as such).
 *   To Go: "MSWIN4.1" at +3, identifier at +424, offsets at +440/+448/+456
 *     [confirmed: libbde doc, cryptsetup].
 * Metadata block header (64 bytes): +0 "-FVE-FS-", +8 Size u16 (x16 in v2 =
 *   information size), +10 Version u16 (2), +12/+14 current/next state u16,
 *   +16 encrypted volume size u64, +24 convert size, +28 volume header
 *   sectors, +32/+40/+48 copies of the offsets, +56 volume header offset.
 * Integrity: zlib CRC32 of the first Size*16 bytes stored at Size*16 + 4
 *   [confirmed on sample files; not checked by cryptsetup or libbde].  The
 *   first copy that passes is used; copies 2 and 3 are the fallback; a copy
 *   with a bad CRC is used best effort only when no copy passes.
 * Dataset header (48 bytes at block +64): +0 Size u32, +4 Version u32 (1),
 *   +8 HeaderSize u32 (48), +12 EndOffset u32, +16 volume GUID, +32 nonce
 *   counter, +36 encryption method (low 16 bits; high bits vary), +40
 *   creation FILETIME.
 * Entries from HeaderSize to EndOffset: +0 EntrySize u16 (with header; 0 ends
 *   the walk), +2 EntryType, +4 ValueType, +6 Version (1; 3 seen on clear
 *   keys).  Types: 2 VMK, 3 FVEK, 7 description (UTF-16LE), 0xF volume
 *   header block (+8 offset, +16 size).  VMK (value type 8): +8 protector
 *   GUID, +24 last-change FILETIME, +32 u16 unknown, +34 protection type,
 *   +36 nested entries (value types 1 key, 2 string, 3 stretch key, 4 use
 *   key, 5 AES-CCM, 6 TPM blob, 0xC/0xE public key, 0x15 backup/escrow
 *   information [inferred]).
 * Every walk is bounded by EndOffset and the block, and stops on EntrySize < 8.
 */
#include "formats/bitlocker.h"

#include <stdlib.h>
#include <string.h>

#include "util/crc.h"
#include "util/strbuf.h"
#include "util/text.h"
#include "util/xalloc.h"

#define FVE_SIG "-FVE-FS-"
#define BS_OEM 3
#define BS_BPS 11
#define BS_GUID 160
#define BS_OFFSETS 176
#define BS_EOW_OFFSETS 200
#define BS_TOGO_GUID 424
#define BS_TOGO_OFFSETS 440
#define BS_FAT16_TYPE 54
#define BS_FAT32_TYPE 82

#define BLK_HDR 64
#define BLK_SIZE 8
#define BLK_VERSION 10
#define BLK_STATE 12
#define BLK_NEXT_STATE 14
#define BLK_ENC_SIZE 16
#define BLK_OFFSETS 32
#define BLK_SIZE_UNIT 16
#define BLK_CRC_GAP 4           /* CRC sits 4 bytes after the information */
#define BLK_VERSION_2 2

#define DS_HDR 48
#define DS_SIZE 0
#define DS_VERSION 4
#define DS_HDR_SIZE 8
#define DS_END 12
#define DS_GUID 16
#define DS_METHOD 36
#define DS_CREATED 40

#define ENT_HDR 8
#define ENT_VMK 0x0002
#define ENT_FVEK 0x0003
#define ENT_DESCRIPTION 0x0007
#define ENT_VOLUME_HEADER 0x000F
#define VT_KEY 0x1
#define VT_STRING 0x2
#define VT_STRETCH_KEY 0x3
#define VT_USE_KEY 0x4
#define VT_AES_CCM 0x5
#define VT_TPM 0x6
#define VT_VMK 0x8
#define VT_ASYMMETRIC 0xC
#define VT_PUBLIC_KEY 0xE
#define VT_OFFSET_SIZE 0xF
#define VT_BACKUP_INFO 0x15

#define VMK_GUID 8
#define VMK_CHANGED 24
#define VMK_PROTECTION 34
#define VMK_NESTED 36

#define MAX_PROTECTORS 64

static const char GUID_NORMAL[] = "4967D63B-2E29-4AD8-8399-F6A339E3D001";
static const char GUID_EOW[] = "92A84D3B-DD80-4D0E-9E4E-B1E3284EAED8";

static bool guid_at(span_t s, uint64_t off, const char *g)
{
	uint8_t want[16];
	return guid_parse(g, want) && span_eq(s, off, want, 16);
}

static bool all_zero(const uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (p[i])
			return false;
	return true;
}

/* ---- boot sector ---- */

bde_boot_kind bde_classify_boot_sector(span_t s)
{
	if (s.len < BDE_BOOT_SECTOR)
		return BDE_BOOT_OTHER;
	if (all_zero(s.data, BDE_BOOT_SECTOR))
		return BDE_BOOT_EMPTY;
	if (span_eq(s, BS_OEM, FVE_SIG, 8)) {
		if (s.data[0] == 0xEB && s.data[1] == 0x52)
			return BDE_BOOT_BITLOCKER_VISTA;
		if (guid_at(s, BS_GUID, GUID_NORMAL))
			return BDE_BOOT_BITLOCKER;
		if (guid_at(s, BS_GUID, GUID_EOW))
			return BDE_BOOT_BITLOCKER_EOW;
		return BDE_BOOT_BITLOCKER_UNKNOWN_ID;
	}
	if (span_eq(s, BS_OEM, "MSWIN4.1", 8) &&
	    (guid_at(s, BS_TOGO_GUID, GUID_NORMAL) || guid_at(s, BS_TOGO_GUID, GUID_EOW)))
		return BDE_BOOT_BITLOCKER_TOGO;
	if (span_eq(s, BS_OEM, "NTFS    ", 8))
		return BDE_BOOT_NTFS;
	if (span_eq(s, BS_OEM, "EXFAT   ", 8))
		return BDE_BOOT_EXFAT;
	if (span_eq(s, BS_OEM, "ReFS\0\0\0\0", 8))
		return BDE_BOOT_REFS;
	if (span_eq(s, BS_FAT16_TYPE, "FAT", 3) || span_eq(s, BS_FAT32_TYPE, "FAT32", 5))
		return BDE_BOOT_FAT;
	return BDE_BOOT_OTHER;
}

bool bde_boot_is_bitlocker(bde_boot_kind k)
{
	return k == BDE_BOOT_BITLOCKER || k == BDE_BOOT_BITLOCKER_EOW ||
	       k == BDE_BOOT_BITLOCKER_TOGO || k == BDE_BOOT_BITLOCKER_VISTA ||
	       k == BDE_BOOT_BITLOCKER_UNKNOWN_ID;
}

const char *bde_boot_kind_name(bde_boot_kind k)
{
	switch (k) {
	case BDE_BOOT_EMPTY: return "empty";
	case BDE_BOOT_OTHER: return "other";
	case BDE_BOOT_NTFS: return "ntfs";
	case BDE_BOOT_FAT: return "fat";
	case BDE_BOOT_EXFAT: return "exfat";
	case BDE_BOOT_REFS: return "refs";
	case BDE_BOOT_BITLOCKER: return "bitlocker";
	case BDE_BOOT_BITLOCKER_EOW: return "bitlocker_used_space_only";
	case BDE_BOOT_BITLOCKER_TOGO: return "bitlocker_to_go";
	case BDE_BOOT_BITLOCKER_VISTA: return "bitlocker_vista";
	case BDE_BOOT_BITLOCKER_UNKNOWN_ID: return "bitlocker_unknown_identifier";
	}
	return "other";
}

const char *bde_block_status_name(bde_block_status s)
{
	switch (s) {
	case BDE_BLOCK_UNREAD: return "unread";
	case BDE_BLOCK_OK: return "ok";
	case BDE_BLOCK_ZEROED: return "zeroed";
	case BDE_BLOCK_BAD_SIGNATURE: return "bad_signature";
	case BDE_BLOCK_BAD_VERSION: return "bad_version";
	case BDE_BLOCK_BAD_CRC: return "bad_crc";
	case BDE_BLOCK_BAD_STRUCTURE: return "bad_structure";
	case BDE_BLOCK_OUT_OF_RANGE: return "out_of_range";
	case BDE_BLOCK_UNREADABLE: return "unreadable";
	}
	return "unknown";
}

/* ---- names ---- */

const char *bde_state_name(uint16_t state)
{
	switch (state) {
	case 1: return "decrypted";
	case 2: return "switching_dirty";
	case 3: return "paused";
	case 4: return "encrypted";
	case 5: return "switching";
	}
	return "unknown";
}

const char *bde_method_id(uint16_t m)
{
	switch (m) {
	case 0x0000: return "none";
	case 0x8000: return "aes_cbc_128_diffuser";
	case 0x8001: return "aes_cbc_256_diffuser";
	case 0x8002: return "aes_cbc_128";
	case 0x8003: return "aes_cbc_256";
	case 0x8004: return "xts_aes_128";
	case 0x8005: return "xts_aes_256";
	}
	return NULL;
}

const char *bde_method_name(uint16_t m)
{
	switch (m) {
	case 0x0000: return "none";
	case 0x8000: return "AES-CBC-128 with diffuser";
	case 0x8001: return "AES-CBC-256 with diffuser";
	case 0x8002: return "AES-CBC-128";
	case 0x8003: return "AES-CBC-256";
	case 0x8004: return "XTS-AES-128";
	case 0x8005: return "XTS-AES-256";
	}
	return "unknown";
}

const char *bde_protection_id(uint16_t t)
{
	switch (t) {
	case BDE_PROT_CLEAR_KEY: return "clear_key";
	case BDE_PROT_TPM: return "tpm";
	case BDE_PROT_EXTERNAL_KEY: return "external_key";
	case BDE_PROT_TPM_STARTUP_KEY: return "tpm_startup_key";
	case BDE_PROT_TPM_PIN: return "tpm_pin";
	case BDE_PROT_TPM_PIN_STARTUP_KEY: return "tpm_pin_startup_key";
	case BDE_PROT_RECOVERY_PASSWORD: return "recovery_password";
	case BDE_PROT_CERTIFICATE: return "certificate";
	case BDE_PROT_PASSWORD: return "password";
	}
	return NULL;
}

const char *bde_protection_name(uint16_t t)
{
	switch (t) {
	case BDE_PROT_CLEAR_KEY: return "clear key (protection suspended)";
	case BDE_PROT_TPM: return "TPM";
	case BDE_PROT_EXTERNAL_KEY: return "external key (startup key or recovery key file)";
	case BDE_PROT_TPM_STARTUP_KEY: return "TPM and startup key";
	case BDE_PROT_TPM_PIN: return "TPM and PIN";
	case BDE_PROT_TPM_PIN_STARTUP_KEY: return "TPM, PIN and startup key";
	case BDE_PROT_RECOVERY_PASSWORD: return "recovery password";
	case BDE_PROT_CERTIFICATE: return "certificate (smart card / public key)";
	case BDE_PROT_PASSWORD: return "password";
	}
	return "unknown";
}

bool bde_protection_inferred(uint16_t t)
{
	return t == BDE_PROT_TPM_STARTUP_KEY || t == BDE_PROT_TPM_PIN_STARTUP_KEY;
}

int bde_win32_protector_type(uint16_t t)
{
	switch (t) {
	case BDE_PROT_CLEAR_KEY: return 0;
	case BDE_PROT_TPM: return 1;
	case BDE_PROT_EXTERNAL_KEY: return 2;
	case BDE_PROT_RECOVERY_PASSWORD: return 3;
	case BDE_PROT_TPM_PIN: return 4;
	case BDE_PROT_TPM_STARTUP_KEY: return 5;
	case BDE_PROT_TPM_PIN_STARTUP_KEY: return 6;
	case BDE_PROT_CERTIFICATE: return 7;
	case BDE_PROT_PASSWORD: return 8;
	}
	return -1;
}

/* ---- reading ---- */

typedef struct {
	vdisk *vd;
	uint64_t vol_off, vol_len;
	char *name;               /* "<disk> (virtual)" for findings */
	hv_findings *f;
} bde_ctx;

typedef struct {
	uint8_t *buf;             /* information (Size*16) + CRC trailer */
	size_t info_len;
	bde_block_status st;
} bde_block;

static uint64_t vpos(const bde_ctx *c, uint64_t rel)
{
	return c->vol_off + rel;
}

static bool dataset_sane(span_t b, size_t info_len)
{
	uint32_t size, hsz, end;
	if (!span_u32le(b, BLK_HDR + DS_SIZE, &size) || !span_u32le(b, BLK_HDR + DS_HDR_SIZE, &hsz) ||
	    !span_u32le(b, BLK_HDR + DS_END, &end))
		return false;
	return size <= info_len - BLK_HDR && hsz >= DS_HDR && hsz <= end && end <= size;
}

/* Reads copy i; fills blk and returns its status. */
static bde_block_status read_block(bde_ctx *c, uint64_t off, bde_block *blk)
{
	uint8_t h[BLK_HDR];
	if (off > c->vol_len || BLK_HDR > c->vol_len - off)
		return BDE_BLOCK_OUT_OF_RANGE;
	if (vdisk_read_meta(c->vd, vpos(c, off), h, sizeof h) != HV_OK)
		return BDE_BLOCK_UNREADABLE;
	if (all_zero(h, sizeof h))
		return BDE_BLOCK_ZEROED;
	if (memcmp(h, FVE_SIG, 8) != 0)
		return BDE_BLOCK_BAD_SIGNATURE;
	if (ld16le(h + BLK_VERSION) != BLK_VERSION_2)
		return BDE_BLOCK_BAD_VERSION;
	size_t info = (size_t)ld16le(h + BLK_SIZE) * BLK_SIZE_UNIT;
	size_t want = info + BLK_CRC_GAP + 4;
	if (info < BLK_HDR + DS_HDR || want > c->vol_len - off)
		return BDE_BLOCK_BAD_STRUCTURE;
	blk->buf = xmalloc(want);
	blk->info_len = info;
	if (vdisk_read_meta(c->vd, vpos(c, off), blk->buf, want) != HV_OK)
		return BDE_BLOCK_UNREADABLE;
	if (!dataset_sane(span_make(blk->buf, info), info))
		return BDE_BLOCK_BAD_STRUCTURE;
	if (ld32le(blk->buf + info + BLK_CRC_GAP) != hv_crc32(blk->buf, info))
		return BDE_BLOCK_BAD_CRC;
	return BDE_BLOCK_OK;
}

static void note_block(bde_ctx *c, int i, uint64_t off, bde_block_status st)
{
	if (st == BDE_BLOCK_OK)
		return;
	findings_add(c->f, st == BDE_BLOCK_ZEROED ? HV_SEV_NOTE : HV_SEV_WARN, c->name,
		     vpos(c, off), "FVE metadata copy %d: %s", i + 1, bde_block_status_name(st));
}

/* Picks the copy to use: first OK, else first with only a bad CRC. */
static int choose_block(bde_ctx *c, bde_volume *v, bde_block *b)
{
	for (int i = 0; i < BDE_BLOCKS; i++)
		if (b[i].st == BDE_BLOCK_OK)
			return i;
	for (int i = 0; i < BDE_BLOCKS; i++) {
		if (b[i].st == BDE_BLOCK_BAD_CRC) {
			findings_add(c->f, HV_SEV_WARN, c->name, vpos(c, v->block_offset[i]),
				     "no FVE metadata copy passes its CRC32; copy %d used best effort",
				     i + 1);
			return i;
		}
	}
	return -1;
}

static void compare_copies(bde_ctx *c, bde_volume *v, const bde_block *b)
{
	const bde_block *u = &b[v->block_used];
	for (int i = 0; i < BDE_BLOCKS; i++) {
		if (i == v->block_used || b[i].st != BDE_BLOCK_OK)
			continue;
		if (b[i].info_len != u->info_len || memcmp(b[i].buf, u->buf, u->info_len) != 0) {
			v->copies_differ = true;
			findings_add(c->f, HV_SEV_WARN, c->name, vpos(c, v->block_offset[i]),
				     "FVE metadata copy %d differs from copy %d", i + 1,
				     v->block_used + 1);
		}
	}
}

/* ---- entries ---- */

typedef struct {
	span_t s;          /* the enclosing bytes */
	uint64_t pos, end;
	uint16_t size, type, vtype, version;
} ent_walk;

/* Next entry; false at the end or on a malformed size (bad set). */
static bool ent_next(ent_walk *w, bool *bad)
{
	*bad = false;
	if (w->pos >= w->end || w->end - w->pos < ENT_HDR) {
		*bad = w->pos < w->end && w->end - w->pos >= 2 && w->s.data[w->pos] != 0;
		return false;
	}
	const uint8_t *p = w->s.data + w->pos;
	w->size = ld16le(p);
	w->type = ld16le(p + 2);
	w->vtype = ld16le(p + 4);
	w->version = ld16le(p + 6);
	if (w->size == 0)
		return false;
	if (w->size < ENT_HDR || w->size > w->end - w->pos) {
		*bad = true;
		return false;
	}
	return true;
}

static void nested_hints(bde_protector *p, span_t vmk)
{
	ent_walk w = { vmk, VMK_NESTED, vmk.len, 0, 0, 0, 0 };
	bool bad;
	while (ent_next(&w, &bad)) {
		const uint8_t *d = w.s.data + w.pos;
		switch (w.vtype) {
		case VT_STRING:
			if (!p->name)
				p->name = utf16le_to_utf8(d + ENT_HDR, w.size - ENT_HDR);
			break;
		case VT_KEY: p->has_clear_key = true; break;
		case VT_STRETCH_KEY: p->has_stretch_key = true; break;
		case VT_USE_KEY: p->has_use_key = true; break;
		case VT_AES_CCM: p->has_aes_ccm = true; break;
		case VT_TPM: p->has_tpm_blob = true; break;
		case VT_ASYMMETRIC:
		case VT_PUBLIC_KEY: p->has_public_key = true; break;
		case VT_BACKUP_INFO: p->possibly_escrowed = true; break;
		default: break;
		}
		w.pos += w.size;
	}
}

static void add_protector(bde_ctx *c, bde_volume *v, span_t e, uint32_t at)
{
	if (e.len < VMK_NESTED) {
		findings_add(c->f, HV_SEV_WARN, c->name, vpos(c, v->block_offset[v->block_used]) + at,
			     "VMK entry of %zu bytes is too short", e.len);
		return;
	}
	if (v->nprot >= MAX_PROTECTORS) {
		findings_add(c->f, HV_SEV_WARN, c->name, vpos(c, v->block_offset[v->block_used]) + at,
			     "more than %d VMK entries; the rest ignored", MAX_PROTECTORS);
		return;
	}
	v->prot = xrealloc(v->prot, (v->nprot + 1) * sizeof *v->prot);
	bde_protector *p = &v->prot[v->nprot++];
	memset(p, 0, sizeof *p);
	memcpy(p->guid, e.data + VMK_GUID, 16);
	guid_format(p->guid, p->guid_str);
	p->last_change = ld64le(e.data + VMK_CHANGED);
	p->type_value = ld16le(e.data + VMK_PROTECTION);
	p->entry_version = ld16le(e.data + 6);
	p->entry_offset = at;
	if (p->type_value == BDE_PROT_RECOVERY_PASSWORD)
		memcpy(p->recovery_key_id, p->guid_str, 8);
	nested_hints(p, e);
}

static void take_entry(bde_ctx *c, bde_volume *v, const ent_walk *w, uint32_t at)
{
	span_t e = span_make(w->s.data + w->pos, w->size);
	const uint8_t *d = e.data + ENT_HDR;
	size_t dl = e.len - ENT_HDR;
	if (w->type == ENT_VMK && w->vtype == VT_VMK) {
		add_protector(c, v, e, at);
	} else if (w->type == ENT_DESCRIPTION && w->vtype == VT_STRING) {
		if (!v->description)
			v->description = utf16le_to_utf8(d, dl);
	} else if (w->type == ENT_FVEK) {
		v->has_fvek = true;
	} else if (w->type == ENT_VOLUME_HEADER && w->vtype == VT_OFFSET_SIZE && dl >= 16) {
		v->volume_header_offset = ld64le(d);
		v->volume_header_size = ld64le(d + 8);
	} else {
		v->unknown_entries++;
	}
}

static void walk_dataset(bde_ctx *c, bde_volume *v, const uint8_t *blk, size_t info)
{
	span_t ds = span_make(blk + BLK_HDR, info - BLK_HDR);
	ent_walk w = { ds, ld32le(ds.data + DS_HDR_SIZE), ld32le(ds.data + DS_END), 0, 0, 0, 0 };
	bool bad;
	while (ent_next(&w, &bad)) {
		take_entry(c, v, &w, (uint32_t)(BLK_HDR + w.pos));
		w.pos += w.size;
	}
	if (bad)
		findings_add(c->f, HV_SEV_WARN, c->name,
			     vpos(c, v->block_offset[v->block_used]) + BLK_HDR + w.pos,
			     "malformed FVE metadata entry; walk stopped");
}

static void take_header(bde_volume *v, const uint8_t *b)
{
	v->state_current = ld16le(b + BLK_STATE);
	v->state_next = ld16le(b + BLK_NEXT_STATE);
	v->encrypted_size = ld64le(b + BLK_ENC_SIZE);
	const uint8_t *ds = b + BLK_HDR;
	memcpy(v->volume_guid, ds + DS_GUID, 16);
	guid_format(v->volume_guid, v->volume_guid_str);
	v->method_raw = ld32le(ds + DS_METHOD);
	v->method = (uint16_t)(v->method_raw & 0xFFFF);
	v->creation_time = ld64le(ds + DS_CREATED);
}

static void check_offset_copies(bde_ctx *c, const bde_volume *v, const uint8_t *b)
{
	for (int i = 0; i < BDE_BLOCKS; i++) {
		if (ld64le(b + BLK_OFFSETS + 8 * i) != v->block_offset[i]) {
			findings_add(c->f, HV_SEV_WARN, c->name, vpos(c, v->block_offset[v->block_used]),
				     "metadata block lists offset %d differently from the boot sector",
				     i + 1);
			return;
		}
	}
}

static hv_err read_boot(bde_ctx *c, bde_volume *v)
{
	uint8_t bs[BDE_BOOT_SECTOR];
	if (c->vol_len < BDE_BOOT_SECTOR)
		return HV_ERR_FORMAT;
	hv_err rc = vdisk_read_meta(c->vd, c->vol_off, bs, sizeof bs);
	if (rc != HV_OK) {
		findings_add(c->f, HV_SEV_ERROR, c->name, c->vol_off, "boot sector unreadable");
		return rc;
	}
	span_t s = span_make(bs, sizeof bs);
	v->boot_kind = bde_classify_boot_sector(s);
	if (!bde_boot_is_bitlocker(v->boot_kind))
		return HV_ERR_FORMAT;
	v->bytes_per_sector = ld16le(bs + BS_BPS);
	if (v->boot_kind == BDE_BOOT_BITLOCKER_VISTA) {
		v->version = 1;
		findings_add(c->f, HV_SEV_ERROR, c->name, c->vol_off,
			     "BitLocker version 1 (Windows Vista) is not supported");
		return HV_ERR_UNSUPPORTED;
	}
	v->version = BLK_VERSION_2;
	if (v->boot_kind == BDE_BOOT_BITLOCKER_UNKNOWN_ID)
		findings_add(c->f, HV_SEV_WARN, c->name, c->vol_off + BS_GUID,
			     "unknown BitLocker identifier; reading the Windows 7 layout");
	if (v->bytes_per_sector != 512 && v->bytes_per_sector != 4096)
		findings_add(c->f, HV_SEV_WARN, c->name, c->vol_off + BS_BPS,
			     "unusual bytes per sector %u", v->bytes_per_sector);
	uint64_t at = v->boot_kind == BDE_BOOT_BITLOCKER_TOGO ? BS_TOGO_OFFSETS : BS_OFFSETS;
	for (int i = 0; i < BDE_BLOCKS; i++)
		v->block_offset[i] = ld64le(bs + at + 8 * i);
	if (v->boot_kind == BDE_BOOT_BITLOCKER_EOW) {
		v->eow_offset[0] = ld64le(bs + BS_EOW_OFFSETS);
		v->eow_offset[1] = ld64le(bs + BS_EOW_OFFSETS + 8);
	}
	return HV_OK;
}

static hv_err read_metadata(bde_ctx *c, bde_volume *v)
{
	bde_block b[BDE_BLOCKS] = { { 0 } };
	for (int i = 0; i < BDE_BLOCKS; i++) {
		b[i].st = read_block(c, v->block_offset[i], &b[i]);
		v->block_status[i] = b[i].st;
		note_block(c, i, v->block_offset[i], b[i].st);
	}
	int u = choose_block(c, v, b);
	v->block_used = u;
	hv_err rc = HV_OK;
	if (u < 0) {
		findings_add(c->f, HV_SEV_ERROR, c->name, c->vol_off,
			     "no usable FVE metadata copy");
		rc = HV_ERR_CORRUPT;
	} else {
		v->crc_verified = b[u].st == BDE_BLOCK_OK;
		take_header(v, b[u].buf);
		check_offset_copies(c, v, b[u].buf);
		walk_dataset(c, v, b[u].buf, b[u].info_len);
		compare_copies(c, v, b);
	}
	for (int i = 0; i < BDE_BLOCKS; i++)
		free(b[i].buf);
	return rc;
}

hv_err bde_read(vdisk *vd, uint64_t vol_off, uint64_t vol_len, bde_volume *out,
		hv_findings *f)
{
	memset(out, 0, sizeof *out);
	out->block_used = -1;
	uint64_t dsz = vdisk_size(vd);
	if (vol_off > dsz)
		return HV_ERR_LIMIT;
	if (vol_len == 0 || vol_len > dsz - vol_off)
		vol_len = dsz - vol_off;
	strbuf nm = STRBUF_INIT;
	sb_addf(&nm, "%s (virtual disk)", vdisk_name(vd));
	bde_ctx c = { vd, vol_off, vol_len, sb_detach(&nm), f };
	hv_err rc = read_boot(&c, out);
	if (rc == HV_OK)
		rc = read_metadata(&c, out);
	free(c.name);
	return rc;
}

void bde_volume_free(bde_volume *v)
{
	if (!v)
		return;
	for (size_t i = 0; i < v->nprot; i++)
		free(v->prot[i].name);
	free(v->prot);
	free(v->description);
	memset(v, 0, sizeof *v);
	v->block_used = -1;
}
