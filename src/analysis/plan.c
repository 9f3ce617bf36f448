/*
 * plan.c - steps and PowerShell for each verdict.
 *
 * Recovery paths follow ../shared/docs/key-protector.md section 10: import
 * both certificates with their private keys into "Shielded VM Local
 * Certificates" (restorable); keep expired pairs and regenerate the local
 * guardian only for new VMs (restorable-expired); otherwise a new VM on the
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

char *ps_quote(const char *s)
{
	strbuf sb = STRBUF_INIT;
	sb_addc(&sb, '\'');
	for (const unsigned char *p = (const unsigned char *)(s ? s : ""); *p; p++) {
		/* PowerShell also ends single-quoted strings on U+2018..U+201B. */
		if (p[0] == 0xE2 && p[1] == 0x80 && p[2] >= 0x98 && p[2] <= 0x9B) {
			sb_add(&sb, (const char *)p, 3);
			sb_add(&sb, (const char *)p, 3);
			p += 2;
		} else if (*p == '\'') {
			sb_adds(&sb, "''");
		} else if (*p < 0x20 || *p == 0x7F) {
			sb_addc(&sb, '?');
		} else {
			sb_addc(&sb, (char)*p);
		}
	}
	sb_addc(&sb, '\'');
	return sb_detach(&sb);
}

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

static void steps_import(const evidence *e, const verdict *v, plan *p)
{
	for (size_t i = 0; i < v->nimport; i++)
		step(p, "Import %s with its private key into " STORE
		     " (Import-PfxCertificate -CertStoreLocation '" STORE "' -FilePath ..., "
		     "or certutil -importPFX \"Shielded VM Local Certificates\" FILE).",
		     e->files[v->import_files[i]].path);
	for (size_t i = 0; i < v->ncerts; i++) {
		const vd_cert *c = &v->certs[i];
		if (v->best_wrapping >= 0 && c->wrapping_id == v->wraps[v->best_wrapping].id)
			step(p, "Check that the store then holds %s certificate %s with a private key "
			     "(HasPrivateKey = True).", c->role, c->cert->thumbprint);
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
		step(p, "Import every certificate and key you hold, try to start the VM, and look for "
			"the missing private key (other PFX exports, the original host's store).");
		step(p, "If the VM starts, move it to a complete guardian: Set-VMKeyProtector "
			"-NewLocalKeyProtector, then back up the new pair (both PFX files, both keys).");
		break;
	case V_NEEDS_PASSWORD:
		for (size_t i = 0; i < v->nlocked; i++)
			step(p, "Open %s: find its password (try --password-file with candidates, or "
			     "Get-PfxData on Windows) and run hvtpm again.",
			     e->files[v->locked_files[i]].path);
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

/* ---- PowerShell ---------------------------------------------------------------------- */

static void ps_header(FILE *o, const verdict *v, const plan_vm *vm, const char *at)
{
	char *n = ps_quote(vm_label(vm));
	fprintf(o,
		"# hvtpm recovery plan\n"
		"# VM:       %s\n"
		"# VM id:    %s\n"
		"# Verdict:  %s\n"
		"# Made:     %s by hvtpm " HVTPM_VERSION "\n"
		"#\n"
		"# Review every step before running it. Run it first with -WhatIf:\n"
		"#     .\\plan.ps1 -WhatIf\n"
		"# This script holds no passwords: it asks for them when it needs them.\n"
		"# It is idempotent: steps already done are skipped.\n"
		"#Requires -RunAsAdministrator\n"
		"[CmdletBinding(SupportsShouldProcess = $true)]\n"
		"param([switch]$RegenerateGuardian)\n"
		"$ErrorActionPreference = 'Stop'\n"
		"$VMName = %s\n",
		vm_label(vm), vm->id ? vm->id : "(unknown)", verdict_name(v->kind), at, n);
	free(n);
}

static void ps_import(FILE *o, const evidence *e, const verdict *v)
{
	fputs("\n# 1. Import the guardian certificates with their private keys.\n"
	      "$Store = '" STORE "'\n"
	      "if (-not (Test-Path $Store)) {\n"
	      "    if ($PSCmdlet.ShouldProcess($Store, 'create certificate store')) {\n"
	      "        New-Item -Path $Store -Force | Out-Null\n"
	      "    }\n"
	      "}\n",
	      o);
	fputs("$Needed = @(\n", o);
	for (size_t i = 0; i < v->ncerts; i++) {
		const vd_cert *c = &v->certs[i];
		if (v->best_wrapping >= 0 && c->wrapping_id == v->wraps[v->best_wrapping].id)
			fprintf(o, "    '%s'   # %s\n", c->cert->thumbprint, c->role);
	}
	fputs(")\n$Files = @(\n", o);
	for (size_t i = 0; i < v->nimport; i++) {
		char *q = ps_quote(e->files[v->import_files[i]].path);
		fprintf(o, "    %s\n", q);
		free(q);
	}
	fputs(")\n"
	      "$missing = $Needed | Where-Object { -not (Test-Path (Join-Path $Store $_)) }\n"
	      "if ($missing) {\n"
	      "    $pw = Read-Host -AsSecureString -Prompt 'PFX password'\n"
	      "    foreach ($f in $Files) {\n"
	      "        if ($PSCmdlet.ShouldProcess($f, 'Import-PfxCertificate')) {\n"
	      "            Import-PfxCertificate -FilePath $f -CertStoreLocation $Store -Password $pw | Out-Null\n"
	      "        }\n"
	      "    }\n"
	      "    $pw.Dispose()\n"
	      "}\n"
	      "foreach ($t in $Needed) {\n"
	      "    $c = Get-Item (Join-Path $Store $t) -ErrorAction SilentlyContinue\n"
	      "    if ($c -and -not $c.HasPrivateKey) { Write-Warning \"$t has no private key\" }\n"
	      "}\n",
	      o);
}

static void ps_import_vm(FILE *o, const plan_vm *vm)
{
	char *cfg = ps_quote(vm->config_path ? vm->config_path : "<path of the .vmcx>");
	fprintf(o,
		"\n# Import the VM (adjust the path to where the export is on this host).\n"
		"if (-not (Get-VM -Name $VMName -ErrorAction SilentlyContinue)) {\n"
		"    Import-VM -Path %s -Copy -GenerateNewId -WhatIf:$WhatIfPreference\n"
		"}\n",
		cfg);
	free(cfg);
}

static void ps_regenerate(FILE *o)
{
	fputs("\n# Regenerate the local guardian for NEW VMs only (run with -RegenerateGuardian).\n"
	      "# The old certificates stay in the store: never delete them while a VM uses them.\n"
	      "if ($RegenerateGuardian) {\n"
	      "    $g = Get-HgsGuardian -Name UntrustedGuardian -ErrorAction SilentlyContinue\n"
	      "    if ($g -and $PSCmdlet.ShouldProcess('UntrustedGuardian', 'regenerate')) {\n"
	      "        Remove-HgsGuardian -Name UntrustedGuardian\n"
	      "        New-HgsGuardian -Name UntrustedGuardian -GenerateCertificates | Out-Null\n"
	      "    }\n"
	      "}\n",
	      o);
}

static void ps_rebuild(FILE *o, const plan_vm *vm)
{
	char *name = ps_quote(vm->name ? vm->name : "rebuilt-vm");
	fprintf(o,
		"\n# 1. A new Generation 2 VM with the old settings and the old disks.\n"
		"#    Attach COPIES of the disks; keep the originals as evidence.\n"
		"$NewName = %s + ' (rebuilt)'\n"
		"if (-not (Get-VM -Name $NewName -ErrorAction SilentlyContinue)) {\n"
		"    New-VM -Name $NewName -Generation 2 -MemoryStartupBytes %lldMB -NoVHD "
		"-WhatIf:$WhatIfPreference | Out-Null\n",
		name, (long long)(vm->memory_mb > 0 ? vm->memory_mb : 4096));
	free(name);
	fputs("}\n$vmOk = Get-VM -Name $NewName -ErrorAction SilentlyContinue\n"
	      "if ($vmOk) {\n",
	      o);
	if (vm->processors > 0)
		fprintf(o, "    Set-VMProcessor -VMName $NewName -Count %lld -WhatIf:$WhatIfPreference\n",
			(long long)vm->processors);
	if (vm->secure_boot == 1 && vm->secure_boot_template) {
		char *t = ps_quote(vm->secure_boot_template);
		fprintf(o, "    Set-VMFirmware -VMName $NewName -EnableSecureBoot On "
			"-SecureBootTemplateId %s -WhatIf:$WhatIfPreference\n", t);
		free(t);
	} else if (vm->secure_boot == 0) {
		fputs("    Set-VMFirmware -VMName $NewName -EnableSecureBoot Off -WhatIf:$WhatIfPreference\n", o);
	}
	for (size_t i = 0; i < vm->ndisks; i++) {
		char *d = ps_quote(vm->disks[i]);
		fprintf(o,
			"    if (-not (Get-VMHardDiskDrive -VMName $NewName | Where-Object Path -eq %s)) {\n"
			"        Add-VMHardDiskDrive -VMName $NewName -Path %s -WhatIf:$WhatIfPreference\n"
			"    }\n",
			d, d);
		free(d);
	}
	for (size_t i = 0; i < vm->nswitches; i++) {
		if (!*vm->switches[i]) {
			fputs("    # A network adapter whose switch is unknown: add it by hand.\n", o);
			continue;
		}
		char *s = ps_quote(vm->switches[i]);
		fprintf(o, "    if (@(Get-VMNetworkAdapter -VMName $NewName).Count -lt %zu) {\n"
			"        Add-VMNetworkAdapter -VMName $NewName -SwitchName %s -WhatIf:$WhatIfPreference\n"
			"    }\n", i + 1, s);
		free(s);
	}
	fputs("    # 2. A new local key protector and a fresh vTPM.\n"
	      "    if (-not (Get-VMSecurity -VMName $NewName).TpmEnabled) {\n"
	      "        Set-VMKeyProtector -VMName $NewName -NewLocalKeyProtector -WhatIf:$WhatIfPreference\n"
	      "        Enable-VMTPM -VMName $NewName -WhatIf:$WhatIfPreference\n"
	      "    }\n"
	      "}\n"
	      "\n"
	      "# 3. Boot it and enter the BitLocker recovery password when asked.\n"
	      "# 4. Then, INSIDE THE GUEST (elevated), re-key BitLocker to the new vTPM:\n"
	      "#    manage-bde form:\n"
	      "#      manage-bde -protectors -delete C: -type TPM\n"
	      "#      manage-bde -protectors -add C: -tpm\n"
	      "#      manage-bde -protectors -add C: -RecoveryPassword\n"
	      "#      manage-bde -protectors -adbackup C: -id {NEW-ID}    (or -aadbackup)\n"
	      "#    PowerShell form:\n"
	      "#      Add-BitLockerKeyProtector -MountPoint C: -TpmProtector\n"
	      "#      Add-BitLockerKeyProtector -MountPoint C: -RecoveryPasswordProtector\n"
	      "#      $kp = (Get-BitLockerVolume C:).KeyProtector | Where-Object KeyProtectorType -eq RecoveryPassword\n"
	      "#      BackupToAAD-BitLockerKeyProtector -MountPoint C: -KeyProtectorId $kp[-1].KeyProtectorId\n"
	      "#    Escrow the new recovery password, then remove the old one.\n"
	      "# 5. Identity: every TPM-bound key is gone. Re-join Entra ID (dsregcmd /leave,\n"
	      "#    then join again), have users re-enrol Windows Hello, and check Intune\n"
	      "#    compliance once BitLocker is protected and the device has re-attested.\n",
	      o);
}

void plan_powershell(FILE *o, const evidence *e, const verdict *v, const plan_vm *vm,
		     const char *at)
{
	ps_header(o, v, vm, at);
	switch (v->kind) {
	case V_NO_VTPM:
		fputs("\n# No vTPM key protector: nothing to import.\n", o);
		ps_import_vm(o, vm);
		break;
	case V_RESTORABLE:
	case V_DEGRADED:
		ps_import(o, e, v);
		ps_import_vm(o, vm);
		break;
	case V_RESTORABLE_EXPIRED:
		ps_import(o, e, v);
		ps_import_vm(o, vm);
		fputs("\n# The certificates have expired (or expire soon): the VM still starts,\n"
		      "# but enabling a vTPM or resetting a key protector with them fails.\n"
		      "# Keep the old pair in the store for as long as any VM depends on it.\n",
		      o);
		ps_regenerate(o);
		break;
	case V_NEEDS_PASSWORD:
		fputs("\n# No action yet: these files could not be opened. Check a password on Windows\n"
		      "# with Get-PfxData, then run hvtpm again with the right password.\n",
		      o);
		for (size_t i = 0; i < v->nlocked; i++) {
			char *q = ps_quote(e->files[v->locked_files[i]].path);
			fprintf(o, "# Get-PfxData -FilePath %s -Password (Read-Host -AsSecureString)\n", q);
			free(q);
		}
		break;
	case V_HGS:
		fputs("\n# This VM is protected by a Host Guardian Service: run it on a guarded host.\n"
		      "Get-HgsClientConfiguration\n",
		      o);
		break;
	case V_UNKNOWN:
		fputs("\n# Not enough evidence. On the original host, save the key protector:\n"
		      "#   [IO.File]::WriteAllBytes('vm.kp', (Get-VMKeyProtector -VMName $VMName))\n"
		      "# and export the 'Shielded VM Local Certificates' with their private keys.\n",
		      o);
		break;
	case V_REBUILD:
	case V_REBUILD_DATA_LOSS:
		if (v->kind == V_REBUILD_DATA_LOSS)
			fputs("\n# WARNING: the disks show TPM-only BitLocker protectors. After a rebuild\n"
			      "# the data cannot be unlocked. Do not rebuild before looking for the old\n"
			      "# host's certificates once more.\n",
			      o);
		ps_rebuild(o, vm);
		break;
	}
}
