#!/usr/bin/env node
// Reports the HTML/CSS features of an email that caniemail.com marks as not supported
// in Gmail, Apple Mail and Outlook.com, using @jsx-email/doiuse-email.
//
// Usage: node check.mjs [--allow FEATURE]... [--client CLIENT]... FILE.html|- ...
//
// Prints one JSON object per file on stdout (one line each). Exit status: 0 when every
// unsupported feature is allowed, 1 when some remain, 2 on a usage or parse error.
//
// doiuse-email (1.0.4) has gaps that this script fills with the library's own public
// methods (these features are marked "detected_by": "check.mjs"):
//   - it checks only top-level CSS rules: declarations and selectors inside @media
//     (or @supports) blocks are ignored, and so is an @media nested in @supports;
//   - it never reports media features such as `@media (prefers-color-scheme)`;
//   - it never reports the <style> element itself (htmlparser2 gives it its own node type),
//     the color-scheme meta tag or the color-scheme CSS property.
// Outlook.com (`outlook.outlook-com`) is in caniemail's data but missing from the
// library's list of client names, so the client list is set on the instance directly.

import fs from 'node:fs';
import process from 'node:process';
import { DoIUseEmail } from '@jsx-email/doiuse-email';
import * as htmlparser2 from 'htmlparser2';
import css from '@adobe/css-tools';

const DEFAULT_CLIENTS = [
  'gmail.desktop-webmail',
  'gmail.ios',
  'gmail.android',
  'gmail.mobile-webmail',
  'apple-mail.macos',
  'apple-mail.ios',
  'outlook.outlook-com',
];

// The library's list plus Outlook.com, which caniemail has but the library does not list.
const KNOWN_CLIENTS = [
  'apple-mail.macos', 'apple-mail.ios',
  'gmail.desktop-webmail', 'gmail.ios', 'gmail.android', 'gmail.mobile-webmail',
  'orange.desktop-webmail', 'orange.ios', 'orange.android',
  'outlook.windows', 'outlook.windows-mail', 'outlook.macos', 'outlook.outlook-com',
  'outlook.ios', 'outlook.android',
  'yahoo.desktop-webmail', 'yahoo.ios', 'yahoo.android',
  'aol.desktop-webmail', 'aol.ios', 'aol.android',
  'samsung-email.android',
  'sfr.desktop-webmail', 'sfr.ios', 'sfr.android',
  'thunderbird.macos',
  'protonmail.desktop-webmail', 'protonmail.ios', 'protonmail.android',
  'hey.desktop-webmail', 'mail-ru.desktop-webmail', 'fastmail.desktop-webmail',
  'laposte.desktop-webmail',
];

const MEDIA_FEATURES = [
  [/prefers-color-scheme/i, '@media (prefers-color-scheme)'],
  [/prefers-reduced-motion/i, '@media (prefers-reduced-motion)'],
  [/\(\s*(any-)?hover\b/i, '@media (hover), @media (any-hover)'],
  [/\(\s*orientation\b/i, '@media (orientation)'],
  [/device-pixel-ratio/i, '@media (-webkit-device-pixel-ratio)'],
];

// At-rules that caniemail has a feature for, and those whose blocks hold nested rules.
const AT_RULE_FEATURES = new Set(['font-face', 'import', 'keyframes', 'media', 'supports']);
const BLOCK_AT_RULES = new Set(['media', 'supports', 'document', 'host', 'container', 'layer']);

function usage(message) {
  if (message) process.stderr.write(`check.mjs: ${message}\n`);
  process.stderr.write(
    'usage: node check.mjs [--allow FEATURE]... [--client CLIENT]... FILE.html|- ...\n' +
      `default clients: ${DEFAULT_CLIENTS.join(' ')}\n`,
  );
  process.exit(2);
}

function parseArgs(argv) {
  const allow = [];
  const clientGlobs = [];
  const files = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    const takeValue = (name) => {
      if (arg.startsWith(`${name}=`)) return arg.slice(name.length + 1);
      if (i + 1 >= argv.length) usage(`${name} needs a value`);
      return argv[++i];
    };
    if (arg === '--allow' || arg.startsWith('--allow=')) allow.push(takeValue('--allow'));
    else if (arg === '--client' || arg.startsWith('--client=')) clientGlobs.push(takeValue('--client'));
    else if (arg === '-h' || arg === '--help') usage();
    else if (arg === '--') {
      files.push(...argv.slice(i + 1));
      break;
    }
    else if (arg.startsWith('--')) usage(`unknown option ${arg}`);
    else files.push(arg);
  }
  if (files.length === 0) usage('no HTML file given');
  return { allow, clientGlobs, files };
}

function globToRegExp(glob) {
  const escaped = glob.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.');
  return new RegExp(`^${escaped}$`);
}

function resolveClients(globs) {
  if (globs.length === 0) return [...DEFAULT_CLIENTS];
  const clients = new Set();
  for (const glob of globs) {
    const re = globToRegExp(glob);
    const matched = KNOWN_CLIENTS.filter((c) => re.test(c));
    if (matched.length === 0) usage(`--client ${glob} matches none of: ${KNOWN_CLIENTS.join(' ')}`);
    matched.forEach((c) => clients.add(c));
  }
  return [...clients];
}

function newChecker(clients) {
  // Any valid glob will do for the constructor; the real list is set right after.
  const checker = new DoIUseEmail({ emailClients: ['gmail.*'] });
  checker.emailClients = [...clients];
  return checker;
}

function featureExists(title) {
  try {
    newChecker(['gmail.desktop-webmail']).checkFeaturesSupport(title);
    return true;
  } catch {
    return false;
  }
}

function walk(node, visit) {
  if (node.type === 'tag' || node.type === 'style' || node.type === 'script') visit(node);
  for (const child of node.children ?? []) walk(child, visit);
}

function declarationsOf(rule) {
  return (rule.declarations ?? [])
    .filter((d) => d.type === 'declaration')
    .map((d) => ({ property: d.property, value: d.value }));
}

// Checks what the library skips: rules nested in at-rule blocks, media features, and the
// color-scheme property/meta tag. Throws on CSS it cannot parse.
function checkExtras(checker, html) {
  const document = htmlparser2.parseDocument(html);
  const styles = [];
  const inlineStyles = [];
  let colorSchemeMeta = false;
  walk(document, (el) => {
    const name = el.name?.toLowerCase();
    if (name === 'style') {
      const text = (el.children ?? []).map((c) => c.data ?? '').join('');
      styles.push(text);
    }
    if (name === 'meta') {
      const metaName = (el.attribs?.name ?? '').toLowerCase();
      if (metaName === 'color-scheme' || metaName === 'supported-color-schemes') colorSchemeMeta = true;
    }
    if (el.attribs?.style !== undefined) inlineStyles.push(el.attribs.style);
  });

  // htmlparser2 gives <style> its own node type, so the library never checks the element.
  if (styles.length > 0) checker.checkFeaturesSupport('<style> element');
  if (colorSchemeMeta) checker.checkFeaturesSupport('color-scheme meta tag');

  const colorSchemeProperty = (declarations) => {
    if (declarations.some((d) => d.property?.toLowerCase() === 'color-scheme')) {
      checker.checkFeaturesSupport('color-scheme CSS property');
    }
  };

  const visitRules = (rules, nested) => {
    for (const rule of rules ?? []) {
      if (rule.type === 'rule') {
        const declarations = declarationsOf(rule);
        colorSchemeProperty(declarations);
        if (nested) {
          checker.checkCSSDeclarations(declarations);
          checker.checkCSSSelectors(rule.selectors ?? []);
        }
      } else {
        // Top-level at-rules are the library's; nested ones it never sees.
        if (nested && AT_RULE_FEATURES.has(rule.type)) checker.checkFeaturesSupport(`@${rule.type}`);
        if (rule.type === 'media') {
          for (const [re, title] of MEDIA_FEATURES) {
            if (re.test(rule.media ?? '')) checker.checkFeaturesSupport(title);
          }
        }
        if (BLOCK_AT_RULES.has(rule.type)) visitRules(rule.rules, true);
      }
    }
  };

  for (const text of styles) {
    visitRules(css.parse(text).stylesheet?.rules, false);
  }
  for (const style of inlineStyles) {
    let sheet;
    try {
      sheet = css.parse(`x{${style}}`);
    } catch {
      continue; // the library reports what it can of a malformed style attribute
    }
    for (const rule of sheet.stylesheet?.rules ?? []) colorSchemeProperty(declarationsOf(rule));
  }
}

const MESSAGE_RE = /^`(.+)` is (not supported|only partially supported) by `([^`]+)`$/;

function collect(messages, into, detectedBy) {
  for (const message of messages ?? []) {
    const m = MESSAGE_RE.exec(message);
    if (!m) continue;
    const [, feature, , client] = m;
    if (!into.has(feature)) into.set(feature, { clients: new Set(), detectedBy });
    into.get(feature).clients.add(client);
  }
}

function checkFile(file, clients, allow) {
  const html = file === '-' ? fs.readFileSync(0, 'utf8') : fs.readFileSync(file, 'utf8');

  const libChecker = newChecker(clients);
  const libResult = libChecker.check(html);
  const unsupported = new Map();
  const partial = new Map();
  collect(libResult.errors, unsupported, 'doiuse-email');
  collect(libResult.warnings, partial, 'doiuse-email');

  const extraChecker = newChecker(clients);
  checkExtras(extraChecker, html);
  collect(extraChecker.errors, unsupported, 'check.mjs');
  collect(extraChecker.warnings, partial, 'check.mjs');

  const allowSet = new Set(allow);
  const list = (map) =>
    [...map.entries()]
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([feature, { clients: cs, detectedBy }]) => ({
        feature,
        clients: clients.filter((c) => cs.has(c)),
        allowed: allowSet.has(feature),
        detected_by: detectedBy,
      }));
  const unsupportedList = list(unsupported);
  const remaining = unsupportedList.filter((f) => !f.allowed).map((f) => f.feature);
  return {
    file,
    ok: remaining.length === 0,
    clients,
    unsupported: unsupportedList,
    remaining,
    partial: list(partial).map(({ allowed, ...rest }) => rest),
    unused_allow: allow.filter((a) => !unsupported.has(a)),
  };
}

function main() {
  const { allow, clientGlobs, files } = parseArgs(process.argv.slice(2));
  const clients = resolveClients(clientGlobs);
  const unknown = allow.filter((a) => !featureExists(a));
  if (unknown.length > 0) {
    usage(`--allow names no caniemail feature: ${unknown.map((a) => JSON.stringify(a)).join(', ')}`);
  }
  let failed = false;
  let broken = false;
  for (const file of files) {
    let result;
    try {
      result = checkFile(file, clients, allow);
    } catch (err) {
      process.stderr.write(`check.mjs: ${file}: ${err.message}\n`);
      process.stdout.write(`${JSON.stringify({ file, ok: false, error: err.message })}\n`);
      broken = true;
      continue;
    }
    process.stdout.write(`${JSON.stringify(result)}\n`);
    if (!result.ok) {
      failed = true;
      for (const f of result.unsupported.filter((u) => !u.allowed)) {
        process.stderr.write(`${file}: \`${f.feature}\` is not supported by ${f.clients.join(', ')}\n`);
      }
    }
  }
  process.exit(broken ? 2 : failed ? 1 : 0);
}

main();
