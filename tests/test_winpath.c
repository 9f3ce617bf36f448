/* test_winpath.c - Windows paths from VM configurations resolved in an evidence tree. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "model/export_layout.h"
#include "model/winpath.h"
#include "support/testutil.h"

START_TEST(basename_of_windows_paths)
{
	static const struct {
		const char *in, *out;
	} cases[] = {
		{ "C:\\Disks\\Default Generation 1.vhdx", "Default Generation 1.vhdx" },
		{ "plain.vhdx", "plain.vhdx" },
		{ "C:rel.vhdx", "rel.vhdx" },
		{ "\\\\server\\share\\dir\\net.avhdx", "net.avhdx" },
		{ "D:/mixed\\seps/last.iso", "last.iso" },
		{ "C:\\x\\..\\..\\etc\\passwd", "passwd" },
		{ "C:\\dir\\", NULL },
		{ "C:\\dir\\..", NULL },
		{ "C:\\dir\\.", NULL },
		{ "C:", NULL },
		{ "", NULL },
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		char *b = winpath_basename(cases[i].in);
		if (cases[i].out)
			ck_assert_str_eq(b, cases[i].out);
		else
			ck_assert_msg(b == NULL, "%s -> %s", cases[i].in, b);
		free(b);
	}
	ck_assert_ptr_null(winpath_basename(NULL));
}
END_TEST

START_TEST(normalize_is_lexical)
{
	static const struct {
		const char *in, *out;
	} cases[] = {
		{ "/a/./b//c/../d", "/a/b/d" },
		{ "a/../../b", "../b" },
		{ "../../x", "../../x" },
		{ "/../x", "/x" },
		{ "/", "/" },
		{ "", "." },
		{ "./", "." },
		{ "a/b/..", "a" },
		{ "/vm/Virtual Machines/../Virtual Hard Disks/d.vhdx",
		  "/vm/Virtual Hard Disks/d.vhdx" },
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		char *n = winpath_normalize(cases[i].in);
		ck_assert_msg(strcmp(n, cases[i].out) == 0, "%s -> %s", cases[i].in, n);
		free(n);
	}
}
END_TEST

typedef struct {
	char *root, *vms, *vhds;
} tree;

/* root/VM/Virtual Machines and root/VM/Virtual Hard Disks */
static tree make_tree(void)
{
	tree t;
	t.root = tu_mkdtemp();
	t.vms = tu_join(t.root, "VM/Virtual Machines");
	t.vhds = tu_join(t.root, "VM/Virtual Hard Disks");
	char *f = tu_join(t.vms, "cfg.vmcx");
	tu_write(f, "c", 1);
	free(f);
	return t;
}

static void drop_tree(tree *t)
{
	tu_rmtree(t->root);
	free(t->root);
	free(t->vms);
	free(t->vhds);
}

static void put(const char *dir, const char *name)
{
	char *p = tu_join(dir, name);
	tu_write(p, "d", 1);
	free(p);
}

START_TEST(search_order_and_existence)
{
	tree t = make_tree();
	put(t.vms, "same.vhdx");
	put(t.vhds, "parent.vhdx");
	char *sub = tu_join(t.vms, "Virtual Hard Disks");
	put(sub, "sub.vhdx");
	winpath_list l;
	/* Same folder. */
	ck_assert_uint_eq(winpath_resolve("C:\\x\\same.vhdx", WINPATH_DISK, t.vms, t.root, &l), 1);
	ck_assert_uint_eq(l.n, 3);
	ck_assert_int_eq(l.v[0].rule, WINPATH_SAME_FOLDER);
	ck_assert_int_eq(l.v[1].rule, WINPATH_VHD_FOLDER);
	ck_assert_int_eq(l.v[2].rule, WINPATH_PARENT_VHD_FOLDER);
	ck_assert(l.v[0].exists && !l.v[1].exists && !l.v[2].exists);
	char *want = tu_join(t.vms, "same.vhdx");
	ck_assert_str_eq(l.v[0].path, want);
	free(want);
	winpath_list_free(&l);
	/* <config dir>/Virtual Hard Disks. */
	ck_assert_uint_eq(winpath_resolve("C:\\x\\sub.vhdx", WINPATH_DISK, t.vms, t.root, &l), 1);
	ck_assert(!l.v[0].exists && l.v[1].exists && !l.v[2].exists);
	winpath_list_free(&l);
	/* <config dir>/../Virtual Hard Disks, the usual Hyper-V layout. */
	ck_assert_uint_eq(winpath_resolve("E:\\p\\parent.vhdx", WINPATH_DISK, t.vms, t.root, &l),
			  1);
	ck_assert(l.v[2].exists && !l.v[2].outside_tree);
	want = tu_join(t.vhds, "parent.vhdx");
	ck_assert_str_eq(l.v[2].path, want);
	free(want);
	winpath_list_free(&l);
	/* Nowhere. */
	ck_assert_uint_eq(winpath_resolve("C:\\none.vhdx", WINPATH_DISK, t.vms, t.root, &l), 0);
	ck_assert_uint_eq(l.n, 3);
	winpath_list_free(&l);
	/* A directory of that name is not the disk. */
	char *dir = tu_join(t.vms, "adir.vhdx/x");
	tu_write(dir, "x", 1);
	free(dir);
	ck_assert_uint_eq(winpath_resolve("C:\\adir.vhdx", WINPATH_DISK, t.vms, t.root, &l), 0);
	winpath_list_free(&l);
	/* Guest state: only the configuration's own folder. */
	put(t.vms, "cfg.vmgs");
	ck_assert_uint_eq(winpath_resolve("C:\\H\\cfg.vmgs", WINPATH_GUEST_STATE, t.vms, t.root,
					  &l), 1);
	ck_assert_uint_eq(l.n, 1);
	ck_assert(l.v[0].exists);
	winpath_list_free(&l);
	/* No usable base name: no candidates. */
	ck_assert_uint_eq(winpath_resolve("C:\\dir\\..", WINPATH_DISK, t.vms, t.root, &l), 0);
	ck_assert_uint_eq(l.n, 0);
	winpath_list_free(&l);
	ck_assert_uint_eq(winpath_resolve(NULL, WINPATH_DISK, t.vms, t.root, &l), 0);
	ck_assert_uint_eq(l.n, 0);
	free(sub);
	drop_tree(&t);
}
END_TEST

START_TEST(outside_tree_is_flagged_not_checked)
{
	tree t = make_tree();
	put(t.vhds, "parent.vhdx");
	winpath_list l;
	/* The user gave only the Virtual Machines folder: ../Virtual Hard Disks is outside. */
	ck_assert_uint_eq(winpath_resolve("C:\\parent.vhdx", WINPATH_DISK, t.vms, t.vms, &l), 0);
	ck_assert(!l.v[0].outside_tree && !l.v[1].outside_tree);
	ck_assert(l.v[2].outside_tree);
	ck_assert(!l.v[2].exists);
	winpath_list_free(&l);
	/* Without a tree nothing is outside and the file is found. */
	ck_assert_uint_eq(winpath_resolve("C:\\parent.vhdx", WINPATH_DISK, t.vms, NULL, &l), 1);
	ck_assert(!l.v[2].outside_tree && l.v[2].exists);
	winpath_list_free(&l);
	drop_tree(&t);
}
END_TEST

START_TEST(symlinks_are_not_followed)
{
	tree t = make_tree();
	char *elsewhere = tu_mkdtemp();
	put(elsewhere, "linked.vhdx");
	put(elsewhere, "target.vhdx");
	/* The disk file itself is a link. */
	char *target = tu_join(elsewhere, "target.vhdx");
	char *link = tu_join(t.vms, "file.vhdx");
	ck_assert_int_eq(symlink(target, link), 0);
	winpath_list l;
	ck_assert_uint_eq(winpath_resolve("C:\\file.vhdx", WINPATH_DISK, t.vms, t.root, &l), 0);
	ck_assert(l.v[0].via_symlink && !l.v[0].exists);
	winpath_list_free(&l);
	/* The Virtual Hard Disks folder (absent so far) is a link out of the tree. */
	ck_assert_int_eq(symlink(elsewhere, t.vhds), 0);
	ck_assert_uint_eq(winpath_resolve("C:\\linked.vhdx", WINPATH_DISK, t.vms, t.root, &l), 0);
	ck_assert(l.v[2].via_symlink && !l.v[2].exists && !l.v[2].outside_tree);
	winpath_list_free(&l);
	tu_rmtree(elsewhere);
	free(elsewhere);
	free(target);
	free(link);
	drop_tree(&t);
}
END_TEST

START_TEST(relative_config_dir)
{
	tree t = make_tree();
	put(t.vhds, "rel.vhdx");
	char *cwd = getcwd(NULL, 0);
	char *vmdir = tu_join(t.root, "VM");
	ck_assert_int_eq(chdir(vmdir), 0);
	winpath_list l;
	ck_assert_uint_eq(winpath_resolve("C:\\rel.vhdx", WINPATH_DISK, "Virtual Machines", ".",
					  &l), 1);
	ck_assert_str_eq(l.v[2].path, "Virtual Hard Disks/rel.vhdx");
	ck_assert(l.v[2].exists);
	winpath_list_free(&l);
	/* Evidence root "Virtual Machines": the parent folder is outside. */
	ck_assert_uint_eq(winpath_resolve("C:\\rel.vhdx", WINPATH_DISK, "Virtual Machines",
					  "Virtual Machines", &l), 0);
	ck_assert(l.v[2].outside_tree);
	winpath_list_free(&l);
	ck_assert_int_eq(chdir(cwd), 0);
	free(cwd);
	free(vmdir);
	drop_tree(&t);
}
END_TEST

/* The VM folder a file of a Hyper-V layout belongs to. */
/*
 * A configuration inside an archive: its candidates are members of that
 * archive (nothing is checked on disk, even where a file of that name
 * exists), the member part normalised on its own so that ".." never leaves
 * the archive; and the lookup key of an evidence member takes the same form.
 */
START_TEST(archive_members_resolve_inside_their_archive)
{
	tree t = make_tree();
	put(t.vhds, "disk.vhdx"); /* on disk next to where the archive would be: never a candidate */
	char *arc = tu_join(t.root, "VM.zip");
	winpath_list l;
	ck_assert_uint_eq(winpath_resolve_member("D:\\x\\disk.vhdx", WINPATH_DISK, arc,
						 "Virtual Machines", &l), 0);
	ck_assert_uint_eq(l.n, 3);
	static const char *const want[] = { "!Virtual Machines/disk.vhdx",
					    "!Virtual Machines/Virtual Hard Disks/disk.vhdx",
					    "!Virtual Hard Disks/disk.vhdx" };
	for (size_t i = 0; i < 3; i++) {
		char *w = NULL;
		ck_assert_int_ge(asprintf(&w, "%s%s", arc, want[i]), 0);
		ck_assert_str_eq(l.v[i].path, w);
		ck_assert(l.v[i].in_archive && !l.v[i].exists && !l.v[i].via_symlink);
		free(w);
	}
	winpath_list_free(&l);
	/* at the archive's top, ".." stays inside the archive */
	winpath_resolve_member("D:\\x\\disk.vhdx", WINPATH_DISK, "a.zip", ".", &l);
	ck_assert_str_eq(l.v[0].path, "a.zip!disk.vhdx");
	ck_assert_str_eq(l.v[2].path, "a.zip!../Virtual Hard Disks/disk.vhdx");
	winpath_list_free(&l);
	winpath_resolve_member("D:\\x\\g.vmgs", WINPATH_GUEST_STATE, "a.tar", "./VM", &l);
	ck_assert_uint_eq(l.n, 1);
	ck_assert_str_eq(l.v[0].path, "a.tar!VM/g.vmgs");
	winpath_list_free(&l);
	/* lookup keys: members normalised on their own, the archive part kept */
	char *k = winpath_key("ev/a.tar!./Virtual Hard Disks/d.vhdx", strlen("ev/a.tar!"));
	ck_assert_str_eq(k, "ev/a.tar!Virtual Hard Disks/d.vhdx");
	free(k);
	k = winpath_key("ev/./a!b/./c.vhdx", 0); /* on disk: a '!' is part of a name */
	ck_assert_str_eq(k, "ev/a!b/c.vhdx");
	free(k);
	/* a folder on disk with a '!' in its name resolves on disk as any other */
	char *bang = tu_join(t.root, "old!VM/Virtual Machines");
	char *bvhds = tu_join(t.root, "old!VM/Virtual Hard Disks");
	put(bvhds, "disk.vhdx");
	ck_assert_uint_eq(winpath_resolve("D:\\x\\disk.vhdx", WINPATH_DISK, bang, t.root, &l), 1);
	for (size_t i = 0; i < l.n; i++)
		ck_assert(!l.v[i].in_archive);
	ck_assert(l.v[2].exists);
	winpath_list_free(&l);
	free(bang);
	free(bvhds);
	free(arc);
	drop_tree(&t);
}
END_TEST

START_TEST(export_root_walks_up_the_layout)
{
	char *dir = tu_mkdtemp();
	static const struct {
		const char *in, *root; /* relative to dir */
		bool layout;
	} cases[] = {
		{ "exp/web01/Virtual Machines", "exp/web01", true },
		{ "exp/web01/virtual machines", "exp/web01", true },
		{ "exp/web01/Virtual Hard Disks", "exp/web01", true },
		{ "exp/web01/Snapshots", "exp/web01", true },
		{ "exp/web01/Snapshots/0C5E9A41-6D2B-4F11-9B1E-2F7C8A3D4E01", "exp/web01", true },
		{ "exp/web01/Virtual Machines/0C5E9A41-6D2B-4F11-9B1E-2F7C8A3D4E01", "exp/web01", true },
		{ "exp/web01/Planned Virtual Machines", "exp/web01", true },
		{ "exp/web01/UndoLog Configuration", "exp/web01", true },
		{ "exp/web01", "exp/web01", true },  /* it holds "Virtual Machines" */
		{ "exp", "exp", false },
		{ "exp/web01/notes", "exp/web01/notes", false },
		/* a GUID folder only counts under "Virtual Machines" or "Snapshots" */
		{ "exp/0C5E9A41-6D2B-4F11-9B1E-2F7C8A3D4E01", "exp/0C5E9A41-6D2B-4F11-9B1E-2F7C8A3D4E01",
		  false },
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		char *in = tu_join(dir, cases[i].in), *want = tu_join(dir, cases[i].root);
		ck_assert_int_eq(tu_sh("mkdir -p '%s'", in), 0);
		bool layout;
		char *root = export_root(in, &layout);
		ck_assert_msg(strcmp(root, want) == 0, "%s: root %s", cases[i].in, root);
		ck_assert_msg(layout == cases[i].layout, "%s: layout %d", cases[i].in, layout);
		free(root);
		free(in);
		free(want);
	}
	ck_assert(export_layout_folder("SNAPSHOTS"));
	ck_assert(!export_layout_folder("Virtual Machine"));
	bool layout;
	char *root = export_root("/", &layout);
	ck_assert_str_eq(root, "/");
	free(root);
	tu_rmtree(dir);
	free(dir);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("winpath");
	TCase *tc = tcase_create("core");
	tcase_add_test(tc, basename_of_windows_paths);
	tcase_add_test(tc, export_root_walks_up_the_layout);
	tcase_add_test(tc, normalize_is_lexical);
	tcase_add_test(tc, search_order_and_existence);
	tcase_add_test(tc, outside_tree_is_flagged_not_checked);
	tcase_add_test(tc, symlinks_are_not_followed);
	tcase_add_test(tc, relative_config_dir);
	tcase_add_test(tc, archive_members_resolve_inside_their_archive);
	suite_add_tcase(s, tc);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
