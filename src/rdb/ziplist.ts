/**
 * Reading Redis's ziplist byte format (ziplist.c), found in RDB files written before Redis
 * 7.0 (RDB_TYPE_LIST_ZIPLIST, ZSET_ZIPLIST, HASH_ZIPLIST, and the nodes of
 * LIST_QUICKLIST). Never written: Redis 7.0 converts them to listpacks on load.
 *
 *   header   u32 LE total bytes, u32 LE offset of the last entry, u16 LE count (65535: unknown)
 *   entries  prevlen (1 byte < 254, or 0xFE + u32 LE), encoding, data
 *   0xFF
 *
 * Encodings: 00LLLLLL / 01LLLLLL LLLLLLLL / 10______ + u32 BE: strings of 6, 14, 32-bit
 * length; 0xC0 int16, 0xD0 int32, 0xE0 int64, 0xF0 int24, 0xFE int8 (LE, signed);
 * 0xF1..0xFD the integers 0..12 in the encoding byte itself.
 *
 * Validated as ziplistValidateIntegrity's deep mode: every header and entry inside the
 * blob, valid encodings, each prevlen equal to the previous entry's size, the tail offset
 * pointing at the last entry, the count in the header right.
 */

import { copyBytes, int64Bytes, int64FromHalves } from './bytes.js';
import { RdbError } from './value.js';

const ZL_HDR_SIZE = 10;
const ZIP_END = 0xff;
const ZIP_BIG_PREVLEN = 254;

function bad(what: string): RdbError {
  return new RdbError(`invalid ziplist: ${what}`);
}

/** The elements of a ziplist blob, validated (integers as decimal text). */
export function ziplistDecode(zl: Uint8Array): Uint8Array[] {
  const size = zl.length;
  if (size < ZL_HDR_SIZE + 1) throw bad(`${size} bytes is too short for a ziplist`);
  const total = u32le(zl, 0);
  if (total !== size) throw bad(`the header says ${total} bytes, the blob has ${size}`);
  if (zl[size - 1] !== ZIP_END) throw bad('it does not end with 0xFF');
  const tail = u32le(zl, 4);
  if (tail > size - 1) throw bad(`the tail offset ${tail} is outside the blob`);
  const last = size - 1;
  const out: Uint8Array[] = [];
  let p = ZL_HDR_SIZE;
  let prevSize = 0;
  let prevStart = -1;
  while (zl[p] !== ZIP_END) {
    const i = out.length;
    const prevlenSize = zl[p] < ZIP_BIG_PREVLEN ? 1 : 5;
    if (p + prevlenSize > last) throw bad(`entry ${i} at offset ${p} is cut short`);
    const prevlen = prevlenSize === 1 ? zl[p] : u32le(zl, p + 1);
    const e = p + prevlenSize; // the encoding byte
    const b = zl[e];
    let lenSize: number;
    let dataLen: number;
    let isString = true;
    if (b < 0xc0) {
      const kind = b >>> 6;
      lenSize = kind === 0 ? 1 : kind === 1 ? 2 : 5;
      if (e + lenSize > last) throw bad(`entry ${i} at offset ${p} is cut short`);
      if (kind === 0) dataLen = b & 0x3f;
      else if (kind === 1) dataLen = ((b & 0x3f) << 8) | zl[e + 1];
      else dataLen = ((zl[e + 1] << 24) | (zl[e + 2] << 16) | (zl[e + 3] << 8) | zl[e + 4]) >>> 0;
    } else {
      lenSize = 1;
      isString = false;
      if (b === 0xc0) dataLen = 2;
      else if (b === 0xd0) dataLen = 4;
      else if (b === 0xe0) dataLen = 8;
      else if (b === 0xf0) dataLen = 3;
      else if (b === 0xfe) dataLen = 1;
      else if (b >= 0xf1 && b <= 0xfd) dataLen = 0;
      else throw bad(`entry ${i} at offset ${p} has the invalid encoding 0x${b.toString(16)}`);
      if (e + lenSize > last) throw bad(`entry ${i} at offset ${p} is cut short`);
    }
    const headerSize = prevlenSize + lenSize;
    if (p + headerSize + dataLen > last) throw bad(`entry ${i} at offset ${p} runs past the end`);
    if (p - prevlen < ZL_HDR_SIZE) throw bad(`entry ${i} at offset ${p} has a prevlen pointing before the first entry`);
    if (prevlen !== prevSize) throw bad(`entry ${i} at offset ${p} has prevlen ${prevlen}, the previous entry has ${prevSize} bytes`);
    const d = p + headerSize;
    out.push(isString ? copyBytes(zl, d, d + dataLen) : int64Bytes(decodeInt(zl, d, b)));
    prevSize = headerSize + dataLen;
    prevStart = p;
    p += prevSize;
  }
  if (p !== last) throw bad(`an end byte at offset ${p} before the end (${last})`);
  if (prevStart >= 0 && prevStart !== tail) throw bad(`the tail offset ${tail} is not the last entry's (${prevStart})`);
  const count = zl[8] | (zl[9] << 8);
  if (count !== 65535 && count !== out.length) throw bad(`the header says ${count} elements, it holds ${out.length}`);
  return out;
}

function u32le(b: Uint8Array, at: number): number {
  return (b[at] | (b[at + 1] << 8) | (b[at + 2] << 16) | (b[at + 3] << 24)) >>> 0;
}

function decodeInt(zl: Uint8Array, d: number, enc: number): number | bigint {
  switch (enc) {
    case 0xc0:
      return ((zl[d] | (zl[d + 1] << 8)) << 16) >> 16;
    case 0xd0:
      return zl[d] | (zl[d + 1] << 8) | (zl[d + 2] << 16) | (zl[d + 3] << 24);
    case 0xe0:
      return int64FromHalves(u32le(zl, d), zl[d + 4] | (zl[d + 5] << 8) | (zl[d + 6] << 16) | (zl[d + 7] << 24));
    case 0xf0:
      return ((zl[d] | (zl[d + 1] << 8) | (zl[d + 2] << 16)) << 8) >> 8;
    case 0xfe:
      return (zl[d] << 24) >> 24;
    default:
      return (enc & 0x0f) - 1;
  }
}
