/**
 * The copy-on-write epoch (src/heap/cow.ts): random operations — logged writes to old
 * chunks, frees, new allocations written without logging (which would reuse freed memory
 * if the epoch did not quarantine it), operations rolled back — must leave the epoch's
 * view of every chunk that existed at its start exactly as it was; ending the epoch gives
 * every quarantined chunk back; a shadow too small breaks the epoch instead of lying.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Heap } from '../../src/heap/heap.js';
import { MemoryBacking } from '../../src/heap/memory-backing.js';
import { checkHeap } from '../../src/heap/check.js';

function fresh() {
  const backing = new MemoryBacking({ reserved: 256 << 20 });
  const heap = Heap.format(backing, { undoReserve: 16 << 20, initialArena: 64 << 10 });
  heap.lock();
  return heap;
}

function rng(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    return (s >>> 0) / 2 ** 32;
  };
}

for (const [seed, grow] of [[1, false], [2, false], [3, false], [4, true], [5, true]] as const) {
  const how = grow ? ', a small shadow grown by its owner as it fills' : '';
  test(`copy-on-write epoch: the view keeps every old chunk as it was through random writes, frees, reuse and rollbacks${how} (seed ${seed})`, () => {
    const heap = fresh();
    const r = rng(seed);
    const chunks: number[] = [];
    heap.atomically(() => {
      for (let i = 0; i < 400; i++) {
        const n = 8 + Math.floor(r() * 900);
        const p = heap.alloc(n);
        for (let j = 0; j < n; j++) heap.mem.u8[p + j] = Math.floor(r() * 256);
        chunks.push(p);
      }
    });
    const before = chunks.map((p) => Buffer.from(heap.mem.u8.subarray(p, p + heap.usable(p))));
    const used0 = heap.stats().usedBytes;
    heap.atomically(() => heap.cow.begin(-1, process.pid, Date.now(), grow ? 4096 : undefined));
    const view = heap.cow.view();
    let alive = chunks.slice();
    let grown = 0;
    for (let op = 0; op < 300; op++) {
      const info = heap.cow.info()!;
      if (grow && info.shadowLines * 2 >= info.shadowCapacity) {
        // (between the writers' operations, as a snapshot's owner does: rolled back now and then too)
        try {
          heap.atomically(() => {
            assert.ok(heap.cow.grow());
            if (r() < 0.2) throw new Error('roll back');
            grown++;
          });
        } catch (e) {
          if ((e as Error).message !== 'roll back') throw e;
        }
      }
      const rollback = r() < 0.15;
      const aliveBefore = alive.slice();
      try {
        heap.atomically(() => {
          for (let k = 0; k < 5; k++) {
            const what = r();
            if (what < 0.5 && alive.length > 0) {
              // a logged write somewhere in an old chunk
              const p = alive[Math.floor(r() * alive.length)]!;
              const size = heap.usable(p);
              const off = Math.floor(r() * size);
              const len = Math.min(size - off, 1 + Math.floor(r() * (r() < 0.5 ? 16 : 300)));
              heap.log(p + off, len);
              for (let j = 0; j < len; j++) heap.mem.u8[p + off + j] = Math.floor(r() * 256);
            } else if (what < 0.75 && alive.length > 0) {
              const i = Math.floor(r() * alive.length);
              heap.free(alive[i]!);
              alive.splice(i, 1);
            } else {
              // a new chunk, written without logging (as the rule allows)
              const n = 8 + Math.floor(r() * 2000);
              const p = heap.alloc(n);
              heap.mem.u8.fill(0xee, p, p + n);
            }
          }
          if (rollback) throw new Error('roll back');
        });
      } catch (e) {
        if ((e as Error).message !== 'roll back') throw e;
        // the rolled-back frees did not happen
        alive = aliveBefore;
      }
      if (op % 50 === 0) {
        for (let i = 0; i < chunks.length; i++) {
          const p = chunks[i]!;
          assert.ok(Buffer.from(view.bytes(p, before[i]!.length)).equals(before[i]!), `op ${op}: chunk ${i} as it was`);
        }
      }
    }
    assert.ok(heap.cow.whole, 'the shadow did not overflow');
    for (let i = 0; i < chunks.length; i++) {
      const p = chunks[i]!;
      assert.ok(Buffer.from(view.bytes(p, before[i]!.length)).equals(before[i]!), `chunk ${i} as it was`);
      assert.equal(view.u32(p), before[i]!.readUInt32LE(0));
    }
    const info = heap.cow.info()!;
    assert.ok(info.shadowLines > 0 && info.quarantined > 0, JSON.stringify(info));
    if (grow) assert.ok(grown > 0 && info.shadowCapacity > 64, `grown ${grown} times`);
    assert.deepEqual(checkHeap(heap).errors, []);
    while (!heap.atomically(() => heap.cow.endStep(50)));
    assert.equal(heap.cow.info(), null);
    assert.deepEqual(checkHeap(heap).errors, []);
    // nothing kept: what is still allocated is what the operations left alive
    assert.ok(heap.stats().usedBytes < used0 * 4);
  });
}

test('copy-on-write epoch: a shadow too small breaks the epoch (the reader must fall back) and ending it still frees everything', () => {
  const heap = fresh();
  const ps: number[] = [];
  heap.atomically(() => {
    for (let i = 0; i < 100; i++) ps.push(heap.alloc(1000));
  });
  heap.atomically(() => heap.cow.begin(-1, process.pid, Date.now(), 4096));
  assert.equal(heap.cow.whole, true);
  heap.atomically(() => {
    for (const p of ps) {
      heap.log(p, 1000);
      heap.mem.u8.fill(1, p, p + 1000);
    }
  });
  assert.equal(heap.cow.whole, false);
  heap.atomically(() => {
    for (const p of ps) heap.free(p);
  });
  while (!heap.atomically(() => heap.cow.endStep()));
  assert.deepEqual(checkHeap(heap).errors, []);
});

test('copy-on-write epoch: one opened inside an operation shadows what that operation writes after opening it', () => {
  const heap = fresh();
  let p = 0;
  heap.atomically(() => {
    p = heap.alloc(256);
    heap.mem.u8.fill(7, p, p + 256);
  });
  heap.atomically(() => {
    heap.cow.begin(-1, process.pid, Date.now());
    heap.log(p, 256);
    heap.mem.u8.fill(9, p, p + 256);
  });
  const view = heap.cow.view();
  assert.ok(Buffer.from(view.bytes(p, 256)).equals(Buffer.alloc(256, 7)), 'the view has the bytes of the instant the epoch began');
  while (!heap.atomically(() => heap.cow.endStep()));
  assert.deepEqual(checkHeap(heap).errors, []);
});
