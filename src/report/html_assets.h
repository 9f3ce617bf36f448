/*
 * html_assets.h - the stylesheet and the script every HTML report inlines,
 * and the Content-Security-Policy that allows exactly those two blocks.
 *
 * Neither holds evidence: both are constants, so their SHA-256 (in the
 * policy) is the same for every page.  The script only adds sorting, the
 * verdict filter and opening <details> for print; without it the page is
 * a plain document.  Neither contains '<' or '&', so a page stays
 * well-formed XML (the tests parse it with libxml2).
 */
#ifndef HVTPM_HTML_ASSETS_H
#define HVTPM_HTML_ASSETS_H

extern const char html_css[];
extern const char html_js[];

/*
 * "default-src 'none'; style-src 'sha256-…'; script-src 'sha256-…'; …":
 * no fetch of any kind, no other style or script, no base, no form, and
 * Trusted Types required for every DOM sink that parses markup.
 */
const char *html_csp(void);

#endif
