/**
 * CLIENT PAUSE against redis-server 7.0 (what the Redis suite's unit/pause checks): the
 * same scenario on both servers gives the same observations — which commands wait, that
 * they count in INFO blocked_clients and show flags=b, that errors found before running
 * (arity) come at once, that EXEC waits when it would write, that a pause given inside
 * EXEC starts after it, and that expiry (lazy and active) holds during the pause.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RawClient, decodeReply, toJS } from '../helpers/raw-client.js';
import { serverPair } from '../helpers/server-pair.js';
import { sleep } from '../helpers/ports.js';

const servers = serverPair();

async function infoField(c: RawClient, field: string): Promise<string> {
  const text = toJS(decodeReply(await c.call('INFO'))) as string;
  const m = new RegExp(`^${field}:(.*)\\r$`, 'm').exec(text);
  return m ? m[1]! : '';
}

/** Whether a reply arrives within ms (true) or the command is still held (false). */
async function answered(c: RawClient, ms: number): Promise<string | null> {
  try {
    return (await c.read(ms)).toString('latin1');
  } catch {
    return null;
  }
}

async function scenario(port: number): Promise<unknown[]> {
  const obs: unknown[] = [];
  const r = await RawClient.connect(port);
  const a = await RawClient.connect(port);
  const b = await RawClient.connect(port);
  const c = await RawClient.connect(port);
  const d = await RawClient.connect(port);
  try {
    await r.call('FLUSHALL');
    obs.push((await b.call('MULTI')).toString(), (await b.call('INCR', 'y')).toString());
    // reads pass a WRITE pause, writes wait (and count as blocked), syntax errors come at once
    await r.call('CLIENT', 'PAUSE', '100000', 'WRITE');
    obs.push((await a.call('GET', 'x')).toString());
    a.send('SET', 'x', '1');
    obs.push(await answered(a, 200));
    obs.push(await infoField(r, 'blocked_clients'));
    const list = (toJS(decodeReply(await r.call('CLIENT', 'LIST'))) as string).split('\n').filter((l) => / cmd=set /.test(l));
    obs.push(list.map((l) => / flags=(\S+)/.exec(l)![1]));
    obs.push((await c.call('SET', 'x')).toString());
    // EXEC waits when a queued command writes; a read-only one runs
    obs.push((await c.call('MULTI')).toString(), (await c.call('GET', 'x')).toString(), (await c.call('EXEC')).toString());
    b.send('EXEC');
    obs.push(await answered(b, 200));
    // a write is held even when it would only be queued
    obs.push((await d.call('MULTI')).toString());
    d.send('INCR', 'z');
    obs.push(await answered(d, 200));
    obs.push(await infoField(r, 'blocked_clients'));
    await r.call('CLIENT', 'UNPAUSE');
    obs.push((await a.read()).toString(), (await b.read()).toString(), (await d.read()).toString());
    obs.push(await infoField(r, 'blocked_clients'));

    // a pause inside EXEC starts after it; expiry holds while paused
    const expired0 = Number(await infoField(r, 'expired_keys'));
    await r.call('MULTI');
    await r.call('SET', 'e1', 'v', 'PX', '10');
    await r.call('SET', 'e2', 'v', 'PX', '10');
    await r.call('CLIENT', 'PAUSE', '50000', 'WRITE');
    await r.call('SET', 'after', 'v');
    obs.push((await r.call('EXEC')).toString());
    await sleep(300);
    obs.push((await r.call('GET', 'e1')).toString(), (await r.call('GET', 'after')).toString());
    obs.push((await r.call('DBSIZE')).toString());
    obs.push(Number(await infoField(r, 'expired_keys')) - expired0);
    await r.call('CLIENT', 'UNPAUSE');
    obs.push((await r.call('GET', 'e1')).toString(), (await r.call('GET', 'e2')).toString());
    obs.push(Number(await infoField(r, 'expired_keys')) - expired0);
    // an ALL pause holds reads too
    await r.call('CLIENT', 'PAUSE', '100000', 'ALL');
    a.send('PING');
    obs.push(await answered(a, 200));
    await RawClient.connect(port).then(async (u) => {
      // (CLIENT UNPAUSE from a new connection is held as well under ALL: the pause ends by itself)
      u.close();
    });
    await r.call('CLIENT', 'PAUSE', '10', 'ALL').catch(() => null);
  } finally {
    for (const x of [r, a, b, c, d]) x.close();
  }
  return obs;
}

test('CLIENT PAUSE: the same observations as on Redis', async (t) => {
  const { redis, shmkv } = servers;
  if (!redis) return t.skip('redis-server missing');
  const expect = await scenario(redis.port);
  const got = await scenario(shmkv.port);
  assert.deepEqual(got, expect);
});
