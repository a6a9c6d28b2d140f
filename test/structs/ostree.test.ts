/**
 * The order-statistic tree (src/structs/ostree.ts) on its own: random inserts and removals
 * against a sorted model, deep enough for inner nodes to split, merge and share slots, with
 * the structure check (counts, first items, order, fill) after every batch, rank and k-th
 * item queries, and an operation rolled back leaving the tree as it was.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Heap } from '../../src/heap/heap.js';
import { MemoryBacking } from '../../src/heap/memory-backing.js';
import { OSTree, TREE_HDR, MEMBER_SCORE } from '../../src/structs/ostree.js';

function fresh(): Heap {
  const heap = Heap.format(new MemoryBacking({ reserved: 256 << 20 }), { undoReserve: 32 << 20, initialArena: 64 << 10 });
  heap.lock();
  return heap;
}

/** xorshift32: the same sequence every run. */
function rng(seed: number): (n: number) => number {
  let x = seed >>> 0 || 1;
  return (n) => {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    return x % n;
  };
}

interface Item {
  score: number;
  name: string;
  ref: number;
}

/** Skiplist order: score, then the member's bytes (here ASCII names). */
const order = (a: Item, b: Item): number => a.score - b.score || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0);

function verify(heap: Heap, tree: OSTree, model: Item[], label: string): void {
  const errors: string[] = [];
  const refs = tree.check(errors);
  assert.deepEqual(errors, [], label);
  const sorted = [...model].sort(order);
  assert.equal(tree.count(), sorted.length, `${label}: count`);
  assert.deepEqual(refs, sorted.map((i) => i.ref), `${label}: items in order`);
  for (const i of sorted) assert.equal(heap.dv.getFloat64(Heap.deref(i.ref) + MEMBER_SCORE, true), i.score);
}

test('ostree: random inserts and removals agree with a sorted model, the check clean after every batch', () => {
  const heap = fresh();
  let hdr = 0;
  heap.atomically(() => {
    hdr = heap.alloc(TREE_HDR);
    OSTree.init(heap, hdr);
  });
  const tree = new OSTree(heap, hdr);
  const rnd = rng(12345);
  const model: Item[] = [];
  const byName = new Map<string, Item>();
  let next = 0;
  // grow past three levels (32 items per leaf, 64 children per inner node), then shrink
  // back to nothing: every split, merge and redistribution happens on the way
  const phases: [number, number][] = [
    [60, 0.9],
    [60, 0.5],
    [80, 0.1],
  ];
  for (const [batches, pInsert] of phases) {
    for (let b = 0; b < batches; b++) {
      heap.atomically(() => {
        for (let k = 0; k < 150; k++) {
          if (model.length === 0 || rnd(1000) < pInsert * 1000) {
            // few distinct scores: ties ordered by the member's bytes
            const score = rnd(50) - 25;
            const name = `m${next++}`;
            const ref = Heap.ref(OSTree.newMember(heap, Buffer.from(name), score));
            const it = { score, name, ref };
            tree.insert(score, ref);
            model.push(it);
            byName.set(name, it);
          } else {
            const j = rnd(model.length);
            const it = model[j]!;
            assert.equal(tree.remove(it.score, it.ref), true);
            model[j] = model[model.length - 1]!;
            model.pop();
            byName.delete(it.name);
            heap.free(Heap.deref(it.ref));
          }
        }
      });
      verify(heap, tree, model, `batch ${b}`);
    }
  }
  // ranks and the k-th item
  const sorted = [...model].sort(order);
  for (let r = 0; r < sorted.length; r += 7) {
    assert.equal(tree.rankOf(sorted[r]!.score, sorted[r]!.ref), r);
    assert.deepEqual(tree.at(r), [sorted[r]!.score, sorted[r]!.ref]);
  }
});

test('ostree: an operation that inserts and removes, then rolls back, leaves the tree as it was', () => {
  const heap = fresh();
  let hdr = 0;
  const model: Item[] = [];
  heap.atomically(() => {
    hdr = heap.alloc(TREE_HDR);
    OSTree.init(heap, hdr);
  });
  const tree = new OSTree(heap, hdr);
  heap.atomically(() => {
    for (let i = 0; i < 5000; i++) {
      const name = `k${i}`;
      const score = (i * 7919) % 1000;
      const ref = Heap.ref(OSTree.newMember(heap, Buffer.from(name), score));
      tree.insert(score, ref);
      model.push({ score, name, ref });
    }
  });
  verify(heap, tree, model, 'before');
  const rnd = rng(99);
  heap.begin();
  for (let i = 0; i < 3000; i++) {
    const it = model[rnd(model.length)]!;
    tree.remove(it.score, it.ref);
    tree.insert(it.score + 0.5, Heap.ref(OSTree.newMember(heap, Buffer.from(`x${i}`), it.score + 0.5)));
  }
  heap.abort();
  verify(heap, tree, model, 'after the rollback');
});

test('ostree: removeRange of random rank ranges (a leaf at a time) agrees with the sorted model, and rolls back whole', () => {
  const heap = fresh();
  const rnd = rng(4242);
  for (const size of [20, 33, 500, 3000, 20_000]) {
    let hdr = 0;
    let model: Item[] = [];
    heap.atomically(() => {
      hdr = heap.alloc(TREE_HDR);
      OSTree.init(heap, hdr);
    });
    const tree = new OSTree(heap, hdr);
    heap.atomically(() => {
      for (let i = 0; i < size; i++) {
        const name = `r${i}`;
        const score = rnd(size >> 2);
        const ref = Heap.ref(OSTree.newMember(heap, Buffer.from(name), score));
        tree.insert(score, ref);
        model.push({ score, name, ref });
      }
    });
    model.sort(order);
    // one rolled back: the tree as it was
    heap.begin();
    tree.removeRange(size >> 3, size >> 1, () => {});
    heap.abort();
    verify(heap, tree, model, `size ${size}, after a rolled-back removeRange`);
    let rounds = 0;
    while (model.length > 0) {
      // ranges at the front, the back, the middle, of one item, of everything left
      const n = model.length;
      const pick = rnd(5);
      const k = pick === 4 ? n : 1 + rnd(pick === 3 ? 1 : Math.max(1, n >> 1));
      const lo = pick === 0 ? 0 : pick === 1 ? n - k : rnd(n - k + 1);
      const seen: number[] = [];
      heap.atomically(() =>
        tree.removeRange(lo, k, (score, ref) => {
          seen.push(ref);
          assert.equal(heap.dv.getFloat64(Heap.deref(ref) + MEMBER_SCORE, true), score);
          heap.free(Heap.deref(ref));
        }),
      );
      assert.deepEqual(seen, model.slice(lo, lo + k).map((i) => i.ref), `size ${size}, round ${rounds}: the items removed, in order`);
      model = model.slice(0, lo).concat(model.slice(lo + k));
      verify(heap, tree, model, `size ${size}, round ${rounds}: [${lo}, ${lo + k}) of ${n}`);
      rounds++;
    }
    assert.throws(() => heap.atomically(() => tree.removeRange(0, 1, () => {})), /outside/);
  }
});
