/**
 * Hash commands, like Redis 7.0's t_hash.c: handlers parse arguments and reply; the data
 * work is the hash storage's (./storage.ts). Each handler runs inside one keyspace
 * operation: it either completes or leaves nothing behind.
 */
import { incrByFloat, parseRedisLongDouble } from '../../protocol/float.js';
import { str2ll } from '../../protocol/numbers.js';
import { OBJ_HASH } from '../../keyspace/object.js';
import { REASON } from '../../keyspace/changes.js';
import { ReplyError, WrongTypeError } from '../../keyspace/keyspace.js';
import { ERR_NOT_INT, ERR_RANDOM_COUNT, ERR_SYNTAX, INT64_MAX, INT64_MIN, MAX_RANDOM_REPLY, argInt64, eqi, parseCursor, parseScanOptions } from '../../commands/args.js';
import { headerReadFast, replyLength } from '../../commands/read_fast.js';
import type { CommandContext, CommandDef } from '../../commands/types.js';
import { registerSortHashField } from '../../commands/sort_family.js';
import {
  ENC_HT,
  deleteField,
  findHash,
  forEachPair,
  getValue,
  getValueCopy,
  hashLength,
  createHash,
  peekValue,
  randomPairs,
  randomUniquePairs,
  scanPairs,
  setField,
  tryConversion,
  type Span,
} from './storage.js';

const span: Span = { off: 0, len: 0 };

/** Reply with bytes straight from shared memory. */
function replyAt(ctx: CommandContext, off: number, len: number): void {
  const mem = ctx.ks.heap.mem;
  if (off + len <= mem.u8Limit) ctx.reply.bulkFrom(mem.u8, off, len);
  else ctx.reply.bulk(mem.view(off, len));
}

/** Whether the last writeOrCreate() made the key (a second result without a tuple per HSET). */
let justCreated = false;

/** lookupWriteOrCreate; whether the key was created is left in justCreated. */
function writeOrCreate(ctx: CommandContext, key: Buffer): number {
  const k = ctx.ks;
  const db = ctx.session.db;
  const before = findHash(k, db, key);
  justCreated = before === 0;
  return before !== 0 ? before : createHash(k, db, key);
}

// ---------------------------------------------------------------- writes

function hsetGeneric(ctx: CommandContext, argv: Buffer[], name: string): void {
  if (argv.length % 2 === 1) throw new ReplyError(`ERR wrong number of arguments for '${name}' command`);
  const k = ctx.ks;
  const e = writeOrCreate(ctx, argv[1]!);
  const created = justCreated;
  tryConversion(k, e, argv, 2, argv.length - 1);
  let added = 0;
  for (let i = 2; i < argv.length; i += 2) if (!setField(k, e, argv[i]!, argv[i + 1]!)) added++;
  if (!created) k.modified(ctx.session.db, e, REASON.modified);
  if (name === 'hset') ctx.reply.integer(added);
  else ctx.reply.ok();
}

function hset(ctx: CommandContext, argv: Buffer[]): void {
  hsetGeneric(ctx, argv, 'hset');
}

function hmset(ctx: CommandContext, argv: Buffer[]): void {
  hsetGeneric(ctx, argv, 'hmset');
}

function hsetnx(ctx: CommandContext, argv: Buffer[]): void {
  const k = ctx.ks;
  const e = writeOrCreate(ctx, argv[1]!);
  const created = justCreated;
  if (getValue(k, e, argv[2]!, span)) {
    ctx.reply.integer(0);
    return;
  }
  tryConversion(k, e, argv, 2, 3);
  setField(k, e, argv[2]!, argv[3]!);
  if (!created) k.modified(ctx.session.db, e, REASON.modified);
  ctx.reply.integer(1);
}

function hincrby(ctx: CommandContext, argv: Buffer[]): void {
  const incr = BigInt(argInt64(argv[3]!));
  const k = ctx.ks;
  const e = writeOrCreate(ctx, argv[1]!);
  const created = justCreated;
  let cur = 0n;
  if (getValue(k, e, argv[2]!, span)) {
    const v = str2ll(k.heap.mem.view(span.off, span.len), 0, span.len);
    if (v === null) throw new ReplyError('ERR hash value is not an integer');
    cur = BigInt(v);
  }
  const sum = cur + incr;
  if (sum > INT64_MAX || sum < INT64_MIN) throw new ReplyError('ERR increment or decrement would overflow');
  setField(k, e, argv[2]!, Buffer.from(sum.toString(), 'latin1'));
  if (!created) k.modified(ctx.session.db, e, REASON.modified);
  ctx.reply.integer(sum >= -9007199254740991n && sum <= 9007199254740991n ? Number(sum) : sum);
}

function hincrbyfloat(ctx: CommandContext, argv: Buffer[]): void {
  const inc = parseRedisLongDouble(argv[3]!);
  if (inc === null) throw new ReplyError('ERR value is not a valid float');
  if (!inc.isFinite()) throw new ReplyError('ERR value is NaN or Infinity');
  const k = ctx.ks;
  const e = writeOrCreate(ctx, argv[1]!);
  const created = justCreated;
  let cur: Uint8Array | null = null;
  if (getValue(k, e, argv[2]!, span)) cur = Buffer.from(k.heap.mem.view(span.off, span.len));
  const r = incrByFloat(cur, argv[3]!);
  if (!r.ok) {
    if (r.error === 'current-not-float') throw new ReplyError('ERR hash value is not a float');
    if (r.error === 'incr-not-float') throw new ReplyError('ERR value is not a valid float');
    throw new ReplyError('ERR increment would produce NaN or Infinity');
  }
  const text = Buffer.from(r.text, 'latin1');
  setField(k, e, argv[2]!, text);
  if (!created) k.modified(ctx.session.db, e, REASON.modified);
  ctx.reply.bulk(text);
}

function hdel(ctx: CommandContext, argv: Buffer[]): void {
  const k = ctx.ks;
  const db = ctx.session.db;
  const e = findHash(k, db, argv[1]!);
  if (e === 0) {
    ctx.reply.integer(0);
    return;
  }
  let deleted = 0;
  let removed = false;
  for (let i = 2; i < argv.length; i++) {
    if (deleteField(k, e, argv[i]!)) {
      deleted++;
      if (hashLength(k, e) === 0) {
        k.removeEntry(db, e, REASON.deleted);
        removed = true;
        break;
      }
    }
  }
  if (deleted > 0 && !removed) k.modified(db, e, REASON.modified);
  ctx.reply.integer(deleted);
}

// ---------------------------------------------------------------- reads

function readHash(ctx: CommandContext, key: Buffer): number {
  return findHash(ctx.ks, ctx.session.db, key, true);
}

/** HGET without the lock (src/keyspace/peek.ts): false leaves it to hget(). */
function hgetFast(ctx: CommandContext, argv: Buffer[]): boolean {
  const k = ctx.ks;
  const peek = k.peek;
  const e = peek.entry(ctx.session.db, argv[1]!);
  if (e < 0) return false;
  const reply = ctx.reply;
  let found: boolean | -1 = false;
  if (e !== 0) {
    // (WRONGTYPE, like every error, comes from the handler)
    if (k.type(e) !== OBJ_HASH) return false;
    found = peekValue(k, e, argv[2]!, peek.floor, peek.bound, span);
    if (found === -1 || (found && !peek.range(span.off, span.len))) return false;
  }
  const mark = reply.length;
  if (found) replyAt(ctx, span.off, span.len);
  else reply.nullBulk();
  if (peek.end()) return true;
  reply.truncate(mark);
  return false;
}

function hget(ctx: CommandContext, argv: Buffer[]): void {
  const e = readHash(ctx, argv[1]!);
  if (e !== 0 && getValue(ctx.ks, e, argv[2]!, span)) replyAt(ctx, span.off, span.len);
  else ctx.reply.nullBulk();
}

function hmget(ctx: CommandContext, argv: Buffer[]): void {
  const k = ctx.ks;
  const e = k.lookupRead(ctx.session.db, argv[1]!);
  if (e !== 0 && k.type(e) !== OBJ_HASH) throw new WrongTypeError();
  ctx.reply.array(argv.length - 2);
  for (let i = 2; i < argv.length; i++) {
    if (e !== 0 && getValue(k, e, argv[i]!, span)) replyAt(ctx, span.off, span.len);
    else ctx.reply.nullBulk();
  }
}

function hlen(ctx: CommandContext, argv: Buffer[]): void {
  const e = readHash(ctx, argv[1]!);
  ctx.reply.integer(e === 0 ? 0 : hashLength(ctx.ks, e));
}

function hstrlen(ctx: CommandContext, argv: Buffer[]): void {
  const e = readHash(ctx, argv[1]!);
  ctx.reply.integer(e !== 0 && getValue(ctx.ks, e, argv[2]!, span) ? span.len : 0);
}

function hexists(ctx: CommandContext, argv: Buffer[]): void {
  const e = readHash(ctx, argv[1]!);
  ctx.reply.integer(e !== 0 && getValue(ctx.ks, e, argv[2]!, span) ? 1 : 0);
}

const KEYS = 1;
const VALUES = 2;

function getallGeneric(ctx: CommandContext, argv: Buffer[], what: number): void {
  const e = readHash(ctx, argv[1]!);
  const both = what === (KEYS | VALUES);
  const n = e === 0 ? 0 : hashLength(ctx.ks, e);
  if (both) ctx.reply.map(n);
  else ctx.reply.array(n);
  if (e === 0) return;
  forEachPair(ctx.ks, e, (foff, flen, voff, vlen) => {
    if (what & KEYS) replyAt(ctx, foff, flen);
    if (what & VALUES) replyAt(ctx, voff, vlen);
  });
}

function hkeys(ctx: CommandContext, argv: Buffer[]): void {
  getallGeneric(ctx, argv, KEYS);
}

function hvals(ctx: CommandContext, argv: Buffer[]): void {
  getallGeneric(ctx, argv, VALUES);
}

function hgetall(ctx: CommandContext, argv: Buffer[]): void {
  getallGeneric(ctx, argv, KEYS | VALUES);
}

// ---------------------------------------------------------------- HRANDFIELD

const LONG_MAX = 9223372036854775807n;

function replyPairs(ctx: CommandContext, pairs: number[], withvalues: boolean): void {
  const resp3 = ctx.reply.resp === 3;
  for (let i = 0; i < pairs.length; i += 4) {
    if (withvalues && resp3) ctx.reply.array(2);
    replyAt(ctx, pairs[i]!, pairs[i + 1]!);
    if (withvalues) replyAt(ctx, pairs[i + 2]!, pairs[i + 3]!);
  }
}

function hrandfieldWithCount(ctx: CommandContext, argv: Buffer[], l: bigint, withvalues: boolean): void {
  const k = ctx.ks;
  const e = readHash(ctx, argv[1]!);
  if (e === 0) {
    ctx.reply.array(0);
    return;
  }
  const size = hashLength(k, e);
  const uniq = l >= 0n;
  const count = Number(uniq ? l : -l);
  if (count === 0) {
    ctx.reply.array(0);
    return;
  }
  const resp2 = ctx.reply.resp === 2;
  // CASE 1: a negative count (or 1): independent picks, repetitions allowed
  if (!uniq || count === 1) {
    if (count > MAX_RANDOM_REPLY) throw new ReplyError(ERR_RANDOM_COUNT);
    ctx.reply.array(withvalues && resp2 ? count * 2 : count);
    for (let left = count; left > 0; ) {
      const n = Math.min(left, 1000);
      left -= n;
      replyPairs(ctx, randomPairs(k, e, n, Math.random), withvalues);
    }
    return;
  }
  const replySize = Math.min(count, size);
  ctx.reply.array(withvalues && resp2 ? replySize * 2 : replySize);
  // CASE 2: the whole hash
  if (count >= size) {
    const all: number[] = [];
    forEachPair(k, e, (a, b, c, d) => all.push(a, b, c, d));
    replyPairs(ctx, all, withvalues);
    return;
  }
  // CASE 3 / 4: distinct random fields
  replyPairs(ctx, randomUniquePairs(k, e, count, Math.random), withvalues);
}

function hrandfield(ctx: CommandContext, argv: Buffer[]): void {
  if (argv.length >= 3) {
    const v = str2ll(argv[2]!, 0, argv[2]!.length);
    if (v === null) throw new ReplyError(ERR_NOT_INT);
    const l = BigInt(v);
    if (l < -LONG_MAX) throw new ReplyError('ERR value is out of range, value must between -9223372036854775807 and 9223372036854775807');
    if (argv.length > 4 || (argv.length === 4 && !eqi(argv[3]!, 'withvalues'))) throw new ReplyError(ERR_SYNTAX);
    const withvalues = argv.length === 4;
    // (a count whose reply would need more than LONG_MAX elements)
    if (withvalues && l < -LONG_MAX / 2n) throw new ReplyError('ERR value is out of range');
    hrandfieldWithCount(ctx, argv, l, withvalues);
    return;
  }
  const e = readHash(ctx, argv[1]!);
  if (e === 0) {
    ctx.reply.nullBulk();
    return;
  }
  const p = randomPairs(ctx.ks, e, 1, Math.random);
  replyAt(ctx, p[0]!, p[1]!);
}

// ---------------------------------------------------------------- HSCAN

function hscan(ctx: CommandContext, argv: Buffer[]): void {
  const cursor = parseCursor(argv[2]!);
  const k = ctx.ks;
  const e = readHash(ctx, argv[1]!);
  if (e === 0) {
    ctx.reply.array(2);
    ctx.reply.bulk('0');
    ctx.reply.array(0);
    return;
  }
  const { count, match } = parseScanOptions(argv);
  const pairs: number[] = [];
  // a cursor past 2^32 is past the table's end (a listpack hash is returned whole anyway)
  const next = cursor < 0 && k.encoding(e) === ENC_HT ? 0 : scanPairs(k, e, Math.max(cursor, 0), Math.min(count, 1 << 20), pairs);
  const mem = k.heap.mem;
  const keep: number[] = [];
  for (let i = 0; i < pairs.length; i += 4) {
    if (match !== null && !match(mem.view(pairs[i]!, pairs[i + 1]!))) continue;
    keep.push(pairs[i]!, pairs[i + 1]!, pairs[i + 2]!, pairs[i + 3]!);
  }
  ctx.reply.array(2);
  ctx.reply.bulk(String(next));
  ctx.reply.array(keep.length / 2);
  for (let i = 0; i < keep.length; i += 4) {
    replyAt(ctx, keep[i]!, keep[i + 1]!);
    replyAt(ctx, keep[i + 2]!, keep[i + 3]!);
  }
}

// ---------------------------------------------------------------- SORT … BY/GET key->field

registerSortHashField(getValueCopy);

// ---------------------------------------------------------------- the table

export const commands: CommandDef[] = [
  {
    name: 'hset',
    handler: hset,
    arity: -4,
    flags: ['write', 'denyoom', 'fast'],
    firstKey: 1,
    lastKey: 1,
    keyStep: 1,
    group: 'hash',
    summary: 'Set the string value of a hash field',
    since: '2.0.0',
    complexity: 'O(1) for each field/value pair added, so O(N) to add N field/value pairs when the command is called with multiple field/value pairs.',
    history: [['4.0.0', 'Accepts multiple `field` and `value` arguments.']],
    args: [
      { name: 'key', type: 'key', keySpecIndex: 0 },
      {
        name: 'field_value',
        type: 'block',
        flags: ['multiple'],
        args: [{ name: 'field', type: 'string' }, { name: 'value', type: 'string' }],
      },
    ],
  },
  {
    name: 'hsetnx',
    handler: hsetnx,
    arity: 4,
    flags: ['write', 'denyoom', 'fast'],
    firstKey: 1,
    lastKey: 1,
    keyStep: 1,
    group: 'hash',
    summary: 'Set the value of a hash field, only if the field does not exist',
    since: '2.0.0',
    complexity: 'O(1)',
    keySpecs: [
      {
        flags: ['RW', 'insert'],
        beginSearch: { type: 'index', index: 1 },
        findKeys: { type: 'range', lastKey: 0, keyStep: 1, limit: 0 },
      },
    ],
    args: [
      { name: 'key', type: 'key', keySpecIndex: 0 },
      { name: 'field', type: 'string' },
      { name: 'value', type: 'string' },
    ],
  },
  {
    name: 'hget',
    handler: hget,
    readFast: hgetFast,
    arity: 3,
    flags: ['readonly', 'fast'],
    firstKey: 1,
    lastKey: 1,
    keyStep: 1,
    group: 'hash',
    summary: 'Get the value of a hash field',
    since: '2.0.0',
    complexity: 'O(1)',
    args: [{ name: 'key', type: 'key', keySpecIndex: 0 }, { name: 'field', type: 'string' }],
  },
  {
    name: 'hmget',
    handler: hmget,
    arity: -3,
    flags: ['readonly', 'fast'],
    firstKey: 1,
    lastKey: 1,
    keyStep: 1,
    group: 'hash',
    summary: 'Get the values of all the given hash fields',
    since: '2.0.0',
    complexity: 'O(N) where N is the number of fields being requested.',
    args: [
      { name: 'key', type: 'key', keySpecIndex: 0 },
      { name: 'field', type: 'string', flags: ['multiple'] },
    ],
  },
  {
    name: 'hmset',
    handler: hmset,
    arity: -4,
    flags: ['write', 'denyoom', 'fast'],
    firstKey: 1,
    lastKey: 1,
    keyStep: 1,
    group: 'hash',
    summary: 'Set multiple hash fields to multiple values',
    since: '2.0.0',
    complexity: 'O(N) where N is the number of fields being set.',
    docFlags: ['deprecated'],
    deprecatedSince: '4.0.0',
    replacedBy: '`HSET` with multiple field-value pairs',
    args: [
      { name: 'key', type: 'key', keySpecIndex: 0 },
      {
        name: 'field_value',
        type: 'block',
        flags: ['multiple'],
        args: [{ name: 'field', type: 'string' }, { name: 'value', type: 'string' }],
      },
    ],
  },
  {
    name: 'hdel',
    handler: hdel,
    arity: -3,
    flags: ['write', 'fast'],
    firstKey: 1,
    lastKey: 1,
    keyStep: 1,
    group: 'hash',
    summary: 'Delete one or more hash fields',
    since: '2.0.0',
    complexity: 'O(N) where N is the number of fields to be removed.',
    keySpecs: [
      {
        flags: ['RW', 'delete'],
        beginSearch: { type: 'index', index: 1 },
        findKeys: { type: 'range', lastKey: 0, keyStep: 1, limit: 0 },
      },
    ],
    history: [['2.4.0', 'Accepts multiple `field` arguments.']],
    args: [
      { name: 'key', type: 'key', keySpecIndex: 0 },
      { name: 'field', type: 'string', flags: ['multiple'] },
    ],
  },
  {
    name: 'hlen',
    handler: hlen,
    readFast: headerReadFast(OBJ_HASH, true, replyLength),
    arity: 2,
    flags: ['readonly', 'fast'],
    firstKey: 1,
    lastKey: 1,
    keyStep: 1,
    group: 'hash',
    summary: 'Get the number of fields in a hash',
    since: '2.0.0',
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
    name: 'hstrlen',
    handler: hstrlen,
    arity: 3,
    flags: ['readonly', 'fast'],
    firstKey: 1,
    lastKey: 1,
    keyStep: 1,
    group: 'hash',
    summary: 'Get the length of the value of a hash field',
    since: '3.2.0',
    complexity: 'O(1)',
    keySpecs: [
      {
        flags: ['RO'],
        beginSearch: { type: 'index', index: 1 },
        findKeys: { type: 'range', lastKey: 0, keyStep: 1, limit: 0 },
      },
    ],
    args: [{ name: 'key', type: 'key', keySpecIndex: 0 }, { name: 'field', type: 'string' }],
  },
  {
    name: 'hexists',
    handler: hexists,
    arity: 3,
    flags: ['readonly', 'fast'],
    firstKey: 1,
    lastKey: 1,
    keyStep: 1,
    group: 'hash',
    summary: 'Determine if a hash field exists',
    since: '2.0.0',
    complexity: 'O(1)',
    keySpecs: [
      {
        flags: ['RO'],
        beginSearch: { type: 'index', index: 1 },
        findKeys: { type: 'range', lastKey: 0, keyStep: 1, limit: 0 },
      },
    ],
    args: [{ name: 'key', type: 'key', keySpecIndex: 0 }, { name: 'field', type: 'string' }],
  },
  {
    name: 'hkeys',
    handler: hkeys,
    arity: 2,
    flags: ['readonly'],
    firstKey: 1,
    lastKey: 1,
    keyStep: 1,
    group: 'hash',
    summary: 'Get all the fields in a hash',
    since: '2.0.0',
    complexity: 'O(N) where N is the size of the hash.',
    tips: ['nondeterministic_output_order'],
    args: [{ name: 'key', type: 'key', keySpecIndex: 0 }],
  },
  {
    name: 'hvals',
    handler: hvals,
    arity: 2,
    flags: ['readonly'],
    firstKey: 1,
    lastKey: 1,
    keyStep: 1,
    group: 'hash',
    summary: 'Get all the values in a hash',
    since: '2.0.0',
    complexity: 'O(N) where N is the size of the hash.',
    tips: ['nondeterministic_output_order'],
    args: [{ name: 'key', type: 'key', keySpecIndex: 0 }],
  },
  {
    name: 'hgetall',
    handler: hgetall,
    arity: 2,
    flags: ['readonly'],
    firstKey: 1,
    lastKey: 1,
    keyStep: 1,
    group: 'hash',
    summary: 'Get all the fields and values in a hash',
    since: '2.0.0',
    complexity: 'O(N) where N is the size of the hash.',
    tips: ['nondeterministic_output_order'],
    args: [{ name: 'key', type: 'key', keySpecIndex: 0 }],
  },
  {
    name: 'hincrby',
    handler: hincrby,
    arity: 4,
    flags: ['write', 'denyoom', 'fast'],
    firstKey: 1,
    lastKey: 1,
    keyStep: 1,
    group: 'hash',
    summary: 'Increment the integer value of a hash field by the given number',
    since: '2.0.0',
    complexity: 'O(1)',
    keySpecs: [
      {
        flags: ['RW', 'access', 'update'],
        beginSearch: { type: 'index', index: 1 },
        findKeys: { type: 'range', lastKey: 0, keyStep: 1, limit: 0 },
      },
    ],
    args: [
      { name: 'key', type: 'key', keySpecIndex: 0 },
      { name: 'field', type: 'string' },
      { name: 'increment', type: 'integer' },
    ],
  },
  {
    name: 'hincrbyfloat',
    handler: hincrbyfloat,
    arity: 4,
    flags: ['write', 'denyoom', 'fast'],
    firstKey: 1,
    lastKey: 1,
    keyStep: 1,
    group: 'hash',
    summary: 'Increment the float value of a hash field by the given amount',
    since: '2.6.0',
    complexity: 'O(1)',
    keySpecs: [
      {
        flags: ['RW', 'access', 'update'],
        beginSearch: { type: 'index', index: 1 },
        findKeys: { type: 'range', lastKey: 0, keyStep: 1, limit: 0 },
      },
    ],
    args: [
      { name: 'key', type: 'key', keySpecIndex: 0 },
      { name: 'field', type: 'string' },
      { name: 'increment', type: 'double' },
    ],
  },
  {
    name: 'hrandfield',
    handler: hrandfield,
    arity: -2,
    flags: ['readonly'],
    firstKey: 1,
    lastKey: 1,
    keyStep: 1,
    group: 'hash',
    summary: 'Get one or multiple random fields from a hash',
    since: '6.2.0',
    complexity: 'O(N) where N is the number of fields returned',
    tips: ['nondeterministic_output'],
    args: [
      { name: 'key', type: 'key', keySpecIndex: 0 },
      {
        name: 'options',
        type: 'block',
        flags: ['optional'],
        args: [
          { name: 'count', type: 'integer' },
          { name: 'withvalues', type: 'pure-token', token: 'WITHVALUES', flags: ['optional'] },
        ],
      },
    ],
  },
  {
    name: 'hscan',
    handler: hscan,
    arity: -3,
    flags: ['readonly'],
    firstKey: 1,
    lastKey: 1,
    keyStep: 1,
    group: 'hash',
    summary: 'Incrementally iterate hash fields and associated values',
    since: '2.8.0',
    complexity: 'O(1) for every call. O(N) for a complete iteration, including enough command calls for the cursor to return back to 0. N is the number of elements inside the collection..',
    tips: ['nondeterministic_output'],
    args: [
      { name: 'key', type: 'key', keySpecIndex: 0 },
      { name: 'cursor', type: 'integer' },
      { name: 'pattern', type: 'pattern', token: 'MATCH', flags: ['optional'] },
      { name: 'count', type: 'integer', token: 'COUNT', flags: ['optional'] },
    ],
  },
];
