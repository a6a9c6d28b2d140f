/**
 * Persistence from a library process: kv.save / kv.bgsave write the keyspace where the
 * handle's rdbDir says (the same snapshot a server takes), kv.dump / kv.restore move values
 * between keyspaces (and to any Redis), and a file a library saved loads into a new segment.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { open } from '../../src/kv/index.js';
import { openKeyspace } from '../../src/keyspace/open.js';
import { loadRdb } from '../../src/persistence/rdb_load.js';
import { removeSegment } from '../helpers/shmkv-server.js';
import { fill, model, rng } from '../helpers/keyspace-model.js';
import { sleep } from '../helpers/ports.js';
import '../../src/types/index.js';

test('kv.save / kv.bgsave / kv.lastsave / kv.dump / kv.restore', async () => {
  const a = `test-kv-persist-a-${process.pid}`;
  const b = `test-kv-persist-b-${process.pid}`;
  removeSegment(a);
  removeSegment(b);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'shmkv-kv-rdb-'));
  const kv = open({ segment: a, rdbDir: dir, dbfilename: 'lib.rdb' });
  const kv2 = open({ segment: b });
  try {
    fill(kv, rng(21), 80);
    kv.save();
    assert.ok(fs.statSync(path.join(dir, 'lib.rdb')).size > 0);
    assert.ok(Math.abs(kv.lastsave() - Date.now() / 1000) < 5);
    kv.set('after', 'x');
    assert.equal(kv.bgsave(), 'Background saving started');
    while (/rdb_bgsave_in_progress:1/.test(String(kv.call('INFO', 'persistence')))) await sleep(5);
    const ks = openKeyspace({ segment: a, create: false });
    const want = model(ks);
    ks.close();
    const c = `test-kv-persist-c-${process.pid}`;
    removeSegment(c);
    const ks3 = openKeyspace({ segment: c });
    try {
      loadRdb(ks3, path.join(dir, 'lib.rdb'));
      assert.deepEqual([...model(ks3).entries()].sort(), [...want.entries()].sort());
    } finally {
      ks3.close();
      removeSegment(c);
    }
    // DUMP here, RESTORE there
    kv.rpush('l', 'a', 'b', 'c');
    const payload = kv.dump('l')!;
    assert.ok(Buffer.isBuffer(payload));
    assert.equal(kv.dump('nope'), null);
    assert.equal(kv2.restore('l2', 0, payload), 'OK');
    assert.deepEqual(kv2.lrange('l2', 0, -1), ['a', 'b', 'c']);
    assert.throws(() => kv2.restore('l2', 0, payload), /BUSYKEY/);
    assert.equal(kv2.restore('l2', 60_000, payload, { replace: true }), 'OK');
    assert.ok((kv2.call('PTTL', 'l2') as number) > 50_000);
  } finally {
    kv.close();
    kv2.close();
    removeSegment(a);
    removeSegment(b);
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
