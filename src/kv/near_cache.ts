/**
 * The library's near cache (`open({ cache: … })`): values `kv.get` returned, kept in this
 * process as the strings it returned, and handed out again while no process changed their
 * key — lmdb-js's `cache`, Redis's client-side caching, without a round trip to hear about
 * changes: the segment's change ring (src/keyspace/changes.ts) records every change of every
 * key by any process, with its (database, key hash), and a read first catches up with it.
 *
 * Why it is coherent:
 * - A value is cached after a read that saw every change up to sequence S (the ring's
 *   sequence read before the read: a write in progress then makes the lock-free read wait
 *   for the lock), and dropped by any change at or after S to its (database, hash), to its
 *   database (FLUSHDB, SWAPDB), or by a gap in the ring (this process fell more than the
 *   ring's capacity behind, or the oldest entries were overwritten while it read them): then
 *   everything goes. A hash shared by two keys only drops more than needed.
 * - An entry written by an operation later rolled back (an error, a crash) stays in the
 *   ring: again only more is dropped.
 * - A key with a TTL is cached with its expiry time and not handed out from that instant
 *   on (the engine then answers, and deletes it).
 *
 * What a hit does not do, as with Redis's client-side caching: refresh the key's LRU/LFU
 * stamp (so while maxmemory may evict by access — an *-lru or *-lfu policy with maxmemory
 * set — the cache stands aside and every read goes to the segment), send keyspace events,
 * or time the command. It counts as a GET (INFO keyspace_hits, commandstats calls).
 *
 * Memory: at most `entries` keys (the oldest filled goes first), values up to `maxValue`
 * characters.
 */
import type { Keyspace } from '../keyspace/keyspace.js';
import { CH_KEY } from '../keyspace/changes.js';
import { hashBytes } from '../structs/hash.js';

export interface NearCacheOptions {
  /** Most keys kept. Default 100,000. */
  entries?: number;
  /** Longest value kept, in characters. Default 65,536. */
  maxValue?: number;
}

/** A cached value with a TTL (one without is kept as the bare string). */
class Timed {
  constructor(
    readonly value: string,
    /** ms since the epoch */
    readonly expireAt: number,
  ) {}
}

/**
 * Ring entries name a key by its 32-bit hash (the segment's: hashBytes of its bytes); the
 * index of what is cached by hash keeps the low 30 bits, which V8 holds as small integers
 * (a full u32 would be a heap number per Map key). Two cached keys sharing them: the second
 * is not cached. A change of a key sharing them drops the cached one: only more than needed.
 */
const HASH_MASK = 0x3fffffff;

export class NearCache {
  readonly entries: number;
  readonly maxValue: number;
  /**
   * key (database 0) or `${db}\0${key}` → its value, or a Timed. Reads look up by the key
   * string (V8 keeps a string's hash in the string), one lookup and no object in between.
   */
  private readonly slots = new Map<string, string | Timed>();
  /**
   * per database: a key's hash (HASH_MASK bits) → the slots' key of the value cached for it,
   * for the ring's entries. An entry of a value evicted from slots stays until overwritten,
   * or until there are twice as many as `entries` (then everything goes).
   */
  private index: Map<number, string>[] = [];
  /** the ring's sequence up to which changes have dropped what they concern */
  private seen: number;
  private settingsGen = -1;
  /** maxmemory may evict by access stamps, which hits do not refresh: stand aside */
  private evictsByAccess = false;

  /** Reads answered here, reads that filled, values dropped by changes. */
  hits = 0;
  fills = 0;
  dropped = 0;

  constructor(
    private readonly ks: Keyspace,
    opts: NearCacheOptions = {},
  ) {
    const entries = opts.entries ?? 100_000;
    const maxValue = opts.maxValue ?? 65_536;
    if (!Number.isInteger(entries) || entries < 1) throw new TypeError('shmkv: cache.entries must be a positive integer');
    if (!Number.isInteger(maxValue) || maxValue < 0) throw new TypeError('shmkv: cache.maxValue must be a non-negative integer');
    this.entries = entries;
    this.maxValue = maxValue;
    this.seen = ks.changes.seq();
  }

  get size(): number {
    return this.slots.size;
  }

  /**
   * Whether reads may use the cache now (checked before each: one load of the shared
   * settings' generation).
   */
  usable(): boolean {
    const ks = this.ks;
    const gen = ks.settings.generation();
    if (gen !== this.settingsGen) {
      ks.refreshSettings();
      this.settingsGen = gen;
      const p = ks.limits.policy;
      this.evictsByAccess = ks.limits.maxmemory > 0 && (p.endsWith('-lru') || p.endsWith('-lfu'));
      if (this.evictsByAccess) this.clear();
    }
    return !this.evictsByAccess;
  }

  /** The value cached for key in db, or undefined (then read it, and fill()). */
  get(db: number, key: string): string | undefined {
    const end = this.ks.changes.seq();
    if (end !== this.seen) this.catchUp(end);
    const id = db === 0 ? key : `${db}\0${key}`;
    const v = this.slots.get(id);
    if (v === undefined) return undefined;
    if (typeof v !== 'string') {
      if (v.expireAt <= Date.now()) {
        this.slots.delete(id);
        this.dropped++;
        return undefined;
      }
      this.hits++;
      return v.value;
    }
    this.hits++;
    return v;
  }

  /**
   * Keep what a read of key in db returned, right after get() missed it (no change since
   * get() caught up has been looked at: the next get() will). `hash` and `expireAt` are
   * what that read found (Peek.lastHash, lastExpireAt), or -1 when it did not say: then
   * they are looked up again here (`bytes`: the key's bytes).
   */
  fill(db: number, key: string, value: string, hash: number, expireAt: number, bytes: Uint8Array): void {
    if (value.length > this.maxValue) return;
    if (expireAt < 0) {
      expireAt = this.ks.peek.expiryOf(db, bytes);
      if (expireAt < 0) return;
      hash = hashBytes(bytes, 0, bytes.length);
    }
    const h = hash & HASH_MASK;
    const id = db === 0 ? key : `${db}\0${key}`;
    let index = this.index[db];
    if (index === undefined) index = this.index[db] = new Map();
    const holder = index.get(h);
    // (another key cached under this hash: not this one, so that a ring entry names one key)
    if (holder !== undefined && holder !== id && this.slots.has(holder)) return;
    const slots = this.slots;
    if (slots.size >= this.entries && !slots.has(id)) {
      // the oldest filled goes
      slots.delete(slots.keys().next().value as string);
      if (index.size >= 2 * this.entries) {
        this.clear();
        index = this.index[db] = new Map();
      }
    }
    slots.set(id, expireAt === 0 ? value : new Timed(value, expireAt));
    index.set(h, id);
    this.fills++;
  }

  /** Forget everything. */
  clear(): void {
    this.dropped += this.slots.size;
    this.slots.clear();
    this.index = [];
  }

  /** Drop what the changes [seen, end) concern. */
  private catchUp(end: number): void {
    const from = this.seen;
    this.seen = end;
    if (this.slots.size === 0) return;
    const ring = this.ks.changes;
    if (end - from > ring.capacity || end < from) {
      this.clear();
      return;
    }
    ring.scan(from, end, this.visit);
    // (entries overwritten while they were read, or the oldest being overwritten now — the
    // entry at seq() is written before seq() moves past it: anything may have changed)
    if (ring.seq() - from >= ring.capacity) this.clear();
  }

  private readonly visit = (kind: number, db: number, hash: number): void => {
    if (kind === CH_KEY) {
      const index = this.index[db];
      if (index === undefined) return;
      const h = hash & HASH_MASK;
      const id = index.get(h);
      if (id === undefined) return;
      index.delete(h);
      if (this.slots.delete(id)) this.dropped++;
    } else {
      // FLUSHDB, SWAPDB (and any kind this code does not know): every key may have changed
      this.clear();
    }
  };
}
