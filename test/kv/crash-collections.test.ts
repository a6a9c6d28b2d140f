/**
 * kill -9 of a library process in the middle of EXEC of list, hash, set (and sorted-set)
 * commands: node splits and merges, encoding conversions (listpack → hashtable, intset →
 * hashtable, listpack → skiplist), deletions of whole collections. A child runs
 * collectionsTransaction n = 1, 2, ... through `kv` and is SIGKILLed at random moments,
 * many times. After each kill the segment is opened again: the integrity checker must be
 * clean (every structure's own checks included) and database 2 must hold exactly what
 * transactions 1..n wrote (collectionsExpected), n being the committed sequence.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { sleep } from '../helpers/ports.js';
import { removeSegment } from '../helpers/shmkv-server.js';
import { startWorker, stopAll } from '../helpers/kv-workers.js';
import { collectionsExpected } from '../helpers/kv-workloads.js';
import { open, type KV } from '../../src/kv/index.js';
import { openKeyspace } from '../../src/keyspace/open.js';
import { checkKeyspace } from '../../src/keyspace/check.js';
import { typeName } from '../../src/keyspace/valuetypes.js';
import { OBJ_ZSET } from '../../src/keyspace/object.js';
import '../../src/types/index.js';

const ITERATIONS = Number(process.env.SHMKV_CRASH_ITERATIONS ?? 30);
const ZSETS = typeName(OBJ_ZSET) !== undefined;

/** Database 2 as the model's shape. */
function snapshot(kv: KV): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  kv.select(2);
  for (const k of (kv.keys('*') as string[]).sort()) {
    const t = kv.type(k);
    if (t === 'list') out[k] = kv.call('LRANGE', k, 0, -1);
    else if (t === 'hash') {
      const flat = kv.call('HGETALL', k) as Record<string, string> | string[];
      out[k] = Object.fromEntries(Object.entries(Array.isArray(flat) ? Object.fromEntries(pairs(flat)) : flat).sort());
    } else if (t === 'set') out[k] = [...(kv.call('SMEMBERS', k) as string[])].sort();
    else if (t === 'zset') out[k] = Object.fromEntries(pairs(kv.call('ZRANGE', k, 0, -1, 'WITHSCORES') as string[]).map(([m, s]) => [m, Number(s)]).sort());
    else out[k] = `unexpected type ${t}`;
  }
  kv.select(0);
  return out;
}

function pairs(a: string[]): [string, string][] {
  const r: [string, string][] = [];
  for (let i = 0; i < a.length; i += 2) r.push([a[i]!, a[i + 1]!]);
  return r;
}

function expected(n: number): Record<string, unknown> {
  const m = collectionsExpected(n, ZSETS);
  const out: Record<string, unknown> = {};
  for (const [k, v] of m.lists) out[k] = v;
  for (const [k, v] of m.hashes) out[k] = Object.fromEntries([...v.entries()].sort());
  for (const [k, v] of m.sets) out[k] = [...v].sort();
  for (const [k, v] of m.zsets) out[k] = Object.fromEntries([...v.entries()].sort());
  return Object.fromEntries(Object.entries(out).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

test(`SIGKILL during EXEC of list/hash/set${ZSETS ? '/zset' : ''} transactions (${ITERATIONS} kills): checker clean, contents as acknowledged`, async () => {
  const segment = `test-kv-crash-coll-${process.pid}`;
  removeSegment(segment);
  const kv = open({ segment, create: true });
  try {
    let last = 0;
    for (let it = 0; it < ITERATIONS; it++) {
      const w = startWorker(['collections', segment, ...(ZSETS ? ['zsets'] : [])]);
      await w.ready;
      await sleep(2 + Math.random() * 60);
      w.kill('SIGKILL');
      const e = await w.exited;
      assert.equal(e.signal, 'SIGKILL', `the worker was running (${e.err})`);
      const ks = openKeyspace({ segment, create: false });
      try {
        assert.deepEqual(ks.exec(() => checkKeyspace(ks)).errors, [], `keyspace check after kill ${it}`);
      } finally {
        ks.close();
      }
      const n = Number(kv.get('cseq') ?? 0);
      assert.ok(n > last, `kill ${it}: the worker committed transactions (cseq ${n}, was ${last})`);
      last = n;
      assert.deepEqual(snapshot(kv), expected(n), `kill ${it}: database 2 holds exactly what transactions 1..${n} wrote`);
    }
    kv.select(2);
    const enc = { L: kv.call('OBJECT', 'ENCODING', 'L'), H: kv.call('OBJECT', 'ENCODING', 'H'), S: kv.call('OBJECT', 'ENCODING', 'S') };
    kv.select(0);
    console.log(`# ${ITERATIONS} kills, ${last} transactions committed; encodings at the end: ${JSON.stringify(enc)}`);
  } finally {
    await stopAll();
    kv.close();
    removeSegment(segment);
  }
});
