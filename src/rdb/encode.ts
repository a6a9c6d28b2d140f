/**
 * RdbEncoder: the byte writer under RDB files and DUMP payloads, with Redis's primitives
 * (rdbSaveLen, rdbSaveRawString, rdbSaveBinaryDoubleValue, rdbSaveMillisecondTime).
 *
 * Bytes gather in a chunk buffer handed to the sink when full (so a file is written in
 * a few large writes, not one per element). Without a sink the chunks are kept and
 * `takeBytes()` joins them (DUMP). A running CRC-64 covers everything written when
 * `checksum` is on. Elements may be views of shared memory: they are copied into the
 * chunk as they are written, so the caller may release the segment's lock once the
 * value is written, before any flush.
 */

import { Crc64 } from './crc64.js';
import { lzfCompress } from './lzf.js';
import { parseInt64 } from './bytes.js';
import { RDB_ENC_INT16, RDB_ENC_INT32, RDB_ENC_INT8, RDB_ENC_LZF, RDB_ENCVAL, RDB_LEN_32BIT, RDB_LEN_64BIT } from './format.js';
import { RdbError } from './value.js';

export interface RdbEncoderOptions {
  /**
   * Receives the output in chunks, in order. A chunk is the encoder's to forget: the sink
   * may keep it. Without a sink, `takeBytes()` returns everything.
   */
  sink?: (chunk: Uint8Array) => void;
  /** Chunk size (default 256 KiB; clamped to 64 KiB..1 MiB). */
  chunkSize?: number;
  /** Keep a CRC-64 of everything written (rdbchecksum; default false). */
  checksum?: boolean;
  /** LZF-compress strings longer than 20 bytes when it saves space (rdbcompression; default true). */
  compress?: boolean;
}

const TWO_POW_32 = 4294967296;

export class RdbEncoder {
  readonly compress: boolean;
  private readonly sink: ((chunk: Uint8Array) => void) | null;
  private readonly chunkSize: number;
  private readonly kept: Uint8Array[] = [];
  private buf: Uint8Array;
  private pos = 0;
  /** Bytes handed to the sink (or kept) so far. */
  private flushed = 0;
  private readonly crc: Crc64 | null;
  /** Bytes of `buf` [0, crcPos) already in the CRC. */
  private crcPos = 0;
  private readonly scratch = new DataView(new ArrayBuffer(8));

  constructor(opts: RdbEncoderOptions = {}) {
    this.sink = opts.sink ?? null;
    this.chunkSize = Math.min(1 << 20, Math.max(1 << 16, opts.chunkSize ?? 1 << 18));
    this.buf = new Uint8Array(this.chunkSize);
    this.crc = opts.checksum ? new Crc64() : null;
    this.compress = opts.compress ?? true;
  }

  /** Bytes written so far (flushed or not). */
  get bytesWritten(): number {
    return this.flushed + this.pos;
  }

  /** One byte. */
  byte(b: number): void {
    if (this.pos === this.buf.length) this.flush();
    this.buf[this.pos++] = b;
  }

  /** Raw bytes. */
  raw(b: Uint8Array): void {
    const n = b.length;
    if (n <= this.buf.length - this.pos) {
      this.buf.set(b, this.pos);
      this.pos += n;
      return;
    }
    if (n < this.chunkSize) {
      // fill up this chunk, the rest starts the next one
      const room = this.buf.length - this.pos;
      this.buf.set(b.subarray(0, room), this.pos);
      this.pos += room;
      this.flush();
      this.buf.set(b.subarray(room), 0);
      this.pos = n - room;
      return;
    }
    // a big string: a chunk of its own (copied: the caller's bytes may be shared memory)
    this.flush();
    this.emit(new Uint8Array(b));
  }

  /** rdbSaveLen: 6-bit, 14-bit, 32-bit or 64-bit length (big-endian beyond 14 bits). */
  len(n: number): void {
    if (!Number.isSafeInteger(n) || n < 0) throw new RdbError(`cannot write length ${n}`);
    if (n < 64) {
      this.byte(n);
    } else if (n < 16384) {
      this.byte((n >>> 8) | 0x40);
      this.byte(n & 0xff);
    } else if (n < TWO_POW_32) {
      this.byte(RDB_LEN_32BIT);
      this.u32be(n);
    } else {
      this.byte(RDB_LEN_64BIT);
      this.u32be(Math.floor(n / TWO_POW_32));
      this.u32be(n >>> 0);
    }
  }

  /**
   * rdbSaveRawString: a canonical integer of up to 11 characters in int32 range as an
   * INT8/16/32 encoding; else, with compression on and more than 20 bytes, LZF when that
   * saves at least 4 bytes; else the length and the bytes.
   */
  string(s: Uint8Array): void {
    const n = s.length;
    if (n <= 11 && n > 0) {
      const v = parseInt64(s);
      if (typeof v === 'number' && this.integer(v)) return;
    }
    if (this.compress && n > 20) {
      const c = lzfCompress(s);
      if (c !== null) {
        this.byte((RDB_ENCVAL << 6) | RDB_ENC_LZF);
        this.len(c.length);
        this.len(n);
        this.raw(c);
        return;
      }
    }
    this.len(n);
    this.raw(s);
  }

  /** A string of ASCII text (aux fields, keys in tests). */
  text(s: string): void {
    this.string(Buffer.from(s, 'latin1'));
  }

  /** rdbEncodeInteger: INT8/16/32 when `v` fits; false (nothing written) otherwise. */
  integer(v: number): boolean {
    if (v >= -128 && v <= 127) {
      this.byte((RDB_ENCVAL << 6) | RDB_ENC_INT8);
      this.byte(v & 0xff);
    } else if (v >= -32768 && v <= 32767) {
      this.byte((RDB_ENCVAL << 6) | RDB_ENC_INT16);
      this.byte(v & 0xff);
      this.byte((v >> 8) & 0xff);
    } else if (v >= -2147483648 && v <= 2147483647) {
      this.byte((RDB_ENCVAL << 6) | RDB_ENC_INT32);
      this.byte(v & 0xff);
      this.byte((v >> 8) & 0xff);
      this.byte((v >> 16) & 0xff);
      this.byte((v >>> 24) & 0xff);
    } else {
      return false;
    }
    return true;
  }

  /** rdbSaveBinaryDoubleValue: the IEEE 754 double, little-endian (RDB_TYPE_ZSET_2 scores). */
  binaryDouble(x: number): void {
    this.scratch.setFloat64(0, x, true);
    for (let i = 0; i < 8; i++) this.byte(this.scratch.getUint8(i));
  }

  /** rdbSaveMillisecondTime: an int64, little-endian. */
  millis(t: number): void {
    if (!Number.isSafeInteger(t)) throw new RdbError(`cannot write time ${t}`);
    const lo = t >>> 0;
    const hi = Math.floor(t / TWO_POW_32) >>> 0;
    this.u32le(lo);
    this.u32le(hi);
  }

  u32le(v: number): void {
    this.byte(v & 0xff);
    this.byte((v >>> 8) & 0xff);
    this.byte((v >>> 16) & 0xff);
    this.byte(v >>> 24);
  }

  u32be(v: number): void {
    this.byte(v >>> 24);
    this.byte((v >>> 16) & 0xff);
    this.byte((v >>> 8) & 0xff);
    this.byte(v & 0xff);
  }

  /** The CRC-64 of everything written so far, 8 bytes little-endian (zeros when checksum is off). */
  crcDigest(): Uint8Array {
    if (this.crc === null) return new Uint8Array(8);
    this.crc.update(this.buf, this.crcPos, this.pos);
    this.crcPos = this.pos;
    return this.crc.digestBytes();
  }

  /** Hand the buffered bytes to the sink (or keep them). */
  flush(): void {
    if (this.pos === 0) return;
    if (this.crc !== null) this.crc.update(this.buf, this.crcPos, this.pos);
    const chunk = this.buf.subarray(0, this.pos);
    this.buf = new Uint8Array(this.chunkSize);
    this.pos = 0;
    this.crcPos = 0;
    this.flushed += chunk.length;
    this.out(chunk);
  }

  /** Everything written, in one array (only without a sink). */
  takeBytes(): Uint8Array {
    if (this.sink !== null) throw new Error('RdbEncoder.takeBytes: the output went to the sink');
    const tail = this.buf.subarray(0, this.pos);
    if (this.kept.length === 0) return tail.slice();
    const all = new Uint8Array(this.bytesWritten);
    let at = 0;
    for (const c of this.kept) {
      all.set(c, at);
      at += c.length;
    }
    all.set(tail, at);
    return all;
  }

  /** A chunk written straight through (already flushed buffer before it). */
  private emit(chunk: Uint8Array): void {
    if (this.crc !== null) this.crc.update(chunk);
    this.flushed += chunk.length;
    this.out(chunk);
  }

  private out(chunk: Uint8Array): void {
    if (this.sink !== null) this.sink(chunk);
    else this.kept.push(chunk);
  }
}
