/**
 * MEMORY against redis-server 7.0: HELP, errors, USAGE's argument checks and missing keys,
 * DOCTOR on a near-empty instance byte for byte; STATS with Redis's fields in Redis's
 * order (the values are each allocator's own); COMMAND GETKEYS MEMORY USAGE.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DiffPair, type Cmd } from '../helpers/differential.js';
import { decodeReply, toJS } from '../helpers/raw-client.js';
import { serverPair } from '../helpers/server-pair.js';

const servers = serverPair();

test('MEMORY: same replies as Redis where the allocator does not matter', async (t) => {
  const { redis, shmkv } = servers;
  if (!redis) return t.skip('redis-server missing');
  const d = await DiffPair.open(redis.port, shmkv.port);
  try {
    const cmds: Cmd[] = [
      ['FLUSHALL'],
      ['MEMORY', 'HELP'],
      ['MEMORY'],
      ['MEMORY', 'nosuch'],
      ['MEMORY', 'HELP', 'x'],
      ['MEMORY', 'DOCTOR'],
      ['MEMORY', 'PURGE'],
      ['MEMORY', 'USAGE'],
      ['MEMORY', 'USAGE', 'nokey'],
      ['SET', 'foo', 'bar'],
      ['MEMORY', 'USAGE', 'foo', 'SAMPLES'],
      ['MEMORY', 'USAGE', 'foo', 'SAMPLES', 'x'],
      ['MEMORY', 'USAGE', 'foo', 'SAMPLES', '-1'],
      ['MEMORY', 'USAGE', 'foo', 'bar', '1'],
      ['MEMORY', 'USAGE', 'nokey', 'SAMPLES', '0'],
      ['COMMAND', 'GETKEYS', 'MEMORY', 'USAGE', 'key'],
      ['COMMAND', 'GETKEYS', 'MEMORY', 'STATS'],
    ];
    await d.sameAll(cmds);
    for (const [a, b] of [await d.both(['MEMORY', 'USAGE', 'foo']), await d.both(['MEMORY', 'USAGE', 'foo', 'SAMPLES', '0'])]) {
      assert.match(a.toString(), /^:\d+\r\n$/);
      assert.match(b.toString(), /^:\d+\r\n$/);
    }
  } finally {
    d.close();
  }
});

test('MEMORY STATS: Redis\'s fields in Redis\'s order and types', async (t) => {
  const { redis, shmkv } = servers;
  if (!redis) return t.skip('redis-server missing');
  const d = await DiffPair.open(redis.port, shmkv.port);
  try {
    await d.both(['FLUSHALL']);
    await d.both(['SET', 'a', '1']);
    await d.both(['SELECT', '3']);
    await d.both(['SET', 'b', '2']);
    for (const proto of ['2', '3']) {
      await d.both(['HELLO', proto]);
      const [a, b] = await d.both(['MEMORY', 'STATS']);
      /** the reply's shape: keys, and each value's RESP type (nested maps by key) */
      const shape = (raw: Buffer): unknown => {
        const v = decodeReply(raw);
        const walk = (x: typeof v): unknown => {
          if (x.type === 'map') return x.value.map(([k, y]) => [toJS(k), walk(y)]);
          if (x.type === 'array') return x.value.map((y, i) => (i % 2 === 0 ? toJS(y) : walk(y)));
          // RESP2 floats are bulk strings: tell them from keys by their digits
          if (x.type === 'bulk') return /^[0-9.e+-]+$/.test(x.value.toString()) ? 'float' : 'bulk';
          return x.type === 'double' ? 'float' : x.type;
        };
        return walk(v);
      };
      assert.deepEqual(shape(b), shape(a), `RESP${proto}`);
      assert.match(b.toString('latin1'), /\$10\r\nkeys\.count\r\n:2\r\n/);
    }
  } finally {
    d.close();
  }
});
