/*
 * diag.h - results and findings shared by every reader.
 *
 * A reader never prints.  It returns an hv_err and appends findings (notes,
 * warnings, errors) that name the file and the byte offset they refer to.
 * The CLI decides what to print and which exit code follows.
 */
#ifndef HVTPM_DIAG_H
#define HVTPM_DIAG_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

typedef enum {
	HV_OK = 0,
	HV_ERR_IO,          /* cannot open or read */
	HV_ERR_FORMAT,      /* not this format at all */
	HV_ERR_CORRUPT,     /* this format, but damaged */
	HV_ERR_UNSUPPORTED, /* this format, a version or feature we do not read */
	HV_ERR_LIMIT,       /* a documented size or count cap was exceeded */
	HV_ERR_PASSWORD,    /* needs a password we do not have */
	HV_ERR_INTERNAL,    /* a bug or resource failure */
} hv_err;

/* For people: "corrupt", "needs a password", ... */
const char *hv_err_name(hv_err e);
/* Stable identifiers for JSON: ok, io, format, corrupt, unsupported, limit, password, internal. */
const char *hv_err_code(hv_err e);

typedef enum {
	HV_SEV_NOTE = 0,
	HV_SEV_WARN,
	HV_SEV_ERROR,
} hv_sev;

#define HV_NO_OFFSET UINT64_MAX

typedef struct {
	hv_sev sev;
	char *file;       /* may be NULL */
	uint64_t offset;  /* HV_NO_OFFSET when not tied to an offset */
	char *msg;        /* one line, no trailing newline */
} hv_finding;

typedef struct {
	hv_finding *v;
	size_t n, cap;
} hv_findings;

void findings_add(hv_findings *f, hv_sev sev, const char *file, uint64_t offset,
		  const char *fmt, ...) __attribute__((format(printf, 5, 6)));
void findings_vadd(hv_findings *f, hv_sev sev, const char *file, uint64_t offset,
		   const char *fmt, va_list ap) __attribute__((format(printf, 5, 0)));
/* Moves every finding of src to the end of dst. */
void findings_move(hv_findings *dst, hv_findings *src);
size_t findings_count(const hv_findings *f, hv_sev min);
void findings_free(hv_findings *f);
/* "file: offset 0x1A2B: message" (or without the parts that are absent). */
char *finding_format(const hv_finding *x);
const char *hv_sev_name(hv_sev s);

#endif
