/**
 * Failover: the time from `kill -9` of the serving process to the first correct reply from
 * its standby (`shmkv-server --standby`), at several data sizes:
 *
 *   node dist/bench/failover.js [--rounds 7] [--sizes 1000,1000000,2g]
 *
 * A size is a number of keys (16-byte values) or bytes with a g/m suffix (values of 1 MiB).
 * Per size: a server on a fresh segment filled with DEBUG POPULATE (the server writes every
 * page, so it has all of them mapped, as a server that served them has), then rounds of:
 * a standby started and standing by; an idle client connection open; kill -9 of the
 * server; a client connecting every millisecond (and again at once when a connection fails)
 * asking GET of a key until the right value comes back. The standby is then the server; the
 * next round starts a new standby, after the new server has read every value (so the
 * process killed next has all the data mapped, as a server that served it has). With
 * taskset, the server and its standby run on different CPUs (the standby of a server on
 * CPU 0 runs on CPU 1, and so on). Reported, median and max over the rounds:
 *  - kill → death noticed: the standby's wall-clock instant (its verbose log) less the kill's;
 *  - noticed → listening: the standby's take-over (recovery, listeners);
 *  - kill → first correct reply to a new connection;
 *  - kill → reset of the idle connection: the kernel closes a killed process's sockets only
 *    after unmapping its memory, which takes longer the more of it the process had touched.
 * No assertions: figures only.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { RawClient } from '../test/helpers/raw-client.js';
import { freePort, sleep, waitForPing } from '../test/helpers/ports.js';
import { firstCorrectReply } from '../test/helpers/failover.js';

const SERVER_MAIN = fileURLToPath(new URL('../src/server/launch.cjs', import.meta.url));
const CLI = fileURLToPath(new URL('../src/cli/main.js', import.meta.url));

interface Opts {
  rounds: number;
  sizes: string[];
}

function parseArgs(): Opts {
  const o: Opts = { rounds: 7, sizes: ['1000', '1000000', '2g'] };
  const a = process.argv.slice(2);
  for (let i = 0; i < a.length; i += 2) {
    if (a[i] === '--rounds') o.rounds = Number(a[i + 1]);
    else if (a[i] === '--sizes') o.sizes = a[i + 1]!.split(',');
    else {
      console.error(`unknown option ${a[i]}; usage: node dist/bench/failover.js [--rounds 7] [--sizes 1000,1000000,2g]`);
      process.exit(2);
    }
  }
  return o;
}

interface Proc {
  child: ChildProcess;
  out: () => string;
  exited: Promise<unknown>;
}

const haveTaskset = spawnSync('taskset', ['--version']).status === 0 && os.cpus().length >= 2;

function run(args: string[], cwd: string, cpu: number): Proc {
  const cmd = [process.execPath, SERVER_MAIN, ...args];
  // (taskset execs node: the child's pid is the server's)
  const child = haveTaskset ? spawn('taskset', ['-c', String(cpu), ...cmd], { stdio: ['ignore', 'pipe', 'pipe'], cwd }) : spawn(cmd[0]!, cmd.slice(1), { stdio: ['ignore', 'pipe', 'pipe'], cwd });
  let out = '';
  child.stdout!.on('data', (d) => (out += d));
  child.stderr!.on('data', (d) => (out += d));
  return { child, out: () => out, exited: new Promise((r) => child.once('exit', r)) };
}

async function waitOutput(p: Proc, re: RegExp, ms = 30000): Promise<RegExpExecArray> {
  const until = Date.now() + ms;
  for (;;) {
    const m = re.exec(p.out());
    if (m) return m;
    if (Date.now() > until || p.child.exitCode !== null) throw new Error(`no ${re} from pid ${p.child.pid}:\n${p.out()}`);
    await sleep(2);
  }
}

const now = (): number => performance.timeOrigin + performance.now();

async function populate(port: number, size: string): Promise<string> {
  const c = await RawClient.connect(port);
  const m = /^(\d+(?:\.\d+)?)([gm])$/i.exec(size);
  if (m) {
    const bytes = Number(m[1]) * (m[2]!.toLowerCase() === 'g' ? 2 ** 30 : 2 ** 20);
    const n = Math.round(bytes / 2 ** 20);
    for (let i = 0; i < n; i += 256) await c.call('debug', 'populate', String(Math.min(256, n - i)), `big${i}`, String(2 ** 20));
  } else {
    const n = Number(size);
    for (let i = 0; i < n; i += 100_000) await c.call('debug', 'populate', String(Math.min(100_000, n - i)), `k${i}`, '16');
  }
  const info = (await c.call('info', 'memory')).toString();
  const keys = (await c.call('dbsize')).toString().trim().slice(1);
  c.close();
  return `${keys} keys, used_memory ${/used_memory_human:(\S+)/.exec(info)?.[1]}`;
}

/** Make the serving process read every value (it then has every page of the data mapped). */
async function touchAll(port: number, size: string): Promise<void> {
  const c = await RawClient.connect(port);
  if (/^\d+$/.test(size)) {
    let cursor = '0';
    do {
      const v = await c.callValue('scan', cursor, 'count', '20000');
      if (v.type !== 'array' || v.value[0]!.type !== 'bulk' || v.value[1]!.type !== 'array') throw new Error('SCAN');
      cursor = v.value[0]!.value.toString();
      const keys = v.value[1]!.value.map((k) => (k.type === 'bulk' ? k.value.toString() : ''));
      for (let i = 0; i < keys.length; i += 1000) await c.call('mget', ...keys.slice(i, i + 1000));
    } while (cursor !== '0');
  } else {
    const n = Number((await c.call('dbsize')).toString().trim().slice(1));
    for (let i = 0; i < n; i += 256) for (let j = i; j < Math.min(n, i + 256); j++) await c.call('bitcount', `big${i}:${j - i}`);
  }
  c.close();
}

function stats(xs: number[]): string {
  const s = [...xs].sort((a, b) => a - b);
  return `${s[s.length >> 1]!.toFixed(2)} / ${s[s.length - 1]!.toFixed(2)}`;
}

async function main(): Promise<void> {
  const o = parseArgs();
  const rows: string[] = [];
  for (const size of o.sizes) {
    const cwd = fs.mkdtempSync(path.join(os.tmpdir(), 'shmkv-failover-bench-'));
    const port = await freePort();
    const segment = `bench-failover-${process.pid}-${size}`;
    const args = ['--port', String(port), '--segment', segment, '--save', '', '--enable-debug-command', 'yes', '--loglevel', 'verbose'];
    let cpu = 0;
    let server = run(args, cwd, cpu);
    const procs = [server];
    try {
      if (!(await waitForPing(port, 30000))) throw new Error(`server did not start:\n${server.out()}`);
      const what = await populate(port, size);
      const noticed: number[] = [];
      const takeover: number[] = [];
      const reply: number[] = [];
      const reset: number[] = [];
      for (let r = 0; r < o.rounds; r++) {
        cpu = 1 - cpu;
        const standby = run([...args, '--standby'], cwd, cpu);
        procs.push(standby);
        await waitOutput(standby, /Standby for segment/);
        const idle = await RawClient.connect(port);
        await idle.call('ping');
        let resetAt = 0;
        const idleClosed = new Promise<void>((resolve) => idle.socket.once('close', () => ((resetAt = now()), resolve())));
        idle.socket.on('error', () => {});
        await sleep(50);
        const key = /^\d+$/.test(size) ? 'k0:0' : 'big0:0';
        const t0 = now();
        server.child.kill('SIGKILL');
        await firstCorrectReply(port, ['strlen', key], `:${/^\d+$/.test(size) ? 16 : 2 ** 20}\r\n`);
        reply.push(now() - t0);
        const m = await waitOutput(standby, /death noticed ([\d.]+), listening ([\d.]+)/);
        noticed.push(Number(m[1]) - t0);
        takeover.push(Number(m[2]) - Number(m[1]));
        await idleClosed;
        reset.push(resetAt - t0);
        await server.exited;
        server = standby;
        if (r + 1 < o.rounds) await touchAll(port, size);
      }
      const row = `| ${size} (${what}) | ${o.rounds} | ${stats(noticed)} | ${stats(takeover)} | ${stats(reply)} | ${stats(reset)} |`;
      console.log(row);
      rows.push(row);
    } finally {
      for (const p of procs) if (p.child.exitCode === null && p.child.signalCode === null) p.child.kill('SIGKILL');
      for (const p of procs) await p.exited;
      spawnSync(process.execPath, [CLI, 'rm', segment, '--force'], { encoding: 'utf8' });
      fs.rmSync(cwd, { recursive: true, force: true });
    }
  }
  console.log('\nms, median / max:');
  console.log('| data | rounds | kill → death noticed | noticed → listening | kill → first correct reply | kill → idle connection reset |');
  console.log('|---|---|---|---|---|---|');
  for (const r of rows) console.log(r);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
