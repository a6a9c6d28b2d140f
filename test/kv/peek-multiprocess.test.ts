/**
 * Reads without the lock (src/keyspace/peek.ts) across processes: library processes GET
 * keys that another process keeps rewriting, deleting and re-adding with values of
 * changing lengths (while bulk filler keys are added and dropped, so memory is freed and
 * reused and the table splits): every value read must be one that was written for that
 * key, whole. Then the writer is SIGKILLed mid-write, again and again: a reader racing its
 * death never sees half a write, and the next lock rolls the dead writer's operation back
 * (the write version even again). Reads without the lock must have happened (answered > 0)
 * and some must have raced a writer (declined > 0), or the test proves nothing.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { runWorker, startWorker, stopAll } from '../helpers/kv-workers.js';
import { open } from '../../src/kv/index.js';
import { openKeyspace } from '../../src/keyspace/open.js';
import { checkKeyspace } from '../../src/keyspace/check.js';
import { unlinkPosix } from '../../src/shm/posix.js';
import '../../src/types/index.js';

const KEYS = 200;
const ROUNDS = Number(process.env.SHMKV_CRASH_ITERATIONS ?? 4);

after(stopAll);

interface ReadReport {
  reads: number;
  found: number;
  bad: string[];
  answered: number;
  declined: number;
}

async function readFor(segment: string, ms: number): Promise<ReadReport> {
  return JSON.parse(await runWorker(['peekread', segment, String(KEYS), String(ms)])) as ReadReport;
}

test('GETs without the lock, racing a writer in another process and its kill -9, see only whole values', async () => {
  const segment = `test-peek-mp-${process.pid}`;
  const kv = open({ segment });
  try {
    const total = { reads: 0, found: 0, answered: 0, declined: 0 };
    for (let round = 0; round < ROUNDS; round++) {
      const writer = startWorker(['churn', segment, String(KEYS)]);
      await writer.ready;
      const reports = await Promise.all([readFor(segment, 700), readFor(segment, 700)]);
      writer.kill('SIGKILL');
      await writer.exited;
      for (const r of reports) {
        assert.deepEqual(r.bad, [], 'torn or foreign values');
        total.reads += r.reads;
        total.found += r.found;
        total.answered += r.answered;
        total.declined += r.declined;
      }
      // after the kill: a dead writer's open operation leaves the version odd, so reads go to
      // the lock, which rolls it back; reads stay whole either way
      const after = await readFor(segment, 100);
      assert.deepEqual(after.bad, []);
    }
    console.log(`reads ${total.reads}, values ${total.found}, answered without the lock ${total.answered}, left to the lock ${total.declined}`);
    assert.ok(total.found > 1000, 'values were read');
    assert.ok(total.answered > total.reads / 10, 'reads without the lock happened');
    assert.ok(total.declined > 0, 'some raced the writer');
    const ks = openKeyspace({ segment, create: false });
    try {
      const r = ks.exec(() => checkKeyspace(ks));
      assert.deepEqual(r.errors, []);
      assert.equal(ks.heap.writeVersion() & 1, 0, 'the write version is even once the dead writer is rolled back');
    } finally {
      ks.close();
    }
  } finally {
    kv.close();
    unlinkPosix(segment);
  }
});
