/**
 * The types' streaming serialisers (`rdbStream`, src/types/<type>/stream.ts): a big value
 * written a slice at a time through a HeapView must be exactly what `toRdb` + the codec
 * say it is (read back with the codec's readValue: same elements, order-free where the
 * type's order is a hash order, exact for lists and strings), small encodings get no
 * stream, the DUMP payload made of the streamed body is accepted by parseDumpPayload and
 * RESTOREd by a real redis-server 7.0 with identical contents, and — the point of the
 * view — nothing is read from the live mapping: streamed through a view over a copy of the
 * mapping taken before the value was mutated (and then with the live mapping scrambled),
 * the stream gives the value as it was.
 *
 * Values are built with the real commands through the engine over a memory-backed heap,
 * as the other tests of test/types do (the library's `open()` runs the same engine on a
 * segment, but keeps its keyspace to itself, and the test needs the entry and the heap).
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { MemoryBacking } from '../../src/heap/memory-backing.js';
import { liveView, type HeapView } from '../../src/heap/view.js';
import { Keyspace } from '../../src/keyspace/keyspace.js';
import { O_TYPE, O_VLEN } from '../../src/keyspace/object.js';
import { valueType } from '../../src/keyspace/valuetypes.js';
import { Config } from '../../src/config/config.js';
import { Engine } from '../../src/engine/engine.js';
import { ValueSink, ReplyError } from '../../src/engine/value-sink.js';
import { Session } from '../../src/commands/session.js';
import { setPackedThreshold } from '../../src/types/list/storage.js';
import { RdbEncoder } from '../../src/rdb/encode.js';
import { BufferSource, RdbDecoder } from '../../src/rdb/decode.js';
import { readValue } from '../../src/rdb/values.js';
import { createDumpPayload, parseDumpPayload } from '../../src/rdb/dump.js';
import { crc64Bytes } from '../../src/rdb/crc64.js';
import { RDB_TYPE, RDB_VERSION } from '../../src/rdb/format.js';
import { OBJ_LIST, OBJ_STRING, type RdbValue } from '../../src/rdb/value.js';
import { canon, fetchCanon, rng, type Canon } from '../rdb/helpers.js';
import { RawClient, decodeReply } from '../helpers/raw-client.js';
import { startRedisOracle, type RedisOracle } from '../helpers/redis-oracle.js';
import '../../src/types/index.js';

interface Harness {
  ks: Keyspace;
  run(...args: (string | number | Buffer)[]): unknown;
}

function harness(reserved = 512 << 20): Harness {
  const ks = Keyspace.open(new MemoryBacking({ reserved }), { databases: 1 });
  const config = new Config();
  config.set('enable-debug-command', 'yes');
  config.attachShared(ks.settings, true);
  const engine = new Engine({ ks, config });
  const sink = new ValueSink();
  const session = new Session(1, 'library', sink);
  return {
    ks,
    run(...args) {
      engine.executeAlone(session, args.map((a) => (Buffer.isBuffer(a) ? a : Buffer.from(String(a), 'latin1'))));
      const r = sink.take1();
      if (r instanceof ReplyError) throw r;
      return r;
    },
  };
}

const range = (n: number, f: (i: number) => string): string[] => Array.from({ length: n }, (_, i) => f(i));

/** Run a command whose arguments are `head` then `items`, in batches (no 100k-argument command). */
function bulk(h: Harness, head: (string | number)[], items: (string | number)[], per = 2000): void {
  for (let i = 0; i < items.length; i += per) h.run(...head, ...items.slice(i, i + per));
}

function entryOf(h: Harness, key: string): number {
  const e = h.ks.find(0, Buffer.from(key, 'latin1'));
  assert.notEqual(e, 0, `${key} exists`);
  return e;
}

function encodingOf(h: Harness, key: string): string {
  return h.run('object', 'encoding', key) as string;
}

interface Streamed {
  rdbType: number;
  body: Uint8Array;
  steps: number;
}

/** Stream entry e's value through `view`, `budget` per step; undefined when the type has no stream for it. */
function streamValue(ks: Keyspace, view: HeapView, e: number, budget: number, between?: (step: number) => void): Streamed | undefined {
  const s = valueType(view.u8(e + O_TYPE)).rdbStream!(ks, view, e);
  if (s === undefined) return undefined;
  const enc = new RdbEncoder({ compress: true });
  let steps = 0;
  for (;;) {
    steps++;
    if (s.step(enc, budget)) break;
    between?.(steps);
    assert.ok(steps < 10_000_000, 'the stream ends');
  }
  return { rdbType: s.rdbType, body: enc.takeBytes(), steps };
}

/** The codec's reading of a streamed body: the whole body, nothing after it. */
function readBody(st: Streamed): RdbValue {
  const dec = new RdbDecoder(new BufferSource(st.body));
  const v = readValue(dec, st.rdbType);
  assert.ok(v !== null, 'not an empty collection');
  assert.equal(dec.remaining, 0, 'the body is read to its end');
  return v;
}

/** A list's nodes as strings (exact: node boundaries and order), plain nodes marked. */
function listNodes(v: RdbValue): string[][] {
  assert.equal(v.type, OBJ_LIST);
  if (v.type !== OBJ_LIST) return [];
  const out: string[][] = [];
  v.nodes.forEach((n, i) => {
    if (n.length === 0) return; // (empty nodes are no nodes: Redis and our reader drop them)
    out.push([v.plain?.[i] === true ? 'PLAIN' : 'PACKED', ...n.map((x) => Buffer.from(x).toString('latin1'))]);
  });
  return out;
}

/** What a value must read back as: its canonical contents, and for lists the nodes themselves. */
function expectation(v: RdbValue): { canon: Canon; nodes?: string[][] } {
  return v.type === OBJ_LIST ? { canon: canon(v), nodes: listNodes(v) } : { canon: canon(v) };
}

/** The expectation of key's value now: toRdb of its entry, taken at once (views into the heap). */
function expected(h: Harness, key: string): { canon: Canon; nodes?: string[][] } {
  const e = entryOf(h, key);
  return expectation(valueType(h.ks.type(e)).toRdb!(h.ks, e));
}

function checkRead(st: Streamed, want: { canon: Canon; nodes?: string[][] }, what: string): void {
  const v = readBody(st);
  assert.deepEqual(canon(v), want.canon, what);
  if (want.nodes !== undefined) assert.deepEqual(listNodes(v), want.nodes, `${what}: the nodes`);
}

const RDB_TYPE_OF: Record<string, number> = {
  string: RDB_TYPE.STRING,
  list: RDB_TYPE.LIST_QUICKLIST_2,
  set: RDB_TYPE.SET,
  zset: RDB_TYPE.ZSET_2,
  hash: RDB_TYPE.HASH,
};

/** Stream `key` through the live view with each budget and check it reads back as toRdb gives it. */
function checkKey(h: Harness, key: string, budgets: number[]): void {
  const want = expected(h, key);
  const e = entryOf(h, key);
  const n = h.run('type', key) as string;
  for (const budget of budgets) {
    const st = streamValue(h.ks, liveView(h.ks.heap), e, budget);
    assert.ok(st !== undefined, `${key}: a stream`);
    assert.equal(st.rdbType, RDB_TYPE_OF[n], `${key}: the RDB type`);
    checkRead(st, want, `${key}, budget ${budget}`);
    // about `budget` elements (bytes of a string) a step: exactly for the tables, a leaf at a time for lists
    const elements = want.canon.v.length;
    if (n !== 'list') assert.equal(st.steps, Math.max(1, Math.ceil(elements / budget)), `${key}: ${elements} elements by ${budget}`);
    else if (elements > budget && want.nodes!.length > 1) assert.ok(st.steps > 1, `${key}: budget ${budget} takes more than one step (${st.steps})`);
  }
}

/** The DUMP payload of a streamed body: type byte, body, RDB version (u16 LE), CRC-64 (as createDumpPayload). */
function dumpPayload(st: Streamed): Buffer {
  const head = Buffer.alloc(1 + st.body.length + 2);
  head[0] = st.rdbType;
  head.set(st.body, 1);
  head[1 + st.body.length] = RDB_VERSION & 0xff;
  head[2 + st.body.length] = (RDB_VERSION >>> 8) & 0xff;
  return Buffer.concat([head, crc64Bytes(head)]);
}

// ---------------------------------------------------------------- small encodings: no stream

test('small encodings have no stream', () => {
  const h = harness(64 << 20);
  h.run('set', 's:inline', 'x'.repeat(100));
  h.run('set', 's:chunk', 'x'.repeat(65535));
  h.run('set', 's:int', 12345);
  h.run('rpush', 'l:single', 'a', 'b', 'c');
  h.run('sadd', 'set:int', 1, 2, 3);
  h.run('sadd', 'set:small', 'a', 'b', 'c');
  h.run('hset', 'h:lp', 'f', 'v');
  h.run('zadd', 'z:lp', 1, 'a', 2, 'b');
  for (const [k, enc] of [['s:inline', 'raw'], ['s:chunk', 'raw'], ['s:int', 'int'], ['l:single', 'quicklist'], ['set:int', 'intset'], ['set:small', 'hashtable'], ['h:lp', 'listpack'], ['z:lp', 'listpack']]) {
    assert.equal(encodingOf(h, k!), enc, k);
    assert.equal(streamValue(h.ks, liveView(h.ks.heap), entryOf(h, k!), 100), undefined, `${k}: no stream`);
  }
});

// ---------------------------------------------------------------- each type, a few sizes, small and large budgets

test('strings of 64 KiB and more stream as RDB_TYPE_STRING, byte for byte', () => {
  const h = harness(64 << 20);
  const r = rng(1);
  const sizes = [65536, 100_000, 3 << 20];
  for (const n of sizes) h.run('set', `s${n}`, Buffer.from(r.bytes(n)));
  // a compressible one too (streamed raw: no LZF, which needs the whole string)
  h.run('set', 'rep', 'abc'.repeat(400_000));
  for (const k of [...sizes.map((n) => `s${n}`), 'rep']) {
    const e = entryOf(h, k);
    const v0 = valueType(h.ks.type(e)).toRdb!(h.ks, e);
    assert.ok(v0.type === OBJ_STRING);
    const want = Buffer.from(v0.value); // (a copy: toRdb's bytes are a view of the heap)
    for (const budget of [1000, 65536, 1 << 30]) {
      const st = streamValue(h.ks, liveView(h.ks.heap), e, budget)!;
      assert.equal(st.rdbType, RDB_TYPE.STRING);
      const v = readBody(st);
      assert.ok(v.type === 0 && Buffer.from(v.value).equals(want), `${k}, budget ${budget}`);
      assert.equal(st.steps, Math.max(1, Math.ceil(want.length / budget)), `${k}: ${budget} bytes per step`);
    }
    checkKey(h, k, [4096]);
  }
});

test('hashtable hashes stream as RDB_TYPE_HASH', () => {
  const h = harness();
  for (const n of [129, 5000, 100_000]) bulk(h, ['hset', `h${n}`], range(2 * n, (i) => (i % 2 ? `value-${i}-${'v'.repeat(i % 13)}` : `field:${i}`)));
  // few fields, a long value: hashtable all the same; integers as fields and values
  h.run('hset', 'hlong', 'f', 'v'.repeat(1000), 'g', 'w');
  bulk(h, ['hset', 'hint'], range(2000, (i) => String(i * 37 - 5000)));
  // fields deleted and added again: holes and backward shifts in the segments
  bulk(h, ['hdel', 'h5000'], range(2500, (i) => `field:${i * 4}`));
  for (const k of ['h129', 'h5000', 'h100000', 'hlong', 'hint']) {
    assert.equal(encodingOf(h, k), 'hashtable', k);
    checkKey(h, k, k === 'h100000' ? [7, 100_000_000] : [1, 7, 100, 100_000_000]);
  }
});

test('Dash sets stream as RDB_TYPE_SET', () => {
  const h = harness();
  for (const n of [200, 5000, 100_000]) bulk(h, ['sadd', `s${n}`], range(n, (i) => `member-${i}`));
  // integers only, past set-max-intset-entries: written with RDB's integer encodings
  bulk(h, ['sadd', 'sints'], range(3000, (i) => String(i * 1_000_003 - 2 ** 31)));
  // past the small form's bytes rather than its count
  h.run('sadd', 'swide', ...range(10, (i) => `${i}`.repeat(500)));
  bulk(h, ['srem', 's5000'], range(1000, (i) => `member-${i * 3}`));
  for (const k of ['s200', 's5000', 's100000', 'sints', 'swide']) {
    assert.equal(encodingOf(h, k), 'hashtable', k);
    checkKey(h, k, k === 's100000' ? [7, 100_000_000] : [1, 7, 100, 100_000_000]);
  }
});

test('skiplist sorted sets stream as RDB_TYPE_ZSET_2', () => {
  const h = harness();
  const r = rng(7);
  for (const n of [200, 5000, 100_000]) {
    const items: (string | number)[] = [];
    for (let i = 0; i < n; i++) items.push(r.int(-1_000_000, 1_000_000) / 7, `m${i}`);
    bulk(h, ['zadd', `z${n}`], items);
  }
  h.run('zadd', 'zedge', '-0', 'negzero', 0, 'zero', 'inf', 'top', '-inf', 'bottom', '1e308', 'big', '5e-324', 'tiny', 1, 'm'.repeat(200));
  bulk(h, ['zrem', 'z5000'], range(2000, (i) => `m${i * 2}`));
  for (const k of ['z200', 'z5000', 'z100000', 'zedge']) {
    assert.equal(encodingOf(h, k), 'skiplist', k);
    checkKey(h, k, k === 'z100000' ? [7, 100_000_000] : [1, 7, 100, 100_000_000]);
  }
});

test('indexed lists stream as RDB_TYPE_LIST_QUICKLIST_2, node for node', () => {
  const h = harness();
  // default nodes (8 KB): a tree of a few levels for 100k elements
  bulk(h, ['rpush', 'l100000'], range(100_000, (i) => (i % 5 === 0 ? String(i - 50_000) : `element-${i}`)));
  // many small leaves: 4 per node, 25k leaves, a three-level index
  h.run('config', 'set', 'list-max-listpack-size', 4);
  bulk(h, ['rpush', 'lmany'], range(100_000, (i) => `e${i}`));
  // uneven leaves: pushes at both ends, insertions and removals in the middle
  bulk(h, ['rpush', 'luneven'], range(3000, (i) => `u${i}`));
  bulk(h, ['lpush', 'luneven'], range(1000, (i) => `p${i}`));
  for (let i = 0; i < 200; i++) h.run('linsert', 'luneven', 'before', `u${i * 13}`, `ins${i}`);
  h.run('lrem', 'luneven', 0, 'u7');
  h.run('ltrim', 'luneven', 5, -5);
  h.run('config', 'set', 'list-max-listpack-size', -2);
  // elements of 64 KB: one per node
  h.run('rpush', 'lbigel', ...range(8, (i) => String(i).repeat(70_000)));
  // plain nodes (elements past the packed threshold) between packed ones
  setPackedThreshold(100);
  try {
    for (let i = 0; i < 40; i++) h.run('rpush', 'lplain', ...(i % 3 === 0 ? ['P'.repeat(150 + i)] : range(5, (j) => `s${i}.${j}`)));
    const want = expected(h, 'lplain');
    assert.ok(want.nodes!.some((n) => n[0] === 'PLAIN') && want.nodes!.some((n) => n[0] === 'PACKED'), 'plain and packed nodes');
    checkKey(h, 'lplain', [1, 7, 100_000_000]);
  } finally {
    setPackedThreshold(0);
  }
  for (const k of ['l100000', 'lmany', 'luneven', 'lbigel']) {
    checkKey(h, k, k === 'luneven' || k === 'lbigel' ? [1, 7, 100, 100_000_000] : [7, 5000, 100_000_000]);
  }
});

// ---------------------------------------------------------------- DUMP payloads: parseDumpPayload and a real Redis

let redis: RedisOracle | null = null;
let c: RawClient | undefined;

before(async () => {
  redis = await startRedisOracle();
  if (redis) c = await RawClient.connect(redis.port);
});

after(async () => {
  c?.close();
  await redis?.stop();
});

test('DUMP payloads of streamed bodies: parseDumpPayload, and RESTORE into redis-server 7.0', async (t) => {
  const h = harness();
  const r = rng(3);
  h.run('set', 'str', Buffer.from(r.bytes(300_000)));
  bulk(h, ['hset', 'hash'], range(10_000, (i) => `hv${i}`));
  bulk(h, ['sadd', 'set'], range(5000, (i) => (i % 2 ? `m${i}` : String(i))));
  const zitems: (string | number)[] = [];
  for (let i = 0; i < 5000; i++) zitems.push(i % 100 === 0 ? 'inf' : r.int(-1000, 1000) / 4, `z${i}`);
  bulk(h, ['zadd', 'zset'], zitems);
  bulk(h, ['rpush', 'list'], range(20_000, (i) => `l${i}`));
  h.run('config', 'set', 'list-max-listpack-size', 3);
  bulk(h, ['rpush', 'list3'], range(1000, (i) => `k${i}`));
  const keys = ['str', 'hash', 'set', 'zset', 'list', 'list3'];
  const payloads = new Map<string, Buffer>();
  for (const k of keys) {
    const want = expected(h, k);
    const st = streamValue(h.ks, liveView(h.ks.heap), entryOf(h, k), 97)!;
    const p = dumpPayload(st);
    const v = parseDumpPayload(p);
    assert.deepEqual(canon(v), want.canon, `${k}: parseDumpPayload`);
    // strings, lists and sorted sets come out in the order DUMP writes them at once (Redis's
    // order: a sorted set from its greatest member); hash and set tables in their own order
    if (k !== 'hash' && k !== 'set') {
      const e = entryOf(h, k);
      const atOnce = createDumpPayload(valueType(h.ks.type(e)).toRdb!(h.ks, e), { compress: true });
      assert.ok(p.equals(atOnce), `${k}: the streamed payload is DUMP's, byte for byte`);
    }
    // and our own RESTORE takes it
    h.run('restore', `${k}:copy`, 0, p);
    assert.deepEqual(expected(h, `${k}:copy`).canon, want.canon, `${k}: RESTORE`);
    payloads.set(k, p);
  }
  if (!redis || !c) {
    t.skip('redis-server is not installed');
    return;
  }
  for (const k of keys) {
    const reply = decodeReply(await c.call('RESTORE', k, 0, payloads.get(k)!, 'REPLACE'));
    assert.notEqual(reply.type, 'error', `${k}: Redis's RESTORE: ${JSON.stringify(reply)}`);
    assert.deepEqual(await fetchCanon(c, k), expected(h, k).canon, `${k}: Redis holds the same value`);
  }
});

// ---------------------------------------------------------------- nothing read from the live mapping

/** A HeapView over a copy of the mapping (the heap as it was when the copy was taken), counting its calls. */
function copyView(ks: Keyspace): { view: HeapView; calls: () => number } {
  const u8 = ks.heap.mem.u8.slice();
  const dv = new DataView(u8.buffer);
  let n = 0;
  return {
    view: {
      bytes: (off, len) => (n++, u8.subarray(off, off + len)),
      u8: (off) => (n++, u8[off]!),
      u16: (off) => (n++, dv.getUint16(off, true)),
      u32: (off) => (n++, dv.getUint32(off, true)),
      f64: (off) => (n++, dv.getFloat64(off, true)),
    },
    calls: () => n,
  };
}

interface MutationCase {
  key: string;
  build(h: Harness): void;
  /** Changes that rewrite the value's structure in the live heap. */
  mutate(h: Harness): void;
}

const MUTATIONS: MutationCase[] = [
  {
    key: 'str',
    build: (h) => h.run('set', 'str', 'a'.repeat(100_000)),
    mutate: (h) => {
      h.run('setrange', 'str', 0, 'B'.repeat(50_000));
      h.run('append', 'str', 'C'.repeat(300_000));
    },
  },
  {
    key: 'hash',
    build: (h) => bulk(h, ['hset', 'hash'], range(6000, (i) => `h${i}`)),
    mutate: (h) => {
      bulk(h, ['hdel', 'hash'], range(1000, (i) => `h${i * 4}`));
      bulk(h, ['hset', 'hash'], range(8000, (i) => `new${i}`));
      bulk(h, ['hset', 'hash'], range(1000, (i) => (i % 2 ? 'changed' : `h${i * 2 + 1}`)));
    },
  },
  {
    key: 'set',
    build: (h) => bulk(h, ['sadd', 'set'], range(3000, (i) => `s${i}`)),
    mutate: (h) => {
      bulk(h, ['srem', 'set'], range(1500, (i) => `s${i * 2}`));
      bulk(h, ['sadd', 'set'], range(5000, (i) => `t${i}`));
    },
  },
  {
    key: 'zset',
    build: (h) => bulk(h, ['zadd', 'zset'], range(6000, (i) => (i % 2 ? `z${i}` : String(i)))),
    mutate: (h) => {
      bulk(h, ['zadd', 'zset'], range(2000, (i) => (i % 2 ? `z${i * 3}` : String(-i))));
      bulk(h, ['zrem', 'zset'], range(1000, (i) => `z${i * 2 + 1}`));
      bulk(h, ['zadd', 'zset'], range(2000, (i) => (i % 2 ? `y${i}` : String(i))));
    },
  },
  {
    key: 'list',
    build: (h) => {
      h.run('config', 'set', 'list-max-listpack-size', 8);
      bulk(h, ['rpush', 'list'], range(5000, (i) => `l${i}`));
    },
    mutate: (h) => {
      bulk(h, ['lpush', 'list'], range(2000, (i) => `p${i}`));
      for (let i = 0; i < 100; i++) h.run('lset', 'list', i * 50, `set${i}`);
      h.run('lrem', 'list', 0, 'l77');
      h.run('ltrim', 'list', 100, -100);
      for (let i = 0; i < 50; i++) h.run('linsert', 'list', 'after', `l${i * 90 + 500}`, `after${i}`);
    },
  },
];

for (const m of MUTATIONS) {
  test(`${m.key}: streamed through a copy of the mapping, the value as it was before HSET/HDEL/LPUSH/ZADD/APPEND…`, () => {
    const h = harness(64 << 20);
    m.build(h);
    const e = entryOf(h, m.key);
    const want = expected(h, m.key);
    // before any change: the copy, then the first step, then the changes, then the rest
    const copy = copyView(h.ks);
    const s = valueType(copy.view.u8(e + O_TYPE)).rdbStream!(h.ks, copy.view, e);
    assert.ok(s !== undefined, 'a stream');
    const enc = new RdbEncoder();
    let done = s.step(enc, 50);
    assert.equal(done, false);
    m.mutate(h);
    assert.notDeepEqual(expected(h, m.key).canon, want.canon, 'the live value changed');
    let steps = 1;
    while (!done) {
      done = s.step(enc, 50);
      steps++;
    }
    const st = { rdbType: s.rdbType, body: enc.takeBytes(), steps };
    checkRead(st, want, `${m.key}: as it was`);
    assert.ok(copy.calls() > 0, 'read through the view');

    // and with the live mapping scrambled (the keyspace is lost: nothing else runs on it),
    // a stream through the copy still gives the value as it was: no live read at all
    h.ks.heap.mem.u8.fill(0xa5);
    const again = streamValue(h.ks, copy.view, e, 33)!;
    checkRead(again, want, `${m.key}: as it was, the live mapping scrambled`);
  });
}

test('a view whose entry and table disagree fails before writing a wrong count', () => {
  const h = harness(64 << 20);
  bulk(h, ['hset', 'h'], range(1000, (i) => `f${i}`));
  const e = entryOf(h, 'h');
  const copy = copyView(h.ks);
  const lying: HeapView = { ...copy.view, u32: (off) => (off === e + O_VLEN ? 499 : copy.view.u32(off)) };
  assert.throws(() => valueType(copy.view.u8(e + O_TYPE)).rdbStream!(h.ks, lying, e), /entry counts 499 elements, its table 500/);
});
