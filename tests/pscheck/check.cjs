#!/usr/bin/env node
// check.cjs - test-only checker of generated PowerShell scripts, with the
// tree-sitter PowerShell grammar (a real grammar: Debian has no PowerShell).
//
//   node check.cjs [--marker TEXT]... [--commands] FILE...
//
// For each file, read as UTF-8 and again as Windows-1252 (how Windows
// PowerShell 5.1 reads a script without a BOM):
//   - every byte is printable ASCII, TAB, CR or LF;
//   - the script parses without ERROR or MISSING nodes;
//   - every occurrence of each --marker lies inside a string literal (never
//     in a comment, a command name, a bare word or any other code);
//   - no command is named after a marker.
// --commands prints the command names found (one per line, sorted, unique).
// Prints "ok FILE" or "FAIL FILE: why" lines; exits 1 on any failure.
'use strict';
const fs = require('fs');
const path = require('path');
const { Parser, Language } = require('web-tree-sitter');

function parseArgs(argv) {
  const o = { markers: [], commands: false, files: [] };
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--marker') o.markers.push(argv[++i]);
    else if (argv[i] === '--commands') o.commands = true;
    else o.files.push(argv[i]);
  }
  return o;
}

function firstError(node) {
  if (node.type === 'ERROR' || node.isMissing) return node;
  if (!node.hasError) return null;
  for (let i = 0; i < node.childCount; i++) {
    const e = firstError(node.child(i));
    if (e) return e;
  }
  return node;
}

function inString(node) {
  for (let n = node; n; n = n.parent) {
    if (n.type === 'comment') return false;
    if (n.type === 'string_literal') return true;
  }
  return false;
}

function commandNames(root, out) {
  const stack = [root];
  while (stack.length) {
    const n = stack.pop();
    if (n.type === 'command_name') out.add(n.text);
    for (let i = 0; i < n.childCount; i++) stack.push(n.child(i));
  }
}

function checkText(parser, text, o, label) {
  const tree = parser.parse(text);
  const err = firstError(tree.rootNode);
  if (err) {
    const p = err.startPosition;
    return `${label}: parse error at line ${p.row + 1} column ${p.column + 1}: ` +
      JSON.stringify(text.split('\n')[p.row] || '');
  }
  for (const m of o.markers) {
    for (let at = text.indexOf(m); at >= 0; at = text.indexOf(m, at + 1)) {
      // Byte offsets equal character offsets: the text is checked to be ASCII.
      const node = tree.rootNode.descendantForIndex(at, at + m.length);
      if (!inString(node)) {
        const line = text.slice(0, at).split('\n').length;
        return `${label}: marker ${JSON.stringify(m)} outside a string literal at line ${line} ` +
          `(in ${node.type})`;
      }
    }
  }
  const names = new Set();
  commandNames(tree.rootNode, names);
  for (const n of names)
    for (const m of o.markers)
      if (n.includes(m)) return `${label}: command named ${JSON.stringify(n)}`;
  tree.delete();
  return null;
}

function checkBytes(buf) {
  for (let i = 0; i < buf.length; i++) {
    const c = buf[i];
    if (!(c === 9 || c === 10 || c === 13 || (c >= 0x20 && c < 0x7f)))
      return `byte 0x${c.toString(16).padStart(2, '0')} at offset ${i} is not printable ASCII`;
  }
  return null;
}

(async () => {
  const o = parseArgs(process.argv.slice(2));
  await Parser.init();
  const wasm = require.resolve('tree-sitter-powershell/tree-sitter-powershell.wasm');
  const lang = await Language.load(wasm);
  const parser = new Parser();
  parser.setLanguage(lang);
  let failed = false;
  const all = new Set();
  for (const f of o.files) {
    const buf = fs.readFileSync(f);
    let why = checkBytes(buf);
    if (!why) why = checkText(parser, new TextDecoder('utf-8').decode(buf), o, 'utf-8');
    if (!why) why = checkText(parser, new TextDecoder('windows-1252').decode(buf), o, 'cp1252');
    if (!why && o.commands) {
      const t = parser.parse(buf.toString('latin1'));
      commandNames(t.rootNode, all);
      t.delete();
    }
    if (why) {
      failed = true;
      console.log(`FAIL ${path.basename(f)}: ${why}`);
    } else {
      console.log(`ok ${path.basename(f)}`);
    }
  }
  if (o.commands) for (const n of [...all].sort()) console.log(`command ${n}`);
  process.exit(failed ? 1 : 0);
})().catch((e) => { console.log(`FAIL: ${e.stack || e}`); process.exit(2); });
