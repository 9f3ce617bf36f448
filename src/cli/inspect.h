/* inspect.h - inspect one file: detect its format by content and report it. */
#ifndef HVTPM_INSPECT_H
#define HVTPM_INSPECT_H

#include <stdbool.h>
#include <time.h>

#include <json-c/json.h>

#include "util/passwords.h"

typedef struct {
	bool tree;                 /* print the whole configuration tree */
	time_t at;                 /* certificate validity evaluated at */
	const hv_passwords *pw;
	bool follow_symlinks;
} inspect_opts;

/*
 * Inspects one regular file.  In text mode (files == NULL) prints to
 * stdout; in JSON mode appends one object to files.  Problems go to stderr,
 * one line each.  Returns an exit code (0, 4 or 5).
 */
int inspect_path(const char *path, const inspect_opts *o, json_object *files);

#endif
