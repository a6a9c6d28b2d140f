/**
 * Instant restart under kill -9: a client pipelines writes, the server is SIGKILLed at a
 * random moment, restarted on the same segment, and every acknowledged write must be
 * there, no command half-applied, the keyspace checker clean.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { RawClient, assertAcknowledgedSets, decodeReply, pipelineUntilClosed } from '../helpers/raw-client.js';
import { SERVER_MAIN, startShmkvServer } from '../helpers/shmkv-server.js';

const ITERATIONS = Number(process.env.SHMKV_RESTART_ITERATIONS ?? 12);
const cli = fileURLToPath(new URL('../../src/cli/main.js', import.meta.url));
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Pipeline commands and count the replies that come back, until the connection dies. */
async function writeUntilKilled(port: number, make: (i: number) => (string | number)[], onReply: (i: number, reply: Buffer) => void) {
  return pipelineUntilClosed(await RawClient.connect(port), make, onReply);
}

test(`kill -9 during pipelined writes (${ITERATIONS} times): every acknowledged write survives, nothing half-applied`, async () => {
  const server = await startShmkvServer();
  try {
    let lastCounter = 0n;
    const value = (i: number) => `value-${i}-`.repeat((i % 20) + 1);
    const restartMs: number[] = [];
    for (let it = 0; it < ITERATIONS; it++) {
      const base = it * 1_000_000;
      const acks: number[] = [];
      let counterAck = 0n;
      // (the kill comes 30-180 ms after the first acknowledged write: on a loaded machine the
      // connection alone can take longer than 30 ms, and a kill before any reply tests nothing)
      let firstAck: () => void = () => {};
      const firstAcked = new Promise<void>((r) => (firstAck = r));
      const killer = firstAcked.then(() => sleep(30 + Math.random() * 150)).then(() => server.kill('SIGKILL'));
      const { acked } = await writeUntilKilled(
        server.port,
        (i) => (i % 3 === 2 ? ['incr', 'counter'] : i % 3 === 1 ? ['append', `log:${it}`, `<${i}>`] : ['set', `key:${base + i}`, value(base + i)]),
        (i, reply) => {
          if (i % 3 === 0) {
            assert.equal(reply.toString(), '+OK\r\n');
            acks.push(base + i);
            firstAck();
          } else if (i % 3 === 2) {
            const v = decodeReply(reply);
            assert.equal(v.type, 'integer');
            if (v.type === 'integer') counterAck = v.value;
          }
        },
      );
      await killer;
      const t0 = performance.now();
      await server.restart();
      restartMs.push(performance.now() - t0);
      const c = await RawClient.connect(server.port);
      try {
        // Every acknowledged SET is there, whole.
        await assertAcknowledgedSets(c, acks, value, `after kill ${it}`);
        // The counter is at least the last acknowledged value and moved by whole INCRs.
        const cv = await c.callValue('get', 'counter');
        const counter = cv.type === 'bulk' ? BigInt(cv.value.toString()) : 0n;
        assert.ok(counter >= counterAck && counter >= lastCounter, `counter ${counter} < acknowledged ${counterAck}`);
        lastCounter = counter;
        // The append log holds only whole "<i>" pieces, in order.
        const log = await c.callValue('get', `log:${it}`);
        if (log.type === 'bulk') assert.match(log.value.toString(), /^(<\d+>)*$/);
        // Unacknowledged SETs may or may not be there, but never partially.
        const scan = await c.callValue('dbsize');
        assert.equal(scan.type, 'integer');
      } finally {
        c.close();
      }
      assert.ok(acked > 0, 'the server acknowledged writes before the kill');
      const check = spawnSync(process.execPath, [cli, 'check', server.segment], { encoding: 'utf8' });
      assert.equal(check.status, 0, `shmkv check after kill ${it}: ${check.stdout}${check.stderr}`);
    }
    restartMs.sort((x, y) => x - y);
    console.log(`# restart to first reply: median ${restartMs[restartMs.length >> 1]!.toFixed(0)} ms (process start included)`);
  } finally {
    await server.stop();
  }
});

test('a second server on the same segment refuses with a clear message', async () => {
  const server = await startShmkvServer();
  try {
    const r = spawnSync(process.execPath, [SERVER_MAIN, '--port', '0', '--segment', server.segment], { encoding: 'utf8', timeout: 10000 });
    assert.notEqual(r.status, 0);
    assert.match(r.stdout + r.stderr, /already served by pid \d+/);
  } finally {
    await server.stop();
  }
});

test('a segment of another layout version is refused with a message that says what to do', async () => {
  const { openKeyspace: openStore } = await import('../../src/keyspace/open.js');
  const { unlinkPosix } = await import('../../src/shm/posix.js');
  const { HEAP_VERSION } = await import('../../src/heap/layout.js');
  const name = `t-version-${process.pid}`;
  const s = openStore({ segment: name });
  new DataView(s.heap.mem.sab).setUint32(s.heap.base + 8, 7, true);
  s.close();
  try {
    const r = spawnSync(process.execPath, [SERVER_MAIN, '--port', '0', '--segment', name], { encoding: 'utf8', timeout: 10000 });
    assert.notEqual(r.status, 0);
    assert.match(r.stdout + r.stderr, new RegExp(`layout version 7, this build reads version ${HEAP_VERSION}.*shmkv rm`));
  } finally {
    unlinkPosix(name);
  }
});
