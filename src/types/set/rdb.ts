/**
 * Sets to and from the RDB value model (src/rdb/value.ts). An intset is written as
 * RDB_TYPE_SET_INTSET, a hashtable (either of our forms: OBJECT ENCODING does not tell
 * them apart) as RDB_TYPE_SET. Loading encodes as Redis 7.0's rdbLoadObject: an intset
 * when every member is an integer and there are at most set-max-intset-entries of them
 * (so a hashtable of integers only comes back an intset, as after DEBUG RELOAD), else a
 * hashtable.
 */
import type { Keyspace } from '../../keyspace/keyspace.js';
import { isValues, type IntValue } from '../../structs/intset.js';
import { OBJ_SET, RdbError, type RdbSet, type RdbValue } from '../../rdb/value.js';
import type { RdbElementBuilder } from '../../keyspace/valuetypes.js';
import { ENC_INTSET, SMALL_MAX_COUNT, asInt, intText, loadSetEntry, maxIntsetEntries, setEncoding, setForEachView, tableSetBuilder } from './storage.js';

/** The members of set entry e: decimal texts, ascending, for an intset; views into the heap for a hashtable. */
export function setToRdb(ks: Keyspace, e: number): RdbSet {
  if (setEncoding(ks, e) === ENC_INTSET) return { type: OBJ_SET, encoding: 'intset', members: isValues(ks.heap, ks.valueRef(e)).map(intText) };
  const members: Uint8Array[] = [];
  setForEachView(ks, e, (m) => members.push(m));
  return { type: OBJ_SET, encoding: 'hashtable', members };
}

/**
 * A set of `count` members loaded one at a time (a big set streamed from an RDB file), when
 * its count alone says it is a hashtable in a Dash (more than set-max-intset-entries and
 * than the small form holds); null otherwise. A member given twice throws RdbError after
 * freeing what was built.
 */
export function setMemberBuilder(ks: Keyspace, count: number): RdbElementBuilder | null {
  if (count <= Math.min(maxIntsetEntries(ks), 1 << 30) || count <= SMALL_MAX_COUNT) return null;
  const b = tableSetBuilder(ks);
  return {
    element(m) {
      if (!b.add(m)) throw new RdbError('a set member is there twice');
    },
    finish: (key) => b.finish(key),
  };
}

/** A new entry holding the set, encoded as Redis 7.0 loads it under the current set-max-intset-entries. */
export function setFromRdb(ks: Keyspace, key: Uint8Array, v: RdbValue): number {
  if (v.type !== OBJ_SET) throw new RdbError(`a value of type ${v.type} given to the set type`);
  const members = v.members;
  if (members.length === 0) throw new RdbError('empty set');
  // (rdbLoadObject caps the setting at 2^30 for RDB_TYPE_SET; nobody sets it that high)
  let ints: IntValue[] | null = members.length <= Math.min(maxIntsetEntries(ks), 1 << 30) ? [] : null;
  if (ints !== null) {
    for (const m of members) {
      const x = asInt(m);
      if (x === null) {
        ints = null;
        break;
      }
      ints.push(x);
    }
  }
  const e = loadSetEntry(ks, key, members, ints);
  if (e === 0) throw new RdbError('a set member is there twice');
  return e;
}
