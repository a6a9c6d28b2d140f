/**
 * DUMP of a huge value is incremental (src/persistence/dump_job.ts): the server serialises
 * it a slice per event-loop turn under a copy-on-write epoch, so
 *  - other clients are served meanwhile (their commands complete before the DUMP's reply),
 *  - writes to the very key being dumped — by a server client and by a library process —
 *    go on, and the payload is still the value as it was when the DUMP ran,
 *  - the payload is Redis's: RESTORE in a real redis-server gives that value,
 *  - afterwards nothing of the epoch is left (checker clean, quarantined memory back),
 *  - if writers change more than the epoch's shadow holds, the reply is the key as it was
 *    when that was found (still one whole value).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Redis } from 'ioredis';
import { open } from '../../src/kv/index.js';
import { openKeyspace } from '../../src/keyspace/open.js';
import { checkKeyspace } from '../../src/keyspace/check.js';
import { startShmkvServer } from '../helpers/shmkv-server.js';
import { startRedisOracle } from '../helpers/redis-oracle.js';
import '../../src/types/index.js';

type Reader = (r: Redis, key: string) => Promise<unknown>;

const N = 60_000;

const CASES: { name: string; fill: (r: Redis, key: string) => Promise<void>; write: (r: Redis, key: string, i: number) => Promise<unknown>; libWrite: (kv: ReturnType<typeof open>, key: string, i: number) => void; read: Reader }[] = [
  {
    name: 'hash',
    fill: async (r, k) => {
      for (let b = 0; b < N; b += 5000) await r.hset(k, Object.fromEntries(Array.from({ length: 5000 }, (_, j) => [`f${b + j}`, `v${b + j}`])));
    },
    write: (r, k, i) => (i % 2 ? r.hset(k, `f${i * 7}`, 'changed') : r.hdel(k, `f${i * 13}`)),
    libWrite: (kv, k, i) => void kv.call('HSET', k, `lib${i}`, 'x'),
    read: async (r, k) => Object.entries(await r.hgetall(k)).sort(),
  },
  {
    name: 'set',
    fill: async (r, k) => {
      for (let b = 0; b < N; b += 5000) await r.sadd(k, ...Array.from({ length: 5000 }, (_, j) => `m${b + j}`));
    },
    write: (r, k, i) => (i % 2 ? r.sadd(k, `new${i}`) : r.srem(k, `m${i * 11}`)),
    libWrite: (kv, k, i) => void kv.call('SADD', k, `lib${i}`),
    read: async (r, k) => (await r.smembers(k)).sort(),
  },
  {
    name: 'zset',
    fill: async (r, k) => {
      for (let b = 0; b < N; b += 5000) await r.zadd(k, ...Array.from({ length: 5000 }, (_, j) => [String((b + j) / 3), `z${b + j}`]).flat());
    },
    write: (r, k, i) => (i % 2 ? r.zincrby(k, 5, `z${i * 3}`) : r.zrem(k, `z${i * 17}`)),
    libWrite: (kv, k, i) => void kv.call('ZADD', k, i, `lib${i}`),
    read: (r, k) => r.zrange(k, 0, -1, 'WITHSCORES'),
  },
  {
    name: 'list',
    fill: async (r, k) => {
      for (let b = 0; b < N; b += 5000) await r.rpush(k, ...Array.from({ length: 5000 }, (_, j) => `e${b + j}`));
    },
    write: (r, k, i) => (i % 3 === 0 ? r.lpush(k, `new${i}`) : i % 3 === 1 ? r.lset(k, i * 5, 'changed') : r.rpop(k)),
    libWrite: (kv, k, i) => void kv.call('LINSERT', k, 'BEFORE', `e${i * 9}`, 'ins'),
    read: (r, k) => r.lrange(k, 0, -1),
  },
  {
    name: 'string',
    fill: async (r, k) => {
      await r.set(k, Buffer.alloc(6 << 20, 'abcdefgh'));
    },
    write: (r, k, i) => (i % 2 ? r.setrange(k, i * 1000, 'CHANGED') : r.append(k, 'tail')),
    libWrite: (kv, k, i) => void kv.call('SETRANGE', k, i * 997, 'LIB'),
    read: async (r, k) => (await r.getBuffer(k))!.toString('latin1'),
  },
];

test('DUMP of huge values is incremental: others are served, writers go on, the payload is the value of the instant', async (t) => {
  const redis = await startRedisOracle();
  if (!redis) {
    t.skip('redis-server missing');
    return;
  }
  const server = await startShmkvServer({ args: ['--save', ''] });
  const a = new Redis({ port: server.port, lazyConnect: true });
  const b = new Redis({ port: server.port, lazyConnect: true });
  const rr = new Redis({ port: redis.port, lazyConnect: true });
  await a.connect();
  await b.connect();
  await rr.connect();
  const kv = open({ segment: server.segment, create: false });
  try {
    for (const c of CASES) {
      const key = `big:${c.name}`;
      await c.fill(a, key);
      const want = await c.read(a, key);
      let dumpDone = false;
      const dump = a.dumpBuffer(key).then((p) => {
        dumpDone = true;
        return p;
      });
      // others are served while the dump runs, and write the very key
      let servedBefore = 0;
      for (let i = 1; i <= 40; i++) {
        await c.write(b, key, i);
        c.libWrite(kv, key, i);
        if (!dumpDone) servedBefore++;
      }
      const payload = (await dump)!;
      assert.ok(servedBefore > 0, `${c.name}: other clients were served while the DUMP ran`);
      await rr.del(key);
      assert.equal(await rr.restore(key, 0, payload), 'OK', `${c.name}: redis-server takes the payload`);
      assert.deepEqual(await c.read(rr, key), want, `${c.name}: the payload is the value of the DUMP's instant`);
      // and our own RESTORE too
      await a.restore(`${key}:copy`, 0, payload);
      assert.deepEqual(await c.read(a, `${key}:copy`), want);
      const ks = openKeyspace({ segment: server.segment, create: false });
      try {
        assert.equal(ks.heap.cow.info(), null, `${c.name}: the epoch is over`);
        assert.deepEqual(ks.exec(() => checkKeyspace(ks)).errors, []);
      } finally {
        ks.close();
      }
    }
    // writes beyond the shadow (8 MB): the reply is the key as it was when that was found
    const key = 'big:string';
    await a.set(key, Buffer.alloc(12 << 20, 'x'));
    const dump = a.dumpBuffer(key);
    await b.setrange(key, 0, Buffer.alloc(10 << 20, 'y'));
    const payload = (await dump)!;
    await rr.del(key);
    await rr.restore(key, 0, payload);
    const got = (await rr.getBuffer(key))!;
    assert.equal(got.length, 12 << 20);
    assert.ok(got.subarray(0, 10 << 20).every((x) => x === 0x79) || got.every((x) => x === 0x78), 'one whole value');
  } finally {
    kv.close();
    a.disconnect();
    b.disconnect();
    rr.disconnect();
    await server.stop();
    await redis.stop();
  }
});
