/**
 * List values (Redis's quicklist + t_list.c data side): how a list is stored and the data
 * operations the list commands (and the lead's blocking commands) build on. Every change
 * goes through the keyspace's write seam (addEntry / modified / removeEntry) with its reason.
 *
 * Storage. The elements live in NODES: listpacks (src/structs/listpack.ts) of up to
 * `list-max-listpack-size` items (positive: entries, capped at 8 KB like Redis's
 * SIZE_SAFETY_LIMIT; -1..-5: 4..64 KB of listpack bytes). An element of at least the
 * packed threshold (DEBUG QUICKLIST-PACKED-THRESHOLD, 1 GB by default) gets a node of its
 * own (Redis's plain node, here a one-entry listpack nothing else is added to). A push or
 * pop at the head of a node goes through its FRONT GAP (lpPushFront / lpDeleteFront): room
 * before the first entry, so LPUSH/LPOP write and undo-log a header and one entry, not every
 * entry of the node moved by one; fill rules count a node's bytes without it (lpBytes).
 *
 * A list of one node keeps it as its root (entry encoding ENC_SINGLE). Longer lists keep
 * their nodes in a COUNTED INDEX (ENC_TREE): a B+tree of tree nodes, each one chunk
 *
 *   0   u16  n: slots in use (1..FANOUT)
 *   2   u16  level: 0 = the slots point at listpacks, else at tree nodes one level down
 *   4   u32  reserved
 *   8   FANOUT slots of { u32 ref, u32 count }: the child and the elements under it
 *
 * so finding the node holding index i walks one root-to-leaf path (O(log n)), and a change
 * of k elements in one node rewrites that node and adds -k/+k to the counts on its path.
 * Tree nodes split when full; a tree node left without slots is freed, a root with one
 * slot is replaced by its child, a tree of one listpack goes back to ENC_SINGLE. A
 * listpack left empty is freed (except the last one: an empty list is deleted by the
 * command layer, see listDeleteIfEmpty). After a deletion in the middle, a node is merged
 * with a neighbour (same tree leaf) when both fit in one node.
 *
 * The entry's O_VLEN is the element count, O_VREF the root (listpack or tree node).
 * No operation's undo log grows with the list's size: edits are local to a node (a
 * listpack is at most one node's bytes) and to the slots on one path.
 */
import { Heap } from '../../heap/heap.js';
import { REASON } from '../../keyspace/changes.js';
import { WrongTypeError, type Keyspace } from '../../keyspace/keyspace.js';
import { OBJ_LIST, O_ENC, O_VLEN, O_VREF } from '../../keyspace/object.js';
import { SETTING_SLOT } from '../../keyspace/settings.js';
import { registerValueType, type ValueType } from '../../keyspace/valuetypes.js';
import { listFromRdb, listToRdb } from './rdb.js';
import { listRdbStream } from './stream.js';
import {
  LP_HDR,
  lpAppend,
  lpBytes,
  lpDeleteFront,
  lpPushFront,
  lpCheck,
  lpCount,
  lpData,
  lpDelete,
  lpEntryOffsets,
  lpEntrySize,
  lpEq,
  lpFirst,
  lpFromEntries,
  lpFromItems,
  lpGet,
  lpInsert,
  lpLast,
  lpLen,
  lpNew,
  lpNext,
  lpPrepend,
  lpPrev,
  lpReplace,
  lpSeek,
  lpUsed,
} from '../../structs/listpack.js';

export const ENC_SINGLE = 0;
export const ENC_TREE = 1;

/** Slots per tree node. */
export const FANOUT = 64;
// (exported for the streaming serialiser, src/types/list/stream.ts, which reads them through a HeapView)
export const T_N = 0;
export const T_LEVEL = 2;
export const T_SLOTS = 8;
const TNODE_BYTES = T_SLOTS + FANOUT * 8;

export type Where = 'left' | 'right';

// ---------------------------------------------------------------- fill rules (quicklist.c)

/** Bytes per node for list-max-listpack-size -1..-5. */
const OPTIMIZATION_LEVEL = [4096, 8192, 16384, 32768, 65536];
/** A node of a count-limited list never grows past this (Redis's SIZE_SAFETY_LIMIT). */
const SIZE_SAFETY_LIMIT = 8192;
const FILL_MAX = (1 << 15) - 1;
const FILL_SLOT = SETTING_SLOT['list-max-listpack-size']!;

/** Elements of at least this many bytes get a node of their own (quicklist's packed_threshold). */
let packedThreshold = 1 << 30;

/** DEBUG QUICKLIST-PACKED-THRESHOLD (quicklistisSetPackedThreshold): false when out of range. */
export function setPackedThreshold(sz: number): boolean {
  if (sz > 2 ** 32 - (1 << 20)) return false;
  packedThreshold = sz === 0 ? 1 << 30 : sz;
  return true;
}

/** The packed threshold now (a node of one element at least this long is a plain node). */
export function listPackedThreshold(): number {
  return packedThreshold;
}

function fillOf(ks: Keyspace): number {
  const f = ks.settings.slot(FILL_SLOT);
  return f > FILL_MAX ? FILL_MAX : f < -5 ? -5 : f;
}

/** Whether a node of `bytes` listpack bytes and `count` entries is within the fill limit. */
function fits(bytes: number, count: number, fill: number): boolean {
  if (fill < 0) return bytes <= OPTIMIZATION_LEVEL[-fill - 1]!;
  if (bytes > SIZE_SAFETY_LIMIT) return false;
  return count <= fill;
}

function isPlain(heap: Heap, p: number): boolean {
  return lpCount(heap, p) === 1 && lpLen(heap, lpFirst(heap, p)) >= packedThreshold;
}

/** _quicklistNodeAllowInsert: may node p take one more element of `len` bytes? */
function allowInsert(heap: Heap, p: number, len: number, fill: number): boolean {
  const n = lpCount(heap, p);
  if (n === 0) return true;
  if (len >= packedThreshold || isPlain(heap, p)) return false;
  // (lpBytes: a front gap is not counted, so nodes hold what Redis's would)
  return fits(lpBytes(heap, p) + lpEntrySize(len), n + 1, fill);
}

// ---------------------------------------------------------------- the counted index

function tN(dv: DataView, t: number): number {
  return dv.getUint16(t + T_N, true);
}
function tLevel(dv: DataView, t: number): number {
  return dv.getUint16(t + T_LEVEL, true);
}
function sRef(dv: DataView, t: number, i: number): number {
  return dv.getUint32(t + T_SLOTS + 8 * i, true);
}
function sCnt(dv: DataView, t: number, i: number): number {
  return dv.getUint32(t + T_SLOTS + 8 * i + 4, true);
}
function tSum(dv: DataView, t: number): number {
  let s = 0;
  for (let i = tN(dv, t) - 1; i >= 0; i--) s += sCnt(dv, t, i);
  return s;
}

/**
 * Where an element is: the tree nodes and slots from the root to the leaf (empty for a
 * single-node list), the listpack, and the element's index in it.
 */
export interface ListPath {
  nodes: number[];
  slots: number[];
  lp: number;
  off: number;
}

function isTree(ks: Keyspace, e: number): boolean {
  return ks.heap.mem.u8[e + O_ENC] === ENC_TREE;
}

function rootOf(ks: Keyspace, e: number): number {
  return Heap.deref(ks.heap.dv.getUint32(e + O_VREF, true));
}

/** Number of elements. */
export function listLength(ks: Keyspace, e: number): number {
  return ks.heap.dv.getUint32(e + O_VLEN, true);
}

function setLength(ks: Keyspace, e: number, n: number): void {
  ks.heap.log(e + O_VLEN, 4);
  ks.heap.dv.setUint32(e + O_VLEN, n, true);
}

function setRoot(ks: Keyspace, e: number, p: number, enc: number): void {
  const heap = ks.heap;
  heap.log(e + O_VREF, 4);
  heap.dv.setUint32(e + O_VREF, Heap.ref(p), true);
  if (heap.mem.u8[e + O_ENC] !== enc) {
    heap.log(e + O_ENC, 1);
    heap.mem.u8[e + O_ENC] = enc;
  }
}

/**
 * The path to element `index` (0 <= index < length; or index == length: the end of the
 * last node, off = its count).
 */
export function locate(ks: Keyspace, e: number, index: number): ListPath {
  const dv = ks.heap.dv;
  const root = rootOf(ks, e);
  if (!isTree(ks, e)) return { nodes: [], slots: [], lp: root, off: index };
  const nodes: number[] = [];
  const slots: number[] = [];
  let t = root;
  // elements under t: the walk scans a node's slots from the nearer end
  // (summed, not O_VLEN: an operation updates that last)
  let total = tSum(dv, t);
  for (;;) {
    const n = tN(dv, t);
    let i: number;
    if (index < total >> 1) {
      for (i = 0; i < n - 1; i++) {
        const c = sCnt(dv, t, i);
        if (index < c) break;
        index -= c;
      }
    } else {
      let rest = total;
      for (i = n - 1; i > 0; i--) {
        rest -= sCnt(dv, t, i);
        if (index >= rest) break;
      }
      if (i === 0) rest = 0;
      index -= rest;
    }
    total = sCnt(dv, t, i);
    nodes.push(t);
    slots.push(i);
    const child = Heap.deref(sRef(dv, t, i));
    if (tLevel(dv, t) === 0) return { nodes, slots, lp: child, off: index };
    t = child;
  }
}

/**
 * The path locateEnd() returns: one object reused by every call (a push or pop at an end
 * is the hot path, and a path of fresh arrays per element was most of its garbage). Valid
 * until the next locateEnd(); its callers use it and drop it before they call again.
 */
const endPath: ListPath = { nodes: [], slots: [], lp: 0, off: 0 };

/**
 * The path to the first (left) or last (right) listpack: slot 0 or the last slot at every
 * level, no counts read (what a push or a pop at an end needs; off is 0 at the left, the
 * listpack's count at the right). The path is endPath: see there.
 */
function locateEnd(ks: Keyspace, e: number, where: Where): ListPath {
  const heap = ks.heap;
  const dv = heap.dv;
  const root = rootOf(ks, e);
  const left = where === 'left';
  const path = endPath;
  // (promote() may have given the path arrays of its own: taken as they are)
  const nodes = path.nodes;
  const slots = path.slots;
  let d = 0;
  let lp = root;
  if (isTree(ks, e)) {
    let t = root;
    for (;;) {
      const i = left ? 0 : tN(dv, t) - 1;
      nodes[d] = t;
      slots[d] = i;
      d++;
      const child = Heap.deref(sRef(dv, t, i));
      if (tLevel(dv, t) === 0) {
        lp = child;
        break;
      }
      t = child;
    }
  }
  // (setting an array's length is a runtime call: only when the depth changed)
  if (nodes.length !== d) nodes.length = d;
  if (slots.length !== d) slots.length = d;
  path.lp = lp;
  path.off = left ? 0 : lpCount(heap, lp);
  return path;
}

/** Move a path to the next (dir 1) or previous (dir -1) listpack; returns it, or 0 at the end. */
function stepPath(dv: DataView, path: ListPath, dir: 1 | -1): number {
  const L = path.nodes.length - 1;
  let l = L;
  for (; l >= 0; l--) {
    const s = path.slots[l]! + dir;
    if (s >= 0 && s < tN(dv, path.nodes[l]!)) break;
  }
  if (l < 0) return 0;
  path.slots[l]! += dir;
  for (let k = l + 1; k <= L; k++) {
    const t = Heap.deref(sRef(dv, path.nodes[k - 1]!, path.slots[k - 1]!));
    path.nodes[k] = t;
    path.slots[k] = dir > 0 ? 0 : tN(dv, t) - 1;
  }
  path.lp = Heap.deref(sRef(dv, path.nodes[L]!, path.slots[L]!));
  return path.lp;
}

function clonePath(p: ListPath): ListPath {
  return { nodes: p.nodes.slice(), slots: p.slots.slice(), lp: p.lp, off: p.off };
}

/** Add delta to the counts on the path (the path's listpack gained/lost elements). */
function addCounts(heap: Heap, path: ListPath, delta: number): void {
  const dv = heap.dv;
  for (let l = 0; l < path.nodes.length; l++) {
    const o = path.nodes[l]! + T_SLOTS + 8 * path.slots[l]! + 4;
    heap.log(o, 4);
    dv.setUint32(o, dv.getUint32(o, true) + delta, true);
  }
}

/** The path's listpack moved (it grew) or was replaced: store its new offset. */
function setLp(ks: Keyspace, e: number, path: ListPath, p: number): void {
  if (p === path.lp) return;
  path.lp = p;
  const L = path.nodes.length - 1;
  if (L < 0) {
    setRoot(ks, e, p, ENC_SINGLE);
    return;
  }
  const o = path.nodes[L]! + T_SLOTS + 8 * path.slots[L]!;
  ks.heap.log(o, 4);
  ks.heap.dv.setUint32(o, Heap.ref(p), true);
}

/** Insert a slot (ref, cnt) at `pos` of tree node t; when t is full it splits: returns the new right half, else 0. */
function nodeInsert(heap: Heap, t: number, pos: number, ref: number, cnt: number): number {
  const dv = heap.dv;
  const n = tN(dv, t);
  if (n < FANOUT) {
    heap.log(t, T_SLOTS);
    if (pos < n) {
      heap.log(t + T_SLOTS + 8 * pos, 8 * (n - pos));
      heap.mem.copy(t + T_SLOTS + 8 * (pos + 1), t + T_SLOTS + 8 * pos, 8 * (n - pos));
    }
    dv.setUint32(t + T_SLOTS + 8 * pos, ref, true);
    dv.setUint32(t + T_SLOTS + 8 * pos + 4, cnt, true);
    dv.setUint16(t + T_N, n + 1, true);
    return 0;
  }
  const half = FANOUT >> 1;
  const r = heap.alloc(TNODE_BYTES);
  dv.setUint16(r + T_N, n - half, true);
  dv.setUint16(r + T_LEVEL, tLevel(dv, t), true);
  dv.setUint32(r + 4, 0, true);
  heap.mem.copy(r + T_SLOTS, t + T_SLOTS + 8 * half, 8 * (n - half));
  heap.log(t, T_SLOTS);
  dv.setUint16(t + T_N, half, true);
  if (pos <= half) nodeInsert(heap, t, pos, ref, cnt);
  else nodeInsert(heap, r, pos - half, ref, cnt);
  return r;
}

/** A single-node list becomes a tree of one leaf (the path then points into it). */
function promote(ks: Keyspace, e: number, path: ListPath): void {
  const heap = ks.heap;
  const dv = heap.dv;
  const t = heap.alloc(TNODE_BYTES);
  dv.setUint16(t + T_N, 1, true);
  dv.setUint16(t + T_LEVEL, 0, true);
  dv.setUint32(t + 4, 0, true);
  dv.setUint32(t + T_SLOTS, Heap.ref(path.lp), true);
  dv.setUint32(t + T_SLOTS + 4, lpCount(heap, path.lp), true);
  setRoot(ks, e, t, ENC_TREE);
  path.nodes = [t];
  path.slots = [0];
}

/**
 * Link listpack p (cnt elements, not counted anywhere yet) as a new node before (after =
 * false) or after the path's listpack. The path is stale afterwards.
 */
function insertNode(ks: Keyspace, e: number, path: ListPath, after: boolean, p: number, cnt: number): void {
  const heap = ks.heap;
  const dv = heap.dv;
  if (path.nodes.length === 0) promote(ks, e, path);
  const nodes = path.nodes;
  const slots = path.slots;
  let L = nodes.length - 1;
  let right = nodeInsert(heap, nodes[L]!, slots[L]! + (after ? 1 : 0), Heap.ref(p), cnt);
  for (;;) {
    if (L === 0) {
      if (right !== 0) {
        const left = nodes[0]!;
        const root = heap.alloc(TNODE_BYTES);
        dv.setUint16(root + T_N, 2, true);
        dv.setUint16(root + T_LEVEL, tLevel(dv, left) + 1, true);
        dv.setUint32(root + 4, 0, true);
        dv.setUint32(root + T_SLOTS, Heap.ref(left), true);
        dv.setUint32(root + T_SLOTS + 4, tSum(dv, left), true);
        dv.setUint32(root + T_SLOTS + 8, Heap.ref(right), true);
        dv.setUint32(root + T_SLOTS + 12, tSum(dv, right), true);
        setRoot(ks, e, root, ENC_TREE);
      }
      return;
    }
    const parent = nodes[L - 1]!;
    const ps = slots[L - 1]!;
    if (right === 0) {
      for (let k = L - 1; k >= 0; k--) {
        const o = nodes[k]! + T_SLOTS + 8 * slots[k]! + 4;
        heap.log(o, 4);
        dv.setUint32(o, dv.getUint32(o, true) + cnt, true);
      }
      return;
    }
    const o = parent + T_SLOTS + 8 * ps + 4;
    heap.log(o, 4);
    dv.setUint32(o, tSum(dv, nodes[L]!), true);
    right = nodeInsert(heap, parent, ps + 1, Heap.ref(right), tSum(dv, right));
    L--;
  }
}

/**
 * Unlink the path's listpack (which the caller frees or reuses) holding `cnt` elements,
 * from a tree (never the last node). The path is stale afterwards.
 */
function removeNode(ks: Keyspace, e: number, path: ListPath, cnt: number): void {
  const heap = ks.heap;
  const dv = heap.dv;
  let L = path.nodes.length - 1;
  for (;;) {
    const t = path.nodes[L]!;
    const s = path.slots[L]!;
    const n = tN(dv, t);
    if (n === 1 && L > 0) {
      heap.free(t);
      L--;
      continue;
    }
    heap.log(t, T_SLOTS);
    if (s < n - 1) {
      heap.log(t + T_SLOTS + 8 * s, 8 * (n - 1 - s));
      heap.mem.copy(t + T_SLOTS + 8 * s, t + T_SLOTS + 8 * (s + 1), 8 * (n - 1 - s));
    }
    dv.setUint16(t + T_N, n - 1, true);
    for (let k = L - 1; k >= 0; k--) {
      const o = path.nodes[k]! + T_SLOTS + 8 * path.slots[k]! + 4;
      heap.log(o, 4);
      dv.setUint32(o, dv.getUint32(o, true) - cnt, true);
    }
    break;
  }
  collapse(ks, e);
}

/** A root with one slot is replaced by its child; a tree of one listpack becomes ENC_SINGLE. */
function collapse(ks: Keyspace, e: number): void {
  const heap = ks.heap;
  const dv = heap.dv;
  while (isTree(ks, e)) {
    const r = rootOf(ks, e);
    if (tN(dv, r) !== 1) return;
    const child = Heap.deref(sRef(dv, r, 0));
    const leaf = tLevel(dv, r) === 0;
    heap.free(r);
    setRoot(ks, e, child, leaf ? ENC_SINGLE : ENC_TREE);
  }
}

/** Merge the path's listpack with a neighbour in the same tree leaf when both fit in one node. */
function maybeMerge(ks: Keyspace, e: number, path: ListPath): void {
  const L = path.nodes.length - 1;
  if (L < 0) return;
  const heap = ks.heap;
  const dv = heap.dv;
  const t = path.nodes[L]!;
  const s = path.slots[L]!;
  const n = tN(dv, t);
  const fill = fillOf(ks);
  const a = path.lp;
  if (isPlain(heap, a)) return;
  for (const nb of [s + 1, s - 1]) {
    if (nb < 0 || nb >= n) continue;
    const b = Heap.deref(sRef(dv, t, nb));
    if (isPlain(heap, b)) continue;
    const ca = lpCount(heap, a);
    const cb = lpCount(heap, b);
    if (!fits(lpBytes(heap, a) + lpBytes(heap, b) - LP_HDR, ca + cb, fill)) continue;
    const [first, second] = nb > s ? [a, b] : [b, a];
    const ats = lpEntryOffsets(heap, first, lpFirst(heap, first), lpCount(heap, first));
    lpEntryOffsets(heap, second, lpFirst(heap, second), lpCount(heap, second), ats);
    const m = lpFromEntries(heap, ats);
    heap.free(a);
    heap.free(b);
    // the merged node takes the lower slot; the upper one goes (counts above are unchanged)
    const lo = Math.min(s, nb);
    const o = t + T_SLOTS + 8 * lo;
    heap.log(o, 8);
    dv.setUint32(o, Heap.ref(m), true);
    dv.setUint32(o + 4, ca + cb, true);
    const hi = Math.max(s, nb);
    heap.log(t, T_SLOTS);
    if (hi < n - 1) {
      heap.log(t + T_SLOTS + 8 * hi, 8 * (n - 1 - hi));
      heap.mem.copy(t + T_SLOTS + 8 * hi, t + T_SLOTS + 8 * (hi + 1), 8 * (n - 1 - hi));
    }
    dv.setUint16(t + T_N, n - 1, true);
    collapse(ks, e);
    return;
  }
}

// ---------------------------------------------------------------- element operations (no key-level effects)

/** Append (right) or prepend (left) one element. */
function pushOne(ks: Keyspace, e: number, where: Where, item: Uint8Array): void {
  const heap = ks.heap;
  const len = listLength(ks, e);
  const path = locateEnd(ks, e, where);
  if (allowInsert(heap, path.lp, item.length, fillOf(ks))) {
    // (at the head: into the node's front gap, not a move of every entry)
    const p = where === 'left' ? lpPushFront(heap, path.lp, item) : lpAppend(heap, path.lp, item);
    setLp(ks, e, path, p);
    addCounts(heap, path, 1);
  } else insertNode(ks, e, path, where === 'right', lpFromItems(heap, [item]), 1);
  setLength(ks, e, len + 1);
}

/** Insert an element before index (0 <= index <= length). */
export function insertAt(ks: Keyspace, e: number, index: number, item: Uint8Array): void {
  const len = listLength(ks, e);
  if (index <= 0 || len === 0) return pushOne(ks, e, 'left', item);
  if (index >= len) return pushOne(ks, e, 'right', item);
  const heap = ks.heap;
  const fill = fillOf(ks);
  const path = locate(ks, e, index);
  const lp = path.lp;
  const off = path.off;
  if (allowInsert(heap, lp, item.length, fill)) {
    const [p] = lpInsert(heap, lp, lpSeek(heap, lp, off), item);
    setLp(ks, e, path, p);
    addCounts(heap, path, 1);
  } else if (off === 0) {
    const prev = clonePath(path);
    if (stepPath(heap.dv, prev, -1) !== 0 && allowInsert(heap, prev.lp, item.length, fill)) {
      setLp(ks, e, prev, lpAppend(heap, prev.lp, item));
      addCounts(heap, prev, 1);
    } else insertNode(ks, e, path, false, lpFromItems(heap, [item]), 1);
  } else {
    // split the node at off: [0, off) stays, [off, n) goes to a new node after it
    const n = lpCount(heap, lp);
    const at = lpSeek(heap, lp, off);
    let right = lpFromEntries(heap, lpEntryOffsets(heap, lp, at, n - off));
    let rcount = n - off;
    lpDelete(heap, lp, at, n - off);
    addCounts(heap, path, -(n - off));
    if (allowInsert(heap, lp, item.length, fill)) {
      setLp(ks, e, path, lpAppend(heap, lp, item));
      addCounts(heap, path, 1);
      insertNode(ks, e, path, true, right, rcount);
    } else if (allowInsert(heap, right, item.length, fill)) {
      right = lpPrepend(heap, right, item);
      rcount++;
      insertNode(ks, e, path, true, right, rcount);
    } else {
      insertNode(ks, e, path, true, right, rcount);
      insertNode(ks, e, locate(ks, e, index), false, lpFromItems(heap, [item]), 1);
    }
  }
  setLength(ks, e, len + 1);
}

/** Delete n elements from index on (the range must be inside the list). Leaves an empty root when everything goes. */
export function deleteRange(ks: Keyspace, e: number, index: number, n: number): void {
  const heap = ks.heap;
  let len = listLength(ks, e);
  while (n > 0) {
    const path = locate(ks, e, index);
    const cnt = lpCount(heap, path.lp);
    const take = Math.min(n, cnt - path.off);
    if (take === cnt && path.nodes.length > 0) {
      heap.free(path.lp);
      removeNode(ks, e, path, cnt);
    } else {
      lpDelete(heap, path.lp, lpSeek(heap, path.lp, path.off), take);
      addCounts(heap, path, -take);
      maybeMerge(ks, e, path);
    }
    n -= take;
    len -= take;
  }
  setLength(ks, e, len);
}

/** Pop up to count elements from one end (in pop order). Leaves an empty root when everything goes. */
function popRaw(ks: Keyspace, e: number, where: Where, count: number): Buffer[] {
  const heap = ks.heap;
  const out: Buffer[] = [];
  let len = listLength(ks, e);
  while (count > 0 && len > 0) {
    const path = locateEnd(ks, e, where);
    const lp = path.lp;
    const cnt = lpCount(heap, lp);
    const take = Math.min(count, cnt);
    let from: number;
    if (where === 'left') {
      from = lpFirst(heap, lp);
      for (let at = from, k = 0; k < take; k++, at = lpNext(heap, lp, at)) out.push(lpGet(heap, at));
    } else {
      let at = lpLast(heap, lp);
      for (let k = 0; k < take; k++) {
        out.push(lpGet(heap, at));
        from = at;
        at = lpPrev(heap, lp, at);
      }
      from = lpSeek(heap, lp, cnt - take);
    }
    if (take === cnt && path.nodes.length > 0) {
      heap.free(lp);
      removeNode(ks, e, path, cnt);
    } else {
      // (at the head: the node's start moves past them, nothing else does)
      if (where === 'left') lpDeleteFront(heap, lp, take);
      else lpDelete(heap, lp, from, take);
      addCounts(heap, path, -take);
    }
    count -= take;
    len -= take;
  }
  setLength(ks, e, len);
  return out;
}

/** Replace element index (inside the list) by item. */
export function replaceAt(ks: Keyspace, e: number, index: number, item: Uint8Array): void {
  const heap = ks.heap;
  const path = locate(ks, e, index);
  const lp = path.lp;
  const at = lpSeek(heap, lp, path.off);
  const n = lpCount(heap, lp);
  const bytes = lpBytes(heap, lp);
  const newBytes = bytes - lpEntrySize(lpLen(heap, at)) + lpEntrySize(item.length);
  if (n === 1 || (item.length < packedThreshold && !isPlain(heap, lp) && (newBytes <= bytes || fits(newBytes, n, fillOf(ks))))) {
    setLp(ks, e, path, lpReplace(heap, lp, at, item)[0]);
    return;
  }
  deleteRange(ks, e, index, 1);
  insertAt(ks, e, index, item);
}

/**
 * Remove elements equal to item: the first `limit` from the head (fromTail false) or the
 * tail, all when limit is 0. Returns how many went. Each node with matches is rebuilt
 * once (a fresh listpack of the kept entries), so the undo log stays at a node's bytes.
 */
export function removeMatching(ks: Keyspace, e: number, item: Uint8Array, limit: number, fromTail: boolean): number {
  const heap = ks.heap;
  let removed = 0;
  let len = listLength(ks, e);
  let idx = fromTail ? len - 1 : 0;
  while (idx >= 0 && idx < len && (limit === 0 || removed < limit)) {
    const path = locate(ks, e, idx);
    const lp = path.lp;
    const cnt = lpCount(heap, lp);
    const drop = new Set<number>();
    const ats = lpEntryOffsets(heap, lp, lpFirst(heap, lp), cnt);
    if (fromTail) {
      for (let k = path.off; k >= 0 && (limit === 0 || removed + drop.size < limit); k--) if (lpEq(heap, ats[k]!, item)) drop.add(k);
    } else {
      for (let k = path.off; k < cnt && (limit === 0 || removed + drop.size < limit); k++) if (lpEq(heap, ats[k]!, item)) drop.add(k);
    }
    const nodeStart = idx - path.off;
    if (drop.size > 0) {
      const kept = ats.filter((_, k) => !drop.has(k));
      if (kept.length === 0 && path.nodes.length > 0) {
        heap.free(lp);
        removeNode(ks, e, path, cnt);
      } else {
        const p = lpFromEntries(heap, kept);
        heap.free(lp);
        path.lp = 0;
        setLp(ks, e, path, p);
        addCounts(heap, path, -drop.size);
        maybeMerge(ks, e, path);
      }
      removed += drop.size;
      len -= drop.size;
      setLength(ks, e, len);
    }
    idx = fromTail ? nodeStart - 1 : nodeStart + (cnt - drop.size);
  }
  return removed;
}

// ---------------------------------------------------------------- reading

/** A position for walking the elements. */
export interface ListCursor extends ListPath {
  /** entry offset in lp, 0 past either end */
  at: number;
}

/** A cursor on element index (inside the list). */
export function cursorAt(ks: Keyspace, e: number, index: number): ListCursor {
  const p = locate(ks, e, index) as ListCursor;
  p.at = lpSeek(ks.heap, p.lp, p.off);
  return p;
}

export function cursorNext(heap: Heap, c: ListCursor): boolean {
  c.at = lpNext(heap, c.lp, c.at);
  if (c.at !== 0) return true;
  const lp = stepPath(heap.dv, c, 1);
  if (lp === 0) return false;
  c.at = lpFirst(heap, lp);
  return c.at !== 0;
}

export function cursorPrev(heap: Heap, c: ListCursor): boolean {
  c.at = lpPrev(heap, c.lp, c.at);
  if (c.at !== 0) return true;
  const lp = stepPath(heap.dv, c, -1);
  if (lp === 0) return false;
  c.at = lpLast(heap, lp);
  return c.at !== 0;
}

/** Entry offset of element index (negative: from the end), 0 when out of range. */
export function entryAt(ks: Keyspace, e: number, index: number): number {
  const len = listLength(ks, e);
  if (index < 0) index += len;
  if (index < 0 || index >= len) return 0;
  const p = locate(ks, e, index);
  return lpSeek(ks.heap, p.lp, p.off);
}

/** Copies of elements [start, end] (inside the list), in order. */
export function listRange(ks: Keyspace, e: number, start: number, end: number): Buffer[] {
  const out: Buffer[] = [];
  if (end < start) return out;
  const heap = ks.heap;
  const c = cursorAt(ks, e, start);
  for (let i = start; ; i++) {
    out.push(lpGet(heap, c.at));
    if (i === end || !cursorNext(heap, c)) break;
  }
  return out;
}

/** Every element (copies). */
export function listItems(ks: Keyspace, e: number): Buffer[] {
  const len = listLength(ks, e);
  return len === 0 ? [] : listRange(ks, e, 0, len - 1);
}

export { lpData as entryData, lpLen as entryLength, lpEq as entryEquals };

// ---------------------------------------------------------------- key-level operations (the seam)

/** The entry of a list key, 0 when absent; WRONGTYPE for another type. */
export function findList(ks: Keyspace, db: number, key: Uint8Array, read = false): number {
  const e = read ? ks.lookupRead(db, key) : ks.lookupWrite(db, key);
  if (e !== 0 && ks.type(e) !== OBJ_LIST) throw new WrongTypeError();
  return e;
}

/** A new, empty, unlinked list entry. */
function newList(ks: Keyspace, key: Uint8Array): number {
  const e = ks.newEntry(OBJ_LIST, ENC_SINGLE, key, 0, key.length, 0);
  ks.heap.dv.setUint32(e + O_VREF, Heap.ref(lpNew(ks.heap, 64)), true);
  return e;
}

/**
 * LPUSH/RPUSH/LPUSHX/RPUSHX: push items (in argument order) at one end, creating the key
 * unless onlyIfExists. Returns the new length (0 when the key is absent and onlyIfExists).
 * Throws WRONGTYPE. The key's change goes through the seam (ks.addEntry / ks.modified).
 */
export function listPush(ks: Keyspace, db: number, key: Uint8Array, where: Where, items: readonly Uint8Array[], onlyIfExists = false, from = 0): number {
  // (items[from..]: the commands pass their argv, not a slice of it per call)
  let e = findList(ks, db, key);
  if (e === 0) {
    if (onlyIfExists || items.length <= from) return 0;
    e = newList(ks, key);
    for (let i = from; i < items.length; i++) pushOne(ks, e, where, items[i]!);
    ks.addEntry(db, e, REASON.added);
    return listLength(ks, e);
  }
  for (let i = from; i < items.length; i++) pushOne(ks, e, where, items[i]!);
  if (items.length > from) ks.modified(db, e, REASON.modified);
  return listLength(ks, e);
}

/** Push onto an existing list entry (or a new key when e is 0), through the seam. Returns the entry. */
export function listPushEntry(ks: Keyspace, db: number, key: Uint8Array, e: number, where: Where, items: readonly Uint8Array[]): number {
  if (e === 0) {
    e = newList(ks, key);
    for (const it of items) pushOne(ks, e, where, it);
    ks.addEntry(db, e, REASON.added);
    return e;
  }
  for (const it of items) pushOne(ks, e, where, it);
  ks.modified(db, e, REASON.modified);
  return e;
}

/** Delete the key when its list is empty, else report the change. */
function settle(ks: Keyspace, db: number, e: number): void {
  if (listLength(ks, e) === 0) ks.removeEntry(db, e, REASON.deleted);
  else ks.modified(db, e, REASON.modified);
}

/**
 * Pop up to count elements from one end of list entry e (a list: callers checked), in pop
 * order; the key is deleted when the list empties.
 */
export function listPop(ks: Keyspace, db: number, e: number, where: Where, count: number): Buffer[] {
  const out = popRaw(ks, e, where, count);
  if (out.length > 0) settle(ks, db, e);
  return out;
}

/** Where listPopOne() puts the element it pops (a Reply: its bulkFrom copies the bytes at once). */
export interface BytesSink {
  bulkFrom(u8: Uint8Array, off: number, len: number): void;
}

/**
 * LPOP / RPOP without a count: pop one element from an end of list entry e (a list:
 * callers checked), handing its bytes to `sink` straight from shared memory before they are
 * deleted: no Buffer and no array per pop. The key is deleted when the list empties.
 * Returns false (and pops nothing) when the list is empty.
 */
export function listPopOne(ks: Keyspace, db: number, e: number, where: Where, sink: BytesSink): boolean {
  const heap = ks.heap;
  const len = listLength(ks, e);
  if (len === 0) return false;
  const path = locateEnd(ks, e, where);
  const lp = path.lp;
  const at = where === 'left' ? lpFirst(heap, lp) : lpLast(heap, lp);
  const off = lpData(heap, at);
  const n = lpLen(heap, at);
  const mem = heap.mem;
  if (off + n <= mem.u8Limit) sink.bulkFrom(mem.u8, off, n);
  else sink.bulkFrom(mem.view(off, n), 0, n);
  if (lpCount(heap, lp) === 1 && path.nodes.length > 0) {
    heap.free(lp);
    removeNode(ks, e, path, 1);
  } else {
    if (where === 'left') lpDeleteFront(heap, lp, 1);
    else lpDelete(heap, lp, at, 1);
    addCounts(heap, path, -1);
  }
  setLength(ks, e, len - 1);
  settle(ks, db, e);
  return true;
}

/**
 * LMOVE / RPOPLPUSH (and BLMOVE's serving side): pop one element from srcKey's `from` end
 * and push it at dstKey's `to` end. Returns the element, or null when srcKey is absent
 * (or empty). Throws WRONGTYPE (src first; dst only when src has an element), before
 * changing anything.
 */
export function listMove(ks: Keyspace, db: number, srcKey: Uint8Array, dstKey: Uint8Array, from: Where, to: Where): Buffer | null {
  const s = findList(ks, db, srcKey);
  if (s === 0 || listLength(ks, s) === 0) return null;
  const d = findList(ks, db, dstKey);
  const v = popRaw(ks, s, from, 1)[0]!;
  if (d === s) {
    pushOne(ks, s, to, v);
    ks.modified(db, s, REASON.modified);
    return v;
  }
  listPushEntry(ks, db, dstKey, d, to, [v]);
  settle(ks, db, s);
  return v;
}

/** LTRIM's work: keep [start, end] of the normalized range; the key goes when nothing is left. */
export function listTrim(ks: Keyspace, db: number, e: number, ltrim: number, rtrim: number): void {
  const len = listLength(ks, e);
  if (ltrim > 0) deleteRange(ks, e, 0, Math.min(ltrim, len));
  const left = listLength(ks, e);
  if (rtrim > 0 && left > 0) deleteRange(ks, e, Math.max(0, left - rtrim), Math.min(rtrim, left));
  settle(ks, db, e);
}

/** Delete the key when its list is empty, else report a change (after in-place edits). */
export function listSettle(ks: Keyspace, db: number, e: number): void {
  settle(ks, db, e);
}

// ---------------------------------------------------------------- whole lists at once (RDB)

/** Every node of list e, head to tail: its listpack and whether it is a plain node (one element of at least the packed threshold). */
export function forEachListNode(ks: Keyspace, e: number, fn: (p: number, plain: boolean) => void): void {
  const heap = ks.heap;
  walk(ks, e, (p) => fn(p, isPlain(heap, p)), () => {});
}

/**
 * The nodes a list loaded from RDB gets (Redis's rdbLoadObject keeps the file's nodes as
 * they are): a node that fits this list's fill rules stays whole, a plain node or an
 * element of at least the packed threshold is a node of its own, and a node too big for
 * the fill rules (written under other settings) is cut where a push would start a new
 * node. Empty nodes are dropped (Redis skips them too).
 */
export function listNodeGroups(ks: Keyspace, nodes: readonly (readonly Uint8Array[])[], plain?: readonly boolean[]): Uint8Array[][] {
  const fill = fillOf(ks);
  const out: Uint8Array[][] = [];
  for (let i = 0; i < nodes.length; i++) {
    const items = nodes[i]!;
    if (items.length === 0) continue;
    if (plain?.[i] === true) {
      for (const it of items) out.push([it]);
      continue;
    }
    let bytes = LP_HDR;
    let big = false;
    for (const it of items) {
      bytes += lpEntrySize(it.length);
      if (it.length >= packedThreshold) big = true;
    }
    if (!big && fits(bytes, items.length, fill)) {
      out.push(items.slice());
      continue;
    }
    let cur: Uint8Array[] = [];
    let curBytes = LP_HDR;
    for (const it of items) {
      if (it.length >= packedThreshold) {
        if (cur.length > 0) out.push(cur);
        out.push([it]);
        cur = [];
        curBytes = LP_HDR;
        continue;
      }
      const size = lpEntrySize(it.length);
      if (cur.length > 0 && !fits(curBytes + size, cur.length + 1, fill)) {
        out.push(cur);
        cur = [];
        curBytes = LP_HDR;
      }
      cur.push(it);
      curBytes += size;
    }
    if (cur.length > 0) out.push(cur);
  }
  return out;
}

/**
 * A new, unlinked list entry whose nodes hold `groups` (each non-empty, head to tail):
 * one listpack per group and, for more than one, the counted index built bottom-up, its
 * nodes filled evenly. Fresh chunks only: nothing is undo-logged, however long the list.
 */
export function newListFromNodes(ks: Keyspace, key: Uint8Array, groups: readonly (readonly Uint8Array[])[]): number {
  const heap = ks.heap;
  const dv = heap.dv;
  let total = 0;
  let level: number[] = []; // ref, count pairs
  for (const g of groups) {
    level.push(Heap.ref(lpFromItems(heap, g)), g.length);
    total += g.length;
  }
  let enc = ENC_SINGLE;
  for (let height = 0; level.length > 2; height++) {
    enc = ENC_TREE;
    const k = level.length / 2;
    const parents = Math.ceil(k / FANOUT);
    const up: number[] = [];
    for (let p = 0, i = 0; p < parents; p++) {
      const take = Math.floor((k - i) / (parents - p));
      const t = heap.alloc(TNODE_BYTES);
      dv.setUint16(t + T_N, take, true);
      dv.setUint16(t + T_LEVEL, height, true);
      dv.setUint32(t + 4, 0, true);
      let sum = 0;
      for (let c = 0; c < take; c++) {
        dv.setUint32(t + T_SLOTS + 8 * c, level[2 * (i + c)]!, true);
        dv.setUint32(t + T_SLOTS + 8 * c + 4, level[2 * (i + c) + 1]!, true);
        sum += level[2 * (i + c) + 1]!;
      }
      up.push(Heap.ref(t), sum);
      i += take;
    }
    level = up;
  }
  const e = ks.newEntry(OBJ_LIST, enc, key, 0, key.length, 0);
  dv.setUint32(e + O_VLEN, total, true);
  dv.setUint32(e + O_VREF, level[0]!, true);
  return e;
}

// ---------------------------------------------------------------- whole-structure walks

/** Visit every listpack (in order) and every tree node. */
function walk(ks: Keyspace, e: number, onLp: (p: number) => void, onTree: (t: number) => void): void {
  if (!isTree(ks, e)) onLp(rootOf(ks, e));
  else walkTree(ks.heap.dv, rootOf(ks, e), onLp, onTree);
}

function walkTree(dv: DataView, root: number, onLp: (p: number) => void, onTree: (t: number) => void): void {
  const rec = (t: number): void => {
    onTree(t);
    const leaf = tLevel(dv, t) === 0;
    for (let i = 0; i < tN(dv, t); i++) {
      const c = Heap.deref(sRef(dv, t, i));
      if (leaf) onLp(c);
      else rec(c);
    }
  };
  rec(root);
}

/** DEBUG OBJECT's quicklist fields and structure facts. */
export function listStats(ks: Keyspace, e: number): { nodes: number; bytes: number; depth: number } {
  let nodes = 0;
  let bytes = 0;
  walk(ks, e, (p) => {
    nodes++;
    // as Redis counts a listpack: 6 header bytes and an end byte (ours: 8 header bytes)
    bytes += lpBytes(ks.heap, p) - LP_HDR + 7;
  }, () => {});
  const depth = isTree(ks, e) ? tLevel(ks.heap.dv, rootOf(ks, e)) + 1 : 0;
  return { nodes, bytes, depth };
}

/** The integrity checker's walk of an index: marks its chunks, checks counts and nodes; returns the elements it counts. */
function checkTree(ks: Keyspace, root: number, what: string, mark: (p: number, what: string) => void, errors: string[]): number {
  const heap = ks.heap;
  const dv = heap.dv;
  // returns the elements under t, checking each slot's count
  const rec = (t: number, level: number): number => {
    mark(t, `${what} index node`);
    const n = tN(dv, t);
    if (tLevel(dv, t) !== level) errors.push(`${what}: index node at ${t} has level ${tLevel(dv, t)}, expected ${level}`);
    if (n < 1 || n > FANOUT) {
      errors.push(`${what}: index node at ${t} has ${n} slots`);
      return 0;
    }
    let sum = 0;
    for (let i = 0; i < n; i++) {
      const c = Heap.deref(sRef(dv, t, i));
      let got: number;
      if (level === 0) {
        mark(c, `${what} node`);
        got = lpCheck(heap, c, errors, `${what} node`);
        if (got === 0) errors.push(`${what}: empty node in a list of several`);
      } else got = rec(c, level - 1);
      if (got >= 0 && got !== sCnt(dv, t, i)) errors.push(`${what}: index node at ${t} slot ${i} counts ${sCnt(dv, t, i)} but holds ${got}`);
      sum += sCnt(dv, t, i);
    }
    return sum;
  };
  const total = rec(root, tLevel(dv, root));
  if (tN(dv, root) < 2) errors.push(`${what}: index root with ${tN(dv, root)} slot(s) (should have collapsed)`);
  return total;
}

/** Lists whose index root has at least this many slots (or more than one level) are freed lazily. */
const LAZY_MIN_NODES = 16;

/**
 * Free about `budget` elements of a detached index, from its end: the last listpacks of
 * the rightmost leaf, then the tree nodes left empty. Returns whether anything is left.
 */
function freeTreeStep(heap: Heap, root: number, budget: number): boolean {
  const dv = heap.dv;
  let freed = 0;
  while (freed < budget) {
    // the rightmost path
    const path: number[] = [];
    for (let t = root; ; ) {
      path.push(t);
      if (tLevel(dv, t) === 0) break;
      t = Heap.deref(sRef(dv, t, tN(dv, t) - 1));
    }
    let L = path.length - 1;
    const leaf = path[L]!;
    const n = tN(dv, leaf);
    freed += Math.max(1, sCnt(dv, leaf, n - 1));
    heap.free(Heap.deref(sRef(dv, leaf, n - 1)));
    heap.log(leaf + T_N, 2);
    dv.setUint16(leaf + T_N, n - 1, true);
    // tree nodes left without slots go, up the path
    while (L >= 0 && tN(dv, path[L]!) === 0) {
      heap.free(path[L]!);
      if (L === 0) return false;
      const parent = path[L - 1]!;
      heap.log(parent + T_N, 2);
      dv.setUint16(parent + T_N, tN(dv, parent) - 1, true);
      L--;
    }
  }
  return true;
}

function copyTree(heap: Heap, t: number): number {
  const dv = heap.dv;
  const c = heap.alloc(TNODE_BYTES);
  heap.mem.copy(c, t, T_SLOTS + 8 * tN(dv, t));
  const leaf = tLevel(dv, t) === 0;
  for (let i = 0; i < tN(dv, t); i++) {
    const child = Heap.deref(sRef(dv, t, i));
    let cc: number;
    if (leaf) {
      cc = heap.alloc(Math.max(lpUsed(heap, child), LP_HDR));
      heap.mem.copy(cc, child, lpUsed(heap, child));
    } else cc = copyTree(heap, child);
    dv.setUint32(c + T_SLOTS + 8 * i, Heap.ref(cc), true);
  }
  return c;
}

/** Redis's rdbSaveLen size. */
function rdbLenBytes(n: number): number {
  return n < 64 ? 1 : n < 16384 ? 2 : n <= 0xffffffff ? 5 : 9;
}

export const listType: ValueType = {
  type: OBJ_LIST,
  name: 'list',
  inlineBytes() {
    return 0;
  },
  free(ks, e) {
    // (one operation for the whole list: see the report on slicing it)
    walk(ks, e, (p) => ks.heap.free(p), (t) => ks.heap.free(t));
  },
  copy(ks, from, to) {
    const heap = ks.heap;
    const root = rootOf(ks, from);
    let c: number;
    if (!isTree(ks, from)) {
      c = heap.alloc(Math.max(lpUsed(heap, root), LP_HDR));
      heap.mem.copy(c, root, lpUsed(heap, root));
    } else c = copyTree(heap, root);
    heap.dv.setUint32(to + O_VREF, Heap.ref(c), true);
  },
  encoding() {
    return 'quicklist';
  },
  chunks(ks, e, mark, errors) {
    const heap = ks.heap;
    const root = rootOf(ks, e);
    const what = `list ${ks.keyOf(e).toString('latin1')}`;
    const len = listLength(ks, e);
    if (!isTree(ks, e)) {
      mark(root, `${what} node`);
      const n = lpCheck(heap, root, errors, `${what} node`);
      if (n >= 0 && n !== len) errors.push(`${what}: length ${len} but its node holds ${n}`);
      return;
    }
    const total = checkTree(ks, root, what, mark, errors);
    if (total !== len) errors.push(`${what}: length ${len} but the index counts ${total}`);
  },
  lazyHandle(ks, e) {
    // a list of many nodes is freed a slice at a time: its index root is the handle
    if (!isTree(ks, e)) return 0;
    const dv = ks.heap.dv;
    const root = rootOf(ks, e);
    return tLevel(dv, root) > 0 || tN(dv, root) >= LAZY_MIN_NODES ? Heap.ref(root) : 0;
  },
  freeStep(ks, handle, budget) {
    return freeTreeStep(ks.heap, Heap.deref(handle), budget) ? handle : 0;
  },
  lazyChunks(ks, handle, mark, errors) {
    // (a queued index is being freed from its end: its counts no longer add up)
    const what = 'list queued for lazy freeing';
    walkTree(ks.heap.dv, Heap.deref(handle), (p) => {
      mark(p, `${what}: node`);
      lpCheck(ks.heap, p, errors, `${what}: node`);
    }, (t) => mark(t, `${what}: index node`));
  },
  outsideBytes(ks, e) {
    let b = 0;
    walk(ks, e, (p) => (b += ks.heap.usable(p) + 8), (t) => (b += ks.heap.usable(t) + 8));
    return b;
  },
  digest(ks, e, d) {
    const heap = ks.heap;
    walk(ks, e, (p) => {
      for (let at = lpFirst(heap, p); at !== 0; at = lpNext(heap, p, at)) d.mix(lpGet(heap, at));
    }, () => {});
  },
  serializedLength(ks, e) {
    // RDB_TYPE_LIST_QUICKLIST_2: node count, then per node its container and listpack blob
    // (approximated by our listpack's bytes: Redis's entry encoding differs slightly)
    let nodes = 0;
    let total = 0;
    walk(ks, e, (p) => {
      nodes++;
      const b = lpBytes(ks.heap, p) - LP_HDR + 7;
      total += 1 + rdbLenBytes(b) + b;
    }, () => {});
    return rdbLenBytes(nodes) + total;
  },
  toRdb: listToRdb,
  rdbStream: listRdbStream,
  fromRdb: listFromRdb,
  debugFields(ks, e) {
    const { nodes, bytes } = listStats(ks, e);
    const len = listLength(ks, e);
    return ` ql_nodes:${nodes} ql_avg_node:${(len / nodes).toFixed(2)} ql_listpack_max:${fillOf(ks)} ql_compressed:0 ql_uncompressed_size:${bytes}`;
  },
};

registerValueType(listType);
