/* identify.c - the table of formats, the bids, and the one recognition pipeline. */
#include "model/identify.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "formats/certfile.h"
#include "formats/disk_sniff.h"
#include "formats/export_manifest.h"
#include "formats/guardian.h"
#include "formats/hvstore.h"
#include "formats/kp_input.h"
#include "formats/pfx.h"
#include "formats/vmxml.h"
#include "model/archive.h"
#include "model/kp_search.h"
#include "model/readers.h"
#include "util/text.h"
#include "util/xalloc.h"

/* ---- bids ---------------------------------------------------------------------------- */

static int bid_hvstore(const identify_view *v) { return hvstore_sniff(v->head) ? 100 : 0; }
static int bid_vmxml(const identify_view *v) { return vmxml_sniff(v->head) ? 95 : 0; }
static int bid_pfx(const identify_view *v) { return pfx_sniff(v->head) ? 80 : 0; }
static int bid_guardian(const identify_view *v) { return guardian_sniff(v->head) ? 70 : 0; }
static int bid_certfile(const identify_view *v) { return certfile_sniff(v->head) ? 60 : 0; }
static int bid_manifest(const identify_view *v) { return export_manifest_sniff(v->head) ? 75 : 0; }

static int bid_archive(const identify_view *v)
{
	return arc_sniff(v->head) ? 90 : 0;
}

static int bid_disk(const identify_view *v)
{
	switch (disk_sniff(v->head, v->tail, v->size)) {
	case DISK_SNIFF_VHDX:
	case DISK_SNIFF_VHD:
		return 90;
	case DISK_SNIFF_GPT:
	case DISK_SNIFF_MBR:
	case DISK_SNIFF_VOLUME:
		return 50;
	case DISK_SNIFF_NONE:
		break;
	}
	return 0;
}

/* Saved key protectors come in text forms too: only reading them tells. */
static int bid_kp(const identify_view *v)
{
	return v->size > 0 && v->size <= KP_INPUT_MAX_FILE ? 20 : 0;
}

/*
 * Guest state files: the VMGS container (v1: a VHD holding a GPT disk; v3:
 * "GUESTRTS" at the start of a fixed VHD), or the older placeholder layout
 * of a VHD around an embedded repository.  The name counts here: a .vmgs
 * is read as guest state before it is read as a disk.
 */
static int bid_guest_state(const identify_view *v)
{
	if (span_eq(v->head, 0, "GUESTRTS", 8))
		return 100;
	const char *dot = v->name ? strrchr(v->name, '.') : NULL;
	if (dot && strcasecmp(dot, ".vmgs") == 0)
		return 95;
	/* Any VHD may be one (the reader looks for the VMGS partition): before the disk row. */
	return disk_sniff(v->head, v->tail, v->size) == DISK_SNIFF_VHD ? 92 : 0;
}

/* Anything else is searched for embedded repositories and protector documents. */
static int bid_scan(const identify_view *v)
{
	return v->size > 0 ? 1 : 0;
}

static hv_err read_scan(hv_source *s, const identify_opts *o, file_facts *out)
{
	kps_scan_source(s, o->keep, out);
	if (!out->nkps && !out->nrepos)
		return HV_ERR_FORMAT;
	facts_set(out, EV_GUEST_STATE, EVC_USED,
		  "searched for key protectors: %zu found, %zu embedded HyperVStorage "
		  "repositories (heuristic)", out->nkps, out->nrepos);
	return HV_OK;
}

/* ---- the table ----------------------------------------------------------------------- */

static const char *const ext_hvstore[] = { "vmcx", "vmrs", "vsv", NULL };
static const char *const ext_archive[] = { "zip", "7z", "tar", "tgz", "txz", "tbz2", NULL };
static const char *const ext_disk[] = { "vhdx", "avhdx", "vhd", "avhd", NULL };
static const char *const ext_pfx[] = { "pfx", "p12", NULL };
static const char *const ext_cert[] = { "cer", "crt", "der", "p7b", NULL };
static const char *const ext_kp[] = { "kp", NULL };
static const char *const ext_guest_state[] = { "vmgs", NULL };
static const char *const ext_scan[] = { NULL };
static const char *const ext_none[] = { NULL };
static const char *const names_manifest[] = { EXPORT_MANIFEST_NAME, NULL };

static const format_row rows[] = {
	{ "hyperv_storage", "HyperVStorage (.vmcx/.vmrs/data.vmcx)", EV_VM_CONFIG, ext_hvstore,
	  bid_hvstore, read_hyperv_storage, NULL },
	{ "vm_config_xml", "legacy Hyper-V XML configuration", EV_VM_CONFIG, ext_none, bid_vmxml,
	  read_vm_xml, NULL },
	{ "archive", "archive (zip, tar, 7-Zip)", EV_ARCHIVE, ext_archive, bid_archive, NULL, NULL },
	{ "disk", "virtual disk or volume image (VHDX, VHD, raw)", EV_DISK, ext_disk, bid_disk,
	  read_disk, NULL },
	{ "pfx", "PFX (PKCS#12)", EV_PFX, ext_pfx, bid_pfx, read_pfx, NULL },
	{ "export_manifest", "hvtpm export manifest (JSON)", EV_MANIFEST,
	  ext_none, bid_manifest, read_export_manifest, names_manifest },
	{ "guardian_metadata", "guardian metadata XML", EV_GUARDIAN, ext_none, bid_guardian,
	  read_guardian, NULL },
	{ "certificate", "certificate file (DER, PEM, PKCS#7)", EV_CERTIFICATE, ext_cert,
	  bid_certfile, read_certificates, NULL },
	{ "key_protector", "saved key protector", EV_KEY_PROTECTOR, ext_kp, bid_kp, read_saved_kp,
	  NULL },
	{ "guest_state", "Hyper-V guest state file (.vmgs)", EV_GUEST_STATE, ext_guest_state,
	  bid_guest_state, read_guest_state, NULL },
	{ "scan", "searched for embedded repositories and key protectors (heuristic)",
	  EV_GUEST_STATE, ext_scan, bid_scan, read_scan, NULL },
};

#define NROWS (sizeof rows / sizeof *rows)

const format_row *identify_rows(size_t *n)
{
	*n = NROWS;
	return rows;
}

const format_row *identify_row(const char *id)
{
	for (size_t i = 0; i < NROWS; i++)
		if (strcmp(rows[i].id, id) == 0)
			return &rows[i];
	return NULL;
}

static const char *extension_of(const char *name)
{
	const char *b = strrchr(name, '/');
	b = b ? b + 1 : name;
	const char *dot = strrchr(b, '.');
	return dot && dot != b ? dot + 1 : NULL;
}

/*
 * The base name: after the last '/' (of the member path for an archive
 * member, which starts at member_at); a '!' in a file name is just a
 * character.
 */
static const char *base_of(const char *name, size_t member_at)
{
	const char *from = name + member_at;
	const char *b = strrchr(from, '/');
	return b ? b + 1 : from;
}

const format_row *identify_claimed(const char *name, size_t member_at)
{
	const char *base = name ? base_of(name, member_at) : NULL;
	for (size_t i = 0; base && i < NROWS; i++)
		for (const char *const *n = rows[i].names; n && *n; n++)
			if (strcasecmp(*n, base) == 0)
				return &rows[i];
	const char *ext = name ? extension_of(name) : NULL;
	for (size_t i = 0; ext && i < NROWS; i++)
		for (const char *const *e = rows[i].extensions; *e; e++)
			if (strcasecmp(*e, ext) == 0)
				return &rows[i];
	return NULL;
}

void identify_view_of(hv_source *s, const char *name, identify_view *v)
{
	span_t all = src_span(s);
	v->size = all.len;
	v->head = span_make(all.data, all.len < IDENTIFY_HEAD ? all.len : IDENTIFY_HEAD);
	size_t t = all.len < IDENTIFY_TAIL ? all.len : IDENTIFY_TAIL;
	v->tail = span_make(all.data + all.len - t, t);
	v->name = name;
}

bool identify_is_archive(const identify_view *v)
{
	return bid_archive(v) > 0;
}

/* ---- recognition ---------------------------------------------------------------------- */

/* The rows that bid, best first (ties keep the table order). */
static size_t ranked(const identify_view *v, const format_row **out)
{
	int bids[NROWS] = { 0 };
	size_t n = 0;
	for (size_t i = 0; i < NROWS; i++) {
		int b = rows[i].read ? rows[i].bid(v) : 0;
		if (b <= 0)
			continue;
		size_t k = n++;
		while (k > 0 && bids[k - 1] < b) {
			bids[k] = bids[k - 1];
			out[k] = out[k - 1];
			k--;
		}
		bids[k] = b;
		out[k] = &rows[i];
	}
	return n;
}

/* A name claims a format the content is not: damaged, and how it starts. */
static void damaged_by_name(file_facts *x, const format_row *claim, const identify_view *v)
{
	char hex[3 * 8 + 1] = "";
	size_t n = v->head.len < 8 ? v->head.len : 8;
	/* cppcheck-suppress knownConditionTrueFalse ; head.len depends on the file, not the caller */
	for (size_t i = 0; i < n; i++)
		snprintf(hex + 3 * i, 4, "%02X ", v->head.data[i]);
	if (n)
		hex[3 * n - 1] = '\0';
	facts_set(x, claim->kind, EVC_DAMAGED, "named like a%s %s file, but not one",
		  strchr("aeiou", claim->id[0]) ? "n" : "", claim->id);
	if (v->size == 0)
		facts_fail(x, EVC_DAMAGED, HV_ERR_FORMAT, "0 bytes long: the name says %s",
			   claim->description);
	else
		facts_fail(x, EVC_DAMAGED, HV_ERR_FORMAT,
			   "the name says %s, but the content is not (it starts with %s)",
			   claim->description, hex);
}

static bool claim_met(const format_row *claim, const format_row *taken)
{
	return claim == taken;
}

void identify_read(hv_source *s, const char *name, const identify_opts *o, file_facts *x)
{
	identify_view v;
	identify_view_of(s, name, &v);
	const format_row *order[NROWS];
	size_t n = ranked(&v, order);
	const format_row *taken = NULL;
	for (size_t i = 0; i < n && !taken; i++)
		if (order[i]->read(s, o, x) != HV_ERR_FORMAT)
			taken = order[i];
	const format_row *claim = identify_claimed(name, x->member_at < strlen(name) ? x->member_at : 0);
	if (taken) {
		x->format_id = taken->id;
		x->format_desc = taken->description;
		if (claim && !claim_met(claim, taken)) {
			x->claimed = xstrdup(claim->id);
			findings_add(&x->findings, HV_SEV_NOTE, x->path, HV_NO_OFFSET,
				     "the name says %s, the content is %s", claim->description,
				     taken->description);
		}
	} else if (claim) {
		damaged_by_name(x, claim, &v);
	} else {
		facts_set(x, EV_UNKNOWN, EVC_UNRECOGNISED, "%s",
			  v.size ? "not recognised (nothing found by scanning it)" : "empty file");
	}
	if (!x->sha256[0])
		src_sha256(s, x->sha256, &x->findings);
	if (src_changed(s) && x->status == HV_OK)
		facts_fail(x, x->cls == EVC_USED ? EVC_DAMAGED : x->cls, HV_ERR_IO,
			   "the file changed while it was read");
}
