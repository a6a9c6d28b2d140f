/**
 * DUMP of a huge value without stalling anyone (the seed's incremental dump): the value is
 * serialised a slice at a time through a copy-on-write epoch (src/heap/cow.ts), so every
 * slice reads the value as it was when the DUMP ran, while the server serves other clients
 * and every process writes (a write copies the old lines it changes aside; nothing is
 * copied up front). The reply is sent once the payload is complete (a bulk reply needs its
 * length first).
 *
 * If writers changed more than the epoch's shadow holds, the view is no longer whole: the
 * job then serialises the key as it is at that moment, at once (a DUMP that took effect
 * later: still one consistent value).
 */
import type { Keyspace } from '../keyspace/keyspace.js';
import { isBigValue, valueType } from '../keyspace/valuetypes.js';
import { RdbEncoder } from '../rdb/encode.js';
import { RDB_VERSION } from '../rdb/format.js';
import { createDumpPayload } from '../rdb/dump.js';
import type { ValueStream } from '../rdb/stream.js';
import type { DeferredReply, ReplySink } from '../commands/types.js';

/** Elements (or bytes) per stream step. */
const STEP_BUDGET = 512;
/** Room for old lines: the epoch breaks when writers change more than this meanwhile. */
const SHADOW_BYTES = 8 << 20;

export class IncrementalDump implements DeferredReply {
  private readonly enc: RdbEncoder;
  private readonly chunks: Uint8Array[] = [];
  private done = false;
  /** The payload in pieces (the encoder's chunks, then the CRC), or null for a nil reply. */
  private payload: Uint8Array[] | null = null;
  private payloadBytes = 0;
  /** The shadow overflowed: `payload` is the key as it was when that was found (null: gone). */
  private fallback = false;
  /** CLIENT REPLY OFF / SKIP applied to the DUMP: no reply when done. */
  silent = false;
  private ended = false;

  private constructor(
    private readonly ks: Keyspace,
    private readonly db: number,
    private readonly key: Buffer,
    private readonly stream: ValueStream,
    private readonly compress: boolean,
  ) {
    // (the running CRC64 makes the trailer without another pass over the payload)
    this.enc = new RdbEncoder({ compress, checksum: true, sink: (c) => void this.chunks.push(Uint8Array.prototype.slice.call(c)) });
    this.enc.byte(stream.rdbType);
  }

  /**
   * Inside DUMP's operation, for entry e of key in db: a job when the value is big enough
   * and its type streams it and no other epoch is open; null: dump it at once.
   */
  static start(ks: Keyspace, db: number, key: Buffer, e: number, compress: boolean, ownerSlot: number): IncrementalDump | null {
    const cow = ks.heap.cow;
    if (cow.state() !== 0) return null;
    const t = valueType(ks.type(e));
    if (t.rdbStream === undefined) return null;
    if (!isBigValue(ks, e)) return null;
    const stream = t.rdbStream(ks, cow.view(), e);
    if (stream === undefined) return null;
    // the epoch opens inside this operation: from its end on, writers copy old lines aside
    cow.begin(ownerSlot, process.pid, Date.now(), SHADOW_BYTES);
    return new IncrementalDump(ks, db, Buffer.from(key), stream, compress);
  }

  step(deadline: number): boolean {
    if (this.done) return true;
    const ks = this.ks;
    ks.exec(() => {
      if (!ks.heap.cow.whole) {
        // the shadow overflowed: the key as it is now, at once
        const e = ks.findRaw(this.db, this.key);
        const p = e === 0 || ks.isExpired(e) ? null : createDumpPayload(valueType(ks.type(e)).toRdb!(ks, e), { compress: this.compress });
        this.payload = p === null ? null : [p];
        this.payloadBytes = p === null ? 0 : p.length;
        this.fallback = true;
        this.done = true;
        return;
      }
      while (!this.done && performance.now() < deadline) this.done = this.stream.step(this.enc, STEP_BUDGET);
    });
    if (this.done) {
      if (!this.fallback) this.seal();
      this.end();
    }
    return this.done;
  }

  private seal(): void {
    this.enc.byte(RDB_VERSION & 0xff);
    this.enc.byte((RDB_VERSION >>> 8) & 0xff);
    const crc = this.enc.crcDigest();
    this.enc.flush();
    this.chunks.push(crc);
    this.payload = this.chunks;
    for (const c of this.chunks) this.payloadBytes += c.length;
  }

  /** Close the epoch (a slice of quarantined frees per operation). */
  private end(): void {
    if (this.ended) return;
    this.ended = true;
    const ks = this.ks;
    while (!ks.exec(() => ks.heap.cow.endStep())) {
      // (each slice is its own operation: other processes get the lock in between)
    }
  }

  finish(reply: ReplySink): void {
    if (this.silent) return;
    if (this.payload === null) reply.nullBulk();
    // (a socket writer sends the pieces as they are: no copy of a payload of hundreds of MB)
    else if (reply.bulkParts !== undefined) reply.bulkParts(this.payload, this.payloadBytes);
    else reply.bulk(Buffer.concat(this.payload));
  }

  abort(): void {
    this.done = true;
    this.end();
  }
}
