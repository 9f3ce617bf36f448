/*
 * pipeline.c - walk, open, recognise, read: the same for every command, on
 * every core.
 *
 * The walk (this thread) turns each path into a job, in walk order.  Worker
 * threads take jobs in that order and read them (open, hash, identify,
 * readers; an archive's members one after the other); a job's files are
 * handed to on_file here, in this thread, in walk order, so the output is
 * the same whatever the number of threads.  Memory stays bounded: at most
 * PIPE_MAX_INFLIGHT jobs are in flight, and a job that is not the oldest
 * waits once it holds PIPE_MAX_PENDING files nobody has taken yet (a big
 * archive behind another one).  With no worker thread, each job is read as
 * soon as it is walked.
 */
#include "model/pipeline.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "model/archive.h"
#include "model/walk.h"
#include "util/fileio.h"
#include "util/source.h"
#include "util/xalloc.h"

#define PIPE_MAX_INFLIGHT 64   /* jobs walked and not yet handed on */
#define PIPE_MAX_PENDING 256   /* files a job holds before waiting for its turn */
#define PIPE_MAX_THREADS 64

typedef struct run run;

/* One path of the walk and the files reading it produced, in order. */
typedef struct job {
	struct job *next;
	run *r;
	char *path;
	const char *root;        /* the path given it was found under (argv: stable) */
	uint64_t size;
	bool named_link;         /* a symbolic link named on the command line: followed */
	bool problem;            /* the walk could not read it, or skipped it */
	walk_problem kind;
	char *reason;
	file_facts *out;         /* an archive: its members first, then itself */
	size_t nout, capout, taken;
	bool done;
	file_facts *nested;      /* archives inside the archive being walked */
	size_t nnested, capnested;
} job;

struct run {
	const pipeline_opts *o;
	size_t emitted;
	pthread_mutex_t mu;
	pthread_cond_t work;     /* a job to take, or closing */
	pthread_cond_t moved;    /* a job produced a file, finished, or became the oldest */
	job *head, *tail;        /* jobs in walk order, oldest first */
	job *todo;               /* the first job no worker took */
	size_t inflight;
	bool closing;
	pthread_t threads[PIPE_MAX_THREADS];
	size_t nthreads;
};

/* ---- handing files on ---------------------------------------------------------------- */

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

/* In the walking thread: progress, then the caller's callback. */
static void emit(run *r, file_facts *x, const char *root)
{
	ensure_error_line(x);
	x->root = root;
	if (r->o->progress)
		r->o->progress(r->o->progress_ctx, x->path, x->size);
	r->o->on_file(r->o->ctx, x);
	facts_free(x);
	r->emitted++;
}

/* Adds a file to its job (in the job's thread); waits while the job may not hold more. */
static void job_put(job *j, file_facts *x)
{
	run *r = j->r;
	if (r->o->prepare) { /* as emit will hand it on */
		ensure_error_line(x);
		x->root = j->root;
		r->o->prepare(r->o->ctx, x);
	}
	if (!r->nthreads) { /* read in the walking thread: handed on at once */
		emit(r, x, j->root);
		return;
	}
	pthread_mutex_lock(&r->mu);
	while (j != r->head && j->nout - j->taken >= PIPE_MAX_PENDING)
		pthread_cond_wait(&r->moved, &r->mu);
	j->out = xgrow(j->out, &j->capout, j->nout + 1, sizeof *j->out);
	j->out[j->nout++] = *x;
	pthread_cond_broadcast(&r->moved);
	pthread_mutex_unlock(&r->mu);
	memset(x, 0, sizeof *x);
}

/* ---- archives ------------------------------------------------------------------------ */

/*
 * Where the member part of path starts: after "ARCHIVE!", ARCHIVE being the
 * archive the walk is in (the nested one being opened, else the job's).  The
 * structure, not a '!' in the name, says a file is a member.
 */
static size_t member_at(const job *j, const char *path)
{
	const char *arc = j->nnested ? j->nested[j->nnested - 1].path : j->path;
	size_t n = strlen(arc);
	return strncmp(path, arc, n) == 0 && path[n] == '!' ? n + 1 : 0;
}

static void arc_file(void *ctx, const char *path, const uint8_t *data, size_t len)
{
	job *j = ctx;
	file_facts x;
	facts_init(&x, path, len);
	x.member_at = member_at(j, path);
	hv_source *s = src_mem(path, data, len);
	identify_read(s, path, &j->r->o->id, &x);
	src_close(s);
	job_put(j, &x);
}

static size_t arc_nested_begin(void *ctx, const char *path, const uint8_t *data, size_t len,
			       const char *format)
{
	job *j = ctx;
	size_t at = member_at(j, path);
	j->nested = xgrow(j->nested, &j->capnested, j->nnested + 1, sizeof *j->nested);
	file_facts *x = &j->nested[j->nnested];
	facts_init(x, path, len);
	x->member_at = at;
	uint8_t dig[32];
	hv_sha256(data, len, dig);
	hv_sha256_hex(dig, x->sha256);
	facts_set(x, EV_ARCHIVE, EVC_USED, "%s archive inside an archive", format);
	return j->nnested++;
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
	job *j = ctx;
	describe_archive(&j->nested[handle], a);
	if (handle == j->nnested - 1) { /* nesting is one level: always the last */
		file_facts x = j->nested[--j->nnested];
		job_put(j, &x);
	}
}

/* A member that was not read: links and devices, members over a cap, damage. */
static void arc_skipped_member(void *ctx, const arc_skipped *k)
{
	job *j = ctx;
	file_facts x;
	facts_init(&x, k->path, k->size);
	x.member_at = member_at(j, k->path);
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
	job_put(j, &x);
}

/* Walks an archive file; false when its bytes are no archive after all. */
static bool read_archive(job *j, hv_source *s, file_facts *x)
{
	arc_sink sink = { arc_file, arc_nested_begin, arc_nested_end, arc_skipped_member, j };
	arc_result a;
	memset(&a, 0, sizeof a);
	hv_err rc;
	if (src_mapped(s))
		rc = arc_walk_fd(x->path, src_fd(s), src_size(s), &sink, &a, &x->findings);
	else
		rc = arc_walk_mem(x->path, src_span(s).data, (size_t)src_size(s), &sink, &a,
				  &x->findings);
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

/* ---- one job -------------------------------------------------------------------------- */

static void read_problem(job *j)
{
	file_facts x;
	facts_init(&x, j->path, 0);
	ev_class c = j->kind == WALK_UNREADABLE ? EVC_UNREADABLE : EVC_SKIPPED;
	facts_set(&x, EV_UNKNOWN, c, "%s", j->kind == WALK_UNREADABLE ? "could not be read"
								     : "skipped");
	facts_fail(&x, c, j->kind == WALK_UNREADABLE ? HV_ERR_IO : HV_ERR_UNSUPPORTED, "%s",
		   j->reason);
	findings_add(&x.findings, j->kind == WALK_UNREADABLE ? HV_SEV_ERROR : HV_SEV_WARN, j->path,
		     HV_NO_OFFSET, "%s", j->reason);
	job_put(j, &x);
}

static void read_file(job *j)
{
	const pipeline_opts *o = j->r->o;
	file_facts x;
	facts_init(&x, j->path, j->size);
	hv_source *s = NULL;
	int flags = o->follow_symlinks || j->named_link ? 0 : SRC_NOFOLLOW;
	if (j->named_link)
		findings_add(&x.findings, HV_SEV_NOTE, j->path, HV_NO_OFFSET,
			     "a symbolic link named on the command line: followed to the file it "
			     "points at, which is what was read");
	if (src_open(j->path, j->path, flags, &s, &x.findings) != HV_OK) {
		facts_set(&x, EV_UNKNOWN, EVC_UNREADABLE, "could not be read");
		facts_fail(&x, EVC_UNREADABLE, HV_ERR_IO, "%s",
			   x.findings.n ? x.findings.v[x.findings.n - 1].msg : "cannot open");
		job_put(j, &x);
		return;
	}
	x.size = src_size(s);
	identify_view v;
	identify_view_of(s, j->path, &v);
	if (!(identify_is_archive(&v) && read_archive(j, s, &x)))
		identify_read(s, j->path, &o->id, &x);
	src_close(s);
	job_put(j, &x);
}

static void run_job(job *j)
{
	if (j->problem)
		read_problem(j);
	else
		read_file(j);
}

static void job_free(job *j)
{
	for (size_t i = j->taken; i < j->nout; i++)
		facts_free(&j->out[i]);
	free(j->out);
	free(j->nested);
	free(j->path);
	free(j->reason);
	free(j);
}

/* ---- threads -------------------------------------------------------------------------- */

static void *worker(void *arg)
{
	run *r = arg;
	pthread_mutex_lock(&r->mu);
	for (;;) {
		while (!r->todo && !r->closing)
			pthread_cond_wait(&r->work, &r->mu);
		job *j = r->todo;
		if (!j)
			break;
		r->todo = j->next;
		pthread_mutex_unlock(&r->mu);
		run_job(j);
		pthread_mutex_lock(&r->mu);
		j->done = true;
		pthread_cond_broadcast(&r->moved);
	}
	pthread_mutex_unlock(&r->mu);
	return NULL;
}

/*
 * Hands on the files of the oldest jobs, in order, freeing finished jobs.
 * all: until every job is done; otherwise until fewer than
 * PIPE_MAX_INFLIGHT jobs are in flight.
 */
static void hand_on(run *r, bool all)
{
	pthread_mutex_lock(&r->mu);
	for (job *j; (j = r->head);) {
		if (j->taken < j->nout) {
			file_facts x = j->out[j->taken];
			memset(&j->out[j->taken++], 0, sizeof x);
			pthread_mutex_unlock(&r->mu);
			emit(r, &x, j->root);
			pthread_mutex_lock(&r->mu);
			continue;
		}
		if (j->done) {
			r->head = j->next;
			if (!r->head)
				r->tail = NULL;
			r->inflight--;
			job_free(j);
			pthread_cond_broadcast(&r->moved); /* the next job is the oldest now */
			continue;
		}
		if (!all && r->inflight < PIPE_MAX_INFLIGHT)
			break;
		pthread_cond_wait(&r->moved, &r->mu);
	}
	pthread_mutex_unlock(&r->mu);
}

static void submit(run *r, job *j)
{
	j->r = r;
	if (!r->nthreads) {
		run_job(j);
		job_free(j);
		return;
	}
	pthread_mutex_lock(&r->mu);
	if (r->tail)
		r->tail->next = j;
	else
		r->head = j;
	r->tail = j;
	if (!r->todo)
		r->todo = j;
	r->inflight++;
	pthread_cond_signal(&r->work);
	pthread_mutex_unlock(&r->mu);
	hand_on(r, false);
}

/* ---- the walk ------------------------------------------------------------------------- */

static bool on_walk_file(const char *path, const struct stat *st, const char *root,
			 bool named_link, void *ctx)
{
	run *r = ctx;
	job *j = xcalloc(1, sizeof *j);
	j->path = xstrdup(path);
	j->root = root;
	j->size = (uint64_t)st->st_size;
	j->named_link = named_link;
	submit(r, j);
	return true;
}

static void on_walk_problem(const char *path, walk_problem kind, const char *reason, void *ctx)
{
	job *j = xcalloc(1, sizeof *j);
	j->path = xstrdup(path);
	j->problem = true;
	j->kind = kind;
	j->reason = xstrdup(reason);
	submit(ctx, j);
}

static void start(run *r, const pipeline_opts *o)
{
	memset(r, 0, sizeof *r);
	r->o = o;
	pthread_mutex_init(&r->mu, NULL);
	pthread_cond_init(&r->work, NULL);
	pthread_cond_init(&r->moved, NULL);
	unsigned want = o->threads > PIPE_MAX_THREADS ? PIPE_MAX_THREADS : o->threads;
	/* cppcheck-suppress knownConditionTrueFalse ; 0 only for pipeline_read_path */
	for (unsigned i = 0; i < want; i++)
		if (pthread_create(&r->threads[r->nthreads], NULL, worker, r) == 0)
			r->nthreads++;
}

static void finish(run *r)
{
	if (r->nthreads)
		hand_on(r, true);
	pthread_mutex_lock(&r->mu);
	r->closing = true;
	pthread_cond_broadcast(&r->work);
	pthread_mutex_unlock(&r->mu);
	for (size_t i = 0; i < r->nthreads; i++)
		pthread_join(r->threads[i], NULL);
	pthread_mutex_destroy(&r->mu);
	pthread_cond_destroy(&r->work);
	pthread_cond_destroy(&r->moved);
}

size_t pipeline_run(char *const *paths, size_t n, const pipeline_opts *o)
{
	run r;
	start(&r, o);
	walk_opts wo = { o->follow_symlinks };
	walk_paths(paths, n, &wo, on_walk_file, on_walk_problem, &r);
	finish(&r);
	return r.emitted;
}

void pipeline_read_path(const char *path, const pipeline_opts *o)
{
	pipeline_opts one = *o;
	one.threads = 0;
	run r;
	start(&r, &one);
	job *j = xcalloc(1, sizeof *j);
	j->path = xstrdup(path);
	submit(&r, j);
	finish(&r);
}

unsigned pipeline_default_threads(void)
{
	const char *e = getenv("HVTPM_THREADS");
	if (e && *e) {
		char *end;
		unsigned long v = strtoul(e, &end, 10);
		if (!*end && v <= PIPE_MAX_THREADS)
			return (unsigned)v;
	}
	long n = sysconf(_SC_NPROCESSORS_ONLN);
	return n > 1 ? (unsigned)(n > PIPE_MAX_THREADS ? PIPE_MAX_THREADS : n) : 0;
}
