/**
 * Big collections deleted (DEL, overwrite, FLUSHALL…) leave the keyspace at once and go to
 * the lazy-free queue, freed a slice per operation afterwards: for every type that opts in
 * (src/keyspace/valuetypes.ts lazyHandle), the key is gone at once, the checker stays clean
 * at every step (the queued values' chunks are accounted for), and every byte comes back.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { open } from '../../src/kv/index.js';
import { openKeyspace } from '../../src/keyspace/open.js';
import { checkKeyspace } from '../../src/keyspace/check.js';
import { removeSegment } from '../helpers/shmkv-server.js';
import '../../src/types/index.js';

const BIG: Record<string, (kv: ReturnType<typeof open>, key: string) => void> = {
  list: (kv, k) => {
    for (let b = 0; b < 20; b++) kv.call('RPUSH', k, ...Array.from({ length: 1000 }, (_, i) => `e${b}-${i}`));
  },
  hash: (kv, k) => {
    for (let b = 0; b < 10; b++) kv.call('HSET', k, ...Array.from({ length: 500 }, (_, i) => [`f${b}-${i}`, `v${i}`]).flat());
  },
  zset: (kv, k) => {
    for (let b = 0; b < 10; b++) kv.call('ZADD', k, ...Array.from({ length: 500 }, (_, i) => [i % 97, `m${b}-${i}`]).flat());
  },
};

for (const [type, fill] of Object.entries(BIG)) {
  test(`lazy free: a big ${type} deleted is freed a slice per operation`, () => {
    const segment = `test-lazyfree-${type}-${process.pid}`;
    removeSegment(segment);
    const kv = open({ segment, create: true });
    const ks = openKeyspace({ segment, create: false });
    try {
      const base = ks.exec(() => ks.heap.usedBytes());
      fill(kv, 'big');
      kv.call('RPUSH', 'small', 'a');
      assert.equal(kv.call('DEL', 'big', 'small'), 2);
      assert.equal(kv.call('EXISTS', 'big'), 0);
      assert.equal(ks.lazyPending(), 1, 'the big value is queued, the small one freed at once');
      assert.deepEqual(ks.exec(() => checkKeyspace(ks)).errors, []);
      let steps = 0;
      while (ks.lazyPending() > 0) {
        ks.exec(() => ks.lazyFreeStep(500));
        steps++;
        if (steps % 5 === 0) assert.deepEqual(ks.exec(() => checkKeyspace(ks)).errors, []);
      }
      assert.ok(steps > 2, `freed in ${steps} steps`);
      assert.deepEqual(ks.exec(() => checkKeyspace(ks)).errors, []);
      assert.equal(ks.exec(() => ks.heap.usedBytes()), base, 'every byte came back');
    } finally {
      ks.close();
      kv.close();
      removeSegment(segment);
    }
  });
}

// FLUSHALL SYNC (lazyFreeAll): a keyspace filled in bulk lies in few runs of neighbouring
// chunks, and is freed in one operation that gives each run back as one free chunk; one
// whose entries are interleaved with another database's is rolled back from that and freed
// by slices. Either way the checker is clean and every byte comes back.
test('FLUSHALL SYNC frees a keyspace filled in bulk in one operation, an interleaved one by slices', () => {
  const segment = `test-lazyfree-whole-${process.pid}`;
  removeSegment(segment);
  const kv = open({ segment, create: true });
  const ks = openKeyspace({ segment, create: false });
  try {
    const base = ks.exec(() => ks.heap.usedBytes());
    for (let i = 0; i < 20000; i += 500) kv.call('MSET', ...Array.from({ length: 500 }, (_, j) => [`k${i + j}`, `value-${i + j}`]).flat());
    for (let i = 0; i < 300; i++) kv.call('HSET', `h${i}`, 'a', '1', 'b', '2');
    for (let i = 0; i < 300; i++) kv.call('RPUSH', `l${i}`, 'x', 'y', 'z');
    kv.call('SET', 'ttl', 'v', 'EX', '100');
    BIG.list!(kv, 'big');
    let s0 = ks.exec(() => ks.heap.stats());
    assert.equal(kv.call('FLUSHALL'), 'OK');
    let s1 = ks.exec(() => ks.heap.stats());
    assert.equal(s1.rollbacks, s0.rollbacks, 'not rolled back');
    assert.ok(s1.commits - s0.commits <= 3, `freed in ${s1.commits - s0.commits} operations`);
    assert.equal(s1.usedBytes, base, 'every byte came back');
    assert.equal(ks.lazyPending(), 0);
    assert.deepEqual(ks.exec(() => checkKeyspace(ks)).errors, []);

    // db 0 and db 9 written in turn: every entry of db 0 has one of db 9 for a neighbour
    const pairs = 40000;
    const kv9 = open({ segment });
    kv9.call('SELECT', '9');
    for (let j = 0; j < pairs; j++) {
      kv.set(`k${j}`, `0-${j}`);
      kv9.set(`k${j}`, `9-${j}`);
    }
    kv9.close();
    s0 = ks.exec(() => ks.heap.stats());
    assert.equal(kv.call('FLUSHDB', 'SYNC'), 'OK');
    s1 = ks.exec(() => ks.heap.stats());
    assert.equal(s1.rollbacks, s0.rollbacks + 1, 'the one operation was tried, and rolled back');
    assert.ok(s1.commits - s0.commits > 10, `freed in ${s1.commits - s0.commits} operations`);
    assert.deepEqual(ks.exec(() => checkKeyspace(ks)).errors, []);
    kv.call('SELECT', '9');
    assert.equal(kv.call('DBSIZE'), pairs);
    assert.equal(kv.call('GET', 'k12345'), '9-12345');
    assert.equal(kv.call('FLUSHALL'), 'OK');
    // (as after the first flush: the tables of a database first used since hold a segment of their own)
    assert.deepEqual(ks.exec(() => checkKeyspace(ks)).errors, []);
    assert.equal(ks.exec(() => ks.dbsize(9)), 0);
  } finally {
    ks.close();
    kv.close();
    removeSegment(segment);
  }
});
