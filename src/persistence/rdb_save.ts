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
import path from 'node:path';
import type { Keyspace } from '../keyspace/keyspace.js';
import { valueType } from '../keyspace/valuetypes.js';
import { reapDeadSnapshot, type SegmentKeyspace } from '../keyspace/open.js';
import { RdbFileWriter } from '../rdb/file.js';
import type { RdbKeyMeta } from '../rdb/value.js';

export interface SaveOptions {
  /** rdbcompression: LZF for strings longer than 20 bytes that shrink. */
  compress: boolean;
  /** rdbchecksum: a CRC64 trailer (else 8 zero bytes). */
  checksum: boolean;
  /** Aux fields after the header (redis-ver, redis-bits, ctime, used-mem, aof-base…). */
  aux: [string, string][];
  /** Attach slot and pid of the process that owns the snapshot (dead owners' snapshots are dropped). */
  ownerSlot: number;
  /** rdb-key-save-delay: microseconds to sleep per key written (tests slow a BGSAVE down with it). */
  keyDelayUs?: number;
}

export interface SaveProgress {
  keys: number;
  bytes: number;
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
    const access = ks.access;
    const delay = this.opts.keyDelayUs ?? 0;
    let keys = 0;
    let done = false;
    ks.exec(() => {
      // bytes writers preserved for the snapshot so far (the last step frees the state)
      this.cowBytes = ks.snapshots.info()?.cowBytes ?? this.cowBytes;
      // (with rdb-key-save-delay, a few keys per slice: the slice's time stays short)
      done = ks.snapshots.step(delay > 0 ? 8 : SLICE_KEYS, (db, e) => {
        if (db !== this.curDb) {
          this.curDb = db;
          w.selectDb(db);
          const sizes = ks.snapshots.sizes(db);
          w.resizeDb(sizes.keys, sizes.expires);
        }
        const t = valueType(ks.type(e));
        if (t.toRdb === undefined) throw new Error(`values of type ${t.name} cannot be saved yet`);
        const meta: RdbKeyMeta = {
          expireAt: ks.expireAt(e),
          // (Redis saves LRU idle time or LFU counters only under a policy that uses them)
          idle: !access.lfu && /-lru$/.test(ks.limits.policy) ? ks.idleSeconds(e) : -1,
          freq: access.lfu ? ks.lfuFrequency(e) : -1,
        };
        w.key(ks.keyOf(e), t.toRdb(ks, e), meta);
        keys++;
        if (delay > 0) sleepUs(delay);
      }, () => this.pendingBytes >= SLICE_BYTES || performance.now() >= deadline);
    });
    this.progress.keys += keys;
    if (done) {
      w.end();
      this.finished = true;
    }
    this.drain();
    return done;
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
