/**
 * SLOWLOG against redis-server 7.0: the same commands logged the same way (arguments
 * capped at 32 and 128 bytes, secrets redacted, newest first, max length), with the
 * fields that differ between two servers by nature (id, time, duration, client port)
 * masked.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { normalizeInts } from '../helpers/differential.js';
import { RawClient, decodeReply, toJS } from '../helpers/raw-client.js';
import { serverPair } from '../helpers/server-pair.js';

/** unix seconds when this file started: SLOWLOG times must come after it */
const startedSec = Math.floor(Date.now() / 1000) - 1;
const servers = serverPair();

type Cmd = (string | number)[];

/** SLOWLOG GET as JSON with id, time, duration and the client's port masked. */
function masked(raw: Buffer): string {
  const v = toJS(decodeReply(raw));
  if (!Array.isArray(v)) return JSON.stringify(v);
  return JSON.stringify(
    v.map((e) => {
      const [id, time, usec, args, peer, name] = e as [number, number, number, string[], string, string];
      assert.ok(Number.isInteger(id) && id >= 0 && Number.isInteger(time) && Number.isInteger(usec) && usec >= 0);
      assert.ok(time >= startedSec && time <= Date.now() / 1000 + 1, 'unix seconds of a moment of this test');
      return [args, String(peer).replace(/:\d+$/, ':PORT'), name];
    }),
  );
}

test('SLOWLOG records what Redis records, the way Redis shows it', async (t) => {
  if (!servers.redis) return t.skip('redis-server not installed: SLOWLOG differential test SKIPPED');
  const [a, b] = await Promise.all([RawClient.connect(servers.redis.port), RawClient.connect(servers.shmkv.port)]);
  const run = async (cmd: Cmd): Promise<[Buffer, Buffer]> => Promise.all([a.call(...cmd), b.call(...cmd)]);
  const ids = normalizeInts(['id']);
  const same = async (cmd: Cmd): Promise<void> => {
    const [ra, rb] = await run(cmd);
    assert.equal(ids(rb).toString('latin1'), ids(ra).toString('latin1'), cmd.join(' '));
  };
  const sameLog = async (count?: number): Promise<void> => {
    const cmd: Cmd = count === undefined ? ['SLOWLOG', 'GET'] : ['SLOWLOG', 'GET', count];
    const [ra, rb] = await run(cmd);
    assert.equal(masked(rb), masked(ra), cmd.join(' '));
  };
  try {
    await same(['CONFIG', 'SET', 'slowlog-log-slower-than', '0', 'slowlog-max-len', '128']);
    await same(['SLOWLOG', 'RESET']);
    await same(['CLIENT', 'SETNAME', 'tester']);
    await same(['AUTH', 'nopass']);
    await same(['AUTH', 'someone', 'secret']);
    await same(['HELLO', '2', 'AUTH', 'default', 'wrong']);
    await same(['CONFIG', 'SET', 'requirepass', '']);
    await same(['SET', 'long', 'x'.repeat(300)]);
    await same(['SET', 'exactly128', 'y'.repeat(128)]);
    const mset: Cmd = ['MSET'];
    for (let i = 0; i < 40; i++) mset.push(`k${i}`, 'v');
    await same(mset);
    await same(['MSET', ...mset.slice(1, 31)]);
    await same(['GET', 'nosuchkey']);
    await same(['SLOWLOG', 'LEN']);
    await sameLog();
    await sameLog(-1);
    await sameLog(0);
    await sameLog(3);
    await same(['SLOWLOG', 'GET', '-2']);
    await same(['SLOWLOG', 'GET', 'x']);
    await same(['SLOWLOG', 'GET', '1', '2']);
    await same(['SLOWLOG', 'HELP']);
    // the max length keeps the newest
    await same(['CONFIG', 'SET', 'slowlog-max-len', '3']);
    await same(['SLOWLOG', 'LEN']);
    await sameLog(-1);
    // a negative threshold logs nothing; a high one only what is slower
    await same(['CONFIG', 'SET', 'slowlog-log-slower-than', '-1']);
    await same(['SLOWLOG', 'RESET']);
    await same(['PING']);
    await same(['SLOWLOG', 'LEN']);
    await same(['CONFIG', 'SET', 'slowlog-log-slower-than', '10000000']);
    await same(['PING']);
    await same(['SLOWLOG', 'LEN']);
  } finally {
    for (const c of [a, b]) {
      await c.call('CONFIG', 'SET', 'slowlog-log-slower-than', '10000', 'slowlog-max-len', '128');
      c.close();
    }
  }
});
