/* pipeline.c - walk, open, recognise, read: the same for every command. */
#include "model/pipeline.h"

#include <stdlib.h>
#include <string.h>

#include "model/archive.h"
#include "model/walk.h"
#include "util/fileio.h"
#include "util/source.h"
#include "util/strmap.h"
#include "util/xalloc.h"

typedef struct {
	const pipeline_opts *o;
	const char *root;   /* the path given that the current file was found under */
	strmap seen;        /* paths already read (a path given twice is read once) */
	size_t emitted;
	/* archives being walked: their facts wait for the members */
	file_facts *nested;
	size_t nnested, capnested;
} run;

/* A file that could not be used says so on a line of its own, once. */
static void ensure_error_line(file_facts *x)
{
	bool refused = x->cls == EVC_DAMAGED || x->cls == EVC_UNREADABLE ||
		       (x->cls == EVC_SKIPPED && x->status == HV_ERR_LIMIT);
	if (!refused || findings_count(&x->findings, HV_SEV_ERROR))
		return;
	findings_add(&x->findings, HV_SEV_ERROR, x->path, HV_NO_OFFSET, "%s: %s",
		     ev_class_name(x->cls), x->error ? x->error : hv_err_name(x->status));
}

static void emit(run *r, file_facts *x)
{
	ensure_error_line(x);
	x->root = r->root;
	r->o->on_file(r->o->ctx, x);
	facts_free(x);
	r->emitted++;
}

static void progress(run *r, const char *path, uint64_t size)
{
	if (r->o->progress)
		r->o->progress(r->o->progress_ctx, path, size);
}

/* ---- archives ------------------------------------------------------------------------ */

static void arc_file(void *ctx, const char *path, const uint8_t *data, size_t len)
{
	run *r = ctx;
	progress(r, path, len);
	file_facts x;
	facts_init(&x, path, len);
	hv_source *s = src_mem(path, data, len);
	identify_read(s, path, &r->o->id, &x);
	src_close(s);
	emit(r, &x);
}

static size_t arc_nested_begin(void *ctx, const char *path, const uint8_t *data, size_t len,
			       const char *format)
{
	run *r = ctx;
	r->nested = xgrow(r->nested, &r->capnested, r->nnested + 1, sizeof *r->nested);
	file_facts *x = &r->nested[r->nnested];
	facts_init(x, path, len);
	uint8_t dig[32];
	hv_sha256(data, len, dig);
	hv_sha256_hex(dig, x->sha256);
	facts_set(x, EV_ARCHIVE, EVC_USED, "%s archive inside an archive", format);
	return r->nnested++;
}

static void describe_archive(file_facts *x, const arc_result *a)
{
	const format_row *row = identify_row("archive");
	x->format_id = row->id;
	x->format_desc = row->description;
	facts_set(x, EV_ARCHIVE, EVC_USED,
		  "%s archive, %llu entries, %llu members read in memory (%llu bytes)", a->format,
		  (unsigned long long)a->entries, (unsigned long long)a->members,
		  (unsigned long long)a->expanded);
	if (a->status != HV_OK)
		facts_fail(x, a->status == HV_ERR_LIMIT ? EVC_SKIPPED : EVC_DAMAGED, a->status, "%s",
			   a->reason ? a->reason : hv_err_name(a->status));
}

static void arc_nested_end(void *ctx, size_t handle, const arc_result *a)
{
	run *r = ctx;
	describe_archive(&r->nested[handle], a);
	if (handle == r->nnested - 1) { /* nesting is one level: always the last */
		file_facts x = r->nested[--r->nnested];
		emit(r, &x);
	}
}

/* A member that was not read: links and devices, members over a cap, damage. */
static void arc_skipped_member(void *ctx, const arc_skipped *k)
{
	run *r = ctx;
	file_facts x;
	facts_init(&x, k->path, k->size);
	if (k->disk) {
		facts_set(&x, EV_DISK, EVC_SKIPPED, "%s", k->reason);
		facts_fail(&x, EVC_SKIPPED, HV_ERR_LIMIT, "disk image inside an archive, over the "
			   "member cap: not read (extract it and run hvtpm on it)");
	} else if (k->err == HV_OK) {
		facts_set(&x, EV_UNKNOWN, EVC_SKIPPED, "archive member not read");
		facts_fail(&x, EVC_SKIPPED, HV_ERR_UNSUPPORTED, "%s", k->reason);
	} else {
		ev_class c = k->err == HV_ERR_CORRUPT ? EVC_DAMAGED : EVC_SKIPPED;
		facts_set(&x, EV_UNKNOWN, c, "archive member not read");
		facts_fail(&x, c, k->err, "%s", k->reason);
	}
	emit(r, &x);
}

static const arc_sink *sink_of(run *r, arc_sink *s)
{
	s->file = arc_file;
	s->nested_begin = arc_nested_begin;
	s->nested_end = arc_nested_end;
	s->skipped = arc_skipped_member;
	s->ctx = r;
	return s;
}

/* Walks an archive file; false when its bytes are no archive after all. */
static bool read_archive(run *r, hv_source *s, file_facts *x)
{
	arc_sink sink;
	arc_result a;
	memset(&a, 0, sizeof a);
	hv_err rc;
	if (src_mapped(s))
		rc = arc_walk_fd(x->path, src_fd(s), src_size(s), sink_of(r, &sink), &a, &x->findings);
	else
		rc = arc_walk_mem(x->path, src_span(s).data, (size_t)src_size(s), sink_of(r, &sink),
				  &a, &x->findings);
	if (rc == HV_ERR_FORMAT) {
		arc_result_free(&a);
		return false;
	}
	describe_archive(x, &a);
	if (a.hashed)
		memcpy(x->sha256, a.sha256, sizeof x->sha256);
	else
		src_sha256(s, x->sha256, &x->findings);
	arc_result_free(&a);
	return true;
}

/* ---- files ---------------------------------------------------------------------------- */

static void read_file(run *r, const char *path, uint64_t size)
{
	progress(r, path, size);
	file_facts x;
	facts_init(&x, path, size);
	hv_source *s = NULL;
	int flags = r->o->follow_symlinks ? 0 : SRC_NOFOLLOW;
	if (src_open(path, path, flags, &s, &x.findings) != HV_OK) {
		facts_set(&x, EV_UNKNOWN, EVC_UNREADABLE, "could not be read");
		facts_fail(&x, EVC_UNREADABLE, HV_ERR_IO, "%s",
			   x.findings.n ? x.findings.v[x.findings.n - 1].msg : "cannot open");
		emit(r, &x);
		return;
	}
	x.size = src_size(s);
	identify_view v;
	identify_view_of(s, path, &v);
	if (!(identify_is_archive(&v) && read_archive(r, s, &x)))
		identify_read(s, path, &r->o->id, &x);
	src_close(s);
	emit(r, &x);
}

static bool on_walk_file(const char *path, const struct stat *st, const char *root, void *ctx)
{
	run *r = ctx;
	r->root = root;
	if (strmap_get(&r->seen, path) != SIZE_MAX)
		return true;
	strmap_put(&r->seen, xstrdup(path), 1);
	read_file(r, path, (uint64_t)st->st_size);
	return true;
}

static void on_walk_problem(const char *path, walk_problem kind, const char *reason, void *ctx)
{
	run *r = ctx;
	file_facts x;
	facts_init(&x, path, 0);
	r->root = NULL;
	ev_class c = kind == WALK_UNREADABLE ? EVC_UNREADABLE : EVC_SKIPPED;
	facts_set(&x, EV_UNKNOWN, c, "%s", kind == WALK_UNREADABLE ? "could not be read"
								  : "skipped");
	facts_fail(&x, c, kind == WALK_UNREADABLE ? HV_ERR_IO : HV_ERR_UNSUPPORTED, "%s", reason);
	findings_add(&x.findings, kind == WALK_UNREADABLE ? HV_SEV_ERROR : HV_SEV_WARN, path,
		     HV_NO_OFFSET, "%s", reason);
	emit(r, &x);
}

size_t pipeline_run(char *const *paths, size_t n, const pipeline_opts *o)
{
	run r;
	memset(&r, 0, sizeof r);
	r.o = o;
	walk_opts wo = { o->follow_symlinks };
	walk_paths(paths, n, &wo, on_walk_file, on_walk_problem, &r);
	strmap_free(&r.seen);
	free(r.nested);
	return r.emitted;
}

void pipeline_read_path(const char *path, const pipeline_opts *o)
{
	run r;
	memset(&r, 0, sizeof r);
	r.o = o;
	read_file(&r, path, 0);
	free(r.nested);
}
