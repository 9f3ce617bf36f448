/*
 * passwords.c - PFX password candidates: sources, labels and storage.
 *
 * Storage: one anonymous mapping (PW_ARENA_SIZE) holds every secret,
 * NUL-terminated, back to back.  It is mlock()ed (best effort: a low
 * RLIMIT_MEMLOCK only clears hv_passwords.locked) and marked
 * MADV_DONTDUMP, and wiped with OPENSSL_cleanse before it is unmapped.
 * Temporary buffers that held secret bytes (the password file, the prompt
 * line) are wiped the same way.  A copy made by the C library for the
 * environment variable cannot be wiped by us; it is documented in the man
 * page that --password-file or --ask-password are preferable.
 *
 * Default list (--try-default-passwords), tried in this order after every
 * other source.  It is deliberately short, because each candidate costs one
 * key derivation per file:
 *   #1 "P@ssword"   default of the export script quoted in key-protector.md 7.1
 *   #2 "P@ssw0rd"   common lab / documentation password
 *   #3 "password"
 *   #4 "Password1"
 * The empty password is not in the list: pfx_open always tries it (and the
 * NULL password) before any candidate.
 */
#include "util/passwords.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <termios.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "util/xalloc.h"

#define PW_ARENA_SIZE (64u * 1024)
#define PW_FILE_MAX (64u * 1024)
#define PW_TTY_PATH "/dev/tty"

static const char *const pw_default_list[] = {
	"P@ssword",
	"P@ssw0rd",
	"password",
	"Password1",
	NULL,
};

const char *const *passwords_default_list(void)
{
	return pw_default_list;
}

const char *hv_pw_source_name(hv_pw_source s)
{
	switch (s) {
	case PW_SRC_FILE: return "password-file";
	case PW_SRC_ENV: return "environment";
	case PW_SRC_PROMPT: return "prompt";
	case PW_SRC_DEFAULT: return "default list";
	}
	return "unknown";
}

void passwords_init(hv_passwords *pw)
{
	memset(pw, 0, sizeof(*pw));
}

/* A private mapping for secrets; a failed mlock only clears pw->locked. */
static void *secure_map(size_t n, bool *locked)
{
	void *p = mmap(NULL, n, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED)
		xalloc_die();
#ifdef MADV_DONTDUMP
	(void)madvise(p, n, MADV_DONTDUMP);
#endif
	*locked = mlock(p, n) == 0;
	return p;
}

static void secure_unmap(void *p, size_t n, bool locked)
{
	if (p == NULL)
		return;
	OPENSSL_cleanse(p, n);
	if (locked)
		(void)munlock(p, n);
	(void)munmap(p, n);
}

static void pw_label(hv_password *c)
{
	switch (c->source) {
	case PW_SRC_FILE:
		snprintf(c->label, sizeof(c->label), "password-file line %u", c->position);
		break;
	case PW_SRC_ENV:
		snprintf(c->label, sizeof(c->label), "environment %s", PW_ENV_VAR);
		break;
	case PW_SRC_PROMPT:
		if (c->position <= 1)
			snprintf(c->label, sizeof(c->label), "prompt");
		else
			snprintf(c->label, sizeof(c->label), "prompt #%u", c->position);
		break;
	case PW_SRC_DEFAULT:
		snprintf(c->label, sizeof(c->label), "default list #%u", c->position);
		break;
	}
}

hv_err passwords_add(hv_passwords *pw, const char *secret, size_t len, hv_pw_source src,
		     unsigned position, hv_findings *f)
{
	hv_password *c;
	char *dst;

	if (len > PW_MAX_LEN || pw->n >= PW_MAX_CANDIDATES) {
		findings_add(f, HV_SEV_ERROR, NULL, HV_NO_OFFSET,
			     "password candidate from %s %u skipped: more than %u candidates or "
			     "longer than %u bytes", hv_pw_source_name(src), position,
			     PW_MAX_CANDIDATES, PW_MAX_LEN);
		return HV_ERR_LIMIT;
	}
	if (pw->arena == NULL) {
		pw->arena = secure_map(PW_ARENA_SIZE, &pw->locked);
		pw->arena_cap = PW_ARENA_SIZE;
	}
	if (len + 1 > pw->arena_cap - pw->arena_used) {
		findings_add(f, HV_SEV_ERROR, NULL, HV_NO_OFFSET,
			     "password candidate from %s %u skipped: the candidates exceed "
			     "%u bytes",
			     hv_pw_source_name(src), position, PW_ARENA_SIZE);
		return HV_ERR_LIMIT;
	}
	dst = (char *)pw->arena + pw->arena_used;
	memcpy(dst, secret, len);
	dst[len] = '\0';
	pw->arena_used += len + 1;
	pw->v = xgrow(pw->v, &pw->cap, pw->n + 1, sizeof(*pw->v));
	c = &pw->v[pw->n++];
	memset(c, 0, sizeof(*c));
	c->secret = dst;
	c->len = len;
	c->source = src;
	c->position = position;
	pw_label(c);
	return HV_OK;
}

/* Reads at most cap bytes of path into buf; returns the length or -1. */
static long read_small_file(const char *path, unsigned char *buf, size_t cap, hv_findings *f)
{
	struct stat st;
	size_t n = 0;
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);

	if (fd < 0) {
		findings_add(f, HV_SEV_ERROR, path, HV_NO_OFFSET,
			     "cannot open password file: %s", strerror(errno));
		return -1;
	}
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || (uint64_t)st.st_size > cap) {
		findings_add(f, HV_SEV_ERROR, path, HV_NO_OFFSET,
			     "password file must be a regular file of at most %zu bytes", cap);
		close(fd);
		return -1;
	}
	while (n < cap) {
		ssize_t r = read(fd, buf + n, cap - n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			findings_add(f, HV_SEV_ERROR, path, HV_NO_OFFSET,
				     "cannot read password file: %s", strerror(errno));
			close(fd);
			return -1;
		}
		if (r == 0)
			break;
		n += (size_t)r;
	}
	close(fd);
	return (long)n;
}

/* Splits buf into lines and adds each non-empty line. */
static hv_err add_lines(hv_passwords *pw, const unsigned char *buf, size_t n, hv_findings *f)
{
	static const unsigned char bom[3] = { 0xEF, 0xBB, 0xBF };
	size_t pos = 0;
	unsigned line = 0;
	hv_err rc = HV_OK;

	if (n >= sizeof(bom) && memcmp(buf, bom, sizeof(bom)) == 0)
		pos = sizeof(bom);
	while (pos < n) {
		const unsigned char *nl = memchr(buf + pos, '\n', n - pos);
		size_t end = nl != NULL ? (size_t)(nl - buf) : n;
		size_t len = end - pos;

		line++;
		if (len > 0 && buf[pos + len - 1] == '\r')
			len--;
		if (len > 0) {
			hv_err e = passwords_add(pw, (const char *)buf + pos, len, PW_SRC_FILE,
						 line, f);
			if (e != HV_OK)
				rc = e;
		}
		pos = end + 1;
	}
	return rc;
}

hv_err passwords_add_file(hv_passwords *pw, const char *path, hv_findings *f)
{
	bool locked;
	unsigned char *buf = secure_map(PW_FILE_MAX, &locked);
	long n = read_small_file(path, buf, PW_FILE_MAX, f);
	hv_err rc = HV_ERR_IO;

	if (n >= 0)
		rc = add_lines(pw, buf, (size_t)n, f);
	secure_unmap(buf, PW_FILE_MAX, locked);
	return rc;
}

hv_err passwords_add_env(hv_passwords *pw, const char *var, hv_findings *f)
{
	const char *v = getenv(var);

	if (v == NULL || *v == '\0')
		return HV_OK;
	return passwords_add(pw, v, strlen(v), PW_SRC_ENV, 1, f);
}

/* Reads one line from fd into buf (no terminator kept); returns length or -1. */
static long read_line(int fd, unsigned char *buf, size_t cap)
{
	size_t n = 0;

	for (;;) {
		unsigned char ch;
		ssize_t r = read(fd, &ch, 1);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return -1;
		if (r == 0 || ch == '\n')
			break;
		if (n < cap)
			buf[n++] = ch;
	}
	if (n > 0 && buf[n - 1] == '\r')
		n--;
	return (long)n;
}

hv_err passwords_add_prompt(hv_passwords *pw, const char *prompt, hv_findings *f)
{
	struct termios old, quiet;
	unsigned char *buf;
	bool locked;
	long n;
	hv_err rc;
	int fd = open(PW_TTY_PATH, O_RDWR | O_NOCTTY | O_CLOEXEC);

	if (fd < 0 || tcgetattr(fd, &old) != 0) {
		findings_add(f, HV_SEV_ERROR, NULL, HV_NO_OFFSET,
			     "--ask-password needs a terminal, but %s is not available; use "
			     "--password-file or %s instead", PW_TTY_PATH, PW_ENV_VAR);
		if (fd >= 0)
			close(fd);
		return HV_ERR_IO;
	}
	quiet = old;
	quiet.c_lflag &= ~(tcflag_t)(ECHO | ECHONL);
	quiet.c_lflag |= ICANON;
	(void)tcsetattr(fd, TCSAFLUSH, &quiet);
	if (write(fd, prompt, strlen(prompt)) < 0) {
		/* The prompt is cosmetic; reading still works. */
	}
	buf = secure_map(PW_MAX_LEN + 1, &locked);
	n = read_line(fd, buf, PW_MAX_LEN + 1);
	(void)tcsetattr(fd, TCSAFLUSH, &old);
	if (write(fd, "\n", 1) < 0) {
		/* as above */
	}
	close(fd);
	if (n < 0) {
		findings_add(f, HV_SEV_ERROR, NULL, HV_NO_OFFSET,
			     "cannot read the password from %s", PW_TTY_PATH);
		rc = HV_ERR_IO;
	} else {
		rc = passwords_add(pw, (const char *)buf, (size_t)n, PW_SRC_PROMPT,
				   ++pw->prompts, f);
	}
	secure_unmap(buf, PW_MAX_LEN + 1, locked);
	return rc;
}

hv_err passwords_add_defaults(hv_passwords *pw, hv_findings *f)
{
	hv_err rc = HV_OK;

	for (unsigned i = 0; pw_default_list[i] != NULL; i++) {
		hv_err e = passwords_add(pw, pw_default_list[i], strlen(pw_default_list[i]),
					 PW_SRC_DEFAULT, i + 1, f);
		if (e != HV_OK)
			rc = e;
	}
	return rc;
}

hv_err passwords_collect(hv_passwords *pw, const hv_pw_options *opt, hv_findings *f)
{
	hv_err rc;

	if (opt->file != NULL && (rc = passwords_add_file(pw, opt->file, f)) != HV_OK)
		return rc;
	if (opt->use_env && (rc = passwords_add_env(pw, PW_ENV_VAR, f)) != HV_OK)
		return rc;
	if (opt->ask && (rc = passwords_add_prompt(pw, "PFX password: ", f)) != HV_OK)
		return rc;
	if (opt->defaults && (rc = passwords_add_defaults(pw, f)) != HV_OK)
		return rc;
	return HV_OK;
}

void passwords_free(hv_passwords *pw)
{
	secure_unmap(pw->arena, pw->arena_cap, pw->locked);
	free(pw->v);
	memset(pw, 0, sizeof(*pw));
}
