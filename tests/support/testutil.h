/* testutil.h - helpers shared by the Check suites. */
#ifndef HVTPM_TESTUTIL_H
#define HVTPM_TESTUTIL_H

#include <check.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * Marks the running test as skipped (counted by tests/run.sh) and returns
 * from it.  Use only when the test cannot run here (a tool absent; the corpus
 * is part of the repository and is never a reason to skip).
 */
#define TEST_SKIP(...)                                                    \
	do {                                                              \
		tu_skip_line(__func__, __VA_ARGS__);                      \
		return;                                                   \
	} while (0)
void tu_skip_line(const char *test, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* tests/corpus/<sub>/<name>, never NULL (the test fails when it is missing). */
char *tu_corpus(const char *sub, const char *name);
/* Repository source directory (for samples/, tests/bad/ ...). */
const char *tu_srcdir(void);
/* Path of the hvtpm binary under test. */
const char *tu_bin(void);

/* Creates a fresh temporary directory (removed by tu_rmtree). */
char *tu_mkdtemp(void);
void tu_rmtree(const char *dir);
/* dir/name, newly allocated. */
char *tu_join(const char *dir, const char *name);
/* Writes bytes to path (creating parent directories); aborts the test on error. */
void tu_write(const char *path, const void *data, size_t len);
/* Reads a whole file; NULL when it does not exist. */
uint8_t *tu_read(const char *path, size_t *len);
/* Gunzips a .gz file into memory (for the BitLocker corpus); NULL on error. */
uint8_t *tu_gunzip(const char *path, size_t max, size_t *len);
/* True when a program is on PATH. */
bool tu_have(const char *prog);

/* Result of running a command. */
typedef struct {
	int status;   /* exit code, or 128+signal */
	char *out;    /* captured stdout, NUL-terminated */
	size_t outlen;
	char *err;    /* captured stderr, NUL-terminated */
	size_t errlen;
} tu_run_result;

/*
 * Runs argv (argv[0] looked up on PATH unless it has a slash) with the
 * given extra environment ("NAME=value", NULL-terminated, may be NULL) and
 * stdin from in (may be NULL), capturing output.  A 60 s timeout kills it.
 * When HVTPM_VALGRIND is set and argv[0] is the hvtpm binary, it runs under
 * valgrind memcheck and a memcheck error makes the status 99.
 */
tu_run_result tu_run(char *const argv[], char *const env[], const char *in);
/* Convenience: runs the hvtpm binary with NULL-terminated arguments. */
tu_run_result tu_hvtpm(const char *arg0, ...);
void tu_run_free(tu_run_result *r);
/* Runs a shell command line; returns its exit status. */
int tu_sh(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
