import { Heap } from '../heap/heap.js';
import type { Backing } from '../heap/backing.js';
import { checkHeap } from '../heap/check.js';
import { HeapFormatError, HeapFullError } from '../heap/errors.js';
import { Dash } from '../structs/dash.js';
import { hashBytes } from '../structs/hash.js';
import type { Store, StoreMemoryStats } from './api.js';
import { Evictor, type EvictResult, type MaxmemoryPolicy } from './evict.js';
import { DEFAULT_ACCESS, freshStamp, idleSeconds, lfuCounter, touchedStamp, type AccessPolicy } from './access.js';
import {
  ENC_INT,
  ENC_RAW,
  FLAG_SHARED_INT,
  INLINE_MAX,
  OBJ_STRING,
  O_CTIME,
  O_ENC,
  O_EXPIRE,
  O_FLAGS,
  O_KEY,
  O_KLEN,
  O_LRU,
  O_TYPE,
  O_VLEN,
  O_VREF,
  stringEncoding,
} from './object.js';

/** The global `performance` is a lazy getter: read it once, not per command. */
const perf = globalThis.performance;

/**
 * The keyspace header (heap root ROOT_KEYSPACE), written down once:
 *   0  u32 KEYSPACE_VERSION
 *   4  u32 databases
 *   8  u32 graveyard count (tables of flushed databases still being freed)
 *   12 u32 reserved
 *   16 per database: u32 main table ref, u32 expires table ref
 *   16 + 8 * databases: u32 graveyard table refs × GRAVEYARD_SLOTS
 */
export const ROOT_KEYSPACE = 0;
const KEYSPACE_VERSION = 1;
const K_VERSION = 0;
const K_DATABASES = 4;
const K_GRAVE_COUNT = 8;
const K_DBS = 16;
const GRAVEYARD_SLOTS = 64;
/** How often the cron gives free memory back to tmpfs. */
const TRIM_INTERVAL_MS = 1000;

/** An absolute expiry in ms: a number, or a bigint past 2^53 (Redis allows any int64). 0 = none. */
export type Expiry = number | bigint;

export class WrongTypeError extends Error {
  constructor() {
    super('WRONGTYPE Operation against a key holding the wrong kind of value');
  }
}

/** A command's failure that Redis reports as an error reply (the message is the reply). */
export class ReplyError extends Error {}

export interface KeyspaceStats {
  expiredKeys: number;
  keyspaceHits: number;
  keyspaceMisses: number;
}


export class Keyspace implements Store {
  readonly heap: Heap;
  readonly databases: number;
  readonly segmentName: string;
  /** The command clock: read once per command (once per batch of pipelined commands), like Redis's cached mstime. */
  now = Date.now();
  readonly stats: KeyspaceStats = { expiredKeys: 0, keyspaceHits: 0, keyspaceMisses: 0 };
  private batch = false;
  private readonly dv: DataView;
  private readonly u8: Uint8Array;
  private readonly tableCache = new Map<number, Dash>();
  private probe: Uint8Array = new Uint8Array(0);
  private probeStart = 0;
  private probeLen = 0;
  private probeHash = 0;
  private readonly eqProbe = (ref: number): boolean => {
    const e = Heap.deref(ref);
    return this.dv.getUint32(e + O_KLEN, true) === this.probeLen && this.heap.mem.equals(e + O_KEY, this.probe, this.probeStart, this.probeLen);
  };
  private onClose: (() => void) | null;

  private constructor(heap: Heap, segmentName: string, onClose: (() => void) | null) {
    this.heap = heap;
    this.dv = heap.dv;
    this.u8 = heap.mem.u8;
    this.segmentName = segmentName;
    this.onClose = onClose;
    const k = this.meta();
    if (this.dv.getUint32(k + K_VERSION, true) !== KEYSPACE_VERSION) {
      throw new HeapFormatError(`keyspace layout version ${this.dv.getUint32(k + K_VERSION, true)}, this build reads version ${KEYSPACE_VERSION}`);
    }
    this.databases = this.dv.getUint32(k + K_DATABASES, true);
  }

  /**
   * Open the keyspace in a backing, formatting heap and keyspace when the backing is new
   * (or was left half-formatted). Rolls back a dead writer's operation if there is one.
   */
  static open(backing: Backing, opts: { name?: string; databases?: number; onClose?: () => void } = {}): Keyspace {
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
    try {
      if (heap.getRoot(ROOT_KEYSPACE) === 0) {
        const databases = opts.databases ?? 16;
        heap.atomically(() => {
          const k = heap.alloc(K_DBS + databases * 8 + GRAVEYARD_SLOTS * 4);
          heap.mem.fill(k, K_DBS + databases * 8 + GRAVEYARD_SLOTS * 4, 0);
          heap.dv.setUint32(k + K_VERSION, KEYSPACE_VERSION, true);
          heap.dv.setUint32(k + K_DATABASES, databases, true);
          for (let i = 0; i < databases; i++) {
            heap.dv.setUint32(k + K_DBS + i * 8, Heap.ref(Dash.create(heap)), true);
            heap.dv.setUint32(k + K_DBS + i * 8 + 4, Heap.ref(Dash.create(heap)), true);
          }
          heap.setRoot(ROOT_KEYSPACE, k);
        });
      }
    } finally {
      heap.unlock();
    }
    return new Keyspace(heap, opts.name ?? 'memory', opts.onClose ?? null);
  }

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

  // ---------------------------------------------------------------- operations and locking

  exec<T>(fn: () => T): T {
    const heap = this.heap;
    const own = !this.batch;
    if (own) heap.lock();
    try {
      // Within a batch (the commands of one read event) the clock was read once, at lockBatch.
      if (own) this.now = Date.now();
      heap.begin();
      let r: T;
      try {
        r = fn();
        heap.commit();
      } catch (e) {
        heap.abort();
        // Out of shared memory is Redis's OOM error, not an internal failure.
        if (e instanceof HeapFullError) throw new ReplyError(`OOM ${e.message}`);
        throw e;
      }
      return r;
    } finally {
      if (own) heap.unlock();
    }
  }

  lockBatch(): void {
    this.heap.lock();
    this.batch = true;
    this.now = Date.now();
  }

  unlockBatch(): void {
    this.batch = false;
    this.heap.unlock();
  }

  // ---------------------------------------------------------------- lookup

  private setProbe(key: Uint8Array, start: number, len: number): number {
    this.probe = key;
    this.probeStart = start;
    this.probeLen = len;
    return (this.probeHash = hashBytes(key, start, len));
  }

  /** Entry offset of a live key (expired keys are deleted on the way), or 0. */
  find(db: number, key: Uint8Array): number {
    const h = this.setProbe(key, 0, key.length);
    const ref = this.main(db).find(h, this.eqProbe);
    if (ref === 0) return 0;
    const e = Heap.deref(ref);
    const at = this.expireAt(e);
    if (at !== 0 && at <= this.now) {
      this.removeEntry(db, e, h);
      this.stats.expiredKeys++;
      return 0;
    }
    return e;
  }

  /** find() that counts a hit or a miss and, unless `touch` is false (LOOKUP_NOTOUCH), is an access (read commands). */
  lookupRead(db: number, key: Uint8Array, touch = true): number {
    const e = this.find(db, key);
    if (e === 0) this.stats.keyspaceMisses++;
    else {
      this.stats.keyspaceHits++;
      if (touch) this.touchEntry(e);
    }
    return e;
  }

  /** An access (Redis's updateLFU / LRU clock refresh). */
  touchEntry(e: number): void {
    // A hint only: written without the undo log (a torn or rolled-back value is harmless).
    this.dv.setUint32(e + O_LRU, touchedStamp(this.access, this.dv.getUint32(e + O_LRU, true), this.now), true);
  }

  /** find() for a command about to write the key: counts as an access (lookupKeyWrite). */
  lookupWrite(db: number, key: Uint8Array): number {
    const e = this.find(db, key);
    if (e !== 0) this.touchEntry(e);
    return e;
  }

  /** How accesses are recorded (the server sets it from maxmemory-policy and lfu-*). */
  access: AccessPolicy = { ...DEFAULT_ACCESS };

  setAccessPolicy(p: AccessPolicy): void {
    this.access = { ...p };
  }

  /** OBJECT FREQ: the decayed LFU counter. */
  lfuFrequency(e: number): number {
    return lfuCounter(this.access, this.dv.getUint32(e + O_LRU, true), this.now);
  }

  exists(db: number, key: Uint8Array): boolean {
    return this.find(db, key) !== 0;
  }

  type(e: number): number {
    return this.u8[e + O_TYPE]!;
  }

  encoding(e: number): number {
    return this.u8[e + O_ENC]!;
  }

  /** Expiry in ms since the epoch (0 = none); exact below 2^53, close enough to compare above. */
  expireAt(e: number): number {
    return this.dv.getUint32(e + O_EXPIRE + 4, true) * 4294967296 + this.dv.getUint32(e + O_EXPIRE, true);
  }

  /** Expiry exactly as set (Redis accepts any positive 64-bit millisecond time). */
  expireAtExact(e: number): bigint {
    return (BigInt(this.dv.getUint32(e + O_EXPIRE + 4, true)) << 32n) | BigInt(this.dv.getUint32(e + O_EXPIRE, true));
  }

  private writeExpire(e: number, at: Expiry): void {
    if (typeof at === 'bigint') {
      this.dv.setUint32(e + O_EXPIRE, Number(at & 0xffffffffn), true);
      this.dv.setUint32(e + O_EXPIRE + 4, Number(at >> 32n), true);
    } else {
      this.dv.setUint32(e + O_EXPIRE, at >>> 0, true);
      this.dv.setUint32(e + O_EXPIRE + 4, Math.floor(at / 4294967296), true);
    }
  }

  idleSeconds(e: number): number {
    return idleSeconds(this.dv.getUint32(e + O_LRU, true), this.now);
  }

  flags(e: number): number {
    return this.dv.getUint16(e + O_FLAGS, true);
  }

  keyLength(e: number): number {
    return this.dv.getUint32(e + O_KLEN, true);
  }

  keyOf(e: number): Buffer {
    const len = this.keyLength(e);
    const out = Buffer.allocUnsafe(len);
    this.heap.mem.read(e + O_KEY, len, out);
    return out;
  }

  /** Offset of a string's bytes. */
  valueOffset(e: number): number {
    const vref = this.dv.getUint32(e + O_VREF, true);
    return vref !== 0 ? Heap.deref(vref) : e + O_KEY + this.keyLength(e);
  }

  valueLength(e: number): number {
    return this.dv.getUint32(e + O_VLEN, true);
  }

  /** A copy of a string value. */
  readString(e: number): Buffer {
    const len = this.valueLength(e);
    const out = Buffer.allocUnsafe(len);
    this.heap.mem.read(this.valueOffset(e), len, out);
    return out;
  }

  /** The entry of a string key, 0 when absent; WRONGTYPE for another type. */
  findString(db: number, key: Uint8Array, read = false): number {
    const e = read ? this.lookupRead(db, key) : this.lookupWrite(db, key);
    if (e !== 0 && this.type(e) !== OBJ_STRING) throw new WrongTypeError();
    return e;
  }

  // ---------------------------------------------------------------- writing strings

  /**
   * Set key to a string value. `expireAt`: absolute ms, 0 for none, -1 to keep the
   * current TTL. `known` skips the lookup when the caller has just done it. Returns the entry.
   */
  setString(db: number, key: Uint8Array, val: Uint8Array, expireAt: Expiry, enc = -1, known = -1): number {
    return this.setStringRange(db, key, val, 0, val.length, expireAt, enc, known);
  }

  /** setString of the value bytes val[vstart, vstart+vlen) (no view to allocate). */
  setStringRange(db: number, key: Uint8Array, val: Uint8Array, vstart: number, vlen: number, expireAt: Expiry, enc = -1, known = -1): number {
    // The caller's find() of this very key (known >= 0) left its hash in the probe.
    const h = known >= 0 && this.probe === key && this.probeStart === 0 && this.probeLen === key.length ? this.probeHash : this.setProbe(key, 0, key.length);
    const main = this.main(db);
    // `known`: the caller already looked the key up (its live entry, or 0 for absent).
    const oldRef = known >= 0 ? (known === 0 ? 0 : Heap.ref(known)) : main.find(h, this.eqProbe);
    const old = oldRef === 0 ? 0 : Heap.deref(oldRef);
    let keep: Expiry = 0;
    // writing a key is an access (Redis's lookupKeyWrite): done here unless the caller looked it up
    if (old !== 0 && known < 0) this.touchEntry(old);
    if (old !== 0) {
      keep = this.expireAt(old);
      if (keep !== 0 && keep <= this.now) keep = 0;
    }
    const at = expireAt === -1 ? keep : expireAt;
    const e = enc === -1 ? stringEncoding(val, vstart, vlen) : enc;
    // Overwrite in place when the old entry is an inline string with room: no alloc, no free.
    if (old !== 0 && this.type(old) === OBJ_STRING && this.dv.getUint32(old + O_VREF, true) === 0 && vlen <= INLINE_MAX) {
      const voff = old + O_KEY + key.length;
      if (voff + vlen <= old + this.heap.usable(old)) {
        const heap = this.heap;
        // One undo record for header, key and the value bytes we overwrite.
        heap.log(old, O_KEY + key.length + vlen);
        this.u8[old + O_ENC] = e;
        this.dv.setUint16(old + O_FLAGS, this.sharedIntFlag(e, val, vstart, vlen), true);
        this.dv.setUint32(old + O_VLEN, vlen, true);
        this.dv.setUint32(old + O_CTIME, Math.floor(this.now / 1000), true);
        // a new value: a fresh LRU stamp, but the key's LFU count carries over (dbOverwrite)
        if (!this.access.lfu) this.dv.setUint32(old + O_LRU, freshStamp(this.access, this.now), true);
        heap.mem.write(voff, val, vstart, vlen);
        this.setExpireAt(db, old, at, h);
        return old;
      }
    }
    const ne = this.newString(key, 0, key.length, val, vstart, vlen, e);
    this.dv.setUint16(ne + O_FLAGS, this.sharedIntFlag(e, val, vstart, vlen), true);
    if (old !== 0 && this.access.lfu) this.dv.setUint32(ne + O_LRU, this.dv.getUint32(old + O_LRU, true), true);
    this.writeExpire(ne, at);
    const nref = Heap.ref(ne);
    if (old !== 0) {
      main.replace(h, oldRef, nref);
      const hadTtl = this.expireAt(old) !== 0;
      if (hadTtl && at !== 0) this.expires(db).replace(h, oldRef, nref);
      else if (hadTtl) this.expires(db).remove(h, oldRef);
      else if (at !== 0) this.expires(db).insert(h, nref);
      this.freeEntry(old);
    } else {
      main.insert(h, nref);
      if (at !== 0) this.expires(db).insert(h, nref);
    }
    return ne;
  }

  /** Whether Redis would share the integer object: ENC_INT 0..9999 (no '-', at most 4 digits). */
  private sharedIntFlag(enc: number, val: Uint8Array, vstart: number, vlen: number): number {
    return this.access.sharedIntegers && enc === ENC_INT && vlen <= 4 && val[vstart] !== 45 ? FLAG_SHARED_INT : 0;
  }

  /** A new, unlinked string entry (inline value when short). */
  private newString(key: Uint8Array, kstart: number, klen: number, val: Uint8Array | null, vstart: number, vlen: number, enc: number, capacity = vlen): number {
    const heap = this.heap;
    const inline = capacity <= INLINE_MAX;
    const e = heap.alloc(O_KEY + klen + (inline ? vlen : 0));
    const dv = this.dv;
    this.u8[e + O_TYPE] = OBJ_STRING;
    this.u8[e + O_ENC] = enc;
    dv.setUint16(e + O_FLAGS, 0, true);
    dv.setUint32(e + O_LRU, freshStamp(this.access, this.now), true);
    this.writeExpire(e, 0);
    dv.setUint32(e + O_KLEN, klen, true);
    dv.setUint32(e + O_VLEN, vlen, true);
    dv.setUint32(e + O_CTIME, Math.floor(this.now / 1000), true);
    heap.mem.write(e + O_KEY, key, kstart, klen);
    let voff = e + O_KEY + klen;
    if (!inline) {
      const v = heap.alloc(capacity);
      dv.setUint32(e + O_VREF, Heap.ref(v), true);
      voff = v;
    } else dv.setUint32(e + O_VREF, 0, true);
    if (val !== null) heap.mem.write(voff, val, vstart, vlen);
    return e;
  }

  /**
   * Make room for a string of `newLen` bytes keeping the first `keep` bytes: in place
   * when the value's chunk has room, else grown with slack (so repeated APPENDs do not
   * copy the whole value each time). Returns the entry (it may move) and marks it raw.
   * Bytes in [keep, newLen) that existed before are logged; the caller then writes them.
   */
  resizeString(db: number, e: number, newLen: number, keep: number): number {
    const heap = this.heap;
    const dv = this.dv;
    const klen = this.keyLength(e);
    const vref = dv.getUint32(e + O_VREF, true);
    const oldLen = this.valueLength(e);
    heap.log(e, O_KEY);
    if (vref !== 0) {
      const v = Heap.deref(vref);
      const cap = heap.usable(v);
      if (newLen > cap) {
        const want = newLen < 1 << 20 ? newLen * 2 : newLen + (1 << 20);
        const nv = heap.realloc(v, want, Math.min(keep, oldLen));
        if (nv !== v) dv.setUint32(e + O_VREF, Heap.ref(nv), true);
        if (nv === v) heap.log(v + keep, Math.max(0, Math.min(cap, newLen) - keep));
      } else heap.log(v + keep, Math.max(0, Math.min(oldLen, newLen) - keep));
      dv.setUint32(e + O_VLEN, newLen, true);
      this.u8[e + O_ENC] = ENC_RAW;
      dv.setUint16(e + O_FLAGS, 0, true);
      return e;
    }
    const voff = e + O_KEY + klen;
    if (O_KEY + klen + newLen <= heap.usable(e)) {
      heap.log(voff + keep, Math.max(0, Math.min(heap.usable(e) - O_KEY - klen, newLen) - keep));
      dv.setUint32(e + O_VLEN, newLen, true);
      this.u8[e + O_ENC] = ENC_RAW;
      dv.setUint16(e + O_FLAGS, 0, true);
      return e;
    }
    // Move the value out (or to a bigger inline entry): a new entry replaces the old one.
    const want = newLen <= INLINE_MAX ? newLen : newLen < 1 << 20 ? newLen * 2 : newLen + (1 << 20);
    const ne = this.newString(this.u8, e + O_KEY, klen, null, 0, newLen, ENC_RAW, want);
    heap.mem.copy(this.valueOffset(ne), voff, Math.min(keep, oldLen));
    heap.mem.copy(ne + O_EXPIRE, e + O_EXPIRE, 8);
    heap.mem.copy(ne + O_LRU, e + O_LRU, 4);
    this.relink(db, e, ne);
    return ne;
  }

  /**
   * Write `val` at `offset` into a copy of the string (copy-on-write), for overwrites
   * too large to undo-log: the old value stays untouched until the operation commits.
   */
  spliceStringCopy(db: number, e: number, offset: number, val: Uint8Array): number {
    const heap = this.heap;
    const oldLen = this.valueLength(e);
    const newLen = Math.max(oldLen, offset + val.length);
    const klen = this.keyLength(e);
    const ne = this.newString(this.u8, e + O_KEY, klen, null, 0, newLen, ENC_RAW, newLen);
    const src = this.valueOffset(e);
    const dst = this.valueOffset(ne);
    heap.mem.copy(dst, src, Math.min(offset, oldLen));
    if (offset > oldLen) heap.mem.fill(dst + oldLen, offset - oldLen, 0);
    heap.mem.write(dst + offset, val);
    if (offset + val.length < oldLen) heap.mem.copy(dst + offset + val.length, src + offset + val.length, oldLen - offset - val.length);
    heap.mem.copy(ne + O_EXPIRE, e + O_EXPIRE, 8);
    heap.mem.copy(ne + O_LRU, e + O_LRU, 4);
    this.relink(db, e, ne);
    return ne;
  }

  /** Point the tables at ne instead of e and free e (not its value chunk if ne took it). */
  private relink(db: number, e: number, ne: number): void {
    const h = hashBytes(this.u8, e + O_KEY, this.keyLength(e));
    const oref = Heap.ref(e);
    const nref = Heap.ref(ne);
    this.main(db).replace(h, oref, nref);
    if (this.expireAt(e) !== 0) this.expires(db).replace(h, oref, nref);
    if (this.dv.getUint32(e + O_VREF, true) === this.dv.getUint32(ne + O_VREF, true)) this.heap.free(e);
    else this.freeEntry(e);
  }

  // ---------------------------------------------------------------- expiry

  /** Set (ms since epoch) or clear (0) a key's expiry, keeping the expires index in step. */
  setExpireAt(db: number, e: number, at: Expiry, hash?: number): void {
    const cur = this.expireAt(e);
    if (typeof at === 'number' && cur === at) return;
    const h = hash ?? hashBytes(this.u8, e + O_KEY, this.keyLength(e));
    const ref = Heap.ref(e);
    this.heap.log(e + O_EXPIRE, 8);
    this.writeExpire(e, at);
    if (cur === 0) this.expires(db).insert(h, ref);
    else if (at === 0) this.expires(db).remove(h, ref);
  }

  // ---------------------------------------------------------------- deleting

  delete(db: number, key: Uint8Array): boolean {
    const e = this.find(db, key);
    if (e === 0) return false;
    this.removeEntry(db, e);
    return true;
  }

  /** Unlink an entry from its database and free it. */
  removeEntry(db: number, e: number, hash?: number): void {
    const h = hash ?? hashBytes(this.u8, e + O_KEY, this.keyLength(e));
    const ref = Heap.ref(e);
    this.main(db).remove(h, ref);
    if (this.expireAt(e) !== 0) this.expires(db).remove(h, ref);
    this.freeEntry(e);
  }

  private freeEntry(e: number): void {
    const vref = this.dv.getUint32(e + O_VREF, true);
    if (vref !== 0 && this.type(e) === OBJ_STRING) this.heap.free(Heap.deref(vref));
    this.heap.free(e);
  }

  // ---------------------------------------------------------------- whole-key operations

  /** Re-key an entry (RENAME): dst is overwritten; keeps value and TTL. */
  rename(db: number, src: number, dstKey: Uint8Array): void {
    const d = this.find(db, dstKey);
    if (d === src) return;
    if (d !== 0) this.removeEntry(db, d);
    const ne = this.cloneEntry(src, dstKey, true);
    const h = this.setProbe(dstKey, 0, dstKey.length);
    // The value chunk (if any) now belongs to ne: free only the old entry itself.
    const sh = hashBytes(this.u8, src + O_KEY, this.keyLength(src));
    const sref = Heap.ref(src);
    this.main(db).remove(sh, sref);
    if (this.expireAt(src) !== 0) this.expires(db).remove(sh, sref);
    this.heap.free(src);
    const nref = Heap.ref(ne);
    this.main(db).insert(h, nref);
    if (this.expireAt(ne) !== 0) this.expires(db).insert(h, nref);
  }

  /** A copy of entry e under another key (value chunk shared when `takeValue`, else copied). */
  private cloneEntry(e: number, key: Uint8Array, takeValue: boolean): number {
    const heap = this.heap;
    const dv = this.dv;
    const klen = this.keyLength(e);
    const vref = dv.getUint32(e + O_VREF, true);
    const inlineLen = vref === 0 ? this.valueLength(e) : 0;
    const ne = heap.alloc(O_KEY + key.length + inlineLen);
    heap.mem.copy(ne, e, O_KEY);
    dv.setUint32(ne + O_KLEN, key.length, true);
    heap.mem.write(ne + O_KEY, key);
    if (vref === 0) heap.mem.copy(ne + O_KEY + key.length, e + O_KEY + klen, inlineLen);
    else if (!takeValue) {
      const len = this.valueLength(e);
      const v = heap.alloc(Math.max(len, 1));
      heap.mem.copy(v, Heap.deref(vref), len);
      dv.setUint32(ne + O_VREF, Heap.ref(v), true);
    }
    return ne;
  }

  /** COPY: returns false when dst exists and !replace. */
  copy(srcDb: number, src: number, dstDb: number, dstKey: Uint8Array, replace: boolean): boolean {
    const d = this.lookupWrite(dstDb, dstKey);
    if (d !== 0) {
      if (!replace) return false;
      if (d === src) return true;
      this.removeEntry(dstDb, d);
    }
    const ne = this.cloneEntry(src, dstKey, false);
    this.dv.setUint32(ne + O_CTIME, Math.floor(this.now / 1000), true);
    // a copy is a new object (Redis duplicates it): fresh access metadata, never shared
    this.dv.setUint32(ne + O_LRU, freshStamp(this.access, this.now), true);
    this.dv.setUint16(ne + O_FLAGS, 0, true);
    this.linkEntry(dstDb, ne);
    return true;
  }

  private linkEntry(db: number, e: number): void {
    const h = hashBytes(this.u8, e + O_KEY, this.keyLength(e));
    const ref = Heap.ref(e);
    this.main(db).insert(h, ref);
    if (this.expireAt(e) !== 0) this.expires(db).insert(h, ref);
  }

  /** MOVE: the entry changes tables, nothing is copied. */
  move(db: number, e: number, dstDb: number): boolean {
    const key = this.keyOf(e);
    if (this.lookupWrite(dstDb, key) !== 0) return false;
    const h = hashBytes(key, 0, key.length);
    const ref = Heap.ref(e);
    this.main(db).remove(h, ref);
    if (this.expireAt(e) !== 0) this.expires(db).remove(h, ref);
    this.main(dstDb).insert(h, ref);
    if (this.expireAt(e) !== 0) this.expires(dstDb).insert(h, ref);
    return true;
  }

  // ---------------------------------------------------------------- iteration

  /** SCAN: entries of db from cursor; returns the next cursor. Expired keys are skipped (and deleted). */
  scan(db: number, cursor: number, count: number, out: number[]): number {
    const refs: number[] = [];
    const next = this.main(db).scan(cursor, count, refs);
    for (const r of refs) {
      const e = Heap.deref(r);
      const at = this.expireAt(e);
      if (at !== 0 && at <= this.now) {
        this.removeEntry(db, e);
        this.stats.expiredKeys++;
      } else out.push(e);
    }
    return next;
  }

  /** Every live entry of db (KEYS). */
  allEntries(db: number): number[] {
    const out: number[] = [];
    const expired: number[] = [];
    this.main(db).forEach((r) => {
      const e = Heap.deref(r);
      const at = this.expireAt(e);
      if (at !== 0 && at <= this.now) expired.push(e);
      else out.push(e);
    });
    for (const e of expired) {
      this.removeEntry(db, e);
      this.stats.expiredKeys++;
    }
    return out;
  }

  randomEntry(db: number): number {
    const main = this.main(db);
    for (let tries = 0; tries < 100; tries++) {
      const r = main.randomRef(Math.random);
      if (r === 0) return 0;
      const e = Heap.deref(r);
      const at = this.expireAt(e);
      if (at !== 0 && at <= this.now) {
        this.removeEntry(db, e);
        this.stats.expiredKeys++;
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

  /** Swap in empty tables; the old ones are freed a segment at a time (lazyFreeStep). */
  flushdb(db: number): void {
    const heap = this.heap;
    const k = this.meta();
    const dv = this.dv;
    const at = k + K_DBS + db * 8;
    if (this.main(db).count() === 0 && this.expires(db).count() === 0) return;
    const oldMain = dv.getUint32(at, true);
    const oldExp = dv.getUint32(at + 4, true);
    heap.log(at, 8);
    dv.setUint32(at, Heap.ref(Dash.create(heap)), true);
    dv.setUint32(at + 4, Heap.ref(Dash.create(heap)), true);
    // The expires table only references entries the main table owns: drop it now.
    this.table(oldExp).destroy();
    this.bury(oldMain);
  }

  flushall(): void {
    for (let db = 0; db < this.databases; db++) this.flushdb(db);
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

  lazyFreeAll(): void {
    while (this.pendingFrees() > 0) this.exec(() => this.lazyFreeStep());
  }

  /** Tables of flushed databases not yet freed. */
  pendingFrees(): number {
    return this.dv.getUint32(this.meta() + K_GRAVE_COUNT, true);
  }

  /** Free up to about `budget` entries of flushed databases (one operation, inside exec). */
  lazyFreeStep(budget = 2000): number {
    const k = this.meta();
    const dv = this.dv;
    let freed = 0;
    while (freed < budget) {
      const n = dv.getUint32(k + K_GRAVE_COUNT, true);
      if (n === 0) break;
      const slot = k + K_DBS + this.databases * 8 + (n - 1) * 4;
      const t = this.table(dv.getUint32(slot, true));
      const refs: number[] = [];
      const hashes: number[] = [];
      t.forEachUntil((r, h) => {
        refs.push(r);
        hashes.push(h);
        return refs.length < budget - freed;
      });
      for (let i = 0; i < refs.length; i++) {
        t.remove(hashes[i]!, refs[i]!);
        this.freeEntry(Heap.deref(refs[i]!));
      }
      freed += refs.length;
      if (t.count() === 0) {
        t.destroy();
        this.tableCache.clear();
        this.heap.log(k + K_GRAVE_COUNT, 4);
        dv.setUint32(k + K_GRAVE_COUNT, n - 1, true);
      }
    }
    return freed;
  }

  // ---------------------------------------------------------------- expiry cycle and stats

  /** Delete expired keys found by sampling each database's expires index. */
  activeExpireCycle(budgetMs: number): void {
    const deadline = perf.now() + budgetMs;
    for (let db = 0; db < this.databases; db++) {
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
            const at = this.expireAt(e);
            if (at !== 0 && at <= this.now) {
              this.removeEntry(db, e);
              this.stats.expiredKeys++;
              expired++;
            }
          }
        });
        // Like Redis: keep going on a database while more than a quarter of samples had expired.
        if (sampled === 0 || expired * 4 <= sampled) break;
      }
    }
    if (this.pendingFrees() > 0 && perf.now() < deadline) this.exec(() => this.lazyFreeStep());
    if (Date.now() - this.lastTrim >= TRIM_INTERVAL_MS && perf.now() < deadline) this.trim();
  }

  private lastTrim = 0;

  /** Give free memory back to tmpfs (tail truncation, hole punching). Returns bytes given back. */
  trim(): number {
    this.lastTrim = Date.now();
    const heap = this.heap;
    const own = !this.batch;
    if (own) heap.lock();
    try {
      return heap.trim();
    } finally {
      if (own) heap.unlock();
    }
  }

  private evictor: Evictor | null = null;

  evict(limit: number, policy: MaxmemoryPolicy, samples: number, budgetMs: number): { result: EvictResult; evicted: number } {
    this.evictor ??= new Evictor(this);
    const before = this.evictor.evicted;
    const result = this.evictor.run(limit, policy, samples, budgetMs);
    return { result, evicted: this.evictor.evicted - before };
  }

  /** Bytes the keyspace uses (INFO used_memory), cheap enough to read per command. */
  usedMemory(): number {
    return this.heap.usedBytes();
  }

  memoryStats(): StoreMemoryStats {
    const s = this.heap.stats();
    return {
      usedMemory: s.usedBytes,
      committed: s.committed,
      reserved: s.reserved,
      peak: s.peakUsed,
      fragmentation: s.usedBytes > 0 ? s.committed / s.usedBytes : 1,
    };
  }

  /** Structure check of heap, tables and objects: every entry reachable once, every chunk accounted for. */
  check(): { ok: boolean; errors: string[]; keys: number } {
    const heapReport = checkHeap(this.heap, { collectLive: true });
    const errors = [...heapReport.errors];
    const live = heapReport.live!;
    const reached = new Set<number>();
    const mark = (p: number, what: string) => {
      if (!live.has(p)) errors.push(`${what} at ${p} is not a live chunk`);
      else if (reached.has(p)) errors.push(`${what} at ${p} is referenced twice`);
      reached.add(p);
    };
    let keys = 0;
    const k = this.meta();
    mark(k, 'keyspace header');
    const markTable = (t: Dash) => {
      mark(t.table, 'table');
      t.forEachChunk((p) => mark(p, 'table chunk'));
    };
    for (let db = 0; db < this.databases; db++) {
      const main = this.main(db);
      const exp = this.expires(db);
      markTable(main);
      markTable(exp);
      keys += main.check(errors);
      exp.check(errors, (r) => main.find(hashBytes(this.u8, Heap.deref(r) + O_KEY, this.keyLength(Heap.deref(r))), (x) => x === r) === r);
      let withTtl = 0;
      main.forEach((r) => {
        const e = Heap.deref(r);
        mark(e, 'entry');
        if (this.type(e) === OBJ_STRING && this.dv.getUint32(e + O_VREF, true) !== 0) mark(Heap.deref(this.dv.getUint32(e + O_VREF, true)), 'string value');
        if (this.expireAt(e) !== 0) withTtl++;
      });
      if (withTtl !== exp.count()) errors.push(`db ${db}: ${withTtl} keys have a TTL, the expires index holds ${exp.count()}`);
    }
    const n = this.dv.getUint32(k + K_GRAVE_COUNT, true);
    for (let i = 0; i < n; i++) {
      const t = this.table(this.dv.getUint32(k + K_DBS + this.databases * 8 + i * 4, true));
      markTable(t);
      t.forEach((r) => {
        const e = Heap.deref(r);
        mark(e, 'flushed entry');
        if (this.type(e) === OBJ_STRING && this.dv.getUint32(e + O_VREF, true) !== 0) mark(Heap.deref(this.dv.getUint32(e + O_VREF, true)), 'flushed string value');
      });
    }
    for (const p of live) if (!reached.has(p)) errors.push(`chunk at ${p} is in use but nothing references it (leak)`);
    return { ok: errors.length === 0, errors: errors.slice(0, 100), keys };
  }

  close(): void {
    const f = this.onClose;
    this.onClose = null;
    f?.();
  }
}
