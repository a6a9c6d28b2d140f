/**
 * Pub/sub (issue 10), shmkv against redis-server in the same run:
 *
 *   node dist/bench/pubsub.js [--messages 50000] [--latency-messages 2000] [--subscribers 1,10,100]
 *
 * 1. Server to server: redis-server and shmkv-server fresh on free ports, pinned to CPU 0
 *    (taskset, when present); this process (publisher and subscribers, one event loop) on
 *    CPU 1. For each subscriber count S, on each server (which goes first alternates S by S):
 *    S RawClient connections SUBSCRIBE one channel, one more connection PUBLISHes 16-byte
 *    payloads ('T'/'L' + the 15-digit ns since the run started, process.hrtime).
 *    - throughput: `messages` PUBLISH pipelined (at most 10,000 ahead of the slowest
 *      subscriber, so no output buffer limit is hit), from the first write to the moment
 *      every subscriber has every message: messages/s (and deliveries/s = S × that);
 *    - latency: `latency-messages` PUBLISH one at a time (the next once every subscriber
 *      got the previous one); each subscriber stamps the receive time of each message as
 *      its bytes arrive: p50/p99 over every (message, subscriber) of receive − publish stamp,
 *      µs. The subscribers share the publisher's event loop: with S = 100, the later ones
 *      of a message also wait for the earlier ones' reads, on both servers alike.
 *    Prints each server's figures and shmkv/redis.
 * 2. Library to library across two processes, one subscriber: this process publishes with
 *    `kv.publish` on a segment of its own (no server), a child process (pinned to CPU 0)
 *    receives with `kv.subscribe`; the same through redis-server: a RawClient PUBLISHes,
 *    the child SUBSCRIBEs with a RawClient. Throughput as above (the child reports its
 *    progress over IPC every 1,000 messages) and latency as above (the child stamps the
 *    receive time, CLOCK_MONOTONIC is the same in both processes, and acknowledges over IPC
 *    before the next publish; the acknowledgement is not in the figure). For reference:
 *    a round trip to redis-server (PING, median and p99 of `latency-messages`).
 * No assertions: figures only. Segments made are removed, servers stopped by pid.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import type net from 'node:net';
import { fileURLToPath } from 'node:url';
import { RawClient, encodeCommand } from '../test/helpers/raw-client.js';
import { sleep } from '../test/helpers/ports.js';
import { open } from '../src/kv/index.js';
import { haveTaskset, startServer, stopServer } from './servers.js';

const SERVER_MAIN = fileURLToPath(new URL('../src/server/launch.cjs', import.meta.url));
const SELF = fileURLToPath(import.meta.url);
const CHANNEL = 'bench:pubsub';
/** How far the publisher may run ahead of the slowest subscriber (messages). */
const WINDOW = 10_000;
/** Messages per write / per synchronous burst of kv.publish. */
const BATCH = 500;

interface Opts {
  messages: number;
  latencyMessages: number;
  subscribers: number[];
}

function parseArgs(): Opts {
  const o: Opts = { messages: 50_000, latencyMessages: 2000, subscribers: [1, 10, 100] };
  const a = process.argv.slice(2);
  for (let i = 0; i < a.length; i += 2) {
    const v = a[i + 1]!;
    if (a[i] === '--messages') o.messages = Number(v);
    else if (a[i] === '--latency-messages') o.latencyMessages = Number(v);
    else if (a[i] === '--subscribers') o.subscribers = v.split(',').map(Number);
    else {
      console.error(`unknown option ${a[i]}`);
      process.exit(2);
    }
  }
  return o;
}


// ------------------------------------------------------------------ payloads and records

/** A 16-byte payload: a kind letter and the ns since t0 (15 digits: 11 days). */
function payload(kind: 'W' | 'T' | 'L' | 'E', t0: bigint): string {
  return kind + String(process.hrtime.bigint() - t0).padStart(15, '0');
}

/** The RESP2 bytes a subscriber gets for one message of CHANNEL (16-byte payload). */
const MESSAGE_LEN = Buffer.byteLength(`*3\r\n$7\r\nmessage\r\n$${CHANNEL.length}\r\n${CHANNEL}\r\n$16\r\n${'x'.repeat(16)}\r\n`);
/** Offset of the payload in it. */
const PAYLOAD_AT = MESSAGE_LEN - 18;

/**
 * Cut a socket's bytes into fixed-length records (every message, every PUBLISH reply of one
 * run has the same length), calling `each(chunk, offset, now)` per record: no RESP parsing
 * per message, so the client side costs as little as it can.
 */
class Records {
  count = 0;
  private rest: Buffer = Buffer.alloc(0);
  constructor(
    socket: net.Socket,
    first: Buffer,
    private readonly len: number,
    private readonly each: (b: Buffer, off: number, now: bigint) => void,
    private readonly wake: () => void,
  ) {
    socket.removeAllListeners('data');
    socket.on('data', (d: Buffer) => this.feed(d));
    if (first.length > 0) this.feed(first);
  }
  private feed(d: Buffer): void {
    const now = process.hrtime.bigint();
    const b = this.rest.length > 0 ? Buffer.concat([this.rest, d]) : d;
    let off = 0;
    for (; off + this.len <= b.length; off += this.len) {
      this.count++;
      this.each(b, off, now);
    }
    this.rest = off < b.length ? Buffer.from(b.subarray(off)) : Buffer.alloc(0);
    this.wake();
  }
}

/** Wake-ups: a data handler calls wake(), the driver awaits until(cond). */
class Waiter {
  private w: (() => void) | null = null;
  wake = (): void => {
    const f = this.w;
    this.w = null;
    f?.();
  };
  async until(cond: () => boolean, what: string, ms = 120_000): Promise<void> {
    const deadline = Date.now() + ms;
    while (!cond()) {
      if (Date.now() > deadline) throw new Error(`timeout waiting for ${what}`);
      await new Promise<void>((r) => {
        const t = setTimeout(r, 100);
        this.w = () => {
          clearTimeout(t);
          r();
        };
      });
    }
  }
}

function pct(xs: number[], p: number): number {
  if (xs.length === 0) return NaN;
  const s = Float64Array.from(xs).sort();
  return s[Math.min(s.length - 1, Math.floor(p * (s.length - 1)))]!;
}

/** A subscriber connection on a server: SUBSCRIBE, then fixed-length message records. */
async function rawSubscriber(port: number, t0: bigint, latencies: number[], wake: () => void): Promise<{ c: RawClient; rec: Records }> {
  const c = await RawClient.connect(port);
  c.send('SUBSCRIBE', CHANNEL);
  await c.read();
  const rec = new Records(c.socket, Buffer.from(c.pending()), MESSAGE_LEN, (b, off, now) => {
    if (b[off + PAYLOAD_AT] === 76 /* L */) {
      const stamp = BigInt(b.toString('latin1', off + PAYLOAD_AT + 1, off + PAYLOAD_AT + 16));
      latencies.push(Number(now - t0 - stamp) / 1000);
    }
  }, wake);
  return { c, rec };
}

/** The publisher connection: PUBLISH replies are `:S\r\n`, all the same length. */
async function rawPublisher(port: number, receivers: number, wake: () => void): Promise<{ c: RawClient; rec: Records }> {
  const c = await RawClient.connect(port);
  const reply = `:${receivers}\r\n`;
  const rec = new Records(c.socket, Buffer.alloc(0), reply.length, (b, off) => {
    if (b.toString('latin1', off, off + reply.length) !== reply) throw new Error(`PUBLISH replied ${JSON.stringify(b.toString('latin1', off, off + 20))}, not ${JSON.stringify(reply)}`);
  }, wake);
  return { c, rec };
}

function publishBytes(kind: 'W' | 'T' | 'L' | 'E', t0: bigint): Buffer {
  return encodeCommand(['PUBLISH', CHANNEL, payload(kind, t0)]);
}

/** Pipelined PUBLISHes, never more than WINDOW ahead of `received()`. Returns seconds to the last delivery. */
async function pipelined(pub: { c: RawClient; rec: Records }, n: number, t0: bigint, received: () => number, waiter: Waiter): Promise<number> {
  const base = pub.rec.count;
  const start = process.hrtime.bigint();
  let sent = 0;
  while (sent < n) {
    await waiter.until(() => sent - received() < WINDOW, 'subscribers to catch up');
    const m = Math.min(BATCH, n - sent);
    const parts: Buffer[] = [];
    for (let i = 0; i < m; i++) parts.push(publishBytes('T', t0));
    pub.c.sendRaw(Buffer.concat(parts));
    sent += m;
  }
  await waiter.until(() => received() >= n && pub.rec.count - base >= n, 'the last deliveries');
  return Number(process.hrtime.bigint() - start) / 1e9;
}

interface Figures {
  perSec: number;
  p50: number;
  p99: number;
}

/** Part 1 on one server with S subscribers. */
async function serverRun(port: number, s: number, o: Opts, t0: bigint): Promise<Figures> {
  const waiter = new Waiter();
  const latencies: number[] = [];
  const subs: { c: RawClient; rec: Records }[] = [];
  for (let i = 0; i < s; i++) subs.push(await rawSubscriber(port, t0, latencies, waiter.wake));
  const pub = await rawPublisher(port, s, waiter.wake);
  try {
    let base = 0;
    const received = (): number => {
      let m = Infinity;
      for (const x of subs) m = Math.min(m, x.rec.count);
      return m - base;
    };
    // warm-up: a tenth of the messages (at most 5,000), not measured
    const warm = Math.min(5000, Math.ceil(o.messages / 10));
    await pipelined(pub, warm, t0, received, waiter);
    base += warm;
    const secs = await pipelined(pub, o.messages, t0, received, waiter);
    base += o.messages;
    latencies.length = 0;
    for (let i = 0; i < o.latencyMessages; i++) {
      pub.c.sendRaw(publishBytes('L', t0));
      const want = i + 1;
      await waiter.until(() => received() >= want, 'a latency message');
    }
    return { perSec: o.messages / secs, p50: pct(latencies, 0.5), p99: pct(latencies, 0.99) };
  } finally {
    pub.c.close();
    for (const x of subs) x.c.close();
  }
}

// ------------------------------------------------------------------ part 2: the child

type ToParent = { ready: true } | { count: number } | { latencies: number[] };

/** The subscriber process: `--child lib <segment> <t0>` or `--child redis <port> <t0>`. */
async function child(kind: string, where: string, t0: bigint): Promise<void> {
  const send = (m: ToParent): void => {
    process.send!(m);
  };
  const latencies: number[] = [];
  let count = 0;
  const onPayload = (first: number, b: Buffer, at: number, now: bigint): void => {
    count++;
    if (first === 76 /* L */) {
      latencies.push(Number(now - t0 - BigInt(b.toString('latin1', at + 1, at + 16))) / 1000);
      send({ count });
    } else if (first === 69 /* E */ || count % 1000 === 0) send({ count });
  };
  let finish: () => void;
  if (kind === 'lib') {
    const kv = open({ segment: where, create: false });
    kv.on('error', (e: Error) => {
      console.error(`child: ${e.message}`);
      process.exit(1);
    });
    kv.subscribe(CHANNEL, (_m, _c, _p, raw) => onPayload(raw.message[0]!, raw.message, 0, process.hrtime.bigint()));
    finish = () => {
      kv.unsubscribe();
      kv.close();
    };
  } else {
    const c = await RawClient.connect(Number(where));
    c.send('SUBSCRIBE', CHANNEL);
    await c.read();
    new Records(c.socket, Buffer.from(c.pending()), MESSAGE_LEN, (b, off, now) => onPayload(b[off + PAYLOAD_AT]!, b, off + PAYLOAD_AT, now), () => {});
    finish = () => c.close();
  }
  process.on('message', (m: { reset?: true; done?: true }) => {
    if (m.reset) {
      count = 0;
      latencies.length = 0;
      send({ count: 0 });
    } else if (m.done) {
      send({ latencies });
      finish();
      process.disconnect();
    }
  });
  send({ ready: true });
}

/** Part 2's parent side: a child subscriber and a publish function. */
async function crossProcess(
  kind: 'lib' | 'redis',
  where: string,
  o: Opts,
  t0: bigint,
  publishBatch: (kinds: ('W' | 'T' | 'L' | 'E')[]) => void,
  settled: () => Promise<void>,
): Promise<Figures> {
  const args = [SELF, '--child', kind, where, String(t0)];
  const [cmd, a] = haveTaskset ? ['taskset', ['-c', '0', process.execPath, ...args]] : [process.execPath, args];
  const proc: ChildProcess = spawn(cmd, a, { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const exited = new Promise<void>((r) => proc.once('exit', () => r()));
  const waiter = new Waiter();
  let count = -1;
  let ready = false;
  let lat: number[] | null = null;
  proc.on('message', (m: ToParent) => {
    if ('ready' in m) ready = true;
    else if ('count' in m) count = m.count;
    else lat = m.latencies;
    waiter.wake();
  });
  try {
    await waiter.until(() => ready, 'the child to subscribe', 30_000);
    const run = async (n: number, warm: boolean): Promise<number> => {
      count = -1;
      proc.send({ reset: true });
      await waiter.until(() => count === 0, 'the child to reset');
      const start = process.hrtime.bigint();
      let sent = 0;
      while (sent < n) {
        await waiter.until(() => sent - count < WINDOW, 'the child to catch up');
        const m = Math.min(BATCH, n - sent);
        const kinds: ('W' | 'T' | 'E')[] = new Array(m).fill(warm ? 'W' : 'T');
        if (sent + m === n) kinds[m - 1] = 'E';
        publishBatch(kinds);
        sent += m;
        await new Promise((r) => setImmediate(r));
      }
      await waiter.until(() => count >= n, 'the last delivery');
      const secs = Number(process.hrtime.bigint() - start) / 1e9;
      await settled();
      return secs;
    };
    await run(Math.min(5000, Math.ceil(o.messages / 10)), true);
    const secs = await run(o.messages, false);
    count = -1;
    proc.send({ reset: true });
    await waiter.until(() => count === 0, 'the child to reset');
    for (let i = 0; i < o.latencyMessages; i++) {
      publishBatch(['L']);
      const want = i + 1;
      await waiter.until(() => count >= want, 'a latency message');
    }
    await settled();
    proc.send({ done: true });
    await waiter.until(() => lat !== null, 'the latencies');
    const l = lat as unknown as number[];
    return { perSec: o.messages / secs, p50: pct(l, 0.5), p99: pct(l, 0.99) };
  } finally {
    if (proc.exitCode === null) {
      await Promise.race([exited, sleep(5000)]);
      if (proc.exitCode === null) proc.kill('SIGKILL');
    }
    await exited;
  }
}

// ------------------------------------------------------------------ servers

function removeSegment(name: string): void {
  try {
    fs.unlinkSync(`/dev/shm/shmkv.${name}`);
  } catch {
    // gone
  }
}

const f0 = (x: number): string => (Number.isFinite(x) ? x.toFixed(0) : '-');
const f1 = (x: number): string => (Number.isFinite(x) ? x.toFixed(1) : '-');
const f2 = (x: number): string => (Number.isFinite(x) ? x.toFixed(2) : '-');

async function main(): Promise<void> {
  const o = parseArgs();
  const t0 = process.hrtime.bigint();
  // this process (publisher, subscribers of part 1, publisher of part 2) on CPU 1, every thread
  if (haveTaskset) spawnSync('taskset', ['-a', '-cp', '1', String(process.pid)], { stdio: 'ignore' });
  const redis = await startServer('redis', 'redis-server', ['--save', '', '--appendonly', 'no', '--daemonize', 'no', '--logfile', '']);
  const segment = `bench-pubsub-${process.pid}`;
  const libSegment = `bench-pubsub-lib-${process.pid}`;
  const shmkv = await startServer('shmkv', process.execPath, [SERVER_MAIN, '--segment', segment, '--save', '', '--loglevel', 'warning']);
  try {
    console.log(`taskset: ${haveTaskset ? 'servers and the part-2 subscriber process on CPU 0, this process on CPU 1' : 'not used'}`);
    console.log(`${o.messages} messages pipelined (throughput), ${o.latencyMessages} one at a time (latency), 16-byte payloads, channel ${CHANNEL}\n`);
    console.log('1. Server to server: one publisher connection, S subscriber connections (all in this process)');
    const h = ['subs', 'redis msg/s', 'shmkv msg/s', 'ratio', 'redis p50 µs', 'shmkv p50 µs', 'ratio', 'redis p99 µs', 'shmkv p99 µs', 'ratio'];
    const w = [5, 12, 12, 6, 13, 13, 6, 13, 13, 6];
    const row = (cells: string[]): string => cells.map((c, i) => c.padStart(w[i]!)).join(' ');
    const lines: string[] = [];
    for (let si = 0; si < o.subscribers.length; si++) {
      const s = o.subscribers[si]!;
      const res: Record<string, Figures> = {};
      const order = si % 2 === 0 ? [redis, shmkv] : [shmkv, redis];
      for (const srv of order) {
        res[srv.name] = await serverRun(srv.port, s, o, t0);
        const r = res[srv.name]!;
        process.stderr.write(`${s} subscribers, ${srv.name}: ${f0(r.perSec)} msg/s, p50 ${f1(r.p50)} µs, p99 ${f1(r.p99)} µs\n`);
      }
      const a = res.redis!;
      const b = res.shmkv!;
      lines.push(row([String(s), f0(a.perSec), f0(b.perSec), f2(b.perSec / a.perSec), f1(a.p50), f1(b.p50), f2(b.p50 / a.p50), f1(a.p99), f1(b.p99), f2(b.p99 / a.p99)]));
    }
    console.log(row(h));
    for (const l of lines) console.log(l);
    console.log('(msg/s: published messages each delivered to all S subscribers per second; deliveries/s = S × msg/s)\n');

    // part 2
    const kv = open({ segment: libSegment });
    let lib: Figures;
    try {
      lib = await crossProcess('lib', libSegment, o, t0, (kinds) => {
        for (const k of kinds) kv.publish(CHANNEL, payload(k, t0));
      }, async () => {});
    } finally {
      kv.close();
    }
    const waiter = new Waiter();
    const pub = await rawPublisher(redis.port, 1, waiter.wake);
    let sentToRedis = 0;
    let red: Figures;
    try {
      red = await crossProcess('redis', String(redis.port), o, t0, (kinds) => {
        pub.c.sendRaw(Buffer.concat(kinds.map((k) => publishBytes(k, t0))));
        sentToRedis += kinds.length;
      }, () => waiter.until(() => pub.rec.count >= sentToRedis, 'PUBLISH replies'));
    } finally {
      pub.c.close();
    }
    // a Redis round trip, for reference
    const c = await RawClient.connect(redis.port);
    const rtt: number[] = [];
    try {
      for (let i = 0; i < 200; i++) await c.call('PING');
      for (let i = 0; i < o.latencyMessages; i++) {
        const t = process.hrtime.bigint();
        await c.call('PING');
        rtt.push(Number(process.hrtime.bigint() - t) / 1000);
      }
    } finally {
      c.close();
    }
    console.log('2. Across two processes, one subscriber: this process publishes, a child process receives');
    const w2 = [44, 12, 10, 10];
    const row2 = (cells: string[]): string => cells.map((x, i) => (i === 0 ? x.padEnd(w2[i]!) : x.padStart(w2[i]!))).join(' ');
    console.log(row2(['', 'msg/s', 'p50 µs', 'p99 µs']));
    console.log(row2(['library: kv.publish → kv.subscribe', f0(lib.perSec), f1(lib.p50), f1(lib.p99)]));
    console.log(row2(['redis-server: PUBLISH → SUBSCRIBE (RawClient)', f0(red.perSec), f1(red.p50), f1(red.p99)]));
    console.log(row2(['library / redis', f2(lib.perSec / red.perSec), f2(lib.p50 / red.p50), f2(lib.p99 / red.p99)]));
    console.log(row2(['a round trip to redis-server (PING)', '', f1(pct(rtt, 0.5)), f1(pct(rtt, 0.99))]));
  } finally {
    await stopServer(redis);
    await stopServer(shmkv);
    removeSegment(segment);
    removeSegment(libSegment);
  }
}

if (process.argv[2] === '--child') {
  child(process.argv[3]!, process.argv[4]!, BigInt(process.argv[5]!)).catch((e) => {
    console.error(e);
    process.exit(1);
  });
} else {
  if (spawnSync('redis-server', ['--version']).status !== 0) {
    console.error('redis-server is needed');
    process.exit(1);
  }
  main().catch((e) => {
    console.error(e);
    process.exit(1);
  });
}
