/*
 * fuzz_plan.c - libFuzzer harness for the PowerShell plan writer
 * (report/plan_ps.h, report/ps_literal.h) with every evidence string it
 * takes under the fuzzer's control: VM names and ids, configuration paths,
 * Secure Boot template ids, disk paths, switch names, the paths of the PFX
 * files to import or to try a password on, and certificate thumbprints.
 *
 * The input: byte 0 the number of VMs (1-3), then three bytes per VM (verdict
 * kind; counts of disks, switches, files to import and locked files; flags),
 * then the strings, separated by NUL bytes and handed out to the fields in
 * turn (again from the first when they run out, so that one string reaches
 * every field).
 *
 * Invariants, checked on the one-VM and the many-VM writer:
 *   - the script is printable ASCII and LF only (what Windows PowerShell 5.1
 *     reads the same in every code page);
 *   - no evidence byte is outside a single-quoted literal: the script made
 *     from the fuzzed strings and the script made from placeholders ("x", or
 *     "" where the fuzzed string is empty, so that the writer takes the same
 *     branches) are the same once every literal is masked.  The masking
 *     reads PowerShell as PowerShell does for ASCII text: '...' with ''
 *     inside is a literal, # starts a comment up to the end of the line,
 *     "..." is an expandable string; a literal, or literals and [char]0xHHHH
 *     joined by " + " in parentheses, becomes one token.  Evidence that
 *     reached a comment, an expandable string or code, or that ended its
 *     literal early, changes the masked script.
 * LLVMFuzzerInitialize checks that the masking tells such scripts apart.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "analysis/evaluate.h"
#include "formats/cert.h"
#include "model/evidence.h"
#include "report/plan_ps.h"
#include "util/strbuf.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAX_VMS 3
#define MAX_LIST 2
#define LIT '\x01'   /* a single-quoted literal */
#define CHR '\x02'   /* [char]0xHHHH */
#define CONST '\x03' /* a whole constant string expression */

/* ---- masking ---------------------------------------------------------------------------- */

static bool hex4(const char *s)
{
	for (int i = 0; i < 4; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'A' && s[i] <= 'F') ||
		      (s[i] >= 'a' && s[i] <= 'f')))
			return false;
	return true;
}

/* Tokens: literals as LIT, [char]0xHHHH as CHR, the rest as it is.  NULL: a string never ends. */
static char *tokens(const char *s, size_t n)
{
	strbuf sb = STRBUF_INIT;
	sb_adds(&sb, "");
	for (size_t i = 0; i < n;) {
		char c = s[i];
		if (c == '#') { /* a comment, kept */
			size_t j = i;
			while (j < n && s[j] != '\n')
				j++;
			sb_add(&sb, s + i, j - i);
			i = j;
		} else if (c == '"') { /* an expandable string, kept */
			size_t j = i + 1;
			while (j < n && s[j] != '"')
				j += s[j] == '`' ? 2 : 1;
			if (j >= n)
				goto bad;
			sb_add(&sb, s + i, j + 1 - i);
			i = j + 1;
		} else if (c == '\'') {
			size_t j = i + 1;
			for (;; j++) {
				if (j >= n)
					goto bad;
				if (s[j] == '\'' && j + 1 < n && s[j + 1] == '\'')
					j++;
				else if (s[j] == '\'')
					break;
			}
			sb_addc(&sb, LIT);
			i = j + 1;
		} else if (n - i >= 12 && memcmp(s + i, "[char]0x", 8) == 0 && hex4(s + i + 8)) {
			sb_addc(&sb, CHR);
			i += 12;
		} else {
			sb_addc(&sb, c);
			i++;
		}
	}
	return sb_detach(&sb);
bad:
	sb_free(&sb);
	return NULL;
}

/* The tokens with every constant string expression as one CONST. */
static char *mask(const char *s, size_t n)
{
	char *t = tokens(s, n);
	if (!t)
		return NULL;
	strbuf sb = STRBUF_INIT;
	sb_adds(&sb, "");
	for (size_t i = 0; t[i];) {
		if (t[i] == '(' && t[i + 1] == LIT) {
			size_t j = i + 2;
			while (t[j] == ' ' && t[j + 1] == '+' && t[j + 2] == ' ' &&
			       (t[j + 3] == LIT || t[j + 3] == CHR))
				j += 4;
			if (t[j] == ')') {
				sb_addc(&sb, CONST);
				i = j + 1;
				continue;
			}
		}
		sb_addc(&sb, t[i] == LIT ? CONST : t[i]);
		i++;
	}
	free(t);
	return sb_detach(&sb);
}

static bool same_mask(const char *a, const char *b)
{
	char *ma = mask(a, strlen(a)), *mb = mask(b, strlen(b));
	bool same = ma && mb && strcmp(ma, mb) == 0;
	free(ma);
	free(mb);
	return same;
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	/* the masking sees literals as equal and everything else as it is */
	static const char *const same[][2] = {
		{ "$a = 'x'\n", "$a = ('' + 'a' + [char]0x000A + 'b''c')\n" },
		{ "$a = @(\n    'x'\n)\n", "$a = @(\n    ('' + [char]0xD83D + [char]0xDE00)\n)\n" },
		{ "Write-Host \"$a\" # 'q\n", "Write-Host \"$a\" # 'q\n" },
	};
	static const char *const differ[][2] = {
		{ "$a = 'x'\n", "$a = 'x'; calc\n" },            /* code after a literal */
		{ "$a = 'x'\n# VM: x\n", "$a = 'x'\n# VM: y\n" }, /* evidence in a comment */
		{ "$a = \"x\"\n", "$a = \"$(calc)\"\n" },         /* in an expandable string */
		{ "$a = 'x'\n", "$a = 'x'\ncalc\n" },             /* a line of its own */
		{ "$a = 'x'\n", "$a = 'x' + (calc) + 'y'\n" },    /* literals around code */
		{ "$a = 'x'\n", "$a = 'x\n" },                    /* a literal that never ends */
	};
	for (size_t i = 0; i < sizeof same / sizeof *same; i++)
		if (!same_mask(same[i][0], same[i][1]))
			abort();
	for (size_t i = 0; i < sizeof differ / sizeof *differ; i++)
		if (same_mask(differ[i][0], differ[i][1]))
			abort();
	return 0;
}

/* ---- the plans --------------------------------------------------------------------------- */

typedef struct {
	const char **v;
	size_t n, next;
} pieces;

/* The next piece ("" when there is none); placeholder: "x" for a non-empty one. */
static const char *take(pieces *p, bool placeholder)
{
	const char *s = p->n ? p->v[p->next++ % p->n] : "";
	return placeholder && *s ? "x" : s;
}

typedef struct {
	hv_cert cert[2];
	vd_cert vc[2];
	vd_wrapping w;
	size_t import[MAX_LIST], locked[MAX_LIST];
	const char *disks[MAX_LIST], *switches[MAX_LIST];
} vm_store;

/* The script for the VMs the control bytes describe, with fuzzed strings or placeholders. */
static char *plans(const uint8_t *ctl, size_t nvms, pieces *p, bool placeholder, bool all,
		   size_t *len)
{
	evidence e;
	evidence_init(&e);
	vm_store st[MAX_VMS];
	dx_vm vms[MAX_VMS];
	memset(st, 0, sizeof st);
	memset(vms, 0, sizeof vms);
	p->next = 0;
	for (size_t k = 0; k < nvms; k++) {
		const uint8_t *c = ctl + 3 * k;
		vm_store *s = &st[k];
		verdict *v = &vms[k].v;
		plan_vm *pv = &vms[k].pv;
		v->kind = (verdict_kind)(c[0] % (V_REBUILD_DATA_LOSS + 1));
		size_t ndisks = c[1] % (MAX_LIST + 1), nsw = (c[1] >> 2) % (MAX_LIST + 1);
		size_t nimp = (c[1] >> 4) % (MAX_LIST + 1), nlock = (c[1] >> 6) % (MAX_LIST + 1);
		pv->name = take(p, placeholder);
		pv->id = take(p, placeholder);
		pv->secure_boot_template = take(p, placeholder);
		pv->config_path = c[2] & 1 ? NULL : take(p, placeholder);
		pv->secure_boot = (int)((c[2] >> 1) % 3) - 1;
		pv->generation = 2;
		pv->memory_mb = (c[2] & 8) ? 0 : 2048;
		pv->processors = (c[2] & 16) ? 0 : 2;
		for (size_t i = 0; i < ndisks; i++)
			s->disks[i] = take(p, placeholder);
		for (size_t i = 0; i < nsw; i++)
			s->switches[i] = take(p, placeholder);
		pv->disks = s->disks;
		pv->ndisks = ndisks;
		pv->switches = s->switches;
		pv->nswitches = nsw;
		for (size_t i = 0; i < nimp; i++)
			s->import[i] = evidence_add_file(&e, take(p, placeholder), NULL, 1);
		for (size_t i = 0; i < nlock; i++)
			s->locked[i] = evidence_add_file(&e, take(p, placeholder), NULL, 1);
		v->import_files = s->import;
		v->nimport = nimp;
		v->locked_files = s->locked;
		v->nlocked = nlock;
		for (int r = 0; r < 2; r++) {
			snprintf(s->cert[r].thumbprint, sizeof s->cert[r].thumbprint, "%s",
				 take(p, placeholder));
			s->vc[r].cert = &s->cert[r];
			s->vc[r].role = r ? "signing" : "encryption";
			s->vc[r].wrapping_id = 7;
			s->vc[r].state = (c[2] & (32 << r)) ? HOLD_CERT_ONLY : HOLD_WITH_KEY;
		}
		s->w.id = 7;
		v->certs = s->vc;
		v->ncerts = 2;
		v->wraps = &s->w;
		v->nwraps = 1;
		v->best_wrapping = (c[2] & 128) ? -1 : 0;
	}
	char *out = NULL;
	FILE *o = open_memstream(&out, len);
	if (!o)
		abort();
	if (all) {
		dx_result r;
		memset(&r, 0, sizeof r);
		r.vms = vms;
		r.nvms = nvms;
		plan_powershell_all(o, &e, &r, "2026-10-01T00:00:00Z");
	} else {
		plan_powershell(o, &e, &vms[0].v, &vms[0].pv, "2026-10-01T00:00:00Z");
	}
	if (fclose(o) != 0)
		abort();
	evidence_free(&e);
	return out;
}

static void check(const uint8_t *ctl, size_t nvms, pieces *p, bool all)
{
	size_t la, lb;
	char *a = plans(ctl, nvms, p, false, all, &la);
	char *b = plans(ctl, nvms, p, true, all, &lb);
	for (size_t i = 0; i < la; i++)
		if (!(a[i] == '\n' || (a[i] >= 0x20 && a[i] < 0x7F)))
			abort();
	if (strlen(a) != la || !same_mask(a, b))
		abort();
	free(a);
	free(b);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1 + 3 * MAX_VMS)
		return 0;
	size_t nvms = data[0] % MAX_VMS + 1;
	const uint8_t *ctl = data + 1;
	const uint8_t *rest = data + 1 + 3 * MAX_VMS;
	size_t rlen = size - 1 - 3 * MAX_VMS;
	char *buf = malloc(rlen + 1);
	if (!buf)
		return 0;
	memcpy(buf, rest, rlen);
	buf[rlen] = '\0';
	/* the strings between NUL bytes */
	const char *v[64];
	pieces p = { v, 0, 0 };
	for (size_t i = 0; i <= rlen && p.n < 64;) {
		v[p.n++] = buf + i;
		i += strlen(buf + i) + 1;
	}
	check(ctl, nvms, &p, true);
	check(ctl, 1, &p, false);
	free(buf);
	return 0;
}
