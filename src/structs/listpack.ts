/**
 * A listpack: a packed sequence of byte strings in one heap chunk, the compact form of
 * small collections (Redis's listpack.c plays the same part) and the item store of the
 * large forms' nodes (a list node, say). Walks both ways; every change is undo-logged, so
 * it is as crash-safe as the operation it runs in.
 *
 * Layout, written down once (offsets from the chunk's payload `p`):
 *   0   u32  count of entries
 *   4   u32  bytes used, this header included (the chunk may be larger: slack for growth)
 *   8   entries, each:
 *         header   1 byte  len < 128                 (0lllllll)
 *                  4 bytes len < 2^31, big-endian     (1lllllll llllllll llllllll llllllll)
 *         data     len bytes
 *         backlen  1 byte  size < 128                 (0sssssss)
 *                  4 bytes size < 2^31, little-endian, top bit of the last byte set
 *                  where size = header + data (what to step back over past the backlen)
 *
 * A FRONT GAP (list nodes only: lpPushFront / lpDeleteFront make them): when the top bit
 * of `used` is set (LP_GAPPED), the u32 at 8 is `start`, the offset of the first entry,
 * and [12, start) is free room a push at the head writes its entry into instead of moving
 * every entry up (and undo-logging them all). `used` (without the flag) is still the
 * offset of the end, so appends and walks from the end are unchanged; lpBytes() is the
 * size without the gap (what node fill rules count). Listpacks of the other types never
 * have a gap (only the list code calls those two), and every writer of `used` keeps the
 * flag (setUsed).
 *
 * An entry's position (`at` below) is the offset of its header. Functions that can grow or
 * shrink the chunk return the listpack's (possibly moved) offset: the owner stores the new ref.
 */
import type { Heap } from '../heap/heap.js';

export const LP_HDR = 8;
const L_COUNT = 0;
const L_USED = 4;
/** The u32 at 8 of a gapped listpack: the first entry's offset. */
const L_START = 8;
/** Top bit of `used`: the listpack has a front gap (L_START holds where its entries begin). */
export const LP_GAPPED = 0x80000000;
/** The smallest `start` of a gapped listpack: its header and the start field. */
const GAPPED_HDR = LP_HDR + 4;
/** Entries longer than this are refused (a 2 GiB entry would not fit a chunk anyway). */
export const LP_MAX_ENTRY = 0x7fffffff;

function hdrSize(len: number): number {
  return len < 128 ? 1 : 4;
}

/** Bytes an entry of `len` data bytes takes in a listpack. */
export function lpEntrySize(len: number): number {
  const s = hdrSize(len) + len;
  return s + (s < 128 ? 1 : 4);
}

/** A new, empty listpack with room for `capacity` bytes of entries (inside an operation). */
export function lpNew(heap: Heap, capacity = 0): number {
  const p = heap.alloc(LP_HDR + capacity);
  heap.dv.setUint32(p + L_COUNT, 0, true);
  heap.dv.setUint32(p + L_USED, LP_HDR, true);
  return p;
}

export function lpCount(heap: Heap, p: number): number {
  return heap.dv.getUint32(p + L_COUNT, true);
}

/** Bytes used, header (and front gap) included: the end's offset. */
export function lpUsed(heap: Heap, p: number): number {
  return (heap.dv.getUint32(p + L_USED, true) & ~LP_GAPPED) >>> 0;
}

/** `used` as a listpack's raw header field holds it (the front-gap flag dropped). */
export function lpUsedOfField(raw: number): number {
  return (raw & ~LP_GAPPED) >>> 0;
}

/** Offset of the first entry (LP_HDR unless there is a front gap). */
export function lpStart(heap: Heap, p: number): number {
  const dv = heap.dv;
  return dv.getUint32(p + L_USED, true) >= LP_GAPPED ? dv.getUint32(p + L_START, true) : LP_HDR;
}

/** Bytes of header and entries, the front gap not counted: the size Redis's fill rules see. */
export function lpBytes(heap: Heap, p: number): number {
  return lpUsed(heap, p) - (lpStart(heap, p) - LP_HDR);
}

/** Set `used`, keeping the front-gap flag. */
function setUsed(heap: Heap, p: number, used: number): void {
  const dv = heap.dv;
  dv.setUint32(p + L_USED, dv.getUint32(p + L_USED, true) >= LP_GAPPED ? used + LP_GAPPED : used, true);
}

/** The first entry, or 0 when empty. */
export function lpFirst(heap: Heap, p: number): number {
  return lpCount(heap, p) === 0 ? 0 : p + lpStart(heap, p);
}

/** The last entry, or 0 when empty. */
export function lpLast(heap: Heap, p: number): number {
  return lpCount(heap, p) === 0 ? 0 : lpPrevRaw(heap, p + lpUsed(heap, p));
}

/** Data length of the entry at `at`. */
export function lpLen(heap: Heap, at: number): number {
  const b = heap.dv.getUint8(at);
  return b < 128 ? b : heap.dv.getUint32(at, false) & 0x7fffffff;
}

/** Offset of the entry's data. */
export function lpData(heap: Heap, at: number): number {
  return at + (heap.dv.getUint8(at) < 128 ? 1 : 4);
}

/** The entry after `at`, or 0 past the last. */
export function lpNext(heap: Heap, p: number, at: number): number {
  const len = lpLen(heap, at);
  const s = hdrSize(len) + len;
  const next = at + s + (s < 128 ? 1 : 4);
  return next >= p + lpUsed(heap, p) ? 0 : next;
}

function lpPrevRaw(heap: Heap, end: number): number {
  const b = heap.dv.getUint8(end - 1);
  if (b < 128) return end - 1 - b;
  const s = heap.dv.getUint32(end - 4, true) & 0x7fffffff;
  return end - 4 - s;
}

/** The entry before `at`, or 0 before the first. */
export function lpPrev(heap: Heap, p: number, at: number): number {
  return at <= p + lpStart(heap, p) ? 0 : lpPrevRaw(heap, at);
}

/**
 * The entry at `index` (negative: from the end, -1 the last), or 0 when out of range.
 * Walks from the nearer end.
 */
export function lpSeek(heap: Heap, p: number, index: number): number {
  const n = lpCount(heap, p);
  if (index < 0) index += n;
  if (index < 0 || index >= n) return 0;
  if (index < n / 2) {
    let at = p + lpStart(heap, p);
    for (let i = 0; i < index; i++) at = lpNext(heap, p, at);
    return at;
  }
  let at = lpPrevRaw(heap, p + lpUsed(heap, p));
  for (let i = n - 1; i > index; i--) at = lpPrevRaw(heap, at);
  return at;
}

/** A copy of the entry's bytes. */
export function lpGet(heap: Heap, at: number): Buffer {
  const len = lpLen(heap, at);
  const out = Buffer.allocUnsafe(len);
  heap.mem.read(lpData(heap, at), len, out);
  return out;
}

/** Whether the entry's bytes equal buf[start, start+len). */
export function lpEq(heap: Heap, at: number, buf: Uint8Array, start = 0, len = buf.length - start): boolean {
  return lpLen(heap, at) === len && heap.mem.equals(lpData(heap, at), buf, start, len);
}

/** The first entry from `from` (default: the first) equal to buf, stepping `skip` entries between probes; 0 if none. */
export function lpFind(heap: Heap, p: number, buf: Uint8Array, start = 0, len = buf.length - start, from = -1, skip = 0): number {
  let at = from === -1 ? lpFirst(heap, p) : from;
  while (at !== 0) {
    if (lpEq(heap, at, buf, start, len)) return at;
    at = lpNext(heap, p, at);
    for (let i = 0; i < skip && at !== 0; i++) at = lpNext(heap, p, at);
  }
  return 0;
}

/**
 * lpFind() of a field and the entry after it (its value) for a reader without the lock
 * (src/keyspace/peek.ts): the listpack may be half-written, so it is first checked to lie
 * in [floor, limit), and every entry is checked to end inside it before its bytes are read.
 * Stepping two entries at a time from the first (fields of alternating field, value pairs),
 * it returns the value entry's offset, 0 when the field is absent, -1 when what it read
 * makes no sense (the caller's version check would throw the answer away anyway).
 */
export function lpPeekPair(heap: Heap, p: number, field: Uint8Array, floor: number, limit: number): number {
  if (p < floor || p + LP_HDR > limit) return -1;
  const dv = heap.dv;
  const raw = dv.getUint32(p + L_USED, true);
  const end = p + lpUsedOfField(raw);
  if (end > limit || end < p + LP_HDR) return -1;
  const n = field.length;
  // (a hash's listpack has no front gap; read as the flag says all the same)
  if (raw >= LP_GAPPED && p + GAPPED_HDR > end) return -1;
  let at = p + (raw >= LP_GAPPED ? dv.getUint32(p + L_START, true) : LP_HDR);
  if (at > end || at < p + LP_HDR) return -1;
  let isField = true;
  let matched = false;
  while (at < end) {
    const b = dv.getUint8(at);
    let len: number;
    let data: number;
    if (b < 128) {
      len = b;
      data = at + 1;
    } else {
      if (at + 4 > end) return -1;
      len = dv.getUint32(at, false) & 0x7fffffff;
      data = at + 4;
    }
    const s = data - at + len;
    const next = at + s + (s < 128 ? 1 : 4);
    if (next > end) return -1;
    if (matched) return at;
    if (isField && len === n && heap.mem.equals(data, field, 0, n)) matched = true;
    isField = !isField;
    at = next;
  }
  return matched ? -1 : 0;
}

/** Every entry's bytes, in order (copies). */
export function lpItems(heap: Heap, p: number): Buffer[] {
  const out: Buffer[] = [];
  for (let at = lpFirst(heap, p); at !== 0; at = lpNext(heap, p, at)) out.push(lpGet(heap, at));
  return out;
}

function writeEntry(heap: Heap, at: number, buf: Uint8Array, start: number, len: number): void {
  const dv = heap.dv;
  let o = at;
  if (len < 128) dv.setUint8(o++, len);
  else {
    dv.setUint32(o, (len | 0x80000000) >>> 0, false);
    o += 4;
  }
  heap.mem.write(o, buf, start, len);
  o += len;
  const s = o - at;
  if (s < 128) dv.setUint8(o, s);
  else dv.setUint32(o, (s | 0x80000000) >>> 0, true);
}

/**
 * Where the last openGap() / insertAt() put its gap or entry: a second result passed
 * through module state, so the hot push paths build no [p, at] tuple per call.
 */
let gapAt = 0;

/**
 * Make room for `grow` bytes at `at` (an entry offset, or p + used to append), moving the
 * tail; the chunk grows with slack when it must. Returns the new p; the gap's offset is
 * left in gapAt.
 */
function openGap(heap: Heap, p: number, at: number, grow: number): number {
  const used = lpUsed(heap, p);
  const rel = at - p;
  const need = used + grow;
  if (need > heap.usable(p)) {
    const q = heap.realloc(p, need + (need >> 2), used);
    if (q !== p) {
      // a fresh chunk: nothing in it needs the undo log
      heap.mem.copy(q + rel + grow, q + rel, used - rel);
      setUsed(heap, q, need);
      gapAt = q + rel;
      return q;
    }
  }
  heap.log(p, LP_HDR);
  // the tail that moves and the slack it (or the new entry) moves into: bytes past `used`
  // may be those of entries deleted earlier in this same operation, which a rollback
  // brings back
  heap.log(at, used - rel + grow);
  heap.mem.copy(at + grow, at, used - rel);
  setUsed(heap, p, need);
  gapAt = at;
  return p;
}

/** lpInsert without the tuple: returns the listpack, the new entry's offset is left in gapAt. */
function insertAt(heap: Heap, p: number, at: number, buf: Uint8Array, start: number, len: number): number {
  if (len > LP_MAX_ENTRY) throw new RangeError('listpack entry too long');
  const q = openGap(heap, p, at === 0 ? p + lpUsed(heap, p) : at, lpEntrySize(len));
  writeEntry(heap, gapAt, buf, start, len);
  heap.dv.setUint32(q + L_COUNT, heap.dv.getUint32(q + L_COUNT, true) + 1, true);
  return q;
}

/**
 * Insert buf[start, start+len) before the entry at `at` (0: append). Returns
 * [listpack offset (moved when it grew), offset of the new entry].
 */
export function lpInsert(heap: Heap, p: number, at: number, buf: Uint8Array, start = 0, len = buf.length - start): [number, number] {
  const q = insertAt(heap, p, at, buf, start, len);
  return [q, gapAt];
}

/** Append an entry; returns the (possibly moved) listpack. */
export function lpAppend(heap: Heap, p: number, buf: Uint8Array, start = 0, len = buf.length - start): number {
  return insertAt(heap, p, 0, buf, start, len);
}

/** Prepend an entry; returns the (possibly moved) listpack. */
export function lpPrepend(heap: Heap, p: number, buf: Uint8Array, start = 0, len = buf.length - start): number {
  return insertAt(heap, p, lpFirst(heap, p), buf, start, len);
}

/**
 * Entries shorter than this are moved to make room at the head as before (the move is
 * cheap); past it, a push at the head that has to move them leaves a front gap.
 */
const GAP_MIN_ENTRIES = 256;
/** The largest front gap a push at the head leaves (a node that is no longer the head keeps it). */
const GAP_MAX = 256;

/**
 * Prepend an entry to a list node, into its front gap when it has room: only the new
 * entry and the header change (and are logged), where lpPrepend moves every entry up and
 * logs them all. When there is no room, the entries are moved up past a new front gap of
 * an eighth of their bytes (at most GAP_MAX), so the next pushes at the head find room.
 * Returns the (possibly moved) listpack.
 */
export function lpPushFront(heap: Heap, p: number, buf: Uint8Array, start = 0, len = buf.length - start): number {
  if (len > LP_MAX_ENTRY) throw new RangeError('listpack entry too long');
  const dv = heap.dv;
  const n = dv.getUint32(p + L_COUNT, true);
  const raw = dv.getUint32(p + L_USED, true);
  const used = lpUsedOfField(raw);
  const size = lpEntrySize(len);
  const first = raw >= LP_GAPPED ? dv.getUint32(p + L_START, true) : LP_HDR;
  if (raw >= LP_GAPPED && first - size >= GAPPED_HDR) {
    const at = p + first - size;
    heap.log(p, GAPPED_HDR);
    heap.log(at, size);
    writeEntry(heap, at, buf, start, len);
    dv.setUint32(p + L_START, first - size, true);
    dv.setUint32(p + L_COUNT, n + 1, true);
    return p;
  }
  const entries = used - first;
  if (n === 0 || entries < GAP_MIN_ENTRIES) return insertAt(heap, p, n === 0 ? 0 : p + first, buf, start, len);
  // [first, used) moves to [GAPPED_HDR + room + size, need); the new entry goes just before it
  const room = Math.min(GAP_MAX, entries >> 3);
  const newFirst = GAPPED_HDR + room;
  const need = newFirst + size + entries;
  let q = p;
  if (need > heap.usable(p)) q = heap.realloc(p, need + (need >> 2), used);
  if (q === p) {
    // every byte from the header to the new end may change (past `used`: bytes of entries
    // deleted earlier in this operation, which a rollback brings back)
    heap.log(p, need);
  }
  // (a fresh chunk from realloc holds a copy of [0, used): nothing in it needs the log)
  heap.mem.copy(q + newFirst + size, q + first, entries);
  writeEntry(heap, q + newFirst, buf, start, len);
  dv.setUint32(q + L_COUNT, n + 1, true);
  dv.setUint32(q + L_USED, need + LP_GAPPED, true);
  dv.setUint32(q + L_START, newFirst, true);
  return q;
}

/**
 * Delete the first `n` entries of a list node (fewer when it has fewer) by moving its
 * start past them: they become front gap, nothing moves, and only the header is logged,
 * where lpDelete moves every entry down and logs them all. A node without a gap gets one
 * when the first deleted entries leave room for the start field, else (or when there are
 * few bytes to move) this is lpDelete.
 */
export function lpDeleteFront(heap: Heap, p: number, n = 1): void {
  const dv = heap.dv;
  const count = dv.getUint32(p + L_COUNT, true);
  if (count === 0 || n <= 0) return;
  const raw = dv.getUint32(p + L_USED, true);
  const used = lpUsedOfField(raw);
  const first = raw >= LP_GAPPED ? dv.getUint32(p + L_START, true) : LP_HDR;
  let end = p + first;
  let k = 0;
  while (k < n && k < count) {
    const l = lpLen(heap, end);
    const sz = hdrSize(l) + l;
    end += sz + (sz < 128 ? 1 : 4);
    k++;
  }
  const gapped = raw >= LP_GAPPED;
  if (!gapped && (end - p < GAPPED_HDR || used - (end - p) < GAP_MIN_ENTRIES)) {
    lpDelete(heap, p, p + first, k);
    return;
  }
  heap.log(p, GAPPED_HDR);
  // (without a gap before, the start field is written over the first deleted entry)
  dv.setUint32(p + L_START, end - p, true);
  if (!gapped) dv.setUint32(p + L_USED, used + LP_GAPPED, true);
  dv.setUint32(p + L_COUNT, count - k, true);
}

/**
 * Delete `n` entries starting with the one at `at` (fewer when the listpack ends first).
 * Returns the entry now at `at`'s place, or 0 when the deleted ones were the last.
 */
export function lpDelete(heap: Heap, p: number, at: number, n = 1): number {
  const used = lpUsed(heap, p);
  let end = at;
  let k = 0;
  while (k < n && end !== 0) {
    end = lpNext(heap, p, end);
    k++;
  }
  const stop = end === 0 ? p + used : end;
  const gap = stop - at;
  heap.log(p, LP_HDR);
  const tail = p + used - stop;
  // The deleted bytes are logged too, even at the end: a later growth in the same
  // operation writes past the new `used`, over them, and a rollback must bring them back.
  heap.log(at, gap + tail);
  if (tail > 0) heap.mem.copy(at, stop, tail);
  setUsed(heap, p, used - gap);
  heap.dv.setUint32(p + L_COUNT, lpCount(heap, p) - k, true);
  return tail > 0 ? at : 0;
}

/** Replace the entry at `at` by buf[start, start+len). Returns [listpack, the entry's offset]. */
export function lpReplace(heap: Heap, p: number, at: number, buf: Uint8Array, start = 0, len = buf.length - start): [number, number] {
  const old = lpEntrySize(lpLen(heap, at));
  const size = lpEntrySize(len);
  if (size === old) {
    heap.log(at, size);
    writeEntry(heap, at, buf, start, len);
    return [p, at];
  }
  if (size > old) {
    // grow the gap after the old entry's start by the difference, then overwrite
    const q = openGap(heap, p, at + old, size - old);
    const e = gapAt - old;
    if (q === p) heap.log(e, old);
    writeEntry(heap, e, buf, start, len);
    return [q, e];
  }
  const used = lpUsed(heap, p);
  heap.log(p, LP_HDR);
  heap.log(at, p + used - at);
  heap.mem.copy(at + size, at + old, p + used - (at + old));
  writeEntry(heap, at, buf, start, len);
  setUsed(heap, p, used - (old - size));
  return [p, at];
}

/** A listpack holding `items` (fresh chunk, sized to fit). */
export function lpFromItems(heap: Heap, items: readonly Uint8Array[]): number {
  let bytes = 0;
  for (const it of items) bytes += lpEntrySize(it.length);
  const p = heap.alloc(LP_HDR + bytes);
  let at = p + LP_HDR;
  for (const it of items) {
    writeEntry(heap, at, it, 0, it.length);
    at += lpEntrySize(it.length);
  }
  heap.dv.setUint32(p + L_COUNT, items.length, true);
  heap.dv.setUint32(p + L_USED, LP_HDR + bytes, true);
  return p;
}

/**
 * The integrity checker: entries walk to exactly `used` bytes, each backlen matches its
 * entry, the count matches. Returns the count (or -1 after pushing errors).
 */
export function lpCheck(heap: Heap, p: number, errors: string[], what = 'listpack'): number {
  const used = lpUsed(heap, p);
  if (used < LP_HDR || used > heap.usable(p)) {
    errors.push(`${what} at ${p}: used ${used} outside its chunk (${heap.usable(p)} bytes)`);
    return -1;
  }
  const start = lpStart(heap, p);
  if (heap.dv.getUint32(p + L_USED, true) >= LP_GAPPED && (start < GAPPED_HDR || start > used)) {
    errors.push(`${what} at ${p}: entries start at ${start}, outside its ${used} used bytes`);
    return -1;
  }
  let at = p + start;
  let n = 0;
  while (at < p + used) {
    const len = lpLen(heap, at);
    const s = hdrSize(len) + len;
    const end = at + s + (s < 128 ? 1 : 4);
    if (end > p + used) {
      errors.push(`${what} at ${p}: entry ${n} runs past the used bytes`);
      return -1;
    }
    if (lpPrevRaw(heap, end) !== at) {
      errors.push(`${what} at ${p}: entry ${n}'s back length does not lead back to it`);
      return -1;
    }
    at = end;
    n++;
  }
  if (n !== lpCount(heap, p)) {
    errors.push(`${what} at ${p}: count ${lpCount(heap, p)} but ${n} entries`);
    return -1;
  }
  return n;
}

/**
 * A new listpack (fresh chunk, nothing logged) holding copies of the given entries, in
 * order: `srcs` is a flat list of entry offsets, possibly of several listpacks (entries are
 * self-contained, so their bytes are copied as they are). What a list's nodes are split,
 * merged and filtered with.
 */
export function lpFromEntries(heap: Heap, ats: readonly number[]): number {
  let bytes = 0;
  for (const at of ats) bytes += lpEntrySize(lpLen(heap, at));
  const p = heap.alloc(LP_HDR + bytes);
  let o = p + LP_HDR;
  for (const at of ats) {
    const s = lpEntrySize(lpLen(heap, at));
    heap.mem.copy(o, at, s);
    o += s;
  }
  heap.dv.setUint32(p + L_COUNT, ats.length, true);
  heap.dv.setUint32(p + L_USED, LP_HDR + bytes, true);
  return p;
}

/** Offsets of the entries [from, from+n) (from: an entry offset), fewer when the listpack ends first. */
export function lpEntryOffsets(heap: Heap, p: number, from: number, n: number, out: number[] = []): number[] {
  for (let at = from, k = 0; at !== 0 && k < n; at = lpNext(heap, p, at), k++) out.push(at);
  return out;
}

/**
 * The entries of a listpack given as its bytes (`b` = the `used` bytes from its payload
 * offset, header included), as subarrays of `b`: for readers that see the heap through a
 * HeapView (an incremental DUMP reading the heap as it was), which must not use the
 * heap-based functions above (they read the live mapping). Throws when the bytes are not a
 * well-formed listpack (a wrong view must fail loudly, not loop or read past the end).
 */
export function lpEntriesOfBytes(b: Uint8Array, out: Uint8Array[] = []): Uint8Array[] {
  if (b.length < LP_HDR) throw new Error(`listpack of ${b.length} bytes: shorter than its header`);
  const count = (b[L_COUNT]! | (b[L_COUNT + 1]! << 8) | (b[L_COUNT + 2]! << 16) | (b[L_COUNT + 3]! << 24)) >>> 0;
  const raw = (b[L_USED]! | (b[L_USED + 1]! << 8) | (b[L_USED + 2]! << 16) | (b[L_USED + 3]! << 24)) >>> 0;
  const used = lpUsedOfField(raw);
  if (used !== b.length) throw new Error(`listpack says it uses ${used} bytes, ${b.length} given`);
  let at = LP_HDR;
  if (raw >= LP_GAPPED) {
    if (used < GAPPED_HDR) throw new Error(`listpack of ${used} bytes: shorter than its gapped header`);
    at = (b[L_START]! | (b[L_START + 1]! << 8) | (b[L_START + 2]! << 16) | (b[L_START + 3]! << 24)) >>> 0;
    if (at < GAPPED_HDR || at > used) throw new Error(`listpack: entries start at ${at}, outside its ${used} bytes`);
  }
  let n = 0;
  while (at < used) {
    const h = b[at]!;
    let len: number;
    let hdr: number;
    if (h < 128) {
      len = h;
      hdr = 1;
    } else {
      if (at + 4 > used) throw new Error(`listpack entry ${n}: header runs past the used bytes`);
      // 4-byte header: big-endian, top bit set (writeEntry)
      len = (((h & 0x7f) << 24) | (b[at + 1]! << 16) | (b[at + 2]! << 8) | b[at + 3]!) >>> 0;
      hdr = 4;
    }
    const s = hdr + len;
    const end = at + s + (s < 128 ? 1 : 4);
    if (end > used) throw new Error(`listpack entry ${n}: runs past the used bytes`);
    out.push(b.subarray(at + hdr, at + hdr + len));
    at = end;
    n++;
  }
  if (n !== count) throw new Error(`listpack: count ${count} but ${n} entries`);
  return out;
}
