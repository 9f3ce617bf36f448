/*
 * disk_check.h - test helper: what was read of a disk and what analysis
 * decides from it, in one struct (disk_facts_read + survive_disk).
 */
#ifndef HVTPM_TEST_DISK_CHECK_H
#define HVTPM_TEST_DISK_CHECK_H

#include <string.h>

#include "analysis/survive.h"
#include "model/disk_facts.h"

typedef struct {
	disk_facts f;
	disk_survival s;
} disk_check;

static inline hv_err disk_check_read(vdisk *vd, disk_check *c, hv_findings *fi)
{
	hv_err rc = disk_facts_read(vd, &c->f, fi);
	survive_disk(&c->f, &c->s);
	return rc;
}

static inline void disk_check_free(disk_check *c)
{
	disk_survival_free(&c->s);
	disk_facts_free(&c->f);
	memset(c, 0, sizeof *c);
}

#endif
