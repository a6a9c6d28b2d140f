/**
 * Savepoints inside one heap operation (what EXEC runs each queued command after): random
 * operations — allocations, in-place rewrites (large ranges and small ones logged as whole
 * lines), reallocations, frees — with nested savepoints, partial rollbacks and released
 * savepoints, against a model. After every rollbackTo the heap must be byte for byte what
 * it was at the savepoint (every chunk header, footer, bin link and live payload, the
 * allocator's header fields and bins; only the interiors of free chunks and the space above
 * top, which hold nothing, are not compared), the checker clean, the model's content there;
 * and the operation as a whole must still commit, abort, or be rolled back after its
 * writer "died" (a second heap on the same memory recovering it) as one.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { Heap, type Savepoint } from '../../src/heap/heap.js';
import { MemoryBacking } from '../../src/heap/memory-backing.js';
import { checkHeap } from '../../src/heap/check.js';
import { GRANULE, H, INUSE, ROOT_COUNT } from '../../src/heap/layout.js';

const SLOTS = 24;
const ROOT = 3;

/** Model: each slot's payload bytes (u32 length, then the bytes), or null. Buffers are never mutated. */
type Model = (Buffer | null)[];

type Action =
  | { t: 'set'; slot: number; len: number; seed: number }
  | { t: 'rewrite'; slot: number; at: number; n: number; seed: number; unlogged: boolean }
  | { t: 'poke'; slot: number; at: number; n: number; seed: number }
  | { t: 'realloc'; slot: number; grow: number; seed: number }
  | { t: 'free'; slot: number }
  | { t: 'savepoint' }
  | { t: 'rollback'; which: number }
  | { t: 'release' };

interface Op {
  actions: Action[];
  end: 'commit' | 'abort' | 'crash';
}

const slot = fc.integer({ min: 0, max: SLOTS - 1 });
const seed = fc.integer({ min: 0, max: 255 });
const len = fc.oneof({ weight: 12, arbitrary: fc.integer({ min: 0, max: 600 }) }, { weight: 2, arbitrary: fc.integer({ min: 600, max: 5000 }) }, { weight: 1, arbitrary: fc.integer({ min: 40000, max: 120000 }) });
const frac = fc.double({ min: 0, max: 1, noNaN: true, maxExcluded: true });

const actionArb: fc.Arbitrary<Action> = fc.oneof(
  { weight: 5, arbitrary: fc.record({ t: fc.constant('set' as const), slot, len, seed }) },
  { weight: 3, arbitrary: fc.record({ t: fc.constant('rewrite' as const), slot, at: frac, n: fc.integer({ min: 17, max: 3000 }), seed, unlogged: fc.boolean() }).map((a) => ({ ...a, at: Math.floor(a.at * 1e6) })) },
  { weight: 4, arbitrary: fc.record({ t: fc.constant('poke' as const), slot, at: frac, n: fc.integer({ min: 1, max: 16 }), seed }).map((a) => ({ ...a, at: Math.floor(a.at * 1e6) })) },
  { weight: 2, arbitrary: fc.record({ t: fc.constant('realloc' as const), slot, grow: fc.oneof(fc.integer({ min: 1, max: 100 }), fc.integer({ min: 100, max: 4000 })), seed }) },
  { weight: 3, arbitrary: fc.record({ t: fc.constant('free' as const), slot }) },
  { weight: 3, arbitrary: fc.constant({ t: 'savepoint' as const }) },
  { weight: 2, arbitrary: fc.record({ t: fc.constant('rollback' as const), which: fc.nat() }) },
  { weight: 1, arbitrary: fc.constant({ t: 'release' as const }) },
);

const opArb: fc.Arbitrary<Op> = fc.record({
  actions: fc.array(actionArb, { minLength: 1, maxLength: 40 }),
  end: fc.constantFrom('commit' as const, 'commit' as const, 'abort' as const, 'crash' as const),
});

function bytes(n: number, s: number): Buffer {
  const b = Buffer.allocUnsafe(n);
  for (let i = 0; i < n; i++) b[i] = (s + i * 13) & 0xff;
  return b;
}

/**
 * The heap's meaningful bytes: the header fields kept under the undo log (allocator
 * counters, bins, roots), and the arena up to top, free chunks' interiors left out (a
 * free chunk's header, links and footer are compared; what its payload held is nothing).
 */
interface Snapshot {
  ranges: [number, number][];
  data: Buffer;
}

function snapshot(heap: Heap): Snapshot {
  const dv = heap.dv;
  const b = heap.base;
  const ranges: [number, number][] = [
    [b + H.top, b + H.undoUsed],
    [b + H.binmap, b + H.roots + ROOT_COUNT * 8],
  ];
  const top = heap.headerField(H.top);
  let c = heap.arenaStart;
  let from = c;
  while (c < top) {
    const size = dv.getUint32(c, true) * GRANULE;
    assert.ok(size >= 32, `chunk ${c} has a size`);
    if ((dv.getUint32(c + 4, true) & INUSE) === 0) {
      ranges.push([from, c + 16]);
      from = c + size - 8;
    }
    c += size;
  }
  ranges.push([from, top]);
  const parts = ranges.map(([x, y]) => Buffer.from(heap.mem.u8.subarray(x, y)));
  return { ranges, data: Buffer.concat(parts) };
}

function sameAsSnapshot(heap: Heap, snap: Snapshot, what: string): void {
  assert.equal(heap.headerField(H.top), snap.ranges[snap.ranges.length - 1]![1], `${what}: top`);
  const now = Buffer.concat(snap.ranges.map(([x, y]) => Buffer.from(heap.mem.u8.subarray(x, y))));
  if (!now.equals(snap.data)) {
    // find the first differing byte for the message
    let off = 0;
    for (const [x, y] of snap.ranges) {
      for (let p = x; p < y; p++, off++) {
        if (now[off] !== snap.data[off]) assert.fail(`${what}: byte at ${p} is ${now[off]}, was ${snap.data[off]} at the savepoint`);
      }
    }
  }
}

function contentIs(heap: Heap, model: Model, what: string): void {
  const dv = heap.dv;
  const table = heap.getRoot(ROOT);
  for (let s = 0; s < SLOTS; s++) {
    const ref = dv.getUint32(table + s * 4, true);
    const want = model[s] ?? null;
    if (want === null) {
      assert.equal(ref, 0, `${what}: slot ${s} should be empty`);
      continue;
    }
    assert.notEqual(ref, 0, `${what}: slot ${s} should hold ${want.length} bytes`);
    const p = Heap.deref(ref);
    assert.ok(heap.usable(p) >= want.length, `${what}: slot ${s} chunk too small`);
    const got = Buffer.from(heap.mem.u8.subarray(p, p + want.length));
    assert.ok(got.equals(want), `${what}: slot ${s} content differs`);
  }
}

function clean(heap: Heap, what: string): void {
  assert.deepEqual(checkHeap(heap).errors, [], `${what}: heap check`);
}

/** Run one operation's actions against heap and model. Returns the model at its end. */
function runActions(heap: Heap, model: Model, actions: Action[], stats: { rollbacks: number; lineCases: number }): Model {
  const dv = heap.dv;
  const u8 = heap.mem.u8;
  const table = heap.getRoot(ROOT);
  let m = model.slice();
  // payload offsets of chunks allocated since the innermost savepoint (or the operation's start):
  // those may be written without logging, since undoing back to that point undoes their allocation
  let fresh = new Set<number>();
  const stack: { sp: Savepoint; model: Model; snap: Snapshot; fresh: Set<number> }[] = [];
  // lines (64-byte) logged before the innermost savepoint, to count the case the test is about
  let linesBefore = new Set<number>();
  let linesSince = new Set<number>();
  const logSmall = (off: number, n: number) => {
    const line = Math.floor(off / 64);
    if (linesBefore.has(line)) stats.lineCases++;
    linesSince.add(line);
    heap.log(off, n);
  };
  const ptr = (s: number) => Heap.deref(dv.getUint32(table + s * 4, true));
  const setRef = (s: number, p: number) => {
    logSmall(table + s * 4, 4);
    dv.setUint32(table + s * 4, p === 0 ? 0 : Heap.ref(p), true);
  };
  const newChunk = (content: Buffer): number => {
    const p = heap.alloc(content.length);
    u8.set(content, p);
    fresh.add(p);
    return p;
  };
  for (const a of actions) {
    switch (a.t) {
      case 'set': {
        const content = Buffer.concat([Buffer.alloc(4), bytes(a.len, a.seed)]);
        content.writeUInt32LE(a.len, 0);
        const old = ptr(a.slot);
        const p = newChunk(content);
        setRef(a.slot, p);
        if (old !== 0) heap.free(old);
        m[a.slot] = content;
        break;
      }
      case 'rewrite':
      case 'poke': {
        const cur = m[a.slot];
        if (!cur || cur.length <= 4) break;
        const at = 4 + (a.at % (cur.length - 4));
        const n = Math.min(a.n, cur.length - at);
        const p = ptr(a.slot);
        // new bytes: the complement of what is there, so the write always changes them
        const nb = Buffer.from(cur.subarray(at, at + n).map((x, i) => (~x + a.seed + i) & 0xff));
        const isFresh = fresh.has(p);
        if (a.t === 'poke') logSmall(p + at, n);
        else if (!(a.unlogged && isFresh)) heap.log(p + at, n);
        u8.set(nb, p + at);
        const next = Buffer.from(cur);
        nb.copy(next, at);
        m[a.slot] = next;
        break;
      }
      case 'realloc': {
        const cur = m[a.slot];
        if (!cur) break;
        const p = ptr(a.slot);
        const wasFresh = fresh.has(p);
        const oldUsable = heap.usable(p);
        const q = heap.realloc(p, cur.length + a.grow);
        const extra = bytes(a.grow, a.seed);
        const next = Buffer.concat([cur, extra]);
        next.writeUInt32LE(next.length - 4, 0);
        if (q !== p) {
          fresh.add(q);
          setRef(a.slot, q);
        } else if (!wasFresh) {
          logSmall(q, 4);
          // the chunk's own slack existed before (a chunk's bytes are compared whole); what
          // it grew into was free space or top, which held nothing
          const slack = Math.min(oldUsable, next.length) - cur.length;
          if (slack > 0) heap.log(q + cur.length, slack);
        }
        u8.set(extra, q + cur.length);
        dv.setUint32(q, next.length - 4, true);
        m[a.slot] = next;
        break;
      }
      case 'free': {
        const p = ptr(a.slot);
        if (p === 0) break;
        setRef(a.slot, 0);
        heap.free(p);
        m[a.slot] = null;
        break;
      }
      case 'savepoint': {
        const sp = heap.savepoint();
        stack.push({ sp, model: m.slice(), snap: snapshot(heap), fresh });
        fresh = new Set();
        for (const l of linesSince) linesBefore.add(l);
        linesSince = new Set();
        break;
      }
      case 'rollback': {
        if (stack.length === 0) break;
        const i = a.which % stack.length;
        const s = stack[i]!;
        heap.rollbackTo(s.sp);
        stats.rollbacks++;
        const what = `rollbackTo savepoint ${i} of ${stack.length}`;
        sameAsSnapshot(heap, s.snap, what);
        clean(heap, what);
        contentIs(heap, s.model, what);
        // the savepoint stays usable (as SQL's ROLLBACK TO); the ones inside it are gone
        stack.length = i + 1;
        m = s.model.slice();
        fresh = new Set();
        linesSince = new Set();
        break;
      }
      case 'release': {
        // forget the innermost savepoint: its changes now belong to the enclosing part
        const s = stack.pop();
        if (s === undefined) break;
        // fresh now means allocated since the enclosing savepoint: before the released one too
        for (const p of s.fresh) fresh.add(p);
        break;
      }
    }
  }
  return m;
}

test('heap savepoints: nested savepoints and partial rollbacks restore the heap byte for byte; the operation stays one', () => {
  const stats = { rollbacks: 0, lineCases: 0, ops: 0, crashes: 0 };
  fc.assert(
    fc.property(fc.array(opArb, { minLength: 1, maxLength: 6 }), (ops) => {
      let backing = new MemoryBacking({ reserved: 32 << 20 });
      let heap = Heap.format(backing, { undoReserve: 8 << 20, initialArena: 64 << 10 });
      heap.lock();
      heap.atomically(() => {
        const t = heap.alloc(SLOTS * 4);
        heap.mem.fill(t, SLOTS * 4, 0);
        heap.setRoot(ROOT, t);
      });
      let model: Model = new Array(SLOTS).fill(null);
      for (const op of ops) {
        stats.ops++;
        const before = snapshot(heap);
        heap.begin();
        const after = runActions(heap, model, op.actions, stats);
        clean(heap, 'before the end of the operation');
        contentIs(heap, after, 'before the end of the operation');
        if (op.end === 'commit') {
          heap.commit();
          model = after;
        } else if (op.end === 'abort') {
          heap.abort();
          sameAsSnapshot(heap, before, 'after abort');
        } else {
          // the writer dies here: its lock is released (a robust mutex would say "owner died"),
          // and another heap on the same memory rolls back what the undo log holds
          stats.crashes++;
          const logged = heap.pendingUndo() > 0;
          backing.unlock();
          const other = Heap.open(backing);
          other.lock();
          assert.equal(other.recovered, logged ? 1 : 0, 'the dead operation was recovered');
          heap = other;
          sameAsSnapshot(heap, before, 'after recovery');
        }
        clean(heap, `after ${op.end}`);
        contentIs(heap, model, `after ${op.end}`);
      }
      heap.unlock();
      backing = null as unknown as MemoryBacking;
    }),
    { numRuns: Number(process.env.SHMKV_PROP_RUNS ?? 300), includeErrorInReport: true },
  );
  console.log(`# ${stats.ops} operations, ${stats.rollbacks} partial rollbacks, ${stats.crashes} crashes, ${stats.lineCases} lines logged before a savepoint and changed again after it`);
  assert.ok(stats.rollbacks > 50, 'partial rollbacks were exercised');
  assert.ok(stats.lineCases > 50, 'lines logged before a savepoint were changed after it');
});

test('a line logged before a savepoint and changed again after it is restored to its value at the savepoint', () => {
  const backing = new MemoryBacking({ reserved: 8 << 20 });
  const heap = Heap.format(backing, { undoReserve: 1 << 20, initialArena: 64 << 10 });
  heap.lock();
  let p = 0;
  heap.atomically(() => {
    p = heap.alloc(64);
    heap.mem.fill(p, 64, 0);
  });
  const dv = heap.dv;
  heap.begin();
  heap.log(p, 4);
  dv.setUint32(p, 1, true); // logged: the line holds 0 in the record
  dv.setUint32(p + 8, 10, true); // same line, before the savepoint: not logged again
  const s1 = heap.savepoint();
  heap.log(p, 4);
  dv.setUint32(p, 2, true);
  heap.log(p + 8, 4);
  dv.setUint32(p + 8, 20, true);
  const s2 = heap.savepoint();
  heap.log(p + 8, 4);
  dv.setUint32(p + 8, 30, true);
  heap.rollbackTo(s2);
  assert.deepEqual([dv.getUint32(p, true), dv.getUint32(p + 8, true)], [2, 20], 'back to the inner savepoint');
  heap.log(p, 4);
  dv.setUint32(p, 3, true);
  heap.rollbackTo(s1);
  assert.deepEqual([dv.getUint32(p, true), dv.getUint32(p + 8, true)], [1, 10], 'back to the outer savepoint');
  heap.log(p, 4);
  dv.setUint32(p, 4, true);
  heap.commit();
  assert.deepEqual([dv.getUint32(p, true), dv.getUint32(p + 8, true)], [4, 10], 'committed as one');
  heap.begin();
  heap.log(p, 4);
  dv.setUint32(p, 5, true);
  const s3 = heap.savepoint();
  heap.log(p, 4);
  dv.setUint32(p, 6, true);
  heap.rollbackTo(s3);
  heap.abort();
  assert.deepEqual([dv.getUint32(p, true), dv.getUint32(p + 8, true)], [4, 10], 'aborted as one');
  assert.deepEqual(checkHeap(heap).errors, []);
  heap.unlock();
});
