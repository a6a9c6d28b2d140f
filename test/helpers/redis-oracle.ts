/**
 * A real redis-server (7.0, the Debian package) as the oracle of byte-exact tests.
 *
 *   const redis = await startRedisOracle();     // null (and a LOUD message) if not installed
 *   if (!redis) { t.skip('redis-server missing'); return; }
 *   ... redis.port ...
 *   await redis.stop();
 */

import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { freePort, waitForPing } from './ports.js';

export interface RedisOracle {
  port: number;
  pid: number;
  /** the server's working directory (RDB files land there) */
  dir: string;
  /** "7.0.15" */
  version: string;
  stop(): Promise<void>;
}

let warned = false;

export function redisServerBinary(): string | null {
  const r = spawnSync('redis-server', ['--version'], { encoding: 'utf8' });
  if (r.error || r.status !== 0) return null;
  return 'redis-server';
}

export function redisVersion(): string | null {
  const r = spawnSync('redis-server', ['--version'], { encoding: 'utf8' });
  if (r.error || r.status !== 0) return null;
  return /v=([0-9.]+)/.exec(r.stdout)?.[1] ?? null;
}

/**
 * Start redis-server on a free port with `--save '' --appendonly no` (plus `extraArgs`).
 * Returns null when the binary is missing (tests should then skip).
 */
export async function startRedisOracle(extraArgs: string[] = []): Promise<RedisOracle | null> {
  const version = redisVersion();
  if (version === null) {
    if (!warned) {
      warned = true;
      console.error('\n' + '!'.repeat(78) + '\n!!! redis-server is NOT installed: the differential tests against real Redis are SKIPPED !!!\n' + '!'.repeat(78) + '\n');
    }
    return null;
  }
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'redis-oracle-'));
  for (let attempt = 0; attempt < 5; attempt++) {
    const port = await freePort();
    const child: ChildProcess = spawn(
      'redis-server',
      ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir, '--logfile', '', '--daemonize', 'no', ...extraArgs],
      { stdio: ['ignore', 'ignore', 'pipe'] },
    );
    let exited = false;
    child.on('exit', () => {
      exited = true;
    });
    let stderr = '';
    child.stderr!.on('data', (d) => (stderr += d));
    if (await waitForPing(port, 5000, () => !exited)) {
      return {
        port,
        pid: child.pid!,
        dir,
        version,
        async stop() {
          if (!exited) {
            const done = new Promise<void>((r) => child.once('exit', () => r()));
            child.kill('SIGKILL');
            await done;
          }
          fs.rmSync(dir, { recursive: true, force: true });
        },
      };
    }
    if (!exited) child.kill('SIGKILL');
    if (attempt === 4) throw new Error(`redis-server did not start: ${stderr}`);
  }
  return null;
}
