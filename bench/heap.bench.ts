/**
 * Heap micro-benchmarks: allocations/s, frees/s, undo-logged writes/s vs unlogged,
 * operations (begin+commit)/s, on a real POSIX segment. Prints; asserts nothing.
 *   node dist/bench/heap.bench.js [--n 200000]
 */
import { Heap } from '../src/heap/heap.js';
import { createPosixSegment, unlinkPosix } from '../src/shm/posix.js';

const nAt = process.argv.indexOf('--n');
const N = nAt > 0 ? Number(process.argv[nAt + 1]) : 200000;
const name = `bench-heap-${process.pid}`;
const seg = createPosixSegment(name, { reserve: 16 * 2 ** 30, exclusive: true });

function time(label: string, n: number, fn: () => void): void {
  const t0 = process.hrtime.bigint();
  fn();
  const ns = Number(process.hrtime.bigint() - t0);
  console.log(`${label.padEnd(44)} ${(n / (ns / 1e9)).toFixed(0).padStart(12)} /s  ${(ns / n).toFixed(1).padStart(8)} ns each`);
}

const heap = Heap.format(seg);
heap.lock();
try {
  const ptrs = new Array<number>(N);
  const sizes = [16, 24, 40, 64, 100, 200, 500];
  // Warm up the arena so growth is not what we measure.
  heap.atomically(() => {
    for (let i = 0; i < N; i++) ptrs[i] = heap.alloc(sizes[i % sizes.length]!);
  });
  heap.atomically(() => {
    for (let i = 0; i < N; i++) heap.free(ptrs[i]!);
  });
  const batch = 100;
  time(`alloc (mixed 16-500 B, ${batch} per operation)`, N, () => {
    for (let i = 0; i < N; i += batch) {
      heap.begin();
      for (let j = i; j < i + batch && j < N; j++) ptrs[j] = heap.alloc(sizes[j % sizes.length]!);
      heap.commit();
    }
  });
  time(`free (${batch} per operation)`, N, () => {
    for (let i = 0; i < N; i += batch) {
      heap.begin();
      for (let j = i; j < i + batch && j < N; j++) heap.free(ptrs[j]!);
      heap.commit();
    }
  });
  time('alloc + free, one operation each', N, () => {
    for (let i = 0; i < N; i++) {
      heap.begin();
      ptrs[i] = heap.alloc(sizes[i % sizes.length]!);
      heap.commit();
    }
    for (let i = 0; i < N; i++) {
      heap.begin();
      heap.free(ptrs[i]!);
      heap.commit();
    }
  });
  heap.atomically(() => {
    for (let i = 0; i < N; i++) ptrs[i] = heap.alloc(64);
  });
  const dv = heap.dv;
  time('unlogged 8-byte writes (plain DataView)', N, () => {
    for (let i = 0; i < N; i++) dv.setFloat64(ptrs[i]!, i, true);
  });
  time('undo-logged 8-byte writes (1000 per operation)', N, () => {
    for (let i = 0; i < N; i += 1000) {
      heap.begin();
      for (let j = i; j < i + 1000 && j < N; j++) {
        heap.log(ptrs[j]!, 8);
        dv.setFloat64(ptrs[j]!, j, true);
      }
      heap.commit();
    }
  });
  time('operation with one logged write (begin+log+commit)', N, () => {
    for (let i = 0; i < N; i++) {
      heap.begin();
      heap.log(ptrs[i]!, 8);
      dv.setFloat64(ptrs[i]!, i, true);
      heap.commit();
    }
  });
  // What a command's write costs in undo log alone: an operation that logs k lines of hot
  // metadata (the same lines every time, as the heap header, a table's count, a list's head)
  for (const k of [1, 3, 6]) {
    const reps = N * 5;
    time(`operation logging ${k} hot line${k > 1 ? 's' : ''} (begin+log+commit)`, reps, () => {
      for (let i = 0; i < reps; i++) {
        heap.begin();
        for (let j = 0; j < k; j++) heap.log(ptrs[j * 64]!, 4);
        heap.commit();
      }
    });
  }
  time('lock + empty operation + unlock', N, () => {
    heap.unlock();
    for (let i = 0; i < N; i++) {
      heap.lock();
      heap.begin();
      heap.commit();
      heap.unlock();
    }
    heap.lock();
  });
} catch (e) {
  console.error(e);
  process.exitCode = 1;
} finally {
  if (heap.isLocked) heap.unlock();
  seg.detach();
  unlinkPosix(name);
}
