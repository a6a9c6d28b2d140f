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
import { openKeyspace, type SegmentKeyspace } from '../../src/keyspace/open.js';
import { checkKeyspace } from '../../src/keyspace/check.js';
import { Digest, valueDigest } from '../../src/keyspace/digest.js';
import { removeSegment } from '../helpers/shmkv-server.js';
import '../../src/types/index.js';

type KV = ReturnType<typeof open>;

function rng(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    return (s >>> 0) / 2 ** 32;
  };
}

/** db:key → digest of value and expiry, read from the keyspace as it is now. */
function model(ks: SegmentKeyspace): Map<string, string> {
  const out = new Map<string, string>();
  ks.exec(() => {
    for (let db = 0; db < ks.databases; db++) ks.forEachStored(db, (e) => out.set(`${db}:${ks.keyOf(e).toString('latin1')}`, digestOf(ks, e)));
  });
  return out;
}

function digestOf(ks: SegmentKeyspace, e: number): string {
  const d = new Digest();
  valueDigest(ks, e, d);
  return `${d.hex()}@${ks.expireAtExact(e)}`;
}

const DBS = 4;

function fill(kv: KV, r: () => number, keys: number): void {
  for (let db = 0; db < DBS; db++) {
    kv.call('SELECT', db);
    for (let i = 0; i < keys; i++) {
      const k = `k${i % 40}:${i}`;
      switch (i % 6) {
        case 0: kv.call('SET', k, `v${i}`.repeat(1 + (i % 50))); break;
        case 1: kv.call('RPUSH', k, ...Array.from({ length: 1 + (i % 300) }, (_, j) => `e${j}`)); break;
        case 2: kv.call('HSET', k, ...Array.from({ length: 1 + (i % 200) }, (_, j) => [`f${j}`, `${j}`]).flat()); break;
        case 3: kv.call('SADD', k, ...Array.from({ length: 1 + (i % 200) }, (_, j) => (i % 2 ? `${j}` : `m${j}`))); break;
        case 4: kv.call('ZADD', k, ...Array.from({ length: 1 + (i % 200) }, (_, j) => [j % 13, `z${j}`]).flat()); break;
        default: kv.call('SET', k, `${i}`);
      }
      if (r() < 0.2) kv.call('PEXPIRE', k, 100000 + Math.floor(r() * 100000));
    }
  }
}

/** One random write through the library (any process's writes go through the same seam). */
function randomWrite(kv: KV, r: () => number, keys: number): void {
  const db = Math.floor(r() * DBS);
  kv.call('SELECT', db);
  const i = Math.floor(r() * keys * 1.2);
  const k = `k${i % 40}:${i}`;
  const k2 = `k${(i + 7) % 40}:${i + 7}`;
  const op = Math.floor(r() * 44);
  try {
    switch (op) {
      case 0: kv.call('SET', k, `new${r()}`); break;
      case 1: kv.call('DEL', k); break;
      case 2: kv.call('APPEND', k, 'xyz'); break;
      case 3: kv.call('INCR', k); break;
      case 4: kv.call('LPUSH', k, 'a', 'b'); break;
      case 5: kv.call('RPOP', k); break;
      case 6: kv.call('HSET', k, 'nf', 'nv'); break;
      case 7: kv.call('HDEL', k, 'f1', 'f2'); break;
      case 8: kv.call('SADD', k, 'x', '77'); break;
      case 9: kv.call('SPOP', k); break;
      case 10: kv.call('ZADD', k, '5', 'nz'); break;
      case 11: kv.call('ZINCRBY', k, '2', 'z1'); break;
      case 12: kv.call('PEXPIRE', k, 500000); break;
      case 13: kv.call('PERSIST', k); break;
      case 14: kv.call('RENAME', k, k2); break;
      case 15: kv.call('MOVE', k, String((db + 1) % DBS)); break;
      case 16: kv.call('COPY', k, k2, 'REPLACE'); break;
      case 17: if (r() < 0.1) kv.call('SWAPDB', String(db), String((db + 1) % DBS)); break;
      case 18: if (r() < 0.03) kv.call('FLUSHDB'); break;
      case 19: kv.call('SETRANGE', k, 3, 'QQ'); break;
      case 20: kv.call('LSET', k, 0, 'changed'); break;
      case 21: kv.call('LMOVE', k, k2, 'LEFT', 'RIGHT'); break;
      case 22: kv.call('SMOVE', k, k2, 'm1'); break;
      case 23: kv.call('ZUNIONSTORE', k2, 2, k, k2); break;
      case 24: kv.call('GETDEL', k); break;
      case 25: kv.call('GETEX', k, 'PX', 400000); break;
      case 26: kv.call('SETBIT', k, 100, 1); break;
      case 27: kv.call('PFADD', k, 'a', 'b', 'c'); break;
      case 28: kv.call('SORT', k, 'ALPHA', 'STORE', k2); break;
      case 29: kv.call('PFCOUNT', k); break;
      case 30: kv.call('BITFIELD', k, 'INCRBY', 'u8', 16, 3); break;
      case 31: kv.call('LINSERT', k, 'BEFORE', 'e1', 'ins'); break;
      case 32: kv.call('LREM', k, 0, 'e2'); break;
      case 33: kv.call('LTRIM', k, 1, -2); break;
      case 34: kv.call('ZREMRANGEBYRANK', k, 0, 1); break;
      case 35: kv.call('ZPOPMIN', k); break;
      case 36: kv.call('SINTERSTORE', k2, k, k2); break;
      case 37: kv.call('HINCRBYFLOAT', k, 'f4', '1.5'); break;
      case 38: kv.call('MSET', k, 'm1', k2, 'm2'); break;
      case 39: kv.call('PEXPIRE', k, -1); break;
      case 40: kv.call('SETEX', k, 1000, 'sx'); break;
      case 41: kv.call('SREM', k, '1', 'm1'); break;
      case 42: kv.call('ZREM', k, 'z2'); break;
      default: kv.call('HINCRBY', k, 'f3', 1);
    }
  } catch (err) {
    if (!/WRONGTYPE|ERR/.test((err as Error).message) || /snapshot/.test((err as Error).message)) throw err;
  }
}

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
