/**
 * Reading Redis's zipmap byte format (zipmap.c): small hashes in RDB files of Redis 2.x
 * (RDB_TYPE_HASH_ZIPMAP). Never written.
 *
 *   zmlen (1 byte: pair count, 254 or more: unknown)
 *   pairs: len field, len free value <free unused bytes>
 *   0xFF
 *
 * where len is 1 byte when < 254, else 0xFE (any byte >= 254) + u32 LE, and free is one
 * byte. Validated as zipmapValidateIntegrity's deep mode: everything inside the blob, not
 * empty, the count right when known.
 */

import { copyBytes } from './bytes.js';
import { RdbError } from './value.js';

const ZIPMAP_BIGLEN = 254;
const ZIPMAP_END = 0xff;

function bad(what: string): RdbError {
  return new RdbError(`invalid zipmap: ${what}`);
}

/** The fields and values of a zipmap blob, validated. */
export function zipmapDecode(zm: Uint8Array): { fields: Uint8Array[]; values: Uint8Array[] } {
  const size = zm.length;
  if (size < 2) throw bad(`${size} bytes is too short for a zipmap`);
  if (zm[size - 1] !== ZIPMAP_END) throw bad('it does not end with 0xFF');
  const last = size - 1;
  const fields: Uint8Array[] = [];
  const values: Uint8Array[] = [];
  const outOfRange = (q: number): boolean => q < 2 || q > last;
  let p = 1;
  while (zm[p] !== ZIPMAP_END) {
    const i = fields.length;
    let s = zm[p] < ZIPMAP_BIGLEN ? 1 : 5;
    if (outOfRange(p + s)) throw bad(`pair ${i}: the field length at offset ${p} is cut short`);
    const flen = s === 1 ? zm[p] : u32le(zm, p + 1);
    p += s;
    const f = p;
    p += flen;
    if (outOfRange(p)) throw bad(`pair ${i}: the field runs past the end`);
    s = zm[p] < ZIPMAP_BIGLEN ? 1 : 5;
    if (outOfRange(p + s)) throw bad(`pair ${i}: the value length at offset ${p} is cut short`);
    const vlen = s === 1 ? zm[p] : u32le(zm, p + 1);
    p += s;
    const free = zm[p++];
    const v = p;
    p += vlen + free;
    if (outOfRange(p)) throw bad(`pair ${i}: the value runs past the end`);
    fields.push(copyBytes(zm, f, f + flen));
    values.push(copyBytes(zm, v, v + vlen));
  }
  if (fields.length === 0) throw bad('it is empty');
  if (zm[0] < ZIPMAP_BIGLEN && zm[0] !== fields.length) {
    throw bad(`the header says ${zm[0]} pairs, it holds ${fields.length}`);
  }
  return { fields, values };
}

function u32le(b: Uint8Array, at: number): number {
  return (b[at] | (b[at + 1] << 8) | (b[at + 2] << 16) | (b[at + 3] << 24)) >>> 0;
}
