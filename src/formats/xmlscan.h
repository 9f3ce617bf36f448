/*
 * xmlscan.h - the linear pre-scan xml_parse_bounded runs before libxml2 sees
 * a document.
 *
 * libxml2 2.9 checks duplicate attributes in quadratic time and builds the
 * whole tree before any cap of ours could look at it.  The pre-scan reads the
 * bytes once, in time linear in their length and without allocating, and
 * refuses documents over the caps of xmlsafe.h (attributes per element and in
 * all, elements, other nodes, nesting depth, namespace declarations in scope),
 * documents with a DTD, and encodings whose bytes it cannot tokenise.
 *
 * It never refuses a well-formed document within the caps: on well-formed
 * input its counts are exact (an attribute is a name = "value" pair outside
 * any quoted value, comment, CDATA section or processing instruction).  It
 * stops at the first construct that is not well-formed (a tag it cannot
 * read, a character libxml2 would end a comment, PI or CDATA section at);
 * libxml2 is then given the bytes up to a small margin past that point
 * (parse_len), so it fails there and, as libxml2 2.9 goes on after a fatal
 * error, never works on what was not counted.  Elsewhere libxml2 and the
 * scan see the same markup: after an error in a tag or text libxml2 resumes
 * at the next '<', which the scan saw as markup too (names and values hold
 * no '<').
 *
 * Encodings, as libxml2 detects them [libxml2 2.9 xmlDetectCharEncoding]:
 * UTF-16LE/BE (by BOM or by "<?" in 16-bit units) is read in 16-bit units,
 * everything else in bytes.  The encoding a document declares is checked
 * because libxml2 switches to it: a UTF-16 document must declare UTF-16
 * (or UTF-8, which libxml2 ignores there), a byte document an encoding whose
 * bytes below 0x80 are always ASCII (UTF-8, US-ASCII, ISO-8859-n,
 * windows-125n).  Other encodings libxml2 knows (Shift_JIS, UTF-7, UCS-4,
 * EBCDIC, ...) can hide markup from a byte scan and are refused as
 * unsupported; names libxml2 does not know are left to it to reject.
 * Hyper-V and MS-KPS documents are UTF-8 or UTF-16.
 */
#ifndef HVTPM_XMLSCAN_H
#define HVTPM_XMLSCAN_H

#include <stddef.h>
#include <stdint.h>

#include "util/diag.h"

typedef struct {
	size_t elements;   /* start and empty-element tags */
	size_t attributes; /* name="value" pairs, namespace declarations included */
	size_t others;     /* comments, processing instructions, CDATA sections */
	size_t max_depth;  /* deepest element nesting (the root is 1) */
	size_t parse_len;  /* bytes libxml2 may parse (the whole buffer when well-formed) */
	size_t stopped_at; /* byte where the scan stopped at what is not XML, or len */
	size_t at;         /* refusal: byte offset in the scanned buffer */
	char why[160];     /* refusal: one line naming the cap or the reason */
} xml_scan;

/*
 * Scans len bytes.  HV_OK when libxml2 may parse them; otherwise s->at and
 * s->why say where and why they are refused: HV_ERR_LIMIT (a cap),
 * HV_ERR_UNSUPPORTED (an encoding not read), HV_ERR_CORRUPT (a DTD).
 */
hv_err xml_prescan(const void *data, size_t len, xml_scan *s);

#endif
