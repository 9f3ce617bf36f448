/*
 * fuzz_export_manifest.c - libFuzzer harness for the export manifest reader
 * and the folder check.
 *
 *   make fuzz T=export_manifest
 *
 * Whatever reads is checked against a fixed set of found files (one per
 * entry, alternating states) so export_manifest_check runs on every manifest
 * the reader accepts.  Seeds in fuzz/corpus/export_manifest are synthesized
 * (see the README).
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "formats/export_manifest.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	hv_findings f = { 0 };
	export_manifest m;
	span_t s = span_make(data, size);

	(void)export_manifest_sniff(s);
	if (export_manifest_read(s, "fuzz.json", &m, &f) == HV_OK) {
		export_found_file *ff = calloc(m.n + 1, sizeof *ff);
		const char *keys[1];
		for (size_t i = 0; ff && i < m.n; i++) {
			ff[i].name = m.entries[i].file;
			ff[i].sha256 = i % 2 ? m.entries[i].sha256 : NULL;
			ff[i].open = (export_open_state)(i % 3);
			keys[0] = m.entries[i].thumbprint;
			ff[i].key_thumbprints = keys;
			ff[i].nkey_thumbprints = i % 2;
			char *n = export_pfx_file_name(m.entries[i].subject, m.entries[i].thumbprint);
			free(n);
		}
		if (ff) {
			export_check_result r;
			export_manifest_check(&m, ff, m.n / 2, &r);
			for (size_t i = 0; i < r.n; i++)
				(void)export_status_name(r.v[i].status);
			export_check_free(&r);
		}
		free(ff);
		export_manifest_free(&m);
	}
	findings_free(&f);
	return 0;
}
