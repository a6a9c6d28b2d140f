/**
 * kill -9 of a library process in the middle of EXEC: a child runs transactions of mixed
 * commands (SET, INCR, INCRBY, APPEND, DEL, EXPIRE, RENAME, FLUSHDB, SELECT) through `kv`
 * in a loop and is SIGKILLed at random moments, many times (SHMKV_CRASH_ITERATIONS, default
 * bounded). After each kill the segment is opened again: the checker must be clean, and
 * the keyspace must hold exactly what the transactions up to the last committed one wrote
 * — every transaction writes its sequence number into several keys, so a partial one shows.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { sleep } from '../helpers/ports.js';
import { removeSegment } from '../helpers/shmkv-server.js';
import { startWorker, stopAll } from '../helpers/kv-workers.js';
import { mixedExpected, FLUSH_EVERY } from '../helpers/kv-workloads.js';
import { open } from '../../src/kv/index.js';
import { openKeyspace } from '../../src/keyspace/open.js';
import { checkKeyspace } from '../../src/keyspace/check.js';
import '../../src/types/index.js';

const ITERATIONS = Number(process.env.SHMKV_CRASH_ITERATIONS ?? 40);

test(`SIGKILL during EXEC of mixed-command transactions in a library process (${ITERATIONS} kills): checker clean, each transaction all or nothing`, async () => {
  const segment = `test-kv-crash-${process.pid}`;
  removeSegment(segment);
  const kv = open({ segment, create: true });
  try {
    let last = 0;
    let flushes = 0;
    for (let it = 0; it < ITERATIONS; it++) {
      const w = startWorker(['mixed', segment]);
      await w.ready;
      await sleep(2 + Math.random() * 40);
      w.kill('SIGKILL');
      const e = await w.exited;
      assert.equal(e.signal, 'SIGKILL', `the worker was running (${e.err})`);

      // re-open, as a new process would: the first lock rolls back the dead writer's transaction
      const ks = openKeyspace({ segment, create: false });
      try {
        assert.deepEqual(ks.exec(() => checkKeyspace(ks)).errors, [], `keyspace check after kill ${it}`);
      } finally {
        ks.close();
      }
      kv.select(0);
      const n = Number(kv.get('seq') ?? 0);
      assert.ok(n > last, `kill ${it}: the worker committed transactions (seq ${n}, was ${last})`);
      if (Math.floor(n / FLUSH_EVERY) > Math.floor(last / FLUSH_EVERY)) flushes++;
      last = n;
      assert.deepEqual(kv.keys('*'), ['seq'], 'database 0 holds the sequence only');
      kv.select(1);
      const want = mixedExpected(n);
      const got = new Map<string, string>();
      for (const k of kv.keys('*')) got.set(k, kv.get(k)!);
      assert.deepEqual(
        [...got.entries()].sort(),
        [...want.entries()].sort(),
        `kill ${it}: database 1 holds exactly what transactions 1..${n} wrote (a partial transaction ${n + 1} would show)`,
      );
      assert.ok(kv.ttl(`tmp:${n}`) > 1000, 'the EXPIRE of the transaction stands with its SET');
      assert.ok(kv.ttl('mv') > 1000, 'the PEXPIRE that moved mv stands with its SET');
      for (const k of want.keys()) if (!k.startsWith('tmp:') && k !== 'mv') assert.equal(kv.ttl(k), -1, `${k} has no TTL`);
      kv.select(0);
    }
    const ks = openKeyspace({ segment, create: false });
    const recoveries = ks.heap.stats().recoveries;
    ks.close();
    console.log(`# ${ITERATIONS} kills, ${last} transactions committed (${flushes} FLUSHDB crossed), ${recoveries} interrupted operations rolled back`);
    assert.ok(recoveries > 0, 'some kills landed inside a transaction');
  } finally {
    await stopAll();
    kv.close();
    removeSegment(segment);
  }
});
