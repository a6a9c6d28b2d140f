/**
 * Redis's listpack byte format (listpack.c), the blob inside RDB_TYPE_*_LISTPACK values and
 * each packed node of RDB_TYPE_LIST_QUICKLIST_2. (shmkv's own in-heap listpack,
 * src/structs/listpack.ts, is a different layout; this one is only read and written here.)
 *
 *   header   u32 LE total bytes, u16 LE element count (65535: "count them")
 *   entries  encoding + data, then backlen: the entry's size (encoding + data) in 1..5
 *            bytes, 7 bits each, most significant first, every byte but the first with
 *            the top bit set (so it can be read from its last byte backwards)
 *   0xFF
 *
 * Entry encodings (first byte):
 *   0xxxxxxx            7-bit unsigned int
 *   10LLLLLL            string of up to 63 bytes
 *   110xxxxx xxxxxxxx   13-bit signed int
 *   1110LLLL LLLLLLLL   string of up to 4095 bytes
 *   11110000 L*4        string, 32-bit LE length
 *   11110001..11110100  16, 24, 32, 64-bit signed int, LE
 *   11111111            the end; 11110101..11111110 are invalid
 *
 * Writing: an element that spells an int64 canonically (lpStringToInt64) is stored as the
 * smallest integer encoding, as lpAppend does, so our blobs are Redis's byte for byte.
 * Reading: every entry is validated as lpValidateIntegrity's deep mode does (in bounds,
 * valid encoding, backlen equal to the entry's size, the count in the header right), and
 * integers come out as their decimal text.
 */

import { copyBytes, int64Bytes, int64FromHalves, parseInt64 } from './bytes.js';
import { RdbError } from './value.js';

const LP_HDR_SIZE = 6;
const LP_EOF = 0xff;
const LP_NUMELE_UNKNOWN = 65535;
const TWO_POW_32 = 4294967296;

/** Bytes the backlen of an entry of `l` bytes takes (lpEncodeBacklen). */
function backlenSize(l: number): number {
  if (l <= 127) return 1;
  if (l < 16383) return 2;
  if (l < 2097151) return 3;
  if (l < 268435455) return 4;
  return 5;
}

function writeBacklen(out: Uint8Array, at: number, l: number): number {
  const n = backlenSize(l);
  // the last byte holds the lowest 7 bits; every byte but the first has the top bit set
  let v = l;
  for (let i = n - 1; i >= 0; i--) {
    const seven = v % 128;
    out[at + i] = i === 0 ? seven : seven | 128;
    v = Math.floor(v / 128);
  }
  return at + n;
}

/** An element as it will be stored: an integer (with its encoded size) or a string. */
interface Planned {
  int: number | bigint | null;
  size: number; // encoding + data
}

function intEncodedSize(v: number | bigint): number {
  if (typeof v === 'bigint') return 9; // only beyond 2^53, so beyond int32
  if (v >= 0 && v <= 127) return 1;
  if (v >= -4096 && v <= 4095) return 2;
  if (v >= -32768 && v <= 32767) return 3;
  if (v >= -8388608 && v <= 8388607) return 4;
  if (v >= -2147483648 && v <= 2147483647) return 5;
  return 9;
}

function stringEncodedSize(n: number): number {
  if (n < 64) return 1 + n;
  if (n < 4096) return 2 + n;
  return 5 + n;
}

function plan(e: Uint8Array): Planned {
  const v = e.length > 0 && e.length <= 20 ? parseInt64(e) : null;
  if (v !== null) return { int: v, size: intEncodedSize(v) };
  return { int: null, size: stringEncodedSize(e.length) };
}

/** The listpack Redis builds by appending `elements` one by one (lpAppend). */
export function lpEncode(elements: readonly Uint8Array[]): Uint8Array {
  const plans: Planned[] = new Array(elements.length);
  let total = LP_HDR_SIZE + 1;
  for (let i = 0; i < elements.length; i++) {
    const p = plan(elements[i]);
    plans[i] = p;
    total += p.size + backlenSize(p.size);
  }
  if (total >= TWO_POW_32) throw new RdbError(`a listpack of ${total} bytes is larger than a listpack can be`);
  const out = new Uint8Array(total);
  out[0] = total & 0xff;
  out[1] = (total >>> 8) & 0xff;
  out[2] = (total >>> 16) & 0xff;
  out[3] = total >>> 24;
  const count = Math.min(elements.length, LP_NUMELE_UNKNOWN);
  out[4] = count & 0xff;
  out[5] = count >>> 8;
  let at = LP_HDR_SIZE;
  for (let i = 0; i < elements.length; i++) {
    const p = plans[i];
    const start = at;
    if (p.int !== null) at = writeInt(out, at, p.int, p.size);
    else at = writeString(out, at, elements[i]);
    at = writeBacklen(out, at, at - start);
  }
  out[at] = LP_EOF;
  return out;
}

function writeInt(out: Uint8Array, at: number, v: number | bigint, size: number): number {
  if (size === 1) {
    out[at] = v as number;
    return at + 1;
  }
  if (size === 2) {
    const u = (v as number) < 0 ? 8192 + (v as number) : (v as number);
    out[at] = (u >>> 8) | 0xc0;
    out[at + 1] = u & 0xff;
    return at + 2;
  }
  if (size === 9) {
    let lo: number;
    let hi: number;
    if (typeof v === 'bigint') {
      const u = BigInt.asUintN(64, v);
      lo = Number(u & 0xffffffffn);
      hi = Number(u >> 32n);
    } else {
      lo = v >>> 0;
      hi = Math.floor(v / TWO_POW_32) >>> 0;
    }
    out[at] = 0xf4;
    putLE(out, at + 1, lo, 4);
    putLE(out, at + 5, hi, 4);
    return at + 9;
  }
  const n = v as number;
  out[at] = size === 3 ? 0xf1 : size === 4 ? 0xf2 : 0xf3;
  putLE(out, at + 1, n, size - 1);
  return at + size;
}

function putLE(out: Uint8Array, at: number, v: number, bytes: number): void {
  for (let i = 0; i < bytes; i++) out[at + i] = (v >>> (8 * i)) & 0xff;
}

function writeString(out: Uint8Array, at: number, s: Uint8Array): number {
  const n = s.length;
  if (n < 64) {
    out[at++] = 0x80 | n;
  } else if (n < 4096) {
    out[at++] = 0xe0 | (n >>> 8);
    out[at++] = n & 0xff;
  } else {
    out[at++] = 0xf0;
    putLE(out, at, n, 4);
    at += 4;
  }
  out.set(s, at);
  return at + n;
}

/** Bytes one element takes in a listpack, backlen included (to size quicklist nodes). */
export function lpEntryBytes(e: Uint8Array): number {
  const p = plan(e);
  return p.size + backlenSize(p.size);
}

function bad(what: string): RdbError {
  return new RdbError(`invalid listpack: ${what}`);
}

/**
 * The elements of a listpack blob, validated entry by entry (integers as decimal text,
 * strings copied). Throws RdbError "invalid listpack: ..." on anything Redis's deep
 * integrity check would refuse.
 */
export function lpDecode(lp: Uint8Array): Uint8Array[] {
  const size = lp.length;
  if (size < LP_HDR_SIZE + 1) throw bad(`${size} bytes is too short for a listpack`);
  const total = (lp[0] | (lp[1] << 8) | (lp[2] << 16) | (lp[3] << 24)) >>> 0;
  if (total !== size) throw bad(`the header says ${total} bytes, the blob has ${size}`);
  if (lp[size - 1] !== LP_EOF) throw bad('it does not end with 0xFF');
  const last = size - 1; // the end byte: no entry may reach past it
  const out: Uint8Array[] = [];
  let p = LP_HDR_SIZE;
  while (lp[p] !== LP_EOF) {
    const b = lp[p];
    let hdr: number; // encoding bytes
    let dataLen = 0;
    let isString = true;
    if (b < 0x80) {
      hdr = 1;
      isString = false;
    } else if (b < 0xc0) {
      hdr = 1;
      dataLen = b & 0x3f;
    } else if (b < 0xe0) {
      hdr = 2;
      isString = false;
    } else if (b < 0xf0) {
      hdr = 2;
      if (p + 1 > last) throw bad(`entry ${out.length} at offset ${p} is cut short`);
      dataLen = ((b & 0x0f) << 8) | lp[p + 1];
    } else if (b === 0xf0) {
      hdr = 5;
      if (p + 5 > last) throw bad(`entry ${out.length} at offset ${p} is cut short`);
      dataLen = (lp[p + 1] | (lp[p + 2] << 8) | (lp[p + 3] << 16) | (lp[p + 4] << 24)) >>> 0;
    } else if (b <= 0xf4) {
      hdr = b === 0xf1 ? 3 : b === 0xf2 ? 4 : b === 0xf3 ? 5 : 9;
      isString = false;
    } else {
      throw bad(`entry ${out.length} at offset ${p} has the invalid encoding 0x${b.toString(16)}`);
    }
    const entryLen = hdr + dataLen;
    const bl = backlenSize(entryLen);
    if (p + entryLen + bl > last) throw bad(`entry ${out.length} at offset ${p} runs past the end`);
    // the backlen, read backwards from its last byte as lpDecodeBacklen does
    let q = p + entryLen + bl - 1;
    let val = 0;
    let mul = 1;
    for (;;) {
      const c = lp[q];
      val += (c & 127) * mul;
      if (!(c & 128)) break;
      mul *= 128;
      q--;
      if (mul > 2 ** 28) throw bad(`entry ${out.length} at offset ${p} has an overlong backlen`);
    }
    if (val !== entryLen) throw bad(`entry ${out.length} at offset ${p} has backlen ${val}, not its size ${entryLen}`);
    out.push(isString ? copyBytes(lp, p + hdr, p + entryLen) : decodeInt(lp, p, b));
    p += entryLen + bl;
  }
  if (p !== last) throw bad(`an end byte at offset ${p} before the end (${last})`);
  const numele = lp[4] | (lp[5] << 8);
  if (numele !== LP_NUMELE_UNKNOWN && numele !== out.length) {
    throw bad(`the header says ${numele} elements, it holds ${out.length}`);
  }
  return out;
}

function decodeInt(lp: Uint8Array, p: number, b: number): Uint8Array {
  let v: number | bigint;
  if (b < 0x80) {
    v = b;
  } else if (b < 0xe0) {
    const u = ((b & 0x1f) << 8) | lp[p + 1];
    v = u >= 4096 ? u - 8192 : u;
  } else if (b === 0xf1) {
    v = ((lp[p + 1] | (lp[p + 2] << 8)) << 16) >> 16;
  } else if (b === 0xf2) {
    v = ((lp[p + 1] | (lp[p + 2] << 8) | (lp[p + 3] << 16)) << 8) >> 8;
  } else if (b === 0xf3) {
    v = lp[p + 1] | (lp[p + 2] << 8) | (lp[p + 3] << 16) | (lp[p + 4] << 24);
  } else {
    const lo = (lp[p + 1] | (lp[p + 2] << 8) | (lp[p + 3] << 16) | (lp[p + 4] << 24)) >>> 0;
    const hi = lp[p + 5] | (lp[p + 6] << 8) | (lp[p + 7] << 16) | (lp[p + 8] << 24);
    v = int64FromHalves(lo, hi);
  }
  return int64Bytes(v);
}
