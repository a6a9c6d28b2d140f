/**
 * Futex wait/wake over an Int32 in a shared mapping, across processes.
 *
 * Atomics.wait/notify do not work across processes (V8 keeps its waiter lists per
 * process); the kernel's shared FUTEX_WAIT/FUTEX_WAKE do, keyed by the physical page.
 * futexWait() blocks the calling thread, event loop included: call it from a worker,
 * or use futexWaitAsync(), which parks the wait on a worker thread of its own.
 *
 * As with any futex, wake-ups can be spurious and a wake before the wait is lost
 * unless the word changed: always loop on the condition, with the word as a sequence
 * number the waker bumps before waking.
 */
import { Worker } from 'node:worker_threads';
import { ShmError } from './errors.js';
import { ADDON_PATH, native } from './native.js';

export type FutexResult = 'ok' | 'not-equal' | 'timed-out';

function where(i32: Int32Array, index: number): { sab: SharedArrayBuffer; off: number } {
  if (!(i32.buffer instanceof SharedArrayBuffer)) {
    throw new ShmError('EINVAL', 'futex: the Int32Array must be over a SharedArrayBuffer (a segment mapping)');
  }
  if (!Number.isInteger(index) || index < 0 || index >= i32.length) {
    throw new ShmError('EINVAL', `futex: index ${index} is outside the Int32Array (length ${i32.length})`);
  }
  return { sab: i32.buffer, off: i32.byteOffset + index * 4 };
}

/**
 * Sleep while i32[index] === expected, at most timeoutMs (-1: no limit).
 * 'ok' (woken, maybe spuriously), 'not-equal' (the word had changed), 'timed-out'.
 */
export function futexWait(i32: Int32Array, index: number, expected: number, timeoutMs = -1): FutexResult {
  const w = where(i32, index);
  return native.futexWait(w.sab, w.off, expected | 0, timeoutMs < 0 ? -1 : Math.floor(timeoutMs));
}

/** Wake up to `count` waiters on i32[index] in any process; returns how many woke. */
export function futexWake(i32: Int32Array, index: number, count = 1): number {
  const w = where(i32, index);
  return native.futexWake(w.sab, w.off, Math.max(0, Math.min(count, 0x7fffffff)));
}

// --- asynchronous waits on worker threads ------------------------------------------

const WORKER_CODE = `
const { parentPort } = require('node:worker_threads');
const native = require(${JSON.stringify(ADDON_PATH)});
parentPort.on('message', (m) => {
  let r;
  try { r = native.futexWait(m.sab, m.off, m.expected, m.timeoutMs); }
  catch (e) { r = 'error:' + (e && e.message); }
  parentPort.postMessage(r);
});
`;

/** Idle workers kept for reuse (each pending wait occupies one). */
const idle: Worker[] = [];
const MAX_IDLE = 4;

/**
 * futexWait on a worker thread: the event loop keeps running. Resolves like
 * futexWait; a pending wait keeps the process alive.
 */
export function futexWaitAsync(i32: Int32Array, index: number, expected: number, timeoutMs = -1): Promise<FutexResult> {
  const w = where(i32, index);
  const worker = idle.pop() ?? new Worker(WORKER_CODE, { eval: true });
  worker.ref();
  return new Promise<FutexResult>((resolvePromise, reject) => {
    const onError = (e: Error) => {
      worker.off('message', onMessage);
      reject(e);
    };
    const onMessage = (r: string) => {
      worker.off('error', onError);
      worker.unref();
      if (idle.length < MAX_IDLE) idle.push(worker);
      else void worker.terminate();
      if (r.startsWith('error:')) reject(new ShmError('EINVAL', `futexWaitAsync: ${r.slice(6)}`));
      else resolvePromise(r as FutexResult);
    };
    worker.once('message', onMessage);
    worker.once('error', onError);
    worker.postMessage({ sab: w.sab, off: w.off, expected: expected | 0, timeoutMs: timeoutMs < 0 ? -1 : Math.floor(timeoutMs) });
  });
}
