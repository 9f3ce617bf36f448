/*
 * plan_ps.c - the PowerShell form of a plan.
 *
 * The script is built in a strbuf: fixed text is ours, every evidence
 * string goes through ps_lit_add(), and the finished script is checked to
 * be printable ASCII before it is written (a byte that is not would be a
 * bug here; it is replaced rather than written).
 */
#include "report/plan_ps.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "report/ps_literal.h"
#include "util/strbuf.h"
#include "util/text.h"

#define STORE "Cert:\\LocalMachine\\Shielded VM Local Certificates"

static const char *vm_label(const plan_vm *vm)
{
	return vm->name && *vm->name ? vm->name : vm->id ? vm->id : "the VM";
}

/* "$Name = <literal>\n" */
static void assign(strbuf *sb, const char *var, const char *value)
{
	sb_addf(sb, "$%s = ", var);
	ps_lit_add(sb, value);
	sb_addc(sb, '\n');
}

static void ps_header(strbuf *sb, size_t nvms, const char *at)
{
	sb_addf(sb,
		"# hvtpm recovery plan\n"
		"# Made:     %s by hvtpm " HVTPM_VERSION "\n"
		"# VMs:      %zu, one section each (worst first); each section says its verdict.\n"
		"# Every VM name and id is in $VMName and $VMId at the top of its section\n"
		"# (evidence text is never written into a comment).\n"
		"#\n"
		"# Review every step before running it. Run it first with -WhatIf:\n"
		"#     .\\plan.ps1 -WhatIf\n"
		"# Only some of the VMs (by name or id):\n"
		"#     .\\plan.ps1 -Only web01, sql01 -WhatIf\n"
		"# This script holds no passwords: it asks for them when it needs them.\n"
		"# It is idempotent: steps already done are skipped.\n"
		"#Requires -RunAsAdministrator\n"
		"[CmdletBinding(SupportsShouldProcess = $true)]\n"
		"param([string[]]$Only, [switch]$RegenerateGuardian)\n"
		"$ErrorActionPreference = 'Stop'\n"
		"$Store = '" STORE "'\n"
		"$PfxPassword = $null\n",
		at, nvms);
}

/* The thumbprints are SHA-1 hex computed by hvtpm, but go through ps_lit too. */
static void ps_import(strbuf *sb, const evidence *e, const verdict *v)
{
	sb_adds(sb, "\n# Import the guardian certificates the evidence holds with their private keys.\n"
		    "if (-not (Test-Path $Store)) {\n"
		    "    if ($PSCmdlet.ShouldProcess($Store, 'create certificate store')) {\n"
		    "        New-Item -Path $Store -Force | Out-Null\n"
		    "    }\n"
		    "}\n"
		    "$Needed = @(\n");
	for (size_t i = 0; i < v->ncerts; i++) {
		const vd_cert *c = &v->certs[i];
		if (v->best_wrapping >= 0 && c->wrapping_id == v->wraps[v->best_wrapping].id) {
			sb_adds(sb, "    ");
			ps_lit_add(sb, c->cert->thumbprint);
			sb_addf(sb, "   # %s%s\n", strcmp(c->role, "signing") == 0 ? "signing" : "encryption",
				c->state == HOLD_WITH_KEY ? "" : " (its private key is not in the evidence)");
		}
	}
	sb_adds(sb, ")\n");
	if (v->nimport) {
		sb_adds(sb, "$Files = @(\n");
		for (size_t i = 0; i < v->nimport; i++) {
			sb_adds(sb, "    ");
			ps_lit_add(sb, e->files[v->import_files[i]].path);
			sb_addc(sb, '\n');
		}
		sb_adds(sb, ")\n"
			    "$missing = @($Needed | Where-Object { -not (Test-Path (Join-Path $Store $_)) })\n"
			    "if ($missing.Count -gt 0) {\n"
			    "    foreach ($f in $Files) {\n"
			    "        if (-not $PSCmdlet.ShouldProcess($f, 'Import-PfxCertificate')) { continue }\n"
			    "        if (-not $PfxPassword) {\n"
			    "            $PfxPassword = Read-Host -AsSecureString -Prompt 'PFX password'\n"
			    "        }\n"
			    "        try {\n"
			    "            Import-PfxCertificate -FilePath $f -CertStoreLocation $Store -Password $PfxPassword | Out-Null\n"
			    "        } catch {\n"
			    "            $PfxPassword = Read-Host -AsSecureString -Prompt \"Password of $f (the last one did not open it)\"\n"
			    "            Import-PfxCertificate -FilePath $f -CertStoreLocation $Store -Password $PfxPassword | Out-Null\n"
			    "        }\n"
			    "    }\n"
			    "}\n");
	} else {
		sb_adds(sb, "# No file of the evidence holds one of these private keys: nothing to import.\n");
	}
	sb_adds(sb, "foreach ($t in $Needed) {\n"
		    "    $c = Get-Item (Join-Path $Store $t) -ErrorAction SilentlyContinue\n"
		    "    if (-not $c) { Write-Warning \"$t is not in the store\" }\n"
		    "    elseif (-not $c.HasPrivateKey) { Write-Warning \"$t has no private key\" }\n"
		    "}\n");
}

static void ps_import_vm(strbuf *sb, const plan_vm *vm)
{
	sb_adds(sb, "\n# Import the VM (adjust $VMConfig to where the export is on this host).\n");
	if (vm->config_path)
		assign(sb, "VMConfig", vm->config_path);
	else
		sb_adds(sb, "$VMConfig = Read-Host -Prompt 'Path of the VM configuration (.vmcx)'\n");
	sb_adds(sb, "if (-not (Get-VM -Name $VMName -ErrorAction SilentlyContinue)) {\n"
		    "    Import-VM -Path $VMConfig -Copy -GenerateNewId -WhatIf:$WhatIfPreference\n"
		    "}\n");
}

static void ps_regenerate(strbuf *sb)
{
	sb_adds(sb, "\n# Regenerate the local guardian for NEW VMs only (run with -RegenerateGuardian).\n"
		    "# The old certificates stay in the store: never delete them while a VM uses them.\n"
		    "if ($RegenerateGuardian) {\n"
		    "    $g = Get-HgsGuardian -Name UntrustedGuardian -ErrorAction SilentlyContinue\n"
		    "    if ($g -and $PSCmdlet.ShouldProcess('UntrustedGuardian', 'regenerate')) {\n"
		    "        Remove-HgsGuardian -Name UntrustedGuardian\n"
		    "        New-HgsGuardian -Name UntrustedGuardian -GenerateCertificates | Out-Null\n"
		    "    }\n"
		    "}\n");
}

static void ps_rebuild_settings(strbuf *sb, const plan_vm *vm)
{
	if (vm->processors > 0)
		sb_addf(sb, "    Set-VMProcessor -VMName $NewName -Count %lld -WhatIf:$WhatIfPreference\n",
			(long long)vm->processors);
	if (vm->secure_boot == 1 && vm->secure_boot_template) {
		sb_adds(sb, "    Set-VMFirmware -VMName $NewName -EnableSecureBoot On -SecureBootTemplateId ");
		ps_lit_add(sb, vm->secure_boot_template);
		sb_adds(sb, " -WhatIf:$WhatIfPreference\n");
	} else if (vm->secure_boot == 0) {
		sb_adds(sb, "    Set-VMFirmware -VMName $NewName -EnableSecureBoot Off -WhatIf:$WhatIfPreference\n");
	}
	for (size_t i = 0; i < vm->ndisks; i++) {
		sb_adds(sb, "    $disk = ");
		ps_lit_add(sb, vm->disks[i]);
		sb_adds(sb, "\n"
			    "    if (-not (Get-VMHardDiskDrive -VMName $NewName | Where-Object Path -eq $disk)) {\n"
			    "        Add-VMHardDiskDrive -VMName $NewName -Path $disk -WhatIf:$WhatIfPreference\n"
			    "    }\n");
	}
	for (size_t i = 0; i < vm->nswitches; i++) {
		if (!*vm->switches[i]) {
			sb_adds(sb, "    # A network adapter whose switch is unknown: add it by hand.\n");
			continue;
		}
		sb_adds(sb, "    $switch = ");
		ps_lit_add(sb, vm->switches[i]);
		sb_addf(sb, "\n"
			    "    if (@(Get-VMNetworkAdapter -VMName $NewName).Count -lt %zu) {\n"
			    "        Add-VMNetworkAdapter -VMName $NewName -SwitchName $switch -WhatIf:$WhatIfPreference\n"
			    "    }\n",
			i + 1);
	}
}

static void ps_rebuild(strbuf *sb, const plan_vm *vm)
{
	sb_adds(sb, "\n# 1. A new Generation 2 VM with the old settings and the old disks.\n"
		    "#    Attach COPIES of the disks; keep the originals as evidence.\n"
		    "$NewName = $VMName + ' (rebuilt)'\n");
	sb_addf(sb, "if (-not (Get-VM -Name $NewName -ErrorAction SilentlyContinue)) {\n"
		    "    New-VM -Name $NewName -Generation 2 -MemoryStartupBytes %lldMB -NoVHD "
		    "-WhatIf:$WhatIfPreference | Out-Null\n"
		    "}\n"
		    "$vmOk = Get-VM -Name $NewName -ErrorAction SilentlyContinue\n"
		    "if ($vmOk) {\n",
		(long long)(vm->memory_mb > 0 ? vm->memory_mb : 4096));
	ps_rebuild_settings(sb, vm);
	sb_adds(sb, "    # 2. A new local key protector and a fresh vTPM.\n"
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
		    "#    compliance once BitLocker is protected and the device has re-attested.\n");
}

static void ps_locked(strbuf *sb, const evidence *e, const verdict *v)
{
	sb_adds(sb, "\n# No action yet: these files could not be opened. Check a password on Windows\n"
		    "# with Get-PfxData (below), then run hvtpm again with the right password.\n"
		    "$Locked = @(\n");
	for (size_t i = 0; i < v->nlocked; i++) {
		sb_adds(sb, "    ");
		ps_lit_add(sb, e->files[v->locked_files[i]].path);
		sb_addc(sb, '\n');
	}
	sb_adds(sb, ")\n"
		    "foreach ($f in $Locked) {\n"
		    "    if (Test-Path -LiteralPath $f) {\n"
		    "        $pw = Read-Host -AsSecureString -Prompt \"Password to try on $f\"\n"
		    "        try { Get-PfxData -FilePath $f -Password $pw | Out-Null; Write-Host \"$f opens\" }\n"
		    "        catch { Write-Warning \"$f does not open with that password\" }\n"
		    "        $pw.Dispose()\n"
		    "    }\n"
		    "}\n");
}

static void ps_body(strbuf *sb, const evidence *e, const verdict *v, const plan_vm *vm)
{
	switch (v->kind) {
	case V_NO_VTPM:
		sb_adds(sb, "\n# No vTPM key protector: nothing to import.\n");
		ps_import_vm(sb, vm);
		break;
	case V_RESTORABLE:
	case V_DEGRADED:
		ps_import(sb, e, v);
		ps_import_vm(sb, vm);
		break;
	case V_RESTORABLE_EXPIRED:
		ps_import(sb, e, v);
		ps_import_vm(sb, vm);
		sb_adds(sb, "\n# The certificates have expired (or expire soon): the VM still starts,\n"
			    "# but enabling a vTPM or resetting a key protector with them fails.\n"
			    "# Keep the old pair in the store for as long as any VM depends on it.\n");
		ps_regenerate(sb);
		break;
	case V_NEEDS_PASSWORD:
		ps_locked(sb, e, v);
		break;
	case V_HGS:
		sb_adds(sb, "\n# This VM is protected by a Host Guardian Service: run it on a guarded host.\n"
			    "Get-HgsClientConfiguration\n");
		break;
	case V_UNKNOWN:
		sb_adds(sb, "\n# Not enough evidence. On the original host, save the key protector:\n"
			    "#   [IO.File]::WriteAllBytes('vm.kp', (Get-VMKeyProtector -VMName $VMName))\n"
			    "# and export the 'Shielded VM Local Certificates' with their private keys.\n");
		break;
	case V_REBUILD:
	case V_REBUILD_DATA_LOSS:
		if (v->kind == V_REBUILD_DATA_LOSS)
			sb_adds(sb, "\n# WARNING: the disks show TPM-only BitLocker protectors. After a rebuild\n"
				    "# the data cannot be unlocked. Do not rebuild before looking for the old\n"
				    "# host's certificates once more.\n");
		ps_rebuild(sb, vm);
		break;
	}
}

/* One VM's section: its name and id, then its steps, run unless -Only leaves it out. */
static void ps_section(strbuf *sb, const evidence *e, const verdict *v, const plan_vm *vm,
		       size_t index, size_t n)
{
	sb_addf(sb, "\n# ==== VM %zu of %zu: verdict %s ====\n", index + 1, n, verdict_name(v->kind));
	assign(sb, "VMName", vm_label(vm));
	assign(sb, "VMId", vm->id ? vm->id : "");
	sb_adds(sb, "if (-not $Only -or $Only -contains $VMName -or $Only -contains $VMId) {\n"
		    "Write-Host \"== $VMName ($VMId)\"\n");
	ps_body(sb, e, v, vm);
	sb_adds(sb, "}\n");
}

static void ps_footer(strbuf *sb)
{
	sb_adds(sb, "\nif ($PfxPassword) { $PfxPassword.Dispose() }\n");
}

static void ps_write(FILE *o, strbuf *sb)
{
	for (size_t i = 0; i < sb->len; i++)
		if (!ps_script_byte_ok((unsigned char)sb->buf[i]))
			sb->buf[i] = '?';
	fwrite(sb_str(sb), 1, sb->len, o);
}

void plan_powershell(FILE *o, const evidence *e, const verdict *v, const plan_vm *vm,
		     const char *at)
{
	strbuf sb = STRBUF_INIT;
	ps_header(&sb, 1, at);
	ps_section(&sb, e, v, vm, 0, 1);
	ps_footer(&sb);
	ps_write(o, &sb);
	sb_free(&sb);
}

void plan_powershell_all(FILE *o, const evidence *e, const dx_result *r, const char *at)
{
	strbuf sb = STRBUF_INIT;
	ps_header(&sb, r->nvms, at);
	for (size_t i = 0; i < r->nvms; i++)
		ps_section(&sb, e, &r->vms[i].v, &r->vms[i].pv, i, r->nvms);
	ps_footer(&sb);
	ps_write(o, &sb);
	sb_free(&sb);
}
