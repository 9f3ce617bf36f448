/*
 * host_scripts.c - the export, import and collect scripts for a Hyper-V host.
 *
 * Each script is built in a strbuf from fixed blocks (ours) and parameter
 * defaults written by ps_lit_add() (the user's --dest, --from, --vm); the
 * finished text is checked to be printable ASCII or LF, as in plan_ps.c.
 *
 * PowerShell notes the blocks rely on [confirmed: learn.microsoft.com cmdlet
 * reference unless marked]:
 *   - Export-PfxCertificate -Cert -FilePath -Password -ChainOption
 *     EndEntityCertOnly -NoClobber [-CryptoAlgorithmOption AES256_SHA256];
 *     the default algorithm is TripleDES_SHA1.  AES-256 (PBES2) export needs
 *     Windows 10 1709 (build 16299) or Windows Server 2019; the script checks
 *     the parameter and the build and says why it falls back.
 *   - Get-PfxData -FilePath -Password: EndEntityCertificates and
 *     OtherCertificates, X509Certificate2 objects whose HasPrivateKey tells
 *     whether the file holds the key [inferred: not stated in the reference].
 *   - Import-PfxCertificate -FilePath -CertStoreLocation -Password
 *     -Exportable (without -Exportable the imported key cannot be exported
 *     again, so the new host could not be backed up).
 *   - Get-VMKeyProtector -VM declares -WhatIf/-Confirm, so it is called with
 *     -WhatIf:$false -Confirm:$false; its output is the raw key protector.
 *   - Get-VMSecurity -VM: TpmEnabled and other flags (all simple properties
 *     are kept, none assumed).  There is no Get-VMTPM in the Hyper-V module
 *     reference, so none is called.
 *   - Get-HgsGuardian (HgsClient): Name, HasPrivateSigningKey,
 *     SigningCertificate and EncryptionCertificate as DER bytes (MSFT_HgsGuardian).
 *   - Functions take $PSCmdlet as a parameter for ShouldProcess; none is an
 *     advanced function, so -WhatIf reaches them through $WhatIfPreference.
 *   - ConvertTo-Json -InputObject (not the pipeline: a one-element array
 *     would be unrolled) with -Depth; dates are formatted as ISO 8601 text
 *     (Windows PowerShell 5.1 writes DateTime as "\/Date(...)\/").
 */
#include "report/host_scripts.h"

#include <stdio.h>

#include "formats/export_manifest.h"
#include "report/ps_literal.h"

#define GENERATOR "hvtpm " HVTPM_VERSION " script "

void host_script_opts_init(host_script_opts *o)
{
	*o = (host_script_opts){ .warn_days = HOST_SCRIPT_WARN_DAYS };
}

/* ---- shared blocks ------------------------------------------------------------------- */

static void ps_header(strbuf *sb, const char *what, const host_script_opts *o)
{
	sb_addf(sb, "# hvtpm %s script", what);
	if (o->generated_at)
		sb_addf(sb, ", made %s", o->generated_at);
	sb_adds(sb, " by hvtpm " HVTPM_VERSION ".\n");
}

static void ps_common_notes(strbuf *sb)
{
	sb_adds(sb, "#\n"
		    "# Run it in an elevated Windows PowerShell 5.1 on the Hyper-V host, first\n"
		    "# with -WhatIf to see what it would do. It holds no password: it asks for\n"
		    "# one and never writes it anywhere. It never deletes or overwrites a file.\n"
		    "# Values given to hvtpm (folders, VM names) are the parameter defaults below.\n"
		    "#Requires -RunAsAdministrator\n"
		    "#Requires -Version 5.1\n");
}

static void ps_binding(strbuf *sb)
{
	sb_adds(sb, "[CmdletBinding(SupportsShouldProcess = $true)]\n"
		    "param(\n");
}

static void ps_constants(strbuf *sb, const char *kind)
{
	sb_adds(sb, "$ErrorActionPreference = 'Stop'\n"
		    "$Store = '" "Cert:\\LocalMachine\\Shielded VM Local Certificates" "'\n"
		    "$ManifestName = '" EXPORT_MANIFEST_NAME "'\n"
		    "# Subject of a local guardian's certificates: role, guardian, host that created it.\n"
		    "$SubjectPattern = '^CN=Shielded VM (?<role>Encryption|Signing) Certificate "
		    "\\((?<guardian>.+)\\) \\((?<host>[^()]+)\\)$'\n"
		    "$DefaultGuardian = 'UntrustedGuardian'\n");
	sb_addf(sb, "$Generator = '" GENERATOR "%s'\n", kind);
}

static void ps_fn_common(strbuf *sb)
{
	sb_adds(sb, "\n"
		    "# A date as ISO 8601 UTC text, the form of the manifest.\n"
		    "function Format-HvtpmDate {\n"
		    "    param([datetime]$When)\n"
		    "    return $When.ToUniversalTime().ToString(\"yyyy-MM-dd'T'HH:mm:ss'Z'\", "
		    "[Globalization.CultureInfo]::InvariantCulture)\n"
		    "}\n"
		    "\n"
		    "# A path made absolute (from the current location), wildcards not expanded.\n"
		    "function Resolve-HvtpmPath {\n"
		    "    param([string]$Path)\n"
		    "    return $ExecutionContext.SessionState.Path.GetUnresolvedProviderPathFromPSPath($Path)\n"
		    "}\n"
		    "\n"
		    "# The certificate list of a manifest read by ConvertFrom-Json (also in the\n"
		    "# {\"value\": [...]} form Windows PowerShell 5.1 may give an array).\n"
		    "function Get-HvtpmManifestList {\n"
		    "    param($Doc)\n"
		    "    $list = $Doc.certificates\n"
		    "    if ($list -isnot [array] -and $list -and $list.PSObject.Properties['value']) { $list = $list.value }\n"
		    "    return @($list | Where-Object { $_ })\n"
		    "}\n");
}

static void ps_fn_password(strbuf *sb)
{
	sb_adds(sb, "\n"
		    "# True when two secure strings hold the same text (compared in unmanaged memory).\n"
		    "function Test-HvtpmSamePassword {\n"
		    "    param([Security.SecureString]$A, [Security.SecureString]$B)\n"
		    "    if ($A.Length -ne $B.Length) { return $false }\n"
		    "    $pa = [Runtime.InteropServices.Marshal]::SecureStringToBSTR($A)\n"
		    "    $pb = [Runtime.InteropServices.Marshal]::SecureStringToBSTR($B)\n"
		    "    try {\n"
		    "        $same = $true\n"
		    "        for ($i = 0; $i -lt $A.Length; $i++) {\n"
		    "            if ([Runtime.InteropServices.Marshal]::ReadInt16($pa, 2 * $i) -ne "
		    "[Runtime.InteropServices.Marshal]::ReadInt16($pb, 2 * $i)) { $same = $false }\n"
		    "        }\n"
		    "        return $same\n"
		    "    } finally {\n"
		    "        [Runtime.InteropServices.Marshal]::ZeroFreeBSTR($pa)\n"
		    "        [Runtime.InteropServices.Marshal]::ZeroFreeBSTR($pb)\n"
		    "    }\n"
		    "}\n"
		    "\n"
		    "# Asks for a PFX password, twice when it protects new files. Never echoed or stored.\n"
		    "function Read-HvtpmPassword {\n"
		    "    param([string]$Prompt, [bool]$Twice)\n"
		    "    while ($true) {\n"
		    "        $first = Read-Host -AsSecureString -Prompt $Prompt\n"
		    "        if ($first.Length -eq 0) { Write-Warning 'The password is empty: type it.'; continue }\n"
		    "        if (-not $Twice) { return $first }\n"
		    "        if ($first.Length -lt 12) { Write-Warning 'Shorter than 12 characters: whoever holds the PFX files can guess passwords offline.' }\n"
		    "        $second = Read-Host -AsSecureString -Prompt 'The same password again'\n"
		    "        $same = Test-HvtpmSamePassword $first $second\n"
		    "        $second.Dispose()\n"
		    "        if ($same) { return $first }\n"
		    "        $first.Dispose()\n"
		    "        Write-Warning 'The two passwords differ: once more.'\n"
		    "    }\n"
		    "}\n");
}

/* Get-PfxData helpers, shared by export (proof) and import. */
static void ps_fn_pfx(strbuf *sb)
{
	sb_adds(sb, "\n"
		    "# The content of a PFX file, or $null when it does not open with the password.\n"
		    "function Open-HvtpmPfx {\n"
		    "    param([string]$Path, [Security.SecureString]$Password)\n"
		    "    try { return Get-PfxData -FilePath $Path -Password $Password } catch { return $null }\n"
		    "}\n"
		    "\n"
		    "# The certificates a PFX holds.\n"
		    "function Get-HvtpmPfxCertificates {\n"
		    "    param($Data)\n"
		    "    return @(@($Data.EndEntityCertificates) + @($Data.OtherCertificates) | Where-Object { $_ })\n"
		    "}\n"
		    "\n"
		    "# True when the file opens with the password and holds the certificate with its private key.\n"
		    "function Test-HvtpmPfx {\n"
		    "    param([string]$Path, [string]$Thumbprint, [Security.SecureString]$Password)\n"
		    "    $data = Open-HvtpmPfx $Path $Password\n"
		    "    if (-not $data) { return $false }\n"
		    "    foreach ($c in (Get-HvtpmPfxCertificates $data)) {\n"
		    "        if ($c.Thumbprint -eq $Thumbprint -and $c.HasPrivateKey) { return $true }\n"
		    "    }\n"
		    "    return $false\n"
		    "}\n");
}

/* ---- export blocks ------------------------------------------------------------------- */

static void ps_fn_export_find(strbuf *sb)
{
	sb_adds(sb, "\n"
		    "# The name of the export scripts in use, so old backups and hvtpm keep matching:\n"
		    "# the subject without 'CN=', spaces replaced by '_', then '.pfx'; with\n"
		    "# '_<thumbprint>' before '.pfx' when that name is taken by another certificate\n"
		    "# (a regenerated guardian keeps its subject). Characters Windows forbids in file\n"
		    "# names (never in real host names) become '_'.\n"
		    "function Get-HvtpmPfxName {\n"
		    "    param([string]$Subject, [string]$Thumbprint)\n"
		    "    $name = $Subject.Substring(3).Replace(' ', '_')\n"
		    "    foreach ($ch in [IO.Path]::GetInvalidFileNameChars()) { $name = $name.Replace([string]$ch, '_') }\n"
		    "    if ($Thumbprint) { $name = $name + '_' + $Thumbprint }\n"
		    "    return $name + '.pfx'\n"
		    "}\n"
		    "\n"
		    "# Every Shielded VM certificate of the store, whatever host name it carries\n"
		    "# (a renamed host keeps its old one) and however old it is: the guardian\n"
		    "# UntrustedGuardian, or every guardian with -AnyGuardian. Newest first.\n"
		    "function Get-HvtpmCertificates {\n"
		    "    param([bool]$AnyGuardian)\n"
		    "    $found = New-Object System.Collections.Generic.List[object]\n"
		    "    if (-not (Test-Path -Path $Store)) { return }\n"
		    "    foreach ($c in @(Get-ChildItem -Path $Store)) {\n"
		    "        $m = [regex]::Match([string]$c.Subject, $SubjectPattern)\n"
		    "        if (-not $m.Success) { continue }\n"
		    "        if (-not $AnyGuardian -and $m.Groups['guardian'].Value -ne $DefaultGuardian) { continue }\n"
		    "        $found.Add([pscustomobject]@{\n"
		    "            Cert = $c\n"
		    "            Role = $m.Groups['role'].Value.ToLowerInvariant()\n"
		    "            Guardian = $m.Groups['guardian'].Value\n"
		    "            HostName = $m.Groups['host'].Value\n"
		    "        })\n"
		    "    }\n"
		    "    return @($found.ToArray() | Sort-Object -Property { $_.Cert.NotBefore } -Descending)\n"
		    "}\n");
}

static void ps_fn_export_checks(strbuf *sb)
{
	sb_adds(sb, "\n"
		    "# AES-256 (PBES2 with SHA-256) where this host writes it, else 3DES and why.\n"
		    "function Get-HvtpmCrypto {\n"
		    "    param([bool]$TripleDES)\n"
		    "    if ($TripleDES) {\n"
		    "        return [pscustomobject]@{ Option = 'TripleDES_SHA1'; Reason = 'asked for with -TripleDES, for hosts older than Windows Server 2019 that must import the files' }\n"
		    "    }\n"
		    "    $cmd = Get-Command -Name Export-PfxCertificate\n"
		    "    if (-not $cmd.Parameters.ContainsKey('CryptoAlgorithmOption')) {\n"
		    "        return [pscustomobject]@{ Option = 'TripleDES_SHA1'; Reason = 'Export-PfxCertificate on this host has no -CryptoAlgorithmOption parameter' }\n"
		    "    }\n"
		    "    $build = [Environment]::OSVersion.Version.Build\n"
		    "    if ($build -lt 16299) {\n"
		    "        return [pscustomobject]@{ Option = 'TripleDES_SHA1'; Reason = ('Windows build ' + $build + ' predates Windows 10 1709 and Windows Server 2019, the first to write AES-256 PFX files') }\n"
		    "    }\n"
		    "    return [pscustomobject]@{ Option = 'AES256_SHA256'; Reason = '' }\n"
		    "}\n"
		    "\n"
		    "# A warning for a certificate that has expired or expires within $WarnDays days.\n"
		    "function Test-HvtpmExpiry {\n"
		    "    param($Item, [int]$WarnDays)\n"
		    "    $c = $Item.Cert\n"
		    "    $days = [int][math]::Floor(($c.NotAfter.ToUniversalTime() - (Get-Date).ToUniversalTime()).TotalDays)\n"
		    "    if ($days -lt 0) {\n"
		    "        Write-Warning ($c.Thumbprint + ' (' + $Item.Role + ') expired ' + (-$days) + ' days ago. Export it anyway: VMs protected with it still need it.')\n"
		    "    } elseif ($days -le $WarnDays) {\n"
		    "        Write-Warning ($c.Thumbprint + ' (' + $Item.Role + ') expires in ' + $days + ' days (' + (Format-HvtpmDate $c.NotAfter) + '). Running VMs keep working; a new vTPM or key protector will need a regenerated guardian.')\n"
		    "    }\n"
		    "}\n");
}

static void ps_fn_export_one(strbuf *sb)
{
	sb_adds(sb, "\n"
		    "# Exports one certificate unless an identical export is already in the folder\n"
		    "# (it opens with the password and holds this certificate with its key). A file\n"
		    "# of the same name holding something else is left alone.\n"
		    "function Export-HvtpmCertificate {\n"
		    "    param($Item, [string]$Folder, [Security.SecureString]$Password, $Crypto, [hashtable]$Taken, $Cmdlet)\n"
		    "    $c = $Item.Cert\n"
		    "    $names = @((Get-HvtpmPfxName $c.Subject ''), (Get-HvtpmPfxName $c.Subject $c.Thumbprint))\n"
		    "    foreach ($name in $names) {\n"
		    "        $path = Join-Path $Folder $name\n"
		    "        if ($Taken.ContainsKey($name) -or -not (Test-Path -LiteralPath $path)) { continue }\n"
		    "        $data = Open-HvtpmPfx $path $Password\n"
		    "        if (-not $data) { Write-Warning ($name + ' is already there and does not open with this password: it is left alone.'); continue }\n"
		    "        if (@(Get-HvtpmPfxCertificates $data | Where-Object { $_.Thumbprint -eq $c.Thumbprint -and $_.HasPrivateKey }).Count -gt 0) {\n"
		    "            $Taken[$name] = $true\n"
		    "            Write-Host ('Kept, identical export: ' + $name)\n"
		    "            return [pscustomobject]@{ Name = $name; Path = $path; State = 'kept' }\n"
		    "        }\n"
		    "    }\n"
		    "    foreach ($name in $names) {\n"
		    "        $path = Join-Path $Folder $name\n"
		    "        if ($Taken.ContainsKey($name) -or (Test-Path -LiteralPath $path)) { continue }\n"
		    "        $Taken[$name] = $true\n"
		    "        if (-not $Cmdlet.ShouldProcess($path, 'Export-PfxCertificate (' + $Crypto.Option + ')')) {\n"
		    "            return [pscustomobject]@{ Name = $name; Path = $path; State = 'skipped' }\n"
		    "        }\n"
		    "        try {\n"
		    "            if ($Crypto.Option -eq 'AES256_SHA256') {\n"
		    "                Export-PfxCertificate -Cert $c -FilePath $path -Password $Password -ChainOption EndEntityCertOnly -NoClobber -CryptoAlgorithmOption AES256_SHA256 -Confirm:$false | Out-Null\n"
		    "            } else {\n"
		    "                Export-PfxCertificate -Cert $c -FilePath $path -Password $Password -ChainOption EndEntityCertOnly -NoClobber -Confirm:$false | Out-Null\n"
		    "            }\n"
		    "        } catch {\n"
		    "            Write-Warning ('Export of ' + $c.Thumbprint + ' failed: ' + $_.Exception.Message)\n"
		    "            return [pscustomobject]@{ Name = $name; Path = $path; State = 'failed' }\n"
		    "        }\n"
		    "        Write-Host ('Exported: ' + $name)\n"
		    "        return [pscustomobject]@{ Name = $name; Path = $path; State = 'exported' }\n"
		    "    }\n"
		    "    Write-Warning ('Not exported: both file names for ' + $c.Thumbprint + ' are taken by files that are not this certificate.')\n"
		    "    return [pscustomobject]@{ Name = ''; Path = ''; State = 'failed' }\n"
		    "}\n");
}

static void ps_fn_manifest(strbuf *sb)
{
	sb_adds(sb, "\n"
		    "# The manifest entry of an exported file.\n"
		    "function New-HvtpmEntry {\n"
		    "    param($Item, $File, [bool]$HasKey)\n"
		    "    $c = $Item.Cert\n"
		    "    return [ordered]@{\n"
		    "        file = $File.Name\n"
		    "        thumbprint = $c.Thumbprint.ToUpperInvariant()\n"
		    "        role = $Item.Role\n"
		    "        subject = $c.Subject\n"
		    "        guardian = $Item.Guardian\n"
		    "        host = $Item.HostName\n"
		    "        not_before = Format-HvtpmDate $c.NotBefore\n"
		    "        not_after = Format-HvtpmDate $c.NotAfter\n"
		    "        sha256 = (Get-FileHash -LiteralPath $File.Path -Algorithm SHA256).Hash.ToLowerInvariant()\n"
		    "        has_private_key = $HasKey\n"
		    "        in_store = $true\n"
		    "    }\n"
		    "}\n"
		    "\n"
		    "# Entries of an earlier manifest whose certificate was not exported in this run\n"
		    "# (it left the store) but whose file is still here: they stay listed.\n"
		    "function Get-HvtpmEarlierEntries {\n"
		    "    param([string]$Folder, $Current)\n"
		    "    $kept = New-Object System.Collections.Generic.List[object]\n"
		    "    $path = Join-Path $Folder $ManifestName\n"
		    "    if (-not (Test-Path -LiteralPath $path)) { return }\n"
		    "    try { $old = [IO.File]::ReadAllText($path) | ConvertFrom-Json }\n"
		    "    catch { Write-Warning 'The earlier manifest does not read as JSON: it is replaced.'; return }\n"
		    "    foreach ($e in (Get-HvtpmManifestList $old)) {\n"
		    "        $file = [string]$e.file\n"
		    "        if (-not $file -or -not $e.thumbprint -or $file -ne [IO.Path]::GetFileName($file)) { continue }\n"
		    "        if (@($Current | Where-Object { $_.thumbprint -eq $e.thumbprint -or $_.file -eq $file }).Count -gt 0) { continue }\n"
		    "        if (-not (Test-Path -LiteralPath (Join-Path $Folder $file))) { continue }\n"
		    "        $entry = [ordered]@{}\n"
		    "        foreach ($p in $e.PSObject.Properties) { $entry[$p.Name] = $p.Value }\n"
		    "        $entry['in_store'] = $false\n"
		    "        $kept.Add($entry)\n"
		    "    }\n"
		    "    return $kept.ToArray()\n"
		    "}\n"
		    "\n"
		    "# Writes the manifest (UTF-8 without BOM) beside the PFX files.\n"
		    "function Write-HvtpmManifest {\n"
		    "    param([string]$Folder, $Entries, $Crypto, $Cmdlet)\n"
		    "    $path = Join-Path $Folder $ManifestName\n"
		    "    if (-not $Cmdlet.ShouldProcess($path, 'write the export manifest')) { return }\n"
		    "    $doc = [ordered]@{\n"
		    "        hvtpm_export_manifest = 1\n"
		    "        generator = $Generator\n"
		    "        created = Format-HvtpmDate (Get-Date)\n"
		    "        host = $env:COMPUTERNAME\n"
		    "        store = $Store\n"
		    "        crypto = $Crypto.Option\n"
		    "        crypto_reason = $Crypto.Reason\n"
		    "        certificates = @($Entries)\n"
		    "    }\n"
		    "    $json = ConvertTo-Json -InputObject $doc -Depth 6\n"
		    "    [IO.File]::WriteAllText($path, $json, (New-Object System.Text.UTF8Encoding($false)))\n"
		    "    Write-Host ('Manifest: ' + $path)\n"
		    "}\n");
}

static void ps_fn_export_run(strbuf *sb)
{
	sb_adds(sb, "\n"
		    "# The whole export into one folder; returns how many certificates failed.\n"
		    "function Invoke-HvtpmExport {\n"
		    "    param([string]$Folder, [int]$WarnDays, [bool]$AnyGuardian, [bool]$TripleDES, $Cmdlet)\n"
		    "    $items = @(Get-HvtpmCertificates $AnyGuardian)\n"
		    "    if ($items.Count -eq 0) {\n"
		    "        Write-Warning ('No Shielded VM certificate of the guardian ' + $DefaultGuardian + ' in ' + $Store + ' (-AnyGuardian takes every guardian). Nothing to export.')\n"
		    "        return 0\n"
		    "    }\n"
		    "    Write-Host ('' + $items.Count + ' Shielded VM certificate(s) in ' + $Store)\n"
		    "    foreach ($it in $items) { Test-HvtpmExpiry $it $WarnDays }\n"
		    "    if (-not (Test-Path -LiteralPath $Folder) -and $Cmdlet.ShouldProcess($Folder, 'create folder')) {\n"
		    "        [IO.Directory]::CreateDirectory($Folder) | Out-Null\n"
		    "    }\n"
		    "    $crypto = Get-HvtpmCrypto $TripleDES\n"
		    "    if ($crypto.Reason) { Write-Warning ('The PFX files are encrypted with 3DES (TripleDES_SHA1), not AES-256: ' + $crypto.Reason + '.') }\n"
		    "    $password = Read-HvtpmPassword 'Password for the PFX files' (-not $WhatIfPreference)\n"
		    "    $taken = @{}\n"
		    "    $entries = New-Object System.Collections.Generic.List[object]\n"
		    "    $failed = 0\n"
		    "    foreach ($it in $items) {\n"
		    "        $file = Export-HvtpmCertificate $it $Folder $password $crypto $taken $Cmdlet\n"
		    "        if ($file.State -eq 'skipped') { continue }\n"
		    "        if ($file.State -eq 'failed') { $failed++; continue }\n"
		    "        # The proof: the file opens with the password and holds the private key.\n"
		    "        $hasKey = Test-HvtpmPfx $file.Path $it.Cert.Thumbprint $password\n"
		    "        if (-not $hasKey) {\n"
		    "            Write-Warning ($file.Name + ' does not open with the password or lacks the private key: it cannot restore a VM.')\n"
		    "            $failed++\n"
		    "        }\n"
		    "        $entries.Add((New-HvtpmEntry $it $file $hasKey))\n"
		    "    }\n"
		    "    $password.Dispose()\n"
		    "    $all = New-Object System.Collections.Generic.List[object]\n"
		    "    foreach ($e in $entries) { $all.Add($e) }\n"
		    "    foreach ($e in @(Get-HvtpmEarlierEntries $Folder $entries)) { $all.Add($e) }\n"
		    "    if (Test-Path -LiteralPath $Folder) { Write-HvtpmManifest $Folder $all.ToArray() $crypto $Cmdlet }\n"
		    "    return $failed\n"
		    "}\n");
}

static void ps_export_functions(strbuf *sb)
{
	ps_fn_common(sb);
	ps_fn_password(sb);
	ps_fn_pfx(sb);
	ps_fn_export_find(sb);
	ps_fn_export_checks(sb);
	ps_fn_export_one(sb);
	ps_fn_manifest(sb);
	ps_fn_export_run(sb);
}

/* ---- parameters ---------------------------------------------------------------------- */

/* "    [string]$Name = <literal>,\n" */
static void param_str(strbuf *sb, const char *name, const char *value, bool last)
{
	sb_addf(sb, "    [string]$%s = ", name);
	ps_lit_add(sb, value);
	sb_adds(sb, last ? "\n" : ",\n");
}

static void params_export_common(strbuf *sb, const host_script_opts *o)
{
	sb_addf(sb, "    [int]$WarnDays = %d,\n", o->warn_days);
	sb_adds(sb, "    [switch]$AnyGuardian,\n"
		    "    [switch]$TripleDES");
}

static void finish(strbuf *out, strbuf *sb)
{
	for (size_t i = 0; i < sb->len; i++)
		if (!ps_script_byte_ok((unsigned char)sb->buf[i]))
			sb->buf[i] = '?';
	sb_add(out, sb_str(sb), sb->len);
	sb_free(sb);
}

/* ---- export -------------------------------------------------------------------------- */

static void export_notes(strbuf *sb)
{
	sb_adds(sb, "#\n"
		    "# Exports EVERY certificate of Cert:\\LocalMachine\\Shielded VM Local Certificates\n"
		    "# whose subject is 'Shielded VM Encryption|Signing Certificate (UntrustedGuardian)\n"
		    "# (<host>)': any host name (a renamed host keeps its old certificates), any age\n"
		    "# (old pairs stay in use by the VMs made with them), both roles. Each goes to a\n"
		    "# PFX file named like the export scripts in use, e.g.\n"
		    "#   Shielded_VM_Encryption_Certificate_(UntrustedGuardian)_(HV01).pfx\n"
		    "# encrypted with AES-256 where the host can (3DES otherwise, with the reason),\n"
		    "# then opened again with Get-PfxData to prove it opens and holds the private key.\n"
		    "# A manifest (" EXPORT_MANIFEST_NAME ": host, thumbprints, roles, validity, file\n"
		    "# names, SHA-256) is written beside them; `hvtpm audit` checks a copy against it.\n"
		    "# Running it again keeps identical exports and adds what is new.\n"
		    "#\n"
		    "# Parameters: -Dest FOLDER, -WarnDays N (warn about certificates expiring within\n"
		    "# N days), -AnyGuardian (every guardian, not only UntrustedGuardian), -TripleDES\n"
		    "# (3DES even where AES-256 is possible: for import on hosts older than Windows\n"
		    "# Server 2019 / Windows 10 1709, which cannot read AES-256 PFX files).\n"
		    "#\n"
		    "# Afterwards: copy the folder to a second place, keep the password apart from\n"
		    "# it, and check the copy with `hvtpm audit`.\n");
}

static void export_main(strbuf *sb)
{
	sb_adds(sb, "\n"
		    "# ---- main -----------------------------------------------------------------\n"
		    "$Dest = Resolve-HvtpmPath $Dest\n"
		    "$failed = Invoke-HvtpmExport -Folder $Dest -WarnDays $WarnDays -AnyGuardian $AnyGuardian.IsPresent -TripleDES $TripleDES.IsPresent -Cmdlet $PSCmdlet\n"
		    "Write-Host ''\n"
		    "Write-Host 'Next:'\n"
		    "Write-Host ('  1. Copy the folder ' + $Dest + ' to a second place (another site, offline media).')\n"
		    "Write-Host '  2. Keep the password apart from the files (a password manager, a sealed envelope).'\n"
		    "Write-Host '  3. Check the copy from any machine with hvtpm:  hvtpm audit --ask-password <copy>'\n"
		    "if ($failed -gt 0) {\n"
		    "    Write-Warning ('' + $failed + ' certificate(s) are not safely exported: see the warnings above.')\n"
		    "    exit 1\n"
		    "}\n");
}

void host_script_export(strbuf *out, const host_script_opts *o)
{
	strbuf sb = STRBUF_INIT;
	ps_header(&sb, "certificate export", o);
	export_notes(&sb);
	ps_common_notes(&sb);
	ps_binding(&sb);
	param_str(&sb, "Dest", o->dest ? o->dest : HOST_SCRIPT_EXPORT_DEST, false);
	params_export_common(&sb, o);
	sb_adds(&sb, "\n)\n");
	ps_constants(&sb, "export");
	ps_export_functions(&sb);
	export_main(&sb);
	finish(out, &sb);
}

/* ---- import -------------------------------------------------------------------------- */

static void import_notes(strbuf *sb)
{
	sb_adds(sb, "#\n"
		    "# Imports the PFX files of a folder written by `hvtpm script export` (or by the\n"
		    "# export scripts in use) into Cert:\\LocalMachine\\Shielded VM Local Certificates,\n"
		    "# creating the store when it is missing. Only files that hold nothing but\n"
		    "# Shielded VM certificates are imported; a certificate already in the store\n"
		    "# with its private key is skipped. When the folder has an export manifest,\n"
		    "# each file is compared with it (SHA-256) first. Afterwards every certificate\n"
		    "# is checked to be in the store WITH its private key (HasPrivateKey).\n"
		    "# Keys are imported exportable, so this host can be backed up the same way;\n"
		    "# -NotExportable imports them without that.\n");
}

static void ps_fn_import(strbuf *sb)
{
	sb_adds(sb, "\n"
		    "# True when the certificate is in the store with its private key.\n"
		    "function Test-HvtpmInStore {\n"
		    "    param([string]$Thumbprint)\n"
		    "    if (-not (Test-Path -Path $Store)) { return $false }\n"
		    "    $c = @(Get-ChildItem -Path $Store | Where-Object { $_.Thumbprint -eq $Thumbprint })\n"
		    "    return ($c.Count -gt 0 -and $c[0].HasPrivateKey)\n"
		    "}\n"
		    "\n"
		    "# SHA-256 per file name from the export manifest, when there is one.\n"
		    "function Read-HvtpmManifestHashes {\n"
		    "    param([string]$Folder)\n"
		    "    $map = @{}\n"
		    "    $path = Join-Path $Folder $ManifestName\n"
		    "    if (-not (Test-Path -LiteralPath $path)) { return $map }\n"
		    "    try { $doc = [IO.File]::ReadAllText($path) | ConvertFrom-Json }\n"
		    "    catch { Write-Warning 'The export manifest does not read as JSON: files are not compared with it.'; return $map }\n"
		    "    foreach ($e in (Get-HvtpmManifestList $doc)) {\n"
		    "        if ($e.file -and $e.sha256) { $map[[string]$e.file] = ([string]$e.sha256).ToLowerInvariant() }\n"
		    "    }\n"
		    "    return $map\n"
		    "}\n");
}

static void ps_fn_import_one(strbuf *sb)
{
	sb_adds(sb, "\n"
		    "# Imports one PFX file when it holds only Shielded VM certificates and one of\n"
		    "# them is not yet in the store with its key. Returns the thumbprints it holds.\n"
		    "function Import-HvtpmPfx {\n"
		    "    param($File, [Security.SecureString]$Password, [hashtable]$Expected, [bool]$NotExportable, $Cmdlet)\n"
		    "    if ($Expected.ContainsKey($File.Name)) {\n"
		    "        $hash = (Get-FileHash -LiteralPath $File.FullName -Algorithm SHA256).Hash.ToLowerInvariant()\n"
		    "        if ($hash -ne $Expected[$File.Name]) { Write-Warning ($File.Name + ' differs from the export manifest (SHA-256): it changed after the export.') }\n"
		    "    }\n"
		    "    $pw = $Password\n"
		    "    $data = Open-HvtpmPfx $File.FullName $pw\n"
		    "    if (-not $data) {\n"
		    "        $pw = Read-Host -AsSecureString -Prompt ('Password for ' + $File.Name + ' (Enter: skip the file)')\n"
		    "        if ($pw.Length -gt 0) { $data = Open-HvtpmPfx $File.FullName $pw }\n"
		    "    }\n"
		    "    if (-not $data) { Write-Warning ($File.Name + ' does not open: skipped.'); return }\n"
		    "    $certs = @(Get-HvtpmPfxCertificates $data)\n"
		    "    $others = @($certs | Where-Object { $_.Subject -notmatch $SubjectPattern })\n"
		    "    if ($certs.Count -eq 0 -or $others.Count -gt 0) {\n"
		    "        Write-Warning ($File.Name + ' holds certificates that are not Shielded VM certificates: skipped.')\n"
		    "        return\n"
		    "    }\n"
		    "    $thumbs = @($certs | ForEach-Object { $_.Thumbprint })\n"
		    "    $missing = @($thumbs | Where-Object { -not (Test-HvtpmInStore $_) })\n"
		    "    if ($missing.Count -eq 0) { Write-Host ('Already in the store with its private key: ' + $File.Name); return $thumbs }\n"
		    "    if ($Cmdlet.ShouldProcess($File.FullName, 'Import-PfxCertificate to ' + $Store)) {\n"
		    "        if ($NotExportable) {\n"
		    "            Import-PfxCertificate -FilePath $File.FullName -CertStoreLocation $Store -Password $pw -Confirm:$false | Out-Null\n"
		    "        } else {\n"
		    "            Import-PfxCertificate -FilePath $File.FullName -CertStoreLocation $Store -Password $pw -Exportable -Confirm:$false | Out-Null\n"
		    "        }\n"
		    "        Write-Host ('Imported: ' + $File.Name)\n"
		    "    }\n"
		    "    return $thumbs\n"
		    "}\n");
}

static void import_main(strbuf *sb)
{
	sb_adds(sb, "\n"
		    "# ---- main -----------------------------------------------------------------\n"
		    "if (-not $From) { $From = Read-Host -Prompt 'Folder of the PFX files' }\n"
		    "$From = Resolve-HvtpmPath $From\n"
		    "if (-not (Test-Path -LiteralPath $From -PathType Container)) { throw ('No such folder: ' + $From) }\n"
		    "$files = @(Get-ChildItem -LiteralPath $From -Filter '*.pfx' -File | Sort-Object -Property Name)\n"
		    "if ($files.Count -eq 0) { Write-Warning ('No .pfx file in ' + $From); exit 1 }\n"
		    "$expected = Read-HvtpmManifestHashes $From\n"
		    "if (-not (Test-Path -Path $Store) -and $PSCmdlet.ShouldProcess($Store, 'create the certificate store')) {\n"
		    "    New-Item -Path $Store | Out-Null\n"
		    "}\n"
		    "$password = Read-HvtpmPassword 'Password of the PFX files' $false\n"
		    "$wanted = New-Object System.Collections.Generic.List[string]\n"
		    "foreach ($f in $files) {\n"
		    "    foreach ($t in @(Import-HvtpmPfx $f $password $expected $NotExportable.IsPresent $PSCmdlet)) { $wanted.Add($t) }\n"
		    "}\n"
		    "$password.Dispose()\n"
		    "$failed = 0\n"
		    "foreach ($t in @($wanted | Sort-Object -Unique)) {\n"
		    "    $c = @()\n"
		    "    if (Test-Path -Path $Store) { $c = @(Get-ChildItem -Path $Store | Where-Object { $_.Thumbprint -eq $t }) }\n"
		    "    if ($c.Count -eq 0) {\n"
		    "        if ($WhatIfPreference) { Write-Host ('Would be imported: ' + $t) }\n"
		    "        else { Write-Warning ($t + ' is not in the store.'); $failed++ }\n"
		    "    } elseif (-not $c[0].HasPrivateKey) {\n"
		    "        Write-Warning ($t + ' is in the store WITHOUT its private key: VMs that need it will not start.')\n"
		    "        $failed++\n"
		    "    } else {\n"
		    "        Write-Host ('In the store with its private key: ' + $t + '  ' + $c[0].Subject)\n"
		    "    }\n"
		    "}\n"
		    "if ($failed -gt 0) { exit 1 }\n");
}

void host_script_import(strbuf *out, const host_script_opts *o)
{
	strbuf sb = STRBUF_INIT;
	ps_header(&sb, "certificate import", o);
	import_notes(&sb);
	ps_common_notes(&sb);
	ps_binding(&sb);
	param_str(&sb, "From", o->from ? o->from : "", false);
	sb_adds(&sb, "    [switch]$NotExportable\n)\n");
	ps_constants(&sb, "import");
	ps_fn_common(&sb);
	ps_fn_password(&sb);
	ps_fn_pfx(&sb);
	ps_fn_import(&sb);
	ps_fn_import_one(&sb);
	import_main(&sb);
	finish(out, &sb);
}

/* ---- collect ------------------------------------------------------------------------- */

static void collect_notes(strbuf *sb)
{
	sb_adds(sb, "#\n"
		    "# Gathers on this host what `hvtpm diagnose` needs for an offline verdict, into\n"
		    "# a new folder hvtpm-collect-<time> under -Dest (nothing is overwritten):\n"
		    "#   vms\\<VM id>\\Virtual Machines\\   the VM's configuration files (.vmcx,\n"
		    "#                                   .vmgs, .vmrs), or with -ExportVM a whole\n"
		    "#                                   Export-VM (disks included: large)\n"
		    "#   vms\\<VM id>\\<VM id>.kp           the key protector, raw Get-VMKeyProtector bytes\n"
		    "#   guardians\\                      the local guardians' certificates (.cer)\n"
		    "#   certificates\\                   with -IncludeCertificates: the certificate\n"
		    "#                                   export with its manifest (asks a password)\n"
		    "#   hvtpm-collect.json              per VM the Get-VMSecurity facts, the files\n"
		    "#                                   and errors; the guardian list (Get-HgsGuardian)\n"
		    "# Then it prints the hvtpm diagnose command to run on the copied folder.\n"
		    "# -VMName limits it to some VMs (default: every VM of the host).\n");
}

static void ps_fn_collect_vm(strbuf *sb)
{
	sb_adds(sb, "\n"
		    "# The VMs asked for (exact names), or every VM.\n"
		    "function Get-HvtpmVMs {\n"
		    "    param([string[]]$Names)\n"
		    "    $all = @(Get-VM)\n"
		    "    if (@($Names).Count -eq 0) { return $all }\n"
		    "    foreach ($n in $Names) {\n"
		    "        if (@($all | Where-Object { $_.Name -eq $n }).Count -eq 0) { Write-Warning ('No VM of that name on this host: ' + $n) }\n"
		    "    }\n"
		    "    return @($all | Where-Object { $Names -contains $_.Name })\n"
		    "}\n"
		    "\n"
		    "# Get-VMSecurity as plain facts: every simple property (TpmEnabled, Shielded, ...).\n"
		    "function Get-HvtpmSecurity {\n"
		    "    param($VM)\n"
		    "    $facts = [ordered]@{}\n"
		    "    try { $s = Get-VMSecurity -VM $VM } catch { $facts['error'] = $_.Exception.Message; return $facts }\n"
		    "    foreach ($p in $s.PSObject.Properties) {\n"
		    "        if ($p.Value -is [bool] -or $p.Value -is [string] -or $p.Value -is [int]) { $facts[$p.Name] = $p.Value }\n"
		    "    }\n"
		    "    return $facts\n"
		    "}\n"
		    "\n"
		    "# The VM's own files of its configuration folder, copied (never overwriting).\n"
		    "function Copy-HvtpmConfiguration {\n"
		    "    param($VM, [string]$Dir, [string]$Id, $Rec)\n"
		    "    $src = Join-Path $VM.ConfigurationLocation 'Virtual Machines'\n"
		    "    $to = Join-Path $Dir 'Virtual Machines'\n"
		    "    [IO.Directory]::CreateDirectory($to) | Out-Null\n"
		    "    $mine = @(Get-ChildItem -LiteralPath $src -File -ErrorAction SilentlyContinue | Where-Object { $_.Name.StartsWith($Id, [StringComparison]::OrdinalIgnoreCase) })\n"
		    "    foreach ($f in $mine) {\n"
		    "        try { [IO.File]::Copy($f.FullName, (Join-Path $to $f.Name), $false); $Rec['files'] += ('Virtual Machines\\' + $f.Name) }\n"
		    "        catch { $Rec['errors'] += ('copy ' + $f.Name + ': ' + $_.Exception.Message) }\n"
		    "    }\n"
		    "    if ($mine.Count -eq 0) { $Rec['errors'] += 'no configuration file of this VM was found: run again with -ExportVM' }\n"
		    "}\n");
}

static void ps_fn_collect_save(strbuf *sb)
{
	sb_adds(sb, "\n"
		    "# One VM: configuration (or Export-VM), key protector bytes, security facts.\n"
		    "function Save-HvtpmVM {\n"
		    "    param($VM, [string]$Run, [bool]$Export, $Cmdlet)\n"
		    "    $id = $VM.VMId.ToString().ToUpperInvariant()\n"
		    "    $dir = Join-Path (Join-Path $Run 'vms') $id\n"
		    "    $rec = [ordered]@{ name = $VM.Name; id = $id; generation = $VM.Generation; version = [string]$VM.Version; state = [string]$VM.State; "
		    "configuration_location = $VM.ConfigurationLocation; security = $null; key_protector_file = $null; key_protector_bytes = 0; files = @(); errors = @() }\n"
		    "    if (-not $Cmdlet.ShouldProcess('VM ' + $id, 'collect configuration, key protector and security settings')) { return $rec }\n"
		    "    [IO.Directory]::CreateDirectory($dir) | Out-Null\n"
		    "    $rec['security'] = Get-HvtpmSecurity $VM\n"
		    "    try {\n"
		    "        [byte[]]$kp = Get-VMKeyProtector -VM $VM -WhatIf:$false -Confirm:$false\n"
		    "        [IO.File]::WriteAllBytes((Join-Path $dir ($id + '.kp')), $kp)\n"
		    "        $rec['key_protector_file'] = 'vms\\' + $id + '\\' + $id + '.kp'\n"
		    "        $rec['key_protector_bytes'] = $kp.Length\n"
		    "    } catch { $rec['errors'] += ('Get-VMKeyProtector: ' + $_.Exception.Message) }\n"
		    "    if ($Export) {\n"
		    "        try { Export-VM -VM $VM -Path (Join-Path $dir 'export') -Confirm:$false | Out-Null; $rec['files'] += 'export' }\n"
		    "        catch { $rec['errors'] += ('Export-VM: ' + $_.Exception.Message) }\n"
		    "    } else {\n"
		    "        try { Copy-HvtpmConfiguration $VM $dir $id $rec }\n"
		    "        catch { $rec['errors'] += ('configuration: ' + $_.Exception.Message) }\n"
		    "    }\n"
		    "    foreach ($e in $rec['errors']) { Write-Warning ('VM ' + $id + ': ' + $e) }\n"
		    "    return $rec\n"
		    "}\n");
}

static void ps_fn_collect_guardians(strbuf *sb)
{
	sb_adds(sb, "\n"
		    "# The local guardians (Get-HgsGuardian): names, and their certificates as .cer files.\n"
		    "function Save-HvtpmGuardians {\n"
		    "    param([string]$Run, $Cmdlet)\n"
		    "    $list = New-Object System.Collections.Generic.List[object]\n"
		    "    if (-not (Get-Command -Name Get-HgsGuardian -ErrorAction SilentlyContinue)) { Write-Warning 'Get-HgsGuardian is not available: no guardian list.'; return }\n"
		    "    try { $guardians = @(Get-HgsGuardian) } catch { Write-Warning ('Get-HgsGuardian failed: ' + $_.Exception.Message); return }\n"
		    "    $dir = Join-Path $Run 'guardians'\n"
		    "    $n = 0\n"
		    "    foreach ($g in $guardians) {\n"
		    "        $n++\n"
		    "        $rec = [ordered]@{ name = [string]$g.Name; has_private_signing_key = [bool]$g.HasPrivateSigningKey }\n"
		    "        foreach ($role in @('signing', 'encryption')) {\n"
		    "            $bytes = $g.($role + 'Certificate')\n"
		    "            if (-not $bytes) { continue }\n"
		    "            $file = 'guardian-' + $n + '-' + $role + '.cer'\n"
		    "            try {\n"
		    "                $x = [Security.Cryptography.X509Certificates.X509Certificate2]::new([byte[]]$bytes)\n"
		    "                if ($Cmdlet.ShouldProcess((Join-Path $dir $file), 'save guardian certificate')) {\n"
		    "                    [IO.Directory]::CreateDirectory($dir) | Out-Null\n"
		    "                    [IO.File]::WriteAllBytes((Join-Path $dir $file), [byte[]]$bytes)\n"
		    "                }\n"
		    "                $rec[$role + '_certificate'] = [ordered]@{ file = 'guardians\\' + $file; thumbprint = $x.Thumbprint; subject = $x.Subject; not_after = Format-HvtpmDate $x.NotAfter }\n"
		    "            } catch { $rec[$role + '_error'] = $_.Exception.Message }\n"
		    "        }\n"
		    "        $list.Add($rec)\n"
		    "    }\n"
		    "    return $list.ToArray()\n"
		    "}\n");
}

static void params_collect(strbuf *sb, const host_script_opts *o)
{
	param_str(sb, "Dest", o->dest ? o->dest : HOST_SCRIPT_COLLECT_DEST, false);
	sb_adds(sb, "    [string[]]$VMName = @(");
	for (size_t i = 0; i < o->nvms; i++) {
		if (i)
			sb_adds(sb, ", ");
		ps_lit_add(sb, o->vms[i]);
	}
	sb_adds(sb, "),\n");
	sb_adds(sb, o->export_vm ? "    [switch]$ExportVM = $true,\n" : "    [switch]$ExportVM,\n");
	sb_adds(sb, o->include_certificates ? "    [switch]$IncludeCertificates = $true,\n"
					    : "    [switch]$IncludeCertificates,\n");
	params_export_common(sb, o);
	sb_adds(sb, "\n)\n");
}

static void collect_main(strbuf *sb)
{
	sb_adds(sb, "\n"
		    "# ---- main -----------------------------------------------------------------\n"
		    "$Dest = Resolve-HvtpmPath $Dest\n"
		    "$stamp = (Get-Date).ToUniversalTime().ToString(\"yyyyMMdd'T'HHmmss'Z'\", [Globalization.CultureInfo]::InvariantCulture)\n"
		    "$run = Join-Path $Dest ('hvtpm-collect-' + $stamp)\n"
		    "if ($PSCmdlet.ShouldProcess($run, 'create folder')) { [IO.Directory]::CreateDirectory($run) | Out-Null }\n"
		    "$records = New-Object System.Collections.Generic.List[object]\n"
		    "foreach ($vm in @(Get-HvtpmVMs $VMName)) { $records.Add((Save-HvtpmVM $vm $run $ExportVM.IsPresent $PSCmdlet)) }\n"
		    "$guardians = @(Save-HvtpmGuardians $run $PSCmdlet)\n"
		    "$failed = 0\n"
		    "if ($IncludeCertificates) {\n"
		    "    $failed = Invoke-HvtpmExport -Folder (Join-Path $run 'certificates') -WarnDays $WarnDays -AnyGuardian $AnyGuardian.IsPresent -TripleDES $TripleDES.IsPresent -Cmdlet $PSCmdlet\n"
		    "}\n"
		    "$facts = Join-Path $run 'hvtpm-collect.json'\n"
		    "if ($PSCmdlet.ShouldProcess($facts, 'write the collected facts')) {\n"
		    "    $doc = [ordered]@{\n"
		    "        hvtpm_collect = 1\n"
		    "        generator = ($Generator)\n"
		    "        created = Format-HvtpmDate (Get-Date)\n"
		    "        host = $env:COMPUTERNAME\n"
		    "        os_build = [Environment]::OSVersion.Version.Build\n"
		    "        vms = @($records.ToArray())\n"
		    "        guardians = $guardians\n"
		    "        certificates_included = $IncludeCertificates.IsPresent\n"
		    "    }\n"
		    "    [IO.File]::WriteAllText($facts, (ConvertTo-Json -InputObject $doc -Depth 6), (New-Object System.Text.UTF8Encoding($false)))\n"
		    "}\n");
	sb_adds(sb, "$leaf = Split-Path -Path $run -Leaf\n"
		    "Write-Host ''\n"
		    "Write-Host ('Collected ' + $records.Count + ' VM(s) into ' + $run)\n"
		    "Write-Host 'Copy that folder to the machine where hvtpm runs (it holds no password; with'\n"
		    "Write-Host '-IncludeCertificates it holds the PFX files: treat it as secret), then run:'\n"
		    "if ($IncludeCertificates) { Write-Host ('    hvtpm diagnose --ask-password ' + $leaf) }\n"
		    "else { Write-Host ('    hvtpm diagnose --ask-password ' + $leaf + ' <folder of your PFX backups>') }\n"
		    "if ($failed -gt 0) { exit 1 }\n");
}

void host_script_collect(strbuf *out, const host_script_opts *o)
{
	strbuf sb = STRBUF_INIT;
	ps_header(&sb, "evidence collection", o);
	collect_notes(&sb);
	ps_common_notes(&sb);
	sb_adds(&sb, "#Requires -Modules Hyper-V\n");
	ps_binding(&sb);
	params_collect(&sb, o);
	ps_constants(&sb, "collect");
	ps_export_functions(&sb);
	ps_fn_collect_vm(&sb);
	ps_fn_collect_save(&sb);
	ps_fn_collect_guardians(&sb);
	collect_main(&sb);
	finish(out, &sb);
}
