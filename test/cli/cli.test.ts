import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { writeFileSync, chmodSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { openKeyspace as openStore } from '../../src/keyspace/open.js';
import { setString } from '../../src/types/string/storage.js';
import '../../src/types/index.js';
import { unlinkPosix, posixPath } from '../../src/shm/posix.js';
import { Heap } from '../../src/heap/heap.js';

const cli = fileURLToPath(new URL('../../src/cli/main.js', import.meta.url));
const run = (...args: string[]) => spawnSync(process.execPath, [cli, ...args], { encoding: 'utf8' });
let n = 0;
const name = () => `t-cli-${process.pid}-${n++}`;

test('ls, info and check on a live keyspace; rm refuses while attached, then removes', () => {
  const seg = name();
  const store = openStore({ segment: seg });
  try {
    store.exec(() => {
      for (let i = 0; i < 1000; i++) setString(store, 0, Buffer.from(`k${i}`), Buffer.from(`v${i}`), i % 2 ? store.now + 1e6 : 0);
    });
    const ls = run('ls');
    assert.equal(ls.status, 0, ls.stderr);
    const row = ls.stdout.split('\n').find((l) => l.startsWith(seg + ' '));
    assert.ok(row, ls.stdout);
    assert.match(row!, /posix/);
    assert.match(row!, /0600/);
    assert.match(row!, new RegExp(String(process.pid)));

    const info = run('info', seg, '--json');
    assert.equal(info.status, 0, info.stderr);
    const j = JSON.parse(info.stdout);
    assert.equal(j.keyspace.db0.keys, 1000);
    assert.equal(j.keyspace.db0.expires, 500);
    assert.ok(j.heap.usedBytes > 0);

    const check = run('check', seg);
    assert.equal(check.status, 0, check.stdout + check.stderr);
    assert.match(check.stdout, /ok: .*1000 keys/);

    const busy = run('rm', seg);
    assert.equal(busy.status, 1);
    assert.match(busy.stderr, /attached by pid/);
  } finally {
    store.close();
  }
  const rm = run('rm', seg);
  assert.equal(rm.status, 0, rm.stderr);
  assert.match(rm.stdout, /removed posix segment/);
  assert.equal(run('check', seg).status, 2);
});

test('check reports damage with exit 1 and says what is wrong', () => {
  const seg = name();
  const store = openStore({ segment: seg });
  store.exec(() => {
    for (let i = 0; i < 100; i++) setString(store, 0, Buffer.from(`k${i}`), Buffer.from(`value-${i}`), 0);
  });
  // Corrupt one entry's chunk header (as a stray write would).
  store.exec(() => {
    const e = store.find(0, Buffer.from('k7'));
    store.heap.dv.setUint32(e - 8, 0xdeadbeef, true);
  });
  store.close();
  const r = run('check', seg);
  assert.equal(r.status, 1, r.stdout + r.stderr);
  assert.match(r.stdout, /damaged: /);
  unlinkPosix(seg);
});

test('clear one-line errors: missing segment, foreign file, wrong heap version', () => {
  const missing = run('check', 'does-not-exist-' + process.pid);
  assert.equal(missing.status, 2);
  assert.equal(missing.stderr.trim().split('\n').length, 1);

  const foreign = name();
  writeFileSync(posixPath(foreign), Buffer.alloc(8192, 0x41));
  chmodSync(posixPath(foreign), 0o600);
  const f = run('check', foreign);
  assert.equal(f.status, 2);
  assert.match(f.stderr, /not a shmkv segment|magic/i);
  unlinkPosix(foreign);

  const old = name();
  const store = openStore({ segment: old });
  new DataView(store.heap.mem.sab).setUint32(store.heap.base + 8, 99, true);
  store.close();
  const v = run('check', old);
  assert.equal(v.status, 2);
  assert.match(v.stderr, /version 99/);
  unlinkPosix(old);
  void Heap;
});

test('usage errors exit 2', () => {
  assert.equal(run().status, 2);
  assert.equal(run('frobnicate').status, 2);
  assert.equal(run('rm').status, 2);
});
