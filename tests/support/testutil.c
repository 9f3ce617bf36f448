/* testutil.c - helpers shared by the Check suites. */
#include "support/testutil.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <zlib.h>

void tu_skip_line(const char *test, const char *fmt, ...)
{
	va_list ap;
	printf("SKIP: %s: ", test);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	fflush(stdout);
}

static const char *env_or(const char *name, const char *def)
{
	const char *v = getenv(name);
	return v && *v ? v : def;
}

char *tu_corpus(const char *sub, const char *name)
{
	/* The corpus is part of the repository: a missing file is a failure, never a skip. */
	char *p = NULL;
	if (asprintf(&p, "%s/tests/corpus/%s/%s", tu_srcdir(), sub, name) < 0)
		ck_abort_msg("out of memory");
	if (access(p, R_OK) != 0)
		ck_abort_msg("corpus file %s is missing (tests/corpus is part of the repository)", p);
	return p;
}

const char *tu_srcdir(void)
{
	return env_or("HVTPM_SRCDIR", ".");
}

const char *tu_bin(void)
{
	return env_or("HVTPM_BIN", "./build/hvtpm");
}

char *tu_mkdtemp(void)
{
	char *t = strdup("/tmp/hvtpm-test-XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(t));
	return t;
}

void tu_rmtree(const char *dir)
{
	if (dir && strncmp(dir, "/tmp/hvtpm-test-", 16) == 0)
		tu_sh("chmod -R u+w '%s' 2>/dev/null; rm -rf '%s'", dir, dir);
}

char *tu_join(const char *dir, const char *name)
{
	char *p = NULL;
	ck_assert_int_ge(asprintf(&p, "%s/%s", dir, name), 0);
	return p;
}

static void mkparents(const char *path)
{
	char *d = strdup(path);
	for (char *s = d + 1; *s; s++) {
		if (*s == '/') {
			*s = '\0';
			mkdir(d, 0755);
			*s = '/';
		}
	}
	free(d);
}

void tu_write(const char *path, const void *data, size_t len)
{
	mkparents(path);
	FILE *f = fopen(path, "wb");
	ck_assert_msg(f != NULL, "cannot write %s", path);
	ck_assert_uint_eq(fwrite(data, 1, len, f), len);
	ck_assert_int_eq(fclose(f), 0);
}

uint8_t *tu_read(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return NULL;
	size_t cap = 4096, n = 0;
	uint8_t *b = malloc(cap + 1);
	size_t r;
	while ((r = fread(b + n, 1, cap - n, f)) > 0) {
		n += r;
		if (n == cap) {
			cap *= 2;
			b = realloc(b, cap + 1);
		}
	}
	fclose(f);
	b[n] = 0;
	*len = n;
	return b;
}

uint8_t *tu_gunzip(const char *path, size_t max, size_t *len)
{
	gzFile g = gzopen(path, "rb");
	if (!g)
		return NULL;
	size_t cap = 1 << 20, n = 0;
	uint8_t *b = malloc(cap);
	for (;;) {
		if (n == cap) {
			if (cap >= max)
				break;
			cap *= 2;
			b = realloc(b, cap);
		}
		int r = gzread(g, b + n, (unsigned)(cap - n));
		if (r <= 0)
			break;
		n += (size_t)r;
	}
	gzclose(g);
	*len = n;
	return b;
}

bool tu_have(const char *prog)
{
	return tu_sh("command -v '%s' >/dev/null 2>&1", prog) == 0;
}

int tu_sh(const char *fmt, ...)
{
	char *cmd = NULL;
	va_list ap;
	va_start(ap, fmt);
	int n = vasprintf(&cmd, fmt, ap);
	va_end(ap);
	if (n < 0)
		return -1;
	int st = system(cmd);
	free(cmd);
	if (st == -1)
		return -1;
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

static void drain(int fd, char **buf, size_t *len, size_t *cap)
{
	if (*len + 4096 + 1 > *cap) {
		*cap = (*cap ? *cap * 2 : 8192) + 4096;
		*buf = realloc(*buf, *cap);
	}
	ssize_t r = read(fd, *buf + *len, *cap - *len - 1);
	if (r > 0)
		*len += (size_t)r;
}

tu_run_result tu_run(char *const argv[], char *const env[], const char *in)
{
	tu_run_result res = { 0 };
	int po[2], pe[2], pi[2];
	ck_assert_int_eq(pipe(po), 0);
	ck_assert_int_eq(pipe(pe), 0);
	ck_assert_int_eq(pipe(pi), 0);
	bool vg = getenv("HVTPM_VALGRIND") && strcmp(argv[0], tu_bin()) == 0;
	pid_t pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		dup2(pi[0], 0);
		dup2(po[1], 1);
		dup2(pe[1], 2);
		close(po[0]); close(pe[0]); close(pi[1]);
		close(po[1]); close(pe[1]); close(pi[0]);
		for (size_t i = 0; env && env[i]; i++)
			putenv(env[i]);
		if (vg) {
			size_t n = 0;
			while (argv[n])
				n++;
			char **va = calloc(n + 8, sizeof *va);
			size_t k = 0;
			va[k++] = "valgrind";
			va[k++] = "-q";
			va[k++] = "--error-exitcode=99";
			va[k++] = "--leak-check=full";
			va[k++] = "--errors-for-leak-kinds=definite,indirect";
			for (size_t i = 0; i < n; i++)
				va[k++] = argv[i];
			va[k] = NULL;
			execvp("valgrind", va);
		} else {
			execvp(argv[0], argv);
		}
		_exit(127);
	}
	close(po[1]);
	close(pe[1]);
	close(pi[0]);
	if (in) {
		size_t l = strlen(in);
		ssize_t w = write(pi[1], in, l);
		(void)w;
	}
	close(pi[1]);
	size_t ocap = 8192, ecap = 8192;
	res.out = malloc(ocap);
	res.err = malloc(ecap);
	bool oopen = true, eopen = true;
	time_t start = time(NULL);
	int timeout = vg ? 600 : 60;
	while (oopen || eopen) {
		struct pollfd p[2] = { { oopen ? po[0] : -1, POLLIN, 0 }, { eopen ? pe[0] : -1, POLLIN, 0 } };
		int r = poll(p, 2, 1000);
		if (time(NULL) - start > timeout) {
			kill(pid, SIGKILL);
			break;
		}
		if (r <= 0)
			continue;
		if (oopen && (p[0].revents & (POLLIN | POLLHUP))) {
			size_t before = res.outlen;
			drain(po[0], &res.out, &res.outlen, &ocap);
			if (res.outlen == before)
				oopen = false;
		}
		if (eopen && (p[1].revents & (POLLIN | POLLHUP))) {
			size_t before = res.errlen;
			drain(pe[0], &res.err, &res.errlen, &ecap);
			if (res.errlen == before)
				eopen = false;
		}
	}
	close(po[0]);
	close(pe[0]);
	int st = 0;
	waitpid(pid, &st, 0);
	res.status = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
	res.out[res.outlen] = 0;
	res.err[res.errlen] = 0;
	return res;
}

tu_run_result tu_hvtpm(const char *arg0, ...)
{
	char *argv[64];
	size_t n = 0;
	argv[n++] = (char *)tu_bin();
	va_list ap;
	va_start(ap, arg0);
	for (const char *a = arg0; a && n < 63; a = va_arg(ap, const char *))
		argv[n++] = (char *)a;
	va_end(ap);
	argv[n] = NULL;
	return tu_run(argv, NULL, NULL);
}

void tu_run_free(tu_run_result *r)
{
	free(r->out);
	free(r->err);
	memset(r, 0, sizeof *r);
}
