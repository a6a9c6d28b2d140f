/**
 * Differential tests of the list commands: the same random command sequences go to a real
 * redis-server 7.0 and to shmkv; the raw replies must be equal byte for byte, in RESP2 and
 * RESP3 (HELLO switches both), with small list-max-listpack-size values set by CONFIG SET
 * on both so that nodes split and merge. At the end of each sequence, every key's type,
 * elements and DEBUG DIGEST-VALUE are compared.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { RawClient } from '../helpers/raw-client.js';
import { startRedisOracle, type RedisOracle } from '../helpers/redis-oracle.js';
import { startShmkvServer, type ShmkvServer } from '../helpers/shmkv-server.js';

type Cmd = (string | number)[];

let redis: RedisOracle | null = null;
let shmkv: ShmkvServer;
let a: RawClient;
let b: RawClient;

before(async () => {
  redis = await startRedisOracle(['--enable-debug-command', 'yes']);
  shmkv = await startShmkvServer({ args: ['--enable-debug-command', 'yes'] });
  if (redis) a = await RawClient.connect(redis.port);
  b = await RawClient.connect(shmkv.port);
});

after(async () => {
  a?.close();
  b?.close();
  await redis?.stop();
  await shmkv?.stop();
});

const key = fc.constantFrom('l1', 'l2', 'l3', 's1', 'none');
const listKey = fc.constantFrom('l1', 'l2', 'l3');
const val = fc.oneof(
  fc.constantFrom('a', 'b', 'c', '1', '2', '-1', '007', '', 'a'.repeat(50), 'b'.repeat(300)),
  fc.integer({ min: -5, max: 1000 }).map(String),
  fc.string({ maxLength: 6 }),
);
const vals = fc.array(val, { minLength: 1, maxLength: 8 });
const idx = fc.oneof(fc.integer({ min: -12, max: 12 }), fc.constantFrom('x', '9223372036854775807', '-9223372036854775808', '99999999999999999999', ''));
const count = fc.oneof(fc.integer({ min: -3, max: 12 }), fc.constantFrom('x', '100000', '9223372036854775807', '-9223372036854775808'));
const side = fc.constantFrom('left', 'right', 'LEFT', 'Right', 'up');

const cmdArb: fc.Arbitrary<Cmd> = fc.oneof(
  { weight: 6, arbitrary: fc.tuple(fc.constantFrom('lpush', 'rpush'), key, vals).map(([c, k, v]) => [c, k, ...v]) },
  { weight: 2, arbitrary: fc.tuple(fc.constantFrom('lpushx', 'rpushx'), key, vals).map(([c, k, v]) => [c, k, ...v]) },
  { weight: 3, arbitrary: fc.tuple(fc.constantFrom('lpop', 'rpop'), key).map(([c, k]) => [c, k]) },
  { weight: 3, arbitrary: fc.tuple(fc.constantFrom('lpop', 'rpop'), key, count).map(([c, k, n]) => [c, k, n]) },
  { weight: 1, arbitrary: fc.tuple(fc.constantFrom('lpop', 'rpop'), key).map(([c, k]) => [c, k, 1, 2]) },
  { weight: 2, arbitrary: key.map((k) => ['llen', k]) },
  { weight: 4, arbitrary: fc.tuple(key, idx, idx).map(([k, s, e]) => ['lrange', k, s, e]) },
  { weight: 3, arbitrary: fc.tuple(key, idx).map(([k, i]) => ['lindex', k, i]) },
  { weight: 3, arbitrary: fc.tuple(key, idx, val).map(([k, i, v]) => ['lset', k, i, v]) },
  { weight: 3, arbitrary: fc.tuple(key, fc.constantFrom('before', 'AFTER', 'middle'), val, val).map(([k, w, p, v]) => ['linsert', k, w, p, v]) },
  { weight: 3, arbitrary: fc.tuple(key, count, val).map(([k, n, v]) => ['lrem', k, n, v]) },
  { weight: 2, arbitrary: fc.tuple(key, idx, idx).map(([k, s, e]) => ['ltrim', k, s, e]) },
  {
    weight: 3,
    arbitrary: fc
      .tuple(key, val, fc.array(fc.oneof(fc.tuple(fc.constantFrom('rank', 'RANK'), count), fc.tuple(fc.constantFrom('count', 'maxlen', 'MAXLEN'), count), fc.tuple(fc.constantFrom('bogus'), count)), { maxLength: 3 }))
      .map(([k, v, opts]) => ['lpos', k, v, ...opts.flat()]),
  },
  { weight: 1, arbitrary: fc.tuple(key, val).map(([k, v]) => ['lpos', k, v, 'rank']) },
  { weight: 2, arbitrary: fc.tuple(key, key).map(([s, d]) => ['rpoplpush', s, d]) },
  { weight: 3, arbitrary: fc.tuple(key, key, side, side).map(([s, d, x, y]) => ['lmove', s, d, x, y]) },
  {
    weight: 3,
    arbitrary: fc
      .tuple(fc.array(key, { minLength: 1, maxLength: 3 }), side, fc.option(count), fc.constantFrom(0, 0, 0, 1, -1, 5))
      .map(([ks, w, n, skew]) => ['lmpop', skew === 5 ? 'x' : ks.length + skew, ...ks, w, ...(n === null ? [] : ['count', n])]),
  },
  { weight: 1, arbitrary: fc.constantFrom<Cmd>(['set', 's1', 'str'], ['del', 'l1'], ['del', 'l2', 'l3'], ['type', 'l1'], ['exists', 'l2'], ['copy', 'l1', 'l2'], ['copy', 'l2', 'l3', 'replace'], ['rename', 'l3', 'l1'], ['object', 'encoding', 's1']) },
  { weight: 1, arbitrary: listKey.map((k) => ['object', 'encoding', k]) },
  { weight: 2, arbitrary: fc.constantFrom(-2, -1, 1, 2, 3, 5, 128).map((n) => ['config', 'set', 'list-max-listpack-size', n]) },
  { weight: 1, arbitrary: fc.constantFrom<Cmd>(['hello', '2'], ['hello', '3']) },
  { weight: 1, arbitrary: fc.tuple(listKey, fc.integer({ min: 1, max: 300 })).map(([k, n]) => ['rpush', k, ...Array.from({ length: n }, (_, i) => `e${i % 17}`)]) },
);

async function both(cmd: Cmd): Promise<[string, string]> {
  const [ra, rb] = await Promise.all([a.call(...cmd), b.call(...cmd)]);
  // HELLO's reply names each server: only the protocol switch matters
  if (String(cmd[0]) === 'hello') return ['hello', 'hello'];
  return [ra.toString('latin1'), rb.toString('latin1')];
}

test('lists: random command sequences give byte-identical replies to redis-server (RESP2 and RESP3, small node sizes)', async (t) => {
  if (!redis) {
    t.skip('redis-server not installed: differential test NOT RUN');
    return;
  }
  await fc.assert(
    fc.asyncProperty(fc.array(cmdArb, { minLength: 1, maxLength: 50 }), async (cmds) => {
      await both(['hello', '2']);
      await both(['flushall']);
      await both(['config', 'set', 'list-max-listpack-size', '-2']);
      for (const cmd of cmds) {
        const [ra, rb] = await both(cmd);
        if (ra !== rb) throw new Error(`${JSON.stringify(cmd)}\n  redis: ${JSON.stringify(ra)}\n  shmkv: ${JSON.stringify(rb)}`);
      }
      for (const k of ['l1', 'l2', 'l3', 's1']) {
        for (const c of [['type', k], ['lrange', k, 0, -1], ['debug', 'digest-value', k]] as Cmd[]) {
          const [ra, rb] = await both(c);
          assert.equal(rb, ra, JSON.stringify(c));
        }
      }
      const [da, db] = await both(['debug', 'digest']);
      assert.equal(db, da, 'DEBUG DIGEST');
    }),
    { numRuns: Number(process.env.SHMKV_DIFF_RUNS ?? 80), includeErrorInReport: true },
  );
  await both(['config', 'set', 'list-max-listpack-size', '-2']);
});

test('lists: long lists on tiny nodes (splits, merges, positional edits) match redis-server', async (t) => {
  if (!redis) {
    t.skip('redis-server not installed: differential test NOT RUN');
    return;
  }
  await both(['hello', '2']);
  await both(['flushall']);
  await both(['config', 'set', 'list-max-listpack-size', '2']);
  const items = Array.from({ length: 3000 }, (_, i) => `v${i % 50}`);
  for (let i = 0; i < items.length; i += 500) await both(['rpush', 'big', ...items.slice(i, i + 500)]);
  let seed = 7;
  const rnd = (n: number) => {
    seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
    return seed % n;
  };
  for (let i = 0; i < 600; i++) {
    const op = rnd(7);
    const n = 3000;
    const cmd: Cmd =
      op === 0
        ? ['lindex', 'big', rnd(n) - n / 2]
        : op === 1
          ? ['lset', 'big', rnd(n) - n / 2, `s${i}`]
          : op === 2
            ? ['linsert', 'big', rnd(2) ? 'before' : 'after', `v${rnd(50)}`, `i${i}`]
            : op === 3
              ? ['lrem', 'big', rnd(7) - 3, `v${rnd(50)}`]
              : op === 4
                ? ['lpos', 'big', `v${rnd(50)}`, 'rank', rnd(5) - 2 || 1, 'count', rnd(4)]
                : op === 5
                  ? ['lrange', 'big', rnd(n), rnd(n)]
                  : ['rpush', 'big', ...Array.from({ length: 1 + rnd(20) }, (_, j) => `v${j}`)];
    const [ra, rb] = await both(cmd);
    assert.equal(rb, ra, JSON.stringify(cmd));
  }
  for (const c of [['llen', 'big'], ['lrange', 'big', 0, -1], ['debug', 'digest-value', 'big']] as Cmd[]) {
    const [ra, rb] = await both(c);
    assert.equal(rb, ra, JSON.stringify(c));
  }
  await both(['ltrim', 'big', 100, -100]);
  const [ra, rb] = await both(['lrange', 'big', 0, -1]);
  assert.equal(rb, ra);
  await both(['config', 'set', 'list-max-listpack-size', '-2']);
});
