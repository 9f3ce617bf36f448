/*
 * test_integrity.c - hvtpm never changes evidence.
 *
 * An evidence tree is built in a temporary directory: a copy of samples/,
 * a few malformed inputs from tests/bad/, a FIFO, and two symbolic links
 * that point outside the tree (one at a VM configuration whose name is a
 * marker, one at a FIFO nobody writes to).  Before and after every
 * command, every entry of the tree is recorded without following links:
 * type, size, mode, mtime and ctime to the nanosecond, SHA-256 of the
 * bytes (link target for links), and the list of directory entries.  The
 * two records must be identical: no byte, size or time changed, nothing
 * created, renamed or removed.  The commands must finish (a FIFO opened for
 * reading would block them), and the marker must be absent from every
 * output of a walk of the tree: a link found inside it was not followed
 * (a link named on the command line is, as find -H does).  Under strace (when installed) every
 * open of the tree is read-only and evidence files are opened O_NOFOLLOW.
 */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "support/testutil.h"
#include "util/fileio.h"
#include "util/strbuf.h"

#define MARKER_VM "OUTSIDE-TREE-MARKER-VM-7f3a"
#define MAX_ENTRIES 4096

/* ---- tree snapshots ---------------------------------------------------------------------- */

static char *entries[MAX_ENTRIES];
static size_t nentries;
static size_t root_len;

static char *hash_file(const char *path)
{
	size_t n;
	uint8_t *b = tu_read(path, &n);
	ck_assert_msg(b != NULL, "cannot read %s", path);
	uint8_t dig[32];
	char *hex = malloc(65);
	ck_assert_ptr_nonnull(hex);
	hv_sha256(b, n, dig);
	hv_sha256_hex(dig, hex);
	free(b);
	return hex;
}

static int record(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)flag;
	(void)ftw;
	strbuf sb = STRBUF_INIT;
	sb_addf(&sb, "%s mode=%o size=%lld mtime=%lld.%09ld ctime=%lld.%09ld", path + root_len,
		(unsigned)st->st_mode, (long long)st->st_size, (long long)st->st_mtim.tv_sec,
		st->st_mtim.tv_nsec, (long long)st->st_ctim.tv_sec, st->st_ctim.tv_nsec);
	if (S_ISREG(st->st_mode)) {
		char *h = hash_file(path);
		sb_addf(&sb, " sha256=%s", h);
		free(h);
	} else if (S_ISLNK(st->st_mode)) {
		char t[4096];
		ssize_t n = readlink(path, t, sizeof t - 1);
		ck_assert_int_ge(n, 0);
		t[n] = '\0';
		sb_addf(&sb, " -> %s", t);
	}
	ck_assert_int_lt(nentries, MAX_ENTRIES);
	entries[nentries++] = sb_detach(&sb);
	return 0;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Every entry of the tree, one sorted line each, as one string. */
static char *snapshot(const char *root)
{
	nentries = 0;
	root_len = strlen(root);
	ck_assert_int_eq(nftw(root, record, 32, FTW_PHYS), 0);
	qsort(entries, nentries, sizeof *entries, cmp_str);
	strbuf sb = STRBUF_INIT;
	for (size_t i = 0; i < nentries; i++) {
		sb_addf(&sb, "%s\n", entries[i]);
		free(entries[i]);
	}
	return sb_detach(&sb);
}

/* First differing line of two snapshots, for the failure message. */
static void assert_same(const char *before, const char *after, const char *what)
{
	if (strcmp(before, after) == 0)
		return;
	const char *a = before, *b = after;
	while (*a && *a == *b) {
		a++;
		b++;
	}
	while (a > before && a[-1] != '\n') {
		a--;
		b--;
	}
	ck_abort_msg("%s changed the evidence:\n before: %.*s\n after:  %.*s", what,
		     (int)strcspn(a, "\n"), a, (int)strcspn(b, "\n"), b);
}

/* ---- the evidence tree ------------------------------------------------------------------- */

typedef struct {
	char *tmp;       /* everything lives here */
	char *tree;      /* the evidence */
	char *outside;   /* targets of the links, plan files */
	char *pw;        /* samples/passwords.txt inside the tree */
} fixture;

static const char *const bad_inputs[] = {
	"hvs-both-headers-bad-crc.vmcx", "hvs-trunc-in-keytable1.vmcx", "xml-xxe-system.xml",
	"xml-billion-laughs.xml", "kp-trunc-half.xml", "kp-10000-wrappings.xml",
	"pfx-mac-corrupted.pfx", "cert-trunc-half.cer", "vhdx-both-headers-bad-crc.vhdx",
	"vmgs-embedded-repo-corrupt.vmgs",
};

static void fixture_make(fixture *fx)
{
	fx->tmp = tu_mkdtemp();
	fx->tree = tu_join(fx->tmp, "evidence");
	fx->outside = tu_join(fx->tmp, "outside");
	ck_assert_int_eq(tu_sh("cp -R '%s/samples' '%s' && mkdir -p '%s' '%s/malformed'",
			       tu_srcdir(), fx->tree, fx->outside, fx->tree), 0);
	for (size_t i = 0; i < sizeof bad_inputs / sizeof *bad_inputs; i++)
		ck_assert_int_eq(tu_sh("cp '%s/tests/bad/%s' '%s/malformed/'", tu_srcdir(),
				       bad_inputs[i], fx->tree), 0);
	/* A configuration outside the tree whose VM name would show if it were read. */
	char *cfg = tu_join(fx->outside, "config.xml");
	const char *xml = "<?xml version=\"1.0\"?>\n<configuration><properties>"
			  "<name type=\"string\">" MARKER_VM "</name>"
			  "<global_id type=\"string\">0D15EA5E-0000-4000-8000-00000000F00D"
			  "</global_id></properties></configuration>\n";
	tu_write(cfg, xml, strlen(xml));
	char *fifo = tu_join(fx->outside, "fifo");
	ck_assert_int_eq(mkfifo(fifo, 0600), 0);
	char *l1 = tu_join(fx->tree, "restorable/app01/link-to-outside.xml");
	char *l2 = tu_join(fx->tree, "restorable/link-to-fifo.vmcx");
	char *infifo = tu_join(fx->tree, "malformed/fifo-in-tree.vmgs");
	ck_assert_int_eq(symlink(cfg, l1), 0);
	ck_assert_int_eq(symlink(fifo, l2), 0);
	ck_assert_int_eq(mkfifo(infifo, 0600), 0);
	fx->pw = tu_join(fx->tree, "passwords.txt");
	free(cfg);
	free(fifo);
	free(l1);
	free(l2);
	free(infifo);
}

static void fixture_free(fixture *fx)
{
	tu_rmtree(fx->tmp);
	free(fx->tmp);
	free(fx->tree);
	free(fx->outside);
	free(fx->pw);
}

/* Runs one command over the tree and checks the tree and the outputs. */
static void run_and_check(const fixture *fx, char *const argv[], const char *what)
{
	char *before = snapshot(fx->tree);
	tu_run_result r = tu_run(argv, NULL, NULL);
	char *after = snapshot(fx->tree);
	ck_assert_msg(r.status < 128, "%s: killed (status %d): blocked on a FIFO?", what,
		      r.status);
	ck_assert_msg(r.status != 5 && r.status != 3, "%s: exit %d; stderr: %.400s", what,
		      r.status, r.err);
	ck_assert_msg(r.outlen > 0, "%s: no output", what);
	ck_assert_msg(strstr(r.out, MARKER_VM) == NULL && strstr(r.err, MARKER_VM) == NULL,
		      "%s followed a symbolic link out of the tree", what);
	assert_same(before, after, what);
	free(before);
	free(after);
	tu_run_free(&r);
}

START_TEST(snapshot_sees_changes)
{
	/* The snapshot itself must notice what this test is about. */
	fixture fx;
	fixture_make(&fx);
	char *a = snapshot(fx.tree);
	char *f = tu_join(fx.tree, "malformed/kp-trunc-half.xml");
	struct stat st;
	ck_assert_int_eq(stat(f, &st), 0);
	struct timespec ts[2] = { st.st_atim, st.st_mtim };
	ts[1].tv_nsec = (ts[1].tv_nsec + 1) % 1000000000L;
	ck_assert_int_eq(utimensat(AT_FDCWD, f, ts, 0), 0);   /* mtime only */
	char *b = snapshot(fx.tree);
	ck_assert_str_ne(a, b);
	char *n = tu_join(fx.tree, "restorable/new-file");
	tu_write(n, "x", 1);
	char *c = snapshot(fx.tree);
	ck_assert_str_ne(b, c);
	free(a);
	free(b);
	free(c);
	free(f);
	free(n);
	fixture_free(&fx);
}
END_TEST

START_TEST(diagnose_and_inspect_leave_evidence_untouched)
{
	fixture fx;
	fixture_make(&fx);
	char *bin = (char *)tu_bin();
	char *plan = tu_join(fx.outside, "plan.ps1");
	{
		char *a[] = { bin, "diagnose", "--password-file", fx.pw, fx.tree, NULL };
		run_and_check(&fx, a, "diagnose");
	}
	{
		char *a[] = { bin, "diagnose", "--format", "json", "--password-file", fx.pw,
			      "--try-default-passwords", fx.tree, NULL };
		run_and_check(&fx, a, "diagnose --format json");
	}
	{
		char *a[] = { bin, "diagnose", "--plan", "powershell", "--plan-out", plan, "--vm",
			      "app01", "--password-file", fx.pw, fx.tree, NULL };
		char *before = snapshot(fx.tree);
		tu_run_result r = tu_run(a, NULL, NULL);
		char *after = snapshot(fx.tree);
		ck_assert_msg(r.status <= 4 && r.status != 3, "diagnose --plan-out: exit %d: %s",
			      r.status, r.err);
		assert_same(before, after, "diagnose --plan-out");
		size_t n;
		uint8_t *p = tu_read(plan, &n);
		ck_assert_msg(p != NULL && n > 0, "no plan written outside the tree");
		free(p);
		free(before);
		free(after);
		tu_run_free(&r);
	}
	{
		char *a[] = { bin, "inspect", "--password-file", fx.pw, fx.tree, NULL };
		run_and_check(&fx, a, "inspect");
	}
	{
		char *a[] = { bin, "inspect", "--format", "json", "--tree", "--password-file",
			      fx.pw, fx.tree, NULL };
		run_and_check(&fx, a, "inspect --format json --tree");
	}
	{
		/* A link named directly on the command line is followed (as find -H does):
		 * what it points at is read, read-only; one to a FIFO is never opened. */
		char *l1 = tu_join(fx.tree, "restorable/app01/link-to-outside.xml");
		char *l2 = tu_join(fx.tree, "restorable/link-to-fifo.vmcx");
		char *a[] = { bin, "inspect", l1, l2, NULL };
		char *before = snapshot(fx.tree);
		char *outside_before = snapshot(fx.outside);
		tu_run_result r = tu_run(a, NULL, NULL);
		ck_assert_msg(r.status < 128, "inspect LINK: killed (blocked on a FIFO?)");
		ck_assert_int_eq(r.status, 4); /* the FIFO: unreadable */
		ck_assert_ptr_nonnull(strstr(r.out, MARKER_VM));
		ck_assert_ptr_nonnull(strstr(r.out, "a FIFO: not read"));
		char *after = snapshot(fx.tree);
		char *outside_after = snapshot(fx.outside);
		assert_same(before, after, "inspect LINK");
		assert_same(outside_before, outside_after, "inspect LINK (its target)");
		free(before);
		free(after);
		free(outside_before);
		free(outside_after);
		free(l1);
		free(l2);
		tu_run_free(&r);
	}
	free(plan);
	fixture_free(&fx);
}
END_TEST

START_TEST(audit_leaves_evidence_untouched)
{
	tu_run_result h = tu_hvtpm("audit", "--help", NULL);
	int help = h.status;
	tu_run_free(&h);
	if (help != 0)
		TEST_SKIP("hvtpm audit is not available in this build (--help exits %d)", help);
	fixture fx;
	fixture_make(&fx);
	char *bin = (char *)tu_bin();
	static const char *const formats[] = { "text", "json", "csv", "jsonl" };
	for (size_t i = 0; i < sizeof formats / sizeof *formats; i++) {
		char what[64];
		snprintf(what, sizeof what, "audit --format %s", formats[i]);
		char *a[] = { bin, "audit", "--format", (char *)formats[i], "--password-file",
			      fx.pw, fx.tree, NULL };
		run_and_check(&fx, a, what);
	}
	char *a[] = { bin, "audit", "--format", "csv", "--table", "certs", "--password-file", fx.pw,
		      fx.tree, NULL };
	run_and_check(&fx, a, "audit --format csv --table certs");
	fixture_free(&fx);
}
END_TEST

/*
 * Under strace: every file-name system call hvtpm makes on the tree is a
 * read-only open (no write, create, truncate or append flag), evidence
 * files are opened with O_NOFOLLOW, and nothing is created, renamed,
 * removed, linked, truncated or has its mode, owner, times or extended
 * attributes changed.  The password file (not evidence) is exempt from the
 * O_NOFOLLOW rule only.
 */
static const char *const writing_calls[] = {
	"creat", "mkdir", "mkdirat", "mknod", "mknodat", "unlink", "unlinkat", "rmdir",
	"rename", "renameat", "renameat2", "link", "linkat", "symlink", "symlinkat",
	"truncate", "chmod", "fchmodat", "chown", "lchown", "fchownat", "utime", "utimes",
	"futimesat", "utimensat", "setxattr", "lsetxattr", "removexattr", "lremovexattr",
};

static void check_syscall_line(const char *line, const char *tree, const char *pw,
			       const char *what)
{
	char quoted[4200];
	snprintf(quoted, sizeof quoted, "\"%s", tree);
	if (!strstr(line, quoted))
		return;
	const char *p = line;
	while (*p >= '0' && *p <= '9')
		p++;
	while (*p == ' ')
		p++;
	size_t nl = strcspn(p, "(");
	char call[32];
	snprintf(call, sizeof call, "%.*s", (int)(nl < 31 ? nl : 31), p);
	for (size_t i = 0; i < sizeof writing_calls / sizeof *writing_calls; i++)
		ck_assert_msg(strcmp(call, writing_calls[i]) != 0, "%s: %s", what, line);
	if (strcmp(call, "open") != 0 && strcmp(call, "openat") != 0 &&
	    strcmp(call, "openat2") != 0)
		return;
	ck_assert_msg(strstr(line, "O_RDONLY") != NULL, "%s opens for writing: %s", what, line);
	static const char *const bad[] = { "O_WRONLY", "O_RDWR", "O_CREAT", "O_TRUNC",
					   "O_APPEND", "O_TMPFILE" };
	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
		ck_assert_msg(strstr(line, bad[i]) == NULL, "%s: %s", what, line);
	char pwq[4200];
	snprintf(pwq, sizeof pwq, "\"%s\"", pw);
	if (!strstr(line, "O_DIRECTORY") && !strstr(line, pwq))
		ck_assert_msg(strstr(line, "O_NOFOLLOW") != NULL,
			      "%s opens evidence without O_NOFOLLOW: %s", what, line);
}

START_TEST(every_open_is_read_only)
{
	if (!tu_have("strace"))
		TEST_SKIP("strace is not installed");
	fixture fx;
	fixture_make(&fx);
	char *log = tu_join(fx.tmp, "strace.log");
	char *bin = (char *)tu_bin();
	tu_run_result h = tu_hvtpm("audit", "--help", NULL);
	bool audit = h.status == 0;
	tu_run_free(&h);
	static const char *const cmds[] = { "diagnose", "inspect", "audit" };
	for (size_t i = 0; i < sizeof cmds / sizeof *cmds; i++) {
		if (strcmp(cmds[i], "audit") == 0 && !audit)
			continue;
		char *a[] = { "strace", "-f", "-qq", "-e", "trace=%file", "-o", log, bin,
			      (char *)cmds[i], "--password-file", fx.pw, fx.tree, NULL };
		tu_run_result r = tu_run(a, NULL, NULL);
		ck_assert_msg(r.status < 128 && r.status != 5, "%s under strace: exit %d: %.300s",
			      cmds[i], r.status, r.err);
		tu_run_free(&r);
		FILE *f = fopen(log, "r");
		ck_assert_ptr_nonnull(f);
		char line[8192];
		size_t n = 0;
		while (fgets(line, sizeof line, f)) {
			check_syscall_line(line, fx.tree, fx.pw, cmds[i]);
			n++;
		}
		fclose(f);
		ck_assert_msg(n > 20, "%s: strace saw only %zu calls", cmds[i], n);
		ck_assert_int_eq(unlink(log), 0);
	}
	free(log);
	fixture_free(&fx);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("integrity");
	TCase *tc = tcase_create("evidence");
	tcase_set_timeout(tc, 900);
	tcase_add_test(tc, snapshot_sees_changes);
	tcase_add_test(tc, diagnose_and_inspect_leave_evidence_untouched);
	tcase_add_test(tc, audit_leaves_evidence_untouched);
	tcase_add_test(tc, every_open_is_read_only);
	suite_add_tcase(s, tc);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
