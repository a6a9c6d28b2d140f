import type { Backing } from './backing.js';
import { HeapFormatError, HeapFullError } from './errors.js';
import {
  BINMAP_WORDS,
  CHUNK_OVERHEAD,
  CHUNK_TAG,
  DEFAULT_UNDO_RESERVE,
  FOOTER_TAG,
  GRANULE,
  H,
  HEAP_HEADER_SIZE,
  HEAP_MAGIC,
  HEAP_VERSION,
  INUSE,
  MAX_ADDRESSABLE,
  MIN_CHUNK,
  NBINS,
  PAGE,
  PREV_INUSE,
  PUNCHED,
  AGED,
  ROOT_COUNT,
  SMALL_BIN_LIMIT,
  UNDO_INITIAL,
  binOf,
} from './layout.js';
import { Mem } from './mem.js';
import { CowEpochs, ROOT_COW } from './cow.js';
import { UndoLog } from './undo.js';

export interface HeapOptions {
  /** Bytes reserved (as a sparse hole) for the undo log: the most one operation may change. */
  undoReserve?: number;
  /** Arena bytes backed at format time. */
  initialArena?: number;
}

export interface HeapStats {
  arenaStart: number;
  arenaEnd: number;
  top: number;
  committed: number;
  reserved: number;
  usedBytes: number;
  peakUsed: number;
  liveChunks: number;
  freeBytes: number;
  freeChunks: number;
  topBytes: number;
  punchedBytes: number;
  totalAllocs: number;
  totalFrees: number;
  commits: number;
  rollbacks: number;
  recoveries: number;
  undoBacked: number;
  undoPeak: number;
  undoReserve: number;
  /** Largest free chunk (bins) in bytes: with topBytes, what one allocation can get without growing. */
  largestFree: number;
  /** 1 - largestFree / freeBytes: 0 when the free space is one piece. */
  fragmentation: number;
}

/** A point inside an operation (Heap.savepoint). */
export interface Savepoint {
  readonly undo: number;
  readonly frees: number;
}

const MIB = 1024 * 1024;
/** Punched memory backed ahead of an allocation from it (one fallocate for many small allocations). */
const RESERVE_AHEAD = 256 * 1024;
const pageUp = (n: number) => Math.ceil(n / PAGE) * PAGE;
const pageDown = (n: number) => Math.floor(n / PAGE) * PAGE;

/**
 * From this many frees in one operation, commit releases them in address order, a run of
 * neighbours at a time (releaseSorted); fewer are released one by one (sorting would cost
 * more than the merges save).
 */
const SORTED_RELEASE_MIN = 16;

/**
 * The block heap: chunks of 16-byte granules with boundary tags and segregated free
 * lists (exact bins below 1 KiB, four per power of two above), carved from a top chunk
 * that grows the segment. Every change goes through an operation (begin/commit) whose
 * undo log makes it atomic under SIGKILL; the cross-process lock comes from the backing.
 *
 * Rule for callers: bytes of a chunk allocated in the current operation may be written
 * freely; bytes that existed before it must be passed to `log()` before being changed.
 */
export class Heap {
  readonly mem: Mem;
  readonly dv: DataView;
  readonly base: number;
  readonly arenaStart: number;
  private readonly undo: UndoLog;
  /** The copy-on-write epoch (src/heap/cow.ts): a view of the heap as it was, for incremental dumps. */
  readonly cow: CowEpochs;
  private locked = false;
  private readonly pendingFrees: number[] = [];
  /** pendingFrees in address order, once sorted (pendingFreeRuns, commit), until it changes. */
  private sorted: Uint32Array | null = null;
  /**
   * Pages [backedLo, backedHi) that this process backed (fallocate) while allocating
   * from punched memory, when the heap's punchedBytes was backedEpoch: still backed as
   * long as nobody punched since (trim is the only thing that takes pages back from
   * below arenaEnd, and it raises punchedBytes first). Lets consecutive allocations
   * from one punched region share a system call instead of making one each.
   */
  private backedLo = 0;
  private backedHi = 0;
  private backedEpoch = -1;
  /** H.top at this process's previous trim (Infinity before its first): see trim. */
  private lastTrimTop = Infinity;
  /** Operations of dead writers this process rolled back. */
  recovered = 0;

  private constructor(readonly backing: Backing) {
    this.mem = new Mem(backing.sab);
    this.dv = this.mem.dv;
    this.base = backing.base;
    this.arenaStart = this.dv.getFloat64(this.base + H.arenaStart, true);
    this.undo = new UndoLog(this.mem, backing, this.base);
    this.cow = new CowEpochs(this);
    this.undo.cow = this.cow;
    this.undo.cowRootAt = this.rootOffset(ROOT_COW);
  }

  /** True when the backing holds a heap header (any version). */
  static isFormatted(backing: Backing): boolean {
    if (backing.committed() < backing.base + HEAP_HEADER_SIZE) return false;
    const mem = new Uint8Array(backing.sab, backing.base, 8);
    return Buffer.from(mem).toString('latin1') === HEAP_MAGIC;
  }

  /** Lay out an empty heap. Not crash-safe by itself: the magic is written last, so an interrupted format is re-done. */
  static format(backing: Backing, opts: HeapOptions = {}): Heap {
    const base = backing.base;
    const undoReserve = pageUp(opts.undoReserve ?? Math.min(DEFAULT_UNDO_RESERVE, Math.max(UNDO_INITIAL * 4, backing.reserved / 16)));
    const undoStart = base + HEAP_HEADER_SIZE;
    const arenaStart = undoStart + undoReserve;
    const initial = pageUp(opts.initialArena ?? MIB);
    if (arenaStart + initial > backing.reserved) {
      throw new HeapFullError(`segment too small: the heap needs ${arenaStart + initial} bytes, ${backing.reserved} are reserved`, 'EFBIG');
    }
    if (backing.committed() < undoStart) backing.grow(undoStart);
    if (backing.committed() < arenaStart) backing.extend(arenaStart);
    backing.reserve(undoStart, UNDO_INITIAL);
    if (backing.committed() < arenaStart + initial) backing.grow(arenaStart + initial);

    const dv = new DataView(backing.sab);
    new Uint8Array(backing.sab, base, HEAP_HEADER_SIZE).fill(0);
    dv.setUint32(base + H.version, HEAP_VERSION, true);
    dv.setUint32(base + H.granule, GRANULE, true);
    dv.setFloat64(base + H.undoStart, undoStart, true);
    dv.setFloat64(base + H.undoReserve, undoReserve, true);
    dv.setFloat64(base + H.arenaStart, arenaStart, true);
    dv.setFloat64(base + H.createdAt, Date.now(), true);
    dv.setFloat64(base + H.top, arenaStart, true);
    dv.setFloat64(base + H.arenaEnd, arenaStart + initial, true);
    dv.setFloat64(base + H.undoBacked, UNDO_INITIAL, true);
    new Uint8Array(backing.sab, base, 8).set(Buffer.from(HEAP_MAGIC, 'latin1'));
    return new Heap(backing);
  }

  static open(backing: Backing): Heap {
    const base = backing.base;
    if (backing.committed() < base + HEAP_HEADER_SIZE) throw new HeapFormatError('segment holds no heap (too short)');
    if (!Heap.isFormatted(backing)) throw new HeapFormatError('segment holds no shmkv heap (bad heap magic)');
    const dv = new DataView(backing.sab);
    const version = dv.getUint32(base + H.version, true);
    if (version !== HEAP_VERSION) {
      throw new HeapFormatError(`heap layout version ${version}, this build reads version ${HEAP_VERSION}`);
    }
    if (dv.getUint32(base + H.granule, true) !== GRANULE) throw new HeapFormatError('heap granule mismatch');
    const undoStart = dv.getFloat64(base + H.undoStart, true);
    const arenaStart = dv.getFloat64(base + H.arenaStart, true);
    const arenaEnd = dv.getFloat64(base + H.arenaEnd, true);
    if (undoStart !== base + HEAP_HEADER_SIZE || !(arenaStart > undoStart) || !(arenaEnd >= arenaStart) || arenaEnd > backing.committed()) {
      throw new HeapFormatError(`heap header inconsistent (arena ${arenaStart}..${arenaEnd}, segment ${backing.committed()} bytes)`);
    }
    return new Heap(backing);
  }

  // ---------------------------------------------------------------- locking and operations

  /** Take the write lock; roll back a dead writer's unfinished operation if there is one. */
  lock(): void {
    const ownerDied = this.backing.lock();
    this.locked = true;
    if (ownerDied || this.undo.pending() !== 0) this.recover();
  }

  unlock(): void {
    if (this.undo.active) throw new Error('heap: unlock with an operation open');
    this.locked = false;
    this.backing.unlock();
  }

  get isLocked(): boolean {
    return this.locked;
  }

  /** Roll back what a writer that died left half-done. Caller holds the lock. */
  recover(): number {
    if (this.undo.pending() === 0) {
      // a writer that died between its commit and the end of its write version
      this.undo.closeVersion();
      return 0;
    }
    const n = this.undo.rollback(true);
    this.recovered++;
    return n;
  }

  // ---------------------------------------------------------------- reads without the lock

  /**
   * The write version: odd while some process has an operation open that changed shared
   * bytes. A reader without the lock takes the version (even) before it reads and checks it
   * is unchanged after: then no change overlapped its reads (a seqlock). Its loads are
   * plain loads between two seq-cst ones, which x86 does not reorder (TSO); the writer's
   * version stores come before its first change and after its last, in the order every
   * core sees (src/heap/undo.ts, PLAIN_VERSION_STORES).
   */
  writeVersion(): number {
    return this.undo.version();
  }

  /**
   * The end of the memory a reader without the lock may touch: the committed size. Every
   * offset such a reader takes from shared memory is checked against it before it reads
   * there; the segment never shrinks its file (it punches), so an offset under a limit
   * read earlier still reads memory, not SIGBUS.
   */
  readLimit(): number {
    return this.backing.committed();
  }

  /** Bytes of undo records a writer left behind (non-zero only while an operation is open or its writer died). */
  pendingUndo(): number {
    return this.undo.pending();
  }

  begin(): void {
    if (!this.locked) throw new Error('heap: begin() without the lock');
    this.undo.begin();
  }

  commit(): void {
    const frees = this.pendingFrees;
    if (frees.length > 0) {
      try {
        // (a copy-on-write epoch quarantines each freed chunk: one by one)
        if (frees.length >= SORTED_RELEASE_MIN && this.cow.state() === 0) this.releaseSorted(this.sortedFrees());
        else for (let i = 0; i < frees.length; i++) this.release(frees[i]!);
      } catch (e) {
        this.abort();
        throw e;
      }
      frees.length = 0;
      this.sorted = null;
    }
    this.undo.commit();
  }

  /** Undo everything the open operation changed. */
  abort(): void {
    this.pendingFrees.length = 0;
    this.sorted = null;
    if (!this.undo.active) return;
    this.undo.rollback(false);
  }

  /**
   * A point of the open operation to come back to with rollbackTo (EXEC's per-command
   * savepoints): what was changed, allocated or freed after it can be undone while what
   * came before stays, all still committed or rolled back as one operation.
   */
  savepoint(): Savepoint {
    return { undo: this.undo.savepoint(), frees: this.pendingFrees.length };
  }

  rollbackTo(sp: Savepoint): void {
    this.undo.rollbackTo(sp.undo);
    // frees asked for after the savepoint never happen (the chunks are in use again)
    if (this.pendingFrees.length > sp.frees) this.pendingFrees.length = sp.frees;
    this.sorted = null;
  }

  get inOperation(): boolean {
    return this.undo.active;
  }

  /** The copy-on-write epoch was opened inside the current operation (src/heap/cow.ts). */
  cowOpened(): void {
    this.undo.shadowFromNow();
  }

  /** Run fn as one operation (lock held by the caller). */
  atomically<T>(fn: () => T): T {
    this.begin();
    try {
      const r = fn();
      this.commit();
      return r;
    } catch (e) {
      this.abort();
      throw e;
    }
  }

  /** Record the old contents of [off, off+len) before changing them. */
  log(off: number, len: number): void {
    this.undo.log(off, len);
  }

  // ---------------------------------------------------------------- logged field helpers

  private hget(field: number): number {
    return this.dv.getFloat64(this.base + field, true);
  }

  private hset(field: number, v: number): void {
    this.undo.log(this.base + field, 8);
    this.dv.setFloat64(this.base + field, v, true);
  }

  private hadd(field: number, d: number): void {
    this.hset(field, this.hget(field) + d);
  }

  getRoot(i: number): number {
    if (i < 0 || i >= ROOT_COUNT) throw new RangeError('root index');
    return this.dv.getFloat64(this.base + H.roots + i * 8, true);
  }

  /** Byte offset of root i (an f64) in the mapping: for a layer that reads its root on a hot path. */
  rootOffset(i: number): number {
    if (i < 0 || i >= ROOT_COUNT) throw new RangeError('root index');
    return this.base + H.roots + i * 8;
  }

  setRoot(i: number, v: number): void {
    if (i < 0 || i >= ROOT_COUNT) throw new RangeError('root index');
    this.hset(H.roots + i * 8, v);
  }

  // ---------------------------------------------------------------- refs

  /** u32 ref of a payload offset (what structures store instead of pointers). */
  static ref(p: number): number {
    return (p - CHUNK_OVERHEAD) / GRANULE;
  }

  /** Payload offset of a ref; 0 stays 0. */
  static deref(r: number): number {
    return r === 0 ? 0 : r * GRANULE + CHUNK_OVERHEAD;
  }

  /** Bytes the payload at p may hold. */
  usable(p: number): number {
    return this.dv.getUint32(p - CHUNK_OVERHEAD, true) * GRANULE - CHUNK_OVERHEAD;
  }

  // ---------------------------------------------------------------- chunk helpers

  private size(c: number): number {
    return this.dv.getUint32(c, true);
  }

  private flags(c: number): number {
    return this.dv.getUint32(c + 4, true);
  }

  private setHeader(c: number, g: number, flags: number): void {
    this.dv.setUint32(c, g, true);
    this.dv.setUint32(c + 4, (flags & 0xff) | (CHUNK_TAG << 8), true);
  }

  private setFooter(c: number, g: number): void {
    const f = c + g * GRANULE - 8;
    this.dv.setUint32(f, g, true);
    this.dv.setUint32(f + 4, FOOTER_TAG, true);
  }

  private binHead(b: number): number {
    return this.dv.getUint32(this.base + H.bins + b * 4, true);
  }

  private setBinHead(b: number, r: number): void {
    const at = this.base + H.bins + b * 4;
    this.undo.log(at, 4);
    this.dv.setUint32(at, r, true);
    const w = this.base + H.binmap + (b >>> 5) * 4;
    const bits = this.dv.getUint32(w, true);
    const nb = r === 0 ? bits & ~(1 << (b & 31)) : bits | (1 << (b & 31));
    if (nb !== bits) {
      this.undo.log(w, 4);
      this.dv.setUint32(w, nb >>> 0, true);
    }
  }

  /** First non-empty bin >= b, or -1. */
  private nextBin(b: number): number {
    let w = b >>> 5;
    if (w >= BINMAP_WORDS) return -1;
    let bits = this.dv.getUint32(this.base + H.binmap + w * 4, true) & (~0 << (b & 31));
    for (;;) {
      if (bits !== 0) return w * 32 + (31 - Math.clz32(bits & -bits));
      if (++w >= BINMAP_WORDS) return -1;
      bits = this.dv.getUint32(this.base + H.binmap + w * 4, true);
    }
  }

  /** Put free chunk c (header and footer already written) at the head of its bin. */
  private insertFree(c: number, g: number): void {
    const b = binOf(g);
    const head = this.binHead(b);
    const dv = this.dv;
    dv.setUint32(c + 8, head, true);
    dv.setUint32(c + 12, 0, true);
    const r = c / GRANULE;
    if (head !== 0) {
      this.undo.log(head * GRANULE + 12, 4);
      dv.setUint32(head * GRANULE + 12, r, true);
    }
    this.setBinHead(b, r);
    this.hadd(H.freeBytes, g * GRANULE);
    this.hadd(H.freeChunks, 1);
  }

  private unlink(c: number, g: number): void {
    const dv = this.dv;
    const next = dv.getUint32(c + 8, true);
    const prev = dv.getUint32(c + 12, true);
    if (prev === 0) this.setBinHead(binOf(g), next);
    else {
      this.undo.log(prev * GRANULE + 8, 4);
      dv.setUint32(prev * GRANULE + 8, next, true);
    }
    if (next !== 0) {
      this.undo.log(next * GRANULE + 12, 4);
      dv.setUint32(next * GRANULE + 12, prev, true);
    }
    this.hadd(H.freeBytes, -g * GRANULE);
    this.hadd(H.freeChunks, -1);
  }

  // ---------------------------------------------------------------- allocation

  /**
   * Allocate chunks for the payload sizes sizes[from..to) side by side, as one allocation
   * cut into chunks (their payload offsets go to `out`): one search of the bins or carve
   * of top and one update of the counters for the lot, where alloc() per chunk costs a
   * search and four counter updates each (a set of a million members built by SUNIONSTORE
   * spent a sixth of its time there). Each is an ordinary chunk, freed on its own.
   */
  allocRun(sizes: readonly number[], from: number, to: number, out: number[]): void {
    if (to <= from) return;
    let total = 0;
    for (let i = from; i < to; i++) total += Math.max(MIN_CHUNK, Math.ceil((sizes[i]! + CHUNK_OVERHEAD) / GRANULE) * GRANULE);
    const p = this.alloc(total - CHUNK_OVERHEAD);
    let c = p - CHUNK_OVERHEAD;
    // (alloc may hand out a little more than asked: the last chunk keeps the rest)
    const end = c + this.size(c) * GRANULE;
    let f = this.flags(c);
    for (let i = from; i < to; i++) {
      const g = i === to - 1 ? (end - c) / GRANULE : Math.max(MIN_CHUNK, Math.ceil((sizes[i]! + CHUNK_OVERHEAD) / GRANULE) * GRANULE) / GRANULE;
      // (memory handed out in this operation: nothing to log)
      this.setHeader(c, g, INUSE | (f & PREV_INUSE));
      f = PREV_INUSE;
      out.push(c + CHUNK_OVERHEAD);
      c += g * GRANULE;
    }
    const more = to - from - 1;
    if (more > 0) {
      this.hadd(H.liveChunks, more);
      this.hadd(H.totalAllocs, more);
    }
  }

  /** Allocate `size` payload bytes; returns the payload offset. Throws HeapFullError. */
  alloc(size: number): number {
    if (!this.undo.active) throw new Error('heap: alloc outside an operation');
    const need = Math.max(MIN_CHUNK, Math.ceil((size + CHUNK_OVERHEAD) / GRANULE) * GRANULE);
    const g = need / GRANULE;
    if (g >= 2 ** 32) throw new HeapFullError(`allocation of ${size} bytes is too large`);
    let c = this.fromBins(g);
    if (c === 0) c = this.fromTop(g);
    this.hadd(H.usedBytes, this.size(c) * GRANULE);
    const used = this.hget(H.usedBytes);
    if (used > this.hget(H.peakUsed)) this.hset(H.peakUsed, used);
    this.hadd(H.liveChunks, 1);
    this.hadd(H.totalAllocs, 1);
    return c + CHUNK_OVERHEAD;
  }

  private fromBins(g: number): number {
    const want = binOf(g);
    let b = want;
    if (g < SMALL_BIN_LIMIT) {
      if (this.binHead(g) !== 0) return this.take(this.binHead(g) * GRANULE, g);
      b = g + 1;
    }
    for (;;) {
      b = this.nextBin(b);
      if (b < 0) return 0;
      if (b === want && b >= SMALL_BIN_LIMIT) {
        // Sizes in this bin vary by up to 25%: first fit.
        for (let r = this.binHead(b); r !== 0; r = this.dv.getUint32(r * GRANULE + 8, true)) {
          if (this.size(r * GRANULE) >= g) return this.take(r * GRANULE, g);
        }
        b++;
        continue;
      }
      return this.take(this.binHead(b) * GRANULE, g);
    }
  }

  /** Hand out free chunk c (of its bin) for g granules, splitting off the rest. */
  private take(c: number, g: number): number {
    const G = this.size(c);
    const f = this.flags(c);
    const end = c + G * GRANULE;
    const rest = G - g;
    if (rest >= MIN_CHUNK / GRANULE && (f & PUNCHED) === 0 && binOf(rest) === binOf(G)) return this.carveTail(c, f, end, rest, g);
    // The caller will write the payload without logging: save the free chunk's own
    // metadata (header, links, footer) so a rollback finds it whole.
    this.undo.log(c, 16);
    this.undo.log(end - 8, 8);
    this.unlink(c, G);
    const split = rest >= MIN_CHUNK / GRANULE;
    if (f & PUNCHED) {
      // Its interior pages were given back: back what we hand out (and the rest's header),
      // and some of the rest ahead of time (the next allocations come from it).
      const upto = split ? c + g * GRANULE + 16 : end;
      this.reserveAhead(pageDown(c), pageUp(upto), pageUp(end));
    }
    if (split) {
      const r = c + g * GRANULE;
      this.setHeader(c, g, INUSE | (f & PREV_INUSE));
      this.setHeader(r, rest, PREV_INUSE | (f & PUNCHED));
      this.setFooter(r, rest);
      this.insertFree(r, rest);
    } else {
      this.setHeader(c, G, INUSE | (f & PREV_INUSE));
      if (end !== this.hget(H.top)) this.setPrevInuse(end, true);
    }
    return c;
  }

  /**
   * Hand out the last g granules of free chunk c (header flags f, ending at end), whose
   * `rest` granules stay free in the same bin: the chunk keeps its address and its bin
   * links, so neither the bin head, the binmap nor any neighbour in the list changes.
   * Carving the front instead moved the remainder's header, relinking it (5 logged lines
   * per allocation: the refill after a FLUSHALL allocates this way from one big chunk,
   * with 2 to 3).
   */
  private carveTail(c: number, f: number, end: number, rest: number, g: number): number {
    const a = c + rest * GRANULE;
    this.undo.log(c, 8);
    // the old footer lies inside the chunk handed out, which the caller writes unlogged
    this.undo.log(end - 8, 8);
    // (splitting drops AGED: the remainder is not the chunk a trim saw)
    this.setHeader(c, rest, f & PREV_INUSE);
    // (the new footer and the new chunk's header are in what was free: nothing to log)
    this.setFooter(c, rest);
    this.setHeader(a, g, INUSE);
    if (end !== this.hget(H.top)) this.setPrevInuse(end, true);
    this.hadd(H.freeBytes, -g * GRANULE);
    return a;
  }

  private setPrevInuse(c: number, on: boolean): void {
    const f = this.flags(c);
    this.undo.log(c + 4, 4);
    this.dv.setUint32(c + 4, on ? f | PREV_INUSE : f & ~PREV_INUSE, true);
  }

  /**
   * Back pages [lo, hi) of punched memory (ahead of time up to `limit`: pages that are
   * the same free chunk or top's punched part), unless this process backed them since
   * the last punch.
   */
  private reserveAhead(lo: number, hi: number, limit: number): void {
    const epoch = this.hget(H.punchedBytes);
    if (epoch === this.backedEpoch && lo >= this.backedLo && hi <= this.backedHi) return;
    const to = Math.max(hi, Math.min(limit, hi + RESERVE_AHEAD));
    this.reserveOrThrow(lo, to - lo);
    this.backedLo = lo;
    this.backedHi = to;
    this.backedEpoch = epoch;
  }

  private reserveOrThrow(off: number, len: number): void {
    try {
      this.backing.reserve(off, len);
    } catch (e) {
      const err = e as { code?: string; message?: string };
      throw new HeapFullError(`out of shared memory: ${err.message ?? e}`, err.code === 'ENOSPC' ? 'ENOSPC' : 'OOM');
    }
  }

  private fromTop(g: number): number {
    const need = g * GRANULE;
    const top = this.hget(H.top);
    let end = this.hget(H.arenaEnd);
    if (top + need > end) end = this.growArena(top + need);
    const dirty = this.topDirtyEnd();
    if (top < dirty) this.reserveAhead(pageDown(top), pageUp(Math.min(top + need, dirty)), pageUp(dirty));
    this.hset(H.top, top + need);
    // The chunk below top is always in use (frees merge into top).
    this.setHeader(top, g, INUSE | PREV_INUSE);
    return top;
  }

  /** End of the part of top that may hold punched pages (see trim). */
  private topDirtyEnd(): number {
    return this.hget(H.topDirtyEnd);
  }

  private growArena(minEnd: number): number {
    const end = this.hget(H.arenaEnd);
    const size = end - this.arenaStart;
    const step = Math.min(256 * MIB, Math.max(MIB, pageUp(size / 8)));
    const limit = Math.min(this.backing.reserved, MAX_ADDRESSABLE);
    if (minEnd > limit) {
      throw new HeapFullError(`out of memory: the segment's reservation (${limit} bytes) is full`, 'OOM');
    }
    const want = Math.min(limit, pageUp(Math.max(minEnd, end + step)));
    const tight = pageUp(minEnd);
    let newEnd = want;
    if (this.backing.committed() < newEnd) {
      try {
        this.backing.grow(newEnd);
      } catch (e) {
        const err = e as { code?: string; message?: string };
        if (this.backing.committed() < tight) {
          try {
            this.backing.grow(tight);
          } catch {
            throw new HeapFullError(
              `out of shared memory: cannot grow the segment to ${tight} bytes (${err.code ?? 'error'}: ${err.message ?? e})`,
              err.code === 'ENOSPC' ? 'ENOSPC' : 'OOM',
            );
          }
        }
        newEnd = Math.max(tight, Math.min(want, this.backing.committed()));
      }
    }
    this.hset(H.arenaEnd, newEnd);
    return newEnd;
  }

  /**
   * Free the chunk whose payload is at p. The chunk becomes reusable when the operation
   * commits: until then its bytes stay as they were, which is what lets allocations in
   * the same operation skip logging (they can never land on memory that held data).
   */
  free(p: number): void {
    if (!this.undo.active) throw new Error('heap: free outside an operation');
    const c = p - CHUNK_OVERHEAD;
    const f = this.flags(c);
    if ((f & INUSE) === 0 || f >>> 8 !== CHUNK_TAG || this.size(c) < 2) {
      throw new Error(`heap: free of a chunk that is not in use at ${p} (flags ${f.toString(16)})`);
    }
    this.pendingFrees.push(p);
  }

  private release(p: number): void {
    const c = p - CHUNK_OVERHEAD;
    const G = this.size(c);
    const f = this.flags(c);
    if ((f & INUSE) === 0) throw new Error(`heap: chunk at ${p} freed twice in one operation`);
    // a copy-on-write epoch keeps freed memory until it ends (reuse is written without logging)
    if (this.cow.quarantine(p, G * GRANULE)) return;
    this.releaseRun(c, G, f, 1);
  }

  /**
   * The operation's pending frees as chunk refs (u32: sorted ~1.6× faster than the offsets
   * as f64) in address order, sorted once and kept until they change.
   */
  private sortedFrees(): Uint32Array {
    const frees = this.pendingFrees;
    if (this.sorted === null || this.sorted.length !== frees.length) {
      const s = new Uint32Array(frees.length);
      for (let i = 0; i < frees.length; i++) s[i] = (frees[i]! - CHUNK_OVERHEAD) / GRANULE;
      this.sorted = s.sort();
    }
    return this.sorted;
  }

  /**
   * How many runs of chunks lying end to end the operation's pending frees make: what
   * commit will release as that many free chunks (a caller freeing a lot at once checks
   * that its undo records stay bounded before committing).
   */
  pendingFreeRuns(): number {
    const s = this.sortedFrees();
    let runs = 0;
    let end = -1;
    for (let i = 0; i < s.length; i++) {
      const c = s[i]! * GRANULE;
      if (c !== end) runs++;
      end = c + this.size(c) * GRANULE;
    }
    return runs;
  }

  /**
   * Release many chunks at once (a flushed database's entries, a collection's nodes): in
   * address order, each run of chunks that lie end to end goes back as one free chunk,
   * with one header, footer, bin insertion and set of logged lines per run instead of per
   * chunk. The run's inner chunk headers are left as they were: they lie inside the free
   * chunk, where nothing walks (a walk of the arena steps over a chunk by its size), and a
   * rollback restores the run's first header, which makes them chunks again.
   */
  private releaseSorted(s: Uint32Array): void {
    let i = 0;
    let done = -1;
    while (i < s.length) {
      const first = s[i]! * GRANULE;
      // (a chunk inside a run already released, or freed twice: its header is stale or free)
      if (first < done) throw new Error(`heap: chunk at ${first + CHUNK_OVERHEAD} freed twice in one operation`);
      const f = this.flags(first);
      let end = first;
      let count = 0;
      while (i < s.length && s[i]! * GRANULE === end) {
        if ((this.flags(end) & INUSE) === 0) throw new Error(`heap: chunk at ${end + CHUNK_OVERHEAD} freed twice in one operation`);
        end += this.size(end) * GRANULE;
        count++;
        i++;
      }
      this.releaseRun(first, (end - first) / GRANULE, f, count);
      done = end;
    }
  }

  /**
   * Make the `count` in-use chunks of [c, c + G granules) one free chunk (f: the first one's
   * flags), merged with free neighbours or into top.
   */
  private releaseRun(c: number, G: number, f: number, count: number): void {
    const dv = this.dv;
    this.undo.log(c, 16);
    this.hadd(H.usedBytes, -G * GRANULE);
    this.hadd(H.liveChunks, -count);
    this.hadd(H.totalFrees, count);
    let start = c;
    let g = G;
    let punched = 0;
    if ((f & PREV_INUSE) === 0) {
      const pg = dv.getUint32(c - 8, true);
      const pc = c - pg * GRANULE;
      const pf = this.flags(pc);
      this.unlink(pc, pg);
      this.undo.log(pc, 8);
      punched |= pf & PUNCHED;
      start = pc;
      g += pg;
    }
    let n = c + G * GRANULE;
    const top = this.hget(H.top);
    if (n !== top) {
      const nf = this.flags(n);
      if ((nf & INUSE) === 0) {
        const ng = this.size(n);
        this.unlink(n, ng);
        punched |= nf & PUNCHED;
        g += ng;
        n += ng * GRANULE;
      }
    }
    if (n === top) {
      if (punched && n > this.topDirtyEnd()) this.hset(H.topDirtyEnd, n);
      this.hset(H.top, start);
      return;
    }
    this.undo.log(start + g * GRANULE - 8, 8);
    this.setHeader(start, g, PREV_INUSE | punched);
    this.setFooter(start, g);
    this.setPrevInuse(n, false);
    this.insertFree(start, g);
  }

  /**
   * Resize the payload at p to hold `size` bytes, in place when the chunk or its free
   * neighbour allows, otherwise by moving (the first `keep` bytes are preserved,
   * default all). Returns the (possibly new) payload offset.
   */
  realloc(p: number, size: number, keep = Infinity): number {
    const c = p - CHUNK_OVERHEAD;
    const G = this.size(c);
    const need = Math.max(MIN_CHUNK, Math.ceil((size + CHUNK_OVERHEAD) / GRANULE) * GRANULE);
    const g = need / GRANULE;
    if (g <= G) return p;
    const n = c + G * GRANULE;
    const top = this.hget(H.top);
    if (n === top) {
      let end = this.hget(H.arenaEnd);
      const extra = (g - G) * GRANULE;
      if (top + extra > end) end = this.growArena(top + extra);
      const dirty = this.topDirtyEnd();
      if (top < dirty) this.reserveAhead(pageDown(top), pageUp(Math.min(top + extra, dirty)), pageUp(dirty));
      this.hset(H.top, top + extra);
      this.undo.log(c, 8);
      this.setHeader(c, g, this.flags(c));
      this.hadd(H.usedBytes, extra);
      const used = this.hget(H.usedBytes);
      if (used > this.hget(H.peakUsed)) this.hset(H.peakUsed, used);
      return p;
    }
    const nf = this.flags(n);
    if ((nf & INUSE) === 0 && (nf & PUNCHED) === 0 && G + this.size(n) >= g) {
      const ng = this.size(n);
      const end = n + ng * GRANULE;
      this.undo.log(n, 16);
      this.undo.log(end - 8, 8);
      this.unlink(n, ng);
      const rest = G + ng - g;
      this.undo.log(c, 8);
      if (rest >= MIN_CHUNK / GRANULE) {
        const r = c + g * GRANULE;
        this.setHeader(c, g, this.flags(c));
        this.setHeader(r, rest, PREV_INUSE);
        this.setFooter(r, rest);
        this.insertFree(r, rest);
        this.hadd(H.usedBytes, (g - G) * GRANULE);
      } else {
        this.setHeader(c, G + ng, this.flags(c));
        if (end !== top) this.setPrevInuse(end, true);
        this.hadd(H.usedBytes, ng * GRANULE);
      }
      const used = this.hget(H.usedBytes);
      if (used > this.hget(H.peakUsed)) this.hset(H.peakUsed, used);
      return p;
    }
    const q = this.alloc(size);
    this.mem.copy(q, p, Math.min(keep, G * GRANULE - CHUNK_OVERHEAD));
    this.free(p);
    return q;
  }

  // ---------------------------------------------------------------- giving memory back

  /**
   * Give memory back to tmpfs: shrink the tail when the top chunk is large, and punch
   * the interior pages of large free chunks. Runs as its own operation (lock held),
   * and truncates only after committing, so a rollback never needs pages it gave away.
   * Returns bytes given back.
   *
   * Only memory that was already free at this process's previous trim goes (`aged`:
   * pass false to give back everything free now): see AGED. The tail shrinks to above
   * the higher of top now and top at the previous trim.
   */
  trim(opts: { keepTop?: number; punchMin?: number; aged?: boolean } = {}): number {
    const keepTop = opts.keepTop ?? 4 * MIB;
    const punchMin = opts.punchMin ?? 64 * 1024;
    const aged = opts.aged ?? true;
    let shrinkTo = 0;
    const holes: [number, number][] = [];
    this.atomically(() => {
      const top = this.hget(H.top);
      const end = this.hget(H.arenaEnd);
      // (a process's first trim has no earlier top: it shrinks nothing)
      const floor = aged ? Math.max(top, this.lastTrimTop) : top;
      this.lastTrimTop = top;
      if (end - floor > keepTop * 2) {
        shrinkTo = pageUp(floor + keepTop);
        this.hset(H.arenaEnd, shrinkTo);
        if (this.topDirtyEnd() > shrinkTo) this.hset(H.topDirtyEnd, shrinkTo);
      }
      for (let b = binOf(Math.ceil(punchMin / GRANULE)); b < NBINS; b++) {
        for (let r = this.binHead(b); r !== 0; r = this.dv.getUint32(r * GRANULE + 8, true)) {
          const c = r * GRANULE;
          const f = this.flags(c);
          if (f & PUNCHED) continue;
          const lo = pageUp(c + 16);
          const hi = pageDown(c + this.size(c) * GRANULE - 8);
          if (hi - lo < punchMin / 2) continue;
          this.undo.log(c + 4, 4);
          if (aged && (f & AGED) === 0) {
            // free now, maybe only for a moment: punched at the next trim if still free
            this.dv.setUint32(c + 4, f | AGED, true);
            continue;
          }
          this.dv.setUint32(c + 4, (f | PUNCHED) & ~AGED, true);
          this.hadd(H.punchedBytes, hi - lo);
          holes.push([lo, hi - lo]);
        }
      }
    });
    // Only after the commit: a chunk marked punched whose pages are still there is
    // harmless, pages gone under a chunk a rollback marked unpunched would not be.
    let given = 0;
    for (const [off, len] of holes) {
      this.backing.punch(off, len);
      given += len;
    }
    if (shrinkTo > 0 && this.backing.committed() > shrinkTo) {
      given += this.backing.committed() - shrinkTo;
      this.backing.shrink(shrinkTo);
    }
    return given;
  }

  // ---------------------------------------------------------------- statistics

  /** Bytes in live chunks (INFO used_memory; what maxmemory limits). */
  usedBytes(): number {
    return this.hget(H.usedBytes);
  }

  stats(): HeapStats {
    const g = (f: number) => this.hget(f);
    let largest = 0;
    for (let b = this.nextBin(0); b >= 0; b = this.nextBin(b + 1)) {
      for (let r = this.binHead(b); r !== 0; r = this.dv.getUint32(r * GRANULE + 8, true)) {
        largest = Math.max(largest, this.size(r * GRANULE) * GRANULE);
      }
    }
    const freeBytes = g(H.freeBytes);
    return {
      arenaStart: this.arenaStart,
      arenaEnd: g(H.arenaEnd),
      top: g(H.top),
      committed: this.backing.committed(),
      reserved: this.backing.reserved,
      usedBytes: g(H.usedBytes),
      peakUsed: g(H.peakUsed),
      liveChunks: g(H.liveChunks),
      freeBytes,
      freeChunks: g(H.freeChunks),
      topBytes: g(H.arenaEnd) - g(H.top),
      punchedBytes: g(H.punchedBytes),
      totalAllocs: g(H.totalAllocs),
      totalFrees: g(H.totalFrees),
      commits: g(H.commits),
      rollbacks: g(H.rollbacks),
      recoveries: g(H.recoveries),
      undoBacked: g(H.undoBacked),
      undoPeak: g(H.undoPeak),
      undoReserve: g(H.undoReserve),
      largestFree: largest,
      fragmentation: freeBytes > 0 ? 1 - largest / freeBytes : 0,
    };
  }

  /** Header words for the checker. */
  headerField(field: number): number {
    return this.hget(field);
  }
}
