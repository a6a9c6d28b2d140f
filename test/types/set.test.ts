/**
 * The set storage against a model: random adds and removes on a few keys cross every
 * form (intset with its 16/32/64-bit widths, the small listpack hashtable, the Dash);
 * after each operation the members, the count and the keyspace check agree with the
 * model. Failed operations roll back to exactly the state before; COPY copies every form.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { MemoryBacking } from '../../src/heap/memory-backing.js';
import { Keyspace } from '../../src/keyspace/keyspace.js';
import { checkKeyspace } from '../../src/keyspace/check.js';
import { ENC_HT, ENC_HT_SMALL, ENC_INTSET, emptySetEntry, findSet, setAdd, setEncoding, setIsMember, setMembers, setRemove, setSize } from '../../src/types/set/storage.js';
import { REASON } from '../../src/keyspace/changes.js';
import { isAdd, isFind, isNew, isRemove, isValues, isWidth } from '../../src/structs/intset.js';
import '../../src/types/index.js';

const open = () => Keyspace.open(new MemoryBacking({ reserved: 256 << 20 }), { databases: 1 });

const KEYS = ['a', 'b'];

function add(ks: Keyspace, key: string, m: Buffer): boolean {
  const k = Buffer.from(key);
  let e = findSet(ks, 0, k, false);
  const created = e === 0;
  if (created) e = emptySetEntry(ks, k, m);
  const r = setAdd(ks, e, m);
  if (created) ks.addEntry(0, e, REASON.added);
  return r;
}

function rem(ks: Keyspace, key: string, m: Buffer): boolean {
  const e = findSet(ks, 0, Buffer.from(key), false);
  if (e === 0) return false;
  const r = setRemove(ks, e, m);
  if (setSize(ks, e) === 0) ks.removeEntry(0, e);
  return r;
}

function state(ks: Keyspace): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const k of KEYS) {
    const e = ks.findRaw(0, Buffer.from(k));
    if (e !== 0) out[k] = setMembers(ks, e).map((m) => m.toString('latin1')).sort();
  }
  return out;
}

const memberArb = fc.oneof(
  fc.integer({ min: -40000, max: 40000 }).map(String),
  fc.constantFrom('5000000000', '-5000000000', '9223372036854775807', '-9223372036854775808', '0', '-1'),
  fc.integer({ min: 0, max: 400 }).map((i) => `m${i}`),
  fc.integer({ min: 0, max: 40 }).map((i) => 'x'.repeat(200) + i),
);
const intArb = fc.oneof(fc.integer({ min: -40000, max: 40000 }).map(String), fc.constantFrom('5000000000', '-9223372036854775808', '9223372036854775807'));
// a run of integers only (sets stay intsets) or of anything (they become hashtables)
const runArb = fc.oneof(fc.array(intArb, { minLength: 1, maxLength: 40 }), fc.array(memberArb, { minLength: 1, maxLength: 120, size: 'max' }));
const opArb = fc.tuple(fc.constantFrom('add', 'add', 'add', 'rem'), fc.constantFrom(...KEYS), runArb, fc.boolean());

test('set storage: random adds and removes across intset, small hashtable and Dash match a model', () => {
  const seen = new Set<number>();
  fc.assert(
    fc.property(fc.array(opArb, { minLength: 1, maxLength: 40 }), fc.constantFrom(4, 16, 512), (ops, maxIntset) => {
      const ks = open();
      try {
        ks.settings.writeShared([['set-max-intset-entries', maxIntset]]);
        const model = new Map<string, Set<string>>();
        for (const [op, key, ms, fail] of ops) {
          const before = state(ks);
          try {
            ks.exec(() => {
              for (const m of ms) {
                const b = Buffer.from(m, 'latin1');
                if (op === 'add') add(ks, key, b);
                else rem(ks, key, b);
              }
              if (fail) throw new Error('ERR rolled back on purpose');
            });
          } catch (err) {
            if (!fail) throw err;
          }
          if (fail) {
            assert.deepEqual(state(ks), before, 'rollback restores the sets');
          } else {
            let s = model.get(key);
            if (s === undefined) model.set(key, (s = new Set()));
            for (const m of ms) {
              if (op === 'add') s.add(m);
              else s.delete(m);
            }
            if (s.size === 0) model.delete(key);
          }
          const want: Record<string, string[]> = {};
          for (const [k, s] of model) want[k] = [...s].sort();
          assert.deepEqual(state(ks), want);
          for (const k of KEYS) {
            const e = ks.findRaw(0, Buffer.from(k));
            if (e === 0) continue;
            seen.add(setEncoding(ks, e));
            assert.equal(setSize(ks, e), model.get(k)!.size);
            for (const m of [...model.get(k)!].slice(0, 5)) assert.ok(setIsMember(ks, e, Buffer.from(m, 'latin1')));
          }
          assert.deepEqual(ks.exec(() => checkKeyspace(ks)).errors, []);
        }
        // COPY of every key, then the copies are checked too
        ks.exec(() => {
          for (const k of KEYS) {
            const e = ks.findRaw(0, Buffer.from(k));
            if (e !== 0) ks.copy(0, e, 0, Buffer.from(`${k}-copy`), true);
          }
        });
        for (const k of KEYS) {
          const e = ks.findRaw(0, Buffer.from(k));
          const c = ks.findRaw(0, Buffer.from(`${k}-copy`));
          if (e === 0) continue;
          assert.deepEqual(setMembers(ks, c).map(String).sort(), setMembers(ks, e).map(String).sort());
          assert.equal(setEncoding(ks, c), setEncoding(ks, e));
        }
        assert.deepEqual(ks.exec(() => checkKeyspace(ks)).errors, []);
      } finally {
        ks.close();
      }
    }),
    { numRuns: 60 },
  );
  assert.deepEqual([...seen].sort(), [ENC_HT, ENC_INTSET, ENC_HT_SMALL].sort(), 'every form was reached');
});

test('intset: widths upgrade 16 → 32 → 64 bits, values stay sorted and findable', () => {
  const ks = open();
  try {
    ks.exec(() => {
      const heap = ks.heap;
      let p = isNew(heap);
      const vals: (number | bigint)[] = [5, -3, 32767, -32768, 40000, -2147483648, 2147483647, 2147483648, 9007199254740993n, -9223372036854775808n, 9223372036854775807n, 0];
      const widths: number[] = [];
      for (const v of vals) {
        const q = isAdd(heap, p, v);
        assert.ok(q !== 0, `added ${v}`);
        p = q;
        widths.push(isWidth(heap, p));
        assert.equal(isAdd(heap, p, v), 0, `${v} again`);
      }
      assert.deepEqual(widths, [2, 2, 2, 2, 4, 4, 4, 8, 8, 8, 8, 8]);
      const sorted = [...vals].sort((x, y) => (x < y ? -1 : x > y ? 1 : 0));
      assert.deepEqual(isValues(heap, p), sorted);
      for (const v of vals) assert.ok(isFind(heap, p, v));
      assert.ok(!isFind(heap, p, 1));
      assert.ok(!isFind(heap, p, 9223372036854775806n));
      assert.ok(isRemove(heap, p, 40000));
      assert.ok(!isRemove(heap, p, 40000));
      assert.ok(!isFind(heap, p, 40000));
      assert.equal(isWidth(heap, p), 8);
      heap.free(p);
    });
  } finally {
    ks.close();
  }
});

test('a big set deleted goes to the lazy-free queue and is freed a slice per step; a small one at once', () => {
  const ks = open();
  try {
    const base = ks.heap.usedBytes();
    ks.exec(() => {
      for (let i = 0; i < 5000; i++) add(ks, 'big', Buffer.from(`member:${i}`));
      for (let i = 0; i < 100; i++) add(ks, 'small', Buffer.from(`m${i}`));
      for (let i = 0; i < 300; i++) add(ks, 'mid', Buffer.from(`m${i}`));
    });
    ks.exec(() => ks.delete(0, Buffer.from('small')));
    assert.equal(ks.lazyPending(), 0);
    ks.exec(() => ks.delete(0, Buffer.from('big')));
    assert.equal(ks.lazyPending(), 1);
    ks.exec(() => ks.delete(0, Buffer.from('mid')));
    assert.equal(ks.lazyPending(), 2);
    assert.deepEqual(ks.exec(() => checkKeyspace(ks)).errors, []);
    let steps = 0;
    while (ks.lazyPending() > 0) {
      ks.exec(() => ks.lazyFreeStep(500));
      if (++steps % 3 === 0) assert.deepEqual(ks.exec(() => checkKeyspace(ks)).errors, []);
    }
    assert.ok(steps >= 10, `freed in ${steps} steps`);
    assert.deepEqual(ks.exec(() => checkKeyspace(ks)).errors, []);
    assert.equal(ks.heap.usedBytes(), base);
  } finally {
    ks.close();
  }
});
