/*
 * vmgs.c - reader for Hyper-V guest state files (.vmgs), v1 and v3.
 *
 * Sources (facts only, no code taken): HyperSine/vmgs-utils (src/Vmgs.cpp,
 * vmgs/__init__.py, README; no licence) for v1, a tool that reads and
 * rewrites real on-prem files; microsoft/openvmm vm/vmgs (MIT) for v3.
 * Collected in docs/vmgs.md.
 * Confidence: [C] stated by a source, [I] inferred here, not verified on a
 * file written by Hyper-V.  All integers little-endian.
 *
 * V1 CONTAINER
 *   A VHD (fixed or dynamic) holding a GPT disk [C].  The partition whose
 *   type GUID is 700F0C12-1515-4E4D-8D32-53F685BF44AF holds the data [C].
 *   Block = the disk's logical sector size (512 for a VHD) [C].  A partition
 *   image without GPT (headers at disk byte 0) is read the same way [I].
 *
 * V1 DATA HEADER (0x60 bytes at partition blocks 0 and 1) [C]
 *   0x00 "GUESTRTS"            0x08 u32 version 0x00010000
 *   0x0C u32 checksum: zlib CRC-32 of the 0x60 bytes with this field zero
 *   0x10 u32 sequence          0x14 u32 header_size 0x60
 *   0x18 u32 locator_size 0x20 0x1C u32 active_index (0 or 1)
 *   0x20, 0x40 two locators:   +0x00 u64 allocation_lba (blocks, relative to
 *     the partition)  +0x08 u64 allocation_count (blocks)  +0x10 u32
 *     data_size (bytes, <= count x block)  +0x14 12 reserved bytes
 *   Both headers must be valid and their sequences one apart (u32 wrap) [C];
 *   the higher one is active and locators[active_index] names the current
 *   data [C].  Here one invalid header is tolerated with a warning and the
 *   other used [I]; a gap is an error, the newer header (serial arithmetic)
 *   is still read as best effort [I].  A locator must lie inside the
 *   partition [C] and past the two header blocks [I, necessarily].
 *   The other locator may hold an older copy [I]: it is read and reported.
 *   The v1 header has no time stamp.
 *
 * V1 DATA [C]
 *   data_size bytes of UTF-16LE JSON text, NUL-terminated (vmgs-utils
 *   writes Python's json.dumps plus two zero bytes and strips NULs when
 *   reading):
 *     {"Version": {"Major", "Minor"}, "Devices": {"<device GUID>":
 *       {"Version": {...}, "Type": "...", "States": {"<name>": ...}}}}
 *   Byte strings are arrays of numbers 0-255.  UEFI variables: a device's
 *   States.Nvram.Vendors.<vendor GUID>.Variables.<name>.{Attributes, Data}
 *   (the BIOS device is AC6B8DC1-3257-4A70-B1B2-A9C9215659AD) [C].
 *   PK/KEK/db/dbx Data are EFI_SIGNATURE_LISTs (UEFI spec) [C].
 *   Which state (if any) holds the key protector is NOT known [I]: every
 *   byte array and string is handed to the caller with its JSON path.
 *
 * V3 (OpenHCL BlockStorage) [C: openvmm]
 *   A fixed VHD; disk byte 0 and byte sector_size hold 168-byte headers:
 *   0x00 "GUESTRTS", 0x08 u32 version 0x00030000 (0x00020000 = v2),
 *   0x0C u32 CRC-32 (field zero), 0x10 u32 sequence, 0x14 u32 header_size
 *   168, 0x18 u32 file_table_offset (4 KiB blocks, >= 2), 0x1C u32
 *   file_table_size (1), 0x20 u16 encryption_algorithm (0 none, 1
 *   AES-256-GCM), 0x22 u16 markers (bit 0 reprovisioned), 0x24 two 64-byte
 *   wrapped metadata keys, 0xA4 u32 reserved.  Active: the valid one whose
 *   sequence is the other's + 1, else the only valid one.
 *   File table: 64 entries x 64 bytes: 0x00 u32 block_offset, 0x04 u32
 *   allocation_blocks (0 = absent), 0x08 u64 valid_data_size, 0x10 nonce[12],
 *   0x1C auth_tag[16], 0x2C u32 attributes (bit 0 encrypted, bit 1
 *   authenticated; a copy of the extended table's, written by newer
 *   openvmm only, older files have zero there), 16 reserved.
 *
 * ERRORS
 *   FORMAT  no VMGS partition and no GUESTRTS header at all
 *   CORRUPT both headers invalid, sequence gap, current locator out of
 *           bounds, data beyond its allocation, invalid UTF-16, JSON syntax
 *           or truncation, a byte array value outside 0-255, data unreadable
 *   UNSUPPORTED  only headers of a version not read here
 *   LIMIT   VMGS_MAX_DATA_SIZE, VMGS_MAX_JSON_DEPTH, VMGS_MAX_JSON_ELEMENTS
 */
#include "formats/vmgs.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "formats/partition.h"
#include "util/bytes.h"
#include "util/crc.h"
#include "util/fileio.h"
#include "util/strbuf.h"
#include "util/text.h"
#include "util/xalloc.h"

/* v1 data header */
#define V1_HDR_SIZE      0x60u
#define V1_LOC_SIZE      0x20u
#define V1_CRC           0x0Cu
#define V1_LOC0          0x20u
#define V1_HEADER_BLOCKS 2u

/* v3 header and file table */
#define V3_HDR_SIZE      168u
#define V3_CRC           0x0Cu
#define V3_KEYS          0x24u
#define V3_KEY_SIZE      64u
#define V3_BLOCK         4096u
#define V3_MIN_FT_BLOCK  2u
#define V3_ENTRY_SIZE    64u
#define V3_E_TAGS        0x10u
#define V3_E_TAGS_LEN    28u
#define V3_E_ATTR        0x2Cu

/* EFI_SIGNATURE_LIST */
#define SIGLIST_HDR      28u
#define SIGDATA_OWNER    16u
#define EFI_CERT_X509    "A5C059A1-94E4-4AA7-87B5-AB155C2BF072"
#define EFI_CERT_SHA256  "C1C41626-504C-4092-ACA9-41F936934328"

typedef struct {
	vdisk *vd;
	const char *name;
	hv_findings *f;
	vmgs_file *v;
	bool digests;          /* vmgs_read_opts.digests */
} vctx;

static void report(vctx *c, hv_sev sev, uint64_t off, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static void report(vctx *c, hv_sev sev, uint64_t off, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	findings_vadd(c->f, sev, c->name, off, fmt, ap);
	va_end(ap);
}

/* Takes back the last finding (a parse error about text that is parsed again). */
static void findings_drop_last(vctx *c, size_t k)
{
	for (; k > 0 && c->f && c->f->n > 0; k--) {
		hv_finding *x = &c->f->v[--c->f->n];
		free(x->file);
		free(x->msg);
	}
}

static unsigned long long ull(uint64_t v)
{
	return (unsigned long long)v;
}

/* The first error wins, except that an I/O error wins over everything. */
static hv_err worse(hv_err a, hv_err b)
{
	if (a == HV_ERR_IO || b == HV_ERR_IO)
		return HV_ERR_IO;
	return a != HV_OK ? a : b;
}

static bool all_zero(const uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (p[i])
			return false;
	return true;
}

/* Room for item n of an array whose capacity is the power of two >= n. */
static void *grow_for(void *p, size_t n, size_t elem)
{
	if (n && (n & (n - 1)))
		return p;
	return xrealloc(p, (n ? 2 * n : 1) * elem);
}

/* The SHA-256 of p in hex, or "" when the reader was asked for no digests. */
static void digest_of(const vctx *c, const uint8_t *p, size_t n, char out[65])
{
	out[0] = '\0';
	if (!c->digests)
		return;
	uint8_t d[32];
	hv_sha256(p, n, d);
	hv_sha256_hex(d, out);
}

/* ---- names ------------------------------------------------------------ */

static const struct {
	const char *guid;
	const char *name;
} known_devices[] = {
	{ VMGS_DEVICE_BIOS, "Microsoft Virtual BIOS (UEFI loader)" },
	{ VMGS_DEVICE_TPM, "Microsoft Virtual TPM Device" },
	{ VMGS_DEVICE_GUEST_STATE, "Microsoft Guest Runtime State" },
	{ "83F8638B-8DCA-4152-9EDA-2CA8B33039B4", "IDE controller" },
	{ "D422512D-2BF2-4752-809D-7B82B5FCB1B4", "Synthetic SCSI Controller" },
};

const char *vmgs_device_name(const char *guid)
{
	for (size_t i = 0; i < sizeof known_devices / sizeof known_devices[0]; i++)
		if (guid_str_eq(guid, known_devices[i].guid))
			return known_devices[i].name;
	return NULL;
}

const char *vmgs_v3_file_name(uint32_t id)
{
	static const char *const names[] = {
		"FILE_TABLE", "BIOS_NVRAM", "TPM_PPI", "TPM_NVRAM", "RTC_SKEW", "ATTEST",
		"KEY_PROTECTOR", "VM_UNIQUE_ID", "GUEST_FIRMWARE", "CUSTOM_UEFI",
		"GUEST_WATCHDOG", "HW_KEY_PROTECTOR", NULL, "GUEST_SECRET_KEY",
		"HIBERNATION_FIRMWARE", "PLATFORM_SEED", "PROVENANCE_DOC", "TPM_NVRAM_BACKUP",
		"PROVISIONING_MARKER",
	};
	if (id == 63)
		return "EXTENDED_FILE_TABLE";
	if (id < sizeof names / sizeof names[0] && names[id])
		return names[id];
	return "unknown";
}

const char *vmgs_role_name(vmgs_kp_role r)
{
	switch (r) {
	case VMGS_ROLE_NONE: return "none";
	case VMGS_ROLE_CURRENT: return "current";
	case VMGS_ROLE_LAST_KNOWN_GOOD: return "last_known_good";
	}
	return "none";
}

const char *vmgs_state_kind_name(vmgs_state_kind k)
{
	switch (k) {
	case VMGS_STATE_BYTES: return "bytes";
	case VMGS_STATE_STRING: return "string";
	case VMGS_STATE_NUMBER: return "number";
	case VMGS_STATE_BOOL: return "bool";
	case VMGS_STATE_NULL: return "null";
	case VMGS_STATE_OBJECT: return "object";
	case VMGS_STATE_ARRAY: return "array";
	}
	return "unknown";
}

static bool has_suffix(const char *s, size_t n, const char *suf)
{
	size_t k = strlen(suf);
	return n >= k && memcmp(s + n - k, suf, k) == 0;
}

/* name (n bytes) lower-cased without '_', '-', ' ', '.': "lkgkeyprotector". */
static vmgs_kp_role role_of(const char *name, size_t n)
{
	char norm[64];
	size_t k = 0;
	for (size_t i = 0; i < n; i++) {
		unsigned char ch = (unsigned char)name[i];
		if (ch == '_' || ch == '-' || ch == ' ' || ch == '.')
			continue;
		if (k + 1 >= sizeof norm)
			return VMGS_ROLE_NONE;
		norm[k++] = (char)tolower(ch);
	}
	norm[k] = '\0';
	if (!has_suffix(norm, k, "keyprotector"))
		return VMGS_ROLE_NONE;
	if (strncmp(norm, "lkg", 3) == 0 || strncmp(norm, "lastknowngood", 13) == 0)
		return VMGS_ROLE_LAST_KNOWN_GOOD;
	return VMGS_ROLE_CURRENT;
}

vmgs_kp_role vmgs_role_of_name(const char *name)
{
	return name ? role_of(name, strlen(name)) : VMGS_ROLE_NONE;
}

/* The role of the member nearest the leaf of a JSON path that names one. */
static vmgs_kp_role role_of_path(const char *path, size_t len)
{
	size_t end = len;
	while (end > 0) {
		size_t start = end;
		while (start > 0 && path[start - 1] != '/')
			start--;
		vmgs_kp_role r = role_of(path + start, end - start);
		if (r != VMGS_ROLE_NONE)
			return r;
		end = start ? start - 1 : 0;
	}
	return VMGS_ROLE_NONE;
}

/* ---- sniffing ---------------------------------------------------------- */

static bool signature_at(vdisk *vd, uint64_t off)
{
	uint8_t b[8];
	return off <= vdisk_size(vd) && vdisk_size(vd) - off >= sizeof b &&
	       vdisk_read(vd, off, b, sizeof b) == HV_OK && memcmp(b, VMGS_SIGNATURE, 8) == 0;
}

static const part_entry *vmgs_partition(const part_table *t)
{
	if (t->scheme != PART_SCHEME_GPT)
		return NULL;
	for (size_t i = 0; i < t->n; i++)
		if (guid_str_eq(t->v[i].type_guid_str, VMGS_V1_PARTITION_TYPE))
			return &t->v[i];
	return NULL;
}

bool vmgs_sniff_vdisk(vdisk *vd)
{
	if (signature_at(vd, 0) || signature_at(vd, vdisk_sector_size(vd)))
		return true;
	part_table t;
	hv_findings tmp = { 0 };
	(void)part_read(vd, &t, &tmp);
	bool found = vmgs_partition(&t) != NULL;
	part_table_free(&t);
	findings_free(&tmp);
	return found;
}

/* ---- UTF-16LE text ----------------------------------------------------- */

static bool is_high(uint32_t u) { return u >= 0xD800 && u <= 0xDBFF; }
static bool is_low(uint32_t u) { return u >= 0xDC00 && u <= 0xDFFF; }

typedef struct {
	size_t units;        /* code units of text before the terminator */
	size_t utf8_len;
	bool terminated;
} text_info;

/* JSON structure seen while scanning: depth and separators outside strings,
 * and \u escapes inside them (a surrogate escape must be paired too). */
typedef struct {
	bool in_str, esc;
	uint8_t hex_left;      /* hex digits of a \u escape still to come */
	bool want_low;         /* the last escape was \uD800-\uDBFF */
	uint32_t hex;
	uint32_t depth;
	uint32_t elements;
} json_shape;

enum { SHAPE_OK = 0, SHAPE_CAP, SHAPE_BAD_ESCAPE };

static int hex_digit(uint32_t u)
{
	if (u >= '0' && u <= '9')
		return (int)(u - '0');
	if ((u | 0x20) >= 'a' && (u | 0x20) <= 'f')
		return (int)((u | 0x20) - 'a' + 10);
	return -1;
}

static int shape_escape_done(json_shape *s)
{
	if (s->want_low) {
		s->want_low = false;
		return is_low(s->hex) ? SHAPE_OK : SHAPE_BAD_ESCAPE;
	}
	if (is_high(s->hex))
		s->want_low = true;
	return is_low(s->hex) ? SHAPE_BAD_ESCAPE : SHAPE_OK;
}

/* A code unit inside a string.  Malformed escapes are left to json-c. */
static int shape_string(json_shape *s, uint32_t u)
{
	if (s->hex_left) {
		int h = hex_digit(u);
		if (h < 0) {
			s->hex_left = 0;
			return SHAPE_OK;
		}
		s->hex = (s->hex << 4) | (uint32_t)h;
		return --s->hex_left ? SHAPE_OK : shape_escape_done(s);
	}
	if (s->esc) {
		s->esc = false;
		if (u == 'u') {
			s->hex_left = 4;
			s->hex = 0;
			return SHAPE_OK;
		}
		return s->want_low ? SHAPE_BAD_ESCAPE : SHAPE_OK;
	}
	if (s->want_low && u != '\\')
		return SHAPE_BAD_ESCAPE;
	if (u == '\\')
		s->esc = true;
	else if (u == '"')
		s->in_str = false;
	return SHAPE_OK;
}

/* Feeds one code unit; SHAPE_CAP names the cap in *why. */
static int shape_feed(json_shape *s, uint32_t u, const char **why)
{
	if (s->in_str)
		return shape_string(s, u);
	switch (u) {
	case '"':
		s->in_str = true;
		break;
	case '{':
	case '[':
		s->elements++;
		if (++s->depth > VMGS_MAX_JSON_DEPTH) {
			*why = "nesting depth";
			return SHAPE_CAP;
		}
		break;
	case '}':
	case ']':
		if (s->depth)
			s->depth--;
		break;
	case ',':
		s->elements++;
		break;
	default:
		break;
	}
	if (s->elements > VMGS_MAX_JSON_ELEMENTS) {
		*why = "element count";
		return SHAPE_CAP;
	}
	return SHAPE_OK;
}

static size_t utf8_units(uint32_t u)
{
	return u < 0x80 ? 1 : u < 0x800 ? 2 : 3;
}

/*
 * One pass over the code units: finds the terminator, rejects unpaired
 * surrogates and applies the depth and element caps before json-c runs.
 */
static hv_err text_scan(vctx *c, span_t d, uint64_t base, const char *what, text_info *ti)
{
	json_shape sh = { 0 };
	size_t units = d.len / 2;
	memset(ti, 0, sizeof *ti);
	ti->units = units;
	for (size_t i = 0; i < units; i++) {
		uint32_t u = ld16le(d.data + 2 * i);
		const char *why = NULL;
		if (u == 0) {
			ti->units = i;
			ti->terminated = true;
			return HV_OK;
		}
		if (is_low(u) || (is_high(u) && (i + 1 >= units ||
						  !is_low(ld16le(d.data + 2 * (i + 1)))))) {
			report(c, HV_SEV_ERROR, base + 2 * i, "%s: invalid UTF-16: unpaired "
			       "surrogate U+%04X", what, u);
			return HV_ERR_CORRUPT;
		}
		if (is_high(u)) {
			ti->utf8_len += 4;
			i++;
			continue;
		}
		ti->utf8_len += utf8_units(u);
		int sr = shape_feed(&sh, u, &why);
		if (sr == SHAPE_CAP) {
			report(c, HV_SEV_ERROR, base + 2 * i, "%s: JSON %s exceeds the cap (depth %d, "
			       "%u elements)", what, why, VMGS_MAX_JSON_DEPTH, VMGS_MAX_JSON_ELEMENTS);
			return HV_ERR_LIMIT;
		}
		if (sr == SHAPE_BAD_ESCAPE) {
			report(c, HV_SEV_ERROR, base + 2 * i, "%s: invalid UTF-16: unpaired surrogate "
			       "in a \\u escape of a JSON string", what);
			return HV_ERR_CORRUPT;
		}
	}
	if (d.len % 2) {
		report(c, HV_SEV_ERROR, base + d.len - 1, "%s: invalid UTF-16: odd data size %zu "
		       "and no terminator", what, d.len);
		return HV_ERR_CORRUPT;
	}
	return HV_OK;
}

static void put_utf8(char *o, size_t *k, uint32_t cp)
{
	if (cp < 0x80) {
		o[(*k)++] = (char)cp;
	} else if (cp < 0x800) {
		o[(*k)++] = (char)(0xC0 | (cp >> 6));
		o[(*k)++] = (char)(0x80 | (cp & 0x3F));
	} else if (cp < 0x10000) {
		o[(*k)++] = (char)(0xE0 | (cp >> 12));
		o[(*k)++] = (char)(0x80 | ((cp >> 6) & 0x3F));
		o[(*k)++] = (char)(0x80 | (cp & 0x3F));
	} else {
		o[(*k)++] = (char)(0xF0 | (cp >> 18));
		o[(*k)++] = (char)(0x80 | ((cp >> 12) & 0x3F));
		o[(*k)++] = (char)(0x80 | ((cp >> 6) & 0x3F));
		o[(*k)++] = (char)(0x80 | (cp & 0x3F));
	}
}

/* UTF-8 of text already checked by text_scan (exactly ti->utf8_len bytes). */
static char *text_to_utf8(span_t d, const text_info *ti)
{
	char *o = xmalloc(ti->utf8_len + 1);
	size_t k = 0;
	for (size_t i = 0; i < ti->units; i++) {
		uint32_t u = ld16le(d.data + 2 * i);
		if (is_high(u) && i + 1 < ti->units) {
			uint32_t lo = ld16le(d.data + 2 * (i + 1));
			u = 0x10000 + ((u - 0xD800) << 10) + (lo - 0xDC00);
			i++;
		}
		put_utf8(o, &k, u);
	}
	o[k] = '\0';
	return o;
}

/* Byte offset in the UTF-16 text of UTF-8 position pos. */
static uint64_t utf16_offset_of(const char *s, size_t pos)
{
	uint64_t units = 0;
	for (size_t i = 0; i < pos; i++) {
		unsigned char ch = (unsigned char)s[i];
		if ((ch & 0xC0) != 0x80)
			units += ch >= 0xF0 ? 2 : 1;
	}
	return 2 * units;
}

/* Index of the first character from `from` on that is not JSON white space. */
static size_t skip_space(const char *s, size_t from, size_t len)
{
	while (from < len && s[from] && strchr(" \t\r\n", s[from]))
		from++;
	return from;
}

/* Parses the UTF-8 text; NULL (and *rc) on any error. */
static json_object *json_parse(vctx *c, const char *s, size_t len, uint64_t base,
			       const text_info *ti, const char *what, hv_err *rc)
{
	struct json_tokener *tok = json_tokener_new_ex(VMGS_MAX_JSON_DEPTH + 1);
	if (!tok) {
		*rc = HV_ERR_INTERNAL;
		return NULL;
	}
	json_tokener_set_flags(tok, JSON_TOKENER_STRICT);
	json_object *root = json_tokener_parse_ex(tok, s, (int)len);
	enum json_tokener_error e = json_tokener_get_error(tok);
	size_t end = json_tokener_get_parse_end(tok);
	json_tokener_free(tok);
	if (!root && (e == json_tokener_continue || e == json_tokener_success)) {
		report(c, HV_SEV_ERROR, base + 2 * (uint64_t)ti->units, "%s: the JSON text ends "
		       "early (truncated)", what);
		*rc = HV_ERR_CORRUPT;
	} else if (!root) {
		report(c, HV_SEV_ERROR, base + utf16_offset_of(s, end < len ? end : len),
		       "%s: JSON syntax error: %s", what, json_tokener_error_desc(e));
		*rc = e == json_tokener_error_depth ? HV_ERR_LIMIT : HV_ERR_CORRUPT;
	} else if ((end = skip_space(s, end, len)) < len) {
		report(c, HV_SEV_ERROR, base + utf16_offset_of(s, end), "%s: text after the end "
		       "of the JSON document", what);
		json_object_put(root);
		root = NULL;
		*rc = HV_ERR_CORRUPT;
	}
	return root;
}

/* ---- byte arrays, decoded before json-c sees them ------------------------ */

/*
 * A guest state is mostly byte strings written as arrays of numbers: a
 * 5 KB key protector is 5,000 JSON numbers, and json-c would make an
 * object of each.  So, before json-c parses the text, every array made only
 * of integers 0-255 ([1, 2, 3]) is decoded here and replaced by the string
 * "\u0000B<index>" naming its bytes in a table.  json-c still parses the
 * whole structure and everything else; an array holding anything else (a
 * number over 255, a negative or fractional number, any other value) is left
 * for json-c and the checks after it.  A document that holds the escape
 * \u0000 anywhere is left as it is (its strings could look like the marker).
 */
typedef struct {
	uint8_t **v;
	size_t *len;
	size_t n, cap;
} byte_table;

static void byte_table_free(byte_table *t)
{
	for (size_t i = 0; i < t->n; i++)
		free(t->v[i]);
	free(t->v);
	free(t->len);
	memset(t, 0, sizeof *t);
}

static bool is_ws(char ch)
{
	return ch == ' ' || ch == '\t' || ch == '\r' || ch == '\n';
}

/*
 * An array of integers 0-255 starting at s[i] == '['; on success its end
 * (one past ']') and its bytes (caller frees) are returned.
 */
static bool byte_array_at(const char *s, size_t len, size_t i, size_t *end, uint8_t **out,
			  size_t *n)
{
	size_t cap = 64, k = 0;
	uint8_t *b = NULL;
	i = i + 1;
	while (i < len && is_ws(s[i]))
		i++;
	if (i < len && s[i] == ']')
		return false; /* [] : json-c takes it */
	b = xmalloc(cap);
	for (;;) {
		unsigned v = 0, digits = 0;
		if (i < len && s[i] == '0' && i + 1 < len && s[i + 1] >= '0' && s[i + 1] <= '9')
			break; /* leading zero: not JSON, json-c reports it */
		while (i < len && s[i] >= '0' && s[i] <= '9' && digits < 4) {
			v = v * 10 + (unsigned)(s[i] - '0');
			i++;
			digits++;
		}
		if (!digits || v > 255 || (i < len && ((s[i] >= '0' && s[i] <= '9') ||
						       s[i] == '.' || s[i] == 'e' || s[i] == 'E')))
			break;
		if (k == cap)
			b = xrealloc(b, cap *= 2);
		b[k++] = (uint8_t)v;
		while (i < len && is_ws(s[i]))
			i++;
		if (i < len && s[i] == ',') {
			i++;
			while (i < len && is_ws(s[i]))
				i++;
			continue;
		}
		if (i < len && s[i] == ']') {
			*end = i + 1;
			*out = b;
			*n = k;
			return true;
		}
		break;
	}
	free(b);
	return false;
}

/* The text with byte arrays taken out (new string, *outlen), or NULL when left as it is. */
static char *compact_bytes(const char *s, size_t len, byte_table *t, size_t *outlen)
{
	if (memmem(s, len, "\\u0000", 6))
		return NULL;
	strbuf o = STRBUF_INIT;
	bool in_str = false, esc = false;
	size_t from = 0;
	for (size_t i = 0; i < len; i++) {
		char ch = s[i];
		if (in_str) {
			if (esc)
				esc = false;
			else if (ch == '\\')
				esc = true;
			else if (ch == '"')
				in_str = false;
			continue;
		}
		if (ch == '"') {
			in_str = true;
			continue;
		}
		size_t end, n;
		uint8_t *b;
		if (ch != '[' || !byte_array_at(s, len, i, &end, &b, &n))
			continue;
		if (t->n == t->cap) {
			t->cap = t->cap ? 2 * t->cap : 16;
			t->v = xrealloc(t->v, t->cap * sizeof *t->v);
			t->len = xrealloc(t->len, t->cap * sizeof *t->len);
		}
		t->v[t->n] = b;
		t->len[t->n] = n;
		sb_add(&o, s + from, i - from);
		sb_addf(&o, "\"\\u0000B%zu\"", t->n++);
		from = end;
		i = end - 1;
	}
	sb_add(&o, s + from, len - from);
	*outlen = o.len;
	return sb_detach(&o);
}

/* The bytes a marker string names (see compact_bytes); false for any other value. */
static bool marked_bytes(const byte_table *t, json_object *v, const uint8_t **b, size_t *n)
{
	if (!t || !json_object_is_type(v, json_type_string))
		return false;
	size_t l = (size_t)json_object_get_string_len(v);
	const char *s = json_object_get_string(v);
	if (l < 3 || s[0] != '\0' || s[1] != 'B')
		return false;
	size_t idx = 0;
	for (size_t i = 2; i < l; i++) {
		if (s[i] < '0' || s[i] > '9' || idx > t->n)
			return false;
		idx = idx * 10 + (size_t)(s[i] - '0');
	}
	if (idx >= t->n)
		return false;
	*b = t->v[idx];
	*n = t->len[idx];
	return true;
}

/* ---- JSON walk: blobs ---------------------------------------------------- */

typedef struct {
	vctx *c;
	vmgs_guest_state *g;
	uint64_t base;        /* data offset of the copy, for findings */
	const char *what;     /* "current guest state" / "older guest state" */
	strbuf path;
	bool cut_reported;
	hv_err rc;
	const byte_table *bytes; /* byte arrays decoded before json-c (compact_bytes) */
} walker;

/* Appends "/key" (JSON-pointer escaping; no '/' first); returns the old length. */
static size_t path_push_key(strbuf *p, const char *key)
{
	size_t old = p->len;
	if (old)
		sb_addc(p, '/');
	for (const char *k = key; *k; k++) {
		if (*k == '~')
			sb_adds(p, "~0");
		else if (*k == '/')
			sb_adds(p, "~1");
		else
			sb_addc(p, *k);
	}
	sb_add(p, "", 0);
	return old;
}

static size_t path_push_index(strbuf *p, size_t i)
{
	size_t old = p->len;
	sb_addf(p, "/%zu", i);
	return old;
}

static void path_pop(strbuf *p, size_t len)
{
	p->len = len;
	if (p->buf)
		p->buf[len] = '\0';
}

enum { ARR_BAD = -1, ARR_OTHER = 0, ARR_BYTES = 1 };

static bool byte_value(json_object *e, uint8_t *b)
{
	if (!json_object_is_type(e, json_type_int))
		return false;
	int64_t v = json_object_get_int64(e);
	if (v < 0 || v > 255)
		return false;
	*b = (uint8_t)v;
	return true;
}

/*
 * ARR_BYTES: every item an integer 0-255 (or empty).  ARR_BAD: every item
 * a number but item *bad is not a byte.  ARR_OTHER: some item not a number.
 */
static int array_class(json_object *a, size_t *bad)
{
	size_t n = json_object_array_length(a);
	uint8_t b;
	for (size_t i = 0; i < n; i++) {
		json_type t = json_object_get_type(json_object_array_get_idx(a, i));
		if (t != json_type_int && t != json_type_double)
			return ARR_OTHER;
	}
	for (size_t i = 0; i < n; i++) {
		if (!byte_value(json_object_array_get_idx(a, i), &b)) {
			*bad = i;
			return ARR_BAD;
		}
	}
	return ARR_BYTES;
}

/* The items of an ARR_BYTES array, NUL-terminated (not counted). */
static uint8_t *array_bytes(json_object *a, size_t *n)
{
	*n = json_object_array_length(a);
	uint8_t *b = xmalloc(*n + 1);
	for (size_t i = 0; i < *n; i++)
		if (!byte_value(json_object_array_get_idx(a, i), &b[i]))
			b[i] = 0;
	b[*n] = 0;
	return b;
}

/* Keeps (and takes) bytes[0..n) under the current path. */
static void add_blob(walker *w, uint8_t *bytes, size_t n, bool is_string)
{
	vmgs_guest_state *g = w->g;
	if (g->nblobs >= VMGS_MAX_BLOBS) {
		if (!g->blobs_dropped)
			report(w->c, HV_SEV_WARN, w->base, "%s: more than %d byte arrays and strings; "
			       "the rest are counted, not kept", w->what, VMGS_MAX_BLOBS);
		g->blobs_dropped++;
		free(bytes);
		return;
	}
	g->blobs = grow_for(g->blobs, g->nblobs, sizeof *g->blobs);
	vmgs_blob *b = &g->blobs[g->nblobs++];
	memset(b, 0, sizeof *b);
	const char *path = sb_str(&w->path);
	size_t keep = w->path.len;
	b->role = role_of_path(path, keep);
	if (keep > VMGS_MAX_JSON_PATH) {
		keep = VMGS_MAX_JSON_PATH;
		while (keep > 0 && ((unsigned char)path[keep] & 0xC0) == 0x80)
			keep--;
		b->path_cut = true;
		if (!w->cut_reported)
			report(w->c, HV_SEV_WARN, w->base, "%s: a JSON path longer than %d bytes was "
			       "cut", w->what, VMGS_MAX_JSON_PATH);
		w->cut_reported = true;
	}
	b->json_path = xstrndup(path, keep);
	b->bytes = bytes;
	b->len = n;
	b->is_string = is_string;
	g->blob_bytes += n;
}

static void walk_value(walker *w, json_object *v);

static void walk_array(walker *w, json_object *a)
{
	size_t bad = 0, n;
	int k = array_class(a, &bad);
	if (k == ARR_BAD) {
		report(w->c, HV_SEV_ERROR, w->base, "%s: byte array %s: item %zu (%s) is not an "
		       "integer 0-255", w->what, sb_str(&w->path), bad,
		       json_object_to_json_string(json_object_array_get_idx(a, bad)));
		w->rc = HV_ERR_CORRUPT;
		return;
	}
	if (k == ARR_BYTES) {
		uint8_t *b = array_bytes(a, &n);
		add_blob(w, b, n, false);
		return;
	}
	n = json_object_array_length(a);
	for (size_t i = 0; i < n && w->rc == HV_OK; i++) {
		size_t old = path_push_index(&w->path, i);
		walk_value(w, json_object_array_get_idx(a, i));
		path_pop(&w->path, old);
	}
}

/* Every string and byte array under v, in document order. */
static void walk_value(walker *w, json_object *v)
{
	if (w->rc != HV_OK)
		return;
	const uint8_t *mb;
	size_t mn;
	if (marked_bytes(w->bytes, v, &mb, &mn)) {
		uint8_t *copy = xmalloc(mn + 1);
		memcpy(copy, mb, mn);
		copy[mn] = 0;
		add_blob(w, copy, mn, false);
		return;
	}
	switch (json_object_get_type(v)) {
	case json_type_string: {
		size_t n = (size_t)json_object_get_string_len(v);
		add_blob(w, xmemdup(json_object_get_string(v), n + 1), n, true);
		break;
	}
	case json_type_array:
		walk_array(w, v);
		break;
	case json_type_object: {
		json_object_object_foreach(v, key, val) {
			size_t old = path_push_key(&w->path, key);
			walk_value(w, val);
			path_pop(&w->path, old);
			if (w->rc != HV_OK)
				break;
		}
		break;
	}
	default:
		break;
	}
}

/* ---- JSON walk: devices and states ------------------------------------- */

static void count_blobs(const byte_table *t, json_object *v, size_t *n, uint64_t *bytes)
{
	size_t bad, mn;
	const uint8_t *mb;
	if (marked_bytes(t, v, &mb, &mn)) {
		(*n)++;
		*bytes += mn;
		return;
	}
	switch (json_object_get_type(v)) {
	case json_type_string:
		(*n)++;
		*bytes += (uint64_t)json_object_get_string_len(v);
		break;
	case json_type_array:
		if (array_class(v, &bad) == ARR_BYTES) {
			(*n)++;
			*bytes += json_object_array_length(v);
			break;
		}
		for (size_t i = 0; i < json_object_array_length(v); i++)
			count_blobs(t, json_object_array_get_idx(v, i), n, bytes);
		break;
	case json_type_object: {
		json_object_object_foreach(v, key, val) {
			(void)key;
			count_blobs(t, val, n, bytes);
		}
		break;
	}
	default:
		break;
	}
}

static int64_t clamp_double(double d)
{
	if (!(d == d))
		return 0;
	if (d >= 9.2e18)
		return INT64_MAX;
	if (d <= -9.2e18)
		return INT64_MIN;
	return (int64_t)d;
}

static void state_fill_array(const vctx *c, vmgs_state *st, json_object *v)
{
	size_t bad, n;
	if (array_class(v, &bad) != ARR_BYTES) {
		st->kind = VMGS_STATE_ARRAY;
		st->size = json_object_array_length(v);
		return;
	}
	uint8_t *b = array_bytes(v, &n);
	st->kind = VMGS_STATE_BYTES;
	st->size = n;
	digest_of(c, b, n, st->sha256);
	free(b);
}

static void state_fill(const walker *w, vmgs_state *st, const char *name, json_object *v)
{
	const byte_table *t = w->bytes;
	memset(st, 0, sizeof *st);
	st->name = xstrdup(name);
	st->role = vmgs_role_of_name(name);
	count_blobs(t, v, &st->nblobs, &st->blob_bytes);
	const uint8_t *mb;
	size_t mn;
	if (marked_bytes(t, v, &mb, &mn)) {
		st->kind = VMGS_STATE_BYTES;
		st->size = mn;
		digest_of(w->c, mb, mn, st->sha256);
		return;
	}
	switch (json_object_get_type(v)) {
	case json_type_string:
		st->kind = VMGS_STATE_STRING;
		st->size = (uint64_t)json_object_get_string_len(v);
		digest_of(w->c, (const uint8_t *)json_object_get_string(v), st->size, st->sha256);
		break;
	case json_type_array:
		state_fill_array(w->c, st, v);
		break;
	case json_type_object:
		st->kind = VMGS_STATE_OBJECT;
		st->size = (uint64_t)json_object_object_length(v);
		break;
	case json_type_int:
		st->kind = VMGS_STATE_NUMBER;
		st->number = json_object_get_int64(v);
		break;
	case json_type_double:
		st->kind = VMGS_STATE_NUMBER;
		st->number = clamp_double(json_object_get_double(v));
		break;
	case json_type_boolean:
		st->kind = VMGS_STATE_BOOL;
		st->number = json_object_get_boolean(v) ? 1 : 0;
		break;
	case json_type_null:
		st->kind = VMGS_STATE_NULL;
		break;
	}
}

static bool member_of_type(json_object *o, const char *key, json_type t, json_object **out)
{
	return json_object_is_type(o, json_type_object) && json_object_object_get_ex(o, key, out) &&
	       json_object_is_type(*out, t);
}

static void read_version(json_object *o, bool *has, int64_t *major, int64_t *minor)
{
	json_object *ver, *x;
	if (!member_of_type(o, "Version", json_type_object, &ver))
		return;
	*has = true;
	if (member_of_type(ver, "Major", json_type_int, &x))
		*major = json_object_get_int64(x);
	if (member_of_type(ver, "Minor", json_type_int, &x))
		*minor = json_object_get_int64(x);
}

static void device_add(walker *w, const char *key, json_object *dv)
{
	vmgs_guest_state *g = w->g;
	json_object *t, *states;
	uint8_t gb[16];
	g->devices = grow_for(g->devices, g->ndevices, sizeof *g->devices);
	vmgs_device *d = &g->devices[g->ndevices++];
	memset(d, 0, sizeof *d);
	d->key = xstrdup(key);
	if (guid_parse(key, gb))
		guid_format(gb, d->guid);
	d->name = vmgs_device_name(key);
	if (!json_object_is_type(dv, json_type_object)) {
		report(w->c, HV_SEV_WARN, w->base, "%s: device %s is not a JSON object", w->what,
		       key);
		return;
	}
	if (member_of_type(dv, "Type", json_type_string, &t))
		d->type = xstrdup(json_object_get_string(t));
	read_version(dv, &d->has_version, &d->version_major, &d->version_minor);
	if (!member_of_type(dv, "States", json_type_object, &states))
		return;
	size_t n = (size_t)json_object_object_length(states);
	d->states = xcalloc(n ? n : 1, sizeof *d->states);
	json_object_object_foreach(states, sname, sval) {
		if (d->nstates < n)
			state_fill(w, &d->states[d->nstates++], sname, sval);
	}
}

/* ---- UEFI variables ----------------------------------------------------- */

static const char *vendor_name(const char *vendor)
{
	if (strcmp(vendor, VMGS_EFI_GLOBAL_VARIABLE) == 0)
		return "EFI global variable";
	if (strcmp(vendor, VMGS_EFI_IMAGE_SECURITY_DB) == 0)
		return "image security database";
	return NULL;
}

/* Variables whose data is a sequence of EFI_SIGNATURE_LISTs. */
static bool is_signature_db(const vmgs_uefi_var *u)
{
	static const char *const global[] = { "PK", "KEK", "PKDefault", "KEKDefault",
					      "dbDefault", "dbxDefault", "dbtDefault",
					      "dbrDefault" };
	static const char *const secdb[] = { "db", "dbx", "dbt", "dbr" };
	if (u->vendor_name == NULL)
		return false;
	bool g = strcmp(u->vendor, VMGS_EFI_GLOBAL_VARIABLE) == 0;
	const char *const *v = g ? global : secdb;
	size_t n = g ? sizeof global / sizeof global[0] : sizeof secdb / sizeof secdb[0];
	for (size_t i = 0; i < n; i++)
		if (strcmp(u->name, v[i]) == 0)
			return true;
	return false;
}

static void sig_cert_add(walker *w, vmgs_uefi_var *u, span_t e, size_t index)
{
	hv_findings tmp = { 0 };
	hv_cert cert;
	if (w->g->ncerts >= VMGS_MAX_CERTS) {
		if (w->g->ncerts++ == VMGS_MAX_CERTS)
			report(w->c, HV_SEV_WARN, w->base, "%s: more than %d certificates in UEFI "
			       "variables; the rest are counted, not parsed", w->what, VMGS_MAX_CERTS);
		return;
	}
	hv_err rc = cert_from_der(e.data + SIGDATA_OWNER, e.len - SIGDATA_OWNER, &cert,
				  w->c->name, w->base, &tmp);
	findings_free(&tmp);
	if (rc != HV_OK) {
		report(w->c, HV_SEV_WARN, w->base, "%s: UEFI variable %s: X.509 entry %zu is not "
		       "a certificate that can be parsed", w->what, u->name, index);
		return;
	}
	cert_drop_parsed(&cert);
	u->certs = grow_for(u->certs, u->ncerts, sizeof *u->certs);
	vmgs_sig_cert *sc = &u->certs[u->ncerts++];
	guid_format(e.data, sc->owner);
	sc->cert = cert;
	w->g->ncerts++;
}

static void siglist_entries(walker *w, vmgs_uefi_var *u, span_t s, uint64_t at,
			    uint64_t count, uint32_t ssize, const char *type)
{
	bool x509 = strcmp(type, EFI_CERT_X509) == 0;
	bool sha256 = strcmp(type, EFI_CERT_SHA256) == 0;
	for (uint64_t i = 0; i < count; i++) {
		span_t e;
		if (!span_sub(s, at + i * ssize, ssize, &e))
			return;
		if (x509) {
			sig_cert_add(w, u, e, u->nx509);
			u->nx509++;
		} else if (sha256) {
			u->nsha256++;
		} else {
			u->nother++;
		}
	}
}

/* EFI_SIGNATURE_LIST: type GUID, u32 list size, u32 header size, u32 entry size. */
static void siglists_parse(walker *w, vmgs_uefi_var *u, span_t s)
{
	uint64_t off = 0;
	while (off < s.len) {
		cursor_t cur = cursor_at(s, off);
		const uint8_t *type = cur_take(&cur, 16);
		uint32_t lsize = cur_u32le(&cur), hsize = cur_u32le(&cur), ssize = cur_u32le(&cur);
		if (cur.err || lsize < SIGLIST_HDR || lsize > s.len - off ||
		    ssize <= SIGDATA_OWNER || hsize > lsize - SIGLIST_HDR ||
		    (lsize - SIGLIST_HDR - hsize) % ssize) {
			u->siglist_bad = true;
			report(w->c, HV_SEV_WARN, w->base, "%s: UEFI variable %s: signature list at "
			       "byte %llu of its data is malformed; %zu lists read", w->what,
			       u->name, ull(off), u->nlists);
			return;
		}
		char tg[37];
		guid_format(type, tg);
		u->nlists++;
		siglist_entries(w, u, s, off + SIGLIST_HDR + hsize,
				(lsize - SIGLIST_HDR - hsize) / ssize, ssize, tg);
		off += lsize;
	}
}

static void uefi_facts(walker *w, vmgs_uefi_var *u, const uint8_t *p, size_t n)
{
	bool global = strcmp(u->vendor, VMGS_EFI_GLOBAL_VARIABLE) == 0;
	if (global && strcmp(u->name, "SecureBoot") == 0 && n >= 1)
		w->g->secure_boot = p[0] ? 1 : 0;
	if (global && strcmp(u->name, "SetupMode") == 0 && n >= 1)
		w->g->setup_mode = p[0] ? 1 : 0;
	if (global && strcmp(u->name, "PK") == 0 && n > 0)
		w->g->pk_present = true;
	if (is_signature_db(u)) {
		u->is_signature_db = true;
		siglists_parse(w, u, span_make(p, n));
	}
}

static void uefi_var_add(walker *w, const char *device, const char *vendor, const char *name,
			 json_object *vv)
{
	vmgs_guest_state *g = w->g;
	json_object *x;
	size_t bad;
	g->uefi = grow_for(g->uefi, g->nuefi, sizeof *g->uefi);
	vmgs_uefi_var *u = &g->uefi[g->nuefi++];
	memset(u, 0, sizeof *u);
	char *canon = guid_canonical(vendor);
	u->vendor = canon ? canon : xstrdup(vendor);
	u->vendor_name = vendor_name(u->vendor);
	u->name = xstrdup(name);
	u->device = xstrdup(device);
	if (member_of_type(vv, "Attributes", json_type_int, &x)) {
		u->has_attributes = true;
		u->attributes = (uint32_t)json_object_get_int64(x);
	}
	const uint8_t *mb;
	size_t n;
	if (json_object_is_type(vv, json_type_object) && json_object_object_get_ex(vv, "Data", &x) &&
	    marked_bytes(w->bytes, x, &mb, &n)) {
		u->has_data = true;
		u->size = n;
		digest_of(w->c, mb, n, u->sha256);
		uefi_facts(w, u, mb, n);
		return;
	}
	if (!member_of_type(vv, "Data", json_type_array, &x) || array_class(x, &bad) != ARR_BYTES)
		return;
	uint8_t *b = array_bytes(x, &n);
	u->has_data = true;
	u->size = n;
	digest_of(w->c, b, n, u->sha256);
	uefi_facts(w, u, b, n);
	free(b);
}

/* States.Nvram.Vendors.<vendor>.Variables.<name> of one device. */
static void uefi_from_device(walker *w, const char *device, json_object *dv)
{
	json_object *states, *nv, *vendors;
	if (!member_of_type(dv, "States", json_type_object, &states) ||
	    !member_of_type(states, "Nvram", json_type_object, &nv) ||
	    !member_of_type(nv, "Vendors", json_type_object, &vendors))
		return;
	json_object_object_foreach(vendors, vendor, vval) {
		json_object *vars;
		if (!member_of_type(vval, "Variables", json_type_object, &vars))
			continue;
		json_object_object_foreach(vars, name, var)
			uefi_var_add(w, device, vendor, name, var);
	}
}

/* ---- one copy of the guest state ---------------------------------------- */

static hv_err document_walk(vctx *c, vmgs_guest_state *g, json_object *root, const char *what,
			    const byte_table *bytes)
{
	walker w = { c, g, g->offset, what, STRBUF_INIT, false, HV_OK, bytes };
	json_object *devs;
	if (!member_of_type(root, "Devices", json_type_object, &devs)) {
		report(c, HV_SEV_ERROR, g->offset, "%s: the JSON document has no \"Devices\" object; "
		       "not a guest state", what);
		return HV_ERR_CORRUPT;
	}
	read_version(root, &g->has_version, &g->version_major, &g->version_minor);
	walk_value(&w, root);
	sb_free(&w.path);
	if (w.rc != HV_OK)
		return w.rc;
	json_object_object_foreach(devs, dkey, dval) {
		device_add(&w, dkey, dval);
		uefi_from_device(&w, dkey, dval);
	}
	g->decoded = true;
	return HV_OK;
}

/* Decodes data (taken and freed): UTF-16 checks, UTF-8, JSON, walk. */
static hv_err copy_decode(vctx *c, vmgs_guest_state *g, uint8_t *data, const char *what)
{
	span_t d = span_make(data, g->data_size);
	text_info ti;
	hv_err rc = text_scan(c, d, g->offset, what, &ti);
	if (rc != HV_OK) {
		free(data);
		return rc;
	}
	g->text_units = ti.units;
	g->terminated = ti.terminated;
	char *s = text_to_utf8(d, &ti);
	free(data);
	byte_table bt = { 0 };
	size_t clen;
	char *compact = compact_bytes(s, ti.utf8_len, &bt, &clen);
	json_object *root;
	if (compact) {
		/* findings' offsets then point into the compacted text: re-parse the
		 * original for an error, so they name the right place */
		root = json_parse(c, compact, clen, g->offset, &ti, what, &rc);
		if (!root) {
			findings_drop_last(c, 1);
			byte_table_free(&bt);
			root = json_parse(c, s, ti.utf8_len, g->offset, &ti, what, &rc);
		}
		free(compact);
	} else {
		root = json_parse(c, s, ti.utf8_len, g->offset, &ti, what, &rc);
	}
	free(s);
	if (!root) {
		byte_table_free(&bt);
		return rc;
	}
	rc = document_walk(c, g, root, what, bt.n ? &bt : NULL);
	json_object_put(root);
	byte_table_free(&bt);
	return rc;
}

/* Reads and decodes the copy named by locator l (already checked in bounds). */
static hv_err copy_read(vctx *c, vmgs_guest_state *g, const vmgs_locator *l, int header,
			int locator, const char *what)
{
	g->header = header;
	g->locator = locator;
	g->offset = l->offset;
	g->data_size = l->data_size;
	if (l->data_size == 0)
		return HV_OK;
	g->present = true;
	if (l->data_size > VMGS_MAX_DATA_SIZE) {
		report(c, HV_SEV_ERROR, l->offset, "%s: data size %u exceeds the cap of %u bytes",
		       what, l->data_size, VMGS_MAX_DATA_SIZE);
		return HV_ERR_LIMIT;
	}
	uint8_t *data = xmalloc(l->data_size);
	hv_err rc = vdisk_read(c->vd, l->offset, data, l->data_size);
	if (rc != HV_OK) {
		report(c, HV_SEV_ERROR, l->offset, "%s: %u bytes of data could not be read (%s)",
		       what, l->data_size, hv_err_name(rc));
		free(data);
		return rc == HV_ERR_IO ? HV_ERR_IO : HV_ERR_CORRUPT;
	}
	digest_of(c, data, l->data_size, g->sha256);
	return copy_decode(c, g, data, what);
}

/* ---- v1 data headers -------------------------------------------------- */

static void v1_locator_check(const vmgs_file *v, vmgs_locator *l)
{
	uint64_t bs = v->block_size;
	l->in_bounds = false;
	if (l->count == 0)
		l->problem = "allocates no blocks";
	else if (l->lba >= v->partition_blocks || l->count > v->partition_blocks - l->lba)
		l->problem = "lies outside the partition";
	else if (l->lba < V1_HEADER_BLOCKS)
		l->problem = "overlaps the data headers (blocks 0 and 1)";
	else if (l->data_size > l->count * bs)
		l->problem = "has a data size larger than its allocation";
	else
		l->in_bounds = true;
	if (l->in_bounds)
		l->offset = v->partition_offset + l->lba * bs;
}

static const char *v1_header_problem(const vmgs_v1_header *h)
{
	if (!h->present)
		return h->empty ? "is empty (all zero)" : "has no GUESTRTS signature";
	if (h->version != VMGS_VERSION_1)
		return "has a version other than 0x00010000";
	if (h->header_size != V1_HDR_SIZE)
		return "has a header size other than 0x60";
	if (h->locator_size != V1_LOC_SIZE)
		return "has a locator size other than 0x20";
	if (h->active_index > 1)
		return "has an active index other than 0 or 1";
	if (!h->crc_ok)
		return "fails its CRC-32 check";
	return NULL;
}

static hv_err v1_header_read(vctx *c, int i)
{
	vmgs_file *v = c->v;
	vmgs_v1_header *h = &v->hdr[i];
	uint8_t b[V1_HDR_SIZE];
	h->offset = v->partition_offset + (uint64_t)i * v->block_size;
	hv_err rc = vdisk_read_meta(c->vd, h->offset, b, sizeof b);
	if (rc != HV_OK) {
		h->problem = "cannot be read";
		return rc == HV_ERR_IO ? rc : HV_OK;
	}
	cursor_t cur = cursor_at(span_make(b, sizeof b), 8);
	h->empty = all_zero(b, sizeof b);
	h->present = memcmp(b, VMGS_SIGNATURE, 8) == 0;
	h->version = cur_u32le(&cur);
	h->checksum = cur_u32le(&cur);
	h->sequence = cur_u32le(&cur);
	h->header_size = cur_u32le(&cur);
	h->locator_size = cur_u32le(&cur);
	h->active_index = cur_u32le(&cur);
	for (int k = 0; k < 2; k++) {
		vmgs_locator *l = &h->loc[k];
		cur.pos = V1_LOC0 + (uint64_t)k * V1_LOC_SIZE;
		l->lba = cur_u64le(&cur);
		l->count = cur_u64le(&cur);
		l->data_size = cur_u32le(&cur);
		v1_locator_check(v, l);
	}
	h->crc_ok = !cur.err && h->checksum == hv_crc32_zeroed(b, sizeof b, V1_CRC, 4);
	h->problem = v1_header_problem(h);
	h->valid = h->problem == NULL;
	return HV_OK;
}

/* Serial-number order of u32 sequences: a is newer than b. */
static bool seq_newer(uint32_t a, uint32_t b)
{
	uint32_t d = a - b;
	return d != 0 && d < 0x80000000u;
}

static hv_err v1_none_valid(vctx *c)
{
	const vmgs_v1_header *h = c->v->hdr;
	for (int i = 0; i < 2; i++)
		report(c, HV_SEV_ERROR, h[i].offset, "VMGS data header %d %s", i, h[i].problem);
	for (int i = 0; i < 2; i++) {
		if (h[i].present && h[i].version != VMGS_VERSION_1 && h[i].crc_ok) {
			report(c, HV_SEV_ERROR, h[i].offset + 8, "VMGS data header version 0x%08X is "
			       "not read (only 0x%08X)", h[i].version, VMGS_VERSION_1);
			return HV_ERR_UNSUPPORTED;
		}
	}
	return HV_ERR_CORRUPT;
}

/* Picks the active header; HV_ERR_CORRUPT (best effort) on a sequence gap. */
static hv_err v1_choose(vctx *c)
{
	vmgs_file *v = c->v;
	const vmgs_v1_header *h = v->hdr;
	if (!h[0].valid && !h[1].valid)
		return v1_none_valid(c);
	hv_err rc = HV_OK;
	int a = h[0].valid ? 0 : 1;
	if (h[0].valid && h[1].valid) {
		a = seq_newer(h[1].sequence, h[0].sequence) ? 1 : 0;
		if (h[a].sequence - h[1 - a].sequence != 1) {
			report(c, HV_SEV_ERROR, h[a].offset + 16, "VMGS data header sequence numbers "
			       "%u and %u are not one apart; header %d read as best effort",
			       h[0].sequence, h[1].sequence, a);
			v->best_effort = true;
			rc = HV_ERR_CORRUPT;
		}
	} else {
		report(c, h[1 - a].empty ? HV_SEV_NOTE : HV_SEV_WARN, h[1 - a].offset,
		       "VMGS data header %d %s; using header %d (sequence %u)", 1 - a,
		       h[1 - a].problem, a, h[a].sequence);
	}
	v->active_header = a;
	v->sequence = h[a].sequence;
	v->active_index = h[a].active_index;
	v->data_size = h[a].loc[h[a].active_index].data_size;
	return rc;
}

static uint64_t locator_field(const vmgs_v1_header *h, uint32_t k)
{
	return h->offset + V1_LOC0 + (uint64_t)k * V1_LOC_SIZE;
}

static void v1_read_older(vctx *c)
{
	vmgs_file *v = c->v;
	const vmgs_v1_header *h = &v->hdr[v->active_header];
	const vmgs_v1_header *o = &v->hdr[1 - v->active_header];
	uint32_t k = 1 - h->active_index;
	const vmgs_locator *l = &h->loc[k];
	if (l->count == 0 || l->data_size == 0) {
		report(c, HV_SEV_NOTE, locator_field(h, k), "no older guest state: locator %u is "
		       "empty", k);
		return;
	}
	if (!l->in_bounds) {
		report(c, HV_SEV_WARN, locator_field(h, k), "older guest state not read: locator %u "
		       "%s", k, l->problem);
		return;
	}
	if (o->valid && o->active_index == h->active_index)
		report(c, HV_SEV_NOTE, locator_field(h, k), "both data headers make locator %u "
		       "active; locator %u may not hold an older guest state", h->active_index, k);
	v->older.status = copy_read(c, &v->older, l, v->active_header, (int)k,
				    "older guest state");
	if (v->older.status != HV_OK)
		report(c, HV_SEV_WARN, l->offset, "the older guest state (locator %u) could not be "
		       "decoded: %s", k, hv_err_name(v->older.status));
}

static hv_err v1_read_copies(vctx *c)
{
	vmgs_file *v = c->v;
	const vmgs_v1_header *h = &v->hdr[v->active_header];
	uint32_t k = h->active_index;
	const vmgs_locator *l = &h->loc[k];
	hv_err rc;
	if (!l->in_bounds && !(l->count == 0 && l->data_size == 0)) {
		report(c, HV_SEV_ERROR, locator_field(h, k), "current locator %u of header %d %s "
		       "(LBA %llu, %llu blocks, %u data bytes; the partition has %llu blocks)", k,
		       v->active_header, l->problem, ull(l->lba), ull(l->count), l->data_size,
		       ull(v->partition_blocks));
		rc = HV_ERR_CORRUPT;
		v->current.header = v->active_header;
		v->current.locator = (int)k;
	} else {
		rc = copy_read(c, &v->current, l, v->active_header, (int)k, "current guest state");
		if (rc == HV_OK && !v->current.present)
			report(c, HV_SEV_WARN, locator_field(h, k), "the current guest state is "
			       "empty (locator %u has no data)", k);
	}
	v->current.status = rc;
	if (rc == HV_ERR_IO)
		return rc;
	v1_read_older(c);
	return rc;
}

static hv_err v1_read(vctx *c)
{
	vmgs_file *v = c->v;
	v->version = 1;
	if (v->partition_blocks < V1_HEADER_BLOCKS) {
		report(c, HV_SEV_ERROR, v->partition_offset, "VMGS partition of %llu bytes cannot "
		       "hold the two data headers", ull(v->partition_size));
		return HV_ERR_CORRUPT;
	}
	for (int i = 0; i < 2; i++) {
		hv_err rc = v1_header_read(c, i);
		if (rc != HV_OK)
			return rc;
	}
	hv_err rc = v1_choose(c);
	if (v->active_header < 0)
		return rc;
	return worse(rc, v1_read_copies(c));
}

/* GPT with a VMGS partition: fills the partition facts; HV_ERR_FORMAT when none. */
static hv_err v1_find_partition(vctx *c)
{
	vmgs_file *v = c->v;
	part_table t;
	hv_findings tmp = { 0 };
	hv_err rc = part_read(c->vd, &t, &tmp);
	const part_entry *e = vmgs_partition(&t);
	if (!e) {
		part_table_free(&t);
		findings_free(&tmp);
		return rc == HV_ERR_IO ? rc : HV_ERR_FORMAT;
	}
	findings_move(c->f, &tmp);
	findings_free(&tmp);
	v->partition_index = e->index;
	v->block_size = t.sector_size;
	rc = HV_OK;
	if (e->cls == PART_CLASS_UNREADABLE || e->size == 0) {
		report(c, HV_SEV_ERROR, HV_NO_OFFSET, "VMGS partition %u (LBA %llu-%llu) lies "
		       "outside the disk", e->index, ull(e->first_lba), ull(e->last_lba));
		rc = HV_ERR_CORRUPT;
	} else {
		v->partition_offset = e->offset;
		v->partition_size = e->size;
		v->partition_blocks = e->size / t.sector_size;
	}
	part_table_free(&t);
	return rc;
}

/* ---- v3 --------------------------------------------------------------- */

static const char *v3_header_problem(const vmgs_v3_header *h)
{
	if (!h->present)
		return h->empty ? "is empty (all zero)" : "has no GUESTRTS signature";
	if (h->version != VMGS_VERSION_3)
		return "has a version other than 0x00030000";
	if (h->header_size != V3_HDR_SIZE)
		return "has a header size other than 168";
	if (h->file_table_offset < V3_MIN_FT_BLOCK || h->file_table_size != 1)
		return "has an impossible file table location";
	if (h->encryption_algorithm > 1)
		return "names an unknown encryption algorithm";
	if (!h->crc_ok)
		return "fails its CRC-32 check";
	return NULL;
}

static hv_err v3_header_read(vctx *c, int i, uint64_t off)
{
	vmgs_v3_header *h = &c->v->hdr3[i];
	uint8_t b[V3_HDR_SIZE];
	h->offset = off;
	h->problem = "cannot be read (beyond the disk)";
	if (off > vdisk_size(c->vd) || vdisk_size(c->vd) - off < sizeof b)
		return HV_OK;
	hv_err rc = vdisk_read_meta(c->vd, off, b, sizeof b);
	if (rc != HV_OK)
		return rc == HV_ERR_IO ? rc : HV_OK;
	cursor_t cur = cursor_at(span_make(b, sizeof b), 8);
	h->empty = all_zero(b, sizeof b);
	h->present = memcmp(b, VMGS_SIGNATURE, 8) == 0;
	h->version = cur_u32le(&cur);
	h->checksum = cur_u32le(&cur);
	h->sequence = cur_u32le(&cur);
	h->header_size = cur_u32le(&cur);
	h->file_table_offset = cur_u32le(&cur);
	h->file_table_size = cur_u32le(&cur);
	h->encryption_algorithm = cur_u16le(&cur);
	h->markers = cur_u16le(&cur);
	for (int k = 0; k < 2; k++) {
		const uint8_t *key = cur_take(&cur, V3_KEY_SIZE);
		h->metadata_key[k] = key && !all_zero(key, V3_KEY_SIZE);
	}
	h->crc_ok = !cur.err && h->checksum == hv_crc32_zeroed(b, sizeof b, V3_CRC, 4);
	h->problem = v3_header_problem(h);
	h->valid = h->problem == NULL;
	return HV_OK;
}

static hv_err v3_choose(vctx *c)
{
	vmgs_file *v = c->v;
	const vmgs_v3_header *h = v->hdr3;
	for (int i = 0; i < 2; i++)
		if (!h[i].valid && (h[0].valid || h[1].valid))
			report(c, h[i].empty ? HV_SEV_NOTE : HV_SEV_WARN, h[i].offset,
			       "VMGS v3 header %d %s; using the other", i, h[i].problem);
	if (!h[0].valid && !h[1].valid) {
		for (int i = 0; i < 2; i++)
			report(c, HV_SEV_ERROR, h[i].offset, "VMGS header %d %s", i, h[i].problem);
		for (int i = 0; i < 2; i++)
			if (h[i].present && h[i].version != VMGS_VERSION_3 && h[i].crc_ok) {
				report(c, HV_SEV_ERROR, h[i].offset + 8, "VMGS version 0x%08X is not "
				       "read (only v1 and 0x%08X)", h[i].version, VMGS_VERSION_3);
				return HV_ERR_UNSUPPORTED;
			}
		return HV_ERR_CORRUPT;
	}
	int a = h[0].valid ? 0 : 1;
	hv_err rc = HV_OK;
	if (h[0].valid && h[1].valid) {
		a = h[1].sequence == h[0].sequence + 1 ? 1 : 0;
		if (h[a].sequence != h[1 - a].sequence + 1) {
			report(c, HV_SEV_ERROR, h[0].offset + 16, "VMGS v3 header sequence numbers %u "
			       "and %u are not one apart", h[0].sequence, h[1].sequence);
			a = seq_newer(h[1].sequence, h[0].sequence) ? 1 : 0;
			v->best_effort = true;
			rc = HV_ERR_CORRUPT;
		}
	}
	v->active_header = a;
	v->sequence = h[a].sequence;
	return rc;
}

static void v3_entry(vctx *c, span_t e, uint32_t id, uint64_t at)
{
	vmgs_file *v = c->v;
	cursor_t cur = cursor_at(e, 0);
	uint32_t off = cur_u32le(&cur), alloc = cur_u32le(&cur);
	uint64_t valid = cur_u64le(&cur);
	const uint8_t *tags = cur_take(&cur, V3_E_TAGS_LEN);
	uint32_t attr = cur_u32le(&cur);
	if (cur.err || alloc == 0)
		return;
	v->files = grow_for(v->files, v->nfiles, sizeof *v->files);
	vmgs_v3_file *x = &v->files[v->nfiles++];
	memset(x, 0, sizeof *x);
	x->id = id;
	x->name = vmgs_v3_file_name(id);
	x->block_offset = off;
	x->allocation_blocks = alloc;
	x->valid_data_size = valid;
	x->attributes = attr;
	x->encrypted = attr & 1u;
	x->authenticated = (attr >> 1) & 1u;
	x->has_auth_tag = tags && !all_zero(tags, V3_E_TAGS_LEN);
	uint64_t blocks = vdisk_size(c->vd) / V3_BLOCK;
	if (off < V3_MIN_FT_BLOCK || off >= blocks || alloc > blocks - off)
		x->problem = "lies outside the disk";
	else if (valid > (uint64_t)alloc * V3_BLOCK)
		x->problem = "has more valid data than its allocation";
	x->in_bounds = x->problem == NULL;
	if (x->problem)
		report(c, HV_SEV_WARN, at, "VMGS v3 file %u (%s) %s (block %u, %u blocks, %llu "
		       "bytes)", id, x->name, x->problem, off, alloc, ull(valid));
}

static hv_err v3_file_table(vctx *c)
{
	vmgs_file *v = c->v;
	const vmgs_v3_header *h = &v->hdr3[v->active_header];
	uint64_t at = (uint64_t)h->file_table_offset * V3_BLOCK;
	uint8_t *t = xmalloc(V3_BLOCK);
	if (at > vdisk_size(c->vd) || vdisk_size(c->vd) - at < V3_BLOCK) {
		report(c, HV_SEV_ERROR, h->offset + 24, "VMGS v3 file table at block %u lies beyond "
		       "the disk (%llu bytes)", h->file_table_offset, ull(vdisk_size(c->vd)));
		free(t);
		return HV_ERR_CORRUPT;
	}
	hv_err rc = vdisk_read_meta(c->vd, at, t, V3_BLOCK);
	if (rc != HV_OK) {
		report(c, HV_SEV_ERROR, at, "VMGS v3 file table cannot be read (%s)",
		       hv_err_name(rc));
		free(t);
		return rc == HV_ERR_IO ? rc : HV_ERR_CORRUPT;
	}
	span_t s = span_make(t, V3_BLOCK);
	for (uint32_t i = 0; i < VMGS_V3_FILES; i++) {
		span_t e;
		if (span_sub(s, (uint64_t)i * V3_ENTRY_SIZE, V3_ENTRY_SIZE, &e))
			v3_entry(c, e, i, at + (uint64_t)i * V3_ENTRY_SIZE);
	}
	free(t);
	return HV_OK;
}

static hv_err v3_read(vctx *c)
{
	vmgs_file *v = c->v;
	v->version = 3;
	v->block_size = V3_BLOCK;
	uint64_t second = vdisk_sector_size(c->vd);
	hv_err rc = v3_header_read(c, 0, 0);
	if (rc == HV_OK)
		rc = v3_header_read(c, 1, second);
	if (rc != HV_OK)
		return rc;
	rc = v3_choose(c);
	if (v->active_header < 0)
		return rc;
	return worse(rc, v3_file_table(c));
}

/* ---- top level ---------------------------------------------------------- */

/* Version field of a GUESTRTS header at off, or 0 when there is none. */
static uint32_t header_version_at(vdisk *vd, uint64_t off)
{
	uint8_t b[12];
	if (!signature_at(vd, off) || vdisk_read(vd, off, b, sizeof b) != HV_OK)
		return 0;
	return ld32le(b + 8);
}

static void container_facts(vctx *c)
{
	vmgs_file *v = c->v;
	const vdisk_layer_info *leaf = vdisk_chain(c->vd, 0);
	v->disk_format = vdisk_get_format(c->vd);
	v->disk_kind = leaf ? leaf->kind : VDISK_KIND_FIXED;
	v->disk_size = vdisk_size(c->vd);
	v->active_header = -1;
	v->current.secure_boot = v->current.setup_mode = -1;
	v->older.secure_boot = v->older.setup_mode = -1;
	v->current.header = v->current.locator = -1;
	v->older.header = v->older.locator = -1;
}

/* Headers at disk byte 0: v3, or a v1 partition image without GPT. */
static hv_err read_at_start(vctx *c, uint32_t v0, uint32_t v1)
{
	vmgs_file *v = c->v;
	if (v0 != VMGS_VERSION_1 && v1 != VMGS_VERSION_1)
		return v3_read(c);
	v->bare_partition = true;
	v->block_size = vdisk_sector_size(c->vd);
	v->partition_size = vdisk_size(c->vd);
	v->partition_blocks = v->partition_size / v->block_size;
	report(c, HV_SEV_NOTE, 0, "no GPT: VMGS v1 data headers at disk byte 0 (a partition "
	       "image)");
	return v1_read(c);
}

hv_err vmgs_read_ex(vdisk *vd, const char *name, const vmgs_read_opts *o, vmgs_file *out,
		   hv_findings *f)
{
	memset(out, 0, sizeof *out);
	vctx c = { vd, name ? name : vdisk_name(vd), f, out, o->digests };
	container_facts(&c);
	uint32_t v0 = header_version_at(vd, 0);
	uint32_t v1 = header_version_at(vd, vdisk_sector_size(vd));
	hv_err rc;
	if (v0 || v1) {
		rc = read_at_start(&c, v0, v1);
	} else {
		rc = v1_find_partition(&c);
		if (rc == HV_ERR_FORMAT)
			report(&c, HV_SEV_ERROR, HV_NO_OFFSET, "not a guest state file: no GPT "
			       "partition of type %s and no GUESTRTS header", VMGS_V1_PARTITION_TYPE);
		else if (rc == HV_OK)
			rc = v1_read(&c);
		else
			out->version = 1;
	}
	if (rc != HV_OK && rc != HV_ERR_FORMAT)
		out->best_effort = true;
	vdisk_take_findings(vd, f);
	return rc;
}

hv_err vmgs_read(vdisk *vd, const char *name, vmgs_file *out, hv_findings *f)
{
	static const vmgs_read_opts all = { .digests = true };
	return vmgs_read_ex(vd, name, &all, out, f);
}

/* ---- salvage: values of the JSON text in damaged bytes ---------------------------- */

static uint16_t unit_at(span_t d, size_t i)
{
	return (uint16_t)(d.data[i] | d.data[i + 1] << 8);
}

static bool json_space(uint16_t u)
{
	return u == ' ' || u == '\n' || u == '\r' || u == '\t';
}

/* Skips spaces backwards from i (exclusive); the index after the last non-space. */
static size_t back_over_spaces(span_t d, size_t i)
{
	while (i >= 2 && json_space(unit_at(d, i - 2)))
		i -= 2;
	return i;
}

/* The member name written before the value at i (`"name": `), in out; "" when none. */
static void salvage_name(span_t d, size_t i, char *out, size_t cap)
{
	out[0] = '\0';
	size_t j = back_over_spaces(d, i);
	if (j < 2 || unit_at(d, j - 2) != ':')
		return;
	j = back_over_spaces(d, j - 2);
	if (j < 2 || unit_at(d, j - 2) != '"')
		return;
	size_t end = j - 2, start = end;
	while (start >= 2 && unit_at(d, start - 2) != '"' && (end - start) / 2 + 1 < cap)
		start -= 2;
	if (start < 2 || unit_at(d, start - 2) != '"' || (start >= 4 && unit_at(d, start - 4) == '\\'))
		return;
	size_t k = 0;
	for (size_t p = start; p < end; p += 2) {
		uint16_t u = unit_at(d, p);
		out[k++] = (char)(u >= 0x20 && u < 0x7F ? u : '?');
	}
	out[k] = '\0';
}

typedef struct {
	uint8_t *v;
	size_t n, cap;
} salvage_buf;

static void buf_put(salvage_buf *b, uint8_t x)
{
	b->v = xgrow(b->v, &b->cap, b->n + 1, 1);
	b->v[b->n++] = x;
}

/*
 * The array of numbers 0-255 that opens at i, into b; the index after its
 * ']' , or 0 when it is no such array or does not close within limit.
 */
static size_t salvage_array(span_t d, size_t i, size_t limit, salvage_buf *b)
{
	size_t p = i + 2;
	b->n = 0;
	for (;;) {
		while (p + 1 < limit && json_space(unit_at(d, p)))
			p += 2;
		if (p + 1 >= limit)
			return 0;
		if (unit_at(d, p) == ']' && b->n == 0)
			return 0;
		unsigned v = 0, digits = 0;
		while (p + 1 < limit && digits < 4 && unit_at(d, p) >= '0' && unit_at(d, p) <= '9') {
			v = v * 10 + (unsigned)(unit_at(d, p) - '0');
			digits++;
			p += 2;
		}
		if (!digits || digits > 3 || v > 255)
			return 0;
		buf_put(b, (uint8_t)v);
		while (p + 1 < limit && json_space(unit_at(d, p)))
			p += 2;
		if (p + 1 >= limit)
			return 0;
		uint16_t u = unit_at(d, p);
		p += 2;
		if (u == ']')
			return p;
		if (u != ',')
			return 0;
	}
}

/* The string that opens at i (printable ASCII, no escape), into b; as salvage_array. */
static size_t salvage_string(span_t d, size_t i, size_t limit, salvage_buf *b)
{
	b->n = 0;
	for (size_t p = i + 2; p + 1 < limit; p += 2) {
		uint16_t u = unit_at(d, p);
		if (u == '"')
			return p + 2;
		if (u < 0x20 || u >= 0x7F || u == '\\')
			return 0;
		buf_put(b, (uint8_t)u);
	}
	return 0;
}

size_t vmgs_salvage(span_t data, size_t body, uint64_t base, vmgs_salvage_fn fn, void *ctx)
{
	size_t found = 0;
	salvage_buf b = { NULL, 0, 0 };
	char name[256];
	for (size_t i = 0; i + 1 < data.len && i < body;) {
		uint16_t u = unit_at(data, i);
		if (u != '[' && u != '"') {
			i += 2;
			continue;
		}
		salvage_name(data, i, name, sizeof name);
		if (!name[0]) { /* not a member's value (a name, or an array inside an array) */
			i += 2;
			continue;
		}
		size_t limit = data.len - i > VMGS_SALVAGE_MAX_TEXT ? i + VMGS_SALVAGE_MAX_TEXT : data.len;
		bool str = u == '"';
		size_t end = str ? salvage_string(data, i, limit, &b) : salvage_array(data, i, limit, &b);
		if (!end || b.n < (str ? VMGS_SALVAGE_MIN_STRING : VMGS_SALVAGE_MIN)) {
			i += 2;
			continue;
		}
		vmgs_salvaged v = { base + i, name, role_of(name, strlen(name)), b.v, b.n, str };
		found++;
		if (!fn(ctx, &v))
			break;
		i = end;
	}
	free(b.v);
	return found;
}

/* ---- freeing ------------------------------------------------------------ */

static void guest_state_free(vmgs_guest_state *g)
{
	for (size_t i = 0; i < g->ndevices; i++) {
		vmgs_device *d = &g->devices[i];
		for (size_t k = 0; k < d->nstates; k++)
			free(d->states[k].name);
		free(d->states);
		free(d->key);
		free(d->type);
	}
	free(g->devices);
	for (size_t i = 0; i < g->nuefi; i++) {
		vmgs_uefi_var *u = &g->uefi[i];
		for (size_t k = 0; k < u->ncerts; k++)
			cert_free(&u->certs[k].cert);
		free(u->certs);
		free(u->vendor);
		free(u->name);
		free(u->device);
	}
	free(g->uefi);
	for (size_t i = 0; i < g->nblobs; i++) {
		free(g->blobs[i].json_path);
		free(g->blobs[i].bytes);
	}
	free(g->blobs);
	memset(g, 0, sizeof *g);
}

void vmgs_free(vmgs_file *v)
{
	if (!v)
		return;
	guest_state_free(&v->current);
	guest_state_free(&v->older);
	free(v->files);
	memset(v, 0, sizeof *v);
	v->active_header = -1;
}
