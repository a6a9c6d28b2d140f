/**
 * Lock+unlock pairs per second on a segment's robust write lock:
 * uncontended (raw addon calls and through Segment.lock/unlock), then with two
 * processes contending. Plain output, no assertions.
 *
 *   node dist/bench/lock.bench.js [seconds per run, default 1]
 */
import { spawn } from 'node:child_process';
import { dirname, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { createPosixSegment, removeSegment } from '../src/shm/index.js';
import { OFF_MUTEX } from '../src/shm/header.js';
import { native } from '../src/shm/native.js';

const SECONDS = Number(process.argv[2] ?? 1);
const INDEX = resolve(dirname(fileURLToPath(import.meta.url)), '../src/shm/index.js');
const name = `bench-lock-${process.pid}`;

function timeLoop(fn: () => void, seconds: number): { pairs: number; ns: number } {
  // Batches of 10k between clock reads keep the clock out of the measurement.
  const end = process.hrtime.bigint() + BigInt(Math.round(seconds * 1e9));
  const t0 = process.hrtime.bigint();
  let pairs = 0;
  let now = t0;
  while (now < end) {
    for (let i = 0; i < 10_000; i++) fn();
    pairs += 10_000;
    now = process.hrtime.bigint();
  }
  return { pairs, ns: Number(now - t0) };
}

function report(label: string, r: { pairs: number; ns: number }): void {
  const perSec = (r.pairs / r.ns) * 1e9;
  console.log(`${label.padEnd(48)} ${(perSec / 1e6).toFixed(2).padStart(7)} M pairs/s  ${(r.ns / r.pairs).toFixed(1).padStart(7)} ns/pair`);
}

const s = createPosixSegment(name, { exclusive: true });
try {
  const sab = s.sab;
  // Warm up (JIT).
  timeLoop(() => {
    s.lock();
    s.unlock();
  }, 0.2);

  report('uncontended, raw addon mutexLock+mutexUnlock', timeLoop(() => {
    native.mutexLock(sab, OFF_MUTEX);
    native.mutexUnlock(sab, OFF_MUTEX);
  }, SECONDS));
  report('uncontended, Segment.lock()+unlock()', timeLoop(() => {
    s.lock();
    s.unlock();
  }, SECONDS));

  // Two processes: the child runs the same loop for the same time.
  const child = spawn(
    process.execPath,
    [
      '--input-type=module',
      '-e',
      `
import * as shm from ${JSON.stringify(pathToFileURL(INDEX).href)};
const s = shm.openPosixSegment(${JSON.stringify(name)});
for (let i = 0; i < 200000; i++) { s.lock(); s.unlock(); }
process.stdout.write('ready\\n');
await new Promise((r) => process.stdin.once('data', r));
const end = process.hrtime.bigint() + ${BigInt(Math.round(SECONDS * 1e9))}n;
const t0 = process.hrtime.bigint(); let pairs = 0; let now = t0;
while (now < end) { for (let i = 0; i < 1000; i++) { s.lock(); s.unlock(); } pairs += 1000; now = process.hrtime.bigint(); }
process.stdout.write(pairs + ' ' + Number(now - t0) + '\\n');
s.detach();
`,
    ],
    { stdio: ['pipe', 'pipe', 'inherit'] },
  );
  let outText = '';
  const lines: string[] = [];
  let wake: (() => void) | null = null;
  child.stdout.on('data', (d: Buffer) => {
    outText += d.toString();
    let i;
    while ((i = outText.indexOf('\n')) >= 0) {
      lines.push(outText.slice(0, i));
      outText = outText.slice(i + 1);
      wake?.();
    }
  });
  const nextLine = async (): Promise<string> => {
    while (lines.length === 0) await new Promise<void>((r) => (wake = r));
    return lines.shift()!;
  };
  await nextLine(); // ready
  child.stdin.write('go\n');
  const mine = timeLoop(() => {
    s.lock();
    s.unlock();
  }, SECONDS);
  const [cp, cns] = (await nextLine()).split(' ').map(Number) as [number, number];
  child.stdin.end();
  report('2 processes contending: this process', mine);
  report('2 processes contending: child process', { pairs: cp, ns: cns });
  const total = (mine.pairs / mine.ns + cp / cns) * 1e9;
  console.log(`${'2 processes contending: total'.padEnd(48)} ${(total / 1e6).toFixed(2).padStart(7)} M pairs/s  ${(1e9 / total).toFixed(1).padStart(7)} ns/pair`);
} finally {
  s.detach();
  removeSegment(name, { force: true });
}
