/**
 * Differential tests of the hash type: the same random command sequences go to a real
 * redis-server 7.0 and to shmkv, with small encoding thresholds set on both (CONFIG SET)
 * so that listpack → hashtable conversions happen. Raw replies must be equal byte for
 * byte, except where the order is a hash-table detail (HKEYS/HVALS/HGETALL/HSCAN of a
 * hashtable-encoded hash: compared as sets/maps) or random (HRANDFIELD: shapes, sizes and
 * membership compared; the whole-hash case of a listpack byte for byte). OBJECT ENCODING
 * and DEBUG DIGEST-VALUE are part of the sequences.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { RawClient, decodeReply, type RespValue } from '../helpers/raw-client.js';
import { canonical, reencode } from '../helpers/differential.js';
import { startRedisOracle, type RedisOracle } from '../helpers/redis-oracle.js';
import { removeSegment, startShmkvServer, type ShmkvServer } from '../helpers/shmkv-server.js';
import { open, type KV } from '../../src/kv/index.js';

type Cmd = readonly (string | number)[];

let redis: RedisOracle | null = null;
let shmkv: ShmkvServer;
let a: RawClient;
let b: RawClient;

before(async () => {
  redis = await startRedisOracle(['--enable-debug-command', 'yes']);
  shmkv = await startShmkvServer({ args: ['--enable-debug-command', 'yes'] });
  if (redis) a = await RawClient.connect(redis.port);
  b = await RawClient.connect(shmkv.port);
});

after(async () => {
  a?.close();
  b?.close();
  await redis?.stop();
  await shmkv?.stop();
});

const KEYS = ['h1', 'h2', 'str'];
const keyArb = fc.constantFrom(...KEYS);
const fieldArb = fc.oneof(
  { weight: 6, arbitrary: fc.constantFrom('a', 'b', 'c', 'd', 'e', 'f', 'g', '1', '-2', '') },
  { weight: 1, arbitrary: fc.constantFrom('a-long-field-name-x', 'another-long-field', '12345678901234567890') },
);
const valueArb = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom('v', 'x', '', '0', '1', '-7', '10', '3.5', '1e3', ' 1', '9223372036854775807', '-9223372036854775808', 'abc') },
  { weight: 1, arbitrary: fc.integer({ min: -1000, max: 1000 }).map(String) },
  { weight: 1, arbitrary: fc.constantFrom('a-rather-long-value-here', 'zzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzz') },
);
const pairsArb = fc.array(fc.tuple(fieldArb, valueArb), { minLength: 1, maxLength: 4 }).map((ps) => ps.flat());

const cmdArb: fc.Arbitrary<Cmd> = fc.oneof(
  { weight: 8, arbitrary: fc.tuple(keyArb, pairsArb).map(([k, p]) => ['hset', k, ...p]) },
  { weight: 2, arbitrary: fc.tuple(keyArb, pairsArb).map(([k, p]) => ['hmset', k, ...p]) },
  { weight: 3, arbitrary: fc.tuple(keyArb, fieldArb, valueArb).map(([k, f, v]) => ['hsetnx', k, f, v]) },
  { weight: 4, arbitrary: fc.tuple(keyArb, fieldArb).map(([k, f]) => ['hget', k, f]) },
  { weight: 2, arbitrary: fc.tuple(keyArb, fc.array(fieldArb, { minLength: 1, maxLength: 4 })).map(([k, fs]) => ['hmget', k, ...fs]) },
  { weight: 4, arbitrary: fc.tuple(keyArb, fc.array(fieldArb, { minLength: 1, maxLength: 4 })).map(([k, fs]) => ['hdel', k, ...fs]) },
  { weight: 2, arbitrary: keyArb.map((k) => ['hlen', k]) },
  { weight: 2, arbitrary: fc.tuple(keyArb, fieldArb).map(([k, f]) => ['hstrlen', k, f]) },
  { weight: 2, arbitrary: fc.tuple(keyArb, fieldArb).map(([k, f]) => ['hexists', k, f]) },
  { weight: 2, arbitrary: fc.tuple(fc.constantFrom('hkeys', 'hvals', 'hgetall'), keyArb).map(([c, k]) => [c, k]) },
  {
    weight: 4,
    arbitrary: fc
      .tuple(keyArb, fieldArb, fc.constantFrom('1', '-1', '100', '9223372036854775807', '-9223372036854775808', 'x', '1.5', ' 1'))
      .map(([k, f, n]) => ['hincrby', k, f, n]),
  },
  {
    weight: 4,
    arbitrary: fc
      .tuple(keyArb, fieldArb, fc.constantFrom('1', '-1.5', '0.1', '1e10', '3.0e-5', 'inf', '-inf', 'nan', 'x', '1e400', '10.50', '123456789012345678'))
      .map(([k, f, n]) => ['hincrbyfloat', k, f, n]),
  },
  {
    weight: 4,
    arbitrary: fc
      .tuple(keyArb, fc.option(fc.constantFrom('0', '1', '2', '3', '20', '-1', '-3', '-10', 'x', '-9223372036854775808')), fc.constantFrom(0, 1, 2))
      .map(([k, n, w]) => (n === null ? ['hrandfield', k] : w === 0 ? ['hrandfield', k, n] : w === 1 ? ['hrandfield', k, n, 'withvalues'] : ['hrandfield', k, n, 'bogus'])),
  },
  {
    weight: 3,
    arbitrary: fc
      .tuple(keyArb, fc.constantFrom([], ['count', '2'], ['match', '?'], ['match', '*'], ['count', '0'], ['bogus'], ['match', 'a*', 'count', '100']))
      .map(([k, o]) => ['hscan', k, '0', ...o]),
  },
  { weight: 1, arbitrary: fc.constantFrom(['hscan', 'h1', 'x'], ['hscan', 'h1', '99999999999'], ['hset', 'h1', 'a'], ['hmset', 'h1', 'a', 'b', 'c'], ['hsetnx', 'h1', 'a'], ['hrandfield', 'h1', '-9223372036854770000', 'withvalues'], ['hrandfield', 'h1', '-4611686018427387904', 'withvalues'], ['hrandfield', 'h1', '-4611686018427387903', 'bogus']) },
  // (a huge negative count is served by both: millions of elements, not for a test)
  { weight: 3, arbitrary: keyArb.map((k) => ['object', 'encoding', k]) },
  { weight: 1, arbitrary: keyArb.map((k) => ['debug', 'digest-value', k]) },
  { weight: 1, arbitrary: keyArb.map((k) => ['del', k]) },
  { weight: 1, arbitrary: fc.constant(['set', 'str', 'x']) },
  { weight: 1, arbitrary: fc.constantFrom(['copy', 'h1', 'h2', 'replace'], ['rename', 'h1', 'h2'], ['type', 'h1']) },
  { weight: 1, arbitrary: fc.constantFrom(['hello', '2'], ['hello', '3']) },
);

function isArrayish(v: RespValue): v is Extract<RespValue, { value: RespValue[] }> {
  return v.type === 'array' || v.type === 'set';
}

async function encodingOf(key: string): Promise<string> {
  const v = await a.callValue('object', 'encoding', key);
  return v.type === 'bulk' ? v.value.toString('latin1') : '';
}

/** Every field and value of a hash (decoded, as a Map), from one server. */
async function hashMap(c: RawClient, key: string): Promise<Map<string, string>> {
  const v = await c.callValue('hgetall', key);
  const m = new Map<string, string>();
  if (v.type === 'map') for (const [f, x] of v.value) m.set((f as { value: Buffer }).value.toString('latin1'), (x as { value: Buffer }).value.toString('latin1'));
  else if (v.type === 'array') for (let i = 0; i < v.value.length; i += 2) m.set((v.value[i] as { value: Buffer }).value.toString('latin1'), (v.value[i + 1] as { value: Buffer }).value.toString('latin1'));
  return m;
}

/** HSCAN to the end: the pairs (as a sorted list of "field=value"). */
async function scanAll(c: RawClient, key: string, extra: Cmd): Promise<string[]> {
  const seen = new Set<string>();
  let cursor = '0';
  let rounds = 0;
  do {
    const v = await c.callValue('hscan', key, cursor, ...extra);
    if (v.type !== 'array') throw new Error(`hscan replied ${JSON.stringify(v)}`);
    const [cur, items] = v.value;
    if (cur?.type !== 'bulk' || items?.type !== 'array') throw new Error('hscan reply shape');
    cursor = cur.value.toString();
    for (let i = 0; i < items.value.length; i += 2) {
      seen.add(`${(items.value[i] as { value: Buffer }).value.toString('latin1')}=${(items.value[i + 1] as { value: Buffer }).value.toString('latin1')}`);
    }
    if (++rounds > 100000) throw new Error('hscan does not terminate');
  } while (cursor !== '0');
  return [...seen].sort();
}

/** Check one HRANDFIELD reply of each server against the rules (they are random). */
async function checkRandfield(cmd: Cmd, ra: Buffer, rb: Buffer): Promise<void> {
  const va = decodeReply(ra);
  const vb = decodeReply(rb);
  const what = `${JSON.stringify(cmd)}\n  redis: ${JSON.stringify(ra.toString('latin1'))}\n  shmkv: ${JSON.stringify(rb.toString('latin1'))}`;
  if (va.type === 'error' || vb.type === 'error' || va.type === 'null' || cmd.length === 2 && va.type !== 'bulk') {
    assert.equal(rb.toString('latin1'), ra.toString('latin1'), what);
    return;
  }
  assert.equal(vb.type, va.type, what);
  const key = String(cmd[1]);
  const contents = await hashMap(b, key);
  if (cmd.length === 2) {
    assert.ok(contents.has((vb as { value: Buffer }).value.toString('latin1')), what);
    return;
  }
  assert.ok(isArrayish(va) && isArrayish(vb), what);
  assert.equal(vb.value.length, va.value.length, what);
  // the elements: fields, [field, value] pairs (RESP3) or field, value, field, value (RESP2)
  const withvalues = cmd.length === 4;
  const flat: RespValue[] = [];
  for (const x of vb.value) if (x.type === 'array') flat.push(...x.value);
  else flat.push(x);
  const fields: string[] = [];
  for (let i = 0; i < flat.length; i += withvalues ? 2 : 1) {
    const f = (flat[i] as { value: Buffer }).value.toString('latin1');
    fields.push(f);
    assert.ok(contents.has(f), `${what}\n  (field ${f} not in the hash)`);
    if (withvalues) assert.equal((flat[i + 1] as { value: Buffer }).value.toString('latin1'), contents.get(f), what);
  }
  const n = Number(cmd[2]);
  if (n > 0) assert.equal(new Set(fields).size, fields.length, `${what}\n  (repeated fields for a positive count)`);
  if (n >= contents.size && (await encodingOf(key)) === 'listpack') assert.equal(rb.toString('latin1'), ra.toString('latin1'), what);
}

async function run(cmd: Cmd): Promise<void> {
  const name = String(cmd[0]).toLowerCase();
  const key = String(cmd[1] ?? '');
  if (name === 'hscan' && (await encodingOf(key)) === 'hashtable' && cmd.length >= 3 && cmd[2] === '0') {
    const first = await Promise.all([a.call(...cmd), b.call(...cmd)]);
    if (first[0][0] === 45 /* - */) {
      assert.equal(first[1].toString('latin1'), first[0].toString('latin1'), JSON.stringify(cmd));
      return;
    }
    const extra = cmd.slice(3);
    assert.deepEqual(await scanAll(b, key, extra), await scanAll(a, key, extra), JSON.stringify(cmd));
    return;
  }
  if (name === 'hscan' && cmd[2] !== '0' && (await encodingOf(key)) === 'hashtable') {
    // a cursor this server never returned: Redis masks it into its table, we read it as a
    // hash position; only errors are comparable
    const [ra, rb] = await Promise.all([a.call(...cmd), b.call(...cmd)]);
    if (ra[0] === 45 || rb[0] === 45) assert.equal(rb.toString('latin1'), ra.toString('latin1'), JSON.stringify(cmd));
    return;
  }
  const unordered = (name === 'hkeys' || name === 'hvals' || name === 'hgetall') && (await encodingOf(key)) === 'hashtable';
  const [ra, rb] = await Promise.all([a.call(...cmd), b.call(...cmd)]);
  if (name === 'hrandfield') return checkRandfield(cmd, ra, rb);
  if (name === 'hello') return;
  const what = `${JSON.stringify(cmd)}\n  redis: ${JSON.stringify(ra.toString('latin1'))}\n  shmkv: ${JSON.stringify(rb.toString('latin1'))}`;
  if (unordered) assert.deepEqual(reencode(canonical(decodeReply(rb))), reencode(canonical(decodeReply(ra))), what);
  else assert.equal(rb.toString('latin1'), ra.toString('latin1'), what);
}

async function both(...cmd: Cmd): Promise<void> {
  const [ra, rb] = await Promise.all([a.call(...cmd), b.call(...cmd)]);
  assert.equal(rb.toString('latin1'), ra.toString('latin1'), JSON.stringify(cmd));
}

test('hash commands: random sequences give the same replies as redis-server (small listpack thresholds)', async (t) => {
  if (!redis) {
    t.skip('redis-server not installed: differential test NOT RUN');
    return;
  }
  await fc.assert(
    fc.asyncProperty(fc.integer({ min: 1, max: 6 }), fc.constantFrom(4, 8, 16, 64), fc.array(cmdArb, { minLength: 1, maxLength: 50 }), async (entries, value, cmds) => {
      await Promise.all([a.call('hello', '2'), b.call('hello', '2')]);
      await both('flushall');
      await both('config', 'set', 'hash-max-listpack-entries', entries, 'hash-max-listpack-value', value);
      for (const cmd of cmds) await run(cmd);
      // the final state of every key
      for (const k of KEYS) {
        await both('type', k);
        await both('object', 'encoding', k);
        await both('hlen', k);
        await both('debug', 'digest-value', k);
        assert.deepEqual([...(await hashMap(b, k))].sort(), [...(await hashMap(a, k))].sort(), `contents of ${k}`);
      }
      await both('debug', 'digest');
    }),
    { numRuns: Number(process.env.SHMKV_DIFF_RUNS ?? 80), includeErrorInReport: true },
  );
  await both('config', 'set', 'hash-max-listpack-entries', 128, 'hash-max-listpack-value', 64);
});

test('HSCAN of a large hash returns every field present throughout, while fields come and go', async (t) => {
  if (!redis) {
    t.skip('redis-server not installed: differential test NOT RUN');
    return;
  }
  await both('flushall');
  const args: string[] = [];
  for (let i = 0; i < 3000; i++) args.push(`f:${i}`, String(i));
  await both('hset', 'big', ...args);
  await both('object', 'encoding', 'big');
  for (const extra of [[], ['count', '7'], ['match', 'f:1*'], ['match', 'f:?5', 'count', '1000']] as Cmd[]) {
    assert.deepEqual(await scanAll(b, 'big', extra), await scanAll(a, 'big', extra), JSON.stringify(extra));
  }
  // changes between the calls of one scan: the fields never touched must all come back
  const seen = new Set<string>();
  let cursor = '0';
  let i = 0;
  do {
    const v = await b.callValue('hscan', 'big', cursor, 'count', '50');
    assert.ok(v.type === 'array');
    const [cur, items] = v.value as unknown as [{ value: Buffer }, { value: { value: Buffer }[] }];
    cursor = cur.value.toString();
    for (let k = 0; k < items.value.length; k += 2) seen.add(items.value[k]!.value.toString());
    const extra: string[] = [];
    for (let k = 0; k < 40; k++) extra.push(`new:${i}:${k}`, 'x');
    await b.call('hset', 'big', ...extra);
    await b.call('hdel', 'big', `f:${2000 + i}`);
    i++;
  } while (cursor !== '0');
  for (let k = 0; k < 2000; k++) assert.ok(seen.has(`f:${k}`), `f:${k} missing from the scan`);
  await both('del', 'big');
});

test('hash encodings: conversion points and DEBUG DIGEST-VALUE of a large hash', async (t) => {
  if (!redis) {
    t.skip('redis-server not installed: differential test NOT RUN');
    return;
  }
  await both('flushall');
  await both('config', 'set', 'hash-max-listpack-entries', 4, 'hash-max-listpack-value', 8);
  const seq: Cmd[] = [
    ['hset', 'a', 'f', '12345678'],
    ['object', 'encoding', 'a'],
    ['hincrbyfloat', 'a', 'f', '0.5'],
    ['object', 'encoding', 'a'],
    ['hset', 'b', 'f', '1'],
    ['hsetnx', 'b', 'f', 'a-very-long-value'],
    ['object', 'encoding', 'b'],
    ['hsetnx', 'b', 'g', 'a-very-long-value'],
    ['object', 'encoding', 'b'],
    ['hset', 'c', 'x', '1', 'x', '2', 'x', '3', 'x', '4', 'x', '5'],
    ['object', 'encoding', 'c'],
    ['hset', 'c', 'a', '1', 'b', '2', 'c', '3', 'd', '4'],
    ['object', 'encoding', 'c'],
    ['hdel', 'c', 'a', 'b', 'c', 'd'],
    ['object', 'encoding', 'c'],
    ['hincrby', 'd', 'long-field-name', '1'],
    ['object', 'encoding', 'd'],
    ['hrandfield', 'c', '5', 'withvalues'],
  ];
  for (const cmd of seq) await both(...cmd);
  await both('config', 'set', 'hash-max-listpack-entries', 128, 'hash-max-listpack-value', 64);
  const args: string[] = [];
  for (let i = 0; i < 1500; i++) args.push(`field-${i}`, `value-${i * 7}`);
  await both('hset', 'big', ...args);
  await both('debug', 'digest-value', 'big');
  await both('copy', 'big', 'big2');
  await both('hdel', 'big2', 'field-3');
  await both('debug', 'digest');
  await both('hlen', 'big2');
});

test('library: typed hash methods', () => {
  const segment = `test-kv-hash-${process.pid}`;
  let kv: KV | null = null;
  try {
    kv = open({ segment, create: true });
    assert.equal(kv.hset('h', { a: '1', b: 'x' }), 2);
    assert.equal(kv.hset('h', 'c', '3'), 1);
    assert.equal(kv.hget('h', 'a'), '1');
    assert.equal(kv.hget('h', 'zz'), null);
    assert.deepEqual(kv.hgetall('h'), { a: '1', b: 'x', c: '3' });
    assert.deepEqual(kv.hgetall('nope'), {});
    assert.equal(kv.hincrby('h', 'a', 41), 42);
    assert.equal(kv.hlen('h'), 3);
    assert.equal(kv.hdel('h', 'a', 'b', 'q'), 2);
    assert.equal(kv.hlen('h'), 1);
    assert.throws(() => kv!.hincrby('h', 'c', 'x' as unknown as number));
  } finally {
    kv?.close();
    removeSegment(segment);
  }
});
