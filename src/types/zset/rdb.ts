/**
 * Sorted sets to and from the RDB value model (src/rdb/value.ts). Both encodings hand the
 * codec their members in score-then-member order: a listpack is written as
 * RDB_TYPE_ZSET_LISTPACK in that order, a skiplist as RDB_TYPE_ZSET_2 reversed by the
 * codec (Redis walks its skiplist from the tail). Loading encodes as Redis
 * 7.0's rdbLoadObject: a listpack stays one unless it has more than
 * zset-max-listpack-entries members (only the count is checked, as Redis); a skiplist's
 * members become a listpack when there are at most zset-max-listpack-entries of them and
 * none is longer than zset-max-listpack-value (as after DEBUG RELOAD), else a skiplist.
 */
import type { Keyspace } from '../../keyspace/keyspace.js';
import { OBJ_ZSET, RdbError, type RdbValue, type RdbZset } from '../../rdb/value.js';
import { ENC_LISTPACK, loadZsetEntry, maxListpackEntries, maxListpackValue, zsetEncoding, zsetForEachView } from './storage.js';

/** The members (views into the heap) and scores of zset entry e, in score-then-member order. */
export function zsetToRdb(ks: Keyspace, e: number): RdbZset {
  const listpack = zsetEncoding(ks, e) === ENC_LISTPACK;
  const members: Uint8Array[] = [];
  const scores: number[] = [];
  zsetForEachView(ks, e, (m, s) => {
    members.push(m);
    scores.push(s);
  });
  return { type: OBJ_ZSET, encoding: listpack ? 'listpack' : 'skiplist', members, scores };
}

/** A new entry holding the sorted set, encoded as Redis 7.0 loads it under the current thresholds. */
export function zsetFromRdb(ks: Keyspace, key: Uint8Array, v: RdbValue): number {
  if (v.type !== OBJ_ZSET) throw new RdbError(`a value of type ${v.type} given to the sorted-set type`);
  const { members, scores } = v;
  const n = members.length;
  if (n !== scores.length) throw new RdbError(`a sorted set of ${n} members and ${scores.length} scores`);
  if (n === 0) throw new RdbError('empty sorted set');
  for (const s of scores) if (Number.isNaN(s)) throw new RdbError('a sorted-set score is NaN');
  let listpack = n <= maxListpackEntries(ks);
  if (listpack && v.encoding !== 'listpack') {
    const max = maxListpackValue(ks);
    for (const m of members) {
      if (m.length > max) {
        listpack = false;
        break;
      }
    }
  }
  const e = loadZsetEntry(ks, key, members, scores, listpack);
  if (e === 0) throw new RdbError('a sorted-set member is there twice');
  return e;
}
