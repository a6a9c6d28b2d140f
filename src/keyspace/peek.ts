/**
 * Reads without the lock (issue 12 item 4): a read-only command that opts in (GET: its
 * `readFast` handler) looks its key up while other processes may be writing, and keeps its
 * answer only if nothing changed meanwhile — a seqlock over the heap's write version
 * (Heap.writeVersion: odd from a writing operation's first undo record until its commit or
 * rollback). Readers then run side by side in every process instead of queueing on the
 * segment's mutex, and a reader never makes a writer wait.
 *
 * What makes a read that raced a writer harmless:
 * - every offset it follows comes from memory that may be half-written, so it is checked
 *   to lie between the arena's start and the committed size before it is read (Dash.peek,
 *   the key compare here, the value range): a garbage offset gives up the read instead of
 *   faulting; the segment
 *   never shrinks its file (it punches), so an offset under a limit read earlier still
 *   reads memory, never SIGBUS;
 * - nothing it read is used until the version is found unchanged (the reply it built is
 *   truncated otherwise), and what it copies out is bounded (PEEK_VALUE_MAX) so a torn
 *   length never makes a huge allocation;
 * - it writes nothing shared but its own process's counter slot (hits, misses). The access
 *   stamp a read leaves (LRU clock or LFU counter) cannot be written without the lock: the
 *   entry may be freed and its memory reused between the check and the write. Stamps are
 *   queued here and written the next time this process takes the lock (any write, a full
 *   queue, a queue older than TOUCH_MAX_AGE_MS, close), each only if the entry is still
 *   that key's (the version unchanged since the read, or the table still holding it). An
 *   LRU stamp that already says this second is not queued at all.
 *
 * Whatever a read without the lock cannot answer alone — a change under way, an expired
 * key (deleting it is a write), another type (the error), a value over PEEK_VALUE_MAX, a
 * key-miss event wanted, a full or old queue — answers -1, and the engine runs the command
 * the usual way, under the lock.
 *
 * Memory order: the reader's loads between its two seq-cst loads of the version are plain
 * loads, which x86 (TSO) does not move across them; the writer's version stores come
 * before its first change and after its last, in the order every core sees them (plain
 * stores on x86-64, seq-cst elsewhere: src/heap/undo.ts).
 */
import { Heap } from '../heap/heap.js';
import { hashBytes } from '../structs/hash.js';
import { lruClock, touchedStamp } from './access.js';
import { C_HITS, C_MISSES } from './counters.js';
import type { Keyspace } from './keyspace.js';
import { O_KEY, O_KEY_EXPIRE, O_KLEN, O_LRU, keyAt } from './object.js';

/**
 * Accesses queued before the next lock must be taken: few enough that the entries are still
 * in the caches and the TLB when they are written (4096 made random GETs ~25% slower than
 * 256: each queued entry was a second cache and TLB miss), many enough that the lock is
 * rare (one in 256 reads).
 */
export const TOUCH_QUEUE = 256;
/** A queued access older than this makes the next read take the lock (and write it). */
export const TOUCH_MAX_AGE_MS = 1000;
/** Longest value copied out without the lock (a longer one is read under it). */
export const PEEK_VALUE_MAX = 1 << 20;

export class Peek {
  /** The write version the open read started at. */
  private version = 0;
  /** The committed size when it started: no offset at or past it is read. */
  private limit = 0;
  /** The key find() compares (eq). */
  private key: Uint8Array = new Uint8Array(0);

  // queued accesses (see the module comment)
  private readonly qEntry = new Float64Array(TOUCH_QUEUE);
  private readonly qHash = new Uint32Array(TOUCH_QUEUE);
  private readonly qDb = new Uint16Array(TOUCH_QUEUE);
  private readonly qVersion = new Int32Array(TOUCH_QUEUE);
  private readonly qAt = new Float64Array(TOUCH_QUEUE);
  private queued = 0;
  private oldest = 0;

  /** Reads answered without the lock, and reads given up (the lock then answered). */
  answered = 0;
  declined = 0;
  /**
   * The last key find() looked up: its hash, and its expiry time (0 for none, -1 when it
   * does not exist) — valid once the read's end() said true. The library's near cache
   * keeps them with a value that read returned (src/kv/near_cache.ts).
   */
  lastHash = 0;
  lastExpireAt = -1;

  constructor(private readonly ks: Keyspace) {}

  /** Accesses waiting for the lock. */
  get pending(): number {
    return this.queued;
  }

  /**
   * Start a read (no lock): false when it cannot be answered that way now (a change under
   * way, accesses waiting too long for the lock). Then find() its keys, copy out what they
   * hold, and end() it.
   */
  begin(): boolean {
    const ks = this.ks;
    if (this.queued !== 0 && (this.queued === TOUCH_QUEUE || ks.now - this.oldest >= TOUCH_MAX_AGE_MS)) return this.decline();
    const heap = ks.heap;
    const v = heap.writeVersion();
    if ((v & 1) !== 0) return this.decline();
    this.version = v;
    this.limit = heap.readLimit();
    this.found = 0;
    return true;
  }

  /**
   * A key of the open read: its entry, 0 when it does not exist, -1 when the read cannot
   * answer (see the module comment: the caller then gives up the whole read).
   * `ks.now` must be the command's time.
   */
  find(db: number, key: Uint8Array): number {
    const ks = this.ks;
    this.key = key;
    const hash = hashBytes(key, 0, key.length);
    let r: number;
    try {
      r = ks.main(db).peek(hash, this.eq, ks.heap.arenaStart, this.limit);
    } catch {
      // (a torn table may hold anything: whatever it throws, the lock answers instead)
      r = -1;
    }
    if (r < 0) return this.declineFind();
    let e = 0;
    let at = 0;
    if (r === 0) {
      // a keymiss event is sent under the lock
      if (ks.missHook !== null && ks.keyMissWanted()) return this.declineFind();
    } else {
      e = Heap.deref(r);
      // (the expiry field ends at e + 28: past the limit, the entry cannot have had one
      // when eq read its key, and a change since then fails the version check)
      at = e + O_KEY_EXPIRE <= this.limit ? ks.expireAt(e) : 0;
      // an expired key is deleted on the way (a write), unless this read raced one
      if (at !== 0 && at <= ks.now) return this.declineFind();
    }
    this.lastHash = hash;
    this.lastExpireAt = e === 0 ? -1 : at;
    if (this.found === this.fEntry.length) this.growFound();
    const i = this.found++;
    this.fEntry[i] = e;
    this.fHash[i] = hash;
    this.fDb[i] = db;
    return e;
  }

  /** begin() and find() of one key. */
  entry(db: number, key: Uint8Array): number {
    return this.begin() ? this.find(db, key) : -1;
  }

  /**
   * A key's expiry time (ms since the epoch, 0 for none) read without the lock and without
   * counting a lookup, or -1 when it cannot tell (no such key, a change under way, the
   * entry past the limit). Not inside an open read. The library's near cache keeps it with
   * a value it caches (src/kv/near_cache.ts).
   */
  expiryOf(db: number, key: Uint8Array): number {
    const ks = this.ks;
    const heap = ks.heap;
    const v = heap.writeVersion();
    if ((v & 1) !== 0) return -1;
    this.limit = heap.readLimit();
    this.key = key;
    let r: number;
    try {
      r = ks.main(db).peek(hashBytes(key, 0, key.length), this.eq, heap.arenaStart, this.limit);
    } catch {
      return -1;
    }
    if (r <= 0) return -1;
    const e = Heap.deref(r);
    if (e + O_KEY_EXPIRE > this.limit) return -1;
    const at = ks.expireAt(e);
    return heap.writeVersion() === v ? at : -1;
  }

  /** Where offsets of the open read may point: [floor, limit) (a type's own peek checks them). */
  get floor(): number {
    return this.ks.heap.arenaStart;
  }

  get bound(): number {
    return this.limit;
  }

  /** Entry e's expiry (ms since the epoch, 0n for none), its field read only under the limit (see find). */
  expireAtExact(e: number): bigint {
    return e + O_KEY_EXPIRE <= this.limit ? this.ks.expireAtExact(e) : 0n;
  }

  /** Whether the open read may copy [off, off+len) out: in bounds, and not too long. */
  range(off: number, len: number): boolean {
    return off >= this.ks.heap.arenaStart && len <= PEEK_VALUE_MAX && off + len <= this.limit;
  }

  /**
   * End the open read: true when nothing changed since begin(), and then its lookups count
   * (a hit or a miss each, and an access when `touch`: not for LOOKUP_NOTOUCH commands);
   * false when the caller must throw away what it read and ask again (or under the lock).
   */
  end(touch = true): boolean {
    const ks = this.ks;
    if (ks.heap.writeVersion() !== this.version) {
      this.declined++;
      return false;
    }
    this.answered++;
    const n = this.found;
    let hits = 0;
    for (let i = 0; i < n; i++) {
      const e = this.fEntry[i]!;
      if (e === 0) continue;
      hits++;
      if (touch) this.queueTouch(e, this.fHash[i]!, this.fDb[i]!);
    }
    if (hits !== 0) ks.counters.add(C_HITS, hits);
    if (hits !== n) ks.counters.add(C_MISSES, n - hits);
    return true;
  }

  // the open read's lookups, for end()
  private fEntry = new Float64Array(16);
  private fHash = new Uint32Array(16);
  private fDb = new Uint16Array(16);
  private found = 0;

  private growFound(): void {
    const n = this.fEntry.length * 2;
    const [e, h, d] = [this.fEntry, this.fHash, this.fDb];
    this.fEntry = new Float64Array(n);
    this.fHash = new Uint32Array(n);
    this.fDb = new Uint16Array(n);
    this.fEntry.set(e);
    this.fHash.set(h);
    this.fDb.set(d);
  }

  private declineFind(): number {
    this.declined++;
    return -1;
  }

  private decline(): false {
    this.declined++;
    return false;
  }

  /** Key compare of a candidate entry, every byte checked against the limit (1 / 0 / -1). */
  private readonly eq = (ref: number): number => {
    const e = Heap.deref(ref);
    const limit = this.limit;
    if (e < this.ks.heap.arenaStart || e + O_KEY > limit) return -1;
    const dv = this.ks.heap.dv;
    const key = this.key;
    const n = key.length;
    const klen = dv.getUint32(e + O_KLEN, true);
    if (klen !== n) return 0;
    const u8 = this.ks.heap.mem.u8;
    // (the layout byte is read once: the key's offset follows from this value, whatever it turns into)
    const at = keyAt(u8, e);
    if (at + n > limit) return -1;
    if (at + n > u8.length) return this.ks.heap.mem.equals(at, key, 0, n) ? 1 : 0;
    for (let i = 0; i < n; i++) if (u8[at + i] !== key[i]) return 0;
    return 1;
  };

  private queueTouch(e: number, hash: number, db: number): void {
    const ks = this.ks;
    // an LRU stamp already at this second would not change (e may be stale by now: the
    // read is harmless, within the limit, and only decides whether to queue)
    if (!ks.access.lfu && ks.heap.dv.getUint32(e + O_LRU, true) === lruClock(ks.now)) return;
    // (full: dropped — a hint; the next read takes the lock and writes the queue)
    if (this.queued === TOUCH_QUEUE) return;
    const i = this.queued++;
    if (i === 0) this.oldest = ks.now;
    this.qEntry[i] = e;
    this.qHash[i] = hash;
    this.qDb[i] = db;
    this.qVersion[i] = this.version;
    this.qAt[i] = ks.now;
  }

  /**
   * Write the queued accesses (the caller holds the lock, outside any operation): each
   * one's entry is still that key's if the version has not moved since its read, or if
   * its database's table still holds it under its hash; otherwise it is dropped.
   */
  flush(): void {
    const n = this.queued;
    if (n === 0) return;
    this.queued = 0;
    const ks = this.ks;
    const heap = ks.heap;
    const dv = heap.dv;
    const now = heap.writeVersion();
    const p = ks.access;
    for (let i = 0; i < n; i++) {
      const e = this.qEntry[i]!;
      const db = this.qDb[i]!;
      if (this.qVersion[i] !== now && (db >= ks.databases || !ks.main(db).holds(this.qHash[i]!, Heap.ref(e)))) continue;
      // (as Keyspace.touchEntry: a hint, not undo-logged)
      dv.setUint32(e + O_LRU, touchedStamp(p, dv.getUint32(e + O_LRU, true), this.qAt[i]!), true);
    }
  }
}
