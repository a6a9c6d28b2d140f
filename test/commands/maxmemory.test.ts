/**
 * maxmemory and the access metadata behind it: LFU counting and OOM refusals compared
 * with redis-server 7.0 reply for reply; eviction by each policy checked on shmkv alone
 * (which keys go is sampled at random, in Redis as here), then the keyspace checked whole.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { RawClient, decodeReply, toJS } from '../helpers/raw-client.js';
import { serverPair } from '../helpers/server-pair.js';
import { startShmkvServer } from '../helpers/shmkv-server.js';
import { sleep } from '../helpers/ports.js';
import { openKeyspace as openStore } from '../../src/keyspace/open.js';
import { checkKeyspace } from '../../src/keyspace/check.js';
import '../../src/types/index.js';

const servers = serverPair({ connect: true });

type Cmd = (string | number)[];

async function same(cmd: Cmd): Promise<void> {
  const [ra, rb] = await Promise.all([servers.redisClient!.call(...cmd), servers.shmkvClient.call(...cmd)]);
  assert.equal(rb.toString('latin1'), ra.toString('latin1'), `${cmd.join(' ')}`);
}

async function js(c: RawClient, ...cmd: Cmd): Promise<unknown> {
  return toJS(decodeReply(await c.call(...cmd)));
}

async function info(c: RawClient, field: string): Promise<number> {
  const text = String(await js(c, 'INFO', 'everything'));
  const m = new RegExp(`^${field}:(\\d+)`, 'm').exec(text);
  assert.ok(m, `INFO has ${field}`);
  return Number(m[1]);
}

/** What maxmemory limits: used_memory less mem_not_counted_for_evict (as in Redis). */
async function evictable(c: RawClient): Promise<number> {
  return (await info(c, 'used_memory')) - (await info(c, 'mem_not_counted_for_evict'));
}

// Values that are not integers: Redis shares small integer objects (one LFU counter for
// all keys holding "1"), which a store without shared objects has no reason to copy.
const KEYS = ['k1', 'k2', 'k3'];
const VALUES = ['v', 'hello', 'x y', 'abc1'];

function commandArb(): fc.Arbitrary<Cmd> {
  const key = fc.constantFrom(...KEYS);
  const val = fc.constantFrom(...VALUES);
  return fc.oneof(
    fc.tuple(key, val).map(([k, v]) => ['SET', k, v]),
    fc.tuple(key, val).map(([k, v]) => ['SET', k, v, 'GET']),
    fc.tuple(key, val).map(([k, v]) => ['SET', k, v, 'NX']),
    fc.tuple(key, val).map(([k, v]) => ['SET', k, v, 'XX']),
    fc.tuple(key, val).map(([k, v]) => ['GETSET', k, v]),
    fc.tuple(key, val, key, val).map(([k, v, k2, v2]) => ['MSET', k, v, k2, v2]),
    fc.tuple(key, val).map(([k, v]) => ['MSETNX', k, v]),
    fc.tuple(key, val).map(([k, v]) => ['SETNX', k, v]),
    key.map((k) => ['GET', k]),
    key.map((k) => ['STRLEN', k]),
    key.map((k) => ['GETRANGE', k, 0, 1]),
    key.map((k) => ['GETEX', k]),
    fc.tuple(key, val).map(([k, v]) => ['APPEND', k, v]),
    fc.tuple(key, val).map(([k, v]) => ['SETRANGE', k, 1, v]),
    key.map((k) => ['EXPIRE', k, 1000]),
    key.map((k) => ['PERSIST', k]),
    key.map((k) => ['TTL', k]),
    key.map((k) => ['TYPE', k]),
    key.map((k) => ['EXISTS', k]),
    key.map((k) => ['TOUCH', k]),
    fc.tuple(key, key).map(([k, k2]) => ['COPY', k, k2]),
    fc.tuple(key, key).map(([k, k2]) => ['RENAME', k, k2]),
    fc.tuple(key, key).map(([k, k2]) => ['RENAMENX', k, k2]),
    key.map((k) => ['DEL', k]),
    key.map((k) => ['OBJECT', 'FREQ', k]),
  );
}

test('LFU access counts (OBJECT FREQ) match Redis command for command (lfu-log-factor 0: every access counts)', async (t) => {
  if (!servers.redis) return t.skip('redis-server not installed: LFU differential test SKIPPED');
  const [a, b] = [servers.redisClient!, servers.shmkvClient];
  for (const c of [a, b]) {
    await c.call('FLUSHALL');
    await c.call('CONFIG', 'SET', 'maxmemory-policy', 'allkeys-lfu', 'lfu-log-factor', '0', 'lfu-decay-time', '0');
  }
  try {
    await fc.assert(
      fc.asyncProperty(fc.array(commandArb(), { minLength: 5, maxLength: 40 }), async (cmds) => {
        await Promise.all([a.call('FLUSHALL'), b.call('FLUSHALL')]);
        for (const cmd of cmds) {
          await same(cmd);
          for (const k of KEYS) await same(['OBJECT', 'FREQ', k]);
        }
      }),
      { numRuns: Number(process.env.SHMKV_DIFF_RUNS ?? 60) },
    );
  } finally {
    for (const c of [a, b]) await c.call('CONFIG', 'SET', 'maxmemory-policy', 'noeviction', 'lfu-log-factor', '10', 'lfu-decay-time', '1');
  }
});

test('over maxmemory: noeviction, and volatile policies without volatile keys, refuse writes as Redis does', async (t) => {
  if (!servers.redis) return t.skip('redis-server not installed: maxmemory differential test SKIPPED');
  const [a, b] = [servers.redisClient!, servers.shmkvClient];
  for (const c of [a, b]) await c.call('FLUSHALL');
  await same(['SET', 'keep', 'value']);
  await same(['SET', 'n', '5']);
  // small integers are shared objects in Redis (refcount INT_MAX) unless maxmemory is set with an LRU/LFU policy
  await same(['CONFIG', 'SET', 'maxmemory-policy', 'allkeys-lru']);
  await same(['OBJECT', 'REFCOUNT', 'n']);
  try {
    for (const policy of ['noeviction', 'volatile-lru', 'volatile-lfu', 'volatile-random', 'volatile-ttl']) {
      await same(['CONFIG', 'SET', 'maxmemory-policy', policy]);
      await same(['CONFIG', 'SET', 'maxmemory', '1']);
      await same(['OBJECT', 'REFCOUNT', 'n']);
      await same(['SET', 'k', 'v']);
      await same(['APPEND', 'keep', 'more']);
      await same(['INCR', 'n']);
      await same(['MSET', 'a', '1', 'b', '2']);
      await same(['GET', 'keep']);
      await same(['EXISTS', 'keep', 'k']);
      await same(['EXPIRE', 'keep', '100']);
      await same(['PERSIST', 'keep']);
      await same(['CONFIG', 'SET', 'maxmemory', '0']);
      await same(['SET', 'k', 'v']);
      await same(['DEL', 'k']);
    }
    for (const name of ['maxmemory', 'maxmemory-policy', 'maxmemory-samples', 'maxmemory-eviction-tenacity', 'lfu-log-factor', 'lfu-decay-time']) {
      await same(['CONFIG', 'GET', name]);
    }
  } finally {
    for (const c of [a, b]) await c.call('CONFIG', 'SET', 'maxmemory', '0', 'maxmemory-policy', 'noeviction');
  }
});

/** Fill to `used + room` bytes' worth of limit, under `policy`; returns the limit. */
async function limitTo(c: RawClient, policy: string, room: number, samples = 10): Promise<number> {
  const limit = (await evictable(c)) + room;
  await c.call('CONFIG', 'SET', 'maxmemory-policy', policy, 'maxmemory-samples', String(samples), 'maxmemory', String(limit));
  return limit;
}

async function setMany(c: RawClient, prefix: string, n: number, extra: Cmd = []): Promise<void> {
  for (let i = 0; i < n; i++) c.send('SET', `${prefix}${i}`, 'x'.repeat(100), ...extra);
  const replies = await c.readN(n);
  for (const r of replies) assert.equal(r.toString(), '+OK\r\n');
}

async function present(c: RawClient, prefix: string, n: number): Promise<number> {
  for (let i = 0; i < n; i++) c.send('EXISTS', `${prefix}${i}`);
  const replies = await c.readN(n);
  return replies.filter((r) => r.toString() === ':1\r\n').length;
}

test('eviction keeps used memory under maxmemory, by policy; the keyspace stays whole', async () => {
  const s = await startShmkvServer();
  const c = await RawClient.connect(s.port);
  try {
    // allkeys-random: anything may go, but the limit holds and writes keep succeeding
    let limit = await limitTo(c, 'allkeys-random', 64 * 1024);
    await setMany(c, 'r:', 3000);
    assert.ok((await evictable(c)) <= limit, 'used_memory <= maxmemory');
    const evictedRandom = await info(c, 'evicted_keys');
    assert.ok(evictedRandom > 1000, `evicted ${evictedRandom}`);
    assert.equal((await js(c, 'DBSIZE')) as number, 3000 - evictedRandom);

    // allkeys-lru: keys idle for 2 s go before keys just written (the LRU clock counts seconds)
    await c.call('FLUSHALL');
    await c.call('CONFIG', 'SET', 'maxmemory', '0');
    await setMany(c, 'old:', 400);
    await sleep(2100);
    limit = await limitTo(c, 'allkeys-lru', 0);
    await setMany(c, 'new:', 100);
    assert.equal(await present(c, 'new:', 100), 100, 'every recent key survives');
    assert.ok((await present(c, 'old:', 400)) < 400 - 50, 'idle keys were evicted instead');
    assert.ok((await evictable(c)) <= limit);

    // allkeys-lfu: keys read often outlive keys never read
    await c.call('FLUSHALL');
    await c.call('CONFIG', 'SET', 'maxmemory', '0', 'lfu-log-factor', '0');
    await c.call('CONFIG', 'SET', 'maxmemory-policy', 'allkeys-lfu');
    await setMany(c, 'cold:', 400);
    await setMany(c, 'hot:', 50);
    for (let round = 0; round < 5; round++) {
      for (let i = 0; i < 50; i++) c.send('GET', `hot:${i}`);
      await c.readN(50);
    }
    limit = await limitTo(c, 'allkeys-lfu', 0);
    await setMany(c, 'more:', 100);
    assert.equal(await present(c, 'hot:', 50), 50, 'every frequently read key survives');
    assert.ok((await evictable(c)) <= limit);

    // volatile-ttl: only keys with an expiry go, the soonest first; then writes are refused
    await c.call('FLUSHALL');
    await c.call('CONFIG', 'SET', 'maxmemory', '0', 'lfu-log-factor', '10');
    await setMany(c, 'keep:', 100);
    await setMany(c, 'soon:', 100, ['EX', '1000']);
    await setMany(c, 'late:', 100, ['EX', '100000']);
    await limitTo(c, 'volatile-ttl', 0);
    await setMany(c, 'keep2:', 60);
    assert.equal(await present(c, 'keep:', 100), 100, 'keys without an expiry are never evicted');
    // sampled, not exact (as in Redis): when few soon-expiring keys are left, a sample may miss them all
    const soonGone = 100 - (await present(c, 'soon:', 100));
    const lateGone = 100 - (await present(c, 'late:', 100));
    assert.ok(soonGone > 0 && lateGone * 5 <= soonGone, `the soonest expiries went first (soon ${soonGone}, late ${lateGone})`);
    for (let i = 0; i < 400; i++) c.send('SET', `keep3:${i}`, 'x'.repeat(100));
    const last = (await c.readN(400)).map((r) => r.toString());
    assert.ok(last.includes("-OOM command not allowed when used memory > 'maxmemory'.\r\n"), 'OOM once no key with an expiry is left');
    assert.equal(await present(c, 'keep:', 100), 100);

    // raising the limit lets writes in again; lowering it below the usage evicts in the background
    await c.call('CONFIG', 'SET', 'maxmemory-policy', 'allkeys-random', 'maxmemory', '0');
    await setMany(c, 'fill:', 500);
    const before = await evictable(c);
    await c.call('CONFIG', 'SET', 'maxmemory', String(Math.floor(before / 2)));
    let after = before;
    for (let i = 0; i < 100 && after > before / 2; i++) {
      await sleep(20);
      after = await evictable(c);
    }
    assert.ok(after <= before / 2, `cron evicted down to the new limit (${after} of ${before})`);
    assert.match(s.output(), /WARNING: the new maxmemory value .* is smaller than the current memory usage/);
    c.close();
    s.kill('SIGTERM');
    await s.exited();
    const store = openStore({ segment: s.segment, create: false });
    try {
      const report = checkKeyspace(store);
      assert.deepEqual(report.errors, []);
      assert.ok(report.ok);
    } finally {
      store.close();
    }
  } finally {
    c.close();
    await s.stop();
  }
});
