/* cmd_inspect.c - placeholder while the readers land (replaced in this session). */
#include "cli/cli.h"
#include "util/exitcode.h"

int cmd_inspect(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	cli_err("inspect", "this command is not available in this build");
	return HV_EXIT_INTERNAL;
}
