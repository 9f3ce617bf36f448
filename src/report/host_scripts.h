/*
 * host_scripts.h - the PowerShell scripts `hvtpm script` writes for a
 * Hyper-V host: export the Shielded VM certificates with a manifest, import
 * them on another host, and collect what `hvtpm diagnose` needs.
 *
 * hvtpm runs offline; these scripts run on the host.  The same rules as the
 * recovery plans (report/plan_ps.h):
 *   - pure printable ASCII and LF: they read the same as UTF-8 and in any
 *     ANSI code page (Windows PowerShell 5.1 reads a BOM-less script so);
 *   - every string that is not our own fixed text (--dest, --from, --vm)
 *     is written by ps_lit() (report/ps_literal.h) as a parameter default,
 *     never into a comment;
 *   - no password anywhere: the scripts ask with Read-Host -AsSecureString;
 *   - #Requires -RunAsAdministrator, [CmdletBinding(SupportsShouldProcess)],
 *     every change behind $PSCmdlet.ShouldProcess (so -WhatIf and -Confirm
 *     work); nothing is ever deleted or overwritten.
 *
 * The export script names its PFX files by the rule of
 * formats/export_manifest.h and writes the manifest that reader reads.
 */
#ifndef HVTPM_HOST_SCRIPTS_H
#define HVTPM_HOST_SCRIPTS_H

#include <stdbool.h>
#include <stddef.h>

#include "util/strbuf.h"

#define HOST_SCRIPT_EXPORT_DEST "C:\\hvtpm-backup"
#define HOST_SCRIPT_COLLECT_DEST "C:\\hvtpm-collect"
#define HOST_SCRIPT_WARN_DAYS 90
#define HOST_SCRIPT_MAX_WARN_DAYS 36500

typedef struct {
	const char *dest;            /* export, collect: target folder (NULL: the default) */
	const char *from;            /* import: folder of PFX files (NULL: asked at run time) */
	int warn_days;               /* export, collect: expiry warning horizon in days */
	bool export_vm;              /* collect: Export-VM instead of copying the configuration */
	bool include_certificates;   /* collect: export the certificates too */
	const char *const *vms;      /* collect: VM names; none: every VM of the host */
	size_t nvms;
	const char *generated_at;    /* ISO 8601 for the header comment; NULL: left out */
} host_script_opts;

void host_script_opts_init(host_script_opts *o);

/* Each appends one whole script to out (pure ASCII, LF line ends). */
void host_script_export(strbuf *out, const host_script_opts *o);
void host_script_import(strbuf *out, const host_script_opts *o);
void host_script_collect(strbuf *out, const host_script_opts *o);

#endif
