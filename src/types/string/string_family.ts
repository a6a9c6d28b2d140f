/**
 * String commands, like Redis's t_string.c: handlers parse arguments and reply; the data
 * work is the string storage's (./storage.ts) and the keyspace's seam. Each handler runs
 * inside one keyspace operation: it either completes or leaves nothing behind.
 */
import { incrByFloat } from '../../protocol/float.js';
import { str2ll, writeUint } from '../../protocol/numbers.js';
import { OBJ_STRING } from '../../keyspace/object.js';
import { REASON } from '../../keyspace/changes.js';
import { ReplyError, WrongTypeError, type Expiry } from '../../keyspace/keyspace.js';
import { ERR_NOT_INT, ERR_SYNTAX, INT64_MAX, INT64_MIN, argInt64, eqi } from '../../commands/args.js';
import { headerReadFast, replyLength } from '../../commands/read_fast.js';
import type { CommandContext, CommandDef } from '../../commands/types.js';
import {
  ENC_EMBSTR,
  ENC_INT,
  ENC_RAW,
  EMBSTR_MAX,
  findString,
  readString,
  resizeString,
  setString,
  setStringRange,
  spliceStringCopy,
  stringLength,
  stringOffset,
} from './storage.js';

function maxBulk(ctx: CommandContext): number {
  return ctx.env.config.num('proto-max-bulk-len');
}

/** Reply with a string value straight from shared memory. */
export function replyValue(ctx: CommandContext, e: number, off = stringOffset(ctx.ks, e), len = stringLength(ctx.ks, e)): void {
  const mem = ctx.ks.heap.mem;
  if (off + len <= mem.u8Limit) ctx.reply.bulkFrom(mem.u8, off, len);
  else ctx.reply.bulk(mem.view(off, len));
}

// ---------------------------------------------------------------- SET and its options

const F_NX = 1 << 0;
const F_XX = 1 << 1;
const F_GET = 1 << 2;
const F_KEEPTTL = 1 << 3;
const F_PERSIST = 1 << 4;
const F_EX = 1 << 5;
const F_PX = 1 << 6;
const F_EXAT = 1 << 7;
const F_PXAT = 1 << 8;
const F_EXPIRES = F_EX | F_PX | F_EXAT | F_PXAT;

interface ExtArgs {
  flags: number;
  expire: Uint8Array | null;
}

/** Redis's parseExtendedStringArgumentsOrReply for SET (isSet) and GETEX. */
function parseExtended(argv: Buffer[], from: number, isSet: boolean): ExtArgs {
  let flags = 0;
  let expire: Uint8Array | null = null;
  for (let j = from; j < argv.length; j++) {
    const a = argv[j]!;
    const next = j + 1 < argv.length ? argv[j + 1]! : null;
    if (isSet && eqi(a, 'nx') && !(flags & F_XX)) flags |= F_NX;
    else if (isSet && eqi(a, 'xx') && !(flags & F_NX)) flags |= F_XX;
    else if (isSet && eqi(a, 'get')) flags |= F_GET;
    else if (isSet && eqi(a, 'keepttl') && !(flags & F_PERSIST) && !(flags & F_EXPIRES)) flags |= F_KEEPTTL;
    else if (!isSet && eqi(a, 'persist') && !(flags & F_EXPIRES) && !(flags & F_KEEPTTL)) flags |= F_PERSIST;
    else if (eqi(a, 'ex') && !(flags & (F_KEEPTTL | F_PERSIST | F_EXAT | F_PX | F_PXAT)) && next) {
      flags |= F_EX;
      expire = next;
      j++;
    } else if (eqi(a, 'px') && !(flags & (F_KEEPTTL | F_PERSIST | F_EX | F_EXAT | F_PXAT)) && next) {
      flags |= F_PX;
      expire = next;
      j++;
    } else if (eqi(a, 'exat') && !(flags & (F_KEEPTTL | F_PERSIST | F_EX | F_PX | F_PXAT)) && next) {
      flags |= F_EXAT;
      expire = next;
      j++;
    } else if (eqi(a, 'pxat') && !(flags & (F_KEEPTTL | F_PERSIST | F_EX | F_EXAT | F_PX)) && next) {
      flags |= F_PXAT;
      expire = next;
      j++;
    } else throw new ReplyError(ERR_SYNTAX);
  }
  return { flags, expire };
}

/** Absolute expiry in ms from an EX/PX/EXAT/PXAT argument (getExpireMillisecondsOrReply). */
function expireMs(ctx: CommandContext, arg: Uint8Array, flags: number, command: string): Expiry {
  const v = argInt64(arg);
  const bad = () => new ReplyError(`ERR invalid expire time in '${command}' command`);
  let ms = BigInt(v);
  const seconds = (flags & (F_EX | F_EXAT)) !== 0;
  if (ms <= 0n || (seconds && ms > INT64_MAX / 1000n)) throw bad();
  if (seconds) ms *= 1000n;
  if (flags & (F_EX | F_PX)) ms += BigInt(ctx.ks.now);
  if (ms <= 0n || ms > INT64_MAX) throw bad();
  return ms > BigInt(Number.MAX_SAFE_INTEGER) ? ms : Number(ms);
}

function setGeneric(ctx: CommandContext, key: Buffer, val: Buffer, flags: number, expire: Uint8Array | null, command: string, okReply: boolean): void {
  const k = ctx.ks;
  const db = ctx.session.db;
  const at = expire !== null ? expireMs(ctx, expire, flags, command) : 0;
  if (flags & F_GET) {
    const old = k.lookupRead(db, key);
    if (old === 0) ctx.reply.nullBulk();
    else {
      if (k.type(old) !== OBJ_STRING) throw new WrongTypeError();
      replyValue(ctx, old);
    }
  }
  const e = k.lookupWrite(db, key);
  if (((flags & F_NX) && e !== 0) || ((flags & F_XX) && e === 0)) {
    if (!(flags & F_GET)) ctx.reply.nullBulk();
    return;
  }
  setString(k, db, key, val, flags & F_KEEPTTL ? -1 : at, -1, e);
  if (!(flags & F_GET) && okReply) ctx.reply.ok();
}

function set(ctx: CommandContext, argv: Buffer[]): void {
  // (no options, the common SET: no parse, and no result object per command)
  if (argv.length === 3) {
    setGeneric(ctx, argv[1]!, argv[2]!, 0, null, 'set', true);
    return;
  }
  const { flags, expire } = parseExtended(argv, 3, true);
  setGeneric(ctx, argv[1]!, argv[2]!, flags, expire, 'set', true);
}

function setnx(ctx: CommandContext, argv: Buffer[]): void {
  const k = ctx.ks;
  if (k.lookupWrite(ctx.session.db, argv[1]!) !== 0) ctx.reply.integer(0);
  else {
    setString(k, ctx.session.db, argv[1]!, argv[2]!, 0);
    ctx.reply.integer(1);
  }
}

function setex(ctx: CommandContext, argv: Buffer[]): void {
  setGeneric(ctx, argv[1]!, argv[3]!, F_EX, argv[2]!, 'setex', true);
}

function psetex(ctx: CommandContext, argv: Buffer[]): void {
  setGeneric(ctx, argv[1]!, argv[3]!, F_PX, argv[2]!, 'psetex', true);
}

// ---------------------------------------------------------------- reads

function get(ctx: CommandContext, argv: Buffer[]): void {
  const e = findString(ctx.ks, ctx.session.db, argv[1]!, true);
  if (e === 0) ctx.reply.nullBulk();
  else replyValue(ctx, e);
}

/** GET without the lock (src/keyspace/peek.ts): false leaves it to get(). */
function getFast(ctx: CommandContext, argv: Buffer[]): boolean {
  const k = ctx.ks;
  const peek = k.peek;
  const e = peek.entry(ctx.session.db, argv[1]!);
  if (e < 0) return false;
  const reply = ctx.reply;
  if (e === 0) {
    if (!peek.end()) return false;
    reply.nullBulk();
    return true;
  }
  // (WRONGTYPE, like every error, comes from the handler)
  if (k.type(e) !== OBJ_STRING) return false;
  const off = stringOffset(k, e);
  const len = stringLength(k, e);
  if (!peek.range(off, len)) return false;
  const mark = reply.length;
  replyValue(ctx, e, off, len);
  if (peek.end()) return true;
  reply.truncate(mark);
  return false;
}

function getex(ctx: CommandContext, argv: Buffer[]): void {
  const { flags, expire } = parseExtended(argv, 2, false);
  const k = ctx.ks;
  const db = ctx.session.db;
  const e = findString(k, db, argv[1]!, true);
  if (e === 0) {
    ctx.reply.nullBulk();
    return;
  }
  const at = expire !== null ? expireMs(ctx, expire, flags, 'getex') : 0;
  replyValue(ctx, e);
  if (flags & (F_EXAT | F_PXAT) && at <= k.now) {
    // an absolute time already past deletes the key (Redis: a DEL, not an expiry)
    k.removeEntry(db, e, REASON.deleted);
  } else if (expire !== null) k.setExpireAt(db, e, at);
  else if (flags & F_PERSIST) k.setExpireAt(db, e, 0);
}

function getdel(ctx: CommandContext, argv: Buffer[]): void {
  const k = ctx.ks;
  const e = findString(k, ctx.session.db, argv[1]!, true);
  if (e === 0) {
    ctx.reply.nullBulk();
    return;
  }
  replyValue(ctx, e);
  k.removeEntry(ctx.session.db, e);
}

function getset(ctx: CommandContext, argv: Buffer[]): void {
  const k = ctx.ks;
  const e = findString(k, ctx.session.db, argv[1]!, true);
  if (e === 0) ctx.reply.nullBulk();
  else replyValue(ctx, e);
  setString(k, ctx.session.db, argv[1]!, argv[2]!, 0);
}

function mget(ctx: CommandContext, argv: Buffer[]): void {
  const k = ctx.ks;
  ctx.reply.array(argv.length - 1);
  for (let i = 1; i < argv.length; i++) {
    const e = k.lookupRead(ctx.session.db, argv[i]!);
    if (e === 0 || k.type(e) !== OBJ_STRING) ctx.reply.nullBulk();
    else replyValue(ctx, e);
  }
}

/** MGET without the lock: every key in one read (src/keyspace/peek.ts); false leaves it to mget(). */
function mgetFast(ctx: CommandContext, argv: Buffer[]): boolean {
  const k = ctx.ks;
  const peek = k.peek;
  if (!peek.begin()) return false;
  const reply = ctx.reply;
  const db = ctx.session.db;
  const mark = reply.length;
  reply.array(argv.length - 1);
  for (let i = 1; i < argv.length; i++) {
    const e = peek.find(db, argv[i]!);
    if (e < 0) {
      reply.truncate(mark);
      return false;
    }
    if (e === 0 || k.type(e) !== OBJ_STRING) {
      reply.nullBulk();
      continue;
    }
    const off = stringOffset(k, e);
    const len = stringLength(k, e);
    if (!peek.range(off, len)) {
      reply.truncate(mark);
      return false;
    }
    replyValue(ctx, e, off, len);
  }
  if (peek.end()) return true;
  reply.truncate(mark);
  return false;
}

function mset(ctx: CommandContext, argv: Buffer[]): void {
  if (argv.length % 2 === 0) throw new ReplyError(`ERR wrong number of arguments for 'mset' command`);
  const k = ctx.ks;
  for (let i = 1; i < argv.length; i += 2) setString(k, ctx.session.db, argv[i]!, argv[i + 1]!, 0);
  ctx.reply.ok();
}

function msetnx(ctx: CommandContext, argv: Buffer[]): void {
  if (argv.length % 2 === 0) throw new ReplyError(`ERR wrong number of arguments for 'msetnx' command`);
  const k = ctx.ks;
  for (let i = 1; i < argv.length; i += 2) {
    if (k.lookupWrite(ctx.session.db, argv[i]!) !== 0) {
      ctx.reply.integer(0);
      return;
    }
  }
  for (let i = 1; i < argv.length; i += 2) setString(k, ctx.session.db, argv[i]!, argv[i + 1]!, 0);
  ctx.reply.integer(1);
}

function strlen(ctx: CommandContext, argv: Buffer[]): void {
  const k = ctx.ks;
  const e = findString(k, ctx.session.db, argv[1]!, true);
  ctx.reply.integer(e === 0 ? 0 : stringLength(k, e));
}

function getrange(ctx: CommandContext, argv: Buffer[]): void {
  let start = Number(argInt64(argv[2]!));
  let end = Number(argInt64(argv[3]!));
  const k = ctx.ks;
  const e = k.lookupRead(ctx.session.db, argv[1]!);
  if (e === 0) {
    ctx.reply.bulk('');
    return;
  }
  if (k.type(e) !== OBJ_STRING) throw new WrongTypeError();
  const len = stringLength(k, e);
  if (start < 0 && end < 0 && start > end) {
    ctx.reply.bulk('');
    return;
  }
  if (start < 0) start = len + start;
  if (end < 0) end = len + end;
  if (start < 0) start = 0;
  if (end < 0) end = 0;
  if (end >= len) end = len - 1;
  if (start > end || len === 0) {
    ctx.reply.bulk('');
    return;
  }
  const off = stringOffset(k, e) + start;
  const n = end - start + 1;
  if (off + n <= k.heap.mem.u8Limit) ctx.reply.bulkFrom(k.heap.mem.u8, off, n);
  else ctx.reply.bulk(k.heap.mem.view(off, n));
}

// ---------------------------------------------------------------- in-place writes

/** Overwrites of existing bytes larger than this copy the value instead of undo-logging them. */
const COW_THRESHOLD = 1 << 20;

function checkStringLength(ctx: CommandContext, size: number): void {
  if (size > maxBulk(ctx)) throw new ReplyError('ERR string exceeds maximum allowed size (proto-max-bulk-len)');
}

function append(ctx: CommandContext, argv: Buffer[]): void {
  const k = ctx.ks;
  const db = ctx.session.db;
  const add = argv[2]!;
  let e = findString(k, db, argv[1]!);
  if (e === 0) {
    // A new key is encoded like SET's value (int, embstr or raw), as Redis does.
    setString(k, db, argv[1]!, add, 0, -1, 0);
    ctx.reply.integer(add.length);
    return;
  }
  const old = stringLength(k, e);
  checkStringLength(ctx, old + add.length);
  e = resizeString(k, db, e, old + add.length, old);
  k.heap.mem.write(stringOffset(k, e) + old, add);
  ctx.reply.integer(old + add.length);
}

function setrange(ctx: CommandContext, argv: Buffer[]): void {
  const offset = Number(argInt64(argv[2]!));
  if (offset < 0) throw new ReplyError('ERR offset is out of range');
  const k = ctx.ks;
  const db = ctx.session.db;
  const val = argv[3]!;
  let e = findString(k, db, argv[1]!);
  if (e === 0) {
    if (val.length === 0) {
      ctx.reply.integer(0);
      return;
    }
    checkStringLength(ctx, offset + val.length);
    e = setString(k, db, argv[1]!, Buffer.alloc(0), 0, ENC_RAW);
  } else {
    const olen = stringLength(k, e);
    if (val.length === 0) {
      ctx.reply.integer(olen);
      return;
    }
    checkStringLength(ctx, offset + val.length);
  }
  const olen = stringLength(k, e);
  const newLen = Math.max(olen, offset + val.length);
  if (Math.min(olen, offset + val.length) - offset > COW_THRESHOLD) {
    // Overwriting megabytes in place would put them all in the undo log: copy instead.
    spliceStringCopy(k, db, e, offset, val);
    ctx.reply.integer(newLen);
    return;
  }
  // Keep every old byte; the resize logs those [offset, ...) it lets us overwrite.
  // (only the bytes it overwrites are logged, not the whole tail after them)
  e = resizeString(k, db, e, newLen, Math.min(olen, offset), offset + val.length);
  const voff = stringOffset(k, e);
  if (offset > olen) k.heap.mem.fill(voff + olen, offset - olen, 0);
  k.heap.mem.write(voff + offset, val);
  ctx.reply.integer(newLen);
}

// ---------------------------------------------------------------- counters

function currentInt(ctx: CommandContext, e: number): number | bigint {
  const k = ctx.ks;
  const len = stringLength(k, e);
  const off = stringOffset(k, e);
  const mem = k.heap.mem;
  const v = len > 20 ? null : off + len <= mem.u8Limit ? str2ll(mem.u8, off, off + len) : str2ll(mem.view(off, len), 0, len);
  if (v === null) throw new ReplyError(ERR_NOT_INT);
  return v;
}

/** INCR's new value as text (at most 20 bytes: "-9223372036854775808"). */
const DIGITS = new Uint8Array(24);

function incrBy(ctx: CommandContext, key: Buffer, incr: number | bigint): void {
  const k = ctx.ks;
  const db = ctx.session.db;
  const e = findString(k, db, key);
  const cur = e === 0 ? 0 : currentInt(ctx, e);
  let next: number | bigint;
  if (typeof cur === 'number' && typeof incr === 'number' && Math.abs(cur + incr) <= Number.MAX_SAFE_INTEGER) next = cur + incr;
  else {
    const r = BigInt(cur) + BigInt(incr);
    if (r > INT64_MAX || r < INT64_MIN) throw new ReplyError('ERR increment or decrement would overflow');
    next = r;
  }
  if (typeof next === 'number') {
    // digits straight into a scratch buffer: no string, no Buffer per INCR
    let len = 0;
    if (next < 0) DIGITS[len++] = 45; /* '-' */
    len = writeUint(DIGITS, len, Math.abs(next));
    setStringRange(k, db, key, DIGITS, 0, len, -1, ENC_INT, e);
  } else setString(k, db, key, Buffer.from(String(next), 'latin1'), -1, ENC_INT, e);
  ctx.reply.integer(next);
}

function incr(ctx: CommandContext, argv: Buffer[]): void {
  incrBy(ctx, argv[1]!, 1);
}

function decr(ctx: CommandContext, argv: Buffer[]): void {
  incrBy(ctx, argv[1]!, -1);
}

function incrby(ctx: CommandContext, argv: Buffer[]): void {
  incrBy(ctx, argv[1]!, argInt64(argv[2]!));
}

function decrby(ctx: CommandContext, argv: Buffer[]): void {
  const v = argInt64(argv[2]!);
  if (typeof v === 'bigint' && v === INT64_MIN) throw new ReplyError('ERR decrement would overflow');
  incrBy(ctx, argv[1]!, typeof v === 'bigint' ? -v : -v);
}

function incrbyfloat(ctx: CommandContext, argv: Buffer[]): void {
  const k = ctx.ks;
  const db = ctx.session.db;
  const e = findString(k, db, argv[1]!);
  const cur = e === 0 ? null : readString(k, e);
  const r = incrByFloat(cur, argv[2]!);
  if (!r.ok) {
    throw new ReplyError(r.error === 'nan-or-inf' ? 'ERR increment would produce NaN or Infinity' : 'ERR value is not a valid float');
  }
  const text = Buffer.from(r.text, 'latin1');
  setString(k, db, argv[1]!, text, -1, text.length <= EMBSTR_MAX ? ENC_EMBSTR : ENC_RAW, e);
  ctx.reply.bulk(text);
}

// ---------------------------------------------------------------- LCS

function lcs(ctx: CommandContext, argv: Buffer[]): void {
  const k = ctx.ks;
  const db = ctx.session.db;
  const ea = k.lookupRead(db, argv[1]!);
  const eb = k.lookupRead(db, argv[2]!);
  if ((ea !== 0 && k.type(ea) !== OBJ_STRING) || (eb !== 0 && k.type(eb) !== OBJ_STRING)) {
    throw new ReplyError('ERR The specified keys must contain string values');
  }
  const a = ea === 0 ? Buffer.alloc(0) : readString(k, ea);
  const b = eb === 0 ? Buffer.alloc(0) : readString(k, eb);
  let getlen = false;
  let getidx = false;
  let withmatchlen = false;
  let minmatchlen = 0;
  for (let j = 3; j < argv.length; j++) {
    const opt = argv[j]!;
    const more = argv.length - 1 - j;
    if (eqi(opt, 'idx')) getidx = true;
    else if (eqi(opt, 'len')) getlen = true;
    else if (eqi(opt, 'withmatchlen')) withmatchlen = true;
    else if (eqi(opt, 'minmatchlen') && more > 0) {
      minmatchlen = Number(argInt64(argv[j + 1]!));
      if (minmatchlen < 0) minmatchlen = 0;
      j++;
    } else throw new ReplyError(ERR_SYNTAX);
  }
  if (getidx && getlen) throw new ReplyError('ERR If you want both the length and indexes, please just use IDX.');
  const alen = a.length;
  const blen = b.length;
  if ((alen + 1) * (blen + 1) * 4 > maxBulk(ctx)) {
    throw new ReplyError('ERR Insufficient memory, transient memory for LCS exceeds proto-max-bulk-len');
  }
  const w = blen + 1;
  const t = new Uint32Array((alen + 1) * w);
  for (let i = 1; i <= alen; i++) {
    for (let j = 1; j <= blen; j++) {
      t[i * w + j] = a[i - 1] === b[j - 1] ? t[(i - 1) * w + j - 1]! + 1 : Math.max(t[(i - 1) * w + j]!, t[i * w + j - 1]!);
    }
  }
  let idx = t[alen * w + blen]!;
  const total = idx;
  const computelcs = getidx || !getlen;
  const result = Buffer.alloc(computelcs ? idx : 0);
  const matches: number[][] = [];
  let as = alen;
  let ae = 0;
  let bs = 0;
  let be = 0;
  let i = alen;
  let j = blen;
  while (computelcs && i > 0 && j > 0) {
    let emit = false;
    if (a[i - 1] === b[j - 1]) {
      result[idx - 1] = a[i - 1]!;
      if (as === alen) {
        as = i - 1;
        ae = i - 1;
        bs = j - 1;
        be = j - 1;
      } else if (as === i && bs === j) {
        as--;
        bs--;
      } else emit = true;
      if (as === 0 || bs === 0) emit = true;
      idx--;
      i--;
      j--;
    } else {
      if (t[(i - 1) * w + j]! > t[i * w + j - 1]!) i--;
      else j--;
      if (as !== alen) emit = true;
    }
    const matchLen = ae - as + 1;
    if (emit) {
      if (minmatchlen === 0 || matchLen >= minmatchlen) matches.push([as, ae, bs, be, matchLen]);
      as = alen;
    }
  }
  const r = ctx.reply;
  if (getidx) {
    r.map(2);
    r.bulk('matches');
    r.array(matches.length);
    for (const m of matches) {
      r.array(withmatchlen ? 3 : 2);
      r.array(2);
      r.integer(m[0]!);
      r.integer(m[1]!);
      r.array(2);
      r.integer(m[2]!);
      r.integer(m[3]!);
      if (withmatchlen) r.integer(m[4]!);
    }
    r.bulk('len');
    r.integer(total);
  } else if (getlen) r.integer(idx);
  else r.bulk(result);
}

// ---------------------------------------------------------------- the table
// Metadata (flags, key specs, arguments, history) as Redis 7.0 declares it.

export const commands: CommandDef[] = [
  {
    name: 'get',
    handler: get,
    readFast: getFast,
    arity: 2,
    flags: ['readonly', 'fast'],
    firstKey: 1,
    lastKey: 1,
    keyStep: 1,
    group: 'string',
    summary: 'Get the value of a key',
    since: '1.0.0',
    complexity: 'O(1)',
    args: [{ name: 'key', type: 'key', keySpecIndex: 0 }],
  },
  {
    name: 'set',
    handler: set,
    // Redis's setGetKeys: the key is only overwritten unless GET reads it first
    getKeys: (argv) => [{ pos: 1, flags: argv.slice(3).some((a) => eqi(a, 'get')) ? ['RW', 'access', 'update'] : ['OW', 'update'] }],
    arity: -3,
    flags: ['write', 'denyoom'],
    firstKey: 1,
    lastKey: 1,
    keyStep: 1,
    group: 'string',
    summary: 'Set the string value of a key',
    since: '1.0.0',
    complexity: 'O(1)',
    keySpecs: [
      {
        notes: 'RW and ACCESS due to the optional `GET` argument',
        flags: ['RW', 'access', 'update', 'variable_flags'],
        beginSearch: { type: 'index', index: 1 },
        findKeys: { type: 'range', lastKey: 0, keyStep: 1, limit: 0 },
      },
    ],
    history: [
      ['2.6.12', 'Added the `EX`, `PX`, `NX` and `XX` options.'],
      ['6.0.0', 'Added the `KEEPTTL` option.'],
      ['6.2.0', 'Added the `GET`, `EXAT` and `PXAT` option.'],
      ['7.0.0', 'Allowed the `NX` and `GET` options to be used together.'],
    ],
    args: [
      { name: 'key', type: 'key', keySpecIndex: 0 },
      { name: 'value', type: 'string' },
      {
        name: 'condition',
        type: 'oneof',
        since: '2.6.12',
        flags: ['optional'],
        args: [{ name: 'nx', type: 'pure-token', token: 'NX' }, { name: 'xx', type: 'pure-token', token: 'XX' }],
      },
      { name: 'get', type: 'pure-token', token: 'GET', since: '6.2.0', flags: ['optional'] },
      {
        name: 'expiration',
        type: 'oneof',
        flags: ['optional'],
        args: [
          { name: 'seconds', type: 'integer', token: 'EX', since: '2.6.12' },
          { name: 'milliseconds', type: 'integer', token: 'PX', since: '2.6.12' },
          { name: 'unix-time-seconds', type: 'unix-time', token: 'EXAT', since: '6.2.0' },
          { name: 'unix-time-milliseconds', type: 'unix-time', token: 'PXAT', since: '6.2.0' },
          { name: 'keepttl', type: 'pure-token', token: 'KEEPTTL', since: '6.0.0' },
        ],
      },
    ],
  },
  {
    name: 'setnx',
    handler: setnx,
    arity: 3,
    flags: ['write', 'denyoom', 'fast'],
    firstKey: 1,
    lastKey: 1,
    keyStep: 1,
    group: 'string',
    summary: 'Set the value of a key, only if the key does not exist',
    since: '1.0.0',
    complexity: 'O(1)',
    keySpecs: [
      {
        flags: ['OW', 'insert'],
        beginSearch: { type: 'index', index: 1 },
        findKeys: { type: 'range', lastKey: 0, keyStep: 1, limit: 0 },
      },
    ],
    args: [{ name: 'key', type: 'key', keySpecIndex: 0 }, { name: 'value', type: 'string' }],
  },
  {
    name: 'setex',
    handler: setex,
    arity: 4,
    flags: ['write', 'denyoom'],
    firstKey: 1,
    lastKey: 1,
    keyStep: 1,
    group: 'string',
    summary: 'Set the value and expiration of a key',
    since: '2.0.0',
    complexity: 'O(1)',
    keySpecs: [
      {
        flags: ['OW', 'update'],
        beginSearch: { type: 'index', index: 1 },
        findKeys: { type: 'range', lastKey: 0, keyStep: 1, limit: 0 },
      },
    ],
    args: [
      { name: 'key', type: 'key', keySpecIndex: 0 },
      { name: 'seconds', type: 'integer' },
      { name: 'value', type: 'string' },
    ],
  },
  {
    name: 'psetex',
    handler: psetex,
    arity: 4,
    flags: ['write', 'denyoom'],
    firstKey: 1,
    lastKey: 1,
    keyStep: 1,
    group: 'string',
    summary: 'Set the value and expiration in milliseconds of a key',
    since: '2.6.0',
    complexity: 'O(1)',
    keySpecs: [
      {
        flags: ['OW', 'update'],
        beginSearch: { type: 'index', index: 1 },
        findKeys: { type: 'range', lastKey: 0, keyStep: 1, limit: 0 },
      },
    ],
    args: [
      { name: 'key', type: 'key', keySpecIndex: 0 },
      { name: 'milliseconds', type: 'integer' },
      { name: 'value', type: 'string' },
    ],
  },
  {
    name: 'getex',
    handler: getex,
    arity: -2,
    flags: ['write', 'fast'],
    firstKey: 1,
    lastKey: 1,
    keyStep: 1,
    group: 'string',
    summary: 'Get the value of a key and optionally set its expiration',
    since: '6.2.0',
    complexity: 'O(1)',
    keySpecs: [
      {
        notes: 'RW and UPDATE because it changes the TTL',
        flags: ['RW', 'access', 'update'],
        beginSearch: { type: 'index', index: 1 },
        findKeys: { type: 'range', lastKey: 0, keyStep: 1, limit: 0 },
      },
    ],
    args: [
      { name: 'key', type: 'key', keySpecIndex: 0 },
      {
        name: 'expiration',
        type: 'oneof',
        flags: ['optional'],
        args: [
          { name: 'seconds', type: 'integer', token: 'EX' },
          { name: 'milliseconds', type: 'integer', token: 'PX' },
          { name: 'unix-time-seconds', type: 'unix-time', token: 'EXAT' },
          { name: 'unix-time-milliseconds', type: 'unix-time', token: 'PXAT' },
          { name: 'persist', type: 'pure-token', token: 'PERSIST' },
        ],
      },
    ],
  },
  {
    name: 'getdel',
    handler: getdel,
    arity: 2,
    flags: ['write', 'fast'],
    firstKey: 1,
    lastKey: 1,
    keyStep: 1,
    group: 'string',
    summary: 'Get the value of a key and delete the key',
    since: '6.2.0',
    complexity: 'O(1)',
    keySpecs: [
      {
        flags: ['RW', 'access', 'delete'],
        beginSearch: { type: 'index', index: 1 },
        findKeys: { type: 'range', lastKey: 0, keyStep: 1, limit: 0 },
      },
    ],
    args: [{ name: 'key', type: 'key', keySpecIndex: 0 }],
  },
  {
    name: 'getset',
    handler: getset,
    arity: 3,
    flags: ['write', 'denyoom', 'fast'],
    firstKey: 1,
    lastKey: 1,
    keyStep: 1,
    group: 'string',
    summary: 'Set the string value of a key and return its old value',
    since: '1.0.0',
    complexity: 'O(1)',
    keySpecs: [
      {
        flags: ['RW', 'access', 'update'],
        beginSearch: { type: 'index', index: 1 },
        findKeys: { type: 'range', lastKey: 0, keyStep: 1, limit: 0 },
      },
    ],
    docFlags: ['deprecated'],
    deprecatedSince: '6.2.0',
    replacedBy: '`SET` with the `!GET` argument',
    args: [{ name: 'key', type: 'key', keySpecIndex: 0 }, { name: 'value', type: 'string' }],
  },
  {
    name: 'mget',
    handler: mget,
    readFast: mgetFast,
    arity: -2,
    flags: ['readonly', 'fast'],
    firstKey: 1,
    lastKey: -1,
    keyStep: 1,
    group: 'string',
    summary: 'Get the values of all the given keys',
    since: '1.0.0',
    complexity: 'O(N) where N is the number of keys to retrieve.',
    tips: ['request_policy:multi_shard'],
    args: [{ name: 'key', type: 'key', keySpecIndex: 0, flags: ['multiple'] }],
  },
  {
    name: 'mset',
    handler: mset,
    arity: -3,
    flags: ['write', 'denyoom'],
    firstKey: 1,
    lastKey: -1,
    keyStep: 2,
    group: 'string',
    summary: 'Set multiple keys to multiple values',
    since: '1.0.1',
    complexity: 'O(N) where N is the number of keys to set.',
    tips: ['request_policy:multi_shard', 'response_policy:all_succeeded'],
    keySpecs: [
      {
        flags: ['OW', 'update'],
        beginSearch: { type: 'index', index: 1 },
        findKeys: { type: 'range', lastKey: -1, keyStep: 2, limit: 0 },
      },
    ],
    args: [
      {
        name: 'key_value',
        type: 'block',
        flags: ['multiple'],
        args: [{ name: 'key', type: 'key', keySpecIndex: 0 }, { name: 'value', type: 'string' }],
      },
    ],
  },
  {
    name: 'msetnx',
    handler: msetnx,
    arity: -3,
    flags: ['write', 'denyoom'],
    firstKey: 1,
    lastKey: -1,
    keyStep: 2,
    group: 'string',
    summary: 'Set multiple keys to multiple values, only if none of the keys exist',
    since: '1.0.1',
    complexity: 'O(N) where N is the number of keys to set.',
    tips: ['request_policy:multi_shard', 'response_policy:agg_min'],
    keySpecs: [
      {
        flags: ['OW', 'insert'],
        beginSearch: { type: 'index', index: 1 },
        findKeys: { type: 'range', lastKey: -1, keyStep: 2, limit: 0 },
      },
    ],
    args: [
      {
        name: 'key_value',
        type: 'block',
        flags: ['multiple'],
        args: [{ name: 'key', type: 'key', keySpecIndex: 0 }, { name: 'value', type: 'string' }],
      },
    ],
  },
  {
    name: 'append',
    handler: append,
    arity: 3,
    flags: ['write', 'denyoom', 'fast'],
    firstKey: 1,
    lastKey: 1,
    keyStep: 1,
    group: 'string',
    summary: 'Append a value to a key',
    since: '2.0.0',
    complexity: 'O(1). The amortized time complexity is O(1) assuming the appended value is small and the already present value is of any size, since the dynamic string library used by Redis will double the free space available on every reallocation.',
    keySpecs: [
      {
        flags: ['RW', 'insert'],
        beginSearch: { type: 'index', index: 1 },
        findKeys: { type: 'range', lastKey: 0, keyStep: 1, limit: 0 },
      },
    ],
    args: [{ name: 'key', type: 'key', keySpecIndex: 0 }, { name: 'value', type: 'string' }],
  },
  {
    name: 'strlen',
    handler: strlen,
    readFast: headerReadFast(OBJ_STRING, true, replyLength),
    arity: 2,
    flags: ['readonly', 'fast'],
    firstKey: 1,
    lastKey: 1,
    keyStep: 1,
    group: 'string',
    summary: 'Get the length of the value stored in a key',
    since: '2.2.0',
    complexity: 'O(1)',
    keySpecs: [
      {
        flags: ['RO'],
        beginSearch: { type: 'index', index: 1 },
        findKeys: { type: 'range', lastKey: 0, keyStep: 1, limit: 0 },
      },
    ],
    args: [{ name: 'key', type: 'key', keySpecIndex: 0 }],
  },
  {
    name: 'getrange',
    handler: getrange,
    arity: 4,
    flags: ['readonly'],
    firstKey: 1,
    lastKey: 1,
    keyStep: 1,
    group: 'string',
    summary: 'Get a substring of the string stored at a key',
    since: '2.4.0',
    complexity: 'O(N) where N is the length of the returned string. The complexity is ultimately determined by the returned length, but because creating a substring from an existing string is very cheap, it can be considered O(1) for small strings.',
    args: [
      { name: 'key', type: 'key', keySpecIndex: 0 },
      { name: 'start', type: 'integer' },
      { name: 'end', type: 'integer' },
    ],
  },
  {
    name: 'substr',
    handler: getrange,
    arity: 4,
    flags: ['readonly'],
    firstKey: 1,
    lastKey: 1,
    keyStep: 1,
    group: 'string',
    summary: 'Get a substring of the string stored at a key',
    since: '1.0.0',
    complexity: 'O(N) where N is the length of the returned string. The complexity is ultimately determined by the returned length, but because creating a substring from an existing string is very cheap, it can be considered O(1) for small strings.',
    docFlags: ['deprecated'],
    deprecatedSince: '2.0.0',
    replacedBy: '`GETRANGE`',
    args: [
      { name: 'key', type: 'key', keySpecIndex: 0 },
      { name: 'start', type: 'integer' },
      { name: 'end', type: 'integer' },
    ],
  },
  {
    name: 'setrange',
    handler: setrange,
    arity: 4,
    flags: ['write', 'denyoom'],
    firstKey: 1,
    lastKey: 1,
    keyStep: 1,
    group: 'string',
    summary: 'Overwrite part of a string at key starting at the specified offset',
    since: '2.2.0',
    complexity: 'O(1), not counting the time taken to copy the new string in place. Usually, this string is very small so the amortized complexity is O(1). Otherwise, complexity is O(M) with M being the length of the value argument.',
    args: [
      { name: 'key', type: 'key', keySpecIndex: 0 },
      { name: 'offset', type: 'integer' },
      { name: 'value', type: 'string' },
    ],
  },
  {
    name: 'incr',
    handler: incr,
    arity: 2,
    flags: ['write', 'denyoom', 'fast'],
    firstKey: 1,
    lastKey: 1,
    keyStep: 1,
    group: 'string',
    summary: 'Increment the integer value of a key by one',
    since: '1.0.0',
    complexity: 'O(1)',
    keySpecs: [
      {
        flags: ['RW', 'access', 'update'],
        beginSearch: { type: 'index', index: 1 },
        findKeys: { type: 'range', lastKey: 0, keyStep: 1, limit: 0 },
      },
    ],
    args: [{ name: 'key', type: 'key', keySpecIndex: 0 }],
  },
  {
    name: 'decr',
    handler: decr,
    arity: 2,
    flags: ['write', 'denyoom', 'fast'],
    firstKey: 1,
    lastKey: 1,
    keyStep: 1,
    group: 'string',
    summary: 'Decrement the integer value of a key by one',
    since: '1.0.0',
    complexity: 'O(1)',
    keySpecs: [
      {
        flags: ['RW', 'access', 'update'],
        beginSearch: { type: 'index', index: 1 },
        findKeys: { type: 'range', lastKey: 0, keyStep: 1, limit: 0 },
      },
    ],
    args: [{ name: 'key', type: 'key', keySpecIndex: 0 }],
  },
  {
    name: 'incrby',
    handler: incrby,
    arity: 3,
    flags: ['write', 'denyoom', 'fast'],
    firstKey: 1,
    lastKey: 1,
    keyStep: 1,
    group: 'string',
    summary: 'Increment the integer value of a key by the given amount',
    since: '1.0.0',
    complexity: 'O(1)',
    keySpecs: [
      {
        flags: ['RW', 'access', 'update'],
        beginSearch: { type: 'index', index: 1 },
        findKeys: { type: 'range', lastKey: 0, keyStep: 1, limit: 0 },
      },
    ],
    args: [{ name: 'key', type: 'key', keySpecIndex: 0 }, { name: 'increment', type: 'integer' }],
  },
  {
    name: 'decrby',
    handler: decrby,
    arity: 3,
    flags: ['write', 'denyoom', 'fast'],
    firstKey: 1,
    lastKey: 1,
    keyStep: 1,
    group: 'string',
    summary: 'Decrement the integer value of a key by the given number',
    since: '1.0.0',
    complexity: 'O(1)',
    keySpecs: [
      {
        flags: ['RW', 'access', 'update'],
        beginSearch: { type: 'index', index: 1 },
        findKeys: { type: 'range', lastKey: 0, keyStep: 1, limit: 0 },
      },
    ],
    args: [{ name: 'key', type: 'key', keySpecIndex: 0 }, { name: 'decrement', type: 'integer' }],
  },
  {
    name: 'incrbyfloat',
    handler: incrbyfloat,
    arity: 3,
    flags: ['write', 'denyoom', 'fast'],
    firstKey: 1,
    lastKey: 1,
    keyStep: 1,
    group: 'string',
    summary: 'Increment the float value of a key by the given amount',
    since: '2.6.0',
    complexity: 'O(1)',
    keySpecs: [
      {
        flags: ['RW', 'access', 'update'],
        beginSearch: { type: 'index', index: 1 },
        findKeys: { type: 'range', lastKey: 0, keyStep: 1, limit: 0 },
      },
    ],
    args: [{ name: 'key', type: 'key', keySpecIndex: 0 }, { name: 'increment', type: 'double' }],
  },
  {
    name: 'lcs',
    handler: lcs,
    arity: -3,
    flags: ['readonly'],
    firstKey: 1,
    lastKey: 2,
    keyStep: 1,
    group: 'string',
    summary: 'Find longest common substring',
    since: '7.0.0',
    complexity: 'O(N*M) where N and M are the lengths of s1 and s2, respectively',
    args: [
      { name: 'key1', type: 'key', keySpecIndex: 0 },
      { name: 'key2', type: 'key', keySpecIndex: 0 },
      { name: 'len', type: 'pure-token', token: 'LEN', flags: ['optional'] },
      { name: 'idx', type: 'pure-token', token: 'IDX', flags: ['optional'] },
      { name: 'len', type: 'integer', token: 'MINMATCHLEN', flags: ['optional'] },
      { name: 'withmatchlen', type: 'pure-token', token: 'WITHMATCHLEN', flags: ['optional'] },
    ],
  },
];
