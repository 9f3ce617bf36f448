/*
 * facts_file.h - the facts file: what one audit read, for deciding elsewhere.
 *
 * `hvtpm audit --facts-out FILE` writes, as JSON Lines, what the collector
 * holds once every file is read: each evidence file (path, size, SHA-256,
 * class, what it is, its disk facts), the certificates each file holds
 * (DER, whether with the private key), the findings, every configuration
 * (the VM's id, name, vTPM facts, rebuild settings and the path candidates
 * association can use) and every key protector (where it was found, the
 * certificates its wrappings embed).  Files read while tying evidence to
 * VMs (a disk next to a configuration the walk did not reach) follow,
 * marked late.  No password, private key or transport key is written.
 *
 * `hvtpm merge` loads one or more facts files into a collector and lets
 * association, verdicts and reports run as if one audit had read every
 * shard's paths: the report is byte-identical to that audit's.
 *
 * Layout (one JSON object per line, key "t" gives the record type):
 *   header   t "hvtpm-facts", schema_version, tool, shard, roots, passwords
 *   cert     n (this file's certificate number), der (base64)
 *   file     path, size, sha256, ..., late
 *   holding  file (this file's file number), cert, private_key, detail
 *   finding  severity, file, offset, message
 *   config   file, id, name, ..., key_protectors
 *   loose    hint_id, hint_name, key_protector
 *   end      records (before this one), sha256 (of every line before this one)
 * Strings that are not UTF-8 are written as {"hex": "..."}.  The full
 * description is in docs/facts.md.
 */
#ifndef HVTPM_FACTS_FILE_H
#define HVTPM_FACTS_FILE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "model/collect.h"
#include "util/diag.h"

#define FACTS_SCHEMA_VERSION 1
#define FACTS_LINE_MAX (64u * 1024 * 1024)  /* a longer line is damage */

/* What a facts file says about the run that wrote it. */
typedef struct {
	const char *shard;        /* label (default: the host name) */
	char *const *roots;       /* the paths given on the command line */
	size_t nroots;
	size_t npasswords;        /* PFX password candidates the run had */
} facts_meta;

typedef struct facts_writer facts_writer;

/* Starts a facts file on out (the header line). */
facts_writer *facts_write_begin(FILE *out, const facts_meta *m);
/*
 * Writes the collector's state before association: every file from the
 * first not yet written, its holdings, the findings not yet written, and
 * the configurations and loose key protectors.
 */
void facts_write_collected(facts_writer *w, const collector *c);
/* After association: the files read late (and their holdings, findings). */
void facts_write_late(facts_writer *w, const collector *c);
/* Writes the end line and frees w; false when out had a write error. */
bool facts_write_end(facts_writer *w);

/* What merge learnt of the facts files it loaded. */
typedef struct {
	char **roots;             /* every root, with its shard label when labels differ */
	size_t nroots;
	size_t npasswords;        /* the largest number any shard had */
	size_t nshards;           /* distinct shard labels */
	char **sha256;            /* of each facts file read (hex) */
	size_t nfiles;
	bool duplicate;           /* the load stopped on a shard given twice */
} facts_loaded;

/*
 * Loads the facts files, in order, into the collector (made with
 * collector_new_offline).  Stops at the first problem: HV_ERR_CORRUPT (a
 * damaged or truncated file, an unknown record), HV_ERR_UNSUPPORTED (another
 * schema version), HV_ERR_IO (cannot read), HV_ERR_FORMAT (not a facts
 * file), HV_ERR_LIMIT (a line too long), or HV_ERR_CORRUPT with
 * out->duplicate when the same shard is given twice; a finding names the
 * file and line.  The collector is then in an unspecified state: free it
 * without using its evidence.
 */
hv_err facts_load(collector *c, char *const *files, size_t n, facts_loaded *out,
		  hv_findings *f);
void facts_loaded_free(facts_loaded *l);

#endif
