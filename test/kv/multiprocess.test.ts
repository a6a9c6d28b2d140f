/**
 * Several processes on one keyspace: library processes (test/fixtures/kv-worker.ts, the
 * `kv` library as an application uses it) and a server, at once.
 *
 * - 4 processes × 5,000 INCR through kv.call while a socket client INCRs the same key: none lost.
 * - a library process SIGKILLed inside long transactions, again and again, while a server
 *   client reads: every read and every check after a kill sees all of a transaction or none.
 * - WATCH in a server client fails EXEC after a library process wrote the key, not after it
 *   wrote another; and the other way round.
 * - CONFIG SET maxmemory-policy in the server changes how a library process (opened before)
 *   records accesses: OBJECT FREQ of keys it sets is an LFU counter, not an LRU stamp.
 * - a library process past maxmemory evicts (with a policy) or gets -OOM (noeviction).
 * - with no server, keys a library process set with a TTL expire: on access, and by the
 *   active cycle of another library process that keeps taking the lock.
 * - the server's INFO counts the hits, misses, expiries and evictions of library processes.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { RawClient, decodeReply, toJS } from '../helpers/raw-client.js';
import { removeSegment, startShmkvServer } from '../helpers/shmkv-server.js';
import { startRedisOracle } from '../helpers/redis-oracle.js';
import { sleep } from '../helpers/ports.js';
import { runWorker, startWorker, stopAll } from '../helpers/kv-workers.js';
import { open } from '../../src/kv/index.js';
import { openKeyspace } from '../../src/keyspace/open.js';
import { checkKeyspace } from '../../src/keyspace/check.js';
import { C_EXPIRED } from '../../src/keyspace/counters.js';
import '../../src/types/index.js';

const ROUNDS = Number(process.env.SHMKV_CRASH_ITERATIONS ?? 15);

after(stopAll);

async function js(c: RawClient, ...cmd: (string | number)[]): Promise<unknown> {
  return toJS(decodeReply(await c.call(...cmd)));
}

async function info(c: RawClient, field: string): Promise<number> {
  const text = String(await js(c, 'INFO', 'everything'));
  const m = new RegExp(`^${field}:(\\d+)`, 'm').exec(text);
  assert.ok(m, `INFO has ${field}`);
  return Number(m[1]);
}

/** The whole-keyspace check of a segment, from this process (taking the lock: recovers a dead writer). */
function checkSegment(segment: string): void {
  const ks = openKeyspace({ segment, create: false });
  try {
    const r = ks.exec(() => checkKeyspace(ks));
    assert.deepEqual(r.errors, [], `keyspace check of ${segment}`);
  } finally {
    ks.close();
  }
}

test('4 library processes × 5,000 INCR and a server client INCRing the same key: not one increment lost', async () => {
  const server = await startShmkvServer();
  const c = await RawClient.connect(server.port);
  try {
    const workers = Array.from({ length: 4 }, () => startWorker(['incr', server.segment, 'ctr', '5000']));
    let serverIncrs = 0;
    let stop = false;
    const loop = (async () => {
      while (!stop) {
        for (let i = 0; i < 16; i++) c.send('INCR', 'ctr');
        for (const r of await c.readN(16)) assert.match(r.toString(), /^:\d+\r\n$/);
        serverIncrs += 16;
      }
    })();
    const ends = await Promise.all(workers.map((w) => w.exited));
    stop = true;
    await loop;
    for (const e of ends) assert.equal(e.code, 0, e.err);
    assert.ok(serverIncrs > 0, 'the server client ran alongside');
    assert.equal(await js(c, 'GET', 'ctr'), String(20000 + serverIncrs));
    // each process saw its own increments land between the others': its last reply is a value the key passed through
    for (const e of ends) assert.ok(Number(e.out) >= 5000 && Number(e.out) <= 20000 + serverIncrs, `last reply ${e.out}`);
  } finally {
    c.close();
    await server.stop();
  }
});

test(`a library process SIGKILLed inside long transactions (${ROUNDS} kills) while the server serves: all or nothing, for the server and after each kill`, async () => {
  const server = await startShmkvServer();
  const c = await RawClient.connect(server.port);
  const KEYS = 100;
  const keys = Array.from({ length: KEYS }, (_, j) => `seq:${j}`);
  let reads = 0;
  let stop = false;
  let torn: string | null = null;
  // the server's client reads every key of the transaction in one command, all the time
  const reader = (async () => {
    while (!stop && torn === null) {
      const v = (await js(c, 'MGET', ...keys, 'counter')) as (string | null)[];
      if (!v.every((x) => x === v[0])) torn = JSON.stringify(v);
      reads++;
    }
  })();
  try {
    let last = 0;
    for (let round = 0; round < ROUNDS; round++) {
      const w = startWorker(['long', server.segment, String(KEYS)]);
      await w.ready;
      await sleep(5 + Math.random() * 40);
      w.kill('SIGKILL');
      const e = await w.exited;
      assert.equal(e.signal, 'SIGKILL', `the worker was running (${e.err})`);
      checkSegment(server.segment);
      const v = (await js(c, 'MGET', ...keys, 'counter')) as string[];
      assert.ok(v.every((x) => x === v[0]), `after kill ${round}: a partial transaction is visible: ${JSON.stringify(v)}`);
      assert.ok(Number(v[0]) > last, 'each worker committed transactions');
      last = Number(v[0]);
    }
    stop = true;
    await reader;
    assert.equal(torn, null, `the server client saw a partial transaction: ${torn}`);
    assert.ok(reads > 0);
    const ks = openKeyspace({ segment: server.segment, create: false });
    const recoveries = ks.heap.stats().recoveries;
    ks.close();
    console.log(`# ${ROUNDS} kills, ${last} transactions committed, ${reads} server reads, ${recoveries} interrupted operations rolled back`);
    assert.ok(recoveries > 0, 'some kills landed inside a transaction');
  } finally {
    stop = true;
    await reader;
    await stopAll();
    c.close();
    await server.stop();
  }
});

test('WATCH across processes: a server client EXEC fails after a library process wrote the key, not after it wrote another; and the other way round', async () => {
  const server = await startShmkvServer();
  const c = await RawClient.connect(server.port);
  const kv = open({ segment: server.segment, create: false });
  try {
    const tx = async () => {
      await c.call('MULTI');
      await c.call('INCR', 'w');
      return (await c.call('EXEC')).toString();
    };
    await c.call('SET', 'w', '1');
    await c.call('WATCH', 'w');
    kv.set('w', '10');
    assert.equal(await tx(), '*-1\r\n', 'a library write of the watched key fails EXEC');
    await c.call('WATCH', 'w');
    kv.set('other', 'x');
    kv.incr('other2');
    assert.equal(await tx(), '*1\r\n:11\r\n', 'a library write of another key does not');
    await c.call('WATCH', 'w');
    kv.multi().set('w', '20').get('w').exec();
    assert.equal(await tx(), '*-1\r\n', 'nor does a library transaction');
    // a library process of its own writing the watched key, then one writing another key
    await c.call('WATCH', 'w');
    await runWorker(['calls', server.segment, JSON.stringify([['INCRBY', 'w', 5]])]);
    assert.equal(await tx(), '*-1\r\n', 'a write by another library process fails EXEC');
    await c.call('WATCH', 'w');
    await runWorker(['calls', server.segment, JSON.stringify([['SET', 'w2', 5], ['DEL', 'other']])]);
    assert.equal(await tx(), '*1\r\n:26\r\n');
    // expiry done by a library process counts as a change of the watched key (tried again if
    // the machine stalled so long that the key had expired before WATCH: then it is stale)
    let expiredSinceWatch = '';
    for (let attempt = 0; attempt < 5 && expiredSinceWatch === ''; attempt++) {
      await c.call('SET', 'e', '1', 'PX', '300');
      await c.call('WATCH', 'e');
      if (!/^:[1-9]/.test((await c.call('PTTL', 'e')).toString())) {
        await c.call('UNWATCH');
        continue;
      }
      await sleep(400);
      assert.deepEqual(kv.get('e'), null);
      await c.call('MULTI');
      await c.call('SET', 'e', '2');
      expiredSinceWatch = (await c.call('EXEC')).toString();
    }
    assert.equal(expiredSinceWatch, '*-1\r\n', 'the key expired since WATCH');

    // the library watching: the server's writes fail its transaction
    kv.watch('lw');
    await c.call('SET', 'lw', 'server');
    assert.equal(kv.multi().set('lw', 'library').exec(), null);
    kv.watch('lw');
    await c.call('SET', 'not-lw', 'server');
    assert.deepEqual(kv.multi().set('lw', 'library').get('lw').exec(), [
      [null, 'OK'],
      [null, 'library'],
    ]);
  } finally {
    kv.close();
    c.close();
    await server.stop();
  }
});

test('CONFIG SET maxmemory-policy allkeys-lfu in the server changes what a library process (opened before) writes: OBJECT FREQ counts its accesses', async () => {
  const server = await startShmkvServer();
  const c = await RawClient.connect(server.port);
  const kv = open({ segment: server.segment, create: false });
  const redis = await startRedisOracle();
  const rc = redis ? await RawClient.connect(redis.port) : null;
  try {
    // under an LRU policy the library writes LRU stamps: OBJECT FREQ is refused
    kv.set('before', 'v');
    assert.match((await c.call('OBJECT', 'FREQ', 'before')).toString(), /^-ERR An LFU maxmemory policy is not selected/);
    for (const x of [c, rc]) await x?.call('CONFIG', 'SET', 'maxmemory-policy', 'allkeys-lfu', 'lfu-log-factor', '0', 'lfu-decay-time', '0');
    // the library process reads the new policy from the segment: its new keys carry LFU counters
    kv.set('f', 'value');
    const fresh = String(await js(c, 'OBJECT', 'FREQ', 'f'));
    kv.get('f');
    kv.get('f');
    kv.call('GETRANGE', 'f', 0, 1);
    kv.call('EXISTS', 'f'); // not an access in Redis either (LOOKUP_NOTOUCH)
    const counted = String(await js(c, 'OBJECT', 'FREQ', 'f'));
    assert.match((await c.call('OBJECT', 'IDLETIME', 'f')).toString(), /^-ERR An LFU maxmemory policy is selected/);
    if (rc) {
      // the same accesses on redis-server give the same counters
      await rc.call('SET', 'f', 'value');
      assert.equal(fresh, String(await js(rc, 'OBJECT', 'FREQ', 'f')), 'a new key\'s counter');
      await rc.call('GET', 'f');
      await rc.call('GET', 'f');
      await rc.call('GETRANGE', 'f', 0, 1);
      await rc.call('EXISTS', 'f');
      assert.equal(counted, String(await js(rc, 'OBJECT', 'FREQ', 'f')), 'the counter after three reads');
    } else {
      assert.equal(fresh, '5', 'LFU_INIT_VAL');
      assert.equal(counted, '8');
    }
    // and back to LRU: the library's accesses are stamps again
    for (const x of [c, rc]) await x?.call('CONFIG', 'SET', 'maxmemory-policy', 'allkeys-lru');
    kv.set('g', 'v');
    // (0, or 1 when a second turned between the two: an LFU counter read as a stamp would be years)
    assert.ok(Number(await js(c, 'OBJECT', 'IDLETIME', 'g')) <= 1);
  } finally {
    for (const x of [c, rc]) await x?.call('CONFIG', 'SET', 'maxmemory-policy', 'noeviction', 'lfu-log-factor', '10', 'lfu-decay-time', '1');
    rc?.close();
    await redis?.stop();
    kv.close();
    c.close();
    await server.stop();
  }
});

test('a library process past maxmemory evicts (allkeys-random) or gets -OOM (noeviction); the server INFO counts its evictions, hits, misses and expiries', async () => {
  const server = await startShmkvServer();
  const c = await RawClient.connect(server.port);
  const kv = open({ segment: server.segment, create: false });
  try {
    // hits, misses and expiry done by a library process
    const [hits0, misses0, expired0] = [await info(c, 'keyspace_hits'), await info(c, 'keyspace_misses'), await info(c, 'expired_keys')];
    kv.set('h', 'v');
    kv.get('h');
    kv.get('h');
    kv.call('STRLEN', 'h');
    kv.get('nope');
    kv.call('MGET', 'nope1', 'h');
    kv.set('gone', 'v', { px: 50 });
    await sleep(150);
    assert.equal(kv.get('gone'), null);
    assert.equal(await info(c, 'keyspace_hits'), hits0 + 4);
    assert.equal(await info(c, 'keyspace_misses'), misses0 + 3);
    assert.equal(await info(c, 'expired_keys'), expired0 + 1);

    // eviction by the library process
    const used = (await info(c, 'used_memory')) - (await info(c, 'mem_not_counted_for_evict'));
    const limit = used + 128 * 1024;
    await c.call('CONFIG', 'SET', 'maxmemory-policy', 'allkeys-random', 'maxmemory', String(limit));
    const evicted0 = await info(c, 'evicted_keys');
    const keys0 = (await js(c, 'DBSIZE')) as number;
    const filled = JSON.parse(await runWorker(['fill', server.segment, 'fill:', '3000', '100'])) as { set: number; error: string | null };
    assert.deepEqual(filled, { set: 3000, error: null }, 'every SET of the library process succeeded: it evicted to make room');
    const evicted = (await info(c, 'evicted_keys')) - evicted0;
    assert.ok(evicted > 1000, `the server counts the library's evictions (${evicted})`);
    assert.ok((await info(c, 'used_memory')) - (await info(c, 'mem_not_counted_for_evict')) <= limit, 'used memory within maxmemory');
    assert.equal(await js(c, 'DBSIZE'), keys0 + 3000 - evicted, 'what is gone was counted as evicted');

    // noeviction: the library process is refused
    await c.call('CONFIG', 'SET', 'maxmemory-policy', 'noeviction');
    const refused = JSON.parse(await runWorker(['fill', server.segment, 'more:', '3000', '100'])) as { set: number; error: string | null };
    assert.equal(refused.error, "OOM command not allowed when used memory > 'maxmemory'.");
    assert.ok(refused.set < 3000);
    assert.throws(() => kv.set('x', 'y'), /^ReplyError: OOM command not allowed/);
    assert.equal(kv.get('fill:2999'), 'x'.repeat(100), 'reads still work');
    await c.call('CONFIG', 'SET', 'maxmemory', '0');
    assert.equal(kv.set('x', 'y'), 'OK');
    checkSegment(server.segment);
  } finally {
    await c.call('CONFIG', 'SET', 'maxmemory', '0', 'maxmemory-policy', 'noeviction');
    kv.close();
    c.close();
    await server.stop();
  }
});

test('no server: keys a library process set with a TTL expire, on access and by the active cycle of another library process', async () => {
  const segment = `test-kv-ttl-${process.pid}`;
  removeSegment(segment);
  const kv = open({ segment, create: true });
  const ks = openKeyspace({ segment, create: false });
  try {
    // one transaction: one lock, so this process runs no expiry cycle after the keys exist
    const tx = kv.multi();
    for (let i = 0; i < 200; i++) tx.set(`act:${i}`, 'v', { px: 50 });
    tx.set('lazy', 'v', { px: 50 }).set('keep', 'v');
    assert.equal(tx.exec()!.length, 202);
    await sleep(150);
    // nobody took the lock since: every key is still stored, expired or not (counted without
    // this process running any expiry: a plain keyspace operation)
    assert.equal(ks.exec(() => ks.dbsize(0)), 202);
    const expired0 = ks.counters.total(C_EXPIRED);
    // another library process reads an expired key: gone (lazily, or by the cycle it ran first)
    const got = JSON.parse(await runWorker(['calls', segment, JSON.stringify([['GET', 'lazy'], ['EXISTS', 'lazy'], ['TTL', 'lazy'], ['GET', 'keep']])]));
    assert.deepEqual(got, [null, 0, -2, 'v']);
    assert.ok(ks.counters.total(C_EXPIRED) > expired0);
    // a library process that keeps taking the lock (for other keys) deletes the expired keys nobody reads
    const ticker = startWorker(['tick', segment, '20000']);
    await ticker.ready;
    const deadline = Date.now() + 15000;
    let left = ks.exec(() => ks.dbsize(0));
    while (left > 2 && Date.now() < deadline) {
      await sleep(20);
      left = ks.exec(() => ks.dbsize(0));
    }
    ticker.kill('SIGKILL');
    await ticker.exited;
    assert.equal(left, 2, 'the expired keys were deleted by the other process\'s active cycle (only keep and tick remain)');
    assert.equal(ks.counters.total(C_EXPIRED), expired0 + 201);
    assert.deepEqual(ks.exec(() => checkKeyspace(ks)).errors, []);
  } finally {
    await stopAll();
    ks.close();
    kv.close();
    removeSegment(segment);
  }
});
