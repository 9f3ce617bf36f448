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
 *
 * A guest state file that does not read (headers, locators or JSON damaged,
 * cut short) stays damaged, but is searched, best effort, for the key
 * protectors it still holds: the values of its JSON text found in its raw
 * bytes (vmgs_salvage), then embedded repositories and carved documents as
 * for any container.  What is found there is heuristic and says where it
 * came from ("salvaged from the damaged guest state ..."), so the verdict
 * that relies on it is marked inferred.
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

/* ---- best effort for damaged files ------------------------------------------------------ */

typedef struct {
	const identify_opts *o;
	file_facts *x;
	size_t seen;             /* protectors read from the file's structure before */
} salvage_ctx;

static bool on_salvaged(void *ctx, const vmgs_salvaged *v)
{
	salvage_ctx *c = ctx;
	strbuf where = STRBUF_INIT;
	sb_addf(&where, "salvaged from the damaged guest state at offset 0x%llX, JSON %s \"%s\"",
		(unsigned long long)v->offset, v->is_string ? "string" : "byte array", v->name);
	kps_value kv = {
		.bytes = span_make(v->bytes, v->len),
		.role = role_of(v->role),
		.offset = v->offset,
		.location = sb_str(&where),
		.heuristic = true,
		.seen = c->seen,
	};
	kps_try_value(&kv, c->o->keep, c->x);
	sb_free(&where);
	return c->x->nkps < KPS_MAX_HITS;
}

static bool salvage_window(void *ctx, span_t win, uint64_t off, size_t body)
{
	vmgs_salvage(win, body, off, on_salvaged, ctx);
	return ((salvage_ctx *)ctx)->x->nkps < KPS_MAX_HITS;
}

/* Usable protectors in x (a named value that did not decode is a fact, not one). */
static size_t usable_kps(const file_facts *x)
{
	size_t n = 0;
	for (size_t i = 0; i < x->nkps; i++)
		n += x->kps[i].rc == HV_OK;
	return n;
}

/*
 * Searches a guest state file that did not read for the key protectors it
 * still holds: the JSON values in its bytes, then embedded repositories and
 * carved documents.  Returns how many were added; the class is left as it is.
 */
static size_t salvage(hv_source *s, const identify_opts *o, file_facts *x)
{
	size_t before = usable_kps(x);
	salvage_ctx c = { o, x, x->nkps };
	src_stream(s, VMGS_SALVAGE_MAX_TEXT, salvage_window, &c, &x->findings);
	kps_scan_source(s, o->keep, x);
	size_t n = usable_kps(x) - before;
	if (n)
		findings_add(&x->findings, HV_SEV_WARN, x->path, HV_NO_OFFSET,
			     "the guest state file does not read whole: %zu key protector(s) "
			     "recovered by a best-effort scan of its bytes (heuristic: lower "
			     "confidence than a protector read from its structure)", n);
	else
		findings_add(&x->findings, HV_SEV_NOTE, x->path, HV_NO_OFFSET,
			     "the guest state file does not read whole: a best-effort scan of its "
			     "bytes found no key protector");
	return n;
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

/*
 * The older placeholder layout, or a .vmgs that is not a guest state file at
 * all, or one whose container is too damaged to be recognised: the values of
 * a guest state's JSON text in its bytes make it a damaged guest state file.
 */
static hv_err read_placeholder(hv_source *s, const identify_opts *o, file_facts *out)
{
	kps_scan_source(s, o->keep, out);
	if (!out->nkps && !out->nrepos) {
		salvage_ctx c = { o, out, 0 };
		src_stream(s, VMGS_SALVAGE_MAX_TEXT, salvage_window, &c, &out->findings);
		size_t n = usable_kps(out);
		if (!n)
			return HV_ERR_FORMAT; /* the name then makes it damaged */
		facts_set(out, EV_GUEST_STATE, EVC_DAMAGED,
			  "guest state file that does not read as one: %zu key protector(s) "
			  "recovered from its JSON text by a best-effort scan (heuristic)", n);
		facts_fail(out, EVC_DAMAGED, HV_ERR_CORRUPT, "not readable as a guest state file "
			   "(no VMGS partition or GUESTRTS header); key protectors recovered best "
			   "effort");
		findings_add(&out->findings, HV_SEV_WARN, out->path, HV_NO_OFFSET,
			     "the guest state file does not read as one: %zu key protector(s) "
			     "recovered by a best-effort scan of its bytes (heuristic: lower "
			     "confidence than a protector read from its structure)", n);
		return HV_ERR_CORRUPT;
	}
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
	vmgs_read_opts ro = { .digests = o->keep }; /* only a kept file's report shows them */
	hv_err rc = vmgs_read_ex(vd, out->path, &ro, g, &out->findings);
	vdisk_close(vd);
	if (rc == HV_ERR_FORMAT) {
		vmgs_free(g);
		free(g);
		return named_vmgs(out->path) ? read_placeholder(s, o, out) : HV_ERR_FORMAT;
	}
	try_blobs(&g->current, false, o, out);
	try_blobs(&g->older, true, o, out);
	describe(out, g, rc);
	if (rc != HV_OK && g->version != 3 && salvage(s, o, out)) /* damaged v1: best effort */
		facts_set(out, EV_GUEST_STATE, EVC_DAMAGED, "guest state file (VMGS v1), damaged: "
			  "%zu key protector(s), found by a best-effort scan of its bytes (heuristic)",
			  usable_kps(out));
	if (o->keep) {
		out->vmgs = g;
	} else {
		vmgs_free(g);
		free(g);
	}
	return rc;
}
