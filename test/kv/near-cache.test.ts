/**
 * The library's near cache (open({ cache })): a kv.get answered from this process's memory
 * must be what a read of the segment would answer, whoever changed the key and however.
 *
 * - random changes by another handle (every way a key changes: overwrite, delete, rename,
 *   move, copy, swapdb, flush, type change, TTL, restore…): a cached handle and an uncached
 *   one read the same after each (GET and MGET);
 * - another process writing two keys together (MSET) while this one reads them through the
 *   cache: never older than a read of the segment just before, never the second key older
 *   than the first, and the last values at the end, with bursts of writes past the change
 *   ring's capacity;
 * - a writer process SIGKILLed inside its transactions, many times: the cache never hands
 *   out a value of a transaction that was rolled back, and agrees with the segment after;
 * - a key with a TTL stops being handed out when it expires;
 * - hits are counted as GETs (INFO), entries are bounded, and the cache stands aside while
 *   maxmemory may evict by access (LRU/LFU stamps a hit would not refresh).
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { open, type KV } from '../../src/kv/index.js';
import { unlinkPosix } from '../../src/shm/posix.js';
import { DEFAULT_CHANGES_CAPACITY } from '../../src/keyspace/changes.js';
import { startWorker, stopAll } from '../helpers/kv-workers.js';

const segments: string[] = [];
let nseg = 0;
function segment(): string {
  const s = `test-near-${process.pid}-${nseg++}`;
  segments.push(s);
  return s;
}

after(async () => {
  await stopAll();
  for (const s of segments) {
    try {
      unlinkPosix(s);
    } catch {
      /* not created */
    }
  }
});

type Outcome = string | null | { error: string };
function read(kv: KV, key: string): Outcome {
  try {
    return kv.get(key);
  } catch (e) {
    return { error: (e as Error).message };
  }
}

function attempt(f: () => unknown): void {
  try {
    f();
  } catch {
    /* an error reply is one of the outcomes the writer may get */
  }
}

test('near cache: reads the same as an uncached handle after every kind of change by another handle', () => {
  const seg = segment();
  const cached = open({ segment: seg, cache: true });
  const plain = open({ segment: seg });
  const w = open({ segment: seg });
  const keys = ['a', 'b', 'c', 'd', 'é', 'long:key:with:more:bytes', 'n', 'x'];
  let x = 12345;
  const rnd = (n: number) => {
    x = (Math.imul(x, 1103515245) + 12345) >>> 0;
    return (x >>> 8) % n;
  };
  const key = () => keys[rnd(keys.length)]!;
  const value = () => ['v', 'väl', '12', String(rnd(1000)), 'x'.repeat(rnd(300)), ''][rnd(6)]!;
  const ops: (() => void)[] = [
    () => w.set(key(), value()),
    () => w.set(key(), value()),
    () => w.call('SET', key(), value(), 'KEEPTTL'),
    () => w.del(key()),
    () => w.call('APPEND', key(), value()),
    () => w.call('INCR', key()),
    () => w.call('SETRANGE', key(), rnd(5), value()),
    () => w.call('EXPIRE', key(), 1000),
    () => w.call('PERSIST', key()),
    () => w.call('PEXPIREAT', key(), Date.now() - 10),
    () => w.call('RENAME', key(), key()),
    () => w.call('MOVE', key(), 1),
    () => w.call('COPY', key(), key(), 'REPLACE'),
    () => w.call('COPY', key(), key(), 'DB', 1, 'REPLACE'),
    () => rnd(4) === 0 && w.call('SWAPDB', 0, 1),
    () => rnd(10) === 0 && w.call('FLUSHDB'),
    () => rnd(20) === 0 && w.call('FLUSHALL'),
    () => w.call('LPUSH', key(), value()),
    () => w.call('GETDEL', key()),
    () => w.call('GETEX', key(), 'PX', 100_000),
    () => w.call('GETEX', key(), 'PERSIST'),
    () => w.call('MSET', key(), value(), key(), value()),
    () => w.call('SETNX', key(), value()),
    () => w.call('INCRBYFLOAT', key(), '1.5'),
    () => {
      const k = key();
      const d = w.callBuffer('DUMP', k);
      if (d !== null) w.call('RESTORE', key(), 0, d as Buffer, 'REPLACE');
    },
    () => {
      // a transaction whose second command fails at run time: the first stays (Redis's rule)
      const t = w.multi();
      t.set(key(), value());
      t.call('LPUSH', 'n', 'x');
      t.call('INCR', 'n');
      t.exec();
    },
    // the cached handle's own writes
    () => cached.set(key(), value()),
    () => cached.del(key()),
  ];
  let db = 0;
  for (let step = 0; step < 6000; step++) {
    attempt(ops[rnd(ops.length)]!);
    if (rnd(50) === 0) {
      db = 1 - db;
      cached.call('SELECT', db);
      plain.call('SELECT', db);
    }
    for (let r = 0; r < 3; r++) {
      const k = key();
      const want = read(plain, k);
      assert.deepEqual(read(cached, k), want, `step ${step}: GET ${k} in db ${db}`);
      // twice: the second read is the cached one when the first filled
      assert.deepEqual(read(cached, k), want, `step ${step}: GET ${k} in db ${db}, again`);
    }
    const ks = [key(), key(), key()];
    assert.deepEqual(cached.mget(ks), plain.mget(ks), `step ${step}: MGET ${ks.join(' ')} in db ${db}`);
  }
  const st = cached.cacheStats()!;
  assert.ok(st.hits > 1000 && st.fills > 1000 && st.dropped > 100, JSON.stringify(st));
  cached.close();
  plain.close();
  w.close();
});

test('near cache: another process writing keys is never seen older than a read of the segment before it, and its last write is seen', async () => {
  const seg = segment();
  const kv = open({ segment: seg, cache: true });
  const plain = open({ segment: seg });
  kv.flushall();
  const N = 4000;
  const worker = startWorker(['pairs', seg, String(N)]);
  await worker.ready;
  let reads = 0;
  let done = false;
  void worker.exited.then(() => (done = true));
  while (!done) {
    for (let i = 0; i < 200; i++) {
      // a read of the segment, then the cached read: never older. And MSET pa n pb n: the
      // second key read through the cache never older than the first
      const first = i & 1 ? 'pa' : 'pb';
      const second = i & 1 ? 'pb' : 'pa';
      const truth = Number(plain.get(first));
      const v1 = Number(kv.get(first));
      const v2 = Number(kv.get(second));
      reads += 2;
      assert.ok(v1 >= truth, `${first} = ${v1} from the cache after ${truth} from the segment`);
      assert.ok(v2 >= v1, `${second} = ${v2} read after ${first} = ${v1}`);
    }
    await new Promise((r) => setImmediate(r));
  }
  const e = await worker.exited;
  assert.equal(e.code, 0, e.err);
  assert.equal(kv.get('pa'), String(N));
  assert.equal(kv.get('pb'), String(N));
  assert.equal(kv.get('pfill:1'), String(N));
  const st = kv.cacheStats()!;
  assert.ok(st.hits > 0, `reads ${reads}, ${JSON.stringify(st)}`);
  kv.close();
  plain.close();
});

test('near cache: a writer SIGKILLed inside its transactions, again and again: nothing it did not commit is ever handed out', async () => {
  const seg = segment();
  const cached = open({ segment: seg, cache: true });
  const plain = open({ segment: seg });
  cached.flushall();
  const KEYS = 50;
  const rounds = Number(process.env.SHMKV_CRASH_ITERATIONS ?? 8);
  let x = 99;
  const rnd = (n: number) => {
    x = (Math.imul(x, 1103515245) + 12345) >>> 0;
    return (x >>> 8) % n;
  };
  for (let round = 0; round < rounds; round++) {
    // each transaction: SET seq:0..49 to n, INCR counter (test/fixtures/kv-worker.ts 'long')
    const w = startWorker(['long', seg, String(KEYS)]);
    await w.ready;
    const until = Date.now() + 20 + rnd(60);
    while (Date.now() < until) {
      for (let i = 0; i < 50; i++) {
        const k = `seq:${rnd(KEYS)}`;
        const c = Number(cached.get(k));
        const p = Number(plain.get(k));
        // values only grow: a read of the segment after the cached read is never older
        assert.ok(c <= p, `round ${round}: ${k} = ${c} from the cache, then ${p} from the segment`);
      }
      await new Promise((r) => setImmediate(r));
    }
    w.kill('SIGKILL');
    await w.exited;
    // the dead writer's open transaction is rolled back by whoever takes the lock next:
    // every key is the last committed counter, through the cache too
    const counter = plain.get('counter');
    for (let j = 0; j < KEYS; j++) {
      assert.equal(plain.get(`seq:${j}`), counter, `round ${round}: seq:${j} in the segment`);
      assert.equal(cached.get(`seq:${j}`), counter, `round ${round}: seq:${j} from the cache`);
    }
  }
  assert.ok(cached.cacheStats()!.hits > 0);
  cached.close();
  plain.close();
});

test('near cache: a change the ring has overwritten since (more changes than its capacity) is not missed', () => {
  const seg = segment();
  const cached = open({ segment: seg, cache: true });
  const w = open({ segment: seg });
  w.set('k', 'old');
  assert.equal(cached.get('k'), 'old');
  assert.equal(cached.get('k'), 'old');
  w.set('k', 'new');
  for (let i = 0; i < DEFAULT_CHANGES_CAPACITY + 10; i++) w.set(`f:${i % 100}`, 'x');
  assert.equal(cached.get('k'), 'new');
  cached.close();
  w.close();
});

test('near cache: a cached key with a TTL is not handed out once it expired', async () => {
  const seg = segment();
  const cached = open({ segment: seg, cache: true });
  const w = open({ segment: seg });
  w.set('t', 'soon', { px: 40 });
  assert.equal(cached.get('t'), 'soon');
  assert.equal(cached.get('t'), 'soon');
  assert.equal(cached.cacheStats()!.hits, 1);
  await new Promise((r) => setTimeout(r, 60));
  assert.equal(cached.get('t'), null);
  assert.equal(w.get('t'), null);
  cached.close();
  w.close();
});

test('near cache: hits count as GETs, entries stay bounded, and the cache stands aside under an LRU or LFU maxmemory policy', () => {
  const seg = segment();
  const cached = open({ segment: seg, cache: { entries: 10 } });
  for (let i = 0; i < 50; i++) cached.set(`k${i}`, `v${i}`);
  const hitsBefore = Number(/keyspace_hits:(\d+)/.exec(cached.call('INFO', 'stats') as string)![1]);
  for (let r = 0; r < 3; r++) for (let i = 0; i < 50; i++) assert.equal(cached.get(`k${i}`), `v${i}`);
  assert.ok(cached.cacheStats()!.size <= 10);
  for (let r = 0; r < 5; r++) assert.equal(cached.get('k49'), 'v49');
  const hitsAfter = Number(/keyspace_hits:(\d+)/.exec(cached.call('INFO', 'stats') as string)![1]);
  assert.equal(hitsAfter - hitsBefore, 155);
  assert.match(cached.call('INFO', 'commandstats') as string, /cmdstat_get:calls=155,/);
  // MGET of cached keys: answered here, a hit per key
  assert.deepEqual(cached.mget('k49', 'k48'), ['v49', 'v48']);
  assert.deepEqual(cached.mget('k49', 'k48'), ['v49', 'v48']);
  const hitsMget = Number(/keyspace_hits:(\d+)/.exec(cached.call('INFO', 'stats') as string)![1]);
  assert.equal(hitsMget - hitsAfter, 4);
  assert.match(cached.call('INFO', 'commandstats') as string, /cmdstat_mget:calls=2,/);

  // allkeys-lru with maxmemory set (by another handle, as a server's CONFIG SET would)
  const other = open({ segment: seg });
  other.call('CONFIG', 'SET', 'maxmemory', '1gb');
  other.call('CONFIG', 'SET', 'maxmemory-policy', 'allkeys-lru');
  const h0 = cached.cacheStats()!.hits;
  for (let i = 0; i < 5; i++) assert.equal(cached.get('k49'), 'v49');
  assert.equal(cached.cacheStats()!.hits, h0);
  other.call('CONFIG', 'SET', 'maxmemory-policy', 'noeviction');
  for (let i = 0; i < 5; i++) assert.equal(cached.get('k49'), 'v49');
  assert.equal(cached.cacheStats()!.hits, h0 + 4);
  other.call('CONFIG', 'SET', 'maxmemory', '0');
  other.close();
  cached.close();
});

test('near cache: options are checked', () => {
  const seg = segment();
  assert.throws(() => open({ segment: seg, cache: { entries: 0 } }), /cache.entries/);
  assert.throws(() => open({ segment: seg, cache: { maxValue: -1 } }), /cache.maxValue/);
});
