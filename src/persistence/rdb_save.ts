/**
 * Writing the keyspace to an RDB file (Redis's rdbSave / rdbSaveRio), fork-free: a
 * snapshot (src/keyspace/snapshot.ts) is begun in one operation — that instant is what the
 * file holds — and walked a slice per operation; between slices every process goes on
 * reading and writing, and the write seam preserves what the walk still needs. Each slice
 * is encoded under the lock (values are read in place) and written to the file outside it.
 *
 * The file is written to a temporary name in the target's directory, fsynced, renamed over
 * the target, and the directory fsynced (rdbSave's order), so a crash at any point leaves
 * the previous file whole.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { REDIS_VERSION } from '../config/config.js';
import type { Keyspace } from '../keyspace/keyspace.js';
import { isBigValue, valueType } from '../keyspace/valuetypes.js';
import { reapDeadSnapshot, type SegmentKeyspace } from '../keyspace/open.js';
import { RdbFileWriter } from '../rdb/file.js';
import type { RdbKeyMeta } from '../rdb/value.js';
import { RdbEncoder } from '../rdb/encode.js';
import type { ValueStream } from '../rdb/stream.js';
import { liveView } from '../heap/view.js';
import { O_TYPE } from '../keyspace/object.js';

export interface SaveOptions {
  /** rdbcompression: LZF for strings longer than 20 bytes that shrink. */
  compress: boolean;
  /** rdbchecksum: a CRC64 trailer (else 8 zero bytes). */
  checksum: boolean;
  /** Aux fields after the header (redis-ver, redis-bits, ctime, used-mem, aof-base…). */
  aux: [string, string][];
  /** Attach slot and pid of the process that owns the snapshot (dead owners' snapshots are dropped). */
  ownerSlot: number;
  /**
   * rdb-key-save-delay: microseconds to sleep per key written, and per 16 elements of a
   * value written a slice at a time (tests slow a BGSAVE down with it).
   */
  keyDelayUs?: number;
}

export interface SaveProgress {
  keys: number;
  bytes: number;
}

/** The aux fields a save writes after the header (rdbSaveInfoAuxFields, no replication info). */
export function rdbAuxFields(ks: Keyspace): [string, string][] {
  return [
    ['redis-ver', REDIS_VERSION],
    ['redis-bits', String(os.arch().endsWith('64') ? 64 : 32)],
    ['ctime', String(Math.floor(Date.now() / 1000))],
    ['used-mem', String(ks.usedMemory())],
    ['aof-base', '0'],
  ];
}
/** Bytes to encode per slice before the lock is let go. */
const SLICE_BYTES = 256 * 1024;
/** Keys per slice at most. */
const SLICE_KEYS = 1000;

/** One save in progress: begin() … step() until true … or abort(). */
export class RdbSave {
  readonly tempPath: string;
  private fd = -1;
  private writer: RdbFileWriter | null = null;
  private curDb = -1;
  private pending: Uint8Array[] = [];
  private pendingBytes = 0;
  readonly progress: SaveProgress = { keys: 0, bytes: 0 };
  /**
   * The huge value being written a slice at a time (see startBig), or null. `e`: its side
   * entry (a pin, or a copy a writer made), marked written when done.
   */
  private big: { db: number; e: number; stream: ValueStream; enc: RdbEncoder } | null = null;
  /** Bytes of keys copied or moved aside for the snapshot by writers (INFO's rdb_last_cow_size). */
  cowBytes = 0;
  private finished = false;

  constructor(
    private readonly ks: Keyspace,
    /** The file to write (absolute, or relative to the process's working directory). */
    readonly target: string,
    private readonly opts: SaveOptions,
  ) {
    this.tempPath = path.join(path.dirname(target), `temp-${process.pid}.rdb`);
  }

  /**
   * Begin: open the temporary file and take the snapshot (the instant the file holds).
   * Throws (nothing begun) when the file cannot be created or another snapshot runs.
   */
  begin(): void {
    this.fd = fs.openSync(this.tempPath, 'w', 0o644);
    try {
      const ks = this.ks;
      // a snapshot left by a process that died is dropped first
      if ((ks as Keyspace & { segment?: unknown }).segment !== undefined) reapDeadSnapshot(ks as SegmentKeyspace);
      ks.exec(() => ks.snapshots.begin(this.opts.ownerSlot, process.pid, Date.now()));
    } catch (e) {
      fs.closeSync(this.fd);
      this.fd = -1;
      fs.rmSync(this.tempPath, { force: true });
      throw e;
    }
    this.writer = new RdbFileWriter({ sink: (chunk) => this.sink(chunk), compress: this.opts.compress, checksum: this.opts.checksum });
    this.writer.aux(this.opts.aux);
  }

  private sink(chunk: Uint8Array): void {
    // the encoder may reuse its buffer: keep a copy until the slice is written
    this.pending.push(Uint8Array.prototype.slice.call(chunk));
    this.pendingBytes += chunk.length;
  }

  /** Write out what the last slice encoded (outside the lock). */
  private drain(): void {
    for (const c of this.pending) {
      let off = 0;
      while (off < c.length) off += fs.writeSync(this.fd, c, off, c.length - off);
      this.progress.bytes += c.length;
    }
    this.pending = [];
    this.pendingBytes = 0;
  }

  /**
   * One slice: a few hundred KB of keys (or what fits before `deadline`, a performance.now()
   * time) encoded under the lock, then written. True when the whole snapshot is in the file
   * (then call finish()).
   */
  step(deadline = Infinity): boolean {
    const ks = this.ks;
    const w = this.writer!;
    const delay = this.opts.keyDelayUs ?? 0;
    let keys = 0;
    let done = false;
    ks.exec(() => {
      // the copy-on-write epoch pinned values are read through: grown, or ended once unused
      if (!ks.snapshots.tend()) throw new Error('writers changed more memory than the copy-on-write space could hold while a big value was being saved');
      // bytes writers preserved for the snapshot so far (the last step frees the state)
      this.cowBytes = ks.snapshots.info()?.cowBytes ?? this.cowBytes;
      // a big key being written a slice at a time goes first
      if (this.big !== null && !this.continueBig(deadline)) return;
      let lastHash = -1;
      // (with rdb-key-save-delay, a few keys per slice: the slice's time stays short)
      done = ks.snapshots.step(
        delay > 0 ? 8 : SLICE_KEYS,
        (db, e, fromSide, hash) => {
          if (db !== this.curDb) {
            this.curDb = db;
            w.selectDb(db);
            const sizes = ks.snapshots.sizes(db);
            w.resizeDb(sizes.keys, sizes.expires);
          }
          // a huge value is written over the next slices, not within this one
          if (fromSide) {
            if (this.startBig(db, e)) return false;
          } else {
            const h = hash ?? ks.keyHash(e);
            // (unless a key of the same hash went just before it: the walk cannot stop between them)
            if (h !== lastHash) {
              const pin = ks.snapshots.pinTableKey(db, e);
              if (pin !== 0 && this.startBig(db, pin)) return false;
            }
            lastHash = h;
          }
          this.writeKey(e);
          keys++;
          if (delay > 0) sleepUs(delay);
        },
        () => this.pendingBytes >= SLICE_BYTES || performance.now() >= deadline,
      );
    });
    this.progress.keys += keys;
    if (done) {
      w.end();
      this.finished = true;
    }
    this.drain();
    return done;
  }

  private meta(e: number): RdbKeyMeta {
    const ks = this.ks;
    const access = ks.access;
    return {
      expireAt: ks.expireAt(e),
      // (Redis saves LRU idle time or LFU counters only under a policy that uses them)
      idle: !access.lfu && /-lru$/.test(ks.limits.policy) ? ks.idleSeconds(e) : -1,
      freq: access.lfu ? ks.lfuFrequency(e) : -1,
    };
  }

  private writeKey(e: number): void {
    const ks = this.ks;
    const t = valueType(ks.type(e));
    if (t.toRdb === undefined) throw new Error(`values of type ${t.name} cannot be saved yet`);
    this.writer!.key(ks.keyOf(e), t.toRdb(ks, e), this.meta(e));
  }

  /**
   * A huge value met by the walk (inside its operation), as side entry e: a pin (the walk
   * pinned it, or a writer did before changing it: its value is read through the
   * copy-on-write epoch's view, as it was) or a copy a writer made (which nobody changes).
   * Its bytes are written over the next slices; true when taken.
   */
  private startBig(db: number, e: number): boolean {
    const ks = this.ks;
    const snaps = ks.snapshots;
    let stream: ValueStream | undefined;
    if (snaps.isPin(e)) {
      const view = ks.heap.cow.view();
      const live = snaps.pinnedEntry(e);
      stream = valueType(view.u8(live + O_TYPE)).rdbStream?.(ks, view, live);
      // (a pin is made only for a value its type streams)
      if (stream === undefined) throw new Error('internal error: a pinned value cannot be streamed');
    } else {
      if (!isBigValue(ks, e)) return false;
      stream = valueType(ks.type(e)).rdbStream?.(ks, liveView(ks.heap), e);
      if (stream === undefined) return false;
    }
    // (e's header is the key's as it was: its expiry and access time)
    const w = this.writer!;
    w.streamedKeyHead(ks.keyOf(e), stream.rdbType, this.meta(e));
    // the body goes to the file as it is made, a slice at a time
    const enc = new RdbEncoder({ compress: this.opts.compress, sink: (c) => w.streamedBody(c) });
    this.big = { db, e, stream, enc };
    return true;
  }

  /** Go on with the big value (inside an operation): true when it is written (the walk may go on). */
  private continueBig(deadline: number): boolean {
    const big = this.big!;
    const delay = this.opts.keyDelayUs ?? 0;
    let finished = false;
    if (delay > 0) {
      // rdb-key-save-delay: a few elements per slice, the delay after each (tests let
      // writers in between the slices of a big value with it)
      finished = big.stream.step(big.enc, 16);
      sleepUs(delay);
    } else {
      do finished = big.stream.step(big.enc, 512);
      while (!finished && performance.now() < deadline && this.pendingBytes < SLICE_BYTES);
    }
    if (!finished) return false;
    big.enc.flush();
    this.progress.keys++;
    // written: the walk does not meet it again, and a pin lets the epoch end
    this.ks.snapshots.markWritten(big.db, big.e);
    this.big = null;
    return true;
  }

  /** Make the file durable and put it in place (after step() said true). */
  finish(): void {
    if (!this.finished) throw new Error('the snapshot is not fully written');
    fs.fsyncSync(this.fd);
    fs.closeSync(this.fd);
    this.fd = -1;
    fs.renameSync(this.tempPath, this.target);
    fsyncDir(path.dirname(this.target));
  }

  /** Give up: the snapshot is dropped, the temporary file removed, the target untouched. */
  abort(): void {
    const ks = this.ks;
    try {
      if (!this.finished) ks.exec(() => ks.snapshots.abort());
    } finally {
      if (this.fd >= 0) fs.closeSync(this.fd);
      this.fd = -1;
      fs.rmSync(this.tempPath, { force: true });
    }
  }
}

function fsyncDir(dir: string): void {
  let fd = -1;
  try {
    fd = fs.openSync(dir, 'r');
    fs.fsyncSync(fd);
  } catch {
    // some filesystems refuse fsync on a directory: the rename is still atomic
  } finally {
    if (fd >= 0) fs.closeSync(fd);
  }
}

const sleeper = new Int32Array(new SharedArrayBuffer(4));
function sleepUs(us: number): void {
  if (us >= 1000) Atomics.wait(sleeper, 0, 0, us / 1000);
  else {
    const end = performance.now() + us / 1000;
    while (performance.now() < end);
  }
}

/** SAVE: the whole snapshot at once (other processes keep working between slices). */
export function saveRdb(ks: Keyspace, target: string, opts: SaveOptions): SaveProgress {
  const s = new RdbSave(ks, target, opts);
  s.begin();
  try {
    while (!s.step());
    s.finish();
  } catch (e) {
    s.abort();
    throw e;
  }
  return s.progress;
}
