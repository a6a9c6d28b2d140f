/**
 * CONFIG GET/SET against redis-server 7.0, byte for byte (what the Redis suite's
 * unit/introspection checks): the parameters it reads and sets, their validation texts,
 * hidden parameters, several parameters at once, and the rollback when one of them fails
 * to validate or to apply (a port that cannot be bound).
 */
import net from 'node:net';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DiffPair, type Cmd } from '../helpers/differential.js';
import { decodeReply, toJS } from '../helpers/raw-client.js';
import { freePort } from '../helpers/ports.js';
import { serverPair } from '../helpers/server-pair.js';

const servers = serverPair();

test('CONFIG SET/GET of the parameters the suite uses: same replies as Redis', async (t) => {
  const { redis, shmkv } = servers;
  if (!redis) return t.skip('redis-server missing');
  const d = await DiffPair.open(redis.port, shmkv.port);
  try {
    const cmds: Cmd[] = [];
    const values = ['200%', '101%', '100%', '50%', '0%', '%', '-1', 'abc', '10m', '1gb', '0', '', '5%', '1 2', '7'];
    for (const p of ['maxmemory-clients', 'repl-backlog-size', 'key-load-delay', 'latency-monitor-threshold', 'masterauth', 'masteruser', 'repl-ping-replica-period']) {
      for (const v of values) cmds.push(['CONFIG', 'SET', p, v], ['CONFIG', 'GET', p]);
    }
    cmds.push(
      ['CONFIG', 'SET', 'replicaof', ''],
      ['CONFIG', 'SET', 'slaveof', 'no one'],
      ['CONFIG', 'GET', 'replicaof'],
      ['CONFIG', 'GET', 'slaveof'],
      // hidden: only by name
      ['CONFIG', 'GET', 'key-load-delay'],
      ['CONFIG', 'GET', 'key-load-*'],
      ['CONFIG', 'GET', 'maxmemory-c*'],
      // several at once; a bad one anywhere sets none
      ['CONFIG', 'SET', 'maxmemory', '10000002'],
      ['CONFIG', 'SET', 'maxmemory', '10000001', 'maxmemory-clients', '200%', 'client-query-buffer-limit', 'invalid'],
      ['CONFIG', 'GET', 'maxmemory'],
      ['CONFIG', 'GET', 'maxmemory-clients'],
      ['CONFIG', 'SET', 'maxmemory', '10000001', 'repl-backlog-size', '10000002', 'save', '3000 5'],
      ['CONFIG', 'GET', 'repl-backlog-size'],
      ['CONFIG', 'SET', 'maxmemory', '10000001', 'maxmemory', '10000002'],
      ['CONFIG', 'SET', 'maxmemory', '0', 'repl-backlog-size', '1mb', 'maxmemory-clients', '0', 'save', ''],
    );
    await d.sameAll(cmds);
    // (a pattern's matches come in Redis's dict order: compared as a set)
    await d.same(['CONFIG', 'GET', '*of'], { compare: 'unordered' });
  } finally {
    d.close();
  }
});

test('CONFIG SET port: a port in use is refused and every value of the call rolled back', async (t) => {
  const { redis, shmkv } = servers;
  if (!redis) return t.skip('redis-server missing');
  const busy = net.createServer();
  await new Promise<void>((r) => busy.listen({ host: '127.0.0.1', port: 0 }, () => r()));
  const used = (busy.address() as net.AddressInfo).port;
  const d = await DiffPair.open(redis.port, shmkv.port);
  try {
    await d.sameAll([
      ['CONFIG', 'SET', 'maxmemory', '10000001', 'port', String(used), 'client-query-buffer-limit', '10m'],
      ['CONFIG', 'GET', 'maxmemory'],
      ['CONFIG', 'GET', 'client-query-buffer-limit'],
      ['PING'],
    ]);
    // the same port is no change; the old listener still takes connections
    const port = toJS(decodeReply(await d.shmkv.call('CONFIG', 'GET', 'port'))) as string[];
    assert.equal(port[1], String(shmkv.port));
    assert.equal((await d.shmkv.call('CONFIG', 'SET', 'port', String(shmkv.port))).toString(), '+OK\r\n');
    // a free port: the server moves there, and back
    const free = await freePort();
    assert.equal((await d.shmkv.call('CONFIG', 'SET', 'port', String(free))).toString(), '+OK\r\n');
    const { RawClient } = await import('../helpers/raw-client.js');
    const c = await RawClient.connect(free);
    assert.equal((await c.call('CONFIG', 'SET', 'port', String(shmkv.port))).toString(), '+OK\r\n');
    c.close();
  } finally {
    d.close();
    busy.close();
  }
});
