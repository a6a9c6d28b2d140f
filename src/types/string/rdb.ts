/**
 * Strings to and from the RDB value model (src/rdb/value.ts): DUMP / RESTORE / MIGRATE and
 * snapshots. A string is its bytes whatever its encoding (an int-encoded one is stored as
 * its decimal text here; the codec writes RDB's integer form when the text is one).
 */
import type { Keyspace } from '../../keyspace/keyspace.js';
import { OBJ_STRING, RdbError, type RdbString, type RdbValue } from '../../rdb/value.js';
import { newStringEntry, stringLength, stringOffset } from './storage.js';

/** The string of entry e: a view of its bytes in the heap. */
export function stringToRdb(ks: Keyspace, e: number): RdbString {
  return { type: OBJ_STRING, value: ks.heap.mem.view(stringOffset(ks, e), stringLength(ks, e)) };
}

/**
 * A new entry holding the string, encoded as Redis 7.0 encodes a loaded string
 * (tryObjectEncoding): int when the bytes are a canonical 64-bit integer, embstr up to 44
 * bytes, raw beyond; a small integer is a shared one when sharing is allowed.
 */
export function stringFromRdb(ks: Keyspace, key: Uint8Array, v: RdbValue): number {
  if (v.type !== OBJ_STRING) throw new RdbError(`a value of type ${v.type} given to the string type`);
  return newStringEntry(ks, key, v.value);
}
