/*
 * plan_ps.h - verdicts' plans as one PowerShell script: commented,
 * idempotent, -WhatIf aware, no passwords (it prompts for them, once for
 * every PFX file that opens with the same password).  One section per VM,
 * each run unless -Only names other VMs (by name or id).
 *
 * The script is pure printable ASCII.  Every string taken from the
 * evidence (VM name and id, paths, template ids) is written by ps_lit()
 * (report/ps_literal.h) into a variable or an argument, never into a
 * comment, so a hostile name can neither end a string nor a comment.
 */
#ifndef HVTPM_PLAN_PS_H
#define HVTPM_PLAN_PS_H

#include <stdio.h>

#include "analysis/evaluate.h"
#include "analysis/plan.h"
#include "analysis/verdict.h"
#include "model/evidence.h"

/* Writes the script for one VM's verdict to o. */
void plan_powershell(FILE *o, const evidence *e, const verdict *v, const plan_vm *vm,
		     const char *generated_at);
/* Writes one script for every VM of r, in r's order. */
void plan_powershell_all(FILE *o, const evidence *e, const dx_result *r,
			 const char *generated_at);

#endif
