/**
 * Reading RDB bytes: where they come from (`ByteSource`: a buffer, or a file read through a
 * bounded window) and RdbDecoder, the primitives mirroring RdbEncoder's.
 *
 * Nothing here trusts a length: a string length is checked against what is left of the
 * source before anything is allocated, an LZF string's announced size against what its
 * compressed bytes could possibly expand to, and element counts are never used to
 * preallocate (a count is only a loop bound, and every element read consumes input).
 */

import fs from 'node:fs';
import { Crc64 } from './crc64.js';
import { LZF_MAX_RATIO, lzfDecompress } from './lzf.js';
import { asciiBytes, copyBytes, parseRdbTextDouble } from './bytes.js';
import {
  RDB_DOUBLE_NAN,
  RDB_DOUBLE_NEG_INF,
  RDB_DOUBLE_POS_INF,
  RDB_ENC_INT16,
  RDB_ENC_INT32,
  RDB_ENC_INT8,
  RDB_ENC_LZF,
  RDB_ENCVAL,
  RDB_LEN_32BIT,
  RDB_LEN_64BIT,
  RDB_LEN_6BIT,
  RDB_LEN_14BIT,
} from './format.js';
import { RdbError } from './value.js';

/** Bytes to read, front to back. */
export interface ByteSource {
  /** Total bytes (a file's size when opened). */
  readonly size: number;
  /** Bytes consumed so far. */
  readonly pos: number;
  /**
   * The next `n` bytes. The view is valid until the next read (copy to keep). Throws
   * RdbError "unexpected end of file at byte N" when fewer than `n` are left.
   */
  read(n: number): Uint8Array;
  /** The next byte (read(1)[0] without making a view for it: lengths and opcodes are read a byte at a time). */
  readByte(): number;
}

function eof(pos: number, n: number, left: number): RdbError {
  return new RdbError(`unexpected end of file at byte ${pos} (${n} bytes needed, ${left} left)`);
}

/** A ByteSource over bytes in memory. */
export class BufferSource implements ByteSource {
  private at = 0;
  constructor(private readonly buf: Uint8Array) {}
  get size(): number {
    return this.buf.length;
  }
  get pos(): number {
    return this.at;
  }
  read(n: number): Uint8Array {
    const left = this.buf.length - this.at;
    if (n > left) throw eof(this.at, n, left);
    const v = this.buf.subarray(this.at, this.at + n);
    this.at += n;
    return v;
  }
  readByte(): number {
    if (this.at >= this.buf.length) throw eof(this.at, 1, 0);
    return this.buf[this.at++]!;
  }
}

/**
 * A ByteSource over an open file descriptor of a regular file (its size is fstat's when
 * the source is made; `start` skips a prefix), read with fs.readSync through a window of
 * `bufferSize` bytes (default 1 MiB): memory stays bounded whatever the file's size (a
 * single string larger than the window is read into an array of its own size, which the
 * file's size has already vouched for).
 */
export class FdSource implements ByteSource {
  readonly size: number;
  private readonly window: Uint8Array;
  /** Bytes of `window` [start, end) are read and not consumed. */
  private start = 0;
  private end = 0;
  /** File offset of window[end]. */
  private filePos: number;
  private consumed = 0;

  constructor(
    private readonly fd: number,
    opts: { bufferSize?: number; start?: number } = {},
  ) {
    const st = fs.fstatSync(fd);
    this.filePos = opts.start ?? 0;
    this.size = Math.max(0, st.size - this.filePos);
    this.window = new Uint8Array(Math.max(64, opts.bufferSize ?? 1 << 20));
  }

  get pos(): number {
    return this.consumed;
  }

  readByte(): number {
    if (this.start < this.end) {
      this.consumed++;
      return this.window[this.start++]!;
    }
    return this.read(1)[0]!;
  }

  read(n: number): Uint8Array {
    const left = this.size - this.consumed;
    if (n > left) throw eof(this.consumed, n, left);
    const have = this.end - this.start;
    if (n <= have) {
      const v = this.window.subarray(this.start, this.start + n);
      this.start += n;
      this.consumed += n;
      return v;
    }
    if (n > this.window.length) {
      // larger than the window: its own array, the buffered part first
      const out = new Uint8Array(n);
      out.set(this.window.subarray(this.start, this.end), 0);
      this.fill(out, have, n);
      this.start = this.end = 0;
      this.consumed += n;
      return out;
    }
    // move what is left to the front, then read as much as fits
    this.window.copyWithin(0, this.start, this.end);
    this.start = 0;
    this.end = have;
    const want = Math.min(this.window.length, this.size - this.consumed);
    this.end = this.fill(this.window, have, want, n);
    const v = this.window.subarray(0, n);
    this.start = n;
    this.consumed += n;
    return v;
  }

  /** Read from the file into `into` [from, to), at least up to `need`; returns the end reached. */
  private fill(into: Uint8Array, from: number, to: number, need = to): number {
    let at = from;
    while (at < need) {
      const got = fs.readSync(this.fd, into, at, to - at, this.filePos);
      if (got === 0) throw new RdbError(`unexpected end of file near byte ${this.consumed} (the file shrank while being read)`);
      at += got;
      this.filePos += got;
    }
    return at;
  }
}

export interface RdbDecoderOptions {
  /** Keep a CRC-64 of everything read (to check a file's trailer). Default false. */
  checksum?: boolean;
}

const TWO_POW_32 = 4294967296;

/** The RDB primitives over a ByteSource. Every error says at which byte. */
export class RdbDecoder {
  private readonly crc: Crc64 | null;
  private readonly dv = new DataView(new ArrayBuffer(8));

  constructor(
    readonly src: ByteSource,
    opts: RdbDecoderOptions = {},
  ) {
    this.crc = opts.checksum ? new Crc64() : null;
  }

  /** Bytes consumed (the offset of the next byte in the file or payload). */
  get pos(): number {
    return this.src.pos;
  }

  /** Bytes not yet read. */
  get remaining(): number {
    return this.src.size - this.src.pos;
  }

  /** The next n raw bytes (a view valid until the next read). */
  bytes(n: number): Uint8Array {
    const v = this.src.read(n);
    if (this.crc !== null) this.crc.update(v);
    return v;
  }

  byte(): number {
    const b = this.src.readByte();
    if (this.crc !== null) this.crc.updateByte(b);
    return b;
  }

  /** The CRC-64 of everything read so far (8 bytes LE); only with `checksum`. */
  crcDigest(): Uint8Array {
    if (this.crc === null) throw new Error('RdbDecoder: created without checksum');
    return this.crc.digestBytes();
  }

  /**
   * rdbLoadLenByRef: a length (>= 0), or a special string encoding e as -1 - e (a number,
   * not an object: one is read per string and per length).
   */
  lenOrEncoding(): number {
    const b = this.byte();
    const kind = b >>> 6;
    if (kind === RDB_ENCVAL) return -1 - (b & 0x3f);
    if (kind === RDB_LEN_6BIT) return b & 0x3f;
    if (kind === RDB_LEN_14BIT) return ((b & 0x3f) << 8) | this.byte();
    const at = this.pos - 1;
    if (b === RDB_LEN_32BIT) {
      const v = this.bytes(4);
      return ((v[0] << 24) | (v[1] << 16) | (v[2] << 8) | v[3]) >>> 0;
    }
    if (b === RDB_LEN_64BIT) {
      const v = this.bytes(8);
      const hi = ((v[0] << 24) | (v[1] << 16) | (v[2] << 8) | v[3]) >>> 0;
      const lo = ((v[4] << 24) | (v[5] << 16) | (v[6] << 8) | v[7]) >>> 0;
      // no input is 2^53 bytes long: such a length cannot be right, whatever it counts
      if (hi >= 0x200000) {
        throw new RdbError(`length ${(BigInt(hi) << 32n) | BigInt(lo)} at byte ${at} is larger than any input can be`);
      }
      return hi * TWO_POW_32 + lo;
    }
    throw new RdbError(`unknown length encoding 0x${b.toString(16)} at byte ${at}`);
  }

  /** A length read exactly, all 64 bits (module type ids). */
  len64(): bigint {
    const at = this.pos;
    const b = this.byte();
    if (b === RDB_LEN_64BIT) {
      const v = this.bytes(8);
      let x = 0n;
      for (let i = 0; i < 8; i++) x = (x << 8n) | BigInt(v[i]);
      return x;
    }
    // shorter forms: as len()
    const kind = b >>> 6;
    if (kind === RDB_ENCVAL) throw new RdbError(`a string encoding where a length was expected at byte ${at}`);
    if (kind === RDB_LEN_6BIT) return BigInt(b & 0x3f);
    if (kind === RDB_LEN_14BIT) return BigInt(((b & 0x3f) << 8) | this.byte());
    if (b === RDB_LEN_32BIT) {
      const v = this.bytes(4);
      return BigInt(((v[0] << 24) | (v[1] << 16) | (v[2] << 8) | v[3]) >>> 0);
    }
    throw new RdbError(`unknown length encoding 0x${b.toString(16)} at byte ${at}`);
  }

  /** rdbLoadLen: a length (a special encoding here is an error). */
  len(): number {
    const at = this.pos;
    const l = this.lenOrEncoding();
    if (l < 0) throw new RdbError(`a string encoding (${-1 - l}) where a length was expected at byte ${at}`);
    return l;
  }

  /**
   * string() without the copy of a plain string: a view valid until the next read (an
   * encoded one comes back decoded, in an array of its own).
   */
  stringView(): Uint8Array {
    const at = this.pos;
    const l = this.lenOrEncoding();
    if (l < 0) return this.encodedString(l, at);
    this.checkLength(l, at, 'string');
    return this.bytes(l);
  }

  /**
   * rdbGenericLoadStringObject: a string in any of its encodings (INT8/16/32 come back as
   * their decimal text, LZF decompressed). Always a fresh array the caller owns.
   */
  string(): Uint8Array {
    const at = this.pos;
    const l = this.lenOrEncoding();
    if (l >= 0) {
      this.checkLength(l, at, 'string');
      return copyBytes(this.bytes(l));
    }
    return this.encodedString(l, at);
  }

  /** A string of a special encoding (l from lenOrEncoding, < 0), decoded into an array of its own. */
  private encodedString(l: number, at: number): Uint8Array {
    switch (-1 - l) {
      case RDB_ENC_INT8: {
        const b = this.byte();
        return asciiBytes(String((b << 24) >> 24));
      }
      case RDB_ENC_INT16: {
        const v = this.bytes(2);
        return asciiBytes(String(((v[0] | (v[1] << 8)) << 16) >> 16));
      }
      case RDB_ENC_INT32: {
        const v = this.bytes(4);
        return asciiBytes(String(v[0] | (v[1] << 8) | (v[2] << 16) | (v[3] << 24)));
      }
      case RDB_ENC_LZF: {
        const clen = this.len();
        const ulen = this.len();
        this.checkLength(clen, at, 'compressed string');
        if (ulen > clen * LZF_MAX_RATIO) {
          throw new RdbError(`compressed string at byte ${at}: ${clen} bytes cannot expand to the ${ulen} announced`);
        }
        const c = this.bytes(clen);
        try {
          return lzfDecompress(c, ulen);
        } catch (e) {
          if (e instanceof RdbError) throw new RdbError(`${e.message}, in the compressed string at byte ${at}`);
          throw e;
        }
      }
      default:
        throw new RdbError(`unknown string encoding ${-1 - l} at byte ${at}`);
    }
  }

  /** rdbLoadBinaryDoubleValue. */
  binaryDouble(): number {
    const v = this.bytes(8);
    for (let i = 0; i < 8; i++) this.dv.setUint8(i, v[i]);
    return this.dv.getFloat64(0, true);
  }

  /** rdbLoadDoubleValue: RDB_TYPE_ZSET's text doubles (a length byte with 3 special values). */
  textDouble(): number {
    const at = this.pos;
    const n = this.byte();
    if (n === RDB_DOUBLE_NEG_INF) return -Infinity;
    if (n === RDB_DOUBLE_POS_INF) return Infinity;
    if (n === RDB_DOUBLE_NAN) return NaN;
    const t = this.bytes(n);
    const v = parseRdbTextDouble(t);
    if (v === null) throw new RdbError(`unreadable double at byte ${at}`);
    return v;
  }

  /** rdbLoadMillisecondTime: an int64 LE (a number; exact up to 2^53). */
  millis(): number {
    const v = this.bytes(8);
    const lo = (v[0] | (v[1] << 8) | (v[2] << 16) | (v[3] << 24)) >>> 0;
    const hi = v[4] | (v[5] << 8) | (v[6] << 16) | (v[7] << 24); // signed
    return hi * TWO_POW_32 + lo;
  }

  /** rdbLoadTime: an int32 LE, seconds (RDB_OPCODE_EXPIRETIME). */
  seconds(): number {
    const v = this.bytes(4);
    return v[0] | (v[1] << 8) | (v[2] << 16) | (v[3] << 24);
  }

  /** A length must fit in what is left: checked before reading (or allocating) anything. */
  checkLength(n: number, at: number, what: string): void {
    const left = this.remaining;
    if (n > left) {
      throw new RdbError(`${what} of ${n} bytes at byte ${at} runs past the end of the input (${left} bytes left)`);
    }
  }
}
