/* survive.c - rebuild survivability of BitLocker volumes (rules in survive.h). */
#include "analysis/survive.h"

#include <stdlib.h>
#include <string.h>

#include "util/strbuf.h"
#include "util/xalloc.h"

#define BDE_STATE_DECRYPTED 1

const char *surv_kind_id(surv_kind k)
{
	switch (k) {
	case SURV_NOT_ENCRYPTED: return "not_encrypted";
	case SURV_SUSPENDED: return "suspended";
	case SURV_SURVIVABLE: return "survivable";
	case SURV_UNKNOWN: return "unknown";
	case SURV_TPM_ONLY: return "tpm_only";
	}
	return "unknown";
}

static bool survivable_type(uint16_t t)
{
	return t == BDE_PROT_RECOVERY_PASSWORD || t == BDE_PROT_EXTERNAL_KEY ||
	       t == BDE_PROT_PASSWORD || t == BDE_PROT_CERTIFICATE;
}

static bool tpm_type(uint16_t t)
{
	return t == BDE_PROT_TPM || t == BDE_PROT_TPM_PIN || t == BDE_PROT_TPM_STARTUP_KEY ||
	       t == BDE_PROT_TPM_PIN_STARTUP_KEY;
}

static void set(surv_result *out, surv_kind k, strbuf *sb)
{
	out->kind = k;
	out->reason = sb_detach(sb);
}

/* The protector type as manage-bde -protectors -get names it, else our name for it. */
static const char *manage_bde_name(uint16_t t)
{
	switch (t) {
	case BDE_PROT_TPM: return "TPM";
	case BDE_PROT_EXTERNAL_KEY: return "External Key";
	case BDE_PROT_TPM_STARTUP_KEY: return "TPM And Startup Key";
	case BDE_PROT_TPM_PIN: return "TPM And PIN";
	case BDE_PROT_TPM_PIN_STARTUP_KEY: return "TPM And PIN And Startup Key";
	case BDE_PROT_RECOVERY_PASSWORD: return "Numerical Password";
	case BDE_PROT_CERTIFICATE: return "Certificate";
	case BDE_PROT_PASSWORD: return "Password";
	default: return bde_protection_name(t);
	}
}

/*
 * "Numerical Password ID {GUID} (recovery key ID 1A2B3C4D: ...)": the words
 * manage-bde prints.  The GUID is the protector's ID, never the password:
 * the 48-digit recovery password is not stored on the disk.
 */
static void describe(strbuf *sb, const bde_protector *p)
{
	sb_addf(sb, "%s%s ID {%s}", sb->len ? ", " : "", manage_bde_name(p->type_value),
		p->guid_str);
	if (p->recovery_key_id[0])
		sb_addf(sb, " (recovery key ID %s; the 48-digit recovery password is not on the "
			    "disk: look it up by this ID where it was escrowed)",
			p->recovery_key_id);
}

/* Adds every protector for which keep() holds; returns how many. */
static size_t list(strbuf *sb, const bde_volume *v, bool (*keep)(uint16_t))
{
	size_t n = 0;
	for (size_t i = 0; i < v->nprot; i++) {
		if (keep(v->prot[i].type_value)) {
			describe(sb, &v->prot[i]);
			n++;
		}
	}
	return n;
}

static bool clear_type(uint16_t t)
{
	return t == BDE_PROT_CLEAR_KEY;
}

static bool any_type(uint16_t t)
{
	(void)t;
	return true;
}

void survive_volume(const bde_volume *v, hv_err read_rc, surv_result *out)
{
	strbuf sb = STRBUF_INIT;
	memset(out, 0, sizeof *out);
	if (read_rc == HV_ERR_FORMAT) {
		sb_adds(&sb, "no BitLocker signature");
		set(out, SURV_NOT_ENCRYPTED, &sb);
		return;
	}
	if (read_rc != HV_OK) {
		sb_addf(&sb, "BitLocker metadata not readable (%s)", hv_err_name(read_rc));
		set(out, SURV_UNKNOWN, &sb);
		return;
	}
	if (v->state_current == BDE_STATE_DECRYPTED && v->state_next == BDE_STATE_DECRYPTED) {
		sb_adds(&sb, "BitLocker state is decrypted");
		set(out, SURV_NOT_ENCRYPTED, &sb);
		return;
	}
	if (list(&sb, v, clear_type)) {
		sb_adds(&sb, ": protection suspended, no key needed");
		set(out, SURV_SUSPENDED, &sb);
		return;
	}
	if (list(&sb, v, survivable_type)) {
		set(out, SURV_SURVIVABLE, &sb);
		return;
	}
	if (v->nprot == 0) {
		sb_adds(&sb, "no protectors found in the FVE metadata");
		set(out, SURV_UNKNOWN, &sb);
		return;
	}
	bool all_tpm = true;
	for (size_t i = 0; i < v->nprot; i++)
		all_tpm &= tpm_type(v->prot[i].type_value);
	list(&sb, v, any_type);
	sb_adds(&sb, all_tpm ? ": only the old vTPM can unlock the volume"
			     : ": protector types not known");
	set(out, all_tpm ? SURV_TPM_ONLY : SURV_UNKNOWN, &sb);
}

void survive_partition(const part_entry *p, surv_result *out)
{
	strbuf sb = STRBUF_INIT;
	memset(out, 0, sizeof *out);
	if (p->cls == PART_CLASS_UNREADABLE) {
		sb_adds(&sb, "partition not readable");
		set(out, SURV_UNKNOWN, &sb);
		return;
	}
	sb_addf(&sb, "%s partition (%s)", p->type_name ? p->type_name : "unknown",
		part_class_name(p->cls));
	set(out, SURV_NOT_ENCRYPTED, &sb);
}

void survive_combine(const surv_result *r, size_t n, surv_result *out)
{
	memset(out, 0, sizeof *out);
	size_t worst = n;
	for (size_t i = 0; i < n; i++)
		if (worst == n || r[i].kind > r[worst].kind)
			worst = i;
	out->kind = worst < n ? r[worst].kind : SURV_NOT_ENCRYPTED;
	out->reason = xstrdup(worst < n && r[worst].reason ? r[worst].reason : "no volumes");
}

void surv_result_free(surv_result *r)
{
	if (!r)
		return;
	free(r->reason);
	r->reason = NULL;
}

void survive_disk(const disk_facts *d, disk_survival *out)
{
	memset(out, 0, sizeof *out);
	size_t n = d->parts.n;
	out->n = n;
	out->surv = xcalloc(n ? n : 1, sizeof *out->surv);
	for (size_t i = 0; i < n; i++) {
		const part_entry *p = &d->parts.v[i];
		if (part_class_is_bitlocker(p->cls))
			survive_volume(&d->vols[i], d->vol_rc[i], &out->surv[i]);
		else
			survive_partition(p, &out->surv[i]);
	}
	if (d->parts_rc != HV_OK) {
		strbuf sb = STRBUF_INIT;
		sb_addf(&sb, "partition table not readable (%s)", hv_err_name(d->parts_rc));
		out->overall.kind = SURV_UNKNOWN;
		out->overall.reason = sb_detach(&sb);
	} else {
		survive_combine(out->surv, n, &out->overall);
	}
}

void disk_survival_free(disk_survival *s)
{
	if (!s)
		return;
	for (size_t i = 0; i < s->n; i++)
		surv_result_free(&s->surv[i]);
	free(s->surv);
	surv_result_free(&s->overall);
	memset(s, 0, sizeof *s);
}
