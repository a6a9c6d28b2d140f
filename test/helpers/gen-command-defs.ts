/**
 * Dev tool: print CommandDef literals (without handlers) for Redis commands, read from a
 * running real redis-server's COMMAND INFO + COMMAND DOCS, so that family tables carry
 * exactly Redis 7.0's metadata (flags, key specs, tips, ACL categories, docs).
 *
 *   node dist/test/helpers/gen-command-defs.js --port 6379 get set mset config
 *
 * ACL categories: prints only the `acl` entries that the registry would not derive itself.
 */

import { ACL_CATEGORIES, derivedCategories } from '../../src/engine/registry.js';
import { RawClient, decodeReply, type RespValue } from './raw-client.js';

type Obj = Record<string, unknown>;

function js(v: RespValue): unknown {
  switch (v.type) {
    case 'simple':
    case 'double':
    case 'bignum':
      return v.value;
    case 'integer':
      return Number(v.value);
    case 'bulk':
    case 'verbatim':
      return v.value.toString('utf8');
    case 'null':
      return null;
    case 'array':
    case 'set':
    case 'push':
      return v.value.map(js);
    case 'map': {
      const o: Obj = {};
      for (const [k, x] of v.value) o[String(js(k))] = js(x);
      return o;
    }
    default:
      return null;
  }
}

function convArgs(args: Obj[]): Obj[] {
  return args.map((a) => {
    const o: Obj = { name: a.name, type: a.type };
    if (a.key_spec_index !== undefined) o.keySpecIndex = a.key_spec_index;
    if (a.token !== undefined) o.token = a.token;
    if (a.summary !== undefined) o.summary = a.summary;
    if (a.since !== undefined) o.since = a.since;
    if (a.deprecated_since !== undefined) o.deprecatedSince = a.deprecated_since;
    if (a.flags !== undefined) o.flags = a.flags;
    if (a.arguments !== undefined) o.args = convArgs(a.arguments as Obj[]);
    return o;
  });
}

function convSpec(s: Obj): Obj {
  const bs = s.begin_search as Obj;
  const fk = s.find_keys as Obj;
  const bss = bs.spec as Obj;
  const fks = fk.spec as Obj;
  const o: Obj = {};
  if (s.notes) o.notes = s.notes;
  o.flags = s.flags;
  o.beginSearch =
    bs.type === 'index' ? { type: 'index', index: bss.index } : bs.type === 'keyword' ? { type: 'keyword', keyword: bss.keyword, startFrom: bss.startfrom } : { type: 'unknown' };
  o.findKeys =
    fk.type === 'range'
      ? { type: 'range', lastKey: fks.lastkey, keyStep: fks.keystep, limit: fks.limit }
      : fk.type === 'keynum'
        ? { type: 'keynum', keyNumIdx: fks.keynumidx, firstKey: fks.firstkey, keyStep: fks.keystep }
        : { type: 'unknown' };
  return o;
}

function defaultSpecs(flags: string[], first: number, last: number, step: number): Obj[] {
  if (first <= 0) return [];
  const f = flags.includes('write') ? ['RW', 'update'] : flags.includes('readonly') ? ['RO', 'access'] : ['RW', 'access', 'update'];
  return [{ flags: f, beginSearch: { type: 'index', index: first }, findKeys: { type: 'range', lastKey: last < 0 ? last : last - first, keyStep: step, limit: 0 } }];
}

function build(info: unknown[], docs: Obj): Obj {
  const [fullName, arity, flags0, first, last, step, acl, tips, specs, subs] = info as [string, number, string[], number, number, number, string[], string[], Obj[], unknown[][]];
  const name = fullName.includes('|') ? fullName.split('|')[1] : fullName;
  const flags = flags0.filter((f) => f !== 'movablekeys');
  const group = docs.group as string;
  const o: Obj = { name, arity, flags, firstKey: first, lastKey: last, keyStep: step, group, summary: docs.summary, since: docs.since, complexity: docs.complexity ?? '' };
  const derived = derivedCategories(new Set(flags), group, subs.length > 0);
  const want = new Set(acl.map((a) => a.replace(/^@/, '')));
  const extra: string[] = [];
  for (const a of want) if (!derived.has(a) && a !== 'slow') extra.push('@' + a);
  for (const a of derived) if (!want.has(a)) extra.push('-@' + a);
  extra.sort((x, y) => ACL_CATEGORIES.indexOf(x.replace(/^-?@/, '')) - ACL_CATEGORIES.indexOf(y.replace(/^-?@/, '')));
  if (extra.length) o.acl = extra;
  if (tips.length) o.tips = tips;
  const conv = specs.map(convSpec);
  if (JSON.stringify(conv) !== JSON.stringify(defaultSpecs(flags, first, last, step))) o.keySpecs = conv;
  if (docs.history) o.history = docs.history;
  if (docs.doc_flags) o.docFlags = docs.doc_flags;
  if (docs.deprecated_since) o.deprecatedSince = docs.deprecated_since;
  if (docs.replaced_by) o.replacedBy = docs.replaced_by;
  if (docs.arguments) o.args = convArgs(docs.arguments as Obj[]);
  if (subs.length) {
    const subDocs = (docs.subcommands ?? {}) as Obj;
    o.subcommands = subs.map((s) => build(s, subDocs[s[0] as string] as Obj));
  }
  return o;
}

function lit(v: unknown, indent = ''): string {
  if (Array.isArray(v)) {
    if (v.length === 0) return '[]';
    const inner = v.map((x) => lit(x, indent + '  '));
    const one = `[${inner.join(', ')}]`;
    if (one.length < 100 && !one.includes('\n')) return one;
    return `[\n${inner.map((x) => indent + '  ' + x).join(',\n')},\n${indent}]`;
  }
  if (v !== null && typeof v === 'object') {
    const entries = Object.entries(v as Obj).map(([k, x]) => `${/^[a-zA-Z_]\w*$/.test(k) ? k : JSON.stringify(k)}: ${lit(x, indent + '  ')}`);
    const one = `{ ${entries.join(', ')} }`;
    if (one.length < 100 && !one.includes('\n')) return one;
    return `{\n${entries.map((x) => indent + '  ' + x).join(',\n')},\n${indent}}`;
  }
  return typeof v === 'string' ? `'${v.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'` : JSON.stringify(v);
}

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  let port = 6379;
  const names: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--port') port = Number(argv[++i]);
    else names.push(argv[i]);
  }
  if (names.length === 0) {
    // also what happens when `node --test dist/test/` runs this file: nothing to do
    console.error('usage: node dist/test/helpers/gen-command-defs.js [--port 6379] command...');
    return;
  }
  const c = await RawClient.connect(port);
  await c.call('HELLO', '3');
  for (const n of names) {
    const info = js(decodeReply(await c.call('COMMAND', 'INFO', n))) as unknown[][];
    const docs = js(decodeReply(await c.call('COMMAND', 'DOCS', n))) as Obj;
    if (!info[0]) {
      console.error(`unknown command ${n}`);
      continue;
    }
    console.log('  ' + lit(build(info[0], docs[Object.keys(docs)[0]] as Obj), '  ') + ',');
  }
  c.close();
}

if (import.meta.url === `file://${process.argv[1]}`) {
  main().catch((e) => {
    console.error(e);
    process.exit(1);
  });
}
