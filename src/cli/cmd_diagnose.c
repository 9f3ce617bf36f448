/* cmd_diagnose.c - placeholder while the readers land (replaced in this session). */
#include "cli/cli.h"
#include "util/exitcode.h"

int cmd_diagnose(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	cli_err("diagnose", "this command is not available in this build");
	return HV_EXIT_INTERNAL;
}
