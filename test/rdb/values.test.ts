/**
 * Values, DUMP payloads and files without Redis: every value kind and encoding through
 * createDumpPayload/parseDumpPayload and through a file (in memory, and read from disk
 * through a tiny window); the value types only old files have (LIST, SET, ZSET with text
 * scores, HASH, zipmap, ziplist, quicklist) and 7.2's SET_LISTPACK built by hand;
 * Redis's validation (duplicates, empty keys, NaN scores) and its DUMP reply texts; the
 * file reader's errors, opcodes and checksum rules.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { RdbEncoder } from '../../src/rdb/encode.js';
import { BufferSource, FdSource, RdbDecoder } from '../../src/rdb/decode.js';
import { crc64Bytes } from '../../src/rdb/crc64.js';
import { DUMP_BAD_DATA_FORMAT, DUMP_VERSION_OR_CHECKSUM_WRONG, createDumpPayload, parseDumpPayload } from '../../src/rdb/dump.js';
import { RdbFileWriter, readRdbFile, readRdbFilePath, writeRdbFilePath, type RdbVisitor } from '../../src/rdb/file.js';
import { RDB_OPCODE, RDB_TYPE } from '../../src/rdb/format.js';
import { lpEncode } from '../../src/rdb/listpack.js';
import { intsetEncode } from '../../src/rdb/intset.js';
import { RdbUnsupportedError, readValue, rdbValueType } from '../../src/rdb/values.js';
import { OBJ_LIST, OBJ_SET, OBJ_STRING, OBJ_ZSET, RdbError, type RdbKeyMeta, type RdbValue } from '../../src/rdb/value.js';
import { b, canon, rng, s, sampleValues, ziplistEncode, zipmapEncode } from './helpers.js';

/** A DUMP payload around a body written by `fill`. */
function payload(fill: (e: RdbEncoder) => void, version = 10): Uint8Array {
  const e = new RdbEncoder({ compress: false });
  fill(e);
  e.byte(version & 0xff);
  e.byte(version >> 8);
  const body = e.takeBytes();
  return new Uint8Array([...body, ...crc64Bytes(body)]);
}

function badData(fn: () => unknown, cause: RegExp): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof RdbError);
    assert.equal(e.message, DUMP_BAD_DATA_FORMAT);
    assert.match(String((e.cause as Error)?.message), cause);
    return true;
  });
}

test('DUMP payloads: every value kind and encoding round trips, with and without compression', () => {
  for (const { name, v } of sampleValues()) {
    for (const compress of [true, false]) {
      const p = createDumpPayload(v, { compress });
      assert.equal(p[0], rdbValueType(v), name);
      const back = parseDumpPayload(p);
      assert.deepEqual(canon(back), canon(v), name);
      if ('encoding' in v) assert.equal((back as typeof v).encoding, v.encoding, name);
      if (v.type === OBJ_LIST) assert.deepEqual(back, v, `${name}: nodes kept`);
      // writing what was read gives the same bytes
      assert.deepEqual(createDumpPayload(back, { compress }), p, name);
    }
  }
});

test('DUMP payloads: compression follows Redis (strings > 20 bytes that save 4 bytes)', () => {
  const long = createDumpPayload({ type: OBJ_STRING, value: b('a'.repeat(21)) });
  assert.equal(long[1], 0xc3, 'LZF');
  assert.notEqual(createDumpPayload({ type: OBJ_STRING, value: b('a'.repeat(20)) })[1], 0xc3);
  assert.notEqual(createDumpPayload({ type: OBJ_STRING, value: b('a'.repeat(21)) }, { compress: false })[1], 0xc3);
  // integer encodings: INT8 / INT16 / INT32, and text past int32 or non-canonical
  assert.deepEqual([...createDumpPayload({ type: OBJ_STRING, value: b('-1') }).subarray(0, 3)], [0, 0xc0, 0xff]);
  assert.deepEqual([...createDumpPayload({ type: OBJ_STRING, value: b('300') }).subarray(0, 4)], [0, 0xc1, 0x2c, 0x01]);
  assert.equal(createDumpPayload({ type: OBJ_STRING, value: b('-2147483648') })[1], 0xc2);
  assert.equal(createDumpPayload({ type: OBJ_STRING, value: b('2147483648') })[1], 10);
  assert.equal(createDumpPayload({ type: OBJ_STRING, value: b('01') })[1], 2);
});

test('DUMP payloads: Redis reply texts for wrong version, checksum, bad data; clear errors for unsupported types', () => {
  const good = createDumpPayload({ type: OBJ_STRING, value: b('hello') });
  assert.throws(() => parseDumpPayload(good.subarray(0, 9)), { message: DUMP_VERSION_OR_CHECKSUM_WRONG });
  const crc = new Uint8Array(good);
  crc[crc.length - 1] ^= 1;
  assert.throws(() => parseDumpPayload(crc), { message: DUMP_VERSION_OR_CHECKSUM_WRONG });
  assert.equal(s((parseDumpPayload(crc, { skipChecksum: true }) as { value: Uint8Array }).value), 'hello');
  const v11 = payload((e) => {
    e.byte(0);
    e.text('x');
  }, 11);
  assert.throws(() => parseDumpPayload(v11), { message: DUMP_VERSION_OR_CHECKSUM_WRONG });
  // older versions are fine
  assert.equal(s((parseDumpPayload(payload((e) => (e.byte(0), e.text('x')), 6)) as { value: Uint8Array }).value), 'x');

  badData(() => parseDumpPayload(payload((e) => (e.byte(0), e.text('x'), e.byte(0)))), /1 bytes follow the value/);
  badData(() => parseDumpPayload(payload(() => {})), /no value/);
  badData(() => parseDumpPayload(payload((e) => e.byte(8))), /unknown value type 8/);
  badData(() => parseDumpPayload(payload((e) => e.byte(22))), /unknown value type 22/);
  badData(() => parseDumpPayload(payload((e) => (e.byte(RDB_TYPE.SET), e.len(0)))), /empty collection/);
  badData(() => parseDumpPayload(payload((e) => (e.byte(0), e.len(100), e.text('x')))), /past the end/);
  assert.throws(() => parseDumpPayload(payload((e) => (e.byte(RDB_TYPE.STREAM_LISTPACKS_2), e.len(0)))), (e: unknown) => {
    assert.ok(e instanceof RdbUnsupportedError);
    assert.equal(e.message, 'the DUMP payload holds a stream, which this version of shmkv does not support');
    return true;
  });
  // a module value names its module type (9 characters from the id's top 54 bits)
  const id = (BigInt(0x22) << 58n) | (BigInt(0x1d) << 52n) | 3n; // 'i', 'd' then 'A's; encoding version 3
  const mod = payload((e) => {
    e.byte(RDB_TYPE.MODULE_2);
    e.byte(0x81);
    for (let i = 7; i >= 0; i--) e.byte(Number((id >> BigInt(8 * i)) & 0xffn));
  });
  assert.throws(() => parseDumpPayload(mod), /module type 'idAAAAAAA'/);
});

test('DUMP payloads: validation as deep sanitisation (duplicates, odd pairs, NaN, order, containers)', () => {
  const lpBody = (type: number, els: string[]) => payload((e) => (e.byte(type), e.string(lpEncode(els.map(b)))));
  badData(() => parseDumpPayload(lpBody(RDB_TYPE.HASH_LISTPACK, ['f', '1', 'f', '2'])), /duplicate hash field/);
  badData(() => parseDumpPayload(lpBody(RDB_TYPE.HASH_LISTPACK, ['f', '1', 'g'])), /odd number/);
  badData(() => parseDumpPayload(lpBody(RDB_TYPE.ZSET_LISTPACK, ['a', '1', 'a', '2'])), /duplicate sorted set member/);
  badData(() => parseDumpPayload(lpBody(RDB_TYPE.ZSET_LISTPACK, ['a', '2', 'b', '1'])), /out of order/);
  badData(() => parseDumpPayload(lpBody(RDB_TYPE.ZSET_LISTPACK, ['b', '1', 'a', '1'])), /out of order/);
  badData(() => parseDumpPayload(lpBody(RDB_TYPE.ZSET_LISTPACK, ['a', 'nan'])), /unreadable score/);
  badData(() => parseDumpPayload(lpBody(RDB_TYPE.SET_LISTPACK, ['a', 'a'])), /duplicate set member/);
  badData(() => parseDumpPayload(lpBody(RDB_TYPE.HASH_LISTPACK, [])), /empty collection/);
  badData(() => parseDumpPayload(payload((e) => (e.byte(RDB_TYPE.SET), e.len(2), e.text('a'), e.text('a')))), /duplicate set member/);
  badData(() => parseDumpPayload(payload((e) => (e.byte(RDB_TYPE.HASH), e.len(2), e.text('f'), e.text('1'), e.text('f'), e.text('2')))), /duplicate hash field/);
  badData(() => parseDumpPayload(payload((e) => (e.byte(RDB_TYPE.ZSET_2), e.len(2), e.text('m'), e.binaryDouble(1), e.text('m'), e.binaryDouble(2)))), /duplicate/);
  badData(() => parseDumpPayload(payload((e) => (e.byte(RDB_TYPE.ZSET_2), e.len(1), e.text('m'), e.binaryDouble(NaN)))), /NaN/);
  badData(() => parseDumpPayload(payload((e) => (e.byte(RDB_TYPE.LIST_QUICKLIST_2), e.len(1), e.len(3), e.text('x')))), /unknown container 3/);
  badData(() => parseDumpPayload(payload((e) => (e.byte(RDB_TYPE.LIST_QUICKLIST_2), e.len(1), e.len(1), e.text('')))), /node 0 is empty/);
  // empty packed nodes are skipped; a list left empty is an empty key
  const skip = parseDumpPayload(payload((e) => {
    e.byte(RDB_TYPE.LIST_QUICKLIST_2);
    e.len(2);
    e.len(2);
    e.string(lpEncode([]));
    e.len(2);
    e.string(lpEncode([b('a')]));
  }));
  assert.deepEqual(canon(skip), { t: 'list', v: ['a'] });
  badData(() => parseDumpPayload(payload((e) => (e.byte(RDB_TYPE.LIST_QUICKLIST_2), e.len(1), e.len(2), e.string(lpEncode([]))))), /empty collection/);
  const blob = intsetEncode([b('1'), b('2')])!;
  const dupIntset = new Uint8Array(blob);
  dupIntset[10] = 1;
  badData(() => parseDumpPayload(payload((e) => (e.byte(RDB_TYPE.SET_INTSET), e.string(dupIntset)))), /not above/);
});

test('old value types: LIST, SET, ZSET (text scores), HASH, zipmap, ziplists, quicklist, SET_LISTPACK', () => {
  const read = (fill: (e: RdbEncoder) => void): RdbValue | null => {
    const e = new RdbEncoder({ compress: false });
    fill(e);
    const dec = new RdbDecoder(new BufferSource(e.takeBytes()));
    const t = dec.byte();
    const v = readValue(dec, t);
    assert.equal(dec.remaining, 0);
    return v;
  };
  const list = read((e) => {
    e.byte(RDB_TYPE.LIST);
    e.len(3);
    for (const x of ['a', '12', 'c']) e.text(x);
  })!;
  assert.deepEqual(canon(list), { t: 'list', v: ['a', '12', 'c'] });
  // a long LIST is cut into nodes of at most 8 KiB
  const long = read((e) => {
    e.byte(RDB_TYPE.LIST);
    e.len(100);
    for (let i = 0; i < 100; i++) e.text('y'.repeat(500));
  }) as Extract<RdbValue, { type: typeof OBJ_LIST }>;
  assert.ok(long.nodes.length >= 7 && long.nodes.every((n) => n.length <= 16));
  assert.equal(long.nodes.flat().length, 100);

  assert.deepEqual(canon(read((e) => (e.byte(RDB_TYPE.SET), e.len(2), e.text('x'), e.text('1')))!), { t: 'set', v: ['1', 'x'] });

  const z = read((e) => {
    e.byte(RDB_TYPE.ZSET);
    e.len(6);
    e.text('a');
    e.byte(255); // -inf
    e.text('b');
    e.byte(254); // +inf
    e.text('c');
    e.byte(3);
    e.raw(b('3.5'));
    e.text('d');
    e.byte(4);
    e.raw(b(' 2xy')); // sscanf: leading blank, trailing junk
    e.text('e');
    e.byte(3);
    e.raw(b('inf'));
    e.text('f');
    e.byte(5);
    e.raw(b('-1e10'));
  })!;
  assert.deepEqual(canon(z), { t: 'zset', v: [['a', -Infinity], ['f', -1e10], ['d', 2], ['c', 3.5], ['b', Infinity], ['e', Infinity]] });
  assert.throws(() => read((e) => (e.byte(RDB_TYPE.ZSET), e.len(1), e.text('a'), e.byte(253))), /NaN/);
  assert.throws(() => read((e) => (e.byte(RDB_TYPE.ZSET), e.len(1), e.text('a'), e.byte(3), e.raw(b('nan')))), /NaN/);
  assert.throws(() => read((e) => (e.byte(RDB_TYPE.ZSET), e.len(1), e.text('a'), e.byte(3), e.raw(b('xyz')))), /unreadable double/);

  assert.deepEqual(canon(read((e) => (e.byte(RDB_TYPE.HASH), e.len(1), e.text('f'), e.text('v')))!), { t: 'hash', v: [['f', 'v']] });
  const zm = read((e) => (e.byte(RDB_TYPE.HASH_ZIPMAP), e.string(zipmapEncode([[b('f1'), b('v1')], [b('f2'), b('v2')]], 1))))!;
  assert.deepEqual(canon(zm), { t: 'hash', v: [['f1', 'v1'], ['f2', 'v2']] });
  assert.throws(() => read((e) => (e.byte(RDB_TYPE.HASH_ZIPMAP), e.string(zipmapEncode([[b('f'), b('1')], [b('f'), b('2')]])))), /duplicate hash field/);

  assert.deepEqual(canon(read((e) => (e.byte(RDB_TYPE.LIST_ZIPLIST), e.string(ziplistEncode([b('1'), b('x')]))))!), { t: 'list', v: ['1', 'x'] });
  assert.equal(read((e) => (e.byte(RDB_TYPE.LIST_ZIPLIST), e.string(ziplistEncode([])))), null);
  const zz = read((e) => (e.byte(RDB_TYPE.ZSET_ZIPLIST), e.string(ziplistEncode(['one', '1', 'two', '2.5'].map(b)))))!;
  assert.deepEqual(zz, { type: OBJ_ZSET, encoding: 'listpack', members: [b('one'), b('two')], scores: [1, 2.5] });
  assert.equal(read((e) => (e.byte(RDB_TYPE.ZSET_ZIPLIST), e.string(ziplistEncode([])))), null);
  assert.throws(() => read((e) => (e.byte(RDB_TYPE.ZSET_ZIPLIST), e.string(ziplistEncode(['a', '1', 'a', '2'].map(b))))), /duplicate/);
  const hz = read((e) => (e.byte(RDB_TYPE.HASH_ZIPLIST), e.string(ziplistEncode(['f', '-70000'].map(b)))))!;
  assert.deepEqual(canon(hz), { t: 'hash', v: [['f', '-70000']] });
  assert.equal(read((e) => (e.byte(RDB_TYPE.HASH_ZIPLIST), e.string(ziplistEncode([])))), null);
  const ql = read((e) => {
    e.byte(RDB_TYPE.LIST_QUICKLIST);
    e.len(3);
    e.string(ziplistEncode([b('a'), b('7')]));
    e.string(ziplistEncode([]));
    e.string(ziplistEncode([b('b')]));
  })!;
  assert.deepEqual(ql, { type: OBJ_LIST, nodes: [[b('a'), b('7')], [b('b')]] });
  const sl = read((e) => (e.byte(RDB_TYPE.SET_LISTPACK), e.string(lpEncode(['a', '5'].map(b)))))!;
  assert.deepEqual(sl, { type: OBJ_SET, encoding: 'listpack', members: [b('a'), b('5')] });
  assert.equal(read((e) => (e.byte(RDB_TYPE.SET_LISTPACK), e.string(lpEncode([])))), null);
  for (const t of [RDB_TYPE.LIST, RDB_TYPE.SET, RDB_TYPE.ZSET, RDB_TYPE.ZSET_2, RDB_TYPE.HASH, RDB_TYPE.LIST_QUICKLIST, RDB_TYPE.LIST_QUICKLIST_2]) {
    assert.equal(read((e) => (e.byte(t), e.len(0))), null, `type ${t} empty`);
  }
});

interface Seen {
  aux: [string, string][];
  dbs: number[];
  resize: [number, number][];
  keys: { db: number; key: string; value: RdbValue; meta: RdbKeyMeta }[];
  empty: string[];
}

function collector(): { seen: Seen; visitor: RdbVisitor } {
  const seen: Seen = { aux: [], dbs: [], resize: [], keys: [], empty: [] };
  return {
    seen,
    visitor: {
      aux: (n, v) => seen.aux.push([s(n), s(v)]),
      selectDb: (db) => seen.dbs.push(db),
      resizeDb: (a, x) => seen.resize.push([a, x]),
      key: (db, key, value, meta) => seen.keys.push({ db, key: s(key), value, meta }),
      emptyKey: (_db, key) => seen.empty.push(s(key)),
    },
  };
}

function sampleFile(opts: { checksum?: boolean; compress?: boolean } = {}): Uint8Array {
  const chunks: Uint8Array[] = [];
  const w = new RdbFileWriter({ sink: (c) => chunks.push(c), chunkSize: 1 << 16, ...opts });
  w.aux([
    ['redis-ver', '7.0.15'],
    ['redis-bits', '64'],
  ]);
  const values = sampleValues();
  w.selectDb(0);
  w.resizeDb(values.length, 1);
  values.forEach(({ name, v }, i) => w.key(b(name), v, i === 0 ? { expireAt: 1_900_000_000_123, idle: 5, freq: 7 } : {}));
  w.selectDb(5);
  w.resizeDb(1, 0);
  w.key(b('k'.repeat(40)), { type: OBJ_STRING, value: b('in db 5') });
  const size = w.end();
  const file = Buffer.concat(chunks);
  assert.equal(file.length, size);
  return new Uint8Array(file);
}

test('files: written and read back (in memory, and from disk through a 64-byte window)', () => {
  const file = sampleFile();
  assert.equal(s(file.subarray(0, 9)), 'REDIS0010');
  const check = (seen: Seen): void => {
    assert.deepEqual(seen.aux, [['redis-ver', '7.0.15'], ['redis-bits', '64']]);
    assert.deepEqual(seen.dbs, [0, 5]);
    assert.deepEqual(seen.resize, [[sampleValues().length, 1], [1, 0]]);
    const vals = sampleValues();
    assert.equal(seen.keys.length, vals.length + 1);
    vals.forEach(({ name, v }, i) => {
      const k = seen.keys[i];
      assert.equal(k.key, name);
      assert.equal(k.db, 0);
      assert.deepEqual(canon(k.value), canon(v), name);
      assert.deepEqual(k.meta, i === 0 ? { expireAt: 1_900_000_000_123, idle: 5, freq: 7 } : { expireAt: 0, idle: -1, freq: -1 });
    });
    assert.equal(seen.keys[vals.length].db, 5);
  };
  const c1 = collector();
  const sum = readRdbFile(new BufferSource(file), c1.visitor);
  assert.deepEqual(sum, { version: 10, keys: sampleValues().length + 1, emptyKeysSkipped: 0, checksum: 'verified', bytesRead: file.length });
  check(c1.seen);

  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rdb-codec-'));
  try {
    const p = path.join(dir, 'x.rdb');
    fs.writeFileSync(p, file);
    const c2 = collector();
    const progress: number[] = [];
    readRdbFilePath(p, c2.visitor, { bufferSize: 64, onProgress: (n, total) => (assert.equal(total, file.length), progress.push(n)), progressInterval: 200 });
    check(c2.seen);
    assert.ok(progress.length >= 3 && progress[progress.length - 1] === file.length);
    // writeRdbFilePath writes the same bytes (through a temp file renamed over the target)
    const q = path.join(dir, 'y.rdb');
    writeRdbFilePath(q, (w) => {
      const c3 = collector();
      readRdbFile(new BufferSource(file), {
        ...c3.visitor,
        aux: (n, v) => w.aux([[n, v]]),
        selectDb: (db) => w.selectDb(db),
        resizeDb: (a, x) => w.resizeDb(a, x),
        key: (_db, key, value, meta) => w.key(key, value, meta),
      });
    });
    assert.deepEqual(new Uint8Array(fs.readFileSync(q)), file);
    assert.deepEqual(fs.readdirSync(dir).sort(), ['x.rdb', 'y.rdb']);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('files: checksum rules, header errors, opcodes', () => {
  const file = sampleFile();
  const flipped = new Uint8Array(file);
  flipped[20] ^= 0x40;
  assert.throws(() => readRdbFile(new BufferSource(flipped), collector().visitor), RdbError);
  const badCrc = new Uint8Array(file);
  badCrc[badCrc.length - 1] ^= 1;
  assert.throws(() => readRdbFile(new BufferSource(badCrc), collector().visitor), new RegExp(`RDB checksum mismatch at byte ${file.length - 8}`));
  assert.equal(readRdbFile(new BufferSource(badCrc), collector().visitor, { checksum: false }).checksum, 'not-checked');
  const off = sampleFile({ checksum: false });
  assert.deepEqual([...off.subarray(off.length - 8)], [0, 0, 0, 0, 0, 0, 0, 0]);
  assert.equal(readRdbFile(new BufferSource(off), collector().visitor).checksum, 'not-computed');
  const plain = sampleFile({ compress: false });
  assert.ok(plain.length > file.length);
  assert.equal(readRdbFile(new BufferSource(plain), collector().visitor).keys, sampleValues().length + 1);

  const hdr = (h: string) => new BufferSource(new Uint8Array([...b(h), RDB_OPCODE.EOF, 0, 0, 0, 0, 0, 0, 0, 0]));
  assert.throws(() => readRdbFile(hdr('RUDIS0010'), collector().visitor), /not an RDB file/);
  assert.throws(() => readRdbFile(hdr('REDIS0012'), collector().visitor), { message: 'RDB format version 12 is newer than this shmkv can read (up to 11)' });
  assert.throws(() => readRdbFile(hdr('REDIS0000'), collector().visitor), /bad RDB version/);
  assert.throws(() => readRdbFile(hdr('REDIS00x1'), collector().visitor), /bad RDB version/);
  assert.throws(() => readRdbFile(new BufferSource(b('REDIS')), collector().visitor), /not an RDB file/);
  assert.equal(readRdbFile(hdr('REDIS0011'), collector().visitor).version, 11);

  // a version 4 file: no trailer; EXPIRETIME in seconds; an unknown opcode; truncation
  const v4 = (body: number[]) => new BufferSource(new Uint8Array([...b('REDIS0004'), ...body]));
  const c = collector();
  const sum = readRdbFile(v4([RDB_OPCODE.EXPIRETIME, 0x10, 0, 0, 0, 0, 1, 0x6b, 0xc0, 0x05, RDB_OPCODE.EOF]), c.visitor);
  assert.equal(sum.checksum, 'absent');
  assert.deepEqual(c.seen.keys[0].meta, { expireAt: 16000, idle: -1, freq: -1 });
  assert.equal(c.seen.keys[0].key, 'k');
  assert.throws(() => readRdbFile(v4([200]), collector().visitor), /unknown opcode or value type 200 at byte 9/);
  assert.throws(() => readRdbFile(v4([0, 1, 0x6b]), collector().visitor), /unexpected end of file at byte 12/);
  // an explicit expiry at 0 ms is "long expired", not "none"
  const c0 = collector();
  readRdbFile(v4([RDB_OPCODE.EXPIRETIME_MS, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0x6b, 0xc0, 5, RDB_OPCODE.EOF]), c0.visitor);
  assert.equal(c0.seen.keys[0].meta.expireAt, -1);

  // functions: refused without a handler, handed over with one (FUNCTION2 and the old FUNCTION)
  const fn2 = [RDB_OPCODE.FUNCTION2, 4, ...b('code'), RDB_OPCODE.EOF];
  assert.throws(() => readRdbFile(v4(fn2), collector().visitor), (e: unknown) => e instanceof RdbUnsupportedError && /function library \(at byte 9\)/.test(e.message));
  const codes: string[] = [];
  readRdbFile(v4(fn2), { key() {}, function: (code) => codes.push(s(code)) });
  readRdbFile(v4([RDB_OPCODE.FUNCTION, 3, ...b('lib'), 3, ...b('LUA'), 1, 1, ...b('d'), 4, ...b('body'), RDB_OPCODE.EOF]), { key() {}, function: (code) => codes.push(s(code)) });
  assert.deepEqual(codes, ['code', '#!LUA name=lib\nbody']);
  assert.throws(() => readRdbFile(v4([RDB_OPCODE.MODULE_AUX, 5, 2, 0]), collector().visitor), /auxiliary data of the module 'AAAAAAAAA' \(at byte 9\)/);
  // a stream names its key and offset
  assert.throws(
    () => readRdbFile(v4([RDB_OPCODE.SELECTDB, 3, RDB_TYPE.STREAM_LISTPACKS, 1, ...b('x'), 0]), collector().visitor),
    { message: "the RDB file holds a stream (key 'x' in db 3, at byte 11), which this version of shmkv does not support" },
  );
  // a bad value names its key, db and offset
  assert.throws(
    () => readRdbFile(v4([RDB_TYPE.HASH_LISTPACK, 1, ...b('h'), 3, 1, 2, 3]), collector().visitor),
    /invalid listpack: 3 bytes is too short.*; key 'h' in db 0, value at byte 12/,
  );
  // empty keys are skipped (and reported)
  const ce = collector();
  const se = readRdbFile(v4([RDB_TYPE.SET, 1, ...b('s'), 0, RDB_TYPE.STRING, 1, ...b('t'), 1, ...b('v'), RDB_OPCODE.EOF]), ce.visitor);
  assert.equal(se.emptyKeysSkipped, 1);
  assert.deepEqual(ce.seen.empty, ['s']);
  assert.deepEqual(ce.seen.keys.map((k) => k.key), ['t']);
});

test('encoder and decoder: lengths of every width, chunked output, refusing lengths past the input', () => {
  const chunks: Uint8Array[] = [];
  const e = new RdbEncoder({ sink: (c) => chunks.push(c), chunkSize: 1 << 16, checksum: true });
  const lens = [0, 63, 64, 16383, 16384, 2 ** 32 - 1, 2 ** 32, 2 ** 53 - 1];
  for (const n of lens) e.len(n);
  const big = rng(5).bytes(200_000);
  e.string(big);
  e.millis(-5);
  e.millis(1_700_000_000_000);
  e.binaryDouble(-0.1);
  e.flush();
  assert.ok(chunks.every((c) => c.length <= 200_000));
  const all = Buffer.concat(chunks);
  assert.equal(all.length, e.bytesWritten);
  assert.deepEqual(e.crcDigest(), crc64Bytes(all));
  const d = new RdbDecoder(new BufferSource(all), { checksum: true });
  for (const n of lens) assert.equal(d.len(), n);
  assert.deepEqual(d.string(), big);
  assert.equal(d.millis(), -5);
  assert.equal(d.millis(), 1_700_000_000_000);
  assert.equal(d.binaryDouble(), -0.1);
  assert.deepEqual(d.crcDigest(), crc64Bytes(all));

  // a string length of 2^60 / 2^32 with a few bytes left: refused before any allocation
  const huge = (bytes: number[]) => new RdbDecoder(new BufferSource(new Uint8Array([...bytes, 1, 2, 3])));
  assert.throws(() => huge([0x81, 0x10, 0, 0, 0, 0, 0, 0, 0]).string(), /length 1152921504606846976 at byte 0 is larger than any input/);
  assert.throws(() => huge([0x81, 0, 0, 0, 1, 0, 0, 0, 0]).string(), /string of 4294967296 bytes at byte 0 runs past the end of the input \(3 bytes left\)/);
  assert.throws(() => huge([0x80, 0xff, 0xff, 0xff, 0xff]).string(), /4294967295 bytes at byte 0 runs past/);
  // an LZF string announcing more than its bytes could hold
  assert.throws(() => huge([0xc3, 2, 0x80, 0x10, 0, 0, 0]).string(), /cannot expand/);
  assert.throws(() => huge([0xc4]).string(), /unknown string encoding 4/);

  // FdSource: reads longer than the window, and a file shorter than asked
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rdb-codec-'));
  try {
    const p = path.join(dir, 'f');
    fs.writeFileSync(p, all);
    const fd = fs.openSync(p, 'r');
    try {
      const src = new FdSource(fd, { bufferSize: 100 });
      const d2 = new RdbDecoder(src);
      for (const n of lens) assert.equal(d2.len(), n);
      assert.deepEqual(d2.string(), big);
      assert.equal(src.pos, all.length - 24);
      assert.throws(() => src.read(25), /unexpected end of file at byte \d+ \(25 bytes needed, 24 left\)/);
    } finally {
      fs.closeSync(fd);
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('writing refuses what Redis never writes: empty collections, mismatched arrays', () => {
  assert.throws(() => createDumpPayload({ type: OBJ_LIST, nodes: [[], []] }), /empty list/);
  assert.throws(() => createDumpPayload({ type: OBJ_SET, encoding: 'hashtable', members: [] }), /empty set/);
  assert.throws(() => createDumpPayload({ type: OBJ_ZSET, encoding: 'skiplist', members: [b('a')], scores: [] }), /differ/);
  // an "intset" with a non-integer member is written as the hash table it must be
  const p = createDumpPayload({ type: OBJ_SET, encoding: 'intset', members: [b('1'), b('x')] });
  assert.equal(p[0], RDB_TYPE.SET);
});
