/*
 * read_disk.c - disk and volume images (VHDX, VHD, raw with a partition
 * table or a volume boot sector): container, chain, partitions and
 * BitLocker metadata.  Only metadata is read, so the size of the image does
 * not matter; for an image larger than SRC_READ_MAX the SHA-256 covers the
 * metadata bytes read (sha256_metadata), not every byte.
 */
#include "model/readers.h"

#include <stdlib.h>
#include <string.h>

#include "formats/vdisk.h"
#include "util/xalloc.h"

hv_err readers_open_vdisk(hv_source *s, const identify_opts *o, const char *path, vdisk **vd,
			  hv_findings *f)
{
	if (src_fd(s) < 0) { /* an archive member: no parent can be reached */
		span_t b = src_span(s);
		return vdisk_open_mem(b.data, b.len, path, VDISK_MEM_BORROW | VDISK_NO_PARENT, vd, f);
	}
	vdisk_opts vo;
	memset(&vo, 0, sizeof vo);
	vo.flags = o->follow_symlinks ? 0 : VDISK_NOFOLLOW; /* for the parents */
	/* The file the pipeline opened (a link named on the command line included),
	 * not its path opened a second time. */
	return vdisk_open_fd(src_fd(s), path, &vo, vd, f);
}

hv_err read_disk(hv_source *s, const identify_opts *o, file_facts *out)
{
	vdisk *vd = NULL;
	hv_err rc = readers_open_vdisk(s, o, out->path, &vd, &out->findings);
	if (rc != HV_OK) {
		facts_set(out, EV_DISK, EVC_DAMAGED, "disk image");
		facts_fail(out, EVC_DAMAGED, rc, "disk image could not be read: %s", hv_err_name(rc));
		return rc;
	}
	disk_facts *d = xcalloc(1, sizeof *d);
	disk_facts_read(vd, d, &out->findings);
	vdisk_close(vd);
	out->disk = d;
	facts_set(out, EV_DISK, EVC_USED, "%s disk (%s)%s", vdisk_format_name(d->format),
		  vdisk_kind_name(d->kind), src_mapped(s) ? "; only metadata read" : "");
	if (src_mapped(s)) {
		memcpy(out->sha256, d->metadata_sha256, sizeof out->sha256);
		out->sha256_metadata = true;
	}
	return HV_OK;
}
