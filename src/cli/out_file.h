/*
 * out_file.h - the files hvtpm itself writes (a plan, a folder of plans, a
 * facts file, a host script): always new files, never reached through a
 * link, never inside the evidence they were made from.
 */
#ifndef HVTPM_OUT_FILE_H
#define HVTPM_OUT_FILE_H

#include <stdbool.h>
#include <stdio.h>

/*
 * True when a file written at target would land inside or next to the
 * evidence ev[0..n): in a folder given as evidence, in the folder of a file
 * given as evidence (and in the folder it was named in, when named through a
 * link), or anywhere in the Hyper-V VM folder (model/export_layout.h) such a
 * file or folder belongs to.  Paths are resolved: a target reached through a
 * link counts where it lands.  A trailing '/' on target is ignored.
 */
bool out_inside_evidence(const char *target, char *const *ev, size_t n);

/*
 * out_inside_evidence with the one-line refusal on stderr ("hvtpm CMD:
 * refusing to write TARGET inside the evidence ..."); true when refused.
 */
bool out_refuse_inside(const char *cmd, const char *option, const char *target,
		       char *const *ev, size_t n);

/*
 * Creates path as a new file (O_EXCL, never through a link, mode 0644) and
 * opens it for writing; NULL after a one-line error naming the file.
 */
FILE *out_create(const char *cmd, const char *path);

#endif
