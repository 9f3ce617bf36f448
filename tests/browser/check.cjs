#!/usr/bin/env node
// check.cjs - test-only: loads hvtpm HTML reports in headless Chromium (Debian's
// chromium package, driven by playwright-core from tests/browser/node_modules) and
// prints what a person would see, one JSON object per file, for tests/test_html.c.
//
//   node check.cjs [--screenshot PNG] [--pdf PDF] [--interact] [--no-script] FILE...
//
// Per file: every request the page attempted ("requests"), those the browser blocked
// and why ("blocked": CSP blocks show as "csp"), those that reached the network layer
// ("sent": only the file itself is expected; anything else is aborted there), CSP
// violations, console errors, uncaught errors, whether window.__pwned or the
// data-pwned attribute was set (hostile evidence uses them as markers), the verdict
// tiles, the VM table rows, the <details> count and whether they are closed, whether
// the filter controls show, and whether the text of closed <details> is visible under
// print media.  --interact also selects each verdict in the filter (visible rows per
// verdict) and sorts by the "Days left" and "VM" columns.  --no-script loads with
// JavaScript disabled.  --screenshot saves the first file's top of page, --pdf
// prints it to A4.  Exits 0 when every page could be loaded, 2 when the browser
// could not be started (the C test fails then: it does not skip).
'use strict';
const fs = require('fs');
const os = require('os');
const path = require('path');
const { pathToFileURL } = require('url');

function parseArgs(argv) {
  const o = { screenshot: null, pdf: null, interact: false, script: true, files: [] };
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--screenshot') o.screenshot = argv[++i];
    else if (argv[i] === '--pdf') o.pdf = argv[++i];
    else if (argv[i] === '--interact') o.interact = true;
    else if (argv[i] === '--no-script') o.script = false;
    else o.files.push(argv[i]);
  }
  return o;
}

// Runs before any script of the page: records CSP violations where the page cannot
// reach them (a hostile page could overwrite a plain global).
const INIT = `(() => {
  const seen = [];
  Object.defineProperty(window, '__hvtpmCsp', { value: seen, writable: false });
  document.addEventListener('securitypolicyviolation', (e) => {
    seen.push(e.violatedDirective + ' ' + (e.blockedURI || ''));
  });
})();`;

function facts() {
  const q = (s) => Array.from(document.querySelectorAll(s));
  const tiles = {};
  for (const li of q('ul.tiles > li')) tiles[li.getAttribute('data-verdict')] = Number(li.querySelector('.n').textContent);
  const rows = q('#vm-table tbody tr').map((tr) => ({
    verdict: tr.getAttribute('data-verdict'),
    name: tr.cells[0].textContent,
    id: tr.cells[1].textContent,
    days: tr.cells[4].getAttribute('data-k'),
    visible: tr.getClientRects().length > 0,
  }));
  const details = q('details.vm');
  const ctl = document.getElementById('vm-controls');
  return {
    title: document.title,
    tiles,
    rows,
    details: details.length,
    details_open: details.filter((d) => d.open).length,
    controls_visible: ctl !== null && ctl.getClientRects().length > 0,
    sort_buttons: q('#vm-table thead th button').length,
    timeline_bars: q('svg.timeline g.bar').length,
    timeline_hot: q('svg.timeline g.bar').filter((g) => ['expired', 'expiring'].includes(g.getAttribute('data-status'))).map((g) => g.querySelector('text').textContent),
    cert_rows: q('#cert-table tbody tr').length,
    evidence_rows: q('#evidence-table tbody tr').length,
    scripts: q('script').length,
    event_attributes: q('*').reduce((n, el) => n + Array.from(el.attributes).filter((a) => /^on/i.test(a.name)).length, 0),
    pwned: window.__pwned !== undefined || document.querySelector('[data-pwned]') !== null,
    csp: window.__hvtpmCsp ? window.__hvtpmCsp.slice() : null,
  };
}

async function visibleRows(page) {
  return page.$$eval('#vm-table tbody tr', (trs) => trs.filter((tr) => tr.getClientRects().length > 0).length);
}

async function sortedBy(page, heading) {
  await page.locator('#vm-table thead th button', { hasText: heading }).click();
  return page.$$eval('#vm-table tbody tr', (trs) => trs.map((tr) => tr.cells[0].textContent));
}

async function interact(page, tiles) {
  const out = { filter: {}, sort: {} };
  for (const v of Object.keys(tiles)) {
    if (!tiles[v]) continue;
    await page.selectOption('#vm-filter', v);
    out.filter[v] = await visibleRows(page);
  }
  await page.selectOption('#vm-filter', '');
  out.filter[''] = await visibleRows(page);
  out.shown_text = await page.textContent('#vm-shown');
  out.sort.days_ascending = await sortedBy(page, 'Days left');
  out.sort.days_descending = await sortedBy(page, 'Days left');
  out.sort.name_ascending = await sortedBy(page, 'VM');
  return out;
}

// With print media, is the text inside closed <details> laid out (printed)?
async function printFacts(page) {
  await page.emulateMedia({ media: 'print' });
  const r = await page.evaluate(() => {
    const lis = Array.from(document.querySelectorAll('details.vm:not([open]) ul.reasons li'));
    return { closed_reasons: lis.length, closed_reasons_visible: lis.filter((li) => li.getClientRects().length > 0).length };
  });
  await page.emulateMedia({ media: null });
  return r;
}

async function main() {
  const o = parseArgs(process.argv.slice(2));
  let chromium;
  try {
    ({ chromium } = require(path.join(__dirname, 'node_modules', 'playwright-core')));
  } catch (e) {
    console.error('check.cjs: playwright-core is not installed (sh scripts/test-deps.sh): ' + e.message);
    process.exit(2);
  }
  const exe = process.env.HVTPM_CHROMIUM || '/usr/bin/chromium';
  if (!fs.existsSync(exe)) {
    console.error(`check.cjs: ${exe} not found (apt-get install chromium, or sh scripts/test-deps.sh as root)`);
    process.exit(2);
  }
  const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'hvtpm-chromium-'));
  let ctx;
  try {
    ctx = await chromium.launchPersistentContext(profile, {
      executablePath: exe,
      headless: true,
      args: ['--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking',
        '--disable-component-update', '--disable-sync', '--disable-default-apps', '--disable-extensions'],
      javaScriptEnabled: o.script,
      viewport: { width: 1280, height: 1000 },
      deviceScaleFactor: 1,
    });
  } catch (e) {
    console.error('check.cjs: chromium did not start: ' + e.message);
    fs.rmSync(profile, { recursive: true, force: true });
    process.exit(2);
  }
  for (const p of ctx.pages()) await p.close(); // the blank tab a persistent context opens
  const requests = [], blocked = [], sent = [];
  let allowed = null;
  ctx.on('request', (r) => requests.push(r.url()));
  ctx.on('requestfailed', (r) => blocked.push({ url: r.url(), reason: r.failure() ? r.failure().errorText : '' }));
  ctx.on('page', (p) => p.on('websocket', (w) => requests.push(w.url())));
  await ctx.route('**/*', (route) => {
    const u = route.request().url();
    sent.push(u);
    return u === allowed ? route.continue() : route.abort('blockedbyclient');
  });
  await ctx.addInitScript(INIT);
  let first = true;
  for (const file of o.files) {
    const page = await ctx.newPage();
    const consoleErrors = [], pageErrors = [];
    page.on('console', (m) => { if (m.type() === 'error') consoleErrors.push(m.text()); });
    page.on('pageerror', (e) => pageErrors.push(String(e)));
    requests.length = 0;
    blocked.length = 0;
    sent.length = 0;
    const url = pathToFileURL(path.resolve(file)).href;
    allowed = url;
    await page.goto(url, { waitUntil: 'load' });
    await page.waitForTimeout(100);
    const f = await page.evaluate(facts);
    if (!o.script) f.csp = [];
    f.file = file;
    f.url = url;
    if (o.interact && o.script) f.interact = await interact(page, f.tiles);
    f.print = await printFacts(page);
    if (first && o.screenshot) {
      await page.evaluate(() => window.scrollTo(0, 0));
      // the header, the tiles, the expiry callout and the timeline
      const h = await page.evaluate(() => Math.min(document.documentElement.scrollHeight, 1180));
      await page.screenshot({ path: o.screenshot, fullPage: true, clip: { x: 0, y: 0, width: 1280, height: h } });
    }
    if (first && o.pdf) {
      await page.pdf({ path: o.pdf, format: 'A4', printBackground: true });
      f.pdf_bytes = fs.statSync(o.pdf).size;
    }
    f.requests = requests.slice();
    f.blocked = blocked.slice();
    f.sent = sent.slice();
    f.pages = ctx.pages().length;
    f.console_errors = consoleErrors;
    f.page_errors = pageErrors;
    process.stdout.write(JSON.stringify(f) + '\n');
    await page.close();
    first = false;
  }
  await ctx.close();
  fs.rmSync(profile, { recursive: true, force: true });
}

main().catch((e) => {
  console.error('check.cjs: ' + (e && e.stack ? e.stack : e));
  process.exit(1);
});
