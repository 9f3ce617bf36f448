/* lines.c - whole lines out of the windows of a stream (lines.h). */
#include "util/lines.h"

#include <string.h>

lines_status lines_feed(strbuf *part, size_t max, const char *p, size_t len, line_fn fn,
			void *ctx)
{
	const char *end = p + len;
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t n = nl ? (size_t)(nl - p) : (size_t)(end - p);
		if (part->len + n > max)
			return LINES_TOO_LONG;
		if (!nl) {
			sb_add(part, p, n);
			break;
		}
		bool ok;
		if (part->len) {
			sb_add(part, p, n);
			ok = fn(ctx, part->buf, part->len);
			sb_reset(part);
		} else {
			ok = fn(ctx, p, n);
		}
		if (!ok)
			return LINES_STOPPED;
		p = nl + 1;
	}
	return LINES_MORE;
}
