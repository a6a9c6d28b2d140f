/**
 * Small byte helpers of the codec: owned copies, map keys for duplicate checks, keys shown
 * in messages, and the decimal text of integers and doubles as Redis writes them into
 * listpacks (the elements the codec hands out are always bytes).
 */

import { str2ll } from '../protocol/numbers.js';
import { formatDouble, parseRedisDouble } from '../protocol/float.js';

/** A plain Uint8Array copy of [start, end) (never a view: input buffers may be reused). */
export function copyBytes(b: Uint8Array, start = 0, end = b.length): Uint8Array {
  const n = end - start;
  const out = new Uint8Array(n);
  // (short ones byte by byte: a subarray for set() is one more object per element read)
  if (n <= 64) for (let i = 0; i < n; i++) out[i] = b[start + i]!;
  else out.set(b.subarray(start, end));
  return out;
}

/** The bytes as a JS string one char per byte: a Map/Set key for duplicate checks. */
export function byteKey(b: Uint8Array): string {
  return Buffer.from(b.buffer, b.byteOffset, b.length).toString('latin1');
}

/** ASCII bytes of a JS string of char codes < 256. */
export function asciiBytes(s: string): Uint8Array {
  const out = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) out[i] = s.charCodeAt(i);
  return out;
}

/** A key (or any bytes) for an error message: quoted, escaped, cut at 64 bytes. */
export function showBytes(b: Uint8Array): string {
  const max = 64;
  let out = "'";
  const n = Math.min(b.length, max);
  for (let i = 0; i < n; i++) {
    const c = b[i];
    if (c === 0x27 || c === 0x5c) out += '\\' + String.fromCharCode(c);
    else if (c >= 32 && c < 127) out += String.fromCharCode(c);
    else out += '\\x' + c.toString(16).padStart(2, '0');
  }
  out += "'";
  if (b.length > max) out += `... (${b.length} bytes)`;
  return out;
}

/**
 * The int64 that `b` spells canonically (Redis's string2ll / lpStringToInt64: no sign on
 * zero, no leading zeros, no spaces), or null. A number when safe, else a bigint.
 */
export function parseInt64(b: Uint8Array): number | bigint | null {
  return str2ll(b, 0, b.length);
}

/** The decimal text of an int64, as bytes. */
export function int64Bytes(v: number | bigint): Uint8Array {
  return asciiBytes(typeof v === 'number' ? String(v) : v.toString());
}

const TWO_POW_32 = 4294967296;
const TWO_POW_52 = 4503599627370496;

/** An int64 from its u32 low half and signed high half: a number when exact, else a bigint. */
export function int64FromHalves(lo: number, hi: number): number | bigint {
  if (hi >= -0x200000 && hi < 0x200000) return hi * TWO_POW_32 + lo;
  return (BigInt(hi) << 32n) | BigInt(lo);
}


/**
 * Redis 7.0's d2string: how a sorted set's score is written into its listpack.
 * "nan", "inf", "-inf", "-0"; an integral value below 2^52 in magnitude as an integer;
 * anything else as printf("%.17g").
 */
export function d2string(x: number): string {
  if (x !== x) return 'nan';
  if (x === Infinity) return 'inf';
  if (x === -Infinity) return '-inf';
  if (x === 0) return Object.is(x, -0) ? '-0' : '0';
  if (x > -TWO_POW_52 + 1 && x < TWO_POW_52 && Number.isInteger(x)) return String(x);
  return formatDouble(x);
}

/**
 * A sorted-set score stored as text in a listpack or ziplist (written by d2string); null
 * when it is not a number Redis could have written (NaN included: no sorted set holds it).
 */
export function parseScoreText(b: Uint8Array): number | null {
  const v = parseRedisDouble(b);
  return v === null || v !== v ? null : v;
}

const LEADING_FLOAT = /^[ \t\n\v\f\r]*([+-]?(?:(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?|inf(?:inity)?|nan))/i;

/**
 * A RDB_TYPE_ZSET score's text as rdbLoadDoubleValue reads it (sscanf "%lg": leading
 * blanks skipped, the longest number prefix taken, hexadecimal floats too). Null when no
 * number can be read. NaN is returned as NaN (the caller refuses it, as Redis does).
 */
export function parseRdbTextDouble(b: Uint8Array): number | null {
  let s = 0;
  while (s < b.length && (b[s] === 32 || (b[s] >= 9 && b[s] <= 13))) s++;
  const whole = parseRedisDouble(b.subarray(s));
  if (whole !== null) return whole;
  const m = LEADING_FLOAT.exec(Buffer.from(b.buffer, b.byteOffset, b.length).toString('latin1'));
  if (!m) return null;
  const t = m[1].toLowerCase();
  const neg = t.startsWith('-');
  const body = t.replace(/^[+-]/, '');
  if (body.startsWith('inf')) return neg ? -Infinity : Infinity;
  if (body === 'nan') return NaN;
  const v = Number(t);
  return Number.isNaN(v) ? null : v;
}
