/*
 * test_collect.c - the one evidence pipeline, driven directly: every input
 * ends in one class, key protectors are found under any name and in any
 * place (trees, guest state JSON, embedded repositories, carved), files of
 * any size are read in bounded memory and hashed whole, disks are known by
 * their signatures at any size, guest state files are read in the VMGS v1
 * layout, and archives are opened the same way for every command.
 */
#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "analysis/evaluate.h"
#include "model/collect.h"
#include "model/identify.h"
#include "model/pipeline.h"
#include "model/vm.h"
#include "support/fve_writer.h"
#include "support/hvs_writer.h"
#include "support/kp_writer.h"
#include "support/testutil.h"
#include "support/vhdx_writer.h"
#include "support/vmgs_writer.h"
#include "util/fileio.h"
#include "util/source.h"
#include "util/text.h"

#define MIB (1024u * 1024u)
#define VM_ID "11111111-2222-4333-8444-555555555555"
#define TPM_NODE "configuration/_" VM_DEV_VTPM "_"

#if defined(__SANITIZE_ADDRESS__)
#define RSS_CAP_KB (512L * 1024) /* ASan's shadow memory and quarantine */
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define RSS_CAP_KB (512L * 1024)
#endif
#endif
#ifndef RSS_CAP_KB
#define RSS_CAP_KB (64L * 1024)
#endif

static kpw_guardian guard;

static void setup(void)
{
	kpw_seed(7);
	guard = kpw_guardian_new("UntrustedGuardian", "HV-COLLECT", 3650);
}

static void teardown(void)
{
	kpw_guardian_free(&guard);
}

/*
 * The key protector document of guard (owner only), every signature real;
 * real_sig false: the guardian signature is random bytes (it fails).
 */
static char *kp_xml_id(bool real_sig, uint32_t id, size_t *len)
{
	kpw_wrapping w = kpw_wrapping_for(&guard, id, id);
	uint8_t *ss = kpw_sign(guard.signing, "pkcs1-sha256", guard.signing->der,
			       guard.signing->der_len, &w.signing_sig_len);
	uint8_t *es = kpw_sign(guard.signing, "pkcs1-sha256", guard.encryption->der,
			       guard.encryption->der_len, &w.encryption_sig_len);
	w.signing_sig = ss;
	w.encryption_sig = es;
	kpw_doc d;
	memset(&d, 0, sizeof d);
	d.max_offline_unwraps = -1;
	d.guardian_wrapping_id = id;
	d.w = &w;
	d.n = 1;
	uint8_t *sig = NULL;
	if (real_sig) {
		size_t cl;
		char *c14n = kpw_wrappings_c14n(&d, &cl);
		sig = kpw_sign(guard.signing, "pkcs1-sha256", c14n, cl, &d.guardian_sig_len);
		free(c14n);
		d.guardian_sig = sig;
	}
	char *xml = kpw_xml(&d, len);
	free(sig);
	free(ss);
	free(es);
	return xml;
}

static char *kp_xml_doc(bool real_sig, size_t *len)
{
	return kp_xml_id(real_sig, 1, len);
}

/* Get-VMKeyProtector bytes (OctetString + XML) of guard's protector. */
static uint8_t *kp_bytes(size_t *len)
{
	size_t xl;
	char *xml = kp_xml_doc(true, &xl);
	uint8_t *b = kpw_frame(xml, xl, len);
	free(xml);
	return b;
}

/* A Gen 2 configuration with the vTPM enabled; kp_path: where the protector goes (or NULL). */
static uint8_t *config_bytes(const char *name, const char *id, const char *kp_path,
			     const uint8_t *kp, size_t kplen, size_t *len)
{
	kv_node *r = hvs_tree_new();
	hvs_set_str(r, "configuration/properties/name", name);
	hvs_set_str(r, "configuration/properties/global_id", id);
	hvs_set_int(r, "configuration/properties/version", 0x0A00);
	hvs_set_int(r, "configuration/properties/subtype", 1);
	hvs_set_str(r, "configuration/manifest/vdev001/device", VM_DEV_VTPM);
	hvs_set_str(r, "configuration/manifest/vdev001/instance", VM_DEV_VTPM);
	hvs_set_bool(r, "configuration/security/settings/tpm_enabled", true);
	if (kp_path)
		hvs_set_bytes(r, kp_path, kp, kplen);
	hvs_write_opts o;
	memset(&o, 0, sizeof o);
	uint8_t *b = hvs_write(r, &o, len);
	kv_free(r);
	return b;
}

static void collect(char *const *paths, size_t n, evidence *e)
{
	evidence_init(e);
	collect_opts co = { 0 };
	collector *c = collector_new(e, &co);
	collector_add_paths(c, paths, n);
	collector_finish(c);
}

static const ev_file *file_ending(const evidence *e, const char *suffix)
{
	size_t sl = strlen(suffix);
	for (size_t i = 0; i < e->nfiles; i++) {
		size_t l = strlen(e->files[i].path);
		if (l >= sl && strcmp(e->files[i].path + l - sl, suffix) == 0)
			return &e->files[i];
	}
	ck_abort_msg("no evidence file ending in %s", suffix);
	return NULL;
}

static const ev_vm *vm_with_id(const evidence *e, const char *id)
{
	for (size_t i = 0; i < e->nvms; i++)
		if (guid_str_eq(e->vms[i].id, id))
			return &e->vms[i];
	ck_abort_msg("no VM %s", id);
	return NULL;
}

/* SHA-256 of a file read the plain way, for comparison. */
static void plain_sha256(const char *path, char hex[65])
{
	FILE *f = fopen(path, "rb");
	ck_assert_ptr_nonnull(f);
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	EVP_DigestInit_ex(md, EVP_sha256(), NULL);
	static uint8_t buf[1 << 20];
	size_t n;
	while ((n = fread(buf, 1, sizeof buf, f)) > 0)
		EVP_DigestUpdate(md, buf, n);
	fclose(f);
	uint8_t dig[32];
	unsigned int dl = 32;
	EVP_DigestFinal_ex(md, dig, &dl);
	EVP_MD_CTX_free(md);
	hv_sha256_hex(dig, hex);
}

/* Writes data at off into path (creating it, keeping the rest), then sizes it. */
static void put_at(const char *path, uint64_t size, uint64_t off, const void *data, size_t n)
{
	int fd = open(path, O_WRONLY | O_CREAT, 0600);
	ck_assert_int_ge(fd, 0);
	if (n)
		ck_assert_int_eq(pwrite(fd, data, n, (off_t)off), (ssize_t)n);
	ck_assert_int_eq(ftruncate(fd, (off_t)size), 0);
	close(fd);
}

/* ---- classes ------------------------------------------------------------------------- */

START_TEST(every_input_ends_in_one_class)
{
	char *d = tu_mkdtemp();
	size_t kl, cl;
	uint8_t *kp = kp_bytes(&kl);
	/* the protector where the WMI class puts it: the TPM device's KeyProtector */
	uint8_t *cfg = config_bytes("web01", VM_ID, TPM_NODE "/KeyProtector", kp, kl, &cl);
	char *p = tu_join(d, "ev/Virtual Machines/" VM_ID ".vmcx");
	tu_write(p, cfg, cl);
	free(p);
	p = tu_join(d, "ev/empty.vmcx");
	tu_write(p, "", 0);
	free(p);
	uint8_t junk[4096];
	kpw_random(junk, sizeof junk);
	p = tu_join(d, "ev/junk.vmcx");
	tu_write(p, junk, sizeof junk);
	free(p);
	p = tu_join(d, "ev/notes.txt");
	tu_write(p, "nothing to see\n", 15);
	free(p);
	p = tu_join(d, "ev/link");
	ck_assert_int_eq(symlink("notes.txt", p), 0);
	free(p);
	p = tu_join(d, "ev/pipe");
	ck_assert_int_eq(mkfifo(p, 0600), 0);
	free(p);
	char *ev = tu_join(d, "ev"), *missing = tu_join(d, "not-there");
	char *paths[] = { ev, missing };
	evidence e;
	collect(paths, 2, &e);

	ck_assert_uint_eq(e.nfiles, 7);
	ck_assert_int_eq(file_ending(&e, ".vmcx")->cls, EVC_USED);
	ck_assert_int_eq(file_ending(&e, ".vmcx")->kind, EV_VM_CONFIG);
	const ev_file *f = file_ending(&e, "empty.vmcx");
	ck_assert_int_eq(f->cls, EVC_DAMAGED);
	ck_assert_int_eq(f->status, HV_ERR_FORMAT);
	ck_assert_ptr_nonnull(strstr(ev_file_error(f), "0 bytes long"));
	ck_assert_int_eq(file_ending(&e, "junk.vmcx")->cls, EVC_DAMAGED);
	ck_assert_int_eq(file_ending(&e, "notes.txt")->cls, EVC_UNRECOGNISED);
	ck_assert_int_eq(file_ending(&e, "/link")->cls, EVC_SKIPPED);
	ck_assert_int_eq(file_ending(&e, "/pipe")->cls, EVC_UNREADABLE);
	ck_assert_int_eq(file_ending(&e, "not-there")->cls, EVC_UNREADABLE);
	ck_assert_uint_eq(e.nclass[EVC_USED], 1);
	ck_assert_uint_eq(e.nclass[EVC_DAMAGED], 2);
	ck_assert_uint_eq(e.nclass[EVC_UNRECOGNISED], 1);
	ck_assert_uint_eq(e.nclass[EVC_SKIPPED], 1);
	ck_assert_uint_eq(e.nclass[EVC_UNREADABLE], 2);
	ck_assert_int_eq(evidence_exit_code(&e), 4);
	/* the protector under the TPM device node is the current one, not heuristic */
	const ev_vm *vm = vm_with_id(&e, VM_ID);
	ck_assert_uint_eq(vm->nkps, 1);
	ck_assert_int_eq(vm->kps[0].origin, KP_CURRENT);
	ck_assert(!vm->kps[0].heuristic);
	ck_assert_ptr_nonnull(strstr(vm->kps[0].location, "_/KeyProtector"));
	evidence_free(&e);
	free(kp);
	free(cfg);
	free(ev);
	free(missing);
	tu_rmtree(d);
	free(d);
}
END_TEST

START_TEST(no_vm_is_not_all_fine)
{
	char *d = tu_mkdtemp();
	char *p = tu_join(d, "readme.txt");
	tu_write(p, "hello\n", 6);
	char *paths[] = { d };
	evidence e;
	collect(paths, 1, &e);
	ck_assert_uint_eq(e.nvms, 0);
	dx_result r;
	verdict_opts vo = { 0, 90 };
	dx_evaluate(&e, &vo, 0, &r);
	ck_assert_int_eq(dx_exit_code(&e, &r), 1);
	dx_result_free(&r);
	evidence_free(&e);
	free(p);
	tu_rmtree(d);
	free(d);
}
END_TEST

/* ---- key protectors under any name -------------------------------------------------- */

START_TEST(key_protectors_under_any_name)
{
	size_t kl, xl, ol;
	uint8_t *kp = kp_bytes(&kl);
	char *xml = kp_xml_doc(true, &xl);
	uint8_t *outfile = kpw_save(xml, xl, KPW_FORM_OUTFILE_UTF16_CRLF, &ol);
	kv_node *r = hvs_tree_new();
	hvs_set_str(r, "configuration/properties/name", "multi");
	hvs_set_str(r, "configuration/properties/global_id", VM_ID);
	hvs_set_int(r, "configuration/properties/version", 0x0A00);
	hvs_set_bytes(r, "configuration/security/keys/key_protector", kp, kl);
	hvs_set_bytes(r, TPM_NODE "/LastKnownGoodKeyProtector", kp, kl);
	hvs_set_bytes(r, "configuration/somewhere/else/blob", outfile, ol);
	hvs_set_str(r, "configuration/properties/notes", "a short note");
	hvs_write_opts o;
	memset(&o, 0, sizeof o);
	size_t len;
	uint8_t *b = hvs_write(r, &o, &len);
	kv_free(r);
	char *d = tu_mkdtemp(), *p = tu_join(d, VM_ID ".vmcx");
	tu_write(p, b, len);
	char *paths[] = { p };
	evidence e;
	collect(paths, 1, &e);
	const ev_vm *vm = vm_with_id(&e, VM_ID);
	ck_assert_uint_eq(vm->nkps, 3);
	int seen = 0;
	for (size_t i = 0; i < vm->nkps; i++) {
		const ev_kp *k = &vm->kps[i];
		ck_assert_uint_eq(k->nw, 1);
		if (strstr(k->location, "security/keys/key_protector")) {
			ck_assert_int_eq(k->origin, KP_CURRENT);
			ck_assert(!k->heuristic);
			seen |= 1;
		} else if (strstr(k->location, "LastKnownGoodKeyProtector")) {
			ck_assert_int_eq(k->origin, KP_LKG);
			ck_assert(!k->heuristic);
			seen |= 2;
		} else if (strstr(k->location, "/configuration/somewhere/else/blob")) {
			ck_assert_int_eq(k->origin, KP_FOUND);
			ck_assert(k->heuristic);
			ck_assert_ptr_nonnull(strstr(k->form, "decimal lines"));
			seen |= 4;
		}
	}
	ck_assert_int_eq(seen, 7);
	evidence_free(&e);
	free(b);
	free(kp);
	free(xml);
	free(outfile);
	free(p);
	tu_rmtree(d);
	free(d);
}
END_TEST

START_TEST(a_failed_signature_is_a_reason)
{
	size_t xl, kl, cl;
	char *xml = kp_xml_doc(false, &xl); /* guardian signature: random bytes */
	uint8_t *kp = kpw_frame(xml, xl, &kl);
	uint8_t *cfg = config_bytes("tampered", VM_ID, "configuration/security/keys/key_protector",
				    kp, kl, &cl);
	char *d = tu_mkdtemp(), *p = tu_join(d, VM_ID ".vmcx");
	tu_write(p, cfg, cl);
	char *paths[] = { p };
	evidence e;
	collect(paths, 1, &e);
	dx_result r;
	verdict_opts vo = { time(NULL), 90 };
	dx_evaluate(&e, &vo, 0, &r);
	ck_assert_uint_eq(r.nvms, 1);
	bool said = false;
	for (size_t i = 0; i < r.vms[0].v.nreasons; i++)
		said |= strstr(r.vms[0].v.reasons[i].text, "does NOT verify") != NULL;
	ck_assert_msg(said, "no reason names the failed signature");
	dx_result_free(&r);
	evidence_free(&e);
	free(xml);
	free(kp);
	free(cfg);
	free(p);
	tu_rmtree(d);
	free(d);
}
END_TEST

/* ---- any size ------------------------------------------------------------------------ */

/* A HyperVStorage repository holding a current key protector (4 KiB aligned placement). */
static uint8_t *repository(size_t *len)
{
	size_t kl;
	uint8_t *kp = kp_bytes(&kl);
	kv_node *r = hvs_tree_new();
	hvs_set_int(r, "configuration/properties/version", 0x0A00);
	hvs_set_bytes(r, "configuration/security/keys/key_protector", kp, kl);
	hvs_write_opts o;
	memset(&o, 0, sizeof o);
	uint8_t *b = hvs_write(r, &o, len);
	kv_free(r);
	free(kp);
	return b;
}

START_TEST(past_64_mib_repositories_and_documents_are_found_and_hashed)
{
	char *d = tu_mkdtemp(), *p = tu_join(d, "memory.bin");
	size_t rl, xl, ul;
	uint8_t *repo = repository(&rl);
	char *xml = kp_xml_id(true, 5, &xl); /* another protector: the same one is kept once */
	uint8_t *utf16 = kpw_save(xml, xl, KPW_FORM_XML_UTF16, &ul);
	uint64_t size = 96ull * MIB;
	put_at(p, size, 70ull * MIB, repo, rl);
	put_at(p, size, 90ull * MIB + 3, utf16, ul);
	file_facts x;
	facts_init(&x, p, 0);
	hv_source *s;
	ck_assert_int_eq(src_open(p, NULL, 0, &s, &x.findings), HV_OK);
	ck_assert(src_mapped(s));
	identify_opts io = { 0 };
	identify_read(s, "memory.bin", &io, &x);
	src_close(s);
	ck_assert_int_eq(x.cls, EVC_USED);
	ck_assert_uint_eq(x.nrepos, 1);
	ck_assert_uint_eq(x.repos[0].offset, 70ull * MIB);
	ck_assert_uint_eq(x.nkps, 2);
	ck_assert_int_eq(x.kps[0].kp.origin, KP_CURRENT);
	ck_assert(x.kps[0].kp.heuristic);
	ck_assert_ptr_nonnull(strstr(x.kps[0].kp.location, "repository at 0x4600000"));
	ck_assert_int_eq(x.kps[1].kp.origin, KP_CARVED);
	char want[32];
	snprintf(want, sizeof want, "offset 0x%llX", 90ull * MIB + 3);
	ck_assert_ptr_nonnull(strstr(x.kps[1].kp.location, want));
	char hex[65];
	plain_sha256(p, hex);
	ck_assert_str_eq(x.sha256, hex);
	ck_assert(!x.sha256_metadata);
	facts_free(&x);
	free(repo);
	free(xml);
	free(utf16);
	free(p);
	tu_rmtree(d);
	free(d);
}
END_TEST

/* Runs the collector on path in a child; returns its peak RSS in KiB and the KP count. */
static long child_collect(const char *path, size_t *nkps, char sha[65])
{
	int fds[2];
	ck_assert_int_eq(pipe(fds), 0);
	pid_t pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		close(fds[0]);
		char *paths[] = { (char *)path };
		evidence e;
		collect(paths, 1, &e);
		size_t n = 0;
		for (size_t i = 0; i < e.nvms; i++)
			n += e.vms[i].nkps;
		char msg[128];
		int l = snprintf(msg, sizeof msg, "%zu %s", n, e.nfiles ? e.files[0].sha256 : "-");
		if (write(fds[1], msg, (size_t)l) != l)
			_exit(2);
		_exit(0);
	}
	close(fds[1]);
	char msg[128] = { 0 };
	ck_assert_int_gt(read(fds[0], msg, sizeof msg - 1), 0);
	close(fds[0]);
	int st;
	struct rusage ru;
	ck_assert_int_eq(wait4(pid, &st, 0, &ru), pid);
	ck_assert(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	ck_assert_int_eq(sscanf(msg, "%zu %64s", nkps, sha), 2);
	return ru.ru_maxrss;
}

START_TEST(a_4_gib_sparse_file_in_bounded_memory)
{
	char *d = tu_mkdtemp(), *p = tu_join(d, "saved-state.bin");
	size_t xl, kl;
	char *xml = kp_xml_doc(true, &xl);
	uint8_t *kp = kpw_frame(xml, xl, &kl);
	uint64_t size = 4ull << 30;
	uint64_t at = size - MIB + 17;
	put_at(p, size, at, kp, kl);
	/* a dense stretch too, so the pass reads real pages and releases them */
	uint8_t *dense = malloc(40 * MIB);
	kpw_random(dense, 40 * MIB);
	put_at(p, size, 1ull << 30, dense, 40 * MIB);
	free(dense);
	size_t nkps;
	char sha[65], want[65];
	long rss = child_collect(p, &nkps, sha);
	ck_assert_uint_eq(nkps, 1);
	ck_assert_msg(rss < RSS_CAP_KB, "peak RSS %ld KiB", rss);
	plain_sha256(p, want);
	ck_assert_str_eq(sha, want);
	free(xml);
	free(kp);
	free(p);
	tu_rmtree(d);
	free(d);
}
END_TEST

/* ---- disks by content ---------------------------------------------------------------- */

static const ev_file *only_file(evidence *e, const char *path)
{
	char *paths[] = { (char *)path };
	collect(paths, 1, e);
	ck_assert_uint_eq(e->nfiles, 1);
	return &e->files[0];
}

START_TEST(disks_by_signature_whatever_their_size)
{
	char *d = tu_mkdtemp();
	fvew_spec fs;
	fvew_default(&fs);
	fvew_add(&fs, 0x0100, 1);
	fvew_add(&fs, 0x0800, 2);
	size_t need = fvew_needed(&fs);
	uint8_t *vol = calloc(1, need);
	ck_assert(fvew_build(&fs, vol, need));
	static const uint64_t sizes[] = { 51u * MIB, 70u * MIB, 2u * MIB };
	for (size_t i = 0; i < 3; i++) {
		if (sizes[i] < need)
			continue;
		char name[32];
		snprintf(name, sizeof name, "volume-%zu.img", i);
		char *p = tu_join(d, name);
		put_at(p, sizes[i], 0, vol, need);
		evidence e;
		const ev_file *f = only_file(&e, p);
		ck_assert_int_eq(f->kind, EV_DISK);
		ck_assert_int_eq(f->cls, EVC_USED);
		ck_assert_ptr_nonnull(ev_file_disk(f));
		ck_assert_uint_eq(ev_file_disk(f)->parts.n, 1);
		ck_assert(part_class_is_bitlocker(ev_file_disk(f)->parts.v[0].cls));
		evidence_free(&e);
		free(p);
	}
	free(vol);
	/* random bytes are not a disk, at any size */
	uint8_t *rnd = malloc(80u * MIB);
	kpw_random(rnd, 80u * MIB);
	char *p = tu_join(d, "random.img");
	tu_write(p, rnd, 80u * MIB);
	free(rnd);
	evidence e;
	const ev_file *f = only_file(&e, p);
	ck_assert_int_eq(f->cls, EVC_UNRECOGNISED);
	ck_assert_ptr_null(ev_file_disk(f));
	evidence_free(&e);
	free(p);
	/* a dynamic VHD: a disk with its geometry */
	p = tu_join(d, "dynamic.vhd");
	vhdw_spec vs;
	memset(&vs, 0, sizeof vs);
	vs.type = 3;
	vs.size = 64u * MIB;
	ck_assert(vhdw_write(p, &vs, NULL, 0, NULL));
	f = only_file(&e, p);
	ck_assert_int_eq(f->kind, EV_DISK);
	ck_assert_ptr_nonnull(ev_file_disk(f));
	ck_assert_int_eq(ev_file_disk(f)->format, VDISK_FMT_VHD);
	ck_assert_int_eq(ev_file_disk(f)->kind, VDISK_KIND_DYNAMIC);
	ck_assert_uint_eq(ev_file_disk(f)->virtual_size, 64u * MIB);
	evidence_free(&e);
	free(p);
	tu_rmtree(d);
	free(d);
}
END_TEST

/* ---- guest state files ----------------------------------------------------------------- */

static uint8_t *vmgs_with_kp(unsigned damage, bool older, bool v3, size_t *len)
{
	size_t kl;
	uint8_t *kp = kp_bytes(&kl);
	vmgsw_value st[1] = { { .name = "KeyProtector", .kind = VMGSW_BYTES, .bytes = kp,
				 .len = kl } };
	vmgsw_value old[1] = { { .name = "SomethingElse", .kind = VMGSW_BYTES, .bytes = kp,
				  .len = kl } };
	vmgsw_device dev = { VM_DEV_VTPM, "Microsoft Virtual TPM", st, 1 };
	vmgsw_device odev = { VM_DEV_VTPM, "Microsoft Virtual TPM", old, 1 };
	vmgsw_state prev = { &odev, 1, NULL, 0, NULL };
	vmgsw_spec s;
	memset(&s, 0, sizeof s);
	s.version = v3 ? 3 : 1;
	s.current.devices = &dev;
	s.current.ndevices = 1;
	s.older = older ? &prev : NULL;
	s.damage = damage;
	uint8_t *b = vmgsw_build(&s, len);
	free(kp);
	ck_assert_ptr_nonnull(b);
	return b;
}

static void read_one(const char *path, file_facts *x)
{
	facts_init(x, path, 0);
	hv_source *s;
	ck_assert_int_eq(src_open(path, NULL, 0, &s, &x->findings), HV_OK);
	identify_opts io = { .keep = true };
	identify_read(s, path, &io, x);
	src_close(s);
}

START_TEST(guest_state_v1_current_older_and_damaged)
{
	char *d = tu_mkdtemp(), *p = tu_join(d, "gs.vmgs");
	size_t l;
	uint8_t *b = vmgs_with_kp(0, true, false, &l);
	tu_write(p, b, l);
	free(b);
	file_facts x;
	read_one(p, &x);
	ck_assert_str_eq(x.format_id, "guest_state");
	ck_assert_int_eq(x.cls, EVC_USED);
	ck_assert_ptr_nonnull(x.vmgs);
	ck_assert_int_eq(x.vmgs->version, 1);
	ck_assert_uint_eq(x.nkps, 2);
	ck_assert_int_eq(x.kps[0].kp.origin, KP_CURRENT);
	ck_assert(!x.kps[0].kp.heuristic);
	ck_assert_ptr_nonnull(strstr(x.kps[0].kp.location, "/States/KeyProtector"));
	ck_assert_int_eq(x.kps[1].kp.origin, KP_OLDER);
	ck_assert(x.kps[1].kp.heuristic);
	facts_free(&x);
	/* one header damaged: the other is used, and said so */
	b = vmgs_with_kp(VMGSW_DMG_CRC0, false, false, &l);
	tu_write(p, b, l);
	free(b);
	read_one(p, &x);
	ck_assert_int_eq(x.cls, EVC_USED);
	ck_assert_uint_eq(x.nkps, 1);
	ck_assert_uint_ge(findings_count(&x.findings, HV_SEV_WARN), 1);
	facts_free(&x);
	/* both headers damaged: damaged, exit status 4; its bytes are still searched, best
	 * effort, and the protector in its JSON text is found, heuristic, said to come
	 * from the damaged file */
	b = vmgs_with_kp(VMGSW_DMG_CRC0 | VMGSW_DMG_CRC1, false, false, &l);
	tu_write(p, b, l);
	free(b);
	read_one(p, &x);
	ck_assert_int_eq(x.cls, EVC_DAMAGED);
	ck_assert_int_eq(x.status, HV_ERR_CORRUPT);
	ck_assert_uint_eq(x.nkps, 1);
	ck_assert_int_eq(x.kps[0].rc, HV_OK);
	ck_assert(x.kps[0].kp.heuristic);
	ck_assert_int_eq(x.kps[0].kp.origin, KP_CURRENT);
	ck_assert_ptr_nonnull(strstr(x.kps[0].kp.location, "salvaged from the damaged guest state"));
	ck_assert_ptr_nonnull(strstr(x.kps[0].kp.location, "\"KeyProtector\""));
	ck_assert_ptr_nonnull(strstr(x.what, "best-effort scan"));
	bool said = false;
	for (size_t i = 0; i < x.findings.n; i++)
		said |= x.findings.v[i].sev == HV_SEV_WARN &&
			strstr(x.findings.v[i].msg, "recovered by a best-effort scan") != NULL;
	ck_assert(said);
	facts_free(&x);
	/* the current copy's JSON cut short, the older copy whole: the older copy's
	 * protector as read from the structure, not found a second time by the scan */
	b = vmgs_with_kp(VMGSW_DMG_TRUNCATE, true, false, &l);
	tu_write(p, b, l);
	free(b);
	read_one(p, &x);
	ck_assert_int_eq(x.cls, EVC_DAMAGED);
	size_t older = 0, salvaged = 0;
	for (size_t i = 0; i < x.nkps; i++) {
		older += x.kps[i].kp.origin == KP_OLDER;
		salvaged += strstr(x.kps[i].kp.location, "salvaged") != NULL;
	}
	ck_assert_uint_eq(older, 1);
	ck_assert_uint_le(salvaged, 1); /* the current copy's, when the cut left it whole */
	facts_free(&x);
	/* invalid UTF-16 in the current copy */
	b = vmgs_with_kp(VMGSW_DMG_BAD_UTF16, false, false, &l);
	tu_write(p, b, l);
	free(b);
	read_one(p, &x);
	ck_assert_int_eq(x.cls, EVC_DAMAGED);
	facts_free(&x);
	/* v3: recognised and reported, no Hyper-V key protector in it */
	b = vmgs_with_kp(0, false, true, &l);
	tu_write(p, b, l);
	free(b);
	read_one(p, &x);
	ck_assert_int_eq(x.cls, EVC_USED);
	ck_assert_int_eq(x.vmgs->version, 3);
	ck_assert_uint_eq(x.nkps, 0);
	facts_free(&x);
	free(p);
	tu_rmtree(d);
	free(d);
}
END_TEST

/*
 * A configuration naming its guest state file; the protector in that file is
 * the VM's.  A damaged guest state file still gives its protector, heuristic
 * (the verdict that relies on it says so), and stays damaged: an input error.
 */
static void guest_state_case(bool damaged)
{
	char *d = tu_mkdtemp();
	size_t cl, gl;
	kv_node *r = hvs_tree_new();
	hvs_set_str(r, "configuration/properties/name", "gs-vm");
	hvs_set_str(r, "configuration/properties/global_id", VM_ID);
	hvs_set_int(r, "configuration/properties/version", 0x0A00);
	hvs_set_bool(r, "configuration/security/settings/tpm_enabled", true);
	hvs_set_str(r, "configuration/_" VM_DEV_GUEST_STATE "_/StateFilePath",
		    "D:\\VMs\\gs-vm\\Virtual Machines\\guest.vmgs");
	hvs_set_str(r, "configuration/manifest/vdev001/device", VM_DEV_GUEST_STATE);
	hvs_set_str(r, "configuration/manifest/vdev001/instance", VM_DEV_GUEST_STATE);
	hvs_write_opts o;
	memset(&o, 0, sizeof o);
	uint8_t *cfg = hvs_write(r, &o, &cl);
	kv_free(r);
	uint8_t *gs = vmgs_with_kp(damaged ? VMGSW_DMG_CRC0 | VMGSW_DMG_CRC1 : 0, false, false, &gl);
	char *p = tu_join(d, "export/Virtual Machines/" VM_ID ".vmcx");
	tu_write(p, cfg, cl);
	free(p);
	p = tu_join(d, "export/Virtual Machines/guest.vmgs");
	tu_write(p, gs, gl);
	free(p);
	char *ev = tu_join(d, "export");
	char *paths[] = { ev };
	evidence e;
	collect(paths, 1, &e);
	ck_assert_uint_eq(e.nvms, 1);
	const ev_vm *vm = vm_with_id(&e, VM_ID);
	ck_assert_uint_eq(vm->nkps, 1);
	const ev_file *gf = &e.files[vm->kps[0].file];
	ck_assert_ptr_nonnull(strstr(gf->path, "guest.vmgs"));
	ck_assert_uint_eq(vm->nmissing, 0);
	ck_assert_str_eq(ev_class_name(gf->cls), damaged ? "damaged" : "used");
	ck_assert(gf->input_error == damaged);
	ck_assert(vm->kps[0].heuristic == damaged);
	evidence_free(&e);
	free(cfg);
	free(gs);
	free(ev);
	tu_rmtree(d);
	free(d);
}

START_TEST(guest_state_ties_its_protector_to_the_vm)
{
	guest_state_case(false);
	guest_state_case(true);
}
END_TEST

/*
 * Key protectors saved beside configurations find their VM by the GUID or
 * the name their file carries (names compared case-insensitively), else
 * make a VM of their own that a later file of the same name joins; each VM
 * keeps them in evidence order.
 */
START_TEST(loose_protectors_find_their_vm_by_guid_or_name)
{
	size_t kl, xl, ol, cl;
	uint8_t *kp = kp_bytes(&kl);
	char *xml = kp_xml_doc(true, &xl);
	uint8_t *saved = kpw_save(xml, xl, KPW_FORM_OUTFILE_UTF16_CRLF, &ol);
	uint8_t *cfg = config_bytes("Alpha", VM_ID, NULL, NULL, 0, &cl);
	char *d = tu_mkdtemp();
	/* walked in byte order: the GUID, ORPHAN, alpha, orphan, then the configuration */
	static const char *const names[] = { VM_ID ".txt", "ORPHAN.txt", "alpha.txt",
					     "orphan.txt" };
	for (size_t i = 0; i < 4; i++) {
		char *p = tu_join(d, names[i]);
		tu_write(p, saved, ol);
		free(p);
	}
	char *p = tu_join(d, "zz-config.vmcx");
	tu_write(p, cfg, cl);
	free(p);
	char *paths[] = { d };
	evidence e;
	collect(paths, 1, &e);
	ck_assert_uint_eq(e.nvms, 2);
	const ev_vm *alpha = vm_with_id(&e, VM_ID);
	ck_assert_str_eq(alpha->name, "Alpha");
	ck_assert_uint_eq(alpha->nkps, 2);
	ck_assert_ptr_nonnull(strstr(e.files[alpha->kps[0].file].path, VM_ID ".txt"));
	ck_assert_ptr_nonnull(strstr(e.files[alpha->kps[1].file].path, "alpha.txt"));
	const ev_vm *orphan = &e.vms[&e.vms[0] == alpha ? 1 : 0];
	ck_assert_str_eq(orphan->name, "ORPHAN");
	ck_assert_uint_eq(orphan->nkps, 2);
	ck_assert_ptr_nonnull(strstr(e.files[orphan->kps[0].file].path, "ORPHAN.txt"));
	ck_assert_ptr_nonnull(strstr(e.files[orphan->kps[1].file].path, "orphan.txt"));
	for (size_t i = 0; i < 2; i++)
		ck_assert_int_eq(alpha->kps[i].origin, KP_DUMP);
	evidence_free(&e);
	free(kp);
	free(xml);
	free(saved);
	free(cfg);
	tu_rmtree(d);
	free(d);
}
END_TEST

/* ---- archives ------------------------------------------------------------------------- */

static void zip_of(const char *path, const char *const *names, const uint8_t *const *data,
		   const size_t *lens, size_t n)
{
	struct archive *a = archive_write_new();
	archive_write_set_format_zip(a);
	ck_assert_int_eq(archive_write_open_filename(a, path), ARCHIVE_OK);
	for (size_t i = 0; i < n; i++) {
		struct archive_entry *ent = archive_entry_new();
		archive_entry_set_pathname(ent, names[i]);
		archive_entry_set_size(ent, (la_int64_t)lens[i]);
		archive_entry_set_filetype(ent, AE_IFREG);
		archive_entry_set_perm(ent, 0644);
		archive_write_header(a, ent);
		archive_write_data(a, data[i], lens[i]);
		archive_entry_free(ent);
	}
	archive_write_close(a);
	archive_write_free(a);
}

START_TEST(archives_are_opened_for_every_command)
{
	char *d = tu_mkdtemp(), *z = tu_join(d, "export.zip");
	size_t kl, cl, gl;
	uint8_t *kp = kp_bytes(&kl);
	uint8_t *cfg = config_bytes("zipped", VM_ID, NULL, NULL, 0, &cl);
	uint8_t *gs = vmgs_with_kp(0, false, false, &gl);
	const char *names[] = { "vm/Virtual Machines/" VM_ID ".vmcx",
				"vm/Virtual Machines/" VM_ID ".vmgs" };
	const uint8_t *data[] = { cfg, gs };
	size_t lens[] = { cl, gl };
	zip_of(z, names, data, lens, 2);
	char *paths[] = { z };
	evidence e;
	collect(paths, 1, &e);
	ck_assert_uint_eq(e.nfiles, 3);
	ck_assert_int_eq(e.files[2].kind, EV_ARCHIVE); /* after its members */
	ck_assert_str_eq(e.files[2].format_id, "archive");
	const ev_vm *vm = vm_with_id(&e, VM_ID);
	ck_assert_uint_eq(vm->nkps, 1);
	ck_assert_ptr_nonnull(strstr(e.files[vm->kps[0].file].path, "export.zip!vm/"));
	evidence_free(&e);
	/* inspect reads the same members through the same pipeline */
	tu_run_result r = tu_hvtpm("inspect", "--format", "json", z, NULL);
	ck_assert_int_eq(r.status, 0);
	ck_assert_ptr_nonnull(strstr(r.out, "export.zip!vm/Virtual Machines/" VM_ID ".vmgs"));
	ck_assert_ptr_nonnull(strstr(r.out, "\"id\": \"guest_state\""));
	ck_assert_ptr_nonnull(strstr(r.out, "\"id\": \"archive\""));
	tu_run_free(&r);
	free(kp);
	free(cfg);
	free(gs);
	free(z);
	tu_rmtree(d);
	free(d);
}
END_TEST

/* A FIFO named on the command line is an input error for every command, never a hang. */
START_TEST(a_fifo_named_directly_is_exit_4_everywhere)
{
	char *d = tu_mkdtemp(), *p = tu_join(d, "pipe.vmcx");
	ck_assert_int_eq(mkfifo(p, 0600), 0);
	static const char *const cmds[] = { "inspect", "diagnose", "audit" };
	for (size_t i = 0; i < 3; i++) {
		tu_run_result r = tu_hvtpm(cmds[i], p, NULL);
		ck_assert_msg(r.status == 4, "%s: exit %d", cmds[i], r.status);
		ck_assert_ptr_nonnull(strstr(r.err, "pipe.vmcx"));
		tu_run_free(&r);
	}
	free(p);
	tu_rmtree(d);
	free(d);
}
END_TEST

/* ---- one answer per file, whatever the command ------------------------------------------ */

#include <json-c/json.h>

/*
 * A '!' in a file's own name is a character, not an archive boundary: a
 * file named "old!hvtpm-export-manifest.json" does not claim to be an
 * export manifest (its base name is the whole name), so plain text in it
 * is not damaged evidence.
 */
START_TEST(a_bang_in_a_file_name_claims_no_format)
{
	char *dir = tu_mkdtemp();
	char *f = tu_join(dir, "old!hvtpm-export-manifest.json");
	tu_write(f, "just some notes\n", 16);
	tu_run_result r = tu_hvtpm("inspect", "--format", "json", f, NULL);
	ck_assert_msg(r.status == 0, "exit %d: %s", r.status, r.err);
	json_object *doc = json_tokener_parse(r.out);
	ck_assert_ptr_nonnull(doc);
	json_object *files = NULL, *x = NULL, *cls = NULL, *claimed = NULL;
	ck_assert(json_object_object_get_ex(doc, "files", &files));
	x = json_object_array_get_idx(files, 0);
	ck_assert(json_object_object_get_ex(x, "class", &cls));
	ck_assert_str_ne(json_object_get_string(cls), "damaged");
	ck_assert(json_object_object_get_ex(x, "claimed_format", &claimed));
	ck_assert_ptr_null(claimed);
	json_object_put(doc);
	tu_run_free(&r);
	/* the same name without the '!' part still claims the format */
	char *g = tu_join(dir, "hvtpm-export-manifest.json");
	tu_write(g, "just some notes\n", 16);
	r = tu_hvtpm("inspect", "--format", "json", g, NULL);
	ck_assert_int_eq(r.status, 4);
	tu_run_free(&r);
	free(g);
	free(f);
	tu_rmtree(dir);
	free(dir);
}
END_TEST

static json_object *run_json(const char *cmd, const char *a, const char *b)
{
	char *pw = tu_join(tu_srcdir(), "samples/passwords.txt");
	tu_run_result r = tu_hvtpm(cmd, "--format", "json", "--password-file", pw, a, b, NULL);
	free(pw);
	ck_assert_msg(r.status != 3 && r.status < 5, "%s: exit %d: %s", cmd, r.status, r.err);
	json_object *doc = json_tokener_parse(r.out);
	ck_assert_msg(doc != NULL, "%s: JSON does not parse", cmd);
	tu_run_free(&r);
	return doc;
}

/* path -> "class format" for every file of a JSON document's list. */
static size_t answers(json_object *doc, const char *list, const char *fmt_key, char ***out)
{
	json_object *a;
	ck_assert(json_object_object_get_ex(doc, list, &a));
	size_t n = json_object_array_length(a);
	*out = calloc(n + 1, sizeof **out);
	for (size_t i = 0; i < n; i++) {
		json_object *f = json_object_array_get_idx(a, i), *p, *c, *fm, *id;
		ck_assert(json_object_object_get_ex(f, "path", &p));
		ck_assert(json_object_object_get_ex(f, "class", &c));
		const char *format = "-";
		if (json_object_object_get_ex(f, "format", &fm) && fm) {
			if (json_object_is_type(fm, json_type_object) &&
			    json_object_object_get_ex(fm, fmt_key, &id))
				format = json_object_get_string(id);
			else if (json_object_is_type(fm, json_type_string))
				format = json_object_get_string(fm);
		}
		char *line = NULL;
		ck_assert_int_ge(asprintf(&line, "%s|%s|%s", json_object_get_string(p),
					  json_object_get_string(c), format), 0);
		(*out)[i] = line;
	}
	return n;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

START_TEST(inspect_diagnose_and_audit_agree_on_every_file)
{
	char *samples = tu_join(tu_srcdir(), "samples");
	char *corpus = tu_join(tu_srcdir(), "tests/corpus");
	json_object *ins = run_json("inspect", samples, corpus);
	json_object *dia = run_json("diagnose", samples, corpus);
	json_object *aud = run_json("audit", samples, corpus);
	char **a, **b, **c;
	size_t na = answers(ins, "files", "id", &a);
	size_t nb = answers(dia, "evidence", "id", &b);
	size_t nc = answers(aud, "evidence", "id", &c);
	ck_assert_uint_gt(na, 30);
	ck_assert_uint_eq(na, nb);
	ck_assert_uint_eq(na, nc);
	qsort(a, na, sizeof *a, cmp_str);
	qsort(b, nb, sizeof *b, cmp_str);
	qsort(c, nc, sizeof *c, cmp_str);
	for (size_t i = 0; i < na; i++) {
		ck_assert_str_eq(a[i], b[i]);
		ck_assert_str_eq(a[i], c[i]);
		free(a[i]);
		free(b[i]);
		free(c[i]);
	}
	free(a);
	free(b);
	free(c);
	json_object_put(ins);
	json_object_put(dia);
	json_object_put(aud);
	free(samples);
	free(corpus);
}
END_TEST

/* The same bytes whatever the number of threads reading the files. */
START_TEST(output_does_not_depend_on_threads)
{
	char *samples = tu_join(tu_srcdir(), "samples");
	char *corpus = tu_join(tu_srcdir(), "tests/corpus");
	char *pw = tu_join(tu_srcdir(), "samples/passwords.txt");
	static const char *const cmds[][3] = {
		{ "audit", "json", NULL }, { "audit", "jsonl", NULL }, { "audit", "csv", NULL },
		{ "audit", "text", NULL }, { "diagnose", "json", NULL }, { "inspect", "json", NULL },
	};
	for (size_t c = 0; c < sizeof cmds / sizeof *cmds; c++) {
		char *out[2];
		static char *const env0[] = { "HVTPM_THREADS=0", "SOURCE_DATE_EPOCH=1790000000", NULL };
		static char *const env4[] = { "HVTPM_THREADS=4", "SOURCE_DATE_EPOCH=1790000000", NULL };
		char *const *envs[2] = { env0, env4 };
		for (int k = 0; k < 2; k++) {
			char *argv[] = { (char *)tu_bin(), (char *)cmds[c][0], "--format",
					 (char *)cmds[c][1], "--at", "2026-06-01", "--password-file", pw,
					 samples, corpus, NULL };
			tu_run_result r = tu_run(argv, envs[k], NULL);
			ck_assert_msg(r.status < 5 && r.status != 3, "%s: exit %d", cmds[c][0], r.status);
			out[k] = r.out;
			r.out = NULL;
			tu_run_free(&r);
		}
		ck_assert_msg(strcmp(out[0], out[1]) == 0, "%s --format %s differs with threads",
			      cmds[c][0], cmds[c][1]);
		free(out[0]);
		free(out[1]);
	}
	free(samples);
	free(corpus);
	free(pw);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("collect");
	TCase *tc = tcase_create("pipeline");
	tcase_add_unchecked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 240);
	tcase_add_test(tc, every_input_ends_in_one_class);
	tcase_add_test(tc, no_vm_is_not_all_fine);
	tcase_add_test(tc, key_protectors_under_any_name);
	tcase_add_test(tc, a_failed_signature_is_a_reason);
	tcase_add_test(tc, past_64_mib_repositories_and_documents_are_found_and_hashed);
	tcase_add_test(tc, a_4_gib_sparse_file_in_bounded_memory);
	tcase_add_test(tc, disks_by_signature_whatever_their_size);
	tcase_add_test(tc, guest_state_v1_current_older_and_damaged);
	tcase_add_test(tc, guest_state_ties_its_protector_to_the_vm);
	tcase_add_test(tc, loose_protectors_find_their_vm_by_guid_or_name);
	tcase_add_test(tc, archives_are_opened_for_every_command);
	tcase_add_test(tc, a_fifo_named_directly_is_exit_4_everywhere);
	tcase_add_test(tc, inspect_diagnose_and_audit_agree_on_every_file);
	tcase_add_test(tc, output_does_not_depend_on_threads);
	tcase_add_test(tc, a_bang_in_a_file_name_claims_no_format);
	suite_add_tcase(s, tc);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
