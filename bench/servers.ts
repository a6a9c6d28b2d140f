/**
 * What the comparison benchmarks share: servers started fresh on free ports and pinned to
 * CPU 0 with taskset (when there is one and a second CPU for the load), stopped by their
 * own pid, and pipelined fills.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import os from 'node:os';
import { RawClient } from '../test/helpers/raw-client.js';
import { freePort, sleep } from '../test/helpers/ports.js';

export const haveTaskset = spawnSync('taskset', ['--version']).status === 0 && os.cpus().length >= 2;

export interface Proc {
  name: string;
  port: number;
  child: ChildProcess;
  exited: Promise<void>;
}

/** Start `cmd args --port P` (pinned to CPU 0 when possible); resolves once it answers PING. */
export async function startServer(name: string, cmd: string, args: string[], opts: { cwd?: string } = {}): Promise<Proc> {
  const port = await freePort();
  const full = [...args, '--port', String(port)];
  const child = haveTaskset ? spawn('taskset', ['-c', '0', cmd, ...full], { stdio: 'ignore', cwd: opts.cwd }) : spawn(cmd, full, { stdio: 'ignore', cwd: opts.cwd });
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  for (let i = 0; i < 3000; i++) {
    try {
      const c = await RawClient.connect(port);
      const r = (await c.call('PING')).toString('latin1');
      c.close();
      if (r.startsWith('+PONG')) return { name, port, child, exited };
    } catch {
      // not yet
    }
    await sleep(10);
  }
  throw new Error(`${name} did not come up`);
}

/** Stop a server this benchmark started (SIGTERM, or `signal`), by its pid. */
export async function stopServer(p: Proc, signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
  if (p.child.exitCode === null) p.child.kill(signal);
  await p.exited;
}

/** Send the commands make(i) builds for i in [0, n), pipelined in batches. */
export async function pipelineFill(c: RawClient, n: number, make: (i: number) => string[], batch = 5000): Promise<void> {
  for (let i = 0; i < n; i += batch) {
    const parts: string[] = [];
    const m = Math.min(batch, n - i);
    for (let j = 0; j < m; j++) {
      const args = make(i + j);
      parts.push(`*${args.length}\r\n${args.map((x) => `$${Buffer.byteLength(x)}\r\n${x}\r\n`).join('')}`);
    }
    c.sendRaw(parts.join(''));
    await c.readN(m, 600_000);
  }
}
