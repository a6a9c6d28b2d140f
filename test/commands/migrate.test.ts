/**
 * MIGRATE, differentially: the same MIGRATE sequences run from a real redis-server and
 * from shmkv, to the same kind of target (a second redis-server, then a shmkv server),
 * must get the same replies byte for byte and leave the same keys behind on both sides:
 * one key and KEYS, COPY, REPLACE, BUSYKEY and SELECT errors from the target, NOKEY, the
 * argument errors, AUTH and AUTH2 (a target with a password), a target that accepts and
 * never answers (IOERR after the timeout, the caller blocked that long and no longer) and
 * one that refuses. Also shmkv → shmkv, redis → shmkv, INFO's migrate_cached_sockets, and
 * MIGRATE from a library process.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { RawClient, decodeReply } from '../helpers/raw-client.js';
import { canonical, reencode, show } from '../helpers/differential.js';
import { startRedisOracle, type RedisOracle } from '../helpers/redis-oracle.js';
import { removeSegment, startShmkvServer, type ShmkvServer } from '../helpers/shmkv-server.js';
import { freePort } from '../helpers/ports.js';
import { open } from '../../src/kv/index.js';

type Cmd = (string | number | Buffer)[];

let redisSrc: RedisOracle | null = null;
let redisDst: RedisOracle | null = null;
let redisAuth: RedisOracle | null = null;
let shmkvSrc: ShmkvServer;
let shmkvDst: ShmkvServer;
let silent: net.Server;
let silentPort = 0;
const silentSockets: net.Socket[] = [];

before(async () => {
  redisSrc = await startRedisOracle();
  redisDst = await startRedisOracle();
  redisAuth = await startRedisOracle(['--requirepass', 'secret']);
  shmkvSrc = await startShmkvServer();
  shmkvDst = await startShmkvServer();
  // accepts, reads, never answers
  silent = net.createServer((s) => {
    silentSockets.push(s);
    s.on('error', () => {});
    s.resume();
  });
  await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
  silentPort = (silent.address() as net.AddressInfo).port;
});

after(async () => {
  for (const s of silentSockets) s.destroy();
  silent?.close();
  await redisSrc?.stop();
  await redisDst?.stop();
  await redisAuth?.stop();
  await shmkvSrc?.stop();
  await shmkvDst?.stop();
});

/** The setup every scenario starts from on a source: one key of each type (and one with a TTL). */
const SETUP: Cmd[] = [
  ['flushall'],
  ['set', 's', 'string value'],
  ['rpush', 'l', 'a', 'b', '3', 'x'.repeat(100)],
  ['sadd', 'si', 1, 2, 3],
  ['sadd', 'st', 'a', 'b', 'c'],
  ['hset', 'h', 'f', 'v', 'g', '12'],
  ['zadd', 'z', 1, 'a', '2.5', 'b'],
  ['zadd', 'zs', ...Array.from({ length: 300 }, (_, i) => (i % 2 ? `m${i}` : String(i)))],
  ['set', 'ttl', 'v', 'px', 100000],
];

const KEYS = ['s', 'l', 'si', 'st', 'h', 'z', 'zs', 'ttl', 'c', 'missing'];

/** What a key holds, whatever its type (order-free where the order is a hash table's). */
async function snapshot(c: RawClient, db: number): Promise<string[]> {
  await c.call('select', db);
  const out: string[] = [];
  for (const k of KEYS) {
    const t = decodeReply(await c.call('type', k));
    const type = t.type === 'simple' ? t.value : '?';
    let v: Buffer;
    if (type === 'string') v = await c.call('get', k);
    else if (type === 'list') v = await c.call('lrange', k, 0, -1);
    else if (type === 'set') v = reencode(canonical(decodeReply(await c.call('smembers', k))));
    else if (type === 'hash') v = reencode(canonical(decodeReply(await c.call('hgetall', k))));
    else if (type === 'zset') v = await c.call('zrange', k, 0, -1, 'withscores');
    else v = Buffer.from('');
    const ttl = Number((await c.call('pttl', k)).toString().slice(1));
    const enc = await c.call('object', 'encoding', k);
    // (the only TTL set is PX 100000: one class, (50 s, 100 s], however slowly the test runs)
    out.push(`${k} ${type} ${show(v)} ${enc.toString().trim()} ttl:${ttl > 0 ? Math.ceil(ttl / 50000) : ttl}`);
  }
  await c.call('select', 0);
  return out;
}

/**
 * Run `steps(targetPort)` on a source after SETUP; the replies (IOERR timings aside) and
 * how long each step took.
 */
async function runFrom(srcPort: number, steps: Cmd[]): Promise<{ replies: string[]; ms: number[] }> {
  const c = await RawClient.connect(srcPort);
  try {
    for (const s of SETUP) await c.call(...s);
    const replies: string[] = [];
    const ms: number[] = [];
    for (const s of steps) {
      const t0 = Date.now();
      replies.push(show(await c.call(...s)));
      ms.push(Date.now() - t0);
    }
    return { replies, ms };
  } finally {
    c.close();
  }
}

/** The same steps from redis-server and from shmkv (each to its own target database); replies and both sides' keys compared. */
async function differential(targetPort: number, targetAuth: string | null, stepsFor: (db: number) => Cmd[]): Promise<{ redisMs: number[]; shmkvMs: number[] }> {
  const t = await RawClient.connect(targetPort);
  try {
    if (targetAuth !== null) await t.call('auth', targetAuth);
    await t.call('flushall');
    const r = await runFrom(redisSrc!.port, stepsFor(1));
    const s = await runFrom(shmkvSrc.port, stepsFor(2));
    for (let i = 0; i < r.replies.length; i++) assert.equal(s.replies[i], r.replies[i], `step ${i}: ${JSON.stringify(stepsFor(2)[i]!.map(String))}`);
    assert.deepEqual(await snapshot(t, 2), await snapshot(t, 1), 'the target');
    const rs = await RawClient.connect(redisSrc!.port);
    const ss = await RawClient.connect(shmkvSrc.port);
    try {
      assert.deepEqual(await snapshot(ss, 0), await snapshot(rs, 0), 'the source');
    } finally {
      rs.close();
      ss.close();
    }
    return { redisMs: r.ms, shmkvMs: s.ms };
  } finally {
    t.close();
  }
}

const H = '127.0.0.1';

function basicSteps(port: number) {
  return (db: number): Cmd[] => [
    ['migrate', H, port, 's', db, 5000],
    ['exists', 's'],
    ['migrate', H, port, 's', db, 5000],
    ['migrate', H, port, '', db, 5000, 'keys', 'l', 'missing', 'si', 'st', 'h', 'z', 'zs', 'ttl'],
    ['dbsize'],
    ['set', 's', 'second'],
    ['migrate', H, port, 's', db, 5000],
    ['get', 's'],
    ['migrate', H, port, 's', db, 5000, 'replace'],
    ['set', 'c', 'copied'],
    ['migrate', H, port, 'c', db, 5000, 'copy'],
    ['migrate', H, port, 'c', db, 5000, 'copy'],
    ['set', 'c', 'copied again'],
    ['migrate', H, port, 'c', db, 5000, 'copy', 'replace'],
    ['exists', 'c'],
    ['migrate', H, port, '', db, 5000, 'keys'],
    ['migrate', H, port, '', db, 5000, 'keys', 'missing'],
    ['migrate', H, port, 'c', db, 5000, 'keys', 'c'],
    ['migrate', H, port, 'c', db, 'x'],
    ['migrate', H, port, 'c', 'x', 5000],
    ['migrate', H, port, 'c', db, 5000, 'auth'],
    ['migrate', H, port, 'c', db, 5000, 'auth2', 'u'],
    ['migrate', H, port, 'c', db, 5000, 'bogus'],
    ['migrate', H, port, 'c', 999999, 5000],
    ['migrate', H, port, 'c', -1, 5000],
    ['exists', 'c'],
    ['migrate', H, port, 'c', db, 0],
    ['migrate', H, port, 'c', db, -5, 'replace'],
  ];
}

test('MIGRATE to redis-server: from redis-server and from shmkv, the same replies and keys', async (t) => {
  if (!redisSrc || !redisDst) return t.skip('redis-server is not installed');
  await differential(redisDst.port, null, basicSteps(redisDst.port));
});

test('MIGRATE to a shmkv server: from redis-server and from shmkv (shmkv → shmkv), the same replies and keys', async (t) => {
  if (!redisSrc) return t.skip('redis-server is not installed');
  await differential(shmkvDst.port, null, basicSteps(shmkvDst.port));
});

test('MIGRATE AUTH / AUTH2 to a target with a password', async (t) => {
  if (!redisSrc || !redisAuth) return t.skip('redis-server is not installed');
  const port = redisAuth.port;
  await differential(port, 'secret', (db) => [
    ['migrate', H, port, 's', db, 5000],
    ['migrate', H, port, 's', db, 5000, 'auth', 'wrong'],
    ['migrate', H, port, 's', db, 5000, 'auth2', 'default', 'wrong'],
    ['migrate', H, port, 's', db, 5000, 'auth', 'secret'],
    ['migrate', H, port, 'l', db, 5000, 'auth2', 'default', 'secret'],
    ['migrate', H, port, '', db, 5000, 'copy', 'auth', 'secret', 'keys', 'h', 'z'],
    ['exists', 's', 'l', 'h', 'z'],
  ]);
});

test('MIGRATE to a server that never answers: IOERR after the timeout; one that refuses: IOERR connecting', async (t) => {
  if (!redisSrc) return t.skip('redis-server is not installed');
  const closed = await freePort();
  const { redisMs, shmkvMs } = await differential(redisDst!.port, null, () => [
    ['migrate', H, silentPort, 's', 0, 300],
    ['exists', 's'],
    ['migrate', H, silentPort, '', 0, 300, 'keys', 'l', 'h'],
    ['migrate', H, closed, 's', 0, 300],
    ['exists', 's', 'l', 'h'],
  ]);
  // blocked for the timeout (reading the reply), not much longer: as Redis
  for (const ms of [redisMs[0]!, shmkvMs[0]!, shmkvMs[2]!]) assert.ok(ms >= 250 && ms < 2000, `MIGRATE took ${ms} ms (redis ${redisMs.join(',')}, shmkv ${shmkvMs.join(',')})`);
});

test('MIGRATE from redis-server to shmkv carries every type and encoding; migrate_cached_sockets counts the cached connection', async (t) => {
  if (!redisSrc) return t.skip('redis-server is not installed');
  const src = await RawClient.connect(redisSrc.port);
  const dst = await RawClient.connect(shmkvDst.port);
  const mine = await RawClient.connect(shmkvSrc.port);
  try {
    for (const s of SETUP) await src.call(...s);
    await dst.call('flushall');
    const before = await snapshot(src, 0);
    assert.equal((await src.call('migrate', H, shmkvDst.port, '', 4, 5000, 'copy', 'keys', ...KEYS)).toString(), '+OK\r\n');
    assert.deepEqual(await snapshot(dst, 4), before);
    // shmkv → shmkv, and the connection stays cached
    for (const s of SETUP) await mine.call(...s);
    const mineBefore = await snapshot(mine, 0);
    assert.equal((await mine.call('migrate', H, shmkvDst.port, '', 5, 5000, 'keys', ...KEYS)).toString(), '+OK\r\n');
    assert.deepEqual(await snapshot(dst, 5), mineBefore);
    assert.equal((await mine.call('dbsize')).toString(), ':0\r\n');
    // (one per target host:port used in the last 10 s: this one, maybe the earlier tests')
    assert.match((await mine.call('info', 'stats')).toString(), /migrate_cached_sockets:[1-9]\r\n/);
  } finally {
    src.close();
    dst.close();
    mine.close();
  }
});

test('MIGRATE from a library process (the exchange on a worker thread, this thread waiting)', async (t) => {
  if (!redisDst) return t.skip('redis-server is not installed');
  const segment = `test-migrate-lib-${process.pid}`;
  const kv = open({ segment, create: true });
  const dst = await RawClient.connect(redisDst.port);
  try {
    await dst.call('flushall');
    kv.call('rpush', 'libkey', 'a', 'b');
    kv.call('pexpire', 'libkey', 100000);
    assert.equal(kv.call('migrate', H, redisDst.port, 'libkey', 7, 5000), 'OK');
    assert.equal(kv.call('exists', 'libkey'), 0);
    assert.equal(kv.call('migrate', H, redisDst.port, 'libkey', 7, 5000), 'NOKEY');
    await dst.call('select', 7);
    assert.equal((await dst.call('lrange', 'libkey', 0, -1)).toString(), '*2\r\n$1\r\na\r\n$1\r\nb\r\n');
    const ttl = Number((await dst.call('pttl', 'libkey')).toString().slice(1));
    assert.ok(ttl > 90000 && ttl <= 100000, `pttl ${ttl}`);
    kv.call('set', 'k2', 'v');
    const t0 = Date.now();
    assert.throws(() => kv.call('migrate', H, silentPort, 'k2', 0, 200), /IOERR error or timeout reading to target instance/);
    assert.ok(Date.now() - t0 < 2000);
    assert.equal(kv.call('exists', 'k2'), 1);
  } finally {
    dst.close();
    kv.close();
    removeSegment(segment);
  }
});
