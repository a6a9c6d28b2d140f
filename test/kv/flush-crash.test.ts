/**
 * kill -9 of a library process while it empties a keyspace with FLUSHALL: a child fills
 * keys in MSETs of 1,000 and flushes them, round after round, and is SIGKILLed at random
 * moments, mostly just after it said it was about to flush (when a bulk-filled keyspace
 * is freed in one large operation, lazyFreeAll). After each kill the segment is opened
 * again: the checker must be clean, and the keyspace must hold whole MSETs of one round.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { sleep } from '../helpers/ports.js';
import { removeSegment } from '../helpers/shmkv-server.js';
import { startWorker, stopAll } from '../helpers/kv-workers.js';
import { open } from '../../src/kv/index.js';
import { openKeyspace } from '../../src/keyspace/open.js';
import { checkKeyspace } from '../../src/keyspace/check.js';
import '../../src/types/index.js';

const ITERATIONS = Number(process.env.SHMKV_CRASH_ITERATIONS ?? 12);
const KEYS = 60_000;

test(`SIGKILL while FLUSHALL frees a bulk-filled keyspace (${ITERATIONS} kills): checker clean, whole MSETs of one round, the flush finished later`, async () => {
  const segment = `test-flush-crash-${process.pid}`;
  removeSegment(segment);
  const kv = open({ segment, create: true });
  try {
    let mid = 0;
    for (let it = 0; it < ITERATIONS; it++) {
      const w = startWorker(['flushfill', segment, String(KEYS)]);
      await w.ready;
      // just after it said it would flush (3 kills in 4), or while it fills keys again
      const mark = it % 4 !== 3 ? 'flush' : 'filling';
      await new Promise<void>((resolve) => w.child.on('message', (m) => m === mark && resolve()));
      await sleep(Math.random() * (mark === 'flush' ? 15 : 40));
      w.kill('SIGKILL');
      const e = await w.exited;
      assert.equal(e.signal, 'SIGKILL', `the worker was running (${e.err})`);

      const ks = openKeyspace({ segment, create: false });
      try {
        // (the first lock rolls back the dead writer's operation: a flush's freeing left halfway is whole again)
        const pending = ks.exec(() => ks.pendingFrees());
        if (pending > 0) mid++;
        assert.deepEqual(ks.exec(() => checkKeyspace(ks)).errors, [], `keyspace check after kill ${it}`);
        // what a flush left to free is freed by the next process's flush, or by slices
        ks.lazyFreeAll();
        assert.equal(ks.pendingFrees(), 0);
        assert.deepEqual(ks.exec(() => checkKeyspace(ks)).errors, [], `keyspace check after kill ${it}, freed`);
      } finally {
        ks.close();
      }
      const n = kv.call('DBSIZE') as number;
      assert.equal(n % 1000, 0, `kill ${it}: ${n} keys, not whole MSETs`);
      if (n > 0) {
        const round = String(kv.get('f:0')).split(':')[0];
        for (let i = 0; i < n; i += 997) assert.equal(kv.get(`f:${i}`), `${round}:${i}`, `kill ${it}: f:${i}`);
      }
    }
    const ks = openKeyspace({ segment, create: false });
    const recoveries = ks.heap.stats().recoveries;
    ks.close();
    console.log(`# ${ITERATIONS} kills, ${mid} between a flush and the end of its freeing, ${recoveries} interrupted operations rolled back`);
    assert.ok(mid > 0, 'some kills landed while a flush was being freed');
  } finally {
    await stopAll();
    kv.close();
    removeSegment(segment);
  }
});
