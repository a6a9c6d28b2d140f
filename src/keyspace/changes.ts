/**
 * The change ring: every change the write seam makes to a key — by any process — is
 * recorded here, in the segment, so that what needs to hear about changes works across
 * processes: WATCH (an EXEC in the server fails when a library process wrote a watched
 * key), the library's near cache (src/kv/near_cache.ts), blocked clients' wake-ups.
 *
 * It is a ring of fixed-size entries with a sequence number: a reader remembers the
 * sequence it has seen and reads what came after it; if the writer went round the ring
 * past that point, the reader is told it lost entries (and must assume the worst).
 * Entries identify a key by (database, 32-bit key hash), not by its bytes: a change of
 * another key with the same hash looks like a change of this one, so a reader may see a
 * false positive (1 in 2^32 per pair of keys), never a false negative.
 *
 * Written only under the segment's write lock, and not undo-logged: an operation that is
 * rolled back leaves its entries behind, which can only make a reader think a key changed
 * when it did not (a WATCH fails where Redis's would not have), never the reverse.
 *
 * Layout (one heap chunk, its ref in the keyspace header), written down once:
 *   0   f64  sequence of the next entry (entries ever written)
 *   8   u32  capacity (entries, a power of two)
 *   12  u32  CHANGES_VERSION
 *   16  entries × 16 bytes:
 *         0  u32  key hash (SWAPDB: the other database)
 *         4  u16  database
 *         6  u8   kind: CH_KEY, CH_FLUSHDB, CH_SWAPDB
 *         7  u8   reason (CH_KEY): one of the REASON_* codes below
 *         8  f64  time of the change, ms since the epoch; for an expiry deletion
 *                  (REASON.expired) the key's expiry time instead (at or before the
 *                  change): WATCH needs it to tell whether the key was already expired
 *                  at an earlier SWAPDB (Redis's touchAllWatchedKeysInDb)
 */
import type { Heap } from '../heap/heap.js';

export const CHANGES_VERSION = 1;
export const CHANGES_HEADER = 16;
export const CHANGE_ENTRY = 16;
/**
 * 16 Ki entries (256 KiB): how many changes a WATCH can span before EXEC must assume the
 * worst (at 500k writes/s, 30 ms between WATCH and EXEC).
 */
export const DEFAULT_CHANGES_CAPACITY = 1 << 14;

export const CH_KEY = 1;
export const CH_FLUSHDB = 2;
export const CH_SWAPDB = 3;

/**
 * Why a key changed: the write seam is told with every change (Redis's dbAdd / setKey /
 * dbDelete / expire, with the event a notification would carry).
 */
export const REASON = {
  /** a new key */
  added: 1,
  /** a key given a new value (SET over an existing key, a type change) */
  overwritten: 2,
  /** the value changed in place (APPEND, INCR, SETRANGE…) */
  modified: 3,
  /** its TTL was set or changed */
  expire: 4,
  /** its TTL was removed */
  persist: 5,
  /** deleted by a command */
  deleted: 6,
  /** deleted because its TTL passed (lazily or by the active cycle) */
  expired: 7,
  /** deleted by maxmemory eviction */
  evicted: 8,
  /** RENAME's source */
  renamedFrom: 9,
  /** RENAME's destination */
  renamedTo: 10,
  /** MOVE's source */
  movedFrom: 11,
  /** MOVE's destination */
  movedTo: 12,
  /** COPY's destination */
  copiedTo: 13,
  /** touched by a command that changed nothing observable but must invalidate (SORT STORE of nothing…) */
  touched: 14,
} as const;
export type Reason = (typeof REASON)[keyof typeof REASON];

/** Whether a change removed the key from its database. */
export function isRemoval(reason: number): boolean {
  return reason === REASON.deleted || reason === REASON.expired || reason === REASON.evicted || reason === REASON.renamedFrom || reason === REASON.movedFrom;
}

const C_SEQ = 0;
const C_CAP = 8;
const C_VERSION = 12;

/** Size in bytes of a ring's chunk. */
export function changesBytes(capacity: number): number {
  return CHANGES_HEADER + capacity * CHANGE_ENTRY;
}

/** Lay out an empty ring in a freshly allocated chunk. */
export function formatChanges(heap: Heap, at: number, capacity = DEFAULT_CHANGES_CAPACITY): void {
  if ((capacity & (capacity - 1)) !== 0) throw new Error('change ring capacity must be a power of two');
  heap.mem.fill(at, CHANGES_HEADER, 0);
  heap.dv.setFloat64(at + C_SEQ, 0, true);
  heap.dv.setUint32(at + C_CAP, capacity, true);
  heap.dv.setUint32(at + C_VERSION, CHANGES_VERSION, true);
}

export class ChangeRing {
  private readonly dv: DataView;
  readonly capacity: number;

  constructor(
    heap: Heap,
    /** payload offset of the ring's chunk */
    private readonly at: number,
  ) {
    this.dv = heap.dv;
    if (this.dv.getUint32(at + C_VERSION, true) !== CHANGES_VERSION) throw new Error('change ring: unknown version');
    this.capacity = this.dv.getUint32(at + C_CAP, true);
  }

  /** The sequence the next change will get: a reader starting now reads from here. */
  seq(): number {
    return this.dv.getFloat64(this.at + C_SEQ, true);
  }

  /** Record a change (caller holds the write lock). */
  append(kind: number, db: number, hash: number, reason: number, time: number): void {
    const dv = this.dv;
    const seq = dv.getFloat64(this.at + C_SEQ, true);
    const e = this.at + CHANGES_HEADER + (seq % this.capacity) * CHANGE_ENTRY;
    dv.setUint32(e, hash, true);
    dv.setUint16(e + 4, db, true);
    dv.setUint8(e + 6, kind);
    dv.setUint8(e + 7, reason);
    dv.setFloat64(e + 8, time, true);
    dv.setFloat64(this.at + C_SEQ, seq + 1, true);
  }

  /**
   * Visit the changes [from, end) without the lock (end: a seq() read before), oldest first.
   * A writer may overwrite the oldest of them meanwhile: afterwards the caller must check
   * that seq() - from < capacity, and otherwise assume every key changed (the entry at
   * seq(), which takes the place of entry seq() - capacity, is written before the sequence
   * moves past it: see append).
   */
  scan(from: number, end: number, visit: (kind: number, db: number, hash: number) => void): void {
    const dv = this.dv;
    for (let s = from; s < end; s++) {
      const e = this.at + CHANGES_HEADER + (s % this.capacity) * CHANGE_ENTRY;
      visit(dv.getUint8(e + 6), dv.getUint16(e + 4, true), dv.getUint32(e, true));
    }
  }

  /**
   * Visit the changes from sequence `from` on, oldest first; returns false (visiting
   * nothing) when some of them were overwritten already. Caller holds the write lock.
   */
  readFrom(from: number, visit: (seq: number, kind: number, db: number, hash: number, reason: number, time: number) => void): boolean {
    const dv = this.dv;
    const end = dv.getFloat64(this.at + C_SEQ, true);
    if (end - from > this.capacity) return false;
    for (let s = from; s < end; s++) {
      const e = this.at + CHANGES_HEADER + (s % this.capacity) * CHANGE_ENTRY;
      visit(s, dv.getUint8(e + 6), dv.getUint16(e + 4, true), dv.getUint32(e, true), dv.getUint8(e + 7), dv.getFloat64(e + 8, true));
    }
    return true;
  }
}
