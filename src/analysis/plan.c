/*
 * plan.c - steps and PowerShell for each verdict.
 *
 * Recovery paths follow ../shared/docs/key-protector.md section 10: import
 * both certificates with their private keys into "Shielded VM Local
 * Certificates" (restorable); keep expired pairs and regenerate the local
 * guardian only for new VMs (restorable_expired); otherwise a new VM on the
 * old disks with a fresh vTPM, BitLocker recovery, re-keying and the
 * identity side effects (rebuild).
 */
#include "analysis/plan.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "util/strbuf.h"
#include "util/xalloc.h"

#define STORE "Cert:\\LocalMachine\\Shielded VM Local Certificates"

static void step(plan *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void step(plan *p, const char *fmt, ...)
{
	strbuf sb = STRBUF_INIT;
	va_list ap;
	va_start(ap, fmt);
	sb_vaddf(&sb, fmt, ap);
	va_end(ap);
	p->steps = xrealloc(p->steps, (p->nsteps + 1) * sizeof *p->steps);
	p->steps[p->nsteps++] = sb_detach(&sb);
}

static const char *vm_label(const plan_vm *vm)
{
	return vm->name && *vm->name ? vm->name : vm->id ? vm->id : "the VM";
}

/* Imports what the evidence holds with private keys, then checks the store for exactly those. */
static void steps_import(const evidence *e, const verdict *v, plan *p)
{
	for (size_t i = 0; i < v->nimport; i++)
		step(p, "Import %s with its private key into " STORE
		     " (Import-PfxCertificate -CertStoreLocation '" STORE "' -FilePath ..., "
		     "or certutil -importPFX \"Shielded VM Local Certificates\" FILE).",
		     e->files[v->import_files[i]].path);
	for (size_t i = 0; i < v->ncerts; i++) {
		const vd_cert *c = &v->certs[i];
		if (v->best_wrapping < 0 || c->wrapping_id != v->wraps[v->best_wrapping].id)
			continue;
		if (c->state == HOLD_WITH_KEY)
			step(p, "Check that the store then holds %s certificate %s with a private key "
			     "(HasPrivateKey = True).", c->role, c->cert->thumbprint);
		else
			step(p, "Find the %s private key of certificate %s (host %s): it is not in the "
			     "evidence%s. Look in other PFX exports and in the original host's store.",
			     c->role, c->cert->thumbprint, c->cert->host ? c->cert->host : "unknown",
			     c->state == HOLD_CERT_ONLY ? " (only the certificate is)" : "");
	}
}

static void steps_locked(const evidence *e, const verdict *v, plan *p)
{
	if (v->no_password_given)
		step(p, "Run hvtpm again with the PFX password: --password-file FILE (one candidate "
			"per line), --ask-password or the HVTPM_PFX_PASSWORD environment variable; or "
			"with --try-default-passwords (the passwords of common export scripts, P@ssword "
			"among them).");
	for (size_t i = 0; i < v->nlocked; i++) {
		const ev_file *f = &e->files[v->locked_files[i]];
		if (f->status == HV_ERR_PASSWORD)
			step(p, "Open %s: %s (on Windows, Get-PfxData -FilePath FILE tells whether a "
			     "password opens it).", f->path,
			     v->no_password_given ? "it needs a password"
						  : "find its password; none of those given opens it");
		else
			step(p, "Open %s on a machine that can (%s).", f->path,
			     ev_file_error_or(f, hv_err_name(f->status)));
	}
}

static void steps_rekey(plan *p)
{
	step(p, "Boot the rebuilt VM and enter the BitLocker recovery password when asked "
		"(look it up by the recovery key ID in AD, Entra ID, MBAM or wherever it was escrowed).");
	step(p, "Inside the guest, re-bind BitLocker to the new vTPM: manage-bde -protectors -delete "
		"C: -type TPM; manage-bde -protectors -add C: -tpm (PowerShell: "
		"Add-BitLockerKeyProtector -MountPoint C: -TpmProtector).");
	step(p, "Add a new recovery password and escrow it: manage-bde -protectors -add C: "
		"-RecoveryPassword, then manage-bde -protectors -adbackup C: -id {ID} or -aadbackup "
		"(PowerShell: Add-BitLockerKeyProtector -MountPoint C: -RecoveryPasswordProtector; "
		"BackupToAAD-BitLockerKeyProtector / Backup-BitLockerKeyProtector).");
	step(p, "Remove the old recovery password once the new one is escrowed, and record the "
		"new recovery key ID.");
	step(p, "Re-establish TPM-bound identity: every key sealed to the old vTPM is gone. "
		"Entra ID: dsregcmd /leave then re-join (device keys, PRT); Windows Hello: users "
		"re-enrol their PIN; Intune: re-check compliance after BitLocker is protected again "
		"and the device re-attests; virtual smart cards and TPM-sealed app secrets must be "
		"re-issued.");
}

static void steps_rebuild(const plan_vm *vm, plan *p)
{
	step(p, "Create a new Generation 2 VM with the old VM's settings (name %s, %lld MB memory, "
	     "%lld virtual processors, secure boot %s%s%s).",
	     vm_label(vm), (long long)vm->memory_mb, (long long)vm->processors,
	     vm->secure_boot == 1 ? "on" : vm->secure_boot == 0 ? "off" : "as before",
	     vm->secure_boot_template ? ", template " : "",
	     vm->secure_boot_template ? vm->secure_boot_template : "");
	for (size_t i = 0; i < vm->ndisks; i++)
		step(p, "Attach the old disk %s (a copy, keep the original untouched).", vm->disks[i]);
	for (size_t i = 0; i < vm->nswitches; i++)
		step(p, "Add a network adapter connected to switch '%s'.",
		     *vm->switches[i] ? vm->switches[i] : "(unknown: choose one)");
	step(p, "Give it a new local key protector and enable the vTPM: Set-VMKeyProtector "
		"-NewLocalKeyProtector; Enable-VMTPM.");
	steps_rekey(p);
}

void plan_build(const evidence *e, const verdict *v, const plan_vm *vm, plan *p)
{
	memset(p, 0, sizeof *p);
	switch (v->kind) {
	case V_NO_VTPM:
		step(p, "Import or register the VM as usual (Import-VM); no guardian certificate is needed.");
		break;
	case V_RESTORABLE:
		steps_import(e, v, p);
		step(p, "Import the VM (Import-VM -Path <the .vmcx>), then start it.");
		break;
	case V_RESTORABLE_EXPIRED:
		steps_import(e, v, p);
		step(p, "Import the VM and start it: an existing vTPM VM still starts with expired "
			"certificates.");
		step(p, "Keep the old certificate pair in the store for as long as any VM depends on it; "
			"never delete it, and keep a backup of the PFX files.");
		step(p, "For new VMs, regenerate the local guardian: Remove-HgsGuardian -Name "
			"UntrustedGuardian; New-HgsGuardian -Name UntrustedGuardian -GenerateCertificates "
			"(the old certificates stay in the store).");
		step(p, "Optionally move this VM to the new guardian: with the VM off, Set-VMKeyProtector "
			"-NewLocalKeyProtector re-keys the vTPM to the current local certificates "
			"(BitLocker may ask for recovery once).");
		break;
	case V_DEGRADED:
		steps_import(e, v, p);
		step(p, "Import the VM (Import-VM -Path <the .vmcx>) and try to start it: unwrapping "
			"needs only the encryption private key.");
		step(p, "If the VM starts, move it to a complete guardian: Set-VMKeyProtector "
			"-NewLocalKeyProtector, then back up the new pair (both PFX files, both keys).");
		break;
	case V_NEEDS_PASSWORD:
		steps_locked(e, v, p);
		step(p, "Do not rebuild before every locked file has been opened.");
		break;
	case V_HGS:
		step(p, "Start the VM only on a host that the Host Guardian Service named in the key "
			"protector attests (Get-HgsClientConfiguration on the target host).");
		step(p, "Or, on such a host, grant a local guardian access: ConvertTo-HgsKeyProtector, "
			"Grant-HgsKeyProtectorAccess, Set-VMKeyProtector (needs the owner's signing key).");
		break;
	case V_UNKNOWN:
		step(p, "Bring the VM's guest state file (.vmgs) and runtime state file (.vmrs), or on "
			"the host: [IO.File]::WriteAllBytes('vm.kp', (Get-VMKeyProtector -VMName NAME)).");
		step(p, "Bring the PFX exports of the host's 'Shielded VM Local Certificates', then run "
			"hvtpm again.");
		break;
	case V_REBUILD:
	case V_REBUILD_DATA_LOSS:
		steps_rebuild(vm, p);
		break;
	}
}

void plan_free(plan *p)
{
	for (size_t i = 0; i < p->nsteps; i++)
		free(p->steps[i]);
	free(p->steps);
	memset(p, 0, sizeof *p);
}
