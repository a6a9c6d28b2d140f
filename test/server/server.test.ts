/**
 * Server commands and server behaviour: INFO, CONFIG GET against Redis, DBSIZE / FLUSHDB /
 * FLUSHALL / SWAPDB on the real keyspace, CLIENT LIST / KILL / PAUSE, idle timeout, Unix
 * socket, protected mode, maxclients, statistics, graceful shutdown and restart.
 */

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { DiffPair, show } from '../helpers/differential.js';
import { RawClient, decodeReply, toJS } from '../helpers/raw-client.js';
import { sleep } from '../helpers/ports.js';
import { startRedisOracle, type RedisOracle } from '../helpers/redis-oracle.js';
import { segmentFile, startShmkvServer, type ShmkvServer } from '../helpers/shmkv-server.js';

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

async function js(c: RawClient, ...args: (string | number)[]): Promise<unknown> {
  return toJS(decodeReply(await c.call(...args)));
}

function infoFields(text: string): Map<string, string> {
  const m = new Map<string, string>();
  for (const l of text.split('\r\n')) {
    const i = l.indexOf(':');
    if (i > 0 && !l.startsWith('#')) m.set(l.slice(0, i), l.slice(i + 1));
  }
  return m;
}

function sections(text: string): string[] {
  return text.split('\r\n').filter((l) => l.startsWith('# '));
}

test('INFO: sections like Redis for every selector, fields tools read', async (t) => {
  const c = await RawClient.connect(shmkv.port);
  try {
    const info = (await js(c, 'INFO')) as string;
    const f = infoFields(info);
    for (const k of [
      'redis_version',
      'redis_mode',
      'os',
      'arch_bits',
      'process_id',
      'tcp_port',
      'uptime_in_seconds',
      'uptime_in_days',
      'hz',
      'executable',
      'config_file',
      'shmkv_segment',
      'connected_clients',
      'blocked_clients',
      'maxclients',
      'used_memory',
      'used_memory_human',
      'used_memory_rss',
      'used_memory_peak',
      'maxmemory',
      'maxmemory_policy',
      'mem_fragmentation_ratio',
      'loading',
      'rdb_last_save_time',
      'aof_enabled',
      'total_connections_received',
      'total_commands_processed',
      'instantaneous_ops_per_sec',
      'keyspace_hits',
      'keyspace_misses',
      'expired_keys',
      'evicted_keys',
      'total_net_input_bytes',
      'total_net_output_bytes',
      'total_error_replies',
      'role',
      'connected_slaves',
      'used_cpu_sys',
      'used_cpu_user',
      'cluster_enabled',
    ])
      assert.ok(f.has(k), `INFO lacks ${k}`);
    assert.equal(f.get('redis_version'), '7.0.15');
    assert.equal(f.get('role'), 'master');
    assert.equal(f.get('tcp_port'), String(shmkv.port));
    assert.equal(f.get('shmkv_segment'), shmkv.segment);
    assert.equal(f.get('process_id'), String(shmkv.pid));
    assert.ok(info.endsWith('\r\n'));
    if (!redis) return t.skip('redis-server missing: section lists not compared');
    const r = await RawClient.connect(redis.port);
    try {
      for (const sel of [[], ['default'], ['all'], ['everything'], ['server', 'clients'], ['keyspace', 'SERVER'], ['commandstats'], ['nosuch'], ['default', 'commandstats'], ['stats']]) {
        const a = (await js(r, 'INFO', ...sel)) as string;
        const b = (await js(c, 'INFO', ...sel)) as string;
        assert.deepEqual(sections(b), sections(a), `INFO ${sel.join(' ')}`);
        // every field Redis prints in these sections, we print too (plus our own)
        const fa = infoFields(a);
        const fb = infoFields(b);
        for (const k of fa.keys()) {
          if (/^(cmdstat_|errorstat_|latency_percentiles_|db\d+)/.test(k)) continue;
          assert.ok(fb.has(k), `INFO ${sel.join(' ')}: missing ${k}`);
        }
      }
      // exact bytes for sections without variable values
      await (async () => {
        const d = await DiffPair.open(redis!.port, shmkv.port);
        await d.same(['INFO', 'cluster']);
        await d.same(['INFO', 'modules']);
        await d.same(['INFO', 'nosuch']);
        d.close();
      })();
    } finally {
      r.close();
    }
  } finally {
    c.close();
  }
});

test('INFO commandstats / errorstats / keyspace count what happened', async () => {
  const s = await startShmkvServer();
  const c = await RawClient.connect(s.port);
  try {
    await c.call('CONFIG', 'RESETSTAT');
    await c.call('PING');
    await c.call('PING');
    await c.call('ECHO');
    await c.call('nosuch');
    await c.call('SELECT', '100');
    await c.call('SET', 'a', '1');
    await c.call('SET', 'b', '2', 'EX', '100');
    await c.call('SELECT', '2');
    await c.call('SET', 'c', '3');
    await c.call('SELECT', '0');
    const text = (await js(c, 'INFO', 'commandstats', 'errorstats', 'keyspace', 'stats')) as string;
    const f = infoFields(text);
    assert.match(f.get('cmdstat_ping')!, /^calls=2,usec=\d+,usec_per_call=\d+\.\d\d,rejected_calls=0,failed_calls=0$/);
    assert.match(f.get('cmdstat_echo')!, /^calls=0,usec=0,usec_per_call=0\.00,rejected_calls=1,failed_calls=0$/);
    assert.match(f.get('cmdstat_select')!, /^calls=3,.*rejected_calls=0,failed_calls=1$/);
    assert.match(f.get('cmdstat_config|resetstat')!, /^calls=1,/);
    assert.equal(f.get('errorstat_ERR'), 'count=3');
    assert.equal(f.get('total_error_replies'), '3');
    assert.equal(f.get('db0'), 'keys=2,expires=1,avg_ttl=0');
    assert.equal(f.get('db2'), 'keys=1,expires=0,avg_ttl=0');
    // RESETSTAT itself counts, rejected commands (arity, unknown) do not, as in Redis
    assert.equal(f.get('total_commands_processed'), '9');
  } finally {
    c.close();
    await s.stop();
  }
});

test('CONFIG GET: same values as Redis started with the same options', async (t) => {
  if (!redis) return t.skip('redis-server missing');
  const r = await RawClient.connect(redis.port);
  const c = await RawClient.connect(shmkv.port);
  try {
    const names = [
      'maxmemory',
      'maxmemory-policy',
      'maxmemory-samples',
      'timeout',
      'tcp-keepalive',
      'tcp-backlog',
      'databases',
      'hz',
      'loglevel',
      'appendonly',
      'appendfsync',
      'protected-mode',
      'maxclients',
      'proto-max-bulk-len',
      'client-query-buffer-limit',
      'requirepass',
      'save',
      'dbfilename',
      'unixsocket',
      'unixsocketperm',
      'daemonize',
      'slowlog-log-slower-than',
      'slowlog-max-len',
      'notify-keyspace-events',
      'replica-read-only',
      'slave-read-only',
      'cluster-enabled',
      'io-threads',
      'logfile',
      'busy-reply-threshold',
      'lua-time-limit',
      'latency-tracking',
    ];
    for (const n of names) {
      for (const q of [n, n.toUpperCase()]) {
        const a = await r.call('CONFIG', 'GET', q);
        const b = await c.call('CONFIG', 'GET', q);
        assert.equal(show(b), show(a), q);
      }
    }
    // several at once: the same pairs (Redis prints them in hash order)
    const pairs = (x: unknown) => {
      const a = x as string[];
      const m: string[] = [];
      for (let i = 0; i < a.length; i += 2) m.push(`${a[i]}=${a[i + 1]}`);
      return m.sort();
    };
    assert.deepEqual(pairs(await js(c, 'CONFIG', 'GET', 'timeout', 'hz', 'timeout', 'maxmemory')), pairs(await js(r, 'CONFIG', 'GET', 'timeout', 'hz', 'timeout', 'maxmemory')));
  } finally {
    r.close();
    c.close();
  }
});

test('CONFIG SET errors: same bytes as Redis', async (t) => {
  if (!redis) return t.skip('redis-server missing');
  const d = await DiffPair.open(redis.port, shmkv.port);
  try {
    for (const cmd of [
      ['CONFIG', 'SET', 'port', 'abc'],
      ['CONFIG', 'SET', 'port', '70000'],
      ['CONFIG', 'SET', 'maxmemory', 'foo'],
      ['CONFIG', 'SET', 'maxmemory', '-1'],
      ['CONFIG', 'SET', 'MAXMEMORY', '1.5gb'],
      ['CONFIG', 'SET', 'nosuch', '1'],
      ['CONFIG', 'SET', 'databases', '3'],
      ['CONFIG', 'SET', 'unixsocket', '/tmp/x'],
      ['CONFIG', 'SET', 'dir', '/tmp'],
      ['CONFIG', 'SET', 'dbfilename', 'x.rdb'],
      ['CONFIG', 'SET', 'loglevel', 'loud'],
      ['CONFIG', 'SET', 'protected-mode', 'maybe'],
      ['CONFIG', 'SET', 'slave-read-only', 'maybe'],
      ['CONFIG', 'SET', 'timeout', '-1'],
      ['CONFIG', 'SET', 'timeout', '01'],
      ['CONFIG', 'SET', 'timeout', '1', 'timeout', '2'],
      ['CONFIG', 'SET', 'timeout', '1', 'nosuch', '2'],
      ['CONFIG', 'SET', 'maxmemory-policy', 'lru'],
      ['CONFIG', 'SET', 'save', '100'],
      ['CONFIG', 'SET', 'save', '100 x'],
      ['CONFIG', 'SET', 'maxclients', '0'],
      ['CONFIG', 'SET', 'proto-max-bulk-len', '10'],
      ['CONFIG', 'SET', 'client-query-buffer-limit', '1'],
      ['CONFIG', 'SET', 'hz', 'x'],
      ['CONFIG', 'SET', 'a'],
      ['CONFIG', 'SET', 'a', 'b', 'c'],
      ['CONFIG', 'GET'],
      ['CONFIG', 'GET', 'nosuch'],
      ['CONFIG', 'REWRITE'],
      ['CONFIG', 'RESETSTAT', 'x'],
      ['CONFIG', 'HELP'],
      ['CONFIG', 'SET', 'hz', '1000'],
      ['CONFIG', 'GET', 'hz'],
      ['CONFIG', 'SET', 'hz', '0'],
      ['CONFIG', 'GET', 'hz'],
      ['CONFIG', 'SET', 'hz', '10', 'maxmemory', '1GB', 'loglevel', 'WARNING'],
      ['CONFIG', 'GET', 'maxmemory'],
      ['CONFIG', 'GET', 'loglevel'],
      ['CONFIG', 'SET', 'maxmemory', '0', 'loglevel', 'notice'],
    ])
      await d.same(cmd);
  } finally {
    d.close();
  }
});

test('server commands: same bytes as Redis (DBSIZE FLUSHDB FLUSHALL SWAPDB LASTSAVE TIME SHUTDOWN errors)', async (t) => {
  if (!redis) return t.skip('redis-server missing');
  const d = await DiffPair.open(redis.port, shmkv.port);
  try {
    for (const cmd of [
      ['FLUSHALL'],
      ['DBSIZE'],
      ['SET', 'a', '1'],
      ['SET', 'b', '1'],
      ['DBSIZE'],
      ['DBSIZE', 'x'],
      ['SWAPDB', '0', '1'],
      ['DBSIZE'],
      ['SELECT', '1'],
      ['DBSIZE'],
      ['GET', 'a'],
      ['SWAPDB', '1', '1'],
      ['SWAPDB', '0', '16'],
      ['SWAPDB', '-1', '0'],
      ['SWAPDB', 'x', '0'],
      ['SWAPDB', '0', 'y'],
      ['SWAPDB', '0'],
      ['FLUSHDB', 'x'],
      ['FLUSHDB', 'ASYNC', 'SYNC'],
      ['FLUSHDB', 'sync'],
      ['DBSIZE'],
      ['SELECT', '0'],
      ['SET', 'c', '1'],
      ['FLUSHALL', 'ASYNC'],
      ['DBSIZE'],
      ['FLUSHALL', 'nope'],
      ['TIME', 'x'],
      ['LASTSAVE', 'x'],
      ['SHUTDOWN', 'ABORT'],
      ['SHUTDOWN', 'nope'],
      ['SHUTDOWN', 'NOSAVE', 'SAVE'],
      ['SHUTDOWN', 'ABORT', 'NOW'],
    ])
      await d.same(cmd);
    const [ta, tb] = await d.both(['TIME']);
    const va = toJS(decodeReply(ta)) as string[];
    const vb = toJS(decodeReply(tb)) as string[];
    assert.ok(Math.abs(Number(va[0]) - Number(vb[0])) <= 1);
    assert.ok(Number(vb[1]) >= 0 && Number(vb[1]) < 1e6);
    const ls = toJS(decodeReply((await d.both(['LASTSAVE']))[1])) as number;
    assert.ok(Math.abs(ls - Date.now() / 1000) < 600);
  } finally {
    d.close();
  }
});

test('CLIENT LIST / INFO: Redis 7.0 fields in order; KILL by id, addr, laddr, skipme', async (t) => {
  const a = await RawClient.connect(shmkv.port);
  const b = await RawClient.connect(shmkv.port);
  try {
    await a.call('CLIENT', 'SETNAME', 'alpha');
    await a.call('SELECT', '4');
    const idB = (await js(b, 'CLIENT', 'ID')) as number;
    const line = ((await js(a, 'CLIENT', 'INFO')) as string).trim();
    const keys = line.split(' ').map((kv) => kv.split('=')[0]);
    if (redis) {
      const r = await RawClient.connect(redis.port);
      const rl = ((await js(r, 'CLIENT', 'INFO')) as string).trim();
      assert.deepEqual(keys, rl.split(' ').map((kv) => kv.split('=')[0]));
      r.close();
    } else t.diagnostic('redis-server missing: field list not compared');
    assert.match(line, /^id=\d+ addr=127\.0\.0\.1:\d+ laddr=127\.0\.0\.1:\d+ fd=\d+ name=alpha age=\d+ idle=\d+ flags=N db=4 .* cmd=client\|info user=default redir=-1 resp=2$/);
    const list = (await js(a, 'CLIENT', 'LIST')) as string;
    assert.equal(list.split('\n').filter(Boolean).length >= 2, true);
    assert.ok(list.endsWith('\n'));
    const only = (await js(a, 'CLIENT', 'LIST', 'ID', idB)) as string;
    assert.match(only, new RegExp(`^id=${idB} `));
    assert.equal(only.split('\n').length, 2);
    const normal = (await js(a, 'CLIENT', 'LIST', 'TYPE', 'normal')) as string;
    assert.ok(normal.includes(`id=${idB} `));
    assert.equal(await js(a, 'CLIENT', 'LIST', 'TYPE', 'pubsub'), '');
    // kill b by address (old form) and by id; skipme keeps the caller
    const addrB = /addr=(\S+)/.exec(only)![1];
    assert.equal((await a.call('CLIENT', 'KILL', addrB)).toString(), '+OK\r\n');
    await b.waitClose();
    const c = await RawClient.connect(shmkv.port);
    const idC = (await js(c, 'CLIENT', 'ID')) as number;
    assert.equal(await js(a, 'CLIENT', 'KILL', 'ID', idC), 1);
    await c.waitClose();
    const laddr = /laddr=(\S+)/.exec(line)![1];
    const d = await RawClient.connect(shmkv.port);
    await d.call('PING');
    const killed = (await js(a, 'CLIENT', 'KILL', 'LADDR', laddr)) as number;
    assert.ok(killed >= 1);
    await d.waitClose();
    assert.equal((await a.call('PING')).toString(), '+PONG\r\n');
    // SKIPME no kills the caller after its reply
    const selfId = (await js(a, 'CLIENT', 'ID')) as number;
    assert.equal(await js(a, 'CLIENT', 'KILL', 'ID', selfId, 'SKIPME', 'no'), 1);
    await a.waitClose();
  } finally {
    a.close();
    b.close();
  }
});

test('CLIENT PAUSE holds commands until it ends; WRITE mode lets reads through', async () => {
  const a = await RawClient.connect(shmkv.port);
  const b = await RawClient.connect(shmkv.port);
  try {
    // (measured from before the pause starts: a slow delivery of its reply under load
    // would otherwise eat into the 300 ms)
    const t0 = Date.now();
    assert.equal((await a.call('CLIENT', 'PAUSE', '300')).toString(), '+OK\r\n');
    assert.equal((await b.call('PING')).toString(), '+PONG\r\n');
    assert.ok(Date.now() - t0 >= 250, `PING answered after ${Date.now() - t0} ms`);
    const t1 = Date.now();
    assert.equal((await a.call('CLIENT', 'PAUSE', '300', 'WRITE')).toString(), '+OK\r\n');
    assert.equal((await b.call('GET', 'x')).toString(), '$-1\r\n');
    assert.equal((await b.call('SET', 'x', '1')).toString(), '+OK\r\n');
    assert.ok(Date.now() - t1 >= 250);
    assert.equal((await a.call('CLIENT', 'PAUSE', '5000')).toString(), '+OK\r\n');
    b.send('PING');
    await sleep(100);
    assert.equal(b.pending().length, 0);
    assert.equal((await a.call('CLIENT', 'UNPAUSE')).toString(), '+OK\r\n');
    assert.equal((await b.read()).toString(), '+PONG\r\n');
  } finally {
    a.close();
    b.close();
  }
});

test('timeout closes idle clients; maxclients refuses with Redis\'s error', async () => {
  const s = await startShmkvServer({ args: ['--timeout', '1', '--hz', '50'] });
  try {
    const c = await RawClient.connect(s.port);
    await c.call('PING');
    const t0 = Date.now();
    await c.waitClose(5000);
    assert.ok(Date.now() - t0 >= 900);
    const a = await RawClient.connect(s.port);
    assert.equal((await a.call('CONFIG', 'SET', 'maxclients', '1', 'timeout', '0')).toString(), '+OK\r\n');
    const b = await RawClient.connect(s.port);
    assert.equal((await b.waitClose()).toString(), '-ERR max number of clients reached\r\n');
    const f = (await js(a, 'INFO', 'stats')) as string;
    assert.match(f, /rejected_connections:1\r\n/);
    a.close();
  } finally {
    await s.stop();
  }
});

test('Unix socket with permissions', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'shmkv-sock-'));
  const sock = path.join(dir, 's.sock');
  const s = await startShmkvServer({ args: ['--unixsocket', sock, '--unixsocketperm', '700'] });
  try {
    assert.equal(fs.statSync(sock).mode & 0o777, 0o700);
    const c = await RawClient.connectTo({ path: sock });
    assert.equal((await c.call('PING')).toString(), '+PONG\r\n');
    const info = (await js(c, 'CLIENT', 'INFO')) as string;
    assert.match(info, new RegExp(`addr=${sock.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:0 `));
    assert.match(info, /flags=U /);
    c.close();
  } finally {
    await s.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

function externalIPv4(): string | null {
  for (const list of Object.values(os.networkInterfaces())) for (const i of list ?? []) if (i.family === 'IPv4' && !i.internal) return i.address;
  return null;
}

test('protected mode: a non-loopback client gets Redis\'s DENIED message', async (t) => {
  const ip = externalIPv4();
  if (!ip) return t.skip('no non-loopback IPv4 address on this machine');
  const s = await startShmkvServer({ args: ['--bind', '*'] });
  const r = redis ? await startRedisOracle(['--bind', '*']) : null;
  try {
    const c = await RawClient.connect(s.port, ip);
    c.send('PING');
    const got = await c.waitClose();
    assert.match(got.toString(), /^-DENIED Redis is running in protected mode/);
    if (r) {
      const rc = await RawClient.connect(r.port, ip);
      rc.send('PING');
      assert.equal(show(got), show(await rc.waitClose()));
    }
    // loopback is fine; with protected-mode off the external address works too
    const l = await RawClient.connect(s.port);
    assert.equal((await l.call('CONFIG', 'SET', 'protected-mode', 'no')).toString(), '+OK\r\n');
    const e = await RawClient.connect(s.port, ip);
    assert.equal((await e.call('PING')).toString(), '+PONG\r\n');
    e.close();
    l.close();
  } finally {
    await s.stop();
    await r?.stop();
  }
});

test('CONFIG SET port moves the listener', async () => {
  const s = await startShmkvServer();
  try {
    const { freePort } = await import('../helpers/ports.js');
    const p2 = await freePort();
    const c = await RawClient.connect(s.port);
    assert.equal((await c.call('CONFIG', 'SET', 'port', String(p2))).toString(), '+OK\r\n');
    await sleep(200);
    const c2 = await RawClient.connect(p2);
    assert.equal((await c2.call('PING')).toString(), '+PONG\r\n');
    assert.equal(await js(c2, 'CONFIG', 'GET', 'port').then((v) => (v as string[])[1]), String(p2));
    await assert.rejects(RawClient.connect(s.port));
    c.close();
    c2.close();
  } finally {
    await s.stop();
  }
});

test('SIGTERM: graceful exit (0), data kept in the segment, restart attaches at once', async () => {
  const s = await startShmkvServer();
  try {
    const c = await RawClient.connect(s.port);
    for (let i = 0; i < 1000; i++) c.send('SET', `k${i}`, `v${i}`);
    await c.readN(1000);
    c.close();
    s.kill('SIGTERM');
    const e = await s.exited();
    assert.equal(e.code, 0);
    assert.match(s.output(), /Received SIGTERM scheduling shutdown/);
    assert.match(s.output(), /ready to exit, bye bye/);
    assert.ok(fs.existsSync(segmentFile(s.segment)));
    await s.restart();
    assert.match(s.output(), /Keyspace attached from segment '.*' in [0-9.]+ ms: 1000 keys/);
    assert.match(s.output(), /Ready to accept connections tcp/);
    const c2 = await RawClient.connect(s.port);
    assert.equal(await js(c2, 'DBSIZE'), 1000);
    assert.equal(await js(c2, 'GET', 'k999'), 'v999');
    // SHUTDOWN closes the connection without a reply and exits 0
    c2.send('SHUTDOWN');
    assert.equal((await c2.waitClose()).length, 0);
    assert.equal((await s.exited()).code, 0);
  } finally {
    await s.stop();
  }
});

test('pidfile: written with the pid at start, removed at shutdown', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'shmkv-pid-'));
  const pidfile = path.join(dir, 'shmkv.pid');
  const s = await startShmkvServer({ args: ['--pidfile', pidfile] });
  try {
    assert.equal(fs.readFileSync(pidfile, 'utf8'), `${s.pid}\n`);
    s.kill('SIGTERM');
    assert.equal((await s.exited()).code, 0);
    assert.ok(!fs.existsSync(pidfile), 'pid file removed');
    assert.match(s.output(), /Removing the pid file/);
  } finally {
    await s.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('shmkv-server runs the bundled server, and a restart compiles it from V8 code cache', async () => {
  const cache = fileURLToPath(new URL('../../server.bundle.cjs.v8cache', import.meta.url));
  const started = Date.now();
  const s = await startShmkvServer();
  try {
    const info = async (): Promise<string> => {
      const c = await RawClient.connect(s.port);
      const v = String(await js(c, 'INFO', 'server'));
      c.close();
      return /shmkv_code:(\S+)/.exec(v)?.[1] ?? '';
    };
    const first = await info();
    assert.match(first, /^bundle/);
    // without a cache V8 accepts, the launcher writes one once the server has started (1 s later)
    const fresh = () => fs.existsSync(cache) && (first === 'bundle+cache' || fs.statSync(cache).mtimeMs >= started);
    for (let i = 0; i < 100 && !fresh(); i++) await sleep(50);
    assert.ok(fresh(), 'code cache written');
    s.kill('SIGKILL');
    await s.exited();
    await s.restart();
    assert.equal(await info(), 'bundle+cache');
  } finally {
    await s.stop();
  }
});

test('log lines in Redis style; the cron expires keys nobody reads (activeExpireCycle at hz)', async () => {
  const s = await startShmkvServer({ args: ['--hz', '100'] });
  try {
    assert.match(s.output(), /^\d+:M \d\d [A-Z][a-z]{2} \d{4} \d\d:\d\d:\d\d\.\d{3} \* Ready to accept connections tcp$/m);
    const c = await RawClient.connect(s.port);
    // (2 s: on a loaded machine, 50 ms passed before DBSIZE could count them all; what is
    // counted is checked with the keys the cron has already taken)
    for (let i = 0; i < 200; i++) c.send('SET', `tmp:${i}`, 'x', 'PX', '2000');
    c.send('SET', 'keep', 'x');
    await c.readN(201);
    const early = infoFields((await js(c, 'INFO', 'stats')) as string);
    assert.equal(((await js(c, 'DBSIZE')) as number) + Number(early.get('expired_keys')), 201);
    const deadline = Date.now() + 10000;
    let n = 201;
    while (Date.now() < deadline && n > 1) {
      await sleep(50);
      n = (await js(c, 'DBSIZE')) as number;
    }
    assert.equal(n, 1);
    const f = infoFields((await js(c, 'INFO', 'stats')) as string);
    assert.equal(f.get('expired_keys'), '200');
    c.close();
  } finally {
    await s.stop();
  }
});
