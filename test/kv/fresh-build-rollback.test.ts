/**
 * Values built in fresh chunks — SUNIONSTORE's and SDIFFSTORE's result set, COPY of a big
 * set, hash or sorted set — are filled without undo records (a table made in the running
 * operation needs none: a rollback frees it whole). So a command that runs out of memory
 * half-way through such a build must still leave nothing behind: an error, no destination
 * key, the heap's accounting back where it was, and a clean keyspace check.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { removeSegment } from '../helpers/shmkv-server.js';
import { open } from '../../src/kv/index.js';
import { checkKeyspace } from '../../src/keyspace/check.js';
import type { Keyspace } from '../../src/keyspace/keyspace.js';

test('a value built fresh and cut short by a full segment leaves nothing behind', () => {
  const segment = `test-fresh-build-${process.pid}`;
  removeSegment(segment);
  const kv = open({ segment, size: 24 << 20 });
  const ks = (kv as unknown as { ks: Keyspace }).ks;
  try {
    for (let i = 0; i < 30_000; i += 500) {
      const ms = Array.from({ length: 500 }, (_, j) => `member:${i + j}`);
      kv.call('SADD', 'a', ...ms);
      kv.call('SADD', 'b', ...ms.map((m) => `${m}:b`));
      kv.call('HSET', 'h', ...ms.flatMap((m) => [m, 'v']));
      kv.call('ZADD', 'z', ...ms.flatMap((m, j) => [String(i + j), m]));
    }
    const fails = new Map<string, number>();
    for (let n = 0; n < 400 && fails.size < 4; n++) {
      const cmds: [string, string[]][] = [
        ['SUNIONSTORE', [`u${n}`, 'a', 'b']],
        ['COPY', ['a', `ca${n}`]],
        ['COPY', ['h', `ch${n}`]],
        ['COPY', ['z', `cz${n}`]],
      ];
      for (const [name, args] of cmds) {
        const dst = name === 'COPY' ? args[1]! : args[0]!;
        const used = ks.heap.usedBytes();
        const keys = kv.call('DBSIZE');
        try {
          kv.call(name, ...args);
        } catch (e) {
          const label = name === 'COPY' ? `COPY ${args[0]}` : name;
          fails.set(label, (fails.get(label) ?? 0) + 1);
          assert.match((e as Error).message, /OOM|memory/i, `${name} ${args.join(' ')}`);
          assert.equal(kv.call('EXISTS', dst), 0, `${dst} after a failed ${name}`);
          assert.equal(kv.call('DBSIZE'), keys);
          assert.equal(ks.heap.usedBytes(), used, `heap bytes after a failed ${name}`);
          assert.deepEqual(ks.exec(() => checkKeyspace(ks)).errors, [], `keyspace check after a failed ${name}`);
        }
      }
    }
    // every kind of build failed at least once on the way to a full segment
    assert.ok(fails.size >= 3, `failed builds: ${JSON.stringify([...fails])}`);
    // and what is there is whole
    assert.equal(kv.call('SCARD', 'a'), 30_000);
    assert.equal(kv.call('ZCARD', 'z'), 30_000);
  } finally {
    kv.close();
    removeSegment(segment);
  }
});
