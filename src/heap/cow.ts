/**
 * The copy-on-write epoch: while it is open, a reader can see the heap exactly as it was
 * when the epoch began, through a HeapView (src/heap/view.ts), however long it takes and
 * whatever every process writes meanwhile — what an incremental DUMP of a huge value walks
 * a slice at a time (the seed's block-level copy-on-write).
 *
 * It rides on the crash-safety rule that every change of existing bytes is logged (undo)
 * before it is made: during the epoch, the undo log's `log()` first copies the old bytes
 * of each 64-byte line it is asked about aside ("shadows" it), once per line per epoch;
 * the view reads a shadowed line from its copy, any other line from the mapping. Memory
 * freed during the epoch is not given back (new allocations are written without logging,
 * so reused memory would change under the reader): frees are quarantined and released
 * when the epoch ends. Writers in any process do this (the state is in the segment).
 *
 * Shadow entries are written without undo: a writer killed mid-operation leaves shadows
 * of lines its rollback then restores to exactly the shadowed contents (the epoch-start
 * ones), and a half-written shadow is not published (its index entry is written last).
 * When the shadow space is full, the epoch is marked broken: writers stop shadowing, and
 * the reader must give up and fall back (a synchronous dump). The owner may grow the
 * space between its slices (grow()), so that only a burst of writes larger than what is
 * left between two of them can break it.
 *
 * Two kinds of owner: an incremental DUMP, and a snapshot (src/keyspace/snapshot.ts) that
 * reads the big values writers were about to change through the view instead of copying
 * them whole (flag 4). An epoch opened inside an operation shadows what that operation
 * writes after opening it (the snapshot's epoch is opened by the writer that first
 * changes a big value, just before it changes it).
 *
 * State chunk (heap root ROOT_COW, 0 when no epoch; written down once, here):
 *   0   u32 COW_VERSION
 *   4   u32 flags: 1 broken (the shadow overflowed), 2 ending (releasing the quarantine),
 *           4 a snapshot's (else an incremental DUMP's)
 *   8   u32 owner's attach slot (0xffffffff: none)
 *   12  u32 owner's pid
 *   16  f64 start time (ms)
 *   24  u32 index chunk: capacity × {u32 line + 1 (0: empty), u32 data slot}, open addressing
 *   28  u32 index capacity (a power of two)
 *   32  u32 data chunk: capacity × 64-byte lines
 *   36  u32 data capacity (lines)
 *   40  u32 data lines used
 *   44  u32 quarantined chunks
 *   48  f64 first quarantined chunk (payload offset; each holds the next one in its first 8 bytes), 0: none
 *   56  f64 quarantined bytes
 */
import type { Heap } from './heap.js';
import type { HeapView } from './view.js';
import { CHUNK_OVERHEAD, GRANULE } from './layout.js';

const refOf = (p: number): number => (p - CHUNK_OVERHEAD) / GRANULE;
const derefOf = (r: number): number => (r === 0 ? 0 : r * GRANULE + CHUNK_OVERHEAD);

export const ROOT_COW = 63;
export const COW_VERSION = 2;
const LINE = 64;
const C_FLAGS = 4;
const C_OWNER_SLOT = 8;
const C_OWNER_PID = 12;
const C_START = 16;
const C_INDEX = 24;
const C_INDEX_CAP = 28;
const C_DATA = 32;
const C_DATA_CAP = 36;
const C_DATA_USED = 40;
const C_QCOUNT = 44;
const C_QHEAD = 48;
const C_QBYTES = 56;
const STATE_BYTES = 64;
const F_BROKEN = 1;
const F_ENDING = 2;
const F_SNAPSHOT = 4;
const NO_SLOT = 0xffffffff;

export interface CowInfo {
  ownerSlot: number;
  ownerPid: number;
  startedAt: number;
  broken: boolean;
  ending: boolean;
  /** Opened for a snapshot (else for an incremental DUMP). */
  forSnapshot: boolean;
  shadowLines: number;
  /** Lines the shadow has room for. */
  shadowCapacity: number;
  quarantined: number;
  quarantinedBytes: number;
}

/** Knuth's multiplicative hash of a line number into the index. */
function slotOf(line: number, mask: number): number {
  return Math.imul(line, 0x9e3779b1) >>> 0 & mask;
}

/** The part of the epoch's machinery every process runs (the heap and its undo log call it). */
export class CowEpochs {
  private readonly dv: DataView;
  readonly u8: Uint8Array;
  private readonly rootAt: number;

  constructor(private readonly heap: Heap) {
    this.dv = heap.dv;
    this.u8 = heap.mem.u8;
    this.rootAt = heap.rootOffset(ROOT_COW);
  }

  /** The state chunk, 0 when no epoch is open. */
  state(): number {
    return this.dv.getFloat64(this.rootAt, true);
  }

  info(): CowInfo | null {
    const st = this.state();
    if (st === 0) return null;
    const dv = this.dv;
    const flags = dv.getUint32(st + C_FLAGS, true);
    const slot = dv.getUint32(st + C_OWNER_SLOT, true);
    return {
      ownerSlot: slot === NO_SLOT ? -1 : slot,
      ownerPid: dv.getUint32(st + C_OWNER_PID, true),
      startedAt: dv.getFloat64(st + C_START, true),
      broken: (flags & F_BROKEN) !== 0,
      ending: (flags & F_ENDING) !== 0,
      forSnapshot: (flags & F_SNAPSHOT) !== 0,
      shadowLines: dv.getUint32(st + C_DATA_USED, true),
      shadowCapacity: dv.getUint32(st + C_DATA_CAP, true),
      quarantined: dv.getUint32(st + C_QCOUNT, true),
      quarantinedBytes: dv.getFloat64(st + C_QBYTES, true),
    };
  }

  /** Chunks being freed by grow(): released at commit, never quarantined (this process, this operation). */
  private readonly own = new Set<number>();

  /**
   * Open an epoch (inside an operation, lock held): the view sees the heap as it is now;
   * what this operation writes from here on is shadowed too. `shadowBytes`: room for old
   * lines (the epoch breaks when writers change more than that, unless the owner grows it).
   */
  begin(ownerSlot: number, ownerPid: number, now: number, shadowBytes = 16 << 20, forSnapshot = false): void {
    if (this.state() !== 0) throw new Error('a copy-on-write epoch is already open');
    const heap = this.heap;
    const dataCap = Math.max(64, Math.floor(shadowBytes / LINE));
    let indexCap = 1;
    while (indexCap < dataCap * 2) indexCap *= 2;
    const st = heap.alloc(STATE_BYTES);
    const index = heap.alloc(indexCap * 8);
    const data = heap.alloc(dataCap * LINE);
    heap.mem.fill(st, STATE_BYTES, 0);
    heap.mem.fill(index, indexCap * 8, 0);
    const dv = this.dv;
    dv.setUint32(st, COW_VERSION, true);
    dv.setUint32(st + C_OWNER_SLOT, ownerSlot < 0 ? NO_SLOT : ownerSlot, true);
    dv.setUint32(st + C_OWNER_PID, ownerPid, true);
    dv.setFloat64(st + C_START, now, true);
    dv.setUint32(st + C_INDEX, refOf(index), true);
    dv.setUint32(st + C_INDEX_CAP, indexCap, true);
    dv.setUint32(st + C_DATA, refOf(data), true);
    dv.setUint32(st + C_DATA_CAP, dataCap, true);
    if (forSnapshot) dv.setUint32(st + C_FLAGS, F_SNAPSHOT, true);
    heap.setRoot(ROOT_COW, st);
    heap.cowOpened();
  }

  /**
   * Double the shadow's room (the owner, inside an operation, between its slices). False
   * when there is no memory for it: the epoch stays as it is.
   */
  grow(): boolean {
    const st = this.state();
    if (st === 0) return false;
    const dv = this.dv;
    const heap = this.heap;
    if ((dv.getUint32(st + C_FLAGS, true) & (F_BROKEN | F_ENDING)) !== 0) return false;
    const oldIndex = derefOf(dv.getUint32(st + C_INDEX, true));
    const oldIndexCap = dv.getUint32(st + C_INDEX_CAP, true);
    const oldData = derefOf(dv.getUint32(st + C_DATA, true));
    const cap = dv.getUint32(st + C_DATA_CAP, true);
    const used = dv.getUint32(st + C_DATA_USED, true);
    let index: number;
    let data: number;
    try {
      data = heap.alloc(cap * 2 * LINE);
    } catch {
      return false;
    }
    try {
      index = heap.alloc(oldIndexCap * 2 * 8);
    } catch {
      this.own.add(data);
      heap.free(data);
      return false;
    }
    // (new chunks: written without logging; the old ones stay whole until commit)
    this.u8.copyWithin(data, oldData, oldData + used * LINE);
    heap.mem.fill(index, oldIndexCap * 16, 0);
    const mask = oldIndexCap * 2 - 1;
    for (let i = 0; i < oldIndexCap; i++) {
      const k = dv.getUint32(oldIndex + i * 8, true);
      if (k === 0) continue;
      let j = slotOf(k - 1, mask);
      while (dv.getUint32(index + j * 8, true) !== 0) j = (j + 1) & mask;
      dv.setUint32(index + j * 8 + 4, dv.getUint32(oldIndex + i * 8 + 4, true), true);
      dv.setUint32(index + j * 8, k, true);
    }
    heap.log(st + C_INDEX, 16);
    dv.setUint32(st + C_INDEX, refOf(index), true);
    dv.setUint32(st + C_INDEX_CAP, oldIndexCap * 2, true);
    dv.setUint32(st + C_DATA, refOf(data), true);
    dv.setUint32(st + C_DATA_CAP, cap * 2, true);
    this.own.add(oldIndex);
    this.own.add(oldData);
    heap.free(oldIndex);
    heap.free(oldData);
    return true;
  }

  /**
   * Called by the undo log before [off, off+len) changes (every process, every logged
   * write, while an epoch is open): shadow the lines not shadowed yet.
   */
  beforeWrite(off: number, len: number): void {
    const st = this.state();
    if (st === 0) return;
    const dv = this.dv;
    if ((dv.getUint32(st + C_FLAGS, true) & (F_BROKEN | F_ENDING)) !== 0) return;
    const index = derefOf(dv.getUint32(st + C_INDEX, true));
    const mask = dv.getUint32(st + C_INDEX_CAP, true) - 1;
    const data = derefOf(dv.getUint32(st + C_DATA, true));
    const cap = dv.getUint32(st + C_DATA_CAP, true);
    const last = Math.floor((off + len - 1) / LINE);
    for (let line = Math.floor(off / LINE); line <= last; line++) {
      let i = slotOf(line, mask);
      let found = false;
      for (;;) {
        const k = dv.getUint32(index + i * 8, true);
        if (k === 0) break;
        if (k === line + 1) {
          found = true;
          break;
        }
        i = (i + 1) & mask;
      }
      if (found) continue;
      const used = dv.getUint32(st + C_DATA_USED, true);
      if (used >= cap) {
        // no room: the view can no longer be complete; the reader falls back
        dv.setUint32(st + C_FLAGS, dv.getUint32(st + C_FLAGS, true) | F_BROKEN, true);
        return;
      }
      dv.setUint32(st + C_DATA_USED, used + 1, true);
      this.u8.copyWithin(data + used * LINE, line * LINE, line * LINE + LINE);
      dv.setUint32(index + i * 8 + 4, used, true);
      // published last: a writer killed before this line leaves the slot empty
      dv.setUint32(index + i * 8, line + 1, true);
    }
  }

  /**
   * Called by the heap when it is about to release freed chunk p at commit: true when the
   * epoch keeps it (quarantine) instead. Inside the freeing operation (logged).
   */
  quarantine(p: number, bytes: number): boolean {
    const st = this.state();
    if (st === 0) return false;
    // the shadow's own old chunks (grow): nobody reads them through the view
    if (this.own.delete(p)) return false;
    const dv = this.dv;
    if ((dv.getUint32(st + C_FLAGS, true) & F_ENDING) !== 0) return false;
    const heap = this.heap;
    // the link overwrites the chunk's first bytes: logged, so shadowed first
    heap.log(p, 8);
    dv.setFloat64(p, dv.getFloat64(st + C_QHEAD, true), true);
    heap.log(st + C_QCOUNT, 20);
    dv.setUint32(st + C_QCOUNT, dv.getUint32(st + C_QCOUNT, true) + 1, true);
    dv.setFloat64(st + C_QHEAD, p, true);
    dv.setFloat64(st + C_QBYTES, dv.getFloat64(st + C_QBYTES, true) + bytes, true);
    return true;
  }

  /**
   * End the epoch a slice at a time (inside an operation each): frees are no longer
   * quarantined, up to `budget` quarantined chunks are released. True once the epoch is
   * gone (then call no more).
   */
  endStep(budget = 2000): boolean {
    const st = this.state();
    if (st === 0) return true;
    const dv = this.dv;
    const heap = this.heap;
    heap.log(st + C_FLAGS, 4);
    dv.setUint32(st + C_FLAGS, dv.getUint32(st + C_FLAGS, true) | F_ENDING, true);
    let head = dv.getFloat64(st + C_QHEAD, true);
    let n = dv.getUint32(st + C_QCOUNT, true);
    for (let k = 0; k < budget && head !== 0; k++) {
      const next = dv.getFloat64(head, true);
      heap.free(head);
      head = next;
      n--;
    }
    heap.log(st + C_QCOUNT, 12);
    dv.setUint32(st + C_QCOUNT, n, true);
    dv.setFloat64(st + C_QHEAD, head, true);
    if (head !== 0) return false;
    heap.free(derefOf(dv.getUint32(st + C_INDEX, true)));
    heap.free(derefOf(dv.getUint32(st + C_DATA, true)));
    heap.free(st);
    heap.setRoot(ROOT_COW, 0);
    this.own.clear();
    return true;
  }

  /** The heap as it was when the epoch began (valid while it is open and not broken). */
  view(): HeapView {
    return new CowView(this);
  }

  /** Whether the view is still whole (no writer found the shadow full). */
  get whole(): boolean {
    const st = this.state();
    return st !== 0 && (this.dv.getUint32(st + C_FLAGS, true) & F_BROKEN) === 0;
  }

  /** Chunks the epoch owns, for the integrity checker: state, index, data, quarantined chunks. */
  chunks(mark: (p: number, what: string) => void): void {
    const st = this.state();
    if (st === 0) return;
    const dv = this.dv;
    mark(st, 'copy-on-write state');
    mark(derefOf(dv.getUint32(st + C_INDEX, true)), 'copy-on-write index');
    mark(derefOf(dv.getUint32(st + C_DATA, true)), 'copy-on-write lines');
    for (let p = dv.getFloat64(st + C_QHEAD, true); p !== 0; p = dv.getFloat64(p, true)) mark(p, 'quarantined chunk');
  }

  /** Where line `line`'s epoch-start copy is (a byte offset), or -1 when it was not shadowed. */
  shadowOf(line: number): number {
    const st = this.state();
    const dv = this.dv;
    if (dv.getUint32(st + C_DATA_USED, true) === 0) return -1;
    const index = derefOf(dv.getUint32(st + C_INDEX, true));
    const mask = dv.getUint32(st + C_INDEX_CAP, true) - 1;
    let i = slotOf(line, mask);
    for (;;) {
      const k = dv.getUint32(index + i * 8, true);
      if (k === 0) return -1;
      if (k === line + 1) return derefOf(dv.getUint32(st + C_DATA, true)) + dv.getUint32(index + i * 8 + 4, true) * LINE;
      i = (i + 1) & mask;
    }
  }

  /** Lines shadowed so far (0: the view may read the mapping directly). */
  shadowLines(): number {
    const st = this.state();
    return st === 0 ? 0 : this.dv.getUint32(st + C_DATA_USED, true);
  }
}

/** Reads through the shadow: a line copied aside is read from its copy, any other from the mapping. */
class CowView implements HeapView {
  private scratch = new Uint8Array(4096);
  private readonly mem: Uint8Array;
  private readonly dv: DataView;
  private readonly tmp = new DataView(new ArrayBuffer(8));
  private readonly tmpU8 = new Uint8Array(this.tmp.buffer);

  constructor(private readonly cow: CowEpochs) {
    this.mem = cow.u8;
    this.dv = new DataView(cow.u8.buffer, cow.u8.byteOffset, cow.u8.byteLength);
  }

  /**
   * Where to read [off, off+len) when it lies within one line: in the shadow when that line
   * was copied aside, else in the mapping; -1 when it spans lines.
   */
  private within(off: number, len: number): number {
    const line = Math.floor(off / LINE);
    if (Math.floor((off + len - 1) / LINE) !== line) return -1;
    const s = this.cow.shadowOf(line);
    return s < 0 ? off : s + (off - line * LINE);
  }

  bytes(off: number, len: number): Uint8Array {
    if (len === 0) return this.mem.subarray(off, off);
    if (this.cow.shadowLines() === 0) return this.mem.subarray(off, off + len);
    const at = this.within(off, len);
    if (at >= 0) return this.mem.subarray(at, at + len);
    if (this.scratch.length < len) this.scratch = new Uint8Array(Math.max(len, this.scratch.length * 2));
    const out = this.scratch;
    const end = off + len;
    let pos = off;
    while (pos < end) {
      const line = Math.floor(pos / LINE);
      const lineEnd = Math.min(end, (line + 1) * LINE);
      const s = this.cow.shadowOf(line);
      const src = s < 0 ? pos : s + (pos - line * LINE);
      out.set(this.mem.subarray(src, src + (lineEnd - pos)), pos - off);
      pos = lineEnd;
    }
    return out.subarray(0, len);
  }

  private small(off: number, len: number): DataView {
    const b = this.bytes(off, len);
    this.tmpU8.set(b);
    return this.tmp;
  }

  // (nothing shadowed: the mapping itself; a value within one line, the usual case: read
  // where it is, no copy)
  u8(off: number): number {
    return this.cow.shadowLines() === 0 ? this.mem[off]! : this.mem[this.within(off, 1)]!;
  }

  u16(off: number): number {
    const at = this.cow.shadowLines() === 0 ? off : this.within(off, 2);
    return at >= 0 ? this.dv.getUint16(at, true) : this.small(off, 2).getUint16(0, true);
  }

  u32(off: number): number {
    const at = this.cow.shadowLines() === 0 ? off : this.within(off, 4);
    return at >= 0 ? this.dv.getUint32(at, true) : this.small(off, 4).getUint32(0, true);
  }

  f64(off: number): number {
    const at = this.cow.shadowLines() === 0 ? off : this.within(off, 8);
    return at >= 0 ? this.dv.getFloat64(at, true) : this.small(off, 8).getFloat64(0, true);
  }
}
