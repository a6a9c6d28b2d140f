/**
 * Big values during a snapshot are pinned, not copied (src/keyspace/snapshot.ts): the first
 * change a writer makes to a big value the walk has not written opens the heap's
 * copy-on-write epoch and leaves a pin; the save then reads the value through the epoch's
 * view, a slice at a time. With the bar of "big" lowered to a few hundred elements, random
 * writes of every kind (renames, moves, deletes, flushes, SWAPDB of pinned values among
 * them) run between the save's slices; the file must hold exactly the keyspace of the
 * instant the save began, the checker must stay clean, and once the save is over the
 * epoch is gone and the memory comes back.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { open } from '../../src/kv/index.js';
import { openKeyspace } from '../../src/keyspace/open.js';
import { checkKeyspace } from '../../src/keyspace/check.js';
import { setBigValueBar } from '../../src/keyspace/valuetypes.js';
import { RdbSave } from '../../src/persistence/rdb_save.js';
import { loadRdb } from '../../src/persistence/rdb_load.js';
import { removeSegment } from '../helpers/shmkv-server.js';
import { fill, model, randomWrite, rng } from '../helpers/keyspace-model.js';
import '../../src/types/index.js';

function modelOfFile(file: string): Map<string, string> {
  const seg = `test-pins-load-${process.pid}`;
  removeSegment(seg);
  const ks = openKeyspace({ segment: seg });
  try {
    loadRdb(ks, file, { skipExpired: false });
    return model(ks);
  } finally {
    ks.close();
    removeSegment(seg);
  }
}

/**
 * A keyspace (a library handle and a Keyspace on one new segment) with the bar of "big"
 * at 100 elements, a directory for the file, all undone after fn.
 */
function withPinsKeyspace(name: string, fn: (kv: ReturnType<typeof open>, ks: ReturnType<typeof openKeyspace>, dir: string) => void): void {
  const segment = `test-pins-${name}-${process.pid}`;
  removeSegment(segment);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'shmkv-pins-'));
  const prev = setBigValueBar(100, 1 << 30);
  const kv = open({ segment, create: true });
  const ks = openKeyspace({ segment, create: false });
  try {
    fn(kv, ks, dir);
  } finally {
    setBigValueBar(...prev);
    kv.close();
    ks.close();
    removeSegment(segment);
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

for (const seed of [1, 2, 3]) {
  test(`snapshot pins: big values changed during a save are read through the copy-on-write epoch, and the file is the instant (seed ${seed})`, () => {
    withPinsKeyspace(String(seed), (kv, ks, dir) => {
      const r = rng(seed * 104729);
      const keys = 150;
      fill(kv, r, keys);
      const base = ks.exec(() => ks.heap.usedBytes());
      const expected = model(ks);
      const save = new RdbSave(ks, path.join(dir, 'dump.rdb'), { compress: r() < 0.5, checksum: true, aux: [], ownerSlot: ks.segment.slot });
      save.begin();
      let pinsSeen = 0;
      let steps = 0;
      // tiny slices: many writes land between them, on values being written too
      while (!save.step(performance.now() + 0.05)) {
        for (let w = 0; w < 6; w++) randomWrite(kv, r, keys);
        if (ks.heap.cow.info()?.forSnapshot) pinsSeen++;
        if (++steps % 40 === 0) assert.deepEqual(ks.exec(() => checkKeyspace(ks)).errors, [], `checker at step ${steps}`);
      }
      save.finish();
      assert.ok(pinsSeen > 0, 'some values were pinned');
      assert.equal(ks.snapshots.running, false);
      assert.equal(ks.heap.cow.info(), null, 'the epoch is over');
      const got = modelOfFile(path.join(dir, 'dump.rdb'));
      assert.deepEqual([...got.keys()].sort(), [...expected.keys()].sort());
      for (const [k, v] of expected) assert.equal(got.get(k), v, `value of ${k}`);
      assert.deepEqual(ks.exec(() => checkKeyspace(ks)).errors, []);
      ks.lazyFreeAll();
      assert.ok(ks.exec(() => ks.heap.usedBytes()) < base * 3, 'memory comes back');
    });
  });
}

test('snapshot pins: a save dropped while values are pinned ends the epoch and frees every pin', () => {
  withPinsKeyspace('abort', (kv, ks, dir) => {
    kv.call('HSET', 'h', ...Array.from({ length: 300 }, (_, j) => [`f${j}`, `${j}`]).flat());
    kv.call('SADD', 's', ...Array.from({ length: 300 }, (_, j) => `m${j}`));
    const save = new RdbSave(ks, path.join(dir, 'dump.rdb'), { compress: false, checksum: true, aux: [], ownerSlot: ks.segment.slot });
    save.begin();
    kv.call('HSET', 'h', 'new', 'x');
    kv.call('RENAME', 's', 's2');
    kv.call('SADD', 's2', 'new');
    const info = ks.heap.cow.info();
    assert.ok(info !== null && info.forSnapshot, 'the first change opened the epoch');
    assert.ok((ks.snapshots.info()?.cowBytes ?? 0) < 1000, 'nothing was copied whole');
    save.abort();
    assert.equal(ks.snapshots.running, false);
    assert.equal(ks.heap.cow.info(), null);
    assert.deepEqual(ks.exec(() => checkKeyspace(ks)).errors, []);
    assert.equal(kv.call('HLEN', 'h'), 301);
    assert.equal(kv.call('SCARD', 's2'), 301);
  });
});
