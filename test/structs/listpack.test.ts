/**
 * The listpack against an array model: random inserts, appends, deletes (runs of entries)
 * and replaces with entries of every header size, walked both ways after each step; every
 * operation either committed or aborted (then the listpack must be what it was before).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { Heap } from '../../src/heap/heap.js';
import { MemoryBacking } from '../../src/heap/memory-backing.js';
import { checkHeap } from '../../src/heap/check.js';
import {
  lpAppend, lpCheck, lpCount, lpDelete, lpFind, lpFirst, lpFromItems, lpGet, lpInsert, lpItems, lpLast, lpNew, lpPrepend, lpPrev, lpReplace, lpSeek,
} from '../../src/structs/listpack.js';

type Act =
  | { t: 'ins'; i: number; len: number }
  | { t: 'app'; len: number }
  | { t: 'pre'; len: number }
  | { t: 'del'; i: number; n: number }
  | { t: 'rep'; i: number; len: number };

const lenArb = fc.oneof(fc.integer({ min: 0, max: 10 }), fc.integer({ min: 120, max: 135 }), fc.integer({ min: 200, max: 600 }));
const actArb: fc.Arbitrary<Act> = fc.oneof(
  fc.record({ t: fc.constant('ins' as const), i: fc.nat(), len: lenArb }),
  fc.record({ t: fc.constant('app' as const), len: lenArb }),
  fc.record({ t: fc.constant('pre' as const), len: lenArb }),
  fc.record({ t: fc.constant('del' as const), i: fc.nat(), n: fc.integer({ min: 1, max: 4 }) }),
  fc.record({ t: fc.constant('rep' as const), i: fc.nat(), len: lenArb }),
);

let seq = 0;
function item(len: number): Buffer {
  const b = Buffer.alloc(len);
  const s = seq++;
  for (let i = 0; i < len; i++) b[i] = (s * 31 + i * 7) & 0xff;
  return b;
}

function verify(heap: Heap, p: number, model: Buffer[]): void {
  const errors: string[] = [];
  assert.equal(lpCheck(heap, p, errors), model.length, errors.join('; '));
  assert.equal(lpCount(heap, p), model.length);
  assert.deepEqual(lpItems(heap, p), model);
  const back: Buffer[] = [];
  for (let at = lpLast(heap, p); at !== 0; at = lpPrev(heap, p, at)) back.push(lpGet(heap, at));
  assert.deepEqual(back.reverse(), model);
  for (let i = 0; i < model.length; i += 3) {
    assert.deepEqual(lpGet(heap, lpSeek(heap, p, i)), model[i]);
    assert.deepEqual(lpGet(heap, lpSeek(heap, p, i - model.length)), model[i]);
  }
}

test('listpack: random edits against a model, several per operation, commit or abort', () => {
  fc.assert(
    fc.property(fc.array(fc.tuple(fc.array(actArb, { minLength: 1, maxLength: 3 }), fc.boolean()), { maxLength: 60 }), (acts) => {
      const heap = Heap.format(new MemoryBacking({ reserved: 64 << 20 }), { undoReserve: 8 << 20, initialArena: 64 << 10 });
      heap.lock();
      let p = heap.atomically(() => lpNew(heap));
      let model: Buffer[] = [];
      for (const [group, commit] of acts) {
        const before = model.slice();
        const beforeP = p;
        heap.begin();
        // several edits in one operation: a delete then an append writes over the deleted
        // bytes, which an abort must bring back
        for (const a of group) {
        const n = model.length;
        switch (a.t) {
          case 'ins': {
            const it = item(a.len);
            const i = n === 0 ? 0 : a.i % (n + 1);
            p = lpInsert(heap, p, i === n ? 0 : lpSeek(heap, p, i), it)[0];
            model.splice(i, 0, it);
            break;
          }
          case 'app': {
            const it = item(a.len);
            p = lpAppend(heap, p, it);
            model.push(it);
            break;
          }
          case 'pre': {
            const it = item(a.len);
            p = lpPrepend(heap, p, it);
            model.unshift(it);
            break;
          }
          case 'del': {
            if (n === 0) break;
            const i = a.i % n;
            lpDelete(heap, p, lpSeek(heap, p, i), a.n);
            model.splice(i, a.n);
            break;
          }
          case 'rep': {
            if (n === 0) break;
            const i = a.i % n;
            const it = item(a.len);
            p = lpReplace(heap, p, lpSeek(heap, p, i), it)[0];
            model[i] = it;
            break;
          }
        }
        }
        if (commit) heap.commit();
        else {
          heap.abort();
          p = beforeP;
          model = before;
        }
        verify(heap, p, model);
      }
      assert.deepEqual(checkHeap(heap).errors, []);
    }),
    { numRuns: 150 },
  );
});

test('listpack: find, and building from items', () => {
  const heap = Heap.format(new MemoryBacking({ reserved: 16 << 20 }), { undoReserve: 1 << 20, initialArena: 64 << 10 });
      heap.lock();
  heap.atomically(() => {
    const items = ['a', 'bb', 'a', 'x'.repeat(300), 'c'].map((s) => Buffer.from(s));
    const p = lpFromItems(heap, items);
    verify(heap, p, items);
    assert.equal(lpFind(heap, p, Buffer.from('a')), lpFirst(heap, p));
    assert.equal(lpFind(heap, p, Buffer.from('a'), 0, 1, -1, 1), lpFirst(heap, p));
    assert.equal(lpFind(heap, p, Buffer.from('zz')), 0);
    assert.deepEqual(lpGet(heap, lpFind(heap, p, Buffer.from('x'.repeat(300)))), items[3]);
  });
});
