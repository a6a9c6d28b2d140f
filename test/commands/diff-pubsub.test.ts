/**
 * Differential tests of pub/sub against a real redis-server 7.0: the same scripts go to
 * both servers over raw connections and everything each connection receives — replies,
 * subscribed-mode errors, PING's subscribed form, messages and RESP3 pushes mixed with
 * replies — must be equal byte for byte. What a subscriber receives after a step is
 * collected up to a barrier (a PING with a marker argument, which is allowed in
 * subscribed mode), so messages are compared in order, with nothing missing or extra.
 *
 * Keyspace notifications: random command sequences over strings, lists, sets, hashes and
 * generic commands run with random notify-keyspace-events classes while a subscriber
 * listens to every channel (`PSUBSCRIBE *`), RESP2 and RESP3; the event stream (event
 * names, order, channels) must be the same as Redis's.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { RawClient, decodeReply } from '../helpers/raw-client.js';
import { canonical, reencode, show } from '../helpers/differential.js';
import { startRedisOracle, type RedisOracle } from '../helpers/redis-oracle.js';
import { startShmkvServer, type ShmkvServer } from '../helpers/shmkv-server.js';

type Cmd = (string | number)[];

let redis: RedisOracle | null = null;
let shmkv: ShmkvServer;

before(async () => {
  redis = await startRedisOracle(['--enable-debug-command', 'yes']);
  shmkv = await startShmkvServer({ args: ['--enable-debug-command', 'yes'] });
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

/** Everything a connection received up to (not including) a barrier's reply. */
async function drain(c: RawClient): Promise<Buffer[]> {
  c.send('ping', BARRIER);
  const out: Buffer[] = [];
  for (;;) {
    const r = await c.read(5000);
    if (isBarrier(r)) return out;
    out.push(r);
  }
}

function normalizeId(r: Buffer): Buffer {
  return Buffer.from(r.toString('latin1').replace(/\$2\r\nid\r\n:\d+\r\n/, () => '$2\r\nid\r\n:0\r\n'), 'latin1');
}

/** One connection on each server, used in step. */
class Pair {
  private constructor(
    readonly a: RawClient,
    readonly b: RawClient,
  ) {}

  static async open(): Promise<Pair> {
    return new Pair(await RawClient.connect(redis!.port), await RawClient.connect(shmkv.port));
  }

  /** Send cmd on both, then compare what each received up to the barrier. */
  async step(cmd: Cmd, where: string, unordered = false, more: Cmd[] = []): Promise<void> {
    // (`more`: sent with it, before the barrier: a MULTI … EXEC, where a barrier would be queued)
    for (const c of [cmd, ...more]) {
      this.a.send(...c);
      this.b.send(...c);
    }
    let [ra, rb] = await Promise.all([drain(this.a), drain(this.b)]);
    if (String(cmd[0]).toLowerCase() === 'hello') {
      // the connection ids differ between the servers
      ra = ra.map(normalizeId);
      rb = rb.map(normalizeId);
    }
    if (unordered) {
      // the order (and so each confirmation's running count) is a hash-table detail: the
      // names as a set, the counts as a sorted list
      const counts = (rs: Buffer[]): string => rs.map((r) => /:(\d+)\r\n$/.exec(r.toString('latin1'))?.[1] ?? '').sort().join(',');
      assert.equal(counts(rb), counts(ra), `${where}: counts of ${JSON.stringify(cmd)}`);
      const strip = (r: Buffer): Buffer => Buffer.from(r.toString('latin1').replace(/:\d+\r\n$/, ':0\r\n'), 'latin1');
      ra = ra.map((r) => reencode(canonical(decodeReply(strip(r))))).sort(Buffer.compare);
      rb = rb.map((r) => reencode(canonical(decodeReply(strip(r))))).sort(Buffer.compare);
    }
    const sa = ra.map(show).join(' ');
    const sb = rb.map(show).join(' ');
    assert.equal(sb, sa, `${where}: ${JSON.stringify(cmd)}\n  redis: ${sa}\n  shmkv: ${sb}`);
  }

  /** What arrived since the last step (messages published by another connection). */
  async received(where: string): Promise<void> {
    const [ra, rb] = await Promise.all([drain(this.a), drain(this.b)]);
    const sa = ra.map(show).join(' ');
    const sb = rb.map(show).join(' ');
    assert.equal(sb, sa, `${where}: received\n  redis: ${sa}\n  shmkv: ${sb}`);
  }

  close(): void {
    this.a.close();
    this.b.close();
  }
}

/** A script: steps on the subscriber (s) or the publisher (p); `u`: replies compared as a set. */
type Step = { on: 's' | 'p'; cmd: Cmd; u?: boolean; more?: Cmd[] };

async function runScript(name: string, steps: Step[]): Promise<void> {
  const s = await Pair.open();
  const p = await Pair.open();
  try {
    for (const [i, st] of steps.entries()) {
      const where = `${name} step ${i}`;
      try {
        if (st.on === 's') await s.step(st.cmd, where, st.u, st.more);
        else {
          await p.step(st.cmd, where, st.u);
          await s.received(where);
        }
      } catch (e) {
        throw new Error(`step ${i} ${JSON.stringify(st.cmd)}: ${(e as Error).message}`);
      }
    }
  } finally {
    s.close();
    p.close();
  }
}

const S = (...cmd: Cmd): Step => ({ on: 's', cmd });
const SU = (...cmd: Cmd): Step => ({ on: 's', cmd, u: true });
const P = (...cmd: Cmd): Step => ({ on: 'p', cmd });

const SCRIPTS: Record<string, Step[]> = {
  'subscribed mode (RESP2)': [
    S('subscribe', 'a', 'b', 'a'),
    S('ping'),
    S('ping', 'hello'),
    S('get', 'x'),
    S('set', 'x', '1'),
    S('config', 'get', 'maxmemory'),
    S('multi'),
    S('client', 'id'),
    S('psubscribe', 'a*', 'b?'),
    S('ssubscribe', 'sh1'),
    P('publish', 'a', 'm1'),
    P('publish', 'ab', 'm2'),
    P('publish', 'bx', 'm3'),
    P('publish', 'none', 'm4'),
    P('spublish', 'sh1', 'sm'),
    P('pubsub', 'numsub', 'a', 'b', 'c', 'ab'),
    P('pubsub', 'numpat'),
    P('pubsub', 'shardnumsub', 'sh1', 'sh2'),
    P('pubsub', 'shardchannels'),
    P('pubsub', 'shardchannels', 'x*'),
    S('unsubscribe', 'a', 'zzz'),
    S('punsubscribe', 'b?'),
    S('sunsubscribe'),
    S('sunsubscribe'),
    S('get', 'x'),
    S('punsubscribe'),
    S('unsubscribe'),
    S('unsubscribe'),
    S('punsubscribe'),
    S('ping'),
    S('get', 'x'),
  ],
  'RESP3 pushes mixed with replies': [
    S('hello', 3),
    S('subscribe', 'c1'),
    S('get', 'k'),
    S('set', 'k', 'v'),
    S('ping'),
    S('psubscribe', 'c*'),
    P('publish', 'c1', 'hello'),
    P('publish', 'c2', 'world'),
    S('publish', 'c1', 'self'),
    S('get', 'k'),
    S('ssubscribe', 's1', 's2'),
    S('spublish', 's2', 'shard'),
    S('sunsubscribe', 's1'),
    S('unsubscribe', 'c1', 'c1'),
    S('punsubscribe', 'c*'),
    S('sunsubscribe'),
    S('unsubscribe'),
  ],
  'RESET leaves subscribed mode; errors': [
    S('subscribe', 'r1'),
    S('psubscribe', 'r*'),
    S('reset'),
    S('get', 'x'),
    P('publish', 'r1', 'gone'),
    S('subscribe'),
    S('psubscribe'),
    S('ssubscribe'),
    S('publish', 'x'),
    S('pubsub'),
    S('pubsub', 'foo'),
    S('pubsub', 'numpat', 'x'),
    S('pubsub', 'channels', 'a', 'b'),
    S('pubsub', 'numsub'),
    S('spublish', 'a'),
    { on: 's', cmd: ['multi'], more: [['subscribe', 'in-multi'], ['ssubscribe', 'in-multi'], ['exec']] },
    S('unsubscribe'),
    S('subscribe', 'q'),
  ],
  'keymiss and new events': [
    P('config', 'set', 'notify-keyspace-events', 'KEmn'),
    S('psubscribe', '__key*'),
    P('get', 'nokey'),
    P('set', 'nokey', 'v'),
    P('get', 'nokey'),
    P('config', 'set', 'notify-keyspace-events', ''),
    S('punsubscribe'),
  ],
  'RESP2 subscribed mode after HELLO 3 and back': [
    S('hello', 3),
    S('subscribe', 'h'),
    S('hello', 2),
    S('get', 'x'),
    S('ping'),
    S('hello', 3),
    S('get', 'x'),
    S('unsubscribe'),
  ],
  'unsubscribe all (order is a hash-table detail: compared as a set)': [S('subscribe', 'u1', 'u2', 'u3'), S('psubscribe', 'p1', 'p2'), SU('unsubscribe'), SU('punsubscribe'), P('pubsub', 'numsub', 'u1'), P('publish', 'u1', 'x')],
};

test('pub/sub scripts: replies, subscribed mode, messages and pushes as redis-server', async (t) => {
  if (!redis) {
    t.skip('redis-server not installed: differential test NOT RUN');
    return;
  }
  for (const [name, steps] of Object.entries(SCRIPTS)) {
    try {
      await runScript(name, steps);
    } catch (e) {
      throw new Error(`script '${name}': ${(e as Error).message}`);
    }
  }
});

test('PUBSUB CHANNELS lists the channels with subscribers (compared as sets)', async (t) => {
  if (!redis) {
    t.skip('redis-server not installed: differential test NOT RUN');
    return;
  }
  await runScript('channels', [S('subscribe', 'news.a', 'news.b', 'other'), P('pubsub', 'channels'), SU('pubsub', 'channels', 'news.*'), S('unsubscribe', 'other'), SU('pubsub', 'channels')].map((s) => ({ ...s, u: true })));
});

// ---------------------------------------------------------------- keyspace notifications

const KEYS = ['k1', 'k2', 'k3'];
const key = fc.constantFrom(...KEYS);
const val = fc.constantFrom('a', 'b', '1', '10', '2.5', '');
const vals = fc.array(val, { minLength: 1, maxLength: 3 });

const eventCmd: fc.Arbitrary<Cmd> = fc.oneof(
  // strings
  fc.tuple(key, val).map(([k, v]) => ['set', k, v]),
  fc.tuple(key, val).map(([k, v]) => ['set', k, v, 'ex', 100]),
  fc.tuple(key, val).map(([k, v]) => ['set', k, v, 'keepttl']),
  fc.tuple(key, val).map(([k, v]) => ['setnx', k, v]),
  fc.tuple(key, val).map(([k, v]) => ['setex', k, 100, v]),
  fc.tuple(key, val).map(([k, v]) => ['append', k, v]),
  key.map((k) => ['incr', k]),
  key.map((k) => ['decrby', k, 3]),
  key.map((k) => ['incrbyfloat', k, '1.5']),
  fc.tuple(key, val).map(([k, v]) => ['setrange', k, 1, v]),
  fc.tuple(key, val).map(([k, v]) => ['getset', k, v]),
  key.map((k) => ['getdel', k]),
  key.map((k) => ['getex', k, 'ex', 50]),
  key.map((k) => ['getex', k, 'persist']),
  fc.tuple(key, key, val).map(([k, k2, v]) => ['mset', k, v, k2, v]),
  key.map((k) => ['setbit', k, 3, 1]),
  key.map((k) => ['get', k]),
  // lists
  fc.tuple(key, vals).map(([k, vs]) => ['lpush', k, ...vs]),
  fc.tuple(key, vals).map(([k, vs]) => ['rpush', k, ...vs]),
  fc.tuple(key, val).map(([k, v]) => ['lpushx', k, v]),
  key.map((k) => ['lpop', k]),
  key.map((k) => ['rpop', k, 2]),
  fc.tuple(key, val).map(([k, v]) => ['lrem', k, 0, v]),
  key.map((k) => ['ltrim', k, 1, -1]),
  fc.tuple(key, val).map(([k, v]) => ['lset', k, 0, v]),
  fc.tuple(key, val).map(([k, v]) => ['linsert', k, 'before', 'a', v]),
  fc.tuple(key, key).map(([a, b]) => ['lmove', a, b, 'left', 'right']),
  fc.tuple(key, key).map(([a, b]) => ['rpoplpush', a, b]),
  fc.tuple(key, key).map(([a, b]) => ['lmpop', 2, a, b, 'right']),
  // sets
  fc.tuple(key, vals).map(([k, vs]) => ['sadd', k, ...vs]),
  fc.tuple(key, vals).map(([k, vs]) => ['srem', k, ...vs]),
  fc.tuple(key, key, val).map(([a, b, v]) => ['smove', a, b, v]),
  fc.tuple(key, key, key).map(([d, a, b]) => ['sinterstore', d, a, b]),
  fc.tuple(key, key, key).map(([d, a, b]) => ['sunionstore', d, a, b]),
  fc.tuple(key, key).map(([d, a]) => ['sdiffstore', d, a]),
  fc.tuple(key, key).map(([a, b]) => ['zunion', 2, a, b]),
  fc.tuple(key, key).map(([a, b]) => ['sintercard', 2, a, b]),
  // sorted sets
  fc.tuple(key, val).map(([k, v]) => ['zadd', k, 1, v]),
  fc.tuple(key, val).map(([k, v]) => ['zincrby', k, 2, v]),
  fc.tuple(key, val).map(([k, v]) => ['zrem', k, v]),
  key.map((k) => ['zpopmin', k]),
  fc.tuple(key, key, key).map(([d, a, b]) => ['zunionstore', d, 2, a, b]),
  fc.tuple(key, key, key).map(([d, a, b]) => ['zinterstore', d, 2, a, b]),
  fc.tuple(key, key).map(([d, a]) => ['zrangestore', d, a, 0, -1]),
  key.map((k) => ['zrange', k, 0, -1]),
  // hashes
  fc.tuple(key, val, val).map(([k, f, v]) => ['hset', k, f, v]),
  fc.tuple(key, val, val).map(([k, f, v]) => ['hsetnx', k, f, v]),
  fc.tuple(key, val).map(([k, f]) => ['hdel', k, f]),
  fc.tuple(key, val).map(([k, f]) => ['hincrby', k, f, 2]),
  fc.tuple(key, val).map(([k, f]) => ['hincrbyfloat', k, f, '0.5']),
  // generic
  key.map((k) => ['del', k]),
  fc.tuple(key, key).map(([a, b]) => ['unlink', a, b]),
  key.map((k) => ['expire', k, 100]),
  key.map((k) => ['pexpire', k, 100000]),
  key.map((k) => ['expire', k, -1]),
  key.map((k) => ['persist', k]),
  fc.tuple(key, key).map(([a, b]) => ['rename', a, b]),
  fc.tuple(key, key).map(([a, b]) => ['renamenx', a, b]),
  fc.tuple(key, key).map(([a, b]) => ['copy', a, b, 'replace']),
  key.map((k) => ['move', k, 10]),
  fc.tuple(key, key).map(([a, b]) => ['sort', a, 'alpha', 'store', b]),
  key.map((k) => ['exists', k]),
  key.map((k) => ['type', k]),
);

// 'm' (keymiss): every read lookup of a missing key, the sources of the *STORE forms included
const CLASSES = fc.constantFrom('KEA', 'KA', 'EA', 'KEg', 'KE$', 'KEl', 'KEs', 'KEh', 'KEz', 'En', 'Kn', 'KEAn', 'Eg$lshz', 'Kgx', 'Em', 'KEAm', 'Km');

test('keyspace notifications of random command sequences are the events redis-server sends', async (t) => {
  if (!redis) {
    t.skip('redis-server not installed: differential test NOT RUN');
    return;
  }
  const s = await Pair.open();
  const w = await Pair.open();
  try {
    await fc.assert(
      fc.asyncProperty(CLASSES, fc.constantFrom(2, 3), fc.array(eventCmd, { minLength: 1, maxLength: 25 }), async (classes, proto, cmds) => {
        await w.step(['flushall'], 'setup');
        await w.step(['config', 'set', 'notify-keyspace-events', classes], 'setup');
        await s.step(['hello', proto], 'setup');
        await s.step(['psubscribe', '*'], 'setup');
        for (const cmd of cmds) {
          await w.step(cmd, `classes ${classes} resp ${proto}`);
          await s.received(`events of ${JSON.stringify(cmd)} (classes ${classes} resp ${proto})`);
        }
        await s.step(['punsubscribe'], 'teardown');
      }),
      { numRuns: Number(process.env.SHMKV_DIFF_RUNS ?? 40), includeErrorInReport: true },
    );
  } finally {
    await w.step(['config', 'set', 'notify-keyspace-events', ''], 'teardown');
    s.close();
    w.close();
  }
});

test('CONFIG GET notify-keyspace-events prints the classes as redis-server does', async (t) => {
  if (!redis) {
    t.skip('redis-server not installed: differential test NOT RUN');
    return;
  }
  const c = await Pair.open();
  try {
    for (const v of ['gKE', '$lshzxeKE', 'KA', 'EA', 'AKEm', 'n', 'Kgtdmn', 'A', '', 'x', 'KEQ', 'Ad']) {
      await c.step(['config', 'set', 'notify-keyspace-events', v], 'config set');
      await c.step(['config', 'get', 'notify-keyspace-events'], `config get after ${v}`);
    }
    await c.step(['config', 'set', 'notify-keyspace-events', ''], 'reset');
  } finally {
    c.close();
  }
});
