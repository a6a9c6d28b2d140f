/**
 * MONITOR against redis-server 7.0: the same commands, seen by a monitor of each server,
 * give the same lines once the timestamp and the client's port are masked (what is shown,
 * what is left out, argument quoting, redaction, the database after the command).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RawClient } from '../helpers/raw-client.js';
import { serverPair } from '../helpers/server-pair.js';

const servers = serverPair();

type Cmd = (string | Buffer | number)[];

const SEQUENCE: Cmd[] = [
  ['SET', 'k', 'a b"c\\d'],
  ['SELECT', '1'],
  ['GET', 'k'],
  ['SELECT', '0'],
  ['CONFIG', 'GET', 'maxmemory'],
  ['SLOWLOG', 'LEN'],
  ['AUTH', 'secret'],
  ['HELLO', '2', 'AUTH', 'default', 'pw'],
  ['SET', 'bin', Buffer.from([0x78, 0x01, 0x09, 0x0a, 0x0d, 0x07, 0x08, 0xc3, 0xa9, 0x7f])],
  ['NOSUCHCOMMAND', 'x'],
  ['GET'],
  ['SET', 'k', 'v', 'NX', 'XX'],
  ['INCR', 'k'],
  ['CLIENT', 'SETNAME', 'watched'],
  ['PING'],
  ['ECHO', ''],
  ['MSET', 'a', '1', 'b', '2'],
];

/** Monitor lines with the timestamp and the client's port replaced. */
function masked(raw: Buffer): string[] {
  const lines = raw.toString('latin1').split('\r\n').filter((l) => l !== '');
  return lines.map((l) => {
    const m = /^\+(\d+)\.(\d{6}) \[(\d+) ([^\]]+)\](.*)$/.exec(l);
    assert.ok(m, `a monitor line: ${JSON.stringify(l)}`);
    return `[${m[3]} ${m[4]!.replace(/:\d+$/, ':PORT')}]${m[5]}`;
  });
}

async function watch(port: number): Promise<string[]> {
  const mon = await RawClient.connect(port);
  assert.equal((await mon.call('MONITOR')).toString(), '+OK\r\n');
  const c = await RawClient.connect(port);
  for (const cmd of SEQUENCE) await c.call(...cmd);
  c.close();
  // the last command's line marks the end of the stream
  let raw = Buffer.alloc(0);
  for (let i = 0; i < 200 && !raw.toString('latin1').includes('"MSET" "a" "1" "b" "2"'); i++) {
    raw = Buffer.concat([raw, await mon.read(5000)]);
  }
  // a monitor may not touch the keyspace; MONITOR again is ignored without a reply
  assert.equal((await mon.call('GET', 'k')).toString(), "-ERR Replica can't interact with the keyspace\r\n");
  mon.send('MONITOR');
  mon.send('ECHO', 'after');
  const rest = (await mon.read(5000)).toString('latin1');
  assert.ok(rest.startsWith('$5\r\nafter\r\n'), `MONITOR again gets no reply: ${JSON.stringify(rest)}`);
  mon.close();
  return masked(raw);
}

test('MONITOR shows what Redis shows, the way Redis shows it', async (t) => {
  if (!servers.redis) return t.skip('redis-server not installed: MONITOR differential test SKIPPED');
  const a = await watch(servers.redis.port);
  const b = await watch(servers.shmkv.port);
  assert.deepEqual(b, a);
  assert.ok(a.length >= 10, `lines: ${a.length}`);
});

test('MONITOR: CLIENT LIST shows the monitor (flags=O); RESET ends monitoring', async () => {
  const mon = await RawClient.connect(servers.shmkv.port);
  await mon.call('MONITOR');
  const c = await RawClient.connect(servers.shmkv.port);
  const list = (await c.call('CLIENT', 'LIST')).toString('latin1');
  assert.match(list, /flags=O .*cmd=monitor/);
  assert.equal((await mon.call('RESET')).toString(), '+RESET\r\n');
  await c.call('SET', 'after-reset', '1');
  assert.equal((await mon.call('GET', 'after-reset')).toString(), '$1\r\n1\r\n', 'no monitor line, keyspace allowed again');
  mon.close();
  c.close();
});
