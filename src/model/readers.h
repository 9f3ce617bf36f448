/*
 * readers.h - the read step of each row of the format table (identify.c):
 * run the format's reader over a source and turn what it returns into
 * file facts.  HV_ERR_FORMAT: not this format after all.
 */
#ifndef HVTPM_READERS_H
#define HVTPM_READERS_H

#include "formats/vdisk.h"
#include "model/facts.h"
#include "model/identify.h"
#include "util/source.h"

hv_err read_hyperv_storage(hv_source *s, const identify_opts *o, file_facts *out);
hv_err read_vm_xml(hv_source *s, const identify_opts *o, file_facts *out);
hv_err read_pfx(hv_source *s, const identify_opts *o, file_facts *out);
hv_err read_certificates(hv_source *s, const identify_opts *o, file_facts *out);
hv_err read_guardian(hv_source *s, const identify_opts *o, file_facts *out);
hv_err read_saved_kp(hv_source *s, const identify_opts *o, file_facts *out);
hv_err read_disk(hv_source *s, const identify_opts *o, file_facts *out);
hv_err read_guest_state(hv_source *s, const identify_opts *o, file_facts *out);
hv_err read_export_manifest(hv_source *s, const identify_opts *o, file_facts *out);

/* Opens the source as a virtual disk (archive members: from memory, without parents). */
hv_err readers_open_vdisk(hv_source *s, const identify_opts *o, const char *path, vdisk **vd,
			  hv_findings *f);

/*
 * The file's base name without extension; for an archive member (member_at >
 * 0, see file_facts) the base name of its member path.  A '!' in the name of
 * a file on disk is part of the name.
 */
char *readers_stem(const char *path, size_t member_at);

#endif
