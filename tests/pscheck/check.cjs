#!/usr/bin/env node
// check.cjs - test-only checker of generated PowerShell scripts, with the
// tree-sitter PowerShell grammar (a real grammar: Debian has no PowerShell).
//
//   node check.cjs [--marker TEXT]... [--commands] [--skeleton] FILE...
//
// For each file, read as UTF-8 and again as Windows-1252 (how Windows
// PowerShell 5.1 reads a script without a BOM):
//   - every byte is printable ASCII, TAB, CR or LF;
//   - the script parses without ERROR or MISSING nodes, and to the same tree
//     in both readings;
//   - every occurrence of each --marker lies inside a string literal (never
//     in a comment, a command name, a bare word or any other code);
//   - no command is named after a marker.
// --commands prints the command names found (one per line, sorted, unique).
// --skeleton writes FILE.skeleton: the script with every constant string
// expression replaced by 'S'.  A constant string expression is what hvtpm's
// literal writer makes of a string: a single-quoted (verbatim) literal, or
// literals and [char]0xHHHH casts joined by + (in parentheses or not).
// Comments, double-quoted (expandable) strings and all other code are kept
// as they are, so evidence text that reached any of them shows in the
// skeleton, and two scripts made from evidence that differs only in its
// strings have the same skeleton.
// Prints "ok FILE" or "FAIL FILE: why" lines; exits 1 on any failure.
'use strict';
// The grammar is a large WebAssembly module: V8's optimising tier spends many
// seconds of CPU recompiling its lexer, more than the baseline code ever
// spends parsing our scripts.  Baseline (Liftoff) only; set before any
// module is compiled.
require('v8').setFlagsFromString('--liftoff-only');
const fs = require('fs');
const path = require('path');
const { Parser, Language } = require('web-tree-sitter');

function parseArgs(argv) {
  const o = { markers: [], commands: false, skeleton: false, files: [] };
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--marker') o.markers.push(argv[++i]);
    else if (argv[i] === '--commands') o.commands = true;
    else if (argv[i] === '--skeleton') o.skeleton = true;
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

function checkText(parser, text, o, label, out) {
  const tree = parser.parse(text);
  out.tree = tree.rootNode.toString();
  out.skeleton = o.skeleton ? skeleton(tree.rootNode, text) : null;
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

// Wrapper nodes that only pass one operand through (the expression grammar's precedence levels).
const PASS = new Set(['unary_expression', 'array_literal_expression', 'range_expression',
  'format_expression', 'multiplicative_expression', 'additive_expression',
  'comparison_expression', 'bitwise_expression', 'logical_expression', 'pipeline_chain',
  'pipeline', 'string_literal', 'expression_with_unary_operator']);

// 'str' (a string), 'char' ([char]0xHHHH) or null: what a constant node evaluates to.
function constKind(n) {
  if (n.type === 'verbatim_string_characters') return 'str';
  if (n.type === 'string_literal') {
    return n.namedChildCount === 1 && n.namedChild(0).type === 'verbatim_string_characters' ? 'str' : null;
  }
  if (n.type === 'cast_expression') {
    return /^\[char\]0x[0-9A-Fa-f]{1,6}$/.test(n.text) ? 'char' : null;
  }
  if (n.type === 'parenthesized_expression') {
    return n.namedChildCount === 1 ? constKind(n.namedChild(0)) : null;
  }
  if (n.type === 'additive_expression' && n.childCount === 3 && n.child(1).type === '+') {
    const a = constKind(n.child(0)), b = constKind(n.child(2));
    return a === 'str' && b ? 'str' : null;
  }
  if (PASS.has(n.type) && n.namedChildCount === 1 && n.childCount === 1) return constKind(n.namedChild(0));
  return null;
}

// The text with every maximal constant string expression replaced by 'S'.
function skeleton(root, text) {
  const cut = [];
  const stack = [root];
  while (stack.length) {
    const n = stack.pop();
    if (n.type !== 'comment' && constKind(n) === 'str') {
      cut.push([n.startIndex, n.endIndex]);
      continue;
    }
    for (let i = 0; i < n.childCount; i++) stack.push(n.child(i));
  }
  cut.sort((a, b) => a[0] - b[0]);
  let out = '', at = 0;
  for (const [s, e] of cut) {
    out += text.slice(at, s) + "'S'";
    at = e;
  }
  return out + text.slice(at);
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
    const u = {}, w = {};
    let why = checkBytes(buf);
    if (!why) why = checkText(parser, new TextDecoder('utf-8').decode(buf), o, 'utf-8', u);
    if (!why) why = checkText(parser, new TextDecoder('windows-1252').decode(buf), o, 'cp1252', w);
    if (!why && u.tree !== w.tree) why = 'the script parses differently as UTF-8 and as Windows-1252';
    if (!why && o.skeleton) fs.writeFileSync(f + '.skeleton', u.skeleton);
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
