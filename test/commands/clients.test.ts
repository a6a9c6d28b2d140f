/** Strings and keys through real clients: ioredis (RESP2 and RESP3, pipelines) and redis-cli. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { Redis } from 'ioredis';
import { RawClient } from '../helpers/raw-client.js';
import { startRedisOracle } from '../helpers/redis-oracle.js';
import { startShmkvServer } from '../helpers/shmkv-server.js';

test('ioredis: strings, expiry, pipelines and transactions-free batches', async () => {
  const server = await startShmkvServer();
  const r = new Redis({ port: server.port, lazyConnect: true, maxRetriesPerRequest: 1 });
  try {
    await r.connect();
    assert.equal(await r.set('greeting', 'hello'), 'OK');
    assert.equal(await r.append('greeting', ' world'), 11);
    assert.equal(await r.get('greeting'), 'hello world');
    assert.equal(await r.getrange('greeting', 0, 4), 'hello');
    assert.equal(await r.incrby('n', 41), 41);
    assert.equal(await r.incr('n'), 42);
    assert.equal(await r.incrbyfloat('f', '0.1'), '0.1');
    assert.equal(await r.incrbyfloat('f', '0.2'), '0.3');
    assert.equal(await r.set('tmp', 'x', 'EX', 100), 'OK');
    const ttl = await r.ttl('tmp');
    assert.ok(ttl > 98 && ttl <= 100);
    assert.equal(await r.set('tmp', 'y', 'NX'), null);
    assert.deepEqual(await r.mget('greeting', 'missing', 'n'), ['hello world', null, '42']);
    await assert.rejects(r.incr('greeting'), /ERR value is not an integer or out of range/);

    const p = r.pipeline();
    for (let i = 0; i < 5000; i++) p.set(`p:${i}`, String(i));
    for (let i = 0; i < 5000; i++) p.get(`p:${i}`);
    const res = (await p.exec())!;
    assert.equal(res.length, 10000);
    for (let i = 0; i < 5000; i++) assert.deepEqual(res[5000 + i], [null, String(i)]);
    assert.equal(await r.dbsize(), 5000 + 4);

    // SCAN through ioredis's stream helper sees every key exactly as KEYS does.
    const seen = new Set<string>();
    await new Promise<void>((resolve, reject) => {
      const s = r.scanStream({ match: 'p:*', count: 100 });
      s.on('data', (keys: string[]) => keys.forEach((k) => seen.add(k)));
      s.on('end', resolve);
      s.on('error', reject);
    });
    assert.equal(seen.size, 5000);
    assert.equal(await r.unlink('p:1', 'p:2', 'nope'), 2);
    assert.equal(await r.rename('greeting', 'salute'), 'OK');
    assert.equal(await r.type('salute'), 'string');
    assert.equal(await r.exists('greeting', 'salute'), 1);
  } finally {
    r.disconnect();
    await server.stop();
  }
});

test('RESP3: string and key replies are byte-identical to redis-server', async (t) => {
  const redis = await startRedisOracle();
  if (!redis) {
    t.skip('redis-server not installed: differential test NOT RUN');
    return;
  }
  const server = await startShmkvServer();
  const a = await RawClient.connect(redis.port);
  const b = await RawClient.connect(server.port);
  try {
    await a.call('hello', '3');
    await b.call('hello', '3');
    const cmds: (string | number)[][] = [
      ['set', 'k', 'v'], ['get', 'k'], ['get', 'missing'], ['set', 'k', 'w', 'get'], ['set', 'n', 'v', 'nx', 'get'],
      ['mget', 'k', 'missing', 'n'], ['incrbyfloat', 'f', '1.5'], ['getex', 'missing'], ['getdel', 'k'], ['getdel', 'k'],
      ['set', 's', 'ohmytext'], ['set', 't', 'mynewtext'], ['lcs', 's', 't'], ['lcs', 's', 't', 'idx', 'minmatchlen', 2, 'withmatchlen'],
      ['lcs', 's', 't', 'len'], ['scan', 0, 'match', 'nothing*'], ['keys', 'nothing*'], ['ttl', 's'], ['object', 'encoding', 'missing'],
      ['object', 'help'], ['incr', 's'], ['rename', 'nope', 'x'], ['flushall'], ['randomkey'],
    ];
    for (const cmd of cmds) {
      const [ra, rb] = await Promise.all([a.call(...cmd), b.call(...cmd)]);
      assert.equal(rb.toString('latin1'), ra.toString('latin1'), JSON.stringify(cmd));
    }
  } finally {
    a.close();
    b.close();
    await redis.stop();
    await server.stop();
  }
});

test('redis-cli: strings and keys, RESP2 and -3', async (t) => {
  if (spawnSync('redis-cli', ['--version']).status !== 0) {
    t.skip('redis-cli not installed: NOT RUN');
    return;
  }
  const server = await startShmkvServer();
  const cli = (...args: string[]) => spawnSync('redis-cli', ['-p', String(server.port), ...args], { encoding: 'utf8' });
  try {
    assert.equal(cli('set', 'a', '1').stdout.trim(), 'OK');
    assert.equal(cli('incrby', 'a', '9').stdout.trim(), '10');
    assert.equal(cli('get', 'a').stdout.trim(), '10');
    assert.equal(cli('--no-raw', 'get', 'a').stdout.trim(), '"10"');
    assert.equal(cli('-3', '--no-raw', 'get', 'missing').stdout.trim(), '(nil)');
    assert.equal(cli('expire', 'a', '100').stdout.trim(), '1');
    assert.equal(cli('object', 'encoding', 'a').stdout.trim(), 'int');
    const piped = spawnSync('redis-cli', ['-p', String(server.port)], { input: 'set b hello\nappend b " there"\nget b\n', encoding: 'utf8' });
    assert.deepEqual(piped.stdout.trim().split('\n'), ['OK', '11', 'hello there']);
    assert.equal(cli('--no-raw', 'incr', 'b').stdout.trim(), '(error) ERR value is not an integer or out of range');
  } finally {
    await server.stop();
  }
});
