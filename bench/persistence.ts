/**
 * Persistence, shmkv-server against redis-server (which forks), both fresh on free ports,
 * the servers pinned to CPU 0 and the load generators to CPU 1 (taskset, when present):
 *
 *   node dist/bench/persistence.js [--keys 1000000] [--hash 1000000]
 *
 * 1. `keys` string keys (16-byte values) and one hash of `hash` fields.
 * 2. SAVE: seconds and MB/s of the file; load: DEBUG RELOAD NOSAVE (flush, then load the file).
 * 3. BGSAVE while redis-benchmark writes (SET, -c 50 -P 1, random keys over the same
 *    range): the benchmark's p50/p99/max latency with and without a BGSAVE running, the
 *    BGSAVE's duration, the time of the first two HSETs into the big hash once it began, and
 *    the extra memory it took — peak RSS of the server and its children plus (shmkv) the
 *    segment's resident bytes, less what they were before.
 * 4. DUMP of the big hash: the longest PING round trip another client saw meanwhile.
 * No assertions: figures only.
 */
import { fork, spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { RawClient, decodeReply } from '../test/helpers/raw-client.js';
import { sleep } from '../test/helpers/ports.js';
import { haveTaskset, pipelineFill, startServer, stopServer, type Proc as Server } from './servers.js';

const SERVER_MAIN = fileURLToPath(new URL('../src/server/launch.cjs', import.meta.url));
const PINGER = fileURLToPath(new URL('./pinger.js', import.meta.url));

interface Opts {
  keys: number;
  hash: number;
}

function parseArgs(): Opts {
  const o: Opts = { keys: 1_000_000, hash: 1_000_000 };
  const a = process.argv.slice(2);
  for (let i = 0; i < a.length; i += 2) {
    if (a[i] === '--keys') o.keys = Number(a[i + 1]);
    else if (a[i] === '--hash') o.hash = Number(a[i + 1]);
    else {
      console.error(`unknown option ${a[i]}`);
      process.exit(2);
    }
  }
  return o;
}

/** A server of this benchmark: its directory and (shmkv) segment besides the process. */
interface Proc extends Server {
  dir: string;
  segment: string | null;
}

async function start(name: string, cmd: string, args: string[], dir: string, segment: string | null): Promise<Proc> {
  return { ...(await startServer(name, cmd, args, { cwd: dir })), dir, segment };
}

/** A command that may take long (SAVE, DEBUG RELOAD, DUMP of a big value): no 10 s reply limit. */
async function slow(c: RawClient, ...args: string[]): Promise<Buffer> {
  c.send(...args);
  return c.read(600_000);
}

async function info(c: RawClient, section: string): Promise<string> {
  const v = decodeReply(await c.call('INFO', section));
  return v.type === 'bulk' || v.type === 'verbatim' ? v.value.toString() : '';
}

/** The real server pid (taskset execs it, so the child's pid is the server's). */
function rssOfTree(pid: number): number {
  let total = 0;
  const visit = (p: number): void => {
    try {
      const st = fs.readFileSync(`/proc/${p}/status`, 'utf8');
      total += Number(/VmRSS:\s+(\d+)/.exec(st)?.[1] ?? 0) * 1024;
      for (const t of fs.readdirSync(`/proc/${p}/task`)) {
        const kids = fs.readFileSync(`/proc/${p}/task/${t}/children`, 'utf8').trim();
        if (kids) for (const k of kids.split(/\s+/)) visit(Number(k));
      }
    } catch {
      // gone
    }
  };
  visit(pid);
  return total;
}

function memoryOf(p: Proc): number {
  let m = rssOfTree(p.child.pid!);
  if (p.segment !== null) {
    try {
      m += fs.statSync(`/dev/shm/shmkv.${p.segment}`).blocks * 512;
    } catch {
      // none
    }
  }
  return m;
}

interface BenchResult {
  rps: number;
  p50: number;
  p99: number;
  max: number;
}

function runBenchmark(port: number, n: number, keys: number): Promise<BenchResult> {
  const args = ['-p', String(port), '-t', 'set', '-n', String(n), '-r', String(keys), '-c', '50', '-P', '1', '-d', '16', '--csv'];
  const child = haveTaskset ? spawn('taskset', ['-c', '1', 'redis-benchmark', ...args]) : spawn('redis-benchmark', args);
  let out = '';
  child.stdout!.on('data', (d) => (out += d));
  return new Promise((resolve, reject) =>
    child.once('exit', () => {
      const line = out.split('\n').find((l) => l.startsWith('"SET"'));
      if (!line) return reject(new Error(`redis-benchmark said: ${out}`));
      const f = line.split(',').map((x) => Number(x.replace(/"/g, '')));
      // "test","rps","avg_latency_ms","min_latency_ms","p50_latency_ms","p95_latency_ms","p99_latency_ms","max_latency_ms"
      resolve({ rps: f[1]!, p50: f[4]!, p99: f[6]!, max: f[7]! });
    }),
  );
}

const fmt = (x: number, d = 2): string => (Number.isFinite(x) ? x.toFixed(d) : '-');
const mb = (b: number): string => `${(b / 1048576).toFixed(1)} MB`;

async function main(): Promise<void> {
  const o = parseArgs();
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'shmkv-bench-persist-'));
  const rdir = fs.mkdtempSync(path.join(tmp, 'redis-'));
  const sdir = fs.mkdtempSync(path.join(tmp, 'shmkv-'));
  const segment = `bench-persist-${process.pid}`;
  const redis = await start('redis', 'redis-server', ['--save', '', '--appendonly', 'no', '--daemonize', 'no', '--logfile', '', '--enable-debug-command', 'yes', '--dir', rdir], rdir, null);
  const shmkv = await start('shmkv', process.execPath, [SERVER_MAIN, '--segment', segment, '--save', '', '--loglevel', 'warning', '--enable-debug-command', 'yes'], sdir, segment);
  const servers = [redis, shmkv];
  const table: string[][] = [];
  try {
    console.log(`taskset: ${haveTaskset ? 'servers on CPU 0, load on CPU 1' : 'not used'}; ${o.keys} keys × 16 B, a hash of ${o.hash} fields\n`);
    for (const s of servers) {
      const c = await RawClient.connect(s.port);
      await pipelineFill(c, o.keys, (i) => ['SET', `key:${String(i).padStart(8, '0')}`, `value-${String(i).padStart(10, '0')}`]);
      await pipelineFill(c, Math.ceil(o.hash / 1000), (b) => ['HSET', 'bighash', ...Array.from({ length: Math.min(1000, o.hash - b * 1000) }, (_, j) => [`field:${b * 1000 + j}`, `v${j}`]).flat()]);
      c.close();
    }
    // 2. SAVE and load
    const row = (what: string, r: string, s: string, ratio = ''): void => void table.push([what, r, s, ratio]);
    const saveSec: number[] = [];
    const size: number[] = [];
    const loadSec: number[] = [];
    for (const s of servers) {
      const c = await RawClient.connect(s.port);
      let t0 = performance.now();
      await slow(c, 'SAVE');
      saveSec.push((performance.now() - t0) / 1000);
      size.push(fs.statSync(path.join(s.dir, 'dump.rdb')).size);
      t0 = performance.now();
      const v = decodeReply(await slow(c, 'DEBUG', 'RELOAD', 'NOSAVE'));
      if (v.type === 'error') throw new Error(`${s.name}: DEBUG RELOAD: ${v.value}`);
      loadSec.push((performance.now() - t0) / 1000);
      c.close();
    }
    row('RDB file', mb(size[0]!), mb(size[1]!), fmt(size[1]! / size[0]!));
    row('SAVE s (MB/s)', `${fmt(saveSec[0]!)} (${fmt(size[0]! / 1048576 / saveSec[0]!, 0)})`, `${fmt(saveSec[1]!)} (${fmt(size[1]! / 1048576 / saveSec[1]!, 0)})`, fmt(saveSec[0]! / saveSec[1]!));
    row('load s (MB/s)', `${fmt(loadSec[0]!)} (${fmt(size[0]! / 1048576 / loadSec[0]!, 0)})`, `${fmt(loadSec[1]!)} (${fmt(size[1]! / 1048576 / loadSec[1]!, 0)})`, fmt(loadSec[0]! / loadSec[1]!));
    // 3. BGSAVE under a write load
    const n = 400_000;
    const bg: { base: BenchResult; during: BenchResult; sec: number; extra: number; status: string; hset: [number, number] }[] = [];
    for (const s of servers) {
      const base = await runBenchmark(s.port, n, o.keys);
      const c = await RawClient.connect(s.port);
      const mem0 = memoryOf(s);
      let peak = mem0;
      const bench = runBenchmark(s.port, n, o.keys);
      await sleep(200);
      const t0 = performance.now();
      await c.call('BGSAVE');
      // the first writes into the big hash once the snapshot runs (a fork's pages, or the
      // lines shmkv's writers copy aside; before pins, the whole value was copied first)
      const hset: [number, number] = [0, 0];
      for (let i = 0; i < 2; i++) {
        const w = performance.now();
        await c.call('HSET', 'bighash', `during-bgsave:${i}`, 'x');
        hset[i] = performance.now() - w;
      }
      let sec = NaN;
      for (;;) {
        peak = Math.max(peak, memoryOf(s));
        if (/rdb_bgsave_in_progress:0/.test(await info(c, 'persistence'))) {
          sec = (performance.now() - t0) / 1000;
          break;
        }
        await sleep(20);
      }
      const during = await bench;
      const status = /rdb_last_bgsave_status:(\w+)/.exec(await info(c, 'persistence'))?.[1] ?? '?';
      c.close();
      bg.push({ base, during, sec, extra: peak - mem0, status, hset });
    }
    const lat = (b: BenchResult): string => `${fmt(b.p50, 3)} / ${fmt(b.p99, 3)} / ${fmt(b.max, 1)}`;
    row('SET p50 / p99 / max ms, no BGSAVE', lat(bg[0]!.base), lat(bg[1]!.base), fmt(bg[0]!.base.p99 / bg[1]!.base.p99));
    row('SET p50 / p99 / max ms, BGSAVE running', lat(bg[0]!.during), lat(bg[1]!.during), fmt(bg[0]!.during.p99 / bg[1]!.during.p99));
    row('SET requests/s, BGSAVE running', fmt(bg[0]!.during.rps, 0), fmt(bg[1]!.during.rps, 0), fmt(bg[1]!.during.rps / bg[0]!.during.rps));
    row('BGSAVE s (status)', `${fmt(bg[0]!.sec)} (${bg[0]!.status})`, `${fmt(bg[1]!.sec)} (${bg[1]!.status})`, fmt(bg[0]!.sec / bg[1]!.sec));
    row('HSET into the big hash, BGSAVE running: 1st / 2nd ms', `${fmt(bg[0]!.hset[0], 2)} / ${fmt(bg[0]!.hset[1], 2)}`, `${fmt(bg[1]!.hset[0], 2)} / ${fmt(bg[1]!.hset[1], 2)}`, fmt(bg[0]!.hset[0] / bg[1]!.hset[0]));
    // (no ratio against less than a megabyte: it would only measure the noise)
    row('extra memory at peak (RSS + children + segment)', mb(bg[0]!.extra), mb(bg[1]!.extra), bg[1]!.extra < 1 << 20 ? '—' : fmt(bg[0]!.extra / bg[1]!.extra));
    // 4. DUMP of the big hash: the longest PING another client (another process) sees
    const dump: { ms: number; bytes: number; worst: number }[] = [];
    for (const s of servers) {
      const c = await RawClient.connect(s.port);
      const pinger = fork(PINGER, [String(s.port)], { stdio: ['ignore', 'ignore', 'inherit', 'ipc'] });
      await new Promise<void>((r) => pinger.once('message', () => r()));
      await sleep(50);
      const t0 = performance.now();
      const d = decodeReply(await slow(c, 'DUMP', 'bighash'));
      const ms = performance.now() - t0;
      const worst = await new Promise<number>((r) => {
        pinger.on('message', (m) => typeof m === 'object' && r((m as { worst: number }).worst));
        pinger.send('stop');
      });
      dump.push({ ms, bytes: d.type === 'bulk' ? d.value.length : NaN, worst });
      c.close();
    }
    row(`DUMP of the hash: ms (payload)`, `${fmt(dump[0]!.ms, 0)} (${mb(dump[0]!.bytes)})`, `${fmt(dump[1]!.ms, 0)} (${mb(dump[1]!.bytes)})`, fmt(dump[0]!.ms / dump[1]!.ms));
    row('DUMP of the hash: longest PING of a client in another process, ms', fmt(dump[0]!.worst, 1), fmt(dump[1]!.worst, 1), fmt(dump[0]!.worst / dump[1]!.worst));
    console.log('| measure | redis | shmkv | redis ÷ shmkv |');
    console.log('|---|---|---|---|');
    for (const r of table) console.log(`| ${r.join(' | ')} |`);
  } finally {
    for (const s of servers) await stopServer(s, 'SIGKILL');
    spawnSync(process.execPath, [fileURLToPath(new URL('../src/cli/main.js', import.meta.url)), 'rm', '--force', segment]);
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}

await main();
