/**
 * The keyspace: databases of keys in the block heap, the lookups (with lazy expiry), and
 * the ONE WRITE SEAM every change of a key passes through — by any command of any type, by
 * lazy and active expiry, by eviction, by flushes — with the reason of the change (Redis's
 * dbAdd / setKey / dbDelete + signalModifiedKey, Dragonfly's DbSlice). The seam keeps the
 * tables in step (main and expires), frees what a removed value owned through its type
 * (src/keyspace/valuetypes.ts), and records the change where every process can see it:
 * the change ring (WATCH across processes, later invalidation and snapshots), the shared
 * counters (INFO's expired_keys, evicted_keys, dirty…), and this process's change hooks.
 *
 * What a value holds is its type's business (src/types/<type>/): a type builds entries
 * with newEntry() and hands them to the seam.
 */
import { Heap, type Savepoint } from '../heap/heap.js';
import type { Backing } from '../heap/backing.js';
import { HeapFormatError, HeapFullError } from '../heap/errors.js';
import { Dash } from '../structs/dash.js';
import { hashBytes } from '../structs/hash.js';
import { futexWake } from '../shm/futex.js';
import { ChangeRing, CH_FLUSHDB, CH_KEY, CH_SWAPDB, DEFAULT_CHANGES_CAPACITY, REASON, isRemoval, changesBytes, formatChanges, type Reason } from './changes.js';
import { Counters, C_DIRTY, C_EVICTED, C_EXPIRED, C_HITS, C_MISSES, countersBytes, formatCounters } from './counters.js';
import { Settings, SETTING_SLOT, formatSettings, settingsBytes } from './settings.js';
import { DEFAULT_ACCESS, freshStamp, idleSeconds, lfuCounter, restoredStamp, touchedStamp, type AccessPolicy } from './access.js';
import { Evictor, evictionBudgetMs, type EvictResult } from './evict.js';
import { isBigValue, valueType } from './valuetypes.js';
import { Snapshots } from './snapshot.js';
import { Peek } from './peek.js';
import { DEFAULT_RING_CAPACITY, PubsubArea, formatPubsub, pubsubBytes } from '../pubsub/area.js';
import { MAXMEMORY_POLICIES, type MaxmemoryPolicy } from '../config/config.js';
import { LAYOUT_EXPIRE, O_ENC, O_EXPIRE, O_FLAGS, O_KEY, O_KEY_EXPIRE, O_KLEN, O_LAYOUT, O_LRU, O_TYPE, O_VLEN, O_VREF, keyAt } from './object.js';

/** The global `performance` is a lazy getter: read it once, not per command. */
const perf = globalThis.performance;

/**
 * The keyspace header (heap root ROOT_KEYSPACE), written down once:
 *   0  u32 KEYSPACE_VERSION
 *   4  u32 databases
 *   8  u32 graveyard count (tables of flushed databases still being freed)
 *   12 u32 settings ref   (src/keyspace/settings.ts)
 *   16 u32 counters ref   (src/keyspace/counters.ts)
 *   20 u32 change ring ref (src/keyspace/changes.ts)
 *   24 f64 time of the last active-expiry cycle, ms (a hint shared by the processes: not logged)
 *   32 i32 key-ready sequence: a futex word, bumped after an operation that added or changed
 *          keys when some process waits for keys (blocking commands); not logged
 *   36 i32 key waiters: processes waiting on that word now (Atomics; a crashed waiter leaves
 *          it high, which costs wake-ups that nobody hears, nothing else); not logged
 *   40 u32 lazy-free queue ref: big values deleted but not yet freed (see pushLazy), a chunk of
 *          u32 count, u32 capacity, then capacity × {u32 type code, u32 the type's handle}
 *   44 u32 pub/sub area ref (src/pubsub/area.ts): 0 until a process first uses pub/sub, then
 *          made under the write lock (segments made before it have 0 here too)
 *   48 per database: u32 main table ref, u32 expires table ref
 *   48 + 8 * databases: u32 graveyard table refs × GRAVEYARD_SLOTS
 */
export const ROOT_KEYSPACE = 0;
export const KEYSPACE_VERSION = 4;
/**
 * lazyFreeAll's single operation: at most this many entries (and elements of big values
 * they queue), and at most this many runs of neighbouring chunks to release (each logs a
 * few 64-byte lines: ~16 MB of undo records at most).
 */
const WHOLE_FREE_BUDGET = 1 << 21;
const WHOLE_FREE_MAX_RUNS = 1 << 15;
/** What lazyFreeAll's single operation throws to roll itself back when its frees are scattered. */
const SCATTERED = new Error('flushed entries too scattered to free in one operation');
const K_VERSION = 0;
const K_DATABASES = 4;
const K_GRAVE_COUNT = 8;
const K_SETTINGS = 12;
const K_COUNTERS = 16;
const K_CHANGES = 20;
const K_LAST_CYCLE = 24;
const K_READY_SEQ = 32;
const K_KEY_WAITERS = 36;
const K_LAZY = 40;
const K_PUBSUB = 44;
const K_DBS = 48;
const LAZY_INITIAL = 16;
const GRAVEYARD_SLOTS = 64;
/** How often the cron gives free memory back to tmpfs. */
const TRIM_INTERVAL_MS = 1000;
/** Active expiry runs at least this often in some process (Redis's hz 10). */
const CYCLE_INTERVAL_MS = 100;

const EMPTY_PROBE = new Uint8Array(0);

/** An absolute expiry in ms: a number, or a bigint past 2^53 (Redis allows any int64). 0 = none. */
export type Expiry = number | bigint;

export class WrongTypeError extends Error {
  constructor() {
    super('WRONGTYPE Operation against a key holding the wrong kind of value');
  }
}

/** A command's failure that Redis reports as an error reply (the message is the reply). */
export class ReplyError extends Error {}

/** Called by the seam for every change of a key made by this process. */
export type KeyChangeHook = (db: number, hash: number, reason: Reason, e: number) => void;

export interface MemoryStats {
  /** Bytes handed out by the heap to live objects (Redis's used_memory). */
  usedMemory: number;
  /** Bytes of the segment backed by memory (what tmpfs holds: like used_memory_rss). */
  committed: number;
  /** Virtual bytes mapped (the growth limit). */
  reserved: number;
  /** Highest usedMemory seen since the segment was created. */
  peak: number;
  /** committed / usedMemory. */
  fragmentation: number;
}

/** maxmemory and its policy, as the shared settings say now. */
export interface MemoryLimits {
  maxmemory: number;
  policy: MaxmemoryPolicy;
  samples: number;
  budgetMs: number;
}

export class Keyspace {
  readonly heap: Heap;
  readonly databases: number;
  /** Segment name the keyspace lives in ('memory' for a plain backing). */
  readonly name: string;
  /** The command clock: read once per operation (once per batch of pipelined commands), like Redis's cached mstime. */
  now = Date.now();
  readonly changes: ChangeRing;
  readonly counters: Counters;
  readonly settings: Settings;
  /** The running point-in-time snapshot, if any (src/keyspace/snapshot.ts): the seam preserves what it still needs. */
  readonly snapshots: Snapshots;
  /** How accesses are recorded, derived from the shared settings (maxmemory-policy, lfu-*). */
  access: AccessPolicy = { ...DEFAULT_ACCESS };
  /** maxmemory and its policy, derived from the shared settings. */
  readonly limits: MemoryLimits = { maxmemory: 0, policy: 'noeviction', samples: 5, budgetMs: evictionBudgetMs(10) };
  /**
   * Bytes of the keyspace's own fixed structures (header, settings, counters, change
   * ring): in used_memory, but not what maxmemory limits (Redis's mem_not_counted_for_evict).
   */
  private readonly baseFixedBytes: number;
  /** The pub/sub area, once this process has seen it. */
  private pubsub: PubsubArea | null = null;
  private settingsGen = -1;
  private batch = false;
  private depth = 0;
  private readonly afterCommitTasks: (() => void)[] = [];
  /** Emissions of the current operation that survive its rollback (see stickyEmit). */
  private readonly sticky: (() => void)[] = [];
  private readonly hooks: KeyChangeHook[] = [];
  /** An operation since the last unlock added or changed a key: waiting processes are woken at unlock. */
  private keysReady = false;
  /** Int32 indices of the key-ready futex word and the waiter count (header K_READY_SEQ, K_KEY_WAITERS). */
  private readonly readyIdx: number;
  private readonly waitersIdx: number;
  private readonly dv: DataView;
  private readonly u8: Uint8Array;
  private readonly tableCache = new Map<number, Dash>();
  private probe: Uint8Array = EMPTY_PROBE;
  private probeStart = 0;
  private probeLen = 0;
  private probeHash = 0;
  /**
   * The entry lookupWrite found last in the open operation, and its key's hash: a command
   * that changes the value in place then passes the seam (modified) without the hash, and
   * keyHash would hash the key's bytes again. An offset names one entry for the whole
   * operation (frees wait for its commit); cleared (0) when an operation starts or ends and
   * at a rollback to a savepoint (after which an offset may be allocated again).
   */
  private writeEntry = 0;
  private writeHash = 0;
  private readonly eqProbe = (ref: number): boolean => {
    const e = Heap.deref(ref);
    return this.dv.getUint32(e + O_KLEN, true) === this.probeLen && this.heap.mem.equals(keyAt(this.u8, e), this.probe, this.probeStart, this.probeLen);
  };
  private onClose: (() => void) | null;

  private constructor(heap: Heap, name: string, slot: number, onClose: (() => void) | null) {
    this.heap = heap;
    this.dv = heap.dv;
    this.u8 = heap.mem.u8;
    this.name = name;
    this.onClose = onClose;
    const k = this.meta();
    const version = this.dv.getUint32(k + K_VERSION, true);
    if (version !== KEYSPACE_VERSION) {
      throw new HeapFormatError(`keyspace layout version ${version}, this build reads version ${KEYSPACE_VERSION}`);
    }
    this.databases = this.dv.getUint32(k + K_DATABASES, true);
    this.settings = new Settings(heap, Heap.deref(this.dv.getUint32(k + K_SETTINGS, true)), (fn) => this.exec(fn));
    this.counters = new Counters(heap, Heap.deref(this.dv.getUint32(k + K_COUNTERS, true)), slot);
    this.changes = new ChangeRing(heap, Heap.deref(this.dv.getUint32(k + K_CHANGES, true)));
    this.snapshots = new Snapshots({
      heap,
      databases: this.databases,
      mainRef: (db) => this.dv.getUint32(this.meta() + K_DBS + db * 8, true),
      expiresRef: (db) => this.dv.getUint32(this.meta() + K_DBS + db * 8 + 4, true),
      dash: (ref) => this.table(ref),
      deepCopy: (e) => {
        const ne = this.cloneEntry(e, this.keyOf(e));
        valueType(this.type(e)).copy(this, e, ne);
        return ne;
      },
      freeEntry: (e) => this.freeEntry(e),
      memoryUsage: (e) => this.memoryUsage(e),
      bury: (ref) => this.bury(ref),
      keyHash: (e) => this.keyHash(e),
      pinnable: (e, view) => isBigValue(this, e) && valueType(this.type(e)).rdbStream?.(this, view, e) !== undefined,
    });
    // a pub/sub area made by another build must not be read (its version is checked here)
    this.pubsubArea(false);
    this.readyIdx = (k + K_READY_SEQ) >> 2;
    this.waitersIdx = (k + K_KEY_WAITERS) >> 2;
    let fixed = 0;
    for (const p of this.ownChunks()) fixed += heap.usable(p) + 8;
    this.baseFixedBytes = fixed;
    this.refreshSettings();
  }

  /**
   * Open the keyspace in a backing, formatting heap and keyspace when the backing is new
   * (or was left half-formatted). Rolls back a dead writer's operation if there is one.
   */
  static open(backing: Backing, opts: { name?: string; databases?: number; slot?: number; onClose?: () => void } = {}): Keyspace {
    backing.lock();
    let heap: Heap;
    try {
      heap = Heap.isFormatted(backing) ? Heap.open(backing) : Heap.format(backing);
    } catch (e) {
      backing.unlock();
      throw e;
    }
    backing.unlock();
    heap.lock();
    let created = false;
    try {
      if (heap.getRoot(ROOT_KEYSPACE) === 0) {
        created = true;
        const databases = opts.databases ?? 16;
        heap.atomically(() => {
          const size = K_DBS + databases * 8 + GRAVEYARD_SLOTS * 4;
          const k = heap.alloc(size);
          heap.mem.fill(k, size, 0);
          const dv = heap.dv;
          dv.setUint32(k + K_VERSION, KEYSPACE_VERSION, true);
          dv.setUint32(k + K_DATABASES, databases, true);
          const settings = heap.alloc(settingsBytes());
          formatSettings(heap, settings);
          dv.setUint32(k + K_SETTINGS, Heap.ref(settings), true);
          const counters = heap.alloc(countersBytes());
          formatCounters(heap, counters);
          dv.setUint32(k + K_COUNTERS, Heap.ref(counters), true);
          const changes = heap.alloc(changesBytes(DEFAULT_CHANGES_CAPACITY));
          formatChanges(heap, changes, DEFAULT_CHANGES_CAPACITY);
          dv.setUint32(k + K_CHANGES, Heap.ref(changes), true);
          const lazy = heap.alloc(8 + LAZY_INITIAL * 8);
          dv.setUint32(lazy, 0, true);
          dv.setUint32(lazy + 4, LAZY_INITIAL, true);
          dv.setUint32(k + K_LAZY, Heap.ref(lazy), true);
          for (let i = 0; i < databases; i++) {
            dv.setUint32(k + K_DBS + i * 8, Heap.ref(Dash.create(heap)), true);
            dv.setUint32(k + K_DBS + i * 8 + 4, Heap.ref(Dash.create(heap)), true);
          }
          heap.setRoot(ROOT_KEYSPACE, k);
        });
      }
    } finally {
      heap.unlock();
    }
    const ks = new Keyspace(heap, opts.name ?? 'memory', opts.slot ?? -1, opts.onClose ?? null);
    ks.created = created;
    return ks;
  }

  /** This open made the keyspace (a new segment): a server then loads its RDB file. */
  created = false;

  private meta(): number {
    return this.heap.getRoot(ROOT_KEYSPACE);
  }

  private table(ref: number): Dash {
    let d = this.tableCache.get(ref);
    if (d === undefined) {
      if (this.tableCache.size > 256) this.tableCache.clear();
      d = new Dash(this.heap, Heap.deref(ref));
      this.tableCache.set(ref, d);
    }
    return d;
  }

  /** The main table's Dash of each database, remembered by ref (another process may swap tables). */
  private readonly mainRef: number[] = [];
  private readonly mainDash: Dash[] = [];

  main(db: number): Dash {
    const ref = this.dv.getUint32(this.meta() + K_DBS + db * 8, true);
    if (this.mainRef[db] === ref) return this.mainDash[db]!;
    const d = this.table(ref);
    this.mainRef[db] = ref;
    this.mainDash[db] = d;
    return d;
  }

  expires(db: number): Dash {
    return this.table(this.dv.getUint32(this.meta() + K_DBS + db * 8 + 4, true));
  }

  // ---------------------------------------------------------------- shared settings

  /** Re-derive what depends on the shared settings if a process changed them. Cheap: one read. */
  refreshSettings(): void {
    const gen = this.settings.generation();
    if (gen === this.settingsGen) return;
    this.settingsGen = gen;
    const s = this.settings;
    const maxmemory = s.slot(SETTING_SLOT.maxmemory!);
    const policy = MAXMEMORY_POLICIES[s.slot(SETTING_SLOT['maxmemory-policy']!)] ?? 'noeviction';
    this.limits.maxmemory = maxmemory;
    this.limits.policy = policy;
    this.limits.samples = s.slot(SETTING_SLOT['maxmemory-samples']!);
    this.limits.budgetMs = evictionBudgetMs(s.slot(SETTING_SLOT['maxmemory-eviction-tenacity']!));
    this.access = {
      lfu: policy.endsWith('-lfu'),
      logFactor: s.slot(SETTING_SLOT['lfu-log-factor']!),
      decayMinutes: s.slot(SETTING_SLOT['lfu-decay-time']!),
      // Redis shares integer objects unless maxmemory evicts by LRU/LFU (which needs each key's own data)
      sharedIntegers: maxmemory === 0 || !/-(lru|lfu)$/.test(policy),
    };
  }

  // ---------------------------------------------------------------- operations and locking

  /**
   * Run fn atomically: under the cross-process write lock (unless a batch holds it), as
   * one undo-logged operation. If fn throws, everything it did is rolled back and the error
   * rethrown: nothing is ever half-applied. Nested calls (EXEC's commands, a CONFIG SET
   * inside a transaction) run inside the outer operation after a savepoint, so a nested
   * failure undoes only its own part and the whole still commits or rolls back as one.
   */
  exec<T>(fn: () => T): T {
    const heap = this.heap;
    if (this.depth > 0) {
      const sp = heap.savepoint();
      const mark = this.sticky.length;
      this.depth++;
      try {
        return fn();
      } catch (e) {
        heap.rollbackTo(sp);
        this.writeEntry = 0;
        // (inside the outer operation: kept there, and replayed again if it rolls back)
        for (let i = mark; i < this.sticky.length; i++) this.sticky[i]!();
        throw this.mapError(e);
      } finally {
        this.depth--;
      }
    }
    const own = !this.batch;
    if (own) {
      heap.lock();
      // held until the end, after-commit work included: what runs inside must not lock again
      this.batch = true;
      this.now = Date.now();
      this.refreshSettings();
      if (this.peek.pending !== 0) this.peek.flush();
    }
    try {
      heap.begin();
      this.depth = 1;
      this.writeEntry = 0;
      let r: T;
      try {
        r = fn();
        heap.commit();
        // (setting an array's length is a runtime call, ~35 ns, even when it is already 0)
        if (this.sticky.length !== 0) this.sticky.length = 0;
      } catch (e) {
        heap.abort();
        if (this.afterCommitTasks.length !== 0) this.afterCommitTasks.length = 0;
        this.depth = 0;
        this.replaySticky();
        throw this.mapError(e);
      } finally {
        this.depth = 0;
        this.writeEntry = 0;
        if (this.freshOp) this.endFreshTables();
      }
      if (this.afterCommitTasks.length > 0) {
        // still under this call's lock: the tasks' own operations must not take it again
        const batch = this.batch;
        this.batch = true;
        try {
          this.runAfterCommit();
        } finally {
          this.batch = batch;
        }
      }
      return r;
    } finally {
      if (own) {
        this.batch = false;
        heap.unlock();
        if (this.keysReady) this.wakeKeyWaiters();
      }
    }
  }

  /**
   * Run `emit` now, and again should the operation around it roll back: for what Redis does
   * at the moment of a lookup whatever the command does next — a keymiss event of a
   * command that then fails (SUNION of a missing key and a string) is still sent. What
   * `emit` writes to the segment is undone with the operation, hence the replay.
   */
  stickyEmit(emit: () => void): void {
    emit();
    if (this.depth > 0) this.sticky.push(emit);
  }

  /** After a rollback: the sticky emissions again, in an operation of their own. */
  private replaySticky(): void {
    if (this.sticky.length === 0) return;
    const tasks = this.sticky.splice(0);
    const heap = this.heap;
    heap.begin();
    this.depth = 1;
    this.writeEntry = 0;
    try {
      for (const t of tasks) t();
      heap.commit();
    } catch {
      heap.abort();
    } finally {
      this.depth = 0;
      this.writeEntry = 0;
      this.sticky.length = 0;
    }
  }

  /** Out of shared memory is Redis's OOM error, not an internal failure. */
  private mapError(e: unknown): unknown {
    return e instanceof HeapFullError ? new ReplyError(`OOM ${e.message}`) : e;
  }

  /**
   * Run fn once the outermost operation has committed (still under the lock, outside any
   * operation): work too large for one operation that must still happen before the reply,
   * like freeing a flushed database (FLUSHALL SYNC), whether or not a transaction holds the
   * flush. Dropped if the operation rolls back.
   */
  afterCommit(fn: () => void): void {
    if (this.depth === 0) fn();
    else this.afterCommitTasks.push(fn);
  }

  private runAfterCommit(): void {
    const tasks = this.afterCommitTasks.splice(0);
    for (const t of tasks) t();
  }

  /** Inside exec(). */
  get inOperation(): boolean {
    return this.depth > 0;
  }

  /** A point of the open operation to come back to (see Heap.savepoint). */
  savepoint(): Savepoint {
    return this.heap.savepoint();
  }

  rollbackTo(sp: Savepoint): void {
    this.heap.rollbackTo(sp);
    this.writeEntry = 0;
  }

  /** Hold the write lock across several exec() calls (all commands of one read event). */
  lockBatch(now = Date.now()): void {
    this.heap.lock();
    this.batch = true;
    this.now = now;
    this.refreshSettings();
    if (this.peek.pending !== 0) this.peek.flush();
  }

  /** Write the accesses that reads without the lock queued (before a close: nobody else will). */
  flushPeeks(): void {
    if (this.peek.pending === 0) return;
    if (this.batch) {
      this.peek.flush();
      return;
    }
    this.heap.lock();
    try {
      this.peek.flush();
    } finally {
      this.heap.unlock();
    }
  }

  unlockBatch(): void {
    this.batch = false;
    this.heap.unlock();
    if (this.keysReady) this.wakeKeyWaiters();
  }

  // ---------------------------------------------------------------- waking processes that wait for keys

  /**
   * Blocking commands (BLPOP…) wait for keys across processes: a waiting process reads
   * readySeq(), checks its keys, and sleeps on the word (futexWait / futexWaitAsync) while
   * it has not changed; every process bumps it and wakes the sleepers after an operation
   * that added or changed a key, but only while someone waits (one Atomics.load otherwise).
   * What changed is in the change ring; the word only says "look".
   */
  readyWord(): { i32: Int32Array; index: number } {
    return { i32: this.heap.mem.i32, index: this.readyIdx };
  }

  readySeq(): number {
    return Atomics.load(this.heap.mem.i32, this.readyIdx);
  }

  /** This process starts (+1) or stops (-1) waiting on the key-ready word. */
  keyWaiter(delta: 1 | -1): void {
    Atomics.add(this.heap.mem.i32, this.waitersIdx, delta);
  }

  private wakeKeyWaiters(): void {
    this.keysReady = false;
    const i32 = this.heap.mem.i32;
    if (Atomics.load(i32, this.waitersIdx) <= 0) return;
    Atomics.add(i32, this.readyIdx, 1);
    futexWake(i32, this.readyIdx, 0x7fffffff);
  }

  get batchLocked(): boolean {
    return this.batch;
  }

  // ---------------------------------------------------------------- the seam: recording a change

  /** The change being signalled unlinks the key (removeEntry), whatever its reason: for change hooks. */
  signalRemoves = false;
  /**
   * The command this process is running (set by the engine; null outside commands: active
   * expiry, eviction): keyspace notifications name their events after it.
   */
  cmdName: string | null = null;
  cmdArgv: Buffer[] | null = null;
  /** Bumped by the engine for every command run (tells one command's changes from the next's). */
  cmdSerial = 0;
  /** Called when a read lookup misses (keyspace notifications' keymiss), or null. */
  missHook: ((db: number, key: Uint8Array) => void) | null = null;
  /** Whether a miss would send an event through missHook now (a read without the lock then leaves it to the lock). */
  keyMissWanted: () => boolean = () => true;
  /** Reads without the lock (src/keyspace/peek.ts), and the accesses they queued. */
  readonly peek: Peek = new Peek(this);
  /** Called when this process flushes a database (client-side caching's null invalidation), or null. */
  flushHook: ((db: number) => void) | null = null;

  /** Listen to every change of a key this process makes (keyspace notifications, tracking…). */
  addChangeHook(h: KeyChangeHook): void {
    this.hooks.push(h);
  }

  removeChangeHook(h: KeyChangeHook): void {
    const i = this.hooks.indexOf(h);
    if (i >= 0) this.hooks.splice(i, 1);
  }

  /** Record a change of key (db, hash) for every process: ring, counters, hooks. */
  private signal(db: number, hash: number, reason: Reason, e: number, expiredAt = 0): void {
    // an expiry deletion records when the key expired, not when it was deleted: a WATCH
    // replaying a SWAPDB needs to know whether the key was already expired at that point
    this.changes.append(CH_KEY, db, hash, reason, reason === REASON.expired && expiredAt !== 0 ? expiredAt : this.now);
    // a key that is there after the change may be what a blocked client waits for
    if (reason !== REASON.expire && reason !== REASON.persist && !isRemoval(reason)) this.keysReady = true;
    if (reason === REASON.expired) this.counters.add(C_EXPIRED, 1);
    else if (reason === REASON.evicted) this.counters.add(C_EVICTED, 1);
    // one change per key changed by a command (a rename's source and a move's source are
    // the same change as their destination)
    else if (reason !== REASON.renamedFrom && reason !== REASON.movedFrom) this.counters.add(C_DIRTY, 1);
    if (this.hooks.length > 0) for (const h of this.hooks) h(db, hash, reason, e);
  }

  /** The hash of an entry's key. */
  keyHash(e: number): number {
    // the entry lookupWrite found last: its key's hash is known (see writeEntry)
    if (e === this.writeEntry) return this.writeHash;
    return hashBytes(this.u8, keyAt(this.u8, e), this.keyLength(e));
  }

  // ---------------------------------------------------------------- lookup

  private setProbe(key: Uint8Array, start: number, len: number): number {
    this.probe = key;
    this.probeStart = start;
    this.probeLen = len;
    return (this.probeHash = hashBytes(key, start, len));
  }

  /**
   * Drop the probe's reference to the last key looked up: hashOf() recognises a key by
   * identity, and a caller that reuses one Buffer for different keys (the library's
   * scratch arguments) must not have the next key taken for the last.
   */
  forgetProbe(): void {
    this.probe = EMPTY_PROBE;
  }

  /** The hash of `key`, reusing the last lookup's when it was this key. */
  hashOf(key: Uint8Array): number {
    return this.probe === key && this.probeStart === 0 && this.probeLen === key.length ? this.probeHash : this.setProbe(key, 0, key.length);
  }

  /** The entry of a key as stored, expired or not (Redis's dictFind, for WATCH), or 0. */
  findRaw(db: number, key: Uint8Array): number {
    const h = this.setProbe(key, 0, key.length);
    return Heap.deref(this.main(db).find(h, this.eqProbe));
  }

  /**
   * Expired keys are not deleted on the way (they still look gone): set by this process's
   * engine while CLIENT PAUSE holds expiry, for commands that do not write.
   */
  keepExpired = false;

  /** Entry offset of a live key (an expired key is deleted on the way, through the seam), or 0. */
  find(db: number, key: Uint8Array): number {
    const h = this.setProbe(key, 0, key.length);
    const ref = this.main(db).find(h, this.eqProbe);
    if (ref === 0) return 0;
    const e = Heap.deref(ref);
    const at = this.expireAt(e);
    if (at !== 0 && at <= this.now) {
      if (!this.keepExpired) this.removeEntry(db, e, REASON.expired, h);
      return 0;
    }
    return e;
  }

  /** find() that counts a hit or a miss and, unless `touch` is false (LOOKUP_NOTOUCH), is an access (read commands). */
  lookupRead(db: number, key: Uint8Array, touch = true): number {
    const e = this.find(db, key);
    if (e === 0) {
      this.counters.add(C_MISSES, 1);
      if (this.missHook !== null) this.missHook(db, key);
    } else {
      this.counters.add(C_HITS, 1);
      if (touch) this.touchEntry(e);
    }
    return e;
  }

  /** find() for a command about to write the key: counts as an access (lookupKeyWrite). */
  lookupWrite(db: number, key: Uint8Array): number {
    const e = this.find(db, key);
    if (e !== 0) {
      this.writeEntry = e;
      this.writeHash = this.probeHash;
      // a snapshot still walking towards this key keeps its value as it is now
      if (this.snapshots.running) this.snapshots.preserve(db, this.probeHash, e, 'copy');
      this.touchEntry(e);
    }
    return e;
  }

  /** An access (Redis's updateLFU / LRU clock refresh). */
  touchEntry(e: number): void {
    // A hint only: written without the undo log (a torn or rolled-back value is harmless).
    this.dv.setUint32(e + O_LRU, touchedStamp(this.access, this.dv.getUint32(e + O_LRU, true), this.now), true);
  }

  /** Whether a stored entry's TTL has passed (it is still in the table until someone deletes it). */
  isExpired(e: number): boolean {
    const at = this.expireAt(e);
    return at !== 0 && at <= this.now;
  }

  // ---------------------------------------------------------------- entry fields

  type(e: number): number {
    return this.u8[e + O_TYPE]!;
  }

  /** The type's encoding code (OBJECT ENCODING asks the type for its name). */
  encoding(e: number): number {
    return this.u8[e + O_ENC]!;
  }

  flags(e: number): number {
    return this.u8[e + O_FLAGS]!;
  }

  /** Where entry e's key bytes start (the type's inline bytes follow them). */
  keyOffset(e: number): number {
    return keyAt(this.u8, e);
  }

  /** Expiry in ms since the epoch (0 = none); exact below 2^53, close enough to compare above. */
  expireAt(e: number): number {
    if (this.u8[e + O_LAYOUT] !== LAYOUT_EXPIRE) return 0;
    return this.dv.getUint32(e + O_EXPIRE + 4, true) * 4294967296 + this.dv.getUint32(e + O_EXPIRE, true);
  }

  /** Expiry exactly as set (Redis accepts any positive 64-bit millisecond time). */
  expireAtExact(e: number): bigint {
    if (this.u8[e + O_LAYOUT] !== LAYOUT_EXPIRE) return 0n;
    return (BigInt(this.dv.getUint32(e + O_EXPIRE + 4, true)) << 32n) | BigInt(this.dv.getUint32(e + O_EXPIRE, true));
  }

  /**
   * An unlinked entry (just built by a type) with expiry `at` (0: none): e itself, or its
   * copy in the layout with an expiry field (e is then freed).
   */
  withExpire(e: number, at: Expiry): number {
    if (at === 0 || at === 0n) {
      if (this.u8[e + O_LAYOUT] === LAYOUT_EXPIRE) this.writeExpire(e, 0);
      return e;
    }
    if (this.u8[e + O_LAYOUT] !== LAYOUT_EXPIRE) {
      const ne = this.expireLayout(e);
      this.heap.free(e);
      e = ne;
    }
    this.writeExpire(e, at);
    return e;
  }

  /**
   * An unlinked entry built as the new value of the key of entry `from` keeps that key's
   * TTL and access stamp (dbOverwrite of a value, not of the key): ne, or its copy (see withExpire).
   */
  keepKeyMeta(from: number, ne: number): number {
    this.dv.setUint32(ne + O_LRU, this.dv.getUint32(from + O_LRU, true), true);
    return this.withExpire(ne, this.expiry(from));
  }

  /** The expiry as an Expiry (a bigint only past 2^53), 0 for none. */
  expiry(e: number): Expiry {
    const at = this.expireAt(e);
    return at > Number.MAX_SAFE_INTEGER ? this.expireAtExact(e) : at;
  }

  /** Whether entry e has the layout with an expiry field (setting a TTL then moves nothing). */
  hasExpireField(e: number): boolean {
    return this.u8[e + O_LAYOUT] === LAYOUT_EXPIRE;
  }

  /**
   * A copy of entry e in the layout with an expiry field (set to 0): header, key and the
   * type's inline bytes; the value ref is kept as it is (the copy takes over the value).
   */
  private expireLayout(e: number): number {
    const heap = this.heap;
    const klen = this.keyLength(e);
    const inline = valueType(this.type(e)).inlineBytes(this, e);
    const ne = heap.alloc(O_KEY_EXPIRE + klen + inline);
    heap.mem.copy(ne, e, O_KEY);
    this.u8[ne + O_LAYOUT] = LAYOUT_EXPIRE;
    this.dv.setUint32(ne + O_EXPIRE, 0, true);
    this.dv.setUint32(ne + O_EXPIRE + 4, 0, true);
    heap.mem.copy(ne + O_KEY_EXPIRE, e + O_KEY, klen + inline);
    return ne;
  }

  /** Write the expiry field of an entry in LAYOUT_EXPIRE (not logged: the caller logs). */
  private writeExpire(e: number, at: Expiry): void {
    if (typeof at === 'bigint') {
      this.dv.setUint32(e + O_EXPIRE, Number(at & 0xffffffffn), true);
      this.dv.setUint32(e + O_EXPIRE + 4, Number(at >> 32n), true);
    } else {
      this.dv.setUint32(e + O_EXPIRE, at >>> 0, true);
      this.dv.setUint32(e + O_EXPIRE + 4, Math.floor(at / 4294967296), true);
    }
  }

  /** The entry's access stamp as stored (LRU clock in seconds, or LFU minutes and counter). */
  accessStamp(e: number): number {
    return this.dv.getUint32(e + O_LRU, true);
  }

  idleSeconds(e: number): number {
    return idleSeconds(this.dv.getUint32(e + O_LRU, true), this.now);
  }

  /**
   * An entry loaded or restored with the idle time (s) or LFU counter its source gave (-1:
   * none): the stamp Redis's objectSetLRUOrLFU would give it under the current policy.
   */
  setRestoredAccess(e: number, idle: number, freq: number): void {
    const st = restoredStamp(this.access, this.limits.policy.endsWith('-lru'), idle, freq, this.now);
    if (st !== null) this.dv.setUint32(e + O_LRU, st, true);
  }

  /** OBJECT FREQ: the decayed LFU counter. */
  lfuFrequency(e: number): number {
    return lfuCounter(this.access, this.dv.getUint32(e + O_LRU, true), this.now);
  }

  keyLength(e: number): number {
    return this.dv.getUint32(e + O_KLEN, true);
  }

  keyOf(e: number): Buffer {
    const len = this.keyLength(e);
    const out = Buffer.allocUnsafe(len);
    this.heap.mem.read(keyAt(this.u8, e), len, out);
    return out;
  }

  /** The type's value ref (O_VREF) as a payload offset, 0 for none. */
  valueRef(e: number): number {
    return Heap.deref(this.dv.getUint32(e + O_VREF, true));
  }

  /** The type's length field (string bytes, collection elements). */
  valueLength(e: number): number {
    return this.dv.getUint32(e + O_VLEN, true);
  }

  /** MEMORY USAGE's bytes: the entry's chunk and what its value owns outside it. */
  memoryUsage(e: number): number {
    return this.heap.usable(e) + 8 + valueType(this.type(e)).outsideBytes(this, e);
  }

  // ---------------------------------------------------------------- building entries (for the types)

  /**
   * A new entry, not linked anywhere: header (type, encoding, fresh access stamp, expiry
   * `expire`, 0 for none), the key (bytes [kstart, kstart+klen) of `key`), and `inline`
   * bytes after it for the type to fill. Value length and ref are 0.
   */
  newEntry(type: number, enc: number, key: Uint8Array, kstart: number, klen: number, inline: number, expire: Expiry = 0): number {
    const heap = this.heap;
    const hasTtl = expire !== 0 && expire !== 0n;
    const kat = hasTtl ? O_KEY_EXPIRE : O_KEY;
    const e = heap.alloc(kat + klen + inline);
    const dv = this.dv;
    const u8 = this.u8;
    u8[e + O_TYPE] = type;
    u8[e + O_ENC] = enc;
    u8[e + O_FLAGS] = 0;
    u8[e + O_LAYOUT] = hasTtl ? LAYOUT_EXPIRE : 0;
    dv.setUint32(e + O_LRU, freshStamp(this.access, this.now), true);
    dv.setUint32(e + O_KLEN, klen, true);
    dv.setUint32(e + O_VLEN, 0, true);
    dv.setUint32(e + O_VREF, 0, true);
    if (hasTtl) this.writeExpire(e, expire);
    heap.mem.write(e + kat, key, kstart, klen);
    return e;
  }

  /**
   * A copy of entry e under another key: header, key and the type's inline bytes; the
   * value ref is kept as it is (the caller either moves the value or asks its type to copy it).
   */
  private cloneEntry(e: number, key: Uint8Array): number {
    const heap = this.heap;
    const klen = this.keyLength(e);
    const inline = valueType(this.type(e)).inlineBytes(this, e);
    const kat = keyAt(this.u8, e) - e;
    const ne = heap.alloc(kat + key.length + inline);
    heap.mem.copy(ne, e, kat);
    this.dv.setUint32(ne + O_KLEN, key.length, true);
    heap.mem.write(ne + kat, key);
    if (inline > 0) heap.mem.copy(ne + kat + key.length, e + kat + klen, inline);
    return ne;
  }

  // ---------------------------------------------------------------- the seam: changes

  /** Link a new entry (from newEntry) whose key is absent from db. Its expiry (if set) is indexed. */
  addEntry(db: number, e: number, reason: Reason = REASON.added, hash?: number): void {
    const h = hash ?? this.keyHash(e);
    const ref = Heap.ref(e);
    if (this.snapshots.running) this.snapshots.preserve(db, h, e, 'absent');
    this.main(db).insert(h, ref);
    if (this.expireAt(e) !== 0) this.expires(db).insert(h, ref);
    this.signal(db, h, reason, e);
  }

  /**
   * Put a new entry `ne` (a new value for the same key) in the place of `old`, which is
   * freed with its value; expiry indexing follows ne's own expiry (Redis's dbOverwrite/setKey).
   */
  replaceEntry(db: number, old: number, ne: number, reason: Reason = REASON.overwritten, hash?: number): void {
    const h = hash ?? this.keyHash(old);
    let taken = false;
    if (this.snapshots.running) {
      // the old entry can go aside whole unless the new one took over its value
      const vref = this.dv.getUint32(old + O_VREF, true);
      const shared = vref !== 0 && vref === this.dv.getUint32(ne + O_VREF, true);
      taken = this.snapshots.preserve(db, h, old, shared ? 'copy' : 'take');
    }
    this.swapEntry(db, old, ne, h);
    if (!taken) this.freeEntry(old);
    this.signal(db, h, reason, ne);
  }

  private swapEntry(db: number, old: number, ne: number, h: number): void {
    const oref = Heap.ref(old);
    const nref = Heap.ref(ne);
    this.main(db).replace(h, oref, nref);
    const hadTtl = this.expireAt(old) !== 0;
    const hasTtl = this.expireAt(ne) !== 0;
    if (hadTtl && hasTtl) this.expires(db).replace(h, oref, nref);
    else if (hadTtl) this.expires(db).remove(h, oref);
    else if (hasTtl) this.expires(db).insert(h, nref);
  }

  /**
   * Entry e (found without lookupWrite) is about to change in place: what lookupWrite does
   * for a running snapshot, for a caller that looked the key up another way.
   */
  willModify(db: number, e: number, hash?: number): void {
    if (this.snapshots.running) this.snapshots.preserve(db, hash ?? this.keyHash(e), e, 'copy');
  }

  /** The value of entry e changed in place (its type logged and wrote the bytes). */
  modified(db: number, e: number, reason: Reason = REASON.modified, hash?: number): void {
    const h = hash ?? this.keyHash(e);
    if (this.snapshots.running && this.snapshots.missed(db, h, e)) {
      // the value changed in place without lookupWrite: the snapshot lost its old value, so
      // the command is refused (rolled back) rather than let a snapshot be wrong
      throw new Error(`internal error: '${this.cmdName ?? '?'}' changed a key in place without looking it up for writing while a snapshot runs`);
    }
    this.signal(db, h, reason, e);
  }

  /** Unlink an entry from its database and free it with its value. */
  removeEntry(db: number, e: number, reason: Reason = REASON.deleted, hash?: number): void {
    const h = hash ?? this.keyHash(e);
    const ref = Heap.ref(e);
    const at = this.expireAt(e);
    const taken = this.snapshots.running && this.snapshots.preserve(db, h, e, 'take');
    this.main(db).remove(h, ref);
    if (at !== 0) this.expires(db).remove(h, ref);
    if (!taken) this.freeEntry(e);
    this.signalRemoves = true;
    try {
      // the deadline is read before the entry is freed (see signal)
      this.signal(db, h, reason, e, at);
    } finally {
      this.signalRemoves = false;
    }
  }

  /** DEL of one key: whether it existed. */
  delete(db: number, key: Uint8Array): boolean {
    const e = this.find(db, key);
    if (e === 0) return false;
    this.removeEntry(db, e, REASON.deleted, this.probeHash);
    return true;
  }

  /**
   * Free an entry and its value. A big value (its type says so by giving a handle) goes to
   * the lazy-free queue instead, to be freed a slice per operation (lazyFreeStep): no DEL,
   * overwrite, expiry or eviction of a huge collection holds the lock for long or logs the
   * whole collection.
   */
  private freeEntry(e: number): void {
    const t = valueType(this.type(e));
    const h = t.lazyHandle === undefined ? 0 : t.lazyHandle(this, e);
    if (h !== 0) this.pushLazy(t.type, h);
    else t.free(this, e);
    this.heap.free(e);
  }

  private lazyQueue(): number {
    return Heap.deref(this.dv.getUint32(this.meta() + K_LAZY, true));
  }

  private pushLazy(type: number, handle: number): void {
    const heap = this.heap;
    const dv = this.dv;
    let q = this.lazyQueue();
    const n = dv.getUint32(q, true);
    const cap = dv.getUint32(q + 4, true);
    if (n === cap) {
      const nq = heap.realloc(q, 8 + cap * 2 * 8, 8 + n * 8);
      if (nq === q) heap.log(q + 4, 4);
      dv.setUint32(nq + 4, cap * 2, true);
      if (nq !== q) {
        const at = this.meta() + K_LAZY;
        heap.log(at, 4);
        dv.setUint32(at, Heap.ref(nq), true);
        q = nq;
      }
    }
    // (the slot past the count holds nothing: not logged)
    dv.setUint32(q + 8 + n * 8, type, true);
    dv.setUint32(q + 12 + n * 8, handle, true);
    heap.log(q, 4);
    dv.setUint32(q, n + 1, true);
  }

  /** Big values deleted and not yet freed (INFO's lazyfree_pending_objects). */
  lazyPending(): number {
    return this.dv.getUint32(this.lazyQueue(), true);
  }

  /** Free up to about `budget` elements of queued big values (inside an operation). */
  private lazyValueStep(budget: number): number {
    const heap = this.heap;
    const dv = this.dv;
    const q = this.lazyQueue();
    const n = dv.getUint32(q, true);
    if (n === 0) return 0;
    const at = q + 8 + (n - 1) * 8;
    const t = valueType(dv.getUint32(at, true));
    const h = t.freeStep!(this, dv.getUint32(at + 4, true), budget);
    if (h === 0) {
      heap.log(q, 4);
      dv.setUint32(q, n - 1, true);
    } else {
      heap.log(at + 4, 4);
      dv.setUint32(at + 4, h, true);
    }
    return budget;
  }

  /** The queued big values (the checker asks their types for their chunks). */
  lazyValues(): { chunk: number; values: [number, number][] } {
    const q = this.lazyQueue();
    const values: [number, number][] = [];
    const n = this.dv.getUint32(q, true);
    for (let i = 0; i < n; i++) values.push([this.dv.getUint32(q + 8 + i * 8, true), this.dv.getUint32(q + 12 + i * 8, true)]);
    return { chunk: q, values };
  }

  /**
   * Set (ms since epoch) or clear (0) a key's expiry, keeping the expires index in step.
   * `signal: false` when the caller records the change itself (SET with EX: one change).
   * Returns the entry: the first expiry of a key moves it to the layout with an expiry
   * field (src/keyspace/object.ts), so the caller must use what this returns.
   */
  setExpireAt(db: number, e: number, at: Expiry, hash?: number, signal = true): number {
    if (at === 0n) at = 0;
    const cur = this.expireAt(e);
    if (typeof at === 'number' && cur === at) return e;
    const h = hash ?? this.keyHash(e);
    if (this.snapshots.running) this.snapshots.preserve(db, h, e, 'copy');
    if (this.u8[e + O_LAYOUT] !== LAYOUT_EXPIRE) {
      const ne = this.expireLayout(e);
      this.main(db).replace(h, Heap.ref(e), Heap.ref(ne));
      // the value (its ref) now belongs to ne: free only the old entry chunk
      this.heap.free(e);
      e = ne;
    } else this.heap.log(e + O_EXPIRE, 8);
    this.writeExpire(e, at);
    const ref = Heap.ref(e);
    if (cur === 0) this.expires(db).insert(h, ref);
    else if (at === 0) this.expires(db).remove(h, ref);
    if (signal) this.signal(db, h, at === 0 ? REASON.persist : REASON.expire, e);
    return e;
  }

  /** RENAME: the entry takes the new key (dst overwritten), keeping value and TTL. */
  rename(db: number, src: number, dstKey: Uint8Array): void {
    const d = this.find(db, dstKey);
    if (d === src) return;
    if (this.snapshots.running) this.snapshots.preserve(db, this.keyHash(src), src, 'copy');
    if (d !== 0) this.removeEntry(db, d, REASON.overwritten, this.probeHash);
    const ne = this.cloneEntry(src, dstKey);
    const sh = this.keyHash(src);
    const sref = Heap.ref(src);
    this.main(db).remove(sh, sref);
    if (this.expireAt(src) !== 0) this.expires(db).remove(sh, sref);
    // the value (its ref) now belongs to ne: free only the old entry chunk
    this.heap.free(src);
    this.signal(db, sh, REASON.renamedFrom, src);
    this.addEntry(db, ne, REASON.renamedTo, this.hashOf(dstKey));
  }

  /** COPY: returns false when dst exists and !replace. */
  copy(srcDb: number, src: number, dstDb: number, dstKey: Uint8Array, replace: boolean): boolean {
    const d = this.lookupWrite(dstDb, dstKey);
    if (d !== 0) {
      if (!replace) return false;
      if (d === src) return true;
      this.removeEntry(dstDb, d, REASON.overwritten, this.probeHash);
    }
    const ne = this.cloneEntry(src, dstKey);
    valueType(this.type(src)).copy(this, src, ne);
    // a copy is a new object (Redis duplicates it): fresh access metadata, never shared
    this.dv.setUint32(ne + O_LRU, freshStamp(this.access, this.now), true);
    this.u8[ne + O_FLAGS] = 0;
    this.addEntry(dstDb, ne, REASON.copiedTo);
    return true;
  }

  /** MOVE: the entry changes tables, nothing is copied. False when the key exists in dstDb. */
  move(db: number, e: number, dstDb: number): boolean {
    const key = this.keyOf(e);
    if (this.lookupWrite(dstDb, key) !== 0) return false;
    const h = hashBytes(key, 0, key.length);
    const ref = Heap.ref(e);
    if (this.snapshots.running) this.snapshots.preserve(db, h, e, 'copy');
    this.main(db).remove(h, ref);
    if (this.expireAt(e) !== 0) this.expires(db).remove(h, ref);
    this.signal(db, h, REASON.movedFrom, e);
    this.addEntry(dstDb, e, REASON.movedTo, h);
    return true;
  }

  // ---------------------------------------------------------------- iteration

  /** SCAN: entries of db from cursor; returns the next cursor. Expired keys are skipped (and deleted). */
  scan(db: number, cursor: number, count: number, out: number[]): number {
    const refs: number[] = [];
    const next = this.main(db).scan(cursor, count, refs);
    for (const r of refs) {
      const e = Heap.deref(r);
      if (this.isExpired(e)) {
        if (!this.keepExpired) this.removeEntry(db, e, REASON.expired);
      } else out.push(e);
    }
    return next;
  }

  /** Every entry of db as stored, expired or not, nothing deleted (DEBUG DIGEST's walk). */
  forEachStored(db: number, fn: (e: number) => void): void {
    this.main(db).forEach((r) => fn(Heap.deref(r)));
  }

  /** Every live entry of db (KEYS). */
  allEntries(db: number): number[] {
    const out: number[] = [];
    const expired: number[] = [];
    this.main(db).forEach((r) => {
      const e = Heap.deref(r);
      if (this.isExpired(e)) expired.push(e);
      else out.push(e);
    });
    if (!this.keepExpired) for (const e of expired) this.removeEntry(db, e, REASON.expired);
    return out;
  }

  randomEntry(db: number): number {
    const main = this.main(db);
    for (let tries = 0; tries < 100; tries++) {
      const r = main.randomRef(Math.random);
      if (r === 0) return 0;
      const e = Heap.deref(r);
      if (this.isExpired(e)) {
        if (!this.keepExpired) this.removeEntry(db, e, REASON.expired);
        continue;
      }
      return e;
    }
    return 0;
  }

  // ---------------------------------------------------------------- databases

  dbsize(db: number): number {
    return this.main(db).count();
  }

  expiresCount(db: number): number {
    return this.expires(db).count();
  }

  /**
   * FLUSHDB: swap in empty tables (inside an operation); the old ones are freed a slice
   * at a time (lazyFreeStep): by afterCommit for `sync`, by the cron otherwise.
   */
  flushdb(db: number, sync: boolean): number {
    const heap = this.heap;
    const k = this.meta();
    const dv = this.dv;
    const at = k + K_DBS + db * 8;
    const removed = this.main(db).count();
    if (removed !== 0 || this.expires(db).count() !== 0) {
      const oldMain = dv.getUint32(at, true);
      const oldExp = dv.getUint32(at + 4, true);
      heap.log(at, 8);
      dv.setUint32(at, Heap.ref(Dash.create(heap)), true);
      dv.setUint32(at + 4, Heap.ref(Dash.create(heap)), true);
      // The expires table only references entries the main table owns: drop it now.
      this.table(oldExp).destroy();
      // a snapshot still walking this database takes the old table instead
      if (!this.snapshots.flushed(db, oldMain)) this.bury(oldMain);
      if (sync) this.afterCommit(() => this.lazyFreeAll());
    }
    this.changes.append(CH_FLUSHDB, db, 0, REASON.deleted, this.now);
    this.counters.add(C_DIRTY, removed);
    if (this.flushHook !== null) this.flushHook(db);
    return removed;
  }

  flushall(sync: boolean): number {
    let n = 0;
    for (let db = 0; db < this.databases; db++) n += this.flushdb(db, sync);
    return n;
  }

  swapdb(a: number, b: number): void {
    const k = this.meta();
    const dv = this.dv;
    const pa = k + K_DBS + a * 8;
    const pb = k + K_DBS + b * 8;
    this.heap.log(pa, 8);
    this.heap.log(pb, 8);
    const m = dv.getUint32(pa, true);
    const x = dv.getUint32(pa + 4, true);
    dv.setUint32(pa, dv.getUint32(pb, true), true);
    dv.setUint32(pa + 4, dv.getUint32(pb + 4, true), true);
    dv.setUint32(pb, m, true);
    dv.setUint32(pb + 4, x, true);
    this.snapshots.swapped(a, b);
    this.changes.append(CH_SWAPDB, a, b, REASON.touched, this.now);
    this.keysReady = true;
    this.counters.add(C_DIRTY, 1);
  }

  private bury(tableRef: number): void {
    const k = this.meta();
    const dv = this.dv;
    const n = dv.getUint32(k + K_GRAVE_COUNT, true);
    if (n >= GRAVEYARD_SLOTS) {
      // Too many flushes pending: free this one now (one large operation).
      const t = this.table(tableRef);
      t.forEach((r) => this.freeEntry(Heap.deref(r)));
      t.destroy();
      return;
    }
    const slot = k + K_DBS + this.databases * 8 + n * 4;
    this.heap.log(slot, 4);
    dv.setUint32(slot, tableRef, true);
    this.heap.log(k + K_GRAVE_COUNT, 4);
    dv.setUint32(k + K_GRAVE_COUNT, n + 1, true);
  }

  /** The open operation gave the databases tables of its own (freshTables). */
  private freshOp = false;

  /**
   * For a load into an empty keyspace (src/persistence/rdb_load.ts), at the start of an
   * operation: give every database new empty tables made in this operation, whose Dash
   * objects skip the undo log for the rest of it (a rollback frees them whole, and the old
   * empty tables, freed by it, come back), so that filling them logs nothing whatever the
   * number of keys. False, having done nothing, when a database holds keys, flushes are
   * still being freed, or a snapshot or copy-on-write epoch may read the tables.
   */
  freshTables(): boolean {
    if (this.depth !== 1 || this.snapshots.running || this.heap.cow.state() !== 0 || this.pendingFrees() > 0) return false;
    for (let db = 0; db < this.databases; db++) if (this.main(db).count() !== 0 || this.expires(db).count() !== 0) return false;
    const heap = this.heap;
    const dv = this.dv;
    const k = this.meta();
    for (let db = 0; db < this.databases; db++) {
      const at = k + K_DBS + db * 8;
      const oldMain = dv.getUint32(at, true);
      const oldExp = dv.getUint32(at + 4, true);
      const main = Dash.create(heap);
      const exp = Dash.create(heap);
      heap.log(at, 8);
      dv.setUint32(at, Heap.ref(main), true);
      dv.setUint32(at + 4, Heap.ref(exp), true);
      this.table(oldMain).destroy();
      this.table(oldExp).destroy();
      this.tableCache.set(Heap.ref(main), new Dash(heap, main, true));
      this.tableCache.set(Heap.ref(exp), new Dash(heap, exp, true));
    }
    this.mainRef.length = 0;
    this.mainDash.length = 0;
    this.freshOp = true;
    return true;
  }

  /** The operation of freshTables ended: its tables are ordinary ones from now on. */
  private endFreshTables(): void {
    this.freshOp = false;
    this.tableCache.clear();
    this.mainRef.length = 0;
    this.mainDash.length = 0;
  }

  /**
   * Free everything flushes left to free (outside an operation): FLUSHALL SYNC, DEBUG
   * RELOAD, a load. In one operation when the flushed tables hold at most WHOLE_FREE_BUDGET
   * entries and their chunks lie in few runs of neighbours (a keyspace filled in bulk:
   * the heap releases each run as one free chunk, a few logged lines per run instead of
   * per chunk); otherwise, or if they turn out scattered, a slice per operation.
   */
  lazyFreeAll(): void {
    if (this.pendingFrees() > 0 && this.lazyPending() === 0 && this.heap.cow.state() === 0 && this.graveEntries() <= WHOLE_FREE_BUDGET) {
      try {
        this.exec(() => {
          // (again for the big values the flushed tables queued as they were drained)
          for (let freed = 0, n = 1; n > 0 && freed < WHOLE_FREE_BUDGET && this.pendingFrees() > 0; freed += n) {
            n = this.lazyFreeStep(WHOLE_FREE_BUDGET - freed);
          }
          // (so many runs would log too much: rolled back, and done by slices)
          if (this.heap.pendingFreeRuns() > WHOLE_FREE_MAX_RUNS) throw SCATTERED;
        });
      } catch {
        // too scattered, or the undo records could not grow (a full /dev/shm): rolled
        // back whole, and done by slices, whose own errors say what is wrong
      }
    }
    while (this.pendingFrees() > 0) this.exec(() => this.lazyFreeStep());
  }

  /** Entries of the flushed tables not yet freed. */
  private graveEntries(): number {
    const k = this.meta();
    let n = 0;
    for (let i = this.dv.getUint32(k + K_GRAVE_COUNT, true) - 1; i >= 0; i--) {
      n += this.table(this.dv.getUint32(k + K_DBS + this.databases * 8 + i * 4, true)).count();
    }
    return n;
  }

  /** Tables of flushed databases not yet freed. */
  pendingFrees(): number {
    return this.dv.getUint32(this.meta() + K_GRAVE_COUNT, true) + this.lazyPending();
  }

  /** Free up to about `budget` entries of flushed databases (one operation, inside exec). */
  lazyFreeStep(budget = 2000): number {
    const k = this.meta();
    const dv = this.dv;
    let freed = 0;
    while (freed < budget && this.lazyPending() > 0) freed += this.lazyValueStep(budget - freed);
    while (freed < budget) {
      const n = dv.getUint32(k + K_GRAVE_COUNT, true);
      if (n === 0) break;
      const slot = k + K_DBS + this.databases * 8 + (n - 1) * 4;
      const t = this.table(dv.getUint32(slot, true));
      // (a segment at a time: the table is never looked into again)
      freed += Math.max(1, t.drain(budget - freed, (r) => this.freeEntry(Heap.deref(r))));
      if (t.count() === 0) {
        t.destroy();
        this.tableCache.clear();
        this.heap.log(k + K_GRAVE_COUNT, 4);
        dv.setUint32(k + K_GRAVE_COUNT, n - 1, true);
      }
    }
    return freed;
  }

  /** Table refs of the databases and the graveyard (the checker walks them). */
  tableRefs(): { main: number[]; expires: number[]; graveyard: number[] } {
    const k = this.meta();
    const main: number[] = [];
    const expires: number[] = [];
    for (let db = 0; db < this.databases; db++) {
      main.push(this.dv.getUint32(k + K_DBS + db * 8, true));
      expires.push(this.dv.getUint32(k + K_DBS + db * 8 + 4, true));
    }
    const graveyard: number[] = [];
    const n = this.dv.getUint32(k + K_GRAVE_COUNT, true);
    for (let i = 0; i < n; i++) graveyard.push(this.dv.getUint32(k + K_DBS + this.databases * 8 + i * 4, true));
    return { main, expires, graveyard };
  }

  /** A Dash over a table ref (the checker). */
  dashOf(ref: number): Dash {
    return this.table(ref);
  }

  /** Chunks of the keyspace's own structures: header, settings, counters, change ring. */
  ownChunks(): number[] {
    const k = this.meta();
    const out = [k, Heap.deref(this.dv.getUint32(k + K_SETTINGS, true)), Heap.deref(this.dv.getUint32(k + K_COUNTERS, true)), Heap.deref(this.dv.getUint32(k + K_CHANGES, true))];
    const ps = this.pubsubArea(false);
    if (ps !== null) out.push(ps.at, ...ps.chunks());
    return out;
  }

  /**
   * Bytes of the keyspace's own structures (header, settings, counters, change ring, the
   * pub/sub area once made): in used_memory, not what maxmemory limits.
   */
  get fixedBytes(): number {
    const ps = this.pubsubArea(false);
    return ps === null ? this.baseFixedBytes : this.baseFixedBytes + this.heap.usable(ps.at) + 8;
  }

  /**
   * The shared pub/sub area (src/pubsub/area.ts). With `create`, made if no process has yet:
   * the caller must be inside an operation (exec). Null when not made and not asked to.
   */
  pubsubArea(create: boolean): PubsubArea | null {
    if (this.pubsub !== null) return this.pubsub;
    const at = this.meta() + K_PUBSUB;
    let ref = this.dv.getUint32(at, true);
    if (ref === 0) {
      if (!create) return null;
      if (!this.inOperation) throw new Error('pubsubArea(create) outside an operation');
      const p = this.heap.alloc(pubsubBytes(DEFAULT_RING_CAPACITY));
      formatPubsub(this.heap, p, DEFAULT_RING_CAPACITY);
      this.heap.log(at, 4);
      this.dv.setUint32(at, (ref = Heap.ref(p)), true);
      // (not cached: the operation may still roll back)
      return new PubsubArea(this.heap, p);
    }
    this.pubsub = new PubsubArea(this.heap, Heap.deref(ref));
    return this.pubsub;
  }

  // ---------------------------------------------------------------- expiry cycle

  /** Whether no process ran an active-expiry cycle for a while (then the caller should). */
  cycleDue(now = this.now): boolean {
    // (by default the command clock, read when the lock was taken: no clock read of its own)
    return now - this.dv.getFloat64(this.meta() + K_LAST_CYCLE, true) >= CYCLE_INTERVAL_MS;
  }

  /**
   * Delete expired keys found by sampling each database's expires index, for at most
   * budgetMs; then free what flushes and big deletions left (slices while the budget
   * lasts) and (once a second) give memory back.
   * Outside an operation (each sample round is one). `expire: false` (DEBUG
   * SET-ACTIVE-EXPIRE 0) skips the expiry part; the cycle still counts as run, so other
   * processes do not take it over.
   */
  activeExpireCycle(budgetMs: number, expire = true): void {
    this.dv.setFloat64(this.meta() + K_LAST_CYCLE, Date.now(), true);
    const deadline = perf.now() + budgetMs;
    for (let db = 0; expire && db < this.databases; db++) {
      for (;;) {
        if (perf.now() > deadline) return;
        let expired = 0;
        let sampled = 0;
        this.exec(() => {
          const exp = this.expires(db);
          const n = Math.min(20, exp.count());
          for (let i = 0; i < n; i++) {
            const r = exp.randomRef(Math.random);
            if (r === 0) break;
            sampled++;
            const e = Heap.deref(r);
            if (this.isExpired(e)) {
              this.removeEntry(db, e, REASON.expired);
              expired++;
            }
          }
        });
        // Like Redis: keep going on a database while more than a quarter of samples had expired.
        if (sampled === 0 || expired * 4 <= sampled) break;
      }
    }
    // what flushes and big deletions left to free, a slice per operation while the cycle's
    // budget lasts (one slice per cycle took 5 s to give back a 100k-member set)
    while (this.pendingFrees() > 0 && perf.now() < deadline) this.exec(() => this.lazyFreeStep());
    if (Date.now() - this.lastTrim >= TRIM_INTERVAL_MS && perf.now() < deadline) this.trim();
  }

  private lastTrim = 0;

  /**
   * Give free memory back to tmpfs (tail truncation, hole punching). Returns bytes given
   * back. `aged`: only memory already free at the previous trim (the cron); false: all (tests).
   */
  trim(aged = true): number {
    this.lastTrim = Date.now();
    const heap = this.heap;
    const own = !this.batch;
    if (own) heap.lock();
    try {
      return heap.trim({ aged });
    } finally {
      if (own) heap.unlock();
    }
  }

  // ---------------------------------------------------------------- maxmemory

  private evictor: Evictor | null = null;

  /** Over maxmemory (the shared setting)? Cheap enough for every command. */
  overMaxmemory(): boolean {
    const max = this.limits.maxmemory;
    return max > 0 && this.heap.usedBytes() - this.fixedBytes > max;
  }

  /** The used memory maxmemory limits: used_memory less the keyspace's fixed structures. */
  evictableMemory(): number {
    return this.heap.usedBytes() - this.fixedBytes;
  }

  /**
   * Evict by the shared policy until used memory fits maxmemory, for at most the
   * tenacity's time. With the lock held (a batch), outside an operation: each eviction is
   * an operation of its own, so the memory it frees counts at once.
   */
  evict(): { result: EvictResult; evicted: number } {
    this.evictor ??= new Evictor(this);
    const l = this.limits;
    const before = this.evictor.evicted;
    const result = this.evictor.run(l.maxmemory, l.policy, l.samples, l.budgetMs);
    return { result, evicted: this.evictor.evicted - before };
  }

  /** Bytes the keyspace uses (INFO used_memory), cheap enough to read per command. */
  usedMemory(): number {
    return this.heap.usedBytes();
  }

  memoryStats(): MemoryStats {
    const s = this.heap.stats();
    return {
      usedMemory: s.usedBytes,
      committed: s.committed,
      reserved: s.reserved,
      peak: s.peakUsed,
      fragmentation: s.usedBytes > 0 ? s.committed / s.usedBytes : 1,
    };
  }

  close(): void {
    try {
      this.flushPeeks();
    } catch {
      // (accesses are hints: a segment that cannot be locked now loses them, nothing else)
    }
    const f = this.onClose;
    this.onClose = null;
    f?.();
  }
}
