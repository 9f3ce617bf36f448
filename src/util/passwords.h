/*
 * passwords.h - PFX password candidates and where each came from.
 *
 * Sources are collected in this fixed order:
 *   1. --password-file FILE   one candidate per line (see passwords_add_file)
 *   2. HVTPM_PFX_PASSWORD     the environment variable, when set
 *   3. --ask-password         a no-echo prompt on /dev/tty
 *   4. --try-default-passwords a short built-in list (PW_DEFAULT_LIST below)
 * The "no password (NULL)" and "empty password" attempts are not candidates
 * here: pfx_open always makes them first.
 *
 * Secrets live in one private memory arena, mlock()ed when the system
 * allows it and excluded from core dumps, and are wiped with
 * OPENSSL_cleanse when the list is freed.  A secret is never printed,
 * logged or put into a finding: everything outside this module refers to a
 * candidate only by its label ("password-file line 3").
 */
#ifndef HVTPM_PASSWORDS_H
#define HVTPM_PASSWORDS_H

#include <stdbool.h>
#include <stddef.h>

#include "util/diag.h"

#define PW_ENV_VAR "HVTPM_PFX_PASSWORD"
#define PW_MAX_CANDIDATES 256
#define PW_MAX_LEN 1024          /* bytes of one secret */
#define PW_LABEL_MAX 48

typedef enum {
	PW_SRC_FILE = 0,
	PW_SRC_ENV,
	PW_SRC_PROMPT,
	PW_SRC_DEFAULT,
} hv_pw_source;

typedef struct {
	const char *secret;          /* NUL-terminated, inside the locked arena */
	size_t len;
	hv_pw_source source;
	unsigned position;           /* 1-based within its source (line number for files) */
	char label[PW_LABEL_MAX];    /* e.g. "password-file line 3"; safe to print */
} hv_password;

typedef struct {
	hv_password *v;
	size_t n, cap;
	unsigned char *arena;        /* mmap()ed secret storage */
	size_t arena_used, arena_cap;
	bool locked;                 /* mlock() succeeded */
	unsigned prompts;            /* prompts made so far */
} hv_passwords;

/* What the command line asked for; NULL/false members are skipped. */
typedef struct {
	const char *file;            /* --password-file */
	bool use_env;                /* read PW_ENV_VAR (the CLI passes true) */
	bool ask;                    /* --ask-password */
	bool defaults;               /* --try-default-passwords */
} hv_pw_options;

void passwords_init(hv_passwords *pw);
/* Collects every requested source in the documented order. */
hv_err passwords_collect(hv_passwords *pw, const hv_pw_options *opt, hv_findings *f);

/*
 * Reads one candidate per line.  The encoding is the one the byte-order
 * mark names (UTF-16LE, UTF-16BE, UTF-8), UTF-8 without one; UTF-16 is
 * turned into UTF-8.  Line ends LF or CRLF are stripped, nothing else:
 * leading and trailing spaces are kept (they are part of the password).
 * Empty lines are skipped: the empty password is always tried by pfx_open
 * anyway, so an empty line would only repeat that attempt.  Positions are
 * the real 1-based line numbers, so "line 3" is the third line of the file.
 * A line that cannot be decoded (see passwords.c) makes the whole file
 * HV_ERR_FORMAT, with a finding naming the file and the line only.  The
 * first line over a cap (see passwords_add) stops the file: HV_ERR_LIMIT.
 */
hv_err passwords_add_file(hv_passwords *pw, const char *path, hv_findings *f);
/* Adds the value of the environment variable var when it is set and non-empty. */
hv_err passwords_add_env(hv_passwords *pw, const char *var, hv_findings *f);
/*
 * Prompts on /dev/tty without echo; HV_ERR_IO with a finding when there is
 * no terminal.  SIGINT, SIGTERM, SIGHUP and SIGQUIT during the prompt
 * restore the terminal before they take effect.
 */
hv_err passwords_add_prompt(hv_passwords *pw, const char *prompt, hv_findings *f);
/* Adds PW_DEFAULT_LIST (see passwords.c), labelled "default list #k". */
hv_err passwords_add_defaults(hv_passwords *pw, hv_findings *f);
/*
 * Adds one candidate (copied into the arena).  Over a cap (PW_MAX_CANDIDATES
 * from every source together, PW_MAX_LEN bytes, 64 KiB of candidates in all)
 * nothing is added: HV_ERR_LIMIT with one finding that names the cap and the
 * candidate by its label, and the caller stops (the command line is refused
 * whole: a usage error, never a run with part of the candidates).
 */
hv_err passwords_add(hv_passwords *pw, const char *secret, size_t len, hv_pw_source src,
		     unsigned position, hv_findings *f);
/* The built-in default list, for the man page and tests; NULL-terminated. */
const char *const *passwords_default_list(void);
const char *hv_pw_source_name(hv_pw_source s);
/* Wipes and releases every secret. */
void passwords_free(hv_passwords *pw);

#endif
