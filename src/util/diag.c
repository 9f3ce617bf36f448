/* diag.c - findings with file and offset. */
#include "util/diag.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "util/strbuf.h"
#include "util/xalloc.h"

const char *hv_err_code(hv_err e)
{
	switch (e) {
	case HV_OK: return "ok";
	case HV_ERR_IO: return "io";
	case HV_ERR_FORMAT: return "format";
	case HV_ERR_CORRUPT: return "corrupt";
	case HV_ERR_UNSUPPORTED: return "unsupported";
	case HV_ERR_LIMIT: return "limit";
	case HV_ERR_PASSWORD: return "password";
	case HV_ERR_INTERNAL: return "internal";
	}
	return "internal";
}

const char *hv_err_name(hv_err e)
{
	switch (e) {
	case HV_OK: return "ok";
	case HV_ERR_IO: return "unreadable";
	case HV_ERR_FORMAT: return "not recognised";
	case HV_ERR_CORRUPT: return "corrupt";
	case HV_ERR_UNSUPPORTED: return "unsupported";
	case HV_ERR_LIMIT: return "over a size limit";
	case HV_ERR_PASSWORD: return "needs a password";
	case HV_ERR_INTERNAL: return "internal error";
	}
	return "unknown error";
}

const char *hv_sev_name(hv_sev s)
{
	switch (s) {
	case HV_SEV_NOTE: return "note";
	case HV_SEV_WARN: return "warning";
	case HV_SEV_ERROR: return "error";
	}
	return "?";
}

void findings_add(hv_findings *f, hv_sev sev, const char *file, uint64_t offset,
		  const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	findings_vadd(f, sev, file, offset, fmt, ap);
	va_end(ap);
}

void findings_vadd(hv_findings *f, hv_sev sev, const char *file, uint64_t offset,
		   const char *fmt, va_list ap)
{
	f->v = xgrow(f->v, &f->cap, f->n + 1, sizeof *f->v);
	hv_finding *x = &f->v[f->n++];
	strbuf sb = STRBUF_INIT;
	sb_vaddf(&sb, fmt, ap);
	/* A finding is one line: fold any newline that came from evidence. */
	for (size_t i = 0; i < sb.len; i++)
		if (sb.buf[i] == '\n' || sb.buf[i] == '\r')
			sb.buf[i] = ' ';
	x->sev = sev;
	x->file = file ? xstrdup(file) : NULL;
	x->offset = offset;
	x->msg = sb_detach(&sb);
}

void findings_move(hv_findings *dst, hv_findings *src)
{
	for (size_t i = 0; i < src->n; i++) {
		dst->v = xgrow(dst->v, &dst->cap, dst->n + 1, sizeof *dst->v);
		dst->v[dst->n++] = src->v[i];
	}
	free(src->v);
	src->v = NULL;
	src->n = src->cap = 0;
}

size_t findings_count(const hv_findings *f, hv_sev min)
{
	size_t c = 0;
	for (size_t i = 0; i < f->n; i++)
		if (f->v[i].sev >= min)
			c++;
	return c;
}

void findings_free(hv_findings *f)
{
	for (size_t i = 0; i < f->n; i++) {
		free(f->v[i].file);
		free(f->v[i].msg);
	}
	free(f->v);
	f->v = NULL;
	f->n = f->cap = 0;
}

char *finding_format(const hv_finding *x)
{
	strbuf sb = STRBUF_INIT;
	if (x->file)
		sb_addf(&sb, "%s: ", x->file);
	if (x->offset != HV_NO_OFFSET)
		sb_addf(&sb, "offset 0x%llX: ", (unsigned long long)x->offset);
	sb_adds(&sb, x->msg);
	return sb_detach(&sb);
}
