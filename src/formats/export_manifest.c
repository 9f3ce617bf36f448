/*
 * export_manifest.c - reader of hvtpm-export-manifest.json and the check of
 * a folder against it.  The format is described in export_manifest.h; it is
 * ours (written by the script `hvtpm script export` generates), so every
 * field is validated strictly: a manifest that lies about a file is worse
 * than none.
 *
 * Parsing: json-c in strict mode with a nesting cap, the whole input in one
 * call, nothing but white space after the document.  Strings must be valid
 * UTF-8 without U+0000 and at most EXPORT_MANIFEST_MAX_TEXT bytes.
 */
#include "formats/export_manifest.h"

#include <ctype.h>
#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <json-c/json.h>

#include "util/text.h"
#include "util/xalloc.h"

#define SNIFF_BYTES 4096
#define MARKER_QUOTED "\"" EXPORT_MANIFEST_MARKER "\""

static const uint8_t BOM_UTF8[3] = { 0xEF, 0xBB, 0xBF };
static const uint8_t BOM_UTF16LE[2] = { 0xFF, 0xFE };

/* ---- input text ---------------------------------------------------------------------- */

/* The document as UTF-8 without BOM (a new NUL-terminated copy). */
static char *as_utf8(span_t d, size_t *len)
{
	if (d.len >= 2 && memcmp(d.data, BOM_UTF16LE, 2) == 0) {
		char *s = utf16le_to_utf8(d.data + 2, d.len - 2);
		*len = strlen(s);
		return s;
	}
	size_t skip = d.len >= 3 && memcmp(d.data, BOM_UTF8, 3) == 0 ? 3 : 0;
	*len = d.len - skip;
	char *s = xmalloc(*len + 1);
	memcpy(s, d.data + skip, *len);
	s[*len] = '\0';
	return s;
}

static bool has_marker(const char *s, size_t len)
{
	return memmem(s, len, MARKER_QUOTED, strlen(MARKER_QUOTED)) != NULL;
}

bool export_manifest_sniff(span_t data)
{
	span_t head = span_make(data.data, data.len < SNIFF_BYTES ? data.len : SNIFF_BYTES);
	size_t len;
	char *s = as_utf8(head, &len);
	size_t i = 0;
	while (i < len && isspace((unsigned char)s[i]))
		i++;
	bool ok = i < len && s[i] == '{' && has_marker(s + i, len - i);
	free(s);
	return ok;
}

/* ---- fields -------------------------------------------------------------------------- */

typedef struct {
	const char *src;
	hv_findings *f;
	long index;               /* entry being read, -1 for the top level */
} rd;

static hv_err bad(const rd *r, const char *field, const char *why)
{
	if (r->index < 0)
		findings_add(r->f, HV_SEV_ERROR, r->src, HV_NO_OFFSET,
			     "export manifest: \"%s\" %s", field, why);
	else
		findings_add(r->f, HV_SEV_ERROR, r->src, HV_NO_OFFSET,
			     "export manifest: certificates[%ld]: \"%s\" %s", r->index, field, why);
	return HV_ERR_CORRUPT;
}

/* A string member: *out set (borrowed) or NULL when absent and optional. */
static hv_err get_str(const rd *r, json_object *o, const char *key, bool required,
		      const char **out)
{
	json_object *v = NULL;
	*out = NULL;
	if (!json_object_object_get_ex(o, key, &v) || v == NULL)
		return required ? bad(r, key, "is missing") : HV_OK;
	if (!json_object_is_type(v, json_type_string))
		return bad(r, key, "is not a string");
	const char *s = json_object_get_string(v);
	size_t len = (size_t)json_object_get_string_len(v);
	if (len != strlen(s))
		return bad(r, key, "holds a NUL character");
	if (len > EXPORT_MANIFEST_MAX_TEXT)
		return bad(r, key, "is too long");
	if (!utf8_valid(s, len))
		return bad(r, key, "is not valid UTF-8");
	*out = s;
	return HV_OK;
}

static hv_err get_dup(const rd *r, json_object *o, const char *key, bool required, char **out)
{
	const char *s;
	hv_err rc = get_str(r, o, key, required, &s);
	*out = rc == HV_OK && s ? xstrdup(s) : NULL;
	return rc;
}

static hv_err get_bool(const rd *r, json_object *o, const char *key, bool required, bool dflt,
		       bool *out)
{
	json_object *v = NULL;
	*out = dflt;
	if (!json_object_object_get_ex(o, key, &v) || v == NULL)
		return required ? bad(r, key, "is missing") : HV_OK;
	if (!json_object_is_type(v, json_type_boolean))
		return bad(r, key, "is not true or false");
	*out = json_object_get_boolean(v);
	return HV_OK;
}

static hv_err get_time(const rd *r, json_object *o, const char *key, time_t *out)
{
	const char *s;
	hv_err rc = get_str(r, o, key, true, &s);
	if (rc != HV_OK)
		return rc;
	if (!iso_parse(s, out))
		return bad(r, key, "is not an ISO 8601 date");
	return HV_OK;
}

/* n bytes of hex into out (n chars + NUL), in the case asked for. */
static hv_err get_hex(const rd *r, json_object *o, const char *key, size_t n, bool upper,
		      char *out)
{
	const char *s;
	hv_err rc = get_str(r, o, key, true, &s);
	if (rc != HV_OK)
		return rc;
	if (strlen(s) != n)
		return bad(r, key, n == 40 ? "is not 40 hex digits" : "is not 64 hex digits");
	for (size_t i = 0; i < n; i++) {
		if (!isxdigit((unsigned char)s[i]))
			return bad(r, key, "is not hexadecimal");
		out[i] = (char)(upper ? toupper((unsigned char)s[i]) : tolower((unsigned char)s[i]));
	}
	out[n] = '\0';
	return HV_OK;
}

/* ---- file names ---------------------------------------------------------------------- */

/* What Windows forbids in a file name ([IO.Path]::GetInvalidFileNameChars()). */
static bool windows_forbidden(unsigned char c)
{
	return c < 0x20 || strchr("\"<>|:*?\\/", c) != NULL;
}

char *export_pfx_file_name(const char *subject, const char *thumbprint)
{
	if (!subject || strncmp(subject, "CN=", 3) != 0)
		return NULL;
	size_t n = strlen(subject + 3);
	size_t t = thumbprint ? strlen(thumbprint) + 1 : 0;
	char *s = xmalloc(n + t + 5);
	for (size_t i = 0; i < n; i++) {
		char c = subject[3 + i];
		if (c == ' ' || windows_forbidden((unsigned char)c))
			c = '_';
		s[i] = c;
	}
	if (thumbprint) {
		s[n] = '_';
		memcpy(s + n + 1, thumbprint, t - 1);
	}
	memcpy(s + n + t, ".pfx", 5);
	return s;
}

static bool plain_base_name(const char *s)
{
	if (!s || !*s || strcmp(s, ".") == 0 || strcmp(s, "..") == 0)
		return false;
	for (const char *p = s; *p; p++)
		if (windows_forbidden((unsigned char)*p))
			return false;
	size_t l = strlen(s);
	return l > 4 && strcasecmp(s + l - 4, ".pfx") == 0;
}

static bool follows_rule(const export_entry *e)
{
	char *a = export_pfx_file_name(e->subject, NULL);
	char *b = export_pfx_file_name(e->subject, e->thumbprint);
	bool ok = (a && strcasecmp(a, e->file) == 0) || (b && strcasecmp(b, e->file) == 0);
	free(a);
	free(b);
	return ok;
}

/* ---- entries ------------------------------------------------------------------------- */

static hv_err entry_role(const rd *r, json_object *o, export_entry *e)
{
	const char *role;
	hv_err rc = get_str(r, o, "role", true, &role);
	if (rc != HV_OK)
		return rc;
	if (strcmp(role, "encryption") == 0)
		e->role = CERT_ROLE_ENCRYPTION;
	else if (strcmp(role, "signing") == 0)
		e->role = CERT_ROLE_SIGNING;
	else
		return bad(r, "role", "is neither \"encryption\" nor \"signing\"");
	return HV_OK;
}

/* The subject must follow the Shielded VM pattern and agree with role, guardian, host. */
static hv_err entry_subject(const rd *r, json_object *o, export_entry *e)
{
	hv_err rc = get_dup(r, o, "subject", true, &e->subject);
	if (rc != HV_OK)
		return rc;
	cert_role role;
	char *g = NULL, *h = NULL;
	if (strncmp(e->subject, "CN=", 3) != 0 ||
	    !cert_parse_shielded_cn(e->subject + 3, &role, &g, &h)) {
		free(g);
		free(h);
		return bad(r, "subject", "is not a Shielded VM certificate subject");
	}
	e->guardian = g;
	e->host = h;
	if (role != e->role)
		return bad(r, "role", "disagrees with the subject");
	const char *mg, *mh;
	if ((rc = get_str(r, o, "guardian", false, &mg)) != HV_OK ||
	    (rc = get_str(r, o, "host", false, &mh)) != HV_OK)
		return rc;
	if (mg && strcmp(mg, g) != 0)
		return bad(r, "guardian", "disagrees with the subject");
	if (mh && strcmp(mh, h) != 0)
		return bad(r, "host", "disagrees with the subject");
	return HV_OK;
}

static hv_err entry_read(const rd *r, json_object *o, export_entry *e)
{
	if (!json_object_is_type(o, json_type_object))
		return bad(r, "certificates", "entry is not an object");
	hv_err rc;
	if ((rc = get_dup(r, o, "file", true, &e->file)) != HV_OK)
		return rc;
	if (!plain_base_name(e->file))
		return bad(r, "file", "is not the base name of a .pfx file");
	if ((rc = get_hex(r, o, "thumbprint", 40, true, e->thumbprint)) != HV_OK ||
	    (rc = entry_role(r, o, e)) != HV_OK || (rc = entry_subject(r, o, e)) != HV_OK ||
	    (rc = get_time(r, o, "not_before", &e->not_before)) != HV_OK ||
	    (rc = get_time(r, o, "not_after", &e->not_after)) != HV_OK ||
	    (rc = get_hex(r, o, "sha256", 64, false, e->sha256)) != HV_OK ||
	    (rc = get_bool(r, o, "has_private_key", true, false, &e->has_private_key)) != HV_OK ||
	    (rc = get_bool(r, o, "in_store", false, true, &e->in_store)) != HV_OK)
		return rc;
	if (e->not_after < e->not_before)
		return bad(r, "not_after", "is before not_before");
	e->name_follows_rule = follows_rule(e);
	if (!e->name_follows_rule)
		findings_add(r->f, HV_SEV_WARN, r->src, HV_NO_OFFSET,
			     "export manifest: certificates[%ld]: the file name does not follow the "
			     "export naming rule for its subject",
			     r->index);
	return HV_OK;
}

/* No two entries for one file or one thumbprint. */
static hv_err no_duplicates(const rd *r, const export_manifest *m)
{
	for (size_t i = 1; i < m->n; i++) {
		for (size_t k = 0; k < i; k++) {
			rd at = { r->src, r->f, (long)i };
			if (strcasecmp(m->entries[i].file, m->entries[k].file) == 0)
				return bad(&at, "file", "is named by an earlier entry too");
			if (strcmp(m->entries[i].thumbprint, m->entries[k].thumbprint) == 0)
				return bad(&at, "thumbprint", "is listed by an earlier entry too");
		}
	}
	return HV_OK;
}

/* "certificates": an array, or Windows PowerShell 5.1's {"value": [...], "Count": n}. */
static hv_err certificates_array(const rd *r, json_object *root, json_object **arr)
{
	json_object *v = NULL;
	if (!json_object_object_get_ex(root, "certificates", &v) || v == NULL)
		return bad(r, "certificates", "is missing");
	json_object *inner = NULL;
	if (json_object_is_type(v, json_type_object) &&
	    json_object_object_get_ex(v, "value", &inner) && inner)
		v = inner;
	if (!json_object_is_type(v, json_type_array))
		return bad(r, "certificates", "is not an array");
	*arr = v;
	return HV_OK;
}

static hv_err read_entries(const rd *r, json_object *root, export_manifest *m)
{
	json_object *arr = NULL;
	hv_err rc = certificates_array(r, root, &arr);
	if (rc != HV_OK)
		return rc;
	size_t n = json_object_array_length(arr);
	if (n > EXPORT_MANIFEST_MAX_ENTRIES) {
		findings_add(r->f, HV_SEV_ERROR, r->src, HV_NO_OFFSET,
			     "export manifest: %zu certificates, more than the cap of %d", n,
			     EXPORT_MANIFEST_MAX_ENTRIES);
		return HV_ERR_LIMIT;
	}
	m->entries = xcalloc(n ? n : 1, sizeof *m->entries);
	for (size_t i = 0; i < n; i++) {
		rd er = { r->src, r->f, (long)i };
		m->n = i + 1; /* freed with the manifest even when half read */
		if ((rc = entry_read(&er, json_object_array_get_idx(arr, i), &m->entries[i])) != HV_OK)
			return rc;
	}
	return no_duplicates(r, m);
}

/* ---- the document -------------------------------------------------------------------- */

static hv_err read_version(const rd *r, json_object *root, export_manifest *m)
{
	json_object *v = NULL;
	if (!json_object_object_get_ex(root, EXPORT_MANIFEST_MARKER, &v) || v == NULL) {
		findings_add(r->f, HV_SEV_ERROR, r->src, HV_NO_OFFSET,
			     "JSON without the \"" EXPORT_MANIFEST_MARKER "\" marker: not an export "
			     "manifest");
		return HV_ERR_FORMAT;
	}
	if (!json_object_is_type(v, json_type_int))
		return bad(r, EXPORT_MANIFEST_MARKER, "is not an integer");
	int64_t ver = json_object_get_int64(v);
	if (ver < 1)
		return bad(r, EXPORT_MANIFEST_MARKER, "is not a format version");
	m->version = ver > LONG_MAX ? LONG_MAX : (long)ver;
	if (ver != EXPORT_MANIFEST_VERSION) {
		findings_add(r->f, HV_SEV_ERROR, r->src, HV_NO_OFFSET,
			     "export manifest format version %lld is not supported (this hvtpm "
			     "reads version %d)",
			     (long long)ver, EXPORT_MANIFEST_VERSION);
		return HV_ERR_UNSUPPORTED;
	}
	return HV_OK;
}

static hv_err read_top(const rd *r, json_object *root, export_manifest *m)
{
	hv_err rc = read_version(r, root, m);
	if (rc != HV_OK)
		return rc;
	if ((rc = get_dup(r, root, "generator", false, &m->generator)) != HV_OK ||
	    (rc = get_dup(r, root, "created", true, &m->created)) != HV_OK ||
	    (rc = get_dup(r, root, "host", true, &m->host)) != HV_OK ||
	    (rc = get_dup(r, root, "store", false, &m->store)) != HV_OK ||
	    (rc = get_dup(r, root, "crypto", false, &m->crypto)) != HV_OK ||
	    (rc = get_dup(r, root, "crypto_reason", false, &m->crypto_reason)) != HV_OK)
		return rc;
	if (!iso_parse(m->created, &m->created_at))
		return bad(r, "created", "is not an ISO 8601 date");
	return read_entries(r, root, m);
}

/* Parses text (len bytes) as one strict JSON document; NULL when it is not. */
static json_object *parse_json(const char *text, size_t len)
{
	if (len > INT32_MAX)
		return NULL;
	struct json_tokener *tok = json_tokener_new_ex(EXPORT_MANIFEST_MAX_DEPTH);
	if (!tok)
		xalloc_die();
	json_tokener_set_flags(tok, JSON_TOKENER_STRICT);
	json_object *root = json_tokener_parse_ex(tok, text, (int)len);
	bool ok = root && json_tokener_get_error(tok) == json_tokener_success;
	for (size_t i = ok ? json_tokener_get_parse_end(tok) : len; ok && i < len; i++)
		ok = isspace((unsigned char)text[i]) != 0;
	json_tokener_free(tok);
	if (!ok) {
		json_object_put(root);
		return NULL;
	}
	return root;
}

hv_err export_manifest_read(span_t data, const char *src, export_manifest *out,
			    hv_findings *f)
{
	memset(out, 0, sizeof *out);
	if (data.len > EXPORT_MANIFEST_MAX_SIZE) {
		findings_add(f, HV_SEV_ERROR, src, HV_NO_OFFSET,
			     "export manifest of %zu bytes is over the %u-byte cap", data.len,
			     EXPORT_MANIFEST_MAX_SIZE);
		return HV_ERR_LIMIT;
	}
	size_t len;
	char *text = as_utf8(data, &len);
	json_object *root = parse_json(text, len);
	bool marked = has_marker(text, len);
	free(text);
	rd r = { src, f, -1 };
	hv_err rc;
	if (!root || !json_object_is_type(root, json_type_object)) {
		rc = marked && root == NULL ? HV_ERR_CORRUPT : HV_ERR_FORMAT;
		findings_add(f, HV_SEV_ERROR, src, HV_NO_OFFSET, "%s",
			     rc == HV_ERR_CORRUPT ? "export manifest is not well-formed JSON (damaged "
						    "or cut)"
						  : "not an export manifest (not a JSON object)");
	} else {
		rc = read_top(&r, root, out);
	}
	json_object_put(root);
	if (rc != HV_OK) {
		long v = out->version;
		export_manifest_free(out);
		out->version = v;
	}
	return rc;
}

void export_manifest_free(export_manifest *m)
{
	for (size_t i = 0; i < m->n; i++) {
		free(m->entries[i].file);
		free(m->entries[i].subject);
		free(m->entries[i].guardian);
		free(m->entries[i].host);
	}
	free(m->entries);
	free(m->generator);
	free(m->created);
	free(m->host);
	free(m->store);
	free(m->crypto);
	free(m->crypto_reason);
	memset(m, 0, sizeof *m);
}

/* ---- the check ----------------------------------------------------------------------- */

static size_t find_file(const export_found_file *files, size_t n, const char *name)
{
	for (size_t i = 0; i < n; i++)
		if (files[i].name && strcasecmp(files[i].name, name) == 0)
			return i;
	return SIZE_MAX;
}

static bool holds_key(const export_found_file *ff, const char *thumbprint)
{
	for (size_t i = 0; i < ff->nkey_thumbprints; i++)
		if (ff->key_thumbprints[i] && strcasecmp(ff->key_thumbprints[i], thumbprint) == 0)
			return true;
	return false;
}

static export_status status_of(const export_entry *e, const export_found_file *ff, bool *sha)
{
	*sha = ff->sha256 != NULL;
	if (ff->sha256 && strcasecmp(ff->sha256, e->sha256) != 0)
		return EXPORT_ST_CHANGED;
	switch (ff->open) {
	case EXPORT_OPEN_FAILED:
		return EXPORT_ST_NO_OPEN;
	case EXPORT_OPEN_OK:
		return holds_key(ff, e->thumbprint) ? EXPORT_ST_OK : EXPORT_ST_NO_KEY;
	case EXPORT_OPEN_UNKNOWN:
		break;
	}
	/* Unchanged and not opened here: the export's own proof is all there is. */
	return e->has_private_key ? EXPORT_ST_UNCHECKED : EXPORT_ST_NO_KEY;
}

static bool is_pfx_name(const char *s)
{
	size_t l = s ? strlen(s) : 0;
	return l > 4 && strcasecmp(s + l - 4, ".pfx") == 0;
}

void export_manifest_check(const export_manifest *m, const export_found_file *files,
			   size_t nfiles, export_check_result *out)
{
	memset(out, 0, sizeof *out);
	out->v = xcalloc(m->n ? m->n : 1, sizeof *out->v);
	out->n = m->n;
	bool *named = xcalloc(nfiles ? nfiles : 1, sizeof *named);
	for (size_t i = 0; i < m->n; i++) {
		export_check *c = &out->v[i];
		c->entry = i;
		c->file = find_file(files, nfiles, m->entries[i].file);
		if (c->file == SIZE_MAX) {
			c->status = EXPORT_ST_MISSING;
		} else {
			named[c->file] = true;
			c->status = status_of(&m->entries[i], &files[c->file], &c->sha256_checked);
		}
		if (c->status != EXPORT_ST_OK && c->status != EXPORT_ST_UNCHECKED)
			out->bad++;
	}
	out->unlisted = xcalloc(nfiles ? nfiles : 1, sizeof *out->unlisted);
	for (size_t i = 0; i < nfiles; i++)
		if (!named[i] && is_pfx_name(files[i].name))
			out->unlisted[out->nunlisted++] = i;
	free(named);
}

void export_check_free(export_check_result *r)
{
	free(r->v);
	free(r->unlisted);
	memset(r, 0, sizeof *r);
}

const char *export_status_name(export_status s)
{
	switch (s) {
	case EXPORT_ST_OK:
		return "ok";
	case EXPORT_ST_UNCHECKED:
		return "unchecked";
	case EXPORT_ST_MISSING:
		return "missing";
	case EXPORT_ST_CHANGED:
		return "changed";
	case EXPORT_ST_NO_OPEN:
		return "does-not-open";
	case EXPORT_ST_NO_KEY:
		return "no-private-key";
	}
	return "?";
}

const char *export_status_advice(export_status s)
{
	switch (s) {
	case EXPORT_ST_OK:
		return "The export is as written: it opens and holds the private key.";
	case EXPORT_ST_UNCHECKED:
		return "The file is unchanged since the export, but it was not opened: give its "
		       "password to check that it opens.";
	case EXPORT_ST_MISSING:
		return "The exported PFX file is gone: restore it from the second copy, or export "
		       "again on the host while the certificate is still in its store.";
	case EXPORT_ST_CHANGED:
		return "The PFX file differs from what was exported (SHA-256): it was replaced or "
		       "damaged; use the second copy, or export again on the host.";
	case EXPORT_ST_NO_OPEN:
		return "The PFX file does not open (damaged or unsupported): use the second copy, "
		       "or export again on the host.";
	case EXPORT_ST_NO_KEY:
		return "The PFX file opens but does not hold this certificate with its private "
		       "key: export again on the host.";
	}
	return "";
}
