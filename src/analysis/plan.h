/*
 * plan.h - what to do about a verdict: numbered steps for people (the
 * PowerShell form is written by report/plan_ps.h).
 */
#ifndef HVTPM_PLAN_H
#define HVTPM_PLAN_H

#include <stdint.h>
#include <stdio.h>

#include "analysis/verdict.h"
#include "model/evidence.h"

/* The settings of the old VM a rebuild needs, taken from its configuration. */
typedef struct {
	const char *name;
	const char *id;
	int generation;           /* 0 unknown */
	int64_t memory_mb;        /* 0 unknown */
	int64_t processors;       /* 0 unknown */
	int secure_boot;          /* -1 unknown, 0 off, 1 on */
	const char *secure_boot_template;
	const char *const *disks; /* disk paths as the configuration names them */
	size_t ndisks;
	const char *const *switches; /* virtual switch of each network adapter ("" unknown) */
	size_t nswitches;
	const char *config_path;  /* the configuration file, for Import-VM */
} plan_vm;

typedef struct {
	char **steps;
	size_t nsteps;
} plan;

void plan_build(const evidence *e, const verdict *v, const plan_vm *vm, plan *p);
void plan_free(plan *p);

#endif
