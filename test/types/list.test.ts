/**
 * The list storage against an array model: a long list on tiny nodes (a deep counted
 * index), random positional edits, the keyspace checker (which verifies every count of the
 * index) and rollbacks (every edit undone by the undo log leaves exactly the old list).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MemoryBacking } from '../../src/heap/memory-backing.js';
import { Keyspace } from '../../src/keyspace/keyspace.js';
import { Heap } from '../../src/heap/heap.js';
import { OBJ_LIST, O_ENC, O_TYPE, O_VREF } from '../../src/keyspace/object.js';
import { checkKeyspace } from '../../src/keyspace/check.js';
import { lpBytes, lpGet, lpStart, LP_HDR } from '../../src/structs/listpack.js';
import { liveView } from '../../src/heap/view.js';
import { valueType } from '../../src/keyspace/valuetypes.js';
import { RdbEncoder } from '../../src/rdb/encode.js';
import { BufferSource, RdbDecoder } from '../../src/rdb/decode.js';
import { readValue } from '../../src/rdb/values.js';
import {
  deleteRange,
  entryAt,
  findList,
  insertAt,
  listItems,
  listLength,
  listMove,
  listPop,
  listPush,
  listPopOne,
  listStats,
  listTrim,
  removeMatching,
  replaceAt,
  setPackedThreshold,
} from '../../src/types/list/storage.js';
import '../../src/types/index.js';

const open = () => Keyspace.open(new MemoryBacking({ reserved: 512 << 20 }), { databases: 2 });
const K = Buffer.from('list');

/** A small deterministic PRNG (tests must be repeatable). */
function rng(seed: number): (n: number) => number {
  let s = seed >>> 0;
  return (n) => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return Math.floor((s / 2 ** 32) * n);
  };
}

function assertClean(ks: Keyspace): void {
  const r = ks.exec(() => checkKeyspace(ks));
  assert.deepEqual(r.errors, []);
}

function setFill(ks: Keyspace, fill: number): void {
  ks.settings.writeShared([['list-max-listpack-size', fill]]);
}

const e0 = (ks: Keyspace) => findList(ks, 0, K);

test('200k elements on 4-entry nodes: LINDEX/LSET/LINSERT/deletes at random positions match an array', () => {
  const ks = open();
  setFill(ks, 4);
  const model: string[] = [];
  for (let b = 0; b < 20; b++) {
    const items: Buffer[] = [];
    for (let i = 0; i < 10000; i++) {
      const v = `v${b * 10000 + i}`;
      items.push(Buffer.from(v));
      model.push(v);
    }
    ks.exec(() => listPush(ks, 0, K, 'right', items));
  }
  ks.exec(() => {
    const e = e0(ks);
    assert.equal(listLength(ks, e), 200000);
    const st = listStats(ks, e);
    assert.ok(st.depth >= 3, `depth ${st.depth}`);
    assert.equal(st.nodes, 50000);
  });
  assertClean(ks);
  const r = rng(42);
  for (let round = 0; round < 4; round++) {
    ks.exec(() => {
      const e = e0(ks);
      for (let i = 0; i < 2000; i++) {
        const op = r(5);
        const idx = r(model.length);
        if (op === 0) assert.equal(lpGet(ks.heap, entryAt(ks, e, idx)).toString(), model[idx]);
        else if (op === 1) {
          const v = `s${round}.${i}`;
          replaceAt(ks, e, idx, Buffer.from(v));
          model[idx] = v;
        } else if (op === 2) {
          const v = `i${round}.${i}${'x'.repeat(r(30))}`;
          insertAt(ks, e, idx, Buffer.from(v));
          model.splice(idx, 0, v);
        } else if (op === 3) {
          const n = Math.min(1 + r(20), model.length - idx);
          deleteRange(ks, e, idx, n);
          model.splice(idx, n);
        } else {
          const neg = idx - model.length;
          const at = entryAt(ks, e, neg);
          assert.equal(lpGet(ks.heap, at).toString(), model[idx]);
        }
      }
      assert.equal(listLength(ks, e), model.length);
    });
    assertClean(ks);
  }
  ks.exec(() => {
    const got = listItems(ks, e0(ks)).map((b) => b.toString());
    assert.deepEqual(got, model);
  });
  // pops from both ends, in batches, down to nothing: the key goes
  ks.exec(() => {
    const e = e0(ks);
    const a = listPop(ks, 0, e, 'left', 12345).map((b) => b.toString());
    assert.deepEqual(a, model.splice(0, 12345));
    const z = listPop(ks, 0, e, 'right', 777).map((b) => b.toString());
    assert.deepEqual(z, model.splice(model.length - 777, 777).reverse());
  });
  assertClean(ks);
  ks.exec(() => listTrim(ks, 0, e0(ks), 1000, 2000));
  model.splice(0, 1000);
  model.splice(model.length - 2000, 2000);
  ks.exec(() => assert.deepEqual(listItems(ks, e0(ks)).map((b) => b.toString()), model));
  assertClean(ks);
  ks.exec(() => listTrim(ks, 0, e0(ks), model.length, 0));
  ks.exec(() => assert.equal(ks.find(0, K), 0));
  assertClean(ks);
});

test('pushes and pops one at a time at both ends of a deep index match a deque (the end paths)', () => {
  const ks = open();
  setFill(ks, 2);
  const model: string[] = [];
  const r = rng(9);
  for (let round = 0; round < 6; round++) {
    ks.exec(() => {
      // grow (pushes outnumber pops), then shrink to nothing in the last round
      const grow = round < 5;
      for (let i = 0; i < 6000; i++) {
        const op = r(grow ? 6 : 4);
        const left = r(2) === 0;
        let e = e0(ks);
        if (op >= 4 || (op < 4 && grow && op >= 2)) {
          const v = `r${round}.${i}`;
          listPush(ks, 0, K, left ? 'left' : 'right', [Buffer.from(v)]);
          if (left) model.unshift(v);
          else model.push(v);
        } else if (e !== 0) {
          const n = 1 + r(3);
          const got = listPop(ks, 0, e, left ? 'left' : 'right', n).map((b) => b.toString());
          const want = left ? model.splice(0, n) : model.splice(Math.max(0, model.length - n), n).reverse();
          assert.deepEqual(got, want);
          e = e0(ks);
        }
        assert.equal(e0(ks) === 0 ? 0 : listLength(ks, e0(ks)), model.length);
      }
    });
    assertClean(ks);
    ks.exec(() => {
      const e = e0(ks);
      assert.deepEqual(e === 0 ? [] : listItems(ks, e).map((b) => b.toString()), model);
      if (round === 2) assert.ok(listStats(ks, e).depth >= 2, 'a deep index');
    });
  }
});

test('one edit of a long list logs a bounded amount of undo (not growing with the list)', () => {
  for (const fill of [4, -2]) {
    const ks = open();
    setFill(ks, fill);
    for (let b = 0; b < 20; b++) {
      const items = Array.from({ length: 10000 }, (_, i) => Buffer.from(`v${b * 10000 + i}`));
      ks.exec(() => listPush(ks, 0, K, 'right', items));
    }
    const r = rng(fill + 7);
    let worst = 0;
    for (let i = 0; i < 300; i++) {
      const undo = ks.exec(() => {
        const e = e0(ks);
        const n = listLength(ks, e);
        const idx = r(n);
        const op = r(6);
        if (op === 0) replaceAt(ks, e, idx, Buffer.from(`set${i}${'z'.repeat(r(100))}`));
        else if (op === 1) insertAt(ks, e, idx, Buffer.from(`ins${i}`));
        else if (op === 2) deleteRange(ks, e, idx, 1);
        else if (op === 3) listPop(ks, 0, e, r(2) ? 'left' : 'right', 1);
        else if (op === 4) listPush(ks, 0, K, r(2) ? 'left' : 'right', [Buffer.from(`p${i}`)]);
        else removeMatching(ks, e, Buffer.from(`v${idx}`), 1, r(2) === 0);
        return ks.heap.pendingUndo();
      });
      worst = Math.max(worst, undo);
    }
    // a node is at most 8 KB here: an edit touches one or two nodes and one path of the index
    if (process.env.LIST_UNDO_DEBUG) console.log(`fill ${fill}: worst undo ${worst}`);
    assert.ok(worst < 48 * 1024, `fill ${fill}: an edit logged ${worst} bytes of undo`);
    assertClean(ks);
  }
});

test('a long list deleted goes to the lazy-free queue and is freed a slice per step', () => {
  const ks = open();
  setFill(ks, 4);
  const base = ks.heap.usedBytes();
  for (let b = 0; b < 10; b++) {
    const items = Array.from({ length: 10000 }, (_, i) => Buffer.from(`v${b * 10000 + i}`));
    ks.exec(() => listPush(ks, 0, K, 'right', items));
  }
  // a small list is freed at once
  ks.exec(() => listPush(ks, 0, Buffer.from('small'), 'right', [Buffer.from('a'), Buffer.from('b')]));
  ks.exec(() => ks.delete(0, Buffer.from('small')));
  assert.equal(ks.lazyPending(), 0);
  ks.exec(() => ks.delete(0, K));
  assert.equal(ks.lazyPending(), 1);
  assertClean(ks);
  let steps = 0;
  while (ks.lazyPending() > 0) {
    ks.exec(() => ks.lazyFreeStep(3000));
    if (++steps % 10 === 0) assertClean(ks);
  }
  assert.ok(steps >= 30, `freed in ${steps} steps`);
  assertClean(ks);
  assert.equal(ks.heap.usedBytes(), base);
});

test('every edit rolled back leaves exactly the old list (undo-logged node and index edits)', () => {
  for (const fill of [3, -1]) {
    const ks = open();
    setFill(ks, fill);
    const model: string[] = [];
    const r = rng(fill + 100);
    const val = () => `${r(10)}${r(3) === 0 ? 'y'.repeat(r(600)) : r(2) === 0 ? '' : 'y'.repeat(r(8))}`;
    ks.exec(() => {
      const items = Array.from({ length: 3000 }, () => val());
      model.push(...items);
      listPush(ks, 0, K, 'right', items.map((s) => Buffer.from(s)));
    });
    for (let i = 0; i < 150; i++) {
      if (model.length < 50) {
        const items = Array.from({ length: 500 }, () => val());
        ks.exec(() => listPush(ks, 0, K, 'right', items.map((s) => Buffer.from(s))));
        model.push(...items);
      }
      const d = {
        op: r(8),
        idx: r(model.length),
        v: val(),
        n: 1 + r(50),
        target: String(r(10)),
        limit: r(3) === 0 ? 0 : 1 + r(20),
        fromTail: r(2) === 0,
        items: Array.from({ length: 1 + r(30) }, () => val()),
      };
      const live = (): void => {
        const e = e0(ks);
        const k = Math.min(d.n, model.length - d.idx);
        if (d.op === 0) replaceAt(ks, e, d.idx, Buffer.from(d.v));
        else if (d.op === 1) insertAt(ks, e, d.idx, Buffer.from(d.v));
        else if (d.op === 2) {
          deleteRange(ks, e, d.idx, k);
          if (listLength(ks, e) === 0) ks.removeEntry(0, e);
        } else if (d.op === 3) listPop(ks, 0, e, 'left', d.n);
        else if (d.op === 4) listPop(ks, 0, e, 'right', d.n);
        else if (d.op === 5) listPush(ks, 0, K, d.idx % 2 ? 'left' : 'right', d.items.map((s) => Buffer.from(s)));
        else if (d.op === 6) {
          removeMatching(ks, e, Buffer.from(d.target), d.limit, d.fromTail);
          if (listLength(ks, e) === 0) ks.removeEntry(0, e);
        } else listMove(ks, 0, K, K, d.idx % 2 ? 'left' : 'right', d.idx % 3 ? 'left' : 'right');
      };
      const onModel = (m: string[]): void => {
        if (d.op === 0) m[d.idx] = d.v;
        else if (d.op === 1) m.splice(d.idx, 0, d.v);
        else if (d.op === 2) m.splice(d.idx, Math.min(d.n, m.length - d.idx));
        else if (d.op === 3) m.splice(0, d.n);
        else if (d.op === 4) m.splice(Math.max(0, m.length - d.n), d.n);
        else if (d.op === 5) {
          if (d.idx % 2) for (const it of d.items) m.unshift(it);
          else m.push(...d.items);
        } else if (d.op === 6) {
          const idxs = m.map((x, j) => (x === d.target ? j : -1)).filter((j) => j >= 0);
          if (d.fromTail) idxs.reverse();
          const drop = new Set(d.limit === 0 ? idxs : idxs.slice(0, d.limit));
          const kept = m.filter((_, j) => !drop.has(j));
          m.length = 0;
          m.push(...kept);
        } else {
          const x = d.idx % 2 ? m.shift()! : m.pop()!;
          if (d.idx % 3) m.unshift(x);
          else m.push(x);
        }
      };
      const read = () =>
        ks.exec(() => {
          const e = ks.find(0, K);
          return e === 0 ? [] : listItems(ks, e).map((b) => b.toString());
        });
      assert.throws(
        () =>
          ks.exec(() => {
            live();
            throw new Error('roll it back');
          }),
        /roll it back/,
      );
      assert.deepEqual(read(), model, `rollback of op ${d.op}`);
      ks.exec(live);
      onModel(model);
      assert.deepEqual(read(), model, `op ${d.op}`);
      if (i % 25 === 0) assertClean(ks);
    }
    assertClean(ks);
  }
});

test('an element over the packed threshold gets a node of its own', () => {
  const ks = open();
  setFill(ks, 100);
  try {
    setPackedThreshold(10);
    ks.exec(() => listPush(ks, 0, K, 'right', ['a', 'b', 'long-element-1', 'c', 'long-element-2', 'd'].map((s) => Buffer.from(s))));
    ks.exec(() => {
      const e = e0(ks);
      assert.equal(listStats(ks, e).nodes, 5);
      replaceAt(ks, e, 0, Buffer.from('another-long-one'));
      insertAt(ks, e, 3, Buffer.from('x'));
      assert.deepEqual(
        listItems(ks, e).map((b) => b.toString()),
        ['another-long-one', 'b', 'long-element-1', 'x', 'c', 'long-element-2', 'd'],
      );
    });
    assertClean(ks);
  } finally {
    setPackedThreshold(0);
  }
});

test('front gaps: pushes and pops at the head of 8 KB nodes go into and out of a gap; they match a deque, roll back exactly and serialise', () => {
  const ks = open();
  setFill(ks, -2);
  const model: string[] = [];
  const r = rng(77);
  const val = () => (r(4) === 0 ? 'z'.repeat(r(300)) : `x${r(1000)}`);
  const sink = { got: '', bulkFrom(u8: Uint8Array, off: number, len: number) { this.got = Buffer.from(u8.subarray(off, off + len)).toString(); } };
  let gapped = 0;
  const gaps = (): void => {
    const e = e0(ks);
    if (e === 0) return;
    // (walk the nodes the way the checker does: through listStats' walk, via the items)
    ks.exec(() => {
      const heap = ks.heap;
      const root = Heap.deref(heap.dv.getUint32(e + O_VREF, true));
      const visit = (p: number, leaf: boolean): void => {
        if (leaf) {
          if (lpStart(heap, p) !== LP_HDR) gapped++;
          assert.ok(lpBytes(heap, p) <= 8192, 'a node within the fill limit, its gap not counted');
          return;
        }
        const n = heap.dv.getUint16(p, true);
        const level = heap.dv.getUint16(p + 2, true);
        for (let i = 0; i < n; i++) visit(Heap.deref(heap.dv.getUint32(p + 8 + 8 * i, true)), level === 0);
      };
      visit(root, heap.mem.u8[e + O_ENC] === 0);
    });
  };
  for (let i = 0; i < 20000; i++) {
    const op = r(10);
    const live = (): void => {
      const e = e0(ks);
      if (op < 4) listPush(ks, 0, K, 'left', [Buffer.from(`h${i}`)]);
      else if (op === 4) listPush(ks, 0, K, 'left', [Buffer.from(val()), Buffer.from(val())]);
      else if (op === 5) listPush(ks, 0, K, 'right', [Buffer.from(`t${i}`)]);
      else if (e === 0) return;
      else if (op === 6) listPopOne(ks, 0, e, 'left', sink);
      else if (op === 7) listPop(ks, 0, e, 'left', 1 + (i % 5));
      else if (op === 8) listPopOne(ks, 0, e, 'right', sink);
      else if (model.length > 3) {
        if (i % 3 === 0) replaceAt(ks, e, i % 3, Buffer.from(val()));
        else if (i % 3 === 1) insertAt(ks, e, 1, Buffer.from(val()));
        else deleteRange(ks, e, 0, 2);
      }
    };
    const before = model.slice();
    if (op === 4) {
      // (pushed one by one at the head: the second ends up first)
    }
    if (i % 50 === 0) {
      assert.throws(() => ks.exec(() => { live(); throw new Error('roll it back'); }), /roll it back/);
      const e = e0(ks);
      assert.deepEqual(ks.exec(() => (e === 0 ? [] : listItems(ks, e).map((b) => b.toString()))), before, `rollback of op ${op} at ${i}`);
    }
    const e = e0(ks);
    const vals: string[] = [];
    ks.exec(() => {
      if (op === 4) {
        const a = val();
        const b = val();
        vals.push(a, b);
        listPush(ks, 0, K, 'left', [Buffer.from(a), Buffer.from(b)]);
      } else live();
    });
    if (op < 4) model.unshift(`h${i}`);
    else if (op === 4) model.unshift(vals[1]!, vals[0]!);
    else if (op === 5) model.push(`t${i}`);
    else if (e === 0) continue;
    else if (op === 6) assert.equal(sink.got, model.shift());
    else if (op === 7) model.splice(0, 1 + (i % 5));
    else if (op === 8) assert.equal(sink.got, model.pop());
    else if (model.length > 3) {
      if (i % 3 === 0) model[0] = '';
      else if (i % 3 === 1) model.splice(1, 0, '');
      else model.splice(0, 2);
    }
    if (e0(ks) !== 0 && (model.length === 0 || op === 9)) {
      // the values LSET/LINSERT wrote: read back (the model only knows where they went)
      const now = ks.exec(() => listItems(ks, e0(ks)).map((b) => b.toString()));
      if (op === 9 && model.length > 3) {
        if (i % 3 === 0) model[0] = now[0]!;
        else if (i % 3 === 1) model[1] = now[1]!;
      }
    }
    if (model.length === 0 && e0(ks) !== 0) ks.exec(() => ks.removeEntry(0, e0(ks)));
    if (i % 1000 === 0) {
      assert.deepEqual(ks.exec(() => (e0(ks) === 0 ? [] : listItems(ks, e0(ks)).map((b) => b.toString()))), model, `at ${i}`);
      assertClean(ks);
      gaps();
    }
  }
  assert.deepEqual(ks.exec(() => listItems(ks, e0(ks)).map((b) => b.toString())), model);
  assertClean(ks);
  gaps();
  assert.ok(gapped > 0, 'some node has a front gap');
  // the streaming serialiser (DUMP, incremental saves) reads gapped nodes as toRdb does
  ks.exec(() => {
    const e = e0(ks);
    const s = valueType(ks.heap.mem.u8[e + O_TYPE]!).rdbStream!(ks, liveView(ks.heap), e)!;
    const enc = new RdbEncoder({ compress: true });
    while (!s.step(enc, 1000));
    const v = readValue(new RdbDecoder(new BufferSource(enc.takeBytes())), s.rdbType)!;
    assert.ok(v.type === OBJ_LIST);
    const flat = v.nodes.flatMap((n) => n.map((x) => Buffer.from(x).toString()));
    assert.deepEqual(flat, model);
    const direct = valueType(OBJ_LIST).toRdb!(ks, e);
    assert.ok(direct.type === OBJ_LIST);
    assert.deepEqual(direct.nodes.map((n) => n.length), v.nodes.map((n) => n.length));
  });
});
