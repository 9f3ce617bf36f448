/*
 * kp_diff.h - a VM's current key protector against its last-known-good one,
 * from what the evidence keeps of each (model/evidence.h): the same answer
 * as formats/kp.h kp_compare gives on two decoded documents.
 */
#ifndef HVTPM_KP_DIFF_H
#define HVTPM_KP_DIFF_H

#include "formats/kp.h"
#include "model/evidence.h"

void ev_kp_compare(const ev_kp *a, const ev_kp *b, kp_diff *out);

#endif
