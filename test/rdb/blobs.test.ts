/**
 * The blob formats inside RDB values: listpack (written byte for byte as Redis writes it,
 * read with deep validation), ziplist and zipmap (read only: built here by small test
 * writers that follow ziplist.c / zipmap.c), intset (both ways). Round trips at every
 * encoding boundary, then hostile blobs: every truncation, random bit flips, and
 * hand-made inconsistencies must give RdbError (or, for a flip that happens to leave a
 * valid blob, a clean decode) — never another exception.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { lpDecode, lpEncode } from '../../src/rdb/listpack.js';
import { ziplistDecode } from '../../src/rdb/ziplist.js';
import { zipmapDecode } from '../../src/rdb/zipmap.js';
import { intsetDecode, intsetEncode } from '../../src/rdb/intset.js';
import { RdbError } from '../../src/rdb/value.js';
import { b, rng, s, ziplistEncode, zipmapEncode } from './helpers.js';

// --- element sets ----------------------------------------------------------------------

function boundaryElements(): Uint8Array[] {
  const ints = [
    '0', '1', '12', '13', '127', '128', '-1', '-128', '-129', '4095', '4096', '-4096', '-4097', '32767', '32768', '-32768', '-32769',
    '8388607', '8388608', '-8388608', '-8388609', '2147483647', '2147483648', '-2147483648', '-2147483649',
    '9007199254740991', '9007199254740993', '-9007199254740993', '9223372036854775807', '-9223372036854775808',
  ];
  const notInts = ['-0', '01', '+1', ' 1', '1 ', '9223372036854775808', '-9223372036854775809', '1e3', '', 'a'];
  const strs = [63, 64, 4095, 4096, 20000].map((n) => b('s'.repeat(n)));
  return [...ints.map(b), ...notInts.map(b), ...strs];
}

function expectRdbErrorOrDecode(fn: () => unknown): 'error' | 'ok' {
  try {
    fn();
    return 'ok';
  } catch (e) {
    assert.ok(e instanceof RdbError, `not an RdbError: ${String((e as Error)?.stack ?? e)}`);
    return 'error';
  }
}

// --- listpack --------------------------------------------------------------------------

test('listpack: byte-exact with Redis (lpAppend of a small hash and of integer edge cases)', () => {
  // DUMP of HSET h f 1 g v in Redis 7.0: the blob after the type and length bytes
  assert.deepEqual(
    Buffer.from(lpEncode([b('f'), b('1'), b('g'), b('v')])),
    Buffer.from('12000000040081660201018167028176' + '02ff', 'hex'),
  );
  // 7-bit, 13-bit, 16, 24, 32, 64-bit integer encodings
  const lp = lpEncode([b('127'), b('-4096'), b('32767'), b('-8388608'), b('2147483647'), b('-9223372036854775808')]);
  const entries = Buffer.from(lp.subarray(6, lp.length - 1)).toString('hex');
  assert.equal(entries, '7f01' + 'd00002' + 'f1ff7f03' + 'f200008004' + 'f3ffffff7f05' + 'f4000000000000008009');
});

test('listpack: round trip of every encoding and backlen size', () => {
  const els = boundaryElements();
  assert.deepEqual(lpDecode(lpEncode(els)).map(s), els.map(s));
  // entry sizes around each backlen boundary (127/128, 16382/16383) and a 32-bit string
  for (const n of [125, 126, 127, 128, 4093, 4094, 4095, 4096, 16376, 16377, 16378, 16379, 16380, 70000]) {
    const e = b('q'.repeat(n));
    assert.deepEqual(lpDecode(lpEncode([e, b('x')])).map(s), [s(e), 'x'], `length ${n}`);
  }
  assert.deepEqual(lpDecode(lpEncode([])), []);
});

test('listpack: more than 65534 elements count as "unknown" in the header', () => {
  const els: Uint8Array[] = [];
  for (let i = 0; i < 70000; i++) els.push(b(String(i % 100)));
  const lp = lpEncode(els);
  assert.equal(lp[4] | (lp[5] << 8), 65535);
  assert.equal(lpDecode(lp).length, 70000);
  const exact = lpEncode(els.slice(0, 65534));
  assert.equal(exact[4] | (exact[5] << 8), 65534);
});

test('listpack: hostile blobs give RdbError', () => {
  const good = lpEncode([b('a'), b('100'), b('x'.repeat(200)), b('-5000'), b('9223372036854775807')]);
  // every truncation (the header's total no longer matches, or the end byte is gone)
  for (let n = 0; n < good.length; n++) assert.throws(() => lpDecode(good.subarray(0, n)), RdbError, `cut at ${n}`);
  const fix = (lp: Uint8Array): Uint8Array => {
    const c = new Uint8Array(lp);
    c[0] = c.length & 0xff;
    c[1] = (c.length >> 8) & 0xff;
    c[2] = c[3] = 0;
    return c;
  };
  // wrong count, wrong backlen, invalid encoding, an end byte in the middle
  const c1 = new Uint8Array(good);
  c1[4] = 4;
  assert.throws(() => lpDecode(c1), /header says 4 elements/);
  const c2 = new Uint8Array(good);
  c2[7 + 1] = 3; // backlen of "a" (size 2)
  assert.throws(() => lpDecode(c2), /backlen/);
  const c3 = new Uint8Array(good);
  c3[6] = 0xf5;
  assert.throws(() => lpDecode(c3), /invalid encoding/);
  assert.throws(() => lpDecode(fix(new Uint8Array([0, 0, 0, 0, 1, 0, 0xff, 0x81, 0x61, 0x02, 0xff]))), /end byte/);
  // a 32-bit string length pointing far past the end
  assert.throws(() => lpDecode(fix(new Uint8Array([0, 0, 0, 0, 1, 0, 0xf0, 0xff, 0xff, 0xff, 0x7f, 0x61, 0xff]))), /past the end/);
  // random flips
  const r = rng(10);
  let ok = 0;
  for (let i = 0; i < 5000; i++) {
    const c = new Uint8Array(good);
    for (let k = r.int(1, 3); k > 0; k--) c[r.int(0, c.length - 1)] ^= 1 << r.int(0, 7);
    if (expectRdbErrorOrDecode(() => lpDecode(c)) === 'ok') ok++;
  }
  assert.ok(ok < 5000);
});

// --- ziplist ---------------------------------------------------------------------------

test('ziplist: round trip of every encoding, the 5-byte prevlen and the empty ziplist', () => {
  const els = boundaryElements();
  assert.deepEqual(ziplistDecode(ziplistEncode(els)).map(s), els.map(s));
  // immediate 0..12, then int8
  assert.deepEqual(ziplistDecode(ziplistEncode(['0', '12', '13', '-1'].map(b))).map(s), ['0', '12', '13', '-1']);
  assert.deepEqual(ziplistDecode(ziplistEncode([b('a'), b('b')], { bigPrevlen: true })).map(s), ['a', 'b']);
  assert.deepEqual(ziplistDecode(ziplistEncode([])), []);
  assert.equal(ziplistDecode(ziplistEncode([b('a'), b('b')], { count: 65535 })).length, 2);
});

test('ziplist: hostile blobs give RdbError', () => {
  const good = ziplistEncode([b('a'), b('300'), b('y'.repeat(300)), b('-70000'), b('x')]);
  for (let n = 0; n < good.length; n++) assert.throws(() => ziplistDecode(good.subarray(0, n)), RdbError, `cut at ${n}`);
  assert.throws(() => ziplistDecode(ziplistEncode([b('a'), b('b')], { count: 3 })), /header says 3/);
  const tail = new Uint8Array(good);
  tail[4] = 10; // the tail offset must be the last entry's
  assert.throws(() => ziplistDecode(tail), /tail offset/);
  const prev = new Uint8Array(good);
  prev[10] = 5; // the first entry's prevlen must be 0
  assert.throws(() => ziplistDecode(prev), RdbError);
  const enc = new Uint8Array(good);
  enc[11] = 0xc5; // not an encoding
  assert.throws(() => ziplistDecode(enc), /invalid encoding/);
  const r = rng(11);
  for (let i = 0; i < 5000; i++) {
    const c = new Uint8Array(good);
    for (let k = r.int(1, 3); k > 0; k--) c[r.int(0, c.length - 1)] ^= 1 << r.int(0, 7);
    expectRdbErrorOrDecode(() => ziplistDecode(c));
  }
});

// --- zipmap ----------------------------------------------------------------------------

test('zipmap: round trip with long lengths and free bytes; hostile blobs give RdbError', () => {
  const pairs: [Uint8Array, Uint8Array][] = [
    [b('f1'), b('v1')],
    [b('k'.repeat(300)), b('')],
    [b(''), b('v'.repeat(1000))],
  ];
  for (const free of [0, 3]) {
    const d = zipmapDecode(zipmapEncode(pairs, free));
    assert.deepEqual(d.fields.map(s), pairs.map((p) => s(p[0])));
    assert.deepEqual(d.values.map(s), pairs.map((p) => s(p[1])));
  }
  assert.equal(zipmapDecode(zipmapEncode(pairs, 0, 254)).fields.length, 3, '254: count unknown');
  assert.throws(() => zipmapDecode(zipmapEncode([])), /empty/);
  assert.throws(() => zipmapDecode(zipmapEncode(pairs, 0, 2)), /header says 2/);
  const good = zipmapEncode(pairs, 2);
  for (let n = 0; n < good.length; n++) assert.throws(() => zipmapDecode(good.subarray(0, n)), RdbError, `cut at ${n}`);
  const r = rng(12);
  for (let i = 0; i < 5000; i++) {
    const c = new Uint8Array(good);
    for (let k = r.int(1, 3); k > 0; k--) c[r.int(0, c.length - 1)] ^= 1 << r.int(0, 7);
    expectRdbErrorOrDecode(() => zipmapDecode(c));
  }
});

// --- intset ----------------------------------------------------------------------------

test('intset: widths, order, round trips; hostile blobs give RdbError', () => {
  const enc16 = intsetEncode(['3', '-1', '32767'].map(b))!;
  assert.equal(Buffer.from(enc16).toString('hex'), '02000000' + '03000000' + 'ffff' + '0300' + 'ff7f');
  const enc32 = intsetEncode(['1', '32768'].map(b))!;
  assert.equal(enc32[0], 4);
  const big = ['-9223372036854775808', '5', '9223372036854775807', '9007199254740993'];
  const enc64 = intsetEncode(big.map(b))!;
  assert.equal(enc64[0], 8);
  assert.deepEqual(intsetDecode(enc64).map(s), ['-9223372036854775808', '5', '9007199254740993', '9223372036854775807']);
  assert.equal(intsetEncode(['1', 'a'].map(b)), null);
  assert.equal(intsetEncode(['01'].map(b)), null);
  assert.throws(() => intsetEncode(['1', '1'].map(b)), /duplicate/);

  assert.throws(() => intsetDecode(new Uint8Array([2, 0, 0, 0, 0, 0, 0, 0])), /empty/);
  assert.throws(() => intsetDecode(new Uint8Array([3, 0, 0, 0, 1, 0, 0, 0, 1, 0, 0])), /unknown encoding/);
  assert.throws(() => intsetDecode(new Uint8Array([2, 0, 0, 0, 2, 0, 0, 0, 1, 0])), /do not make/);
  assert.throws(() => intsetDecode(new Uint8Array([2, 0, 0, 0, 2, 0, 0, 0, 5, 0, 1, 0])), /not above/);
  assert.throws(() => intsetDecode(new Uint8Array([2, 0, 0, 0, 2, 0, 0, 0, 5, 0, 5, 0])), /not above/);
  assert.throws(() => intsetDecode(new Uint8Array([2, 0, 0, 0, 255, 255, 255, 255, 5, 0])), /do not make/);
  for (let n = 0; n < enc64.length; n++) assert.throws(() => intsetDecode(enc64.subarray(0, n)), RdbError);
});
