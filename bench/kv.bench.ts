/**
 * The library against its peers, in one run: ops/s of `get` and `set` of KEYS keys
 * (default 1,000,000) with 16-byte values, keys taken in a fixed pseudo-random order, for
 *
 *   kv        shmkv's `kv` (open()), one process: every call goes through the engine
 *   kvc       the same with its near cache (open({ cache: { entries: KEYS } })): `get` is a
 *             second read of every key (answered from the cache), `get 1st` the first one
 *             (each a read of the segment that fills the cache)
 *   kv x2     shmkv's `kv` from 2 child processes at once on one segment (each takes every
 *             other key of the order); per process, and in total (by CPU time: the sum of
 *             the two processes' rates; by wall time: all operations over the time from the
 *             first start to the last end)
 *   lmdb      lmdb-js (the database on tmpfs, values as utf8 strings): sync get of every key;
 *             putSync (one transaction per put: timed on the first LMDB_SYNC keys of the
 *             order, default 200,000, into an empty database / over existing keys); and the
 *             batched async put: LMDB_BATCH puts issued, then awaited (one transaction each)
 *   lmdbc     lmdb-js opened with `cache: true` (its in-process cache of values read and
 *             written): the keys put in batches, then a sync get of every key
 *   lru       lru-cache (max = KEYS)
 *   map       a plain Map
 *   redis     ioredis to a real redis-server (started here on a free port, stopped by pid):
 *             each reply awaited (AWAITED keys of the order), and pipelined in batches of PIPE
 *
 * Phases: `set new` (into an empty store), `set over` (overwrite every key), `get` (every
 * key exists). Each phase is timed by CPU time (process.cpuUsage: every thread of the
 * process; for redis the client's plus the server's, from /proc) and by wall time, ROUNDS
 * times; the table shows medians. CPU time is the figure to compare on a shared machine
 * (wall time counts what other processes take); for the awaited redis round trip, whose
 * cost is mostly waiting, wall time is the one that matters.
 *
 *   node dist/bench/kv.bench.js [--keys 1000000] [--rounds 5] [--only kv,kvc,kv2,lmdb,lmdbc,lru,map,redis]
 *                               [--awaited 50000] [--pipeline 100] [--lmdb-batch 1000] [--lmdb-sync 200000]
 *
 * The segment (/dev/shm/shmkv.bench-kv-<pid>) and the lmdb files are removed at exit.
 * Asserts nothing (a get that finds nothing is reported as a warning).
 */
import { fork, spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { open, type KV } from '../src/kv/index.js';
import { unlinkPosix } from '../src/shm/posix.js';

function opt(name: string, dflt: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1]! : dflt;
}
const KEYS = Number(opt('keys', '1000000'));
const ROUNDS = Number(opt('rounds', '5'));
const ONLY = new Set(opt('only', 'kv,kvc,kv2,lmdb,lmdbc,lru,map,redis').split(','));
const AWAITED = Math.min(KEYS, Number(opt('awaited', '50000')));
const PIPE = Number(opt('pipeline', '100'));
const LMDB_BATCH = Number(opt('lmdb-batch', '1000'));
const LMDB_SYNC = Math.min(KEYS, Number(opt('lmdb-sync', '200000')));

// ------------------------------------------------------------------------------ the data

/** 16-byte keys: key:000000000123 */
function makeKeys(n: number): string[] {
  const a = new Array<string>(n);
  for (let i = 0; i < n; i++) a[i] = 'key:' + String(i).padStart(12, '0');
  return a;
}

/** A fixed pseudo-random permutation of 0..n-1 (xorshift32 Fisher-Yates). */
function permutation(n: number, seed: number): Uint32Array {
  const p = new Uint32Array(n);
  for (let i = 0; i < n; i++) p[i] = i;
  let x = seed >>> 0 || 1;
  for (let i = n - 1; i > 0; i--) {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    const j = x % (i + 1);
    const t = p[i]!;
    p[i] = p[j]!;
    p[j] = t;
  }
  return p;
}

const VAL_NEW = 'value:new:000001'; // 16 bytes
const VAL_OVER = 'value:over:00002'; // 16 bytes

/** The keys in the order of each phase (one order for sets, another for gets). */
function ordered(keys: string[], seed: number): string[] {
  const p = permutation(keys.length, seed);
  const a = new Array<string>(keys.length);
  for (let i = 0; i < keys.length; i++) a[i] = keys[p[i]!]!;
  return a;
}

// ------------------------------------------------------------------------------ timing

interface Sample {
  /** ops per CPU-second */
  cpu: number;
  /** ops per wall-second */
  wall: number;
}

function cpuSeconds(since?: NodeJS.CpuUsage): number {
  const c = process.cpuUsage(since);
  return (c.user + c.system) / 1e6;
}

/** Time fn (which does n operations) by CPU and wall clock. */
function timeSync(n: number, fn: () => void): Sample {
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  fn();
  const wall = (performance.now() - t0) / 1000;
  const cpu = cpuSeconds(c0);
  return { cpu: n / cpu, wall: n / wall };
}

async function timeAsync(n: number, fn: () => Promise<void>, otherCpu: () => number = () => 0): Promise<Sample> {
  const o0 = otherCpu();
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  await fn();
  const wall = (performance.now() - t0) / 1000;
  const cpu = cpuSeconds(c0) + (otherCpu() - o0);
  return { cpu: n / cpu, wall: n / wall };
}

type Phase = 'set new' | 'set over' | 'get';
const PHASES: Phase[] = ['set new', 'set over', 'get'];
const results = new Map<string, Map<Phase, Sample[]>>();
function record(subject: string, phase: Phase, s: Sample): void {
  let m = results.get(subject);
  if (m === undefined) results.set(subject, (m = new Map()));
  let a = m.get(phase);
  if (a === undefined) m.set(phase, (a = []));
  a.push(s);
}

let missWarned = false;
function checkMisses(subject: string, misses: number): void {
  if (misses > 0 && !missWarned) {
    missWarned = true;
    console.error(`warning: ${subject}: ${misses} gets found nothing`);
  }
}

// ------------------------------------------------------------------------------ child process (kv x2)

interface ChildResult {
  cpu: number;
  wall: number;
  /** start and end, ms since the epoch (performance.timeOrigin based) */
  t0: number;
  t1: number;
  misses: number;
}

if (process.argv[2] === '--child') {
  const segment = process.argv[3]!;
  const idx = Number(process.argv[4]);
  const nproc = Number(process.argv[5]);
  const keys = makeKeys(KEYS);
  const setOrder = ordered(keys, 1).filter((_, i) => i % nproc === idx);
  const getOrder = ordered(keys, 2).filter((_, i) => i % nproc === idx);
  const kv = open({ segment, create: false });
  process.on('message', (m: { phase: Phase | 'exit' }) => {
    if (m.phase === 'exit') {
      kv.close();
      process.exit(0);
    }
    const list = m.phase === 'get' ? getOrder : setOrder;
    const val = m.phase === 'set new' ? VAL_NEW : VAL_OVER;
    const n = list.length;
    let misses = 0;
    const c0 = process.cpuUsage();
    const t0 = performance.timeOrigin + performance.now();
    if (m.phase === 'get') {
      for (let i = 0; i < n; i++) if (kv.get(list[i]!) === null) misses++;
    } else {
      for (let i = 0; i < n; i++) kv.set(list[i]!, val);
    }
    const t1 = performance.timeOrigin + performance.now();
    const cpu = cpuSeconds(c0);
    const r: ChildResult = { cpu: n / cpu, wall: n / ((t1 - t0) / 1000), t0, t1, misses };
    process.send!(r);
  });
  process.send!('ready');
} else {
  await main();
}

// ------------------------------------------------------------------------------ subjects

async function main(): Promise<void> {
  const keys = makeKeys(KEYS);
  const setOrder = ordered(keys, 1);
  const getOrder = ordered(keys, 2);
  const N = KEYS;

  const segment = `bench-kv-${process.pid}`;
  const lmdbDir = fs.mkdtempSync(path.join(fs.existsSync('/dev/shm') ? '/dev/shm' : os.tmpdir(), 'shmkv-bench-lmdb-'));
  const children: ChildProcess[] = [];
  let redisPid = 0;
  const cleanup = () => {
    for (const c of children) if (c.exitCode === null) c.kill();
    if (redisPid !== 0) {
      try {
        process.kill(redisPid);
      } catch {
        /* gone */
      }
      redisPid = 0;
    }
    try {
      unlinkPosix(segment);
    } catch {
      /* not created */
    }
    fs.rmSync(lmdbDir, { recursive: true, force: true });
  };
  process.on('exit', cleanup);
  for (const sig of ['SIGINT', 'SIGTERM'] as const) process.on(sig, () => process.exit(130));

  const kv: KV | null = ONLY.has('kv') || ONLY.has('kv2') ? open({ segment }) : null;

  // -------------------------------------------------------------- kv, one process
  // (with `firstGet`, a handle with its near cache: the first read of every key, which fills
  // it, is recorded under that subject, and `get` is a second read)
  const kvRound = (k: KV, subject: string, firstGet?: string) => {
    k.flushall();
    record(subject, 'set new', timeSync(N, () => {
      for (let i = 0; i < N; i++) k.set(setOrder[i]!, VAL_NEW);
    }));
    record(subject, 'set over', timeSync(N, () => {
      for (let i = 0; i < N; i++) k.set(setOrder[i]!, VAL_OVER);
    }));
    let misses = 0;
    const getAll = () => {
      for (let i = 0; i < N; i++) if (k.get(getOrder[i]!) === null) misses++;
    };
    if (firstGet !== undefined) record(firstGet, 'get', timeSync(N, getAll));
    record(subject, 'get', timeSync(N, getAll));
    checkMisses(subject, misses);
  };

  // -------------------------------------------------------------- kv with its near cache
  const kvcRound = () => {
    const kvc = open({ segment, cache: { entries: N } });
    kvRound(kvc, 'kv near cache', 'kv near cache 1st get');
    kvc.close();
  };

  // -------------------------------------------------------------- kv, two processes
  const NPROC = 2;
  const kv2Round = async (kv: KV) => {
    if (children.length === 0) {
      const script = fileURLToPath(import.meta.url);
      const ready: Promise<void>[] = [];
      for (let i = 0; i < NPROC; i++) {
        const c = fork(script, ['--child', segment, String(i), String(NPROC), '--keys', String(KEYS)], { stdio: 'inherit' });
        children.push(c);
        ready.push(new Promise((res) => c.once('message', () => res())));
      }
      await Promise.all(ready);
    }
    kv.flushall();
    for (const phase of PHASES) {
      const rs = await Promise.all(
        children.map(
          (c) =>
            new Promise<ChildResult>((res) => {
              c.once('message', (m) => res(m as ChildResult));
              c.send({ phase });
            }),
        ),
      );
      rs.forEach((r, i) => {
        record(`kv x2 #${i + 1}`, phase, { cpu: r.cpu, wall: r.wall });
        checkMisses('kv x2', r.misses);
      });
      const t0 = Math.min(...rs.map((r) => r.t0));
      const t1 = Math.max(...rs.map((r) => r.t1));
      record('kv x2 total', phase, { cpu: rs.reduce((s, r) => s + r.cpu, 0), wall: N / ((t1 - t0) / 1000) });
    }
  };

  // -------------------------------------------------------------- lmdb-js
  type LmdbDb = {
    get(k: string): unknown;
    putSync(k: string, v: string): void;
    put(k: string, v: string): Promise<boolean>;
    clearSync(): void;
    close(): Promise<void>;
  };
  let lmdb: LmdbDb | null = null;
  const lmdbRound = async () => {
    if (lmdb === null) {
      const m = (await import('lmdb')) as unknown as { open(o: object): LmdbDb };
      // strings stored as utf8 (no msgpack framing): what kv stores and returns
      lmdb = m.open({ path: path.join(lmdbDir, 'db'), encoding: 'string' });
    }
    const db = lmdb;
    const batched = async (val: string) => {
      for (let i = 0; i < N; ) {
        const end = Math.min(N, i + LMDB_BATCH);
        let last: Promise<boolean> | null = null;
        for (; i < end; i++) last = db.put(setOrder[i]!, val);
        await last;
      }
    };
    // putSync is a transaction per put (~20-30 us): timed on the first LMDB_SYNC keys of the order
    const S = LMDB_SYNC;
    db.clearSync();
    record('lmdb putSync', 'set new', timeSync(S, () => {
      for (let i = 0; i < S; i++) db.putSync(setOrder[i]!, VAL_NEW);
    }));
    db.clearSync();
    record('lmdb put batch', 'set new', await timeAsync(N, () => batched(VAL_NEW)));
    record('lmdb put batch', 'set over', await timeAsync(N, () => batched(VAL_OVER)));
    record('lmdb putSync', 'set over', timeSync(S, () => {
      for (let i = 0; i < S; i++) db.putSync(setOrder[i]!, VAL_NEW);
    }));
    let misses = 0;
    record('lmdb', 'get', timeSync(N, () => {
      for (let i = 0; i < N; i++) if (db.get(getOrder[i]!) === undefined) misses++;
    }));
    checkMisses('lmdb', misses);
  };

  // -------------------------------------------------------------- lmdb-js with its cache
  // (lmdb-js's own answer to the same question: `cache: true` keeps values read or written
  // in a weak-LRU cache of this process; the peer of kv's near cache)
  let lmdbc: LmdbDb | null = null;
  const lmdbcRound = async () => {
    if (lmdbc === null) {
      const m = (await import('lmdb')) as unknown as { open(o: object): LmdbDb };
      lmdbc = m.open({ path: path.join(lmdbDir, 'dbc'), encoding: 'string', cache: true });
    }
    const db = lmdbc;
    db.clearSync();
    for (let i = 0; i < N; ) {
      const end = Math.min(N, i + LMDB_BATCH);
      let last: Promise<boolean> | null = null;
      for (; i < end; i++) last = db.put(setOrder[i]!, VAL_NEW);
      await last;
    }
    let misses = 0;
    record('lmdb cache', 'get', timeSync(N, () => {
      for (let i = 0; i < N; i++) if (db.get(getOrder[i]!) === undefined) misses++;
    }));
    checkMisses('lmdb cache', misses);
  };

  // -------------------------------------------------------------- lru-cache
  const lruRound = async () => {
    const { LRUCache } = await import('lru-cache');
    const c = new LRUCache<string, string>({ max: Math.max(N, 1_000_000) });
    record('lru-cache', 'set new', timeSync(N, () => {
      for (let i = 0; i < N; i++) c.set(setOrder[i]!, VAL_NEW);
    }));
    record('lru-cache', 'set over', timeSync(N, () => {
      for (let i = 0; i < N; i++) c.set(setOrder[i]!, VAL_OVER);
    }));
    let misses = 0;
    record('lru-cache', 'get', timeSync(N, () => {
      for (let i = 0; i < N; i++) if (c.get(getOrder[i]!) === undefined) misses++;
    }));
    checkMisses('lru-cache', misses);
  };

  // -------------------------------------------------------------- Map
  const mapRound = () => {
    const m = new Map<string, string>();
    record('Map', 'set new', timeSync(N, () => {
      for (let i = 0; i < N; i++) m.set(setOrder[i]!, VAL_NEW);
    }));
    record('Map', 'set over', timeSync(N, () => {
      for (let i = 0; i < N; i++) m.set(setOrder[i]!, VAL_OVER);
    }));
    let misses = 0;
    record('Map', 'get', timeSync(N, () => {
      for (let i = 0; i < N; i++) if (m.get(getOrder[i]!) === undefined) misses++;
    }));
    checkMisses('Map', misses);
  };

  // -------------------------------------------------------------- ioredis + redis-server
  type IORedis = {
    get(k: string): Promise<string | null>;
    set(k: string, v: string): Promise<string>;
    flushall(): Promise<string>;
    pipeline(): { get(k: string): unknown; set(k: string, v: string): unknown; exec(): Promise<unknown> };
    quit(): Promise<string>;
  };
  let redis: IORedis | null = null;
  const redisCpu = (): number => {
    // utime + stime of the server, in clock ticks (100 per second on Linux)
    const f = fs.readFileSync(`/proc/${redisPid}/stat`, 'latin1');
    const rest = f.slice(f.lastIndexOf(')') + 2).split(' ');
    return (Number(rest[11]) + Number(rest[12])) / 100;
  };
  const redisRound = async () => {
    if (redis === null) {
      const port = await freePort();
      const child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--logfile', '', '--daemonize', 'no'], { stdio: 'ignore' });
      redisPid = child.pid!;
      const { Redis } = (await import('ioredis')) as unknown as { Redis: new (o: object) => IORedis };
      for (let i = 0; ; i++) {
        try {
          const r = new Redis({ port, host: '127.0.0.1', lazyConnect: false, maxRetriesPerRequest: 0, retryStrategy: () => null });
          await r.flushall();
          redis = r;
          break;
        } catch (e) {
          if (i > 50) throw e;
          await new Promise((r) => setTimeout(r, 100));
        }
      }
    }
    const r = redis!;
    // a warm connection and warm code before the first timed phase
    for (let i = 0; i < 2000; i++) await r.get('warm-up');
    const awaitedSet = async (val: string) => {
      for (let i = 0; i < AWAITED; i++) await r.set(setOrder[i]!, val);
    };
    const pipelined = async (list: string[], val: string | null) => {
      for (let i = 0; i < N; ) {
        const p = r.pipeline();
        const end = Math.min(N, i + PIPE);
        if (val === null) for (; i < end; i++) p.get(list[i]!);
        else for (; i < end; i++) p.set(list[i]!, val);
        await p.exec();
      }
    };
    await r.flushall();
    record('ioredis awaited', 'set new', await timeAsync(AWAITED, () => awaitedSet(VAL_NEW), redisCpu));
    await r.flushall();
    record(`ioredis pipeline ${PIPE}`, 'set new', await timeAsync(N, () => pipelined(setOrder, VAL_NEW), redisCpu));
    record(`ioredis pipeline ${PIPE}`, 'set over', await timeAsync(N, () => pipelined(setOrder, VAL_OVER), redisCpu));
    // (the keys hold VAL_OVER now: VAL_NEW overwrites them)
    record('ioredis awaited', 'set over', await timeAsync(AWAITED, () => awaitedSet(VAL_NEW), redisCpu));
    record(`ioredis pipeline ${PIPE}`, 'get', await timeAsync(N, () => pipelined(getOrder, null), redisCpu));
    let misses = 0;
    record('ioredis awaited', 'get', await timeAsync(AWAITED, async () => {
      for (let i = 0; i < AWAITED; i++) if ((await r.get(getOrder[i]!)) === null) misses++;
    }, redisCpu));
    checkMisses('ioredis', misses);
  };

  // -------------------------------------------------------------- the rounds
  console.log(`keys ${N.toLocaleString('en-US')}, values 16 bytes, ${ROUNDS} rounds, node ${process.version}, ${os.cpus().length} cpus (${os.cpus()[0]?.model ?? '?'})`);
  for (let round = 1; round <= ROUNDS; round++) {
    const t = performance.now();
    if (ONLY.has('kv')) kvRound(kv!, 'kv');
    if (ONLY.has('kvc')) kvcRound();
    if (ONLY.has('kv2')) await kv2Round(kv!);
    if (ONLY.has('lmdb')) await lmdbRound();
    if (ONLY.has('lmdbc')) await lmdbcRound();
    if (ONLY.has('lru')) await lruRound();
    if (ONLY.has('map')) mapRound();
    if (ONLY.has('redis')) await redisRound();
    console.error(`round ${round}/${ROUNDS} done in ${((performance.now() - t) / 1000).toFixed(1)} s`);
  }
  for (const c of children) c.send({ phase: 'exit' });
  await Promise.all(children.map((c) => new Promise((res) => (c.exitCode !== null ? res(null) : c.once('exit', res)))));
  if (redis !== null) await (redis as IORedis).quit();
  if (lmdb !== null) await (lmdb as LmdbDb).close();
  if (lmdbc !== null) await (lmdbc as LmdbDb).close();
  kv?.close();
  report();
  // lmdb's write thread and ioredis's sockets may keep the loop alive: the work is done
  process.exit(0);
}

// ------------------------------------------------------------------------------ the report

function median(a: number[]): number {
  const s = [...a].sort((x, y) => x - y);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

function med(subject: string, phase: Phase, kind: 'cpu' | 'wall'): number | null {
  const a = results.get(subject)?.get(phase);
  return a === undefined || a.length === 0 ? null : median(a.map((s) => s[kind]));
}

function report(): void {
  const fmt = (x: number | null) => (x === null ? '-' : x >= 1e5 ? (x / 1e6).toFixed(3) + 'M' : (x / 1e3).toFixed(1) + 'k');
  console.log('\nmedian ops/s: by CPU time / by wall time');
  const w = 22;
  console.log('subject'.padEnd(w) + PHASES.map((p) => p.padStart(20)).join(''));
  for (const subject of results.keys()) {
    let line = subject.padEnd(w);
    for (const p of PHASES) line += `${fmt(med(subject, p, 'cpu'))} / ${fmt(med(subject, p, 'wall'))}`.padStart(20);
    console.log(line);
  }
  const ratio = (label: string, a: number | null, b: number | null, target: number) => {
    if (a === null || b === null) return;
    const r = a / b;
    console.log(`${label.padEnd(46)} ${r.toFixed(2).padStart(7)}   (target >= ${target})`);
  };
  console.log('\nratios (CPU-time medians; ioredis awaited by wall time)');
  ratio('kv.get / lru-cache get', med('kv', 'get', 'cpu'), med('lru-cache', 'get', 'cpu'), 1);
  ratio('kv.get / lmdb get', med('kv', 'get', 'cpu'), med('lmdb', 'get', 'cpu'), 2);
  ratio('kv.get near cache / lru-cache get', med('kv near cache', 'get', 'cpu'), med('lru-cache', 'get', 'cpu'), 1);
  ratio('kv.get near cache / lmdb get', med('kv near cache', 'get', 'cpu'), med('lmdb', 'get', 'cpu'), 2);
  ratio('kv.get near cache / lmdb get with its cache', med('kv near cache', 'get', 'cpu'), med('lmdb cache', 'get', 'cpu'), 1);
  ratio('kv.get near cache 1st / kv.get', med('kv near cache 1st get', 'get', 'cpu'), med('kv', 'get', 'cpu'), 1);
  ratio('kv.set(new) / lru-cache set(new)', med('kv', 'set new', 'cpu'), med('lru-cache', 'set new', 'cpu'), 1);
  ratio('kv.set(over) / lru-cache set(over)', med('kv', 'set over', 'cpu'), med('lru-cache', 'set over', 'cpu'), 1);
  ratio('kv.get / awaited ioredis get (wall)', med('kv', 'get', 'wall'), med('ioredis awaited', 'get', 'wall'), 25);
  ratio('kv.set(new) / awaited ioredis set(new) (wall)', med('kv', 'set new', 'wall'), med('ioredis awaited', 'set new', 'wall'), 25);
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen({ host: '127.0.0.1', port: 0 }, () => {
      const p = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(p));
    });
  });
}
