/**
 * Redis's own RDB test assets (tests/assets of the 7.0.15 suite, ../shared/redis-suite):
 * files written by Redis 2.x to 7.0 in every old encoding, read with readRdbFile and
 * compared with what Redis's tests expect of them (integration/rdb.tcl's csvdump of
 * encodings.rdb, the convert-*-on-load tests), plus the two corrupt ones: a ziplist that
 * fails its integrity check (a clean error naming the key and offset) and the nine empty
 * keys Redis 7.0 skips with "skipping empty key".
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { readRdbFilePath, type RdbFileSummary } from '../../src/rdb/file.js';
import { RdbError, type RdbKeyMeta, type RdbValue } from '../../src/rdb/value.js';
import { canon, s, type Canon } from './helpers.js';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const SUITE = process.env.SHMKV_REDIS_SUITE ?? path.resolve(ROOT, '../shared/redis-suite');
const ASSETS = path.join(SUITE, 'redis-7.0.15/tests/assets');
const have = fs.existsSync(path.join(ASSETS, 'encodings.rdb'));
if (!have) console.error(`\n!!! Redis's test assets are not at ${ASSETS}: the asset tests are SKIPPED !!!\n`);

interface Loaded {
  summary: RdbFileSummary;
  keys: Map<string, { db: number; value: RdbValue; meta: RdbKeyMeta }>;
  aux: Map<string, string>;
  empty: string[];
}

function load(name: string): Loaded {
  const keys = new Map<string, { db: number; value: RdbValue; meta: RdbKeyMeta }>();
  const aux = new Map<string, string>();
  const empty: string[] = [];
  const summary = readRdbFilePath(path.join(ASSETS, name), {
    aux: (n, v) => aux.set(s(n), s(v)),
    key: (db, k, value, meta) => keys.set(s(k), { db, value, meta }),
    emptyKey: (_db, k) => empty.push(s(k)),
  });
  return { summary, keys, aux, empty };
}

/** Canonical form of what rdb.tcl's csvdump prints for a key (its "type","k1","v1",... row). */
function fromCsv(type: string, flat: string[]): Canon {
  const pairs = <T>(f: (a: string, b: string) => T): T[] => {
    const out: T[] = [];
    for (let i = 0; i < flat.length; i += 2) out.push(f(flat[i], flat[i + 1]));
    return out;
  };
  switch (type) {
    case 'string':
      return { t: 'string', v: flat[0] };
    case 'list':
      return { t: 'list', v: flat };
    case 'set':
      return { t: 'set', v: [...flat].sort() };
    case 'hash':
      return { t: 'hash', v: pairs((a, b): [string, string] => [a, b]).sort((x, y) => (x[0] < y[0] ? -1 : 1)) };
    default:
      return { t: 'zset', v: pairs((a, b): [string, number] => [a, Number(b)]).sort((x, y) => x[1] - y[1] || (x[0] < y[0] ? -1 : 1)) };
  }
}

test('encodings.rdb (RDB 4: zipmap-era encodings, intsets, ziplists, LZF) reads as integration/rdb.tcl expects', { skip: !have }, () => {
  const { summary, keys } = load('encodings.rdb');
  assert.equal(summary.version, 4);
  assert.equal(summary.checksum, 'absent');
  const L = (...x: (string | number)[]) => x.map(String);
  const expected: [string, string, string[]][] = [
    ['compressible', 'string', ['a'.repeat(137)]],
    ['hash', 'hash', L('a', 1, 'aa', 10, 'aaa', 100, 'b', 2, 'bb', 20, 'bbb', 200, 'c', 3, 'cc', 30, 'ccc', 300, 'ddd', 400, 'eee', 5000000000)],
    ['hash_zipped', 'hash', L('a', 1, 'b', 2, 'c', 3)],
    ['list', 'list', L(...[1, 2, 3, 'a', 'b', 'c', 100000, 6000000000], ...[1, 2, 3, 'a', 'b', 'c', 100000, 6000000000], ...[1, 2, 3, 'a', 'b', 'c', 100000, 6000000000])],
    ['list_zipped', 'list', L(1, 2, 3, 'a', 'b', 'c', 100000, 6000000000)],
    ['number', 'string', ['10']],
    ['set', 'set', L(1, 100000, 2, 3, 6000000000, 'a', 'b', 'c')],
    ['set_zipped_1', 'set', L(1, 2, 3, 4)],
    ['set_zipped_2', 'set', L(100000, 200000, 300000, 400000)],
    ['set_zipped_3', 'set', L(1000000000, 2000000000, 3000000000, 4000000000, 5000000000, 6000000000)],
    ['string', 'string', ['Hello World']],
    ['zset', 'zset', L('a', 1, 'b', 2, 'c', 3, 'aa', 10, 'bb', 20, 'cc', 30, 'aaa', 100, 'bbb', 200, 'ccc', 300, 'aaaa', 1000, 'cccc', 123456789, 'bbbb', 5000000000)],
    ['zset_zipped', 'zset', L('a', 1, 'b', 2, 'c', 3)],
  ];
  assert.deepEqual([...keys.keys()].sort(), expected.map((e) => e[0]).sort());
  for (const [k, type, flat] of expected) {
    const got = keys.get(k)!;
    assert.equal(got.db, 0);
    assert.deepEqual(canon(got.value), fromCsv(type, flat), k);
  }
  // the compact forms keep their encoding
  assert.equal((keys.get('set_zipped_3')!.value as { encoding: string }).encoding, 'intset');
  assert.equal((keys.get('hash_zipped')!.value as { encoding: string }).encoding, 'listpack');
  assert.equal((keys.get('zset_zipped')!.value as { encoding: string }).encoding, 'listpack');
});

test('hash-zipmap.rdb, hash-ziplist.rdb, zset-ziplist.rdb, list-quicklist.rdb convert as Redis 7.0 does on load', { skip: !have }, () => {
  for (const f of ['hash-zipmap.rdb', 'hash-ziplist.rdb']) {
    const { keys } = load(f);
    const h = keys.get('hash')!.value;
    assert.deepEqual(canon(h), { t: 'hash', v: [['f1', 'v1'], ['f2', 'v2']] }, f);
    assert.equal((h as { encoding: string }).encoding, 'listpack', f);
  }
  const z = load('zset-ziplist.rdb');
  assert.equal(z.summary.checksum, 'verified');
  assert.deepEqual(z.keys.get('zset')!.value, {
    type: 3,
    encoding: 'listpack',
    members: [new Uint8Array(Buffer.from('one')), new Uint8Array(Buffer.from('two'))],
    scores: [1, 2],
  });
  const q = load('list-quicklist.rdb');
  assert.equal(q.summary.version, 8);
  assert.deepEqual(canon(q.keys.get('list')!.value), { t: 'list', v: ['7'] });
  assert.deepEqual(canon(q.keys.get('x')!.value), { t: 'string', v: '7' });
  assert.equal(q.aux.get('redis-ver'), '4.0.9');
});

test('scriptbackup.rdb: aux fields (lua, repl-*) are handed over, no keys', { skip: !have }, () => {
  const { summary, aux } = load('scriptbackup.rdb');
  assert.equal(summary.keys, 0);
  assert.equal(aux.get('lua'), "return redis.call('set', 'foo', 'bar')");
  assert.equal(aux.get('repl-id'), '349eeafec1f98f3f56277e95fc86bc48b30651a2');
});

test('corrupt_empty_keys.rdb: the nine empty keys are skipped, as Redis 7.0 logs "skipping empty key"', { skip: !have }, () => {
  const { summary, keys, empty } = load('corrupt_empty_keys.rdb');
  assert.equal(keys.size, 0);
  assert.equal(summary.emptyKeysSkipped, 9);
  assert.deepEqual(empty.sort(), ['hash', 'hash_ziplist', 'list_quicklist', 'list_quicklist_empty_ziplist', 'list_ziplist', 'set', 'zset', 'zset_listpack', 'zset_ziplist']);
});

test('corrupt_ziplist.rdb: a clean error naming the key and the offset (Redis: "integrity check failed")', { skip: !have }, () => {
  assert.throws(
    () => load('corrupt_ziplist.rdb'),
    (e: unknown) => {
      assert.ok(e instanceof RdbError);
      assert.match(e.message, /^invalid ziplist: .*; key 'key:000000000091' in db 0, value at byte \d+$/);
      return true;
    },
  );
});
