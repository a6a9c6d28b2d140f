/**
 * A load into an empty keyspace is one operation (src/persistence/rdb_load.ts): big hashes
 * and sets of the file go into the heap an element at a time (RdbVisitor.elements), every
 * other value whole. What it builds equals what the batched load (into a keyspace that holds keys)
 * builds; a file that turns out bad anywhere — a field twice in a streamed hash, a wrong
 * checksum at its very end — leaves the keyspace empty and clean.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { open } from '../../src/kv/index.js';
import { openKeyspace } from '../../src/keyspace/open.js';
import { checkKeyspace } from '../../src/keyspace/check.js';
import { loadRdb } from '../../src/persistence/rdb_load.js';
import { writeRdbFilePath } from '../../src/rdb/file.js';
import { OBJ_HASH, OBJ_SET, OBJ_STRING, type RdbValue } from '../../src/rdb/value.js';
import { removeSegment } from '../helpers/shmkv-server.js';
import { model } from '../helpers/keyspace-model.js';
import '../../src/types/index.js';

const enc = (x: string): Uint8Array => Buffer.from(x, 'latin1');

function bigHash(n: number, dup = -1): RdbValue {
  const fields: Uint8Array[] = [];
  const values: Uint8Array[] = [];
  for (let i = 0; i < n; i++) {
    // numbers too: the writer stores them int-encoded, which the reader decodes apart
    fields.push(enc(i === dup ? 'f:1' : i % 3 === 0 ? String(i) : `f:${i}`));
    values.push(enc(i % 5 === 0 ? String(i * 7) : `value-${i}-${'x'.repeat(i % 40)}`));
  }
  return { type: OBJ_HASH, encoding: 'hashtable', fields, values };
}

function bigSet(n: number, dup = -1): RdbValue {
  const members: Uint8Array[] = [];
  for (let i = 0; i < n; i++) members.push(enc(i === dup ? 'm:1' : i % 4 === 0 ? String(i) : `m:${i}`));
  return { type: OBJ_SET, encoding: 'hashtable', members };
}

test('load into an empty keyspace: big hashes and sets streamed a pair at a time build what the batched load builds; a bad file leaves it empty', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'shmkv-load-whole-'));
  const segs = [`test-load-whole-a-${process.pid}`, `test-load-whole-b-${process.pid}`];
  for (const s of segs) removeSegment(s);
  try {
    const good = path.join(dir, 'good.rdb');
    writeRdbFilePath(good, (w) => {
      w.selectDb(0);
      w.key(enc('h1'), bigHash(5000));
      w.key(enc('h2'), bigHash(1500), { expireAt: Date.now() + 3_600_000 });
      w.key(enc('gone'), bigHash(2000), { expireAt: 1000 }); // expired: skipped
      w.key(enc('small'), bigHash(50));
      w.key(enc('s'), { type: OBJ_STRING, value: enc('v') });
      w.key(enc('set1'), bigSet(4000));
      w.key(enc('set2'), bigSet(300)); // under set-max-intset-entries and the stream's bar: read whole
      w.key(enc('ints'), { type: OBJ_SET, encoding: 'hashtable', members: Array.from({ length: 2000 }, (_, i) => enc(String(i * 3))) });
      w.selectDb(3);
      w.key(enc('h1'), bigHash(1024));
    });
    // a: empty keyspace (one operation, hashes streamed); b: holds a key (batches, whole values)
    const a = open({ segment: segs[0]!, create: true });
    const b = open({ segment: segs[1]!, create: true });
    b.call('SELECT', '9');
    b.set('other', 'x');
    a.close();
    b.close();
    const models: Map<string, string>[] = [];
    for (const s of segs) {
      const ks = openKeyspace({ segment: s, create: false });
      try {
        const r = loadRdb(ks, good);
        assert.equal(r.keys, 8);
        assert.equal(r.expired, 1);
        assert.deepEqual(ks.exec(() => checkKeyspace(ks)).errors, []);
        const m = model(ks);
        m.delete('9:other');
        models.push(m);
      } finally {
        ks.close();
      }
    }
    assert.equal(models[0]!.size, 8);
    assert.deepEqual([...models[0]!.entries()].sort(), [...models[1]!.entries()].sort());
    const kv = open({ segment: segs[0]! });
    assert.equal(kv.call('HLEN', 'h1'), 5000);
    assert.equal(kv.call('HGET', 'h1', '3'), 'value-3-xxx');
    assert.equal(kv.call('HGET', 'h1', '15'), '105');
    assert.equal(kv.call('OBJECT', 'ENCODING', 'h1'), 'hashtable');
    assert.ok((kv.call('TTL', 'h2') as number) > 3000);
    assert.equal(kv.call('EXISTS', 'gone'), 0);
    assert.equal(kv.call('SCARD', 'set1'), 4000);
    assert.equal(kv.call('SISMEMBER', 'set1', '8'), 1);
    assert.equal(kv.call('SISMEMBER', 'set1', 'm:9'), 1);
    assert.equal(kv.call('OBJECT', 'ENCODING', 'ints'), 'hashtable');
    assert.equal(kv.call('SISMEMBER', 'ints', '5997'), 1);
    kv.close();

    // bad files: a field twice in a streamed hash (after other keys), a checksum that does not match
    const dupFile = path.join(dir, 'dup.rdb');
    writeRdbFilePath(dupFile, (w) => {
      w.selectDb(0);
      for (let i = 0; i < 100; i++) w.key(enc(`k${i}`), { type: OBJ_STRING, value: enc('v') });
      w.key(enc('h'), bigHash(3000, 2500));
    });
    const dupSetFile = path.join(dir, 'dupset.rdb');
    writeRdbFilePath(dupSetFile, (w) => {
      w.selectDb(0);
      w.key(enc('k'), { type: OBJ_STRING, value: enc('v') });
      w.key(enc('set'), bigSet(3000, 2999));
    });
    const crcFile = path.join(dir, 'crc.rdb');
    fs.copyFileSync(good, crcFile);
    const bytes = fs.readFileSync(crcFile);
    bytes[bytes.length - 1] ^= 0xff;
    fs.writeFileSync(crcFile, bytes);
    for (const [file, why] of [
      [dupFile, /hash field is there twice.*in a hash value.*key 'h'/],
      [dupSetFile, /set member is there twice.*in a set value.*key 'set'/],
      [crcFile, /checksum mismatch/],
    ] as const) {
      removeSegment(segs[0]!);
      const ks = openKeyspace({ segment: segs[0]!, create: true });
      try {
        assert.throws(() => loadRdb(ks, file), why);
        assert.deepEqual(ks.exec(() => checkKeyspace(ks)).errors, []);
        assert.equal(model(ks).size, 0, 'nothing loaded');
      } finally {
        ks.close();
      }
    }
  } finally {
    for (const s of segs) removeSegment(s);
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
