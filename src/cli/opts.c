/*
 * opts.c - option parsing every command shares: long options spelled in
 * full only, errors that name the option and never echo its value, and
 * the --at date check.
 *
 * getopt_long() accepts any unambiguous prefix of a long option, so
 * "--password SECRET" used to be taken as --password-file and the secret
 * printed back as a file name.  cli_getopt() checks the whole command line
 * against the option table first: a long option must be spelled exactly,
 * and an unknown one is reported by its name alone (what follows '=' is
 * never shown).  Only then is getopt_long() run, with its own messages off.
 */
#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cli/cli.h"
#include "report/term.h"
#include "util/text.h"

#define NAME_SHOWN_MAX 64 /* bytes of an unknown option's name shown in an error */

static const struct option *find_long(const struct option *lo, const char *name, size_t len)
{
	for (; lo->name; lo++)
		if (strlen(lo->name) == len && strncmp(lo->name, name, len) == 0)
			return lo;
	return NULL;
}

/* The one option whose name starts with name[0..len), or NULL (none or several). */
static const struct option *only_prefix(const struct option *lo, const char *name, size_t len)
{
	const struct option *hit = NULL;
	for (; lo->name; lo++) {
		if (strncmp(lo->name, name, len) != 0)
			continue;
		if (hit)
			return NULL;
		hit = lo;
	}
	return hit;
}

static bool mentions_password(const char *name, size_t len)
{
	static const char w[] = "pass";
	for (size_t i = 0; i + sizeof w - 1 <= len; i++)
		if (strncasecmp(name + i, w, sizeof w - 1) == 0)
			return true;
	return false;
}

static void unknown_long(const char *cmd, const struct option *lo, const char *name, size_t len)
{
	char shown[NAME_SHOWN_MAX + 1];
	bool cut = len > NAME_SHOWN_MAX;
	size_t n = cut ? NAME_SHOWN_MAX : len;
	memcpy(shown, name, n);
	shown[n] = '\0';
	char *esc = term_escape(shown);
	const struct option *near = len ? only_prefix(lo, name, len) : NULL;
	if (near)
		cli_err(cmd, "unknown option '--%s%s' (options are not abbreviated: did you mean "
			     "'--%s'?)", esc, cut ? "..." : "", near->name);
	else
		cli_err(cmd, "unknown option '--%s%s'", esc, cut ? "..." : "");
	if (mentions_password(name, len))
		cli_err(cmd, "passwords are never taken from the command line: use --password-file "
			     "FILE, --ask-password or the HVTPM_PFX_PASSWORD environment variable");
	free(esc);
}

/* Index into shortopts of c, or NULL; *arg: it takes a value. */
static const char *find_short(const char *shortopts, char c, bool *arg)
{
	const char *s = shortopts;
	if (*s == ':' || *s == '+' || *s == '-')
		s++;
	for (; *s; s++) {
		if (*s == ':')
			continue;
		if (*s == c) {
			*arg = s[1] == ':';
			return s;
		}
	}
	return NULL;
}

/* Checks one "-abc" cluster; *consumed is set when it takes the next argument. */
static bool check_short(const char *cmd, const char *a, const char *shortopts, bool have_next,
			bool *consumed)
{
	*consumed = false;
	for (const char *p = a + 1; *p; p++) {
		bool arg = false;
		if (!find_short(shortopts, *p, &arg) || *p == ':') {
			char s[2] = { *p, '\0' };
			char *esc = term_escape(s);
			cli_err(cmd, "unknown option '-%s'", esc);
			free(esc);
			return false;
		}
		if (!arg)
			continue;
		if (p[1])
			return true; /* the value is the rest of this word */
		if (!have_next) {
			cli_err(cmd, "option '-%c' needs a value", *p);
			return false;
		}
		*consumed = true;
		return true;
	}
	return true;
}

/* Checks one "--name[=value]"; *consumed is set when it takes the next argument. */
static bool check_long(const char *cmd, const char *a, const struct option *longopts,
		       bool have_next, bool *consumed)
{
	const char *name = a + 2;
	size_t len = strcspn(name, "=");
	bool inline_value = name[len] == '=';
	*consumed = false;
	const struct option *o = find_long(longopts, name, len);
	if (!o) {
		unknown_long(cmd, longopts, name, len);
		return false;
	}
	if (o->has_arg == no_argument && inline_value) {
		cli_err(cmd, "option '--%s' takes no value", o->name);
		return false;
	}
	if (o->has_arg == required_argument && !inline_value) {
		if (!have_next) {
			cli_err(cmd, "option '--%s' needs a value", o->name);
			return false;
		}
		*consumed = true;
	}
	return true;
}

bool cli_check_options(const char *cmd, int argc, char *const *argv, const char *shortopts,
		       const struct option *longopts)
{
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		if (strcmp(a, "--") == 0)
			break;
		if (a[0] != '-' || a[1] == '\0')
			continue; /* an operand (getopt_long takes options after operands too) */
		bool consumed = false, ok;
		if (a[1] == '-')
			ok = check_long(cmd, a, longopts, i + 1 < argc, &consumed);
		else
			ok = check_short(cmd, a, shortopts, i + 1 < argc, &consumed);
		if (!ok)
			return false;
		if (consumed)
			i++;
	}
	return true;
}

int cli_getopt(const char *cmd, int argc, char **argv, const char *shortopts,
	       const struct option *longopts)
{
	if (optind <= 1 && !cli_check_options(cmd, argc, argv, shortopts, longopts))
		return '?';
	opterr = 0;
	int c = getopt_long(argc, argv, shortopts, longopts, NULL);
	if (c == '?' || c == ':') {
		/* not reached after the check above; never echo what was typed */
		cli_err(cmd, "bad option");
		return '?';
	}
	return c;
}

bool cli_parse_date(const char *cmd, const char *opt, const char *arg, time_t *out)
{
	if (iso_parse(arg, out))
		return true;
	char *esc = term_escape(arg);
	cli_err(cmd, "%s wants an ISO 8601 date that exists, such as 2026-10-01 or "
		     "2026-10-01T12:00:00+02:00 (hours to 23, offsets within 14:00), not '%s'",
		opt, esc);
	free(esc);
	return false;
}

time_t cli_generated_at(bool at_given, time_t at, time_t now)
{
	const char *s = getenv("SOURCE_DATE_EPOCH");
	if (s && *s) {
		char *end;
		errno = 0;
		long long v = strtoll(s, &end, 10);
		if (!errno && !*end && v >= 0)
			return (time_t)v;
	}
	return at_given ? at : now;
}
