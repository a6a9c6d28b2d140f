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
