/**
 * CRC-64 (check value, incremental = one-shot whatever the split, a throughput log line)
 * and LZF (round trips, Redis's "must save 4 bytes" rule, and a fuzz of the decompressor:
 * any input either decompresses to exactly the announced length or throws RdbError —
 * never another error, never a hang).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Crc64, crc64, crc64Bytes } from '../../src/rdb/crc64.js';
import { LZF_MAX_RATIO, lzfCompress, lzfDecompress } from '../../src/rdb/lzf.js';
import { RdbError } from '../../src/rdb/value.js';
import { rng } from './helpers.js';

test('crc64: check value of "123456789" and of the empty input', () => {
  assert.equal(crc64(Buffer.from('123456789')), 0xe9c6d914c4b8d9can);
  assert.equal(crc64(new Uint8Array(0)), 0n);
  // little-endian digest, as Redis writes it
  assert.deepEqual([...crc64Bytes(Buffer.from('123456789'))], [0xca, 0xd9, 0xb8, 0xc4, 0x14, 0xd9, 0xc6, 0xe9]);
});

test('crc64: incremental updates equal the one-shot CRC for every split', () => {
  const r = rng(1);
  const data = r.bytes(300);
  const whole = crc64(data);
  for (let cut = 0; cut <= data.length; cut += 7) {
    const c = new Crc64().update(data, 0, cut).update(data, cut);
    assert.equal(c.digest(), whole, `cut at ${cut}`);
  }
  // byte by byte (exercises the tail loop only)
  const c = new Crc64();
  for (let i = 0; i < data.length; i++) c.update(data, i, i + 1);
  assert.equal(c.digest(), whole);
});

test('crc64: throughput (logged, no threshold)', () => {
  const data = rng(2).bytes(8 << 20);
  const t0 = process.hrtime.bigint();
  const v = new Crc64().update(data).digest();
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  console.log(`# crc64: ${(8 / (ms / 1000)).toFixed(0)} MB/s over 8 MiB (${ms.toFixed(1)} ms, crc ${v.toString(16)})`);
});

test('lzf: round trips of compressible data; null when it would not save 4 bytes', () => {
  const r = rng(3);
  for (let i = 0; i < 300; i++) {
    const n = r.int(1, 3000);
    const alpha = [2, 4, 16, 256][i % 4];
    const src = new Uint8Array(n);
    for (let j = 0; j < n; j++) src[j] = r.int(0, alpha - 1);
    const c = lzfCompress(src);
    if (c === null) continue;
    assert.ok(c.length <= n - 4, 'saves at least 4 bytes');
    assert.deepEqual(lzfDecompress(c, n), src);
  }
  assert.equal(lzfCompress(Buffer.from('abcd')), null, 'too short');
  assert.equal(lzfCompress(r.bytes(100)), null, 'random bytes do not compress');
  const a = new Uint8Array(100_000).fill(97);
  const c = lzfCompress(a)!;
  assert.ok(c.length < 2000);
  assert.deepEqual(lzfDecompress(c, a.length), a);
});

test('lzf: decompressing malformed input throws RdbError only, never reads past its input', () => {
  const r = rng(4);
  const valid: Uint8Array[] = [];
  for (let i = 0; i < 20; i++) {
    const src = new Uint8Array(r.int(30, 500));
    for (let j = 0; j < src.length; j++) src[j] = r.int(0, 3);
    const c = lzfCompress(src);
    if (c) valid.push(c);
  }
  let errors = 0;
  for (let i = 0; i < 20000; i++) {
    let input: Uint8Array;
    if (i % 2 === 0) {
      input = r.bytes(r.int(0, 40));
    } else {
      input = new Uint8Array(valid[i % valid.length]);
      const flips = r.int(1, 3);
      for (let f = 0; f < flips; f++) input[r.int(0, input.length - 1)] ^= 1 << r.int(0, 7);
      if (r.int(0, 3) === 0) input = input.subarray(0, r.int(0, input.length));
    }
    const outLen = r.int(0, Math.min(2000, input.length * LZF_MAX_RATIO));
    try {
      const out = lzfDecompress(input, outLen);
      assert.equal(out.length, outLen);
    } catch (e) {
      assert.ok(e instanceof RdbError, String(e));
      errors++;
    }
  }
  assert.ok(errors > 1000);
  // an announced length no compressed input could produce is refused before allocating
  assert.throws(() => lzfDecompress(new Uint8Array(10), 2 ** 40), RdbError);
  assert.throws(() => lzfDecompress(new Uint8Array(10), -1), RdbError);
});
