/**
 * RDB files move between shmkv and real Redis 7.0 both ways. The same commands fill both
 * servers with every type in its small and large encodings, expiries and several
 * databases; then
 *  - shmkv SAVEs: redis-check-rdb accepts the file, and a redis-server started on it holds
 *    exactly what shmkv held (values, expiry times, encodings);
 *  - Redis SAVEs: a shmkv server started on a new segment in that directory loads it and
 *    holds exactly what Redis held;
 *  - DEBUG RELOAD on shmkv keeps every value and encoding as it does on Redis.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { Redis } from 'ioredis';
import { startShmkvServer } from '../helpers/shmkv-server.js';
import { startRedisOracle } from '../helpers/redis-oracle.js';

type Cmd = (string | number)[];

/** The same encoding thresholds everywhere (Debian's redis-server has its own defaults). */
const ENCODINGS = ['--hash-max-listpack-entries', '128', '--zset-max-listpack-entries', '128', '--set-max-intset-entries', '512', '--list-max-listpack-size', '-2'];

function fillCommands(): Cmd[] {
  const c: Cmd[] = [];
  const big = (n: number, f: (i: number) => (string | number)[]) => Array.from({ length: n }, (_, i) => f(i)).flat();
  for (const db of [0, 3, 15]) {
    c.push(['SELECT', db]);
    c.push(['SET', `int`, 12345], ['SET', 'neg', -77], ['SET', 'bigint', '9223372036854775807'], ['SET', 'emb', 'hello'], ['SET', 'raw', 'x'.repeat(100)]);
    c.push(['SET', 'compressible', 'abc'.repeat(2000)], ['SET', 'binary', Buffer.from([0, 1, 2, 255, 254, 13, 10]).toString('latin1')]);
    c.push(['SET', 'ttl', 'v'], ['PEXPIREAT', 'ttl', Date.now() + 3_600_000]);
    c.push(['RPUSH', 'list:small', 'a', 'b', 1, 2, -3, '1.5']);
    c.push(['RPUSH', 'list:big', ...big(3000, (i) => [i % 3 ? `element-${i}` : i])]);
    c.push(['SADD', 'set:int', 1, 2, 3, -100, 65536, 4294967296]);
    c.push(['SADD', 'set:str', 'a', 'b', 'c']);
    c.push(['SADD', 'set:big', ...big(1000, (i) => [`m${i}`])]);
    c.push(['HSET', 'hash:small', 'f1', 'v1', 'f2', 2, 'f3', '']);
    c.push(['HSET', 'hash:big', ...big(500, (i) => [`field${i}`, `value${i}`])]);
    c.push(['HSET', 'hash:longval', 'f', 'y'.repeat(200)]);
    c.push(['ZADD', 'zset:small', 1, 'a', 2.5, 'b', '-inf', 'c', '+inf', 'd']);
    c.push(['ZADD', 'zset:big', ...big(300, (i) => [i / 7, `z${i}`])]);
    c.push(['PFADD', 'hll', 'a', 'b', 'c']);
    c.push(['SETBIT', 'bits', 1000, 1]);
    c.push(['HSET', 'hash:ttl', 'a', 'b'], ['PEXPIREAT', 'hash:ttl', Date.now() + 7_200_000]);
  }
  c.push(['SELECT', 0]);
  return c;
}

/** Everything a server holds, read through commands: db → key → [type, value, pexpiretime, encoding]. */
async function snapshotOf(r: Redis): Promise<Record<string, unknown>> {
  const out: Record<string, unknown> = {};
  for (let db = 0; db < 16; db++) {
    await r.select(db);
    const keys = (await r.keys('*')).sort();
    for (const k of keys) {
      const type = await r.type(k);
      let value: unknown;
      if (type === 'string') value = (await r.getBuffer(k))!.toString('hex');
      else if (type === 'list') value = await r.lrange(k, 0, -1);
      else if (type === 'set') value = (await r.smembers(k)).sort();
      else if (type === 'hash') value = Object.entries(await r.hgetall(k)).sort();
      else if (type === 'zset') value = await r.zrange(k, 0, -1, 'WITHSCORES');
      out[`${db}:${k}`] = [type, value, await r.call('PEXPIRETIME', k), await r.object('ENCODING', k)];
    }
  }
  await r.select(0);
  return out;
}

/** The keys whose entries differ (a readable failure instead of a huge diff). */
function differences(a: Record<string, unknown>, b: Record<string, unknown>): string[] {
  const out: string[] = [];
  for (const k of new Set([...Object.keys(a), ...Object.keys(b)])) {
    const x = JSON.stringify(a[k]);
    const y = JSON.stringify(b[k]);
    if (x !== y) out.push(`${k}: ${(x ?? "absent").slice(-120)} vs ${(y ?? "absent").slice(-120)}`);
  }
  return out;
}

async function run(r: Redis, cmds: Cmd[]): Promise<void> {
  for (const c of cmds) await r.call(String(c[0]), ...c.slice(1).map(String));
}

function checkRdb(file: string): void {
  const res = spawnSync('redis-check-rdb', [file], { encoding: 'utf8' });
  assert.equal(res.status, 0, `redis-check-rdb:\n${res.stdout}${res.stderr}`);
  assert.match(res.stdout, /RDB looks OK/);
}

test('RDB interop: shmkv saves, real Redis loads the file; Redis saves, shmkv loads it; DEBUG RELOAD keeps everything', async (t) => {
  const redis = await startRedisOracle(['--enable-debug-command', 'yes']);
  if (!redis) {
    t.skip('redis-server missing');
    return;
  }
  const shmkv = await startShmkvServer({ args: ['--save', '', '--enable-debug-command', 'yes'] });
  const rr = new Redis({ port: redis.port, lazyConnect: true });
  const sr = new Redis({ port: shmkv.port, lazyConnect: true });
  await rr.connect();
  await sr.connect();
  const cleanup: (() => Promise<void>)[] = [];
  try {
    for (const r of [rr, sr]) for (let i = 0; i < ENCODINGS.length; i += 2) await r.config('SET', ENCODINGS[i]!.slice(2), ENCODINGS[i + 1]!);
    const cmds = fillCommands();
    await run(rr, cmds);
    await run(sr, cmds);
    const want = await snapshotOf(rr);
    assert.deepEqual(differences(await snapshotOf(sr), want), [], 'both servers hold the same before any save');

    // DEBUG RELOAD: saved and loaded again in place
    assert.equal(await sr.call('DEBUG', 'RELOAD'), 'OK');
    assert.equal(await rr.call('DEBUG', 'RELOAD'), 'OK');
    assert.deepEqual(differences(await snapshotOf(sr), await snapshotOf(rr)), [], 'after DEBUG RELOAD on both');

    // shmkv → Redis
    assert.equal(await sr.save(), 'OK');
    const ourFile = path.join(shmkv.cwd, 'dump.rdb');
    checkRdb(ourFile);
    const dirA = fs.mkdtempSync(path.join(shmkv.cwd, 'to-redis-'));
    fs.copyFileSync(ourFile, path.join(dirA, 'dump.rdb'));
    const redis2 = await startRedisOracle(['--dir', dirA, ...ENCODINGS]);
    cleanup.push(() => redis2!.stop());
    const r2 = new Redis({ port: redis2!.port, lazyConnect: true });
    await r2.connect();
    cleanup.push(async () => r2.disconnect());
    assert.deepEqual(differences(await snapshotOf(r2), await snapshotOf(sr)), [], 'a redis-server started on shmkv\'s file');

    // Redis → shmkv (a new segment in the directory holding Redis's file)
    assert.equal(await rr.save(), 'OK');
    const dirB = fs.mkdtempSync(path.join(shmkv.cwd, 'from-redis-'));
    fs.copyFileSync(path.join(redis.dir, 'dump.rdb'), path.join(dirB, 'dump.rdb'));
    const shmkv2 = await startShmkvServer({ args: ['--save', '', ...ENCODINGS], cwd: dirB });
    cleanup.push(() => shmkv2.stop());
    const s2 = new Redis({ port: shmkv2.port, lazyConnect: true });
    await s2.connect();
    cleanup.push(async () => s2.disconnect());
    assert.deepEqual(differences(await snapshotOf(s2), await snapshotOf(rr)), [], "a shmkv server started on Redis's file");
  } finally {
    for (const f of cleanup.reverse()) await f();
    rr.disconnect();
    sr.disconnect();
    await shmkv.stop();
    await redis.stop();
  }
});
