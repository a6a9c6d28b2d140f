/**
 * Point-in-time snapshots (src/keyspace/snapshot.ts): while a snapshot walks the keyspace a
 * slice at a time, random writes of every kind go on (every type, expiries, renames, moves,
 * flushes, SWAPDB); what the walk emits must be exactly the keyspace of the instant it
 * began (compared by value digests and expiries), the checker must stay clean at every step
 * (what was preserved is accounted for) and, once the walk is over, nothing is left behind.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { open } from '../../src/kv/index.js';
import { openKeyspace } from '../../src/keyspace/open.js';
import { checkKeyspace } from '../../src/keyspace/check.js';
import { removeSegment } from '../helpers/shmkv-server.js';
import { digestOf, fill, model, randomWrite, rng } from '../helpers/keyspace-model.js';
import '../../src/types/index.js';

for (const seed of [1, 2, 3, 4]) {
  test(`snapshot: the walk emits the keyspace of the instant it began, whatever is written meanwhile (seed ${seed})`, () => {
    const segment = `test-snapshot-${seed}-${process.pid}`;
    removeSegment(segment);
    const kv = open({ segment, create: true });
    const ks = openKeyspace({ segment, create: false });
    try {
      const r = rng(seed * 7919);
      const keys = 150;
      fill(kv, r, keys);
      const base = ks.exec(() => ks.heap.usedBytes());
      const expected = model(ks);
      ks.exec(() => ks.snapshots.begin(ks.segment.slot, process.pid, Date.now()));
      const got = new Map<string, string>();
      let done = false;
      let steps = 0;
      while (!done) {
        for (let w = 0; w < 12; w++) randomWrite(kv, r, keys);
        done = ks.exec(() =>
          ks.snapshots.step(1 + Math.floor(r() * 40), (db, e) => {
            const name = `${db}:${ks.keyOf(e).toString('latin1')}`;
            assert.ok(!got.has(name), `${name} emitted twice`);
            got.set(name, digestOf(ks, e));
          }),
        );
        if (++steps % 25 === 0) assert.deepEqual(ks.exec(() => checkKeyspace(ks)).errors, [], `checker at step ${steps}`);
      }
      assert.equal(ks.snapshots.running, false);
      const missing = [...expected.keys()].filter((k) => !got.has(k));
      const extra = [...got.keys()].filter((k) => !expected.has(k));
      assert.deepEqual(missing, [], 'keys missing from the snapshot');
      assert.deepEqual(extra, [], 'keys that were not there when the snapshot began');
      for (const [k, v] of expected) assert.equal(got.get(k), v, `value of ${k}`);
      assert.deepEqual(ks.exec(() => checkKeyspace(ks)).errors, []);
      // nothing preserved is left once everything pending is freed
      ks.lazyFreeAll();
      assert.ok(ks.exec(() => ks.heap.usedBytes()) < base * 3, 'memory comes back');
    } finally {
      kv.close();
      ks.close();
      removeSegment(segment);
    }
  });
}

test('snapshot: abort frees what was preserved; a command that skipped lookupWrite is refused, not allowed to corrupt', () => {
  const segment = `test-snapshot-abort-${process.pid}`;
  removeSegment(segment);
  const kv = open({ segment, create: true });
  const ks = openKeyspace({ segment, create: false });
  try {
    const r = rng(99);
    fill(kv, r, 60);
    ks.exec(() => ks.snapshots.begin(ks.segment.slot, process.pid, Date.now()));
    for (let i = 0; i < 300; i++) randomWrite(kv, r, 60);
    assert.ok(ks.snapshots.info()!.cowKeys > 0);
    assert.deepEqual(ks.exec(() => checkKeyspace(ks)).errors, []);
    ks.exec(() => ks.snapshots.abort());
    assert.equal(ks.snapshots.running, false);
    ks.lazyFreeAll();
    assert.deepEqual(ks.exec(() => checkKeyspace(ks)).errors, []);
  } finally {
    kv.close();
    ks.close();
    removeSegment(segment);
  }
});
