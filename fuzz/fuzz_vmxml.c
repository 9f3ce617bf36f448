/*
 * fuzz_vmxml.c - libFuzzer harness for the legacy XML configuration reader
 * and everything that consumes its tree: the VM model and the JSON reports.
 *
 *   clang -fsanitize=fuzzer,address,undefined -Isrc ... fuzz/fuzz_vmxml.c <library sources>
 *   ./fuzz_vmxml -runs=20000 fuzz/corpus/vmxml
 *
 * Seeds in fuzz/corpus/vmxml are small synthesized documents (UTF-8 and
 * UTF-16LE with BOM), not the third-party sample files.
 */
#include <stddef.h>
#include <stdint.h>

#include <json-c/json.h>

#include "formats/vmxml.h"
#include "model/vm.h"
#include "report/vm_report.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	span_t s = span_make(data, size);
	hv_findings f = { 0 };
	kv_node *root = NULL;
	(void)vmxml_sniff(s);
	if (vmxml_read(s, "fuzz.xml", &root, &f) == HV_OK) {
		vm_model vm;
		if (vm_from_tree(root, "fuzz.xml", &vm, &f) == HV_OK) {
			json_object *j = vm_report_json(&vm);
			(void)json_object_to_json_string(j);
			json_object_put(j);
		}
		vm_free(&vm);
		json_object *t = kv_report_tree_json(root);
		(void)json_object_to_json_string(t);
		json_object_put(t);
		kv_free(root);
	}
	findings_free(&f);
	return 0;
}
