/**
 * Floating point parsing and formatting the way Redis 7.0 does it, byte for byte.
 *
 * - `formatDouble(x)`     — printf("%.17g") (glibc: correctly rounded, ties to even), with
 *                           Redis's "inf"/"-inf". Used by Redis 7.0's addReplyDouble: ZSCORE,
 *                           ZINCRBY, ZADD INCR, ZRANGE WITHSCORES, GEODIST…, i.e. every double
 *                           reply (RESP2 as a bulk string, RESP3 as `,`). 0.1 → "0.10000000000000001".
 * - `formatLongDouble(x)` — ld2string(LD_STR_HUMAN): printf("%.17Lf") of an x87 80-bit long
 *                           double, trailing zeros (and '.') trimmed, "-0" → "0". Used for the
 *                           values INCRBYFLOAT / HINCRBYFLOAT store and reply. Only exact when
 *                           given the long double result (`LongDouble`) of the computation —
 *                           use `incrByFloat()`, which does the whole INCRBYFLOAT arithmetic in
 *                           emulated 80-bit precision (0.1 + 0.2 → "0.3" as in Redis, where
 *                           JS doubles would give 0.30000000000000004).
 * - `parseRedisDouble(b)` — string2d (strtod, Redis getDoubleFromObject): ZADD, ZINCRBY, …
 * - `parseRedisLongDouble(b)` — string2ld (strtold, Redis getLongDoubleFromObject): INCRBYFLOAT.
 *
 * Both parsers accept: optional sign, decimal "1", "1.", ".5", "1e5", "1E-5"; hex floats
 * "0x10", "0x1.8p3"; "inf"/"infinity" (any case). They reject: "", leading or trailing
 * spaces, "nan", "1e" / "0x" (not fully consumed), embedded NUL, overflow ("1e400" for
 * double) and underflow to zero ("1e-400"); subnormal results are accepted.
 */

// ---------------------------------------------------------------------------------------
// Exact binary floating point values as BigInt: value = (-1)^neg * m * 2^e.

interface BinFormat {
  p: number; // significand bits
  eminLsb: number; // exponent of the smallest subnormal's unit
  emaxExcl: number; // values >= 2^emaxExcl overflow
}
const DOUBLE: BinFormat = { p: 53, eminLsb: -1074, emaxExcl: 1024 };
const LDOUBLE: BinFormat = { p: 64, eminLsb: -16445, emaxExcl: 16384 };

/** An x87 80-bit extended precision value (what Redis's `long double` is on x86-64). */
export class LongDouble {
  /** value = (neg ? -1 : 1) * m * 2^e when finite; m < 2^64. `inf` is ±infinity, `nan` NaN. */
  constructor(
    readonly neg: boolean,
    readonly m: bigint,
    readonly e: number,
    readonly inf = false,
    readonly nan = false,
  ) {}
  isFinite(): boolean {
    return !this.inf && !this.nan;
  }
  isZero(): boolean {
    return !this.inf && !this.nan && this.m === 0n;
  }
  static fromNumber(x: number): LongDouble {
    if (Number.isNaN(x)) return new LongDouble(false, 0n, 0, false, true);
    const neg = x < 0 || Object.is(x, -0);
    if (!Number.isFinite(x)) return new LongDouble(neg, 0n, 0, true);
    const [m, e] = decompose(Math.abs(x));
    return new LongDouble(neg, m, e);
  }
  /** Exact for any int64 (as (long double)(long long) in Redis). */
  static fromInt(n: number | bigint): LongDouble {
    let b = BigInt(n);
    const neg = b < 0n;
    if (neg) b = -b;
    return new LongDouble(neg, b, 0);
  }
  /** Nearest double (ties to even). */
  toNumber(): number {
    if (this.nan) return NaN;
    if (this.inf) return this.neg ? -Infinity : Infinity;
    if (this.m === 0n) return this.neg ? -0 : 0;
    const r = roundBin(this.neg, this.m, 1n, this.e, DOUBLE);
    if (r.inf) return this.neg ? -Infinity : Infinity;
    const v = Number(r.m) * Math.pow(2, r.e); // r.m < 2^53: exact; pow of 2 exact, may be subnormal
    if (!Number.isFinite(v) || (v === 0 && r.m !== 0n)) {
      // split the scaling to avoid intermediate overflow/underflow
      const h = Math.trunc(r.e / 2);
      return (this.neg ? -1 : 1) * Number(r.m) * Math.pow(2, h) * Math.pow(2, r.e - h);
    }
    return this.neg ? -v : v;
  }
}

const F64 = new Float64Array(1);
const U32 = new Uint32Array(F64.buffer);
const LITTLE = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** |x| finite, non-negative → [m, e] with x = m * 2^e exactly, m integer. */
function decompose(x: number): [bigint, number] {
  if (x === 0) return [0n, 0];
  F64[0] = x;
  const hi = U32[LITTLE ? 1 : 0];
  const lo = U32[LITTLE ? 0 : 1];
  const bexp = (hi >>> 20) & 0x7ff;
  const mhi = hi & 0xfffff;
  let m = (BigInt(mhi) << 32n) | BigInt(lo);
  let e: number;
  if (bexp === 0) {
    e = -1074;
  } else {
    m |= 1n << 52n;
    e = bexp - 1075;
  }
  return [m, e];
}

function bitLength(n: bigint): number {
  return n === 0n ? 0 : n.toString(2).length;
}

interface Rounded {
  m: bigint;
  e: number;
  inf: boolean;
  /** nonzero input rounded to zero (strtod's ERANGE with a zero result) */
  underflowZero: boolean;
}

/**
 * Round (num/den) * 2^e2 (num >= 0, den > 0) to the nearest value of `fmt`, ties to even.
 */
function roundBin(neg: boolean, num: bigint, den: bigint, e2: number, fmt: BinFormat): Rounded {
  if (num === 0n) return { m: 0n, e: 0, inf: false, underflowZero: false };
  const P = fmt.p;
  // choose k so that q = floor(num / den / 2^k) has P bits: value = q * 2^(k + e2)
  let k = bitLength(num) - bitLength(den) - P;
  const quot = (kk: number): [bigint, bigint, bigint] => {
    // returns [q, rem, divisor] for num * 2^-kk / den
    if (kk >= 0) {
      const d = den << BigInt(kk);
      return [num / d, num % d, d];
    }
    const n2 = num << BigInt(-kk);
    return [n2 / den, n2 % den, den];
  };
  let [q, rem, div] = quot(k);
  const top = 1n << BigInt(P);
  const low = 1n << BigInt(P - 1);
  if (q >= top) {
    k++;
    [q, rem, div] = quot(k);
  } else if (q < low) {
    k--;
    [q, rem, div] = quot(k);
  }
  // subnormal range
  if (k + e2 < fmt.eminLsb) {
    k = fmt.eminLsb - e2;
    [q, rem, div] = quot(k);
  }
  // round half to even
  const twice = rem * 2n;
  if (twice > div || (twice === div && (q & 1n) === 1n)) {
    q += 1n;
    if (q === top) {
      q >>= 1n;
      k++;
    }
  }
  let e = k + e2;
  if (q === 0n) return { m: 0n, e: 0, inf: false, underflowZero: true };
  // normalize: strip nothing (keep q as is); overflow check: q * 2^e >= 2^emaxExcl
  if (bitLength(q) + e > fmt.emaxExcl) return { m: 0n, e: 0, inf: true, underflowZero: false };
  void neg;
  return { m: q, e, inf: false, underflowZero: false };
}

// ---------------------------------------------------------------------------------------
// strtod / strtold syntax

const enum Kind {
  Dec,
  Hex,
  Inf,
}

interface Scanned {
  kind: Kind;
  neg: boolean;
  /** decimal: digits (no dot), hex: hex digits (no dot) */
  digits: string;
  /** decimal: power of 10; hex: power of 2 */
  exp: number;
}

function isDigit(c: number): boolean {
  return c >= 48 && c <= 57;
}
function hexVal(c: number): number {
  if (c >= 48 && c <= 57) return c - 48;
  if (c >= 97 && c <= 102) return c - 87;
  if (c >= 65 && c <= 70) return c - 55;
  return -1;
}

function lowerAt(b: Uint8Array, i: number): number {
  const c = b[i];
  return c >= 65 && c <= 90 ? c + 32 : c;
}

/** Parse the whole of b[0, n) with strtod's grammar; null when not fully consumed / NaN. */
function scanFloat(b: Uint8Array, n: number): Scanned | null {
  let p = 0;
  if (n === 0) return null;
  let neg = false;
  if (b[0] === 43 || b[0] === 45) {
    neg = b[0] === 45;
    p = 1;
  }
  if (p >= n) return null;
  const c0 = lowerAt(b, p);
  if (c0 === 105 /* i */) {
    // "inf" or "infinity", case-insensitive, must be all that remains
    const rest = n - p;
    const word = rest === 3 ? 'inf' : rest === 8 ? 'infinity' : null;
    if (word === null) return null;
    for (let i = 0; i < rest; i++) if (lowerAt(b, p + i) !== word.charCodeAt(i)) return null;
    return { kind: Kind.Inf, neg, digits: '', exp: 0 };
  }
  if (c0 === 110 /* n */) return null; // nan, nan(...) : rejected by Redis (isnan)
  if (b[p] === 48 && p + 1 < n && lowerAt(b, p + 1) === 120 /* x */) {
    // hex float: needs at least one hex digit after 0x, else strtod stops after "0"
    let q = p + 2;
    let digits = '';
    let fracDigits = 0;
    let any = false;
    while (q < n && hexVal(b[q]) >= 0) {
      digits += String.fromCharCode(b[q]);
      q++;
      any = true;
    }
    if (q < n && b[q] === 46) {
      q++;
      while (q < n && hexVal(b[q]) >= 0) {
        digits += String.fromCharCode(b[q]);
        fracDigits++;
        q++;
        any = true;
      }
    }
    if (!any) return null;
    let exp = 0;
    if (q < n && lowerAt(b, q) === 112 /* p */) {
      const r = scanExp(b, q + 1, n);
      if (r === null) return null;
      exp = r;
      q = n;
    }
    if (q !== n) return null;
    return { kind: Kind.Hex, neg, digits, exp: exp - 4 * fracDigits };
  }
  let q = p;
  let digits = '';
  let fracDigits = 0;
  let any = false;
  const start = q;
  while (q < n && isDigit(b[q])) q++;
  if (q > start) {
    digits = latin1(b, start, q);
    any = true;
  }
  if (q < n && b[q] === 46) {
    q++;
    const fs = q;
    while (q < n && isDigit(b[q])) q++;
    if (q > fs) {
      digits += latin1(b, fs, q);
      fracDigits = q - fs;
      any = true;
    }
  }
  if (!any) return null;
  let exp = 0;
  if (q < n && lowerAt(b, q) === 101 /* e */) {
    const r = scanExp(b, q + 1, n);
    if (r === null) return null;
    exp = r;
    q = n;
  }
  if (q !== n) return null;
  return { kind: Kind.Dec, neg, digits, exp: exp - fracDigits };
}

/** exponent digits [sign] digits filling b[q, n); clamps huge exponents. */
function scanExp(b: Uint8Array, q: number, n: number): number | null {
  let neg = false;
  if (q < n && (b[q] === 43 || b[q] === 45)) {
    neg = b[q] === 45;
    q++;
  }
  if (q >= n) return null;
  let v = 0;
  for (; q < n; q++) {
    const c = b[q];
    if (!isDigit(c)) return null;
    if (v < 1e9) v = v * 10 + (c - 48);
  }
  return neg ? -v : v;
}

function latin1(b: Uint8Array, s: number, e: number): string {
  let r = '';
  for (let i = s; i < e; i++) r += String.fromCharCode(b[i]);
  return r;
}

/** Exact rounding of a scanned number into `fmt`; null on overflow or underflow-to-zero. */
function scannedToBin(sc: Scanned, fmt: BinFormat): Rounded | null {
  // strip leading zeros
  let d = sc.digits;
  let i = 0;
  while (i < d.length && d.charCodeAt(i) === 48) i++;
  d = d.slice(i);
  if (d.length === 0) return { m: 0n, e: 0, inf: false, underflowZero: false };
  let r: Rounded;
  if (sc.kind === Kind.Dec) {
    const mag = d.length + sc.exp; // value in [10^(mag-1), 10^mag)
    const hi = fmt === DOUBLE ? 310 : 4934;
    const lo = fmt === DOUBLE ? -330 : -4960;
    if (mag > hi) return null;
    if (mag < lo) return null;
    const D = BigInt(d);
    if (sc.exp >= 0) r = roundBin(sc.neg, D * 10n ** BigInt(sc.exp), 1n, 0, fmt);
    else {
      // D / 10^k = D / (5^k * 2^k)
      const k = -sc.exp;
      r = roundBin(sc.neg, D, 5n ** BigInt(k), -k, fmt);
    }
  } else {
    const H = BigInt('0x' + d);
    const mag = bitLength(H) + sc.exp;
    if (mag > fmt.emaxExcl + 2) return null;
    if (mag < fmt.eminLsb - 2) return null;
    r = roundBin(sc.neg, H, 1n, sc.exp, fmt);
  }
  if (r.inf || r.underflowZero) return null;
  return r;
}

/**
 * Redis string2d (strtod; getDoubleFromObject): the score/double argument parser of ZADD,
 * ZINCRBY, ZRANGEBYSCORE bounds' numbers, GEO, … Returns the double or null
 * ("ERR value is not a valid float" is the caller's).
 */
export function parseRedisDouble(b: Uint8Array | string): number | null {
  if (typeof b === 'string') b = Buffer.from(b, 'latin1');
  const n = b.length;
  if (n === 0) return null;
  // fastest path: an optional '-' and up to 15 digits (redis-benchmark's scores, most
  // clients' integers) is an integer below 2^53, exact as a double (strtod's value; "-0" is -0)
  if (n <= 16) {
    const neg = b[0] === 45;
    let i = neg ? 1 : 0;
    if (i < n && n - i <= 15) {
      let v = 0;
      for (; i < n; i++) {
        const d = b[i]! - 48;
        if (d < 0 || d > 9) break;
        v = v * 10 + d;
      }
      if (i === n) return neg ? -v : v;
    }
  }
  // fast path: plain decimal up to 15 significant digits without exponent is exact
  const sc = scanFloat(b, n);
  if (sc === null) return null;
  if (sc.kind === Kind.Inf) return sc.neg ? -Infinity : Infinity;
  if (sc.kind === Kind.Dec) {
    // V8's string to double conversion is correctly rounded (ties to even), like glibc's.
    const v = Number(latin1(b, 0, n));
    if (Number.isNaN(v)) return null;
    if (!Number.isFinite(v)) return null; // ERANGE + HUGE_VAL
    if (v === 0 && /[1-9]/.test(sc.digits)) return null; // ERANGE + 0
    return v;
  }
  const r = scannedToBin(sc, DOUBLE);
  if (r === null) return null;
  return new LongDouble(sc.neg, r.m, r.e).toNumber();
}

/** MAX_LONG_DOUBLE_CHARS in Redis: longer inputs are rejected by string2ld. */
const MAX_LONG_DOUBLE_CHARS = 5 * 1024;

/**
 * Redis string2ld (strtold; getLongDoubleFromObject), the INCRBYFLOAT / HINCRBYFLOAT
 * argument parser, in exact 80-bit precision. Returns null when Redis rejects the text.
 */
export function parseRedisLongDouble(b: Uint8Array | string): LongDouble | null {
  if (typeof b === 'string') b = Buffer.from(b, 'latin1');
  const n = b.length;
  if (n === 0 || n >= MAX_LONG_DOUBLE_CHARS) return null;
  const sc = scanFloat(b, n);
  if (sc === null) return null;
  if (sc.kind === Kind.Inf) return new LongDouble(sc.neg, 0n, 0, true);
  const r = scannedToBin(sc, LDOUBLE);
  if (r === null) return null;
  return new LongDouble(sc.neg, r.m, r.e);
}

/** a + b in x87 extended precision, round to nearest even (as `value += incr` in Redis). */
export function addLongDouble(a: LongDouble, b: LongDouble): LongDouble {
  if (a.nan || b.nan) return new LongDouble(false, 0n, 0, false, true);
  if (a.inf || b.inf) {
    if (a.inf && b.inf && a.neg !== b.neg) return new LongDouble(false, 0n, 0, false, true);
    return new LongDouble(a.inf ? a.neg : b.neg, 0n, 0, true);
  }
  if (a.m === 0n && b.m === 0n) return new LongDouble(a.neg && b.neg, 0n, 0);
  if (a.m === 0n) return b;
  if (b.m === 0n) return a;
  const e = Math.min(a.e, b.e);
  const va = (a.neg ? -a.m : a.m) << BigInt(a.e - e);
  const vb = (b.neg ? -b.m : b.m) << BigInt(b.e - e);
  let s = va + vb;
  if (s === 0n) return new LongDouble(false, 0n, 0);
  const neg = s < 0n;
  if (neg) s = -s;
  const r = roundBin(neg, s, 1n, e, LDOUBLE);
  if (r.inf) return new LongDouble(neg, 0n, 0, true);
  return new LongDouble(neg, r.m, r.e);
}

/**
 * ld2string(LD_STR_HUMAN): "%.17Lf" with trailing zeros and a trailing '.' removed,
 * "-0" → "0", infinities as "inf"/"-inf". Pass the LongDouble result of the computation;
 * a JS number is converted exactly first (fine for values that are exact doubles).
 */
export function formatLongDouble(x: LongDouble | number): string {
  const v = typeof x === 'number' ? LongDouble.fromNumber(x) : x;
  if (v.nan) return v.neg ? '-nan' : 'nan';
  if (v.inf) return v.neg ? '-inf' : 'inf';
  // Q = round_half_even(m * 2^e * 10^17)
  const scaled = v.m * 10n ** 17n;
  let Q: bigint;
  if (v.e >= 0) Q = scaled << BigInt(v.e);
  else {
    const sh = BigInt(-v.e);
    Q = scaled >> sh;
    const rem = scaled - (Q << sh);
    const half = 1n << (sh - 1n);
    if (rem > half || (rem === half && (Q & 1n) === 1n)) Q += 1n;
  }
  let s = Q.toString();
  if (s.length < 18) s = '0'.repeat(18 - s.length) + s;
  const ip = s.slice(0, s.length - 17);
  let fp = s.slice(s.length - 17);
  let j = fp.length;
  while (j > 0 && fp.charCodeAt(j - 1) === 48) j--;
  fp = fp.slice(0, j);
  let out = fp.length ? ip + '.' + fp : ip;
  if (v.neg) out = '-' + out;
  if (out === '-0') out = '0';
  return out;
}

export type IncrByFloatResult =
  | { ok: true; value: LongDouble; text: string }
  | { ok: false; error: 'current-not-float' | 'incr-not-float' | 'nan-or-inf' };

/**
 * The arithmetic of INCRBYFLOAT / HINCRBYFLOAT in Redis 7.0:
 * current (null = missing key = 0) and incr parsed with string2ld, summed in long double,
 * NaN/Infinity refused, result formatted with ld2string(LD_STR_HUMAN) — `text` is both
 * what Redis stores and what it replies (a bulk string in RESP2 and RESP3).
 * Error texts (the caller's): current/incr not a float → "ERR value is not a valid float"
 * (HINCRBYFLOAT's current: "ERR hash value is not a float"); nan-or-inf →
 * "ERR increment would produce NaN or Infinity".
 */
export function incrByFloat(current: Uint8Array | null, incr: Uint8Array): IncrByFloatResult {
  let cur: LongDouble;
  if (current === null) cur = new LongDouble(false, 0n, 0);
  else {
    const c = parseRedisLongDouble(current);
    if (c === null) return { ok: false, error: 'current-not-float' };
    cur = c;
  }
  const inc = parseRedisLongDouble(incr);
  if (inc === null) return { ok: false, error: 'incr-not-float' };
  const sum = addLongDouble(cur, inc);
  if (!sum.isFinite()) return { ok: false, error: 'nan-or-inf' };
  return { ok: true, value: sum, text: formatLongDouble(sum) };
}

// ---------------------------------------------------------------------------------------
// %.17g

const LOG10_5 = Math.log10(5);

/**
 * printf("%.17g", x) as glibc prints it (Redis 7.0 addReplyDouble), with "inf"/"-inf"
 * spelled as Redis does and NaN as "nan". Examples: 1 → "1", 0.1 → "0.10000000000000001",
 * 1e20 → "1e+20", 1.5e-5 → "1.5000000000000001e-05", -0 → "-0",
 * 100000000000000.125 → "100000000000000.12" (a tie: glibc rounds half to even).
 */
export function formatDouble(x: number): string {
  if (x !== x) return 'nan';
  if (x === Infinity) return 'inf';
  if (x === -Infinity) return '-inf';
  if (x === 0) return Object.is(x, -0) ? '-0' : '0';
  // Safe integers print exactly as their digits (beyond 2^53 String() would be the
  // shortest round-trip form, not the exact value that %.17g prints).
  if (Number.isSafeInteger(x)) return String(x);
  const neg = x < 0;
  const ax = neg ? -x : x;
  // "d.dddddddddddddddde±X": 17 significant digits, ties rounded up (ECMAScript)
  let t = ax.toExponential(16);
  // Ties: V8 rounds them up, glibc to even. A tie needs the exact decimal expansion
  // m' * 5^k * 10^-k to have exactly 18 significant digits, so at most 25 fractional bits
  // (5^k < 10^18 => k <= 25): a cheap exact test (scaling by a power of two is exact)
  // keeps BigInt off the common path.
  if (!Number.isInteger(ax) && Number.isInteger(ax * 33554432)) {
    const [mb, eb] = decompose(ax);
    let m = mb;
    let k = -eb;
    while ((m & 1n) === 0n && k > 0) {
      m >>= 1n;
      k--;
    }
    const est = Math.log10(Number(m)) + k * LOG10_5;
    if (k > 0 && est > 16.5 && est < 18.5) {
      const D = m * 5n ** BigInt(k);
      if (D.toString().length === 18) {
        const T = D / 10n; // truncated 17 digits; D ends with 5
        if ((T & 1n) === 0n) {
          const ds = T.toString();
          const X = 17 - k;
          t = ds[0] + '.' + ds.slice(1) + (X < 0 ? 'e-' : 'e+') + (X < 0 ? -X : X);
        }
      }
    }
  }
  // exponent
  let X = 0;
  for (let i = 20; i < t.length; i++) X = X * 10 + (t.charCodeAt(i) - 48);
  if (t.charCodeAt(19) === 45) X = -X;
  // significant digits: t[0], t[2..17]; strip trailing zeros (%g)
  let last = 17;
  while (last >= 2 && t.charCodeAt(last) === 48) last--;
  const nd = last >= 2 ? last : 1;
  let out: string;
  if (X < -4 || X >= 17) {
    const aX = X < 0 ? -X : X;
    out = (nd > 1 ? t.slice(0, last + 1) : t[0]) + (X < 0 ? 'e-' : 'e+') + (aX < 10 ? '0' + aX : String(aX));
  } else if (X >= 0) {
    if (nd <= X + 1) out = t[0] + t.slice(2, 1 + nd) + (nd < X + 1 ? '0'.repeat(X + 1 - nd) : '');
    else out = t[0] + t.slice(2, 2 + X) + '.' + t.slice(2 + X, last + 1);
  } else {
    out = '0.' + (X < -1 ? '0'.repeat(-X - 1) : '') + t[0] + (nd > 1 ? t.slice(2, last + 1) : '');
  }
  return neg ? '-' + out : out;
}
