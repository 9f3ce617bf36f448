/*
 * html_report.h - the audit and the diagnose result as one self-contained
 * HTML page, for the people who decide "restore or rebuild" and sign off a
 * backup audit: it opens from a USB stick on an air-gapped machine and
 * prints to a readable A4 or Letter document.
 *
 * The page (UTF-8, HTML5 written as well-formed XML) has, in this order:
 *   header     what was given, generation and evaluation (--at) dates, the
 *              warn window, evidence counts, the exit status, a tile per
 *              verdict (count, name, meaning, severity word and symbol),
 *              and a callout of the certificates expired or expiring
 *   timeline   an SVG bar per certificate some shown VM needs, notBefore to
 *              notAfter, labelled host and role, the --at date and the warn
 *              window marked; expired and expiring bars hatched and named
 *   VMs        name, id, verdict, owner host, days left, what is missing,
 *              where the key protector was found: worst verdict first,
 *              then fewest days left, then id; rows carry data-verdict
 *   reasons    per VM a <details id="vm-N"> (closed) with the reasons
 *              (confirmed or inferred), the plan and the missing files, in
 *              the order of the VM table
 *   certs      thumbprint, role, host, validity, VMs that need it, files
 *              holding it with and without its private key, copies
 *   evidence   every file: path, class, kind, size, SHA-256, note; then
 *              the warnings and errors
 * Every value from the evidence goes through html_escape.h; evidence never
 * reaches <script>, <style>, a URL or an event attribute.  A CSP <meta>
 * (html_assets.h) allows no fetch and only the page's own style and script.
 * No password, private key or transport key is in the evidence model, so
 * none can appear.  Same evidence, same options, same bytes.
 */
#ifndef HVTPM_HTML_REPORT_H
#define HVTPM_HTML_REPORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <time.h>

#include "analysis/evaluate.h"
#include "model/evidence.h"
#include "report/audit_report.h"

typedef struct {
	char *const *paths;      /* what was given on the command line */
	size_t npaths;
	time_t generated_at;
} html_meta;

/*
 * The audit, streamed like audit_json_*: begin, then each VM right after
 * audit_add_vm (view and d as dx_evaluate made them; the reasons and plan
 * are rendered then and spooled to an unlinked temporary file, or memory
 * when none can be made), then end, which writes the whole page once the
 * counts are known and frees h.  False when the spool or o failed.
 */
typedef struct html_audit html_audit;
html_audit *html_audit_begin(void);
void html_audit_vm(html_audit *h, const evidence *view, const dx_vm *d);
bool html_audit_end(html_audit *h, FILE *o, const evidence *e, const audit_result *a,
		    const html_meta *m);

/* diagnose: r as dx_evaluate (and dx_filter) made it for e. */
bool html_report_diagnose(FILE *o, const evidence *e, const dx_result *r, const html_meta *m);

#endif
