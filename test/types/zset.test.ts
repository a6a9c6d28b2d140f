/**
 * The sorted-set storage against a JS model: random adds, score updates, removes, rank
 * deletions and pops on a few keys cross both forms (listpack, and the order-statistic
 * tree that splits, merges and redistributes its nodes at many sizes); after each step the
 * items, ranks, counts by score and by lex, and the keyspace check (tree structure, member
 * table, every chunk) agree with the model. A failed operation rolls back to exactly the
 * state before.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { MemoryBacking } from '../../src/heap/memory-backing.js';
import { Keyspace } from '../../src/keyspace/keyspace.js';
import { checkKeyspace } from '../../src/keyspace/check.js';
import { REASON } from '../../src/keyspace/changes.js';
import {
  ENC_LISTPACK,
  ENC_SKIPLIST,
  emptyZsetEntry,
  findZset,
  storeZset,
  zsetAdd,
  zsetAll,
  zsetDeleteRanks,
  zsetEncoding,
  zsetLength,
  zsetLexRanks,
  zsetPop,
  zsetRangeByScore,
  zsetRank,
  zsetRemove,
  zsetRemoveMany,
  zsetScore,
  zsetScoreRanks,
  ZADD_IN_INCR,
} from '../../src/types/zset/storage.js';
import '../../src/types/index.js';

const open = () => Keyspace.open(new MemoryBacking({ reserved: 512 << 20 }), { databases: 1 });

type Model = Map<string, number>;

function sorted(m: Model): [string, number][] {
  return [...m.entries()].sort((a, b) => (a[1] < b[1] ? -1 : a[1] > b[1] ? 1 : Buffer.compare(Buffer.from(a[0], 'latin1'), Buffer.from(b[0], 'latin1'))));
}

function add(ks: Keyspace, key: string, m: string, s: number, flags = 0): void {
  const k = Buffer.from(key);
  let e = findZset(ks, 0, k, false);
  const created = e === 0;
  if (created) e = emptyZsetEntry(ks, k, m.length);
  zsetAdd(ks, e, s, Buffer.from(m, 'latin1'), flags);
  if (created) ks.addEntry(0, e, REASON.added);
}

function dropIfEmpty(ks: Keyspace, e: number): void {
  if (zsetLength(ks, e) === 0) ks.removeEntry(0, e);
}

function items(ks: Keyspace, key: string): [string, number][] {
  const e = ks.findRaw(0, Buffer.from(key));
  if (e === 0) return [];
  return zsetAll(ks, e).map(([m, s]) => [m.toString('latin1'), s]);
}

function checkAll(ks: Keyspace, models: Record<string, Model>): void {
  const rep = checkKeyspace(ks);
  assert.deepEqual(rep.errors, []);
  for (const [key, model] of Object.entries(models)) {
    const want = sorted(model);
    assert.deepEqual(items(ks, key), want, `items of ${key}`);
    const e = ks.findRaw(0, Buffer.from(key));
    if (e === 0) continue;
    assert.equal(zsetLength(ks, e), want.length);
    // a few ranks, scores and counts
    for (let i = 0; i < want.length; i += Math.max(1, Math.floor(want.length / 7))) {
      const [m, s] = want[i]!;
      assert.equal(zsetRank(ks, e, Buffer.from(m, 'latin1')), i);
      assert.equal(zsetScore(ks, e, Buffer.from(m, 'latin1')), s);
      const [lo, hi] = zsetScoreRanks(ks, e, { min: s, max: s + 10, minex: false, maxex: true });
      assert.equal(hi - lo, want.filter(([, x]) => x >= s && x < s + 10).length);
      assert.equal(lo, want.filter(([, x]) => x < s).length);
    }
    assert.equal(zsetRank(ks, e, Buffer.from('absent!')), -1);
  }
}

const memberArb = fc.oneof(fc.integer({ min: 0, max: 600 }).map((i) => `m${i}`), fc.integer({ min: 0, max: 20 }).map((i) => 'x'.repeat(70) + i));
// (no -0: a listpack stores it as 0, as Redis's does; the differential test covers that)
const scoreArb = fc.oneof(fc.integer({ min: -30, max: 30 }), fc.double({ noNaN: true, min: -1e6, max: 1e6 }), fc.constantFrom(Infinity, -Infinity, 0)).map((x) => (x === 0 ? 0 : x));
const opArb = fc.oneof(
  fc.tuple(fc.constant('add' as const), fc.constantFrom('a', 'b'), fc.array(fc.tuple(memberArb, scoreArb), { minLength: 1, maxLength: 150 })),
  fc.tuple(fc.constant('rem' as const), fc.constantFrom('a', 'b'), fc.array(fc.tuple(memberArb, scoreArb), { minLength: 1, maxLength: 150 })),
  fc.tuple(fc.constant('delranks' as const), fc.constantFrom('a', 'b'), fc.array(fc.tuple(fc.nat(700), fc.nat(300)), { minLength: 1, maxLength: 1 })),
  fc.tuple(fc.constant('pop' as const), fc.constantFrom('a', 'b'), fc.array(fc.tuple(fc.nat(60), fc.boolean()), { minLength: 1, maxLength: 1 })),
);

test('zset storage: random operations across listpack and tree match a model', () => {
  fc.assert(
    fc.property(fc.array(opArb, { minLength: 1, maxLength: 25 }), (ops) => {
      const ks = open();
      const models: Record<string, Model> = { a: new Map(), b: new Map() };
      for (const op of ops) {
        const [kind, key] = op;
        const model = models[key]!;
        ks.exec(() => {
          if (kind === 'add') {
            for (const [m, s] of op[2] as [string, number][]) {
              add(ks, key, m, s);
              if (!model.has(m) || model.get(m) !== s) model.set(m, s);
            }
          } else if (kind === 'rem') {
            const e = findZset(ks, 0, Buffer.from(key), false);
            for (const [m] of op[2] as [string, number][]) {
              if (e === 0 || zsetLength(ks, e) === 0) break;
              assert.equal(zsetRemove(ks, e, Buffer.from(m, 'latin1')), model.delete(m));
            }
            if (e !== 0) dropIfEmpty(ks, e);
          } else if (kind === 'delranks') {
            const [lo, k] = (op[2] as [number, number][])[0]!;
            const e = findZset(ks, 0, Buffer.from(key), false);
            if (e === 0) return;
            const n = zsetLength(ks, e);
            const a = Math.min(lo, n);
            const b = Math.min(n, a + k);
            const want = sorted(model);
            for (let i = a; i < b; i++) model.delete(want[i]![0]);
            assert.equal(zsetDeleteRanks(ks, e, a, b), b - a);
            dropIfEmpty(ks, e);
          } else {
            const [count, max] = (op[2] as [number, boolean][])[0]!;
            const e = findZset(ks, 0, Buffer.from(key), false);
            if (e === 0 || count === 0) return;
            const want = sorted(model);
            const exp = max ? want.slice(Math.max(0, want.length - count)).reverse() : want.slice(0, count);
            const got = zsetPop(ks, e, count, max).map(([m, s]) => [m.toString('latin1'), s]);
            assert.deepEqual(got, exp);
            for (const [m] of exp) model.delete(m);
            dropIfEmpty(ks, e);
          }
        });
        checkAll(ks, models);
      }
    }),
    { numRuns: Number(process.env.SHMKV_ZSET_RUNS ?? 60) },
  );
});

test('zset storage: tree at many sizes (splits, merges, height changes), counts and lex ranks', () => {
  for (const size of [1, 31, 32, 33, 63, 64, 65, 200, 1000, 5000, 20000]) {
    const ks = open();
    const model: Model = new Map();
    ks.exec(() => {
      const k = Buffer.from('z');
      const e = emptyZsetEntry(ks, k, 1000); // straight to the tree
      ks.addEntry(0, e, REASON.added);
      for (let i = 0; i < size; i++) {
        const m = `k${(i * 7919) % size}`;
        zsetAdd(ks, e, 0, Buffer.from(m), 0);
        model.set(m, 0);
      }
      assert.equal(zsetEncoding(ks, e), ENC_SKIPLIST);
    });
    checkAll(ks, { z: model });
    const e = ks.findRaw(0, Buffer.from('z'));
    const want = sorted(model).map(([m]) => m);
    // lex ranks with all scores equal
    const probe = want[Math.floor(want.length / 3)]!;
    const [lo, hi] = zsetLexRanks(ks, e, { inf: 0, value: Buffer.from(probe), ex: false }, { inf: 1, value: Buffer.alloc(0), ex: false });
    assert.equal(lo, want.indexOf(probe));
    assert.equal(hi, want.length);
    // increments move items around; then remove most of them (merges, height shrinks)
    ks.exec(() => {
      for (let i = 0; i < size; i += 3) {
        const m = `k${i}`;
        zsetAdd(ks, e, i % 17, Buffer.from(m), ZADD_IN_INCR);
        model.set(m, model.get(m)! + (i % 17));
      }
    });
    checkAll(ks, { z: model });
    let seen = 0;
    zsetRangeByScore(ks, e, 2, 5, (_m, s) => {
      assert.ok(s >= 2 && s <= 5);
      seen++;
    });
    assert.equal(seen, [...model.values()].filter((s) => s >= 2 && s <= 5).length);
    ks.exec(() => {
      for (let i = 0; i < size; i++) if (i % 11 !== 0) {
        assert.ok(zsetRemove(ks, e, Buffer.from(`k${i}`)));
        model.delete(`k${i}`);
      }
    });
    checkAll(ks, { z: model });
  }
});

test('zset storage: deleting many ranks (a leaf at a time, or by rebuilding the tree) rolls back whole', () => {
  const ks = open();
  const model: Model = new Map();
  ks.exec(() => {
    for (let i = 0; i < 20000; i++) {
      add(ks, 'a', `m${i}`, i % 1000);
      model.set(`m${i}`, i % 1000);
    }
  });
  const e = ks.findRaw(0, Buffer.from('a'));
  assert.throws(() =>
    ks.exec(() => {
      assert.equal(zsetDeleteRanks(ks, e, 1000, 19000), 18000);
      throw new Error('ERR boom');
    }),
  );
  checkAll(ks, { a: model });
  // under half: removed a leaf at a time (OSTree.removeRange), rolled back as whole
  assert.throws(() =>
    ks.exec(() => {
      assert.equal(zsetDeleteRanks(ks, e, 2000, 8000), 6000);
      throw new Error('ERR boom');
    }),
  );
  checkAll(ks, { a: model });
  ks.exec(() => assert.equal(zsetDeleteRanks(ks, e, 1000, 15000), 14000));
  const want = sorted(model);
  for (let i = 1000; i < 15000; i++) model.delete(want[i]![0]);
  checkAll(ks, { a: model });
  // COPY of the tree: member chunks copied heap to heap, a table and a tree of their own
  ks.exec(() => assert.equal(ks.copy(0, e, 0, Buffer.from('c'), false), true));
  checkAll(ks, { a: model, c: model });
  const c = ks.findRaw(0, Buffer.from('c'));
  ks.exec(() => zsetDeleteRanks(ks, c, 0, 10));
  checkAll(ks, { a: model, c: new Map(sorted(model).slice(10)) });
  ks.exec(() => ks.removeEntry(0, c, REASON.deleted));
  // ZREM of many members: the tree is rebuilt from the rest
  const some = sorted(model).filter((_, i) => i % 3 !== 0).map(([m]) => Buffer.from(m));
  ks.exec(() => assert.equal(zsetRemoveMany(ks, e, [...some, Buffer.from('absent'), some[0]!]), some.length));
  for (const m of some) model.delete(m.toString());
  checkAll(ks, { a: model });
  ks.exec(() => assert.equal(zsetPop(ks, e, model.size - 1, true).length, model.size - 1));
  for (const [m] of sorted(model).slice(1)) model.delete(m);
  checkAll(ks, { a: model });
});

test('zset storage: a failed operation rolls back splits and merges', () => {
  const ks = open();
  const model: Model = new Map();
  ks.exec(() => {
    for (let i = 0; i < 3000; i++) {
      add(ks, 'a', `m${i}`, i % 100);
      model.set(`m${i}`, i % 100);
    }
  });
  checkAll(ks, { a: model });
  assert.throws(() =>
    ks.exec(() => {
      const e = findZset(ks, 0, Buffer.from('a'), false);
      for (let i = 0; i < 2500; i++) zsetRemove(ks, e, Buffer.from(`m${i}`));
      for (let i = 0; i < 2000; i++) zsetAdd(ks, e, -i, Buffer.from(`n${i}`), 0);
      throw new Error('ERR boom');
    }),
  );
  checkAll(ks, { a: model });
});

test('zset storage: storeZset picks listpack or skiplist like zsetConvertToListpackIfNeeded', () => {
  const ks = open();
  ks.exec(() => {
    assert.equal(storeZset(ks, 0, Buffer.from('s'), [[Buffer.from('a'), 2], [Buffer.from('b'), 1], [Buffer.from('a'), 3]]), 2);
  });
  let e = ks.findRaw(0, Buffer.from('s'));
  assert.equal(zsetEncoding(ks, e), ENC_LISTPACK);
  assert.deepEqual(items(ks, 's'), [['b', 1], ['a', 3]]);
  ks.exec(() => {
    const many: [Buffer, number][] = [];
    for (let i = 0; i < 129; i++) many.push([Buffer.from(`m${i}`), i]);
    storeZset(ks, 0, Buffer.from('s'), many);
  });
  e = ks.findRaw(0, Buffer.from('s'));
  assert.equal(zsetEncoding(ks, e), ENC_SKIPLIST);
  assert.equal(zsetLength(ks, e), 129);
  ks.exec(() => storeZset(ks, 0, Buffer.from('s'), []));
  assert.equal(ks.findRaw(0, Buffer.from('s')), 0);
  assert.deepEqual(checkKeyspace(ks).errors, []);
});
