/**
 * Bitmap commands on string values, like Redis's bitops.c: SETBIT GETBIT BITCOUNT BITPOS
 * BITOP BITFIELD BITFIELD_RO. Bits are numbered from the most significant bit of the first
 * byte. Writes go straight to the string's bytes in shared memory: a bit set far out grows
 * the string in place when its chunk allows (resizeString, zero-filled), and only the bytes
 * a command changes are undo-logged, never the whole value.
 */
import { ReplyError, WrongTypeError } from '../../keyspace/keyspace.js';
import { OBJ_STRING } from '../../keyspace/object.js';
import { REASON } from '../../keyspace/changes.js';
import { ERR_NOT_INT, ERR_SYNTAX, argInt64, eqi } from '../../commands/args.js';
import { str2ll } from '../../protocol/numbers.js';
import type { CommandContext, CommandDef } from '../../commands/types.js';
import { ENC_RAW, findString, newZeroString, resizeString, setString, stringLength, stringOffset, unshareString } from './storage.js';

const ERR_BIT_OFFSET = 'ERR bit offset is not an integer or out of range';
const ERR_BIT_VALUE = 'ERR bit is not an integer or out of range';
const ERR_BF_TYPE = 'ERR Invalid bitfield type. Use something like i16 u8. Note that u64 is not supported but i64 is.';

function maxBulk(ctx: CommandContext): number {
  return ctx.env.config.num('proto-max-bulk-len');
}

/**
 * getBitOffsetFromArgument: a bit offset, non-negative and addressing a byte below
 * proto-max-bulk-len; with `bits` > 0 the "#N" form means N*bits.
 */
function bitOffset(ctx: CommandContext, arg: Uint8Array, bits = 0): number {
  const hash = bits > 0 && arg.length > 0 && arg[0] === 35; /* # */
  const v = str2ll(arg, hash ? 1 : 0, arg.length);
  if (v === null) throw new ReplyError(ERR_BIT_OFFSET);
  if (typeof v === 'number') {
    const n = hash ? v * bits : v;
    if (Number.isSafeInteger(n)) {
      if (n < 0 || Math.floor(n / 8) >= maxBulk(ctx)) throw new ReplyError(ERR_BIT_OFFSET);
      return n;
    }
  }
  // past 2^53: C's wrapping int64 multiplication
  let off = BigInt(v);
  if (hash) off = BigInt.asIntN(64, off * BigInt(bits));
  if (off < 0n || off >> 3n >= BigInt(maxBulk(ctx))) throw new ReplyError(ERR_BIT_OFFSET);
  return Number(off);
}

/** The bytes of a string value (a view into shared memory, no copy). */
function stringBytes(ctx: CommandContext, e: number): Uint8Array {
  const k = ctx.ks;
  return k.heap.mem.view(stringOffset(k, e), stringLength(k, e));
}

interface BitTarget {
  e: number;
  /** bytes before the command (0 for a new key) */
  oldLen: number;
  /** the string was created or grew */
  grew: boolean;
}

/**
 * lookupStringForBitCommand: the string at key made (or grown, zero-padded) long enough to
 * address bit `maxbit`, unshared (raw). A growth keeps the bytes there (in place when the
 * value's chunk allows).
 */
function stringForBits(ctx: CommandContext, key: Buffer, maxbit: number): BitTarget {
  const k = ctx.ks;
  const db = ctx.session.db;
  const need = Math.floor(maxbit / 8) + 1;
  let e = findString(k, db, key);
  if (e === 0) return { e: newZeroString(k, db, key, need), oldLen: 0, grew: true };
  const oldLen = stringLength(k, e);
  if (need <= oldLen) {
    unshareString(k, e);
    return { e, oldLen, grew: false };
  }
  // resizeString logs what it lets us overwrite, marks the value raw and signals the change
  e = resizeString(k, db, e, need, oldLen);
  k.heap.mem.fill(stringOffset(k, e) + oldLen, need - oldLen, 0);
  return { e, oldLen, grew: true };
}

/** Undo-log bytes [from, to] of the string that existed before the command. */
function logBytes(ctx: CommandContext, t: BitTarget, from: number, to: number): void {
  const end = Math.min(to + 1, t.oldLen);
  if (from < end) ctx.ks.heap.log(stringOffset(ctx.ks, t.e) + from, end - from);
}

// ---------------------------------------------------------------- SETBIT / GETBIT

function setbit(ctx: CommandContext, argv: Buffer[]): void {
  const offset = bitOffset(ctx, argv[2]!);
  const on = str2ll(argv[3]!, 0, argv[3]!.length);
  if (on === null || (on !== 0 && on !== 1)) throw new ReplyError(ERR_BIT_VALUE);
  const t = stringForBits(ctx, argv[1]!, offset);
  const k = ctx.ks;
  const byte = Math.floor(offset / 8);
  const bit = 7 - (offset & 7);
  const at = stringOffset(k, t.e) + byte;
  const dv = k.heap.dv;
  const byteval = dv.getUint8(at);
  const bitval = (byteval >> bit) & 1;
  if (t.grew || bitval !== on) {
    logBytes(ctx, t, byte, byte);
    dv.setUint8(at, (byteval & ~(1 << bit)) | (on << bit));
    if (!t.grew) k.modified(ctx.session.db, t.e, REASON.modified);
  }
  ctx.reply.integer(bitval);
}

function getbit(ctx: CommandContext, argv: Buffer[]): void {
  const offset = bitOffset(ctx, argv[2]!);
  const k = ctx.ks;
  const e = k.lookupRead(ctx.session.db, argv[1]!);
  if (e === 0) {
    ctx.reply.integer(0);
    return;
  }
  if (k.type(e) !== OBJ_STRING) throw new WrongTypeError();
  const byte = Math.floor(offset / 8);
  let bitval = 0;
  if (byte < stringLength(k, e)) bitval = (k.heap.dv.getUint8(stringOffset(k, e) + byte) >> (7 - (offset & 7))) & 1;
  ctx.reply.integer(bitval);
}

// ---------------------------------------------------------------- BITCOUNT / BITPOS

const POPCOUNT = new Uint8Array(256);
for (let i = 1; i < 256; i++) POPCOUNT[i] = (i & 1) + POPCOUNT[i >> 1]!;

/** Set bits in p[start, start+count). */
export function popcount(p: Uint8Array, start: number, count: number): number {
  let bits = 0;
  const end = start + count;
  let i = start;
  // four bytes at a time (once aligned) for long ranges
  if (count >= 64) {
    while ((p.byteOffset + i) % 4 !== 0) bits += POPCOUNT[p[i++]!]!;
    const words = new Uint32Array(p.buffer, p.byteOffset + i, Math.floor((end - i) / 4));
    for (let w = 0; w < words.length; w++) {
      let v = words[w]!;
      v = v - ((v >>> 1) & 0x55555555);
      v = (v & 0x33333333) + ((v >>> 2) & 0x33333333);
      bits += (Math.imul((v + (v >>> 4)) & 0x0f0f0f0f, 0x01010101) >>> 24);
    }
    i += words.length * 4;
  }
  for (; i < end; i++) bits += POPCOUNT[p[i]!]!;
  return bits;
}

/**
 * redisBitpos: the position of the first bit set to `bit` in p[start, start+count); for
 * bit 0 with none found, count*8 (the string is taken as zero-padded on the right); for
 * bit 1 with none found, -1.
 */
export function bitposBytes(p: Uint8Array, start: number, count: number, bit: number): number {
  const skip = bit ? 0 : 0xff;
  let i = 0;
  while (i < count && p[start + i] === skip) i++;
  if (i === count) return bit ? -1 : count * 8;
  const b = p[start + i]!;
  for (let j = 0; j < 8; j++) if (((b >> (7 - j)) & 1) === bit) return i * 8 + j;
  return -1; // unreachable
}

/** A long long argument as a bigint (getLongLongFromObjectOrReply). */
function argBig(arg: Uint8Array): bigint {
  return BigInt(argInt64(arg));
}

function bitcount(ctx: CommandContext, argv: Buffer[]): void {
  const k = ctx.ks;
  // Redis 7.0 looks the key up first: a missing key counts 0 whatever the arguments
  const e = k.lookupRead(ctx.session.db, argv[1]!);
  if (e === 0) {
    ctx.reply.integer(0);
    return;
  }
  if (k.type(e) !== OBJ_STRING) throw new WrongTypeError();
  const p = stringBytes(ctx, e);
  const strlen = p.length;
  let start: number;
  let end: number;
  let firstMask = 0;
  let lastMask = 0;
  if (argv.length === 4 || argv.length === 5) {
    let s = argBig(argv[2]!);
    let en = argBig(argv[3]!);
    if (s < 0n && en < 0n && s > en) {
      ctx.reply.integer(0);
      return;
    }
    let isbit = false;
    if (argv.length === 5) {
      if (eqi(argv[4]!, 'bit')) isbit = true;
      else if (!eqi(argv[4]!, 'byte')) throw new ReplyError(ERR_SYNTAX);
    }
    const totlen = BigInt(isbit ? strlen * 8 : strlen);
    if (s < 0n) s = totlen + s;
    if (en < 0n) en = totlen + en;
    if (s < 0n) s = 0n;
    if (en < 0n) en = 0n;
    if (en >= totlen) en = totlen - 1n;
    start = s > totlen ? strlen * 8 + 1 : Number(s);
    end = Number(en);
    if (isbit && start <= end) {
      firstMask = ~((1 << (8 - (start & 7))) - 1) & 0xff;
      lastMask = (1 << (7 - (end & 7))) - 1;
      start = Math.floor(start / 8);
      end = Math.floor(end / 8);
    }
  } else if (argv.length === 2) {
    start = 0;
    end = strlen - 1;
  } else throw new ReplyError(ERR_SYNTAX);
  if (start > end) {
    ctx.reply.integer(0);
    return;
  }
  let count = popcount(p, start, end - start + 1);
  if (firstMask !== 0) count -= POPCOUNT[p[start]! & firstMask]!;
  if (lastMask !== 0) count -= POPCOUNT[p[end]! & lastMask]!;
  ctx.reply.integer(count);
}

function bitpos(ctx: CommandContext, argv: Buffer[]): void {
  const bitArg = argInt64(argv[2]!);
  if (bitArg !== 0 && bitArg !== 1) throw new ReplyError('ERR The bit argument must be 1 or 0.');
  const bit = bitArg;
  const k = ctx.ks;
  const e = k.lookupRead(ctx.session.db, argv[1]!);
  if (e === 0) {
    // a missing key is an infinite run of zeros
    ctx.reply.integer(bit ? -1 : 0);
    return;
  }
  if (k.type(e) !== OBJ_STRING) throw new WrongTypeError();
  const p = stringBytes(ctx, e);
  const strlen = p.length;
  let start: number;
  let end: number;
  let endGiven = false;
  let firstMask = 0;
  let lastMask = 0;
  if (argv.length >= 4 && argv.length <= 6) {
    let s = argBig(argv[3]!);
    let isbit = false;
    if (argv.length === 6) {
      if (eqi(argv[5]!, 'bit')) isbit = true;
      else if (!eqi(argv[5]!, 'byte')) throw new ReplyError(ERR_SYNTAX);
    }
    let en: bigint;
    if (argv.length >= 5) {
      en = argBig(argv[4]!);
      endGiven = true;
    } else en = isbit ? BigInt(strlen) * 8n + 7n : BigInt(strlen) - 1n;
    const totlen = BigInt(isbit ? strlen * 8 : strlen);
    if (s < 0n) s = totlen + s;
    if (en < 0n) en = totlen + en;
    if (s < 0n) s = 0n;
    if (en < 0n) en = 0n;
    if (en >= totlen) en = totlen - 1n;
    start = s > totlen ? strlen * 8 + 1 : Number(s);
    end = Number(en);
    if (isbit && start <= end) {
      firstMask = ~((1 << (8 - (start & 7))) - 1) & 0xff;
      lastMask = (1 << (7 - (end & 7))) - 1;
      start = Math.floor(start / 8);
      end = Math.floor(end / 8);
    }
  } else if (argv.length === 3) {
    start = 0;
    end = strlen - 1;
  } else throw new ReplyError(ERR_SYNTAX);
  if (start > end) {
    ctx.reply.integer(-1);
    return;
  }
  let bytes = end - start + 1;
  let pos: number;
  const one = new Uint8Array(1);
  found: {
    if (firstMask !== 0) {
      let c = bit ? p[start]! & ~firstMask : p[start]! | firstMask;
      if (lastMask !== 0 && bytes === 1) c = bit ? c & ~lastMask : c | lastMask;
      one[0] = c;
      pos = bitposBytes(one, 0, 1, bit);
      if (bytes === 1 || (pos !== -1 && pos !== 8)) break found;
      start++;
      bytes--;
    }
    const cur = bytes - (lastMask !== 0 ? 1 : 0);
    if (cur > 0) {
      pos = bitposBytes(p, start, cur, bit);
      if (bytes === cur || (pos !== -1 && pos !== cur * 8)) break found;
      start += cur;
      bytes -= cur;
    }
    one[0] = bit ? p[end]! & ~lastMask : p[end]! | lastMask;
    pos = bitposBytes(one, 0, 1, bit);
  }
  if (endGiven && bit === 0 && pos === bytes * 8) {
    ctx.reply.integer(-1);
    return;
  }
  if (pos !== -1) pos += start * 8;
  ctx.reply.integer(pos);
}

// ---------------------------------------------------------------- BITOP

function bitop(ctx: CommandContext, argv: Buffer[]): void {
  const opname = argv[1]!;
  const op = eqi(opname, 'and') ? 0 : eqi(opname, 'or') ? 1 : eqi(opname, 'xor') ? 2 : eqi(opname, 'not') ? 3 : -1;
  if (op < 0) throw new ReplyError(ERR_SYNTAX);
  if (op === 3 && argv.length !== 4) throw new ReplyError('ERR BITOP NOT must be called with a single source key.');
  const k = ctx.ks;
  const db = ctx.session.db;
  const srcs: Uint8Array[] = [];
  let maxlen = 0;
  for (let j = 3; j < argv.length; j++) {
    const e = k.lookupRead(db, argv[j]!);
    if (e === 0) {
      srcs.push(new Uint8Array(0));
      continue;
    }
    if (k.type(e) !== OBJ_STRING) throw new WrongTypeError();
    const v = stringBytes(ctx, e);
    srcs.push(v);
    if (v.length > maxlen) maxlen = v.length;
  }
  const dest = argv[2]!;
  if (maxlen === 0) {
    k.delete(db, dest);
    ctx.reply.integer(0);
    return;
  }
  const res = Buffer.alloc(maxlen);
  res.set(srcs[0]!, 0);
  if (op === 3) {
    for (let i = 0; i < maxlen; i++) res[i] = ~res[i]! & 0xff;
  } else {
    for (let s = 1; s < srcs.length; s++) {
      const src = srcs[s]!;
      const n = src.length;
      if (op === 0) {
        for (let i = 0; i < n; i++) res[i] &= src[i]!;
        res.fill(0, n);
      } else if (op === 1) for (let i = 0; i < n; i++) res[i] |= src[i]!;
      else for (let i = 0; i < n; i++) res[i] ^= src[i]!;
    }
  }
  setString(k, db, dest, res, 0, ENC_RAW);
  ctx.reply.integer(maxlen);
}

// ---------------------------------------------------------------- BITFIELD

const OV_WRAP = 0;
const OV_SAT = 1;
const OV_FAIL = 2;
const OP_GET = 0;
const OP_SET = 1;
const OP_INCRBY = 2;

interface BitfieldOp {
  offset: number;
  value: bigint;
  opcode: number;
  owtype: number;
  bits: number;
  signed: boolean;
}

/** getBitfieldTypeFromArgument: i1..i64 or u1..u63. */
function bitfieldType(arg: Uint8Array): { signed: boolean; bits: number } {
  const c = arg[0];
  if (c !== 105 /* i */ && c !== 117 /* u */) throw new ReplyError(ERR_BF_TYPE);
  const signed = c === 105;
  const n = str2ll(arg, 1, arg.length);
  if (n === null || typeof n === 'bigint' || n < 1 || (signed && n > 64) || (!signed && n > 63)) throw new ReplyError(ERR_BF_TYPE);
  return { signed, bits: n };
}

/** getUnsignedBitfield over p (bit 0 = MSB of p[0]); bits past p's end read as 0. */
function getBits(p: Uint8Array, offset: number, bits: number): bigint {
  let v = 0n;
  for (let j = 0; j < bits; j++) {
    const o = offset + j;
    const byte = Math.floor(o / 8);
    const b = byte < p.length ? (p[byte]! >> (7 - (o & 7))) & 1 : 0;
    v = (v << 1n) | BigInt(b);
  }
  return v;
}

/** setUnsignedBitfield: the low `bits` bits of v (an unsigned 64-bit value) at offset. */
function setBits(p: Uint8Array, offset: number, bits: number, v: bigint): void {
  for (let j = 0; j < bits; j++) {
    const bitval = Number((v >> BigInt(bits - 1 - j)) & 1n);
    const o = offset + j;
    const byte = Math.floor(o / 8);
    const bit = 7 - (o & 7);
    p[byte] = (p[byte]! & ~(1 << bit)) | (bitval << bit);
  }
}

/** checkUnsignedBitfieldOverflow: [overflow (0, 1, -1), the wrapped/saturated value]. */
function unsignedOverflow(value: bigint, incr: bigint, bits: number, owtype: number): [number, bigint] {
  const max = (1n << BigInt(bits)) - 1n;
  const wrap = (): bigint => BigInt.asUintN(bits, value + incr);
  if (value > max || (incr > 0n && incr > max - value)) return [1, owtype === OV_WRAP ? wrap() : max];
  if (incr < 0n && incr < -value) return [-1, owtype === OV_WRAP ? wrap() : 0n];
  return [0, 0n];
}

/** checkSignedBitfieldOverflow, with C's wrapping int64 arithmetic. */
function signedOverflow(value: bigint, incr: bigint, bits: number, owtype: number): [number, bigint] {
  const max = bits === 64 ? 0x7fffffffffffffffn : (1n << BigInt(bits - 1)) - 1n;
  const min = -max - 1n;
  const maxincr = BigInt.asIntN(64, max - value);
  const minincr = BigInt.asIntN(64, min - value);
  const wrap = (): bigint => BigInt.asIntN(bits, value + incr);
  if (value > max || (bits !== 64 && incr > maxincr) || (value >= 0n && incr > 0n && incr > maxincr)) return [1, owtype === OV_WRAP ? wrap() : max];
  if (value < min || (bits !== 64 && incr < minincr) || (value < 0n && incr < 0n && incr < minincr)) return [-1, owtype === OV_WRAP ? wrap() : min];
  return [0, 0n];
}

function bitfieldGeneric(ctx: CommandContext, argv: Buffer[], readonlyCmd: boolean): void {
  const ops: BitfieldOp[] = [];
  let owtype = OV_WRAP;
  let readonly = true;
  let highest = 0;
  for (let j = 2; j < argv.length; j++) {
    const remargs = argv.length - j - 1;
    const sub = argv[j]!;
    let opcode: number;
    if (eqi(sub, 'get') && remargs >= 2) opcode = OP_GET;
    else if (eqi(sub, 'set') && remargs >= 3) opcode = OP_SET;
    else if (eqi(sub, 'incrby') && remargs >= 3) opcode = OP_INCRBY;
    else if (eqi(sub, 'overflow') && remargs >= 1) {
      const t = argv[++j]!;
      if (eqi(t, 'wrap')) owtype = OV_WRAP;
      else if (eqi(t, 'sat')) owtype = OV_SAT;
      else if (eqi(t, 'fail')) owtype = OV_FAIL;
      else throw new ReplyError('ERR Invalid OVERFLOW type specified');
      continue;
    } else throw new ReplyError(ERR_SYNTAX);
    const { signed, bits } = bitfieldType(argv[j + 1]!);
    const offset = bitOffset(ctx, argv[j + 2]!, bits);
    let value = 0n;
    if (opcode !== OP_GET) {
      readonly = false;
      if (highest < offset + bits - 1) highest = offset + bits - 1;
      value = BigInt(argInt64(argv[j + 3]!));
    }
    ops.push({ offset, value, opcode, owtype, bits, signed });
    j += opcode === OP_GET ? 2 : 3;
  }
  const k = ctx.ks;
  const db = ctx.session.db;
  let t: BitTarget | null = null;
  let src: Uint8Array | null = null;
  if (readonly) {
    const e = k.lookupRead(db, argv[1]!);
    if (e !== 0 && k.type(e) !== OBJ_STRING) throw new WrongTypeError();
    if (e !== 0) src = stringBytes(ctx, e);
  } else {
    if (readonlyCmd) throw new ReplyError('ERR BITFIELD_RO only supports the GET subcommand');
    t = stringForBits(ctx, argv[1]!, highest);
  }
  ctx.reply.array(ops.length);
  let changes = 0;
  for (const op of ops) {
    if (op.opcode === OP_GET) {
      if (t !== null) src = stringBytes(ctx, t.e);
      const v = src === null ? 0n : getBits(src, op.offset, op.bits);
      ctx.reply.integer(op.signed ? BigInt.asIntN(op.bits, v) : v);
      continue;
    }
    const p = stringBytes(ctx, t!.e);
    const raw = getBits(p, op.offset, op.bits);
    let oldval: bigint;
    let newval: bigint;
    let retval: bigint;
    let overflow: number;
    let limit: bigint;
    if (op.signed) {
      oldval = BigInt.asIntN(op.bits, raw);
      if (op.opcode === OP_INCRBY) {
        [overflow, limit] = signedOverflow(oldval, op.value, op.bits, op.owtype);
        newval = overflow ? limit : oldval + op.value;
        retval = newval;
      } else {
        newval = op.value;
        [overflow, limit] = signedOverflow(newval, 0n, op.bits, op.owtype);
        if (overflow) newval = limit;
        retval = oldval;
      }
    } else {
      oldval = raw;
      if (op.opcode === OP_INCRBY) {
        newval = BigInt.asUintN(64, oldval + op.value);
        [overflow, limit] = unsignedOverflow(oldval, op.value, op.bits, op.owtype);
        if (overflow) newval = limit;
        retval = newval;
      } else {
        newval = BigInt.asUintN(64, op.value);
        [overflow, limit] = unsignedOverflow(newval, 0n, op.bits, op.owtype);
        if (overflow) newval = limit;
        retval = oldval;
      }
    }
    if (overflow && op.owtype === OV_FAIL) {
      ctx.reply.nullBulk();
      continue;
    }
    ctx.reply.integer(BigInt.asIntN(64, retval));
    const first = Math.floor(op.offset / 8);
    const last = Math.floor((op.offset + op.bits - 1) / 8);
    logBytes(ctx, t!, first, last);
    setBits(p, op.offset, op.bits, BigInt.asUintN(64, newval));
    if (t!.grew || oldval !== newval) changes++;
  }
  if (changes > 0 && t !== null && !t.grew) k.modified(db, t.e, REASON.modified);
}

function bitfield(ctx: CommandContext, argv: Buffer[]): void {
  bitfieldGeneric(ctx, argv, false);
}

function bitfieldRo(ctx: CommandContext, argv: Buffer[]): void {
  bitfieldGeneric(ctx, argv, true);
}

// ---------------------------------------------------------------- the table (metadata from redis-server 7.0)

/**
 * Redis's bitfieldGetKeys: only GET (and OVERFLOW) subcommands make BITFIELD a read of its
 * key; a SET, an INCRBY or anything unparsable (assumed to write) makes it a write.
 */
function bitfieldReadOnly(argv: Buffer[]): boolean {
  for (let i = 2; i < argv.length; i++) {
    const rem = argv.length - i - 1;
    const a = argv[i]!;
    if (eqi(a, 'get') && rem >= 2) i += 2;
    else if (eqi(a, 'overflow') && rem >= 1) i += 1;
    else return false;
  }
  return true;
}

export const commands: CommandDef[] = [
  {
    name: 'setbit',
    handler: setbit,
    arity: 4,
    flags: ['write', 'denyoom'],
    firstKey: 1,
    lastKey: 1,
    keyStep: 1,
    group: 'bitmap',
    summary: 'Sets or clears the bit at offset in the string value stored at key',
    since: '2.2.0',
    complexity: 'O(1)',
    keySpecs: [
      {
        flags: ['RW', 'access', 'update'],
        beginSearch: { type: 'index', index: 1 },
        findKeys: { type: 'range', lastKey: 0, keyStep: 1, limit: 0 },
      },
    ],
    args: [
      { name: 'key', type: 'key', keySpecIndex: 0 },
      { name: 'offset', type: 'integer' },
      { name: 'value', type: 'integer' },
    ],
  },
  {
    name: 'getbit',
    handler: getbit,
    arity: 3,
    flags: ['readonly', 'fast'],
    firstKey: 1,
    lastKey: 1,
    keyStep: 1,
    group: 'bitmap',
    summary: 'Returns the bit value at offset in the string value stored at key',
    since: '2.2.0',
    complexity: 'O(1)',
    args: [{ name: 'key', type: 'key', keySpecIndex: 0 }, { name: 'offset', type: 'integer' }],
  },
  {
    name: 'bitcount',
    handler: bitcount,
    arity: -2,
    flags: ['readonly'],
    firstKey: 1,
    lastKey: 1,
    keyStep: 1,
    group: 'bitmap',
    summary: 'Count set bits in a string',
    since: '2.6.0',
    complexity: 'O(N)',
    history: [['7.0.0', 'Added the `BYTE|BIT` option.']],
    args: [
      { name: 'key', type: 'key', keySpecIndex: 0 },
      {
        name: 'index',
        type: 'block',
        flags: ['optional'],
        args: [
          { name: 'start', type: 'integer' },
          { name: 'end', type: 'integer' },
          {
            name: 'index_unit',
            type: 'oneof',
            since: '7.0.0',
            flags: ['optional'],
            args: [
              { name: 'byte', type: 'pure-token', token: 'BYTE' },
              { name: 'bit', type: 'pure-token', token: 'BIT' },
            ],
          },
        ],
      },
    ],
  },
  {
    name: 'bitpos',
    handler: bitpos,
    arity: -3,
    flags: ['readonly'],
    firstKey: 1,
    lastKey: 1,
    keyStep: 1,
    group: 'bitmap',
    summary: 'Find first bit set or clear in a string',
    since: '2.8.7',
    complexity: 'O(N)',
    history: [['7.0.0', 'Added the `BYTE|BIT` option.']],
    args: [
      { name: 'key', type: 'key', keySpecIndex: 0 },
      { name: 'bit', type: 'integer' },
      {
        name: 'index',
        type: 'block',
        flags: ['optional'],
        args: [
          { name: 'start', type: 'integer' },
          {
            name: 'end_index',
            type: 'block',
            flags: ['optional'],
            args: [
              { name: 'end', type: 'integer' },
              {
                name: 'index_unit',
                type: 'oneof',
                since: '7.0.0',
                flags: ['optional'],
                args: [
                  { name: 'byte', type: 'pure-token', token: 'BYTE' },
                  { name: 'bit', type: 'pure-token', token: 'BIT' },
                ],
              },
            ],
          },
        ],
      },
    ],
  },
  {
    name: 'bitop',
    handler: bitop,
    arity: -4,
    flags: ['write', 'denyoom'],
    firstKey: 2,
    lastKey: -1,
    keyStep: 1,
    group: 'bitmap',
    summary: 'Perform bitwise operations between strings',
    since: '2.6.0',
    complexity: 'O(N)',
    keySpecs: [
      {
        flags: ['OW', 'update'],
        beginSearch: { type: 'index', index: 2 },
        findKeys: { type: 'range', lastKey: 0, keyStep: 1, limit: 0 },
      },
      {
        flags: ['RO', 'access'],
        beginSearch: { type: 'index', index: 3 },
        findKeys: { type: 'range', lastKey: -1, keyStep: 1, limit: 0 },
      },
    ],
    args: [
      { name: 'operation', type: 'string' },
      { name: 'destkey', type: 'key', keySpecIndex: 0 },
      { name: 'key', type: 'key', keySpecIndex: 1, flags: ['multiple'] },
    ],
  },
  {
    name: 'bitfield',
    handler: bitfield,
    getKeys: (argv) => [{ pos: 1, flags: bitfieldReadOnly(argv) ? ['RO', 'access'] : ['RW', 'access', 'update'] }],
    arity: -2,
    flags: ['write', 'denyoom'],
    firstKey: 1,
    lastKey: 1,
    keyStep: 1,
    group: 'bitmap',
    summary: 'Perform arbitrary bitfield integer operations on strings',
    since: '3.2.0',
    complexity: 'O(1) for each subcommand specified',
    keySpecs: [
      {
        notes: 'This command allows both access and modification of the key',
        flags: ['RW', 'access', 'update', 'variable_flags'],
        beginSearch: { type: 'index', index: 1 },
        findKeys: { type: 'range', lastKey: 0, keyStep: 1, limit: 0 },
      },
    ],
    args: [
      { name: 'key', type: 'key', keySpecIndex: 0 },
      {
        name: 'operation',
        type: 'oneof',
        flags: ['optional', 'multiple'],
        args: [
          {
            name: 'encoding_offset',
            type: 'block',
            token: 'GET',
            args: [{ name: 'encoding', type: 'string' }, { name: 'offset', type: 'integer' }],
          },
          {
            name: 'write',
            type: 'block',
            args: [
              {
                name: 'wrap_sat_fail',
                type: 'oneof',
                token: 'OVERFLOW',
                flags: ['optional'],
                args: [
                  { name: 'wrap', type: 'pure-token', token: 'WRAP' },
                  { name: 'sat', type: 'pure-token', token: 'SAT' },
                  { name: 'fail', type: 'pure-token', token: 'FAIL' },
                ],
              },
              {
                name: 'write_operation',
                type: 'oneof',
                args: [
                  {
                    name: 'encoding_offset_value',
                    type: 'block',
                    token: 'SET',
                    args: [
                      { name: 'encoding', type: 'string' },
                      { name: 'offset', type: 'integer' },
                      { name: 'value', type: 'integer' },
                    ],
                  },
                  {
                    name: 'encoding_offset_increment',
                    type: 'block',
                    token: 'INCRBY',
                    args: [
                      { name: 'encoding', type: 'string' },
                      { name: 'offset', type: 'integer' },
                      { name: 'increment', type: 'integer' },
                    ],
                  },
                ],
              },
            ],
          },
        ],
      },
    ],
  },
  {
    name: 'bitfield_ro',
    handler: bitfieldRo,
    arity: -2,
    flags: ['readonly', 'fast'],
    firstKey: 1,
    lastKey: 1,
    keyStep: 1,
    group: 'bitmap',
    summary: 'Perform arbitrary bitfield integer operations on strings. Read-only variant of BITFIELD',
    since: '6.0.0',
    complexity: 'O(1) for each subcommand specified',
    args: [
      { name: 'key', type: 'key', keySpecIndex: 0 },
      {
        name: 'encoding_offset',
        type: 'block',
        token: 'GET',
        flags: ['optional', 'multiple', 'multiple_token'],
        args: [{ name: 'encoding', type: 'string' }, { name: 'offset', type: 'integer' }],
      },
    ],
  },
];
