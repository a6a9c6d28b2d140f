/**
 * kill -9 of a library process in the middle of hash transactions (HSET into a large
 * hashtable-encoded hash whose segments split, listpack edits, listpack → hashtable
 * conversions, DEL of a converted hash, HINCRBY/HINCRBYFLOAT). After each kill the
 * segment is opened again: the checker must be clean (every chunk of every hash reported
 * once) and the hashes must hold exactly what the transactions up to the last committed
 * one wrote.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { sleep } from '../helpers/ports.js';
import { removeSegment } from '../helpers/shmkv-server.js';
import { startWorker, stopAll } from '../helpers/kv-workers.js';
import { hashExpected } from '../helpers/kv-workloads.js';
import { open } from '../../src/kv/index.js';
import { openKeyspace } from '../../src/keyspace/open.js';
import { checkKeyspace } from '../../src/keyspace/check.js';
import '../../src/types/index.js';

const ITERATIONS = Number(process.env.SHMKV_CRASH_ITERATIONS ?? 20);

test(`SIGKILL during hash transactions in a library process (${ITERATIONS} kills): checker clean, each transaction all or nothing`, async () => {
  const segment = `test-kv-crash-hash-${process.pid}`;
  removeSegment(segment);
  const kv = open({ segment, create: true });
  try {
    let last = 0;
    for (let it = 0; it < ITERATIONS; it++) {
      const w = startWorker(['hash', segment]);
      await w.ready;
      await sleep(2 + Math.random() * 60);
      w.kill('SIGKILL');
      const e = await w.exited;
      assert.equal(e.signal, 'SIGKILL', `the worker was running (${e.err})`);
      const ks = openKeyspace({ segment, create: false });
      try {
        assert.deepEqual(ks.exec(() => checkKeyspace(ks)).errors, [], `keyspace check after kill ${it}`);
      } finally {
        ks.close();
      }
      kv.select(0);
      const n = Number(kv.get('hseq') ?? 0);
      assert.ok(n > last, `kill ${it}: the worker committed transactions (hseq ${n}, was ${last})`);
      last = n;
      kv.select(2);
      const want = hashExpected(n);
      assert.deepEqual(kv.keys('*').sort(), [...want.keys()].sort(), `kill ${it}: the keys of database 2`);
      for (const [k, fields] of want) {
        const got = kv.hgetall(k);
        assert.equal(kv.hlen(k), fields.size, `kill ${it}: HLEN ${k}`);
        assert.deepEqual(new Map(Object.entries(got)), fields, `kill ${it}: ${k} holds what transactions 1..${n} wrote`);
      }
      assert.equal(kv.call('OBJECT', 'ENCODING', 'conv'), n % 2 === 0 ? 'hashtable' : 'listpack');
      assert.equal(kv.call('OBJECT', 'ENCODING', 'big'), want.get('big')!.size > 128 ? 'hashtable' : 'listpack');
      kv.select(0);
    }
    const ks = openKeyspace({ segment, create: false });
    const recoveries = ks.heap.stats().recoveries;
    ks.close();
    console.log(`# ${ITERATIONS} kills, ${last} hash transactions committed, ${recoveries} interrupted operations rolled back`);
    assert.ok(recoveries > 0, 'some kills landed inside a transaction');
  } finally {
    await stopAll();
    kv.close();
    removeSegment(segment);
  }
});
