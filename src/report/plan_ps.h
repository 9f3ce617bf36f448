/*
 * plan_ps.h - a verdict's plan as a PowerShell script: commented,
 * idempotent, -WhatIf aware, no passwords (it prompts for them).
 *
 * The script is pure printable ASCII.  Every string taken from the
 * evidence (VM name and id, paths, template ids) is written by ps_lit()
 * (report/ps_literal.h) into a variable or an argument, never into a
 * comment, so a hostile name can neither end a string nor a comment.
 */
#ifndef HVTPM_PLAN_PS_H
#define HVTPM_PLAN_PS_H

#include <stdio.h>

#include "analysis/plan.h"
#include "analysis/verdict.h"
#include "model/evidence.h"

/* Writes the script for one VM's verdict to o. */
void plan_powershell(FILE *o, const evidence *e, const verdict *v, const plan_vm *vm,
		     const char *generated_at);

#endif
