/**
 * Sorted-set commands, like Redis 7.0's t_zset.c: handlers parse arguments and reply; the
 * data work is the zset storage's (./storage.ts) and the keyspace's seam. Each handler runs
 * inside one keyspace operation: it either completes or leaves nothing behind.
 *
 * Reply shapes are 7.0.15's: scores are doubles (RESP2 bulk "%.17g", RESP3 `,`); with
 * WITHSCORES, RESP3 gets an array of [member, score] pairs where Redis nests them (ZRANGE,
 * ZUNION…, ZRANDMEMBER, ZPOPMIN/ZPOPMAX with a count, ZMPOP/BZMPOP in both protocols).
 */
import { REASON } from '../../keyspace/changes.js';
import { ReplyError, WrongTypeError, type Keyspace } from '../../keyspace/keyspace.js';
import { OBJ_SET, OBJ_ZSET } from '../../keyspace/object.js';
import { formatDouble, parseRedisDouble } from '../../protocol/float.js';
import { str2ll } from '../../protocol/numbers.js';
import { ERR_NOT_INT, ERR_RANDOM_COUNT, ERR_SYNTAX, MAX_RANDOM_REPLY, argInt64, eqi, parseCursor, parseScanOptions } from '../../commands/args.js';
import { blockForKeys, parseTimeout } from '../../commands/blocking.js';
import { headerReadFast, replyLength } from '../../commands/read_fast.js';
import type { CommandContext, CommandDef } from '../../commands/types.js';
import { registerSortSource } from '../../commands/sort_family.js';
import { setForEachUntil, setIsMember, setSize } from '../set/storage.js';
import {
  ZADD_IN_GT,
  ZADD_IN_INCR,
  ZADD_IN_LT,
  ZADD_IN_NX,
  ZADD_IN_XX,
  ZADD_OUT_ADDED,
  ZADD_OUT_NAN,
  ZADD_OUT_NOP,
  ZADD_OUT_UPDATED,
  ENC_LISTPACK,
  ENC_SKIPLIST,
  maxListpackEntries,
  maxListpackValue,
  newZsetEntry,
  emptyZsetEntry,
  zsetConvertToTree,
  zsetEncoding,
  findZset,
  storeDistinct,
  zaddNewScore,
  zsetAdd,
  zsetAll,
  zsetDeleteRanks,
  zsetForEachRank,
  zsetItems,
  zsetLength,
  zsetLexRanks,
  zsetPop,
  zsetRandom,
  zsetRank,
  zsetRemoveMany,
  zsetScan,
  zsetScore,
  zsetScoreRanks,
  type LexBound,
  type ScoreRange,
  type ZItem,
} from './storage.js';

const LONG_MAX = 9223372036854775807n;
const ERR_NAN = 'ERR resulting score is not a number (NaN)';
const ERR_FLOAT = 'ERR value is not a valid float';
const ERR_MINMAX_FLOAT = 'ERR min or max is not a float';
const ERR_MINMAX_LEX = 'ERR min or max not valid string range item';

/** A long argument (getLongFromObjectOrReply). */
function argLong(arg: Uint8Array, err = ERR_NOT_INT): number {
  const v = str2ll(arg, 0, arg.length);
  if (v === null) throw new ReplyError(err);
  return Number(v);
}

/** A long argument in [min, max], else `msg`. */
function argRange(arg: Uint8Array, min: bigint, max: bigint, msg: string): number {
  const v = str2ll(arg, 0, arg.length);
  if (v === null || BigInt(v) < min || BigInt(v) > max) throw new ReplyError(msg);
  return Number(v);
}

/** A double argument (getDoubleFromObjectOrReply). */
function argDouble(arg: Uint8Array, err = ERR_FLOAT): number {
  const v = parseRedisDouble(arg);
  if (v === null || Number.isNaN(v)) throw new ReplyError(err);
  return v;
}

const SPACE_RE = /^[ \t\n\v\f\r]+/;
const DEC_RE = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;

/**
 * strtod over a whole string as zslParseRange uses it: leading spaces allowed, the empty
 * string is 0, overflow is ±inf, nan refused. Null when not a float.
 */
function strtodWhole(b: Buffer): number | null {
  if (b.length === 0) return 0;
  const s = b.toString('latin1');
  const t = s.replace(SPACE_RE, '');
  if (t.length === 0) return null;
  const v = parseRedisDouble(t);
  if (v !== null) return Number.isNaN(v) ? null : v;
  if (DEC_RE.test(t)) return Number(t);
  return null;
}

/** A score range from min/max arguments (zslParseRange): "(" makes a bound exclusive. */
function parseScoreRange(min: Buffer, max: Buffer): ScoreRange {
  const one = (b: Buffer): [number, boolean] => {
    const ex = b.length > 0 && b[0] === 40;
    const v = strtodWhole(ex ? b.subarray(1) : b);
    if (v === null) throw new ReplyError(ERR_MINMAX_FLOAT);
    return [v, ex];
  };
  const [lo, loex] = one(min);
  const [hi, hiex] = one(max);
  return { min: lo, minex: loex, max: hi, maxex: hiex };
}

function parseLexBound(b: Buffer): LexBound {
  if (b.length === 1 && b[0] === 43) return { inf: 1, value: b, ex: false };
  if (b.length === 1 && b[0] === 45) return { inf: -1, value: b, ex: false };
  if (b.length > 0 && b[0] === 40) return { inf: 0, value: Buffer.from(b.subarray(1)), ex: true };
  if (b.length > 0 && b[0] === 91) return { inf: 0, value: Buffer.from(b.subarray(1)), ex: false };
  throw new ReplyError(ERR_MINMAX_LEX);
}

/** Whether a score range is empty whatever the set holds (zslIsInRange's first test). */
function scoreRangeEmpty(r: ScoreRange): boolean {
  return r.min > r.max || (r.min === r.max && (r.minex || r.maxex));
}

/** [member, score] pairs: flat in RESP2, nested pairs in RESP3 (or always nested when `nested`). */
function replyItems(ctx: CommandContext, items: ZItem[], withscores: boolean, nested = ctx.reply.resp === 3): void {
  const r = ctx.reply;
  if (!withscores) {
    r.array(items.length);
    for (const [m] of items) r.bulk(m);
    return;
  }
  r.array(nested ? items.length : items.length * 2);
  for (const [m, s] of items) {
    if (nested) r.array(2);
    r.bulk(m);
    r.double(s);
  }
}

function signalChanged(ctx: CommandContext, e: number): void {
  const k = ctx.ks;
  if (zsetLength(k, e) === 0) k.removeEntry(ctx.session.db, e, REASON.deleted);
  else k.modified(ctx.session.db, e);
}

// ---------------------------------------------------------------- ZADD, ZINCRBY

/** ZADD key [NX|XX] [GT|LT] [CH] [INCR] score member [score member ...] (GEOADD calls it too). */
export function zaddCommand(ctx: CommandContext, argv: Buffer[]): void {
  zaddGeneric(ctx, argv, 0);
}

function zaddGeneric(ctx: CommandContext, argv: Buffer[], inFlags: number): void {
  let flags = inFlags;
  let ch = false;
  let scoreidx = 2;
  while (scoreidx < argv.length) {
    const o = argv[scoreidx]!;
    if (eqi(o, 'nx')) flags |= ZADD_IN_NX;
    else if (eqi(o, 'xx')) flags |= ZADD_IN_XX;
    else if (eqi(o, 'ch')) ch = true;
    else if (eqi(o, 'incr')) flags |= ZADD_IN_INCR;
    else if (eqi(o, 'gt')) flags |= ZADD_IN_GT;
    else if (eqi(o, 'lt')) flags |= ZADD_IN_LT;
    else break;
    scoreidx++;
  }
  const incr = (flags & ZADD_IN_INCR) !== 0;
  const nx = (flags & ZADD_IN_NX) !== 0;
  const xx = (flags & ZADD_IN_XX) !== 0;
  const gt = (flags & ZADD_IN_GT) !== 0;
  const lt = (flags & ZADD_IN_LT) !== 0;
  let elements = argv.length - scoreidx;
  if (elements % 2 !== 0 || elements === 0) throw new ReplyError(ERR_SYNTAX);
  elements /= 2;
  if (nx && xx) throw new ReplyError('ERR XX and NX options at the same time are not compatible');
  if ((gt && nx) || (lt && nx) || (gt && lt)) throw new ReplyError('ERR GT, LT, and/or NX options at the same time are not compatible');
  if (incr && elements > 1) throw new ReplyError('ERR INCR option supports a single increment-element pair');
  const scores: number[] = [];
  for (let j = 0; j < elements; j++) scores.push(argDouble(argv[scoreidx + j * 2]!));

  const k = ctx.ks;
  const db = ctx.session.db;
  const key = argv[1]!;
  let e = findZset(k, db, key, false);
  if (elements >= BULK_ZADD && !(e === 0 && xx) && (e === 0 || elements * 4 >= zsetLength(k, e))) {
    zaddBulk(ctx, argv, e, scoreidx, scores, flags, ch);
    return;
  }
  let added = 0;
  let updated = 0;
  let processed = 0;
  let score = 0;
  if (e === 0 && xx) {
    // no key and XX: nothing to do
  } else {
    const created = e === 0;
    if (created) e = emptyZsetEntry(k, key, argv[scoreidx + 1]!.length);
    for (let j = 0; j < elements; j++) {
      const out = zsetAdd(k, e, scores[j]!, argv[scoreidx + 1 + j * 2]!, flags);
      if (out & ZADD_OUT_NAN) throw new ReplyError(ERR_NAN);
      if (out & ZADD_OUT_ADDED) added++;
      if (out & ZADD_OUT_UPDATED) updated++;
      if (!(out & ZADD_OUT_NOP)) {
        processed++;
        score = zaddNewScore;
      }
    }
    if (created) k.addEntry(db, e, REASON.added);
    else if (added + updated > 0) k.modified(db, e);
  }
  if (incr) {
    if (processed > 0) ctx.reply.double(score);
    else ctx.reply.nullBulk();
  } else ctx.reply.integer(ch ? added + updated : added);
}

/** ZADDs of at least this many pairs that create a key or outnumber a quarter of it take zaddBulk. */
const BULK_ZADD = 2048;

/**
 * A big ZADD applied to a model of the whole set, then written as a new value built in one
 * pass: the same result as adding the members one by one (same flags semantics, same
 * encoding: a listpack only when the set was one or is new, it stays within
 * zset-max-listpack-entries and no added member passes zset-max-listpack-value), but O(n)
 * and with a small undo log, where a million single inserts would log every node shift.
 */
function zaddBulk(ctx: CommandContext, argv: Buffer[], e: number, scoreidx: number, scores: number[], flags: number, ch: boolean): void {
  const k = ctx.ks;
  const db = ctx.session.db;
  const key = argv[1]!;
  const incr = (flags & ZADD_IN_INCR) !== 0;
  const nx = (flags & ZADD_IN_NX) !== 0;
  const xx = (flags & ZADD_IN_XX) !== 0;
  const gt = (flags & ZADD_IN_GT) !== 0;
  const lt = (flags & ZADD_IN_LT) !== 0;
  const model = new Map<string, ZItem>();
  if (e !== 0) for (const it of zsetAll(k, e)) model.set(it[0].toString('latin1'), it);
  let added = 0;
  let updated = 0;
  let processed = 0;
  let score = 0;
  let maxAdded = 0;
  for (let j = 0; j < scores.length; j++) {
    const m = argv[scoreidx + 1 + j * 2]!;
    const mk = m.toString('latin1');
    let s = scores[j]!;
    const cur = model.get(mk);
    if (cur !== undefined) {
      if (nx) continue;
      if (incr) {
        s += cur[1];
        if (Number.isNaN(s)) throw new ReplyError(ERR_NAN);
      }
      if ((lt && s >= cur[1]) || (gt && s <= cur[1])) continue;
      processed++;
      score = s;
      if (s !== cur[1]) {
        cur[1] = s;
        updated++;
      }
    } else {
      if (xx) continue;
      model.set(mk, [Buffer.from(m), s]);
      if (m.length > maxAdded) maxAdded = m.length;
      added++;
      processed++;
      score = s;
    }
  }
  if (added + updated > 0) {
    const wasTree = e !== 0 && zsetEncoding(k, e) === ENC_SKIPLIST;
    const fits = !wasTree && model.size <= maxListpackEntries(k) && maxAdded <= maxListpackValue(k);
    const ne = newZsetEntry(k, key, [...model.values()], fits);
    if (e === 0) k.addEntry(db, ne, REASON.added);
    else {
      // the key keeps its TTL and access metadata (the value changed, not the key)
      k.replaceEntry(db, e, k.keepKeyMeta(e, ne), REASON.modified);
    }
  }
  if (incr) {
    if (processed > 0) ctx.reply.double(score);
    else ctx.reply.nullBulk();
  } else ctx.reply.integer(ch ? added + updated : added);
}

function zincrby(ctx: CommandContext, argv: Buffer[]): void {
  zaddGeneric(ctx, argv, ZADD_IN_INCR);
}

// ---------------------------------------------------------------- single-key reads

function zcard(ctx: CommandContext, argv: Buffer[]): void {
  const e = findZset(ctx.ks, ctx.session.db, argv[1]!, true);
  ctx.reply.integer(e === 0 ? 0 : zsetLength(ctx.ks, e));
}

function zscore(ctx: CommandContext, argv: Buffer[]): void {
  const e = findZset(ctx.ks, ctx.session.db, argv[1]!, true);
  const s = e === 0 ? null : zsetScore(ctx.ks, e, argv[2]!);
  if (s === null) ctx.reply.nullBulk();
  else ctx.reply.double(s);
}

function zmscore(ctx: CommandContext, argv: Buffer[]): void {
  const e = findZset(ctx.ks, ctx.session.db, argv[1]!, true);
  ctx.reply.array(argv.length - 2);
  for (let j = 2; j < argv.length; j++) {
    const s = e === 0 ? null : zsetScore(ctx.ks, e, argv[j]!);
    if (s === null) ctx.reply.nullBulk();
    else ctx.reply.double(s);
  }
}

const zrank = (rev: boolean) => (ctx: CommandContext, argv: Buffer[]) => {
  const k = ctx.ks;
  const e = findZset(k, ctx.session.db, argv[1]!, true);
  const r = e === 0 ? -1 : zsetRank(k, e, argv[2]!);
  if (r < 0) ctx.reply.nullBulk();
  else ctx.reply.integer(rev ? zsetLength(k, e) - 1 - r : r);
};

function zcount(ctx: CommandContext, argv: Buffer[]): void {
  const range = parseScoreRange(argv[2]!, argv[3]!);
  const k = ctx.ks;
  const e = findZset(k, ctx.session.db, argv[1]!, true);
  if (e === 0 || scoreRangeEmpty(range)) {
    ctx.reply.integer(0);
    return;
  }
  const [lo, hi] = zsetScoreRanks(k, e, range);
  ctx.reply.integer(hi - lo);
}

function zlexcount(ctx: CommandContext, argv: Buffer[]): void {
  const min = parseLexBound(argv[2]!);
  const max = parseLexBound(argv[3]!);
  const k = ctx.ks;
  const e = findZset(k, ctx.session.db, argv[1]!, true);
  if (e === 0) {
    ctx.reply.integer(0);
    return;
  }
  const [lo, hi] = zsetLexRanks(k, e, min, max);
  ctx.reply.integer(hi - lo);
}

// ---------------------------------------------------------------- ZREM, ZREMRANGEBY*

function zrem(ctx: CommandContext, argv: Buffer[]): void {
  const k = ctx.ks;
  const e = findZset(k, ctx.session.db, argv[1]!, false);
  if (e === 0) {
    ctx.reply.integer(0);
    return;
  }
  const deleted = zsetRemoveMany(k, e, argv.slice(2));
  if (deleted > 0) signalChanged(ctx, e);
  ctx.reply.integer(deleted);
}

type RangeKind = 'rank' | 'score' | 'lex';

const zremrange = (kind: RangeKind) => (ctx: CommandContext, argv: Buffer[]) => {
  let start = 0;
  let end = 0;
  let srange: ScoreRange | null = null;
  let lmin: LexBound | null = null;
  let lmax: LexBound | null = null;
  if (kind === 'rank') {
    start = argLong(argv[2]!);
    end = argLong(argv[3]!);
  } else if (kind === 'score') srange = parseScoreRange(argv[2]!, argv[3]!);
  else {
    lmin = parseLexBound(argv[2]!);
    lmax = parseLexBound(argv[3]!);
  }
  const k = ctx.ks;
  const e = findZset(k, ctx.session.db, argv[1]!, false);
  if (e === 0) {
    ctx.reply.integer(0);
    return;
  }
  const n = zsetLength(k, e);
  let lo: number;
  let hi: number;
  if (kind === 'rank') {
    if (start < 0) start = n + start;
    if (end < 0) end = n + end;
    if (start < 0) start = 0;
    if (start > end || start >= n) {
      ctx.reply.integer(0);
      return;
    }
    if (end >= n) end = n - 1;
    lo = start;
    hi = end + 1;
  } else if (kind === 'score') {
    if (scoreRangeEmpty(srange!)) [lo, hi] = [0, 0];
    else [lo, hi] = zsetScoreRanks(k, e, srange!);
  } else [lo, hi] = zsetLexRanks(k, e, lmin!, lmax!);
  const deleted = zsetDeleteRanks(k, e, lo, hi);
  if (deleted > 0) signalChanged(ctx, e);
  ctx.reply.integer(deleted);
};

// ---------------------------------------------------------------- ZRANGE and friends

interface RangeOpts {
  kind: RangeKind | null;
  rev: boolean | null;
}

/**
 * zrangeGenericCommand: argv[keyAt] is the source, argv[keyAt+1], argv[keyAt+2] the range;
 * `dst` is ZRANGESTORE's destination. The older commands preset kind and direction.
 */
function zrangeGeneric(ctx: CommandContext, argv: Buffer[], keyAt: number, dst: Buffer | null, preset: RangeOpts): void {
  let kind = preset.kind;
  let rev = preset.rev;
  let withscores = false;
  let offset = 0;
  let limit = -1;
  for (let j = keyAt + 3; j < argv.length; j++) {
    const left = argv.length - j - 1;
    const a = argv[j]!;
    if (dst === null && eqi(a, 'withscores')) withscores = true;
    else if (eqi(a, 'limit') && left >= 2) {
      offset = argLong(argv[j + 1]!);
      limit = argLong(argv[j + 2]!);
      j += 2;
    } else if (rev === null && eqi(a, 'rev')) rev = true;
    else if (kind === null && eqi(a, 'bylex')) kind = 'lex';
    else if (kind === null && eqi(a, 'byscore')) kind = 'score';
    else throw new ReplyError(ERR_SYNTAX);
  }
  if (rev === null) rev = false;
  if (kind === null) kind = 'rank';
  // (as Redis: LIMIT with a count of -1 is no limit, and allowed by rank)
  if (limit !== -1 && kind === 'rank') throw new ReplyError('ERR syntax error, LIMIT is only supported in combination with either BYSCORE or BYLEX');
  if (withscores && kind === 'lex') throw new ReplyError('ERR syntax error, WITHSCORES not supported in combination with BYLEX');
  let minArg = argv[keyAt + 1]!;
  let maxArg = argv[keyAt + 2]!;
  if (rev && kind !== 'rank') [minArg, maxArg] = [maxArg, minArg];
  let start = 0;
  let end = 0;
  let srange: ScoreRange | null = null;
  let lmin: LexBound | null = null;
  let lmax: LexBound | null = null;
  if (kind === 'rank') {
    start = argLong(minArg);
    end = argLong(maxArg);
  } else if (kind === 'score') srange = parseScoreRange(minArg, maxArg);
  else {
    lmin = parseLexBound(minArg);
    lmax = parseLexBound(maxArg);
  }
  const k = ctx.ks;
  const db = ctx.session.db;
  const key = argv[keyAt]!;
  // a read even for ZRANGESTORE (Redis 7.0: a missing source is a keymiss and a miss in INFO)
  const e = k.lookupRead(db, key);
  if (e === 0) {
    if (dst !== null) ctx.reply.integer(storeDistinct(k, db, dst, []));
    else ctx.reply.array(0);
    return;
  }
  if (k.type(e) !== OBJ_ZSET) throw new WrongTypeError();
  const n = zsetLength(k, e);
  let items: ZItem[];
  if (kind === 'rank') {
    if (start < 0) start = n + start;
    if (end < 0) end = n + end;
    if (start < 0) start = 0;
    if (start > end || start >= n) items = [];
    else {
      if (end >= n) end = n - 1;
      items = rev ? zsetItems(k, e, n - 1 - end, n - start, true) : zsetItems(k, e, start, end + 1, false);
    }
  } else {
    let lo: number;
    let hi: number;
    if (kind === 'score') [lo, hi] = scoreRangeEmpty(srange!) ? [0, 0] : zsetScoreRanks(k, e, srange!);
    else [lo, hi] = zsetLexRanks(k, e, lmin!, lmax!);
    // LIMIT: a negative offset skips everything (Redis decrements it forever); a
    // negative count takes everything
    if (offset < 0 || (offset > 0 && offset >= n)) items = [];
    else {
      let a = lo;
      let b = hi;
      if (rev) b = Math.max(lo, hi - offset);
      else a = Math.min(hi, lo + offset);
      if (limit >= 0) {
        if (rev) a = Math.max(a, b - limit);
        else b = Math.min(b, a + limit);
      }
      items = zsetItems(k, e, a, b, rev);
    }
  }
  if (dst !== null) ctx.reply.integer(storeDistinct(k, db, dst, items));
  else replyItems(ctx, items, withscores);
}

const zrange = (preset: RangeOpts) => (ctx: CommandContext, argv: Buffer[]) => zrangeGeneric(ctx, argv, 1, null, preset);

function zrangestore(ctx: CommandContext, argv: Buffer[]): void {
  zrangeGeneric(ctx, argv, 2, argv[1]!, { kind: null, rev: null });
}

// ---------------------------------------------------------------- pops

/**
 * genericZpopCommand: pop from the first non-empty zset of keys. `emitKey` replies the key
 * first; `nested` gives [[member, score] …] (ZMPOP, RESP3 with a count); count -1 is "no
 * count given" (one item, flat).
 */
function zpopGeneric(ctx: CommandContext, keys: Buffer[], max: boolean, emitKey: boolean, count: number, nested: boolean, nilWhenEmpty: boolean): void {
  const k = ctx.ks;
  const db = ctx.session.db;
  let e = 0;
  let key: Buffer | null = null;
  for (const kk of keys) {
    const x = findZset(k, db, kk, false);
    if (x !== 0) {
      e = x;
      key = kk;
      break;
    }
  }
  if (e === 0) {
    if (nilWhenEmpty) ctx.reply.nullArray();
    else ctx.reply.array(0);
    return;
  }
  if (count === 0) {
    ctx.reply.array(0);
    return;
  }
  const items = zsetPop(k, e, count === -1 ? 1 : count, max);
  signalChanged(ctx, e);
  const r = ctx.reply;
  if (emitKey && nested) {
    r.array(2);
    r.bulk(key!);
    replyItems(ctx, items, true, true);
    return;
  }
  if (nested) {
    replyItems(ctx, items, true, true);
    return;
  }
  r.array(items.length * 2 + (emitKey ? 1 : 0));
  if (emitKey) r.bulk(key!);
  for (const [m, s] of items) {
    r.bulk(m);
    r.double(s);
  }
}

const zpop = (max: boolean) => (ctx: CommandContext, argv: Buffer[]) => {
  if (argv.length > 3) throw new ReplyError(ERR_SYNTAX);
  let count = -1;
  if (argv.length === 3) count = argRange(argv[2]!, 0n, LONG_MAX, 'ERR value is out of range, must be positive');
  zpopGeneric(ctx, [argv[1]!], max, false, count, ctx.reply.resp === 3 && count !== -1, false);
};

/** ZMPOP / BZMPOP arguments from numkeys at argv[at]. */
function parseZmpop(argv: Buffer[], at: number): { keys: Buffer[]; max: boolean; count: number } {
  const numkeys = argRange(argv[at]!, 1n, LONG_MAX, 'ERR numkeys should be greater than 0');
  const whereIdx = at + numkeys + 1;
  if (whereIdx >= argv.length) throw new ReplyError(ERR_SYNTAX);
  let max: boolean;
  if (eqi(argv[whereIdx]!, 'min')) max = false;
  else if (eqi(argv[whereIdx]!, 'max')) max = true;
  else throw new ReplyError(ERR_SYNTAX);
  let count = -1;
  for (let j = whereIdx + 1; j < argv.length; j++) {
    const more = argv.length - 1 - j;
    if (count === -1 && eqi(argv[j]!, 'count') && more > 0) {
      j++;
      count = argRange(argv[j]!, 1n, LONG_MAX, 'ERR count should be greater than 0');
    } else throw new ReplyError(ERR_SYNTAX);
  }
  return { keys: argv.slice(at + 1, whereIdx), max, count: count === -1 ? 1 : count };
}

function zmpop(ctx: CommandContext, argv: Buffer[]): void {
  const { keys, max, count } = parseZmpop(argv, 1);
  zpopGeneric(ctx, keys, max, true, count, true, true);
}

/**
 * The first of keys holding a zset (WRONGTYPE for another type, except when the server
 * runs a waiting command again: Redis 7.0 keeps such a client waiting).
 */
function firstZset(ctx: CommandContext, keys: Buffer[]): Buffer | null {
  const k = ctx.ks;
  for (const key of keys) {
    const e = k.lookupWrite(ctx.session.db, key);
    if (e === 0) continue;
    if (k.type(e) !== OBJ_ZSET) {
      if (ctx.session.rerun) continue;
      throw new WrongTypeError();
    }
    if (zsetLength(k, e) > 0) return key;
  }
  return null;
}

function waitForZsets(ctx: CommandContext, keys: Buffer[], timeoutAt: number): void {
  blockForKeys(ctx, { db: ctx.session.db, keys: keys.map((x) => Buffer.from(x)), type: OBJ_ZSET, timeoutAt });
}

/** BZPOPMIN / BZPOPMAX key [key ...] timeout */
const bzpop = (max: boolean) => (ctx: CommandContext, argv: Buffer[]) => {
  const timeoutAt = parseTimeout(argv[argv.length - 1]!);
  const keys = argv.slice(1, -1);
  const key = firstZset(ctx, keys);
  if (key === null) {
    waitForZsets(ctx, keys, timeoutAt);
    return;
  }
  zpopGeneric(ctx, [key], max, true, -1, false, false);
};

/** BZMPOP timeout numkeys key [key ...] MIN|MAX [COUNT count] */
function bzmpop(ctx: CommandContext, argv: Buffer[]): void {
  const timeoutAt = parseTimeout(argv[1]!);
  const { keys, max, count } = parseZmpop(argv, 2);
  const key = firstZset(ctx, keys);
  if (key === null) {
    waitForZsets(ctx, keys, timeoutAt);
    return;
  }
  zpopGeneric(ctx, [key], max, true, count, true, true);
}

// ---------------------------------------------------------------- ZRANDMEMBER

/** ZRANDMEMBER copies the set when it is at most this many times the count (Redis's ZRANDMEMBER_SUB_STRATEGY_MUL). */
const ZRANDMEMBER_SUB_STRATEGY_MUL = 3;

function zrandmember(ctx: CommandContext, argv: Buffer[]): void {
  const k = ctx.ks;
  if (argv.length < 3) {
    const e = findZset(k, ctx.session.db, argv[1]!, true);
    if (e === 0) ctx.reply.nullBulk();
    else ctx.reply.bulk(zsetRandom(k, e)[0]);
    return;
  }
  const v = argInt64(argv[2]!, ERR_NOT_INT);
  if (BigInt(v) < -LONG_MAX) throw new ReplyError('ERR value is out of range, value must between -9223372036854775807 and 9223372036854775807');
  let withscores = false;
  if (argv.length === 4 && eqi(argv[3]!, 'withscores')) withscores = true;
  else if (argv.length >= 4) throw new ReplyError(ERR_SYNTAX);
  // (Redis: with scores a negative count must leave room for twice as many replies)
  if (withscores && BigInt(v) < -(LONG_MAX / 2n)) throw new ReplyError('ERR value is out of range');
  const l = Number(v);
  const e = findZset(k, ctx.session.db, argv[1]!, true);
  if (e === 0 || l === 0) {
    ctx.reply.array(0);
    return;
  }
  const size = zsetLength(k, e);
  if (l < 0) {
    const count = -l;
    if (count > MAX_RANDOM_REPLY) throw new ReplyError(ERR_RANDOM_COUNT);
    const items: ZItem[] = [];
    for (let i = 0; i < count; i++) items.push(zsetRandom(k, e));
    replyItems(ctx, items, withscores);
    return;
  }
  if (l >= size) {
    replyItems(ctx, zsetAll(k, e), withscores);
    return;
  }
  let out: ZItem[];
  if (l * ZRANDMEMBER_SUB_STRATEGY_MUL > size) {
    out = zsetAll(k, e);
    while (out.length > l) {
      const i = Math.floor(Math.random() * out.length);
      out[i] = out[out.length - 1]!;
      out.pop();
    }
  } else {
    const seen = new Map<string, ZItem>();
    while (seen.size < l) {
      const it = zsetRandom(k, e);
      seen.set(it[0].toString('latin1'), it);
    }
    out = [...seen.values()];
  }
  replyItems(ctx, out, withscores);
}

// ---------------------------------------------------------------- ZUNION, ZINTER, ZDIFF

const OP_UNION = 0;
const OP_INTER = 1;
const OP_DIFF = 2;

interface Src {
  e: number;
  type: number;
  weight: number;
}

function srcLength(ctx: CommandContext, s: Src): number {
  if (s.e === 0) return 0;
  return s.type === OBJ_SET ? setSize(ctx.ks, s.e) : zsetLength(ctx.ks, s.e);
}

function srcForEach(ctx: CommandContext, s: Src, fn: (m: Buffer, score: number) => void): void {
  if (s.e === 0) return;
  if (s.type === OBJ_SET) {
    setForEachUntil(ctx.ks, s.e, (m) => {
      fn(m, 1);
      return true;
    });
    return;
  }
  zsetForEachRank(ctx.ks, s.e, 0, false, (m, sc) => {
    fn(m, sc);
  });
}

function srcScore(ctx: CommandContext, s: Src, m: Buffer): number | null {
  if (s.e === 0) return null;
  if (s.type === OBJ_SET) return setIsMember(ctx.ks, s.e, m) ? 1 : null;
  return zsetScore(ctx.ks, s.e, m);
}

type Aggregate = 'sum' | 'min' | 'max';

function aggregate(a: number, b: number, how: Aggregate): number {
  if (how === 'sum') {
    const r = a + b;
    return Number.isNaN(r) ? 0 : r;
  }
  if (how === 'min') return b < a ? b : a;
  return b > a ? b : a;
}

/** zunionInterDiffGenericCommand */
function zsetOpGeneric(ctx: CommandContext, argv: Buffer[], dst: Buffer | null, numkeysIdx: number, op: number, cardOnly: boolean): void {
  const k = ctx.ks;
  const db = ctx.session.db;
  const setnum = argLong(argv[numkeysIdx]!);
  if (setnum < 1) throw new ReplyError(`ERR at least 1 input key is needed for '${argv[0]!.toString('latin1').toLowerCase()}' command`);
  if (setnum > argv.length - (numkeysIdx + 1)) throw new ReplyError(ERR_SYNTAX);
  const srcs: Src[] = [];
  let j = numkeysIdx + 1;
  for (let i = 0; i < setnum; i++, j++) {
    // sources are reads even for the *STORE forms (Redis 7.0: keymiss events, INFO misses)
    const e = k.lookupRead(db, argv[j]!);
    let type = 0;
    if (e !== 0) {
      type = k.type(e);
      if (type !== OBJ_ZSET && type !== OBJ_SET) throw new WrongTypeError();
    }
    srcs.push({ e, type, weight: 1 });
  }
  let how: Aggregate = 'sum';
  let withscores = false;
  let limit = 0;
  while (j < argv.length) {
    const remaining = argv.length - j;
    const a = argv[j]!;
    if (op !== OP_DIFF && !cardOnly && remaining >= setnum + 1 && eqi(a, 'weights')) {
      j++;
      for (let i = 0; i < setnum; i++, j++) srcs[i]!.weight = argDouble(argv[j]!, 'ERR weight value is not a float');
    } else if (op !== OP_DIFF && !cardOnly && remaining >= 2 && eqi(a, 'aggregate')) {
      j++;
      const w = argv[j]!;
      if (eqi(w, 'sum')) how = 'sum';
      else if (eqi(w, 'min')) how = 'min';
      else if (eqi(w, 'max')) how = 'max';
      else throw new ReplyError(ERR_SYNTAX);
      j++;
    } else if (remaining >= 1 && dst === null && !cardOnly && eqi(a, 'withscores')) {
      j++;
      withscores = true;
    } else if (cardOnly && remaining >= 2 && eqi(a, 'limit')) {
      j++;
      limit = argRange(argv[j]!, 0n, LONG_MAX, "ERR LIMIT can't be negative");
      j++;
    } else throw new ReplyError(ERR_SYNTAX);
  }
  // smallest first (a stable sort, as glibc's qsort for these sizes)
  const order = op === OP_DIFF ? srcs : srcs.map((s, i) => [srcLength(ctx, s), i, s] as const).sort((a, b) => a[0] - b[0] || a[1] - b[1]).map((x) => x[2]);
  const result = new Map<string, ZItem>();
  let cardinality = 0;
  if (op === OP_INTER) {
    if (srcLength(ctx, order[0]!) > 0) {
      const first = order[0]!;
      const items: ZItem[] = [];
      srcForEach(ctx, first, (m, s) => items.push([m, s]));
      for (const [m, s0] of items) {
        let score = first.weight * s0;
        if (Number.isNaN(score)) score = 0;
        let ok = true;
        for (let i = 1; i < order.length; i++) {
          const o = order[i]!;
          const v = o.e === first.e ? s0 : srcScore(ctx, o, m);
          if (v === null) {
            ok = false;
            break;
          }
          score = aggregate(score, v * o.weight, how);
        }
        if (!ok) continue;
        if (cardOnly) {
          cardinality++;
          if (limit > 0 && cardinality >= limit) break;
        } else result.set(m.toString('latin1'), [m, score]);
      }
    }
  } else if (op === OP_UNION) {
    for (const s of order) {
      srcForEach(ctx, s, (m, sc) => {
        let score = s.weight * sc;
        if (Number.isNaN(score)) score = 0;
        const key = m.toString('latin1');
        const cur = result.get(key);
        if (cur === undefined) result.set(key, [m, score]);
        else cur[1] = aggregate(cur[1], score, how);
      });
    }
  } else {
    const first = order[0]!;
    const others = order.slice(1);
    srcForEach(ctx, first, (m, sc) => {
      for (const o of others) if (o.e !== 0 && (o.e === first.e || srcScore(ctx, o, m) !== null)) return;
      result.set(m.toString('latin1'), [m, sc]);
    });
  }
  if (cardOnly) {
    ctx.reply.integer(cardinality);
    return;
  }
  const items = [...result.values()];
  if (dst !== null) {
    ctx.reply.integer(storeDistinct(k, db, dst, items));
    return;
  }
  items.sort((a, b) => (a[1] < b[1] ? -1 : a[1] > b[1] ? 1 : Buffer.compare(a[0], b[0])));
  replyItems(ctx, items, withscores);
}

const zsetOp = (op: number, store: boolean) => (ctx: CommandContext, argv: Buffer[]) => zsetOpGeneric(ctx, argv, store ? argv[1]! : null, store ? 2 : 1, op, false);

function zintercard(ctx: CommandContext, argv: Buffer[]): void {
  zsetOpGeneric(ctx, argv, null, 1, OP_INTER, true);
}

// ---------------------------------------------------------------- ZSCAN

function zscan(ctx: CommandContext, argv: Buffer[]): void {
  const cursor = parseCursor(argv[2]!);
  const k = ctx.ks;
  const e = findZset(k, ctx.session.db, argv[1]!, true);
  if (e === 0) {
    ctx.reply.array(2);
    ctx.reply.bulk('0');
    ctx.reply.array(0);
    return;
  }
  const { count, match } = parseScanOptions(argv);
  const found: ZItem[] = [];
  const next = zsetScan(k, e, cursor, Math.min(count, 1 << 20), found);
  const out = match === null ? found : found.filter(([m]) => match!(m));
  ctx.reply.array(2);
  ctx.reply.bulk(String(next));
  ctx.reply.array(out.length * 2);
  for (const [m, s] of out) {
    ctx.reply.bulk(m);
    // (ZSCAN's scores are strings in both protocols, "%.17g" as the other replies)
    ctx.reply.bulk(formatScore(s));
  }
}

function formatScore(s: number): string {
  return formatDouble(s);
}

// ---------------------------------------------------------------- SORT

// Redis's SORT converts a listpack zset to a skiplist before reading it (an encoding side
// effect OBJECT ENCODING shows, and the suite checks): so do we
function sortConvert(ks: Keyspace, e: number): void {
  if (zsetEncoding(ks, e) === ENC_LISTPACK) zsetConvertToTree(ks, e);
}

registerSortSource(OBJ_ZSET, {
  elements: (ks, e) => {
    sortConvert(ks, e);
    return zsetAll(ks, e).map((it) => it[0]);
  },
  range: (ks, e, start, end, desc) => {
    sortConvert(ks, e);
    const n = zsetLength(ks, e);
    return (desc ? zsetItems(ks, e, n - 1 - end, n - start, true) : zsetItems(ks, e, start, end + 1, false)).map((it) => it[0]);
  },
});

// ---------------------------------------------------------------- the table

export const commands: CommandDef[] = [
  {
    name: 'zadd',
    handler: zaddCommand,
    arity: -4,
    flags: ['write', 'denyoom', 'fast'],
    firstKey: 1,
    lastKey: 1,
    keyStep: 1,
    group: 'sorted-set',
    summary: 'Add one or more members to a sorted set, or update its score if it already exists',
    since: '1.2.0',
    complexity: 'O(log(N)) for each item added, where N is the number of elements in the sorted set.',
    history: [
      ['2.4.0', 'Accepts multiple elements.'],
      ['3.0.2', 'Added the `XX`, `NX`, `CH` and `INCR` options.'],
      ['6.2.0', 'Added the `GT` and `LT` options.'],
    ],
    args: [
      { name: 'key', type: 'key', keySpecIndex: 0 },
      {
        name: 'condition',
        type: 'oneof',
        since: '3.0.2',
        flags: ['optional'],
        args: [{ name: 'nx', type: 'pure-token', token: 'NX' }, { name: 'xx', type: 'pure-token', token: 'XX' }],
      },
      {
        name: 'comparison',
        type: 'oneof',
        since: '6.2.0',
        flags: ['optional'],
        args: [{ name: 'gt', type: 'pure-token', token: 'GT' }, { name: 'lt', type: 'pure-token', token: 'LT' }],
      },
      { name: 'change', type: 'pure-token', token: 'CH', since: '3.0.2', flags: ['optional'] },
      { name: 'increment', type: 'pure-token', token: 'INCR', since: '3.0.2', flags: ['optional'] },
      {
        name: 'score_member',
        type: 'block',
        flags: ['multiple'],
        args: [{ name: 'score', type: 'double' }, { name: 'member', type: 'string' }],
      },
    ],
  },
  {
    name: 'zincrby',
    handler: zincrby,
    arity: 4,
    flags: ['write', 'denyoom', 'fast'],
    firstKey: 1,
    lastKey: 1,
    keyStep: 1,
    group: 'sorted-set',
    summary: 'Increment the score of a member in a sorted set',
    since: '1.2.0',
    complexity: 'O(log(N)) where N is the number of elements in the sorted set.',
    keySpecs: [
      {
        flags: ['RW', 'access', 'update'],
        beginSearch: { type: 'index', index: 1 },
        findKeys: { type: 'range', lastKey: 0, keyStep: 1, limit: 0 },
      },
    ],
    args: [
      { name: 'key', type: 'key', keySpecIndex: 0 },
      { name: 'increment', type: 'integer' },
      { name: 'member', type: 'string' },
    ],
  },
  {
    name: 'zrem',
    handler: zrem,
    arity: -3,
    flags: ['write', 'fast'],
    firstKey: 1,
    lastKey: 1,
    keyStep: 1,
    group: 'sorted-set',
    summary: 'Remove one or more members from a sorted set',
    since: '1.2.0',
    complexity: 'O(M*log(N)) with N being the number of elements in the sorted set and M the number of elements to be removed.',
    keySpecs: [
      {
        flags: ['RW', 'delete'],
        beginSearch: { type: 'index', index: 1 },
        findKeys: { type: 'range', lastKey: 0, keyStep: 1, limit: 0 },
      },
    ],
    history: [['2.4.0', 'Accepts multiple elements.']],
    args: [
      { name: 'key', type: 'key', keySpecIndex: 0 },
      { name: 'member', type: 'string', flags: ['multiple'] },
    ],
  },
  {
    name: 'zcard',
    handler: zcard,
    readFast: headerReadFast(OBJ_ZSET, true, replyLength),
    arity: 2,
    flags: ['readonly', 'fast'],
    firstKey: 1,
    lastKey: 1,
    keyStep: 1,
    group: 'sorted-set',
    summary: 'Get the number of members in a sorted set',
    since: '1.2.0',
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
    name: 'zscore',
    handler: zscore,
    arity: 3,
    flags: ['readonly', 'fast'],
    firstKey: 1,
    lastKey: 1,
    keyStep: 1,
    group: 'sorted-set',
    summary: 'Get the score associated with the given member in a sorted set',
    since: '1.2.0',
    complexity: 'O(1)',
    args: [{ name: 'key', type: 'key', keySpecIndex: 0 }, { name: 'member', type: 'string' }],
  },
  {
    name: 'zmscore',
    handler: zmscore,
    arity: -3,
    flags: ['readonly', 'fast'],
    firstKey: 1,
    lastKey: 1,
    keyStep: 1,
    group: 'sorted-set',
    summary: 'Get the score associated with the given members in a sorted set',
    since: '6.2.0',
    complexity: 'O(N) where N is the number of members being requested.',
    args: [
      { name: 'key', type: 'key', keySpecIndex: 0 },
      { name: 'member', type: 'string', flags: ['multiple'] },
    ],
  },
  {
    name: 'zrank',
    handler: zrank(false),
    arity: 3,
    flags: ['readonly', 'fast'],
    firstKey: 1,
    lastKey: 1,
    keyStep: 1,
    group: 'sorted-set',
    summary: 'Determine the index of a member in a sorted set',
    since: '2.0.0',
    complexity: 'O(log(N))',
    args: [{ name: 'key', type: 'key', keySpecIndex: 0 }, { name: 'member', type: 'string' }],
  },
  {
    name: 'zrevrank',
    handler: zrank(true),
    arity: 3,
    flags: ['readonly', 'fast'],
    firstKey: 1,
    lastKey: 1,
    keyStep: 1,
    group: 'sorted-set',
    summary: 'Determine the index of a member in a sorted set, with scores ordered from high to low',
    since: '2.0.0',
    complexity: 'O(log(N))',
    args: [{ name: 'key', type: 'key', keySpecIndex: 0 }, { name: 'member', type: 'string' }],
  },
  {
    name: 'zcount',
    handler: zcount,
    arity: 4,
    flags: ['readonly', 'fast'],
    firstKey: 1,
    lastKey: 1,
    keyStep: 1,
    group: 'sorted-set',
    summary: 'Count the members in a sorted set with scores within the given values',
    since: '2.0.0',
    complexity: 'O(log(N)) with N being the number of elements in the sorted set.',
    args: [
      { name: 'key', type: 'key', keySpecIndex: 0 },
      { name: 'min', type: 'double' },
      { name: 'max', type: 'double' },
    ],
  },
  {
    name: 'zlexcount',
    handler: zlexcount,
    arity: 4,
    flags: ['readonly', 'fast'],
    firstKey: 1,
    lastKey: 1,
    keyStep: 1,
    group: 'sorted-set',
    summary: 'Count the number of members in a sorted set between a given lexicographical range',
    since: '2.8.9',
    complexity: 'O(log(N)) with N being the number of elements in the sorted set.',
    args: [
      { name: 'key', type: 'key', keySpecIndex: 0 },
      { name: 'min', type: 'string' },
      { name: 'max', type: 'string' },
    ],
  },
  {
    name: 'zrange',
    handler: zrange({ kind: null, rev: null }),
    arity: -4,
    flags: ['readonly'],
    firstKey: 1,
    lastKey: 1,
    keyStep: 1,
    group: 'sorted-set',
    summary: 'Return a range of members in a sorted set',
    since: '1.2.0',
    complexity: 'O(log(N)+M) with N being the number of elements in the sorted set and M the number of elements returned.',
    history: [['6.2.0', 'Added the `REV`, `BYSCORE`, `BYLEX` and `LIMIT` options.']],
    args: [
      { name: 'key', type: 'key', keySpecIndex: 0 },
      { name: 'start', type: 'string' },
      { name: 'stop', type: 'string' },
      {
        name: 'sortby',
        type: 'oneof',
        since: '6.2.0',
        flags: ['optional'],
        args: [
          { name: 'byscore', type: 'pure-token', token: 'BYSCORE' },
          { name: 'bylex', type: 'pure-token', token: 'BYLEX' },
        ],
      },
      { name: 'rev', type: 'pure-token', token: 'REV', since: '6.2.0', flags: ['optional'] },
      {
        name: 'offset_count',
        type: 'block',
        token: 'LIMIT',
        since: '6.2.0',
        flags: ['optional'],
        args: [{ name: 'offset', type: 'integer' }, { name: 'count', type: 'integer' }],
      },
      { name: 'withscores', type: 'pure-token', token: 'WITHSCORES', flags: ['optional'] },
    ],
  },
  {
    name: 'zrangestore',
    handler: zrangestore,
    arity: -5,
    flags: ['write', 'denyoom'],
    firstKey: 1,
    lastKey: 2,
    keyStep: 1,
    group: 'sorted-set',
    summary: 'Store a range of members from sorted set into another key',
    since: '6.2.0',
    complexity: 'O(log(N)+M) with N being the number of elements in the sorted set and M the number of elements stored into the destination key.',
    keySpecs: [
      {
        flags: ['OW', 'update'],
        beginSearch: { type: 'index', index: 1 },
        findKeys: { type: 'range', lastKey: 0, keyStep: 1, limit: 0 },
      },
      {
        flags: ['RO', 'access'],
        beginSearch: { type: 'index', index: 2 },
        findKeys: { type: 'range', lastKey: 0, keyStep: 1, limit: 0 },
      },
    ],
    args: [
      { name: 'dst', type: 'key', keySpecIndex: 0 },
      { name: 'src', type: 'key', keySpecIndex: 1 },
      { name: 'min', type: 'string' },
      { name: 'max', type: 'string' },
      {
        name: 'sortby',
        type: 'oneof',
        flags: ['optional'],
        args: [
          { name: 'byscore', type: 'pure-token', token: 'BYSCORE' },
          { name: 'bylex', type: 'pure-token', token: 'BYLEX' },
        ],
      },
      { name: 'rev', type: 'pure-token', token: 'REV', flags: ['optional'] },
      {
        name: 'offset_count',
        type: 'block',
        token: 'LIMIT',
        flags: ['optional'],
        args: [{ name: 'offset', type: 'integer' }, { name: 'count', type: 'integer' }],
      },
    ],
  },
  {
    name: 'zrangebyscore',
    handler: zrange({ kind: 'score', rev: false }),
    arity: -4,
    flags: ['readonly'],
    firstKey: 1,
    lastKey: 1,
    keyStep: 1,
    group: 'sorted-set',
    summary: 'Return a range of members in a sorted set, by score',
    since: '1.0.5',
    complexity: 'O(log(N)+M) with N being the number of elements in the sorted set and M the number of elements being returned. If M is constant (e.g. always asking for the first 10 elements with LIMIT), you can consider it O(log(N)).',
    history: [['2.0.0', 'Added the `WITHSCORES` modifier.']],
    docFlags: ['deprecated'],
    deprecatedSince: '6.2.0',
    replacedBy: '`ZRANGE` with the `BYSCORE` argument',
    args: [
      { name: 'key', type: 'key', keySpecIndex: 0 },
      { name: 'min', type: 'double' },
      { name: 'max', type: 'double' },
      {
        name: 'withscores',
        type: 'pure-token',
        token: 'WITHSCORES',
        since: '2.0.0',
        flags: ['optional'],
      },
      {
        name: 'offset_count',
        type: 'block',
        token: 'LIMIT',
        flags: ['optional'],
        args: [{ name: 'offset', type: 'integer' }, { name: 'count', type: 'integer' }],
      },
    ],
  },
  {
    name: 'zrevrangebyscore',
    handler: zrange({ kind: 'score', rev: true }),
    arity: -4,
    flags: ['readonly'],
    firstKey: 1,
    lastKey: 1,
    keyStep: 1,
    group: 'sorted-set',
    summary: 'Return a range of members in a sorted set, by score, with scores ordered from high to low',
    since: '2.2.0',
    complexity: 'O(log(N)+M) with N being the number of elements in the sorted set and M the number of elements being returned. If M is constant (e.g. always asking for the first 10 elements with LIMIT), you can consider it O(log(N)).',
    history: [['2.1.6', '`min` and `max` can be exclusive.']],
    docFlags: ['deprecated'],
    deprecatedSince: '6.2.0',
    replacedBy: '`ZRANGE` with the `REV` and `BYSCORE` arguments',
    args: [
      { name: 'key', type: 'key', keySpecIndex: 0 },
      { name: 'max', type: 'double' },
      { name: 'min', type: 'double' },
      { name: 'withscores', type: 'pure-token', token: 'WITHSCORES', flags: ['optional'] },
      {
        name: 'offset_count',
        type: 'block',
        token: 'LIMIT',
        flags: ['optional'],
        args: [{ name: 'offset', type: 'integer' }, { name: 'count', type: 'integer' }],
      },
    ],
  },
  {
    name: 'zrangebylex',
    handler: zrange({ kind: 'lex', rev: false }),
    arity: -4,
    flags: ['readonly'],
    firstKey: 1,
    lastKey: 1,
    keyStep: 1,
    group: 'sorted-set',
    summary: 'Return a range of members in a sorted set, by lexicographical range',
    since: '2.8.9',
    complexity: 'O(log(N)+M) with N being the number of elements in the sorted set and M the number of elements being returned. If M is constant (e.g. always asking for the first 10 elements with LIMIT), you can consider it O(log(N)).',
    docFlags: ['deprecated'],
    deprecatedSince: '6.2.0',
    replacedBy: '`ZRANGE` with the `BYLEX` argument',
    args: [
      { name: 'key', type: 'key', keySpecIndex: 0 },
      { name: 'min', type: 'string' },
      { name: 'max', type: 'string' },
      {
        name: 'offset_count',
        type: 'block',
        token: 'LIMIT',
        flags: ['optional'],
        args: [{ name: 'offset', type: 'integer' }, { name: 'count', type: 'integer' }],
      },
    ],
  },
  {
    name: 'zrevrangebylex',
    handler: zrange({ kind: 'lex', rev: true }),
    arity: -4,
    flags: ['readonly'],
    firstKey: 1,
    lastKey: 1,
    keyStep: 1,
    group: 'sorted-set',
    summary: 'Return a range of members in a sorted set, by lexicographical range, ordered from higher to lower strings.',
    since: '2.8.9',
    complexity: 'O(log(N)+M) with N being the number of elements in the sorted set and M the number of elements being returned. If M is constant (e.g. always asking for the first 10 elements with LIMIT), you can consider it O(log(N)).',
    docFlags: ['deprecated'],
    deprecatedSince: '6.2.0',
    replacedBy: '`ZRANGE` with the `REV` and `BYLEX` arguments',
    args: [
      { name: 'key', type: 'key', keySpecIndex: 0 },
      { name: 'max', type: 'string' },
      { name: 'min', type: 'string' },
      {
        name: 'offset_count',
        type: 'block',
        token: 'LIMIT',
        flags: ['optional'],
        args: [{ name: 'offset', type: 'integer' }, { name: 'count', type: 'integer' }],
      },
    ],
  },
  {
    name: 'zrevrange',
    handler: zrange({ kind: 'rank', rev: true }),
    arity: -4,
    flags: ['readonly'],
    firstKey: 1,
    lastKey: 1,
    keyStep: 1,
    group: 'sorted-set',
    summary: 'Return a range of members in a sorted set, by index, with scores ordered from high to low',
    since: '1.2.0',
    complexity: 'O(log(N)+M) with N being the number of elements in the sorted set and M the number of elements returned.',
    docFlags: ['deprecated'],
    deprecatedSince: '6.2.0',
    replacedBy: '`ZRANGE` with the `REV` argument',
    args: [
      { name: 'key', type: 'key', keySpecIndex: 0 },
      { name: 'start', type: 'integer' },
      { name: 'stop', type: 'integer' },
      { name: 'withscores', type: 'pure-token', token: 'WITHSCORES', flags: ['optional'] },
    ],
  },
  {
    name: 'zremrangebyrank',
    handler: zremrange('rank'),
    arity: 4,
    flags: ['write'],
    firstKey: 1,
    lastKey: 1,
    keyStep: 1,
    group: 'sorted-set',
    summary: 'Remove all members in a sorted set within the given indexes',
    since: '2.0.0',
    complexity: 'O(log(N)+M) with N being the number of elements in the sorted set and M the number of elements removed by the operation.',
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
    name: 'zremrangebyscore',
    handler: zremrange('score'),
    arity: 4,
    flags: ['write'],
    firstKey: 1,
    lastKey: 1,
    keyStep: 1,
    group: 'sorted-set',
    summary: 'Remove all members in a sorted set within the given scores',
    since: '1.2.0',
    complexity: 'O(log(N)+M) with N being the number of elements in the sorted set and M the number of elements removed by the operation.',
    keySpecs: [
      {
        flags: ['RW', 'delete'],
        beginSearch: { type: 'index', index: 1 },
        findKeys: { type: 'range', lastKey: 0, keyStep: 1, limit: 0 },
      },
    ],
    args: [
      { name: 'key', type: 'key', keySpecIndex: 0 },
      { name: 'min', type: 'double' },
      { name: 'max', type: 'double' },
    ],
  },
  {
    name: 'zremrangebylex',
    handler: zremrange('lex'),
    arity: 4,
    flags: ['write'],
    firstKey: 1,
    lastKey: 1,
    keyStep: 1,
    group: 'sorted-set',
    summary: 'Remove all members in a sorted set between the given lexicographical range',
    since: '2.8.9',
    complexity: 'O(log(N)+M) with N being the number of elements in the sorted set and M the number of elements removed by the operation.',
    keySpecs: [
      {
        flags: ['RW', 'delete'],
        beginSearch: { type: 'index', index: 1 },
        findKeys: { type: 'range', lastKey: 0, keyStep: 1, limit: 0 },
      },
    ],
    args: [
      { name: 'key', type: 'key', keySpecIndex: 0 },
      { name: 'min', type: 'string' },
      { name: 'max', type: 'string' },
    ],
  },
  {
    name: 'zpopmin',
    handler: zpop(false),
    arity: -2,
    flags: ['write', 'fast'],
    firstKey: 1,
    lastKey: 1,
    keyStep: 1,
    group: 'sorted-set',
    summary: 'Remove and return members with the lowest scores in a sorted set',
    since: '5.0.0',
    complexity: 'O(log(N)*M) with N being the number of elements in the sorted set, and M being the number of elements popped.',
    keySpecs: [
      {
        flags: ['RW', 'access', 'delete'],
        beginSearch: { type: 'index', index: 1 },
        findKeys: { type: 'range', lastKey: 0, keyStep: 1, limit: 0 },
      },
    ],
    args: [
      { name: 'key', type: 'key', keySpecIndex: 0 },
      { name: 'count', type: 'integer', flags: ['optional'] },
    ],
  },
  {
    name: 'zpopmax',
    handler: zpop(true),
    arity: -2,
    flags: ['write', 'fast'],
    firstKey: 1,
    lastKey: 1,
    keyStep: 1,
    group: 'sorted-set',
    summary: 'Remove and return members with the highest scores in a sorted set',
    since: '5.0.0',
    complexity: 'O(log(N)*M) with N being the number of elements in the sorted set, and M being the number of elements popped.',
    keySpecs: [
      {
        flags: ['RW', 'access', 'delete'],
        beginSearch: { type: 'index', index: 1 },
        findKeys: { type: 'range', lastKey: 0, keyStep: 1, limit: 0 },
      },
    ],
    args: [
      { name: 'key', type: 'key', keySpecIndex: 0 },
      { name: 'count', type: 'integer', flags: ['optional'] },
    ],
  },
  {
    name: 'zmpop',
    handler: zmpop,
    arity: -4,
    flags: ['write'],
    firstKey: 0,
    lastKey: 0,
    keyStep: 0,
    group: 'sorted-set',
    summary: 'Remove and return members with scores in a sorted set',
    since: '7.0.0',
    complexity: 'O(K) + O(M*log(N)) where K is the number of provided keys, N being the number of elements in the sorted set, and M being the number of elements popped.',
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
          { name: 'min', type: 'pure-token', token: 'MIN' },
          { name: 'max', type: 'pure-token', token: 'MAX' },
        ],
      },
      { name: 'count', type: 'integer', token: 'COUNT', flags: ['optional'] },
    ],
  },
  {
    name: 'bzpopmin',
    handler: bzpop(false),
    arity: -3,
    flags: ['write', 'noscript', 'blocking', 'fast'],
    firstKey: 1,
    lastKey: -2,
    keyStep: 1,
    group: 'sorted-set',
    summary: 'Remove and return the member with the lowest score from one or more sorted sets, or block until one is available',
    since: '5.0.0',
    complexity: 'O(log(N)) with N being the number of elements in the sorted set.',
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
    name: 'bzpopmax',
    handler: bzpop(true),
    arity: -3,
    flags: ['write', 'noscript', 'blocking', 'fast'],
    firstKey: 1,
    lastKey: -2,
    keyStep: 1,
    group: 'sorted-set',
    summary: 'Remove and return the member with the highest score from one or more sorted sets, or block until one is available',
    since: '5.0.0',
    complexity: 'O(log(N)) with N being the number of elements in the sorted set.',
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
    name: 'bzmpop',
    handler: bzmpop,
    arity: -5,
    flags: ['write', 'blocking'],
    firstKey: 0,
    lastKey: 0,
    keyStep: 0,
    group: 'sorted-set',
    summary: 'Remove and return members with scores in a sorted set or block until one is available',
    since: '7.0.0',
    complexity: 'O(K) + O(M*log(N)) where K is the number of provided keys, N being the number of elements in the sorted set, and M being the number of elements popped.',
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
          { name: 'min', type: 'pure-token', token: 'MIN' },
          { name: 'max', type: 'pure-token', token: 'MAX' },
        ],
      },
      { name: 'count', type: 'integer', token: 'COUNT', flags: ['optional'] },
    ],
  },
  {
    name: 'zrandmember',
    handler: zrandmember,
    arity: -2,
    flags: ['readonly'],
    firstKey: 1,
    lastKey: 1,
    keyStep: 1,
    group: 'sorted-set',
    summary: 'Get one or multiple random elements from a sorted set',
    since: '6.2.0',
    complexity: 'O(N) where N is the number of elements returned',
    tips: ['nondeterministic_output'],
    args: [
      { name: 'key', type: 'key', keySpecIndex: 0 },
      {
        name: 'options',
        type: 'block',
        flags: ['optional'],
        args: [
          { name: 'count', type: 'integer' },
          { name: 'withscores', type: 'pure-token', token: 'WITHSCORES', flags: ['optional'] },
        ],
      },
    ],
  },
  {
    name: 'zunion',
    handler: zsetOp(OP_UNION, false),
    arity: -3,
    flags: ['readonly'],
    firstKey: 0,
    lastKey: 0,
    keyStep: 0,
    group: 'sorted-set',
    summary: 'Add multiple sorted sets',
    since: '6.2.0',
    complexity: 'O(N)+O(M*log(M)) with N being the sum of the sizes of the input sorted sets, and M being the number of elements in the resulting sorted set.',
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
      { name: 'weight', type: 'integer', token: 'WEIGHTS', flags: ['optional', 'multiple'] },
      {
        name: 'aggregate',
        type: 'oneof',
        token: 'AGGREGATE',
        flags: ['optional'],
        args: [
          { name: 'sum', type: 'pure-token', token: 'SUM' },
          { name: 'min', type: 'pure-token', token: 'MIN' },
          { name: 'max', type: 'pure-token', token: 'MAX' },
        ],
      },
      { name: 'withscores', type: 'pure-token', token: 'WITHSCORES', flags: ['optional'] },
    ],
  },
  {
    name: 'zinter',
    handler: zsetOp(OP_INTER, false),
    arity: -3,
    flags: ['readonly'],
    firstKey: 0,
    lastKey: 0,
    keyStep: 0,
    group: 'sorted-set',
    summary: 'Intersect multiple sorted sets',
    since: '6.2.0',
    complexity: 'O(N*K)+O(M*log(M)) worst case with N being the smallest input sorted set, K being the number of input sorted sets and M being the number of elements in the resulting sorted set.',
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
      { name: 'weight', type: 'integer', token: 'WEIGHTS', flags: ['optional', 'multiple'] },
      {
        name: 'aggregate',
        type: 'oneof',
        token: 'AGGREGATE',
        flags: ['optional'],
        args: [
          { name: 'sum', type: 'pure-token', token: 'SUM' },
          { name: 'min', type: 'pure-token', token: 'MIN' },
          { name: 'max', type: 'pure-token', token: 'MAX' },
        ],
      },
      { name: 'withscores', type: 'pure-token', token: 'WITHSCORES', flags: ['optional'] },
    ],
  },
  {
    name: 'zdiff',
    handler: zsetOp(OP_DIFF, false),
    arity: -3,
    flags: ['readonly'],
    firstKey: 0,
    lastKey: 0,
    keyStep: 0,
    group: 'sorted-set',
    summary: 'Subtract multiple sorted sets',
    since: '6.2.0',
    complexity: 'O(L + (N-K)log(N)) worst case where L is the total number of elements in all the sets, N is the size of the first set, and K is the size of the result set.',
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
      { name: 'withscores', type: 'pure-token', token: 'WITHSCORES', flags: ['optional'] },
    ],
  },
  {
    name: 'zunionstore',
    handler: zsetOp(OP_UNION, true),
    arity: -4,
    flags: ['write', 'denyoom'],
    firstKey: 1,
    lastKey: 1,
    keyStep: 1,
    group: 'sorted-set',
    summary: 'Add multiple sorted sets and store the resulting sorted set in a new key',
    since: '2.0.0',
    complexity: 'O(N)+O(M log(M)) with N being the sum of the sizes of the input sorted sets, and M being the number of elements in the resulting sorted set.',
    keySpecs: [
      {
        flags: ['OW', 'update'],
        beginSearch: { type: 'index', index: 1 },
        findKeys: { type: 'range', lastKey: 0, keyStep: 1, limit: 0 },
      },
      {
        flags: ['RO', 'access'],
        beginSearch: { type: 'index', index: 2 },
        findKeys: { type: 'keynum', keyNumIdx: 0, firstKey: 1, keyStep: 1 },
      },
    ],
    args: [
      { name: 'destination', type: 'key', keySpecIndex: 0 },
      { name: 'numkeys', type: 'integer' },
      { name: 'key', type: 'key', keySpecIndex: 1, flags: ['multiple'] },
      { name: 'weight', type: 'integer', token: 'WEIGHTS', flags: ['optional', 'multiple'] },
      {
        name: 'aggregate',
        type: 'oneof',
        token: 'AGGREGATE',
        flags: ['optional'],
        args: [
          { name: 'sum', type: 'pure-token', token: 'SUM' },
          { name: 'min', type: 'pure-token', token: 'MIN' },
          { name: 'max', type: 'pure-token', token: 'MAX' },
        ],
      },
    ],
  },
  {
    name: 'zinterstore',
    handler: zsetOp(OP_INTER, true),
    arity: -4,
    flags: ['write', 'denyoom'],
    firstKey: 1,
    lastKey: 1,
    keyStep: 1,
    group: 'sorted-set',
    summary: 'Intersect multiple sorted sets and store the resulting sorted set in a new key',
    since: '2.0.0',
    complexity: 'O(N*K)+O(M*log(M)) worst case with N being the smallest input sorted set, K being the number of input sorted sets and M being the number of elements in the resulting sorted set.',
    keySpecs: [
      {
        flags: ['OW', 'update'],
        beginSearch: { type: 'index', index: 1 },
        findKeys: { type: 'range', lastKey: 0, keyStep: 1, limit: 0 },
      },
      {
        flags: ['RO', 'access'],
        beginSearch: { type: 'index', index: 2 },
        findKeys: { type: 'keynum', keyNumIdx: 0, firstKey: 1, keyStep: 1 },
      },
    ],
    args: [
      { name: 'destination', type: 'key', keySpecIndex: 0 },
      { name: 'numkeys', type: 'integer' },
      { name: 'key', type: 'key', keySpecIndex: 1, flags: ['multiple'] },
      { name: 'weight', type: 'integer', token: 'WEIGHTS', flags: ['optional', 'multiple'] },
      {
        name: 'aggregate',
        type: 'oneof',
        token: 'AGGREGATE',
        flags: ['optional'],
        args: [
          { name: 'sum', type: 'pure-token', token: 'SUM' },
          { name: 'min', type: 'pure-token', token: 'MIN' },
          { name: 'max', type: 'pure-token', token: 'MAX' },
        ],
      },
    ],
  },
  {
    name: 'zdiffstore',
    handler: zsetOp(OP_DIFF, true),
    arity: -4,
    flags: ['write', 'denyoom'],
    firstKey: 1,
    lastKey: 1,
    keyStep: 1,
    group: 'sorted-set',
    summary: 'Subtract multiple sorted sets and store the resulting sorted set in a new key',
    since: '6.2.0',
    complexity: 'O(L + (N-K)log(N)) worst case where L is the total number of elements in all the sets, N is the size of the first set, and K is the size of the result set.',
    keySpecs: [
      {
        flags: ['OW', 'update'],
        beginSearch: { type: 'index', index: 1 },
        findKeys: { type: 'range', lastKey: 0, keyStep: 1, limit: 0 },
      },
      {
        flags: ['RO', 'access'],
        beginSearch: { type: 'index', index: 2 },
        findKeys: { type: 'keynum', keyNumIdx: 0, firstKey: 1, keyStep: 1 },
      },
    ],
    args: [
      { name: 'destination', type: 'key', keySpecIndex: 0 },
      { name: 'numkeys', type: 'integer' },
      { name: 'key', type: 'key', keySpecIndex: 1, flags: ['multiple'] },
    ],
  },
  {
    name: 'zintercard',
    handler: zintercard,
    arity: -3,
    flags: ['readonly'],
    firstKey: 0,
    lastKey: 0,
    keyStep: 0,
    group: 'sorted-set',
    summary: 'Intersect multiple sorted sets and return the cardinality of the result',
    since: '7.0.0',
    complexity: 'O(N*K) worst case with N being the smallest input sorted set, K being the number of input sorted sets.',
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
    name: 'zscan',
    handler: zscan,
    arity: -3,
    flags: ['readonly'],
    firstKey: 1,
    lastKey: 1,
    keyStep: 1,
    group: 'sorted-set',
    summary: 'Incrementally iterate sorted sets elements and associated scores',
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
