/*
 * passwords.c - PFX password candidates: sources, labels and storage.
 *
 * Storage: one anonymous mapping (PW_ARENA_SIZE) holds every secret,
 * NUL-terminated, back to back.  It is mlock()ed (best effort: a low
 * RLIMIT_MEMLOCK only clears hv_passwords.locked) and marked
 * MADV_DONTDUMP, and wiped with OPENSSL_cleanse before it is unmapped.
 * Temporary buffers that held secret bytes (the password file, its UTF-8
 * form, the prompt line) are wiped the same way.  A copy made by the C
 * library for the environment variable cannot be wiped by us; it is
 * documented in the man page that --password-file or --ask-password are
 * preferable.
 *
 * Password files are read in the encoding their byte-order mark names:
 * UTF-16LE (what Windows PowerShell 5.1's "pw" > file writes, with CRLF),
 * UTF-16BE or UTF-8; without one, as UTF-8.  UTF-16 is turned into UTF-8
 * (what OpenSSL turns into the BMPString PKCS#12 derives keys from).  An
 * unpaired surrogate, a cut last unit, invalid UTF-8 after a UTF-8 BOM, or a
 * NUL in a line (UTF-16 without a BOM) is an error naming the file and the
 * line, never its content; a line of NUL bytes only is padding, skipped like
 * an empty line.  Bytes that are not UTF-8 in a file without a BOM
 * (a Windows "ANSI" file) are kept as they are: OpenSSL reads such a
 * password as Latin-1, as Windows-1252 files mostly are.
 *
 * --ask-password turns echo off on /dev/tty; SIGINT, SIGTERM, SIGHUP and
 * SIGQUIT during the prompt restore the terminal first, then the signal is
 * raised again with the disposition it had before the prompt (the default
 * action unless the program set its own; an ignored signal stays ignored).
 *
 * Default list (--try-default-passwords), tried in this order after every
 * other source.  It is deliberately short, because each candidate costs one
 * key derivation per file:
 *   #1 "P@ssword"   default of the export script in docs/key-protector.md s.7.3
 *   #2 "P@ssw0rd"   common lab / documentation password
 *   #3 "password"
 *   #4 "Password1"
 * The empty password is not in the list: pfx_open always tries it (and the
 * NULL password) before any candidate.
 */
#include "util/passwords.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
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
#define PW_UTF8_MAX (PW_FILE_MAX / 2 * 3) /* UTF-16 code units take at most 3 bytes */
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

/*
 * Adds one candidate; over a cap, one error naming the cap and the candidate
 * (by its label, never its content; file: the password file, or NULL) and
 * HV_ERR_LIMIT: the caller stops there, and the command ends with a usage
 * error (nothing is run with part of the candidates).
 */
static hv_err add_one(hv_passwords *pw, const char *secret, size_t len, hv_pw_source src,
		      unsigned position, const char *file, hv_findings *f)
{
	hv_password *c;
	char *dst;
	hv_password who = { .source = src, .position = position };

	pw_label(&who);
	if (pw->n >= PW_MAX_CANDIDATES) {
		findings_add(f, HV_SEV_ERROR, file, HV_NO_OFFSET,
			     "%s would be PFX password candidate %zu: at most %u are taken, from "
			     "every source together", who.label, pw->n + 1, PW_MAX_CANDIDATES);
		return HV_ERR_LIMIT;
	}
	if (len > PW_MAX_LEN) {
		findings_add(f, HV_SEV_ERROR, file, HV_NO_OFFSET,
			     "%s is longer than %u bytes, the cap for one password (%zu bytes)",
			     who.label, PW_MAX_LEN, len);
		return HV_ERR_LIMIT;
	}
	if (pw->arena == NULL) {
		pw->arena = secure_map(PW_ARENA_SIZE, &pw->locked);
		pw->arena_cap = PW_ARENA_SIZE;
	}
	if (len + 1 > pw->arena_cap - pw->arena_used) {
		findings_add(f, HV_SEV_ERROR, file, HV_NO_OFFSET,
			     "%s takes the PFX password candidates past %u bytes in all (the cap, "
			     "counted as UTF-8 with one byte per candidate more)", who.label,
			     PW_ARENA_SIZE);
		return HV_ERR_LIMIT;
	}
	dst = (char *)pw->arena + pw->arena_used;
	memcpy(dst, secret, len);
	dst[len] = '\0';
	pw->arena_used += len + 1;
	pw->v = xgrow(pw->v, &pw->cap, pw->n + 1, sizeof(*pw->v));
	c = &pw->v[pw->n++];
	*c = who;
	c->secret = dst;
	c->len = len;
	return HV_OK;
}

hv_err passwords_add(hv_passwords *pw, const char *secret, size_t len, hv_pw_source src,
		     unsigned position, hv_findings *f)
{
	return add_one(pw, secret, len, src, position, NULL, f);
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

/* Whether the line at b (up to LF or n) is made of NUL bytes only (padding). */
static bool nul_line(const unsigned char *b, size_t n)
{
	size_t i = 0;

	while (i < n && b[i] == '\0')
		i++;
	if (i == 0 || i == n || b[i] == '\n')
		return i > 0;
	return b[i] == '\r' && (i + 1 == n || b[i + 1] == '\n');
}

/* The length of the line at b, its end included. */
static size_t line_len(const unsigned char *b, size_t n)
{
	const unsigned char *nl = memchr(b, '\n', n);
	return nl != NULL ? (size_t)(nl - b) + 1 : n;
}

/*
 * Splits UTF-8 buf into lines (LF or CRLF) and adds each non-empty line;
 * stops at the first line over a cap (one error, not one per line).
 */
static hv_err add_lines(hv_passwords *pw, const unsigned char *buf, size_t n, const char *path,
			hv_findings *f)
{
	size_t pos = 0;
	unsigned line = 0;

	while (pos < n) {
		const unsigned char *nl = memchr(buf + pos, '\n', n - pos);
		size_t end = nl != NULL ? (size_t)(nl - buf) : n;
		size_t len = end - pos;

		line++;
		if (len > 0 && buf[pos + len - 1] == '\r')
			len--;
		if (len > 0 && !nul_line(buf + pos, len)) {
			hv_err e = add_one(pw, (const char *)buf + pos, len, PW_SRC_FILE, line,
					   path, f);
			if (e != HV_OK)
				return e;
		}
		pos = end + 1;
	}
	return HV_OK;
}

typedef enum { PWF_PLAIN, PWF_UTF8_BOM, PWF_UTF16LE, PWF_UTF16BE } pwf_encoding;

static const char *pwf_name(pwf_encoding e)
{
	switch (e) {
	case PWF_PLAIN: return "UTF-8";
	case PWF_UTF8_BOM: return "UTF-8 (with BOM)";
	case PWF_UTF16LE: return "UTF-16LE";
	case PWF_UTF16BE: return "UTF-16BE";
	}
	return "UTF-8";
}

/* The encoding a byte-order mark names, and the mark's length. */
static pwf_encoding pwf_detect(const unsigned char *b, size_t n, size_t *bom)
{
	*bom = 0;
	if (n >= 3 && b[0] == 0xEF && b[1] == 0xBB && b[2] == 0xBF) {
		*bom = 3;
		return PWF_UTF8_BOM;
	}
	if (n >= 2 && ((b[0] == 0xFF && b[1] == 0xFE) || (b[0] == 0xFE && b[1] == 0xFF))) {
		*bom = 2;
		return b[0] == 0xFF ? PWF_UTF16LE : PWF_UTF16BE;
	}
	return PWF_PLAIN;
}

/* Appends code point cp (at most U+10FFFF, no surrogate) as UTF-8. */
static size_t put_utf8(unsigned char *o, uint32_t cp)
{
	if (cp < 0x80) {
		o[0] = (unsigned char)cp;
		return 1;
	}
	if (cp < 0x800) {
		o[0] = (unsigned char)(0xC0 | cp >> 6);
		o[1] = (unsigned char)(0x80 | (cp & 0x3F));
		return 2;
	}
	if (cp < 0x10000) {
		o[0] = (unsigned char)(0xE0 | cp >> 12);
		o[1] = (unsigned char)(0x80 | ((cp >> 6) & 0x3F));
		o[2] = (unsigned char)(0x80 | (cp & 0x3F));
		return 3;
	}
	o[0] = (unsigned char)(0xF0 | cp >> 18);
	o[1] = (unsigned char)(0x80 | ((cp >> 12) & 0x3F));
	o[2] = (unsigned char)(0x80 | ((cp >> 6) & 0x3F));
	o[3] = (unsigned char)(0x80 | (cp & 0x3F));
	return 4;
}

typedef struct {
	unsigned line;   /* 1-based line of the fault */
	const char *why; /* what is wrong there, never the content */
} pwf_fault;

static uint32_t unit16(const unsigned char *p, bool be)
{
	return be ? (uint32_t)(p[0] << 8 | p[1]) : (uint32_t)(p[1] << 8 | p[0]);
}

/*
 * UTF-16 (after its mark) to UTF-8 in out (PW_UTF8_MAX bytes); the length, or
 * -1 with *fault set.
 */
static long utf16_to_utf8(const unsigned char *p, size_t n, bool be, unsigned char *out,
			  pwf_fault *fault)
{
	size_t k = 0;
	unsigned line = 1;

	for (size_t i = 0; i + 1 < n; i += 2) {
		uint32_t u = unit16(p + i, be);
		if (u >= 0xD800 && u < 0xDC00 && i + 3 < n) {
			uint32_t lo = unit16(p + i + 2, be);
			if (lo >= 0xDC00 && lo < 0xE000) {
				u = 0x10000 + ((u - 0xD800) << 10) + (lo - 0xDC00);
				i += 2;
			}
		}
		if (u >= 0xD800 && u < 0xE000) {
			*fault = (pwf_fault){ line, "an unpaired UTF-16 surrogate" };
			return -1;
		}
		k += put_utf8(out + k, u);
		line += u == '\n';
	}
	if (n % 2 != 0) {
		*fault = (pwf_fault){ line, "an odd number of bytes: its last UTF-16 unit is "
					    "cut" };
		return -1;
	}
	return (long)k;
}

/* The length a UTF-8 sequence starting with byte b has, or 0 when b cannot start one. */
static size_t utf8_lead_len(unsigned char b)
{
	if (b < 0x80)
		return 1;
	if (b >= 0xC2 && b < 0xE0)
		return 2;
	if (b >= 0xE0 && b < 0xF0)
		return 3;
	return b >= 0xF0 && b < 0xF5 ? 4 : 0;
}

/* The length of the UTF-8 sequence at p (shortest form, no surrogate), or 0. */
static size_t utf8_seq(const unsigned char *p, size_t n)
{
	static const uint32_t min[5] = { 0, 0, 0x80, 0x800, 0x10000 };
	size_t len = utf8_lead_len(p[0]);
	if (len == 0 || len > n)
		return 0;
	uint32_t cp = len == 1 ? p[0] : p[0] & (0x7F >> len);
	for (size_t i = 1; i < len; i++) {
		if ((p[i] & 0xC0) != 0x80)
			return 0;
		cp = cp << 6 | (p[i] & 0x3F);
	}
	return cp >= min[len] && cp <= 0x10FFFF && (cp < 0xD800 || cp >= 0xE000) ? len : 0;
}

/*
 * Checks decoded text: no NUL in a line (a line of NULs only is padding,
 * skipped later), valid UTF-8 when strict; false with *fault set.
 */
static bool text_ok(const unsigned char *b, size_t n, bool strict, pwf_fault *fault)
{
	unsigned line = 1;

	for (size_t i = 0; i < n;) {
		if ((i == 0 || b[i - 1] == '\n') && nul_line(b + i, n - i)) {
			i += line_len(b + i, n - i);
			line++;
			continue;
		}
		size_t len = strict ? utf8_seq(b + i, n - i) : 1;
		if (b[i] == '\0') {
			*fault = (pwf_fault){ line, "a NUL byte (UTF-16 without a byte-order "
						    "mark?)" };
			return false;
		}
		if (len == 0) {
			*fault = (pwf_fault){ line, "bytes that are not UTF-8 after a UTF-8 "
						    "byte-order mark" };
			return false;
		}
		line += b[i] == '\n';
		i += len;
	}
	return true;
}

/* The file's bytes as UTF-8 lines, into out; the length, or -1 with *fault set. */
static long decode_file(const unsigned char *b, size_t n, unsigned char *out, pwf_encoding *enc,
			pwf_fault *fault)
{
	size_t bom;
	long k;

	*enc = pwf_detect(b, n, &bom);
	if (*enc == PWF_UTF16LE || *enc == PWF_UTF16BE)
		k = utf16_to_utf8(b + bom, n - bom, *enc == PWF_UTF16BE, out, fault);
	else {
		memcpy(out, b + bom, n - bom);
		k = (long)(n - bom);
	}
	if (k >= 0 && !text_ok(out, (size_t)k, *enc == PWF_UTF8_BOM, fault))
		return -1;
	return k;
}

hv_err passwords_add_file(hv_passwords *pw, const char *path, hv_findings *f)
{
	bool locked, locked8;
	unsigned char *buf = secure_map(PW_FILE_MAX, &locked);
	unsigned char *utf8 = secure_map(PW_UTF8_MAX, &locked8);
	long n = read_small_file(path, buf, PW_FILE_MAX, f);
	hv_err rc = HV_ERR_IO;

	if (n >= 0) {
		pwf_encoding enc;
		pwf_fault fault = { 0, "" };
		long k = decode_file(buf, (size_t)n, utf8, &enc, &fault);
		if (k >= 0) {
			rc = add_lines(pw, utf8, (size_t)k, path, f);
		} else {
			findings_add(f, HV_SEV_ERROR, path, HV_NO_OFFSET,
				     "password file (%s): line %u holds %s; no password of the "
				     "file was used", pwf_name(enc), fault.line, fault.why);
			rc = HV_ERR_FORMAT;
		}
	}
	secure_unmap(utf8, PW_UTF8_MAX, locked8);
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

/* ---- the prompt: echo off, restored on the signals that end the program ---- */

static const int prompt_signals[] = { SIGINT, SIGTERM, SIGHUP, SIGQUIT };
#define PROMPT_NSIG (sizeof(prompt_signals) / sizeof(prompt_signals[0]))

/* One prompt at a time: the terminal it changed, for the signal handler. */
static volatile sig_atomic_t prompt_fd = -1;
static struct termios prompt_saved;
static struct sigaction prompt_old[PROMPT_NSIG];

/* Restores the terminal, then lets the signal do what it did before the prompt. */
static void prompt_signal(int sig)
{
	int fd = prompt_fd;

	if (fd >= 0) {
		(void)tcsetattr(fd, TCSAFLUSH, &prompt_saved);
		if (write(fd, "\n", 1) < 0) {
			/* cosmetic */
		}
	}
	for (size_t i = 0; i < PROMPT_NSIG; i++)
		if (prompt_signals[i] == sig)
			(void)sigaction(sig, &prompt_old[i], NULL);
	(void)raise(sig); /* pending until this handler returns (sig is blocked here) */
}

/* Catches the prompt signals (those not ignored) while fd has echo off. */
static void prompt_guard_on(int fd, const struct termios *saved)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = prompt_signal;
	sigemptyset(&sa.sa_mask);
	for (size_t i = 0; i < PROMPT_NSIG; i++)
		sigaddset(&sa.sa_mask, prompt_signals[i]);
	prompt_saved = *saved;
	prompt_fd = fd;
	for (size_t i = 0; i < PROMPT_NSIG; i++) {
		(void)sigaction(prompt_signals[i], NULL, &prompt_old[i]);
		if (prompt_old[i].sa_handler != SIG_IGN)
			(void)sigaction(prompt_signals[i], &sa, NULL);
	}
}

static void prompt_guard_off(void)
{
	for (size_t i = 0; i < PROMPT_NSIG; i++)
		if (prompt_old[i].sa_handler != SIG_IGN)
			(void)sigaction(prompt_signals[i], &prompt_old[i], NULL);
	prompt_fd = -1;
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
	prompt_guard_on(fd, &old);
	(void)tcsetattr(fd, TCSAFLUSH, &quiet);
	if (write(fd, prompt, strlen(prompt)) < 0) {
		/* The prompt is cosmetic; reading still works. */
	}
	buf = secure_map(PW_MAX_LEN + 1, &locked);
	n = read_line(fd, buf, PW_MAX_LEN + 1);
	(void)tcsetattr(fd, TCSAFLUSH, &old);
	prompt_guard_off();
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
	for (unsigned i = 0; pw_default_list[i] != NULL; i++) {
		hv_err e = passwords_add(pw, pw_default_list[i], strlen(pw_default_list[i]),
					 PW_SRC_DEFAULT, i + 1, f);
		if (e != HV_OK)
			return e;
	}
	return HV_OK;
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
