/**
 * Client-side caching across processes (src/commands/tracking.ts): invalidation key names
 * travel through the shared pub/sub ring, so
 * - a key a library process writes invalidates it for a server client that read it (RESP3
 *   push, and RESP2 through REDIRECT to a `__redis__:invalidate` subscriber), and a library
 *   FLUSHALL reaches it as the null invalidation;
 * - a key a server client writes reaches the `kv.track` callback of a library process
 *   (this test process), and so does a write by another library process (a child);
 * - BCAST prefixes from a library handle; untrack() stops the callbacks;
 * - with nobody tracking, writers put nothing in the ring; a SIGKILLed tracking process stops
 *   costing writers once they find it dead.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { RawClient, decodeReply, toJS } from '../helpers/raw-client.js';
import { startShmkvServer, type ShmkvServer } from '../helpers/shmkv-server.js';
import { open, type KV } from '../../src/kv/index.js';
import { sleep } from '../helpers/ports.js';

const KV_ENTRY = fileURLToPath(new URL('../../src/kv/index.js', import.meta.url));

let srv: ShmkvServer;
let kv: KV;

before(async () => {
  srv = await startShmkvServer();
  kv = open({ segment: srv.segment, create: false });
});

after(async () => {
  kv?.close();
  await srv?.stop();
});

function js(b: Buffer): unknown {
  return toJS(decodeReply(b));
}

/** Run a few kv calls in a child library process. */
function child(code: string): Promise<void> {
  const src = `import { open } from ${JSON.stringify(KV_ENTRY)}; const kv = open({ segment: ${JSON.stringify(srv.segment)}, create: false }); ${code}; kv.close();`;
  return new Promise((resolve, reject) => {
    const p = spawn(process.execPath, ['--input-type=module', '-e', src], { stdio: ['ignore', 'inherit', 'inherit'] });
    p.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`child exited ${code}`))));
  });
}

/** Wait until `pred` holds (the callback runs on this event loop). */
async function until(pred: () => boolean, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (!pred()) {
    if (Date.now() > end) throw new Error('timed out');
    await sleep(5);
  }
}

test('a library write invalidates the key for a RESP3 server client; a library FLUSHALL sends null', async () => {
  const c = await RawClient.connect(srv.port);
  try {
    await c.call('HELLO', '3');
    assert.equal(js(await c.call('CLIENT', 'TRACKING', 'ON')), 'OK');
    await c.call('SET', 'mp:a', '1');
    await c.call('GET', 'mp:a');
    await c.call('GET', 'mp:untouched');
    kv.set('mp:b', 'x'); // not read by the client: nothing for it
    kv.set('mp:a', '2');
    const push = decodeReply(await c.read(5000));
    assert.equal(push.type, 'push');
    assert.deepEqual(toJS(push), ['invalidate', ['mp:a']]);
    // a child process (another library process) writes too
    await c.call('GET', 'mp:a');
    await child(`kv.incr('mp:a')`);
    assert.deepEqual(js(await c.read(5000)), ['invalidate', ['mp:a']]);
    await c.call('GET', 'mp:a');
    kv.flushall();
    const flush = decodeReply(await c.read(5000));
    assert.equal(flush.type, 'push');
    assert.equal((flush as { value: unknown[] }).value.length, 2);
    assert.deepEqual((flush as { value: { type: string }[] }).value[1], { type: 'null' });
    // nothing else arrives (one null per FLUSHALL, no key after it)
    assert.equal(js(await c.call('PING')), 'PONG');
  } finally {
    c.close();
  }
});

test('RESP2 through REDIRECT: a library write reaches the __redis__:invalidate subscriber', async () => {
  const sub = await RawClient.connect(srv.port);
  const c = await RawClient.connect(srv.port);
  try {
    const id = js(await sub.call('CLIENT', 'ID')) as number;
    await sub.call('SUBSCRIBE', '__redis__:invalidate');
    assert.equal(js(await c.call('CLIENT', 'TRACKING', 'ON', 'REDIRECT', id)), 'OK');
    await c.call('MGET', 'mp:r1', 'mp:r2');
    kv.del('mp:r2');
    kv.set('mp:r1', 'v');
    assert.deepEqual(js(await sub.read(5000)), ['message', '__redis__:invalidate', ['mp:r1']]);
    // (DEL of a missing key changes nothing: no message for mp:r2)
    assert.equal(js(await c.call('GET', 'mp:r2')), null);
    kv.set('mp:r2', 'v');
    assert.deepEqual(js(await sub.read(5000)), ['message', '__redis__:invalidate', ['mp:r2']]);
  } finally {
    c.close();
    sub.close();
  }
});

test('kv.track: writes by a server client, by another library process and by this handle', async () => {
  const got: (string[] | null)[] = [];
  kv.track((keys) => got.push(keys));
  const c = await RawClient.connect(srv.port);
  try {
    kv.set('lt:a', '1');
    // own write of a key not read yet: nothing
    assert.equal(got.length, 0);
    assert.equal(kv.get('lt:a'), '1');
    assert.equal(kv.hget('lt:h', 'f'), null);
    await c.call('SET', 'lt:a', '2');
    await until(() => got.length === 1);
    assert.deepEqual(got[0], ['lt:a']);
    // reported once per read
    await c.call('SET', 'lt:a', '3');
    await sleep(50);
    assert.equal(got.length, 1);
    // another library process
    await child(`kv.hset('lt:h', 'f', 'v')`);
    await until(() => got.length === 2);
    assert.deepEqual(got[1], ['lt:h']);
    // this handle's own write: reported when the call returns (a cache in front of kv stays right)
    assert.equal(kv.get('lt:a'), '3');
    kv.set('lt:a', '4');
    assert.deepEqual(got[2], ['lt:a']);
    // a flush by the server
    kv.get('lt:a');
    await c.call('FLUSHDB');
    await until(() => got.length === 4);
    assert.equal(got[3], null);
    // untrack: no more callbacks
    kv.untrack();
    kv.get('lt:a');
    await c.call('SET', 'lt:a', '5');
    await sleep(50);
    assert.equal(got.length, 4);
  } finally {
    kv.untrack();
    c.close();
  }
});

test('kv.track BCAST with prefixes and NOLOOP', async () => {
  const got: (string[] | null)[] = [];
  kv.track((keys) => got.push(keys), { bcast: true, prefixes: ['user:'], noloop: true });
  const c = await RawClient.connect(srv.port);
  try {
    kv.set('user:self', '1'); // NOLOOP: not reported
    await c.call('MSET', 'user:1', 'a', 'other:1', 'b');
    await until(() => got.length === 1);
    assert.deepEqual(got[0], ['user:1']);
    await child(`kv.set('user:2', 'x'); kv.set('other:2', 'y')`);
    await until(() => got.length === 2);
    assert.deepEqual(got[1], ['user:2']);
    // the tracking table is per process: this process's INFO counts the handle's prefix
    assert.match(String(kv.call('INFO', 'stats')), /tracking_total_prefixes:1/);
    assert.match(String(js(await c.call('INFO', 'stats'))), /tracking_total_prefixes:0/);
  } finally {
    kv.untrack();
    c.close();
  }
});

test('nobody tracking: writes put no invalidation in the ring', async () => {
  const c = await RawClient.connect(srv.port);
  try {
    await c.call('CLIENT', 'TRACKING', 'OFF');
    await sleep(20);
    const ks = (kv as unknown as { ks: { pubsubArea(c: boolean): { trackers: number; writePos(): number } | null } }).ks;
    const a = ks.pubsubArea(false);
    assert.ok(a !== null);
    assert.equal(a.trackers, 0);
    const before = a.writePos();
    for (let i = 0; i < 100; i++) kv.set(`quiet:${i}`, 'v');
    await child(`for (let i = 0; i < 10; i++) kv.set('quiet:c' + i, 'v')`);
    assert.equal(a.writePos(), before);
  } finally {
    c.close();
  }
});

test('a tracking process killed with SIGKILL: writers stop publishing for it once they find it dead', async () => {
  const src = `import { open } from ${JSON.stringify(KV_ENTRY)}; const kv = open({ segment: ${JSON.stringify(srv.segment)}, create: false }); kv.track(() => {}); kv.get('dead:k'); console.log('ready'); setInterval(() => {}, 1000);`;
  const p = spawn(process.execPath, ['--input-type=module', '-e', src], { stdio: ['ignore', 'pipe', 'inherit'] });
  await new Promise<void>((resolve, reject) => {
    p.stdout!.on('data', (d: Buffer) => {
      if (d.toString().includes('ready')) resolve();
    });
    p.on('exit', (code) => reject(new Error(`child exited ${code}`)));
  });
  const ks = (kv as unknown as { ks: { pubsubArea(c: boolean): { trackers: number; writePos(): number } | null } }).ks;
  const a = ks.pubsubArea(false)!;
  assert.equal(a.trackers, 1);
  const exited = new Promise((r) => p.on('exit', r));
  p.kill('SIGKILL');
  await exited;
  // the next writes find the registration dead (liveness is checked at most every 20 ms)
  for (let i = 0; i < 10 && a.trackers > 0; i++) {
    kv.set('dead:k', String(i));
    await sleep(25);
  }
  assert.equal(a.trackers, 0);
  const pos = a.writePos();
  kv.set('dead:k', 'again');
  assert.equal(a.writePos(), pos);
});
