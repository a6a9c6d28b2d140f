/**
 * Library processes for tests (test/fixtures/kv-worker.ts), started with an IPC channel,
 * tracked by pid so a test can kill what it started and nothing else.
 *
 *   const w = startWorker(['incr', segment, 'k', '5000']);
 *   await w.ready;                 // the loops send 'ready' after their first transaction
 *   w.kill('SIGKILL');             // by its pid
 *   const { code, signal, out } = await w.exited;
 *   await stopAll();               // in a finally: kills whatever is still running
 */
import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export const KV_WORKER = fileURLToPath(new URL('../fixtures/kv-worker.js', import.meta.url));

export interface Worker {
  child: ChildProcess;
  pid: number;
  /** resolves on the worker's 'ready' message; rejects if it exits first */
  ready: Promise<void>;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null; out: string; err: string }>;
  kill(signal?: NodeJS.Signals): void;
}

const running = new Set<Worker>();

export function startWorker(args: string[], env?: NodeJS.ProcessEnv): Worker {
  const child = fork(KV_WORKER, args, { stdio: ['ignore', 'pipe', 'pipe', 'ipc'], env: env ?? process.env });
  let out = '';
  let err = '';
  child.stdout!.on('data', (d) => (out += d));
  child.stderr!.on('data', (d) => (err += d));
  let alive = true;
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null; out: string; err: string }>((resolve) =>
    child.once('exit', (code, signal) => {
      alive = false;
      running.delete(w);
      // stdout may still be draining: wait for its end
      const done = () => resolve({ code, signal, out, err });
      if (child.stdout!.readableEnded) done();
      else child.stdout!.once('close', done);
    }),
  );
  const ready = new Promise<void>((resolve, reject) => {
    child.once('message', () => resolve());
    void exited.then((e) => reject(new Error(`worker ${args.join(' ')} exited before it was ready: ${e.code ?? e.signal}\n${e.err}`)));
  });
  ready.catch(() => {});
  const w: Worker = {
    child,
    pid: child.pid!,
    ready,
    exited,
    kill(signal: NodeJS.Signals = 'SIGTERM') {
      if (alive) process.kill(child.pid!, signal);
    },
  };
  running.add(w);
  return w;
}

/** Kill (SIGKILL, by pid) every worker still running and wait for them. */
export async function stopAll(): Promise<void> {
  const ws = [...running];
  for (const w of ws) w.kill('SIGKILL');
  await Promise.all(ws.map((w) => w.exited));
}

/** Run a worker to its end; its stdout, or an error with its stderr. */
export async function runWorker(args: string[]): Promise<string> {
  const e = await startWorker(args).exited;
  if (e.code !== 0) throw new Error(`worker ${args.join(' ')} failed (${e.code ?? e.signal}):\n${e.err}`);
  return e.out;
}
