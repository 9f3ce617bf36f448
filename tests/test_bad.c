/*
 * test_bad.c - hvtpm inspect on crafted malformed inputs: never a crash, a
 * hang or an unbounded allocation; the documented exit status; one error
 * line naming the file; the expected error class.
 *
 * tests/bad/ holds the committed inputs (written by tests/tools/mkbad.c,
 * listed in tests/bad/EXPECTED).  Disks too large to commit (a VHDX with a
 * metadata region is at least 3 MiB; inspect takes VHD and raw images as
 * disks only over 64 MiB) are built here at run time, sparse, and damaged
 * the same way.
 *
 * Each run of hvtpm is limited to BAD_TIMEOUT_S seconds of wall time and
 * its peak resident size is read from wait4(): it must stay under
 * BAD_RSS_CAP_KB for inputs of at most 256 KiB (committed) or a few MiB of
 * metadata (run time), whatever they claim (sizes near 2^32 or 2^64,
 * 10,000 wrappings, entity expansion).
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <json-c/json.h>

#include "support/fve_writer.h"
#include "support/testutil.h"
#include "support/vhdx_writer.h"
#include "util/bytes.h"
#include "util/crc.h"

#define BAD_TIMEOUT_S 30
#define BAD_RSS_CAP_KB (384L * 1024) /* ASan builds included */
#define BAD_MIN_CASES 100
#define BAD_PASSWORD "mkbad-throwaway"  /* the PFX password mkbad uses */
#define MIB (1024u * 1024u)
#define DISK_SIZE (65u * MIB)          /* over inspect's 64 MiB whole-file cap */

typedef struct {
	int status;       /* exit code, or 128 + signal */
	bool timed_out;
	long maxrss_kb;
	char *out, *err;
} bad_run;

static void bad_run_free(bad_run *r)
{
	free(r->out);
	free(r->err);
}

static char *slurp(const char *path)
{
	size_t n;
	uint8_t *b = tu_read(path, &n);
	ck_assert_ptr_nonnull(b);
	char *s = realloc(b, n + 1);
	ck_assert_ptr_nonnull(s);
	s[n] = '\0';
	return s;
}

static void sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };
	nanosleep(&ts, NULL);
}

/* Runs hvtpm with argv (argv[0] ignored) under a wall-clock timeout. */
static bad_run run_hvtpm(const char *tmp, char *argv[])
{
	bad_run r = { 0 };
	char *outp = tu_join(tmp, "run.out"), *errp = tu_join(tmp, "run.err");
	argv[0] = (char *)tu_bin();
	pid_t pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		int in = open("/dev/null", O_RDONLY);
		int out = open(outp, O_WRONLY | O_CREAT | O_TRUNC, 0600);
		int err = open(errp, O_WRONLY | O_CREAT | O_TRUNC, 0600);
		if (in < 0 || out < 0 || err < 0 || dup2(in, 0) < 0 || dup2(out, 1) < 0 ||
		    dup2(err, 2) < 0)
			_exit(126);
		/* An ASan build keeps freed blocks in a 256 MiB quarantine: that is not hvtpm's. */
		const char *asan = getenv("ASAN_OPTIONS");
		char opts[1024];
		snprintf(opts, sizeof opts, "%s%squarantine_size_mb=16", asan ? asan : "",
			 asan && *asan ? ":" : "");
		setenv("ASAN_OPTIONS", opts, 1);
		execv(argv[0], argv);
		_exit(127);
	}
	struct rusage ru;
	int st = 0;
	for (long waited = 0;; waited += 10) {
		pid_t w = wait4(pid, &st, WNOHANG, &ru);
		ck_assert_int_ge(w, 0);
		if (w == pid)
			break;
		if (waited >= BAD_TIMEOUT_S * 1000L && !r.timed_out) {
			r.timed_out = true;
			kill(pid, SIGKILL);
		}
		sleep_ms(10);
	}
	r.status = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
	r.maxrss_kb = ru.ru_maxrss;
	r.out = slurp(outp);
	r.err = slurp(errp);
	free(outp);
	free(errp);
	return r;
}

/*
 * True when some stderr line is "hvtpm[ CMD]: error: <path>..." (inspect
 * names itself, audit's findings read "hvtpm: error: archive!member: ...").
 */
static bool has_error_line(const char *err, const char *path)
{
	static const char *const who[] = { "hvtpm", "hvtpm inspect", "hvtpm audit" };
	for (const char *l = err; *l;) {
		for (size_t i = 0; i < sizeof who / sizeof *who; i++) {
			size_t k = strlen(who[i]);
			if (strncmp(l, who[i], k) == 0 && strncmp(l + k, ": error: ", 9) == 0 &&
			    strncmp(l + k + 9, path, strlen(path)) == 0)
				return true;
		}
		const char *nl = strchr(l, '\n');
		if (!nl)
			break;
		l = nl + 1;
	}
	return false;
}

/* Every stderr line is one of hvtpm's own (no library chatter, no stray text). */
static void assert_own_lines(const char *err, const char *name)
{
	for (const char *l = err; *l;) {
		const char *nl = strchr(l, '\n');
		ck_assert_msg(nl != NULL, "%s: stderr does not end in a newline", name);
		ck_assert_msg(strncmp(l, "hvtpm: ", 7) == 0 ||
			      strncmp(l, "hvtpm inspect: ", 15) == 0 ||
			      strncmp(l, "hvtpm audit: ", 13) == 0,
			      "%s: stray stderr line: %.*s", name, (int)(nl - l), l);
		l = nl + 1;
	}
}

typedef struct {
	const char *name;    /* for messages */
	const char *path;
	const char *cmd;     /* "inspect" or "audit" */
	int code;
	const char *cls;     /* "-" or the expected error class */
} bad_case;

/* The error class in the JSON output: inspect's files[0].status, or any audit status. */
static bool json_has_class(json_object *doc, const char *cmd, const char *out, const char *cls)
{
	if (strcmp(cmd, "inspect") != 0) {
		char q[128];
		snprintf(q, sizeof q, "\"%s\"", cls);
		return strstr(out, q) != NULL;
	}
	json_object *files, *e;
	if (!json_object_object_get_ex(doc, "files", &files) ||
	    json_object_array_length(files) != 1)
		return false;
	json_object *f0 = json_object_array_get_idx(files, 0);
	return json_object_object_get_ex(f0, "status", &e) &&
	       strcmp(json_object_get_string(e), cls) == 0;
}

/* Runs the command twice (text, JSON) on one input and checks everything. */
static void check_case(const char *tmp, const char *pwfile, const bad_case *c)
{
	char *text_argv[] = { NULL, (char *)c->cmd, "--password-file", (char *)pwfile,
			      (char *)c->path, NULL };
	char *json_argv[] = { NULL, (char *)c->cmd, "--password-file", (char *)pwfile, "--format",
			      "json", (char *)c->path, NULL };
	bad_run t = run_hvtpm(tmp, text_argv);
	bad_run j = run_hvtpm(tmp, json_argv);
	const bad_run *both[2] = { &t, &j };

	for (int i = 0; i < 2; i++) {
		const bad_run *r = both[i];
		const char *mode = i ? "json" : "text";
		ck_assert_msg(!r->timed_out, "%s (%s): no answer within %d s", c->name, mode,
			      BAD_TIMEOUT_S);
		ck_assert_msg(r->status < 128, "%s (%s): killed by signal %d", c->name, mode,
			      r->status - 128);
		ck_assert_msg(r->status == c->code, "%s (%s): exit %d, expected %d; stderr: %s",
			      c->name, mode, r->status, c->code, r->err);
		ck_assert_msg(r->maxrss_kb < BAD_RSS_CAP_KB, "%s (%s): peak RSS %ld KiB over %ld",
			      c->name, mode, r->maxrss_kb, BAD_RSS_CAP_KB);
		assert_own_lines(r->err, c->name);
		if (c->code == 4)
			ck_assert_msg(has_error_line(r->err, c->path),
				      "%s (%s): no error line naming the file; stderr: %s", c->name,
				      mode, r->err);
		else
			ck_assert_msg(!has_error_line(r->err, c->path),
				      "%s (%s): unexpected error line: %s", c->name, mode, r->err);
	}
	json_object *doc = json_tokener_parse(j.out);
	ck_assert_msg(doc != NULL, "%s: JSON output does not parse", c->name);
	if (strcmp(c->cls, "-") != 0)
		ck_assert_msg(json_has_class(doc, c->cmd, j.out, c->cls) || strstr(t.err, c->cls),
			      "%s: error class '%s' named neither in the JSON nor on stderr: %s",
			      c->name, c->cls, t.err);
	json_object_put(doc);
	bad_run_free(&t);
	bad_run_free(&j);
}

static char *password_file(const char *tmp)
{
	char *p = tu_join(tmp, "passwords.txt");
	tu_write(p, BAD_PASSWORD "\n", strlen(BAD_PASSWORD) + 1);
	return p;
}

/* ---- the committed inputs -------------------------------------------------------------- */

START_TEST(committed_inputs)
{
	char *dir = tu_join(tu_srcdir(), "tests/bad");
	char *list = tu_join(dir, "EXPECTED");
	char *tmp = tu_mkdtemp();
	char *pw = password_file(tmp);
	FILE *f = fopen(list, "r");
	ck_assert_msg(f != NULL, "%s: %s", list, strerror(errno));
	char line[1024];
	size_t n = 0, errors = 0;
	while (fgets(line, sizeof line, f)) {
		if (line[0] == '#' || line[0] == '\n')
			continue;
		line[strcspn(line, "\n")] = '\0';
		char *save = NULL;
		char *name = strtok_r(line, "\t", &save);
		char *cmd = strtok_r(NULL, "\t", &save);
		char *code = strtok_r(NULL, "\t", &save);
		char *cls = strtok_r(NULL, "\t", &save);
		char *desc = strtok_r(NULL, "\t", &save);
		ck_assert_msg(name && cmd && code && cls && desc, "malformed EXPECTED line %zu",
			      n + 1);
		ck_assert_msg(strcmp(cmd, "inspect") == 0 || strcmp(cmd, "audit") == 0,
			      "%s: unknown command %s", name, cmd);
		char *path = tu_join(dir, name);
		struct stat st;
		ck_assert_msg(stat(path, &st) == 0, "%s listed but missing", name);
		ck_assert_msg(st.st_size < 256 * 1024, "%s is not under 256 KiB", name);
		bad_case c = { name, path, cmd, atoi(code), cls };
		check_case(tmp, pw, &c);
		errors += c.code == 4;
		n++;
		free(path);
	}
	fclose(f);
	ck_assert_msg(errors >= BAD_MIN_CASES, "only %zu inputs with exit status 4", errors);
	/* Archive members named ../../../../tmp/... or /etc/... were never extracted. */
	ck_assert_int_ne(access("/tmp/hvtpm-escaped.txt", F_OK), 0);
	ck_assert_int_ne(access("/etc/hvtpm-absolute.txt", F_OK), 0);
	/* Every file in tests/bad is listed (no untested leftovers). */
	ck_assert_int_eq(tu_sh("test $(ls '%s' | grep -v '^EXPECTED$' | wc -l) -eq %zu", dir, n),
			 0);
	tu_rmtree(tmp);
	free(pw);
	free(tmp);
	free(list);
	free(dir);
}
END_TEST

/* ---- disks built at run time ------------------------------------------------------------ */

#define VHDX_RT1 0x30000u
#define VHDX_RT2 0x40000u
#define VHDX_RT_SIZE 0x10000u
#define VHDX_META_TABLE_ENTRIES 32u
#define GPT_BASIC_DATA "EBD0A0A2-B9E5-4433-87C0-68B6B72699C7"
#define FVE_BS_OFFSETS 176 /* boot sector: u64 offsets of the metadata copies */

static const uint8_t guid_bat[16] = { 0x66, 0x77, 0xC2, 0x2D, 0x23, 0xF6, 0x00, 0x42,
				      0x9D, 0x64, 0x11, 0x5E, 0x9B, 0xFD, 0x4A, 0x08 };
static const uint8_t guid_meta[16] = { 0x06, 0xA2, 0x7C, 0x8B, 0x90, 0x47, 0x9A, 0x4B,
				       0xB8, 0xFE, 0x57, 0x5F, 0x05, 0x0F, 0x88, 0x6E };
static const uint8_t guid_file_params[16] = { 0x37, 0x67, 0xA1, 0xCA, 0x36, 0xFA, 0x43, 0x4D,
					      0xB3, 0xB6, 0x33, 0xF0, 0xAA, 0x44, 0xE7, 0x6B };

/* A 64 MiB dynamic VHDX holding a GPT disk with one partition. */
static uint8_t *vhdx_file(const char *path, size_t *len)
{
	vhdxw_spec s = { 0 };
	s.virtual_size = 64ull * MIB;
	uint8_t *img = calloc(1, 64 * MIB);
	ck_assert_ptr_nonnull(img);
	gptw_part p = { 2048, 6143, GPT_BASIC_DATA, "data" };
	ck_assert(gptw_build(img, 64 * MIB, 512, &p, 1));
	ck_assert(vhdxw_write(path, &s, img, 64 * MIB, NULL));
	free(img);
	uint8_t *b = tu_read(path, len);
	ck_assert_ptr_nonnull(b);
	return b;
}

/* File offset of the region with this GUID in region table 1. */
static uint64_t vhdx_region(const uint8_t *b, const uint8_t guid[16])
{
	uint32_t n = ld32le(b + VHDX_RT1 + 8);
	for (uint32_t i = 0; i < n && i < 16; i++) {
		const uint8_t *e = b + VHDX_RT1 + 16 + 32 * i;
		if (memcmp(e, guid, 16) == 0)
			return ld64le(e + 16);
	}
	ck_abort_msg("region not found");
	return 0;
}

static void reseal_rt(uint8_t *b, size_t off)
{
	st32le(b + off + 4, 0);
	st32le(b + off + 4, hv_crc32c(b + off, VHDX_RT_SIZE));
}

/* ---- VHD, big-endian, one's-complement byte-sum checksums ---- */

#define VHD_FIXED 2u
#define VHD_DYNAMIC 3u
#define VHD_DYN_HDR 512u      /* dynamic header right after the footer copy */
#define VHD_BAT 1536u
#define VHD_BLOCK (2u * MIB)

static void st64be(uint8_t *p, uint64_t v)
{
	st32be(p, (uint32_t)(v >> 32));
	st32be(p + 4, (uint32_t)v);
}

static uint32_t vhd_sum(const uint8_t *p, size_t n, size_t field)
{
	uint32_t sum = 0;
	for (size_t i = 0; i < n; i++)
		if (i < field || i >= field + 4)
			sum += p[i];
	return ~sum;
}

static void vhd_seal(uint8_t *ft)
{
	st32be(ft + 64, vhd_sum(ft, 512, 64));
}

static void vhd_seal_dyn(uint8_t *dh)
{
	st32be(dh + 36, vhd_sum(dh, 1024, 36));
}

static void vhd_footer(uint8_t *ft, uint32_t type, uint64_t size, uint64_t data_off)
{
	memset(ft, 0, 512);
	memcpy(ft, "conectix", 8);
	st32be(ft + 8, 2);
	st32be(ft + 12, 0x00010000);
	st64be(ft + 16, data_off);
	memcpy(ft + 28, "test", 4);
	memcpy(ft + 36, "Wi2k", 4);
	st64be(ft + 40, size);
	st64be(ft + 48, size);
	st32be(ft + 60, type);
	memset(ft + 68, 0x5A, 16);
	vhd_seal(ft);
}

/* A dynamic VHD of 64 MiB virtual, no block allocated, in len bytes (footer at the end). */
static void vhd_dynamic(uint8_t *img, size_t len)
{
	uint32_t entries = 64 * MIB / VHD_BLOCK;
	memset(img, 0, VHD_BAT + 4 * entries);
	vhd_footer(img, VHD_DYNAMIC, 64ull * MIB, VHD_DYN_HDR);
	uint8_t *dh = img + VHD_DYN_HDR;
	memcpy(dh, "cxsparse", 8);
	st64be(dh + 8, UINT64_MAX);
	st64be(dh + 16, VHD_BAT);
	st32be(dh + 24, 0x00010000);
	st32be(dh + 28, entries);
	st32be(dh + 32, VHD_BLOCK);
	vhd_seal_dyn(dh);
	memset(img + VHD_BAT, 0xFF, 4 * entries);
	memcpy(img + len - 512, img, 512);
}

typedef struct {
	char *path;
	int code;
	const char *cls;
	const char *what;
} disk_case;

static void run_disk(const char *tmp, const char *pw, const disk_case *d)
{
	bad_case c = { d->what, d->path, "inspect", d->code, d->cls };
	check_case(tmp, pw, &c);
}

static char *put_file(const char *dir, const char *name, const uint8_t *b, size_t n)
{
	char *p = tu_join(dir, name);
	tu_write(p, b, n);
	return p;
}

static char *put_sparse(const char *dir, const char *name, const uint8_t *b, size_t n)
{
	char *p = tu_join(dir, name);
	ck_assert(tw_write_sparse(p, b, n));
	return p;
}

/* A raw disk of DISK_SIZE bytes with a GPT and one basic-data partition at 1 MiB. */
static uint8_t *raw_gpt_disk(void)
{
	uint8_t *img = calloc(1, DISK_SIZE);
	ck_assert_ptr_nonnull(img);
	gptw_part p = { 2048, 2048 + 8192 - 1, GPT_BASIC_DATA, "data" };
	ck_assert(gptw_build(img, DISK_SIZE, 512, &p, 1));
	return img;
}

START_TEST(disks_built_at_run_time)
{
	char *tmp = tu_mkdtemp();
	char *pw = password_file(tmp);
	char *base = tu_join(tmp, "base.vhdx");
	size_t n;
	uint8_t *orig = vhdx_file(base, &n);
	uint8_t *b = malloc(n);
	ck_assert_ptr_nonnull(b);
	disk_case cases[32];
	size_t nc = 0;

	/* The undamaged disk reads cleanly: the cases below fail for their damage only. */
	cases[nc++] = (disk_case){ base, 0, "-", "control: undamaged VHDX" };

	memcpy(b, orig, n);
	b[VHDX_RT1 + 100] ^= 1;
	b[VHDX_RT2 + 100] ^= 1;
	cases[nc++] = (disk_case){ put_file(tmp, "rt-both-bad.vhdx", b, n), 4, "corrupt",
				   "VHDX with both region tables failing their CRC" };

	memcpy(b, orig, n);
	for (size_t rt = VHDX_RT1; rt <= VHDX_RT2; rt += VHDX_RT_SIZE) {
		st32le(b + rt + 8, 0xFFFFFFFFu);
		reseal_rt(b, rt);
	}
	cases[nc++] = (disk_case){ put_file(tmp, "rt-count-4g.vhdx", b, n), 4, "corrupt",
				   "VHDX region tables claiming 0xFFFFFFFF entries (CRCs valid)" };

	memcpy(b, orig, n);
	for (size_t rt = VHDX_RT1; rt <= VHDX_RT2; rt += VHDX_RT_SIZE) {
		for (uint32_t i = 0; i < ld32le(b + rt + 8); i++)
			if (memcmp(b + rt + 16 + 32 * i, guid_bat, 16) == 0)
				st64le(b + rt + 16 + 32 * i + 16, 1ull << 40);
		reseal_rt(b, rt);
	}
	cases[nc++] = (disk_case){ put_file(tmp, "bat-region-past-eof.vhdx", b, n), 4, "corrupt",
				   "VHDX whose BAT region lies 1 TiB into the file" };

	memcpy(b, orig, n);
	uint64_t meta = vhdx_region(b, guid_meta);
	for (uint32_t i = 0; i < VHDX_META_TABLE_ENTRIES; i++) {
		uint8_t *e = b + meta + 32 + 32 * i;
		if (memcmp(e, guid_file_params, 16) == 0)
			st32le(b + meta + ld32le(e + 16), 3 * MIB);
	}
	cases[nc++] = (disk_case){ put_file(tmp, "block-3mib.vhdx", b, n), 4, "-",
				   "VHDX block size 3 MiB (not a power of two)" };

	memcpy(b, orig, n);
	uint64_t bat = vhdx_region(b, guid_bat);
	st64le(b + bat, 6ull | (0x100000ull << 20)); /* block 0 fully present at 1 TiB */
	cases[nc++] = (disk_case){ put_file(tmp, "bat-past-eof.vhdx", b, n), 4, "-",
				   "VHDX whose BAT entry 0 points 1 TiB past the end" };

	memcpy(b, orig, n);
	st64le(b + bat, 6ull | (0xFFFFFFFFFFFull << 20));
	cases[nc++] = (disk_case){ put_file(tmp, "bat-offset-max.vhdx", b, n), 4, "-",
				   "VHDX whose BAT entry 0 holds the largest FileOffsetMB" };

	memcpy(b, orig, n);
	/* Region table 1 names an unknown region marked required (table 2 the same). */
	for (size_t rt = VHDX_RT1; rt <= VHDX_RT2; rt += VHDX_RT_SIZE) {
		uint32_t cnt = ld32le(b + rt + 8);
		uint8_t *e = b + rt + 16 + 32 * cnt;
		memset(e, 0xAB, 16);
		st64le(e + 16, 0x100000);
		st32le(e + 24, 0x100000);
		st32le(e + 28, 1);
		st32le(b + rt + 8, cnt + 1);
		reseal_rt(b, rt);
	}
	cases[nc++] = (disk_case){ put_file(tmp, "unknown-required-region.vhdx", b, n), 4,
				   "unsupported", "VHDX with an unknown required region" };
	free(b);
	free(orig);

	/* Raw disks over 64 MiB (sparse). */
	uint8_t *img = raw_gpt_disk();
	cases[nc++] = (disk_case){ put_sparse(tmp, "gpt.img", img, DISK_SIZE), 0, "-",
				   "control: raw disk with a GPT" };
	img[512 + 16] ^= 0xFF;                    /* primary header CRC */
	img[DISK_SIZE - 512 + 16] ^= 0xFF;        /* backup header CRC */
	cases[nc++] = (disk_case){ put_sparse(tmp, "gpt-both-bad.img", img, DISK_SIZE), 4, "-",
				   "raw disk whose primary and backup GPT headers fail their CRC" };
	free(img);

	img = raw_gpt_disk();
	fvew_spec fs;
	fvew_default(&fs);
	fvew_add(&fs, 0x0800, 1);
	fvew_add(&fs, 0x0100, 2);
	ck_assert(fvew_build(&fs, img + MIB, 8192 * 512));
	cases[nc++] = (disk_case){ put_sparse(tmp, "fve.img", img, DISK_SIZE), 0, "-",
				   "control: BitLocker volume" };
	for (int i = 0; i < 3; i++)
		img[MIB + ld64le(img + MIB + FVE_BS_OFFSETS + 8 * i)] ^= 0xFF; /* "-FVE-FS-" */
	cases[nc++] = (disk_case){ put_sparse(tmp, "fve-all-bad-signature.img", img, DISK_SIZE), 4,
				   "-",
				   "BitLocker volume whose three FVE metadata copies lost their "
					"signature" };
	free(img);

	img = raw_gpt_disk();
	fvew_default(&fs);
	fvew_add(&fs, 0x0800, 1);
	fs.bad_crc_mask = 7;
	ck_assert(fvew_build(&fs, img + MIB, 8192 * 512));
	cases[nc++] = (disk_case){ put_sparse(tmp, "fve-all-bad-crc.img", img, DISK_SIZE), 0, "-",
				   "BitLocker volume whose three FVE metadata copies fail their "
				   "CRC32: copy 1 read best effort (warnings)" };
	free(img);

	img = raw_gpt_disk();
	fvew_default(&fs);
	fvew_add(&fs, 0x0800, 1);
	ck_assert(fvew_build(&fs, img + MIB, 8192 * 512));
	for (int i = 0; i < 3; i++)   /* boot sector: the three metadata offsets */
		st64le(img + MIB + FVE_BS_OFFSETS + 8 * i, 0xFFFFFFFFF000ull - 0x1000ull * i);
	cases[nc++] = (disk_case){ put_sparse(tmp, "fve-offsets-past-end.img", img, DISK_SIZE),
				   4, "-",
				   "BitLocker boot sector naming metadata far past the volume" };
	free(img);

	/* A fixed VHD: raw data, then its footer. */
	img = calloc(1, DISK_SIZE + 512);
	ck_assert_ptr_nonnull(img);
	uint8_t *ft = img + DISK_SIZE;
	vhd_footer(ft, VHD_FIXED, DISK_SIZE, UINT64_MAX);
	cases[nc++] = (disk_case){ put_sparse(tmp, "fixed.vhd", img, DISK_SIZE + 512), 0, "-",
				   "control: fixed VHD" };
	ft[64] ^= 0x55;
	cases[nc++] = (disk_case){ put_sparse(tmp, "fixed-bad-checksum.vhd", img,
					      DISK_SIZE + 512), 0, "-",
				   "fixed VHD whose footer checksum is wrong: used best effort "
				   "(warning)" };
	st32be(ft + 60, 7);
	vhd_seal(ft);
	cases[nc++] = (disk_case){ put_sparse(tmp, "fixed-type-7.vhd", img, DISK_SIZE + 512), 4,
				   "unsupported", "VHD footer with disk type 7" };
	st32be(ft + 60, VHD_FIXED);
	st64be(ft + 48, 1ull << 62);
	vhd_seal(ft);
	cases[nc++] = (disk_case){ put_sparse(tmp, "fixed-size-2e62.vhd", img, DISK_SIZE + 512),
				   4, "corrupt", "VHD footer whose current size is 2^62" };
	free(img);

	/* A dynamic VHD: footer copy, dynamic header, BAT, padding, footer. */
	img = calloc(1, DISK_SIZE + 512);
	ck_assert_ptr_nonnull(img);
	vhd_dynamic(img, DISK_SIZE + 512);
	cases[nc++] = (disk_case){ put_sparse(tmp, "dynamic.vhd", img, DISK_SIZE + 512), 0, "-",
				   "control: dynamic VHD" };
	uint8_t *dh = img + 512;
	st32be(dh + 32, 3 * MIB);
	vhd_seal_dyn(dh);
	cases[nc++] = (disk_case){ put_sparse(tmp, "dynamic-block-3mib.vhd", img,
					      DISK_SIZE + 512), 4, "corrupt",
				   "dynamic VHD with a 3 MiB block size (not a power of two)" };
	vhd_dynamic(img, DISK_SIZE + 512);
	st32be(dh + 28, 0xFFFFFFFFu);
	vhd_seal_dyn(dh);
	cases[nc++] = (disk_case){ put_sparse(tmp, "dynamic-bat-4g.vhd", img, DISK_SIZE + 512), 4,
				   "corrupt", "dynamic VHD whose BAT claims 0xFFFFFFFF entries" };
	vhd_dynamic(img, DISK_SIZE + 512);
	st64be(dh + 16, 1ull << 50);
	vhd_seal_dyn(dh);
	cases[nc++] = (disk_case){ put_sparse(tmp, "dynamic-bat-past-eof.vhd", img,
					      DISK_SIZE + 512), 4, "corrupt",
				   "dynamic VHD whose BAT lies 1 PiB into the file" };
	vhd_dynamic(img, DISK_SIZE + 512);
	memset(dh, 0, 8);
	cases[nc++] = (disk_case){ put_sparse(tmp, "dynamic-no-cxsparse.vhd", img,
					      DISK_SIZE + 512), 4, "corrupt",
				   "dynamic VHD whose footers point at no \"cxsparse\" header" };
	free(img);

	for (size_t i = 0; i < nc; i++)
		run_disk(tmp, pw, &cases[i]);
	for (size_t i = 0; i < nc; i++)
		if (cases[i].path != base)
			free(cases[i].path);
	free(base);
	tu_rmtree(tmp);
	free(pw);
	free(tmp);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("bad");
	TCase *tc = tcase_create("malformed");
	tcase_set_timeout(tc, 1800);
	tcase_add_test(tc, committed_inputs);
	tcase_add_test(tc, disks_built_at_run_time);
	suite_add_tcase(s, tc);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
