/**
 * An order-statistic tree of multi-item nodes in the heap (a B+-tree whose inner nodes
 * know how many items each subtree holds): the ordered half of a large sorted set. Items
 * are (score, member ref) pairs ordered by score, then by the member's bytes (memcmp, a
 * shorter prefix first): Redis's skiplist order. Rank, the K-th item and the number of
 * items before a bound are O(log n) from the subtree counts; a range of k items costs one
 * descent per leaf it touches. Every change is undo-logged through the heap, so the tree
 * is exactly as crash-safe as the operation it runs in; splits, merges and redistributions
 * of nodes happen inside that operation too.
 *
 * Layout, written down once (little-endian; offsets from a chunk's payload):
 *   tree header (owned by the caller, TREE_HDR bytes at `hdr`):
 *     0   u32  root node ref
 *     4   u32  height (1: the root is a leaf)
 *     8   u32  item count
 *   node (NODE_HDR bytes, then its slots):
 *     0   u8   kind: KIND_LEAF or KIND_INNER
 *     1   u8   reserved
 *     2   u16  slots in use
 *     4   u32  reserved
 *   leaf slot (ITEM = 12 bytes, LEAF_CAP of them):
 *     0   f64  score
 *     8   u32  member ref
 *   inner slot (ENTRY = 20 bytes, INNER_CAP of them): the child's first item, then the child
 *     0   f64  score of the subtree's first item
 *     8   u32  member ref of the subtree's first item (always a live member: it is in there)
 *     12  u32  child node ref
 *     16  u32  items in the child's subtree
 *   member chunk (what member refs point to; its owner frees it):
 *     0   f64  score (the owner's: a member → score table reads it)
 *     8   u32  member length
 *     12  member bytes
 *
 * Nodes are kept between a quarter full and full (the root excepted): a node that falls
 * below is merged with a neighbour when both fit in three quarters of a node, otherwise
 * the two share their slots evenly.
 */
import { Heap } from '../heap/heap.js';

export const TREE_HDR = 12;
const T_ROOT = 0;
const T_HEIGHT = 4;
const T_COUNT = 8;

export const KIND_LEAF = 1;
export const KIND_INNER = 2;
const N_KIND = 0;
const N_USED = 2;
export const NODE_HDR = 8;
export const ITEM = 12;
export const ENTRY = 20;
export const LEAF_CAP = 32;
export const INNER_CAP = 64;
const E_CHILD = 12;
const E_COUNT = 16;

/** Offsets of the header and node fields, for readers that walk a tree another way (src/structs/ostree_view.ts). */
export const OSTREE_LAYOUT = { T_ROOT, T_HEIGHT, T_COUNT, N_KIND, N_USED, E_CHILD } as const;

export const MEMBER_SCORE = 0;
export const MEMBER_LEN = 8;
export const MEMBER_DATA = 12;

/**
 * The path of the last descent (inserts and removals do not nest): the nodes from the root
 * to the leaf, and the slot taken in each inner node. Nodes other than the root are at least
 * a quarter full (8 items, 16 children), so 2^32 items make at most 9 levels: 64 is never reached.
 */
const PATH_NODES = new Float64Array(64);
const PATH_IDX = new Int32Array(64);
let PATH_DEPTH = 0;

/** Scratch for the item an insert writes (inserts do not nest). */
const ITEM_BUF = new Uint8Array(ITEM);
const ITEM_DV = new DataView(ITEM_BUF.buffer);

/** True for the items before a bound (they must form a prefix of the order). */
export type Before = (score: number, ref: number) => boolean;

export class OSTree {
  private readonly dv: DataView;
  constructor(
    private readonly heap: Heap,
    /** Payload offset of the tree header. */
    readonly hdr: number,
  ) {
    this.dv = heap.dv;
  }

  /** Lay out an empty tree at `hdr` (a chunk allocated in this operation). */
  static init(heap: Heap, hdr: number): void {
    const leaf = OSTree.newNode(heap, KIND_LEAF);
    heap.dv.setUint32(hdr + T_ROOT, Heap.ref(leaf), true);
    heap.dv.setUint32(hdr + T_HEIGHT, 1, true);
    heap.dv.setUint32(hdr + T_COUNT, 0, true);
  }

  /**
   * Lay out a tree at `hdr` holding the items (scores[i], refs[i]), already in order, in
   * fresh nodes filled to three quarters (a *STORE result, a conversion, a copy): O(n), no
   * comparisons, nothing to log.
   */
  static build(heap: Heap, hdr: number, scores: readonly number[], refs: readonly number[]): void {
    const n = refs.length;
    if (n === 0) {
      OSTree.init(heap, hdr);
      return;
    }
    const dv = heap.dv;
    // one level: [node, items below, first score, first ref]
    let level: [number, number, number, number][] = [];
    const leafFill = (LEAF_CAP * 3) >>> 2;
    const leaves = Math.ceil(n / leafFill);
    for (let l = 0, i = 0; l < leaves; l++) {
      const take = Math.floor((n - i) / (leaves - l));
      const leaf = OSTree.newNode(heap, KIND_LEAF);
      for (let k = 0; k < take; k++) {
        const at = leaf + NODE_HDR + k * ITEM;
        dv.setFloat64(at, scores[i + k]!, true);
        dv.setUint32(at + 8, refs[i + k]!, true);
      }
      dv.setUint16(leaf + N_USED, take, true);
      level.push([leaf, take, scores[i]!, refs[i]!]);
      i += take;
    }
    let height = 1;
    const innerFill = (INNER_CAP * 3) >>> 2;
    while (level.length > 1) {
      const k = level.length;
      const parents = Math.ceil(k / innerFill);
      const up: [number, number, number, number][] = [];
      for (let p = 0, i = 0; p < parents; p++) {
        const take = Math.floor((k - i) / (parents - p));
        const node = OSTree.newNode(heap, KIND_INNER);
        let count = 0;
        for (let c = 0; c < take; c++) {
          const [child, cnt, s0, r0] = level[i + c]!;
          const at = node + NODE_HDR + c * ENTRY;
          dv.setFloat64(at, s0, true);
          dv.setUint32(at + 8, r0, true);
          dv.setUint32(at + E_CHILD, Heap.ref(child), true);
          dv.setUint32(at + E_COUNT, cnt, true);
          count += cnt;
        }
        dv.setUint16(node + N_USED, take, true);
        up.push([node, count, level[i]![2], level[i]![3]]);
        i += take;
      }
      level = up;
      height++;
    }
    dv.setUint32(hdr + T_ROOT, Heap.ref(level[0]![0]), true);
    dv.setUint32(hdr + T_HEIGHT, height, true);
    dv.setUint32(hdr + T_COUNT, n, true);
  }

  /**
   * Replace the tree's nodes by fresh ones holding the given items (in order): what a
   * removal of many items does instead of removing them one by one (a quarter of a big
   * tree, say), so that its cost and undo log stay O(n) small writes.
   */
  rebuild(scores: readonly number[], refs: readonly number[]): void {
    this.destroy();
    this.heap.log(this.hdr, TREE_HDR);
    OSTree.build(this.heap, this.hdr, scores, refs);
  }

  private static newNode(heap: Heap, kind: number): number {
    const p = heap.alloc(NODE_HDR + (kind === KIND_LEAF ? LEAF_CAP * ITEM : INNER_CAP * ENTRY));
    heap.dv.setUint32(p, kind, true);
    heap.dv.setUint32(p + 4, 0, true);
    return p;
  }

  // ---------------------------------------------------------------- member chunks

  /** A new member chunk (inside an operation). */
  static newMember(heap: Heap, m: Uint8Array, score: number): number {
    const p = heap.alloc(MEMBER_DATA + m.length);
    heap.dv.setFloat64(p + MEMBER_SCORE, score, true);
    heap.dv.setUint32(p + MEMBER_LEN, m.length, true);
    heap.mem.write(p + MEMBER_DATA, m);
    return p;
  }

  static memberBuf(heap: Heap, p: number): Buffer {
    const len = heap.dv.getUint32(p + MEMBER_LEN, true);
    const out = Buffer.allocUnsafe(len);
    heap.mem.read(p + MEMBER_DATA, len, out);
    return out;
  }

  /** memcmp order of the member of chunk p against buf. */
  static compareMember(heap: Heap, p: number, buf: Uint8Array): number {
    return heap.mem.compare(p + MEMBER_DATA, heap.dv.getUint32(p + MEMBER_LEN, true), buf, 0, buf.length);
  }

  // ---------------------------------------------------------------- header

  count(): number {
    return this.dv.getUint32(this.hdr + T_COUNT, true);
  }

  root(): number {
    return Heap.deref(this.dv.getUint32(this.hdr + T_ROOT, true));
  }

  height(): number {
    return this.dv.getUint32(this.hdr + T_HEIGHT, true);
  }

  private setHeader(root: number, height: number, count: number): void {
    this.heap.log(this.hdr, TREE_HDR);
    this.dv.setUint32(this.hdr + T_ROOT, Heap.ref(root), true);
    this.dv.setUint32(this.hdr + T_HEIGHT, height, true);
    this.dv.setUint32(this.hdr + T_COUNT, count, true);
  }

  // ---------------------------------------------------------------- node access

  private used(n: number): number {
    return this.dv.getUint16(n + N_USED, true);
  }

  private isLeaf(n: number): boolean {
    return this.dv.getUint8(n + N_KIND) === KIND_LEAF;
  }

  private slotSize(n: number): number {
    return this.isLeaf(n) ? ITEM : ENTRY;
  }

  private cap(n: number): number {
    return this.isLeaf(n) ? LEAF_CAP : INNER_CAP;
  }

  private child(n: number, i: number): number {
    return Heap.deref(this.dv.getUint32(n + NODE_HDR + i * ENTRY + E_CHILD, true));
  }

  private entryCount(n: number, i: number): number {
    return this.dv.getUint32(n + NODE_HDR + i * ENTRY + E_COUNT, true);
  }

  /** Items under node n. */
  private subtreeCount(n: number): number {
    const u = this.used(n);
    if (this.isLeaf(n)) return u;
    let c = 0;
    for (let i = 0; i < u; i++) c += this.entryCount(n, i);
    return c;
  }

  /** Score and ref of slot i (a leaf's item, or an inner entry's first item: same place). */
  private slotScore(n: number, i: number): number {
    return this.dv.getFloat64(n + NODE_HDR + i * this.slotSize(n), true);
  }

  private slotRef(n: number, i: number): number {
    return this.dv.getUint32(n + NODE_HDR + i * this.slotSize(n) + 8, true);
  }

  /** How many of node n's slots (by their first item) are before the bound: binary search. */
  private countBefore(n: number, before: Before): number {
    const s = this.slotSize(n);
    let lo = 0;
    let hi = this.used(n);
    const dv = this.dv;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      const at = n + NODE_HDR + mid * s;
      if (before(dv.getFloat64(at, true), dv.getUint32(at + 8, true))) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  // ---------------------------------------------------------------- reading

  /** Number of items before the bound (the rank of the first item not before it). O(log n). */
  rankWhere(before: Before): number {
    let n = this.root();
    let rank = 0;
    for (let h = this.height(); h > 1; h--) {
      const c = this.countBefore(n, before);
      if (c === 0) return rank;
      for (let i = 0; i < c - 1; i++) rank += this.entryCount(n, i);
      n = this.child(n, c - 1);
    }
    return rank + this.countBefore(n, before);
  }

  /**
   * The leaf holding the item of rank r (0 <= r < count) and the item's index in it; the
   * path there is left in PATH_NODES / PATH_IDX / PATH_DEPTH (removeRange's).
   */
  private leafAt(r: number): [number, number] {
    let n = this.root();
    let depth = 0;
    for (let h = this.height(); h > 1; h--) {
      const u = this.used(n);
      let i = 0;
      for (; i < u - 1; i++) {
        const c = this.entryCount(n, i);
        if (r < c) break;
        r -= c;
      }
      PATH_NODES[depth] = n;
      PATH_IDX[depth] = i;
      depth++;
      n = this.child(n, i);
    }
    PATH_DEPTH = depth;
    return [n, r];
  }

  /** Score and member ref of the item of rank r. */
  at(r: number): [number, number] {
    const [leaf, i] = this.leafAt(r);
    return [this.slotScore(leaf, i), this.slotRef(leaf, i)];
  }

  /**
   * Call fn for the items of rank from, from+1, … (or from, from-1, … when `back`) until it
   * returns false or the items end. fn must not change the tree.
   */
  forEachFrom(from: number, back: boolean, fn: (score: number, ref: number) => boolean | void): void {
    const total = this.count();
    const dv = this.dv;
    let r = from;
    while (r >= 0 && r < total) {
      const [leaf, i0] = this.leafAt(r);
      const u = this.used(leaf);
      if (!back) {
        for (let i = i0; i < u; i++, r++) {
          const at = leaf + NODE_HDR + i * ITEM;
          if (fn(dv.getFloat64(at, true), dv.getUint32(at + 8, true)) === false) return;
        }
      } else {
        for (let i = i0; i >= 0; i--, r--) {
          const at = leaf + NODE_HDR + i * ITEM;
          if (fn(dv.getFloat64(at, true), dv.getUint32(at + 8, true)) === false) return;
        }
      }
    }
  }

  /** Rank of the item (score, member of chunk ref), or -1 when it is not in the tree. */
  rankOf(score: number, ref: number): number {
    const p = Heap.deref(ref);
    const heap = this.heap;
    const r = this.rankWhere((s, q) => s < score || (s === score && q !== ref && OSTree.cmpChunks(heap, Heap.deref(q), p) < 0));
    if (r >= this.count()) return -1;
    return this.at(r)[1] === ref ? r : -1;
  }

  /** memcmp order of the members of chunks a and b (a byte loop: no view allocated per comparison). */
  static cmpChunks(heap: Heap, a: number, b: number): number {
    const dv = heap.dv;
    const la = dv.getUint32(a + MEMBER_LEN, true);
    const lb = dv.getUint32(b + MEMBER_LEN, true);
    const u8 = heap.mem.u8;
    const n = la < lb ? la : lb;
    const pa = a + MEMBER_DATA;
    const pb = b + MEMBER_DATA;
    if (pa + n > u8.length || pb + n > u8.length) return heap.mem.compare(pa, la, u8, pb, lb);
    for (let i = 0; i < n; i++) {
      const d = u8[pa + i]! - u8[pb + i]!;
      if (d !== 0) return d;
    }
    return la - lb;
  }

  // ---------------------------------------------------------------- writing

  /**
   * Whether the slot at `at` (its item, or an inner entry's first item) comes before the
   * item (score, member chunk p of ref): by score, then the member's bytes. `orEqual`: the
   * item itself counts as before (an inner node's child whose first item it is).
   */
  private slotBefore(at: number, score: number, ref: number, p: number, orEqual: boolean): boolean {
    const s = this.dv.getFloat64(at, true);
    if (s !== score) return s < score;
    const q = this.dv.getUint32(at + 8, true);
    if (q === ref) return orEqual;
    return OSTree.cmpChunks(this.heap, Heap.deref(q), p) < 0;
  }

  /**
   * The path from the root to the leaf where (score, ref) belongs, into PATH_NODES (every
   * node, the leaf last) and PATH_IDX (the slot taken in each inner node); returns the
   * index in the leaf. A binary search per node, comparisons inline: no closure or array
   * per call (a ZADD that moves a member descends twice).
   */
  private descend(score: number, ref: number): number {
    const p = Heap.deref(ref);
    let n = this.root();
    let d = 0;
    for (let h = this.height(); h > 1; h--) {
      // the last child whose first item is not after the item (it may be that first item)
      const c = this.slotsBefore(n, ENTRY, score, ref, p, true);
      const i = c === 0 ? 0 : c - 1;
      PATH_NODES[d] = n;
      PATH_IDX[d] = i;
      d++;
      n = this.child(n, i);
    }
    PATH_NODES[d] = n;
    PATH_DEPTH = d;
    return this.slotsBefore(n, ITEM, score, ref, p, false);
  }

  /** How many of node n's slots (of `size` bytes) come before the item: slotBefore, by binary search. */
  private slotsBefore(n: number, size: number, score: number, ref: number, p: number, orEqual: boolean): number {
    let lo = 0;
    let hi = this.used(n);
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.slotBefore(n + NODE_HDR + mid * size, score, ref, p, orEqual)) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  /** Insert the item (score, member chunk ref); the member must not be in the tree. */
  insert(score: number, ref: number): void {
    const pos = this.descend(score, ref);
    const depth = PATH_DEPTH;
    const leaf = PATH_NODES[depth]!;
    ITEM_DV.setFloat64(0, score, true);
    ITEM_DV.setUint32(8, ref, true);
    let sib = this.insertSlot(leaf, pos, ITEM_BUF);
    let child = leaf;
    for (let d = depth - 1; d >= 0; d--) {
      const parent = PATH_NODES[d]!;
      const i = PATH_IDX[d]!;
      // (a child that split gave items to its new sibling: counted)
      this.refreshEntry(parent, i, child, sib === 0 ? 1 : NaN);
      if (sib !== 0) sib = this.insertSlot(parent, i + 1, this.entryFor(sib));
      child = parent;
    }
    let root = this.root();
    let height = this.height();
    if (sib !== 0) {
      const nr = OSTree.newNode(this.heap, KIND_INNER);
      const a = this.entryFor(root);
      const b = this.entryFor(sib);
      this.heap.mem.write(nr + NODE_HDR, a);
      this.heap.mem.write(nr + NODE_HDR + ENTRY, b);
      this.dv.setUint16(nr + N_USED, 2, true);
      root = nr;
      height++;
    }
    this.setHeader(root, height, this.count() + 1);
  }

  /** An inner entry describing node n (its first item, ref, count). */
  private entryFor(n: number): Uint8Array {
    const e = new Uint8Array(ENTRY);
    const dv = new DataView(e.buffer);
    if (this.used(n) > 0) {
      dv.setFloat64(0, this.slotScore(n, 0), true);
      dv.setUint32(8, this.slotRef(n, 0), true);
    }
    dv.setUint32(E_CHILD, Heap.ref(n), true);
    dv.setUint32(E_COUNT, this.subtreeCount(n), true);
    return e;
  }

  /**
   * Rewrite parent's entry i from its child (first item, count) when they changed.
   * `delta`: the child's subtree gained or lost that many items (+1 an insert, -1 a
   * removal, -k a range of a leaf) since the entry was right, and gave none to a sibling; the count is then the entry's plus delta, where
   * summing an inner child's entries reads up to 64 of them, 20 cache lines (that sum was
   * most of an insert's time in a big tree). NaN (the default): count it.
   */
  private refreshEntry(parent: number, i: number, child: number, delta = NaN): void {
    const at = parent + NODE_HDR + i * ENTRY;
    const dv = this.dv;
    const count = delta === delta ? dv.getUint32(at + E_COUNT, true) + delta : this.subtreeCount(child);
    const hasFirst = this.used(child) > 0;
    const score = hasFirst ? this.slotScore(child, 0) : dv.getFloat64(at, true);
    const ref = hasFirst ? this.slotRef(child, 0) : dv.getUint32(at + 8, true);
    // (logged field by field, each under 16 bytes: whole lines, logged once per operation,
    // where a ZADD that moves a member refreshes the same entries twice)
    if (dv.getUint32(at + 8, true) !== ref || !Object.is(dv.getFloat64(at, true), score)) {
      this.heap.log(at, 12);
      dv.setFloat64(at, score, true);
      dv.setUint32(at + 8, ref, true);
    }
    if (dv.getUint32(at + E_COUNT, true) !== count) {
      this.heap.log(at + E_COUNT, 4);
      dv.setUint32(at + E_COUNT, count, true);
    }
  }

  /**
   * Put `slot` (an item or entry's bytes) at index pos of node n, splitting n when it is
   * full: returns the new right sibling, or 0.
   */
  private insertSlot(n: number, pos: number, slot: Uint8Array): number {
    const heap = this.heap;
    const s = slot.length;
    const u = this.used(n);
    const cap = this.cap(n);
    if (u < cap) {
      const at = n + NODE_HDR + pos * s;
      heap.log(n, NODE_HDR);
      heap.log(at, (u - pos + 1) * s);
      if (u > pos) heap.mem.copy(at + s, at, (u - pos) * s);
      heap.mem.write(at, slot);
      this.dv.setUint16(n + N_USED, u + 1, true);
      return 0;
    }
    // split: the upper half moves to a new node, then the slot goes where it belongs
    const sib = OSTree.newNode(heap, this.isLeaf(n) ? KIND_LEAF : KIND_INNER);
    const keep = u >>> 1;
    heap.mem.copy(sib + NODE_HDR, n + NODE_HDR + keep * s, (u - keep) * s);
    this.dv.setUint16(sib + N_USED, u - keep, true);
    heap.log(n, NODE_HDR);
    this.dv.setUint16(n + N_USED, keep, true);
    if (pos <= keep) this.insertSlot(n, pos, slot);
    else this.insertSlot(sib, pos - keep, slot);
    return sib;
  }

  /** Remove the item (score, member chunk ref); false when it is not there. */
  remove(score: number, ref: number): boolean {
    const pos = this.descend(score, ref);
    const depth = PATH_DEPTH;
    const leaf = PATH_NODES[depth]!;
    if (pos >= this.used(leaf) || this.slotRef(leaf, pos) !== ref) return false;
    this.removeFromLeaf(leaf, depth, pos, 1);
    return true;
  }

  /**
   * Remove the k items of ranks [lo, lo + k), calling fn with each of them, in order, before
   * it goes (its owner frees the member there): one descent by rank per leaf they fill, and
   * that leaf's slots shifted once, where at() then remove() of each item costs two descents
   * (the second comparing members) and a shift per item.
   */
  removeRange(lo: number, k: number, fn: (score: number, ref: number) => void): void {
    if (lo < 0 || k < 0 || lo + k > this.count()) throw new Error(`ostree: ranks [${lo}, ${lo + k}) outside [0, ${this.count()})`);
    let left = k;
    while (left > 0) {
      const [n, r] = this.leafAt(lo);
      const depth = PATH_DEPTH;
      const m = Math.min(left, this.used(n) - r);
      if (m <= 0) throw new Error(`ostree: rank ${lo} not in the leaf its counts lead to`);
      for (let j = r; j < r + m; j++) fn(this.slotScore(n, j), this.slotRef(n, j));
      this.removeFromLeaf(n, depth, r, m);
      left -= m;
    }
  }

  /**
   * Remove k slots at pos of leaf (the end of the last descent: PATH_NODES / PATH_IDX down to
   * `depth`), then fix the path: the entries' counts and first items, nodes fallen below a
   * quarter, the root once it has a single child, the item count.
   */
  private removeFromLeaf(leaf: number, depth: number, pos: number, k: number): void {
    this.removeSlots(leaf, pos, k);
    let child = leaf;
    // (rebalance descends nowhere: the path stays valid)
    for (let d = depth - 1; d >= 0; d--) {
      const parent = PATH_NODES[d]!;
      // (k items less under child whatever rebalance did below it: it only moves items
      // between children of one node)
      this.refreshEntry(parent, PATH_IDX[d]!, child, -k);
      if (this.used(child) < this.cap(child) >>> 2) this.rebalance(parent, PATH_IDX[d]!);
      child = parent;
    }
    let root = this.root();
    let height = this.height();
    while (height > 1 && this.used(root) === 1) {
      const only = this.child(root, 0);
      this.heap.free(root);
      root = only;
      height--;
    }
    this.setHeader(root, height, this.count() - k);
  }

  private removeSlots(n: number, pos: number, k: number): void {
    const s = this.slotSize(n);
    const u = this.used(n);
    const at = n + NODE_HDR + pos * s;
    this.heap.log(n, NODE_HDR);
    this.heap.log(at, (u - pos) * s);
    if (u > pos + k) this.heap.mem.copy(at, at + k * s, (u - pos - k) * s);
    this.dv.setUint16(n + N_USED, u - k, true);
  }

  /** Child i of parent fell below a quarter: merge it with a neighbour, or share slots with it. */
  private rebalance(parent: number, i: number): void {
    const pu = this.used(parent);
    if (pu < 2) return;
    const a = i + 1 < pu ? i : i - 1;
    const left = this.child(parent, a);
    const right = this.child(parent, a + 1);
    const s = this.slotSize(left);
    const lu = this.used(left);
    const ru = this.used(right);
    const heap = this.heap;
    const cap = this.cap(left);
    if (lu + ru <= (cap * 3) >>> 2) {
      heap.log(left, NODE_HDR);
      heap.log(left + NODE_HDR + lu * s, ru * s);
      heap.mem.copy(left + NODE_HDR + lu * s, right + NODE_HDR, ru * s);
      this.dv.setUint16(left + N_USED, lu + ru, true);
      heap.free(right);
      this.removeSlots(parent, a + 1, 1);
      this.refreshEntry(parent, a, left);
      return;
    }
    const target = (lu + ru) >>> 1;
    if (lu < target) {
      // move right's first (target - lu) slots to left's end
      const k = target - lu;
      heap.log(left, NODE_HDR);
      heap.log(left + NODE_HDR + lu * s, k * s);
      heap.mem.copy(left + NODE_HDR + lu * s, right + NODE_HDR, k * s);
      this.dv.setUint16(left + N_USED, target, true);
      this.removeSlots(right, 0, k);
    } else {
      // move left's last (lu - target) slots to right's front
      const k = lu - target;
      heap.log(right, NODE_HDR);
      heap.log(right + NODE_HDR, (ru + k) * s);
      heap.mem.copy(right + NODE_HDR + k * s, right + NODE_HDR, ru * s);
      heap.mem.copy(right + NODE_HDR, left + NODE_HDR + target * s, k * s);
      this.dv.setUint16(right + N_USED, ru + k, true);
      heap.log(left, NODE_HDR);
      this.dv.setUint16(left + N_USED, target, true);
    }
    this.refreshEntry(parent, a, left);
    this.refreshEntry(parent, a + 1, right);
  }

  // ---------------------------------------------------------------- whole tree

  /** Every node's payload offset (the checker, freeing). */
  forEachNode(fn: (p: number) => void): void {
    const walk = (n: number, h: number): void => {
      fn(n);
      if (h > 1) for (let i = 0; i < this.used(n); i++) walk(this.child(n, i), h - 1);
    };
    walk(this.root(), this.height());
  }

  /** Free every node (not the member chunks, not the header). */
  destroy(): void {
    const nodes: number[] = [];
    this.forEachNode((p) => nodes.push(p));
    for (const p of nodes) this.heap.free(p);
  }

  /**
   * Structure check: kinds by level, fill bounds, counts, first items, strict order of
   * every item. Returns the member refs in order.
   */
  check(errors: string[], what = 'ostree'): number[] {
    const refs: number[] = [];
    const heap = this.heap;
    let prevScore = -Infinity;
    let prevRef = 0;
    const walk = (n: number, h: number, isRoot: boolean): number => {
      const leaf = this.isLeaf(n);
      if (leaf !== (h === 1)) errors.push(`${what}: node ${n} at height ${h} has kind ${this.dv.getUint8(n + N_KIND)}`);
      const u = this.used(n);
      if (u > this.cap(n)) errors.push(`${what}: node ${n} holds ${u} slots`);
      if (!isRoot && u < this.cap(n) >>> 2) errors.push(`${what}: node ${n} holds only ${u} slots`);
      if (isRoot && h > 1 && u < 2) errors.push(`${what}: inner root ${n} holds ${u} slots`);
      if (leaf) {
        for (let i = 0; i < u; i++) {
          const s = this.slotScore(n, i);
          const r = this.slotRef(n, i);
          const p = Heap.deref(r);
          if (heap.dv.getFloat64(p + MEMBER_SCORE, true) !== s) errors.push(`${what}: item ${refs.length} score ${s}, its member says ${heap.dv.getFloat64(p + MEMBER_SCORE, true)}`);
          if (refs.length > 0 && !(prevScore < s || (prevScore === s && OSTree.cmpChunks(heap, Heap.deref(prevRef), p) < 0))) errors.push(`${what}: item ${refs.length} out of order`);
          prevScore = s;
          prevRef = r;
          refs.push(r);
        }
        return u;
      }
      let total = 0;
      for (let i = 0; i < u; i++) {
        const c = this.child(n, i);
        const first = refs.length;
        const got = walk(c, h - 1, false);
        if (got !== this.entryCount(n, i)) errors.push(`${what}: node ${n} entry ${i} counts ${this.entryCount(n, i)}, its subtree holds ${got}`);
        if (got > 0 && (refs[first] !== this.slotRef(n, i) || !Object.is(heap.dv.getFloat64(Heap.deref(refs[first]!) + MEMBER_SCORE, true), this.slotScore(n, i)))) errors.push(`${what}: node ${n} entry ${i} has a stale first item`);
        total += got;
      }
      return total;
    };
    const total = walk(this.root(), this.height(), true);
    if (total !== this.count()) errors.push(`${what}: header counts ${this.count()}, the tree holds ${total}`);
    return refs;
  }
}
