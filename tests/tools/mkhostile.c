/*
 * mkhostile.c - lays out the hostile evidence of tests/hostile/ for a person
 * to look at (the test suite tests/test_hostile.c makes its own copy).
 *
 *   usage: mkhostile [--twin] OUTDIR     (make hostile: build/hostile/, build/hostile-twin/)
 */
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "hostile/hostile.h"

int main(int argc, char **argv)
{
	bool twin = argc == 3 && strcmp(argv[1], "--twin") == 0;
	if (argc != 2 && !twin) {
		fputs("usage: mkhostile [--twin] OUTDIR\n", stderr);
		return 3;
	}
	const char *out = argv[argc - 1];
	mkdir(out, 0755);
	if (!hostile_lay_out(out, twin))
		return 1;
	printf("%s/evidence (password file %s/passwords.txt)\n", out, out);
	return 0;
}
