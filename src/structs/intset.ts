/**
 * An intset in one heap chunk (Redis's intset.c, written anew): a sorted array of distinct
 * signed integers, all stored with one width — 2, 4 or 8 bytes — that is upgraded for the
 * whole array when a value needs a wider one (and never downgraded, as Redis). Membership
 * is a binary search.
 *
 * Layout (little-endian, written down once):
 *   0  u32  width: 2, 4 or 8
 *   4  u32  count
 *   8  count × width-byte signed integers, ascending
 * The chunk may have room past the last element (heap.usable): adds then shift in place.
 *
 * Values are JS numbers when they are safe integers, bigints otherwise (as str2ll returns
 * them), so that `===` compares two values of either kind correctly.
 */
import type { Heap } from '../heap/heap.js';

export const IS_HDR = 8;
export type IntValue = number | bigint;

const I16 = 32768;
const I32 = 2147483648;

/** Bytes a value needs: 2, 4 or 8. */
export function widthOf(v: IntValue): number {
  if (typeof v === 'number') return v >= -I16 && v < I16 ? 2 : v >= -I32 && v < I32 ? 4 : 8;
  return 8;
}

export function isWidth(heap: Heap, p: number): number {
  return heap.dv.getUint32(p, true);
}

export function isCount(heap: Heap, p: number): number {
  return heap.dv.getUint32(p + 4, true);
}

function readAt(dv: DataView, at: number, w: number): IntValue {
  if (w === 2) return dv.getInt16(at, true);
  if (w === 4) return dv.getInt32(at, true);
  const lo = dv.getUint32(at, true);
  const hi = dv.getInt32(at + 4, true);
  if (hi >= -0x200000 && hi < 0x200000) return hi * 4294967296 + lo;
  return dv.getBigInt64(at, true);
}

function writeAt(dv: DataView, at: number, w: number, v: IntValue): void {
  if (w === 2) dv.setInt16(at, Number(v), true);
  else if (w === 4) dv.setInt32(at, Number(v), true);
  else dv.setBigInt64(at, BigInt(v), true);
}

/** The i-th value (0-based, ascending). */
export function isGet(heap: Heap, p: number, i: number): IntValue {
  const w = isWidth(heap, p);
  return readAt(heap.dv, p + IS_HDR + i * w, w);
}

/** A new intset with room for `cap` values of width `w` (inside an operation). */
export function isNew(heap: Heap, w = 2, cap = 4): number {
  const p = heap.alloc(IS_HDR + w * Math.max(cap, 1));
  heap.dv.setUint32(p, w, true);
  heap.dv.setUint32(p + 4, 0, true);
  return p;
}

/** An intset of the given distinct values (any order). */
export function isFromValues(heap: Heap, values: IntValue[]): number {
  let w = 2;
  for (const v of values) w = Math.max(w, widthOf(v));
  const sorted = values.slice().sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  const p = isNew(heap, w, sorted.length);
  const dv = heap.dv;
  for (let i = 0; i < sorted.length; i++) writeAt(dv, p + IS_HDR + i * w, w, sorted[i]!);
  dv.setUint32(p + 4, sorted.length, true);
  return p;
}

/** Binary search: the index of v, or -(insertion point) - 1. */
export function isSearch(heap: Heap, p: number, v: IntValue): number {
  const dv = heap.dv;
  const w = isWidth(heap, p);
  const n = isCount(heap, p);
  if (n === 0) return -1;
  // fast paths at both ends (as intsetSearch)
  if (v > readAt(dv, p + IS_HDR + (n - 1) * w, w)) return -(n + 1);
  if (v < readAt(dv, p + IS_HDR, w)) return -1;
  let lo = 0;
  let hi = n - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >>> 1;
    const cur = readAt(dv, p + IS_HDR + mid * w, w);
    if (cur < v) lo = mid + 1;
    else if (cur > v) hi = mid - 1;
    else return mid;
  }
  return -(lo + 1);
}

export function isFind(heap: Heap, p: number, v: IntValue): boolean {
  if (widthOf(v) > isWidth(heap, p)) return false;
  return isSearch(heap, p, v) >= 0;
}

/**
 * Add v: returns the intset's (possibly new) payload offset, or 0 when v was present.
 * An upgrade or a full chunk writes a new chunk (no undo logging) and frees the old one;
 * otherwise the tail is shifted in place (logged).
 */
export function isAdd(heap: Heap, p: number, v: IntValue): number {
  const dv = heap.dv;
  const w = isWidth(heap, p);
  const n = isCount(heap, p);
  const vw = widthOf(v);
  if (vw > w) {
    // upgrade: v is beyond every value (below all when negative, above all otherwise)
    const q = isNew(heap, vw, Math.max(4, (n + 1) * 2));
    const neg = v < 0;
    const off = neg ? 1 : 0;
    for (let i = 0; i < n; i++) writeAt(dv, q + IS_HDR + (i + off) * vw, vw, readAt(dv, p + IS_HDR + i * w, w));
    writeAt(dv, q + IS_HDR + (neg ? 0 : n) * vw, vw, v);
    dv.setUint32(q + 4, n + 1, true);
    heap.free(p);
    return q;
  }
  const s = isSearch(heap, p, v);
  if (s >= 0) return 0;
  const pos = -s - 1;
  if (IS_HDR + (n + 1) * w <= heap.usable(p)) {
    const at = p + IS_HDR + pos * w;
    heap.log(p + 4, 4);
    heap.log(at, (n - pos + 1) * w);
    heap.mem.copy(at + w, at, (n - pos) * w);
    writeAt(dv, at, w, v);
    dv.setUint32(p + 4, n + 1, true);
    return p;
  }
  const q = isNew(heap, w, Math.max(4, (n + 1) * 2));
  heap.mem.copy(q + IS_HDR, p + IS_HDR, pos * w);
  writeAt(dv, q + IS_HDR + pos * w, w, v);
  heap.mem.copy(q + IS_HDR + (pos + 1) * w, p + IS_HDR + pos * w, (n - pos) * w);
  dv.setUint32(q + 4, n + 1, true);
  heap.free(p);
  return q;
}

/** Remove v; whether it was there (in place, logged; the chunk keeps its size). */
export function isRemove(heap: Heap, p: number, v: IntValue): boolean {
  const w = isWidth(heap, p);
  if (widthOf(v) > w) return false;
  const s = isSearch(heap, p, v);
  if (s < 0) return false;
  const n = isCount(heap, p);
  const at = p + IS_HDR + s * w;
  heap.log(p + 4, 4);
  heap.log(at, (n - s) * w);
  heap.mem.copy(at, at + w, (n - s - 1) * w);
  heap.dv.setUint32(p + 4, n - 1, true);
  return true;
}

/** A copy in a new chunk sized to its content. */
export function isCopy(heap: Heap, p: number): number {
  const w = isWidth(heap, p);
  const n = isCount(heap, p);
  const q = isNew(heap, w, n);
  heap.mem.copy(q + IS_HDR, p + IS_HDR, n * w);
  heap.dv.setUint32(q + 4, n, true);
  return q;
}

/** Every value, ascending. */
export function isValues(heap: Heap, p: number): IntValue[] {
  const w = isWidth(heap, p);
  const n = isCount(heap, p);
  const out: IntValue[] = new Array(n);
  for (let i = 0; i < n; i++) out[i] = readAt(heap.dv, p + IS_HDR + i * w, w);
  return out;
}

/** Blob bytes of the intset as Redis saves it (header + elements). */
export function isBlobLen(heap: Heap, p: number): number {
  return IS_HDR + isWidth(heap, p) * isCount(heap, p);
}

/** Structure check: width, room, strictly ascending values. */
export function isCheck(heap: Heap, p: number, errors: string[]): void {
  const w = isWidth(heap, p);
  const n = isCount(heap, p);
  if (w !== 2 && w !== 4 && w !== 8) {
    errors.push(`intset ${p}: width ${w}`);
    return;
  }
  if (IS_HDR + n * w > heap.usable(p)) {
    errors.push(`intset ${p}: ${n} values of ${w} bytes overflow the chunk`);
    return;
  }
  let prev: IntValue | null = null;
  for (let i = 0; i < n; i++) {
    const v = readAt(heap.dv, p + IS_HDR + i * w, w);
    if (prev !== null && !(prev < v)) errors.push(`intset ${p}: values not ascending at ${i}`);
    prev = v;
  }
}
