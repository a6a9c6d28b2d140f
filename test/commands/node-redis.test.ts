/**
 * node-redis (the `redis` package) as a real client of shmkv, in RESP2 and RESP3: the same
 * script — strings, expiry, keys, SCAN (scanIterator), pipelines (auto-pipelined commands,
 * execAsPipeline) and MULTI/EXEC (queued errors, EXECABORT, WATCH with a write by another
 * connection) — runs through node-redis against redis-server and against shmkv, and every
 * value node-redis hands back (or error it throws) must be the same.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createClient } from 'redis';
import { serverPair } from '../helpers/server-pair.js';
import { sleep } from '../helpers/ports.js';

const servers = serverPair();

// node-redis's client types are generic over modules, scripts and RESP: the script below
// uses the plain command methods, so one loose type serves both protocols
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Client = any;

/** A thrown error as comparable data (node-redis's class name and message, and a MULTI's replies). */
function errorShape(e: unknown): unknown {
  const err = e as Error & { replies?: unknown[]; errorIndexes?: number[] };
  const out: Record<string, unknown> = { error: err.constructor?.name, message: err.message };
  if (err.replies !== undefined) out.replies = err.replies.map((r) => (r instanceof Error ? errorShape(r) : r));
  if (err.errorIndexes !== undefined) out.errorIndexes = err.errorIndexes;
  return out;
}

/** Values made comparable: errors inside replies as data, Maps as sorted entries. */
function shape(v: unknown): unknown {
  if (v instanceof Error) return errorShape(v);
  if (Array.isArray(v)) return v.map(shape);
  if (v instanceof Map) return [...v.entries()].map(([k, x]) => [shape(k), shape(x)]);
  return v;
}

async function script(c: Client, other: Client): Promise<[string, unknown][]> {
  const out: [string, unknown][] = [];
  const rec = async (label: string, f: () => Promise<unknown> | unknown): Promise<void> => {
    try {
      out.push([label, shape(await f())]);
    } catch (e) {
      out.push([label, errorShape(e)]);
    }
  };
  await c.flushAll();

  // strings
  await rec('SET', () => c.set('s', 'hello'));
  await rec('GET', () => c.get('s'));
  await rec('GET missing', () => c.get('missing'));
  await rec('SET NX existing', () => c.set('s', 'x', { condition: 'NX' }));
  await rec('SET XX', () => c.set('s', 'world', { condition: 'XX', GET: true }));
  await rec('SET EX', () => c.set('e', 'v', { expiration: { type: 'EX', value: 1000 } }));
  await rec('SET KEEPTTL', () => c.set('e', 'v2', { expiration: 'KEEPTTL' }));
  await rec('TTL', () => c.ttl('e'));
  await rec('APPEND', () => c.append('s', '!'));
  await rec('STRLEN', () => c.strLen('s'));
  await rec('GETRANGE', () => c.getRange('s', 1, -2));
  await rec('SETRANGE', () => c.setRange('s', 2, 'XY'));
  await rec('GET after SETRANGE', () => c.get('s'));
  await rec('INCR', () => c.incr('n'));
  await rec('INCRBY', () => c.incrBy('n', 41));
  await rec('DECRBY', () => c.decrBy('n', 2));
  await rec('INCRBYFLOAT', () => c.incrByFloat('f', 1.5));
  await rec('INCRBYFLOAT again', () => c.incrByFloat('f', '2.25'));
  await rec('INCR of a string', () => c.incr('s'));
  await rec('MSET', () => c.mSet({ a: '1', b: '2', c: '3' }));
  await rec('MGET', () => c.mGet(['a', 'b', 'missing', 'c']));
  await rec('MSETNX', () => c.mSetNX({ a: 'x', z: 'y' }));
  await rec('SETNX', () => c.setNX('z', 'zz'));
  await rec('GETSET', () => c.getSet('z', 'new'));
  await rec('GETDEL', () => c.getDel('z'));
  await rec('GETEX PERSIST', () => c.getEx('e', { type: 'PERSIST' }));
  await rec('TTL after PERSIST', () => c.ttl('e'));
  await rec('LCS', () => c.sendCommand(['LCS', 'a', 'b']));
  await rec('OBJECT ENCODING', () => c.objectEncoding('n'));

  // expiry
  await rec('EXPIRE', () => c.expire('a', 500));
  await rec('EXPIRE NX', () => c.expire('a', 10, 'NX'));
  await rec('EXPIRE GT', () => c.expire('a', 1000, 'GT'));
  await rec('TTL a', () => c.ttl('a'));
  await rec('PEXPIRE', () => c.pExpire('b', 900000));
  await rec('PERSIST', () => c.persist('b'));
  await rec('PERSIST no ttl', () => c.persist('b'));
  await rec('EXPIREAT', () => c.expireAt('c', 4102444800));
  await rec('EXPIRETIME', () => c.expireTime('c'));
  await rec('PEXPIRETIME', () => c.pExpireTime('c'));
  await rec('TTL missing', () => c.ttl('missing'));
  await rec('TTL no expiry', () => c.ttl('n'));
  await rec('SET PX short', () => c.set('short', 'v', { expiration: { type: 'PX', value: 40 } }));
  await sleep(150);
  await rec('GET expired', () => c.get('short'));
  await rec('EXISTS expired', () => c.exists('short'));

  // keys
  await rec('EXISTS', () => c.exists(['a', 'b', 'missing', 'a']));
  await rec('TYPE', () => c.type('a'));
  await rec('TYPE missing', () => c.type('missing'));
  await rec('RENAME', () => c.rename('a', 'a2'));
  await rec('RENAME missing', () => c.rename('missing', 'x'));
  await rec('RENAMENX', () => c.renameNX('a2', 'b'));
  await rec('COPY', () => c.copy('b', 'b2'));
  await rec('COPY REPLACE', () => c.copy('c', 'b2', { REPLACE: true }));
  await rec('MOVE', () => c.move('b2', 1));
  await rec('TOUCH', () => c.touch(['a2', 'b', 'nope']));
  await rec('DEL', () => c.del(['a2', 'nope']));
  await rec('UNLINK', () => c.unlink('b'));
  await rec('KEYS', async () => ((await c.keys('*')) as string[]).sort());
  await rec('DBSIZE', () => c.dbSize());

  // SCAN
  const pairs: Record<string, string> = {};
  for (let i = 0; i < 300; i++) pairs[`user:${i}`] = String(i);
  await rec('MSET many', () => c.mSet(pairs));
  const scanned = async (opts: Record<string, unknown>): Promise<string[]> => {
    const seen = new Set<string>();
    for await (const keys of c.scanIterator(opts)) for (const k of keys as string[]) seen.add(k);
    return [...seen].sort();
  };
  await rec('SCAN all', () => scanned({ COUNT: 25 }));
  await rec('SCAN MATCH', () => scanned({ MATCH: 'user:1*', COUNT: 50 }));
  await rec('SCAN TYPE', () => scanned({ TYPE: 'string', MATCH: 'user:2?' }));
  await rec('SCAN TYPE list', () => scanned({ TYPE: 'list' }));

  // pipelines: commands issued together go out in one write (node-redis pipelines them)
  await rec('pipelined INCRs', () => Promise.all(Array.from({ length: 200 }, () => c.incr('p'))));
  await rec('pipelined mixed', () => Promise.all([c.set('q', '1'), c.incr('q'), c.get('q'), c.incr('s').catch(errorShape), c.del('q'), c.get('q')]));
  await rec('execAsPipeline', () => c.multi().set('pp', 'a').append('pp', 'b').get('pp').incr('pp').execAsPipeline());

  // MULTI / EXEC
  await rec('MULTI EXEC', () => c.multi().set('m', '1').incr('m').get('m').exists(['m', 'nope']).exec());
  await rec('MULTI with a runtime error', () => c.multi().set('m', 'text').incr('m').append('m', '!').get('m').exec());
  await rec('GET after runtime error', () => c.get('m'));
  await rec('MULTI EXECABORT', () => c.multi().set('m', 'v').addCommand(['NOSUCHCOMMAND']).incr('m').exec());
  await rec('GET after EXECABORT', () => c.get('m'));
  await rec('MULTI empty', () => c.multi().exec());
  // WATCH on a connection of its own, written by another connection
  const w = c.duplicate();
  await w.connect();
  try {
    await rec('WATCH', () => w.watch('wk'));
    await rec('write by another connection', () => other.set('wk', 'theirs'));
    await rec('EXEC after the watched key changed', () => w.multi().set('wk', 'mine').exec());
    await rec('GET wk', () => c.get('wk'));
    await rec('WATCH again', () => w.watch('wk'));
    await rec('other connection writes another key', () => other.set('unrelated', '1'));
    await rec('EXEC with the watched key untouched', () => w.multi().set('wk', 'mine').get('wk').exec());
    await rec('WATCH, UNWATCH', async () => [await w.watch('wk'), await other.set('wk', 'x'), await w.unwatch()]);
    await rec('EXEC after UNWATCH', () => w.multi().get('wk').exec());
  } finally {
    await w.close();
  }
  await rec('SELECT 1 and back', async () => {
    const d = c.duplicate({ database: 1 });
    await d.connect();
    try {
      return [await d.get('b2'), await d.dbSize()];
    } finally {
      await d.close();
    }
  });
  return out;
}

async function connect(port: number, resp: 2 | 3): Promise<Client> {
  const client = createClient({ socket: { host: '127.0.0.1', port, reconnectStrategy: false }, RESP: resp });
  client.on('error', () => {});
  await client.connect();
  return client;
}

for (const resp of [2, 3] as const) {
  test(`node-redis RESP${resp}: strings, expiry, keys, SCAN, pipelines, MULTI/EXEC give what redis-server gives`, async (t) => {
    if (!servers.redis) return t.skip('redis-server not installed: node-redis differential test NOT RUN');
    const results: [string, unknown][][] = [];
    for (const port of [servers.redis.port, servers.shmkv.port]) {
      const c = await connect(port, resp);
      const other = await connect(port, resp);
      try {
        results.push(await script(c, other));
      } finally {
        await c.close();
        await other.close();
      }
    }
    const [want, got] = results as [[string, unknown][], [string, unknown][]];
    assert.equal(got.length, want.length);
    for (let i = 0; i < want.length; i++) assert.deepEqual(got[i], want[i], `step ${i}: ${want[i]![0]}`);
    // the script did what it says (not only the same on both): a few anchors
    const byLabel = new Map(got);
    assert.deepEqual(byLabel.get('MULTI EXEC'), ['OK', 2, '2', 1]);
    assert.equal((byLabel.get('EXEC after the watched key changed') as { error: string }).error, 'WatchError');
    assert.equal((byLabel.get('pipelined INCRs') as number[])[199], 200);
    assert.equal((byLabel.get('SCAN all') as string[]).length, (byLabel.get('KEYS') as string[]).length + 300);
    // node-redis rejects an aborted EXEC with the queueing error; nothing of it ran
    assert.match((byLabel.get('MULTI EXECABORT') as { message: string }).message, /unknown command 'NOSUCHCOMMAND'/);
    assert.equal(byLabel.get('GET after EXECABORT'), byLabel.get('GET after runtime error'));
    assert.equal(byLabel.get('GET after runtime error'), 'text!');
  });
}
