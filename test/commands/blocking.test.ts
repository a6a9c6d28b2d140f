/**
 * Blocking list commands (BLPOP BRPOP BRPOPLPUSH BLMOVE BLMPOP) with several real
 * connections, against redis-server: each scenario runs on both servers, step by step
 * (a blocking command is sent without waiting for its reply; later steps run while it
 * waits), and the replies must be equal byte for byte — who is served, in which order,
 * timeouts, MULTI, type changes, SWAPDB, CLIENT UNBLOCK, chains of BLMOVEs.
 *
 * Then across processes: a server client woken by a library process's push, a library
 * process's kv.blpop (sync, and async with its event loop running) woken by a server
 * client's push, and library timeouts.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { RawClient, decodeReply, toJS } from '../helpers/raw-client.js';
import { startRedisOracle, type RedisOracle } from '../helpers/redis-oracle.js';
import { removeSegment, startShmkvServer, type ShmkvServer } from '../helpers/shmkv-server.js';
import { show } from '../helpers/differential.js';
import { sleep } from '../helpers/ports.js';
import { startWorker, stopAll } from '../helpers/kv-workers.js';
import { open } from '../../src/kv/index.js';

let redis: RedisOracle | null = null;
let shmkv: ShmkvServer;

before(async () => {
  redis = await startRedisOracle();
  shmkv = await startShmkvServer();
});

after(async () => {
  await stopAll();
  await redis?.stop();
  await shmkv?.stop();
});

/**
 * A step: client index and command; `wait: false` sends it without waiting for the reply
 * (it is collected at the end, in order); `sleep` pauses (lets a blocked command settle,
 * or a timeout pass); `id` replaces $ID<n> in the command by client n's CLIENT ID.
 */
type Step = { c: number; cmd: (string | number)[]; wait?: boolean; /** reply differs by design (ids) */ ignore?: boolean } | { sleep: number };

async function runScenario(port: number, clients: number, steps: Step[]): Promise<string[]> {
  const cs = await Promise.all(Array.from({ length: clients }, () => RawClient.connect(port)));
  const ids: number[] = [];
  for (const c of cs) ids.push(Number(toJS(decodeReply(await c.call('CLIENT', 'ID')))));
  const out: string[] = [];
  const pending: { i: number; p: Promise<Buffer> }[] = [];
  try {
    await cs[0]!.call('FLUSHALL');
    for (const s of steps) {
      if ('sleep' in s) {
        await sleep(s.sleep);
        continue;
      }
      const cmd = s.cmd.map((a) => (typeof a === 'string' ? a.replace(/\$ID(\d)/, (_, n) => String(ids[Number(n)])) : a));
      const p = cs[s.c]!.call(...cmd);
      if (s.wait === false) {
        pending.push({ i: out.length, p });
        out.push('');
        // let the command reach the server (and block) before the next step
        await sleep(30);
      } else out.push((await p).toString('latin1'));
    }
    for (const { i, p } of pending) out[i] = (await p).toString('latin1');
  } finally {
    for (const c of cs) c.close();
  }
  return out;
}

async function same(name: string, clients: number, steps: Step[], t: { skip: (m: string) => void }): Promise<string[]> {
  const mine = await runScenario(shmkv.port, clients, steps);
  if (!redis) {
    t.skip('redis-server is not installed');
    return mine;
  }
  const theirs = await runScenario(redis.port, clients, steps);
  const cmds = steps.filter((s) => !('sleep' in s)) as { ignore?: boolean }[];
  for (let i = 0; i < theirs.length; i++) {
    if (cmds[i]!.ignore) continue;
    assert.equal(show(Buffer.from(mine[i]!, 'latin1')), show(Buffer.from(theirs[i]!, 'latin1')), `${name}: reply ${i} (step ${JSON.stringify(steps.filter((s) => !('sleep' in s))[i])})`);
  }
  return mine;
}

const scenarios: [string, number, Step[]][] = [
  ['a push serves a waiting BLPOP', 2, [{ c: 0, cmd: ['BLPOP', 'l', 0], wait: false }, { c: 1, cmd: ['RPUSH', 'l', 'a', 'b'] }, { c: 1, cmd: ['LRANGE', 'l', 0, -1] }]],
  [
    'waiters are served in the order they blocked, one element each',
    4,
    [
      { c: 0, cmd: ['BLPOP', 'l', 0], wait: false },
      { c: 1, cmd: ['BRPOP', 'l', 0], wait: false },
      { c: 2, cmd: ['BLPOP', 'l', 0], wait: false },
      { c: 3, cmd: ['RPUSH', 'l', 'x', 'y'] },
      { c: 3, cmd: ['LPUSH', 'l', 'z'] },
      { c: 3, cmd: ['EXISTS', 'l'] },
    ],
  ],
  ['the first non-empty key of several', 2, [{ c: 0, cmd: ['BLPOP', 'a', 'b', 'c', 0], wait: false }, { c: 1, cmd: ['RPUSH', 'c', '1'] }, { c: 1, cmd: ['RPUSH', 'b', '2'] }]],
  ['a timeout answers a null array', 1, [{ c: 0, cmd: ['BLPOP', 'l', '0.05'] }, { c: 0, cmd: ['BRPOPLPUSH', 'l', 'm', '0.05'] }, { c: 0, cmd: ['BLMPOP', '0.05', 1, 'l', 'LEFT'] }]],
  ['a timeout in RESP3', 1, [{ c: 0, cmd: ['HELLO', 3], ignore: true }, { c: 0, cmd: ['BLPOP', 'l', '0.05'] }, { c: 0, cmd: ['BLMOVE', 'l', 'm', 'LEFT', 'RIGHT', '0.05'] }]],
  ['inside MULTI nothing blocks', 1, [{ c: 0, cmd: ['MULTI'] }, { c: 0, cmd: ['BLPOP', 'l', 0] }, { c: 0, cmd: ['RPUSH', 'l', 'v'] }, { c: 0, cmd: ['BRPOP', 'l', 0] }, { c: 0, cmd: ['BLPOP', 'l', 0] }, { c: 0, cmd: ['BRPOPLPUSH', 'e', 'm', 0] }, { c: 0, cmd: ['BLMOVE', 'e', 'm', 'LEFT', 'RIGHT', 0] }, { c: 0, cmd: ['BLMPOP', 0, 1, 'e', 'LEFT'] }, { c: 0, cmd: ['EXEC'] }]],
  [
    'a push inside EXEC serves the waiter after EXEC',
    2,
    [{ c: 0, cmd: ['BLPOP', 'l', 0], wait: false }, { c: 1, cmd: ['MULTI'] }, { c: 1, cmd: ['RPUSH', 'l', 'a'] }, { c: 1, cmd: ['RPUSH', 'l', 'b'] }, { c: 1, cmd: ['EXEC'] }, { c: 1, cmd: ['LRANGE', 'l', 0, -1] }],
  ],
  [
    'a key of another type keeps the client waiting',
    2,
    [{ c: 0, cmd: ['BLPOP', 'l', 0], wait: false }, { c: 1, cmd: ['SET', 'l', 'str'] }, { c: 1, cmd: ['DEL', 'l'] }, { c: 1, cmd: ['RPUSH', 'l', 'v'] }],
  ],
  ['WRONGTYPE and bad timeouts at once', 1, [{ c: 0, cmd: ['SET', 's', 'x'] }, { c: 0, cmd: ['BLPOP', 's', 0] }, { c: 0, cmd: ['BLPOP', 'l', -1] }, { c: 0, cmd: ['BLPOP', 'l', 'abc'] }, { c: 0, cmd: ['BLPOP', 'l', 'inf'] }, { c: 0, cmd: ['BLMPOP', 0, 0, 'l', 'LEFT'] }]],
  [
    'BLMOVE serves, and its push serves the next waiter (a chain)',
    3,
    [
      { c: 0, cmd: ['BLMOVE', 's1', 's2', 'LEFT', 'RIGHT', 0], wait: false },
      { c: 1, cmd: ['BLPOP', 's2', 0], wait: false },
      { c: 2, cmd: ['RPUSH', 's1', 'v'] },
      { c: 2, cmd: ['EXISTS', 's1', 's2'] },
    ],
  ],
  [
    'a waiting BRPOPLPUSH whose destination is of another type gets WRONGTYPE',
    2,
    [{ c: 1, cmd: ['SET', 'dst', 'x'] }, { c: 0, cmd: ['BRPOPLPUSH', 'src', 'dst', 0], wait: false }, { c: 1, cmd: ['RPUSH', 'src', 'a', 'b'] }, { c: 1, cmd: ['LRANGE', 'src', 0, -1] }],
  ],
  ['BRPOPLPUSH to itself', 2, [{ c: 0, cmd: ['BRPOPLPUSH', 'l', 'l', 0], wait: false }, { c: 1, cmd: ['RPUSH', 'l', 'a', 'b'] }, { c: 1, cmd: ['LRANGE', 'l', 0, -1] }]],
  ['BLMPOP with COUNT', 2, [{ c: 0, cmd: ['BLMPOP', 0, 2, 'k1', 'k2', 'RIGHT', 'COUNT', 2], wait: false }, { c: 1, cmd: ['RPUSH', 'k2', 'a', 'b', 'c'] }, { c: 1, cmd: ['LRANGE', 'k2', 0, -1] }]],
  [
    'SWAPDB serves a waiter whose key it brings',
    2,
    [{ c: 0, cmd: ['BLPOP', 'l', 0], wait: false }, { c: 1, cmd: ['SELECT', 1] }, { c: 1, cmd: ['RPUSH', 'l', 'v'] }, { c: 1, cmd: ['SWAPDB', 0, 1] }, { c: 1, cmd: ['DBSIZE'] }],
  ],
  [
    'CLIENT UNBLOCK with TIMEOUT and ERROR',
    3,
    [
      { c: 0, cmd: ['BLPOP', 'l', 0], wait: false },
      { c: 1, cmd: ['BLPOP', 'l', 0], wait: false },
      { c: 2, cmd: ['CLIENT', 'UNBLOCK', '$ID0', 'TIMEOUT'] },
      { c: 2, cmd: ['CLIENT', 'UNBLOCK', '$ID1', 'ERROR'] },
      { c: 2, cmd: ['CLIENT', 'UNBLOCK', '$ID1'] },
      { c: 2, cmd: ['CLIENT', 'UNBLOCK', '$ID2'] },
    ],
  ],
  [
    'a blocked client is counted in INFO and its pipelined commands wait behind it',
    2,
    [{ c: 0, cmd: ['BLPOP', 'l', 0], wait: false }, { c: 0, cmd: ['PING'], wait: false }, { c: 1, cmd: ['RPUSH', 'l', 'v'] }],
  ],
];

for (const [name, clients, steps] of scenarios) {
  test(`blocking: ${name}`, async (t) => {
    await same(name, clients, steps, t);
  });
}

test('blocking: INFO blocked_clients counts waiting clients', async () => {
  const a = await RawClient.connect(shmkv.port);
  const b = await RawClient.connect(shmkv.port);
  try {
    const p = a.call('BRPOP', 'nothing', 0);
    await sleep(30);
    const infoText = String(toJS(decodeReply(await b.call('INFO', 'clients'))));
    assert.match(infoText, /blocked_clients:1\r\n/);
    assert.match(String(toJS(decodeReply(await b.call('CLIENT', 'LIST')))), /flags=b /);
    await b.call('RPUSH', 'nothing', 'x');
    assert.equal((await p).toString(), '*2\r\n$7\r\nnothing\r\n$1\r\nx\r\n');
    assert.match(String(toJS(decodeReply(await b.call('INFO', 'clients')))), /blocked_clients:0\r\n/);
  } finally {
    a.close();
    b.close();
  }
});

// ---------------------------------------------------------------- across processes

test('blocking across processes: a library process push wakes a server client', async () => {
  const a = await RawClient.connect(shmkv.port);
  try {
    await a.call('DEL', 'xl');
    const p = a.call('BLPOP', 'xl', 5);
    await sleep(50);
    const w = startWorker(['calls', shmkv.segment, JSON.stringify([['RPUSH', 'xl', 'from-lib']])]);
    const r = await w.exited;
    assert.equal(r.code, 0, r.err);
    assert.equal((await p).toString(), '*2\r\n$2\r\nxl\r\n$8\r\nfrom-lib\r\n');
  } finally {
    a.close();
  }
});

for (const how of ['sync', 'async']) {
  test(`blocking across processes: a server push wakes kv.blpop (${how}) in a library process`, async () => {
    const a = await RawClient.connect(shmkv.port);
    try {
      await a.call('DEL', 'yl');
      const w = startWorker(['blpop', shmkv.segment, 'yl', '10', ...(how === 'async' ? ['async'] : [])]);
      await w.ready;
      await sleep(150);
      const t0 = Date.now();
      assert.equal((await a.call('RPUSH', 'yl', 'from-server')).toString(), ':1\r\n');
      const r = await w.exited;
      assert.equal(r.code, 0, r.err);
      const out = JSON.parse(r.out) as { reply: unknown; ticked?: boolean };
      assert.deepEqual(out.reply, ['yl', 'from-server']);
      if (how === 'async') assert.equal(out.ticked, true, 'the event loop ran while waiting');
      assert.ok(Date.now() - t0 < 5000, 'woken by the push, not by the timeout');
      assert.equal((await a.call('EXISTS', 'yl')).toString(), ':0\r\n');
    } finally {
      a.close();
    }
  });
}

test('blocking in the library: timeouts, immediate replies, and kv.call never waits', async () => {
  const segment = `test-blocking-${process.pid}`;
  const kv = open({ segment, create: true });
  try {
    let t0 = Date.now();
    assert.equal(kv.blpop('none', 0.1), null);
    assert.ok(Date.now() - t0 >= 95, 'waited for the timeout');
    t0 = Date.now();
    assert.equal(await kv.brpopAsync(['none', 'none2'], 0.1), null);
    assert.ok(Date.now() - t0 >= 95);
    kv.call('RPUSH', 'l', 'a', 'b');
    assert.deepEqual(kv.blpop('l', 0), ['l', 'a']);
    assert.deepEqual(kv.brpop(['none', 'l'], 0), ['l', 'b']);
    // through kv.call a blocking command answers at once, as inside MULTI
    assert.equal(kv.call('BLPOP', 'l', 0), null);
    assert.throws(() => kv.blpop('l', -1), /timeout is negative/);
    kv.call('SET', 's', 'x');
    assert.throws(() => kv.blpop('s', 0), /WRONGTYPE/);
  } finally {
    kv.close();
    removeSegment(segment);
  }
});
