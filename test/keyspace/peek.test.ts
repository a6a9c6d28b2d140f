/**
 * Reads without the lock (src/keyspace/peek.ts), in one process: the heap's write version
 * around operations, which GETs are answered without the lock and which are left to it,
 * and the accesses such reads queue (LRU stamps, LFU counters) reaching the entries at the
 * next lock. The multi-process side (readers racing a writer, a writer killed) is in
 * test/kv/peek-multiprocess.test.ts.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { open, type KV } from '../../src/kv/index.js';
import { unlinkPosix } from '../../src/shm/posix.js';
import type { Keyspace } from '../../src/keyspace/keyspace.js';
import { O_LRU } from '../../src/keyspace/object.js';
import { lruClock } from '../../src/keyspace/access.js';
import { TOUCH_QUEUE } from '../../src/keyspace/peek.js';
import { setString } from '../../src/types/string/storage.js';
import '../../src/types/index.js';

const SEGMENT = `test-peek-${process.pid}`;
const kv: KV = open({ segment: SEGMENT });
const ks = (kv as unknown as { ks: Keyspace }).ks;

after(() => {
  kv.close();
  unlinkPosix(SEGMENT);
});

const entryOf = (key: string): number => ks.exec(() => ks.findRaw(0, Buffer.from(key)));
const version = () => ks.heap.writeVersion();

test('the write version is odd only while an operation that changed bytes is open', () => {
  const v0 = version();
  assert.equal(v0 & 1, 0);
  ks.exec(() => {
    assert.equal(version(), v0, 'a read-only operation leaves it');
  });
  let inside = 0;
  kv.set('wv', '1');
  const v1 = version();
  assert.ok(v1 > v0 && (v1 & 1) === 0, 'a write moves it on, even again after its commit');
  assert.throws(() =>
    ks.exec(() => {
      setString(ks, 0, Buffer.from('wv'), Buffer.from('2'), 0);
      inside = version();
      throw new Error('rolled back');
    }),
  );
  assert.equal(inside & 1, 1, 'odd inside the writing operation');
  assert.equal(version() & 1, 0, 'even after the rollback');
  // an operation whose changes were all undone to its start (EXEC of commands that all failed)
  ks.exec(() => {
    const sp = ks.savepoint();
    setString(ks, 0, Buffer.from('wv'), Buffer.from('3'), 0);
    ks.rollbackTo(sp);
  });
  assert.equal(version() & 1, 0, 'even after an operation rolled back to its start commits');
  assert.equal(kv.get('wv'), '1');
});

test('GET is answered without the lock; errors, expired keys and key-miss events are left to it', () => {
  kv.flushall();
  kv.set('s', 'value');
  kv.call('RPUSH', 'l', 'x');
  const p = ks.peek;
  let answered = p.answered;
  assert.equal(kv.get('s'), 'value');
  assert.equal(kv.get('missing'), null);
  assert.equal(p.answered, answered + 2);
  assert.equal(kv.getBuffer('s')!.toString(), 'value');
  assert.throws(() => kv.get('l'), /WRONGTYPE/);
  answered = p.answered;
  // an expired key: deleted on the way (a write), as Redis's lazy expiry
  kv.set('ttl', 'v', { px: 1 });
  const t = Date.now();
  while (Date.now() - t < 5) {
    /* wait past its TTL */
  }
  assert.equal(kv.get('ttl'), null);
  assert.equal(p.answered, answered, 'not answered without the lock');
  assert.equal(kv.call('EXISTS', 'ttl'), 0);
  // keymiss events are sent under the lock
  kv.call('CONFIG', 'SET', 'notify-keyspace-events', 'Em');
  try {
    answered = p.answered;
    assert.equal(kv.get('missing'), null);
    assert.equal(p.answered, answered);
    assert.equal(kv.get('s'), 'value');
    assert.equal(p.answered, answered + 1, 'hits still are');
  } finally {
    kv.call('CONFIG', 'SET', 'notify-keyspace-events', '');
  }
  // a big value is copied under the lock (PEEK_VALUE_MAX)
  const big = 'b'.repeat((1 << 20) + 1);
  kv.set('big', big);
  answered = p.answered;
  assert.equal(kv.get('big'), big);
  assert.equal(p.answered, answered);
  // hits and misses are counted either way
  const stats = () => {
    const text = String(kv.call('INFO', 'stats'));
    return [Number(/keyspace_hits:(\d+)/.exec(text)![1]), Number(/keyspace_misses:(\d+)/.exec(text)![1])];
  };
  const [h0, m0] = stats();
  kv.get('s');
  kv.get('missing');
  assert.deepEqual(stats(), [h0! + 1, m0! + 1]);
});

test('MGET and EXISTS are answered without the lock, in one read for all their keys', () => {
  kv.flushall();
  kv.mset({ a: '1', b: '2' });
  kv.call('SADD', 'set', 'm');
  const p = ks.peek;
  const answered = p.answered;
  assert.deepEqual(kv.mget('a', 'set', 'nope', 'b'), ['1', null, null, '2']);
  assert.equal(kv.call('EXISTS', 'a', 'b', 'nope', 'set', 'a'), 4);
  assert.equal(p.answered, answered + 2);
  // MGET of many keys (the read's list of lookups grows)
  const keys = Array.from({ length: 100 }, (_, i) => `m:${i}`);
  kv.mset(keys.map((key, i) => [key, String(i)] as [string, string]));
  assert.deepEqual(kv.mget(keys), keys.map((_, i) => String(i)));
  assert.equal(p.answered, answered + 3);
  // an expired key among them: the whole command goes to the lock, which deletes it
  kv.set('gone', 'v', { px: 1 });
  const t = Date.now();
  while (Date.now() - t < 5) {
    /* wait past its TTL */
  }
  assert.deepEqual(kv.mget('a', 'gone'), ['1', null]);
  assert.equal(p.answered, answered + 3);
  assert.equal(kv.call('DBSIZE'), 103, 'deleted on the way');
});

test('HGET is answered without the lock, from a listpack and from a hashtable', () => {
  kv.flushall();
  kv.call('HSET', 'small', 'a', '1', 'b', '2');
  kv.call('HSET', 'large', 'f', 'x'.repeat(100));
  for (let i = 0; i < 200; i++) kv.call('HSET', 'large', `f${i}`, `v${i}`);
  assert.equal(kv.call('OBJECT', 'ENCODING', 'small'), 'listpack');
  assert.equal(kv.call('OBJECT', 'ENCODING', 'large'), 'hashtable');
  kv.set('str', 'v');
  const p = ks.peek;
  const answered = p.answered;
  assert.equal(kv.hget('small', 'a'), '1');
  assert.equal(kv.hget('small', 'b'), '2');
  assert.equal(kv.hget('small', '1'), null, 'a value is not a field');
  assert.equal(kv.hget('small', 'zz'), null);
  assert.equal(kv.hget('large', 'f'), 'x'.repeat(100));
  for (let i = 0; i < 200; i += 37) assert.equal(kv.hget('large', `f${i}`), `v${i}`);
  assert.equal(kv.hget('large', 'nope'), null);
  assert.equal(kv.hget('nokey', 'f'), null);
  assert.equal(p.answered, answered + 13);
  assert.throws(() => kv.hget('str', 'f'), /WRONGTYPE/);
  assert.equal(p.answered, answered + 13);
});

test('TYPE, TTL and its kin, STRLEN and the collection lengths are answered without the lock, as the lock would answer', () => {
  kv.flushall();
  kv.set('s', 'hello');
  kv.call('SET', 't', 'v', 'PX', '100000');
  kv.call('PEXPIREAT', 'far', '9223372036854770000');
  kv.set('far', 'x');
  kv.call('PEXPIREAT', 'far', '9223372036854770000');
  kv.call('RPUSH', 'l', 'a', 'b', 'c');
  kv.call('HSET', 'h', 'a', '1', 'b', '2');
  kv.call('SADD', 'st', '1', '2', '3', '4');
  kv.call('ZADD', 'z', '1', 'a');
  const cmds: string[][] = [];
  for (const key of ['s', 't', 'far', 'l', 'h', 'st', 'z', 'none']) {
    for (const c of ['TYPE', 'TTL', 'PTTL', 'EXPIRETIME', 'PEXPIRETIME']) cmds.push([c, key]);
  }
  for (const [c, key] of [['STRLEN', 's'], ['STRLEN', 'none'], ['LLEN', 'l'], ['HLEN', 'h'], ['SCARD', 'st'], ['ZCARD', 'z'], ['ZCARD', 'none']]) cmds.push([c!, key!]);
  const p = ks.peek;
  const answered = p.answered;
  const t0 = performance.now();
  const fast = cmds.map((c) => kv.call(c[0]!, ...c.slice(1)));
  assert.equal(p.answered, answered + cmds.length);
  // the same commands under the lock (inside MULTI: never without it)
  const m = kv.multi();
  for (const c of cmds) m.call(c[0]!, ...c.slice(1));
  // (ioredis's shape: [error, reply] per command)
  const locked = (m.exec() as [unknown, unknown][]).map((r) => r[1]);
  assert.equal(p.answered, answered + cmds.length);
  // (a TTL moves on between the two by as much time as passed: on a loaded machine, more
  // than a few milliseconds; it never moves up)
  const slack = BigInt(Math.ceil(performance.now() - t0) + 2);
  const int = /^-?\d+$/;
  const near = (a: unknown, b: unknown) => {
    if (!int.test(String(a)) || !int.test(String(b))) return a === b;
    const d = BigInt(String(a)) - BigInt(String(b));
    return d >= -1n && d <= slack;
  };
  cmds.forEach((c, i) => assert.ok(near(fast[i], locked[i]), `${c.join(' ')}: ${String(fast[i])} without the lock, ${String(locked[i])} with it`));
  assert.equal(kv.call('PEXPIRETIME', 'far'), '9223372036854770000');
  assert.equal(kv.call('TYPE', 'z'), 'zset');
  assert.equal(kv.call('LLEN', 'l'), 3);
  // another type's length is WRONGTYPE, from the handler
  assert.throws(() => kv.call('LLEN', 's'), /WRONGTYPE/);
  assert.throws(() => kv.call('STRLEN', 'l'), /WRONGTYPE/);
});

test('accesses of reads without the lock reach the entries at the next lock', () => {
  kv.flushall();
  kv.call('CONFIG', 'SET', 'maxmemory-policy', 'noeviction');
  kv.set('idle', 'v');
  const e = entryOf('idle');
  const old = lruClock(Date.now()) - 100;
  ks.heap.dv.setUint32(e + O_LRU, old, true);
  assert.equal(kv.get('idle'), 'v');
  assert.equal(ks.peek.pending, 1, 'queued');
  assert.equal(ks.heap.dv.getUint32(e + O_LRU, true), old, 'not written without the lock');
  // OBJECT takes the lock: the queued access is written first
  assert.ok((kv.call('OBJECT', 'IDLETIME', 'idle') as number) <= 1);
  assert.equal(ks.peek.pending, 0);
  // a stamp already at this second is not queued again (unless the second just turned)
  const sec = lruClock(Date.now());
  kv.get('idle');
  if (lruClock(Date.now()) === sec) assert.equal(ks.peek.pending, 0);
  else kv.set('flush', 'x');

  // the queue is bounded: a full one makes the next read take the lock
  kv.mset(Array.from({ length: TOUCH_QUEUE + 10 }, (_, i) => [`q:${i}`, 'v'] as [string, string]));
  for (let i = 0; i < TOUCH_QUEUE + 10; i++) ks.heap.dv.setUint32(entryOf(`q:${i}`) + O_LRU, old, true);
  // (each stamp is the second of its read: between the seconds before and after the reads)
  const first = lruClock(Date.now());
  for (let i = 0; i < TOUCH_QUEUE + 10; i++) kv.get(`q:${i}`);
  assert.ok(ks.peek.pending < TOUCH_QUEUE, `${ks.peek.pending} queued`);
  kv.set('flush', 'x');
  const last = lruClock(Date.now());
  for (let i = 0; i < TOUCH_QUEUE + 10; i++) {
    const stamp = ks.heap.dv.getUint32(entryOf(`q:${i}`) + O_LRU, true);
    assert.ok(stamp >= first && stamp <= last, `q:${i}: ${stamp} not in [${first}, ${last}]`);
  }

  // an access queued for a key deleted (and its memory reused) before the lock is dropped
  ks.heap.dv.setUint32(entryOf('idle') + O_LRU, old, true);
  kv.get('idle');
  assert.equal(ks.peek.pending, 1);
  kv.del('idle');
  kv.set('idle', 'w');
  assert.equal(ks.peek.pending, 0);

  // LFU: every read counts (lfu-log-factor 0), written at the next lock
  kv.call('CONFIG', 'SET', 'maxmemory-policy', 'allkeys-lfu');
  kv.call('CONFIG', 'SET', 'lfu-log-factor', '0');
  try {
    kv.set('hot', 'v');
    const before = kv.call('OBJECT', 'FREQ', 'hot') as number;
    for (let i = 0; i < 10; i++) kv.get('hot');
    assert.equal(kv.call('OBJECT', 'FREQ', 'hot'), before + 10);
  } finally {
    kv.call('CONFIG', 'SET', 'maxmemory-policy', 'noeviction');
    kv.call('CONFIG', 'SET', 'lfu-log-factor', '10');
  }
});
