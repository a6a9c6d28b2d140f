/**
 * Keys and expiry, like Redis's db.c and expire.c: handlers parse and reply, the
 * keyspace's seam (src/keyspace) does the data work, whatever the type of the value.
 */
import { FLAG_SHARED_INT } from '../keyspace/object.js';
import { ReplyError } from '../keyspace/keyspace.js';
import { typeName, valueType } from '../keyspace/valuetypes.js';
import { compileGlob } from '../util/glob.js';
import { replyHelp } from './reply.js';
import { ERR_SYNTAX, INT64_MAX, INT64_MIN, argInt64, eqi, parseCursor } from './args.js';
import { headerReadFast } from './read_fast.js';
import type { CommandContext, CommandDef } from './types.js';

const ERR_NO_SUCH_KEY = 'ERR no such key';
const ERR_SAME_OBJECT = 'ERR source and destination objects are the same';

function del(ctx: CommandContext, argv: Buffer[]): void {
  const k = ctx.ks;
  let n = 0;
  for (let i = 1; i < argv.length; i++) if (k.delete(ctx.session.db, argv[i]!)) n++;
  ctx.reply.integer(n);
}

function exists(ctx: CommandContext, argv: Buffer[]): void {
  const k = ctx.ks;
  let n = 0;
  for (let i = 1; i < argv.length; i++) if (k.lookupRead(ctx.session.db, argv[i]!, false) !== 0) n++;
  ctx.reply.integer(n);
}

/** EXISTS without the lock (src/keyspace/peek.ts): LOOKUP_NOTOUCH, as exists(). */
function existsFast(ctx: CommandContext, argv: Buffer[]): boolean {
  const peek = ctx.ks.peek;
  if (!peek.begin()) return false;
  const db = ctx.session.db;
  let n = 0;
  for (let i = 1; i < argv.length; i++) {
    const e = peek.find(db, argv[i]!);
    if (e < 0) return false;
    if (e !== 0) n++;
  }
  if (!peek.end(false)) return false;
  ctx.reply.integer(n);
  return true;
}

function touch(ctx: CommandContext, argv: Buffer[]): void {
  const k = ctx.ks;
  let n = 0;
  for (let i = 1; i < argv.length; i++) {
    if (k.lookupRead(ctx.session.db, argv[i]!) !== 0) n++;
  }
  ctx.reply.integer(n);
}

function type(ctx: CommandContext, argv: Buffer[]): void {
  const k = ctx.ks;
  const e = k.lookupRead(ctx.session.db, argv[1]!, false);
  ctx.reply.simple(e === 0 ? 'none' : (typeName(k.type(e)) ?? 'none'));
}

function renameGeneric(ctx: CommandContext, argv: Buffer[], nx: boolean): void {
  const k = ctx.ks;
  const db = ctx.session.db;
  const e = k.lookupWrite(db, argv[1]!);
  if (e === 0) throw new ReplyError(ERR_NO_SUCH_KEY);
  if (argv[1]!.equals(argv[2]!)) {
    if (nx) ctx.reply.integer(0);
    else ctx.reply.ok();
    return;
  }
  if (nx && k.lookupWrite(db, argv[2]!) !== 0) {
    ctx.reply.integer(0);
    return;
  }
  k.rename(db, e, argv[2]!);
  if (nx) ctx.reply.integer(1);
  else ctx.reply.ok();
}

function keys(ctx: CommandContext, argv: Buffer[]): void {
  const k = ctx.ks;
  const all = argv[1]!.length === 1 && argv[1]![0] === 42;
  const match = all ? null : compileGlob(argv[1]!);
  const out: Buffer[] = [];
  for (const e of k.allEntries(ctx.session.db)) {
    const key = k.keyOf(e);
    if (match === null || match(key)) out.push(key);
  }
  ctx.reply.array(out.length);
  for (const key of out) ctx.reply.bulk(key);
}

function randomkey(ctx: CommandContext): void {
  const k = ctx.ks;
  const e = k.randomEntry(ctx.session.db);
  if (e === 0) ctx.reply.nullBulk();
  else ctx.reply.bulk(k.keyOf(e));
}

function scan(ctx: CommandContext, argv: Buffer[]): void {
  const cursor = parseCursor(argv[1]!);
  let count = 10;
  let match: ((s: Buffer) => boolean) | null = null;
  let typeArg: Buffer | null = null;
  for (let i = 2; i < argv.length; i++) {
    const more = argv.length - i - 1;
    if (eqi(argv[i]!, 'count') && more >= 1) {
      const v = argInt64(argv[i + 1]!);
      if (v < 1) throw new ReplyError(ERR_SYNTAX);
      count = Number(v);
      i++;
    } else if (eqi(argv[i]!, 'match') && more >= 1) {
      const p = argv[i + 1]!;
      match = p.length === 1 && p[0] === 42 ? null : compileGlob(p);
      i++;
    } else if (eqi(argv[i]!, 'type') && more >= 1) {
      typeArg = argv[i + 1]!;
      i++;
    } else throw new ReplyError(ERR_SYNTAX);
  }
  const k = ctx.ks;
  const entries: number[] = [];
  const next = cursor < 0 ? 0 : k.scan(ctx.session.db, cursor, Math.min(count, 1 << 20), entries);
  const keys: Buffer[] = [];
  const tn = typeArg === null ? null : typeArg.toString('latin1').toLowerCase();
  for (const e of entries) {
    const key = k.keyOf(e);
    if (match !== null && !match(key)) continue;
    if (tn !== null && typeName(k.type(e)) !== tn) continue;
    keys.push(key);
  }
  ctx.reply.array(2);
  ctx.reply.bulk(String(next));
  ctx.reply.array(keys.length);
  for (const key of keys) ctx.reply.bulk(key);
}

// ---------------------------------------------------------------- expiry

const EX_NX = 1;
const EX_XX = 2;
const EX_GT = 4;
const EX_LT = 8;

function expireGeneric(ctx: CommandContext, argv: Buffer[], basetime: number, seconds: boolean, name: string): void {
  let flag = 0;
  for (let j = 3; j < argv.length; j++) {
    const a = argv[j]!;
    if (eqi(a, 'nx')) flag |= EX_NX;
    else if (eqi(a, 'xx')) flag |= EX_XX;
    else if (eqi(a, 'gt')) flag |= EX_GT;
    else if (eqi(a, 'lt')) flag |= EX_LT;
    else throw new ReplyError(`ERR Unsupported option ${a.toString('latin1')}`);
  }
  if (flag & EX_NX && flag & (EX_XX | EX_GT | EX_LT)) throw new ReplyError('ERR NX and XX, GT or LT options at the same time are not compatible');
  if (flag & EX_GT && flag & EX_LT) throw new ReplyError('ERR GT and LT options at the same time are not compatible');
  let when = BigInt(argInt64(argv[2]!));
  const bad = () => new ReplyError(`ERR invalid expire time in '${name}' command`);
  if (seconds) {
    if (when > INT64_MAX / 1000n || when < INT64_MIN / 1000n) throw bad();
    when *= 1000n;
  }
  if (when > INT64_MAX - BigInt(basetime)) throw bad();
  when += BigInt(basetime);
  const k = ctx.ks;
  const db = ctx.session.db;
  const e = k.lookupWrite(db, argv[1]!);
  if (e === 0) {
    ctx.reply.integer(0);
    return;
  }
  if (flag) {
    const cur = k.expireAt(e);
    const curB = cur === 0 ? -1n : k.expireAtExact(e);
    if (flag & EX_NX && cur !== 0) return ctx.reply.integer(0);
    if (flag & EX_XX && cur === 0) return ctx.reply.integer(0);
    if (flag & EX_GT && (when <= curB || cur === 0)) return ctx.reply.integer(0);
    if (flag & EX_LT && cur !== 0 && when >= curB) return ctx.reply.integer(0);
  }
  if (when <= BigInt(k.now)) {
    k.removeEntry(db, e);
  } else {
    k.setExpireAt(db, e, when > BigInt(Number.MAX_SAFE_INTEGER) ? when : Number(when));
  }
  ctx.reply.integer(1);
}

function ttlGeneric(ctx: CommandContext, argv: Buffer[], ms: boolean, absolute: boolean): void {
  const k = ctx.ks;
  const e = k.lookupRead(ctx.session.db, argv[1]!, false);
  replyTtl(ctx, e, e === 0 ? 0n : k.expireAtExact(e), ms, absolute);
}

/** TTL and its kin without the lock (src/commands/read_fast.ts). */
function ttlFast(ms: boolean, absolute: boolean) {
  return headerReadFast(-1, false, (ctx, e) => replyTtl(ctx, e, e === 0 ? 0n : ctx.ks.peek.expireAtExact(e), ms, absolute));
}

/** The reply of TTL, PTTL, EXPIRETIME, PEXPIRETIME for entry e (0: none) expiring at `at` (0n: never). */
function replyTtl(ctx: CommandContext, e: number, at: bigint, ms: boolean, absolute: boolean): void {
  if (e === 0) return ctx.reply.integer(-2);
  if (at === 0n) return ctx.reply.integer(-1);
  if (absolute) return ctx.reply.integer(ms ? at : at / 1000n);
  let ttl = at - BigInt(ctx.ks.now);
  if (ttl < 0n) ttl = 0n;
  ctx.reply.integer(ms ? ttl : (ttl + 500n) / 1000n);
}

function persist(ctx: CommandContext, argv: Buffer[]): void {
  const k = ctx.ks;
  const e = k.lookupWrite(ctx.session.db, argv[1]!);
  if (e === 0 || k.expireAt(e) === 0) return ctx.reply.integer(0);
  k.setExpireAt(ctx.session.db, e, 0);
  ctx.reply.integer(1);
}

// ---------------------------------------------------------------- copy and move

function copy(ctx: CommandContext, argv: Buffer[]): void {
  const k = ctx.ks;
  const src = ctx.session.db;
  let dst = src;
  let replace = false;
  for (let j = 3; j < argv.length; j++) {
    const additional = argv.length - j - 1;
    if (eqi(argv[j]!, 'replace')) replace = true;
    else if (eqi(argv[j]!, 'db') && additional >= 1) {
      const id = argInt64(argv[j + 1]!);
      if (id < 0 || id >= k.databases) throw new ReplyError('ERR DB index is out of range');
      dst = Number(id);
      j++;
    } else throw new ReplyError(ERR_SYNTAX);
  }
  if (src === dst && argv[1]!.equals(argv[2]!)) throw new ReplyError(ERR_SAME_OBJECT);
  const e = k.lookupRead(src, argv[1]!);
  if (e === 0) return ctx.reply.integer(0);
  ctx.reply.integer(k.copy(src, e, dst, argv[2]!, replace) ? 1 : 0);
}

function move(ctx: CommandContext, argv: Buffer[]): void {
  const k = ctx.ks;
  const v = argInt64(argv[2]!);
  if (v < -2147483648 || v > 2147483647) throw new ReplyError('ERR value is out of range, value must between -2147483648 and 2147483647');
  const dst = Number(v);
  if (dst < 0 || dst >= k.databases) throw new ReplyError('ERR DB index is out of range');
  const src = ctx.session.db;
  if (src === dst) throw new ReplyError(ERR_SAME_OBJECT);
  const e = k.lookupWrite(src, argv[1]!);
  if (e === 0) return ctx.reply.integer(0);
  ctx.reply.integer(k.move(src, e, dst) ? 1 : 0);
}

// ---------------------------------------------------------------- OBJECT

/** Whether the shared maxmemory-policy is an LFU one (OBJECT FREQ / IDLETIME depend on it). */
function lfuPolicy(ctx: CommandContext): boolean {
  return ctx.ks.access.lfu;
}

function objectEncoding(ctx: CommandContext, argv: Buffer[]): void {
  const k = ctx.ks;
  const e = k.find(ctx.session.db, argv[2]!);
  if (e === 0) return ctx.reply.nullBulk();
  ctx.reply.bulk(valueType(k.type(e)).encoding(k, e));
}

function objectIdletime(ctx: CommandContext, argv: Buffer[]): void {
  const k = ctx.ks;
  const e = k.find(ctx.session.db, argv[2]!);
  if (e === 0) return ctx.reply.nullBulk();
  if (lfuPolicy(ctx)) {
    throw new ReplyError(
      'ERR An LFU maxmemory policy is selected, idle time not tracked. Please note that when switching between policies at runtime LRU and LFU data will take some time to adjust.',
    );
  }
  ctx.reply.integer(k.idleSeconds(e));
}

function objectFreq(ctx: CommandContext, argv: Buffer[]): void {
  const k = ctx.ks;
  const e = k.find(ctx.session.db, argv[2]!);
  if (e === 0) return ctx.reply.nullBulk();
  if (!lfuPolicy(ctx)) {
    throw new ReplyError(
      'ERR An LFU maxmemory policy is not selected, access frequency not tracked. Please note that when switching between policies at runtime LRU and LFU data will take some time to adjust.',
    );
  }
  ctx.reply.integer(k.lfuFrequency(e));
}

function objectRefcount(ctx: CommandContext, argv: Buffer[]): void {
  const k = ctx.ks;
  const e = k.find(ctx.session.db, argv[2]!);
  if (e === 0) return ctx.reply.nullBulk();
  // Redis's shared integer objects have refcount INT_MAX (whether the value was written as one is a flag)
  ctx.reply.integer(k.flags(e) & FLAG_SHARED_INT ? 2147483647 : 1);
}

const OBJECT_HELP = [
  'OBJECT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:',
  'ENCODING <key>',
  '    Return the kind of internal representation used in order to store the value',
  '    associated with a <key>.',
  'FREQ <key>',
  '    Return the access frequency index of the <key>. The returned integer is',
  '    proportional to the logarithm of the recent access frequency of the key.',
  'IDLETIME <key>',
  '    Return the idle time of the <key>, that is the approximated number of',
  '    seconds elapsed since the last access to the key.',
  'REFCOUNT <key>',
  '    Return the number of references of the value associated with the specified',
  '    <key>.',
  'HELP',
  '    Prints this help.',
];

function objectHelp(ctx: CommandContext): void {
  replyHelp(ctx.reply, OBJECT_HELP);
}

const rename = (c: CommandContext, a: Buffer[]) => renameGeneric(c, a, false);
const renamenx = (c: CommandContext, a: Buffer[]) => renameGeneric(c, a, true);
const expire = (c: CommandContext, a: Buffer[]) => expireGeneric(c, a, c.ks.now, true, 'expire');
const pexpire = (c: CommandContext, a: Buffer[]) => expireGeneric(c, a, c.ks.now, false, 'pexpire');
const expireat = (c: CommandContext, a: Buffer[]) => expireGeneric(c, a, 0, true, 'expireat');
const pexpireat = (c: CommandContext, a: Buffer[]) => expireGeneric(c, a, 0, false, 'pexpireat');
const ttl = (c: CommandContext, a: Buffer[]) => ttlGeneric(c, a, false, false);
const pttl = (c: CommandContext, a: Buffer[]) => ttlGeneric(c, a, true, false);
const expiretime = (c: CommandContext, a: Buffer[]) => ttlGeneric(c, a, false, true);
const pexpiretime = (c: CommandContext, a: Buffer[]) => ttlGeneric(c, a, true, true);

// ---------------------------------------------------------------- the table
// Metadata (flags, key specs, arguments, history) as Redis 7.0 declares it.

export const commands: CommandDef[] = [
  {
    name: 'del',
    handler: del,
    arity: -2,
    flags: ['write'],
    firstKey: 1,
    lastKey: -1,
    keyStep: 1,
    group: 'generic',
    summary: 'Delete a key',
    since: '1.0.0',
    complexity: 'O(N) where N is the number of keys that will be removed. When a key to remove holds a value other than a string, the individual complexity for this key is O(M) where M is the number of elements in the list, set, sorted set or hash. Removing a single key that holds a string value is O(1).',
    tips: ['request_policy:multi_shard', 'response_policy:agg_sum'],
    keySpecs: [
      {
        flags: ['RM', 'delete'],
        beginSearch: { type: 'index', index: 1 },
        findKeys: { type: 'range', lastKey: -1, keyStep: 1, limit: 0 },
      },
    ],
    args: [{ name: 'key', type: 'key', keySpecIndex: 0, flags: ['multiple'] }],
  },
  {
    name: 'unlink',
    handler: del,
    arity: -2,
    flags: ['write', 'fast'],
    firstKey: 1,
    lastKey: -1,
    keyStep: 1,
    group: 'generic',
    summary: 'Delete a key asynchronously in another thread. Otherwise it is just as DEL, but non blocking.',
    since: '4.0.0',
    complexity: 'O(1) for each key removed regardless of its size. Then the command does O(N) work in a different thread in order to reclaim memory, where N is the number of allocations the deleted objects where composed of.',
    tips: ['request_policy:multi_shard', 'response_policy:agg_sum'],
    keySpecs: [
      {
        flags: ['RM', 'delete'],
        beginSearch: { type: 'index', index: 1 },
        findKeys: { type: 'range', lastKey: -1, keyStep: 1, limit: 0 },
      },
    ],
    args: [{ name: 'key', type: 'key', keySpecIndex: 0, flags: ['multiple'] }],
  },
  {
    name: 'exists',
    handler: exists,
    readFast: existsFast,
    arity: -2,
    flags: ['readonly', 'fast'],
    firstKey: 1,
    lastKey: -1,
    keyStep: 1,
    group: 'generic',
    summary: 'Determine if a key exists',
    since: '1.0.0',
    complexity: 'O(N) where N is the number of keys to check.',
    tips: ['request_policy:multi_shard', 'response_policy:agg_sum'],
    keySpecs: [
      {
        flags: ['RO'],
        beginSearch: { type: 'index', index: 1 },
        findKeys: { type: 'range', lastKey: -1, keyStep: 1, limit: 0 },
      },
    ],
    history: [['3.0.3', 'Accepts multiple `key` arguments.']],
    args: [{ name: 'key', type: 'key', keySpecIndex: 0, flags: ['multiple'] }],
  },
  {
    name: 'touch',
    handler: touch,
    arity: -2,
    flags: ['readonly', 'fast'],
    firstKey: 1,
    lastKey: -1,
    keyStep: 1,
    group: 'generic',
    summary: 'Alters the last access time of a key(s). Returns the number of existing keys specified.',
    since: '3.2.1',
    complexity: 'O(N) where N is the number of keys that will be touched.',
    tips: ['request_policy:multi_shard', 'response_policy:agg_sum'],
    keySpecs: [
      {
        flags: ['RO'],
        beginSearch: { type: 'index', index: 1 },
        findKeys: { type: 'range', lastKey: -1, keyStep: 1, limit: 0 },
      },
    ],
    args: [{ name: 'key', type: 'key', keySpecIndex: 0, flags: ['multiple'] }],
  },
  {
    name: 'type',
    handler: type,
    readFast: headerReadFast(-1, false, (ctx, e) => ctx.reply.simple(e === 0 ? 'none' : (typeName(ctx.ks.type(e)) ?? 'none'))),
    arity: 2,
    flags: ['readonly', 'fast'],
    firstKey: 1,
    lastKey: 1,
    keyStep: 1,
    group: 'generic',
    summary: 'Determine the type stored at key',
    since: '1.0.0',
    complexity: 'O(1)',
    keySpecs: [
      {
        flags: ['RO'],
        beginSearch: { type: 'index', index: 1 },
        findKeys: { type: 'range', lastKey: 0, keyStep: 1, limit: 0 },
      },
    ],
    args: [{ name: 'key', type: 'key', keySpecIndex: 0 }],
  },
  {
    name: 'rename',
    handler: rename,
    arity: 3,
    flags: ['write'],
    firstKey: 1,
    lastKey: 2,
    keyStep: 1,
    group: 'generic',
    summary: 'Rename a key',
    since: '1.0.0',
    complexity: 'O(1)',
    keySpecs: [
      {
        flags: ['RW', 'access', 'delete'],
        beginSearch: { type: 'index', index: 1 },
        findKeys: { type: 'range', lastKey: 0, keyStep: 1, limit: 0 },
      },
      {
        flags: ['OW', 'update'],
        beginSearch: { type: 'index', index: 2 },
        findKeys: { type: 'range', lastKey: 0, keyStep: 1, limit: 0 },
      },
    ],
    args: [{ name: 'key', type: 'key', keySpecIndex: 0 }, { name: 'newkey', type: 'key', keySpecIndex: 1 }],
  },
  {
    name: 'renamenx',
    handler: renamenx,
    arity: 3,
    flags: ['write', 'fast'],
    firstKey: 1,
    lastKey: 2,
    keyStep: 1,
    group: 'generic',
    summary: 'Rename a key, only if the new key does not exist',
    since: '1.0.0',
    complexity: 'O(1)',
    keySpecs: [
      {
        flags: ['RW', 'access', 'delete'],
        beginSearch: { type: 'index', index: 1 },
        findKeys: { type: 'range', lastKey: 0, keyStep: 1, limit: 0 },
      },
      {
        flags: ['OW', 'insert'],
        beginSearch: { type: 'index', index: 2 },
        findKeys: { type: 'range', lastKey: 0, keyStep: 1, limit: 0 },
      },
    ],
    history: [
      ['3.2.0', 'The command no longer returns an error when source and destination names are the same.'],
    ],
    args: [{ name: 'key', type: 'key', keySpecIndex: 0 }, { name: 'newkey', type: 'key', keySpecIndex: 1 }],
  },
  {
    name: 'keys',
    handler: keys,
    arity: 2,
    flags: ['readonly'],
    firstKey: 0,
    lastKey: 0,
    keyStep: 0,
    group: 'generic',
    summary: 'Find all keys matching the given pattern',
    since: '1.0.0',
    complexity: 'O(N) with N being the number of keys in the database, under the assumption that the key names in the database and the given pattern have limited length.',
    acl: ['@dangerous'],
    tips: ['request_policy:all_shards', 'nondeterministic_output_order'],
    args: [{ name: 'pattern', type: 'pattern' }],
  },
  {
    name: 'randomkey',
    handler: randomkey,
    arity: 1,
    flags: ['readonly'],
    firstKey: 0,
    lastKey: 0,
    keyStep: 0,
    group: 'generic',
    summary: 'Return a random key from the keyspace',
    since: '1.0.0',
    complexity: 'O(1)',
    tips: ['request_policy:all_shards', 'nondeterministic_output'],
  },
  {
    name: 'scan',
    handler: scan,
    arity: -2,
    flags: ['readonly'],
    firstKey: 0,
    lastKey: 0,
    keyStep: 0,
    group: 'generic',
    summary: 'Incrementally iterate the keys space',
    since: '2.8.0',
    complexity: 'O(1) for every call. O(N) for a complete iteration, including enough command calls for the cursor to return back to 0. N is the number of elements inside the collection.',
    tips: ['nondeterministic_output', 'request_policy:special'],
    history: [['6.0.0', 'Added the `TYPE` subcommand.']],
    args: [
      { name: 'cursor', type: 'integer' },
      { name: 'pattern', type: 'pattern', token: 'MATCH', flags: ['optional'] },
      { name: 'count', type: 'integer', token: 'COUNT', flags: ['optional'] },
      { name: 'type', type: 'string', token: 'TYPE', since: '6.0.0', flags: ['optional'] },
    ],
  },
  {
    name: 'expire',
    handler: expire,
    arity: -3,
    flags: ['write', 'fast'],
    firstKey: 1,
    lastKey: 1,
    keyStep: 1,
    group: 'generic',
    summary: 'Set a key\'s time to live in seconds',
    since: '1.0.0',
    complexity: 'O(1)',
    history: [['7.0.0', 'Added options: `NX`, `XX`, `GT` and `LT`.']],
    args: [
      { name: 'key', type: 'key', keySpecIndex: 0 },
      { name: 'seconds', type: 'integer' },
      {
        name: 'condition',
        type: 'oneof',
        since: '7.0.0',
        flags: ['optional'],
        args: [
          { name: 'nx', type: 'pure-token', token: 'NX' },
          { name: 'xx', type: 'pure-token', token: 'XX' },
          { name: 'gt', type: 'pure-token', token: 'GT' },
          { name: 'lt', type: 'pure-token', token: 'LT' },
        ],
      },
    ],
  },
  {
    name: 'pexpire',
    handler: pexpire,
    arity: -3,
    flags: ['write', 'fast'],
    firstKey: 1,
    lastKey: 1,
    keyStep: 1,
    group: 'generic',
    summary: 'Set a key\'s time to live in milliseconds',
    since: '2.6.0',
    complexity: 'O(1)',
    history: [['7.0.0', 'Added options: `NX`, `XX`, `GT` and `LT`.']],
    args: [
      { name: 'key', type: 'key', keySpecIndex: 0 },
      { name: 'milliseconds', type: 'integer' },
      {
        name: 'condition',
        type: 'oneof',
        since: '7.0.0',
        flags: ['optional'],
        args: [
          { name: 'nx', type: 'pure-token', token: 'NX' },
          { name: 'xx', type: 'pure-token', token: 'XX' },
          { name: 'gt', type: 'pure-token', token: 'GT' },
          { name: 'lt', type: 'pure-token', token: 'LT' },
        ],
      },
    ],
  },
  {
    name: 'expireat',
    handler: expireat,
    arity: -3,
    flags: ['write', 'fast'],
    firstKey: 1,
    lastKey: 1,
    keyStep: 1,
    group: 'generic',
    summary: 'Set the expiration for a key as a UNIX timestamp',
    since: '1.2.0',
    complexity: 'O(1)',
    history: [['7.0.0', 'Added options: `NX`, `XX`, `GT` and `LT`.']],
    args: [
      { name: 'key', type: 'key', keySpecIndex: 0 },
      { name: 'unix-time-seconds', type: 'unix-time' },
      {
        name: 'condition',
        type: 'oneof',
        since: '7.0.0',
        flags: ['optional'],
        args: [
          { name: 'nx', type: 'pure-token', token: 'NX' },
          { name: 'xx', type: 'pure-token', token: 'XX' },
          { name: 'gt', type: 'pure-token', token: 'GT' },
          { name: 'lt', type: 'pure-token', token: 'LT' },
        ],
      },
    ],
  },
  {
    name: 'pexpireat',
    handler: pexpireat,
    arity: -3,
    flags: ['write', 'fast'],
    firstKey: 1,
    lastKey: 1,
    keyStep: 1,
    group: 'generic',
    summary: 'Set the expiration for a key as a UNIX timestamp specified in milliseconds',
    since: '2.6.0',
    complexity: 'O(1)',
    history: [['7.0.0', 'Added options: `NX`, `XX`, `GT` and `LT`.']],
    args: [
      { name: 'key', type: 'key', keySpecIndex: 0 },
      { name: 'unix-time-milliseconds', type: 'unix-time' },
      {
        name: 'condition',
        type: 'oneof',
        since: '7.0.0',
        flags: ['optional'],
        args: [
          { name: 'nx', type: 'pure-token', token: 'NX' },
          { name: 'xx', type: 'pure-token', token: 'XX' },
          { name: 'gt', type: 'pure-token', token: 'GT' },
          { name: 'lt', type: 'pure-token', token: 'LT' },
        ],
      },
    ],
  },
  {
    name: 'ttl',
    handler: ttl,
    readFast: ttlFast(false, false),
    arity: 2,
    flags: ['readonly', 'fast'],
    firstKey: 1,
    lastKey: 1,
    keyStep: 1,
    group: 'generic',
    summary: 'Get the time to live for a key in seconds',
    since: '1.0.0',
    complexity: 'O(1)',
    tips: ['nondeterministic_output'],
    history: [['2.8.0', 'Added the -2 reply.']],
    args: [{ name: 'key', type: 'key', keySpecIndex: 0 }],
  },
  {
    name: 'pttl',
    handler: pttl,
    readFast: ttlFast(true, false),
    arity: 2,
    flags: ['readonly', 'fast'],
    firstKey: 1,
    lastKey: 1,
    keyStep: 1,
    group: 'generic',
    summary: 'Get the time to live for a key in milliseconds',
    since: '2.6.0',
    complexity: 'O(1)',
    tips: ['nondeterministic_output'],
    history: [['2.8.0', 'Added the -2 reply.']],
    args: [{ name: 'key', type: 'key', keySpecIndex: 0 }],
  },
  {
    name: 'expiretime',
    handler: expiretime,
    readFast: ttlFast(false, true),
    arity: 2,
    flags: ['readonly', 'fast'],
    firstKey: 1,
    lastKey: 1,
    keyStep: 1,
    group: 'generic',
    summary: 'Get the expiration Unix timestamp for a key',
    since: '7.0.0',
    complexity: 'O(1)',
    args: [{ name: 'key', type: 'key', keySpecIndex: 0 }],
  },
  {
    name: 'pexpiretime',
    handler: pexpiretime,
    readFast: ttlFast(true, true),
    arity: 2,
    flags: ['readonly', 'fast'],
    firstKey: 1,
    lastKey: 1,
    keyStep: 1,
    group: 'generic',
    summary: 'Get the expiration Unix timestamp for a key in milliseconds',
    since: '7.0.0',
    complexity: 'O(1)',
    args: [{ name: 'key', type: 'key', keySpecIndex: 0 }],
  },
  {
    name: 'persist',
    handler: persist,
    arity: 2,
    flags: ['write', 'fast'],
    firstKey: 1,
    lastKey: 1,
    keyStep: 1,
    group: 'generic',
    summary: 'Remove the expiration from a key',
    since: '2.2.0',
    complexity: 'O(1)',
    args: [{ name: 'key', type: 'key', keySpecIndex: 0 }],
  },
  {
    name: 'copy',
    handler: copy,
    arity: -3,
    flags: ['write', 'denyoom'],
    firstKey: 1,
    lastKey: 2,
    keyStep: 1,
    group: 'generic',
    summary: 'Copy a key',
    since: '6.2.0',
    complexity: 'O(N) worst case for collections, where N is the number of nested items. O(1) for string values.',
    keySpecs: [
      {
        flags: ['RO', 'access'],
        beginSearch: { type: 'index', index: 1 },
        findKeys: { type: 'range', lastKey: 0, keyStep: 1, limit: 0 },
      },
      {
        flags: ['OW', 'update'],
        beginSearch: { type: 'index', index: 2 },
        findKeys: { type: 'range', lastKey: 0, keyStep: 1, limit: 0 },
      },
    ],
    args: [
      { name: 'source', type: 'key', keySpecIndex: 0 },
      { name: 'destination', type: 'key', keySpecIndex: 1 },
      { name: 'destination-db', type: 'integer', token: 'DB', flags: ['optional'] },
      { name: 'replace', type: 'pure-token', token: 'REPLACE', flags: ['optional'] },
    ],
  },
  {
    name: 'move',
    handler: move,
    arity: 3,
    flags: ['write', 'fast'],
    firstKey: 1,
    lastKey: 1,
    keyStep: 1,
    group: 'generic',
    summary: 'Move a key to another database',
    since: '1.0.0',
    complexity: 'O(1)',
    keySpecs: [
      {
        flags: ['RW', 'access', 'update'],
        beginSearch: { type: 'index', index: 1 },
        findKeys: { type: 'range', lastKey: 0, keyStep: 1, limit: 0 },
      },
    ],
    args: [{ name: 'key', type: 'key', keySpecIndex: 0 }, { name: 'db', type: 'integer' }],
  },
  {
    name: 'object',
    arity: -2,
    flags: [],
    firstKey: 0,
    lastKey: 0,
    keyStep: 0,
    group: 'generic',
    summary: 'A container for object introspection commands',
    since: '2.2.3',
    complexity: 'Depends on subcommand.',
    subcommands: [
      {
        name: 'freq',
        handler: objectFreq,
        arity: 3,
        flags: ['readonly'],
        firstKey: 2,
        lastKey: 2,
        keyStep: 1,
        group: 'generic',
        summary: 'Get the logarithmic access frequency counter of a Redis object',
        since: '4.0.0',
        complexity: 'O(1)',
        tips: ['nondeterministic_output'],
        keySpecs: [
          {
            flags: ['RO'],
            beginSearch: { type: 'index', index: 2 },
            findKeys: { type: 'range', lastKey: 0, keyStep: 1, limit: 0 },
          },
        ],
        args: [{ name: 'key', type: 'key', keySpecIndex: 0 }],
      },
      {
        name: 'help',
        handler: objectHelp,
        arity: 2,
        flags: ['loading', 'stale'],
        firstKey: 0,
        lastKey: 0,
        keyStep: 0,
        group: 'generic',
        summary: 'Show helpful text about the different subcommands',
        since: '6.2.0',
        complexity: 'O(1)',
      },
      {
        name: 'idletime',
        handler: objectIdletime,
        arity: 3,
        flags: ['readonly'],
        firstKey: 2,
        lastKey: 2,
        keyStep: 1,
        group: 'generic',
        summary: 'Get the time since a Redis object was last accessed',
        since: '2.2.3',
        complexity: 'O(1)',
        tips: ['nondeterministic_output'],
        keySpecs: [
          {
            flags: ['RO'],
            beginSearch: { type: 'index', index: 2 },
            findKeys: { type: 'range', lastKey: 0, keyStep: 1, limit: 0 },
          },
        ],
        args: [{ name: 'key', type: 'key', keySpecIndex: 0 }],
      },
      {
        name: 'encoding',
        handler: objectEncoding,
        arity: 3,
        flags: ['readonly'],
        firstKey: 2,
        lastKey: 2,
        keyStep: 1,
        group: 'generic',
        summary: 'Inspect the internal encoding of a Redis object',
        since: '2.2.3',
        complexity: 'O(1)',
        tips: ['nondeterministic_output'],
        keySpecs: [
          {
            flags: ['RO'],
            beginSearch: { type: 'index', index: 2 },
            findKeys: { type: 'range', lastKey: 0, keyStep: 1, limit: 0 },
          },
        ],
        args: [{ name: 'key', type: 'key', keySpecIndex: 0 }],
      },
      {
        name: 'refcount',
        handler: objectRefcount,
        arity: 3,
        flags: ['readonly'],
        firstKey: 2,
        lastKey: 2,
        keyStep: 1,
        group: 'generic',
        summary: 'Get the number of references to the value of the key',
        since: '2.2.3',
        complexity: 'O(1)',
        tips: ['nondeterministic_output'],
        keySpecs: [
          {
            flags: ['RO'],
            beginSearch: { type: 'index', index: 2 },
            findKeys: { type: 'range', lastKey: 0, keyStep: 1, limit: 0 },
          },
        ],
        args: [{ name: 'key', type: 'key', keySpecIndex: 0 }],
      },
    ],
  },
];
