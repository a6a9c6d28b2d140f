/**
 * src/util/glob.ts against fixed cases and, differentially, against real Redis's KEYS
 * (stringmatchlen) on random byte patterns and keys.
 */

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { compileGlob, stringMatch } from '../../src/util/glob.js';
import { RawClient, decodeReply } from '../helpers/raw-client.js';
import { startRedisOracle, type RedisOracle } from '../helpers/redis-oracle.js';

test('glob: fixed cases', () => {
  const yes: [string, string][] = [
    ['*', 'anything'],
    ['h?llo', 'hello'],
    ['h*llo', 'heeeello'],
    ['h[ae]llo', 'hallo'],
    ['h[^e]llo', 'hallo'],
    ['h[a-b]llo', 'hbllo'],
    ['h[b-a]llo', 'hallo'],
    ['h\\*llo', 'h*llo'],
    ['*a*b*', 'xxaxxbxx'],
    ['a*', 'a'],
    ['[\\]]', ']'],
    ['foo\\', 'foo\\'],
    ['[^', 'x'],
    ['user:*:name', 'user:1000:name'],
  ];
  const no: [string, string][] = [
    ['h[^e]llo', 'hello'],
    ['h[a-b]llo', 'hcllo'],
    ['h?llo', 'hllo'],
    ['**', ''],
    ['*', ''],
    ['?', ''],
    ['a', 'A'],
    ['[', 'a'],
    ['[a-]', '-'],
    ['abc', 'ab'],
    ['ab', 'abc'],
  ];
  for (const [p, s] of yes) assert.equal(stringMatch(p, s), true, `${p} ~ ${s}`);
  for (const [p, s] of no) assert.equal(stringMatch(p, s), false, `${p} !~ ${s}`);
  assert.equal(stringMatch('HELLO', 'hello', true), true);
  assert.equal(stringMatch('h[A-Z]llo', 'hello', true), true);
  assert.equal(stringMatch('h[A-Z]llo', 'hello', false), false);
  // KEYS * lists everything, even the empty key
  assert.equal(compileGlob('*')(''), true);
  // bytes >= 0x80 compare as signed chars in ranges, like Redis on x86
  assert.equal(stringMatch(Buffer.from([0x5b, 0x61, 0x2d, 0xff, 0x5d]), Buffer.from([0x62])), false);
  assert.equal(stringMatch(Buffer.from([0x5b, 0xff, 0x2d, 0x61, 0x5d]), Buffer.from([0x00])), true);
});

test('glob: abusive patterns stay fast', () => {
  const p = 'a*'.repeat(40) + 'b';
  const s = 'a'.repeat(60);
  const t0 = performance.now();
  assert.equal(stringMatch(p, s), false);
  assert.ok(performance.now() - t0 < 500);
});

let redis: RedisOracle | null = null;
let c: RawClient;

before(async () => {
  redis = await startRedisOracle();
  if (redis) c = await RawClient.connect(redis.port);
});

after(async () => {
  c?.close();
  await redis?.stop();
});

const ALPHABET = [0x61, 0x62, 0x41, 0x2a, 0x3f, 0x5b, 0x5d, 0x5e, 0x2d, 0x5c, 0x80, 0xff, 0x00];

test('glob: same matches as Redis KEYS on random patterns (differential)', async (t) => {
  if (!redis) {
    t.skip('redis-server missing');
    return;
  }
  const bytes = (max: number) => fc.array(fc.constantFrom(...ALPHABET), { minLength: 0, maxLength: max }).map((a) => Buffer.from(a));
  const keys = fc.sample(bytes(6), { numRuns: 200, seed: 42 });
  keys.push(Buffer.alloc(0), Buffer.from('a'), Buffer.from('ab'), Buffer.from('a[b'), Buffer.from('\\'));
  const uniq = new Map<string, Buffer>();
  for (const k of keys) uniq.set(k.toString('hex'), k);
  await c.call('FLUSHALL');
  for (const k of uniq.values()) await c.call('SET', k, '1');
  await fc.assert(
    fc.asyncProperty(bytes(7), fc.boolean(), async (pattern, _unused) => {
      if (pattern.length === 1 && pattern[0] === 0x2a) return;
      const v = decodeReply(await c.call('KEYS', pattern));
      assert.equal(v.type, 'array');
      const got = new Set((v.type === 'array' ? v.value : []).map((x) => (x.type === 'bulk' ? x.value.toString('hex') : '?')));
      const m = compileGlob(pattern);
      const mine = new Set([...uniq.values()].filter((k) => m(k)).map((k) => k.toString('hex')));
      assert.deepEqual([...mine].sort(), [...got].sort(), `pattern ${pattern.toString('hex')}`);
    }),
    { numRuns: 400, seed: 7 },
  );
});
