/**
 * Differential tests of the GEO commands: the same random command sequences go to a real
 * redis-server 7.0 and to shmkv, and every reply must be equal byte for byte — positions
 * ("%.17Lf" trimmed), distances ("%.4f"), geohashes, the order of search results (sorted,
 * unsorted in the sorted set's order, COUNT with Redis's partial sort, ANY) and every
 * error of the argument parser. Points cluster around a centre so that searches of every
 * radius find some, a few sit on the map's limits, and several members share a position
 * (ties in distance). After each sequence every key is compared with ZRANGE WITHSCORES.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { RawClient } from '../helpers/raw-client.js';
import { show } from '../helpers/differential.js';
import { startRedisOracle, type RedisOracle } from '../helpers/redis-oracle.js';
import { removeSegment, startShmkvServer, type ShmkvServer } from '../helpers/shmkv-server.js';
import { openKeyspace } from '../../src/keyspace/open.js';
import { checkKeyspace } from '../../src/keyspace/check.js';
import { open, type KV } from '../../src/kv/index.js';
import '../../src/types/index.js';

type Cmd = (string | number)[];

let redis: RedisOracle | null = null;
let shmkv: ShmkvServer;
let a: RawClient;
let b: RawClient;
let lib: KV;
const libSegment = `test-kv-geo-${process.pid}`;

before(async () => {
  redis = await startRedisOracle(['--enable-debug-command', 'yes']);
  shmkv = await startShmkvServer({ args: ['--enable-debug-command', 'yes'] });
  if (redis) a = await RawClient.connect(redis.port);
  b = await RawClient.connect(shmkv.port);
  lib = open({ segment: libSegment, create: true });
});

after(async () => {
  a?.close();
  b?.close();
  lib?.close();
  removeSegment(libSegment);
  await redis?.stop();
  await shmkv?.stop();
});

const KEYS = ['g1', 'g2', 'dst', 'str'];
const MEMBERS = ['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h', 'i', 'j', 'k', 'l', 'm', 'n', 'o', '1', '2', ''];
const UNITS = ['m', 'km', 'ft', 'mi', 'KM', 'Mi', 'yd'];

const key = fc.constantFrom(...KEYS);
const member = fc.constantFrom(...MEMBERS);
const unit = fc.constantFrom(...UNITS);

/** Points near (13.36, 38.11), within a few hundred km, at 6 decimals; some shared by several members. */
const near = fc.tuple(fc.integer({ min: -3000000, max: 3000000 }), fc.integer({ min: -2000000, max: 2000000 })).map(([dx, dy]) => [((13361389 + dx) / 1e6).toFixed(6), ((38115556 + dy) / 1e6).toFixed(6)]);
const SHARED = [['13.361389', '38.115556'], ['15.087269', '37.502669'], ['13.5', '38']];
const point: fc.Arbitrary<string[]> = fc.oneof(
  { weight: 6, arbitrary: near },
  { weight: 2, arbitrary: fc.constantFrom(...SHARED) },
  // anywhere, the limits, and out of range
  { weight: 1, arbitrary: fc.tuple(fc.integer({ min: -180000, max: 180000 }), fc.integer({ min: -85051, max: 85051 })).map(([x, y]) => [(x / 1000).toString(), (y / 1000).toString()]) },
  { weight: 1, arbitrary: fc.constantFrom<string[]>(['180', '85.05112878'], ['-180', '-85.05112878'], ['0', '0'], ['-0.000001', '0.000001'], ['180.000001', '0'], ['0', '85.06'], ['x', '1'], ['1', 'nan'], ['inf', '0']) },
);

const radius = fc.constantFrom('0', '1', '10', '50', '100', '200', '500', '5000', '20000', '-1', 'x', '0.5');
const from: fc.Arbitrary<Cmd> = fc.oneof(
  member.map((m): Cmd => ['FROMMEMBER', m]),
  point.map((p): Cmd => ['FROMLONLAT', ...p]),
);
const by: fc.Arbitrary<Cmd> = fc.oneof(
  fc.tuple(radius, unit).map(([r, u]): Cmd => ['BYRADIUS', r, u]),
  fc.tuple(radius, radius, unit).map(([w, h, u]): Cmd => ['BYBOX', w, h, u]),
);
const count = fc.constantFrom('1', '2', '3', '5', '10', '0', '-1', 'x');
/** The optional parts of a search, in a random order (Redis takes them in any order). */
const options = (store: boolean): fc.Arbitrary<Cmd> =>
  fc
    .tuple(
      fc.option(fc.constantFrom('ASC', 'DESC', 'asc'), { nil: undefined }),
      fc.option(fc.tuple(count, fc.boolean()).map(([c, any]): Cmd => (any ? ['COUNT', c, 'ANY'] : ['COUNT', c])), { nil: undefined }),
      fc.subarray(store ? ['STOREDIST'] : ['WITHCOORD', 'WITHDIST', 'WITHHASH']),
      fc.option(fc.constantFrom<Cmd>(['ANY'], ['junk'], ['WITHDIST'], ['COUNT'], ['FROMMEMBER', 'a'], ['BYRADIUS', '1', 'km']), { nil: undefined }),
    )
    .chain(([sort, cnt, flags, extra]) => {
      const parts: Cmd[] = [];
      if (sort) parts.push([sort]);
      if (cnt) parts.push(cnt);
      for (const f of flags) parts.push([f]);
      if (extra) parts.push(extra);
      return fc.shuffledSubarray(parts, { minLength: parts.length, maxLength: parts.length }).map((ps) => ps.flat());
    });

const radiusOptions: fc.Arbitrary<Cmd> = fc
  .tuple(options(false), fc.option(fc.tuple(fc.constantFrom('STORE', 'STOREDIST'), key), { nil: undefined }))
  .map(([o, s]) => (s ? [...o, ...s] : o));

const cmdArb: fc.Arbitrary<Cmd> = fc.oneof(
  {
    weight: 8,
    arbitrary: fc
      .tuple(key, fc.subarray(['NX', 'XX', 'CH']), fc.array(fc.tuple(point, member), { minLength: 1, maxLength: 6 }))
      .map(([k, opts, pts]) => ['geoadd', k, ...opts, ...pts.flatMap(([p, m]) => [...p, m])]),
  },
  { weight: 1, arbitrary: fc.constantFrom<Cmd>(['geoadd', 'g1', '1', '2'], ['geoadd', 'g1', 'NX', 'XX', '1', '2', 'a'], ['geoadd', 'g1', 'CH', 'CH', 'CH'], ['geoadd', 'g1', 'foo', '1', '2', 'a'], ['zadd', 'g1', '1.5', 'odd'], ['zadd', 'g1', '-7', 'neg']) },
  { weight: 3, arbitrary: fc.tuple(key, fc.array(member, { minLength: 1, maxLength: 4 })).map(([k, ms]) => ['geopos', k, ...ms]) },
  { weight: 3, arbitrary: fc.tuple(key, fc.array(member, { minLength: 1, maxLength: 4 })).map(([k, ms]) => ['geohash', k, ...ms]) },
  { weight: 3, arbitrary: fc.tuple(key, member, member, fc.option(unit, { nil: undefined })).map(([k, x, y, u]) => (u ? ['geodist', k, x, y, u] : ['geodist', k, x, y])) },
  { weight: 1, arbitrary: fc.constantFrom<Cmd>(['geodist', 'g1', 'a', 'b', 'km', 'x'], ['geodist', 'nokey', 'a', 'b', 'yd'], ['geohash', 'nokey'], ['geopos', 'g1']) },
  { weight: 8, arbitrary: fc.tuple(key, from, by, options(false)).chain(([k, f, b2, o]) => fc.shuffledSubarray([f, b2, o], { minLength: 3, maxLength: 3 }).map((ps) => ['geosearch', k, ...ps.flat()])) },
  { weight: 1, arbitrary: fc.tuple(key, fc.option(from, { nil: undefined }), fc.option(by, { nil: undefined }), options(false)).map(([k, f, b2, o]) => ['geosearch', k, ...(f ?? []), ...(b2 ?? []), ...o]) },
  { weight: 4, arbitrary: fc.tuple(key, key, from, by, options(true)).map(([d, k, f, b2, o]) => ['geosearchstore', d, k, ...f, ...b2, ...o]) },
  { weight: 4, arbitrary: fc.tuple(fc.constantFrom('georadius', 'georadius_ro', 'GEORADIUS'), key, point, radius, unit, radiusOptions).map(([c, k, p, r, u, o]) => [c, k, ...p, r, u, ...o]) },
  { weight: 4, arbitrary: fc.tuple(fc.constantFrom('georadiusbymember', 'georadiusbymember_ro'), key, member, radius, unit, radiusOptions).map(([c, k, m, r, u, o]) => [c, k, m, r, u, ...o]) },
  { weight: 3, arbitrary: key.map((k) => ['zrange', k, 0, -1, 'withscores']) },
  { weight: 1, arbitrary: fc.constantFrom<Cmd>(['set', 'str', 'v'], ['del', 'g1'], ['del', 'dst'], ['expire', 'dst', '100'], ['ttl', 'dst'], ['type', 'dst']) },
  { weight: 1, arbitrary: fc.constantFrom(2, 3).map((p) => ['hello', p]) },
);

async function compareState(): Promise<void> {
  for (const k of KEYS) {
    const [ta, tb] = await Promise.all([a.call('type', k), b.call('type', k)]);
    assert.ok(ta.equals(tb), `type of ${k}: ${show(ta)} vs ${show(tb)}`);
    if (ta.toString() !== '+zset\r\n') continue;
    const [ra, rb] = await Promise.all([a.call('zrange', k, 0, -1, 'withscores'), b.call('zrange', k, 0, -1, 'withscores')]);
    assert.ok(ra.equals(rb), `members of ${k}: ${show(ra)} vs ${show(rb)}`);
  }
}

function integrity(): void {
  const ks = openKeyspace({ segment: shmkv.segment, create: false });
  try {
    assert.deepEqual(ks.exec(() => checkKeyspace(ks)).errors, [], 'keyspace check');
  } finally {
    ks.close();
  }
}

async function same(cmd: Cmd): Promise<void> {
  const [ra, rb] = await Promise.all([a.call(...cmd), b.call(...cmd)]);
  if (cmd[0] === 'hello') return; // server-specific fields; the protocol switch is what matters
  if (!ra.equals(rb)) throw new Error(`replies differ for ${JSON.stringify(cmd)}\n  redis: ${show(ra)}\n  shmkv: ${show(rb)}`);
}

test('geo: random command sequences give the same replies as redis-server', async (t) => {
  if (!redis) {
    t.skip('redis-server not installed: differential test NOT RUN');
    return;
  }
  await fc.assert(
    fc.asyncProperty(fc.array(cmdArb, { minLength: 1, maxLength: 40 }), async (cmds) => {
      for (const c of [['hello', 2], ['flushall']] as Cmd[]) await Promise.all([a.call(...c), b.call(...c)]);
      for (const cmd of cmds) await same(cmd);
      await compareState();
      integrity();
    }),
    { numRuns: Number(process.env.SHMKV_DIFF_RUNS ?? 80), includeErrorInReport: true },
  );
  await Promise.all([a.call('hello', 2), b.call('hello', 2)]);
});

test('geo: large sets (skiplist encoding), COUNT over many equal distances, searches of every size', async (t) => {
  if (!redis) {
    t.skip('redis-server not installed: differential test NOT RUN');
    return;
  }
  await same(['flushall']);
  // 600 points on a grid around the centre, 50 of them stacked on 5 positions
  const args: Cmd = ['geoadd', 'big'];
  for (let i = 0; i < 550; i++) args.push((13 + (i % 25) * 0.05).toFixed(6), (37.5 + Math.floor(i / 25) * 0.05).toFixed(6), `p${i}`);
  for (let i = 0; i < 50; i++) args.push(...SHARED[i % 3]!, `s${i}`);
  await same(args);
  await same(['object', 'encoding', 'big']);
  for (const resp of [2, 3]) {
    await same(['hello', resp]);
    for (const r of ['0', '1', '5', '20', '50', '100', '300', '1000', '6000']) {
      for (const extra of [[], ['ASC'], ['DESC'], ['COUNT', '7'], ['COUNT', '60', 'DESC'], ['COUNT', '3', 'ANY'], ['COUNT', '45'], ['COUNT', '100', 'ASC', 'WITHDIST', 'WITHCOORD', 'WITHHASH']] as Cmd[]) {
        await same(['geosearch', 'big', 'FROMLONLAT', '13.361389', '38.115556', 'BYRADIUS', r, 'km', ...extra]);
        await same(['geosearch', 'big', 'FROMMEMBER', 's1', 'BYBOX', r, String(Number(r) / 2), 'km', ...extra]);
      }
      await same(['georadiusbymember', 'big', 'p300', r, 'km', 'COUNT', '40', 'STOREDIST', 'dst']);
      await same(['zrange', 'dst', '0', '-1', 'withscores']);
      await same(['geosearchstore', 'dst', 'big', 'FROMLONLAT', '14', '38', 'BYBOX', r, r, 'mi', 'DESC', 'COUNT', '33']);
      await same(['zrange', 'dst', '0', '-1', 'withscores']);
      await same(['object', 'encoding', 'dst']);
    }
  }
  await same(['hello', 2]);
  // random searches of every kind over the large set
  const search: fc.Arbitrary<Cmd> = fc.oneof(
    fc.tuple(from, by, options(false)).map(([f, b2, o]) => ['geosearch', 'big', ...f, ...b2, ...o]),
    fc.tuple(from, by, options(true)).map(([f, b2, o]) => ['geosearchstore', 'dst', 'big', ...f, ...b2, ...o]),
    fc.tuple(point, radius, unit, radiusOptions).map(([p, r, u, o]) => ['georadius', 'big', ...p, r, u, ...o]),
  );
  const pMember = fc.integer({ min: 0, max: 549 }).map((i) => `p${i}`);
  await fc.assert(
    fc.asyncProperty(search, pMember, async (cmd, m) => {
      // FROMMEMBER of the small pool would miss: aim at the grid's members
      const c = cmd.map((x, i) => (i > 0 && cmd[i - 1] === 'FROMMEMBER' ? m : x));
      await same(c);
      if (c[0] !== 'geosearch') await same(['zrange', 'dst', '0', '-1', 'withscores']);
    }),
    { numRuns: Number(process.env.SHMKV_DIFF_RUNS ?? 80) * 2, includeErrorInReport: true },
  );
  integrity();
});

test('the library: geoadd, geodist, geopos, geosearch, geosearchstore', () => {
  lib.call('flushall');
  assert.equal(lib.geoadd('Sicily', [[13.361389, 38.115556, 'Palermo'], [15.087269, 37.502669, 'Catania']]), 2);
  assert.equal(lib.geoadd('Sicily', [[13.361389, 38.115556, 'Palermo'], [12.758489, 38.788135, 'edge1']], { ch: true }), 1);
  assert.equal(lib.geoadd('Sicily', [[0, 0, 'Palermo']], { xx: true, ch: true }), 1);
  assert.equal(lib.geoadd('Sicily', [[13.361389, 38.115556, 'Palermo']], { xx: true }), 0);
  assert.equal(lib.geodist('Sicily', 'Palermo', 'Catania'), 166274.1516);
  assert.equal(lib.geodist('Sicily', 'Palermo', 'Catania', 'km'), 166.2742);
  assert.equal(lib.geodist('Sicily', 'Palermo', 'nowhere'), null);
  assert.deepEqual(lib.geopos('Sicily', 'Palermo', 'nowhere'), [[13.36138933897018433, 38.11555639549629859], null]);
  assert.deepEqual(lib.geosearch('Sicily', { lonlat: [15, 37], radius: 200, unit: 'km', sort: 'ASC' }), ['Catania', 'Palermo']);
  assert.deepEqual(lib.geosearch('Sicily', { member: 'Palermo', box: [400, 400], unit: 'km', sort: 'DESC', count: 1, withDist: true, withCoord: true, withHash: true }), [
    { member: 'Catania', dist: 166.2742, hash: 3479447370796909, coord: [15.08726745843887329, 37.50266842333162032] },
  ]);
  assert.equal(lib.geosearchstore('dst', 'Sicily', { lonlat: [15, 37], radius: 200, unit: 'km', storeDist: true }), 2);
  assert.equal(lib.call('ZSCORE', 'dst', 'Catania'), '56.441257870158204');
  lib.set('s', 'v');
  assert.throws(() => lib.geoadd('s', [[1, 2, 'x']]), /WRONGTYPE/);
  assert.throws(() => lib.geosearch('Sicily', { lonlat: [15, 37], count: 1 }), /exactly one of BYRADIUS and BYBOX/);
});
