import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { Heap } from '../../src/heap/heap.js';
import { MemoryBacking } from '../../src/heap/memory-backing.js';
import { checkHeap } from '../../src/heap/check.js';
import { H, HEAP_HEADER_SIZE } from '../../src/heap/layout.js';

function fresh(opts: { reserved?: number; capacity?: number } = {}) {
  const backing = new MemoryBacking({ reserved: opts.reserved ?? 64 << 20, capacity: opts.capacity });
  const heap = Heap.format(backing, { undoReserve: 8 << 20, initialArena: 64 << 10 });
  heap.lock();
  return { backing, heap };
}

function fill(heap: Heap, p: number, len: number, seed: number) {
  for (let i = 0; i < len; i++) heap.mem.u8[p + i] = (seed + i * 31) & 0xff;
}
function holds(heap: Heap, p: number, len: number, seed: number): boolean {
  for (let i = 0; i < len; i++) if (heap.mem.u8[p + i] !== ((seed + i * 31) & 0xff)) return false;
  return true;
}
function assertClean(heap: Heap) {
  const r = checkHeap(heap);
  assert.deepEqual(r.errors, [], 'heap check');
}

test('alloc, write, free, reuse', () => {
  const { heap } = fresh();
  const ptrs: number[] = [];
  heap.atomically(() => {
    for (let i = 0; i < 100; i++) {
      const p = heap.alloc(i * 7 + 1);
      assert.ok(heap.usable(p) >= i * 7 + 1);
      fill(heap, p, i * 7 + 1, i);
      ptrs.push(p);
    }
  });
  assertClean(heap);
  heap.atomically(() => {
    for (let i = 0; i < 100; i += 2) heap.free(ptrs[i]!);
  });
  assertClean(heap);
  for (let i = 1; i < 100; i += 2) assert.ok(holds(heap, ptrs[i]!, i * 7 + 1, i));
  const s = heap.stats();
  assert.equal(s.liveChunks, 50);
  heap.atomically(() => {
    for (let i = 1; i < 100; i += 2) heap.free(ptrs[i]!);
  });
  assertClean(heap);
  assert.equal(heap.stats().usedBytes, 0);
  assert.equal(heap.stats().top, heap.arenaStart, 'everything merged back into top');
});

test('refs address payloads', () => {
  const { heap } = fresh();
  heap.atomically(() => {
    const p = heap.alloc(10);
    assert.equal(Heap.deref(Heap.ref(p)), p);
    assert.equal(Heap.deref(0), 0);
  });
});

test('abort restores the heap exactly', () => {
  const { heap } = fresh();
  const keep: number[] = [];
  heap.atomically(() => {
    for (let i = 0; i < 50; i++) {
      const p = heap.alloc(40 + i);
      fill(heap, p, 40 + i, i);
      keep.push(p);
    }
  });
  const before = heap.stats();
  heap.begin();
  for (let i = 0; i < 50; i += 3) heap.free(keep[i]!);
  for (let i = 0; i < 30; i++) heap.alloc(100 * i + 5);
  heap.log(keep[1]!, 41);
  heap.mem.u8.fill(0xee, keep[1]!, keep[1]! + 41);
  heap.abort();
  assertClean(heap);
  const after = heap.stats();
  for (const k of ['top', 'usedBytes', 'liveChunks', 'freeBytes', 'freeChunks', 'arenaEnd'] as const) assert.equal(after[k], before[k], k);
  keep.forEach((p, i) => assert.ok(holds(heap, p, 40 + i, i), `chunk ${i} content`));
});

test('a refill of a big free chunk carves its tail: the chunk stays in its bin, abort restores it', () => {
  const { heap } = fresh();
  const small: number[] = [];
  let big = 0;
  let fence = 0;
  heap.atomically(() => {
    big = heap.alloc(300 << 10); // a bin of [256, 320) KiB: what the test carves leaves it there
    fence = heap.alloc(40); // keeps the big chunk from merging into top once freed
    fill(heap, fence, 40, 9);
  });
  heap.atomically(() => heap.free(big));
  assertClean(heap);
  const before = heap.stats();
  // the logged part of the heap header: allocator fields, bins (not the undo log's own counters)
  const logged = () =>
    Buffer.concat([heap.mem.u8.subarray(heap.base + H.top, heap.base + H.undoUsed), heap.mem.u8.subarray(heap.base + H.binmap, heap.base + HEAP_HEADER_SIZE)]);
  const bytesBefore = logged();
  // rolled back: the free chunk's header, footer and its neighbour's flags come back exactly
  heap.begin();
  for (let i = 0; i < 300; i++) fill(heap, heap.alloc(40 + (i % 5) * 16), 40, i);
  heap.abort();
  assertClean(heap);
  assert.deepEqual(logged(), bytesBefore, 'heap header and bins');
  for (const k of ['top', 'usedBytes', 'liveChunks', 'freeBytes', 'freeChunks'] as const) assert.equal(heap.stats()[k], before[k], k);
  // committed, one allocation per operation as a refill does: every chunk from the tail of the free one, below the fence
  for (let i = 0; i < 300; i++) {
    heap.atomically(() => {
      const p = heap.alloc(40 + (i % 5) * 16);
      fill(heap, p, 40, i);
      small.push(p);
    });
  }
  assertClean(heap);
  assert.equal(heap.stats().freeChunks, before.freeChunks, 'still one free chunk');
  for (let i = 1; i < small.length; i++) assert.ok(small[i]! < small[i - 1]!, 'carved downwards');
  assert.ok(small[0]! < fence && small[small.length - 1]! > big - 16);
  small.forEach((p, i) => assert.ok(holds(heap, p, 40, i), `chunk ${i}`));
  assert.ok(holds(heap, fence, 40, 9));
  // and freed again: everything merges back into one chunk
  heap.atomically(() => small.forEach((p) => heap.free(p)));
  assertClean(heap);
  assert.equal(heap.stats().freeBytes, before.freeBytes);
  assert.equal(heap.stats().freeChunks, before.freeChunks);
});

test('growth past the initial arena, then ENOSPC leaves the heap usable', () => {
  const { heap, backing } = fresh({ capacity: 24 << 20 });
  const ptrs: number[] = [];
  let failed: unknown = null;
  for (let i = 0; i < 200 && !failed; i++) {
    try {
      heap.atomically(() => {
        const p = heap.alloc(1 << 20);
        fill(heap, p, 64, i);
        ptrs.push(p);
      });
    } catch (e) {
      failed = e;
    }
  }
  assert.ok(failed, 'ran out of backing');
  assert.equal((failed as { code?: string }).code, 'ENOSPC');
  assertClean(heap);
  ptrs.forEach((p, i) => assert.ok(holds(heap, p, 64, i)));
  heap.atomically(() => heap.free(ptrs.pop()!));
  heap.atomically(() => ptrs.push(heap.alloc(1000)));
  assertClean(heap);
  assert.ok(backing.backedBytes <= 24 << 20);
});

test('trim shrinks the tail and punches free runs; punched memory is backed again before use', () => {
  const { heap, backing } = fresh();
  const ptrs: number[] = [];
  heap.atomically(() => {
    for (let i = 0; i < 40; i++) ptrs.push(heap.alloc(512 * 1024));
  });
  const big = backing.backedBytes;
  heap.atomically(() => {
    for (let i = 0; i < 40; i += 2) heap.free(ptrs[i]!);
  });
  const given = heap.trim({ aged: false });
  assert.ok(given > 0, 'punched something');
  assert.ok(backing.backedBytes < big);
  assertClean(heap);
  heap.atomically(() => {
    for (let i = 0; i < 20; i++) {
      const p = heap.alloc(300 * 1024);
      assert.ok(backing.isBacked(p - 8, 300 * 1024 + 8), 'allocation is backed');
      fill(heap, p, 300 * 1024, i);
    }
  });
  assertClean(heap);
  heap.atomically(() => {
    for (let i = 1; i < 40; i += 2) heap.free(ptrs[i]!);
  });
  heap.trim({ aged: false });
  assertClean(heap);
  assert.ok(backing.committed() < heap.arenaStart + 64 * 1024 * 1024);
});

/**
 * A heap whose backing counts its reserve() calls, with `n` chunks of `size` bytes in use
 * and a small chunk after them that keeps them out of top once they are freed.
 */
function withRun(n: number, size: number) {
  const { heap, backing } = fresh();
  const counted = { reserves: 0 };
  const reserve = backing.reserve.bind(backing);
  backing.reserve = (off: number, len: number) => {
    counted.reserves++;
    reserve(off, len);
  };
  const ptrs: number[] = [];
  let keep = 0;
  heap.atomically(() => {
    for (let i = 0; i < n; i++) ptrs.push(heap.alloc(size));
    keep = heap.alloc(64);
  });
  return { heap, backing, counted, ptrs, keep };
}

test('trim gives back only memory that stayed free from one trim to the next; a refill in between makes no system call', () => {
  const { heap, backing, counted, ptrs, keep } = withRun(16, 512 * 1024);
  const full = backing.backedBytes;
  // the first trim of a process only notes what is free (and where top is)
  assert.equal(heap.trim(), 0);
  heap.atomically(() => {
    for (const p of ptrs) heap.free(p);
  });
  assert.equal(heap.trim(), 0, 'freed since the last trim: kept');
  assert.equal(backing.backedBytes, full);
  // a refill before the next trim: the same memory, no reservation, nothing to punch after it
  heap.atomically(() => {
    ptrs.length = 0;
    for (let i = 0; i < 16; i++) ptrs.push(heap.alloc(512 * 1024));
  });
  assert.equal(counted.reserves, 0);
  assert.equal(heap.trim(), 0);
  assertClean(heap);
  // freed and left free across two trims: given back at the second
  heap.atomically(() => {
    for (const p of ptrs) heap.free(p);
  });
  assert.equal(heap.trim(), 0);
  assert.ok(heap.trim() > 0, 'punched at the second trim');
  assert.ok(backing.backedBytes < full / 2, `backed ${backing.backedBytes} of ${full}`);
  assertClean(heap);
  heap.atomically(() => heap.free(keep));
  // the tail: top fell, but shrinks only to above where top was at the previous trim
  const before = backing.committed();
  heap.trim();
  assert.equal(backing.committed(), before, 'top fell since the last trim: the tail stays');
  heap.trim();
  assert.ok(backing.committed() < before, 'and goes at the next');
  assertClean(heap);
});

test('small allocations from punched memory share a reservation, and a later punch is noticed', () => {
  const { heap, backing, counted, ptrs, keep } = withRun(8, 1024 * 1024);
  heap.atomically(() => {
    for (const p of ptrs) heap.free(p);
  });
  assert.ok(heap.trim({ aged: false }) > 0, 'punched the free run');
  const smallAllocs = () => {
    counted.reserves = 0;
    const small: number[] = [];
    heap.atomically(() => {
      for (let i = 0; i < 2000; i++) {
        const p = heap.alloc(48);
        assert.ok(backing.isBacked(p - 8, 56), 'allocation is backed');
        fill(heap, p, 48, i);
        small.push(p);
      }
    });
    // one system call per 256 KiB ahead, not one per allocation
    assert.ok(counted.reserves < 10, `${counted.reserves} reservations for 2000 small allocations`);
    assertClean(heap);
    heap.atomically(() => {
      for (const p of small) heap.free(p);
    });
  };
  smallAllocs();
  // The run (still marked punched) taken whole and freed again is an ordinary free chunk:
  // the next trim punches it, pages this process had backed ahead included.
  heap.atomically(() => heap.free(heap.alloc(heap.stats().largestFree - 8)));
  assert.ok(heap.trim({ aged: false }) > 0, 'punched the run again');
  smallAllocs();
  heap.atomically(() => heap.free(keep));
  assertClean(heap);
});

test('realloc grows in place into top and into a free neighbour, else moves', () => {
  const { heap } = fresh();
  heap.atomically(() => {
    let p = heap.alloc(100);
    fill(heap, p, 100, 7);
    const q = heap.realloc(p, 5000);
    assert.equal(q, p, 'in place at top');
    assert.ok(holds(heap, q, 100, 7));
    const blocker = heap.alloc(10);
    p = heap.realloc(q, 100000);
    assert.notEqual(p, q);
    assert.ok(holds(heap, p, 100, 7));
    heap.free(blocker);
  });
  assertClean(heap);
});

type Op =
  | { t: 'alloc'; size: number }
  | { t: 'free'; i: number }
  | { t: 'realloc'; i: number; size: number }
  | { t: 'write'; i: number; seed: number };
const opArb: fc.Arbitrary<Op> = fc.oneof(
  fc.record({ t: fc.constant('alloc' as const), size: fc.oneof(fc.integer({ min: 0, max: 200 }), fc.integer({ min: 0, max: 70000 })) }),
  fc.record({ t: fc.constant('free' as const), i: fc.nat() }),
  fc.record({ t: fc.constant('realloc' as const), i: fc.nat(), size: fc.integer({ min: 1, max: 20000 }) }),
  fc.record({ t: fc.constant('write' as const), i: fc.nat(), seed: fc.nat(255) }),
);

test('property: random alloc/free/realloc/write operations, committed or aborted, match a model', () => {
  fc.assert(
    fc.property(fc.array(fc.record({ ops: fc.array(opArb, { maxLength: 12 }), commit: fc.boolean() }), { maxLength: 40 }), (txs) => {
      const { heap } = fresh();
      let model: { p: number; len: number; seed: number }[] = [];
      for (const tx of txs) {
        const work = model.map((m) => ({ ...m }));
        heap.begin();
        for (const op of tx.ops) {
          if (op.t === 'alloc') {
            const p = heap.alloc(op.size);
            const seed = op.size & 0xff;
            fill(heap, p, op.size, seed);
            work.push({ p, len: op.size, seed });
          } else if (work.length > 0) {
            const k = op.i % work.length;
            const m = work[k]!;
            if (op.t === 'free') {
              heap.free(m.p);
              work.splice(k, 1);
            } else if (op.t === 'realloc') {
              const oldUsable = heap.usable(m.p);
              const q = heap.realloc(m.p, op.size);
              // In place, the old chunk's bytes existed before: log what we overwrite.
              if (q === m.p) heap.log(q, Math.min(oldUsable, op.size));
              m.p = q;
              fill(heap, q, op.size, m.seed);
              m.len = op.size;
            } else {
              heap.log(m.p, m.len);
              fill(heap, m.p, m.len, op.seed);
              m.seed = op.seed;
            }
          }
        }
        if (tx.commit) {
          heap.commit();
          model = work;
        } else heap.abort();
        const r = checkHeap(heap);
        if (!r.ok) throw new Error(r.errors.join('\n'));
        if (r.inUse !== model.length) throw new Error(`live chunks ${r.inUse}, model ${model.length}`);
        for (const m of model) if (!holds(heap, m.p, m.len, m.seed)) throw new Error(`content of ${m.p} lost`);
      }
    }),
    { numRuns: 150 },
  );
});

test('open() validates the header', () => {
  const { backing, heap } = fresh();
  heap.unlock();
  assert.ok(Heap.open(backing));
  new DataView(backing.sab).setUint32(backing.base + 8, 99, true);
  assert.throws(() => Heap.open(backing), /version 99/);
  new Uint8Array(backing.sab, backing.base, 8).fill(0x41);
  assert.throws(() => Heap.open(backing), /bad heap magic/);
});

test('Mem copies: overlapping and misaligned ranges of every length move like memmove; in and out of JS arrays', () => {
  const { heap } = fresh();
  const mem = heap.mem;
  const p = heap.atomically(() => heap.alloc(20000));
  const model = Buffer.alloc(20000);
  let seed = 7;
  const rnd = (n: number) => {
    seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
    return seed % n;
  };
  for (let i = 0; i < 20000; i++) model[i] = mem.u8[p + i] = rnd(256);
  for (const len of [0, 1, 15, 24, 25, 63, 64, 65, 200, 4096, 8191]) {
    for (let k = 0; k < 6; k++) {
      const src = rnd(20000 - len);
      const dst = k < 2 ? Math.min(20000 - len, src + 1 + rnd(7)) : k < 4 ? Math.max(0, src - 1 - rnd(7)) : rnd(20000 - len);
      mem.copy(p + dst, p + src, len);
      model.copyWithin(dst, src, src + len);
      assert.ok(Buffer.from(mem.u8.subarray(p, p + 20000)).equals(model), `copy ${len} bytes ${src} -> ${dst}`);
    }
    // out to a JS buffer (pooled, fresh, small on-heap) and back in at another offset
    for (const out of [Buffer.allocUnsafe(len + 3), new Uint8Array(len + 3)]) {
      const from = rnd(20000 - len);
      mem.read(p + from, len, out, 3);
      assert.ok(Buffer.from(out.subarray(3, 3 + len)).equals(model.subarray(from, from + len)), `read ${len}`);
      const to = rnd(20000 - len);
      heap.atomically(() => {
        heap.log(p + to, len);
        mem.write(p + to, out, 3, len);
      });
      model.set(out.subarray(3, 3 + len), to);
      assert.ok(Buffer.from(mem.u8.subarray(p, p + 20000)).equals(model), `write ${len}`);
    }
  }
  // a view of the mapping itself as the source of a write (overlapping)
  mem.write(p + 10, mem.u8.subarray(p + 5, p + 5 + 1000));
  model.copyWithin(10, 5, 1005);
  assert.ok(Buffer.from(mem.u8.subarray(p, p + 20000)).equals(model));
  assert.throws(() => mem.copy(mem.sab.byteLength - 10, p, 100), /outside/);
});

test('undo log: a line logged again after a savepoint is logged afresh (the last-line shortcut starts over)', () => {
  const { heap } = fresh();
  const p = heap.atomically(() => {
    const q = heap.alloc(64);
    heap.mem.fill(q, 64, 0);
    return q;
  });
  heap.begin();
  heap.log(p, 4);
  heap.dv.setUint32(p, 1, true);
  const sp = heap.savepoint();
  heap.log(p, 4); // the same line as the last one logged, but in a new line generation
  heap.dv.setUint32(p, 2, true);
  heap.log(p + 4, 4);
  heap.dv.setUint32(p + 4, 3, true);
  heap.rollbackTo(sp);
  assert.equal(heap.dv.getUint32(p, true), 1, 'the savepoint state of the line');
  assert.equal(heap.dv.getUint32(p + 4, true), 0);
  heap.log(p, 4); // and again after the rollback
  heap.dv.setUint32(p, 5, true);
  heap.abort();
  assert.equal(heap.dv.getUint32(p, true), 0);
  assertClean(heap);
});

test('many frees in one operation go back a run of neighbours at a time: arena, bins, counters and contents hold, committed or aborted', () => {
  const { heap } = fresh();
  let seed = 12345;
  const rnd = (n: number): number => {
    seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
    return (seed >>> 8) % n;
  };
  let model: { p: number; len: number; seed: number }[] = [];
  heap.atomically(() => {
    for (let i = 0; i < 3000; i++) {
      const len = 8 + rnd(300);
      const p = heap.alloc(len);
      fill(heap, p, len, i & 0xff);
      model.push({ p, len, seed: i & 0xff });
    }
  });
  for (let round = 0; round < 40; round++) {
    const work = model.map((m) => ({ ...m }));
    heap.begin();
    // a few runs of neighbours (in allocation order, mostly adjacent) and scattered ones
    const doomed = new Set<number>();
    for (let r = 0; r < 1 + rnd(4); r++) {
      const from = rnd(work.length);
      const n = 1 + rnd(200);
      for (let k = from; k < Math.min(work.length, from + n); k++) doomed.add(k);
    }
    for (let k = 0; k < 5 + rnd(40); k++) doomed.add(rnd(work.length));
    for (const k of doomed) heap.free(work[k]!.p);
    const kept = work.filter((_, k) => !doomed.has(k));
    for (let k = 0; k < rnd(100); k++) {
      const len = 8 + rnd(500);
      const p = heap.alloc(len);
      fill(heap, p, len, (round * 7 + k) & 0xff);
      kept.push({ p, len, seed: (round * 7 + k) & 0xff });
    }
    kept.sort((a, b) => a.p - b.p);
    if (rnd(4) !== 0) {
      heap.commit();
      model = kept;
    } else heap.abort();
    const r = checkHeap(heap);
    assert.deepEqual(r.errors, [], `round ${round}`);
    assert.equal(r.inUse, model.length);
    for (const m of model) assert.ok(holds(heap, m.p, m.len, m.seed), `round ${round}: content of ${m.p}`);
  }
});

test('a run of neighbours freed together becomes one free chunk; a chunk freed twice among many fails the commit and leaves all as it was', () => {
  const { heap } = fresh();
  const ptrs: number[] = [];
  heap.atomically(() => {
    for (let i = 0; i < 100; i++) {
      const p = heap.alloc(40);
      fill(heap, p, 40, i);
      ptrs.push(p);
    }
  });
  const free0 = heap.stats().freeChunks;
  heap.atomically(() => {
    // in no particular order
    for (let i = 79; i >= 20; i -= 2) heap.free(ptrs[i]!);
    for (let i = 20; i < 80; i += 2) heap.free(ptrs[i]!);
  });
  assertClean(heap);
  assert.equal(heap.stats().freeChunks, free0 + 1);
  const before = heap.stats();
  heap.begin();
  for (let i = 0; i < 20; i++) heap.free(ptrs[i]!);
  heap.free(ptrs[5]!);
  assert.throws(() => heap.commit(), /freed twice/);
  assertClean(heap);
  const after = heap.stats();
  for (const k of ['top', 'usedBytes', 'liveChunks', 'freeBytes', 'freeChunks'] as const) assert.equal(after[k], before[k], k);
  for (let i = 0; i < 20; i++) assert.ok(holds(heap, ptrs[i]!, 40, i));
  for (let i = 80; i < 100; i++) assert.ok(holds(heap, ptrs[i]!, 40, i));
});
