/**
 * Differential tests of the bitmap and HyperLogLog commands: the same random command
 * sequences go to a real redis-server 7.0 and to shmkv, and the raw replies must be equal
 * byte for byte — GET of every key included, so the bitmaps' bytes and the HLL values
 * (header, cached cardinality, sparse opcodes, dense registers) are compared exactly.
 * Also: an HLL written with SET from Redis's GET counts the same here, sparse → dense
 * promotion, corrupted values, and the undo log of SETBIT on a large string.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { RawClient } from '../helpers/raw-client.js';
import { startRedisOracle, type RedisOracle } from '../helpers/redis-oracle.js';
import { removeSegment, startShmkvServer, type ShmkvServer } from '../helpers/shmkv-server.js';
import { show } from '../helpers/differential.js';
import { open, type KV } from '../../src/kv/index.js';
import type { Heap } from '../../src/heap/heap.js';

type Cmd = (string | number | Buffer)[];

let redis: RedisOracle | null = null;
let shmkv: ShmkvServer;
let a: RawClient;
let b: RawClient;

before(async () => {
  redis = await startRedisOracle();
  shmkv = await startShmkvServer();
  if (redis) a = await RawClient.connect(redis.port);
  b = await RawClient.connect(shmkv.port);
});

after(async () => {
  a?.close();
  b?.close();
  await redis?.stop();
  await shmkv?.stop();
});

async function same(cmd: Cmd): Promise<Buffer> {
  const [ra, rb] = await Promise.all([a.call(...cmd), b.call(...cmd)]);
  if (!ra.equals(rb)) throw new Error(`${JSON.stringify(cmd.map((x) => (Buffer.isBuffer(x) ? x.toString('latin1') : x)))}\n  redis: ${show(ra)}\n  shmkv: ${show(rb)}`);
  return ra;
}

const keys = ['k1', 'k2', 'k3'];
const key = fc.constantFrom(...keys);

// ---------------------------------------------------------------- bitmaps

const bitOffsetArg = fc.oneof(
  { weight: 6, arbitrary: fc.integer({ min: 0, max: 120 }) },
  { weight: 2, arbitrary: fc.integer({ min: 0, max: 3000 }) },
  { weight: 1, arbitrary: fc.constantFrom(-1, 'x', '4294967296', '1.5', ' 1') },
);
const rangeInt = fc.oneof(
  { weight: 5, arbitrary: fc.integer({ min: -20, max: 20 }) },
  { weight: 1, arbitrary: fc.integer({ min: -200, max: 200 }) },
  { weight: 1, arbitrary: fc.constantFrom('9223372036854775807', '-9223372036854775808', 'x') },
);
const unit = fc.constantFrom('BIT', 'byte', 'Bit', 'BYTE', 'bogus');
const bfType = fc.oneof(
  { weight: 8, arbitrary: fc.tuple(fc.constantFrom('i', 'u'), fc.integer({ min: 1, max: 64 })).map(([s, n]) => `${s}${n}`) },
  { weight: 1, arbitrary: fc.constantFrom('u64', 'i65', 'x8', 'i0', 'u', 'i') },
);
const bfOffset = fc.oneof(
  { weight: 5, arbitrary: fc.integer({ min: 0, max: 100 }) },
  { weight: 2, arbitrary: fc.integer({ min: 0, max: 20 }).map((n) => `#${n}`) },
  { weight: 1, arbitrary: fc.constantFrom(-1, '#-1', 'x', '##1') },
);
const bfValue = fc.oneof(
  { weight: 4, arbitrary: fc.integer({ min: -300, max: 300 }) },
  { weight: 2, arbitrary: fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }).map(String) },
  { weight: 1, arbitrary: fc.constantFrom('9223372036854775807', '-9223372036854775808', '4294967296', '-4294967297', 'x') },
);
const bfSub: fc.Arbitrary<Cmd> = fc.oneof(
  fc.tuple(bfType, bfOffset).map(([t, o]) => ['GET', t, o]),
  fc.tuple(bfType, bfOffset, bfValue).map(([t, o, v]) => ['set', t, o, v]),
  fc.tuple(bfType, bfOffset, bfValue).map(([t, o, v]) => ['INCRBY', t, o, v]),
  fc.constantFrom<Cmd[]>(['OVERFLOW', 'WRAP'], ['overflow', 'sat'], ['OVERFLOW', 'FAIL'], ['overflow', 'bogus'], ['bogus'], ['get', 'u8']),
);
const strValue = fc.oneof(
  fc.constantFrom('', 'a', 'foobar', '1234', '-5', 'ÿÿÿ', '\x00\xff\x0f', 'x'.repeat(50)),
  fc.string({ maxLength: 10 }),
);

const bitCmd: fc.Arbitrary<Cmd> = fc.oneof(
  { weight: 8, arbitrary: fc.tuple(key, bitOffsetArg, fc.oneof({ weight: 9, arbitrary: fc.constantFrom(0, 1) }, { weight: 1, arbitrary: fc.constantFrom(2, -1, 'x') })).map(([k, o, v]) => ['setbit', k, o, v]) },
  { weight: 3, arbitrary: fc.tuple(key, bitOffsetArg).map(([k, o]) => ['getbit', k, o]) },
  { weight: 2, arbitrary: key.map((k) => ['bitcount', k]) },
  { weight: 3, arbitrary: fc.tuple(key, rangeInt, rangeInt).map(([k, s, e]) => ['bitcount', k, s, e]) },
  { weight: 3, arbitrary: fc.tuple(key, rangeInt, rangeInt, unit).map(([k, s, e, u]) => ['bitcount', k, s, e, u]) },
  { weight: 1, arbitrary: fc.tuple(key, rangeInt).map(([k, s]) => ['bitcount', k, s]) },
  { weight: 2, arbitrary: fc.tuple(key, fc.constantFrom(0, 1, 1, 0, 2, 'x')).map(([k, bit]) => ['bitpos', k, bit]) },
  { weight: 2, arbitrary: fc.tuple(key, fc.constantFrom(0, 1), rangeInt).map(([k, bit, s]) => ['bitpos', k, bit, s]) },
  { weight: 2, arbitrary: fc.tuple(key, fc.constantFrom(0, 1), rangeInt, rangeInt).map(([k, bit, s, e]) => ['bitpos', k, bit, s, e]) },
  { weight: 4, arbitrary: fc.tuple(key, fc.constantFrom(0, 1), rangeInt, rangeInt, unit).map(([k, bit, s, e, u]) => ['bitpos', k, bit, s, e, u]) },
  { weight: 1, arbitrary: fc.tuple(key, fc.constantFrom(0, 1)).map(([k, bit]) => ['bitpos', k, bit, 0, 1, 'bit', 'x']) },
  { weight: 3, arbitrary: fc.tuple(fc.constantFrom('AND', 'or', 'XOR', 'not', 'nand'), key, fc.array(fc.constantFrom(...keys, 'nokey'), { minLength: 1, maxLength: 3 })).map(([op, d, s]) => ['bitop', op, d, ...s]) },
  { weight: 4, arbitrary: fc.tuple(key, fc.array(bfSub, { minLength: 0, maxLength: 4 })).map(([k, subs]) => ['bitfield', k, ...subs.flat()]) },
  { weight: 2, arbitrary: fc.tuple(key, fc.array(bfSub, { minLength: 0, maxLength: 3 })).map(([k, subs]) => ['bitfield_ro', k, ...subs.flat()]) },
  { weight: 2, arbitrary: fc.tuple(key, strValue).map(([k, v]) => ['set', k, v]) },
  { weight: 1, arbitrary: fc.tuple(key, strValue).map(([k, v]) => ['append', k, v]) },
  { weight: 2, arbitrary: key.map((k) => ['get', k]) },
  { weight: 1, arbitrary: key.map((k) => ['object', 'encoding', k]) },
  { weight: 1, arbitrary: key.map((k) => ['strlen', k]) },
  { weight: 1, arbitrary: key.map((k) => ['del', k]) },
);

test('bitmaps: random SETBIT/GETBIT/BITCOUNT/BITPOS/BITOP/BITFIELD sequences give byte-identical replies and values', async (t) => {
  if (!redis) {
    t.skip('redis-server not installed: differential test NOT RUN');
    return;
  }
  await fc.assert(
    fc.asyncProperty(fc.array(bitCmd, { minLength: 1, maxLength: 40 }), async (cmds) => {
      await same(['flushall']);
      for (const c of cmds) await same(c);
      for (const k of keys) {
        await same(['get', k]);
        await same(['object', 'encoding', k]);
      }
    }),
    { numRuns: Number(process.env.SHMKV_DIFF_RUNS ?? 150), includeErrorInReport: true },
  );
});

test('bitmaps: edge cases of BITPOS, BITCOUNT and BITFIELD overflow', async (t) => {
  if (!redis) {
    t.skip('redis-server not installed: differential test NOT RUN');
    return;
  }
  await same(['flushall']);
  await same(['set', 'ones', Buffer.from([0xff, 0xff, 0xff])]);
  await same(['set', 'zeros', Buffer.from([0, 0, 0])]);
  await same(['set', 'empty', '']);
  await same(['set', 'mix', Buffer.from([0x00, 0xf0, 0x0f, 0xff, 0x00])]);
  for (const k of ['ones', 'zeros', 'empty', 'mix', 'nokey']) {
    for (const bit of [0, 1]) {
      await same(['bitpos', k, bit]);
      for (let s = -6; s <= 6; s++) {
        await same(['bitpos', k, bit, s]);
        for (let e = -6; e <= 6; e += 3) {
          await same(['bitpos', k, bit, s, e]);
          await same(['bitpos', k, bit, s * 5, e * 5, 'bit']);
          await same(['bitcount', k, s * 3, e * 4, 'bit']);
        }
      }
    }
  }
  // growth keeps the TTL; BITOP's destination loses it
  await same(['set', 'ttl', 'abc', 'EX', 1000]);
  await same(['setbit', 'ttl', 100000, 1]);
  await same(['ttl', 'ttl']);
  await same(['bitfield', 'ttl', 'set', 'u8', 900000, 255]);
  await same(['ttl', 'ttl']);
  await same(['strlen', 'ttl']);
  await same(['bitop', 'or', 'ttl', 'ttl', 'mix']);
  await same(['ttl', 'ttl']);
  for (const ty of ['i1', 'i8', 'i63', 'i64', 'u1', 'u8', 'u63']) {
    for (const ow of ['wrap', 'sat', 'fail']) {
      for (const v of ['9223372036854775807', '-9223372036854775808', '1', '-1', '128', '-129', '4611686018427387904', '-4611686018427387905']) {
        await same(['bitfield', 'bf', 'overflow', ow, 'set', ty, 3, v, 'get', ty, 3, 'incrby', ty, 3, v, 'incrby', ty, 3, v]);
        await same(['get', 'bf']);
      }
    }
  }
});

// ---------------------------------------------------------------- HyperLogLog

const element = fc.oneof({ weight: 5, arbitrary: fc.integer({ min: 0, max: 400 }).map((n) => `e${n}`) }, { weight: 1, arbitrary: fc.string({ maxLength: 20 }) });
const hllCmd: fc.Arbitrary<Cmd> = fc.oneof(
  { weight: 8, arbitrary: fc.tuple(key, fc.array(element, { maxLength: 30 })).map(([k, els]) => ['pfadd', k, ...els]) },
  { weight: 3, arbitrary: key.map((k) => ['pfcount', k]) },
  { weight: 2, arbitrary: fc.array(fc.constantFrom(...keys, 'nokey'), { minLength: 2, maxLength: 4 }).map((ks) => ['pfcount', ...ks]) },
  { weight: 2, arbitrary: fc.tuple(key, fc.array(fc.constantFrom(...keys, 'nokey'), { maxLength: 3 })).map(([d, ks]) => ['pfmerge', d, ...ks]) },
  { weight: 3, arbitrary: key.map((k) => ['get', k]) },
  { weight: 1, arbitrary: fc.tuple(fc.constantFrom('encoding', 'decode', 'todense', 'getreg', 'bogus'), key).map(([s, k]) => ['pfdebug', s, k]) },
  { weight: 1, arbitrary: fc.constantFrom(30, 60, 200, 3000).map((n) => ['config', 'set', 'hll-sparse-max-bytes', n]) },
  { weight: 1, arbitrary: fc.tuple(key, fc.constantFrom('x', 'HYLL', 'HYLL\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x80')).map(([k, v]) => ['set', k, v]) },
  { weight: 1, arbitrary: fc.tuple(key, fc.integer({ min: 0, max: 40 })).map(([k, o]) => ['setrange', k, o, 'Z']) },
  { weight: 1, arbitrary: key.map((k) => ['object', 'encoding', k]) },
);

test('HyperLogLog: random PFADD/PFCOUNT/PFMERGE sequences give byte-identical replies and HLL values', async (t) => {
  if (!redis) {
    t.skip('redis-server not installed: differential test NOT RUN');
    return;
  }
  try {
    await fc.assert(
      fc.asyncProperty(fc.array(hllCmd, { minLength: 1, maxLength: 30 }), async (cmds) => {
        await same(['flushall']);
        await same(['config', 'set', 'hll-sparse-max-bytes', 3000]);
        for (const c of cmds) await same(c);
        for (const k of keys) await same(['get', k]);
      }),
      { numRuns: Number(process.env.SHMKV_DIFF_RUNS ?? 100), includeErrorInReport: true },
    );
  } finally {
    await same(['config', 'set', 'hll-sparse-max-bytes', 3000]);
  }
});

test('HyperLogLog: thousands of elements (sparse → dense), merges, and values moved between the servers with GET/SET', async (t) => {
  if (!redis) {
    t.skip('redis-server not installed: differential test NOT RUN');
    return;
  }
  await same(['flushall']);
  for (let batch = 0; batch < 50; batch++) {
    const els: string[] = [];
    for (let i = 0; i < 100; i++) els.push(`el:${batch * 100 + i}`);
    await same(['pfadd', 'big', ...els]);
    await same(['pfadd', batch % 2 ? 'odd' : 'even', ...els.slice(0, 50)]);
    await same(['get', 'big']);
    if (batch % 5 === 0) {
      await same(['pfcount', 'big']);
      await same(['get', 'big']);
      await same(['pfdebug', 'encoding', 'big']);
    }
  }
  await same(['pfdebug', 'encoding', 'odd']);
  // a promotion to dense keeps the TTL
  await same(['pfadd', 'hot', 'x']);
  await same(['expire', 'hot', 1000]);
  const many: string[] = [];
  for (let i = 0; i < 3000; i++) many.push(`m${i}`);
  await same(['pfadd', 'hot', ...many]);
  await same(['pfdebug', 'encoding', 'hot']);
  await same(['ttl', 'hot']);
  await same(['get', 'hot']);
  await same(['pfcount', 'odd', 'even', 'big']);
  await same(['pfmerge', 'm', 'odd', 'even']);
  await same(['get', 'm']);
  await same(['pfmerge', 'odd', 'big']);
  await same(['get', 'odd']);
  await same(['pfcount', 'm']);
  await same(['pfdebug', 'getreg', 'even']);
  await same(['get', 'even']);
  // Redis's values SET here (and ours there) count and grow the same
  for (const k of ['big', 'm', 'odd']) {
    const v = (await a.callValue('get', k)) as { type: 'bulk'; value: Buffer };
    await same(['set', `${k}:copy`, v.value]);
    await same(['pfcount', `${k}:copy`]);
    await same(['pfadd', `${k}:copy`, 'one more', 'and another']);
    await same(['get', `${k}:copy`]);
  }
  await same(['pfadd', 'small', 'a', 'b', 'c']);
  const small = (await a.callValue('get', 'small')) as { type: 'bulk'; value: Buffer };
  await same(['set', 'small:copy', small.value]);
  await same(['pfcount', 'small:copy']);
  await same(['get', 'small:copy']);
  // a register that needs more than 32 (not representable sparse) promotes at once
  await same(['set', 'reg', small.value]);
  await same(['pfdebug', 'encoding', 'reg']);
});

test('HyperLogLog: corrupted and foreign values are rejected as Redis rejects them', async (t) => {
  if (!redis) {
    t.skip('redis-server not installed: differential test NOT RUN');
    return;
  }
  await same(['flushall']);
  await same(['pfadd', 'h', 'a', 'b', 'c']);
  const good = ((await a.callValue('get', 'h')) as { type: 'bulk'; value: Buffer }).value;
  const variants: Buffer[] = [
    Buffer.from('HYLL'),
    Buffer.from('HYLM' + good.subarray(4).toString('latin1'), 'latin1'),
    Buffer.concat([good.subarray(0, 4), Buffer.from([2]), good.subarray(5)]),
    Buffer.concat([good, Buffer.from([0x80, 0x80])]),
    Buffer.concat([good.subarray(0, 4), Buffer.from([0]), good.subarray(5)]),
    Buffer.concat([good.subarray(0, 16), Buffer.from([0x7f, 0xff, 0x7f, 0xff])]),
    good.subarray(0, good.length - 1),
    // sparse, no registers, cache marked invalid: PFCOUNT makes it raw, then finds it corrupted
    Buffer.from('HYLL\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x80', 'latin1'),
  ];
  for (const v of variants) {
    await same(['set', 'bad', v]);
    await same(['pfcount', 'bad']);
    await same(['object', 'encoding', 'bad']);
    await same(['pfcount', 'bad', 'h']);
    await same(['pfadd', 'bad', 'x', 'y', 'z']);
    await same(['get', 'bad']);
    await same(['pfmerge', 'dst', 'bad']);
    await same(['pfdebug', 'decode', 'bad']);
    await same(['pfdebug', 'todense', 'bad']);
  }
  await same(['set', 'int', 12345]);
  await same(['pfadd', 'int', 'a']);
  await same(['pfcount', 'int']);
  await same(['pfdebug', 'encoding', 'nokey']);
  await same(['pfdebug', 'bogus', 'h']);
});

// ---------------------------------------------------------------- the undo log of in-place writes

test('SETBIT on a large string logs only the bytes it changes, and grows it without copying', () => {
  const segment = `test-bits-${process.pid}`;
  const kv: KV = open({ segment, create: true });
  try {
    const heap = (kv as unknown as { ks: { heap: Heap } }).ks.heap;
    kv.set('big', Buffer.alloc(4 << 20, 0x55));
    let logged = 0;
    const orig = heap.log.bind(heap);
    heap.log = (off: number, len: number) => {
      logged += len;
      orig(off, len);
    };
    try {
      assert.equal(kv.setbit('big', 12345678, 1), 0);
      assert.ok(logged < 256, `SETBIT inside the string logged ${logged} bytes`);
      logged = 0;
      assert.deepEqual(kv.call('BITFIELD', 'big', 'SET', 'u16', 8000000, 7), [0x5555]);
      assert.ok(logged < 256, `BITFIELD SET logged ${logged} bytes`);
      logged = 0;
      // far out: the string grows (zero-filled); nothing of the 4 MiB is logged
      assert.equal(kv.setbit('big', 8 * (5 << 20), 1), 0);
      assert.ok(logged < 64 << 10, `a growth logged ${logged} bytes`);
    } finally {
      heap.log = orig;
    }
    assert.equal(kv.strlen('big'), (5 << 20) + 1);
    assert.equal(kv.getbit('big', 12345678), 1);
    assert.equal(kv.getbit('big', 8 * (5 << 20)), 1);
    assert.equal(kv.getbit('big', 8 * (5 << 20) - 1), 0);
    // 4 bits a byte, +1 (SETBIT), 8 → 3 bits (BITFIELD), +1 (the far bit)
    assert.equal(kv.bitcount('big'), 4 * (4 << 20) + 1 - 5 + 1);
    assert.equal(kv.pfadd('h', 'a', 'b', 'c'), 1);
    assert.equal(kv.pfadd('h', 'a'), 0);
    assert.equal(kv.pfcount('h'), 3);
    assert.equal(kv.pfcount('h', 'nokey'), 3);
  } finally {
    kv.close();
    removeSegment(segment);
  }
});
