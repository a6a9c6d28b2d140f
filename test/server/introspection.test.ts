/**
 * Introspection of connections against redis-server 7.0 (what the Redis suite's
 * unit/introspection checks): CLIENT REPLY's flags across commands, the fields of
 * CLIENT INFO / CLIENT LIST that depend on the running command (qbuf, argv-mem, cmd).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RawClient, encodeCommand } from '../helpers/raw-client.js';
import { serverPair } from '../helpers/server-pair.js';

const servers = serverPair();

/** Send a pipeline, then read what comes back until `last` (a reply that ends the sequence) arrives. */
async function pipelineUntil(port: number, cmds: (string | Buffer)[][], last: string): Promise<string> {
  const c = await RawClient.connect(port);
  try {
    c.sendRaw(Buffer.concat(cmds.map((x) => encodeCommand(x))));
    let out = '';
    while (!out.endsWith(last)) out += (await c.read()).toString('latin1');
    return out;
  } finally {
    c.close();
  }
}

test('CLIENT REPLY OFF/ON/SKIP: the same replies as Redis', async (t) => {
  const { redis, shmkv } = servers;
  if (!redis) return t.skip('redis-server missing');
  const sequences: (string | Buffer)[][][] = [
    // OFF silences everything up to ON, whose own OK is sent
    [['CLIENT', 'REPLY', 'OFF'], ['PING', 'a'], ['PING', 'b'], ['CLIENT', 'REPLY', 'ON'], ['PING', 'end']],
    // SKIP silences the next command only
    [['CLIENT', 'REPLY', 'SKIP'], ['PING', 'a'], ['PING', 'b'], ['PING', 'end']],
    // ON right after SKIP clears the skip: its OK is sent
    [['CLIENT', 'REPLY', 'SKIP'], ['CLIENT', 'REPLY', 'ON'], ['PING', 'end']],
    // SKIP while OFF does nothing; a rejected command is skipped too
    [['CLIENT', 'REPLY', 'OFF'], ['CLIENT', 'REPLY', 'SKIP'], ['CLIENT', 'REPLY', 'ON'], ['CLIENT', 'REPLY', 'SKIP'], ['NOSUCH'], ['PING', 'end']],
    [['CLIENT', 'REPLY', 'SKIP'], ['CLIENT', 'REPLY', 'SKIP'], ['PING', 'a'], ['PING', 'end']],
  ];
  for (const seq of sequences) {
    const a = await pipelineUntil(redis.port, seq, '$3\r\nend\r\n');
    const b = await pipelineUntil(shmkv.port, seq, '$3\r\nend\r\n');
    assert.equal(b, a, JSON.stringify(seq));
  }
});

/** The fields of a CLIENT INFO line that do not depend on the server's own numbering. */
function fields(line: string, names: string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const kv of line.trim().split(' ')) {
    const i = kv.indexOf('=');
    const k = kv.slice(0, i);
    if (names.includes(k)) out[k] = kv.slice(i + 1);
  }
  return out;
}

test('CLIENT INFO / LIST: qbuf, argv-mem and cmd of the running command as in Redis', async (t) => {
  const { redis, shmkv } = servers;
  if (!redis) return t.skip('redis-server missing');
  const names = ['name', 'flags', 'db', 'sub', 'psub', 'ssub', 'multi', 'qbuf', 'argv-mem', 'multi-mem', 'obl', 'oll', 'omem', 'events', 'cmd', 'user', 'redir', 'resp'];
  const bulk = (raw: Buffer): string => {
    const s = raw.toString('latin1');
    return s.slice(s.indexOf('\r\n') + 2, -2);
  };
  for (const cmd of [['CLIENT', 'INFO'], ['client', 'list'], ['CLIENT', 'LIST', 'TYPE', 'normal']]) {
    const rc = await RawClient.connect(redis.port);
    const sc = await RawClient.connect(shmkv.port);
    try {
      const a = fields(bulk(await rc.call(...cmd)), names);
      const b = fields(bulk(await sc.call(...cmd)), names);
      assert.deepEqual(b, a, cmd.join(' '));
    } finally {
      rc.close();
      sc.close();
    }
  }
});
