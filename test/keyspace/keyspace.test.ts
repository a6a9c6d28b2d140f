import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { MemoryBacking } from '../../src/heap/memory-backing.js';
import { Keyspace } from '../../src/keyspace/keyspace.js';
import { readString, resizeString, setString, spliceStringCopy, stringLength, stringOffset } from '../../src/types/string/storage.js';
import { checkKeyspace } from '../../src/keyspace/check.js';
import { checkHeap } from '../../src/heap/check.js';
import '../../src/types/index.js';

const open = () => Keyspace.open(new MemoryBacking({ reserved: 256 << 20 }), { databases: 4 });
const b = (s: string) => Buffer.from(s);

function assertClean(ks: Keyspace) {
  const r = ks.heap.isLocked ? checkKeyspace(ks) : ks.exec(() => checkKeyspace(ks));
  assert.deepEqual(r.errors, []);
}

test('set, get, overwrite, delete many keys across segment splits', () => {
  const ks = open();
  ks.exec(() => {
    for (let i = 0; i < 5000; i++) setString(ks, 0, b(`key:${i}`), b(`v${i}`), 0);
  });
  assert.equal(ks.dbsize(0), 5000);
  ks.exec(() => {
    for (let i = 0; i < 5000; i += 2) setString(ks, 0, b(`key:${i}`), b('x'.repeat(i % 300)), 0);
  });
  ks.exec(() => {
    for (let i = 0; i < 5000; i++) {
      const e = ks.find(0, b(`key:${i}`));
      assert.ok(e);
      assert.equal(readString(ks, e).toString(), i % 2 === 0 ? 'x'.repeat(i % 300) : `v${i}`);
    }
    for (let i = 0; i < 5000; i += 3) assert.ok(ks.delete(0, b(`key:${i}`)));
  });
  assert.equal(ks.dbsize(0), 5000 - 1667);
  assertClean(ks);
});

test('scan returns every key present for the whole scan, while keys are added and removed', () => {
  const ks = open();
  ks.exec(() => {
    for (let i = 0; i < 3000; i++) setString(ks, 0, b(`stable:${i}`), b('1'), 0);
  });
  const seen = new Set<string>();
  let cursor = 0;
  let round = 0;
  do {
    cursor = ks.exec(() => {
      const out: number[] = [];
      const next = ks.scan(0, cursor, 10, out);
      for (const e of out) seen.add(ks.keyOf(e).toString());
      // Churn between calls: grow (splits, directory doubling) and delete.
      for (let j = 0; j < 20; j++) setString(ks, 0, b(`churn:${round}:${j}`), b('x'), 0);
      if (round > 2) for (let j = 0; j < 20; j++) ks.delete(0, b(`churn:${round - 2}:${j}`));
      return next;
    });
    round++;
  } while (cursor !== 0);
  for (let i = 0; i < 3000; i++) assert.ok(seen.has(`stable:${i}`), `stable:${i} missed`);
  assertClean(ks);
});

test('expiry: lazy on access, active by sampling, TTL kept or replaced', () => {
  const ks = open();
  ks.exec(() => {
    for (let i = 0; i < 100; i++) setString(ks, 0, b(`t:${i}`), b('v'), ks.now + 50);
    setString(ks, 0, b('keep'), b('v'), ks.now + 100000);
    setString(ks, 0, b('keep'), b('w'), -1);
  });
  assert.equal(ks.expiresCount(0), 101);
  const until = Date.now() + 80;
  while (Date.now() < until) {
    /* wait for expiry */
  }
  ks.activeExpireCycle(50);
  assert.ok(ks.dbsize(0) < 101, 'active expiry removed some');
  ks.exec(() => {
    assert.equal(ks.find(0, b('t:1')), 0);
    const e = ks.find(0, b('keep'));
    assert.ok(ks.expireAt(e) > ks.now);
    setString(ks, 0, b('keep'), b('z'), 0);
  });
  ks.exec(() => {
    for (let i = 0; i < 100; i++) ks.find(0, b(`t:${i}`));
  });
  assert.equal(ks.dbsize(0), 1);
  assert.equal(ks.expiresCount(0), 0);
  assertClean(ks);
});

test('entry layouts: no expiry field until a key gets a TTL; a 16-byte key and value fit 64 bytes', () => {
  const ks = open();
  const key = b('key:000000012345');
  const val = b('0123456789abcdef');
  ks.exec(() => setString(ks, 0, key, val, 0));
  let e = ks.exec(() => ks.find(0, key));
  assert.equal(ks.hasExpireField(e), false);
  // (the chunk: 8 bytes of heap header, 20 of entry header, key and value)
  assert.equal(ks.memoryUsage(e), 64);
  // the first TTL moves the entry; what it holds stays
  const moved = ks.exec(() => ks.setExpireAt(0, ks.find(0, key), ks.now + 100000));
  assert.notEqual(moved, e);
  e = ks.exec(() => ks.find(0, key));
  assert.equal(e, moved);
  assert.equal(ks.hasExpireField(e), true);
  assert.ok(ks.expireAt(e) > ks.now);
  assert.equal(readString(ks, e).toString(), val.toString());
  assert.equal(ks.keyOf(e).toString(), key.toString());
  assert.equal(ks.expiresCount(0), 1);
  assertClean(ks);
  // PERSIST and a new TTL keep the entry where it is; a SET without TTL overwrites in place
  assert.equal(ks.exec(() => ks.setExpireAt(0, e, 0)), e);
  assert.equal(ks.exec(() => ks.setExpireAt(0, e, ks.now + 5000)), e);
  ks.exec(() => setString(ks, 0, key, b('short'), 0));
  assert.equal(ks.exec(() => ks.find(0, key)), e);
  assert.equal(ks.expireAt(e), 0);
  assert.equal(ks.expiresCount(0), 0);
  // a TTL far past 2^53 survives the move exactly
  ks.exec(() => setString(ks, 0, b('far'), val, 0));
  ks.exec(() => ks.setExpireAt(0, ks.find(0, b('far')), 9223372036854770000n));
  assert.equal(ks.exec(() => ks.expireAtExact(ks.find(0, b('far')))), 9223372036854770000n);
  // a move rolled back leaves the old entry in the table, without TTL
  ks.exec(() => setString(ks, 0, b('r'), val, 0));
  const r = ks.exec(() => ks.find(0, b('r')));
  assert.throws(() =>
    ks.exec(() => {
      ks.setExpireAt(0, r, ks.now + 100000);
      throw new Error('abort');
    }),
  );
  assert.equal(ks.exec(() => ks.find(0, b('r'))), r);
  assert.equal(ks.expireAt(r), 0);
  assertClean(ks);
  // rename and copy keep the layout and the TTL
  ks.exec(() => {
    ks.rename(0, ks.find(0, b('far')), b('far2'));
    ks.copy(0, ks.find(0, b('far2')), 1, b('far3'), false);
  });
  assert.equal(ks.exec(() => ks.expireAtExact(ks.find(0, b('far2')))), 9223372036854770000n);
  assert.equal(ks.exec(() => ks.expireAtExact(ks.find(1, b('far3')))), 9223372036854770000n);
  assertClean(ks);
});

test('flushdb frees lazily, swapdb, move, copy, rename', () => {
  const ks = open();
  ks.exec(() => {
    for (let i = 0; i < 4000; i++) setString(ks, 1, b(`k${i}`), b('v'.repeat(i % 200)), i % 3 === 0 ? ks.now + 1e6 : 0);
  });
  ks.exec(() => ks.swapdb(0, 1));
  assert.equal(ks.dbsize(0), 4000);
  assert.equal(ks.dbsize(1), 0);
  ks.exec(() => {
    const e = ks.find(0, b('k5'));
    assert.ok(ks.move(0, e, 2));
    const f = ks.find(0, b('k6'));
    assert.ok(ks.copy(0, f, 3, b('k6copy'), false));
    assert.ok(!ks.copy(0, f, 3, b('k6copy'), false));
    const g = ks.find(0, b('k9'));
    ks.rename(0, g, b('k10'));
    assert.equal(readString(ks, ks.find(0, b('k10'))).length, 9);
    assert.equal(ks.find(0, b('k9')), 0);
  });
  assertClean(ks);
  ks.exec(() => ks.flushdb(0, false));
  assert.equal(ks.dbsize(0), 0);
  assert.ok(ks.pendingFrees() > 0);
  assertClean(ks);
  while (ks.pendingFrees() > 0) ks.exec(() => ks.lazyFreeStep(500));
  assertClean(ks);
});

test('a SYNC flush frees its keys right after the operation commits, in or out of a batch; a rolled-back one frees nothing', () => {
  const ks = open();
  ks.exec(() => {
    for (let i = 0; i < 5000; i++) setString(ks, 0, b(`k${i}`), b('v'.repeat(i % 300)), 0);
  });
  // outside a batch: exec took the lock itself; the freeing runs after the commit, under it
  ks.exec(() => ks.flushdb(0, true));
  assert.equal(ks.dbsize(0), 0);
  assert.equal(ks.pendingFrees(), 0, 'freed before exec returned');
  assertClean(ks);
  // nested inside another operation (a transaction): still freed once the outer one commits
  ks.exec(() => {
    for (let i = 0; i < 3000; i++) setString(ks, 1, b(`k${i}`), b('x'), 0);
  });
  ks.lockBatch();
  try {
    ks.exec(() => {
      ks.exec(() => ks.flushdb(1, true));
      assert.equal(ks.pendingFrees(), 1, 'not inside the operation');
    });
  } finally {
    ks.unlockBatch();
  }
  assert.equal(ks.pendingFrees(), 0);
  // an operation that fails after the flush: the flush is undone, its freeing dropped
  ks.exec(() => setString(ks, 2, b('keep'), b('me'), 0));
  assert.throws(() =>
    ks.exec(() => {
      ks.flushdb(2, true);
      throw new Error('fail after the flush');
    }),
  );
  assert.equal(ks.dbsize(2), 1);
  assert.equal(ks.pendingFrees(), 0);
  assertClean(ks);
});

test('append grows in place with slack; setrange-style writes are logged', () => {
  const ks = open();
  ks.exec(() => setString(ks, 0, b('s'), b(''), 0));
  let total = '';
  for (let i = 0; i < 300; i++) {
    const piece = `piece${i}-`.repeat(i % 7 + 1);
    ks.exec(() => {
      let e = ks.find(0, b('s'));
      const old = stringLength(ks, e);
      e = resizeString(ks, 0, e, old + piece.length, old);
      ks.heap.mem.write(stringOffset(ks, e) + old, b(piece));
    });
    total += piece;
  }
  ks.exec(() => assert.equal(readString(ks, ks.find(0, b('s'))).toString(), total));
  // An aborted append leaves the value as it was.
  assert.throws(() =>
    ks.exec(() => {
      let e = ks.find(0, b('s'));
      const old = stringLength(ks, e);
      e = resizeString(ks, 0, e, old * 3, 0);
      ks.heap.mem.fill(stringOffset(ks, e), old * 3, 0x21);
      throw new Error('boom');
    }),
  );
  ks.exec(() => assert.equal(readString(ks, ks.find(0, b('s'))).toString(), total));
  assertClean(ks);
});

type Model = Map<string, { v: string; ttl: boolean }>;
type Op =
  | { t: 'set'; k: string; v: string; ttl: boolean }
  | { t: 'del'; k: string }
  | { t: 'append'; k: string; v: string }
  | { t: 'rename'; k: string; k2: string }
  | { t: 'persist'; k: string }
  | { t: 'expire'; k: string }
  | { t: 'flush'; sync?: boolean };

const keyArb = fc.integer({ min: 0, max: 40 }).map((i) => `k${i}`);
const opArb: fc.Arbitrary<Op> = fc.oneof(
  fc.record({ t: fc.constant('set' as const), k: keyArb, v: fc.string({ maxLength: 300 }), ttl: fc.boolean() }),
  fc.record({ t: fc.constant('del' as const), k: keyArb }),
  fc.record({ t: fc.constant('append' as const), k: keyArb, v: fc.string({ maxLength: 200 }) }),
  fc.record({ t: fc.constant('rename' as const), k: keyArb, k2: keyArb }),
  fc.record({ t: fc.constant('persist' as const), k: keyArb }),
  fc.record({ t: fc.constant('expire' as const), k: keyArb }),
  fc.record({ t: fc.constant('flush' as const), sync: fc.boolean() }),
);

/** Apply one operation to the keyspace (inside an operation) and to the model. */
function applyOp(ks: Keyspace, m: Model, op: Op): void {
  if (op.t === 'set') {
    setString(ks, 0, b(op.k), b(op.v), op.ttl ? ks.now + 1e7 : 0);
    m.set(op.k, { v: op.v, ttl: op.ttl });
  } else if (op.t === 'del') {
    ks.delete(0, b(op.k));
    m.delete(op.k);
  } else if (op.t === 'append') {
    let e = ks.find(0, b(op.k));
    if (e === 0) {
      setString(ks, 0, b(op.k), b(op.v), 0);
      m.set(op.k, { v: op.v, ttl: false });
    } else {
      const old = stringLength(ks, e);
      const add = b(op.v);
      e = resizeString(ks, 0, e, old + add.length, old);
      ks.heap.mem.write(stringOffset(ks, e) + old, add);
      const cur = m.get(op.k)!;
      m.set(op.k, { v: cur.v + op.v, ttl: cur.ttl });
    }
  } else if (op.t === 'rename') {
    const e = ks.find(0, b(op.k));
    if (e !== 0) {
      ks.rename(0, e, b(op.k2));
      const cur = m.get(op.k)!;
      m.delete(op.k);
      m.set(op.k2, cur);
    }
  } else if (op.t === 'persist') {
    const e = ks.find(0, b(op.k));
    if (e !== 0) {
      ks.setExpireAt(0, e, 0);
      m.set(op.k, { ...m.get(op.k)!, ttl: false });
    }
  } else if (op.t === 'expire') {
    // (a key's first TTL moves its entry to the layout with an expiry field)
    const e = ks.find(0, b(op.k));
    if (e !== 0) {
      const ne = ks.setExpireAt(0, e, ks.now + 1e7);
      if (ks.find(0, b(op.k)) !== ne) throw new Error(`${op.k}: setExpireAt returned ${ne}, the table holds another entry`);
      m.set(op.k, { ...m.get(op.k)!, ttl: true });
    }
  } else {
    ks.flushdb(0, op.sync ?? false);
    m.clear();
  }
}

/** The keyspace's database 0 is the model (caller holds the lock or is inside an operation). */
function matches(ks: Keyspace, model: Model): void {
  if (ks.dbsize(0) !== model.size) throw new Error(`dbsize ${ks.dbsize(0)} model ${model.size}`);
  for (const [k, { v, ttl }] of model) {
    const e = ks.find(0, b(k));
    if (e === 0) throw new Error(`${k} missing`);
    if (readString(ks, e).toString() !== v) throw new Error(`${k} value`);
    if ((ks.expireAt(e) !== 0) !== ttl) throw new Error(`${k} ttl`);
  }
}

test('property: random keyspace operations (some rolled back) match a Map model', () => {
  fc.assert(
    fc.property(fc.array(fc.record({ ops: fc.array(opArb, { maxLength: 8 }), fail: fc.boolean() }), { maxLength: 30 }), (txs) => {
      const ks = open();
      let model: Model = new Map();
      for (const tx of txs) {
        const m = new Map(model);
        try {
          ks.exec(() => {
            for (const op of tx.ops) applyOp(ks, m, op);
            if (tx.fail) throw new Error('abort');
          });
          model = m;
        } catch (e) {
          if ((e as Error).message !== 'abort') throw e;
        }
        const r = ks.exec(() => checkKeyspace(ks));
        if (!r.ok) throw new Error(r.errors.join('\n'));
        ks.exec(() => matches(ks, model));
      }
    }),
    { numRuns: 100, includeErrorInReport: true },
  );
});

test('property: nested operations (EXEC runs each command after a savepoint): a failing inner part undoes only itself, the whole commits or aborts as one', () => {
  const cmdArb = fc.record({ ops: fc.array(opArb, { maxLength: 5 }), fail: fc.boolean() });
  let innerRollbacks = 0;
  fc.assert(
    fc.property(fc.array(fc.record({ cmds: fc.array(cmdArb, { maxLength: 8 }), fail: fc.boolean() }), { maxLength: 12 }), (txs) => {
      const ks = open();
      let model: Model = new Map();
      for (const tx of txs) {
        let m = new Map(model);
        try {
          ks.exec(() => {
            for (const cmd of tx.cmds) {
              const mm = new Map(m);
              try {
                ks.exec(() => {
                  for (const op of cmd.ops) applyOp(ks, mm, op);
                  if (cmd.fail) throw new Error('inner');
                });
                m = mm;
              } catch (e) {
                if ((e as Error).message !== 'inner') throw e;
                innerRollbacks++;
              }
              // inside the outer operation, after each command: the heap is whole and the
              // keyspace holds what the commands that did not fail wrote (the keyspace checker
              // runs after the operation: chunks freed in it stay in use until it commits)
              assert.deepEqual(checkHeap(ks.heap).errors, []);
              matches(ks, m);
            }
            if (tx.fail) throw new Error('abort');
          });
          model = m;
        } catch (e) {
          if ((e as Error).message !== 'abort') throw e;
        }
        const r = ks.exec(() => checkKeyspace(ks));
        if (!r.ok) throw new Error(r.errors.join('\n'));
        assert.equal(ks.heap.pendingUndo(), 0);
        ks.exec(() => matches(ks, model));
      }
    }),
    { numRuns: Number(process.env.SHMKV_PROP_RUNS ?? 100), includeErrorInReport: true },
  );
  assert.ok(innerRollbacks > 100, 'inner parts were rolled back');
});

test('large values: 64 MiB set, appended in place, spliced by copy; an aborted splice leaves it intact', () => {
  const ks = Keyspace.open(new MemoryBacking({ reserved: 1024 << 20 }), { databases: 1 });
  const big = Buffer.alloc(64 << 20, 0x61);
  ks.exec(() => setString(ks, 0, b('big'), big, 0));
  ks.exec(() => {
    let e = ks.find(0, b('big'));
    const old = stringLength(ks, e);
    e = resizeString(ks, 0, e, old + 10, old);
    ks.heap.mem.write(stringOffset(ks, e) + old, b('0123456789'));
  });
  const peak = ks.heap.stats().undoPeak;
  assert.ok(peak < 1 << 20, `append logged ${peak} bytes, not the value`);
  assert.throws(() =>
    ks.exec(() => {
      spliceStringCopy(ks, 0, ks.find(0, b('big')), 5, Buffer.alloc(32 << 20, 0x62));
      throw new Error('abort');
    }),
  );
  ks.exec(() => {
    const v = readString(ks, ks.find(0, b('big')));
    assert.equal(v.length, (64 << 20) + 10);
    assert.equal(v[5], 0x61);
    assert.equal(v.subarray(-10).toString(), '0123456789');
  });
  ks.exec(() => spliceStringCopy(ks, 0, ks.find(0, b('big')), 5, Buffer.alloc(32 << 20, 0x62)));
  ks.exec(() => {
    const v = readString(ks, ks.find(0, b('big')));
    assert.equal(v[4], 0x61);
    assert.equal(v[5], 0x62);
    assert.equal(v[5 + (32 << 20)], 0x61);
  });
  assert.ok(ks.heap.stats().undoPeak < 1 << 20);
  assert.deepEqual(ks.exec(() => checkKeyspace(ks)).errors, []);
});

test('memory comes back: after deleting most keys, trim shrinks what the segment holds', () => {
  const backing = new MemoryBacking({ reserved: 512 << 20 });
  const ks = Keyspace.open(backing, { databases: 1 });
  const v = Buffer.alloc(2000, 0x61);
  for (let i = 0; i < 20000; i += 1000) ks.exec(() => { for (let j = i; j < i + 1000; j++) setString(ks, 0, b(`k${j}`), v, 0); });
  const full = backing.backedBytes;
  for (let i = 0; i < 20000; i += 1000) ks.exec(() => { for (let j = i; j < i + 1000; j++) if (j % 50 !== 0) ks.delete(0, b(`k${j}`)); });
  const given = ks.trim(false);
  assert.ok(given > 0);
  assert.ok(backing.backedBytes < full / 2, `backed ${backing.backedBytes} of ${full}`);
  assert.deepEqual(ks.exec(() => checkKeyspace(ks)).errors, []);
  ks.exec(() => { for (let j = 0; j < 20000; j += 50) assert.equal(readString(ks, ks.find(0, b(`k${j}`))).length, 2000); });
  // And it is reused safely afterwards.
  ks.exec(() => { for (let j = 0; j < 5000; j++) setString(ks, 0, b(`n${j}`), v, 0); });
  assert.deepEqual(ks.exec(() => checkKeyspace(ks)).errors, []);
});
