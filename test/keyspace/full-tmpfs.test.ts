/**
 * A keyspace on a tmpfs too small for it: writes fail with a clean OOM error, never
 * SIGBUS; the keyspace stays usable and consistent, and what was written is intact.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openKeyspace as openStore } from '../../src/keyspace/open.js';
import { readString, setString } from '../../src/types/string/storage.js';
import { checkKeyspace } from '../../src/keyspace/check.js';
import '../../src/types/index.js';
import { unlinkPosix } from '../../src/shm/posix.js';

let dir = '';
let mounted = false;
const isRoot = process.getuid?.() === 0;

before(() => {
  if (!isRoot) {
    console.error('\n!!! SKIPPING the full-tmpfs keyspace test: not root, cannot mount a small tmpfs !!!\n');
    return;
  }
  dir = mkdtempSync(join(tmpdir(), 'shmkv-full-'));
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=12m', 'tmpfs', dir], { stdio: 'pipe' });
    mounted = true;
  } catch (e) {
    console.error(`\n!!! SKIPPING the full-tmpfs keyspace test: mount failed: ${(e as Error).message} !!!\n`);
  }
});

after(() => {
  if (mounted) execFileSync('umount', ['-l', dir], { stdio: 'pipe' });
  if (dir) rmdirSync(dir);
});

test('filling a 12 MiB tmpfs: OOM error replies, no SIGBUS, keyspace intact and usable', (t) => {
  if (!mounted) {
    t.skip('needs root and a mountable tmpfs: NOT RUN');
    return;
  }
  const store = openStore({ segment: 'full', dir, reserve: 1 << 30 });
  let written = 0;
  let err: Error | null = null;
  const value = Buffer.alloc(1000, 0x61);
  try {
    for (; written < 100000; written++) {
      try {
        store.exec(() => setString(store, 0, Buffer.from(`key:${written}`), value, 0));
      } catch (e) {
        err = e as Error;
        break;
      }
    }
    assert.ok(err, 'the tmpfs filled up');
    assert.match(err!.message, /^OOM /);
    assert.ok(written > 1000, `wrote ${written} keys first`);
    // Usable: reads work, deletes free room, new writes succeed again.
    store.exec(() => {
      for (let i = 0; i < written; i += 97) assert.equal(readString(store, store.find(0, Buffer.from(`key:${i}`))).length, 1000);
    });
    store.exec(() => {
      for (let i = 0; i < 500; i++) store.delete(0, Buffer.from(`key:${i}`));
    });
    store.exec(() => setString(store, 0, Buffer.from('after'), Buffer.from('ok'), 0));
    assert.equal(store.dbsize(0), written - 500 + 1);
    const r = store.exec(() => checkKeyspace(store));
    assert.deepEqual(r.errors, []);
  } finally {
    store.close();
    unlinkPosix('full', dir);
  }
});
