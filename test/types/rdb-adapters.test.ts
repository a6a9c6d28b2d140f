/**
 * The per-type RDB adapters (toRdb / fromRdb in src/types/<type>/rdb.ts) without the
 * codec: every type and encoding, built with the real commands, goes through
 * fromRdb(toRdb(v)) in the place of the old value — what DEBUG RELOAD does — and must come
 * back with the same contents and the OBJECT ENCODING Redis 7.0 reports after a DEBUG
 * RELOAD (a hashtable of a few small fields comes back a listpack, a raw short string
 * embstr…). Also: the shapes handed to the codec (intset members ascending as text, a
 * sorted set in score order, plain list nodes), the values Redis refuses to load (a member
 * twice, a NaN score, nothing at all) freeing what was built, and big values built
 * without undo log.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MemoryBacking } from '../../src/heap/memory-backing.js';
import { Keyspace } from '../../src/keyspace/keyspace.js';
import { checkKeyspace } from '../../src/keyspace/check.js';
import { REASON } from '../../src/keyspace/changes.js';
import { valueType } from '../../src/keyspace/valuetypes.js';
import { Config } from '../../src/config/config.js';
import { Engine } from '../../src/engine/engine.js';
import { ValueSink, ReplyError } from '../../src/engine/value-sink.js';
import { Session } from '../../src/commands/session.js';
import { setPackedThreshold } from '../../src/types/list/storage.js';
import { OBJ_HASH, OBJ_LIST, OBJ_SET, OBJ_STRING, OBJ_ZSET, RdbError, type RdbValue } from '../../src/rdb/value.js';
import '../../src/types/index.js';

interface Harness {
  ks: Keyspace;
  run(...args: (string | number)[]): unknown;
}

function harness(): Harness {
  const ks = Keyspace.open(new MemoryBacking({ reserved: 1 << 30 }), { databases: 2 });
  const config = new Config();
  config.set('enable-debug-command', 'yes');
  config.attachShared(ks.settings, true);
  const engine = new Engine({ ks, config });
  const sink = new ValueSink();
  const session = new Session(1, 'library', sink);
  return {
    ks,
    run(...args) {
      engine.executeAlone(session, args.map((a) => Buffer.from(String(a), 'latin1')));
      const r = sink.take1();
      if (r instanceof ReplyError) throw r;
      return r;
    },
  };
}

/** What DEBUG RELOAD does to one key: its value written out and loaded back in its place. */
function reload(h: Harness, key: string): RdbValue {
  const ks = h.ks;
  const k = Buffer.from(key, 'latin1');
  return ks.exec(() => {
    const e = ks.find(0, k);
    assert.notEqual(e, 0, `${key} exists`);
    const t = valueType(ks.type(e));
    const v = t.toRdb!(ks, e);
    const ne = ks.withExpire(t.fromRdb!(ks, k, v), ks.expiry(e));
    ks.replaceEntry(0, e, ne, REASON.overwritten);
    return v;
  });
}

/** The value of a key as the commands see it (order-free where Redis's order is a hash order). */
function contents(h: Harness, key: string): unknown {
  const type = h.run('type', key);
  switch (type) {
    case 'string':
      return h.run('get', key);
    case 'list':
      return h.run('lrange', key, 0, -1);
    case 'set':
      return (h.run('smembers', key) as string[]).sort();
    case 'hash': {
      const a = h.run('hgetall', key) as string[];
      const pairs: string[] = [];
      for (let i = 0; i < a.length; i += 2) pairs.push(`${a[i]}\u0000${a[i + 1]}`);
      return pairs.sort();
    }
    case 'zset':
      return h.run('zrange', key, 0, -1, 'withscores');
    default:
      return type;
  }
}

function assertClean(ks: Keyspace): void {
  const r = checkKeyspace(ks);
  assert.ok(r.ok, r.errors.join('\n'));
}

interface Case {
  name: string;
  setup: (string | number)[][];
  before: string;
  after: string;
  /** configuration changed between the save and the load */
  between?: (string | number)[][];
}

const range = (n: number, f: (i: number) => string): string[] => Array.from({ length: n }, (_, i) => f(i));

const CASES: Case[] = [
  { name: 'embstr string', setup: [['set', 'k', 'hello']], before: 'embstr', after: 'embstr' },
  { name: 'int string', setup: [['set', 'k', '-12345']], before: 'int', after: 'int' },
  { name: 'big int string', setup: [['set', 'k', '9223372036854775807']], before: 'int', after: 'int' },
  { name: 'raw string', setup: [['set', 'k', 'x'.repeat(300)]], before: 'raw', after: 'raw' },
  { name: 'short raw string (APPEND) comes back embstr', setup: [['set', 'k', 'ab'], ['append', 'k', 'cd']], before: 'raw', after: 'embstr' },
  { name: 'appended digits come back int', setup: [['set', 'k', '12'], ['append', 'k', '3']], before: 'raw', after: 'int' },
  { name: 'empty string', setup: [['set', 'k', '']], before: 'embstr', after: 'embstr' },
  { name: 'binary string', setup: [['set', 'k', '\x00\xff\r\n']], before: 'embstr', after: 'embstr' },
  { name: 'list of one node', setup: [['rpush', 'k', 'a', 'b', '1', '']], before: 'quicklist', after: 'quicklist' },
  { name: 'list of many nodes', setup: [['config', 'set', 'list-max-listpack-size', 4], ['rpush', 'k', ...range(300, (i) => `e${i}`)], ['lrem', 'k', 0, 'e7']], before: 'quicklist', after: 'quicklist' },
  {
    name: 'list saved with bigger nodes than the loader allows',
    setup: [['config', 'set', 'list-max-listpack-size', 100], ['rpush', 'k', ...range(250, (i) => `e${i}`)]],
    between: [['config', 'set', 'list-max-listpack-size', 3]],
    before: 'quicklist',
    after: 'quicklist',
  },
  { name: 'intset', setup: [['sadd', 'k', 5, -3, 70000, 5000000000, '-9223372036854775808']], before: 'intset', after: 'intset' },
  { name: 'small hashtable set', setup: [['sadd', 'k', 'a', 'b', 1, 'c']], before: 'hashtable', after: 'hashtable' },
  { name: 'hashtable set of integers only comes back intset', setup: [['sadd', 'k', 1, 2, 'x'], ['srem', 'k', 'x']], before: 'hashtable', after: 'intset' },
  { name: 'too many integers for an intset', setup: [['config', 'set', 'set-max-intset-entries', 10], ['sadd', 'k', ...range(11, (i) => String(i))]], before: 'hashtable', after: 'hashtable' },
  { name: 'intset past a lowered set-max-intset-entries', setup: [['sadd', 'k', ...range(20, (i) => String(i))]], between: [['config', 'set', 'set-max-intset-entries', 10]], before: 'intset', after: 'hashtable' },
  { name: 'big hashtable set (Dash form)', setup: [['sadd', 'k', ...range(1000, (i) => `m${i}`)]], before: 'hashtable', after: 'hashtable' },
  { name: 'listpack hash', setup: [['hset', 'k', 'f1', 'v1', 'f2', '', '', 'x']], before: 'listpack', after: 'listpack' },
  { name: 'hashtable hash (many fields)', setup: [['hset', 'k', ...range(600, (i) => (i % 2 ? `v${i}` : `f${i}`))]], before: 'hashtable', after: 'hashtable' },
  { name: 'hashtable hash (long value)', setup: [['hset', 'k', 'f', 'v'.repeat(100)]], before: 'hashtable', after: 'hashtable' },
  { name: 'small hashtable hash comes back listpack', setup: [['hset', 'k', 'f', 'v'.repeat(100), 'g', 'w'], ['hdel', 'k', 'f']], before: 'hashtable', after: 'listpack' },
  { name: 'listpack hash past a lowered entry count', setup: [['hset', 'k', ...range(20, (i) => `x${i}`)]], between: [['config', 'set', 'hash-max-listpack-entries', 4]], before: 'listpack', after: 'hashtable' },
  { name: 'listpack hash keeps a value past a lowered value size (only the count is checked)', setup: [['hset', 'k', 'f', 'v'.repeat(30)]], between: [['config', 'set', 'hash-max-listpack-value', 10]], before: 'listpack', after: 'listpack' },
  { name: 'listpack zset', setup: [['zadd', 'k', 2, 'b', 1, 'a', 1, 'c', '-inf', 'm', 'inf', 'n', '1.5', '']], before: 'listpack', after: 'listpack' },
  { name: 'skiplist zset', setup: [['zadd', 'k', ...range(400, (i) => (i % 2 ? `m${i}` : String((i * 7919) % 113)))]], before: 'skiplist', after: 'skiplist' },
  { name: 'skiplist zset (long member)', setup: [['zadd', 'k', 1, 'm'.repeat(100), 2, 'x']], before: 'skiplist', after: 'skiplist' },
  { name: 'small skiplist comes back listpack', setup: [['zadd', 'k', 1, 'm'.repeat(100), 2, 'x', 3, 'y'], ['zrem', 'k', 'm'.repeat(100)]], before: 'skiplist', after: 'listpack' },
  { name: 'skiplist with -0 and equal scores', setup: [['config', 'set', 'zset-max-listpack-entries', 0], ['zadd', 'k', '-0', 'z', 0, 'a', 0, 'b', '-inf', 'c']], before: 'skiplist', after: 'skiplist' },
  { name: 'listpack zset past a lowered entry count', setup: [['zadd', 'k', 1, 'a', 2, 'b', 3, 'c']], between: [['config', 'set', 'zset-max-listpack-entries', 2]], before: 'listpack', after: 'skiplist' },
  { name: 'listpack zset keeps a member past a lowered value size', setup: [['zadd', 'k', 1, 'a'.repeat(30)]], between: [['config', 'set', 'zset-max-listpack-value', 10]], before: 'listpack', after: 'listpack' },
];

for (const c of CASES) {
  test(`DEBUG RELOAD invariant: ${c.name}`, () => {
    const h = harness();
    for (const cmd of c.setup) h.run(...cmd);
    h.run('pexpire', 'k', 100000);
    assert.equal(h.run('object', 'encoding', 'k'), c.before, 'encoding before');
    const want = contents(h, 'k');
    const digest = h.run('debug', 'digest-value', 'k');
    for (const cmd of c.between ?? []) h.run(...cmd);
    reload(h, 'k');
    assert.deepEqual(contents(h, 'k'), want);
    assert.deepEqual(h.run('debug', 'digest-value', 'k'), digest);
    assert.equal(h.run('object', 'encoding', 'k'), c.after, 'encoding after');
    assert.ok((h.run('pttl', 'k') as number) > 90000, 'the expiry stays');
    assertClean(h.ks);
    // the loaded value works as any other: changes, then a second round trip
    const t = h.run('type', 'k');
    if (t === 'list') h.run('lpush', 'k', 'new'), h.run('linsert', 'k', 'before', 'e100', 'ins');
    else if (t === 'set') h.run('sadd', 'k', 'new', '42');
    else if (t === 'hash') h.run('hset', 'k', 'new', 'v');
    else if (t === 'zset') h.run('zadd', 'k', '1.25', 'new');
    else h.run('append', 'k', 'z');
    const want2 = contents(h, 'k');
    reload(h, 'k');
    assert.deepEqual(contents(h, 'k'), want2);
    assertClean(h.ks);
  });
}

test('toRdb shapes: intset members ascending as text, a sorted set in score order whatever its encoding', () => {
  const h = harness();
  h.run('sadd', 's', 30, -2, 7);
  const s = reload(h, 's');
  assert.equal(s.type, OBJ_SET);
  if (s.type === OBJ_SET) {
    assert.equal(s.encoding, 'intset');
    assert.deepEqual(s.members.map((m) => Buffer.from(m).toString()), ['-2', '7', '30']);
  }
  h.run('zadd', 'z', ...range(300, (i) => (i % 2 ? `m${i}` : String(i))));
  const z = reload(h, 'z');
  assert.equal(z.type, OBJ_ZSET);
  if (z.type === OBJ_ZSET) {
    assert.equal(z.encoding, 'skiplist');
    assert.equal(z.scores[0], 0);
    assert.equal(Buffer.from(z.members[0]!).toString(), 'm1');
    for (let i = 1; i < z.scores.length; i++) assert.ok(z.scores[i - 1]! < z.scores[i]!);
  }
  h.run('zadd', 'y', 3, 'c', 1, 'b', 1, 'a');
  const y = reload(h, 'y');
  if (y.type === OBJ_ZSET) {
    assert.equal(y.encoding, 'listpack');
    assert.deepEqual(y.members.map((m) => Buffer.from(m).toString()), ['a', 'b', 'c']);
    assert.deepEqual(y.scores, [1, 1, 3]);
  }
  h.run('hset', 'h', 'b', 1, 'a', 2);
  const hv = reload(h, 'h');
  if (hv.type === OBJ_HASH) {
    assert.equal(hv.encoding, 'listpack');
    assert.deepEqual(hv.fields.map((m) => Buffer.from(m).toString()), ['b', 'a']);
  }
  h.run('set', 'str', 'v');
  assert.equal(reload(h, 'str').type, OBJ_STRING);
});

test('plain list nodes: an element of at least the packed threshold is a node of its own, marked plain', () => {
  const h = harness();
  setPackedThreshold(100);
  try {
    h.run('rpush', 'l', 'a', 'b', 'x'.repeat(150), 'c', 'y'.repeat(100), 'd');
    const v = reload(h, 'l');
    assert.equal(v.type, OBJ_LIST);
    if (v.type === OBJ_LIST) {
      assert.deepEqual(v.nodes.map((n) => n.length), [2, 1, 1, 1, 1]);
      assert.deepEqual(v.plain, [false, true, false, true, false]);
    }
    assert.deepEqual(h.run('lrange', 'l', 0, -1), ['a', 'b', 'x'.repeat(150), 'c', 'y'.repeat(100), 'd']);
    // a packed node holding big elements (another server's threshold) is cut around them
    const ks = h.ks;
    ks.exec(() => {
      const ne = valueType(OBJ_LIST).fromRdb!(ks, Buffer.from('m'), { type: OBJ_LIST, nodes: [[Buffer.from('a'), Buffer.alloc(120, 1), Buffer.from('b')], [], [Buffer.from('c')]] });
      ks.addEntry(0, ne, REASON.added);
    });
    const m = reload(h, 'm');
    if (m.type === OBJ_LIST) assert.deepEqual(m.nodes.map((n) => n.length), [1, 1, 1, 1]);
    assert.equal(h.run('llen', 'm'), 4);
    assertClean(ks);
  } finally {
    setPackedThreshold(0);
  }
});

test('fromRdb refuses what Redis refuses to load, and leaves nothing behind', () => {
  const h = harness();
  const ks = h.ks;
  const b = (s: string): Buffer => Buffer.from(s);
  const many = (n: number): Buffer[] => range(n, (i) => `m${i}`).map(b);
  const bad: RdbValue[] = [
    { type: OBJ_SET, encoding: 'hashtable', members: [b('1'), b('2'), b('1')] },
    { type: OBJ_SET, encoding: 'hashtable', members: [b('a'), b('b'), b('a')] },
    { type: OBJ_SET, encoding: 'hashtable', members: [...many(300), b('m5')] },
    { type: OBJ_SET, encoding: 'intset', members: [] },
    { type: OBJ_HASH, encoding: 'listpack', fields: [b('f'), b('f')], values: [b('1'), b('2')] },
    { type: OBJ_HASH, encoding: 'hashtable', fields: [...many(300), b('m0')], values: many(301) },
    { type: OBJ_HASH, encoding: 'hashtable', fields: [], values: [] },
    { type: OBJ_ZSET, encoding: 'listpack', members: [b('a'), b('a')], scores: [1, 2] },
    { type: OBJ_ZSET, encoding: 'skiplist', members: [...many(300), b('m9')], scores: range(301, (i) => String(i)).map(Number) },
    { type: OBJ_ZSET, encoding: 'skiplist', members: [b('a')], scores: [NaN] },
    { type: OBJ_ZSET, encoding: 'skiplist', members: [], scores: [] },
    { type: OBJ_LIST, nodes: [[], []] },
  ];
  for (const v of bad) {
    ks.exec(() => {
      assert.throws(() => valueType(v.type).fromRdb!(ks, b('k'), v), RdbError, JSON.stringify(v).slice(0, 200));
    });
    assertClean(ks);
  }
});

test('big values are built without undo log (1M-style bulk paths)', () => {
  const h = harness();
  const ks = h.ks;
  const n = 100000;
  const members = range(n, (i) => `member:${i}`).map((s) => Buffer.from(s));
  const values: RdbValue[] = [
    { type: OBJ_SET, encoding: 'hashtable', members },
    { type: OBJ_HASH, encoding: 'hashtable', fields: members, values: members },
    { type: OBJ_ZSET, encoding: 'skiplist', members, scores: range(n, (i) => String(n - i)).map(Number) },
    { type: OBJ_LIST, nodes: [members] },
  ];
  for (const v of values) {
    const undo = ks.exec(() => {
      const e = valueType(v.type).fromRdb!(ks, Buffer.from(`big${v.type}`), v);
      ks.addEntry(0, e, REASON.added);
      return ks.heap.pendingUndo();
    });
    assert.ok(undo < 64 * 1024, `type ${v.type}: ${undo} bytes of undo`);
  }
  assert.equal(h.run('scard', 'big2'), n);
  assert.equal(h.run('hlen', 'big4'), n);
  assert.equal(h.run('zcard', 'big3'), n);
  assert.deepEqual(h.run('zrange', 'big3', 0, 1, 'withscores'), ['member:99999', '1', 'member:99998', '2']);
  assert.equal(h.run('llen', 'big1'), n);
  assert.equal(h.run('lindex', 'big1', 54321), 'member:54321');
  assert.equal(h.run('hget', 'big4', 'member:777'), 'member:777');
  // and back: the same contents through toRdb
  for (const t of [OBJ_SET, OBJ_HASH, OBJ_ZSET, OBJ_LIST]) {
    const before = contents(h, `big${t}`);
    reload(h, `big${t}`);
    assert.deepEqual(contents(h, `big${t}`), before);
  }
  assertClean(ks);
});
