/* filter.c - which VMs a report covers (--vm, --verdict, --expiring-before) and their order. */
#include "analysis/filter.h"

#include <stdlib.h>
#include <string.h>

#include "util/text.h"

bool vm_filter_active(const vm_filter *f)
{
	return f->nvms || f->verdicts || f->expiring_given;
}

bool vm_filter_parse_verdicts(const char *list, unsigned *mask, const char **bad,
			      size_t *badlen)
{
	const char *p = list;
	for (;;) {
		size_t n = strcspn(p, ",");
		size_t a = 0, b = n; /* spaces around a name are forgiven */
		while (a < b && p[a] == ' ')
			a++;
		while (b > a && p[b - 1] == ' ')
			b--;
		verdict_kind k;
		if (!verdict_from_name(p + a, b - a, &k)) {
			*bad = p + a;
			*badlen = b - a;
			return false;
		}
		*mask |= 1u << k;
		if (!p[n])
			return true;
		p += n + 1;
	}
}

/* Upper to lower case for ASCII, Latin-1, Greek and Cyrillic letters. */
static uint32_t fold(uint32_t c)
{
	if ((c >= 'A' && c <= 'Z') || (c >= 0xC0 && c <= 0xDE && c != 0xD7) ||
	    (c >= 0x391 && c <= 0x3AB && c != 0x3A2) || (c >= 0x410 && c <= 0x42F))
		return c + 0x20;
	if (c >= 0x400 && c <= 0x40F)
		return c + 0x50;
	return c;
}

int name_casecmp(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b), i = 0, j = 0;
	while (i < la && j < lb) {
		uint32_t ca, cb;
		size_t na = utf8_next(a + i, la - i, &ca), nb = utf8_next(b + j, lb - j, &cb);
		if (!na) { /* invalid bytes compare as bytes */
			ca = 0x110000u + (unsigned char)a[i];
			na = 1;
		}
		if (!nb) {
			cb = 0x110000u + (unsigned char)b[j];
			nb = 1;
		}
		ca = fold(ca);
		cb = fold(cb);
		if (ca != cb)
			return ca < cb ? -1 : 1;
		i += na;
		j += nb;
	}
	return (i < la) - (j < lb);
}

bool vm_matches(const ev_vm *vm, const char *want)
{
	if (guid_str_eq(vm->id, want) || name_casecmp(vm->id, want) == 0)
		return true;
	return vm->name && name_casecmp(vm->name, want) == 0;
}

bool vm_filter_keep(const vm_filter *f, const ev_vm *vm, const verdict *v)
{
	if (f->nvms) {
		bool any = false;
		for (size_t i = 0; i < f->nvms && !any; i++)
			any = vm_matches(vm, f->vms[i]);
		if (!any)
			return false;
	}
	if (f->verdicts && !(f->verdicts & (1u << v->kind)))
		return false;
	if (f->expiring_given) {
		time_t na;
		long days;
		if (!verdict_expiry(v, &na, &days) || na >= f->expiring_before)
			return false;
	}
	return true;
}

int verdict_urgency(verdict_kind k)
{
	switch (k) {
	case V_REBUILD_DATA_LOSS: return 0;
	case V_REBUILD: return 1;
	case V_NEEDS_PASSWORD: return 2;
	case V_UNKNOWN: return 3;
	case V_DEGRADED: return 4;
	case V_RESTORABLE_EXPIRED: return 5;
	case V_HGS: return 6;
	case V_RESTORABLE: return 7;
	case V_NO_VTPM: return 8;
	}
	return 9;
}

static int cmp_urgent(const void *pa, const void *pb, void *ctx)
{
	const evidence *e = ctx;
	const dx_vm *a = pa, *b = pb;
	int ua = verdict_urgency(a->v.kind), ub = verdict_urgency(b->v.kind);
	if (ua != ub)
		return ua < ub ? -1 : 1;
	time_t na = 0, nb = 0;
	long da, db;
	bool ha = verdict_expiry(&a->v, &na, &da), hb = verdict_expiry(&b->v, &nb, &db);
	if (ha != hb)
		return ha ? -1 : 1;
	if (ha && na != nb)
		return na < nb ? -1 : 1;
	const ev_vm *va = &e->vms[a->vm], *vb = &e->vms[b->vm];
	const char *sa = va->name ? va->name : "", *sb = vb->name ? vb->name : "";
	int c = name_casecmp(sa, sb);
	if (c)
		return c;
	c = strcmp(sa, sb);
	if (c)
		return c;
	c = strcmp(va->id, vb->id);
	return c ? c : (a->vm > b->vm) - (a->vm < b->vm);
}

void dx_sort_urgent(const evidence *e, dx_result *r)
{
	if (r->nvms > 1)
		qsort_r(r->vms, r->nvms, sizeof *r->vms, cmp_urgent, (void *)e);
}

static bool keep_one(const evidence *e, const dx_vm *d, void *ctx)
{
	return vm_filter_keep(ctx, &e->vms[d->vm], &d->v);
}

void dx_apply_filter(const evidence *e, dx_result *r, const vm_filter *f)
{
	if (vm_filter_active(f))
		dx_filter(e, r, keep_one, (void *)f);
}
