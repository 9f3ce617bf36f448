/*
 * export_layout.h - the folders of a Hyper-V VM's files, to know how far
 * evidence reaches on disk.
 *
 * Export-VM writes <dest>/<VM name>/ with "Virtual Machines" (the .vmcx,
 * .vmrs and .vmgs, and a folder named after the VM's GUID for runtime
 * files), "Virtual Hard Disks" and "Snapshots" (checkpoints, again with
 * GUID-named folders); a host's VM folder may also hold "Planned Virtual
 * Machines" (an import in progress) and "UndoLog Configuration".  A file of
 * such a layout is part of the whole VM folder: the export root.
 */
#ifndef HVTPM_EXPORT_LAYOUT_H
#define HVTPM_EXPORT_LAYOUT_H

#include <stdbool.h>

/* True when name is one of the layout folders above (in any case). */
bool export_layout_folder(const char *name);

/*
 * The export root of folder dir (an absolute path without "." or ".."
 * components or a trailing slash, as realpath() gives): dir's ancestors are
 * walked up while the folder is a layout folder, or a GUID-named folder in
 * "Virtual Machines" or "Snapshots".  *in_layout is set when dir was in a
 * layout (the root differs from dir) or holds a layout folder itself (a VM
 * folder).  Returns a new string; dir itself when it is no part of a layout.
 */
char *export_root(const char *dir, bool *in_layout);

#endif
