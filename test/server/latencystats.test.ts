/**
 * INFO latencystats (latency-tracking): the histogram's percentiles on known data, and
 * the section and its configuration against redis-server 7.0 (which commands appear, the
 * percentile labels, CONFIG's parsing and errors; the timings themselves differ).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RawClient, decodeReply, toJS } from '../helpers/raw-client.js';
import { serverPair } from '../helpers/server-pair.js';
import { LatencyHistogram } from '../../src/engine/latency.js';

const servers = serverPair();

test('histogram: percentiles within the 2-significant-digit resolution of Redis\'s HDR histograms', () => {
  const h = new LatencyHistogram();
  assert.equal(h.valueAt(50), 0);
  for (let us = 1; us <= 1000; us++) h.recordUsec(us);
  const close = (ns: number, want: number) => assert.ok(ns >= want && ns <= want * 1.01, `${ns} ns for ${want}`);
  close(h.valueAt(50), 500_000);
  close(h.valueAt(99), 990_000);
  close(h.valueAt(100), 1_000_000);
  assert.ok(h.valueAt(0) <= 1000 && h.valueAt(0) >= 990, `p0 ${h.valueAt(0)}`);
  // exact below 256 ns; one sample: every percentile is its bucket
  const one = new LatencyHistogram();
  one.recordUsec(0.2);
  assert.equal(one.valueAt(50), 200);
  assert.equal(one.valueAt(0), 200);
  const big = new LatencyHistogram();
  big.recordUsec(11.007);
  assert.equal(big.valueAt(50), 11007);
  assert.equal(big.valueAt(0), 10944);
});

/** { command: [percentile labels] } of INFO latencystats, values checked to be ordered µs with 3 decimals. */
async function section(c: RawClient): Promise<Record<string, string[]>> {
  const text = String(toJS(decodeReply(await c.call('INFO', 'latencystats'))));
  const out: Record<string, string[]> = {};
  for (const line of text.split('\r\n')) {
    const m = /^latency_percentiles_usec_([^:]+):(.*)$/.exec(line);
    if (!m) continue;
    const parts = m[2] === '' ? [] : m[2]!.split(',');
    const labels: string[] = [];
    for (const p of parts) {
      const pm = /^p([0-9.]+)=(\d+\.\d{3})$/.exec(p);
      assert.ok(pm, `${line}`);
      labels.push(pm[1]!);
    }
    out[m[1]!] = labels;
  }
  return out;
}

test('INFO latencystats and latency-tracking-info-percentiles as Redis', async (t) => {
  if (!servers.redis) return t.skip('redis-server not installed: latencystats differential test SKIPPED');
  const [a, b] = await Promise.all([RawClient.connect(servers.redis.port), RawClient.connect(servers.shmkv.port)]);
  const same = async (...cmd: string[]) => {
    const [ra, rb] = await Promise.all([a.call(...cmd), b.call(...cmd)]);
    assert.equal(rb.toString(), ra.toString(), cmd.join(' '));
  };
  try {
    await same('CONFIG', 'RESETSTAT');
    await same('SET', 'k', 'v');
    await same('GET', 'k');
    await same('CLIENT', 'SETNAME', 'lat');
    await same('GET', 'k', 'extra');
    assert.deepEqual(await section(b), await section(a));
    for (const v of ['50 99.99 100 0', '', '50.50 99.0 1e1', 'abc', '50 x', '101', '-1', '50 99 99.9']) {
      await same('CONFIG', 'SET', 'latency-tracking-info-percentiles', v);
      await same('CONFIG', 'GET', 'latency-tracking-info-percentiles');
      assert.deepEqual(await section(b), await section(a), `percentiles '${v}'`);
    }
    await same('CONFIG', 'SET', 'latency-tracking', 'no');
    await same('GET', 'k');
    assert.deepEqual(await section(b), await section(a));
    assert.deepEqual(await section(b), {});
    await same('CONFIG', 'SET', 'latency-tracking', 'yes');
    await same('CONFIG', 'RESETSTAT');
    assert.deepEqual(await section(b), await section(a));
  } finally {
    a.close();
    b.close();
  }
});
