/**
 * Connection commands and protocol behaviour of the server, byte for byte against real
 * Redis 7.0 (differential), through ioredis, and through a spawned redis-cli.
 */

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { Redis } from 'ioredis';
import { DiffPair, normalizeInts, show, type Cmd } from '../helpers/differential.js';
import { RawClient, decodeReply, toJS } from '../helpers/raw-client.js';
import { startRedisOracle, type RedisOracle } from '../helpers/redis-oracle.js';
import { startShmkvServer, type ShmkvServer } from '../helpers/shmkv-server.js';

let redis: RedisOracle | null = null;
let shmkv: ShmkvServer;

before(async () => {
  redis = await startRedisOracle();
  shmkv = await startShmkvServer({ args: ['--save', ''] });
});

after(async () => {
  await redis?.stop();
  await shmkv?.stop();
});

const helloNorm = { normalize: normalizeInts(['id']) };

test('connection commands: same bytes as Redis', async (t) => {
  if (!redis) return t.skip('redis-server missing');
  const d = await DiffPair.open(redis.port, shmkv.port);
  try {
    const long = 'x'.repeat(200);
    const cmds: Cmd[] = [
      ['PING'],
      ['ping', 'hello world'],
      ['PING', 'a', 'b'],
      ['PING', ''],
      ['ECHO', 'x'],
      ['ECHO', Buffer.from([0, 1, 2, 255])],
      ['ECHO'],
      ['SELECT', '15'],
      ['SELECT', '16'],
      ['SELECT', '-1'],
      ['SELECT', 'x'],
      ['SELECT', '99999999999'],
      ['SELECT', '0'],
      ['nosuch'],
      ['nosuch', 'a', 'b'],
      ['nosuch', long, long],
      ['nosuch', 'a\r\nb', Buffer.from([0x61, 0, 0x62]), Buffer.from([0xc3, 0xa9, 0xff])],
      [long + 'cmd', 'x'],
      ['GET'],
      ['CONFIG'],
      ['CONFIG', 'nosuch'],
      ['CONFIG', long],
      ['config', 'Get'],
      ['CLIENT', 'SETNAME', 'my-name'],
      ['CLIENT', 'GETNAME'],
      ['CLIENT', 'SETNAME', 'bad name'],
      ['CLIENT', 'SETNAME', 'caf\u00e9'],
      ['CLIENT', 'SETNAME', ''],
      ['CLIENT', 'GETNAME'],
      ['CLIENT', 'SETNAME'],
      ['CLIENT', 'GETNAME', 'x'],
      ['CLIENT', 'NO-EVICT', 'on'],
      ['CLIENT', 'NO-EVICT', 'maybe'],
      ['CLIENT', 'KILL', '1.2.3.4:5'],
      ['CLIENT', 'KILL', 'ID', '99999'],
      ['CLIENT', 'KILL', 'ID', 'x'],
      ['CLIENT', 'KILL', 'TYPE', 'nosuch'],
      ['CLIENT', 'KILL', 'USER', 'nosuch'],
      ['CLIENT', 'KILL', 'SKIPME', 'maybe'],
      ['CLIENT', 'KILL', 'ADDR', '1.2.3.4:5', 'SKIPME', 'no'],
      ['CLIENT', 'KILL', 'a', 'b', 'c'],
      ['CLIENT', 'LIST', 'TYPE', 'nosuch'],
      ['CLIENT', 'LIST', 'ID', 'x'],
      ['CLIENT', 'LIST', 'ID', '99999'],
      ['CLIENT', 'LIST', 'foo'],
      ['CLIENT', 'PAUSE', 'x'],
      ['CLIENT', 'PAUSE', '-1'],
      ['CLIENT', 'PAUSE', '0', 'sometimes'],
      ['CLIENT', 'UNPAUSE'],
      ['CLIENT', 'GETREDIR'],
      ['CLIENT', 'TRACKINGINFO'],
      ['CLIENT', 'UNBLOCK', '99999'],
      ['CLIENT', 'UNBLOCK', 'x'],
      ['CLIENT', 'UNBLOCK', '1', 'later'],
      ['CLIENT', 'REPLY', 'maybe'],
      ['CLIENT', 'HELP'],
      ['HELLO', '4'],
      ['HELLO', '1'],
      ['HELLO', 'x'],
      ['HELLO', '3', 'SETNAME', 'bad name'],
      ['HELLO', '3', 'nosuch'],
      ['HELLO', '3', 'AUTH', 'default'],
      ['HELLO', '3', 'AUTH', 'default', 'anything', 'SETNAME', 'n'],
      ['CLIENT', 'GETNAME'],
      ['PING'],
      ['PING', 'x'],
      ['ECHO', 'y'],
      ['CLIENT', 'GETNAME'],
      ['CLIENT', 'TRACKINGINFO'],
      ['SELECT', '99'],
      ['nosuch'],
      ['HELLO'],
      ['HELLO', '2'],
      ['AUTH', 'x'],
      ['AUTH', 'default', 'x'],
      ['AUTH', 'someone', 'x'],
      ['AUTH', 'a', 'b', 'c'],
      ['RESET'],
      ['RESET', 'x'],
      ['CLIENT', 'GETNAME'],
      ['QUIT', 'x', 'y'],
    ];
    for (const c of cmds) await d.same(c, helloNorm);
    // both closed the connection after QUIT
    assert.ok((await d.redis.waitClose()).length === 0);
    assert.ok((await d.shmkv.waitClose()).length === 0);
  } finally {
    d.close();
  }
});

test('inline commands and protocol errors: same bytes, then the connection closes', async (t) => {
  if (!redis) return t.skip('redis-server missing');
  const cases = [
    'PING\r\nECHO "a b"\r\nECHO \'c\\\'d\'\r\n   \r\nSELECT 1\r\n',
    'ECHO "unbalanced\r\n',
    '*1\r\n$4\r\nPING\r\n*1\r\n$x\r\n',
    '*x\r\n',
    '*1\r\n+PING\r\n',
    '*2\r\n$4\r\nECHO\r\n$-2\r\n',
  ];
  for (const raw of cases) {
    const a = await RawClient.connect(redis.port);
    const b = await RawClient.connect(shmkv.port);
    a.sendRaw(raw);
    b.sendRaw(raw);
    const closes = raw.includes('unbalanced') || raw.includes('$x') || raw.includes('*x') || raw.includes('+PING') || raw.includes('-2');
    if (closes) {
      const ra = await a.waitClose();
      const rb = await b.waitClose();
      assert.equal(show(rb), show(ra), JSON.stringify(raw));
    } else {
      const n = raw.split('\r\n').filter((l) => l.trim() !== '').length;
      for (let i = 0; i < n; i++) assert.equal(show(await b.read()), show(await a.read()), JSON.stringify(raw));
    }
    a.close();
    b.close();
  }
});

test('CLIENT REPLY OFF / SKIP / ON: same bytes as Redis', async (t) => {
  if (!redis) return t.skip('redis-server missing');
  const script = '*3\r\n$6\r\nCLIENT\r\n$5\r\nREPLY\r\n$4\r\nSKIP\r\n*2\r\n$4\r\nECHO\r\n$1\r\na\r\n*2\r\n$4\r\nECHO\r\n$1\r\nb\r\n*1\r\n$6\r\nnosuch\r\n*3\r\n$6\r\nCLIENT\r\n$5\r\nREPLY\r\n$3\r\nOFF\r\n*2\r\n$4\r\nECHO\r\n$1\r\nc\r\n*1\r\n$6\r\nnosuch\r\n*3\r\n$6\r\nCLIENT\r\n$5\r\nREPLY\r\n$2\r\nON\r\n*2\r\n$4\r\nECHO\r\n$1\r\nd\r\n*3\r\n$6\r\nCLIENT\r\n$5\r\nREPLY\r\n$4\r\nSKIP\r\n*1\r\n$6\r\nnosuch\r\n*1\r\n$4\r\nPING\r\n';
  const outs: string[] = [];
  for (const port of [redis.port, shmkv.port]) {
    const c = await RawClient.connect(port);
    c.sendRaw(script);
    const got: Buffer[] = [];
    got.push(await c.read(), await c.read(), await c.read(), await c.read(), await c.read());
    outs.push(Buffer.concat(got).toString('latin1'));
    await new Promise((r) => setTimeout(r, 50));
    assert.equal(c.pending().length, 0);
    c.close();
  }
  assert.equal(outs[1], outs[0]);
});

test('AUTH with requirepass: same bytes as Redis', async (t) => {
  if (!redis) return t.skip('redis-server missing');
  const r = await startRedisOracle(['--requirepass', 'sec ret']);
  const s = await startShmkvServer({ args: ['--requirepass', 'sec ret'] });
  try {
    const d = await DiffPair.open(r!.port, s.port);
    const cmds: Cmd[] = [
      ['PING'],
      ['GET', 'a'],
      ['nosuch'],
      ['GET'],
      ['CLIENT', 'SETNAME', 'x'],
      ['HELLO'],
      ['HELLO', '3'],
      ['HELLO', '3', 'AUTH', 'default', 'wrong'],
      ['AUTH', 'wrong'],
      ['AUTH', 'default', 'wrong'],
      ['AUTH', 'nobody', 'sec ret'],
      ['PING'],
      ['AUTH', 'sec ret'],
      ['PING'],
      ['AUTH', 'wrong'],
      ['PING'],
      ['RESET'],
      ['PING'],
      ['HELLO', '3', 'AUTH', 'default', 'sec ret', 'SETNAME', 'me'],
      ['CLIENT', 'GETNAME'],
      ['QUIT'],
    ];
    for (const c of cmds) await d.same(c, helloNorm);
    d.close();
    // unauthenticated clients get the tight protocol limits
    for (const raw of ['*20\r\n', '*1\r\n$20000\r\n']) {
      const a = await RawClient.connect(r!.port);
      const b = await RawClient.connect(s.port);
      a.sendRaw(raw);
      b.sendRaw(raw);
      assert.equal(show(await b.waitClose()), show(await a.waitClose()), raw);
      a.close();
      b.close();
    }
  } finally {
    await r?.stop();
    await s.stop();
  }
});

test('pipelining: 10k commands in one write give 10k ordered replies', async () => {
  const c = await RawClient.connect(shmkv.port);
  try {
    const parts: string[] = [];
    for (let i = 0; i < 10000; i++) {
      const v = String(i);
      parts.push(i % 2 ? `*2\r\n$4\r\nECHO\r\n$${v.length}\r\n${v}\r\n` : `PING ${v}\r\n`);
    }
    c.sendRaw(parts.join(''));
    for (let i = 0; i < 10000; i++) {
      const r = await c.read();
      const v = String(i);
      assert.equal(r.toString(), `$${v.length}\r\n${v}\r\n`);
    }
  } finally {
    c.close();
  }
});

test('a huge pipeline from a client that reads late: all replies arrive', async () => {
  const c = await RawClient.connect(shmkv.port);
  try {
    const n = 50000;
    const val = 'v'.repeat(1000);
    const one = `*2\r\n$4\r\nECHO\r\n$${val.length}\r\n${val}\r\n`;
    c.socket.pause();
    c.sendRaw(one.repeat(n));
    await new Promise((r) => setTimeout(r, 300));
    c.socket.resume();
    const rs = await c.readN(n, 30000);
    assert.equal(rs.length, n);
    assert.equal(rs[n - 1].toString(), `$1000\r\n${val}\r\n`);
  } finally {
    c.close();
  }
});

test('RESP3 replies: HELLO 3 map, CLIENT INFO / INFO as verbatim strings', async (t) => {
  if (!redis) return t.skip('redis-server missing');
  const d = await DiffPair.open(redis.port, shmkv.port);
  try {
    await d.same(['HELLO', '3'], helloNorm);
    const [a, b] = await d.both(['CLIENT', 'INFO']);
    assert.equal(String.fromCharCode(a[0]), '=');
    assert.equal(String.fromCharCode(b[0]), '=');
    const [ia, ib] = await d.both(['INFO', 'cluster']);
    assert.equal(show(ib), show(ia));
    await d.same(['CONFIG', 'GET', 'maxmemory']);
    await d.same(['COMMAND', 'INFO', 'ping']);
    await d.same(['CLIENT', 'GETNAME']);
    await d.same(['CLIENT', 'TRACKINGINFO']);
  } finally {
    d.close();
  }
});

test('ioredis: connect with a name and a db, ping, info, client list, quit', async () => {
  const r = new Redis({ port: shmkv.port, connectionName: 'ioredis-test', db: 3, lazyConnect: true, maxRetriesPerRequest: 0 });
  try {
    await r.connect();
    assert.equal(await r.ping(), 'PONG');
    assert.equal(await r.echo('hi'), 'hi');
    assert.equal(await r.client('GETNAME'), 'ioredis-test');
    const list = (await r.client('LIST')) as string;
    assert.match(list, /name=ioredis-test .*db=3 /);
    const info = await r.info('server');
    assert.match(info, /redis_version:7\.0\.15/);
    const cfg = await r.config('GET', 'maxmemory*');
    assert.ok(Array.isArray(cfg) && cfg.includes('maxmemory-policy'));
    await assert.rejects(r.call('nosuch'), /unknown command 'nosuch'/);
    const t = await r.time();
    assert.ok(Math.abs(Number(t[0]) - Date.now() / 1000) < 5);
    // a pipeline through ioredis
    const p = r.pipeline();
    for (let i = 0; i < 100; i++) p.echo(String(i));
    const res = await p.exec();
    assert.deepEqual(
      res!.map(([, v]) => v),
      Array.from({ length: 100 }, (_, i) => String(i)),
    );
    assert.equal(await r.quit(), 'OK');
  } finally {
    r.disconnect();
  }
});

function cli(args: string[], input?: string): { out: string; status: number | null } {
  const r = spawnSync('redis-cli', ['-p', String(shmkv.port), ...args], { encoding: 'utf8', input, timeout: 10000 });
  return { out: r.stdout + r.stderr, status: r.status };
}

test('redis-cli: one-shot commands, stdin, RESP3, --no-raw output', (t) => {
  if (spawnSync('redis-cli', ['--version']).status !== 0) return t.skip('redis-cli missing');
  assert.equal(cli(['ping']).out, 'PONG\n');
  assert.equal(cli(['echo', 'a b']).out, 'a b\n');
  assert.equal(cli(['--no-raw', 'nosuch', 'x']).out, "(error) ERR unknown command 'nosuch', with args beginning with: 'x' \n");
  assert.equal(cli(['-n', '2', 'client', 'info']).out.includes(' db=2 '), true);
  assert.equal(cli(['-3', '--no-raw', 'hello', '3']).out.split('\n')[0], '1# "server" => "redis"');
  assert.match(cli(['info', 'server']).out, /^redis_version:7\.0\.15\r?$/m);
  assert.equal(cli([], 'PING\nECHO hi\n').out, 'PONG\nhi\n');
  assert.equal(cli(['--no-raw', 'config', 'get', 'databases']).out, '1) "databases"\n2) "16"\n');
  // the interactive client asks COMMAND DOCS for its hints: it must parse
  const docs = spawnSync('redis-cli', ['-p', String(shmkv.port), '--no-raw', 'command', 'docs', 'ping'], { encoding: 'utf8' });
  assert.match(docs.stdout, /"summary"/);
});

test('the server survives clients that vanish mid-command', async () => {
  for (let i = 0; i < 20; i++) {
    const c = await RawClient.connect(shmkv.port);
    c.sendRaw('*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$100\r\nabc');
    c.close();
  }
  const c = await RawClient.connect(shmkv.port);
  assert.equal((await c.call('PING')).toString(), '+PONG\r\n');
  const v = toJS(decodeReply(await c.call('CLIENT', 'ID')));
  assert.ok(typeof v === 'number' && v > 20);
  c.close();
});
