/**
 * Redis's CRC-64: the Jones polynomial (0xad93d23594c935a9), reflected in and out, initial
 * value 0, no final xor — what crc64.c computes over RDB files and DUMP payloads. Check
 * value: crc64("123456789") = 0xe9c6d914c4b8d9ca.
 *
 * The 64-bit state is kept as two u32 halves so the inner loop is plain int arithmetic (a
 * BigInt per byte would be two orders of magnitude slower). Eight bytes at a time through
 * eight 256-entry tables ("slicing by 8"): table k maps a byte to its contribution after k
 * more zero bytes, so one block costs 16 table loads and no per-byte shifting of the state.
 */

/** The reflected polynomial: 0x95ac9329ac4bc9b5, bit-reversed 0xad93d23594c935a9. */
const POLY_LO = 0xac4bc9b5;
const POLY_HI = 0x95ac9329;

/** Tables k = 0..7, 256 entries each, low and high halves apart. */
const TLO = new Uint32Array(8 * 256);
const THI = new Uint32Array(8 * 256);

for (let i = 0; i < 256; i++) {
  let lo = i;
  let hi = 0;
  for (let b = 0; b < 8; b++) {
    const carry = lo & 1;
    lo = ((lo >>> 1) | (hi << 31)) >>> 0;
    hi = hi >>> 1;
    if (carry) {
      lo = (lo ^ POLY_LO) >>> 0;
      hi = (hi ^ POLY_HI) >>> 0;
    }
  }
  TLO[i] = lo;
  THI[i] = hi;
}
for (let k = 1; k < 8; k++) {
  for (let i = 0; i < 256; i++) {
    const plo = TLO[(k - 1) * 256 + i];
    const phi = THI[(k - 1) * 256 + i];
    const j = plo & 0xff;
    // one more zero byte: shift the state right by 8 and fold the byte shifted out
    TLO[k * 256 + i] = (((plo >>> 8) | (phi << 24)) ^ TLO[j]) >>> 0;
    THI[k * 256 + i] = ((phi >>> 8) ^ THI[j]) >>> 0;
  }
}

/** An incremental CRC-64 (Redis's). */
export class Crc64 {
  private lo = 0;
  private hi = 0;

  /** Feed bytes [start, end) of `buf`. */
  update(buf: Uint8Array, start = 0, end = buf.length): this {
    let lo = this.lo;
    let hi = this.hi;
    let p = start;
    const blocks = end - ((end - p) & 7);
    while (p < blocks) {
      const a = (lo ^ (buf[p] | (buf[p + 1] << 8) | (buf[p + 2] << 16) | (buf[p + 3] << 24))) >>> 0;
      const b = (hi ^ (buf[p + 4] | (buf[p + 5] << 8) | (buf[p + 6] << 16) | (buf[p + 7] << 24))) >>> 0;
      const i7 = 7 * 256 + (a & 0xff);
      const i6 = 6 * 256 + ((a >>> 8) & 0xff);
      const i5 = 5 * 256 + ((a >>> 16) & 0xff);
      const i4 = 4 * 256 + (a >>> 24);
      const i3 = 3 * 256 + (b & 0xff);
      const i2 = 2 * 256 + ((b >>> 8) & 0xff);
      const i1 = 256 + ((b >>> 16) & 0xff);
      const i0 = b >>> 24;
      lo = TLO[i7] ^ TLO[i6] ^ TLO[i5] ^ TLO[i4] ^ TLO[i3] ^ TLO[i2] ^ TLO[i1] ^ TLO[i0];
      hi = THI[i7] ^ THI[i6] ^ THI[i5] ^ THI[i4] ^ THI[i3] ^ THI[i2] ^ THI[i1] ^ THI[i0];
      p += 8;
    }
    while (p < end) {
      const j = (lo ^ buf[p]) & 0xff;
      lo = ((lo >>> 8) | (hi << 24)) ^ TLO[j];
      hi = (hi >>> 8) ^ THI[j];
      p++;
    }
    this.lo = lo >>> 0;
    this.hi = hi >>> 0;
    return this;
  }

  /** Feed one byte (the decoder's single-byte reads: no view made for them). */
  updateByte(b: number): void {
    const j = (this.lo ^ b) & 0xff;
    const hi = this.hi;
    this.lo = (((this.lo >>> 8) | (hi << 24)) ^ TLO[j]!) >>> 0;
    this.hi = ((hi >>> 8) ^ THI[j]!) >>> 0;
  }

  /** The CRC as Redis writes it after an RDB file or a DUMP payload: 8 bytes, little-endian. */
  digestBytes(): Uint8Array {
    const out = new Uint8Array(8);
    writeU32LE(out, 0, this.lo);
    writeU32LE(out, 4, this.hi);
    return out;
  }

  /** The CRC as a number (for messages and tests). */
  digest(): bigint {
    return (BigInt(this.hi) << 32n) | BigInt(this.lo);
  }

  /** True when nothing but zeros went in (or nothing at all). */
  isZero(): boolean {
    return this.lo === 0 && this.hi === 0;
  }
}

/** CRC-64 of bytes [start, end) of `buf`, as 8 little-endian bytes. */
export function crc64Bytes(buf: Uint8Array, start = 0, end = buf.length): Uint8Array {
  return new Crc64().update(buf, start, end).digestBytes();
}

/** CRC-64 of `buf` as a bigint. */
export function crc64(buf: Uint8Array): bigint {
  return new Crc64().update(buf).digest();
}

function writeU32LE(b: Uint8Array, at: number, v: number): void {
  b[at] = v & 0xff;
  b[at + 1] = (v >>> 8) & 0xff;
  b[at + 2] = (v >>> 16) & 0xff;
  b[at + 3] = v >>> 24;
}
