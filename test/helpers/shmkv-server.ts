/**
 * Our server as a child process, run as users run it (dist/src/server/launch.cjs, the
 * `shmkv-server` command: the bundle), on a free port and a segment of its own (`test-<pid>-<n>`).
 *
 *   const s = await startShmkvServer();          // answers PING when this resolves
 *   s.port; s.pid; s.segment;
 *   s.kill('SIGKILL'); await s.restart();         // same port, same segment
 *   await s.stop();                               // stops it and removes the segment
 */

import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort, sleep, waitForPing } from './ports.js';

export interface ShmkvServerOptions {
  /** extra command-line arguments (`--requirepass x`, a config file first...) */
  args?: string[];
  /** use this segment name instead of a fresh one (not removed by stop() unless owned) */
  segment?: string;
  /** environment additions */
  env?: Record<string, string>;
  /** working directory (where dir/dbfilename resolve); default: a fresh temporary one, removed by stop() */
  cwd?: string;
  /** ms to wait for PING (default 15000) */
  startTimeoutMs?: number;
}

export interface ShmkvServer {
  port: number;
  pid: number;
  segment: string;
  /** the process's working directory (its RDB file goes there unless --dir says otherwise) */
  cwd: string;
  /** everything the process printed (stdout + stderr) since the last (re)start */
  output(): string;
  /** resolves when the current process has exited: its exit code / signal */
  exited(): Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  kill(signal?: NodeJS.Signals): void;
  /** start again (after kill, or stopping the running one first) on the same port and segment */
  restart(): Promise<void>;
  /** stop (SIGTERM, SIGKILL after 5 s) and remove the segment */
  stop(): Promise<void>;
}

export const SERVER_MAIN = fileURLToPath(new URL('../../src/server/launch.cjs', import.meta.url));

let counter = 0;

export function segmentFile(name: string): string {
  return `/dev/shm/shmkv.${name}`;
}

export function removeSegment(name: string): void {
  for (const f of [segmentFile(name)]) {
    try {
      fs.unlinkSync(f);
    } catch {
      // not there
    }
  }
}

export async function startShmkvServer(opts: ShmkvServerOptions = {}): Promise<ShmkvServer> {
  const owned = opts.segment === undefined;
  const segment = opts.segment ?? `test-${process.pid}-${++counter}-${Date.now() % 100000}`;
  const extra = opts.args ?? [];
  let port = 0;
  let child: ChildProcess | null = null;
  let out = '';
  let exitInfo: Promise<{ code: number | null; signal: NodeJS.Signals | null }> = Promise.resolve({ code: null, signal: null });
  let alive = false;
  // a directory of its own: a test server's RDB file (SHUTDOWN with save points) must not
  // land in the repository or be loaded by another test's fresh segment
  const ownCwd = opts.cwd === undefined;
  const cwd = opts.cwd ?? fs.mkdtempSync(path.join(os.tmpdir(), 'shmkv-test-srv-'));

  async function launch(fixedPort: number | null): Promise<void> {
    for (let attempt = 0; attempt < 5; attempt++) {
      port = fixedPort ?? (await freePort());
      out = '';
      // a config file (if any) must come first, as for redis-server
      const first = extra.length > 0 && !extra[0].startsWith('--') ? [path.resolve(extra[0])] : [];
      const rest = first.length ? extra.slice(1) : extra;
      const c = spawn(process.execPath, [SERVER_MAIN, ...first, '--port', String(port), '--segment', segment, ...rest], {
        stdio: ['ignore', 'pipe', 'pipe'],
        cwd,
        env: { ...process.env, ...(opts.env ?? {}) },
      });
      child = c;
      alive = true;
      c.stdout!.on('data', (d) => (out += d));
      c.stderr!.on('data', (d) => (out += d));
      exitInfo = new Promise((resolve) =>
        c.once('exit', (code, signal) => {
          alive = false;
          resolve({ code, signal });
        }),
      );
      if (await waitForPing(port, opts.startTimeoutMs ?? 15000, () => alive)) return;
      if (alive) {
        c.kill('SIGKILL');
        await exitInfo;
      }
      // the port may have been taken in between: retry on a new one (unless fixed)
      if (fixedPort !== null && !/EADDRINUSE/.test(out)) break;
      if (fixedPort !== null) await sleep(100);
    }
    throw new Error(`shmkv-server did not start on port ${port} (segment ${segment}):\n${out}`);
  }

  await launch(null);

  const server: ShmkvServer = {
    cwd,
    get port() {
      return port;
    },
    get pid() {
      return child?.pid ?? -1;
    },
    segment,
    output: () => out,
    exited: () => exitInfo,
    kill(signal: NodeJS.Signals = 'SIGTERM') {
      if (alive) child?.kill(signal);
    },
    async restart() {
      if (alive) {
        child!.kill('SIGTERM');
        const t = setTimeout(() => child?.kill('SIGKILL'), 5000);
        await exitInfo;
        clearTimeout(t);
      } else {
        await exitInfo;
      }
      await launch(port);
    },
    async stop() {
      if (alive) {
        child!.kill('SIGTERM');
        const t = setTimeout(() => child?.kill('SIGKILL'), 5000);
        await exitInfo;
        clearTimeout(t);
      }
      if (owned) removeSegment(segment);
      if (ownCwd) fs.rmSync(cwd, { recursive: true, force: true });
    },
  };
  return server;
}
