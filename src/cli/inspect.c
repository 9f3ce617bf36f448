/* inspect.c - per-file detection and the matching reader and report. */
#include "cli/inspect.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli/cli.h"
#include "report/cert_report.h"
#include "formats/certfile.h"
#include "formats/guardian.h"
#include "formats/hvstore.h"
#include "formats/kp.h"
#include "formats/kp_carve.h"
#include "formats/kp_input.h"
#include "formats/pfx.h"
#include "formats/vdisk.h"
#include "formats/vmxml.h"
#include "analysis/survive.h"
#include "model/hostreg.h"
#include "model/vm.h"
#include "report/disk_report.h"
#include "report/kp_report.h"
#include "report/out.h"
#include "report/pfx_report.h"
#include "report/store_report.h"
#include "report/vm_report.h"
#include "util/exitcode.h"
#include "util/fileio.h"
#include "util/xalloc.h"

#define INSPECT_WHOLE_CAP (64u * 1024 * 1024)
#define INSPECT_SCAN_MAX 64

typedef struct {
	const char *path;
	span_t s;
	const char *sha256;
	const inspect_opts *o;
	json_object *j;      /* this file's JSON object, NULL in text mode */
	hv_findings f;
	int rc;
} ictx;

static void print_findings(ictx *c)
{
	for (size_t i = 0; i < c->f.n; i++) {
		const hv_finding *x = &c->f.v[i];
		char *l = finding_format(x);
		fprintf(stderr, "hvtpm inspect: %s: %s\n", hv_sev_name(x->sev), l);
		free(l);
	}
	if (c->j) {
		json_object *a = json_object_new_array();
		for (size_t i = 0; i < c->f.n; i++) {
			const hv_finding *x = &c->f.v[i];
			json_object *o = json_object_new_object();
			jadd_str(o, "severity", hv_sev_name(x->sev));
			if (x->offset != HV_NO_OFFSET)
				jadd_int(o, "offset", (int64_t)x->offset);
			else
				jadd_null(o, "offset");
			jadd_str(o, "message", x->msg);
			json_object_array_add(a, o);
		}
		json_object_object_add(c->j, "findings", a);
	}
}

static void header(ictx *c, const char *format)
{
	if (c->j) {
		jadd_str(c->j, "format", format);
		return;
	}
	char *p = cert_report_escape(c->path);
	printf("%s%s%s\n", out_c(C_BOLD), p, out_c(C_NONE));
	free(p);
	out_kv(stdout, "  ", 16, "format", "%s", format);
	if (c->sha256)
		out_kv(stdout, "  ", 16, "sha256", "%s", c->sha256);
	out_kv(stdout, "  ", 16, "size", "%zu bytes", c->s.len);
}

static void fail(ictx *c, hv_err rc)
{
	c->rc = rc == HV_ERR_INTERNAL ? HV_EXIT_INTERNAL : HV_EXIT_INPUT;
	if (c->j)
		jadd_str(c->j, "error", hv_err_name(rc));
}

/* ---- key protectors inside configuration trees --------------------------------------- */

static void show_tree_kps(ictx *c, const vm_model *vm, json_object *arr)
{
	kp_doc docs[2];        /* current, last-known-good */
	bool have[2] = { false, false };
	for (size_t i = 0; i < vm->nkeys; i++) {
		const vm_key_blob *b = &vm->keys[i];
		int slot = strcmp(b->name, "key_protector") == 0 ? 0
			   : strcmp(b->name, "lkg_key_protector") == 0 ? 1 : -1;
		if (slot < 0)
			continue;
		kp_input in;
		if (kp_input_normalize(span_make(b->data, b->len), c->path, &in, &c->f) != HV_OK)
			continue;
		kp_doc d;
		bool ok = !in.empty &&
			  kp_decode(span_make(in.payload, in.len), c->path, HV_NO_OFFSET, &d, &c->f) == HV_OK;
		if (arr) {
			json_object *o = json_object_new_object();
			jadd_str(o, "location", b->kv_path);
			if (b->offset != HV_NO_OFFSET)
				jadd_int(o, "offset", (int64_t)b->offset);
			json_object_object_add(o, "input", kp_input_report_json(&in));
			jadd_bool(o, "empty", in.empty);
			json_object_object_add(o, "key_protector", ok ? kp_report_json(&d, c->o->at) : NULL);
			json_object_array_add(arr, o);
		} else {
			printf("\n  key protector at %s (entry at 0x%llX)%s\n", b->kv_path,
			       (unsigned long long)b->offset, in.empty ? ": empty (no key protector)" : "");
			if (ok)
				kp_report_text(stdout, &d, c->o->at);
		}
		if (ok && !have[slot]) {
			docs[slot] = d;
			have[slot] = true;
		} else if (ok) {
			kp_free(&d);
		}
		kp_input_free(&in);
	}
	if (have[0] && have[1]) {
		kp_diff diff;
		kp_compare(&docs[0], &docs[1], &diff);
		if (arr)
			json_object_object_add(c->j, "current_vs_last_known_good",
					       kp_compare_report_json(&diff));
		else
			kp_compare_report_text(stdout, &diff);
		kp_diff_free(&diff);
	}
	for (int k = 0; k < 2; k++)
		if (have[k])
			kp_free(&docs[k]);
}

static void show_vm_tree(ictx *c, const kv_node *root)
{
	if (hostreg_is(root)) {
		hostreg h;
		hostreg_from_tree(root, c->path, &h, &c->f);
		if (c->j)
			json_object_object_add(c->j, "host_registry", hostreg_report_json(&h));
		else
			hostreg_report_text(stdout, &h);
		hostreg_free(&h);
	} else {
		vm_model vm;
		if (vm_from_tree(root, c->path, &vm, &c->f) == HV_OK) {
			vm_resolve_paths(&vm, NULL);
			json_object *kps = c->j ? json_object_new_array() : NULL;
			if (c->j)
				json_object_object_add(c->j, "vm", vm_report_json(&vm));
			else
				vm_report_text(stdout, &vm);
			show_tree_kps(c, &vm, kps);
			if (c->j)
				json_object_object_add(c->j, "key_protectors", kps);
		}
		vm_free(&vm);
	}
	if (c->o->tree) {
		if (c->j) {
			json_object_object_add(c->j, "tree", kv_report_tree_json(root));
		} else {
			fputs("\n  tree:\n", stdout);
			kv_report_tree_text(stdout, root);
		}
	}
}

static void show_hvstore(ictx *c)
{
	hvstore h;
	hv_err rc = hvstore_read(c->s, c->path, 0, &h, &c->f);
	header(c, "HyperVStorage (.vmcx/.vmrs/data.vmcx)");
	if (rc != HV_OK) {
		fail(c, rc);
		hvstore_free(&h);
		return;
	}
	if (c->j)
		json_object_object_add(c->j, "container", store_report_json(&h));
	else
		store_report_text(stdout, &h);
	show_vm_tree(c, h.root);
	hvstore_free(&h);
}

static void show_vmxml(ictx *c)
{
	kv_node *root = NULL;
	hv_err rc = vmxml_read(c->s, c->path, &root, &c->f);
	header(c, "legacy Hyper-V XML configuration");
	if (rc != HV_OK) {
		fail(c, rc);
		return;
	}
	show_vm_tree(c, root);
	kv_free(root);
}

static void show_pfx(ictx *c)
{
	pfx_file p;
	hv_err rc = pfx_open(c->s, c->path, c->o->pw, &p, &c->f);
	header(c, "PFX (PKCS#12)");
	if (c->j)
		json_object_object_add(c->j, "pfx", pfx_report_json(c->path, &p, c->o->at));
	else
		pfx_report_text(stdout, c->path, &p, c->o->at);
	if (rc != HV_OK)
		fail(c, rc);
	pfx_free(&p);
}

static bool show_certfile(ictx *c)
{
	certfile cf;
	hv_findings tmp = { 0 };
	hv_err rc = certfile_read(c->s, c->path, &cf, &tmp);
	if (rc == HV_ERR_FORMAT) {
		certfile_free(&cf);
		findings_free(&tmp);
		return false;
	}
	findings_move(&c->f, &tmp);
	header(c, "certificate file");
	if (c->j)
		json_object_object_add(c->j, "certificates", certfile_report_json(c->path, &cf, c->o->at));
	else
		certfile_report_text(stdout, c->path, &cf, c->o->at);
	if (rc != HV_OK)
		fail(c, rc);
	certfile_free(&cf);
	return true;
}

static bool show_guardian(ictx *c)
{
	guardian_doc g;
	hv_findings tmp = { 0 };
	hv_err rc = guardian_decode(c->s, c->path, &g, &tmp);
	if (rc == HV_ERR_FORMAT) {
		findings_free(&tmp);
		return false;
	}
	findings_move(&c->f, &tmp);
	header(c, "guardian metadata XML");
	if (rc != HV_OK) {
		fail(c, rc); /* recognised, then damaged: never passed over */
		guardian_free(&g);
		return true;
	}
	if (c->j)
		json_object_object_add(c->j, "guardian", guardian_report_json(&g, c->o->at));
	else
		guardian_report_text(stdout, &g, c->o->at);
	guardian_free(&g);
	return true;
}

static bool show_kp(ictx *c)
{
	kp_input in;
	hv_findings tmp = { 0 };
	hv_err rc = kp_input_normalize(c->s, c->path, &in, &tmp);
	if (rc == HV_ERR_FORMAT) {
		findings_free(&tmp);
		return false;
	}
	findings_move(&c->f, &tmp);
	header(c, "saved key protector");
	if (rc != HV_OK) {
		fail(c, rc); /* recognised, then refused (a cap): never passed over */
		return true;
	}
	if (c->j)
		json_object_object_add(c->j, "input", kp_input_report_json(&in));
	else
		kp_input_report_text(stdout, &in);
	if (in.empty) {
		if (!c->j)
			puts("  The key protector is empty (00 00 00 04): the VM has no key protector.");
		else
			jadd_bool(c->j, "empty", true);
	} else {
		kp_doc d;
		rc = kp_decode(span_make(in.payload, in.len), c->path, in.payload_offset, &d, &c->f);
		if (rc == HV_OK) {
			if (c->j)
				json_object_object_add(c->j, "key_protector", kp_report_json(&d, c->o->at));
			else
				kp_report_text(stdout, &d, c->o->at);
			kp_free(&d);
		} else {
			fail(c, rc);
		}
	}
	kp_input_free(&in);
	return true;
}

/* ---- containers: embedded repositories and carved key protectors -------------------- */

static size_t show_repositories(ictx *c, json_object *arr)
{
	uint64_t offs[INSPECT_SCAN_MAX];
	size_t n = hvstore_scan(c->s, offs, INSPECT_SCAN_MAX);
	if (n > INSPECT_SCAN_MAX)
		n = INSPECT_SCAN_MAX;
	for (size_t i = 0; i < n; i++) {
		span_t sub;
		if (!span_sub(c->s, offs[i], c->s.len - offs[i], &sub))
			continue;
		hvstore h;
		if (hvstore_read(sub, c->path, offs[i], &h, &c->f) != HV_OK) {
			hvstore_free(&h);
			continue;
		}
		json_object *o = arr ? json_object_new_object() : NULL;
		if (o) {
			jadd_int(o, "offset", (int64_t)offs[i]);
			json_object_object_add(o, "container", store_report_json(&h));
			json_object *save = c->j;
			c->j = o;
			show_vm_tree(c, h.root);
			c->j = save;
			json_object_array_add(arr, o);
		} else {
			printf("\n  embedded HyperVStorage repository at 0x%llX (heuristic)\n",
			       (unsigned long long)offs[i]);
			store_report_text(stdout, &h);
			show_vm_tree(c, h.root);
		}
		hvstore_free(&h);
	}
	return n;
}

static void show_container(ictx *c)
{
	bool vmgs3 = span_eq(c->s, 0, "GUESTRTS", 8);
	bool vhd = c->s.len >= 512 && span_eq(c->s, c->s.len - 512, "conectix", 8);
	header(c, vmgs3 ? "guest state file (VMGS v3)" : vhd ? "VHD container (guest state file?)"
							   : "unrecognised: searched for key protectors");
	json_object *repos = c->j ? json_object_new_array() : NULL;
	size_t nrepo = show_repositories(c, repos);
	if (c->j)
		json_object_object_add(c->j, "embedded_repositories", repos);
	kp_carve_result r;
	kp_carve(c->s, c->path, &r, &c->f);
	if (c->j)
		json_object_object_add(c->j, "carved_key_protectors", kp_carve_report_json(&r, c->o->at));
	else if (r.n)
		kp_carve_report_text(stdout, &r, c->o->at);
	if (!c->j && !nrepo && !r.n)
		puts("  nothing found: no embedded HyperVStorage repository, no key protector document");
	kp_carve_free(&r);
}

/* ---- disks ----------------------------------------------------------------------------- */

static int show_disk(const char *path, const inspect_opts *o, json_object *files)
{
	hv_findings f = { 0 };
	vdisk *vd = NULL;
	json_object *j = files ? json_object_new_object() : NULL;
	if (j) {
		jadd_str(j, "path", path);
		jadd_str(j, "format", "virtual disk");
		json_object_array_add(files, j);
	}
	vdisk_opts vo = { 0 };
	vo.flags = o->follow_symlinks ? 0 : VDISK_NOFOLLOW;
	hv_err rc = vdisk_open_ex(path, &vo, &vd, &f);
	int code = HV_EXIT_OK;
	if (rc == HV_OK) {
		disk_assessment a;
		survive_assess_disk(vd, &a, &f);
		if (j) {
			json_object_object_add(j, "disk", disk_report_json(vd, &a));
		} else {
			char *p = cert_report_escape(path);
			printf("%s%s%s\n", out_c(C_BOLD), p, out_c(C_NONE));
			free(p);
			disk_report_text(stdout, vd, &a);
		}
		disk_assessment_free(&a);
		vdisk_close(vd);
	} else {
		code = rc == HV_ERR_INTERNAL ? HV_EXIT_INTERNAL : HV_EXIT_INPUT;
		if (j)
			jadd_str(j, "error", hv_err_name(rc));
	}
	for (size_t i = 0; i < f.n; i++) {
		char *l = finding_format(&f.v[i]);
		fprintf(stderr, "hvtpm inspect: %s: %s\n", hv_sev_name(f.v[i].sev), l);
		free(l);
		if (f.v[i].sev == HV_SEV_ERROR && code == HV_EXIT_OK)
			code = HV_EXIT_INPUT;
	}
	findings_free(&f);
	return code;
}

/* VHDX by its identifier, VHD by its footer: never read whole. */
static bool looks_like_disk(const char *path, uint64_t size, bool follow)
{
	hv_findings f = { 0 };
	int fd = hv_open_ro(path, follow ? 0 : HV_OPEN_NOFOLLOW, &f);
	findings_free(&f);
	if (fd < 0)
		return false;
	uint8_t b[8];
	bool disk = hv_pread_full(fd, b, 8, 0) == 8 && memcmp(b, "vhdxfile", 8) == 0;
	if (!disk && size > INSPECT_WHOLE_CAP) /* so size >= 512 */
		disk = hv_pread_full(fd, b, 8, size - 512) == 8 && memcmp(b, "conectix", 8) == 0;
	if (!disk && size > INSPECT_WHOLE_CAP)
		disk = true; /* only a raw disk image is expected at this size */
	close(fd);
	return disk;
}

int inspect_path(const char *path, const inspect_opts *o, json_object *files)
{
	struct stat st;
	if (stat(path, &st) == 0 && looks_like_disk(path, (uint64_t)st.st_size, o->follow_symlinks))
		return show_disk(path, o, files);
	ictx c;
	memset(&c, 0, sizeof c);
	c.path = path;
	c.o = o;
	hv_blob b;
	hv_err rc = hv_file_load(path, INSPECT_WHOLE_CAP, o->follow_symlinks ? 0 : HV_OPEN_NOFOLLOW,
				 &b, &c.f);
	if (files) {
		c.j = json_object_new_object();
		jadd_str(c.j, "path", path);
		jadd_str(c.j, "sha256", rc == HV_OK ? b.sha256_hex : NULL);
		jadd_int(c.j, "size", rc == HV_OK ? (int64_t)b.len : 0);
		json_object_array_add(files, c.j);
	}
	if (rc != HV_OK) {
		fail(&c, rc);
		print_findings(&c);
		findings_free(&c.f);
		return c.rc;
	}
	c.s = span_make(b.data, b.len);
	c.sha256 = b.sha256_hex;
	if (hvstore_sniff(c.s))
		show_hvstore(&c);
	else if (vmxml_sniff(c.s))
		show_vmxml(&c);
	else if (pfx_sniff(c.s))
		show_pfx(&c);
	else if (show_guardian(&c))
		;
	else if (certfile_sniff(c.s) && show_certfile(&c))
		;
	else if (!show_kp(&c))
		show_container(&c);
	print_findings(&c);
	if (findings_count(&c.f, HV_SEV_ERROR) && c.rc == HV_EXIT_OK)
		c.rc = HV_EXIT_INPUT;
	findings_free(&c.f);
	hv_blob_free(&b);
	return c.rc;
}
