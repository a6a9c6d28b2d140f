/**
 * The Dash hash table (src/structs/dash.ts): inserts, finds and removes against a Map model,
 * and drain — emptying a table being thrown away a segment at a time — that hands out
 * every ref once, keeps the checker clean at every step and frees everything at the end.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Heap } from '../../src/heap/heap.js';
import { MemoryBacking } from '../../src/heap/memory-backing.js';
import { checkHeap } from '../../src/heap/check.js';
import { Dash, drainWalk } from '../../src/structs/dash.js';
import { H } from '../../src/heap/layout.js';

function fresh(): Heap {
  const heap = Heap.format(new MemoryBacking({ reserved: 256 << 20 }), { undoReserve: 32 << 20, initialArena: 64 << 10 });
  heap.lock();
  return heap;
}

/** A chunk holding its own id: the refs a table stores. */
function item(heap: Heap, id: number): number {
  const p = heap.alloc(8);
  heap.dv.setUint32(p, id, true);
  return Heap.ref(p);
}

const idOf = (heap: Heap, ref: number): number => heap.dv.getUint32(Heap.deref(ref), true);
const hashOf = (id: number): number => Math.imul(id, 0x9e3779b1) >>> 0;

test('dash: inserts, finds and removes agree with a Map', () => {
  const heap = fresh();
  const model = new Map<number, number>();
  let t = 0;
  heap.atomically(() => {
    t = Dash.create(heap);
  });
  const d = new Dash(heap, t);
  heap.atomically(() => {
    for (let id = 0; id < 20_000; id++) {
      const r = item(heap, id);
      d.insert(hashOf(id), r);
      model.set(id, r);
    }
    for (let id = 0; id < 20_000; id += 3) {
      assert.ok(d.remove(hashOf(id), model.get(id)!));
      heap.free(Heap.deref(model.get(id)!));
      model.delete(id);
    }
  });
  for (let id = 0; id < 20_000; id++) {
    const r = d.find(hashOf(id), (ref) => idOf(heap, ref) === id);
    assert.equal(r, model.get(id) ?? 0, `id ${id}`);
  }
  assert.equal(d.count(), model.size);
  const errors: string[] = [];
  d.check(errors);
  assert.deepEqual(errors, []);
});

test('dash: drain hands every ref out once, a segment at a time, within the budget, and the table is freed whole', () => {
  const heap = fresh();
  const used0 = heap.usedBytes();
  let t = 0;
  const n = 30_000;
  heap.atomically(() => {
    t = Dash.create(heap);
    const d = new Dash(heap, t);
    for (let id = 0; id < n; id++) d.insert(hashOf(id), item(heap, id));
  });
  const d = new Dash(heap, t);
  const seen = new Set<number>();
  let steps = 0;
  while (d.count() > 0) {
    const rolledBack = steps % 7 === 3;
    try {
      heap.atomically(() => {
        const before = seen.size;
        const got: number[] = [];
        const k = d.drain(1000, (r) => got.push(r));
        assert.equal(k, got.length);
        assert.ok(k > 0 && k <= 1000, `drained ${k}`);
        if (rolledBack) throw new Error('roll back');
        for (const r of got) {
          const id = idOf(heap, r);
          assert.ok(!seen.has(id), `id ${id} handed out twice`);
          seen.add(id);
          heap.free(Heap.deref(r));
        }
        assert.equal(seen.size, before + k);
      });
    } catch (e) {
      if ((e as Error).message !== 'roll back') throw e;
    }
    steps++;
    const errors: string[] = [];
    d.check(errors);
    assert.deepEqual(errors, [], `checker after step ${steps}`);
    // the walks that may read a drained table see only what is left
    let left = 0;
    d.forEach(() => left++);
    assert.equal(left, d.count());
  }
  assert.equal(seen.size, n);
  assert.ok(steps >= n / 1000, `${steps} steps`);
  heap.atomically(() => d.destroy());
  assert.equal(heap.usedBytes(), used0);
  assert.deepEqual(checkHeap(heap).errors, []);
});

test('dash: draining a table in slices walks its directory about once in all, not once per slice', () => {
  const heap = fresh();
  let t = 0;
  const n = 100_000;
  heap.atomically(() => {
    t = Dash.create(heap);
    const d = new Dash(heap, t);
    for (let id = 0; id < n; id++) d.insert(hashOf(id), item(heap, id));
  });
  const size = 2 ** new Dash(heap, t).depth();
  const walked0 = drainWalk.entries;
  let slices = 0;
  let handed = 0;
  while (new Dash(heap, t).count() > 0) {
    // a new Dash per slice, as a collection's lazy free makes, and one slice rolled back:
    // its segments, before where the next slice starts, are found again by the wrap-around
    const undo = slices === 40;
    try {
      heap.atomically(() => {
        const got: number[] = [];
        new Dash(heap, t).drain(300, (r) => got.push(r));
        if (undo) throw new Error('roll back');
        for (const r of got) heap.free(Heap.deref(r));
        handed += got.length;
      });
    } catch (e) {
      if ((e as Error).message !== 'roll back') throw e;
    }
    slices++;
  }
  assert.equal(handed, n);
  const walked = drainWalk.entries - walked0;
  // once from the start to the end, once more after the rollback, and each slice's first segment twice
  assert.ok(slices > 100, `${slices} slices`);
  assert.ok(walked <= 3 * size + 2 * slices, `walked ${walked} directory entries for a directory of ${size} in ${slices} slices`);
  heap.atomically(() => new Dash(heap, t).destroy());
  assert.deepEqual(checkHeap(heap).errors, []);
});

test('dash: peek (a reader without the lock) over a table scribbled on never reads past its limit', () => {
  const heap = fresh();
  let t = 0;
  heap.atomically(() => {
    t = Dash.create(heap);
  });
  const d = new Dash(heap, t);
  const ids: number[] = [];
  heap.atomically(() => {
    for (let id = 0; id < 3000; id++) {
      d.insert(hashOf(id), item(heap, id));
      ids.push(id);
    }
  });
  const limit = heap.readLimit();
  const top = heap.dv.getFloat64(heap.base + H.top, true);
  // A copy of the memory up to the limit, read through views of exactly that size that throw
  // a RangeError at or past the limit instead of letting such a read go unnoticed: the
  // DataView does, and the words (which the table reads straight) are behind a proxy that does.
  const bytes = new Uint8Array(new SharedArrayBuffer(limit));
  bytes.set(new Uint8Array(heap.backing.sab, 0, limit));
  const words = new Uint32Array(bytes.buffer, 0, limit >>> 2);
  const strictWords = new Proxy(words, {
    get(t, k) {
      if (typeof k === 'string' && /^\d+$/.test(k) && Number(k) >= t.length) throw new RangeError(`word ${k} read past the limit`);
      return Reflect.get(t, k);
    },
  });
  const view = { dv: new DataView(bytes.buffer), mem: { u32: strictWords } } as unknown as Heap;
  const peek = new Dash(view, t);
  const eqOf = (id: number) => (ref: number) => {
    const p = Heap.deref(ref);
    if (p + 4 > limit) return -1;
    return view.dv.getUint32(p, true) === id ? 1 : 0;
  };
  // intact: every key is found
  for (const id of ids) assert.equal(peek.peek(hashOf(id), eqOf(id), heap.arenaStart, limit) > 0, true);
  let seed = 7;
  const rnd = (n: number) => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) % n);
  const answers = { found: 0, absent: 0, torn: 0 };
  for (let round = 0; round < 2000; round++) {
    // scribble: random words anywhere in the table's memory (header, directory, segments)
    for (let k = 0; k < 20; k++) {
      const at = heap.arenaStart + rnd(top - heap.arenaStart - 4);
      const kind = rnd(4);
      const word = kind === 0 ? 0xffffffff : kind === 1 ? (limit >> 4) + rnd(1 << 20) : kind === 2 ? rnd(limit >> 4) : Math.imul(rnd(1 << 30), 7) >>> 0;
      view.dv.setUint32(at & ~3, word, true);
    }
    for (let q = 0; q < 20; q++) {
      const id = ids[rnd(ids.length)]!;
      const r = peek.peek(hashOf(id), eqOf(id), heap.arenaStart, limit);
      if (r > 0) answers.found++;
      else if (r === 0) answers.absent++;
      else answers.torn++;
    }
  }
  assert.ok(answers.torn > 0 && answers.found > 0, JSON.stringify(answers));
  heap.unlock();
});
