/**
 * The library's typed calls against ioredis on a real redis-server: the same calls on
 * both sides, the same JavaScript values back (strings, numbers, null, arrays, the
 * [error, result] pairs of a transaction, the messages of errors). Keys and values go in
 * as strings (ASCII, non-ASCII, long), Buffers, Uint8Arrays and numbers.
 */
import { after, before, beforeEach, test } from 'node:test';
import assert from 'node:assert/strict';
import { Redis } from 'ioredis';
import { open, ReplyError, type KV } from '../../src/kv/index.js';
import { unlinkPosix } from '../../src/shm/posix.js';
import { startRedisOracle, type RedisOracle } from '../helpers/redis-oracle.js';

const SEGMENT = `test-kv-api-${process.pid}`;
let oracle: RedisOracle | null = null;
let redis: Redis;
let kv: KV;

before(async () => {
  oracle = await startRedisOracle();
  if (oracle !== null) redis = new Redis({ port: oracle.port, host: '127.0.0.1', lazyConnect: false });
  kv = open({ segment: SEGMENT });
});

after(async () => {
  kv.close();
  unlinkPosix(SEGMENT);
  if (oracle !== null) {
    redis.disconnect();
    await oracle.stop();
  }
});

beforeEach(async () => {
  kv.flushall();
  if (oracle !== null) await redis.flushall();
});

/** What a call gives: its value, or its error's message. */
type Outcome = { value: unknown } | { error: string };

async function outcome(f: () => unknown): Promise<Outcome> {
  try {
    return { value: await f() };
  } catch (e) {
    return { error: (e as Error).message };
  }
}

/** Run `mine` on kv and `theirs` on ioredis; their values (or error messages) must be equal. */
async function same(label: string, mine: (kv: KV) => unknown, theirs: (r: Redis) => Promise<unknown>): Promise<unknown> {
  const a = await outcome(() => mine(kv));
  if (oracle === null) return 'value' in a ? a.value : undefined;
  const b = await outcome(() => theirs(redis));
  assert.deepEqual(a, b, label);
  return 'value' in a ? a.value : undefined;
}

/**
 * TTL of a key that expires on a whole second, from kv and from redis-server: a rounded TTL
 * steps down at every half second, so the two (read a moment apart) may differ by one.
 */
async function ttlNear(label: string, key: string): Promise<number> {
  const mine = kv.ttl(key);
  if (oracle === null) return mine;
  const theirs = await redis.ttl(key);
  assert.ok(Math.abs(mine - theirs) <= 1, `${label}: kv ${mine}, redis ${theirs}`);
  return mine;
}

function needRedis(t: { skip(msg: string): void }): boolean {
  if (oracle === null) {
    t.skip('redis-server is not installed');
    return false;
  }
  return true;
}

test('get / set / getBuffer with string, Buffer, Uint8Array and number keys and values', async (t) => {
  if (!needRedis(t)) return;
  await same('get missing', (k) => k.get('nope'), (r) => r.get('nope'));
  await same('set', (k) => k.set('a', 'hello'), (r) => r.set('a', 'hello'));
  await same('get', (k) => k.get('a'), (r) => r.get('a'));
  await same('set number value', (k) => k.set('n', 42), (r) => r.set('n', 42));
  await same('get number value', (k) => k.get('n'), (r) => r.get('n'));
  await same('set number key', (k) => k.set(7, 'seven'), (r) => r.call('SET', 7, 'seven'));
  await same('get number key', (k) => k.get('7'), (r) => r.get('7'));
  const bkey = Buffer.from('buf-key');
  const bin = Buffer.from([0, 1, 2, 0xff, 0xfe, 0x80, 10, 13]);
  await same('set Buffer', (k) => k.set(bkey, bin), (r) => r.set(bkey, bin));
  await same('getBuffer', (k) => k.getBuffer(bkey), (r) => r.getBuffer(bkey));
  await same('getBuffer missing', (k) => k.getBuffer('nope'), (r) => r.getBuffer('nope'));
  // a Uint8Array that is a window of a larger buffer: only its bytes are the argument
  const big = new Uint8Array([120, 117, 56, 45, 107, 101, 121, 33, 33]);
  const u8key = big.subarray(0, 6); // 'xu8-ke'
  const u8val = new Uint8Array([118, 97, 108]); // 'val'
  await same('set Uint8Array', (k) => k.set(u8key, u8val), (r) => r.set(Buffer.from(u8key), Buffer.from(u8val)));
  await same('get by string', (k) => k.get('xu8-ke'), (r) => r.get('xu8-ke'));
  // non-ASCII and long strings (the scratch encoder's fallbacks)
  const uni = 'clé-😀-ключ';
  await same('set non-ASCII', (k) => k.set(uni, 'valeur é ü 💡'), (r) => r.set(uni, 'valeur é ü 💡'));
  await same('get non-ASCII', (k) => k.get(uni), (r) => r.get(uni));
  const long = 'k'.repeat(300);
  const longVal = 'v'.repeat(10000);
  await same('set long', (k) => k.set(long, longVal), (r) => r.set(long, longVal));
  await same('get long', (k) => k.get(long), (r) => r.get(long));
  await same('strlen', (k) => k.strlen(long), (r) => r.strlen(long));
  await same('append', (k) => k.append('a', ' world'), (r) => r.append('a', ' world'));
  await same('getdel', (k) => k.getdel('a'), (r) => r.getdel('a'));
  await same('getdel gone', (k) => k.getdel('a'), (r) => r.getdel('a'));
});

test('values of every short length come back as ioredis decodes them: ASCII, UTF-8, bytes that are not UTF-8', async (t) => {
  if (!needRedis(t)) return;
  // (up to 16 ASCII bytes are decoded by String.fromCharCode, the rest by Node's utf8 decoder)
  for (let n = 0; n <= 20; n++) {
    const ascii = Buffer.from('~!09AZaz \t\x7f\x01'.repeat(2).slice(0, n), 'latin1');
    const high = Buffer.from(ascii);
    if (n > 0) high[n - 1] = 0xc3; // a lone UTF-8 lead byte at the end
    const mixed = Buffer.concat([ascii.subarray(0, Math.max(0, n - 2)), Buffer.from('é')]);
    for (const [what, v] of [['ascii', ascii], ['invalid', high], ['utf8', mixed]] as const) {
      await same(`set ${what} ${n}`, (k) => k.set(`v:${what}:${n}`, v), (r) => r.set(`v:${what}:${n}`, v));
      await same(`get ${what} ${n}`, (k) => k.get(`v:${what}:${n}`), (r) => r.get(`v:${what}:${n}`));
    }
  }
  await same('mget', (k) => k.mget('v:ascii:16', 'v:invalid:5', 'v:utf8:3', 'none'), (r) => r.mget('v:ascii:16', 'v:invalid:5', 'v:utf8:3', 'none'));
});

test('keys of the same length in a row do not take each other for the last one (reused argument buffers)', async (t) => {
  if (!needRedis(t)) return;
  for (let i = 0; i < 50; i++) {
    await same(`set ${i}`, (k) => k.set(`key:${String(i).padStart(4, '0')}`, `v${i}`), (r) => r.set(`key:${String(i).padStart(4, '0')}`, `v${i}`));
  }
  for (let i = 49; i >= 0; i--) {
    await same(`get ${i}`, (k) => k.get(`key:${String(i).padStart(4, '0')}`), (r) => r.get(`key:${String(i).padStart(4, '0')}`));
    await same(`set nx ${i}`, (k) => k.set(`key:${String(i).padStart(4, '0')}`, 'x', { nx: true }), (r) => r.set(`key:${String(i).padStart(4, '0')}`, 'x', 'NX'));
  }
});

test('set options: nx, xx, get, ex, px, exat, pxat, keepTtl, and the combinations Redis refuses', async (t) => {
  if (!needRedis(t)) return;
  await same('xx on missing', (k) => k.set('s', '1', { xx: true }), (r) => r.set('s', '1', 'XX'));
  await same('nx on missing', (k) => k.set('s', '1', { nx: true }), (r) => r.set('s', '1', 'NX'));
  await same('nx on existing', (k) => k.set('s', '2', { nx: true }), (r) => r.set('s', '2', 'NX'));
  await same('xx on existing', (k) => k.set('s', '3', { xx: true }), (r) => r.set('s', '3', 'XX'));
  await same('get option', (k) => k.set('s', '4', { get: true }), (r) => r.set('s', '4', 'GET'));
  await same('get option, missing', (k) => k.set('s2', 'x', { get: true }), (r) => r.set('s2', 'x', 'GET'));
  await same('nx + get on existing', (k) => k.set('s', '5', { nx: true, get: true }), (r) => r.set('s', '5', 'NX', 'GET'));
  await same('ex', (k) => k.set('e', 'v', { ex: 1000 }), (r) => r.set('e', 'v', 'EX', 1000));
  await same('ttl after ex', (k) => k.ttl('e'), (r) => r.ttl('e'));
  await same('px', (k) => k.set('p', 'v', { px: 100000 }), (r) => r.set('p', 'v', 'PX', 100000));
  await same('ttl after px', (k) => k.ttl('p'), (r) => r.ttl('p'));
  const at = Math.floor(Date.now() / 1000) + 5000;
  await same('exat', (k) => k.set('ea', 'v', { exat: at }), (r) => r.set('ea', 'v', 'EXAT', at));
  const ttl = await ttlNear('ttl after exat', 'ea');
  assert.ok(ttl > 4990 && ttl <= 5000, `ttl ${ttl}`);
  await same('expiretime after exat', (k) => k.call('EXPIRETIME', 'ea'), (r) => r.call('EXPIRETIME', 'ea'));
  await same('pxat', (k) => k.set('pa', 'v', { pxat: at * 1000 }), (r) => r.set('pa', 'v', 'PXAT', at * 1000));
  await ttlNear('ttl after pxat', 'pa');
  await same('pexpiretime after pxat', (k) => k.call('PEXPIRETIME', 'pa'), (r) => r.call('PEXPIRETIME', 'pa'));
  await same('keepTtl', (k) => k.set('e', 'w', { keepTtl: true }), (r) => r.set('e', 'w', 'KEEPTTL'));
  await same('ttl kept', (k) => k.ttl('e'), (r) => r.ttl('e'));
  await same('plain set drops the ttl', (k) => k.set('e', 'w'), (r) => r.set('e', 'w'));
  await same('ttl dropped', (k) => k.ttl('e'), (r) => r.ttl('e'));
  await same('nx and xx', (k) => k.set('s', 'v', { nx: true, xx: true }), (r) => r.call('SET', 's', 'v', 'NX', 'XX'));
  await same('ex and px', (k) => k.set('s', 'v', { ex: 10, px: 10 }), (r) => r.call('SET', 's', 'v', 'EX', 10, 'PX', 10));
  await same('ex 0', (k) => k.set('s', 'v', { ex: 0 }), (r) => r.set('s', 'v', 'EX', 0));
  await same('ex not an integer', (k) => k.set('s', 'v', { ex: 1.5 }), (r) => r.set('s', 'v', 'EX', 1.5));
  await same('ex and keepTtl', (k) => k.set('s', 'v', { ex: 10, keepTtl: true }), (r) => r.call('SET', 's', 'v', 'EX', 10, 'KEEPTTL'));
});

test('incr, incrby, decr, decrby, incrbyfloat, and their errors', async (t) => {
  if (!needRedis(t)) return;
  await same('incr new', (k) => k.incr('c'), (r) => r.incr('c'));
  await same('incr', (k) => k.incr('c'), (r) => r.incr('c'));
  await same('incrby', (k) => k.incrby('c', 40), (r) => r.incrby('c', 40));
  await same('incrby negative', (k) => k.incrby('c', -100), (r) => r.incrby('c', -100));
  await same('decr', (k) => k.decr('c'), (r) => r.decr('c'));
  await same('decrby', (k) => k.decrby('c', 5), (r) => r.decrby('c', 5));
  await same('incrbyfloat', (k) => k.incrbyfloat('f', 1.5), (r) => r.incrbyfloat('f', 1.5));
  await same('incrbyfloat string', (k) => k.incrbyfloat('f', '2.25'), (r) => r.incrbyfloat('f', '2.25'));
  await same('set text', (k) => k.set('t', 'abc'), (r) => r.set('t', 'abc'));
  await same('incr text', (k) => k.incr('t'), (r) => r.incr('t'));
  await same('incrby not an integer', (k) => k.incrby('c', 1.5), (r) => r.incrby('c', 1.5));
  await same('near the limit', (k) => k.set('big', '9223372036854775806'), (r) => r.set('big', '9223372036854775806'));
  // beyond 2^53 ioredis gives a number (its parser's rounding is not even the nearest double):
  // the typed calls give the nearest double, call() the exact text
  const mine = kv.incr('big');
  const theirs = await redis.incr('big');
  assert.equal(mine, Number('9223372036854775807'));
  assert.equal(typeof theirs, 'number');
  assert.ok(Math.abs(mine - theirs) / mine < 1e-15);
  assert.equal(kv.call('DECR', 'big'), '9223372036854775806');
  await redis.decr('big');
  kv.incr('big');
  await redis.incr('big');
  await same('past the limit', (k) => k.incr('big'), (r) => r.incr('big'));
});

test('del, exists, expire (and its modes), pexpire, ttl, pttl, persist', async (t) => {
  if (!needRedis(t)) return;
  await same('mset', (k) => k.mset({ a: '1', b: '2', c: '3' }), (r) => r.mset({ a: '1', b: '2', c: '3' }));
  await same('exists', (k) => k.exists('a', 'b', 'zz', 'a'), (r) => r.exists('a', 'b', 'zz', 'a'));
  await same('exists array', (k) => k.exists(['a', 'zz']), (r) => r.exists(['a', 'zz']));
  await same('ttl no expiry', (k) => k.ttl('a'), (r) => r.ttl('a'));
  await same('ttl missing', (k) => k.ttl('zz'), (r) => r.ttl('zz'));
  await same('pttl missing', (k) => k.pttl('zz'), (r) => r.pttl('zz'));
  await same('expire missing', (k) => k.expire('zz', 10), (r) => r.expire('zz', 10));
  await same('expire', (k) => k.expire('a', 100), (r) => r.expire('a', 100));
  await same('ttl', (k) => k.ttl('a'), (r) => r.ttl('a'));
  await same('expire NX with ttl', (k) => k.expire('a', 50, 'NX'), (r) => r.expire('a', 50, 'NX'));
  await same('expire XX with ttl', (k) => k.expire('a', 200, 'XX'), (r) => r.expire('a', 200, 'XX'));
  await same('expire GT smaller', (k) => k.expire('a', 100, 'GT'), (r) => r.expire('a', 100, 'GT'));
  await same('expire LT smaller', (k) => k.expire('a', 100, 'LT'), (r) => r.expire('a', 100, 'LT'));
  await same('ttl after modes', (k) => k.ttl('a'), (r) => r.ttl('a'));
  await same('expire XX without ttl', (k) => k.expire('b', 10, 'XX'), (r) => r.expire('b', 10, 'XX'));
  await same('pexpire', (k) => k.pexpire('b', 500000), (r) => r.pexpire('b', 500000));
  await same('ttl after pexpire', (k) => k.ttl('b'), (r) => r.ttl('b'));
  const pttl = (await same('pttl missing again', (k) => k.pttl('b') > 499000, async (r) => (await r.pttl('b')) > 499000)) as boolean;
  assert.equal(pttl, true);
  await same('persist', (k) => k.persist('b'), (r) => r.persist('b'));
  await same('persist again', (k) => k.persist('b'), (r) => r.persist('b'));
  await same('expire not an integer', (k) => k.expire('a', 1.5), (r) => r.expire('a', 1.5));
  await same('expire bad mode', (k) => k.expire('a', 10, 'XY' as 'NX'), (r) => r.call('EXPIRE', 'a', 10, 'XY'));
  await same('del', (k) => k.del('a', 'b', 'zz'), (r) => r.del('a', 'b', 'zz'));
  await same('del array', (k) => k.del(['c', 'a']), (r) => r.del(['c', 'a']));
  await same('exists after', (k) => k.exists('a', 'b', 'c'), (r) => r.exists('a', 'b', 'c'));
  // an expired key is gone
  await same('set px 1', (k) => k.set('gone', 'v', { px: 1 }), (r) => r.set('gone', 'v', 'PX', 1));
  await new Promise((res) => setTimeout(res, 20));
  await same('expired get', (k) => k.get('gone'), (r) => r.get('gone'));
  await same('expired ttl', (k) => k.ttl('gone'), (r) => r.ttl('gone'));
});

test('mget and mset in their forms', async (t) => {
  if (!needRedis(t)) return;
  await same('mset object', (k) => k.mset({ a: '1', b: Buffer.from('2') }), (r) => r.mset({ a: '1', b: Buffer.from('2') }));
  await same('mset map', (k) => k.mset(new Map<string, string | number>([['c', '3'], ['d', 4]])), (r) => r.mset(new Map<string, string | number>([['c', '3'], ['d', 4]])));
  await same('mset pairs', (k) => k.mset([['e', '5'], ['f', '6']]), (r) => r.mset('e', '5', 'f', '6'));
  const many: Record<string, string> = {};
  for (let i = 0; i < 40; i++) many[`m${i}`] = `value ${i} ${'x'.repeat(i * 3)}`;
  await same('mset many', (k) => k.mset(many), (r) => r.mset(many));
  await same('mget', (k) => k.mget('a', 'b', 'zz', 'c', 'd', 'e', 'f'), (r) => r.mget('a', 'b', 'zz', 'c', 'd', 'e', 'f'));
  await same('mget array', (k) => k.mget(Object.keys(many)), (r) => r.mget(Object.keys(many)));
  await same('mget one missing', (k) => k.mget('nope'), (r) => r.mget('nope'));
  await same('mset odd', (k) => k.call('MSET', 'a'), (r) => r.call('MSET', 'a'));
  await same('mget none', (k) => k.call('MGET'), (r) => r.call('MGET'));
});

test('lists: lpush, rpush, lpop, rpop (with counts), llen, lrange, lindex', async (t) => {
  if (!needRedis(t)) return;
  await same('rpush', (k) => k.rpush('L', 'a', 'b', 'c'), (r) => r.rpush('L', 'a', 'b', 'c'));
  await same('lpush array', (k) => k.lpush('L', ['x', 'y']), (r) => r.lpush('L', 'x', 'y'));
  await same('lpush number', (k) => k.lpush('L', 7), (r) => r.lpush('L', 7));
  await same('llen', (k) => k.llen('L'), (r) => r.llen('L'));
  await same('lrange', (k) => k.lrange('L', 0, -1), (r) => r.lrange('L', 0, -1));
  await same('lindex', (k) => k.lindex('L', -2), (r) => r.lindex('L', -2));
  await same('lindex out', (k) => k.lindex('L', 99), (r) => r.lindex('L', 99));
  await same('lpop', (k) => k.lpop('L'), (r) => r.lpop('L'));
  await same('rpop 2', (k) => k.rpop('L', 2), (r) => r.rpop('L', 2));
  await same('lpop 10', (k) => k.lpop('L', 10), (r) => r.lpop('L', 10));
  await same('lpop gone', (k) => k.lpop('L'), (r) => r.lpop('L'));
  await same('rpop gone count', (k) => k.rpop('L', 3), (r) => r.rpop('L', 3));
  await same('llen gone', (k) => k.llen('L'), (r) => r.llen('L'));
});

test('scan is an iterator over every key, with match, count and type', async (t) => {
  if (!needRedis(t)) return;
  const pairs: [string, string][] = [];
  for (let i = 0; i < 250; i++) pairs.push([`user:${i}`, String(i)]);
  for (let i = 0; i < 30; i++) pairs.push([`other:${i}`, String(i)]);
  kv.mset(pairs);
  await redis.mset(pairs.flat());
  const theirs = async (match: string | null): Promise<string[]> => {
    const out: string[] = [];
    let cursor = '0';
    do {
      const [next, keys] = match === null ? await redis.scan(cursor, 'COUNT', 10) : await redis.scan(cursor, 'MATCH', match, 'COUNT', 10);
      cursor = next;
      out.push(...keys);
    } while (cursor !== '0');
    return out.sort();
  };
  const all = [...kv.scan({ count: 10 })].sort();
  assert.equal(all.length, 280);
  assert.equal(new Set(all).size, 280, 'each key once');
  assert.deepEqual(all, await theirs(null));
  assert.deepEqual([...kv.scan({ match: 'user:1*' })].sort(), await theirs('user:1*'));
  assert.deepEqual([...kv.scan({ type: 'string', match: 'other:*' })].sort(), (await theirs('other:*')).sort());
  assert.deepEqual([...kv.scan({ type: 'list' })], []);
  // the iterator is lazy: the first key comes before the keyspace is walked
  const it = kv.scan({ count: 5 });
  assert.equal(typeof it.next().value, 'string');
});

test('multi / exec: [error, result] pairs like ioredis, runtime errors, EXECABORT, watch', async (t) => {
  if (!needRedis(t)) return;
  // an error's pair is [error] (no second element), as ioredis makes it
  const norm = (r: [Error | null, unknown?][] | null) => (r === null ? null : r.map((p) => (p[0] === null ? p : [p[0].message, ...p.slice(1)])));
  await same(
    'exec',
    (k) => norm(k.multi().set('a', '1').get('a').incr('a').incrby('a', 5).mget('a', 'zz').mset({ b: '2' }).exists('a', 'b').del('b').expire('a', 100).ttl('a').exec()),
    async (r) => norm((await r.multi().set('a', '1').get('a').incr('a').incrby('a', 5).mget('a', 'zz').mset({ b: '2' }).exists('a', 'b').del('b').expire('a', 100).ttl('a').exec()) as [Error | null, unknown?][]),
  );
  await same(
    'runtime error in the middle',
    (k) => norm(k.multi().set('t', 'x').incr('t').set('u', 'after').get('u').exec()),
    async (r) => norm((await r.multi().set('t', 'x').incr('t').set('u', 'after').get('u').exec()) as [Error | null, unknown?][]),
  );
  await same(
    'set options in a transaction',
    (k) => norm(k.multi().set('o', 'v', { nx: true, ex: 100 }).set('o', 'w', { nx: true }).set('o', 'w', { get: true }).ttl('o').exec()),
    async (r) => norm((await r.multi().set('o', 'v', 'EX', 100, 'NX').set('o', 'w', 'NX').set('o', 'w', 'GET').ttl('o').exec()) as [Error | null, unknown?][]),
  );
  await same(
    'execabort',
    (k) => k.multi().set('x', '1').call('SET', 'x').get('x').exec(),
    (r) => r.multi().set('x', '1').call('SET', 'x').get('x').exec(),
  );
  await same('after execabort nothing ran', (k) => k.get('x'), (r) => r.get('x'));
  // watch: a write by another handle (another process would do the same) fails the exec
  const other = open({ segment: SEGMENT, create: false });
  const otherRedis = new Redis({ port: oracle!.port, host: '127.0.0.1' });
  try {
    await same('watch', (k) => k.watch('w'), (r) => r.watch('w'));
    await same('write by another', () => other.set('w', 'theirs'), () => otherRedis.set('w', 'theirs'));
    await same('exec after a watched write', (k) => k.multi().set('w', 'mine').exec(), (r) => r.multi().set('w', 'mine').exec());
    await same('the other write stands', (k) => k.get('w'), (r) => r.get('w'));
    await same('watch again', (k) => k.watch(['w']), (r) => r.watch(['w']));
    await same('unwatch', (k) => k.unwatch(), (r) => r.unwatch());
    await same('write by another again', () => other.set('w', 'theirs2'), () => otherRedis.set('w', 'theirs2'));
    await same('exec after unwatch', (k) => norm(k.multi().set('w', 'mine').exec()), async (r) => norm((await r.multi().set('w', 'mine').exec()) as [Error | null, unknown?][]));
    await same('now mine', (k) => k.get('w'), (r) => r.get('w'));
  } finally {
    other.close();
    otherRedis.disconnect();
  }
});

test('errors are ReplyErrors with Redis\'s message; close() ends the handle', async (t) => {
  if (!needRedis(t)) return;
  await same('unknown command', (k) => k.call('NOSUCH', 'a'), (r) => r.call('NOSUCH', 'a'));
  await same('wrong arity', (k) => k.call('GET'), (r) => r.call('GET'));
  assert.throws(() => kv.set('s', 'v', { nx: true, xx: true }), (e) => e instanceof ReplyError && e.message === 'ERR syntax error');
  const h = open({ segment: SEGMENT, create: false });
  h.set('closing', 'v');
  h.close();
  assert.equal(h.isClosed, true);
  h.close(); // idempotent
  assert.throws(() => h.get('closing'), /closed/);
  assert.throws(() => h.set('closing', 'w'), /closed/);
  assert.throws(() => h.multi().get('closing').exec(), /closed/);
  assert.equal(kv.get('closing'), 'v', 'the data stays for the other handles');
});

test("the library's clock follows the wall clock (expiry at an absolute time, checked on both sides)", async () => {
  // the keyspace's time comes from the monotonic clock, re-synchronised with Date.now()
  const past = Date.now() - 2;
  kv.set('past', 'v', { pxat: past });
  assert.equal(kv.get('past'), null, 'a time already past expires the key at once');
  const soon = Date.now() + 60;
  kv.set('soon', 'v', { pxat: soon });
  const before = kv.get('soon');
  // (unless this process stalled past the deadline in between)
  if (Date.now() < soon) assert.equal(before, 'v');
  while (Date.now() <= soon) await new Promise((res) => setTimeout(res, 5));
  assert.equal(kv.get('soon'), null, 'gone once Date.now() passed it');
  const ttl = kv.pttl((kv.set('later', 'v', { px: 100000 }), 'later'));
  assert.ok(ttl > 99000 && ttl <= 100000, `pttl ${ttl}`);
});

test('typed reads answered without the lock take the short path: every call counted, one in 16 timed, the full path where it must go', async () => {
  const info = (section: string) => kv.call('INFO', section) as string;
  const field = (text: string, re: RegExp) => {
    const m = re.exec(text);
    assert.ok(m !== null, `${re} in ${text}`);
    return Number(m[1]);
  };
  kv.call('CONFIG', 'RESETSTAT');
  kv.set('fr:a', 'x');
  for (let i = 0; i < 40; i++) {
    assert.equal(kv.get('fr:a'), 'x');
    assert.equal(kv.get('fr:missing'), null);
  }
  assert.equal(field(info('commandstats'), /cmdstat_get:calls=(\d+),/), 80);
  // the timed calls stand for all of them
  assert.ok(field(info('commandstats'), /cmdstat_get:calls=\d+,usec=(\d+),/) > 0);
  assert.ok(field(info('stats'), /keyspace_hits:(\d+)/) >= 40);
  assert.ok(field(info('stats'), /keyspace_misses:(\d+)/) >= 40);
  assert.match(info('latencystats'), /latency_percentiles_usec_get:p50=/);
  // the latency histogram counts every call too (the untimed ones at the last measured time)
  const hist = kv.call('LATENCY', 'HISTOGRAM', 'get') as unknown[];
  const detail = hist[1] as unknown[];
  assert.equal(detail[detail.indexOf('calls') + 1], 80);
  // SLOWLOG sees the timed calls: 32 reads in a row hold exactly two of them
  kv.call('CONFIG', 'SET', 'slowlog-log-slower-than', '0');
  try {
    kv.call('SLOWLOG', 'RESET');
    for (let i = 0; i < 32; i++) kv.get('fr:a');
    const entries = kv.call('SLOWLOG', 'GET', '128') as unknown[][];
    assert.equal(entries.filter((e) => String((e[3] as unknown[])[0]) === 'GET').length, 2);
  } finally {
    kv.call('CONFIG', 'SET', 'slowlog-log-slower-than', '10000');
  }
  // an expired key is deleted on the way: the short path declines, the full one deletes it
  kv.set('fr:soon', 'v', { px: 1 });
  await new Promise((res) => setTimeout(res, 5));
  assert.equal(kv.get('fr:soon'), null);
  assert.equal(kv.exists('fr:soon'), 0);
  assert.equal(field(info('stats'), /expired_keys:(\d+)/) >= 1, true);
  // a key of another type: the error comes from the handler
  kv.lpush('fr:list', 'e');
  assert.throws(() => kv.get('fr:list'), /WRONGTYPE/);
  // inside a transaction the read is queued, not answered at once
  const r = kv.multi().get('fr:a').set('fr:a', 'y').get('fr:a').exec();
  assert.deepEqual(r, [
    [null, 'x'],
    [null, 'OK'],
    [null, 'y'],
  ]);
});
