import type { Backing } from './backing.js';
import { HeapFullError } from './errors.js';
import { H, LINE, PAGE, RECORD_HEADER, RECORD_TAG, UNDO_INITIAL } from './layout.js';
import type { Mem } from './mem.js';

/**
 * The undo log: before an operation first changes bytes that existed before it, their
 * old contents are appended here; a commit is one atomic store (`undoUsed = 0`), and a
 * rollback copies the records back in reverse order. Rolling back twice is harmless,
 * so a process that dies while rolling back leaves work the next one simply redoes.
 *
 * Small ranges are logged as whole 64-byte lines, each line once per operation (a JS
 * Set remembers which), so hot metadata (bin heads, counters) costs one copy per
 * operation however often it changes.
 */
const LINE_SET = 1024;

/** Read once: `process.pid` is a getter on a global, costly per operation. */
const PID = process.pid;

/**
 * Whether the write version's stores may be plain stores: on x86-64 every core sees another
 * core's stores in program order (TSO), so a plain store of the odd version before the
 * operation's first change, and of the even one after its commit, orders them for a reader
 * as a seq-cst store would; V8 keeps typed-array stores in program order. Atomics.store is a
 * builtin call (~1% of a write command's time at `redis-benchmark -P 16`). Elsewhere (ARM's
 * weaker order) they stay seq-cst.
 */
const PLAIN_VERSION_STORES = process.arch === 'x64';

export class UndoLog {
  private readonly hdr: number;
  private readonly start: number;
  private readonly reserve: number;
  private used = 0;
  /**
   * Lines logged by the open operation: an open-addressing set stamped with the
   * operation's generation, so clearing it at commit costs nothing.
   */
  private lineKeys = new Int32Array(LINE_SET);
  private lineGen = new Uint32Array(LINE_SET);
  /** 32 - log2(lineKeys.length): a line's home slot is the top bits of its multiplicative hash. */
  private lineShift = 32 - Math.log2(LINE_SET);
  private lineCount = 0;
  private gen = 1;
  /** The last line log() saw logged in this line generation (-1: none). */
  private lastLine = -1;
  /** H.undoBacked as of begin() (kept up to date by back()). */
  private backed = 0;
  active = false;

  constructor(
    private readonly mem: Mem,
    private readonly backing: Backing,
    base: number,
  ) {
    this.hdr = base;
    this.start = mem.dv.getFloat64(base + H.undoStart, true);
    this.reserve = mem.dv.getFloat64(base + H.undoReserve, true);
  }

  /** Bytes of valid records, as published for other processes. */
  pending(): number {
    return Atomics.load(this.mem.i32, (this.hdr + H.undoUsed) >> 2);
  }

  begin(): void {
    if (this.active) throw new Error('heap: operation already open');
    this.active = true;
    this.used = 0;
    // only a writer under the lock changes it (back(), finish()): read once per operation,
    // not on every append()
    this.backed = this.backedBytes();
    // an epoch opens or closes only under the lock, so whether one is open is read once
    // per operation, not on every log() of the hot path (an epoch opened by this very
    // operation says so: shadowFromNow)
    this.cowOn = this.cow !== null && this.mem.dv.getFloat64(this.cowRootAt, true) !== 0;
  }

  /** This operation just opened a copy-on-write epoch: what it writes from now on is shadowed. */
  shadowFromNow(): void {
    this.cowOn = this.cow !== null;
  }


  /**
   * The copy-on-write epoch (src/heap/cow.ts), set by the heap: while one is open (its
   * root, at cowRootAt, is not 0), old bytes are copied aside before they are logged.
   */
  cow: { beforeWrite(off: number, len: number): void } | null = null;
  cowRootAt = 0;
  private cowOn = false;

  /** Record the current contents of [off, off+len) unless this operation already did. */
  log(off: number, len: number): void {
    if (!this.active) throw new Error('heap: write outside an operation');
    if (this.cowOn) this.cow!.beforeWrite(off, len);
    if (len <= 16) {
      // (what is logged lies in the heap, below 2^36 bytes: its line numbers are int32)
      const first = Math.floor(off / LINE);
      const last = Math.floor((off + len - 1) / LINE);
      // the line logged last (a counter bumped again, the next field of a header): known
      // without probing the set
      if (first === this.lastLine && last === first) return;
      if (!this.seen(first)) this.append(first * LINE, LINE);
      if (last !== first && !this.seen(last)) this.append(last * LINE, LINE);
      this.lastLine = last;
    } else {
      this.append(off, len);
    }
  }

  /** Whether the line was logged in this operation; records it if not. */
  private seen(line: number): boolean {
    // (a line past int32 is never deduplicated: logging it twice is only wasteful)
    if (line > 0x7fffffff) return false;
    const keys = this.lineKeys;
    const gens = this.lineGen;
    const gen = this.gen;
    const mask = keys.length - 1;
    let i = Math.imul(line, 0x9e3779b1) >>> this.lineShift;
    for (;;) {
      if (gens[i] !== gen) {
        gens[i] = gen;
        keys[i] = line;
        if (++this.lineCount * 2 > mask) this.growLines();
        return false;
      }
      if (keys[i] === line) return true;
      i = (i + 1) & mask;
    }
  }

  private growLines(): void {
    const keys = this.lineKeys;
    const gens = this.lineGen;
    this.lineKeys = new Int32Array(keys.length * 2);
    this.lineGen = new Uint32Array(keys.length * 2);
    this.lineShift--;
    this.lineCount = 0;
    for (let i = 0; i < keys.length; i++) if (gens[i] === this.gen) this.seen(keys[i]!);
  }

  private append(off: number, len: number): void {
    const padded = (len + 7) & ~7;
    const at = this.start + this.used;
    const need = this.used + RECORD_HEADER + padded;
    if (need > this.backed) this.back(need);
    const dv = this.mem.dv;
    if (this.used === 0) {
      // The operation's first change to bytes that existed: the write version goes odd
      // before it (and every core sees it so: PLAIN_VERSION_STORES), so an optimistic
      // reader that overlaps it sees a different version at its end.
      this.openVersion();
      // who wrote the records (for diagnosis)
      dv.setInt32(this.hdr + H.undoOwner, PID, true);
    }
    dv.setFloat64(at, off, true);
    dv.setUint32(at + 8, len, true);
    dv.setUint32(at + 12, RECORD_TAG, true);
    const mem = this.mem;
    if (len === LINE && (off & 3) === 0 && off + LINE <= mem.u8Limit) {
      // a whole line (what small ranges are logged as): unrolled, ~40% faster than the loop
      const i32 = mem.i32;
      const d = (at + RECORD_HEADER) >> 2;
      const s = off >> 2;
      i32[d] = i32[s]!;
      i32[d + 1] = i32[s + 1]!;
      i32[d + 2] = i32[s + 2]!;
      i32[d + 3] = i32[s + 3]!;
      i32[d + 4] = i32[s + 4]!;
      i32[d + 5] = i32[s + 5]!;
      i32[d + 6] = i32[s + 6]!;
      i32[d + 7] = i32[s + 7]!;
      i32[d + 8] = i32[s + 8]!;
      i32[d + 9] = i32[s + 9]!;
      i32[d + 10] = i32[s + 10]!;
      i32[d + 11] = i32[s + 11]!;
      i32[d + 12] = i32[s + 12]!;
      i32[d + 13] = i32[s + 13]!;
      i32[d + 14] = i32[s + 14]!;
      i32[d + 15] = i32[s + 15]!;
    } else if ((off & 3) === 0 && len <= 256 && off + len <= mem.u8Limit) {
      // Whole 32-bit words: the record is padded to 8 bytes, so rounding len up to 4
      // stays inside it, and reading up to 3 bytes past the range stays in its page.
      const i32 = mem.i32;
      const d = (at + RECORD_HEADER) >> 2;
      const s = off >> 2;
      const n = (len + 3) >> 2;
      for (let i = 0; i < n; i++) i32[d + i] = i32[s + i]!;
    } else mem.copy(at + RECORD_HEADER, off, len);
    this.used = need;
    // Publishing the new length after the record is written is what makes a record
    // either wholly valid or ignored, and it must come before the caller's change to the
    // logged bytes. A plain store is enough for that, where Atomics.store is a builtin
    // call (~11 ns, several per command): the only reader is whoever takes the lock
    // after this process died (Heap.lock, recover), and what a SIGKILLed process leaves
    // in the mapping is every store it executed, in program order (V8 keeps stores to
    // typed arrays in program order, and x86-TSO makes other cores see them in that
    // order; taking the robust lock after the owner died orders everything it wrote before
    // the recovering process's reads anyway). Readers without the lock never look at
    // undoUsed: they check the write version, published before the first change and after
    // the commit (openVersion / closeVersion, ordered as PLAIN_VERSION_STORES says).
    this.mem.i32[(this.hdr + H.undoUsed) >> 2] = need;
  }

  // ---------------------------------------------------------------- the write version

  /** The write version (H.writeVersion): odd while a change is under way. */
  version(): number {
    return Atomics.load(this.mem.i32, (this.hdr + H.writeVersion) >> 2);
  }

  // (a plain load: only the lock holder, this process, writes the version, and taking the
  // lock ordered its last store before this; the stores are ordered for the readers, see
  // PLAIN_VERSION_STORES)
  private openVersion(): void {
    const i32 = this.mem.i32;
    const i = (this.hdr + H.writeVersion) >> 2;
    const v = i32[i]!;
    if ((v & 1) !== 0) return;
    if (PLAIN_VERSION_STORES) i32[i] = (v + 1) | 0;
    else Atomics.store(i32, i, (v + 1) | 0);
  }

  /** Even again (also after a dead writer's operation is rolled back, or found committed). */
  closeVersion(): void {
    const i32 = this.mem.i32;
    const i = (this.hdr + H.writeVersion) >> 2;
    const v = i32[i]!;
    if ((v & 1) === 0) return;
    if (PLAIN_VERSION_STORES) i32[i] = (v + 1) | 0;
    else Atomics.store(i32, i, (v + 1) | 0);
  }

  private backedBytes(): number {
    return this.mem.dv.getFloat64(this.hdr + H.undoBacked, true);
  }

  private back(need: number): void {
    if (need > this.reserve) {
      throw new HeapFullError(
        `operation too large: its undo log needs more than ${this.reserve} bytes`,
        'EUNDOFULL',
      );
    }
    const have = this.backedBytes();
    let want = Math.max(need, have * 2, UNDO_INITIAL);
    want = Math.min(Math.ceil(want / PAGE) * PAGE, this.reserve);
    try {
      this.backing.reserve(this.start + have, want - have);
    } catch (e) {
      const err = e as { code?: string; message?: string };
      throw new HeapFullError(`cannot grow the undo log: ${err.message ?? e}`, err.code === 'ENOSPC' ? 'ENOSPC' : 'OOM');
    }
    this.mem.dv.setFloat64(this.hdr + H.undoBacked, want, true);
    this.backed = want;
  }

  commit(): void {
    // An operation that logged nothing (a read) has nothing to publish or count: it
    // costs no shared write at all.
    if (this.used === 0) {
      this.active = false;
      // (one that logged and was rolled back to its start left the version odd)
      this.closeVersion();
      return;
    }
    const dv = this.mem.dv;
    // The commit point. A plain store, as append()'s publishing of each record (see there):
    // it comes after every change of the operation in program order, and the write
    // version's store (closeVersion) after it.
    this.mem.i32[(this.hdr + H.undoUsed) >> 2] = 0;
    this.closeVersion();
    this.finish();
    dv.setFloat64(this.hdr + H.commits, dv.getFloat64(this.hdr + H.commits, true) + 1, true);
  }

  /**
   * A point inside the open operation that `rollbackTo` can return to (EXEC runs each
   * queued command after one, so a command that fails is undone alone). Lines are logged
   * afresh after it: a line first logged before the savepoint and changed again after it
   * must get a record of its contents at the savepoint, or a partial rollback could not
   * restore them.
   */
  savepoint(): number {
    if (!this.active) throw new Error('heap: savepoint outside an operation');
    this.newLineGeneration();
    return this.used;
  }

  /** Undo the changes logged since `sp` (from savepoint()); the operation stays open. */
  rollbackTo(sp: number): void {
    if (!this.active) throw new Error('heap: rollbackTo outside an operation');
    if (sp >= this.used) return;
    this.restore(sp, this.used);
    this.used = sp;
    Atomics.store(this.mem.i32, (this.hdr + H.undoUsed) >> 2, sp);
    this.newLineGeneration();
  }

  private newLineGeneration(): void {
    this.lineCount = 0;
    this.lastLine = -1;
    if (++this.gen === 0xffffffff) {
      this.gen = 1;
      this.lineGen.fill(0);
    }
  }

  /** Copy back the records in [from, to) of the log, newest first. */
  private restore(from: number, to: number): number {
    const dv = this.mem.dv;
    const starts: number[] = [];
    for (let p = from; p < to; ) {
      const at = this.start + p;
      const len = dv.getUint32(at + 8, true);
      if (dv.getUint32(at + 12, true) !== RECORD_TAG || p + RECORD_HEADER + len > to) {
        throw new Error(`undo log damaged at record offset ${p}`);
      }
      starts.push(at);
      p += RECORD_HEADER + ((len + 7) & ~7);
    }
    for (let i = starts.length - 1; i >= 0; i--) {
      const at = starts[i]!;
      this.mem.copy(dv.getFloat64(at, true), at + RECORD_HEADER, dv.getUint32(at + 8, true));
    }
    return starts.length;
  }

  /** Undo every logged change (ours, or a dead writer's found at lock time). */
  rollback(recovery: boolean): number {
    const dv = this.mem.dv;
    const n = this.restore(0, this.pending());
    Atomics.store(this.mem.i32, (this.hdr + H.undoUsed) >> 2, 0);
    // (a writer that died after its commit's undoUsed = 0 but before this left it odd too)
    this.closeVersion();
    this.finish();
    dv.setFloat64(this.hdr + H.rollbacks, dv.getFloat64(this.hdr + H.rollbacks, true) + 1, true);
    if (recovery) dv.setFloat64(this.hdr + H.recoveries, dv.getFloat64(this.hdr + H.recoveries, true) + 1, true);
    return n;
  }

  private finish(): void {
    const dv = this.mem.dv;
    if (this.used > dv.getFloat64(this.hdr + H.undoPeak, true)) dv.setFloat64(this.hdr + H.undoPeak, this.used, true);
    this.active = false;
    this.used = 0;
    this.newLineGeneration();
    // Keep the set a lazy-free step or a big command needs (64K lines: 768 KB) so that
    // it is not grown again, rehashing, by every such operation; drop it past that.
    if (this.lineKeys.length > LINE_SET * 64) {
      this.lineKeys = new Int32Array(LINE_SET);
      this.lineGen = new Uint32Array(LINE_SET);
      this.lineShift = 32 - Math.log2(LINE_SET);
    }
    // A huge operation backed a big undo region: give it back to tmpfs.
    const backed = this.backedBytes();
    if (backed > UNDO_INITIAL * 8) {
      this.backing.punch(this.start + UNDO_INITIAL, backed - UNDO_INITIAL);
      dv.setFloat64(this.hdr + H.undoBacked, UNDO_INITIAL, true);
      this.backed = UNDO_INITIAL;
    }
  }
}
