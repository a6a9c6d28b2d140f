/**
 * Fuzzing the loader: a small valid file cut at every offset, random bit flips and byte
 * changes (with the checksum check on and off, so the parser goes as deep as a flip lets
 * it), hostile lengths and counts (2^32, 2^60 elements; strings and LZF sizes past the
 * end), odd combinations of containers, and DUMP payloads mutated the same way. Only
 * RdbError may come out, and no untrusted length may turn into an allocation beyond what
 * is left of the input: the process's ArrayBuffer memory is watched throughout.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BufferSource } from '../../src/rdb/decode.js';
import { RdbEncoder } from '../../src/rdb/encode.js';
import { crc64Bytes } from '../../src/rdb/crc64.js';
import { createDumpPayload, parseDumpPayload } from '../../src/rdb/dump.js';
import { RdbFileWriter, readRdbFile, type RdbVisitor } from '../../src/rdb/file.js';
import { RDB_OPCODE, RDB_TYPE } from '../../src/rdb/format.js';
import { lpEncode } from '../../src/rdb/listpack.js';
import { RdbError } from '../../src/rdb/value.js';
import { b, rng, sampleValues, ziplistEncode } from './helpers.js';

const visitor: RdbVisitor = { key() {}, aux() {}, emptyKey() {}, function() {} };

/** Watch ArrayBuffer memory: the most it grew above the start. */
function memoryWatch(): { sample(): void; maxGrowth(): number } {
  const base = process.memoryUsage().arrayBuffers;
  let max = 0;
  return {
    sample() {
      const g = process.memoryUsage().arrayBuffers - base;
      if (g > max) max = g;
    },
    maxGrowth: () => max,
  };
}

function onlyRdbError(fn: () => unknown): boolean {
  try {
    fn();
    return true;
  } catch (e) {
    if (!(e instanceof RdbError)) throw new Error(`not an RdbError: ${(e as Error)?.stack ?? String(e)}`);
    return false;
  }
}

function smallFile(): Uint8Array {
  const chunks: Uint8Array[] = [];
  const w = new RdbFileWriter({ sink: (c) => chunks.push(c) });
  w.aux([['redis-ver', '7.0.15']]);
  w.selectDb(0);
  w.resizeDb(8, 1);
  // the sample values, made small so the fuzz loop is quick
  for (const { name, v } of sampleValues(40)) w.key(b(name), v, name === 'list' ? { expireAt: 1_900_000_000_000 } : {});
  w.end();
  return new Uint8Array(Buffer.concat(chunks));
}

test('loader fuzz: truncation at every offset of a valid file', () => {
  const file = smallFile();
  assert.equal(readRdbFile(new BufferSource(file), visitor).checksum, 'verified');
  for (let n = 0; n < file.length; n++) {
    assert.throws(() => readRdbFile(new BufferSource(file.subarray(0, n)), visitor), RdbError, `cut at ${n}`);
  }
});

test('loader fuzz: random bit flips and byte changes (checksum on and off)', () => {
  const file = smallFile();
  const r = rng(20);
  const mem = memoryWatch();
  let parsed = 0;
  for (let i = 0; i < 6000; i++) {
    const c = new Uint8Array(file);
    const n = r.int(1, 4);
    for (let k = 0; k < n; k++) {
      const at = r.int(9, c.length - 1);
      if (r.int(0, 2) === 0) c[at] = r.pick([0, 0xff, 0x80, 0x81, 0xc3, 0x3f, 0x40, r.int(0, 255)]);
      else c[at] ^= 1 << r.int(0, 7);
    }
    if (onlyRdbError(() => readRdbFile(new BufferSource(c), visitor, { checksum: i % 2 === 0 }))) parsed++;
    if (i % 100 === 0) mem.sample();
  }
  mem.sample();
  assert.ok(parsed < 6000);
  assert.ok(mem.maxGrowth() < 64 << 20, `ArrayBuffer memory grew by ${mem.maxGrowth()} bytes`);
});

/** A file body (after the header) built with the encoder, no trailer (version 4). */
function v4(fill: (e: RdbEncoder) => void): Uint8Array {
  const e = new RdbEncoder({ compress: false });
  e.raw(b('REDIS0004'));
  fill(e);
  return e.takeBytes();
}

function len64(e: RdbEncoder, n: bigint): void {
  e.byte(0x81);
  for (let i = 7; i >= 0; i--) e.byte(Number((n >> BigInt(8 * i)) & 0xffn));
}

test('loader fuzz: hostile lengths and counts fail fast, without allocating from them', () => {
  const mem = memoryWatch();
  const cases: [string, Uint8Array][] = [];
  const counts: [string, (e: RdbEncoder) => void][] = [
    ['2^32-1', (e) => e.len(2 ** 32 - 1)],
    ['2^32', (e) => e.len(2 ** 32)],
    ['2^60', (e) => len64(e, 2n ** 60n)],
    ['2^64-1', (e) => len64(e, 2n ** 64n - 1n)],
  ];
  for (const [cn, count] of counts) {
    for (const t of [RDB_TYPE.LIST, RDB_TYPE.SET, RDB_TYPE.ZSET, RDB_TYPE.ZSET_2, RDB_TYPE.HASH, RDB_TYPE.LIST_QUICKLIST, RDB_TYPE.LIST_QUICKLIST_2]) {
      cases.push([`type ${t}, count ${cn}`, v4((e) => (e.byte(t), e.text('k'), count(e), e.text('a'), e.text('b')))]);
    }
    // a string (value, key, aux, blob) of that length
    cases.push([`string of ${cn}`, v4((e) => (e.byte(RDB_TYPE.STRING), e.text('k'), count(e), e.raw(b('abc'))))]);
    cases.push([`key of ${cn}`, v4((e) => (e.byte(RDB_TYPE.STRING), count(e), e.raw(b('abc'))))]);
    cases.push([`aux of ${cn}`, v4((e) => (e.byte(RDB_OPCODE.AUX), count(e), e.raw(b('abc'))))]);
    cases.push([`blob of ${cn}`, v4((e) => (e.byte(RDB_TYPE.HASH_LISTPACK), e.text('k'), count(e), e.raw(b('abc'))))]);
    // LZF: compressed or uncompressed length of that size
    cases.push([`lzf clen ${cn}`, v4((e) => (e.byte(RDB_TYPE.STRING), e.text('k'), e.byte(0xc3), count(e), e.len(10), e.raw(b('abc'))))]);
    cases.push([`lzf ulen ${cn}`, v4((e) => (e.byte(RDB_TYPE.STRING), e.text('k'), e.byte(0xc3), e.len(3), count(e), e.raw(b('abc'))))]);
    cases.push([`selectdb ${cn}`, v4((e) => (e.byte(RDB_OPCODE.SELECTDB), count(e), e.byte(RDB_OPCODE.EOF)))]);
  }
  // listpack / ziplist blobs claiming huge sizes or counts inside a small blob
  const lp = lpEncode([b('a'), b('b')]);
  const lpHuge = new Uint8Array(lp);
  lpHuge[4] = 0xfe;
  lpHuge[5] = 0xff;
  cases.push(['listpack count 65534', v4((e) => (e.byte(RDB_TYPE.SET_LISTPACK), e.text('k'), e.string(lpHuge)))]);
  const lpStr = new Uint8Array([12, 0, 0, 0, 1, 0, 0xf0, 0xff, 0xff, 0xff, 0x7f, 0xff]);
  cases.push(['listpack 32-bit string past the end', v4((e) => (e.byte(RDB_TYPE.LIST_QUICKLIST_2), e.text('k'), e.len(1), e.len(2), e.string(lpStr)))]);
  const zl = ziplistEncode([b('a')]);
  const zlHuge = new Uint8Array(zl);
  zlHuge[11] = 0x80;
  zlHuge[12] = 0xff;
  cases.push(['ziplist 32-bit string past the end', v4((e) => (e.byte(RDB_TYPE.LIST_ZIPLIST), e.text('k'), e.string(zlHuge)))]);
  // odd combinations: a quicklist whose node is an LZF-compressed ziplist of a listpack; a
  // plain node holding a listpack; a ZSET_LISTPACK holding a ziplist
  const inner = lpEncode([b('x'.repeat(50)), b('y'.repeat(50))]);
  cases.push(['quicklist node: ziplist of a listpack', v4((e) => {
    const c = new RdbEncoder({ compress: true });
    c.byte(RDB_TYPE.LIST_QUICKLIST);
    c.text('k');
    c.len(1);
    c.string(ziplistEncode([inner, inner]));
    e.raw(c.takeBytes());
    e.byte(RDB_OPCODE.EOF);
  })]);
  cases.push(['plain node of a listpack', v4((e) => (e.byte(RDB_TYPE.LIST_QUICKLIST_2), e.text('k'), e.len(1), e.len(1), e.string(inner), e.byte(RDB_OPCODE.EOF)))]);
  cases.push(['zset listpack holding a ziplist', v4((e) => (e.byte(RDB_TYPE.ZSET_LISTPACK), e.text('k'), e.string(ziplistEncode([b('a'), b('1')])), e.byte(RDB_OPCODE.EOF)))]);
  cases.push(['endless opcodes', v4((e) => { for (let i = 0; i < 10000; i++) e.byte(RDB_OPCODE.FREQ), e.byte(1); })]);

  const loaded: string[] = [];
  for (const [name, file] of cases) {
    try {
      readRdbFile(new BufferSource(file), visitor);
      loaded.push(name);
    } catch (e) {
      assert.ok(e instanceof RdbError, `${name}: ${String(e)}`);
    }
    mem.sample();
  }
  // well-formed after all: a database number is the visitor's to judge; odd but valid nestings
  assert.deepEqual(loaded, ['selectdb 2^32-1', 'selectdb 2^32', 'quicklist node: ziplist of a listpack', 'plain node of a listpack']);
  assert.ok(mem.maxGrowth() < 64 << 20, `ArrayBuffer memory grew by ${mem.maxGrowth()} bytes`);
});

test('DUMP payload fuzz: mutations and truncations give RdbError only', () => {
  const r = rng(21);
  const payloads = sampleValues().map(({ v }) => createDumpPayload(v));
  const mem = memoryWatch();
  for (let i = 0; i < 8000; i++) {
    const p = payloads[i % payloads.length];
    let c = new Uint8Array(p.subarray(0, p.length - 8));
    for (let k = r.int(1, 3); k > 0; k--) c[r.int(0, c.length - 1)] ^= 1 << r.int(0, 7);
    if (r.int(0, 4) === 0) c = c.subarray(0, r.int(0, c.length));
    // re-seal with a right CRC half the time, so the body parser is what gets tested
    const sealed = i % 2 === 0 ? new Uint8Array([...c, ...crc64Bytes(c)]) : new Uint8Array([...c, ...p.subarray(p.length - 8)]);
    onlyRdbError(() => parseDumpPayload(sealed));
    onlyRdbError(() => parseDumpPayload(sealed, { skipChecksum: true }));
    if (i % 200 === 0) mem.sample();
  }
  assert.ok(mem.maxGrowth() < 64 << 20);
});
