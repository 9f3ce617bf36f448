/* verdict.c - restore or rebuild: the decision for one VM. */
#include "analysis/verdict.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "analysis/survive.h"
#include "formats/kp.h"
#include "util/strbuf.h"
#include "util/text.h"
#include "util/xalloc.h"

const char *verdict_name(verdict_kind v)
{
	switch (v) {
	case V_NO_VTPM: return "no_vtpm";
	case V_RESTORABLE: return "restorable";
	case V_RESTORABLE_EXPIRED: return "restorable_expired";
	case V_DEGRADED: return "degraded";
	case V_NEEDS_PASSWORD: return "needs_password";
	case V_HGS: return "hgs";
	case V_UNKNOWN: return "unknown";
	case V_REBUILD: return "rebuild";
	case V_REBUILD_DATA_LOSS: return "rebuild_data_loss";
	}
	return "unknown";
}

bool verdict_from_name(const char *s, size_t len, verdict_kind *out)
{
	for (int k = V_NO_VTPM; k <= V_REBUILD_DATA_LOSS; k++) {
		const char *n = verdict_name((verdict_kind)k);
		if (strlen(n) != len)
			continue;
		size_t i = 0;
		for (; i < len; i++) {
			char c = s[i];
			if (c == '-')
				c = '_';
			else if (c >= 'A' && c <= 'Z')
				c = (char)(c + ('a' - 'A'));
			if (c != n[i])
				break;
		}
		if (i == len) {
			*out = (verdict_kind)k;
			return true;
		}
	}
	return false;
}

int verdict_exit_code(verdict_kind v)
{
	switch (v) {
	case V_NO_VTPM:
	case V_RESTORABLE:
		return 0;
	case V_REBUILD:
	case V_REBUILD_DATA_LOSS:
		return 2;
	default:
		return 1;
	}
}

#define OTHER_HOSTS_SHOWN 3 /* hosts named when the evidence holds another host's pair */

static void reason(verdict *v, bool inferred, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void reason(verdict *v, bool inferred, const char *fmt, ...)
{
	size_t cap = v->nreasons;
	v->reasons = xrealloc(v->reasons, (cap + 1) * sizeof *v->reasons);
	strbuf sb = STRBUF_INIT;
	va_list ap;
	va_start(ap, fmt);
	sb_vaddf(&sb, fmt, ap);
	va_end(ap);
	v->reasons[v->nreasons].text = sb_detach(&sb);
	v->reasons[v->nreasons].inferred = inferred;
	v->nreasons++;
}

static void push_idx(size_t **arr, size_t *n, size_t x)
{
	for (size_t i = 0; i < *n; i++)
		if ((*arr)[i] == x)
			return;
	*arr = xrealloc(*arr, (*n + 1) * sizeof **arr);
	(*arr)[(*n)++] = x;
}

static bool same_cert(const hv_cert *a, const hv_cert *b)
{
	return a->der_len == b->der_len && memcmp(a->der, b->der, a->der_len) == 0;
}

/*
 * The hash a certificate is indexed under: its SHA-256 is already a hash, so
 * the first 16 hex digits of it (hashidx_str of anything that is not hex).
 */
static uint64_t cert_hash(const hv_cert *c)
{
	uint64_t h = 0;
	for (int i = 0; i < 16; i++) {
		int d = hex_value((unsigned char)c->sha256[i]);
		if (d < 0)
			return hashidx_str(c->sha256);
		h = h << 4 | (uint64_t)d;
	}
	return h;
}

/* Adds holding i to the state and indexes when it holds c. */
static void hold_one(const evidence *e, const hv_cert *c, size_t i, hold_state *st, size_t **idx,
		     size_t *n)
{
	const ev_holding *h = &e->holdings[i];
	if (strcmp(h->cert.thumbprint, c->thumbprint) != 0 || !same_cert(&h->cert, c))
		return;
	if (idx)
		push_idx(idx, n, i);
	hold_state s = h->has_private_key ? HOLD_WITH_KEY : HOLD_CERT_ONLY;
	if (s > *st)
		*st = s;
}

/*
 * Best hold state of a certificate across the evidence, and which holdings
 * (in evidence order): looked up in the lists' index when there is one.
 */
static hold_state holding_state(const evidence *e, const verdict_context *x, const hv_cert *c,
				size_t **idx, size_t *n)
{
	hold_state st = HOLD_NOWHERE;
	if (!c)
		return st;
	if (x->lists) {
		size_t pos = 0, i;
		uint64_t h = cert_hash(c);
		while ((i = hashidx_next(&x->lists->by_cert, h, &pos)) != SIZE_MAX)
			hold_one(e, c, i, &st, idx, n);
		return st;
	}
	for (size_t i = 0; i < e->nholdings; i++)
		hold_one(e, c, i, &st, idx, n);
	return st;
}

static bool is_local(const ev_wrapping *w)
{
	return w->enc && w->sig && w->enc->role == CERT_ROLE_ENCRYPTION &&
	       w->sig->role == CERT_ROLE_SIGNING;
}

/*
 * The host a PFX file name names, when it follows the name the common export
 * script gives: "Shielded_VM_<Role>_Certificate_(<guardian>)_(<host>).pfx".
 * Writes the host into out and returns true; false for any other name.
 */
static bool host_from_file_name(const ev_file *f, char *out, size_t n)
{
	const char *from = f->path + f->member_at; /* an archive member: its own name */
	const char *b = strrchr(from, '/');
	b = b ? b + 1 : from;
	if (strncasecmp(b, "Shielded_VM_", 12) != 0 && strncasecmp(b, "Shielded VM ", 12) != 0)
		return false;
	const char *close = strrchr(b, ')');
	if (!close)
		return false;
	const char *open = close;
	while (open > b && *open != '(')
		open--;
	if (*open != '(' || close - open - 1 <= 0 || (size_t)(close - open - 1) >= n)
		return false;
	memcpy(out, open + 1, (size_t)(close - open - 1));
	out[close - open - 1] = '\0';
	return true;
}

/*
 * PFX files that could not be opened and may hold one of the VM's
 * certificates.  Any locked file may, unless its name follows the export
 * script's pattern and names a host none of the VM's certificates belongs
 * to [inferred from the naming convention; reported as such].
 */
static void locked_file(size_t i, const char *host, verdict *v)
{
	bool relevant = true;
	if (host) {
		relevant = false;
		for (size_t k = 0; k < v->ncerts && !relevant; k++)
			relevant = v->certs[k].cert->host &&
				   strcasecmp(v->certs[k].cert->host, host) == 0;
		if (!relevant)
			v->nlocked_other++;
	}
	if (relevant)
		push_idx(&v->locked_files, &v->nlocked, i);
}

static int cmp_size(const void *a, const void *b)
{
	size_t x = *(const size_t *)a, y = *(const size_t *)b;
	return x < y ? -1 : x > y;
}

/*
 * locked_file over the lists, in the time of the files that concern the
 * VM: those naming no host and those of its certificates' hosts, merged
 * back into evidence order.
 */
static void locked_from_lists(const verdict_lists *l, verdict *v)
{
	size_t *groups = xmalloc((v->ncerts + 1) * sizeof *groups);
	size_t ng = 0, n = l->nhostless, hosted = l->nlocked - l->nhostless;
	for (size_t k = 0; k < v->ncerts; k++) {
		if (!v->certs[k].cert->host)
			continue;
		char *low = ascii_lower(v->certs[k].cert->host);
		size_t g = strmap_get(&l->locked_hosts, low);
		free(low);
		bool seen = g == SIZE_MAX;
		for (size_t i = 0; i < ng && !seen; i++)
			seen = groups[i] == g;
		if (seen)
			continue;
		groups[ng++] = g;
		n += l->host_locked[g].n;
	}
	size_t *pos = xmalloc((n + 1) * sizeof *pos);
	size_t k = 0;
	for (size_t i = 0; i < l->nhostless; i++)
		pos[k++] = l->hostless[i];
	for (size_t i = 0; i < ng; i++) {
		for (size_t j = 0; j < l->host_locked[groups[i]].n; j++)
			pos[k++] = l->host_locked[groups[i]].pos[j];
	}
	if (ng) /* one run per list, each ascending */
		qsort(pos, n, sizeof *pos, cmp_size);
	v->locked_files = xrealloc(v->locked_files, (v->nlocked + n + 1) * sizeof *pos);
	for (size_t i = 0; i < n; i++) /* distinct positions: no duplicate to skip */
		v->locked_files[v->nlocked++] = l->locked[pos[i]].file;
	v->nlocked_other += hosted - (n - l->nhostless);
	free(pos);
	free(groups);
}

static void locked_files(const evidence *e, const verdict_context *x, verdict *v)
{
	if (x->lists) {
		locked_from_lists(x->lists, v);
		return;
	}
	for (size_t i = 0; i < e->nfiles; i++) {
		const ev_file *f = &e->files[i];
		char host[256];
		if (f->kind == EV_PFX && f->status != HV_OK)
			locked_file(i, host_from_file_name(f, host, sizeof host) ? host : NULL, v);
	}
}

typedef struct {
	int ok;        /* wrappings with both keys */
	int enc_only;  /* encryption key but not signing key */
	int sig_only;
	int hgs;       /* wrappings that are not local-guardian pairs */
} kp_score;

static kp_score score_kp(const evidence *e, const verdict_context *x, const ev_kp *kp)
{
	kp_score s = { 0, 0, 0, 0 };
	for (size_t i = 0; i < kp->nw; i++) {
		const ev_wrapping *w = &kp->w[i];
		hold_state he = holding_state(e, x, w->enc, NULL, NULL);
		hold_state hs = holding_state(e, x, w->sig, NULL, NULL);
		if (he == HOLD_WITH_KEY && hs == HOLD_WITH_KEY)
			s.ok++;
		else if (he == HOLD_WITH_KEY)
			s.enc_only++;
		else if (hs == HOLD_WITH_KEY)
			s.sig_only++;
		if (!is_local(w))
			s.hgs++;
	}
	return s;
}

/* Picks the KP to decide on: the current one unless only last-known-good restores. */
static size_t choose_kp(const evidence *e, const verdict_context *x, const ev_vm *vm,
			bool *used_lkg)
{
	size_t best = SIZE_MAX;
	int best_rank = -1;
	*used_lkg = false;
	for (size_t i = 0; i < vm->nkps; i++) {
		const ev_kp *kp = &vm->kps[i];
		if (kp->empty || kp->nw == 0)
			continue;
		kp_score s = score_kp(e, x, kp);
		int rank = (s.ok ? 8 : s.enc_only ? 4 : s.sig_only ? 2 : 0) * 4;
		if (kp->origin == KP_CURRENT || kp->origin == KP_DUMP)
			rank += 3;
		else if (kp->origin == KP_CARVED)
			rank += 2;
		else
			rank += 1;
		if (rank > best_rank) {
			best_rank = rank;
			best = i;
		}
	}
	if (best != SIZE_MAX)
		*used_lkg = vm->kps[best].origin == KP_LKG;
	return best;
}

static const char *cert_label(const hv_cert *c)
{
	return c->subject && *c->subject ? c->subject : "(no subject)";
}

static void fill_cert(const evidence *e, const verdict_context *x, const verdict_opts *o,
		      const hv_cert *c, const char *role, const ev_wrapping *w, vd_cert *out)
{
	memset(out, 0, sizeof *out);
	out->cert = c;
	out->role = role;
	out->wrapping_id = w->id;
	out->owner = w->is_owner;
	out->state = holding_state(e, x, c, &out->holdings, &out->nholdings);
	out->days_left = cert_days_left(c, o->at);
	out->expired = c->not_after < o->at;
	out->expiring = !out->expired && out->days_left <= o->warn_days;
}

static void collect_certs(const evidence *e, const verdict_context *x, const ev_kp *kp,
			  const verdict_opts *o, verdict *v)
{
	v->certs = xcalloc(kp->nw * 2 + 1, sizeof *v->certs);
	v->wraps = xcalloc(kp->nw + 1, sizeof *v->wraps);
	for (size_t i = 0; i < kp->nw; i++) {
		const ev_wrapping *w = &kp->w[i];
		vd_wrapping *vw = &v->wraps[v->nwraps++];
		vw->id = w->id;
		vw->owner = w->is_owner;
		vw->local = is_local(w);
		vw->enc = vw->sig = HOLD_NOWHERE;
		if (w->enc) {
			fill_cert(e, x, o, w->enc, "encryption", w, &v->certs[v->ncerts]);
			vw->enc = v->certs[v->ncerts++].state;
		}
		if (w->sig) {
			fill_cert(e, x, o, w->sig, "signing", w, &v->certs[v->ncerts]);
			vw->sig = v->certs[v->ncerts++].state;
		}
	}
}

static const vd_cert *find_vcert(const verdict *v, uint32_t wid, const char *role)
{
	for (size_t i = 0; i < v->ncerts; i++)
		if (v->certs[i].wrapping_id == wid && strcmp(v->certs[i].role, role) == 0)
			return &v->certs[i];
	return NULL;
}

/* Adds the files holding the private key of c to the import list. */
static void import_for(const evidence *e, verdict *v, const vd_cert *c)
{
	for (size_t i = 0; c && i < c->nholdings; i++) {
		const ev_holding *h = &e->holdings[c->holdings[i]];
		if (h->has_private_key) {
			push_idx(&v->import_files, &v->nimport, h->file);
			return;
		}
	}
}

static void decide_restorable(const evidence *e, const verdict_opts *o, verdict *v)
{
	int best = -1;
	time_t best_end = 0;
	bool best_valid = false;
	for (size_t i = 0; i < v->nwraps; i++) {
		if (v->wraps[i].enc != HOLD_WITH_KEY || v->wraps[i].sig != HOLD_WITH_KEY)
			continue;
		const vd_cert *ce = find_vcert(v, v->wraps[i].id, "encryption");
		const vd_cert *cs = find_vcert(v, v->wraps[i].id, "signing");
		time_t end = ce->cert->not_after < cs->cert->not_after ? ce->cert->not_after
								       : cs->cert->not_after;
		bool valid = !ce->expired && !cs->expired && !ce->expiring && !cs->expiring &&
			     ce->cert->not_before <= o->at && cs->cert->not_before <= o->at;
		if (best < 0 || (valid && !best_valid) || (valid == best_valid && end > best_end)) {
			best = (int)i;
			best_end = end;
			best_valid = valid;
		}
	}
	v->best_wrapping = best;
	const vd_cert *ce = find_vcert(v, v->wraps[best].id, "encryption");
	const vd_cert *cs = find_vcert(v, v->wraps[best].id, "signing");
	import_for(e, v, ce);
	import_for(e, v, cs);
	reason(v, false,
	       "Wrapping %u%s can be unwrapped: the evidence holds the private keys of its "
	       "encryption certificate %s and its signing certificate %s.",
	       v->wraps[best].id, v->wraps[best].owner ? " (the owner)" : "",
	       ce->cert->thumbprint, cs->cert->thumbprint);
	if (best_valid) {
		v->kind = V_RESTORABLE;
		long d = ce->days_left < cs->days_left ? ce->days_left : cs->days_left;
		reason(v, false, "Both certificates are valid at the evaluation date (%ld days left).",
		       d);
		return;
	}
	v->kind = V_RESTORABLE_EXPIRED;
	const vd_cert *worst = ce->days_left <= cs->days_left ? ce : cs;
	if (worst->expired)
		reason(v, false, "The %s certificate %s expired on %s (%ld days ago).", worst->role,
		       worst->cert->thumbprint, worst->cert->not_after_iso, -worst->days_left);
	else if (worst->cert->not_before > o->at)
		reason(v, false, "The %s certificate %s is not valid before %s.", worst->role,
		       worst->cert->thumbprint, worst->cert->not_before_iso);
	else
		reason(v, false, "The %s certificate %s expires on %s, within %d days (%ld days left).",
		       worst->role, worst->cert->thumbprint, worst->cert->not_after_iso,
		       o->warn_days, worst->days_left);
	reason(v, true,
	       "An existing vTPM VM still starts with expired local guardian certificates, but "
	       "enabling a vTPM or resetting a key protector with them fails until the guardian is "
	       "regenerated.");
}

static void decide_degraded(const evidence *e, verdict *v)
{
	v->kind = V_DEGRADED;
	for (size_t i = 0; i < v->nwraps; i++) {
		const vd_wrapping *w = &v->wraps[i];
		if (w->enc == HOLD_WITH_KEY && w->sig != HOLD_WITH_KEY) {
			const vd_cert *ce = find_vcert(v, w->id, "encryption");
			const vd_cert *cs = find_vcert(v, w->id, "signing");
			import_for(e, v, ce);
			reason(v, false,
			       "Wrapping %u: the encryption private key is in the evidence, the signing "
			       "private key is not (%s%s%s).",
			       w->id, w->sig == HOLD_CERT_ONLY ? "certificate only" : "nowhere",
			       cs ? ": " : "", cs ? cs->cert->thumbprint : "");
			reason(v, true,
			       "The VM can most likely start (unwrapping needs only the encryption key), "
			       "but the key protector cannot be re-signed or changed; Hyper-V may refuse "
			       "to use a guardian without its signing key.");
			v->best_wrapping = (int)i;
			return;
		}
	}
	for (size_t i = 0; i < v->nwraps; i++) {
		const vd_wrapping *w = &v->wraps[i];
		if (w->sig == HOLD_WITH_KEY) {
			import_for(e, v, find_vcert(v, w->id, "signing"));
			reason(v, false,
			       "Wrapping %u: the signing private key is in the evidence, the encryption "
			       "private key is not (%s).",
			       w->id, w->enc == HOLD_CERT_ONLY ? "certificate only" : "nowhere");
			reason(v, false,
			       "Starting the VM needs the encryption private key: with the signing key "
			       "alone the vTPM cannot be unwrapped.");
			v->best_wrapping = (int)i;
			return;
		}
	}
}

static void explain_missing(verdict *v)
{
	for (size_t i = 0; i < v->ncerts; i++) {
		const vd_cert *c = &v->certs[i];
		if (c->state == HOLD_WITH_KEY)
			continue;
		reason(v, false, "Wrapping %u %s certificate %s (%s): %s.", c->wrapping_id, c->role,
		       c->cert->thumbprint, cert_label(c->cert),
		       c->state == HOLD_CERT_ONLY ? "present without its private key"
						  : "not in the evidence");
	}
}

static bool needed_by(const verdict *v, const hv_cert *c)
{
	for (size_t i = 0; i < v->ncerts; i++)
		if (same_cert(v->certs[i].cert, c))
			return true;
	return false;
}

/*
 * The local guardian certificates the evidence does hold that this key
 * protector does not name (another host's pair: the wrong export brought),
 * grouped by host, thumbprints in full.
 */
void verdict_needed_build(const evidence *e, strmap *m)
{
	for (size_t v = 0; v < e->nvms; v++)
		for (size_t k = 0; k < e->vms[v].nkps; k++)
			for (size_t w = 0; w < e->vms[v].kps[k].nw; w++) {
				const ev_wrapping *x = &e->vms[v].kps[k].w[w];
				if (x->enc)
					strmap_put(m, xstrdup(x->enc->sha256), 1);
				if (x->sig)
					strmap_put(m, xstrdup(x->sig->sha256), 1);
			}
}

/* Not named by this verdict's key protector, nor (when known) by any VM's. */
static bool other_cert(const verdict_context *x, const verdict *v, const hv_cert *c)
{
	if (c->role == CERT_ROLE_OTHER || needed_by(v, c))
		return false;
	return !x->needed || strmap_get(x->needed, c->sha256) == SIZE_MAX;
}

/*
 * The local guardian certificates among holdings idx[0..n) that are others
 * (other_cert; every one when v is NULL), grouped by host, thumbprints in
 * full, into sb.  Returns how many distinct certificates.
 */
static size_t others_by_host(const evidence *e, const verdict_context *x, const verdict *v,
			     const size_t *idx, size_t n, strbuf *sb)
{
	size_t shown = 0, hosts = 0, total = 0;
	bool *done = xcalloc(n + 1, sizeof *done);
	for (size_t i = 0; i < n; i++) {
		const hv_cert *c = &e->holdings[idx[i]].cert;
		if (done[i] || (v && !other_cert(x, v, c)))
			continue;
		const char *host = c->host ? c->host : "";
		hosts++;
		bool listed = hosts <= OTHER_HOSTS_SHOWN;
		if (listed)
			sb_addf(sb, "%s%s (", shown ? "; " : "", *host ? host : "no host");
		size_t in_host = 0;
		/* every holding of this host, each certificate once */
		for (size_t k = i; k < n; k++) {
			const ev_holding *h = &e->holdings[idx[k]];
			if (done[k] || (v && !other_cert(x, v, &h->cert)) ||
			    strcasecmp(h->cert.host ? h->cert.host : "", host) != 0)
				continue;
			bool key = h->has_private_key;
			for (size_t m = k + 1; m < n; m++) {
				if (!done[m] && same_cert(&e->holdings[idx[m]].cert, &h->cert)) {
					key |= e->holdings[idx[m]].has_private_key;
					done[m] = true;
				}
			}
			done[k] = true;
			total++;
			if (listed)
				sb_addf(sb, "%s%s %s%s", in_host ? ", " : "",
					cert_role_name(h->cert.role), h->cert.thumbprint,
					key ? " with its key" : "");
			in_host++;
		}
		if (listed) {
			sb_addc(sb, ')');
			shown++;
		}
	}
	free(done);
	if (total && hosts > OTHER_HOSTS_SHOWN)
		sb_addf(sb, "; and %zu more host(s)", hosts - OTHER_HOSTS_SHOWN);
	return total;
}

/* The locked files by host (ASCII case-insensitive, as strcasecmp compares). */
static void lists_group_locked(verdict_lists *l)
{
	size_t caph = 0, capg = 0;
	for (size_t i = 0; i < l->nlocked; i++) {
		if (!l->locked[i].host) {
			l->hostless = xgrow(l->hostless, &caph, l->nhostless + 1, sizeof *l->hostless);
			l->hostless[l->nhostless++] = i;
			continue;
		}
		char *low = ascii_lower(l->locked[i].host);
		size_t g = strmap_get(&l->locked_hosts, low);
		if (g == SIZE_MAX) {
			g = l->nhosts++;
			l->host_locked = xgrow(l->host_locked, &capg, l->nhosts,
					       sizeof *l->host_locked);
			memset(&l->host_locked[g], 0, sizeof l->host_locked[g]);
			strmap_put(&l->locked_hosts, low, g);
		} else {
			free(low);
		}
		l->host_locked[g].pos = xrealloc(l->host_locked[g].pos,
						 (l->host_locked[g].n + 1) * sizeof(size_t));
		l->host_locked[g].pos[l->host_locked[g].n++] = i;
	}
}

void verdict_lists_build(const evidence *e, const strmap *needed, verdict_lists *l)
{
	memset(l, 0, sizeof *l);
	size_t cap = 0;
	for (size_t i = 0; i < e->nfiles; i++)
		if (e->files[i].kind == EV_PFX && e->files[i].status != HV_OK) {
			l->locked = xgrow(l->locked, &cap, l->nlocked + 1, sizeof *l->locked);
			char host[256];
			l->locked[l->nlocked].file = i;
			l->locked[l->nlocked++].host =
				host_from_file_name(&e->files[i], host, sizeof host) ? xstrdup(host)
										    : NULL;
		}
	lists_group_locked(l);
	cap = 0;
	for (size_t i = 0; i < e->nholdings; i++) {
		const hv_cert *c = &e->holdings[i].cert;
		hashidx_add(&l->by_cert, cert_hash(c), i);
		if (c->role == CERT_ROLE_OTHER || strmap_get(needed, c->sha256) != SIZE_MAX)
			continue;
		l->others = xgrow(l->others, &cap, l->nothers + 1, sizeof *l->others);
		l->others[l->nothers++] = i;
	}
	/* No VM needs any of them, so every verdict names the same ones: say it once. */
	strbuf sb = STRBUF_INIT;
	l->others_total = others_by_host(e, NULL, NULL, l->others, l->nothers, &sb);
	l->others_text = sb_detach(&sb);
}

void verdict_lists_free(verdict_lists *l)
{
	for (size_t i = 0; i < l->nlocked; i++)
		free(l->locked[i].host);
	free(l->locked);
	free(l->hostless);
	for (size_t i = 0; i < l->nhosts; i++)
		free(l->host_locked[i].pos);
	free(l->host_locked);
	strmap_free(&l->locked_hosts);
	free(l->others);
	free(l->others_text);
	hashidx_free(&l->by_cert);
	memset(l, 0, sizeof *l);
}

/*
 * The local guardian certificates the evidence does hold that this key
 * protector does not name (another host's pair: the wrong export brought),
 * grouped by host, thumbprints in full.
 */
static void name_other_certs(const evidence *e, const verdict_context *x, verdict *v)
{
	strbuf sb = STRBUF_INIT;
	size_t total;
	const char *text;
	if (x->lists) {
		total = x->lists->others_total;
		text = x->lists->others_text;
	} else {
		size_t *all = xcalloc(e->nholdings + 1, sizeof *all);
		for (size_t i = 0; i < e->nholdings; i++)
			all[i] = i;
		total = others_by_host(e, x, v, all, e->nholdings, &sb);
		free(all);
		text = sb_str(&sb);
	}
	if (total)
		reason(v, false,
		       "The evidence does hold %zu other local guardian certificate(s), which no key "
		       "protector in the evidence names: %s. Was the export of another host brought?",
		       total, text);
	sb_free(&sb);
}

static void decide_without_keys(const evidence *e, const verdict_context *x, verdict *v)
{
	explain_missing(v);
	if (v->nlocked) {
		v->kind = V_NEEDS_PASSWORD;
		name_other_certs(e, x, v);
		for (size_t i = 0; i < v->nlocked; i++) {
			const ev_file *f = &e->files[v->locked_files[i]];
			if (f->status == HV_ERR_PASSWORD && x->passwords_known && !x->npasswords) {
				v->no_password_given = true;
				reason(v, false,
				       "%s could not be opened: it needs a password and no password was "
				       "given (only no password and the empty password were tried).",
				       f->path);
			} else {
				reason(v, false, "%s could not be opened: %s.", f->path,
				       ev_file_error_or(f, hv_err_name(f->status)));
			}
		}
		reason(v, false,
		       "Until it is opened, a needed private key may be inside: no rebuild verdict is "
		       "given.");
		return;
	}
	size_t hgs = 0, local = 0;
	for (size_t i = 0; i < v->nwraps; i++) {
		if (v->wraps[i].local)
			local++;
		else
			hgs++;
	}
	if (hgs) {
		v->kind = V_HGS;
		for (size_t i = 0; i < v->ncerts; i++) {
			const vd_cert *c = &v->certs[i];
			for (size_t k = 0; k < c->nholdings; k++) {
				const ev_holding *h = &e->holdings[c->holdings[k]];
				if (e->files[h->file].kind == EV_GUARDIAN)
					reason(v, false,
					       "Guardian metadata %s lists the %s certificate %s of wrapping "
					       "%u: the Host Guardian Service it describes can unwrap.",
					       e->files[h->file].path, c->role, c->cert->thumbprint,
					       c->wrapping_id);
			}
		}
		reason(v, false,
		       "%zu wrapping(s) belong to guardians whose certificates do not follow the "
		       "local 'Shielded VM ... Certificate (GUARDIAN) (HOST)' pattern: a Host Guardian "
		       "Service fabric is needed to unwrap.",
		       hgs);
		if (local)
			reason(v, false, "No local guardian wrapping has its private keys in the evidence.");
		return;
	}
	v->kind = V_REBUILD;
	name_other_certs(e, x, v);
	reason(v, false,
	       "No wrapping's encryption private key exists in the evidence: the key protector "
	       "cannot be unwrapped, so the vTPM state is lost.");
	reason(v, true,
	       "A new VM with a fresh vTPM on the old disks will make BitLocker ask for its "
	       "recovery password.");
}

static void decide_no_kp(const evidence *e, const ev_vm *vm, verdict *v)
{
	bool saw_empty = false;
	for (size_t i = 0; i < vm->nkps; i++)
		if (vm->kps[i].empty) {
			saw_empty = true;
			v->kp = i;
			reason(v, false, "%s holds an empty key protector (00 00 00 04): no key protector is configured.",
			       e->files[vm->kps[i].file].path);
		}
	if (vm->tpm_enabled == TRI_YES) {
		v->kind = V_UNKNOWN;
		reason(v, false,
		       "The configuration enables the vTPM (security/settings/tpm_enabled) but no "
		       "usable key protector was found in the evidence.");
		reason(v, false,
		       "Bring the VM's guest state file (.vmgs) and runtime state (.vmrs), or a "
		       "Get-VMKeyProtector dump saved on the host.");
		return;
	}
	v->kind = V_NO_VTPM;
	if (vm->tpm_setting_seen)
		reason(v, false, "The configuration has the vTPM disabled (security/settings/tpm_enabled = false).");
	else if (vm->nconfigs && vm->vtpm_device)
		reason(v, true,
		       "The vTPM device is listed in the manifest but there is no security/settings "
		       "node: the TPM is not enabled.");
	else if (vm->nconfigs)
		reason(v, true, "The configuration has no vTPM settings and no key protector.");
	if (!saw_empty)
		reason(v, false, "No key protector was found in the evidence for this VM.");
	reason(v, false, "Nothing is bound to guardian certificates: restore the VM normally.");
}

/*
 * What the VM's disks say about a rebuild: a BitLocker volume protected by
 * the TPM alone cannot be unlocked with a fresh vTPM (rebuild_data_loss).
 */
static void judge_disk(const ev_file *f, bool rebuild, bool *tpm_only, verdict *v)
{
	disk_survival sv;
	survive_disk(ev_file_disk(f), &sv);
	const char *r = sv.overall.reason ? sv.overall.reason : "";
	switch (sv.overall.kind) {
	case SURV_TPM_ONLY:
		*tpm_only = true;
		reason(v, false, "Disk %s: %s.", f->path, r);
		if (rebuild)
			reason(v, true,
			       "DATA LOSS: after a rebuild with a fresh vTPM this volume cannot be "
			       "unlocked: it has no recovery password, recovery key or other "
			       "non-TPM protector. Find the old host's certificates instead.");
		break;
	case SURV_SURVIVABLE:
		reason(v, false, "Disk %s: survivable after a rebuild: %s.", f->path, r);
		break;
	case SURV_SUSPENDED:
		reason(v, false, "Disk %s: BitLocker is suspended (clear key): %s.", f->path, r);
		break;
	case SURV_NOT_ENCRYPTED:
		reason(v, false, "Disk %s: not BitLocker-encrypted (%s).", f->path, r);
		break;
	case SURV_UNKNOWN:
		reason(v, false, "Disk %s: whether it survives a rebuild is unknown: %s.", f->path, r);
		break;
	}
	disk_survival_free(&sv);
}

/*
 * What the VM's disks say about a rebuild: a BitLocker volume protected by
 * the TPM alone cannot be unlocked with a fresh vTPM (rebuild_data_loss).
 */
static void judge_disks(const evidence *e, const ev_vm *vm, verdict *v)
{
	bool rebuild = v->kind == V_REBUILD;
	bool tpm_only = false;
	for (size_t i = 0; i < vm->ndisks; i++) {
		const ev_file *f = &e->files[vm->disks[i]];
		if (ev_file_disk(f))
			judge_disk(f, rebuild, &tpm_only, v);
		else
			reason(v, false, "Disk %s: not read (%s).", f->path,
			       ev_file_error_or(f, ev_class_name(f->cls)));
	}
	if (rebuild && tpm_only)
		v->kind = V_REBUILD_DATA_LOSS;
	if (rebuild && vm->ndisks == 0 && vm->nconfigs)
		reason(v, false,
		       "The VM's disks are not in the evidence: whether BitLocker can be unlocked "
		       "after the rebuild is not known (bring the .vhdx/.avhdx files).");
}

/*
 * A signature inside the key protector that does not verify (not "cannot be
 * checked": checked and wrong) means the document is not as its owner
 * signed it.  The verdict stands on the certificates it names, but says so.
 */
static void judge_signatures(const ev_kp *kp, verdict *v)
{
	if (!kp->sig_failures)
		return;
	strbuf sb = STRBUF_INIT;
	if (kp->sig_failed_guardian)
		sb_adds(&sb, "the guardian signature over the wrappings");
	else
		sb_addf(&sb, "a certificate signature of wrapping %u", kp->sig_failed_wrapping);
	reason(v, false,
	       "A signature in the key protector does NOT verify (%s%s): the document is not as "
	       "its guardian signed it; it may have been altered.",
	       sb_str(&sb), kp->sig_failures > 1 ? ", and more" : "");
	sb_free(&sb);
}

void verdict_for_vm(const evidence *e, size_t vmi, const verdict_opts *o, verdict *v)
{
	verdict_for_vm_in(e, vmi, o, NULL, v);
}

void verdict_for_vm_in(const evidence *e, size_t vmi, const verdict_opts *o,
		       const verdict_context *c, verdict *v)
{
	static const verdict_context none = { false, 0, NULL, NULL };
	const verdict_context *x = c ? c : &none;
	memset(v, 0, sizeof *v);
	v->kp = SIZE_MAX;
	v->best_wrapping = -1;
	const ev_vm *vm = &e->vms[vmi];
	bool used_lkg = false;
	size_t k = choose_kp(e, x, vm, &used_lkg);
	if (k == SIZE_MAX) {
		decide_no_kp(e, vm, v);
		return;
	}
	v->kp = k;
	const ev_kp *kp = &vm->kps[k];
	collect_certs(e, x, kp, o, v);
	locked_files(e, x, v);
	if (used_lkg)
		reason(v, false,
		       "The current key protector cannot be unwrapped with the evidence, but the "
		       "last-known-good key protector can (Set-VMKeyProtector "
		       "-RestoreLastKnownGoodKeyProtector).");
	kp_score s = score_kp(e, x, kp);
	if (s.ok)
		decide_restorable(e, o, v);
	else if (s.enc_only || s.sig_only)
		decide_degraded(e, v);
	else
		decide_without_keys(e, x, v);
	judge_disks(e, vm, v);
	judge_signatures(kp, v);
	if (kp->heuristic)
		reason(v, true, "The key protector was found by scanning %s (%s), not in a documented "
			"structure.", e->files[kp->file].path, kp->location);
	if (v->nlocked && v->kind != V_NEEDS_PASSWORD)
		reason(v, false, "%zu PFX file(s) in the evidence could not be opened.", v->nlocked);
	if (v->nlocked_other && v->kind == V_REBUILD)
		reason(v, true,
		       "%zu PFX file(s) that could not be opened are named after another host's "
		       "guardian, so they were not counted as holding this VM's keys.",
		       v->nlocked_other);
}

int verdict_shown_wrapping(const verdict *v)
{
	if (v->best_wrapping >= 0)
		return v->best_wrapping;
	for (size_t i = 0; i < v->nwraps; i++)
		if (v->wraps[i].owner)
			return (int)i;
	return v->nwraps ? 0 : -1;
}

const vd_cert *verdict_cert(const verdict *v, int w, const char *role)
{
	if (w < 0 || (size_t)w >= v->nwraps)
		return NULL;
	return find_vcert(v, v->wraps[w].id, role);
}

bool verdict_expiry(const verdict *v, time_t *not_after, long *days_left)
{
	int w = verdict_shown_wrapping(v);
	const vd_cert *c[2] = { verdict_cert(v, w, "encryption"), verdict_cert(v, w, "signing") };
	const vd_cert *first = NULL;
	for (int i = 0; i < 2; i++)
		if (c[i] && (!first || c[i]->cert->not_after < first->cert->not_after))
			first = c[i];
	if (!first)
		return false;
	*not_after = first->cert->not_after;
	*days_left = first->days_left;
	return true;
}

void verdict_free(verdict *v)
{
	for (size_t i = 0; i < v->nreasons; i++)
		free(v->reasons[i].text);
	free(v->reasons);
	for (size_t i = 0; i < v->ncerts; i++)
		free(v->certs[i].holdings);
	free(v->certs);
	free(v->wraps);
	free(v->import_files);
	free(v->locked_files);
	memset(v, 0, sizeof *v);
}
