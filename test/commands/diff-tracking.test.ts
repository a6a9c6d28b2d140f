/**
 * Differential tests of client-side caching against a real redis-server 7.0: the same
 * scripts run over raw connections on both servers, and everything each connection
 * receives — replies, RESP3 `invalidate` pushes, `__redis__:invalidate` messages through
 * REDIRECT to a RESP2 subscriber, `tracking-redir-broken`, the null of a flush — must be
 * equal byte for byte (client ids, which differ, are put as `#k`). After every step each
 * connection's input is read up to a barrier (a PING with a marker: allowed in RESP2
 * subscribed mode), so invalidations are compared in order, nothing missing or extra.
 *
 * Scripted cases cover each option (default, REDIRECT, BCAST/PREFIX, OPTIN/OPTOUT with
 * CLIENT CACHING, NOLOOP, flushes, MULTI/EXEC, RESET, TRACKINGINFO/GETREDIR, errors);
 * random sequences of reads and writes by several tracking clients (RESP3, RESP2
 * redirected, BCAST NOLOOP) compare the whole invalidation streams.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { RawClient, decodeReply, encodeCommand } from '../helpers/raw-client.js';
import { show } from '../helpers/differential.js';
import { startRedisOracle, type RedisOracle } from '../helpers/redis-oracle.js';
import { startShmkvServer, type ShmkvServer } from '../helpers/shmkv-server.js';

type Cmd = (string | number)[];

let redis: RedisOracle | null = null;
let shmkv: ShmkvServer;

before(async () => {
  redis = await startRedisOracle([]);
  shmkv = await startShmkvServer();
});

after(async () => {
  await redis?.stop();
  await shmkv?.stop();
});

const BARRIER = '__barrier__';

function isBarrier(raw: Buffer): boolean {
  const v = decodeReply(raw);
  if (v.type === 'bulk') return v.value.toString() === BARRIER;
  if (v.type === 'array' && v.value.length === 2) {
    const b = v.value[1]!;
    return b.type === 'bulk' && b.value.toString() === BARRIER;
  }
  return false;
}

/** A push (RESP3 '>') or a pub/sub message: not the reply of a command. */
function isPushed(raw: Buffer): boolean {
  return raw[0] === 0x3e || raw.subarray(0, 16).toString('latin1') === '*3\r\n$7\r\nmessage';
}

/**
 * What a connection received up to a barrier PING. `replies` of the step's own commands are
 * read before the barrier is sent: the server then ran them in an event-loop turn of their
 * own, so what that turn sends (a BCAST invalidation goes out at the end of the turn, in
 * Redis and here) lands before the barrier's reply on both servers, whatever the timing.
 */
async function drain(c: RawClient, replies = 0): Promise<Buffer[]> {
  const out: Buffer[] = [];
  while (replies > 0) {
    const r = await c.read(5000);
    out.push(r);
    if (!isPushed(r)) replies--;
  }
  c.send('ping', BARRIER);
  for (;;) {
    const r = await c.read(5000);
    if (isBarrier(r)) return out;
    out.push(r);
  }
}

/** One server's connections of a script, and their ids. */
class Side {
  readonly conns: RawClient[] = [];
  readonly ids: number[] = [];

  static async open(port: number, n: number): Promise<Side> {
    const s = new Side();
    for (let i = 0; i < n; i++) {
      const c = await RawClient.connect(port);
      s.conns.push(c);
      const v = decodeReply(await c.call('CLIENT', 'ID'));
      s.ids.push(v.type === 'integer' ? Number(v.value) : -1);
    }
    return s;
  }

  /** `#k` in an argument: connection k's id here. */
  args(cmd: Cmd): Cmd {
    return cmd.map((a) => (typeof a === 'string' && /^#\d+$/.test(a) ? String(this.ids[Number(a.slice(1))]) : a));
  }

  /**
   * Client ids → `#k` where replies carry them: HELLO's id, TRACKINGINFO's redirect,
   * tracking-redir-broken, and (`whole`: a GETREDIR step) an integer reply that is one.
   */
  norm(b: Buffer, whole = false): string {
    let t = b.toString('latin1');
    const name = (id: string): string => {
      const k = this.ids.indexOf(Number(id));
      return k < 0 ? id : `#${k}`;
    };
    t = t.replace(/(\$2\r\nid\r\n:)(\d+)/, (_m, p: string, id: string) => p + name(id));
    t = t.replace(/(\$8\r\nredirect\r\n:)(\d+)/, (_m, p: string, id: string) => p + name(id));
    t = t.replace(/(tracking-redir-broken\r\n:)(\d+)/, (_m, p: string, id: string) => p + name(id));
    if (whole) t = t.replace(/^:(\d+)\r\n$/, (_m, id: string) => `:${name(id)}\r\n`);
    return show(Buffer.from(t, 'latin1'));
  }

  close(): void {
    for (const c of this.conns) c.close();
  }
}

/** Wait (up to 5 s) until the server no longer lists connection k of the side. */
async function gone(side: Side, k: number): Promise<void> {
  const id = `id=${side.ids[k]} `;
  const conn = side.conns.find((_c, i) => i !== k)!;
  const deadline = Date.now() + 5000;
  for (;;) {
    const list = (await conn.call('CLIENT', 'LIST')).toString('latin1');
    if (!list.split('\n').some((l) => l.includes(id))) return;
    if (Date.now() > deadline) throw new Error(`the server still lists ${id}after 5 s`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

/** A step: commands sent by connection `on` (one after the other, before the barrier). */
interface Step {
  on: number;
  cmds: Cmd[];
  /** close the connection (after its commands) */
  close?: boolean;
}

const s = (on: number, ...cmds: Cmd[]): Step => ({ on, cmds });

async function runScript(name: string, n: number, steps: Step[]): Promise<void> {
  const a = await Side.open(redis!.port, n);
  const b = await Side.open(shmkv.port, n);
  const closed = new Set<number>();
  try {
    for (const [i, st] of steps.entries()) {
      // a step's commands in one write: each server reads them together and runs them in
      // one event-loop turn, so BCAST invalidations of the turn come as one push on both
      a.conns[st.on]!.sendRaw(Buffer.concat(st.cmds.map((c) => encodeCommand(a.args(c)))));
      b.conns[st.on]!.sendRaw(Buffer.concat(st.cmds.map((c) => encodeCommand(b.args(c)))));
      if (st.close) {
        // (the replies are read first: the connection is then gone for REDIRECT)
        for (let k = 0; k < st.cmds.length; k++) {
          const [ra, rb] = await Promise.all([a.conns[st.on]!.read(5000), b.conns[st.on]!.read(5000)]);
          assert.equal(b.norm(rb), a.norm(ra), `${name} step ${i}: reply`);
        }
        a.conns[st.on]!.close();
        b.conns[st.on]!.close();
        closed.add(st.on);
        // let both servers notice: until CLIENT LIST no longer shows the connection
        await Promise.all([gone(a, st.on), gone(b, st.on)]);
      }
      // the stepping connection first (its commands are then done), then the others
      const whole = st.cmds.some((c) => c.some((x) => String(x).toUpperCase() === 'GETREDIR'));
      for (const k of [st.on, ...[...Array(n).keys()].filter((x) => x !== st.on)]) {
        if (closed.has(k)) continue;
        const own = k === st.on && !st.close ? st.cmds.length : 0;
        const [ra, rb] = await Promise.all([drain(a.conns[k]!, own), drain(b.conns[k]!, own)]);
        const sa = ra.map((x) => a.norm(x, whole && k === st.on)).join(' ');
        const sb = rb.map((x) => b.norm(x, whole && k === st.on)).join(' ');
        assert.equal(sb, sa, `${name} step ${i} ${JSON.stringify(st.cmds)}: connection ${k} received\n  redis: ${sa}\n  shmkv: ${sb}`);
      }
    }
    // clean up for the next script (both servers are shared)
    await Promise.all([a.conns[0]!.call('FLUSHALL'), b.conns[0]!.call('FLUSHALL')]);
  } finally {
    a.close();
    b.close();
  }
}

const sub = (on: number): Step => s(on, ['SUBSCRIBE', '__redis__:invalidate']);

test('default mode, RESP3: reads remembered, writes by anyone invalidate, once per read', async () => {
  await runScript('resp3', 2, [
    s(0, ['HELLO', '3']),
    s(0, ['CLIENT', 'TRACKING', 'ON']),
    s(1, ['MSET', 'a', '1', 'b', '2', 'c', '3']),
    s(0, ['GET', 'a'], ['MGET', 'b', 'missing'], ['HGET', 'h', 'f'], ['EXISTS', 'c'], ['STRLEN', 'c']),
    s(1, ['SET', 'a', '9']),
    s(1, ['SET', 'a', '10']),
    s(1, ['DEL', 'b', 'missing', 'zz']),
    s(1, ['HSET', 'h', 'f', 'v']),
    s(1, ['INCR', 'c']),
    s(1, ['INCR', 'c']),
    // own write: after the reply
    s(0, ['GET', 'a']),
    s(0, ['SET', 'a', 'own'], ['APPEND', 'a', 'x']),
    s(0, ['GET', 'a'], ['LPUSH', 'l', 'x'], ['LRANGE', 'l', 0, -1]),
    s(1, ['RPUSH', 'l', 'y'], ['EXPIRE', 'a', 100], ['PERSIST', 'a']),
    s(0, ['GET', 'a'], ['GET', 'b']),
    s(1, ['RENAME', 'a', 'b']),
    s(0, ['GET', 'a']),
    s(1, ['FLUSHDB']),
    s(0, ['GET', 'x'], ['FLUSHALL']),
    s(0, ['CLIENT', 'TRACKINGINFO'], ['CLIENT', 'GETREDIR']),
    s(0, ['CLIENT', 'TRACKING', 'OFF'], ['CLIENT', 'TRACKINGINFO'], ['CLIENT', 'GETREDIR']),
    s(0, ['GET', 'a']),
    s(1, ['SET', 'a', '1']),
  ]);
});

test('RESP2 through REDIRECT to a __redis__:invalidate subscriber; broken redirect', async () => {
  await runScript('redirect', 4, [
    sub(1),
    s(0, ['CLIENT', 'TRACKING', 'ON', 'REDIRECT', '#1']),
    s(0, ['CLIENT', 'GETREDIR'], ['CLIENT', 'TRACKINGINFO']),
    s(2, ['SET', 'k1', 'v'], ['SET', 'k2', 'v']),
    s(0, ['MGET', 'k1', 'k2', 'k3']),
    s(2, ['DEL', 'k1', 'k2']),
    s(2, ['SET', 'k3', 'x']),
    s(0, ['GET', 'k1']),
    s(2, ['FLUSHALL']),
    // a RESP3 tracking client redirecting to the RESP2 subscriber
    s(3, ['HELLO', '3'], ['CLIENT', 'TRACKING', 'ON', 'REDIRECT', '#1']),
    s(3, ['GET', 'r3']),
    s(2, ['SET', 'r3', '1']),
    // the redirect target goes: RESP3 gets tracking-redir-broken, RESP2 nothing
    s(0, ['GET', 'z']),
    s(3, ['GET', 'z']),
    { on: 1, cmds: [['QUIT']], close: true },
    s(2, ['SET', 'z', '1']),
    s(0, ['CLIENT', 'TRACKINGINFO']),
    s(3, ['CLIENT', 'TRACKINGINFO']),
    // redirect to a client that does not exist, twice, to itself, a RESP2 non-subscriber
    s(0, ['CLIENT', 'TRACKING', 'ON', 'REDIRECT', '999999']),
    s(0, ['CLIENT', 'TRACKING', 'ON', 'REDIRECT', '#2', 'REDIRECT', '#2']),
    s(0, ['CLIENT', 'TRACKING', 'ON', 'REDIRECT', '#2']),
    s(0, ['GET', 'q']),
    s(3, ['SET', 'q', '1']),
  ]);
});

test('BCAST with prefixes, NOLOOP, and the option errors', async () => {
  await runScript('bcast', 3, [
    s(0, ['HELLO', '3']),
    s(0, ['CLIENT', 'TRACKING', 'ON', 'BCAST', 'PREFIX', 'a:', 'PREFIX', 'b:']),
    s(0, ['CLIENT', 'TRACKINGINFO']),
    s(1, ['MSET', 'a:1', 'x', 'b:1', 'y', 'c:1', 'z']),
    s(1, ['MULTI'], ['INCR', 'a:2'], ['INCR', 'b:2'], ['DEL', 'a:1'], ['INCR', 'c:2'], ['EXEC']),
    s(0, ['SET', 'a:own', '1']),
    s(0, ['CLIENT', 'TRACKING', 'ON', 'BCAST', 'PREFIX', 'c:']),
    s(1, ['SET', 'c:9', '1']),
    s(0, ['CLIENT', 'TRACKING', 'ON', 'BCAST', 'PREFIX', 'a']),
    s(0, ['CLIENT', 'TRACKING', 'ON', 'BCAST', 'PREFIX', 'x:1', 'PREFIX', 'x:']),
    s(0, ['CLIENT', 'TRACKING', 'ON']),
    s(0, ['CLIENT', 'TRACKING', 'OFF'], ['CLIENT', 'TRACKING', 'ON', 'BCAST', 'NOLOOP']),
    s(0, ['SET', 'mine', '1'], ['SET', 'shared', '1']),
    s(1, ['SET', 'shared', '2'], ['SET', 'theirs', '1']),
    s(0, ['FLUSHDB']),
    s(2, ['CLIENT', 'TRACKING', 'ON', 'PREFIX', 'a']),
    s(2, ['CLIENT', 'TRACKING', 'ON', 'BCAST', 'OPTIN']),
    s(2, ['CLIENT', 'TRACKING', 'ON', 'OPTIN', 'OPTOUT']),
    s(2, ['CLIENT', 'TRACKING', 'MAYBE']),
    s(2, ['CLIENT', 'TRACKING', 'ON', 'BOGUS']),
    s(2, ['CLIENT', 'CACHING', 'YES']),
    s(2, ['CLIENT', 'TRACKING', 'ON', 'OPTIN'], ['CLIENT', 'CACHING', 'NO'], ['CLIENT', 'CACHING', 'MAYBE']),
    s(2, ['CLIENT', 'TRACKING', 'ON', 'OPTOUT']),
  ]);
});

test('OPTIN / OPTOUT with CLIENT CACHING; RESET; MULTI', async () => {
  await runScript('optin', 2, [
    s(0, ['HELLO', '3'], ['CLIENT', 'TRACKING', 'ON', 'OPTIN']),
    s(0, ['GET', 'k1']),
    s(0, ['CLIENT', 'CACHING', 'YES'], ['CLIENT', 'TRACKINGINFO'], ['GET', 'k2'], ['GET', 'k3']),
    s(1, ['SET', 'k1', '1'], ['SET', 'k2', '1'], ['SET', 'k3', '1']),
    s(0, ['CLIENT', 'CACHING', 'YES'], ['MULTI'], ['GET', 'k4'], ['GET', 'k5'], ['EXEC']),
    s(1, ['SET', 'k4', '1'], ['SET', 'k5', '1']),
    s(0, ['CLIENT', 'TRACKING', 'OFF'], ['CLIENT', 'TRACKING', 'ON', 'OPTOUT']),
    s(0, ['GET', 'o1'], ['CLIENT', 'CACHING', 'NO'], ['GET', 'o2'], ['GET', 'o3']),
    s(1, ['SET', 'o1', '1'], ['SET', 'o2', '1'], ['SET', 'o3', '1']),
    // invalidations of the transaction's own writes come after EXEC's reply
    s(0, ['MGET', 'm1', 'm2']),
    s(0, ['MULTI'], ['SET', 'm1', 'x'], ['GET', 'm2'], ['DEL', 'm2'], ['EXEC']),
    s(0, ['GET', 'r1']),
    s(0, ['RESET']),
    s(1, ['SET', 'r1', '1']),
    s(0, ['CLIENT', 'TRACKINGINFO']),
  ]);
});

// (tracking-table-max-keys: Redis evicts random keys, so which ones is not compared here;
// unit/tracking checks how many)

// ---------------------------------------------------------------- random sequences

const KEYS = ['k1', 'k2', 'k3', 'p:1', 'p:2'];
const key = fc.constantFrom(...KEYS);

/** Connections: 0 RESP3 default, 1 RESP2 redirected to 2 (subscriber), 3 RESP3 BCAST p: NOLOOP, 4 writer. */
const op = fc.oneof(
  fc.tuple(fc.constantFrom(0, 1, 3, 4), key, fc.nat(9)).map(([on, k, v]) => s(on, ['SET', k, v])),
  fc.tuple(fc.constantFrom(0, 1, 4), key).map(([on, k]) => s(on, ['GET', k])),
  fc.tuple(fc.constantFrom(0, 1), key, key).map(([on, k1, k2]) => s(on, ['MGET', k1, k2])),
  fc.tuple(fc.constantFrom(0, 1, 3, 4), key, key).map(([on, k1, k2]) => s(on, ['DEL', k1, k2])),
  fc.tuple(fc.constantFrom(0, 3, 4), key).map(([on, k]) => s(on, ['APPEND', k, 'x'])),
  fc.tuple(fc.constantFrom(0, 1, 4), key, key).map(([on, k1, k2]) => s(on, ['MULTI'], ['GET', k1], ['SET', k2, 'm'], ['EXEC'])),
  fc.tuple(fc.constantFrom(0, 4), key).map(([on, k]) => s(on, ['EXPIRE', k, 1000])),
  fc.constantFrom(s(4, ['FLUSHDB']), s(0, ['CLIENT', 'TRACKINGINFO'])),
);

test('random reads and writes: the same invalidation streams as redis-server', async () => {
  await fc.assert(
    fc.asyncProperty(fc.array(op, { minLength: 1, maxLength: 14 }), async (ops) => {
      await runScript('random', 5, [
        s(0, ['HELLO', '3'], ['CLIENT', 'TRACKING', 'ON']),
        sub(2),
        s(1, ['CLIENT', 'TRACKING', 'ON', 'REDIRECT', '#2']),
        s(3, ['HELLO', '3'], ['CLIENT', 'TRACKING', 'ON', 'BCAST', 'PREFIX', 'p:', 'NOLOOP']),
        ...ops,
      ]);
    }),
    { numRuns: 25 },
  );
});
