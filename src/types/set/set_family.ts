/**
 * Set commands, like Redis 7.0's t_set.c: handlers parse arguments and reply; the data
 * work is the set storage's (./storage.ts) and the keyspace's seam. Each handler runs
 * inside one keyspace operation: it either completes or leaves nothing behind.
 *
 * Reply shapes are 7.0.15's: SMEMBERS, SINTER, SUNION, SDIFF and SPOP with a count answer
 * a RESP3 set; SRANDMEMBER with a count an array.
 */
import { REASON } from '../../keyspace/changes.js';
import { ReplyError, WrongTypeError } from '../../keyspace/keyspace.js';
import { OBJ_SET } from '../../keyspace/object.js';
import { str2ll } from '../../protocol/numbers.js';
import { ERR_NOT_INT, ERR_RANDOM_COUNT, ERR_SYNTAX, MAX_RANDOM_REPLY, argInt64, eqi, parseCursor, parseScanOptions } from '../../commands/args.js';
import { headerReadFast, replyLength } from '../../commands/read_fast.js';
import type { CommandContext, CommandDef } from '../../commands/types.js';
import { registerSortSource } from '../../commands/sort_family.js';
import {
  asInt,
  emptySetEntry,
  findSet,
  maxIntsetEntries,
  newSetEntry,
  setAdd,
  setForEachUntil,
  setIsMember,
  setMembers,
  setRandom,
  setRemove,
  setScan,
  setSize,
  storeSet,
  storeTableMembers,
  tableMembersBufs,
  tableSetOp,
  SETOP_DIFF,
  SETOP_INTER,
  SETOP_UNION,
} from './storage.js';

const LONG_MAX = 9223372036854775807n;

/** A long argument in [min, max], else `msg` (Redis's getRangeLongFromObjectOrReply with a message). */
function argRange(arg: Uint8Array, min: bigint, max: bigint, msg: string): number {
  const v = str2ll(arg, 0, arg.length);
  if (v === null || BigInt(v) < min || BigInt(v) > max) throw new ReplyError(msg);
  return Number(v);
}

function replyMembers(ctx: CommandContext, members: Buffer[], asSet: boolean): void {
  if (asSet) ctx.reply.set(members.length);
  else ctx.reply.array(members.length);
  for (const m of members) ctx.reply.bulk(m);
}

/**
 * Members in the order Redis replies a computed set in (it builds the result as a set
 * starting from an empty intset, then iterates it): ascending when the result is an
 * intset (all integers, not more than set-max-intset-entries), as computed otherwise.
 */
function resultOrder(ctx: CommandContext, members: Buffer[]): Buffer[] {
  if (members.length > maxIntsetEntries(ctx.ks)) return members;
  const vals: (number | bigint)[] = [];
  for (const m of members) {
    const v = asInt(m);
    if (v === null) return members;
    vals.push(v);
  }
  const idx = members.map((_, i) => i);
  idx.sort((a, b) => (vals[a]! < vals[b]! ? -1 : vals[a]! > vals[b]! ? 1 : 0));
  return idx.map((i) => members[i]!);
}

// ---------------------------------------------------------------- single-key commands

function sadd(ctx: CommandContext, argv: Buffer[]): void {
  const k = ctx.ks;
  const db = ctx.session.db;
  let e = findSet(k, db, argv[1]!, false);
  const created = e === 0;
  if (created) e = emptySetEntry(k, argv[1]!, argv[2]!);
  let added = 0;
  for (let j = 2; j < argv.length; j++) if (setAdd(k, e, argv[j]!)) added++;
  if (created) k.addEntry(db, e, REASON.added);
  else if (added > 0) k.modified(db, e);
  ctx.reply.integer(added);
}

function srem(ctx: CommandContext, argv: Buffer[]): void {
  const k = ctx.ks;
  const db = ctx.session.db;
  const e = findSet(k, db, argv[1]!, false);
  if (e === 0) {
    ctx.reply.integer(0);
    return;
  }
  let deleted = 0;
  let removed = false;
  for (let j = 2; j < argv.length; j++) {
    if (setRemove(k, e, argv[j]!)) {
      deleted++;
      if (setSize(k, e) === 0) {
        k.removeEntry(db, e, REASON.deleted);
        removed = true;
        break;
      }
    }
  }
  if (deleted > 0 && !removed) k.modified(db, e);
  ctx.reply.integer(deleted);
}

function smove(ctx: CommandContext, argv: Buffer[]): void {
  const k = ctx.ks;
  const db = ctx.session.db;
  const src = k.lookupWrite(db, argv[1]!);
  const dst = k.lookupWrite(db, argv[2]!);
  const ele = argv[3]!;
  if (src === 0) {
    ctx.reply.integer(0);
    return;
  }
  if (k.type(src) !== OBJ_SET || (dst !== 0 && k.type(dst) !== OBJ_SET)) throw new WrongTypeError();
  if (src === dst) {
    ctx.reply.integer(setIsMember(k, src, ele) ? 1 : 0);
    return;
  }
  if (!setRemove(k, src, ele)) {
    ctx.reply.integer(0);
    return;
  }
  if (setSize(k, src) === 0) k.removeEntry(db, src, REASON.deleted);
  else k.modified(db, src);
  if (dst === 0) {
    const ne = emptySetEntry(k, argv[2]!, ele);
    setAdd(k, ne, ele);
    k.addEntry(db, ne, REASON.added);
  } else if (setAdd(k, dst, ele)) k.modified(db, dst);
  ctx.reply.integer(1);
}

function sismember(ctx: CommandContext, argv: Buffer[]): void {
  const e = findSet(ctx.ks, ctx.session.db, argv[1]!, true);
  ctx.reply.integer(e !== 0 && setIsMember(ctx.ks, e, argv[2]!) ? 1 : 0);
}

function smismember(ctx: CommandContext, argv: Buffer[]): void {
  const e = findSet(ctx.ks, ctx.session.db, argv[1]!, true);
  ctx.reply.array(argv.length - 2);
  for (let j = 2; j < argv.length; j++) ctx.reply.integer(e !== 0 && setIsMember(ctx.ks, e, argv[j]!) ? 1 : 0);
}

function scard(ctx: CommandContext, argv: Buffer[]): void {
  const e = findSet(ctx.ks, ctx.session.db, argv[1]!, true);
  ctx.reply.integer(e === 0 ? 0 : setSize(ctx.ks, e));
}

// ---------------------------------------------------------------- random members

/** How much bigger than what stays the popped part must be for SPOP to rebuild the set. */
const SPOP_MOVE_STRATEGY_MUL = 5;
/** SRANDMEMBER copies the set when it is at most this many times the count. */
const SRANDMEMBER_SUB_STRATEGY_MUL = 3;

function spop(ctx: CommandContext, argv: Buffer[]): void {
  if (argv.length === 3) {
    spopWithCount(ctx, argv);
    return;
  }
  if (argv.length > 3) throw new ReplyError(ERR_SYNTAX);
  const k = ctx.ks;
  const db = ctx.session.db;
  const e = findSet(k, db, argv[1]!, false);
  if (e === 0) {
    ctx.reply.nullBulk();
    return;
  }
  const m = setRandom(k, e);
  setRemove(k, e, m);
  ctx.reply.bulk(m);
  if (setSize(k, e) === 0) k.removeEntry(db, e, REASON.deleted);
  else k.modified(db, e);
}

function spopWithCount(ctx: CommandContext, argv: Buffer[]): void {
  const count = argRange(argv[2]!, 0n, LONG_MAX, 'ERR value is out of range, must be positive');
  const k = ctx.ks;
  const db = ctx.session.db;
  const e = findSet(k, db, argv[1]!, false);
  if (e === 0 || count === 0) {
    ctx.reply.set(0);
    return;
  }
  const size = setSize(k, e);
  // CASE 1: the whole set, as SUNION of it would reply it, and the key is gone
  if (count >= size) {
    replyMembers(ctx, resultOrder(ctx, setMembers(k, e)), true);
    k.removeEntry(db, e, REASON.deleted);
    return;
  }
  const remaining = size - count;
  ctx.reply.set(count);
  if (remaining * SPOP_MOVE_STRATEGY_MUL > count) {
    // CASE 2: pop random members one at a time
    for (let i = 0; i < count; i++) {
      const m = setRandom(k, e);
      setRemove(k, e, m);
      ctx.reply.bulk(m);
    }
    k.modified(db, e);
    return;
  }
  // CASE 3: choose the members that stay, build a new set of them (Redis's encoding for
  // a set made anew: an intset when they are all integers and fit), reply the rest in
  // the old set's order
  const all = setMembers(k, e);
  const keep = new Uint8Array(size);
  const picked: Buffer[] = [];
  while (picked.length < remaining) {
    const i = Math.floor(Math.random() * size);
    if (keep[i]) continue;
    keep[i] = 1;
    picked.push(all[i]!);
  }
  for (let i = 0; i < size; i++) if (!keep[i]) ctx.reply.bulk(all[i]!);
  const ne = newSetEntry(k, argv[1]!, picked);
  // dbOverwrite: the key keeps its TTL and access metadata
  k.replaceEntry(db, e, k.keepKeyMeta(e, ne), REASON.modified);
}

function srandmember(ctx: CommandContext, argv: Buffer[]): void {
  if (argv.length === 3) {
    srandmemberWithCount(ctx, argv);
    return;
  }
  if (argv.length > 3) throw new ReplyError(ERR_SYNTAX);
  const e = findSet(ctx.ks, ctx.session.db, argv[1]!, true);
  if (e === 0) ctx.reply.nullBulk();
  else ctx.reply.bulk(setRandom(ctx.ks, e));
}

function srandmemberWithCount(ctx: CommandContext, argv: Buffer[]): void {
  const v = argInt64(argv[2]!, ERR_NOT_INT);
  if (BigInt(v) < -LONG_MAX) throw new ReplyError('ERR value is out of range, value must between -9223372036854775807 and 9223372036854775807');
  const l = Number(v);
  const uniq = l >= 0;
  const count = Math.abs(l);
  const k = ctx.ks;
  const e = findSet(k, ctx.session.db, argv[1]!, true);
  if (e === 0 || count === 0) {
    ctx.reply.array(0);
    return;
  }
  const size = setSize(k, e);
  // CASE 1: a negative count: that many random members, repeats allowed
  if (!uniq || count === 1) {
    // Redis would stream 2^63 replies until the client or the server runs out of memory
    if (count > MAX_RANDOM_REPLY) throw new ReplyError(ERR_RANDOM_COUNT);
    ctx.reply.array(count);
    for (let i = 0; i < count; i++) ctx.reply.bulk(setRandom(k, e));
    return;
  }
  // CASE 2: the whole set
  if (count >= size) {
    replyMembers(ctx, resultOrder(ctx, setMembers(k, e)), false);
    return;
  }
  let out: Buffer[];
  if (count * SRANDMEMBER_SUB_STRATEGY_MUL > size) {
    // CASE 3: all members, then random ones dropped until count remain
    out = setMembers(k, e);
    while (out.length > count) {
      const i = Math.floor(Math.random() * out.length);
      out[i] = out[out.length - 1]!;
      out.pop();
    }
  } else {
    // CASE 4: random members until count distinct ones
    const seen = new Map<string, Buffer>();
    while (seen.size < count) {
      const m = setRandom(k, e);
      seen.set(m.toString('latin1'), m);
    }
    out = [...seen.values()];
  }
  replyMembers(ctx, out, false);
}

// ---------------------------------------------------------------- intersection, union, difference

/** The source sets: read lookups even for the *STORE forms (Redis 7.0: keymiss events, INFO misses). */
function lookupSets(ctx: CommandContext, keys: Buffer[]): number[] {
  return keys.map((key) => findSet(ctx.ks, ctx.session.db, key, true));
}

/**
 * SINTER / SINTERSTORE / SINTERCARD / SMEMBERS (sinterGenericCommand): `dst` null unless
 * storing; `cardOnly` for SINTERCARD, stopping at `limit` (0: none).
 */
function sinterGeneric(ctx: CommandContext, keys: Buffer[], dst: Buffer | null, cardOnly: boolean, limit: number): void {
  const k = ctx.ks;
  const db = ctx.session.db;
  const sets: number[] = [];
  let empty = false;
  for (const key of keys) {
    // a read even for SINTERSTORE (Redis 7.0: keymiss events, INFO misses)
    const e = k.lookupRead(db, key);
    // a missing key is an empty set: the result is empty (every key is still type-checked)
    if (e === 0) empty = true;
    else if (k.type(e) !== OBJ_SET) throw new WrongTypeError();
    sets.push(e);
  }
  if (empty) {
    if (dst !== null) {
      storeSet(k, db, dst, []);
      ctx.reply.integer(0);
    } else if (cardOnly) ctx.reply.integer(0);
    else ctx.reply.set(0);
    return;
  }
  // smallest first (a stable sort, as glibc's qsort for these sizes)
  const order = sets.map((e, i) => [setSize(k, e), i, e] as const).sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  const first = order[0]![2];
  const others = order.slice(1).map((o) => o[2]).filter((e) => e !== first);
  // hashtable sets only: worked out on their tables (no Buffer per member)
  const m = others.length > 0 ? tableSetOp(k, [first, ...others], SETOP_INTER, cardOnly ? limit : 0) : null;
  if (m !== null) {
    if (cardOnly) ctx.reply.integer(m.refs.length);
    else if (dst !== null) ctx.reply.integer(storeTableMembers(k, db, dst, m));
    else replyMembers(ctx, tableMembersBufs(k, m), true);
    return;
  }
  if (cardOnly) {
    // counted, not collected; one set (or the same key every time) is its own size
    const size = setSize(k, first);
    let n = 0;
    if (others.length === 0) n = limit > 0 ? Math.min(size, limit) : size;
    else {
      setForEachUntil(k, first, (m) => {
        for (const o of others) if (!setIsMember(k, o, m)) return true;
        n++;
        return !(limit > 0 && n >= limit);
      });
    }
    ctx.reply.integer(n);
    return;
  }
  const result: Buffer[] = [];
  setForEachUntil(k, first, (m) => {
    for (const o of others) if (!setIsMember(k, o, m)) return true;
    result.push(m);
    return true;
  });
  if (dst !== null) ctx.reply.integer(storeSet(k, db, dst, result));
  else replyMembers(ctx, result, true);
}

const OP_UNION = 0;
const OP_DIFF = 1;

/**
 * SUNION of at most this many distinct sets finds duplicates by asking the sets before
 * (a lookup each); past it, a JS Map of the members (a member of the n-th set would be
 * looked up n - 1 times).
 */
const UNION_BY_LOOKUP_MAX = 8;

/** SUNION / SDIFF and their STORE forms (sunionDiffGenericCommand). */
function sunionDiffGeneric(ctx: CommandContext, keys: Buffer[], dst: Buffer | null, op: number): void {
  const k = ctx.ks;
  const sets = lookupSets(ctx, keys);
  if (dst !== null) {
    // hashtable sets stored: worked out on their tables, member chunks copied table to table
    const given = op === OP_UNION ? [...new Set(sets.filter((e) => e !== 0))] : sets[0] === 0 ? [] : [sets[0]!, ...new Set(sets.slice(1).filter((e) => e !== 0 && e !== sets[0]))];
    const apply = given.length > 0 && (op === OP_UNION ? given.length <= UNION_BY_LOOKUP_MAX : !sets.slice(1).includes(sets[0]!));
    const m = apply ? tableSetOp(k, given, op === OP_UNION ? SETOP_UNION : SETOP_DIFF) : null;
    if (m !== null) {
      ctx.reply.integer(storeTableMembers(k, ctx.session.db, dst, m));
      return;
    }
  }
  let members: Buffer[] = [];
  if (op === OP_UNION) {
    const distinct = [...new Set(sets.filter((e) => e !== 0))];
    if (distinct.length <= UNION_BY_LOOKUP_MAX) {
      // A member of the i-th set is new unless a set before it holds it: asked of those
      // sets' own tables, instead of a JS Map of every member's text (which was most of a
      // SUNIONSTORE of two 1M-member sets). The order is the Map's: first seen, first.
      for (let i = 0; i < distinct.length; i++) {
        const e = distinct[i]!;
        setForEachUntil(k, e, (m) => {
          for (let j = 0; j < i; j++) if (setIsMember(k, distinct[j]!, m)) return true;
          members.push(m);
          return true;
        });
      }
    } else {
      const result = new Map<string, Buffer>();
      for (const e of distinct) {
        setForEachUntil(k, e, (m) => {
          result.set(m.toString('latin1'), m);
          return true;
        });
      }
      members = [...result.values()];
    }
  } else if (sets[0] !== 0) {
    const first = sets[0]!;
    const others = sets.slice(1).filter((e) => e !== 0);
    // (the first set's members are distinct: no deduplication)
    if (!others.includes(first)) {
      setForEachUntil(k, first, (m) => {
        for (const o of others) if (setIsMember(k, o, m)) return true;
        members.push(m);
        return true;
      });
    }
  }
  if (dst !== null) ctx.reply.integer(storeSet(k, ctx.session.db, dst, members));
  else replyMembers(ctx, resultOrder(ctx, members), true);
}

function smembers(ctx: CommandContext, argv: Buffer[]): void {
  sinterGeneric(ctx, [argv[1]!], null, false, 0);
}

function sinter(ctx: CommandContext, argv: Buffer[]): void {
  sinterGeneric(ctx, argv.slice(1), null, false, 0);
}

function sinterstore(ctx: CommandContext, argv: Buffer[]): void {
  sinterGeneric(ctx, argv.slice(2), argv[1]!, false, 0);
}

function sintercard(ctx: CommandContext, argv: Buffer[]): void {
  const numkeys = argRange(argv[1]!, 1n, LONG_MAX, 'ERR numkeys should be greater than 0');
  if (numkeys > argv.length - 2) throw new ReplyError("ERR Number of keys can't be greater than number of args");
  let limit = 0;
  for (let j = 2 + numkeys; j < argv.length; j++) {
    const more = argv.length - 1 - j;
    if (eqi(argv[j]!, 'limit') && more > 0) {
      j++;
      limit = argRange(argv[j]!, 0n, LONG_MAX, "ERR LIMIT can't be negative");
    } else throw new ReplyError(ERR_SYNTAX);
  }
  sinterGeneric(ctx, argv.slice(2, 2 + numkeys), null, true, limit);
}

function sunion(ctx: CommandContext, argv: Buffer[]): void {
  sunionDiffGeneric(ctx, argv.slice(1), null, OP_UNION);
}

function sunionstore(ctx: CommandContext, argv: Buffer[]): void {
  sunionDiffGeneric(ctx, argv.slice(2), argv[1]!, OP_UNION);
}

function sdiff(ctx: CommandContext, argv: Buffer[]): void {
  sunionDiffGeneric(ctx, argv.slice(1), null, OP_DIFF);
}

function sdiffstore(ctx: CommandContext, argv: Buffer[]): void {
  sunionDiffGeneric(ctx, argv.slice(2), argv[1]!, OP_DIFF);
}

// ---------------------------------------------------------------- SSCAN

function sscan(ctx: CommandContext, argv: Buffer[]): void {
  const cursor = parseCursor(argv[2]!);
  const k = ctx.ks;
  const e = findSet(k, ctx.session.db, argv[1]!, true);
  if (e === 0) {
    ctx.reply.array(2);
    ctx.reply.bulk('0');
    ctx.reply.array(0);
    return;
  }
  const { count, match } = parseScanOptions(argv);
  const found: Buffer[] = [];
  // (an intset or a small table answers everything whatever the cursor; a cursor past ours ends a Dash's scan)
  const next = setScan(k, e, cursor, Math.min(count, 1 << 20), found);
  const out = match === null ? found : found.filter((m) => match!(m));
  ctx.reply.array(2);
  ctx.reply.bulk(String(next));
  ctx.reply.array(out.length);
  for (const m of out) ctx.reply.bulk(m);
}

// ---------------------------------------------------------------- SORT

// sets are sorted in iteration order (no range: unsorted, they are in hash order)
registerSortSource(OBJ_SET, { elements: setMembers });

// ---------------------------------------------------------------- the table

export const commands: CommandDef[] = [
  {
    name: 'sadd',
    handler: sadd,
    arity: -3,
    flags: ['write', 'denyoom', 'fast'],
    firstKey: 1,
    lastKey: 1,
    keyStep: 1,
    group: 'set',
    summary: 'Add one or more members to a set',
    since: '1.0.0',
    complexity: 'O(1) for each element added, so O(N) to add N elements when the command is called with multiple arguments.',
    keySpecs: [
      {
        flags: ['RW', 'insert'],
        beginSearch: { type: 'index', index: 1 },
        findKeys: { type: 'range', lastKey: 0, keyStep: 1, limit: 0 },
      },
    ],
    history: [['2.4.0', 'Accepts multiple `member` arguments.']],
    args: [
      { name: 'key', type: 'key', keySpecIndex: 0 },
      { name: 'member', type: 'string', flags: ['multiple'] },
    ],
  },
  {
    name: 'srem',
    handler: srem,
    arity: -3,
    flags: ['write', 'fast'],
    firstKey: 1,
    lastKey: 1,
    keyStep: 1,
    group: 'set',
    summary: 'Remove one or more members from a set',
    since: '1.0.0',
    complexity: 'O(N) where N is the number of members to be removed.',
    keySpecs: [
      {
        flags: ['RW', 'delete'],
        beginSearch: { type: 'index', index: 1 },
        findKeys: { type: 'range', lastKey: 0, keyStep: 1, limit: 0 },
      },
    ],
    history: [['2.4.0', 'Accepts multiple `member` arguments.']],
    args: [
      { name: 'key', type: 'key', keySpecIndex: 0 },
      { name: 'member', type: 'string', flags: ['multiple'] },
    ],
  },
  {
    name: 'smembers',
    handler: smembers,
    arity: 2,
    flags: ['readonly'],
    firstKey: 1,
    lastKey: 1,
    keyStep: 1,
    group: 'set',
    summary: 'Get all the members in a set',
    since: '1.0.0',
    complexity: 'O(N) where N is the set cardinality.',
    tips: ['nondeterministic_output_order'],
    args: [{ name: 'key', type: 'key', keySpecIndex: 0 }],
  },
  {
    name: 'sismember',
    handler: sismember,
    arity: 3,
    flags: ['readonly', 'fast'],
    firstKey: 1,
    lastKey: 1,
    keyStep: 1,
    group: 'set',
    summary: 'Determine if a given value is a member of a set',
    since: '1.0.0',
    complexity: 'O(1)',
    keySpecs: [
      {
        flags: ['RO'],
        beginSearch: { type: 'index', index: 1 },
        findKeys: { type: 'range', lastKey: 0, keyStep: 1, limit: 0 },
      },
    ],
    args: [{ name: 'key', type: 'key', keySpecIndex: 0 }, { name: 'member', type: 'string' }],
  },
  {
    name: 'smismember',
    handler: smismember,
    arity: -3,
    flags: ['readonly', 'fast'],
    firstKey: 1,
    lastKey: 1,
    keyStep: 1,
    group: 'set',
    summary: 'Returns the membership associated with the given elements for a set',
    since: '6.2.0',
    complexity: 'O(N) where N is the number of elements being checked for membership',
    args: [
      { name: 'key', type: 'key', keySpecIndex: 0 },
      { name: 'member', type: 'string', flags: ['multiple'] },
    ],
  },
  {
    name: 'scard',
    handler: scard,
    readFast: headerReadFast(OBJ_SET, true, replyLength),
    arity: 2,
    flags: ['readonly', 'fast'],
    firstKey: 1,
    lastKey: 1,
    keyStep: 1,
    group: 'set',
    summary: 'Get the number of members in a set',
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
    name: 'spop',
    handler: spop,
    arity: -2,
    flags: ['write', 'fast'],
    firstKey: 1,
    lastKey: 1,
    keyStep: 1,
    group: 'set',
    summary: 'Remove and return one or multiple random members from a set',
    since: '1.0.0',
    complexity: 'Without the count argument O(1), otherwise O(N) where N is the value of the passed count.',
    tips: ['nondeterministic_output'],
    keySpecs: [
      {
        flags: ['RW', 'access', 'delete'],
        beginSearch: { type: 'index', index: 1 },
        findKeys: { type: 'range', lastKey: 0, keyStep: 1, limit: 0 },
      },
    ],
    history: [['3.2.0', 'Added the `count` argument.']],
    args: [
      { name: 'key', type: 'key', keySpecIndex: 0 },
      { name: 'count', type: 'integer', since: '3.2.0', flags: ['optional'] },
    ],
  },
  {
    name: 'srandmember',
    handler: srandmember,
    arity: -2,
    flags: ['readonly'],
    firstKey: 1,
    lastKey: 1,
    keyStep: 1,
    group: 'set',
    summary: 'Get one or multiple random members from a set',
    since: '1.0.0',
    complexity: 'Without the count argument O(1), otherwise O(N) where N is the absolute value of the passed count.',
    tips: ['nondeterministic_output'],
    history: [['2.6.0', 'Added the optional `count` argument.']],
    args: [
      { name: 'key', type: 'key', keySpecIndex: 0 },
      { name: 'count', type: 'integer', since: '2.6.0', flags: ['optional'] },
    ],
  },
  {
    name: 'smove',
    handler: smove,
    arity: 4,
    flags: ['write', 'fast'],
    firstKey: 1,
    lastKey: 2,
    keyStep: 1,
    group: 'set',
    summary: 'Move a member from one set to another',
    since: '1.0.0',
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
      { name: 'member', type: 'string' },
    ],
  },
  {
    name: 'sinter',
    handler: sinter,
    arity: -2,
    flags: ['readonly'],
    firstKey: 1,
    lastKey: -1,
    keyStep: 1,
    group: 'set',
    summary: 'Intersect multiple sets',
    since: '1.0.0',
    complexity: 'O(N*M) worst case where N is the cardinality of the smallest set and M is the number of sets.',
    tips: ['nondeterministic_output_order'],
    args: [{ name: 'key', type: 'key', keySpecIndex: 0, flags: ['multiple'] }],
  },
  {
    name: 'sintercard',
    handler: sintercard,
    arity: -3,
    flags: ['readonly'],
    firstKey: 0,
    lastKey: 0,
    keyStep: 0,
    group: 'set',
    summary: 'Intersect multiple sets and return the cardinality of the result',
    since: '7.0.0',
    complexity: 'O(N*M) worst case where N is the cardinality of the smallest set and M is the number of sets.',
    keySpecs: [
      {
        flags: ['RO', 'access'],
        beginSearch: { type: 'index', index: 1 },
        findKeys: { type: 'keynum', keyNumIdx: 0, firstKey: 1, keyStep: 1 },
      },
    ],
    args: [
      { name: 'numkeys', type: 'integer' },
      { name: 'key', type: 'key', keySpecIndex: 0, flags: ['multiple'] },
      { name: 'limit', type: 'integer', token: 'LIMIT', flags: ['optional'] },
    ],
  },
  {
    name: 'sinterstore',
    handler: sinterstore,
    arity: -3,
    flags: ['write', 'denyoom'],
    firstKey: 1,
    lastKey: -1,
    keyStep: 1,
    group: 'set',
    summary: 'Intersect multiple sets and store the resulting set in a key',
    since: '1.0.0',
    complexity: 'O(N*M) worst case where N is the cardinality of the smallest set and M is the number of sets.',
    keySpecs: [
      {
        flags: ['RW', 'update'],
        beginSearch: { type: 'index', index: 1 },
        findKeys: { type: 'range', lastKey: 0, keyStep: 1, limit: 0 },
      },
      {
        flags: ['RO', 'access'],
        beginSearch: { type: 'index', index: 2 },
        findKeys: { type: 'range', lastKey: -1, keyStep: 1, limit: 0 },
      },
    ],
    args: [
      { name: 'destination', type: 'key', keySpecIndex: 0 },
      { name: 'key', type: 'key', keySpecIndex: 1, flags: ['multiple'] },
    ],
  },
  {
    name: 'sunion',
    handler: sunion,
    arity: -2,
    flags: ['readonly'],
    firstKey: 1,
    lastKey: -1,
    keyStep: 1,
    group: 'set',
    summary: 'Add multiple sets',
    since: '1.0.0',
    complexity: 'O(N) where N is the total number of elements in all given sets.',
    tips: ['nondeterministic_output_order'],
    args: [{ name: 'key', type: 'key', keySpecIndex: 0, flags: ['multiple'] }],
  },
  {
    name: 'sunionstore',
    handler: sunionstore,
    arity: -3,
    flags: ['write', 'denyoom'],
    firstKey: 1,
    lastKey: -1,
    keyStep: 1,
    group: 'set',
    summary: 'Add multiple sets and store the resulting set in a key',
    since: '1.0.0',
    complexity: 'O(N) where N is the total number of elements in all given sets.',
    keySpecs: [
      {
        flags: ['OW', 'update'],
        beginSearch: { type: 'index', index: 1 },
        findKeys: { type: 'range', lastKey: 0, keyStep: 1, limit: 0 },
      },
      {
        flags: ['RO', 'access'],
        beginSearch: { type: 'index', index: 2 },
        findKeys: { type: 'range', lastKey: -1, keyStep: 1, limit: 0 },
      },
    ],
    args: [
      { name: 'destination', type: 'key', keySpecIndex: 0 },
      { name: 'key', type: 'key', keySpecIndex: 1, flags: ['multiple'] },
    ],
  },
  {
    name: 'sdiff',
    handler: sdiff,
    arity: -2,
    flags: ['readonly'],
    firstKey: 1,
    lastKey: -1,
    keyStep: 1,
    group: 'set',
    summary: 'Subtract multiple sets',
    since: '1.0.0',
    complexity: 'O(N) where N is the total number of elements in all given sets.',
    tips: ['nondeterministic_output_order'],
    args: [{ name: 'key', type: 'key', keySpecIndex: 0, flags: ['multiple'] }],
  },
  {
    name: 'sdiffstore',
    handler: sdiffstore,
    arity: -3,
    flags: ['write', 'denyoom'],
    firstKey: 1,
    lastKey: -1,
    keyStep: 1,
    group: 'set',
    summary: 'Subtract multiple sets and store the resulting set in a key',
    since: '1.0.0',
    complexity: 'O(N) where N is the total number of elements in all given sets.',
    keySpecs: [
      {
        flags: ['OW', 'update'],
        beginSearch: { type: 'index', index: 1 },
        findKeys: { type: 'range', lastKey: 0, keyStep: 1, limit: 0 },
      },
      {
        flags: ['RO', 'access'],
        beginSearch: { type: 'index', index: 2 },
        findKeys: { type: 'range', lastKey: -1, keyStep: 1, limit: 0 },
      },
    ],
    args: [
      { name: 'destination', type: 'key', keySpecIndex: 0 },
      { name: 'key', type: 'key', keySpecIndex: 1, flags: ['multiple'] },
    ],
  },
  {
    name: 'sscan',
    handler: sscan,
    arity: -3,
    flags: ['readonly'],
    firstKey: 1,
    lastKey: 1,
    keyStep: 1,
    group: 'set',
    summary: 'Incrementally iterate Set elements',
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
