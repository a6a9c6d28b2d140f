/**
 * Integer parsing with Redis's exact rules (util.c string2ll).
 *
 * Accepted: "0", or an optional '-' followed by a digit 1-9 and more digits; the whole input
 * must be consumed; the value must fit in a signed 64-bit integer; the text must be shorter
 * than 21 bytes (LONG_STR_SIZE). Rejected: "", "-", "-0", "+1", "01", " 1", "1 ", "0x10",
 * "1e3", anything with a NUL byte.
 */

const MAX_SAFE = Number.MAX_SAFE_INTEGER;
const INT64_MAX = 9223372036854775807n;
const INT64_MIN_ABS = 9223372036854775808n;

/**
 * Redis string2ll over bytes [s, e) of `b`.
 * Returns a `number` when |value| <= 2^53-1, a `bigint` for a valid int64 beyond that,
 * `null` when the text is not a valid Redis integer.
 */
export function str2ll(b: Uint8Array, s: number, e: number): number | bigint | null {
  const slen = e - s;
  if (slen <= 0 || slen >= 21) return null;
  let p = s;
  let c = b[p];
  if (slen === 1 && c === 48) return 0;
  let neg = false;
  if (c === 45) {
    neg = true;
    p++;
    if (p === e) return null;
    c = b[p];
  }
  if (c < 49 || c > 57) return null;
  let v = c - 48;
  p++;
  // Up to 15 digits total are exact in a double: accumulate as number first.
  const fastEnd = Math.min(e, p + 14);
  while (p < fastEnd) {
    c = b[p];
    if (c < 48 || c > 57) return null;
    v = v * 10 + (c - 48);
    p++;
  }
  if (p === e) return neg ? -v : v;
  // Long form: BigInt for the remaining digits (at most 20 digits in all).
  let bv = BigInt(v);
  while (p < e) {
    c = b[p];
    if (c < 48 || c > 57) return null;
    bv = bv * 10n + BigInt(c - 48);
    p++;
  }
  if (neg) {
    if (bv > INT64_MIN_ABS) return null;
    bv = -bv;
  } else if (bv > INT64_MAX) {
    return null;
  }
  if (bv >= -BigInt(MAX_SAFE) && bv <= BigInt(MAX_SAFE)) return Number(bv);
  return bv;
}

/**
 * Parse a command argument as a Redis integer (string2ll rules, as getLongLongFromObject;
 * a reply "ERR value is not an integer or out of range" is the caller's on `null`).
 *
 * Contract: returns a `number` when the value is a safe integer (|v| <= 2^53-1),
 * a `bigint` when it is a valid signed 64-bit integer outside that range, `null` when
 * invalid. Callers doing arithmetic must handle the `bigint` case (e.g. INCRBY near 2^63)
 * — `typeof r === 'number'` is the fast path.
 */
export function parseRedisInt(b: Uint8Array | string): number | bigint | null {
  if (typeof b === 'string') b = Buffer.from(b, 'latin1');
  return str2ll(b, 0, b.length);
}

/** Number of decimal digits of a non-negative safe integer. */
export function digitCount(n: number): number {
  if (n < 10) return 1;
  if (n < 100) return 2;
  if (n < 1000) return 3;
  if (n < 10000) return 4;
  if (n < 100000) return 5;
  if (n < 1000000) return 6;
  if (n < 10000000) return 7;
  if (n < 100000000) return 8;
  if (n < 1000000000) return 9;
  let d = 10;
  let t = 10000000000;
  while (n >= t && d < 16) {
    d++;
    t *= 10;
  }
  return d;
}

/**
 * Write the decimal digits of a non-negative safe integer `n` into `buf` at `pos`;
 * returns the new position. The caller must have reserved digitCount(n) bytes.
 */
export function writeUint(buf: Uint8Array, pos: number, n: number): number {
  const d = digitCount(n);
  let p = pos + d;
  if (n < 4294967296) {
    let x = n >>> 0;
    do {
      const q = (x / 10) >>> 0;
      buf[--p] = 48 + (x - q * 10);
      x = q;
    } while (x !== 0);
  } else {
    let x = n;
    do {
      const q = Math.floor(x / 10);
      buf[--p] = 48 + (x - q * 10);
      x = q;
    } while (x !== 0);
  }
  return pos + d;
}
