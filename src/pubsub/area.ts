/**
 * The shared pub/sub area: what every process with the segment open needs to publish to
 * the others and to count their subscribers. One heap chunk, made lazily (the first
 * SUBSCRIBE / PUBLISH / keyspace event of any process) under the write lock; its ref is
 * the keyspace header's u32 at offset 44 (src/keyspace/keyspace.ts, K_PUBSUB).
 *
 * Two parts:
 * - a registration table: per process slot (the segment's attach slot, 64 = a process
 *   without one) and per channel / pattern / shard channel, how many of that process's
 *   subscribers have it. PUBLISH sums them (exact receiver counts across processes), PUBSUB
 *   CHANNELS / NUMSUB / NUMPAT read them. A process that died leaves its registrations
 *   behind: whoever reads them checks the slot's liveness (the segment's attach locks,
 *   which the kernel drops with the process) and removes a dead slot's entries; a process
 *   that takes a slot over removes what a previous holder of it left.
 * - a byte ring of published messages (keyspace events are messages too). The writer
 *   (under the write lock, inside an operation) copies the record in, THEN advances the
 *   write position — the only logged write: a writer that dies before it has written
 *   nothing visible, and one that dies after it is rolled back like any operation, so no
 *   reader ever sees a half-written record and nothing stays stuck. Readers read under the
 *   lock, from their own position (process memory); a reader the writers went round
 *   (write position - its position > capacity) is told it lost messages.
 *   After a publish the futex word is bumped and, if some process has a reader parked,
 *   woken: readers never poll.
 *
 * Layout, written down once (PUBSUB_VERSION 1):
 *   0    u32  PUBSUB_VERSION
 *   4    u32  ring capacity, bytes (a power of two)
 *   8    i32  futex word: bumped after every publish (Atomics; not logged)
 *   12   i32  parked readers, all processes (Atomics; a crashed reader leaves it high: wasted wakes only)
 *   16   f64  ring write position: bytes ever written (logged)
 *   24   u32  registration entries (logged)
 *   28   u32  client-side-caching trackers, all processes: the sum of the K_TRACK entries' counts
 *             (logged; kept with the entries by register / purgeSlot). 0 in an area made before
 *             tracking existed, which has no K_TRACK entries either: the same layout, version 1.
 *             A writer reads it on every change of a key: non-zero → it puts the key's name in
 *             the ring (src/commands/tracking.ts); zero → it pays nothing more.
 *   32   PROC_SLOTS (65) × 8: per process slot {i32 pid that registered, u32 entries of the slot}
 *   552  BUCKETS (1024) × u32: heads of the registration hash chains (ref, 0 = empty)
 *   4648 the ring: capacity bytes
 * A registration entry is a heap chunk of its own:
 *   0 u32 next ref, 4 u8 process slot, 5 u8 kind (K_CHANNEL / K_PATTERN / K_SHARD / K_TRACK),
 *   6 u16 0, 8 u32 subscribers, 12 u32 name hash, 16 u32 name length, 20 name bytes
 * Channels and shard channels go to the bucket of their name's hash (mod 1023); patterns
 * all hang on the last bucket's chain, which PUBLISH walks whole (as Redis walks its
 * pattern list).
 * A ring record: u32 channel length, u32 message length, u32 kind (R_MESSAGE / R_SMESSAGE / R_INVALIDATE),
 * u32 0, then the channel and message bytes; records wrap around the ring's end.
 */
import { Heap } from '../heap/heap.js';
import { HeapFormatError } from '../heap/errors.js';
import { hashBytes } from '../structs/hash.js';
import { stringMatch } from '../util/glob.js';

export const PUBSUB_VERSION = 1;
/** 4 MiB: how far a process may fall behind the publishers before it loses messages. */
export const DEFAULT_RING_CAPACITY = 1 << 22;
export const PROC_SLOTS = 65;
/** The slot of a process without an attach slot (a plain memory backing: one process). */
export const NO_SLOT = 64;
const BUCKETS = 1024;
const PATTERN_BUCKET = BUCKETS - 1;

export const K_CHANNEL = 1;
export const K_PATTERN = 2;
export const K_SHARD = 3;
/** A process with client-side-caching tracking on (name: TRACK_NAME); not a channel. */
export const K_TRACK = 4;
export const TRACK_NAME = new Uint8Array(0);
export const R_MESSAGE = 1;
export const R_SMESSAGE = 2;
/** Client-side-caching invalidation: channel = the key's name, message = 8 bytes (src/commands/tracking.ts). */
export const R_INVALIDATE = 3;

const P_VERSION = 0;
const P_CAP = 4;
const P_WORD = 8;
const P_WAITERS = 12;
const P_WPOS = 16;
const P_ENTRIES = 24;
const P_TRACKERS = 28;
const P_PROCS = 32;
const P_BUCKETS = P_PROCS + PROC_SLOTS * 8;
const P_RING = P_BUCKETS + BUCKETS * 4;
const REC_HEADER = 16;

const E_NEXT = 0;
const E_SLOT = 4;
const E_KIND = 5;
const E_COUNT = 8;
const E_HASH = 12;
const E_LEN = 16;
const E_NAME = 20;

export function pubsubBytes(capacity: number): number {
  return P_RING + capacity;
}

/** Lay out an empty area in a fresh chunk (inside an operation: the chunk is new). */
export function formatPubsub(heap: Heap, at: number, capacity = DEFAULT_RING_CAPACITY): void {
  if ((capacity & (capacity - 1)) !== 0) throw new Error('pub/sub ring capacity must be a power of two');
  heap.mem.fill(at, P_RING, 0);
  heap.dv.setUint32(at + P_VERSION, PUBSUB_VERSION, true);
  heap.dv.setUint32(at + P_CAP, capacity, true);
}

export interface RingRecord {
  kind: number;
  channel: Buffer;
  message: Buffer;
}

export class PubsubArea {
  readonly capacity: number;
  private readonly dv: DataView;
  private readonly u8: Uint8Array;
  readonly i32: Int32Array;
  /** Int32 indices of the futex word and the parked-readers count. */
  readonly wordIndex: number;
  readonly waitersIndex: number;

  constructor(
    private readonly heap: Heap,
    readonly at: number,
  ) {
    this.dv = heap.dv;
    this.u8 = heap.mem.u8;
    this.i32 = heap.mem.i32;
    const v = this.dv.getUint32(at + P_VERSION, true);
    if (v !== PUBSUB_VERSION) throw new HeapFormatError(`pub/sub area: layout version ${v}, this build reads version ${PUBSUB_VERSION}`);
    this.capacity = this.dv.getUint32(at + P_CAP, true);
    if (this.capacity === 0 || (this.capacity & (this.capacity - 1)) !== 0) throw new HeapFormatError('pub/sub area: bad ring capacity');
    this.wordIndex = (at + P_WORD) >> 2;
    this.waitersIndex = (at + P_WAITERS) >> 2;
  }

  // ---------------------------------------------------------------- registrations (lock held)

  private procPid(slot: number): number {
    return this.dv.getInt32(this.at + P_PROCS + slot * 8, true);
  }

  private procEntries(slot: number): number {
    return this.dv.getUint32(this.at + P_PROCS + slot * 8 + 4, true);
  }

  private setProc(slot: number, pid: number, entries: number): void {
    const o = this.at + P_PROCS + slot * 8;
    this.heap.log(o, 8);
    this.dv.setInt32(o, pid, true);
    this.dv.setUint32(o + 4, entries, true);
  }

  private bucketOf(kind: number, hash: number): number {
    return kind === K_PATTERN ? PATTERN_BUCKET : hash % PATTERN_BUCKET;
  }

  private find(slot: number, kind: number, name: Uint8Array, hash: number): number {
    let r = this.dv.getUint32(this.at + P_BUCKETS + this.bucketOf(kind, hash) * 4, true);
    while (r !== 0) {
      const e = Heap.deref(r);
      if (this.u8[e + E_SLOT] === slot && this.u8[e + E_KIND] === kind && this.sameName(e, name, hash)) return e;
      r = this.dv.getUint32(e + E_NEXT, true);
    }
    return 0;
  }

  private sameName(e: number, name: Uint8Array, hash: number): boolean {
    const dv = this.dv;
    if (dv.getUint32(e + E_HASH, true) !== hash || dv.getUint32(e + E_LEN, true) !== name.length) return false;
    const u8 = this.u8;
    for (let i = 0; i < name.length; i++) if (u8[e + E_NAME + i] !== name[i]) return false;
    return true;
  }

  private nameOf(e: number): Buffer {
    const len = this.dv.getUint32(e + E_LEN, true);
    return Buffer.from(this.u8.subarray(e + E_NAME, e + E_NAME + len));
  }

  /**
   * Process `slot` (pid `pid`) has `delta` more (or fewer) subscribers of (kind, name).
   * Inside an operation. A slot last registered by another pid is cleared first (its
   * previous holder died).
   */
  register(slot: number, pid: number, kind: number, name: Uint8Array, delta: number): void {
    if (this.procPid(slot) !== pid) {
      if (this.procEntries(slot) > 0) this.purgeSlot(slot);
      this.setProc(slot, pid, 0);
    }
    const hash = hashBytes(name, 0, name.length);
    const e = this.find(slot, kind, name, hash);
    const dv = this.dv;
    if (kind === K_TRACK) {
      const had = e === 0 ? 0 : dv.getUint32(e + E_COUNT, true);
      this.addTrackers(Math.max(had + delta, 0) - had);
    }
    if (e !== 0) {
      const n = dv.getUint32(e + E_COUNT, true) + delta;
      if (n > 0) {
        this.heap.log(e + E_COUNT, 4);
        dv.setUint32(e + E_COUNT, n, true);
      } else this.unlink(e, kind, hash);
      return;
    }
    if (delta <= 0) return;
    const ne = this.heap.alloc(E_NAME + name.length);
    dv.setUint32(ne + E_NEXT, 0, true);
    this.u8[ne + E_SLOT] = slot;
    this.u8[ne + E_KIND] = kind;
    dv.setUint16(ne + 6, 0, true);
    dv.setUint32(ne + E_COUNT, delta, true);
    dv.setUint32(ne + E_HASH, hash, true);
    dv.setUint32(ne + E_LEN, name.length, true);
    this.u8.set(name, ne + E_NAME);
    const b = this.at + P_BUCKETS + this.bucketOf(kind, hash) * 4;
    dv.setUint32(ne + E_NEXT, dv.getUint32(b, true), true);
    this.heap.log(b, 4);
    dv.setUint32(b, Heap.ref(ne), true);
    this.setProc(slot, pid, this.procEntries(slot) + 1);
    this.addEntries(1);
  }

  private addTrackers(d: number): void {
    if (d === 0) return;
    this.heap.log(this.at + P_TRACKERS, 4);
    this.dv.setUint32(this.at + P_TRACKERS, this.trackers + d, true);
  }

  /** Sum of the K_TRACK registrations of every process (read without the lock: a hint). */
  get trackers(): number {
    return this.dv.getUint32(this.at + P_TRACKERS, true);
  }

  private addEntries(d: number): void {
    this.heap.log(this.at + P_ENTRIES, 4);
    this.dv.setUint32(this.at + P_ENTRIES, this.dv.getUint32(this.at + P_ENTRIES, true) + d, true);
  }

  private unlink(e: number, kind: number, hash: number): void {
    const dv = this.dv;
    let link = this.at + P_BUCKETS + this.bucketOf(kind, hash) * 4;
    const target = Heap.ref(e);
    for (let r = dv.getUint32(link, true); r !== 0; r = dv.getUint32(link, true)) {
      if (r === target) {
        this.heap.log(link, 4);
        dv.setUint32(link, dv.getUint32(e + E_NEXT, true), true);
        const slot = this.u8[e + E_SLOT]!;
        this.setProc(slot, this.procPid(slot), this.procEntries(slot) - 1);
        this.addEntries(-1);
        this.heap.free(e);
        return;
      }
      link = Heap.deref(r) + E_NEXT;
    }
  }

  /** Remove every registration of a process slot (its process died, or the process leaves). */
  purgeSlot(slot: number): void {
    const dv = this.dv;
    for (let b = 0; b < BUCKETS; b++) {
      let link = this.at + P_BUCKETS + b * 4;
      for (let r = dv.getUint32(link, true); r !== 0; r = dv.getUint32(link, true)) {
        const e = Heap.deref(r);
        if (this.u8[e + E_SLOT] === slot) {
          if (this.u8[e + E_KIND] === K_TRACK) this.addTrackers(-dv.getUint32(e + E_COUNT, true));
          this.heap.log(link, 4);
          dv.setUint32(link, dv.getUint32(e + E_NEXT, true), true);
          this.addEntries(-1);
          this.heap.free(e);
        } else link = e + E_NEXT;
      }
    }
    this.setProc(slot, 0, 0);
  }

  /**
   * Remove the registrations of slots whose process is gone (inside an operation): the
   * slot's live holder (`holder`: its pid, 0 when none) is not the pid that registered
   * (dead, or the slot was taken over by a process that has not registered yet).
   */
  purgeDead(self: number, holder: (slot: number) => number): void {
    for (let s = 0; s < PROC_SLOTS; s++) {
      if (s === self || s === NO_SLOT || this.procEntries(s) === 0) continue;
      if (holder(s) !== this.procPid(s)) this.purgeSlot(s);
    }
  }

  /** Any registration at all (a publish with none writes nothing). */
  get empty(): boolean {
    return this.dv.getUint32(this.at + P_ENTRIES, true) === 0;
  }

  /** Subscribers of `channel` in every process: channel (or shard channel) subscribers plus matching patterns. */
  receivers(channel: Uint8Array, shard: boolean): number {
    if (this.empty) return 0;
    const dv = this.dv;
    const hash = hashBytes(channel, 0, channel.length);
    const kind = shard ? K_SHARD : K_CHANNEL;
    let n = 0;
    for (let r = dv.getUint32(this.at + P_BUCKETS + this.bucketOf(kind, hash) * 4, true); r !== 0; ) {
      const e = Heap.deref(r);
      if (this.u8[e + E_KIND] === kind && this.sameName(e, channel, hash)) n += dv.getUint32(e + E_COUNT, true);
      r = dv.getUint32(e + E_NEXT, true);
    }
    if (!shard) {
      for (let r = dv.getUint32(this.at + P_BUCKETS + PATTERN_BUCKET * 4, true); r !== 0; ) {
        const e = Heap.deref(r);
        const len = dv.getUint32(e + E_LEN, true);
        if (stringMatch(this.u8.subarray(e + E_NAME, e + E_NAME + len), channel)) n += dv.getUint32(e + E_COUNT, true);
        r = dv.getUint32(e + E_NEXT, true);
      }
    }
    return n;
  }

  /** Subscribers of one channel / shard channel in every process (PUBSUB NUMSUB). */
  numsub(kind: number, name: Uint8Array): number {
    const dv = this.dv;
    const hash = hashBytes(name, 0, name.length);
    let n = 0;
    for (let r = dv.getUint32(this.at + P_BUCKETS + this.bucketOf(kind, hash) * 4, true); r !== 0; ) {
      const e = Heap.deref(r);
      if (this.u8[e + E_KIND] === kind && this.sameName(e, name, hash)) n += dv.getUint32(e + E_COUNT, true);
      r = dv.getUint32(e + E_NEXT, true);
    }
    return n;
  }

  /** Distinct names of a kind over every process (PUBSUB CHANNELS / SHARDCHANNELS / NUMPAT). */
  names(kind: number): Buffer[] {
    const dv = this.dv;
    const seen = new Map<string, Buffer>();
    const visit = (b: number): void => {
      for (let r = dv.getUint32(this.at + P_BUCKETS + b * 4, true); r !== 0; ) {
        const e = Heap.deref(r);
        if (this.u8[e + E_KIND] === kind) {
          const name = this.nameOf(e);
          const k = name.toString('latin1');
          if (!seen.has(k)) seen.set(k, name);
        }
        r = dv.getUint32(e + E_NEXT, true);
      }
    };
    if (kind === K_PATTERN) visit(PATTERN_BUCKET);
    else for (let b = 0; b < PATTERN_BUCKET; b++) visit(b);
    return [...seen.values()];
  }

  /** The registration chunks (the keyspace check marks them reachable). */
  chunks(): number[] {
    const out: number[] = [];
    for (let b = 0; b < BUCKETS; b++) {
      for (let r = this.dv.getUint32(this.at + P_BUCKETS + b * 4, true); r !== 0; ) {
        const e = Heap.deref(r);
        out.push(e);
        r = this.dv.getUint32(e + E_NEXT, true);
      }
    }
    return out;
  }

  // ---------------------------------------------------------------- the ring

  writePos(): number {
    return this.dv.getFloat64(this.at + P_WPOS, true);
  }

  /** Largest channel + message a record may carry (a quarter of the ring). */
  get maxRecord(): number {
    return this.capacity >> 2;
  }

  /** Append a record (lock held, inside an operation); false when it is too large for the ring. */
  append(kind: number, channel: Uint8Array, message: Uint8Array): boolean {
    const size = REC_HEADER + channel.length + message.length;
    if (size > this.maxRecord) return false;
    const pos = this.writePos();
    const hdr = Buffer.allocUnsafe(REC_HEADER);
    hdr.writeUInt32LE(channel.length, 0);
    hdr.writeUInt32LE(message.length, 4);
    hdr.writeUInt32LE(kind, 8);
    hdr.writeUInt32LE(0, 12);
    let p = this.copyIn(pos, hdr);
    p = this.copyIn(p, channel);
    this.copyIn(p, message);
    // the record is complete: now make it visible (the one logged write)
    this.heap.log(this.at + P_WPOS, 8);
    this.dv.setFloat64(this.at + P_WPOS, pos + size, true);
    return true;
  }

  private copyIn(pos: number, src: Uint8Array): number {
    const cap = this.capacity;
    const off = pos % cap;
    const base = this.at + P_RING;
    const first = Math.min(src.length, cap - off);
    this.u8.set(src.subarray(0, first), base + off);
    if (first < src.length) this.u8.set(src.subarray(first), base);
    return pos + src.length;
  }

  private copyOut(pos: number, len: number): Buffer {
    const cap = this.capacity;
    const off = pos % cap;
    const base = this.at + P_RING;
    const out = Buffer.allocUnsafe(len);
    const first = Math.min(len, cap - off);
    out.set(this.u8.subarray(base + off, base + off + first), 0);
    if (first < len) out.set(this.u8.subarray(base, base + len - first), first);
    return out;
  }

  /**
   * The records from position `from` on (lock held). `lost`: the writers went round past
   * `from` (those records are gone; reading resumes at the write position).
   */
  readFrom(from: number, out: RingRecord[]): { pos: number; lost: boolean } {
    const end = this.writePos();
    // (a rolled-back operation of this process may have taken the position back)
    if (from > end) return { pos: end, lost: false };
    if (end - from > this.capacity) return { pos: end, lost: true };
    let p = from;
    while (p < end) {
      const h = this.copyOut(p, REC_HEADER);
      const cl = h.readUInt32LE(0);
      const ml = h.readUInt32LE(4);
      const kind = h.readUInt32LE(8);
      p += REC_HEADER;
      const channel = this.copyOut(p, cl);
      p += cl;
      const message = this.copyOut(p, ml);
      p += ml;
      out.push({ kind, channel, message });
    }
    return { pos: end, lost: false };
  }

  /** After a publish: bump the word and wake parked readers, if any (any process). */
  bump(): boolean {
    Atomics.add(this.i32, this.wordIndex, 1);
    return Atomics.load(this.i32, this.waitersIndex) > 0;
  }
}
