/*
 * facts_fields.h - the disk facts as field tables, shared by the facts
 * writer and loader (model/facts_file.h): one row per member, so that what
 * is written and what is read back cannot drift apart.  Internal to model/.
 */
#ifndef HVTPM_FACTS_FIELDS_H
#define HVTPM_FACTS_FIELDS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "model/disk_facts.h"

#define FACTS_DER_MAX (1u << 20)    /* a certificate larger than this is damage */
#define FACTS_LIST_MAX (1u << 24)   /* entries of one array */

typedef enum { FT_BOOL, FT_U16, FT_U32, FT_U64, FT_INT, FT_UINT, FT_ENUM, FT_STR, FT_POOL,
	       FT_CHARS, FT_HEX16 } ftype;

typedef struct {
	const char *key;
	ftype t;
	size_t off;
	size_t arg;   /* FT_ENUM: largest value; FT_CHARS: array size */
} fdesc;

#define FB(S, m) { #m, FT_BOOL, offsetof(S, m), 0 }
#define F16(S, m) { #m, FT_U16, offsetof(S, m), 0 }
#define F32(S, m) { #m, FT_U32, offsetof(S, m), 0 }
#define F64(S, m) { #m, FT_U64, offsetof(S, m), 0 }
#define FI(S, m) { #m, FT_INT, offsetof(S, m), 0 }
#define FU(S, m) { #m, FT_UINT, offsetof(S, m), 0 }
#define FE(S, m, max) { #m, FT_ENUM, offsetof(S, m), (max) }
#define FS(S, m) { #m, FT_STR, offsetof(S, m), 0 }
#define FP(S, m) { #m, FT_POOL, offsetof(S, m), 0 }
#define FC(S, m) { #m, FT_CHARS, offsetof(S, m), sizeof(((S *)0)->m) }
#define FH(S, m) { #m, FT_HEX16, offsetof(S, m), 0 }

extern const fdesc layer_f[];
extern const size_t layer_fn;
extern const fdesc disk_f[];
extern const size_t disk_fn;
extern const fdesc table_f[];
extern const size_t table_fn;
extern const fdesc part_f[];
extern const size_t part_fn;
extern const fdesc vol_f[];
extern const size_t vol_fn;
extern const fdesc prot_f[];
extern const size_t prot_fn;

/* 16 bytes as 32 lower-case hex digits. */
void facts_hex16(char out[33], const uint8_t *b);
/* A hex digit's value; false for anything but 0-9 a-f. */
bool facts_hex_val(char c, unsigned *v);

#endif
