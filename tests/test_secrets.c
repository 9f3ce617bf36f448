/*
 * test_secrets.c - a PFX password never leaves hvtpm.
 *
 * Every command that takes passwords (inspect, diagnose, audit) is run with
 * a distinctive password from each source (--password-file,
 * HVTPM_PFX_PASSWORD, --ask-password on a pseudo-terminal) over evidence
 * where it opens some PFX files and fails on others: a copy of samples/
 * whose PFX files are re-protected with the password (restorable VMs, so
 * plans import certificates), a PFX protected by another password, one
 * whose MAC is damaged, a DPAPI-NG-like export and a truncated one.  Every
 * output format is used, plans are printed and written with --plan-out,
 * and each command runs in its own working directory.  Afterwards the
 * password -- as UTF-8, UTF-16LE, UTF-16BE and hex -- must appear in no
 * captured stdout or stderr, in nothing the pseudo-terminal showed (the
 * prompt does not echo), and in no file anywhere under the test's
 * directory except the password file itself.
 *
 * Core dumps: while hvtpm waits at the --ask-password prompt with the
 * secrets arena allocated, /proc/PID/limits must show a core size limit
 * of 0 although it was started with the soft limit raised to the hard one.
 * --ask-password without a terminal fails cleanly (usage error, one line).
 */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include <openssl/pem.h>
#include <openssl/pkcs12.h>
#include <openssl/x509.h>

#include "support/certgen.h"
#include "support/pfx_fixtures.h"
#include "support/testutil.h"
#include "util/strbuf.h"

#define SECRET "Zq7#secret-hvtpm-LEAKCHECK-9f2c"
#define OTHER_PASSWORD "not-the-secret-either"
#define SAMPLE_PASSWORD "Sample-Only-Export-2026" /* samples/passwords.txt */
#define PTY_TIMEOUT_MS 30000
#define PROMPT "PFX password: "

/* ---- the evidence ------------------------------------------------------------------------ */

typedef struct {
	char *tmp;
	char *ev;       /* evidence tree */
	char *pwfile;   /* a wrong candidate, then SECRET */
	char *work;     /* parent of the per-run working directories */
	unsigned runs;
} fixture;

static PKCS12 *read_p12(const char *path)
{
	FILE *f = fopen(path, "rb");
	ck_assert_ptr_nonnull(f);
	PKCS12 *p = d2i_PKCS12_fp(f, NULL);
	fclose(f);
	ck_assert_ptr_nonnull(p);
	return p;
}

static void write_p12(PKCS12 *p, const char *path)
{
	FILE *f = fopen(path, "wb");
	ck_assert_ptr_nonnull(f);
	ck_assert_int_eq(i2d_PKCS12_fp(f, p), 1);
	ck_assert_int_eq(fclose(f), 0);
}

/* Re-protects one samples/ PFX (SAMPLE_PASSWORD) with SECRET. */
static int reprotect(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)ftw;
	size_t n = strlen(path);
	if (flag != FTW_F || n < 4 || strcmp(path + n - 4, ".pfx") != 0)
		return 0;
	PKCS12 *p = read_p12(path);
	EVP_PKEY *key = NULL;
	X509 *cert = NULL;
	STACK_OF(X509) *ca = NULL;
	if (PKCS12_parse(p, SAMPLE_PASSWORD, &key, &cert, &ca) == 1) {
		PKCS12 *q = PKCS12_create(SECRET, "hvtpm secrets test", key, cert, ca, 0, 0, 0, 0,
					  0);
		ck_assert_ptr_nonnull(q);
		write_p12(q, path);
		PKCS12_free(q);
	}
	EVP_PKEY_free(key);
	X509_free(cert);
	sk_X509_pop_free(ca, X509_free);
	PKCS12_free(p);
	return 0;
}

static void write_pem_pair(const char *dir, X509 *c, EVP_PKEY *k, char **cert_pem,
			   char **key_pem)
{
	*cert_pem = tu_join(dir, "fx-cert.pem");
	*key_pem = tu_join(dir, "fx-key.pem");
	FILE *f = fopen(*cert_pem, "w");
	ck_assert(f && PEM_write_X509(f, c) == 1 && fclose(f) == 0);
	f = fopen(*key_pem, "w");
	ck_assert(f && PEM_write_PrivateKey(f, k, NULL, NULL, 0, NULL, NULL) == 1 &&
		  fclose(f) == 0);
}

static void extra_pfx(const fixture *fx)
{
	EVP_PKEY *k = NULL;
	X509 *c = certgen_self_signed("Shielded VM Encryption Certificate (Secrets) (SECRETHOST)",
				      time(NULL) - 86400, time(NULL) + 86400 * 365, &k);
	char *dir = tu_join(fx->ev, "extra");
	ck_assert_int_eq(mkdir(dir, 0755), 0);
	char *p;

	PKCS12 *q = PKCS12_create(OTHER_PASSWORD, "other", k, c, NULL, 0, 0, 0, 0, 0);
	write_p12(q, p = tu_join(dir, "other-password.pfx"));
	PKCS12_free(q);
	free(p);

	q = PKCS12_create(SECRET, "secret", k, c, NULL, 0, 0, 0, 0, 0);
	write_p12(q, p = tu_join(dir, "mac-damaged.pfx"));
	PKCS12_free(q);
	size_t n;
	uint8_t *b = tu_read(p, &n);
	ck_assert_ptr_nonnull(b);
	b[n - 30] ^= 0x01; /* inside the MAC digest */
	tu_write(p, b, n);
	free(p);
	tu_write(p = tu_join(dir, "truncated.pfx"), b, n / 2);
	free(p);
	free(b);

	char *cert_pem, *key_pem;
	write_pem_pair(fx->tmp, c, k, &cert_pem, &key_pem);
	ck_assert(pfxfx_dpapi_ng(cert_pem, key_pem, p = tu_join(dir, "dpapi-ng.pfx")));
	free(p);
	free(cert_pem);
	free(key_pem);
	X509_free(c);
	EVP_PKEY_free(k);
	free(dir);
}

static void fixture_make(fixture *fx)
{
	memset(fx, 0, sizeof *fx);
	fx->tmp = tu_mkdtemp();
	fx->ev = tu_join(fx->tmp, "evidence");
	fx->work = tu_join(fx->tmp, "work");
	ck_assert_int_eq(tu_sh("cp -R '%s/samples' '%s' && rm -f '%s/passwords.txt' && "
			       "mkdir '%s'", tu_srcdir(), fx->ev, fx->ev, fx->work), 0);
	ck_assert_int_eq(nftw(fx->ev, reprotect, 16, FTW_PHYS), 0);
	extra_pfx(fx);
	fx->pwfile = tu_join(fx->tmp, "passwords.txt");
	const char *pw = OTHER_PASSWORD "-wrong\n" SECRET "\n";
	tu_write(fx->pwfile, pw, strlen(pw));
}

static void fixture_free(fixture *fx)
{
	tu_rmtree(fx->tmp);
	free(fx->tmp);
	free(fx->ev);
	free(fx->work);
	free(fx->pwfile);
}

/* ---- leak checks ------------------------------------------------------------------------- */

typedef struct {
	uint8_t b[4][256];
	size_t n[4];
} secret_forms;

static secret_forms forms;

static void forms_init(void)
{
	static const char hex[] = "0123456789abcdef";
	size_t l = strlen(SECRET);
	memcpy(forms.b[0], SECRET, l);
	forms.n[0] = l;
	for (size_t i = 0; i < l; i++) {
		forms.b[1][2 * i] = (uint8_t)SECRET[i];      /* UTF-16LE */
		forms.b[1][2 * i + 1] = 0;
		forms.b[2][2 * i] = 0;                       /* UTF-16BE */
		forms.b[2][2 * i + 1] = (uint8_t)SECRET[i];
		forms.b[3][2 * i] = (uint8_t)hex[(uint8_t)SECRET[i] >> 4];
		forms.b[3][2 * i + 1] = (uint8_t)hex[SECRET[i] & 15];
	}
	forms.n[1] = forms.n[2] = forms.n[3] = 2 * l;
}

/* Which form of the secret p holds, or -1. */
static int leaked(const void *p, size_t n)
{
	for (int i = 0; i < 4; i++)
		if (memmem(p, n, forms.b[i], forms.n[i]) != NULL)
			return i;
	return -1;
}

static void assert_clean(const char *what, const char *where, const void *p, size_t n)
{
	static const char *const names[] = { "UTF-8", "UTF-16LE", "UTF-16BE", "hex" };
	int k = leaked(p, n);
	ck_assert_msg(k < 0, "%s: the password appears (%s) in %s", what, names[k < 0 ? 0 : k],
		      where);
}

static const char *scan_skip;
static size_t scanned;

static int scan_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)ftw;
	if (flag != FTW_F || !S_ISREG(st->st_mode) || strcmp(path, scan_skip) == 0)
		return 0;
	size_t n;
	uint8_t *b = tu_read(path, &n);
	ck_assert_ptr_nonnull(b);
	assert_clean("a file written or kept", path, b, n);
	free(b);
	scanned++;
	return 0;
}

/* Every file under the test directory, except the password file. */
static void scan_tree(const fixture *fx)
{
	scan_skip = fx->pwfile;
	scanned = 0;
	ck_assert_int_eq(nftw(fx->tmp, scan_one, 16, FTW_PHYS), 0);
	ck_assert_uint_gt(scanned, 20);
}

/* ---- running ----------------------------------------------------------------------------- */

/* A fresh working directory for one run (stray files land there and are scanned). */
static char *workdir(fixture *fx)
{
	char name[32];
	snprintf(name, sizeof name, "run%03u", fx->runs++);
	char *d = tu_join(fx->work, name);
	ck_assert_int_eq(mkdir(d, 0755), 0);
	return d;
}

#define MAX_ARGS 24

/* Runs hvtpm ARGS... in a fresh working directory; checks outputs; returns the status. */
static int run(fixture *fx, char *const env[], const char *what, const char *const args[])
{
	char *wd = workdir(fx);
	char *argv[MAX_ARGS + 6] = { "/bin/sh", "-c", "cd \"$0\" && exec \"$@\"", wd,
				     (char *)tu_bin() };
	size_t k = 5;
	for (size_t i = 0; args[i]; i++) {
		ck_assert_uint_lt(k, MAX_ARGS + 5);
		argv[k++] = (char *)args[i];
	}
	argv[k] = NULL;
	tu_run_result r = tu_run(argv, env, NULL);
	ck_assert_msg(r.status < 128, "%s: killed by signal %d", what, r.status - 128);
	ck_assert_msg(r.status != 5, "%s: internal error: %.300s", what, r.err);
	ck_assert_msg(r.outlen + r.errlen > 0, "%s: no output at all", what);
	assert_clean(what, "stdout", r.out, r.outlen);
	assert_clean(what, "stderr", r.err, r.errlen);
	int st = r.status;
	tu_run_free(&r);
	free(wd);
	return st;
}

static bool have_audit(void)
{
	tu_run_result h = tu_hvtpm("audit", "--help", NULL);
	bool ok = h.status == 0;
	tu_run_free(&h);
	return ok;
}

START_TEST(no_password_in_any_output_or_file)
{
	fixture fx;
	fixture_make(&fx);
	forms_init();
	char *plan = tu_join(fx.tmp, "plan.ps1");
	char *single = tu_join(fx.ev, "extra/other-password.pfx");
	char *damaged = tu_join(fx.ev, "extra/mac-damaged.pfx");
	char *dpapi = tu_join(fx.ev, "extra/dpapi-ng.pfx");
	char *env[] = { "HVTPM_PFX_PASSWORD=" SECRET, NULL };
	const char *pf = fx.pwfile, *ev = fx.ev;

	/* The password does open the re-protected samples: success paths are exercised. */
	const char *ok_json[] = { "diagnose", "--format", "json", "--password-file", pf, ev,
				  NULL };
	{
		char *argv[] = { (char *)tu_bin(), "diagnose", "--format", "json",
				 "--password-file", (char *)pf, (char *)ev, NULL };
		tu_run_result r = tu_run(argv, NULL, NULL);
		ck_assert_msg(strstr(r.out, "\"restorable\"") != NULL,
			      "the password opens nothing: no restorable VM");
		tu_run_free(&r);
	}
	run(&fx, NULL, "diagnose json, password file", ok_json);

	const char *const *cases[] = {
		(const char *[]){ "inspect", "--password-file", pf, ev, NULL },
		(const char *[]){ "inspect", "--format", "json", "--password-file", pf, ev, NULL },
		(const char *[]){ "inspect", "--tree", "--password-file", pf, ev, NULL },
		(const char *[]){ "inspect", "--password-file", pf, single, NULL },
		(const char *[]){ "inspect", "--format", "json", "--password-file", pf, damaged,
				  NULL },
		(const char *[]){ "inspect", "--password-file", pf, "--try-default-passwords",
				  dpapi, NULL },
		(const char *[]){ "diagnose", "--password-file", pf, ev, NULL },
		(const char *[]){ "diagnose", "--password-file", pf, "--plan", "powershell", "--vm",
				  "app01", ev, NULL },
		(const char *[]){ "diagnose", "--password-file", pf, "--plan", "powershell", "--vm",
				  "dc02", ev, NULL },
		(const char *[]){ "diagnose", "--password-file", pf, "--plan-out", plan, "--vm",
				  "app01", ev, NULL },
		(const char *[]){ "diagnose", "--password-file", pf, "--format", "json", single,
				  damaged, dpapi, NULL },
	};
	for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
		char what[64];
		snprintf(what, sizeof what, "%s case %zu (password file)", cases[i][0], i);
		run(&fx, NULL, what, cases[i]);
		/* The same from the environment: the file argument dropped. */
		const char *args[MAX_ARGS];
		size_t k = 0;
		for (size_t j = 0; cases[i][j]; j++) {
			if (strcmp(cases[i][j], "--password-file") == 0) {
				j++;
				continue;
			}
			if (strcmp(cases[i][j], plan) == 0)
				continue; /* --plan-out refuses an existing file */
			if (strcmp(cases[i][j], "--plan-out") == 0)
				continue;
			args[k++] = cases[i][j];
		}
		args[k] = NULL;
		snprintf(what, sizeof what, "%s case %zu (environment)", cases[i][0], i);
		run(&fx, env, what, args);
	}
	size_t n;
	uint8_t *p = tu_read(plan, &n);
	ck_assert_msg(p != NULL && strstr((char *)p, "Import-PfxCertificate") != NULL,
		      "the written plan imports no certificate");
	free(p);

	if (have_audit()) {
		static const char *const fmts[][2] = { { "text", NULL }, { "json", NULL },
						       { "csv", "vms" }, { "csv", "certs" },
						       { "jsonl", NULL } };
		for (size_t i = 0; i < sizeof fmts / sizeof *fmts; i++) {
			const char *a[] = { "audit", "--format", fmts[i][0], "--password-file", pf,
					    ev, NULL, NULL, NULL };
			if (fmts[i][1]) {
				a[5] = "--table";
				a[6] = fmts[i][1];
				a[7] = ev;
			}
			char what[64];
			snprintf(what, sizeof what, "audit --format %s", fmts[i][0]);
			run(&fx, NULL, what, a);
			run(&fx, env, what,
			    (const char *[]){ "audit", "--format", fmts[i][0], ev, NULL });
		}
	} else {
		printf("note: hvtpm audit is not available in this build; audit not covered\n");
	}
	scan_tree(&fx);
	free(plan);
	free(single);
	free(damaged);
	free(dpapi);
	fixture_free(&fx);
}
END_TEST

/* ---- --ask-password on a pseudo-terminal ------------------------------------------------- */

typedef struct {
	pid_t pid;
	int master;
	char *transcript;   /* everything the terminal showed */
	size_t tlen;
	int status;
	char *out, *err;    /* stdout and stderr (files, not the terminal) */
} pty_run;

/* Reads from the master until want appears in the transcript (or EOF, or timeout). */
static bool pty_read_until(pty_run *p, const char *want)
{
	for (int waited = 0; waited < PTY_TIMEOUT_MS;) {
		if (want && p->transcript && memmem(p->transcript, p->tlen, want, strlen(want)))
			return true;
		struct pollfd pf = { p->master, POLLIN, 0 };
		int r = poll(&pf, 1, 100);
		waited += 100;
		if (r <= 0)
			continue;
		char buf[512];
		ssize_t n = read(p->master, buf, sizeof buf);
		if (n <= 0)
			return want == NULL; /* EIO: the slave side is closed */
		char *t = realloc(p->transcript, p->tlen + (size_t)n + 1);
		ck_assert_ptr_nonnull(t);
		memcpy(t + p->tlen, buf, (size_t)n);
		p->tlen += (size_t)n;
		t[p->tlen] = '\0';
		p->transcript = t;
	}
	return false;
}

/* Starts hvtpm with a pty as controlling terminal; stdout/stderr go to files in dir. */
static pty_run pty_start(const char *dir, char *const argv[])
{
	pty_run p = { 0 };
	p.master = posix_openpt(O_RDWR | O_NOCTTY);
	ck_assert_int_ge(p.master, 0);
	ck_assert_int_eq(grantpt(p.master), 0);
	ck_assert_int_eq(unlockpt(p.master), 0);
	char *slave = strdup(ptsname(p.master));
	char *outp = tu_join(dir, "pty.out"), *errp = tu_join(dir, "pty.err");
	p.pid = fork();
	ck_assert_int_ge(p.pid, 0);
	if (p.pid == 0) {
		struct rlimit rl;
		setsid();
		int s = open(slave, O_RDWR); /* first terminal of the session: controlling */
		int in = open("/dev/null", O_RDONLY);
		int o = open(outp, O_WRONLY | O_CREAT | O_TRUNC, 0600);
		int e = open(errp, O_WRONLY | O_CREAT | O_TRUNC, 0600);
		if (s < 0 || in < 0 || o < 0 || e < 0 || dup2(in, 0) < 0 || dup2(o, 1) < 0 ||
		    dup2(e, 2) < 0)
			_exit(126);
		(void)ioctl(s, TIOCSCTTY, 0);
		if (chdir(dir) != 0)
			_exit(126);
		/* Allow core dumps as far as the hard limit: hvtpm must lower it itself. */
		if (getrlimit(RLIMIT_CORE, &rl) == 0) {
			rl.rlim_cur = rl.rlim_max;
			(void)setrlimit(RLIMIT_CORE, &rl);
		}
		execv(argv[0], argv);
		_exit(127);
	}
	free(slave);
	free(outp);
	free(errp);
	return p;
}

static void pty_finish(pty_run *p, const char *dir)
{
	(void)pty_read_until(p, NULL);
	int st;
	ck_assert_int_eq(waitpid(p->pid, &st, 0), p->pid);
	p->status = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
	close(p->master);
	char *outp = tu_join(dir, "pty.out"), *errp = tu_join(dir, "pty.err");
	size_t n;
	p->out = (char *)tu_read(outp, &n);
	p->err = (char *)tu_read(errp, &n);
	ck_assert(p->out && p->err);
	free(outp);
	free(errp);
}

static void pty_free(pty_run *p)
{
	free(p->transcript);
	free(p->out);
	free(p->err);
}

/* The soft core-size limit of a running process, from /proc/PID/limits. */
static long long core_limit(pid_t pid)
{
	char path[64], line[256];
	snprintf(path, sizeof path, "/proc/%d/limits", (int)pid);
	FILE *f = fopen(path, "r");
	ck_assert_msg(f != NULL, "%s: %s", path, strerror(errno));
	long long soft = -2;
	while (fgets(line, sizeof line, f)) {
		if (strncmp(line, "Max core file size", 18) != 0)
			continue;
		char s[32];
		ck_assert_int_eq(sscanf(line + 18, "%31s", s), 1);
		soft = strcmp(s, "unlimited") == 0 ? -1 : atoll(s);
	}
	fclose(f);
	return soft;
}

static void ask_password_run(fixture *fx, const char *const args[], bool check_core)
{
	char *wd = workdir(fx);
	char *argv[MAX_ARGS + 3] = { (char *)tu_bin(), (char *)args[0], "--ask-password" };
	size_t k = 3;
	for (size_t i = 1; args[i]; i++)
		argv[k++] = (char *)args[i];
	argv[k] = NULL;
	pty_run p = pty_start(wd, argv);
	ck_assert_msg(pty_read_until(&p, PROMPT), "%s: no prompt on the terminal; got: %s",
		      args[0], p.transcript ? p.transcript : "(nothing)");
	if (check_core)
		ck_assert_int_eq(core_limit(p.pid), 0);
	ck_assert_int_eq(write(p.master, SECRET "\n", strlen(SECRET) + 1),
			 (ssize_t)strlen(SECRET) + 1);
	pty_finish(&p, wd);
	ck_assert_msg(p.status < 128 && p.status != 5 && p.status != 3,
		      "%s --ask-password: exit %d: %s", args[0], p.status, p.err);
	assert_clean(args[0], "the terminal (echo)", p.transcript, p.tlen);
	assert_clean(args[0], "stdout", p.out, strlen(p.out));
	assert_clean(args[0], "stderr", p.err, strlen(p.err));
	if (strcmp(args[0], "diagnose") == 0)
		ck_assert_msg(strstr(p.out, "restorable") != NULL,
			      "the prompted password was not used: %s", p.out);
	pty_free(&p);
	free(wd);
}

START_TEST(ask_password_on_a_terminal)
{
	fixture fx;
	fixture_make(&fx);
	forms_init();
	ask_password_run(&fx, (const char *[]){ "inspect", fx.ev, NULL }, false);
	ask_password_run(&fx, (const char *[]){ "diagnose", "--format", "json", fx.ev, NULL },
			 false);
	ask_password_run(&fx, (const char *[]){ "diagnose", "--plan", "powershell", "--vm",
						"app01", fx.ev, NULL },
			 false);
	if (have_audit())
		ask_password_run(&fx, (const char *[]){ "audit", "--format", "jsonl", fx.ev, NULL },
				 false);
	scan_tree(&fx);
	fixture_free(&fx);
}
END_TEST

START_TEST(core_dumps_disabled_while_prompting)
{
	struct rlimit rl;
	ck_assert_int_eq(getrlimit(RLIMIT_CORE, &rl), 0);
	if (rl.rlim_max == 0)
		TEST_SKIP("the hard core-size limit is 0 here: hvtpm's own limit cannot be told "
			  "apart");
	fixture fx;
	fixture_make(&fx);
	forms_init();
	ask_password_run(&fx, (const char *[]){ "inspect", fx.ev, NULL }, true);
	fixture_free(&fx);
}
END_TEST

/* Whether the terminal behind master echoes, read on its slave side. */
static bool pty_echoes(int slave)
{
	struct termios t;
	ck_assert_int_eq(tcgetattr(slave, &t), 0);
	return (t.c_lflag & ECHO) != 0;
}

START_TEST(signal_at_the_prompt_restores_echo)
{
	/* Ctrl-C (and the other signals that end a program) at --ask-password used to
	 * leave the terminal with echo off. */
	static const int sigs[] = { SIGINT, SIGTERM, SIGHUP, SIGQUIT };
	char *dir = tu_mkdtemp(), *s = tu_join(tu_srcdir(), "samples");
	char *argv[] = { (char *)tu_bin(), "inspect", "--ask-password", s, NULL };

	for (size_t i = 0; i < sizeof sigs / sizeof *sigs; i++) {
		pty_run p = pty_start(dir, argv);
		int slave = open(ptsname(p.master), O_RDWR | O_NOCTTY);
		ck_assert_int_ge(slave, 0);
		ck_assert(pty_echoes(slave));
		ck_assert_msg(pty_read_until(&p, PROMPT), "no prompt; got: %s",
			      p.transcript ? p.transcript : "(nothing)");
		ck_assert_msg(!pty_echoes(slave), "echo is on at the prompt");
		ck_assert_int_eq(kill(p.pid, sigs[i]), 0);
		int st;
		ck_assert_int_eq(waitpid(p.pid, &st, 0), p.pid);
		ck_assert_msg(WIFSIGNALED(st) && WTERMSIG(st) == sigs[i],
			      "signal %d: status 0x%x, not killed by the signal", sigs[i], st);
		ck_assert_msg(pty_echoes(slave), "signal %d left the terminal without echo",
			      sigs[i]);
		close(slave);
		close(p.master);
		pty_free(&p);
	}
	tu_rmtree(dir);
	free(dir);
	free(s);
}
END_TEST

START_TEST(ask_password_without_a_terminal_fails_cleanly)
{
	static const char *const cmds[] = { "inspect", "diagnose", "audit" };
	char *s = tu_join(tu_srcdir(), "samples");
	for (size_t i = 0; i < sizeof cmds / sizeof *cmds; i++) {
		if (strcmp(cmds[i], "audit") == 0 && !have_audit())
			continue;
		/* setsid: a new session without a controlling terminal, so /dev/tty is absent. */
		char *argv[] = { "setsid", "-w", (char *)tu_bin(), (char *)cmds[i],
				 "--ask-password", s, NULL };
		tu_run_result r = tu_run(argv, NULL, NULL);
		ck_assert_msg(r.status == 3, "%s --ask-password without a terminal: exit %d",
			      cmds[i], r.status);
		ck_assert_msg(strstr(r.err, "terminal") != NULL, "%s: %s", cmds[i], r.err);
		ck_assert_msg(strchr(r.err, '\n') == r.err + r.errlen - 1,
			      "%s: not a one-line error: %s", cmds[i], r.err);
		ck_assert_uint_eq(r.outlen, 0);
		tu_run_free(&r);
	}
	free(s);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("secrets");
	TCase *tc = tcase_create("passwords");
	tcase_set_timeout(tc, 1800);
	tcase_add_test(tc, no_password_in_any_output_or_file);
	tcase_add_test(tc, ask_password_on_a_terminal);
	tcase_add_test(tc, core_dumps_disabled_while_prompting);
	tcase_add_test(tc, ask_password_without_a_terminal_fails_cleanly);
	tcase_add_test(tc, signal_at_the_prompt_restores_echo);
	suite_add_tcase(s, tc);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
