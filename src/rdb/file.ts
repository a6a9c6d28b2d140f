/**
 * RDB files (rdbSaveRio / rdbLoadRio):
 *
 *   "REDIS" + 4-digit version
 *   AUX name value ...                    (Redis 7.0: redis-ver, redis-bits, ctime, used-mem, aof-base)
 *   per database: SELECTDB n, RESIZEDB size expires,
 *                 per key: [EXPIRETIME_MS t] [IDLE s] [FREQ f] type key value
 *   EOF, then (version >= 5) the CRC-64 of everything before it, LE; zero when the
 *   writer had rdbchecksum off ("not computed": the reader skips the check, as Redis)
 *
 * RdbFileWriter writes one through a sink; readRdbFile streams one from a ByteSource,
 * calling a visitor, and says what is wrong and at which byte offset when it cannot.
 */

import fs from 'node:fs';
import { RdbEncoder } from './encode.js';
import { FdSource, RdbDecoder, type ByteSource } from './decode.js';
import { showBytes } from './bytes.js';
import { RDB_FIRST_VERSION_WITH_CHECKSUM, RDB_MAX_READ_VERSION, RDB_OPCODE, RDB_TYPE, RDB_VERSION, isRdbValueType, moduleTypeName } from './format.js';
import { RdbUnsupportedError, inValue, prepareValue, readHashPairs, readSetMembers, readValue } from './values.js';
import { RdbError, type RdbKeyMeta, type RdbValue } from './value.js';

export interface RdbFileWriterOptions {
  /** Receives the file's bytes in chunks (e.g. fs.writeSync to a temp file). */
  sink: (chunk: Uint8Array) => void;
  /** Write the CRC-64 trailer (rdbchecksum; default true). Off: 8 zero bytes. */
  checksum?: boolean;
  /** LZF-compress strings longer than 20 bytes when it saves (rdbcompression; default true). */
  compress?: boolean;
  /** Chunk size handed to the sink (default 256 KiB). */
  chunkSize?: number;
}

type Text = string | Uint8Array;

function textBytes(t: Text): Uint8Array {
  return typeof t === 'string' ? Buffer.from(t, 'utf8') : t;
}

/** Writes an RDB file of version 10 (Redis 7.0's). */
export class RdbFileWriter {
  private readonly enc: RdbEncoder;
  private ended = false;

  constructor(opts: RdbFileWriterOptions) {
    this.enc = new RdbEncoder({
      sink: opts.sink,
      checksum: opts.checksum ?? true,
      compress: opts.compress ?? true,
      chunkSize: opts.chunkSize,
    });
    this.enc.raw(Buffer.from(`REDIS${String(RDB_VERSION).padStart(4, '0')}`, 'latin1'));
  }

  /** Bytes written so far (for progress). */
  get bytesWritten(): number {
    return this.enc.bytesWritten;
  }

  /** AUX fields, in order (Redis writes integers as their decimal text: pass them as strings). */
  aux(fields: Iterable<readonly [Text, Text]>): void {
    for (const [name, value] of fields) {
      this.enc.byte(RDB_OPCODE.AUX);
      this.enc.string(textBytes(name));
      this.enc.string(textBytes(value));
    }
  }

  /** Start database `db` (Redis only writes non-empty databases). */
  selectDb(db: number): void {
    this.enc.byte(RDB_OPCODE.SELECTDB);
    this.enc.len(db);
  }

  /** The sizing hint after SELECTDB: keys in the database, keys with an expiry. */
  resizeDb(dbSize: number, expiresSize: number): void {
    this.enc.byte(RDB_OPCODE.RESIZEDB);
    this.enc.len(dbSize);
    this.enc.len(expiresSize);
  }

  /**
   * One key (rdbSaveKeyValuePair): its expiry (EXPIRETIME_MS when `expireAt` is not 0),
   * LRU idle seconds (IDLE, when `idle` >= 0), LFU counter (FREQ, when `freq` >= 0),
   * then type, key and value. Returns the value's RDB type.
   */
  key(key: Uint8Array, value: RdbValue, meta: Partial<RdbKeyMeta> = {}): number {
    // planned first: a value that cannot be written (an empty collection) fails before any byte
    const p = prepareValue(value);
    this.keyHead(key, p.type, meta);
    p.body(this.enc);
    return p.type;
  }

  /**
   * A key whose value body is serialised elsewhere (a ValueStream into an encoder of its
   * own, a slice at a time): its opcodes, type and name now, then the body's bytes as they
   * come (streamedBody), nothing else in between.
   */
  streamedKeyHead(key: Uint8Array, rdbType: number, meta: Partial<RdbKeyMeta> = {}): void {
    this.keyHead(key, rdbType, meta);
  }

  /** Bytes of the body of the key streamedKeyHead began. */
  streamedBody(b: Uint8Array): void {
    this.enc.raw(b);
  }

  private keyHead(key: Uint8Array, rdbType: number, meta: Partial<RdbKeyMeta>): void {
    const expireAt = meta.expireAt ?? 0;
    if (expireAt !== 0) {
      this.enc.byte(RDB_OPCODE.EXPIRETIME_MS);
      this.enc.millis(expireAt);
    }
    if ((meta.idle ?? -1) >= 0) {
      this.enc.byte(RDB_OPCODE.IDLE);
      this.enc.len(meta.idle!);
    }
    if ((meta.freq ?? -1) >= 0) {
      this.enc.byte(RDB_OPCODE.FREQ);
      this.enc.byte(meta.freq! & 0xff);
    }
    this.enc.byte(rdbType);
    this.enc.string(key);
  }

  /** EOF and the checksum; flushes everything to the sink. Returns the file's size. */
  end(): number {
    if (this.ended) throw new Error('RdbFileWriter.end: already ended');
    this.ended = true;
    this.enc.byte(RDB_OPCODE.EOF);
    this.enc.raw(this.enc.crcDigest());
    this.enc.flush();
    return this.enc.bytesWritten;
  }
}

// ---------------------------------------------------------------------------------------
// Reading

/** What readRdbFile reports, in file order. Only `key` is required. */
export interface RdbVisitor {
  /** An AUX field (redis-ver, ctime, ...: fields a reader does not know are to be ignored). */
  aux?(name: Uint8Array, value: Uint8Array): void;
  /** SELECTDB: the keys that follow belong to database `db` (the caller checks the range). */
  selectDb?(db: number): void;
  /** RESIZEDB: a sizing hint for the current database. */
  resizeDb?(dbSize: number, expiresSize: number): void;
  /**
   * A key and its value. `meta.expireAt` is 0 without an expiry (an expiry the file
   * gives as exactly 0 ms comes as -1: long expired, not "none"); keys already expired
   * are reported too — Redis's loader drops them as a master: the caller decides.
   */
  key(db: number, key: Uint8Array, value: RdbValue, meta: RdbKeyMeta): void;
  /**
   * A big hash (RDB_TYPE_HASH: `count` pairs) or set (RDB_TYPE_SET: `count` members),
   * offered before its elements are read: a sink that takes them one at a time, instead of
   * `key` with the whole value (no arrays of a million elements held at once), or null for
   * `key`. The views given to element() (a set member's second one is null) are valid
   * during the call only; end() follows the last. What the sink throws ends the read.
   */
  elements?(db: number, key: Uint8Array, rdbType: number, count: number, meta: RdbKeyMeta): RdbElementSink | null;
  /** A key whose value is an empty collection, skipped as Redis 7.0's loader does ("skipping empty key"). */
  emptyKey?(db: number, key: Uint8Array): void;
  /**
   * A function library's code (RDB_OPCODE_FUNCTION2; the older FUNCTION form translated to
   * its "#!engine name=..." header as Redis does). Without this handler a file holding
   * functions is refused.
   */
  function?(code: Uint8Array): void;
}

/** Where the elements of a value offered to RdbVisitor.elements go: (field, value) or (member, null). */
export interface RdbElementSink {
  element(a: Uint8Array, b: Uint8Array | null): void;
  end(): void;
}

/** Values of fewer elements than this are read whole even when the visitor takes them one at a time. */
const STREAM_ELEMENTS_MIN = 1024;

export interface ReadRdbFileOptions {
  /** Verify the CRC-64 trailer (default true; a zero trailer means "not computed" and is accepted). */
  checksum?: boolean;
  /** Called as the file is read, at most every `progressInterval` bytes, and at the end. */
  onProgress?(bytesRead: number, totalBytes: number): void;
  /** Bytes between progress calls (default 1 MiB). */
  progressInterval?: number;
}

export interface RdbFileSummary {
  /** The file's RDB version. */
  version: number;
  /** Keys reported to the visitor. */
  keys: number;
  /** Keys with an empty value, skipped. */
  emptyKeysSkipped: number;
  /**
   * 'verified': the trailer matched; 'not-computed': the trailer is zero (rdbchecksum no);
   * 'not-checked': the option was off; 'absent': version < 5 files have none.
   */
  checksum: 'verified' | 'not-computed' | 'not-checked' | 'absent';
  /** Bytes consumed, trailer included (anything after it — an AOF tail — is not read). */
  bytesRead: number;
}

const MAGIC = 'REDIS';

/**
 * Stream an RDB file of version 1 to 11 from `src` to `visitor`. Throws RdbError saying
 * what is wrong and at which byte offset (RdbUnsupportedError for what shmkv cannot hold:
 * streams, module values and module AUX data, functions without a `function` handler).
 */
export function readRdbFile(src: ByteSource, visitor: RdbVisitor, opts: ReadRdbFileOptions = {}): RdbFileSummary {
  const verify = opts.checksum ?? true;
  const dec = new RdbDecoder(src, { checksum: verify });
  const interval = opts.progressInterval ?? 1 << 20;
  let lastProgress = 0;
  const progress = (force: boolean): void => {
    if (opts.onProgress && (force || dec.pos - lastProgress >= interval)) {
      lastProgress = dec.pos;
      opts.onProgress(dec.pos, src.size);
    }
  };

  if (src.size < 9) {
    throw new RdbError(`not an RDB file: ${src.size} bytes is shorter than the 9-byte header`);
  }
  const head = Buffer.from(dec.bytes(9)).toString('latin1');
  if (!head.startsWith(MAGIC)) throw new RdbError('not an RDB file: it does not start with "REDIS" (byte 0)');
  const vtext = head.slice(5);
  if (!/^[0-9]{4}$/.test(vtext)) throw new RdbError(`bad RDB version ${JSON.stringify(vtext)} at byte 5`);
  const version = Number(vtext);
  if (version < 1) throw new RdbError(`bad RDB version ${version} at byte 5`);
  if (version > RDB_MAX_READ_VERSION) {
    throw new RdbError(`RDB format version ${version} is newer than this shmkv can read (up to ${RDB_MAX_READ_VERSION})`);
  }

  let db = 0;
  let keys = 0;
  let empty = 0;
  let expireAt = 0;
  let idle = -1;
  let freq = -1;

  for (;;) {
    progress(false);
    const at = dec.pos;
    const op = dec.byte();
    switch (op) {
      case RDB_OPCODE.EXPIRETIME: {
        const t = dec.seconds() * 1000;
        expireAt = t === 0 ? -1 : t;
        continue;
      }
      case RDB_OPCODE.EXPIRETIME_MS: {
        const t = dec.millis();
        expireAt = t === 0 ? -1 : t;
        continue;
      }
      case RDB_OPCODE.FREQ:
        freq = dec.byte();
        continue;
      case RDB_OPCODE.IDLE:
        idle = dec.len();
        continue;
      case RDB_OPCODE.SELECTDB:
        db = dec.len();
        visitor.selectDb?.(db);
        continue;
      case RDB_OPCODE.RESIZEDB: {
        const size = dec.len();
        const expires = dec.len();
        visitor.resizeDb?.(size, expires);
        continue;
      }
      case RDB_OPCODE.AUX: {
        const name = dec.string();
        const value = dec.string();
        visitor.aux?.(name, value);
        continue;
      }
      case RDB_OPCODE.MODULE_AUX: {
        const id = dec.len64();
        throw new RdbUnsupportedError(
          `auxiliary data of the module '${moduleTypeName(id)}'`,
          `the RDB file holds auxiliary data of the module '${moduleTypeName(id)}' (at byte ${at}), which this version of shmkv does not support`,
        );
      }
      case RDB_OPCODE.FUNCTION:
      case RDB_OPCODE.FUNCTION2: {
        if (!visitor.function) {
          throw new RdbUnsupportedError(
            'functions',
            `the RDB file holds a function library (at byte ${at}), which this version of shmkv does not support`,
          );
        }
        visitor.function(op === RDB_OPCODE.FUNCTION2 ? dec.string() : readOldFunction(dec));
        continue;
      }
      case RDB_OPCODE.EOF:
        break;
      default: {
        if (!isRdbValueType(op)) throw new RdbError(`unknown opcode or value type ${op} at byte ${at}`);
        const key = readKey(dec);
        const valueAt = dec.pos;
        let value: RdbValue | null;
        try {
          if ((op === RDB_TYPE.HASH || op === RDB_TYPE.SET) && visitor.elements !== undefined) {
            const v = byElements(dec, visitor, op, db, key, { expireAt, idle, freq });
            if (v === STREAMED) {
              keys++;
              expireAt = 0;
              idle = -1;
              freq = -1;
              continue;
            }
            value = v;
          } else value = readValue(dec, op);
        } catch (e) {
          if (e instanceof RdbUnsupportedError) {
            throw new RdbUnsupportedError(
              e.what,
              `the RDB file holds ${e.what} (key ${showBytes(key)} in db ${db}, at byte ${at}), which this version of shmkv does not support`,
            );
          }
          if (e instanceof RdbError) {
            throw new RdbError(`${e.message}; key ${showBytes(key)} in db ${db}, value at byte ${valueAt}`, { cause: e });
          }
          throw e;
        }
        if (value === null) {
          empty++;
          visitor.emptyKey?.(db, key);
        } else {
          keys++;
          visitor.key(db, key, value, { expireAt, idle, freq });
        }
        expireAt = 0;
        idle = -1;
        freq = -1;
        continue;
      }
    }
    break; // EOF
  }

  let checksum: RdbFileSummary['checksum'] = 'absent';
  if (version >= RDB_FIRST_VERSION_WITH_CHECKSUM) {
    const expected = verify ? dec.crcDigest() : null;
    const at = dec.pos;
    const trailer = new Uint8Array(dec.bytes(8));
    if (expected === null) {
      checksum = 'not-checked';
    } else if (trailer.every((b) => b === 0)) {
      checksum = 'not-computed';
    } else {
      if (!trailer.every((b, i) => b === expected[i])) {
        throw new RdbError(
          `RDB checksum mismatch at byte ${at}: the file says ${hex64(trailer)}, its content gives ${hex64(expected)}`,
        );
      }
      checksum = 'verified';
    }
  }
  progress(true);
  return { version, keys, emptyKeysSkipped: empty, checksum, bytesRead: dec.pos };
}

const STREAMED = Symbol('streamed');

/**
 * An RDB_TYPE_HASH or RDB_TYPE_SET value offered to the visitor's `elements`: streamed to
 * its sink (a hash's field copied aside while its value is read: a view is only good until
 * the next read), or, if the visitor declines, read whole.
 */
function byElements(dec: RdbDecoder, visitor: RdbVisitor, rdbType: number, db: number, key: Uint8Array, meta: RdbKeyMeta): RdbValue | null | typeof STREAMED {
  const hash = rdbType === RDB_TYPE.HASH;
  try {
    const n = dec.len();
    const sink = n >= STREAM_ELEMENTS_MIN ? visitor.elements!(db, key, rdbType, n, meta) : null;
    if (sink === null) return hash ? readHashPairs(dec, n) : readSetMembers(dec, n);
    let scratch = new Uint8Array(256);
    for (let i = 0; i < n; i++) {
      const a = dec.stringView();
      if (!hash) {
        sink.element(a, null);
        continue;
      }
      if (a.length > scratch.length) scratch = new Uint8Array(Math.max(a.length, scratch.length * 2));
      scratch.set(a);
      const field = scratch.subarray(0, a.length);
      sink.element(field, dec.stringView());
    }
    sink.end();
    return STREAMED;
  } catch (e) {
    throw inValue(e, rdbType);
  }
}

function readKey(dec: RdbDecoder): Uint8Array {
  const at = dec.pos;
  try {
    return dec.string();
  } catch (e) {
    if (e instanceof RdbError) throw new RdbError(`${e.message}; reading a key at byte ${at}`, { cause: e });
    throw e;
  }
}

/** RDB_OPCODE_FUNCTION (7.0 release candidates): name, engine, optional description, code. */
function readOldFunction(dec: RdbDecoder): Uint8Array {
  const name = dec.string();
  const engine = dec.string();
  if (dec.len() !== 0) dec.string();
  const code = dec.string();
  const head = Buffer.from(`#!${Buffer.from(engine).toString('latin1')} name=${Buffer.from(name).toString('latin1')}\n`, 'latin1');
  const out = new Uint8Array(head.length + code.length);
  out.set(head, 0);
  out.set(code, head.length);
  return out;
}

/** A little-endian 8-byte CRC as Redis prints it (hex of the u64). */
function hex64(b: Uint8Array): string {
  let s = '';
  for (let i = 7; i >= 0; i--) s += b[i].toString(16).padStart(2, '0');
  return s.replace(/^0+(?=.)/, '');
}

/** readRdbFile over the file at `path`, read through a bounded window; the file is closed after. */
export function readRdbFilePath(path: string, visitor: RdbVisitor, opts: ReadRdbFileOptions & { bufferSize?: number } = {}): RdbFileSummary {
  const fd = fs.openSync(path, 'r');
  try {
    return readRdbFile(new FdSource(fd, { bufferSize: opts.bufferSize }), visitor, opts);
  } finally {
    fs.closeSync(fd);
  }
}

/**
 * Write a whole RDB file to `path` atomically (a temp file renamed over it, as Redis's
 * rdbSave): `fill` writes the content through the writer; `end()` is called here.
 */
export function writeRdbFilePath(
  path: string,
  fill: (w: RdbFileWriter) => void,
  opts: Omit<RdbFileWriterOptions, 'sink'> = {},
): number {
  const tmp = `${path}.tmp-${process.pid}`;
  const fd = fs.openSync(tmp, 'w');
  let size = 0;
  try {
    const w = new RdbFileWriter({
      ...opts,
      sink: (chunk) => {
        let off = 0;
        while (off < chunk.length) off += fs.writeSync(fd, chunk, off, chunk.length - off);
      },
    });
    fill(w);
    size = w.end();
    fs.fsyncSync(fd);
  } catch (e) {
    fs.closeSync(fd);
    fs.rmSync(tmp, { force: true });
    throw e;
  }
  fs.closeSync(fd);
  fs.renameSync(tmp, path);
  return size;
}
