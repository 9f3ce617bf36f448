/*
 * lines.h - the lines of a stream that arrives in windows (src_stream):
 * each line whole, however the windows cut it, and none longer than a cap.
 */
#ifndef HVTPM_LINES_H
#define HVTPM_LINES_H

#include <stdbool.h>
#include <stddef.h>

#include "util/strbuf.h"

/* Receives one line, without its '\n'; false stops the feeding. */
typedef bool (*line_fn)(void *ctx, const char *s, size_t n);

typedef enum {
	LINES_MORE = 0,     /* every complete line handed on: feed the next window */
	LINES_STOPPED,      /* fn returned false */
	LINES_TOO_LONG,     /* a line is longer than the cap (fn not called for it) */
} lines_status;

/*
 * Hands fn each line that '\n' ends in p[0, len).  The start of a line the
 * window cuts waits in part (empty it, or hand it on as the last line, at
 * the end of the stream).
 */
lines_status lines_feed(strbuf *part, size_t max, const char *p, size_t len, line_fn fn,
			void *ctx);

#endif
