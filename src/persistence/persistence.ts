/**
 * One process's persistence (Redis's rdb.c server side: SAVE, BGSAVE, save points, the
 * last save's status, INFO persistence, loading at start, DEBUG RELOAD, SHUTDOWN's save).
 * The engine owns one; the server's cron calls cron(). A BGSAVE is the fork-free snapshot
 * of src/persistence/rdb_save.ts walked a slice per event-loop turn (setImmediate), so
 * clients are served between slices; a library process can run one the same way.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { Config } from '../config/config.js';
import type { Keyspace } from '../keyspace/keyspace.js';
import { ReplyError } from '../keyspace/keyspace.js';
import { C_DIRTY } from '../keyspace/counters.js';
import { RdbSave, rdbAuxFields, type SaveOptions } from './rdb_save.js';
import { loadInterrupted, loadRdb, type LoadResult, ROOT_LOADING } from './rdb_load.js';

export interface PersistenceLog {
  warning(msg: string): void;
  notice(msg: string): void;
}

/** Redis's CONFIG_BGSAVE_RETRY_DELAY: after a failed BGSAVE, save points wait this long (s). */
const BGSAVE_RETRY_DELAY = 5;
/** Time one BGSAVE turn may take before the event loop gets control back (ms). */
const TURN_MS = 2;

export const MISCONF_ERROR =
  "MISCONF Redis is configured to save RDB snapshots, but it's currently unable to persist to disk. Commands that may modify the data set are disabled, because this instance is configured to report errors during writes if RDB snapshotting fails (stop-writes-on-bgsave-error option). Please check the Redis logs for details about the RDB error.";

export class Persistence {
  /** unix seconds of the last successful save */
  lastSave = Math.floor(Date.now() / 1000);
  /** C_DIRTY total when the last successful save began */
  dirtyAtSave: number;
  lastBgsaveOk = true;
  lastBgsaveTry = 0;
  lastBgsaveTimeSec = -1;
  saves = 0;
  lastCowSize = 0;
  lastLoad: { keys: number; expired: number } = { keys: 0, expired: 0 };
  private bg: RdbSave | null = null;
  private bgStart = 0;
  private bgDirty = 0;
  private bgKeysTotal = 0;
  private scheduled = false;
  private timer: NodeJS.Immediate | null = null;

  constructor(
    private readonly ks: Keyspace,
    private readonly config: Config,
    private readonly log: PersistenceLog,
  ) {
    this.dirtyAtSave = ks.counters.total(C_DIRTY);
  }

  /** dir/dbfilename */
  get rdbPath(): string {
    return path.resolve(this.config.str('dir') || process.cwd(), this.config.str('dbfilename'));
  }

  private saveOptions(): SaveOptions {
    const slot = (this.ks as Keyspace & { segment?: { slot: number } }).segment?.slot ?? -1;
    return {
      compress: this.config.bool('rdbcompression'),
      checksum: this.config.bool('rdbchecksum'),
      ownerSlot: slot,
      keyDelayUs: Math.max(0, this.config.num('rdb-key-save-delay')),
      aux: rdbAuxFields(this.ks),
    };
  }

  get bgsaveInProgress(): boolean {
    return this.bg !== null;
  }

  /** The save points ("3600 1 300 100") as [seconds, changes] pairs. */
  private savePoints(): [number, number][] {
    const words = this.config.str('save').trim().split(/\s+/).filter((w) => w !== '');
    const out: [number, number][] = [];
    for (let i = 0; i + 1 < words.length; i += 2) out.push([Number(words[i]), Number(words[i + 1])]);
    return out;
  }

  private dirty(): number {
    return Math.max(0, this.ks.counters.total(C_DIRTY) - this.dirtyAtSave);
  }

  /** SAVE: the file written before returning (throws the error reply on failure). */
  save(): void {
    if (this.bg !== null) throw new ReplyError('ERR Background save already in progress');
    this.saveNow();
  }

  private saveNow(): void {
    const dirtyBefore = this.ks.counters.total(C_DIRTY);
    const s = new RdbSave(this.ks, this.rdbPath, this.saveOptions());
    try {
      s.begin();
      while (!s.step());
      s.finish();
    } catch (e) {
      try {
        s.abort();
      } catch {
        // (the snapshot may be gone already)
      }
      this.log.warning(`Failed saving the DB: ${(e as Error).message}`);
      throw new ReplyError('ERR');
    }
    this.lastCowSize = 0;
    this.saved(dirtyBefore);
    this.log.notice('DB saved on disk');
  }

  private saved(dirtyBefore: number): void {
    this.dirtyAtSave = dirtyBefore;
    this.lastSave = Math.floor(Date.now() / 1000);
    this.saves++;
  }

  /** BGSAVE [SCHEDULE]: the reply's text. */
  bgsave(schedule: boolean): string {
    if (this.bg !== null) {
      if (!schedule) throw new ReplyError('ERR Background save already in progress');
      this.scheduled = true;
      return 'Background saving scheduled';
    }
    this.startBgsave();
    return 'Background saving started';
  }

  private startBgsave(): void {
    this.lastBgsaveTry = Math.floor(Date.now() / 1000);
    const s = new RdbSave(this.ks, this.rdbPath, this.saveOptions());
    try {
      s.begin();
    } catch (e) {
      this.lastBgsaveOk = false;
      this.log.warning(`Can't save in background: ${(e as Error).message}`);
      throw new ReplyError(`ERR Can't save in background: ${(e as Error).message}`);
    }
    this.bg = s;
    this.bgStart = Date.now();
    this.bgDirty = this.ks.counters.total(C_DIRTY);
    this.bgKeysTotal = this.ks.snapshots.totalKeys();
    this.log.notice(`Background saving started by pid ${process.pid} (fork-free snapshot)`);
    this.timer = setImmediate(() => this.turn());
  }

  /** One event-loop turn of the BGSAVE: slices for about TURN_MS, then the clients. */
  private turn(): void {
    this.timer = null;
    const s = this.bg;
    if (s === null) return;
    const end = performance.now() + TURN_MS;
    try {
      let done = false;
      while (!done && performance.now() < end) done = s.step(end);
      if (!done) {
        this.timer = setImmediate(() => this.turn());
        return;
      }
      this.lastCowSize = s.cowBytes;
      s.finish();
      this.bgsaveEnded(true);
    } catch (e) {
      this.log.warning(`Background saving error: ${(e as Error).message}`);
      try {
        s.abort();
      } catch {
        // gone already
      }
      this.bgsaveEnded(false);
    }
  }

  private bgsaveEnded(ok: boolean): void {
    const s = this.bg!;
    this.bg = null;
    this.lastBgsaveOk = ok;
    this.lastBgsaveTimeSec = Math.round((Date.now() - this.bgStart) / 1000);
    if (ok) {
      this.saved(this.bgDirty);
      this.log.notice(`Background saving terminated with success (${s.progress.keys} keys, ${s.progress.bytes} bytes)`);
    }
    if (this.scheduled) {
      this.scheduled = false;
      try {
        this.startBgsave();
      } catch {
        // logged
      }
    }
  }

  /** Stop a running BGSAVE (FLUSHALL, SHUTDOWN): its file is not written. */
  killBgsave(): void {
    const s = this.bg;
    if (s === null) return;
    if (this.timer !== null) clearImmediate(this.timer);
    this.timer = null;
    this.bg = null;
    this.scheduled = false;
    try {
      s.abort();
    } catch (e) {
      this.log.warning(`Dropping the background save failed: ${(e as Error).message}`);
    }
    this.log.notice('Background saving stopped');
  }

  /** The server's cron: save points, a scheduled BGSAVE. */
  cron(): void {
    if (this.bg !== null) return;
    const now = Math.floor(Date.now() / 1000);
    if (this.scheduled) {
      this.scheduled = false;
      this.tryBgsave();
      return;
    }
    const dirty = this.dirty();
    for (const [seconds, changes] of this.savePoints()) {
      if (dirty >= changes && now - this.lastSave > seconds && (now - this.lastBgsaveTry > BGSAVE_RETRY_DELAY || this.lastBgsaveOk)) {
        this.log.notice(`${changes} changes in ${seconds} seconds. Saving...`);
        this.tryBgsave();
        return;
      }
    }
  }

  private tryBgsave(): void {
    try {
      this.startBgsave();
    } catch {
      // logged by startBgsave
    }
  }

  /** Redis's writeCommandsDeniedByDiskError: the -MISCONF refusal of write commands, or null. */
  writeDenied(): string | null {
    if (this.lastBgsaveOk || !this.config.bool('stop-writes-on-bgsave-error') || this.savePoints().length === 0) return null;
    return MISCONF_ERROR;
  }

  /** FLUSHALL: a running BGSAVE is dropped, and with save points the (empty) dataset is saved. */
  afterFlushall(): void {
    this.killBgsave();
    if (this.savePoints().length > 0) {
      try {
        const dirty = this.ks.counters.total(C_DIRTY);
        this.saveNow();
        // (Redis counts the flush itself as a change after that save)
        this.dirtyAtSave = dirty - 1;
      } catch {
        // logged
      }
    }
  }

  /**
   * SHUTDOWN / SIGTERM: save when asked (`save`: SAVE true, NOSAVE false, default: when
   * save points are set). False when the save failed (Redis then refuses to exit).
   */
  shutdownSave(save: boolean | undefined): boolean {
    this.killBgsave();
    const want = save ?? this.savePoints().length > 0;
    if (!want) return true;
    this.log.notice('Saving the final RDB snapshot before exiting.');
    try {
      this.saveNow();
      return true;
    } catch {
      this.log.warning('Error trying to save the DB, can\'t exit.');
      return false;
    }
  }

  /** Load dir/dbfilename into the keyspace (start-up, DEBUG RELOAD). Throws with what is wrong. */
  load(opts: { replace?: boolean } = {}): LoadResult {
    const file = this.rdbPath;
    const t0 = Date.now();
    const r = loadRdb(this.ks, file, {
      replace: opts.replace,
      setAccess: (k, e, meta) => k.setRestoredAccess(e, meta.idle, meta.freq),
      onProgress: (read, size, phase) => {
        if (size >= 64 << 20) this.log.notice(`Loading RDB (${phase}): ${((100 * read) / size).toFixed(0)}% of ${size} bytes`);
      },
    });
    this.lastLoad = { keys: r.keys, expired: r.expired };
    this.dirtyAtSave = this.ks.counters.total(C_DIRTY);
    this.log.notice(`DB loaded from disk: ${((Date.now() - t0) / 1000).toFixed(3)} seconds (${r.keys} keys, ${r.expired} expired keys skipped)`);
    return r;
  }

  /**
   * At server start: a keyspace made just now (no segment: after a reboot, or a new name)
   * is filled from dir/dbfilename when it exists; one whose load was cut short is emptied
   * and loaded again. An existing keyspace is served as it is.
   */
  loadAtStart(): 'attached' | 'loaded' | 'no-file' {
    const ks = this.ks;
    const interrupted = loadInterrupted(ks);
    if (!ks.created && !interrupted) return 'attached';
    if (!fs.existsSync(this.rdbPath)) {
      if (interrupted) ks.exec(() => ks.heap.setRoot(ROOT_LOADING, 0));
      return 'no-file';
    }
    // from here on, a load that fails or is cut short is done again at the next start
    // (a segment left empty would otherwise be attached as if it were the data)
    ks.exec(() => ks.heap.setRoot(ROOT_LOADING, 1));
    if (interrupted) {
      this.log.warning('The segment holds a load that was cut short: emptying it and loading again');
      ks.exec(() => ks.flushall(true));
      ks.lazyFreeAll();
    }
    this.load();
    return 'loaded';
  }

  /** INFO persistence's RDB fields (Redis's order). */
  infoFields(): string[] {
    const snap = this.ks.snapshots.info();
    const bg = this.bg;
    const cow = bg !== null && snap !== null ? snap.cowBytes : 0;
    return [
      `current_cow_peak:${cow}`,
      `current_cow_size:${cow}`,
      'current_cow_size_age:0',
      'current_fork_perc:0.00',
      `current_save_keys_processed:${bg?.progress.keys ?? 0}`,
      `current_save_keys_total:${bg !== null ? this.bgKeysTotal : 0}`,
      `rdb_changes_since_last_save:${this.dirty()}`,
      `rdb_bgsave_in_progress:${bg !== null ? 1 : 0}`,
      `rdb_last_save_time:${this.lastSave}`,
      `rdb_last_bgsave_status:${this.lastBgsaveOk ? 'ok' : 'err'}`,
      `rdb_last_bgsave_time_sec:${this.lastBgsaveTimeSec}`,
      `rdb_current_bgsave_time_sec:${bg !== null ? Math.round((Date.now() - this.bgStart) / 1000) : -1}`,
      `rdb_saves:${this.saves}`,
      `rdb_last_cow_size:${this.lastCowSize}`,
      `rdb_last_load_keys_expired:${this.lastLoad.expired}`,
      `rdb_last_load_keys_loaded:${this.lastLoad.keys}`,
    ];
  }
}
