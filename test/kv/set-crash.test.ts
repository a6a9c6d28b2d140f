/**
 * kill -9 of a library process in the middle of transactions of set commands (SADD, SREM,
 * SMOVE, DEL, SUNIONSTORE, SDIFFSTORE over sets that go through every form: intset, small
 * hashtable, Dash): after each kill the checker is clean and the sets hold exactly what the
 * transactions up to the last committed one wrote (see setsTransaction).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { sleep } from '../helpers/ports.js';
import { removeSegment } from '../helpers/shmkv-server.js';
import { startWorker, stopAll } from '../helpers/kv-workers.js';
import { setsExpected } from '../helpers/kv-workloads.js';
import { open } from '../../src/kv/index.js';
import { openKeyspace } from '../../src/keyspace/open.js';
import { checkKeyspace } from '../../src/keyspace/check.js';
import '../../src/types/index.js';

const ITERATIONS = Number(process.env.SHMKV_CRASH_ITERATIONS ?? 20);

test(`SIGKILL during transactions of set commands in a library process (${ITERATIONS} kills): checker clean, each transaction all or nothing`, async () => {
  const segment = `test-kv-set-crash-${process.pid}`;
  removeSegment(segment);
  const kv = open({ segment, create: true });
  try {
    let last = 0;
    for (let it = 0; it < ITERATIONS; it++) {
      const w = startWorker(['sets', segment]);
      await w.ready;
      await sleep(2 + Math.random() * 40);
      w.kill('SIGKILL');
      const e = await w.exited;
      assert.equal(e.signal, 'SIGKILL', `the worker was running (${e.err})`);
      const ks = openKeyspace({ segment, create: false });
      try {
        assert.deepEqual(ks.exec(() => checkKeyspace(ks)).errors, [], `keyspace check after kill ${it}`);
      } finally {
        ks.close();
      }
      const n = Number(kv.get('sseq') ?? 0);
      assert.ok(n > last, `kill ${it}: the worker committed transactions (sseq ${n}, was ${last})`);
      last = n;
      const want = setsExpected(n);
      const got = new Map<string, string[]>();
      for (const k of kv.keys('*')) if (k !== 'sseq') got.set(k, kv.smembers(k).sort());
      assert.deepEqual([...got.entries()].sort(), [...want.entries()].sort(), `kill ${it}: the sets hold exactly what transactions 1..${n} wrote`);
    }
    console.log(`# ${ITERATIONS} kills, ${last} set transactions committed`);
  } finally {
    await stopAll();
    kv.close();
    removeSegment(segment);
  }
});
