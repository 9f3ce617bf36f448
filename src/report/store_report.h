/* store_report.h - the HyperVStorage container facts (headers, tables, log) as text or JSON. */
#ifndef HVTPM_STORE_REPORT_H
#define HVTPM_STORE_REPORT_H

#include <stdio.h>

#include <json-c/json.h>

#include "formats/hvstore.h"

void store_report_text(FILE *o, const hvstore *h);
json_object *store_report_json(const hvstore *h);

#endif
