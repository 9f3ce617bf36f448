/* html_report.c - the audit and the diagnose result as one self-contained HTML page. */
#include "report/html_report.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "analysis/survive.h"
#include "report/html_assets.h"
#include "report/html_escape.h"
#include "report/manifest_report.h"
#include "util/strbuf.h"
#include "util/text.h"
#include "util/xalloc.h"

#define LIST_CAP 20            /* VMs or files listed in one table cell */
#define PATHS_CAP 50           /* command-line paths listed in the header */
#define ALERT_CAP 50           /* certificates named in the expiry callout */
#define NO_DAYS 2147483647L    /* sort key of a VM without a certificate date */
#define DAY_SECS 86400L

/* ---- the page and its parts ---------------------------------------------------------- */

typedef struct {
	FILE *o;
	const evidence *e;
	const audit_result *a;
	const html_meta *m;
	const char *cmd;         /* "audit" or "diagnose" */
	size_t *order;           /* a->vms indexes, worst first */
	size_t *row_of;          /* evidence.vms index -> a->vms index (SIZE_MAX: not shown) */
	bool filtered;           /* some VMs of the evidence are not in the page */
	bool (*details)(void *ctx, FILE *o, size_t row);
	void *ctx;
} page;

static void esc(FILE *o, const char *s)
{
	html_escape_put(o, s);
}

/* s, or the note dflt when s is NULL or empty. */
static void esc_or(FILE *o, const char *s, const char *dflt)
{
	if (s && *s) {
		esc(o, s);
		return;
	}
	fputs("<span class=\"note\">", o);
	esc(o, dflt);
	fputs("</span>", o);
}

static void iso(time_t t, char out[32])
{
	time_to_iso(t, out);
}

/* "YYYY-MM-DD" of an ISO date-time. */
static void put_date(FILE *o, const char *iso_dt)
{
	fprintf(o, "<span class=\"nw\">%.10s</span>", iso_dt);
}

/* ---- verdicts ------------------------------------------------------------------------ */

static const char *verdict_meaning(verdict_kind k)
{
	switch (k) {
	case V_NO_VTPM: return "no vTPM: restore as usual";
	case V_RESTORABLE: return "restore with the certificates at hand";
	case V_RESTORABLE_EXPIRED: return "restores; a certificate has expired or soon will";
	case V_DEGRADED: return "one of the two private keys is missing";
	case V_NEEDS_PASSWORD: return "a PFX file could not be opened";
	case V_HGS: return "needs its Host Guardian Service";
	case V_UNKNOWN: return "no key protector found";
	case V_REBUILD: return "rebuild the VM, re-key BitLocker";
	case V_REBUILD_DATA_LOSS: return "rebuild; a TPM-only disk is lost";
	}
	return "";
}

/* Severity words and symbols: they keep the meaning without colour. */
static const char *group_word(int g)
{
	return g == 0 ? "fine" : g == 1 ? "attention" : "rebuild";
}

static const char *group_symbol(int g)
{
	return g == 0 ? "\xE2\x9C\x93" : g == 1 ? "!" : "\xE2\x9C\x95"; /* check mark, !, cross */
}

static void badge(FILE *o, verdict_kind k)
{
	int g = verdict_exit_code(k);
	fprintf(o, "<span class=\"badge g%d k%d\">%s ", g, (int)k, group_symbol(g));
	esc(o, verdict_name(k));
	fputs("</span>", o);
}

static const char *exit_meaning(int code)
{
	switch (code) {
	case 0: return "every VM no-vtpm or restorable";
	case 1: return "attention needed";
	case 2: return "at least one VM must be rebuilt";
	case 4: return "input error: some evidence is damaged, unreadable or refused";
	default: return "internal error";
	}
}

/* ---- certificates -------------------------------------------------------------------- */

static const char *cert_label(const hv_cert *c)
{
	if (c->host && *c->host)
		return c->host;
	return c->guardian && *c->guardian ? c->guardian : c->subject;
}

static bool cert_hot(const au_cert *c)
{
	return c->expired || c->expiring;
}

static void cert_status_badge(FILE *o, const au_cert *c)
{
	if (c->expired)
		fputs("<span class=\"badge g2\">\xE2\x9C\x95 expired</span>", o);
	else if (c->expiring)
		fputs("<span class=\"badge g1\">! expiring</span>", o);
	else if (c->not_yet_valid)
		fputs("<span class=\"badge g1\">! not yet valid</span>", o);
	else
		fputs("<span class=\"badge g0\">\xE2\x9C\x93 valid</span>", o);
}

static const char *cert_status_word(const au_cert *c)
{
	if (c->expired)
		return "expired";
	if (c->expiring)
		return "expiring";
	return c->not_yet_valid ? "not yet valid" : "valid";
}

/* A certificate some VM of the page needs. */
static bool cert_needed(const page *p, const au_cert *c)
{
	for (size_t i = 0; i < c->nvms; i++)
		if (p->row_of[c->vms[i]] != SIZE_MAX)
			return true;
	return false;
}

/* In the certificate table: needed by a VM of the page, or (unfiltered) held by the evidence. */
static bool cert_listed(const page *p, const au_cert *c)
{
	return cert_needed(p, c) || (!p->filtered && !c->nvms);
}

/* ---- ordering ------------------------------------------------------------------------ */

static int cmp_worst(const void *x, const void *y, void *ctx)
{
	const page *p = ctx;
	const au_vm *a = &p->a->vms[*(const size_t *)x], *b = &p->a->vms[*(const size_t *)y];
	if (a->kind != b->kind)
		return a->kind > b->kind ? -1 : 1;
	long da = a->first_not_after ? a->days_left : NO_DAYS;
	long db = b->first_not_after ? b->days_left : NO_DAYS;
	if (da != db)
		return da < db ? -1 : 1;
	int c = strcmp(p->e->vms[a->vm].id, p->e->vms[b->vm].id);
	if (c)
		return c;
	return (*(const size_t *)x > *(const size_t *)y) - (*(const size_t *)x < *(const size_t *)y);
}

static void page_init(page *p, FILE *o, const evidence *e, const audit_result *a,
		      const html_meta *m, const char *cmd)
{
	memset(p, 0, sizeof *p);
	p->o = o;
	p->e = e;
	p->a = a;
	p->m = m;
	p->cmd = cmd;
	p->order = xcalloc(a->nvms + 1, sizeof *p->order);
	for (size_t i = 0; i < a->nvms; i++)
		p->order[i] = i;
	if (a->nvms > 1)
		qsort_r(p->order, a->nvms, sizeof *p->order, cmp_worst, p);
	p->row_of = xcalloc(e->nvms + 1, sizeof *p->row_of);
	for (size_t i = 0; i < e->nvms; i++)
		p->row_of[i] = SIZE_MAX;
	for (size_t i = 0; i < a->nvms; i++)
		p->row_of[a->vms[i].vm] = i;
	p->filtered = a->nvms < e->nvms;
}

static void page_free(page *p)
{
	free(p->order);
	free(p->row_of);
}

/* ---- head and header ----------------------------------------------------------------- */

static void write_head(const page *p)
{
	FILE *o = p->o;
	char at[32];
	iso(p->a->evaluated_at, at);
	fputs("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\"/>\n", o);
	fprintf(o, "<meta http-equiv=\"Content-Security-Policy\" content=\"%s\"/>\n", html_csp());
	fputs("<meta name=\"referrer\" content=\"no-referrer\"/>\n"
	      "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"/>\n"
	      "<meta name=\"color-scheme\" content=\"light\"/>\n"
	      "<meta name=\"generator\" content=\"hvtpm " HVTPM_VERSION "\"/>\n", o);
	fprintf(o, "<title>hvtpm %s: %zu VM%s, evaluated at %.10s</title>\n", p->cmd, p->a->nvms,
		p->a->nvms == 1 ? "" : "s", at);
	fprintf(o, "<style>%s</style>\n</head>\n<body>\n", html_css);
}

static void write_tiles(const page *p)
{
	FILE *o = p->o;
	fputs("<ul class=\"tiles\" aria-label=\"VMs per verdict\">\n", o);
	for (int k = V_REBUILD_DATA_LOSS; k >= 0; k--) { /* worst first, as the table */
		verdict_kind v = (verdict_kind)k;
		int g = verdict_exit_code(v);
		size_t n = p->a->counts[k];
		fprintf(o, "<li class=\"tile g%d k%d%s\" data-verdict=\"", g, k, n ? "" : " zero");
		esc(o, verdict_name(v));
		fprintf(o, "\" data-count=\"%zu\"><span class=\"n\">%zu</span><span class=\"l\">", n, n);
		esc(o, verdict_name(v));
		fprintf(o, "</span><span class=\"d\">%s</span><span class=\"s\">%s %s</span></li>\n",
			verdict_meaning(v), group_symbol(g), group_word(g));
	}
	fputs("</ul>\n", o);
}

static void write_paths(const page *p)
{
	FILE *o = p->o;
	for (size_t i = 0; i < p->m->npaths && i < PATHS_CAP; i++) {
		fputs(i ? ", <code>" : "<code>", o);
		esc(o, p->m->paths[i]);
		fputs("</code>", o);
	}
	if (p->m->npaths > PATHS_CAP)
		fprintf(o, " and %zu more", p->m->npaths - PATHS_CAP);
	if (!p->m->npaths)
		fputs("<span class=\"note\">none</span>", o);
}

static void write_header(const page *p)
{
	FILE *o = p->o;
	const audit_result *a = p->a;
	const evidence *e = p->e;
	char at[32], gen[32], until[32];
	iso(a->evaluated_at, at);
	iso(p->m->generated_at, gen);
	iso(a->evaluated_at + (time_t)a->warn_days * DAY_SECS, until);
	fprintf(o, "<header>\n<h1>hvtpm %s report: %zu VM%s</h1>\n<dl class=\"meta\">\n", p->cmd,
		a->nvms, a->nvms == 1 ? "" : "s");
	fputs("<dt>Evidence given</dt><dd>", o);
	write_paths(p);
	fprintf(o, "</dd>\n<dt>Evaluated at (--at)</dt><dd id=\"evaluated-at\">%s</dd>\n", at);
	fprintf(o, "<dt>Warn window</dt><dd>%d days, until %.10s</dd>\n", a->warn_days, until);
	fprintf(o, "<dt>Generated</dt><dd>%s by hvtpm " HVTPM_VERSION "</dd>\n", gen);
	fprintf(o, "<dt>Evidence files</dt><dd>%zu:", e->nfiles);
	for (int c = 0; c < EVC_COUNT; c++)
		fprintf(o, "%s %zu %s", c ? "," : "", e->nclass[c], ev_class_name((ev_class)c));
	size_t needed = 0;
	for (size_t i = 0; i < a->ncerts; i++)
		needed += cert_needed(p, &a->certs[i]);
	fprintf(o, "</dd>\n<dt>Certificates</dt><dd>%zu distinct, %zu needed by %s</dd>\n",
		a->ncerts, needed, p->filtered ? "the VMs shown" : "some VM");
	fprintf(o, "<dt>Exit status</dt><dd id=\"exit-status\">%d: %s</dd>\n</dl>\n", a->exit_code,
		exit_meaning(a->exit_code));
	write_tiles(p);
	fputs("<nav aria-label=\"Sections\"><ul>"
	      "<li><a href=\"#timeline\">Expiry timeline</a></li>"
	      "<li><a href=\"#vms\">VMs</a></li>"
	      "<li><a href=\"#reasons\">Reasons and plans</a></li>"
	      "<li><a href=\"#certificates\">Certificates</a></li>", o);
	if (a->manifests.nm)
		fputs("<li><a href=\"#manifests\">Export manifests</a></li>", o);
	fputs("<li><a href=\"#evidence\">Evidence</a></li></ul></nav>\n</header>\n", o);
}

/* Links to a VM's details: its name, or its id when it has none. */
static void vm_link(const page *p, size_t vm)
{
	FILE *o = p->o;
	const ev_vm *v = &p->e->vms[vm];
	size_t row = p->row_of[vm];
	if (row != SIZE_MAX)
		fprintf(o, "<a href=\"#vm-%zu\">", row);
	esc(o, v->name && *v->name ? v->name : v->id);
	if (row != SIZE_MAX)
		fputs("</a>", o);
}

static void write_alert(const page *p)
{
	FILE *o = p->o;
	const audit_result *a = p->a;
	size_t n = 0;
	for (size_t i = 0; i < a->nexpiring; i++)
		n += cert_listed(p, &a->certs[a->expiring[i]]);
	if (!n) {
		fprintf(o, "<p id=\"no-expiry\">No certificate expires within %d days of the "
			   "evaluation date.</p>\n", a->warn_days);
		return;
	}
	fprintf(o, "<section class=\"alert\" id=\"expiry\" aria-labelledby=\"h-expiry\">\n"
		   "<h2 id=\"h-expiry\">\xE2\x9A\xA0 %zu certificate%s expired or expiring within "
		   "%d days</h2>\n<ul>\n", n, n == 1 ? "" : "s", a->warn_days);
	size_t shown = 0;
	for (size_t i = 0; i < a->nexpiring && shown < ALERT_CAP; i++) {
		const au_cert *c = &a->certs[a->expiring[i]];
		if (!cert_listed(p, c))
			continue;
		shown++;
		fputs("<li><b>", o);
		esc(o, cert_label(c->cert));
		fputs("</b> ", o);
		esc(o, c->role);
		fputs(" certificate <code>", o);
		esc(o, c->cert->thumbprint);
		fputs("</code>: ", o);
		if (c->expired)
			fprintf(o, "<b>expired %.10s</b>, %ld days ago", c->cert->not_after_iso,
				-c->days_left);
		else
			fprintf(o, "<b>expires %.10s</b>, in %ld days", c->cert->not_after_iso,
				c->days_left);
		if (!c->nvms) {
			fputs("; no VM needs it", o);
		} else {
			fprintf(o, "; needed by %zu VM%s: ", c->nvms, c->nvms == 1 ? "" : "s");
			for (size_t j = 0; j < c->nvms && j < LIST_CAP; j++) {
				if (j)
					fputs(", ", o);
				vm_link(p, c->vms[j]);
			}
			if (c->nvms > LIST_CAP)
				fprintf(o, " and %zu more", c->nvms - LIST_CAP);
		}
		fputs("</li>\n", o);
	}
	if (n > shown)
		fprintf(o, "<li>and %zu more in the certificate table</li>\n", n - shown);
	fputs("</ul>\n<p class=\"note\">A VM whose certificates have expired still starts; "
	      "enabling a vTPM or changing its key protector fails. Keep the old certificates "
	      "with their private keys while any VM depends on them.</p>\n</section>\n", o);
}

static void write_facts(const page *p)
{
	FILE *o = p->o;
	const audit_result *a = p->a;
	size_t single = a->nsingle, unneeded = a->nunneeded;
	fputs("<ul class=\"facts\">\n", o);
	fprintf(o, "<li id=\"fact-single\">%zu VM%s depend%s on a private key held in one file "
		   "only: keep a second copy (<a href=\"#certificates\">certificates</a>)</li>\n",
		single, single == 1 ? "" : "s", single == 1 ? "s" : "");
	fprintf(o, "<li id=\"fact-pfx\">%zu PFX file%s could not be opened "
		   "(<a href=\"#evidence\">evidence</a>)</li>\n", a->npfx_failed,
		a->npfx_failed == 1 ? "" : "s");
	if (!p->filtered)
		fprintf(o, "<li id=\"fact-unneeded\">%zu certificate%s held that no VM needs</li>\n",
			unneeded, unneeded == 1 ? " is" : "s are");
	if (a->manifests.nm)
		fprintf(o, "<li id=\"fact-manifests\">%zu exported certificate%s of %zu export "
			   "manifest%s missing, changed or not opening (<a href=\"#manifests\">export "
			   "manifests</a>)</li>\n", a->manifests.bad, a->manifests.bad == 1 ? "" : "s",
			a->manifests.nm, a->manifests.nm == 1 ? "" : "s");
	fprintf(o, "<li id=\"fact-errors\">%zu evidence file%s with errors</li>\n</ul>\n",
		a->nfile_errors, a->nfile_errors == 1 ? "" : "s");
}

/* ---- the timeline -------------------------------------------------------------------- */

#define TL_W 1000
#define TL_LABEL 232           /* the label column */
#define TL_RIGHT 112           /* room after the latest date for an end label */
#define TL_TOP 34
#define TL_ROW 20
#define TL_MAX_BARS 400
#define TL_CLAMP_YEARS 40      /* the axis spans at most this many years around --at */
#define TL_LABEL_CHARS 30

typedef struct {
	time_t t0, t1;
} tl_axis;

static time_t year_start(int year)
{
	struct tm tm;
	memset(&tm, 0, sizeof tm);
	tm.tm_year = year - 1900;
	tm.tm_mday = 1;
	return timegm(&tm);
}

static int year_of(time_t t)
{
	struct tm tm;
	gmtime_r(&t, &tm);
	return tm.tm_year + 1900;
}

static double tl_x(const tl_axis *ax, time_t t)
{
	if (t < ax->t0)
		t = ax->t0;
	if (t > ax->t1)
		t = ax->t1;
	return TL_LABEL + (double)(t - ax->t0) / (double)(ax->t1 - ax->t0) *
				  (TL_W - TL_LABEL - TL_RIGHT);
}

static void tl_defs(FILE *o)
{
	fputs("<defs>\n"
	      "<pattern id=\"p-soon\" patternUnits=\"userSpaceOnUse\" width=\"6\" height=\"6\" "
	      "patternTransform=\"rotate(45)\"><rect width=\"6\" height=\"6\" fill=\"#ffd24d\"/>"
	      "<rect width=\"2.5\" height=\"6\" fill=\"#8a5a00\"/></pattern>\n"
	      "<pattern id=\"p-exp\" patternUnits=\"userSpaceOnUse\" width=\"6\" height=\"6\">"
	      "<rect width=\"6\" height=\"6\" fill=\"#b42318\"/>"
	      "<path d=\"M0 0L6 6M6 0L0 6\" stroke=\"#fff\" stroke-width=\"1.3\"/></pattern>\n"
	      "<pattern id=\"p-warn\" patternUnits=\"userSpaceOnUse\" width=\"8\" height=\"8\" "
	      "patternTransform=\"rotate(-45)\"><rect width=\"8\" height=\"8\" fill=\"#fff3cd\"/>"
	      "<rect width=\"1.5\" height=\"8\" fill=\"#e0b54a\"/></pattern>\n"
	      "</defs>\n", o);
}

static const char *bar_fill(const au_cert *c)
{
	if (c->expired)
		return "fill=\"url(#p-exp)\" stroke=\"#5c0f08\"";
	if (c->expiring)
		return "fill=\"url(#p-soon)\" stroke=\"#5c3b00\"";
	return c->not_yet_valid ? "class=\"b-nyv\"" : "class=\"b-ok\"";
}

static void tl_axis_for(const page *p, const size_t *bars, size_t n, tl_axis *ax)
{
	const audit_result *a = p->a;
	time_t at = a->evaluated_at, lo = at, hi = at + (time_t)a->warn_days * DAY_SECS;
	for (size_t i = 0; i < n; i++) {
		const hv_cert *c = a->certs[bars[i]].cert;
		if (c->not_before < lo)
			lo = c->not_before;
		if (c->not_after > hi)
			hi = c->not_after;
	}
	int y0 = year_of(lo), y1 = year_of(hi) + 1, ya = year_of(at);
	if (y0 < ya - TL_CLAMP_YEARS)
		y0 = ya - TL_CLAMP_YEARS;
	if (y1 > ya + TL_CLAMP_YEARS)
		y1 = ya + TL_CLAMP_YEARS;
	ax->t0 = year_start(y0);
	ax->t1 = year_start(y1);
}

static void tl_ticks(FILE *o, const tl_axis *ax, int height)
{
	int y0 = year_of(ax->t0), y1 = year_of(ax->t1), span = y1 - y0;
	int step = span <= 16 ? 1 : span <= 40 ? 2 : span <= 80 ? 5 : 10;
	fputs("<g class=\"axis\">\n", o);
	for (int y = y0; y <= y1; y++) {
		double x = tl_x(ax, year_start(y));
		fprintf(o, "<line class=\"tick\" x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" y2=\"%d\"/>", x,
			TL_TOP - 8, x, height - 20);
		if (y % step == 0 && y < y1)
			fprintf(o, "<text x=\"%.1f\" y=\"%d\">%d</text>", x + 3, TL_TOP - 12, y);
		fputc('\n', o);
	}
	fputs("</g>\n", o);
}

static void tl_bar(const page *p, const tl_axis *ax, const au_cert *c, size_t row)
{
	FILE *o = p->o;
	int y = TL_TOP + (int)row * TL_ROW;
	bool hot = cert_hot(c);
	fputs("<g class=\"bar\" data-status=\"", o);
	fputs(cert_status_word(c), o);
	fputs("\"><title>", o);
	esc(o, cert_label(c->cert));
	fputc(' ', o);
	esc(o, c->role);
	fputs(" certificate ", o);
	esc(o, c->cert->thumbprint);
	fprintf(o, ": valid %.10s to %.10s, %ld days left (%s), needed by %zu VM%s</title>\n",
		c->cert->not_before_iso, c->cert->not_after_iso, c->days_left, cert_status_word(c),
		c->nvms, c->nvms == 1 ? "" : "s");
	char *label = html_truncate(cert_label(c->cert), TL_LABEL_CHARS - 12);
	fprintf(o, "<text x=\"%d\" y=\"%d\" text-anchor=\"end\"%s>", TL_LABEL - 8, y + 14,
		hot ? " class=\"hl\"" : "");
	esc(o, label);
	fputs(" \xC2\xB7 ", o); /* middle dot */
	esc(o, c->role);
	fputs("</text>\n", o);
	free(label);
	double x0 = tl_x(ax, c->cert->not_before), x1 = tl_x(ax, c->cert->not_after);
	fprintf(o, "<rect x=\"%.1f\" y=\"%d\" width=\"%.1f\" height=\"12\" rx=\"2\" %s/>\n", x0,
		y + 4, x1 - x0 < 1 ? 1.0 : x1 - x0, bar_fill(c));
	if (hot)
		fprintf(o, "<text class=\"hl\" x=\"%.1f\" y=\"%d\">\xE2\x9A\xA0 %.10s</text>\n",
			x1 + 4, y + 14, c->cert->not_after_iso);
	fputs("</g>\n", o);
}

static void tl_legend(FILE *o, int warn_days)
{
	static const char *const sw[] = {
		"<rect width=\"28\" height=\"12\" rx=\"2\" class=\"b-ok\"/>",
		"<rect width=\"28\" height=\"12\" rx=\"2\" fill=\"url(#p-soon)\" stroke=\"#5c3b00\"/>",
		"<rect width=\"28\" height=\"12\" rx=\"2\" fill=\"url(#p-exp)\" stroke=\"#5c0f08\"/>",
		"<rect width=\"28\" height=\"12\" rx=\"2\" class=\"b-nyv\"/>",
		"<line x1=\"14\" y1=\"0\" x2=\"14\" y2=\"12\" class=\"at\"/>",
		"<rect width=\"28\" height=\"12\" fill=\"url(#p-warn)\"/>",
	};
	fputs("<ul class=\"legend\" aria-label=\"Legend\">\n", o);
	for (size_t i = 0; i < sizeof sw / sizeof *sw; i++) {
		fprintf(o, "<li><svg width=\"28\" height=\"12\" aria-hidden=\"true\">%s</svg> ", sw[i]);
		switch (i) {
		case 0: fputs("valid", o); break;
		case 1: fprintf(o, "expiring within %d days (hatched)", warn_days); break;
		case 2: fputs("expired (cross-hatched)", o); break;
		case 3: fputs("not yet valid (outline)", o); break;
		case 4: fputs("evaluation date (--at)", o); break;
		default: fprintf(o, "warn window (%d days)", warn_days); break;
		}
		fputs("</li>\n", o);
	}
	fputs("</ul>\n", o);
}

static void write_timeline(const page *p)
{
	FILE *o = p->o;
	const audit_result *a = p->a;
	fputs("<section id=\"timeline\" aria-labelledby=\"h-timeline\">\n"
	      "<h2 id=\"h-timeline\">Certificate expiry timeline</h2>\n", o);
	size_t *bars = xcalloc(a->ncerts + 1, sizeof *bars), n = 0, more = 0;
	for (size_t i = 0; i < a->ncerts; i++) {
		if (!cert_needed(p, &a->certs[i]))
			continue;
		if (n < TL_MAX_BARS)
			bars[n++] = i;
		else
			more++;
	}
	if (!n) {
		fputs("<p>No VM depends on a certificate.</p>\n</section>\n", o);
		free(bars);
		return;
	}
	tl_axis ax;
	tl_axis_for(p, bars, n, &ax);
	int height = TL_TOP + (int)n * TL_ROW + 26;
	char at[32];
	iso(a->evaluated_at, at);
	fprintf(o, "<figure>\n<svg class=\"timeline\" viewBox=\"0 0 %d %d\" role=\"img\" "
		   "aria-labelledby=\"tl-title tl-desc\">\n<title id=\"tl-title\">Validity of the "
		   "%zu certificate%s the VMs depend on</title>\n<desc id=\"tl-desc\">One bar per "
		   "certificate from notBefore to notAfter, earliest expiry at the top. The dashed "
		   "line is the evaluation date %.10s; the hatched band after it is the %d-day warn "
		   "window.</desc>\n", TL_W, height, n, n == 1 ? "" : "s", at, a->warn_days);
	tl_defs(o);
	for (size_t i = 0; i < n; i++) /* the rows of expired and expiring certificates */
		if (cert_hot(&a->certs[bars[i]]))
			fprintf(o, "<rect class=\"rowhl\" x=\"0\" y=\"%d\" width=\"%d\" "
				   "height=\"%d\"/>\n", TL_TOP + (int)i * TL_ROW, TL_W, TL_ROW);
	double xa = tl_x(&ax, a->evaluated_at);
	double xw = tl_x(&ax, a->evaluated_at + (time_t)a->warn_days * DAY_SECS);
	fprintf(o, "<rect x=\"%.1f\" y=\"%d\" width=\"%.1f\" height=\"%d\" "
		   "fill=\"url(#p-warn)\" opacity=\"0.85\"/>\n",
		xa, TL_TOP - 6, xw - xa < 1 ? 1.0 : xw - xa, (int)n * TL_ROW + 8);
	tl_ticks(o, &ax, height);
	for (size_t i = 0; i < n; i++)
		tl_bar(p, &ax, &a->certs[bars[i]], i);
	fprintf(o, "<line class=\"at\" x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" y2=\"%d\"/>\n", xa,
		TL_TOP - 8, xa, height - 18);
	fprintf(o, "<text class=\"atl\" x=\"%.1f\" y=\"%d\" text-anchor=\"%s\">--at %.10s, warn "
		   "%d days</text>\n", xa, height - 4, xa > TL_W - 200 ? "end" : "start", at,
		a->warn_days);
	fputs("</svg>\n<figcaption>", o);
	fprintf(o, "Each bar runs from notBefore to notAfter and is labelled with its host and "
		   "role. Expired and expiring certificates are hatched, in bold and marked "
		   "\xE2\x9A\xA0 with their expiry date.");
	if (more)
		fprintf(o, " %zu later certificates are only in the certificate table.", more);
	fputs("</figcaption>\n", o);
	tl_legend(o, a->warn_days);
	fputs("</figure>\n</section>\n", o);
	free(bars);
}

/* ---- the VM table -------------------------------------------------------------------- */

/* The host of the owner wrapping of the VM's key protector, else of the wrapping shown. */
static const char *owner_host(const page *p, const au_vm *row)
{
	const ev_vm *vm = &p->e->vms[row->vm];
	if (row->kp < vm->nkps) {
		const ev_kp *kp = &vm->kps[row->kp];
		for (size_t i = 0; i < kp->nw; i++)
			if (kp->w[i].is_owner && kp->w[i].enc)
				return cert_label(kp->w[i].enc);
	}
	return row->enc ? cert_label(row->enc->cert) : NULL;
}

/* What a restore lacks, in a few words. */
static void write_missing(FILE *o, const evidence *e, const au_vm *row)
{
	const ev_vm *vm = &e->vms[row->vm];
	strbuf sb = STRBUF_INIT;
	switch (row->kind) {
	case V_UNKNOWN: sb_adds(&sb, "key protector; "); break;
	case V_HGS: sb_adds(&sb, "Host Guardian Service; "); break;
	case V_NEEDS_PASSWORD: sb_adds(&sb, "PFX password; "); break;
	default: break;
	}
	if (row->kind != V_NO_VTPM && row->kind != V_HGS) {
		if (row->enc && !row->enc->nwith)
			sb_adds(&sb, row->enc->nwithout ? "encryption key (certificate only); "
							: "encryption certificate and key; ");
		if (row->sig && !row->sig->nwith)
			sb_adds(&sb, row->sig->nwithout ? "signing key (certificate only); "
							: "signing certificate and key; ");
	}
	if (vm->nmissing)
		sb_addf(&sb, "%zu file%s named by the configuration; ", vm->nmissing,
			vm->nmissing == 1 ? "" : "s");
	if (sb.len >= 2) {
		sb.buf[sb.len - 2] = '\0';
		esc(o, sb.buf);
	} else {
		fputs("<span class=\"note\">nothing</span>", o);
	}
	sb_free(&sb);
}

static void write_vm_row(const page *p, size_t i)
{
	FILE *o = p->o;
	const au_vm *row = &p->a->vms[i];
	const ev_vm *vm = &p->e->vms[row->vm];
	fputs("<tr data-verdict=\"", o);
	esc(o, verdict_name(row->kind));
	fprintf(o, "\" id=\"row-%zu\"><td class=\"brk\"><a href=\"#vm-%zu\">", i, i);
	esc_or(o, vm->name, "(no name)");
	fputs("</a></td><td class=\"mono\">", o);
	esc(o, vm->id);
	fprintf(o, "</td><td data-k=\"%d\">", (int)row->kind);
	badge(o, row->kind);
	fputs("</td><td class=\"brk\">", o);
	esc_or(o, owner_host(p, row), "-");
	if (row->first_not_after) {
		char d[32];
		iso(row->first_not_after, d);
		bool hot = row->days_left <= p->a->warn_days;
		fprintf(o, "</td><td class=\"num%s\" data-k=\"%ld\">%ld<br/><span class=\"note nw\">"
			   "%.10s</span>", hot ? " hot" : "", row->days_left, row->days_left, d);
	} else {
		fprintf(o, "</td><td class=\"num\" data-k=\"%ld\"><span class=\"note\">-</span>",
			NO_DAYS);
	}
	fputs("</td><td>", o);
	write_missing(o, p->e, row);
	fputs("</td><td>", o);
	if (row->kp < vm->nkps) {
		const ev_kp *kp = &vm->kps[row->kp];
		fputs("<span class=\"path\">", o);
		esc(o, p->e->files[kp->file].path);
		fputs("</span><br/><span class=\"note\">", o);
		esc(o, kp_origin_name(kp->origin));
		fputs(", ", o);
		esc(o, kp->location);
		fputs(kp->heuristic ? " (heuristic)</span>" : "</span>", o);
	} else {
		fputs("<span class=\"note\">not found</span>", o);
	}
	fputs("</td></tr>\n", o);
}

static void write_vm_table(const page *p)
{
	FILE *o = p->o;
	const audit_result *a = p->a;
	fputs("<section id=\"vms\" aria-labelledby=\"h-vms\">\n<h2 id=\"h-vms\">VMs</h2>\n", o);
	if (!a->nvms) {
		fputs("<p id=\"no-vm\">No VM was found in the evidence: no configuration, key "
		      "protector or guest state file.</p>\n</section>\n", o);
		return;
	}
	fputs("<div class=\"controls\" id=\"vm-controls\" hidden=\"hidden\">"
	      "<label for=\"vm-filter\">Show</label> <select id=\"vm-filter\">", o);
	fprintf(o, "<option value=\"\" selected=\"selected\">every verdict (%zu)</option>", a->nvms);
	for (int k = V_REBUILD_DATA_LOSS; k >= 0; k--) {
		if (!a->counts[k])
			continue;
		fputs("<option value=\"", o);
		esc(o, verdict_name((verdict_kind)k));
		fputs("\">", o);
		esc(o, verdict_name((verdict_kind)k));
		fprintf(o, " (%zu)</option>", a->counts[k]);
	}
	fputs("</select> <span id=\"vm-shown\" aria-live=\"polite\"></span></div>\n", o);
	fprintf(o, "<div class=\"wide\"><table id=\"vm-table\">\n<caption>%zu VM%s, worst verdict first, then fewest "
		   "days left; a column heading sorts by it</caption>\n<thead><tr>"
		   "<th scope=\"col\">VM</th><th scope=\"col\">ID</th>"
		   "<th scope=\"col\" aria-sort=\"descending\">Verdict</th>"
		   "<th scope=\"col\">Owner host</th><th scope=\"col\" class=\"num\">Days left</th>"
		   "<th scope=\"col\">Missing</th><th scope=\"col\">Key protector found in</th>"
		   "</tr></thead>\n<tbody>\n", a->nvms, a->nvms == 1 ? "" : "s");
	for (size_t i = 0; i < a->nvms; i++)
		write_vm_row(p, p->order[i]);
	fputs("</tbody>\n</table></div>\n<p class=\"note\">Days left: until the earlier notAfter of the "
	      "two certificates of the wrapping the verdict is about, from the evaluation date."
	      "</p>\n</section>\n", o);
}

/* ---- reasons and plans --------------------------------------------------------------- */

/* One VM's <details>: the reasons, the plan, what is missing, where its key protector is. */
static void write_vm_details(FILE *o, const evidence *e, const dx_vm *d, size_t row)
{
	const ev_vm *vm = &e->vms[d->vm];
	const verdict *v = &d->v;
	fprintf(o, "<details class=\"vm\" id=\"vm-%zu\" data-verdict=\"", row);
	esc(o, verdict_name(v->kind));
	fputs("\"><summary><h3>", o);
	badge(o, v->kind);
	fputc(' ', o);
	esc_or(o, vm->name, "(no name)");
	fputs(" <span class=\"mono note\">", o);
	esc(o, vm->id);
	fputs("</span></h3></summary>\n<h4>Why</h4>\n<ul class=\"reasons\">\n", o);
	for (size_t i = 0; i < v->nreasons; i++) {
		fputs(v->reasons[i].inferred ? "<li><span class=\"conf inf\">inferred</span>"
					     : "<li><span class=\"conf\">confirmed</span>", o);
		esc(o, v->reasons[i].text);
		fputs("</li>\n", o);
	}
	if (!v->nreasons)
		fputs("<li class=\"note\">no reason recorded</li>\n", o);
	fputs("</ul>\n", o);
	if (d->p.nsteps) {
		fputs("<h4>Plan</h4>\n<ol class=\"plan\">\n", o);
		for (size_t i = 0; i < d->p.nsteps; i++) {
			fputs("<li>", o);
			esc(o, d->p.steps[i]);
			fputs("</li>\n", o);
		}
		fputs("</ol>\n", o);
	}
	if (vm->nmissing) {
		fputs("<h4>Missing from the evidence</h4>\n<ul>\n", o);
		for (size_t i = 0; i < vm->nmissing; i++) {
			fputs("<li>", o);
			esc(o, vm->missing[i]);
			fputs("</li>\n", o);
		}
		fputs("</ul>\n", o);
	}
	if (vm->ndisks) {
		fputs("<h4>Disks</h4>\n<ul>\n", o);
		for (size_t i = 0; i < vm->ndisks; i++) {
			const ev_file *f = &e->files[vm->disks[i]];
			fputs("<li><span class=\"path\">", o);
			esc(o, f->path);
			fputs("</span>: ", o);
			if (ev_file_disk(f)) {
				disk_survival sv;
				survive_disk(ev_file_disk(f), &sv);
				esc(o, surv_kind_id(sv.overall.kind));
				fputs(" (", o);
				esc(o, sv.overall.reason);
				fputc(')', o);
				disk_survival_free(&sv);
			} else {
				esc(o, ev_file_error_or(f, "not read"));
			}
			fputs("</li>\n", o);
		}
		fputs("</ul>\n", o);
	}
	if (vm->nkps) {
		fputs("<h4>Key protectors</h4>\n<ul>\n", o);
		for (size_t i = 0; i < vm->nkps; i++) {
			const ev_kp *kp = &vm->kps[i];
			fputs(i == v->kp ? "<li><b>used for the verdict:</b> " : "<li>", o);
			esc(o, kp_origin_name(kp->origin));
			fputs(", <span class=\"path\">", o);
			esc(o, e->files[kp->file].path);
			fputs("</span>, ", o);
			esc(o, kp->location);
			if (kp->empty)
				fputs(" (empty)", o);
			if (kp->heuristic)
				fputs(" (heuristic)", o);
			fputs("</li>\n", o);
		}
		fputs("</ul>\n", o);
	}
	fputs("</details>\n", o);
}

static bool write_reasons(const page *p)
{
	FILE *o = p->o;
	bool ok = true;
	fputs("<section id=\"reasons\" aria-labelledby=\"h-reasons\">\n"
	      "<h2 id=\"h-reasons\">Reasons and plans</h2>\n", o);
	if (p->a->nvms)
		fputs("<p class=\"note\">One entry per VM in the order of the table, closed until "
		      "opened (all are opened for print). Each reason is marked confirmed (read from "
		      "the evidence) or inferred.</p>\n", o);
	for (size_t i = 0; i < p->a->nvms; i++)
		ok &= p->details(p->ctx, o, p->order[i]);
	fputs("</section>\n", o);
	return ok;
}

/* ---- certificates -------------------------------------------------------------------- */

static void file_list(const page *p, const size_t *files, size_t n)
{
	FILE *o = p->o;
	if (!n) {
		fputs("<span class=\"note\">none</span>", o);
		return;
	}
	fputs("<ul>", o);
	for (size_t i = 0; i < n && i < LIST_CAP; i++) {
		fputs("<li class=\"path\">", o);
		esc(o, p->e->files[files[i]].path);
		fputs("</li>", o);
	}
	if (n > LIST_CAP)
		fprintf(o, "<li>and %zu more</li>", n - LIST_CAP);
	fputs("</ul>", o);
}

static void write_cert_row(const page *p, const au_cert *c)
{
	FILE *o = p->o;
	const hv_cert *x = c->cert;
	fprintf(o, "<tr data-status=\"%s\"><td class=\"mono hash\">", cert_status_word(c));
	esc(o, x->thumbprint);
	fputs("</td><td>", o);
	esc(o, c->role);
	fputs("</td><td class=\"brk\">", o);
	if (x->host) {
		esc(o, x->host);
		if (x->guardian) {
			fputs("<br/><span class=\"note\">guardian ", o);
			esc(o, x->guardian);
			fputs("</span>", o);
		}
	} else {
		esc_or(o, x->subject, "(no subject)");
		fputs("<br/><span class=\"note\">not a local guardian name</span>", o);
	}
	fputs("</td><td>", o);
	put_date(o, x->not_before_iso);
	fprintf(o, " to <span%s>", cert_hot(c) ? " class=\"hot\"" : "");
	put_date(o, x->not_after_iso);
	fputs("</span><br/>", o);
	cert_status_badge(o, c);
	fprintf(o, "</td><td class=\"num\">%ld</td><td>", c->days_left);
	if (!c->nvms)
		fputs("<span class=\"note\">none</span>", o);
	for (size_t i = 0; i < c->nvms && i < LIST_CAP; i++) {
		if (i)
			fputs(", ", o);
		vm_link(p, c->vms[i]);
	}
	if (c->nvms > LIST_CAP)
		fprintf(o, " and %zu more", c->nvms - LIST_CAP);
	fputs("</td><td>", o);
	file_list(p, c->with_key, c->nwith);
	fputs("</td><td>", o);
	file_list(p, c->without_key, c->nwithout);
	fputs("</td><td>", o);
	if (c->nwith == 1)
		fputs("<span class=\"single nw\">single copy</span>", o);
	else if (!c->nwith)
		fprintf(o, "<span class=\"%s nw\">no private key</span>", c->nvms ? "hot" : "note");
	else
		fprintf(o, "%zu copies", c->nwith);
	fputs("</td></tr>\n", o);
}

static void write_certs(const page *p)
{
	FILE *o = p->o;
	const audit_result *a = p->a;
	size_t n = 0;
	for (size_t i = 0; i < a->ncerts; i++)
		n += cert_listed(p, &a->certs[i]);
	fputs("<section id=\"certificates\" aria-labelledby=\"h-certs\">\n"
	      "<h2 id=\"h-certs\">Certificates</h2>\n", o);
	if (!n) {
		fputs("<p>No certificate in the evidence.</p>\n</section>\n", o);
		return;
	}
	fprintf(o, "<div class=\"wide\"><table id=\"cert-table\">\n<caption>%zu certificate%s, by expiry date; "
		   "copies count the files that hold the private key</caption>\n<thead><tr>"
		   "<th scope=\"col\">Thumbprint (SHA-1)</th><th scope=\"col\">Role</th>"
		   "<th scope=\"col\">Host</th><th scope=\"col\">Validity</th>"
		   "<th scope=\"col\" class=\"num\">Days left</th>"
		   "<th scope=\"col\">VMs that need it</th><th scope=\"col\">With private key</th>"
		   "<th scope=\"col\">Certificate only</th><th scope=\"col\">Copies</th>"
		   "</tr></thead>\n<tbody>\n", n, n == 1 ? "" : "s");
	for (size_t i = 0; i < a->ncerts; i++)
		if (cert_listed(p, &a->certs[i]))
			write_cert_row(p, &a->certs[i]);
	fputs("</tbody>\n</table></div>\n</section>\n", o);
}

/* ---- export manifests ---------------------------------------------------------------- */

static void manifest_badge(FILE *o, export_status s)
{
	const char *id = manifest_status_id(s);
	if (s == EXPORT_ST_OK)
		fprintf(o, "<span class=\"badge g0\">\xE2\x9C\x93 %s</span>", id);
	else if (s == EXPORT_ST_UNCHECKED)
		fprintf(o, "<span class=\"note nw\">? %s</span>", id);
	else
		fprintf(o, "<span class=\"badge g2\">\xE2\x9C\x95 %s</span>", id);
}

static void write_manifest_row(const page *p, const mc_entry *c)
{
	FILE *o = p->o;
	const export_fact *x = &ev_file_manifest(&p->e->files[c->manifest])->v[c->entry];
	strbuf sb = STRBUF_INIT;
	fprintf(o, "<tr data-status=\"%s\"><td class=\"path\">", manifest_status_id(c->status));
	esc(o, c->path);
	fputs("</td><td>", o);
	manifest_entry_label(&sb, p->e, c);
	esc(o, sb_str(&sb));
	fputs("</td><td class=\"mono hash\">", o);
	esc(o, x->thumbprint);
	fputs("</td><td>", o);
	manifest_badge(o, c->status);
	fputs("</td><td>", o);
	sb_reset(&sb);
	manifest_reason(&sb, p->e, c, p->a->npasswords);
	esc(o, sb_str(&sb));
	fputs("</td></tr>\n", o);
	sb_free(&sb);
}

/* Every export manifest against the files beside it; nothing when there is none. */
static void write_manifests(const page *p)
{
	FILE *o = p->o;
	const evidence *e = p->e;
	const mc_result *r = &p->a->manifests;
	if (!r->nm)
		return;
	fprintf(o, "<section id=\"manifests\" aria-labelledby=\"h-manifests\">\n"
		   "<h2 id=\"h-manifests\">Export manifests</h2>\n<p>%zu manifest%s written by "
		   "<code>hvtpm script export</code>, %zu certificate%s listed, <b>%zu with "
		   "problems</b>: each PFX is looked for beside its manifest and compared by SHA-256, "
		   "then opened.</p>\n", r->nm, r->nm == 1 ? "" : "s", r->n, r->n == 1 ? "" : "s",
		r->bad);
	for (size_t k = 0; k < r->nm; k++) {
		const mc_manifest *m = &r->m[k];
		const ev_file *f = &e->files[m->file];
		char created[32];
		time_to_iso(ev_file_manifest(f)->created, created);
		fputs("<div class=\"wide\"><table class=\"manifest\">\n<caption><span class=\"path\">", o);
		esc(o, f->path);
		fputs("</span>: exported on ", o);
		esc(o, ev_file_manifest(f)->host);
		fprintf(o, " at %s, %zu problem%s</caption>\n<thead><tr><th scope=\"col\">PFX file"
			   "</th><th scope=\"col\">Certificate</th><th scope=\"col\">Thumbprint "
			   "(SHA-1)</th><th scope=\"col\">Status</th><th scope=\"col\">What it means"
			   "</th></tr></thead>\n<tbody>\n", created, m->bad, m->bad == 1 ? "" : "s");
		for (size_t i = m->first; i < m->first + m->n; i++)
			write_manifest_row(p, &r->v[i]);
		fputs("</tbody>\n</table></div>\n", o);
		if (m->nunlisted) {
			fputs("<p class=\"note\">PFX files beside it that it does not list: ", o);
			for (size_t i = 0; i < m->nunlisted && i < LIST_CAP; i++) {
				if (i)
					fputs(", ", o);
				fputs("<span class=\"path\">", o);
				esc(o, e->files[m->unlisted[i]].path);
				fputs("</span>", o);
			}
			if (m->nunlisted > LIST_CAP)
				fprintf(o, " and %zu more", m->nunlisted - LIST_CAP);
			fputs("</p>\n", o);
		}
	}
	fputs("</section>\n", o);
}

/* ---- evidence ------------------------------------------------------------------------ */

static void write_file_row(FILE *o, const ev_file *f)
{
	fprintf(o, "<tr data-class=\"%s\"><td class=\"path\">", ev_class_name(f->cls));
	esc(o, f->path);
	fprintf(o, "</td><td>%s%s</td><td>", ev_class_name(f->cls),
		f->cls == EVC_USED && f->status != HV_OK ? " (not opened)" : "");
	esc(o, ev_kind_name(f->kind));
	fprintf(o, "</td><td class=\"num\">%llu</td><td class=\"mono hash\">",
		(unsigned long long)f->size);
	if (f->sha256[0]) {
		fputs(f->sha256, o);
		if (f->sha256_metadata)
			fputs("<br/><span class=\"note\">of the metadata read</span>", o);
	} else {
		fputs("<span class=\"note\">-</span>", o);
	}
	fputs("</td><td>", o);
	if (f->status != HV_OK) {
		esc(o, hv_err_name(f->status));
		fputs(": ", o);
		esc(o, ev_file_error(f));
	} else {
		esc(o, f->what);
	}
	if (ev_file_claimed(f)) {
		fputs(" <span class=\"note\">(named like ", o);
		esc(o, ev_file_claimed(f));
		fputs(")</span>", o);
	}
	fputs("</td></tr>\n", o);
}

static void write_evidence(const page *p)
{
	FILE *o = p->o;
	const evidence *e = p->e;
	fprintf(o, "<section id=\"evidence\" aria-labelledby=\"h-evidence\">\n"
		   "<h2 id=\"h-evidence\">Evidence</h2>\n<p>%zu file%s:", e->nfiles,
		e->nfiles == 1 ? "" : "s");
	for (int c = 0; c < EVC_COUNT; c++)
		fprintf(o, "%s %zu %s", c ? "," : "", e->nclass[c], ev_class_name((ev_class)c));
	fputs(". Nothing was modified; archive members were read in memory.</p>\n", o);
	if (e->nfiles) {
		fputs("<div class=\"wide\"><table id=\"evidence-table\">\n<caption>Every file read, in walk order"
		      "</caption>\n<thead><tr><th scope=\"col\">Path</th><th scope=\"col\">Class</th>"
		      "<th scope=\"col\">Kind</th><th scope=\"col\" class=\"num\">Bytes</th>"
		      "<th scope=\"col\">SHA-256</th><th scope=\"col\">What or why not</th>"
		      "</tr></thead>\n<tbody>\n", o);
		for (size_t i = 0; i < e->nfiles; i++)
			write_file_row(o, &e->files[i]);
		fputs("</tbody>\n</table></div>\n", o);
	}
	size_t n = findings_count(&e->findings, HV_SEV_WARN);
	if (n) {
		fprintf(o, "<h3 id=\"findings\">Warnings and errors (%zu)</h3>\n<ul>\n", n);
		for (size_t i = 0; i < e->findings.n; i++) {
			const hv_finding *x = &e->findings.v[i];
			if (x->sev < HV_SEV_WARN)
				continue;
			fprintf(o, "<li><b>%s</b> ", hv_sev_name(x->sev));
			if (x->file) {
				fputs("<span class=\"path\">", o);
				esc(o, x->file);
				fputs("</span>", o);
			}
			if (x->offset != HV_NO_OFFSET)
				fprintf(o, " at 0x%llX", (unsigned long long)x->offset);
			fputs(": ", o);
			esc(o, x->msg);
			fputs("</li>\n", o);
		}
		fputs("</ul>\n", o);
	}
	fputs("</section>\n", o);
}

/* ---- the whole page ------------------------------------------------------------------ */

static bool write_page(const page *p)
{
	FILE *o = p->o;
	write_head(p);
	write_header(p);
	fputs("<main>\n<section id=\"summary\" aria-label=\"Summary\">\n", o);
	write_alert(p);
	write_facts(p);
	fputs("</section>\n", o);
	write_timeline(p);
	write_vm_table(p);
	bool ok = write_reasons(p);
	write_certs(p);
	write_manifests(p);
	write_evidence(p);
	fputs("</main>\n<footer><p>Written by hvtpm " HVTPM_VERSION ". This page is self-"
	      "contained: it fetches no script, style, font or image and makes no network request. "
	      "Values read from the evidence are shown escaped; control, bidirectional and "
	      "invisible characters appear as \\xNN or \\uNNNN, bytes that are not UTF-8 as "
	      "\xEF\xBF\xBD. No password or private key is ever part of this report.</p></footer>\n",
	      o);
	fprintf(o, "<script>%s</script>\n</body>\n</html>\n", html_js);
	return ok && !ferror(o);
}

/* ---- audit, streamed ----------------------------------------------------------------- */

struct html_audit {
	FILE *spool;             /* every VM's <details>, in evaluation order */
	char *mem;               /* the spool's bytes when it is a memory stream */
	size_t memlen;
	uint64_t *off;           /* off[i]: where VM i's details start; off[n]: the end */
	size_t n, cap;
};

html_audit *html_audit_begin(void)
{
	html_audit *h = xcalloc(1, sizeof *h);
	h->spool = tmpfile();
	if (!h->spool)
		h->spool = open_memstream(&h->mem, &h->memlen);
	if (!h->spool)
		xalloc_die();
	return h;
}

static void mark(html_audit *h)
{
	h->off = xgrow(h->off, &h->cap, h->n + 1, sizeof *h->off);
	off_t at = ftello(h->spool);
	h->off[h->n] = at < 0 ? 0 : (uint64_t)at;
}

void html_audit_vm(html_audit *h, const evidence *view, const dx_vm *d)
{
	mark(h);
	write_vm_details(h->spool, view, d, h->n);
	h->n++;
}

/* Copies VM row's spooled details to o. */
static bool copy_details(void *ctx, FILE *o, size_t row)
{
	html_audit *h = ctx;
	if (row >= h->n)
		return false;
	uint64_t from = h->off[row], len = h->off[row + 1] - from;
	if (h->mem)
		return fwrite(h->mem + from, 1, len, o) == len;
	if (fseeko(h->spool, (off_t)from, SEEK_SET) != 0)
		return false;
	char buf[8192];
	while (len) {
		size_t want = len < sizeof buf ? (size_t)len : sizeof buf;
		size_t got = fread(buf, 1, want, h->spool);
		if (got != want || fwrite(buf, 1, got, o) != got)
			return false;
		len -= got;
	}
	return true;
}

bool html_audit_end(html_audit *h, FILE *o, const evidence *e, const audit_result *a,
		    const html_meta *m)
{
	mark(h);
	bool ok = fflush(h->spool) == 0 && !ferror(h->spool) && h->n == a->nvms;
	if (h->mem && h->memlen < h->off[h->n])
		ok = false;
	page p;
	page_init(&p, o, e, a, m, "audit");
	p.details = copy_details;
	p.ctx = h;
	ok &= write_page(&p);
	page_free(&p);
	fclose(h->spool);
	free(h->mem);
	free(h->off);
	free(h);
	return ok;
}

/* ---- diagnose ------------------------------------------------------------------------ */

typedef struct {
	const evidence *e;
	const dx_result *r;
} dx_ctx;

static bool dx_details(void *ctx, FILE *o, size_t row)
{
	const dx_ctx *c = ctx;
	write_vm_details(o, c->e, &c->r->vms[row], row);
	return true;
}

bool html_report_diagnose(FILE *o, const evidence *e, const dx_result *r, const html_meta *m)
{
	audit_result a;
	audit_begin(e, r->evaluated_at, r->warn_days, &a);
	for (size_t i = 0; i < r->nvms; i++)
		audit_add_vm(&a, e, r->vms[i].vm, &r->vms[i].v);
	audit_end(e, dx_exit_code(e, r), &a);
	dx_ctx c = { e, r };
	page p;
	page_init(&p, o, e, &a, m, "diagnose");
	p.details = dx_details;
	p.ctx = &c;
	bool ok = write_page(&p);
	page_free(&p);
	audit_free(&a);
	return ok;
}
