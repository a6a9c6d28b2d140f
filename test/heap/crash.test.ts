import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { Heap } from '../../src/heap/heap.js';
import { checkHeap } from '../../src/heap/check.js';
import { createPosixSegment, unlinkPosix } from '../../src/shm/posix.js';
import { ROOT_COUNTER, SLOT_COUNT, compare, step, type Model } from './ops.js';

const writer = fileURLToPath(new URL('../fixtures/heap-writer.js', import.meta.url));
const ITERATIONS = Number(process.env.SHMKV_CRASH_ITERATIONS ?? 120);
let n = 0;
const segName = () => `t-crash-${process.pid}-${n++}`;

function run(args: string[]) {
  const child = fork(writer, args, { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const ready = new Promise<void>((resolve, reject) => {
    child.once('message', () => resolve());
    child.once('exit', (code, sig) => reject(new Error(`writer exited early: ${code ?? sig}`)));
  });
  const exited = new Promise<{ code: number | null; sig: string | null }>((resolve) => child.once('exit', (code, sig) => resolve({ code, sig })));
  return { child, ready, exited };
}
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

test(`SIGKILL at random points of a write-heavy loop (${ITERATIONS} kills): rolled back, checker clean, content equals the model`, async () => {
  const name = segName();
  const seg = createPosixSegment(name, { reserve: 4 * 2 ** 30, exclusive: true });
  try {
    const heap = Heap.format(seg, { undoReserve: 64 << 20 });
    const model: Model = [];
    let replayed = 0;
    const seed = 12345;
    let recoveries = 0;
    for (let it = 0; it < ITERATIONS; it++) {
      const { child, ready, exited } = run([name, '0', String(seed), '0', String(SLOT_COUNT), 'forever']);
      await ready;
      await sleep(2 + Math.random() * 30);
      child.kill('SIGKILL');
      await exited;
      heap.lock();
      try {
        if (heap.recovered > recoveries) recoveries = heap.recovered;
        const report = checkHeap(heap);
        assert.deepEqual(report.errors, [], `heap check after kill ${it}`);
        const done = heap.getRoot(ROOT_COUNTER);
        assert.ok(done >= replayed, 'committed operations never go backwards');
        for (; replayed < done; replayed++) step(model, seed, replayed, 0, SLOT_COUNT);
        assert.deepEqual(compare(heap, model, 0, SLOT_COUNT), [], `content after kill ${it} (${done} ops committed)`);
      } finally {
        heap.unlock();
      }
    }
    console.log(`# ${ITERATIONS} kills, ${replayed} operations committed, ${recoveries} interrupted operations rolled back`);
    assert.ok(recoveries > 0, 'some kills landed inside an operation');
    assert.ok(replayed > ITERATIONS, 'the writers made progress');
  } finally {
    seg.detach();
    unlinkPosix(name);
  }
});

test('several processes allocate, write and free under the lock at once', async () => {
  const name = segName();
  const seg = createPosixSegment(name, { reserve: 4 * 2 ** 30, exclusive: true });
  try {
    const heap = Heap.format(seg);
    const writers = 3;
    const per = Math.floor(SLOT_COUNT / writers);
    const ops = 400;
    const runs = Array.from({ length: writers }, (_, w) => run([name, String(w), String(1000 + w), String(w * per), String((w + 1) * per), String(ops)]));
    const results = await Promise.all(runs.map((r) => r.exited));
    for (const r of results) assert.equal(r.code, 0);
    heap.lock();
    try {
      assert.deepEqual(checkHeap(heap).errors, []);
      for (let w = 0; w < writers; w++) {
        assert.equal(heap.getRoot(ROOT_COUNTER + w), ops);
        const model: Model = [];
        for (let i = 0; i < ops; i++) step(model, 1000 + w, i, w * per, (w + 1) * per);
        assert.deepEqual(compare(heap, model, w * per, (w + 1) * per), []);
      }
    } finally {
      heap.unlock();
    }
  } finally {
    seg.detach();
    unlinkPosix(name);
  }
});
