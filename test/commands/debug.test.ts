/**
 * DEBUG: differential tests against redis-server 7.0 for what is deterministic (the
 * enable-debug-command gate, PROTOCOL in RESP2 and RESP3, DIGEST and DIGEST-VALUE — the
 * same algorithm gives the same hex —, POPULATE, OBJECT's fields, errors), plus what only
 * we can check (SET-ACTIVE-EXPIRE, SLEEP blocking, the library's value sink).
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import { DiffPair } from '../helpers/differential.js';
import { RawClient } from '../helpers/raw-client.js';
import { sleep } from '../helpers/ports.js';
import { startRedisOracle, type RedisOracle } from '../helpers/redis-oracle.js';
import { startShmkvServer, type ShmkvServer } from '../helpers/shmkv-server.js';
import { open } from '../../src/kv/index.js';
import { ValueSink } from '../../src/engine/value-sink.js';

let redis: RedisOracle | null = null;
let shmkv: ShmkvServer;
/** debug disabled (the default) on both */
let redisOff: RedisOracle | null = null;
let shmkvOff: ShmkvServer;

before(async () => {
  redis = await startRedisOracle(['--enable-debug-command', 'yes']);
  redisOff = await startRedisOracle(['--requirepass', 'pw']);
  shmkv = await startShmkvServer({ args: ['--enable-debug-command', 'yes'] });
  shmkvOff = await startShmkvServer({ args: ['--requirepass', 'pw'] });
});

after(async () => {
  await redis?.stop();
  await redisOff?.stop();
  await shmkv?.stop();
  await shmkvOff?.stop();
});

/** OBJECT's line with the address and LRU clock (process details, timing) blanked. */
const objectLine = (raw: Buffer) =>
  Buffer.from(
    raw
      .toString('latin1')
      .replace(/at:0x[0-9a-f]+/, 'at:?')
      .replace(/ lru:\d+ lru_seconds_idle:\d+/, ' lru:? lru_seconds_idle:?'),
    'latin1',
  );

test('DEBUG is refused as Redis refuses it when enable-debug-command is no: before AUTH, counted as rejected', async (t) => {
  if (!redisOff) return t.skip('redis-server missing');
  const d = await DiffPair.open(redisOff.port, shmkvOff.port);
  try {
    await d.same(['DEBUG', 'HELP']);
    await d.same(['debug', 'sleep', '0']);
    await d.same(['DEBUG']); // arity comes first
    await d.same(['AUTH', 'pw']);
    await d.same(['DEBUG', 'HELP']);
    await d.same(['MULTI']);
    await d.same(['DEBUG', 'LOG', 'x']);
    await d.same(['EXEC']); // a refused command aborts the transaction
  } finally {
    d.close();
  }
  // refusals count as rejected calls of DEBUG, as Redis counts them
  const stat = async (port: number) => {
    const c = await RawClient.connect(port);
    try {
      await c.call('AUTH', 'pw');
      return /cmdstat_debug:[^\r]*/.exec((await c.call('INFO', 'commandstats')).toString())?.[0];
    } finally {
      c.close();
    }
  };
  assert.equal(await stat(shmkvOff.port), await stat(redisOff.port));
});

test("enable-debug-command local allows loopback connections and library processes, not other peers", async () => {
  const s = await startShmkvServer({ args: ['--enable-debug-command', 'local', '--bind', '0.0.0.0', '--protected-mode', 'no'] });
  try {
    const c = await RawClient.connect(s.port);
    assert.equal((await c.call('DEBUG', 'SLEEP', '0')).toString(), '+OK\r\n');
    c.close();
    // a peer on a non-loopback address of this machine, when it has one
    const ext = Object.values(os.networkInterfaces())
      .flat()
      .find((i) => i && i.family === 'IPv4' && !i.internal);
    if (ext) {
      const r = await RawClient.connect(s.port, ext.address);
      assert.match((await r.call('DEBUG', 'SLEEP', '0')).toString(), /^-ERR DEBUG command not allowed\. If the enable-debug-command option is set to "local"/);
      r.close();
    }
  } finally {
    await s.stop();
  }
  const seg = `debug-lib-${process.pid}`;
  const off = open({ segment: seg });
  const local = open({ segment: seg, enableDebugCommand: 'local' });
  try {
    assert.throws(() => off.call('DEBUG', 'SLEEP', '0'), /DEBUG command not allowed/);
    assert.equal(local.call('DEBUG', 'SLEEP', '0'), 'OK');
    local.call('SET', 'k', 'v');
    assert.match(String(local.call('DEBUG', 'OBJECT', 'k')), /^Value at:0x[0-9a-f]+ refcount:1 encoding:embstr serializedlength:2 lru:\d+ lru_seconds_idle:\d+$/);
    const digests = local.call('DEBUG', 'DIGEST-VALUE', 'k', 'nokey') as string[];
    assert.match(digests[0]!, /^[0-9a-f]{40}$/);
    assert.notEqual(digests[0], '0'.repeat(40));
    assert.equal(digests[1], '0'.repeat(40));
  } finally {
    off.close();
    local.close();
    fs.rmSync(`/dev/shm/shmkv.${seg}`, { force: true });
  }
});

test('DEBUG PROTOCOL answers every type as Redis does, in RESP2 and RESP3', async (t) => {
  if (!redis) return t.skip('redis-server missing');
  const d = await DiffPair.open(redis.port, shmkv.port);
  const types = ['string', 'integer', 'double', 'bignum', 'null', 'array', 'set', 'map', 'attrib', 'verbatim', 'true', 'false', 'nosuchtype', 'STRING'];
  try {
    for (const ty of [...types, 'push']) await d.same(['DEBUG', 'PROTOCOL', ty]);
    await d.same(['HELLO', '3'], { normalize: (b) => Buffer.from(b.toString('latin1').replace(/:\d+\r\n\$4\r\nmode/, ':0\r\n$4\r\nmode').replace(/\$2\r\nid\r\n:\d+/, '$2\r\nid\r\n:0').replace(/version\r\n\$\d+\r\n[^\r]*/, 'version'), 'latin1') });
    for (const ty of types) await d.same(['DEBUG', 'PROTOCOL', ty]);
    // push: the push message, then the command's own reply
    const [a, b] = await d.both(['DEBUG', 'PROTOCOL', 'push']);
    assert.equal(b.toString('latin1'), a.toString('latin1'));
    assert.equal((await d.redis.read()).toString('latin1'), (await d.shmkv.read()).toString('latin1'));
  } finally {
    d.close();
  }
});

test('DEBUG DIGEST and DIGEST-VALUE give Redis\'s own digests; POPULATE makes the same keys', async (t) => {
  if (!redis) return t.skip('redis-server missing');
  const d = await DiffPair.open(redis.port, shmkv.port);
  try {
    await d.sameAll([
      ['FLUSHALL'],
      ['DEBUG', 'DIGEST'],
      ['DEBUG', 'DIGEST-VALUE'],
      ['DEBUG', 'DIGEST-VALUE', 'nokey'],
      ['SET', 'foo', 'bar'],
      ['SET', 'n', '12345'],
      ['SET', 'big', 'x'.repeat(300)],
      ['SET', 'ttl', 'v', 'EX', '1000'],
      ['DEBUG', 'DIGEST'],
      ['DEBUG', 'DIGEST-VALUE', 'foo', 'n', 'big', 'ttl', 'nokey'],
      ['SELECT', '3'],
      ['SET', 'foo', 'bar'],
      ['DEBUG', 'DIGEST'],
      ['DEBUG', 'POPULATE', '1000'],
      ['DEBUG', 'POPULATE', '10', 'p', '50'],
      ['DEBUG', 'POPULATE', '10', 'short', '3'],
      ['DEBUG', 'POPULATE', '10', 'dflt', '0'],
      ['DEBUG', 'POPULATE', '1005'], // existing keys are kept
      ['DBSIZE'],
      ['GET', 'key:999'],
      ['GET', 'p:3'],
      ['GET', 'short:3'],
      ['GET', 'dflt:3'],
      ['DEBUG', 'DIGEST'],
      ['DEBUG', 'POPULATE', '-1'],
      ['DEBUG', 'POPULATE', 'x'],
      ['DEBUG', 'POPULATE', '1', 'a', '-5'],
      ['DEBUG', 'POPULATE', '1', 'a', '2', '3'],
      ['APPEND', 'foo', 'baz'],
      ['DEBUG', 'DIGEST'],
      ['DEL', 'foo'],
      ['SET', 'foo', 'barbaz'],
      ['DEBUG', 'DIGEST'],
      ['FLUSHALL'],
      ['DEBUG', 'DIGEST'],
    ]);
  } finally {
    d.close();
  }
});

test('DEBUG OBJECT, ERROR, LOG, SLEEP, unknown subcommands and wrong counts as Redis', async (t) => {
  if (!redis) return t.skip('redis-server missing');
  const d = await DiffPair.open(redis.port, shmkv.port);
  try {
    await d.sameAll([
      ['FLUSHALL'],
      ['SET', 'foo', 'bar'],
      ['SET', 'n', '12345'],
      ['SET', 'small', '-7'],
      ['SET', 'large', '100000'],
      ['SET', 'huge', '12345678901'],
      ['SET', 'raw', 'abcdefghijklmnopqrstuvwxyz0123456789ABCDEFGHIJKLMN'],
    ]);
    for (const k of ['foo', 'n', 'small', 'large', 'huge', 'raw']) await d.same(['DEBUG', 'OBJECT', k], { normalize: objectLine });
    await d.sameAll([
      ['DEBUG', 'OBJECT', 'nokey'],
      ['DEBUG', 'OBJECT'],
      ['DEBUG', 'OBJECT', 'a', 'b'],
      ['DEBUG', 'ERROR', 'foo bar'],
      ['DEBUG', 'ERROR', 'line\r\nbreak'],
      ['DEBUG', 'LOG', 'hello from the test'],
      ['DEBUG', 'SLEEP', '0'],
      ['DEBUG', 'SLEEP', 'abc'],
      ['DEBUG', 'SLEEP', '-1'],
      ['DEBUG', 'SLEEP'],
      ['DEBUG', 'SET-ACTIVE-EXPIRE', '1'],
      ['DEBUG', 'SET-ACTIVE-EXPIRE'],
      ['DEBUG', 'nosuch'],
      ['DEBUG', 'help', 'extra'],
      ['DEBUG', 'digest', 'extra'],
      ['DEBUG', 'CHANGE-REPL-ID'],
      ['DEBUG', 'CONFIG-REWRITE-FORCE-ALL'],
      ['MULTI'],
      ['DEBUG', 'SLEEP', '0'],
      ['DEBUG', 'DIGEST-VALUE', 'foo'],
      ['EXEC'],
    ]);
    // Redis's fuzz runs ~5 s (ours 0.2 s): past the default 5 s wait for a reply
    await d.same(['DEBUG', 'STRINGMATCH-TEST'], { timeoutMs: 60_000 });
  } finally {
    d.close();
  }
  // DEBUG RELOAD saves and loads the RDB file (test/persistence/); there is no AOF to load
  const c = await RawClient.connect(shmkv.port);
  try {
    assert.equal((await c.call('DEBUG', 'RELOAD', 'BOGUS')).toString(), '-ERR DEBUG RELOAD only supports the MERGE, NOFLUSH and NOSAVE options.\r\n');
    assert.match((await c.call('DEBUG', 'LOADAOF')).toString(), /^-ERR DEBUG LOADAOF is not supported/);
    const help = (await c.call('DEBUG', 'HELP')).toString();
    for (const sub of ['DIGEST-VALUE <key>', 'PROTOCOL <type>', 'SET-ACTIVE-EXPIRE <0|1>', 'SLEEP <seconds>', 'POPULATE <count>', 'HELP']) assert.ok(help.includes(sub), sub);
    assert.ok(!help.includes('SEGFAULT'));
  } finally {
    c.close();
  }
});

test('DEBUG SLEEP blocks the server process (other clients wait), fractional seconds', async () => {
  const a = await RawClient.connect(shmkv.port);
  const b = await RawClient.connect(shmkv.port);
  try {
    const t0 = Date.now();
    const slept = a.call('DEBUG', 'SLEEP', '0.3');
    await sleep(20);
    const pong = await b.call('PING');
    const tPong = Date.now() - t0;
    assert.equal(pong.toString(), '+PONG\r\n');
    assert.equal((await slept).toString(), '+OK\r\n');
    // the PING was answered only after the sleep (whatever the machine's speed)
    assert.ok(tPong >= 280, `PING answered after ${tPong} ms`);
  } finally {
    a.close();
    b.close();
  }
});

test('DEBUG SET-ACTIVE-EXPIRE 0 stops the cron from expiring keys; 1 starts it again', async () => {
  const c = await RawClient.connect(shmkv.port);
  try {
    await c.call('FLUSHALL');
    assert.equal((await c.call('DEBUG', 'SET-ACTIVE-EXPIRE', '0')).toString(), '+OK\r\n');
    for (let i = 0; i < 20; i++) await c.call('SET', `k${i}`, 'v', 'PX', '1');
    await sleep(400); // several cron periods (hz 10)
    // DBSIZE counts what is stored: nothing was expired in the background
    assert.equal((await c.call('DBSIZE')).toString(), ':20\r\n');
    // DEBUG OBJECT sees a logically expired key as stored, as Redis's does
    assert.match((await c.call('DEBUG', 'OBJECT', 'k1')).toString(), /^\+Value at:/);
    assert.equal((await c.call('DEBUG', 'SET-ACTIVE-EXPIRE', '1')).toString(), '+OK\r\n');
    let n = -1;
    for (let i = 0; i < 100 && n !== 0; i++) {
      await sleep(50);
      n = Number((await c.call('DBSIZE')).toString().slice(1, -2));
    }
    assert.equal(n, 0);
  } finally {
    c.close();
  }
});

test('the value sink drops RESP3 attributes and keeps the reply they annotate', () => {
  const s = new ValueSink();
  s.resp = 3;
  s.attribute(1);
  s.bulk('key-popularity');
  s.array(2);
  s.bulk('key:123');
  s.integer(90);
  s.bulk('the reply');
  assert.equal(s.take1(), 'the reply');
  s.array(2);
  s.attribute(1);
  s.bulk('a');
  s.integer(1);
  s.integer(7);
  s.integer(8);
  assert.deepEqual(s.take1(), [7, 8]);
});
