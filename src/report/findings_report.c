/* findings_report.c - readers' notes, warnings and errors on a terminal or in JSON. */
#include "report/findings_report.h"

#include <stdlib.h>
#include <string.h>

#include "report/out.h"
#include "report/term.h"

void findings_print(FILE *o, const char *who, const hv_findings *f, hv_sev min)
{
	for (size_t i = 0; i < f->n; i++) {
		const hv_finding *x = &f->v[i];
		if (x->sev < min)
			continue;
		char *l = finding_format(x);
		fprintf(o, "%s: %s: ", who, hv_sev_name(x->sev));
		term_put(o, l);
		fputc('\n', o);
		free(l);
	}
}

static bool is_weak(const hv_finding *x)
{
	static const char pre[] = "weak protection: ";
	return x->sev == HV_SEV_NOTE && strncmp(x->msg, pre, sizeof pre - 1) == 0;
}

void findings_print_grouped(FILE *o, const char *who, const hv_findings *f, hv_sev min)
{
	size_t weak = 0;
	const hv_finding *first = NULL;
	for (size_t i = 0; i < f->n; i++) {
		const hv_finding *x = &f->v[i];
		if (x->sev < min)
			continue;
		if (is_weak(x)) {
			if (!weak++)
				first = x;
			continue;
		}
		char *l = finding_format(x);
		fprintf(o, "%s: %s: ", who, hv_sev_name(x->sev));
		term_put(o, l);
		fputc('\n', o);
		free(l);
	}
	if (!weak)
		return;
	fprintf(o, "%s: note: ", who);
	if (first->file) {
		term_put(o, first->file);
		fputs(": ", o);
	}
	fprintf(o, "weak protection (%zu): ", weak);
	term_put(o, first->msg + strlen("weak protection: "));
	fputs(weak > 1 ? ", ... (all under 'weaknesses' in the report and in --format json)\n"
		       : "\n", o);
}

json_object *findings_json(const hv_findings *f)
{
	json_object *a = json_object_new_array();
	for (size_t i = 0; i < f->n; i++) {
		const hv_finding *x = &f->v[i];
		json_object *o = json_object_new_object();
		jadd_str(o, "severity", hv_sev_name(x->sev));
		if (x->offset != HV_NO_OFFSET)
			jadd_int(o, "offset", (int64_t)x->offset);
		else
			jadd_null(o, "offset");
		jadd_str(o, "message", x->msg);
		json_object_array_add(a, o);
	}
	return a;
}

