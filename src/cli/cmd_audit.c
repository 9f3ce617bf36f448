/* cmd_audit.c - hvtpm audit: whole backup trees and archives, every VM, every certificate. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "analysis/eval_windows.h"
#include "analysis/manifest_check.h"
#include "cli/audit_run.h"
#include "cli/cli.h"
#include "cli/diag_common.h"
#include "cli/out_file.h"
#include "model/pipeline.h"
#include "report/audit_report.h"
#include "report/html_report.h"
#include "report/out.h"
#include "report/term.h"
#include "util/exitcode.h"
#include "util/text.h"
#include "util/xalloc.h"

#define PROGRESS_INTERVAL_NS 200000000L  /* progress line redrawn at most 5 times a second */
#define PROGRESS_WIDTH 100               /* columns of the progress line */
#define EVAL_WINDOW 64                   /* VMs whose verdicts are held at a time */

static const char usage_text[] =
	"usage: hvtpm audit [OPTIONS] PATH...\n"
	"\n"
	"Audits whole backup trees before guardian certificates expire: walks the\n"
	"folders and archives given (.zip, .tar, .tar.gz/.bz2/.xz, .7z; members are read\n"
	"in memory, nothing is extracted), finds every VM configuration, guest state\n"
	"file, key protector, PFX/certificate file, guardian XML and disk by content,\n"
	"groups them per VM across the whole tree, and gives each VM the diagnose\n"
	"verdict.  Lists every certificate with the VMs that need it and the files that\n"
	"hold it, and summarises what expires, what cannot be opened, what no VM needs\n"
	"and which VMs depend on a single copy of a key.  The manifest `hvtpm script\n"
	"export` writes is checked: an exported PFX missing, changed (SHA-256) or not\n"
	"opening is reported.\n"
	"\n"
	"The text report opens with one line per VM, worst first.\n"
	"\n"
	"Options:\n"
	"  --at DATE                evaluate certificates at DATE (ISO 8601; default now)\n"
	"  --warn-days N            certificates expiring within N days: expiring (90)\n"
	"  --format FORMAT          text, json, csv, jsonl or html (text)\n"
	"  --table vms|certs        the table --format csv writes (vms)\n"
	"  --verdict LIST           only VMs with these verdicts (comma-separated)\n"
	"  --expiring-before DATE   only VMs whose certificates expire before DATE\n"
	"  --password-file FILE     PFX password candidates, one per line\n"
	"  --ask-password           prompt for a PFX password (no echo)\n"
	"  --try-default-passwords  also try common export-script passwords (P@ssword)\n"
	"  --follow-symlinks        follow symbolic links inside evidence directories\n"
	"  --facts-out FILE         also write what was read to FILE (a new file, not\n"
	"                           inside the evidence), for 'hvtpm merge' elsewhere\n"
	"  --shard LABEL            the facts' shard label (default: the host name)\n"
	"  -q, --quiet              no progress line; only errors on stderr\n"
	"  -h, --help               this help\n"
	"\n"
	"Verdicts: no_vtpm, restorable, restorable_expired, degraded, needs_password,\n"
	"hgs, unknown, rebuild, rebuild_data_loss.  The filters select the VMs\n"
	"reported; the certificate sections cover the whole evidence.  CSV text cells\n"
	"starting with = + - @ TAB CR or ' get a ' in front (formula injection).\n"
	"Long options are never abbreviated.\n"
	"A progress line is drawn on stderr when it is a terminal.  The same evidence\n"
	"and the same --at give the same bytes: generated_at is SOURCE_DATE_EPOCH when\n"
	"set, else the --at date when given, else the current time.\n"
	"Exit status: 0 every VM reported no_vtpm or restorable; 1 attention needed\n"
	"(also: an exported PFX missing, changed or not opening); 2 rebuild; 3 usage\n"
	"error; 4 input error (a file or archive member damaged, unreadable or refused\n"
	"by a cap); 5 internal error (the highest applies).\n";

static const struct option longopts[] = {
	{ "table", required_argument, NULL, OPT_TABLE },
	{ "facts-out", required_argument, NULL, OPT_FACTS_OUT },
	{ "shard", required_argument, NULL, OPT_SHARD },
	DX_COMMON_LONGOPTS,
};

/* ---- progress line ------------------------------------------------------------------- */

typedef struct {
	unsigned long long files, bytes;
	struct timespec start, last;
	bool drawn;
} progress;

static double seconds_between(const struct timespec *a, const struct timespec *b)
{
	return (double)(b->tv_sec - a->tv_sec) + (double)(b->tv_nsec - a->tv_nsec) / 1e9;
}

static void progress_draw(void *ctx, const char *path, uint64_t bytes)
{
	progress *p = ctx;
	p->files++;
	p->bytes += bytes;
	struct timespec now;
	clock_gettime(CLOCK_MONOTONIC, &now);
	if (p->drawn && seconds_between(&p->last, &now) * 1e9 < PROGRESS_INTERVAL_NS)
		return;
	p->last = now;
	p->drawn = true;
	double el = seconds_between(&p->start, &now);
	double mib = (double)p->bytes / (1024.0 * 1024.0);
	char head[96];
	int n = snprintf(head, sizeof head, "audit: %llu files, %.0f MiB, %.0f MiB/s: ", p->files,
			 mib, el > 0 ? mib / el : 0.0);
	size_t room = n > 0 && n + 3 < PROGRESS_WIDTH ? PROGRESS_WIDTH - (size_t)n - 3 : 0;
	char *esc = term_escape(path); /* the path is evidence: escaped for the terminal */
	size_t len = strlen(esc);
	const char *tail = len > room ? esc + len - room : esc;
	while (tail > esc && ((unsigned char)*tail & 0xC0) == 0x80)
		tail--; /* start on a character */
	fputs("\r\033[K", stderr);
	fputs(head, stderr);
	if (tail != esc)
		fputs("...", stderr);
	fputs(tail, stderr);
	fflush(stderr);
	free(esc);
}

static void progress_clear(const progress *p)
{
	if (p->drawn) {
		fputs("\r\033[K", stderr);
		fflush(stderr);
	}
}

/* ---- options ------------------------------------------------------------------------- */

bool audit_parse_table(const char *arg, au_table *t)
{
	if (strcmp(arg, "vms") == 0)
		*t = AU_TABLE_VMS;
	else if (strcmp(arg, "certs") == 0)
		*t = AU_TABLE_CERTS;
	else
		return false;
	return true;
}

/* Returns -1 to go on, else the exit code. */
static int parse_args(int argc, char **argv, audit_opts *o)
{
	int c;
	while ((c = cli_getopt("audit", argc, argv, "qh", longopts)) != -1) {
		int h = dx_opts_parse("audit", &o->dx, c == 'q' ? OPT_QUIET : c, optarg);
		if (h < 0)
			return cli_usage_error("audit");
		if (h > 0)
			continue;
		switch (c) {
		case 'h':
			fputs(usage_text, stdout);
			return HV_EXIT_OK;
		case OPT_FORMAT:
			if (!cli_parse_format("audit", optarg, &o->fmt, true))
				return cli_usage_error("audit");
			break;
		case OPT_FACTS_OUT:
			o->facts_path = optarg;
			break;
		case OPT_SHARD:
			o->dx.shard = optarg;
			break;
		case OPT_TABLE:
			if (!audit_parse_table(optarg, &o->table)) {
				cli_err("audit", "--table wants vms or certs, not '%s'", optarg);
				return cli_usage_error("audit");
			}
			o->table_given = true;
			break;
		default:
			return cli_usage_error("audit");
		}
	}
	if (o->table_given && o->fmt != OUT_CSV) {
		cli_err("audit", "--table applies to --format csv only");
		return cli_usage_error("audit");
	}
	if (o->dx.shard && !o->facts_path) {
		cli_err("audit", "--shard applies to --facts-out only");
		return cli_usage_error("audit");
	}
	if (optind >= argc) {
		cli_err("audit", "no path given");
		return cli_usage_error("audit");
	}
	return -1;
}

/* Where the windows of verdicts go (eval_windows), on the audit's own thread. */
typedef struct {
	const audit_opts *o;
	const evidence *e;
	FILE *out;
	audit_result *a;
	html_audit *html;
	int rc;
} eval_sink;

/* What the judging thread made of one VM of a window (prepare_window). */
typedef struct {
	bool keep;          /* the filter keeps it */
	au_vm row;
	char *text;         /* its JSON element or JSONL line, or NULL */
	size_t len;
} vm_made;

/* On the thread that judged the window: each VM's row and report text. */
static void *prepare_window(void *ctx, const evidence *view, size_t start, const dx_result *r)
{
	const eval_sink *k = ctx;
	const audit_opts *o = k->o;
	vm_made *m = xcalloc(r->nvms + 1, sizeof *m);
	for (size_t i = 0; i < r->nvms; i++) {
		const dx_vm *d = &r->vms[i];
		m[i].keep = vm_filter_keep(&o->dx.filter, &view->vms[d->vm], &d->v);
		if (!m[i].keep)
			continue;
		audit_vm_row(k->a, k->e, start + d->vm, &d->v, &m[i].row);
		if (o->fmt == OUT_JSON)
			m[i].text = audit_json_vm_text(audit_vm_json(view, r, d, &m[i].row),
						       &m[i].len);
		else if (o->fmt == OUT_JSONL)
			m[i].text = audit_jsonl_vm_text(audit_vm_json(view, r, d, &m[i].row),
							&m[i].len);
	}
	return m;
}

/* On the audit's thread, windows in order: rows added, text written. */
static void write_window(void *ctx, const evidence *view, size_t start, const dx_result *r,
			 void *made)
{
	(void)start;
	eval_sink *k = ctx;
	vm_made *m = made;
	for (size_t i = 0; i < r->nvms; i++) {
		if (!m[i].keep)
			continue;
		const dx_vm *d = &r->vms[i];
		int c = verdict_exit_code(d->v.kind);
		if (c > k->rc)
			k->rc = c;
		size_t index = k->a->nvms;
		audit_add_row(k->a, &m[i].row);
		if (k->html)
			html_audit_vm(k->html, view, d);
		if (k->o->fmt == OUT_JSON)
			audit_json_vm_put(k->out, m[i].text, m[i].len, index);
		else if (k->o->fmt == OUT_JSONL)
			fwrite(m[i].text, 1, m[i].len, k->out);
		free(m[i].text);
	}
	free(m);
}

/*
 * Evaluates the VMs a window at a time (eval_windows: dx_evaluate on a view
 * of the evidence that shows only the window's VMs, on helper threads), so
 * that only a few windows' verdicts and plans are held; JSON and JSONL
 * records are made with the verdicts and written in order.  Returns the
 * exit code (as dx_exit_code for all VMs).
 */
static int evaluate(const audit_opts *o, evidence *e, time_t gen, FILE *out, audit_result *a,
		    html_audit *html)
{
	audit_begin(e, o->dx.at, o->dx.warn_days, a);
	a->npasswords = o->dx.npasswords;
	a->filter = &o->dx.filter;
	manifest_check(e, o->dx.npasswords > 0, &a->manifests);
	if (o->fmt == OUT_JSON)
		audit_json_begin(out, gen, o->dx.at, o->dx.warn_days, &o->dx.filter);
	int rc = e->nvms ? HV_EXIT_OK : HV_EXIT_ATTENTION;
	strmap needed = STRMAP_INIT;
	verdict_needed_build(e, &needed); /* every VM's certificates, not only a window's */
	verdict_opts vo = dx_verdict_opts(&o->dx);
	verdict_context vc = dx_verdict_context(&o->dx);
	vc.needed = &needed;
	verdict_lists lists;
	verdict_lists_build(e, &needed, &lists); /* the whole evidence's, like needed */
	vc.lists = &lists;
	eval_sink k = { o, e, out, a, html, rc };
	eval_windows(e, &vo, &vc, gen, EVAL_WINDOW, pipeline_default_threads(), prepare_window,
		     write_window, &k);
	rc = k.rc;
	strmap_free(&needed);
	verdict_lists_free(&lists);
	int mc = mc_exit_code(&a->manifests); /* not filtered: the export is no VM's */
	if (mc > rc)
		rc = mc;
	int ev = evidence_exit_code(e);
	if (ev > rc)
		rc = ev;
	audit_end(e, rc, a);
	return rc;
}

static void write_report(FILE *out, const audit_opts *o, const evidence *e,
			 const audit_result *a)
{
	switch (o->fmt) {
	case OUT_JSON:
		audit_json_end(out, e, a);
		break;
	case OUT_JSONL:
		audit_jsonl_end(out, e, a);
		break;
	case OUT_CSV:
		audit_report_csv(out, e, a, o->table);
		break;
	case OUT_TEXT:
		audit_report_text(out, e, a);
		break;
	case OUT_HTML: /* html_audit_end */
		break;
	}
}

int audit_run(const char *cmd, audit_opts *o, evidence *e, char *const *paths, size_t npaths)
{
	dx_print_findings(cmd, e, &o->dx);
	audit_sort_vms(e);
	audit_result a;
	html_audit *html = o->fmt == OUT_HTML ? html_audit_begin() : NULL;
	html_meta hm = { paths, npaths, dx_generated_at(&o->dx, time(NULL)) };
	int rc = evaluate(o, e, hm.generated_at, stdout, &a, html);
	if (html && !html_audit_end(html, stdout, e, &a, &hm))
		rc = HV_EXIT_INTERNAL;
	write_report(stdout, o, e, &a);
	if (fflush(stdout) != 0 || ferror(stdout))
		rc = HV_EXIT_INTERNAL;
	audit_free(&a);
	return rc;
}

/*
 * --facts-out FILE: a new file (never one that exists, never inside the
 * evidence), with the host name as default label.
 */
static bool open_facts(audit_opts *o, char *const *paths, size_t npaths, char *host,
		       size_t hostlen)
{
	if (!o->facts_path)
		return true;
	if (out_refuse_inside("audit", "--facts-out", o->facts_path, paths, npaths))
		return false;
	if (!(o->dx.facts_out = out_create("audit", o->facts_path)))
		return false;
	if (!o->dx.shard) {
		if (gethostname(host, hostlen - 1) != 0 || !*host)
			snprintf(host, hostlen, "localhost");
		host[hostlen - 1] = '\0';
		o->dx.shard = host;
	}
	return true;
}

int cmd_audit(int argc, char **argv)
{
	audit_opts o;
	memset(&o, 0, sizeof o);
	dx_opts_init(&o.dx);
	int rc = parse_args(argc, argv, &o);
	if (rc >= 0) {
		dx_opts_free(&o.dx);
		return rc;
	}
	char *const *paths = argv + optind;
	size_t npaths = (size_t)(argc - optind);
	out_init_colour(stdout);
	out_init_width(stdout);
	char host[256] = "";
	if (!open_facts(&o, paths, npaths, host, sizeof host)) {
		dx_opts_free(&o.dx);
		return HV_EXIT_USAGE;
	}

	evidence e;
	evidence_init(&e);
	progress prog;
	memset(&prog, 0, sizeof prog);
	clock_gettime(CLOCK_MONOTONIC, &prog.start);
	bool draw = !o.dx.quiet && isatty(STDERR_FILENO);
	bool ok = dx_collect("audit", &o.dx, paths, npaths, &e, draw ? progress_draw : NULL,
			     draw ? &prog : NULL);
	progress_clear(&prog);
	if (o.dx.facts_out && fclose(o.dx.facts_out) != 0 && ok && !o.dx.facts_failed) {
		cli_err("audit", "could not write the facts file: %s", strerror(errno));
		o.dx.facts_failed = true;
	}
	if (!ok) {
		evidence_free(&e);
		dx_opts_free(&o.dx);
		return HV_EXIT_USAGE;
	}
	rc = audit_run("audit", &o, &e, paths, npaths);
	if (o.dx.facts_failed)
		rc = HV_EXIT_INTERNAL;
	evidence_free(&e);
	dx_opts_free(&o.dx);
	return rc;
}
