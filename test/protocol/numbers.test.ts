/**
 * Number parsing/formatting: fixed vectors (taken from redis-server 7.0.15) and differential
 * tests against a live redis-server.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  formatDouble,
  formatLongDouble,
  parseRedisDouble,
  parseRedisLongDouble,
  parseRedisInt,
  incrByFloat,
  LongDouble,
} from '../../src/protocol/index.js';
import { redisAvailable, startRedis, pipeline, warnSkip, type Oracle, type Reply } from './oracle.js';

const B = (s: string) => Buffer.from(s, 'latin1');

test('parseRedisInt: string2ll rules', () => {
  const ok: [string, number | bigint][] = [
    ['0', 0],
    ['1', 1],
    ['-1', -1],
    ['123', 123],
    ['9007199254740991', 9007199254740991],
    ['-9007199254740991', -9007199254740991],
    ['9007199254740992', 9007199254740992n],
    ['9223372036854775807', 9223372036854775807n],
    ['-9223372036854775808', -9223372036854775808n],
  ];
  for (const [s, v] of ok) assert.equal(parseRedisInt(s), v, s);
  for (const s of ['', '-', '-0', '+1', '01', ' 1', '1 ', '0x10', '1e3', '1.0', '9223372036854775808', '-9223372036854775809', '1\0', '00', '123456789012345678901']) {
    assert.equal(parseRedisInt(s), null, JSON.stringify(s));
  }
});

test('formatDouble: %.17g vectors from redis-server', () => {
  const v: [number, string][] = [
    [0.1, '0.10000000000000001'],
    [100000000000000.125, '100000000000000.12'],
    [100000000000000.375, '100000000000000.38'],
    [1e20, '1e+20'],
    [1.5e-5, '1.5e-05'],
    [0.0001, '0.0001'],
    [1e-5, '1.0000000000000001e-05'],
    [123456789012345678, '1.2345678901234568e+17'],
    [1e16, '10000000000000000'],
    [-92733969009771344, '-92733969009771344'],
    [1e-320, '9.9998886718268301e-321'],
    [1e308, '1e+308'],
    [-0, '-0'],
    [0, '0'],
    [3, '3'],
    [-2.5, '-2.5'],
    [Infinity, 'inf'],
    [-Infinity, '-inf'],
  ];
  for (const [x, s] of v) assert.equal(formatDouble(x), s, String(x));
});

test('formatLongDouble / incrByFloat: vectors from redis-server', () => {
  const inc = (a: string | null, b: string) => {
    const r = incrByFloat(a === null ? null : B(a), B(b));
    return r.ok ? r.text : r.error;
  };
  assert.equal(inc('0.1', '0.2'), '0.3');
  assert.equal(inc('0.2', '0.1'), '0.3');
  assert.equal(inc('0.3', '-0.3'), '0');
  assert.equal(inc('1e10', '1'), '10000000001');
  assert.equal(inc('1.5', '0.000000000000000005'), '1.5');
  assert.equal(inc('1.5', '0.000000000000000015'), '1.50000000000000001');
  assert.equal(inc('9223372036854775807', '1'), '9223372036854775808');
  assert.equal(inc(null, '3.0e0'), '3');
  assert.equal(inc(null, '-.5'), '-0.5');
  assert.equal(inc('0', '0x1p-2'), '0.25');
  assert.equal(inc('0.25', '1e-4940'), '0.25');
  assert.equal(inc('-0.0000000000000000001', '0'), '0');
  assert.equal(
    inc('0.3', '1e300'),
    '1000000000000000000008997324079559193870523944273290747938260082321265646596180935755849152083750497190350372508614274835903592556184672983913096260520748646287327135641843653294084255107606016789726652932370030551382947620994540294772781889620606179267611627097410650567187386105690089424915104006144',
  );
  assert.equal(inc('1', '1e4932').length, 4933);
  assert.equal(inc('0', '1\0x'), 'incr-not-float');
  assert.equal(inc('0', 'nan'), 'incr-not-float');
  assert.equal(inc('0', 'inf'), 'nan-or-inf');
  assert.equal(inc('0', 'INFINITY'), 'nan-or-inf');
  assert.equal(inc('0', '1e-5000'), 'incr-not-float');
  assert.equal(inc('0', '1.5e4932'), 'incr-not-float');
  assert.equal(inc(' 1', '1'), 'current-not-float');
  for (const bad of ['', '+', '1e', '0x', '1 ', ' 1', '-', '.', 'e5', '1e+', '0x1p', 'infinit']) assert.equal(inc('0', bad), 'incr-not-float', JSON.stringify(bad));
  assert.equal(inc('3', '0x1.8p1'), '6');
  assert.equal(inc('3', '1.0000000000000000000000000000001'), '4');
  assert.equal(formatLongDouble(0.5), '0.5');
  assert.equal(formatLongDouble(-0), '0');
  assert.equal(formatLongDouble(Infinity), 'inf');
  assert.equal(formatLongDouble(LongDouble.fromInt(-42)), '-42');
  assert.equal(parseRedisLongDouble('0.' + '1'.repeat(5117))?.isFinite(), true);
  assert.equal(parseRedisLongDouble('0.' + '1'.repeat(5118)), null);
});

test('parseRedisDouble: strtod rules', () => {
  const ok: [string, number][] = [
    ['0x10', 16],
    ['1e-320', 1e-320],
    ['.5', 0.5],
    ['5.', 5],
    ['+5', 5],
    ['-INF', -Infinity],
    ['infinity', Infinity],
    ['Inf', Infinity],
    ['1E3', 1000],
    ['0x1.8p1', 3],
    ['-0', -0],
    ['0e999999999', 0],
    ['4.9406564584124654e-324', 5e-324],
  ];
  for (const [s, v] of ok) assert.equal(parseRedisDouble(s), v, s);
  // integers (the digits-only fast path up to 15 digits, and just past it)
  const ints: [string, number][] = [
    ['000000012345', 12345],
    ['0', 0],
    ['-000000000007', -7],
    ['999999999999999', 999999999999999],
    ['-999999999999999', -999999999999999],
    ['9999999999999999', 1e16],
    ['12345678901234567890', 12345678901234567000],
    ['0000000000000000000000001', 1],
  ];
  for (const [s, v] of ints) assert.equal(parseRedisDouble(s), v, s);
  assert.ok(Object.is(parseRedisDouble('-0'), -0));
  assert.ok(Object.is(parseRedisDouble('-000'), -0));
  for (const s of ['-', '1-', '12a', '--5', '-+1', '1 2']) assert.equal(parseRedisDouble(s), null, JSON.stringify(s));
  for (const s of ['', ' 1', '1 ', 'nan', 'NaN', '-nan', '1e400', '1e-400', '1\0x', 'abc', '1e', '0x', '--1', '1..2', 'infinit', '0x1p']) {
    assert.equal(parseRedisDouble(s), null, JSON.stringify(s));
  }
});

// ---------------------------------------------------------------------------------------
// differential against redis-server

const available = redisAvailable();
if (!available) warnSkip('numbers');
let redis: Oracle | null = null;
before(async () => {
  if (available) redis = await startRedis();
});
after(async () => {
  await redis?.stop();
});

const text = (r: Reply): string => (r.t === '$' ? (r.v === null ? '(nil)' : r.v.toString('latin1')) : r.t === '*' ? '(array)' : r.t + r.v);

/** Doubles with exactly 18 significant digits ending in 5: the ties of %.17g. */
function tieDoubles(): number[] {
  const out: number[] = [];
  for (let i = 0; i < 40; i++) {
    const I = 100000000000000 + i * 7919 * 1000;
    for (const f of [0.125, 0.375, 0.625, 0.875]) out.push(I + f, -(I + f));
  }
  return out;
}

test('formatDouble equals ZSCORE replies of redis-server', { skip: !available }, async () => {
  const xs = [
    ...fc.sample(fc.double({ noNaN: true, noDefaultInfinity: true }), { numRuns: 1500, seed: 1 }),
    ...fc.sample(fc.double({ min: -1e6, max: 1e6, noNaN: true }), { numRuns: 300, seed: 2 }),
    ...fc.sample(fc.integer({ min: -1e9, max: 1e9 }).map((n) => n / 1000), { numRuns: 200, seed: 3 }),
    ...tieDoubles(),
    ...fc.sample(fc.integer({ min: 2 ** 53 / 1024, max: 1e17 / 1024 }).map((n) => n * 1024 + 0), { numRuns: 50, seed: 4 }),
    -92733969009771344,
    9007199254740993,
    5e-324,
    2.2250738585072014e-308,
    1.7976931348623157e308,
    0.1,
    1 / 3,
  ].filter((x) => !Object.is(x, -0));
  const cmds: string[][] = [['DEL', 'z']];
  const zadd = ['ZADD', 'z'];
  xs.forEach((x, i) => zadd.push(String(x), 'm' + i));
  cmds.push(zadd);
  xs.forEach((_, i) => cmds.push(['ZSCORE', 'z', 'm' + i]));
  const replies = await pipeline(redis!.socket, cmds);
  xs.forEach((x, i) => assert.equal(formatDouble(x), text(replies[i + 2]), `x = ${x}`));
});

test('parseRedisDouble accepts/rejects exactly as ZADD does, with the same value', { skip: !available }, async () => {
  const inputs = [
    '0x10', '0X1P-3', '0x.8', '0x1.', '0x1.fffffffffffff8p1023', '0x1.fffffffffffffp1023', '0x1p-1074', '0x1p-1075', '0x1.8p-1075', '0x1p1024',
    '1e-320', '1e-400', '2e-324', '3e-324', '1e400', '1.7976931348623158e308', '1.7976931348623159e308',
    '.5', '5.', '+5', '-INF', 'infinity', 'Inf', '+inf', 'nan', 'NAN', ' 1', '1 ', '1e', '1e+', '1e+5', '0x', '--1', '',
    '00012', '-0.0', '1_0', '1,5', '١', '0b1', '0o7', 'Infinity', '0.000000000000000000000000000000000000000000001',
    '123456789012345678901234567890', '2.4703282292062328e-324', '2.4703282292062327e-324',
  ];
  const more = fc.sample(
    fc.tuple(fc.constantFrom('', '-', '+'), fc.stringMatching(/^[0-9]{0,25}$/), fc.constantFrom('', '.'), fc.stringMatching(/^[0-9]{0,25}$/), fc.constantFrom('', 'e', 'E-', 'e+'), fc.integer({ min: 0, max: 400 })),
    { numRuns: 300, seed: 5 },
  ).map(([s, a, d, b, e, x]) => s + a + d + b + (e ? e + x : ''));
  const all = [...inputs, ...more];
  const cmds: string[][] = [['DEL', 'zd']];
  all.forEach((s, i) => cmds.push(['ZADD', 'zd', s, 'm' + i], ['ZSCORE', 'zd', 'm' + i]));
  const replies = await pipeline(redis!.socket, cmds);
  all.forEach((s, i) => {
    const add = replies[1 + 2 * i];
    const score = replies[2 + 2 * i];
    const ours = parseRedisDouble(s);
    if (add.t === '-') {
      assert.equal(ours, null, `${JSON.stringify(s)}: redis said ${add.v}`);
    } else {
      assert.notEqual(ours, null, `${JSON.stringify(s)} accepted by redis`);
      const expect = text(score);
      assert.equal(formatDouble(ours! === 0 ? 0 : ours!), expect === '-0' ? '0' : expect, JSON.stringify(s));
    }
  });
});

test('parseRedisInt accepts/rejects exactly as INCRBY does', { skip: !available }, async () => {
  const inputs = [
    '0', '-0', '+1', '01', ' 1', '1 ', '0x10', '1e3', '9223372036854775807', '-9223372036854775808', '9223372036854775808',
    '-9223372036854775809', '9007199254740993', '', '-', '00', '123456789012345678901', '1.0',
    ...fc.sample(fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }).map(String), { numRuns: 100, seed: 9 }),
  ];
  const cmds: string[][] = [];
  for (const s of inputs) cmds.push(['SET', 'ki', '0'], ['INCRBY', 'ki', s]);
  const replies = await pipeline(redis!.socket, cmds);
  inputs.forEach((s, i) => {
    const r = replies[2 * i + 1];
    const ours = parseRedisInt(s);
    if (r.t === '-') {
      assert.equal(r.v, 'ERR value is not an integer or out of range');
      assert.equal(ours, null, JSON.stringify(s));
    } else assert.equal(String(ours), r.v, JSON.stringify(s));
  });
});

test('incrByFloat equals INCRBYFLOAT of redis-server (80-bit long double)', { skip: !available }, async () => {
  const dec = fc
    .tuple(fc.constantFrom('', '-'), fc.stringMatching(/^[1-9][0-9]{0,20}$/), fc.stringMatching(/^[0-9]{0,22}$/), fc.constantFrom('', 'e-5', 'e10', 'e-20', 'e300', 'e-300', 'e4000', 'e-4000'))
    .map(([s, a, b, e]) => s + a + (b ? '.' + b : '') + e);
  const simple = fc.integer({ min: -100000, max: 100000 }).map((n) => String(n / 100));
  const pairs: [string, string][] = [
    ...fc.sample(fc.tuple(dec, dec), { numRuns: 200, seed: 11 }),
    ...fc.sample(fc.tuple(simple, simple), { numRuns: 150, seed: 12 }),
    ...fc.sample(fc.tuple(fc.double({ noNaN: true, noDefaultInfinity: true }).map(String), fc.double({ noNaN: true, noDefaultInfinity: true }).map(String)), { numRuns: 100, seed: 13 }),
    ['0.1', '0.2'],
    ['1.5', '0.000000000000000015'],
    ['0x1p-16445', '0'],
    ['0x1p-16446', '0'],
    ['1.18973149535723176502e4932', '0'],
    ['1.18973149535723176503e4932', '0'],
    ['-1e4932', '-1e4932'],
  ];
  const cmds: string[][] = [];
  for (const [a, b] of pairs) cmds.push(['SET', 'kf', a], ['INCRBYFLOAT', 'kf', b]);
  const replies = await pipeline(redis!.socket, cmds);
  pairs.forEach(([a, b], i) => {
    const r = replies[2 * i + 1];
    const ours = incrByFloat(B(a), B(b));
    const what = `${a} + ${b}`;
    if (r.t === '-') {
      assert.equal(ours.ok, false, `${what}: redis said ${r.v}`);
      if (!ours.ok) {
        assert.equal(r.v, ours.error === 'nan-or-inf' ? 'ERR increment would produce NaN or Infinity' : 'ERR value is not a valid float', what);
      }
    } else {
      assert.equal(ours.ok ? ours.text : ours.error, text(r), what);
    }
  });
});
