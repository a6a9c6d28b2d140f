/**
 * Protocol fuzzing of the running server: random and mutated byte streams on many
 * connections; the server must stay up, never crash, and answer the next well-formed
 * client correctly (and its keyspace must stay consistent).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { RawClient, encodeCommand } from '../helpers/raw-client.js';
import { startShmkvServer } from '../helpers/shmkv-server.js';

const cli = fileURLToPath(new URL('../../src/cli/main.js', import.meta.url));

function blast(port: number, chunks: Buffer[]): Promise<void> {
  return new Promise((resolve) => {
    const s = net.connect({ port, host: '127.0.0.1' });
    const done = () => {
      s.destroy();
      resolve();
    };
    s.on('error', done);
    s.on('close', done);
    s.on('data', () => {});
    s.on('connect', async () => {
      for (const c of chunks) {
        if (s.destroyed) break;
        s.write(c);
        await new Promise((r) => setImmediate(r));
      }
      setTimeout(done, 20);
    });
  });
}

const valid = fc
  .array(
    fc.oneof(
      fc.tuple(fc.constantFrom('set', 'append', 'getset', 'setrange'), fc.string({ maxLength: 6 }), fc.string({ maxLength: 30 })).map((a) => a as string[]),
      fc.tuple(fc.constantFrom('get', 'incr', 'del', 'strlen', 'type', 'ttl'), fc.string({ maxLength: 6 })).map((a) => a as string[]),
      fc.constant(['ping'] as string[]),
    ),
    { maxLength: 20 },
  )
  .map((cmds) => Buffer.concat(cmds.map((c) => encodeCommand(c))));

const mutated = fc.tuple(valid, fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 }), fc.constantFrom('flip', 'insert', 'delete')), { maxLength: 8 })).map(([buf, muts]) => {
  const b = [...buf];
  for (const [pos, byte, kind] of muts) {
    if (b.length === 0) break;
    const i = pos % b.length;
    if (kind === 'flip') b[i] = byte;
    else if (kind === 'insert') b.splice(i, 0, byte);
    else b.splice(i, 1);
  }
  return Buffer.from(b);
});

const hostile = fc.oneof(
  fc.uint8Array({ maxLength: 300 }).map((u) => Buffer.from(u)),
  fc.constantFrom(
    Buffer.from('*2147483647\r\n$2147483647\r\n'),
    Buffer.from('*3\r\n$3\r\nset\r\n$1\r\nk\r\n$999999999\r\nabc'),
    Buffer.from('*-5\r\n'),
    Buffer.from('$5\r\nhello\r\n'),
    Buffer.from('"unbalanced\r\n'),
    Buffer.alloc(70000, 0x61),
    Buffer.from('*1\r\n$4\r\nPING'),
  ),
);

test('random, mutated and hostile byte streams never take the server down', async () => {
  const server = await startShmkvServer();
  try {
    await fc.assert(
      fc.asyncProperty(fc.array(fc.oneof(valid, mutated, hostile), { minLength: 1, maxLength: 6 }), fc.nat(50), async (streams, split) => {
        // Each stream on its own connection, chunked at a random size.
        await Promise.all(
          streams.map((s) => {
            const size = (split % 17) + 1;
            const chunks: Buffer[] = [];
            for (let i = 0; i < s.length; i += size * 20) chunks.push(s.subarray(i, i + size * 20));
            return blast(server.port, chunks.length ? chunks : [s]);
          }),
        );
      }),
      { numRuns: Number(process.env.SHMKV_FUZZ_RUNS ?? 150) },
    );
    // Still alive and correct for a well-formed client.
    const c = await RawClient.connect(server.port);
    try {
      assert.equal((await c.call('ping')).toString(), '+PONG\r\n');
      assert.equal((await c.call('set', 'after-fuzz', 'ok')).toString(), '+OK\r\n');
      assert.equal((await c.call('get', 'after-fuzz')).toString(), '$2\r\nok\r\n');
    } finally {
      c.close();
    }
    const check = spawnSync(process.execPath, [cli, 'check', server.segment], { encoding: 'utf8' });
    assert.equal(check.status, 0, check.stdout + check.stderr);
  } finally {
    await server.stop();
  }
});
