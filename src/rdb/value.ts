/**
 * The value of one key as the RDB codec sees it: plain JS, no heap. The data types convert
 * their stored values to this (to save, DUMP) and build stored values from it (to load,
 * RESTORE) — `toRdb` / `fromRdb` in src/keyspace/valuetypes.ts — and the codec
 * (src/rdb/) turns it into Redis's serialisation and back. Nothing here knows the segment.
 *
 * Elements may be views into shared memory (subarrays of the heap): a writer must encode
 * them before the segment's lock is released.
 */

/** Redis's OBJ_* type codes (server.h); shmkv's entries use the same numbers. */
export const OBJ_STRING = 0;
export const OBJ_LIST = 1;
export const OBJ_SET = 2;
export const OBJ_ZSET = 3;
export const OBJ_HASH = 4;

export interface RdbString {
  type: typeof OBJ_STRING;
  value: Uint8Array;
}

/**
 * A list as quicklist nodes, head to tail. `plain[i]` marks a node that holds one element
 * stored whole (QUICKLIST_NODE_CONTAINER_PLAIN: an element of at least the packed
 * threshold); other nodes are written as listpacks.
 */
export interface RdbList {
  type: typeof OBJ_LIST;
  nodes: Uint8Array[][];
  plain?: boolean[];
}

/**
 * A set. On save, `intset` writes RDB_TYPE_SET_INTSET (members are then canonical decimal
 * integers, ascending) and anything else RDB_TYPE_SET; on load, the encoding the file had.
 */
export interface RdbSet {
  type: typeof OBJ_SET;
  encoding: 'intset' | 'listpack' | 'hashtable';
  members: Uint8Array[];
}

/**
 * A sorted set, `members[i]` with `scores[i]`. On save, `listpack` writes
 * RDB_TYPE_ZSET_LISTPACK (the arrays are then in score-then-member order) and `skiplist`
 * RDB_TYPE_ZSET_2; on load, the encoding the file had (ziplist counts as listpack).
 */
export interface RdbZset {
  type: typeof OBJ_ZSET;
  encoding: 'listpack' | 'skiplist';
  members: Uint8Array[];
  scores: number[];
}

/**
 * A hash, `fields[i]` holding `values[i]`. On save, `listpack` writes RDB_TYPE_HASH_LISTPACK
 * (in the order given) and `hashtable` RDB_TYPE_HASH; on load, the encoding the file had
 * (zipmap and ziplist count as listpack).
 */
export interface RdbHash {
  type: typeof OBJ_HASH;
  encoding: 'listpack' | 'hashtable';
  fields: Uint8Array[];
  values: Uint8Array[];
}

export type RdbValue = RdbString | RdbList | RdbSet | RdbZset | RdbHash;

/** What RDB keeps about a key besides its value. */
export interface RdbKeyMeta {
  /** Absolute expiry in ms since the epoch; 0 for none. */
  expireAt: number;
  /** Seconds idle (RDB_OPCODE_IDLE), when the file had it / should get it; -1 for none. */
  idle: number;
  /** LFU counter 0..255 (RDB_OPCODE_FREQ); -1 for none. */
  freq: number;
}

/**
 * Any malformed or unsupported input. `message` says what is wrong (and, for files, at
 * which byte offset) in one line a user can act on.
 */
export class RdbError extends Error {
  override name = 'RdbError';
}
