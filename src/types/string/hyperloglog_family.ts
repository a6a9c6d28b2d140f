/**
 * HyperLogLog commands on string values, like Redis's hyperloglog.c: PFADD PFCOUNT PFMERGE
 * PFDEBUG PFSELFTEST. The value is Redis's exact representation, so an HLL read with GET
 * here is byte-identical to Redis's for the same inputs, and one written with SET from
 * Redis's GET works here:
 *
 *   header (16 bytes): "HYLL", encoding (0 dense, 1 sparse), 3 unused bytes, the cached
 *   cardinality (u64 little endian; its top bit set = stale).
 *   dense: 16384 6-bit registers packed from the LSB of each byte (12288 bytes).
 *   sparse: run-length opcodes ZERO 00xxxxxx (1..64 zero registers), XZERO 01xxxxxx yyyyyyyy
 *   (1..16384), VAL 1vvvvvxx (value 1..32, run 1..4); promoted to dense when a register
 *   needs more than 32 or the value would grow past hll-sparse-max-bytes.
 *
 * A dense value is updated in place (a register's one or two bytes undo-logged). A sparse
 * one (a few KB at most) is edited in a working copy and written back from its first
 * changed byte; a promotion replaces the value by its dense form.
 */
import { ReplyError, WrongTypeError } from '../../keyspace/keyspace.js';
import { OBJ_STRING } from '../../keyspace/object.js';
import { SETTING_SLOT } from '../../keyspace/settings.js';
import { eqi } from '../../commands/args.js';
import type { CommandContext, CommandDef } from '../../commands/types.js';
import { ENC_RAW, resizeString, setString, stringLength, stringOffset, unshareString } from './storage.js';

const HDR = 16;
const P = 14;
const REGISTERS = 1 << P;
const P_MASK = REGISTERS - 1;
const Q = 64 - P;
const REG_BYTES = (REGISTERS * 6) / 8;
export const HLL_DENSE_SIZE = HDR + REG_BYTES;
const DENSE = 0;
const SPARSE = 1;
const VAL_MAX_VALUE = 32;
const VAL_MAX_LEN = 4;
const ZERO_MAX_LEN = 64;
const ALPHA_INF = 0.72134752044448170368;

const ERR_NOT_HLL = 'WRONGTYPE Key is not a valid HyperLogLog string value.';
const ERR_INVALID = 'INVALIDOBJ Corrupted HLL object detected';

// ---------------------------------------------------------------- MurmurHash64A (32-bit halves)

const MH = 0xc6a4a793;
const ML = 0x5bd1e995;
const SEED = 0xadc83b19;
/** Results of mulM/murmur64a: [high, low] (a typed array: storing into it allocates nothing). */
const R = new Int32Array(2);

/** (h:l) * m mod 2^64 into R. */
function mulM(h: number, l: number): void {
  const a0 = l & 0xffff;
  const a1 = l >>> 16;
  const p00 = a0 * 0xe995;
  const p01 = a0 * 0x5bd1;
  const p10 = a1 * 0xe995;
  const p11 = a1 * 0x5bd1;
  const mid = (p00 >>> 16) + (p01 & 0xffff) + (p10 & 0xffff);
  R[1] = ((mid & 0xffff) << 16) | (p00 & 0xffff);
  R[0] = p11 + (p01 >>> 16) + (p10 >>> 16) + (mid >>> 16) + Math.imul(h, ML) + Math.imul(l, MH);
}

/** Redis's MurmurHash64A(key, len, 0xadc83b19): the hash's halves into R ([high, low]). */
export function murmur64a(data: Uint8Array, start: number, len: number): void {
  mulM(0, len);
  let hH = R[0]!;
  let hL = R[1]! ^ SEED;
  const end = start + (len - (len & 7));
  let i = start;
  for (; i < end; i += 8) {
    const kL = (data[i]! | (data[i + 1]! << 8) | (data[i + 2]! << 16) | (data[i + 3]! << 24));
    const kH = (data[i + 4]! | (data[i + 5]! << 8) | (data[i + 6]! << 16) | (data[i + 7]! << 24));
    mulM(kH, kL);
    const xL = (R[1]! ^ (R[0]! >>> 15));
    mulM(R[0]!, xL);
    hH = (hH ^ R[0]!);
    hL = (hL ^ R[1]!);
    mulM(hH, hL);
    hH = R[0]!;
    hL = R[1]!;
  }
  const rest = len & 7;
  if (rest > 0) {
    if (rest >= 7) hH ^= data[i + 6]! << 16;
    if (rest >= 6) hH ^= data[i + 5]! << 8;
    if (rest >= 5) hH ^= data[i + 4]!;
    if (rest >= 4) hL ^= data[i + 3]! << 24;
    if (rest >= 3) hL ^= data[i + 2]! << 16;
    if (rest >= 2) hL ^= data[i + 1]! << 8;
    hL ^= data[i]!;
    mulM(hH, hL);
    hH = R[0]!;
    hL = R[1]!;
  }
  hL = (hL ^ (hH >>> 15));
  mulM(hH, hL);
  R[1] = R[1]! ^ (R[0]! >>> 15);
}

/** The register an element hashes to (set by patLen). */
let REG = 0;

function ctz32(x: number): number {
  return 31 - Math.clz32(x & -x);
}

/** hllPatLen: the length of the 000..1 pattern of the element's hash; REG gets its register. */
function patLen(ele: Uint8Array, start: number, len: number): number {
  murmur64a(ele, start, len);
  const lo = R[1]!;
  const hi = R[0]!;
  REG = lo & P_MASK;
  const low = lo >>> P;
  if (low !== 0) return ctz32(low) + 1;
  if (hi !== 0) return 32 - P + ctz32(hi) + 1;
  return Q + 1;
}

// ---------------------------------------------------------------- dense registers

/** Register i of the dense registers starting at r[base]. */
function denseGet(r: Uint8Array, base: number, i: number): number {
  const bit = i * 6;
  const byte = base + (bit >> 3);
  const fb = bit & 7;
  let v = r[byte]! >> fb;
  if (fb > 2) v |= r[byte + 1]! << (8 - fb);
  return v & 63;
}

/** Set register i (the byte after the registers is never touched: Redis's would be sds's terminator). */
function denseSetRaw(r: Uint8Array, base: number, i: number, val: number): void {
  const bit = i * 6;
  const byte = base + (bit >> 3);
  const fb = bit & 7;
  r[byte] = ((r[byte]! & ~(63 << fb)) | (val << fb)) & 0xff;
  if (fb > 2) r[byte + 1] = (r[byte + 1]! & ~(63 >> (8 - fb))) | (val >> (8 - fb));
}

/** hllDenseSet: raise register i to count; 1 when it changed. */
function denseSet(r: Uint8Array, base: number, i: number, count: number): number {
  if (count <= denseGet(r, base, i)) return 0;
  denseSetRaw(r, base, i, count);
  return 1;
}

function denseHisto(r: Uint8Array, base: number, histo: Float64Array): void {
  for (let j = 0; j < REG_BYTES; j += 3) {
    const b0 = r[base + j]!;
    const b1 = r[base + j + 1]!;
    const b2 = r[base + j + 2]!;
    histo[b0 & 63]!++;
    histo[((b0 >> 6) | (b1 << 2)) & 63]!++;
    histo[((b1 >> 4) | (b2 << 4)) & 63]!++;
    histo[(b2 >> 2) & 63]!++;
  }
}

// ---------------------------------------------------------------- sparse opcodes

const isZero = (c: number) => (c & 0xc0) === 0;
const isXZero = (c: number) => (c & 0xc0) === 0x40;
const isVal = (c: number) => (c & 0x80) !== 0;
const zeroLen = (c: number) => (c & 0x3f) + 1;
const xzeroLen = (c: number, d: number) => (((c & 0x3f) << 8) | (d | 0)) + 1;
const valValue = (c: number) => ((c >> 2) & 0x1f) + 1;
const valLen = (c: number) => (c & 3) + 1;
const valByte = (val: number, len: number) => (((val - 1) << 2) | (len - 1) | 0x80) & 0xff;

/** Register histogram of sparse opcodes s[from, to); false when they do not cover exactly 16384 registers. */
function sparseHisto(s: Uint8Array, from: number, to: number, histo: Float64Array): boolean {
  let idx = 0;
  let p = from;
  while (p < to) {
    const c = s[p]!;
    if (isZero(c)) {
      const n = zeroLen(c);
      idx += n;
      histo[0]! += n;
      p++;
    } else if (isXZero(c)) {
      const n = xzeroLen(c, s[p + 1]!);
      idx += n;
      histo[0]! += n;
      p += 2;
    } else {
      const n = valLen(c);
      idx += n;
      histo[valValue(c)]! += n;
      p++;
    }
  }
  return idx === REGISTERS;
}

/** hllMerge of sparse opcodes into max[]; false when invalid. */
function sparseMerge(s: Uint8Array, from: number, to: number, max: Uint8Array): boolean {
  let i = 0;
  let p = from;
  while (p < to) {
    const c = s[p]!;
    if (isZero(c)) {
      i += zeroLen(c);
      p++;
    } else if (isXZero(c)) {
      i += xzeroLen(c, s[p + 1]!);
      p += 2;
    } else {
      let n = valLen(c);
      const v = valValue(c);
      if (n + i > REGISTERS) return false; // overflow: invalid (Redis 7.0.15)
      while (n-- > 0) {
        if (v > max[i]!) max[i] = v;
        i++;
      }
      p++;
    }
  }
  return i === REGISTERS;
}

// ---------------------------------------------------------------- cardinality

function sigma(x: number): number {
  if (x === 1) return Infinity;
  let zPrime;
  let y = 1;
  let z = x;
  do {
    x *= x;
    zPrime = z;
    z += x * y;
    y += y;
  } while (zPrime !== z);
  return z;
}

function tau(x: number): number {
  if (x === 0 || x === 1) return 0;
  let zPrime;
  let y = 1.0;
  let z = 1 - x;
  do {
    x = Math.sqrt(x);
    zPrime = z;
    y *= 0.5;
    const t = 1 - x;
    z -= t * t * y;
  } while (zPrime !== z);
  return z / 3;
}

/** Ertl's estimator over a register histogram (hllCount). */
function countFromHisto(histo: Float64Array): number {
  const m = REGISTERS;
  let z = m * tau((m - histo[Q + 1]!) / m);
  for (let j = Q; j >= 1; --j) {
    z += histo[j]!;
    z *= 0.5;
  }
  z += m * sigma(histo[0]! / m);
  return Math.round((ALPHA_INF * m * m) / z);
}

const HISTO = new Float64Array(64);

/** hllCount of a whole HLL value v[0, len) (dense or sparse); -1 when the sparse form is invalid. */
function hllCount(v: Uint8Array, len: number): number {
  HISTO.fill(0);
  if (v[4] === DENSE) denseHisto(v, HDR, HISTO);
  else if (!sparseHisto(v, HDR, len, HISTO)) return -1;
  return countFromHisto(HISTO);
}

function rawCount(max: Uint8Array): number {
  HISTO.fill(0);
  for (let i = 0; i < REGISTERS; i++) HISTO[max[i]!]!++;
  return countFromHisto(HISTO);
}

// ---------------------------------------------------------------- a working copy (sparse edits)

interface Work {
  b: Uint8Array;
  len: number;
}

/** A new empty HLL: sparse, XZERO:16384. */
function emptyHll(): Work {
  const b = new Uint8Array(HDR + 2 + 64);
  b.set([72, 89, 76, 76, SPARSE], 0); // "HYLL"
  b[HDR] = 0x40 | ((REGISTERS - 1) >> 8);
  b[HDR + 1] = (REGISTERS - 1) & 0xff;
  return { b, len: HDR + 2 };
}

function room(w: Work, extra: number): void {
  if (w.len + extra + 2 <= w.b.length) return;
  const nb = new Uint8Array(Math.max(w.len * 2, w.len + extra + 64));
  nb.set(w.b.subarray(0, w.len));
  w.b = nb;
}

/** hllSparseToDense on the working copy; false when the sparse form is invalid. */
function toDense(w: Work): boolean {
  if (w.b[4] === DENSE) return true;
  const d = new Uint8Array(HLL_DENSE_SIZE + 1);
  d.set(w.b.subarray(0, HDR));
  d[4] = DENSE;
  const s = w.b;
  let idx = 0;
  let p = HDR;
  while (p < w.len) {
    const c = s[p]!;
    if (isZero(c)) {
      idx += zeroLen(c);
      p++;
    } else if (isXZero(c)) {
      idx += xzeroLen(c, s[p + 1]!);
      p += 2;
    } else {
      let n = valLen(c);
      const v = valValue(c);
      if (n + idx > REGISTERS) return false; // overflow: invalid (Redis 7.0.15)
      while (n-- > 0) denseSetRaw(d, HDR, idx++, v);
      p++;
    }
  }
  if (idx !== REGISTERS) return false;
  w.b = d;
  w.len = HLL_DENSE_SIZE;
  return true;
}

/** The opcodes replacing a split one (at most XZERO VAL XZERO: 5 bytes). */
const SEQ = new Uint8Array(5);

/** A run of n zero registers as a ZERO or XZERO opcode at seq[at]; the next free index. */
function putZeros(seq: Uint8Array, at: number, n: number): number {
  if (n > ZERO_MAX_LEN) {
    seq[at] = 0x40 | ((n - 1) >> 8);
    seq[at + 1] = (n - 1) & 0xff;
    return at + 2;
  }
  seq[at] = n - 1;
  return at + 1;
}

/**
 * hllSparseSet (or hllDenseSet once dense): raise register `index` to `count`. 1 when it
 * changed, 0 when not, -1 when the representation is invalid. May promote to dense.
 */
function workSet(w: Work, index: number, count: number, maxBytes: number): number {
  if (w.b[4] === DENSE) return denseSet(w.b, HDR, index, count);
  let b = w.b;
  promote: {
    if (count > VAL_MAX_VALUE) break promote;
    room(w, 3);
    b = w.b;
    let p = HDR;
    let end = w.len;
    let first = 0;
    let prev = -1;
    let span = 0;
    while (p < end) {
      const c = b[p]!;
      let oplen = 1;
      if (isZero(c)) span = zeroLen(c);
      else if (isVal(c)) span = valLen(c);
      else {
        span = xzeroLen(c, b[p + 1]!);
        oplen = 2;
      }
      if (index <= first + span - 1) break;
      prev = p;
      p += oplen;
      first += span;
    }
    if (span === 0 || p >= end) return -1;
    const c = b[p]!;
    let next = isXZero(c) ? p + 2 : p + 1;
    if (next >= end) next = -1;
    const zero = isZero(c);
    const xzero = isXZero(c);
    const runlen = zero ? zeroLen(c) : xzero ? xzeroLen(c, b[p + 1]!) : valLen(c);
    updated: {
      if (!zero && !xzero) {
        if (valValue(c) >= count) return 0;
        if (runlen === 1) {
          b[p] = valByte(count, 1);
          break updated;
        }
      }
      if (zero && runlen === 1) {
        b[p] = valByte(count, 1);
        break updated;
      }
      const seq = SEQ;
      let n = 0;
      const last = first + span - 1;
      if (zero || xzero) {
        if (index !== first) n = putZeros(seq, n, index - first);
        seq[n++] = valByte(count, 1);
        if (index !== last) n = putZeros(seq, n, last - index);
      } else {
        const cur = valValue(c);
        if (index !== first) seq[n++] = valByte(cur, index - first);
        seq[n++] = valByte(count, 1);
        if (index !== last) seq[n++] = valByte(cur, last - index);
      }
      const oldlen = xzero ? 2 : 1;
      const delta = n - oldlen;
      if (delta > 0 && w.len + delta > maxBytes) break promote;
      if (delta !== 0 && next >= 0) b.copyWithin(next + delta, next, end);
      w.len += delta;
      for (let i = 0; i < n; i++) b[p + i] = seq[i]!;
      end += delta;
      b[end] = 0;
    }
    // merge adjacent VAL opcodes of the same value, up to 5 opcodes from prev
    p = prev >= 0 ? prev : HDR;
    let scanlen = 5;
    while (p < end && scanlen-- !== 0) {
      const c1 = b[p]!;
      if (isXZero(c1)) {
        p += 2;
        continue;
      } else if (isZero(c1)) {
        p++;
        continue;
      }
      if (p + 1 < end && isVal(b[p + 1]!)) {
        const v1 = valValue(c1);
        const v2 = valValue(b[p + 1]!);
        if (v1 === v2) {
          const len = valLen(c1) + valLen(b[p + 1]!);
          if (len <= VAL_MAX_LEN) {
            b[p + 1] = valByte(v1, len);
            b.copyWithin(p, p + 1, end + 1);
            w.len--;
            end--;
            continue;
          }
        }
      }
      p++;
    }
    b[15] = b[15]! | 0x80;
    return 1;
  }
  if (!toDense(w)) return -1;
  denseSet(w.b, HDR, index, count);
  return 1;
}

// ---------------------------------------------------------------- values in the keyspace

function maxBytes(ctx: CommandContext): number {
  return ctx.ks.settings.slot(SETTING_SLOT['hll-sparse-max-bytes']!);
}

/** isHLLObjectOrReply for a string entry: WRONGTYPE unless its bytes are an HLL. */
function checkHll(ctx: CommandContext, e: number): void {
  const k = ctx.ks;
  if (k.type(e) !== OBJ_STRING) throw new WrongTypeError();
  const len = stringLength(k, e);
  if (len < HDR) throw new ReplyError(ERR_NOT_HLL);
  const off = stringOffset(k, e);
  const dv = k.heap.dv;
  if (dv.getUint32(off, false) !== 0x48594c4c /* HYLL */) throw new ReplyError(ERR_NOT_HLL);
  const enc = dv.getUint8(off + 4);
  if (enc > SPARSE) throw new ReplyError(ERR_NOT_HLL);
  if (enc === DENSE && len !== HLL_DENSE_SIZE) throw new ReplyError(ERR_NOT_HLL);
}

function valueView(ctx: CommandContext, e: number): Uint8Array {
  const k = ctx.ks;
  return k.heap.mem.view(stringOffset(k, e), stringLength(k, e));
}

/** The buffer of working copies, reused (store() copies what it writes back). */
let scratch = new Uint8Array(4096);

/** A working copy of an HLL value. */
function load(ctx: CommandContext, e: number): Work {
  const len = stringLength(ctx.ks, e);
  if (scratch.length < len + 64) scratch = new Uint8Array(len + Math.min(len, 4096) + 64);
  scratch.set(valueView(ctx, e));
  scratch.fill(0, len, len + 8);
  return { b: scratch, len };
}

/**
 * Write a working copy back over the value of key (entry e, or 0 to create the key):
 * only from its first changed byte; a promotion to dense replaces the value (its TTL kept).
 */
function store(ctx: CommandContext, key: Buffer, e: number, w: Work): void {
  const k = ctx.ks;
  const db = ctx.session.db;
  if (e === 0) {
    setString(k, db, key, w.b.subarray(0, w.len), 0, ENC_RAW, 0);
    return;
  }
  const oldLen = stringLength(k, e);
  const cur = valueView(ctx, e);
  const n = Math.min(oldLen, w.len);
  let d = 0;
  while (d < n && cur[d] === w.b[d]) d++;
  if (w.len === oldLen) {
    if (d === n) return;
    let l = n - 1;
    while (cur[l] === w.b[l]) l--;
    k.heap.log(stringOffset(k, e) + d, l - d + 1);
    k.heap.mem.write(stringOffset(k, e) + d, w.b, d, l - d + 1);
    k.modified(db, e);
    return;
  }
  if (w.len === HLL_DENSE_SIZE && oldLen < w.len) {
    // sparse → dense: a value of the exact size (setString keeps the TTL with -1)
    setString(k, db, key, w.b.subarray(0, w.len), -1, ENC_RAW, e);
    return;
  }
  e = resizeString(k, db, e, w.len, d);
  k.heap.mem.write(stringOffset(k, e) + d, w.b, d, w.len - d);
}

// ---------------------------------------------------------------- PFADD

function pfadd(ctx: CommandContext, argv: Buffer[]): void {
  const k = ctx.ks;
  const db = ctx.session.db;
  const key = argv[1]!;
  let e = k.lookupWrite(db, key);
  let updated = 0;
  let w: Work | null = null;
  if (e === 0) {
    w = emptyHll();
    updated++;
  } else {
    checkHll(ctx, e);
    unshareString(k, e);
    if (k.heap.dv.getUint8(stringOffset(k, e) + 4) === SPARSE) w = load(ctx, e);
  }
  if (w === null) {
    // dense, in place: each changed register's bytes logged
    const off = stringOffset(k, e);
    const r = k.heap.mem.view(off + HDR, REG_BYTES);
    for (let j = 2; j < argv.length; j++) {
      const a = argv[j]!;
      const count = patLen(a, 0, a.length);
      const i = REG;
      if (count <= denseGet(r, 0, i)) continue;
      const bit = i * 6;
      k.heap.log(off + HDR + (bit >> 3), (bit & 7) > 2 ? 2 : 1);
      denseSetRaw(r, 0, i, count);
      updated++;
    }
    if (updated > 0) {
      k.heap.log(off + 15, 1);
      k.heap.dv.setUint8(off + 15, k.heap.dv.getUint8(off + 15) | 0x80);
      k.modified(db, e);
    }
    ctx.reply.integer(updated ? 1 : 0);
    return;
  }
  const max = maxBytes(ctx);
  let err = false;
  for (let j = 2; j < argv.length; j++) {
    const a = argv[j]!;
    const count = patLen(a, 0, a.length);
    const r = workSet(w, REG, count, max);
    if (r === 1) updated++;
    else if (r === -1) {
      err = true;
      break;
    }
  }
  if (updated > 0 && !err) w.b[15] = w.b[15]! | 0x80;
  store(ctx, key, e, w);
  if (err) ctx.reply.error(ERR_INVALID);
  else ctx.reply.integer(updated ? 1 : 0);
}

// ---------------------------------------------------------------- PFCOUNT

/** hllMerge: max[i] = MAX(max[i], register i of the HLL at e); false when invalid. */
function mergeInto(ctx: CommandContext, e: number, max: Uint8Array): boolean {
  const v = valueView(ctx, e);
  if (v[4] === DENSE) {
    for (let i = 0; i < REGISTERS; i++) {
      const r = denseGet(v, HDR, i);
      if (r > max[i]!) max[i] = r;
    }
    return true;
  }
  return sparseMerge(v, HDR, v.length, max);
}

function pfcount(ctx: CommandContext, argv: Buffer[]): void {
  const k = ctx.ks;
  const db = ctx.session.db;
  if (argv.length > 2) {
    // the cardinality of the union, computed without writing anything
    const max = new Uint8Array(REGISTERS);
    for (let j = 1; j < argv.length; j++) {
      const e = k.lookupRead(db, argv[j]!);
      if (e === 0) continue;
      checkHll(ctx, e);
      if (!mergeInto(ctx, e, max)) throw new ReplyError(ERR_INVALID);
    }
    ctx.reply.integer(rawCount(max));
    return;
  }
  const e = k.lookupRead(db, argv[1]!);
  if (e === 0) {
    ctx.reply.integer(0);
    return;
  }
  checkHll(ctx, e);
  unshareString(k, e);
  const off = stringOffset(k, e);
  const dv = k.heap.dv;
  if ((dv.getUint8(off + 15) & 0x80) === 0) {
    const card = dv.getBigUint64(off + 8, true);
    ctx.reply.integer(card <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(card) : card);
    return;
  }
  const v = valueView(ctx, e);
  const card = hllCount(v, v.length);
  if (card < 0) {
    // replied, not thrown: Redis made the value raw (dbUnshareStringValue) before it found
    // it corrupted, and that stays; a throw would roll the unshare back (embstr)
    ctx.reply.error(ERR_INVALID);
    return;
  }
  // the cache is part of the value: PFCOUNT writes it (and it is a change, as in Redis)
  k.heap.log(off + 8, 8);
  dv.setBigUint64(off + 8, BigInt(card), true);
  k.modified(db, e);
  ctx.reply.integer(card);
}

// ---------------------------------------------------------------- PFMERGE

function pfmerge(ctx: CommandContext, argv: Buffer[]): void {
  const k = ctx.ks;
  const db = ctx.session.db;
  const max = new Uint8Array(REGISTERS);
  let useDense = false;
  for (let j = 1; j < argv.length; j++) {
    const e = k.lookupRead(db, argv[j]!);
    if (e === 0) continue;
    checkHll(ctx, e);
    if (k.heap.dv.getUint8(stringOffset(k, e) + 4) === DENSE) useDense = true;
    if (!mergeInto(ctx, e, max)) throw new ReplyError(ERR_INVALID);
  }
  const key = argv[1]!;
  const e = k.lookupWrite(db, key);
  let w: Work;
  if (e === 0) w = emptyHll();
  else {
    unshareString(k, e);
    w = load(ctx, e);
  }
  if (useDense && !toDense(w)) throw new ReplyError(ERR_INVALID);
  const mb = maxBytes(ctx);
  for (let j = 0; j < REGISTERS; j++) {
    if (max[j] === 0) continue;
    workSet(w, j, max[j]!, mb);
  }
  w.b[15] = w.b[15]! | 0x80;
  store(ctx, key, e, w);
  ctx.reply.ok();
}

// ---------------------------------------------------------------- PFDEBUG / PFSELFTEST

function pfdebug(ctx: CommandContext, argv: Buffer[]): void {
  const k = ctx.ks;
  const db = ctx.session.db;
  const sub = argv[1]!;
  const key = argv[2]!;
  const e = k.lookupWrite(db, key);
  if (e === 0) throw new ReplyError('ERR The specified key does not exist');
  checkHll(ctx, e);
  unshareString(k, e);
  const sparse = k.heap.dv.getUint8(stringOffset(k, e) + 4) === SPARSE;
  if (eqi(sub, 'getreg')) {
    const w = load(ctx, e);
    if (sparse) {
      if (!toDense(w)) throw new ReplyError(ERR_INVALID);
      store(ctx, key, e, w);
    }
    ctx.reply.array(REGISTERS);
    for (let j = 0; j < REGISTERS; j++) ctx.reply.integer(denseGet(w.b, HDR, j));
  } else if (eqi(sub, 'decode')) {
    if (!sparse) throw new ReplyError('ERR HLL encoding is not sparse');
    const v = valueView(ctx, e);
    const parts: string[] = [];
    let p = HDR;
    while (p < v.length) {
      const c = v[p]!;
      if (isZero(c)) {
        parts.push(`z:${zeroLen(c)}`);
        p++;
      } else if (isXZero(c)) {
        parts.push(`Z:${xzeroLen(c, v[p + 1]!)}`);
        p += 2;
      } else {
        parts.push(`v:${valValue(c)},${valLen(c)}`);
        p++;
      }
    }
    ctx.reply.bulk(parts.join(' '));
  } else if (eqi(sub, 'encoding')) {
    ctx.reply.simple(sparse ? 'sparse' : 'dense');
  } else if (eqi(sub, 'todense')) {
    if (sparse) {
      const w = load(ctx, e);
      if (!toDense(w)) throw new ReplyError(ERR_INVALID);
      store(ctx, key, e, w);
    }
    ctx.reply.integer(sparse ? 1 : 0);
  } else throw new ReplyError(`ERR Unknown PFDEBUG subcommand '${sub.toString('latin1')}'`);
}

/** PFSELFTEST: the register accessors, and dense and sparse HLLs agreeing within the error bounds. */
function pfselftest(ctx: CommandContext): void {
  const regs = new Uint8Array(REG_BYTES + 1);
  const bytes = new Uint8Array(REGISTERS);
  for (let j = 0; j < 1000; j++) {
    for (let i = 0; i < REGISTERS; i++) {
      const r = (Math.random() * 64) | 0;
      bytes[i] = r;
      denseSetRaw(regs, 0, i, r);
    }
    for (let i = 0; i < REGISTERS; i++) {
      const v = denseGet(regs, 0, i);
      if (v !== bytes[i]) {
        ctx.reply.error(`ERR TESTFAILED Register ${i} should be ${bytes[i]} but is ${v}`);
        return;
      }
    }
  }
  const dense: Work = { b: new Uint8Array(HLL_DENSE_SIZE + 1), len: HLL_DENSE_SIZE };
  dense.b.set([72, 89, 76, 76, DENSE]);
  const w = emptyHll();
  const mb = maxBytes(ctx);
  const relerr = 1.04 / Math.sqrt(REGISTERS);
  let checkpoint = 1;
  const seedLo = (Math.random() * 2 ** 32) >>> 0;
  const seedHi = (Math.random() * 2 ** 32) >>> 0;
  const ele = new Uint8Array(8);
  const edv = new DataView(ele.buffer);
  edv.setUint32(4, seedHi, true);
  for (let j = 1; j <= 10000000; j++) {
    edv.setUint32(0, (j ^ seedLo) >>> 0, true);
    const count = patLen(ele, 0, 8);
    denseSet(dense.b, HDR, REG, count);
    workSet(w, REG, count, mb);
    if (j === checkpoint) {
      if (j < mb / 2 && w.b[4] !== SPARSE) {
        ctx.reply.error('ERR TESTFAILED sparse encoding not used');
        return;
      }
      const cd = hllCount(dense.b, dense.len);
      if (cd !== hllCount(w.b, w.len)) {
        ctx.reply.error('ERR TESTFAILED dense/sparse disagree');
        return;
      }
      let abserr = Math.abs(checkpoint - cd);
      let maxerr = Math.ceil(relerr * 6 * checkpoint);
      if (j === 10) maxerr = 1;
      if (abserr > maxerr) {
        ctx.reply.error(`ERR TESTFAILED Too big error. card:${checkpoint} abserr:${abserr}`);
        return;
      }
      checkpoint *= 10;
    }
  }
  ctx.reply.ok();
}

// ---------------------------------------------------------------- the table (metadata from redis-server 7.0)

export const commands: CommandDef[] = [
  {
    name: 'pfadd',
    handler: pfadd,
    arity: -2,
    flags: ['write', 'denyoom', 'fast'],
    firstKey: 1,
    lastKey: 1,
    keyStep: 1,
    group: 'hyperloglog',
    summary: 'Adds the specified elements to the specified HyperLogLog.',
    since: '2.8.9',
    complexity: 'O(1) to add every element.',
    keySpecs: [
      {
        flags: ['RW', 'insert'],
        beginSearch: { type: 'index', index: 1 },
        findKeys: { type: 'range', lastKey: 0, keyStep: 1, limit: 0 },
      },
    ],
    args: [
      { name: 'key', type: 'key', keySpecIndex: 0 },
      { name: 'element', type: 'string', flags: ['optional', 'multiple'] },
    ],
  },
  {
    name: 'pfcount',
    handler: pfcount,
    arity: -2,
    // may_replicate (it may write the cached cardinality): not shown by COMMAND INFO, held by CLIENT PAUSE WRITE
    flags: ['readonly', 'may_replicate'],
    firstKey: 1,
    lastKey: -1,
    keyStep: 1,
    group: 'hyperloglog',
    summary: 'Return the approximated cardinality of the set(s) observed by the HyperLogLog at key(s).',
    since: '2.8.9',
    complexity: 'O(1) with a very small average constant time when called with a single key. O(N) with N being the number of keys, and much bigger constant times, when called with multiple keys.',
    keySpecs: [
      {
        notes: 'RW because it may change the internal representation of the key, and propagate to replicas',
        flags: ['RW', 'access'],
        beginSearch: { type: 'index', index: 1 },
        findKeys: { type: 'range', lastKey: -1, keyStep: 1, limit: 0 },
      },
    ],
    args: [{ name: 'key', type: 'key', keySpecIndex: 0, flags: ['multiple'] }],
  },
  {
    name: 'pfmerge',
    handler: pfmerge,
    arity: -2,
    flags: ['write', 'denyoom'],
    firstKey: 1,
    lastKey: -1,
    keyStep: 1,
    group: 'hyperloglog',
    summary: 'Merge N different HyperLogLogs into a single one.',
    since: '2.8.9',
    complexity: 'O(N) to merge N HyperLogLogs, but with high constant times.',
    keySpecs: [
      {
        flags: ['RW', 'access', 'insert'],
        beginSearch: { type: 'index', index: 1 },
        findKeys: { type: 'range', lastKey: 0, keyStep: 1, limit: 0 },
      },
      {
        flags: ['RO', 'access'],
        beginSearch: { type: 'index', index: 2 },
        findKeys: { type: 'range', lastKey: -1, keyStep: 1, limit: 0 },
      },
    ],
    args: [
      { name: 'destkey', type: 'key', keySpecIndex: 0 },
      { name: 'sourcekey', type: 'key', keySpecIndex: 1, flags: ['multiple'] },
    ],
  },
  {
    name: 'pfdebug',
    handler: pfdebug,
    arity: 3,
    flags: ['write', 'denyoom', 'admin'],
    firstKey: 2,
    lastKey: 2,
    keyStep: 1,
    group: 'hyperloglog',
    summary: 'Internal commands for debugging HyperLogLog values',
    since: '2.8.9',
    complexity: 'N/A',
    keySpecs: [
      {
        flags: ['RW', 'access'],
        beginSearch: { type: 'index', index: 2 },
        findKeys: { type: 'range', lastKey: 0, keyStep: 1, limit: 0 },
      },
    ],
    docFlags: ['syscmd'],
    args: [{ name: 'subcommand', type: 'string' }, { name: 'key', type: 'key', keySpecIndex: 0 }],
  },
  {
    name: 'pfselftest',
    handler: pfselftest,
    arity: 1,
    flags: ['admin'],
    firstKey: 0,
    lastKey: 0,
    keyStep: 0,
    group: 'hyperloglog',
    summary: 'An internal command for testing HyperLogLog values',
    since: '2.8.9',
    complexity: 'N/A',
    docFlags: ['syscmd'],
  },
];
