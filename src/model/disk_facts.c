/* disk_facts.c - container, partitions and BitLocker metadata of a virtual disk. */
#include "model/disk_facts.h"

#include <stdlib.h>
#include <string.h>

#include "util/xalloc.h"

static char *dup_or_null(const char *s)
{
	return s ? xstrdup(s) : NULL;
}

static void copy_chain(const vdisk *vd, disk_facts *d)
{
	d->nchain = vdisk_chain_len(vd);
	d->chain = xcalloc(d->nchain ? d->nchain : 1, sizeof *d->chain);
	for (size_t i = 0; i < d->nchain; i++) {
		const vdisk_layer_info *l = vdisk_chain(vd, i);
		disk_layer *c = &d->chain[i];
		c->path = dup_or_null(l->path);
		c->format = l->format;
		c->kind = l->kind;
		c->file_size = l->file_size;
		memcpy(c->data_write_guid, l->data_write_guid, sizeof c->data_write_guid);
		c->parent_linkage = dup_or_null(l->parent_linkage);
		c->ok = l->ok;
		c->outside_tree = l->outside_tree;
		c->problem = dup_or_null(l->problem);
	}
}

hv_err disk_facts_read(vdisk *vd, disk_facts *out, hv_findings *f)
{
	memset(out, 0, sizeof *out);
	out->parts_rc = part_read(vd, &out->parts, f);
	size_t n = out->parts.n;
	out->vols = xcalloc(n ? n : 1, sizeof *out->vols);
	out->vol_rc = xcalloc(n ? n : 1, sizeof *out->vol_rc);
	for (size_t i = 0; i < n; i++) {
		const part_entry *p = &out->parts.v[i];
		out->vol_rc[i] = HV_ERR_FORMAT;
		out->vols[i].block_used = -1;
		if (part_class_is_bitlocker(p->cls))
			out->vol_rc[i] = bde_read(vd, p->offset, p->size, &out->vols[i], f);
	}
	out->format = vdisk_get_format(vd);
	out->kind = vdisk_chain_len(vd) ? vdisk_chain(vd, 0)->kind : VDISK_KIND_FIXED;
	out->virtual_size = vdisk_size(vd);
	out->logical_sector_size = vdisk_sector_size(vd);
	out->physical_sector_size = vdisk_physical_sector_size(vd);
	out->dirty_log = vdisk_dirty_log(vd);
	out->log_replayed = vdisk_log_replayed(vd);
	out->log_replay_failed = vdisk_log_replay_failed(vd);
	out->best_effort = vdisk_best_effort(vd);
	out->chain_ok = vdisk_chain_ok(vd);
	copy_chain(vd, out);
	out->bytes_read = vdisk_bytes_read(vd);
	vdisk_metadata_sha256(vd, out->metadata_sha256);
	vdisk_take_findings(vd, f);
	return out->parts_rc;
}

void disk_facts_free(disk_facts *d)
{
	if (!d)
		return;
	for (size_t i = 0; i < d->parts.n; i++)
		bde_volume_free(&d->vols[i]);
	free(d->vols);
	free(d->vol_rc);
	part_table_free(&d->parts);
	for (size_t i = 0; i < d->nchain; i++) {
		free(d->chain[i].path);
		free(d->chain[i].parent_linkage);
		free(d->chain[i].problem);
	}
	free(d->chain);
	memset(d, 0, sizeof *d);
}
