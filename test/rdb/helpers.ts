/**
 * Shared helpers of the RDB codec tests: a seeded PRNG, value builders and a canonical
 * form of values (so a value read back can be compared whatever its node cuts or, for
 * hash tables, its order), and reading a key's value from a real Redis in the same form.
 */
import { OBJ_HASH, OBJ_LIST, OBJ_SET, OBJ_STRING, OBJ_ZSET, type RdbValue } from '../../src/rdb/value.js';
import { decodeReply, type RawClient, type RespValue } from '../helpers/raw-client.js';

/** A small deterministic PRNG (mulberry32). */
export function rng(seed: number): { next(): number; int(lo: number, hi: number): number; bytes(n: number): Uint8Array; pick<T>(a: readonly T[]): T } {
  let s = seed >>> 0;
  const next = (): number => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return {
    next,
    int: (lo, hi) => lo + Math.floor(next() * (hi - lo + 1)),
    bytes: (n) => {
      const b = new Uint8Array(n);
      for (let i = 0; i < n; i++) b[i] = Math.floor(next() * 256);
      return b;
    },
    pick: (a) => a[Math.floor(next() * a.length)],
  };
}

export const b = (s: string): Uint8Array => new Uint8Array(Buffer.from(s, 'latin1'));
export const s = (u: Uint8Array): string => Buffer.from(u).toString('latin1');

/**
 * A value in a form that compares equal when Redis would say the values are equal:
 * a list's elements flattened, a set's members sorted, a hash's pairs sorted by field,
 * a sorted set's pairs sorted by score then member (scores as numbers; -0 as 0).
 */
export type Canon =
  | { t: 'string'; v: string }
  | { t: 'list'; v: string[] }
  | { t: 'set'; v: string[] }
  | { t: 'hash'; v: [string, string][] }
  | { t: 'zset'; v: [string, number][] };

const byStr = (x: string, y: string): number => (x < y ? -1 : x > y ? 1 : 0);

export function canon(v: RdbValue): Canon {
  switch (v.type) {
    case OBJ_STRING:
      return { t: 'string', v: s(v.value) };
    case OBJ_LIST:
      return { t: 'list', v: v.nodes.flat().map(s) };
    case OBJ_SET:
      return { t: 'set', v: v.members.map(s).sort(byStr) };
    case OBJ_HASH:
      return { t: 'hash', v: v.fields.map((f, i): [string, string] => [s(f), s(v.values[i])]).sort((x, y) => byStr(x[0], y[0])) };
    case OBJ_ZSET:
      return { t: 'zset', v: sortZ(v.members.map((m, i): [string, number] => [s(m), v.scores[i] === 0 ? 0 : v.scores[i]])) };
  }
}

function sortZ(p: [string, number][]): [string, number][] {
  return p.sort((x, y) => (x[1] < y[1] ? -1 : x[1] > y[1] ? 1 : byStr(x[0], y[0])));
}

function bulks(r: RespValue): string[] {
  if (r.type !== 'array') throw new Error(`expected an array, got ${JSON.stringify(r)}`);
  return r.value.map((x) => {
    if (x.type !== 'bulk') throw new Error(`expected a bulk, got ${JSON.stringify(x)}`);
    return x.value.toString('latin1');
  });
}

function parseScore(t: string): number {
  if (t === 'inf') return Infinity;
  if (t === '-inf') return -Infinity;
  const v = Number(t);
  return v === 0 ? 0 : v;
}

/** A key's value read from Redis (current db of `c`) in canonical form; null when missing. */
export async function fetchCanon(c: RawClient, key: string | Uint8Array): Promise<Canon | null> {
  const k = typeof key === 'string' ? key : Buffer.from(key);
  const type = decodeReply(await c.call('TYPE', k));
  const t = type.type === 'simple' ? type.value : '';
  switch (t) {
    case 'none':
      return null;
    case 'string': {
      const r = decodeReply(await c.call('GET', k));
      return { t: 'string', v: r.type === 'bulk' ? r.value.toString('latin1') : '' };
    }
    case 'list':
      return { t: 'list', v: bulks(decodeReply(await c.call('LRANGE', k, 0, -1))) };
    case 'set':
      return { t: 'set', v: bulks(decodeReply(await c.call('SMEMBERS', k))).sort(byStr) };
    case 'hash': {
      const a = bulks(decodeReply(await c.call('HGETALL', k)));
      const p: [string, string][] = [];
      for (let i = 0; i < a.length; i += 2) p.push([a[i], a[i + 1]]);
      return { t: 'hash', v: p.sort((x, y) => byStr(x[0], y[0])) };
    }
    case 'zset': {
      const a = bulks(decodeReply(await c.call('ZRANGE', k, 0, -1, 'WITHSCORES')));
      const p: [string, number][] = [];
      for (let i = 0; i < a.length; i += 2) p.push([a[i], parseScore(a[i + 1])]);
      return { t: 'zset', v: sortZ(p) };
    }
    default:
      throw new Error(`key of type ${t}`);
  }
}

/** The value's encoding as Redis's OBJECT ENCODING names it. */
export async function objectEncoding(c: RawClient, key: string | Uint8Array): Promise<string> {
  const r = decodeReply(await c.call('OBJECT', 'ENCODING', typeof key === 'string' ? key : Buffer.from(key)));
  return r.type === 'bulk' ? r.value.toString('latin1') : JSON.stringify(r);
}

/** The integer a reply holds. */
export function int(r: Buffer): number {
  const v = decodeReply(r);
  if (v.type !== 'integer') throw new Error(`expected an integer, got ${JSON.stringify(v)}`);
  return Number(v.value);
}

/** A bulk reply's bytes. */
export function bulk(r: Buffer): Buffer {
  const v = decodeReply(r);
  if (v.type !== 'bulk') throw new Error(`expected a bulk, got ${JSON.stringify(v)}`);
  return v.value;
}

/** One value of every kind and encoding the model has, small. */
export function sampleValues(bigLen = 5000): { name: string; v: RdbValue }[] {
  const big = 'x'.repeat(bigLen);
  return [
    { name: 'string', v: { type: OBJ_STRING, value: b('hello') } },
    { name: 'string empty', v: { type: OBJ_STRING, value: b('') } },
    { name: 'string int8', v: { type: OBJ_STRING, value: b('-128') } },
    { name: 'string int32', v: { type: OBJ_STRING, value: b('2147483647') } },
    { name: 'string int64', v: { type: OBJ_STRING, value: b('9223372036854775807') } },
    { name: 'string not canonical', v: { type: OBJ_STRING, value: b('007') } },
    { name: 'string compressible', v: { type: OBJ_STRING, value: b('ab'.repeat(Math.min(500, bigLen))) } },
    { name: 'string binary', v: { type: OBJ_STRING, value: rng(9).bytes(Math.min(300, bigLen)) } },
    {
      name: 'list',
      v: { type: OBJ_LIST, nodes: [[b('a'), b('1'), b('-1'), b('4095'), b('-4096'), b('32767'), b('8388607'), b('-2147483648'), b('-9223372036854775808')], [b(big)]] },
    },
    { name: 'list plain', v: { type: OBJ_LIST, nodes: [[b('a')], [b(big)], [b('b'), b('c')]], plain: [false, true, false] } },
    { name: 'set intset16', v: { type: OBJ_SET, encoding: 'intset', members: [b('1'), b('-3'), b('32767')] } },
    { name: 'set intset64', v: { type: OBJ_SET, encoding: 'intset', members: [b('1'), b('-9223372036854775808'), b('9007199254740993')] } },
    { name: 'set hashtable', v: { type: OBJ_SET, encoding: 'hashtable', members: [b('a'), b('1'), b(big)] } },
    { name: 'hash listpack', v: { type: OBJ_HASH, encoding: 'listpack', fields: [b('f'), b('12')], values: [b('v'), b('-7')] } },
    { name: 'hash hashtable', v: { type: OBJ_HASH, encoding: 'hashtable', fields: [b('f'), b('g')], values: [b(big), b('')] } },
    {
      name: 'zset listpack',
      v: { type: OBJ_ZSET, encoding: 'listpack', members: [b('a'), b('b'), b('c'), b('d'), b('e')], scores: [-Infinity, -1.5, 0, 0.1, Infinity] },
    },
    {
      name: 'zset skiplist',
      v: { type: OBJ_ZSET, encoding: 'skiplist', members: [b('a'), b('b'), b(big)], scores: [-Infinity, 1e300, Infinity] },
    },
  ];
}

// --- test writers for the formats shmkv only reads -------------------------------------

function canonicalInt(e: Uint8Array): bigint | null {
  const t = s(e);
  if (!/^(0|-?[1-9][0-9]*)$/.test(t) || t.length > 20) return null;
  const v = BigInt(t);
  return v >= -(2n ** 63n) && v < 2n ** 63n ? v : null;
}

function le(v: bigint, n: number): number[] {
  const out: number[] = [];
  const u = BigInt.asUintN(n * 8, v);
  for (let i = 0; i < n; i++) out.push(Number((u >> BigInt(8 * i)) & 0xffn));
  return out;
}

/** A ziplist of `els`, integers encoded as zipTryEncoding picks. */
export function ziplistEncode(els: Uint8Array[], opts: { count?: number; bigPrevlen?: boolean } = {}): Uint8Array {
  const entries: number[][] = [];
  let prev = 0;
  const offsets: number[] = [];
  let at = 10;
  for (const e of els) {
    const bytes: number[] = [];
    if (prev < 254 && !opts.bigPrevlen) bytes.push(prev);
    else bytes.push(0xfe, ...le(BigInt(prev), 4));
    const v = e.length <= 32 ? canonicalInt(e) : null;
    if (v !== null) {
      if (v >= 0n && v <= 12n) bytes.push(0xf1 + Number(v));
      else if (v >= -128n && v <= 127n) bytes.push(0xfe, ...le(v, 1));
      else if (v >= -32768n && v <= 32767n) bytes.push(0xc0, ...le(v, 2));
      else if (v >= -8388608n && v <= 8388607n) bytes.push(0xf0, ...le(v, 3));
      else if (v >= -2147483648n && v <= 2147483647n) bytes.push(0xd0, ...le(v, 4));
      else bytes.push(0xe0, ...le(v, 8));
    } else {
      const n = e.length;
      if (n <= 63) bytes.push(n);
      else if (n <= 16383) bytes.push(0x40 | (n >> 8), n & 0xff);
      else bytes.push(0x80, (n >>> 24) & 0xff, (n >>> 16) & 0xff, (n >>> 8) & 0xff, n & 0xff);
      bytes.push(...e);
    }
    offsets.push(at);
    at += bytes.length;
    entries.push(bytes);
    prev = bytes.length;
  }
  const total = at + 1;
  const tail = offsets.length ? offsets[offsets.length - 1] : 10;
  const count = opts.count ?? Math.min(els.length, 65535);
  return new Uint8Array([...le(BigInt(total), 4), ...le(BigInt(tail), 4), ...le(BigInt(count), 2), ...entries.flat(), 0xff]);
}

function zipmapLen(n: number): number[] {
  return n < 254 ? [n] : [254, ...le(BigInt(n), 4)];
}

/** A zipmap of the pairs, each value followed by `free` unused bytes. */
export function zipmapEncode(pairs: [Uint8Array, Uint8Array][], free = 0, count?: number): Uint8Array {
  const out: number[] = [count ?? (pairs.length < 254 ? pairs.length : 254)];
  for (const [f, v] of pairs) {
    out.push(...zipmapLen(f.length), ...f, ...zipmapLen(v.length), free, ...v);
    for (let i = 0; i < free; i++) out.push(0);
  }
  out.push(0xff);
  return new Uint8Array(out);
}

