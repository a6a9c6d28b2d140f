/**
 * One process's side of pub/sub (per open keyspace): its local subscribers (server
 * connections, library handlers), its registrations in the shared area (so PUBLISH in any
 * process counts them), its read position in the shared ring, and the reader that waits on
 * the ring's futex word on a worker thread (futexWaitAsync: the event loop keeps running,
 * nothing polls).
 *
 * Every message goes through the ring, the publishing process's own subscribers included:
 * one order for everybody, the order of publication (the ring is written under the write
 * lock). A server drains the ring right after each command (its subscribers get a
 * message published by one of its clients before that client's PUBLISH reply goes out, as
 * in Redis); other messages arrive through the futex wake-up.
 */
import { futexWaitAsync, futexWake } from '../shm/futex.js';
import type { Keyspace } from '../keyspace/keyspace.js';
import { stringMatch } from '../util/glob.js';
import { K_CHANNEL, K_PATTERN, K_SHARD, K_TRACK, NO_SLOT, R_INVALIDATE, R_MESSAGE, R_SMESSAGE, TRACK_NAME, type PubsubArea, type RingRecord } from './area.js';

export type SubKind = typeof K_CHANNEL | typeof K_PATTERN | typeof K_SHARD;
export { K_CHANNEL, K_PATTERN, K_SHARD, R_MESSAGE, R_SMESSAGE };

/** A local subscriber: a server connection's session, or a library subscription set. */
export interface PubsubReceiver {
  /** One message ('message' / 'smessage': pattern null). */
  message(type: 'message' | 'pmessage' | 'smessage', pattern: Buffer | null, channel: Buffer, message: Buffer): void;
  /** This process fell behind the ring's capacity: messages it should have had are gone. */
  lost(): void;
}

interface PatternSubs {
  pattern: Buffer;
  subs: Set<PubsubReceiver>;
}

/** How often a publisher checks that the processes it counts are alive. */
const LIVENESS_INTERVAL_MS = 20;

const hubs = new WeakMap<Keyspace, PubsubHub>();

/** The hub of a keyspace in this process (made at first use). */
export function hubOf(ks: Keyspace): PubsubHub {
  let h = hubs.get(ks);
  if (h === undefined) hubs.set(ks, (h = new PubsubHub(ks)));
  return h;
}

/** The hub of a keyspace if it has been made (nothing to do otherwise). */
export function existingHub(ks: Keyspace): PubsubHub | undefined {
  return hubs.get(ks);
}

interface SegmentLike {
  slot: number;
  slotHolder(i: number): number;
}

export class PubsubHub {
  private readonly channels = new Map<string, Set<PubsubReceiver>>();
  private readonly patterns = new Map<string, PatternSubs>();
  private readonly shard = new Map<string, Set<PubsubReceiver>>();
  /** Local (receiver, name) subscriptions of every kind. */
  private count = 0;
  /** Ring position read up to. */
  private pos = 0;
  private watching = false;
  private draining = false;
  private drainQueued = false;
  private lastLiveness = 0;
  readonly slot: number;
  /** The live pid attached through a slot (0: none). */
  private readonly holder: (slot: number) => number;
  /**
   * Deliver the ring's records right after a local publish (a server: its clients' buffers
   * are written at once). A library process delivers on the next turn of its event loop,
   * never inside the publishing call.
   */
  syncDelivery = false;
  /** Called after messages were delivered (the server flushes its clients). */
  onDelivered: (() => void) | null = null;
  /**
   * Client-side caching (src/commands/tracking.ts): the reader of R_INVALIDATE records,
   * while this process tracks keys; it keeps the ring watched like a subscription does.
   * Called with null when this process fell behind the ring (everything may have changed).
   */
  private invalidation: ((rec: RingRecord | null) => void) | null = null;

  constructor(readonly ks: Keyspace) {
    const seg = (ks as Keyspace & { segment?: SegmentLike }).segment;
    let slot = NO_SLOT;
    try {
      if (seg !== undefined && seg.slot >= 0) slot = seg.slot;
    } catch {
      // detached
    }
    this.slot = slot;
    // (without a segment there is one process: whatever registered is alive)
    this.holder = seg !== undefined && slot !== NO_SLOT ? (i) => seg.slotHolder(i) : () => process.pid;
  }

  /** Local subscriptions (receiver × name) of every kind. */
  get subscriptions(): number {
    return this.count;
  }

  /** Something here reads the ring: a subscription, or client-side-caching tracking. */
  private get active(): boolean {
    return this.count > 0 || this.invalidation !== null;
  }

  /**
   * Start (fn) or stop (null) reading invalidation records: registered in the shared area
   * as K_TRACK, so writers in every process know to put key names in the ring.
   */
  setInvalidationReader(fn: ((rec: RingRecord | null) => void) | null): void {
    if ((fn === null) === (this.invalidation === null)) {
      this.invalidation = fn;
      return;
    }
    if (fn !== null) {
      const first = !this.active;
      this.ks.exec(() => {
        const a = this.area();
        if (first && !this.watching) this.pos = a.writePos();
        a.register(this.slot, process.pid, K_TRACK, TRACK_NAME, 1);
      });
      this.invalidation = fn;
      if (first) this.watch();
      return;
    }
    this.invalidation = null;
    try {
      this.ks.exec(() => this.area().register(this.slot, process.pid, K_TRACK, TRACK_NAME, -1));
    } catch {
      // the keyspace is closed
    }
    if (!this.active) this.unwatch();
  }

  /** Whether this process reads invalidation records. */
  get tracking(): boolean {
    return this.invalidation !== null;
  }

  /**
   * An invalidation record (from the write seam, inside the writing operation) for the
   * other processes that track keys; key null: a flush.
   */
  emitInvalidation(key: Uint8Array | null, message: Uint8Array): void {
    const a = this.ks.pubsubArea(false);
    if (a === null) return;
    this.checkLiveness(a);
    if (!a.append(R_INVALIDATE, key ?? new Uint8Array(0), message)) return;
    if (a.bump()) futexWake(a.i32, a.wordIndex, 0x7fffffff);
  }

  private area(): PubsubArea {
    return this.ks.pubsubArea(true)!;
  }

  private mapOf(kind: SubKind): Map<string, Set<PubsubReceiver>> {
    return kind === K_SHARD ? this.shard : this.channels;
  }

  /** Subscribe r to (kind, name); false when it already was. */
  add(r: PubsubReceiver, kind: SubKind, name: Buffer): boolean {
    const key = name.toString('latin1');
    let set: Set<PubsubReceiver>;
    if (kind === K_PATTERN) {
      let p = this.patterns.get(key);
      if (p === undefined) this.patterns.set(key, (p = { pattern: Buffer.from(name), subs: new Set() }));
      set = p.subs;
    } else {
      const m = this.mapOf(kind);
      let s = m.get(key);
      if (s === undefined) m.set(key, (s = new Set()));
      set = s;
    }
    if (set.has(r)) return false;
    const first = !this.active;
    this.ks.exec(() => {
      const a = this.area();
      // the first subscription: read from what is published from now on
      if (first && !this.watching) this.pos = a.writePos();
      a.register(this.slot, process.pid, kind, name, 1);
    });
    set.add(r);
    this.count++;
    if (first) this.watch();
    return true;
  }

  /** Unsubscribe r from (kind, name); false when it was not subscribed. */
  remove(r: PubsubReceiver, kind: SubKind, name: Buffer): boolean {
    const key = name.toString('latin1');
    let set: Set<PubsubReceiver> | undefined;
    if (kind === K_PATTERN) set = this.patterns.get(key)?.subs;
    else set = this.mapOf(kind).get(key);
    if (set === undefined || !set.has(r)) return false;
    set.delete(r);
    if (set.size === 0) {
      if (kind === K_PATTERN) this.patterns.delete(key);
      else this.mapOf(kind).delete(key);
    }
    this.count--;
    try {
      this.ks.exec(() => this.area().register(this.slot, process.pid, kind, name, -1));
    } catch {
      // the keyspace is closed: nothing left to unregister from
    }
    if (!this.active) this.unwatch();
    return true;
  }

  /**
   * PUBLISH / SPUBLISH: count the receivers in every process and, if there are any, put
   * the message in the ring. Returns the count.
   */
  publish(shard: boolean, channel: Buffer, message: Buffer): number {
    const ks = this.ks;
    let n = 0;
    let wake = false;
    ks.exec(() => {
      const a = ks.pubsubArea(false);
      if (a === null || a.empty) return;
      this.checkLiveness(a);
      n = a.receivers(channel, shard);
      if (n === 0) return;
      if (!a.append(shard ? R_SMESSAGE : R_MESSAGE, channel, message)) {
        throw new Error(`ERR message too large for the shared pub/sub ring (at most ${a.maxRecord - 16} bytes of channel and message)`);
      }
      wake = a.bump();
    });
    if (n > 0) this.afterAppend(wake);
    return n;
  }

  /** A record went into the ring: wake parked readers, deliver locally. */
  private afterAppend(wake: boolean): void {
    const a = this.ks.pubsubArea(false)!;
    if (wake) futexWake(a.i32, a.wordIndex, 0x7fffffff);
    if (!this.active) return;
    if (this.syncDelivery) this.drain();
    else this.queueDrain();
  }

  /**
   * A keyspace event (from the write seam, inside the writing operation): into the ring if
   * anybody subscribes to anything. False when nothing was written.
   */
  emitInOperation(channel: Buffer, message: Buffer): boolean {
    const a = this.ks.pubsubArea(false);
    if (a === null || a.empty) return false;
    if (!a.append(R_MESSAGE, channel, message)) return false;
    if (a.bump()) futexWake(a.i32, a.wordIndex, 0x7fffffff);
    return true;
  }

  /** Drop the registrations of processes that died (at most every LIVENESS_INTERVAL_MS). */
  private checkLiveness(a: PubsubArea): void {
    const now = Date.now();
    if (now - this.lastLiveness < LIVENESS_INTERVAL_MS) return;
    this.lastLiveness = now;
    a.purgeDead(this.slot, this.holder);
  }

  /** PUBSUB NUMSUB / SHARDNUMSUB: subscribers of a channel in every process. */
  numsub(kind: SubKind, name: Buffer): number {
    const ks = this.ks;
    return ks.exec(() => {
      const a = ks.pubsubArea(false);
      if (a === null) return 0;
      this.lastLiveness = 0;
      this.checkLiveness(a);
      return a.numsub(kind, name);
    });
  }

  /** PUBSUB CHANNELS / SHARDCHANNELS (names) and NUMPAT (patterns): distinct names over every process. */
  names(kind: SubKind): Buffer[] {
    const ks = this.ks;
    return ks.exec(() => {
      const a = ks.pubsubArea(false);
      if (a === null) return [];
      this.lastLiveness = 0;
      this.checkLiveness(a);
      return a.names(kind);
    });
  }

  // ---------------------------------------------------------------- reading the ring

  /** Anything published since this process last read (an unlocked look: a hint). */
  pending(): boolean {
    if (!this.active) return false;
    const a = this.ks.pubsubArea(false);
    return a !== null && a.writePos() !== this.pos;
  }

  private queueDrain(): void {
    if (this.drainQueued) return;
    this.drainQueued = true;
    setImmediate(() => {
      this.drainQueued = false;
      this.drain();
    });
  }

  /** Read what was published since the last read and deliver it to local subscribers. */
  drain(): void {
    if (this.draining || !this.active) return;
    const a = this.ks.pubsubArea(false);
    if (a === null) return;
    this.draining = true;
    try {
      const recs: RingRecord[] = [];
      let lost = false;
      this.ks.exec(() => {
        const r = a.readFrom(this.pos, recs);
        this.pos = r.pos;
        lost = r.lost;
      });
      if (lost) this.reportLost();
      for (const rec of recs) this.deliver(rec);
    } finally {
      this.draining = false;
    }
    if (this.onDelivered !== null) this.onDelivered();
  }

  private reportLost(): void {
    if (this.invalidation !== null) this.invalidation(null);
    const all = new Set<PubsubReceiver>();
    for (const s of this.channels.values()) for (const r of s) all.add(r);
    for (const p of this.patterns.values()) for (const r of p.subs) all.add(r);
    for (const s of this.shard.values()) for (const r of s) all.add(r);
    for (const r of all) r.lost();
  }

  private deliver(rec: RingRecord): void {
    if (rec.kind === R_INVALIDATE) {
      if (this.invalidation !== null) this.invalidation(rec);
      return;
    }
    const key = rec.channel.toString('latin1');
    if (rec.kind === R_SMESSAGE) {
      const s = this.shard.get(key);
      if (s !== undefined) for (const r of [...s]) r.message('smessage', null, rec.channel, rec.message);
      return;
    }
    const s = this.channels.get(key);
    if (s !== undefined) for (const r of [...s]) r.message('message', null, rec.channel, rec.message);
    if (this.patterns.size > 0) {
      for (const p of [...this.patterns.values()]) {
        if (!stringMatch(p.pattern, rec.channel)) continue;
        for (const r of [...p.subs]) r.message('pmessage', p.pattern, rec.channel, rec.message);
      }
    }
  }

  private watch(): void {
    if (this.watching) return;
    const a = this.ks.pubsubArea(false);
    if (a === null) return;
    this.watching = true;
    // counted as parked before the word is read: a publisher bumps the word, then looks at the count
    Atomics.add(a.i32, a.waitersIndex, 1);
    void this.waitLoop(a, ++this.generation);
  }

  private generation = 0;

  private unwatch(): void {
    if (!this.watching) return;
    this.watching = false;
    // (done here, not by the loop: the keyspace may be unmapped by the time it runs again)
    const a = this.ks.pubsubArea(false);
    if (a !== null) {
      Atomics.sub(a.i32, a.waitersIndex, 1);
      // release our parked worker (other processes' readers just look again)
      Atomics.add(a.i32, a.wordIndex, 1);
      futexWake(a.i32, a.wordIndex, 0x7fffffff);
    }
  }

  private async waitLoop(a: PubsubArea, gen: number): Promise<void> {
    const { i32, wordIndex } = a;
    try {
      while (this.watching && gen === this.generation) {
        const word = Atomics.load(i32, wordIndex);
        if (a.writePos() !== this.pos) this.drain();
        if (!this.watching || gen !== this.generation) break;
        await futexWaitAsync(i32, wordIndex, word);
      }
    } catch (e) {
      // the keyspace was closed under us
      if (this.watching && gen === this.generation) this.watching = false;
      void e;
    }
  }

  /** Stop reading (the keyspace is closing): registrations withdrawn, no parked worker. */
  close(): void {
    if (this.invalidation !== null) {
      this.invalidation = null;
      try {
        this.ks.exec(() => this.ks.pubsubArea(false)?.register(this.slot, process.pid, K_TRACK, TRACK_NAME, -1));
      } catch {
        // already closed
      }
    }
    if (this.count > 0) {
      const regs: [SubKind, Buffer, number][] = [];
      for (const [k, s] of this.channels) regs.push([K_CHANNEL, Buffer.from(k, 'latin1'), s.size]);
      for (const p of this.patterns.values()) regs.push([K_PATTERN, p.pattern, p.subs.size]);
      for (const [k, s] of this.shard) regs.push([K_SHARD, Buffer.from(k, 'latin1'), s.size]);
      try {
        this.ks.exec(() => {
          const a = this.ks.pubsubArea(false);
          if (a !== null) for (const [kind, name, n] of regs) a.register(this.slot, process.pid, kind, name, -n);
        });
      } catch {
        // already closed
      }
    }
    this.unwatch();
    this.channels.clear();
    this.patterns.clear();
    this.shard.clear();
    this.count = 0;
    hubs.delete(this.ks);
  }
}
