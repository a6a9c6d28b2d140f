/**
 * LATENCY against redis-server 7.0 (what the Redis suite's unit/latency-monitor checks):
 * the replies that do not depend on timing byte for byte (HELP, errors, empty events,
 * RESET counts, DOCTOR with nothing observed, HISTOGRAM's names and call counts), and the
 * parts that do (histogram buckets, samples, GRAPH) against Redis's algorithms on fixed
 * inputs.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DiffPair, type Cmd } from '../helpers/differential.js';
import { decodeReply, toJS } from '../helpers/raw-client.js';
import { serverPair } from '../helpers/server-pair.js';
import { LatencyHistogram, LatencyMonitor } from '../../src/engine/latency.js';

const servers = serverPair();

test('LATENCY: same replies as Redis where timing does not matter', async (t) => {
  const { redis, shmkv } = servers;
  if (!redis) return t.skip('redis-server missing');
  const d = await DiffPair.open(redis.port, shmkv.port);
  try {
    const cmds: Cmd[] = [
      ['LATENCY', 'RESET'],
      ['CONFIG', 'SET', 'latency-monitor-threshold', '0'],
      ['LATENCY', 'DOCTOR'],
      ['LATENCY', 'HELP'],
      ['LATENCY', 'help', 'xxx'],
      ['LATENCY'],
      ['LATENCY', 'nosuch'],
      ['LATENCY', 'LATEST'],
      ['LATENCY', 'LATEST', 'x'],
      ['LATENCY', 'HISTORY', 'command'],
      ['LATENCY', 'HISTORY'],
      ['LATENCY', 'GRAPH', 'command'],
      ['LATENCY', 'GRAPH', 'blabla'],
      ['LATENCY', 'RESET', 'blabla', 'command'],
      ['CONFIG', 'SET', 'latency-monitor-threshold', '200'],
      ['LATENCY', 'DOCTOR'],
      ['CONFIG', 'RESETSTAT'],
      ['LATENCY', 'HISTOGRAM', 'blabla'],
      ['LATENCY', 'HISTOGRAM', 'blabla', 'set', 'get', 'a|b|c'],
    ];
    await d.sameAll(cmds);
  } finally {
    d.close();
  }
});

/** name → calls of a LATENCY HISTOGRAM reply (the buckets depend on timing). */
function calls(raw: Buffer): Record<string, number> {
  const v = toJS(decodeReply(raw)) as unknown[];
  const out: Record<string, number> = {};
  for (let i = 0; i < v.length; i += 2) out[v[i] as string] = (v[i + 1] as unknown[])[1] as number;
  return out;
}

test('LATENCY HISTOGRAM: the same commands and call counts as Redis', async (t) => {
  const { redis, shmkv } = servers;
  if (!redis) return t.skip('redis-server missing');
  const d = await DiffPair.open(redis.port, shmkv.port);
  try {
    const run = async (cmds: Cmd[], q: Cmd): Promise<void> => {
      for (const c of cmds) await d.both(c);
      const [a, b] = await d.both(q);
      assert.deepEqual(calls(b), calls(a), q.join(' '));
    };
    await run([['CONFIG', 'RESETSTAT']], ['LATENCY', 'HISTOGRAM']);
    await run([['CONFIG', 'RESETSTAT'], ['SET', 'a', 'b'], ['SET', 'c', 'd'], ['GET', 'a']], ['LATENCY', 'HISTOGRAM']);
    await run([['CONFIG', 'RESETSTAT'], ['CLIENT', 'ID'], ['CLIENT', 'LIST']], ['LATENCY', 'HISTOGRAM', 'client']);
    await run([], ['LATENCY', 'HISTOGRAM', 'CLIENT|ID', 'set', 'set', 'nosuch']);
    // RESP3: a map of maps
    await d.both(['HELLO', '3']);
    await d.both(['CONFIG', 'RESETSTAT']);
    await d.both(['GET', 'a']);
    const [, b] = await d.both(['LATENCY', 'HISTOGRAM', 'get']);
    assert.match(b.toString('latin1'), /^%1\r\n\$3\r\nget\r\n%2\r\n\$5\r\ncalls\r\n:1\r\n\$14\r\nhistogram_usec\r\n%1\r\n:\d+\r\n:1\r\n$/);
  } finally {
    d.close();
  }
});

test('histogram_usec: Redis\'s logarithmic walk of its HDR histogram', () => {
  const h = new LatencyHistogram();
  assert.deepEqual(h.cdf(), []);
  // 0.5 µs: under the first level (1024 ns, whose bucket ends at 1027 ns)
  h.recordUsec(0.5);
  assert.deepEqual(h.cdf(), [[1, 1]]);
  // 10 µs → level 16384 ns (bucket up to 16511: "16"); 100 µs → 131072 (up to 132095: "132")
  const g = new LatencyHistogram();
  g.recordUsec(10);
  g.recordUsec(10);
  g.recordUsec(100);
  assert.deepEqual(g.cdf(), [
    [16, 2],
    [132, 3],
  ]);
  assert.equal(g.calls(), 3);
  // 32 µs is 32768 ns: in the bucket of level 32768 itself (up to 33023: "33")
  const k = new LatencyHistogram();
  k.recordUsec(32.768);
  assert.deepEqual(k.cdf(), [[33, 1]]);
});

test('latency monitor: one sample per second (the highest), ring order, RESET, GRAPH like Redis', () => {
  const m = new LatencyMonitor();
  m.add('command', 250, 1000);
  m.add('command', 300, 1000);
  m.add('command', 100, 1000);
  assert.deepEqual(m.samples('command'), [[1000, 300]]);
  // Redis's LATENCY GRAPH for one sample of 250 ms taken this second
  const one = new LatencyMonitor();
  one.add('command', 250, 2000);
  assert.equal(
    one.graph('command', 2000),
    'command - high 250 ms, low 250 ms (all time high 250 ms)\n' + '-'.repeat(80) + '\n \n \n \n_\n \n0\ns\n',
  );
  m.add('command', 400, 1001);
  m.add('command', 500, 1070);
  assert.deepEqual(m.latest(), [['command', 1070, 500, 500]]);
  // 300, 400, 500 scaled to steps 0, 6, 11 of 12 (4 rows of '_o#', '|' below a mark);
  // labels ("1m", "1m", "10s") vertical under each column
  assert.equal(
    m.graph('command', 1080),
    'command - high 500 ms, low 300 ms (all time high 500 ms)\n' + '-'.repeat(80) + '\n' + '  #\n _|\n ||\n_||\n   \n111\nmm0\n  s\n',
  );
  assert.equal(m.reset('COMMAND'), 1);
  assert.equal(m.samples('command'), null);
  for (let i = 0; i < 200; i++) m.add('x', i, 5000 + i);
  const s = m.samples('x')!;
  assert.equal(s.length, 160);
  assert.deepEqual(s[0], [5040, 40]);
  assert.deepEqual(s[159], [5199, 199]);
});
