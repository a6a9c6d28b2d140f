/**
 * The server's command path without sockets: pipelined requests fed straight to the
 * server's input handler (parse → lookup → store → reply bytes), so changes to the hot
 * path can be timed without the kernel's share and its noise.
 *
 *   node dist/bench/dispatch.bench.js [--tests set,get,incr,mset] [--pipeline 16] [--keys 100000] [--ms 500 | --count N] [--rounds 9]
 *
 * `ping` (PING_MBULK) is the command path's fixed cost: parsing, lookup, checks, statistics, reply;
 * `lpushx` (of a missing key) adds a write command's lock and operation.
 * The collection tests (lpush, rpop, sadd, hset, spop, zadd, zpopmin) send what
 * redis-benchmark sends for them (one key each: mylist, myset, myhash, myzset) and start
 * each round from an empty keyspace (FLUSHALL, untimed), as redis-benchmark.js does: RPOP,
 * SPOP and ZPOPMIN then find no key.
 *
 * Prints commands per CPU-second per test (median and best of the rounds). Asserts nothing.
 */
import { Server } from '../src/server/server.js';
import { Client } from '../src/server/client.js';
import { loadConfig } from '../src/config/config.js';
import { Logger } from '../src/util/log.js';
import { openKeyspace } from '../src/keyspace/open.js';
import { unlinkPosix } from '../src/shm/posix.js';
import type net from 'node:net';

function opt(name: string, dflt: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1]! : dflt;
}
const TESTS = opt('tests', 'set,get,incr,mset').split(',');
const PIPE = Number(opt('pipeline', '16'));
const KEYS = Number(opt('keys', '100000'));
const MS = Number(opt('ms', '500'));
const ROUNDS = Number(opt('rounds', '9'));
/** Fixed work per round instead of fixed time (for `perf stat` instruction counts). */
const COUNT = Number(opt('count', '0'));

function cmd(...args: string[]): string {
  let s = `*${args.length}\r\n`;
  for (const a of args) s += `$${Buffer.byteLength(a)}\r\n${a}\r\n`;
  return s;
}
function key(i: number): string {
  return 'key:' + String(i).padStart(12, '0');
}
/** Like redis-benchmark -r: each request's key drawn at random from KEYS. */
function request(test: string): string {
  const r = () => Math.floor(Math.random() * KEYS);
  switch (test) {
    case 'ping':
      return cmd('PING');
    case 'lpushx':
      // a write command that writes nothing (the key is absent): the lock and an operation around a lookup
      return cmd('LPUSHX', 'nolist', 'xxx');
    case 'set':
      return cmd('SET', key(r()), 'xxx');
    case 'get':
      return cmd('GET', key(r()));
    case 'incr':
      return cmd('INCR', 'counter:' + String(r()).padStart(12, '0'));
    case 'mset': {
      const a = ['MSET'];
      for (let i = 0; i < 10; i++) a.push(key(r()), 'xxx');
      return cmd(...a);
    }
    case 'rpush':
      return cmd('RPUSH', 'mylist', 'xxx');
    case 'lpush':
      return cmd('LPUSH', 'mylist', 'xxx');
    case 'rpop':
      return cmd('RPOP', 'mylist');
    case 'sadd':
      return cmd('SADD', 'myset', 'element:' + String(r()).padStart(12, '0'));
    case 'hset':
      return cmd('HSET', 'myhash', 'element:' + String(r()).padStart(12, '0'), 'xxx');
    case 'spop':
      return cmd('SPOP', 'myset');
    case 'zadd':
      return cmd('ZADD', 'myzset', String(r()).padStart(12, '0'), 'element:' + String(r()).padStart(12, '0'));
    case 'zpopmin':
      return cmd('ZPOPMIN', 'myzset');
    default:
      throw new Error(`unknown test ${test}`);
  }
}

const sink = { bytes: 0 };
const fakeSocket = {
  remoteAddress: '127.0.0.1',
  remotePort: 1,
  localAddress: '127.0.0.1',
  localPort: 6379,
  writableLength: 0,
  write(b: Buffer) {
    sink.bytes += b.length;
    return true;
  },
  on() {},
  pause() {},
  resume() {},
  destroy() {},
  destroySoon() {},
} as unknown as net.Socket;

const SEGMENT = `bench-dispatch-${process.pid}`;
const store = openKeyspace({ segment: SEGMENT, reserve: 4 * 2 ** 30 });
process.on('exit', () => unlinkPosix(SEGMENT));
// (no RDB: the FLUSHALL between rounds would write dump.rdb where the bench runs, as Redis would)
const config = loadConfig(['--save', '']);
const server = new Server({ config, ks: store, log: new Logger('warning', '') });
const client = new Client(1, fakeSocket, 'tcp', { maxBulkLen: 512 << 20, authRequired: false, unixsocket: '' });
const onData = (server as unknown as { onData(c: Client, b: Buffer, shared: boolean): void }).onData.bind(server);

// 1024 distinct pipelined batches per test, cycled
const batches = new Map<string, Buffer[]>();
for (const t of TESTS) {
  const list: Buffer[] = [];
  for (let b = 0; b < 1024; b++) {
    let s = '';
    for (let i = 0; i < PIPE; i++) s += request(t);
    list.push(Buffer.from(s));
  }
  batches.set(t, list);
}
const COLLECTION_TESTS = ['lpush', 'rpush', 'rpop', 'sadd', 'hset', 'spop', 'zadd', 'zpopmin'];
// preload the keys so SET/GET find them (as after redis-benchmark's first round)
for (let i = 0; i < KEYS && !TESTS.every((t) => COLLECTION_TESTS.includes(t)); i += 1000) {
  let s = '';
  for (let j = i; j < Math.min(KEYS, i + 1000); j++) s += cmd('SET', key(j), 'xxx');
  onData(client, Buffer.from(s), true);
}

for (const t of TESTS) {
  const list = batches.get(t)!;
  const res: number[] = [];
  const fresh = COLLECTION_TESTS.includes(t);
  for (let r = 0; r < ROUNDS + 1; r++) {
    if (fresh) onData(client, Buffer.from(cmd('FLUSHALL', 'SYNC')), true);
    let n = 0;
    let i = 0;
    const t0 = performance.now();
    const c0 = process.cpuUsage();
    let t1 = t0;
    while (COUNT > 0 ? n < COUNT : t1 - t0 < MS) {
      for (let k = 0; k < 64; k++) {
        onData(client, list[i++ & 1023]!, true);
        n += PIPE;
      }
      t1 = performance.now();
    }
    // CPU time, not wall time: a shared machine takes the CPU away at random
    const cpu = process.cpuUsage(c0);
    if (r > 0) res.push((n / (cpu.user + cpu.system)) * 1e6); // round 0 warms up
  }
  res.sort((a, b) => a - b);
  const fmt = (x: number) => Math.round(x).toLocaleString('en-US').padStart(10);
  // the best round is the least disturbed by other load on a shared machine
  console.log(`${t.toUpperCase().padEnd(6)} -P ${PIPE}: median ${fmt(res[res.length >> 1]!)}  best ${fmt(res[res.length - 1]!)} commands per CPU-second`);
}
