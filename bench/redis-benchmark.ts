/**
 * shmkv-server against redis-server with redis-benchmark.
 *
 *   node dist/bench/redis-benchmark.js [--rounds 3] [--n 200000] [--clients 50]
 *        [--tests set,get,incr,mset] [--pipelines 1,16] [--data-size 3] [--preload 10000000]
 *   node dist/bench/redis-benchmark.js --restart [--keys 1000000] [--value-size 100]
 *
 * Throughput mode: both servers on free ports, pinned to CPU 0 (taskset, when present),
 * redis-benchmark pinned to CPU 1; for each round, pipeline depth and test, `FLUSHALL`
 * then `redis-benchmark -t <test> -n N -c C -r 100000 -d D -q --csv -P p` on each server,
 * which goes first alternating test by test (so every test measures inserts into an empty
 * keyspace, as a user's first run does). With `--preload N` both servers are loaded
 * first with N keys named as redis-benchmark names them (key:000000000042, values of the
 * data size), there is no FLUSHALL, and `-r N`: the tests run against a big keyspace. It prints the median ops/s of each, the ratio
 * shmkv/redis per test and the geometric mean of the ratios per depth, then each server's CPU
 * time per request (user + system, from /proc): its ratio is what throughput would be if both
 * servers saturated their core (where redis-benchmark itself is the limit, as for PING and GET
 * at -P 16, throughput is level whatever the CPU ratio). Restart mode: loads the keys into both, prints used_memory per key of
 * each, then measures the time from
 * process start to "serving all keys" after a restart: redis-server from its RDB (SAVE
 * first), shmkv after kill -9 on the same segment. No assertions: figures only.
 */

import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { RawClient, decodeReply } from '../test/helpers/raw-client.js';
import { freePort, sleep } from '../test/helpers/ports.js';

/** The `shmkv-server` command: the bundled server run from V8's code cache. */
const SERVER_MAIN = fileURLToPath(new URL('../src/server/launch.cjs', import.meta.url));

interface Opts {
  rounds: number;
  n: number;
  clients: number;
  tests: string;
  pipelines: number[];
  restart: boolean;
  keys: number;
  valueSize: number;
  dataSize: number;
  preload: number;
}

function parseArgs(): Opts {
  const a = process.argv.slice(2);
  const o: Opts = { rounds: 3, n: 200000, clients: 50, tests: 'set,get,incr,mset', pipelines: [1, 16], restart: false, keys: 1_000_000, valueSize: 100, dataSize: 3, preload: 0 };
  for (let i = 0; i < a.length; i++) {
    const v = a[i + 1];
    switch (a[i]) {
      case '--rounds':
        o.rounds = Number(v);
        i++;
        break;
      case '--n':
        o.n = Number(v);
        i++;
        break;
      case '--clients':
        o.clients = Number(v);
        i++;
        break;
      case '--tests':
        o.tests = v;
        i++;
        break;
      case '--pipelines':
        o.pipelines = v.split(',').map(Number);
        i++;
        break;
      case '--keys':
        o.keys = Number(v);
        i++;
        break;
      case '--data-size':
        o.dataSize = Number(v);
        i++;
        break;
      case '--value-size':
        o.valueSize = Number(v);
        i++;
        break;
      case '--preload':
        o.preload = Number(v);
        i++;
        break;
      case '--restart':
        o.restart = true;
        break;
      default:
        console.error(`unknown option ${a[i]}`);
        process.exit(2);
    }
  }
  return o;
}

const haveTaskset = spawnSync('taskset', ['--version']).status === 0 && os.cpus().length >= 2;

function pinned(cpu: number, cmd: string, args: string[]): [string, string[]] {
  return haveTaskset ? ['taskset', ['-c', String(cpu), cmd, ...args]] : [cmd, args];
}

interface Proc {
  port: number;
  child: ChildProcess;
  exited: Promise<void>;
}

async function waitUp(port: number, ms = 30000, ready?: (c: RawClient) => Promise<boolean>, pollMs = 2): Promise<void> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    try {
      const c = await RawClient.connect(port);
      try {
        const r = (await c.call('PING')).toString();
        if (r.startsWith('+PONG') && (!ready || (await ready(c)))) return;
      } finally {
        c.close();
      }
    } catch {
      // not yet
    }
    await sleep(pollMs);
  }
  throw new Error(`server on port ${port} did not come up`);
}

function launch(cmd: string, args: string[], env: NodeJS.ProcessEnv = process.env): { child: ChildProcess; exited: Promise<void> } {
  const [c, a] = pinned(0, cmd, args);
  const child = spawn(c, a, { stdio: ['ignore', 'ignore', 'inherit'], env });
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  return { child, exited };
}

async function startRedis(port: number, dir: string): Promise<Proc> {
  const { child, exited } = launch('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir, '--daemonize', 'no', '--logfile', '']);
  await waitUp(port);
  return { port, child, exited };
}

async function startShmkv(port: number, segment: string): Promise<Proc> {
  const { child, exited } = launch(process.execPath, [SERVER_MAIN, '--port', String(port), '--segment', segment, '--save', '', '--loglevel', 'warning']);
  await waitUp(port);
  return { port, child, exited };
}

async function stop(p: Proc, signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
  p.child.kill(signal);
  await p.exited;
}

/** Bytes of LRANGE replies one run of an lrange_K test may ask for (see requests). */
const LRANGE_REPLY_BUDGET = 2e9;

/**
 * Requests of one run: --n, except for the LRANGE tests with big values, whose replies
 * (K elements of the data size each) are capped at LRANGE_REPLY_BUDGET bytes in all: 200k
 * LRANGE_100 of 16 KiB elements would be 330 GB, more than 7 minutes for Redis alone.
 */
function requests(o: Opts, tests: string): number {
  const m = /^lrange_(\d+)$/.exec(tests);
  if (m === null) return o.n;
  // (at least K: the test's LPUSH phase pushes as many elements as there are requests, and
  // the list must hold the K that each LRANGE asks for)
  const k = Number(m[1]);
  return Math.max(k, Math.min(o.n, Math.floor(LRANGE_REPLY_BUDGET / (k * o.dataSize))));
}

/**
 * A process's CPU time so far, user and system, in µs (/proc/<pid>/stat fields 14 and 15, in
 * clock ticks of 10 ms: Linux's USER_HZ is 100 on every architecture Node runs on); null
 * where /proc is missing.
 */
function cpuOf(pid: number | undefined): { user: number; sys: number } | null {
  if (pid === undefined) return null;
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'latin1');
    // (the command name, in parentheses, may hold spaces: count fields after its end)
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return { user: Number(f[11]) * 10_000, sys: Number(f[12]) * 10_000 };
  } catch {
    return null;
  }
}

/** Run redis-benchmark once; returns ops/s per test name (upper case, as redis-benchmark prints). */
function benchmark(port: number, o: Opts, pipeline: number, tests = o.tests): Map<string, number> {
  const range = o.preload > 0 ? o.preload : 100000;
  const [c, a] = pinned(1, 'redis-benchmark', ['-p', String(port), '-t', tests, '-n', String(requests(o, tests)), '-c', String(o.clients), '-r', String(range), '-d', String(o.dataSize), '-P', String(pipeline), '-q', '--csv']);
  const r = spawnSync(c, a, { encoding: 'utf8', timeout: 600_000 });
  if (r.status !== 0) throw new Error(`redis-benchmark failed: ${r.stderr}`);
  const out = new Map<string, number>();
  for (const line of r.stdout.split('\n')) {
    const m = /^"([^"]+)","([0-9.]+)"/.exec(line);
    if (m) out.set(m[1], Number(m[2]));
  }
  return out;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const n = s.length;
  return n === 0 ? NaN : n % 2 ? s[(n - 1) / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
}

function pad(s: string, n: number, right = false): string {
  return right ? s.padEnd(n) : s.padStart(n);
}

async function throughput(o: Opts): Promise<void> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-redis-'));
  const segment = `bench-${process.pid}`;
  const redis = await startRedis(await freePort(), dir);
  const shmkv = await startShmkv(await freePort(), segment);
  console.log(`redis-server on ${redis.port}, shmkv-server on ${shmkv.port} (segment ${segment}); taskset: ${haveTaskset ? 'servers on CPU 0, redis-benchmark on CPU 1' : 'not used'}`);
  if (o.preload > 0) {
    for (const srv of [redis, shmkv]) {
      const base = await usedMemory(srv.port);
      const t0 = performance.now();
      await load(srv.port, o.preload, o.dataSize, true);
      const per = ((await usedMemory(srv.port)) - base) / o.preload;
      console.log(`${srv === redis ? 'redis' : 'shmkv'}: ${o.preload} keys loaded in ${((performance.now() - t0) / 1000).toFixed(1)} s, used_memory ${per.toFixed(1)} B per key`);
    }
  }
  const range = o.preload > 0 ? o.preload : 100000;
  const flush = o.preload > 0 ? `${o.preload} keys loaded first, no FLUSHALL` : 'FLUSHALL before each';
  const capped = o.tests.split(',').filter((t) => requests(o, t) < o.n).map((t) => `${t} ${requests(o, t)}`);
  if (capped.length > 0) console.log(`requests capped for big LRANGE replies: ${capped.join(', ')}`);
  console.log(`redis-benchmark -t {${o.tests}} -n ${o.n} -c ${o.clients} -r ${range} -d ${o.dataSize} -P {${o.pipelines.join(',')}}, ${flush}, ${o.rounds} rounds, medians\n`);
  // results[pipeline][test][server] = ops/s per round
  const results = new Map<number, Map<string, { redis: number[]; shmkv: number[] }>>();
  // cpu[pipeline][test][server] = the server's µs of CPU per request (user, system) per round:
  // what a saturated server's throughput is the inverse of, and less noisy on a shared
  // machine (time other processes take is not counted). Only for the tests that are one
  // redis-benchmark test each (an lrange_K run has its LPUSH phase too).
  const cpu = new Map<number, Map<string, { redis: [number, number][]; shmkv: [number, number][] }>>();
  const tests = o.tests.split(',');
  try {
    for (let round = 0; round < o.rounds; round++) {
      for (const p of o.pipelines) {
        for (let ti = 0; ti < tests.length; ti++) {
          const servers = [
            ['redis', redis],
            ['shmkv', shmkv],
          ] as const;
          for (const [name, srv] of (round + ti) % 2 === 0 ? servers : [...servers].reverse()) {
            if (o.preload === 0) await flushall(srv.port);
            const before = cpuOf(srv.child.pid);
            const r = benchmark(srv.port, o, p, tests[ti]);
            const after = cpuOf(srv.child.pid);
            if (before !== null && after !== null && r.size === 1) {
              const n = requests(o, tests[ti]);
              const cpuByTest = cpu.get(p) ?? new Map();
              cpu.set(p, cpuByTest);
              const t = [...r.keys()][0]!;
              const e = cpuByTest.get(t) ?? { redis: [], shmkv: [] };
              cpuByTest.set(t, e);
              e[name].push([(after.user - before.user) / n, (after.sys - before.sys) / n]);
            }
            const byTest = results.get(p) ?? new Map();
            results.set(p, byTest);
            for (const [t, v] of r) {
              const e = byTest.get(t) ?? { redis: [], shmkv: [] };
              byTest.set(t, e);
              e[name].push(v);
            }
            process.stderr.write(`round ${round + 1} -P ${p} ${name}: ${[...r].map(([t, v]) => `${t} ${Math.round(v)}`).join(', ')}\n`);
          }
        }
      }
    }
  } finally {
    await stop(redis);
    await stop(shmkv);
    fs.rmSync(dir, { recursive: true, force: true });
    try {
      fs.unlinkSync(`/dev/shm/shmkv.${segment}`);
    } catch {
      // gone
    }
  }
  console.log(`${pad('test', 18, true)} ${pad('-P', 3)} ${pad('redis ops/s', 12)} ${pad('shmkv ops/s', 12)} ${pad('shmkv/redis', 12)}`);
  for (const [p, byTest] of results) {
    let logSum = 0;
    let k = 0;
    for (const [t, e] of byTest) {
      const a = median(e.redis);
      const b = median(e.shmkv);
      console.log(`${pad(t, 18, true)} ${pad(String(p), 3)} ${pad(a.toFixed(0), 12)} ${pad(b.toFixed(0), 12)} ${pad((b / a).toFixed(2), 12)}`);
      if (a > 0 && b > 0) {
        logSum += Math.log(b / a);
        k++;
      }
    }
    if (k > 0) console.log(`${pad('geometric mean', 18, true)} ${pad(String(p), 3)} ${pad('', 12)} ${pad('', 12)} ${pad(Math.exp(logSum / k).toFixed(2), 12)}`);
  }
  if (cpu.size === 0) return;
  console.log(`\nserver CPU per request, µs (user + system; medians; clock ticks of 10 ms, so a figure moves by ~${(10_000 / o.n).toFixed(2)} µs per tick)`);
  console.log(`${pad('test', 18, true)} ${pad('-P', 3)} ${pad('redis user+sys', 16)} ${pad('shmkv user+sys', 16)} ${pad('redis/shmkv', 12)}`);
  const fmt = (xs: [number, number][]): [string, number] => {
    const u = median(xs.map((x) => x[0]));
    const y = median(xs.map((x) => x[1]));
    return [`${u.toFixed(2)}+${y.toFixed(2)}`, median(xs.map((x) => x[0] + x[1]))];
  };
  for (const [p, byTest] of cpu) {
    for (const [t, e] of byTest) {
      const [ra, rt] = fmt(e.redis);
      const [sa, st] = fmt(e.shmkv);
      console.log(`${pad(t, 18, true)} ${pad(String(p), 3)} ${pad(ra, 16)} ${pad(sa, 16)} ${pad((rt / st).toFixed(2), 12)}`);
    }
  }
}

async function flushall(port: number): Promise<void> {
  const c = await RawClient.connect(port);
  try {
    await c.call('FLUSHALL');
  } finally {
    c.close();
  }
}

/** Pipelined SETs of `keys` keys with values of `size` bytes (keys named as redis-benchmark's -r names them when `padded`). */
async function load(port: number, keys: number, size: number, padded = false): Promise<void> {
  const c = await RawClient.connect(port);
  const value = 'x'.repeat(size);
  const batch = 10000;
  for (let i = 0; i < keys; i += batch) {
    const parts: string[] = [];
    const n = Math.min(batch, keys - i);
    for (let j = 0; j < n; j++) {
      const k = padded ? `key:${String(i + j).padStart(12, '0')}` : `key:${i + j}`;
      parts.push(`*3\r\n$3\r\nSET\r\n$${k.length}\r\n${k}\r\n$${size}\r\n${value}\r\n`);
    }
    c.sendRaw(parts.join(''));
    await c.readN(n, 120000);
  }
  c.close();
}

async function dbsize(c: RawClient): Promise<number> {
  const v = decodeReply(await c.call('DBSIZE'));
  return v.type === 'integer' ? Number(v.value) : -1;
}

async function usedMemory(port: number): Promise<number> {
  const c = await RawClient.connect(port);
  const v = decodeReply(await c.call('INFO', 'memory'));
  c.close();
  const text = v.type === 'bulk' || v.type === 'verbatim' ? v.value.toString() : '';
  return Number(/used_memory:(\d+)/.exec(text)?.[1] ?? NaN);
}

/** Bytes of the segment file actually backed by memory (st_blocks). */
async function residentBytes(segment: string): Promise<number> {
  return fs.statSync(`/dev/shm/shmkv.${segment}`).blocks * 512;
}

async function restartMode(o: Opts): Promise<void> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-redis-'));
  const segment = `bench-restart-${process.pid}`;
  console.log(`loading ${o.keys} keys with ${o.valueSize}-byte values into each server...`);
  const rport = await freePort();
  let redis = await startRedis(rport, dir);
  const sport = await freePort();
  let shmkv = await startShmkv(sport, segment);
  try {
    const redisBase = await usedMemory(redis.port);
    const shmkvBase = await usedMemory(shmkv.port);
    let t0 = performance.now();
    await load(redis.port, o.keys, o.valueSize);
    console.log(`redis: loaded in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
    t0 = performance.now();
    await load(shmkv.port, o.keys, o.valueSize);
    console.log(`shmkv: loaded in ${((performance.now() - t0) / 1000).toFixed(1)} s`);

    // used_memory per key, as each server reports it (minus its empty baseline)
    const redisMem = (await usedMemory(redis.port)) - redisBase;
    const shmkvMem = (await usedMemory(shmkv.port)) - shmkvBase;
    const memLine =
      `used_memory per key: redis ${(redisMem / o.keys).toFixed(1)} B, shmkv ${(shmkvMem / o.keys).toFixed(1)} B ` +
      `(shmkv/redis ${(shmkvMem / redisMem).toFixed(2)}); shmkv segment resident: ${((await residentBytes(segment)) / 1e6).toFixed(1)} MB`;
    console.log(memLine);

    // redis: SAVE, stop, start again from the RDB
    const rc = await RawClient.connect(redis.port);
    t0 = performance.now();
    rc.send('SAVE');
    await rc.read(600000);
    const saveMs = performance.now() - t0;
    rc.close();
    await stop(redis, 'SIGKILL');
    const rdb = fs.statSync(path.join(dir, 'dump.rdb')).size;
    t0 = performance.now();
    const { child, exited } = launch('redis-server', ['--port', String(rport), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir, '--dbfilename', 'dump.rdb', '--daemonize', 'no', '--logfile', '']);
    redis = { port: rport, child, exited };
    await waitUp(rport, 600000, async (c) => (await dbsize(c)) === o.keys);
    const redisMs = performance.now() - t0;

    // shmkv: kill -9, start again on the same segment, several times (median)
    const withoutCa = { ...process.env };
    delete withoutCa.NODE_EXTRA_CA_CERTS;
    const caSet = process.env.NODE_EXTRA_CA_CERTS !== undefined;
    const restarts = async (env: NodeJS.ProcessEnv): Promise<number> => {
      const times: number[] = [];
      for (let i = 0; i < 7; i++) {
        await stop(shmkv, 'SIGKILL');
        t0 = performance.now();
        const s = launch(process.execPath, [SERVER_MAIN, '--port', String(sport), '--segment', segment, '--save', '', '--loglevel', 'warning'], env);
        shmkv = { port: sport, child: s.child, exited: s.exited };
        await waitUp(sport, 600000, async (c) => (await dbsize(c)) === o.keys, 0.5);
        times.push(performance.now() - t0);
      }
      return median(times);
    };
    const shmkvMs = await restarts(process.env);
    const shmkvNoCaMs = caSet ? await restarts(withoutCa) : shmkvMs;

    // Node's own floor: a process that only answers PING on a port
    const floor = async (env: NodeJS.ProcessEnv): Promise<number> => {
      const times: number[] = [];
      const port = await freePort();
      const code = `require('net').createServer((s) => s.on('data', () => s.write('+PONG\\r\\n'))).listen(${port}, '127.0.0.1')`;
      for (let i = 0; i < 7; i++) {
        t0 = performance.now();
        const p = launch(process.execPath, ['-e', code], env);
        await waitUp(port, 30000, undefined, 0.5);
        times.push(performance.now() - t0);
        await stop({ port, child: p.child, exited: p.exited }, 'SIGKILL');
      }
      return median(times);
    };
    const nodeMs = await floor(process.env);
    const nodeNoCaMs = caSet ? await floor(withoutCa) : nodeMs;

    console.log('');
    console.log(`redis-server: SAVE ${saveMs.toFixed(0)} ms (RDB ${(rdb / 1e6).toFixed(1)} MB), restart to PING + DBSIZE=${o.keys}: ${redisMs.toFixed(0)} ms`);
    console.log(
      `shmkv-server: kill -9, restart on the same segment to PING + DBSIZE=${o.keys}: ${shmkvMs.toFixed(0)} ms ` +
        `(median of 7; a Node process that only answers PING: ${nodeMs.toFixed(0)} ms)`,
    );
    if (caSet) {
      console.log(
        `  without NODE_EXTRA_CA_CERTS (set here; Node parses those certificates at every start): ` +
          `shmkv-server ${shmkvNoCaMs.toFixed(0)} ms, PING-only Node process ${nodeNoCaMs.toFixed(0)} ms`,
      );
    }
  } finally {
    await stop(redis);
    await stop(shmkv);
    fs.rmSync(dir, { recursive: true, force: true });
    try {
      fs.unlinkSync(`/dev/shm/shmkv.${segment}`);
    } catch {
      // gone
    }
  }
}

const opts = parseArgs();
if (spawnSync('redis-benchmark', ['--version']).status !== 0 || spawnSync('redis-server', ['--version']).status !== 0) {
  console.error('redis-server and redis-benchmark are needed');
  process.exit(1);
}
(opts.restart ? restartMode(opts) : throughput(opts)).catch((e) => {
  console.error(e);
  process.exit(1);
});
