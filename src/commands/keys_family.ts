/**
 * Keys and expiry, like Redis's db.c and expire.c: handlers parse and reply, the
 * keyspace (src/store) does the data work.
 */
import { str2ll } from '../protocol/numbers.js';
import { ENC_EMBSTR, ENC_INT, OBJ_STRING, TYPE_NAMES } from '../store/object.js';
import { ReplyError, type Keyspace } from '../store/keyspace.js';
import { compileGlob } from '../util/glob.js';
import { replyHelp } from './registry.js';
import { ERR_SYNTAX, INT64_MAX, INT64_MIN, argInt64, eqi } from './args.js';
import type { CommandContext, CommandDef } from './types.js';

function ks(ctx: CommandContext): Keyspace {
  return ctx.store as unknown as Keyspace;
}

const ERR_NO_SUCH_KEY = 'ERR no such key';
const ERR_SAME_OBJECT = 'ERR source and destination objects are the same';

function del(ctx: CommandContext, argv: Buffer[]): void {
  const k = ks(ctx);
  let n = 0;
  for (let i = 1; i < argv.length; i++) if (k.delete(ctx.client.db, argv[i]!)) n++;
  ctx.reply.integer(n);
}

function exists(ctx: CommandContext, argv: Buffer[]): void {
  const k = ks(ctx);
  let n = 0;
  for (let i = 1; i < argv.length; i++) if (k.lookupRead(ctx.client.db, argv[i]!) !== 0) n++;
  ctx.reply.integer(n);
}

function touch(ctx: CommandContext, argv: Buffer[]): void {
  const k = ks(ctx);
  let n = 0;
  for (let i = 1; i < argv.length; i++) {
    const e = k.find(ctx.client.db, argv[i]!);
    if (e !== 0) {
      k.touchEntry(e);
      n++;
    }
  }
  ctx.reply.integer(n);
}

function type(ctx: CommandContext, argv: Buffer[]): void {
  const k = ks(ctx);
  const e = k.find(ctx.client.db, argv[1]!);
  ctx.reply.simple(e === 0 ? 'none' : TYPE_NAMES[k.type(e)]!);
}

function renameGeneric(ctx: CommandContext, argv: Buffer[], nx: boolean): void {
  const k = ks(ctx);
  const db = ctx.client.db;
  const e = k.find(db, argv[1]!);
  if (e === 0) throw new ReplyError(ERR_NO_SUCH_KEY);
  if (argv[1]!.equals(argv[2]!)) {
    if (nx) ctx.reply.integer(0);
    else ctx.reply.ok();
    return;
  }
  if (nx && k.find(db, argv[2]!) !== 0) {
    ctx.reply.integer(0);
    return;
  }
  k.rename(db, e, argv[2]!);
  if (nx) ctx.reply.integer(1);
  else ctx.reply.ok();
}

function keys(ctx: CommandContext, argv: Buffer[]): void {
  const k = ks(ctx);
  const all = argv[1]!.length === 1 && argv[1]![0] === 42;
  const match = all ? null : compileGlob(argv[1]!);
  const out: Buffer[] = [];
  for (const e of k.allEntries(ctx.client.db)) {
    const key = k.keyOf(e);
    if (match === null || match(key)) out.push(key);
  }
  ctx.reply.array(out.length);
  for (const key of out) ctx.reply.bulk(key);
}

function randomkey(ctx: CommandContext): void {
  const k = ks(ctx);
  const e = k.randomEntry(ctx.client.db);
  if (e === 0) ctx.reply.nullBulk();
  else ctx.reply.bulk(k.keyOf(e));
}

/** strtoul-style cursor parsing, as Redis's parseScanCursorOrReply. */
function parseCursor(arg: Buffer): number {
  let i = 0;
  let neg = false;
  if (arg.length > 0 && (arg[0] === 32 || (arg[0]! >= 9 && arg[0]! <= 13))) throw new ReplyError('ERR invalid cursor');
  if (arg[i] === 43 || arg[i] === 45) {
    neg = arg[i] === 45;
    i++;
  }
  if (i === arg.length) {
    if (arg.length === 0) return 0;
    throw new ReplyError('ERR invalid cursor');
  }
  let v = 0n;
  for (; i < arg.length; i++) {
    const c = arg[i]!;
    if (c < 48 || c > 57) throw new ReplyError('ERR invalid cursor');
    v = v * 10n + BigInt(c - 48);
    if (v > 0xffffffffffffffffn) throw new ReplyError('ERR invalid cursor');
  }
  if (neg && v !== 0n) v = 2n ** 64n - v;
  // Our cursors are hash positions below 2^32: anything past is the end.
  return v >= 2n ** 32n ? -1 : Number(v);
}

function scan(ctx: CommandContext, argv: Buffer[]): void {
  const cursor = parseCursor(argv[1]!);
  let count = 10;
  let match: ((s: Buffer) => boolean) | null = null;
  let typeName: Buffer | null = null;
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
      typeName = argv[i + 1]!;
      i++;
    } else throw new ReplyError(ERR_SYNTAX);
  }
  const k = ks(ctx);
  const entries: number[] = [];
  const next = cursor < 0 ? 0 : k.scan(ctx.client.db, cursor, Math.min(count, 1 << 20), entries);
  const keys: Buffer[] = [];
  const tn = typeName === null ? null : typeName.toString('latin1').toLowerCase();
  for (const e of entries) {
    const key = k.keyOf(e);
    if (match !== null && !match(key)) continue;
    if (tn !== null && TYPE_NAMES[k.type(e)] !== tn) continue;
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
  const k = ks(ctx);
  const db = ctx.client.db;
  const e = k.find(db, argv[1]!);
  if (e === 0) {
    ctx.reply.integer(0);
    return;
  }
  if (flag) {
    const cur = k.expireAt(e);
    const curB = cur === 0 ? -1n : BigInt(cur);
    if (flag & EX_NX && cur !== 0) return ctx.reply.integer(0);
    if (flag & EX_XX && cur === 0) return ctx.reply.integer(0);
    if (flag & EX_GT && (when <= curB || cur === 0)) return ctx.reply.integer(0);
    if (flag & EX_LT && cur !== 0 && when >= curB) return ctx.reply.integer(0);
  }
  if (when <= BigInt(k.now)) {
    k.removeEntry(db, e);
  } else {
    k.setExpireAt(db, e, Number(when));
  }
  ctx.reply.integer(1);
}

function ttlGeneric(ctx: CommandContext, argv: Buffer[], ms: boolean, absolute: boolean): void {
  const k = ks(ctx);
  const e = k.lookupRead(ctx.client.db, argv[1]!);
  if (e === 0) return ctx.reply.integer(-2);
  const at = k.expireAt(e);
  if (at === 0) return ctx.reply.integer(-1);
  if (absolute) return ctx.reply.integer(ms ? at : Math.floor(at / 1000));
  const ttl = Math.max(0, at - k.now);
  ctx.reply.integer(ms ? ttl : Math.floor((ttl + 500) / 1000));
}

function persist(ctx: CommandContext, argv: Buffer[]): void {
  const k = ks(ctx);
  const e = k.find(ctx.client.db, argv[1]!);
  if (e === 0 || k.expireAt(e) === 0) return ctx.reply.integer(0);
  k.setExpireAt(ctx.client.db, e, 0);
  ctx.reply.integer(1);
}

// ---------------------------------------------------------------- copy and move

function copy(ctx: CommandContext, argv: Buffer[]): void {
  const k = ks(ctx);
  const src = ctx.client.db;
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
  const k = ks(ctx);
  const v = argInt64(argv[2]!);
  if (v < -2147483648 || v > 2147483647) throw new ReplyError('ERR value is out of range, value must between -2147483648 and 2147483647');
  const dst = Number(v);
  if (dst < 0 || dst >= k.databases) throw new ReplyError('ERR DB index is out of range');
  const src = ctx.client.db;
  if (src === dst) throw new ReplyError(ERR_SAME_OBJECT);
  const e = k.find(src, argv[1]!);
  if (e === 0) return ctx.reply.integer(0);
  ctx.reply.integer(k.move(src, e, dst) ? 1 : 0);
}

// ---------------------------------------------------------------- OBJECT

const ENCODING_NAMES: Record<number, string> = { [ENC_INT]: 'int', [ENC_EMBSTR]: 'embstr', 0: 'raw' };

function lfuPolicy(ctx: CommandContext): boolean {
  return ctx.server.config.str('maxmemory-policy').includes('lfu');
}

function objectEncoding(ctx: CommandContext, argv: Buffer[]): void {
  const k = ks(ctx);
  const e = k.find(ctx.client.db, argv[2]!);
  if (e === 0) return ctx.reply.nullBulk();
  ctx.reply.bulk(ENCODING_NAMES[k.encoding(e)] ?? 'raw');
}

function objectIdletime(ctx: CommandContext, argv: Buffer[]): void {
  const k = ks(ctx);
  const e = k.find(ctx.client.db, argv[2]!);
  if (e === 0) return ctx.reply.nullBulk();
  if (lfuPolicy(ctx)) {
    throw new ReplyError(
      'ERR An LFU maxmemory policy is selected, idle time not tracked. Please note that when switching between policies at runtime LRU and LFU data will take some time to adjust.',
    );
  }
  ctx.reply.integer(k.idleSeconds(e));
}

function objectFreq(ctx: CommandContext, argv: Buffer[]): void {
  const k = ks(ctx);
  const e = k.find(ctx.client.db, argv[2]!);
  if (e === 0) return ctx.reply.nullBulk();
  if (!lfuPolicy(ctx)) {
    throw new ReplyError(
      'ERR An LFU maxmemory policy is not selected, access frequency not tracked. Please note that when switching between policies at runtime LRU and LFU data will take some time to adjust.',
    );
  }
  ctx.reply.integer(0);
}

function objectRefcount(ctx: CommandContext, argv: Buffer[]): void {
  const k = ks(ctx);
  const e = k.find(ctx.client.db, argv[2]!);
  if (e === 0) return ctx.reply.nullBulk();
  // Redis shares the integers 0..9999 (refcount INT_MAX) unless an LRU/LFU policy needs per-key metadata.
  if (k.type(e) === OBJ_STRING && k.encoding(e) === ENC_INT) {
    const v = str2ll(k.readString(e), 0, k.valueLength(e));
    const p = ctx.server.config.str('maxmemory-policy');
    const evictsByUse = p.includes('lru') || p.includes('lfu');
    if (typeof v === 'number' && v >= 0 && v < 10000 && !evictsByUse) return ctx.reply.integer(2147483647);
  }
  ctx.reply.integer(1);
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

// ---------------------------------------------------------------- the table

const G = { group: 'generic' } as const;
const keyed = { firstKey: 1, lastKey: 1, keyStep: 1 } as const;
const objSub = (name: string, summary: string, handler: CommandDef['handler'], complexity = 'O(1)'): CommandDef => ({
  name,
  arity: 3,
  flags: ['readonly'],
  firstKey: 2,
  lastKey: 2,
  keyStep: 1,
  ...G,
  since: name === 'freq' ? '4.0.0' : '2.2.3',
  complexity,
  summary,
  handler,
});

export const commands: CommandDef[] = [
  { name: 'del', arity: -2, flags: ['write'], firstKey: 1, lastKey: -1, keyStep: 1, ...G, since: '1.0.0', complexity: 'O(N) where N is the number of keys that will be removed. When a key to remove holds a value other than a string, the individual complexity for this key is O(M) where M is the number of elements in the list, set, sorted set or hash. Removing a single key that holds a string value is O(1).', summary: 'Delete a key', handler: del },
  { name: 'unlink', arity: -2, flags: ['write', 'fast'], firstKey: 1, lastKey: -1, keyStep: 1, ...G, since: '4.0.0', complexity: 'O(1) for each key removed regardless of its size. Then the command does O(N) work in a different thread in order to reclaim memory, where N is the number of allocations the deleted objects where composed of.', summary: 'Delete a key asynchronously in another thread. Otherwise it is just as DEL, but non blocking.', handler: del },
  { name: 'exists', arity: -2, flags: ['readonly', 'fast'], firstKey: 1, lastKey: -1, keyStep: 1, ...G, since: '1.0.0', complexity: 'O(N) where N is the number of keys to check.', summary: 'Determine if a key exists', handler: exists },
  { name: 'touch', arity: -2, flags: ['readonly', 'fast'], firstKey: 1, lastKey: -1, keyStep: 1, ...G, since: '3.2.1', complexity: 'O(N) where N is the number of keys that will be touched.', summary: 'Alters the last access time of a key(s). Returns the number of existing keys specified.', handler: touch },
  { name: 'type', arity: 2, flags: ['readonly', 'fast'], ...keyed, ...G, since: '1.0.0', complexity: 'O(1)', summary: 'Determine the type stored at key', handler: type },
  { name: 'rename', arity: 3, flags: ['write'], firstKey: 1, lastKey: 2, keyStep: 1, ...G, since: '1.0.0', complexity: 'O(1)', summary: 'Rename a key', handler: (c, a) => renameGeneric(c, a, false) },
  { name: 'renamenx', arity: 3, flags: ['write', 'fast'], firstKey: 1, lastKey: 2, keyStep: 1, ...G, since: '1.0.0', complexity: 'O(1)', summary: 'Rename a key, only if the new key does not exist', handler: (c, a) => renameGeneric(c, a, true) },
  { name: 'keys', arity: 2, flags: ['readonly'], firstKey: 0, lastKey: 0, keyStep: 0, ...G, since: '1.0.0', complexity: 'O(N) with N being the number of keys in the database, under the assumption that the key names in the database and the given pattern have limited length.', summary: 'Find all keys matching the given pattern', handler: keys, tips: ['request_policy:all_shards', 'nondeterministic_output_order'] },
  { name: 'randomkey', arity: 1, flags: ['readonly'], firstKey: 0, lastKey: 0, keyStep: 0, ...G, since: '1.0.0', complexity: 'O(1)', summary: 'Return a random key from the keyspace', handler: randomkey, tips: ['request_policy:all_shards', 'nondeterministic_output'] },
  { name: 'scan', arity: -2, flags: ['readonly'], firstKey: 0, lastKey: 0, keyStep: 0, ...G, since: '2.8.0', complexity: 'O(1) for every call. O(N) for a complete iteration, including enough command calls for the cursor to return back to 0. N is the number of elements inside the collection.', summary: 'Incrementally iterate the keys space', handler: scan, tips: ['nondeterministic_output', 'request_policy:special'] },
  { name: 'expire', arity: -3, flags: ['write', 'fast'], ...keyed, ...G, since: '1.0.0', complexity: 'O(1)', summary: 'Set a key\'s time to live in seconds', handler: (c, a) => expireGeneric(c, a, ks(c).now, true, 'expire') },
  { name: 'pexpire', arity: -3, flags: ['write', 'fast'], ...keyed, ...G, since: '2.6.0', complexity: 'O(1)', summary: 'Set a key\'s time to live in milliseconds', handler: (c, a) => expireGeneric(c, a, ks(c).now, false, 'pexpire') },
  { name: 'expireat', arity: -3, flags: ['write', 'fast'], ...keyed, ...G, since: '1.2.0', complexity: 'O(1)', summary: 'Set the expiration for a key as a UNIX timestamp', handler: (c, a) => expireGeneric(c, a, 0, true, 'expireat') },
  { name: 'pexpireat', arity: -3, flags: ['write', 'fast'], ...keyed, ...G, since: '2.6.0', complexity: 'O(1)', summary: 'Set the expiration for a key as a UNIX timestamp specified in milliseconds', handler: (c, a) => expireGeneric(c, a, 0, false, 'pexpireat') },
  { name: 'ttl', arity: 2, flags: ['readonly', 'fast'], ...keyed, ...G, since: '1.0.0', complexity: 'O(1)', summary: 'Get the time to live for a key in seconds', handler: (c, a) => ttlGeneric(c, a, false, false), tips: ['nondeterministic_output'] },
  { name: 'pttl', arity: 2, flags: ['readonly', 'fast'], ...keyed, ...G, since: '2.6.0', complexity: 'O(1)', summary: 'Get the time to live for a key in milliseconds', handler: (c, a) => ttlGeneric(c, a, true, false), tips: ['nondeterministic_output'] },
  { name: 'expiretime', arity: 2, flags: ['readonly', 'fast'], ...keyed, ...G, since: '7.0.0', complexity: 'O(1)', summary: 'Get the expiration Unix timestamp for a key', handler: (c, a) => ttlGeneric(c, a, false, true) },
  { name: 'pexpiretime', arity: 2, flags: ['readonly', 'fast'], ...keyed, ...G, since: '7.0.0', complexity: 'O(1)', summary: 'Get the expiration Unix timestamp for a key in milliseconds', handler: (c, a) => ttlGeneric(c, a, true, true) },
  { name: 'persist', arity: 2, flags: ['write', 'fast'], ...keyed, ...G, since: '2.2.0', complexity: 'O(1)', summary: 'Remove the expiration from a key', handler: persist },
  { name: 'copy', arity: -3, flags: ['write', 'denyoom'], firstKey: 1, lastKey: 2, keyStep: 1, ...G, since: '6.2.0', complexity: 'O(N) worst case for collections, where N is the number of nested items. O(1) for string values.', summary: 'Copy a key', handler: copy },
  { name: 'move', arity: 3, flags: ['write', 'fast'], ...keyed, ...G, since: '1.0.0', complexity: 'O(1)', summary: 'Move a key to another database', handler: move },
  {
    name: 'object',
    arity: -2,
    flags: [],
    firstKey: 0,
    lastKey: 0,
    keyStep: 0,
    ...G,
    since: '2.2.3',
    complexity: 'Depends on subcommand.',
    summary: 'A container for object introspection commands',
    subcommands: [
      objSub('encoding', 'Inspect the internal encoding of a Redis object', objectEncoding),
      objSub('freq', 'Get the logarithmic access frequency counter of a Redis object', objectFreq),
      objSub('idletime', 'Get the time since a Redis object was last accessed', objectIdletime),
      objSub('refcount', 'Get the number of references to the value of the key', objectRefcount),
      { name: 'help', arity: 2, flags: ['loading', 'stale'], firstKey: 0, lastKey: 0, keyStep: 0, ...G, since: '6.2.0', complexity: 'O(1)', summary: 'Show helpful text about the different subcommands', handler: objectHelp },
    ],
  },
];
