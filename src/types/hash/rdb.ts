/**
 * Hashes to and from the RDB value model (src/rdb/value.ts): a listpack hash is written as
 * RDB_TYPE_HASH_LISTPACK (its pairs in order), a hashtable as RDB_TYPE_HASH. Loading
 * encodes as Redis 7.0's rdbLoadObject: a listpack stays one unless it has more than
 * hash-max-listpack-entries fields (only the count is checked, as Redis: a long value in
 * it stays); a hashtable's pairs become a listpack when there are at most
 * hash-max-listpack-entries of them and none is longer than hash-max-listpack-value (so a
 * small hashtable comes back a listpack, as after DEBUG RELOAD), else a hashtable.
 */
import type { Keyspace } from '../../keyspace/keyspace.js';
import { OBJ_HASH, RdbError, type RdbHash, type RdbValue } from '../../rdb/value.js';
import { forEachPair, hashIsListpack, loadHashEntry, maxEntries, maxValue } from './storage.js';

/** The pairs of hash entry e (views into the heap), in the listpack's order or the table's. */
export function hashToRdb(ks: Keyspace, e: number): RdbHash {
  const mem = ks.heap.mem;
  const fields: Uint8Array[] = [];
  const values: Uint8Array[] = [];
  forEachPair(ks, e, (foff, flen, voff, vlen) => {
    fields.push(mem.view(foff, flen));
    values.push(mem.view(voff, vlen));
  });
  return { type: OBJ_HASH, encoding: hashIsListpack(ks, e) ? 'listpack' : 'hashtable', fields, values };
}

/** A new entry holding the hash, encoded as Redis 7.0 loads it under the current thresholds. */
export function hashFromRdb(ks: Keyspace, key: Uint8Array, v: RdbValue): number {
  if (v.type !== OBJ_HASH) throw new RdbError(`a value of type ${v.type} given to the hash type`);
  const { fields, values } = v;
  const n = fields.length;
  if (n !== values.length) throw new RdbError(`a hash of ${n} fields and ${values.length} values`);
  if (n === 0) throw new RdbError('empty hash');
  let listpack = n <= maxEntries(ks);
  if (listpack && v.encoding !== 'listpack') {
    // RDB_TYPE_HASH: the first field or value past hash-max-listpack-value converts
    // (lpSafeToAdd's 1 GB bound is far beyond any listpack that passes these)
    const max = maxValue(ks);
    for (let i = 0; i < n && listpack; i++) if (fields[i]!.length > max || values[i]!.length > max) listpack = false;
  }
  const e = loadHashEntry(ks, key, fields, values, listpack);
  if (e === 0) throw new RdbError('a hash field is there twice');
  return e;
}
