/**
 * Differential tests: the same random command sequences go to a real redis-server 7.0
 * and to shmkv; the raw replies must be equal byte for byte (KEYS and SCAN results are
 * compared as sets, since key order is a hash-table detail).
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { RawClient } from '../helpers/raw-client.js';
import { startRedisOracle, type RedisOracle } from '../helpers/redis-oracle.js';
import { startShmkvServer, type ShmkvServer } from '../helpers/shmkv-server.js';

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

type Cmd = readonly (string | number)[];

/** Commands whose replies are compared as unordered collections. */
function normalise(cmd: Cmd, reply: Buffer): string {
  const name = String(cmd[0]).toLowerCase();
  const s = reply.toString('latin1');
  // An absolute expiry set from a relative TTL depends on each server's clock: compare
  // its class (and nearness, checked by the TTL comparisons) instead of the exact value.
  if ((name === 'expiretime' || name === 'pexpiretime') && /^:[1-9]/.test(s)) {
    const v = Number(s.slice(1, -2));
    const at = name === 'expiretime' ? v * 1000 : v;
    return at === farSeconds * 1000 || at === (farSeconds + 5) * 1000 || at === farSeconds * 1000 + 7 ? s : `:future-expiry`;
  }
  if (name === 'keys' && s.startsWith('*')) {
    const lines = s.split('\r\n');
    const items: string[] = [];
    for (let i = 1; i < lines.length - 1; i += 2) items.push(lines[i + 1]!);
    return `keys:${items.sort().join(',')}`;
  }
  return s;
}

async function both(cmd: Cmd): Promise<[string, string]> {
  const [ra, rb] = await Promise.all([a.call(...cmd), b.call(...cmd)]);
  return [normalise(cmd, ra), normalise(cmd, rb)];
}

async function scanAll(c: RawClient, extra: Cmd): Promise<string[]> {
  const seen = new Set<string>();
  let cursor = '0';
  let rounds = 0;
  do {
    const v = await c.callValue('scan', cursor, ...extra);
    if (v.type !== 'array') throw new Error(`scan replied ${JSON.stringify(v)}`);
    const [cur, keys] = v.value;
    if (cur?.type !== 'bulk' || keys?.type !== 'array') throw new Error('scan reply shape');
    cursor = cur.value.toString();
    for (const k of keys.value) if (k.type === 'bulk') seen.add(k.value.toString());
    if (++rounds > 100000) throw new Error('scan does not terminate');
  } while (cursor !== '0');
  return [...seen].sort();
}

const key = fc.constantFrom('k1', 'k2', 'k3', 'k4', '{k}5');
const smallInt = fc.oneof(fc.integer({ min: -5, max: 30 }), fc.constantFrom('9223372036854775807', '-9223372036854775808', '9223372036854775808', '1.5', 'abc', '', ' 1', '+1', '01', '-0'));
const value = fc.oneof(
  fc.constantFrom('', 'v', 'hello', '0', '10', '-3', '3.5', '1e3', 'abc', ' 7', '9223372036854775806', '-9223372036854775807', 'x'.repeat(50), 'y'.repeat(300)),
  fc.string({ maxLength: 20 }),
  fc.integer({ min: -1000, max: 1000 }).map(String),
);
const farSeconds = 4102444800; // 2100-01-01: deterministic EXPIREAT / EXPIRETIME
const ttlArg = fc.oneof(fc.constant(100000), fc.constantFrom(0, -1, 'abc', '9223372036854775807', '92233720368547758'));

const cmdArb: fc.Arbitrary<Cmd> = fc.oneof(
  fc.tuple(key, value).map(([k, v]) => ['set', k, v]),
  fc.tuple(key, value, fc.constantFrom('nx', 'XX', 'get', 'keepttl', 'NX GET', 'xx get', 'nx xx')).map(([k, v, o]) => ['set', k, v, ...o.split(' ')]),
  fc.tuple(key, value, fc.constantFrom('ex', 'px', 'EXAT', 'pxat'), ttlArg).map(([k, v, o, t]) => ['set', k, v, o, o.toLowerCase().endsWith('at') && t === 100000 ? (o.toLowerCase() === 'exat' ? farSeconds : farSeconds * 1000) : t]),
  fc.tuple(key, value).map(([k, v]) => ['set', k, v, 'ex', 100, 'px', 100]),
  fc.tuple(key, value).map(([k, v]) => ['set', k, v, 'keepttl', 'ex', 100]),
  fc.tuple(key, value).map(([k, v]) => ['set', k, v, 'bogus']),
  key.map((k) => ['get', k]),
  key.map((k) => ['getdel', k]),
  fc.tuple(key, fc.constantFrom(['persist'], ['ex', 1000], ['exat', farSeconds], ['px', 0], ['persist', 'ex', 10], ['bogus'])).map(([k, o]) => ['getex', k, ...o]),
  fc.tuple(key, value).map(([k, v]) => ['getset', k, v]),
  fc.tuple(key, value).map(([k, v]) => ['setnx', k, v]),
  fc.tuple(key, ttlArg, value).map(([k, t, v]) => ['setex', k, t, v]),
  fc.tuple(key, ttlArg, value).map(([k, t, v]) => ['psetex', k, t, v]),
  fc.array(key, { minLength: 1, maxLength: 4 }).map((ks) => ['mget', ...ks]),
  fc.array(fc.tuple(key, value), { minLength: 1, maxLength: 3 }).map((kv) => ['mset', ...kv.flat()]),
  fc.array(fc.tuple(key, value), { minLength: 1, maxLength: 3 }).map((kv) => ['msetnx', ...kv.flat()]),
  fc.constant(['mset', 'k1']),
  fc.tuple(key, value).map(([k, v]) => ['append', k, v]),
  key.map((k) => ['strlen', k]),
  fc.tuple(key, smallInt, smallInt).map(([k, s, e]) => ['getrange', k, s, e]),
  fc.tuple(key, smallInt, smallInt).map(([k, s, e]) => ['substr', k, s, e]),
  fc.tuple(key, fc.oneof(fc.integer({ min: -2, max: 40 }), fc.constantFrom('x', '536870912')), value).map(([k, o, v]) => ['setrange', k, o, v]),
  key.map((k) => ['incr', k]),
  key.map((k) => ['decr', k]),
  fc.tuple(key, smallInt).map(([k, n]) => ['incrby', k, n]),
  fc.tuple(key, smallInt).map(([k, n]) => ['decrby', k, n]),
  fc.tuple(key, fc.constantFrom('1', '0.1', '-2.5', '1e3', 'abc', 'inf', '5.0e3', '3', '-0')).map(([k, n]) => ['incrbyfloat', k, n]),
  fc.tuple(key, key, fc.constantFrom([], ['len'], ['idx'], ['idx', 'withmatchlen'], ['idx', 'minmatchlen', 2], ['len', 'idx'], ['bogus'])).map(([k1, k2, o]) => ['lcs', k1, k2, ...o]),
  fc.array(key, { minLength: 1, maxLength: 3 }).map((ks) => ['del', ...ks]),
  fc.array(key, { minLength: 1, maxLength: 3 }).map((ks) => ['unlink', ...ks]),
  fc.array(key, { minLength: 1, maxLength: 3 }).map((ks) => ['exists', ...ks]),
  fc.array(key, { minLength: 1, maxLength: 3 }).map((ks) => ['touch', ...ks]),
  key.map((k) => ['type', k]),
  fc.tuple(key, key).map(([x, y]) => ['rename', x, y]),
  fc.tuple(key, key).map(([x, y]) => ['renamenx', x, y]),
  fc.tuple(key, ttlArg, fc.constantFrom([], ['nx'], ['xx'], ['gt'], ['lt'], ['nx', 'xx'], ['gt', 'lt'], ['bogus'])).map(([k, t, o]) => ['expire', k, t, ...o]),
  fc.tuple(key, fc.constantFrom(100000000, -5)).map(([k, t]) => ['pexpire', k, t]),
  fc.tuple(key, fc.constantFrom(farSeconds, farSeconds + 5, 1000)).map(([k, t]) => ['expireat', k, t]),
  fc.tuple(key, fc.constantFrom(farSeconds * 1000 + 7, 5)).map(([k, t]) => ['pexpireat', k, t]),
  key.map((k) => ['ttl', k]),
  key.map((k) => ['expiretime', k]),
  key.map((k) => ['pexpiretime', k]),
  key.map((k) => ['persist', k]),
  fc.tuple(key, key, fc.constantFrom([], ['replace'], ['db', 1], ['db', 99], ['db', 'x'], ['bogus'])).map(([x, y, o]) => ['copy', x, y, ...o]),
  fc.tuple(key, fc.constantFrom(0, 1, 2, 99, -1, 'x')).map(([k, d]) => ['move', k, d]),
  fc.constantFrom(['select', 0], ['select', 1], ['dbsize'], ['keys', '*'], ['keys', 'k[12]'], ['keys', '{*'], ['flushdb']),
  key.map((k) => ['object', 'encoding', k]),
  fc.tuple(key, value).map(([k, v]) => ['append', k, v]),
  key.map((k) => ['object', 'refcount', k]),
  fc.constantFrom(['get'], ['set', 'k1'], ['incr'], ['getrange', 'k1', 0], ['expire', 'k1'], ['object', 'bogus', 'k1'], ['object']),
);

test('strings and keys: random command sequences give byte-identical replies to redis-server', async (t) => {
  if (!redis) {
    t.skip('redis-server not installed: differential test NOT RUN');
    return;
  }
  let failures = 0;
  await fc.assert(
    fc.asyncProperty(fc.array(cmdArb, { minLength: 1, maxLength: 60 }), async (cmds) => {
      await both(['flushall']);
      await both(['select', 0]);
      for (const cmd of cmds) {
        const [ra, rb] = await both(cmd);
        if (ra !== rb) {
          failures++;
          throw new Error(`${JSON.stringify(cmd)}\n  redis: ${JSON.stringify(ra)}\n  shmkv: ${JSON.stringify(rb)}`);
        }
      }
      // Full state comparison at the end: every key's type, value and TTL class, in both dbs.
      for (const db of [0, 1]) {
        await both(['select', db]);
        const [ka, kb] = [await scanAll(a, []), await scanAll(b, [])];
        assert.deepEqual(kb, ka, `db ${db} keys`);
        for (const k of ka) {
          const [va, vb] = await both(['get', k]);
          assert.equal(vb, va, `db ${db} value of ${k}`);
          const [ta, tb] = await both(['ttl', k]);
          assert.equal(tb, ta, `db ${db} ttl of ${k}`);
        }
      }
    }),
    { numRuns: Number(process.env.SHMKV_DIFF_RUNS ?? 60) },
  );
  assert.equal(failures, 0);
});

test('SCAN with MATCH, COUNT and TYPE returns what redis-server returns (as sets)', async (t) => {
  if (!redis) {
    t.skip('redis-server not installed: differential test NOT RUN');
    return;
  }
  await both(['flushall']);
  const args: string[] = [];
  for (let i = 0; i < 500; i++) args.push(`user:${i}`, String(i));
  await both(['mset', ...args]);
  for (const extra of [[], ['count', 7], ['match', 'user:1*'], ['match', 'user:?5', 'count', 1000], ['type', 'string'], ['type', 'list']] as Cmd[]) {
    assert.deepEqual(await scanAll(b, extra), await scanAll(a, extra), JSON.stringify(extra));
  }
  for (const bad of [['scan', 'x'], ['scan', '0', 'count', 0], ['scan', '0', 'count'], ['scan', '0', 'bogus', 1], ['scan', '-1'], ['scan', ' 0']] as Cmd[]) {
    const [ra, rb] = await both(bad);
    if (ra.startsWith('-')) assert.equal(rb, ra, JSON.stringify(bad));
    else assert.ok(!rb.startsWith('-'), JSON.stringify(bad) + ' ' + rb);
  }
});
