/* export_layout.c - how far a Hyper-V VM's folder reaches (see export_layout.h). */
#include "model/export_layout.h"

#include <dirent.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "util/text.h"
#include "util/xalloc.h"

static const char *const layout_folders[] = {
	"Virtual Machines", "Virtual Hard Disks", "Snapshots", "Planned Virtual Machines",
	"UndoLog Configuration",
};

bool export_layout_folder(const char *name)
{
	for (size_t i = 0; i < sizeof layout_folders / sizeof *layout_folders; i++)
		if (strcasecmp(name, layout_folders[i]) == 0)
			return true;
	return false;
}

/* A folder in which Hyper-V names runtime or checkpoint folders after a GUID. */
static bool guid_parent(const char *name)
{
	return strcasecmp(name, "Virtual Machines") == 0 || strcasecmp(name, "Snapshots") == 0;
}

static bool is_guid(const char *name)
{
	char *g = guid_canonical(name);
	bool yes = g != NULL;
	free(g);
	return yes;
}

/* True when dir holds a layout folder (a VM folder, an export root). */
static bool holds_layout(const char *dir)
{
	DIR *d = opendir(dir);
	if (!d)
		return false;
	bool yes = false;
	for (struct dirent *e; !yes && (e = readdir(d)) != NULL;)
		yes = export_layout_folder(e->d_name);
	closedir(d);
	return yes;
}

char *export_root(const char *dir, bool *in_layout)
{
	char *root = xstrdup(dir);
	*in_layout = false;
	for (;;) {
		char *slash = strrchr(root, '/');
		if (!slash || slash == root)
			break; /* "/" or a relative name: nothing above to walk to */
		const char *base = slash + 1;
		bool up = export_layout_folder(base);
		if (!up && is_guid(base)) {
			*slash = '\0';
			const char *pslash = strrchr(root, '/');
			up = guid_parent(pslash ? pslash + 1 : root);
			*slash = '/';
		}
		if (!up)
			break;
		*slash = '\0';
		*in_layout = true;
	}
	if (!*in_layout)
		*in_layout = holds_layout(root);
	return root;
}
