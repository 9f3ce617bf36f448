/*
 * read_vmgs.c - guest state files.  A file in the VMGS layout (v1: a VHD
 * holding a GPT disk with the VMGS partition; v3: the OpenHCL layout) is
 * read by formats/vmgs.c, and every byte array and string of its guest
 * state document (current copy and older copy) is tested for a key
 * protector in every saved form, named by its JSON path.  Which state holds
 * the protector on a real host is not confirmed: a value whose name looks
 * like a (last-known-good) key protector sets that role, others are
 * heuristic.
 *
 * A .vmgs that is not in the VMGS layout (the older placeholder layout: a
 * VHD around an embedded HyperVStorage repository) is searched like any
 * container (model/kp_search.h).  Any other VHD without the VMGS partition
 * is left to the disk reader.
 */
#include "model/readers.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "formats/vmgs.h"
#include "model/kp_search.h"
#include "util/strbuf.h"
#include "util/xalloc.h"

static bool named_vmgs(const char *path)
{
	const char *dot = strrchr(path, '.');
	return dot && strcasecmp(dot, ".vmgs") == 0;
}

static kps_name_role role_of(vmgs_kp_role r)
{
	return r == VMGS_ROLE_CURRENT ? KPS_NAME_CURRENT
	       : r == VMGS_ROLE_LAST_KNOWN_GOOD ? KPS_NAME_LKG : KPS_NAME_OTHER;
}

static void try_blobs(const vmgs_guest_state *gs, bool older, const identify_opts *o,
		      file_facts *x)
{
	if (!gs->decoded)
		return;
	for (size_t i = 0; i < gs->nblobs; i++) {
		const vmgs_blob *b = &gs->blobs[i];
		strbuf where = STRBUF_INIT;
		sb_addf(&where, "guest state JSON %s%s%s", b->json_path, b->path_cut ? "..." : "",
			older ? " (older copy)" : "");
		kps_value v = {
			.bytes = span_make(b->bytes, b->len),
			.role = role_of(b->role),
			.offset = HV_NO_OFFSET,
			.location = sb_str(&where),
			.heuristic = false,
			.older = older,
		};
		kps_try_value(&v, o->keep, x);
		sb_free(&where);
	}
}

static void describe(file_facts *x, const vmgs_file *g, hv_err rc)
{
	if (g->version == 3) {
		facts_set(x, EV_GUEST_STATE, EVC_USED,
			  "guest state file (VMGS v3, OpenHCL), %zu file(s); its key protector is the "
			  "OpenHCL format, not a Hyper-V key protector", g->nfiles);
	} else {
		facts_set(x, EV_GUEST_STATE, EVC_USED,
			  "guest state file (VMGS v1, %s %s), %zu device(s), %zu key protector(s) "
			  "found%s", vdisk_format_name(g->disk_format), vdisk_kind_name(g->disk_kind),
			  g->current.ndevices, x->nkps, g->older.decoded ? ", older copy read" : "");
	}
	if (rc != HV_OK)
		facts_fail(x, EVC_DAMAGED, rc, "guest state file could not be read whole: %s",
			   hv_err_name(rc));
}

/* The older placeholder layout, or a .vmgs that is not a guest state file at all. */
static hv_err read_placeholder(hv_source *s, const identify_opts *o, file_facts *out)
{
	kps_scan_source(s, o->keep, out);
	if (!out->nkps && !out->nrepos)
		return HV_ERR_FORMAT; /* the name then makes it damaged */
	facts_set(out, EV_GUEST_STATE, EVC_USED,
		  "guest state file, not in the VMGS layout: %zu key protector(s) and %zu embedded "
		  "HyperVStorage repositories found by scanning (heuristic)", out->nkps, out->nrepos);
	return HV_OK;
}

hv_err read_guest_state(hv_source *s, const identify_opts *o, file_facts *out)
{
	vdisk *vd = NULL;
	hv_findings tmp = { 0 };
	bool vmgs = readers_open_vdisk(s, o, out->path, &vd, &tmp) == HV_OK && vmgs_sniff_vdisk(vd);
	if (!vmgs) {
		vdisk_close(vd);
		findings_free(&tmp);
		return named_vmgs(out->path) ? read_placeholder(s, o, out) : HV_ERR_FORMAT;
	}
	findings_move(&out->findings, &tmp);
	vmgs_file *g = xcalloc(1, sizeof *g);
	hv_err rc = vmgs_read(vd, out->path, g, &out->findings);
	vdisk_close(vd);
	if (rc == HV_ERR_FORMAT) {
		vmgs_free(g);
		free(g);
		return named_vmgs(out->path) ? read_placeholder(s, o, out) : HV_ERR_FORMAT;
	}
	try_blobs(&g->current, false, o, out);
	try_blobs(&g->older, true, o, out);
	describe(out, g, rc);
	if (o->keep) {
		out->vmgs = g;
	} else {
		vmgs_free(g);
		free(g);
	}
	return rc;
}
