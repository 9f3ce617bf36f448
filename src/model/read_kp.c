/* read_kp.c - a key protector saved to a file, in any of its saved forms. */
#include "model/readers.h"

#include <stdlib.h>

#include "formats/kp_input.h"
#include "model/kp_search.h"
#include "util/text.h"
#include "util/xalloc.h"

hv_err read_saved_kp(hv_source *s, const identify_opts *o, file_facts *out)
{
	if (src_size(s) > KP_INPUT_MAX_FILE)
		return HV_ERR_FORMAT;
	ev_kp kp;
	kp_input *in = NULL;
	hv_err rc = kps_probe(src_span(s), out->path, 0, o->keep, &kp, o->keep ? &in : NULL,
			      &out->findings);
	if (rc == HV_ERR_FORMAT)
		return rc;
	if (rc != HV_OK) {
		facts_set(out, EV_KEY_PROTECTOR, EVC_DAMAGED, "saved key protector");
		facts_fail(out, EVC_DAMAGED, rc, "damaged saved key protector: %s", hv_err_name(rc));
		return rc;
	}
	kp.origin = KP_DUMP;
	kp.location = xstrdup("whole file");
	facts_set(out, EV_KEY_PROTECTOR, EVC_USED, "saved key protector (%s)%s", kp.form,
		  kp.empty ? ": empty, the VM has no key protector" : "");
	fact_kp *k = facts_add_kp(out, &kp);
	k->input = in;
	char *stem = readers_stem(out->path, out->member_at);
	out->hint_id = guid_canonical(stem);
	free(stem);
	return HV_OK;
}
