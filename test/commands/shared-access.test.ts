/**
 * The library and the server on one keyspace at once: another process writes through
 * `kv` while the server serves the same segment, and each sees the other's writes at
 * once, under the same lock, with the keyspace consistent at the end.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { RawClient } from '../helpers/raw-client.js';
import { startShmkvServer } from '../helpers/shmkv-server.js';

const kvModule = fileURLToPath(new URL('../../src/kv/index.js', import.meta.url));

function runLibraryWriter(segment: string, n: number): Promise<string> {
  const code = `
    import { open } from ${JSON.stringify(kvModule)};
    const kv = open({ segment: ${JSON.stringify(segment)}, create: false });
    for (let i = 0; i < ${n}; i++) {
      kv.set('lib:' + i, 'v' + i);
      kv.incr('counter');
    }
    const seen = kv.get('from-server') ?? 'none';
    kv.close();
    process.stdout.write(seen);
  `;
  return new Promise((resolve, reject) => {
    const c = spawn(process.execPath, ['--input-type=module', '-e', code], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    c.stdout.on('data', (d) => (out += d));
    c.on('exit', (code) => (code === 0 ? resolve(out) : reject(new Error(`library writer exited ${code}`))));
  });
}

test('a library process and the server share one keyspace: both write, each sees the other at once', async () => {
  const server = await startShmkvServer();
  const c = await RawClient.connect(server.port);
  try {
    assert.equal((await c.call('set', 'from-server', 'hello')).toString(), '+OK\r\n');
    // The server increments the same counter concurrently through INCR.
    let serverIncrs = 0;
    let stop = false;
    const incrs = (async () => {
      while (!stop) {
        await c.call('incr', 'counter');
        serverIncrs++;
      }
    })();
    const seen = await runLibraryWriter(server.segment, 3000);
    stop = true;
    await incrs;
    assert.equal(seen, 'hello', 'the library saw the server\'s write');
    assert.equal((await c.call('get', 'lib:2999')).toString(), '$5\r\nv2999\r\n', 'the server sees the library\'s writes');
    assert.equal((await c.call('dbsize')).toString(), `:${3000 + 2}\r\n`);
    // No increment was lost between the two writers: the lock serialises them.
    assert.equal((await c.call('get', 'counter')).toString(), `$${String(3000 + serverIncrs).length}\r\n${3000 + serverIncrs}\r\n`);
  } finally {
    c.close();
    await server.stop();
  }
});
