/**
 * Redis's intset byte format (intset.c): the blob of RDB_TYPE_SET_INTSET.
 *
 *   u32 LE encoding (2, 4 or 8: bytes per integer), u32 LE count, the integers ascending, LE
 *
 * The encoding is the smallest width that holds every member (intsets only ever widen,
 * and only when a member needs it). Reading validates as intsetValidateIntegrity's deep
 * mode: a known encoding, the size exactly header + count * width, not empty, strictly
 * ascending (no duplicates).
 */

import { int64Bytes, int64FromHalves, parseInt64 } from './bytes.js';
import { RdbError } from './value.js';

const INTSET_HDR = 8;

function bad(what: string): RdbError {
  return new RdbError(`invalid intset: ${what}`);
}

function u32le(b: Uint8Array, at: number): number {
  return (b[at] | (b[at + 1] << 8) | (b[at + 2] << 16) | (b[at + 3] << 24)) >>> 0;
}

function width(v: number | bigint): number {
  if (typeof v === 'bigint') return 8;
  if (v >= -32768 && v <= 32767) return 2;
  if (v >= -2147483648 && v <= 2147483647) return 4;
  return 8;
}

/**
 * The intset Redis would hold for these members, or null when one of them is not a
 * canonical int64 (the set then cannot be an intset). Members may come in any order;
 * a duplicate is an error.
 */
export function intsetEncode(members: readonly Uint8Array[]): Uint8Array | null {
  const vals: (number | bigint)[] = new Array(members.length);
  let w = 2;
  for (let i = 0; i < members.length; i++) {
    const v = parseInt64(members[i]);
    if (v === null) return null;
    vals[i] = v;
    const vw = width(v);
    if (vw > w) w = vw;
  }
  vals.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  for (let i = 1; i < vals.length; i++) {
    if (vals[i] == vals[i - 1]) throw new RdbError(`intset: duplicate member ${String(vals[i])}`);
  }
  const out = new Uint8Array(INTSET_HDR + vals.length * w);
  putU32(out, 0, w);
  putU32(out, 4, vals.length);
  let at = INTSET_HDR;
  for (const v of vals) {
    if (w === 8) {
      const u = BigInt.asUintN(64, BigInt(v));
      putU32(out, at, Number(u & 0xffffffffn));
      putU32(out, at + 4, Number(u >> 32n));
    } else {
      const n = v as number;
      for (let k = 0; k < w; k++) out[at + k] = (n >>> (8 * k)) & 0xff;
    }
    at += w;
  }
  return out;
}

function putU32(b: Uint8Array, at: number, v: number): void {
  b[at] = v & 0xff;
  b[at + 1] = (v >>> 8) & 0xff;
  b[at + 2] = (v >>> 16) & 0xff;
  b[at + 3] = v >>> 24;
}

/** The members of an intset blob as decimal text, ascending; validated. */
export function intsetDecode(is: Uint8Array): Uint8Array[] {
  if (is.length < INTSET_HDR) throw bad(`${is.length} bytes is too short for an intset`);
  const w = u32le(is, 0);
  if (w !== 2 && w !== 4 && w !== 8) throw bad(`unknown encoding ${w}`);
  const count = u32le(is, 4);
  if (INTSET_HDR + count * w !== is.length) {
    throw bad(`${count} members of ${w} bytes do not make ${is.length} bytes`);
  }
  if (count === 0) throw bad('it is empty');
  const out: Uint8Array[] = [];
  let prev: number | bigint = 0;
  for (let i = 0; i < count; i++) {
    const at = INTSET_HDR + i * w;
    let v: number | bigint;
    if (w === 2) v = ((is[at] | (is[at + 1] << 8)) << 16) >> 16;
    else if (w === 4) v = is[at] | (is[at + 1] << 8) | (is[at + 2] << 16) | (is[at + 3] << 24);
    else v = int64FromHalves(u32le(is, at), is[at + 4] | (is[at + 5] << 8) | (is[at + 6] << 16) | (is[at + 7] << 24));
    if (i > 0 && !(v > prev)) throw bad(`member ${i} (${String(v)}) is not above the one before (${String(prev)})`);
    prev = v;
    out.push(int64Bytes(v));
  }
  return out;
}
