/**
 * Sorted-set values in the keyspace (Redis 7.0's t_zset.c data side): how a sorted set is
 * stored and the operations the sorted-set (and geo) commands build on. Every change goes
 * through the keyspace's seam and the heap's undo log.
 *
 * Encodings, with Redis's names (OBJECT ENCODING):
 * - `listpack` (ENC_LISTPACK): up to `zset-max-listpack-entries` members of at most
 *   `zset-max-listpack-value` bytes, in one listpack (src/structs/listpack.ts) of
 *   alternating entries, member then score, in score-then-member order. A score entry is
 *   the 8 bytes of the f64, little-endian (not text as Redis's: nothing outside reads it,
 *   and it never needs parsing). Everything is a scan: the set is small.
 * - `skiplist` (ENC_SKIPLIST): past either bound, for good (never converted back, except
 *   when a *STORE command builds a new value, as Redis). The entry's O_VREF is a 16-byte
 *   chunk:
 *     0   TREE_HDR bytes: an order-statistic tree (src/structs/ostree.ts) of
 *         (score, member ref) items: ranks, ranges and counts in O(log n)
 *     12  u32  ref of a Dash (src/structs/dash.ts) of member refs by the member's hash: the
 *         member → score table (ZSCORE, ZADD's lookups in O(1))
 *   Both point to the same member chunks (ostree.ts: f64 score, u32 length, bytes): one
 *   chunk per member, freed when the member goes.
 * The entry's O_VLEN is the member count. A skiplist of more than 64 members that is
 * deleted or overwritten is freed lazily, a slice per operation (members first, through
 * the member table, then the tree's nodes).
 */
import { Heap } from '../../heap/heap.js';
import { Dash } from '../../structs/dash.js';
import { hashBytes } from '../../structs/hash.js';
import { LP_HDR, lpCheck, lpData, lpDelete, lpEntrySize, lpFirst, lpFromItems, lpGet, lpInsert, lpLen, lpNew, lpNext, lpSeek, lpUsed, lpEq } from '../../structs/listpack.js';
import { OSTree, MEMBER_DATA, MEMBER_LEN, MEMBER_SCORE, TREE_HDR } from '../../structs/ostree.js';
import { REASON } from '../../keyspace/changes.js';
import { Digest } from '../../keyspace/digest.js';
import { WrongTypeError, type Keyspace } from '../../keyspace/keyspace.js';
import { OBJ_ZSET, O_ENC, O_VLEN, O_VREF } from '../../keyspace/object.js';
import { SETTING_SLOT } from '../../keyspace/settings.js';
import { registerValueType, type ValueType } from '../../keyspace/valuetypes.js';
import { formatDouble } from '../../protocol/float.js';
import { zsetFromRdb, zsetToRdb } from './rdb.js';
import { zsetRdbStream } from './stream.js';

/** Redis's OBJ_ENCODING_SKIPLIST / OBJ_ENCODING_LISTPACK codes. */
export const ENC_SKIPLIST = 7;
export const ENC_LISTPACK = 11;

const ZHDR = 16;
/** Skiplists of more members than this are freed lazily (Redis's LAZYFREE_THRESHOLD). */
const LAZYFREE_THRESHOLD = 64;
/** Offset in the skiplist's header chunk of the member table's ref (exported for src/types/zset/stream.ts). */
export const Z_DASH = TREE_HDR;

const SLOT_MAX_ENTRIES = SETTING_SLOT['zset-max-listpack-entries']!;
const SLOT_MAX_VALUE = SETTING_SLOT['zset-max-listpack-value']!;

export function maxListpackEntries(ks: Keyspace): number {
  return ks.settings.slot(SLOT_MAX_ENTRIES);
}

export function maxListpackValue(ks: Keyspace): number {
  return ks.settings.slot(SLOT_MAX_VALUE);
}

/** A member and its score. */
export type ZItem = [Buffer, number];

// ---------------------------------------------------------------- helpers

/**
 * A listpack score entry. Redis writes listpack scores as text with d2string, which prints
 * -0 as "0": a listpack never holds -0 (a skiplist does).
 */
function scoreBytes(score: number): Uint8Array {
  const b = new Uint8Array(8);
  new DataView(b.buffer).setFloat64(0, score === 0 ? 0 : score, true);
  return b;
}

function lpScore(heap: Heap, at: number): number {
  return heap.dv.getFloat64(lpData(heap, at), true);
}

/** Every (member, score) of a listpack zset, in order. */
function lpPairs(heap: Heap, p: number): ZItem[] {
  const out: ZItem[] = [];
  for (let at = lpFirst(heap, p); at !== 0; ) {
    const m = lpGet(heap, at);
    const s = lpNext(heap, p, at);
    out.push([m, lpScore(heap, s)]);
    at = lpNext(heap, p, s);
  }
  return out;
}

/** The member entry of m in a listpack zset, or 0. */
function lpFindMember(heap: Heap, p: number, m: Uint8Array): number {
  for (let at = lpFirst(heap, p); at !== 0; ) {
    if (lpEq(heap, at, m)) return at;
    at = lpNext(heap, p, lpNext(heap, p, at));
  }
  return 0;
}

/** memcmp of two byte strings. */
export function cmpBytes(a: Uint8Array, b: Uint8Array): number {
  return Buffer.compare(a, b);
}

function treeOf(ks: Keyspace, e: number): OSTree {
  return new OSTree(ks.heap, ks.valueRef(e));
}

function dashOf(ks: Keyspace, e: number): Dash {
  return new Dash(ks.heap, Heap.deref(ks.heap.dv.getUint32(ks.valueRef(e) + Z_DASH, true)));
}

function findChunk(ks: Keyspace, d: Dash, m: Uint8Array, h: number): number {
  const heap = ks.heap;
  return d.find(h, (r) => {
    const p = Heap.deref(r);
    return heap.dv.getUint32(p + MEMBER_LEN, true) === m.length && heap.mem.equals(p + MEMBER_DATA, m, 0, m.length);
  });
}

function setCount(ks: Keyspace, e: number, n: number): void {
  ks.heap.log(e + O_VLEN, 4);
  ks.heap.dv.setUint32(e + O_VLEN, n, true);
}

function setValue(ks: Keyspace, e: number, enc: number, ref: number): void {
  const heap = ks.heap;
  heap.log(e + O_ENC, 1);
  heap.mem.u8[e + O_ENC] = enc;
  heap.log(e + O_VREF, 4);
  heap.dv.setUint32(e + O_VREF, ref, true);
}

// ---------------------------------------------------------------- reading

export function zsetLength(ks: Keyspace, e: number): number {
  return ks.heap.dv.getUint32(e + O_VLEN, true);
}

export function zsetEncoding(ks: Keyspace, e: number): number {
  return ks.heap.mem.u8[e + O_ENC]!;
}

/** The entry of a sorted-set key, 0 when absent; WRONGTYPE for another type. */
export function findZset(ks: Keyspace, db: number, key: Uint8Array, read: boolean): number {
  const e = read ? ks.lookupRead(db, key) : ks.lookupWrite(db, key);
  if (e !== 0 && ks.type(e) !== OBJ_ZSET) throw new WrongTypeError();
  return e;
}

export function zsetScore(ks: Keyspace, e: number, member: Uint8Array): number | null {
  const heap = ks.heap;
  if (zsetEncoding(ks, e) === ENC_LISTPACK) {
    const p = ks.valueRef(e);
    const at = lpFindMember(heap, p, member);
    return at === 0 ? null : lpScore(heap, lpNext(heap, p, at));
  }
  const c = findChunk(ks, dashOf(ks, e), member, hashBytes(member, 0, member.length));
  return c === 0 ? null : heap.dv.getFloat64(Heap.deref(c) + MEMBER_SCORE, true);
}

/** Rank (0-based, ascending) of a member, or -1. */
export function zsetRank(ks: Keyspace, e: number, member: Uint8Array): number {
  const heap = ks.heap;
  if (zsetEncoding(ks, e) === ENC_LISTPACK) {
    const p = ks.valueRef(e);
    let r = 0;
    for (let at = lpFirst(heap, p); at !== 0; r++) {
      if (lpEq(heap, at, member)) return r;
      at = lpNext(heap, p, lpNext(heap, p, at));
    }
    return -1;
  }
  const c = findChunk(ks, dashOf(ks, e), member, hashBytes(member, 0, member.length));
  if (c === 0) return -1;
  return treeOf(ks, e).rankOf(heap.dv.getFloat64(Heap.deref(c) + MEMBER_SCORE, true), c);
}

/**
 * Number of items before a bound given on scores (`beforeScore`) or, when that is null, on
 * members (`beforeMember`, for lex ranges: meaningful when all scores are equal).
 */
function countBefore(ks: Keyspace, e: number, beforeScore: ((s: number) => boolean) | null, beforeMember: ((m: Uint8Array) => boolean) | null): number {
  const heap = ks.heap;
  if (zsetEncoding(ks, e) === ENC_LISTPACK) {
    const pairs = lpPairs(heap, ks.valueRef(e));
    let n = 0;
    for (const [m, s] of pairs) {
      if (beforeScore !== null ? !beforeScore(s) : !beforeMember!(m)) break;
      n++;
    }
    return n;
  }
  const t = treeOf(ks, e);
  if (beforeScore !== null) return t.rankWhere((s) => beforeScore(s));
  return t.rankWhere((_s, r) => beforeMember!(OSTree.memberBuf(heap, Heap.deref(r))));
}

export interface ScoreRange {
  min: number;
  max: number;
  minex: boolean;
  maxex: boolean;
}

/** Ranks [lo, hi) of the items whose score is in the range. */
export function zsetScoreRanks(ks: Keyspace, e: number, r: ScoreRange): [number, number] {
  const lo = countBefore(ks, e, (s) => s < r.min || (r.minex && s === r.min), null);
  const hi = countBefore(ks, e, (s) => s < r.max || (!r.maxex && s === r.max), null);
  return [lo, Math.max(lo, hi)];
}

/** A lex range bound: '-' (before everything), '+' (after everything), or a member, inclusive or not. */
export interface LexBound {
  inf: -1 | 0 | 1;
  value: Buffer;
  ex: boolean;
}

export function zsetLexRanks(ks: Keyspace, e: number, min: LexBound, max: LexBound): [number, number] {
  const n = zsetLength(ks, e);
  const bound = (b: LexBound, isMin: boolean): number => {
    if (b.inf === -1) return 0;
    if (b.inf === 1) return n;
    const exclusiveBefore = isMin ? b.ex : !b.ex;
    return countBefore(ks, e, null, (m) => {
      const c = cmpBytes(m, b.value);
      return c < 0 || (exclusiveBefore && c === 0);
    });
  };
  const lo = bound(min, true);
  const hi = bound(max, false);
  return [lo, Math.max(lo, hi)];
}

/**
 * Call fn for the items of rank from, from+1, … (from, from-1, … when back) until it
 * returns false or they end.
 */
export function zsetForEachRank(ks: Keyspace, e: number, from: number, back: boolean, fn: (member: Buffer, score: number) => boolean | void): void {
  const heap = ks.heap;
  if (zsetEncoding(ks, e) === ENC_LISTPACK) {
    const pairs = lpPairs(heap, ks.valueRef(e));
    for (let r = from; r >= 0 && r < pairs.length; r += back ? -1 : 1) if (fn(pairs[r]![0], pairs[r]![1]) === false) return;
    return;
  }
  treeOf(ks, e).forEachFrom(from, back, (s, ref) => fn(OSTree.memberBuf(heap, Heap.deref(ref)), s));
}

/** Items of ranks [lo, hi) (reversed when back: hi-1 down to lo). */
export function zsetItems(ks: Keyspace, e: number, lo: number, hi: number, back: boolean): ZItem[] {
  const out: ZItem[] = [];
  if (hi <= lo) return out;
  zsetForEachRank(ks, e, back ? hi - 1 : lo, back, (m, s) => {
    out.push([m, s]);
    return out.length < hi - lo;
  });
  return out;
}

/** Every item, in order. */
export function zsetAll(ks: Keyspace, e: number): ZItem[] {
  return zsetItems(ks, e, 0, zsetLength(ks, e), false);
}

/** Contract for geo: items with min <= score <= max, ascending, until fn returns false. */
export function zsetRangeByScore(ks: Keyspace, e: number, min: number, max: number, fn: (member: Buffer, score: number) => boolean | void): void {
  const [lo, hi] = zsetScoreRanks(ks, e, { min, max, minex: false, maxex: false });
  let left = hi - lo;
  if (left <= 0) return;
  zsetForEachRank(ks, e, lo, false, (m, s) => {
    if (fn(m, s) === false) return false;
    return --left > 0;
  });
}

/** A uniformly chosen item of a non-empty zset. */
export function zsetRandom(ks: Keyspace, e: number): ZItem {
  const r = Math.floor(Math.random() * zsetLength(ks, e));
  if (zsetEncoding(ks, e) === ENC_LISTPACK) {
    const heap = ks.heap;
    const p = ks.valueRef(e);
    const at = lpSeek(heap, p, r * 2);
    return [lpGet(heap, at), lpScore(heap, lpNext(heap, p, at))];
  }
  const [s, ref] = treeOf(ks, e).at(r);
  return [OSTree.memberBuf(ks.heap, Heap.deref(ref)), s];
}

/**
 * ZSCAN: a listpack is returned whole (cursor 0), as Redis; a skiplist's member table is
 * scanned by hash (the cursor is the next hash). Returns the next cursor.
 */
export function zsetScan(ks: Keyspace, e: number, cursor: number, count: number, out: ZItem[]): number {
  if (zsetEncoding(ks, e) === ENC_LISTPACK) {
    for (const it of lpPairs(ks.heap, ks.valueRef(e))) out.push(it);
    return 0;
  }
  if (cursor < 0) return 0;
  const refs: number[] = [];
  const next = dashOf(ks, e).scan(cursor, count, refs);
  for (const r of refs) {
    const p = Heap.deref(r);
    out.push([OSTree.memberBuf(ks.heap, p), ks.heap.dv.getFloat64(p + MEMBER_SCORE, true)]);
  }
  return next;
}

// ---------------------------------------------------------------- writing

/** A new tree-form value (ZHDR chunk with an empty tree and table); returns its ref. */
function newTreeValue(heap: Heap): number {
  const h = heap.alloc(ZHDR);
  OSTree.init(heap, h);
  heap.dv.setUint32(h + Z_DASH, Heap.ref(Dash.create(heap)), true);
  return Heap.ref(h);
}

/** A new tree-form value holding the items (in order), built in one pass; returns its ref. */
function buildTreeValue(heap: Heap, items: ZItem[]): number {
  const h = heap.alloc(ZHDR);
  const t = Dash.create(heap);
  // a member table made in this operation (nothing older points into it: a rollback frees
  // it whole) fills without undo-logging its segments
  const d = new Dash(heap, t, true);
  const scores: number[] = [];
  const refs: number[] = [];
  for (const [m, s] of items) {
    const r = Heap.ref(OSTree.newMember(heap, m, s));
    d.insert(hashBytes(m, 0, m.length), r);
    scores.push(s);
    refs.push(r);
  }
  OSTree.build(heap, h, scores, refs);
  heap.dv.setUint32(h + Z_DASH, Heap.ref(t), true);
  return Heap.ref(h);
}

/**
 * A copy of a skiplist-encoded value (COPY): each member chunk copied heap to heap, the
 * member table fresh (unlogged, as buildTreeValue's) and the tree built from the order the
 * source already has. No JS Buffer per member: at 1M members, zsetAll's Buffers and their
 * garbage were a third of the copy.
 */
function copyTreeValue(ks: Keyspace, e: number): number {
  const heap = ks.heap;
  const src = treeOf(ks, e);
  const n = src.count();
  const h = heap.alloc(ZHDR);
  const t = Dash.create(heap);
  const d = new Dash(heap, t, true);
  const scores = new Array<number>(n);
  const refs = new Array<number>(n);
  let i = 0;
  src.forEachFrom(0, false, (score, r) => {
    const c = Heap.deref(r);
    const bytes = MEMBER_DATA + heap.dv.getUint32(c + MEMBER_LEN, true);
    const nc = heap.alloc(bytes);
    heap.mem.copy(nc, c, bytes);
    const nr = Heap.ref(nc);
    d.insert(hashBytes(heap.mem.u8, nc + MEMBER_DATA, bytes - MEMBER_DATA), nr);
    scores[i] = score;
    refs[i] = nr;
    i++;
  });
  OSTree.build(heap, h, scores, refs);
  heap.dv.setUint32(h + Z_DASH, Heap.ref(t), true);
  return Heap.ref(h);
}

function treeInsertNew(heap: Heap, hdr: number, m: Uint8Array, score: number): void {
  const c = OSTree.newMember(heap, m, score);
  const r = Heap.ref(c);
  new Dash(heap, Heap.deref(heap.dv.getUint32(hdr + Z_DASH, true))).insert(hashBytes(m, 0, m.length), r);
  new OSTree(heap, hdr).insert(score, r);
}

/** Listpack → skiplist (zsetConvert). */
export function zsetConvertToTree(ks: Keyspace, e: number): void {
  const heap = ks.heap;
  const p = ks.valueRef(e);
  const ref = buildTreeValue(heap, lpPairs(heap, p));
  heap.free(p);
  setValue(ks, e, ENC_SKIPLIST, ref);
}

/** A listpack holding the items (sorted). */
function lpOfItems(heap: Heap, items: ZItem[]): number {
  const flat: Uint8Array[] = [];
  for (const [m, s] of items) flat.push(m, scoreBytes(s));
  return lpFromItems(heap, flat);
}

/** Insert a new member into a listpack zset at its place; returns the (maybe moved) listpack. */
function lpInsertSorted(heap: Heap, p: number, m: Uint8Array, score: number): number {
  let at = lpFirst(heap, p);
  while (at !== 0) {
    const sAt = lpNext(heap, p, at);
    const s = lpScore(heap, sAt);
    if (s > score || (s === score && cmpBytes(lpGet(heap, at), m) > 0)) break;
    at = lpNext(heap, p, sAt);
  }
  const [q, spos] = lpInsert(heap, p, at, scoreBytes(score));
  const [q2] = lpInsert(heap, q, spos, m);
  return q2;
}

export const ZADD_IN_INCR = 1;
export const ZADD_IN_NX = 2;
export const ZADD_IN_XX = 4;
export const ZADD_IN_GT = 8;
export const ZADD_IN_LT = 16;

export const ZADD_OUT_NOP = 1;
export const ZADD_OUT_NAN = 2;
export const ZADD_OUT_ADDED = 4;
export const ZADD_OUT_UPDATED = 8;

/** The score zsetAdd set last (its newscore out-parameter). */
export let zaddNewScore = 0;

/**
 * Add or update a member (Redis's zsetAdd): returns ZADD_OUT_* flags; the resulting score
 * is in zaddNewScore unless NOP/NAN. Converts a listpack that outgrows its bounds. The
 * caller signals the change.
 */
export function zsetAdd(ks: Keyspace, e: number, score: number, m: Uint8Array, flags: number): number {
  const heap = ks.heap;
  const incr = (flags & ZADD_IN_INCR) !== 0;
  const nx = (flags & ZADD_IN_NX) !== 0;
  const xx = (flags & ZADD_IN_XX) !== 0;
  const gt = (flags & ZADD_IN_GT) !== 0;
  const lt = (flags & ZADD_IN_LT) !== 0;
  if (Number.isNaN(score)) return ZADD_OUT_NAN;
  // (a skiplist: one hash and one table probe serve the lookup, the update and the insert)
  const tree = zsetEncoding(ks, e) === ENC_SKIPLIST;
  const h = tree ? hashBytes(m, 0, m.length) : 0;
  const d = tree ? dashOf(ks, e) : null;
  const found = tree ? findChunk(ks, d!, m, h) : 0;
  const cur = tree ? (found === 0 ? null : heap.dv.getFloat64(Heap.deref(found) + MEMBER_SCORE, true)) : zsetScore(ks, e, m);
  if (cur !== null) {
    if (nx) return ZADD_OUT_NOP;
    if (incr) {
      score += cur;
      if (Number.isNaN(score)) return ZADD_OUT_NAN;
    }
    if ((lt && score >= cur) || (gt && score <= cur)) return ZADD_OUT_NOP;
    zaddNewScore = score;
    // (0 and -0 are the same score: nothing changes, as in Redis)
    if (score === cur) return 0;
    zsetUpdateScore(ks, e, m, cur, score, found);
    return ZADD_OUT_UPDATED;
  }
  if (xx) return ZADD_OUT_NOP;
  if (zsetEncoding(ks, e) === ENC_LISTPACK) {
    const n = zsetLength(ks, e);
    if (n + 1 > maxListpackEntries(ks) || m.length > maxListpackValue(ks)) zsetConvertToTree(ks, e);
    else {
      const q = lpInsertSorted(heap, ks.valueRef(e), m, score);
      if (q !== ks.valueRef(e)) setValue(ks, e, ENC_LISTPACK, Heap.ref(q));
      setCount(ks, e, n + 1);
      zaddNewScore = score;
      return ZADD_OUT_ADDED;
    }
  }
  if (tree) {
    const r = Heap.ref(OSTree.newMember(heap, m, score));
    d!.insert(h, r);
    treeOf(ks, e).insert(score, r);
  } else treeInsertNew(heap, ks.valueRef(e), m, score);
  setCount(ks, e, zsetLength(ks, e) + 1);
  zaddNewScore = score;
  return ZADD_OUT_ADDED;
}

function zsetUpdateScore(ks: Keyspace, e: number, m: Uint8Array, cur: number, score: number, found: number): void {
  const heap = ks.heap;
  if (zsetEncoding(ks, e) === ENC_LISTPACK) {
    const p = ks.valueRef(e);
    lpDelete(heap, p, lpFindMember(heap, p, m), 2);
    const q = lpInsertSorted(heap, p, m, score);
    if (q !== p) setValue(ks, e, ENC_LISTPACK, Heap.ref(q));
    return;
  }
  const r = found;
  const c = Heap.deref(r);
  const t = treeOf(ks, e);
  if (!t.remove(cur, r)) throw new Error(`zset: member not found in its tree`);
  heap.log(c + MEMBER_SCORE, 8);
  heap.dv.setFloat64(c + MEMBER_SCORE, score, true);
  t.insert(score, r);
}

/** Remove a member: whether it was there. The caller deletes an emptied key. */
export function zsetRemove(ks: Keyspace, e: number, m: Uint8Array): boolean {
  const heap = ks.heap;
  if (zsetEncoding(ks, e) === ENC_LISTPACK) {
    const p = ks.valueRef(e);
    const at = lpFindMember(heap, p, m);
    if (at === 0) return false;
    lpDelete(heap, p, at, 2);
  } else {
    const d = dashOf(ks, e);
    const h = hashBytes(m, 0, m.length);
    const r = findChunk(ks, d, m, h);
    if (r === 0) return false;
    const c = Heap.deref(r);
    if (!treeOf(ks, e).remove(heap.dv.getFloat64(c + MEMBER_SCORE, true), r)) throw new Error('zset: member not found in its tree');
    d.remove(h, r);
    heap.free(c);
  }
  setCount(ks, e, zsetLength(ks, e) - 1);
  return true;
}

/**
 * Remove the members that are there; returns how many. Many members out of a big skiplist
 * (2048+, a quarter of it or more) are dropped from the member table and the tree is built
 * anew from the rest, instead of one removal (and one logged node shift) each.
 */
export function zsetRemoveMany(ks: Keyspace, e: number, members: readonly Uint8Array[]): number {
  const n = zsetLength(ks, e);
  if (zsetEncoding(ks, e) === ENC_LISTPACK || members.length < 2048 || members.length * 4 < n) {
    let deleted = 0;
    for (const m of members) {
      if (zsetRemove(ks, e, m)) {
        deleted++;
        if (zsetLength(ks, e) === 0) break;
      }
    }
    return deleted;
  }
  const heap = ks.heap;
  const d = dashOf(ks, e);
  const gone = new Set<number>();
  for (const m of members) {
    const h = hashBytes(m, 0, m.length);
    const r = findChunk(ks, d, m, h);
    if (r === 0) continue;
    gone.add(r);
    d.remove(h, r);
  }
  if (gone.size === 0) return 0;
  const scores: number[] = [];
  const refs: number[] = [];
  const t = treeOf(ks, e);
  t.forEachFrom(0, false, (s, r) => {
    if (gone.has(r)) return;
    scores.push(s);
    refs.push(r);
  });
  t.rebuild(scores, refs);
  for (const r of gone) heap.free(Heap.deref(r));
  setCount(ks, e, n - gone.size);
  return gone.size;
}

/** Delete the items of ranks [lo, hi); returns how many. The caller deletes an emptied key. */
export function zsetDeleteRanks(ks: Keyspace, e: number, lo: number, hi: number): number {
  const k = hi - lo;
  if (k <= 0) return 0;
  const heap = ks.heap;
  if (zsetEncoding(ks, e) === ENC_LISTPACK) {
    const p = ks.valueRef(e);
    lpDelete(heap, p, lpSeek(heap, p, lo * 2), k * 2);
  } else if (k > 256 && k * 2 >= zsetLength(ks, e)) {
    // most of the items: drop them from the member table, then build the tree anew from the
    // rest (below half, removing the range a leaf at a time costs less: 100k of 1M 180-240
    // ms against 370-390, 250k 430-500 against 680-700; 900k 1.5 s against 1.1-1.4)
    const t = treeOf(ks, e);
    const d = dashOf(ks, e);
    const scores: number[] = [];
    const refs: number[] = [];
    t.forEachFrom(0, false, (s, r) => {
      scores.push(s);
      refs.push(r);
    });
    for (let i = lo; i < hi; i++) {
      const r = refs[i]!;
      const c = Heap.deref(r);
      const len = heap.dv.getUint32(c + MEMBER_LEN, true);
      d.remove(hashBytes(heap.mem.u8, c + MEMBER_DATA, len), r);
      heap.free(c);
    }
    scores.splice(lo, k);
    refs.splice(lo, k);
    t.rebuild(scores, refs);
  } else {
    const d = dashOf(ks, e);
    treeOf(ks, e).removeRange(lo, k, (_score, r) => {
      const c = Heap.deref(r);
      const len = heap.dv.getUint32(c + MEMBER_LEN, true);
      d.remove(hashBytes(heap.mem.u8, c + MEMBER_DATA, len), r);
      heap.free(c);
    });
  }
  setCount(ks, e, zsetLength(ks, e) - k);
  return k;
}

/** Remove and return up to count items from the low end (or the high end when max). */
export function zsetPop(ks: Keyspace, e: number, count: number, max: boolean): ZItem[] {
  const n = zsetLength(ks, e);
  const k = Math.min(count, n);
  const items = max ? zsetItems(ks, e, n - k, n, true) : zsetItems(ks, e, 0, k, false);
  if (max) zsetDeleteRanks(ks, e, n - k, n);
  else zsetDeleteRanks(ks, e, 0, k);
  return items;
}

/**
 * A new, unlinked, empty zset entry for a ZADD creating the key: a listpack unless the
 * listpack is disabled or the first member is already too long (Redis 7.0's zaddGenericCommand).
 */
export function emptyZsetEntry(ks: Keyspace, key: Uint8Array, firstLen: number): number {
  const heap = ks.heap;
  const lp = maxListpackEntries(ks) !== 0 && firstLen <= maxListpackValue(ks);
  const e = ks.newEntry(OBJ_ZSET, lp ? ENC_LISTPACK : ENC_SKIPLIST, key, 0, key.length, 0);
  heap.dv.setUint32(e + O_VREF, lp ? Heap.ref(lpNew(heap, 32)) : newTreeValue(heap), true);
  return e;
}

function byScoreThenMember(a: ZItem, b: ZItem): number {
  return a[1] < b[1] ? -1 : a[1] > b[1] ? 1 : cmpBytes(a[0], b[0]);
}

/**
 * A new, unlinked zset entry holding `items` (distinct members, any order): a listpack when
 * they fit its bounds (zsetConvertToListpackIfNeeded after a *STORE built it), else a
 * skiplist; `listpackFits` overrides that choice.
 */
export function newZsetEntry(ks: Keyspace, key: Uint8Array, items: ZItem[], listpackFits?: boolean): number {
  const heap = ks.heap;
  const sorted = items.slice().sort(byScoreThenMember);
  let maxlen = 0;
  for (const [m] of sorted) if (m.length > maxlen) maxlen = m.length;
  const lp = listpackFits ?? (sorted.length <= maxListpackEntries(ks) && maxlen <= maxListpackValue(ks));
  let ref: number;
  if (lp) ref = Heap.ref(lpOfItems(heap, sorted));
  else ref = buildTreeValue(heap, sorted);
  const e = ks.newEntry(OBJ_ZSET, lp ? ENC_LISTPACK : ENC_SKIPLIST, key, 0, key.length, 0);
  heap.dv.setUint32(e + O_VLEN, sorted.length, true);
  heap.dv.setUint32(e + O_VREF, ref, true);
  return e;
}

/** Score, then memcmp of the members (the skiplist's order) of (members[i], scores[i]) and (members[j], scores[j]). */
function cmpAt(members: readonly Uint8Array[], scores: readonly number[], i: number, j: number): number {
  const a = scores[i]!;
  const b = scores[j]!;
  return a < b ? -1 : a > b ? 1 : cmpBytes(members[i]!, members[j]!);
}

/**
 * The positions of the items in score-then-member order: the input's own order, or its
 * reverse (what RDB files hold: Redis saves a skiplist greatest first), without sorting;
 * any other order is sorted.
 */
function sortedOrder(members: readonly Uint8Array[], scores: readonly number[]): number[] {
  const n = members.length;
  let asc = true;
  let desc = true;
  for (let i = 1; i < n && (asc || desc); i++) {
    const c = cmpAt(members, scores, i - 1, i);
    if (c > 0) asc = false;
    if (c < 0) desc = false;
  }
  const order = new Array<number>(n);
  for (let i = 0; i < n; i++) order[i] = asc || !desc ? i : n - 1 - i;
  if (!asc && !desc) order.sort((i, j) => cmpAt(members, scores, i, j));
  return order;
}

/**
 * A new, unlinked zset entry of members[i] with scores[i] (a sorted set loaded from RDB, in
 * any order): one listpack in score-then-member order when `listpack`, else a skiplist
 * whose member table and tree are built in fresh chunks (OSTree.build: no insert per
 * member, nothing undo-logged). Returns 0, having freed what it built, when a member is
 * there twice (Redis refuses such a value).
 */
export function loadZsetEntry(ks: Keyspace, key: Uint8Array, members: readonly Uint8Array[], scores: readonly number[], listpack: boolean): number {
  const heap = ks.heap;
  const n = members.length;
  const order = sortedOrder(members, scores);
  let ref: number;
  if (listpack) {
    const seen = new Set<string>();
    const items: ZItem[] = [];
    for (const i of order) {
      const m = members[i]!;
      const b = Buffer.from(m.buffer, m.byteOffset, m.length);
      seen.add(b.toString('latin1'));
      items.push([b, scores[i]!]);
    }
    if (seen.size !== n) return 0;
    ref = Heap.ref(lpOfItems(heap, items));
  } else {
    const hdr = heap.alloc(ZHDR);
    const t = Dash.create(heap);
    const d = new Dash(heap, t, true);
    const sorted: number[] = new Array<number>(n);
    const refs: number[] = new Array<number>(n);
    for (let k = 0; k < n; k++) {
      const i = order[k]!;
      const m = members[i]!;
      const h = hashBytes(m, 0, m.length);
      if (findChunk(ks, d, m, h) !== 0) {
        d.forEach((r) => heap.free(Heap.deref(r)));
        d.destroy();
        heap.free(hdr);
        return 0;
      }
      const r = Heap.ref(OSTree.newMember(heap, m, scores[i]!));
      d.insert(h, r);
      sorted[k] = scores[i]!;
      refs[k] = r;
    }
    OSTree.build(heap, hdr, sorted, refs);
    heap.dv.setUint32(hdr + Z_DASH, Heap.ref(t), true);
    ref = Heap.ref(hdr);
  }
  const e = ks.newEntry(OBJ_ZSET, listpack ? ENC_LISTPACK : ENC_SKIPLIST, key, 0, key.length, 0);
  heap.dv.setUint32(e + O_VLEN, n, true);
  heap.dv.setUint32(e + O_VREF, ref, true);
  return e;
}

/** Call fn with a view of each member (into the heap) and its score, in rank order. */
export function zsetForEachView(ks: Keyspace, e: number, fn: (member: Uint8Array, score: number) => void): void {
  const heap = ks.heap;
  if (zsetEncoding(ks, e) === ENC_LISTPACK) {
    const p = ks.valueRef(e);
    for (let at = lpFirst(heap, p); at !== 0; at = lpNext(heap, p, lpNext(heap, p, at))) fn(heap.mem.view(lpData(heap, at), lpLen(heap, at)), lpScore(heap, lpNext(heap, p, at)));
    return;
  }
  if (zsetLength(ks, e) === 0) return;
  treeOf(ks, e).forEachFrom(0, false, (s, r) => {
    const p = Heap.deref(r);
    fn(heap.mem.view(p + MEMBER_DATA, heap.dv.getUint32(p + MEMBER_LEN, true)), s);
  });
}

/**
 * Replace the key with a new zset of these items (the last score of a repeated member
 * wins), or delete it when there are none (the *STORE commands). Returns the cardinality.
 */
export function storeZset(ks: Keyspace, db: number, key: Uint8Array, items: Array<[Buffer, number]>): number {
  const uniq = new Map<string, ZItem>();
  for (const it of items) uniq.set(it[0].toString('latin1'), it);
  return storeDistinct(ks, db, key, uniq.size === items.length ? items : [...uniq.values()]);
}

/** storeZset for items known to be distinct (what the zset commands compute). */
export function storeDistinct(ks: Keyspace, db: number, key: Uint8Array, items: ZItem[]): number {
  const old = ks.lookupWrite(db, key);
  if (items.length === 0) {
    if (old !== 0) ks.removeEntry(db, old, REASON.deleted);
    return 0;
  }
  const e = newZsetEntry(ks, key, items);
  if (old !== 0) ks.replaceEntry(db, old, e, REASON.overwritten);
  else ks.addEntry(db, e, REASON.added);
  return items.length;
}

// ---------------------------------------------------------------- the type's registration

function rdbLenBytes(n: number): number {
  return n < 64 ? 1 : n < 16384 ? 2 : n <= 0xffffffff ? 5 : 9;
}

/** Bytes Redis's listpack of these items would take (RDB saves it as one blob). */
function redisListpackBytes(items: ZItem[]): number {
  let n = 7;
  const strEntry = (len: number): number => {
    const hdr = len < 64 ? 1 : len < 4096 ? 2 : 5;
    const s = hdr + len;
    return s + (s < 128 ? 1 : s < 16384 ? 2 : s < 2097152 ? 3 : s < 268435456 ? 4 : 5);
  };
  for (const [m, s] of items) {
    n += strEntry(m.length);
    n += Number.isInteger(s) && Math.abs(s) < 2 ** 53 ? (s >= 0 && s < 128 ? 2 : 4) : strEntry(formatDouble(s).length);
  }
  return n;
}

export const zsetType: ValueType = {
  type: OBJ_ZSET,
  name: 'zset',
  inlineBytes() {
    return 0;
  },
  free(ks, e) {
    const heap = ks.heap;
    if (heap.dv.getUint32(e + O_VREF, true) === 0) return;
    if (zsetEncoding(ks, e) === ENC_LISTPACK) {
      heap.free(ks.valueRef(e));
      return;
    }
    const d = dashOf(ks, e);
    d.forEach((r) => heap.free(Heap.deref(r)));
    d.destroy();
    treeOf(ks, e).destroy();
    heap.free(ks.valueRef(e));
  },
  lazyHandle(ks, e) {
    // a big skiplist is freed a slice at a time (Redis's LAZYFREE_THRESHOLD is 64 elements):
    // its header chunk is the handle
    if (zsetEncoding(ks, e) !== ENC_SKIPLIST || zsetLength(ks, e) <= LAZYFREE_THRESHOLD) return 0;
    return ks.heap.dv.getUint32(e + O_VREF, true);
  },
  freeStep(ks, handle, budget) {
    // first the members (through the member table, which owns them), then the tree's nodes
    // and the header at once (a node per ~24 members)
    const heap = ks.heap;
    const h = Heap.deref(handle);
    const dref = heap.dv.getUint32(h + Z_DASH, true);
    if (dref !== 0) {
      if (!new Dash(heap, Heap.deref(dref)).freeSome(budget)) return handle;
      heap.log(h + Z_DASH, 4);
      heap.dv.setUint32(h + Z_DASH, 0, true);
      return handle;
    }
    new OSTree(heap, h).destroy();
    heap.free(h);
    return 0;
  },
  lazyChunks(ks, handle, mark) {
    const heap = ks.heap;
    const h = Heap.deref(handle);
    mark(h, 'lazily freed zset header');
    new OSTree(heap, h).forEachNode((p) => mark(p, 'lazily freed zset tree node'));
    const dref = heap.dv.getUint32(h + Z_DASH, true);
    if (dref !== 0) new Dash(heap, Heap.deref(dref)).markOwned(mark, 'lazily freed zset');
  },
  copy(ks, from, to) {
    const heap = ks.heap;
    let ref: number;
    if (zsetEncoding(ks, from) === ENC_LISTPACK) {
      const p = ks.valueRef(from);
      const q = heap.alloc(lpUsed(heap, p));
      heap.mem.copy(q, p, lpUsed(heap, p));
      ref = Heap.ref(q);
    } else ref = copyTreeValue(ks, from);
    heap.dv.setUint32(to + O_VREF, ref, true);
  },
  encoding(ks, e) {
    return zsetEncoding(ks, e) === ENC_LISTPACK ? 'listpack' : 'skiplist';
  },
  chunks(ks, e, mark, errors) {
    const heap = ks.heap;
    const n = zsetLength(ks, e);
    if (zsetEncoding(ks, e) === ENC_LISTPACK) {
      const p = ks.valueRef(e);
      mark(p, 'zset listpack');
      const held = lpCheck(heap, p, errors, `zset ${e} listpack`);
      if (held !== 2 * n) errors.push(`zset ${e}: count ${n}, listpack holds ${held} entries`);
      else {
        const pairs = lpPairs(heap, p);
        for (let i = 0; i < pairs.length; i++) {
          if (lpLen(heap, lpSeek(heap, p, i * 2 + 1)) !== 8) errors.push(`zset ${e}: score entry ${i} is not 8 bytes`);
          if (i > 0 && byScoreThenMember(pairs[i - 1]!, pairs[i]!) >= 0) errors.push(`zset ${e}: listpack item ${i} out of order`);
        }
      }
      return;
    }
    const hdr = ks.valueRef(e);
    mark(hdr, 'zset header');
    const d = dashOf(ks, e);
    mark(d.table, 'zset table');
    d.forEachChunk((p) => mark(p, 'zset table'));
    const t = treeOf(ks, e);
    t.forEachNode((p) => mark(p, 'zset tree node'));
    const inTable = new Set<number>();
    d.forEach((r, h) => {
      const p = Heap.deref(r);
      mark(p, 'zset member');
      inTable.add(r);
      const len = heap.dv.getUint32(p + MEMBER_LEN, true);
      if (hashBytes(heap.mem.u8, p + MEMBER_DATA, len) !== h) errors.push(`zset ${e}: member ${p} under the wrong hash`);
    });
    const held = d.check(errors);
    const refs = t.check(errors, `zset ${e} tree`);
    if (held !== n) errors.push(`zset ${e}: count ${n}, table holds ${held}`);
    if (refs.length !== n) errors.push(`zset ${e}: count ${n}, tree holds ${refs.length}`);
    for (const r of refs) if (!inTable.has(r)) errors.push(`zset ${e}: tree item ${r} is not in the member table`);
  },
  outsideBytes(ks, e) {
    const heap = ks.heap;
    if (zsetEncoding(ks, e) === ENC_LISTPACK) return heap.usable(ks.valueRef(e)) + 8;
    let bytes = heap.usable(ks.valueRef(e)) + 8;
    const d = dashOf(ks, e);
    bytes += heap.usable(d.table) + 8;
    d.forEachChunk((p) => (bytes += heap.usable(p) + 8));
    treeOf(ks, e).forEachNode((p) => (bytes += heap.usable(p) + 8));
    let sampled = 0;
    let sbytes = 0;
    d.forEachUntil((r) => {
      sbytes += heap.usable(Heap.deref(r)) + 8;
      return ++sampled < 5;
    });
    if (sampled > 0) bytes += Math.round((sbytes / sampled) * zsetLength(ks, e));
    return bytes;
  },
  digest(ks, e, d) {
    // Redis's xorObjectDigest: each element's mix of member and "%.17g" score, xored in
    for (const [m, s] of zsetAll(ks, e)) {
      const ed = new Digest();
      ed.mix(m);
      ed.mix(Buffer.from(formatDouble(s), 'latin1'));
      d.xor(ed.bytes);
    }
  },
  toRdb: zsetToRdb,
  rdbStream: zsetRdbStream,
  fromRdb: zsetFromRdb,
  serializedLength(ks, e) {
    const items = zsetAll(ks, e);
    if (zsetEncoding(ks, e) === ENC_LISTPACK) {
      const b = redisListpackBytes(items);
      return rdbLenBytes(b) + b;
    }
    let n = rdbLenBytes(items.length);
    for (const [m] of items) n += rdbLenBytes(m.length) + m.length + 8;
    return n;
  },
};

registerValueType(zsetType);

/** Bytes of the listpack entries of these items (our form): whether a listpack of them is reasonable. */
export function listpackBytes(items: ZItem[]): number {
  let n = LP_HDR;
  for (const [m] of items) n += lpEntrySize(m.length) + lpEntrySize(8);
  return n;
}
