/* html_assets.c - the inline stylesheet and script of the HTML reports, and their CSP. */
#include "report/html_assets.h"

#include <stdio.h>
#include <string.h>

#include <openssl/evp.h>

#include "util/fileio.h"

/*
 * Colours carry no meaning alone: every verdict tile and badge also has a
 * text label, a symbol and a border or fill pattern (solid for the fine
 * verdicts, dashed and hatched for those that need attention, dark and
 * cross-hatched for a rebuild), so a grayscale print keeps it.
 */
const char html_css[] =
	":root{--ok:#1a7f37;--okbg:#e6f4ea;--warn:#8a5a00;--warnbg:#fff3cd;--bad:#b42318;"
	"--badbg:#fde8e6;--line:#d0d7de;--mute:#57606a;--ink:#1f2328}\n"
	"*{box-sizing:border-box}\n"
	"body{margin:0 auto;max-width:1440px;padding:20px 24px 40px;color:var(--ink);"
	"background:#fff;font:14px/1.45 system-ui,'DejaVu Sans','Liberation Sans',Arial,sans-serif}\n"
	"code,.mono{font-family:'DejaVu Sans Mono','Liberation Mono',Consolas,monospace;"
	"font-size:12px}\n"
	"h1{font-size:24px;margin:0 0 6px}h2{font-size:19px;margin:28px 0 8px;"
	"padding-bottom:4px;border-bottom:2px solid var(--ink)}\n"
	"h3{font-size:15px;margin:0}h4{font-size:13px;margin:10px 0 4px}\n"
	"a{color:#0550ae}\n"
	"nav ul{list-style:none;padding:0;margin:8px 0 0;display:flex;flex-wrap:wrap;gap:4px 16px}\n"
	"dl.meta{display:grid;grid-template-columns:max-content 1fr max-content 1fr;gap:2px 14px;"
	"margin:10px 0}\n"
	"dl.meta dt{font-weight:600;color:var(--mute)}dl.meta dd{margin:0}\n"
	"ul.tiles{list-style:none;padding:0;margin:14px 0;display:grid;"
	"grid-template-columns:repeat(auto-fill,minmax(118px,1fr));gap:8px}\n"
	".tile{border:2px solid;border-radius:6px;padding:6px 8px 8px;min-height:96px}\n"
	".tile .n{display:block;font-size:30px;font-weight:700;line-height:1.1}\n"
	".tile .l{display:block;font-weight:700}.tile .d{display:block;font-size:12px}\n"
	".tile .s{display:block;font-size:11px;font-weight:700;text-transform:uppercase;"
	"letter-spacing:.05em}\n"
	".tile.zero{opacity:.5}\n"
	".g0{border-color:var(--ok);background:var(--okbg);color:#0b3d1b}\n"
	".g1{border-color:var(--warn);border-style:dashed;color:#4d3200;background-color:var(--warnbg);"
	"background-image:repeating-linear-gradient(45deg,transparent 0 7px,rgba(138,90,0,.16) 7px 9px)}\n"
	".g2{border-color:#5c0f08;color:#fff;background-color:var(--bad);background-image:"
	"repeating-linear-gradient(45deg,transparent 0 6px,rgba(255,255,255,.18) 6px 8px),"
	"repeating-linear-gradient(-45deg,transparent 0 6px,rgba(255,255,255,.18) 6px 8px)}\n"
	".g2.k8{background-color:#6e1109}\n"
	".badge{display:inline-block;border:1px solid;border-radius:10px;padding:0 7px;"
	"font-size:12px;font-weight:700;white-space:nowrap}\n"
	".alert{border:2px solid var(--bad);border-left-width:10px;background:var(--badbg);"
	"padding:8px 14px;margin:12px 0;border-radius:4px}\n"
	".alert h2{border:0;margin:0 0 4px;padding:0;font-size:17px;color:#7a1208}\n"
	".alert ul{margin:4px 0;padding-left:20px}\n"
	".note{color:var(--mute);font-size:12px}\n"
	"ul.facts{margin:6px 0;padding-left:20px}\n"
	"table{border-collapse:collapse;width:100%;margin:6px 0 12px}\n"
	"caption{text-align:left;font-weight:600;padding:4px 0;caption-side:top}\n"
	"th,td{border-bottom:1px solid var(--line);padding:4px 6px;text-align:left;"
	"vertical-align:top}\n"
	"thead th{background:#eef1f4;border-bottom:2px solid var(--ink);white-space:nowrap}\n"
	"tbody tr:nth-child(even){background:#f8f9fa}\n"
	"td.num,th.num{text-align:right;font-variant-numeric:tabular-nums}\n"
	".path{font-family:'DejaVu Sans Mono','Liberation Mono',Consolas,monospace;font-size:12px;"
	"word-break:break-all}\n"
	"td ul{margin:0;padding-left:16px}\n"
	"td.mono{font-size:11px;min-width:9em}td.hash{word-break:break-all}\n"
	".wide{overflow-x:auto}\n"
	"th button{font:inherit;font-weight:700;color:inherit;background:none;border:0;padding:0;"
	"cursor:pointer;text-align:left}\n"
	"th button::after{content:' \\2195';color:var(--mute)}\n"
	"th[aria-sort=ascending] button::after{content:' \\25B2'}\n"
	"th[aria-sort=descending] button::after{content:' \\25BC'}\n"
	".controls{display:flex;gap:12px;align-items:center;margin:6px 0}\n"
	".controls[hidden]{display:none}\n"
	".hot{color:var(--bad);font-weight:700}\n"
	".nw{white-space:nowrap}\n"
	".brk{overflow-wrap:anywhere}\n"
	".single{font-weight:700;border:1px dashed;padding:0 4px;border-radius:3px}\n"
	"details.vm{border:1px solid var(--line);border-radius:6px;margin:6px 0;padding:0 12px}\n"
	"details.vm>summary{cursor:pointer;padding:6px 0}\n"
	"details.vm>summary h3{display:inline;font-size:14px}\n"
	"details.vm[open]>summary{border-bottom:1px solid var(--line);margin-bottom:6px}\n"
	".conf{display:inline-block;font-size:10px;font-weight:700;text-transform:uppercase;"
	"border:1px solid;border-radius:3px;padding:0 4px;margin-right:6px}\n"
	".conf.inf{border-style:dashed;font-style:italic}\n"
	"figure{margin:6px 0}figcaption{font-size:12px;color:var(--mute)}\n"
	"svg.timeline{width:100%;height:auto;display:block}\n"
	"svg text{font-family:'DejaVu Sans','Liberation Sans',Arial,sans-serif;font-size:12px;"
	"fill:var(--ink)}\n"
	"svg .tick{stroke:var(--line)}svg .axis text{font-size:11px;fill:var(--mute)}\n"
	"svg .at{stroke:#000;stroke-width:2;stroke-dasharray:6 3}\n"
	"svg text.atl{font-weight:700}\n"
	"svg .b-ok{fill:#2f8f4e;stroke:#1a5c30}\n"
	"svg .b-nyv{fill:#fff;stroke:var(--mute);stroke-dasharray:4 2}\n"
	"svg .hl{font-weight:700;fill:#7a1208}\n"
	"svg .rowhl{fill:#fde8e6}\n"
	".legend{display:flex;flex-wrap:wrap;gap:4px 18px;font-size:12px;margin:4px 0;padding:0;"
	"list-style:none}\n"
	".legend svg{vertical-align:middle}\n"
	"footer{margin-top:30px;font-size:12px;color:var(--mute)}\n"
	"@page{margin:12mm}\n"
	"@media print{\n"
	"body{max-width:none;padding:0;font-size:9pt}\n"
	"nav,.controls,.noprint{display:none!important}\n"
	"a{color:inherit;text-decoration:none}\n"
	"h2{break-after:avoid}thead{display:table-header-group}\n"
	"tr,.tile,figure,.alert{break-inside:avoid}\n"
	"table{font-size:8pt}.path,code,td.mono{font-size:7.5pt}.wide{overflow:visible}\n"
	"details.vm>summary{list-style:none}\n"
	"*{-webkit-print-color-adjust:exact;print-color-adjust:exact}\n"
	"th button::after{content:''}\n"
	"}\n"
	"@media print{details.vm::details-content{content-visibility:visible;display:block}}\n";

/*
 * Sorting by any column of the VM table, the verdict filter, and every
 * <details> opened for print and when a link points at it.  DOM calls that
 * parse no markup only (textContent, createElement): the policy requires
 * Trusted Types for the others.
 */
const char html_js[] =
	"(function () {\n"
	"  'use strict';\n"
	"  var each = function (list, f) { Array.prototype.forEach.call(list, f); };\n"
	"  var key = function (td) {\n"
	"    var k = td.getAttribute('data-k');\n"
	"    return k === null ? td.textContent.trim().toLowerCase() : Number(k);\n"
	"  };\n"
	"  var table = function (t, ctl) {\n"
	"    if (t === null || ctl === null) return;\n"
	"    var body = t.tBodies[0];\n"
	"    var sel = document.getElementById('vm-filter');\n"
	"    var shown = document.getElementById('vm-shown');\n"
	"    var filter = function () {\n"
	"      var n = 0;\n"
	"      each(body.rows, function (r) {\n"
	"        r.hidden = sel.value !== '' ? r.getAttribute('data-verdict') !== sel.value : false;\n"
	"        n += r.hidden ? 0 : 1;\n"
	"      });\n"
	"      shown.textContent = n + ' of ' + body.rows.length + ' VMs shown';\n"
	"    };\n"
	"    sel.addEventListener('change', filter);\n"
	"    var heads = t.tHead.rows[0].cells;\n"
	"    each(heads, function (th, col) {\n"
	"      var b = document.createElement('button');\n"
	"      b.type = 'button';\n"
	"      b.textContent = th.textContent;\n"
	"      th.textContent = '';\n"
	"      th.appendChild(b);\n"
	"      b.addEventListener('click', function () {\n"
	"        var up = th.getAttribute('aria-sort') !== 'ascending';\n"
	"        each(heads, function (h) { h.removeAttribute('aria-sort'); });\n"
	"        th.setAttribute('aria-sort', up ? 'ascending' : 'descending');\n"
	"        var rows = Array.prototype.slice.call(body.rows);\n"
	"        rows.sort(function (x, y) {\n"
	"          var a = key(x.cells[col]), c = key(y.cells[col]);\n"
	"          var d = typeof a === 'number' ? a - c : a.localeCompare(c);\n"
	"          return up ? d : -d;\n"
	"        });\n"
	"        each(rows, function (r) { body.appendChild(r); });\n"
	"      });\n"
	"    });\n"
	"    ctl.hidden = false;\n"
	"    filter();\n"
	"  };\n"
	"  table(document.getElementById('vm-table'), document.getElementById('vm-controls'));\n"
	"  var opened = [];\n"
	"  window.addEventListener('beforeprint', function () {\n"
	"    each(document.querySelectorAll('details:not([open])'), function (d) {\n"
	"      d.open = true;\n"
	"      opened.push(d);\n"
	"    });\n"
	"  });\n"
	"  window.addEventListener('afterprint', function () {\n"
	"    each(opened, function (d) { d.open = false; });\n"
	"    opened = [];\n"
	"  });\n"
	"  var reveal = function () {\n"
	"    var d = document.getElementById(location.hash.slice(1));\n"
	"    if (d !== null ? d.tagName === 'DETAILS' : false) d.open = true;\n"
	"  };\n"
	"  window.addEventListener('hashchange', reveal);\n"
	"  reveal();\n"
	"})();\n";

/* 'sha256-<base64 of the SHA-256 of s>' */
static void source_hash(const char *s, char out[64])
{
	uint8_t dig[32];
	hv_sha256(s, strlen(s), dig);
	unsigned char b64[48];
	EVP_EncodeBlock(b64, dig, (int)sizeof dig);
	snprintf(out, 64, "'sha256-%s'", (const char *)b64);
}

const char *html_csp(void)
{
	static char csp[512];
	if (!csp[0]) {
		char css[64], js[64];
		source_hash(html_css, css);
		source_hash(html_js, js);
		snprintf(csp, sizeof csp,
			 "default-src 'none'; style-src %s; script-src %s; img-src 'none'; "
			 "font-src 'none'; connect-src 'none'; media-src 'none'; object-src 'none'; "
			 "frame-src 'none'; worker-src 'none'; manifest-src 'none'; base-uri 'none'; "
			 "form-action 'none'; require-trusted-types-for 'script'; trusted-types 'none'",
			 css, js);
	}
	return csp;
}
