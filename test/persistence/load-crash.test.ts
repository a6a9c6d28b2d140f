/**
 * kill -9 of a process loading an RDB file into an empty segment (`shmkv load`, as a server
 * at start-up): the load is one operation over the whole file, filling tables made in it,
 * so the segment a crash leaves behind is empty (marked as a load cut short, which a server
 * starting on it loads again) and clean, never half-loaded; a load after it holds the file.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawn, spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { open } from '../../src/kv/index.js';
import { openKeyspace } from '../../src/keyspace/open.js';
import { checkKeyspace } from '../../src/keyspace/check.js';
import { loadInterrupted } from '../../src/persistence/rdb_load.js';
import { removeSegment } from '../helpers/shmkv-server.js';
import { model } from '../helpers/keyspace-model.js';
import { sleep } from '../helpers/ports.js';
import '../../src/types/index.js';

const CLI = fileURLToPath(new URL('../../src/cli/main.js', import.meta.url));
const ROUNDS = Number(process.env.SHMKV_CRASH_ITERATIONS ?? 8);

test(`SIGKILL while an RDB file loads into an empty segment (${ROUNDS} rounds): empty and clean, or whole; loaded whole afterwards`, async () => {
  const src = `test-load-crash-src-${process.pid}`;
  const dst = `test-load-crash-${process.pid}`;
  removeSegment(src);
  removeSegment(dst);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'shmkv-load-crash-'));
  const file = path.join(dir, 'x.rdb');
  const kv = open({ segment: src, create: true });
  const pids = new Set<number>();
  try {
    for (let i = 0; i < 150_000; i += 1000) kv.mset(Array.from({ length: 1000 }, (_, j): [string, string] => [`k:${i + j}`, `value-${i + j}`]));
    for (let i = 0; i < 50; i++) kv.call('HSET', `h:${i}`, ...Array.from({ length: 300 }, (_, j) => [`f${j}`, `v${j}`]).flat());
    kv.call('SELECT', '2');
    kv.call('RPUSH', 'list', ...Array.from({ length: 5000 }, (_, j) => `e${j}`));
    kv.call('SET', 'ttl', 'v', 'EX', '1000');
    kv.call('SELECT', '0');
    const s = spawnSync(process.execPath, [CLI, 'save', src, file], { encoding: 'utf8' });
    assert.equal(s.status, 0, s.stderr);
    const srcKs = openKeyspace({ segment: src, create: false });
    const want = model(srcKs);
    srcKs.close();

    let cut = 0;
    for (let round = 0; round < ROUNDS; round++) {
      const child = spawn(process.execPath, [CLI, 'load', dst, file], { stdio: 'ignore' });
      pids.add(child.pid!);
      const exited = new Promise<string | null>((resolve) => child.once('exit', (_code, signal) => resolve(signal)));
      await sleep(120 + Math.random() * 400);
      if (child.exitCode === null) process.kill(child.pid!, 'SIGKILL');
      const signal = await exited;
      pids.delete(child.pid!);
      let ks;
      try {
        ks = openKeyspace({ segment: dst, create: false });
      } catch (e) {
        // killed before it made the segment
        assert.match((e as Error).message, /does not exist/);
        continue;
      }
      try {
        assert.deepEqual(ks.exec(() => checkKeyspace(ks)).errors, [], `round ${round}: keyspace check`);
        const keys = model(ks).size;
        if (ks.exec(() => loadInterrupted(ks))) {
          cut++;
          assert.equal(keys, 0, `round ${round}: a load cut short left ${keys} keys`);
        } else if (signal === null) assert.equal(keys, want.size, `round ${round}: a load that finished holds the file`);
      } finally {
        ks.close();
      }
      // the next round loads into it again (as a server starting on it would), or anew
      if (round % 2 === 1) removeSegment(dst);
      else {
        const ks2 = openKeyspace({ segment: dst, create: false });
        const empty = model(ks2).size === 0;
        ks2.close();
        if (!empty) removeSegment(dst);
      }
    }
    console.log(`# ${ROUNDS} loads killed, ${cut} of them mid-load`);
    assert.ok(cut > 0, 'some kills landed in the middle of a load');
    const l = spawnSync(process.execPath, [CLI, 'load', dst, file], { encoding: 'utf8' });
    assert.equal(l.status, 0, l.stderr);
    const ks = openKeyspace({ segment: dst, create: false });
    try {
      assert.deepEqual(ks.exec(() => checkKeyspace(ks)).errors, []);
      assert.deepEqual([...model(ks).entries()].sort(), [...want.entries()].sort());
      assert.equal(ks.exec(() => loadInterrupted(ks)), false);
    } finally {
      ks.close();
    }
  } finally {
    for (const pid of pids) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // gone already
      }
    }
    kv.close();
    removeSegment(src);
    removeSegment(dst);
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
