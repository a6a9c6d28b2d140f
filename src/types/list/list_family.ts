/**
 * List commands, like Redis 7.0's t_list.c (the blocking ones, BLPOP & co., wait through
 * src/commands/blocking.ts when they find nothing): handlers parse arguments and reply; the data work is the list
 * storage's (./storage.ts) and the keyspace's seam. Each handler runs inside one keyspace
 * operation: it either completes or leaves nothing behind.
 */
import { ReplyError, WrongTypeError } from '../../keyspace/keyspace.js';
import { OBJ_LIST } from '../../keyspace/object.js';
import { blockForKeys, canBlock, parseTimeout } from '../../commands/blocking.js';
import { ERR_NOT_INT, ERR_SYNTAX, argInt64, eqi } from '../../commands/args.js';
import { headerReadFast, replyLength } from '../../commands/read_fast.js';
import type { CommandContext, CommandDef } from '../../commands/types.js';
import { registerSortSource, registerSortStore } from '../../commands/sort_family.js';
import { REASON } from '../../keyspace/changes.js';
import {
  cursorAt,
  cursorNext,
  cursorPrev,
  entryAt,
  entryData,
  entryEquals,
  entryLength,
  findList,
  insertAt,
  listLength,
  listMove,
  listPop,
  listPopOne,
  listItems,
  listPush,
  listRange,
  listSettle,
  listTrim,
  removeMatching,
  replaceAt,
  type Where,
} from './storage.js';

/** Reply with an element straight from shared memory. */
function replyEntry(ctx: CommandContext, at: number): void {
  const heap = ctx.ks.heap;
  const off = entryData(heap, at);
  const len = entryLength(heap, at);
  const mem = heap.mem;
  if (off + len <= mem.u8Limit) ctx.reply.bulkFrom(mem.u8, off, len);
  else ctx.reply.bulk(mem.view(off, len));
}

function replyItems(ctx: CommandContext, items: Buffer[]): void {
  ctx.reply.array(items.length);
  for (const it of items) ctx.reply.bulk(it);
}

/** getLongFromObjectOrReply as a number (beyond 2^53 rounded: only ever compared with lengths). */
function argLong(arg: Uint8Array, err = ERR_NOT_INT): number {
  return Number(argInt64(arg, err));
}

/** getPositiveLongFromObjectOrReply with a message for both failures. */
function argPositive(arg: Uint8Array, err: string): number {
  const v = argLong(arg, err);
  if (v < 0) throw new ReplyError(err);
  return v;
}

/** getListPositionFromObjectOrReply */
function argWhere(arg: Uint8Array): Where {
  if (eqi(arg, 'right')) return 'right';
  if (eqi(arg, 'left')) return 'left';
  throw new ReplyError(ERR_SYNTAX);
}

// ---------------------------------------------------------------- pushes and pops

const push = (where: Where, onlyIfExists: boolean) => (ctx: CommandContext, argv: Buffer[]) => {
  ctx.reply.integer(listPush(ctx.ks, ctx.session.db, argv[1]!, where, argv, onlyIfExists, 2));
};

const pop = (where: Where) => (ctx: CommandContext, argv: Buffer[]) => {
  if (argv.length > 3) throw new ReplyError(`ERR wrong number of arguments for '${where === 'left' ? 'lpop' : 'rpop'}' command`);
  const hasCount = argv.length === 3;
  const count = hasCount ? argPositive(argv[2]!, 'ERR value is out of range, must be positive') : 1;
  const ks = ctx.ks;
  const db = ctx.session.db;
  const e = findList(ks, db, argv[1]!);
  if (e === 0) {
    if (hasCount) ctx.reply.nullArray();
    else ctx.reply.nullBulk();
    return;
  }
  if (hasCount && count === 0) {
    ctx.reply.array(0);
    return;
  }
  if (!hasCount) {
    // the element goes from shared memory into the reply (an error after it truncates the
    // reply back to the command's start)
    if (!listPopOne(ks, db, e, where, ctx.reply)) ctx.reply.nullBulk();
    return;
  }
  replyItems(ctx, listPop(ks, db, e, where, count));
};

/**
 * LMPOP / BLMPOP arguments from numkeys (at argv[at]) on: the keys, the end, the count
 * (Redis's lmpopGenericCommand).
 */
function parseMpop(argv: Buffer[], at: number): { keys: Buffer[]; where: Where; count: number } {
  const NUMKEYS = 'ERR numkeys should be greater than 0';
  const numkeys = argLong(argv[at]!, NUMKEYS);
  if (numkeys < 1) throw new ReplyError(NUMKEYS);
  const whereIdx = at + numkeys + 1;
  if (whereIdx >= argv.length) throw new ReplyError(ERR_SYNTAX);
  const where = argWhere(argv[whereIdx]!);
  let count = -1;
  for (let j = whereIdx + 1; j < argv.length; j++) {
    if (count === -1 && eqi(argv[j]!, 'count') && j + 1 < argv.length) {
      j++;
      const COUNT = 'ERR count should be greater than 0';
      count = argLong(argv[j]!, COUNT);
      if (count < 1) throw new ReplyError(COUNT);
    } else throw new ReplyError(ERR_SYNTAX);
  }
  return { keys: argv.slice(at + 1, whereIdx), where, count: count === -1 ? 1 : count };
}

function lmpop(ctx: CommandContext, argv: Buffer[]): void {
  const { keys, where, count } = parseMpop(argv, 1);
  const ks = ctx.ks;
  const db = ctx.session.db;
  for (const key of keys) {
    const e = findList(ks, db, key);
    if (e === 0 || listLength(ks, e) === 0) continue;
    const items = listPop(ks, db, e, where, count);
    ctx.reply.array(2);
    ctx.reply.bulk(key);
    replyItems(ctx, items);
    return;
  }
  ctx.reply.nullArray();
}

const move = (fixed: [Where, Where] | null) => (ctx: CommandContext, argv: Buffer[]) => {
  const [from, to] = fixed ?? [argWhere(argv[3]!), argWhere(argv[4]!)];
  const v = listMove(ctx.ks, ctx.session.db, argv[1]!, argv[2]!, from, to);
  if (v === null) ctx.reply.nullBulk();
  else ctx.reply.bulk(v);
};

// ---------------------------------------------------------------- blocking pops (Redis's blockingPopGenericCommand, blmoveGenericCommand)

/** What a blocking list command waits for: keys of db, for a list; timeoutAt absolute ms (0: none). */
function waitForLists(ctx: CommandContext, keys: Buffer[], timeoutAt: number): void {
  blockForKeys(ctx, { db: ctx.session.db, keys: keys.map((k) => Buffer.from(k)), type: OBJ_LIST, timeoutAt });
}

/**
 * The first of keys holding a non-empty list (0 when none). WRONGTYPE for a key of another
 * type, except when the server runs a waiting command again: Redis 7.0 keeps such a client
 * waiting.
 */
function firstNonEmpty(ctx: CommandContext, keys: Buffer[]): [Buffer, number] | null {
  const ks = ctx.ks;
  const db = ctx.session.db;
  for (const key of keys) {
    const e = ks.lookupWrite(db, key);
    if (e === 0) continue;
    if (ks.type(e) !== OBJ_LIST) {
      if (ctx.session.rerun) continue;
      throw new WrongTypeError();
    }
    if (listLength(ks, e) > 0) return [key, e];
  }
  return null;
}

/** BLPOP / BRPOP key [key ...] timeout */
const bpop = (where: Where) => (ctx: CommandContext, argv: Buffer[]) => {
  const timeoutAt = parseTimeout(argv[argv.length - 1]!);
  const keys = argv.slice(1, -1);
  const hit = firstNonEmpty(ctx, keys);
  if (hit === null) {
    waitForLists(ctx, keys, timeoutAt);
    return;
  }
  const [key, e] = hit;
  const v = listPop(ctx.ks, ctx.session.db, e, where, 1)[0]!;
  ctx.reply.array(2);
  ctx.reply.bulk(key);
  ctx.reply.bulk(v);
};

/** BLMPOP timeout numkeys key [key ...] LEFT|RIGHT [COUNT count] */
function blmpop(ctx: CommandContext, argv: Buffer[]): void {
  const timeoutAt = parseTimeout(argv[1]!);
  const { keys, where, count } = parseMpop(argv, 2);
  const hit = firstNonEmpty(ctx, keys);
  if (hit === null) {
    waitForLists(ctx, keys, timeoutAt);
    return;
  }
  const [key, e] = hit;
  const items = listPop(ctx.ks, ctx.session.db, e, where, count);
  ctx.reply.array(2);
  ctx.reply.bulk(key);
  replyItems(ctx, items);
}

/** BRPOPLPUSH source destination timeout / BLMOVE source destination LEFT|RIGHT LEFT|RIGHT timeout */
const bmove = (fixed: [Where, Where] | null) => (ctx: CommandContext, argv: Buffer[]) => {
  const [from, to] = fixed ?? [argWhere(argv[3]!), argWhere(argv[4]!)];
  const timeoutAt = parseTimeout(argv[argv.length - 1]!);
  const ks = ctx.ks;
  const db = ctx.session.db;
  const src = argv[1]!;
  const s = ks.lookupWrite(db, src);
  const rerun = ctx.session.rerun;
  if (s !== 0 && ks.type(s) !== OBJ_LIST && !rerun) throw new WrongTypeError();
  if (s === 0 || ks.type(s) !== OBJ_LIST) {
    // (inside MULTI Redis answers a null bulk here, but a null array on a timeout)
    if (canBlock(ctx)) waitForLists(ctx, [src], timeoutAt);
    else ctx.reply.nullBulk();
    return;
  }
  // (a destination of another type answers WRONGTYPE, waiting or not, and leaves the source as it was)
  const v = listMove(ks, db, src, argv[2]!, from, to);
  if (v === null) ctx.reply.nullBulk();
  else ctx.reply.bulk(v);
};

// ---------------------------------------------------------------- reading

function llen(ctx: CommandContext, argv: Buffer[]): void {
  const ks = ctx.ks;
  const e = findList(ks, ctx.session.db, argv[1]!, true);
  ctx.reply.integer(e === 0 ? 0 : listLength(ks, e));
}

function lindex(ctx: CommandContext, argv: Buffer[]): void {
  const ks = ctx.ks;
  const e = findList(ks, ctx.session.db, argv[1]!, true);
  if (e === 0) {
    ctx.reply.nullBulk();
    return;
  }
  const at = entryAt(ks, e, argLong(argv[2]!));
  if (at === 0) ctx.reply.nullBulk();
  else replyEntry(ctx, at);
}

/** Normalized [start, end] of a range over llen elements, or null when empty (lrangeCommand's rules). */
function normRange(start: number, end: number, llen: number): [number, number] | null {
  if (start < 0) start = llen + start;
  if (end < 0) end = llen + end;
  if (start < 0) start = 0;
  if (start > end || start >= llen) return null;
  if (end >= llen) end = llen - 1;
  return [start, end];
}

function lrange(ctx: CommandContext, argv: Buffer[]): void {
  const start = argLong(argv[2]!);
  const end = argLong(argv[3]!);
  const ks = ctx.ks;
  const e = findList(ks, ctx.session.db, argv[1]!, true);
  const r = e === 0 ? null : normRange(start, end, listLength(ks, e));
  if (r === null) {
    ctx.reply.array(0);
    return;
  }
  const heap = ks.heap;
  ctx.reply.array(r[1] - r[0] + 1);
  const c = cursorAt(ks, e, r[0]);
  for (let i = r[0]; ; i++) {
    replyEntry(ctx, c.at);
    if (i === r[1] || !cursorNext(heap, c)) break;
  }
}

function lpos(ctx: CommandContext, argv: Buffer[]): void {
  const ele = argv[2]!;
  let rank = 1;
  let count = -1;
  let maxlen = 0;
  let rankMin = false;
  for (let j = 3; j < argv.length; j++) {
    const more = argv.length - 1 - j;
    if (eqi(argv[j]!, 'rank') && more) {
      const v = argInt64(argv[++j]!);
      // Redis 7.0 negates LONG_MIN into itself: from the tail, every match is past the rank
      // and COUNT's limit (matches-rank+1 overflows) never stops the walk
      rankMin = v === -9223372036854775808n;
      rank = rankMin ? -1 : Number(v);
      if (rank === 0) throw new ReplyError("ERR RANK can't be zero: use 1 to start from the first match, 2 from the second ... or use negative to start from the end of the list");
    } else if (eqi(argv[j]!, 'count') && more) {
      count = argPositive(argv[++j]!, "ERR COUNT can't be negative");
    } else if (eqi(argv[j]!, 'maxlen') && more) {
      maxlen = argPositive(argv[++j]!, "ERR MAXLEN can't be negative");
    } else throw new ReplyError(ERR_SYNTAX);
  }
  const forward = rank > 0;
  if (rank < 0) rank = -rank;
  const ks = ctx.ks;
  const w = ctx.reply;
  const e = findList(ks, ctx.session.db, argv[1]!, true);
  if (e === 0) {
    if (count !== -1) w.array(0);
    else w.nullBulk();
    return;
  }
  const heap = ks.heap;
  const llen = listLength(ks, e);
  const found: number[] = [];
  let matchIndex = -1;
  const c = cursorAt(ks, e, forward ? 0 : llen - 1);
  let index = 0;
  let matches = 0;
  for (let ok = true; ok && (maxlen === 0 || index < maxlen); ok = forward ? cursorNext(heap, c) : cursorPrev(heap, c)) {
    if (entryEquals(heap, c.at, ele)) {
      matchIndex = forward ? index : llen - index - 1;
      matches++;
      if (matches >= rank) {
        if (count !== -1) {
          found.push(matchIndex);
          if (count && !rankMin && matches - rank + 1 >= count) break;
        } else break;
      }
    }
    index++;
    matchIndex = -1;
  }
  if (count !== -1) {
    w.array(found.length);
    for (const i of found) w.integer(i);
  } else if (matchIndex !== -1) w.integer(matchIndex);
  else w.nullBulk();
}

// ---------------------------------------------------------------- editing

function lset(ctx: CommandContext, argv: Buffer[]): void {
  const ks = ctx.ks;
  const db = ctx.session.db;
  const e = findList(ks, db, argv[1]!);
  if (e === 0) throw new ReplyError('ERR no such key');
  let index = argLong(argv[2]!);
  const len = listLength(ks, e);
  if (index < 0) index += len;
  if (index < 0 || index >= len) throw new ReplyError('ERR index out of range');
  replaceAt(ks, e, index, argv[3]!);
  listSettle(ks, db, e);
  ctx.reply.ok();
}

function ltrim(ctx: CommandContext, argv: Buffer[]): void {
  const start = argLong(argv[2]!);
  const end = argLong(argv[3]!);
  const ks = ctx.ks;
  const db = ctx.session.db;
  const e = findList(ks, db, argv[1]!);
  if (e !== 0) {
    const llen = listLength(ks, e);
    const r = normRange(start, end, llen);
    if (r === null) listTrim(ks, db, e, llen, 0);
    else listTrim(ks, db, e, r[0], llen - r[1] - 1);
  }
  ctx.reply.ok();
}

function linsert(ctx: CommandContext, argv: Buffer[]): void {
  let after: boolean;
  if (eqi(argv[2]!, 'after')) after = true;
  else if (eqi(argv[2]!, 'before')) after = false;
  else throw new ReplyError(ERR_SYNTAX);
  const ks = ctx.ks;
  const db = ctx.session.db;
  const e = findList(ks, db, argv[1]!);
  if (e === 0) {
    ctx.reply.integer(0);
    return;
  }
  const heap = ks.heap;
  const pivot = argv[3]!;
  const c = cursorAt(ks, e, 0);
  let idx = -1;
  for (let i = 0, ok = true; ok; i++, ok = cursorNext(heap, c)) {
    if (entryEquals(heap, c.at, pivot)) {
      idx = i;
      break;
    }
  }
  if (idx < 0) {
    ctx.reply.integer(-1);
    return;
  }
  insertAt(ks, e, after ? idx + 1 : idx, argv[4]!);
  listSettle(ks, db, e);
  ctx.reply.integer(listLength(ks, e));
}

function lrem(ctx: CommandContext, argv: Buffer[]): void {
  const count = argLong(argv[2]!);
  const ks = ctx.ks;
  const db = ctx.session.db;
  const e = findList(ks, db, argv[1]!);
  if (e === 0) {
    ctx.reply.integer(0);
    return;
  }
  const removed = removeMatching(ks, e, argv[3]!, Math.abs(count), count < 0);
  if (removed > 0) listSettle(ks, db, e);
  ctx.reply.integer(removed);
}

// ---------------------------------------------------------------- SORT

// SORT reads lists in their order (from the tail with DESC when nothing is sorted) and
// STORE writes a list: the key is replaced (its TTL goes), as Redis's setKey
registerSortSource(OBJ_LIST, {
  elements: listItems,
  range(ks, e, start, end, desc) {
    if (!desc) return listRange(ks, e, start, end);
    const len = listLength(ks, e);
    return listRange(ks, e, len - 1 - end, len - 1 - start).reverse();
  },
});
registerSortStore((ks, db, key, items) => {
  const old = ks.lookupWrite(db, key);
  if (old !== 0) ks.removeEntry(db, old, REASON.overwritten);
  listPush(ks, db, key, 'right', items);
});

// ---------------------------------------------------------------- the table
// Metadata as Redis 7.0 declares it (gen-command-defs against redis-server 7.0.15).

export const commands: CommandDef[] = [
  {
    name: 'lpush',
    handler: push('left', false),
    arity: -3,
    flags: ['write', 'denyoom', 'fast'],
    firstKey: 1,
    lastKey: 1,
    keyStep: 1,
    group: 'list',
    summary: 'Prepend one or multiple elements to a list',
    since: '1.0.0',
    complexity: 'O(1) for each element added, so O(N) to add N elements when the command is called with multiple arguments.',
    keySpecs: [
      {
        flags: ['RW', 'insert'],
        beginSearch: { type: 'index', index: 1 },
        findKeys: { type: 'range', lastKey: 0, keyStep: 1, limit: 0 },
      },
    ],
    history: [['2.4.0', 'Accepts multiple `element` arguments.']],
    args: [
      { name: 'key', type: 'key', keySpecIndex: 0 },
      { name: 'element', type: 'string', flags: ['multiple'] },
    ],
  },
  {
    name: 'rpush',
    handler: push('right', false),
    arity: -3,
    flags: ['write', 'denyoom', 'fast'],
    firstKey: 1,
    lastKey: 1,
    keyStep: 1,
    group: 'list',
    summary: 'Append one or multiple elements to a list',
    since: '1.0.0',
    complexity: 'O(1) for each element added, so O(N) to add N elements when the command is called with multiple arguments.',
    keySpecs: [
      {
        flags: ['RW', 'insert'],
        beginSearch: { type: 'index', index: 1 },
        findKeys: { type: 'range', lastKey: 0, keyStep: 1, limit: 0 },
      },
    ],
    history: [['2.4.0', 'Accepts multiple `element` arguments.']],
    args: [
      { name: 'key', type: 'key', keySpecIndex: 0 },
      { name: 'element', type: 'string', flags: ['multiple'] },
    ],
  },
  {
    name: 'lpushx',
    handler: push('left', true),
    arity: -3,
    flags: ['write', 'denyoom', 'fast'],
    firstKey: 1,
    lastKey: 1,
    keyStep: 1,
    group: 'list',
    summary: 'Prepend an element to a list, only if the list exists',
    since: '2.2.0',
    complexity: 'O(1) for each element added, so O(N) to add N elements when the command is called with multiple arguments.',
    keySpecs: [
      {
        flags: ['RW', 'insert'],
        beginSearch: { type: 'index', index: 1 },
        findKeys: { type: 'range', lastKey: 0, keyStep: 1, limit: 0 },
      },
    ],
    history: [['4.0.0', 'Accepts multiple `element` arguments.']],
    args: [
      { name: 'key', type: 'key', keySpecIndex: 0 },
      { name: 'element', type: 'string', flags: ['multiple'] },
    ],
  },
  {
    name: 'rpushx',
    handler: push('right', true),
    arity: -3,
    flags: ['write', 'denyoom', 'fast'],
    firstKey: 1,
    lastKey: 1,
    keyStep: 1,
    group: 'list',
    summary: 'Append an element to a list, only if the list exists',
    since: '2.2.0',
    complexity: 'O(1) for each element added, so O(N) to add N elements when the command is called with multiple arguments.',
    keySpecs: [
      {
        flags: ['RW', 'insert'],
        beginSearch: { type: 'index', index: 1 },
        findKeys: { type: 'range', lastKey: 0, keyStep: 1, limit: 0 },
      },
    ],
    history: [['4.0.0', 'Accepts multiple `element` arguments.']],
    args: [
      { name: 'key', type: 'key', keySpecIndex: 0 },
      { name: 'element', type: 'string', flags: ['multiple'] },
    ],
  },
  {
    name: 'lpop',
    handler: pop('left'),
    arity: -2,
    flags: ['write', 'fast'],
    firstKey: 1,
    lastKey: 1,
    keyStep: 1,
    group: 'list',
    summary: 'Remove and get the first elements in a list',
    since: '1.0.0',
    complexity: 'O(N) where N is the number of elements returned',
    keySpecs: [
      {
        flags: ['RW', 'access', 'delete'],
        beginSearch: { type: 'index', index: 1 },
        findKeys: { type: 'range', lastKey: 0, keyStep: 1, limit: 0 },
      },
    ],
    history: [['6.2.0', 'Added the `count` argument.']],
    args: [
      { name: 'key', type: 'key', keySpecIndex: 0 },
      { name: 'count', type: 'integer', since: '6.2.0', flags: ['optional'] },
    ],
  },
  {
    name: 'rpop',
    handler: pop('right'),
    arity: -2,
    flags: ['write', 'fast'],
    firstKey: 1,
    lastKey: 1,
    keyStep: 1,
    group: 'list',
    summary: 'Remove and get the last elements in a list',
    since: '1.0.0',
    complexity: 'O(N) where N is the number of elements returned',
    keySpecs: [
      {
        flags: ['RW', 'access', 'delete'],
        beginSearch: { type: 'index', index: 1 },
        findKeys: { type: 'range', lastKey: 0, keyStep: 1, limit: 0 },
      },
    ],
    history: [['6.2.0', 'Added the `count` argument.']],
    args: [
      { name: 'key', type: 'key', keySpecIndex: 0 },
      { name: 'count', type: 'integer', since: '6.2.0', flags: ['optional'] },
    ],
  },
  {
    name: 'llen',
    handler: llen,
    readFast: headerReadFast(OBJ_LIST, true, replyLength),
    arity: 2,
    flags: ['readonly', 'fast'],
    firstKey: 1,
    lastKey: 1,
    keyStep: 1,
    group: 'list',
    summary: 'Get the length of a list',
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
    name: 'lrange',
    handler: lrange,
    arity: 4,
    flags: ['readonly'],
    firstKey: 1,
    lastKey: 1,
    keyStep: 1,
    group: 'list',
    summary: 'Get a range of elements from a list',
    since: '1.0.0',
    complexity: 'O(S+N) where S is the distance of start offset from HEAD for small lists, from nearest end (HEAD or TAIL) for large lists; and N is the number of elements in the specified range.',
    args: [
      { name: 'key', type: 'key', keySpecIndex: 0 },
      { name: 'start', type: 'integer' },
      { name: 'stop', type: 'integer' },
    ],
  },
  {
    name: 'lindex',
    handler: lindex,
    arity: 3,
    flags: ['readonly'],
    firstKey: 1,
    lastKey: 1,
    keyStep: 1,
    group: 'list',
    summary: 'Get an element from a list by its index',
    since: '1.0.0',
    complexity: 'O(N) where N is the number of elements to traverse to get to the element at index. This makes asking for the first or the last element of the list O(1).',
    args: [{ name: 'key', type: 'key', keySpecIndex: 0 }, { name: 'index', type: 'integer' }],
  },
  {
    name: 'lset',
    handler: lset,
    arity: 4,
    flags: ['write', 'denyoom'],
    firstKey: 1,
    lastKey: 1,
    keyStep: 1,
    group: 'list',
    summary: 'Set the value of an element in a list by its index',
    since: '1.0.0',
    complexity: 'O(N) where N is the length of the list. Setting either the first or the last element of the list is O(1).',
    args: [
      { name: 'key', type: 'key', keySpecIndex: 0 },
      { name: 'index', type: 'integer' },
      { name: 'element', type: 'string' },
    ],
  },
  {
    name: 'linsert',
    handler: linsert,
    arity: 5,
    flags: ['write', 'denyoom'],
    firstKey: 1,
    lastKey: 1,
    keyStep: 1,
    group: 'list',
    summary: 'Insert an element before or after another element in a list',
    since: '2.2.0',
    complexity: 'O(N) where N is the number of elements to traverse before seeing the value pivot. This means that inserting somewhere on the left end on the list (head) can be considered O(1) and inserting somewhere on the right end (tail) is O(N).',
    keySpecs: [
      {
        flags: ['RW', 'insert'],
        beginSearch: { type: 'index', index: 1 },
        findKeys: { type: 'range', lastKey: 0, keyStep: 1, limit: 0 },
      },
    ],
    args: [
      { name: 'key', type: 'key', keySpecIndex: 0 },
      {
        name: 'where',
        type: 'oneof',
        args: [
          { name: 'before', type: 'pure-token', token: 'BEFORE' },
          { name: 'after', type: 'pure-token', token: 'AFTER' },
        ],
      },
      { name: 'pivot', type: 'string' },
      { name: 'element', type: 'string' },
    ],
  },
  {
    name: 'lrem',
    handler: lrem,
    arity: 4,
    flags: ['write'],
    firstKey: 1,
    lastKey: 1,
    keyStep: 1,
    group: 'list',
    summary: 'Remove elements from a list',
    since: '1.0.0',
    complexity: 'O(N+M) where N is the length of the list and M is the number of elements removed.',
    keySpecs: [
      {
        flags: ['RW', 'delete'],
        beginSearch: { type: 'index', index: 1 },
        findKeys: { type: 'range', lastKey: 0, keyStep: 1, limit: 0 },
      },
    ],
    args: [
      { name: 'key', type: 'key', keySpecIndex: 0 },
      { name: 'count', type: 'integer' },
      { name: 'element', type: 'string' },
    ],
  },
  {
    name: 'ltrim',
    handler: ltrim,
    arity: 4,
    flags: ['write'],
    firstKey: 1,
    lastKey: 1,
    keyStep: 1,
    group: 'list',
    summary: 'Trim a list to the specified range',
    since: '1.0.0',
    complexity: 'O(N) where N is the number of elements to be removed by the operation.',
    keySpecs: [
      {
        flags: ['RW', 'delete'],
        beginSearch: { type: 'index', index: 1 },
        findKeys: { type: 'range', lastKey: 0, keyStep: 1, limit: 0 },
      },
    ],
    args: [
      { name: 'key', type: 'key', keySpecIndex: 0 },
      { name: 'start', type: 'integer' },
      { name: 'stop', type: 'integer' },
    ],
  },
  {
    name: 'lpos',
    handler: lpos,
    arity: -3,
    flags: ['readonly'],
    firstKey: 1,
    lastKey: 1,
    keyStep: 1,
    group: 'list',
    summary: 'Return the index of matching elements on a list',
    since: '6.0.6',
    complexity: 'O(N) where N is the number of elements in the list, for the average case. When searching for elements near the head or the tail of the list, or when the MAXLEN option is provided, the command may run in constant time.',
    args: [
      { name: 'key', type: 'key', keySpecIndex: 0 },
      { name: 'element', type: 'string' },
      { name: 'rank', type: 'integer', token: 'RANK', flags: ['optional'] },
      { name: 'num-matches', type: 'integer', token: 'COUNT', flags: ['optional'] },
      { name: 'len', type: 'integer', token: 'MAXLEN', flags: ['optional'] },
    ],
  },
  {
    name: 'rpoplpush',
    handler: move(['right', 'left']),
    arity: 3,
    flags: ['write', 'denyoom'],
    firstKey: 1,
    lastKey: 2,
    keyStep: 1,
    group: 'list',
    summary: 'Remove the last element in a list, prepend it to another list and return it',
    since: '1.2.0',
    complexity: 'O(1)',
    keySpecs: [
      {
        flags: ['RW', 'access', 'delete'],
        beginSearch: { type: 'index', index: 1 },
        findKeys: { type: 'range', lastKey: 0, keyStep: 1, limit: 0 },
      },
      {
        flags: ['RW', 'insert'],
        beginSearch: { type: 'index', index: 2 },
        findKeys: { type: 'range', lastKey: 0, keyStep: 1, limit: 0 },
      },
    ],
    docFlags: ['deprecated'],
    deprecatedSince: '6.2.0',
    replacedBy: '`LMOVE` with the `RIGHT` and `LEFT` arguments',
    args: [
      { name: 'source', type: 'key', keySpecIndex: 0 },
      { name: 'destination', type: 'key', keySpecIndex: 1 },
    ],
  },
  {
    name: 'lmove',
    handler: move(null),
    arity: 5,
    flags: ['write', 'denyoom'],
    firstKey: 1,
    lastKey: 2,
    keyStep: 1,
    group: 'list',
    summary: 'Pop an element from a list, push it to another list and return it',
    since: '6.2.0',
    complexity: 'O(1)',
    keySpecs: [
      {
        flags: ['RW', 'access', 'delete'],
        beginSearch: { type: 'index', index: 1 },
        findKeys: { type: 'range', lastKey: 0, keyStep: 1, limit: 0 },
      },
      {
        flags: ['RW', 'insert'],
        beginSearch: { type: 'index', index: 2 },
        findKeys: { type: 'range', lastKey: 0, keyStep: 1, limit: 0 },
      },
    ],
    args: [
      { name: 'source', type: 'key', keySpecIndex: 0 },
      { name: 'destination', type: 'key', keySpecIndex: 1 },
      {
        name: 'wherefrom',
        type: 'oneof',
        args: [
          { name: 'left', type: 'pure-token', token: 'LEFT' },
          { name: 'right', type: 'pure-token', token: 'RIGHT' },
        ],
      },
      {
        name: 'whereto',
        type: 'oneof',
        args: [
          { name: 'left', type: 'pure-token', token: 'LEFT' },
          { name: 'right', type: 'pure-token', token: 'RIGHT' },
        ],
      },
    ],
  },
  {
    name: 'lmpop',
    handler: lmpop,
    arity: -4,
    flags: ['write'],
    firstKey: 0,
    lastKey: 0,
    keyStep: 0,
    group: 'list',
    summary: 'Pop elements from a list',
    since: '7.0.0',
    complexity: 'O(N+M) where N is the number of provided keys and M is the number of elements returned.',
    keySpecs: [
      {
        flags: ['RW', 'access', 'delete'],
        beginSearch: { type: 'index', index: 1 },
        findKeys: { type: 'keynum', keyNumIdx: 0, firstKey: 1, keyStep: 1 },
      },
    ],
    args: [
      { name: 'numkeys', type: 'integer' },
      { name: 'key', type: 'key', keySpecIndex: 0, flags: ['multiple'] },
      {
        name: 'where',
        type: 'oneof',
        args: [
          { name: 'left', type: 'pure-token', token: 'LEFT' },
          { name: 'right', type: 'pure-token', token: 'RIGHT' },
        ],
      },
      { name: 'count', type: 'integer', token: 'COUNT', flags: ['optional'] },
    ],
  },
  {
    name: 'blpop',
    handler: bpop('left'),
    arity: -3,
    flags: ['write', 'noscript', 'blocking'],
    firstKey: 1,
    lastKey: -2,
    keyStep: 1,
    group: 'list',
    summary: 'Remove and get the first element in a list, or block until one is available',
    since: '2.0.0',
    complexity: 'O(N) where N is the number of provided keys.',
    keySpecs: [
      {
        flags: ['RW', 'access', 'delete'],
        beginSearch: { type: 'index', index: 1 },
        findKeys: { type: 'range', lastKey: -2, keyStep: 1, limit: 0 },
      },
    ],
    history: [['6.0.0', '`timeout` is interpreted as a double instead of an integer.']],
    args: [
      { name: 'key', type: 'key', keySpecIndex: 0, flags: ['multiple'] },
      { name: 'timeout', type: 'double' },
    ],
  },
  {
    name: 'brpop',
    handler: bpop('right'),
    arity: -3,
    flags: ['write', 'noscript', 'blocking'],
    firstKey: 1,
    lastKey: -2,
    keyStep: 1,
    group: 'list',
    summary: 'Remove and get the last element in a list, or block until one is available',
    since: '2.0.0',
    complexity: 'O(N) where N is the number of provided keys.',
    keySpecs: [
      {
        flags: ['RW', 'access', 'delete'],
        beginSearch: { type: 'index', index: 1 },
        findKeys: { type: 'range', lastKey: -2, keyStep: 1, limit: 0 },
      },
    ],
    history: [['6.0.0', '`timeout` is interpreted as a double instead of an integer.']],
    args: [
      { name: 'key', type: 'key', keySpecIndex: 0, flags: ['multiple'] },
      { name: 'timeout', type: 'double' },
    ],
  },
  {
    name: 'brpoplpush',
    handler: bmove(['right', 'left']),
    arity: 4,
    flags: ['write', 'denyoom', 'noscript', 'blocking'],
    firstKey: 1,
    lastKey: 2,
    keyStep: 1,
    group: 'list',
    summary: 'Pop an element from a list, push it to another list and return it; or block until one is available',
    since: '2.2.0',
    complexity: 'O(1)',
    keySpecs: [
      {
        flags: ['RW', 'access', 'delete'],
        beginSearch: { type: 'index', index: 1 },
        findKeys: { type: 'range', lastKey: 0, keyStep: 1, limit: 0 },
      },
      {
        flags: ['RW', 'insert'],
        beginSearch: { type: 'index', index: 2 },
        findKeys: { type: 'range', lastKey: 0, keyStep: 1, limit: 0 },
      },
    ],
    history: [['6.0.0', '`timeout` is interpreted as a double instead of an integer.']],
    docFlags: ['deprecated'],
    deprecatedSince: '6.2.0',
    replacedBy: '`BLMOVE` with the `RIGHT` and `LEFT` arguments',
    args: [
      { name: 'source', type: 'key', keySpecIndex: 0 },
      { name: 'destination', type: 'key', keySpecIndex: 1 },
      { name: 'timeout', type: 'double' },
    ],
  },
  {
    name: 'blmove',
    handler: bmove(null),
    arity: 6,
    flags: ['write', 'denyoom', 'noscript', 'blocking'],
    firstKey: 1,
    lastKey: 2,
    keyStep: 1,
    group: 'list',
    summary: 'Pop an element from a list, push it to another list and return it; or block until one is available',
    since: '6.2.0',
    complexity: 'O(1)',
    keySpecs: [
      {
        flags: ['RW', 'access', 'delete'],
        beginSearch: { type: 'index', index: 1 },
        findKeys: { type: 'range', lastKey: 0, keyStep: 1, limit: 0 },
      },
      {
        flags: ['RW', 'insert'],
        beginSearch: { type: 'index', index: 2 },
        findKeys: { type: 'range', lastKey: 0, keyStep: 1, limit: 0 },
      },
    ],
    args: [
      { name: 'source', type: 'key', keySpecIndex: 0 },
      { name: 'destination', type: 'key', keySpecIndex: 1 },
      {
        name: 'wherefrom',
        type: 'oneof',
        args: [
          { name: 'left', type: 'pure-token', token: 'LEFT' },
          { name: 'right', type: 'pure-token', token: 'RIGHT' },
        ],
      },
      {
        name: 'whereto',
        type: 'oneof',
        args: [
          { name: 'left', type: 'pure-token', token: 'LEFT' },
          { name: 'right', type: 'pure-token', token: 'RIGHT' },
        ],
      },
      { name: 'timeout', type: 'double' },
    ],
  },
  {
    name: 'blmpop',
    handler: blmpop,
    arity: -5,
    flags: ['write', 'blocking'],
    firstKey: 0,
    lastKey: 0,
    keyStep: 0,
    group: 'list',
    summary: 'Pop elements from a list, or block until one is available',
    since: '7.0.0',
    complexity: 'O(N+M) where N is the number of provided keys and M is the number of elements returned.',
    keySpecs: [
      {
        flags: ['RW', 'access', 'delete'],
        beginSearch: { type: 'index', index: 2 },
        findKeys: { type: 'keynum', keyNumIdx: 0, firstKey: 1, keyStep: 1 },
      },
    ],
    args: [
      { name: 'timeout', type: 'double' },
      { name: 'numkeys', type: 'integer' },
      { name: 'key', type: 'key', keySpecIndex: 0, flags: ['multiple'] },
      {
        name: 'where',
        type: 'oneof',
        args: [
          { name: 'left', type: 'pure-token', token: 'LEFT' },
          { name: 'right', type: 'pure-token', token: 'RIGHT' },
        ],
      },
      { name: 'count', type: 'integer', token: 'COUNT', flags: ['optional'] },
    ],
  },
];
