/* store_report.c - HyperVStorage container facts. */
#include "report/store_report.h"

#include "report/out.h"

void store_report_text(FILE *o, const hvstore *h)
{
	const int w = 16;
	out_kv(o, "  ", w, "container", "HyperVStorage format 0x%04X, alignment 0x%X",
	       h->format_version, h->alignment);
	out_kv(o, "  ", w, "active header", "copy %d (at 0x%X), sequence %u%s%s", h->active_header,
	       h->active_header ? 0x1000 : 0, h->sequence,
	       h->header_crc_bad[0] ? ", copy 0 failed its checks" : "",
	       h->header_crc_bad[1] ? ", copy 1 failed its checks" : "");
	out_kv(o, "  ", w, "replay log", "%s (at 0x%llX, %llu bytes)",
	       h->dirty ? "DIRTY" : "clean", (unsigned long long)h->log_offset,
	       (unsigned long long)h->log_size);
	if (h->dirty)
		out_kv(o, "  ", w, "replayed", "%u of %u pending entries applied in memory, %u skipped; "
		       "the file was not changed", h->log_replayed, h->log_pending, h->log_skipped);
	out_kv(o, "  ", w, "tables", "%u object table(s), %u key table(s)", h->object_tables,
	       h->key_tables);
	out_kv(o, "  ", w, "entries", "%u live, %u free, %u bad (skipped), %u orphaned, %u file object(s)",
	       h->live_entries, h->free_entries, h->bad_entries, h->orphans, h->file_objects);
}

json_object *store_report_json(const hvstore *h)
{
	json_object *j = json_object_new_object();
	jadd_int(j, "format_version", h->format_version);
	jadd_int(j, "alignment", h->alignment);
	jadd_int(j, "active_header", h->active_header);
	jadd_int(j, "sequence", h->sequence);
	jadd_bool(j, "header0_bad", h->header_crc_bad[0]);
	jadd_bool(j, "header1_bad", h->header_crc_bad[1]);
	jadd_int(j, "log_offset", (int64_t)h->log_offset);
	jadd_int(j, "log_size", (int64_t)h->log_size);
	jadd_bool(j, "dirty", h->dirty);
	jadd_int(j, "log_pending", h->log_pending);
	jadd_int(j, "log_replayed", h->log_replayed);
	jadd_int(j, "log_skipped", h->log_skipped);
	jadd_int(j, "object_tables", h->object_tables);
	jadd_int(j, "key_tables", h->key_tables);
	jadd_int(j, "live_entries", h->live_entries);
	jadd_int(j, "free_entries", h->free_entries);
	jadd_int(j, "bad_entries", h->bad_entries);
	jadd_int(j, "orphans", h->orphans);
	jadd_int(j, "file_objects", h->file_objects);
	return j;
}
