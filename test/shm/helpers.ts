/**
 * Test helpers: unique segment names that are always cleaned up, and child processes
 * that import the compiled segment layer and talk over stdin/stdout lines.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { removeSegment } from '../../src/shm/index.js';

/** The compiled segment layer, for children to import. */
export const SHM_INDEX = resolve(dirname(fileURLToPath(import.meta.url)), '../../src/shm/index.js');

let counter = 0;
const created: Array<{ name: string; kind: 'posix' | 'sysv'; dir?: string }> = [];

/** A fresh segment name, removed (force) when the test process exits. */
export function uniqueName(kind: 'posix' | 'sysv' = 'posix', dir?: string): string {
  const name = `t-${process.pid}-${++counter}`;
  created.push(dir === undefined ? { name, kind } : { name, kind, dir });
  return name;
}

/** Remove every segment uniqueName() handed out; safe to call more than once. */
export function cleanupSegments(): void {
  for (const c of created.splice(0)) {
    try {
      removeSegment(c.name, c.dir === undefined ? { force: true, kind: c.kind } : { force: true, kind: c.kind, dir: c.dir });
    } catch {
      // already gone
    }
  }
}
process.on('exit', cleanupSegments);

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

const PRELUDE = `
import * as shm from ${JSON.stringify(pathToFileURL(SHM_INDEX).href)};
import { createInterface } from 'node:readline';
const out = (s) => process.stdout.write(String(s) + '\\n');
const queue = []; let waiter = null;
createInterface({ input: process.stdin }).on('line', (l) => {
  if (waiter) { const w = waiter; waiter = null; w(l); } else queue.push(l);
});
const next = () => new Promise((r) => { if (queue.length) r(queue.shift()); else waiter = r; });
`;

/** A child node process running `body` (ES module code with `shm`, `out(line)` and `await next()`). */
export class Child {
  readonly proc: ChildProcess;
  readonly exited: Promise<number | string | null>;
  private lines: string[] = [];
  private waiters: Array<() => void> = [];
  stderr = '';

  constructor(body: string) {
    if (!existsSync(SHM_INDEX)) throw new Error(`compiled segment layer not found at ${SHM_INDEX}: run tsc first`);
    this.proc = spawn(process.execPath, ['--input-type=module', '-e', PRELUDE + body], { stdio: ['pipe', 'pipe', 'pipe'] });
    createInterface({ input: this.proc.stdout! }).on('line', (l) => {
      this.lines.push(l);
      for (const w of this.waiters.splice(0)) w();
    });
    this.proc.stderr!.on('data', (d: Buffer) => {
      this.stderr += d.toString();
    });
    this.exited = new Promise((r) => this.proc.on('exit', (code, sig) => {
      for (const w of this.waiters.splice(0)) w();
      r(code ?? sig);
    }));
  }

  get pid(): number {
    return this.proc.pid!;
  }

  send(line: string): void {
    this.proc.stdin!.write(line + '\n');
  }

  /** The next output line (waits up to timeoutMs). */
  async line(timeoutMs = 10_000): Promise<string> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const l = this.lines.shift();
      if (l !== undefined) return l;
      if (this.proc.exitCode !== null || this.proc.signalCode !== null) {
        throw new Error(`child exited (${this.proc.exitCode ?? this.proc.signalCode}) before printing a line; stderr: ${this.stderr}`);
      }
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`timed out waiting for a line from the child; stderr: ${this.stderr}`);
      await new Promise<void>((r) => {
        const t = setTimeout(r, left);
        this.waiters.push(() => {
          clearTimeout(t);
          r();
        });
      });
    }
  }

  /** Wait for a line equal to `want` (or starting with it), returning it. */
  async expect(want: string, timeoutMs = 10_000): Promise<string> {
    const l = await this.line(timeoutMs);
    if (!l.startsWith(want)) throw new Error(`expected a line starting with ${JSON.stringify(want)} from the child, got ${JSON.stringify(l)}; stderr: ${this.stderr}`);
    return l;
  }

  async kill(sig: NodeJS.Signals = 'SIGKILL'): Promise<void> {
    if (this.proc.exitCode === null && this.proc.signalCode === null) this.proc.kill(sig);
    await this.exited;
  }

  /** Close stdin and wait for a clean exit. */
  async end(): Promise<number | string | null> {
    this.proc.stdin!.end();
    return this.exited;
  }
}

/** Kill every child in the list (test cleanup). */
export async function killAll(children: Child[]): Promise<void> {
  await Promise.all(children.splice(0).map((c) => c.kill()));
}
