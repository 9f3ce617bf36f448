/* exitcode.h - the documented exit codes of hvtpm (see man/hvtpm.1). */
#ifndef HVTPM_EXITCODE_H
#define HVTPM_EXITCODE_H

enum hv_exit {
	HV_EXIT_OK = 0,        /* success; every VM no_vtpm or restorable */
	HV_EXIT_ATTENTION = 1, /* a verdict that needs attention */
	HV_EXIT_REBUILD = 2,   /* at least one VM must be rebuilt */
	HV_EXIT_USAGE = 3,     /* bad command line */
	HV_EXIT_INPUT = 4,     /* unreadable, corrupt or unsupported evidence */
	HV_EXIT_INTERNAL = 5,  /* a bug or resource failure in hvtpm */
};

#endif
