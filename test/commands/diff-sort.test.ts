/**
 * Differential test of SORT / SORT_RO over sets: random sets, weight keys and options go to
 * redis-server 7.0 and to shmkv; replies are compared byte for byte, except where Redis's
 * own order is undefined — BY a pattern without '*' (a set's hash order) and ALPHA BY a
 * pattern (qsort of equal or missing weights) — which are compared as multisets.
 * Lists are sorted too (and kept in their order when nothing is sorted), and STORE writes lists.
 * (ALPHA compares bytes; Redis uses strcoll, the same under the C / C.UTF-8 locales.)
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
let a: RawClient;
let b: RawClient;

before(async () => {
  redis = await startRedisOracle();
  shmkv = await startShmkvServer();
  if (redis) a = await RawClient.connect(redis.port);
  b = await RawClient.connect(shmkv.port);
});

after(async () => {
  a?.close();
  b?.close();
  await redis?.stop();
  await shmkv?.stop();
});

const VALUES = ['1', '2', '10', '-3', '2.5', '1e3', ' 4', '0x10', 'inf', '-inf', '', 'a', 'B', 'abc', '007', '3'];
const value = fc.constantFrom(...VALUES);
const member = fc.constantFrom('1', '2', '3', '10', '-5', '7', 'x', 'y', 'zz', 'A');

const optionArb: fc.Arbitrary<Cmd> = fc.oneof(
  fc.constant<Cmd>(['asc']),
  fc.constant<Cmd>(['desc']),
  fc.constant<Cmd>(['alpha']),
  fc.tuple(fc.integer({ min: -2, max: 6 }), fc.integer({ min: -2, max: 6 })).map(([s, c]) => ['limit', s, c]),
  fc.constantFrom<Cmd[]>(['by', 'w_*'], ['by', 'nosort'], ['by', 'h_*->f'], ['by', 'missing_*']),
  fc.constantFrom<Cmd[]>(['get', '#'], ['get', 'w_*'], ['get', 'g_*'], ['get', 'nostar'], ['get', 'w_*->f']),
);

test('SORT and SORT_RO over sets give the same replies as redis-server', async (t) => {
  if (!redis) {
    t.skip('redis-server not installed: differential test NOT RUN');
    return;
  }
  await fc.assert(
    fc.asyncProperty(
      fc.uniqueArray(member, { minLength: 0, maxLength: 8 }),
      fc.array(fc.tuple(member, value), { maxLength: 10 }),
      fc.array(fc.tuple(member, value), { maxLength: 6 }),
      fc.array(optionArb, { maxLength: 5 }),
      fc.constantFrom('sort', 'sort_ro'),
      async (ms, weights, gets, opts, name) => {
        const setup: Cmd[] = [['flushall'], ['config', 'set', 'set-max-intset-entries', 4]];
        if (ms.length > 0) setup.push(['sadd', 's', ...ms]);
        for (const [m, v] of weights) setup.push(['set', `w_${m}`, v]);
        for (const [m, v] of gets) setup.push(['set', `g_${m}`, v]);
        // BY/GET key->field read hash fields (h_ hashes; w_*->f names a string: nil)
        for (const [m, v] of weights.slice(0, 4)) setup.push(['hset', `h_${m}`, 'f', v, 'o', 'x']);
        setup.push(['set', 'str', 'v']);
        for (const c of setup) await Promise.all([a.call(...c), b.call(...c)]);
        const args = opts.flat();
        const cmd: Cmd = [name, 's', ...args];
        const by = opts.filter((o) => o[0] === 'by').map((o) => String(o[1]));
        const dontsort = by.some((p) => !p.includes('*'));
        const alpha = opts.some((o) => o[0] === 'alpha');
        const lastBy = by.length > 0 ? by[by.length - 1]! : null;
        const limited = opts.some((o) => o[0] === 'limit');
        // undefined orders in Redis itself: compare as multisets (with a LIMIT the chosen
        // elements themselves may differ: compare the count only)
        const loose = dontsort || (alpha && lastBy !== null);
        for (const c of [cmd, [name, 'nokey', ...args], [name, 'str', ...args]] as Cmd[]) {
          let [ra, rb] = await Promise.all([a.call(...c), b.call(...c)]);
          if (loose) {
            const va = decodeReply(ra);
            const vb = decodeReply(rb);
            if (limited && va.type === 'array' && vb.type === 'array') {
              assert.equal(vb.value.length, va.value.length, `${JSON.stringify(c)}\n  redis: ${show(ra)}\n  shmkv: ${show(rb)}`);
              continue;
            }
            ra = reencode(canonical(va));
            rb = reencode(canonical(vb));
          }
          assert.ok(ra.equals(rb), `${JSON.stringify(c)}\n  redis: ${show(ra)}\n  shmkv: ${show(rb)}`);
        }
      },
    ),
    { numRuns: Number(process.env.SHMKV_DIFF_RUNS ?? 150), includeErrorInReport: true },
  );
  await Promise.all([a.call('config', 'set', 'set-max-intset-entries', 512), b.call('config', 'set', 'set-max-intset-entries', 512)]);
});

test('SORT over lists, and STORE (a list), give the same replies and results as redis-server', async (t) => {
  if (!redis) {
    t.skip('redis-server not installed: differential test NOT RUN');
    return;
  }
  await fc.assert(
    fc.asyncProperty(
      fc.array(member, { minLength: 0, maxLength: 10 }),
      fc.uniqueArray(member, { minLength: 0, maxLength: 8 }),
      fc.array(fc.tuple(member, value), { maxLength: 10 }),
      fc.array(optionArb, { maxLength: 5 }),
      fc.constantFrom('l', 's', 'nokey'),
      fc.constantFrom('dst', 'l', 'str', null),
      async (items, ms, weights, opts, src, store) => {
        const setup: Cmd[] = [['flushall']];
        if (items.length > 0) setup.push(['rpush', 'l', ...items]);
        if (ms.length > 0) setup.push(['sadd', 's', ...ms]);
        for (const [m, v] of weights) setup.push(['set', `w_${m}`, v]);
        for (const [m, v] of weights.slice(2, 6)) setup.push(['hset', `h_${m}`, 'f', v]);
        setup.push(['set', 'str', 'v'], ['set', 'dst', 'old'], ['expire', 'dst', 1000]);
        for (const c of setup) await Promise.all([a.call(...c), b.call(...c)]);
        const args = opts.flat();
        const cmd: Cmd = store === null ? ['sort', src, ...args] : ['sort', src, ...args, 'store', store];
        const by = opts.filter((o) => o[0] === 'by').map((o) => String(o[1]));
        const alpha = opts.some((o) => o[0] === 'alpha');
        const lastBy = by.length > 0 ? by[by.length - 1]! : null;
        const dontsort = by.some((p) => !p.includes('*'));
        // undefined orders in Redis itself: ALPHA BY (ties), a set unsorted (hash order)
        const loose = (alpha && lastBy !== null && !(dontsort && store === null)) || (src === 's' && dontsort && store === null);
        const limited = opts.some((o) => o[0] === 'limit');
        const compare = async (c: Cmd) => {
          let [ra, rb] = await Promise.all([a.call(...c), b.call(...c)]);
          const where = `${JSON.stringify(cmd)} then ${JSON.stringify(c)}\n  redis: ${show(ra)}\n  shmkv: ${show(rb)}`;
          if (loose) {
            const va = decodeReply(ra);
            const vb = decodeReply(rb);
            if (limited && va.type === 'array' && vb.type === 'array') {
              assert.equal(vb.value.length, va.value.length, where);
              return;
            }
            ra = reencode(canonical(va));
            rb = reencode(canonical(vb));
          }
          assert.ok(ra.equals(rb), where);
        };
        await compare(cmd);
        if (store !== null) {
          await compare(['type', store]);
          await compare(['lrange', store, 0, -1]);
          await compare(['ttl', store]);
        }
      },
    ),
    { numRuns: Number(process.env.SHMKV_DIFF_RUNS ?? 150), includeErrorInReport: true },
  );
});

test('SORT: errors, STORE of an empty result, COMMAND GETKEYS', async (t) => {
  if (!redis) {
    t.skip('redis-server not installed: differential test NOT RUN');
    return;
  }
  const cmds: Cmd[] = [
    ['flushall'],
    ['sadd', 's', '1', '2', 'x'],
    ['sort', 's'],
    ['sort', 's', 'alpha'],
    ['sort', 's', 'foo'],
    ['sort', 's', 'limit', 'x', '1'],
    ['sort', 's', 'limit', '1'],
    ['sort_ro', 's', 'store', 'd'],
    ['set', 'd', 'x'],
    ['sort', 'nokey', 'store', 'd'],
    ['exists', 'd'],
    ['sort', 's', 'limit', '5', '1', 'store', 'd'],
    ['command', 'getkeys', 'sort', 's', 'store', 'd', 'by', 'x', 'limit', '0', '1', 'store', 'e'],
    ['command', 'getkeys', 'sort', 's', 'get', 'store', 'store', 'd'],
    ['command', 'getkeys', 'sort_ro', 's', 'by', 'w_*'],
  ];
  for (const c of cmds) {
    const [ra, rb] = await Promise.all([a.call(...c), b.call(...c)]);
    assert.ok(ra.equals(rb), `${JSON.stringify(c)}\n  redis: ${show(ra)}\n  shmkv: ${show(rb)}`);
  }
});

test('SORT with a LIMIT window of a big list (only the window is put in order) gives the same replies as redis-server', async (t) => {
  if (!redis) {
    t.skip('redis-server not installed: differential test NOT RUN');
    return;
  }
  const both = async (c: Cmd): Promise<void> => {
    const [ra, rb] = await Promise.all([a.call(...c), b.call(...c)]);
    assert.ok(ra.equals(rb), `${JSON.stringify(c)}\n  redis: ${show(ra)}\n  shmkv: ${show(rb)}`);
  };
  // many equal scores (ties go by the element's bytes), equal elements, and spellings of one number
  const items: string[] = [];
  for (let i = 0; i < 3000; i++) items.push(i % 50 === 0 ? `0${i % 101}` : i % 7 === 0 ? `${i % 101}.0` : String((i * 37) % 101));
  await both(['flushall']);
  await both(['rpush', 'l', ...items]);
  for (const [s, c] of [[0, 10], [0, 1], [5, 20], [740, 3], [0, 749], [2990, 50], [-1, 5]]) {
    for (const extra of [[], ['desc'], ['alpha'], ['alpha', 'desc']] as Cmd[]) {
      await both(['sort', 'l', 'limit', s!, c!, ...extra]);
      await both(['sort', 'l', 'limit', s!, c!, ...extra, 'store', 'd']);
      await both(['lrange', 'd', 0, -1]);
    }
  }
});
