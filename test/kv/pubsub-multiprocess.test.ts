/**
 * Pub/sub across processes on one segment: a server and library processes
 * (test/fixtures/kv-worker.ts) publish and subscribe through the segment's ring.
 *
 * - a server subscriber receives a library process's messages, in order, and each PUBLISH
 *   counts it; library subscribers (channel and pattern) receive a server client's
 *   messages in order, and PUBLISH's count is every subscriber of every process;
 * - a keyspace event of a library process's write reaches a server subscriber;
 * - a library process SIGKILLed while publishing (again and again) leaves the ring working
 *   for everybody and the keyspace intact; a SIGKILLed subscriber stops being counted;
 * - a slow subscriber: a server client that does not read is disconnected
 *   (client-output-buffer-limit pubsub), a library process that falls behind the ring is
 *   told it lost messages (an 'error' event), and nobody else is disturbed.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { RawClient, decodeReply, toJS } from '../helpers/raw-client.js';
import { startShmkvServer, type ShmkvServer } from '../helpers/shmkv-server.js';
import { sleep } from '../helpers/ports.js';
import { runWorker, startWorker, stopAll } from '../helpers/kv-workers.js';
import { openKeyspace } from '../../src/keyspace/open.js';
import { checkKeyspace } from '../../src/keyspace/check.js';
import '../../src/types/index.js';

let server: ShmkvServer | null = null;

after(async () => {
  await stopAll();
  await server?.stop();
});

async function getServer(): Promise<ShmkvServer> {
  server ??= await startShmkvServer();
  return server;
}

async function js(c: RawClient, ...cmd: (string | number)[]): Promise<unknown> {
  return toJS(decodeReply(await c.call(...cmd)));
}

async function readMessage(c: RawClient, timeoutMs = 5000): Promise<string[]> {
  return toJS(decodeReply(await c.read(timeoutMs))) as string[];
}

function checkSegment(segment: string): void {
  const ks = openKeyspace({ segment, create: false });
  try {
    assert.deepEqual(ks.exec(() => checkKeyspace(ks)).errors, [], `keyspace check of ${segment}`);
  } finally {
    ks.close();
  }
}

test('a server subscriber receives a library process\'s messages in order, each PUBLISH counting it', async () => {
  const srv = await getServer();
  const sub = await RawClient.connect(srv.port);
  try {
    assert.deepEqual(await js(sub, 'SUBSCRIBE', 'from-lib'), ['subscribe', 'from-lib', 1]);
    const counts = JSON.parse(await runWorker(['pub', srv.segment, 'from-lib', '300', 'L'])) as number[];
    assert.deepEqual(counts, new Array(300).fill(1));
    for (let i = 0; i < 300; i++) assert.deepEqual(await readMessage(sub), ['message', 'from-lib', `L:${i}`]);
  } finally {
    sub.close();
  }
});

test('library subscribers (channel and pattern, two processes) receive a server client\'s messages in order; PUBLISH counts every process', async () => {
  const srv = await getServer();
  const w1 = startWorker(['sub', srv.segment, 'sub', 'to-lib', '200']);
  const w2 = startWorker(['sub', srv.segment, 'psub', 'to-*', '200']);
  const sub = await RawClient.connect(srv.port);
  const pub = await RawClient.connect(srv.port);
  try {
    await Promise.all([w1.ready, w2.ready]);
    await js(sub, 'SUBSCRIBE', 'to-lib');
    assert.deepEqual(await js(pub, 'PUBSUB', 'NUMSUB', 'to-lib'), ['to-lib', 2]);
    assert.equal(await js(pub, 'PUBSUB', 'NUMPAT'), 1);
    for (let i = 0; i < 200; i++) assert.equal(await js(pub, 'PUBLISH', 'to-lib', `S:${i}`), 3);
    const [e1, e2] = await Promise.all([w1.exited, w2.exited]);
    assert.deepEqual(JSON.parse(e1.out), Array.from({ length: 200 }, (_, i) => ['to-lib', `S:${i}`]));
    assert.deepEqual(JSON.parse(e2.out), Array.from({ length: 200 }, (_, i) => ['to-lib', `S:${i}`, 'to-*']));
    for (let i = 0; i < 200; i++) assert.deepEqual(await readMessage(sub), ['message', 'to-lib', `S:${i}`]);
    // the workers closed their handles: only the server's subscriber is left
    assert.equal(await js(pub, 'PUBLISH', 'to-lib', 'last'), 1);
    assert.equal(await js(pub, 'PUBSUB', 'NUMPAT'), 0);
  } finally {
    sub.close();
    pub.close();
  }
});

test('a keyspace event of a library process\'s write reaches a server subscriber', async () => {
  const srv = await getServer();
  const sub = await RawClient.connect(srv.port);
  const c = await RawClient.connect(srv.port);
  try {
    assert.equal(await js(c, 'CONFIG', 'SET', 'notify-keyspace-events', 'KEA'), 'OK');
    await js(sub, 'PSUBSCRIBE', '__key*@0__:*');
    await runWorker(['calls', srv.segment, JSON.stringify([['SET', 'libkey', 'v'], ['LPUSH', 'liblist', 'a', 'b'], ['DEL', 'libkey']])]);
    const got: string[][] = [];
    for (let i = 0; i < 6; i++) got.push(await readMessage(sub));
    assert.deepEqual(got, [
      ['pmessage', '__key*@0__:*', '__keyspace@0__:libkey', 'set'],
      ['pmessage', '__key*@0__:*', '__keyevent@0__:set', 'libkey'],
      ['pmessage', '__key*@0__:*', '__keyspace@0__:liblist', 'lpush'],
      ['pmessage', '__key*@0__:*', '__keyevent@0__:lpush', 'liblist'],
      ['pmessage', '__key*@0__:*', '__keyspace@0__:libkey', 'del'],
      ['pmessage', '__key*@0__:*', '__keyevent@0__:del', 'libkey'],
    ]);
  } finally {
    await js(c, 'CONFIG', 'SET', 'notify-keyspace-events', '');
    sub.close();
    c.close();
  }
});

test('a library process SIGKILLed while publishing leaves the ring working; a SIGKILLed subscriber stops being counted', async () => {
  const srv = await getServer();
  const sub = await RawClient.connect(srv.port);
  const pub = await RawClient.connect(srv.port);
  try {
    await js(sub, 'SUBSCRIBE', 'k-chan');
    for (let round = 0; round < 5; round++) {
      const w = startWorker(['publoop', srv.segment, 'k-chan']);
      await w.ready;
      await sleep(20 + round * 10);
      w.kill('SIGKILL');
      await w.exited;
      // whatever it published arrives whole, in its order, and then the server's own message
      const marker = `after-kill-${round}`;
      assert.equal(await js(pub, 'PUBLISH', 'k-chan', marker), 1);
      let last = -1;
      for (;;) {
        const m = await readMessage(sub);
        assert.equal(m[0], 'message');
        if (m[2] === marker) break;
        const n = Number(m[2]!.slice('loop:'.length));
        assert.ok(m[2]!.startsWith('loop:') && n === last + 1, `in order: ${m[2]} after loop:${last}`);
        last = n;
      }
      assert.ok(last >= 0, 'the killed publisher had published');
    }
    // a subscriber killed: counted no more (its registration is found dead)
    const w = startWorker(['sub', srv.segment, 'sub', 'k-chan', '1000000']);
    await w.ready;
    assert.equal(await js(pub, 'PUBLISH', 'k-chan', 'two'), 2);
    w.kill('SIGKILL');
    await w.exited;
    await sleep(50);
    assert.equal(await js(pub, 'PUBLISH', 'k-chan', 'one'), 1);
    assert.deepEqual(await js(pub, 'PUBSUB', 'NUMSUB', 'k-chan'), ['k-chan', 1]);
    checkSegment(srv.segment);
  } finally {
    sub.close();
    pub.close();
  }
});

test('slow subscribers: a server client that does not read is disconnected, a lagging library process is told it lost messages', async () => {
  const srv = await getServer();
  const c = await RawClient.connect(srv.port);
  const slow = await RawClient.connect(srv.port);
  const ok = await RawClient.connect(srv.port);
  try {
    assert.equal(await js(c, 'CONFIG', 'SET', 'client-output-buffer-limit', 'pubsub 2mb 1mb 60'), 'OK');
    assert.equal(await js(c, 'CONFIG', 'GET', 'client-output-buffer-limit').then((r) => (r as string[])[1]), 'normal 0 0 0 slave 268435456 67108864 60 pubsub 2097152 1048576 60');
    await js(slow, 'SUBSCRIBE', 'flood');
    await js(ok, 'SUBSCRIBE', 'flood');
    slow.socket.pause();
    await js(c, 'DEL', 'lag-release');
    const lag = startWorker(['lag', srv.segment, 'flood', 'lag-release']);
    await lag.ready;
    const big = 'x'.repeat(64 * 1024);
    let okRead = 0;
    // 12 MB: past the 4 MiB ring for the lagging process, past 2 MB for the client that does not read
    for (let i = 0; i < 192; i++) {
      await js(c, 'PUBLISH', 'flood', big);
      // the reading subscriber keeps up
      await ok.read();
      okRead++;
    }
    assert.equal(okRead, 192);
    await js(c, 'SET', 'lag-release', '1');
    const list = String(await js(c, 'CLIENT', 'LIST'));
    assert.equal(list.split('\n').filter((l) => l.includes('sub=1')).length, 1, `only the reading subscriber is left:\n${list}`);
    const r = JSON.parse((await lag.exited).out) as { lost: boolean; got: number };
    assert.equal(r.lost, true, `the lagging process was told: ${JSON.stringify(r)}`);
    assert.ok(/overcoming of output buffer limits/.test(srv.output()), 'the server logged why it closed the client');
  } finally {
    await js(c, 'CONFIG', 'SET', 'client-output-buffer-limit', 'pubsub 32mb 8mb 60');
    c.close();
    slow.close();
    ok.close();
  }
});
