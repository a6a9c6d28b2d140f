/**
 * Serialising ONE value a slice at a time (an incremental DUMP, or a huge key inside a
 * save): the value is read through a HeapView (src/heap/view.ts) — the heap as it was when
 * the dump began — and written to an RdbEncoder in Redis's serialisation, a bounded amount
 * per step(), so the caller can let other clients (and other processes) run in between.
 *
 * A type offers it through its value type's `rdbStream` (src/keyspace/valuetypes.ts) for
 * its big encodings only; small values (a single chunk: listpacks, intsets, short strings)
 * are serialised at once through `toRdb`.
 */
import type { RdbEncoder } from './encode.js';

export interface ValueStream {
  /** The RDB type byte the body is written as (RDB_TYPE_HASH, RDB_TYPE_SET, RDB_TYPE_ZSET_2, RDB_TYPE_LIST_QUICKLIST_2, RDB_TYPE_STRING). */
  readonly rdbType: number;
  /**
   * Write the next part of the body: about `budget` elements (or bytes of a string).
   * True when the body is complete. The first call writes what comes first (a length).
   */
  step(enc: RdbEncoder, budget: number): boolean;
}
