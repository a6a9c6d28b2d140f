/**
 * Loading an RDB file into the keyspace (Redis's rdbLoad): keys are built a batch per
 * operation, so other processes are never locked out for long and no undo log holds more
 * than a batch. A corrupt or truncated file (structure, every value, the CRC64 trailer) is
 * refused with what is wrong and at which byte, and changes nothing: into an empty keyspace
 * what was built is flushed again; into one that holds keys the whole file is read and
 * checked first, then read again to build (two passes).
 *
 * While keys are being built the segment says so (heap root ROOT_LOADING), so a load cut
 * short by a crash is not mistaken for a keyspace: the next server start empties it and
 * loads again.
 */
import fs from 'node:fs';
import type { Keyspace } from '../keyspace/keyspace.js';
import { ReplyError } from '../keyspace/keyspace.js';
import { REASON } from '../keyspace/changes.js';
import { valueType } from '../keyspace/valuetypes.js';
import { FdSource } from '../rdb/decode.js';
import { readRdbFile, type RdbElementSink, type RdbVisitor } from '../rdb/file.js';
import { RDB_TYPE } from '../rdb/format.js';
import { OBJ_HASH, OBJ_SET, type RdbKeyMeta, type RdbValue } from '../rdb/value.js';

/** Heap root: 1 while a load is building keys (written down once, here). */
export const ROOT_LOADING = 2;

export interface LoadOptions {
  /** Keys whose expiry has passed are not loaded (a primary's rule); default true. */
  skipExpired?: boolean;
  /** A key of the file that exists already replaces it (DEBUG RELOAD MERGE); else it is an error. */
  replace?: boolean;
  /** Called now and then with bytes read so far and the file's size (second pass). */
  onProgress?: (read: number, size: number, phase: 'check' | 'load') => void;
  /** Called after the file was checked, before any key is built (--flush empties the keyspace there). */
  beforeBuild?: () => void;
  /** Applies the file's LRU idle time / LFU counter to a built entry. */
  setAccess?: (ks: Keyspace, e: number, meta: RdbKeyMeta) => void;
}

export interface LoadResult {
  keys: number;
  expired: number;
  bytes: number;
  aux: Map<string, string>;
}

/** Keys built per operation. */
const BATCH_KEYS = 512;
/** ... or about this many bytes of values. */
const BATCH_BYTES = 4 << 20;

interface Pending {
  db: number;
  key: Uint8Array;
  value: RdbValue;
  meta: RdbKeyMeta;
}

function approxBytes(v: RdbValue): number {
  switch (v.type) {
    case 0:
      return v.value.length;
    case 1: {
      let n = 0;
      for (const node of v.nodes) for (const x of node) n += x.length + 8;
      return n;
    }
    case 2: {
      let n = 0;
      for (const x of v.members) n += x.length + 8;
      return n;
    }
    case 3: {
      let n = 0;
      for (const x of v.members) n += x.length + 16;
      return n;
    }
    default: {
      let n = 0;
      for (let i = 0; i < v.fields.length; i++) n += v.fields[i]!.length + v.values[i]!.length + 16;
      return n;
    }
  }
}

function read(file: string, visit: RdbVisitor, phase: 'check' | 'load', onProgress?: LoadOptions['onProgress']): void {
  const fd = fs.openSync(file, 'r');
  try {
    readRdbFile(new FdSource(fd), visit, {
      progressInterval: 8 << 20,
      onProgress: onProgress === undefined ? undefined : (read, size) => onProgress(read, size, phase),
    });
  } finally {
    fs.closeSync(fd);
  }
}

/**
 * Check the file whole (no keyspace involved); throws RdbError naming what is wrong and
 * where. Returns the number of keys.
 */
export function checkRdbFile(file: string, onProgress?: LoadOptions['onProgress']): number {
  let keys = 0;
  read(file, { key: () => void keys++ }, 'check', onProgress);
  return keys;
}

/**
 * Load `file` into ks (outside any operation). A bad file changes nothing: into a keyspace
 * that holds keys the whole file is checked first (two passes); into an empty one (a new
 * segment, DEBUG RELOAD after its flush, `shmkv load --flush`) it is read once and, if it
 * turns out bad, what was built is flushed again before the error is thrown.
 */
export function loadRdb(ks: Keyspace, file: string, opts: LoadOptions = {}): LoadResult {
  let empty = true;
  for (let db = 0; db < ks.databases && empty; db++) if (ks.dbsize(db) > 0) empty = false;
  if (!empty || opts.beforeBuild !== undefined) checkRdbFile(file, opts.onProgress);
  opts.beforeBuild?.();
  if (empty && opts.beforeBuild === undefined) {
    try {
      return build(ks, file, opts, true);
    } catch (e) {
      // (the loading mark stays: a server starting on this segment loads its file again)
      ks.exec(() => ks.flushall(true));
      ks.lazyFreeAll();
      throw e;
    }
  }
  return build(ks, file, opts);
}

function build(ks: Keyspace, file: string, opts: LoadOptions, intoEmpty = false): LoadResult {
  const result: LoadResult = { keys: 0, expired: 0, bytes: fs.statSync(file).size, aux: new Map() };
  const skipExpired = opts.skipExpired ?? true;
  const aux = (name: Uint8Array, value: Uint8Array): void => void result.aux.set(Buffer.from(name).toString('latin1'), Buffer.from(value).toString('latin1'));
  /** One key of the file into the keyspace (inside an operation). */
  const add = (p: Pending): void => {
    if (p.db >= ks.databases) throw new ReplyError(`ERR the RDB file uses database ${p.db}, this keyspace has ${ks.databases} (set databases)`);
    if (skipExpired && p.meta.expireAt !== 0 && p.meta.expireAt < ks.now) {
      result.expired++;
      return;
    }
    const t = valueType(p.value.type);
    if (t.fromRdb === undefined) throw new Error(`values of type ${t.name} cannot be loaded yet`);
    place(p.db, p.key, t.fromRdb(ks, p.key, p.value), p.meta);
  };
  /** A new entry `e` made for a key of the file: its expiry and access, then linked. */
  const place = (db: number, key: Uint8Array, e: number, meta: RdbKeyMeta): void => {
    // (-1: the file said 0 ms, long expired but not "none")
    const ne = meta.expireAt !== 0 ? ks.withExpire(e, meta.expireAt < 0 ? 1 : meta.expireAt) : e;
    opts.setAccess?.(ks, ne, meta);
    const old = ks.findRaw(db, key);
    if (old !== 0) {
      if (!opts.replace) throw new ReplyError(`ERR the RDB file holds key '${Buffer.from(key).toString('latin1')}' of database ${db} twice (or it exists already)`);
      ks.replaceEntry(db, old, ne, REASON.overwritten);
    } else ks.addEntry(db, ne, REASON.added, ks.hashOf(key)); // (findRaw's hash of it)
    result.keys++;
  };
  /**
   * A big hash or set taken an element at a time (in the single operation only: its
   * elements go straight into the heap, no arrays of them held); null (read whole, then
   * `add`) when its type cannot tell the encoding from the count, or the key is to be
   * refused or skipped.
   */
  const elements = (db: number, key: Uint8Array, rdbType: number, count: number, meta: RdbKeyMeta): RdbElementSink | null => {
    if (db >= ks.databases || (skipExpired && meta.expireAt !== 0 && meta.expireAt < ks.now)) return null;
    const b = valueType(rdbType === RDB_TYPE.HASH ? OBJ_HASH : OBJ_SET).fromRdbElements?.(ks, count) ?? null;
    if (b === null) return null;
    // (the key is the reader's own copy)
    return { element: (x, y) => b.element(x, y), end: () => place(db, key, b.finish(key), meta) };
  };
  ks.exec(() => ks.heap.setRoot(ROOT_LOADING, 1));
  // Into an empty keyspace: the whole file in one operation that fills tables made in it
  // (Keyspace.freshTables), so that nothing is undo-logged whatever the file's size, and a
  // bad file, a full /dev/shm or a crash leaves the keyspace as it was (loadAtStart loads
  // again after a crash). The lock is held throughout, as it would be between batches.
  const whole =
    intoEmpty &&
    ks.exec(() => {
      if (!ks.freshTables()) return false;
      read(file, { aux, elements, key: (db, key, value, meta) => add({ db, key, value, meta }) }, 'load', opts.onProgress);
      return true;
    });
  if (!whole) {
    // batches of keys, one operation each (a keyspace that holds keys, or a snapshot running)
    let batch: Pending[] = [];
    let batchBytes = 0;
    const flush = (): void => {
      if (batch.length === 0) return;
      const items = batch;
      batch = [];
      batchBytes = 0;
      ks.exec(() => {
        for (const p of items) add(p);
      });
    };
    read(
      file,
      {
        aux,
        key: (db, key, value, meta) => {
          batch.push({ db, key, value, meta });
          batchBytes += approxBytes(value) + key.length;
          if (batch.length >= BATCH_KEYS || batchBytes >= BATCH_BYTES) flush();
        },
      },
      'load',
      opts.onProgress,
    );
    flush();
  }
  ks.exec(() => ks.heap.setRoot(ROOT_LOADING, 0));
  return result;
}

/** A load was cut short (the process died while building keys): the keyspace is partial. */
export function loadInterrupted(ks: Keyspace): boolean {
  return ks.heap.getRoot(ROOT_LOADING) !== 0;
}
