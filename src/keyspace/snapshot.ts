/**
 * Point-in-time snapshots of the whole keyspace without fork(): what SAVE, BGSAVE and
 * DEBUG RELOAD walk while every process (the server, library processes) goes on writing.
 *
 * The snapshot walks each database's main table in hash order, a slice per operation, with
 * the table's SCAN cursor: a key whose hash is below the cursor has been visited. Until the
 * cursor passes a key, the write seam preserves what the key was when the snapshot began,
 * before any process changes it (Dragonfly's versioned snapshot, made stateless by Dash's
 * hash-ordered cursor):
 *   - a key changed in place (lookupWrite, an expiry set) is copied aside whole;
 *   - a key removed (DEL, expiry, eviction, overwrite) is not freed but moved aside;
 *   - a key added where none was leaves a tombstone aside (the snapshot must not see it).
 * A big value (src/keyspace/valuetypes.ts isBigValue) is not copied before an in-place
 * change: the snapshot pins it instead — a side entry that points at the live entry — and
 * opens the heap's copy-on-write epoch (src/heap/cow.ts) if it is not open yet, so that
 * from then on every writer copies aside only the 64-byte lines it changes, and the walk
 * reads the value as it was through the epoch's view, a slice at a time. The epoch is
 * ended once every pinned value is written.
 * "Aside" is a side table per database (a Dash of entries, keyed like the main tables).
 * The walk emits a key from its side table when it has one there, else from the table;
 * side entries are emitted first and freed early. Everything here is in the segment and
 * undo-logged with the writer's operation, so a library process's write during a server's
 * BGSAVE is preserved like the server's own, and a writer killed mid-operation rolls its
 * side entry back with its change.
 *
 * FLUSHDB hands the flushed table to the snapshot instead of the graveyard (it is buried
 * once walked); SWAPDB swaps which snapshot database each table holds.
 *
 * State chunk (heap root ROOT_SNAPSHOT; 0 when no snapshot runs), written down once:
 *   0   u32 SNAPSHOT_VERSION
 *   4   u32 databases (n)
 *   8   u32 owner's attach slot (0xffffffff: none)
 *   12  u32 owner's pid
 *   16  f64 start time, ms since the epoch
 *   24  u32 snapshot database being walked (n when all are done)
 *   28  u32 values pinned (read through the copy-on-write epoch) and not yet written
 *   32  f64 bytes preserved so far (INFO's rdb_last_cow_size)
 *   40  f64 keys preserved so far
 *   48  per snapshot database s, SDB bytes each:
 *         +0  u32 live database holding it, plus one (0: its table was flushed: see +4)
 *         +4  u32 the table flushed away from it (a main table ref) or 0
 *         +8  u32 cursor (next hash to visit)
 *         +12 u32 1 when walked; 2 when its table is walked but side entries are left
 *         +16 u32 side table ref (0 until something is preserved)
 *         +20 u32 keys when the snapshot began (RESIZEDB's hint)
 *         +24 u32 expiring keys when the snapshot began
 *         +28 u32 side entries holding a value (not tombstones) not yet emitted
 *         +32 u32 pending table ref: those entries again (the side table fills with
 *             tombstones: emitting must not scan past them), 0 until one is preserved
 *         +36 u32 reserved
 *   48 + n*SDB  per live database: u32 snapshot database it holds, plus one (0: none)
 */
import { Heap } from '../heap/heap.js';
import { liveView, type HeapView } from '../heap/view.js';
import { Dash } from '../structs/dash.js';
import { O_KLEN, O_TYPE, O_VLEN, O_VREF, keyAt } from './object.js';

export const ROOT_SNAPSHOT = 1;
export const SNAPSHOT_VERSION = 2;
/** The type code of a tombstone (a side entry saying: no such key when the snapshot began). */
export const OBJ_TOMBSTONE = 255;
/**
 * The type code of a pin: a side entry with the key's header as it was, whose value ref
 * is the live entry (read through the copy-on-write epoch's view).
 */
export const OBJ_PINNED = 254;
/** Room for old lines when a snapshot opens the copy-on-write epoch (its owner grows it: tend). */
const SHADOW_BYTES = 16 << 20;
const LINE = 64;
/** Quarantined chunks released per slice when the epoch ends. */
const END_BUDGET = 256;

const S_VERSION = 0;
const S_DBS = 4;
const S_OWNER_SLOT = 8;
const S_OWNER_PID = 12;
const S_START = 16;
const S_CURRENT = 24;
const S_PINNED = 28;
const S_COW_BYTES = 32;
const S_COW_KEYS = 40;
const S_PER_DB = 48;
const SDB = 40;
const D_LIVE = 0;
const D_DETACHED = 4;
const D_CURSOR = 8;
const D_DONE = 12;
const D_SIDE = 16;
const D_KEYS = 20;
const D_EXPIRES = 24;
const D_PENDING = 28;
const D_PENDING_TABLE = 32;
const NO_SLOT = 0xffffffff;

/** What the snapshot needs from the keyspace (its private parts, handed over by it). */
export interface SnapshotHost {
  readonly heap: Heap;
  readonly databases: number;
  /** Main / expires table ref of a live database. */
  mainRef(db: number): number;
  expiresRef(db: number): number;
  dash(ref: number): Dash;
  /** A deep copy of entry e (same key, value copied by its type), not linked anywhere. */
  deepCopy(e: number): number;
  /** Free an entry with its value (big values through the lazy-free queue). */
  freeEntry(e: number): void;
  /** Heap bytes of an entry and its value (MEMORY USAGE). */
  memoryUsage(e: number): number;
  /** Hand a main table to the graveyard (freed a slice at a time). */
  bury(tableRef: number): void;
  keyHash(e: number): number;
  /**
   * Whether e's value is big and its type can stream it through `view` (then it is pinned,
   * not copied): e as the view shows it.
   */
  pinnable(e: number, view: HeapView): boolean;
}

/**
 * What a snapshot walk step hands its consumer: a key of snapshot database `db`, from the
 * table (with its hash) or (`fromSide`) as preserved. Returning false for a table key defers it: the step
 * stops and the key stays unvisited (writers keep preserving it) until the consumer, having
 * written it some other way (a slice at a time), calls markWritten.
 */
export type SnapshotEmit = (db: number, e: number, fromSide: boolean, hash?: number) => boolean | void;

export interface SnapshotInfo {
  ownerSlot: number;
  ownerPid: number;
  startedAt: number;
  cowBytes: number;
  cowKeys: number;
  /** Snapshot database being walked; `databases` when done. */
  current: number;
}

export class Snapshots {
  private readonly heap: Heap;
  private readonly dv: DataView;
  private readonly u8: Uint8Array;
  private readonly rootAt: number;
  private eqKeyAt = 0;
  private eqKeyLen = 0;
  private readonly eqKey = (ref: number): boolean => {
    const e = Heap.deref(ref);
    return this.dv.getUint32(e + O_KLEN, true) === this.eqKeyLen && this.heap.mem.equals(keyAt(this.u8, e), this.u8, this.eqKeyAt, this.eqKeyLen);
  };

  /** The mapping as a HeapView (made once: the walk asks about every key). */
  private readonly live: HeapView;

  constructor(private readonly host: SnapshotHost) {
    this.heap = host.heap;
    this.live = liveView(host.heap);
    this.dv = host.heap.dv;
    this.u8 = host.heap.mem.u8;
    this.rootAt = host.heap.rootOffset(ROOT_SNAPSHOT);
  }

  /** The state chunk, 0 when no snapshot runs (one read: the seam asks on every change). */
  state(): number {
    const r = this.dv.getFloat64(this.rootAt, true);
    return r === 0 ? 0 : r;
  }

  get running(): boolean {
    return this.dv.getFloat64(this.rootAt, true) !== 0;
  }

  info(): SnapshotInfo | null {
    const st = this.state();
    if (st === 0) return null;
    const dv = this.dv;
    const slot = dv.getUint32(st + S_OWNER_SLOT, true);
    return {
      ownerSlot: slot === NO_SLOT ? -1 : slot,
      ownerPid: dv.getUint32(st + S_OWNER_PID, true),
      startedAt: dv.getFloat64(st + S_START, true),
      cowBytes: dv.getFloat64(st + S_COW_BYTES, true),
      cowKeys: dv.getFloat64(st + S_COW_KEYS, true),
      current: dv.getUint32(st + S_CURRENT, true),
    };
  }

  /** Begin a snapshot: the keyspace as it is now (inside an operation). */
  begin(ownerSlot: number, ownerPid: number, now: number): void {
    if (this.running) throw new Error('a snapshot is already running');
    const host = this.host;
    const n = host.databases;
    const size = S_PER_DB + n * SDB + n * 4;
    const st = this.heap.alloc(size);
    this.heap.mem.fill(st, size, 0);
    const dv = this.dv;
    dv.setUint32(st + S_VERSION, SNAPSHOT_VERSION, true);
    dv.setUint32(st + S_DBS, n, true);
    dv.setUint32(st + S_OWNER_SLOT, ownerSlot < 0 ? NO_SLOT : ownerSlot, true);
    dv.setUint32(st + S_OWNER_PID, ownerPid, true);
    dv.setFloat64(st + S_START, now, true);
    for (let s = 0; s < n; s++) {
      const d = st + S_PER_DB + s * SDB;
      dv.setUint32(d + D_LIVE, s + 1, true);
      dv.setUint32(d + D_KEYS, Math.min(0xffffffff, host.dash(host.mainRef(s)).count()), true);
      dv.setUint32(d + D_EXPIRES, Math.min(0xffffffff, host.dash(host.expiresRef(s)).count()), true);
      dv.setUint32(st + S_PER_DB + n * SDB + s * 4, s + 1, true);
    }
    this.heap.setRoot(ROOT_SNAPSHOT, st);
  }

  // ------------------------------------------------------------ the seam's side

  private dbAt(st: number, s: number): number {
    return st + S_PER_DB + s * SDB;
  }

  /** The snapshot database live database `db` holds, or -1. */
  private origin(st: number, db: number): number {
    const n = this.dv.getUint32(st + S_DBS, true);
    return this.dv.getUint32(st + S_PER_DB + n * SDB + db * 4, true) - 1;
  }

  /** Has the walk passed hash h of snapshot database s? */
  private visited(st: number, s: number, h: number): boolean {
    const d = this.dbAt(st, s);
    if (this.dv.getUint32(d + D_DONE, true) !== 0) return true;
    return h >>> 0 < this.dv.getUint32(d + D_CURSOR, true);
  }

  private sideOf(st: number, s: number, create: boolean): Dash | null {
    return this.tableOf(st, s, D_SIDE, create);
  }

  /** The table of side entries not yet emitted (not tombstones) of snapshot database s. */
  private pendingOf(st: number, s: number, create: boolean): Dash | null {
    return this.tableOf(st, s, D_PENDING_TABLE, create);
  }

  /** The Dash whose ref is at `field` of snapshot database s, made when `create` and missing. */
  private tableOf(st: number, s: number, field: number, create: boolean): Dash | null {
    const at = this.dbAt(st, s) + field;
    let ref = this.dv.getUint32(at, true);
    if (ref === 0) {
      if (!create) return null;
      ref = Heap.ref(Dash.create(this.heap));
      this.heap.log(at, 4);
      this.dv.setUint32(at, ref, true);
    }
    return this.host.dash(ref);
  }

  /** A side entry holding a value (a copy, a taken entry, a pin) joins the pending ones. */
  private addPending(st: number, s: number, h: number, ref: number): void {
    this.pendingOf(st, s, true)!.insert(h, ref);
    const d = this.dbAt(st, s);
    this.heap.log(d + D_PENDING, 4);
    this.dv.setUint32(d + D_PENDING, this.dv.getUint32(d + D_PENDING, true) + 1, true);
  }

  /** It was emitted or written: it leaves them. */
  private dropPending(st: number, s: number, h: number, ref: number): void {
    this.pendingOf(st, s, false)?.remove(h, ref);
    const d = this.dbAt(st, s);
    this.heap.log(d + D_PENDING, 4);
    this.dv.setUint32(d + D_PENDING, Math.max(0, this.dv.getUint32(d + D_PENDING, true) - 1), true);
  }

  private findSide(side: Dash, h: number, e: number): number {
    this.eqKeyAt = keyAt(this.u8, e);
    this.eqKeyLen = this.dv.getUint32(e + O_KLEN, true);
    return side.find(h, this.eqKey);
  }

  /**
   * Called by the seam (only while a snapshot runs) before key `e` (hash h) of live
   * database `db` changes: 'copy' before an in-place change, 'take' when e is being
   * unlinked (the snapshot keeps the entry itself: the caller must then not free it),
   * 'absent' when e is a new entry about to be added where no key was. Returns true when e
   * was taken.
   */
  preserve(db: number, h: number, e: number, how: 'copy' | 'take' | 'absent'): boolean {
    const st = this.state();
    if (st === 0) return false;
    const s = this.origin(st, db);
    if (s < 0 || this.visited(st, s, h)) return false;
    const side = this.sideOf(st, s, true)!;
    if (this.findSide(side, h, e) !== 0) return false;
    let saved: number;
    if (how === 'absent') saved = this.tombstoneOf(e);
    else if (how === 'copy' && (saved = this.pin(st, e)) !== 0) {
      this.heap.log(st + S_COW_KEYS, 8);
      this.dv.setFloat64(st + S_COW_KEYS, this.dv.getFloat64(st + S_COW_KEYS, true) + 1, true);
    } else {
      saved = how === 'take' ? e : this.host.deepCopy(e);
      const bytes = this.host.memoryUsage(saved);
      this.heap.log(st + S_COW_BYTES, 16);
      this.dv.setFloat64(st + S_COW_BYTES, this.dv.getFloat64(st + S_COW_BYTES, true) + bytes, true);
      this.dv.setFloat64(st + S_COW_KEYS, this.dv.getFloat64(st + S_COW_KEYS, true) + 1, true);
    }
    side.insert(h, Heap.ref(saved));
    if (how !== 'absent') this.addPending(st, s, h, Heap.ref(saved));
    return how === 'take';
  }

  /**
   * A pin for e (inside the operation about to change it), or 0 when e is not pinnable or
   * the epoch is someone else's (an incremental DUMP's) or ending: then e is copied.
   */
  private pin(st: number, e: number): number {
    const cow = this.heap.cow;
    const info = cow.info();
    if (info === null) {
      if (!this.host.pinnable(e, this.live)) return 0;
      const slot = this.dv.getUint32(st + S_OWNER_SLOT, true);
      cow.begin(slot === NO_SLOT ? -1 : slot, this.dv.getUint32(st + S_OWNER_PID, true), Date.now(), SHADOW_BYTES, true);
    } else if (!info.forSnapshot || info.broken || info.ending) return 0;
    // The value is the snapshot's (no writer changed it: it has no side entry), but its
    // bytes may have changed since the epoch began in ways that keep the value (SORT turns
    // a listpack sorted set into a skiplist): the walk reads what the view shows, so that
    // is what must stream.
    else if (!this.host.pinnable(e, cow.view())) return 0;
    const t = this.tombstoneOf(e);
    this.u8[t + O_TYPE] = OBJ_PINNED;
    this.dv.setUint32(t + O_VLEN, this.dv.getUint32(e + O_VLEN, true), true);
    this.dv.setUint32(t + O_VREF, Heap.ref(e), true);
    this.heap.log(st + S_PINNED, 4);
    this.dv.setUint32(st + S_PINNED, this.dv.getUint32(st + S_PINNED, true) + 1, true);
    return t;
  }

  /**
   * The walk met big key e of snapshot database s in its table and its consumer will write
   * it a slice at a time: pin it now (inside the walk's operation), so that writers copy
   * only the lines they change. The pin, or 0 when it could not be pinned.
   */
  pinTableKey(s: number, e: number): number {
    const st = this.state();
    if (st === 0 || !this.host.pinnable(e, this.live)) return 0;
    const side = this.sideOf(st, s, true)!;
    const h = this.host.keyHash(e);
    if (this.findSide(side, h, e) !== 0) return 0;
    const p = this.pin(st, e);
    if (p === 0) return 0;
    side.insert(h, Heap.ref(p));
    this.addPending(st, s, h, Heap.ref(p));
    return p;
  }

  /** Whether side entry e is a pin (its value is read through the epoch's view of pinnedEntry(e)). */
  isPin(e: number): boolean {
    return this.u8[e + O_TYPE] === OBJ_PINNED;
  }

  /** The entry a pin points at (read it through `this.heap.cow.view()` only). */
  pinnedEntry(pin: number): number {
    return Heap.deref(this.dv.getUint32(pin + O_VREF, true));
  }

  /**
   * The snapshot's copy-on-write epoch between the consumer's slices (inside an operation):
   * its shadow grown when half full, so that writers do not break it; ended (a slice of
   * quarantined frees at a time) once no pinned value is left to write. False when the
   * epoch broke: the pinned values can no longer be read as they were (the save must fail).
   */
  tend(): boolean {
    const st = this.state();
    if (st === 0) return true;
    const cow = this.heap.cow;
    const info = cow.info();
    if (info === null || !info.forSnapshot) return true;
    if (this.dv.getUint32(st + S_PINNED, true) === 0) {
      // (the shadow is what writers copied for the snapshot: INFO's rdb_last_cow_size)
      if (!info.ending) this.addCowBytes(st, info.shadowLines * LINE);
      // (a few hundred frees per slice: writers wait for the lock meanwhile)
      cow.endStep(END_BUDGET);
      return true;
    }
    if (info.broken) return false;
    if (!info.ending && info.shadowLines * 2 >= info.shadowCapacity) cow.grow();
    return true;
  }

  private addCowBytes(st: number, bytes: number): void {
    this.heap.log(st + S_COW_BYTES, 8);
    this.dv.setFloat64(st + S_COW_BYTES, this.dv.getFloat64(st + S_COW_BYTES, true) + bytes, true);
  }

  /** End the snapshot's epoch at once, if one is open (the snapshot ends or is dropped). */
  private endEpoch(): void {
    const cow = this.heap.cow;
    if (cow.info()?.forSnapshot !== true) return;
    while (!cow.endStep(Infinity));
  }

  /**
   * An in-place change is about to be signalled for e: true when the snapshot still needed
   * e's old value and nobody preserved it (a command that changed a value it did not look
   * up for writing: a bug the seam refuses, rolling the command back).
   */
  missed(db: number, h: number, e: number): boolean {
    const st = this.state();
    if (st === 0) return false;
    const s = this.origin(st, db);
    if (s < 0 || this.visited(st, s, h)) return false;
    const side = this.sideOf(st, s, false);
    return side === null || this.findSide(side, h, e) === 0;
  }

  /**
   * FLUSHDB of live database db, whose old main table is `oldMain`: true when the snapshot
   * took the table (still to be walked), false when the caller buries it.
   */
  flushed(db: number, oldMain: number): boolean {
    const st = this.state();
    if (st === 0) return false;
    const s = this.origin(st, db);
    if (s < 0) return false;
    const dv = this.dv;
    const n = dv.getUint32(st + S_DBS, true);
    this.heap.log(st + S_PER_DB + n * SDB + db * 4, 4);
    dv.setUint32(st + S_PER_DB + n * SDB + db * 4, 0, true);
    const d = this.dbAt(st, s);
    this.heap.log(d, 8);
    dv.setUint32(d + D_LIVE, 0, true);
    if (dv.getUint32(d + D_DONE, true) !== 0) return false;
    dv.setUint32(d + D_DETACHED, oldMain, true);
    return true;
  }

  /** SWAPDB a b (after the tables were swapped). */
  swapped(a: number, b: number): void {
    const st = this.state();
    if (st === 0) return;
    const dv = this.dv;
    const n = dv.getUint32(st + S_DBS, true);
    const oa = st + S_PER_DB + n * SDB + a * 4;
    const ob = st + S_PER_DB + n * SDB + b * 4;
    const sa = dv.getUint32(oa, true);
    const sb = dv.getUint32(ob, true);
    this.heap.log(oa, 4);
    this.heap.log(ob, 4);
    dv.setUint32(oa, sb, true);
    dv.setUint32(ob, sa, true);
    if (sa !== 0) {
      this.heap.log(this.dbAt(st, sa - 1) + D_LIVE, 4);
      dv.setUint32(this.dbAt(st, sa - 1) + D_LIVE, b + 1, true);
    }
    if (sb !== 0) {
      this.heap.log(this.dbAt(st, sb - 1) + D_LIVE, 4);
      dv.setUint32(this.dbAt(st, sb - 1) + D_LIVE, a + 1, true);
    }
  }

  // ------------------------------------------------------------ the walk

  /** RESIZEDB's hint for snapshot database s: keys and expiring keys when the snapshot began. */
  sizes(s: number): { keys: number; expires: number } {
    const st = this.state();
    const d = this.dbAt(st, s);
    return { keys: this.dv.getUint32(d + D_KEYS, true), expires: this.dv.getUint32(d + D_EXPIRES, true) };
  }

  /** Keys of every database when the snapshot began (a progress bar's total). */
  totalKeys(): number {
    const st = this.state();
    if (st === 0) return 0;
    let n = 0;
    for (let s = 0; s < this.dv.getUint32(st + S_DBS, true); s++) n += this.dv.getUint32(this.dbAt(st, s) + D_KEYS, true);
    return n;
  }

  /**
   * Walk on (inside an operation): emit about `budget` keys of the snapshot as it was when
   * it began, in database order, stopping early once `full()` says the consumer has enough.
   * True when the walk is over: every key was emitted and the
   * snapshot's state is gone (the seam preserves nothing more).
   */
  step(budget: number, emit: SnapshotEmit, full?: () => boolean): boolean {
    const st = this.state();
    if (st === 0) return true;
    const dv = this.dv;
    const heap = this.heap;
    const n = dv.getUint32(st + S_DBS, true);
    let left = budget;
    while (left > 0 && (full === undefined || !full())) {
      const s = dv.getUint32(st + S_CURRENT, true);
      if (s >= n) {
        this.release(st);
        return true;
      }
      const d = this.dbAt(st, s);
      // what was preserved first: its memory goes back early
      const side = this.sideOf(st, s, false);
      if (side !== null && dv.getUint32(d + D_PENDING, true) !== 0) {
        const n = this.emitSide(st, s, side, left, emit);
        if (n < 0) return false;
        left -= n;
      }
      if (left <= 0) break;
      if (dv.getUint32(d + D_DONE, true) === 2) {
        if (!this.finishDb(st, s, emit)) return false;
        continue;
      }
      const live = dv.getUint32(d + D_LIVE, true);
      const detached = dv.getUint32(d + D_DETACHED, true);
      const tableRef = live !== 0 ? this.host.mainRef(live - 1) : detached;
      const cursor = dv.getUint32(d + D_CURSOR, true);
      const refs: number[] = [];
      const hashes: number[] = [];
      let next = 0;
      if (tableRef !== 0) {
        const table = this.host.dash(tableRef);
        // small scans, so that `full` is asked often (all of a scan's keys must be emitted)
        next = table.scan(cursor, Math.min(left, 64), refs, hashes);
        let deferredAt = -1;
        for (let i = 0; i < refs.length; i++) {
          const e = Heap.deref(refs[i]!);
          const h = hashes[i]!;
          if (side !== null && this.findSide(side, h, e) !== 0) continue;
          if (emit(s, e, false, h) === false) {
            deferredAt = h;
            break;
          }
        }
        if (deferredAt >= 0) {
          // the walk stops before the deferred key: it and what follows stay unvisited
          heap.log(d + D_CURSOR, 4);
          dv.setUint32(d + D_CURSOR, deferredAt, true);
          return false;
        }
        left -= Math.max(1, refs.length);
      }
      heap.log(d + D_CURSOR, 8);
      if (next !== 0) {
        dv.setUint32(d + D_CURSOR, next, true);
        continue;
      }
      // the table is walked (writers preserve nothing more here): the rest of the side table
      dv.setUint32(d + D_DONE, 2, true);
      if (!this.finishDb(st, s, emit)) return false;
    }
    return false;
  }

  /**
   * Snapshot database s's table is walked: emit the rest of its side table and go on to the
   * next database. False when a side entry was deferred (the consumer is
   * writing it a slice at a time): call again later.
   */
  private finishDb(st: number, s: number, emit: SnapshotEmit): boolean {
    const dv = this.dv;
    const heap = this.heap;
    const d = this.dbAt(st, s);
    const side = this.sideOf(st, s, false);
    if (side !== null) {
      if (this.emitSide(st, s, side, Infinity, emit) < 0 || dv.getUint32(d + D_PENDING, true) !== 0) return false;
      this.freeSide(st, side);
      this.pendingOf(st, s, false)?.destroy();
      heap.log(d + D_SIDE, 4);
      dv.setUint32(d + D_SIDE, 0, true);
      heap.log(d + D_PENDING_TABLE, 4);
      dv.setUint32(d + D_PENDING_TABLE, 0, true);
    }
    heap.log(d + D_DONE, 4);
    dv.setUint32(d + D_DONE, 1, true);
    const detached = dv.getUint32(d + D_DETACHED, true);
    if (detached !== 0) {
      heap.log(d + D_DETACHED, 4);
      dv.setUint32(d + D_DETACHED, 0, true);
      this.host.bury(detached);
    }
    heap.log(st + S_CURRENT, 4);
    dv.setUint32(st + S_CURRENT, s + 1, true);
    return true;
  }

  /**
   * Emit up to `budget` preserved keys of s and free their values, leaving tombstones.
   * Returns how many, or -1 when the consumer deferred one (the step stops there: the
   * entry stays until the consumer, having written it a slice at a time, calls markWritten).
   */
  private emitSide(st: number, s: number, side: Dash, budget: number, emit: SnapshotEmit): number {
    const pending = this.pendingOf(st, s, false);
    if (pending === null) return 0;
    const found: number[] = [];
    const hashes: number[] = [];
    pending.forEachUntil((r, h) => {
      found.push(r);
      hashes.push(h);
      return found.length < budget;
    });
    for (let n = 0; n < found.length; n++) {
      const r = found[n]!;
      const h = hashes[n]!;
      const e = Heap.deref(r);
      if (emit(s, e, true) === false) return -1;
      side.replace(h, r, Heap.ref(this.tombstoneOf(e)));
      this.dropPending(st, s, h, r);
      this.freeSideEntry(st, e);
    }
    return found.length;
  }

  /** Free a side entry no longer in its side table: a tombstone or a pin is one chunk; a copy has its value. */
  private freeSideEntry(st: number, e: number): void {
    const type = this.u8[e + O_TYPE];
    if (type === OBJ_PINNED) {
      this.heap.log(st + S_PINNED, 4);
      this.dv.setUint32(st + S_PINNED, Math.max(0, this.dv.getUint32(st + S_PINNED, true) - 1), true);
    }
    if (type === OBJ_TOMBSTONE || type === OBJ_PINNED) this.heap.free(e);
    else this.host.freeEntry(e);
  }

  /**
   * e's key (deferred by the consumer) is written: a tombstone takes its place in the side
   * table (a preserved copy is freed), so neither the walk, nor emitSide, nor a writer's
   * preserve handles it again (inside an operation).
   */
  markWritten(s: number, e: number): void {
    const st = this.state();
    if (st === 0) return;
    const side = this.sideOf(st, s, true)!;
    const h = this.host.keyHash(e);
    const t = this.tombstoneOf(e);
    const r = this.findSide(side, h, e);
    if (r === 0) {
      side.insert(h, Heap.ref(t));
      return;
    }
    const old = Heap.deref(r);
    side.replace(h, r, Heap.ref(t));
    if (this.u8[old + O_TYPE] === OBJ_TOMBSTONE) this.heap.free(old);
    else {
      this.dropPending(st, s, h, r);
      this.freeSideEntry(st, old);
    }
  }

  /** A new tombstone for e's key: an entry header and the key, type OBJ_TOMBSTONE, no value. */
  private tombstoneOf(e: number): number {
    const klen = this.dv.getUint32(e + O_KLEN, true);
    // (the header as it is, expiry field included: a pin's expiry is its key's)
    const kat = keyAt(this.u8, e) - e;
    const t = this.heap.alloc(kat + klen);
    this.heap.mem.copy(t, e, kat + klen);
    this.u8[t + O_TYPE] = OBJ_TOMBSTONE;
    this.dv.setUint32(t + O_VLEN, 0, true);
    this.dv.setUint32(t + O_VREF, 0, true);
    return t;
  }

  private freeSide(st: number, side: Dash): void {
    side.forEach((r) => this.freeSideEntry(st, Heap.deref(r)));
    side.destroy();
  }

  private release(st: number): void {
    this.endEpoch();
    this.heap.setRoot(ROOT_SNAPSHOT, 0);
    this.heap.free(st);
  }

  /**
   * Drop the running snapshot (inside an operation): what was preserved is freed, tables
   * flushed away from it go to the graveyard. Its owner died, or gave up.
   */
  abort(): void {
    const st = this.state();
    if (st === 0) return;
    const dv = this.dv;
    const n = dv.getUint32(st + S_DBS, true);
    for (let s = 0; s < n; s++) {
      const d = this.dbAt(st, s);
      const side = dv.getUint32(d + D_SIDE, true);
      if (side !== 0) this.freeSide(st, this.host.dash(side));
      const pending = dv.getUint32(d + D_PENDING_TABLE, true);
      if (pending !== 0) this.host.dash(pending).destroy();
      const detached = dv.getUint32(d + D_DETACHED, true);
      if (detached !== 0) this.host.bury(detached);
    }
    this.release(st);
  }

  /** Every chunk the snapshot owns, for the integrity checker (tables flushed to it included). */
  chunks(mark: (p: number, what: string) => void, markEntry: (e: number, what: string) => void): void {
    const st = this.state();
    if (st === 0) return;
    mark(st, 'snapshot state');
    const dv = this.dv;
    const n = dv.getUint32(st + S_DBS, true);
    for (let s = 0; s < n; s++) {
      const d = this.dbAt(st, s);
      const side = dv.getUint32(d + D_SIDE, true);
      if (side !== 0) {
        const t = this.host.dash(side);
        mark(t.table, 'snapshot side table');
        t.forEachChunk((p) => mark(p, 'snapshot side table chunk'));
        t.forEach((r) => {
          const e = Heap.deref(r);
          if (this.u8[e + O_TYPE] === OBJ_TOMBSTONE) mark(e, 'snapshot tombstone');
          else if (this.u8[e + O_TYPE] === OBJ_PINNED) mark(e, 'snapshot pin');
          else markEntry(e, 'snapshot copy');
        });
      }
      const pending = dv.getUint32(d + D_PENDING_TABLE, true);
      if (pending !== 0) {
        const t = this.host.dash(pending);
        mark(t.table, 'snapshot pending table');
        t.forEachChunk((p) => mark(p, 'snapshot pending table chunk'));
      }
    }
  }

  /** Main tables flushed away from the snapshot and not yet walked (the checker walks their entries). */
  detachedTables(): number[] {
    const st = this.state();
    if (st === 0) return [];
    const out: number[] = [];
    const n = this.dv.getUint32(st + S_DBS, true);
    for (let s = 0; s < n; s++) {
      const r = this.dv.getUint32(this.dbAt(st, s) + D_DETACHED, true);
      if (r !== 0) out.push(r);
    }
    return out;
  }
}
