// The version check's one Node process per run (compat_harness/versions/tools.py starts it).
//
// stdin:  {"mode": "check" | "validate",
//          "queries": {"<cell>": "<browserslist query>", ...},
//          "pieces": [{"id", "kind": "script" | "module" | "style" | "style-attr", "text",
//                      "line", "column"}]}          (check only; line/column: where the text starts)
// stdout: {"tools": {...}, "queries": {"<cell>": {"browsers": [...]} | {"error": "..."}},
//          "findings": [...], "problems": [...]}
//
// Scripts: ESLint parses each piece (scopes tell the page's own names from the browser's); the
// features are MDN browser-compat-data's (javascript.builtins, api, syntax). CSS: doiuse (caniuse
// data through postcss). Versions come from browserslist. A use inside a feature test of the same
// feature ('x' in obj, typeof X, if (obj.x), @supports) is not a finding.

import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const browserslist = require('browserslist');

const BROWSERSLIST_OPTIONS = { mobileToDesktop: true };

// browserslist names -> MDN browser-compat-data names.
const BCD_BROWSER = {
  chrome: 'chrome',
  and_chr: 'chrome_android',
  ios_saf: 'safari_ios',
  safari: 'safari',
  firefox: 'firefox',
  and_ff: 'firefox_android',
  samsung: 'samsunginternet_android',
  edge: 'edge',
  opera: 'opera',
  op_mob: 'opera_android',
  android: 'webview_android',
};
// caniuse keeps only the newest version of some mobile browsers: their desktop twin's data.
const CANIUSE_TWIN = { and_chr: 'chrome', and_ff: 'firefox' };

function readJob() {
  return JSON.parse(readFileSync(0, 'utf8'));
}

function packageVersion(name) {
  const file = new URL(`./node_modules/${name}/package.json`, import.meta.url);
  return JSON.parse(readFileSync(file, 'utf8')).version;
}

// --- versions ---------------------------------------------------------------------------------

function parseVersion(text) {
  const s = String(text).replace(/^≤/, '');
  if (s === 'preview' || s === 'TP') return [Infinity];
  return s.split('.').map((p) => Number.parseInt(p, 10) || 0);
}

function compare(a, b) {
  for (let i = 0; i < Math.max(a.length, b.length); i += 1) {
    const d = (a[i] || 0) - (b[i] || 0);
    if (d !== 0) return d;
  }
  return 0;
}

// "ios_saf 16.6-16.7" -> ["ios_saf", "16.6"]: the lowest version of a merged range.
function splitTarget(target) {
  const [browser, version] = target.split(' ');
  return [browser, version.split('-')[0]];
}

function resolveQueries(queries) {
  const out = {};
  for (const [cell, query] of Object.entries(queries)) {
    try {
      const browsers = browserslist(query, BROWSERSLIST_OPTIONS);
      out[cell] = browsers.length
        ? { browsers }
        : { error: `the query \`${query}\` names no browser version` };
    } catch (err) {
      out[cell] = { error: String(err.message || err).split('\n')[0] };
    }
  }
  return out;
}

// --- MDN browser-compat-data -------------------------------------------------------------------

let bcd;

function at(path) {
  return path.split('.').reduce((node, key) => (node ? node[key] : undefined), bcd);
}

// The first version of a browser with full support: null when it has none, true when MDN knows it
// does but not since when, undefined when MDN does not know.
function firstVersion(compat, bcdBrowser) {
  const raw = compat.support[bcdBrowser];
  if (raw === undefined) return undefined;
  const statements = (Array.isArray(raw) ? raw : [raw]).filter(
    (s) => !s.prefix && !s.alternative_name && !s.flags && !s.partial_implementation,
  );
  const current = statements.find((s) => s.version_removed === undefined);
  if (!current) return null;
  if (current.version_added === false) return null;
  if (current.version_added === true) return true;
  if (current.version_added === null || current.version_added === undefined) return undefined;
  return String(current.version_added).replace(/^≤/, '');
}

function lacksBcd(compat, target) {
  const [browser, version] = splitTarget(target);
  const name = BCD_BROWSER[browser];
  if (!name) return false;
  const first = firstVersion(compat, name);
  if (first === undefined || first === true) return false;
  if (first === null) return true;
  return compare(parseVersion(version), parseVersion(first)) < 0;
}

function firstVersionsBcd(compat, families) {
  const out = {};
  for (const family of families) {
    const name = BCD_BROWSER[family];
    if (!name) continue;
    const first = firstVersion(compat, name);
    if (first !== undefined) out[family] = first === true ? 'yes' : first;
  }
  return out;
}

// --- scripts ---------------------------------------------------------------------------------

// Globals that are instances of an interface.
const INSTANCE = {
  window: 'Window',
  self: 'Window',
  navigator: 'Navigator',
  document: 'Document',
  location: 'Location',
  history: 'History',
  screen: 'Screen',
  localStorage: 'Storage',
  sessionStorage: 'Storage',
  performance: 'Performance',
  crypto: 'Crypto',
  visualViewport: 'VisualViewport',
  customElements: 'CustomElementRegistry',
  indexedDB: 'IDBFactory',
  caches: 'CacheStorage',
  speechSynthesis: 'SpeechSynthesis',
};
// Members of those whose own members are worth knowing.
const MEMBER_TYPE = {
  'Navigator.serviceWorker': 'ServiceWorkerContainer',
  'Navigator.clipboard': 'Clipboard',
  'Navigator.userAgentData': 'NavigatorUAData',
  'Navigator.mediaDevices': 'MediaDevices',
  'Navigator.permissions': 'Permissions',
  'Navigator.storage': 'StorageManager',
  'Navigator.wakeLock': 'WakeLock',
  'Document.fonts': 'FontFaceSet',
};
const GLOBAL_OBJECTS = new Set(['window', 'globalThis', 'self']);

// Syntax: a browser without it cannot even parse the script, so no feature test helps.
const SYNTAX = [
  ['ChainExpression', () => 'javascript.operators.optional_chaining'],
  ['LogicalExpression', (n) => n.operator === '??' && 'javascript.operators.nullish_coalescing'],
  [
    'AssignmentExpression',
    (n) =>
      ({
        '??=': 'javascript.operators.nullish_coalescing_assignment',
        '||=': 'javascript.operators.logical_or_assignment',
        '&&=': 'javascript.operators.logical_and_assignment',
      })[n.operator],
  ],
  [
    'PrivateIdentifier',
    (n) =>
      n.parent.type === 'BinaryExpression'
        ? 'javascript.classes.private_class_fields_in' // #x in obj
        : 'javascript.classes.private_class_fields',
  ],
  ['PropertyDefinition', () => 'javascript.classes.public_class_fields'],
  ['StaticBlock', () => 'javascript.classes.static.initialization_blocks'],
  ['ImportExpression', () => 'javascript.operators.import'],
  [
    'Literal',
    (n) =>
      (n.bigint !== undefined && 'javascript.builtins.BigInt') ||
      (n.regex && n.regex.flags.includes('v') && 'javascript.builtins.RegExp.unicodeSets') ||
      (n.regex && n.regex.flags.includes('d') && 'javascript.builtins.RegExp.hasIndices') ||
      (n.regex && /\(\?<[=!]/.test(n.regex.pattern) && 'javascript.regular_expressions.lookbehind_assertion') ||
      (n.regex && /\(\?<[A-Za-z_$]/.test(n.regex.pattern) && 'javascript.regular_expressions.named_capturing_group'),
  ],
];

const SYNTAX_NAMES = {
  'javascript.operators.optional_chaining': 'optional chaining (?.)',
  'javascript.operators.nullish_coalescing': 'nullish coalescing (??)',
  'javascript.operators.nullish_coalescing_assignment': 'nullish coalescing assignment (??=)',
  'javascript.operators.logical_or_assignment': 'logical OR assignment (||=)',
  'javascript.operators.logical_and_assignment': 'logical AND assignment (&&=)',
  'javascript.classes.private_class_fields_in': '#field in object',
  'javascript.classes.private_class_fields': 'private class fields (#name)',
  'javascript.classes.public_class_fields': 'public class fields',
  'javascript.classes.static.initialization_blocks': 'class static blocks',
  'javascript.operators.import': 'dynamic import()',
  'javascript.builtins.BigInt': 'BigInt literals',
  'javascript.builtins.RegExp.unicodeSets': 'RegExp v flag',
  'javascript.builtins.RegExp.hasIndices': 'RegExp d flag',
  'javascript.regular_expressions.lookbehind_assertion': 'RegExp lookbehind (?<= / ?<!)',
  'javascript.regular_expressions.named_capturing_group': 'RegExp named groups (?<name>)',
};

function isStatic(builtin, member) {
  const compat = bcd.javascript.builtins[builtin]?.[member]?.__compat;
  const spec = compat && (Array.isArray(compat.spec_url) ? compat.spec_url[0] : compat.spec_url);
  return Boolean(compat) && !(spec || '').toLowerCase().includes('.prototype.');
}

// Prototype methods of the built-ins found by method name alone (a script's types are unknown):
// only names no Web API interface also has, each with the earliest support any built-in gives.
function prototypeIndex() {
  const apiMembers = new Set();
  for (const iface of Object.values(bcd.api)) for (const key of Object.keys(iface)) apiMembers.add(key);
  const index = new Map();
  for (const [builtin, node] of Object.entries(bcd.javascript.builtins)) {
    for (const [member, sub] of Object.entries(node)) {
      if (member === '__compat' || !sub.__compat || apiMembers.has(member)) continue;
      if (isStatic(builtin, member) || member === builtin) continue;
      if (!index.has(member)) index.set(member, []);
      index.get(member).push(`javascript.builtins.${builtin}.${member}`);
    }
  }
  return index;
}

// The names a feature test of this feature would mention.
function mentions(expr, names) {
  let found = false;
  const visit = (node) => {
    if (found || !node || typeof node.type !== 'string') return;
    if (node.type === 'Identifier' && names.has(node.name)) found = true;
    else if (node.type === 'Literal' && names.has(node.value)) found = true;
    else if (node.type === 'MemberExpression' && !node.computed && names.has(node.property.name)) found = true;
    if (found) return;
    for (const [key, value] of Object.entries(node)) {
      if (key === 'parent') continue;
      if (Array.isArray(value)) value.forEach(visit);
      else if (value && typeof value.type === 'string') visit(value);
    }
  };
  visit(expr);
  return found;
}

function exits(statement) {
  if (!statement) return false;
  if (['ReturnStatement', 'ThrowStatement'].includes(statement.type)) return true;
  if (statement.type === 'BlockStatement') return exits(statement.body[statement.body.length - 1]);
  return false;
}

const OPERATORS = new Set(['UnaryExpression', 'BinaryExpression', 'LogicalExpression']);

// The feature is only read to see whether it is there: typeof X, !obj.x, obj.x === undefined,
// if (obj.x), obj.x && ..., without calling it or reaching into it.
function isDetection(node) {
  let child = node;
  let parent = node.parent;
  if (parent && parent.type === 'UnaryExpression' && parent.operator === 'typeof') return true;
  if (node.type === 'Identifier' && !(parent && parent.type === 'MemberExpression' && parent.object === node)) {
    return false; // a bare undeclared global throws when read, unless under typeof
  }
  while (parent && OPERATORS.has(parent.type) && !(parent.type === 'LogicalExpression' && parent.right === child)) {
    child = parent;
    parent = parent.parent;
  }
  if (!parent) return false;
  if (['IfStatement', 'ConditionalExpression', 'WhileStatement'].includes(parent.type)) {
    return parent.test === child;
  }
  if (parent.type === 'LogicalExpression') return parent.left === child;
  return child !== node; // compared or negated: a test whose result is kept
}

// Inside a branch (if, ?:, &&/||) or after an early exit whose test names the feature.
function isGuarded(node, names) {
  if (isDetection(node)) return true;
  let child = node;
  for (let parent = node.parent; parent; child = parent, parent = parent.parent) {
    if (['IfStatement', 'ConditionalExpression'].includes(parent.type) && parent.test !== child) {
      if (mentions(parent.test, names)) return true;
    }
    if (parent.type === 'LogicalExpression' && parent.right === child && mentions(parent.left, names)) {
      return true;
    }
    const body = parent.type === 'SwitchCase' ? parent.consequent : parent.body;
    if (Array.isArray(body)) {
      for (const statement of body) {
        if (statement === child) break;
        if (statement.type === 'IfStatement' && exits(statement.consequent) && mentions(statement.test, names)) {
          return true;
        }
      }
    }
  }
  return false;
}

function featureName(key) {
  if (SYNTAX_NAMES[key]) return SYNTAX_NAMES[key];
  const parts = key.split('.');
  if (parts[0] === 'javascript' && parts[1] === 'builtins') {
    const [builtin, member] = parts.slice(2);
    if (!member) return builtin;
    return isStatic(builtin, member) ? `${builtin}.${member}()` : `${builtin}.prototype.${member}()`;
  }
  if (parts[0] === 'api') {
    const [iface, member] = parts.slice(1);
    if (!member) return iface;
    return `${iface}.${member.replace(/_static$/, '')}`;
  }
  return key;
}

function scriptRule(state, report) {
  const { protoIndex } = state;
  return {
    meta: { type: 'problem', schema: false },
    create(context) {
      const sourceCode = context.sourceCode;
      const use = (node, key, names, how = '') => {
        if (!state.lacking(key)) return;
        if (names && isGuarded(node, names)) return;
        report({ node, key, how });
      };
      const memberOf = (node) =>
        node.parent && node.parent.type === 'MemberExpression' && node.parent.object === node && !node.parent.computed
          ? node.parent
          : null;
      const globalUse = (id) => {
        let name = id.name;
        let node = id;
        let member = memberOf(node);
        if (GLOBAL_OBJECTS.has(name) && member) {
          name = member.property.name; // window.structuredClone is structuredClone
          node = member;
          member = memberOf(node);
        }
        const builtin = bcd.javascript.builtins[name] && `javascript.builtins.${name}`;
        const api = bcd.api[name] && `api.${name}`;
        const top = builtin || api;
        if (top && state.lacking(top)) {
          if (!(GLOBAL_OBJECTS.has(id.name) && isDetection(node))) use(node, top, new Set([name]));
          return;
        }
        if (!member) return;
        const prop = member.property.name;
        const names = new Set([prop]);
        const candidates = [];
        if (builtin && isStatic(name, prop)) candidates.push(`javascript.builtins.${name}.${prop}`);
        if (api) candidates.push(`api.${name}.${prop}_static`);
        const iface = INSTANCE[name];
        if (iface) candidates.push(`api.${iface}.${prop}`);
        const key = candidates.find((k) => at(k)?.__compat);
        if (key && state.lacking(key)) {
          use(member, key, names);
          return; // what it holds is missing too: one finding says it
        }
        const type = iface && MEMBER_TYPE[`${iface}.${prop}`];
        const inner = memberOf(member);
        if (type && inner) {
          const innerKey = `api.${type}.${inner.property.name}`;
          if (at(innerKey)?.__compat) use(inner, innerKey, new Set([prop, inner.property.name]));
        }
      };
      const handlers = {
        'Program:exit'() {
          const scope = sourceCode.scopeManager.globalScope;
          const refs = [...scope.through];
          for (const variable of scope.variables) if (variable.defs.length === 0) refs.push(...variable.references);
          for (const ref of refs) globalUse(ref.identifier);
        },
        CallExpression(node) {
          const callee = node.callee;
          if (callee.type !== 'MemberExpression' || callee.computed || callee.property.type !== 'Identifier') return;
          const keys = protoIndex.get(callee.property.name);
          if (!keys) return;
          if (callee.object.type === 'Identifier' && (bcd.javascript.builtins[callee.object.name] || bcd.api[callee.object.name])) {
            return; // a static member of a global: the global's own check
          }
          // The most lenient of the built-ins with a method of that name decides.
          const key = keys.find((k) => !state.lacking(k)) ? null : keys[0];
          if (key) use(callee, key, new Set([callee.property.name]), 'by method name');
        },
      };
      for (const [type, keyOf] of SYNTAX) {
        const previous = handlers[type];
        handlers[type] = (node) => {
          if (previous) previous(node);
          const key = keyOf(node);
          if (key && at(key)?.__compat) use(node, key, null);
        };
      }
      return handlers;
    },
  };
}

async function lintScripts(pieces, state, emit, problem) {
  const { Linter } = await import('eslint');
  const linter = new Linter({ configType: 'flat' });
  for (const piece of pieces) {
    let found = [];
    const rule = scriptRule(state, (f) => found.push(f));
    const config = (sourceType) => [
      {
        plugins: { compat: { rules: { versions: rule } } },
        rules: { 'compat/versions': 'error' },
        languageOptions: { ecmaVersion: 'latest', sourceType },
      },
    ];
    let messages = linter.verify(piece.text, config(piece.kind === 'module' ? 'module' : 'script'));
    const fatal = messages.find((m) => m.fatal);
    if (fatal && piece.kind !== 'module') {
      found = [];
      const asModule = linter.verify(piece.text, config('module'));
      if (!asModule.some((m) => m.fatal)) messages = asModule;
    }
    const stillFatal = messages.find((m) => m.fatal);
    if (stillFatal) {
      problem(piece, stillFatal.line, stillFatal.column, `cannot parse the script: ${stillFatal.message}`);
      continue;
    }
    for (const f of found) {
      const { line, column } = f.node.loc.start;
      emit(piece, line, column + 1, {
        feature: featureName(f.key) + (f.how ? ` (${f.how})` : ''),
        kind: 'script',
        key: f.key,
        source: { name: 'MDN browser-compat-data', id: f.key, url: at(f.key).__compat.mdn_url || '' },
      });
    }
  }
}

// --- CSS ---------------------------------------------------------------------------------------

async function lintStyles(pieces, state, emit, problem) {
  const postcss = (await import('postcss')).default;
  const doiuse = (await import('doiuse')).default;
  const lite = require('caniuse-lite');
  for (const piece of pieces) {
    const attr = piece.kind === 'style-attr';
    const text = attr ? `x{${piece.text}}` : piece.text;
    const usages = [];
    try {
      await postcss([doiuse({ browsers: state.doiuseUnion, onFeatureUsage: (u) => usages.push(u) })]).process(text, {
        from: undefined,
      });
    } catch (err) {
      const line = err.line || 1;
      problem(piece, line, (err.column || 1) - (attr && line === 1 ? 2 : 0), `cannot parse the stylesheet: ${err.reason || err.message}`);
      continue;
    }
    for (const usage of usages) {
      if (cssGuarded(usage.usage)) continue;
      const id = usage.feature;
      const stats = lite.feature(lite.features[id]).stats;
      const compat = { caniuse: stats };
      const key = `caniuse:${id}`;
      state.caniuse.set(key, compat);
      if (!state.lacking(key)) continue;
      const start = usage.usage.source.start;
      emit(piece, start.line, start.column - (attr && start.line === 1 ? 2 : 0), {
        feature: usage.featureData.title,
        kind: 'style',
        key,
        source: { name: 'caniuse', id, url: `https://caniuse.com/${id}` },
      });
    }
  }
}

// The words an @supports test of this use would name: its property, pseudo-classes, at-rule.
function cssWords(node) {
  if (node.type === 'decl') return [node.prop];
  if (node.type === 'atrule') return [node.name];
  const words = (node.selector || '').match(/::?[a-z-]+|&/g) || [];
  return words;
}

function cssGuarded(node) {
  const words = cssWords(node);
  for (let parent = node.parent; parent; parent = parent.parent) {
    if (parent.type === 'atrule' && parent.name === 'supports') {
      if (words.some((w) => parent.params.includes(w))) return true;
    }
  }
  return false;
}

// caniuse's verdict on one browser version: 'y' has it, 'a' partly, 'n'/'p'/'u' not.
function lacksCaniuse(stats, target) {
  const [browser, version] = target.split(' ');
  let table = stats[browser];
  const twin = CANIUSE_TWIN[browser];
  let key = version;
  if (table && !(key in table) && twin) table = undefined;
  if (!table && twin) table = stats[twin];
  if (!table) return false;
  if (!(key in table)) key = Object.keys(table).find((v) => v.split('-')[0] === version.split('-')[0]);
  const flag = key ? table[key] : undefined;
  return Boolean(flag) && !/^[ya]/.test(flag);
}

function firstVersionsCaniuse(stats, families) {
  const out = {};
  for (const family of families) {
    const table = stats[CANIUSE_TWIN[family] || family] || stats[family];
    if (!table) continue;
    const versions = Object.keys(table).sort((a, b) => compare(parseVersion(splitTarget(`x ${a}`)[1]), parseVersion(splitTarget(`x ${b}`)[1])));
    let first = null;
    for (const v of versions) {
      if (/^[ya]/.test(table[v])) first = first || v.split("-")[0];
      else first = null;
    }
    out[family] = first;
  }
  return out;
}

// --- the job -----------------------------------------------------------------------------------

async function check(job, queries) {
  const targets = {};
  for (const [cell, q] of Object.entries(queries)) if (q.browsers) targets[cell] = q.browsers;
  const union = [...new Set(Object.values(targets).flat())];
  const families = [...new Set(union.map((t) => t.split(' ')[0]))];
  bcd = require('@mdn/browser-compat-data');
  const lackingCache = new Map();
  const state = {
    union,
    // doiuse asks browserslist without mobileToDesktop: the desktop twins' versions instead.
    doiuseUnion: [...new Set(union.map((t) => { const [b, v] = t.split(' '); return `${CANIUSE_TWIN[b] || b} ${v}`; }))],
    caniuse: new Map(),
    protoIndex: null,
    // Whether any targeted version lacks the feature (then each cell is looked at).
    lacking(key) {
      if (!lackingCache.has(key)) lackingCache.set(key, union.some((t) => lacksTarget(key, t)));
      return lackingCache.get(key);
    },
  };
  const lacksTarget = (key, target) => {
    if (key.startsWith('caniuse:')) return lacksCaniuse(state.caniuse.get(key).caniuse, target);
    const compat = at(key)?.__compat;
    return Boolean(compat) && lacksBcd(compat, target);
  };
  state.protoIndex = prototypeIndex();
  const findings = [];
  const problems = [];
  const place = (piece, line, column) => ({
    line: piece.line + line - 1,
    column: line === 1 ? piece.column + column - 1 : column,
  });
  const emit = (piece, line, column, finding) => {
    const cells = {};
    for (const [cell, list] of Object.entries(targets)) {
      const lacking = list.filter((t) => lacksTarget(finding.key, t));
      if (lacking.length) cells[cell] = lacking;
    }
    const first = finding.key.startsWith('caniuse:')
      ? firstVersionsCaniuse(state.caniuse.get(finding.key).caniuse, families)
      : firstVersionsBcd(at(finding.key).__compat, families);
    findings.push({ piece: piece.id, ...place(piece, line, column), ...finding, first, cells });
  };
  const problem = (piece, line, column, message) => problems.push({ piece: piece.id, ...place(piece, line, column), message });
  const pieces = job.pieces || [];
  await lintScripts(pieces.filter((p) => p.kind === 'script' || p.kind === 'module'), state, emit, problem);
  await lintStyles(pieces.filter((p) => p.kind === 'style' || p.kind === 'style-attr'), state, emit, problem);
  for (const key of Object.keys(SYNTAX_NAMES).filter((k) => !at(k)?.__compat)) {
    problems.push({ piece: null, line: 0, column: 0, message: `MDN data has no ${key}: update SYNTAX in lint.mjs` });
  }
  return { findings, problems };
}

async function main() {
  const job = readJob();
  const queries = resolveQueries(job.queries || {});
  const tools = { browserslist: packageVersion('browserslist'), 'caniuse-lite': packageVersion('caniuse-lite') };
  const out = { tools, queries, findings: [], problems: [] };
  if (job.mode === 'check') {
    Object.assign(out, await check(job, queries));
    for (const name of ['@mdn/browser-compat-data', 'eslint', 'doiuse', 'postcss']) tools[name] = packageVersion(name);
  }
  process.stdout.write(JSON.stringify(out));
}

main().catch((err) => {
  process.stderr.write(String((err && err.stack) || err));
  process.exit(3);
});
