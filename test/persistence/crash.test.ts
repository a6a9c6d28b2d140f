/**
 * kill -9 around snapshots: a `shmkv save` walking the keyspace and a library process
 * writing collections are SIGKILLed at random points, in random order. After each round
 * the keyspace is clean (the checker accounts for a dead snapshot's side tables), the next
 * process to open it drops the dead snapshot and frees what it preserved, the last good
 * RDB file is untouched, and at the end a save gives exactly the keyspace.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawn, spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { sleep } from '../helpers/ports.js';
import { removeSegment } from '../helpers/shmkv-server.js';
import { startWorker } from '../helpers/kv-workers.js';
import { fill, model, rng } from '../helpers/keyspace-model.js';
import { open } from '../../src/kv/index.js';
import { openKeyspace } from '../../src/keyspace/open.js';
import { checkKeyspace } from '../../src/keyspace/check.js';
import { loadRdb } from '../../src/persistence/rdb_load.js';
import '../../src/types/index.js';

const CLI = fileURLToPath(new URL('../../src/cli/main.js', import.meta.url));
const ITERATIONS = Number(process.env.SHMKV_CRASH_ITERATIONS ?? 8);

for (const pins of [false, true]) {
  const what = pins ? 'big values pinned through the copy-on-write epoch' : 'values copied aside';
  const rounds = pins ? Math.max(4, Math.floor(ITERATIONS / 2)) : ITERATIONS;
  // (with the bar of "big" at 100 elements, the workload's collections are pinned, not copied)
  const env = pins ? { ...process.env, SHMKV_DEBUG_BIG_VALUE: '100' } : process.env;
  test(`SIGKILL of a snapshot walker and of a writer at random points, ${what} (${rounds} rounds): clean keyspace, dead snapshots reclaimed, the last file intact`, async () => {
  const segment = `test-snap-crash-${pins ? 'pins-' : ''}${process.pid}`;
  removeSegment(segment);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'shmkv-snap-crash-'));
  const file = path.join(dir, 'dump.rdb');
  const kv = open({ segment, create: true });
  try {
    fill(kv, rng(5), 150);
    assert.equal(spawnSync(process.execPath, [CLI, 'save', segment, file], { encoding: 'utf8' }).status, 0);
    let epochsSeen = 0;
    const probe = openKeyspace({ segment, create: false });
    // (with pins, a few more rounds while no kill has landed inside an epoch yet: where a
    // random sleep lands depends on the machine's load)
    let it = 0;
    for (; it < rounds || (pins && epochsSeen === 0 && it < rounds + 8); it++) {
      const before = fs.readFileSync(file);
      const writer = startWorker(['collections', segment], env);
      await writer.ready;
      const saver = spawn(process.execPath, [CLI, 'save', segment, file, '--key-save-delay', '200'], { stdio: 'ignore', env });
      const saverExit = new Promise<void>((r) => saver.once('exit', () => r()));
      if (pins) {
        // into the walk (the saver's start-up takes 100 ms or more), then a random point of it
        // (the probe reads without the lock: a probe, not a check)
        for (const end = performance.now() + 3000; !probe.snapshots.running && performance.now() < end; ) await sleep(2);
        await sleep(Math.random() * 120);
        if (probe.heap.cow.info()?.forSnapshot) epochsSeen++;
      } else await sleep(20 + Math.random() * 150);
      const order = Math.random() < 0.5;
      (order ? saver : writer).kill('SIGKILL');
      await sleep(Math.random() * 30);
      (order ? writer : saver).kill('SIGKILL');
      await saverExit;
      await writer.exited;
      // the file is the last good one, or a complete new one (the saver may have finished)
      const after = fs.readFileSync(file);
      if (!after.equals(before)) {
        const seg = `${segment}-verify`;
        removeSegment(seg);
        const v = openKeyspace({ segment: seg });
        try {
          loadRdb(v, file, { skipExpired: false });
        } finally {
          v.close();
          removeSegment(seg);
        }
      }
      const ks = openKeyspace({ segment, create: false });
      try {
        assert.equal(ks.snapshots.running, false, `round ${it}: the dead snapshot is dropped when the keyspace is opened`);
        assert.equal(ks.heap.cow.info(), null, `round ${it}: the dead snapshot's copy-on-write epoch is ended`);
        ks.lazyFreeAll();
        assert.deepEqual(ks.exec(() => checkKeyspace(ks)).errors, [], `round ${it}: checker`);
      } finally {
        ks.close();
      }
    }
    probe.close();
    if (pins) console.log(`# ${what}: an epoch was open at ${epochsSeen} of ${it} kills`);
    if (pins) assert.ok(epochsSeen > 0, 'values were pinned');
    const ks = openKeyspace({ segment, create: false });
    const want = model(ks);
    ks.close();
    assert.equal(spawnSync(process.execPath, [CLI, 'save', segment, file], { encoding: 'utf8' }).status, 0);
    const seg = `${segment}-final`;
    removeSegment(seg);
    const v = openKeyspace({ segment: seg });
    try {
      loadRdb(v, file, { skipExpired: false });
      assert.deepEqual([...model(v).entries()].sort(), [...want.entries()].sort());
    } finally {
      v.close();
      removeSegment(seg);
    }
  } finally {
    kv.close();
    removeSegment(segment);
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
}
