/**
 * kill -9 of a library process in the middle of transactions of sorted-set commands (ZADD,
 * ZREMRANGEBYSCORE, ZINCRBY, ZPOPMIN, ZUNIONSTORE, DEL over a set of up to 3000 members, so
 * its tree splits nodes, merges and redistributes them, and grows and loses height): after
 * each kill the checker is clean (tree structure, subtree counts, order, member table) and
 * the sorted sets hold exactly what the transactions up to the last committed one wrote
 * (see zsetsTransaction).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { sleep } from '../helpers/ports.js';
import { removeSegment } from '../helpers/shmkv-server.js';
import { startWorker, stopAll } from '../helpers/kv-workers.js';
import { zsetsExpected } from '../helpers/kv-workloads.js';
import { open } from '../../src/kv/index.js';
import { openKeyspace } from '../../src/keyspace/open.js';
import { checkKeyspace } from '../../src/keyspace/check.js';
import '../../src/types/index.js';

const ITERATIONS = Number(process.env.SHMKV_CRASH_ITERATIONS ?? 20);

test(`SIGKILL during transactions of sorted-set commands in a library process (${ITERATIONS} kills): checker clean, each transaction all or nothing`, async () => {
  const segment = `test-kv-zset-crash-${process.pid}`;
  removeSegment(segment);
  const kv = open({ segment, create: true });
  try {
    let last = 0;
    for (let it = 0; it < ITERATIONS; it++) {
      const w = startWorker(['zsets', segment]);
      await w.ready;
      await sleep(5 + Math.random() * 120);
      w.kill('SIGKILL');
      const e = await w.exited;
      assert.equal(e.signal, 'SIGKILL', `the worker was running (${e.err})`);
      const ks = openKeyspace({ segment, create: false });
      try {
        assert.deepEqual(ks.exec(() => checkKeyspace(ks)).errors, [], `keyspace check after kill ${it}`);
      } finally {
        ks.close();
      }
      const n = Number(kv.get('zseq') ?? 0);
      assert.ok(n > last, `kill ${it}: the worker committed transactions (zseq ${n}, was ${last})`);
      last = n;
      const want = zsetsExpected(n);
      const got = new Map<string, [string, number][]>();
      for (const k of kv.keys('*')) {
        if (k === 'zseq') continue;
        const flat = kv.zrange(k, 0, -1, { withScores: true });
        const items: [string, number][] = [];
        for (let i = 0; i < flat.length; i += 2) items.push([flat[i]!, Number(flat[i + 1])]);
        got.set(k, items);
      }
      assert.deepEqual([...got.entries()].sort(), [...want.entries()].sort(), `kill ${it}: the sorted sets hold exactly what transactions 1..${n} wrote`);
    }
    console.log(`# ${ITERATIONS} kills, ${last} sorted-set transactions committed`);
  } finally {
    await stopAll();
    kv.close();
    removeSegment(segment);
  }
});
