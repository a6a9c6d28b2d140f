import { Heap } from '../heap/heap.js';

/**
 * A hash table in the heap that grows without pauses (extendible hashing, like
 * Dragonfly's dashtable): a directory of 2^depth segment refs indexed by the TOP bits of
 * a 32-bit hash; each segment is a small open-addressing table (linear probing on the
 * LOW bits) that splits in two when it fills, touching only itself, its new sibling and
 * the directory. It stores (hash, ref) pairs; what a ref points to (and so what "equal
 * keys" means) is the caller's business, passed in as `eq`.
 *
 * Because a segment holds exactly the hashes of one prefix, iterating by hash order is
 * natural: SCAN's cursor is the next hash value to visit, and a key present for the
 * whole scan is returned however segments split or the directory doubles in between.
 *
 * Layout (all little-endian, written down once):
 *   table (TABLE_SIZE bytes): u32 depth, u32 dirRef, f64 count, u32 segments, u32 version
 *   directory: u32 segment ref × 2^depth
 *   segment (SEG_BYTES): u32 localDepth, u32 count, u32 DRAINED when drained (see drain), 4 bytes
 *   reserved, then SLOTS × {u32 hash, u32 ref}
 */
export const TABLE_SIZE = 24;
/**
 * Slots per segment: not a power of two on purpose. Every segment of a table fills at
 * the same pace (the hashes are uniform), so they all split near the same count of keys:
 * with 2^k slots that count sits just under a power of two (at 1M keys every segment of
 * 256 slots had split once more, leaving the table 48% full: 16.8 bytes of slots per
 * key). 384 slots (3 × 128) split at 326 keys, which puts those moments elsewhere (1M
 * keys: 4096 segments, 64% full, 12.6 B per key).
 */
export const SLOTS = 384;
const SEG_HDR = 16;
export const SEG_BYTES = SEG_HDR + SLOTS * 8;
/** Split when a segment holds this many entries (85%: probes stay short with linear probing). */
const SPLIT_AT = Math.floor(SLOTS * 0.85);

/**
 * A hash's home slot in its segment. The directory takes the hash's top bits, so the
 * slot comes from a multiplicative mix of the whole hash (the top bits, equal in one
 * segment, only shift it) scaled to SLOTS, instead of a mask of the low bits.
 */
function home(hash: number): number {
  return ((Math.imul(hash, 0x9e3779b1) >>> 16) * SLOTS) >>> 16;
}

/** The slot after i, wrapping. */
function next(i: number): number {
  return i === SLOTS - 1 ? 0 : i + 1;
}

const T_DEPTH = 0;
const T_DIR = 4;
const T_COUNT = 8;
const T_SEGS = 16;
const T_VERSION = 20;
/** A drained segment's mark (its slots are stale, its count 0). */
const DRAINED = 0x44524e44;
/** 2: 384 slots per segment, homes from home() (1 had 256, homes from the low bits). */
const DASH_VERSION = 2;

/**
 * The layout's offsets, for readers that walk a table through a HeapView (an incremental
 * DUMP reading the heap as it was: src/structs/dash_view.ts) instead of this class.
 */
export const DASH_LAYOUT = { T_DEPTH, T_DIR, T_COUNT, SEG_HDR } as const;

export type EqFn = (ref: number) => boolean;

/**
 * Where drain() stopped in each table being emptied a slice at a time (table offset →
 * directory index of the next segment to drain), for this process. Every segment before it
 * is drained, so the next slice starts there. A hint only: lost, stale (the table freed by
 * another process and its offset reused) or dropped when too many, it costs one walk of
 * the directory.
 */
const drainHints = new Map<number, number>();
const DRAIN_HINTS_MAX = 1024;

/** scan()'s scratch: one segment's (hash, slot) keys (scan calls nothing that could scan again). */
const SCAN_KEYS = new Float64Array(SLOTS);

/** Directory entries drain() has visited in this process (what its test counts). */
export const drainWalk = { entries: 0 };

function dirIndex(hash: number, depth: number): number {
  return depth === 0 ? 0 : hash >>> (32 - depth);
}

export class Dash {
  private readonly dv: DataView;
  private readonly u32: Uint32Array;
  /** Words at offsets below this are read through u32 (the first 4 GiB), above it through dv. */
  private readonly wordLimit: number;
  constructor(
    private readonly heap: Heap,
    /** Payload offset of the table header. */
    readonly table: number,
    /**
     * The table (every chunk of it) was made in the running operation and nothing older
     * points into it yet: its writes skip the undo log, since a rollback frees its chunks
     * and needs none of their bytes back. A bulk build (a value loaded by RESTORE) of a
     * million entries then logs nothing instead of tens of megabytes of segments.
     */
    private readonly fresh = false,
  ) {
    this.dv = heap.dv;
    this.u32 = heap.mem.u32;
    this.wordLimit = this.u32.length * 4;
  }

  /**
   * The u32 at a 4-aligned offset (every field and slot of a table is), through a
   * Uint32Array: its elements are read inline by the compiled code, where DataView's
   * getUint32/setUint32 stayed calls into V8 builtins in these probe loops (perf showed
   * Builtins_DataViewPrototypeGetUint32 and SetUint32 at 1.7% of the server under
   * insert-heavy `redis-benchmark -P 16`). Offsets past the typed array (the mapping's
   * bytes above 4 GiB) go through the DataView.
   */
  private rd(off: number): number {
    return off < this.wordLimit ? this.u32[off >>> 2]! : this.dv.getUint32(off, true);
  }

  private wr(off: number, v: number): void {
    if (off < this.wordLimit) this.u32[off >>> 2] = v;
    else this.dv.setUint32(off, v, true);
  }

  /**
   * A segment's slots as words: slot i's hash at [slotBase + 2i], its ref at [slotBase + 2i + 1].
   * The probe loops index them straight (each rd() inlined costs the caller's compile budget
   * for inlining: in the library's read path, that left rd() a call). A segment past 4 GiB
   * gets a view of its own.
   */
  private slotWords(seg: number): Uint32Array {
    return seg + SEG_BYTES <= this.wordLimit ? this.u32 : new Uint32Array(this.dv.buffer, seg, SEG_BYTES >>> 2);
  }

  private slotBase(seg: number): number {
    return seg + SEG_BYTES <= this.wordLimit ? (seg + SEG_HDR) >>> 2 : SEG_HDR >>> 2;
  }

  private log(off: number, len: number): void {
    if (!this.fresh) this.heap.log(off, len);
  }

  /** Allocate an empty table (inside an operation); returns its payload offset. */
  static create(heap: Heap): number {
    const t = heap.alloc(TABLE_SIZE);
    const dir = heap.alloc(4);
    const seg = Dash.newSegment(heap, 0);
    const dv = heap.dv;
    dv.setUint32(t + T_DEPTH, 0, true);
    dv.setUint32(t + T_DIR, Heap.ref(dir), true);
    dv.setFloat64(t + T_COUNT, 0, true);
    dv.setUint32(t + T_SEGS, 1, true);
    dv.setUint32(t + T_VERSION, DASH_VERSION, true);
    dv.setUint32(dir, Heap.ref(seg), true);
    return t;
  }

  private static newSegment(heap: Heap, localDepth: number): number {
    const s = heap.alloc(SEG_BYTES);
    heap.mem.fill(s, SEG_BYTES, 0);
    heap.dv.setUint32(s, localDepth, true);
    return s;
  }

  /** Free every segment, the directory and the table (not what the refs point to). */
  destroy(): void {
    const heap = this.heap;
    const size = 2 ** this.depth();
    const dir = this.dir();
    drainHints.delete(this.table);
    let prev = -1;
    for (let i = 0; i < size; i++) {
      const s = this.rd(dir + i * 4);
      // A segment spans a run of directory entries: free it once.
      if (s !== prev) heap.free(Heap.deref(s));
      prev = s;
    }
    heap.free(dir);
    heap.free(this.table);
  }

  count(): number {
    return this.dv.getFloat64(this.table + T_COUNT, true);
  }

  depth(): number {
    return this.rd(this.table + T_DEPTH);
  }

  private dir(): number {
    return Heap.deref(this.rd(this.table + T_DIR));
  }

  segmentFor(hash: number): number {
    return Heap.deref(this.rd(this.dir() + dirIndex(hash, this.depth()) * 4));
  }

  /** The ref stored for an entry equal to the probe, or 0. */
  find(hash: number, eq: EqFn): number {
    const seg = this.segmentFor(hash);
    const w = this.slotWords(seg);
    const base = this.slotBase(seg);
    let i = home(hash);
    for (let n = 0; n < SLOTS; n++) {
      const ref = w[base + i * 2 + 1]!;
      if (ref === 0) return 0;
      if (w[base + i * 2] === hash && eq(ref)) return ref;
      i = next(i);
    }
    return 0;
  }

  /**
   * find() for a reader without the lock (src/keyspace/peek.ts): the table may be changing
   * under it, so every offset it follows is checked to lie in [floor, limit) before it is
   * read (the arena: not the heap's header or the sparse undo region), and
   * `eq` answers 1 (equal), 0 (not) or -1 (what it read makes no sense). Returns the ref,
   * 0 when absent, -1 when a read was out of bounds: the caller's version check would have
   * thrown the answer away, so it need not be right, only safe.
   */
  peek(hash: number, eq: (ref: number) => number, floor: number, limit: number): number {
    // (straight reads of u32: a table above its end, past 4 GiB, declines: the lock answers)
    const u32 = this.u32;
    if (limit > this.wordLimit) limit = this.wordLimit;
    const t = this.table;
    if (t < floor || t + TABLE_SIZE > limit) return -1;
    const depth = u32[(t + T_DEPTH) >>> 2]!;
    if (depth > 32) return -1;
    const dir = Heap.deref(u32[(t + T_DIR) >>> 2]!);
    const di = dir + dirIndex(hash, depth) * 4;
    if (dir < floor || di + 4 > limit) return -1;
    const seg = Heap.deref(u32[di >>> 2]!);
    if (seg < floor || seg + SEG_BYTES > limit) return -1;
    const base = (seg + SEG_HDR) >>> 2;
    let i = home(hash);
    for (let n = 0; n < SLOTS; n++) {
      const ref = u32[base + i * 2 + 1]!;
      if (ref === 0) return 0;
      if (u32[base + i * 2] === hash) {
        const r = eq(ref);
        if (r !== 0) return r > 0 ? ref : -1;
      }
      i = next(i);
    }
    return 0;
  }

  /** Whether the table holds `ref` under `hash` (a chunk that is still this entry). */
  holds(hash: number, ref: number): boolean {
    const seg = this.segmentFor(hash);
    let i = home(hash);
    for (let n = 0; n < SLOTS; n++) {
      const at = seg + SEG_HDR + i * 8;
      const r = this.rd(at + 4);
      if (r === 0) return false;
      if (r === ref && this.rd(at) === hash) return true;
      i = next(i);
    }
    return false;
  }

  /** Insert a pair whose key is known to be absent. */
  insert(hash: number, ref: number): void {
    for (;;) {
      const seg = this.segmentFor(hash);
      if (this.rd(seg + 4) < SPLIT_AT) {
        this.put(seg, hash, ref);
        this.setCount(this.count() + 1);
        return;
      }
      this.split(seg, hash);
    }
  }

  private put(seg: number, hash: number, ref: number): void {
    const w = this.slotWords(seg);
    const base = this.slotBase(seg);
    let i = home(hash);
    while (w[base + i * 2 + 1] !== 0) i = next(i);
    const at = seg + SEG_HDR + i * 8;
    this.log(at, 8);
    this.wr(at, hash);
    this.wr(at + 4, ref);
    this.log(seg + 4, 4);
    this.wr(seg + 4, this.rd(seg + 4) + 1);
  }

  private setCount(n: number): void {
    this.log(this.table + T_COUNT, 8);
    this.dv.setFloat64(this.table + T_COUNT, n, true);
  }

  /** Replace the ref of the entry that holds `oldRef` (an object moved). */
  replace(hash: number, oldRef: number, newRef: number): boolean {
    const seg = this.segmentFor(hash);
    let i = home(hash);
    for (let n = 0; n < SLOTS; n++) {
      const at = seg + SEG_HDR + i * 8;
      const ref = this.rd(at + 4);
      if (ref === 0) return false;
      if (ref === oldRef) {
        this.log(at + 4, 4);
        this.wr(at + 4, newRef);
        return true;
      }
      i = next(i);
    }
    return false;
  }

  /** Remove the entry holding `ref` (found by hash); returns whether it was there. */
  remove(hash: number, ref: number): boolean {
    const seg = this.segmentFor(hash);
    let i = home(hash);
    let n = 0;
    for (; n < SLOTS; n++) {
      const r = this.rd(seg + SEG_HDR + i * 8 + 4);
      if (r === 0) return false;
      if (r === ref) break;
      i = next(i);
    }
    if (n === SLOTS) return false;
    // Backward-shift deletion keeps every probe chain unbroken without tombstones.
    let hole = i;
    let j = next(i);
    for (;;) {
      const at = seg + SEG_HDR + j * 8;
      const r = this.rd(at + 4);
      if (r === 0) break;
      const hm = home(this.rd(at));
      // Move j into the hole unless its home lies cyclically in (hole, j].
      const inRange = hole <= j ? hm > hole && hm <= j : hm > hole || hm <= j;
      if (!inRange) {
        const h = seg + SEG_HDR + hole * 8;
        this.log(h, 8);
        this.wr(h, this.rd(at));
        this.wr(h + 4, r);
        hole = j;
      }
      j = next(j);
    }
    const h = seg + SEG_HDR + hole * 8;
    this.log(h, 8);
    this.wr(h, 0);
    this.wr(h + 4, 0);
    this.log(seg + 4, 4);
    this.wr(seg + 4, this.rd(seg + 4) - 1);
    this.setCount(this.count() - 1);
    return true;
  }

  private split(seg: number, hash: number): void {
    const heap = this.heap;
    const local = this.rd(seg);
    if (local >= 32) throw new Error('dash: segment cannot split (too many equal hashes)');
    let depth = this.depth();
    if (local === depth) {
      this.doubleDirectory();
      depth++;
    }
    const sib = Dash.newSegment(heap, local + 1);
    this.log(seg, SEG_BYTES);
    this.wr(seg, local + 1);
    const bit = 1 << (31 - local);
    // Re-place everything: entries with the new bit set go to the sibling.
    const keep: number[] = [];
    for (let i = 0; i < SLOTS; i++) {
      const at = seg + SEG_HDR + i * 8;
      const r = this.rd(at + 4);
      if (r === 0) continue;
      const h = this.rd(at);
      if (h & bit) this.put(sib, h, r);
      else keep.push(h, r);
    }
    heap.mem.fill(seg + SEG_HDR, SLOTS * 8, 0);
    this.wr(seg + 4, 0);
    for (let k = 0; k < keep.length; k += 2) this.put(seg, keep[k]!, keep[k + 1]!);
    // Directory entries of this segment's prefix whose new bit is 1 now point to sib.
    const dir = this.dir();
    const span = 2 ** (depth - local);
    const first = dirIndex(hash, depth) & ~(span - 1);
    const sibRef = Heap.ref(sib);
    for (let i = first + span / 2; i < first + span; i++) {
      this.log(dir + i * 4, 4);
      this.wr(dir + i * 4, sibRef);
    }
    this.log(this.table + T_SEGS, 4);
    this.wr(this.table + T_SEGS, this.rd(this.table + T_SEGS) + 1);
  }

  private doubleDirectory(): void {
    const heap = this.heap;
    const depth = this.depth();
    const old = this.dir();
    const n = 2 ** depth;
    const dir = heap.alloc(n * 8);
    for (let i = 0; i < n; i++) {
      const s = this.rd(old + i * 4);
      this.wr(dir + i * 8, s);
      this.wr(dir + i * 8 + 4, s);
    }
    heap.free(old);
    this.log(this.table, 8);
    this.wr(this.table + T_DEPTH, depth + 1);
    this.wr(this.table + T_DIR, Heap.ref(dir));
  }

  /**
   * Refs with hash >= cursor, in hash order, about `count` of them (all refs of equal
   * hash together); returns the next cursor (0 when the whole range was visited).
   */
  scan(cursor: number, count: number, out: number[], outHashes?: number[]): number {
    let c = cursor >>> 0;
    const keys = SCAN_KEYS;
    for (;;) {
      const seg = this.segmentFor(c);
      const local = this.rd(seg);
      const segEnd = local === 0 ? 2 ** 32 : ((dirIndex(c, local) + 1) * 2 ** (32 - local));
      // the segment's entries at or past the cursor as hash * 512 + slot: sorted as plain
      // numbers (a typed array's sort, no comparator), they come in hash order, equal
      // hashes in slot order (a comparator sort of the pairs was a sixth of a SAVE)
      let m = 0;
      for (let i = 0; i < SLOTS; i++) {
        const at = seg + SEG_HDR + i * 8;
        if (this.rd(at + 4) === 0) continue;
        const h = this.rd(at);
        if (h >= c) keys[m++] = h * 512 + i;
      }
      const sorted = keys.subarray(0, m).sort();
      let prev = -1;
      for (let k = 0; k < m; k++) {
        const key = sorted[k]!;
        const h = Math.floor(key / 512);
        if (out.length >= count && h !== prev) return h;
        out.push(this.rd(seg + SEG_HDR + (key - h * 512) * 8 + 4));
        outHashes?.push(h);
        prev = h;
      }
      if (segEnd >= 2 ** 32) return 0;
      c = segEnd;
      if (out.length >= count) return c;
    }
  }

  /** Call fn for every ref (fn must not change the table). */
  forEach(fn: (ref: number, hash: number) => void): void {
    const size = 2 ** this.depth();
    const dir = this.dir();
    let prev = -1;
    for (let i = 0; i < size; i++) {
      const s = this.rd(dir + i * 4);
      if (s === prev) continue;
      prev = s;
      const seg = Heap.deref(s);
      // (a drained segment keeps stale slots: its count says it is empty)
      if (this.rd(seg + 4) === 0) continue;
      for (let k = 0; k < SLOTS; k++) {
        const r = this.rd(seg + SEG_HDR + k * 8 + 4);
        if (r !== 0) fn(r, this.rd(seg + SEG_HDR + k * 8));
      }
    }
  }

  /** Like forEach, stopping as soon as fn returns false. */
  forEachUntil(fn: (ref: number, hash: number) => boolean): void {
    const size = 2 ** this.depth();
    const dir = this.dir();
    let prev = -1;
    for (let i = 0; i < size; i++) {
      const s = this.rd(dir + i * 4);
      if (s === prev) continue;
      prev = s;
      const seg = Heap.deref(s);
      // Empty segments are skipped by their count: lazy freeing (freeSome, the flushed
      // tables' graveyard) calls this again and again from the start as it empties the
      // table, and scanning every emptied slot made freeing n entries O(n²) (10 s for
      // a FLUSHALL of 1M keys)
      if (this.rd(seg + 4) === 0) continue;
      for (let k = 0; k < SLOTS; k++) {
        const r = this.rd(seg + SEG_HDR + k * 8 + 4);
        if (r !== 0 && !fn(r, this.rd(seg + SEG_HDR + k * 8))) return;
      }
    }
  }

  /**
   * Emptying a table that is being thrown away (a flushed database's, a dropped
   * collection's), a whole segment at a time: hand fn the refs of segments, at most
   * `budget` of them (at least one segment), inside an operation, and mark each of those segments empty by
   * its count alone — one logged word per segment, where removing entry by entry logged
   * every slot and shift. A drained segment's slots keep stale refs: only count-aware
   * walks (forEach, forEachUntil, drain, destroy) may read such a table, never find or
   * insert. Returns how many refs were handed; the table's count is 0 once all were.
   */
  drain(budget: number, fn: (ref: number) => void): number {
    const size = 2 ** this.depth();
    const dir = this.dir();
    // Start where the last slice stopped: walking the drained segments from the start again
    // on every slice made emptying a table O(n²/budget) (a FLUSHALL of 4M keys took 18 s).
    // The hint is only a start: the walk wraps round, so a stale one costs a longer walk.
    let start = drainHints.get(this.table) ?? 0;
    if (start >= size) start = 0;
    let n = 0;
    let prev = -1;
    let stop = -1;
    for (let k = 0; k < size; k++) {
      const i = (start + k) & (size - 1);
      const s = this.rd(dir + i * 4);
      if (s === prev) continue;
      prev = s;
      const seg = Heap.deref(s);
      const c = this.rd(seg + 4);
      if (c === 0) continue;
      // (whole segments, not past the budget unless the first is bigger than it)
      if (n > 0 && n + c > budget) {
        stop = i;
        break;
      }
      for (let j = 0; j < SLOTS; j++) {
        const r = this.rd(seg + SEG_HDR + j * 8 + 4);
        if (r !== 0) fn(r);
      }
      this.log(seg + 4, 8);
      this.wr(seg + 4, 0);
      this.wr(seg + 8, DRAINED);
      n += c;
    }
    drainWalk.entries += stop < 0 ? size : (stop - start + size) % size + 1;
    if (stop < 0) drainHints.delete(this.table);
    else {
      if (drainHints.size >= DRAIN_HINTS_MAX) drainHints.clear();
      drainHints.set(this.table, stop);
    }
    if (n > 0) this.setCount(this.count() - n);
    return n;
  }

  /**
   * Lazy freeing of a table whose refs each own one chunk (a collection's large form,
   * dropped by its key): free the chunks of about `budget` entries (drain), and the table
   * itself once empty (inside an operation). True when the table is gone.
   */
  freeSome(budget: number): boolean {
    const heap = this.heap;
    this.drain(budget, (r) => heap.free(Heap.deref(r)));
    if (this.count() > 0) return false;
    this.destroy();
    return true;
  }

  /** The checker's view of freeSome's table: the table, its own chunks, and each ref's chunk. */
  markOwned(mark: (p: number, what: string) => void, what: string): void {
    mark(this.table, `${what} table`);
    this.forEachChunk((p) => mark(p, `${what} table chunk`));
    this.forEach((r) => mark(Heap.deref(r), `${what} element`));
  }

  /** Payload offsets of the table's own chunks (directory and segments), for checkers. */
  forEachChunk(fn: (p: number) => void): void {
    const dir = this.dir();
    fn(dir);
    let prev = -1;
    const size = 2 ** this.depth();
    for (let i = 0; i < size; i++) {
      const s = this.rd(dir + i * 4);
      if (s !== prev) fn(Heap.deref(s));
      prev = s;
    }
  }

  /** A uniformly chosen segment's random entry (0 when empty); `rand` in [0,1). */
  randomRef(rand: () => number): number {
    if (this.count() === 0) return 0;
    for (let tries = 0; tries < 64; tries++) {
      const seg = this.segmentFor((rand() * 2 ** 32) >>> 0);
      if (this.rd(seg + 4) === 0) continue;
      // Random slots until one is used: uniform over the segment's entries (taking the
      // next used slot after a random one would favour entries that follow empty runs,
      // and eviction sampling depends on this). Segments are 42-85% full: a few tries.
      for (let t = 0; t < 16; t++) {
        const r = this.rd(seg + SEG_HDR + ((rand() * SLOTS) | 0) * 8 + 4);
        if (r !== 0) return r;
      }
      let i = (rand() * SLOTS) | 0;
      for (;;) {
        const r = this.rd(seg + SEG_HDR + i * 8 + 4);
        if (r !== 0) return r;
        i = next(i);
      }
    }
    const all: number[] = [];
    this.forEach((r) => all.push(r));
    return all[(rand() * all.length) | 0] ?? 0;
  }

  /**
   * An entry chosen uniformly (0 when empty): every entry equally likely whatever the
   * segments' depths and fill, unlike randomRef (SRANDMEMBER, SPOP: Redis's suite checks
   * the distribution). Rejection sampling: a segment reached through a random directory
   * slot is kept with probability 2^(local - depth), then a random slot of it must be used.
   * Small tables pick the k-th entry of a walk instead.
   */
  fairRandomRef(rand: () => number): number {
    const n = this.count();
    if (n === 0) return 0;
    if (n > 32) {
      const depth = this.depth();
      for (let tries = 0; tries < 100000; tries++) {
        const seg = this.segmentFor((rand() * 2 ** 32) >>> 0);
        const local = this.rd(seg);
        if (local < depth && rand() >= 2 ** (local - depth)) continue;
        const r = this.rd(seg + SEG_HDR + ((rand() * SLOTS) | 0) * 8 + 4);
        if (r !== 0) return r;
      }
    }
    let k = Math.floor(rand() * n);
    let found = 0;
    this.forEachUntil((r) => {
      if (k-- > 0) return true;
      found = r;
      return false;
    });
    return found;
  }

  /** Structure check: depths, directory spans, counts, every entry in its segment's range and findable. */
  check(errors: string[], refOk?: (ref: number) => boolean): number {
    const depth = this.depth();
    const dir = this.dir();
    let total = 0;
    let segs = 0;
    const size = 2 ** depth;
    for (let i = 0; i < size; ) {
      const s = this.rd(dir + i * 4);
      const seg = Heap.deref(s);
      const local = this.rd(seg);
      if (local > depth) {
        errors.push(`dash ${this.table}: segment ${seg} local depth ${local} > depth ${depth}`);
        return total;
      }
      const span = 2 ** (depth - local);
      if (i % span !== 0) errors.push(`dash ${this.table}: segment ${seg} starts at directory ${i}, not aligned to its span ${span}`);
      for (let k = i; k < i + span && k < size; k++) {
        if (this.rd(dir + k * 4) !== s) errors.push(`dash ${this.table}: directory ${k} should point to segment ${seg}`);
      }
      let n = 0;
      // (a drained segment's stale slots are nobody's: the table is being thrown away)
      const drained = this.rd(seg + 8) === DRAINED && this.rd(seg + 4) === 0;
      for (let k = 0; k < SLOTS && !drained; k++) {
        const r = this.rd(seg + SEG_HDR + k * 8 + 4);
        if (r === 0) continue;
        n++;
        const h = this.rd(seg + SEG_HDR + k * 8);
        if (dirIndex(h, depth) >>> (depth - local) !== i >>> (depth - local)) errors.push(`dash ${this.table}: hash ${h} in the wrong segment`);
        // Findable: the probe from its home reaches it before an empty slot.
        let p = home(h);
        while (p !== k) {
          if (this.rd(seg + SEG_HDR + p * 8 + 4) === 0) {
            errors.push(`dash ${this.table}: entry at slot ${k} unreachable from its home ${home(h)}`);
            break;
          }
          p = next(p);
        }
        if (refOk && !refOk(r)) errors.push(`dash ${this.table}: ref ${r} does not point to a live object`);
      }
      if (this.rd(seg + 4) !== n) errors.push(`dash ${this.table}: segment ${seg} count ${this.rd(seg + 4)}, holds ${n}`);
      total += n;
      segs++;
      i += span;
    }
    if (this.count() !== total) errors.push(`dash ${this.table}: count ${this.count()}, holds ${total}`);
    if (this.rd(this.table + T_SEGS) !== segs) errors.push(`dash ${this.table}: segments ${this.rd(this.table + T_SEGS)}, holds ${segs}`);
    return total;
  }
}
